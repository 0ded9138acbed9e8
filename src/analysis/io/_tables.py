"""Reading long tables (one record per row) from a grid of cell values.

Used for the template's ``notes``, ``codebook``, ``sessions``, ``participants`` and ``ratings``
sheets and for CSV files. Columns are validated through their distinct values, and only the
rejected rows are visited one by one.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import normalize_label
from ..study import ImportLog, Problem, _excel_column
from ._schema import SheetSpec, header_key, match_headers
from ._values import is_blank, map_unique, parse_date, parse_session, parse_valence

__all__ = ["HEADER_SEARCH_ROWS", "ParsedTable", "cell_text", "locate_header", "parse_table"]

#: How many rows from the top are searched for the header row.
HEADER_SEARCH_ROWS = 30


def cell_text(value: object) -> str:
    """Return a cell as tidy text: whole floats without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if value.is_integer():
            return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalize_label(value)


def raw_label(value: object) -> str:
    """Return a label cell as typed (text unchanged; numbers and dates as :func:`cell_text`)."""
    return value if isinstance(value, str) else cell_text(value)


def note_text(value: object) -> str:
    """Return a note cell as text: Unicode NFC, ends stripped, inner spacing kept."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return cell_text(value)


@dataclass
class ParsedTable:
    """A table read from one sheet: kept rows plus bookkeeping."""

    frame: pd.DataFrame
    header_row: int | None  # one-based
    columns: dict[str, int]  # column name -> zero-based index in the sheet
    log: ImportLog = field(default_factory=ImportLog)
    headers: dict[int, str] = field(default_factory=dict)  # every non-empty header cell

    def layout(self, file: str, sheet: str | None) -> dict[str, Any]:
        """Return where the table was read from, for messages about its cells.

        Keys: ``file``, ``sheet`` (``None`` for CSV), ``header_row`` (one-based),
        ``headers`` (list of ``(column letter, header text, template column or None)`` for
        every non-empty header cell, read or not) and ``columns`` (template column ->
        ``"C (header)"``). The privacy check uses it to name cells and unread columns.
        """
        names = {idx: name for name, idx in self.columns.items()}
        return {
            "file": file,
            "sheet": sheet,
            "header_row": self.header_row,
            "headers": [(_excel_column(i), text, names.get(i))
                        for i, text in sorted(self.headers.items())],
            "columns": {name: f"{_excel_column(i)} ({self.headers.get(i, name)})"
                        for name, i in self.columns.items()},
        }


def _transpose(rows: Sequence[Sequence[Any]], width: int) -> list[tuple[Any, ...]]:
    if not rows:
        return [() for _ in range(width)]
    if any(len(r) != width for r in rows):
        rows = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    return list(zip(*rows, strict=True))


def locate_header(
    rows: Sequence[Sequence[Any]], spec: SheetSpec, *, needed: int | None = None
) -> int | None:
    """Return the zero-based index of the header row, or ``None``.

    The header row is the first of the top :data:`HEADER_SEARCH_ROWS` rows that names the
    most columns of ``spec``, with at least ``needed`` (default: the number of required
    columns, at least 1) of them.
    """
    needed = max(1, len(spec.required)) if needed is None else needed
    best, best_hits = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found, _, _ = match_headers(spec, list(row))
        hits = len(found)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits >= needed else None


def _describe(value: object) -> str:
    text = cell_text(value)
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def parse_table(
    rows: Sequence[Sequence[Any]],
    spec: SheetSpec,
    *,
    file: str,
    sheet: str | None,
    dayfirst: bool = True,
    keep_extra: bool = False,
) -> ParsedTable:
    """Read one long table and validate every row.

    Parameters
    ----------
    rows : sequence of sequences
        Cell values as read, the first being spreadsheet row 1.
    spec : SheetSpec
        Which table this is.
    file, sheet : str
        Where it was read from, for messages and ``source``. ``sheet`` is ``None`` for CSV.
    dayfirst : bool
        How to read ambiguous numeric dates such as ``01/04/2020``.
    keep_extra : bool
        Keep columns the spec does not name (under their header text).

    Returns
    -------
    ParsedTable
        ``frame`` has one column per matched spec column (plus ``_row``, the spreadsheet row,
        and ``source``); blank rows are skipped; rejected rows are in ``log.rejected``.
    """
    label = sheet if sheet is not None else file
    log = ImportLog(files=[file])
    where = {"file": file, "sheet": sheet}
    if not rows:
        log.warnings.append(Problem(f"the {spec.name} table is empty", **where, severity="warning"))
        return ParsedTable(_empty_frame(spec), None, {}, log)

    needed = 2 if spec.name == "notes" else None  # notes: group + theme (session may be inferred)
    h = locate_header(rows, spec, needed=needed)
    width = max(len(r) for r in rows[: HEADER_SEARCH_ROWS * 4]) if rows else 0
    width = max(width, max((len(r) for r in rows), default=0))
    body = rows[(h + 1) if h is not None else 0 :]
    first_row = (h + 2) if h is not None else 1
    cols = _transpose(body, width)
    blank = np.ones(len(body), dtype=bool)
    for col in cols:
        blank &= map_unique(col, is_blank).astype(bool)
    row_numbers = np.arange(first_row, first_row + len(body))
    data_idx = np.flatnonzero(~blank)
    log.read = len(data_idx)
    log.sheets[label] = log.read

    if h is None:
        names = ", ".join(spec.required)
        msg = (
            f"no header row naming the columns {names} was found in the first "
            f"{HEADER_SEARCH_ROWS} rows of {spec.name!r}; every data row is rejected"
        )
        log.errors.append(Problem(msg, **where))
        for i in data_idx:
            log.rejected.append(Problem(f"row not read: {msg.split(';')[0]}", **where,
                                        row=int(row_numbers[i])))
        return ParsedTable(_empty_frame(spec), None, {}, log)

    headers = list(rows[h]) + [None] * (width - len(rows[h]))
    found, duplicated, extra = match_headers(spec, headers)
    header_text = {i: cell_text(v) for i, v in enumerate(headers) if not is_blank(v)}

    def colname(idx: int) -> str:
        return f"{_excel_column(idx)} ({cell_text(headers[idx])})"

    for name, idxs in duplicated:
        log.errors.append(Problem(
            f"column '{name}' appears {len(idxs)} times (columns "
            f"{', '.join(_excel_column(i) for i in idxs)}); the first is used, rename or "
            "remove the others",
            **where, row=h + 1, column=colname(idxs[1]),
        ))
    required = [c for c in spec.required if not (spec.name == "notes" and c == "session")]
    missing = [c for c in required if c not in found]
    if spec.name == "notes" and "session" not in found and "date" not in found:
        missing.append("session")
    if missing:
        msg = (
            f"required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} missing from the header in row {h + 1} "
            f"of {spec.name!r}"
        )
        log.errors.append(Problem(msg, **where, row=h + 1))
        for i in data_idx:
            log.rejected.append(Problem(f"row not read: {msg}", **where, row=int(row_numbers[i])))
        return ParsedTable(_empty_frame(spec), h + 1, found, log, header_text)

    dup_idx = {i for _, idxs in duplicated for i in idxs[1:]}
    values = {name: np.asarray(cols[idx], dtype=object)[data_idx] for name, idx in found.items()}
    out: dict[str, Any] = {}
    # failures[name] = (mask, message-maker) checked in column order; first failure names the cell
    failures: list[tuple[str, np.ndarray, Any]] = []
    n = len(data_idx)

    def text_col(name: str) -> np.ndarray:
        # a note keeps its line breaks and spacing; a theme label is kept as typed (the study
        # builder normalizes it and lists every merge); other labels are normalized
        if spec.name == "notes" and name == "theme":
            convert = raw_label
        else:
            convert = note_text if name == "note" else cell_text
        return map_unique(values[name], convert) if name in values else np.full(n, "", object)

    for col in spec.columns:
        name = col.name
        raw = values.get(name)
        if name in ("session",):
            if raw is None:
                out[name] = np.full(n, None, dtype=object)
                continue
            parsed = map_unique(raw, parse_session)
            raw_blank = map_unique(raw, is_blank).astype(bool)
            bad = (parsed == None) & ~raw_blank  # noqa: E711 - elementwise on object array
            failures.append((name, bad, lambda v: f"session {_describe(v)} is not a whole number "
                             "of 1 or more (e.g. 3 or 'S3')"))
            if spec.name != "notes" and col.required:
                failures.append((name, raw_blank, lambda v: "session is blank"))
            out[name] = parsed
        elif name == "date":
            if raw is None:
                out[name] = np.full(n, None, dtype=object)
                continue
            parsed = map_unique(raw, lambda v: parse_date(v, dayfirst=dayfirst))
            raw_blank = map_unique(raw, is_blank).astype(bool)
            bad = (parsed == None) & ~raw_blank  # noqa: E711
            failures.append((name, bad, lambda v: f"date {_describe(v)} is not a date "
                             "(use a date cell or text like 2020-04-01)"))
            out[name] = parsed
        elif name == "valence":
            if raw is None:
                out[name] = np.full(n, "neutral", dtype=object)
                continue
            parsed = map_unique(raw, parse_valence)
            failures.append((name, parsed == None, lambda v: f"valence {_describe(v)} is not one "  # noqa: E711
                             "of negative, neutral, positive (or -, +, blank)"))
            out[name] = parsed
        elif name in ("attendance", "age", "years_experience", "duration_min", "score", "step"):
            if raw is None:
                out[name] = np.full(n, np.nan)
                continue
            parsed = map_unique(raw, _parse_number)
            raw_blank = map_unique(raw, is_blank).astype(bool)
            bad = pd.isna(parsed.astype(float)) & ~raw_blank
            failures.append((name, bad, lambda v: f"{_describe(v)} is not a number"))
            if col.required:
                failures.append((name, raw_blank, lambda v, _n=name: f"{_n} is blank"))
            if name == "score":
                fl = parsed.astype(float)
                failures.append((name, (fl < 0) | (fl > 10),
                                 lambda v: f"score {_describe(v)} is outside 0-10"))
            out[name] = parsed.astype(float)
        else:
            text = text_col(name)
            if col.required and raw is not None:
                failures.append((name, map_unique(raw, is_blank).astype(bool),
                                 lambda v, _n=name: f"{_n} is blank"))
            out[name] = text

    if spec.name == "notes" and "session" in found and "date" not in found:
        # With a date column a blank session may still be found in the sessions sheet
        # (done when the study is assembled); without one it cannot.
        failures.append(("session", map_unique(values["session"], is_blank).astype(bool),
                         lambda v: "session is blank and there is no date column to identify it"))

    bad_any = np.zeros(n, dtype=bool)
    for _, mask, _ in failures:
        bad_any |= mask.astype(bool)
    for i in np.flatnonzero(bad_any):
        reasons, first_col = [], None
        for name, mask, make in failures:
            if mask[i]:
                reasons.append(make(values[name][i] if name in values else None))
                first_col = first_col or name
        log.rejected.append(Problem(
            "; ".join(reasons), **where, row=int(row_numbers[data_idx[i]]),
            column=colname(found[first_col]) if first_col in found else first_col,
        ))

    keep = ~bad_any
    frame = pd.DataFrame({k: v[keep] for k, v in out.items()})
    frame["_row"] = row_numbers[data_idx][keep]
    if spec.name == "notes":  # for messages about rows rejected later (session from date)
        frame["_session_col"] = colname(found["session"]) if "session" in found else "session"
    anchor = found.get("theme", found.get("pseudonym", min(found.values())))
    frame["source"] = f"{label}!{_excel_column(anchor)}" + frame["_row"].astype(str)
    if keep_extra:
        for idx in extra:
            if idx in dup_idx:
                continue
            name = cell_text(headers[idx])
            if name not in frame.columns:
                frame[name] = map_unique(np.asarray(cols[idx], dtype=object)[data_idx][keep],
                                         lambda v: None if is_blank(v) else v)
    elif extra:
        ignored = ", ".join(f"{_excel_column(i)} ({cell_text(headers[i])})" for i in extra)
        log.warnings.append(Problem(
            f"column{'s' if len(extra) > 1 else ''} {ignored} of {spec.name!r} "
            f"{'are' if len(extra) > 1 else 'is'} not part of the template and "
            f"{'were' if len(extra) > 1 else 'was'} not read",
            **where, row=h + 1, severity="warning",
        ))
    log.kept = int(keep.sum())
    return ParsedTable(frame.reset_index(drop=True), h + 1, found, log, header_text)


def _empty_frame(spec: SheetSpec) -> pd.DataFrame:
    return pd.DataFrame(columns=[*(c.name for c in spec.columns), "_row", "source"])


def _parse_number(value: object) -> float:
    if value is None or isinstance(value, bool):
        return np.nan
    if isinstance(value, int | float):
        return float(value)
    text = normalize_label(value).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return np.nan


def header_matches(value: object, name: str) -> bool:
    """Return True when a header cell names ``name`` (case- and space-insensitive)."""
    return header_key(value) == header_key(name)
