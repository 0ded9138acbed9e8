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


def test_palette_keeps_eight_or_nine_categories_apart():
    import warnings

    from analysis.style import TOL_MUTED

    seven = category_palette(f"C{i}" for i in range(7))
    assert list(seven.values()) == list(OKABE_ITO)
    for n in (8, 9):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning while every colour is distinct
            palette = category_palette(f"C{i}" for i in range(n))
        assert list(palette.values()) == list(TOL_MUTED[:n])
    # no two colours of either scheme are the same, nor the colour of missing values
    from analysis.style import MISSING_COLOR

    for scheme in (OKABE_ITO, TOL_MUTED):
        rgb = {matplotlib.colors.to_hex(c) for c in (*scheme, MISSING_COLOR)}
        assert len(rgb) == len(scheme) + 1
    with pytest.warns(UserWarning, match="10 categories or groups share 9 colours"):
        ten = category_palette(f"C{i}" for i in range(10))
    assert ten["C9"] == ten["C0"]


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


def _plain_tight_svg(fig) -> bytes:
    """The SVG as matplotlib writes it with the tight box found in savefig itself."""
    import io

    from analysis.charts._base import style

    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="svg", metadata={"Date": None}, dpi=300, bbox_inches="tight")
    return buf.getvalue()


def test_laying_out_once_gives_the_svg_matplotlib_gives(example_study, tmp_path):
    from analysis.charts import laid_out
    from analysis.charts._base import style

    freq = tables.theme_frequencies(example_study.notes)
    reference = _plain_tight_svg(theme_bars(freq).figure)
    fig = theme_bars(freq).figure
    engine = fig.get_layout_engine()
    with style(), laid_out(fig) as box:
        assert fig.get_layout_engine() is None  # the layout is kept for every file
        svg, pdf = save_figure(fig, tmp_path / "f", formats=("svg", "pdf"), bbox=box)
    assert fig.get_layout_engine() is engine
    assert svg.read_bytes() == reference
    # the same box: the PDF page has the SVG's size (both in points)
    import re

    width, height = (float(v) for v in re.search(
        rb'width="([\d.]+)pt" height="([\d.]+)pt"', svg.read_bytes()).groups())
    media = [float(v) for v in re.search(
        rb"/MediaBox \[ *([\d. ]+)\]", pdf.read_bytes()).group(1).split()]
    assert media[2:] == pytest.approx([width, height], abs=0.01)


def test_pdf_fonts_hold_the_glyphs_without_layout_tables(example_study, tmp_path):
    import io
    import re
    import zlib

    from fontTools.ttLib import TTFont
    from matplotlib.backends import _backend_pdf_ps

    module = _backend_pdf_ps.subset
    freq = tables.theme_frequencies(example_study.notes)
    (pdf,) = save_figure(theme_bars(freq).figure, tmp_path / "f", formats=("pdf",))
    assert _backend_pdf_ps.subset is module  # restored after the save
    data = pdf.read_bytes()
    fonts = []
    for number in re.findall(rb"/FontFile2 (\d+) 0 R", data):
        start = data.index(b"\n%s 0 obj" % number)
        stream = data[data.index(b"stream\n", start) + 7:]
        fonts.append(TTFont(io.BytesIO(zlib.decompressobj().decompress(stream))))
    assert fonts
    for font in fonts:
        assert not {"GSUB", "GPOS", "GDEF"} & set(font.keys())
        assert {"glyf", "cmap", "hmtx"} <= set(font.keys())
    # every character of the theme labels is in the regular font's subset
    regular = next(f for f in fonts if "Bold" not in f["name"].getDebugName(4))
    mapped = {chr(c) for c in regular.getBestCmap()}
    assert set("".join(freq["theme"])) - {" ", "\n"} <= mapped


def test_most_frequent_keeps_the_largest_rows_in_table_order():
    import numpy as np
    import pandas as pd

    from analysis.charts import MAX_BARS, most_frequent

    rng = np.random.default_rng(3)
    table = pd.DataFrame({"theme": [f"t{i}" for i in range(120)],
                          "notes": rng.integers(1, 30, 120)})
    kept, left = most_frequent(table, 50, by="notes")
    assert left == 70 and len(kept) == 50
    assert kept.index.is_monotonic_increasing  # the table's order
    cut = sorted(table["notes"], reverse=True)[49]
    assert (kept["notes"] >= cut).all()
    assert (table.drop(kept.index)["notes"] <= cut).all()
    # ties at the cut go to earlier rows
    at_cut = table.index[table["notes"] == cut]
    assert list(kept.index[kept["notes"] == cut]) == list(at_cut[:50 - (kept["notes"] > cut).sum()])
    # without a column: the row sums (a counts table by valence)
    tone = pd.DataFrame({"negative": [1, 0, 5], "positive": [0, 1, 0], "neutral": [0, 3, 0]},
                        index=["a", "b", "c"])
    assert list(most_frequent(tone, 2)[0].index) == ["b", "c"]
    small = table.head(MAX_BARS)
    assert most_frequent(small)[0] is small and most_frequent(table, None) == (table, 0)
    with pytest.raises(ValueError, match="1 or more"):
        most_frequent(table, 0)
