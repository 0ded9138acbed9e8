"""Inference with the session as the unit: permutations of whole sessions, bootstrap over sessions.

Notes of one session are not independent observations (same people, one conversation), so
tests that count notes as independent give p-values that are too small. Here the group label
of every session is shuffled over whole sessions (a permutation test), and intervals come
from resampling sessions within each group (a stratified bootstrap). Note-level figures are
returned next to them and labelled descriptive.

Every function takes a ``seed`` (the same seed gives the same numbers) and documents the
unit of each column.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as _st

from .._checks import check_choice
from .._codes import cells_by_column, session_ids
from ._association import _RTOL, _label_codes, _require

__all__ = ["adjusted_residuals", "commonality_test", "group_comparison", "group_test",
           "holm", "shares", "wilson_interval"]

#: Largest number of floats a batch of resamples may hold at once (about 32 MB).
_BATCH_CELLS = 4_000_000

_ASSUMES = ("sessions are exchangeable between groups under the null hypothesis (no "
            "difference between groups); notes of a session are not assumed independent")


def _check_count(name: str, value: object, minimum: int = 1) -> int:
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value < minimum):
        raise ValueError(f"{name}={value!r}: give a whole number, {minimum} or more")
    return int(value)


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r}: give a level between 0 and 1, e.g. 0.95")
    return float(confidence)


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def holm(pvalues: np.ndarray | list[float]) -> np.ndarray:
    """Holm's step-down adjustment of p-values (family-wise error rate).

    Parameters
    ----------
    pvalues : array-like
        Unadjusted p-values; NaN entries are left NaN and do not count in the family.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same order: the i-th smallest of m is multiplied by m - i + 1,
        made monotone and capped at 1 (Holm 1979).
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def wilson_interval(count: np.ndarray | int, total: np.ndarray | int,
                    confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion ``count / total``.

    Returns
    -------
    low, high : numpy.ndarray
        The interval's bounds (NaN where ``total`` is 0). Assumes the ``total`` units are
        independent (Wilson 1927).
    """
    k = np.asarray(count, dtype=float)
    n = np.asarray(total, dtype=float)
    z = _st.norm.ppf(1 - (1 - _check_confidence(confidence)) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return center - half, center + half


def _sessions(notes: pd.DataFrame, x: str, y: str | None, what: str
              ) -> tuple[np.ndarray, np.ndarray, list[str], list[str], int]:
    """Count ``x`` per group-session and give each session its ``y`` level.

    Returns the sessions x levels count matrix, the ``y`` code of every session, the
    non-empty ``x`` and ``y`` labels, and the number of notes counted. Notes without a
    group, a session, an ``x`` or a ``y`` are left out; levels no note falls in are dropped.
    """
    needed = (x, "group", "session") + ((y,) if y else ())
    _require(notes, needed, what)
    xcodes, xlabels = _label_codes(notes[x])
    if y:
        ycodes, ylabels = _label_codes(notes[y])
    else:
        ycodes, ylabels = np.zeros(len(notes), dtype=np.int64), ["All"]
    ids, _ = session_ids(notes)
    ok = ((xcodes >= 0) & (ycodes >= 0) & notes["group"].notna().to_numpy()
          & notes["session"].notna().to_numpy())
    pairs, sess = np.unique(ids[ok], return_inverse=True)
    n_s = len(pairs)
    ys = np.full(n_s, -1, dtype=np.int64)
    ys[sess] = ycodes[ok]
    if n_s and (np.bincount(sess, weights=(ycodes[ok] != ys[sess]), minlength=n_s) > 0).any():
        raise ValueError(f"{what}: {y!r} changes within a session, so it cannot be shuffled "
                         "over whole sessions; give a column that is constant in each "
                         "session, such as 'group'")
    matrix = np.bincount(sess * len(xlabels) + xcodes[ok],
                         minlength=n_s * len(xlabels)).reshape(n_s, len(xlabels))
    rows = matrix.sum(axis=0) > 0
    cols = np.bincount(ys, minlength=len(ylabels)) > 0
    matrix = matrix[:, rows]
    ys = (np.cumsum(cols) - 1)[ys]
    return (matrix.astype(float), ys, [v for v, k in zip(xlabels, rows, strict=True) if k],
            [v for v, k in zip(ylabels, cols, strict=True) if k], int(ok.sum()))


def _tables(weights: np.ndarray, labels: np.ndarray, matrix: np.ndarray, c: int
            ) -> np.ndarray:
    """Sum the session rows into level x group tables, one per row of ``weights``/``labels``.

    ``labels`` (batch x sessions) gives each session's group in each resample, ``weights``
    (same shape, or None) how many times it is drawn.
    """
    out = np.empty((len(labels), matrix.shape[1], c))
    for g in range(c):
        mask = (labels == g).astype(float)
        if weights is not None:
            mask *= weights
        # einsum's own loop, not a BLAS product: these products are many and thin, and a
        # threaded BLAS spends more time starting its threads than multiplying (the sums
        # are of whole numbers, exact in any order)
        out[:, :, g] = np.einsum("bs,sk->bk", mask, matrix)
    return out


def _chi2(tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pearson's statistic of each table, and of each row against the rest of its table.

    Returns the whole-table statistic (batch,), the row-vs-rest statistics (batch x rows)
    and min(non-empty rows, non-empty columns) - 1 of each table. Empty rows and columns
    add nothing.
    """
    n = tables.sum(axis=(1, 2))
    rs = tables.sum(axis=2)
    cs = tables.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = rs[:, :, None] * cs[:, None, :] / n[:, None, None]
        d2 = (tables - e) ** 2
        whole = np.where(e > 0, d2 / e, 0.0).sum(axis=(1, 2))
        rest = cs[:, None, :] - e
        part = np.where(e > 0, d2 / e, 0.0) + np.where(rest > 0, d2 / rest, 0.0)
    k = np.minimum((rs > 0).sum(axis=1), (cs > 0).sum(axis=1)) - 1
    return whole, part.sum(axis=2), k


def _batches(total: int, cells: int) -> list[int]:
    size = max(1, _BATCH_CELLS // max(cells, 1))
    return [min(size, total - start) for start in range(0, total, size)]


def _pval(hits: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Permutation p-value (1 + hits) / (1 + n) and its Monte-Carlo standard error."""
    p = (1 + hits) / (1 + n)
    return p, np.sqrt(p * (1 - p) / n)


def _quantiles(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of ``values`` over the finite resamples."""
    a = (1 - confidence) / 2
    with np.errstate(invalid="ignore"):
        finite = np.where(np.isfinite(values), values, np.nan)
        if not finite.size or np.isnan(finite).all(axis=0).all():
            nan = np.full(values.shape[1:], np.nan)
            return nan, nan.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
            low = np.nanquantile(finite, a, axis=0)
            high = np.nanquantile(finite, 1 - a, axis=0)
    return low, high


def group_test(
    notes: pd.DataFrame,
    *,
    x: str = "category",
    y: str = "group",
    n_permutations: int = 10_000,
    n_bootstrap: int = 2_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Do the groups differ in their mix of categories? A test with the session as the unit.

    The statistic is Pearson's chi-square of the note counts (categories x groups), for the
    whole table and for each category against the rest. Its p-value comes from shuffling
    the group labels over whole sessions (every session keeps its notes; each group keeps
    its number of sessions), so notes of one session move together. The note-level
    chi-square p-value, which treats every note as independent, is given next to it as a
    descriptive figure.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table, one coder per session (:func:`analysis.tables.one_coder`).
    x : str, default "category"
        What is counted (rows).
    y : str, default "group"
        The session-level column compared (constant within each session).
    n_permutations : int, default 10_000
        Random permutations of the session labels.
    n_bootstrap : int, default 2_000
        Bootstrap resamples of sessions (within each group) for Cramér's V's interval.
    confidence : float, default 0.95
        Level of the bootstrap interval.
    seed : int or None, default 0
        Seed of the random generator; the same seed gives the same result.

    Returns
    -------
    pandas.DataFrame
        One row per level of ``x`` (that level against all the others), then ``All`` (the
        whole table); index named ``x``. Columns:

        - ``chi2``: Pearson's statistic of the note counts (unit: notes);
        - ``dof``: its degrees of freedom (rows - 1) x (groups - 1);
        - ``pval_notes``: the chi-square distribution's p-value, treating notes as
          independent; **descriptive only** (too small when notes cluster in sessions);
        - ``pval``: session-permutation p-value (1 + #{chi2_perm >= chi2}) / (1 +
          n_permutations) (unit: sessions);
        - ``pval_se``: its Monte-Carlo standard error sqrt(pval (1 - pval) / n_permutations);
        - ``pval_holm``: ``pval`` adjusted with Holm's method over the category rows (NaN
          for ``All``);
        - ``cramer``: Cramér's V of the note counts (for a category row, of its 2 x groups
          table: sqrt(chi2 / n));
        - ``cramer_low``, ``cramer_high``: percentile bootstrap interval of V, resampling
          sessions with replacement within each group (unit: sessions);
        - ``n_notes``, ``n_sessions``: notes and group-sessions counted;
        - ``n_permutations``, ``n_bootstrap``;
        - ``unit``: ``"sessions"``, the unit of inference.

        ``attrs["assumes"]`` says what the test assumes.

    Notes
    -----
    The permutation test asks whether the association is stronger than when the same
    sessions are dealt to the groups at random: valid whatever the dependence of notes
    within a session, assuming sessions are exchangeable between groups under the null.
    Sessions of one group are still not fully independent of each other (same members),
    which the test does not model. With few sessions per group the number of distinct
    permutations is small and p-values are coarse. Notes without a group, a session or an
    ``x`` are left out.

    References
    ----------
    .. [1] Good, P. (2005). *Permutation, Parametric and Bootstrap Tests of Hypotheses*,
       3rd ed. Springer.
    .. [2] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       *Scandinavian Journal of Statistics*, 6(2), 65-70.
    .. [3] Davison, A. C., and Hinkley, D. V. (1997). *Bootstrap Methods and their
       Application*. Cambridge University Press.

    Examples
    --------
    >>> from analysis import example_path, read_study, tables
    >>> from analysis.stats import group_test
    >>> notes = tables.one_coder(read_study(example_path()).notes)
    >>> table = group_test(notes, n_permutations=999, n_bootstrap=200)
    >>> list(table.columns[:5])
    ['chi2', 'dof', 'pval_notes', 'pval', 'pval_se']
    """
    n_perm = _check_count("n_permutations", n_permutations)
    n_boot = _check_count("n_bootstrap", n_bootstrap, 0)
    confidence = _check_confidence(confidence)
    matrix, ys, rows, cols, n_notes = _sessions(notes, x, y, "group_test")
    r, c = len(rows), len(cols)
    if r < 2 or c < 2:
        raise ValueError(f"group_test needs at least two non-empty levels of {x!r} and of "
                         f"{y!r}; found {r} and {c}")
    observed = _tables(None, ys[None, :], matrix, c)
    chi2, parts, _ = _chi2(observed)
    stat_obs = np.concatenate([parts[0], chi2])  # rows, then All
    n_s = len(ys)
    rng = _rng(seed)
    hits = np.zeros(r + 1)
    threshold = stat_obs * (1 - _RTOL) - _RTOL
    for size in _batches(n_perm, n_s * (c + r * c)):
        labels = rng.permuted(np.broadcast_to(ys, (size, n_s)), axis=1)
        whole, part, _ = _chi2(_tables(None, labels, matrix, c))
        hits += (np.column_stack([part, whole]) >= threshold).sum(axis=0)
    pval, se = _pval(hits, n_perm)
    n = float(matrix.sum())
    cramer = np.concatenate([np.sqrt(parts[0] / n), np.sqrt(chi2 / (n * (min(r, c) - 1)))])
    boots = []
    members = [np.flatnonzero(ys == g) for g in range(c)]
    for size in _batches(n_boot, n_s * (c + r * c)):
        weights = np.zeros((size, n_s))
        for idx in members:
            weights[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1 / len(idx)),
                                              size=size)
        t = _tables(weights, np.broadcast_to(ys, (size, n_s)), matrix, c)
        whole, part, k = _chi2(t)
        total = t.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            boots.append(np.column_stack([np.sqrt(part / total[:, None]),
                                          np.sqrt(whole / (total * k))]))
    low, high = (_quantiles(np.concatenate(boots), confidence) if boots
                 else (np.full(r + 1, np.nan), np.full(r + 1, np.nan)))
    dof = np.array([c - 1] * r + [(r - 1) * (c - 1)])
    table = pd.DataFrame({
        "chi2": stat_obs, "dof": dof.astype(np.int64),
        "pval_notes": _st.chi2.sf(stat_obs, dof), "pval": pval, "pval_se": se,
        "pval_holm": np.append(holm(pval[:r]), np.nan),
        "cramer": cramer, "cramer_low": low, "cramer_high": high,
        "n_notes": n_notes, "n_sessions": n_s, "n_permutations": n_perm,
        "n_bootstrap": n_boot, "unit": "sessions",
    }, index=pd.Index([*rows, "All"], name=x))
    table.attrs["assumes"] = _ASSUMES
    return table


def adjusted_residuals(
    notes: pd.DataFrame,
    *,
    x: str = "category",
    y: str = "group",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Which cells of category x group drive a difference: Haberman's adjusted residuals.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table, one coder per session.
    x, y : str, default "category", "group"
        Rows and columns of the table.
    confidence : float, default 0.95
        Level of the Wilson interval of each share.

    Returns
    -------
    pandas.DataFrame
        One row per cell, ``x`` levels in order, within each the ``y`` levels. Columns:
        ``x`` (e.g. ``category``) and ``y`` (e.g. ``group``), ordered categoricals keeping
        the tables' order (so ``pivot`` keeps it too), ``observed`` (notes),
        ``expected`` (row total x column total / n), ``share`` (observed / the column's
        notes: the share of the group's notes in the category), ``share_low``,
        ``share_high`` (Wilson score interval of that share), ``residual`` (adjusted
        standardized residual (O - E) / sqrt(E (1 - row/n) (1 - column/n))), ``pval``
        (two-sided standard-normal p-value of the residual), ``unit`` (``"notes"``).

    Notes
    -----
    Under independence each adjusted residual is approximately standard normal (Haberman
    1973), so values beyond about ±2 mark cells with more (or fewer) notes than expected.
    Residuals, their p-values and the Wilson intervals all treat notes as independent:
    they say *where* the counts depart from independence and are descriptive; use
    :func:`group_test` for inference, and :func:`shares` with ``method="bootstrap"`` for an
    interval with the session as the unit. Empty rows and columns are dropped.

    References
    ----------
    .. [1] Haberman, S. J. (1973). The analysis of residuals in cross-classified tables.
       *Biometrics*, 29(1), 205-220.
    .. [2] Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed. Wiley, section 2.4.5.
    .. [3] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *JASA*, 22(158), 209-212.
    """
    confidence = _check_confidence(confidence)
    _require(notes, (x, y), "adjusted_residuals")
    xcodes, xlabels = _label_codes(notes[x])
    ycodes, ylabels = _label_codes(notes[y])
    ok = (xcodes >= 0) & (ycodes >= 0)
    obs = np.bincount(xcodes[ok] * len(ylabels) + ycodes[ok],
                      minlength=len(xlabels) * len(ylabels)).reshape(len(xlabels), len(ylabels))
    rmask, cmask = obs.sum(axis=1) > 0, obs.sum(axis=0) > 0
    obs = obs[rmask][:, cmask]
    rows = [v for v, k in zip(xlabels, rmask, strict=True) if k]
    cols = [v for v, k in zip(ylabels, cmask, strict=True) if k]
    if len(rows) < 1 or len(cols) < 1:
        raise ValueError(f"adjusted_residuals: no note has both {x!r} and {y!r}")
    return _residual_frame(obs, rows, cols, x, y, confidence)


def _residual_frame(obs: np.ndarray, rows: list[str], cols: list[str], x: str, y: str,
                    confidence: float) -> pd.DataFrame:
    n = obs.sum()
    rs, cs = obs.sum(axis=1), obs.sum(axis=0)
    exp = np.outer(rs, cs) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = (obs - exp) / np.sqrt(exp * np.outer(1 - rs / n, 1 - cs / n))
    colsum = np.broadcast_to(cs, obs.shape)
    low, high = wilson_interval(obs, colsum, confidence)
    r, c = obs.shape
    return pd.DataFrame({
        x: pd.Categorical(np.repeat(rows, c), categories=rows, ordered=True),
        y: pd.Categorical(np.tile(cols, r), categories=cols, ordered=True),
        "observed": obs.ravel().astype(np.int64), "expected": exp.ravel(),
        "share": (obs / colsum).ravel(), "share_low": low.ravel(), "share_high": high.ravel(),
        "residual": resid.ravel(), "pval": 2 * _st.norm.sf(np.abs(resid.ravel())),
        "unit": "notes",
    })


def group_comparison(
    notes: pd.DataFrame,
    *,
    x: str = "category",
    y: str = "group",
    n_permutations: int = 10_000,
    n_bootstrap: int = 2_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """One table for the report: counts, residuals and the session-level tests per category.

    Parameters
    ----------
    notes, x, y, n_permutations, n_bootstrap, confidence, seed
        As for :func:`group_test`.

    Returns
    -------
    pandas.DataFrame
        One row per level of ``x`` then ``All``; index named ``x``. Columns: ``notes <g>``
        (notes per group ``g``; unit notes), ``residual <g>`` (adjusted standardized
        residual of the cell; NaN for ``All``), then every column of :func:`group_test`
        (``chi2`` ... ``unit``). Flat, string-named columns, ready to be written as CSV.
    """
    test = group_test(notes, x=x, y=y, n_permutations=n_permutations,
                      n_bootstrap=n_bootstrap, confidence=confidence, seed=seed)
    resid = adjusted_residuals(notes, x=x, y=y, confidence=confidence)
    resid[x] = resid[x].astype(str)
    resid[y] = resid[y].astype(str)
    counts = resid.pivot(index=x, columns=y, values="observed")
    rvals = resid.pivot(index=x, columns=y, values="residual")
    rows = list(dict.fromkeys(resid[x]))
    cols = list(dict.fromkeys(resid[y]))
    counts = counts.reindex(index=rows, columns=cols)
    rvals = rvals.reindex(index=rows, columns=cols)
    counts.loc["All"] = counts.sum(axis=0)
    rvals.loc["All"] = np.nan
    counts.columns = [f"notes {g}" for g in cols]
    rvals.columns = [f"residual {g}" for g in cols]
    out = pd.concat([counts.astype(np.int64), rvals], axis=1).reindex(test.index)
    out = pd.concat([out, test], axis=1)
    out.index.name = x
    out.attrs["assumes"] = test.attrs["assumes"]
    return out


_METHODS = ("wilson", "bootstrap")


def shares(
    notes: pd.DataFrame,
    *,
    of: str = "valence",
    by: str | None = None,
    method: str = "wilson",
    confidence: float = 0.95,
    n_bootstrap: int = 2_000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Share of notes in each level of ``of`` (e.g. negative notes), with an interval.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table, one coder per session.
    of : str, default "valence"
        The column whose levels are shared out.
    by : str, optional
        A session-level column (e.g. ``"group"``) to compute shares within; default all
        notes together.
    method : {"wilson", "bootstrap"}, default "wilson"
        ``"wilson"``: Wilson score interval, treating notes as independent (unit notes);
        ``"bootstrap"``: percentile interval from resampling whole sessions with
        replacement (within each level of ``by``; unit sessions), which allows for notes
        of a session being alike.
    confidence : float, default 0.95
    n_bootstrap : int, default 2_000
        Resamples for ``method="bootstrap"``.
    seed : int or None, default 0

    Returns
    -------
    pandas.DataFrame
        One row per (``by`` level, ``of`` level). Columns: ``by`` (the level, or ``"All"``),
        ``level``, ``count`` (notes), ``total`` (notes of the ``by`` level), ``share``
        (count / total), ``low``, ``high`` (the interval), ``method``, ``unit`` (the unit of
        the interval: ``"notes"`` or ``"sessions"``), ``n_sessions``.

    Examples
    --------
    >>> from analysis import example_path, read_study, tables
    >>> from analysis.stats import shares
    >>> notes = tables.one_coder(read_study(example_path()).notes)
    >>> table = shares(notes)
    >>> table.loc[table["level"] == "negative", ["count", "total"]].to_numpy().tolist()
    [[359, 639]]
    """
    check_choice("method", method, _METHODS)
    confidence = _check_confidence(confidence)
    n_boot = _check_count("n_bootstrap", n_bootstrap)
    matrix, ys, levels, strata, _ = _sessions(notes, of, by, "shares")
    c = len(strata)
    counts = _tables(None, ys[None, :], matrix, c)[0]  # levels x strata
    totals = counts.sum(axis=0)
    n_sessions = np.bincount(ys, minlength=c)
    if method == "wilson":
        low, high = wilson_interval(counts, np.broadcast_to(totals, counts.shape), confidence)
    else:
        rng = _rng(seed)
        members = [np.flatnonzero(ys == g) for g in range(c)]
        n_s = len(ys)
        draws = []
        for size in _batches(n_boot, n_s * (c + matrix.shape[1] * c)):
            weights = np.zeros((size, n_s))
            for idx in members:
                weights[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1 / len(idx)),
                                                  size=size)
            t = _tables(weights, np.broadcast_to(ys, (size, n_s)), matrix, c)
            with np.errstate(invalid="ignore", divide="ignore"):
                draws.append(t / t.sum(axis=1, keepdims=True))
        low, high = _quantiles(np.concatenate(draws), confidence)
    r = len(levels)
    return pd.DataFrame({
        by or "by": np.tile(strata, r), "level": np.repeat(levels, c),
        "count": counts.ravel().astype(np.int64),
        "total": np.tile(totals, r).astype(np.int64),
        "share": (counts / totals).ravel(), "low": np.asarray(low).ravel(),
        "high": np.asarray(high).ravel(), "method": method,
        "unit": "notes" if method == "wilson" else "sessions",
        "n_sessions": np.tile(n_sessions, r).astype(np.int64),
    })


def _blocks(member: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Start and stop of each row's themes when every row's themes are one run of columns."""
    starts, stops = [], []
    for row in member:
        at = np.flatnonzero(row)
        if len(at) and at[-1] - at[0] + 1 != len(at):
            return None
        starts.append(at[0] if len(at) else 0)
        stops.append(at[-1] + 1 if len(at) else 0)
    return np.asarray(starts, dtype=np.intp), np.asarray(stops, dtype=np.intp)


def _overlap(raised: np.ndarray, member: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Share shared by all groups and mean pairwise Jaccard, per row of ``member``.

    ``raised`` is batch x groups x themes (bool), ``member`` rows x themes (bool).
    Returns two batch x rows arrays.
    """
    blocks = _blocks(member)

    def count(present: np.ndarray) -> np.ndarray:  # themes of each row present, as floats
        if blocks is None:
            return present.astype(float) @ member.astype(float).T
        # each row's themes are a run of columns (themes sorted by category): a running
        # count read at both ends of the run gives the same whole numbers in one pass
        running = np.zeros((*present.shape[:-1], present.shape[-1] + 1), dtype=np.int64)
        np.cumsum(present, axis=-1, out=running[..., 1:])
        # C order, as the product's result was: sums over the batch then add up in the same
        # order, to the last bit
        return np.ascontiguousarray(running[..., blocks[1]] - running[..., blocks[0]],
                                    dtype=float)

    sizes = count(raised)  # batch x groups x rows
    anyg = count(raised.any(axis=1))
    allg = count(raised.all(axis=1))
    g = raised.shape[1]
    pairs = [(i, j) for i in range(g) for j in range(i + 1, g)]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(anyg > 0, allg / anyg, np.nan)
        if not pairs:
            return share, np.full(share.shape, np.nan)
        jac = []
        for i, j in pairs:
            inter = count(raised[:, i, :] & raised[:, j, :])
            union = sizes[:, i, :] + sizes[:, j, :] - inter
            jac.append(np.where(union > 0, inter / union, np.nan))
    return share, np.mean(jac, axis=0)


def commonality_test(
    notes: pd.DataFrame,
    *,
    by: str = "category",
    n_permutations: int = 10_000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Compare :func:`commonality` with groups made of randomly dealt sessions.

    For each category, the observed overlap of the theme sets the groups raised is compared
    with its distribution when the group labels are shuffled over whole sessions (each
    group keeps its number of sessions). Groups with more sessions raise more themes and
    frequent themes are raised by everyone, so the raw overlap says little on its own; the
    baseline says whether the groups share a category's themes more, or less, than
    groups of the same sizes drawn from the same sessions would.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table, one coder per session.
    by : str, default "category"
        Column whose levels are the rows (as for :func:`commonality`).
    n_permutations : int, default 10_000
    confidence : float, default 0.95
        Level of the central range of the permutation distribution.
    seed : int or None, default 0

    Returns
    -------
    pandas.DataFrame
        One row per level of ``by`` then ``All``; index named ``by``. Columns:
        ``share_shared`` and ``mean_pairwise_jaccard`` (observed, as in
        :func:`commonality`), ``null_share_shared`` and ``null_jaccard`` (their means over
        the permutations), ``null_low``, ``null_high`` (central ``confidence`` range of the
        permuted Jaccard), ``pval_less`` (permutation p-value that the groups share fewer
        of the category's themes than random groups: (1 + #{perm <= observed}) / (1 + n)),
        ``pval_more`` (that they share more), ``pval_se`` (Monte-Carlo standard error of
        the smaller of the two), ``n_sessions``, ``n_permutations``, ``unit``
        (``"sessions"``).

    Notes
    -----
    Only notes with a group, a session and a theme count (a note without a session cannot
    be dealt to a group), so the observed figures equal :func:`commonality`'s when every
    note has a session.
    """
    n_perm = _check_count("n_permutations", n_permutations)
    confidence = _check_confidence(confidence)
    if by in ("theme", "group"):
        raise ValueError(f"by={by!r}: give a column that groups themes, such as 'category'")
    _require(notes, ("group", "session", "theme", by), "commonality_test")
    presence, ys, themes, groups, _ = _sessions(notes, "theme", "group", "commonality_test")
    presence = presence > 0
    tcodes, tlabels = _label_codes(notes["theme"])
    bcodes, levels = _label_codes(notes[by])
    position = {t: i for i, t in enumerate(themes)}
    remap = np.array([position.get(t, -1) for t in tlabels] + [-1], dtype=np.int64)
    tpos = remap[tcodes]
    ok = (tpos >= 0) & (bcodes >= 0)
    member = np.zeros((len(levels) + 1, len(themes)), dtype=bool)
    member[bcodes[ok], tpos[ok]] = True
    member[-1] = True
    # themes sorted by their level, so that each level's themes are a run of columns
    # (counted in one pass by _overlap); the figures do not depend on the themes' order
    level_of = (np.where(member[:-1].any(axis=0), member[:-1].argmax(axis=0), len(levels))
                if len(levels) else np.zeros(len(themes), dtype=np.int64))
    order = np.argsort(level_of, kind="stable")
    presence, member = presence[:, order], member[:, order]
    g = len(groups)

    # the (theme, session) cells raised, theme by theme: a group raised a theme in a
    # dealing when one of the theme's sessions was dealt to it (a few cells per session,
    # where a sessions x themes product grows with the codebook)
    cell_session, starts = cells_by_column(presence)  # every theme has a session here

    def raised_of(labels: np.ndarray) -> np.ndarray:  # batch x groups x themes
        if not len(cell_session):
            return np.zeros((len(labels), g, 0), dtype=bool)
        if g <= 64:  # one bit per group, the fewest bytes: each theme's groups in one pass
            kind = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                        if np.iinfo(t).bits >= g)
            bits = np.left_shift(kind(1), labels.astype(kind))[:, cell_session]
            held = np.bitwise_or.reduceat(bits, starts, axis=1)
            return np.stack([(held & kind(1 << k)) != 0 for k in range(g)], axis=1)
        dealt = labels[:, cell_session]
        return np.stack([np.logical_or.reduceat(dealt == k, starts, axis=1)
                         for k in range(g)], axis=1)

    share, jac = _overlap(raised_of(ys[None, :]), member)
    share, jac = share[0], jac[0]
    rng = _rng(seed)
    n_s = len(ys)
    less = np.zeros(len(member))
    more = np.zeros(len(member))
    sums_share = np.zeros(len(member))
    sums_jac = np.zeros(len(member))
    kept = []
    for size in _batches(n_perm, n_s * g + g * len(themes) * 4):
        labels = rng.permuted(np.broadcast_to(ys, (size, n_s)), axis=1)
        s, j = _overlap(raised_of(labels), member)
        less += (j <= jac * (1 + _RTOL) + _RTOL).sum(axis=0)
        more += (j >= jac * (1 - _RTOL) - _RTOL).sum(axis=0)
        sums_share += np.nan_to_num(s).sum(axis=0)
        sums_jac += np.nan_to_num(j).sum(axis=0)
        kept.append(j)
    low, high = _quantiles(np.concatenate(kept), confidence)
    p_less, se_less = _pval(less, n_perm)
    p_more, se_more = _pval(more, n_perm)
    return pd.DataFrame({
        "share_shared": share, "null_share_shared": sums_share / n_perm,
        "mean_pairwise_jaccard": jac, "null_jaccard": sums_jac / n_perm,
        "null_low": low, "null_high": high, "pval_less": p_less, "pval_more": p_more,
        "pval_se": np.where(p_less <= p_more, se_less, se_more),
        "n_sessions": n_s, "n_permutations": n_perm, "unit": "sessions",
    }, index=pd.Index([*levels, "All"], name=by))
