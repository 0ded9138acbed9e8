"""A map of the categories: each category a region holding its themes, sized by notes.

When every session touched every category, the session-level Venn diagram of categories has
a single region and says nothing; this map shows what readers of such studies remember:
which themes make up each category, how often each came up, and how much of it was
negative or positive. Building its table is pure pandas (:func:`category_map_data`); drawing
(:func:`category_map`) draws exactly those numbers.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._checks import require_columns
from ._base import check_columns, new_axes, style
from ._frequency import VALENCE_COLORS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["VALENCE_COLORS", "category_map", "category_map_data"]

_THEME_SIZE = 7.0
_HEAD_SIZE = 8.0
_LINE_IN = 0.125  # inches per text line at 7 pt
_PAD_IN = 0.07


def category_map_data(notes: pd.DataFrame) -> pd.DataFrame:
    """Return one row per theme with its category, notes by valence and sessions.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``category`` set.

    Returns
    -------
    pandas.DataFrame
        Columns ``category`` (ordered categorical, codebook order), ``theme``, ``notes``,
        ``negative``, ``neutral``, ``positive`` (notes of each valence; zero without a
        ``valence`` column's level), ``sessions`` (group-sessions in which it came up).
        Categories in codebook order, themes by notes (descending), then sessions, then
        codebook order. Themes without a category are left out.
    """
    from .. import tables

    require_columns(notes, ("group", "session", "theme", "category"))
    freq = tables.theme_frequencies(notes).dropna(subset=["category"])
    out = freq[["category", "theme", "notes", "sessions"]].copy()
    if "valence" in notes:
        tone = tables.counts(notes, of="theme", by="valence")
        tone.index = tone.index.astype(str)
        for v in ("negative", "neutral", "positive"):
            out[v] = (tone[v].reindex(out["theme"]).fillna(0).astype(np.int64).to_numpy()
                      if v in tone else 0)
    else:
        out["negative"], out["positive"] = 0, 0
        out["neutral"] = out["notes"]
    cats = [str(c) for c in notes["category"].cat.categories]
    out["category"] = pd.Categorical(out["category"].astype(str), categories=cats,
                                     ordered=True)
    order = {t: i for i, t in enumerate(notes["theme"].cat.categories)}
    out = out.assign(_c=out["category"].cat.codes, _o=out["theme"].map(order))
    out = out.sort_values(["_c", "notes", "sessions", "_o"],
                          ascending=[True, False, False, True], kind="stable")
    return out.drop(columns=["_c", "_o"])[
        ["category", "theme", "notes", "negative", "neutral", "positive", "sessions"]
    ].reset_index(drop=True)


def category_map(
    data: pd.DataFrame,
    *,
    category: str = "category",
    theme: str = "theme",
    size: str = "notes",
    negative: str | None = "negative",
    positive: str | None = "positive",
    max_themes: int = 12,
    columns: int | None = None,
    wrap: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw each category as a region listing its themes, with bars of notes by valence.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per theme, e.g. :func:`category_map_data`; themes are drawn in row order
        within their category, categories in categorical order (else first appearance).
    category, theme, size : str
        Columns with the category, the theme label and the bar length (notes).
    negative, positive : str or None
        Columns with the negative and positive part of ``size``; the rest is drawn as
        neutral. ``None`` draws whole bars in grey.
    max_themes : int, default 12
        Themes listed per category; the others are summarized in one line
        (``+ 4 more themes, 23 notes``).
    columns : int, optional
        Regions per row; default 3 (fewer when there are fewer categories).
    wrap : int, optional
        Characters per line of a theme label (labels wrap, never cut); default: what fits
        beside the bars.
    ax : matplotlib.axes.Axes, optional
        Where to draw (its data limits are set to the map in inches); a new figure sized
        to the map otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        Region titles are texts with ``gid`` ``"category:<name>"``, theme labels
        ``"theme:<name>"``, bar segments rectangles with ``gid``
        ``"bar:<theme>:<negative|neutral|positive>"``.
    """
    check_columns(data, category=category, theme=theme, size=size, negative=negative,
                  positive=positive)
    if max_themes < 1:
        raise ValueError(f"max_themes={max_themes!r}: give 1 or more")
    if negative and positive and not (data[negative].sum() + data[positive].sum()):
        negative = positive = None  # no tone recorded: whole grey bars, no shares
    col = data[category]
    cats = ([c for c in col.cat.categories if (col == c).any()]
            if isinstance(col.dtype, pd.CategoricalDtype) else list(dict.fromkeys(col.dropna())))
    if not cats:
        raise ValueError("category_map needs at least one theme with a category")
    ncol = columns or min(3, len(cats))
    width_in = 6.9 if ncol >= 3 else 2.45 * ncol + 0.3
    col_w = width_in / ncol
    label_w = col_w * 0.58
    wrap = wrap or max(12, int(label_w * 72 / (_THEME_SIZE * 0.58)))
    bar_x0, bar_w = label_w + 0.1, col_w - label_w - 0.45
    vmax = float(data[size].max()) or 1.0

    blocks: list[dict[str, Any]] = []
    for c in cats:
        part = data[data[category] == c]
        shown, rest = part.head(max_themes), part.iloc[max_themes:]
        rows = []
        for _, r in shown.iterrows():
            label = textwrap.fill(str(r[theme]), wrap)
            rows.append((r, label, label.count("\n") + 1))
        total = int(part[size].sum())
        neg = int(part[negative].sum()) if negative else 0
        pos = int(part[positive].sum()) if positive else 0
        head = textwrap.fill(str(c), max(12, int((col_w - 0.3) * 72 / (_HEAD_SIZE * 0.62))))
        share = (f"{total} notes, {100 * neg / total:.0f}% negative, "
                 f"{100 * pos / total:.0f}% positive" if total and negative and positive
                 else f"{total} notes")
        lines = sum(n for _, _, n in rows) + (1 if len(rest) else 0)
        height = (head.count("\n") + 2) * _LINE_IN * 1.25 + lines * _LINE_IN + len(rows) * 0.045
        blocks.append({"name": str(c), "rows": rows, "rest": rest, "head": head,
                       "share": share, "height": height + 2 * _PAD_IN})
    nrow = math.ceil(len(blocks) / ncol)
    row_h = [max(b["height"] for b in blocks[i * ncol:(i + 1) * ncol]) for i in range(nrow)]
    legend_h = 0.3
    height_in = sum(row_h) + 0.1 * (nrow - 1) + legend_h

    ax = new_axes(ax, (width_in, height_in))
    from matplotlib.patches import FancyBboxPatch, Rectangle

    with style():
        ax.set_xlim(0, width_in)
        ax.set_ylim(height_in, 0)
        ax.set_axis_off()
        y0 = 0.0
        for i, b in enumerate(blocks):
            r_i, c_i = divmod(i, ncol)
            if c_i == 0 and r_i:
                y0 += row_h[r_i - 1] + 0.1
            x = c_i * col_w
            ax.add_patch(FancyBboxPatch(
                (x + 0.04, y0 + 0.02), col_w - 0.08, row_h[r_i] - 0.04,
                boxstyle="round,pad=0,rounding_size=0.08", facecolor="#F7F7F7",
                edgecolor="#9A9A9A", linewidth=0.9, gid=f"region:{b['name']}"))
            y = y0 + _PAD_IN + 0.02
            ax.text(x + 0.12, y, b["head"], fontsize=_HEAD_SIZE, fontweight="bold", va="top",
                    ha="left", color="#222222", gid=f"category:{b['name']}")
            y += (b["head"].count("\n") + 1) * _LINE_IN * 1.25
            ax.text(x + 0.12, y, b["share"], fontsize=_THEME_SIZE - 0.5, va="top", ha="left",
                    color="#444444")
            y += _LINE_IN * 1.35
            for r, label, n_lines in b["rows"]:
                h = n_lines * _LINE_IN
                ax.text(x + 0.12, y, label, fontsize=_THEME_SIZE, va="top", ha="left",
                        linespacing=1.05, gid=f"theme:{r[theme]}")
                total = float(r[size])
                neg = float(r[negative]) if negative else 0.0
                pos = float(r[positive]) if positive else 0.0
                parts = (("negative", neg), ("neutral", max(total - neg - pos, 0.0)),
                         ("positive", pos))
                left = x + bar_x0
                bar_h = min(0.09, h * 0.8)
                for kind, value in parts:
                    w = bar_w * value / vmax
                    if w > 0:
                        ax.add_patch(Rectangle((left, y + 0.01), w, bar_h,
                                               facecolor=VALENCE_COLORS[kind], linewidth=0,
                                               gid=f"bar:{r[theme]}:{kind}"))
                    left += w
                ax.text(left + 0.03, y + 0.01 + bar_h / 2, f"{int(total)}",
                        fontsize=_THEME_SIZE - 0.5, va="center", ha="left", color="#333333")
                y += h + 0.045
            if len(b["rest"]):
                ax.text(x + 0.12, y, f"+ {len(b['rest'])} more theme"
                        f"{'s' if len(b['rest']) != 1 else ''}, "
                        f"{int(b['rest'][size].sum())} notes", fontsize=_THEME_SIZE - 0.5,
                        va="top", ha="left", style="italic", color="#444444")
        # legend of the bar colours
        ly = height_in - legend_h / 2
        lx = 0.12
        items = ([("negative", "negative notes"), ("neutral", "neutral"),
                  ("positive", "positive")] if negative and positive
                 else [("neutral", "notes")])
        for kind, text in items:
            ax.add_patch(Rectangle((lx, ly - 0.045), 0.18, 0.09,
                                   facecolor=VALENCE_COLORS[kind], linewidth=0))
            t = ax.text(lx + 0.24, ly, text, fontsize=_THEME_SIZE, va="center", ha="left")
            lx += 0.35 + 0.055 * len(text)
            del t
        ax.text(width_in - 0.05, ly, "bar length: number of notes", fontsize=_THEME_SIZE,
                va="center", ha="right", color="#444444")
    return ax
