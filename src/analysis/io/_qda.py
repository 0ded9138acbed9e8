"""Notes from the tools researchers code in: Taguette, REFI-QDA projects, wide code sheets.

Three readers turn a QDA tool's export into a :class:`~analysis.study.Study`, through the same
:func:`~analysis.io._build.build_study` as the template workbook, so label merges, the
codebook check and the import log work as everywhere else. Every input record (a highlight
row, a coding, a code cell) is either kept as one note or rejected with its place and
reason: ``log.read == log.kept + len(log.rejected)``.

**Taguette highlights** (:func:`read_taguette_highlights`): the *Export all highlights*
spreadsheet (CSV, or xlsx with a sheet ``highlights``), columns ``id, document, tag,
content``, one row per highlight and tag (a highlight with three tags is three rows, so an
``id`` repeats; an untagged highlight is one row with an empty tag). Each row becomes a note:
theme = tag, note = content. A tag written ``category.theme`` (Taguette's tag path) gives the
note its category, as :func:`~analysis.io.read_taguette_codebook` reads it. Each document is
one session; the groups come from a mapping or a regular expression on document names.

**REFI-QDA projects** (:func:`read_qdpx`): the ``.qdpx`` exchange format that NVivo,
ATLAS.ti, MAXQDA, QualCoder and others export: a zip holding ``project.qde`` (XML) and the
sources' texts under ``Sources/``. Each ``Coding`` of a selection is a note; the code tree
gives category and theme; each source is a session; cases (or sets of sources) are groups.

**Wide code sheets** (:func:`read_wide_codes`): a row per coded item with the codes spread
over several columns (``Code 1 ... Code 8``, ``Quality Factor 1, Quality Factor 2``), blanks
where a row has fewer codes. Each non-blank code cell is a note.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import io
import os
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..codebook import label_key, normalize_label
from ..study import ImportLog, Problem, Study, _excel_column
from ._build import build_study, natural_key
from ._errors import InputError, UnreadableFileError, UnsupportedFormatError
from ._interchange import (
    UNCATEGORIZED,
    _children,
    _codable,
    _description,
    _local,
    _namespace,
    _parse_xml,
    _some,
    _split_path,
)
from ._readers import (
    Limits,
    Workbook,
    _open_workbook,
    _sheet_rows,
    check_file_size,
    decode_text,
    detect_format,
)
from ._schema import SHEETS, sheet_for
from ._tables import cell_text, locate_header, note_text, raw_label
from ._values import is_blank, parse_date, parse_session

__all__ = [
    "PROJECT_NAMESPACE",
    "UNASSIGNED",
    "is_taguette_header",
    "read_qdpx",
    "read_taguette_highlights",
    "read_wide_codes",
    "sniff_qda_layout",
]

#: XML namespace of REFI-QDA projects (``project.qde``, QDA-XML 1.0).
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"

#: Group of the sources of a REFI-QDA project that belong to no case (or set) when others do.
UNASSIGNED = "Unassigned"

_RAW_COLUMNS = ["group", "session", "date", "theme", "category", "valence", "note", "speaker",
                "coder", "source", "_row"]
_SESSION_COLUMNS = ["group", "session", "date", "attendance", "duration_min"]
_TAGUETTE_COLUMNS = ("id", "document", "tag", "content")
_HEADER_ROWS = 30  # rows searched for a header, as for the template sheets
_ATLAS_SEP = "::"
_DOCUMENT_HEADERS = ("document", "documents", "doc", "file", "filename", "file name", "source",
                     "name", "documento", "fichier", "dokument")
_GROUP_HEADERS = ("group", "groups", "gruppo", "groupe", "gruppe", "grupo", "case", "set")
_ID_HEADERS = ("id",)
#: Headers that :func:`read_wide_codes` takes as code columns when none are named.
_DEFAULT_CODE_HEADER = re.compile(r"(?:codes?|tags?|themes?|labels?|categor(?:y|ies))"
                                  r"\s*[-_#.]?\s*\d+")
_SELECTION_SUFFIX = "Selection"


# --- shared helpers --------------------------------------------------------------------------


def _warn(log: ImportLog, message: str, *, file: str, sheet: str | None = None,
          row: int | None = None, column: str | None = None) -> None:
    log.warnings.append(Problem(message, file=file, sheet=sheet, row=row, column=column,
                                severity="warning"))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _notes_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the raw notes table :func:`build_study` takes (object columns)."""
    return pd.DataFrame({c: pd.Series([r.get(c) for r in records], dtype=object)
                         for c in _RAW_COLUMNS})


def _sessions_frame(records: list[dict[str, Any]], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Return a sessions table: group, session, date, attendance, duration_min, extras."""
    frame = pd.DataFrame({c: pd.Series([r.get(c) for r in records], dtype=object)
                          for c in [*_SESSION_COLUMNS, *extra]})
    frame["attendance"] = np.nan
    frame["duration_min"] = np.nan
    return frame


def _csv_rows(text: str, delimiter: str, file: str) -> list[list[Any]]:
    csv.field_size_limit(2**31 - 1)
    try:
        return [[c if c != "" else None for c in r]
                for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFileError(f"the CSV file is malformed ({exc})", file=file) from None


def _header_cells(row: Sequence[Any]) -> list[str]:
    """Return a header row as matching keys (tidy, case folded; blank cells as '')."""
    return [_header_key(v) if v.__hash__ is not None else label_key(cell_text(v))
            for v in row]


@functools.lru_cache(maxsize=8192, typed=True)
def _header_key(value: object) -> str:
    # grids repeat the same few marks and numbers in every row looked at
    return label_key(cell_text(value))


def _workbook_rows(path: Path, *, sheet: str | None, want: Callable[[list[list[Any]]], bool],
                   what: str) -> tuple[list[list[Any]], str]:
    """Return the rows of ``sheet`` (or of the first sheet ``want`` accepts) and its name."""
    file = path.name
    wb = _open_workbook(path)
    try:
        try:
            names = list(wb.sheet_names)
        except Exception as exc:  # calamine raises several types
            raise UnreadableFileError(f"the workbook cannot be read ({exc})", file=file) \
                from None
        listed = ", ".join(f"'{n}'" for n in names)
        if sheet is not None:
            found = next((n for n in names if n == sheet), None) or next(
                (n for n in names if label_key(n) == label_key(sheet)), None)
            if found is None:
                raise InputError(f"the workbook has no sheet '{sheet}' (sheets: {listed})",
                                 file=file)
            candidates = [found]
        else:
            candidates = names
        for name in candidates:
            rows, _ = _sheet_rows(wb, name, file)
            rows = [[None if isinstance(v, str) and v == "" else v for v in r] for r in rows]
            if sheet is not None or want(rows):
                return rows, name
        raise InputError(f"no sheet holds {what} (sheets: {listed})", file=file)
    finally:
        try:
            wb.close()
        except Exception:
            pass


def _find_header(rows: Sequence[Sequence[Any]], accept: Callable[[list[str]], bool]
                 ) -> int | None:
    for i, row in enumerate(rows[:_HEADER_ROWS]):
        if accept(_header_cells(row)):
            return i
    return None


def _cell(row: Sequence[Any], j: int | None) -> Any:
    return row[j] if j is not None and j < len(row) else None


def _doc_key(name: str) -> str:
    """Return a document name's key without its extension (``P2.odt`` -> ``p2``)."""
    key = label_key(name)
    stem, dot, ext = key.rpartition(".")
    return stem if dot and stem and 1 <= len(ext) <= 5 and ext.isalnum() else key


# --- Taguette highlights ---------------------------------------------------------------------


def is_taguette_header(cells: Sequence[Any]) -> bool:
    """Return True when a header row is that of a Taguette highlights export.

    Taguette writes exactly ``id, document, tag, content``; any case, surrounding spaces and
    extra columns after those (e.g. added by hand in a spreadsheet) are accepted.

    Parameters
    ----------
    cells : sequence
        The header row's cell values.
    """
    keys = [k for k in _header_cells(cells) if k]
    return all(c in keys for c in ("document", "tag", "content")) and not any(
        k in keys for k in ("theme", "group", "session"))


@dataclass
class _Mapping:
    """Document -> (group, session, date) from a dict or a two-column file."""

    label: str  # for messages: the mapping file's name, or "the groups mapping"
    entries: list[tuple[str, str, int | None, dt.date | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.used: set[int] = set()
        self._index: list[dict[str, int]] = [{}, {}, {}]

    def index(self, log: ImportLog, file: str) -> None:
        dupes: list[str] = []
        for i, (doc, group, _, _) in enumerate(self.entries):
            for level, key in enumerate((doc, label_key(doc), _doc_key(doc))):
                first = self._index[level].setdefault(key, i)
                if level == 1 and first != i and self.entries[first][1] != group:
                    dupes.append(doc)
        if dupes:
            _warn(log, f"{self.label} gives {_plural(len(dupes), 'document')} ({_some(dupes)}) "
                       "more than one group; the first is used", file=file)

    def find(self, document: str) -> int | None:
        for level, key in enumerate((document, label_key(document), _doc_key(document))):
            if key in self._index[level]:
                return self._index[level][key]
        return None


def _read_mapping(source: str | os.PathLike[str] | Mapping[str, str], *, dayfirst: bool,
                  limits: Limits, log: ImportLog, file: str) -> _Mapping:
    """Read the document -> group mapping from a dict or a CSV/xlsx file."""
    if isinstance(source, Mapping):
        mapping = _Mapping("the groups mapping")
        for doc, group in source.items():
            if not normalize_label(doc) or not normalize_label(group):
                raise ValueError(f"the groups mapping has an empty document or group "
                                 f"({doc!r}: {group!r})")
            mapping.entries.append((str(doc), normalize_label(group), None, None))
        mapping.index(log, file)
        return mapping
    path = Path(source)
    name = path.name
    kind = detect_format(path, limits=limits)
    if kind not in ("csv", "xlsx", "ods"):  # pragma: no cover - detect_format raises first
        raise UnsupportedFormatError("the groups mapping must be a CSV or xlsx file", file=name)

    def has_two_columns(rows: list[list[Any]]) -> bool:
        return any(sum(not is_blank(v) for v in r) >= 2 for r in rows[:_HEADER_ROWS])

    if kind == "csv":
        text = decode_text(path.read_bytes(), name, log)
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t|", key=first.count) if first else ","
        rows = _csv_rows(text, delimiter, name)
        sheet = None
    else:
        rows, sheet = _workbook_rows(path, sheet=None, want=has_two_columns,
                                     what="a document and a group column")
    mapping = _Mapping(f"the groups mapping {name}")
    h = _find_header(rows, lambda keys: any(k in _DOCUMENT_HEADERS for k in keys)
                     and any(k in _GROUP_HEADERS for k in keys))
    if h is None:  # no header: the first two columns, from the first row
        col_doc, col_group, col_session, col_date, start = 0, 1, None, None, 0
    else:
        keys = _header_cells(rows[h])
        col_doc = next(j for j, k in enumerate(keys) if k in _DOCUMENT_HEADERS)
        col_group = next(j for j, k in enumerate(keys) if k in _GROUP_HEADERS and j != col_doc)
        col_session = next((j for j, k in enumerate(keys) if k == "session"), None)
        col_date = next((j for j, k in enumerate(keys) if k == "date"), None)
        start = h + 1
    where = {"file": name, "sheet": sheet}
    for i in range(start, len(rows)):
        row = rows[i]
        doc, group = cell_text(_cell(row, col_doc)), normalize_label(cell_text(_cell(row,
                                                                                     col_group)))
        if not doc and not group:
            continue
        if not doc or not group:
            log.warnings.append(Problem(
                "this row of the groups mapping has no " + ("document" if not doc else "group")
                + "; it was skipped", row=i + 1, severity="warning", **where))
            continue
        session = parse_session(_cell(row, col_session)) if col_session is not None else None
        date = parse_date(_cell(row, col_date), dayfirst=dayfirst) if col_date is not None \
            else None
        mapping.entries.append((doc, group, session, date))
    if not mapping.entries:
        raise InputError("the groups mapping holds no document-group pairs", file=name)
    mapping.index(log, file)
    return mapping


def _compile_pattern(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"group_pattern {pattern!r} is not a valid regular expression "
                         f"({exc})") from None


def _pattern_group(pattern: re.Pattern[str], document: str) -> str | None:
    """Return the group a pattern finds in a document name (first capture, else the match)."""
    m = pattern.search(document)
    if m is None:
        return None
    value = next((g for g in m.groups() if g), None) if pattern.groups else m.group(0)
    return normalize_label(value) or None


def _number_sessions(documents: Iterable[tuple[str, str]],
                     fixed: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """Return each document's session: 1..n per group in natural order, fixed ones kept."""
    by_group: dict[str, list[str]] = {}
    for group, doc in documents:
        by_group.setdefault(group, [])
        if doc not in by_group[group]:
            by_group[group].append(doc)
    numbers: dict[tuple[str, str], int] = {}
    for group, docs in by_group.items():
        taken = {fixed[(group, d)] for d in docs if (group, d) in fixed}
        n = 0
        for doc in sorted(docs, key=natural_key):
            if (group, doc) in fixed:
                numbers[(group, doc)] = fixed[(group, doc)]
                continue
            n += 1
            while n in taken:
                n += 1
            numbers[(group, doc)] = n
    return numbers


def read_taguette_highlights(
    path: str | os.PathLike[str],
    *,
    groups: Mapping[str, str] | str | os.PathLike[str] | None = None,
    group_pattern: str | re.Pattern[str] | None = None,
    dayfirst: bool = True,
    limits: Limits | None = None,
) -> Study:
    r"""Read a Taguette highlights export (CSV or xlsx) as a study.

    Parameters
    ----------
    path : str or path-like
        Taguette's *Export all highlights* file: columns ``id, document, tag, content``, one
        row per highlight and tag. CSV (any encoding :func:`decode_text` reads, CRLF or LF,
        quoted texts spanning lines) or a workbook (the sheet whose header has those
        columns, ``highlights`` in Taguette's own xlsx).
    groups : dict or str or path-like, optional
        Which group each document belongs to: a dict ``{document: group}`` or a CSV/xlsx
        file with a ``document`` and a ``group`` column (or, without a header row, those two
        columns first). The file may add a ``session`` column (to number sessions by hand)
        and a ``date`` column (the session's date). Names match exactly, else ignoring case
        and spacing, else ignoring the extension (``P2`` matches ``P2.odt``).
    group_pattern : str or re.Pattern, optional
        A regular expression searched in each document name; its first capture group (or,
        without groups, the whole match) is the group, e.g. ``r"^(P\d+)_"`` or
        ``r"(?i)(control|intervention)"``. Used for the documents the ``groups`` mapping does
        not name when both are given.
    dayfirst : bool, default True
        Read ambiguous dates in the mapping file's ``date`` column as day/month.
    limits : Limits, optional
        Size limits checked before reading; see :class:`~analysis.io.Limits`.

    Returns
    -------
    Study
        One note per row: theme = ``tag`` (a tag ``category.theme`` is split, the part
        before the dot being the category), note = ``content``, source
        ``<file or sheet>!C<row>`` (the tag cell). Each document is one session, numbered
        1..n within its group in natural order of the document names (``P2`` before
        ``P10``) unless the mapping file numbers it; ``study.sessions`` keeps the document
        name in an extra column ``document``. Without ``groups`` and ``group_pattern`` all
        documents form one group named after the file (its stem).

    Raises
    ------
    InputError
        When the file cannot be read or has no ``document``, ``tag`` and ``content``
        columns in its first rows.
    ValueError
        For an invalid ``group_pattern`` or an empty name in a ``groups`` dict.

    Notes
    -----
    Rows are rejected (listed in ``study.log.rejected`` with their row and reason, so that
    ``check`` fails until they are dealt with) when the tag is empty (Taguette exports an
    untagged highlight that way), the document is empty, or the document has no group: not
    in the mapping and not matched by the pattern. Rejecting rather than collecting them in
    a catch-all group keeps a typo in the mapping from silently making a group of its own;
    the message names the document and suggests the closest names of the mapping.
    """
    p = Path(path)
    file = p.name
    limits = limits or Limits()
    kind = detect_format(p, limits=limits)
    log = ImportLog(files=[file])
    if kind == "csv":
        text = decode_text(p.read_bytes(), file, log)
        first = text.split("\n", 1)[0].rstrip("\r")
        delimiter = next((d for d in (",", ";", "\t", "|") if is_taguette_header(
            next(csv.reader([first], delimiter=d), []))), ",")
        rows = _csv_rows(text, delimiter, file)
        sheet = None
    else:
        rows, sheet = _workbook_rows(
            p, sheet=None, want=lambda r: _find_header(r, is_taguette_header) is not None,
            what="Taguette highlights (columns id, document, tag, content)")
    label = sheet if sheet is not None else file
    h = _find_header(rows, is_taguette_header)
    if h is None:
        raise InputError(
            "no header row with the columns document, tag and content of a Taguette "
            f"highlights export in the first {_HEADER_ROWS} rows", file=file, sheet=sheet)
    keys = _header_cells(rows[h])
    col = {name: keys.index(name) if name in keys else None for name in _TAGUETTE_COLUMNS}
    col_doc, col_tag, col_content = col["document"], col["tag"], col["content"]
    assert col_doc is not None and col_tag is not None and col_content is not None
    tag_letter = _excel_column(col_tag)

    mapping = (_read_mapping(groups, dayfirst=dayfirst, limits=limits, log=log, file=file)
               if groups is not None else None)
    pattern = _compile_pattern(group_pattern) if group_pattern is not None else None
    default_group = p.stem

    if mapping is not None:  # which entries name a document of the export (hints use the rest)
        for row in rows[h + 1:]:
            at = mapping.find(cell_text(_cell(row, col_doc)))
            if at is not None:
                mapping.used.add(at)
    where = {"file": file, "sheet": sheet}
    kept: list[dict[str, Any]] = []
    no_group: dict[str, int] = {}
    split_tags: list[str] = []
    fixed: dict[tuple[str, str], int] = {}
    dates: dict[tuple[str, str], dt.date | None] = {}
    read = 0
    for i in range(h + 1, len(rows)):
        row = rows[i]
        if all(is_blank(v) for v in row):
            continue
        read += 1
        r = i + 1
        doc = cell_text(_cell(row, col_doc))
        tag = raw_label(_cell(row, col_tag))
        hid = cell_text(_cell(row, col["id"]))
        what = f"highlight {hid}" if hid else "this highlight"
        if not doc:
            log.rejected.append(Problem(f"{what} has no document", row=r,
                                        column=f"{_excel_column(col_doc)} (document)", **where))
            continue
        if not normalize_label(tag):
            log.rejected.append(Problem(
                f"{what} (document '{doc}') has no tag, so no theme: Taguette exports an "
                "untagged highlight with an empty tag; tag it in Taguette or delete it",
                row=r, column=f"{tag_letter} (tag)", **where))
            continue
        group: str | None = None
        if mapping is None and pattern is None:
            group = default_group
        else:
            at = mapping.find(doc) if mapping is not None else None
            if at is not None and mapping is not None:
                _, group, session, date = mapping.entries[at]
                if session is not None:
                    fixed[(group, doc)] = session
                if date is not None:
                    dates[(group, doc)] = date
            elif pattern is not None:
                group = _pattern_group(pattern, doc)
        if group is None:
            no_group[doc] = no_group.get(doc, 0) + 1
            log.rejected.append(Problem(_no_group_reason(doc, mapping, pattern), row=r,
                                        column=f"{_excel_column(col_doc)} (document)", **where))
            continue
        category, theme = _split_path(normalize_label(tag))
        if category is not None:
            split_tags.append(normalize_label(tag))
        else:
            theme = tag
        kept.append({"group": group, "_doc": doc, "date": None, "theme": theme,
                     "category": category, "valence": "neutral",
                     "note": _note(_cell(row, col_content)), "speaker": None, "coder": None,
                     "source": f"{label}!{tag_letter}{r}", "_row": r})
    log.read = read
    log.kept = len(kept)
    log.sheets[label] = read
    if read == 0:
        _warn(log, "the export holds no highlights", file=file, sheet=sheet)

    if mapping is not None:
        unused = [d for i, (d, *_) in enumerate(mapping.entries) if i not in mapping.used]
        if unused:
            _warn(log, f"{mapping.label} names {_plural(len(unused), 'document')} "
                       f"({_some(unused)}) that {'has' if len(unused) == 1 else 'have'} no "
                       "highlights in the export", file=file)
    if no_group:
        docs = list(no_group)
        log.errors.append(Problem(
            f"{_plural(len(docs), 'document')} ({_some(docs)}) "
            f"{'has' if len(docs) == 1 else 'have'} no group, so "
            f"{_plural(sum(no_group.values()), 'highlight row')} "
            f"{'was' if sum(no_group.values()) == 1 else 'were'} rejected; add "
            f"{'it' if len(docs) == 1 else 'them'} to the groups mapping or adjust the "
            "pattern", **where))
    if split_tags:
        distinct = list(dict.fromkeys(split_tags))
        _warn(log, f"{_plural(len(distinct), 'tag')} ({_some(distinct)}) "
                   f"{'is' if len(distinct) == 1 else 'are'} written 'category.theme' "
                   "(Taguette's tag path); the part before the dot was read as the category",
              file=file, sheet=sheet)

    numbers = _number_sessions(((n["group"], n["_doc"]) for n in kept), fixed)
    for n in kept:
        n["session"] = numbers[(n["group"], n["_doc"])]
    sessions = _sessions_frame(
        [{"group": g, "session": s, "date": dates.get((g, d)), "document": d}
         for (g, d), s in sorted(numbers.items(), key=lambda kv: (natural_key(kv[0][0]),
                                                                   kv[1]))],
        extra=["document"])
    group_order = None if mapping is None else list(dict.fromkeys(
        e[1] for i, e in enumerate(mapping.entries) if i in mapping.used))
    return build_study(_notes_frame(kept), log=log, file=file, sessions=sessions,
                       group_order=group_order or None, source=p)


def _note(value: Any) -> str | None:
    """Return a note text with CRLF line ends as LF, or None when blank."""
    if is_blank(value):
        return None
    text = value if isinstance(value, str) else cell_text(value)
    return note_text(text.replace("\r\n", "\n").replace("\r", "\n")) or None


def _no_group_reason(doc: str, mapping: _Mapping | None,
                     pattern: re.Pattern[str] | None) -> str:
    parts = []
    if mapping is not None:  # suggest entries that match no document: likely typos
        names = [d for i, (d, *_) in enumerate(mapping.entries) if i not in mapping.used]
        close = difflib.get_close_matches(label_key(doc), [label_key(n) for n in names], n=2,
                                          cutoff=0.6)
        hint = [next(n for n in names if label_key(n) == c) for c in close]
        tip = f" (did you mean {' or '.join(repr(x) for x in hint)}?)" if hint else ""
        parts.append(f"is not in {mapping.label}{tip}")
    if pattern is not None:
        parts.append(f"does not match the group pattern {pattern.pattern!r}")
    return (f"document '{doc}' has no group: it " + " and ".join(parts)
            + "; the highlight is not counted")


# --- REFI-QDA projects -----------------------------------------------------------------------


@dataclass
class _Code:
    """One code of the code tree, with its path of names from the top level."""

    guid: str
    path: tuple[str, ...]
    has_children: bool
    codable: bool
    order: int


@dataclass
class _Theme:
    """Where an applied code is counted: theme identity (a path), label and category."""

    identity: tuple[str, ...]
    label: str
    category: str
    shallow: bool  # the code sits at or above the category level


def _split_atlas(name: str) -> tuple[list[str], bool]:
    """Split an ATLAS.ti-style name ``Category::Theme`` into its parts."""
    if _ATLAS_SEP in name:
        parts = [normalize_label(x) for x in name.split(_ATLAS_SEP)]
        if all(parts):
            return parts, True
    return [name], False


class _CodeTree:
    """The codebook of a project: every code with its path, and the category/theme rule."""

    def __init__(self, book: ET.Element | None, category_level: int,
                 theme_level: int | None) -> None:
        self.codes: dict[str, _Code] = {}
        self.descriptions: dict[tuple[str, ...], str] = {}
        self.atlas: list[str] = []
        self.unnamed = 0
        self.repeated_guids: list[str] = []
        self.category_level = category_level
        self.theme_level = theme_level
        self._order = 0
        if book is not None:
            for codes in _children(book, "Codes"):
                self._walk(codes, ())

    def _walk(self, parent: ET.Element, path: tuple[str, ...]) -> None:
        for el in _children(parent, "Code"):
            name = normalize_label(el.get("name"))
            if not name:
                self.unnamed += 1
                name = "(unnamed code)"
            parts, atlas = _split_atlas(name)
            if atlas:
                self.atlas.append(name)
            own = (*path, *parts)
            guid = (el.get("guid") or "").strip()
            kids = _children(el, "Code")
            if guid in self.codes:
                self.repeated_guids.append(guid)
            elif guid:
                self._order += 1
                self.codes[guid] = _Code(guid, own, bool(kids), _codable(el), self._order)
            text = _description(el)
            if text and text.strip():
                self.descriptions.setdefault(own, normalize_label(text))
            self._walk(el, own)

    def theme_of(self, code: _Code) -> _Theme:
        """Return the theme and category a coding with ``code`` counts under."""
        path, level = code.path, self.category_level
        k = len(path)
        if k > level:
            depth = k if self.theme_level is None else min(self.theme_level, k)
            return _Theme(path[:depth], path[depth - 1], path[level - 1], False)
        if code.has_children:  # coded directly with a code that is a category
            category = path[-1]
        elif k >= 2:  # a leaf above the category level: its parent is its category
            category = path[-2]
        else:
            category = UNCATEGORIZED
        return _Theme(path, path[-1], category, True)


def _qualify(themes: Iterable[_Theme]) -> tuple[dict[tuple[str, ...], str], list[str]]:
    """Give distinct themes that share a label distinct labels (their path's last parts)."""
    by_key: dict[str, list[_Theme]] = {}
    for t in themes:
        group = by_key.setdefault(label_key(t.label), [])
        if all(o.identity != t.identity for o in group):
            group.append(t)
    labels: dict[tuple[str, ...], str] = {}
    renamed: list[str] = []
    for group in by_key.values():
        if len(group) == 1:
            labels[group[0].identity] = group[0].label
            continue
        longest = max(len(t.identity) for t in group)
        names = [t.label for t in group]  # same path but for case: they stay one theme
        for m in range(2, longest + 1):
            names = [" > ".join(t.identity[-m:]) for t in group]
            if len({label_key(n) for n in names}) == len(names) or m == longest:
                break
        for t, name in zip(group, names, strict=True):
            labels[t.identity] = name
            if name != t.label:
                renamed.append(name)
    return labels, renamed


def _text_units(text: str, selections: Sequence[tuple[int, int]], origin: str,
                positions: str) -> tuple[str, bool]:
    """Decide whether positions count code points or UTF-16 code units.

    Returns the choice and whether it was a guess (the two readings differ and the origin
    did not decide).
    """
    if positions != "auto":
        return positions, False
    if all(ord(c) < 0x10000 for c in text):
        return "codepoints", False
    if re.search(r"nvivo|maxqda", origin, re.IGNORECASE):
        return "utf16", False
    units = text.encode("utf-16-le")

    def boundary(before: str, after: str) -> bool:
        ok_before = before == "" or not before.isalnum()
        ok_after = after == "" or not after.isalnum()
        return ok_before and ok_after

    score = {"codepoints": 0, "utf16": 0}
    for start, end in selections:
        cp_before, cp_after = text[max(start - 1, 0):start], text[end:end + 1]
        if start == 0:
            cp_before = ""
        score["codepoints"] += boundary(cp_before, cp_after)
        u_before = units[max(2 * start - 2, 0):2 * start].decode("utf-16-le", "replace")
        u_after = units[2 * end:2 * end + 2].decode("utf-16-le", "replace")
        score["utf16"] += boundary("" if start == 0 else u_before, u_after)
    choice = "utf16" if score["utf16"] > score["codepoints"] else "codepoints"
    return choice, True


def _decode_source(data: bytes) -> tuple[str, bool]:
    """Decode a source's plain text (UTF-8 as REFI-QDA says; BOMs honoured); flag a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace"), True


@dataclass
class _Source:
    guid: str
    name: str
    kind: str
    order: int
    text_path: str | None = None
    inline: str | None = None
    codings: list[tuple[ET.Element, ET.Element, bool]] = field(default_factory=list)


def _collect_codings(el: ET.Element, source: _Source) -> None:
    """Add the codings below ``el`` to ``source``, noting which selections are plain text."""
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name.endswith(_SELECTION_SUFFIX):
            for coding in _children(child, "Coding"):
                source.codings.append((child, coding, name == "PlainTextSelection"))
        if name == "Representation" and source.text_path is None:
            source.text_path = child.get("plainTextPath")
        if name != "Coding":
            _collect_codings(child, source)


def _member_for(text_path: str, members: Mapping[str, str]) -> str | None:
    """Find the zip member of an ``internal://GUID.txt`` path (any case of ``Sources/``)."""
    rest = re.sub(r"^internal://", "", text_path.strip(), flags=re.IGNORECASE)
    if "://" in rest:  # relative:// or absolute://: a file outside the project
        return None
    rest = rest.replace("\\", "/").lstrip("/")
    for candidate in (f"sources/{rest}", rest):
        if candidate.lower() in members:
            return members[candidate.lower()]
    base = PurePosixPath(rest).name.lower()
    return next((v for k, v in members.items() if PurePosixPath(k).name == base), None)


def read_qdpx(
    path: str | os.PathLike[str],
    *,
    category_level: int = 1,
    theme_level: int | None = None,
    positions: Literal["auto", "codepoints", "utf16"] = "auto",
    limits: Limits | None = None,
) -> Study:
    """Read a REFI-QDA project (``.qdpx``) as a study: each coding of a source is a note.

    Parameters
    ----------
    path : str or path-like
        A ``.qdpx`` file: a zip holding ``project.qde`` (any case) and the sources' texts in
        ``Sources/`` (any case), as NVivo, ATLAS.ti, MAXQDA, QualCoder and others export.
        A bare ``project.qde`` (the XML alone) is read too: the texts written inline
        (``PlainTextContent``) give the notes, the others are missing (said in one warning
        naming the sources) and their coded segments are kept with an empty note.
    category_level : int, default 1
        Level of the code tree that gives a note its category: 1 = the top-level code above
        the applied code, 2 = the code below it, and so on.
    theme_level : int, optional
        Level of the code tree that gives a note its theme. By default the applied code
        itself; with a level (deeper than ``category_level``), codings of deeper codes count
        under their ancestor at that level.
    positions : {"auto", "codepoints", "utf16"}, default "auto"
        How selections' ``startPosition``/``endPosition`` count characters. REFI-QDA means
        Unicode characters, but NVivo and MAXQDA count UTF-16 code units, which differ after
        any character outside the Basic Multilingual Plane (e.g. an emoji). ``auto`` uses
        UTF-16 for NVivo and MAXQDA projects and otherwise the reading whose selections
        begin and end at word boundaries (with a warning).
    limits : Limits, optional
        Size limits checked before reading (the file size and the zip's total uncompressed
        size); see :class:`~analysis.io.Limits`.

    Returns
    -------
    Study
        One note per ``Coding``: group = the source's case (``Cases`` > ``Case`` >
        ``SourceRef``) or, without cases, its set (``Sets`` > ``Set`` > ``MemberSource``),
        else one group named after the file; session = the source, numbered 1..n within its
        group in natural order of source names (``study.sessions`` keeps the name in an
        extra column ``document``); theme and category from the code tree; note = the coded
        text read from the source's plain text by its positions (empty for selections of
        pictures, audio or video); coder = the name of the user who made the coding;
        source ``<source name>!<start>-<end>``. The codebook holds every codable code below
        the category level (so unused codes are listed as warnings, and the top-level codes
        are the categories), with the codes' descriptions as definitions.

    Raises
    ------
    InputError
        When the file is not a readable zip, is over a size limit, has no ``.qde`` file,
        its XML is malformed or has a DOCTYPE/ENTITY declaration (refused: entities can
        expand without limit), its root is not ``Project``, or it holds no coding at all.
    ValueError
        When ``category_level`` is below 1 or ``theme_level`` is not deeper than it.

    Notes
    -----
    Tolerated, each with one warning: the REFI-QDA namespace declared late or missing; a
    source text missing from the zip (its notes are kept with an empty text, one warning
    per source); ATLAS.ti names ``Category::Theme`` on flat codes (split into the two
    levels); positions outside the text; two codes of the same name in different places
    (each theme is then named by its path, ``parent > code``). A code applied at or above the
    category level counts under its own name: a code with children is its own category, a
    leaf takes its parent (``'Uncategorized'`` at the top level). Codings whose code is not
    in the codebook, or without a ``CodeRef``, are rejected.
    """
    if not isinstance(category_level, int) or category_level < 1:
        raise ValueError(f"category_level must be a whole number of 1 or more, not "
                         f"{category_level!r}")
    if theme_level is not None and (not isinstance(theme_level, int)
                                    or theme_level <= category_level):
        raise ValueError(f"theme_level must be deeper than category_level ({category_level}), "
                         f"not {theme_level!r}")
    if positions not in ("auto", "codepoints", "utf16"):
        raise ValueError(f"positions must be 'auto', 'codepoints' or 'utf16', not {positions!r}")
    p = Path(path)
    file = p.name
    limits = limits or Limits()
    _check_file(p, limits)
    with p.open("rb") as fh:
        zipped = fh.read(2) == b"PK"
    if not zipped and p.suffix.lower() != ".qdpx":  # a bare .qde: the XML, no Sources/
        log = ImportLog(files=[file])
        return _project_study(p.read_bytes(), file, p, log, None, {}, category_level,
                              theme_level, positions)
    try:
        with zipfile.ZipFile(p) as zf:
            return _read_project(zf, p, limits, category_level, theme_level, positions)
    except zipfile.BadZipFile:
        raise UnreadableFileError(
            "the file is not a zip archive or is damaged (a .qdpx project is a zip holding "
            "project.qde); export the project again", file=file) from None
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
        raise UnreadableFileError(f"the zip archive cannot be read ({exc}); export the "
                                  "project again without a password", file=file) from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error, OSError) as exc:
        raise UnreadableFileError(f"the zip archive cannot be read ({exc})", file=file) \
            from None


def _check_file(p: Path, limits: Limits) -> None:
    name = p.name
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise UnreadableFileError("file not found", file=str(p)) from None
    except OSError as exc:
        raise UnreadableFileError(f"the file cannot be opened ({exc.strerror or exc})",
                                  file=name) from None
    if p.is_dir():
        raise UnreadableFileError("is a folder, not a file", file=str(p))
    check_file_size(size, limits, name)


def _read_project(zf: zipfile.ZipFile, p: Path, limits: Limits, category_level: int,
                  theme_level: int | None, positions: str) -> Study:
    file = p.name
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_mb * 2**20:
        raise UnreadableFileError(
            f"the project would inflate to {total / 2**20:,.0f} MiB, over the "
            f"{limits.max_uncompressed_mb:g} MiB limit for uncompressed content; if the file "
            "is genuine, raise the limit with --max-mb (or Limits(max_uncompressed_mb=...))",
            file=file)
    # member names by their lower-case, forward-slash spelling (some tools write "\\")
    members = {i.filename.replace("\\", "/").lower(): i.filename for i in infos
               if not i.is_dir()}
    qdes = sorted((n for k, n in members.items() if k.endswith(".qde")),
                  key=lambda n: (n.replace("\\", "/").count("/"),
                                 PurePosixPath(n.replace("\\", "/")).name.lower()
                                 != "project.qde", n))
    if not qdes:
        raise UnsupportedFormatError(
            "this zip archive is not a REFI-QDA project: it holds no project.qde", file=file)
    qde = qdes[0]
    log = ImportLog(files=[file])
    if len(qdes) > 1:
        _warn(log, f"the archive holds {len(qdes)} .qde files; {qde} was read", file=file)
    return _project_study(zf.read(qde), qde, p, log, zf, members, category_level,
                          theme_level, positions)


def _project_study(data: bytes, qde: str, p: Path, log: ImportLog,
                   zf: zipfile.ZipFile | None, members: Mapping[str, str],
                   category_level: int, theme_level: int | None, positions: str) -> Study:
    """Read the XML of a project (from a ``.qdpx`` zip, or a bare ``.qde`` when ``zf`` is None)."""
    file = p.name
    root, line_of = _parse_xml(data, file, what=qde)
    if _local(root.tag) != "Project":
        raise UnreadableFileError(
            f"the root element of {qde} is <{_local(root.tag)}>, not <Project>: this is not a "
            "REFI-QDA project", file=file)
    _namespace_warning(root, line_of, log, file)
    origin = root.get("origin") or ""

    book = next(iter(_children(root, "CodeBook")), None)
    tree = _CodeTree(book, category_level, theme_level)
    users = {u.get("guid"): normalize_label(u.get("name")) or None
             for us in _children(root, "Users") for u in _children(us, "User")}

    sources: list[_Source] = []
    for holder in _children(root, "Sources"):
        for el in holder:
            if not isinstance(el.tag, str):
                continue
            src = _Source(guid=(el.get("guid") or "").strip(),
                          name=normalize_label(el.get("name")) or f"source {len(sources) + 1}",
                          kind=_local(el.tag), order=len(sources),
                          text_path=el.get("plainTextPath"))
            inline = _children(el, "PlainTextContent")
            if inline:
                src.inline = "".join(inline[0].itertext())
            _collect_codings(el, src)
            sources.append(src)
    n_codings = sum(len(s.codings) for s in sources)
    outside = sum(1 for e in root.iter() if _local(e.tag) == "Coding") - n_codings
    if n_codings == 0:
        raise InputError(
            f"the project holds no coded text: {_plural(len(sources), 'source')}, "
            f"{_plural(len(tree.codes), 'code')} and no Coding of any source; code the "
            "sources in the QDA program and export the project again", file=file)
    if outside > 0:
        _warn(log, f"{_plural(outside, 'coding')} not on a selection of a source (e.g. in "
                   f"notes or memos) {'was' if outside == 1 else 'were'} not read", file=file)

    group_of, group_order = _groups(root, sources, p.stem, log, file)

    # --- codings -> raw notes -----------------------------------------------------------------
    records: list[dict[str, Any]] = []
    applied: list[_Theme] = []
    shallow: list[str] = []
    missing_text: list[str] = []
    unread_text: list[str] = []
    guessed: list[str] = []
    bad_positions: list[str] = []
    no_text_kind = 0
    read = 0
    for src in sources:
        text: str | None = None
        units = "codepoints"
        need_text = any(plain for _, _, plain in src.codings)
        if need_text:
            text = _source_text(zf, src, members, log, file, missing_text, unread_text)
            if text is not None:
                spans = [_span(sel) for sel, _, plain in src.codings if plain]
                units, guess = _text_units(text, [s for s in spans if s is not None], origin,
                                           positions)
                if guess:
                    unit = "UTF-16 code units" if units == "utf16" else "characters"
                    guessed.append(f"{src.name} ({unit})")
        encoded = text.encode("utf-16-le") if text is not None and units == "utf16" else None
        for sel, coding, plain in src.codings:
            read += 1
            line = line_of.get(id(coding))
            at = f"{src.name}, {qde} line {line}" if line else src.name
            refs = _children(coding, "CodeRef")
            target = (refs[0].get("targetGUID") or "").strip() if refs else ""
            if not refs or not target:
                log.rejected.append(Problem(f"a coding in source '{at}' has no CodeRef, so no "
                                            "code; it is not counted", file=file, row=None))
                continue
            code = tree.codes.get(target)
            if code is None:
                log.rejected.append(Problem(
                    f"a coding in source '{at}' refers to the code {target}, which is not in "
                    "the codebook; it is not counted", file=file))
                continue
            theme = tree.theme_of(code)
            applied.append(theme)
            if theme.shallow:
                shallow.append(" > ".join(code.path))
            span = _span(sel) if plain else None
            note = None
            if plain and text is not None:
                if span is None:
                    bad_positions.append(at)
                else:
                    start, end = span
                    limit = len(encoded) // 2 if encoded is not None else len(text)
                    if end > limit:
                        bad_positions.append(at)
                    if encoded is not None:
                        piece = encoded[2 * start:2 * min(end, limit)].decode("utf-16-le",
                                                                              "replace")
                    else:
                        piece = text[start:min(end, limit)]
                    note = _note(piece)
            elif not plain:
                no_text_kind += 1
            where = f"{span[0]}-{span[1]}" if span else _local(sel.tag)
            records.append({"_source": src.guid or src.name, "_identity": theme.identity,
                            "date": None, "valence": "neutral", "note": note,
                            "speaker": None, "category": None,
                            "coder": users.get((coding.get("creatingUser") or "").strip()),
                            "source": f"{src.name}!{where}", "_row": line or 0})
    log.read = read
    log.kept = len(records)
    log.sheets[file] = read

    # --- codebook: every codable code below the category level, then the applied ones ------
    entries: list[_Theme] = [tree.theme_of(c) for c in sorted(tree.codes.values(),
                                                                key=lambda c: c.order)
                             if c.codable and len(c.path) > category_level]
    entries += applied
    labels, renamed = _qualify(entries)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for t in entries:
        if t.identity in seen:
            continue
        seen.add(t.identity)
        rows.append({"theme": labels[t.identity], "category": t.category,
                     "definition": tree.descriptions.get(t.identity), "aliases": None})
    codebook = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object)
                             for c in ("theme", "category", "definition", "aliases")})
    for rec in records:
        rec["theme"] = labels[rec.pop("_identity")]

    # --- sessions ---------------------------------------------------------------------------
    by_group: dict[str, list[_Source]] = {}
    for src in sources:
        by_group.setdefault(group_of[src.guid or src.name], []).append(src)
    session_of: dict[str, tuple[str, int]] = {}
    session_rows = []
    for group in group_order:
        for n, src in enumerate(sorted(by_group.get(group, []),
                                       key=lambda s: (natural_key(s.name), s.order)), start=1):
            session_of[src.guid or src.name] = (group, n)
            session_rows.append({"group": group, "session": n, "date": None,
                                 "document": src.name})
    for rec in records:
        rec["group"], rec["session"] = session_of[rec.pop("_source")]

    if zf is None and missing_text:
        _warn(log, f"{_plural(len(missing_text), 'source')} ({_some(missing_text)}) "
                   f"{'has' if len(missing_text) == 1 else 'have'} no text in this bare "
                   ".qde file: a .qde holds only the texts written inline (PlainTextContent); "
                   "the others live in the Sources/ folder of a .qdpx. Their coded segments "
                   "are kept with an empty note; export the project as .qdpx to keep the "
                   "texts", file=file)
        missing_text = []
    log.layout = ("REFI-QDA project (bare .qde, no Sources/)" if zf is None
                  else f"REFI-QDA project ({qde})")
    _project_warnings(log, file, tree, shallow, renamed, missing_text, unread_text, guessed,
                      bad_positions, no_text_kind)
    return build_study(_notes_frame(records), log=log, file=file, codebook=codebook,
                       codebook_sheet=None, sessions=_sessions_frame(session_rows,
                                                                     extra=["document"]),
                       group_order=group_order, source=p)


def _span(selection: ET.Element) -> tuple[int, int] | None:
    """Return a selection's (start, end) positions, or None when they are not usable."""
    try:
        start = int((selection.get("startPosition") or "").strip())
        end = int((selection.get("endPosition") or "").strip())
    except ValueError:
        return None
    if start < 0 or end < start:
        return None
    return start, end


def _source_text(zf: zipfile.ZipFile | None, src: _Source, members: Mapping[str, str],
                 log: ImportLog, file: str, missing: list[str], unread: list[str]
                 ) -> str | None:
    """Return a source's plain text (inline or from ``Sources/``), or None with a note why."""
    if src.inline is not None:
        return src.inline
    path = src.text_path or (f"internal://{src.guid}.txt" if src.guid else "")
    member = _member_for(path, members) if path and zf is not None else None
    if member is None or zf is None:
        missing.append(f"{src.name} ({path or 'no plainTextPath'})")
        return None
    try:
        data = zf.read(member)
    except (KeyError, RuntimeError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        unread.append(f"{src.name} ({member}: {exc})")
        return None
    text, guessed = _decode_source(data)
    if guessed:
        _warn(log, f"the text of source '{src.name}' ({member}) is not UTF-8; it was read as "
                   "Windows-1252, so accented letters may be wrong", file=file)
    return text


def _groups(root: ET.Element, sources: list[_Source], stem: str, log: ImportLog,
            file: str) -> tuple[dict[str, str], list[str]]:
    """Return each source's group (from cases, else sets of sources) and the group order."""
    keys = {s.guid: s.guid or s.name for s in sources}
    found: list[tuple[str, list[str]]] = []
    kind = ""
    for holder, item, ref, what in (("Cases", "Case", "SourceRef", "case"),
                                    ("Sets", "Set", "MemberSource", "set")):
        found = [(normalize_label(el.get("name")) or f"{what} {i + 1}",
                  [(r.get("targetGUID") or "").strip() for r in _children(el, ref)])
                 for h in _children(root, holder) for i, el in enumerate(_children(h, item))]
        found = [(name, refs) for name, refs in found if any(r in keys for r in refs)]
        if found:
            kind = what
            break
    if not found:
        return {s.guid or s.name: stem for s in sources}, [stem]
    group_of: dict[str, str] = {}
    several: list[str] = []
    for name, refs in found:
        for r in refs:
            if r not in keys:
                continue
            if keys[r] in group_of and group_of[keys[r]] != name:
                several.append(next(s.name for s in sources if s.guid == r))
                continue
            group_of[keys[r]] = name
    order = list(dict.fromkeys(name for name, _ in found if name in group_of.values()))
    if several:
        names = list(dict.fromkeys(several))
        _warn(log, f"{_plural(len(names), 'source')} ({_some(names)}) "
                   f"{'belongs' if len(names) == 1 else 'belong'} to more than one {kind}; the "
                   f"first {kind} is the group", file=file)
    alone = [s for s in sources if (s.guid or s.name) not in group_of]
    if alone:
        for s in alone:
            group_of[s.guid or s.name] = UNASSIGNED
        order.append(UNASSIGNED)
        _warn(log, f"{_plural(len(alone), 'source')} ({_some([s.name for s in alone])}) "
                   f"{'is' if len(alone) == 1 else 'are'} in no {kind}; "
                   f"{'it was' if len(alone) == 1 else 'they were'} put in the group "
                   f"'{UNASSIGNED}'", file=file)
    return group_of, order


def _namespace_warning(root: ET.Element, line_of: Mapping[int, int], log: ImportLog,
                       file: str) -> None:
    if _namespace(root.tag) == PROJECT_NAMESPACE:
        return
    inner = next((e for e in root.iter() if _namespace(e.tag) == PROJECT_NAMESPACE), None)
    if inner is not None:
        at = f" (line {line_of[id(inner)]})" if id(inner) in line_of else ""
        _warn(log, f"the REFI-QDA namespace {PROJECT_NAMESPACE} is declared late, on "
                   f"<{_local(inner.tag)}>{at} instead of <Project>; the file was read anyway",
              file=file)
    elif _namespace(root.tag):
        _warn(log, f"the project uses the XML namespace '{_namespace(root.tag)}' instead of "
                   f"{PROJECT_NAMESPACE}; the file was read anyway", file=file)
    else:
        _warn(log, f"the project declares no XML namespace (REFI-QDA uses "
                   f"{PROJECT_NAMESPACE}); the file was read anyway", file=file)


def _project_warnings(log: ImportLog, file: str, tree: _CodeTree, shallow: list[str],
                      renamed: list[str], missing_text: list[str], unread_text: list[str],
                      guessed: list[str], bad_positions: list[str], no_text_kind: int) -> None:
    for name in missing_text:
        _warn(log, f"the text of source {name} is not in the archive; its coded segments are "
                   "kept with an empty note", file=file)
    for name in unread_text:
        _warn(log, f"the text of source {name} cannot be read; its coded segments are kept "
                   "with an empty note", file=file)
    if tree.unnamed:
        _warn(log, f"{_plural(tree.unnamed, 'code')} without a name "
                   f"{'was' if tree.unnamed == 1 else 'were'} called '(unnamed code)'",
              file=file)
    if tree.repeated_guids:
        _warn(log, f"{_plural(len(tree.repeated_guids), 'code')} repeat the guid of an earlier "
                   f"code (e.g. {tree.repeated_guids[0]}); codings refer to the first",
              file=file)
    if tree.atlas:
        n = len(tree.atlas)
        _warn(log, f"{_plural(n, 'code name')} ({_some(tree.atlas)}) "
                   f"{'carries its' if n == 1 else 'carry their'} parent ATLAS.ti-style as "
                   "'Parent::Code'; the parts were read as levels of the code tree", file=file)
    if shallow:
        codes = list(dict.fromkeys(shallow))
        _warn(log, f"{_plural(len(shallow), 'coding')} {'uses' if len(shallow) == 1 else 'use'} "
                   f"{_plural(len(codes), 'code')} at or above the category level "
                   f"({_some(codes)}); each counts as a theme of its own name (a code with "
                   "sub-codes is its own category, a leaf takes its parent's, "
                   f"'{UNCATEGORIZED}' at the top level)", file=file)
    if renamed:
        _warn(log, f"{_plural(len(renamed), 'code')} share a name with a code elsewhere in the "
                   f"tree; each is named by its path ({_some(renamed)})", file=file)
    if guessed:
        _warn(log, "the project's program is not known to count text positions in characters "
                   "or in UTF-16 code units, and the texts hold characters where the two "
                   f"differ (e.g. emoji); read as the selections suggest: {_some(guessed)}. "
                   "Pass positions='codepoints' or 'utf16' to choose", file=file)
    if bad_positions:
        places = list(dict.fromkeys(bad_positions))
        _warn(log, f"{_plural(len(bad_positions), 'coded segment')} "
                   f"{'has' if len(bad_positions) == 1 else 'have'} positions that are missing "
                   f"or outside the source's text ({_some(places)}); the text within it was "
                   "kept", file=file)
    if no_text_kind:
        _warn(log, f"{_plural(no_text_kind, 'coding')} of pictures, audio, video or PDF "
                   "regions have no plain text; their notes are empty", file=file)


# --- wide code sheets ------------------------------------------------------------------------


def _prefix_matcher(prefix: str) -> Callable[[str], bool]:
    key = label_key(prefix)
    numbered = re.compile(re.escape(key) + r"\s*[-_#.]?\s*\d+")
    return lambda header: bool(header) and (header == key or numbered.fullmatch(header)
                                            is not None)


def _locate(keys: list[str], name: str) -> int | None:
    target = label_key(name)
    return next((j for j, k in enumerate(keys) if k == target), None)


def read_wide_codes(
    path: str | os.PathLike[str],
    *,
    columns: Sequence[str] | str | None = None,
    prefix: str | None = None,
    separator: str | None = None,
    sheet: str | None = None,
    group: str | None = None,
    session: str | None = None,
    note: str | None = None,
    date: str | None = None,
    coder: str | None = None,
    speaker: str | None = None,
    id: str | None = None,
    code_sep: str | None = None,
    dayfirst: bool = True,
    limits: Limits | None = None,
) -> Study:
    """Read a sheet with codes spread over several columns: one note per non-blank code cell.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx``, ``.xlsm`` or ``.ods`` workbook (formulas are read as their cached
        values) or a CSV file.
    columns : list of str or str, optional
        Headers of the code columns (matched ignoring case and spacing).
    prefix : str, optional
        Instead of ``columns``: every column headed by the prefix alone or followed by a
        number is a code column (``"Quality Factor"`` takes ``Quality Factor 1`` and
        ``Quality Factor 2`` but not ``Quality Factor mention``). Without ``columns`` and
        ``prefix``, columns headed ``Code 1``, ``Tag 2``, ``Theme 3`` ... are taken.
    separator : str, optional
        Separator between category and theme in a code, e.g. ``"->"`` or ``">"``: a cell
        ``parent -> child`` is theme ``child`` in category ``parent`` (split at the first
        separator; a cell without it has no category). Without it a cell is a theme with no
        category.
    sheet : str, optional
        The sheet to read; by default the first sheet whose header names the code columns.
    group, session, note, date, coder, speaker, id : str, optional
        Headers of columns holding each row's group, session number, note text, session
        date, coder, participant (speaker) and identifier. Without ``group`` all rows form
        one group named after the file.
        Without ``session`` every row is its own session: numbered by the row's ``ID``
        column when it holds whole numbers, else 1..n in row order within the group (the
        ``ID`` is then kept in an extra ``id`` column of ``study.sessions``); ``id`` names
        that column when it is not headed ``ID``.
    code_sep : str, optional
        Several codes in one cell, separated by this text: one note per code.
    dayfirst : bool, default True
        Read ambiguous text dates as day/month.
    limits : Limits, optional
        Size limits checked before reading; see :class:`~analysis.io.Limits`.

    Returns
    -------
    Study
        One note per non-blank code cell; source ``<sheet or file>!<cell>``. Every row with
        a value in it is a session (so rows without codes still count as observed sessions).

    Raises
    ------
    InputError
        When the file cannot be read, or no header row in the first 30 rows names the code
        columns and the named group/session/note/date/coder columns (the message lists the
        headers found).
    ValueError
        When both ``columns`` and ``prefix`` are given, or ``separator`` is empty.

    Notes
    -----
    Code cells are rejected, with their cell and reason, when the row's group or session is
    blank or not readable, the date is not a date, or nothing is left of the code once the
    separator is removed. The same code twice in one row is kept twice (one note per cell),
    with a warning.
    """
    if columns is not None and prefix is not None:
        raise ValueError("give either columns or prefix, not both")
    if separator is not None and not separator.strip():
        raise ValueError("separator must not be empty or blank")
    if isinstance(columns, str):
        columns = [columns]
    p = Path(path)
    file = p.name
    limits = limits or Limits()
    kind = detect_format(p, limits=limits)
    log = ImportLog(files=[file])
    named = {"group": group, "session": session, "note": note, "date": date, "coder": coder,
             "speaker": speaker, "id": id}

    if columns is not None:
        wanted = [label_key(c) for c in columns]
        if not all(wanted):
            raise ValueError("columns holds an empty header")

        def is_code(key: str) -> bool:
            return key in wanted
    elif prefix is not None:
        if not label_key(prefix):
            raise ValueError("prefix must not be empty")
        is_code = _prefix_matcher(prefix)
    else:
        def is_code(key: str) -> bool:
            return _DEFAULT_CODE_HEADER.fullmatch(key) is not None

    def accept(keys: list[str]) -> bool:
        if columns is not None:
            found = all(k in keys for k in wanted)
        else:
            found = any(is_code(k) for k in keys)
        return found and all(label_key(v) in keys for v in named.values() if v)

    if kind == "csv":
        from ._readers import sniff_delimiter

        text = decode_text(p.read_bytes(), file, log)
        rows = _csv_rows(text, sniff_delimiter(text), file)
        label, sheet_name = file, None
        if sheet is not None:
            _warn(log, f"a CSV file has no sheets; sheet '{sheet}' was ignored", file=file)
    else:
        rows, sheet_name = _workbook_rows(p, sheet=sheet, want=lambda r: _find_header(
            r, accept) is not None, what="the code columns")
        label = sheet_name
    h = _find_header(rows, accept)
    if h is None:
        want = (", ".join(repr(c) for c in columns) if columns is not None else
                f"columns starting with {prefix!r}" if prefix is not None else
                "columns headed 'Code 1', 'Code 2' ... (name them with columns= or prefix=)")
        extra = [f"{k} {v!r}" for k, v in named.items() if v]
        first = next((r for r in rows[:_HEADER_ROWS] if not all(is_blank(v) for v in r)), [])
        headers = [cell_text(v) for v in first if not is_blank(v)]
        shown = ", ".join(repr(x) for x in headers[:20]) + (" ..." if len(headers) > 20 else "")
        raise InputError(
            f"no header row in the first {_HEADER_ROWS} rows names {want}"
            + (f" and the {', '.join(extra)} column{'s' if len(extra) > 1 else ''}"
               if extra else "")
            + (f" (the first row holds {shown})" if headers else " (the sheet is empty)"),
            file=file, sheet=sheet_name)
    keys = _header_cells(rows[h])
    if columns is not None:
        code_cols = [keys.index(k) for k in wanted]
    else:
        code_cols = [j for j, k in enumerate(keys) if is_code(k)]
    for j, k in enumerate(keys):
        if k and keys.index(k) != j and (j in code_cols or keys.index(k) in code_cols):
            _warn(log, f"two columns are headed '{cell_text(rows[h][j])}'; only the first "
                       "is read", file=file, sheet=sheet_name, row=h + 1,
                  column=_excel_column(j))
    code_cols = list(dict.fromkeys(code_cols))
    col = {k: _locate(keys, v) if v else None for k, v in named.items()}
    id_col = col["id"]
    if session is None and id_col is None:
        id_col = next((j for j, k in enumerate(keys) if k in _ID_HEADERS
                       and j not in code_cols), None)

    def colname(j: int) -> str:
        return f"{_excel_column(j)} ({cell_text(rows[h][j])})"

    where = {"file": file, "sheet": sheet_name}
    body = [(i + 1, rows[i]) for i in range(h + 1, len(rows))
            if not all(is_blank(v) for v in rows[i])]
    # session numbers: a column, else the ID column (whole numbers), else row order
    ids = [_cell(r, id_col) for _, r in body] if id_col is not None else []
    id_numbers = [parse_session(v) if not isinstance(v, str) or v.strip().isdigit() else None
                  for v in ids]
    use_ids = bool(ids) and all(n is not None for n in id_numbers)
    if id_col is not None and not use_ids and body:
        _warn(log, f"the ID column {colname(id_col)} does not hold whole numbers on every row, "
                   "so rows are numbered 1, 2, 3 ... as sessions within their group; the IDs "
                   "are kept in the sessions table's 'id' column", file=file, sheet=sheet_name)

    records: list[dict[str, Any]] = []
    session_rows: dict[tuple[str, int], dict[str, Any]] = {}
    counters: dict[str, int] = {}
    no_category: list[str] = []
    repeats: list[str] = []
    read = 0
    for n, (r, row) in enumerate(body):
        cells = [(j, _cell(row, j)) for j in code_cols]
        cells = [(j, v) for j, v in cells if not is_blank(v)]
        read += len(cells)
        reason, bad_col = None, None
        grp = p.stem
        if col["group"] is not None:
            grp = normalize_label(cell_text(_cell(row, col["group"])))
            if not grp:
                reason, bad_col = "the row's group is blank", col["group"]
        when = None
        if col["date"] is not None and reason is None:
            raw = _cell(row, col["date"])
            when = parse_date(raw, dayfirst=dayfirst)
            if when is None and not is_blank(raw):
                reason = f"the row's date '{cell_text(raw)}' is not a date"
                bad_col = col["date"]
        number: int | None = None
        if reason is None:
            if col["session"] is not None:
                raw = _cell(row, col["session"])
                number = parse_session(raw)
                if number is None:
                    reason = ("the row's session is blank" if is_blank(raw) else
                              f"the row's session '{cell_text(raw)}' is not a whole number "
                              "of 1 or more")
                    bad_col = col["session"]
            elif use_ids:
                number = id_numbers[n]
            else:
                counters[grp] = counters.get(grp, 0) + 1
                number = counters[grp]
        if reason is not None:
            for j, _ in cells:
                log.rejected.append(Problem(
                    f"code not counted: {reason} (column {colname(bad_col or j)})",
                    row=r, column=colname(j), **where))
            continue
        assert number is not None
        entry = session_rows.setdefault((grp, number), {"group": grp, "session": number,
                                                        "date": when})
        if entry["date"] is None and when is not None:
            entry["date"] = when
        if id_col is not None:
            entry.setdefault("id", cell_text(_cell(row, id_col)) or None)
        text = _note(_cell(row, col["note"])) if col["note"] is not None else None
        who = (normalize_label(cell_text(_cell(row, col["coder"]))) or None
               if col["coder"] is not None else None)
        speaker_ = (normalize_label(cell_text(_cell(row, col["speaker"]))) or None
                    if col["speaker"] is not None else None)
        if code_sep is not None:
            split = [(j, piece.strip()) for j, v in cells
                     for piece in (v.split(code_sep) if isinstance(v, str) else [v])
                     if not isinstance(piece, str) or piece.strip()]
            read += len(split) - len(cells)
            cells = split
        seen_codes: set[str] = set()
        for j, value in cells:
            code = raw_label(value)
            category: str | None = None
            theme = code
            if separator is not None:
                before, sep, after = code.partition(separator)
                if sep:
                    category = normalize_label(before) or None
                    theme = after.strip()
                else:
                    no_category.append(f"{_excel_column(j)}{r}")
            if not normalize_label(theme):
                log.rejected.append(Problem(
                    f"code '{cell_text(value)}' has nothing after {separator!r}, so no theme",
                    row=r, column=colname(j), **where))
                continue
            key = label_key(code)
            if key in seen_codes:
                repeats.append(f"{_excel_column(j)}{r}")
            seen_codes.add(key)
            records.append({"group": grp, "session": number, "date": when, "theme": theme,
                            "category": category, "valence": "neutral", "note": text,
                            "speaker": speaker_, "coder": who,
                            "source": f"{label}!{_excel_column(j)}{r}", "_row": r})
    log.read = read
    log.kept = len(records)
    log.sheets[label] = read
    if read == 0:
        _warn(log, "the code columns hold no codes", file=file, sheet=sheet_name)
    if no_category:
        _warn(log, f"{_plural(len(no_category), 'code')} (e.g. cell {no_category[0]}) "
                   f"{'has' if len(no_category) == 1 else 'have'} no {separator!r}, so no "
                   "category", file=file, sheet=sheet_name)
    if repeats:
        _warn(log, f"{_plural(len(repeats), 'code')} repeat a code of the same row (e.g. cell "
                   f"{repeats[0]}); each cell counts as one note", file=file, sheet=sheet_name)
    log.layout = ("wide coding sheet" + (f" (sheet {sheet_name!r})" if sheet_name else " (CSV)"))
    log.columns = {"theme": ", ".join(colname(j) for j in code_cols)}
    log.columns.update({role: colname(j) for role, j in col.items() if j is not None})
    if col["group"] is None:
        log.columns["group"] = "the file's name"
    if col["session"] is None:
        log.columns["session"] = (f"{colname(id_col)}, numbered" if use_ids and id_col is not None
                                  else "each row, numbered 1, 2, 3 ... within its group")
    if id_col is not None:
        log.columns.setdefault("id", colname(id_col))
    extra = ["id"] if id_col is not None else []
    sessions = _sessions_frame(list(session_rows.values()), extra=extra)
    group_order = list(dict.fromkeys(s["group"] for s in session_rows.values()))
    return build_study(_notes_frame(records), log=log, file=file, sessions=sessions,
                       group_order=group_order if col["group"] is None else None, source=p)


# --- routing -------------------------------------------------------------------------------


def sniff_qda_layout(path: str | os.PathLike[str], kind: str, *,
                     workbook: Workbook | None = None) -> str | None:
    """Tell which QDA reader a CSV file or workbook needs, from its header rows.

    Parameters
    ----------
    path : str or path-like
        The file, already checked by :func:`~analysis.io.detect_format`.
    kind : str
        What :func:`~analysis.io.detect_format` returned (``"csv"``, ``"xlsx"``, ``"ods"``).
    workbook : Workbook, optional
        The workbook already opened; sheets looked at here are kept for its reader.

    Returns
    -------
    str or None
        ``"taguette"`` for a Taguette highlights export (:func:`read_taguette_highlights`),
        ``"atlas"`` for an ATLAS.ti quotation export, ``"maxqda"`` for a MAXQDA coded-segment
        export (:mod:`._atlas`, :mod:`._maxqda`),
        ``"wide"`` for a sheet of numbered code columns (``Code 1``, ``Code 2`` ...) without a
        ``theme`` column (:func:`read_wide_codes`), else None (the template readers apply).
    """
    p = Path(path)
    try:
        if kind == "csv":
            with p.open("rb") as fh:
                head = fh.read(65536)
            text = decode_text(head, p.name, ImportLog())
            lines = text.splitlines()[:_HEADER_ROWS]
            rows = [next(csv.reader([line], delimiter=max(",;\t|", key=lines[0].count)), [])
                    for line in lines] if lines else []
        else:
            wb = workbook if workbook is not None else Workbook(p)
            try:
                names = wb.sheet_names
                notes = [n for n in names if (spec := sheet_for(n)) is not None
                         and spec.name == "notes"]
                if any(n.strip().casefold() == "notes" or locate_header(
                        wb.peek(n), SHEETS["notes"], needed=2) is not None for n in notes):
                    return None  # a template workbook (a sheet named e.g. 'Data' must say so)
                rows = []
                for name in names:
                    sheet_rows = wb.peek(name)
                    start = next((i for i, r in enumerate(sheet_rows)
                                  if any(v != "" and v is not None for v in r)), 0)
                    first = sheet_rows[start : start + _HEADER_ROWS]
                    if any(is_taguette_header(r) for r in first):
                        return "taguette"
                    export = _sniff_export(first)
                    if export is not None:
                        return export
                    rows.extend(first)
            finally:
                if workbook is None:
                    wb.close()
    except Exception:  # unreadable here: the template readers report it
        return None
    if any(is_taguette_header(r) for r in rows[:_HEADER_ROWS]):
        return "taguette"
    export = _sniff_export(rows)
    if export is not None:
        return export
    for r in rows[:_HEADER_ROWS]:
        keys = _header_cells(r)
        if "theme" in keys:
            return None
        if sum(_DEFAULT_CODE_HEADER.fullmatch(k) is not None for k in keys) >= 2:
            return "wide"
    return None


def _sniff_export(rows: Sequence[Sequence[Any]]) -> str | None:
    """Return ``"atlas"`` or ``"maxqda"`` when the rows start a coded-segment export."""
    from . import _atlas, _maxqda

    if _atlas.sniff(rows):
        return "atlas"
    if _maxqda.sniff(rows):
        return "maxqda"
    return None
