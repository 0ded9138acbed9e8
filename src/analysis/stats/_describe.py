"""Descriptive summaries: the participants table (Table 1) and ratings."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["participants_table", "ratings_summary"]


def participants_table(participants: pd.DataFrame, *, by: str = "group") -> pd.DataFrame:
    """Summarize participants per group and overall (Table 1 of such papers).

    Parameters
    ----------
    participants : pandas.DataFrame
        ``study.participants``: ``pseudonym`` and optional ``group``, ``age``,
        ``years_experience``, ``region``.
    by : str, default "group"
        Column to break down by (a final ``All`` row covers everyone).

    Returns
    -------
    pandas.DataFrame
        One row per group plus ``All``. Columns: ``n``; for ``age`` and ``years_experience``
        (when present) ``<col>_mean``, ``<col>_sd`` (sample SD, ddof=1), ``<col>_min``,
        ``<col>_max``; and ``region: <name>`` with the number of participants of each region
        (most frequent first).
    """
    data = participants
    if by in data:
        codes, uniques = pd.factorize(data[by])  # groups in order of first appearance
        names = [str(g) for g in uniques]
    else:
        codes, names = np.full(len(data), -1, dtype=np.intp), []
    n_rows = len(names) + 1  # the groups, then "All"
    rows = np.concatenate([codes[codes >= 0], np.full(len(data), len(names))])
    picked = np.concatenate([np.flatnonzero(codes >= 0), np.arange(len(data))])
    table = pd.DataFrame({by: [*names, "All"],
                          "n": np.bincount(rows, minlength=n_rows).astype(np.int64)})
    for col in ("age", "years_experience"):
        if col not in data:
            continue
        values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)[picked]
        stats = pd.Series(values).groupby(rows).agg(["mean", "std", "min", "max"])
        stats = stats.reindex(range(n_rows))
        for stat in ("mean", "std", "min", "max"):
            name = f"{col}_{'sd' if stat == 'std' else stat}"
            table[name] = stats[stat].to_numpy(dtype=float)
    if "region" in data:
        regions = list(data["region"].value_counts().index)  # most frequent first
        rcodes = pd.Categorical(data["region"], categories=regions).codes[picked]
        ok = rcodes >= 0
        counts = np.bincount(rows[ok] * len(regions) + rcodes[ok],
                             minlength=n_rows * len(regions)).reshape(n_rows, len(regions))
        for j, region in enumerate(regions):
            table[f"region: {region}"] = counts[:, j].astype(np.int64)
    return table.set_index(by)


def ratings_summary(ratings: pd.DataFrame, *, by: str | None = None,
                    scale: tuple[int, int] = (0, 10)) -> pd.DataFrame:
    """Summarize ratings (e.g. 0-10 helpfulness) per item, optionally per group.

    Returns
    -------
    pandas.DataFrame
        One row per item (and ``by`` level). Columns: ``n``, ``mean``, ``sd`` (ddof=1),
        ``median``, ``min``, ``max``, then one column per scale point (``0`` ... ``10``) with
        the number of ratings of that score.
    """
    if ratings is None or not len(ratings):
        return pd.DataFrame(columns=["n", "mean", "sd", "median", "min", "max"])
    keys = ["item"] + ([by] if by else [])
    points = list(range(scale[0], scale[1] + 1))
    rows = []
    for key, part in ratings.groupby(keys, sort=False):
        scores = pd.to_numeric(part["score"], errors="coerce").dropna()
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key, strict=True))
        row.update({"n": len(scores), "mean": scores.mean(),
                    "sd": scores.std(ddof=1) if len(scores) > 1 else np.nan,
                    "median": scores.median(), "min": scores.min(), "max": scores.max()})
        row.update({str(p): int((scores == p).sum()) for p in points})
        rows.append(row)
    return pd.DataFrame(rows).set_index(keys)
