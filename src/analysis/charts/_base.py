"""Shared chart machinery: argument checks, new axes, style context, reproducible saving."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..style import RC_PARAMS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["check_columns", "new_axes", "save_figure", "style"]

#: File metadata that would change between runs, removed from saved figures.
_FIXED_METADATA = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
    "png": {},
}


def check_columns(data: pd.DataFrame, **columns: str | None) -> None:
    """Raise ``ValueError`` listing the table's columns when a named column is missing."""
    for role, name in columns.items():
        if name is not None and name not in data.columns:
            raise ValueError(
                f"{role}={name!r} is not a column of the table; columns are "
                f"{', '.join(map(str, data.columns))}"
            )


def new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """Return ``ax``, or the Axes of a new constrained-layout figure of ``size`` inches."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    with plt.rc_context(RC_PARAMS):
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def style():
    """Return a context manager applying :data:`analysis.style.RC_PARAMS`."""
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

    from ..io import atomic_path

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
