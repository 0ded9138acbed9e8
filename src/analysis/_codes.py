"""Integer codes of the notes' columns: what the tables and statistics count.

The tables and tests count codes of categoricals (``numpy.bincount`` on int64 arrays) rather
than rows of labels, so their cost is a few passes over the notes whatever their number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["codes_of", "crosstab", "distinct", "first_rows", "presence", "session_ids",
           "session_rank"]


def codes_of(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Return int64 codes of ``values`` (-1 where missing) and the levels they point to.

    Categoricals keep all their categories in order (as ``groupby(observed=False)``);
    other columns get their distinct values sorted (as ``groupby(sort=True)``).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


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
        first = np.full(int(number[-1]) + 1, len(key), dtype=np.int64)
        np.minimum.at(first, ids, np.arange(len(key), dtype=np.int64))
        return ids, first
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
