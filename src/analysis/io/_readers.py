"""Opening files: format detection, workbooks (xlsx, xlsm, ods) and CSV.

This is the only module that opens input files. Every failure of the underlying libraries is
turned into an :class:`~analysis.io._errors.InputError` with one sentence.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import html
import io
import posixpath
import queue
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from ..study import ImportLog, Problem, Study, _excel_column
from ._build import build_study
from ._errors import InputError, UnreadableFileError, UnsupportedFormatError
from ._grid import find_grid_header, parse_grid
from ._options import OptionsError, ReadOptions
from ._schema import SHEETS, header_key, sheet_for
from ._sniff import grid_problem, refusal
from ._tables import (
    HEADER_SEARCH_ROWS,
    ParsedTable,
    SheetColumns,
    locate_header,
    parse_table,
    split_codes,
)
from ._values import is_blank

__all__ = ["Limits", "Workbook", "detect_and_open", "detect_format", "read_csv_study",
           "read_workbook_study"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_IGNORED_SHEETS = {"readme", "about", "info", "instructions", "istruzioni", "legend", "legenda",
                   "notes on method", "lists", "lookup", "dropdowns", "help"}


@dataclass(frozen=True)
class Limits:
    """Size limits checked before a file is read into memory.

    The defaults are what Excel and LibreOffice can hold (1,048,576 rows by 16,384 columns)
    and what their files look like (compressed at most a few dozen times), so any file a
    spreadsheet program wrote is read, and a file built to exhaust memory is refused before
    it is parsed. Raise one for a genuine file by passing e.g.
    ``limits=Limits(max_rows=5_000_000)`` to :func:`~analysis.read_study`, or ``--max-mb``,
    ``--max-rows``, ``--max-columns``, ``--max-cells``, ``--max-ratio`` on the command line.

    Attributes
    ----------
    max_file_mb : float
        Largest file on disk, in MiB (default 500).
    max_uncompressed_mb : float
        Largest total uncompressed size of a workbook's parts, in MiB (default 2048): a
        zip bomb is refused before a byte is inflated.
    max_rows : int
        Most rows in one sheet (CSV: records), counted down to the last row that holds a
        value (default 1,048,576, the last row of an Excel or LibreOffice sheet).
    max_columns : int
        Most columns in one sheet (CSV: fields in a record), counted to the last column
        that holds a value (default 16,384, Excel's last column ``XFD``).
    max_cells : int
        Most cells in one sheet, counted as rows times columns of the area from ``A1`` to the
        last used row and column (default 50,000,000), because that whole area is read into
        memory, blank cells included. A CSV file counts its records times its widest record.
    max_ratio : float
        Largest compression ratio (inflated size / stored size) of a workbook part over
        1 MiB inflated (default 100). Workbooks written by Excel, LibreOffice and openpyxl
        compress 6-10 times; a sheet of formatted empty rows, the most compressible thing
        they write, 9-28 times. Deflate reaches about 1,000 on repeated content, which is
        what a zip bomb holds.

    Notes
    -----
    Rows and cells are counted from the workbook's XML (or the CSV text) before the sheet is
    read, so a small file that claims a huge area (a "cell bomb") is refused instead of
    exhausting memory. Cells with formatting but no value do not count. A sheet whose
    ``<dimension>`` element (written at its top by spreadsheet programs) declares more rows
    or columns than both the limits and any spreadsheet program allow is refused before
    its rows are scanned; one that understates its size is still measured by the scan.
    """

    max_file_mb: float = 500
    max_uncompressed_mb: float = 2048
    max_rows: int = 1_048_576
    max_cells: int = 50_000_000
    max_columns: int = 16_384
    max_ratio: float = 100


#: The last row and column of an Excel or LibreOffice sheet (XFD1048576).
SPREADSHEET_ROWS = 1_048_576
SPREADSHEET_COLUMNS = 16_384
#: Parts that inflate to less than this are not held to ``Limits.max_ratio``.
_RATIO_FLOOR = 2**20


def check_file_size(size: int, limits: Limits, name: str) -> None:
    """Refuse an empty file, or one larger than ``limits.max_file_mb``, with one sentence."""
    if size == 0:
        raise UnreadableFileError("the file is empty (0 bytes)", file=name)
    if size > limits.max_file_mb * 2**20:
        raise UnreadableFileError(
            f"the file is {size / 2**20:.0f} MiB, over the {limits.max_file_mb:g} MiB limit; "
            "raise it with --max-mb (or Limits(max_file_mb=...))", file=name)


def detect_format(path: Path, *, limits: Limits = Limits()) -> str:
    """Return ``"xlsx"``, ``"ods"``, ``"csv"``, ``"qdpx"``, ``"qde"`` or raise :class:`InputError`.

    ``"qde"`` is a bare REFI-QDA project file (the XML of a ``.qdpx`` without its zip).

    The content decides, not the extension: a CSV renamed ``.xlsx`` and a legacy ``.xls``
    renamed ``.xlsx`` are each recognized and explained.
    """
    return _detect(path, limits, open_xlsx=False)[0]


def detect_and_open(path: Path, *, limits: Limits = Limits()) -> tuple[str, Workbook | None]:
    """Return :func:`detect_format` and, for an xlsx workbook, the workbook opened.

    The workbook is opened in a thread while the largest sheet is checked against the
    limits (calamine parses without the interpreter lock), and the sheets already checked
    are read there too. The caller closes it.
    """
    return _detect(path, limits, open_xlsx=True)


def _detect(path: Path, limits: Limits, *, open_xlsx: bool) -> tuple[str, Workbook | None]:
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
    check_file_size(size, limits, name)
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
        return _zip_errors(path, limits, open_xlsx)
    if suffix in {".xlsx", ".xlsm", ".ods"}:
        kind = "plain text (it looks like CSV)" if _looks_like_text(path) else "not a zip archive"
        raise UnreadableFileError(
            f"the file is named {suffix} but is {kind}; "
            + ("rename it to .csv" if "CSV" in kind else "it may be damaged or of another kind"),
            file=name)
    if suffix == ".qdc":
        raise UnsupportedFormatError(
            "a .qdc file is a REFI-QDA codebook (codes and categories), not notes: give it with "
            f"the notes file, e.g. `check NOTES.qdpx --codebook {name}`", file=name)
    if suffix in {".xls", ".xlsb", ".numbers"}:
        raise UnsupportedFormatError(f"{suffix} files are not supported yet", file=name)
    if _is_refi_project_xml(path, suffix, name):
        return "qde", None
    if _looks_like_text(path):
        _check_csv_size(path, limits)
        return "csv", None
    raise UnsupportedFormatError(
        "the file is neither a spreadsheet (.xlsx, .xlsm, .ods) nor a text CSV file", file=name)


_XML_ROOT = re.compile(rb"^(?:\s|<\?[^>]*\?>|<!--.*?-->)*<(?:[\w.-]+:)?(\w+)[\s/>]", re.DOTALL)


def _is_refi_project_xml(path: Path, suffix: str, name: str) -> bool:
    """Tell a bare REFI-QDA project (``project.qde``, XML, not zipped) from a CSV file.

    True when the XML's root element is ``Project`` and the REFI-QDA project namespace is
    declared near the top; a ``.qde`` file with another root is refused.
    """
    with path.open("rb") as fh:
        head = fh.read(65536)
    for bom, codec in ((codecs.BOM_UTF8, None), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom):]
            if codec is not None:
                head = head.decode(codec, "replace").encode("utf-8")
            break
    m = _XML_ROOT.match(head)
    if m is not None and m.group(1) == b"Project" and b"urn:QDA-XML:project" in head:
        return True
    if suffix == ".qde":
        raise UnsupportedFormatError(
            "this .qde file is not a REFI-QDA project (its XML root is not <Project> in the "
            "namespace urn:QDA-XML:project:1.0); export the project from the QDA program "
            "again", file=name)
    return False


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


def _detect_zip(path: Path, limits: Limits, open_xlsx: bool) -> tuple[str, Workbook | None]:
    name = path.name
    opening: _Opening | None = None

    def start(checked: list[str], strings: bool) -> None:
        nonlocal opening
        opening = _Opening(path, checked, strings=strings)

    try:
        with zipfile.ZipFile(path) as zf:
            kind = _zip_kind(zf, name, limits)
            if kind != "qdpx":
                _check_sheet_sizes(zf, kind, name, limits,
                                   before_largest=start if open_xlsx and kind == "xlsx" else None)
        return kind, opening.result() if opening is not None else None
    except BaseException as exc:
        if opening is not None:
            opening.discard()
            if opening.strings_error is not None and isinstance(exc, Exception):
                # the shared strings were checked before the sheets' rows, so their refusal
                # comes first, as it did when they were checked in this thread
                raise opening.strings_error from None
        raise


def _zip_errors(path: Path, limits: Limits, open_xlsx: bool) -> tuple[str, Workbook | None]:
    name = path.name
    try:
        return _detect_zip(path, limits, open_xlsx)
    except zipfile.BadZipFile:
        raise UnreadableFileError(
            "the file is a damaged or truncated zip archive (.xlsx and .ods files are zip "
            "archives); save it again from the spreadsheet program", file=name) from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error) as exc:
        raise UnreadableFileError(f"the zip archive cannot be read ({exc})", file=name) \
            from None


def _zip_kind(zf: zipfile.ZipFile, name: str, limits: Limits) -> str:
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
        return "qdpx"
    if "word/document.xml" in names:
        raise UnsupportedFormatError(
            "this is a Word document, not a spreadsheet", file=name)
    raise UnsupportedFormatError(
        "this zip archive is not a spreadsheet (no xl/workbook.xml inside)", file=name)


# --- rows and cells of each sheet, counted before the sheet is read -------------------------
#
# python-calamine builds a dense block of cells (about 32 bytes each, from A1 to the last
# used cell) as soon as a sheet is opened, before its size can be asked: one value in cell
# XFD1048576 of a 2 KB file asks for 550 GB and aborts the interpreter. So the sheet XML is
# streamed here (inflated piece by piece, never whole) and its used area measured first.

_SCAN_CHUNK = 1 << 20  # bytes inflated at a time (by a thread that inflates ahead)
# bytes inflated at a time by the thread that searches them: a chunk this size is still in
# the core's cache when searched (a 29 MB sheet is scanned about 10% faster than in 1 MiB)
_LOCAL_CHUNK = 1 << 18
_MAX_TAG = 1 << 20  # no spreadsheet program writes a start tag this long
_MAX_TEXT = 8 << 20  # nor a text this long between two tags
# the attributes of a start tag, up to its "/>" or ">" (a quoted value may hold either)
_ATTRS = rb"""(?:[^>"'/]++|/(?!>)|"[^"]*+"|'[^']*+')*+"""
_TAG = re.compile(rb"<" + _ATTRS + rb"/?>")
# xlsx, fast path: every cell written as spreadsheet programs write it, <c r="B7" ...>
_ODD_CELL = re.compile(rb'<c(?! r=")[\s/>]')
_MAYBE_PREFIXED = re.compile(rb":c[\s/>]")
_PREFIXED_CELL = re.compile(rb"<[\w.-]+:c[\s/>]")
_CANONICAL_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,9})"')
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,9})"' + _ATTRS + rb">")
# xlsx, slow path (prefixed elements, cells without r, unusual quoting): every row and cell
_XLSX_TOKEN = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])(" + _ATTRS + rb")(/?)>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]{0,3})\$?([0-9]{0,12})""")
_ODS_TOKEN = re.compile(
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])(" + _ATTRS
    + rb")(/?)>")
_ODS_NAME = re.compile(rb"""table:name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ODS_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["']([0-9]{1,12})""")
_ODS_COLS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["']([0-9]{1,12})""")
_BEYOND: dict[tuple[bytes, int], re.Pattern[bytes]] = {}


def _greater(text: bytes, *, digits: bool) -> bytes:
    """Return regex alternatives for a row number (or column letters) greater than ``text``."""
    cls, top = (b"0-9", ord("9")) if digits else (b"A-Z", ord("Z"))
    n = len(text)
    alts = [b"[0-9]{%d,}" % (n + 1)] if digits else ([b"[A-Z]{%d,3}" % (n + 1)] if n < 3 else [])
    for i, ch in enumerate(text):
        if ch < top:
            alts.append(text[:i] + b"[%c-%c]" % (ch + 1, top) + b"[%s]{%d}" % (cls, n - i - 1))
    return b"|".join(alts) or b"(?!)"


def _beyond(col: bytes, digits: int) -> re.Pattern[bytes]:
    """Match a value cell right of column ``col`` or with a row of more than ``digits`` digits.

    Also matches a reference that is not plain letters and digits. Self-closing cells
    (formatting only) fail inside the pattern, so they cost no Python work.
    """
    if (col, digits) not in _BEYOND:
        longer = (rb"|[A-Z]{1,3}[0-9]{%d,9}\"" % (digits + 1) + _ATTRS + rb">"
                  if digits < 9 else b"")
        _BEYOND[col, digits] = re.compile(
            rb'<c r="(?:(?:' + _greater(col, digits=False) + rb')[0-9]{1,9}"' + _ATTRS
            + rb">" + longer + rb'|(?![A-Z]{1,3}[0-9]{1,9}"))')
    return _BEYOND[col, digits]


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _xml_pieces(zf: zipfile.ZipFile, member: str, file: str,
                sheet: str | None, *, ahead: bool = True) -> Iterator[bytes]:
    """Yield a part's XML in pieces that end after a whole tag; text after it is dropped.

    Memory stays at about two chunks whatever the part inflates to; Python's zipfile stops
    at the size the archive declares (and checks the CRC), so a part that lies about its
    size is refused as damaged. So is a text run (between two tags) over
    ``_MAX_TEXT``: calamine would hold it in memory whole, and no spreadsheet program
    writes one (a cell holds at most 32,767 characters). ``ahead`` as in :func:`_inflated`.
    """
    tail = b""
    run = 0  # bytes of text since the last tag
    for data in _inflated(zf, member, ahead=ahead):
        if tail:
            buf = tail + data
        else:
            buf = data
            first = data.find(b"<")
            run += len(data) if first == -1 else first
            if run > _MAX_TEXT:
                raise UnreadableFileError(
                    f"the XML holds a text over {_MAX_TEXT // 2**20} MiB long between two "
                    "tags, which no spreadsheet program writes (a cell holds at most "
                    "32,767 characters); the file is damaged or built to exhaust memory",
                    file=file, sheet=sheet)
            if first == -1:
                continue
        start = buf.rfind(b"<")
        whole = _TAG.match(buf, start)
        if whole:
            yield buf[: whole.end()]
            tail, run = b"", len(buf) - whole.end()
        else:
            if start:
                yield buf[:start]
            tail, run = buf[start:], 0
            if len(tail) > _MAX_TAG:
                raise UnreadableFileError(
                    f"the XML holds a tag over {_MAX_TAG // 2**20} MiB long, which no "
                    "spreadsheet program writes; the file is damaged", file=file,
                    sheet=sheet)


def _inflated(zf: zipfile.ZipFile, member: str, *, ahead: bool = True) -> Iterator[bytes]:
    """Yield a part's bytes in chunks of :data:`_SCAN_CHUNK`, inflated ahead in a thread.

    zlib works without the interpreter lock, so for a large part the next chunk inflates
    on the other core while this one is searched. At most two chunks wait in the queue.
    A part of at most four chunks, or any part without ``ahead`` (when the other core is
    busy anyway, e.g. opening the workbook: a third busy thread on two cores only slows
    both), is inflated here, in chunks of :data:`_LOCAL_CHUNK`.
    """
    if not ahead or zf.getinfo(member).file_size <= 4 * _SCAN_CHUNK:
        with zf.open(member) as fh:
            while data := fh.read(_LOCAL_CHUNK):
                yield data
        return
    chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item: bytes | BaseException) -> None:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            with zf.open(member) as fh:
                while not stop.is_set():
                    data = fh.read(_SCAN_CHUNK)
                    put(data)
                    if not data:
                        return
        except BaseException as exc:  # handed to the reading thread, which raises it
            put(exc)

    worker = threading.Thread(target=produce, name="inflate", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _value_pieces(zf: zipfile.ZipFile, member: str, file: str,
                  sheet: str, *, ahead: bool = True) -> Iterator[bytes]:
    """Yield the pieces of a worksheet part that may hold a cell with a value.

    A piece in which no cell ends can only open a value cell in its last cell tag (cells do
    not nest), so only that tag is kept: rows of formatting only pass at memchr speed.
    """
    for piece in _xml_pieces(zf, member, file, sheet, ahead=ahead):
        if b"</c>" in piece or b":c>" in piece:
            yield piece
            continue
        start = max(piece.rfind(b"<c"), piece.rfind(b":c"))
        if start != -1:
            yield piece[piece.rfind(b"<", 0, start + 1):]


def _below(most: int) -> re.Pattern[bytes]:
    """Match a value cell in a row after row ``most``."""
    return re.compile(rb'<c r="[A-Z]{1,3}(?:' + _greater(b"%d" % most, digits=True) + rb')"'
                      + _ATTRS + rb">")


def _within(limits: Limits) -> re.Pattern[bytes] | None:
    """Match any cell tag but ``<c r="X123"`` with one letter and a row the limits allow.

    With columns A to Z only (or fewer, as ``max_columns`` allows) and rows of at most
    ``d`` digits, a sheet holds at most ``26 * (10**d - 1)`` cells; ``d`` is the most
    digits the limits allow so. Rows with one digit more are allowed too up to the rows
    limit, in the columns the cells limit allows for that many rows (defaults: rows to
    1,048,576 in columns A to Z). A sheet in which the pattern never matches is within the
    limits after a single regex pass, as nearly every sheet is; ``None`` when even
    one-digit rows could break the limits.
    """
    width = min(26, limits.max_columns)
    d = 0
    while d < 9 and 10 ** (d + 1) - 1 <= limits.max_rows and \
            width * (10 ** (d + 1) - 1) <= limits.max_cells:
        d += 1
    if d == 0:
        return None
    top = min(limits.max_rows, 10 ** (d + 1) - 1) if d < 9 else 0
    letters = min(width, limits.max_cells // top) if top >= 10**d else 0
    if (d, top, letters) not in _WITHIN:
        allowed = rb"[A-%c][0-9]{1,%d}" % (64 + width, d)
        if letters >= 1:
            allowed += rb'|[A-%c](?!(?:%s)")[1-9][0-9]{%d}' % (
                64 + letters, _greater(b"%d" % top, digits=True), d)
        _WITHIN[d, top, letters] = re.compile(rb'<c(?! r="(?:' + allowed + rb')")[\s/>]')
    return _WITHIN[d, top, letters]


_WITHIN: dict[tuple[int, int, int], re.Pattern[bytes]] = {}


def _xlsx_extent(zf: zipfile.ZipFile, member: str, limits: Limits, file: str,
                 sheet: str, *, ahead: bool = True) -> tuple[int, int] | None:
    """Return (last used row, last used column) of a worksheet part, or ``None`` if within.

    A cell counts when its tag is not self-closing (``<c r="A5" s="1"/>`` is formatting
    only). One pass finds the last used column exactly and bounds the rows by the number
    of digits of the references; a piece in which that bound is over the rows the limits
    allow is searched for a value cell below them. Rows are counted exactly only to refuse.
    ``ahead`` as in :func:`_inflated` (for the passes of nearly every sheet).
    """
    fast = _within(limits)
    if fast is not None and not any(
            fast.search(piece) or (b":" in piece and _MAYBE_PREFIXED.search(piece)
                                   and _PREFIXED_CELL.search(piece))
            for piece in _value_pieces(zf, member, file, sheet, ahead=ahead)):
        return None
    col, digits, cols = b"", 0, 0
    beyond = _beyond(col, digits)
    unsearched = 0  # the largest row bound of a piece not searched for rows beyond a limit
    searched = 0  # the most rows allowed when a piece was searched (they only shrink)
    over = False
    for piece in _value_pieces(zf, member, file, sheet, ahead=ahead):
        if _ODD_CELL.search(piece) or (
                _MAYBE_PREFIXED.search(piece) and _PREFIXED_CELL.search(piece)):
            return _xlsx_extent_slow(zf, member, file, sheet)
        pos = 0
        while m := beyond.search(piece, pos):
            ref = _CANONICAL_CELL.match(piece, m.start())
            if ref is None:
                return _xlsx_extent_slow(zf, member, file, sheet)
            letters, number = ref.groups()
            if (len(letters), letters) > (len(col), col):
                col, cols = letters, _column_number(letters)
            digits = max(digits, len(number))
            beyond = _beyond(col, digits)
            pos = m.start() + 1
        if not cols:
            continue
        most = min(limits.max_rows, limits.max_cells // cols)
        if 10**digits - 1 <= most:
            unsearched = max(unsearched, 10**digits - 1)
        else:
            searched = max(searched, most)
            if _below(most).search(piece):
                over = True
                break
    if not cols:
        return None
    most = min(limits.max_rows, limits.max_cells // cols)
    if not over and cols <= limits.max_columns:
        if unsearched <= most and searched <= most:
            return None
        # the column grew after some pieces were passed: look again with the final bound
        below = _below(most)
        if not any(below.search(piece) for piece in _value_pieces(zf, member, file, sheet)):
            return None
    last_row, last_col = 0, b""
    for piece in _value_pieces(zf, member, file, sheet):
        for letters, number in _VALUE_CELL.findall(piece):
            last_row = max(last_row, int(number))
            if (len(letters), letters) > (len(last_col), last_col):
                last_col = letters
    return last_row, _column_number(last_col)


def _xlsx_extent_slow(zf: zipfile.ZipFile, member: str, file: str,
                      sheet: str) -> tuple[int, int]:
    """Follow every row and cell tag, placing cells without ``r`` as calamine does."""
    row = cell_row = col = last_row = last_col = 0
    for piece in _xml_pieces(zf, member, file, sheet):
        for name, attrs, empty in _XLSX_TOKEN.findall(piece):
            ref = _R_ATTR.search(attrs)
            letters, digits = ref.groups() if ref else (b"", b"")
            if name == b"row":
                row = cell_row = int(digits) if digits else row + 1
                col = 0
                continue
            col = _column_number(letters) if letters else col + 1
            if digits:
                cell_row = int(digits)
            if not empty:
                last_row = max(last_row, row, cell_row, 1)
                last_col = max(last_col, col)
    return last_row, last_col


def _ods_extents(zf: zipfile.ZipFile, file: str) -> dict[str, tuple[int, int]]:
    """Return (last used row, last used column) of every table of an ODS ``content.xml``.

    Repeated rows and cells (``number-rows-repeated``, ``number-columns-repeated``) count
    as many times as they repeat when they hold a value; repeated empty ones (LibreOffice
    writes them down to row 1,048,576) do not.
    """
    extents: dict[str, tuple[int, int]] = {}
    depth = row = col = rep = last_row = last_col = row_last_col = 0
    table = ""
    for piece in _xml_pieces(zf, "content.xml", file, None):
        for close, name, attrs, empty in _ODS_TOKEN.findall(piece):
            if name == b"table":
                if close:
                    depth -= 1
                    if depth == 0:
                        extents[table] = (last_row, last_col)
                elif not empty:
                    depth += 1
                    if depth == 1:
                        m = _ODS_NAME.search(attrs)
                        raw = (m.group(1) or m.group(2)) if m else b""
                        table = html.unescape(raw.decode("utf-8", "replace"))
                        row = col = last_row = last_col = 0
                continue
            if depth != 1:
                continue
            if name == b"table-row":
                if close:
                    if row_last_col:
                        last_row = max(last_row, row + rep)
                        last_col = max(last_col, row_last_col)
                    row += rep
                    continue
                m = _ODS_ROWS_REPEATED.search(attrs) if b"repeated" in attrs else None
                rep = int(m.group(1)) if m else 1
                if empty:
                    row += rep
                col = row_last_col = 0
            elif not close:
                m = _ODS_COLS_REPEATED.search(attrs) if b"repeated" in attrs else None
                span = int(m.group(1)) if m else 1
                if not empty or b"value-type" in attrs:
                    row_last_col = col + span
                col += span
    return extents


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Map each sheet name to its worksheet part (``xl/worksheets/sheet1.xml``)."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    parts: dict[str, str] = {}
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        where = target.get(rid, "")
        if where:
            member = where.lstrip("/") if where.startswith("/") else posixpath.normpath(
                posixpath.join("xl", where))
            parts[el.get("name", "")] = member
    return parts


def _sheets_read(names: list[str]) -> list[str]:
    """Return the sheets :func:`read_workbook_study` reads (template sheets, else grids)."""
    template: dict[str, str] = {}
    others = []
    for sheet in names:
        spec = sheet_for(sheet)
        if spec is None or spec.name in template:
            others.append(sheet)
        else:
            template[spec.name] = sheet
    if "notes" in template:
        return list(template.values())
    return [*template.values(),
            *(s for s in others if s.strip().casefold() not in _IGNORED_SHEETS)]


def _check_sheet_sizes(zf: zipfile.ZipFile, kind: str, file: str, limits: Limits, *,
                       before_largest: Callable[[list[str], bool], None] | None = None) -> None:
    """Refuse a workbook with a sheet over the rows or cells limit, before calamine opens it.

    xlsx sheets are checked smallest first; ``before_largest`` is called with the sheets
    checked so far and whether the workbook has shared strings just before the largest one
    is, and must then check the shared strings (:func:`_check_strings`) before calamine
    opens the workbook.
    """
    names = set(zf.namelist())
    if kind == "ods":
        if "content.xml" not in names:
            return
        _check_ratio(zf, "content.xml", limits, file=file, sheet=None)
        extents = _ods_extents(zf, file)
        for sheet in _sheets_read(list(extents)):
            _check_extent(*extents[sheet], limits, file=file, sheet=sheet)
        return
    parts = _xlsx_sheet_parts(zf)
    sheets = [s for s in _sheets_read(list(parts)) if parts[s] in names]
    if "xl/sharedStrings.xml" in names:
        _check_ratio(zf, "xl/sharedStrings.xml", limits, file=file, sheet=None)
    for sheet in sheets:  # what a part claims, before a row of any sheet is scanned
        _check_ratio(zf, parts[sheet], limits, file=file, sheet=sheet)
        _check_dimension(zf, parts[sheet], limits, file=file, sheet=sheet)
    strings = "xl/sharedStrings.xml" in names
    sheets.sort(key=lambda s: zf.getinfo(parts[s]).file_size)

    def check(sheet: str, ahead: bool = True) -> None:
        extent = _xlsx_extent(zf, parts[sheet], limits, file, sheet, ahead=ahead)
        if extent is not None:
            _check_extent(*extent, limits, file=file, sheet=sheet)

    if before_largest is None or not sheets:
        if strings:
            _check_strings(zf, file)
        for sheet in sheets:
            check(sheet)
        return
    try:
        for sheet in sheets[:-1]:
            check(sheet)
    except UnreadableFileError:
        if strings:
            _check_strings(zf, file)  # refused first, as when the opener checks them
        raise
    # the shared strings are checked (then the workbook opened) in the opener's thread while
    # the largest sheet is scanned here: the two passes overlap instead of following each other
    before_largest(sheets[:-1], strings)
    check(sheets[-1], ahead=False)


def _check_strings(zf: zipfile.ZipFile, file: str, *, ahead: bool = True) -> None:
    """Refuse shared strings holding a text that no spreadsheet program writes.

    calamine holds every shared string once the workbook is opened, so this comes first.
    ``ahead`` as in :func:`_inflated`.
    """
    for _ in _xml_pieces(zf, "xl/sharedStrings.xml", file, None, ahead=ahead):
        pass


def _check_ratio(zf: zipfile.ZipFile, member: str, limits: Limits, *, file: str,
                 sheet: str | None) -> None:
    """Refuse a part that inflates more than ``limits.max_ratio`` times (its declared sizes).

    The declared size is a bound: Python's zipfile stops inflating there.
    """
    info = zf.getinfo(member)
    if info.file_size < _RATIO_FLOOR:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > limits.max_ratio:
        raise UnreadableFileError(
            f"the {'sheet' if sheet is not None else 'part ' + repr(member)} would inflate "
            f"{ratio:,.0f} times, to {info.file_size / 2**20:,.0f} MiB, over the "
            f"{limits.max_ratio:g}x limit (spreadsheet programs compress 6-30 times; more is "
            "what a zip bomb holds); if the file is genuine, raise the limit with "
            "--max-ratio (or Limits(max_ratio=...))", file=file, sheet=sheet)


_DIMENSION = re.compile(
    rb"""<(?:[\w.-]+:)?dimension\s+ref\s*=\s*["']\$?[A-Za-z]{1,3}\$?[0-9]{1,12}"""
    rb"""(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,12}))?["']""")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData[\s/>]")


def _check_dimension(zf: zipfile.ZipFile, member: str, limits: Limits, *, file: str,
                     sheet: str) -> None:
    """Refuse a sheet whose ``<dimension>`` declares more rows or columns than any program.

    The element comes before ``<sheetData>``; it is only believed when it declares more than
    both the limits and a spreadsheet program's sheet (1,048,576 rows, 16,384 columns), as
    it counts formatted cells too. A sheet that understates it is caught by the scan.
    """
    with zf.open(member) as fh:
        head = fh.read(16384)
    end = _SHEET_DATA.search(head)
    m = _DIMENSION.search(head, 0, end.start() if end else len(head))
    if m is None or m.group(1) is None:
        return
    rows, cols = int(m.group(2)), _column_number(m.group(1))
    if (rows > limits.max_rows and rows > SPREADSHEET_ROWS) or (
            cols > limits.max_columns and cols > SPREADSHEET_COLUMNS):
        raise UnreadableFileError(
            f"the sheet declares the area A1:{m.group(1).decode().upper()}{rows} ({rows:,} rows "
            f"by {cols:,} columns), more than Excel or LibreOffice can hold "
            f"({SPREADSHEET_ROWS:,} rows by {SPREADSHEET_COLUMNS:,} columns) and over the "
            f"limits; if the file is genuine, raise them with --max-rows and --max-columns "
            "(or Limits(max_rows=..., max_columns=...))", file=file, sheet=sheet)


def _check_extent(rows: int, cols: int, limits: Limits, *, file: str,
                  sheet: str | None) -> None:
    what = "the sheet" if sheet is not None else "the CSV file"
    if rows > limits.max_rows:
        runs = f"runs to row {rows:,}" if sheet is not None else f"has {rows:,} records"
        raise UnreadableFileError(
            f"{what} {runs}, over the {limits.max_rows:,}-row limit; if the file is genuine, "
            "raise the limit with --max-rows (or Limits(max_rows=...))", file=file, sheet=sheet)
    if cols > limits.max_columns:
        runs = (f"runs to column {_excel_column(cols - 1)} ({cols:,} columns)"
                if sheet is not None else f"has a record of {cols:,} fields")
        raise UnreadableFileError(
            f"{what} {runs}, over the {limits.max_columns:,}-column limit; if the file is "
            "genuine, raise the limit with --max-columns (or Limits(max_columns=...))",
            file=file, sheet=sheet)
    if rows * cols > limits.max_cells:
        area = (f"spans A1:{_excel_column(cols - 1)}{rows} ({rows:,} rows by {cols:,} columns)"
                if sheet is not None else f"has {rows:,} records of up to {cols:,} fields")
        raise UnreadableFileError(
            f"{what} {area}, {rows * cols:,} cells, over the {limits.max_cells:,}-cell limit "
            "(blank cells inside the area count: they are read into memory too); if the file "
            "is genuine, raise the limit with --max-cells (or Limits(max_cells=...))",
            file=file, sheet=sheet)


def _check_csv_size(path: Path, limits: Limits) -> None:
    """Refuse a CSV file with more records, or records times fields, than the limits allow.

    Line breaks and the most delimiter characters (``, ; tab |``) on one line bound both
    cheaply; only a file near a limit is parsed (without keeping its rows) to count exactly.
    """
    newlines = widest = carry = 0  # carry: delimiters of the line not yet ended
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            a = np.frombuffer(chunk, dtype=np.uint8)
            delims = np.cumsum((a == 44) | (a == 59) | (a == 9) | (a == 124), dtype=np.int64)
            ends = np.flatnonzero(a == 10)
            if ends.size:
                per_line = np.diff(delims[ends], prepend=0)
                per_line[0] += carry
                widest = max(widest, int(per_line.max()))
                carry = int(delims[-1] - delims[ends[-1]])
            else:
                carry += int(delims[-1])
            newlines += ends.size
    rows_bound, width_bound = newlines + 1, max(widest, carry) + 1
    if rows_bound <= limits.max_rows and width_bound <= limits.max_columns \
            and rows_bound * width_bound <= limits.max_cells:
        return
    text = decode_text(path.read_bytes(), path.name, ImportLog())
    csv.field_size_limit(2**31 - 1)
    rows = width = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)):
            rows += 1
            if len(record) > width:
                width = len(record)
    except csv.Error:
        return  # read_csv_study says what is wrong
    _check_extent(rows, width, limits, file=path.name, sheet=None)


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
    """Return the sheet's rows from row 1 (so that row numbers stay true) and merged ranges.

    Rows of formatting only are never part of the result (calamine skips cells without a
    value); trailing rows whose cells are all empty text (e.g. a formula returning ``""``
    filled down a column) are dropped, so they cost no further work.
    """
    try:
        ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=False)
        merged = ws.merged_cell_ranges or []
    except Exception as exc:
        raise UnreadableFileError(_calamine_message(exc), file=file, sheet=sheet) from None
    end = len(rows)
    while end and rows[end - 1].count("") + rows[end - 1].count(None) == len(rows[end - 1]):
        end -= 1
    del rows[end:]
    return rows, list(merged)


def _sheet_columns(wb: Any, sheet: str, file: str,
                   loaded: Callable[[], None] | None = None) -> tuple[SheetColumns, list]:
    """Return the sheet's cells as :class:`SheetColumns` (from row 1) and merged ranges.

    The rows come from calamine's row iterator a block at a time, so the sheet's cells never
    all exist as Python objects at once; the result equals :func:`_sheet_rows`'. ``loaded``
    is called once calamine holds the sheet (the workbook may then be closed).
    """
    try:
        ws = wb.get_sheet_by_name(sheet)
        merged = ws.merged_cell_ranges or []
        if loaded is not None:
            loaded()
        start, end = ws.start, ws.end
        if start is None or end is None:
            return SheetColumns([], fill=""), list(merged)
        pad = [""] * start[1]
        rows = ws.iter_rows()
        columns = SheetColumns(([*pad, *r] for r in rows) if pad else rows, fill="")
        if columns.rows_read != end[0] + 1:  # the iterator did not start at row 1: read all
            columns = SheetColumns(ws.to_python(skip_empty_area=False), fill="")
    except Exception as exc:
        raise UnreadableFileError(_calamine_message(exc), file=file, sheet=sheet) from None
    return columns, list(merged)


class Workbook:
    """An open workbook whose sheets are read at most once, whoever asks first.

    :func:`~analysis.io.read_study` opens the workbook once to tell its layout and read it;
    a sheet looked at while telling the layout is not parsed again. Close it when done
    (it is a context manager).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.name
        self._wb: Any = _open_workbook(path)
        self._cache: dict[str, tuple[list[list[Any]], list]] = {}
        try:
            self.sheet_names: list[str] = list(self._wb.sheet_names)
        except Exception as exc:
            self.close()
            raise UnreadableFileError(_calamine_message(exc), file=self.file) from None

    def _book(self) -> Any:
        """Return calamine's workbook, opening the file again if :meth:`take` closed it."""
        if self._wb is None:
            self._wb = _open_workbook(self.path)
        return self._wb

    def peek(self, sheet: str) -> list[list[Any]]:
        """Return the rows of ``sheet`` and keep them for :meth:`take`."""
        if sheet not in self._cache:
            self._cache[sheet] = _sheet_rows(self._book(), sheet, self.file)
        return self._cache[sheet][0]

    def take(self, sheet: str, *, columns: bool = False, last: bool = False
             ) -> tuple[list[list[Any]] | SheetColumns, list]:
        """Return the rows and merged ranges of ``sheet``, forgetting them here.

        With ``columns``, a sheet not looked at before is read as :class:`SheetColumns`
        (a block of rows at a time, for a large table read by :func:`parse_table`). With
        ``last``, the file is closed as soon as calamine holds the sheet, which frees the
        workbook's shared strings while the sheet is read (a later call opens it again).
        """
        if sheet in self._cache:
            return self._cache.pop(sheet)
        if columns:
            return _sheet_columns(self._book(), sheet, self.file,
                                  self._release if last else None)
        return _sheet_rows(self._book(), sheet, self.file)

    def _release(self) -> None:
        wb, self._wb = self._wb, None
        try:
            wb.close()
        except Exception:
            pass

    def close(self) -> None:
        """Release the file."""
        self._cache.clear()
        if self._wb is not None:
            self._release()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Opening:
    """Check the shared strings, open a workbook and read the given sheets, in a thread.

    The strings are read through a zip handle of the thread's own; a refusal of them is kept
    in :attr:`strings_error` too, for the caller to raise before its own errors.
    """

    def __init__(self, path: Path, sheets: list[str], *, strings: bool = False) -> None:
        self._workbook: Workbook | None = None
        self._error: BaseException | None = None
        self.strings_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, sheets, strings),
                                        name="open-workbook", daemon=True)
        self._thread.start()

    def _run(self, path: Path, sheets: list[str], strings: bool) -> None:
        try:
            if strings:
                try:
                    with zipfile.ZipFile(path) as zf:
                        _check_strings(zf, path.name, ahead=False)
                except BaseException as exc:
                    self.strings_error = exc
                    raise
            wb = Workbook(path)
            self._workbook = wb
            for sheet in sheets:
                if sheet in wb.sheet_names:
                    wb.peek(sheet)
        except BaseException as exc:  # raised again by result()
            self._error = exc

    def result(self) -> Workbook:
        """Wait for the workbook; raise what opening it raised."""
        self._thread.join()
        if self._error is not None:
            self.discard()
            raise self._error
        assert self._workbook is not None
        return self._workbook

    def discard(self) -> None:
        """Wait for the thread and close what it opened."""
        self._thread.join()
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a sheet's millions of cells are built.

    Reading builds a list per row and an object per cell, none of them cyclic; each
    collection would walk all of them again, which makes a million rows cost more than ten
    times a hundred thousand. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_workbook_study(path: Path, *, dayfirst: bool = True,
                        workbook: Workbook | None = None,
                        options: ReadOptions | None = None) -> Study:
    """Read an xlsx, xlsm or ods workbook in template, notes-table or grid layout.

    ``workbook`` is the same file already opened (see :class:`Workbook`); it is not closed.
    ``options`` may name the sheet, the columns and the code separator
    (:class:`~analysis.io.ReadOptions`); ``dayfirst`` is used when it is not given.
    """
    opts = options if options is not None else ReadOptions(dayfirst=dayfirst)
    if workbook is not None:
        with gc_paused():
            return _read_sheets(workbook, path, opts)
    with Workbook(path) as wb, gc_paused():
        return _read_sheets(wb, path, opts)


def _grid_columns(rows: list[list[Any]], header: int, group: str) -> dict[str, str]:
    """Return the columns of a grid's roles for the log: labels left, session row on top."""
    label = min(j for j, v in enumerate(rows[header]) if not is_blank(v))
    return {"group": group, "theme": f"column {_excel_column(label)} (labels)",
            "session": f"row {header + 1} (session numbers or dates)"}


def _resolve_sheet(names: list[str], sheet: str, file: str) -> str:
    """Return the workbook's sheet that ``--sheet`` names (case and spaces ignored)."""
    if sheet in names:
        return sheet
    match = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
    if len(match) == 1:
        return match[0]
    raise OptionsError(f"there is no sheet {sheet!r}; the sheets are "
                       + ", ".join(repr(n) for n in names), file=file)


def _notes_candidate(wb: Workbook, names: list[str], opts: ReadOptions,
                     file: str) -> str | None:
    """Return the sheet to read as the notes table, or None for the grid layout."""
    if opts.sheet is not None:
        return _resolve_sheet(names, opts.sheet, file)
    named = next((n for n in names if (spec := sheet_for(n)) is not None
                  and spec.name == "notes"), None)
    if named is not None or not opts.columns:
        return named
    wanted = {header_key(h) for h in opts.columns.values()}
    for name in names:
        if sheet_for(name) is not None:
            continue
        rows = wb.peek(name)
        if any(wanted <= {header_key(v) for v in r} for r in rows[:HEADER_SEARCH_ROWS]):
            return name
    raise OptionsError(
        "no sheet holds the columns " + ", ".join(repr(h) for h in opts.columns.values())
        + " given with --column in its first rows; the sheets are "
        + ", ".join(repr(n) for n in names), file=file)


def _read_sheets(wb: Workbook, path: Path, opts: ReadOptions) -> Study:
    file = path.name
    dayfirst = opts.dayfirst
    names = wb.sheet_names
    log = ImportLog(files=[file])
    tables: dict[str, tuple[str, pd.DataFrame]] = {}
    layouts: dict[str, dict[str, Any]] = {}
    others: list[str] = []
    notes_sheet = _notes_candidate(wb, names, opts, file) if opts.layout != "grid" else None
    if notes_sheet is not None and opts.sheet is not None and not opts.columns \
            and opts.layout not in ("template", "notes"):
        # a sheet chosen with --sheet alone: a notes table if its header says so, else a grid
        rows = wb.peek(notes_sheet)
        if locate_header(rows, SHEETS["notes"], needed=2) is None:
            notes_sheet = None
    if notes_sheet is not None:
        # the other template sheets first (they are small), so that the file can be closed
        # while the notes are read
        for sheet in names:
            if sheet != notes_sheet and (spec := sheet_for(sheet)) is not None \
                    and spec.name != "notes":
                wb.peek(sheet)
    for sheet in names:
        spec = SHEETS["notes"] if sheet == notes_sheet else sheet_for(sheet)
        if spec is not None and spec.name == "notes" and sheet != notes_sheet:
            spec = None
        if spec is None or spec.name in tables:
            others.append(sheet)
            continue
        notes = spec.name == "notes"
        rows, _ = wb.take(sheet, columns=notes, last=notes)
        parsed = parse_table(rows, spec, file=file, sheet=sheet, dayfirst=dayfirst,
                             keep_extra=spec.name == "participants",
                             mapping=opts.columns if notes else None,
                             default_group=path.stem if notes and opts.columns else None)
        if notes and parsed.header_row is None and not opts.columns:
            seen = [(sheet, rows[:HEADER_SEARCH_ROWS])]
            seen += [(n, wb.peek(n)[:HEADER_SEARCH_ROWS]) for n in names if n != sheet
                     and n.strip().casefold() not in _IGNORED_SHEETS and sheet_for(n) is None]
            raise InputError(refusal(file, seen), file=file)
        if notes and opts.code_sep is not None:
            split_codes(parsed, opts.code_sep, file=file, sheet=sheet)
        del rows  # the cells not kept in the table are freed before the next sheet
        log.extend(parsed.log)
        tables[spec.name] = (sheet, parsed.frame)
        layouts[spec.name] = _layout(parsed, file, sheet, rows=spec.name != "notes")

    group_order: list[str] = []
    if "notes" in tables:
        sheet = tables["notes"][0]
        notes = tables["notes"][1]
        template = sheet_for(sheet) is not None and not opts.columns
        log.layout = (f"template (sheet {sheet!r})" if template
                      else f"notes table (sheet {sheet!r})")
        log.columns = dict(layouts["notes"]["columns"])
        for sheet in others:
            if sheet.strip().casefold() not in _IGNORED_SHEETS and opts.sheet is None:
                log.warnings.append(Problem(
                    "sheet not read: the workbook has a notes sheet, so other sheets are not "
                    "read as grids", file=file, sheet=sheet, severity="warning"))
    else:
        frames = []
        reasons: dict[str | None, str] = {}
        seen: list[tuple[str | None, list[list[Any]]]] = []
        candidates = [opts.sheet and _resolve_sheet(names, opts.sheet, file)] \
            if opts.sheet is not None else others
        grid_columns: dict[str, str] = {}
        for sheet in candidates:
            if sheet.strip().casefold() in _IGNORED_SHEETS and opts.sheet is None:
                continue
            rows, merged = wb.take(sheet)
            seen.append((sheet, rows[:HEADER_SEARCH_ROWS]))
            found = find_grid_header(rows, dayfirst=dayfirst)
            if found is None:
                if any(any(v not in (None, "") for v in r) for r in rows):
                    reasons[sheet] = "no row of session numbers or dates"
                continue
            problem = grid_problem(rows, found[0], found[1], dayfirst=dayfirst)
            if problem is not None and opts.layout != "grid":
                reasons[sheet] = problem
                continue
            group = sheet.strip()
            frame, glog = parse_grid(rows, file=file, sheet=sheet, group=group,
                                     merged=merged, dayfirst=dayfirst)
            log.extend(glog)
            frames.append(frame)
            group_order.append(group)
            grid_columns = grid_columns or _grid_columns(rows, found[0], "the sheet's name")
        if not frames:
            raise InputError(refusal(file, seen, reasons=reasons), file=file)
        for sheet, reason in reasons.items():
            log.warnings.append(Problem(
                f"sheet not read: it is neither a template sheet (notes, codebook, sessions, "
                f"participants, ratings) nor a grid ({reason})", file=file, sheet=sheet,
                severity="warning"))
        notes = pd.concat(frames, ignore_index=True)
        shown = ", ".join(repr(g) for g in group_order)
        log.layout = f"grid (sheet{'s' if len(group_order) > 1 else ''} {shown})"
        log.columns = grid_columns

    def side(name: str) -> pd.DataFrame | None:
        return tables[name][1] if name in tables else None

    study = build_study(
        notes, log=log, file=file, codebook=side("codebook"),
        codebook_sheet=tables["codebook"][0] if "codebook" in tables else "codebook",
        sessions=side("sessions"), participants=side("participants"), ratings=side("ratings"),
        group_order=group_order or None, source=path, history=side("codebook_history"),
    )
    _attach_layouts(study, layouts)
    return study


class RowNumbers(tuple):
    """Spreadsheet row numbers of a table's rows, kept in ``frame.attrs["layout"]``.

    A tuple, not an array, because pandas compares attrs with ``==`` (e.g. in concat). It
    is immutable, so a deep copy is the object itself: pandas deep-copies ``attrs`` after
    every operation on a frame, and copying thousands of numbers each time would make
    every filter of the participants table cost milliseconds.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> RowNumbers:
        return self


def _layout(parsed: ParsedTable, file: str, sheet: str | None, *,
            rows: bool) -> dict[str, Any]:
    layout = parsed.layout(file, sheet)
    if rows:
        layout["rows"] = RowNumbers(int(r) for r in parsed.frame["_row"])
    return layout


def _attach_layouts(study: Study, layouts: dict[str, dict[str, Any]]) -> None:
    """Record in ``frame.attrs["layout"]`` where each table of the study was read from.

    ``layout["rows"]`` gives the spreadsheet row of each row of ``participants`` and
    ``ratings`` (the study builder keeps their rows in order); the notes carry theirs in
    ``source``. :func:`analysis.privacy.find_identifying` uses it to name cells, and the
    headers of columns that were not read.
    """
    for name in ("notes", "participants", "ratings"):
        if name in layouts:
            frame = getattr(study, name)
            layout = layouts[name]
            if len(layout.get("rows", ())) != len(frame):
                layout = {k: v for k, v in layout.items() if k != "rows"}
            frame.attrs["layout"] = layout


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


def _longest_run(data: bytes) -> int:
    """Return the most bytes between two delimiters or line breaks: no field is longer.

    A bound in characters for UTF-8 and one-byte encodings, in which these ASCII bytes
    never occur inside another character; for UTF-16 and UTF-32 there is no bound.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        return len(data)
    a = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero((a == 44) | (a == 59) | (a == 9) | (a == 124) | (a == 10)
                          | (a == 13))
    edges = np.concatenate(([-1], ends, [len(a)]))
    return int(np.diff(edges).max()) - 1


def _read_csv_rows(path: Path, file: str, log: ImportLog) -> tuple[list[list[str]], int]:
    """Return every record of a CSV file as a list (the file decoded whole) and its longest run."""
    data = path.read_bytes()
    text = decode_text(data, file, log)
    delimiter = sniff_delimiter(text)
    try:  # empty fields stay "" (blank, as in a workbook)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFileError(f"the CSV file is malformed ({exc})", file=file) from None
    return rows, _longest_run(data)


def read_csv_study(path: Path, *, dayfirst: bool = True,
                   options: ReadOptions | None = None) -> Study:
    """Read a notes table (long layout) or a single-group grid from a CSV file."""
    opts = options if options is not None else ReadOptions(dayfirst=dayfirst)
    with gc_paused():
        return _read_csv(path, opts)


def _utf8_scan(path: Path) -> tuple[str, int] | None:
    """Return the encoding of a UTF-8 CSV file and its longest run, reading it in chunks.

    ``("utf-8-sig", run)`` with a byte-order mark, ``("utf-8", run)`` without; ``None`` when
    the file is not UTF-8 (or is UTF-16/32), which :func:`decode_text` then reads whole.
    ``run`` bounds the longest field, as :func:`_longest_run` does.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    longest = since = 0  # bytes since the last delimiter or line break
    with path.open("rb") as fh:
        head = fh.read(4096)
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
                            codecs.BOM_UTF16_BE)) or b"\x00" in head:
            return None
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        chunk = head
        while chunk:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            a = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero((a == 44) | (a == 59) | (a == 9) | (a == 124) | (a == 10)
                                  | (a == 13))
            if ends.size:
                gaps = np.diff(ends) - 1
                longest = max(longest, since + int(ends[0]),
                              int(gaps.max()) if gaps.size else 0)
                since = len(a) - int(ends[-1]) - 1
            else:
                since += len(a)
            chunk = fh.read(_SCAN_CHUNK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    return encoding, max(longest, since)


def _read_csv(path: Path, opts: ReadOptions) -> Study:
    dayfirst = opts.dayfirst
    file = path.name
    log = ImportLog(files=[file])
    csv.field_size_limit(2**31 - 1)
    scan = _utf8_scan(path)
    rows: list[list[str]] | SheetColumns
    if scan is not None:  # UTF-8, as nearly every CSV: read a block of records at a time
        encoding, longest = scan
        try:
            with path.open(encoding=encoding, newline="") as fh:
                delimiter = sniff_delimiter(fh.read(65536))
                fh.seek(0)
                rows = SheetColumns(csv.reader(fh, delimiter=delimiter), coded=True)
        except csv.Error as exc:
            raise UnreadableFileError(f"the CSV file is malformed ({exc})", file=file) \
                from None
    else:
        rows, longest = _read_csv_rows(path, file, log)
    if opts.sheet is not None:
        raise OptionsError(f"a CSV file has no sheets, so --sheet {opts.sheet!r} cannot apply",
                           file=file)
    if longest <= 32767:
        long_cells = []
    elif isinstance(rows, SheetColumns):
        long_cells = sorted((int(i) + 1, j) for j, c in enumerate(rows.columns())
                            for i in np.flatnonzero([v is not None and len(v) > 32767
                                                     for v in c]))
    else:
        long_cells = [(i + 1, j) for i, r in enumerate(rows) if r and max(map(len, r)) > 32767
                      for j, c in enumerate(r) if len(c) > 32767]
    for row, col in long_cells[:20]:
        log.warnings.append(Problem(
            "cell longer than 32,767 characters, Excel's limit: it is read in full, but a "
            "workbook export will cut it", file=file, row=row, column=_excel_column(col),
            severity="warning"))
    parsed = parse_table(rows, SHEETS["notes"], file=file, sheet=None, dayfirst=dayfirst,
                         mapping=opts.columns or None,
                         default_group=path.stem if opts.columns else None, sources=False)
    if parsed.header_row is None:
        if isinstance(rows, SheetColumns):  # a grid: read as rows (grids are small)
            rows = _read_csv_rows(path, file, ImportLog())[0]
        found = find_grid_header(rows, dayfirst=dayfirst)
        problem = (None if found is None or opts.layout == "grid"
                   else grid_problem(rows, found[0], found[1], dayfirst=dayfirst))
        if found is None or problem is not None:
            reasons = {None: problem} if problem is not None else {}
            raise InputError(refusal(file, [(None, rows[:HEADER_SEARCH_ROWS])],
                                     reasons=reasons), file=file)
        frame, glog = parse_grid(rows, file=file, sheet=None, group=path.stem, label=file,
                                 dayfirst=dayfirst)
        log.extend(glog)
        log.layout = "grid (one group, named after the file)"
        log.columns = _grid_columns(rows, found[0], "the file's name")
        return build_study(frame, log=log, file=file, group_order=[path.stem], source=path)
    del rows  # the cells not kept in the table are freed before it is assembled
    parsed.add_sources()  # after, not beside, them
    if opts.code_sep is not None:
        split_codes(parsed, opts.code_sep, file=file, sheet=None)
    log.extend(parsed.log)
    log.layout = "CSV notes table"
    log.columns = dict(parsed.layout(file, None)["columns"])
    study = build_study(parsed.frame, log=log, file=file, source=path)
    _attach_layouts(study, {"notes": _layout(parsed, file, None, rows=False)})
    return study
