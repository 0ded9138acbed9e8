"""Integer codes of the notes' columns: what the tables and statistics count.

The tables and tests count codes of categoricals (``numpy.bincount`` on int64 arrays) rather
than rows of labels, so their cost is a few passes over the notes whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["cells_by_column", "codes_of", "crosstab", "distinct", "first_at", "first_rows",
           "presence", "recode", "session_ids", "session_rank", "shared_counts"]


def codes_of(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Return int64 codes of ``values`` (-1 where missing) and the levels they point to.

    Categoricals keep all their categories in order (as ``groupby(observed=False)``);
    other columns get their distinct values sorted (as ``groupby(sort=True)``).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def recode(codes: np.ndarray, levels: Sequence[object], names: Sequence[str]) -> np.ndarray:
    """Return, for each code into ``levels``, the position of its level in ``names``.

    Levels are compared as strings; -1 for a missing value (code -1) or a level that is not
    in ``names``.
    """
    position = {name: i for i, name in enumerate(names)}
    remap = np.array([position.get(str(v), -1) for v in levels] + [-1], dtype=np.int64)
    return remap[codes]  # code -1 picks the final -1


def first_at(codes: np.ndarray, size: int, where: np.ndarray | None = None) -> np.ndarray:
    """Return, for each code 0 to ``size - 1``, the first position at which it occurs.

    Only positions where ``where`` is True count (all, by default); a code that does not
    occur gets ``len(codes)``.
    """
    positions = (np.arange(len(codes), dtype=np.int64) if where is None
                 else np.flatnonzero(where))
    first = np.full(size, len(codes), dtype=np.int64)
    np.minimum.at(first, codes[positions], positions)
    return first


def session_rank(session: pd.Series) -> np.ndarray:
    """Return int64 values ordering the sessions ascending, a missing session largest."""
    if pd.api.types.is_integer_dtype(session.dtype):
        missing = session.isna().to_numpy()
        values = session.to_numpy(dtype=np.int64, na_value=0)
        if not len(values):
            return values
        low = values[~missing].min() if (~missing).any() else 0
        high = values[~missing].max() if (~missing).any() else 0
        out = values - low
        out[missing] = high - low + 1
        return out
    codes, uniques = pd.factorize(session, sort=True)
    codes = codes.astype(np.int64)
    codes[codes < 0] = len(uniques)
    return codes


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Return the position of the first row of each code numbered in order of appearance."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(running[1:], running[:-1], out=new[1:])
    return np.flatnonzero(new)


def session_ids(notes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return a number for each distinct (group, session) pair of the notes.

    Returns
    -------
    ids : numpy.ndarray
        One int64 per note: the number of its pair, pairs sorted by group (categorical
        order) then session, a missing group or session last. A missing value counts as a
        value of its own, as in ``drop_duplicates``.
    first : numpy.ndarray
        For each pair, the position of its first note.
    """
    gcodes, glevels = codes_of(notes["group"])
    g = np.where(gcodes < 0, len(glevels), gcodes)
    s = session_rank(notes["session"])
    if not len(s):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = g * (int(s.max()) + 1) + s
    size = (len(glevels) + 1) * (int(s.max()) + 1)
    if size <= 4 * len(key) + 65_536:  # a dense table of every possible pair is small
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
        number = np.cumsum(seen, dtype=np.int64) - 1  # pairs numbered in key order
        ids = number[key]
        return ids, first_at(ids, int(number[-1]) + 1)
    codes, uniques = pd.factorize(key)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], first_rows(codes)[order]


def distinct(key: np.ndarray, size: int) -> np.ndarray:
    """Return the distinct values of a non-negative int64 ``key`` below ``size``, sorted."""
    if size <= 8 * len(key) + 1024:
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
        return np.flatnonzero(seen)
    return np.sort(pd.unique(key))


def crosstab(rows: np.ndarray, n_rows: int, cols: np.ndarray, n_cols: int) -> np.ndarray:
    """Count the (row, column) code pairs, leaving out missing codes (-1): an int64 matrix."""
    ok = (rows >= 0) & (cols >= 0)
    flat = np.bincount(rows[ok] * n_cols + cols[ok], minlength=n_rows * n_cols)
    return flat.astype(np.int64).reshape(n_rows, n_cols)


def presence(rows: np.ndarray, n_rows: int, cols: np.ndarray, n_cols: int) -> np.ndarray:
    """Return the boolean ``n_rows`` x ``n_cols`` matrix of the code pairs that occur.

    Pairs with a missing code (-1) are left out.
    """
    ok = (rows >= 0) & (cols >= 0)
    out = np.zeros(n_rows * n_cols, dtype=bool)
    out[rows[ok] * n_cols + cols[ok]] = True
    return out.reshape(n_rows, n_cols)


def shared_counts(matrix: np.ndarray) -> np.ndarray:
    """Return ``matrix @ matrix.T`` of a boolean matrix: the columns each pair of rows shares.

    Counted on bits packed eight to a byte (AND, then population count), which is exact and
    does not depend on a BLAS library or its threads.
    """
    packed = np.packbits(matrix, axis=1)
    out = np.empty((len(matrix), len(matrix)), dtype=np.int64)
    for i in range(len(packed)):
        out[i] = np.bitwise_count(packed[i] & packed).sum(axis=1, dtype=np.int64)
    return out


def cells_by_column(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the set cells of a boolean matrix column by column, for ``ufunc.reduceat``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The row of each set cell, ordered by column then row, and where each run of a
        column's cells starts in it (one start per column with a set cell; none when no
        cell is set). ``np.minimum.reduceat(values[rows], starts)`` reduces ``values`` over
        each such column's rows.

    Examples
    --------
    >>> rows, starts = cells_by_column(np.array([[1, 0, 1], [1, 0, 0]], dtype=bool))
    >>> rows.tolist(), starts.tolist()
    ([0, 1, 0], [0, 2])
    """
    cols, rows = np.nonzero(np.asarray(matrix, dtype=bool).T)
    starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]]) if len(cols) else cols
    return rows, starts
