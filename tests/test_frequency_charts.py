"""Frequency charts through their artists: drawn values equal the tables they came from."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from analysis import charts, stats, tables
from analysis.style import category_palette


@pytest.fixture
def r1(example_study):
    return example_study.notes[example_study.notes["coder"] == "R1"]


def _widths(ax):
    return [p.get_width() for p in ax.patches]


def test_grouped_bars_equal_the_counts(r1):
    table = tables.counts(r1, of="category", by="group")
    ax = charts.count_bars(table)
    # one series per group, bars in row order within each series
    expected = [v for col in table.columns for v in table[col]]
    assert _widths(ax) == expected
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table.index.astype(str))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(table.columns)
    colors = [matplotlib.colors.to_hex(ax.patches[j * len(table)].get_facecolor())
              for j in range(len(table.columns))]
    assert colors == [c.lower() for c in category_palette(table.columns).values()]


def test_stacked_bars_end_at_row_totals(r1):
    table = tables.counts(r1, of="theme", by="group")
    ax = charts.count_bars(table, stacked=True)
    n = len(table)
    ends = np.zeros(n)
    for j in range(len(table.columns)):
        for i, patch in enumerate(ax.patches[j * n:(j + 1) * n]):
            ends[i] = max(ends[i], patch.get_x() + patch.get_width())
    assert ends.tolist() == table.sum(axis=1).astype(float).tolist()
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels == list(table.index.astype(str))  # wrapped, not truncated


def test_valence_bars_diverge(r1):
    table = tables.counts(r1, of="category", by="valence")
    ax = charts.valence_bars(table)
    n = len(table)
    assert _widths(ax)[:n] == (-table["negative"]).astype(float).tolist()
    assert _widths(ax)[n:] == table["positive"].astype(float).tolist()
    with pytest.raises(ValueError, match="lacks column"):
        charts.valence_bars(table.drop(columns="negative"))


def test_heatmap_image_equals_table(r1):
    table = tables.counts(r1, of="theme", by="session")
    ax = charts.heatmap(table)
    assert np.array_equal(ax.images[0].get_array(), table.to_numpy(dtype=float))
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.columns)
    cooc = stats.cooccurrence(r1, level="category", measure="jaccard")
    ax2 = charts.heatmap(cooc, fmt="{:.2f}")
    texts = {t.get_text() for t in ax2.texts}
    assert f"{cooc.iloc[0, 1]:.2f}" in texts


def test_saturation_curve_lines_equal_cumulative(r1):
    curve = stats.saturation(r1)
    ax = charts.saturation_curve(curve)
    scopes = [str(s) for s in curve["scope"].cat.categories]
    assert [line.get_label() for line in ax.lines] == scopes
    for line, (_, part) in zip(ax.lines, curve.groupby("scope", observed=True), strict=True):
        assert list(line.get_ydata()) == part["cumulative"].tolist()
    by_order = charts.saturation_curve(curve, x="order", scopes=["all groups"])
    assert list(by_order.lines[0].get_xdata()) == list(range(1, 29))
    with pytest.raises(ValueError, match="x='week' is not one of"):
        charts.saturation_curve(curve, x="week")


def test_empty_table_is_a_clear_error():
    with pytest.raises(ValueError, match="empty"):
        charts.count_bars(pd.DataFrame())
