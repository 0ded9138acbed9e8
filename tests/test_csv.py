"""Reading CSV files: delimiters, encodings, line endings, quoting, long cells, grid layout."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.io import InputError, read_study

HEADER = ["group", "session", "theme", "note"]
ROWS = [
    ["G1", "1", "Caffè", "first note"],
    ["G1", "2", "Città", "second note"],
    ["G2", "1", "Caffè", "third note"],
]


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",",
              encoding: str = "utf-8", newline: str = "\n", bom: bytes = b"") -> Path:
    """Write ``rows`` joined by ``delimiter`` (no quoting: the cells must not need it)."""
    text = newline.join(delimiter.join(r) for r in rows) + newline
    path.write_bytes(bom + text.encode(encoding))
    return path


def table(study, *cols: str) -> list[list[str]]:
    return study.notes[list(cols)].astype(str).values.tolist()


def assert_rows_read(study, file: str) -> None:
    """The three ``ROWS`` were read as written, with their cells."""
    assert table(study, "group", "session", "theme", "note") == [
        ["G1", "1", "Caffè", "first note"],
        ["G1", "2", "Città", "second note"],
        ["G2", "1", "Caffè", "third note"],
    ]
    assert study.notes["source"].tolist() == [f"{file}!C2", f"{file}!C3", f"{file}!C4"]
    log = study.log
    assert (log.read, log.kept, log.rejected, log.errors) == (3, 3, [], [])


def check_exit(path: Path, capsys) -> int:
    capsys.readouterr()
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err
    return code


# --- delimiters -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab",
                                                                   "pipe"])
def test_delimiters(tmp_path, delimiter):
    path = write_csv(tmp_path / "notes.csv", [HEADER, *ROWS], delimiter=delimiter)
    study = read_study(path)
    assert_rows_read(study, "notes.csv")
    assert study.log.warnings == []


@pytest.mark.parametrize(("delimiter", "other"), [(";", ","), ("\t", ","), ("|", ";"),
                                                  (",", ";")])
def test_delimiter_with_other_delimiters_inside_cells(tmp_path, delimiter, other):
    # a semicolon file whose notes are full of commas is still read on semicolons
    note = f"scared{other} very{other} very scared"
    rows = [HEADER, ["G1", "1", "Fear", note], ["G1", "2", "Hope", f"maybe{other} perhaps"]]
    study = read_study(write_csv(tmp_path / "notes.csv", rows, delimiter=delimiter))
    assert study.notes["note"].tolist() == [note, f"maybe{other} perhaps"]
    assert (study.log.read, study.log.kept) == (2, 2)


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
     ("utf-16-be", codecs.BOM_UTF16_BE)],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom"],
)
def test_unicode_encodings(tmp_path, encoding, bom):
    path = write_csv(tmp_path / "notes.csv", [HEADER, *ROWS], encoding=encoding, bom=bom)
    study = read_study(path)
    assert_rows_read(study, "notes.csv")  # a BOM does not end up in the 'group' header
    assert study.log.warnings == []


def test_utf16_written_by_python_codec(tmp_path):
    # Python's "utf-16" codec writes a BOM in the machine's byte order
    path = write_csv(tmp_path / "notes.csv", [HEADER, *ROWS], encoding="utf-16")
    assert path.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    assert_rows_read(read_study(path), "notes.csv")


def test_cp1252_read_with_warning(tmp_path, capsys):
    path = write_csv(tmp_path / "notes.csv", [HEADER, *ROWS], encoding="cp1252")
    assert "Caffè".encode("cp1252") in path.read_bytes()  # one byte per accent, not UTF-8
    study = read_study(path)
    assert_rows_read(study, "notes.csv")  # the accents are right
    (w,) = study.log.warnings
    assert w.severity == "warning"
    assert "Windows-1252" in w.message
    assert "not UTF-8" in w.message
    assert w.file == "notes.csv"
    assert check_exit(path, capsys) == 0  # a warning is not an error


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_windows_and_old_mac_line_endings(tmp_path, newline):
    path = write_csv(tmp_path / "notes.csv", [HEADER, *ROWS], newline=newline)
    study = read_study(path)
    assert_rows_read(study, "notes.csv")
    assert not any("\r" in str(v) for v in study.notes["note"])


# --- quoting ----------------------------------------------------------------------------------


def test_quoted_fields_with_newlines_delimiters_and_quotes(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_bytes(
        b'group,session,theme,note\r\n'
        b'G1,1,Fear,"line one\nline two, with a comma; and ""quotes"""\r\n'
        b'G1,2,"Hope, maybe",plain\r\n'
        b'G1,abc,Fear,bad session\r\n'
    )
    study = read_study(path)
    assert study.notes["note"].tolist() == [
        'line one\nline two, with a comma; and "quotes"', "plain"]
    assert study.notes["theme"].astype(str).tolist() == ["Fear", "Hope, maybe"]
    # rows are counted as a spreadsheet shows them: one row per record
    assert study.notes["source"].tolist() == ["quoted.csv!C2", "quoted.csv!C3"]
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (3, 2, 1)
    (p,) = log.rejected
    assert (p.file, p.sheet, p.row, p.column) == ("quoted.csv", None, 4, "B (session)")
    assert "session 'abc' is not a whole number" in p.message


@pytest.mark.parametrize(("encoding", "bom", "word"), [
    ("utf-8", b"", "word "), ("utf-8", b"", "città "),
    # in UTF-16 the byte of ',' (0x2C) also occurs inside characters such as U+2C2C
    ("utf-16-le", codecs.BOM_UTF16_LE, "\u2c2c\u2c2c "),
])
def test_cell_longer_than_excel_limit_read_in_full(tmp_path, capsys, encoding, bom, word):
    long_note = word * (40_000 // len(word)) + "end"
    assert len(long_note) > 32767
    path = write_csv(tmp_path / "long.csv", [HEADER, ["G1", "1", "Fear", long_note],
                                             ["G1", "2", "Hope", "short"]],
                     encoding=encoding, bom=bom)
    study = read_study(path)
    assert study.notes["note"].tolist() == [long_note, "short"]
    (w,) = study.log.warnings
    assert (w.file, w.sheet, w.row, w.column, w.severity) == ("long.csv", None, 2, "D",
                                                              "warning")
    assert "32,767" in w.message and "read in full" in w.message
    assert (study.log.read, study.log.kept, study.log.rejected) == (2, 2, [])
    assert check_exit(path, capsys) == 0


# --- grid layout ----------------------------------------------------------------------------


def test_grid_csv_is_one_group_named_after_the_file(tmp_path):
    path = tmp_path / "Group North.csv"
    path.write_text(
        "Theme,1,2,3\n"
        "Fear,x,,x\n"
        "Hope,,x,\n"
        "Isolation,x,x,x\n", encoding="utf-8")
    study = read_study(path)
    # six marked cells, one note each
    assert study.groups == ["Group North"]
    assert table(study, "group", "session", "theme", "source") == [
        ["Group North", "1", "Fear", "Group North.csv!B2"],
        ["Group North", "3", "Fear", "Group North.csv!D2"],
        ["Group North", "2", "Hope", "Group North.csv!C3"],
        ["Group North", "1", "Isolation", "Group North.csv!B4"],
        ["Group North", "2", "Isolation", "Group North.csv!C4"],
        ["Group North", "3", "Isolation", "Group North.csv!D4"],
    ]
    assert (study.log.read, study.log.kept, study.log.rejected) == (6, 6, [])


def test_grid_csv_bad_mark_rejected_with_cell(tmp_path):
    path = tmp_path / "G1.csv"
    path.write_text("Theme,1,2\nFear,x,?\nHope,x,\n", encoding="utf-8")
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (3, 2, 1)
    (p,) = log.rejected
    assert (p.row, p.column) == (2, "C (session 2)")
    assert "mark '?' is not understood" in p.message
    assert len(study.notes) == 2


def test_grid_csv_problems_have_no_sheet(tmp_path):
    path = tmp_path / "G1.csv"
    path.write_text("Theme,1,2\nFear,x,?\n", encoding="utf-8")
    (p,) = read_study(path).log.rejected
    assert p.sheet is None
    assert str(p).startswith("G1.csv, row 2, column C (session 2): ")


def test_csv_without_header_but_numbers_does_not_crash(tmp_path, capsys):
    path = tmp_path / "numbers.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    # neither a notes table nor a grid: refused, with what was seen
    with pytest.raises(InputError, match="row 1 holds 'a', 'b', 'c'"):
        read_study(path)
    assert check_exit(path, capsys) == 2


# --- headers ----------------------------------------------------------------------------------


def test_header_names_match_case_and_space_insensitively(tmp_path):
    path = tmp_path / "headers.csv"
    path.write_text("Group, SESSION ,Theme,  NOTE\nG1,1,Fear,a\nG2,S2,Hope,b\n",
                    encoding="utf-8")
    study = read_study(path)
    assert table(study, "group", "session", "theme", "note") == [
        ["G1", "1", "Fear", "a"], ["G2", "2", "Hope", "b"]]
    assert (study.log.read, study.log.kept, study.log.rejected, study.log.warnings) == (
        2, 2, [], [])


def test_header_synonyms_and_extra_column_warned(tmp_path):
    path = tmp_path / "synonyms.csv"
    path.write_text("Gruppo;Session No.;Tema;Coder ID\nG1;3;Paura;AB\n", encoding="utf-8")
    study = read_study(path)
    assert table(study, "group", "session", "theme") == [["G1", "3", "Paura"]]
    (w,) = study.log.warnings
    assert "D (Coder ID)" in w.message and "not read" in w.message
    assert (w.sheet, w.row) == (None, 1)


def test_missing_theme_header_rejects_every_row(tmp_path, capsys):
    path = tmp_path / "notheme.csv"
    path.write_text("group,session,note\nG1,1,a\nG1,2,b\n", encoding="utf-8")
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (2, 0, 2)
    assert [(p.sheet, p.row) for p in log.rejected] == [(None, 2), (None, 3)]
    assert all("'theme' missing" in p.message for p in log.rejected)
    assert check_exit(path, capsys) == 1
