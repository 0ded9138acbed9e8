"""The report page built from an executed notebook (analysis._page), checked against nbconvert."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from analysis._page import render_page

MARKDOWN = """# Study report

Intro with *emphasis*, `code <x>` and a [link](https://example.org).

## First section

- one
- two & three

| a | b |
|---|---|
| 1 | 2 |

### A sub-section

## First section
"""


def _notebook():
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell(MARKDOWN),
        v4.new_code_cell("print('<b>x</b>')", outputs=[
            v4.new_output("stream", name="stdout", text="<b>x</b> 'quoted'\n")]),
        v4.new_code_cell("table", outputs=[v4.new_output(
            "execute_result", execution_count=1,
            data={"text/html": "<table><tr><td>cell</td></tr></table>",
                  "text/plain": "plain table"})]),
        v4.new_code_cell("fig", outputs=[v4.new_output(
            "display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>",
                                  "text/plain": "<Figure>"})]),
        v4.new_code_cell("value", outputs=[v4.new_output(
            "execute_result", execution_count=2, data={"text/plain": "1 < 2"})]),
        v4.new_code_cell("no output"),
        v4.new_markdown_cell("## Last\n\nThe end."),
    ]
    return nb


def _nbconvert_text(nb) -> list[str]:
    """Words of the page nbconvert's lab template makes of the same notebook."""
    exporter = pytest.importorskip("nbconvert").HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    soup = BeautifulSoup(body, "html.parser")
    for tag in soup(["style", "script", "title"]):
        tag.extract()
    return soup.get_text(" ").split()


def _words(page: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["style", "script", "title", "nav"]):
        tag.extract()
    return soup.get_text(" ").split()


def test_page_says_what_nbconvert_says():
    nb = _notebook()
    page = render_page(nb, title="T")
    assert _words(page) == _nbconvert_text(nb)


def test_heading_ids_are_those_of_jupyter_and_unique():
    page = render_page(_notebook(), title="T")
    ids = re.findall(r'<h\d id="([^"]+)"', page)
    assert ids == ["Study-report", "First-section", "A-sub-section", "First-section-1", "Last"]
    soup = BeautifulSoup(page, "html.parser")
    toc = soup.select_one("nav.toc")
    links = [(a["href"], a.get_text(), a.parent.get("class")) for a in toc.find_all("a")]
    assert links == [("#First-section", "First section", None),
                     ("#A-sub-section", "A sub-section", ["toc-sub"]),
                     ("#First-section-1", "First section", None),
                     ("#Last", "Last", None)]
    # every link of the contents leads to a heading of the page
    assert all(soup.find(id=href[1:]) for href, _, _ in links)
    # the contents follow the first cell (title and introduction)
    first = soup.select("main > *")
    assert first[0].h1 is not None and first[1].name == "nav"


def test_outputs_by_their_richest_form():
    soup = BeautifulSoup(render_page(_notebook(), title="T"), "html.parser")
    assert soup.select_one("pre.output-stdout").get_text() == "<b>x</b> 'quoted'\n"
    assert soup.select_one("div.output-html td").get_text() == "cell"
    assert "plain table" not in soup.get_text()
    src = soup.select_one("img.output-image")["src"]
    prefix = "data:image/svg+xml;base64,"
    assert src.startswith(prefix)
    assert base64.b64decode(src[len(prefix):]).decode() == \
        "<svg xmlns='http://www.w3.org/2000/svg'/>"
    assert soup.select_one("pre.output-text").get_text() == "1 < 2"
    assert "no output" not in soup.get_text()  # code hidden, cell without output left out


def test_code_shown_when_asked_and_escaped():
    page = render_page(_notebook(), title="T", show_code=True)
    soup = BeautifulSoup(page, "html.parser")
    codes = [pre.get_text() for pre in soup.select("pre.code")]
    assert codes == ["print('<b>x</b>')", "table", "fig", "value", "no output"]


def test_page_is_self_contained_and_escapes_its_title():
    page = render_page(_notebook(), title="Pilot <study> & co", footer="<footer>f</footer>")
    assert "<title>Pilot &lt;study&gt; &amp; co</title>" in page
    assert not re.search(r"<(script|link|iframe)\b", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.replace(
        'href="https://example.org"', ""))  # the only remote address is the link written
    assert page.rstrip().endswith("<footer>f</footer>\n</body>\n</html>")


def test_errors_show_without_terminal_colours():
    nb = {"cells": [{"cell_type": "code", "source": "1/0", "outputs": [
        {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
         "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"]}]}]}
    soup = BeautifulSoup(render_page(nb, title="T"), "html.parser")
    assert soup.select_one("pre.output-error").get_text() == \
        "ZeroDivisionError: division by zero"


def test_notebook_source_as_list_of_lines():
    nb = {"cells": [{"cell_type": "markdown", "source": ["# A\n", "\n", "## B c\n"]}]}
    assert 'id="B-c"' in render_page(nb, title="T")
