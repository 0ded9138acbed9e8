"""Homogeneity of categories: how strongly their themes co-occur in sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["category_homogeneity", "cooccurrence", "session_jaccard", "theme_homogeneity"]


def _presence(notes: pd.DataFrame, level: str = "theme") -> pd.DataFrame:
    """Return the boolean theme (or category) x session matrix of presence."""
    used = notes.dropna(subset=[level])
    keys = used["group"].astype(str) + "\x1f" + used["session"].astype(str)
    table = pd.crosstab(used[level].astype(str), keys) > 0
    order = [str(t) for t in notes[level].cat.categories if str(t) in table.index]
    return table.reindex(order)


def cooccurrence(notes: pd.DataFrame, *, level: str = "theme", measure: str = "count"
                 ) -> pd.DataFrame:
    """Co-occurrence of themes (or categories) within sessions.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    level : {"theme", "category"}
    measure : {"count", "jaccard"}
        ``"count"``: number of group-sessions in which both came up (the diagonal is the
        number of sessions of each); ``"jaccard"``: that count divided by the number of
        sessions in which either came up.

    Returns
    -------
    pandas.DataFrame
        Square and symmetric, in codebook order on both axes.
    """
    if level not in ("theme", "category"):
        raise ValueError(f"level={level!r} is not one of 'theme', 'category'")
    if measure not in ("count", "jaccard"):
        raise ValueError(f"measure={measure!r} is not one of 'count', 'jaccard'")
    presence = _presence(notes, level)
    m = presence.to_numpy(dtype=np.int64)
    inter = m @ m.T
    if measure == "jaccard":
        sizes = m.sum(axis=1)
        union = sizes[:, None] + sizes[None, :] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(union > 0, inter / union, 0.0)
    else:
        values = inter
    names = list(presence.index)
    return pd.DataFrame(values, index=pd.Index(names, name=level),
                        columns=pd.Index(names, name=level))


def session_jaccard(notes: pd.DataFrame) -> pd.DataFrame:
    """Jaccard similarity of the session sets of every pair of themes.

    For themes *a* and *b* with session sets *A* and *B* (the group-sessions in which each was
    noted), J = |A ∩ B| / |A ∪ B|; 1 on the diagonal. Same as
    ``cooccurrence(notes, level="theme", measure="jaccard")``.

    Returns
    -------
    pandas.DataFrame
        Square, themes (codebook order) on both axes.
    """
    return cooccurrence(notes, level="theme", measure="jaccard")


def _category_of(notes: pd.DataFrame) -> pd.Series:
    pairs = notes.dropna(subset=["theme", "category"]).drop_duplicates("theme")
    return pd.Series(pairs["category"].astype(str).to_numpy(),
                     index=pairs["theme"].astype(str).to_numpy())


def theme_homogeneity(notes: pd.DataFrame) -> pd.DataFrame:
    """How close each theme sits to its own category, by co-occurrence in sessions.

    The paper's criterion is that categories be "internally as homogeneous as possible and
    externally as heterogeneous as possible". Here closeness is the mean Jaccard similarity
    of a theme's session set with the session sets of the themes of a category (itself
    left out).

    Returns
    -------
    pandas.DataFrame
        One row per theme with a category, in codebook order. Columns: ``theme``,
        ``category``, ``own`` (mean Jaccard with the other themes of its category; NaN when
        it is alone there), one column per category with the mean Jaccard with that
        category's themes, ``nearest`` (the category with the highest mean), and
        ``closer_elsewhere`` (True when another category's mean is higher than ``own``).

    Notes
    -----
    A prompt to reconsider an assignment, not a verdict: themes that come up in every
    session (e.g. a recurring emotional theme) are close to everything, and a rare theme's
    mean rests on few sessions. Categories are defined by meaning; co-occurrence is only one
    kind of evidence about it.
    """
    jac = session_jaccard(notes)
    cat = _category_of(notes).reindex(jac.index)
    themes = [t for t in jac.index if pd.notna(cat.get(t))]
    categories = [str(c) for c in notes["category"].cat.categories]
    rows = []
    for t in themes:
        means = {}
        for c in categories:
            members = [u for u in themes if cat[u] == c and u != t]
            means[c] = float(jac.loc[t, members].mean()) if members else np.nan
        own = means[cat[t]]
        others = {c: v for c, v in means.items() if c != cat[t] and not np.isnan(v)}
        valid = {c: v for c, v in means.items() if not np.isnan(v)}
        nearest = max(valid, key=lambda c: (valid[c], c == cat[t])) if valid else None
        rows.append({"theme": t, "category": cat[t], "own": own, **means,
                     "nearest": nearest,
                     "closer_elsewhere": bool(others) and not np.isnan(own)
                     and max(others.values()) > own})
    return pd.DataFrame(rows, columns=["theme", "category", "own", *categories, "nearest",
                                       "closer_elsewhere"])


def category_homogeneity(notes: pd.DataFrame) -> pd.DataFrame:
    """Mean within- and between-category Jaccard similarity of theme session sets.

    Returns
    -------
    pandas.DataFrame
        One row per category (codebook order). Columns: ``themes`` (number of themes used),
        ``within`` (mean Jaccard over pairs of its themes), ``between`` (mean Jaccard over
        pairs of one of its themes and a theme of another category), ``ratio``
        (within / between; above 1 means the category's themes co-occur with each other more
        than with the rest).
    """
    jac = session_jaccard(notes)
    cat = _category_of(notes).reindex(jac.index)
    values = jac.to_numpy()
    labels = cat.to_numpy()
    upper = np.triu(np.ones_like(values, dtype=bool), k=1)
    rows = []
    for c in [str(x) for x in notes["category"].cat.categories]:
        mine = labels == c
        within = values[np.outer(mine, mine) & upper]
        other = ~mine & pd.notna(labels)
        between = values[np.outer(mine, other)]
        w = float(within.mean()) if within.size else np.nan
        b = float(between.mean()) if between.size else np.nan
        rows.append({"category": c, "themes": int(mine.sum()), "within": w, "between": b,
                     "ratio": w / b if b and not np.isnan(b) else np.nan})
    return pd.DataFrame(rows).set_index("category")
