"""Reading the template workbook: values, provenance, accounting, codebook and sessions."""

import datetime as dt

import pandas as pd
import pytest

from analysis import read_study

NOTES_HEADER = ("group", "session", "date", "theme", "valence", "note", "speaker", "coder")


def test_values_dtypes_and_sources(xlsx):
    path = xlsx({
        "notes": [
            NOTES_HEADER,
            ("Group 1", 1, dt.date(2020, 4, 1), "Fear of contagion", "negative", "worried",
             "Alba", "R1"),
            ("Group 1", 2, dt.date(2020, 4, 8), "Remote working", "+", "works", None, "R1"),
            ("Group 2", 1, dt.date(2020, 4, 2), "Fear of contagion", None, None, "Bea", "R1"),
        ],
        "codebook": [
            ("theme", "category", "definition"),
            ("Remote working", "Practical", "Working from home"),
            ("Fear of contagion", "Personal", "Worry about infection"),
        ],
    })
    study = read_study(path)
    notes = study.notes
    assert list(notes.columns) == ["group", "session", "date", "theme", "category", "valence",
                                   "note", "speaker", "coder", "source"]
    assert notes["group"].tolist() == ["Group 1", "Group 1", "Group 2"]
    assert notes["group"].cat.ordered
    assert notes["session"].tolist() == [1, 2, 1]
    assert notes["date"].dt.date.tolist() == [dt.date(2020, 4, 1), dt.date(2020, 4, 8),
                                              dt.date(2020, 4, 2)]
    assert notes["valence"].tolist() == ["negative", "positive", "neutral"]
    assert notes["category"].tolist() == ["Personal", "Practical", "Personal"]
    # categories in codebook order (Practical first), themes in codebook order
    assert list(notes["category"].cat.categories) == ["Practical", "Personal"]
    assert list(notes["theme"].cat.categories) == ["Remote working", "Fear of contagion"]
    assert isinstance(notes["speaker"].dtype, pd.CategoricalDtype)
    assert notes["speaker"].astype(object).where(notes["speaker"].notna(), None).tolist() == [
        "Alba", None, "Bea"]
    assert notes["note"].tolist() == ["worried", "works", None]
    # the source is the theme cell (column D) of each row
    assert notes["source"].tolist() == ["notes!D2", "notes!D3", "notes!D4"]
    assert study.summary() == {"notes": 3, "groups": 2, "sessions": 3, "themes": 2,
                               "categories": 2, "rejected": 0}
    log = study.log
    assert (log.read, log.kept, log.rejected, log.errors) == (5, 5, [], [])


def test_headers_match_case_and_space_insensitively_and_in_any_order(xlsx):
    path = xlsx({"notes": [(" THEME ", "Session", "GROUP"), ("A", 1, "G1"), ("B", "S2", "G1")]})
    study = read_study(path)
    assert study.notes["theme"].tolist() == ["A", "B"]
    assert study.notes["session"].tolist() == [1, 2]
    assert study.notes["source"].tolist() == ["notes!A2", "notes!A3"]


def test_header_below_title_rows_and_blank_rows_are_skipped(xlsx):
    path = xlsx({"notes": [
        ("Session notes, spring 2020",), (), ("group", "session", "theme"),
        ("G1", 1, "A"), (None, None, None), ("G1", 2, "B"), ("", " ", ""),
    ]})
    study = read_study(path)
    assert study.notes["source"].tolist() == ["notes!C4", "notes!C6"]
    assert (study.log.read, study.log.kept) == (2, 2)


def test_every_bad_row_is_rejected_with_file_sheet_row_and_column(xlsx):
    path = xlsx({"notes": [
        ("group", "session", "theme", "valence"),
        ("G1", 1, "A", "negative"),    # row 2 kept
        ("G1", "abc", "B", None),      # row 3 bad session
        ("G1", 1, None, None),         # row 4 blank theme
        ("", 2, "C", None),            # row 5 blank group
        ("G1", 2, "D", "great"),       # row 6 bad valence
        ("G1", 0, "", "meh"),          # row 7 three problems, first column named
    ]}, name="study.xlsx")
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (6, 1, 5)
    got = {p.row: (p.file, p.sheet, p.column) for p in log.rejected}
    assert got == {
        3: ("study.xlsx", "notes", "B (session)"),
        4: ("study.xlsx", "notes", "C (theme)"),
        5: ("study.xlsx", "notes", "A (group)"),
        6: ("study.xlsx", "notes", "D (valence)"),
        7: ("study.xlsx", "notes", "B (session)"),
    }
    by_row = {p.row: p.message for p in log.rejected}
    assert "'abc' is not a whole number" in by_row[3]
    assert by_row[4] == "theme is blank"
    assert "'great' is not one of negative, neutral, positive" in by_row[6]
    assert "theme is blank" in by_row[7] and "'meh'" in by_row[7]
    assert str(log.rejected[0]).startswith("study.xlsx, sheet 'notes', row 3, column B (session)")


def test_missing_required_column_rejects_every_row(xlsx):
    path = xlsx({"notes": [("group", "session", "topicz"), ("G1", 1, "A"), ("G1", 2, "B")]})
    study = read_study(path)
    assert len(study.notes) == 0
    assert [p.row for p in study.log.rejected] == [2, 3]
    assert "'theme'" in study.log.errors[0].message
    assert study.log.errors[0].row == 1


def test_spelling_variants_merge_and_are_listed(xlsx):
    path = xlsx({
        "notes": [("group", "session", "theme"),
                  ("G1", 1, "Fear of contagion"), ("G1", 2, "fear of  contagion "),
                  ("G1", 3, "FEAR OF\u00a0CONTAGION"), ("G1", 3, "PPE"),
                  ("G1", 4, "personal protective equipment")],
        "codebook": [("theme", "category", "definition", "aliases"),
                     ("Fear of contagion", "Personal", None, None),
                     ("Protective equipment", "Practical", None,
                      "PPE; personal protective equipment")],
    })
    study = read_study(path)
    assert study.notes["theme"].tolist() == ["Fear of contagion"] * 3 + ["Protective equipment"] * 2
    merges = {(m.raw, m.theme, m.reason, m.count, m.first_source) for m in study.log.merges}
    assert merges == {
        ("fear of  contagion ", "Fear of contagion", "normalized", 1, "notes!C3"),
        ("FEAR OF\u00a0CONTAGION", "Fear of contagion", "normalized", 1, "notes!C4"),
        ("PPE", "Protective equipment", "alias", 1, "notes!C5"),
        ("personal protective equipment", "Protective equipment", "alias", 1, "notes!C6"),
    }


def test_first_spelling_wins_without_codebook(xlsx):
    path = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "grief and LOSS"),
                           ("G1", 2, "Grief and loss")]})
    assert read_study(path).notes["theme"].tolist() == ["grief and LOSS"] * 2


def test_theme_under_two_categories_is_an_error_naming_both(xlsx):
    path = xlsx({
        "notes": [("group", "session", "theme"), ("G1", 1, "Guilt")],
        "codebook": [("theme", "category"), ("Guilt", "Personal"), ("Anger", "Personal"),
                     ("guilt", "Ethical")],
    })
    errors = read_study(path).log.errors
    assert len(errors) == 1
    msg = errors[0].message
    assert "'Personal' (row 2)" in msg and "'Ethical' (row 4)" in msg
    assert errors[0].sheet == "codebook" and errors[0].row == 4


def test_theme_missing_from_codebook_is_reported_with_a_suggestion(xlsx):
    path = xlsx({
        "notes": [("group", "session", "theme"), ("G1", 1, "Fear of contagoin")],
        "codebook": [("theme", "category"), ("Fear of contagion", "Personal"),
                     ("Remote working", "Practical")],
    })
    study = read_study(path)
    errors = [e.message for e in study.log.errors]
    assert any("'Fear of contagoin'" in e and "did you mean 'Fear of contagion'" in e
               for e in errors)
    warnings = [w.message for w in study.log.warnings]
    assert any("'Remote working' is never used" in w for w in warnings)
    assert study.notes["category"].isna().all()


def test_category_column_in_notes_builds_the_codebook(xlsx):
    path = xlsx({"notes": [("group", "session", "theme", "category"),
                           ("G1", 1, "A", "Practical"), ("G1", 1, "B", "Personal"),
                           ("G1", 2, "A", None)]})
    study = read_study(path)
    assert study.notes["category"].tolist() == ["Practical", "Personal", "Practical"]
    assert study.codebook[["theme", "category"]].values.tolist() == [["A", "Practical"],
                                                                     ["B", "Personal"]]


def test_dates_come_from_sessions_sheet_and_sessions_from_dates(xlsx):
    path = xlsx({
        "notes": [("group", "session", "date", "theme"),
                  ("G1", 1, None, "A"),
                  ("G1", None, dt.date(2020, 4, 8), "B"),
                  ("G1", None, dt.date(2020, 5, 1), "C")],
        "sessions": [("group", "session", "date", "attendance", "duration_min"),
                     ("G1", 1, dt.date(2020, 4, 1), 12, 90),
                     ("G1", 2, dt.date(2020, 4, 8), 11, 90)],
    })
    study = read_study(path)
    notes = study.notes
    assert notes["theme"].tolist() == ["A", "B"]
    assert notes["session"].tolist() == [1, 2]
    assert notes["date"].dt.date.tolist() == [dt.date(2020, 4, 1), dt.date(2020, 4, 8)]
    (rej,) = study.log.rejected
    assert rej.row == 4 and "session is blank" in rej.message
    assert study.log.read == study.log.kept + 1
    assert study.sessions["attendance"].tolist() == [12, 11]


def test_group_order_follows_sessions_sheet_else_natural_sort(xlsx):
    rows = [("group", "session", "theme"), ("Group 10", 1, "A"), ("Group 2", 1, "A"),
            ("Group 1", 1, "A")]
    assert read_study(xlsx({"notes": rows})).groups == ["Group 1", "Group 2", "Group 10"]
    with_sessions = xlsx({"notes": rows, "sessions": [("group", "session"), ("Group 2", 1),
                                                      ("Group 10", 1), ("Group 1", 1)]})
    assert read_study(with_sessions).groups == ["Group 2", "Group 10", "Group 1"]


def test_participants_keep_extra_columns_and_ratings_are_checked(xlsx):
    path = xlsx({
        "notes": [("group", "session", "theme"), ("G1", 1, "A")],
        "participants": [("pseudonym", "group", "age", "Role"), ("Alba", "G1", 34, "SW")],
        "ratings": [("pseudonym", "item", "score"), ("Alba", "helpfulness", 9),
                    ("Bea", "helpfulness", 11)],
    })
    study = read_study(path)
    assert study.participants[["pseudonym", "age", "Role"]].values.tolist() == [["Alba", 34, "SW"]]
    assert study.ratings["score"].tolist() == [9]
    (rej,) = study.log.rejected
    assert rej.sheet == "ratings" and rej.row == 3 and "outside 0-10" in rej.message


def test_other_sheets_are_reported_when_notes_exist(xlsx):
    path = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "A")],
                 "Group 1": [("Theme", 1, 2), ("A", "x", "x")]})
    study = read_study(path)
    assert len(study.notes) == 1
    assert any(w.sheet == "Group 1" and "not read" in w.message for w in study.log.warnings)


def test_input_file_is_not_modified(xlsx):
    import hashlib
    import os

    path = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "A")]})
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
    read_study(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before


def test_ods_workbook(tmp_path):
    path = tmp_path / "study.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame({"group": ["G1", "G1"], "session": [1, 2], "theme": ["A", "B"]}).to_excel(
            writer, sheet_name="notes", index=False)
        pd.DataFrame({"theme": ["A", "B"], "category": ["X", "Y"]}).to_excel(
            writer, sheet_name="codebook", index=False)
    study = read_study(path)
    assert study.notes["category"].tolist() == ["X", "Y"]
    assert study.notes["source"].tolist() == ["notes!C2", "notes!C3"]


def test_xlsm_is_read_like_xlsx(xlsx, tmp_path):
    src = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "A")]})
    target = tmp_path / "macro.xlsm"
    target.write_bytes(src.read_bytes())
    assert read_study(target).notes["theme"].tolist() == ["A"]


@pytest.mark.parametrize("n_rows", [0, 1])
def test_empty_notes_sheet(xlsx, n_rows):
    rows = [("group", "session", "theme")] + [("", "", "")] * n_rows
    study = read_study(xlsx({"notes": rows}))
    assert len(study.notes) == 0 and study.log.read == 0
