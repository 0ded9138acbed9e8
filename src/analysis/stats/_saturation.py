"""Saturation: the point after which new themes stop appearing."""

from __future__ import annotations

import pandas as pd

__all__ = ["saturation", "saturation_point"]


def _order(notes: pd.DataFrame) -> pd.DataFrame:
    sessions = notes[["group", "session", "date"]].drop_duplicates(["group", "session"])
    # date order; sessions without a date keep their session order within the group
    return sessions.sort_values(["date", "group", "session"], na_position="last",
                                kind="stable").reset_index(drop=True)


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
    """
    used = notes.dropna(subset=["theme"])
    theme_rank = {t: i for i, t in enumerate(notes["theme"].cat.categories)}
    per_session = (used.groupby(["group", "session"], observed=True)["theme"]
                   .agg(lambda s: sorted(set(s.astype(str)), key=lambda t: theme_rank.get(t, 0))))
    scopes: list[tuple[str, pd.DataFrame]] = [("all groups", _order(used))]
    if by_group:
        for group in notes["group"].cat.categories:
            part = used[used["group"] == group]
            if len(part):
                scopes.append((str(group), _order(part)))
    rows = []
    for scope, order in scopes:
        seen: set[str] = set()
        for i, rec in enumerate(order.itertuples(index=False), start=1):
            themes = per_session.loc[(rec.group, rec.session)]
            new = [t for t in themes if t not in seen]
            seen.update(new)
            rows.append({"scope": scope, "order": i, "group": str(rec.group),
                         "session": int(rec.session), "date": rec.date, "themes": len(themes),
                         "new": len(new), "cumulative": len(seen), "new_themes": "; ".join(new)})
    out = pd.DataFrame(rows, columns=["scope", "order", "group", "session", "date", "themes",
                                      "new", "cumulative", "new_themes"])
    out["scope"] = pd.Categorical(out["scope"], categories=list(dict.fromkeys(out["scope"])),
                                  ordered=True)
    return out


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
    rows = []
    for scope, part in curve.groupby("scope", observed=True, sort=True):
        part = part.reset_index(drop=True)
        found = None
        run = 0
        for i in range(len(part)):
            run = run + 1 if part.at[i, "new"] == 0 else 0
            if run == k:
                found = i - k  # the session before the run
                break
        base = {"scope": scope, "themes_total": int(part["cumulative"].iat[-1]),
                "sessions": len(part)}
        if found is None or found < 0:
            rows.append({**base, "reached": False, "order": pd.NA, "group": None,
                         "session": pd.NA, "date": pd.NaT, "themes_at_saturation": pd.NA})
        else:
            rec = part.loc[found]
            rows.append({**base, "reached": True, "order": int(rec["order"]),
                         "group": rec["group"], "session": int(rec["session"]),
                         "date": rec["date"], "themes_at_saturation": int(rec["cumulative"])})
    cols = ["scope", "reached", "order", "group", "session", "date", "themes_at_saturation",
            "themes_total", "sessions"]
    return pd.DataFrame(rows, columns=cols)
