"""The in-memory study: tidy tables plus an import log that accounts for every input row.

A :class:`Study` is what every reader returns and every table, statistic and chart takes.
Its ``notes`` table follows the tidy contract (one row per noted theme occurrence, see
``data/README.md``); ``log`` is an :class:`ImportLog` in which the records read equal the
records kept plus the records rejected, each rejection carrying the cell it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

__all__ = ["NOTE_COLUMNS", "VALENCES", "CategoryConflict", "ImportLog", "LabelMerge", "NoteMove",
           "Problem", "Rejections", "Study"]

#: Columns of the notes table, in order.
NOTE_COLUMNS: tuple[str, ...] = (
    "group",
    "session",
    "date",
    "theme",
    "category",
    "valence",
    "note",
    "speaker",
    "coder",
    "source",
)

#: Allowed valence values, in their display order.
VALENCES: tuple[str, ...] = ("negative", "neutral", "positive")


def _excel_column(index: int) -> str:
    """Return the spreadsheet letter of a zero-based column index (0 -> ``A``)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Problem:
    """One problem found while reading or validating a study.

    Parameters
    ----------
    message : str
        One sentence a researcher can act on.
    file : str, optional
        File name (not the full path, which may reveal a user name).
    sheet : str, optional
        Sheet name; ``None`` for CSV files and file-level problems.
    row : int, optional
        One-based row number as shown by a spreadsheet program (CSV: line of the record).
    column : str, optional
        Column as a letter and header, e.g. ``"C (theme)"``.
    severity : {"error", "warning"}
        Errors make ``check`` exit 1; warnings are reported and do not.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    severity: Literal["error", "warning"] = "error"

    @property
    def source(self) -> str:
        """Where the problem is, e.g. ``"study.xlsx, sheet 'notes', row 12, column C (theme)"``."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.source
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-ready dict with ``message`` and ``source`` keys."""
        return {
            "message": self.message,
            "source": self.source,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "severity": self.severity,
        }


_QUOTED = re.compile(r"'[^']*'")


class Rejections:
    """The rejected records of an import: every one counted, the first of each reason kept.

    A file with a million bad rows needs a count and a few examples, not a million
    :class:`Problem` objects. Rejections are grouped by reason: file, sheet, column and
    message, with the quoted cell values of the message left out (``"session 'abc' is not
    a whole number"`` and ``"session '0' ..."`` share a reason). The first :attr:`keep` of
    each reason are kept in the order they came.

    It behaves as the list it replaces: ``len()`` counts every rejected record (so
    ``read == kept + len(rejected)`` holds), iteration and indexing give the records kept,
    ``==`` compares with a list, :meth:`summary` gives the count per reason.

    Parameters
    ----------
    problems : iterable of Problem, optional
        Rejections to start with.
    keep : int
        Records kept per reason (default 200).
    """

    __slots__ = ("_counts", "_kept", "_total", "keep")

    def __init__(self, problems: Iterable[Problem] = (), *, keep: int = 200) -> None:
        self.keep = keep
        self._kept: list[Problem] = []
        self._counts: dict[tuple[str | None, str | None, str | None, str], list[Any]] = {}
        self._total = 0
        self.extend(problems)

    @staticmethod
    def _reason(p: Problem) -> tuple[str | None, str | None, str | None, str]:
        return (p.file, p.sheet, p.column,
                _QUOTED.sub("'…'", p.message) if "'" in p.message else p.message)

    def append(self, problem: Problem) -> None:
        """Count ``problem``; keep it if fewer than :attr:`keep` of its reason are kept."""
        self._add(problem, 1)

    def _add(self, problem: Problem, count: int) -> None:
        key = self._reason(problem)
        entry = self._counts.get(key)
        if entry is None:
            entry = self._counts[key] = [0, 0]
        entry[0] += count
        self._total += count
        if entry[1] < self.keep:
            entry[1] += 1
            self._kept.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add rejections, another :class:`Rejections` with its counts included."""
        if isinstance(problems, Rejections):
            listed: dict[tuple[str | None, str | None, str | None, str], int] = {}
            for p in problems._kept:
                key = self._reason(p)
                listed[key] = listed.get(key, 0) + 1
                self._add(p, 1)
            for key, (count, _) in problems._counts.items():
                extra = count - listed.get(key, 0)
                if extra:
                    entry = self._counts.setdefault(key, [0, self.keep])
                    entry[0] += extra
                    self._total += extra
            return
        for p in problems:
            self._add(p, 1)

    def __len__(self) -> int:
        return self._total

    def __bool__(self) -> bool:
        return self._total > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._kept)

    @overload
    def __getitem__(self, index: int) -> Problem: ...
    @overload
    def __getitem__(self, index: slice) -> list[Problem]: ...

    def __getitem__(self, index: int | slice) -> Problem | list[Problem]:
        return self._kept[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rejections):
            return self._total == other._total and self._kept == other._kept
        if isinstance(other, list | tuple):
            return self._total == len(other) and self._kept == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rejections({self._kept!r}, total={self._total})"

    @property
    def listed(self) -> int:
        """Rejected records kept (and so listed) here."""
        return len(self._kept)

    @property
    def not_listed(self) -> int:
        """Rejected records counted but not kept: ``len(self) - self.listed``."""
        return self._total - len(self._kept)

    def summary(self) -> pd.DataFrame:
        """Return one row per reason: ``file, sheet, column, reason, count, listed``.

        ``reason`` is the message with quoted cell values shown as ``'…'``.
        """
        cols = ["file", "sheet", "column", "reason", "count", "listed"]
        return pd.DataFrame([[*key, count, listed]
                             for key, (count, listed) in self._counts.items()], columns=cols)


@dataclass(frozen=True)
class LabelMerge:
    """Raw theme labels that normalization or an alias mapped onto one theme.

    Parameters
    ----------
    raw : str
        The label as typed in the input.
    theme : str
        The theme it was counted as.
    reason : str
        ``"normalized"`` (case, spaces, Unicode form) or ``"alias"`` (listed in the codebook).
    count : int
        How many records carried this raw label.
    first_source : str
        The first cell where the raw label was found, e.g. ``"notes!C7"``.
    """

    raw: str
    theme: str
    reason: str
    count: int
    first_source: str


@dataclass(frozen=True)
class CategoryConflict:
    """A theme whose notes name several categories, and what was done about it.

    Parameters
    ----------
    theme : str
        The theme (its first spelling in the input).
    categories : tuple of (str, int, str)
        ``(category, notes, first source)`` for each category its notes name, in order of
        first appearance.
    resolution : {"error", "majority", "split"}
        The ``category_conflicts`` option in force (``--category-conflicts``).
    result : tuple of str
        ``majority``: the one category kept; ``split``: the new themes, one per category
        (``"theme (category)"``), in the order of ``categories``; ``error``: empty.
    """

    theme: str
    categories: tuple[tuple[str, int, str], ...]
    resolution: str
    result: tuple[str, ...] = ()

    def __str__(self) -> str:
        counts = ", ".join(f"'{c}' ({n} note{'s' if n != 1 else ''}, first at {s})"
                           for c, n, s in self.categories)
        text = f"theme '{self.theme}' is filed under {len(self.categories)} categories: {counts}"
        if self.resolution == "majority":
            return f"{text}; filed under '{self.result[0]}' (majority)"
        if self.resolution == "split":
            return f"{text}; split into " + ", ".join(f"'{t}'" for t in self.result)
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the conflict as a JSON-ready dict."""
        return {"theme": self.theme, "resolution": self.resolution,
                "categories": [{"category": c, "notes": n, "first_source": s}
                               for c, n, s in self.categories],
                "result": list(self.result)}


@dataclass(frozen=True)
class NoteMove:
    """A note filed under another category than the one it named (``majority``).

    Parameters
    ----------
    source : str
        The note's cell, e.g. ``"Data!C3"``.
    theme : str
        Its theme.
    category : str
        The category the note named.
    to_category : str
        The category it was filed under: its theme's most frequent one.
    """

    source: str
    theme: str
    category: str
    to_category: str

    def __str__(self) -> str:
        return (f"{self.source}: '{self.theme}' moved from '{self.category}' to "
                f"'{self.to_category}'")


@dataclass
class ImportLog:
    """What a reader did with every input record.

    A *record* is a data row of a long table (``notes`` sheet or CSV) or a non-empty mark
    cell of a grid sheet. ``read == kept + len(rejected)`` always holds; :meth:`check_balance`
    asserts it.

    Attributes
    ----------
    files : list of str
        Files read.
    read : int
        Records read.
    kept : int
        Records kept (a grid cell marked ``3`` is one record kept that yields three notes).
    rejected : Rejections
        The rejected records, each with the reason and the cell: ``len()`` counts them
        all; the first 200 of each reason are kept (iterated, listed, in
        :meth:`rejected_frame`) and :meth:`Rejections.summary` counts every reason.
    errors : list of Problem
        Problems that make the data unusable as it stands (includes nothing from ``rejected``).
    warnings : list of Problem
        Things to look at that did not stop the import.
    merges : list of LabelMerge
        Every raw theme label that was counted as another spelling.
    sheets : dict of str to int
        Records read per sheet (CSV files: per file name), in reading order.
    layout : str or None
        How the file was read, e.g. ``"template (sheet 'notes')"``, ``"grid (sheets 'Group 1',
        'Group 2')"``, ``"csv notes table"``, ``"taguette highlights"``.
    columns : dict of str to str
        Which column was used for each role, e.g. ``{"theme": "C (Reason)"}``.
    options : dict
        The read options given (those that differ from the defaults), as plain values;
        see :class:`~analysis.io.ReadOptions`.
    codebook : str or None
        Where the codebook came from, e.g. ``"sheet 'codebook'"``, ``"codebook.qdc"`` or
        ``"sheet 'Codes' of codes.xlsx (--codebook)"``; ``None`` when there is none.
    conflicts : list of CategoryConflict
        Every theme whose notes name several categories, with the resolution applied
        (``category_conflicts``: an error, the majority category, or a split).
    moves : list of NoteMove
        Every note filed under another category than the one it named (``majority``).
    """

    files: list[str] = field(default_factory=list)
    read: int = 0
    kept: int = 0
    rejected: Rejections = field(default_factory=Rejections)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    merges: list[LabelMerge] = field(default_factory=list)
    sheets: dict[str, int] = field(default_factory=dict)
    layout: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    codebook: str | None = None
    conflicts: list[CategoryConflict] = field(default_factory=list)
    moves: list[NoteMove] = field(default_factory=list)

    def by_sheet(self) -> pd.DataFrame:
        """Return records read, kept and rejected per sheet (columns ``read, kept, rejected``)."""
        rejected: dict[str, int] = {}
        for (file, sheet, _, _), (count, _) in self.rejected._counts.items():
            key = sheet if sheet is not None else (file or "")
            rejected[key] = rejected.get(key, 0) + count
        names = list(dict.fromkeys([*self.sheets, *rejected]))
        read = [self.sheets.get(n, 0) for n in names]
        rej = [rejected.get(n, 0) for n in names]
        frame = pd.DataFrame({"read": read, "kept": [r - j for r, j in zip(read, rej,
                                                                            strict=True)],
                              "rejected": rej}, index=pd.Index(names, name="sheet"))
        return frame

    def __post_init__(self) -> None:
        if not isinstance(self.rejected, Rejections):  # a list given to the constructor
            self.rejected = Rejections(self.rejected)

    def check_balance(self) -> None:
        """Raise ``AssertionError`` unless records read equal records kept plus rejected."""
        if self.read != self.kept + len(self.rejected):
            raise AssertionError(
                f"import log out of balance: read {self.read} != kept {self.kept} "
                f"+ rejected {len(self.rejected)}"
            )

    def extend(self, other: ImportLog) -> None:
        """Add the counts and problems of ``other`` to this log."""
        self.files.extend(f for f in other.files if f not in self.files)
        self.read += other.read
        self.kept += other.kept
        self.rejected.extend(other.rejected)
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.merges.extend(other.merges)
        for name, n in other.sheets.items():
            self.sheets[name] = self.sheets.get(name, 0) + n
        self.layout = self.layout or other.layout
        for role, column in other.columns.items():
            self.columns.setdefault(role, column)
        self.codebook = self.codebook or other.codebook
        self.conflicts.extend(other.conflicts)
        self.moves.extend(other.moves)

    @property
    def all_errors(self) -> list[Problem]:
        """Errors followed by rejected records: everything that makes ``check`` exit 1.

        Only the rejected records kept are listed (see :class:`Rejections`); there are
        ``len(errors) + len(rejected)`` in all.
        """
        return [*self.errors, *self.rejected]

    def rejected_frame(self) -> pd.DataFrame:
        """Return the rejected records kept as a table (file, sheet, row, column, reason).

        The first 200 of each reason; :meth:`Rejections.summary` counts them all.
        """
        return _problems_frame(self.rejected)

    def problems_frame(self) -> pd.DataFrame:
        """Return errors, rejections and warnings as one table with a ``severity`` column."""
        return _problems_frame([*self.errors, *self.rejected, *self.warnings])

    def merges_frame(self) -> pd.DataFrame:
        """Return the label merges as a table (raw, theme, reason, count, first_source)."""
        cols = ["raw", "theme", "reason", "count", "first_source"]
        return pd.DataFrame([[getattr(m, c) for c in cols] for m in self.merges], columns=cols)

    def conflicts_frame(self) -> pd.DataFrame:
        """Return the category conflicts, one row per theme and category it was filed under.

        Columns ``theme, category, notes, first_source, resolution, result`` (``result``:
        the category kept by ``majority``, or the theme a ``split`` gave these notes).
        """
        cols = ["theme", "category", "notes", "first_source", "resolution", "result"]
        rows = []
        for c in self.conflicts:
            for i, (category, n, first) in enumerate(c.categories):
                result = (c.result[0] if c.resolution == "majority"
                          else c.result[i] if c.resolution == "split" else None)
                rows.append([c.theme, category, n, first, c.resolution, result])
        return pd.DataFrame(rows, columns=cols)

    def moves_frame(self) -> pd.DataFrame:
        """Return the notes moved by ``majority`` (source, theme, category, to_category)."""
        cols = ["source", "theme", "category", "to_category"]
        return pd.DataFrame([[getattr(m, c) for c in cols] for m in self.moves], columns=cols)
    # -- notebook display ---------------------------------------------------------------------
    def _display_blocks(self) -> list[Any]:
        """Blocks shared by the displays of the log and of a study (see :mod:`._display`)."""
        from ._display import Block, problem_blocks

        blocks = []
        layout = getattr(self, "layout", None)
        columns = getattr(self, "columns", None) or {}
        lines = [f"read {self.read}, kept {self.kept}, rejected {len(self.rejected)}"]
        if self.files:
            lines.insert(0, f"files: {', '.join(self.files)}")
        if layout:
            lines.append(f"layout: {layout}")
        blocks.append(Block("Records", lines=lines))
        if len(self.sheets) > 1 or self.rejected:
            frame = self.by_sheet()
            blocks.append(Block("By sheet", columns=["sheet", "read", "kept", "rejected"],
                                rows=[(name, *map(int, row)) for name, row in
                                      zip(frame.index, frame.to_numpy(), strict=True)],
                                noun="sheets"))
        if columns:
            blocks.append(Block("Columns read", columns=["role", "column"],
                                rows=list(dict(columns).items()), limit=20, noun="columns"))
        blocks.extend(problem_blocks(self.errors, self.rejected, self.warnings))
        if self.merges:
            blocks.append(Block(f"Theme labels merged ({len(self.merges)})",
                                columns=["raw", "counted as", "reason", "records", "first at"],
                                rows=[(m.raw, m.theme, m.reason, m.count, m.first_source)
                                      for m in self.merges], noun="labels"))
        return blocks

    def _display(self) -> Any:
        from ._display import Report

        return Report("Import log", self._display_blocks())

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())


def _problems_frame(problems: list[Problem]) -> pd.DataFrame:
    cols = ["severity", "file", "sheet", "row", "column", "message"]
    frame = pd.DataFrame([[getattr(p, c) for c in cols] for p in problems], columns=cols)
    frame["row"] = frame["row"].astype("Int64")
    return frame


@dataclass
class Study:
    """A study read from a workbook, CSV file or QDA export.

    Attributes
    ----------
    notes : pandas.DataFrame
        One row per noted theme occurrence, columns :data:`NOTE_COLUMNS` (see ``data/README.md``
        for dtypes). ``group`` and ``category`` are ordered categoricals; ``theme`` is a
        categorical in codebook order; ``valence`` an ordered categorical of :data:`VALENCES`;
        ``speaker`` and ``coder`` are categoricals (a million notes by a few thousand
        speakers take a few MB).
    codebook : pandas.DataFrame
        Columns ``theme, category, definition, aliases``; empty when the input has none.
    sessions : pandas.DataFrame
        Columns ``group, session, date, attendance, duration_min``.
    participants : pandas.DataFrame
        Columns ``pseudonym, group, age, years_experience, region`` and any extra columns.
    ratings : pandas.DataFrame
        Columns ``pseudonym, group, item, score``; empty when the input has none.
    log : ImportLog
        Accounting of every record read.
    source : pathlib.Path or None
        The file the study was read from.
    history : pandas.DataFrame or None
        The codebook's refinement history (``step, operation, themes, target, category,
        rule, comment``; see :class:`analysis.codebook.Codebook`), already replayed on the
        notes' raw labels; ``None`` when the input has none.
    """

    notes: pd.DataFrame
    codebook: pd.DataFrame
    sessions: pd.DataFrame
    participants: pd.DataFrame
    ratings: pd.DataFrame
    log: ImportLog = field(default_factory=ImportLog)
    source: Path | None = None
    history: pd.DataFrame | None = None

    @property
    def groups(self) -> list[str]:
        """Groups in their declared order."""
        return list(self.notes["group"].cat.categories)

    @property
    def themes(self) -> list[str]:
        """Themes that occur in the notes, in codebook order then order of first appearance."""
        used = set(self.notes["theme"].dropna().unique())
        return [t for t in self.notes["theme"].cat.categories if t in used]

    @property
    def categories(self) -> list[str]:
        """Categories of the codebook, in their stated order."""
        return list(self.notes["category"].cat.categories)

    def summary_frame(self) -> pd.DataFrame:
        """Return :meth:`summary` as a one-column table (for notebooks and reports)."""
        counts = self.summary()
        return pd.DataFrame({"count": list(counts.values())},
                            index=pd.Index(list(counts), name="in the study"))

    def summary(self) -> dict[str, int]:
        """Return the headline counts printed by ``python -m analysis check``.

        Returns
        -------
        dict
            ``notes`` (rows of the notes table), ``groups``, ``sessions`` (distinct
            group-session pairs with at least one note or listed in the sessions sheet),
            ``themes`` (distinct themes used), ``categories`` (categories in the codebook),
            ``rejected`` (records rejected).
        """
        pairs = set(zip(self.notes["group"].astype(str), self.notes["session"], strict=True))
        if len(self.sessions):
            pairs |= set(
                zip(self.sessions["group"].astype(str), self.sessions["session"], strict=True)
            )
        return {
            "notes": len(self.notes),
            "groups": len(self.groups),
            "sessions": len(pairs),
            "themes": len(self.themes),
            "categories": len(self.categories),
            "rejected": len(self.log.rejected),
        }

    # -- notebook display ---------------------------------------------------------------------
    def _display(self) -> Any:
        """Return the study as a short report: counts, layout and columns read, problems."""
        from ._display import Block, Report

        name = self.source.name if self.source is not None else "(not read from a file)"
        counts = self.summary()
        blocks = [Block("Counts", columns=list(counts), rows=[tuple(counts.values())])]
        if self.categories:
            blocks.append(Block("Categories", lines=["; ".join(self.categories)]))
        log_blocks = self.log._display_blocks()
        read_from = self.notes.attrs.get("layout", {}).get("columns")
        if read_from and not getattr(self.log, "columns", None):  # template and CSV readers
            at = 2 if len(log_blocks) > 1 and log_blocks[1].title == "By sheet" else 1
            log_blocks.insert(at, Block("Columns read (notes)", columns=["role", "column"],
                                        rows=list(dict(read_from).items()), limit=20,
                                        noun="columns"))
        blocks.extend(log_blocks)
        return Report(f"Study: {name}", blocks)

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())
