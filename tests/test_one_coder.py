"""One coder per session: every session kept, double-coded sessions counted once."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from analysis import example_path, read_study, tables


def _notes(rows):
    frame = pd.DataFrame(rows, columns=["group", "session", "coder", "theme"])
    frame["group"] = pd.Categorical(frame["group"], categories=["G1", "G2", "G3"],
                                    ordered=True)
    frame["session"] = frame["session"].astype("Int64")
    frame["coder"] = pd.Categorical(frame["coder"], categories=["A", "B"])
    return frame


@pytest.fixture
def split():
    """A codes groups 1-2 (four sessions), B group 3 (three sessions); two double-coded."""
    rows = []
    for g in ("G1", "G2"):
        for s in (1, 2):
            rows += [(g, s, "A", "t1"), (g, s, "A", "t2")]
    for s in (1, 2, 3):
        rows += [("G3", s, "B", "t1"), ("G3", s, "B", "t3"), ("G3", s, "B", "t4")]
    rows += [("G1", 1, "B", "t1"), ("G3", 2, "A", "t9"), ("G3", 2, "A", "t8")]
    rows += [("G2", 2, None, "t5")]  # a note naming no coder
    return _notes(rows)


def test_split_coding_keeps_every_session(split):
    kept = tables.one_coder(split)
    pairs = lambda f: set(zip(f["group"].astype(str), f["session"], strict=True))  # noqa: E731
    assert pairs(kept) == pairs(split)  # 7 sessions, none lost
    # A coded 4 + 1 sessions, B 3 + 1: A is primary where both coded
    g1s1 = kept[(kept["group"] == "G1") & (kept["session"] == 1)]
    assert set(g1s1["coder"]) == {"A"}
    g3s2 = kept[(kept["group"] == "G3") & (kept["session"] == 2)]
    assert set(g3s2["coder"]) == {"A"}
    # B's single-coded sessions of group 3 are all kept, with all of their notes
    assert len(kept[(kept["group"] == "G3") & (kept["session"] != 2)]) == 6
    assert len(kept) == len(split) - 1 - 3  # B's note in G1 #1, B's three notes in G3 #2


def test_primary_coders_and_summary_count_every_note(split):
    table = tables.primary_coders(split)
    assert len(table) == 7
    double = table[table["n_coders"] > 1].set_index(["group", "session"])
    assert double["primary"].tolist() == ["A", "A"]
    assert set(double["rule"]) == {"coded most sessions in the study"}
    assert (table["notes_kept"] + table["notes_left_out"] == table["notes"]).all()
    summary = tables.coding_summary(split)
    assert summary.loc["left out: another coder of a double-coded session", "notes"] == 4
    assert summary.loc["kept: note names no coder", "notes"] == 1
    assert summary.loc["kept: primary coder of a double-coded session", "notes"] == 4
    # single-coded: G1 #2, G2 #1, G2 #2 (A, 2 notes each), G3 #1, G3 #3 (B, 3 notes each)
    assert summary.loc["kept: session coded by one coder", "notes"] == 3 * 2 + 2 * 3
    assert summary.loc["kept: session coded by one coder", "sessions"] == 5
    assert summary.loc["total", "notes"] == len(split)
    kept_rows = summary[summary["kept"].fillna(False).astype(bool)]["notes"].sum()
    assert kept_rows == len(tables.one_coder(split))


def test_ties_are_broken_by_notes_then_coder_order():
    # A and B each code two sessions; B has more notes, so B is primary in the shared one
    rows = [("G1", 1, "A", "t"), ("G1", 2, "A", "t"), ("G1", 1, "B", "t"), ("G1", 1, "B", "u"),
            ("G1", 3, "B", "t")]
    table = tables.primary_coders(_notes(rows)).set_index("session")
    assert table.loc[1, "primary"] == "B"
    assert table.loc[1, "rule"] == "tie on sessions coded: more notes in the study"
    rows = [("G1", 1, "A", "t"), ("G1", 2, "A", "t"), ("G1", 1, "B", "t"), ("G1", 3, "B", "t")]
    table = tables.primary_coders(_notes(rows)).set_index("session")
    assert table.loc[1, "primary"] == "A"  # first in the categorical order
    assert table.loc[1, "rule"] == "tie on sessions and notes: first in the coder order"


def test_the_sessions_table_and_coder_argument_name_the_primary(split):
    sessions = pd.DataFrame({"group": ["G1", "G3"], "session": [1, 2], "coder": ["B", None]})
    table = tables.primary_coders(split, sessions=sessions).set_index(["group", "session"])
    assert table.loc[("G1", 1), "primary"] == "B"
    assert table.loc[("G1", 1), "rule"] == "named in the sessions table"
    assert table.loc[("G3", 2), "primary"] == "A"
    kept = tables.one_coder(split, "B")
    assert set(kept.loc[kept["session"].eq(2) & kept["group"].eq("G3"), "coder"]) == {"B"}
    assert len(set(zip(kept["group"], kept["session"], strict=True))) == 7
    with pytest.raises(ValueError, match="coder='Z' is not one of"):
        tables.one_coder(split, "Z")
    with pytest.warns(UserWarning, match="made no note in them"):
        tables.one_coder(split, sessions=pd.DataFrame(
            {"group": ["G1"], "session": [1], "coder": ["Nobody"]}))


def test_notes_without_coders_are_returned_unchanged():
    notes = pd.DataFrame({"group": ["G1"], "session": [1], "theme": ["t"]})
    assert tables.one_coder(notes) is notes
    summary = tables.coding_summary(notes)
    assert summary.loc["kept: note names no coder", "notes"] == 1


def test_example_study_keeps_r1_in_the_double_coded_sessions():
    notes = read_study(example_path()).notes
    kept = tables.one_coder(notes)
    expected = notes[notes["coder"] == "R1"]  # R1 coded every session, R2 six of them
    pd.testing.assert_frame_equal(kept, expected)


def test_coder_named_in_the_sessions_sheet_of_a_workbook(tmp_path):
    # read from a template workbook: the sessions sheet's coder column reaches one_coder
    from tests.conftest import write_xlsx

    notes = [("group", "session", "theme", "coder"),
             ("G1", 1, "a", "A"), ("G1", 1, "b", "B"), ("G1", 1, "c", "B"),
             ("G1", 2, "a", "A"), ("G1", 2, "d", "B"), ("G1", 3, "a", "A"),
             ("G1", 4, "e", "A"), ("G1", 4, "a", "B")]
    sessions = [("group", "session", "coder"), ("G1", 1, "B"), ("G1", 2, None),
                ("G1", 3, None), ("G1", 4, None)]
    study = read_study(write_xlsx(tmp_path / "s.xlsx", {"notes": notes, "sessions": sessions}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a blank coder cell names nobody: nothing to warn
        kept = tables.one_coder(study.notes, sessions=study.sessions)
    got = sorted((int(s), str(t), str(c)) for s, t, c in
                 kept[["session", "theme", "coder"]].itertuples(index=False))
    # session 1: B as named; sessions 2 and 4 (blank): A, who coded 4 sessions to B's 3;
    # session 3: coded by A only
    expected = sorted([(s, t, c) for _, s, t, c in notes[1:]
                       if (s == 1 and c == "B") or (s != 1 and c == "A")])
    assert got == expected
