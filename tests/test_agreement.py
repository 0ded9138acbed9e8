"""Inter-coder agreement against published worked examples and counts done by hand.

Expected values are written out or computed here from the 2x2 table / coincidence matrix,
independently of ``analysis.stats._agreement``.
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.stats._agreement import agreement, presence_by_coder

NAN = np.nan


def make_notes(marks, themes, *, categories=None, groups=("G1", "G2"), coders=None):
    """Build a tidy notes table: one note per (group, session, theme, coder) in ``marks``.

    ``themes`` is the codebook (every theme is a unit, used or not); ``categories`` maps a
    theme to its category.
    """
    marks = list(marks)
    categories = categories or {}
    cat_order = list(dict.fromkeys(categories.values()))
    coder_names = coders or sorted({m[3] for m in marks})
    return pd.DataFrame({
        "group": pd.Categorical([m[0] for m in marks], categories=list(groups), ordered=True),
        "session": pd.array([m[1] for m in marks], dtype="Int64"),
        "theme": pd.Categorical([m[2] for m in marks], categories=list(themes)),
        "category": pd.Categorical([categories.get(m[2]) for m in marks],
                                   categories=cat_order, ordered=True),
        "valence": "neutral",
        "note": "a note",
        "coder": pd.Categorical([m[3] for m in marks], categories=coder_names),
    })


def kappa_2x2(a, b, c, d):
    """Cohen's kappa from a 2x2 table (a = yes/yes, b = A yes B no, c = A no B yes)."""
    n = a + b + c + d
    po = (a + d) / n
    pe = ((a + b) / n) * ((a + c) / n) + ((c + d) / n) * ((b + d) / n)
    return (po - pe) / (1 - pe)


def alpha_2x2(a, b, c, d):
    """Krippendorff's nominal alpha of two coders, no missing data, from the 2x2 table.

    Coincidence matrix: o11 = 2a, o00 = 2d, o01 = o10 = b + c; n = 2N values;
    alpha = 1 - (n - 1) * o01 / (n0 * n1)  (Krippendorff 2011, binary case).
    """
    n = 2 * (a + b + c + d)
    n1 = 2 * a + b + c
    n0 = 2 * d + b + c
    return 1 - (n - 1) * (b + c) / (n0 * n1)


# --- Cohen's kappa ---------------------------------------------------------------------

def classic_table_marks(session_of, theme_of):
    """Notes of coders A and B encoding 50 units: a=20 yes/yes, b=5, c=10, d=15."""
    marks = []
    for i in range(50):
        g, s, t = "G1", session_of(i), theme_of(i)
        if i < 25:  # a (0-19) and b (20-24): A noted it
            marks.append((g, s, t, "A"))
        if i < 20 or 25 <= i < 35:  # a and c (25-34): B noted it
            marks.append((g, s, t, "B"))
    return marks


def test_classic_2x2_kappa_over_all_units():
    # 50 themes in one double-coded session: the All row is the 2x2 table itself.
    themes = [f"T{i:02d}" for i in range(50)]
    notes = make_notes(classic_table_marks(lambda i: 1, lambda i: themes[i]), themes)
    row = agreement(notes).loc["All"]
    assert row["n_units"] == 50
    assert row["percent_agreement"] == pytest.approx(0.70)  # po = (20 + 15) / 50
    assert row["kappa"] == pytest.approx(0.40)  # pe = .5*.6 + .5*.4 = .50
    # alpha by hand: o11 = 40, o00 = 30, o01 = 15, n = 100, n1 = 55, n0 = 45
    assert row["alpha"] == pytest.approx(1 - 99 * 15 / (45 * 55))
    assert row["coders"] == "A, B"


def test_classic_2x2_kappa_for_one_theme_across_sessions():
    # One theme over 50 sessions; "Anchor" is noted by both in every session so that every
    # session is double-coded (also those where neither noted "T").
    marks = classic_table_marks(lambda i: i + 1, lambda i: "T")
    marks += [("G1", s, "Anchor", c) for s in range(1, 51) for c in "AB"]
    table = agreement(make_notes(marks, ["T", "Anchor"]))
    assert table.loc["T", "n_units"] == 50
    assert table.loc["T", "percent_agreement"] == pytest.approx(0.70)
    assert table.loc["T", "kappa"] == pytest.approx(0.40)
    # Anchor: both coders said "present" every time -> pe = 1, kappa and alpha undefined.
    assert table.loc["Anchor", "percent_agreement"] == 1.0
    assert math.isnan(table.loc["Anchor", "kappa"])
    assert math.isnan(table.loc["Anchor", "alpha"])
    assert table.loc["All", "n_units"] == 100


# Tiny study: codebook A, B (category X), C, D (category Y); two sessions of group G1.
#   session 1: R1 noted A, B (A twice); R2 noted A
#   session 2: R1 noted C;              R2 noted C, D
TINY_MARKS = [
    ("G1", 1, "A", "R1"), ("G1", 1, "A", "R1"), ("G1", 1, "B", "R1"), ("G1", 1, "A", "R2"),
    ("G1", 2, "C", "R1"), ("G1", 2, "C", "R2"), ("G1", 2, "D", "R2"),
]
TINY_CATEGORIES = {"A": "X", "B": "X", "C": "Y", "D": "Y"}


@pytest.fixture
def tiny():
    return make_notes(TINY_MARKS, "ABCD", categories=TINY_CATEGORIES)


def test_presence_table_all_units(tiny):
    got = presence_by_coder(tiny)
    index = pd.MultiIndex.from_arrays(
        [pd.Index(["G1"] * 8), pd.array([1] * 4 + [2] * 4, dtype="Int64"),
         pd.Index(list("ABCDABCD"))], names=["group", "session", "theme"])
    expected = pd.DataFrame({"R1": pd.array([1, 1, 0, 0, 0, 0, 1, 0], dtype="Int64"),
                             "R2": pd.array([1, 0, 0, 0, 0, 0, 1, 1], dtype="Int64")},
                            index=index)
    expected.columns.name = "coder"
    pd.testing.assert_frame_equal(got, expected)


def test_tiny_table_by_hand(tiny):
    # 8 units; agree on s1A (1,1), s1C, s1D, s2A, s2B (0,0), s2C (1,1); disagree s1B, s2D.
    # R1 yes 3/8, R2 yes 3/8: pe = (3*3 + 5*5)/64 = 34/64, po = 48/64
    # -> kappa = (48 - 34)/(64 - 34) = 7/15.
    # Coincidences: o11 = 4, o00 = 8, o01 = 2; n = 16, n1 = 6, n0 = 10 -> alpha = 1 - 15*2/60.
    table = agreement(tiny)
    assert list(table.index) == ["A", "B", "C", "D", "All"]
    assert table.index.name == "theme"
    assert list(table.columns) == ["n_units", "percent_agreement", "kappa", "alpha",
                                   "coders", "unit"]
    row = table.loc["All"]
    assert row["n_units"] == 8
    assert row["percent_agreement"] == pytest.approx(6 / 8)
    assert row["kappa"] == pytest.approx(7 / 15)
    assert row["alpha"] == pytest.approx(0.5)
    assert row["kappa"] == pytest.approx(kappa_2x2(2, 1, 1, 4))
    assert row["alpha"] == pytest.approx(alpha_2x2(2, 1, 1, 4))
    # Theme A: (1,1), (0,0): perfect agreement with variation -> 1.
    assert table.loc["A", ["percent_agreement", "kappa", "alpha"]].tolist() == [1.0, 1.0, 1.0]
    # Theme D: (0,0), (0,1): po = .5, pe = (0*1 + 2*1)/4 = .5 -> kappa 0;
    # o00 = 2, o01 = 1, n = 4, n0 = 3, n1 = 1 -> alpha = 1 - 3*1/3 = 0.
    assert table.loc["D", "percent_agreement"] == pytest.approx(0.5)
    assert table.loc["D", "kappa"] == pytest.approx(0.0)
    assert table.loc["D", "alpha"] == pytest.approx(0.0)
    assert "double-coded" in row["unit"] and "all codebook themes" in row["unit"]


def test_unit_neither_coder_noted_counts_as_agreement(tiny):
    # Adding a codebook theme nobody used adds 2 agreed absences (one per session).
    wider = make_notes(TINY_MARKS, "ABCDE", categories=TINY_CATEGORIES)
    table = agreement(wider)
    assert table.loc["All", "n_units"] == 10
    assert table.loc["All", "percent_agreement"] == pytest.approx(8 / 10)
    assert table.loc["E", "percent_agreement"] == 1.0
    assert math.isnan(table.loc["E", "kappa"])  # no variation: undefined
    # ... but leaves the stricter view unchanged
    assert agreement(wider, units="noted").loc["All", "n_units"] == 4


def test_units_noted_by_hand(tiny):
    # Units noted by someone: s1A (1,1), s1B (1,0), s2C (1,1), s2D (0,1).
    # po = 2/4; R1 yes 3/4, R2 yes 3/4: pe = (9 + 1)/16 -> kappa = (.5 - .625)/.375 = -1/3.
    # o11 = 4, o01 = 2, o00 = 0; n = 8, n1 = 6, n0 = 2 -> alpha = 1 - 7*2/12 = -1/6.
    presence = presence_by_coder(tiny, units="noted")
    assert presence.index.get_level_values("theme").tolist() == ["A", "B", "C", "D"]
    row = agreement(tiny, units="noted").loc["All"]
    assert row["n_units"] == 4
    assert row["percent_agreement"] == pytest.approx(0.5)
    assert row["kappa"] == pytest.approx(-1 / 3)
    assert row["alpha"] == pytest.approx(-1 / 6)
    assert "noted by at least one coder" in row["unit"]


def test_category_level(tiny):
    # X: s1 (1,1), s2 (0,0); Y: s1 (0,0), s2 (1,1)  -> perfect agreement with variation.
    table = agreement(tiny, level="category")
    assert table.index.name == "category"
    assert list(table.index) == ["X", "Y", "All"]
    assert table.loc["All", "n_units"] == 4
    assert table.loc["All", ["percent_agreement", "kappa", "alpha"]].tolist() == [1.0] * 3
    presence = presence_by_coder(tiny, level="category")
    assert presence.index.names == ["group", "session", "category"]
    assert presence["R1"].tolist() == [1, 0, 0, 1]


def test_single_coded_sessions_are_left_out(tiny):
    extra = [*TINY_MARKS, ("G2", 1, "A", "R1"), ("G2", 1, "B", "R1")]
    notes = make_notes(extra, "ABCD", categories=TINY_CATEGORIES)
    presence = presence_by_coder(notes)
    assert set(presence.index.droplevel("theme")) == {("G1", 1), ("G1", 2)}
    pd.testing.assert_frame_equal(agreement(notes), agreement(tiny))


# --- Krippendorff's alpha ----------------------------------------------------------------

def test_krippendorff_2011_nominal_example_through_package():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
    # 4 observers x 12 units, values 1-5, missing data; nominal alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
    got = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert round(got, 3) == 0.743
    # These are five-valued nominal codes per unit, not presence/absence of a theme, so they
    # cannot be written as notes; the binary examples below go through our functions.


# Krippendorff (2011), section A: binary data, two observers, no missing data, 10 units.
KRIPP_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
KRIPP_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_krippendorff_2011_binary_example():
    # Coincidences: o00 = 10, o01 = o10 = 4, o11 = 2; n0 = 14, n1 = 6, n = 20
    # alpha = 1 - 19 * 4 / (14 * 6) = 0.095 (the published value).
    by_hand = 1 - 19 * 4 / (14 * 6)
    assert round(by_hand, 3) == 0.095
    package = krippendorff.alpha(reliability_data=[KRIPP_A, KRIPP_B],
                                 level_of_measurement="nominal")
    assert package == pytest.approx(by_hand)
    # The same data as notes: unit u = theme u in one session coded by A and B.
    themes = [f"U{u:02d}" for u in range(1, 11)]
    marks = [("G1", 1, t, c) for t, a, b in zip(themes, KRIPP_A, KRIPP_B, strict=True)
             for c, v in (("A", a), ("B", b)) if v]
    row = agreement(make_notes(marks, themes)).loc["All"]
    assert row["n_units"] == 10
    assert row["alpha"] == pytest.approx(by_hand)
    assert row["percent_agreement"] == pytest.approx(0.6)
    # kappa: po = .6, pe = .2*.4 + .8*.6 = .56 -> (.6 - .56)/.44
    assert row["kappa"] == pytest.approx(0.04 / 0.44)


# Three coders, R3 coded session 2 only (codebook A, B):
#   s1: R1 A; R2 A, B          s2: R1 B; R2 B; R3 A, B
THREE_MARKS = [
    ("G1", 1, "A", "R1"), ("G1", 1, "A", "R2"), ("G1", 1, "B", "R2"),
    ("G1", 2, "B", "R1"), ("G1", 2, "B", "R2"), ("G1", 2, "A", "R3"), ("G1", 2, "B", "R3"),
]


def test_three_coders_with_a_missing_session_by_hand():
    notes = make_notes(THREE_MARKS, "AB")
    presence = presence_by_coder(notes)
    assert presence["R3"].isna().tolist() == [True, True, False, False]
    row = agreement(notes).loc["All"]
    # Units: s1A (1,1,.), s1B (0,1,.), s2A (0,0,1), s2B (1,1,1).
    # Pairs: R1-R2 4 units, 3 agree, kappa .5; R1-R3 and R2-R3 2 units, 1 agrees, kappa 0.
    assert row["n_units"] == 4
    assert row["percent_agreement"] == pytest.approx((3 / 4 + 1 / 2 + 1 / 2) / 3)
    assert row["kappa"] == pytest.approx((0.5 + 0 + 0) / 3)
    # Coincidences (pairs within a unit weighted 1/(m_u - 1)):
    #   s1A: o11 += 2; s1B: o01 += 1, o10 += 1; s2A {0,0,1}: o00 += 1, o01 += 1, o10 += 1;
    #   s2B {1,1,1}: o11 += 3.  o00 = 1, o01 = 2, o11 = 5; n0 = 3, n1 = 7, n = 10.
    assert row["alpha"] == pytest.approx(1 - 9 * 2 / (3 * 7))
    assert row["coders"] == "R1, R2, R3"


def test_three_coders_restricted_to_a_pair():
    notes = make_notes(THREE_MARKS, "AB")
    row = agreement(notes, coders=("R1", "R2")).loc["All"]
    # 2x2 of R1 vs R2: a = 2 (s1A, s2B), b = 0, c = 1 (s1B), d = 1 (s2A)
    assert row["coders"] == "R1, R2"
    assert row["n_units"] == 4
    assert row["percent_agreement"] == pytest.approx(0.75)
    assert row["kappa"] == pytest.approx(kappa_2x2(2, 0, 1, 1))
    assert row["alpha"] == pytest.approx(alpha_2x2(2, 0, 1, 1))
    assert list(presence_by_coder(notes, coders=["R1", "R2"]).columns) == ["R1", "R2"]


# --- errors ------------------------------------------------------------------------------

def test_no_coder_column(tiny):
    with pytest.raises(ValueError, match="no 'coder' column"):
        agreement(tiny.drop(columns="coder"))


def test_single_coder(tiny):
    only_r1 = tiny[tiny["coder"] == "R1"]
    with pytest.raises(ValueError, match=r"fewer than two coders \(R1\)"):
        agreement(only_r1)
    with pytest.raises(ValueError, match="coder column is empty"):
        presence_by_coder(tiny.assign(coder=pd.Categorical([None] * len(tiny))))


def test_no_double_coded_session():
    notes = make_notes([("G1", 1, "A", "R1"), ("G1", 2, "A", "R2")], "AB")
    with pytest.raises(ValueError, match=r"no double-coded session.*R1: 1, R2: 1"):
        agreement(notes)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"level": "themes"}, r"level='themes': use one of 'theme', 'category'"),
    ({"units": "some"}, r"units='some': use one of 'all', 'noted'"),
    ({"coders": ("R1", "R9")}, r"no notes by R9; coders in the notes: R1, R2"),
    ({"coders": ("R1",)}, r"two or more different coders"),
    ({"coders": ("R1", "R1")}, r"two or more different coders"),
])
def test_bad_arguments(tiny, kwargs, match):
    with pytest.raises(ValueError, match=match):
        agreement(tiny, **kwargs)


def test_coders_as_a_string_is_refused(tiny):
    with pytest.raises(TypeError, match="sequence of coder names"):
        agreement(tiny, coders="R1")


def test_missing_level_column(tiny):
    with pytest.raises(ValueError, match="lacks column"):
        agreement(tiny.drop(columns="category"), level="category")


# --- properties --------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=4, max_size=4),
                min_size=1, max_size=6))
def test_two_coders_match_the_2x2_formulas(sessions):
    # sessions[s][t] = (R1 noted theme t, R2 noted theme t); "Z" is noted by both every
    # time so that each session is double-coded.
    themes = ["P", "Q", "R", "S", "Z"]
    marks = []
    for s, row in enumerate(sessions, start=1):
        for t, (x, y) in zip(themes, [*row, (True, True)], strict=True):
            marks += [("G1", s, t, "R1")] * x + [("G1", s, t, "R2")] * y
    table = agreement(make_notes(marks, themes))
    cells = [pair for row in sessions for pair in [*row, (True, True)]]
    a = sum(x and y for x, y in cells)
    b = sum(x and not y for x, y in cells)
    c = sum(y and not x for x, y in cells)
    d = sum(not x and not y for x, y in cells)
    row = table.loc["All"]
    assert row["n_units"] == len(cells)
    assert row["percent_agreement"] == pytest.approx((a + d) / len(cells))
    if b + c == 0 and d == 0:
        assert math.isnan(row["kappa"]) and math.isnan(row["alpha"])
    else:
        assert row["kappa"] == pytest.approx(kappa_2x2(a, b, c, d))
        assert row["alpha"] == pytest.approx(alpha_2x2(a, b, c, d))
    swapped = agreement(make_notes(marks, themes), coders=("R2", "R1"))
    pd.testing.assert_series_equal(swapped["kappa"], table["kappa"])
    pd.testing.assert_series_equal(swapped["alpha"], table["alpha"])


# --- the example study -------------------------------------------------------------------

def test_example_study_against_a_direct_count(example_study):
    notes = example_study.notes
    seen = {c: set() for c in ("R1", "R2")}
    sessions = {c: set() for c in ("R1", "R2")}
    for g, s, t, c in zip(notes["group"].astype(str), notes["session"],
                          notes["theme"].astype(str), notes["coder"].astype(str), strict=True):
        seen[c].add((g, int(s), t))
        sessions[c].add((g, int(s)))
    double = sessions["R1"] & sessions["R2"]
    assert len(double) == 6  # 2 sessions per group
    themes = [str(t) for t in notes["theme"].cat.categories]
    units = [(g, s, t) for g, s in double for t in themes]
    r1 = [u in seen["R1"] for u in units]
    r2 = [u in seen["R2"] for u in units]
    a = sum(x and y for x, y in zip(r1, r2, strict=True))
    b = sum(x and not y for x, y in zip(r1, r2, strict=True))
    c = sum(y and not x for x, y in zip(r1, r2, strict=True))
    d = len(units) - a - b - c

    table = agreement(notes)
    row = table.loc["All"]
    assert row["n_units"] == len(units) == 6 * len(themes)
    assert row["percent_agreement"] == pytest.approx((a + d) / len(units))
    assert row["kappa"] == pytest.approx(kappa_2x2(a, b, c, d))
    assert row["alpha"] == pytest.approx(alpha_2x2(a, b, c, d))
    assert row["coders"] == "R1, R2"
    assert (table.drop(index="All")["n_units"] == 6).all()
    # the stricter view keeps only units someone noted
    noted = agreement(notes, units="noted").loc["All"]
    assert noted["n_units"] == a + b + c
    assert noted["percent_agreement"] == pytest.approx(a / (a + b + c))
