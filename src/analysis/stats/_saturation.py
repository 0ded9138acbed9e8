"""Saturation: the point after which new themes stop appearing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import require_columns
from .._codes import codes_of, first_at, presence, session_ids

__all__ = ["saturation", "saturation_point"]


_COLUMNS = ["scope", "order", "group", "session", "date", "themes", "new", "cumulative",
            "new_themes"]


def _sessions(notes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Return the group-sessions with a theme, their theme presence matrix and the themes.

    The sessions frame has ``group``, ``session`` and ``date`` (that of the session's first
    note with a theme), one row per group-session, sorted by date (missing last), then
    group (categorical order), then session.
    """
    tcodes, themes = codes_of(notes["theme"])
    ids, first = session_ids(notes)
    ok = (tcodes >= 0) & notes["group"].notna().to_numpy() & notes["session"].notna().to_numpy()
    rows = np.flatnonzero(ok)
    first_used = first_at(ids, len(first), ok)
    pairs = np.flatnonzero(first_used < len(tcodes))
    at = first_used[pairs]
    sessions = pd.DataFrame({
        "group": notes["group"].take(at).reset_index(drop=True),
        "session": notes["session"].take(at).reset_index(drop=True),
        "date": notes["date"].take(at).reset_index(drop=True),
        "_pair": pairs,
    })
    sessions = sessions.sort_values(["date", "group", "session"], na_position="last",
                                    kind="stable", ignore_index=True)
    number = np.full(len(first), -1, dtype=np.int64)
    number[sessions["_pair"].to_numpy()] = np.arange(len(sessions))
    matrix = presence(number[ids[rows]], len(sessions), tcodes[rows], len(themes))
    return sessions.drop(columns="_pair"), matrix, [str(t) for t in themes]


def _curve(matrix: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return themes per session, new themes per session and their names, for one scope."""
    noted = matrix.any(axis=0)
    first = matrix.argmax(axis=0)  # first session (row) in which each theme was noted
    new = np.bincount(first[noted], minlength=len(matrix))
    labels = [""] * len(matrix)
    for row in np.unique(first[noted]):
        labels[row] = "; ".join(names[noted & (first == row)])
    return matrix.sum(axis=1), new, labels


def saturation(notes: pd.DataFrame, *, by_group: bool = True) -> pd.DataFrame:
    """Cumulative number of distinct themes over sessions, in date order.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``group``, ``session``, ``date``, ``theme``).
    by_group : bool, default True
        Also compute each group's curve (``scope`` = the group's name) besides the overall
        curve (``scope`` = ``"all groups"``), where sessions of all groups are taken in date
        order (ties: group order).

    Returns
    -------
    pandas.DataFrame
        One row per session and scope, in order. Columns: ``scope``, ``order`` (1, 2, ...
        within the scope), ``group``, ``session``, ``date``, ``themes`` (distinct themes
        noted in the session), ``new`` (themes never noted before in that scope),
        ``cumulative`` (distinct themes so far), ``new_themes`` (their names, ``"; "``
        separated, in codebook order).

    Notes
    -----
    Sessions are ordered by date (the date of their first note with a theme; sessions
    without a date come last), then by group and session number. Notes without a theme, a
    group or a session number cannot be placed on the curve and are left out.
    """
    require_columns(notes, ("group", "session", "date", "theme"))
    sessions, matrix, themes = _sessions(notes)
    names = np.asarray(themes, dtype=object)
    scopes: list[tuple[str, np.ndarray]] = [("all groups", np.arange(len(sessions)))]
    if by_group:
        gcodes, groups = codes_of(sessions["group"])
        for code, group in enumerate(groups):
            rows = np.flatnonzero(gcodes == code)
            if len(rows):
                scopes.append((str(group), rows))
    if not len(sessions):
        out = pd.DataFrame({c: [] for c in _COLUMNS})
        out["scope"] = pd.Categorical([], categories=[], ordered=True)
        return out
    picked, order, themes_n, new, cumulative, labels, scope_codes = [], [], [], [], [], [], []
    for code, (_, rows) in enumerate(scopes):
        count, added, names_added = _curve(matrix[rows], names)
        picked.append(rows)
        order.append(np.arange(1, len(rows) + 1, dtype=np.int64))
        themes_n.append(count)
        new.append(added)
        cumulative.append(np.cumsum(added))
        labels.extend(names_added)
        scope_codes.append(np.full(len(rows), code, dtype=np.int64))
    out = sessions.take(np.concatenate(picked)).reset_index(drop=True)
    out.insert(0, "order", np.concatenate(order))
    out.insert(0, "scope", pd.Categorical.from_codes(
        np.concatenate(scope_codes), categories=[scope for scope, _ in scopes], ordered=True))
    out["group"] = out["group"].astype(str)
    out["session"] = out["session"].astype(np.int64)
    out["themes"] = np.concatenate(themes_n).astype(np.int64)
    out["new"] = np.concatenate(new).astype(np.int64)
    out["cumulative"] = np.concatenate(cumulative).astype(np.int64)
    out["new_themes"] = pd.array(labels, dtype="str")
    return out[_COLUMNS]


def saturation_point(curve: pd.DataFrame, *, k: int = 3) -> pd.DataFrame:
    """Find, per scope, the session after which no new theme appeared for ``k`` sessions.

    Parameters
    ----------
    curve : pandas.DataFrame
        The output of :func:`saturation`.
    k : int, default 3
        How many consecutive sessions without a new theme count as saturation.

    Returns
    -------
    pandas.DataFrame
        One row per scope. Columns: ``scope``, ``reached`` (bool), ``order``, ``group``,
        ``session``, ``date`` (the last session that brought a new theme before a run of
        ``k`` sessions without one; missing when not reached), ``themes_at_saturation``
        (cumulative themes then), ``themes_total`` (cumulative at the end), ``sessions``.

    Notes
    -----
    A stopping heuristic (seed study: saturation monitoring), not proof that no theme is
    left: it depends on ``k`` and on the order of sessions.
    """
    if k < 1:
        raise ValueError(f"k={k!r}: give a number of sessions of 1 or more")
    codes, scopes = codes_of(curve["scope"])
    rank = np.argsort(codes, kind="stable")  # scope by scope, each in the curve's order
    rank = rank[codes[rank] >= 0]
    scope = codes[rank]
    new = curve["new"].to_numpy()[rank]
    position = np.arange(len(rank))
    start = np.ones(len(rank), dtype=bool)
    start[1:] = scope[1:] != scope[:-1]
    # length of the run of sessions without a new theme that ends at each session
    last = np.where(new != 0, position, np.where(start, position - 1, -1))
    run = position - np.maximum.accumulate(last) if len(rank) else position
    present, first = np.unique(scope, return_index=True)
    size = np.diff(np.append(first, len(rank)))
    hits = np.flatnonzero(run == k)
    hit_scope, hit_first = np.unique(scope[hits], return_index=True)
    found = np.full(len(scopes), -1, dtype=np.int64)
    found[hit_scope] = hits[hit_first] - k  # the session before the run
    found = found[present]
    reached = found >= first
    at = rank[np.where(reached, found, first)]  # any row of the scope when not reached
    ends = rank[first + size - 1]
    picked = curve.take(at).reset_index(drop=True)
    mask = ~reached
    out = pd.DataFrame({
        "scope": pd.array([str(scopes[c]) for c in present], dtype="str"),
        "reached": reached,
        "order": pd.array(picked["order"].to_numpy(dtype=np.int64), dtype="Int64"),
        "group": pd.array(picked["group"].astype(str).to_numpy(dtype=object), dtype="str"),
        "session": pd.array(picked["session"].to_numpy(dtype=np.int64), dtype="Int64"),
        "date": picked["date"],
        "themes_at_saturation": pd.array(picked["cumulative"].to_numpy(dtype=np.int64),
                                         dtype="Int64"),
        "themes_total": curve["cumulative"].to_numpy(dtype=np.int64)[ends],
        "sessions": size.astype(np.int64),
    })
    for col in ("order", "group", "session", "date", "themes_at_saturation"):
        out.loc[mask, col] = None
    return out
