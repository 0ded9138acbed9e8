"""Real coding spreadsheets: a layout is read only when the file clearly is one.

Every fixture here is a shape researchers publish (coding CSVs, count tables, code lists,
codebooks on another sheet); each is either read exactly as the columns say, or refused with
what was seen and the options that would read it. Expected counts are computed in the test
from the rows written, never taken from the reader.
"""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path

import pytest

from analysis import InputError, read_study
from analysis.cli import main
from analysis.io import OptionsError, ReadOptions
from tests.conftest import REALDATA, write_xlsx


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    return code, out, err


def write_csv(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def suggested(err: str, file: Path) -> list[list[str]]:
    """Return the option lists of every command the refusal suggests."""
    tips = err.split("To read it, try: ", 1)[1].rstrip().rstrip(".").split(" | ")
    out = []
    for tip in tips:
        if tip.startswith("python -m analysis check "):
            words = shlex.split(tip)[4:]
            assert words[0] == file.name
            out.append(words[1:])
    return out


# --- coding CSVs whose columns must be named -----------------------------------------------

DECISIONS = [
    ["Participant", "Topic", "Decision", "Strategy", "Reason"],
    ["P1", "budget", "cut the travel", "avoid", "cost"],
    ["P1", "staff", "hire a nurse", "approach", "workload"],
    ["P2", "budget", "keep the travel", "avoid", "cost"],
    ["P3", "rota", "swap the shifts", "avoid", "fatigue"],
    ["P3", "staff", "ask for help", "approach", "workload"],
    ["P4", "rota", "plan ahead", "approach", "planning"],
]


def test_columns_mapping_reads_a_coding_csv_as_the_columns_say(tmp_path, capsys):
    path = write_csv(tmp_path / "decisions.csv", DECISIONS)
    study = read_study(path, columns={"theme": "Reason", "note": "Decision",
                                      "category": "Strategy", "speaker": "Participant"})
    body = DECISIONS[1:]
    notes = study.notes
    assert len(notes) == len(body)
    assert list(notes["theme"].astype(str)) == [r[4] for r in body]
    assert list(notes["note"]) == [r[2] for r in body]
    assert list(notes["speaker"].astype(str)) == [r[0] for r in body]
    assert dict(zip(notes["theme"].astype(str), notes["category"].astype(str),
                    strict=True)) == {r[4]: r[3] for r in body}
    # no group column: one group named after the file; no session column: one session each
    assert set(notes["group"].astype(str)) == {"decisions"}
    assert set(notes["session"]) == {1}
    messages = " ".join(p.message for p in study.log.warnings)
    assert "no group column" in messages and "one session" in messages
    # the second theme-like column is named, never silently taken
    assert "B (Topic) also looks like the theme column" in messages
    assert study.log.columns["theme"] == "E (Reason)"
    assert study.log.columns["note"] == "C (Decision)"
    assert study.log.layout == "CSV notes table"
    assert study.log.read == study.log.kept + len(study.log.rejected) == len(body)

    code, out, _ = run(capsys, "check", str(path), "--column", "theme=Reason", "--column",
                       "note=Decision", "--column", "category=Strategy", "--json")
    payload = json.loads(out)
    assert code == 0
    assert payload["notes"] == 6 and payload["themes"] == 4 and payload["categories"] == 2
    assert payload["columns"]["category"] == "D (Strategy)"
    assert payload["options"] == {"columns": {"theme": "Reason", "note": "Decision",
                                              "category": "Strategy"}}


def test_coding_csv_without_mapping_is_not_read_silently(tmp_path, capsys):
    path = write_csv(tmp_path / "decisions.csv", DECISIONS)
    code, out, err = run(capsys, "check", str(path))
    assert code in (1, 2)
    assert "--column" in out + err
    assert "OK: no errors" not in out


def test_mapped_header_missing_is_a_usage_error(tmp_path, capsys):
    path = write_csv(tmp_path / "decisions.csv", DECISIONS)
    code, _, err = run(capsys, "check", str(path), "--column", "theme=Motive")
    assert code == 2
    assert "'Motive'" in err and "'Participant'" in err


@pytest.mark.parametrize("argv, words", [
    (["--column", "colour=Reason"], "unknown role 'colour'"),
    (["--column", "Reason"], "ROLE=HEADER"),
    (["--column", "theme=Reason", "--column", "note=reason"], "two roles"),
    (["--code-sep", ";", "--separator", ";"], "must differ"),
    (["--codes", "A", "--code-prefix", "B"], "not both"),
    (["--sheet", "Data"], "no sheets"),
])
def test_wrong_options_exit_2_in_one_sentence(tmp_path, capsys, argv, words):
    path = write_csv(tmp_path / "decisions.csv", DECISIONS)
    code, _, err = run(capsys, "check", str(path), *argv)
    assert code == 2
    assert words in err
    assert len(err.strip().splitlines()) == 1


def test_read_options_object_and_keywords_agree(tmp_path):
    path = write_csv(tmp_path / "decisions.csv", DECISIONS)
    opts = ReadOptions(columns={"theme": "Reason"})
    a = read_study(path, opts)
    b = read_study(path, columns={"theme": "Reason"})
    assert a.notes.equals(b.notes)
    with pytest.raises(OptionsError):
        ReadOptions(category_conflicts="vote")
    assert opts.command_line() == "--column theme=Reason"


def test_code_sep_gives_one_note_per_code(tmp_path):
    rows = [["fragment_id", "codes", "text"],
            ["f1", "fear; hope", "first"],
            ["f2", "fear", "second"],
            ["f3", "hope;trust;", "third"],
            ["f4", ";", "fourth"]]
    path = write_csv(tmp_path / "fragments.csv", rows)
    study = read_study(path, columns={"theme": "codes", "note": "text"}, code_sep=";")
    expected = [c.strip() for r in rows[1:] for c in r[1].split(";") if c.strip()]
    assert sorted(study.notes["theme"].astype(str)) == sorted(expected)
    log = study.log
    assert log.kept == len(expected) == 5
    assert len(log.rejected) == 1 and log.rejected[0].row == 5
    assert log.read == log.kept + len(log.rejected)
    assert list(study.notes.loc[study.notes["theme"] == "trust", "note"]) == ["third"]


def test_fragment_csv_is_refused_with_the_options_that_read_it(tmp_path, capsys):
    rows = [["fragment_id", "codes", "speaker_id"],
            ["1", "fear; hope", "7"],
            ["2", "fear", "8"],
            ["3", "trust; hope", "9"],
            ["4", "fear; trust", "7"]]
    path = write_csv(tmp_path / "fragments.csv", rows)
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert "'fragment_id', 'codes', 'speaker_id'" in err
    tips = suggested(err, path)
    assert ["--column", "theme=codes", "--code-sep", ";"] in tips
    code, out, _ = run(capsys, "check", str(path), *tips[0], "--json")
    payload = json.loads(out)
    assert code == 0 and payload["notes"] == 7 and payload["themes"] == 3


@pytest.mark.parametrize("header", [["code_ID", "code", "#_of_occurrences", "description"],
                                    ["tag", "description", "number of highlights"]])
def test_codebooks_with_counts_are_not_notes(tmp_path, capsys, header):
    rows = [header] + [[f"{i}", f"code {i}", str(3 * i + 1), "what it means"][: len(header)]
                       if header[0] == "code_ID" else [f"code {i}", "meaning", str(i + 2)]
                       for i in range(1, 8)]
    path = write_csv(tmp_path / "codebook.csv", rows)
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert "codebook" in err and "--codebook" in err


def test_count_table_workbook_is_refused(tmp_path, capsys):
    # a code x document table of counts, as QDA tools export it, before a real sheet
    counts = [[None, "Interview 1", "Interview 2", "Interview 3", "Totals"],
              ["Fear", 3, 0, 2, 5], ["Hope", 1, 4, 0, 5], ["Trust", 0, 2, 2, 4],
              ["Totals", 4, 6, 4, 14]]
    path = write_xlsx(tmp_path / "counts.xlsx", {"Code counts": counts})
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    assert "sheet 'Code counts'" in err
    assert "Known layouts" in err


def test_atlas_code_document_table_is_not_a_grid(tmp_path, capsys):
    # ATLAS.ti writes "P1\nGr=62;  GS=3" headers and "code\nGr=18" labels
    counts = [[None, "1\nGr=12;  GS=3", "2\nGr=4;  GS=2", "Totals"],
              ["fear\nGr=9", 6, 3, 9], ["hope\nGr=7", 6, 1, 7]]
    path = write_xlsx(tmp_path / "counts.xlsx", {"Statistics": counts})
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "Gr=12" in err and "counts" in err


def test_grid_whose_marks_are_dates_is_refused(tmp_path, capsys):
    import datetime as dt

    rows = [["Quote", 1, 2], ["a", dt.datetime(2020, 8, 17, 14, 59), dt.datetime(2020, 8, 18)],
            ["b", dt.datetime(2020, 8, 17), dt.datetime(2020, 8, 19)]]
    path = write_xlsx(tmp_path / "dates.xlsx", {"Sheet1": rows})
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "not marks" in err


def test_grid_whose_labels_are_identifiers_is_refused(tmp_path, capsys):
    rows = [["ID", 1, 2, 3]] + [[f"{i}:{j}", 1, 0, 2] for i in range(1, 3) for j in (1, 2)]
    path = write_xlsx(tmp_path / "ids.xlsx", {"Sheet1": rows})
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "identifiers" in err


def test_genuine_grid_still_reads_and_says_so(tmp_path, capsys):
    grid = [["Group 1 notes"], [], ["Theme", 1, 2, 3], ["Fear", "x", None, "+"],
            ["Hope", 2, "-", None]]
    path = write_xlsx(tmp_path / "grid.xlsx", {"Group 1": grid, "Group 2": grid})
    study = read_study(path)
    # x=1, +=1, 2=2, -=1 per sheet
    assert len(study.notes) == 2 * 5
    assert study.log.layout == "grid (sheets 'Group 1', 'Group 2')"
    assert study.log.columns["session"].startswith("row 3")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 0 and "read as: grid" in out


def test_sheet_option_picks_one_grid_and_names_missing_sheets(tmp_path, capsys):
    grid = [["Theme", 1, 2], ["Fear", "x", "x"], ["Hope", None, "x"]]
    path = write_xlsx(tmp_path / "grid.xlsx", {"Group 1": grid, "Group 2": grid[:2]})
    study = read_study(path, sheet="Group 2")
    assert len(study.notes) == 2
    assert set(study.notes["group"].astype(str)) == {"Group 2"}
    code, _, err = run(capsys, "check", str(path), "--sheet", "Group 9")
    assert code == 2
    assert "no sheet 'Group 9'" in err and "'Group 1', 'Group 2'" in err


def test_sheet_option_reads_a_notes_table_with_mapping(tmp_path):
    rows = [["who", "said", "code"], ["P1", "I was tired", "fatigue"],
            ["P2", "we shared", "support"]]
    path = write_xlsx(tmp_path / "book.xlsx", {"About": [["a study"]], "Coded": rows})
    study = read_study(path, sheet="Coded", columns={"speaker": "who", "note": "said"})
    assert list(study.notes["theme"].astype(str)) == ["fatigue", "support"]
    assert study.log.layout == "notes table (sheet 'Coded')"
    assert study.log.columns["theme"] == "C (code)"


def test_header_without_rows_is_an_error_not_ok(tmp_path, capsys):
    path = write_xlsx(tmp_path / "empty_notes.xlsx",
                      {"notes": [["group", "session", "theme", "note"]]})
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert "no notes were read" in out
    assert "OK: no errors" not in out


def test_ambiguous_theme_columns_name_the_option(tmp_path):
    rows = [["group", "session", "theme", "note", "theme"], ["G1", 1, "Fear", "n1", "Other"]]
    path = write_xlsx(tmp_path / "dup.xlsx", {"notes": rows})
    study = read_study(path)
    assert any("--column theme=HEADER" in p.message for p in study.log.errors)
    mapped = read_study(path, columns={"theme": "theme"})
    # the mapping names the first 'theme' header; the second is listed, not read
    assert list(mapped.notes["theme"].astype(str)) == ["Fear"]


# --- third-party files ----------------------------------------------------------------------

needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(),
                                    reason="../shared/realdata is not beside the checkout")


@pytest.mark.realdata
@needs_realdata
@pytest.mark.parametrize("relative", [
    "more/akhatami__sqaa-replication-package/codebook-statistics.xlsx",
    "more/akhatami__sqaa-replication-package/codebook.xlsx",
    "navarral__swj2022-usability-paper/codebook_20220223_0.csv",
    "navarral__swj2022-usability-paper/codebook_20220303_8.csv",
])
def test_real_count_tables_and_code_lists_are_refused(capsys, relative):
    path = REALDATA / relative
    with pytest.raises(InputError) as info:
        read_study(path)
    assert "cannot be told" in str(info.value)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 2 and out == ""


@pytest.mark.realdata
@needs_realdata
@pytest.mark.realdata
@needs_realdata
def test_real_code_list_and_qdc_point_to_codebook(capsys):
    _, _, err = run(capsys, "check", str(REALDATA / "more/akhatami__sqaa-replication-package"
                                                    "/codebook.xlsx"))
    assert "looks like a codebook" in err and "--column" not in err.split("try:")[1]
    code, _, err = run(capsys, "check", str(REALDATA / "openqda__refi-tools/"
                                                       "example_codebook.qdc"))
    assert code == 2 and "REFI-QDA codebook" in err and "--codebook example_codebook.qdc" in err


@pytest.mark.realdata
@needs_realdata
def test_real_wide_sheet_refusal_suggests_the_read_that_works(capsys):
    from openpyxl import load_workbook

    path = REALDATA / "JulianFrattini__rqi-relf/issue-data.xlsx"
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    tips = suggested(err, path)
    assert ["--sheet", "Data", "--code-prefix", "Quality Factor"] in tips
    study = read_study(path, sheet="Data", code_prefix="Quality Factor",
                       columns={"note": "Quality Factor mention", "id": "ID"})
    wb = load_workbook(path, read_only=True, data_only=True)
    rows = list(wb["Data"].iter_rows(values_only=True))
    wb.close()
    header = list(rows[0])
    cols = [header.index("Quality Factor 1"), header.index("Quality Factor 2")]
    codes = [r[j] for r in rows[1:] for j in cols if r[j] not in (None, "")]
    assert len(study.notes) == len(codes)
    assert study.notes["theme"].nunique() == len({str(c).strip() for c in codes})
    assert study.log.columns["note"] == "B (Quality Factor mention)"


def test_export_on_a_sheet_named_like_the_notes_sheet_is_recognised(tmp_path):
    # 'Data' is a synonym of the template's notes sheet; its header decides, not its name
    rows = [["ID", "Quotation Name", "Document", "Quotation Content", "Codes"],
            ["1:1", "q", "Doc A", "we were tired", "stress: fatigue\nsupport"],
            ["1:2", "q", "Doc B", "we helped", "support"]]
    study = read_study(write_xlsx(tmp_path / "atlas.xlsx", {"Data": rows}))
    assert study.log.layout == "ATLAS.ti quotation export (sheet 'Data')"
    assert len(study.notes) == sum(len(r[4].splitlines()) for r in rows[1:])
