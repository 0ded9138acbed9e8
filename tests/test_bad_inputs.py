"""A corpus of bad or awkward inputs, each written by the test itself.

Every case asserts one exact outcome: either the file is refused with an
:class:`~analysis.io.InputError` whose one-sentence message names the file and says what is
wrong (and ``python -m analysis check`` exits 2 with one line on stderr), or the study is read
and the kept/rejected records, with the sheet, row and column of each rejection, are known.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from analysis.cli import main
from analysis.io import InputError, Limits, read_study

# --- helpers --------------------------------------------------------------------------------


def write_book(path: Path, sheets: dict[str, Sequence[Sequence[object]]],
               merge: dict[str, list[str]] | None = None) -> Path:
    """Write a workbook with openpyxl: ``{sheet: rows}``, row 1 first; optional merged ranges.

    Strings are always written as text (openpyxl would otherwise turn ``'=1+1'`` into a
    formula).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
        for rng in (merge or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def notes_book(path: Path, header: Sequence[str], *rows: Sequence[object]) -> Path:
    """A template workbook with only a ``notes`` sheet."""
    return write_book(path, {"notes": [tuple(header), *rows]})


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def text_cell(ref: str, text: str) -> str:
    """An inline-string cell: literal text, whatever it starts with."""
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def number_cell(ref: str, value: float) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


def shared_cell(ref: str, index: int) -> str:
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def formula_cell(ref: str, formula: str, cached: object = None) -> str:
    """A formula cell, with its cached result when ``cached`` is given (text or number)."""
    kind = ' t="str"' if isinstance(cached, str) else ""
    value = f"<v>{escape(str(cached))}</v>" if cached is not None else ""
    return f'<c r="{ref}"{kind}><f>{escape(formula)}</f>{value}</c>'


def write_raw_xlsx(path: Path, sheet: str, rows: Sequence[Sequence[str]],
                   shared: Sequence[str] = ()) -> Path:
    """Write a minimal xlsx by hand: ``rows`` of ``<c>`` elements, optional shared strings."""
    body = "".join(f'<row r="{i}">{"".join(cells)}</row>' for i, cells in enumerate(rows, 1))
    sheet_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 f"<sheetData>{body}</sheetData></worksheet>")
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           f'count="{len(shared)}" uniqueCount="{len(shared)}">'
           + "".join(f"<si><t>{escape(s)}</t></si>" for s in shared) + "</sst>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(name=sheet))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        zf.writestr("xl/sharedStrings.xml", sst)
    return path


def good_book(path: Path) -> Path:
    """A small valid template workbook (two notes)."""
    return notes_book(path, ("group", "session", "theme"), ("G1", 1, "Fear"), ("G1", 2, "Hope"))


def assert_unreadable(path: Path, capsys, *words: str, limits: Limits | None = None,
                      cli_args: Sequence[str] = (), error: type[InputError] = InputError
                      ) -> InputError:
    """``read_study`` refuses the file, naming it and saying why; ``check`` exits 2 cleanly."""
    with pytest.raises(error) as info:
        read_study(path, limits=limits)
    message = str(info.value)
    assert path.name in message
    assert info.value.problem.file in (path.name, str(path))
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "\n" not in message

    capsys.readouterr()
    code = main(["check", str(path), *cli_args])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0] == f"error: {message}"
    assert "Traceback" not in err
    return info.value


def check_exit(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


def balanced(study) -> None:
    log = study.log
    assert log.read == log.kept + len(log.rejected)


def where(problem) -> tuple:
    return (problem.sheet, problem.row, problem.column)


# --- files that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv", "empty.ods"])
def test_empty_file(tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert_unreadable(path, capsys, "empty", "0 bytes")


def test_csv_renamed_xlsx(tmp_path, capsys):
    path = tmp_path / "notes.xlsx"
    path.write_bytes(b"group,session,theme\r\nG1,1,Fear\r\n")
    assert_unreadable(path, capsys, "named .xlsx", "CSV", "rename it to .csv")


def test_truncated_xlsx(tmp_path, capsys):
    whole = good_book(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert_unreadable(path, capsys, "damaged or truncated zip archive")


def test_workbook_with_damaged_sheet_xml(tmp_path, capsys):
    whole = good_book(tmp_path / "whole.xlsx")
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut mid-tag
            zout.writestr(info, data)
    error = assert_unreadable(path, capsys, "sheet 'notes'", "damaged and cannot be read")
    assert error.problem.sheet == "notes"


def test_random_bytes_named_xlsx(tmp_path, capsys):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(b"\x8f\x90" + random.Random(0).randbytes(4094))
    assert_unreadable(path, capsys, "named .xlsx", "not a zip archive")


def test_binary_file_named_csv(tmp_path, capsys):
    # bytes undefined in both UTF-8 and Windows-1252, no NULs: not text
    path = tmp_path / "noise.csv"
    path.write_bytes(b"\x81\x8d\x8f\x90\x9d" * 200)
    assert_unreadable(path, capsys, "neither a spreadsheet", "nor a text CSV")


def test_zip_that_is_not_a_workbook(tmp_path, capsys):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
        zf.writestr("data/values.csv", "a,b\n1,2\n")
    assert_unreadable(path, capsys, "zip archive is not a spreadsheet", "xl/workbook.xml")


def test_word_document_zip(tmp_path, capsys):
    path = tmp_path / "minutes.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert_unreadable(path, capsys, "Word document", "not a spreadsheet")


def test_opendocument_text_is_not_a_spreadsheet(tmp_path, capsys):
    path = tmp_path / "minutes.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    assert_unreadable(path, capsys, "OpenDocument", "opendocument.text", "not a spreadsheet")


def test_xlsb_refused(tmp_path, capsys):
    path = tmp_path / "binary.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x00\x01")
    assert_unreadable(path, capsys, ".xlsb", "not supported", "save as .xlsx")


def test_password_protected_xlsx(tmp_path, capsys):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = good_book(tmp_path / "plain.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as fh, path.open("wb") as out:
        OOXMLFile(fh).encrypt("s3cret", out)
    assert_unreadable(path, capsys, "password-protected", "encrypted", "remove the password")


@pytest.mark.parametrize("name", ["legacy.xls", "legacy_renamed.xlsx"])
def test_legacy_xls(tmp_path, capsys, name):
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("notes")
    for c, text in enumerate(("group", "session", "theme")):
        ws.write(0, c, text)
    for c, value in enumerate(("G1", 1, "Fear")):
        ws.write(1, c, value)
    path = tmp_path / name
    wb.save(str(path))
    assert_unreadable(path, capsys, "legacy Excel 97-2003 (.xls)", "not supported",
                      "save it as .xlsx")


def test_zip_bomb_like_workbook_refused_before_reading(tmp_path, capsys):
    five_mb = "A" * (5 * 2**20)
    path = write_raw_xlsx(tmp_path / "bomb.xlsx", "notes", [
        [text_cell("A1", "group"), text_cell("B1", "session"), text_cell("C1", "theme")],
        [text_cell("A2", "G1"), number_cell("B2", 1), shared_cell("C2", 0)],
    ], shared=[five_mb])
    assert path.stat().st_size < 100_000  # small on disk, 5 MiB inflated
    assert_unreadable(path, capsys, "inflate to 5 MiB", "over the 1 MiB limit",
                      "uncompressed", "max_uncompressed_mb", limits=Limits(max_uncompressed_mb=1),
                      cli_args=["--max-mb", "1"])
    # one text of 5 MiB of "A" compresses about 1,000 times, as no spreadsheet program's
    # file does: refused by the default ratio limit; the file is sound, and with that limit
    # raised it reads
    assert_unreadable(path, capsys, "would inflate", "over the 100x limit", "--max-ratio")
    study = read_study(path, limits=Limits(max_ratio=2000))
    assert study.notes["theme"].tolist() == [five_mb]


def test_file_not_found(tmp_path, capsys):
    path = tmp_path / "missing.xlsx"
    assert_unreadable(path, capsys, "file not found")


def test_no_notes_sheet_and_no_grid(tmp_path, capsys):
    path = write_book(tmp_path / "other.xlsx", {
        "Sheet1": [("Some summary",), ("nothing", "to", "read")],
        "README": [("About this file",)],
    })
    assert_unreadable(path, capsys, "cannot be told", "nothing was read",
                      "sheet 'Sheet1': row 2 holds 'nothing', 'to', 'read'", "Known layouts",
                      "--column ROLE=HEADER")


def test_unreadable_file_json_output(tmp_path, capsys):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    capsys.readouterr()
    code = main(["check", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    payload = json.loads(out)
    assert payload["ok"] is False
    assert payload["file"] == "empty.xlsx"
    assert len(payload["errors"]) == 1
    assert "empty" in payload["errors"][0]["message"]
    assert "Traceback" not in out + err


# --- template workbooks read with rejections ------------------------------------------------


def test_missing_required_theme_column_rejects_every_row(tmp_path, capsys):
    path = notes_book(tmp_path / "notheme.xlsx", ("group", "session", "note"),
                      ("G1", 1, "first"), ("G1", 2, "second"), ("G2", 1, "third"))
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (3, 0, 3)
    assert [where(p) for p in log.rejected] == [("notes", 2, None), ("notes", 3, None),
                                                ("notes", 4, None)]
    for p in log.rejected:
        assert "'theme' missing from the header in row 1" in p.message
    assert len(log.errors) == 1
    assert "required column 'theme' missing" in log.errors[0].message
    assert len(study.notes) == 0
    balanced(study)
    code, out = check_exit(path, capsys)
    assert code == 1
    assert "FAILED" in out


def test_duplicated_header_names_both_columns(tmp_path, capsys):
    path = notes_book(tmp_path / "dup.xlsx", ("group", "session", "theme", "note", "theme"),
                      ("G1", 1, "Fear", "n1", "Other"), ("G1", 2, "Hope", "n2", "Other"))
    study = read_study(path)
    log = study.log
    assert len(log.errors) == 1
    err = log.errors[0]
    assert "column 'theme' appears 2 times (columns C, E)" in err.message
    assert (err.sheet, err.row, err.column) == ("notes", 1, "E (theme)")
    # the first 'theme' column is used
    assert study.notes["theme"].tolist() == ["Fear", "Hope"]
    assert (log.read, log.kept, len(log.rejected)) == (2, 2, 0)
    balanced(study)
    assert check_exit(path, capsys)[0] == 1


def test_header_below_title_rows(tmp_path, capsys):
    path = write_book(tmp_path / "titled.xlsx", {"notes": [
        ("Coping study - coded notes",),
        ("Coder: A.B.",),
        (),
        ("group", "session", "date", "theme"),
        ("G1", 1, None, "Fear"),
        ("G1", 2, None, "Hope"),
    ]})
    study = read_study(path)
    assert study.notes["source"].tolist() == ["notes!D5", "notes!D6"]
    assert (study.log.read, study.log.kept, study.log.rejected) == (2, 2, [])
    assert check_exit(path, capsys)[0] == 0


def test_blank_rows_in_the_middle_are_not_counted(tmp_path):
    path = write_book(tmp_path / "gaps.xlsx", {"notes": [
        ("group", "session", "theme"),
        ("G1", 1, "Fear"),
        (),
        (None, None, None),
        ("G1", 2, "Hope"),
        ("  ", "\u00a0", "\t"),  # whitespace only: blank too
        ("G2", 1, "Fear"),
    ]})
    study = read_study(path)
    assert (study.log.read, study.log.kept, study.log.rejected) == (3, 3, [])
    assert study.notes["source"].tolist() == ["notes!C2", "notes!C5", "notes!C7"]


def test_whitespace_only_cells(tmp_path):
    path = notes_book(tmp_path / "spaces.xlsx", ("group", "session", "theme", "note"),
                      ("G1", 1, "   ", "a"),
                      ("G1", 2, "\u00a0\t", "b"),
                      ("  G1 ", 3, "  Fear  ", "c"))
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (3, 1, 2)
    assert [where(p) for p in log.rejected] == [("notes", 2, "C (theme)"),
                                                ("notes", 3, "C (theme)")]
    assert all(p.message == "theme is blank" for p in log.rejected)
    assert study.notes[["group", "theme"]].astype(str).values.tolist() == [["G1", "Fear"]]
    balanced(study)


def test_session_numbers_as_text(tmp_path):
    path = notes_book(tmp_path / "sessions.xlsx", ("group", "session", "theme"),
                      ("G1", "S3", "Fear"), ("G1", "Session 3", "Fear"),
                      ("G1", "3.0", "Fear"), ("G1", "sessione 3", "Fear"))
    study = read_study(path)
    assert study.notes["session"].tolist() == [3, 3, 3, 3]
    assert (study.log.read, study.log.kept, study.log.rejected) == (4, 4, [])


def test_invalid_session_rejected_naming_column(tmp_path, capsys):
    path = notes_book(tmp_path / "badsession.xlsx", ("group", "session", "theme"),
                      ("G1", "abc", "Fear"), ("G1", 0, "Fear"), ("G1", -1, "Fear"),
                      ("G1", 2, "Fear"))
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (4, 1, 3)
    assert [where(p) for p in log.rejected] == [("notes", r, "B (session)") for r in (2, 3, 4)]
    for p, shown in zip(log.rejected, ("'abc'", "'0'", "'-1'"), strict=True):
        assert f"session {shown} is not a whole number of 1 or more" in p.message
    assert study.notes["session"].tolist() == [2]
    balanced(study)
    assert check_exit(path, capsys)[0] == 1


def test_text_dates_in_several_locales(tmp_path):
    texts = ["01/04/2020", "2020-04-01", "1 aprile 2020", "April 1, 2020"]
    path = notes_book(tmp_path / "dates.xlsx", ("group", "session", "date", "theme"),
                      *[("G1", 1, t, "Fear") for t in texts],
                      ("G1", 1, dt.datetime(2020, 4, 1), "Fear"))  # a real date cell
    study = read_study(path)
    assert [d.date() for d in study.notes["date"]] == [dt.date(2020, 4, 1)] * 5
    assert (study.log.read, study.log.kept, study.log.rejected) == (5, 5, [])


def test_invalid_date_rejected(tmp_path):
    path = notes_book(tmp_path / "baddate.xlsx", ("group", "session", "date", "theme"),
                      ("G1", 1, "2020-04-01", "Fear"), ("G1", 2, "31/02/2020", "Fear"),
                      ("G1", 3, "next week", "Hope"))
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (3, 1, 2)
    assert [where(p) for p in log.rejected] == [("notes", 3, "C (date)"), ("notes", 4, "C (date)")]
    assert "date '31/02/2020' is not a date" in log.rejected[0].message
    assert "date 'next week' is not a date" in log.rejected[1].message
    balanced(study)


def test_invalid_valence_lists_allowed_values(tmp_path):
    path = notes_book(tmp_path / "valence.xlsx", ("group", "session", "theme", "valence"),
                      ("G1", 1, "Fear", "-"), ("G1", 1, "Hope", "good"),
                      ("G1", 2, "Hope", "+"), ("G1", 2, "Fear", None))
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (4, 3, 1)
    (p,) = log.rejected
    assert where(p) == ("notes", 3, "D (valence)")
    assert "valence 'good' is not one of negative, neutral, positive" in p.message
    assert study.notes["valence"].tolist() == ["negative", "positive", "neutral"]
    balanced(study)


THEME_VARIANTS = [
    ("Café", "NFC, first spelling"),
    ("café", "lower case"),
    ("Cafe\u0301", "NFD: e + combining acute"),
    ("Caf\u00e9\u200b", "zero-width space"),
    ("Fear of contagion", "first spelling"),
    ("FEAR OF CONTAGION", "upper case"),
    ("Fear of\u00a0contagion", "no-break space"),
]


def _variants_book(tmp_path):
    return notes_book(tmp_path / "variants.xlsx", ("group", "session", "theme"),
                      *[("G1", 1, label) for label, _ in THEME_VARIANTS])


def test_theme_variants_count_as_one_theme(tmp_path):
    study = read_study(_variants_book(tmp_path))
    assert study.themes == ["Café", "Fear of contagion"]
    assert study.notes["theme"].astype(str).tolist() == ["Café"] * 4 + ["Fear of contagion"] * 3
    assert (study.log.read, study.log.kept, study.log.rejected) == (7, 7, [])


def test_theme_case_variants_listed_in_merges(tmp_path):
    study = read_study(_variants_book(tmp_path))
    merges = {m.raw: (m.theme, m.reason, m.count, m.first_source) for m in study.log.merges}
    assert merges["café"] == ("Café", "normalized", 1, "notes!C3")
    assert merges["FEAR OF CONTAGION"] == ("Fear of contagion", "normalized", 1, "notes!C7")


def test_theme_invisible_variants_listed_in_merges(tmp_path):
    study = read_study(_variants_book(tmp_path))
    merges = {m.raw: (m.theme, m.reason, m.count, m.first_source) for m in study.log.merges}
    assert merges["Cafe\u0301"] == ("Café", "normalized", 1, "notes!C4")
    assert merges["Caf\u00e9\u200b"] == ("Café", "normalized", 1, "notes!C5")
    assert merges["Fear of\u00a0contagion"] == ("Fear of contagion", "normalized", 1, "notes!C8")


def test_formula_cells_use_cached_values(tmp_path):
    path = write_raw_xlsx(tmp_path / "formulas.xlsx", "notes", [
        [text_cell("A1", "group"), text_cell("B1", "session"), text_cell("C1", "theme")],
        [text_cell("A2", "G1"), formula_cell("B2", "1+1", 2),
         formula_cell("C2", '"Fe"&"ar"', "Fear")],
        # no cached value (e.g. written by a library, never opened in Excel): an empty cell
        [text_cell("A3", "G1"), number_cell("B3", 3), formula_cell("C3", '"Ho"&"pe"')],
    ])
    study = read_study(path)
    log = study.log
    assert study.notes[["session", "theme"]].astype(str).values.tolist() == [["2", "Fear"]]
    assert (log.read, log.kept, len(log.rejected)) == (2, 1, 1)
    (p,) = log.rejected
    assert where(p) == ("notes", 3, "C (theme)")
    assert p.message == "theme is blank"
    balanced(study)


def test_html_and_script_kept_verbatim(tmp_path):
    theme = "<b>Fear</b> & <i>dread</i>"
    note = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    path = notes_book(tmp_path / "html.xlsx", ("group", "session", "theme", "note"),
                      ("G1", 1, theme, note))
    study = read_study(path)
    assert study.notes["theme"].astype(str).tolist() == [theme]
    assert study.notes["note"].tolist() == [note]
    assert (study.log.read, study.log.kept, study.log.rejected) == (1, 1, [])


FORMULA_LIKE = ["=1+1", "+39 333", "-", "@x", "=HYPERLINK(\"http://x\")"]


def test_formula_like_text_kept_literally(tmp_path):
    rows = [[text_cell("A1", "group"), text_cell("B1", "session"), text_cell("C1", "theme"),
             text_cell("D1", "note")]]
    for i, text in enumerate(FORMULA_LIKE, start=2):
        rows.append([text_cell(f"A{i}", "G1"), number_cell(f"B{i}", 1),
                     text_cell(f"C{i}", "Fear"), text_cell(f"D{i}", text)])
    study = read_study(write_raw_xlsx(tmp_path / "literal.xlsx", "notes", rows))
    assert study.notes["note"].tolist() == FORMULA_LIKE
    n = len(FORMULA_LIKE)
    assert (study.log.read, study.log.kept, study.log.rejected) == (n, n, [])


def test_formula_like_text_in_csv_kept_literally(tmp_path):
    buf = io.StringIO()
    csv.writer(buf).writerows([("group", "session", "theme", "note"),
                               *[("G1", 1, "Fear", t) for t in FORMULA_LIKE]])
    path = tmp_path / "literal.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    study = read_study(path)
    assert study.notes["note"].tolist() == FORMULA_LIKE


# --- grid workbooks -------------------------------------------------------------------------


def test_grid_unknown_mark_rejected_with_cell(tmp_path, capsys):
    path = write_book(tmp_path / "grid.xlsx", {"Group A": [
        ("Theme", 1, 2, 3),
        ("Fear", "x", "?", None),
        ("Hope", 2, "+", None),
    ]})
    study = read_study(path)
    log = study.log
    # marks: B2 x, C2 ?, B3 2, C3 + -> 4 records, 3 kept (x=1 note, 2=2 notes, +=1 note)
    assert (log.read, log.kept, len(log.rejected)) == (4, 3, 1)
    (p,) = log.rejected
    assert where(p) == ("Group A", 2, "C (session 2)")
    assert "mark '?' is not understood" in p.message
    assert len(study.notes) == 4
    assert study.notes["group"].astype(str).unique().tolist() == ["Group A"]
    balanced(study)
    assert check_exit(path, capsys)[0] == 1


def test_grid_mark_without_theme_rejected(tmp_path):
    path = write_book(tmp_path / "grid.xlsx", {"Group A": [
        ("Theme", 1, 2),
        ("Fear", "x", None),
        (None, None, "x"),
    ]})
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (2, 1, 1)
    (p,) = log.rejected
    assert where(p) == ("Group A", 3, "C (session 2)")
    assert "has no theme in column A" in p.message
    balanced(study)


def test_grid_merged_theme_cells_label_both_rows(tmp_path):
    path = write_book(tmp_path / "grid.xlsx", {"Group A": [
        ("Theme", 1, 2),
        ("Fear", "x", None),
        (None, None, "x"),
        ("Hope", "x", None),
    ]}, merge={"Group A": ["A2:A3"]})
    study = read_study(path)
    notes = study.notes
    assert notes[["session", "theme", "source"]].astype(str).values.tolist() == [
        ["1", "Fear", "Group A!B2"], ["2", "Fear", "Group A!C3"], ["1", "Hope", "Group A!B4"]]
    assert (study.log.read, study.log.kept, study.log.rejected) == (3, 3, [])


def test_grid_title_rows_and_total_column(tmp_path, capsys):
    path = write_book(tmp_path / "grid.xlsx", {"Group A": [
        ("Group A - notes by session",),
        (),
        ("Theme", 1, 2, 3, "Total"),
        ("Fear", "x", "x", None, 2),
        ("Hope", None, "-", "+", 2),
    ]})
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, log.rejected) == (4, 4, [])
    assert study.notes[["session", "theme", "valence", "source"]].astype(str).values.tolist() == [
        ["1", "Fear", "neutral", "Group A!B4"], ["2", "Fear", "neutral", "Group A!C4"],
        ["2", "Hope", "negative", "Group A!C5"], ["3", "Hope", "positive", "Group A!D5"]]
    (w,) = log.warnings
    assert (w.sheet, w.row, w.severity) == ("Group A", 3, "warning")
    assert "column E (Total)" in w.message and "not read" in w.message
    assert check_exit(path, capsys)[0] == 0


def test_grid_like_sheet_without_theme_column(tmp_path, capsys):
    path = write_book(tmp_path / "overview.xlsx", {"Overview": [("Sessions held", 1, 2, 3)]})
    study = read_study(path)
    # as when the same sheet sits beside a real grid sheet: an error, no notes
    (err,) = study.log.errors
    assert (err.sheet, err.row) == ("Overview", 1)
    assert "no theme column" in err.message
    assert len(study.notes) == 0
    balanced(study)
    assert check_exit(path, capsys)[0] == 1


def test_blank_session_not_found_by_date_names_column_letter(tmp_path):
    path = notes_book(tmp_path / "nosession.xlsx", ("group", "session", "date", "theme"),
                      ("G1", None, "2020-04-01", "Fear"), ("G1", 1, None, "Hope"))
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (2, 1, 1)
    (p,) = log.rejected
    assert "session is blank" in p.message
    assert where(p) == ("notes", 2, "B (session)")


def test_grid_merged_range_below_the_data_is_harmless(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Group 1"
    ws.append(["Theme", 1, 2])
    ws.append(["Fear", "x", None])
    ws.merge_cells("A10:A12")  # formatting left below the data, no value
    path = tmp_path / "grid.xlsx"
    wb.save(path)
    study = read_study(path)
    assert len(study.notes) == 1 and study.log.rejected == []
