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
    data = participants.copy()
    groups = list(dict.fromkeys(data[by].dropna())) if by in data else []
    parts = [(str(g), data[data[by] == g]) for g in groups] + [("All", data)]
    numeric = [c for c in ("age", "years_experience") if c in data]
    regions = (list(data["region"].value_counts().index) if "region" in data else [])
    rows = []
    for name, part in parts:
        row: dict[str, object] = {by: name, "n": len(part)}
        for col in numeric:
            values = pd.to_numeric(part[col], errors="coerce").dropna()
            row[f"{col}_mean"] = values.mean() if len(values) else np.nan
            row[f"{col}_sd"] = values.std(ddof=1) if len(values) > 1 else np.nan
            row[f"{col}_min"] = values.min() if len(values) else np.nan
            row[f"{col}_max"] = values.max() if len(values) else np.nan
        for region in regions:
            row[f"region: {region}"] = int((part["region"] == region).sum())
        rows.append(row)
    return pd.DataFrame(rows).set_index(by)


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
