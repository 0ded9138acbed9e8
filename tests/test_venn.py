"""Venn and UpSet diagrams: set building against plain set algebra, figures through artists.

Expected numbers are worked out here with Python set operations on the rows, never with the
functions under test. The image baseline is regenerated with ``python -m tests.test_venn``
(run from the repository root), after looking at the new image.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from analysis import tables
from analysis.charts._venn import (
    UpSetAxes,
    category_sets,
    category_venn,
    group_theme_sets,
    group_venn,
    set_diagram,
    upset,
    upset_data,
    venn,
    venn_regions,
)
from analysis.style import category_palette

BASELINE = Path(__file__).parent / "baseline" / "category_venn.png"

# group, session, theme, category  (codebook order: themes a, b, c, d; categories X, Y, Z, W)
ROWS = [
    ("G1", 1, "a", "X"),
    ("G1", 1, "c", "Y"),
    ("G1", 2, "a", "X"),
    ("G1", 2, "a", "X"),
    ("G2", 1, "b", "X"),
    ("G2", 1, "d", "Z"),
    ("G2", 2, "c", "Y"),
    ("G2", 2, "d", "Z"),
    ("G2", 2, "a", "X"),
    ("G3", 1, "d", "Z"),
    ("G3", 2, "a", "X"),
    ("G3", 2, "c", "Y"),
]


def make_notes(rows=ROWS) -> pd.DataFrame:
    """A notes table with the tidy dtypes of ``read_study`` (only the columns used here)."""
    group, session, theme, category = zip(*rows, strict=True)
    return pd.DataFrame({
        "group": pd.Categorical(group, categories=["G1", "G2", "G3"], ordered=True),
        "session": pd.array(session, dtype="Int64"),
        "theme": pd.Categorical(theme, categories=["a", "b", "c", "d"]),
        "category": pd.Categorical(category, categories=["X", "Y", "Z", "W"], ordered=True),
    })


def region_sizes(sets: dict[str, set]) -> dict[str, int]:
    """Size of every region, by id, with plain set operations."""
    names = list(sets)
    union = set().union(*sets.values())
    out = {}
    for code in range(1, 2 ** len(names)):
        bits = "".join("1" if code >> i & 1 else "0" for i in range(len(names)))
        inside = set(union)
        for name, bit in zip(names, bits, strict=True):
            inside = inside & sets[name] if bit == "1" else inside - sets[name]
        out[bits] = len(inside)
    return out


def label_texts(diagram, ids) -> dict[str, str | None]:
    """Visible region label texts; None for a hidden or undrawn label."""
    out = {}
    for region in ids:
        label = diagram.get_label_by_id(region)
        out[region] = label.get_text() if label is not None and label.get_visible() else None
    return out


THREE = {"A": set(range(0, 60)), "B": set(range(40, 100)),
         "C": set(range(50, 70)) | set(range(90, 130))}
TWO = {"A": set(range(0, 30)), "B": set(range(20, 45))}


# ---------------------------------------------------------------------------- set building


def test_category_sets_are_the_sessions_of_each_category():
    expected = {c: set() for c in ["X", "Y", "Z", "W"]}
    for group, session, _, category in ROWS:
        expected[category].add(f"{group} #{session}")
    got = category_sets(make_notes())
    assert got == expected
    assert list(got) == ["X", "Y", "Z", "W"]  # codebook order, empty category kept


def test_group_theme_sets_overall_and_for_one_category():
    notes = make_notes()
    expected = {g: {t for gg, _, t, _ in ROWS if gg == g} for g in ["G1", "G2", "G3"]}
    assert group_theme_sets(notes) == expected
    only_x = {g: {t for gg, _, t, c in ROWS if gg == g and c == "X"} for g in expected}
    assert group_theme_sets(notes, category="X") == only_x
    assert group_theme_sets(notes, category="W") == {g: set() for g in expected}
    with pytest.raises(ValueError, match=r"category='V'.*'X', 'Y', 'Z', 'W'"):
        group_theme_sets(notes, category="V")


def test_venn_regions_table_for_two_sets():
    got = venn_regions({"A": {"x1", "x2", "x10", "y"}, "B": {"y", "z"}})
    expected = pd.DataFrame({
        "region": ["10", "01", "11"],
        "A": [True, False, True],
        "B": [False, True, True],
        "size": [3, 1, 1],
        "share": [3 / 5, 1 / 5, 1 / 5],
        "members": pd.Series([["x1", "x2", "x10"], ["z"], ["y"]], dtype=object),
    })
    pd.testing.assert_frame_equal(got, expected)


def test_venn_regions_follow_set_algebra_for_three_sets():
    got = venn_regions(THREE)
    assert got["region"].tolist() == ["100", "010", "110", "001", "101", "011", "111"]
    assert dict(zip(got["region"], got["size"], strict=True)) == region_sizes(THREE)
    union = set().union(*THREE.values())
    assert got["share"].tolist() == pytest.approx([s / len(union) for s in got["size"]])
    centre = THREE["A"] & THREE["B"] & THREE["C"]
    assert got.loc[got["region"] == "111", "members"].item() == sorted(centre)


def test_upset_data_sorts_and_filters_intersections():
    sets = {"A": {1, 2, 3, 4, 5}, "B": {4, 5, 6}, "C": {5, 7}, "D": {8}}
    got = upset_data(sets)
    assert got["size"].tolist() == [3, 1, 1, 1, 1, 1]
    # ties: fewer sets first, then input order (A alone, B alone, ...)
    assert got["region"].tolist() == ["1000", "0100", "0010", "0001", "1100", "1110"]
    assert got["members"].iloc[0] == [1, 2, 3]
    assert upset_data(sets, min_size=2)["region"].tolist() == ["1000"]
    by_degree = upset_data(sets, sort_by="degree")
    assert by_degree[list(sets)].sum(axis=1).is_monotonic_increasing
    assert upset_data(sets, sort_by="input")["region"].tolist() == [
        "1000", "0100", "1100", "0010", "1110", "0001"]


# ---------------------------------------------------------------------------- Venn drawing


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("sets", [TWO, THREE], ids=["2 sets", "3 sets"])
def test_region_labels_equal_the_region_sizes(sets, weighted):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # these sets draw without fallback or approximation
        v = venn(sets, weighted=weighted)
    assert v.weighted is weighted
    sizes = region_sizes(sets)
    expected = {r: (str(n) if n else None) for r, n in sizes.items()}
    assert label_texts(v, sizes) == expected
    assert [t.get_text() for t in v.set_labels] == list(sets)


def test_percent_and_both_label_formats():
    sets = {"A": {1, 2, 3}, "B": {3, 4}}
    v = venn(sets, labels="percent")
    assert label_texts(v, ["10", "01", "11"]) == {"10": "50%", "01": "25%", "11": "25%"}
    v = venn(sets, labels="both")
    assert label_texts(v, ["10", "01", "11"]) == {"10": "2\n(50%)", "01": "1\n(25%)",
                                                  "11": "1\n(25%)"}
    v = venn({"A": set(range(300)), "B": {0, 1000}}, labels="percent", weighted=False)
    assert v.get_label_by_id("11").get_text() == "<1%"  # 1 of 301 never shows as 0%
    v = venn(sets, labels=None)
    assert label_texts(v, ["10", "01", "11"]) == {"10": None, "01": None, "11": None}


def test_members_listed_inside_their_region():
    sets = {"A": {"m1", "m2", "m10", "m3", "m4", "solo"}, "B": {"m1", "m2", "m10", "m3", "m4"}}
    v = venn(sets, members=True, weighted=False)
    assert v.member_labels["11"].get_text() == "• m1\n• m2\n• m3\n• m4\n• m10"  # natural order
    assert v.member_labels["10"].get_text() == "• solo"
    assert "01" not in v.member_labels  # empty region: nothing written
    v = venn(sets, members=True, weighted=False, max_members=2)
    assert v.member_labels["11"].get_text() == "• m1\n• m2\n+3 more"
    assert v.get_label_by_id("11").get_text() == "5"  # the count stays the full size


def test_member_lists_stay_inside_their_region(example_study):
    v = group_venn(example_study.notes, members=True)
    figure = v.ax.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    for region, text in v.member_labels.items():
        patch = v.get_patch_by_id(region)
        path = patch.get_path().transformed(patch.get_transform())
        box = text.get_window_extent(renderer)
        corners = [(box.x0, box.y0), (box.x0, box.y1), (box.x1, box.y0), (box.x1, box.y1)]
        assert path.contains_points(corners).all(), region


def test_empty_regions_show_nothing_unless_asked():
    sets = {"A": {1, 2}, "B": {2, 3}, "C": {4}}
    v = venn(sets, weighted=False)
    sizes = region_sizes(sets)
    assert label_texts(v, sizes) == {r: (str(n) if n else None) for r, n in sizes.items()}
    v = venn(sets, weighted=False, show_empty=True)
    assert label_texts(v, sizes) == {r: str(n) for r, n in sizes.items()}


def test_falls_back_to_unweighted_when_a_region_would_vanish():
    sets = {"A": set(range(300)), "B": {0, 1000}}
    with pytest.warns(UserWarning, match=r"drawn unweighted.*regions would cover less than "
                      r"min_area=2% of the diagram: '01' \(B: 1\) 0.2%, '11' \(A & B: 1\)"):
        v = venn(sets)
    assert v.weighted is False
    assert label_texts(v, ["10", "01", "11"]) == {"10": "299", "01": "1", "11": "1"}
    with pytest.warns(UserWarning, match=r"drawn unweighted.*'A' and 'B' are equal"):
        assert venn({"A": {1, 2}, "B": {1, 2}, "C": {2, 3}}).weighted is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert venn(sets, weighted=False).weighted is False  # asked for: no warning


def test_warns_when_three_circles_cannot_match_the_areas():
    sets = {"A": set(range(0, 40)), "B": set(range(20, 60)),
            "C": set(range(0, 10)) | set(range(30, 40)) | set(range(50, 60)) | {100}}
    with pytest.warns(UserWarning, match="areas are approximate"):
        v = venn(sets)
    assert v.weighted is True
    sizes = region_sizes(sets)
    assert label_texts(v, sizes) == {r: (str(n) if n else None) for r, n in sizes.items()}


def test_colours_follow_the_category_palette(example_study):
    notes = example_study.notes
    palette = category_palette(example_study.categories)
    v = category_venn(notes)
    for region, category in zip(["100", "010", "001"], example_study.categories, strict=True):
        assert to_rgb(v.get_patch_by_id(region).get_facecolor()) == to_rgb(palette[category])
    v = group_venn(notes, weighted=False)
    groups = category_palette(example_study.groups)
    assert to_rgb(v.get_patch_by_id("010").get_facecolor()) == to_rgb(groups["Group 2"])
    v = venn(TWO, palette={"A": "black", "B": "#F0E442"})
    assert to_rgb(v.get_patch_by_id("01").get_facecolor()) == to_rgb("#F0E442")


def test_draws_on_the_given_axes_with_a_title():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    v = venn(TWO, ax=ax, title="Overlap")
    assert v.ax is ax
    assert v.get_patch_by_id("11").axes is ax
    assert ax.get_title() == "Overlap"


# ---------------------------------------------------------------------------- UpSet


FOUR = {"Group 1": {"a", "b", "c", "d", "e"}, "Group 2": {"c", "d", "e", "f"},
        "Group 3": {"e", "f", "g"}, "Positive": {"a", "e", "h", "i"}}


def drawn_intersections(drawn: UpSetAxes, names: list[str]) -> list[tuple[frozenset, float]]:
    """(sets with a filled dot, bar height) per column, left to right."""
    bars = sorted(drawn.intersections.patches, key=lambda p: p.get_x())
    (filled,) = [c for c in drawn.matrix.collections if c.get_label() == "members"]
    columns: dict[int, set] = {}
    for x, y in filled.get_offsets():
        columns.setdefault(round(x), set()).add(names[round(y)])
    return [(frozenset(columns[i]), bar.get_height()) for i, bar in enumerate(bars)]


def test_upset_bars_and_dots_equal_the_intersections():
    membership = Counter()
    for member in set().union(*FOUR.values()):
        membership[frozenset(n for n, s in FOUR.items() if member in s)] += 1
    drawn = upset(FOUR)
    got = drawn_intersections(drawn, list(FOUR))
    assert dict(got) == dict(membership)
    heights = [h for _, h in got]
    assert heights == sorted(heights, reverse=True)
    (empty,) = [c for c in drawn.matrix.collections if c.get_label() == "non-members"]
    assert len(empty.get_offsets()) == len(got) * len(FOUR) - sum(len(s) for s, _ in got)
    totals = [p.get_width() for p in sorted(drawn.totals.patches, key=lambda p: p.get_y())]
    assert totals == [len(s) for s in FOUR.values()]
    palette = category_palette(list(FOUR))
    assert [to_rgb(p.get_facecolor()) for p in sorted(drawn.totals.patches,
                                                       key=lambda p: p.get_y())] == [
        to_rgb(palette[n]) for n in FOUR]
    assert [t.get_text() for t in drawn.matrix.get_yticklabels()] == list(FOUR)


def test_upset_min_size_and_given_axes():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    drawn = upset(FOUR, min_size=2, ax=ax)
    assert drawn.figure is ax.figure and drawn.totals is None
    got = drawn_intersections(drawn, list(FOUR))
    assert all(h >= 2 for _, h in got)
    assert [t.get_text() for t in drawn.matrix.get_yticklabels()] == [
        f"{n} ({len(s)})" for n, s in FOUR.items()]


def test_set_diagram_picks_venn_or_upset():
    three = dict(list(FOUR.items())[:3])
    assert set_diagram(three, weighted=False).get_label_by_id("111").get_text() == "1"
    assert isinstance(set_diagram(FOUR), UpSetAxes)
    with pytest.raises(ValueError, match=r"2 or more sets.*got 1 \('A'\)"):
        set_diagram({"A": {1, 2}})


# ---------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(("call", "message"), [
    (lambda: venn(TWO, labels="pct"), r"labels='pct' is not one of 'count', 'percent', "
                                      r"'both', None"),
    (lambda: upset(FOUR, sort_by="name"), r"sort_by='name' is not one of 'size', 'degree', "
                                          r"'input'"),
    (lambda: venn(FOUR), r"venn draws 2 or 3 sets, got 4.*upset"),
    (lambda: venn({"A": set(), "B": set()}), r"all sets .* are empty"),
    (lambda: venn(TWO, max_members=0), r"max_members=0"),
    (lambda: upset(FOUR, min_size=0), r"min_size=0"),
    (lambda: upset(FOUR, min_size=99), r"no intersection has min_size=99"),
    (lambda: category_venn(make_notes(), main_themes=-1), r"main_themes=-1"),
    (lambda: category_venn(make_notes()), r"2 or 3 categories, the notes have 4"),
    (lambda: venn_regions({"size": {1}}), r"reserved: 'region', 'size', 'share', 'members'"),
])
def test_bad_options_fail_early_with_the_allowed_values(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sets_must_be_a_dict_of_collections():
    with pytest.raises(TypeError, match="dict"):
        venn([{1}, {2}])
    with pytest.raises(TypeError, match="set 'A' must be a set"):
        venn({"A": "abc", "B": {"a"}})
    with pytest.raises(ValueError, match="lacks column"):
        category_sets(make_notes().drop(columns="session"))


# ---------------------------------------------------------------------------- example study


def test_category_venn_counts_sessions_by_categories_that_came_up(example_study):
    notes = example_study.notes
    categories = example_study.categories
    came_up: dict[tuple, set] = {}
    for group, session, category in zip(notes["group"], notes["session"], notes["category"],
                                        strict=True):
        came_up.setdefault((str(group), int(session)), set()).add(str(category))
    counts = Counter("".join("1" if c in cats else "0" for c in categories)
                     for cats in came_up.values())
    v = category_venn(notes, main_themes=3)
    ids = ["100", "010", "110", "001", "101", "011", "111"]
    assert label_texts(v, ids) == {r: (str(counts[r]) if counts[r] else None) for r in ids}
    assert sum(counts.values()) == 28
    top = tables.main_themes(notes, n=3)
    for category in categories:
        listed = v.theme_labels[category].get_text().replace("\n   ", " ").split("\n")
        expected = top.loc[top["category"] == category, "theme"].tolist()
        assert listed == [f"• {t}" for t in expected]


def test_personal_themes_are_shared_by_all_three_groups(example_study):
    notes = example_study.notes
    personal = sorted(str(t) for t in notes.loc[notes["category"] == "Personal & emotional",
                                                "theme"].unique())
    regions = venn_regions(group_theme_sets(notes, category="Personal & emotional"))
    assert regions.set_index("region").loc["111", "members"] == personal
    v = group_venn(notes, category="Personal & emotional", members=True)
    assert v.get_label_by_id("111").get_text() == str(len(personal))
    listed = v.member_labels["111"].get_text().replace("\n   ", " ").split("\n")
    assert listed == [f"• {t}" for t in personal]
    assert set(v.member_labels) == {"111"}


def _example_figure():
    from analysis import read_study
    from tests.conftest import EXAMPLE

    return category_venn(read_study(EXAMPLE).notes, main_themes=3).ax.figure


def _save_png(figure, path: Path) -> None:
    from analysis.charts._base import style

    with style():
        figure.savefig(path, dpi=100, metadata={"Software": None})


def test_category_venn_looks_like_its_baseline(tmp_path):
    from matplotlib.testing.compare import compare_images

    if not BASELINE.exists():
        pytest.fail(f"{BASELINE} is missing: run `python -m tests.test_venn`")
    actual = tmp_path / "category_venn.png"
    _save_png(_example_figure(), actual)
    assert compare_images(str(BASELINE), str(actual), tol=1) is None


def test_import_stays_light():
    code = ("import sys, analysis.charts._venn; "
            "assert 'matplotlib' not in sys.modules and 'matplotlib_venn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


if __name__ == "__main__":  # python -m tests.test_venn: rewrite the image baseline
    BASELINE.parent.mkdir(exist_ok=True)
    _save_png(_example_figure(), BASELINE)
    print(f"wrote {BASELINE}")
