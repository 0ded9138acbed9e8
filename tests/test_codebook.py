"""Codebook operations, replay, validation, Table 2 and homogeneity, against hand counts."""

import numpy as np
import pandas as pd
import pytest

from analysis import read_study, stats, tables
from analysis.codebook import Codebook, normalize_label


@pytest.fixture
def base():
    return Codebook.from_records([
        ("Fear", "Personal", "Worry about infection"),
        ("Worry", "Personal"),
        ("PPE", "Practical", "Protective equipment"),
        ("Odd one", "Other"),
    ])


def test_merge_rename_move_split_and_history(base):
    cb = (base.merge(["Fear", "Worry", "anxiety"], into="Fear and worry", comment="same idea")
          .rename("PPE", "Protective equipment")
          .split("Fear and worry", ("Fear of contagion", "Fear and worry"), keyword="virus|contag")
          .move("Odd one", "Practical"))
    assert cb.themes == ["Fear of contagion", "Fear and worry", "Protective equipment", "Odd one"]
    assert [cb.category_of(t) for t in cb.themes] == ["Personal", "Personal", "Practical",
                                                      "Practical"]
    table = cb.table.set_index("theme")
    assert table.loc["Fear and worry", "aliases"] == "Fear; Worry; anxiety"
    assert table.loc["Fear and worry", "definition"] == "Worry about infection"
    assert table.loc["Protective equipment", "aliases"] == "PPE"
    hist = cb.history_frame()
    assert hist["step"].tolist() == [1, 2, 3, 4]
    assert hist["operation"].tolist() == ["merge", "rename", "split", "move"]
    assert hist.loc[0, "themes"] == "Fear; Worry; anxiety" and hist.loc[0, "comment"] == "same idea"
    assert hist.loc[2, "rule"] == "keyword: virus|contag"
    # the original is untouched: operations return new codebooks
    assert base.themes == ["Fear", "Worry", "PPE", "Odd one"] and base.history == []
    # replaying the saved history on the original gives the same codebook
    assert Codebook.replay(base, hist) == cb


def test_apply_relabels_notes_by_history_and_keeps_every_note(base):
    cb = (base.merge(["Fear", "Worry"], into="Fear and worry")
          .split("Fear and worry", ("Fear of contagion", "Fear and worry"), keyword="virus")
          .split("PPE", ("Masks", "Other equipment"), sources=["notes!D9"]))
    notes = pd.DataFrame({
        "theme": ["fear", "Worry", "FEAR", "PPE", "PPE", "Unknown"],
        "note": ["the VIRUS", "sleepless", None, "masks", "gloves", "?"],
        "source": ["notes!D2", "notes!D3", "notes!D4", "notes!D9", "notes!D10", "notes!D11"],
    })
    out = cb.apply(notes)
    assert len(out) == len(notes)
    assert out["theme"].astype(object).tolist() == [
        "Fear of contagion", "Fear and worry", "Fear and worry", "Masks", "Other equipment",
        "Unknown"]
    assert out["category"].astype(object).where(out["category"].notna(), None).tolist() == [
        "Personal", "Personal", "Personal", "Practical", "Practical", None]
    assert list(out["category"].cat.categories) == ["Personal", "Practical", "Other"]


def test_validate_reports_unknown_unused_empty_and_residual(base):
    notes = pd.DataFrame({"theme": ["Fear", "Fera", "PPE"], "note": None,
                          "source": ["n!A1", "n!A2", "n!A3"]})
    problems = {(p.severity, p.message) for p in base.validate(notes)}
    assert ("error", "theme 'Fera' (1 note, first at n!A2) is not in the codebook; "
                     "did you mean 'Fear'?") in problems
    assert ("warning", "codebook theme 'Worry' is never used in the notes") in problems
    assert ("warning", "1 theme(s) still in the residual category 'Other', to relocate: "
                       "Odd one") in problems
    moved = base.move("Odd one", "Practical")
    assert ("warning", "category 'Other' has no theme") in {
        (p.severity, p.message) for p in moved.validate()}


def test_two_categories_for_one_theme_cannot_be_built():
    with pytest.raises(ValueError, match="listed under 2 categories"):
        Codebook.from_records([("Fear", "Personal"), ("fear", "Practical")])


def test_bad_operations_fail_clearly(base):
    with pytest.raises(KeyError, match="did you mean 'Fear'"):
        base.rename("Faer", "X")
    with pytest.raises(ValueError, match="already a theme"):
        base.rename("Fear", "Worry")
    with pytest.raises(ValueError, match="exactly one rule"):
        base.split("Fear", ("A", "B"))
    with pytest.raises(ValueError, match="not a valid pattern"):
        base.split("Fear", ("A", "B"), keyword="(")
    bad = pd.DataFrame([{"step": 1, "operation": "explode", "themes": "Fear", "target": None,
                         "category": None, "rule": None, "comment": None}])
    with pytest.raises(ValueError, match=r"history step 1 .*'explode' is not one of"):
        Codebook.replay(base, bad)


def test_from_study_round_trip(xlsx):
    path = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "A"), ("G1", 2, "B")],
                 "codebook": [("theme", "category"), ("B", "Y"), ("A", "X")]})
    study = read_study(path)
    cb = Codebook.from_study(study)
    assert cb.themes == ["B", "A"] and cb.categories == ["Y", "X"]
    assert cb.apply(study.notes)["category"].astype(str).tolist() == ["X", "Y"]


# --- Table 2 ---------------------------------------------------------------------------

def test_main_themes_against_a_hand_count(xlsx):
    rows = [("G1", 1, "A"), ("G1", 1, "A"), ("G2", 1, "A"),   # A: 3 notes, 2 sessions
            ("G1", 2, "B"), ("G2", 2, "B"), ("G2", 3, "B"),   # B: 3 notes, 3 sessions
            ("G1", 1, "C"),                                   # C: 1
            ("G2", 1, "D"), ("G2", 2, "D")]                   # D: 2 (other category)
    path = xlsx({"notes": [("group", "session", "theme"), *rows],
                 "codebook": [("theme", "category"), ("A", "X"), ("B", "X"), ("C", "X"),
                              ("D", "Y")]})
    got = tables.main_themes(read_study(path).notes, n=2)
    # X: B before A (same notes, more sessions); C cut by n=2. Y: D only.
    assert got[["category", "rank", "theme", "G1", "G2", "total", "sessions"]].astype(
        {"category": str}).values.tolist() == [
        ["X", 1, "B", 1, 2, 3, 3],
        ["X", 2, "A", 2, 1, 3, 2],
        ["Y", 1, "D", 0, 2, 2, 2],
    ]


def test_main_themes_of_the_example_match_an_independent_count(example_study):
    got = tables.main_themes(example_study.notes, n=9)
    notes = example_study.notes.astype({"theme": str, "category": str, "group": str})
    for category, part in got.groupby("category", observed=True):
        counts = notes[notes["category"] == category]["theme"].value_counts()
        assert part["total"].tolist() == sorted(counts.values, reverse=True)[:9]
        for _, row in part.iterrows():
            per_group = notes[notes["theme"] == row["theme"]]["group"].value_counts()
            for g in ("Group 1", "Group 2", "Group 3"):
                assert row[g] == per_group.get(g, 0)
    assert len(got) == 27 and got["rank"].max() == 9


# --- homogeneity ------------------------------------------------------------------------

@pytest.fixture
def cooccur(xlsx):
    # sessions: G1 1..4. A and B (cat X) co-occur in s1, s2; C (cat Y) in s3, s4; D (Y) in s1, s3.
    presence = {"A": [1, 2], "B": [1, 2, 3], "C": [3, 4], "D": [1, 3]}
    rows = [("G1", s, t) for t, ss in presence.items() for s in ss]
    path = xlsx({"notes": [("group", "session", "theme"), *rows],
                 "codebook": [("theme", "category"), ("A", "X"), ("B", "X"), ("C", "Y"),
                              ("D", "Y")]})
    return read_study(path).notes


def test_session_jaccard_by_hand(cooccur):
    jac = stats.session_jaccard(cooccur)
    # A={1,2} B={1,2,3} C={3,4} D={1,3}
    expected = {("A", "B"): 2 / 3, ("A", "C"): 0, ("A", "D"): 1 / 3, ("B", "C"): 1 / 4,
                ("B", "D"): 2 / 3, ("C", "D"): 1 / 3}
    for (a, b), v in expected.items():
        assert jac.loc[a, b] == pytest.approx(v) and jac.loc[b, a] == pytest.approx(v)
    assert np.diag(jac.to_numpy()).tolist() == [1.0] * 4


def test_theme_and_category_homogeneity_by_hand(cooccur):
    th = stats.theme_homogeneity(cooccur).set_index("theme")
    assert th.loc["A", "own"] == pytest.approx(2 / 3)
    assert th.loc["A", "Y"] == pytest.approx((0 + 1 / 3) / 2)
    # D: own = J(D,C) = 1/3; to X = (1/3 + 2/3)/2 = 1/2 -> closer to X
    assert th.loc["D", "own"] == pytest.approx(1 / 3)
    assert th.loc["D", "X"] == pytest.approx(0.5)
    assert th.loc["D", "nearest"] == "X" and bool(th.loc["D", "closer_elsewhere"])
    assert not th.loc["A", "closer_elsewhere"]
    ch = stats.category_homogeneity(cooccur)
    between = (0 + 1 / 3 + 1 / 4 + 2 / 3) / 4
    assert ch.loc["X", "within"] == pytest.approx(2 / 3)
    assert ch.loc["X", "between"] == pytest.approx(between)
    assert ch.loc["Y", "within"] == pytest.approx(1 / 3)
    assert ch.loc["X", "ratio"] == pytest.approx((2 / 3) / between)


def test_normalization_is_idempotent():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.text(max_size=40))
    def check(text):
        once = normalize_label(text)
        assert normalize_label(once) == once

    check()


def test_history_sheet_is_replayed_on_read_and_written_back(xlsx, tmp_path):
    from analysis import write_study

    path = xlsx({
        "notes": [("group", "session", "theme", "note"),
                  ("G1", 1, "fear", "the virus"), ("G1", 1, "worry", "sleepless"),
                  ("G1", 2, "Fear", "kids at home"), ("G1", 2, "masks", None)],
        "codebook": [("theme", "category", "definition"),
                     ("Fear of contagion", "Personal", None),
                     ("Fear and worry", "Personal", None),
                     ("Protective equipment", "Practical", None)],
        "codebook_history": [
            ("step", "operation", "themes", "target", "category", "rule", "comment"),
            (1, "merge", "fear; worry", "Fear and worry", "Personal", None, "same idea"),
            (2, "split", "Fear and worry", "Fear of contagion; Fear and worry", "Personal",
             "keyword: virus", None),
            (3, "rename", "masks", "Protective equipment", None, None, None)],
    })
    study = read_study(path)
    assert study.log.errors == [] and study.log.rejected == []
    assert study.notes["theme"].astype(str).tolist() == [
        "Fear of contagion", "Fear and worry", "Fear and worry", "Protective equipment"]
    assert study.notes["category"].astype(str).tolist() == [
        "Personal", "Personal", "Personal", "Practical"]
    merges = {(m.raw, m.theme, m.count) for m in study.log.merges if m.reason == "history"}
    assert merges == {("fear", "Fear of contagion", 1), ("worry", "Fear and worry", 1),
                      ("Fear", "Fear and worry", 1), ("masks", "Protective equipment", 1)}
    assert study.history["operation"].tolist() == ["merge", "split", "rename"]
    again = read_study(write_study(study, tmp_path / "copy.xlsx"))
    assert again.notes["theme"].astype(str).tolist() == study.notes["theme"].astype(str).tolist()
    assert again.history.drop(columns=[]).equals(study.history)


def test_bad_history_rows_are_errors_naming_the_row(xlsx):
    path = xlsx({
        "notes": [("group", "session", "theme"), ("G1", 1, "A")],
        "codebook_history": [("step", "operation", "themes", "target"),
                             (1, "explode", "A", "B"), (2, "merge", "A", None)],
    })
    errors = read_study(path).log.errors
    assert [(e.sheet, e.row, e.column) for e in errors] == [
        ("codebook_history", 2, "operation"), ("codebook_history", 3, "target")]


def test_check_reports_two_categories_and_residual_todo(xlsx, capsys):
    from analysis.cli import main

    path = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "Guilt"), ("G1", 1, "Misc")],
                 "codebook": [("theme", "category"), ("Guilt", "Personal"), ("Misc", "Other"),
                              ("Guilt", "Ethical")]}, name="cb.xlsx")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert ("cb.xlsx, sheet 'codebook', row 4, column A (theme): theme 'Guilt' is listed under "
            "2 categories: 'Personal' (row 2), 'Ethical' (row 4)") in out
    assert "1 theme(s) still in the residual category 'Other', to relocate: Misc" in out


@pytest.mark.parametrize("suffix", [".qdc", ".csv"])
def test_codebook_file_round_trip_through_qda_formats(example_study, tmp_path, suffix):
    cb = Codebook.from_study(example_study)
    path = cb.write(tmp_path / f"codebook{suffix}")
    back = Codebook.read(path)
    assert back == cb
    assert back.themes == list(example_study.codebook["theme"])
    assert back.categories == example_study.categories


def test_codebook_write_rejects_unknown_suffix(example_study, tmp_path):
    with pytest.raises(ValueError, match=r"'\.txt' is not one of '\.qdc', '\.csv'"):
        Codebook.from_study(example_study).write(tmp_path / "c.txt")
