"""Charts: DataFrame in, matplotlib Axes out.

No statistics beyond what is drawn, no file I/O except :func:`save_figure`.

Every function takes the table first, then keyword-only options, then ``ax=None``; it draws on
the given Axes (or a new figure) and returns the Axes.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .style import MISSING_COLOR, RC_PARAMS, category_palette

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["save_figure", "theme_bars"]

#: File metadata that would change between runs, removed from saved figures.
_FIXED_METADATA = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "png": {},
}


def _check_columns(data: pd.DataFrame, **columns: str | None) -> None:
    for role, name in columns.items():
        if name is not None and name not in data.columns:
            raise ValueError(
                f"{role}={name!r} is not a column of the table; columns are "
                f"{', '.join(map(str, data.columns))}"
            )


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    with plt.rc_context(RC_PARAMS):
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


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
    _check_columns(data, x=x, y=y, hue=hue)
    n = len(data)
    labels = [textwrap.fill(str(v), wrap) for v in data[y]]
    lines = max((lab.count("\n") + 1 for lab in labels), default=1)
    # every bar gets room for the tallest wrapped label, so labels never overlap
    ax = _new_axes(ax, (6.3, max(2.0, (0.08 + 0.15 * lines) * n + 0.9)))
    with _style():
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


def _style():
    import matplotlib as mpl

    return mpl.rc_context(RC_PARAMS)


def save_figure(
    fig: Figure, path: str | os.PathLike[str], *, formats: tuple[str, ...] = ("svg", "pdf", "png")
) -> list[Path]:
    """Save a figure as SVG, PDF and PNG (300 dpi) with fixed metadata.

    The same figure gives byte-identical SVG and PDF files on every run (no dates, fixed
    SVG ids). Each file is written to a temporary name and renamed, so a failure leaves no
    partial file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Target path without extension (an extension, if given, is replaced).
    formats : tuple of str
        Any of ``"svg"``, ``"pdf"``, ``"png"``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib as mpl

    from .io import atomic_path

    base = Path(path)
    base = base.with_suffix("") if base.suffix.lower() in {".svg", ".pdf", ".png"} else base
    written = []
    with mpl.rc_context(RC_PARAMS):
        for fmt in formats:
            if fmt not in _FIXED_METADATA:
                raise ValueError(f"format {fmt!r} is not one of svg, pdf, png")
            target = base.parent / f"{base.name}.{fmt}"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, metadata=_FIXED_METADATA[fmt], dpi=300)
            written.append(target)
    return written
