"""Frequency charts: grouped and stacked bars, diverging valence bars, heatmaps, curves.

Each takes a table computed elsewhere (``analysis.tables``, ``analysis.stats``) and draws it
as it is: bar lengths are the table's values, labels its index and columns.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._checks import check_choice
from ..style import MISSING_COLOR, OKABE_ITO, category_palette
from ._base import new_axes, style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["count_bars", "heatmap", "saturation_band", "saturation_curve", "valence_bars"]

#: Colours of the valences: vermillion for negative, grey for neutral, blue for positive.
VALENCE_COLORS = {"negative": OKABE_ITO[1], "neutral": "#BBBBBB", "positive": OKABE_ITO[0]}




def _wrap(labels: Any, width: int) -> list[str]:
    return [textwrap.fill(str(v), width) for v in labels]


def count_bars(
    table: pd.DataFrame,
    *,
    stacked: bool = False,
    horizontal: bool = True,
    palette: dict[str, str] | None = None,
    wrap: int = 40,
    xlabel: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw a counts table as grouped or stacked bars: one bar group per row.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows are the bars' categories (e.g. themes or categories), columns the series (e.g.
        groups), as returned by :func:`analysis.tables.counts`. Drawn in the table's order.
    stacked : bool, default False
        Stack the series instead of placing them side by side.
    horizontal : bool, default True
        Horizontal bars (long theme names stay readable); vertical when False.
    palette : dict, optional
        ``{column: colour}``; default: the Okabe-Ito colours in column order (the category
        palette when the columns are categories).
    wrap : int, default 40
        Characters per label line; labels are wrapped, never cut.
    xlabel : str, optional
        Axis label of the values (default: "Number of notes").
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to ``barh``/``bar``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    n_rows, n_cols = table.shape
    if n_rows == 0 or n_cols == 0:
        raise ValueError("the table is empty: nothing to draw")
    palette = palette or category_palette(table.columns)
    labels = _wrap(table.index, wrap)
    lines = max(lab.count("\n") + 1 for lab in labels)
    per_row = (0.1 + 0.14 * lines) if stacked else max(0.1 + 0.14 * lines, 0.12 * n_cols + 0.1)
    size = (6.3, max(2.2, per_row * n_rows + 1.0)) if horizontal else \
        (max(3.3, 0.35 * n_rows * (1 if stacked else n_cols) + 1.2), 3.6)
    ax = new_axes(ax, size)
    positions = np.arange(n_rows, dtype=float)
    height = 0.8 if stacked else 0.8 / n_cols
    left = np.zeros(n_rows)
    with style():
        for j, col in enumerate(table.columns):
            values = table[col].to_numpy(dtype=float)
            color = palette.get(str(col), MISSING_COLOR)
            if stacked:
                where, base = positions, left.copy()
                left += values
            else:
                where, base = positions - 0.4 + height * (j + 0.5), np.zeros(n_rows)
            if horizontal:
                ax.barh(where, values, height=height, left=base, color=color, label=str(col),
                        **kwargs)
            else:
                ax.bar(where, values, width=height, bottom=base, color=color, label=str(col),
                       **kwargs)
        if horizontal:
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
            ax.set_xlabel(xlabel or "Number of notes")
        else:
            ax.set_xticks(positions, labels)
            ax.set_ylabel(xlabel or "Number of notes")
        ax.legend(title=table.columns.name or None, loc="best")
    return ax


def valence_bars(
    table: pd.DataFrame,
    *,
    neutral: bool = False,
    wrap: int = 40,
    ax: Axes | None = None,
) -> Axes:
    """Diverging bars: negative notes to the left of zero, positive to the right.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``negative`` and ``positive`` (and ``neutral``), rows themes or categories,
        e.g. ``analysis.tables.counts(notes, of="theme", by="valence")``.
    neutral : bool, default False
        Also draw neutral notes, split half on each side of zero.
    wrap : int, default 40
        Characters per label line.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Bar widths are negative for the left side (``-negative``), so artists carry the
        counts with their sign.
    """
    missing = [c for c in ("negative", "positive") if c not in table.columns]
    if missing:
        raise ValueError(f"the table lacks column(s) {', '.join(missing)}; pass "
                         "tables.counts(notes, by='valence')")
    if neutral and "neutral" not in table.columns:
        raise ValueError("neutral=True needs a 'neutral' column")
    labels = _wrap(table.index, wrap)
    lines = max((lab.count("\n") + 1 for lab in labels), default=1)
    ax = new_axes(ax, (6.3, max(2.2, (0.1 + 0.14 * lines) * len(table) + 1.0)))
    pos = np.arange(len(table), dtype=float)
    neg = table["negative"].to_numpy(dtype=float)
    posv = table["positive"].to_numpy(dtype=float)
    half = table["neutral"].to_numpy(dtype=float) / 2 if neutral else np.zeros(len(table))
    with style():
        ax.barh(pos, -neg, left=-half, color=VALENCE_COLORS["negative"], label="negative")
        if neutral:
            ax.barh(pos, -half, color=VALENCE_COLORS["neutral"], label="neutral")
            ax.barh(pos, half, color=VALENCE_COLORS["neutral"])
        ax.barh(pos, posv, left=half, color=VALENCE_COLORS["positive"], label="positive")
        ax.margins(y=0.01)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        limit = float(np.max(np.r_[neg + half, posv + half, 1]))
        ax.set_xlim(-limit * 1.05, limit * 1.05)
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [f"{abs(t):g}" for t in ticks])
        ax.set_xlim(-limit * 1.05, limit * 1.05)
        ax.set_xlabel("Number of notes (negative ← → positive)")
        ax.legend(loc="lower right")
    return ax


def heatmap(
    table: pd.DataFrame,
    *,
    cmap: str = "Blues",
    annotate: bool | None = None,
    fmt: str = "{:g}",
    wrap: int = 40,
    colorbar: bool = True,
    label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw a table as a heatmap (e.g. themes x sessions, co-occurrence).

    Parameters
    ----------
    table : pandas.DataFrame
        Numbers; rows and columns in the order to draw (e.g.
        ``tables.counts(notes, of="theme", by="session")`` or ``stats.cooccurrence(notes)``).
    cmap : str, default "Blues"
        A sequential colour map (perceptually uniform, prints in greyscale).
    annotate : bool, optional
        Write each value in its cell; default when the table has at most 400 cells.
    fmt : str
        Format of the annotations.
    wrap : int, default 40
        Characters per row label line.
    colorbar : bool, default True
    label : str, optional
        Colour bar label.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The image is ``ax.images[0]``; its array equals the table's values.
    """
    values = table.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    if n_rows == 0 or n_cols == 0:
        raise ValueError("the table is empty: nothing to draw")
    annotate = (values.size <= 400) if annotate is None else annotate
    ax = new_axes(ax, (min(12.0, max(4.0, 0.3 * n_cols + 3.0)),
                       min(14.0, max(2.5, 0.26 * n_rows + 1.3))))
    with style():
        image = ax.imshow(values, cmap=cmap, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(n_cols), [str(c) for c in table.columns], rotation=90)
        ax.set_yticks(range(n_rows), _wrap(table.index, wrap))
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if annotate:
            top = np.nanmax(values) if np.isfinite(values).any() else 0
            for i in range(n_rows):
                for j in range(n_cols):
                    v = values[i, j]
                    if np.isfinite(v) and v != 0:
                        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=6,
                                color="white" if v > top * 0.6 else "black")
        if colorbar:
            bar = ax.figure.colorbar(image, ax=ax, shrink=0.6)
            finite = values[np.isfinite(values)]
            if finite.size and np.all(finite == np.round(finite)):
                from matplotlib.ticker import MaxNLocator

                bar.locator = MaxNLocator(integer=True)  # counts: whole-number ticks
                bar.update_ticks()
            if label:
                bar.set_label(label)
    return ax


def saturation_curve(
    curve: pd.DataFrame,
    *,
    x: str | None = None,
    scopes: list[str] | None = None,
    palette: dict[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw cumulative distinct themes over sessions, one step line per scope.

    Parameters
    ----------
    curve : pandas.DataFrame
        The output of :func:`analysis.stats.saturation` (``scope``, ``order``,
        ``cumulative``, ``new``).
    x : {"date", "order"}, optional
        Horizontal axis: the session date (default when every session has one, so all
        curves share the calendar), or the session's rank within its scope.
    scopes : list of str, optional
        Which scopes to draw (default all, in their order).
    palette : dict, optional
        ``{scope: colour}``; default black for "all groups" and Okabe-Ito for groups.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One line per scope (``ax.lines``), whose y data is the ``cumulative`` column.
    """
    missing = [c for c in ("scope", "order", "cumulative") if c not in curve.columns]
    if missing:
        raise ValueError(f"the table lacks column(s) {', '.join(missing)}; pass "
                         "stats.saturation(notes)")
    names = scopes or [str(s) for s in dict.fromkeys(curve["scope"])]
    if palette is None:
        groups = [s for s in names if s != "all groups"]
        palette = {"all groups": "black", **category_palette(groups)}
    if x is None:
        x = "date" if "date" in curve and curve["date"].notna().all() else "order"
    check_choice("x", x, ("date", "order"))
    ax = new_axes(ax, (4.5, 3.0))
    with style():
        for name in names:
            part = curve[curve["scope"].astype(str) == name]
            if part.empty:
                raise ValueError(f"scope {name!r} is not in the curve; scopes are "
                                 f"{', '.join(map(str, dict.fromkeys(curve['scope'])))}")
            ax.step(part[x], part["cumulative"], where="post", label=name,
                    color=palette.get(name, MISSING_COLOR),
                    linewidth=1.6 if name == "all groups" else 1.1)
        if x == "date":
            import matplotlib.dates as mdates

            ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
            ax.set_xlabel("Session date")
        else:
            ax.set_xlabel("Session (rank within each curve, in date order)")
        ax.set_ylabel("Distinct themes so far")
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right")
    return ax


def saturation_band(
    data: pd.DataFrame,
    *,
    scope: str = "all groups",
    color: str = "black",
    band_color: str = "#BBBBBB",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw the date-order saturation curve over the band of random session orders.

    Parameters
    ----------
    data : pandas.DataFrame
        The output of :func:`analysis.stats.saturation_band` (``scope``, ``order``,
        ``cumulative``, ``median``, ``low``, ``high``).
    scope : str, default "all groups"
        Which scope to draw.
    color : str, default "black"
        Colour of the date-order curve.
    band_color : str, default "#BBBBBB"
        Colour of the band (``low`` to ``high``) and of the median line.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to the date-order step line.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections[0]`` is the band; ``ax.lines[0]`` the median over random orders,
        ``ax.lines[1]`` the date-order curve (its y data is ``cumulative``).
    """
    missing = [c for c in ("scope", "order", "cumulative", "median", "low", "high")
               if c not in data.columns]
    if missing:
        raise ValueError(f"the table lacks column(s) {', '.join(missing)}; pass "
                         "stats.saturation_band(notes)")
    part = data[data["scope"].astype(str) == scope]
    if part.empty:
        raise ValueError(f"scope {scope!r} is not in the table; scopes are "
                         f"{', '.join(map(str, dict.fromkeys(data['scope'])))}")
    ax = new_axes(ax, (4.5, 3.0))
    x = part["order"].to_numpy()
    with style():
        ax.fill_between(x, part["low"].to_numpy(dtype=float),
                        part["high"].to_numpy(dtype=float), step="post", color=band_color,
                        alpha=0.5, linewidth=0, label="random orders (central range)")
        ax.step(x, part["median"].to_numpy(dtype=float), where="post", color=band_color,
                linestyle="--", linewidth=1.0, label="random orders (median)")
        ax.step(x, part["cumulative"].to_numpy(dtype=float), where="post", color=color,
                linewidth=1.6, label="date order", **kwargs)
        ax.set_xlabel("Sessions held")
        ax.set_ylabel("Distinct themes so far")
        ax.set_ylim(bottom=0)
        ax.set_title(scope)
        ax.legend(loc="lower right")
    return ax
