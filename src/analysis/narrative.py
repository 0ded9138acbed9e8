"""The report in words: alt texts of figures, the choice of Figure 1, findings and methods.

Everything here turns numbers that :mod:`analysis.tables` and :mod:`analysis.stats` already
computed into sentences; nothing new is estimated. Each finding says which unit was counted
and how far the test used lets it be read (note-level tests are descriptive: notes of one
session are not independent).

:func:`findings` takes each ingredient as an argument: the session-level tables of
:mod:`analysis.stats` (``comparison`` from ``group_comparison``/``group_test``,
``residuals`` from ``adjusted_residuals``, ``shares``, ``common_test``, and the saturation
of Guest et al., ``reached`` and ``orders``) are stated as the result, each with its unit
and what it assumes; the note-level ones (``chi2``, ``observed``, ``expected``,
``saturation``) are still accepted when the session-level tables are not given.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "checklist",
    "describe_bars",
    "describe_category_map",
    "describe_counts",
    "describe_regions",
    "describe_saturation",
    "describe_saturation_band",
    "describe_upset",
    "describe_valence",
    "figure1_choice",
    "findings",
    "methods",
    "wilson_interval",
]


def _list(items: Sequence[str], conj: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def _pct(part: float, whole: float, decimals: int = 0) -> str:
    return f"{100 * part / whole:.{decimals}f}%" if whole else "0%"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# --- alt texts ------------------------------------------------------------------------------


def describe_bars(freq: pd.DataFrame, *, label: str = "theme", value: str = "notes",
                  n: int = 3) -> str:
    """Alt text of a bar chart: how many bars, the largest and the smallest."""
    if not len(freq):
        return "An empty bar chart: nothing was counted."
    top = freq.nlargest(n, value, keep="first")
    low = freq.iloc[[-1]] if len(freq) > n else freq.iloc[[]]
    big = _list([f"{r[label]} ({int(r[value])})" for _, r in top.iterrows()])
    small = "".join(f"; the smallest: {r[label]} ({int(r[value])})" for _, r in low.iterrows())
    return (f"Horizontal bars of {_plural(len(freq), label)} by number of {value}. "
            f"The largest: {big}{small}.")


def describe_category_map(data: pd.DataFrame, *, n: int = 2) -> str:
    """Alt text of :func:`analysis.charts.category_map`: each region, its size and tone."""
    parts = []
    toned = bool(data["negative"].sum() + data["positive"].sum())
    for cat, part in data.groupby("category", observed=True, sort=True):
        total = int(part["notes"].sum())
        top = _list([f"{r.theme} ({int(r.notes)})" for r in part.head(n).itertuples()])
        tone = (f", {_pct(part['negative'].sum(), total)} negative and "
                f"{_pct(part['positive'].sum(), total)} positive" if toned else "")
        parts.append(f"{cat}: {_plural(len(part), 'theme')}, {total} notes{tone}; "
                     f"largest {top}")
    bar = ("a bar of notes split into negative, neutral and positive" if toned
           else "a bar of its notes")
    return (f"A map of {_plural(len(parts), 'category', 'categories')}, each a box listing its "
            f"themes with {bar}. " + ". ".join(parts) + ".")


def describe_regions(regions: pd.DataFrame, *, sets: Sequence[str], unit: str) -> str:
    """Alt text of a Venn diagram from :func:`analysis.charts.venn_regions`."""
    shown = regions[regions["size"] > 0]
    items = []
    for _, r in shown.sort_values("size", ascending=False, kind="stable").iterrows():
        inside = [s for s in sets if bool(r[s])]
        where = ("all of " + _list(inside) if len(inside) == len(sets) and len(sets) > 1
                 else "only " + inside[0] if len(inside) == 1 else "both " + _list(inside)
                 if len(inside) == 2 else _list(inside))
        items.append(f"{int(r['size'])} in {where}")
    empty = len(regions) - len(shown)
    return (f"Venn diagram of {_list(list(sets))}, counting {unit}: "
            + "; ".join(items) + (f"; {empty} other region{'s' if empty != 1 else ''} empty."
                                  if empty else "."))


def describe_upset(data: pd.DataFrame, *, sets: Sequence[str], unit: str, shown: int) -> str:
    """Alt text of an UpSet plot from :func:`analysis.charts.upset_data`."""
    items = [f"{int(r['size'])} {unit} in " + _list([s for s in sets if bool(r[s])])
             for _, r in data.head(min(shown, 5)).iterrows()]
    return (f"UpSet plot of {_plural(len(sets), 'set')}: bars of the {shown} largest "
            f"intersections above a matrix of dots. The largest: {'; '.join(items)}.")


def describe_counts(table: pd.DataFrame, *, rows: str, columns: str, unit: str = "notes"
                    ) -> str:
    """Alt text of grouped bars of a rows x columns table of counts."""
    if table.empty:
        return "An empty bar chart."
    stacked = table.stack()
    (r, c), v = stacked.idxmax(), stacked.max()
    totals = _list([f"{k} {int(x)}" for k, x in table.sum(axis=1).items()])
    return (f"Grouped bars of {unit} per {rows} (one bar per {columns}). Totals: {totals}. "
            f"The tallest bar: {r} in {c} ({int(v)} {unit}).")


def describe_valence(tone: pd.DataFrame, *, n: int = 3) -> str:
    """Alt text of :func:`analysis.charts.valence_bars` from a theme x valence table."""
    parts = []
    for v in ("negative", "positive"):
        if v in tone and tone[v].sum():
            top = tone[v].sort_values(ascending=False, kind="stable").head(n)
            named = _list([f"{k} ({int(x)})" for k, x in top.items() if x])
            parts.append(f"{'Most' if not parts else 'most'} {v} notes: {named}")
    return (f"Bars of negative and positive notes for each of {_plural(len(tone), 'theme')}. "
            + "; ".join(parts) + ".")


def describe_saturation(curve: pd.DataFrame, point: pd.DataFrame) -> str:
    """Alt text of :func:`analysis.charts.saturation_curve`."""
    overall = curve[curve["scope"] == curve["scope"].iloc[0]] if len(curve) else curve
    text = (f"Line of distinct themes found so far against sessions in date order, rising to "
            f"{int(overall['cumulative'].max()) if len(overall) else 0} themes over "
            f"{len(overall)} sessions")
    reached = point[point["reached"].fillna(False).astype(bool)] if len(point) else point
    if len(reached):
        r = reached.iloc[0]
        text += (f"; for {r['scope']} the curve is flat after session {int(r['order'])} "
                 f"({r['group']} session {r['session']})")
    return text + "."


def describe_saturation_band(band: pd.DataFrame, reached: pd.DataFrame | None = None, *,
                             scope: str = "all groups") -> str:
    """Alt text of :func:`analysis.charts.saturation_band`, one scope of its data.

    ``reached`` (:func:`analysis.stats.saturation_reached`) adds where saturation was reached.
    """
    part = band[band["scope"] == scope]
    if not len(part):
        return "An empty saturation chart: no session has a theme."
    last, at = part.iloc[-1], part.iloc[min(2, len(part) - 1)]
    text = (f"Line of distinct themes found so far against {len(part)} sessions in date order, "
            f"rising to {int(last['cumulative'])} themes, drawn over a grey band of random "
            f"session orders (after {int(at['order'])} sessions the band spans "
            f"{at['low']:.0f} to {at['high']:.0f} themes, the date order "
            f"{int(at['cumulative'])})")
    row = (reached[reached["scope"] == scope] if reached is not None and len(reached)
           else None)
    if row is not None and len(row) and bool(row["reached"].iloc[0]):
        text += (f"; saturation after Guest et al. is reached after "
                 f"{int(row['sessions_needed'].iloc[0])} sessions in date order")
    return text + "."


# --- Figure 1 -------------------------------------------------------------------------------


def figure1_choice(regions: pd.DataFrame | None, *, n_sets: int, nearly: float = 0.9
                   ) -> tuple[str, str]:
    """Choose Figure 1: the categories' Venn diagram over sessions, or a map of their themes.

    Parameters
    ----------
    regions : pandas.DataFrame or None
        :func:`analysis.charts.venn_regions` of the categories' session sets (None when
        there are not two or three categories).
    n_sets : int
        Number of categories.
    nearly : float, default 0.9
        Share of all sessions in one region above which the Venn diagram says too little.

    Returns
    -------
    kind : {"venn", "map"}
    reason : str
        A sentence for the report saying which diagram was drawn and why.
    """
    if regions is None or not 2 <= n_sets <= 3:
        return "map", (f"The study has {_plural(n_sets, 'category', 'categories')}; a Venn "
                       "diagram needs two or three, so Figure 1 maps each category's themes.")
    total = int(regions["size"].sum())
    filled = regions[regions["size"] > 0]
    if total == 0:
        return "map", "No session has a categorized note, so Figure 1 maps the themes."
    biggest = filled["size"].max()
    if len(filled) == 1:
        return "map", (
            f"All {total} sessions fall in a single region of the categories' Venn diagram "
            "(each session touched the same categories), so it would show one number; "
            "Figure 1 maps each category's themes instead.")
    if biggest / total >= nearly:
        return "map", (
            f"One region of the categories' Venn diagram holds {int(biggest)} of {total} "
            f"sessions ({_pct(biggest, total)}), so it would say little; Figure 1 maps each "
            "category's themes instead.")
    return "venn", (f"The {total} sessions spread over {len(filled)} regions of the "
                    "categories' Venn diagram, so Figure 1 shows it.")


# --- findings -------------------------------------------------------------------------------


def wilson_interval(k: int, n: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    if n == 0:
        return (float("nan"), float("nan"))
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def findings(
    *,
    overview: pd.DataFrame,
    common: pd.DataFrame | None = None,
    chi2: pd.DataFrame | None = None,
    observed: pd.DataFrame | None = None,
    expected: pd.DataFrame | None = None,
    saturation: pd.DataFrame | None = None,
    interval: Callable[[int, int], tuple[float, float]] | None = wilson_interval,
    interval_label: str = "95% Wilson interval, treating notes as independent",
    test_label: str = "note-level chi-square test, descriptive since notes of one session "
                      "are not independent",
    test_cautions: Sequence[str] = (),
    comparison: pd.DataFrame | None = None,
    residuals: pd.DataFrame | None = None,
    shares: pd.DataFrame | None = None,
    common_test: pd.DataFrame | None = None,
    reached: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
) -> list[str]:
    """Return the main findings as sentences generated from the report's tables.

    Parameters
    ----------
    overview : pandas.DataFrame
        :func:`analysis.tables.overview` (the ``Total`` row gives the valence shares).
    common : pandas.DataFrame, optional
        :func:`analysis.stats.commonality` (themes shared by all groups per category).
    chi2, observed, expected : pandas.DataFrame, optional
        :func:`analysis.stats.chi2_independence` of category by group. A session-level test
        can be passed instead, with ``test_label`` saying what it is; its ``pval`` column is
        used.
    saturation : pandas.DataFrame, optional
        :func:`analysis.stats.saturation_point`.
    interval : callable, optional
        ``(k, n) -> (low, high)`` for the share of negative and positive notes; default
        :func:`wilson_interval`; None leaves the interval out.
    interval_label, test_label : str
        How the interval and the test are described in the sentences.
    test_cautions : sequence of str
        Warnings the test raised (expected counts too small, ...), added to its sentence.
    comparison : pandas.DataFrame, optional
        :func:`analysis.stats.group_test` or :func:`analysis.stats.group_comparison`: the
        session-permutation test of category by group. When given, its ``All`` row is the
        result (``pval`` with ``pval_se``), the note-level ``pval_notes`` is quoted as
        descriptive, and ``chi2`` / ``observed`` / ``expected`` are not used.
    residuals : pandas.DataFrame, optional
        :func:`analysis.stats.adjusted_residuals`: the cells beyond ±2 are named, hedged to
        the session-level test (``comparison``) when it is given.
    shares : pandas.DataFrame, optional
        :func:`analysis.stats.shares` of ``valence`` (e.g. ``method="bootstrap"``): its
        interval is stated first, with its unit, and ``interval`` (Wilson, notes) beside it.
    common_test : pandas.DataFrame, optional
        :func:`analysis.stats.commonality_test`: categories whose themes the groups share
        less (or more) than groups of randomly dealt sessions (permutation p below 0.05).
    reached, orders : pandas.DataFrame, optional
        :func:`analysis.stats.saturation_reached` and :func:`analysis.stats.saturation_orders`
        (Guest et al. 2020); when given they replace ``saturation``'s rule.

    Returns
    -------
    list of str
        Plain sentences (no markup), most general first.
    """
    out: list[str] = []
    total = overview.loc["Total"] if "Total" in overview.index else overview.sum()
    n = int(total.get("notes", 0))
    groups = [g for g in overview.index if g != "Total"]
    out.append(f"The analysis counts {_plural(n, 'note')} of "
               f"{_plural(int(total.get('themes', 0)), 'theme')} in "
               f"{_plural(int(total.get('sessions', 0)), 'session')} of "
               f"{_plural(len(groups), 'group')}.")
    if common is not None and len(common) and len(groups) > 1:
        rows = common.drop(index="All", errors="ignore")
        full = [str(c) for c, r in rows.iterrows()
                if r["themes"] and r["shared_by_all"] == r["themes"]]
        least = rows["share_shared"].astype(float).idxmin() if len(rows) else None
        if full:
            out.append(f"Every theme of {_list(full)} was raised by all {len(groups)} groups"
                       " (themes counted once per group).")
        if least is not None and str(least) not in full:
            r = rows.loc[least]
            out.append(f"The groups differed most in {least}: {int(r['shared_by_all'])} of its "
                       f"{int(r['themes'])} themes were raised by every group.")
    out.extend(_common_sentences(common_test))
    toned = sum(int(total[v]) for v in ("negative", "positive") if v in total.index)
    if n and not toned:
        out.append("No note was recorded as negative or positive, so the tone of the content "
                   "is not described.")
    if n and toned:
        for v in ("negative", "positive"):
            if v in total.index:
                k = int(total[v])
                text = f"{_pct(k, n)} of the notes were {v} ({k} of {n}"
                row = (shares[(shares["by"] == "All") & (shares["level"] == v)]
                       if shares is not None and len(shares) else None)
                if row is not None and len(row):
                    r = row.iloc[0]
                    how = (f"bootstrap over the {int(r['n_sessions'])} sessions"
                           if r["method"] == "bootstrap" else "Wilson, treating notes as "
                           "independent")
                    text += (f"; 95% interval {100 * r['low']:.0f}% to {100 * r['high']:.0f}%"
                             f", {how} (unit: {r['unit']})")
                    if interval is not None and r["method"] == "bootstrap":
                        lo, hi = interval(k, n)
                        text += (f"; Wilson interval, treating notes as independent: "
                                 f"{100 * lo:.0f}% to {100 * hi:.0f}%")
                elif interval is not None:
                    lo, hi = interval(k, n)
                    text += f"; {interval_label}: {100 * lo:.0f}% to {100 * hi:.0f}%"
                out.append(text + ").")
    if comparison is not None and len(comparison):
        out.extend(_comparison_sentences(comparison, residuals))
    elif chi2 is not None and len(chi2) and observed is not None and expected is not None:
        p = float(chi2["pval"].iloc[0])
        ratio = (observed / expected.replace(0, np.nan)).stack()
        (cat, grp), r = ratio.idxmax(), ratio.max()
        verdict = ("the categories were not spread alike over the groups" if p < 0.05 else
                   "no clear difference appeared in how the categories were spread over the "
                   "groups")
        out.append(
            f"By a {test_label}, {verdict} (p = {p:.3f}). The largest excess: "
            f"{grp} noted {cat} {int(observed.loc[cat, grp])} times against "
            f"{expected.loc[cat, grp]:.0f} expected if categories and groups were unrelated"
            f" ({r:.2f} times as often)."
            + "".join(f" Caution: {c.rstrip('.')}." for c in test_cautions))
    if reached is not None and len(reached):
        out.extend(_guest_sentences(reached, orders))
    elif saturation is not None and len(saturation):
        reached = saturation[saturation["reached"].fillna(False).astype(bool)]
        missed = saturation[~saturation["reached"].fillna(False).astype(bool)]
        for _, r in reached.iterrows():
            out.append(f"For {r['scope']}, no new theme appeared after {r['group']} session "
                       f"{r['session']} (session {int(r['order'])} of {int(r['sessions'])} in "
                       f"date order): saturation by the report's rule.")
        if len(missed):
            out.append(f"Within {_list([str(s) for s in missed['scope']])}, new themes kept "
                       "appearing too late for saturation by the same rule.")
    return out


def _share(x: float) -> str:
    """Return a share as a percentage: whole when it is 0 or 1, else to one decimal."""
    return f"{100 * x:.0f}%" if x in (0.0, 1.0) else f"{100 * x:.1f}%"


def _p(p: float) -> str:
    return f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def _comparison_sentences(comparison: pd.DataFrame, residuals: pd.DataFrame | None
                          ) -> list[str]:
    """Sentences of the session-level group test and of the cells that drive it."""
    row = comparison.loc["All"] if "All" in comparison.index else comparison.iloc[-1]
    p, se = float(row["pval"]), float(row["pval_se"])
    verdict = ("the categories were not spread alike over the groups" if p < 0.05 else
               "no clear difference appeared in how the categories were spread over the "
               "groups")
    text = (f"By a session-level permutation test (group labels shuffled over whole sessions,"
            f" {int(row['n_permutations']):,} permutations; unit: sessions; assumes sessions "
            f"are exchangeable between groups), {verdict} (p = {_p(p)}, Monte-Carlo standard "
            f"error {se:.4f}; {int(row['n_sessions'])} sessions). Cramér's V is "
            f"{float(row['cramer']):.2f} (95% bootstrap interval over sessions "
            f"{float(row['cramer_low']):.2f} to {float(row['cramer_high']):.2f}). The "
            f"note-level chi-square gives p = {_p(float(row['pval_notes']))}, descriptive "
            "only, since notes of one session are not independent.")
    out = [text]
    if residuals is not None and len(residuals):
        x, y = residuals.columns[0], residuals.columns[1]
        big = residuals[residuals["residual"].abs() >= 2].sort_values(
            "residual", key=abs, ascending=False, kind="stable")
        hedge = ("; they treat notes as independent and describe where the counts depart "
                 "from independence" + (", which the session-level test does not confirm"
                                        if p >= 0.05 else "") + ".")
        if len(big):
            cells = _list([f"{r[y]} noted {r[x]} {int(r['observed'])} times against "
                           f"{r['expected']:.0f} expected (adjusted residual "
                           f"{r['residual']:+.2f})" for _, r in big.iterrows()])
            out.append(f"Cells beyond ±2 in Haberman's adjusted residuals (unit: notes): "
                       f"{cells}" + hedge)
        else:
            r = residuals.loc[residuals["residual"].abs().idxmax()]
            out.append(f"No cell lies beyond ±2 in Haberman's adjusted residuals (unit: "
                       f"notes); the largest is {r[y]} for {r[x]} ({r['residual']:+.2f})"
                       + hedge)
    return out


def _common_sentences(test: pd.DataFrame | None) -> list[str]:
    """Sentences of :func:`analysis.stats.commonality_test` for the categories that stand out."""
    if test is None or not len(test):
        return []
    rows = test.drop(index="All", errors="ignore")
    out = []
    for word, col in (("fewer", "pval_less"), ("more", "pval_more")):
        hit = rows[rows[col] < 0.05]
        if len(hit):
            parts = _list([f"{c} (mean pairwise Jaccard {r['mean_pairwise_jaccard']:.2f} "
                           f"against {r['null_jaccard']:.2f}, p = {_p(float(r[col]))})"
                           for c, r in hit.iterrows()])
            out.append(f"The groups shared {word} of the themes of {parts} than groups made "
                       f"of randomly dealt sessions would (permutation test over "
                       f"{int(hit['n_sessions'].iloc[0])} sessions; unit: sessions).")
    if not out:
        out.append("No category's themes were shared by the groups more or less than by "
                   "groups made of randomly dealt sessions (permutation test, p ≥ 0.05; "
                   "unit: sessions).")
    return out


def _guest_sentences(reached: pd.DataFrame, orders: pd.DataFrame | None) -> list[str]:
    """Saturation after Guest et al. (2020), in date order and over random orders."""
    first = reached.iloc[0]
    rule = (f"saturation after Guest et al. (2020): a base of {int(first['base'])} sessions, "
            f"runs of {int(first['run'])}, new-information threshold "
            f"{100 * float(first['threshold']):.0f}%; unit: sessions")
    by = orders.set_index("scope") if orders is not None and len(orders) else None
    parts = []
    for _, r in reached.iterrows():
        scope = str(r["scope"])
        if bool(r["reached"]):
            text = (f"{scope}: reached after {int(r['sessions_needed'])} of "
                    f"{int(r['sessions'])} sessions in date order")
        else:
            text = f"{scope}: not reached in date order ({int(r['sessions'])} sessions)"
        if by is not None and scope in by.index:
            o = by.loc[scope]
            if float(o["share_reached"]) > 0:
                text += (f"; median {o['median']:.0f} over {int(o['n_orders']):,} random "
                         f"orders, range {int(o['min'])} to {int(o['max'])}, reached in "
                         f"{_share(float(o['share_reached']))} of them")
            else:
                text += f"; not reached in any of {int(o['n_orders']):,} random orders"
        parts.append(text)
    return [f"By {rule}. " + "; ".join(p[0].upper() + p[1:] for p in parts) + "."]


# --- methods --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            h.update(chunk)
    return h.hexdigest()


def methods(study: Any, *, notes: pd.DataFrame, read_options: dict[str, Any] | None = None,
            dayfirst: bool = True) -> pd.DataFrame:
    """Return the methods appendix as a two-column table (``item``, ``value``).

    Input file and SHA-256, read options (those of the run and those the reader recorded,
    ``study.log.options``), layout and column mapping (``study.log.layout`` /
    ``study.log.columns`` when the reader records them, else the notes' own layout record),
    where the codebook came from (``study.log.codebook``), records kept and rejected (with
    the rejections by reason), category conflicts and notes moved, label merges, codebook
    history steps, coders and how double coding was handled, and software versions.
    """
    import matplotlib
    import scipy

    from . import __version__

    log = study.log
    rows: list[tuple[str, str]] = []
    src = Path(study.source) if study.source else None
    if src is not None and src.is_file():
        rows.append(("input file", src.name))
        rows.append(("SHA-256 of the input", _sha256(src)))
    options = {"dayfirst": dayfirst, **(read_options or {})}
    rows.append(("read options", "; ".join(f"{k} = {v}" for k, v in options.items())))
    given = dict(getattr(log, "options", None) or {})
    rows.append(("read options recorded by the reader",
                 "; ".join(f"{k} = {v}" for k, v in given.items()) or "none (defaults)"))
    layout = getattr(log, "layout", None)
    columns = getattr(log, "columns", None)
    note_layout = study.notes.attrs.get("layout") if hasattr(study.notes, "attrs") else None
    if layout:
        rows.append(("layout", str(layout)))
    elif isinstance(note_layout, dict) and note_layout.get("sheet"):
        rows.append(("layout", f"notes read from sheet {note_layout['sheet']!r}, header in "
                               f"row {note_layout.get('header_row', '?')}"))
    if not columns and isinstance(note_layout, dict):
        columns = note_layout.get("columns")
    if columns:
        rows.append(("column mapping", "; ".join(f"{k} ← {v}" for k, v in dict(columns).items())))
    rows.append(("codebook source", str(getattr(log, "codebook", None) or "none")))
    rows.append(("records", f"read {log.read}, kept {log.kept}, rejected {len(log.rejected)}"))
    if len(log.rejected):
        reasons = log.rejected.summary()
        rows.append(("rejections by reason", "; ".join(
            f"{r['reason']} ({int(r['count'])})" for _, r in reasons.iterrows())))
    conflicts = list(getattr(log, "conflicts", None) or [])
    moves = list(getattr(log, "moves", None) or [])
    rows.append(("category conflicts", "; ".join(str(c) for c in conflicts) or "none"))
    if conflicts or moves:
        rows.append(("notes moved to another category", str(len(moves))))
    if log.sheets:
        rows.append(("records per sheet", "; ".join(f"{k}: {v}" for k, v in log.sheets.items())))
    rows.append(("warnings at import", str(len(log.warnings))))
    rows.append(("theme labels merged", "; ".join(
        f"{m.raw!r} → {m.theme!r} ({m.reason}, {m.count})" for m in log.merges) or "none"))
    history = study.history
    rows.append(("codebook history", f"{len(history)} recorded step(s), replayed in order"
                 if history is not None and len(history) else "none recorded"))
    coders = (study.notes["coder"].dropna().astype(str).value_counts(sort=False)
              if "coder" in study.notes else pd.Series(dtype=int))
    kept = (notes["coder"].dropna().astype(str).unique() if "coder" in notes else [])
    if len(coders) > 1:
        rows.append(("coders", "; ".join(f"{c}: {k} notes" for c, k in coders.items())))
        rows.append(("double coding", f"sessions coded twice are counted once: the report "
                     f"counts the notes of {_list(sorted(kept))}; in each double-coded session "
                     "the primary coder's (the coder named in the sessions sheet, else the "
                     "one who coded most sessions in the study); every session is kept. "
                     "Agreement between coders is reported over the double-coded sessions."))
    else:
        rows.append(("coders", _list(list(coders.index)) or "not recorded"))
    rows.append(("notes counted", f"{len(notes)} of {len(study.notes)}"))
    rows.append(("software", f"analysis {__version__}; Python {platform.python_version()}; "
                 f"pandas {pd.__version__}; numpy {np.__version__}; scipy {scipy.__version__};"
                 f" matplotlib {matplotlib.__version__}"))
    rows.append(("platform", f"{platform.system()} {platform.machine()}"))
    return pd.DataFrame(rows, columns=["item", "value"])


def checklist(study: Any, *, notes: pd.DataFrame, quotes: pd.DataFrame | None = None
              ) -> pd.DataFrame:
    """Return the COREQ and SRQR items the data can answer, with where the report answers.

    Columns ``guideline``, ``item``, ``answered`` (bool), ``where``.
    """
    has = {
        "participants": study.participants is not None and len(study.participants) > 0,
        "sessions": study.sessions is not None and len(study.sessions) > 0,
        "coders": "coder" in notes and notes["coder"].notna().any(),
        "codebook": study.codebook is not None and len(study.codebook) > 0,
        "quotes": quotes is not None and len(quotes) > 0,
        "speakers": quotes is not None and len(quotes) > 0 and quotes["speaker"].notna().any(),
        "dates": "date" in notes and notes["date"].notna().any(),
    }
    items = [
        ("COREQ 12", "Sample size", True, "Overview by group (sessions, notes)"),
        ("COREQ 16", "Description of sample", has["participants"], "Participants and ratings"),
        ("COREQ 18", "Repeat sessions and their dates", has["dates"] or has["sessions"],
         "Overview; saturation"),
        ("COREQ 22", "Data saturation", True, "Saturation"),
        ("COREQ 24", "Number of data coders", has["coders"], "Methods appendix"),
        ("COREQ 25", "Description of the coding tree", has["codebook"], "Codebook table"),
        ("COREQ 26", "Derivation of themes", True, "Codebook history"),
        ("COREQ 29", "Quotations presented, identified by participant", has["quotes"],
         "Illustrative quotations" + (" (pseudonyms)" if has["speakers"] else "")),
        ("COREQ 30", "Data and findings consistent", True, "Findings; tables"),
        ("COREQ 31", "Clarity of major themes", True, "Main themes of each category"),
        ("SRQR 11", "Data processing", True, "Methods appendix; import"),
        ("SRQR 12", "Data analysis", True, "Methods appendix; statistics stated per table"),
        ("SRQR 17", "Links to empirical data", has["quotes"], "Illustrative quotations"),
    ]
    return pd.DataFrame(items, columns=["guideline", "item", "answered", "where"])
