"""Agreement intervals over double-coded sessions, and the list of disagreements.

Each bootstrap resample is recomputed here from scratch: the resampled sessions are copied
as many times as they were drawn, kappa is worked out from its 2x2 table and alpha with the
``krippendorff`` package, then the percentiles are taken. The resamples are those of
``numpy.random.Generator(PCG64(seed)).multinomial`` over the sessions in (group, session)
order, the documented scheme.
"""

from __future__ import annotations

from itertools import combinations

import krippendorff
import numpy as np
import pandas as pd
import pytest

from analysis.stats import agreement, disagreements
from tests.test_agreement import kappa_2x2, make_notes

THEMES = ["t1", "t2", "t3", "t4"]
# (group, session) -> {coder: themes noted}; C coded two sessions only
CODING = {
    ("G1", 1): {"A": {"t1", "t2"}, "B": {"t1"}, "C": {"t1", "t2"}},
    ("G1", 2): {"A": {"t3"}, "B": {"t3", "t4"}},
    ("G1", 3): {"A": {"t1", "t4"}, "B": {"t1", "t4"}, "C": {"t4"}},
    ("G2", 1): {"A": {"t2"}, "B": {"t2", "t3"}},
    ("G2", 2): {"A": {"t1", "t3"}, "B": {"t1"}},
}


def coding_notes(coding=CODING):
    marks = [(g, s, t, c) for (g, s), by in coding.items() for c, ts in by.items()
             for t in sorted(ts)]
    notes = make_notes(marks, THEMES, coders=["A", "B", "C"])
    notes["source"] = [f"notes!D{i + 2}" for i in range(len(notes))]
    return notes


def _indices(units):
    """Percent, Light's kappa and alpha of a list of {coder: 0/1} units (by hand)."""
    coders = ["A", "B", "C"]
    percents, kappas = [], []
    for a, b in combinations(coders, 2):
        both = [(u[a], u[b]) for u in units if a in u and b in u]
        if not both:
            continue
        percents.append(np.mean([x == y for x, y in both]))
        t = [sum(1 for x, y in both if (x, y) == cell) for cell in ((1, 1), (1, 0), (0, 1),
                                                                     (0, 0))]
        pe_one = ((t[0] + t[1]) * (t[0] + t[2]) + (t[2] + t[3]) * (t[1] + t[3]))
        if pe_one != len(both) ** 2:
            kappas.append(kappa_2x2(*t))
    data = np.array([[u.get(c, np.nan) for u in units] for c in coders], dtype=float)
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    values = pairable[~np.isnan(pairable)]
    alpha = (krippendorff.alpha(reliability_data=pairable, level_of_measurement="nominal",
                                value_domain=[0.0, 1.0])
             if len(np.unique(values)) > 1 else np.nan)
    return (np.mean(percents) if percents else np.nan,
            np.mean(kappas) if kappas else np.nan, alpha)


def _units(coding, keys, theme=None):
    units = []
    for key in keys:
        for t in THEMES if theme is None else [theme]:
            units.append({c: int(t in ts) for c, ts in coding[key].items()})
    return units


def test_bootstrap_intervals_match_resamples_recomputed_by_hand():
    table = agreement(coding_notes(), n_bootstrap=300, seed=11, confidence=0.9)
    keys = sorted(CODING)  # (group, session) order
    weights = np.random.Generator(np.random.PCG64(11)).multinomial(
        len(keys), np.full(len(keys), 1 / len(keys)), size=300)
    for row, theme in (("All", None), ("t1", "t1"), ("t3", "t3")):
        draws = []
        for w in weights:
            drawn = [k for k, times in zip(keys, w, strict=True) for _ in range(times)]
            draws.append(_indices(_units(CODING, drawn, theme)))
        draws = np.array(draws, dtype=float)
        with np.errstate(all="ignore"):
            low = np.nanquantile(draws, 0.05, axis=0)
            high = np.nanquantile(draws, 0.95, axis=0)
        got = table.loc[row]
        np.testing.assert_allclose(
            got[["percent_low", "kappa_low", "alpha_low"]].to_numpy(float), low, rtol=1e-9)
        np.testing.assert_allclose(
            got[["percent_high", "kappa_high", "alpha_high"]].to_numpy(float), high,
            rtol=1e-9)
    point = _indices(_units(CODING, keys))
    np.testing.assert_allclose(
        table.loc["All", ["percent_agreement", "kappa", "alpha"]].to_numpy(float), point)
    assert (table["n_sessions"] == 5).all() and (table["n_bootstrap"] == 300).all()


def test_identical_sessions_give_an_interval_of_one_point():
    same = {("G1", s): {"A": {"t1", "t2"}, "B": {"t1", "t3"}} for s in (1, 2, 3)}
    table = agreement(coding_notes(same), n_bootstrap=100)
    for index in ("percent", "kappa", "alpha"):
        column = "percent_agreement" if index == "percent" else index
        np.testing.assert_allclose(table.loc["All", f"{index}_low"], table.loc["All", column])
        np.testing.assert_allclose(table.loc["All", f"{index}_high"], table.loc["All", column])


def test_without_bootstrap_the_columns_are_unchanged():
    table = agreement(coding_notes())
    assert list(table.columns) == ["n_units", "percent_agreement", "kappa", "alpha", "coders",
                                   "unit"]
    with pytest.raises(ValueError, match="n_bootstrap=-1"):
        agreement(coding_notes(), n_bootstrap=-1)


def test_disagreements_list_every_split_unit_with_its_cells():
    notes = coding_notes()
    got = disagreements(notes)
    expected = []
    for (g, s), by in sorted(CODING.items()):
        for t in THEMES:
            noted = [c for c, ts in by.items() if t in ts]
            if noted and len(noted) < len(by):
                expected.append((g, s, t, ", ".join(noted),
                                 ", ".join(c for c in by if c not in noted)))
    assert list(zip(got["group"], got["session"], got["theme"], got["noted_by"],
                    got["not_noted_by"], strict=True)) == expected
    row = got[(got["group"] == "G1") & (got["session"] == 1) & (got["theme"] == "t2")].iloc[0]
    cells = notes.loc[(notes["group"] == "G1") & (notes["session"] == 1)
                      & (notes["theme"] == "t2"), "source"].tolist()
    assert row["sources"] == "; ".join(cells) and row["notes"] == len(cells)
    assert pd.isna(row["B"]) is False and row["B"] == 0
