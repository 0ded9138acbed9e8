"""Write a study as the template workbook and read it back: every row and value preserved."""

import datetime as dt
import hashlib
import unicodedata

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import read_study, write_study, write_template
from analysis.codebook import label_key, normalize_label

COMPARED = ["group", "session", "date", "theme", "category", "valence", "note", "speaker", "coder"]


def _same_notes(a: pd.DataFrame, b: pd.DataFrame) -> None:
    left = a[COMPARED].astype(object).where(a[COMPARED].notna(), None)
    right = b[COMPARED].astype(object).where(b[COMPARED].notna(), None)
    assert left.values.tolist() == right.values.tolist()


def test_study_round_trip(xlsx, tmp_path):
    src = xlsx({
        "notes": [("group", "session", "date", "theme", "valence", "note", "speaker", "coder"),
                  ("Group 2", 1, dt.date(2020, 4, 2), "Guilt", "-", "=SUM(A1:A3)", "Bea", "R1"),
                  ("Group 1", 3, dt.date(2020, 4, 15), "Remote working", "+",
                   "line one\nline two", None, "R2"),
                  ("Group 1", 1, dt.date(2020, 4, 1), "Guilt", None, "@mention +39 333", "Alba",
                   None)],
        "codebook": [("theme", "category", "definition", "aliases"),
                     ("Remote working", "Practical", "Working from home", "home working"),
                     ("Guilt", "Personal", None, None)],
        "sessions": [("group", "session", "date", "attendance", "duration_min"),
                     ("Group 1", 1, dt.date(2020, 4, 1), 12, 90),
                     ("Group 1", 3, dt.date(2020, 4, 15), 10, 95),
                     ("Group 2", 1, dt.date(2020, 4, 2), 9, 90)],
        "participants": [("pseudonym", "group", "age", "years_experience", "region"),
                         ("Alba", "Group 1", 34, 9, "Lombardy"),
                         ("Bea", "Group 2", 41, 15, "Veneto")],
        "ratings": [("pseudonym", "group", "item", "score"), ("Alba", "Group 1", "helpfulness", 9)],
    })
    first = read_study(src)
    out = write_study(first, tmp_path / "copy.xlsx")
    second = read_study(out)
    _same_notes(first.notes, second.notes)
    assert second.notes["note"].tolist() == ["=SUM(A1:A3)", "line one\nline two",
                                             "@mention +39 333"]
    pd.testing.assert_frame_equal(first.codebook, second.codebook)
    pd.testing.assert_frame_equal(first.sessions, second.sessions)
    pd.testing.assert_frame_equal(first.participants, second.participants, check_dtype=False)
    pd.testing.assert_frame_equal(first.ratings, second.ratings, check_dtype=False)
    assert second.groups == first.groups and second.categories == first.categories
    assert second.log.rejected == [] and second.log.errors == []


def test_formula_like_text_is_stored_as_text_not_formula(xlsx, tmp_path):
    from openpyxl import load_workbook

    src = xlsx({"notes": [("group", "session", "theme", "note"),
                          ("G1", 1, "A", "=HYPERLINK(\"http://x\")")]})
    out = write_study(read_study(src), tmp_path / "copy.xlsx")
    ws = load_workbook(out)["notes"]
    note_col = [c.value for c in ws[1]].index("note") + 1
    cell = ws.cell(row=2, column=note_col)
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"


def test_write_study_is_byte_identical(xlsx, tmp_path):
    src = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "A"), ("G1", 2, "B")]})
    study = read_study(src)
    a = write_study(study, tmp_path / "a.xlsx").read_bytes()
    b = write_study(study, tmp_path / "b.xlsx").read_bytes()
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()


def test_template_has_comments_and_valence_dropdown(tmp_path):
    from openpyxl import load_workbook

    from analysis.io._schema import SHEETS

    path = write_template(tmp_path / "template.xlsx")
    wb = load_workbook(path)
    for name, spec in SHEETS.items():
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        assert headers == [c.name for c in spec.columns]
        for cell, col in zip(ws[1], spec.columns, strict=True):
            assert cell.comment is not None and col.description in cell.comment.text
            assert cell.comment.text.startswith("Required." if col.required else "Optional.")
    dvs = wb["notes"].data_validations.dataValidation
    valence_col = [c.value for c in wb["notes"][1]].index("valence")
    letter = "ABCDEFGHIJ"[valence_col]
    assert len(dvs) == 1
    assert dvs[0].formula1 == '"negative,neutral,positive"'
    assert str(dvs[0].sqref).startswith(f"{letter}2:{letter}")
    # an empty template reads as an empty study whose one error says so
    study = read_study(path)
    assert len(study.notes) == 0
    assert [e.message.split(":")[0] for e in study.log.errors] == ["no notes were read"]


# --- property: any generated table survives a write-read round trip ---------------------------

label = st.text(alphabet=st.characters(categories=("L", "N", "Zs", "P"), exclude_characters="\x85"),
                min_size=1, max_size=25).map(normalize_label).filter(bool)
note = st.one_of(st.none(), st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp", "Co"),
                           include_characters="\n\t"), min_size=1, max_size=40)
    .map(str.strip).filter(bool))
row = st.tuples(
    st.sampled_from(["Group 1", "Group 2", "Group 3"]),
    st.integers(min_value=1, max_value=40),
    st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 1, 1))),
    label,
    st.sampled_from(["negative", "neutral", "positive"]),
    note,
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=30))
def test_any_table_round_trips(rows, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rt")
    from tests.conftest import write_xlsx

    src = write_xlsx(folder / "in.xlsx", {"notes": [
        ("group", "session", "date", "theme", "valence", "note"), *rows]})
    first = read_study(src)
    assert first.log.rejected == [] and len(first.notes) == len(rows)
    # theme spellings: first spelling of each case-folded key wins
    firsts: dict[str, str] = {}
    for r in rows:
        firsts.setdefault(label_key(r[3]), r[3])
    assert first.notes["theme"].astype(str).tolist() == [firsts[label_key(r[3])] for r in rows]
    # notes are kept as typed up to Unicode NFC (e.g. U+F900 reads as U+8C48)
    assert first.notes["note"].tolist() == [r[5] and unicodedata.normalize("NFC", r[5])
                                            for r in rows]
    assert first.notes["session"].tolist() == [r[1] for r in rows]
    second = read_study(write_study(first, folder / "out.xlsx"))
    _same_notes(first.notes, second.notes)
    # the copy also holds a sessions sheet (derived from the notes), so count notes, not records
    assert len(second.notes) == len(rows) and second.log.rejected == []
