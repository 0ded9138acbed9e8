"""Homogeneity of categories: how strongly their themes co-occur in sessions."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._codes import codes_of, first_at, presence, session_ids, shared_counts
from ._sessions import holm

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


def theme_homogeneity(notes: pd.DataFrame, *, n_permutations: int = 0, alpha: float = 0.05,
                      seed: int | None = 0) -> pd.DataFrame:
    """How close each theme sits to its own category, by co-occurrence in sessions.

    The paper's criterion is that categories be "internally as homogeneous as possible and
    externally as heterogeneous as possible". Here closeness is the mean Jaccard similarity
    of a theme's session set with the session sets of the themes of a category (itself
    left out).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``category`` set.
    n_permutations : int, default 0
        When above 0, compare every theme with random assignments of the themes to the
        categories (each category keeping its number of themes), that many times, and add
        the columns below. Recommended: 10_000.
    alpha : float, default 0.05
        Family-wise level of ``flag`` (Holm's method over the themes).
    seed : int or None, default 0
        Seed of the random assignments.

    Returns
    -------
    pandas.DataFrame
        One row per theme with a category, in codebook order. Columns: ``theme``,
        ``category``, ``own`` (mean Jaccard with the other themes of its category; NaN when
        it is alone there), one column per category with the mean Jaccard with that
        category's themes, ``nearest`` (the category with the highest mean), and
        ``closer_elsewhere`` (True when another category's mean is higher than ``own``: a
        raw comparison, about as frequent under random assignments as in real codebooks).

        With ``n_permutations`` above 0, also: ``margin`` (``own`` minus the highest other
        category's mean; negative when closer elsewhere), ``null_margin`` (its mean over
        the random assignments), ``pval`` (share of random assignments with a margin at or
        below the observed one, (1 + #) / (1 + n)), ``pval_holm`` (Holm-adjusted over the
        themes), ``flag`` (``closer_elsewhere`` and ``pval_holm`` below ``alpha``: only
        themes that sit further from their category than random assignments would put
        them are flagged), ``n_permutations``. Unit: theme presence in group-sessions.

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
    table = pd.DataFrame(rows, columns=["theme", "category", "own", *categories, "nearest",
                                        "closer_elsewhere"])
    if n_permutations:
        n = _count(n_permutations)
        rng = np.random.Generator(np.random.PCG64(seed))
        margin = _margin(means, member)
        hits = np.zeros(len(themes))
        total = np.zeros(len(themes))
        defined = np.zeros(len(themes))
        step = max(1, 2_000_000 // max(len(themes) * max(len(categories), 1), 1))
        for start in range(0, n, step):
            own_null, else_null = _own_and_elsewhere(
                *_null_means(values, member, min(step, n - start), rng))
            null = own_null - else_null  # permutations x themes
            with np.errstate(invalid="ignore"):
                hits += (null <= margin[None, :] + 1e-12).sum(axis=0)
            total += np.nansum(null, axis=0)
            defined += (~np.isnan(null)).sum(axis=0)
        pval = np.where(np.isnan(margin), np.nan, (1 + hits) / (1 + n))
        table["margin"] = margin
        with np.errstate(invalid="ignore", divide="ignore"):
            table["null_margin"] = np.where(defined > 0, total / defined, np.nan)
        table["pval"] = pval
        table["pval_holm"] = holm(pval)
        table["flag"] = table["closer_elsewhere"] & (table["pval_holm"] < alpha)
        table["n_permutations"] = int(n_permutations)
    return table


def _count(n: object) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n_permutations={n!r}: give a whole number, 0 or more")
    return int(n)


def _null_means(values: np.ndarray, member: np.ndarray, n: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Mean Jaccard of every theme with every category under random assignments.

    ``member`` is themes x categories (one True per row). Returns the permuted memberships
    (n x themes x categories) and the means (same shape; NaN for no other theme).
    """
    labels = member.argmax(axis=1)
    j0 = values.copy()
    np.fill_diagonal(j0, 0.0)
    perm = rng.permuted(np.broadcast_to(labels, (n, len(labels))), axis=1)
    m = perm[:, :, None] == np.arange(member.shape[1])[None, None, :]
    sums = np.einsum("ij,bjc->bic", j0, m.astype(float))
    others = m.sum(axis=1, keepdims=True) - m
    with np.errstate(invalid="ignore", divide="ignore"):
        return m, np.where(others > 0, sums / np.where(others > 0, others, 1), np.nan)


def _own_and_elsewhere(member: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean with the theme's own category and the highest mean with another, per theme."""
    own = np.where(member, means, 0.0).sum(axis=-1)
    own = np.where(np.isnan(np.where(member, means, 0.0)).any(axis=-1), np.nan, own)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no other category: NaN
        elsewhere = np.nanmax(np.where(member, np.nan, means), axis=-1)
    return own, elsewhere


def _margin(means: np.ndarray, member: np.ndarray) -> np.ndarray:
    own, elsewhere = _own_and_elsewhere(member, means)
    return own - elsewhere


def category_homogeneity(notes: pd.DataFrame, *, n_permutations: int = 0,
                         alpha: float = 0.05, confidence: float = 0.95,
                         seed: int | None = 0) -> pd.DataFrame:
    """Mean within- and between-category Jaccard similarity of theme session sets.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``category`` set.
    n_permutations : int, default 0
        When above 0, compare each category's ratio with random assignments of the themes
        to the categories (same number of themes per category), that many times, and add
        the columns below. Recommended: 10_000.
    alpha : float, default 0.05
        Level of ``beats_null``.
    confidence : float, default 0.95
        Central share of the random ratios between ``null_low`` and ``null_high``.
    seed : int or None, default 0

    Returns
    -------
    pandas.DataFrame
        One row per category (codebook order). Columns: ``themes`` (number of themes used),
        ``within`` (mean Jaccard over pairs of its themes), ``between`` (mean Jaccard over
        pairs of one of its themes and a theme of another category), ``ratio``
        (within / between; above 1 means the category's themes co-occur with each other more
        than with the rest).

        With ``n_permutations`` above 0, also: ``null_mean``, ``null_low``, ``null_high``
        (mean and central range of the ratio of a random set of themes of the same size),
        ``pval`` ((1 + #{random ratio >= ratio}) / (1 + n)), ``beats_null`` (``pval`` below
        ``alpha``: the category's themes co-occur more than a random category of its size
        would), ``n_permutations``. A ratio above 1 alone is not evidence: frequent themes
        co-occur with everything, and random categories have ratios near 1 on average.
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
    table = pd.DataFrame(rows).set_index("category")
    n = _count(n_permutations)
    if n:
        if not 0 < confidence < 1:
            raise ValueError(f"confidence={confidence!r}: give a level between 0 and 1")
        names = list(table.index)
        keep = pd.notna(labels)
        position = {name: i for i, name in enumerate(names)}
        codes = np.array([position[v] for v in labels[keep]], dtype=np.int64)
        member = codes[:, None] == np.arange(len(names))[None, :]
        ratio = _null_ratios(values[np.ix_(keep, keep)], member, n, seed)
        a = (1 - confidence) / 2
        observed = table["ratio"].to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # empty categories: NaN
            table["null_mean"] = np.nanmean(ratio, axis=0)
            table["null_low"] = np.nanquantile(ratio, a, axis=0)
            table["null_high"] = np.nanquantile(ratio, 1 - a, axis=0)
        hits = (ratio >= observed[None, :] * (1 - 1e-9) - 1e-12).sum(axis=0)
        table["pval"] = np.where(np.isnan(observed), np.nan, (1 + hits) / (1 + n))
        table["beats_null"] = table["pval"] < alpha
        table["n_permutations"] = n
    return table


def _null_ratios(values: np.ndarray, member: np.ndarray, n: int, seed: int | None
                 ) -> np.ndarray:
    """Within / between ratio of every category under random assignments (n x categories)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    labels = member.argmax(axis=1)
    j0 = values.copy()
    np.fill_diagonal(j0, 0.0)
    out = np.empty((n, member.shape[1]))
    step = max(1, 2_000_000 // max(len(labels) ** 2, 1))
    for start in range(0, n, step):
        b = min(step, n - start)
        perm = rng.permuted(np.broadcast_to(labels, (b, len(labels))), axis=1)
        m = (perm[:, :, None] == np.arange(member.shape[1])[None, None, :]).astype(float)
        jm = np.einsum("ij,bjc->bic", j0, m)
        k = m.sum(axis=1)
        within = (m * jm).sum(axis=1) / 2
        between = ((1 - m) * jm).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = within / (k * (k - 1) / 2)
            bt = between / (k * (len(labels) - k))
            out[start:start + b] = np.where(bt > 0, w / bt, np.nan)
    return out
