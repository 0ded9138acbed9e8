"""The report page: an executed notebook turned into one self-contained HTML file.

The page is built straight from the notebook's cells: Markdown cells through mistune, each
output by the richest form it carries (HTML, SVG, PNG, Markdown, then plain text), inside a
small page of its own with a stylesheet written for reading and printing. It loads nothing
from any server: no scripts, no web fonts, no style sheets but its own.

Headings get ids as JupyterLab and nbconvert give them (the heading's text, spaces turned
into hyphens: ``#Theme-frequencies``), so links into a report keep working, and the table of
contents lists the level-2 and level-3 headings of the Markdown cells.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["render_page"]

#: Terminal colour codes, as in a kernel's tracebacks.
ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")
_TAGS = re.compile(r"<[^>]+>")


def _escape(text: str) -> str:
    """Text as element content: ``<``, ``>`` and ``&`` escaped, quotes kept as they are."""
    return html.escape(text, quote=False)


def _text(value: str | Iterable[str]) -> str:
    """Join a notebook string field, which the file format allows to be a list of lines."""
    return value if isinstance(value, str) else "".join(value)


class _Headings:
    """Heading ids as JupyterLab makes them, unique within the page, and the contents list."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.toc: list[tuple[int, str, str]] = []

    def anchor(self, inner_html: str, level: int) -> str:
        label = html.unescape(_TAGS.sub("", inner_html)).strip()
        base = re.sub(r"\s+", "-", label) or "section"
        count = self.seen.get(base, 0)
        self.seen[base] = count + 1
        anchor = base if count == 0 else f"{base}-{count}"
        if level in (2, 3):
            self.toc.append((level, anchor, label))
        return anchor


def _markdown(headings: _Headings):
    import mistune

    class Renderer(mistune.HTMLRenderer):
        def heading(self, text: str, level: int, **attrs: Any) -> str:
            anchor = html.escape(headings.anchor(text, level), quote=True)
            return (f'<h{level} id="{anchor}">{text}<a class="anchor-link" '
                    f'href="#{anchor}" aria-label="Link to this section">¶</a></h{level}>\n')

    # the notebook's own Markdown may hold HTML, as in Jupyter; the study's data never
    # reaches a Markdown cell (outputs are escaped where they are made)
    return mistune.create_markdown(renderer=Renderer(escape=False),
                                   plugins=["table", "strikethrough"])


def _output(output: Mapping[str, Any], markdown) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return f'<pre class="output-{name}">{_escape(_text(output.get("text", "")))}</pre>'
    if kind == "error":
        trace = ANSI_ESCAPES.sub("", "\n".join(output.get("traceback", [])))
        return f'<pre class="output-error">{_escape(trace)}</pre>'
    data = output.get("data", {})
    if "text/html" in data:
        return f'<div class="output-html">{_text(data["text/html"])}</div>'
    if "image/svg+xml" in data:
        svg = base64.b64encode(_text(data["image/svg+xml"]).encode("utf-8")).decode("ascii")
        return f'<img class="output-image" src="data:image/svg+xml;base64,{svg}" alt="">'
    if "image/png" in data:
        png = "".join(_text(data["image/png"]).split())
        return f'<img class="output-image" src="data:image/png;base64,{png}" alt="">'
    if "text/markdown" in data:
        return f'<div class="output-markdown">{markdown(_text(data["text/markdown"]))}</div>'
    if "text/plain" in data:
        return f'<pre class="output-text">{_escape(_text(data["text/plain"]))}</pre>'
    return ""  # widget views and other forms a static page cannot show


def _cell(cell: Mapping[str, Any], *, show_code: bool, markdown) -> str:
    kind = cell.get("cell_type")
    if kind == "markdown":
        text = markdown(_text(cell.get("source", "")))
        return f'<section class="cell text-cell">\n{text}</section>'
    if kind != "code":
        return ""  # raw cells are for other formats
    parts = []
    source = _text(cell.get("source", ""))
    if show_code and source.strip():
        parts.append(f'<pre class="code"><code>{_escape(source)}</code></pre>')
    parts.extend(filter(None, (_output(o, markdown) for o in cell.get("outputs", []))))
    if not parts:
        return ""
    return '<section class="cell code-cell">\n' + "\n".join(parts) + "\n</section>"


def _toc(entries: list[tuple[int, str, str]]) -> str:
    if not entries:
        return ""
    sub = ' class="toc-sub"'
    items = "".join(
        f'<li{sub if level == 3 else ""}>'
        f'<a href="#{html.escape(anchor, quote=True)}">{html.escape(label)}</a></li>'
        for level, anchor, label in entries)
    return f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ul>{items}</ul></nav>'


def render_page(nb: Mapping[str, Any], *, title: str, footer: str = "",
                show_code: bool = False) -> str:
    r"""Return the report page of an executed notebook as one HTML document.

    Parameters
    ----------
    nb : mapping
        An executed notebook (nbformat 4: a dict, or an ``nbformat.NotebookNode``).
    title : str
        The page's ``<title>`` (escaped here).
    footer : str, optional
        HTML placed at the end of the page (trusted: made by the caller).
    show_code : bool, default False
        Show the source of the code cells above their outputs.

    Returns
    -------
    str
        The page. The table of contents (level-2 and level-3 Markdown headings) follows
        the first cell, which holds the report's title and introduction.

    Examples
    --------
    >>> nb = {"cells": [
    ...     {"cell_type": "markdown", "source": "# Report\n\nIntro."},
    ...     {"cell_type": "markdown", "source": "## Two words"},
    ...     {"cell_type": "code", "source": "1 + 1", "outputs": [
    ...         {"output_type": "execute_result", "data": {"text/plain": "2"}}]}]}
    >>> page = render_page(nb, title="R & D")
    >>> "<title>R &amp; D</title>" in page, 'href="#Two-words"' in page
    (True, True)
    >>> '<pre class="output-text">2</pre>' in page, "1 + 1" in page
    (True, False)
    """
    headings = _Headings()
    markdown = _markdown(headings)
    blocks = [b for b in (_cell(c, show_code=show_code, markdown=markdown)
                          for c in nb.get("cells", [])) if b]
    toc = _toc(headings.toc)
    if toc:
        blocks.insert(1 if blocks else 0, toc)
    body = "\n".join(blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="analysis">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n{footer}\n"
        "</body>\n</html>\n"
    )


_CSS = """
:root { color-scheme: light; --text: #1a1a1a; --muted: #555; --rule: #444; --band: #f6f6f6;
  --link: #0b57a4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--text); background: #fff; line-height: 1.5;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 1rem; }
h1, h2, h3, h4, h5 { line-height: 1.25; margin: 1.6em 0 .5em; font-weight: 600; }
h1 { font-size: 1.9em; margin-top: .4em; } h2 { font-size: 1.45em; }
h3 { font-size: 1.2em; } h4 { font-size: 1.05em; } h5 { font-size: 1em; }
p, ul, ol { max-width: 60em; } a { color: var(--link); }
.anchor-link { margin-left: .35em; color: #999; text-decoration: none; font-weight: 400;
  visibility: hidden; }
h1:hover .anchor-link, h2:hover .anchor-link, h3:hover .anchor-link,
h4:hover .anchor-link, h5:hover .anchor-link { visibility: visible; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono",
  monospace; font-size: .9em; }
:not(pre) > code { background: #f2f2f2; padding: .05em .3em; border-radius: 3px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .6em 0; }
pre.code { background: #f7f7f7; border-left: 3px solid #ccc; padding: .6em .9em; }
pre.output-stderr, pre.output-error { background: #fdf0f0; padding: .4em .8em; }
.output-html { margin: .4em 0; overflow-x: auto; }
img.output-image { max-width: 100%; height: auto; }
table { border-collapse: collapse; }
.toc { border: 1px solid #ddd; padding: .5em 1.5em; margin: 1em 0 2em; max-width: 40em; }
.toc h2 { margin: .5em 0; font-size: 1.2em; }
.toc ul { list-style: none; padding-left: 0; margin: 0 0 .5em; }
.toc li.toc-sub { padding-left: 1.5em; }
footer.report-footer { max-width: 72rem; margin: 3em auto 1em; padding: 1em 2rem 0;
  border-top: 1px solid #ccc; color: var(--muted); font-size: .85em; }
/* publication tables (analysis.publish): caption above, note below, no index column */
.table-block { margin: 1.2em 0 1.8em; max-width: 100%; overflow-x: auto; }
table.publication-table { border-collapse: collapse; font-size: .88em; margin: 0;
  font-variant-numeric: tabular-nums; table-layout: auto; }
table.publication-table caption { caption-side: top; text-align: left; padding: 0 0 .4em;
  font-size: 1.05em; color: #222; width: max-content; max-width: 60em; }
table.publication-table th { border-bottom: 1.5px solid var(--rule); text-align: left;
  padding: .3em .7em; vertical-align: bottom; font-weight: 600; background: none; }
table.publication-table td { padding: .25em .7em; vertical-align: top; border: none;
  max-width: 36em; text-align: left; }
table.publication-table tbody tr:last-child td { border-bottom: 1.5px solid var(--rule); }
table.publication-table tbody tr:nth-child(even) td { background: var(--band); }
p.table-note { font-size: .85em; color: #444; margin: .4em 0 0; max-width: 60em; }
.table-block details { margin: .5em 0; }
.table-block summary { cursor: pointer; color: var(--link); }
figure.report-figure { margin: 1.5em 0 2em; max-width: 100%; }
figure.report-figure img { max-width: 100%; height: auto; display: block; }
figure.report-figure figcaption { font-size: .92em; color: #222; margin-top: .5em;
  max-width: 60em; }
ul.findings li { margin: .3em 0; max-width: 60em; }
section.quotes h4 { margin: 1.2em 0 .3em; }
.quote-theme h5 { margin: .8em 0 .2em; font-size: 1em; }
.quote-theme blockquote { margin: .2em 0 .4em 1em; padding: .1em .8em;
  border-left: 3px solid #bbb; color: #222; max-width: 56em; }
.quote-theme blockquote p { margin: 0; }
.quote-theme blockquote footer { color: var(--muted); font-size: .85em; }
@media print {
  body { font-size: 10.5pt; } main { max-width: none; padding: 0; }
  .anchor-link { display: none; } a { color: inherit; text-decoration: none; }
  .toc { page-break-after: always; }
  figure.report-figure, .table-block, .quote-theme, table.publication-table tr {
    break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4, h5 { break-after: avoid; page-break-after: avoid; }
  .table-block details > summary { display: none; }
}
"""
