"""Chi-square test of independence, Cramér's V and theme commonality across groups.

Expected values come from scipy (run on the same table), from arithmetic written out in
comments, or from a direct count, never from the functions under test.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import read_study
from analysis.stats._association import chi2_independence, commonality
from analysis.tables import category_by_group

STATS_COLUMNS = ["test", "chi2", "dof", "pval", "cramer", "n", "min_expected",
                 "share_expected_below_5", "pval_exact", "exact_method"]


def make_notes(rows, *, groups=None, categories=None):
    """Build a tidy notes table from (group, session, theme, category) rows.

    Dtypes as in ``study.notes``: group and category ordered categoricals, session Int64,
    theme categorical, valence ordered categorical.
    """
    frame = pd.DataFrame(rows, columns=["group", "session", "theme", "category"])
    groups = groups or list(dict.fromkeys(frame["group"]))
    categories = categories or list(dict.fromkeys(frame["category"]))
    return pd.DataFrame({
        "group": pd.Categorical(frame["group"], categories=groups, ordered=True),
        "session": frame["session"].astype("Int64"),
        "theme": pd.Categorical(frame["theme"],
                                categories=list(dict.fromkeys(frame["theme"]))),
        "category": pd.Categorical(frame["category"], categories=categories, ordered=True),
        "valence": pd.Categorical(["neutral"] * len(frame),
                                  categories=["negative", "neutral", "positive"],
                                  ordered=True),
    })


def notes_from_table(table, row_labels, col_labels):
    """One note per count: category ``row_labels[i]`` in group ``col_labels[j]``.

    Each note gets its own session, so counting notes and sessions differs only when asked.
    """
    rows = []
    session = 0
    for i, r in enumerate(row_labels):
        for j, c in enumerate(col_labels):
            for _ in range(int(table[i][j])):
                session += 1
                rows.append((c, session, f"theme {r}", r))
    return make_notes(rows, groups=list(col_labels), categories=list(row_labels))


def run_quietly(notes, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return chi2_independence(notes, **kwargs)


# --- chi-square against scipy --------------------------------------------------------------

TABLE_3X3 = [[10, 20, 30], [15, 25, 5], [20, 10, 25]]


def test_chi2_matches_scipy_3x3():
    notes = notes_from_table(TABLE_3X3, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    expected, observed, table = chi2_independence(notes)
    ref = stats.chi2_contingency(np.array(TABLE_3X3), correction=False)
    assert list(table.columns) == STATS_COLUMNS
    assert len(table) == 1
    row = table.iloc[0]
    assert row["test"] == "pearson"
    assert row["chi2"] == pytest.approx(ref.statistic, rel=1e-12)
    assert row["dof"] == ref.dof == 4
    assert row["pval"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert row["n"] == 160
    np.testing.assert_array_equal(observed.to_numpy(), TABLE_3X3)
    np.testing.assert_allclose(expected.to_numpy(), ref.expected_freq, rtol=1e-12)
    assert row["min_expected"] == pytest.approx(ref.expected_freq.min())
    assert row["share_expected_below_5"] == 0.0
    assert math.isnan(row["pval_exact"])
    assert row["exact_method"] == "none"


@pytest.mark.parametrize("correction", [False, True])
def test_chi2_2x2_matches_scipy_with_and_without_yates(correction):
    table2 = [[30, 10], [15, 25]]
    notes = notes_from_table(table2, ["X", "Y"], ["G1", "G2"])
    _, _, table = chi2_independence(notes, correction=correction)
    ref = stats.chi2_contingency(np.array(table2), correction=correction)
    assert table.loc[0, "chi2"] == pytest.approx(ref.statistic, rel=1e-12)
    assert table.loc[0, "dof"] == ref.dof == 1
    assert table.loc[0, "pval"] == pytest.approx(ref.pvalue, rel=1e-10)


def test_yates_correction_lowers_chi2_only_for_2x2():
    plain = stats.chi2_contingency(np.array([[30, 10], [15, 25]]), correction=False).statistic
    yates = stats.chi2_contingency(np.array([[30, 10], [15, 25]]), correction=True).statistic
    assert yates < plain
    # On a 3x3 table correction has no effect (as in scipy).
    notes = notes_from_table(TABLE_3X3, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    a = chi2_independence(notes, correction=False)[2]
    b = chi2_independence(notes, correction=True)[2]
    pd.testing.assert_frame_equal(a, b)


def test_tables_keep_categorical_order_and_labels():
    # Categories declared Z, X, Y (not alphabetical); groups G2, G1.
    rows = ([("G2", 1, "t", "Z")] * 6 + [("G1", 2, "t", "Z")] * 7 + [("G2", 3, "u", "X")] * 8
            + [("G1", 4, "u", "X")] * 5 + [("G2", 5, "v", "Y")] * 9 + [("G1", 6, "v", "Y")] * 6)
    notes = make_notes(rows, groups=["G2", "G1"], categories=["Z", "X", "Y"])
    expected, observed, _ = chi2_independence(notes)
    want = pd.DataFrame([[6, 7], [8, 5], [9, 6]],
                        index=pd.Index(["Z", "X", "Y"], name="category"),
                        columns=pd.Index(["G2", "G1"], name="group"), dtype="int64")
    pd.testing.assert_frame_equal(observed, want)
    assert list(expected.index) == ["Z", "X", "Y"]
    assert list(expected.columns) == ["G2", "G1"]
    # Row total x column total / n, e.g. Z in G2: 13 * 23 / 41.
    assert expected.loc["Z", "G2"] == pytest.approx(13 * 23 / 41)


def test_empty_categories_and_groups_are_dropped():
    rows = [("G1", 1, "a", "X")] * 10 + [("G2", 2, "a", "X")] * 20 + \
        [("G1", 3, "b", "Y")] * 20 + [("G2", 4, "b", "Y")] * 10
    notes = make_notes(rows, groups=["G1", "Empty", "G2"], categories=["X", "Unused", "Y"])
    _, observed, table = chi2_independence(notes)
    assert list(observed.index) == ["X", "Y"]
    assert list(observed.columns) == ["G1", "G2"]
    assert table.loc[0, "dof"] == 1
    ref = stats.chi2_contingency(np.array([[10, 20], [20, 10]]), correction=False)
    assert table.loc[0, "chi2"] == pytest.approx(ref.statistic)


# --- Cramér's V ---------------------------------------------------------------------------

def test_cramers_v_hand_worked():
    # Table (rows X, Y; groups G1, G2, G3):
    #     X: 10 20 30   (row total 60)
    #     Y: 20 20 20   (row total 60)
    # column totals 30, 40, 50; n = 120.
    # Expected = row total * column total / n: both rows 15, 20, 25.
    # chi2 = 2 * [(10-15)^2/15 + (20-20)^2/20 + (30-25)^2/25] = 2 * (25/15 + 0 + 1)
    #      = 2 * 8/3 = 16/3.
    # V = sqrt(chi2 / (n * (min(r, c) - 1))) = sqrt((16/3) / (120 * 1)) = sqrt(2/45).
    notes = notes_from_table([[10, 20, 30], [20, 20, 20]], ["X", "Y"], ["G1", "G2", "G3"])
    _, _, table = chi2_independence(notes)
    assert table.loc[0, "chi2"] == pytest.approx(16 / 3, rel=1e-12)
    assert table.loc[0, "cramer"] == pytest.approx(math.sqrt(2 / 45), rel=1e-12)
    assert table.loc[0, "cramer"] == pytest.approx(0.21081851067789195, rel=1e-12)


def test_cramers_v_perfect_association_is_one():
    # Diagonal 2x2, 10 and 10: expected 5 everywhere, chi2 = 4 * 25/5 = 20, n = 20,
    # V = sqrt(20 / 20) = 1.
    notes = notes_from_table([[10, 0], [0, 10]], ["X", "Y"], ["G1", "G2"])
    _, _, table = chi2_independence(notes, exact=False)
    assert table.loc[0, "chi2"] == pytest.approx(20.0)
    assert table.loc[0, "cramer"] == pytest.approx(1.0)


def test_cramers_v_uses_uncorrected_chi2_even_with_yates():
    table2 = [[30, 10], [15, 25]]
    notes = notes_from_table(table2, ["X", "Y"], ["G1", "G2"])
    _, _, plain = chi2_independence(notes)
    _, _, yates = chi2_independence(notes, correction=True)
    assert yates.loc[0, "cramer"] == plain.loc[0, "cramer"]
    chi2 = stats.chi2_contingency(np.array(table2), correction=False).statistic
    assert plain.loc[0, "cramer"] == pytest.approx(math.sqrt(chi2 / 80))


def test_bias_corrected_cramers_v_bergsma_2013():
    notes = notes_from_table(TABLE_3X3, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    _, _, table = chi2_independence(notes, bias_correct=True)
    # Bergsma (2013), eqs. for the corrected phi^2, r and k, step by step:
    chi2 = stats.chi2_contingency(np.array(TABLE_3X3), correction=False).statistic
    n, r, k = 160, 3, 3  # 60 + 45 + 55 notes
    phi2 = chi2 / n
    phi2_tilde = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    r_tilde = r - (r - 1) ** 2 / (n - 1)
    k_tilde = k - (k - 1) ** 2 / (n - 1)
    v_tilde = math.sqrt(phi2_tilde / min(k_tilde - 1, r_tilde - 1))
    assert table.loc[0, "cramer"] == pytest.approx(v_tilde, rel=1e-12)
    # The correction lowers V.
    _, _, plain = chi2_independence(notes)
    assert table.loc[0, "cramer"] < plain.loc[0, "cramer"]
    assert plain.loc[0, "cramer"] == pytest.approx(math.sqrt(phi2 / 2), rel=1e-12)


def test_bias_corrected_v_is_zero_when_chi2_below_its_expectation():
    # A table close to independence: chi2 / n below (r-1)(c-1)/(n-1) -> phi2_tilde = 0.
    notes = notes_from_table([[20, 21], [20, 19]], ["X", "Y"], ["G1", "G2"])
    _, _, table = chi2_independence(notes, bias_correct=True)
    assert table.loc[0, "cramer"] == 0.0


# --- small expected counts ---------------------------------------------------------------

def test_small_expected_warns_and_gives_fisher_on_2x2():
    small = [[3, 1], [1, 3]]
    notes = notes_from_table(small, ["X", "Y"], ["G1", "G2"])
    # Expected 2 in every cell: 4 of 4 cells (100%) below 5.
    with pytest.warns(UserWarning, match=r"Cochran's rule.*smallest expected count 2.*"
                                         r"4 of 4 cells \(100%\) below 5"):
        _, _, table = chi2_independence(notes)
    ref = stats.fisher_exact(np.array(small), alternative="two-sided")
    assert table.loc[0, "exact_method"] == "fisher"
    assert table.loc[0, "pval_exact"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert table.loc[0, "min_expected"] == pytest.approx(2.0)
    assert table.loc[0, "share_expected_below_5"] == 1.0


def test_expected_below_one_warns_even_when_few_cells_below_5():
    # 3x3 with one rare category: 9 cells, the 3 cells of row R below 1 (expected
    # 1 * 100 / 300 = 0.33), i.e. 33% > 20%, and min < 1.
    table3 = [[50, 50, 50], [49, 50, 50], [1, 0, 0]]
    notes = notes_from_table(table3, ["X", "Y", "R"], ["G1", "G2", "G3"])
    with pytest.warns(UserWarning, match="smallest expected count 0.333"):
        _, _, table = chi2_independence(notes, n_resamples=200)
    assert table.loc[0, "exact_method"] == "monte-carlo"


def test_exact_false_warns_but_computes_nothing():
    notes = notes_from_table([[3, 1], [1, 3]], ["X", "Y"], ["G1", "G2"])
    with pytest.warns(UserWarning, match="pass exact=None or True"):
        _, _, table = chi2_independence(notes, exact=False)
    assert math.isnan(table.loc[0, "pval_exact"])
    assert table.loc[0, "exact_method"] == "none"


def test_exact_true_without_small_counts_does_not_warn():
    table2 = [[30, 10], [15, 25]]
    notes = notes_from_table(table2, ["X", "Y"], ["G1", "G2"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, table = chi2_independence(notes, exact=True)
    assert table.loc[0, "exact_method"] == "fisher"
    assert table.loc[0, "pval_exact"] == pytest.approx(
        stats.fisher_exact(np.array(table2)).pvalue, rel=1e-12)


def test_no_warning_when_cochran_rule_holds():
    # Exactly 20% below 5 is allowed: in this 2x5 table column E has expected counts
    # 82 * 4 / 164 = 2 -> 2 of 10 cells (20%, not more) below 5, none below 1.
    table5 = [[20, 20, 20, 20, 2], [20, 20, 20, 20, 2]]
    notes = notes_from_table(table5, ["X", "Y"], list("ABCDE"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, table = chi2_independence(notes)
    assert table.loc[0, "share_expected_below_5"] == pytest.approx(0.2)
    assert table.loc[0, "exact_method"] == "none"


# --- Monte-Carlo permutation p-value -----------------------------------------------------

def _pearson(table):
    table = np.asarray(table, dtype=float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    return ((table - expected) ** 2 / expected).sum()


SMALL = [[3, 1, 0], [0, 2, 2]]  # rows X (4 notes), Y (4 notes); groups 3, 3, 2 notes


def _exact_permutation_p(table):
    """P(chi2 >= observed) over all n! equally likely relabellings of the groups."""
    xs = [i for i, row in enumerate(table) for j, k in enumerate(row) for _ in range(k)]
    ys = [j for row in table for j, k in enumerate(row) for _ in range(k)]
    observed = _pearson(table)
    r, c = len(table), len(table[0])
    hits = total = 0
    for perm in itertools.permutations(ys):
        t = np.zeros((r, c))
        np.add.at(t, (xs, list(perm)), 1)
        total += 1
        hits += _pearson(t) >= observed - 1e-9
    return hits / total


def test_monte_carlo_p_close_to_full_enumeration_and_deterministic():
    notes = notes_from_table(SMALL, ["X", "Y"], ["G1", "G2", "G3"])
    exact_p = _exact_permutation_p(SMALL)  # 8! = 40320 permutations
    with pytest.warns(UserWarning, match="Monte-Carlo permutation"):
        _, _, first = chi2_independence(notes, n_resamples=10_000, seed=7)
    _, _, again = run_quietly(notes, n_resamples=10_000, seed=7)
    assert first.loc[0, "exact_method"] == "monte-carlo"
    # Standard error at 10,000 resamples is at most 0.005; allow four of them.
    assert first.loc[0, "pval_exact"] == pytest.approx(exact_p, abs=0.02)
    assert first.loc[0, "pval_exact"] == again.loc[0, "pval_exact"]
    pd.testing.assert_frame_equal(first, again)
    # The asymptotic p-value is the chi-square tail of the same statistic.
    assert first.loc[0, "pval"] == pytest.approx(stats.chi2.sf(_pearson(SMALL), 2))


def test_monte_carlo_p_has_the_plus_one_form():
    notes = notes_from_table(SMALL, ["X", "Y"], ["G1", "G2", "G3"])
    _, _, table = run_quietly(notes, n_resamples=99, seed=1)
    p = table.loc[0, "pval_exact"]
    # p = (1 + hits) / (1 + 99): a multiple of 1/100, never 0.
    assert 0.01 <= p <= 1.0
    assert (p * 100) == pytest.approx(round(p * 100))


def test_monte_carlo_on_large_table_tracks_asymptotic_p():
    notes = notes_from_table(TABLE_3X3, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    _, _, table = chi2_independence(notes, exact=True, n_resamples=2000)
    # Strong association: asymptotic p is tiny (about 2.6e-5), so is the permutation p.
    assert table.loc[0, "pval"] < 1e-4
    assert table.loc[0, "pval_exact"] < 0.005
    moderate = [[20, 25, 30], [25, 22, 20], [22, 25, 21]]
    notes = notes_from_table(moderate, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    _, _, table = chi2_independence(notes, exact=True, n_resamples=5000, seed=3)
    assert table.loc[0, "pval_exact"] == pytest.approx(table.loc[0, "pval"], abs=0.04)


# --- unit="sessions" ---------------------------------------------------------------------

def test_sessions_unit_counts_each_category_once_per_session():
    rows = [
        ("G1", 1, "a", "X"), ("G1", 1, "a", "X"), ("G1", 1, "b", "X"), ("G1", 1, "c", "Y"),
        ("G1", 2, "a", "X"), ("G1", 2, "a", "X"),
        ("G1", 3, "c", "Y"),
        ("G2", 1, "c", "Y"), ("G2", 1, "d", "Y"), ("G2", 1, "d", "Y"),
        ("G2", 2, "a", "X"), ("G2", 2, "c", "Y"),
        ("G2", 3, "b", "X"), ("G2", 3, "b", "X"), ("G2", 3, "b", "X"),
    ]
    notes = make_notes(rows, groups=["G1", "G2"], categories=["X", "Y"])
    # By hand, presences (group, session, category):
    #   G1: s1 X, s1 Y, s2 X, s3 Y      -> X 2, Y 2
    #   G2: s1 Y, s2 X, s2 Y, s3 X      -> X 2, Y 2
    _, observed, table = run_quietly(notes, unit="sessions", exact=False)
    want = pd.DataFrame([[2, 2], [2, 2]], index=pd.Index(["X", "Y"], name="category"),
                        columns=pd.Index(["G1", "G2"], name="group"), dtype="int64")
    pd.testing.assert_frame_equal(observed, want)
    assert table.loc[0, "n"] == 8
    assert table.loc[0, "chi2"] == 0.0
    # By notes: G1 X 5, Y 2; G2 X 4, Y 4 (15 notes).
    _, by_notes, table = run_quietly(notes, exact=False)
    np.testing.assert_array_equal(by_notes.to_numpy(), [[5, 4], [2, 4]])
    assert table.loc[0, "n"] == 15


def test_sessions_unit_same_session_number_in_two_groups_is_two_sessions():
    rows = [("G1", 1, "a", "X")] * 3 + [("G2", 1, "a", "X")] * 2 + [("G2", 1, "b", "Y")]
    notes = make_notes(rows, groups=["G1", "G2"], categories=["X", "Y"])
    _, observed, _ = run_quietly(notes, unit="sessions", exact=False)
    np.testing.assert_array_equal(observed.to_numpy(), [[1, 1], [0, 1]])


# --- option checks -----------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"unit": "note"}, r"unit='note': choose one of 'notes', 'sessions'"),
    ({"exact": "yes"}, r"exact='yes': choose one of None, True, False"),
    ({"exact": 1}, r"exact=1: choose one of None, True, False"),
    ({"correction": "yes"}, r"correction='yes': choose one of True, False"),
    ({"bias_correct": None}, r"bias_correct=None: choose one of True, False"),
    ({"n_resamples": 0}, r"n_resamples=0: give a whole number, 1 or more"),
    ({"n_resamples": 10.5}, r"n_resamples=10.5"),
    ({"x": "group"}, r"x and y are both 'group'"),
    ({"x": "speaker"}, r"needs column\(s\) 'speaker'"),
])
def test_bad_options_fail_with_allowed_values(kwargs, message):
    notes = notes_from_table(TABLE_3X3, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    with pytest.raises(ValueError, match=message):
        chi2_independence(notes, **kwargs)


def test_sessions_unit_needs_session_column():
    notes = notes_from_table(TABLE_3X3, ["X", "Y", "Z"], ["G1", "G2", "G3"])
    with pytest.raises(ValueError, match=r"needs column\(s\) 'session'"):
        chi2_independence(notes.drop(columns="session"), unit="sessions")


def test_single_group_is_an_error():
    notes = notes_from_table([[5], [7]], ["X", "Y"], ["G1"])
    with pytest.raises(ValueError, match="at least two non-empty levels"):
        chi2_independence(notes)


def test_missing_category_notes_are_left_out():
    notes = notes_from_table([[30, 10], [15, 25]], ["X", "Y"], ["G1", "G2"])
    extra = notes.iloc[:3].copy()
    extra["category"] = pd.Categorical([None] * 3, dtype=notes["category"].dtype)
    both = pd.concat([notes, extra], ignore_index=True)
    _, observed, table = chi2_independence(both)
    assert table.loc[0, "n"] == 80
    np.testing.assert_array_equal(observed.to_numpy(), [[30, 10], [15, 25]])


# --- commonality -------------------------------------------------------------------------

@pytest.fixture
def tiny(xlsx):
    # Themes by group (category P: p1, p2; category M: m1, m2, m3):
    #   G1: p1, p2, m1, m2
    #   G2: p1, p2, m1
    #   G3: p1, p2, m3
    rows = [("G1", 1, "p1"), ("G1", 1, "p2"), ("G1", 2, "m1"), ("G1", 2, "m2"),
            ("G1", 2, "p1"),
            ("G2", 1, "p1"), ("G2", 1, "p2"), ("G2", 1, "m1"),
            ("G3", 1, "p2"), ("G3", 2, "p1"), ("G3", 2, "m3")]
    path = xlsx({"notes": [("group", "session", "theme"), *rows],
                 "codebook": [("theme", "category"), ("p1", "P"), ("p2", "P"),
                              ("m1", "M"), ("m2", "M"), ("m3", "M")]})
    return read_study(path).notes


def test_commonality_by_hand(tiny):
    got = commonality(tiny)
    # P: every group raised {p1, p2}: themes 2, shared 2, share 1, every Jaccard 1.
    # M: G1 {m1, m2}, G2 {m1}, G3 {m3}; themes 3, shared 0, share 0;
    #    J(G1,G2) = |{m1}| / |{m1, m2}| = 1/2; J(G1,G3) = 0 / 3 = 0; J(G2,G3) = 0 / 2 = 0;
    #    mean = 1/6.
    # All: G1 {p1,p2,m1,m2}, G2 {p1,p2,m1}, G3 {p1,p2,m3}; themes 5, shared {p1,p2} = 2;
    #    J(G1,G2) = 3/4; J(G1,G3) = 2/5; J(G2,G3) = 2/4; mean = (0.75 + 0.4 + 0.5) / 3.
    want = pd.DataFrame(
        {"themes": [2, 3, 5], "shared_by_all": [2, 0, 2],
         "share_shared": [1.0, 0.0, 2 / 5],
         "mean_pairwise_jaccard": [1.0, 1 / 6, (0.75 + 0.4 + 0.5) / 3],
         "jaccard G1|G2": [1.0, 0.5, 0.75],
         "jaccard G1|G3": [1.0, 0.0, 0.4],
         "jaccard G2|G3": [1.0, 0.0, 0.5]},
        index=pd.Index(["P", "M", "All"], name="category"))
    pd.testing.assert_frame_equal(got, want)


def test_commonality_category_without_themes_and_two_groups():
    rows = [("G1", 1, "a", "X"), ("G2", 1, "a", "X"), ("G2", 2, "b", "X")]
    notes = make_notes(rows, groups=["G1", "G2"], categories=["X", "Unused"])
    got = commonality(notes)
    assert list(got.index) == ["X", "Unused", "All"]
    assert list(got.columns) == ["themes", "shared_by_all", "share_shared",
                                 "mean_pairwise_jaccard", "jaccard G1|G2"]
    assert got.loc["X", "share_shared"] == 0.5
    assert got.loc["X", "jaccard G1|G2"] == 0.5
    assert got.loc["Unused", "themes"] == 0
    assert math.isnan(got.loc["Unused", "share_shared"])
    assert math.isnan(got.loc["Unused", "mean_pairwise_jaccard"])


def test_commonality_ignores_groups_without_notes():
    rows = [("G1", 1, "a", "X"), ("G2", 1, "a", "X")]
    notes = make_notes(rows, groups=["G1", "Silent", "G2"], categories=["X"])
    got = commonality(notes)
    assert got.loc["X", "shared_by_all"] == 1
    assert [c for c in got.columns if c.startswith("jaccard")] == ["jaccard G1|G2"]


def test_commonality_rejects_bad_by(tiny):
    with pytest.raises(ValueError, match="by='theme'"):
        commonality(tiny, by="theme")
    with pytest.raises(ValueError, match=r"needs column\(s\) 'nope'"):
        commonality(tiny, by="nope")


# --- the example study -------------------------------------------------------------------

def test_example_commonality_personal_shared_by_all(example_study):
    notes = example_study.notes
    got = commonality(notes)
    # Direct count: per category, the number of groups that raised each theme.
    groups_per_theme = (notes.dropna(subset=["theme"])
                        .groupby(["category", "theme"], observed=True)["group"].nunique())
    n_groups = notes["group"].nunique()
    for category in example_study.categories:
        counts = groups_per_theme.loc[category]
        assert got.loc[category, "themes"] == len(counts)
        assert got.loc[category, "shared_by_all"] == int((counts == n_groups).sum())
        assert got.loc[category, "share_shared"] == pytest.approx(
            (counts == n_groups).mean())
    personal = "Personal & emotional"
    assert got.loc[personal, "share_shared"] == 1.0
    assert got.loc[personal, "mean_pairwise_jaccard"] == 1.0
    for other in ("Practical & organizational", "Methodological & ethical"):
        assert got.loc[other, "share_shared"] < 1.0
        assert got.loc[other, "mean_pairwise_jaccard"] < 1.0
    assert got.loc["All", "themes"] == len(example_study.themes)


def test_example_chi2_matches_scipy_on_category_by_group(example_study):
    notes = example_study.notes
    _, observed, table = chi2_independence(notes)
    crosstab = category_by_group(notes)
    pd.testing.assert_frame_equal(observed, crosstab, check_names=True)
    ref = stats.chi2_contingency(crosstab.to_numpy(), correction=False)
    assert table.loc[0, "chi2"] == pytest.approx(ref.statistic, rel=1e-12)
    assert table.loc[0, "pval"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert table.loc[0, "dof"] == 4
    assert table.loc[0, "n"] == len(notes)
    assert table.loc[0, "cramer"] == pytest.approx(
        math.sqrt(ref.statistic / (len(notes) * 2)), rel=1e-12)
