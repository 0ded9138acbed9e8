"""Venn and UpSet diagrams: which categories came up together, which themes groups shared.

Building the sets and their regions is pure pandas (:func:`category_sets`,
:func:`group_theme_sets`, :func:`venn_regions`, :func:`upset_data`): plain data that tests
check with ``assert_frame_equal`` and notebooks print next to each figure. The drawing
functions (:func:`venn`, :func:`category_venn`, :func:`group_venn`, :func:`upset`,
:func:`set_diagram`) draw exactly those numbers and compute nothing else. matplotlib and
matplotlib-venn are imported only inside the drawing functions.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._checks import check_choice, require_columns
from ..style import MISSING_COLOR, category_palette
from ._base import new_axes, style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib_venn._common import VennDiagram

__all__ = [
    "UpSetAxes",
    "category_sets",
    "category_venn",
    "group_theme_sets",
    "group_venn",
    "set_diagram",
    "upset",
    "upset_data",
    "venn",
    "venn_regions",
]

_LABELS = ("count", "percent", "both", None)
_SORT_BY = ("size", "degree", "input")
_RESERVED = ("region", "size", "share", "members")
#: Largest difference between a region's drawn share of the diagram and its share of the
#: members before :func:`venn` warns that a weighted diagram is approximate.
_AREA_TOLERANCE = 0.05
#: Most sets :func:`venn_regions` enumerates all regions of (2**16 - 1 rows).
_MAX_REGION_SETS = 16

# text sizes in points (RC_PARAMS font.size is 9)
_SET_LABEL_SIZE = 9
_MEMBER_SIZE = 6.5
_THEME_SIZE = 7
_LINE = 1.2  # matplotlib's default line spacing

#: Defaults of :func:`venn`: most members listed per region, characters per member line.
_MAX_MEMBERS = 12
_MEMBER_WRAP = 26

_DARK = "#333333"
_LIGHT = "#D9D9D9"


# --------------------------------------------------------------------------------------------
# building the sets (pure pandas)
# --------------------------------------------------------------------------------------------






def _levels(column: pd.Series) -> list:
    """Levels of a column: its categories in order, else values in order of appearance."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    return list(dict.fromkeys(column.dropna()))


def _natural_key(value: object) -> tuple:
    """Sort key putting ``Group 1 #2`` before ``Group 1 #10``."""
    text = str(value)
    parts = [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]
    return (parts, text)


def category_sets(notes: pd.DataFrame) -> dict[str, set[str]]:
    """Return, for each category, the group-sessions in which it came up.

    Categories are mutually exclusive over themes, so a Venn diagram over themes would have
    empty overlaps; over sessions it shows which categories came up together.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``) with ``category`` set.

    Returns
    -------
    dict of str to set of str
        ``{category: {"Group 1 #3", ...}}``, categories in codebook order (every category of
        the codebook, even one without notes, which gets an empty set). Sessions are named
        ``"<group> #<session>"`` as in :func:`analysis.tables.counts` with ``by="session"``.
        Notes without a category are left out.

    Examples
    --------
    >>> import analysis
    >>> from analysis.charts import category_sets
    >>> notes = analysis.read_study(analysis.example_path()).notes
    >>> {name: len(s) for name, s in category_sets(notes).items()}
    {'Practical & organizational': 28, 'Methodological & ethical': 28, 'Personal & emotional': 28}
    """
    require_columns(notes, ("group", "session", "category"))
    data = notes.dropna(subset=["category"])
    key = data["group"].astype(str) + " #" + data["session"].astype(str)
    category = data["category"].astype(str)
    return {str(c): set(key[category == str(c)]) for c in _levels(notes["category"])}


def group_theme_sets(notes: pd.DataFrame, *, category: str | None = None) -> dict[str, set[str]]:
    """Return, for each group, the themes it raised (optionally of one category only).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``).
    category : str, optional
        Keep only this category's themes.

    Returns
    -------
    dict of str to set of str
        ``{group: {theme, ...}}``, groups in their declared order (every group, even one
        without notes of ``category``, which gets an empty set).

    Raises
    ------
    ValueError
        When ``category`` is not a category of the notes (the message lists them).
    """
    require_columns(notes, ("group", "theme") + (("category",) if category is not None else ()))
    data = notes.dropna(subset=["theme"])
    if category is not None:
        categories = [str(c) for c in _levels(notes["category"])]
        if str(category) not in categories:
            raise ValueError(
                f"category={category!r} is not a category of the notes; categories are "
                f"{', '.join(map(repr, categories))}"
            )
        data = data[data["category"].astype(str) == str(category)]
    group = data["group"].astype(str)
    theme = data["theme"].astype(str)
    return {str(g): set(theme[group == str(g)]) for g in _levels(notes["group"])}


def _as_sets(sets: Mapping[Any, Iterable]) -> dict[str, set]:
    """Check ``sets`` and return it as ``{str name: set}`` in the given order."""
    if not isinstance(sets, Mapping):
        raise TypeError(
            f"sets must be a dict {{name: set of members}}, got {type(sets).__name__}; "
            "build one with category_sets(notes) or group_theme_sets(notes)"
        )
    out: dict[str, set] = {}
    for name, members in sets.items():
        key = str(name)
        if key in out:
            raise ValueError(f"two sets are named {key!r}: give each set its own name")
        if key in _RESERVED:
            raise ValueError(
                f"a set is named {key!r}, a column of the regions table; rename it (reserved: "
                f"{', '.join(map(repr, _RESERVED))})"
            )
        if isinstance(members, str | bytes) or not isinstance(members, Iterable):
            raise TypeError(
                f"set {key!r} must be a set (or list) of members, got {type(members).__name__}"
            )
        out[key] = set(members)
    if not out:
        raise ValueError("sets is empty: give at least one {name: set of members}")
    return out


def _region_id(code: int, n: int) -> str:
    """Region id of a membership bit code: bit i set means in set i (``0b011`` -> ``'110'``)."""
    return "".join("1" if code >> i & 1 else "0" for i in range(n))


def _regions_frame(sets: dict[str, set], codes: list[int],
                   members: dict[int, list]) -> pd.DataFrame:
    names = list(sets)
    union = sum(len(m) for m in members.values())
    size = [len(members.get(code, [])) for code in codes]
    frame = pd.DataFrame({"region": [_region_id(code, len(names)) for code in codes]})
    for i, name in enumerate(names):
        frame[name] = np.array([bool(code >> i & 1) for code in codes], dtype=bool)
    frame["size"] = np.array(size, dtype="int64")
    frame["share"] = (np.array(size, dtype="float64") / union if union
                      else np.full(len(codes), np.nan))
    frame["members"] = pd.Series([sorted(members.get(code, []), key=_natural_key)
                                  for code in codes], dtype=object)
    return frame


def _membership(sets: dict[str, set]) -> dict[int, list]:
    """Members of each non-empty region, by membership bit code."""
    codes: dict[object, int] = {}
    for i, members in enumerate(sets.values()):
        for m in members:
            codes[m] = codes.get(m, 0) | (1 << i)
    out: dict[int, list] = {}
    for m, code in codes.items():
        out.setdefault(code, []).append(m)
    return out


def venn_regions(sets: Mapping[Any, Iterable]) -> pd.DataFrame:
    """Return the regions of the Venn diagram of ``sets``: what :func:`venn` draws.

    Parameters
    ----------
    sets : dict
        ``{name: set of members}``, e.g. :func:`category_sets` or :func:`group_theme_sets`.
        Usually 2 or 3 sets; any number up to 16 is accepted (all ``2**n - 1`` regions are
        listed; for many sets :func:`upset_data` lists the non-empty ones only).

    Returns
    -------
    pandas.DataFrame
        One row per region, in matplotlib-venn's order (for 3 sets ``100, 010, 110, 001, 101,
        011, 111``; for 2 sets ``10, 01, 11``: the i-th character is 1 when the region lies
        inside the i-th set). Columns:

        - ``region``: the region id (str), as in ``VennDiagram.get_label_by_id``;
        - one bool column per set, named after it: whether the region lies inside that set;
        - ``size``: members in exactly these sets (int);
        - ``share``: ``size`` divided by the size of the union of all sets (NaN when all sets
          are empty);
        - ``members``: list of the region's members, sorted in natural order
          (``Group 1 #2`` before ``Group 1 #10``).

    Examples
    --------
    >>> venn_regions({"A": {1, 2, 3}, "B": {3, 4}})[["region", "size"]]
      region  size
    0     10     2
    1     01     1
    2     11     1
    """
    sets = _as_sets(sets)
    if len(sets) > _MAX_REGION_SETS:
        raise ValueError(
            f"{len(sets)} sets have {2 ** len(sets) - 1} regions; use upset_data(sets), which "
            "lists the non-empty ones only"
        )
    return _regions_frame(sets, list(range(1, 2 ** len(sets))), _membership(sets))


def upset_data(sets: Mapping[Any, Iterable], *, sort_by: str = "size",
               min_size: int = 1) -> pd.DataFrame:
    """Return the intersections an UpSet plot draws: non-empty regions, sorted.

    Parameters
    ----------
    sets : dict
        ``{name: set of members}``, any number of sets.
    sort_by : {"size", "degree", "input"}, default "size"
        ``"size"``: largest first (ties: fewer sets first, then input order); ``"degree"``:
        by the number of sets the intersection lies in, then largest first; ``"input"``:
        matplotlib-venn's region order (first set alone, second alone, both, ...).
    min_size : int, default 1
        Leave out intersections with fewer members.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`venn_regions` (``region``, one bool column per set, ``size``,
        ``share`` of the union, ``members``), one row per exclusive intersection (members in
        exactly these sets) of ``min_size`` or more members, in drawing order, with a fresh
        ``RangeIndex``.
    """
    check_choice("sort_by", sort_by, _SORT_BY)
    if not isinstance(min_size, int | np.integer) or min_size < 1:
        raise ValueError(f"min_size={min_size!r}: give a whole number of members, 1 or more")
    sets = _as_sets(sets)
    members = _membership(sets)
    codes = sorted(members)
    frame = _regions_frame(sets, codes, members)
    frame = frame[frame["size"] >= min_size]
    degree = frame[list(sets)].sum(axis=1)
    order = pd.DataFrame({"size": -frame["size"], "degree": degree,
                          "code": [codes[i] for i in frame.index]}, index=frame.index)
    keys = {"size": ["size", "degree", "code"], "degree": ["degree", "size", "code"],
            "input": ["code"]}[sort_by]
    order = order.sort_values(keys, kind="stable")
    return frame.loc[order.index].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Venn diagrams
# --------------------------------------------------------------------------------------------


def _label_text(size: int, share: float, labels: str | None) -> str:
    if labels is None:
        return ""
    percent = "<1%" if 0 < share < 0.005 else f"{share:.0%}"
    return {"count": f"{size}", "percent": percent, "both": f"{size}\n({percent})"}[labels]


def _bullets(items: Iterable[object], width: int) -> str:
    """One bulleted line per item, long items wrapped with a hanging indent."""
    return "\n".join(textwrap.fill(str(t), width, initial_indent="• ", subsequent_indent="   ")
                     for t in items)


def _member_text(members: list, max_members: int, width: int) -> str:
    text = _bullets(members[:max_members], width)
    if len(members) > max_members:
        text += f"\n+{len(members) - max_members} more"
    return text


def _region_shares(centers: Any, radii: Any, n_regions: int, grid: int = 400) -> np.ndarray:
    """Share of the diagram's bounding box that each region covers (grid estimate)."""
    cx = np.array([c.x for c in centers])
    cy = np.array([c.y for c in centers])
    r = np.array(radii, dtype=float)
    x = np.linspace((cx - r).min(), (cx + r).max(), grid)
    y = np.linspace((cy - r).min(), (cy + r).max(), grid)
    xx, yy = np.meshgrid(x, y)
    code = np.zeros(xx.shape, dtype=int)
    for i in range(len(r)):
        code |= (((xx - cx[i]) ** 2 + (yy - cy[i]) ** 2) <= r[i] ** 2).astype(int) << i
    counts = np.bincount(code.ravel(), minlength=n_regions + 1)
    return counts[1:] / code.size


def _why_unweighted(sets: dict[str, set], regions: pd.DataFrame, shares: np.ndarray,
                    min_area: float) -> str | None:
    """Why an area-proportional drawing would hide something, or None when it would not."""
    names = list(sets)
    for name in names:
        if not sets[name]:
            return f"set {name!r} is empty, so its circle would vanish"
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if sets[a] == sets[b]:
                return f"sets {a!r} and {b!r} are equal, so their circles would coincide"
    small = [f"{region!r} ({_inside(names, region)}: {size}) {share:.1%}"
             for region, size, share in zip(regions["region"], regions["size"], shares,
                                            strict=True)
             if size > 0 and share < min_area]
    if small:
        return (f"{'regions' if len(small) > 1 else 'a region'} would cover less than "
                f"min_area={min_area:.0%} of the diagram: {', '.join(small)}")
    return None


def _inside(names: list[str], region: str) -> str:
    return " & ".join(n for n, bit in zip(names, region, strict=True) if bit == "1")


def _worst_area(names: list[str], regions: pd.DataFrame, shares: np.ndarray) -> str | None:
    """Describe the region whose drawn area is furthest from its share, if beyond tolerance."""
    drawn = shares / shares.sum()
    error = np.abs(drawn - regions["share"].to_numpy())
    worst = int(np.argmax(error))
    if error[worst] <= _AREA_TOLERANCE:
        return None
    region = regions["region"].iloc[worst]
    return (f"Venn diagram areas are approximate: region {region!r} "
            f"({_inside(names, region)}) is drawn as {drawn[worst]:.0%} of the diagram for "
            f"{regions['share'].iloc[worst]:.0%} of the members (three circles cannot show "
            "every overlap in proportion); the labels give the exact numbers. Pass "
            "weighted=False for a schematic diagram.")


def _offset(ax: Axes, dy: float, dx: float = 0.0) -> Any:
    """Return the data transform shifted by ``dx``, ``dy`` points."""
    from matplotlib.transforms import offset_copy

    return offset_copy(ax.transData, fig=ax.figure, x=dx, y=dy, units="points")


def venn(
    sets: Mapping[Any, Iterable],
    *,
    weighted: bool = True,
    labels: str | None = "count",
    members: bool = False,
    palette: dict[str, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    max_members: int = _MAX_MEMBERS,
    show_empty: bool = False,
    wrap: int = 20,
    member_wrap: int = _MEMBER_WRAP,
    min_area: float = 0.02,
    alpha: float = 0.4,
    outline: bool = True,
    **kwargs: Any,
) -> VennDiagram:
    r"""Draw a Venn diagram of two or three sets with matplotlib-venn.

    Parameters
    ----------
    sets : dict
        ``{name: set of members}`` with 2 or 3 entries, e.g. :func:`category_sets`. The
        regions drawn are :func:`venn_regions` of it.
    weighted : bool, default True
        Area-proportional circles (``venn2``/``venn3``). Falls back to the unweighted layout,
        with a ``UserWarning`` naming the reason, when a non-empty region would cover less
        than ``min_area`` of the diagram, when two sets are equal (their circles would
        coincide) or when a set is empty. Warns when three circles cannot match the areas:
        when a region's drawn share of the diagram differs from its share of the members by
        more than 5 percentage points. ``False``: every region the same size (a schematic).
    labels : {"count", "percent", "both", None}, default "count"
        Region labels: the number of members, their share of the union, both, or none.
    members : bool, default False
        Write the members inside each region (one per line, wrapped at ``member_wrap``
        characters, at most ``max_members`` then ``+N more``). A list that would spill out
        of its region is shifted a little, wrapped narrower, then shortened (``+N more``)
        until it fits. Gives the diagram a double column size (6.9 x 6 in) when ``ax`` is
        None; unweighted diagrams leave more room for the lists.
    palette : dict, optional
        ``{set name: colour}``; default :func:`analysis.style.category_palette` of the set
        names in order (so the n-th category or group gets the n-th Okabe-Ito colour, as in
        every other chart). Overlaps mix the colours.
    title : str, optional
        Axes title (journal figures usually leave it to the caption).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new single-column figure (3.3 x 3 in) otherwise.
    max_members : int, default 12
        Most members listed per region when ``members`` is True.
    show_empty : bool, default False
        Label empty regions (``0``); by default they carry no label. (A weighted diagram
        may not draw an empty region at all; it then has no label either way.)
    wrap : int, default 20
        Characters per line of the set names (wrapped, never cut).
    member_wrap : int, default 26
        Characters per line of a member name.
    min_area : float, default 0.02
        Smallest share of the diagram's bounding box a non-empty region may cover in a
        weighted diagram before falling back to the unweighted layout.
    alpha : float, default 0.4
        Opacity of the region colours.
    outline : bool, default True
        Draw thin dark circle outlines (the diagram stays readable in greyscale print).
    **kwargs
        Set on every region patch (:meth:`matplotlib.patches.Patch.set`), e.g. ``hatch``.

    Returns
    -------
    matplotlib_venn._common.VennDiagram
        The diagram: ``get_patch_by_id('110')``, ``get_label_by_id('110')`` and
        ``get_label_by_id('A')`` give the region patches, region labels and set labels.
        Four attributes are added: ``ax`` (the Axes), ``weighted`` (whether the circles
        were drawn area-proportional after any fallback), ``member_labels``
        (``{region id: Text}`` of the member lists) and ``regions`` (the
        :func:`venn_regions` table drawn, which the notebook display shows).

    Raises
    ------
    ValueError
        Unless there are 2 or 3 sets with at least one member between them, or for an
        option outside its allowed values (the message lists them).

    See Also
    --------
    venn_regions : The numbers drawn, to print beside the figure.
    upset : More than three sets.

    Notes
    -----
    Three weighted circles match the set sizes and pairwise overlaps only approximately
    (three circles cannot fit every combination of seven areas); the labels always give
    the exact numbers. Member lists are fitted to the figure as it is when drawn; draw other
    parts of a shared figure first. In a notebook, a cell whose last value is the diagram
    shows its regions as a table (region, sets, size, share, members) beside the figure; the
    table is the same at every run, so ``pytest --nbval`` can compare it.

    Examples
    --------
    >>> v = venn({"A": {1, 2, 3}, "B": {3, 4}}, labels="both")
    >>> v.get_label_by_id("11").get_text()
    '1\n(25%)'
    """
    sets = _as_sets(sets)
    names = list(sets)
    if len(sets) not in (2, 3):
        raise ValueError(
            f"venn draws 2 or 3 sets, got {len(sets)} ({', '.join(map(repr, names))}); use "
            "upset(sets) or set_diagram(sets) for more than three"
        )
    check_choice("labels", labels, _LABELS)
    if not isinstance(max_members, int | np.integer) or max_members < 1:
        raise ValueError(f"max_members={max_members!r}: give a whole number, 1 or more")
    if not 0 <= min_area < 1:
        raise ValueError(f"min_area={min_area!r}: give a share of the diagram, 0 <= x < 1")
    regions = venn_regions(sets)
    if regions["size"].sum() == 0:
        raise ValueError(f"all sets ({', '.join(map(repr, names))}) are empty: nothing to draw")

    from matplotlib_venn import venn2, venn2_circles, venn3, venn3_circles

    if len(sets) == 2:
        from matplotlib_venn.layout.venn2 import DefaultLayoutAlgorithm
        draw, circles = venn2, venn2_circles
    else:
        from matplotlib_venn.layout.venn3 import DefaultLayoutAlgorithm
        draw, circles = venn3, venn3_circles

    sizes = tuple(int(s) for s in regions["size"])
    set_labels = tuple(textwrap.fill(name, wrap) for name in names)
    if weighted:
        with warnings.catch_warnings():  # matplotlib-venn's own notes; checked below instead
            warnings.simplefilter("ignore", UserWarning)
            layout = DefaultLayoutAlgorithm()(sizes, set_labels)
        shares = _region_shares(layout.centers, layout.radii, len(regions))
        reason = _why_unweighted(sets, regions, shares, min_area)
        if reason is not None:
            warnings.warn(f"Venn diagram drawn unweighted (region areas not proportional): "
                          f"{reason}. Pass weighted=False to ask for it.", UserWarning,
                          stacklevel=2)
            weighted = False
        elif (message := _worst_area(names, regions, shares)) is not None:
            warnings.warn(message, UserWarning, stacklevel=2)
    if not weighted:
        layout = DefaultLayoutAlgorithm(fixed_subset_sizes=(1,) * len(sizes))(sizes, set_labels)

    palette = palette if palette is not None else category_palette(names)
    colors = tuple(palette.get(name, MISSING_COLOR) for name in names)
    ax = new_axes(ax, (6.9, 6.0) if members else (3.3, 3.0))
    with style():
        diagram = draw(sizes, set_labels=set_labels, set_colors=colors, alpha=alpha, ax=ax,
                       layout_algorithm=lambda *_: layout)
        if outline:
            circles(sizes, ax=ax, layout_algorithm=lambda *_: layout, linewidth=0.8,
                    color=_DARK)
        for patch in diagram.patches:
            if patch is not None and kwargs:
                patch.set(**kwargs)
        for text in diagram.set_labels or ():
            text.set_fontsize(_SET_LABEL_SIZE)
            text.set_fontweight("bold")
        member_labels = {}
        for region, size, share, listed in zip(regions["region"], regions["size"],
                                               regions["share"], regions["members"],
                                               strict=True):
            label = diagram.get_label_by_id(region)
            if label is None:  # region not drawn (empty in a weighted diagram)
                continue
            label.set_text(_label_text(size, share, labels))
            label.set_visible(labels is not None and (size > 0 or show_empty))
            if not (members and listed):
                continue
            member_labels[region] = ax.text(
                *label.get_position(), "", ha="center", va="top", multialignment="left",
                fontsize=_MEMBER_SIZE, linespacing=_LINE)
            _place_members(ax, label, member_labels[region], listed,
                           min(len(listed), max_members), member_wrap)
        if title:
            ax.set_title(title)
        if member_labels:  # last: fitting needs the final layout
            _fit_members(ax, diagram, member_labels, regions, member_wrap, max_members)
    diagram.ax = ax
    diagram.weighted = weighted
    diagram.member_labels = member_labels
    diagram.regions = regions
    diagram.__class__ = _displayed(type(diagram))
    return diagram


def _place_members(ax: Axes, label: Any, text: Any, listed: list, shown: int, width: int,
                   dx: float = 0.0, dy: float = 0.0) -> None:
    """Write ``shown`` members under the region's count, the two centred on the label's spot.

    ``dx``, ``dy`` shift both, in points.
    """
    content = _member_text(listed, shown, width) if shown else ""
    text.set_text(content)
    count_h = (label.get_text().count("\n") + 1) * label.get_fontsize() * _LINE
    count_h = count_h if label.get_visible() else 0.0
    list_h = (content.count("\n") + 1) * _MEMBER_SIZE * _LINE if content else 0.0
    top = (count_h + list_h) / 2 + dy
    label.set_verticalalignment("top")
    label.set_transform(_offset(ax, top, dx))
    text.set_transform(_offset(ax, top - count_h - (1 if count_h else 0), dx))


#: Shifts (points) tried, nearest first, to fit a member list inside its region.
_SHIFTS = sorted(((dx, dy) for dx in range(-36, 37, 4) for dy in range(-36, 37, 4)),
                 key=lambda d: (d[0] ** 2 + d[1] ** 2, abs(d[0]), d))


def _fit_shift(path: Any, artists: list, renderer: Any, scale: float) -> tuple | None:
    """Return the smallest shift (points) putting the artists inside ``path``, if any."""
    points = []
    for artist in artists:
        if not artist.get_visible() or not artist.get_text():
            continue
        box = artist.get_window_extent(renderer).padded(2)  # a small margin
        xs = np.linspace(box.x0, box.x1, 5)
        ys = np.linspace(box.y0, box.y1, 5)
        points += [(x, y) for x in xs for y in (box.y0, box.y1)]
        points += [(x, y) for x in (box.x0, box.x1) for y in ys]
    if not points:
        return (0.0, 0.0)
    base = np.array(points)
    shifts = np.array(_SHIFTS, dtype=float)
    moved = (base[None, :, :] + shifts[:, None, :] * scale).reshape(-1, 2)
    inside = path.contains_points(moved).reshape(len(shifts), len(base)).all(axis=1)
    hits = np.nonzero(inside)[0]
    return _SHIFTS[hits[0]] if len(hits) else None


def _fit_members(ax: Axes, diagram: Any, member_labels: dict, regions: pd.DataFrame,
                 width: int, max_members: int) -> None:
    """Fit each region's member list inside the region.

    Tries small shifts of the count and list, narrower wrapping, then fewer members (then
    ``+N more``), keeping the layout that lists the most members (among equals the widest
    wrapping, then the smallest shift).
    """
    figure = ax.figure
    figure.draw_without_rendering()  # settles the layout, so extents are final
    renderer = figure.canvas.get_renderer()
    scale = figure.dpi / 72  # points to pixels
    listed = dict(zip(regions["region"], regions["members"], strict=True))
    widths = sorted({width, *(w for w in (22, 18, 14) if w < width)}, reverse=True)
    for region, text in member_labels.items():
        label = diagram.get_label_by_id(region)
        patch = diagram.get_patch_by_id(region)
        if patch is None:  # a region drawn without area (min_area=0): nothing to fit in
            continue
        path = patch.get_path().transformed(patch.get_transform())
        names = listed[region]
        most = min(len(names), max_members)
        best: tuple = (0, width, 0.0, 0.0)
        for wrap in widths:
            for shown in range(most, best[0], -1):
                _place_members(ax, label, text, names, shown, wrap)
                shift = _fit_shift(path, [label, text], renderer, scale)
                if shift is not None:
                    best = (shown, wrap, *shift)
                    break
            if best[0] == most:
                break
        if best[0] == 0:  # the count alone, moved inside if it can be
            _place_members(ax, label, text, names, 0, width)
            best = (0, width, *(_fit_shift(path, [label], renderer, scale) or (0.0, 0.0)))
        _place_members(ax, label, text, names, *best)


def _write_beside(diagram: VennDiagram, lists: dict[str, list[str]], width: int) -> dict:
    """Write a short bulleted list beside each set's name; move names up when needed."""
    ax = diagram.ax
    out = {}
    for name, label in zip(lists, diagram.set_labels, strict=True):
        items = lists[name]
        if not items:
            continue
        text = _bullets(items, width)
        x, y = label.get_position()
        ha = label.get_horizontalalignment()
        name_h = (label.get_text().count("\n") + 1) * label.get_fontsize() * _LINE
        list_h = (text.count("\n") + 1) * _THEME_SIZE * _LINE
        if label.get_verticalalignment() == "top":  # name below the circle: list below it
            out[name] = ax.text(x, y, text, transform=_offset(ax, -name_h - 2), ha=ha, va="top",
                                multialignment="left", fontsize=_THEME_SIZE, linespacing=_LINE)
        else:  # name above the circle: list between circle and name, name moved up
            label.set_verticalalignment("bottom")
            label.set_transform(_offset(ax, list_h + 3))
            out[name] = ax.text(x, y, text, transform=_offset(ax, 1), ha=ha, va="bottom",
                                multialignment="left", fontsize=_THEME_SIZE, linespacing=_LINE)
    return out


def category_venn(
    notes: pd.DataFrame,
    *,
    main_themes: int = 0,
    weighted: bool = False,
    theme_wrap: int = 40,
    ax: Axes | None = None,
    **kwargs: Any,
) -> VennDiagram:
    """Draw the categories over sessions: which categories came up in the same sessions.

    The analogue of a content analysis' "Figure 1": one circle per category, a region's
    count is the number of group-sessions in which exactly those categories came up
    (:func:`venn_regions` of :func:`category_sets`).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``) with 2 or 3 categories.
    main_themes : int, default 0
        Write the ``n`` main themes of each category as a short list beside its circle's
        name: :func:`analysis.tables.main_themes` (most notes first; ties go to more
        sessions, more groups, then codebook order).
    weighted : bool, default False
        Unweighted by default: categories usually come up together in most sessions, so
        area-proportional circles nearly coincide; the labels give the numbers. See
        :func:`venn`.
    theme_wrap : int, default 40
        Characters per line of a listed theme.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure otherwise (3.3 x 3 in, or 6.9 x 5.2 in with
        ``main_themes``).
    **kwargs
        Passed to :func:`venn` (``labels``, ``members``, ``palette``, ``show_empty``, ...).
        The palette defaults to the codebook order of all categories.

    Returns
    -------
    matplotlib_venn._common.VennDiagram
        As :func:`venn`, plus ``theme_labels`` (``{category: Text}`` of the theme lists).
        Assign it in notebooks (``v = category_venn(...)``).

    Examples
    --------
    >>> import analysis
    >>> from analysis.charts import category_sets, category_venn, venn_regions
    >>> notes = analysis.read_study(analysis.example_path()).notes
    >>> v = category_venn(notes, main_themes=3)  # assigned: no address printed
    >>> venn_regions(category_sets(notes))[["region", "size"]]  # the numbers drawn
      region  size
    0    100     0
    1    010     0
    2    110     0
    3    001     0
    4    101     0
    5    011     0
    6    111    28
    """
    if not isinstance(main_themes, int | np.integer) or main_themes < 0:
        raise ValueError(f"main_themes={main_themes!r}: give a whole number of themes, 0 or more")
    sets = category_sets(notes)
    categories = list(sets)
    if len(categories) not in (2, 3):
        raise ValueError(
            f"category_venn draws 2 or 3 categories, the notes have {len(categories)}; use "
            "set_diagram(category_sets(notes)) for an UpSet plot"
        )
    kwargs.setdefault("palette", category_palette(categories))
    ax = new_axes(ax, (6.9, 5.2) if main_themes else (3.3, 3.0))
    diagram = venn(sets, weighted=weighted, ax=ax, **kwargs)
    lists: dict[str, list[str]] = {c: [] for c in categories}
    if main_themes:
        from ..tables import main_themes as top_themes

        table = top_themes(notes, n=main_themes)
        for category, theme in zip(table["category"].astype(str), table["theme"], strict=True):
            lists[category].append(str(theme))
        with style():
            diagram.theme_labels = _write_beside(diagram, lists, theme_wrap)
            if diagram.member_labels:  # the lists changed the layout: fit the members again
                _fit_members(diagram.ax, diagram, diagram.member_labels, venn_regions(sets),
                             kwargs.get("member_wrap", _MEMBER_WRAP),
                             kwargs.get("max_members", _MAX_MEMBERS))
    else:
        diagram.theme_labels = {}
    return diagram


def group_venn(
    notes: pd.DataFrame,
    *,
    category: str | None = None,
    members: bool = False,
    weighted: bool | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> VennDiagram:
    """Draw the groups over themes: which themes each group raised and which they shared.

    Region ``'111'`` holds the themes raised by all three groups.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``) with 2 or 3 groups.
    category : str, optional
        Only this category's themes (:func:`group_theme_sets`).
    members : bool, default False
        List the theme names in each region.
    weighted : bool, optional
        Default: area-proportional without member lists, unweighted with them (the lists
        need room). See :func:`venn`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    **kwargs
        Passed to :func:`venn` (``labels``, ``max_members``, ``palette``, ``title``, ...).

    Returns
    -------
    matplotlib_venn._common.VennDiagram
        As :func:`venn`; assign it in notebooks (``v = group_venn(...)``).
    """
    sets = group_theme_sets(notes, category=category)
    if len(sets) not in (2, 3):
        raise ValueError(
            f"group_venn draws 2 or 3 groups, the notes have {len(sets)}; use "
            "set_diagram(group_theme_sets(notes)) for an UpSet plot"
        )
    if weighted is None:
        weighted = not members
    return venn(sets, members=members, weighted=weighted, ax=ax, **kwargs)


# --------------------------------------------------------------------------------------------
# UpSet plots
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# notebook displays: the numbers drawn, as a table (deterministic, for nbval)
# --------------------------------------------------------------------------------------------


def _regions_display(kind: str, regions: pd.DataFrame, names: list[str], note: str = "") -> Any:
    """Return the regions of a diagram as a display report (see :mod:`analysis._display`)."""
    from .._display import Block, Report

    rows = []
    for rec in regions.to_dict("records"):
        inside = " & ".join(n for n in names if rec[n])
        members = [str(m) for m in rec["members"]]
        listed = ", ".join(members[:8]) + (f", ... and {len(members) - 8} more"
                                            if len(members) > 8 else "")
        share = "" if rec["share"] != rec["share"] else f"{rec['share']:.0%}"
        rows.append((rec["region"], inside, int(rec["size"]), share, listed))
    sizes = ", ".join(f"{n} ({int(regions.loc[regions[n], 'size'].sum())})" for n in names)
    lines = [f"sets (members): {sizes}"] + ([note] if note else [])
    return Report(f"{kind} of {len(names)} sets", [
        Block("", lines=lines),
        Block("Regions (members in exactly these sets)",
              columns=["region", "in", "size", "share", "members"], rows=rows, limit=16,
              noun="regions"),
    ])


class _RegionsDisplay:
    """Mix-in showing a Venn diagram's regions (``regions``) in notebooks."""

    regions: pd.DataFrame

    def _display(self) -> Any:
        names = [c for c in self.regions.columns if c not in _RESERVED]
        weighted = getattr(self, "weighted", None)
        note = {True: "area-proportional circles", False: "schematic (unweighted) circles"
                }.get(weighted, "")
        return _regions_display("Venn diagram", self.regions, names, note)

    def __repr__(self) -> str:
        names = [c for c in self.regions.columns if c not in _RESERVED]
        return (f"<Venn diagram of {len(names)} sets ({', '.join(names)}): "
                f"{int(self.regions['size'].sum())} members>")

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())


_DISPLAYED: dict[type, type] = {}


def _displayed(base: type) -> type:
    """Return a subclass of matplotlib-venn's diagram class that displays its regions."""
    if base not in _DISPLAYED:
        _DISPLAYED[base] = type(base.__name__, (_RegionsDisplay, base),
                                {"__module__": __name__,
                                 "__doc__": base.__doc__})
    return _DISPLAYED[base]


@dataclass(repr=False)
class UpSetAxes:
    """The parts of an UpSet plot drawn by :func:`upset`.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The figure drawn on.
    intersections : matplotlib.axes.Axes
        Bars of the intersection sizes (one bar per column of the matrix, left to right).
    matrix : matplotlib.axes.Axes
        The dot matrix: sets as rows (named by the y tick labels), intersections as columns;
        its collections labelled ``"members"`` (filled dots) and ``"non-members"``.
    totals : matplotlib.axes.Axes or None
        Horizontal bars of the set sizes, left of the set names (None when drawn into a
        given ``ax``: the sizes are then written in the set names).
    data : pandas.DataFrame or None
        The intersections drawn (:func:`upset_data`), left to right; shown as a table when
        the object is the last value of a notebook cell.
    """

    figure: Figure
    intersections: Axes
    matrix: Axes
    totals: Axes | None
    data: pd.DataFrame | None = None

    def _display(self) -> Any:
        from .._display import Block, Report

        if self.data is None:
            return Report("UpSet plot", [Block("", lines=["intersections not recorded"])])
        names = [c for c in self.data.columns if c not in _RESERVED]
        return _regions_display("UpSet plot", self.data, names,
                                "intersections left to right as drawn")

    def __repr__(self) -> str:
        k = "?" if self.data is None else len(self.data)
        return f"<UpSet plot: {k} intersections>"

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())


def upset(
    sets: Mapping[Any, Iterable],
    *,
    sort_by: str = "size",
    min_size: int = 1,
    palette: dict[str, str] | None = None,
    title: str | None = None,
    wrap: int = 30,
    ax: Axes | None = None,
) -> UpSetAxes:
    """Draw an UpSet plot: intersection sizes as bars above a matrix of member sets.

    Drawn with matplotlib alone. Each column is an exclusive intersection (members in
    exactly the sets with a filled dot, dots joined by a line); the bar above it gives its
    size, the horizontal bars at the left the size of each set.

    Parameters
    ----------
    sets : dict
        ``{name: set of members}``, any number (2 or more); rows top to bottom in this order.
    sort_by : {"size", "degree", "input"}, default "size"
        Column order, see :func:`upset_data`.
    min_size : int, default 1
        Leave out intersections with fewer members.
    palette : dict, optional
        ``{set name: colour}`` of the set-size bars; default
        :func:`analysis.style.category_palette` of the names in order.
    title : str, optional
        Title above the intersection bars.
    wrap : int, default 30
        Characters per line of a set name.
    ax : matplotlib.axes.Axes, optional
        Draw the intersection bars and the matrix inside this Axes' area (as inset Axes;
        the set names hang to its left like tick labels, with the set sizes written in them
        instead of bars). Otherwise a new figure with a grid of three Axes is created, 6.9
        in wide at most.

    Returns
    -------
    UpSetAxes
        The figure and its Axes.

    Raises
    ------
    ValueError
        For fewer than 2 sets, no intersection of ``min_size`` or more members, or an
        option outside its allowed values.

    See Also
    --------
    upset_data : The intersections drawn, to print beside the figure.
    """
    data = upset_data(sets, sort_by=sort_by, min_size=min_size)
    sets = _as_sets(sets)
    names = list(sets)
    if len(names) < 2:
        raise ValueError(f"upset needs 2 or more sets, got {len(names)}")
    if data.empty:
        raise ValueError(f"no intersection has min_size={min_size} or more members")
    palette = palette if palette is not None else category_palette(names)
    n, k = len(names), len(data)
    sizes = [len(sets[name]) for name in names]
    tick_names = [textwrap.fill(name, wrap) for name in names]

    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with style():
        if ax is None:
            lines = max(t.count("\n") + 1 for t in tick_names)
            row_h = max(0.24, 0.13 * lines + 0.08)  # room for wrapped set names
            width = min(6.9, 2.9 + 0.24 * k)
            height = 1.9 + row_h * n
            fig = plt.figure(figsize=(width, height), layout="constrained")
            grid = fig.add_gridspec(2, 2, width_ratios=[1.2, max(1.5, 0.24 * k)],
                                    height_ratios=[1.9, row_h * n], wspace=0.0, hspace=0.0)
            bars = fig.add_subplot(grid[0, 1])
            matrix = fig.add_subplot(grid[1, 1], sharex=bars)
            totals = fig.add_subplot(grid[1, 0], sharey=matrix)
        else:
            fig = ax.figure
            ax.set_axis_off()
            share = min(0.7, n / (n + 6))
            bars = ax.inset_axes((0, share + 0.03, 1, 0.97 - share))
            matrix = ax.inset_axes((0, 0, 1, share), sharex=bars)
            totals = None
            tick_names = [f"{t} ({s})" for t, s in zip(tick_names, sizes, strict=True)]

        x = np.arange(k)
        drawn = bars.bar(x, data["size"].to_numpy(), width=0.6, color=_DARK)
        bars.bar_label(drawn, padding=1, fontsize=7)
        bars.set_ylabel("Intersection size")
        bars.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        bars.tick_params(axis="x", bottom=False, labelbottom=False)
        bars.spines["bottom"].set_visible(False)
        bars.margins(y=0.12)
        if title:
            bars.set_title(title)

        member = data[names].to_numpy()  # k x n
        cols, rows = np.nonzero(member)
        off_cols, off_rows = np.nonzero(~member)
        for row in range(1, n, 2):  # light bands guide the eye along a row
            matrix.axhspan(row - 0.5, row + 0.5, color="#F2F2F2", zorder=0, linewidth=0)
        matrix.scatter(off_cols, off_rows, s=36, color=_LIGHT, zorder=2, label="non-members",
                       linewidths=0)
        for col in range(k):
            hit = np.nonzero(member[col])[0]
            if len(hit) > 1:
                matrix.plot([col, col], [hit.min(), hit.max()], color=_DARK, linewidth=1.6,
                            zorder=3, solid_capstyle="round")
        matrix.scatter(cols, rows, s=36, color=_DARK, zorder=4, label="members", linewidths=0)
        matrix.set_yticks(range(n), tick_names)
        matrix.set_ylim(n - 0.5, -0.5)  # first set on top
        matrix.set_xlim(-0.6, k - 0.4)
        matrix.tick_params(axis="both", length=0)
        matrix.tick_params(axis="x", labelbottom=False)
        for spine in matrix.spines.values():
            spine.set_visible(False)

        if totals is not None:
            drawn = totals.barh(range(n), sizes, height=0.6,
                                color=[palette.get(name, MISSING_COLOR) for name in names])
            for row, size in enumerate(sizes):  # outside the bar's end (the axis runs leftwards)
                totals.annotate(f"{size}", (size, row), xytext=(-2, 0),
                                textcoords="offset points", ha="right", va="center", fontsize=7)
            totals.invert_xaxis()
            totals.set_xlabel("Set size")
            totals.xaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
            totals.tick_params(axis="y", left=False, labelleft=False)
            totals.spines["left"].set_visible(False)
            totals.margins(x=0.25)
    return UpSetAxes(figure=fig, intersections=bars, matrix=matrix, totals=totals, data=data)


def set_diagram(sets: Mapping[Any, Iterable], **kwargs: Any) -> VennDiagram | UpSetAxes:
    """Draw a Venn diagram for 2 or 3 sets and an UpSet plot for more.

    Parameters
    ----------
    sets : dict
        ``{name: set of members}``, 2 or more.
    **kwargs
        Passed to :func:`venn` (2-3 sets) or :func:`upset` (4 or more).

    Returns
    -------
    matplotlib_venn._common.VennDiagram or UpSetAxes
        Assign it in notebooks (``d = set_diagram(...)``).

    Raises
    ------
    ValueError
        For fewer than 2 sets: one set has no overlaps to draw.
    """
    checked = _as_sets(sets)
    if len(checked) < 2:
        raise ValueError(
            f"set_diagram needs 2 or more sets to compare, got {len(checked)} "
            f"({', '.join(map(repr, checked))}): one set has no overlaps to draw"
        )
    if len(checked) <= 3:
        return venn(sets, **kwargs)
    return upset(sets, **kwargs)
