"""Homogeneity of categories: how strongly their themes co-occur in sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._codes import codes_of, first_at, presence, session_ids, shared_counts

__all__ = ["category_homogeneity", "cooccurrence", "session_jaccard", "theme_homogeneity"]


def _presence(notes: pd.DataFrame, level: str = "theme") -> tuple[list[str], np.ndarray]:
    """Return the labels used at ``level`` and their boolean label x group-session matrix.

    Labels keep the categorical (codebook) order and only those noted at least once appear.
    Notes without a group or a session number are left out.
    """
    codes, labels = codes_of(notes[level])
    ids, first = session_ids(notes)
    # a note without a group or a session number cannot be placed in a session
    placed = notes["group"].notna().to_numpy() & notes["session"].notna().to_numpy()
    matrix = presence(np.where(placed, codes, -1), len(labels), ids, len(first))
    used = matrix.any(axis=1)
    return [str(t) for t in labels[used]], matrix[used]


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
        Square and symmetric, in codebook order on both axes; themes (categories) never
        noted are left out.

    Notes
    -----
    A group-session is a distinct (group, session) pair; notes without a group or a session
    number cannot be placed in one and are left out.
    """
    if level not in ("theme", "category"):
        raise ValueError(f"level={level!r} is not one of 'theme', 'category'")
    if measure not in ("count", "jaccard"):
        raise ValueError(f"measure={measure!r} is not one of 'count', 'jaccard'")
    names, matrix = _presence(notes, level)
    inter = shared_counts(matrix)
    if measure == "jaccard":
        sizes = np.diagonal(inter)
        union = sizes[:, None] + sizes[None, :] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(union > 0, inter / union, 0.0)
    else:
        values = inter
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
    """Return the category of each theme (as strings), taken from its first note with one."""
    tcodes, themes = codes_of(notes["theme"])
    ccodes, categories = codes_of(notes["category"])
    first = first_at(tcodes, len(themes), (tcodes >= 0) & (ccodes >= 0))
    found = np.flatnonzero(first < len(tcodes))
    found = found[np.argsort(first[found], kind="stable")]  # order of first appearance
    return pd.Series(np.asarray(categories.astype(str), dtype=object)[ccodes[first[found]]],
                     index=np.asarray(themes.astype(str), dtype=object)[found])


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
    keep = cat.notna().to_numpy()
    themes = list(jac.index[keep])
    own_cat = cat.to_numpy()[keep]
    categories = [str(c) for c in notes["category"].cat.categories]
    values = jac.to_numpy()[np.ix_(keep, keep)]
    member = np.array([[c == name for name in categories] for c in own_cat],
                      dtype=bool).reshape(len(themes), len(categories))
    # sum and number of the other themes of each category (the theme itself left out)
    others = member.sum(axis=0)[None, :] - member
    sums = ((values[:, :, None] * member[None, :, :]).sum(axis=1)
            - np.diagonal(values)[:, None] * member)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(others > 0, sums / np.where(others > 0, others, 1), np.nan)
    rows = []
    for i, t in enumerate(themes):
        own = float(means[i, categories.index(own_cat[i])])
        valid = [(means[i, j], name == own_cat[i], j) for j, name in enumerate(categories)
                 if not np.isnan(means[i, j])]
        nearest = categories[max(valid, key=lambda v: (v[0], v[1]))[2]] if valid else None
        elsewhere = [v for v, mine, _ in valid if not mine]
        rows.append({"theme": t, "category": own_cat[i], "own": own,
                     **{name: float(means[i, j]) for j, name in enumerate(categories)},
                     "nearest": nearest,
                     "closer_elsewhere": bool(elsewhere) and not np.isnan(own)
                     and max(elsewhere) > own})
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
