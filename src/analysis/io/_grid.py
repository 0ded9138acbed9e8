"""Reading the grid layout: a sheet per group, themes down, sessions across.

::

    Group 1 - notes by session          <- title rows are skipped
                                         <- so are blank rows
    Theme              | 1 | 2 | 3 | ... <- header: session numbers or dates
    Fear of contagion  | x |   | + |
    Remote working     | 2 | - |   |

A record is a non-empty cell under a session header. ``x`` (or a tick) is one note, a whole
number ``n`` is ``n`` notes, ``+``/``-`` one positive/negative note each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..study import ImportLog, Problem, _excel_column
from ._schema import header_key
from ._tables import HEADER_SEARCH_ROWS, _grid_array, cell_text, raw_label
from ._values import Distinct, is_blank, parse_date, parse_mark, parse_session

__all__ = ["find_grid_header", "parse_grid"]

_THEME_HEADERS = {header_key(x)
                  for x in ("theme", "themes", "tema", "temi", "code", "tag", "topic")}
_CATEGORY_HEADERS = {header_key(x) for x in ("category", "categoria", "kategorie", "categorie")}
_COLUMNS = ["group", "session", "date", "theme", "category", "valence", "source"]


def _frame(columns: dict[str, Any] | None = None) -> pd.DataFrame:
    if columns is None:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})
        frame = frame.astype({"session": "Int64"})
    else:
        frame = pd.DataFrame(columns, columns=_COLUMNS)
    frame["note"] = None
    frame["speaker"] = None
    frame["coder"] = None
    frame["_row"] = np.zeros(len(frame), dtype=np.int64)
    return frame


_VALENCES = ("negative", "neutral", "positive")
_VALENCE_CODE = {v: i for i, v in enumerate(_VALENCES)}


def _session_header(value: object, dayfirst: bool) -> tuple[int | None, Any]:
    """Return (session number, date) read from a header cell; (None, None) if neither."""
    if is_blank(value):
        return None, None
    n = parse_session(value)
    if n is not None and n < 10_000:
        return n, None
    d = parse_date(value, dayfirst=dayfirst)
    return (None, d) if d is not None else (None, None)


def find_grid_header(
    rows: Sequence[Sequence[Any]], *, dayfirst: bool = True
) -> tuple[int, list[int]] | None:
    """Return the header row index and the indices of its session columns, or ``None``.

    The header is the first of the top rows whose cells, right of a label cell, hold at least
    two session numbers or dates (one, when the sheet has a single session column).
    """
    candidates = []
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = list(row)
        nonblank = [j for j, v in enumerate(cells) if not is_blank(v)]
        if not nonblank:
            continue
        sess = [j for j in nonblank[1:] if _session_header(cells[j], dayfirst) != (None, None)]
        # a label cell must stand left of the first session column
        if sess and nonblank[0] < sess[0]:
            candidates.append((i, sess))
            if len(sess) >= 2:
                return i, sess
    return candidates[0] if candidates else None


def parse_grid(
    rows: Sequence[Sequence[Any]],
    *,
    file: str,
    sheet: str | None,
    group: str,
    label: str | None = None,
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
    dayfirst: bool = True,
) -> tuple[pd.DataFrame, ImportLog]:
    """Read one grid sheet into raw notes.

    Parameters
    ----------
    rows : sequence of sequences
        Cell values, the first being spreadsheet row 1.
    file : str
        File name, for messages.
    sheet : str or None
        Sheet name; ``None`` for a CSV file.
    group : str
        The group every note of this sheet belongs to.
    label : str, optional
        Prefix of each note's ``source`` (default: the sheet name, else the file name).
    merged : sequence of ((row, col), (row, col))
        Merged ranges, zero-based inclusive corners; a theme label merged over several rows
        labels each of them.
    dayfirst : bool
        How to read ambiguous numeric dates in the header.

    Returns
    -------
    notes : pandas.DataFrame
        Columns ``group, session, date, theme, category, valence, source`` (raw labels).
    log : ImportLog
        One record per non-empty mark cell.
    """
    log = ImportLog(files=[file])
    where = {"file": file, "sheet": sheet}
    label = label or sheet or file
    found = find_grid_header(rows, dayfirst=dayfirst)
    if found is None:
        log.errors.append(Problem(
            "no header row with session numbers or dates was found in the first "
            f"{HEADER_SEARCH_ROWS} rows", **where))
        return _frame(), log
    h, sess_cols = found
    header = list(rows[h])
    parsed = {j: _session_header(header[j], dayfirst) for j in sess_cols}
    dated = sorted({d for n, d in parsed.values() if n is None and d is not None})
    date_rank = {d: k + 1 for k, d in enumerate(dated)}
    session_of = {j: (n if n is not None else date_rank[d]) for j, (n, d) in parsed.items()}
    date_of = {j: d for j, (_, d) in parsed.items()}
    dupes: dict[int, list[int]] = {}
    for j, n in session_of.items():
        dupes.setdefault(n, []).append(j)
    for n, js in dupes.items():
        if len(js) > 1:
            log.warnings.append(Problem(
                f"session {n} heads {len(js)} columns "
                f"({', '.join(_excel_column(j) for j in js)}); their marks are added together",
                **where, row=h + 1, column=_excel_column(js[1]), severity="warning"))

    first_sess = sess_cols[0]
    label_cols = [j for j in range(first_sess) if j < len(header)]
    theme_col = next((j for j in label_cols if header_key(header[j]) in _THEME_HEADERS), None)
    category_col = next((j for j in label_cols if header_key(header[j]) in _CATEGORY_HEADERS),
                        None)
    if theme_col is None:
        # the first label column with text below the header
        for j in range(first_sess):
            if j != category_col and any(
                j < len(r) and not is_blank(r[j]) for r in rows[h + 1 :]
            ):
                theme_col = j
                break
    if theme_col is None:
        log.errors.append(Problem("no theme column left of the session columns", **where,
                                  row=h + 1))
        return _frame(), log
    trailing = [j for j in range(first_sess + 1, len(header))
                if j not in session_of and not is_blank(header[j])]
    if trailing:
        log.warnings.append(Problem(
            "column" + ("s " if len(trailing) > 1 else " ")
            + ", ".join(f"{_excel_column(j)} ({cell_text(header[j])})" for j in trailing)
            + " right of the first session column "
            + ("are not sessions and were" if len(trailing) > 1 else "is not a session and was")
            + " not read", **where, row=h + 1, severity="warning"))

    # theme labels merged down several rows label each row of the range
    fill: dict[int, Any] = {}
    for (r0, c0), (r1, c1) in merged:
        for col in (theme_col, category_col):
            # a merged range below the last row read holds nothing to fill
            if col is not None and c0 <= col <= c1 and r1 > r0 and h < r0 < len(rows):
                value = rows[r0][c0] if c0 < len(rows[r0]) else None
                for r in range(r0 + 1, r1 + 1):
                    fill[(r, col)] = value

    def cell(r: int, c: int) -> Any:
        row = rows[r]
        v = row[c] if c < len(row) else None
        return fill.get((r, c), v) if is_blank(v) else v

    # labels row by row (a few dozen themes); marks through their distinct values
    body = range(h + 1, len(rows))
    themes = [raw_label(cell(r, theme_col)) for r in body]
    categories = [cell_text(cell(r, category_col)) if category_col is not None else ""
                  for r in body]
    block = _grid_array(rows[h + 1 :], len(header))[:, sess_cols] if len(body) else \
        np.empty((0, len(sess_cols)), dtype=object)
    marks = Distinct(block.ravel())
    blank = marks.blank.reshape(block.shape)
    parsed_marks = marks._mapped(parse_mark, object)  # per distinct value; None: not a mark
    codes = marks.codes.reshape(block.shape)
    no_theme = np.array([is_blank(t) for t in themes], dtype=bool)
    understood = np.array([m is not None for m in parsed_marks], dtype=bool)[codes]
    cells_r, cells_j = np.nonzero(~blank)
    log.read += len(cells_r)
    bad = no_theme[cells_r] | ~understood[cells_r, cells_j]
    reject = log.rejected
    for i, k in zip(cells_r[bad].tolist(), cells_j[bad].tolist(), strict=True):
        v, j = block[i, k], sess_cols[k]
        ref = f"{_excel_column(j)} (session {session_of[j]})"
        if no_theme[i]:
            reject.append(Problem(
                f"mark {cell_text(v)!r} has no theme in column {_excel_column(theme_col)}",
                **where, row=h + i + 2, column=ref))
        else:
            reject.append(Problem(
                f"mark {cell_text(v)[:60]!r} is not understood: use x, a whole number, "
                "+ or -", **where, row=h + i + 2, column=ref))
    cells_r, cells_j = cells_r[~bad], cells_j[~bad]
    log.kept += len(cells_r)
    # one note per mark: each kept cell repeated as many times as it has marks, in order
    lengths = np.array([len(m) if m is not None else 0 for m in parsed_marks], dtype=np.int64)
    widest = int(lengths.max()) if len(lengths) else 0
    table = np.zeros((len(parsed_marks), max(widest, 1)), dtype=np.int8)
    for u, m in enumerate(parsed_marks):
        if m:
            table[u, : len(m)] = [_VALENCE_CODE[x] for x in m]
    cell_codes = codes[cells_r, cells_j]
    per_cell = lengths[cell_codes]
    rep = np.repeat(np.arange(len(cells_r)), per_cell)
    starts = np.cumsum(per_cell) - per_cell
    position = np.arange(len(rep)) - starts[rep]
    valence = np.array(_VALENCES, dtype=object)[table[cell_codes[rep], position]]
    letters = [_excel_column(j) for j in sess_cols]
    sources = np.array([f"{label}!{letters[k]}{h + i + 2}"
                        for i, k in zip(cells_r.tolist(), cells_j.tolist(), strict=True)],
                       dtype=object)
    theme_arr = np.array(themes, dtype=object)
    category_arr = np.array([c or None for c in categories], dtype=object)
    session_arr = np.array([session_of[j] for j in sess_cols], dtype=object)
    date_arr = np.array([date_of[j] for j in sess_cols] + [None], dtype=object)[:-1]
    r_rep, j_rep = cells_r[rep], cells_j[rep]
    out = {"group": np.full(len(rep), group, dtype=object), "session": session_arr[j_rep],
           "date": date_arr[j_rep], "theme": theme_arr[r_rep],
           "category": category_arr[r_rep], "valence": valence, "source": sources[rep]}
    frame = _frame(out)
    log.sheets[sheet if sheet is not None else file] = log.read
    return frame, log
