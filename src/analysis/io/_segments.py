"""Coded-segment exports of QDA tools: one row per quotation or segment, its codes, its text.

ATLAS.ti quotation exports (:mod:`._atlas`) and MAXQDA coded-segment exports
(:mod:`._maxqda`) share one shape: a row per coded piece of text, with the document it comes
from, the document's group, the text, and the code or codes applied. Each tool's module
describes its headers and how it writes codes (:class:`ExportFormat`); :func:`read_export`
reads either, with the machinery of the Taguette reader (:mod:`._qda`): the document-to-group
mapping (``groups``) or pattern (``group_pattern``), sessions numbered per group in natural
order of the document names, the raw notes table and :func:`~analysis.io._build.build_study`.

Records: each code of a row is one record (kept as a note, or rejected with its reason); a
row without any code is one rejected record. So ``log.read == log.kept + len(log.rejected)``
and ``log.kept`` equals the number of notes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codebook import label_key, normalize_label
from ..study import ImportLog, Problem, Study, _excel_column
from ._build import build_study, natural_key
from ._errors import InputError
from ._interchange import UNCATEGORIZED, _some
from ._options import OptionsError, ReadOptions
from ._qda import (
    _HEADER_ROWS,
    UNASSIGNED,
    _cell,
    _compile_pattern,
    _csv_rows,
    _find_header,
    _header_cells,
    _Mapping,
    _no_group_reason,
    _note,
    _notes_frame,
    _number_sessions,
    _pattern_group,
    _plural,
    _read_mapping,
    _sessions_frame,
    _warn,
    _workbook_rows,
)
from ._readers import Workbook, decode_text, detect_format, sniff_delimiter
from ._tables import cell_text
from ._values import is_blank

__all__ = ["ExportFormat", "read_export"]

_LINES = re.compile(r"\r\n|\r|\n")

# exports repeat the same few thousand codes and document names on every row
_label = functools.lru_cache(maxsize=65536)(normalize_label)
_key = functools.lru_cache(maxsize=65536)(label_key)


def _text(value: Any) -> str:
    """Return a cell as text (whole numbers without ``.0``, dates in ISO form)."""
    return value if isinstance(value, str) else cell_text(value)


@dataclass(frozen=True)
class ExportFormat:
    r"""How one QDA tool writes a coded-segment export.

    Attributes
    ----------
    tool, what : str
        Names for messages and ``log.layout``, e.g. ``"ATLAS.ti"``, ``"quotation export"``.
    unit : str
        What a row is, for messages (``"quotation"``, ``"coded segment"``).
    headers : mapping of str to tuple of str
        For each role read (``note, session, theme, group, coder, id``), the header keys
        (:func:`~analysis.codebook.label_key` form) that hold it, first match wins.
    required : tuple of str
        Roles without which the file is not this export.
    codes_in_lines : bool
        Several codes in one cell, one per line (ATLAS.ti); otherwise one code per row.
    separators : tuple of str
        Default separators between category and theme inside a code, tried in order.
    path : bool
        True: a code is a path (``Parent\Child\Grandchild``): category = first part, theme =
        last part. False: split once, at the first separator.
    """

    tool: str
    what: str
    unit: str
    headers: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    codes_in_lines: bool
    separators: tuple[str, ...]
    path: bool

    def sniff(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Return True when a header row among ``rows`` is this export's."""
        return _find_header(rows[:_HEADER_ROWS], self.accepts) is not None

    def accepts(self, keys: list[str]) -> bool:
        """Return True when header keys name every required role."""
        return all(any(h in keys for h in self.headers[role]) for role in self.required)


@dataclass
class _Groups:
    """Which group each document belongs to: a mapping, a pattern, a column or the file."""

    default: str
    mapping: _Mapping | None = None
    pattern: re.Pattern[str] | None = None
    column: dict[str, str] | None = None  # document -> group, from the group column

    def __post_init__(self) -> None:
        self.fixed: dict[tuple[str, str], int] = {}
        self.dates: dict[tuple[str, str], Any] = {}
        self.no_group: dict[str, int] = {}

    def of(self, doc: str) -> str | None:
        if self.column is not None:
            return self.column.get(doc, UNASSIGNED)
        if self.mapping is None and self.pattern is None:
            return self.default
        at = self.mapping.find(doc) if self.mapping is not None else None
        if at is not None and self.mapping is not None:
            _, group, session, date = self.mapping.entries[at]
            if session is not None:
                self.fixed[(group, doc)] = session
            if date is not None:
                self.dates[(group, doc)] = date
            return group
        if self.pattern is not None:
            return _pattern_group(self.pattern, doc)
        return None


def _rows_of(p: Path, kind: str, fmt: ExportFormat, opts: ReadOptions,
             workbook: Workbook | None, log: ImportLog) -> tuple[list[list[Any]], str | None]:
    file = p.name
    if kind == "csv":
        if opts.sheet is not None:
            _warn(log, f"a CSV file has no sheets; --sheet '{opts.sheet}' was ignored",
                  file=file)
        text = decode_text(p.read_bytes(), file, log)
        return _csv_rows(text, sniff_delimiter(text), file), None
    what = f"the columns of the {fmt.tool} {fmt.what}"
    if workbook is None:
        return _workbook_rows(p, sheet=opts.sheet, want=fmt.sniff, what=what)
    names = workbook.sheet_names
    if opts.sheet is not None:
        found = next((n for n in names if n == opts.sheet), None) or next(
            (n for n in names if _key(n) == _key(opts.sheet)), None)
        if found is None:
            raise OptionsError(f"the workbook has no sheet '{opts.sheet}' (sheets: "
                               f"{', '.join(repr(n) for n in names)})", file=file)
        candidates = [found]
    else:
        candidates = [n for n in names if fmt.sniff(workbook.peek(n))]
        if not candidates:
            raise InputError(f"no sheet holds {what} (sheets: "
                             f"{', '.join(repr(n) for n in names)})", file=file)
    name = candidates[0]
    rows, _ = workbook.take(name)
    return [[None if isinstance(v, str) and v == "" else v for v in r] for r in rows], name


def _columns(keys: list[str], header: list[Any], fmt: ExportFormat, opts: ReadOptions,
             file: str, sheet: str | None) -> dict[str, int | None]:
    """Return the column of each role: a mapped header wins over the tool's headers."""
    shown = ", ".join(repr(str(v)) for v in header if not is_blank(v))
    unknown = [r for r in opts.columns if r not in fmt.headers]
    if unknown:
        raise OptionsError(
            f"{fmt.tool} {fmt.what}: --column {unknown[0]}=... is not read; the roles of this "
            f"layout are {', '.join(fmt.headers)}", file=file, sheet=sheet)
    col: dict[str, int | None] = {}
    for role, names in fmt.headers.items():
        if role in opts.columns:
            key = _key(opts.columns[role])
            if key not in keys:
                raise OptionsError(f"--column {role}={opts.columns[role]}: no such column "
                                   f"(the header holds {shown})", file=file, sheet=sheet)
            col[role] = keys.index(key)
        else:
            col[role] = next((keys.index(h) for h in names if h in keys), None)
    return col


def _split_codes(value: Any, fmt: ExportFormat, code_sep: str | None) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    text = value if isinstance(value, str) else str(value)
    if code_sep is not None:
        parts = text.replace("\r\n", "\n").split(code_sep)
    elif fmt.codes_in_lines:
        parts = _LINES.split(text)
    else:
        parts = [text]
    return [p.strip() for p in parts if p.strip() and _label(p)]


@functools.lru_cache(maxsize=65536)
def _split_code(code: str, seps: tuple[str, ...], path: bool
                ) -> tuple[str | None, str, str | None]:
    """Return (category, theme, separator used) of one code as written."""
    for sep in seps:
        if sep not in code:
            continue
        if path:
            parts = [x.strip() for x in code.split(sep)]
            return (_label(parts[0]) or None), parts[-1], sep
        before, _, after = code.partition(sep)
        return (_label(before) or None), after.strip(), sep
    return None, code, None


def read_export(path: str | Path, fmt: ExportFormat, options: ReadOptions | None = None, *,
                kind: str | None = None, workbook: Workbook | None = None) -> Study:
    """Read a coded-segment export of a QDA tool as a study (see the module docstring).

    Parameters
    ----------
    path : str or path-like
        The export: CSV (any delimiter and encoding the CSV reader handles) or a workbook.
    fmt : ExportFormat
        The tool's format.
    options : ReadOptions, optional
        ``sheet``, ``columns`` (roles ``note, session, theme, group, coder, id``),
        ``code_sep``, ``separator``, ``groups`` / ``group_pattern``, ``limits``.
    kind, workbook : optional
        What :func:`~analysis.io.detect_format` said and the workbook already open (from
        :func:`~analysis.io.read_study`).

    Returns
    -------
    Study
        One note per code of a row. ``log.layout`` names the tool, the export and the sheet;
        ``log.columns`` the column of each role.
    """
    opts = options or ReadOptions()
    p = Path(path)
    file = p.name
    kind = kind or detect_format(p, limits=opts.limits)
    log = ImportLog(files=[file])
    rows, sheet = _rows_of(p, kind, fmt, opts, workbook, log)
    h = _find_header(rows, fmt.accepts)
    if h is None:
        wanted = "; ".join(f"{role}: {' or '.join(repr(x) for x in fmt.headers[role])}"
                           for role in fmt.required)
        first = next((r for r in rows[:_HEADER_ROWS] if not all(is_blank(v) for v in r)), [])
        seen = ", ".join(repr(str(v).strip()) for v in first[:20] if not is_blank(v))
        raise InputError(f"no header row in the first {_HEADER_ROWS} rows names the columns "
                         f"of the {fmt.tool} {fmt.what} ({wanted})"
                         + (f"; the first row holds {seen}" if seen else "; the sheet is empty"),
                         file=file, sheet=sheet)
    keys = _header_cells(rows[h])
    col = _columns(keys, list(rows[h]), fmt, opts, file, sheet)
    label = sheet if sheet is not None else file

    def name(role: str) -> str:
        j = col[role]
        assert j is not None
        return f"{_excel_column(j)} ({str(rows[h][j]).strip()})"

    c_doc, c_codes, c_note = col["session"], col["theme"], col.get("note")
    assert c_doc is not None and c_codes is not None
    body = [(i + 1, rows[i]) for i in range(h + 1, len(rows))
            if not all(is_blank(v) for v in rows[i])]
    groups = _groups(body, col, fmt, opts, p, log, name)
    log.layout = f"{fmt.tool} {fmt.what}" + (f" (sheet '{sheet}')" if sheet else "")
    log.columns = {role: name(role) for role in fmt.headers if col.get(role) is not None
                   and (role != "group" or groups.column is not None)}

    where = {"file": file, "sheet": sheet}
    codes_letter = _excel_column(c_codes)
    kept: list[dict[str, Any]] = []
    read = 0
    seps = (opts.separator,) if opts.separator is not None else fmt.separators
    split: dict[str, int] = {}
    unsplit: list[str] = []
    no_text = 0
    for r, row in body:
        doc = _label(_text(_cell(row, c_doc)))
        codes = _split_codes(_cell(row, c_codes), fmt, opts.code_sep)
        ident = _text(_cell(row, col["id"])).strip() if col.get("id") is not None else ""
        what = f"{fmt.unit} {ident}" if ident else f"this {fmt.unit}"
        n = max(len(codes), 1)
        read += n
        reason, column = None, None
        if not doc:
            reason, column = f"{what} has no document", name("session")
        elif not codes:
            reason = (f"{what} (document '{doc}') has no code, so no theme; it is not "
                      "counted")
            column = name("theme")
        group = groups.of(doc) if reason is None else None
        if reason is None and group is None:
            groups.no_group[doc] = groups.no_group.get(doc, 0) + n
            reason, column = _no_group_reason(doc, groups.mapping, groups.pattern), name(
                "session")
        if reason is not None:
            log.rejected.extend(Problem(reason, row=r, column=column, **where)
                                for _ in range(n))
            continue
        assert group is not None
        note = _note(_cell(row, c_note)) if c_note is not None else None
        no_text += note is None
        coder = (_label(_text(_cell(row, col["coder"]))) or None
                 if col.get("coder") is not None else None)
        for code in codes:
            category, theme, sep = _split_code(code, seps, fmt.path)
            if not _label(theme):
                log.rejected.append(Problem(
                    f"code '{code}' of {what} has nothing after {sep!r}, so no theme",
                    row=r, column=name("theme"), **where))
                continue
            if sep is not None:
                split[sep] = split.get(sep, 0) + 1
            else:
                unsplit.append(code)
            kept.append({"group": group, "_doc": doc, "date": None, "theme": theme,
                         "_code": code, "category": category, "valence": "neutral",
                         "note": note, "speaker": None, "coder": coder,
                         "source": f"{label}!{codes_letter}{r}", "_row": r})
    log.read = read
    log.kept = len(kept)
    log.sheets[label] = read
    if read == 0:
        _warn(log, f"the export holds no {fmt.unit}s", file=file, sheet=sheet)
    _qualify_themes(kept, log, file, sheet)
    _split_warning(split, unsplit, fmt, opts, log, file, sheet)
    if split and unsplit:  # keep the codebook whole: codes without a parent get a category
        for k in kept:
            if k["category"] is None:
                k["category"] = UNCATEGORIZED
    if no_text and c_note is not None:
        _warn(log, f"{_plural(no_text, fmt.unit)} with codes {'has' if no_text == 1 else 'have'}"
                   f" no text in column {name('note')} (e.g. a picture or PDF region); "
                   "their notes are empty", file=file, sheet=sheet)
    _group_problems(groups, log, file, sheet)

    numbers = _number_sessions(((k["group"], k["_doc"]) for k in kept), groups.fixed)
    for k in kept:
        k["session"] = numbers[(k["group"], k["_doc"])]
    sessions = _sessions_frame(
        [{"group": g, "session": s, "date": groups.dates.get((g, d)), "document": d}
         for (g, d), s in sorted(numbers.items(), key=lambda kv: (natural_key(kv[0][0]),
                                                                   kv[1]))],
        extra=["document"])
    group_order = None
    if groups.mapping is not None:
        group_order = list(dict.fromkeys(
            e[1] for i, e in enumerate(groups.mapping.entries) if i in groups.mapping.used))
    return build_study(_notes_frame(kept), log=log, file=file, sessions=sessions,
                       group_order=group_order or None, source=p)


def _groups(body: list[tuple[int, list[Any]]], col: Mapping[str, int | None],
            fmt: ExportFormat, opts: ReadOptions, p: Path, log: ImportLog,
            name: Callable[[str], str]) -> _Groups:
    """Decide where each document's group comes from (see :func:`read_export`)."""
    file = p.name
    c_doc, c_group = col["session"], col.get("group")
    if opts.groups is not None or opts.group_pattern is not None:
        mapping = (_read_mapping(opts.groups, dayfirst=opts.dayfirst, limits=opts.limits,
                                 log=log, file=file) if opts.groups is not None else None)
        pattern = (_compile_pattern(opts.group_pattern) if opts.group_pattern is not None
                   else None)
        if mapping is not None:
            for _, row in body:
                at = mapping.find(_label(_text(_cell(row, c_doc))))
                if at is not None:
                    mapping.used.add(at)
        return _Groups(p.stem, mapping=mapping, pattern=pattern)
    if c_group is None:
        return _Groups(p.stem)
    found: dict[str, set[str]] = {}
    for _, row in body:
        doc = _label(_text(_cell(row, c_doc)))
        if not doc:
            continue
        value = _cell(row, c_group)
        names = {_label(x) for x in _LINES.split("" if is_blank(value) else
                                                        str(value))} - {""}
        found.setdefault(doc, set()).update(names)
    several = {d: g for d, g in found.items() if len(g) > 1}
    if several:
        doc, names = next(iter(several.items()))
        message = (f"column {name('group')} puts {_plural(len(several), 'document')} in "
                   f"several groups (e.g. '{doc}': {_some(sorted(names), 4)}), but a session "
                   "belongs to one group")
        if "group" in opts.columns:
            raise OptionsError(message + "; give --groups FILE (columns document,group) or "
                               "--group-pattern REGEX instead", file=file)
        _warn(log, message + f"; so every document is in one group '{p.stem}'. To compare "
                   "groups give --groups FILE (columns document,group) or --group-pattern "
                   "REGEX", file=file)
        return _Groups(p.stem)
    column = {d: next(iter(g)) for d, g in found.items() if g}
    if not column:
        _warn(log, f"column {name('group')} is empty; every document is in one group "
                   f"'{p.stem}'", file=file)
        return _Groups(p.stem)
    alone = [d for d, g in found.items() if not g]
    if alone:
        _warn(log, f"{_plural(len(alone), 'document')} ({_some(alone)}) "
                   f"{'has' if len(alone) == 1 else 'have'} no group in column "
                   f"{name('group')}; {'it was' if len(alone) == 1 else 'they were'} put in "
                   f"the group '{UNASSIGNED}'", file=file)
    return _Groups(p.stem, column=column)


def _qualify_themes(kept: list[dict[str, Any]], log: ImportLog, file: str,
                    sheet: str | None) -> None:
    """Keep codes distinct: a theme name under several categories is named by its full code."""
    categories: dict[str, set[str]] = {}
    for k in kept:
        categories.setdefault(_key(k["theme"]), set()).add(
            _key(k["category"]) if k["category"] else "")
    shared = {key for key, cats in categories.items() if len(cats) > 1}
    renamed: list[str] = []
    for k in kept:
        code = k.pop("_code")
        if _key(k["theme"]) in shared:
            k["theme"] = code
            renamed.append(_label(code))
    if renamed:
        names = list(dict.fromkeys(renamed))
        _warn(log, f"{_plural(len(shared), 'theme name')} {'is' if len(shared) == 1 else 'are'}"
                   f" shared by codes of different categories, so {_plural(len(names), 'code')}"
                   f" keep their full name as theme to stay distinct ({_some(names)})",
              file=file, sheet=sheet)


def _split_warning(split: Mapping[str, int], unsplit: list[str], fmt: ExportFormat,
                   opts: ReadOptions, log: ImportLog, file: str, sheet: str | None) -> None:
    if not split:
        if opts.separator is not None:
            _warn(log, f"no code holds the separator {opts.separator!r}, so the notes have no "
                       "category", file=file, sheet=sheet)
        return
    how = ("the first part of the path is the category, the last the theme" if fmt.path
           else "the part before it is the category")
    seps = " and ".join(f"'{sep}' ({_plural(n, 'code')})" for sep, n in split.items())
    message = (f"codes were split into category and theme at {'every' if fmt.path else 'the first'}"
               f" {seps}: {how}")
    if unsplit:
        distinct = list(dict.fromkeys(unsplit))
        message += (f"; {_plural(len(distinct), 'code')} without it "
                    f"({_some(distinct)}) {'is' if len(distinct) == 1 else 'are'} filed under "
                    f"'{UNCATEGORIZED}'")
    if opts.separator is None:
        message += "; give --separator SEP to split elsewhere"
    _warn(log, message, file=file, sheet=sheet)


def _group_problems(groups: _Groups, log: ImportLog, file: str, sheet: str | None) -> None:
    """Say which mapping entries went unused and which documents had no group (as Taguette)."""
    mapping = groups.mapping
    if mapping is not None:
        unused = [d for i, (d, *_) in enumerate(mapping.entries) if i not in mapping.used]
        if unused:
            _warn(log, f"{mapping.label} names {_plural(len(unused), 'document')} "
                       f"({_some(unused)}) that {'has' if len(unused) == 1 else 'have'} no "
                       "codes in the export", file=file)
    if groups.no_group:
        docs = list(groups.no_group)
        n = sum(groups.no_group.values())
        log.errors.append(Problem(
            f"{_plural(len(docs), 'document')} ({_some(docs)}) "
            f"{'has' if len(docs) == 1 else 'have'} no group, so {_plural(n, 'code')} "
            f"{'was' if n == 1 else 'were'} rejected; add {'it' if len(docs) == 1 else 'them'} "
            "to the groups mapping or adjust the pattern", file=file, sheet=sheet))
