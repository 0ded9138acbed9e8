"""Saturation after Guest, Namey and Chen (2020): base, run, threshold, random orders.

Expected values are worked out by hand from theme sets written in the tests, or by going
through every order of a few sessions with Python sets.
"""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import charts, example_path, read_study, stats, tables
from tests.test_association import make_notes


def notes_of(sessions, group="G1"):
    """Notes of one group, one session per theme set, one week apart."""
    rows = [(group, i + 1, t, "X") for i, themes in enumerate(sessions) for t in themes]
    notes = make_notes(rows)
    notes["date"] = pd.Timestamp("2020-04-01") + pd.to_timedelta(
        (notes["session"].astype(int) - 1) * 7, unit="D")
    return notes


# session themes: base of 2 sessions = {a, b, c, d} (4 themes)
SESSIONS = [{"a", "b"}, {"c", "d"}, {"a", "e"}, {"b"}, {"c"}, {"f"}, {"a"}, {"b"}]


def test_new_information_ratios_by_hand():
    curve = stats.saturation(notes_of(SESSIONS), by_group=False)
    got = stats.new_information(curve, base=2, run=2)
    # runs 3-4: e new -> 1/4; 4-5: none -> 0; 5-6: f -> 1/4; 6-7: f -> 1/4; 7-8: 0
    assert got["run_start"].tolist() == [3, 4, 5, 6, 7]
    assert got["new_in_run"].tolist() == [1, 0, 1, 1, 0]
    np.testing.assert_allclose(got["ratio"], [0.25, 0, 0.25, 0.25, 0])
    assert (got["base_themes"] == 4).all()
    reached = stats.saturation_reached(curve, base=2, run=2, threshold=0.1).iloc[0]
    assert reached["reached"] and reached["sessions_needed"] == 5
    assert reached["before_run"] == 3
    reached = stats.saturation_reached(curve, base=2, run=2, threshold=0.25).iloc[0]
    assert reached["sessions_needed"] == 4  # the first run already meets 25%
    late = stats.saturation_reached(curve, base=4, run=3, threshold=0).iloc[0]
    # base 1-4 = {a..e}: runs 5-7 and 6-8 hold f; no run without a new theme fits
    assert not late["reached"] and pd.isna(late["sessions_needed"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=25), st.integers(1, 5),
       st.integers(1, 4), st.sampled_from([0.0, 0.05, 0.2]))
def test_never_reached_before_base_plus_run(new, base, run, threshold):
    new[0] = max(new[0], 1)
    curve = pd.DataFrame({"scope": "s", "new": new, "cumulative": np.cumsum(new)})
    row = stats.saturation_reached(curve, base=base, run=run, threshold=threshold).iloc[0]
    if row["reached"]:
        assert row["sessions_needed"] >= base + run
        start = int(row["before_run"])
        assert sum(new[start:start + run]) <= threshold * sum(new[:base]) + 1e-9
        for s in range(base, start):  # no earlier run met the threshold
            assert sum(new[s:s + run]) > threshold * sum(new[:base])


def test_threshold_zero_with_a_base_of_one_is_the_run_of_k_rule():
    notes = tables.one_coder(read_study(example_path()).notes)
    curve = stats.saturation(notes)
    for k in (1, 2, 3):
        old = stats.saturation_point(curve, k=k).set_index("scope")
        new = stats.saturation_reached(curve, base=1, run=k, threshold=0).set_index("scope")
        assert (old["reached"] == new["reached"]).all()
        reached = old["reached"]
        assert (old.loc[reached, "order"] == new.loc[reached, "before_run"]).all()


def _by_hand(sessions, base, run, threshold):
    """Sessions needed in this order (None when not reached), with Python sets."""
    seen, news = set(), []
    for themes in sessions:
        news.append(len(themes - seen))
        seen |= themes
    base_n = sum(news[:base])
    for s in range(base, len(sessions) - run + 1):
        if sum(news[s:s + run]) <= threshold * base_n:
            return s + run
    return None


def test_random_orders_cover_every_order_of_six_sessions():
    sessions = [{"a", "b"}, {"c"}, {"a", "d"}, {"b"}, {"a"}, {"c", "b"}]
    notes = notes_of(sessions)
    got = stats.saturation_orders(notes, base=2, run=2, threshold=0.0, n_orders=3000,
                                  by_group=False).iloc[0]
    results = [_by_hand([sessions[i] for i in order], 2, 2, 0.0)
               for order in itertools.permutations(range(6))]
    reached = [r for r in results if r is not None]
    share = len(reached) / len(results)
    assert abs(got["share_reached"] - share) < 4 * np.sqrt(share * (1 - share) / 3000) + 1e-12
    assert (got["min"], got["max"]) == (min(reached), max(reached))
    assert got["date_order"] == _by_hand(sessions, 2, 2, 0.0) or (
        pd.isna(got["date_order"]) and _by_hand(sessions, 2, 2, 0.0) is None)
    band = stats.saturation_band(notes, n_orders=3000, by_group=False)
    curves = []
    for order in itertools.permutations(range(6)):
        seen, cum = set(), []
        for i in order:
            seen |= sessions[i]
            cum.append(len(seen))
        curves.append(cum)
    curves = np.array(curves)
    np.testing.assert_array_equal(band["min"], curves.min(axis=0))
    np.testing.assert_array_equal(band["max"], curves.max(axis=0))
    assert band["cumulative"].tolist() == [2, 3, 4, 4, 4, 4]
    assert statistics.median(curves[:, 1]) == pytest.approx(band["median"][1], abs=0.5)
    assert 0.4 < share < 0.9  # the fixture reaches saturation in some orders only


def test_orders_are_seeded_and_checked():
    notes = notes_of(SESSIONS)
    a = stats.saturation_orders(notes, n_orders=50, seed=1)
    pd.testing.assert_frame_equal(a, stats.saturation_orders(notes, n_orders=50, seed=1))
    with pytest.raises(ValueError, match="base=0"):
        stats.saturation_reached(stats.saturation(notes), base=0)
    with pytest.raises(ValueError, match=r"threshold=1\.5"):
        stats.saturation_reached(stats.saturation(notes), threshold=1.5)


def test_band_chart_draws_the_table():
    notes = notes_of(SESSIONS)
    band = stats.saturation_band(notes, n_orders=40)
    ax = charts.saturation_band(band, scope="G1")
    part = band[band["scope"] == "G1"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), part["cumulative"])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), part["median"])
    with pytest.raises(ValueError, match="scope 'nope'"):
        charts.saturation_band(band, scope="nope")


def test_random_new_counts_first_appearances_as_python_sets_do():
    from analysis.stats._saturation import _random_new

    rng = np.random.default_rng(3)
    matrix = rng.random((7, 15)) < 0.25
    matrix[:, 4] = False  # a theme no session raised
    got = _random_new(matrix, 40, np.random.Generator(np.random.PCG64(5)))
    # the same orders, drawn as _random_new draws them (one batch)
    orders = np.random.Generator(np.random.PCG64(5)).permuted(
        np.broadcast_to(np.arange(7), (40, 7)), axis=1)
    for b in range(40):
        # pos[s] is the place of session s in the order
        by_place = sorted(range(7), key=lambda s: orders[b, s])
        seen: set[int] = set()
        want = []
        for s in by_place:
            themes = {t for t in range(15) if matrix[s, t]}
            want.append(len(themes - seen))
            seen |= themes
        assert got[b].tolist() == want
    assert _random_new(np.zeros((3, 4), dtype=bool), 5, np.random.default_rng(0)).sum() == 0
