"""Publication tables and figures: formatting, numbering, captions, notes, escaping."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from analysis.publish import DASH, Publisher, format_cells, format_value


@pytest.mark.parametrize(("value", "kwargs", "expected"), [
    (3.0, {}, "3"),
    (1234, {}, "1,234"),
    (np.int64(7), {}, "7"),
    (0.3333, {"decimals": 2}, "0.33"),
    (0.125, {"percent": True, "decimals": 1}, "12.5%"),
    (1.0, {"percent": True, "decimals": 0}, "100%"),
    (1.0, {"decimals": 2, "fixed": True}, "1.00"),
    (None, {}, DASH),
    (float("nan"), {}, DASH),
    (pd.NA, {}, DASH),
    (pd.NaT, {}, DASH),
    (True, {}, "yes"),
    (np.bool_(False), {}, "no"),
    (["Group 1 #2", "Group 1 #10"], {}, "Group 1 #2; Group 1 #10"),
    ({"Group 1 #10", "Group 1 #2"}, {}, "Group 1 #2; Group 1 #10"),  # natural order
    ([], {}, DASH),
    (pd.Timestamp("2020-04-01"), {}, "2020-04-01"),
    (pd.Timestamp("2020-04-01 10:30"), {}, "2020-04-01 10:30"),
    (dt.date(2020, 4, 1), {}, "2020-04-01"),
    ("text", {}, "text"),
])
def test_format_value(value, kwargs, expected):
    assert format_value(value, **kwargs) == expected


def test_format_cells_keeps_shape_and_gives_ratio_columns_equal_decimals():
    frame = pd.DataFrame({"n": [1.0, 2.0], "jaccard": [1.0, 0.8181], "share": [0.5, 0.25],
                          "when": [pd.NaT, pd.Timestamp("2020-05-06")],
                          "k": pd.array([pd.NA, 3], dtype="Int64")})
    cells = format_cells(frame, percent=["share"], decimals=2)
    assert cells.to_dict("list") == {
        "n": ["1", "2"], "jaccard": ["1.00", "0.82"], "share": ["50.00%", "25.00%"],
        "when": [DASH, "2020-05-06"], "k": [DASH, "3"]}


def _cells_of(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def test_tables_are_numbered_captioned_noted_and_escaped(tmp_path):
    pub = Publisher(tmp_path)
    frame = pd.DataFrame({"theme": ["<b>Fear</b> & co", "Hope"], "notes": [3, np.nan],
                          "shared": [True, False]},
                         index=pd.Index(["x", "y"], name="ignored"))
    first = pub.table(frame, caption="Themes <raw>.", note="Counts are notes.")
    second = pub.table(frame.set_index("theme"), index=True, caption="Again.", note="Notes.",
                       name="again")
    assert (first.number, second.number) == (1, 2)
    html = first._repr_html_()
    assert "<caption><b>Table 1.</b> Themes &lt;raw&gt;.</caption>" in html
    assert "&lt;b&gt;Fear&lt;/b&gt; &amp; co" in html and "<b>Fear</b>" not in html
    # the meaningless index is not shown; booleans as words; NaN as an explained dash
    assert _cells_of(html) == ["&lt;b&gt;Fear&lt;/b&gt; &amp; co", "3", "yes",
                               "Hope", DASH, "no"]
    assert "ignored" not in html
    assert 'class="table-note"><i>Note.</i> Counts are notes. A dash (–) marks' in html
    # a meaningful index becomes the first column
    assert re.findall(r"<th[^>]*>(.*?)</th>", second._repr_html_()) == ["theme", "notes",
                                                                        "shared"]
    # the same table renders to the same bytes (fixed ids, no random uuid)
    assert first._repr_html_() == html
    assert "Table 1. Themes <raw>." in repr(first)


def test_numbers_are_right_aligned_by_column_class(tmp_path):
    table = Publisher(tmp_path).table(
        pd.DataFrame({"theme": ["A", "B"], "notes": [1, 2], "share": [0.5, np.nan]}),
        caption="c", note="n", percent=["share"])
    html = table._repr_html_()
    styled = set(re.findall(r"#T_t1 \.(col\d+)", html))
    assert styled == {"col1", "col2"}  # notes and share, not theme
    assert "Percentages are given to 1 decimal." in table.note


def test_long_tables_fold_below_their_first_rows(tmp_path):
    pub = Publisher(tmp_path, max_rows=5)
    table = pub.table(pd.DataFrame({"theme": [f"T{i}" for i in range(12)], "notes": range(12)}),
                      caption="Long.", note="n", name="long")
    html = table._repr_html_()
    shown, folded = html.split("<details>")
    assert len(_cells_of(shown)) == 5 * 2
    assert len(_cells_of(folded)) == 12 * 2
    assert "tables/long.csv" in folded
    assert html.count("<caption>") == 1  # one caption per table


def test_write_tables_joins_lists_and_keeps_values(tmp_path):
    pub = Publisher(tmp_path)
    pub.table(pd.DataFrame({"groups": [["G1", "G2"]], "share": [0.25]}), caption="c",
              note="n", name="regions", percent=["share"])
    pub.table(pd.DataFrame({"a": [1]}), caption="unnamed", note="n")
    files = pub.write_tables()
    assert [p.name for p in files] == ["regions.csv", "tables.xlsx"]
    csv = pd.read_csv(tmp_path / "tables" / "regions.csv")
    assert csv.to_dict("list") == {"groups": ["G1; G2"], "share": [0.25]}


def test_figures_are_numbered_with_alt_text_and_warnings_in_the_caption(tmp_path):
    import warnings

    import matplotlib.pyplot as plt

    pub = Publisher(tmp_path)
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    with pub.capture():
        warnings.warn("areas are approximate", UserWarning, stacklevel=1)
    figure = pub.figure(fig, caption="Bars.", alt='Two bars "a" and b.', name="bars")
    assert figure.number == 1 and not plt.fignum_exists(fig.number)
    # the default formats: the SVG of the page and a PDF for print (PNG when asked)
    assert [p.name for p in figure.files] == ["bars.svg", "bars.pdf"]
    assert {p.name for p in (tmp_path / "figures").iterdir()} == {"bars.svg", "bars.pdf"}
    html = figure._repr_html_()
    assert 'alt="Two bars &quot;a&quot; and b."' in html
    assert "<figcaption><b>Figure 1.</b> Bars. Drawing note: areas are approximate." in html
    assert pub.drawing_notes == ["Figure 1: areas are approximate"]
    fig2, _ = plt.subplots()
    assert "Drawing note" not in pub.figure(fig2, caption="Next.", alt="x", name="b2").caption


def test_a_table_on_its_side_keeps_each_measure_format(tmp_path):
    frame = pd.DataFrame({"n": [15, 30], "age_mean": [32.5333, 34.0]},
                         index=pd.Index(["Group 1", "All"], name="group"))
    table = Publisher(tmp_path).table(frame, index="group", transpose="measure",
                                      caption="c", note="n")
    assert table.cells.to_dict("list") == {"measure": ["n", "age_mean"],
                                           "Group 1": ["15", "32.5"], "All": ["30", "34.0"]}
    assert table.data is frame  # written to tables/ as computed


def test_table_html_shows_what_pandas_styler_shows(tmp_path):
    frame = pd.DataFrame({"theme": ["<b>A</b> & 'b'", 'say "hi"', "C"],
                          "notes": [1200, 3, np.nan], "share": [0.5, 0.25, 0.125]})
    table = Publisher(tmp_path).table(frame, caption="c", note="n", percent=["share"])
    html = table._repr_html_()
    styler = table.cells.style.hide(axis="index").format(escape="html").format_index(
        escape="html", axis=1).to_html()
    # the same text once the entities are read (quotes may be written &quot; or &#34;)
    assert [unescape(c) for c in _cells_of(html)] == [unescape(c) for c in _cells_of(styler)]
    assert ([unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", html)]
            == [unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", styler)])
    assert "<b>A</b>" not in html and "&lt;b&gt;A&lt;/b&gt; &amp;" in html
    assert "row0" not in html  # no per-cell row classes
    assert set(re.findall(r"#T_t1 \.(col\d+)", html)) == {"col1", "col2"}
