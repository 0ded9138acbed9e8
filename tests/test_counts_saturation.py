"""Counts, phases, saturation, co-occurrence and descriptive tables against hand counts."""

import datetime as dt
import statistics

import numpy as np
import pandas as pd
import pytest

from analysis import read_study, stats, tables

# group, session, date, theme, valence     codebook: A, B -> X ; C -> Y
ROWS = [
    ("G1", 1, dt.date(2020, 4, 1), "A", "negative"),
    ("G1", 1, dt.date(2020, 4, 1), "A", "positive"),
    ("G1", 1, dt.date(2020, 4, 1), "C", None),
    ("G1", 2, dt.date(2020, 4, 8), "B", "negative"),
    ("G1", 3, dt.date(2020, 4, 15), "A", "negative"),
    ("G1", 4, dt.date(2020, 4, 22), "A", None),
    ("G2", 1, dt.date(2020, 4, 2), "C", "negative"),
    ("G2", 2, dt.date(2020, 4, 9), "C", "positive"),
    ("G2", 2, dt.date(2020, 4, 9), "B", "negative"),
]


@pytest.fixture
def notes(xlsx):
    path = xlsx({"notes": [("group", "session", "date", "theme", "valence"), *ROWS],
                 "codebook": [("theme", "category"), ("A", "X"), ("B", "X"), ("C", "Y")]})
    return read_study(path).notes


def test_counts_notes_and_sessions_by_group(notes):
    got = tables.counts(notes, of="category", by="group")
    assert got.loc["X"].tolist() == [5, 1] and got.loc["Y"].tolist() == [1, 2]
    sess = tables.counts(notes, of="category", by="group", unit="sessions")
    # X: G1 sessions 1,2,3,4 -> 4 ; G2 session 2 -> 1.  Y: G1 s1 -> 1 ; G2 s1, s2 -> 2
    assert sess.loc["X"].tolist() == [4, 1] and sess.loc["Y"].tolist() == [1, 2]
    rate = tables.counts(notes, of="category", by="group", unit="sessions", per_session=True)
    assert rate.loc["X"].tolist() == [4 / 4, 1 / 2] and rate.loc["Y"].tolist() == [1 / 4, 2 / 2]
    assert list(got.columns) == ["G1", "G2"] and list(got.index) == ["X", "Y"]


def test_counts_by_valence_theme_total_and_session(notes):
    val = tables.counts(notes, of="theme", by="valence")
    assert val.loc["A"].tolist() == [2, 1, 1]  # negative, neutral, positive
    assert val.loc["C"].tolist() == [1, 1, 1]
    total = tables.counts(notes, of="theme", by=None)
    assert total["total"].tolist() == [4, 2, 3]
    per = tables.counts(notes, of="theme", by="session")
    assert list(per.columns) == ["G1 #1", "G1 #2", "G1 #3", "G1 #4", "G2 #1", "G2 #2"]
    assert per.loc["A"].tolist() == [2, 0, 1, 1, 0, 0]


def test_phases_split_each_group_and_user_cuts(notes):
    ph = tables.phases(notes)
    # G1 sessions 1-4 -> [1,2] [3] [4]; G2 sessions 1-2 -> [1] [2] []
    keys = zip(notes["group"].astype(str), notes["session"], strict=True)
    by_key = dict(zip(keys, ph.astype(str), strict=True))
    assert by_key[("G1", 1)] == "beginning" and by_key[("G1", 2)] == "beginning"
    assert by_key[("G1", 3)] == "middle" and by_key[("G1", 4)] == "end"
    assert by_key[("G2", 1)] == "beginning" and by_key[("G2", 2)] == "middle"
    got = tables.counts(notes, of="category", by="phase")
    assert got.loc["X"].tolist() == [3, 2, 1] and got.loc["Y"].tolist() == [2, 1, 0]
    cuts = tables.phases(notes, cuts={"early": (1, 1), "late": (2, 4)})
    assert cuts.astype(str).tolist() == ["early"] * 3 + ["late"] * 3 + ["early"] + ["late"] * 2
    with pytest.raises(ValueError, match="by='week' is not one of"):
        tables.counts(notes, by="week")


def test_saturation_by_hand(notes):
    curve = stats.saturation(notes)
    overall = curve[curve["scope"] == "all groups"]
    # date order: G1s1 {A,C} G2s1 {C} G1s2 {B} G2s2 {B,C} G1s3 {A} G1s4 {A}
    assert list(zip(overall["group"], overall["session"], strict=True)) == [
        ("G1", 1), ("G2", 1), ("G1", 2), ("G2", 2), ("G1", 3), ("G1", 4)]
    assert overall["new"].tolist() == [2, 0, 1, 0, 0, 0]
    assert overall["cumulative"].tolist() == [2, 2, 3, 3, 3, 3]
    assert overall["new_themes"].tolist() == ["A; C", "", "B", "", "", ""]
    g2 = curve[curve["scope"] == "G2"]
    assert g2["new"].tolist() == [1, 1] and g2["cumulative"].tolist() == [1, 2]
    point = stats.saturation_point(curve, k=3).set_index("scope")
    # overall: after G1s2 (order 3) no new theme for 3 sessions
    assert bool(point.loc["all groups", "reached"])
    assert (point.loc["all groups", "group"], point.loc["all groups", "session"]) == ("G1", 2)
    assert point.loc["all groups", "themes_at_saturation"] == 3
    assert not bool(point.loc["G2", "reached"])
    k2 = stats.saturation_point(curve, k=2).set_index("scope")
    assert bool(k2.loc["G1", "reached"]) and k2.loc["G1", "session"] == 2


def test_cooccurrence_counts_and_jaccard(notes):
    count = stats.cooccurrence(notes, level="theme")
    # session sets: A {G1s1,G1s3,G1s4}, B {G1s2,G2s2}, C {G1s1,G2s1,G2s2}
    assert count.loc["A", "C"] == 1 and count.loc["B", "C"] == 1 and count.loc["A", "B"] == 0
    assert np.diag(count).tolist() == [3, 2, 3]
    jac = stats.cooccurrence(notes, level="theme", measure="jaccard")
    assert jac.loc["A", "C"] == pytest.approx(1 / 5) and jac.loc["B", "C"] == pytest.approx(1 / 4)
    cat = stats.cooccurrence(notes, level="category")
    assert cat.loc["X", "Y"] == 2  # G1s1 and G2s2


def test_participants_table_and_ratings_against_statistics_module(example_study):
    p = example_study.participants
    got = stats.participants_table(p)
    ages = [int(a) for a in p["age"]]
    assert got.loc["All", "n"] == 45
    assert got.loc["All", "age_mean"] == pytest.approx(statistics.mean(ages))
    assert got.loc["All", "age_sd"] == pytest.approx(statistics.stdev(ages))
    assert (got.loc["All", "age_min"], got.loc["All", "age_max"]) == (min(ages), max(ages))
    g1 = [int(a) for a, g in zip(p["age"], p["group"], strict=True) if g == "Group 1"]
    assert got.loc["Group 1", "age_mean"] == pytest.approx(statistics.mean(g1))
    assert got.loc["All", "region: Lombardy"] == sum(r == "Lombardy" for r in p["region"])
    r = example_study.ratings
    summary = stats.ratings_summary(r).loc["helpfulness"]
    scores = [float(s) for s in r["score"]]
    assert summary["n"] == len(scores)
    assert summary["mean"] == pytest.approx(statistics.mean(scores))
    assert summary["median"] == statistics.median(scores)
    assert sum(summary[str(k)] for k in range(11)) == len(scores)
    assert summary["9"] == scores.count(9.0)


def test_applying_a_codebook_never_changes_the_number_of_notes():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from analysis.codebook import Codebook

    labels = st.sampled_from(["A", "a ", "B", "C", "Zed", "b"])

    @settings(max_examples=50, deadline=None)
    @given(st.lists(labels, max_size=30), st.booleans())
    def check(themes, split):
        cb = Codebook.from_records([("A", "X"), ("B", "X"), ("C", "Y")]).merge(["A", "C"],
                                                                               into="AC")
        if split:
            cb = cb.split("B", ("B1", "B2"), keyword="^x")
        frame = pd.DataFrame({"theme": themes, "note": ["x"] * len(themes),
                              "source": [f"n!A{i}" for i in range(len(themes))]})
        assert len(cb.apply(frame)) == len(themes)

    check()


def test_one_coder_keeps_the_main_coder_and_uncoded_notes():
    notes = pd.DataFrame({"group": ["G"] * 5, "session": [1, 1, 2, 2, 3],
                          "coder": pd.Categorical(["R1", "R2", "R1", None, "R2"]),
                          "x": [1, 2, 3, 4, 5]})
    # R1 and R2 each coded two sessions with two notes: R1 comes first; R2's session 3 stays
    assert tables.one_coder(notes)["x"].tolist() == [1, 3, 4, 5]
    assert tables.one_coder(notes, "R2")["x"].tolist() == [2, 3, 4, 5]
    with pytest.raises(ValueError, match="coder='R9' is not one of"):
        tables.one_coder(notes, "R9")
