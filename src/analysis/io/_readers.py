"""Opening files: format detection, workbooks (xlsx, xlsm, ods) and CSV.

This is the only module that opens input files. Every failure of the underlying libraries is
turned into an :class:`~analysis.io._errors.InputError` with one sentence.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..study import ImportLog, Problem, Study
from ._build import build_study
from ._errors import InputError, UnreadableFileError, UnsupportedFormatError
from ._grid import find_grid_header, parse_grid
from ._schema import SHEETS, sheet_for
from ._tables import parse_table

__all__ = ["Limits", "detect_format", "read_csv_study", "read_workbook_study"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_IGNORED_SHEETS = {"readme", "about", "info", "instructions", "istruzioni", "legend", "legenda",
                   "notes on method", "lists", "lookup", "dropdowns", "help"}


@dataclass(frozen=True)
class Limits:
    """Size limits checked before a file is read into memory.

    Raise one by passing ``limits=Limits(max_uncompressed_mb=...)`` to
    :func:`~analysis.read_study`, or ``--max-mb`` on the command line.

    Attributes
    ----------
    max_file_mb : float
        Largest file on disk, in MiB (default 500).
    max_uncompressed_mb : float
        Largest total uncompressed size of a workbook's parts, in MiB (default 2048): a
        zip bomb is refused before a byte is inflated.
    """

    max_file_mb: float = 500
    max_uncompressed_mb: float = 2048


def detect_format(path: Path, *, limits: Limits = Limits()) -> str:
    """Return ``"xlsx"``, ``"ods"``, ``"csv"`` or raise :class:`InputError`.

    The content decides, not the extension: a CSV renamed ``.xlsx`` and a legacy ``.xls``
    renamed ``.xlsx`` are each recognized and explained.
    """
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise UnreadableFileError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise UnreadableFileError("is a folder, not a file", file=str(path)) from None
    except PermissionError:
        raise UnreadableFileError("permission denied: the file cannot be opened", file=name) \
            from None
    if size == 0:
        raise UnreadableFileError("the file is empty (0 bytes)", file=name)
    if size > limits.max_file_mb * 2**20:
        raise UnreadableFileError(
            f"the file is {size / 2**20:.0f} MiB, over the {limits.max_file_mb:g} MiB limit; "
            "raise it with --max-mb (or Limits(max_file_mb=...))", file=name)
    suffix = path.suffix.lower()
    if head.startswith(_OLE_MAGIC):
        with path.open("rb") as fh:
            blob = fh.read(min(size, 4 * 2**20))
        if _ENCRYPTED in blob:
            raise UnreadableFileError(
                "the workbook is password-protected (encrypted); remove the password in "
                "Excel (File > Info > Protect Workbook) and save it again", file=name)
        raise UnsupportedFormatError(
            "this is a legacy Excel 97-2003 (.xls) file, which is not supported; open it in "
            "Excel or LibreOffice and save it as .xlsx", file=name)
    if head.startswith(b"PK"):
        return _detect_zip(path, limits)
    if suffix in {".xlsx", ".xlsm", ".ods"}:
        kind = "plain text (it looks like CSV)" if _looks_like_text(path) else "not a zip archive"
        raise UnreadableFileError(
            f"the file is named {suffix} but is {kind}; "
            + ("rename it to .csv" if "CSV" in kind else "it may be damaged or of another kind"),
            file=name)
    if suffix in {".xls", ".xlsb", ".numbers", ".qdpx", ".qdc"}:
        raise UnsupportedFormatError(f"{suffix} files are not supported yet", file=name)
    if _looks_like_text(path):
        return "csv"
    raise UnsupportedFormatError(
        "the file is neither a spreadsheet (.xlsx, .xlsm, .ods) nor a text CSV file", file=name)


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as fh:
        sample = fh.read(8192)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return True
    if b"\x00" in sample:
        # UTF-16 without BOM: every other byte zero
        return sample[1::2].count(0) > len(sample) // 4 or sample[::2].count(0) > len(sample) // 4
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # cut inside a multi-byte character
            return True
        try:
            sample.decode("cp1252")
            return True
        except UnicodeDecodeError:
            return False


def _detect_zip(path: Path, limits: Limits) -> str:
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            if total > limits.max_uncompressed_mb * 2**20:
                raise UnreadableFileError(
                    f"the workbook would inflate to {total / 2**20:,.0f} MiB, over the "
                    f"{limits.max_uncompressed_mb:g} MiB limit for uncompressed content; if "
                    "the file is genuine, raise the limit with --max-mb (or "
                    "Limits(max_uncompressed_mb=...))", file=name)
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].decode("ascii", "replace")
                if "opendocument.spreadsheet" in mime:
                    return "ods"
                raise UnsupportedFormatError(
                    f"this is an OpenDocument file of type {mime.strip()!r}, not a spreadsheet",
                    file=name)
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                if "xl/workbook.bin" in names:
                    raise UnsupportedFormatError(
                        "binary Excel workbooks (.xlsb) are not supported; save as .xlsx",
                        file=name)
                return "xlsx"
            if any(n.lower().endswith(".qde") for n in names):
                raise UnsupportedFormatError(
                    "REFI-QDA projects (.qdpx) are not supported yet", file=name)
            if "word/document.xml" in names:
                raise UnsupportedFormatError(
                    "this is a Word document, not a spreadsheet", file=name)
            raise UnsupportedFormatError(
                "this zip archive is not a spreadsheet (no xl/workbook.xml inside)", file=name)
    except zipfile.BadZipFile:
        raise UnreadableFileError(
            "the file is a damaged or truncated zip archive (.xlsx and .ods files are zip "
            "archives); save it again from the spreadsheet program", file=name) from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise UnreadableFileError(f"the zip archive cannot be read ({exc})", file=name) \
            from None


# --- workbooks ------------------------------------------------------------------------------


def _open_workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types; all mean "cannot read"
        raise UnreadableFileError(_calamine_message(exc), file=path.name) from None


def _calamine_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    kind = type(exc).__name__
    if "Password" in kind or "password" in text.lower() or "encrypt" in text.lower():
        return ("the workbook is password-protected (encrypted); remove the password and save "
                "it again")
    if "Zip" in kind or "zip" in text.lower():
        return f"the workbook's zip archive is damaged ({text})"
    return f"the workbook is damaged and cannot be read ({text})"


def _sheet_rows(wb: Any, sheet: str, file: str) -> tuple[list[list[Any]], list]:
    try:
        ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges or []
    except Exception as exc:
        raise UnreadableFileError(_calamine_message(exc), file=file, sheet=sheet) from None
    return rows, list(merged)


def read_workbook_study(path: Path, *, dayfirst: bool = True) -> Study:
    """Read an xlsx, xlsm or ods workbook in template or grid layout."""
    file = path.name
    wb = _open_workbook(path)
    try:
        try:
            names = list(wb.sheet_names)
        except Exception as exc:
            raise UnreadableFileError(_calamine_message(exc), file=file) from None
        return _read_sheets(wb, names, path, dayfirst)
    finally:
        try:
            wb.close()
        except Exception:
            pass


def _read_sheets(wb: Any, names: list[str], path: Path, dayfirst: bool) -> Study:
    file = path.name
    log = ImportLog(files=[file])
    tables: dict[str, tuple[str, pd.DataFrame]] = {}
    others: list[str] = []
    for sheet in names:
        spec = sheet_for(sheet)
        if spec is None or spec.name in tables:
            others.append(sheet)
            continue
        rows, _ = _sheet_rows(wb, sheet, file)
        parsed = parse_table(rows, spec, file=file, sheet=sheet, dayfirst=dayfirst,
                             keep_extra=spec.name == "participants")
        log.extend(parsed.log)
        tables[spec.name] = (sheet, parsed.frame)

    group_order: list[str] = []
    if "notes" in tables:
        notes = tables["notes"][1]
        for sheet in others:
            if sheet.strip().casefold() not in _IGNORED_SHEETS:
                log.warnings.append(Problem(
                    "sheet not read: the workbook has a notes sheet, so other sheets are not "
                    "read as grids", file=file, sheet=sheet, severity="warning"))
    else:
        frames = []
        for sheet in others:
            if sheet.strip().casefold() in _IGNORED_SHEETS:
                continue
            rows, merged = _sheet_rows(wb, sheet, file)
            if find_grid_header(rows, dayfirst=dayfirst) is None:
                if any(any(v not in (None, "") for v in r) for r in rows):
                    log.warnings.append(Problem(
                        "sheet not read: it is neither a template sheet (notes, codebook, "
                        "sessions, participants, ratings) nor a grid with session numbers or "
                        "dates in a header row", file=file, sheet=sheet, severity="warning"))
                continue
            group = sheet.strip()
            frame, glog = parse_grid(rows, file=file, sheet=sheet, group=group,
                                     merged=merged, dayfirst=dayfirst)
            log.extend(glog)
            frames.append(frame)
            group_order.append(group)
        if not frames:
            expected = ", ".join(SHEETS)
            raise InputError(
                f"no notes found: the workbook has neither a 'notes' sheet nor a grid sheet "
                f"(sheets found: {', '.join(names)}; template sheets are {expected})",
                file=file)
        notes = pd.concat(frames, ignore_index=True)

    def side(name: str) -> pd.DataFrame | None:
        return tables[name][1] if name in tables else None

    return build_study(
        notes, log=log, file=file, codebook=side("codebook"),
        codebook_sheet=tables["codebook"][0] if "codebook" in tables else "codebook",
        sessions=side("sessions"), participants=side("participants"), ratings=side("ratings"),
        group_order=group_order or None, source=path, history=side("codebook_history"),
    )


# --- CSV ------------------------------------------------------------------------------------


def decode_text(data: bytes, file: str, log: ImportLog) -> str:
    """Decode CSV bytes: BOMs first, then UTF-8, then Windows-1252 (with a warning)."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as exc:
                raise UnreadableFileError(
                    f"the file starts with a {enc.upper()} byte-order mark but is not valid "
                    f"{enc.upper()} at byte {exc.start}", file=file) from None
    if b"\x00" in data[:4096]:
        enc = "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be"
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        log.warnings.append(Problem(
            "the file is not UTF-8; it was read as Windows-1252 (Western European). Save it "
            "as 'CSV UTF-8' to be sure accents are right", file=file, severity="warning"))
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """Return the delimiter of a CSV text among ``, ; tab |``."""
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count) if first else ","


def read_csv_study(path: Path, *, dayfirst: bool = True) -> Study:
    """Read a notes table (long layout) or a single-group grid from a CSV file."""
    file = path.name
    log = ImportLog(files=[file])
    text = decode_text(path.read_bytes(), file, log)
    delimiter = sniff_delimiter(text)
    csv.field_size_limit(2**31 - 1)
    try:
        rows = [[c if c != "" else None for c in r]
                for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise UnreadableFileError(f"the CSV file is malformed ({exc})", file=file) from None
    long_cells = [(i + 1, j) for i, r in enumerate(rows) for j, c in enumerate(r)
                  if c is not None and len(c) > 32767]
    for row, col in long_cells[:20]:
        from ..study import _excel_column

        log.warnings.append(Problem(
            "cell longer than 32,767 characters, Excel's limit: it is read in full, but a "
            "workbook export will cut it", file=file, row=row, column=_excel_column(col),
            severity="warning"))
    parsed = parse_table(rows, SHEETS["notes"], file=file, sheet=None, dayfirst=dayfirst)
    if parsed.header_row is None and find_grid_header(rows, dayfirst=dayfirst) is not None:
        frame, glog = parse_grid(rows, file=file, sheet=None, group=path.stem, label=file,
                                 dayfirst=dayfirst)
        log.extend(glog)
        return build_study(frame, log=log, file=file, group_order=[path.stem], source=path)
    log.extend(parsed.log)
    return build_study(parsed.frame, log=log, file=file, source=path)
