"""Publication tables and figures for the report: numbered, captioned, formatted for readers.

Every table of the report goes through one path, :meth:`Publisher.table`: the cells are
formatted as text first (:func:`format_cells`: whole numbers as whole numbers, shares as
percentages with stated decimals, lists joined with semicolons, ``True``/``False`` as
``yes``/``no``, missing values as a dash explained in the note), then written as the HTML
table pandas' :class:`~pandas.io.formats.style.Styler` would write for them, with fixed ids
(so the HTML is the same on every run) and without its per-cell row classes and
indentation (:meth:`PublicationTable._styled`). Every figure goes through
:meth:`Publisher.figure`: saved as SVG (embedded in the page as an ``<img>`` with alt text and
a numbered caption) and as the print copies asked for (:func:`figure_formats`: PDF by
default, PNG on request). pandas' Styler was chosen over great-tables after measuring both
on the example's three largest tables (32 KiB in 0.19 s against 58 KiB in 0.61 s, and no
new dependency); neither needs the network. Writing its markup directly is 10 times faster
again, and a third smaller on tables of hundreds of rows.

Nothing here computes a statistic: tables and figures arrive ready and are only presented.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

__all__ = [
    "DASH",
    "DEFAULT_FORMATS",
    "FORMATS",
    "PublicationFigure",
    "PublicationTable",
    "Publisher",
    "caught_warnings",
    "copies_in_background",
    "figure_formats",
    "format_cells",
    "format_value",
    "resolve_figures",
]

#: Figure formats that can be written, in the order they are written.
FORMATS: tuple[str, ...] = ("svg", "pdf", "png")
#: Written when no formats are asked for: SVG (the page shows it) and one print format.
DEFAULT_FORMATS: tuple[str, ...] = ("svg", "pdf")
#: Environment variable holding the default formats (``svg,pdf,png``), so that a report run
#: in a separate kernel writes what its caller asked for.
FORMATS_ENV = "ANALYSIS_FIGURE_FORMATS"


def figure_formats(formats: str | Iterable[str] | None = None) -> tuple[str, ...]:
    """Return the figure formats to write, checked and in :data:`FORMATS` order.

    Parameters
    ----------
    formats : str or iterable of str, optional
        ``"svg,pdf,png"`` or ``["svg", "png"]`` (case and a leading dot do not matter).
        By default the formats named in the ``ANALYSIS_FIGURE_FORMATS`` environment
        variable, else :data:`DEFAULT_FORMATS`.

    Returns
    -------
    tuple of str
        Always includes ``"svg"``: the page embeds the SVG.

    Raises
    ------
    ValueError
        A format is not one of ``svg``, ``pdf``, ``png``.

    Examples
    --------
    >>> figure_formats("PNG")
    ('svg', 'png')
    >>> figure_formats(["pdf", "svg", "png"])
    ('svg', 'pdf', 'png')
    """
    if formats is None:
        formats = os.environ.get(FORMATS_ENV) or DEFAULT_FORMATS
    if isinstance(formats, str):
        formats = formats.split(",")
    wanted = {str(f).strip().lower().lstrip(".") for f in formats} - {""}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise ValueError(f"figure format {', '.join(map(repr, unknown))} is not one of "
                         f"{', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in wanted | {"svg"})


class _Copies:
    """Print copies of figures being written by forked processes (:func:`copies_in_background`)."""

    active = False
    defer_svg = False  # the page's SVG too is drawn in the figure's process
    pending: ClassVar[list[tuple[int, int, str]]] = []  # (pid, read end of its error pipe, what)
    failed: ClassVar[list[str]] = []  # errors of processes collected before wait_all

    @classmethod
    def start(cls, fig: Figure, base: Path, formats: tuple[str, ...],
              bbox: Bbox | None = None) -> bool:
        """Write ``formats`` of ``fig`` in a forked process; False when that is not possible.

        ``bbox`` is the box of a figure already laid out (:func:`analysis.charts.laid_out`),
        so the process does not lay it out again.
        """
        from .charts import save_figure

        if "pdf" in formats:  # imported once here rather than in every process
            import matplotlib.backends.backend_pdf  # noqa: F401

        def write() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # stated from the layout, in the caption
                save_figure(fig, base, formats=formats, bbox=bbox)

        return cls.run(write, f"figure {base.name}")

    @classmethod
    def run(cls, work: Callable[[], object], label: str, *, queue: bool = True) -> bool:
        """Run ``work`` in a forked process; False when that is not possible.

        With ``queue``, first wait until fewer processes than processors are running (the
        ones that have already ended are collected without waiting); without it, start at
        once (short work at the end of a report, which should not hold the page up).
        """
        if not (cls.active and hasattr(os, "fork") and hasattr(os, "register_at_fork")):
            return False
        cls.collect_ended()
        while queue and len(cls.pending) >= (os.cpu_count() or 1):
            cls.failed.extend(e for e in [cls.wait_one()] if e)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write the files, say what failed, leave without cleanup
            code = 1
            try:
                os.close(read)
                work()
                code = 0
            except BaseException as exc:  # reported by the parent
                os.write(write, f"{type(exc).__name__}: {exc}".encode()[:4000])
            finally:
                os._exit(code)
        os.close(write)
        cls.pending.append((pid, read, label))
        return True

    @classmethod
    def _result(cls, read: int, label: str, status: int) -> str | None:
        with os.fdopen(read, "rb") as fh:
            message = fh.read().decode("utf-8", "replace")
        if os.waitstatus_to_exitcode(status) != 0:
            return f"{label}: {message or 'not written'}"
        return None

    @classmethod
    def collect_ended(cls) -> None:
        """Collect the processes that have ended (their errors kept for :meth:`wait_all`)."""
        for entry in list(cls.pending):
            pid, read, label = entry
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                cls.pending.remove(entry)
                cls.failed.extend(e for e in [cls._result(read, label, status)] if e)

    @classmethod
    def wait_one(cls) -> str | None:
        pid, read, label = cls.pending.pop(0)
        _, status = os.waitpid(pid, 0)  # its message (4,000 bytes at most) waits in the pipe
        return cls._result(read, label, status)

    @classmethod
    def wait_all(cls) -> list[str]:
        errors = [e for e in (cls.wait_one() for _ in range(len(cls.pending))) if e]
        errors, cls.failed[:] = [*cls.failed, *errors], []
        return errors


@contextmanager
def copies_in_background(*, defer_svg: bool = False) -> Iterator[None]:
    """Write the PDF and PNG copies of figures, and the table files, in forked processes.

    Inside the block, :meth:`Publisher.figure` lays each figure out and writes its SVG
    (which the page embeds) and forks a process for the other formats, and
    :meth:`Publisher.write_tables` forks one for the CSV files and the workbook (at most
    one process per processor at a time), so they are written while the code goes on. The
    block ends only when every file is written. Where processes cannot be forked (Windows),
    copies are written in turn as outside the block.

    Parameters
    ----------
    defer_svg : bool, default False
        Draw the SVG in the forked process too. A figure's HTML then holds a placeholder
        for the picture, which :func:`resolve_figures` replaces, once the block has ended,
        with what the figure's HTML would have held (``render_report`` does this with the
        whole page). The layout, and the warnings it raises for the caption, stay here.

    Raises
    ------
    RuntimeError
        A file could not be written (when the block itself raised nothing).
    """
    outer = _Copies.active, _Copies.defer_svg
    _Copies.active = True
    _Copies.defer_svg = defer_svg
    failed = True
    try:
        yield
        failed = False
    finally:
        _Copies.active, _Copies.defer_svg = outer
        errors = _Copies.wait_all()
        if errors and not failed:
            raise RuntimeError("; ".join(errors))


#: What a missing value is shown as (explained in the table's note).
DASH = "–"
_DASH_NOTE = f"A dash ({DASH}) marks a value that is not recorded or does not apply."


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def _natural(value: object) -> tuple:
    return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", str(value)))


def format_value(value: object, *, percent: bool = False, decimals: int = 1,
                 fixed: bool = False) -> str:
    """Return one cell as the text a reader sees.

    Parameters
    ----------
    value : object
        The cell.
    percent : bool, default False
        ``value`` is a share (0 to 1): shown as a percentage with ``decimals`` decimals.
    decimals : int, default 1
        Decimals of numbers that are not whole.
    fixed : bool, default False
        Give whole floats ``decimals`` decimals too (a column of ratios: ``1.00``, ``0.82``).

    Returns
    -------
    str
        ``""``-free text: missing values become :data:`DASH`; booleans ``yes``/``no``;
        lists, tuples and sets their items joined by ``"; "`` (sets in natural order);
        whole numbers without decimals and with thousands separators; dates as
        ``YYYY-MM-DD`` (with the time when it is not midnight).

    Examples
    --------
    >>> [format_value(v) for v in (3.0, 1234, 0.25, None, True, ["a", "b"])]
    ['3', '1,234', '0.2', '–', 'yes', 'a; b']
    >>> format_value(0.4567, percent=True)
    '45.7%'
    """
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = list(value)
        if isinstance(value, set | frozenset):
            items = sorted(items, key=_natural)
        return "; ".join(format_value(v, decimals=decimals) for v in items) or DASH
    if _is_missing(value):
        return DASH
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if percent:
            return f"{value * 100:.{decimals}f}%"
        if float(value).is_integer() and not fixed:
            return f"{int(value):,}"
        return f"{value:,.{decimals}f}"
    return str(value)


def format_cells(frame: pd.DataFrame, *, percent: Iterable[str] = (), decimals: int = 1,
                 column_decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """Return a table with every cell formatted by :func:`format_value` (all strings).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is kept as it is (use ``reset_index`` first to show it).
    percent : iterable of str
        Columns holding shares (0 to 1), shown as percentages.
    decimals : int, default 1
        Decimals of numbers that are not whole.
    column_decimals : dict, optional
        ``{column: decimals}`` for columns that need another precision (p-values).

    Returns
    -------
    pandas.DataFrame
        Same shape, index and columns; object dtype, every cell a string.
    """
    percent = set(percent)
    column_decimals = column_decimals or {}
    out = {}
    for col in frame.columns:
        d = column_decimals.get(col, decimals)
        is_percent = col in percent
        values = frame[col].astype(object).tolist()
        # a float column of whole numbers (counts after a merge) shows as whole numbers; a
        # column of fractions shows every value with the same decimals
        floats = [v for v in values if isinstance(v, float | np.floating) and not _is_missing(v)]
        fixed = any(not float(v).is_integer() for v in floats)
        out[col] = [format_value(v, percent=is_percent, decimals=d, fixed=fixed)
                    for v in values]
    result = pd.DataFrame(out, index=frame.index)
    result.columns = frame.columns
    return result


_NUMBER = re.compile(r"^[-−]?[\d,]+(\.\d+)?%?$")


def _is_numeric_column(cells: pd.Series) -> bool:
    values = [v for v in cells if v != DASH]
    return bool(values) and all(_NUMBER.match(v) for v in values)


@contextmanager
def caught_warnings() -> Iterator[list[str]]:
    """Record the warnings raised inside a ``with`` block as a list of distinct messages.

    The list is filled when the block ends. A report states such warnings where they
    belong (in a table's note, a figure's caption), instead of letting Python print them
    into the page. Exceptions are not caught. A ``ResourceWarning`` is left out: it says
    that some object of the process was collected with a file still open, whatever code
    happened to run when it was, and has nothing to say about the block's results.

    Examples
    --------
    >>> import warnings
    >>> with caught_warnings() as found:
    ...     warnings.warn("expected counts are small", stacklevel=1)
    ...     warnings.warn("unclosed file", ResourceWarning, stacklevel=1)
    >>> found
    ['expected counts are small']
    """
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
    for w in caught:
        if issubclass(w.category, ResourceWarning):
            continue
        text = str(w.message).strip()
        if text and text not in found:
            found.append(text)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"


@dataclass
class PublicationTable:
    """A numbered table with caption and note, ready to display in a notebook or report.

    Attributes
    ----------
    data : pandas.DataFrame
        The values as computed (written to ``tables/`` unchanged).
    cells : pandas.DataFrame
        The same values formatted as text (what the reader sees).
    number : int
        Table number.
    caption : str
        Caption after ``Table N.``.
    note : str
        The note under the table: the unit counted and how to read it.
    name : str or None
        File name of the table in ``tables/`` (no extension).
    top : int or None
        When the table is longer, only the first ``top`` rows are shown openly and the whole
        table is folded below them.
    """

    data: pd.DataFrame
    cells: pd.DataFrame
    number: int
    caption: str
    note: str
    name: str | None = None
    top: int | None = None

    @property
    def title(self) -> str:
        """``Table N. caption``."""
        return f"Table {self.number}. {self.caption}"

    def _styled(self, cells: pd.DataFrame, suffix: str = "") -> str:
        """Return ``cells`` as an HTML table with fixed ids (the same bytes on every run).

        The markup is what pandas' Styler writes for these tables (escaped cells, numeric
        columns and their headers right-aligned by a rule on their column class, the
        caption) without its per-cell row classes, the classes of text cells and its
        indentation: a page of several 400-row tables is a few hundred kilobytes smaller,
        and written ten times faster.
        """
        uid = f"T_t{self.number}{suffix}"
        numeric = [j for j in range(cells.shape[1]) if _is_numeric_column(cells.iloc[:, j])]
        parts = []
        if numeric:  # numbers (and their headers) right-aligned, text left-aligned
            parts.append('<style type="text/css">'
                         + "".join(f"#{uid} .col{j} {{text-align: right;}}" for j in numeric)
                         + "</style>")
        parts.append(f'<table id="{uid}" class="publication-table">')
        if not suffix:
            parts.append(f"<caption><b>Table {self.number}.</b> "
                         f"{html.escape(self.caption)}</caption>")
        # only the numeric columns' cells carry their column class (the rule above needs
        # it); text cells are left-aligned by the page's style without one
        right = set(numeric)
        parts.append("<thead>\n<tr>" + "".join(
            (f'<th class="col{j}">' if j in right else "<th>") + f"{html.escape(str(c))}</th>"
            for j, c in enumerate(cells.columns)) + "</tr>\n</thead>\n<tbody>\n")
        opens = [f'<td class="col{j}">' if j in right else "<td>"
                 for j in range(cells.shape[1])]
        for row in cells.itertuples(index=False, name=None):
            parts.append("<tr>" + "".join(
                f"{o}{html.escape(v)}</td>" for o, v in zip(opens, row, strict=True)) + "</tr>\n")
        parts.append("</tbody></table>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        long = self.top is not None and len(self.cells) > self.top
        note = html.escape(self.note)
        parts = [f'<div class="table-block" id="table-{self.number}">']
        if long:
            parts.append(self._styled(self.cells.head(self.top)))
            where = (f" and in <code>tables/{html.escape(self.name)}.csv</code>"
                     if self.name else "")
            parts.append(
                f"<details><summary>All {len(self.cells):,} rows of Table {self.number} (the "
                f"first {self.top} are shown above; the whole table is here{where})</summary>"
                + self._styled(self.cells, "-all") + "</details>")
        else:
            parts.append(self._styled(self.cells))
        parts.append(f'<p class="table-note"><i>Note.</i> {note}</p></div>')
        return "".join(parts)

    def __repr__(self) -> str:
        shown = self.cells if self.top is None else self.cells.head(self.top)
        body = shown.to_string(index=False) if len(shown.columns) else "(no columns)"
        more = (f"\n... {len(self.cells) - len(shown)} more rows"
                if len(shown) < len(self.cells) else "")
        return f"{self.title}\n{body}{more}\nNote. {self.note}"


_SVG_SPACE = re.compile(rb">\s+<|\s*\n\s*")
_SVG_PATCH = re.compile(rb'<g id="patch_\d+">(<path [^>]*/>)</g>')
_SVG_DECIMALS = re.compile(rb"(?<![\w.])(-?\d+\.\d{3,})(?![\d.])")


def _round_number(match: re.Match[bytes]) -> bytes:
    value = float(match.group(1))
    if abs(value) < 1:  # scales and widths below 1: four significant digits
        return (b"%.4g" % value).replace(b"e-0", b"e-")
    text = b"%.2f" % value
    return text.rstrip(b"0").rstrip(b".")


def _compact_svg(svg: bytes) -> bytes:
    """Return the SVG as embedded in the page: the same drawing in fewer bytes.

    Indentation and line breaks go, each plain shape loses its one-element group, and
    coordinates are rounded to 1/100 pt (0.0035 mm; matplotlib writes six decimals;
    numbers below 1, such as scales, keep four significant digits). A
    page of a few hundred themes has figures of thousands of shapes, most of whose bytes
    are these. The files in ``figures/`` keep matplotlib's full output.
    """
    svg = _SVG_SPACE.sub(lambda m: b"><" if m.group(0).startswith(b">") else b" ", svg)
    svg = _SVG_PATCH.sub(rb"\1", svg)
    return _SVG_DECIMALS.sub(_round_number, svg)


_DEFERRED = "data-deferred-svg"
_DEFERRED_IMG = re.compile(f'<img {_DEFERRED}="([^"]*)" data-scale="([^"]*)" alt="([^"]*)">')


def _img(svg: bytes, scale: float, alt: str) -> str:
    """Return the ``<img>`` of a figure's SVG in the page (``alt`` already escaped)."""
    data = base64.b64encode(_compact_svg(svg)).decode("ascii")
    size = ""
    m = re.search(rb'<svg[^>]*\bwidth="([\d.]+)pt"', svg[:2000])
    if m and scale != 1.0:  # pt to CSS px, scaled; never wider than the page
        size = f' style="width: {float(m.group(1)) * 4 / 3 * scale:.0f}px"'
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}"{size}>'


def resolve_figures(page: str) -> str:
    """Put the SVG of each figure drawn in a forked process into ``page``.

    The figures of :meth:`Publisher.figure` inside ``copies_in_background(defer_svg=True)``
    leave a placeholder naming their SVG file; once the block has ended (every file
    written) this gives the page what it would have held had the SVG been drawn at once.

    Parameters
    ----------
    page : str
        HTML holding the figures' HTML.

    Returns
    -------
    str
    """
    def fill(m: re.Match[str]) -> str:
        svg = Path(html.unescape(m.group(1))).read_bytes()
        return _img(svg, float(m.group(2)), m.group(3))

    return _DEFERRED_IMG.sub(fill, page)


@dataclass
class PublicationFigure:
    """A numbered figure with caption and alt text, embedded as an SVG ``<img>``.

    Attributes
    ----------
    number : int
    caption : str
        Caption after ``Figure N.``: what is drawn and what is counted.
    alt : str
        Alternative text describing the figure's content (largest bars, regions, counts).
    svg : bytes or None
        The SVG file as saved; None while it is being drawn in a forked process
        (``copies_in_background(defer_svg=True)``): the HTML then holds a placeholder that
        :func:`resolve_figures` fills in.
    files : list of pathlib.Path
        The files written: the SVG first, then the print copies (see
        :func:`copies_in_background` for when those are complete).
    """

    number: int
    caption: str
    alt: str
    svg: bytes | None
    files: list[Path] = field(default_factory=list)
    scale: float = 1.0

    @property
    def title(self) -> str:
        """``Figure N. caption``."""
        return f"Figure {self.number}. {self.caption}"

    def _repr_html_(self) -> str:
        alt = html.escape(self.alt)
        if self.svg is None:  # drawn in a forked process: filled in by resolve_figures
            picture = (f'<img {_DEFERRED}="{html.escape(self.files[0].as_posix())}" '
                       f'data-scale="{self.scale!r}" alt="{alt}">')
        else:
            picture = _img(self.svg, self.scale, alt)
        return (f'<figure class="report-figure" id="figure-{self.number}">{picture}'
                f"<figcaption><b>Figure {self.number}.</b> {html.escape(self.caption)}"
                "</figcaption></figure>")

    def __repr__(self) -> str:
        return f"{self.title}\n[{self.alt}]"


class Publisher:
    """Number, caption and save the tables and figures of one report.

    Parameters
    ----------
    out_dir : str or path-like
        The report folder: figures go to ``figures/``, tables (by :meth:`write_tables`) to
        ``tables/``.
    max_rows : int, default 40
        Tables longer than this show their first ``max_rows`` rows and fold the rest.
    formats : str or iterable of str, optional
        Figure formats written to ``figures/`` (see :func:`figure_formats`; by default SVG
        and PDF). The SVG is always written: the page embeds it.

    Examples
    --------
    >>> import pandas as pd
    >>> pub = Publisher("out")
    >>> t = pub.table(pd.DataFrame({"group": ["A", "B"], "notes": [3, 4.0]}),
    ...               caption="Notes per group.", note="Counts are notes.")
    >>> print(t)
    Table 1. Notes per group.
    group notes
        A     3
        B     4
    Note. Counts are notes.
    """

    def __init__(self, out_dir: str | os.PathLike[str], *, max_rows: int = 40,
                 formats: str | Iterable[str] | None = None) -> None:
        self.out = Path(out_dir)
        self.max_rows = max_rows
        self.formats = figure_formats(formats)
        self.tables: list[PublicationTable] = []
        self.figures: list[PublicationFigure] = []
        self.drawing_notes: list[str] = []
        self._caught: list[str] = []

    def table(self, frame: pd.DataFrame, *, caption: str, note: str, name: str | None = None,
              index: bool | str = False, percent: Sequence[str] = (), decimals: int = 1,
              column_decimals: dict[str, int] | None = None,
              rename: dict[str, str] | None = None,
              transpose: str | None = None) -> PublicationTable:
        """Return the next numbered table.

        Parameters
        ----------
        frame : pandas.DataFrame
            The values as computed.
        caption : str
            What the table shows (after ``Table N.``).
        note : str
            The unit counted and how to read the table; a sentence on the dash is added when
            a value is missing, and on the percentages when ``percent`` is given.
        name : str, optional
            File name in ``tables/`` (:meth:`write_tables` writes the unformatted values).
        index : bool or str, default False
            Show the index as the first column(s) (a string names that column); the default
            drops a meaningless index.
        percent, decimals, column_decimals
            See :func:`format_cells`.
        rename : dict, optional
            Column headers as shown (``{"pval": "p"}``).
        transpose : str, optional
            Show the table on its side (the first shown column becomes the header row), with
            this header above the former column names. Cells are formatted before turning,
            so each measure keeps its own format (counts whole, means with decimals).

        Returns
        -------
        PublicationTable
        """
        shown = frame.copy()
        if index:
            if isinstance(index, str):
                shown.index = shown.index.rename(index)
            shown = shown.reset_index()
        if isinstance(shown.columns, pd.MultiIndex):
            shown.columns = [" ".join(str(p) for p in c if str(p)) for c in shown.columns]
        shown.columns = [str(c) for c in shown.columns]
        cells = format_cells(shown, percent=percent, decimals=decimals,
                             column_decimals=column_decimals).reset_index(drop=True)
        if rename:
            cells = cells.rename(columns=rename)
        if transpose is not None:
            turned = cells.set_index(cells.columns[0]).T
            turned.index.name = transpose
            cells = turned.reset_index()
            cells.columns = [str(c) for c in cells.columns]
        extra = []
        if percent:
            places = sorted({(column_decimals or {}).get(c, decimals) for c in percent})
            extra.append(f"Percentages are given to {' or '.join(map(str, places))} decimal"
                         f"{'s' if places != [1] else ''}.")
        if (cells == DASH).any().any():
            extra.append(_DASH_NOTE)
        full_note = " ".join([note.strip(), *extra]).strip()
        table = PublicationTable(
            data=frame, cells=cells, number=len(self.tables) + 1, caption=caption,
            note=full_note, name=name,
            top=self.max_rows if len(cells) > self.max_rows else None)
        self.tables.append(table)
        return table

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        """Catch the warnings of drawing a figure; the next :meth:`figure` states them.

        Warnings of a chart (a Venn diagram whose areas are approximate, a label that does
        not fit) belong in the figure's caption, not printed into the page. Errors are not
        caught.
        """
        with caught_warnings() as found:
            yield found
        self._caught.extend(t for t in found if t not in self._caught)

    def figure(self, fig: Figure, *, caption: str, alt: str, name: str,
               scale: float = 1.0) -> PublicationFigure:
        """Save a figure (SVG and :attr:`formats`), close it and return it numbered and captioned.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
        caption : str
            What is drawn and what is counted; warnings caught by :meth:`capture` since the
            last figure are added to it as drawing notes.
        alt : str
            Alternative text: the content of the figure in words.
        name : str
            File name in ``figures/`` (no extension).
        scale : float, default 1.0
            Shown this much larger than its size in print (a wide figure of small text).

        Returns
        -------
        PublicationFigure
        """
        import matplotlib.pyplot as plt

        from .charts import laid_out, save_figure
        from .charts._base import style

        base = self.out / "figures" / name
        copies = tuple(f for f in self.formats if f != "svg")
        files = [base.parent / f"{base.name}.svg"]
        with warnings.catch_warnings(record=True) as caught, style(), laid_out(fig) as box:
            warnings.simplefilter("always")
            # every format from the same layout; PDF and PNG (and with defer_svg the SVG
            # too) in a forked process while the report goes on (inside
            # copies_in_background), else here
            deferred = _Copies.defer_svg and _Copies.start(fig, base, ("svg", *copies), box)
            if not deferred:
                save_figure(fig, base, formats=("svg",), bbox=box)
                if copies and not _Copies.start(fig, base, copies, box):
                    save_figure(fig, base, formats=copies, bbox=box)
        files += [base.parent / f"{base.name}.{f}" for f in copies]
        self._caught.extend(str(w.message).strip() for w in caught
                            if str(w.message).strip() not in self._caught)
        plt.close(fig)
        svg = None if deferred else files[0].read_bytes()
        if self._caught:
            notes = " ".join(f"Drawing note: {t.rstrip('.')}." for t in self._caught)
            self.drawing_notes.extend(f"Figure {len(self.figures) + 1}: {t}"
                                      for t in self._caught)
            caption = f"{caption.rstrip()} {notes}"
            self._caught = []
        figure = PublicationFigure(number=len(self.figures) + 1, caption=caption, alt=alt,
                                   svg=svg, files=files, scale=scale)
        self.figures.append(figure)
        return figure

    def write_tables(self, extra: dict[str, pd.DataFrame] | None = None) -> list[Path]:
        """Write every named table (values as computed) to ``tables/`` as CSV and one workbook.

        Parameters
        ----------
        extra : dict, optional
            Further ``{name: table}`` to write that the report does not show.

        Returns
        -------
        list of pathlib.Path
            The files written (:func:`analysis.io.write_tables`).
        """
        from .io import write_tables

        frames = {t.name: _exportable(t.data) for t in self.tables if t.name}
        frames.update({k: _exportable(v) for k, v in (extra or {}).items()})
        folder = self.out / "tables"
        # started at once, not queued behind figure copies still being drawn: the tables
        # are written beside the rest of the page, not before it
        if _Copies.run(lambda: write_tables(frames, folder), "tables", queue=False):
            return [folder / f"{name}.csv" for name in frames] + [folder / "tables.xlsx"]
        return write_tables(frames, folder)


def _exportable(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with list, tuple and set cells joined by ``"; "`` (CSV and Excel)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(
                lambda v: isinstance(v, list | tuple | set | frozenset)).any():
            out[col] = out[col].map(
                lambda v: format_value(v) if isinstance(v, list | tuple | set | frozenset)
                else v)
    return out


def slug(text: str) -> str:
    """Return ``text`` as a file-name-safe slug (``'Table 2: x'`` -> ``'table-2-x'``)."""
    return _slug(text)
