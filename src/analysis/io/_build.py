"""Assembling a Study from raw tables: label merges, codebook, dates from the sessions sheet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import (
    _COPY_ON_WRITE,
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
from ..study import (
    NOTE_COLUMNS,
    VALENCES,
    CategoryConflict,
    ImportLog,
    LabelMerge,
    NoteMove,
    Problem,
    Study,
)
from ._options import OptionsError
from ._schema import CODEBOOK, sheet_for
from ._tables import cell_text

__all__ = ["ExternalCodebook", "build_study", "natural_key", "read_context"]

_SESSION_COLUMNS = ["group", "session", "date", "attendance", "duration_min"]
_PARTICIPANT_COLUMNS = ["pseudonym", "group", "age", "years_experience", "region"]
_RATING_COLUMNS = ["pseudonym", "group", "session", "item", "score"]
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class ExternalCodebook:
    """A codebook read from elsewhere (``--codebook``), to be used instead of the input's own.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``theme, category, definition, aliases`` (category may be missing), plus
        ``_row`` (the spreadsheet row or CSV line) when the source has rows.
    label : str
        Where it came from, for the import log, e.g. ``"sheet 'Codes' of codes.xlsx"``.
    file, sheet : str
        Where it came from, for messages about its entries.
    log : ImportLog
        Its records read, kept and rejected and the problems found reading it (added to the
        study's log unless the reader already read the same sheet).
    """

    table: pd.DataFrame
    label: str
    file: str
    sheet: str | None = None
    log: ImportLog = field(default_factory=ImportLog)


@dataclass(frozen=True)
class _ReadContext:
    codebook: ExternalCodebook | None = None
    category_conflicts: str = "error"


_CONTEXT: ContextVar[_ReadContext | None] = ContextVar("analysis_read_context",
                                                       default=None)


@contextmanager
def read_context(codebook: ExternalCodebook | None = None,
                 category_conflicts: str = "error") -> Iterator[None]:
    """Make every :func:`build_study` call inside use this codebook and conflict policy.

    :func:`analysis.io.read_study` sets it around the reader it picks, so each reader builds
    its study with the options without passing them down itself.
    """
    token = _CONTEXT.set(_ReadContext(codebook, category_conflicts))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


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
    external_codebook: ExternalCodebook | None = None,
    category_conflicts: str | None = None,
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
    external_codebook : ExternalCodebook, optional
        A codebook given with ``--codebook``; it replaces ``codebook`` (with a warning when
        the input has one). Default: the one set by :func:`read_context`, if any.
    category_conflicts : {"error", "majority", "split"}, optional
        What to do when, without a codebook, the notes file one theme under several
        categories (see :func:`_codebook_from_notes`). Default: :func:`read_context`'s.
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
    context = _CONTEXT.get() or _ReadContext()
    external = external_codebook or context.codebook
    policy = category_conflicts or context.category_conflicts
    cb_file = file
    if external is not None:
        codebook, codebook_sheet, cb_file = _use_external(external, codebook, codebook_sheet,
                                                          log, file)
    elif len(codebook):
        log.codebook = f"sheet '{codebook_sheet}'" if codebook_sheet else "the input's codes"
    codebook_given = len(codebook) > 0
    if codebook_given:
        log.errors.extend(validate_codebook(codebook, file=cb_file, sheet=codebook_sheet))
        log.warnings.extend(residual_todo(codebook, file=cb_file, sheet=codebook_sheet))
        # a theme listed twice: the first row wins (validate_codebook reported the rest)
        keys = codebook["theme"].map(label_key)
        codebook = codebook[~keys.duplicated()].reset_index(drop=True)
        if "category" in notes and policy != "error":
            log.warnings.append(Problem(
                f"--category-conflicts {policy} is not used: the codebook "
                f"({log.codebook}) gives each theme its one category", file=file,
                severity="warning"))
    elif "category" in notes and notes["category"].notna().any():
        notes, codebook = _codebook_from_notes(notes, log, file, policy)
        if len(codebook):
            log.codebook = "the categories named in the notes"

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
                    f"not in the codebook{tip}", file=cb_file, sheet=codebook_sheet))
        for theme in codebook_themes:
            if theme not in set(used):
                log.warnings.append(Problem(
                    f"codebook theme '{theme}' is never used in the notes", file=cb_file,
                    sheet=codebook_sheet, severity="warning"))
        if "category" in notes:
            _warn_other_categories(notes, codebook, log, file)

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
    filed = codebook["category"].notna() & (codebook["category"].astype(object) != "")
    tidy = apply_codebook(tidy, codebook.loc[filed, ["theme", "category"]])
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


def _label_ids(values: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return label-key ids, codes into the distinct values, and the distinct values.

    A row's id is that of its label's key (-1: missing or blank); keys are computed once per
    distinct value.
    """
    codes, uniques = _factorize(values)
    keys = [label_key(cell_text(u)) for u in uniques]
    key_ids, _ = pd.factorize(np.array(keys, dtype=object))
    key_ids = np.where(np.array(keys, dtype=object) == "", -1, key_ids)
    lookup = np.append(key_ids, -1)  # code -1 (missing) -> -1
    return lookup[codes], codes, list(uniques)


def _codebook_from_notes(notes: pd.DataFrame, log: ImportLog, file: str,
                         policy: str = "error") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build a codebook from a ``category`` column of the notes.

    A theme whose notes name several categories (e.g. ``a->x`` and ``b->x`` in a wide
    sheet) is a conflict, resolved by ``policy`` (``--category-conflicts``):

    - ``"error"``: an error listing each category with its notes and first cell; the first
      pairing is used for the codebook.
    - ``"majority"``: every note of the theme is filed under its most frequent category; a
      tie goes to the tied category named first in the file. Each note that moved is listed
      in ``log.moves`` with its cell.
    - ``"split"``: one theme per (theme, category), named ``"theme (category)"``.

    Every conflict is listed in ``log.conflicts``. Returns the notes (themes and categories
    changed as the policy says) and the codebook (theme, category, definition, aliases).
    Labels are compared by :func:`~analysis.codebook.label_key`, once per distinct label.
    """
    row_t, t_codes, t_values = _label_ids(notes["theme"])
    row_c, c_codes, c_values = _label_ids(notes["category"])
    has = np.flatnonzero((row_t >= 0) & (row_c >= 0))
    n_c = int(row_c.max()) + 1 if len(has) else 1
    pair_codes, pairs = pd.factorize(row_t[has].astype(np.int64) * n_c + row_c[has])
    counts = np.bincount(pair_codes, minlength=len(pairs))
    first_rows = has[np.unique(pair_codes, return_index=True)[1]] if len(has) else has
    pair_t, pair_c = pairs // n_c, pairs % n_c
    source = notes["source"]

    def theme_at(row: int) -> str:
        return cell_text(t_values[t_codes[row]])

    def category_at(row: int) -> str:
        return cell_text(c_values[c_codes[row]])

    per_theme: dict[int, list[int]] = {}  # theme id -> its pairs, in order of appearance
    for j, t in enumerate(pair_t.tolist()):
        per_theme.setdefault(t, []).append(j)
    entries: list[tuple[str, str]] = []
    changed = False
    theme_col = category_col = None
    for t, js in per_theme.items():
        theme = theme_at(int(first_rows[js[0]]))
        if len(js) == 1:
            entries.append((theme, category_at(int(first_rows[js[0]]))))
            continue
        conflict = tuple((category_at(int(first_rows[j])), int(counts[j]),
                          str(source.iat[int(first_rows[j])])) for j in js)
        listing = ", ".join(f"'{c}' ({n} note{'s' if n != 1 else ''}, first at {src})"
                            for c, n, src in conflict)
        if policy == "error":
            log.conflicts.append(CategoryConflict(theme, conflict, "error"))
            log.errors.append(Problem(
                f"theme '{theme}' is filed under {len(js)} categories in the notes: "
                f"{listing}; categories must be mutually exclusive: fix the codes, or read "
                "with --category-conflicts majority (file it under its most frequent "
                "category) or --category-conflicts split (one theme per category)",
                file=file))
            entries.append((theme, conflict[0][0]))
            continue
        if not changed:
            theme_col = notes["theme"].astype(object).to_numpy(copy=True)
            category_col = notes["category"].astype(object).to_numpy(copy=True)
            changed = True
        assert theme_col is not None and category_col is not None
        mine = (row_t == t) & (row_c >= 0)
        if policy == "majority":
            best = int(np.argmax([n for _, n, _ in conflict]))  # first of the tied: file order
            keep = conflict[best][0]
            moved = np.flatnonzero(mine & (row_c != pair_c[js[best]]))
            named = np.array([cell_text(v) for v in c_values], dtype=object)[c_codes[moved]]
            log.moves += [NoteMove(str(src), theme, cat, keep) for src, cat in
                          zip(source.to_numpy()[moved].tolist(), named.tolist(), strict=True)]
            category_col[mine] = keep
            log.conflicts.append(CategoryConflict(theme, conflict, policy, (keep,)))
            log.warnings.append(Problem(
                f"theme '{theme}' is filed under {len(js)} categories: {listing}; "
                f"--category-conflicts majority files it under '{keep}': {len(moved)} "
                f"note{'s' if len(moved) != 1 else ''} moved (each listed by `check` "
                "and in log.moves)", file=file, severity="warning"))
            entries.append((theme, keep))
        else:
            names = [f"{theme} ({c})" for c, _, _ in conflict]
            for j, name in zip(js, names, strict=True):
                theme_col[mine & (row_c == pair_c[j])] = name
            log.conflicts.append(CategoryConflict(theme, conflict, policy, tuple(names)))
            log.warnings.append(Problem(
                f"theme '{theme}' is filed under {len(js)} categories: {listing}; "
                "--category-conflicts split makes one theme per category: "
                + ", ".join(f"'{name}' ({n} note{'s' if n != 1 else ''})"
                            for name, (_, n, _) in zip(names, conflict, strict=True)),
                file=file, severity="warning"))
            entries += [(name, c) for name, (c, _, _) in zip(names, conflict, strict=True)]
    if policy == "split" and changed:
        taken = {label_key(v) for v in t_values}
        for conflict in log.conflicts:
            for name in conflict.result if conflict.resolution == "split" else ():
                if label_key(name) in taken:
                    log.errors.append(Problem(
                        f"splitting theme '{conflict.theme}' makes a theme '{name}', which is "
                        "already a theme of the notes; rename one of them", file=file))
    if changed:
        notes = notes.assign(theme=theme_col, category=category_col)
    codebook = pd.DataFrame({"theme": [t for t, _ in entries],
                             "category": [c for _, c in entries],
                             "definition": None, "aliases": None})
    return notes, codebook


def _use_external(external: ExternalCodebook, codebook: pd.DataFrame,
                  codebook_sheet: str | None, log: ImportLog, file: str
                  ) -> tuple[pd.DataFrame, str | None, str]:
    """Put a ``--codebook`` in place of the input's own codebook; return it, its sheet, file."""
    same_file = external.file == file
    if same_file and external.sheet in log.sheets and sheet_for(external.sheet) is not CODEBOOK:
        raise OptionsError(f"--codebook {external.sheet!r} is a sheet read as part of the "
                           "study (notes or another table); name the codebook's own sheet",
                           file=file)
    if same_file:  # a sheet the reader passed over is read after all, as the codebook
        log.warnings[:] = [w for w in log.warnings if not (
            w.sheet == external.sheet and w.message.startswith("sheet not read"))]
    if len(codebook) and not (same_file and external.sheet == codebook_sheet):
        own = f"sheet '{codebook_sheet}'" if codebook_sheet else "its own codes"
        log.warnings.append(Problem(
            f"the input's codebook ({own}) is not used: the codebook given with --codebook "
            f"({external.label}) wins", file=file, severity="warning"))
    counted = next(iter(external.log.sheets), None)
    if counted is None or counted not in log.sheets or external.file != file:
        log.extend(external.log)  # the reader did not read this sheet already
    log.codebook = f"{external.label} (--codebook)"
    table = external.table.copy()
    for c in CODEBOOK_COLUMNS:
        if c not in table:
            table[c] = None
    return table, external.sheet, external.file


def _warn_other_categories(notes: pd.DataFrame, codebook: pd.DataFrame, log: ImportLog,
                           file: str) -> None:
    """Warn when notes name another category than the codebook gives their theme."""
    row_c, c_codes, c_values = _label_ids(notes["category"])
    if not (row_c >= 0).any():
        return
    filed = {label_key(t): label_key(c) for t, c in zip(codebook["theme"], codebook["category"],
                                                       strict=True)
             if isinstance(c, str) and c}
    t_codes, t_values = _factorize(notes["theme"])
    c_keys = np.array([label_key(cell_text(v)) for v in c_values] + [""], dtype=object)
    expected = np.array([filed.get(label_key(t), "") for t in t_values] + [""], dtype=object)
    differs = (row_c >= 0) & (expected[t_codes] != "") & (expected[t_codes] != c_keys[c_codes])
    if not differs.any():
        return
    n = int(differs.sum())
    i = int(np.flatnonzero(differs)[0])
    filed_as = dict(zip(codebook["theme"].map(label_key), codebook["category"], strict=True))
    theme = t_values[t_codes[i]]
    log.warnings.append(Problem(
        f"{n} note{'s name' if n != 1 else ' names'} another category than the codebook "
        f"gives {'their' if n != 1 else 'its'} theme (first at {notes['source'].iat[i]}: "
        f"'{cell_text(c_values[c_codes[i]])}' for '{theme}', codebook "
        f"'{filed_as[label_key(theme)]}'); the codebook's category is used", file=file,
        severity="warning"))


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
    notes = notes.copy(deep=not _COPY_ON_WRITE)  # a shallow copy copies what is written
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
