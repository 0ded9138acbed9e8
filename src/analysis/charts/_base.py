"""Shared chart machinery: argument checks, new axes, style context, reproducible saving."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..style import RC_PARAMS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

__all__ = ["check_columns", "laid_out", "new_axes", "save_figure", "style"]

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


@contextmanager
def laid_out(fig: Figure) -> Iterator[Bbox | None]:
    """Lay a figure out once for all the files saved from it; yield the box to save.

    Saving with ``savefig.bbox = "tight"`` (:data:`analysis.style.RC_PARAMS`) makes
    matplotlib draw a figure twice per file: once without output to run its layout engine
    (constrained layout) and find the tight box, once to write the file. Inside this block
    the layout engine is run once (without that first draw), measuring text as the SVG
    backend does (72 points an inch, as the PDF backend too); then the engine is switched
    off, so every file saved in the block keeps that layout, and the tight box (padded as
    matplotlib pads it) is yielded for ``savefig(bbox_inches=...)``. The layout engine is
    restored when the block ends. Within RC_PARAMS, the SVG saved with the box is
    byte-identical to the SVG matplotlib saves by itself.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Yields
    ------
    matplotlib.transforms.Bbox or None
        The area to save, in inches; None when ``savefig.bbox`` is not ``"tight"`` (save
        the whole figure).
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    tight = mpl.rcParams["savefig.bbox"] == "tight"
    if engine is None and not tight:
        yield None
        return
    dpi = fig.dpi
    save_dpi = mpl.rcParams["savefig.dpi"]
    save_dpi = dpi if save_dpi == "figure" else save_dpi
    box = None
    canvas = fig.canvas
    FigureCanvasSVG(fig)  # the layout engine measures text with the canvas's renderer
    fig.dpi = 72  # as matplotlib's SVG and PDF backends draw
    try:
        width, height = fig.get_size_inches()
        renderer = MixedModeRenderer(
            fig, width, height, save_dpi,
            RendererSVG(width * 72, height * 72, io.StringIO(), image_dpi=save_dpi))
        if engine is not None:  # what the draw before a tight save is for
            engine.execute(fig)
        else:
            with renderer._draw_disabled():
                fig.draw(renderer)
        if tight:
            box = fig.get_tightbbox(renderer)
            pad = mpl.rcParams["savefig.pad_inches"]
            if isinstance(engine, ConstrainedLayoutEngine) and pad == "layout":
                box = box.padded(engine.get()["w_pad"], engine.get()["h_pad"])
            else:
                pad = mpl.rcParams["savefig.pad_inches"] if pad in (None, "layout") else pad
                box = box.padded(pad, pad)
    finally:
        fig.dpi = dpi
        fig.set_canvas(canvas)
    fig.set_layout_engine(None)
    try:
        yield box
    finally:
        fig.set_layout_engine(engine)


def save_figure(
    fig: Figure, path: str | os.PathLike[str], *, formats: tuple[str, ...] = ("svg", "pdf", "png"),
    bbox: Bbox | None = None,
) -> list[Path]:
    """Save a figure as SVG, PDF and PNG (300 dpi) with fixed metadata.

    The same figure gives byte-identical SVG and PDF files on every run (no dates, fixed
    SVG ids). Each file is written to a temporary name and renamed, so a failure leaves no
    partial file. The figure is laid out once for all formats (:func:`laid_out`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Target path without extension (an extension, if given, is replaced).
    formats : tuple of str
        Any of ``"svg"``, ``"pdf"``, ``"png"``.
    bbox : matplotlib.transforms.Bbox, optional
        The area to save in inches, as yielded by :func:`laid_out` around this call (a
        figure already laid out is not laid out again); by default the figure is laid
        out here.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib as mpl

    from ..io import atomic_path

    base = Path(path)
    base = base.with_suffix("") if base.suffix.lower() in {".svg", ".pdf", ".png"} else base
    for fmt in formats:
        if fmt not in _FIXED_METADATA:
            raise ValueError(f"format {fmt!r} is not one of svg, pdf, png")
    written = []
    with mpl.rc_context(RC_PARAMS):
        with laid_out(fig) if bbox is None else nullcontext(bbox) as box:
            for fmt in formats:
                target = base.parent / f"{base.name}.{fmt}"
                with atomic_path(target) as tmp, (
                        _lean_pdf_fonts() if fmt == "pdf" else nullcontext()):
                    fig.savefig(tmp, format=fmt, metadata=_FIXED_METADATA[fmt], dpi=300,
                                bbox_inches=box)
                written.append(target)
    return written


#: OpenType layout tables (substitution, positioning) that a PDF's embedded font never uses:
#: matplotlib places every glyph itself. Subsetting them is most of the time of a PDF.
_LAYOUT_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH"]


class _LeanSubset:
    """``fontTools.subset`` whose options also drop :data:`_LAYOUT_TABLES`."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def Options(self, *args: Any, **kwargs: Any) -> Any:
        options = self._module.Options(*args, **kwargs)
        options.drop_tables += _LAYOUT_TABLES
        return options


@contextmanager
def _lean_pdf_fonts() -> Iterator[None]:
    """Embed PDF fonts without their layout tables inside the block.

    The fonts of a PDF are subsets of DejaVu Sans (``pdf.fonttype`` 42) holding the glyphs
    drawn. Left alone, fontTools also subsets the font's glyph substitution and
    positioning tables (~0.1 s a font, three fonts a figure); a PDF viewer never reads
    them, as matplotlib gives every glyph's place. Where matplotlib's internals differ
    from those expected, fonts are embedded as matplotlib does.
    """
    try:
        from matplotlib.backends import _backend_pdf_ps as pdf_ps
    except ImportError:  # pragma: no cover - other matplotlib layout
        yield
        return
    module = getattr(pdf_ps, "subset", None)
    if module is None or not hasattr(module, "Options"):  # pragma: no cover
        yield
        return
    pdf_ps.subset = _LeanSubset(module)
    try:
        yield
    finally:
        pdf_ps.subset = module
