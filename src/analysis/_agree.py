"""Agreement of two coders who coded the same sessions in two files (``agree FIRST SECOND``).

Each file is read with the same read options and is one coder. Sessions are matched on
group + session: by document name for exports of QDA tools (their session numbers depend on
which documents each coder coded), by the ``id`` column for wide sheets read without a
session column, else by the session number. A file whose notes all sit in the one group
named after the file (no group column) matches the other file's sessions whatever its name.

The unit of analysis is the presence of a code in a session coded by both coders, over every
code either coder used anywhere in the two files; a session counts as coded by a coder when
that coder's file holds at least one code in it. The figures are those of
:func:`analysis.stats.agreement` on these units.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .codebook import label_key
from .io._build import natural_key
from .stats import agreement, presence_by_coder
from .study import Study

__all__ = ["UNIT", "coder_agreement"]

#: The unit of analysis, in words (printed by ``agree``).
UNIT = ("presence of each code in each session coded by both, over every code either coder "
        "used; a session counts as coded by a coder when that coder's file has a code in it")


class AgreementError(ValueError):
    """The two files cannot be compared (no session coded in both, too few codes)."""


def _key_column(first: Study, second: Study) -> str:
    for column in ("document", "id"):
        if all(column in s.sessions and s.sessions[column].notna().any()
               for s in (first, second)):
            return column
    return "session"


def _default_group(study: Study) -> bool:
    """Return True when every note is in the one group named after the file (no group)."""
    groups = set(study.notes["group"].dropna().astype(str))
    return study.source is not None and groups == {Path(study.source).stem}


def _sessions_coded(study: Study, key: str, merge_groups: bool) -> dict[tuple[str, str], set[str]]:
    """Return each coded session's codes: ``{(group, session label): {code keys}}``."""
    notes = study.notes.dropna(subset=["group", "session", "theme"])
    if key != "session":
        table = study.sessions.dropna(subset=["group", "session"])
        label = {(str(g), int(s)): str(v) for g, s, v in
                 zip(table["group"], table["session"], table[key], strict=True)
                 if v is not None and v == v}
    else:
        label = {}
    out: dict[tuple[str, str], set[str]] = {}
    for g, s, t in zip(notes["group"].astype(str), notes["session"].astype("int64"),
                       notes["theme"].astype(str), strict=True):
        name = label.get((g, int(s)), str(int(s)))
        out.setdefault(("" if merge_groups else g, name), set()).add(t)
    return out


def _number(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else \
        float(value)


def coder_agreement(first: Study, second: Study, names: tuple[str, str]) -> dict[str, Any]:
    """Compare two coders' studies of the same sessions.

    Parameters
    ----------
    first, second : Study
        The two coders' files, read with the same options.
    names : tuple of str
        The coders' names (for output).

    Returns
    -------
    dict
        ``coders``, ``matched_on``, ``unit``, ``units`` (sessions coded by both), ``codes``
        (codes either coder used), ``decisions`` (units x codes), ``percent``, ``kappa``,
        ``alpha`` (None when undefined), ``per_theme`` (one dict per code: ``theme``,
        sessions with the code by ``first``, ``second``, ``both``, and ``percent``,
        ``kappa``, ``alpha``), ``disagreements`` (one dict per session where the coders
        differ: ``group``, ``session``, ``first`` and ``second`` (each coder's codes),
        ``only_first``, ``only_second``), ``only_first`` and ``only_second`` (sessions
        coded by one coder only: listed, not counted).

    Raises
    ------
    AgreementError
        When no session is coded in both files, or the coders used no code.
    """
    key = _key_column(first, second)
    merge = _default_group(first) and _default_group(second)
    coded = [_sessions_coded(s, key, merge) for s in (first, second)]
    # one spelling per code across the files (the first file's first spelling wins)
    spelling: dict[str, str] = {}
    for sessions in coded:
        for codes in sessions.values():
            for code in sorted(codes, key=natural_key):
                spelling.setdefault(label_key(code), code)
    themes = sorted(dict.fromkeys(spelling.values()), key=natural_key)
    both = [k for k in coded[0] if k in coded[1]]
    only = [[k for k in coded[i] if k not in coded[1 - i]] for i in (0, 1)]
    matched = ("group + " if not merge else "") + {"document": "document name",
                                                   "id": "id",
                                                   "session": "session number"}[key]
    if not both:
        shown = ["; ".join(sorted({g or "(one group)" for g, _ in c}, key=natural_key)[:5])
                 for c in coded]
        raise AgreementError(
            f"no session is coded in both files (matched on {matched}); groups of the first: "
            f"{shown[0] or 'none'}, of the second: {shown[1] or 'none'}; read both with the "
            "same --groups / --group-pattern / --column options so that groups and sessions "
            "match")
    order = sorted(both, key=lambda k: (natural_key(k[0]), natural_key(k[1])))
    index = {k: i + 1 for i, k in enumerate(order)}
    rows: list[tuple[str, int, str, str]] = []
    for coder, sessions in zip(names, coded, strict=True):
        for k in order:
            for code in sessions[k]:
                rows.append((k[0] or "all", index[k], spelling[label_key(code)], coder))
    notes = pd.DataFrame({
        "group": [r[0] for r in rows],
        "session": pd.array([r[1] for r in rows], dtype="int64"),
        "theme": pd.Categorical([r[2] for r in rows], categories=themes),
        "coder": [r[3] for r in rows],
    })
    table = agreement(notes, coders=names, units="all")
    presence = presence_by_coder(notes, coders=names, units="all")
    overall = table.iloc[-1]
    a, b = (presence[n].to_numpy(dtype=np.int64) for n in names)
    theme_of = pd.Categorical(presence.index.get_level_values("theme"),
                              categories=themes).codes
    counts = [np.bincount(theme_of, weights=w, minlength=len(themes)).astype(np.int64)
              for w in (a, b, a & b)]
    rows_of = table.iloc[:-1]  # the last row is "All" (a code may be named so too)
    per_theme = []
    for i, theme in enumerate(themes):
        row = rows_of.iloc[i]
        assert rows_of.index[i] == theme
        per_theme.append({"theme": theme, "first": int(counts[0][i]),
                          "second": int(counts[1][i]), "both": int(counts[2][i]),
                          "percent": _number(row["percent_agreement"]),
                          "kappa": _number(row["kappa"]), "alpha": _number(row["alpha"])})
    disagreements = []
    for k in order:
        x = {spelling[label_key(c)] for c in coded[0][k]}
        y = {spelling[label_key(c)] for c in coded[1][k]}
        if x != y:
            disagreements.append({
                "group": k[0] or None, "session": k[1],
                "first": sorted(x, key=natural_key), "second": sorted(y, key=natural_key),
                "only_first": sorted(x - y, key=natural_key),
                "only_second": sorted(y - x, key=natural_key)})

    def listed(keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return [{"group": g or None, "session": s}
                for g, s in sorted(keys, key=lambda k: (natural_key(k[0]), natural_key(k[1])))]

    return {
        "coders": list(names),
        "matched_on": matched,
        "unit": UNIT,
        "units": len(order),
        "codes": len(themes),
        "decisions": int(overall["n_units"]),
        "percent": _number(overall["percent_agreement"]),
        "kappa": _number(overall["kappa"]),
        "alpha": _number(overall["alpha"]),
        "per_theme": per_theme,
        "disagreements": disagreements,
        "only_first": listed(only[0]),
        "only_second": listed(only[1]),
    }
