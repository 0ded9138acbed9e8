"""Findings in words from the session-level statistics, and the methods appendix."""

import numpy as np
import pandas as pd
import pytest

from analysis import narrative, read_study, stats, tables


@pytest.fixture(scope="module")
def notes(example_study):
    return tables.one_coder(example_study.notes, sessions=example_study.sessions)


def _haberman(notes):
    """Adjusted standardized residuals of category x group, by hand (Agresti 2013, 2.4.5)."""
    o = pd.crosstab(notes["category"], notes["group"]).astype(float)
    n = o.to_numpy().sum()
    r, c = o.sum(axis=1).to_numpy()[:, None], o.sum(axis=0).to_numpy()[None, :]
    e = r * c / n
    return (o - e) / np.sqrt(e * (1 - r / n) * (1 - c / n)), o, pd.DataFrame(e, o.index, o.columns)


def test_findings_state_the_session_level_test_and_the_residuals(notes):
    from scipy.stats import chi2_contingency

    comparison = stats.group_test(notes, n_permutations=2_000, n_bootstrap=200, seed=0)
    residuals = stats.adjusted_residuals(notes)
    sentences = narrative.findings(overview=tables.overview(notes), comparison=comparison,
                                   residuals=residuals)
    test = next(s for s in sentences if s.startswith("By a session-level permutation test"))
    p = comparison.loc["All", "pval"]
    # the Monte-Carlo standard error of a permutation p-value, by hand
    se = np.sqrt(p * (1 - p) / 2_000)
    assert f"(p = {p:.3f}, Monte-Carlo standard error {se:.4f}; 28 sessions)" in test
    assert "2,000 permutations; unit: sessions" in test
    assert "exchangeable" in test
    # the note-level p-value is scipy's chi-square, quoted as descriptive
    p_notes = chi2_contingency(pd.crosstab(notes["category"], notes["group"]))[1]
    assert f"note-level chi-square gives p = {p_notes:.3f}, descriptive only" in test
    # the named cells are those beyond +-2 of Haberman's residuals computed by hand
    res, obs, exp = _haberman(notes)
    cells = next(s for s in sentences if s.startswith("Cells beyond ±2"))
    big = res.stack()[res.stack().abs() >= 2]
    assert len(big) == 3
    for (cat, grp), value in big.items():
        assert (f"{grp} noted {cat} {int(obs.loc[cat, grp])} times against "
                f"{exp.loc[cat, grp]:.0f} expected (adjusted residual {value:+.2f})") in cells
    # hedged to the session-level test, which finds no clear difference on the example
    assert p >= 0.05 and "which the session-level test does not confirm" in cells
    assert not any("times as often" in s for s in sentences)  # no observed/expected ratio


def test_findings_state_both_intervals_of_the_negative_share(notes):
    from scipy.stats import binomtest

    boot = stats.shares(notes, of="valence", method="bootstrap", n_bootstrap=500, seed=1)
    sentences = narrative.findings(overview=tables.overview(notes), shares=boot)
    n, k = len(notes), int((notes["valence"] == "negative").sum())
    row = boot[boot["level"] == "negative"].iloc[0]
    wilson = binomtest(k, n).proportion_ci(method="wilson")
    assert (f"{100 * k / n:.0f}% of the notes were negative ({k} of {n}; 95% interval "
            f"{100 * row['low']:.0f}% to {100 * row['high']:.0f}%, bootstrap over the 28 "
            f"sessions (unit: sessions); Wilson interval, treating notes as independent: "
            f"{100 * wilson.low:.0f}% to {100 * wilson.high:.0f}%).") in sentences


def test_findings_name_categories_shared_less_than_by_random_groups(notes):
    test = stats.commonality_test(notes, n_permutations=2_000, seed=0)
    sentences = narrative.findings(overview=tables.overview(notes), common_test=test)
    fewer = [c for c in test.index if c != "All" and test.loc[c, "pval_less"] < 0.05]
    assert fewer  # Methodological & ethical, at least, on the example
    sentence = next(s for s in sentences if s.startswith("The groups shared fewer"))
    for c in fewer:
        assert f"{c} (mean pairwise Jaccard {test.loc[c, 'mean_pairwise_jaccard']:.2f}" in sentence
    assert "unit: sessions" in sentence


def _sessions_study(tmp_path, themes_per_session):
    """One group; session i (dated in order) notes the given themes."""
    lines = ["group,session,date,theme"]
    for i, themes in enumerate(themes_per_session, start=1):
        lines += [f"G,{i},2024-01-{i:02d},{t}" for t in themes]
    path = tmp_path / "sat.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_study(path, dayfirst=False).notes


def test_findings_state_guest_saturation_worked_by_hand(tmp_path):
    # base: sessions 1-4 bring 20 themes; run (5, 6) brings 3 new (15% > 5%), run (6, 7)
    # brings none: saturation is reached after 7 sessions in date order
    base = [[f"T{i:02d}" for i in range(j * 5, j * 5 + 5)] for j in range(4)]
    notes = _sessions_study(tmp_path, [*base, ["T00", "N1", "N2", "N3"], ["T01"], ["T02"],
                                       ["T03"]])
    reached = stats.saturation_reached(stats.saturation(notes, by_group=False), base=4, run=2,
                                       threshold=0.05)
    orders = stats.saturation_orders(notes, n_orders=200, seed=0, by_group=False)
    sentence = narrative.findings(overview=tables.overview(notes), reached=reached,
                                  orders=orders)[-1]
    assert sentence.startswith("By saturation after Guest et al. (2020): a base of 4 sessions, "
                               "runs of 2, new-information threshold 5%; unit: sessions.")
    assert "All groups: reached after 7 of 8 sessions in date order" in sentence
    o = orders.iloc[0]
    assert (f"median {o['median']:.0f} over 200 random orders, range {int(o['min'])} to "
            f"{int(o['max'])}") in sentence
    # never before base + run sessions, whatever the order
    assert int(o["min"]) >= 6


def test_methods_appendix_states_options_codebook_and_conflicts(tmp_path, example_study,
                                                                notes):
    table = narrative.methods(example_study, notes=notes).set_index("item")["value"]
    assert table["codebook source"] == "sheet 'codebook'"
    assert table["category conflicts"] == "none"
    assert "primary coder" in table["double coding"]
    # a theme filed under two categories, resolved by majority: listed with the notes moved
    path = tmp_path / "conflict.csv"
    path.write_text("group,session,theme,category\n" + "G,1,A,X\nG,1,A,X\nG,2,A,Y\n"
                    "G,2,B,Y\n", encoding="utf-8")
    study = read_study(path, category_conflicts="majority")
    table = narrative.methods(study, notes=study.notes).set_index("item")["value"]
    assert "theme 'A' is filed under 2 categories" in table["category conflicts"]
    assert "filed under 'X' (majority)" in table["category conflicts"]
    assert table["notes moved to another category"] == "1"
    assert "category_conflicts = majority" in table["read options recorded by the reader"]
