"""Figure style: one colour-blind-safe palette per category and reproducible output settings.

The palette is Okabe & Ito's (2008), safe for the common colour-vision deficiencies; a study
of eight or nine categories (or groups) gets Paul Tol's "muted" scheme of nine, also safe for
them. The n-th category of a codebook always gets the n-th colour, so every chart of a study
agrees.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["OKABE_ITO", "RC_PARAMS", "TOL_MUTED", "category_palette", "figure_style"]

#: Okabe-Ito colours (black left out: it is used for text).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
)

#: Paul Tol's "muted" qualitative scheme (its pale grey left out: it marks missing data), for
#: eight or nine categories, where the seven Okabe-Ito colours would repeat.
TOL_MUTED: tuple[str, ...] = (
    "#CC6677",  # rose
    "#332288",  # indigo
    "#DDCC77",  # sand
    "#117733",  # green
    "#88CCEE",  # cyan
    "#882255",  # wine
    "#44AA99",  # teal
    "#999933",  # olive
    "#AA4499",  # purple
)

#: Colour of missing / uncategorized values.
MISSING_COLOR = "#999999"

#: rcParams for journal figures with reproducible SVG output.
RC_PARAMS: dict[str, Any] = {
    "svg.hashsalt": "analysis",  # fixed ids in SVG: same figure, same bytes
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "path.simplify": True,
}


def category_palette(categories: Iterable[object]) -> dict[str, str]:
    """Return ``{category: colour}`` in codebook order, each category its own colour.

    Up to seven categories (or groups, or any levels) get the Okabe-Ito colours, eight or
    nine Paul Tol's muted scheme; both stay apart for the common colour-vision deficiencies.
    Beyond nine no qualitative scheme keeps every colour distinct: the colours repeat, and a
    ``UserWarning`` says so (a report states it in the figure's caption).

    Examples
    --------
    >>> category_palette(["Practical", "Emotional"])
    {'Practical': '#0072B2', 'Emotional': '#D55E00'}
    >>> len(set(category_palette(f"C{i}" for i in range(9)).values()))
    9
    """
    names = list(dict.fromkeys(str(c) for c in categories))
    colors = OKABE_ITO if len(names) <= len(OKABE_ITO) else TOL_MUTED
    if len(names) > len(colors):
        warnings.warn(
            f"{len(names)} categories or groups share {len(colors)} colours, so colours "
            "repeat: tell them apart by their labels", UserWarning, stacklevel=2)
    return {c: colors[i % len(colors)] for i, c in enumerate(names)}


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply :data:`RC_PARAMS` inside a ``with`` block."""
    import matplotlib as mpl

    with mpl.rc_context(RC_PARAMS):
        yield


def notebook_setup() -> None:
    """Configure a Jupyter session for reproducible inline figures.

    Applies :data:`RC_PARAMS` globally and makes the inline backend render SVG without a
    date, so re-running a notebook gives byte-identical figure outputs (which ``pytest
    --nbval`` compares). Outside IPython only the rcParams are set.
    """
    import matplotlib as mpl

    mpl.rcParams.update(RC_PARAMS)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of the notebooks
        return
    ip = get_ipython()
    if ip is None:
        return
    ip.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    # SVG, no date in the file, and ids fixed by RC_PARAMS["svg.hashsalt"]
    set_matplotlib_formats("svg", bbox_inches="tight", metadata={"Date": None})
