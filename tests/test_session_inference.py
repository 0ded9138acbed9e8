"""Session-level inference: permutation tests, bootstrap intervals, residuals, Wilson, Holm.

Reference values come from statsmodels and scipy run on the same tables, from a published
example (Agresti), or from an exhaustive enumeration of every way to deal the sessions to
the groups, written out in the test; never from the functions under test.
"""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from scipy.stats.contingency import association
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analysis import stats
from tests.test_association import make_notes, notes_from_table


def sessions_notes(sessions):
    """Notes from ``{(group, session): {category: count}}``; theme = category + count index."""
    rows = []
    for (g, s), counts in sessions.items():
        for cat, k in counts.items():
            rows += [(g, s, f"{cat}{i % 2}", cat) for i in range(k)]
    return make_notes(rows)


SESSIONS = {
    ("G1", 1): {"A": 5, "B": 1}, ("G1", 2): {"A": 3, "B": 2}, ("G1", 3): {"A": 4, "C": 1},
    ("G2", 1): {"B": 4, "C": 2}, ("G2", 2): {"A": 1, "B": 3}, ("G2", 3): {"C": 3, "A": 2},
}


def _note_table(sessions):
    groups = sorted({g for g, _ in sessions})
    cats = sorted({c for v in sessions.values() for c in v})
    t = np.zeros((len(cats), len(groups)))
    for (g, _), counts in sessions.items():
        for c, k in counts.items():
            t[cats.index(c), groups.index(g)] += k
    return t, cats, groups


def _exact_permutation_p(sessions, row=None):
    """Share of all ways to deal the sessions to groups (same sizes) with chi2 >= observed."""
    keys = list(sessions)
    labels = [g for g, _ in keys]
    _, cats, groups = _note_table(sessions)

    def chi2(assign):
        t = np.zeros((len(cats), len(groups)))
        for key, g in zip(keys, assign, strict=True):
            for c, k in sessions[key].items():
                t[cats.index(c), groups.index(g)] += k
        if row is not None:
            i = cats.index(row)
            t = np.vstack([t[i], t.sum(axis=0) - t[i]])
        return st.chi2_contingency(t, correction=False)[0]

    observed = chi2(labels)
    assigns = set(itertools.permutations(labels))
    hits = sum(chi2(a) >= observed - 1e-9 for a in assigns)
    return hits / len(assigns)


def test_statistics_match_scipy_and_the_exact_permutation_distribution():
    notes = sessions_notes(SESSIONS)
    table = stats.group_test(notes, n_permutations=4000, n_bootstrap=10, seed=1)
    t, cats, _ = _note_table(SESSIONS)
    chi2, p, dof, _ = st.chi2_contingency(t, correction=False)
    assert table.loc["All", "chi2"] == pytest.approx(chi2, rel=1e-12)
    assert table.loc["All", "pval_notes"] == pytest.approx(p, rel=1e-10)
    assert table.loc["All", "dof"] == dof
    assert table.loc["All", "cramer"] == pytest.approx(association(t.astype(int)), rel=1e-12)
    exact = _exact_permutation_p(SESSIONS)
    row = table.loc["All"]
    assert abs(row["pval"] - exact) < 4 * row["pval_se"] + 1 / 4000
    assert row["pval_se"] == pytest.approx(np.sqrt(row["pval"] * (1 - row["pval"]) / 4000))
    for c in cats:
        i = cats.index(c)
        two = np.vstack([t[i], t.sum(axis=0) - t[i]])
        chi2_c, p_c, *_ = st.chi2_contingency(two, correction=False)
        assert table.loc[c, "chi2"] == pytest.approx(chi2_c, rel=1e-12)
        assert table.loc[c, "pval_notes"] == pytest.approx(p_c, rel=1e-10)
        assert table.loc[c, "cramer"] == pytest.approx(association(two.astype(int)))
        exact_c = _exact_permutation_p(SESSIONS, row=c)
        assert abs(table.loc[c, "pval"] - exact_c) < 4 * table.loc[c, "pval_se"] + 1 / 4000
    holm_ref = multipletests(table.loc[cats, "pval"], method="holm")[1]
    np.testing.assert_allclose(table.loc[cats, "pval_holm"], holm_ref, rtol=1e-12)
    assert (table["unit"] == "sessions").all()
    assert (table["n_sessions"] == 6).all() and (table["n_notes"] == t.sum()).all()


def test_duplicating_notes_within_sessions_leaves_the_session_p_value_unchanged():
    notes = sessions_notes(SESSIONS)
    doubled = pd.concat([notes] * 3, ignore_index=True)
    once = stats.group_test(notes, n_permutations=500, n_bootstrap=10, seed=3)
    thrice = stats.group_test(doubled, n_permutations=500, n_bootstrap=10, seed=3)
    # three copies of every note triple the chi-square and shrink the note-level p-value ...
    assert thrice.loc["All", "chi2"] == pytest.approx(3 * once.loc["All", "chi2"])
    assert thrice.loc["All", "pval_notes"] < once.loc["All", "pval_notes"] / 10
    # ... but dealing whole sessions to groups orders the permutations as before
    np.testing.assert_array_equal(once["pval"], thrice["pval"])


def test_default_permutations_seed_and_labels():
    sig = inspect.signature(stats.group_test).parameters
    assert sig["n_permutations"].default >= 10_000
    assert inspect.signature(stats.commonality_test).parameters["n_permutations"].default >= 10_000
    notes = sessions_notes(SESSIONS)
    a = stats.group_test(notes, n_permutations=300, n_bootstrap=50, seed=5)
    b = stats.group_test(notes, n_permutations=300, n_bootstrap=50, seed=5)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="n_permutations=0"):
        stats.group_test(notes, n_permutations=0)
    with pytest.raises(ValueError, match="changes within a session"):
        stats.group_test(notes, y="theme")


def test_bootstrap_interval_is_a_point_when_sessions_of_a_group_are_alike():
    same = {("G1", s): {"A": 4, "B": 1} for s in (1, 2, 3)}
    same |= {("G2", s): {"A": 1, "B": 3} for s in (1, 2)}
    table = stats.group_test(sessions_notes(same), n_permutations=50, n_bootstrap=200)
    for col in ("cramer_low", "cramer_high"):
        np.testing.assert_allclose(table[col], table["cramer"], rtol=1e-12)


def test_adjusted_residuals_reproduce_agresti_party_identification():
    # Agresti (2013), Categorical Data Analysis, 3rd ed., Table 2.5 / (2002) Table 3.2:
    # party identification by gender, adjusted residuals 4.50, 0.70, -5.32 / -4.50, -0.70, 5.32
    counts = [[762, 327, 468], [484, 239, 477]]
    notes = notes_from_table(counts, ["Female", "Male"], ["Democrat", "Independent",
                                                          "Republican"])
    got = stats.adjusted_residuals(notes)
    wide = got.pivot(index="category", columns="group", values="residual")
    np.testing.assert_allclose(wide.loc["Female"].round(2), [4.50, 0.70, -5.32])
    np.testing.assert_allclose(wide.loc["Male"].round(2), [-4.50, -0.70, 5.32])
    ref = Table(np.array(counts)).standardized_resids
    np.testing.assert_allclose(wide.to_numpy(), ref, rtol=1e-12)
    assert (got["unit"] == "notes").all()
    np.testing.assert_allclose(got["pval"], 2 * st.norm.sf(np.abs(got["residual"])))


def test_adjusted_residuals_and_wilson_against_statsmodels_on_a_3x3_table():
    counts = [[10, 20, 30], [15, 25, 5], [20, 10, 25]]
    notes = notes_from_table(counts, ["a", "b", "c"], ["g", "h", "i"])
    got = stats.adjusted_residuals(notes, confidence=0.9)
    ref = Table(np.array(counts, dtype=float))
    np.testing.assert_allclose(got["residual"], ref.standardized_resids.ravel(), rtol=1e-12)
    np.testing.assert_allclose(got["expected"], ref.fittedvalues.ravel(), rtol=1e-12)
    col = np.tile(np.array(counts).sum(axis=0), 3)
    low, high = proportion_confint(got["observed"], col, alpha=0.1, method="wilson")
    np.testing.assert_allclose(got["share_low"], low, rtol=1e-12)
    np.testing.assert_allclose(got["share_high"], high, rtol=1e-12)


def test_wilson_interval_matches_statsmodels_and_wilson_1927_by_hand():
    k, n = np.array([0, 1, 7, 20, 20]), np.array([10, 10, 23, 20, 57])
    low, high = stats.wilson_interval(k, n, 0.95)
    ref = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(high, ref[1], rtol=1e-12)
    # by hand for 7 of 23: z = 1.959964, p = 0.304348
    z, p, m = 1.959963984540054, 7 / 23, 23
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z / (1 + z * z / m) * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    assert (low[2], high[2]) == pytest.approx((centre - half, centre + half))


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5, np.nan])
    ref = multipletests(p[:-1], method="holm")[1]
    np.testing.assert_allclose(stats.holm(p)[:-1], ref, rtol=1e-12)
    assert np.isnan(stats.holm(p)[-1])


def test_shares_wilson_and_session_bootstrap():
    notes = sessions_notes(SESSIONS)
    got = stats.shares(notes, of="category", by="group")
    count = notes.groupby(["group", "category"], observed=True).size()
    total = notes.groupby("group", observed=True).size()
    for _, row in got.iterrows():
        assert row["count"] == count.get((row["group"], row["level"]), 0)
        assert row["total"] == total[row["group"]]
        low, high = proportion_confint(row["count"], row["total"], method="wilson")
        assert (row["low"], row["high"]) == pytest.approx((low, high))
    assert set(got["unit"]) == {"notes"}
    same = {("G1", s): {"A": 4, "B": 1} for s in (1, 2, 3)}
    boot = stats.shares(sessions_notes(same), of="category", method="bootstrap",
                        n_bootstrap=100)
    np.testing.assert_allclose(boot["low"], boot["share"])
    np.testing.assert_allclose(boot["high"], boot["share"])
    assert set(boot["unit"]) == {"sessions"}
    wide = stats.shares(notes, of="category", method="bootstrap", n_bootstrap=400, seed=2)
    assert ((wide["low"] <= wide["share"]) & (wide["share"] <= wide["high"])).all()


def _jaccard_by_hand(sessions_themes, assign, groups):
    sets = {g: set() for g in groups}
    for themes, g in zip(sessions_themes, assign, strict=True):
        sets[g] |= themes
    pairs = list(itertools.combinations(groups, 2))
    return np.mean([len(sets[a] & sets[b]) / len(sets[a] | sets[b]) for a, b in pairs])


def test_commonality_test_matches_commonality_and_the_exact_null():
    rows = [("G1", 1, "t1", "X"), ("G1", 1, "t2", "X"), ("G1", 2, "t1", "X"),
            ("G1", 3, "t3", "X"), ("G2", 1, "t4", "X"), ("G2", 2, "t4", "X"),
            ("G2", 2, "t1", "X"), ("G2", 3, "t5", "X")]
    notes = make_notes(rows)
    got = stats.commonality_test(notes, n_permutations=3000, seed=4)
    plain = stats.commonality(notes)
    for col in ("share_shared", "mean_pairwise_jaccard"):
        np.testing.assert_allclose(got[col], plain[col])
    keys = list(dict.fromkeys((g, s) for g, s, _, _ in rows))
    themes = [{t for g, s, t, _ in rows if (g, s) == key} for key in keys]
    labels = [g for g, _ in keys]
    observed = _jaccard_by_hand(themes, labels, ["G1", "G2"])
    null = [_jaccard_by_hand(themes, a, ["G1", "G2"])
            for a in set(itertools.permutations(labels))]
    exact_less = np.mean([v <= observed + 1e-12 for v in null])
    row = got.loc["X"]
    assert abs(row["pval_less"] - exact_less) < 4 * np.sqrt(exact_less * (1 - exact_less)
                                                            / 3000) + 1 / 3000
    assert row["null_jaccard"] == pytest.approx(np.mean(null), abs=0.02)
    assert (got["unit"] == "sessions").all()


def test_group_comparison_is_one_flat_table_of_counts_residuals_and_tests():
    notes = sessions_notes(SESSIONS)
    got = stats.group_comparison(notes, n_permutations=200, n_bootstrap=20, seed=1)
    t, cats, groups = _note_table(SESSIONS)
    assert list(got.index) == [*cats, "All"]
    assert all(isinstance(c, str) for c in got.columns)
    for j, g in enumerate(groups):
        assert got.loc[cats, f"notes {g}"].tolist() == t[:, j].astype(int).tolist()
        assert got.loc["All", f"notes {g}"] == t[:, j].sum()
    ref = Table(t).standardized_resids
    np.testing.assert_allclose(got.loc[cats, [f"residual {g}" for g in groups]], ref,
                               rtol=1e-12)
    test = stats.group_test(notes, n_permutations=200, n_bootstrap=20, seed=1)
    pd.testing.assert_frame_equal(got[test.columns], test)


def _overlap_by_hand(raised, member):
    """Share shared by all and mean pairwise Jaccard of one dealing, with Python sets."""
    g, t = raised.shape
    sets = [{j for j in range(t) if raised[i, j]} for i in range(g)]
    out_share, out_jac = [], []
    for row in member:
        mine = {j for j in range(t) if row[j]}
        got = [s & mine for s in sets]
        union_all = set().union(*got)
        out_share.append(len(set.intersection(*got)) / len(union_all) if union_all
                         else np.nan)
        jac = [len(a & b) / len(a | b) if a | b else np.nan
               for a, b in itertools.combinations(got, 2)]
        out_jac.append(np.mean(jac))
    return np.array(out_share), np.array(out_jac)


@pytest.mark.parametrize("layout", ["runs", "interleaved", "overlapping"])
def test_overlap_counts_match_python_sets(layout):
    from analysis.stats._sessions import _overlap

    rng = np.random.default_rng(7)
    raised = rng.random((25, 3, 12)) < 0.4
    member = np.zeros((4, 12), dtype=bool)
    if layout == "runs":  # each level's themes one run of columns: the running count
        member[0, :4], member[1, 4:9], member[2, 9:] = True, True, True
    elif layout == "interleaved":  # levels alternate: the product
        for j in range(12):
            member[j % 3, j] = True
    else:  # a theme under two levels
        member[0, :5], member[1, 4:9], member[2, 9:] = True, True, True
    member[3] = True
    share, jac = _overlap(raised, member)
    for b in range(len(raised)):
        want_share, want_jac = _overlap_by_hand(raised[b], member)
        np.testing.assert_allclose(share[b], want_share, rtol=0, atol=1e-15)
        np.testing.assert_allclose(jac[b], want_jac, rtol=0, atol=1e-15)


def test_commonality_test_does_not_depend_on_the_order_of_the_themes():
    # categories interleaved in the notes: the test sorts themes by category internally
    rows = [("G1", 1, "a1", "A"), ("G1", 1, "b1", "B"), ("G1", 2, "a2", "A"),
            ("G1", 3, "b2", "B"), ("G2", 1, "b1", "B"), ("G2", 2, "a1", "A"),
            ("G2", 2, "b3", "B"), ("G2", 3, "a2", "A"), ("G3", 1, "a3", "A"),
            ("G3", 2, "b1", "B")]
    got = stats.commonality_test(make_notes(rows), n_permutations=500, seed=2)
    reordered = stats.commonality_test(make_notes(sorted(rows, key=lambda r: r[2])),
                                       n_permutations=500, seed=2)
    pd.testing.assert_frame_equal(got, reordered)
    plain = stats.commonality(make_notes(rows))
    for col in ("share_shared", "mean_pairwise_jaccard"):
        np.testing.assert_allclose(got[col], plain[col])


def test_commonality_test_without_categories_has_the_all_row_only():
    # a QDA export without categories: every theme's category is missing
    rows = [("G1", 1, "t1", "X"), ("G1", 2, "t2", "X"), ("G2", 1, "t1", "X"),
            ("G2", 2, "t3", "X"), ("G3", 1, "t1", "X")]
    notes = make_notes(rows)
    notes["category"] = pd.Categorical([None] * len(notes), categories=[], ordered=True)
    got = stats.commonality_test(notes, n_permutations=200, seed=1)
    assert list(got.index) == ["All"]
    # t1 raised by all three groups, t2 and t3 by one: 1 of 3 themes shared
    assert got.loc["All", "share_shared"] == pytest.approx(1 / 3)
    plain = stats.commonality(notes)
    np.testing.assert_allclose(got["mean_pairwise_jaccard"], plain["mean_pairwise_jaccard"])
