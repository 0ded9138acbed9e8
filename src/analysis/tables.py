"""Counting and cross-tabulation: DataFrame in, DataFrame out, no drawing.

Every table keeps the order of the ordered categoricals it counts (groups, categories in
codebook order, valence), so tables line up with each other and with the charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import check_choice, require_columns
from ._codes import codes_of, crosstab, distinct, first_at, session_ids

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
    gcodes, groups = codes_of(notes["group"])
    tcodes, themes = codes_of(notes["theme"])
    vcodes, valences = codes_of(notes["valence"])
    n_g, n_t = len(groups), len(themes)
    _ids, first = session_ids(notes)
    has_group = gcodes >= 0
    # sessions per group: distinct non-missing sessions (``nunique``)
    pair_group = gcodes[first]
    pair_ok = (pair_group >= 0) & notes["session"].notna().to_numpy()[first]
    sessions = np.bincount(pair_group[pair_ok], minlength=n_g)
    notes_n = np.bincount(gcodes[has_group], minlength=n_g)
    both = has_group & (tcodes >= 0)
    pairs = distinct(gcodes[both] * n_t + tcodes[both], n_g * n_t)
    themes_n = np.bincount(pairs // max(n_t, 1), minlength=n_g)
    val = crosstab(gcodes, n_g, vcodes, len(valences))
    total_val = np.bincount(vcodes[vcodes >= 0], minlength=len(valences))
    n_themes = len(distinct(tcodes[tcodes >= 0], n_t))
    columns = {
        "sessions": [*sessions, len(first)],
        "notes": [*notes_n, len(notes)],
        "themes": [*themes_n, n_themes],
        **{v: [*val[:, j], total_val[j]] for j, v in enumerate(valences)},
    }
    out = pd.DataFrame({k: np.asarray(v, dtype=np.int64) for k, v in columns.items()},
                       index=pd.Index([*groups.astype(str), "Total"], name="group"))
    out.columns.name = None
    return out


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
    tcodes, themes = codes_of(notes["theme"])
    gcodes, groups = codes_of(notes["group"])
    n_t, n_g = len(themes), len(groups)
    used = tcodes >= 0
    count = np.bincount(tcodes[used], minlength=n_t)
    ids, first = session_ids(notes)
    n_p = len(first)
    pairs = distinct(tcodes[used] * n_p + ids[used], n_t * n_p)
    sessions = np.bincount(pairs // max(n_p, 1), minlength=n_t)
    both = used & (gcodes >= 0)
    pairs = distinct(tcodes[both] * n_g + gcodes[both], n_t * n_g)
    n_groups = np.bincount(pairs // max(n_g, 1), minlength=n_t)
    first_note = first_at(tcodes, n_t, used)
    present = np.flatnonzero(count > 0)
    order = present[np.lexsort((present, -sessions[present], -count[present]))]
    table = pd.DataFrame({
        "theme": pd.Series(pd.Categorical.from_codes(order, dtype=notes["theme"].dtype)
                           ).astype(str),
        "category": notes["category"].take(first_note[order]).reset_index(drop=True),
        "notes": count[order].astype(np.int64),
        "sessions": sessions[order].astype(np.int64),
        "groups": n_groups[order].astype(np.int64),
    })
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
    ccodes, categories = codes_of(notes["category"])
    gcodes, groups = codes_of(notes["group"])
    table = pd.DataFrame(
        crosstab(ccodes, len(categories), gcodes, len(groups)),
        index=pd.Index(categories.astype(str), name="category"),
        columns=pd.Index(groups.astype(str), name="group"))
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
    tcodes, themes = codes_of(notes["theme"])
    gcodes, groups = codes_of(notes["group"])
    by_group = pd.DataFrame(
        crosstab(tcodes, len(themes), gcodes, len(groups)),
        index=themes.astype(str), columns=groups.astype(str))
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
        Ordered categorical aligned with ``notes``. Notes without a group or a session get
        a missing phase.
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
    return pd.Series(pd.Categorical.from_codes(_phase_codes(notes, n), categories=names,
                                               ordered=True),
                     index=notes.index, name="phase")


def _phase_codes(notes: pd.DataFrame, n: int) -> np.ndarray:
    """Return the phase number (0 to n - 1) of every note, -1 without a group or session."""
    gcodes, groups = codes_of(notes["group"])
    ids, first = session_ids(notes)
    pair_group = gcodes[first]
    valid = np.flatnonzero((pair_group >= 0) & notes["session"].notna().to_numpy()[first])
    # pairs are numbered by group then session: each group's sessions are one ascending run
    group = pair_group[valid]
    size = np.bincount(group, minlength=len(groups))
    rank = np.arange(len(valid)) - (np.cumsum(size) - size)[group]
    m = size[group]
    small, extra = m // n, m % n
    cut = extra * (small + 1)  # the first ``extra`` parts take one session more
    part = np.where(rank < cut, rank // (small + 1),
                    extra + (rank - cut) // np.maximum(small, 1))
    pair_phase = np.full(len(first), -1, dtype=np.int64)
    pair_phase[valid] = part
    return pair_phase[ids]


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
    row_codes, row_levels = codes_of(notes[of])
    rows = list(row_levels)
    ids, first = session_ids(notes)
    n_pairs = len(first)
    if by == "phase":
        frame = pd.DataFrame(index=notes.index)  # a given phase is aligned on the index
        frame["phase"] = phase if phase is not None else phases(notes)
        col_codes, levels = codes_of(frame["phase"])
        cols = list(levels)
    elif by in ("group", "valence"):
        col_codes, levels = codes_of(notes[by])
        cols = list(levels)
    elif by == "session":
        labels = (notes["group"].take(first).astype(str) + " #"
                  + notes["session"].take(first).astype(str))
        cols = list(labels)
        # a pair whose label is missing (no session) is a column of zeros, as in crosstab
        col_codes = np.where(labels.isna().to_numpy(), -1, np.arange(n_pairs))[ids]
    else:
        cols = ["total"]
        col_codes = np.zeros(len(notes), dtype=np.int64)
    n_rows, n_cols = len(rows), len(cols)
    level_codes = col_codes
    if unit == "sessions":
        ok = (row_codes >= 0) & (col_codes >= 0)
        if by == "session":  # the column is the session itself
            found = distinct(col_codes[ok] * n_rows + row_codes[ok], n_pairs * n_rows)
            row_codes, col_codes = found % max(n_rows, 1), found // max(n_rows, 1)
        else:
            found = distinct((ids[ok] * n_rows + row_codes[ok]) * n_cols + col_codes[ok],
                              n_pairs * n_rows * n_cols)
            row_codes = (found // max(n_cols, 1)) % max(n_rows, 1)
            col_codes = found % max(n_cols, 1)
    values = crosstab(row_codes, n_rows, col_codes, n_cols)
    if per_session:
        if by in ("group", "phase"):  # sessions of each group or phase (by its first note)
            at_first = level_codes[first]
            n = np.bincount(at_first[at_first >= 0], minlength=n_cols).astype(float)
        elif by == "session":
            n = np.ones(n_cols)
        else:
            n = np.full(n_cols, float(n_pairs))
        n[n == 0] = np.nan
        values = values / n
    index = pd.CategoricalIndex([str(r) for r in rows], categories=[str(r) for r in rows],
                                ordered=True, name=of)
    return pd.DataFrame(values, index=index,
                        columns=pd.Index([str(c) for c in cols], name=by or ""))


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
