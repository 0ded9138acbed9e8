"""Rich displays for notebooks: compact HTML tables with a plain-text twin.

Every object a researcher leaves as the last value of a notebook cell (a study, its import
log, a codebook, a Venn or UpSet diagram, the explorer) shows as a short HTML summary in
JupyterLab and as the same content in plain text where HTML is not shown. Both are built
here from one description, so they always agree, and both are deterministic (no ids, no
addresses, no clock), which ``pytest --nbval`` relies on. All user text is HTML-escaped.
Long lists show their first rows and a line ``... and N more``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Block", "Report", "escape", "problem_blocks"]

#: Rows shown per table before ``... and N more``.
TOP = 10
_CSS = ("border-collapse:collapse;font-size:0.9em;margin:0.2em 0 0.6em 0")
_CELL = "padding:1px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #ddd"


def escape(value: object) -> str:
    """Return ``value`` as text safe inside HTML (``&``, ``<``, ``>`` and quotes escaped)."""
    return html.escape(_text(value), quote=True)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat() if value == value.normalize() else value.isoformat()
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return str(value)


def _one_line(value: object, width: int | None) -> str:
    text = " ".join(_text(value).split())
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


@dataclass
class Block:
    """One part of a display: a heading and either lines of text or a table.

    Parameters
    ----------
    title : str
        Heading of the part (may be empty).
    lines : list of str
        Sentences shown one per line.
    columns : list of str
        Table headers (no table when empty).
    rows : list of sequences
        Table rows; only the first ``limit`` are shown.
    limit : int
        Most rows shown; the rest are counted in a line ``... and N more``.
    total : int, optional
        How many rows there are in all, when ``rows`` holds only the first ones.
    noun : str
        What a row is, for the ``... and N more`` line.
    """

    title: str = ""
    lines: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[Sequence[Any]] = field(default_factory=list)
    limit: int = TOP
    total: int | None = None
    noun: str = ""

    @property
    def hidden(self) -> int:
        """Rows not shown."""
        total = len(self.rows) if self.total is None else self.total
        return max(0, total - min(len(self.rows), self.limit))

    def _more(self) -> str:
        noun = f" {self.noun}" if self.noun else ""
        return f"... and {self.hidden} more{noun}"

    def html(self) -> str:
        """Return the block as HTML."""
        out = []
        if self.title:
            out.append(f"<p style=\"margin:0.4em 0 0.1em 0\"><b>{escape(self.title)}</b></p>")
        out.extend(f"<p style=\"margin:0.1em 0\">{escape(line)}</p>" for line in self.lines)
        if self.columns:
            head = "".join(f"<th style=\"{_CELL}\">{escape(c)}</th>" for c in self.columns)
            body = []
            for row in self.rows[: self.limit]:
                cells = "".join(f"<td style=\"{_CELL}\">{escape(v)}</td>" for v in row)
                body.append(f"<tr>{cells}</tr>")
            if self.hidden:
                body.append(f"<tr><td style=\"{_CELL}\" colspan=\"{len(self.columns)}\">"
                            f"<i>{escape(self._more())}</i></td></tr>")
            out.append(f"<table style=\"{_CSS}\"><thead><tr>{head}</tr></thead>"
                       f"<tbody>{''.join(body)}</tbody></table>")
        return "".join(out)

    def text(self, width: int = 60) -> str:
        """Return the block as plain text, columns aligned, cells cut at ``width``."""
        out = []
        if self.title:
            out.append(self.title)
        out.extend(f"  {line}" for line in self.lines)
        if self.columns:
            cells = [[_one_line(c, width) for c in self.columns]]
            cells += [[_one_line(v, width) for v in row] for row in self.rows[: self.limit]]
            widths = [max(len(r[j]) for r in cells) for j in range(len(self.columns))]
            for r in cells:
                out.append("  " + "  ".join(v.ljust(w) for v, w in
                                            zip(r, widths, strict=True)).rstrip())
            if self.hidden:
                out.append(f"  {self._more()}")
        return "\n".join(out)


@dataclass
class Report:
    """A titled display made of blocks, rendered as HTML or plain text."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def html(self) -> str:
        """Return the display as one ``<div>`` of HTML."""
        body = "".join(b.html() for b in self.blocks)
        return (f"<div class=\"analysis-display\"><p style=\"margin:0 0 0.2em 0\">"
                f"<b>{escape(self.title)}</b></p>{body}</div>")

    def text(self) -> str:
        """Return the display as plain text."""
        return "\n".join([self.title, *(b.text() for b in self.blocks)])


def problem_blocks(errors: Iterable[Any], rejected: Iterable[Any], warnings: Iterable[Any],
                   *, limit: int = TOP) -> list[Block]:
    """Return one block per non-empty severity: errors, rejected records, warnings.

    Each row gives the cell (``Problem.source``) and the message.
    """
    blocks = []
    for title, items in (("Errors", list(errors)), ("Rejected records", list(rejected)),
                         ("Warnings", list(warnings))):
        if items:
            blocks.append(Block(f"{title} ({len(items)})", columns=["where", "message"],
                                rows=[(p.source, p.message) for p in items], limit=limit,
                                noun=title.split()[-1].lower()))
    if not blocks:
        blocks.append(Block("Problems", lines=["none: every record was read and kept"]))
    return blocks


class Displayable:
    """Mix-in: ``_repr_html_`` and a plain-text repr from a :meth:`_display` report."""

    def _display(self) -> Report:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())
