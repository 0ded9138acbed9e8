"""Counting and cross-tabulation: DataFrame in, DataFrame out, no drawing.

Every table keeps the order of the ordered categoricals it counts (groups, categories in
codebook order, valence), so tables line up with each other and with the charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import check_choice, require_columns

__all__ = [
    "PHASES",
    "category_by_group",
    "counts",
    "main_themes",
    "one_coder",
    "overview",
    "phases",
    "theme_frequencies",
]




def overview(notes: pd.DataFrame) -> pd.DataFrame:
    """Summarize the notes per group: sessions, notes, distinct themes, valence counts.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``).

    Returns
    -------
    pandas.DataFrame
        One row per group plus a final ``Total`` row; columns ``sessions`` (distinct
        sessions with at least one note), ``notes``, ``themes`` (distinct themes),
        ``negative``, ``neutral``, ``positive`` (notes of each valence).
    """
    require_columns(notes, ("group", "session", "theme", "valence"))
    g = notes.groupby("group", observed=False)
    table = pd.DataFrame({
        "sessions": g["session"].nunique(),
        "notes": g.size(),
        "themes": g["theme"].nunique(),
    })
    val = pd.crosstab(notes["group"], notes["valence"], dropna=False)
    val = val.reindex(index=table.index, columns=notes["valence"].cat.categories, fill_value=0)
    table = table.join(val)
    total = pd.DataFrame({
        "sessions": [notes[["group", "session"]].drop_duplicates().shape[0]],
        "notes": [len(notes)],
        "themes": [notes["theme"].nunique()],
        **{v: [int((notes["valence"] == v).sum())] for v in val.columns},
    }, index=["Total"])
    table.index = table.index.astype(str)
    out = pd.concat([table, total])
    out.index.name = "group"
    out.columns.name = None
    return out.astype("int64")


def theme_frequencies(notes: pd.DataFrame) -> pd.DataFrame:
    """Count each theme: notes and sessions in which it came up, overall.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``category`` set.

    Returns
    -------
    pandas.DataFrame
        One row per theme used, sorted by ``notes`` descending, then ``sessions``
        descending, then codebook order (ties are broken by the codebook, never at random).
        Columns: ``theme``, ``category``, ``notes`` (number of notes), ``sessions`` (number
        of distinct group-sessions in which it was noted), ``groups`` (number of groups).
    """
    require_columns(notes, ("group", "session", "theme", "category"))
    used = notes.dropna(subset=["theme"])
    g = used.groupby("theme", observed=True)
    table = pd.DataFrame({
        "notes": g.size(),
        "sessions": g[["group", "session"]].apply(lambda d: len(d.drop_duplicates())),
        "groups": g["group"].nunique(),
    })
    cat = used.drop_duplicates("theme").set_index("theme")["category"]
    table.insert(0, "category", cat.reindex(table.index))
    order = {t: i for i, t in enumerate(notes["theme"].cat.categories)}
    table = table.reset_index()
    table["_order"] = table["theme"].map(order).astype(int)
    table = table.sort_values(["notes", "sessions", "_order"], ascending=[False, False, True])
    table = table.drop(columns="_order").reset_index(drop=True)
    table["theme"] = table["theme"].astype(str)
    return table


def category_by_group(notes: pd.DataFrame, *, normalize: bool = False) -> pd.DataFrame:
    """Cross-tabulate notes by category (rows) and group (columns).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``category`` set.
    normalize : bool, default False
        Return the share of each category within each group (columns sum to 1).

    Returns
    -------
    pandas.DataFrame
        Index: categories in codebook order; columns: groups in order. Counts, or shares
        when ``normalize`` is True.
    """
    require_columns(notes, ("group", "category"))
    table = pd.crosstab(notes["category"], notes["group"], dropna=False)
    table = table.reindex(index=notes["category"].cat.categories,
                          columns=notes["group"].cat.categories, fill_value=0)
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    table.index.name, table.columns.name = "category", "group"
    if normalize:
        return table / table.sum(axis=0)
    return table


def main_themes(notes: pd.DataFrame, n: int = 9) -> pd.DataFrame:
    """Return the ``n`` most frequent themes of each category (Table 2 of such papers).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``category`` set.
    n : int, default 9
        Themes per category (fewer when a category has fewer themes).

    Returns
    -------
    pandas.DataFrame
        One row per (category, theme), categories in codebook order, themes by rank.
        Columns: ``category``, ``rank`` (1 = most frequent in its category), ``theme``, one
        column per group with its number of notes, ``total`` (notes in all groups),
        ``sessions`` (group-sessions in which it came up).

    Notes
    -----
    Ties are broken deterministically: more notes first, then more sessions, then more
    groups, then codebook order. Themes without a category are left out.
    """
    if n < 1:
        raise ValueError(f"n={n!r}: give a whole number of themes per category, 1 or more")
    freq = theme_frequencies(notes).dropna(subset=["category"])
    order = {t: i for i, t in enumerate(notes["theme"].cat.categories)}
    freq = freq.assign(_order=freq["theme"].map(order)).sort_values(
        ["notes", "sessions", "groups", "_order"], ascending=[False, False, False, True])
    by_group = pd.crosstab(notes["theme"], notes["group"], dropna=False)
    by_group = by_group.reindex(columns=notes["group"].cat.categories, fill_value=0)
    by_group.index = by_group.index.astype(str)
    by_group.columns = by_group.columns.astype(str)
    parts = []
    for category in notes["category"].cat.categories:
        top = freq[freq["category"] == category].head(n)
        if top.empty:
            continue
        counts = by_group.reindex(top["theme"]).reset_index(drop=True)
        part = pd.DataFrame({"category": str(category), "rank": range(1, len(top) + 1),
                             "theme": top["theme"].to_numpy()})
        part = pd.concat([part, counts], axis=1)
        part["total"] = top["notes"].to_numpy()
        part["sessions"] = top["sessions"].to_numpy()
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["category", "rank", "theme", *by_group.columns, "total",
                                     "sessions"])
    out = pd.concat(parts, ignore_index=True)
    out["category"] = pd.Categorical(out["category"],
                                     categories=[str(c) for c in notes["category"].cat.categories],
                                     ordered=True)
    return out


#: Default names of the three phases of a programme.
PHASES: tuple[str, ...] = ("beginning", "middle", "end")

_OF = ("theme", "category")
_BY = ("group", "session", "phase", "valence", None)
_UNITS = ("notes", "sessions")




def phases(notes: pd.DataFrame, *, n: int = 3, labels: tuple[str, ...] | None = None,
           cuts: dict[str, tuple[int, int]] | None = None) -> pd.Series:
    """Assign each note to a phase of its group's programme (beginning, middle, end).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    n : int, default 3
        Number of phases; each group's sessions (in session order) are split into ``n``
        parts as equal as possible, earlier parts taking the extra session
        (``numpy.array_split``), so groups with different numbers of sessions are comparable.
    labels : tuple of str, optional
        Phase names; default :data:`PHASES` for ``n=3``, else ``phase 1`` ... ``phase n``.
    cuts : dict, optional
        A user-given split instead: ``{label: (first_session, last_session)}``, the same for
        every group; sessions outside every range get a missing phase.

    Returns
    -------
    pandas.Series
        Ordered categorical aligned with ``notes``.
    """
    if cuts is not None:
        names = list(cuts)
        out = pd.Series(pd.NA, index=notes.index, dtype=object)
        for name, (lo, hi) in cuts.items():
            out[(notes["session"] >= lo) & (notes["session"] <= hi)] = name
        return pd.Series(pd.Categorical(out, categories=names, ordered=True), index=notes.index,
                         name="phase")
    if n < 1:
        raise ValueError(f"n={n!r}: give a number of phases of 1 or more")
    names = list(labels) if labels else (list(PHASES) if n == 3 else
                                         [f"phase {i + 1}" for i in range(n)])
    if len(names) != n:
        raise ValueError(f"{len(names)} labels given for n={n} phases")
    mapping: dict[tuple[object, int], str] = {}
    for group, sess in notes[["group", "session"]].drop_duplicates().groupby("group",
                                                                             observed=True):
        ordered = sorted(int(x) for x in sess["session"])
        for name, part in zip(names, np.array_split(np.array(ordered), n), strict=True):
            for x in part:
                mapping[(group, int(x))] = name
    keys = zip(notes["group"], notes["session"].astype(int), strict=True)
    values = [mapping.get(k) for k in keys]
    return pd.Series(pd.Categorical(values, categories=names, ordered=True), index=notes.index,
                     name="phase")


def counts(notes: pd.DataFrame, *, of: str = "category", by: str | None = "group",
           unit: str = "notes", per_session: bool = False, phase: pd.Series | None = None
           ) -> pd.DataFrame:
    """Count themes or categories, overall or by group, session, phase or valence.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    of : {"category", "theme"}
        What is counted (rows, in codebook order).
    by : {"group", "session", "phase", "valence", None}
        The columns: groups (in order), group-sessions (``Group 1 #3``), phases (see
        :func:`phases`; pass ``phase=`` for another split), valences, or one ``total`` column.
    unit : {"notes", "sessions"}
        ``"notes"`` counts notes; ``"sessions"`` counts the group-sessions in which it came
        up (each at most once per session).
    per_session : bool, default False
        Divide each column by its number of sessions (sessions of the group, of the phase,
        or all sessions): a rate that makes groups with different numbers of sessions
        comparable. Sessions are those with at least one note.
    phase : pandas.Series, optional
        Phase of each note (default ``phases(notes)``), used when ``by="phase"``.

    Returns
    -------
    pandas.DataFrame
        Index: themes or categories (ordered); columns: the levels of ``by``. Integers, or
        floats when ``per_session`` is True.
    """
    check_choice("of", of, _OF)
    check_choice("by", by, _BY)
    check_choice("unit", unit, _UNITS)
    require_columns(notes, ("group", "session", of) + ((by,) if by in ("group", "valence") else ()))
    data = notes.assign(_all="total", _gs=notes["group"].astype(str) + " #"
                        + notes["session"].astype(str))
    if by == "phase":
        data["phase"] = phase if phase is not None else phases(notes)
    column = {"group": "group", "session": "_gs", "phase": "phase", "valence": "valence",
              None: "_all"}[by]
    if unit == "sessions":
        data = data.drop_duplicates(["group", "session", of, column])
    table = pd.crosstab(data[of], data[column], dropna=False)
    rows = list(notes[of].cat.categories)
    if by == "session":
        sess = notes[["group", "session"]].drop_duplicates().sort_values(["group", "session"])
        cols = list(sess["group"].astype(str) + " #" + sess["session"].astype(str))
    elif by is None:
        cols = ["total"]
    else:
        cols = list(data[column].cat.categories)
    table = table.reindex(index=rows, columns=cols, fill_value=0)
    if per_session:
        sessions = data.drop_duplicates(["group", "session"])
        if by in ("group", "phase"):
            n = sessions.groupby(column, observed=False).size().reindex(cols)
        elif by == "session":
            n = pd.Series(1, index=cols)
        else:
            n = pd.Series(len(sessions), index=cols)
        table = table / n.replace(0, np.nan)
    table.index = pd.CategoricalIndex(table.index.astype(str), categories=[str(r) for r in rows],
                                      ordered=True, name=of)
    table.columns = pd.Index([str(c) for c in cols], name=by or "")
    return table


def one_coder(notes: pd.DataFrame, coder: str | None = None) -> pd.DataFrame:
    """Keep one coder's notes, so double-coded sessions are not counted twice.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    coder : str, optional
        Whose notes to keep; default: the coder with the most notes (ties: first in order).
        Notes without a coder are always kept.

    Returns
    -------
    pandas.DataFrame
        The kept rows (all rows when nobody is named in ``coder``).
    """
    if "coder" not in notes or notes["coder"].isna().all():
        return notes
    sizes = notes["coder"].value_counts(sort=False)
    if coder is None:
        coder = sizes.idxmax()
    elif coder not in sizes.index:
        raise ValueError(f"coder={coder!r} is not one of {', '.join(map(repr, sizes.index))}")
    return notes[(notes["coder"] == coder) | notes["coder"].isna()]
