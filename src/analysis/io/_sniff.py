"""Telling a layout only when the file clearly is one, and refusing with what was seen.

A wrong read that exits 0 is the worst outcome a reader can have: a table of code counts read
as a grid invents hundreds of notes. So a sheet is read as a grid only when it looks like
one (:func:`grid_problem` says why not), and a file no layout fits is refused by
:func:`refusal`, which shows the sheets and their header rows, the layouts known and the
exact options that would read it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shlex
from collections.abc import Sequence
from typing import Any

from ._schema import SHEETS, header_key
from ._tables import HEADER_SEARCH_ROWS, cell_text
from ._values import is_blank, parse_date, parse_mark, parse_session

__all__ = ["KNOWN_LAYOUTS", "grid_problem", "header_row", "refusal", "suggestions"]

#: One line per layout the readers know, for refusals.
KNOWN_LAYOUTS = (
    "template workbook (a 'notes' sheet with group, session and theme columns)",
    "grid (a sheet per group: themes down a column, session numbers or dates across, "
    "x / counts / + / - marks in the cells)",
    "notes table, CSV or sheet (one row per theme noted; name its columns with --column)",
    "wide coding sheet (several code columns per row: --codes or --code-prefix)",
    "Taguette highlights export, REFI-QDA project (.qdpx, .qde), ATLAS.ti quotations, "
    "MAXQDA coded segments",
)

_TOTALS = {header_key(x) for x in ("total", "totals", "sum", "totale", "totali", "gesamt",
                                   "summe", "somme", "grand total")}
_COUNT_HEADERS = re.compile(
    r"(?:numberof\w*|#?of(?:occurrences|highlights|quotations|codings)|n(?:umber)?"
    r"(?:highlights|quotations|codings)|count|counts|frequency|freq|groundedness|density|"
    r"occurrences|highlights|quotations|totals?)")
_DEFINITION_HEADERS = {header_key(x) for x in ("description", "definition", "memo",
                                               "definizione", "meaning")}
_CODE_HEADERS = {header_key(x) for x in (
    "theme", "themes", "code", "codes", "tag", "tags", "topic", "topics", "label", "labels",
    "coding", "codings", "reason", "reasons", "category", "categories", "tema", "temi",
    "codice", "codici", "kode", "codigo", "codigos")}
_NOTE_HEADERS = {header_key(x) for x in (
    "note", "notes", "text", "content", "quote", "quotation", "excerpt", "segment",
    "fragment", "comment", "statement", "decision", "answer", "response", "text content",
    "quotation content")}
# a table with one of these is about sessions, not a list of codes with their counts
_UNIT_HEADERS = {header_key(x) for x in (
    "group", "session", "date", "document", "documents", "participant", "speaker", "case",
    "interview", "transcript", "file")}
_NUMBERED = re.compile(r"^(.*?\D)\s*[-_#.]?\s*(\d{1,3})$")
_IDENTIFIER = re.compile(r"^[A-Za-z]{0,3}[-_ ]?\d+(?:[:._/-]\d+)*$")
_ATLAS_GROUNDED = re.compile(r"\n\s*(?:Gr|GS)\s*=\s*\d+")


def header_row(rows: Sequence[Sequence[Any]]) -> int | None:
    """Return the first of the top rows with two or more values (a table's header), if any."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(not is_blank(v) for v in row) >= 2:
            return i
    return None


def _cells(row: Sequence[Any]) -> list[tuple[int, str]]:
    return [(j, cell_text(v)) for j, v in enumerate(row) if not is_blank(v)]


def _session_value(value: object, dayfirst: bool) -> tuple[str, Any] | None:
    n = parse_session(value)
    if n is not None and n < 10_000:
        return "n", n
    d = parse_date(value, dayfirst=dayfirst)
    return ("d", d) if d is not None else None


def grid_problem(rows: Sequence[Sequence[Any]], header: int, session_cols: Sequence[int], *,
                 dayfirst: bool = True) -> str | None:
    """Return why a sheet is not a grid of session notes, or ``None`` when it is one.

    A grid has theme labels down a column, session numbers (in order) or dates across its
    header row, and marks (``x``, a tick, a small count, ``+``/``-``) in the cells. It is
    not one when a fuller table header stands above the session row (the "sessions" are
    then numbers of a data row), when session numbers run backwards, when a row is a total
    or the headers carry a QDA tool's groundedness counts (a table of counts), when the
    labels are identifiers or numbers, or when most cells hold something other than marks
    (or three or more hold dates).
    """
    head = list(rows[header])
    for i in range(header):
        if len(_cells(rows[i])) >= 3:
            shown = ", ".join(repr(t[:30]) for _, t in _cells(rows[i])[:6])
            return (f"row {i + 1} above the session row holds a table header ({shown}), so "
                    f"the numbers in row {header + 1} are data, not session numbers")
    values = [_session_value(head[j], dayfirst) for j in session_cols]
    numbers = [v for kind, v in filter(None, values) if kind == "n"]
    if any(b < a for a, b in itertools.pairwise(numbers)):
        return (f"the numbers across row {header + 1} ({', '.join(map(str, numbers[:8]))}) "
                "are not session numbers in order")
    for j, text in _cells(head):
        if _ATLAS_GROUNDED.search(text):
            return (f"column {_col(j)} is headed {text.splitlines()[0]!r} with a groundedness "
                    "count: this is a QDA tool's table of counts, not notes marked by session")
    label_col = min(j for j, _ in _cells(head))
    labels = [row[label_col] for row in rows[header + 1:]
              if label_col < len(row) and not is_blank(row[label_col])]
    for v in labels:
        text = cell_text(v)
        if header_key(text) in _TOTALS or _ATLAS_GROUNDED.search(text):
            return (f"a row is labelled {text.splitlines()[0]!r}: this is a table of counts "
                    "(e.g. a code-document table of a QDA tool), not notes marked by session")
    if labels:
        ids = sum(not isinstance(v, str) or bool(_IDENTIFIER.match(v.strip())) for v in labels)
        if ids > len(labels) / 2:
            return (f"the labels down column {_col(label_col)} are numbers or identifiers "
                    f"(e.g. {cell_text(labels[0])!r}), not theme names")
    marks, bad = 0, []
    width = max(session_cols) + 1
    for row in rows[header + 1:]:
        for j in session_cols:
            if j < len(row) and j < width and not is_blank(row[j]):
                marks += 1
                if parse_mark(row[j]) is None:
                    bad.append(row[j])
    dates = sum(isinstance(v, dt.date) or parse_date(v, dayfirst=dayfirst) is not None
                for v in bad)
    if marks and (len(bad) > marks / 2 or dates >= 3):
        return (f"{len(bad)} of {marks} cells under the session columns are not marks "
                f"(e.g. {cell_text(bad[0])[:40]!r}); a grid holds x, a count, + or -")
    return None


def _col(j: int) -> str:
    from ..study import _excel_column

    return _excel_column(j)


def _quote(text: str) -> str:
    return shlex.quote(text.replace("\n", " ").strip())


def _separator_in(values: Sequence[Any]) -> str | None:
    """Return the separator most cells of a code column use between several codes."""
    texts = [v for v in values if isinstance(v, str) and v.strip()]
    if len(texts) < 3:
        return None
    for sep in ("\n", ";", "|", ","):
        if sum(sep in t.strip() for t in texts) >= max(2, len(texts) // 5):
            return sep
    return None


def suggestions(file: str, sheets: Sequence[tuple[str | None, Sequence[Sequence[Any]]]],
                command: str = "check") -> list[str]:
    """Return command lines that would read the file, one per plausible reading.

    ``sheets`` holds ``(sheet name or None for CSV, rows)``; the rows are those at the top
    of each sheet.
    """
    out: list[str] = []
    many = len(sheets) > 1
    for name, rows in sheets:
        h = header_row(rows)
        if h is None:
            continue
        cells = _cells(rows[h])
        keys = {j: header_key(t) for j, t in cells}
        base = f"python -m analysis {command} {_quote(file)}"
        if many and name is not None:
            base += f" --sheet {_quote(name)}"
        if any(_COUNT_HEADERS.fullmatch(k) for k in keys.values()) and \
                not any(k in _UNIT_HEADERS for k in keys.values()):
            source = file if name is None or not many else f"{file}#{name}"
            out.append(f"{name or file} looks like a codebook or a table of code counts, not "
                       "notes: give it with the notes file as --codebook " + _quote(source))
            continue
        prefixes: dict[str, list[str]] = {}
        for _, text in cells:
            m = _NUMBERED.match(text.strip())
            if m:
                prefixes.setdefault(m.group(1).strip(), []).append(text)
        numbered = [p for p, cols in prefixes.items() if len(cols) >= 2 and p]
        for p in numbered:
            out.append(f"{base} --code-prefix {_quote(p)}")
        themes = [j for j, k in keys.items() if k in _CODE_HEADERS]
        notes = [j for j, k in keys.items() if k in _NOTE_HEADERS]
        for j in themes[:3]:
            if numbered and any(cell_text(rows[h][j]).startswith(p) for p in numbered):
                continue
            line = f"{base} --column theme={_quote(cell_text(rows[h][j]))}"
            if notes:
                line += f" --column note={_quote(cell_text(rows[h][notes[0]]))}"
            sep = _separator_in([r[j] for r in rows[h + 1:] if j < len(r)])
            if sep is not None:
                line += f" --code-sep {_quote(sep.replace(chr(10), chr(92) + 'n'))}"
            out.append(line)
    return out


def refusal(file: str, sheets: Sequence[tuple[str | None, Sequence[Sequence[Any]]]], *,
            reasons: dict[str | None, str] | None = None, command: str = "check") -> str:
    """Return the message refusing a file whose layout cannot be told.

    It lists every sheet with its header row (and why it is not a grid, where one was
    tried), the layouts known, and the options that would read it.
    """
    reasons = reasons or {}
    seen = []
    for name, rows in sheets:
        h = header_row(rows)
        where = f"sheet {name!r}" if name is not None else "the file"
        if h is None:
            seen.append(f"{where}: no header row (fewer than two values in each of the "
                        f"first {HEADER_SEARCH_ROWS} rows)")
        else:
            cells = [t.splitlines()[0][:30] if t.strip() else t for _, t in _cells(rows[h])]
            shown = ", ".join(repr(t) for t in cells[:10]) + (" ..." if len(cells) > 10 else "")
            seen.append(f"{where}: row {h + 1} holds {shown}")
        if name in reasons:
            seen[-1] += f" (not a grid: {reasons[name]})"
    tips = suggestions(file, sheets, command)
    template = ", ".join(SHEETS)
    return ("the layout of this file cannot be told, so nothing was read. Seen: "
            + "; ".join(seen) + ". Known layouts: " + "; ".join(KNOWN_LAYOUTS)
            + f" (template sheets: {template}). "
            + ("To read it, try: " + " | ".join(tips) if tips else
               "Name the columns with --column ROLE=HEADER (roles: group, session, date, "
               "theme, category, valence, note, speaker, coder, id) and the sheet with "
               "--sheet NAME")
            + ".")
