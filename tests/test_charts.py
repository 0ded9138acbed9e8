"""Charts through their artists, and reproducible files."""

import matplotlib

matplotlib.use("Agg")

import pytest

from analysis import tables
from analysis.charts import save_figure, theme_bars
from analysis.style import OKABE_ITO, category_palette


def test_theme_bars_heights_labels_colours_and_legend(example_study):
    freq = tables.theme_frequencies(example_study.notes)
    ax = theme_bars(freq)
    bars = ax.patches
    assert [b.get_width() for b in bars] == freq["notes"].tolist()
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert labels == freq["theme"].tolist()  # wrapped, never truncated
    palette = category_palette(example_study.categories)
    expected = [matplotlib.colors.to_rgba(palette[str(c)]) for c in freq["category"]]
    assert [b.get_facecolor() for b in bars] == expected
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == example_study.categories


def test_palette_is_fixed_by_codebook_order():
    assert category_palette(["b", "a"]) == {"b": OKABE_ITO[0], "a": OKABE_ITO[1]}


def test_bad_column_lists_the_columns(example_study):
    freq = tables.theme_frequencies(example_study.notes)
    with pytest.raises(ValueError, match=r"x='count' is not a column.*notes"):
        theme_bars(freq, x="count")


def test_save_figure_is_byte_identical(example_study, tmp_path):
    freq = tables.theme_frequencies(example_study.notes)
    first = save_figure(theme_bars(freq).figure, tmp_path / "a" / "fig")
    second = save_figure(theme_bars(freq).figure, tmp_path / "b" / "fig.svg")
    assert [p.name for p in first] == ["fig.svg", "fig.pdf", "fig.png"]
    for a, b in zip(first, second, strict=True):
        if a.suffix != ".png":
            assert a.read_bytes() == b.read_bytes(), a.name
    assert b"<dc:date>" not in first[0].read_bytes()
    from PIL import Image

    with Image.open(first[2]) as img:
        assert round(img.info["dpi"][0]) == 300
