"""Notebook displays: well-formed HTML, user text escaped, the numbers of the objects shown.

Each display is parsed as XML (so every tag is closed and every entity valid) and with
``html.parser``; expected numbers are counted here from the rows or the sets, never taken
from the display code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import pytest

from analysis import read_study
from analysis.codebook import Codebook
from tests.conftest import notes_rows

EVIL = "<script>alert('x')</script>"
IMG = "<img src=x onerror=alert(1)>"


class _Balance(HTMLParser):
    """Track open tags; fail on a closing tag that does not match."""

    VOID = frozenset({"br", "hr", "img", "meta", "input", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def well_formed(html: str) -> str:
    """Assert ``html`` is well-formed (XML and balanced tags); return its text content."""
    root = ET.fromstring(html)
    assert root.tag == "div"
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    assert "<script" not in html.lower()
    return "".join(root.itertext())


def ipython_bundle(obj) -> dict:
    """What a notebook stores for ``obj`` as the last value of a cell."""
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(obj)
    return data


@pytest.fixture
def evil_study(xlsx):
    """A study whose labels, notes and pseudonyms hold markup, plus 13 rejected rows."""
    rows = [("G & 1", 1, None, EVIL, "negative", "<b>bold</b> & co", "P<1>")] * 3
    rows += [("G2", 1, None, "Hope", "positive", "fine", "P2"),
             ("G2", 2, None, "Hope", "positive", "again", "P2")]
    rows += [("G2", "x", None, "Hope", "neutral", "bad session", None)] * 13
    rows += [("G2", 3, None, IMG, "neutral", "not in the codebook", None)]
    path = xlsx({
        "notes": notes_rows(rows, header=("group", "session", "date", "theme", "valence",
                                          "note", "speaker")),
        "codebook": [("theme", "category", "definition"),
                     (EVIL, "<i>cat</i>", "def with <tags> & ampersand"),
                     ("Hope", "Positive", "hope")],
    }, name="evil.xlsx")
    return read_study(path)


def test_study_display_counts_layout_and_problems(evil_study):
    study = evil_study
    study.log.layout = "template"  # set by the readers once they record it
    study.log.columns = {"theme": "D (theme)", "group": "A (group)"}
    html = study._repr_html_()
    text = well_formed(html)
    # a theme missing from the codebook is named in an error: escaped, shown as text
    assert IMG in text and "<img" not in html and "&lt;img src=x" in html
    assert "<i>cat</i>" in text and "&lt;i&gt;cat&lt;/i&gt;" in html
    assert "layout: template" in text and "D (theme)" in text
    # 6 notes kept, 13 rows rejected for their session cell: 10 shown, then "... and 3 more"
    plain = ipython_bundle(study)["text/plain"]
    assert plain == study._display().text()
    counts = re.search(r"notes\s+groups.*\n\s+(\d+)\s+(\d+)\s+(\d+)", plain)
    assert counts.groups() == ("6", "2", "4")
    assert "Rejected records (13)" in plain
    assert "... and 3 more records" in plain
    assert plain.count("column B (session)") == 10
    assert "read 21, kept 8, rejected 13" in plain  # 19 note rows and 2 codebook rows
    assert "Errors (1)" in plain


def test_study_display_is_deterministic(example_study):
    first, second = example_study._repr_html_(), example_study._repr_html_()
    assert first == second
    assert "0x" not in example_study._display().text()
    text = well_formed(first)
    assert "example_study.xlsx" in text and "/" not in example_study._display().title


def test_import_log_display(evil_study):
    log = evil_study.log
    text = well_formed(log._repr_html_())
    assert "Import log" in text
    plain = ipython_bundle(log)["text/plain"]
    assert f"read {log.read}, kept {log.kept}, rejected {len(log.rejected)}" in plain
    assert "Rejected records (13)" in plain


def test_codebook_display_counts_themes_and_history(example_study):
    notes = example_study.notes
    cb = Codebook.from_study(example_study).merge(["Guilt", "Anger at institutions"],
                                                  into="Guilt and anger")
    text = well_formed(cb._repr_html_())
    plain = ipython_bundle(cb)["text/plain"]
    # counted by hand from the rows
    guilt = int(notes["theme"].isin(["Guilt", "Anger at institutions"]).sum())
    line = next(ln for ln in plain.splitlines() if "Guilt and anger" in ln and "merge" not in ln)
    assert re.search(rf"\s{guilt}\s+\d+$", line), line
    for category in cb.categories:
        n = int((notes["category"] == category).sum())
        assert f"{category}: " in plain and f"{n} notes" in plain
    history = len(cb.history_frame())
    assert f"History ({history} operations)" in text
    assert "Guilt; Anger at institutions" in plain


def test_codebook_display_escapes_and_counts_themes(evil_study):
    cb = Codebook.from_study(evil_study)
    html = cb._repr_html_()
    text = well_formed(html)
    assert EVIL in text and "def with <tags> & ampersand" in text
    table = cb.theme_counts()
    assert table.set_index("theme").loc[EVIL, "notes"] == 3
    assert table.set_index("theme").loc["Hope", "sessions"] == 2
    assert table.set_index("theme").loc[IMG, "notes"] == 1  # not in the codebook: listed last
    assert table["theme"].iloc[-1] == IMG
    no_counts = Codebook(cb.table)
    assert "notes" not in no_counts._display().blocks[1].columns


def test_big_codebook_display_is_compact():
    cb = Codebook.from_records([(f"theme {i}", f"cat {i % 3}") for i in range(100)])
    plain = cb._display().text()
    assert "... and 60 more themes" in plain
    assert plain.count("theme ") < 45


def test_venn_display_shows_the_regions(example_study):
    from analysis.charts import group_theme_sets, group_venn

    notes = example_study.notes
    diagram = group_venn(notes)
    bundle = ipython_bundle(diagram)
    assert "0x" not in bundle["text/plain"]
    text = well_formed(bundle["text/html"])
    sets = group_theme_sets(notes)
    g1, g2, g3 = (sets[g] for g in ("Group 1", "Group 2", "Group 3"))
    everywhere = g1 & g2 & g3
    line = next(ln for ln in bundle["text/plain"].splitlines() if ln.strip().startswith("111"))
    assert re.search(rf"\s{len(everywhere)}\s", line)
    only_2 = g2 - g1 - g3
    line = next(ln for ln in bundle["text/plain"].splitlines() if ln.strip().startswith("010"))
    assert re.search(rf"\s{len(only_2)}\s", line)
    assert f"Group 1 ({len(g1)})" in text
    # still the matplotlib-venn diagram
    assert diagram.get_label_by_id("111").get_text() == str(len(everywhere))
    assert bundle["text/plain"] == ipython_bundle(diagram)["text/plain"]


def test_venn_display_escapes_set_names():
    from analysis.charts import venn

    diagram = venn({EVIL: {1, 2, 3}, "A & B": {3, 4}}, weighted=False)
    html = diagram._repr_html_()
    text = well_formed(html)
    assert EVIL in text and "A & B" in text
    assert repr(diagram).startswith("<Venn diagram of 2 sets")


def test_upset_display_lists_the_intersections():
    from analysis.charts import set_diagram

    sets = {"a": {1, 2, 3, 4}, "b": {3, 4, 5}, "c": {4, 6}, "<d>": {4, 7, 8}}
    plot = set_diagram(sets)
    bundle = ipython_bundle(plot)
    text = well_formed(bundle["text/html"])
    assert "<d>" in text
    rows = [ln.split() for ln in bundle["text/plain"].splitlines()
            if re.match(r"\s+[01]{4}\s", ln)]
    # exclusive intersections by hand: {1,2} a only; 3 a&b; 4 all; 5 b; 6 c; 7,8 d
    sizes = {r[0]: int(next(x for x in r[1:] if x.isdigit())) for r in rows}
    assert sizes == {"1000": 2, "1100": 1, "1111": 1, "0100": 1, "0010": 1, "0001": 2}
    assert repr(plot) == "<UpSet plot: 6 intersections>"
