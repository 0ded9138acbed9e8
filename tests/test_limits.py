"""Limits on what is read: rows and cells per sheet, zip bombs, formatted empty rows.

Every workbook here is written by the test, most of them as raw XML in a zip so that a
million rows take a second to write. Expected sizes are computed from how the file was
built, not by the reader.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from analysis.cli import main
from analysis.io import InputError, Limits, detect_format, read_study

EXCEL_ROWS = 1_048_576  # the last row of an Excel sheet
EXCEL_COLUMNS = 16_384  # its last column, XFD

# --- writing workbooks by hand --------------------------------------------------------------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_PARTS = {
    "[Content_Types].xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheets><sheet name="notes" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"),
    # style 1: a yellow fill, as a researcher colouring a whole column would leave
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_NS}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill><fill><patternFill '
        'patternType="solid"><fgColor rgb="FFFFFF00"/></patternFill></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf/><xf fillId="2" applyFill="1"/></cellXfs></styleSheet>'),
}
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"


def column_letter(n: int) -> str:
    """Letters of a one-based column number (1 -> A, 27 -> AA), computed here."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell(ref: str, value: object) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def rows_xml(rows: Iterable[tuple[int, Sequence[object]]]) -> str:
    """``<row>`` elements for (row number, values from column A) pairs."""
    return "".join(
        f'<row r="{r}">'
        + "".join(cell(f"{column_letter(j)}{r}", v) for j, v in enumerate(values, 1)
                  if v is not None)
        + "</row>" for r, values in rows)


NOTES = [(1, ("group", "session", "theme")), (2, ("G1", 1, "Fear")), (3, ("G1", 2, "Hope")),
         (4, ("G2", 1, "Fear"))]


def write_xlsx(path: Path, body: str | bytes, level: int = 6) -> Path:
    """A one-sheet workbook (sheet ``notes``) whose ``<sheetData>`` holds ``body``."""
    sheet = SHEET_HEAD.encode() + (body.encode() if isinstance(body, str) else body) \
        + SHEET_TAIL.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def refused(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(InputError) as info:
        read_study(path, limits=limits)
    message = str(info.value)
    assert message.startswith(f"{path.name}")
    assert "\n" not in message
    return message


def check(path: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", str(path), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def notes_of(study) -> list[list[str]]:
    return study.notes[["group", "session", "theme", "source"]].astype(str).values.tolist()


EXPECTED_NOTES = [["G1", "1", "Fear", "notes!C2"], ["G1", "2", "Hope", "notes!C3"],
                  ["G2", "1", "Fear", "notes!C4"]]


# --- rows and cells limits ------------------------------------------------------------------


def test_rows_limit_names_sheet_and_limit_and_is_raised_by_the_option(tmp_path, capsys):
    last = 30  # one more note, far below the others
    path = write_xlsx(tmp_path / "long.xlsx", rows_xml([*NOTES, (last, ("G2", 2, "Hope"))]))
    message = refused(path, Limits(max_rows=last - 1))
    assert "sheet 'notes'" in message
    assert f"runs to row {last}, over the {last - 1}-row limit" in message
    assert "--max-rows" in message and "Limits(max_rows=...)" in message

    code, out, err = check(path, capsys, "--max-rows", str(last - 1))
    assert (code, out) == (2, "") and err == f"error: {message}\n"
    assert check(path, capsys, "--max-rows", str(last))[0] == 0
    study = read_study(path, limits=Limits(max_rows=last))
    assert notes_of(study)[-1] == ["G2", "2", "Hope", f"notes!C{last}"]


def test_cells_limit_counts_the_whole_area_from_a1(tmp_path, capsys):
    # three columns of notes and one stray value in Z4: the area read is A1:Z4
    path = write_xlsx(tmp_path / "wide.xlsx",
                      rows_xml(NOTES).replace("</row>", '<c r="Z4"><v>7</v></c></row>', 4)
                      .replace('<c r="Z4"><v>7</v></c></row>', "</row>", 3))
    rows, cols = 4, 26
    message = refused(path, Limits(max_cells=rows * cols - 1))
    assert "sheet 'notes'" in message
    assert (f"spans A1:Z4 ({rows} rows by {cols} columns), {rows * cols} cells, over the "
            f"{rows * cols - 1}-cell limit") in message
    assert "--max-cells" in message and "Limits(max_cells=...)" in message
    assert check(path, capsys, "--max-cells", str(rows * cols - 1))[0] == 2
    assert check(path, capsys, "--max-cells", str(rows * cols))[0] == 0
    assert notes_of(read_study(path, limits=Limits(max_cells=rows * cols))) == EXPECTED_NOTES


def test_default_limits_are_documented_values():
    limits = Limits()
    assert (limits.max_rows, limits.max_columns, limits.max_cells, limits.max_ratio) == (
        1_048_576, 16_384, 50_000_000, 100)
    # a sheet Excel can hold never trips the rows or columns limit
    assert (limits.max_rows, limits.max_columns) == (EXCEL_ROWS, EXCEL_COLUMNS)


def test_cell_bomb_refused_before_calamine_builds_the_sheet(tmp_path):
    # A 2 KB file with one value in the last cell of an Excel sheet: python-calamine would
    # allocate a dense block of 17 billion cells (and abort the interpreter) when opening it.
    path = write_xlsx(tmp_path / "cellbomb.xlsx", rows_xml(NOTES) + rows_xml(
        [(EXCEL_ROWS, [None] * 16383 + [1])]))
    assert path.stat().st_size < 5_000
    tracemalloc.start()
    try:
        message = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cells = EXCEL_ROWS * 16_384
    assert f"spans A1:XFD{EXCEL_ROWS} (1,048,576 rows by 16,384 columns), {cells:,} cells, " \
           "over the 50,000,000-cell limit" in message
    assert peak < 20 * 2**20


@pytest.mark.parametrize("last", [EXCEL_ROWS + 1, 3_000_000, 123_456_789, 9_876_543_210])
def test_rows_beyond_excel_are_refused_by_default(tmp_path, last):
    path = write_xlsx(tmp_path / "tall.xlsx", rows_xml([*NOTES, (last, ("G1", 3, "Fear"))]))
    assert f"runs to row {last:,}, over the 1,048,576-row limit" in refused(path)


def test_last_excel_row_is_read_by_default(tmp_path):
    path = write_xlsx(tmp_path / "tall.xlsx",
                      rows_xml([*NOTES, (EXCEL_ROWS, ("G1", 3, "Fear"))]))
    assert notes_of(read_study(path))[-1] == ["G1", "3", "Fear", f"notes!C{EXCEL_ROWS}"]


def test_columns_beyond_excel_are_refused_and_the_limit_can_be_raised(tmp_path, capsys):
    # a header in column XFE (16,385), one right of Excel's last column, in a short sheet
    assert column_number("XFE") == EXCEL_COLUMNS + 1
    path = write_xlsx(tmp_path / "wide.xlsx", rows_xml(NOTES).replace(
        "</row>", '<c r="XFE1" t="inlineStr"><is><t>remark</t></is></c></row>', 1))
    message = refused(path)
    assert "sheet 'notes'" in message
    assert "runs to column XFE (16,385 columns), over the 16,384-column limit" in message
    assert "--max-columns" in message and "Limits(max_columns=...)" in message
    assert check(path, capsys)[0] == 2
    code, out, _ = check(path, capsys, "--max-columns", str(EXCEL_COLUMNS + 1))
    assert code == 0, out
    study = read_study(path, limits=Limits(max_columns=EXCEL_COLUMNS + 1))
    assert notes_of(study) == EXPECTED_NOTES
    assert any("XFE (remark)" in w.message for w in study.log.warnings)  # not read, said so


@pytest.mark.parametrize("body", [
    # a value cell written with its attributes in another order, or without r, is still found
    '<row r="9"><c s="0" r="AB9"><v>1</v></c></row>',
    '<row r="9"><c r="AA9"/><c><v>1</v></c></row>',  # no r: right of AA9, so AB9
    f'<x:row xmlns:x="{_NS}" r="9"><x:c r="AB9"><x:v>1</x:v></x:c></x:row>',
])
def test_unusual_cell_references_are_counted(tmp_path, body):
    path = write_xlsx(tmp_path / "odd.xlsx", rows_xml(NOTES) + body)
    assert "spans A1:AB9 (9 rows by 28 columns), 252 cells" in refused(
        path, Limits(max_cells=251))
    assert read_study(path, limits=Limits(max_cells=252)).log.read == 4


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


@pytest.mark.parametrize(("ref", "limits"), [
    # default limits (1,048,576 rows, 50,000,000 cells): the single-pass check allows one
    # letter with up to 6 row digits, or with 7 digits up to row 1,048,576; all else is
    # counted
    ("Z999999", Limits()), ("Z1000000", Limits()), ("Z1048576", Limits()),
    ("A1048577", Limits()), ("A1049999", Limits()), ("A1100000", Limits()),
    ("AV1048576", Limits()), ("AW1048576", Limits()), ("XFD9", Limits()), ("XFE9", Limits()),
    # with the rows limit raised, the cells limit decides again
    ("Y1999999", Limits(max_rows=2_000_000)), ("Z1999999", Limits(max_rows=2_000_000)),
    ("A2000000", Limits(max_rows=2_000_000)), ("A2000001", Limits(max_rows=2_000_000)),
    ("AA1923076", Limits(max_rows=2_000_000)), ("AA1923077", Limits(max_rows=2_000_000)),
    # a columns limit below Z shifts the single-pass check too
    ("E9", Limits(max_columns=5)), ("F9", Limits(max_columns=5)),
    ("E1048576", Limits(max_columns=5)), ("F1000000", Limits(max_columns=5)),
    # small limits shift both bounds
    ("T49", Limits(max_rows=50, max_cells=1000)), ("U49", Limits(max_rows=50, max_cells=1000)),
    ("Z9", Limits(max_rows=50, max_cells=1000)), ("A50", Limits(max_rows=50, max_cells=1000)),
    ("A51", Limits(max_rows=50, max_cells=1000)), ("AM25", Limits(max_rows=50, max_cells=1000)),
    ("AN25", Limits(max_rows=50, max_cells=1000)),
])
def test_size_check_agrees_with_the_area_rule_at_the_boundaries(tmp_path, ref, limits):
    # one value cell at `ref` besides the notes: the area is A1 to it
    letters = ref.rstrip("0123456789")
    rows, cols = int(ref[len(letters):]), column_number(letters)
    path = write_xlsx(tmp_path / "edge.xlsx",
                      rows_xml(NOTES) + f'<row r="{rows}"><c r="{ref}"><v>1</v></c></row>')
    within = (rows <= limits.max_rows and cols <= limits.max_columns
              and rows * cols <= limits.max_cells)
    if within:
        assert detect_format(path, limits=limits) == "xlsx"
    else:
        with pytest.raises(InputError, match="over the"):
            detect_format(path, limits=limits)


# --- formatted empty rows -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["row", "cells"])
def test_a_million_formatted_empty_rows_are_not_read(tmp_path, kind):
    # A fill on whole rows (<row s="1" customFormat="1"/>) or on the cells of column D, as
    # openpyxl and Excel write a formatted cell without a value (<c r="D7" s="1"/>).
    if kind == "row":
        empty = "".join(f'<row r="{r}" s="1" customFormat="1"/>' for r in range(5, EXCEL_ROWS))
    else:
        empty = "".join(f'<row r="{r}"><c r="D{r}" s="1"/></row>' for r in range(5, EXCEL_ROWS))
    path = write_xlsx(tmp_path / f"formatted_{kind}.xlsx", rows_xml(NOTES) + empty, level=1)
    tracemalloc.start()
    try:
        # formatting does not count toward the limits: these tiny ones still let it through
        study = read_study(path, limits=Limits(max_rows=4, max_cells=12))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert notes_of(study) == EXPECTED_NOTES
    assert (study.log.read, study.log.kept, study.log.rejected) == (3, 3, [])
    assert study.log.warnings == []
    assert peak < 50 * 2**20  # a materialized million-row sheet takes hundreds of MiB


def test_trailing_empty_text_cells_are_not_records(tmp_path):
    # a formula returning "" filled down a column: calamine reads those cells (empty text),
    # so they count toward the limits, but they are no records and cost no parsing
    last = 200_000
    blanks = "".join(f'<row r="{r}"><c r="D{r}" t="str"><f>IF(C{r}="","",1)</f><v></v></c>'
                     "</row>" for r in range(5, last + 1))
    path = write_xlsx(tmp_path / "blanks.xlsx", rows_xml(NOTES) + blanks, level=1)
    study = read_study(path)
    assert notes_of(study) == EXPECTED_NOTES
    assert (study.log.read, study.log.kept, study.log.rejected) == (3, 3, [])
    assert f"runs to row {last:,}" in refused(path, Limits(max_rows=last - 1))


# --- OpenDocument ---------------------------------------------------------------------------

_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def ods_cell(value: object) -> str:
    if isinstance(value, str):
        return (f'<table:table-cell office:value-type="string"><text:p>{escape(value)}'
                "</text:p></table:table-cell>")
    return (f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>")


def write_ods(path: Path, extra_rows: str) -> Path:
    rows = "".join("<table:table-row>" + "".join(map(ods_cell, values)) + "</table:table-row>"
                   for _, values in NOTES)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} '
               'office:version="1.2"><office:body><office:spreadsheet>'
               '<table:table table:name="notes">'
               '<table:table-column table:number-columns-repeated="3"/>'
               f"{rows}{extra_rows}</table:table></office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry'
        ' manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest)
        zf.writestr("content.xml", content)
    return path


def test_ods_repeated_empty_rows_are_free_but_repeated_values_count(tmp_path):
    # LibreOffice ends a sheet with the rest of its rows as one repeated empty row
    tail = (f'<table:table-row table:number-rows-repeated="{EXCEL_ROWS - 4}" '
            'table:style-name="ro1"><table:table-cell table:number-columns-repeated="1024" '
            'table:style-name="ce1"/></table:table-row>')
    study = read_study(write_ods(tmp_path / "libre.ods", tail), limits=Limits(max_rows=4))
    assert notes_of(study) == [[g, s, t, f"notes!C{r}"] for g, s, t, r in
                               [("G1", "1", "Fear", 2), ("G1", "2", "Hope", 3),
                                ("G2", "1", "Fear", 4)]]

    copies = 5_000  # one note row repeated: that many records
    path = write_ods(tmp_path / "repeated.ods",
                     f'<table:table-row table:number-rows-repeated="{copies}">'
                     + "".join(map(ods_cell, ("G3", 1, "Hope"))) + "</table:table-row>")
    last = 4 + copies
    message = refused(path, Limits(max_rows=last - 1))
    assert f"sheet 'notes': the sheet runs to row {last:,}" in message
    wide = write_ods(tmp_path / "wide.ods", '<table:table-row><table:table-cell '
                     'table:number-columns-repeated="600" office:value-type="float" '
                     'office:value="1"/></table:table-row>')
    assert "spans A1:WB5 (5 rows by 600 columns), 3,000 cells" in refused(
        wide, Limits(max_cells=2_999))
    assert len(read_study(path, limits=Limits(max_rows=last)).notes) == 3 + copies


# --- CSV ------------------------------------------------------------------------------------


def test_csv_records_and_fields_limits(tmp_path, capsys):
    header = "group,session,theme,note\n"
    path = tmp_path / "notes.csv"
    # 40 records; each note spans 3 lines, so the file has 3 times as many line breaks
    path.write_text(header + "".join(f'G1,{i},Fear,"line one\nline two\nline three"\n'
                                     for i in range(1, 40)), encoding="utf-8")
    records = 40
    assert len(read_study(path, limits=Limits(max_rows=records)).notes) == records - 1
    message = refused(path, Limits(max_rows=records - 1))
    assert f"the CSV file has {records} records, over the {records - 1}-row limit" in message
    assert check(path, capsys, "--max-rows", str(records - 1))[0] == 2

    ragged = tmp_path / "ragged.csv"  # one record of 500 fields makes every record that wide
    ragged.write_text(header + "G1,1,Fear,a" + ",x" * 496 + "\n" + "G1,2,Hope,b\n",
                      encoding="utf-8")
    assert "has 3 records of up to 500 fields" in refused(ragged, Limits(max_cells=1_499))
    assert check(ragged, capsys, "--max-cells", "1500")[0] == 0


# --- zip bombs ------------------------------------------------------------------------------


def deflate_repeat(head: bytes, chunk: bytes, times: int, tail: bytes) -> bytes:
    """A raw deflate stream of head + chunk * times + tail, built without inflating it.

    Each part is compressed on its own and flushed to a byte boundary, so the compressed
    chunk can be repeated: 300 MiB of XML cost 300 KB and no time.
    """
    def part(data: bytes, mode: int) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(mode)
    return (part(head, zlib.Z_FULL_FLUSH) + part(chunk, zlib.Z_FULL_FLUSH) * times
            + part(tail, zlib.Z_FINISH))


def write_raw_zip(path: Path, members: dict[str, tuple[bytes, int, int]]) -> Path:
    """Write a zip whose members are (deflated bytes, CRC-32, declared size), as given."""
    out, central = bytearray(), bytearray()
    for name, (data, crc, size) in members.items():
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data),
                           size, len(raw), 0) + raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                                 len(central), len(out), 0)
    path.write_bytes(bytes(out))
    return path


# 1 MiB of formatted empty rows (without r: each one follows the last), or of blank space
FORMATTED_MIB = (b'<row s="1" customFormat="1"/>' * 2**20)[: 2**20 - 2**20 % 29]
BLANK_MIB = b" " * 2**20


def bomb(path: Path, mib: int, *, declared: int | None = None,
         filler: bytes = FORMATTED_MIB) -> Path:
    """A workbook whose sheet XML is the notes plus ``mib`` times ``filler``.

    ``declared`` is the uncompressed size the zip claims (default: the true size, with the
    true CRC-32); a smaller one makes the archive lie about it.
    """
    head, tail = (SHEET_HEAD + rows_xml(NOTES)).encode(), SHEET_TAIL.encode()
    chunk = filler
    size = len(head) + mib * len(chunk) + len(tail)
    crc = 0
    if declared is None:
        crc = zlib.crc32(head)
        for _ in range(mib):
            crc = zlib.crc32(chunk, crc)
        crc = zlib.crc32(tail, crc)
    members = {}
    for name, text in _PARTS.items():
        data = text.encode()
        members[name] = (zlib.compress(data)[2:-4], zlib.crc32(data), len(data))
    members["xl/worksheets/sheet1.xml"] = (deflate_repeat(head, chunk, mib, tail), crc,
                                           size if declared is None else declared)
    return write_raw_zip(path, members)


def test_zip_bomb_refused_before_inflating(tmp_path, capsys):
    mib = 300
    path = bomb(tmp_path / "bomb.xlsx", mib)
    assert path.stat().st_size < mib * 2**10 * 4  # a few KB on disk per MiB inflated
    tracemalloc.start()
    try:
        message = refused(path, Limits(max_uncompressed_mb=100))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"would inflate to {mib} MiB, over the 100 MiB limit" in message
    assert peak < 5 * 2**20
    assert check(path, capsys, "--max-mb", "100")[0] == 2


def test_zip_that_lies_about_its_size_is_refused_with_bounded_memory(tmp_path):
    # the archive claims 5 KB; inflating would give 3 GiB
    path = bomb(tmp_path / "liar.xlsx", 3 * 1024, declared=5_000, filler=BLANK_MIB)
    tracemalloc.start()
    try:
        message = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "damaged" in message
    assert peak < 50 * 2**20


# Peak memory of a fresh process: its high-water mark is reset after start-up (a forked
# child inherits the mark of the test process), then read from /proc.
_PEAK = """
import json, re, sys
from analysis import read_study
from analysis.io import InputError, Limits

def status(key):
    with open("/proc/self/status") as fh:
        return int(re.search(key + r":\\s+(\\d+) kB", fh.read()).group(1)) / 1024

with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
start = status("VmRSS")
"""
_CHILD = _PEAK + """
study = read_study(sys.argv[1], limits=Limits(max_ratio=float(sys.argv[2])))
print(json.dumps({"notes": len(study.notes), "rise_mib": status("VmHWM") - start}))
"""


def test_text_run_that_calamine_would_hold_whole_is_refused(tmp_path):
    # 100 MiB of blank space between two tags: within the size limit, but calamine's XML
    # reader would keep it in memory as one text (its compression ratio, about 1,000, is
    # refused first by default: raised here to reach the text check)
    tracemalloc.start()
    try:
        message = refused(bomb(tmp_path / "blank.xlsx", 100, filler=BLANK_MIB),
                          Limits(max_ratio=10_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "sheet 'notes'" in message and "text over 8 MiB long" in message
    assert peak < 20 * 2**20


def with_shared_text(path: Path, text: str) -> Path:
    """Add shared strings holding ``text`` to the workbook at ``path``."""
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_NS}" count="1" '
           f'uniqueCount="1"><si><t>{text}</t></si></sst>')
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", sst)
    return path


@pytest.mark.parametrize("last_row", [4, 50])
def test_shared_text_run_is_refused_first(tmp_path, last_row):
    # the shared strings are checked while the notes sheet is scanned; a text calamine would
    # hold whole is refused, and before a sheet over the rows limit, as when checked first
    rows = [*NOTES, *((r, ("G2", 2, "Calm")) for r in range(5, last_row + 1))]
    path = with_shared_text(write_xlsx(tmp_path / "text.xlsx", rows_xml(rows)),
                            " " * (9 * 2**20))
    message = refused(path, Limits(max_ratio=10_000, max_rows=10))
    assert "text over 8 MiB long" in message and "sheet '" not in message
    assert "row limit" not in message


def test_bomb_refused_by_its_compression_ratio_before_a_row_is_scanned(tmp_path, capsys):
    # 300 MiB of formatted empty rows in a file of under a MB: deflate squeezes the
    # repeated XML about 400 times, no spreadsheet program's file more than ~30 times
    mib = 300
    path = bomb(tmp_path / "ratio.xlsx", mib)
    stored = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").compress_size
    ratio = (len((SHEET_HEAD + rows_xml(NOTES) + SHEET_TAIL).encode())
             + mib * len(FORMATTED_MIB)) / stored
    assert ratio > 300
    tracemalloc.start()
    try:
        message = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "sheet 'notes'" in message
    assert f"would inflate {ratio:,.0f} times, to {mib} MiB, over the 100x limit" in message
    assert "--max-ratio" in message and "Limits(max_ratio=...)" in message
    assert peak < 5 * 2**20  # nothing inflated
    assert check(path, capsys)[0] == 2
    code, _, err = check(path, capsys, "--max-ratio", f"{ratio / 2:.0f}")
    assert code == 2 and f"over the {ratio / 2:.0f}x limit" in err


def test_ratio_of_small_parts_and_of_sheets_spreadsheet_programs_write_is_accepted(tmp_path):
    # a sheet of a million formatted empty rows, numbered as Excel writes them, deflated
    # at the usual level, compresses well below the limit: it is read
    empty = "".join(f'<row r="{r}" spans="1:3" s="1" customFormat="1"/>'
                    for r in range(5, EXCEL_ROWS + 1))
    path = write_xlsx(tmp_path / "formatted.xlsx", rows_xml(NOTES) + empty, level=9)
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    assert 10 < info.file_size / info.compress_size < Limits().max_ratio
    assert notes_of(read_study(path)) == EXPECTED_NOTES
    # a part under 1 MiB inflated may compress any amount: it cannot exhaust memory
    small = write_xlsx(tmp_path / "small.xlsx", rows_xml(NOTES) + " " * 500_000, level=9)
    assert notes_of(read_study(small)) == EXPECTED_NOTES


def dimension_sheet(ref: str, rows: str) -> str:
    return SHEET_HEAD.replace("<sheetData>", f'<dimension ref="{ref}"/><sheetData>') + rows


@pytest.mark.parametrize(("ref", "refused_by_default"), [
    ("A1:C4", False), ("A1:XFD1048576", False),  # Excel's whole sheet, e.g. formatted
    ("A1:C1048577", True), ("A1:XFE4", True), ("A1:C1500004", True)])
def test_dimension_beyond_any_spreadsheet_program_is_refused_before_the_scan(
        tmp_path, ref, refused_by_default):
    path = tmp_path / "dim.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", dimension_sheet(ref, rows_xml(NOTES))
                    + SHEET_TAIL)
    if not refused_by_default:
        assert notes_of(read_study(path)) == EXPECTED_NOTES
        return
    message = refused(path)
    assert f"declares the area {ref}" in message
    assert "more than Excel or LibreOffice can hold (1,048,576 rows by 16,384 columns)" \
        in message
    # the sheet's true content is small: with the limits raised, it is read
    raised = Limits(max_rows=2_000_000, max_columns=20_000)
    assert notes_of(read_study(path, limits=raised)) == EXPECTED_NOTES


def test_sheet_that_understates_its_dimension_is_still_measured(tmp_path):
    # claims A1:C4 but holds a value in row 1,048,577
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", dimension_sheet(
            "A1:C4", rows_xml([*NOTES, (EXCEL_ROWS + 1, ("G1", 3, "Fear"))])) + SHEET_TAIL)
    assert "runs to row 1,048,577, over the 1,048,576-row limit" in refused(path)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_bomb_refused_by_default_and_read_with_bounded_memory_when_allowed(tmp_path):
    # 150 MiB of formatted rows (5 million of them) compressed about 1,000 times: refused by
    # default. With the ratio limit raised, they are streamed twice (size check, then
    # calamine), never held: the process grows by a fraction of the inflated size.
    mib = 150
    path = bomb(tmp_path / "big.xlsx", mib)
    assert "over the 100x limit" in refused(path)
    run = subprocess.run([sys.executable, "-c", _CHILD, str(path), "2000"], capture_output=True,
                         text=True, check=True, timeout=120)
    result = json.loads(run.stdout)
    assert result["notes"] == 3
    assert result["rise_mib"] < mib / 4


_REFUSED_CHILD = _PEAK + """
try:
    read_study(sys.argv[1])
    refused = None
except InputError as exc:
    refused = str(exc)
print(json.dumps({"refused": refused, "rise_mib": status("VmHWM") - start}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("far", [
    f'<row r="{EXCEL_ROWS}"><c r="AX{EXCEL_ROWS}"><v>1</v></c></row>',
    f'<x:row xmlns:x="{_NS}" r="{EXCEL_ROWS}"><x:c r="AX{EXCEL_ROWS}"><x:v>1</x:v></x:c>'
    "</x:row>",
])
def test_far_cell_after_megabytes_of_rows_is_refused_before_calamine_allocates(tmp_path, far):
    # one value cell at AX1048576, 50 columns by 1,048,576 rows (52 million cells, about
    # 1.6 GB in calamine's dense block), after 5 MB of ordinary rows: the scan finds it in
    # a later piece of the sheet, and the process never holds the block
    rows = rows_xml([*NOTES, *((r, ("G1", 1 + r % 9, f"theme {r}")) for r in range(5, 40_000))])
    path = write_xlsx(tmp_path / "far.xlsx", rows + far)
    assert len(rows) > 4 * 2**20
    run = subprocess.run([sys.executable, "-c", _REFUSED_CHILD, str(path)], capture_output=True,
                         text=True, check=True, timeout=120)
    result = json.loads(run.stdout)
    cells = EXCEL_ROWS * 50
    assert f"spans A1:AX{EXCEL_ROWS} (1,048,576 rows by 50 columns), {cells:,} cells, over " \
           "the 50,000,000-cell limit" in result["refused"]
    assert result["rise_mib"] < 100
