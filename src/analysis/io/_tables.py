"""Reading long tables (one record per row) from a grid of cell values.

Used for the template's ``notes``, ``codebook``, ``sessions``, ``participants`` and ``ratings``
sheets and for CSV files. Columns are validated through their distinct values, and only the
rejected rows are visited one by one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import normalize_label
from ..study import ImportLog, Problem, _excel_column
from ._errors import InputError
from ._schema import SheetSpec, header_key, match_headers
from ._values import Distinct, is_blank, parse_date, parse_session, parse_valence

__all__ = ["HEADER_SEARCH_ROWS", "CodedColumn", "ParsedTable", "SheetColumns", "cell_names",
           "cell_text", "locate_header",
           "parse_table"]

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
    source_prefix: str | None = None  # the ``source`` of a row: this, then its row number

    def add_sources(self) -> None:
        """Add the ``source`` column left out by ``parse_table(..., sources=False)``."""
        if "source" not in self.frame and self.source_prefix is not None:
            self.frame["source"] = cell_names(self.source_prefix, self.frame["_row"].to_numpy())

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


def _grid_array(rows: Sequence[Sequence[Any]], width: int) -> np.ndarray:
    """Return the rows as a two-dimensional object array, short rows padded with ``None``."""
    n = len(rows)
    if n and min(map(len, rows)) == width:
        flat = itertools.chain.from_iterable(rows)
        return np.fromiter(flat, dtype=object, count=n * width).reshape(n, width)
    out = np.full((n, width), None, dtype=object)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r[:width]
    return out


#: Rows turned into columns at a time by :class:`SheetColumns`: few enough that the cells
#: calamine has just built are still in the processor's cache when they are read and freed.
BLOCK_ROWS = 1_024
#: A column stops sharing equal values once it holds more distinct values than half the rows
#: read so far, counted up to this many rows.
SHARE_ROWS = 20_000
#: Types whose values can be equal across types (``1 == 1.0 == True``).
_NUMERIC = frozenset({int, float, bool})


class _Codes(dict):
    """A column's codes by value: a value met for the first time gets the next code.

    ``text`` stays True while every value met is ``str`` (or ``None``).
    """

    text = True

    def __missing__(self, key: Any) -> int:
        if type(key) is not str:
            self.text = False
        code = self[key] = len(self) - 1  # after None's -1
        return code


class CodedColumn:
    """A column held as integer codes into its distinct values (``-1`` for ``None``).

    Indexing gives values as an object array would (a scalar for an integer, an object
    array for a slice, mask or index array); :meth:`distinct` gives the factorization
    :func:`parse_table` works on, from the codes themselves.

    Parameters
    ----------
    codes : numpy.ndarray
        One code per cell.
    values : numpy.ndarray
        Object array of the distinct values in order of first appearance in the whole
        column, then ``None`` (where code ``-1`` points).
    head : int
        How many of the values first appear in rows before ``codes`` starts (a slice
        after the header row): they may not appear in ``codes`` at all.
    """

    def __init__(self, codes: np.ndarray, values: np.ndarray, head: int = 0) -> None:
        self.codes, self.values, self.head = codes, values, head

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, key: Any) -> Any:
        return self.values[self.codes[key]]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.values[self.codes])

    def tolist(self) -> list[Any]:
        """Return the values as a list."""
        return self.values[self.codes].tolist()

    def distinct(self) -> Distinct:
        """Return the column's :class:`Distinct`, its codes shared, not copied."""
        values = self.values[:-1]
        if not self.head:
            return Distinct.from_codes(self.codes, values)
        # Values first met above this slice (the header's text, a title) come first in
        # ``values``; those met again here are placed by where they first appear.
        codes, head = self.codes, self.head
        later = np.arange(head, len(values))
        met = []
        for k in range(head):
            hits = codes == k
            if hits.any():
                at = int(hits.argmax())
                seen_before = int(codes[:at].max(initial=-1))
                met.append((max(seen_before - head + 1, 0), at, k))
        met.sort()
        order = np.insert(later, [m[0] for m in met], [m[2] for m in met]) if met else later
        return Distinct.from_codes(codes, values, order)


class SheetColumns:
    """A sheet's cells held column by column, built from its rows a block at a time.

    A sheet read as a list of rows holds a list and a new object for every cell; here the
    rows are taken :data:`BLOCK_ROWS` at a time, turned into one array per column,
    and equal values of a column share one object (a column of a few hundred labels
    costs 8 bytes a row), so the rows never exist all at once. A column whose values
    mostly differ (note texts) is not deduplicated. Trailing rows whose cells are all
    empty (``""`` or ``None``) are dropped, as :func:`parse_table` would skip them.

    A deduplicated column whose cells are all text (or ``None``) is held as a
    :class:`CodedColumn`: 4 bytes a row, and :func:`parse_table` factorizes it from its
    codes instead of hashing every cell again. A column in which a value of another type
    turns up (a number, a date) is held as objects from then on, each cell keeping its own
    type: a dictionary holds ``1``, ``1.0`` and ``True`` as one key.

    Indexing and slicing give rows as lists, for the first :data:`HEADER_SEARCH_ROWS`
    rows (where headers are searched); ``len()`` is the number of rows.

    Parameters
    ----------
    rows : iterable of lists
        The cell values, the first being spreadsheet row 1.
    fill : object
        The value of a cell missing from a short row (``None``; calamine writes ``""``).
    coded : bool
        The cells are all ``str`` or ``None`` (a CSV file's; ``fill`` must be ``None``):
        their types are not checked.
    """

    def __init__(self, rows: Iterable[list[Any]], *, fill: object = None,
                 coded: bool = False) -> None:
        if coded and fill is not None:
            raise ValueError("coded columns need fill=None")
        self.fill = fill
        self._head: list[list[Any]] = []
        parts: list[list[tuple[int, np.ndarray]]] = []
        memos: list[dict[Any, Any] | None] = []
        memo_types: list[set[type]] = []  # number types met in each column so far
        kinds: list[bool] = []  # coded columns: parts hold codes
        n = last = 0  # rows seen; rows up to the last one with a value
        it = iter(rows)
        while block := list(itertools.islice(it, BLOCK_ROWS)):
            if n < HEADER_SEARCH_ROWS:
                self._head.extend(block[: HEADER_SEARCH_ROWS - n])
            lengths = list(map(len, block))
            w = max(lengths)
            if min(lengths) != w:
                block = [r if len(r) == w else [*r, *([fill] * (w - len(r)))] for r in block]
            for i in range(len(block) - 1, -1, -1):
                r = block[i]
                if r.count("") + r.count(None) != len(r):
                    last = n + i + 1
                    break
            distinct = max(min(n + len(block), SHARE_ROWS) // 2, 64)  # "mostly distinct"
            for j, col in enumerate(zip(*block, strict=True)):
                if j == len(parts):
                    parts.append([])
                    memos.append(_Codes({None: -1}))
                    memo_types.append(set())
                    kinds.append(True)
                memo = memos[j]
                if kinds[j]:
                    assert isinstance(memo, _Codes)
                    known = len(memo)
                    # (numpy converts to int64 several times faster than to int32)
                    codes = np.fromiter(map(memo.__getitem__, col), dtype=np.int64,
                                        count=len(block))
                    if len(memo) - 1 > distinct:
                        # mostly distinct: codes save nothing, held as objects from here
                        parts[j], _ = self._decoded(parts[j], memo)
                        memos[j], kinds[j] = None, False
                        parts[j].append((n, np.fromiter(col, dtype=object, count=len(block))))
                        continue
                    if coded or memo.text:
                        parts[j].append((n, codes.astype(np.int32)))
                        continue
                    # not text only: objects from here, this block read again as such
                    parts[j], values = self._decoded(parts[j], memo)
                    memo = memos[j] = {v: v for v in values[: known - 1].tolist()}
                    kinds[j] = False
                if memo is not None:
                    known = len(memo)
                    shared = list(map(memo.setdefault, col, col))
                    # a number can only share the object of an equal number: the cells'
                    # types are looked at only once the column has met a number
                    if memo_types[j] or (len(memo) > known and not _NUMERIC.isdisjoint(
                            map(type, itertools.islice(memo, known, None)))):
                        numbers = _NUMERIC.intersection(map(type, col))
                        if len(numbers | memo_types[j]) > 1:
                            # 1, 1.0 and True are equal keys: keep each value's own type
                            shared = [v if type(v) is type(u) else u
                                      for v, u in zip(shared, col, strict=True)]
                        memo_types[j] |= numbers
                    col = shared
                    if len(memo) > distinct:
                        memos[j] = None  # mostly distinct: sharing saves nothing
                parts[j].append((n, np.fromiter(col, dtype=object, count=len(block))))
            n += len(block)
            del block
        self._n = last
        #: Rows taken from ``rows``, trailing blank ones included.
        self.rows_read = n
        self._columns: list[np.ndarray | CodedColumn] = [
            CodedColumn(self._join(p, last, np.int32, -1), self._values(memo))
            if coded_ else self._join(p, last, object, self.fill)
            for p, memo, coded_ in zip(parts, memos, kinds, strict=True)]
        del self._head[last:]

    @classmethod
    def _decoded(cls, parts: list[tuple[int, np.ndarray]], memo: dict[Any, int]
                 ) -> tuple[list[tuple[int, np.ndarray]], np.ndarray]:
        """Return a coded column's parts as object arrays, and its values (see _values)."""
        values = cls._values(memo)
        return [(s, values[c]) for s, c in parts], values

    @staticmethod
    def _values(memo: dict[Any, int] | None) -> np.ndarray:
        """Return the values of a column's codes in code order, then ``None`` (code -1)."""
        assert memo is not None
        values = np.empty(len(memo), dtype=object)
        values[:-1] = [v for v in memo if v is not None]  # in code order: memo[None] first
        return values

    @staticmethod
    def _join(parts: list[tuple[int, np.ndarray]], n: int, dtype: Any, fill: object
              ) -> np.ndarray:
        if len(parts) == 1 and parts[0][0] == 0 and len(parts[0][1]) >= n:
            return parts[0][1][:n]
        out = np.full(n, fill, dtype=dtype)
        for start, arr in parts:
            if start < n:
                out[start: start + len(arr)] = arr[: n - start]
        return out

    @property
    def width(self) -> int:
        """The number of columns (of the widest row)."""
        return len(self._columns)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._n)
            if stop <= len(self._head) or (step == 1 and start >= stop):
                return self._head[index]
            return [self._row(i) for i in range(start, stop, step)]
        if index < 0:
            index += self._n
        if 0 <= index < len(self._head):
            return self._head[index]
        if not 0 <= index < self._n:
            raise IndexError(index)
        return self._row(index)

    def _row(self, i: int) -> list[Any]:
        return [c[i] for c in self._columns]

    def columns(self, start: int = 0) -> list[np.ndarray | CodedColumn]:
        """Return every column from row ``start`` (zero-based), as object arrays (views).

        A coded column comes as a :class:`CodedColumn` of its codes from ``start``.
        """
        out: list[np.ndarray | CodedColumn] = []
        for c in self._columns:
            if isinstance(c, CodedColumn):
                head = int(c.codes[:start].max(initial=-1)) + 1
                out.append(CodedColumn(c.codes[start:], c.values, head))
            else:
                out.append(c[start:])
        return out

    def to_rows(self) -> list[list[Any]]:
        """Return the rows as lists (for the small tables read row by row, e.g. grids)."""
        return [self._row(i) for i in range(self._n)]


def _distinct(col: np.ndarray | CodedColumn) -> Distinct:
    """Return a column's :class:`Distinct`, from its codes when it is held as codes."""
    return col.distinct() if isinstance(col, CodedColumn) else Distinct(col)


def _blank_rows(cols: Sequence[np.ndarray | CodedColumn], distinct: dict[int, Distinct],
                order: list[int]) -> np.ndarray:
    """Return a boolean mask of the rows whose every cell is blank.

    Columns already factorized (``distinct``) are tested through their distinct values;
    the others only on the rows still blank, so a column of unique texts costs nothing
    while any earlier column has a value.
    """
    n = len(cols[0]) if cols else 0
    cand = np.arange(n)
    rest = [j for j in range(len(cols)) if j not in order]
    for j in [*order, *rest]:
        if not cand.size:
            break
        if j in distinct:
            cand = cand[distinct[j].blank[cand]]
        else:
            sub = cols[j][cand]
            cand = cand[np.fromiter((is_blank(v) for v in sub), dtype=bool, count=len(sub))]
    mask = np.zeros(n, dtype=bool)
    mask[cand] = True
    return mask


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
            if hits == len(spec.columns):  # no later row can name more
                break
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
    mapping: Mapping[str, str] | None = None,
    default_group: str | None = None,
    sources: bool = True,
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
    mapping : mapping of str to str, optional
        ``{column name: header}`` given by the user (``--column ROLE=HEADER``): the header
        row is the first that holds every mapped header, and a mapped column wins over
        header synonyms. A mapped header that no row holds is an :class:`InputError`.
    default_group : str, optional
        Notes only: the group of every row when the table has no group column (a warning
        says so). Without it a missing group column rejects every row.
    sources : bool
        Add the ``source`` column (the cell each row is cited by, e.g. ``notes!D7``). With
        ``False`` it is left out, for :meth:`ParsedTable.add_sources` to add once the
        cells read are freed.

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

    mapping = {k: v for k, v in (mapping or {}).items()
               if k in {c.name for c in spec.columns}}
    needed = 2 if spec.name == "notes" else None  # notes: group + theme (session may be inferred)
    h = (mapped_header_row(rows, mapping.values(), file=file, sheet=sheet) if mapping
         else locate_header(rows, spec, needed=needed))
    first_row = (h + 2) if h is not None else 1
    if isinstance(rows, SheetColumns):
        width = rows.width
        cols = rows.columns(first_row - 1)
        n_body = len(rows) - (first_row - 1)
    else:
        width = max(map(len, rows), default=0)
        body = rows[first_row - 1 :]
        grid = _grid_array(body, width)
        cols = [grid[:, j] for j in range(width)]
        n_body = len(body)
    row_numbers = np.arange(first_row, first_row + n_body)

    if h is None:
        blank = _blank_rows(cols, {}, [])
        data_idx = np.flatnonzero(~blank)
        log.read = len(data_idx)
        log.sheets[label] = log.read
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
    if mapping:
        found, duplicated, extra, notes_ = _apply_mapping(found, duplicated, extra, headers,
                                                           mapping)
        for message in notes_:
            log.warnings.append(Problem(message, **where, row=h + 1, severity="warning"))
    quoted = ([v for v in _distinct(cols[found["quote"]]).uniques if not is_blank(v)]
              if "quote" in found else [])
    if quoted and all(_parse_quote(v) is None for v in quoted):
        # a 'Quote' column of text is a note column, as before the quote marks existed
        idxs = sorted([found.pop("quote"), *([found["note"]] if "note" in found else [])])
        found["note"] = idxs[0]
        if len(idxs) > 1:
            duplicated.append(("note", idxs))

    # Every matched column except free text is factorized once: blank tests, parsing and
    # categories all work on its distinct values.
    distinct: dict[int, Distinct] = {}
    for name, idx in found.items():
        if name not in _FREE_TEXT:
            distinct[idx] = _distinct(cols[idx])
    order = [found[c.name] for c in spec.columns if c.required and found.get(c.name) in distinct]
    blank = _blank_rows(cols, distinct, [*order, *(i for i in distinct if i not in order)])
    data_idx = np.flatnonzero(~blank)
    all_data = len(data_idx) == n_body
    log.read = len(data_idx)
    log.sheets[label] = log.read

    def colname(idx: int) -> str:
        return f"{_excel_column(idx)} ({cell_text(headers[idx])})"

    for name, idxs in duplicated:
        log.errors.append(Problem(
            f"column '{name}' appears {len(idxs)} times (columns "
            f"{', '.join(_excel_column(i) for i in idxs)}); the first is used, rename or "
            f"remove the others, or say which to read with --column {name}=HEADER",
            **where, row=h + 1, column=colname(idxs[1]),
        ))
    required = [c for c in spec.required if not (spec.name == "notes" and c == "session")]
    if spec.name == "notes" and default_group is not None and "group" not in found:
        required.remove("group")
        log.warnings.append(Problem(
            f"no group column: every row is in one group, {default_group!r}; name the "
            "group column with --column group=HEADER if there is one", **where, row=h + 1,
            severity="warning"))
    if spec.name == "notes" and "session" not in found and "date" not in found \
            and default_group is not None:
        log.warnings.append(Problem(
            "no session or date column: each group is read as one session; name the "
            "session column with --column session=HEADER if there is one", **where,
            row=h + 1, severity="warning"))
    missing = [c for c in required if c not in found]
    if spec.name == "notes" and "session" not in found and "date" not in found \
            and default_group is None:
        missing.append("session")
    if missing:
        shown = ", ".join(repr(t) for t in header_text.values())
        msg = (
            f"required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} missing from the header in row {h + 1} "
            f"of {spec.name!r}"
        )
        log.errors.append(Problem(
            f"{msg} (the header row holds {shown}); name the column"
            f"{'s' if len(missing) > 1 else ''} with "
            + " ".join(f"--column {m}=HEADER" for m in missing), **where, row=h + 1))
        for i in data_idx:
            log.rejected.append(Problem(f"row not read: {msg}", **where, row=int(row_numbers[i])))
        return ParsedTable(_empty_frame(spec), h + 1, found, log, header_text)
    def data(values: Any) -> Any:
        return values if all_data else values[data_idx]

    def raw_value(name: str, i: int) -> object:
        return cols[found[name]][data_idx[i]] if name in found else None

    dup_idx = {i for _, idxs in duplicated for i in idxs[1:]}
    categorical = spec.name == "notes"
    out: dict[str, Any] = {}
    # failures[name] = (mask, message-maker) checked in column order; first failure names the cell
    failures: list[tuple[str, np.ndarray, Any]] = []
    n = len(data_idx)

    for col in spec.columns:
        name = col.name
        if name not in found:
            if name == "quote":  # the quote column is left out when the input has none
                continue
            if name == "group" and default_group is not None and spec.name == "notes":
                out[name] = np.full(n, default_group, dtype=object)
            elif name == "session" and default_group is not None and "date" not in found:
                out[name] = np.ones(n)  # each group one session (said in a warning)
            else:
                out[name] = _absent(name, n, categorical)
            continue
        if name in _FREE_TEXT:
            # a note keeps its line breaks and inner spacing
            values = data(cols[found[name]]).tolist()
            if set(map(type, values)) == {str}:  # text only, as nearly always: no test per cell
                out[name] = np.fromiter(
                    map(str.strip, map(unicodedata.normalize, itertools.repeat("NFC"), values)),
                    dtype=object, count=len(values))
            else:
                out[name] = np.array([note_text(v) for v in values], dtype=object)
            continue
        dist = distinct[found[name]]
        raw_blank = data(dist.blank)
        if name == "session":
            parsed = data(dist.map(lambda v: _nan_if_none(parse_session(v)), float))
            failures.append((name, np.isnan(parsed) & ~raw_blank,
                             lambda v: f"session {_describe(v)} is not a whole number "
                             "of 1 or more (e.g. 3 or 'S3')"))
            if spec.name != "notes" and col.required:
                failures.append((name, raw_blank, lambda v: "session is blank"))
            out[name] = parsed if categorical else _none_if_nan(parsed)
        elif name == "date":
            parsed = data(dist.map(lambda v: parse_date(v, dayfirst=dayfirst)))
            bad = (parsed == None) & ~raw_blank  # noqa: E711 - elementwise on object array
            failures.append((name, bad, lambda v: f"date {_describe(v)} is not a date "
                             "(use a date cell or text like 2020-04-01)"))
            out[name] = parsed
        elif name == "valence":
            parsed = data(dist.map(parse_valence))
            failures.append((name, parsed == None, lambda v: f"valence {_describe(v)} is not one "  # noqa: E711
                             "of negative, neutral, positive (or -, +, blank)"))
            out[name] = data(dist.labels(lambda v: parse_valence(v) or "")) if categorical \
                else parsed
        elif name == "quote":
            parsed = data(dist.map(_parse_quote))
            failures.append((name, parsed == None, lambda v: f"quote {_describe(v)} is not "  # noqa: E711
                             "a mark: use TRUE, x or yes (blank, FALSE or no: not a quote)"))
            out[name] = np.array([bool(v) for v in parsed.tolist()], dtype=bool)
        elif name in _NUMBERS:
            parsed = data(dist.map(_parse_number, float))
            failures.append((name, np.isnan(parsed) & ~raw_blank,
                             lambda v: f"{_describe(v)} is not a number"))
            if col.required:
                failures.append((name, raw_blank, lambda v, _n=name: f"{_n} is blank"))
            if name == "score":
                failures.append((name, (parsed < 0) | (parsed > 10),
                                 lambda v: f"score {_describe(v)} is outside 0-10"))
            out[name] = parsed
        else:
            # a theme label is kept as typed (the study builder normalizes it and lists every
            # merge); other labels are normalized
            convert = raw_label if (spec.name == "notes" and name == "theme") else cell_text
            if col.required:
                failures.append((name, raw_blank, lambda v, _n=name: f"{_n} is blank"))
            out[name] = data(dist.labels(convert)) if categorical else data(dist.map(convert))

    if spec.name == "notes" and "session" in found and "date" not in found:
        # With a date column a blank session may still be found in the sessions sheet
        # (done when the study is assembled); without one it cannot.
        failures.append(("session", data(distinct[found["session"]].blank),
                         lambda v: "session is blank and there is no date column to identify it"))

    bad_any = np.zeros(n, dtype=bool)
    for _, mask, _ in failures:
        bad_any |= mask
    for i in np.flatnonzero(bad_any):
        reasons, first_col = [], None
        for name, mask, make in failures:
            if mask[i]:
                reasons.append(make(raw_value(name, i)))
                first_col = first_col or name
        log.rejected.append(Problem(
            "; ".join(reasons), **where, row=int(row_numbers[data_idx[i]]),
            column=colname(found[first_col]) if first_col in found else first_col,
        ))

    keep = ~bad_any
    kept_rows = row_numbers[data_idx][keep]
    if not bad_any.any():
        frame = pd.DataFrame(out)
    else:
        frame = pd.DataFrame({k: v[keep] for k, v in out.items()})
        for name in frame.columns:  # labels seen only in rejected rows
            if isinstance(frame[name].dtype, pd.CategoricalDtype):
                frame[name] = frame[name].cat.remove_unused_categories()
    if categorical and "date" in frame:
        frame["date"] = _dates(frame["date"].to_numpy())
    frame["_row"] = kept_rows
    if spec.name == "notes":  # for messages about rows rejected later (session from date)
        frame["_session_col"] = colname(found["session"]) if "session" in found else "session"
    anchor = found.get("theme", found.get("pseudonym", min(found.values())))
    prefix = f"{label}!{_excel_column(anchor)}"
    if sources:
        frame["source"] = cell_names(prefix, kept_rows)
    if keep_extra:
        for idx in extra:
            if idx in dup_idx:
                continue
            name = cell_text(headers[idx])
            if name not in frame.columns:
                values = data(cols[idx])[keep]
                frame[name] = np.array([None if is_blank(v) else v for v in values],
                                       dtype=object)
    elif extra:
        ignored = ", ".join(f"{_excel_column(i)} ({cell_text(headers[i])})" for i in extra)
        log.warnings.append(Problem(
            f"column{'s' if len(extra) > 1 else ''} {ignored} of {spec.name!r} "
            f"{'are' if len(extra) > 1 else 'is'} not part of the template and "
            f"{'were' if len(extra) > 1 else 'was'} not read",
            **where, row=h + 1, severity="warning",
        ))
    log.kept = int(keep.sum())
    return ParsedTable(frame, h + 1, found, log, header_text, prefix)


def cell_names(prefix: str, rows: np.ndarray) -> np.ndarray:
    """Return ``prefix`` followed by each row number, as an object array of str.

    Built a slice of rows at a time: a list of every row number as a Python int would
    take 36 bytes a row beside the names.
    """
    name = f"{prefix}{{}}".format
    step = 65_536
    chunks = (map(name, rows[i: i + step].tolist()) for i in range(0, len(rows), step))
    return np.fromiter(itertools.chain.from_iterable(chunks), dtype=object, count=len(rows))


def mapped_header_row(rows: Sequence[Sequence[Any]], headers: Iterable[str], *, file: str,
                      sheet: str | None) -> int:
    """Return the first of the top rows holding every header in ``headers``.

    Raises
    ------
    InputError
        When no row in the first :data:`HEADER_SEARCH_ROWS` holds them all; the message
        names the headers missing and shows the first row with values.
    """
    wanted = {header_key(h): h for h in headers}
    best, best_missing = None, list(wanted.values())
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = {header_key(v) for v in row if not is_blank(v)}
        missing = [text for key, text in wanted.items() if key not in keys]
        if not missing:
            return i
        if len(missing) < len(best_missing):
            best, best_missing = i, missing
    shown_row = best if best is not None else next(
        (i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(not is_blank(v) for v in r)),
        None)
    seen = ("" if shown_row is None else
            f"; row {shown_row + 1} holds "
            + ", ".join(repr(cell_text(v)) for v in rows[shown_row] if not is_blank(v)))
    raise InputError(
        f"no row in the first {HEADER_SEARCH_ROWS} holds the column"
        f"{'s' if len(best_missing) > 1 else ''} "
        + ", ".join(repr(h) for h in best_missing) + f" given with --column{seen}",
        file=file, sheet=sheet)


def _apply_mapping(found: dict[str, int], duplicated: list[tuple[str, list[int]]],
                   extra: list[int], headers: list[Any], mapping: Mapping[str, str]
                   ) -> tuple[dict[str, int], list[tuple[str, list[int]]], list[int], list[str]]:
    """Let the mapped columns win over header synonyms; say what each displaced."""
    keys = [header_key(h) for h in headers]
    mapped = {role: keys.index(header_key(text)) for role, text in mapping.items()}
    taken = set(mapped.values())
    candidates = {name: list(idx) for name, idx in duplicated}
    for name, idx in found.items():
        candidates.setdefault(name, [idx])
    messages = []
    out: dict[str, int] = {}
    for name, idxs in candidates.items():
        if name in mapped:
            continue
        free = [i for i in idxs if i not in taken]
        if free:
            out[name] = free[0]
    for role, idx in mapped.items():
        out[role] = idx
        others = [i for i in candidates.get(role, []) if i != idx]
        for i in others:
            messages.append(
                f"column {_excel_column(i)} ({cell_text(headers[i])}) also looks like the "
                f"{role} column; it is not read as {role}, since --column {role}="
                f"{mapping[role]} names column {_excel_column(idx)}")
    used = set(out.values())
    new_extra = sorted({*[i for i in extra if i not in used],
                        *[i for idxs in candidates.values() for i in idxs if i not in used]})
    return out, [], new_extra, messages


def split_codes(parsed: ParsedTable, sep: str, *, file: str, sheet: str | None) -> None:
    """Split theme cells holding several codes into one note per code, in place.

    Each code keeps its row's other values and source cell; the log counts one record per
    code (``read`` and ``kept`` grow by the extra codes). Pieces are stripped and blank ones
    dropped (``"a; b;"`` is two codes); a cell of separators only is a rejected record.
    """
    frame = parsed.frame
    if "theme" not in frame or frame.empty:
        return
    themes = frame["theme"].astype(object).to_numpy()
    pieces = [[p.strip() for p in t.split(sep) if p.strip()] if isinstance(t, str) else [t]
              for t in themes.tolist()]
    counts = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    if (counts == 1).all():
        return
    log = parsed.log
    column = parsed.layout(file, sheet)["columns"].get("theme")
    empty = np.flatnonzero(counts == 0)
    for i in empty:
        log.rejected.append(Problem(
            f"theme {_describe(themes[i])} holds only the code separator {sep!r}, so no code",
            file=file, sheet=sheet, row=int(frame["_row"].iat[i]), column=column))
    added = int(counts.sum()) - len(counts) + len(empty)  # records beyond one per row
    log.read += added
    log.kept += added - len(empty)
    label = sheet if sheet is not None else file
    log.sheets[label] = log.sheets.get(label, 0) + added
    out = frame.iloc[np.repeat(np.arange(len(frame)), counts)].reset_index(drop=True)
    flat = [p for ps in pieces for p in ps]
    out["theme"] = pd.Categorical(flat) if isinstance(frame["theme"].dtype,
                                                      pd.CategoricalDtype) else flat
    parsed.frame = out


#: Columns of free text: parsed value by value, never factorized (nearly every value differs).
_FREE_TEXT = frozenset({"note"})
_NUMBERS = frozenset({"attendance", "age", "years_experience", "duration_min", "score", "step"})


_QUOTE_TRUE = frozenset({"true", "x", "yes", "y", "1", "quote", "✓", "✔", "si", "sì", "ja",
                         "oui", "vero"})
_QUOTE_FALSE = frozenset({"false", "no", "n", "0", "-", "falso", "nein", "non"})


def _parse_quote(value: object) -> bool | None:
    """Read a ``quote`` mark: True, False (also for blank), or None when it is not a mark."""
    if is_blank(value):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    key = normalize_label(value).casefold()
    return True if key in _QUOTE_TRUE else False if key in _QUOTE_FALSE else None


def _nan_if_none(value: int | None) -> float:
    return np.nan if value is None else float(value)


def _none_if_nan(values: np.ndarray) -> np.ndarray:
    return np.array([None if v != v else int(v) for v in values.tolist()], dtype=object)


def _absent(name: str, n: int, categorical: bool) -> Any:
    """Return the values of a column the sheet does not have."""
    if name == "valence":
        return np.full(n, "neutral", dtype=object)
    if name == "session":
        return np.full(n, np.nan) if categorical else np.full(n, None, dtype=object)
    if name in _NUMBERS:
        return np.full(n, np.nan)
    if name == "date":
        return np.full(n, None, dtype=object)
    if name in _FREE_TEXT:
        return np.full(n, "", dtype=object)
    return np.full(n, "", dtype=object)


def _dates(values: np.ndarray) -> np.ndarray:
    """Turn an object array of ``datetime.date`` (or None) into ``datetime64[ns]`` with NaT."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    stamps = np.empty(len(uniques) + 1, dtype="datetime64[ns]")
    stamps[:-1] = pd.to_datetime(pd.Series(uniques, dtype=object)).to_numpy("datetime64[ns]")
    stamps[-1] = np.datetime64("NaT")
    return stamps[codes]


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
