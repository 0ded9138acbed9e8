"""Homogeneity against random assignments of themes to categories (same sizes).

The null distributions are enumerated here: every way to deal six themes to two
categories of three, with Jaccard similarities counted from Python sets.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analysis import stats
from tests.test_association import make_notes

# theme -> sessions (group G1) in which it was noted
SESSIONS = {"a": {1, 2, 3}, "b": {1, 2}, "c": {2, 3, 4}, "d": {4, 5}, "e": {5, 6, 1},
            "f": {6, 4}}
CATEGORY = {"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "X", "f": "Y"}


def fixture_notes():
    rows = [("G1", s, t, CATEGORY[t]) for t, ss in SESSIONS.items() for s in sorted(ss)]
    return make_notes(rows, categories=["X", "Y"])


def jac(a, b):
    return len(SESSIONS[a] & SESSIONS[b]) / len(SESSIONS[a] | SESSIONS[b])


def ratio(assign, cat):
    mine = [t for t in assign if assign[t] == cat]
    rest = [t for t in assign if assign[t] != cat]
    within = np.mean([jac(a, b) for a, b in itertools.combinations(mine, 2)])
    between = np.mean([jac(a, b) for a in mine for b in rest])
    return within / between


def margin(assign, theme):
    def mean_with(cat):
        return np.mean([jac(theme, o) for o in assign if o != theme and assign[o] == cat])
    other = "Y" if assign[theme] == "X" else "X"
    return mean_with(assign[theme]) - mean_with(other)


def assignments():
    themes = list(SESSIONS)
    for mine in itertools.combinations(themes, 3):
        yield {t: ("X" if t in mine else "Y") for t in themes}


def test_category_ratio_against_every_assignment():
    got = stats.category_homogeneity(fixture_notes(), n_permutations=4000, seed=2)
    for cat in ("X", "Y"):
        observed = ratio(CATEGORY, cat)
        assert got.loc[cat, "ratio"] == np.float64(observed) or np.isclose(
            got.loc[cat, "ratio"], observed)
        null = np.array([ratio(a, cat) for a in assignments()])
        exact = np.mean(null >= observed - 1e-12)
        se = np.sqrt(exact * (1 - exact) / 4000)
        assert abs(got.loc[cat, "pval"] - exact) < 4 * se + 1 / 4000
        assert np.isclose(got.loc[cat, "null_mean"], null.mean(), atol=0.03)
    assert (got["beats_null"] == (got["pval"] < 0.05)).all()


def test_theme_margin_against_every_assignment():
    got = stats.theme_homogeneity(fixture_notes(), n_permutations=4000, seed=3)
    got = got.set_index("theme")
    pvals = {}
    for theme in SESSIONS:
        observed = margin(CATEGORY, theme)
        assert np.isclose(got.loc[theme, "margin"], observed)
        null = np.array([margin(a, theme) for a in assignments()])
        exact = np.mean(null <= observed + 1e-12)
        se = np.sqrt(exact * (1 - exact) / 4000)
        assert abs(got.loc[theme, "pval"] - exact) < 4 * se + 1 / 4000
        pvals[theme] = got.loc[theme, "pval"]
    from statsmodels.stats.multitest import multipletests

    holm = multipletests(list(pvals.values()), method="holm")[1]
    np.testing.assert_allclose(got.loc[list(pvals), "pval_holm"], holm)
    expected_flag = got["closer_elsewhere"] & (got["pval_holm"] < 0.05)
    pd.testing.assert_series_equal(got["flag"], expected_flag, check_names=False)


def test_default_keeps_the_plain_columns():
    plain = stats.theme_homogeneity(fixture_notes())
    assert list(plain.columns) == ["theme", "category", "own", "X", "Y", "nearest",
                                   "closer_elsewhere"]
    assert list(stats.category_homogeneity(fixture_notes()).columns) == [
        "themes", "within", "between", "ratio"]
