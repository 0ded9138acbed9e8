"""Writing the template workbook and studies as template workbooks (atomically)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..study import VALENCES, Study
from ._schema import SHEETS, SheetSpec

__all__ = ["atomic_path", "neutralize_formula", "write_study", "write_tables", "write_template"]

_HEADER_FILL = "DDE6F0"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FIXED_TIME = dt.datetime(2020, 1, 1)  # workbook metadata, so equal studies give equal files


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` and move it onto ``path`` only on success.

    A failure part-way leaves ``path`` untouched (absent or as it was) and no temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix,
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs follow the umask
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _header(ws: Any, spec: SheetSpec, columns: list[str]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    described = {c.name: c for c in spec.columns}
    for j, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        col = described.get(name)
        if col is not None:
            need = "Required." if col.required else "Optional."
            comment = Comment(f"{need} {col.description}", "template")
            comment.width, comment.height = 300, 110
            cell.comment = comment
        ws.column_dimensions[cell.column_letter].width = max(12, min(60, len(name) + 6))
    ws.freeze_panes = "A2"


def _valence_dropdown(ws: Any, col_letter: str, last_row: int) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type="list", formula1='"' + ",".join(VALENCES) + '"', allow_blank=True,
        showErrorMessage=True, errorTitle="valence",
        error="Choose negative, neutral or positive (blank means neutral).",
        promptTitle="valence", prompt="negative, neutral or positive", showInputMessage=True,
    )
    ws.add_data_validation(dv)
    dv.add(f"{col_letter}2:{col_letter}{max(last_row, 1000)}")


def _new_workbook() -> Any:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "analysis"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    return wb


def _save(wb: Any, path: str | os.PathLike[str]) -> Path:
    """Save a workbook atomically with fixed time stamps, so equal content gives equal bytes.

    openpyxl stamps the zip entries and the ``modified`` document property with the clock;
    both are replaced by a fixed time.
    """
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    target = Path(path)
    with zipfile.ZipFile(buffer) as zin, atomic_path(target) as tmp, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*",
                              rb"\g<1>" + _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode(),
                              data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)
    return target


def write_template(path: str | os.PathLike[str]) -> Path:
    """Write an empty, documented template workbook.

    Sheets ``notes``, ``codebook``, ``sessions``, ``participants`` and ``ratings`` carry the
    columns of the data contract; each header cell has a comment explaining the column, and the
    ``valence`` column offers a drop-down of negative / neutral / positive. A ``README`` sheet
    explains the two layouts.

    Parameters
    ----------
    path : str or path-like
        Where to write (``.xlsx``); written atomically.

    Returns
    -------
    pathlib.Path
    """
    wb = _new_workbook()
    readme = wb.create_sheet("README")
    lines = [
        "Session-notes template",
        "",
        "Fill the 'notes' sheet with one row per theme noted in a session "
        "(group, session, theme are required).",
        "List each theme once in 'codebook' with its one category; categories are mutually "
        "exclusive.",
        "'sessions' holds dates, attendance and duration; 'participants' pseudonyms only.",
        "Hover over a column header to read what it means.",
        "",
        "Alternative layout (grid): one sheet per group, themes down the first column, one "
        "column per session headed by its number or date, a mark where the theme came up "
        "(x, a count, + or -). Delete the 'notes' sheet when you use grids.",
    ]
    for i, line in enumerate(lines, start=1):
        readme.cell(row=i, column=1, value=line)
    readme.column_dimensions["A"].width = 110
    for spec in SHEETS.values():
        ws = wb.create_sheet(spec.name)
        columns = [c.name for c in spec.columns]
        _header(ws, spec, columns)
        if "valence" in columns:
            _valence_dropdown(ws, ws.cell(row=1, column=columns.index("valence") + 1)
                              .column_letter, 1000)
    wb.active = 1
    return _save(wb, path)


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date() if value.time() == dt.time() else value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalar
    if isinstance(value, str):
        # control characters cannot be stored in an xlsx file (XML 1.0 forbids them)
        return _ILLEGAL_XML.sub("", value)
    return value


def _write_frame(wb: Any, spec: SheetSpec, frame: pd.DataFrame) -> None:
    from openpyxl.cell.cell import TYPE_STRING

    ws = wb.create_sheet(spec.name)
    columns = [str(c) for c in frame.columns]
    _header(ws, spec, columns)
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, value in enumerate(row, start=1):
            v = _cell_value(value)
            if v is None:
                continue
            cell = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str):
                # keep text that starts with '=' as text: never written as a formula
                cell.data_type = TYPE_STRING
            elif isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
    if "valence" in columns:
        _valence_dropdown(ws, ws.cell(row=1, column=columns.index("valence") + 1).column_letter,
                          len(frame) + 1)


def _dates(values: pd.Series) -> pd.Series:
    """Dates as ``datetime.date`` objects (or None), from datetime64 or object columns."""
    stamps = pd.to_datetime(values)
    return stamps.dt.date.astype(object).where(stamps.notna(), None)


def write_study(study: Study, path: str | os.PathLike[str]) -> Path:
    """Write a study as a template workbook that :func:`~analysis.read_study` reads back.

    Every note, codebook entry, session, participant and rating is written; the ``source``
    column is not (it is set again on reading). Text beginning with ``=``, ``+``, ``-`` or
    ``@`` is stored as text, never as a formula. Equal studies give byte-identical files.

    Parameters
    ----------
    study : Study
    path : str or path-like
        Where to write (``.xlsx``); written atomically.

    Returns
    -------
    pathlib.Path
    """
    wb = _new_workbook()
    notes = study.notes.drop(columns=["source"])
    notes = notes.assign(date=_dates(notes["date"]))
    if len(study.codebook):
        notes = notes.drop(columns=["category"])
    _write_frame(wb, SHEETS["notes"], notes)
    _write_frame(wb, SHEETS["codebook"], study.codebook)
    sessions = study.sessions.assign(date=_dates(study.sessions["date"]))
    _write_frame(wb, SHEETS["sessions"], sessions)
    _write_frame(wb, SHEETS["participants"], study.participants)
    if len(study.ratings):
        _write_frame(wb, SHEETS["ratings"], study.ratings)
    if study.history is not None and len(study.history):
        _write_frame(wb, SHEETS["codebook_history"], study.history)
    return _save(wb, path)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    ``"=HYPERLINK(...)"`` becomes ``"'=HYPERLINK(...)"``; numbers and other text are returned
    unchanged (a negative *number* stays a number).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike[str],
                 *, workbook: str = "tables.xlsx") -> list[Path]:
    """Write named tables as CSV files and as one workbook with a sheet per table.

    Text that a spreadsheet would run as a formula is neutralized (see
    :func:`neutralize_formula`). Files are written atomically; equal tables give equal files.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Sheet/file name (letters, digits, ``_`` and ``-``) to table; the index is written
        when it is named.
    out_dir : str or path-like
        Folder to write into (created if needed).
    workbook : str
        File name of the workbook.

    Returns
    -------
    list of pathlib.Path
        The CSV files then the workbook.
    """
    out = Path(out_dir)
    written = []
    safe: dict[str, pd.DataFrame] = {}
    for name, table in tables.items():
        if not name or any(not (c.isalnum() or c in "_-") for c in name) or len(name) > 31:
            raise ValueError(f"table name {name!r}: use up to 31 letters, digits, _ or -")
        frame = table.reset_index() if any(n is not None for n in table.index.names) else table
        frame = frame.copy()
        frame.columns = [neutralize_formula(str(c)) for c in frame.columns]
        for col in frame.columns:
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].map(neutralize_formula)
        safe[name] = frame
        with atomic_path(out / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=False, lineterminator="\n")
        written.append(out / f"{name}.csv")
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Font

    wb = _new_workbook()
    for name, frame in safe.items():
        ws = wb.create_sheet(name)
        ws.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            ws.append([_cell_value(v) for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING  # text stays text, never a formula
    written.append(_save(wb, out / workbook))
    return written
