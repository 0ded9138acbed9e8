"""Theme labels and the codebook: normalization, aliases, categories, validation.

Researchers type theme labels by hand, so the same theme arrives as ``"Fear of contagion"``,
``"fear of  contagion "`` or ``"Fear of\u00a0contagion"``. :func:`normalize_label` makes the
spelling tidy; :func:`label_key` gives the key two labels must share to count as one theme
(case folded). The codebook's spelling wins; without a codebook the first spelling seen wins.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_choice
from .study import Problem

__all__ = [
    "CODEBOOK_COLUMNS",
    "HISTORY_COLUMNS",
    "RESIDUAL_CATEGORIES",
    "Codebook",
    "apply_codebook",
    "label_key",
    "normalize_label",
    "relabel_notes",
    "residual_todo",
    "split_aliases",
    "suggest_themes",
    "validate_codebook",
]

#: Columns of the codebook table, in order.
CODEBOOK_COLUMNS: tuple[str, ...] = ("theme", "category", "definition", "aliases")

# Zero-width and invisible formatting characters that spreadsheets and web copy-paste leave behind.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Any run of Unicode white space (includes no-break and narrow no-break spaces).
_SPACES = re.compile(r"\s+")
_ALIAS_SPLIT = re.compile(r"\s*[;|\n]\s*")


def normalize_label(label: object) -> str:
    r"""Return the tidy spelling of a theme label.

    Applies Unicode NFC composition, removes zero-width characters and soft hyphens, turns
    every run of white space (including no-break spaces, tabs and line breaks) into one
    space and strips both ends. Case is kept. The result is idempotent:
    ``normalize_label(normalize_label(x)) == normalize_label(x)``.

    Parameters
    ----------
    label : object
        A cell value; ``None`` and NaN give ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> normalize_label("  Fear of\u00a0contagion\u200b ")
    'Fear of contagion'
    """
    if label is None or (isinstance(label, float) and label != label):
        return ""
    text = unicodedata.normalize("NFC", str(label)).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def label_key(label: object) -> str:
    """Return the matching key of a label: its normalized spelling, case folded.

    Two labels with the same key are the same theme.

    Examples
    --------
    >>> label_key("Fear of Contagion ") == label_key("fear of contagion")
    True
    """
    return unicodedata.normalize("NFC", normalize_label(label).casefold())


def split_aliases(value: object) -> list[str]:
    """Split a codebook ``aliases`` cell on ``;``, ``|`` or line breaks into clean labels."""
    text = normalize_label(value) if not isinstance(value, str) else value
    parts = _ALIAS_SPLIT.split(text) if text else []
    return [p for p in (normalize_label(x) for x in parts) if p]


def suggest_themes(label: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` known themes closest in spelling to ``label`` (best first).

    Uses :func:`difflib.get_close_matches` on case-folded labels with a cutoff of 0.6.
    """
    known = list(known)
    by_key: dict[str, str] = {}
    for k in known:
        by_key.setdefault(label_key(k), k)
    matches = difflib.get_close_matches(label_key(label), list(by_key), n=n, cutoff=0.6)
    return [by_key[m] for m in matches]


def validate_codebook(
    codebook: pd.DataFrame, *, file: str | None = None, sheet: str | None = "codebook"
) -> list[Problem]:
    """Check that every theme sits in exactly one category.

    Parameters
    ----------
    codebook : pandas.DataFrame
        Columns ``theme`` and ``category``; an optional integer column ``_row`` holds the
        spreadsheet row of each entry (used in messages).
    file, sheet : str, optional
        Where the codebook was read from, for the messages.

    Returns
    -------
    list of Problem
        One error per theme listed under two or more categories, naming the categories and
        rows; one warning per theme listed twice under the same category; one error per
        alias that points at two themes.
    """
    problems: list[Problem] = []
    if codebook.empty:
        return problems
    rows = codebook["_row"] if "_row" in codebook else pd.Series(range(2, len(codebook) + 2))
    seen: dict[str, list[tuple[str, str, int]]] = {}
    for theme, category, row in zip(codebook["theme"], codebook["category"], rows, strict=True):
        seen.setdefault(label_key(theme), []).append((theme, category, int(row)))
    for entries in seen.values():
        if len(entries) < 2:
            continue
        cats = {label_key(c) for _, c, _ in entries}
        where = ", ".join(f"'{c}' (row {r})" for _, c, r in entries)
        if len(cats) > 1:
            problems.append(
                Problem(
                    f"theme '{entries[0][0]}' is listed under {len(cats)} categories: {where}; "
                    "categories must be mutually exclusive, so keep one row",
                    file=file,
                    sheet=sheet,
                    row=entries[1][2],
                    column="A (theme)",
                )
            )
        else:
            problems.append(
                Problem(
                    f"theme '{entries[0][0]}' is listed twice under {where}; the first row is used",
                    file=file,
                    sheet=sheet,
                    row=entries[1][2],
                    column="A (theme)",
                    severity="warning",
                )
            )
    alias_owner: dict[str, tuple[str, int]] = {}
    theme_keys = set(seen)
    aliases = codebook["aliases"] if "aliases" in codebook else [None] * len(codebook)
    for theme, alias_cell, row in zip(codebook["theme"], aliases, rows, strict=True):
        for alias in split_aliases(alias_cell):
            key = label_key(alias)
            if key in theme_keys and key != label_key(theme):
                problems.append(
                    Problem(
                        f"alias '{alias}' of theme '{theme}' is itself a theme of the codebook",
                        file=file,
                        sheet=sheet,
                        row=int(row),
                        column="D (aliases)",
                    )
                )
            prev = alias_owner.get(key)
            if prev and label_key(prev[0]) != label_key(theme):
                problems.append(
                    Problem(
                        f"alias '{alias}' is given to two themes: '{prev[0]}' (row {prev[1]}) "
                        f"and '{theme}' (row {row})",
                        file=file,
                        sheet=sheet,
                        row=int(row),
                        column="D (aliases)",
                    )
                )
            alias_owner.setdefault(key, (theme, int(row)))
    return problems


#: Whether a shallow copy of a frame is safe to write to (pandas 3, or copy-on-write enabled
#: in pandas 2): then a copy whose columns are replaced need not copy the others.
_COPY_ON_WRITE = (int(pd.__version__.split(".")[0]) >= 3
                  or pd.get_option("mode.copy_on_write") is True)


def apply_codebook(notes: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Give every note the category of its theme, as an ordered categorical.

    Parameters
    ----------
    notes : pandas.DataFrame
        Notes with a ``theme`` column whose labels are already mapped to codebook spellings.
    codebook : pandas.DataFrame
        Columns ``theme`` and ``category``; category order is the order of first appearance.

    Returns
    -------
    pandas.DataFrame
        A copy of ``notes`` with ``category`` set; themes missing from the codebook get a
        missing category. The number of rows never changes.
    """
    out = notes.copy(deep=not _COPY_ON_WRITE)
    _set_category(out, codebook)
    return out


def _set_category(out: pd.DataFrame, codebook: pd.DataFrame) -> None:
    """Set ``out["category"]`` from the ``theme`` of each row (see :func:`apply_codebook`)."""
    if codebook.empty:
        out["category"] = pd.Categorical([None] * len(out), categories=[], ordered=True)
        return
    categories = list(dict.fromkeys(codebook["category"]))
    mapping = dict(zip(codebook["theme"], codebook["category"], strict=True))
    # Map through the categorical's categories (few) rather than the rows (many).
    theme = out["theme"].astype("category")
    cat_codes = pd.Categorical(
        theme.cat.categories.map(lambda t: mapping.get(t)), categories=categories, ordered=True
    ).codes
    codes = theme.cat.codes.to_numpy()
    values = cat_codes[codes]
    values[codes < 0] = -1
    out["category"] = pd.Categorical.from_codes(values, categories=categories, ordered=True)


# --- the codebook as an object: refinement operations with an audit trail -----------------

#: Columns of the history table (the workbook's ``codebook_history`` sheet).
HISTORY_COLUMNS: tuple[str, ...] = (
    "step", "operation", "themes", "target", "category", "rule", "comment",
)

#: Category names treated as a residual bin whose themes still await a home.
RESIDUAL_CATEGORIES: frozenset[str] = frozenset(
    label_key(x) for x in ("other", "others", "altro", "altri", "misc", "miscellaneous",
                           "residual", "unassigned", "uncategorized", "uncategorised",
                           "to sort", "autre", "sonstiges", "otros")
)

_OPERATIONS = ("merge", "rename", "split", "move")


def _join(items: Iterable[str]) -> str:
    return "; ".join(items)


def _parts(cell: object) -> list[str]:
    return split_aliases(cell) if cell is not None and cell == cell else []




class Codebook:
    """Themes, the one category of each, definitions and aliases, plus how they came to be.

    A codebook is refined step by step: :meth:`merge` several raw labels into one theme,
    :meth:`rename` a theme, :meth:`split` one theme into two by a rule on its notes,
    :meth:`move` a theme to another category. Each method returns a new codebook with the
    operation appended to :attr:`history`, so the whole path from inductive labels to
    categories can be shown, saved in the workbook (sheet ``codebook_history``) and replayed
    with :meth:`replay`.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Columns ``theme`` and ``category`` (required), ``definition`` and ``aliases``
        (optional). One row per theme.
    categories : list of str, optional
        Category order; default: order of first appearance in ``table``. Categories listed
        here but holding no theme are kept (and reported as empty by :meth:`validate`).
    history : pandas.DataFrame, optional
        Operations already applied (columns :data:`HISTORY_COLUMNS`).

    Examples
    --------
    >>> cb = Codebook.from_records([("Fear", "Personal"), ("Worry", "Personal"),
    ...                             ("PPE", "Practical")])
    >>> cb = cb.merge(["Fear", "Worry"], into="Fear and worry")
    >>> cb.themes
    ['Fear and worry', 'PPE']
    >>> cb.history_frame()[["step", "operation", "themes", "target"]].values.tolist()
    [[1, 'merge', 'Fear; Worry', 'Fear and worry']]
    """

    def __init__(self, table: pd.DataFrame | None = None, *, categories: list[str] | None = None,
                 history: pd.DataFrame | None = None) -> None:
        table = pd.DataFrame(columns=list(CODEBOOK_COLUMNS)) if table is None else table
        missing = [c for c in ("theme", "category") if c not in table.columns]
        if missing:
            raise ValueError(f"codebook table lacks column(s) {', '.join(missing)}")
        frame = table.copy()
        for col in CODEBOOK_COLUMNS:
            if col not in frame:
                frame[col] = None
        frame = frame[list(CODEBOOK_COLUMNS)].reset_index(drop=True)
        frame["theme"] = frame["theme"].map(normalize_label)
        frame["category"] = frame["category"].map(
            lambda c: normalize_label(c) if c is not None and c == c else None)
        problems = [p for p in validate_codebook(frame) if p.severity == "error"]
        if problems:
            raise ValueError(problems[0].message)
        frame = frame[~frame["theme"].map(label_key).duplicated()].reset_index(drop=True)
        order = list(categories or [])
        order += [c for c in dict.fromkeys(frame["category"].dropna()) if c not in order]
        self._table = frame
        self._categories = order
        self._history = (pd.DataFrame(columns=list(HISTORY_COLUMNS)) if history is None
                         else history[list(HISTORY_COLUMNS)].reset_index(drop=True))

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[tuple], *, categories: list[str] | None = None
                     ) -> Codebook:
        """Build a codebook from ``(theme, category[, definition[, aliases]])`` tuples."""
        rows = [tuple(r) + (None,) * (4 - len(r)) for r in records]
        return cls(pd.DataFrame(rows, columns=list(CODEBOOK_COLUMNS)), categories=categories)

    @classmethod
    def from_study(cls, study: Any) -> Codebook:
        """Return the codebook of a study (its ``codebook`` table and ``history``)."""
        history = getattr(study, "history", None)
        out = cls(study.codebook, categories=list(study.notes["category"].cat.categories),
                  history=history if history is not None and len(history) else None)
        out._notes = study.notes  # counted in the notebook display
        return out

    @classmethod
    def read(cls, path: str | os.PathLike[str], *,
             columns: Mapping[str, str] | None = None) -> Codebook:
        """Read a codebook: REFI-QDA ``.qdc``, Taguette codebook CSV, a table, or a workbook.

        Takes the same sources as ``read_study(..., codebook=SOURCE)`` (``--codebook``):

        - ``.qdc``: a REFI-QDA codebook (top-level codes are the categories);
        - ``.csv``: a Taguette codebook export (a ``tag`` or ``path`` column), or a table
          with theme and category columns;
        - ``.xlsx``, ``.xlsm``, ``.ods``: the sheet named ``codebook``, else the one sheet
          whose header row names a theme and a category column; ``FILE.xlsx#Sheet`` picks
          a sheet. A template workbook (with ``notes`` and ``codebook`` sheets) is read with
          :func:`analysis.read_study`, so its ``codebook_history`` comes along.

        Warnings (vendor quirks, themes without a category) are emitted as ``UserWarning``.

        Parameters
        ----------
        path : str or path-like
            The file, optionally ``FILE.xlsx#Sheet``.
        columns : mapping of str to str, optional
            The table's column for each role (``theme, category, definition, aliases``),
            e.g. ``{"theme": "Quality Factor", "category": "Type"}``; header synonyms
            otherwise.

        Raises
        ------
        analysis.io.InputError
            When the file cannot be read, holds no codebook, has rejected rows, or files a
            theme under two categories (one sentence naming the file and what was found).
        """
        import warnings

        from . import io
        from .io._codebook_source import is_template_workbook, read_codebook_source

        p = Path(path)
        if not columns and is_template_workbook(p):
            return cls.from_study(io.read_study(p))
        if not p.exists() and not Path(str(path).rpartition("#")[0]).is_file():
            raise io.UnreadableFileError("file not found", file=p.name)
        found = read_codebook_source(path, columns=columns)
        log = found.log
        problems = [*log.errors, *log.rejected, *validate_codebook(
            found.table, file=found.file, sheet=found.sheet)]
        problems = [q for q in problems if q.severity == "error"]
        if problems:
            more = f" ({len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise io.InputError(f"the codebook cannot be used: {problems[0].message}{more}",
                                file=problems[0].file or found.file, sheet=problems[0].sheet,
                                row=problems[0].row, column=problems[0].column)
        for problem in log.warnings:
            warnings.warn(str(problem), UserWarning, stacklevel=2)
        return cls(found.table[list(CODEBOOK_COLUMNS)])

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the codebook as REFI-QDA ``.qdc`` or Taguette codebook ``.csv`` (by suffix).

        To keep the codebook with the notes, write the study instead
        (:func:`analysis.write_study` writes the ``codebook`` and ``codebook_history`` sheets).
        """
        from . import io

        p = Path(path)
        suffix = p.suffix.lower()
        check_choice("file suffix", suffix, (".qdc", ".csv"))
        writer = io.write_qdc if suffix == ".qdc" else io.write_taguette_codebook
        return writer(self.table, p)

    # -- views -----------------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """The codebook as a table (a copy): ``theme, category, definition, aliases``."""
        return self._table.copy()

    @property
    def themes(self) -> list[str]:
        """Themes in codebook order."""
        return list(self._table["theme"])

    @property
    def categories(self) -> list[str]:
        """Categories in their stated order."""
        return list(self._categories)

    @property
    def history(self) -> list[dict[str, object]]:
        """The operations applied so far, oldest first, as dicts."""
        return self._history.to_dict("records")

    def history_frame(self) -> pd.DataFrame:
        """Return the history as a table with columns :data:`HISTORY_COLUMNS` (a copy)."""
        return self._history.copy()

    def category_of(self, theme: str) -> str | None:
        """Return the category of ``theme`` (matched by :func:`label_key`)."""
        key = label_key(theme)
        hit = self._table.loc[self._table["theme"].map(label_key) == key, "category"]
        return None if hit.empty else hit.iat[0]

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        return (f"Codebook({len(self)} themes in {len(self._categories)} categories, "
                f"{len(self._history)} operations)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Codebook):
            return NotImplemented
        return (self._categories == other._categories
                and self._table.astype(object).where(self._table.notna(), None)
                .equals(other._table.astype(object).where(other._table.notna(), None)))

    __hash__ = None  # type: ignore[assignment]

    # -- notebook display ------------------------------------------------------------------
    #: Notes counted in the display (set by :meth:`from_study` and :meth:`counting`).
    _notes: pd.DataFrame | None = None

    def counting(self, notes: pd.DataFrame | None) -> Codebook:
        """Return this codebook set to show, in notebooks, how many notes each theme has.

        The notes are relabeled by the codebook's history (:meth:`apply`) before counting, so
        the counts follow every merge, split and move. ``None`` turns the counts off.
        """
        out = Codebook(self._table, categories=self._categories, history=self._history)
        out._notes = notes
        return out

    def theme_counts(self, notes: pd.DataFrame | None = None) -> pd.DataFrame:
        """Return the codebook with the notes and sessions of each theme.

        Parameters
        ----------
        notes : pandas.DataFrame, optional
            The notes to count, relabeled by :meth:`apply`; default: those given to
            :meth:`from_study` or :meth:`counting` (without any, the counts are 0).

        Returns
        -------
        pandas.DataFrame
            Columns ``category, theme, definition, aliases, notes, sessions`` (int; sessions
            are distinct group-session pairs), one row per theme, in category then codebook
            order; themes of the notes missing from the codebook last, without a category.
        """
        notes = self._notes if notes is None else notes
        table = self._table.copy()
        order = {c: i for i, c in enumerate(self._categories)}
        table["_order"] = table["category"].map(lambda c: order.get(c, len(order)))
        table = table.sort_values("_order", kind="stable").drop(columns="_order")
        table = table[["category", "theme", "definition", "aliases"]].reset_index(drop=True)
        n_notes: dict[str, int] = {}
        n_sessions: dict[str, int] = {}
        if notes is not None and len(notes):
            applied = self.apply(notes).dropna(subset=["theme"])
            theme = applied["theme"].astype(str)
            n_notes = theme.value_counts().to_dict()
            pairs = applied["group"].astype(str) + " #" + applied["session"].astype(str)
            n_sessions = pairs.groupby(theme).nunique().to_dict()
            known = set(table["theme"])
            extra = [t for t in dict.fromkeys(theme) if t not in known]
            if extra:
                table = pd.concat([table, pd.DataFrame({"theme": extra})], ignore_index=True)
        table["notes"] = table["theme"].map(lambda t: int(n_notes.get(t, 0))).astype("int64")
        table["sessions"] = table["theme"].map(lambda t: int(n_sessions.get(t, 0))
                                               ).astype("int64")
        return table

    def _display(self) -> Any:
        from ._display import Block, Report

        counted = self._notes is not None
        table = self.theme_counts()
        blocks = []
        summary = []
        for cat in self._categories:
            part = table[table["category"] == cat]
            text = f"{cat}: {len(part)} theme{'s' if len(part) != 1 else ''}"
            summary.append(text + (f", {int(part['notes'].sum())} notes" if counted else ""))
        blocks.append(Block("Categories", lines=summary))
        columns = ["category", "theme", "definition", *(["notes", "sessions"] if counted else [])]
        rows = []
        previous = None
        for rec in table.to_dict("records"):
            cat = rec["category"] if rec["category"] != previous else ""
            previous = rec["category"]
            row = [cat if cat == cat else "(none)", rec["theme"], rec["definition"]]
            rows.append(row + ([rec["notes"], rec["sessions"]] if counted else []))
        blocks.append(Block("Themes", columns=columns, rows=rows, limit=40, noun="themes"))
        if len(self._history):
            hist = self._history
            blocks.append(Block(f"History ({len(hist)} operations)", columns=list(hist.columns),
                                rows=hist.to_numpy().tolist(), noun="operations"))
        return Report(f"Codebook: {len(self)} themes in {len(self._categories)} categories",
                      blocks)

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())

    # -- refinement operations ---------------------------------------------------------------
    def _row(self, theme: str) -> int:
        keys = self._table["theme"].map(label_key)
        hits = list(keys[keys == label_key(theme)].index)
        if not hits:
            near = suggest_themes(theme, self.themes)
            tip = f"; did you mean {' or '.join(map(repr, near))}?" if near else ""
            raise KeyError(f"theme {theme!r} is not in the codebook{tip}")
        return hits[0]

    def _with(self, table: pd.DataFrame, categories: list[str], op: dict[str, object]
              ) -> Codebook:
        history = self._history.copy()
        row = {c: op.get(c) for c in HISTORY_COLUMNS}
        row["step"] = len(history) + 1
        history = pd.concat([history, pd.DataFrame([row])], ignore_index=True) \
            if len(history) else pd.DataFrame([row], columns=list(HISTORY_COLUMNS))
        out = Codebook(table, categories=categories, history=history)
        out._notes = self._notes
        return out

    def merge(self, themes: list[str], into: str, *, category: str | None = None,
              definition: str | None = None, comment: str | None = None) -> Codebook:
        """Merge several themes (or raw labels) into one.

        Parameters
        ----------
        themes : list of str
            Themes to merge; labels not in the codebook are accepted (raw labels of the
            notes) and become aliases of ``into``.
        into : str
            The merged theme; may be one of ``themes`` or a new name.
        category : str, optional
            Its category; default: the category of the first of ``themes`` in the codebook.
        definition, comment : str, optional
            Definition of the merged theme; a note for the audit trail.
        """
        into = normalize_label(into)
        if not themes:
            raise ValueError("merge needs at least one theme")
        table = self._table
        keys = table["theme"].map(label_key)
        merged_keys = {label_key(t) for t in themes}
        rows = table[keys.isin(merged_keys)]
        category = category or (rows["category"].iat[0] if len(rows) else None)
        if category is None:
            raise ValueError(f"give a category for {into!r}: none of {themes} is in the codebook")
        aliases = [a for cell in rows["aliases"] for a in _parts(cell)]
        aliases += [normalize_label(t) for t in themes if label_key(t) != label_key(into)]
        aliases = list(dict.fromkeys(a for a in aliases if label_key(a) != label_key(into)))
        defs = [d for d in rows["definition"] if d]
        new = {"theme": into, "category": category,
               "definition": definition or (defs[0] if defs else None),
               "aliases": _join(aliases) or None}
        position = int(rows.index[0]) if len(rows) else len(table)
        rest = table[~keys.isin(merged_keys | {label_key(into)})]
        before = rest[rest.index < position]
        after = rest[rest.index > position]
        out = pd.concat([before, pd.DataFrame([new]), after], ignore_index=True)
        return self._with(out, self._categories + ([category] if category not in
                                                   self._categories else []),
                          {"operation": "merge", "themes": _join(map(normalize_label, themes)),
                           "target": into, "category": category, "comment": comment})

    def rename(self, theme: str, new: str, *, comment: str | None = None) -> Codebook:
        """Rename a theme; the old name becomes an alias so earlier notes still match."""
        i = self._row(theme)
        new = normalize_label(new)
        if label_key(new) != label_key(theme) and label_key(new) in set(
                self._table["theme"].map(label_key)):
            raise ValueError(f"{new!r} is already a theme; use merge() to combine themes")
        table = self._table.copy()
        old = table.at[i, "theme"]
        aliases = list(dict.fromkeys([*_parts(table.at[i, "aliases"]), old]))
        table.at[i, "theme"] = new
        table.at[i, "aliases"] = _join(a for a in aliases if label_key(a) != label_key(new))
        return self._with(table, self._categories,
                          {"operation": "rename", "themes": old, "target": new,
                           "category": table.at[i, "category"], "comment": comment})

    def move(self, theme: str, category: str, *, comment: str | None = None) -> Codebook:
        """Move a theme to another (possibly new) category."""
        i = self._row(theme)
        category = normalize_label(category)
        table = self._table.copy()
        table.at[i, "category"] = category
        cats = self._categories + ([category] if category not in self._categories else [])
        return self._with(table, cats, {"operation": "move", "themes": table.at[i, "theme"],
                                        "category": category, "comment": comment})

    def split(self, theme: str, into: tuple[str, str], *, keyword: str | None = None,
              sources: Iterable[str] | None = None, categories: tuple[str, str] | None = None,
              comment: str | None = None) -> Codebook:
        """Split a theme in two; a rule tells which notes go to the first new theme.

        Parameters
        ----------
        theme : str
            The theme to split.
        into : (str, str)
            The two new themes: notes matching the rule go to the first, the rest to the
            second (which may keep the old name).
        keyword : str, optional
            A regular expression searched, case-insensitively, in each note's text.
        sources : iterable of str, optional
            Note sources (``notes!D12``) that go to the first theme.
        categories : (str, str), optional
            Categories of the new themes; default: the old theme's, for both.
        comment : str, optional
            A note for the audit trail.
        """
        if (keyword is None) == (sources is None):
            raise ValueError("split needs exactly one rule: keyword=... or sources=[...]")
        if len(into) != 2:
            raise ValueError("split into exactly two themes: into=('new', 'rest')")
        if keyword is not None:
            try:
                re.compile(keyword)
            except re.error as exc:
                raise ValueError(f"keyword {keyword!r} is not a valid pattern: {exc}") from None
            rule = f"keyword: {keyword}"
        else:
            rule = "sources: " + " ".join(str(s) for s in sources or [])
        i = self._row(theme)
        table = self._table
        old = table.loc[i]
        cats = categories or (old["category"], old["category"])
        a, b = (normalize_label(x) for x in into)
        rows = [
            {"theme": a, "category": cats[0], "definition": None, "aliases": None},
            {"theme": b, "category": cats[1],
             "definition": old["definition"] if label_key(b) == label_key(old["theme"]) else None,
             "aliases": old["aliases"] if label_key(b) == label_key(old["theme"]) else None},
        ]
        existing = set(table.drop(index=i)["theme"].map(label_key))
        clash = [x for x in (a, b) if label_key(x) in existing]
        if clash:
            raise ValueError(f"{clash[0]!r} is already a theme; choose new names for the split")
        out = pd.concat([table.loc[: i - 1], pd.DataFrame(rows), table.loc[i + 1:]],
                        ignore_index=True)
        new_cats = self._categories + [c for c in dict.fromkeys(cats)
                                       if c not in self._categories]
        return self._with(out, new_cats, {"operation": "split", "themes": old["theme"],
                                          "target": _join((a, b)), "category": _join(cats),
                                          "rule": rule, "comment": comment})

    # -- replay and application --------------------------------------------------------------
    @classmethod
    def replay(cls, base: Codebook, history: pd.DataFrame) -> Codebook:
        """Apply a saved history (columns :data:`HISTORY_COLUMNS`) to ``base``, in step order.

        Raises ``ValueError`` naming the step when an operation cannot be applied.
        """
        cb = base
        for rec in history.sort_values("step", kind="stable").to_dict("records"):
            op = str(rec.get("operation") or "").strip().casefold()
            try:
                check_choice("operation", op, _OPERATIONS)
                themes = _parts(rec.get("themes"))
                target = _parts(rec.get("target"))
                cats = _parts(rec.get("category"))
                comment = rec.get("comment") if rec.get("comment") == rec.get("comment") else None
                if op == "merge":
                    cb = cb.merge(themes, target[0], category=cats[0] if cats else None,
                                  comment=comment)
                elif op == "rename":
                    cb = cb.rename(themes[0], target[0], comment=comment)
                elif op == "move":
                    cb = cb.move(themes[0], cats[0], comment=comment)
                else:
                    kind, _, value = str(rec.get("rule") or "").partition(":")
                    check_choice("rule", kind.strip(), ("keyword", "sources"))
                    rule = ({"keyword": value.strip()} if kind.strip() == "keyword"
                            else {"sources": value.split()})
                    cb = cb.split(themes[0], (target[0], target[1]),
                                  categories=(cats[0], cats[-1]) if cats else None,
                                  comment=comment, **rule)
            except (KeyError, ValueError, IndexError) as exc:
                msg = exc.args[0] if exc.args else type(exc).__name__
                raise ValueError(f"history step {rec.get('step')} ({op or 'blank'}): {msg}") \
                    from None
        return cb

    def relabel(self, notes: pd.DataFrame) -> pd.Series:
        """Return the theme of every note after this codebook's history.

        See :func:`relabel_notes`.
        """
        return relabel_notes(notes, self._history)

    def apply(self, notes: pd.DataFrame) -> pd.DataFrame:
        """Relabel the notes by the history and give each its category.

        Returns a copy of ``notes`` with ``theme`` (categorical in codebook order, unknown
        labels after) and ``category`` (ordered categorical in category order). The number of
        notes never changes; labels the codebook does not know keep a missing category
        (see :meth:`validate`).
        """
        codes, labels = _relabel_codes(notes, self._history)
        spelling = {label_key(t): t for t in self._table["theme"]}
        for t, aliases in zip(self._table["theme"], self._table["aliases"], strict=True):
            for alias in _parts(aliases):
                spelling.setdefault(label_key(alias), t)
        canon = [spelling.get(label_key(label), label) for label in labels]
        seen = pd.unique(codes[codes >= 0])  # labels in order of first note
        order = list(dict.fromkeys([*self._table["theme"], *(canon[i] for i in seen)]))
        position = {theme: i for i, theme in enumerate(order)}
        remap = np.array([position.get(theme, -1) for theme in canon] + [-1], dtype=np.int64)
        out = notes.copy()
        out["theme"] = pd.Categorical.from_codes(remap[codes], categories=order)
        _set_category(out, self._table[["theme", "category"]])
        out["category"] = out["category"].cat.set_categories(self._categories, ordered=True)
        return out

    def validate(self, notes: pd.DataFrame | None = None) -> list[Problem]:
        """List what keeps the categories from being a clean, mutually exclusive scheme.

        Returns
        -------
        list of Problem
            Errors: themes of the notes missing from the codebook (with the closest codebook
            labels suggested). Warnings: codebook themes never used in the notes, categories
            with no theme, themes without a category, and themes still in a residual category
            such as 'Other' (a to-do list for the researcher). Mutual exclusivity itself is
            guaranteed by construction: a codebook listing a theme under two categories
            cannot be built (see :func:`validate_codebook` for the workbook check).
        """
        problems: list[Problem] = []
        warn = {"severity": "warning", "sheet": "codebook"}
        used_themes = set()
        if notes is not None and len(notes):
            relabeled = self.apply(notes)
            used_themes = set(relabeled["theme"].dropna().astype(str))
            unknown = relabeled.loc[relabeled["category"].isna() & relabeled["theme"].notna()]
            for theme, grp in unknown.groupby("theme", observed=True, sort=False):
                hint = suggest_themes(str(theme), self.themes)
                tip = f"; did you mean {' or '.join(map(repr, hint))}?" if hint else ""
                first = grp["source"].iat[0] if "source" in grp else "?"
                problems.append(Problem(
                    f"theme '{theme}' ({len(grp)} note{'s' if len(grp) != 1 else ''}, first at "
                    f"{first}) is not in the codebook{tip}", sheet="codebook"))
            for theme in self.themes:
                if theme not in used_themes:
                    problems.append(Problem(f"codebook theme '{theme}' is never used in the notes",
                                            **warn))
        counts = self._table["category"].value_counts()
        for cat in self._categories:
            if counts.get(cat, 0) == 0:
                problems.append(Problem(f"category '{cat}' has no theme", **warn))
        for theme in self._table.loc[self._table["category"].isna(), "theme"]:
            problems.append(Problem(f"theme '{theme}' has no category", **warn))
        problems.extend(residual_todo(self._table))
        return problems


def relabel_notes(notes: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """Return the theme of every note after the operations of ``history``, in step order.

    Merges and renames map old labels to new ones; a split sends each note of the split theme
    to its first new theme when the rule matches (``keyword: PATTERN`` searched in ``note``,
    case-insensitively, or ``sources: CELL CELL ...`` matched against ``source``) and to the
    second otherwise. Labels are matched by :func:`label_key`; moves change no label. The
    result has one entry per note, in the same order: the label tidied by
    :func:`normalize_label`, missing where the note has no theme.
    """
    codes, labels = _relabel_codes(notes, history)
    values = np.asarray([*labels, None], dtype=object)[codes]  # code -1 picks the None
    return pd.Series(values, index=notes.index, name="theme", dtype=object)


def _relabel_codes(notes: pd.DataFrame, history: pd.DataFrame | None
                   ) -> tuple[np.ndarray, list[str]]:
    """Relabel the notes' themes by ``history`` working on the distinct labels.

    Returns int64 codes, one per note (-1 where the theme is missing), into a list of tidy
    labels (which may repeat). Only a split looks at notes one by one, and only at the notes
    of the theme it splits.
    """
    theme = notes["theme"]
    if isinstance(theme.dtype, pd.CategoricalDtype):
        codes, levels = theme.cat.codes.to_numpy().astype(np.int64), list(theme.cat.categories)
    else:
        found, uniques = pd.factorize(theme.astype(object), use_na_sentinel=True)
        codes, levels = found.astype(np.int64), list(uniques)
    labels = [normalize_label(v) for v in levels]
    if history is None or not len(history):
        return codes, labels
    for rec in history.sort_values("step", kind="stable").to_dict("records"):
        op = str(rec.get("operation") or "").strip().casefold()
        keys = [label_key(label) for label in labels]
        if op in ("merge", "rename"):
            olds = {label_key(t) for t in _parts(rec.get("themes"))}
            hit = [i for i, key in enumerate(keys) if key in olds]
            if hit:
                remap = np.arange(len(labels) + 1, dtype=np.int64)
                remap[hit] = len(labels)
                labels.append(_parts(rec.get("target"))[0])
                codes = np.where(codes >= 0, remap[codes], -1)
        elif op == "split":
            old = label_key(_parts(rec.get("themes"))[0])
            a, b = _parts(rec.get("target"))[:2]
            rows = np.flatnonzero(np.isin(codes, [i for i, key in enumerate(keys) if key == old]))
            if not len(rows):
                continue
            kind, _, value = str(rec.get("rule") or "").partition(":")
            if kind.strip() == "keyword":
                text = (notes["note"].take(rows).astype(object).fillna("").astype(str)
                        if "note" in notes else pd.Series("", index=rows))
                match = text.str.contains(value.strip(), case=False, regex=True).to_numpy()
            else:
                match = notes["source"].take(rows).astype(str).isin(value.split()).to_numpy()
            labels.extend((a, b))
            codes = codes.copy()
            codes[rows] = np.where(match, len(labels) - 2, len(labels) - 1)
    return codes, labels


def residual_todo(codebook: pd.DataFrame, *, file: str | None = None,
                  sheet: str | None = "codebook") -> list[Problem]:
    """Warn about themes still in a residual category ('Other', 'Altro', ...): a to-do list.

    One warning per residual category naming its themes; see :data:`RESIDUAL_CATEGORIES`.
    """
    problems = []
    for cat in dict.fromkeys(codebook["category"].dropna()):
        if label_key(cat) in RESIDUAL_CATEGORIES:
            todo = list(codebook.loc[codebook["category"] == cat, "theme"])
            problems.append(Problem(
                f"{len(todo)} theme(s) still in the residual category '{cat}', to relocate: "
                f"{', '.join(todo)}", file=file, sheet=sheet, severity="warning"))
    return problems
