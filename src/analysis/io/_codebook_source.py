"""Codebooks kept elsewhere: another sheet, a workbook, a CSV table, REFI-QDA, Taguette.

``read_study(path, codebook=SOURCE)`` (``--codebook SOURCE``) and
:meth:`analysis.codebook.Codebook.read` take the same sources:

- the name of a sheet of the study's own workbook (``"Codes"``);
- a workbook (``.xlsx``, ``.xlsm``, ``.ods``): its sheet named ``codebook`` (or ``codes``),
  else the one sheet whose header row names a theme and a category column; ``FILE.xlsx#Sheet``
  picks a sheet;
- a CSV table with the same columns (``.csv``, ``.tsv``, ``.txt``);
- a Taguette codebook export (CSV with a ``tag`` or ``path`` column);
- a REFI-QDA codebook (``.qdc``).

Columns are found by the codebook sheet's header synonyms (``theme``/``code``/``tag``/``name``,
``category``/``parent``, ``definition``/``description``, ``aliases``), or named by role with
``codebook_columns={"theme": "Quality Factor", ...}`` (``--codebook-column ROLE=HEADER``). A
source that yields no codebook is an error naming the file and what was found, never an empty
codebook. The codebook is then applied exactly as a template ``codebook`` sheet: aliases merge
labels, a theme under two categories is an error, notes with themes it lacks are errors.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..codebook import CODEBOOK_COLUMNS
from ..study import ImportLog, Problem, _excel_column
from ._build import ExternalCodebook, read_context
from ._errors import InputError, UnreadableFileError
from ._options import OptionsError, ReadOptions
from ._readers import Limits, Workbook, decode_text, detect_format, sniff_delimiter
from ._schema import CODEBOOK, header_key, match_headers
from ._tables import HEADER_SEARCH_ROWS, cell_text, parse_table

__all__ = ["is_template_workbook", "read_codebook_source", "with_read_context"]

_WORKBOOKS = (".xlsx", ".xlsm", ".ods")
_TABLES = (".csv", ".tsv", ".txt")
_SUFFIXES = (*_WORKBOOKS, *_TABLES, ".qdc")
#: Header cells that make a CSV a Taguette codebook export (``tag``, ``path``).
_TAGUETTE = frozenset({"tag", "path"})
#: The codebook spec when the source has no category column (themes without a category).
_NO_CATEGORY = dataclasses.replace(CODEBOOK, columns=tuple(
    dataclasses.replace(c, required=False) if c.name == "category" else c
    for c in CODEBOOK.columns))


def read_codebook_source(
    source: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    study: Path | None = None,
    limits: Limits | None = None,
) -> ExternalCodebook:
    """Read a codebook from a sheet of the study's workbook or from a file.

    Parameters
    ----------
    source : str or path-like
        A file (absolute, relative to the working folder, or next to ``study``), optionally
        ``FILE.xlsx#Sheet``; or the name of a sheet of ``study`` (a workbook).
    columns : mapping of str to str, optional
        The codebook's column for each role (``theme, category, definition, aliases``);
        a mapped column wins over header synonyms.
    study : pathlib.Path, optional
        The study file, whose sheets and folder are looked in.
    limits : Limits, optional
        Size limits, checked before a workbook or CSV is read.

    Returns
    -------
    ExternalCodebook
        The codebook table, where it came from, and the log of its records.

    Raises
    ------
    OptionsError
        ``source`` is neither a file nor a sheet of the study, or names an unknown sheet.
    InputError
        The source cannot be read, or holds no codebook (no header naming a theme column,
        several candidate sheets, no entries); the message says what was found.
    """
    columns = dict(columns or {})
    limits = limits or Limits()
    text = os.fspath(source).strip()
    if not text:
        raise OptionsError("--codebook must not be empty")
    path, sheet = _locate(text, study)
    if path is None:
        return _from_study_sheet(text, columns, study, limits)
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        if columns:
            raise OptionsError("--codebook-column applies to tables (a sheet or a CSV file), "
                               f"not to a REFI-QDA codebook ({path.name})")
        from ._interchange import read_qdc

        table, problems = read_qdc(path)
        return _counted(table, problems, path.name, path.name)
    kind = detect_format(path, limits=limits)
    if kind == "csv":
        return _from_csv(path, columns)
    if kind not in ("xlsx", "ods"):
        raise InputError(f"a codebook is a sheet, a CSV table, a Taguette codebook or a "
                         f"REFI-QDA .qdc file; this is a {kind} file", file=path.name)
    with Workbook(path) as wb:
        if sheet is None:
            sheet = _pick_sheet(wb, columns)
        elif sheet not in wb.sheet_names:
            raise OptionsError(f"--codebook {text!r}: {path.name} has no sheet {sheet!r} "
                               f"(its sheets: {_names(wb.sheet_names)})")
        return _from_rows(wb.peek(sheet), columns, file=path.name, sheet=sheet,
                          label=f"sheet '{sheet}' of {path.name}")


def is_template_workbook(path: Path) -> bool:
    """Return True for a workbook file with a template ``notes`` and ``codebook`` sheet."""
    from ._schema import NOTES, sheet_for

    if path.suffix.lower() not in _WORKBOOKS or not path.is_file():
        return False
    try:
        detect_format(path)
        with Workbook(path) as wb:
            specs = {sheet_for(n) for n in wb.sheet_names}
    except InputError:
        return False  # read_codebook_source says what is wrong
    return NOTES in specs and CODEBOOK in specs


def _locate(text: str, study: Path | None) -> tuple[Path | None, str | None]:
    """Return the codebook file and sheet ``text`` names, or ``(None, None)`` for a sheet."""
    def existing(name: str) -> Path | None:
        candidates = [Path(name)]
        if study is not None and not Path(name).is_absolute():
            candidates.append(study.parent / name)
        return next((c for c in candidates if c.is_file()), None)

    found = existing(text)
    if found is not None:
        return found, None
    head, hash_, sheet = text.rpartition("#")
    if hash_ and Path(head).suffix.lower() in _WORKBOOKS:
        found = existing(head)
        if found is not None:
            if not sheet.strip():
                raise OptionsError(f"--codebook {text!r}: write FILE#SHEET with a sheet name")
            return found, sheet.strip()
    if Path(text).suffix.lower() in _SUFFIXES or os.sep in text or hash_:
        if study is None or study.suffix.lower() not in _WORKBOOKS:
            raise OptionsError(f"--codebook {text!r}: no such file")
    elif study is None:
        raise OptionsError(f"--codebook {text!r}: no such file (a sheet name needs the "
                           "study's workbook)")
    return None, None


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _from_study_sheet(text: str, columns: dict[str, str], study: Path | None,
                      limits: Limits) -> ExternalCodebook:
    assert study is not None
    kind = detect_format(study, limits=limits)
    if kind not in ("xlsx", "ods"):
        raise OptionsError(f"--codebook {text!r}: no such file, and {study.name} is not a "
                           "workbook whose sheet it could be")
    with Workbook(study) as wb:
        names = wb.sheet_names
        match = [n for n in names if n == text] or [
            n for n in names if n.strip().casefold() == text.casefold()]
        if not match:
            raise OptionsError(f"--codebook {text!r} is neither a file nor a sheet of "
                               f"{study.name} (its sheets: {_names(names)})")
        sheet = match[0]
        return _from_rows(wb.peek(sheet), columns, file=study.name, sheet=sheet,
                          label=f"sheet '{sheet}'")


def _pick_sheet(wb: Workbook, columns: dict[str, str]) -> str:
    """Return the sheet of a codebook workbook to read, or refuse saying what was seen."""
    from ._schema import sheet_for

    named = [n for n in wb.sheet_names if sheet_for(n) is CODEBOOK]
    if len(named) == 1:
        return named[0]
    seen: list[str] = []
    fits: list[str] = []
    for name in wb.sheet_names:
        rows = wb.peek(name)
        h, found, _ = _header(rows, columns)
        if h is not None and "theme" in found and ("category" in found or columns):
            fits.append(name)
        first = next((r for r in rows[:HEADER_SEARCH_ROWS] if any(cell_text(v) for v in r)),
                     None)
        seen.append(f"'{name}' ({', '.join(cell_text(v) for v in first if cell_text(v))})"
                    if first else f"'{name}' (empty)")
    if len(fits) == 1:
        return fits[0]
    file = wb.file
    if fits:
        raise InputError(f"several sheets could be the codebook ({_names(fits)}); pick one "
                         f"with --codebook '{file}#{fits[0]}'", file=file)
    raise InputError("no sheet has a header row naming a theme and a category column "
                     f"(sheets and first rows: {'; '.join(seen)}); pick a sheet with "
                     f"--codebook '{file}#SHEET' and name its columns with --codebook-column "
                     "theme=HEADER --codebook-column category=HEADER", file=file)


def _header(rows: Sequence[Sequence[Any]], columns: dict[str, str]
            ) -> tuple[int | None, dict[str, int], list[tuple[str, int, int]]]:
    """Find the header row: every mapped header, then the most synonyms.

    Returns the zero-based header row, role -> column index, and ``(role, unused index,
    used index)`` for each column that also names a mapped role (it is not read).
    """
    best: tuple[int | None, dict[str, int], list[tuple[str, int, int]]] = (None, {}, [])
    wanted = {role: header_key(h) for role, h in columns.items()}
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = [header_key(v) for v in row]
        found: dict[str, int] = {}
        for role, key in wanted.items():
            if key in keys:
                found[role] = keys.index(key)
        if len(found) < len(wanted):
            continue
        synonyms, _, _ = match_headers(CODEBOOK, list(row))
        shadowed = [(role, j, found[role]) for role, j in synonyms.items()
                    if role in found and j != found[role]]
        taken = set(found.values())
        for role, j in synonyms.items():
            if role not in found and j not in taken:
                found[role] = j
        if "theme" in found and len(found) > len(best[1]):
            best = (i, found, shadowed)
    return best


def _from_rows(rows: list[list[Any]], columns: dict[str, str], *, file: str,
               sheet: str | None, label: str) -> ExternalCodebook:
    """Read a codebook table from a sheet's or a CSV file's rows."""
    h, found, shadowed = _header(rows, columns)
    where = f"sheet '{sheet}'" if sheet is not None else "the file"
    if h is None:
        first = next((r for r in rows[:HEADER_SEARCH_ROWS] if any(cell_text(v) for v in r)),
                     None)
        saw = (f"its first row reads: {', '.join(cell_text(v) for v in first if cell_text(v))}"
               if first else "it is empty")
        if columns:
            need = ", ".join(f"'{v}'" for v in columns.values())
            raise InputError(f"no header row of {where} names every column given with "
                             f"--codebook-column ({need}); {saw}", file=file, sheet=sheet)
        raise InputError(f"{where} is not a codebook: no header row names a theme column "
                         f"(theme, code, tag or name) in its first {HEADER_SEARCH_ROWS} rows; "
                         f"{saw}; name the columns with --codebook-column theme=HEADER "
                         "--codebook-column category=HEADER", file=file, sheet=sheet)
    log = ImportLog(files=[file])
    header = list(rows[h])
    roles = {j: role for role, j in found.items()}
    for role, j, used in shadowed:
        log.warnings.append(Problem(
            f"column {_excel_column(j)} ({cell_text(header[j])}) also reads as {role}; "
            f"column {_excel_column(used)} ({cell_text(header[used])}) is used, as "
            "--codebook-column says", file=file, sheet=sheet, row=h + 1, severity="warning"))
    names = {c.name for c in CODEBOOK.columns}
    new_header: list[Any] = []
    for j, value in enumerate(header):
        if j in roles:
            new_header.append(roles[j])
        elif header_key(value) in {header_key(n) for n in names} or any(
                j == s for _, s, _ in shadowed):
            new_header.append(None)  # a synonym of a role mapped elsewhere: not read
        else:
            new_header.append(value)
    table_rows = [*rows[:h], new_header, *rows[h + 1:]]
    spec = CODEBOOK if "category" in found else _NO_CATEGORY
    parsed = parse_table(table_rows, spec, file=file, sheet=sheet)
    log.extend(parsed.log)
    frame = parsed.frame
    def text_or_none(values: pd.Series) -> list[str | None]:
        return [v if isinstance(v, str) and v else None for v in values.tolist()]

    if "category" not in found:
        frame = frame.assign(category=None)
        log.warnings.append(Problem(
            f"the codebook has no category column: its {len(frame)} theme"
            f"{'s have' if len(frame) != 1 else ' has'} no category; name the column with "
            "--codebook-column category=HEADER", file=file, sheet=sheet, severity="warning"))
    else:
        frame = frame.assign(category=text_or_none(frame["category"]))
    for c in ("definition", "aliases"):
        frame[c] = text_or_none(frame[c])
    if frame.empty:
        raise InputError(f"{where} holds no codebook entry: {log.read} row"
                         f"{'s' if log.read != 1 else ''} below the header row {h + 1}, "
                         f"{len(log.rejected)} rejected"
                         + (f" (the first: {log.rejected[0].message})" if log.rejected else ""),
                         file=file, sheet=sheet)
    return ExternalCodebook(frame[[*CODEBOOK_COLUMNS, "_row"]].reset_index(drop=True),
                            label, file, sheet, log)


def _from_csv(path: Path, columns: dict[str, str]) -> ExternalCodebook:
    """Read a Taguette codebook export or a codebook table from a CSV file."""
    file = path.name
    scratch = ImportLog(files=[file])
    text = decode_text(path.read_bytes(), file, scratch)
    delimiter = sniff_delimiter(text)
    try:
        rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline=""),
                                                delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFileError(f"the CSV file is malformed ({exc})", file=file) from None
    first = next((r for r in rows if any(c.strip() for c in r)), [])
    if not columns and {c.strip().casefold() for c in first} & _TAGUETTE:
        from ._interchange import read_taguette_codebook

        table, problems = read_taguette_codebook(path)
        return _counted(table, problems, file, file)
    external = _from_rows(rows, columns, file=file, sheet=None, label=file)
    external.log.warnings[:0] = scratch.warnings
    return external


def _counted(table: pd.DataFrame, problems: list[Problem], file: str,
             label: str) -> ExternalCodebook:
    """Wrap a codebook read by a QDA-format reader: every entry is a record read and kept."""
    if table.empty:
        raise InputError("the codebook holds no code that could be a theme", file=file)
    log = ImportLog(files=[file], read=len(table), kept=len(table), sheets={file: len(table)})
    log.warnings.extend(problems)
    table = table[list(CODEBOOK_COLUMNS)].reset_index(drop=True)
    return ExternalCodebook(table, label, file, None, log)


def with_read_context(read: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``read_study``: read ``options.codebook`` and set the conflict policy.

    The codebook is read before the study (so a wrong ``--codebook`` fails early) and both
    reach every reader's :func:`~analysis.io._build.build_study` through
    :func:`~analysis.io._build.read_context`.
    """
    @functools.wraps(read)
    def wrapper(path: str | os.PathLike[str], options: ReadOptions | None = None,
                **kwargs: Any) -> Any:
        opts = ReadOptions.of(options, **kwargs)
        if opts.codebook is None:
            if opts.codebook_columns:
                raise OptionsError("--codebook-column names the columns of a --codebook; "
                                   "give --codebook SOURCE too")
            if opts.category_conflicts == "error":
                return read(path, opts)
        if opts.sheet is not None and opts.codebook is not None and (
                str(opts.codebook).strip() == opts.sheet):
            raise OptionsError(f"--codebook {opts.sheet!r} is the sheet the notes are read "
                               "from (--sheet); name the codebook's own sheet")
        external = None if opts.codebook is None else read_codebook_source(
            opts.codebook, columns=opts.codebook_columns, study=Path(path), limits=opts.limits)
        with read_context(external, opts.category_conflicts):
            return read(path, opts)

    return wrapper
