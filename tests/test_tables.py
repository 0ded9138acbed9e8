"""Counting tables against counts worked out by hand."""

import pandas as pd
import pytest

from analysis import read_study, tables

ROWS = [
    # group, session, theme, valence  (codebook: A, B -> X ; C -> Y)
    ("G1", 1, "A", "negative"),
    ("G1", 1, "A", "negative"),
    ("G1", 1, "C", "positive"),
    ("G1", 2, "B", None),
    ("G2", 1, "A", "positive"),
    ("G2", 2, "C", "negative"),
    ("G2", 2, "C", "negative"),
    ("G2", 3, "B", "negative"),
]


@pytest.fixture
def notes(xlsx):
    path = xlsx({"notes": [("group", "session", "theme", "valence"), *ROWS],
                 "codebook": [("theme", "category"), ("A", "X"), ("B", "X"), ("C", "Y")]})
    return read_study(path).notes


def test_overview(notes):
    got = tables.overview(notes)
    expected = pd.DataFrame(
        {"sessions": [2, 3, 5], "notes": [4, 4, 8], "themes": [3, 3, 3],
         "negative": [2, 3, 5], "neutral": [1, 0, 1], "positive": [1, 1, 2]},
        index=pd.Index(["G1", "G2", "Total"], name="group"))
    pd.testing.assert_frame_equal(got, expected)


def test_category_by_group(notes):
    got = tables.category_by_group(notes)
    expected = pd.DataFrame({"G1": [3, 1], "G2": [2, 2]},
                            index=pd.Index(["X", "Y"], name="category"))
    expected.columns.name = "group"
    pd.testing.assert_frame_equal(got, expected)
    shares = tables.category_by_group(notes, normalize=True)
    assert shares["G1"].tolist() == [0.75, 0.25] and shares["G2"].tolist() == [0.5, 0.5]


def test_theme_frequencies_sorted_with_documented_ties(notes):
    got = tables.theme_frequencies(notes)
    # A: 3 notes in G1s1, G2s1 (2 sessions, 2 groups); C: 3 notes in G1s1, G2s2 (2, 2);
    # B: 2 notes in G1s2, G2s3 (2, 2). A and C tie on notes and sessions: codebook order wins.
    assert got["theme"].tolist() == ["A", "C", "B"]
    assert got["notes"].tolist() == [3, 3, 2]
    assert got["sessions"].tolist() == [2, 2, 2]
    assert got["groups"].tolist() == [2, 2, 2]
    assert got["category"].astype(str).tolist() == ["X", "Y", "X"]


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="lacks column"):
        tables.overview(pd.DataFrame({"group": []}))
