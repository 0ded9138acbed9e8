"""Bar charts of theme frequencies."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..style import MISSING_COLOR, RC_PARAMS, category_palette
from ._base import check_columns, new_axes, style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["MAX_BARS", "most_frequent", "theme_bars"]

#: Most themes the report's per-theme bar charts draw (theme frequencies, valence by theme).
#: A codebook of more themes is drawn as its most frequent themes, the caption says so and
#: every theme stays in the tables; at 50 bars a chart is ~12 inches tall, and each bar
#: beyond adds a tick label laid out on every save.
MAX_BARS = 50


def most_frequent(table: pd.DataFrame, n: int | None = MAX_BARS, *,
                  by: str | None = None) -> tuple[pd.DataFrame, int]:
    """Return the ``n`` rows of a counts table with the largest counts, and how many are left.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per bar, e.g. :func:`analysis.tables.theme_frequencies` or
        ``tables.counts(notes, of="theme", by="valence")``.
    n : int or None, default :data:`MAX_BARS`
        Rows to keep; ``None`` keeps every row.
    by : str, optional
        Column with the counts to rank by; default the sum of the row's numeric columns.

    Returns
    -------
    (pandas.DataFrame, int)
        The kept rows in the table's order (ties go to the earlier row), and the number of
        rows left out (0 when the table has at most ``n`` rows: then it is returned as is).

    Examples
    --------
    >>> t = pd.DataFrame({"theme": list("abcd"), "notes": [1, 5, 3, 5]})
    >>> kept, left = most_frequent(t, 2, by="notes")
    >>> list(kept["theme"]), left
    (['b', 'd'], 2)
    """
    if n is None or len(table) <= n:
        return table, 0
    if n < 1:
        raise ValueError(f"n={n!r}: give 1 or more, or None for every row")
    size = (table[by] if by is not None else table.select_dtypes("number").sum(axis=1))
    ranked = np.argsort(-size.to_numpy(dtype=float), kind="stable")[:n]
    return table.iloc[np.sort(ranked)], len(table) - n


def theme_bars(
    data: pd.DataFrame,
    *,
    x: str = "notes",
    y: str = "theme",
    hue: str | None = "category",
    palette: dict[str, str] | None = None,
    wrap: int = 40,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw themes as horizontal bars, in the table's order, coloured by category.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per theme, e.g. :func:`analysis.tables.theme_frequencies`; drawn top to
        bottom in row order.
    x : str, default "notes"
        Column with the bar lengths.
    y : str, default "theme"
        Column with the labels; long labels are wrapped at ``wrap`` characters, never cut.
    hue : str or None, default "category"
        Column that colours the bars (a categorical keeps its order in the legend).
    palette : dict, optional
        ``{hue value: colour}``; default :func:`analysis.style.category_palette`.
    wrap : int, default 40
        Characters per label line.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the number of bars otherwise.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.barh`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_columns(data, x=x, y=y, hue=hue)
    n = len(data)
    labels = [textwrap.fill(str(v), wrap) for v in data[y]]
    lines = max((lab.count("\n") + 1 for lab in labels), default=1)
    # every bar gets room for the tallest wrapped label, so labels never overlap
    ax = new_axes(ax, (6.3, max(2.0, (0.08 + 0.15 * lines) * n + 0.9)))
    with style():
        if hue is not None:
            levels = (list(data[hue].cat.categories)
                      if isinstance(data[hue].dtype, pd.CategoricalDtype)
                      else list(dict.fromkeys(data[hue].dropna())))
            palette = palette or category_palette(levels)
            colors = [palette.get(str(v), MISSING_COLOR) if pd.notna(v) else MISSING_COLOR
                      for v in data[hue]]
        else:
            levels, colors = [], [kwargs.pop("color", RC_PARAMS.get("color", "#0072B2"))] * n
        positions = list(range(n))
        ax.barh(positions, data[x].to_numpy(), color=colors, **kwargs)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_xlabel(f"Number of {x}" if x in ("notes", "sessions") else x)
        ax.margins(y=0.01)
        if hue is not None:
            from matplotlib.patches import Patch

            present = [lv for lv in levels if (data[hue] == lv).any()]
            handles = [Patch(color=palette.get(str(lv), MISSING_COLOR), label=str(lv))
                       for lv in present]
            if handles:
                ax.legend(handles=handles, title=None, loc="lower right")
    return ax


