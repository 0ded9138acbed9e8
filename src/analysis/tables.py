"""Counting and cross-tabulation: DataFrame in, DataFrame out, no drawing.

Every table keeps the order of the ordered categoricals it counts (groups, categories in
codebook order, valence), so tables line up with each other and with the charts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._checks import check_choice, require_columns
from ._codes import codes_of, crosstab, distinct, first_at, presence, session_ids

__all__ = [
    "PHASES",
    "category_by_group",
    "coding_summary",
    "counts",
    "main_themes",
    "one_coder",
    "overview",
    "phases",
    "primary_coders",
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


_KEPT_SINGLE = "kept: session coded by one coder"
_KEPT_PRIMARY = "kept: primary coder of a double-coded session"
_KEPT_NO_CODER = "kept: note names no coder"
_LEFT_OUT = "left out: another coder of a double-coded session"


def _coder_choice(notes: pd.DataFrame, coder: str | None,
                  sessions: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Choose the primary coder of every group-session; see :func:`primary_coders`.

    Returns the per-session table and, for every note, whether it is kept.
    """
    require_columns(notes, ("group", "session", "coder"))
    ccodes, levels = codes_of(notes["coder"])
    names = [str(c) for c in levels]
    if coder is not None and str(coder) not in names:
        raise ValueError(f"coder={coder!r} is not one of {', '.join(map(repr, names))}")
    ids, first = session_ids(notes)
    n_p, n_c = len(first), len(names)
    coded = ccodes >= 0
    per_pair = crosstab(ids, n_p, ccodes, n_c)  # notes of each coder in each session
    who = per_pair > 0
    n_sessions = who.sum(axis=0)
    n_notes = per_pair.sum(axis=0)
    # study-wide ranking: most sessions coded, then most notes, then the coder column's order
    order = np.lexsort((np.arange(n_c), -n_notes, -n_sessions))
    rank = np.empty(n_c, dtype=np.int64)
    rank[order] = np.arange(n_c)
    n_coders = who.sum(axis=1)
    # the two best-ranked coders of each session (n_c when there is no second one)
    top = np.sort(np.where(who, rank[None, :], n_c), axis=1)
    best = order[np.minimum(top[:, 0], n_c - 1)]
    second = order[np.minimum(top[:, 1] if n_c > 1 else top[:, 0], n_c - 1)]
    double = n_coders > 1
    tie_s = double & (n_sessions[best] == n_sessions[second])
    tie_n = tie_s & (n_notes[best] == n_notes[second])
    primary = best
    rule = np.full(n_p, "coded most sessions in the study", dtype=object)
    rule[tie_s] = "tie on sessions coded: more notes in the study"
    rule[tie_n] = "tie on sessions and notes: first in the coder order"
    if coder is not None:
        chosen = who[:, names.index(str(coder))]
        primary = np.where(chosen, names.index(str(coder)), primary)
        rule[chosen] = f"chosen by coder={str(coder)!r}"
    named = np.full(n_p, -1, dtype=np.int64)
    if sessions is not None and "coder" in sessions.columns and len(sessions):
        require_columns(sessions, ("group", "session"))
        pair_of = {(str(g), s): i for i, (g, s) in enumerate(zip(
            notes["group"].take(first).astype(str), notes["session"].take(first), strict=True))}
        position = {name: i for i, name in enumerate(names)}
        for g, s, c in zip(sessions["group"], sessions["session"], sessions["coder"],
                           strict=True):
            if pd.isna(g) or pd.isna(s) or pd.isna(c) or not str(c).strip():
                continue  # a blank coder cell names nobody
            pair = pair_of.get((str(g), s))
            if pair is not None:
                named[pair] = position.get(str(c), -2)
        ok = named >= 0
        ok[ok] = who[np.flatnonzero(ok), named[ok]]
        primary[ok] = named[ok]
        rule[ok] = "named in the sessions table"
        ignored = (named != -1) & ~ok & (n_coders > 1)
        if ignored.any():
            rule[ignored] = "named coder has no notes here; " + rule[ignored]
            warnings.warn(
                f"{int(ignored.sum())} double-coded session(s) name a coder in the sessions "
                "table who made no note in them; their primary coder is chosen by the "
                "study-wide rule (see tables.primary_coders)", UserWarning, stacklevel=3)
    rule[n_coders == 1] = "single coder"
    has_coder = n_coders > 0
    keep = ~coded | (ccodes == primary[ids])
    left = np.bincount(ids[~keep], minlength=n_p)
    table = pd.DataFrame({
        "group": notes["group"].take(first).astype(str).to_numpy(dtype=object),
        "session": notes["session"].take(first).reset_index(drop=True),
        "coders": [", ".join(np.asarray(names, dtype=object)[row]) for row in who],
        "n_coders": n_coders.astype(np.int64),
        "primary": np.where(has_coder, np.asarray([*names, ""], dtype=object)[
            np.where(has_coder, primary, n_c)], None),
        "rule": np.where(has_coder, rule, None),
        "notes": np.bincount(ids, minlength=n_p).astype(np.int64),
        "notes_kept": np.bincount(ids[keep], minlength=n_p).astype(np.int64),
        "notes_left_out": left.astype(np.int64),
    })
    return table[has_coder].reset_index(drop=True), keep


def primary_coders(notes: pd.DataFrame, *, coder: str | None = None,
                   sessions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Say which coder's notes count for each group-session, and why.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table with ``group``, ``session`` and ``coder``.
    coder : str, optional
        A coder to prefer in every session they coded (over the study-wide ranking).
    sessions : pandas.DataFrame, optional
        ``study.sessions``; when it has a ``coder`` column, the coder it names for a session
        is that session's primary coder (when they made notes in it).

    Returns
    -------
    pandas.DataFrame
        One row per group-session with at least one note naming a coder, in group then
        session order. Columns: ``group``, ``session``, ``coders`` (the coders with notes
        in it, comma-separated, in the coder column's order), ``n_coders``, ``primary``
        (the coder whose notes are kept), ``rule`` (why: ``"single coder"``, ``"named in the
        sessions table"``, ``"chosen by coder=..."``, ``"coded most sessions in the
        study"``, or the tie-break used), ``notes`` (all notes of the session, every coder
        and none), ``notes_kept``, ``notes_left_out``.

    Notes
    -----
    The rule, in order of precedence: the coder named for the session in the sessions
    table; the coder given as ``coder``; of those who coded the session, the coder who
    coded most sessions in the whole study; on a tie, the one with more notes in the
    study; on a further tie, the first in the coder column's order (categorical order, or
    alphabetical). Sessions coded by one coder are always kept whoever coded them, and
    notes that name no coder are always kept. The unit of the counts is notes.
    """
    if "coder" not in notes.columns:
        raise ValueError("notes table has no 'coder' column: every note counts once")
    return _coder_choice(notes, coder, sessions)[0]


def one_coder(notes: pd.DataFrame, coder: str | None = None, *,
              sessions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keep one coder's notes per session, so double-coded sessions count once.

    Every session is kept: in a session coded by one coder, that coder's notes; in a
    double-coded session, the notes of its primary coder (see :func:`primary_coders` for
    the rule and :func:`coding_summary` for how many notes are left out and why).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    coder : str, optional
        A coder to prefer in every double-coded session they coded. Default: the coder who
        coded most sessions in the study among those who coded the session.
    sessions : pandas.DataFrame, optional
        ``study.sessions``; a ``coder`` column in it names the primary coder per session.

    Returns
    -------
    pandas.DataFrame
        The kept rows, in their order (all rows when no note names a coder). Notes without
        a coder are always kept.

    Raises
    ------
    ValueError
        When ``coder`` names nobody in the notes.
    """
    if "coder" not in notes or notes["coder"].isna().all():
        return notes
    return notes[_coder_choice(notes, coder, sessions)[1]]


def coding_summary(notes: pd.DataFrame, coder: str | None = None, *,
                   sessions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count the notes :func:`one_coder` keeps and leaves out, by reason.

    Parameters
    ----------
    notes, coder, sessions
        As for :func:`one_coder`.

    Returns
    -------
    pandas.DataFrame
        One row per reason, then ``total``; index ``reason``. Columns ``kept`` (bool;
        missing for the total), ``notes`` (number of notes) and ``sessions`` (distinct
        group-sessions with such notes; a session can appear under two reasons). Reasons:
        ``"kept: session coded by one coder"``, ``"kept: primary coder of a double-coded
        session"``, ``"kept: note names no coder"``, ``"left out: another coder of a
        double-coded session"``. The unit is notes.
    """
    reasons = [_KEPT_SINGLE, _KEPT_PRIMARY, _KEPT_NO_CODER, _LEFT_OUT]
    ids, first = session_ids(notes)
    reason = np.full(len(notes), 2, dtype=np.int64)
    if "coder" in notes and notes["coder"].notna().any():
        keep = _coder_choice(notes, coder, sessions)[1]
        coded = notes["coder"].notna().to_numpy()
        ccodes = codes_of(notes["coder"])[0]
        n_c = int(ccodes.max()) + 1
        found = distinct(ids[coded] * n_c + ccodes[coded], len(first) * n_c)
        n_coders = np.bincount(found // n_c, minlength=len(first))
        reason[coded] = np.where(n_coders[ids[coded]] > 1, 1, 0)
        reason[coded & ~keep] = 3
    pairs = presence(reason, 4, ids, len(first)).sum(axis=1)
    counts = np.bincount(reason, minlength=4)
    out = pd.DataFrame({"kept": pd.array([True, True, True, False, pd.NA], dtype="boolean"),
                        "notes": [*counts.astype(np.int64), len(notes)],
                        "sessions": [*pairs.astype(np.int64), len(first)]},
                       index=pd.Index([*reasons, "total"], name="reason"))
    out["notes"] = out["notes"].astype(np.int64)
    out["sessions"] = out["sessions"].astype(np.int64)
    return out
