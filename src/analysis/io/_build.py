"""Assembling a Study from raw tables: label merges, codebook, dates from the sessions sheet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import (
    CODEBOOK_COLUMNS,
    HISTORY_COLUMNS,
    _relabel_codes,
    apply_codebook,
    label_key,
    normalize_label,
    residual_todo,
    split_aliases,
    suggest_themes,
    validate_codebook,
)
from ..study import NOTE_COLUMNS, VALENCES, ImportLog, LabelMerge, Problem, Study

__all__ = ["build_study", "natural_key"]

_SESSION_COLUMNS = ["group", "session", "date", "attendance", "duration_min"]
_PARTICIPANT_COLUMNS = ["pseudonym", "group", "age", "years_experience", "region"]
_RATING_COLUMNS = ["pseudonym", "group", "session", "item", "score"]
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> list[object]:
    """Sort key that puts ``Group 2`` before ``Group 10``."""
    return [int(t) if t.isdigit() else t.casefold() for t in _DIGITS.split(str(text))]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _to_datetime(values: pd.Series) -> pd.Series:
    """Return dates (date objects, timestamps, None or datetime64) as ``datetime64[ns]``."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[ns]")
    codes, uniques = pd.factorize(values.astype(object).to_numpy(), use_na_sentinel=True)
    stamps = np.empty(len(uniques) + 1, dtype="datetime64[ns]")
    if len(uniques):
        stamps[:-1] = pd.to_datetime(pd.Series(uniques, dtype=object)).to_numpy(
            "datetime64[ns]")
    stamps[-1] = np.datetime64("NaT")
    return pd.Series(stamps[codes], index=values.index)


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return ``pandas.factorize`` of ``values`` as objects, without hashing a categorical.

    Codes and uniques come in order of first appearance, missing values coded -1.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.factorize(values.astype(object).to_numpy())
    codes = values.cat.codes.to_numpy()
    used = pd.unique(codes[codes >= 0])
    remap = np.full(len(values.cat.categories) + 1, -1, dtype=np.intp)
    remap[used] = np.arange(len(used))
    return remap[codes], values.cat.categories.to_numpy(dtype=object)[used]


def build_study(
    notes: pd.DataFrame,
    *,
    log: ImportLog,
    file: str,
    codebook: pd.DataFrame | None = None,
    codebook_sheet: str | None = "codebook",
    sessions: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    group_order: list[str] | None = None,
    source: Path | None = None,
    history: pd.DataFrame | None = None,
) -> Study:
    """Turn raw tables into a :class:`~analysis.study.Study`.

    Parameters
    ----------
    notes : pandas.DataFrame
        Raw notes: ``group, session, date, theme, category, valence, note, speaker, coder,
        source, _row``; theme labels as typed.
    log : ImportLog
        The log of the readers; merges, rejections and problems found here are added to it.
    file : str
        File name, for messages.
    codebook, sessions, participants, ratings : pandas.DataFrame, optional
        Raw side tables as read by :func:`~analysis.io._tables.parse_table`.
    group_order : list of str, optional
        Group order (e.g. sheet order of a grid workbook); otherwise the sessions sheet's
        order, then natural sort of the names.
    source : pathlib.Path, optional
        The path read.
    history : pandas.DataFrame, optional
        The ``codebook_history`` sheet: operations replayed on the raw theme labels (in step
        order) before they are matched to the codebook.
    """
    notes = notes.reset_index(drop=True)
    codebook = _empty(list(CODEBOOK_COLUMNS)) if codebook is None else codebook.copy()
    sessions = _empty(_SESSION_COLUMNS) if sessions is None else sessions.copy()
    participants = _empty(_PARTICIPANT_COLUMNS) if participants is None else participants.copy()
    ratings = _empty(_RATING_COLUMNS) if ratings is None else ratings.copy()
    for frame, cols in ((codebook, CODEBOOK_COLUMNS), (sessions, _SESSION_COLUMNS),
                        (participants, _PARTICIPANT_COLUMNS), (ratings, _RATING_COLUMNS)):
        for c in cols:
            if c not in frame:
                frame[c] = None

    # --- codebook: spellings, aliases, category of each theme -------------------------------
    codebook_given = len(codebook) > 0
    if codebook_given:
        log.errors.extend(validate_codebook(codebook, file=file, sheet=codebook_sheet))
        log.warnings.extend(residual_todo(codebook, file=file, sheet=codebook_sheet))
        # a theme listed twice: the first row wins (validate_codebook reported the rest)
        keys = codebook["theme"].map(label_key)
        codebook = codebook[~keys.duplicated()].reset_index(drop=True)
    elif "category" in notes and notes["category"].notna().any():
        codebook = _codebook_from_notes(notes, log, file)

    spelling: dict[str, tuple[str, str]] = {}  # key -> (theme, reason)
    for theme in codebook["theme"]:
        spelling.setdefault(label_key(theme), (theme, "normalized"))
    for theme, aliases in zip(codebook["theme"], codebook["aliases"], strict=True):
        for alias in split_aliases(aliases):
            spelling.setdefault(label_key(alias), (theme, "alias"))

    if history is not None and len(history):
        # replay the refinement history note by note (a split sends one label two ways)
        history = _check_history(history, log, file)
        before, old_labels = _relabel_codes(notes, None)
        after, new_labels = _relabel_codes(notes, history)
        old_keys = np.array([*map(label_key, old_labels), ""], dtype=object)
        new_keys = np.array([*map(label_key, new_labels), ""], dtype=object)
        changed = old_keys[before] != new_keys[after]
        relabeled = pd.Series(np.asarray([*new_labels, None], dtype=object)[after],
                              index=notes.index, dtype=object)
        moved = notes.loc[changed, ["theme", "source"]].assign(new=relabeled[changed])
        for (old, new), grp in moved.groupby(["theme", "new"], sort=False):
            log.merges.append(LabelMerge(str(old), str(new), "history", len(grp),
                                         str(grp["source"].iat[0])))
        notes = notes.assign(theme=relabeled.where(changed, notes["theme"]))
    codes, uniques = _factorize(notes["theme"])
    canon = np.empty(len(uniques), dtype=object)
    reasons = np.empty(len(uniques), dtype=object)
    for i, label in enumerate(uniques):
        key = label_key(label)
        if key not in spelling:
            spelling[key] = (normalize_label(label), "normalized")  # first spelling seen wins
        canon[i], reasons[i] = spelling[key]
    canon_codes, canon_labels = pd.factorize(canon)
    notes["theme"] = pd.Categorical.from_codes(canon_codes[codes] if len(codes) else codes,
                                               categories=canon_labels)

    counts = np.bincount(codes, minlength=len(uniques)) if len(codes) else []
    first_at = pd.Series(np.arange(len(codes))).groupby(codes).first() if len(codes) else {}
    for i, label in enumerate(uniques):
        if label != canon[i]:
            log.merges.append(LabelMerge(str(label), str(canon[i]), str(reasons[i]),
                                         int(counts[i]),
                                         str(notes["source"].iat[int(first_at[i])])))

    codebook_themes = list(codebook["theme"])
    used = list(dict.fromkeys(canon))
    if codebook_given:
        known = set(codebook_themes)
        for theme in used:
            if theme not in known:
                n = int(counts[canon == theme].sum())
                first = notes["source"].iat[int(first_at[np.flatnonzero(canon == theme)].min())]
                hint = suggest_themes(theme, codebook_themes)
                tip = f"; did you mean {' or '.join(repr(h) for h in hint)}?" if hint else ""
                log.errors.append(Problem(
                    f"theme '{theme}' ({n} note{'s' if n != 1 else ''}, first at {first}) is "
                    f"not in the codebook{tip}", file=file, sheet=codebook_sheet))
        for theme in codebook_themes:
            if theme not in set(used):
                log.warnings.append(Problem(
                    f"codebook theme '{theme}' is never used in the notes", file=file,
                    sheet=codebook_sheet, severity="warning"))

    # --- sessions: dates, inferred session numbers --------------------------------------------
    sessions["group"] = sessions["group"].astype(object)
    sheet_groups = list(sessions["group"].dropna())
    if sessions.empty and len(notes):
        sessions = _sessions_from_notes(notes, log, file)
    notes = _fill_from_sessions(notes, sessions, log, file)

    # --- dtypes --------------------------------------------------------------------------------
    # group order: as given (grid sheet order), then the sessions sheet's, then natural sort
    groups = list(group_order or [])
    groups += [g for g in dict.fromkeys(sheet_groups) if g not in groups]
    groups += sorted({g for g in notes["group"].dropna().unique() if g not in groups},
                     key=natural_key)

    theme_order = list(dict.fromkeys([*codebook_themes, *used]))
    tidy = pd.DataFrame({
        "group": pd.Categorical(notes["group"], categories=groups, ordered=True),
        "session": pd.array(notes["session"].to_numpy(np.int64), dtype="Int64"),
        "date": _to_datetime(notes["date"]) if len(notes) else pd.Series(dtype="datetime64[ns]"),
        "theme": pd.Categorical(notes["theme"], categories=theme_order),
        "category": None,
        "valence": pd.Categorical(notes["valence"], categories=list(VALENCES), ordered=True),
        "note": _optional_text(notes, "note"),
        "speaker": _optional_labels(notes, "speaker"),
        "coder": _optional_labels(notes, "coder"),
        "source": notes["source"].astype(str),
    })
    tidy = apply_codebook(tidy, codebook[["theme", "category"]])
    tidy = tidy[list(NOTE_COLUMNS)]
    if "quote" in notes:  # optional: notes marked to quote in the report
        tidy["quote"] = np.asarray(notes["quote"].astype("boolean").fillna(False), dtype=bool)

    sessions = sessions[[c for c in sessions.columns if c != "source" and c != "_row"]]
    sessions["group"] = pd.Categorical(sessions["group"], categories=groups, ordered=True)
    sessions["session"] = pd.array(sessions["session"], dtype="Int64")
    sessions["date"] = _to_datetime(sessions["date"])
    sessions = sessions.sort_values(["group", "session"], kind="stable").reset_index(drop=True)
    cb = codebook[list(CODEBOOK_COLUMNS)].reset_index(drop=True)
    for c in ("definition", "aliases"):
        cb[c] = cb[c].where(cb[c].astype(object).map(bool), None) if len(cb) else cb[c]
    participants = participants.drop(columns=[c for c in ("_row", "source")
                                              if c in participants]).reset_index(drop=True)
    ratings = ratings.drop(columns=[c for c in ("_row", "source") if c in ratings])
    log.check_balance()
    return Study(notes=tidy.reset_index(drop=True), codebook=cb, sessions=sessions,
                 participants=participants, ratings=ratings.reset_index(drop=True), log=log,
                 source=source, history=history if history is not None and len(history)
                 else None)


def _check_history(history: pd.DataFrame, log: ImportLog, file: str) -> pd.DataFrame:
    """Keep the well-formed operations of a codebook_history sheet; report the others."""
    frame = history.copy()
    for c in HISTORY_COLUMNS:
        if c not in frame:
            frame[c] = None
    ok = []
    for rec in frame.to_dict("records"):
        op = str(rec["operation"] or "").strip().casefold()
        where = {"file": file, "sheet": "codebook_history", "row": int(rec.get("_row", 0) or 0)}
        if op not in ("merge", "rename", "split", "move"):
            log.errors.append(Problem(f"operation {rec['operation']!r} is not one of merge, "
                                      "rename, split, move; the row is not replayed",
                                      column="operation", **where))
        elif op in ("merge", "rename") and not rec["target"]:
            log.errors.append(Problem(f"{op} needs a target theme; the row is not replayed",
                                      column="target", **where))
        elif op == "split" and (len(split_aliases(rec["target"])) != 2 or not str(
                rec["rule"] or "").strip().startswith(("keyword:", "sources:"))):
            log.errors.append(Problem(
                "split needs two targets ('matching; rest') and a rule 'keyword: ...' or "
                "'sources: ...'; the row is not replayed", column="rule", **where))
        else:
            rec["operation"] = op
            ok.append(rec)
    out = pd.DataFrame(ok, columns=list(frame.columns))
    out["step"] = pd.to_numeric(out["step"]).astype("Int64") if len(out) else out["step"]
    return out[list(HISTORY_COLUMNS)].sort_values("step", kind="stable").reset_index(drop=True)


def _optional_labels(notes: pd.DataFrame, col: str) -> pd.Categorical:
    """Return a label column as a categorical; blank labels are missing."""
    if col in notes and isinstance(notes[col].dtype, pd.CategoricalDtype):
        values = notes[col]
        if "" in values.cat.categories:
            values = values.cat.remove_categories([""])
        return pd.Categorical(values)
    return pd.Categorical(_optional_text(notes, col))


def _optional_text(notes: pd.DataFrame, col: str) -> pd.Series:
    if col not in notes:
        return pd.Series([None] * len(notes), dtype=object)
    values = notes[col].astype(object)
    blank = values.isna().to_numpy() | (values.to_numpy() == "")
    return values.where(~blank, None) if blank.any() else values


def _codebook_from_notes(notes: pd.DataFrame, log: ImportLog, file: str) -> pd.DataFrame:
    """Build a codebook from a ``category`` column of the notes (first pairing wins)."""
    pairs = notes.loc[notes["category"].notna() & (notes["category"] != ""),
                      ["theme", "category", "source"]]
    pairs = pairs.assign(key=pairs["theme"].map(label_key))
    first = pairs.drop_duplicates("key")
    for _, grp in pairs.groupby("key", sort=False):
        cats = list(dict.fromkeys(grp["category"]))
        if len({label_key(c) for c in cats}) > 1:
            srcs = grp.drop_duplicates("category")["source"].tolist()
            log.errors.append(Problem(
                f"theme '{grp['theme'].iat[0]}' has {len(cats)} categories in the notes: "
                + ", ".join(f"'{c}' ({s})" for c, s in zip(cats, srcs, strict=True))
                + "; categories must be mutually exclusive", file=file))
    return pd.DataFrame({"theme": first["theme"].to_numpy(),
                         "category": first["category"].to_numpy(),
                         "definition": None, "aliases": None})


def _sessions_from_notes(notes: pd.DataFrame, log: ImportLog, file: str) -> pd.DataFrame:
    """One row per group-session of the notes, dated by its first dated note.

    Used when the input has no sessions sheet; blank note dates are then filled from it, so a
    session's notes share one date. Notes of one session with different dates are reported.
    """
    known = notes.dropna(subset=["session"])
    dated = known.dropna(subset=["date"])
    dates = pd.to_datetime(dated["date"]).dt.normalize()
    per_session = dates.groupby([dated["group"], dated["session"]], sort=False).nunique()
    for (group, session), n in per_session[per_session > 1].items():
        log.warnings.append(Problem(
            f"the notes of {group} session {session} carry {n} different dates; the first is "
            "used for the session", file=file, severity="warning"))
    first_date = dated.drop_duplicates(["group", "session"]).set_index(["group", "session"])["date"]
    sessions = known[["group", "session"]].drop_duplicates().reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(sessions)
    sessions["date"] = first_date.reindex(keys).to_numpy() if len(first_date) else None
    return sessions.assign(attendance=np.nan, duration_min=np.nan)


def _codes(values: pd.Series) -> tuple[np.ndarray, Any]:
    """Return codes (missing: -1) and distinct values, a categorical's without hashing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    return pd.factorize(values)


def _pair_map(a: pd.Series, b: pd.Series, lookup: dict[tuple, Any], *,
              dtype: Any = object, missing: Any = None) -> np.ndarray:
    """Return ``lookup.get((a_i, b_i), missing)`` for every row, each distinct pair once.

    A pair with a missing member gives ``missing``.
    """
    if not len(a):
        return np.empty(0, dtype=dtype)
    ca, ua = _codes(a)
    cb, ub = _codes(b)
    ua, ub = list(ua), list(ub)
    width = len(ub) + 1
    key = np.where((ca < 0) | (cb < 0), -1, ca.astype(np.int64) * width + cb)
    codes, keys = pd.factorize(key)
    mapped = np.full(len(keys) + 1, missing, dtype=dtype)
    for j, k in enumerate(keys.tolist()):
        if k >= 0:
            mapped[j] = lookup.get((ua[k // width], ub[k % width]), missing)
    return mapped[codes]


def _fill_from_sessions(notes: pd.DataFrame, sessions: pd.DataFrame, log: ImportLog,
                        file: str) -> pd.DataFrame:
    """Fill blank dates from the sessions sheet and blank session numbers from dates."""
    if notes.empty:
        return notes
    notes = notes.copy()
    if notes["session"].dtype.kind not in "fiu":
        notes["session"] = pd.to_numeric(notes["session"].astype(object), errors="coerce")
    notes["date"] = _to_datetime(notes["date"])
    if len(sessions):
        keyed = sessions.dropna(subset=["session"]).drop_duplicates(["group", "session"])
        dates = _to_datetime(keyed["date"])
        dated = keyed.assign(date=dates, session=pd.to_numeric(keyed["session"]))[dates.notna()]
        date_of = dict(zip(zip(dated["group"].astype(object), dated["session"].astype(np.int64),
                               strict=True),
                           dated["date"].to_numpy(), strict=True))
        first = dated.assign(day=dated["date"].dt.normalize()).drop_duplicates(["group", "day"])
        session_of = dict(zip(zip(first["group"].astype(object), first["day"], strict=True),
                              first["session"].astype(float), strict=True))
        no_session = notes["session"].isna()
        if no_session.any():
            sub = notes.loc[no_session]
            notes.loc[no_session, "session"] = _pair_map(
                sub["group"], sub["date"].dt.normalize(), session_of, dtype=float,
                missing=np.nan)
        no_date = notes["date"].isna() & notes["session"].notna()
        if no_date.any() and date_of:
            sub = notes.loc[no_date]
            notes.loc[no_date, "date"] = _pair_map(
                sub["group"], sub["session"].astype(np.int64), date_of,
                dtype="datetime64[ns]", missing=np.datetime64("NaT"))
        # disagreements between a note's date and its session's date
        have = notes["date"].notna() & notes["session"].notna()
        if have.any() and date_of:
            sub = notes.loc[have]
            expected = pd.Series(_pair_map(
                sub["group"], sub["session"].astype(np.int64), date_of,
                dtype="datetime64[ns]", missing=np.datetime64("NaT")), index=sub.index)
            differs = expected.notna() & (expected.dt.normalize()
                                          != sub["date"].dt.normalize())
            if differs.any():
                first = sub.loc[differs].iloc[0]
                more = int(differs.sum()) - 1
                sheet, _, _ = str(first["source"]).partition("!")
                log.warnings.append(Problem(
                    f"date {pd.Timestamp(first['date']).date()} differs from the sessions "
                    f"sheet ({pd.Timestamp(expected[differs].iloc[0]).date()}) for "
                    f"{first['group']} session {int(first['session'])}; the note's date is kept"
                    + (f" ({more} more note{'s' if more != 1 else ''} like this)" if more else ""),
                    file=file, sheet=sheet if sheet != file else None, row=int(first["_row"]),
                    column="date", severity="warning"))
    missing = notes["session"].isna()
    if missing.any():
        cols = (notes.loc[missing, "_session_col"] if "_session_col" in notes
                else ["session"] * int(missing.sum()))
        for src, row, col in zip(notes.loc[missing, "source"], notes.loc[missing, "_row"], cols,
                                 strict=True):
            sheet, _, _ = str(src).partition("!")
            log.rejected.append(Problem(
                "session is blank and no session of this group in the sessions sheet has "
                "this note's date", file=file, sheet=sheet if sheet != file else None,
                row=int(row), column=col))
        log.kept -= int(missing.sum())
        notes = notes[~missing]
    notes["session"] = notes["session"].to_numpy(np.int64)
    return notes
