"""Saturation: the point after which new themes stop appearing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import require_columns
from .._codes import cells_by_column, codes_of, first_at, presence, session_ids

__all__ = ["new_information", "saturation", "saturation_band", "saturation_orders",
           "saturation_point", "saturation_reached"]


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
    sessions, matrix, themes, scopes = _scopes(notes, by_group)
    names = np.asarray(themes, dtype=object)
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


def _check_guest(base: int, run: int, threshold: float) -> None:
    for name, value in (("base", base), ("run", run)):
        if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
                or value < 1):
            raise ValueError(f"{name}={value!r}: give a number of sessions, 1 or more")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold={threshold!r}: give a share of new information from 0 "
                         "(no new theme at all) to below 1, e.g. 0.05")


def _guest(new: np.ndarray, base: int, run: int, threshold: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply Guest et al.'s rule to rows of new-theme counts per session (in order).

    Returns, per row, the new-information ratio of every run (row x run start, NaN where the
    run does not fit), and the 0-based start of the first run at or below the threshold
    (-1 when none) and the number of themes in the base.
    """
    n = new.shape[1]
    cum = np.cumsum(new, axis=1)
    starts = np.arange(base, n - run + 1)
    if n < base or not len(starts):
        return (np.full((len(new), 0), np.nan), np.full(len(new), -1, dtype=np.int64),
                cum[:, base - 1] if n >= base else np.zeros(len(new)))
    base_themes = cum[:, base - 1].astype(float)
    in_run = cum[:, starts + run - 1] - cum[:, starts - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = in_run / base_themes[:, None]
    ok = ratio <= threshold + 1e-12
    first = np.where(ok.any(axis=1), starts[ok.argmax(axis=1)], -1)
    return ratio, first, base_themes


def _scopes(notes: pd.DataFrame, by_group: bool
            ) -> tuple[pd.DataFrame, np.ndarray, list[str], list[tuple[str, np.ndarray]]]:
    """Return :func:`_sessions` and the scopes: all groups, then each group's rows."""
    require_columns(notes, ("group", "session", "date", "theme"))
    sessions, matrix, themes = _sessions(notes)
    scopes: list[tuple[str, np.ndarray]] = [("all groups", np.arange(len(sessions)))]
    if by_group:
        gcodes, groups = codes_of(sessions["group"])
        for code, group in enumerate(groups):
            rows = np.flatnonzero(gcodes == code)
            if len(rows):
                scopes.append((str(group), rows))
    return sessions, matrix, themes, scopes


def new_information(curve: pd.DataFrame, *, base: int = 4, run: int = 2) -> pd.DataFrame:
    """New-information ratio of every run of sessions, after Guest, Namey and Chen (2020).

    Parameters
    ----------
    curve : pandas.DataFrame
        The output of :func:`saturation` (sessions in date order, per scope).
    base : int, default 4
        Base size: the first ``base`` sessions of a scope, whose distinct themes are the
        denominator of every ratio.
    run : int, default 2
        Run length: how many consecutive sessions are examined for new themes.

    Returns
    -------
    pandas.DataFrame
        One row per scope and run; runs start after the base and move forward one session
        at a time. Columns: ``scope``, ``run_start`` and ``run_end`` (``order`` of the
        run's first and last session), ``base_themes`` (distinct themes in the base),
        ``new_in_run`` (themes first noted in the run, i.e. never noted before in the
        scope), ``ratio`` (``new_in_run / base_themes``), ``unit`` (``"sessions"``).
    """
    _check_guest(base, run, 0.0)
    rows = []
    for scope in dict.fromkeys(curve["scope"]):
        part = curve[curve["scope"] == scope]
        ratio, _, base_themes = _guest(part["new"].to_numpy()[None, :], base, run, 0.0)
        new = part["new"].to_numpy()
        for j, start in enumerate(range(base, len(part) - run + 1)):
            rows.append({"scope": str(scope), "run_start": start + 1, "run_end": start + run,
                         "base_themes": int(base_themes[0]),
                         "new_in_run": int(new[start:start + run].sum()),
                         "ratio": float(ratio[0, j]), "unit": "sessions"})
    columns = ["scope", "run_start", "run_end", "base_themes", "new_in_run", "ratio", "unit"]
    return pd.DataFrame(rows, columns=columns)


def saturation_reached(curve: pd.DataFrame, *, base: int = 4, run: int = 2,
                       threshold: float = 0.05) -> pd.DataFrame:
    """Where saturation is reached, by the base/run/threshold rule of Guest et al. (2020).

    Saturation is reached at the end of the first run of ``run`` sessions (after the first
    ``base`` sessions) whose new themes number at most ``threshold`` times the distinct
    themes of the base. It is never reached before ``base + run`` sessions.

    Parameters
    ----------
    curve : pandas.DataFrame
        The output of :func:`saturation`.
    base : int, default 4
        Base size (sessions).
    run : int, default 2
        Run length (sessions).
    threshold : float, default 0.05
        New-information threshold: the largest ratio that counts as no new information.
        ``threshold=0`` asks for runs without any new theme; with ``base=1`` and ``run=k``
        it is the rule of :func:`saturation_point` (``before_run`` then equals its
        ``order``).

    Returns
    -------
    pandas.DataFrame
        One row per scope. Columns: ``scope``, ``reached`` (bool), ``sessions_needed``
        (sessions up to the end of the first run meeting the threshold, i.e. the number
        of sessions at which saturation can be claimed; ``<NA>`` when not reached),
        ``before_run`` (sessions before that run), ``ratio`` (its new-information ratio),
        ``base_themes``, ``themes_total``, ``sessions`` (in the scope), ``base``, ``run``,
        ``threshold``, ``unit`` (``"sessions"``).

    Notes
    -----
    The rule depends on the order of sessions (here: date order); see
    :func:`saturation_orders` for its spread over random orders. A base of a handful of
    sessions, runs of two or three and a 5% threshold are the values Guest et al. discuss;
    state the ones used.

    References
    ----------
    .. [1] Guest, G., Namey, E., and Chen, M. (2020). A simple method to assess and report
       thematic saturation in qualitative research. *PLoS ONE*, 15(5), e0232076.
    """
    _check_guest(base, run, threshold)
    rows = []
    for scope in dict.fromkeys(curve["scope"]):
        part = curve[curve["scope"] == scope]
        ratio, first, base_themes = _guest(part["new"].to_numpy()[None, :], base, run,
                                           threshold)
        start = int(first[0])
        reached = start >= 0
        rows.append({
            "scope": str(scope), "reached": reached,
            "sessions_needed": start + run if reached else pd.NA,
            "before_run": start if reached else pd.NA,
            "ratio": float(ratio[0, start - base]) if reached else np.nan,
            "base_themes": int(base_themes[0]) if len(part) >= base else pd.NA,
            "themes_total": int(part["cumulative"].max()) if len(part) else 0,
            "sessions": len(part), "base": base, "run": run, "threshold": float(threshold),
            "unit": "sessions",
        })
    out = pd.DataFrame(rows, columns=["scope", "reached", "sessions_needed", "before_run",
                                      "ratio", "base_themes", "themes_total", "sessions",
                                      "base", "run", "threshold", "unit"])
    for col in ("sessions_needed", "before_run", "base_themes"):
        out[col] = out[col].astype("Int64")
    return out


def _random_new(matrix: np.ndarray, n_orders: int, rng: np.random.Generator) -> np.ndarray:
    """Count new themes at each position of ``n_orders`` random orders of the sessions (rows).

    A theme is new at the first position, in an order, of a session that raised it: the
    smallest position over the (session, theme) cells of ``matrix`` that are set. Only
    those cells are looked at (a few per session, however many themes the codebook has).
    """
    n_s, _ = matrix.shape
    out = np.empty((n_orders, n_s), dtype=np.int64)
    session, starts = cells_by_column(matrix)  # the cells set, theme by theme
    size = max(1, 4_000_000 // max(n_s + len(session), 1))
    for start in range(0, n_orders, size):
        b = min(size, n_orders - start)
        pos = rng.permuted(np.broadcast_to(np.arange(n_s), (b, n_s)), axis=1)
        if not len(session):
            out[start:start + b] = 0
            continue
        first = np.minimum.reduceat(pos[:, session], starts, axis=1)  # b x themes raised
        flat = (np.arange(b)[:, None] * n_s + first).ravel()
        out[start:start + b] = np.bincount(flat, minlength=b * n_s).reshape(b, n_s)
    return out


def saturation_orders(notes: pd.DataFrame, *, base: int = 4, run: int = 2,
                      threshold: float = 0.05, n_orders: int = 1_000, seed: int | None = 0,
                      by_group: bool = True) -> pd.DataFrame:
    """How much the saturation point depends on the order of sessions.

    Applies :func:`saturation_reached` to ``n_orders`` random orders of each scope's
    sessions (seeded) and summarizes where saturation is reached.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table, one coder per session.
    base, run, threshold
        As for :func:`saturation_reached`.
    n_orders : int, default 1_000
        Random orders of the sessions.
    seed : int or None, default 0
        Seed of the random generator (the same seed gives the same orders as
        :func:`saturation_band`).
    by_group : bool, default True
        Also each group's sessions (as in :func:`saturation`).

    Returns
    -------
    pandas.DataFrame
        One row per scope. Columns: ``scope``, ``sessions``, ``date_order`` (sessions
        needed in date order; ``<NA>`` when not reached), ``share_reached`` (share of the
        random orders that reach saturation), ``median``, ``min``, ``max`` (sessions
        needed over the random orders that reach it), ``n_orders``, ``base``, ``run``,
        ``threshold``, ``unit`` (``"sessions"``).
    """
    _check_guest(base, run, threshold)
    if (isinstance(n_orders, (bool, np.bool_)) or not isinstance(n_orders, (int, np.integer))
            or n_orders < 1):
        raise ValueError(f"n_orders={n_orders!r}: give a whole number, 1 or more")
    _, matrix, _, scopes = _scopes(notes, by_group)
    rng = np.random.Generator(np.random.PCG64(seed))
    observed = saturation_reached(saturation(notes, by_group=by_group), base=base, run=run,
                                  threshold=threshold).set_index("scope")
    rows = []
    for name, picked in scopes:
        _, first, _ = _guest(_random_new(matrix[picked], n_orders, rng), base, run, threshold)
        needed = first[first >= 0] + run
        rows.append({
            "scope": name, "sessions": len(picked),
            "date_order": observed.loc[name, "sessions_needed"],
            "share_reached": float((first >= 0).mean()),
            "median": float(np.median(needed)) if len(needed) else np.nan,
            "min": int(needed.min()) if len(needed) else pd.NA,
            "max": int(needed.max()) if len(needed) else pd.NA,
            "n_orders": int(n_orders), "base": base, "run": run,
            "threshold": float(threshold), "unit": "sessions",
        })
    out = pd.DataFrame(rows)
    for col in ("date_order", "min", "max"):
        out[col] = out[col].astype("Int64")
    return out


def saturation_band(notes: pd.DataFrame, *, n_orders: int = 1_000, seed: int | None = 0,
                    by_group: bool = True, confidence: float = 0.95) -> pd.DataFrame:
    """Cumulative distinct themes over sessions: date order, and the band over random orders.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table, one coder per session.
    n_orders : int, default 1_000
        Random orders of the sessions.
    seed : int or None, default 0
    by_group : bool, default True
        Also each group's sessions.
    confidence : float, default 0.95
        Central share of the random orders between ``low`` and ``high``.

    Returns
    -------
    pandas.DataFrame
        One row per scope and number of sessions (``order`` 1, 2, ...). Columns:
        ``scope``, ``order``, ``cumulative`` (distinct themes after that many sessions in
        date order), ``median``, ``low``, ``high`` (over the random orders), ``min``,
        ``max``, ``unit`` (``"sessions"``). The data of
        :func:`analysis.charts.saturation_band`.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r}: give a level between 0 and 1")
    if (isinstance(n_orders, (bool, np.bool_)) or not isinstance(n_orders, (int, np.integer))
            or n_orders < 1):
        raise ValueError(f"n_orders={n_orders!r}: give a whole number, 1 or more")
    _, matrix, _, scopes = _scopes(notes, by_group)
    rng = np.random.Generator(np.random.PCG64(seed))
    a = (1 - confidence) / 2
    parts = []
    for name, picked in scopes:
        sub = matrix[picked]
        cum = np.cumsum(_random_new(sub, n_orders, rng), axis=1)
        observed = np.cumsum(_curve(sub, np.asarray([""] * sub.shape[1], dtype=object))[1])
        parts.append(pd.DataFrame({
            "scope": name, "order": np.arange(1, len(picked) + 1, dtype=np.int64),
            "cumulative": observed.astype(np.int64),
            "median": np.median(cum, axis=0), "low": np.quantile(cum, a, axis=0),
            "high": np.quantile(cum, 1 - a, axis=0), "min": cum.min(axis=0),
            "max": cum.max(axis=0), "unit": "sessions"}))
    columns = ["scope", "order", "cumulative", "median", "low", "high", "min", "max", "unit"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
