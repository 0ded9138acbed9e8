"""A codebook kept elsewhere (--codebook) and category conflicts (--category-conflicts).

Expected counts are worked out by hand from the small fixtures, or counted from the real
third-party files with the csv module and python-calamine, independently of the readers.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections import Counter
from pathlib import Path

import pytest

from analysis import read_study
from analysis.cli import main
from analysis.codebook import Codebook
from analysis.io import InputError, OptionsError

from .conftest import REALDATA, write_xlsx

REFI = REALDATA / "openqda__refi-tools"
TAGUETTE = REALDATA / "navarral__swj2022-usability-paper"
ISSUES = REALDATA / "JulianFrattini__rqi-relf" / "issue-data.xlsx"

needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason=f"third-party example files not found at {REALDATA} (../shared/realdata)")


def values(series) -> list:
    """Return a column's values with every missing value as None."""
    return [None if v is None or v != v else v for v in series.astype(object).tolist()]


def balanced(study) -> bool:
    log = study.log
    return log.read == log.kept + len(log.rejected)


# --- category conflicts ---------------------------------------------------------------------

#: A wide coding sheet, codes 'category->theme'. By hand, per theme (category: notes, cells):
#: x: a 2 (C2, C4), b 2 (C3, C6)  -> tie, 'a' named first in the file
#: y: b 2 (D2, D6), a 1 (D4)      -> 'b'
#: w: a 1 (C7), b 2 (C8, D8)      -> 'b' although 'a' comes first
#: z: a 1 (C5)                    -> no conflict
WIDE = [("ID", "Text", "Code 1", "Code 2"),
        (1, "t1", "a->x", "b->y"),
        (2, "t2", "b->x", None),
        (3, "t3", "a->x", "a->y"),
        (4, "t4", "a->z", None),
        (5, "t5", "b->x", "b->y"),
        (6, "t6", "a->w", None),
        (7, "t7", "b->w", "b->w")]
WIDE_OPTS = {"code_prefix": "Code", "separator": "->"}


@pytest.fixture
def wide(tmp_path):
    return write_xlsx(tmp_path / "wide.xlsx", {"Data": WIDE})


def test_conflicts_are_errors_listing_counts_and_the_option(wide):
    study = read_study(wide, **WIDE_OPTS)
    messages = [p.message for p in study.log.errors]
    assert messages == [
        "theme 'x' is filed under 2 categories in the notes: 'a' (2 notes, first at Data!C2), "
        "'b' (2 notes, first at Data!C3); categories must be mutually exclusive: fix the codes, "
        "or read with --category-conflicts majority (file it under its most frequent category) "
        "or --category-conflicts split (one theme per category)",
        "theme 'y' is filed under 2 categories in the notes: 'b' (2 notes, first at Data!D2), "
        "'a' (1 note, first at Data!D4); categories must be mutually exclusive: fix the codes, "
        "or read with --category-conflicts majority (file it under its most frequent category) "
        "or --category-conflicts split (one theme per category)",
        "theme 'w' is filed under 2 categories in the notes: 'a' (1 note, first at Data!C7), "
        "'b' (2 notes, first at Data!C8); categories must be mutually exclusive: fix the codes, "
        "or read with --category-conflicts majority (file it under its most frequent category) "
        "or --category-conflicts split (one theme per category)"]
    assert [(c.theme, c.categories, c.resolution) for c in study.log.conflicts] == [
        ("x", (("a", 2, "Data!C2"), ("b", 2, "Data!C3")), "error"),
        ("y", (("b", 2, "Data!D2"), ("a", 1, "Data!D4")), "error"),
        ("w", (("a", 1, "Data!C7"), ("b", 2, "Data!C8")), "error")]
    assert balanced(study) and study.log.read == 11


def test_majority_files_each_theme_under_its_most_frequent_category(wide):
    study = read_study(wide, category_conflicts="majority", **WIDE_OPTS)
    assert study.log.errors == []
    assert len(study.notes) == 11 and balanced(study)
    assert dict(zip(study.codebook["theme"], study.codebook["category"], strict=True)) == {
        "x": "a", "y": "b", "z": "a", "w": "b"}
    moves = [(m.source, m.theme, m.category, m.to_category) for m in study.log.moves]
    assert moves == [("Data!C3", "x", "b", "a"), ("Data!C6", "x", "b", "a"),
                     ("Data!D4", "y", "a", "b"), ("Data!C7", "w", "a", "b")]
    by_cell = dict(zip(study.notes["source"], study.notes["category"].astype(str), strict=True))
    assert [by_cell[s] for s, *_ in moves] == ["a", "a", "b", "b"]
    # per category: a = x 4 + z 1 = 5; b = y 3 + w 3 = 6
    assert study.notes["category"].value_counts().to_dict() == {"b": 6, "a": 5}
    assert [c.result for c in study.log.conflicts] == [("a",), ("b",), ("b",)]
    assert study.log.moves_frame().values.tolist() == [list(m) for m in moves]
    assert study.log.conflicts_frame().values.tolist() == [
        ["x", "a", 2, "Data!C2", "majority", "a"], ["x", "b", 2, "Data!C3", "majority", "a"],
        ["y", "b", 2, "Data!D2", "majority", "b"], ["y", "a", 1, "Data!D4", "majority", "b"],
        ["w", "a", 1, "Data!C7", "majority", "b"], ["w", "b", 2, "Data!C8", "majority", "b"]]
    assert sum("--category-conflicts majority files it under" in p.message
               for p in study.log.warnings) == 3


def test_split_makes_one_theme_per_theme_and_category(wide):
    study = read_study(wide, category_conflicts="split", **WIDE_OPTS)
    assert study.log.errors == [] and study.log.moves == []
    counts = study.notes.groupby(["theme", "category"], observed=True).size().to_dict()
    assert counts == {("x (a)", "a"): 2, ("x (b)", "b"): 2, ("y (b)", "b"): 2,
                      ("y (a)", "a"): 1, ("z", "a"): 1, ("w (a)", "a"): 1, ("w (b)", "b"): 2}
    assert study.summary()["themes"] == 7 and study.summary()["categories"] == 2
    assert study.log.conflicts_frame()["result"].tolist() == [
        "x (a)", "x (b)", "y (b)", "y (a)", "w (a)", "w (b)"]
    assert [c.result for c in study.log.conflicts] == [
        ("x (a)", "x (b)"), ("y (b)", "y (a)"), ("w (a)", "w (b)")]
    assert balanced(study)


def test_split_name_taken_by_another_theme_is_an_error(tmp_path):
    path = write_xlsx(tmp_path / "w.xlsx", {"Data": [
        ("ID", "Code 1", "Code 2"), (1, "a->x", "b->x"), (2, "a->x (a)", None)]})
    study = read_study(path, category_conflicts="split", **WIDE_OPTS)
    assert [p.message for p in study.log.errors] == [
        "splitting theme 'x' makes a theme 'x (a)', which is already a theme of the notes; "
        "rename one of them"]


def test_cli_conflicts_exit_codes_and_json(wide, capsys):
    args = ["check", str(wide), "--code-prefix", "Code", "--separator=->"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "--category-conflicts majority" in out and "FAILED: 3 error(s)" in out
    assert main([*args, "--category-conflicts", "majority"]) == 0
    out = capsys.readouterr().out
    assert "Notes moved to their theme's majority category (4):" in out
    assert "  - Data!C7: 'w' moved from 'a' to 'b'" in out
    assert main([*args, "--category-conflicts", "split", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [c["result"] for c in payload["category_conflicts"]] == [
        ["x (a)", "x (b)"], ["y (b)", "y (a)"], ["w (a)", "w (b)"]]
    assert payload["category_conflicts"][2]["categories"] == [
        {"category": "a", "notes": 1, "first_source": "Data!C7"},
        {"category": "b", "notes": 2, "first_source": "Data!C8"}]
    assert payload["moves"] == [] and payload["themes"] == 7
    assert main([*args, "--category-conflicts", "maybe"]) == 2


def test_conflicts_in_a_notes_table_category_column(tmp_path):
    rows = [("group", "session", "theme", "category"), ("G1", 1, "Fear", "Personal"),
            ("G1", 2, "fear ", "Personal"), ("G2", 1, "Fear", "Practical")]
    path = write_xlsx(tmp_path / "n.xlsx", {"notes": rows})
    study = read_study(path, category_conflicts="majority")
    assert [(m.source, m.category, m.to_category) for m in study.log.moves] == [
        ("notes!C4", "Practical", "Personal")]
    assert study.notes["category"].astype(str).tolist() == ["Personal"] * 3
    assert study.themes == ["Fear"]


def test_conflict_policy_with_a_codebook_is_not_used_and_disagreements_warned(tmp_path):
    rows = [("group", "session", "theme", "category"), ("G1", 1, "Fear", "Personal"),
            ("G1", 2, "Fear", "Practical")]
    path = write_xlsx(tmp_path / "n.xlsx", {"notes": rows, "codebook": [
        ("theme", "category"), ("Fear", "Personal")]})
    study = read_study(path, category_conflicts="split")
    messages = [p.message for p in study.log.warnings]
    assert ("--category-conflicts split is not used: the codebook (sheet 'codebook') gives "
            "each theme its one category") in messages
    assert ("1 note names another category than the codebook gives its theme (first at "
            "notes!C3: 'Practical' for 'Fear', codebook 'Personal'); the codebook's category "
            "is used") in messages
    assert study.log.errors == [] and study.log.conflicts == []


# --- a codebook from elsewhere ----------------------------------------------------------------

NOTES = [("group", "session", "theme", "note"), ("G1", 1, "Fear", "n1"),
         ("G1", 1, "worry", "n2"), ("G1", 2, "Dread", "n3"), ("G2", 1, "Lack of PPE", "n4"),
         ("G2", 2, "Fare", "n5")]
TABLE = [("Code", "Parent", "Description", "Synonyms"),
         ("Fear", "Personal", "being afraid", "Dread"),
         ("Worry", "Personal", None, None),
         ("Lack of PPE", "Practical", "no masks", None),
         ("Burnout", "Personal", None, None)]


def _write_csv(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["" if v is None else v for v in r] for r in rows])
    return path


def test_csv_codebook_applies_like_a_codebook_sheet(tmp_path):
    study_path = write_xlsx(tmp_path / "s.xlsx", {"notes": NOTES, "codebook": [
        ("theme", "category"), ("Fear", "Old category")]})
    cb = _write_csv(tmp_path / "codes.csv", TABLE)
    study = read_study(study_path, codebook=cb)
    log = study.log
    assert log.codebook == "codes.csv (--codebook)"
    # 5 notes + 1 row of the workbook's codebook sheet + 4 rows of codes.csv
    assert (log.read, log.kept, log.sheets) == (10, 10, {"notes": 5, "codebook": 1,
                                                         "codes.csv": 4})
    assert ("the input's codebook (sheet 'codebook') is not used: the codebook given with "
            "--codebook (codes.csv) wins") in [p.message for p in log.warnings]
    assert [(m.raw, m.theme, m.reason) for m in log.merges] == [
        ("worry", "Worry", "normalized"), ("Dread", "Fear", "alias")]
    assert [str(p) for p in log.errors] == [
        "codes.csv: theme 'Fare' (1 note, first at notes!C6) is not in the codebook; did you "
        "mean 'Fear'?"]
    assert "codes.csv: codebook theme 'Burnout' is never used in the notes" in map(
        str, log.warnings)
    assert study.categories == ["Personal", "Practical"]
    assert values(study.notes["category"]) == [
        "Personal", "Personal", "Personal", "Practical", None]
    assert values(study.codebook["definition"]) == ["being afraid", None, "no masks", None]


def test_codebook_on_another_sheet_with_named_columns(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", {
        "Data": [("ID", "QF 1", "QF 2"), (1, "completeness", None), (2, "ambiguity", "noise"),
                 (3, "completeness", None)],
        "Factors": [("Quality Factor", "Type", "Definition", "#"),
                    ("completeness", "defect", "missing detail", 2),
                    ("ambiguity", "defect", "two readings", 1),
                    ("noise", "no defect", None, 1)]})
    opts = {"sheet": "Data", "code_prefix": "QF", "codebook": "Factors",
            "codebook_columns": {"theme": "Quality Factor", "category": "Type",
                                 "definition": "Definition"}}
    study = read_study(path, **opts)
    assert study.log.errors == [] and balanced(study)
    assert study.summary()["notes"] == 4 and study.categories == ["defect", "no defect"]
    assert study.notes["category"].value_counts().to_dict() == {"defect": 3, "no defect": 1}
    assert study.log.codebook == "sheet 'Factors' (--codebook)"
    assert study.log.sheets["Factors"] == 3
    assert Codebook.read(f"{path}#Factors", columns=opts["codebook_columns"]).categories == [
        "defect", "no defect"]
    # the same on the command line
    args = ["check", str(path), "--sheet", "Data", "--code-prefix", "QF", "--codebook",
            "Factors", "--codebook-column", "theme=Quality Factor", "--codebook-column",
            "category=Type", "--codebook-column", "definition=Definition"]
    assert main(args) == 0
    # without naming the columns there is no header naming a theme column
    with pytest.raises(InputError, match="sheet 'Factors' is not a codebook: no header row "
                                         "names a theme column"):
        read_study(path, sheet="Data", code_prefix="QF", codebook="Factors")


def test_workbook_codebook_file_sheet_is_chosen_by_its_header(tmp_path):
    study_path = write_xlsx(tmp_path / "s.xlsx", {"notes": NOTES[:3]})
    book = write_xlsx(tmp_path / "cb.xlsx", {"About": [("made by", "me")],
                                             "Themes": [("theme", "category"),
                                                        ("Fear", "P"), ("Worry", "P")]})
    study = read_study(study_path, codebook=book)
    assert study.log.codebook == "sheet 'Themes' of cb.xlsx (--codebook)"
    assert study.log.errors == [] and study.categories == ["P"]
    two = write_xlsx(tmp_path / "two.xlsx", {"A": [("theme", "category"), ("Fear", "P")],
                                             "B": [("theme", "category"), ("Fear", "Q")]})
    with pytest.raises(InputError, match=r"several sheets could be the codebook \('A', 'B'\); "
                                         r"pick one with --codebook 'two.xlsx#A'"):
        read_study(study_path, codebook=two)
    assert read_study(study_path, codebook=f"{two}#B").categories == ["Q"]
    none = write_xlsx(tmp_path / "none.xlsx", {"A": [("x", "y"), (1, 2)]})
    with pytest.raises(InputError, match=r"no sheet has a header row naming a theme and a "
                                         r"category column \(sheets and first rows: 'A' "
                                         r"\(x, y\)\)"):
        read_study(study_path, codebook=none)


def test_codebook_option_errors(tmp_path, capsys):
    study_path = write_xlsx(tmp_path / "s.xlsx", {"notes": NOTES[:3]})
    with pytest.raises(OptionsError, match=r"--codebook 'Codes' is neither a file nor a sheet "
                                           r"of s.xlsx \(its sheets: 'notes'\)"):
        read_study(study_path, codebook="Codes")
    with pytest.raises(OptionsError, match="--codebook-column names the columns of a "
                                           "--codebook; give --codebook SOURCE too"):
        read_study(study_path, codebook_columns={"theme": "X"})
    with pytest.raises(OptionsError, match="--codebook 'notes' is a sheet read as part of "
                                           "the study"):
        read_study(study_path, codebook="notes")
    empty = _write_csv(tmp_path / "empty.csv", [("theme", "category")])
    with pytest.raises(InputError, match=r"empty.csv: the file holds no codebook entry"):
        read_study(study_path, codebook=empty)
    assert main(["check", str(study_path), "--codebook", "Codes"]) == 2
    assert "neither a file nor a sheet" in capsys.readouterr().err
    assert main(["check", str(study_path), "--codebook-column", "role=X"]) == 2


def test_codebook_without_category_column_warns(tmp_path):
    study_path = write_xlsx(tmp_path / "s.xlsx", {"notes": NOTES[:3]})
    cb = _write_csv(tmp_path / "c.csv", [("name", "description"), ("Fear", "f"),
                                         ("Worry", "w")])
    study = read_study(study_path, codebook=cb)
    assert ("the codebook has no category column: its 2 themes have no category; name the "
            "column with --codebook-column category=HEADER") in [
        p.message for p in study.log.warnings]
    assert study.log.errors == [] and study.categories == []
    assert study.notes["category"].isna().all()
    assert study.codebook["definition"].tolist() == ["f", "w"]


# --- real files ---------------------------------------------------------------------------


@needs_realdata
def test_refi_qda_codebook_for_a_study(tmp_path):
    from xml.etree import ElementTree as ET

    root = ET.parse(REFI / "example_codebook.qdc").getroot()
    ns = {"q": "urn:QDA-XML:codebook:1.0"}
    parents = root.findall("q:Codes/q:Code", ns)
    category_of = {c.get("name"): p.get("name") for p in parents
                   for c in p.findall("q:Code", ns)}
    assert len(parents) == 4 and len(category_of) == 40
    themes = list(category_of)[:3] + list(category_of)[-2:]
    rows = [("group", "session", "theme")] + [("G1", i + 1, t) for i, t in enumerate(themes)]
    study_path = write_xlsx(tmp_path / "s.xlsx", {"notes": rows})
    study = read_study(study_path, codebook=REFI / "example_codebook.qdc")
    assert study.log.errors == []
    assert study.log.read == 5 + 40 and balanced(study)
    assert study.notes["category"].astype(str).tolist() == [category_of[t] for t in themes]
    assert len(study.codebook) == 40
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cb = Codebook.read(REFI / "example_codebook.qdc")
    assert len(cb) == 40 and sorted(cb.categories) == sorted(p.get("name") for p in parents)


@needs_realdata
def test_malformed_qdc_is_a_clear_error(tmp_path, capsys):
    study_path = write_xlsx(tmp_path / "s.xlsx", {"notes": NOTES[:3]})
    defect = REFI / "example_codebook_defect.qdc"
    with pytest.raises(InputError, match=r"example_codebook_defect\.qdc: the codebook XML is "
                                         r"malformed at line 132"):
        read_study(study_path, codebook=defect)
    assert main(["check", str(study_path), "--codebook", str(defect)]) == 2
    assert "malformed" in capsys.readouterr().err
    with pytest.raises(InputError, match="malformed"):
        Codebook.read(defect)


@needs_realdata
def test_taguette_highlights_with_their_codebook():
    highlights = TAGUETTE / "all_tags_20220303.csv"
    codebook = TAGUETTE / "codebook_20220303_8.csv"
    with highlights.open(encoding="utf-8", newline="") as f:
        tags = Counter(r["tag"] for r in csv.DictReader(f))
    with codebook.open(encoding="utf-8", newline="") as f:
        described = {r["tag"]: r["description"] for r in csv.DictReader(f)}
    assert len(tags) == 22 and len(described) == 22
    study = read_study(highlights, codebook=codebook)
    assert study.log.errors == []
    assert len(study.notes) == sum(tags.values()) == 1930
    assert study.summary()["themes"] == 22 and study.categories == []
    assert study.log.read == 1930 + 22 and balanced(study)
    assert study.log.codebook == "codebook_20220303_8.csv (--codebook)"
    got = dict(zip(study.codebook["theme"], study.codebook["definition"], strict=True))
    assert set(got) == set(described)
    assert got == {t: d.strip() for t, d in described.items()}


@needs_realdata
def test_rqi_relf_workbook_and_its_statistics_sheet():
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(ISSUES))
    data = wb.get_sheet_by_name("Data").to_python()
    stats = wb.get_sheet_by_name("Statistics").to_python()
    header = data[0]
    cols = [header.index("Quality Factor 1"), header.index("Quality Factor 2")]
    codes = Counter(r[c] for r in data[1:] for c in cols if r[c] not in ("", None))
    definitions = {r[0]: r[1] for r in stats[1:] if r[0]}
    assert stats[0][:2] == ["Quality Factors", "Definition"]  # no category column
    study = read_study(ISSUES, sheet="Data", code_prefix="Quality Factor",
                       codebook="Statistics", codebook_columns={"theme": "Quality Factors"})
    assert study.log.errors == [] and balanced(study)
    assert len(study.notes) == sum(codes.values()) == 101
    assert study.notes["theme"].astype(str).value_counts().to_dict() == dict(codes)
    assert study.summary()["themes"] == 7 and study.categories == []
    assert dict(zip(study.codebook["theme"], study.codebook["definition"],
                    strict=True)) == definitions
    assert main(["check", str(ISSUES), "--sheet", "Data", "--code-prefix", "Quality Factor",
                 "--codebook", "Statistics", "--codebook-column",
                 "theme=Quality Factors"]) == 0


@needs_realdata
def test_rqi_relf_codes_with_a_typed_codebook_sheet(tmp_path):
    """The Data sheet as published, plus a codebook sheet with Type, Quality Factor, Definition."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(ISSUES))
    data = wb.get_sheet_by_name("Data").to_python()
    stats = wb.get_sheet_by_name("Statistics").to_python()
    types = [("Type", "Quality Factor", "Definition")] + [
        ("no defect" if r[0] == "(not a req problem)" else "defect", r[0], r[1])
        for r in stats[1:]]
    path = write_xlsx(tmp_path / "issues.xlsx", {"Data": data, "Quality factors": types})
    header = data[0]
    cols = [header.index("Quality Factor 1"), header.index("Quality Factor 2")]
    codes = Counter(r[c] for r in data[1:] for c in cols if r[c] not in ("", None))
    args = ["check", str(path), "--sheet", "Data", "--code-prefix", "Quality Factor",
            "--codebook", "Quality factors", "--codebook-column", "category=Type",
            "--codebook-column", "theme=Quality Factor", "--codebook-column",
            "definition=Definition", "--json"]
    assert main(args) == 0
    study = read_study(path, sheet="Data", code_prefix="Quality Factor",
                       codebook="Quality factors",
                       codebook_columns={"category": "Type", "theme": "Quality Factor",
                                         "definition": "Definition"})
    assert study.categories == ["defect", "no defect"]
    assert study.notes["category"].value_counts().to_dict() == {
        "defect": sum(codes.values()) - codes["(not a req problem)"],
        "no defect": codes["(not a req problem)"]}


def test_codebook_file_next_to_the_study(tmp_path, monkeypatch):
    folder = tmp_path / "study"
    folder.mkdir()
    study_path = write_xlsx(folder / "s.xlsx", {"notes": NOTES[:3]})
    _write_csv(folder / "codes.csv", TABLE)
    monkeypatch.chdir(tmp_path)  # codes.csv is not in the working folder
    study = read_study(study_path, codebook="codes.csv")
    assert study.log.codebook == "codes.csv (--codebook)"
    assert study.notes["category"].astype(str).tolist() == ["Personal", "Personal"]


def test_codebook_read_takes_the_same_sources(tmp_path):
    table = Codebook.read(_write_csv(tmp_path / "codes.csv", TABLE))
    assert table.themes == ["Fear", "Worry", "Lack of PPE", "Burnout"]
    assert table.categories == ["Personal", "Practical"]
    assert table.table["aliases"].tolist()[0] == "Dread"
    renamed = _write_csv(tmp_path / "renamed.csv", [("Label", "Group"), ("Fear", "P")])
    assert Codebook.read(renamed, columns={"theme": "Label", "category": "Group"}).categories == [
        "P"]
    with pytest.raises(InputError, match=r"renamed.csv: the file is not a codebook: no header "
                                         r"row names a theme column .*; its first row reads: "
                                         r"Label, Group"):
        Codebook.read(renamed)
    clash = _write_csv(tmp_path / "clash.csv", [("theme", "category"), ("Fear", "P"),
                                                ("Fear", "Q")])
    with pytest.raises(InputError, match=r"clash.csv, row 3, column A \(theme\): the codebook "
                                         r"cannot be used: theme 'Fear' is listed under 2 "
                                         r"categories"):
        Codebook.read(clash)
    blank = _write_csv(tmp_path / "blank.csv", [("theme", "category"), ("Fear", "P"),
                                                ("Worry", "")])
    with pytest.raises(InputError, match=r"blank.csv, row 3, column B \(category\): the "
                                         r"codebook cannot be used: category is blank"):
        Codebook.read(blank)


def test_grid_workbook_with_its_codebook_on_a_sheet(tmp_path):
    grid = [("Theme", 1, 2, 3), ("Fear", "x", None, 2), ("Worry", None, "x", None),
            ("Lack of PPE", "x", "x", None)]
    path = write_xlsx(tmp_path / "g.xlsx", {
        "Group 1": grid, "Group 2": grid[:2],
        "Category list": [("theme", "category"), ("Fear", "Personal"), ("Worry", "Personal"),
                   ("Lack of PPE", "Practical")]})
    plain = read_study(path)
    assert any(p.sheet == "Category list" and p.message.startswith("sheet not read")
               for p in plain.log.warnings)
    study = read_study(path, codebook="Category list")
    assert study.log.errors == [] and balanced(study)
    assert not any(p.sheet == "Category list" for p in study.log.warnings)
    # Group 1: Fear 1 + 2, Worry 1, PPE 2; Group 2: Fear 1 + 2
    assert study.notes.groupby("category", observed=True).size().to_dict() == {
        "Personal": 7, "Practical": 2}
    assert study.log.sheets["Category list"] == 3
