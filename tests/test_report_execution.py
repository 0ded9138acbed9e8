"""How the report is executed and its figures written: in process or in a kernel, formats."""

import os
import re
import xml.etree.ElementTree as ET

import matplotlib
import nbformat
import pytest

from analysis.cli import main
from analysis.publish import (
    DEFAULT_FORMATS,
    Publisher,
    _compact_svg,
    copies_in_background,
    figure_formats,
    resolve_figures,
)
from analysis.report import ReportError, execute_notebook

matplotlib.use("Agg")


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return path


CELLS = (
    "x = 1",
    "print('a'); print('b')\nx + 41",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>shown</b>'))\nNone",
    "import warnings\nwarnings.warn('careful', UserWarning, stacklevel=1)",
    "x * 2;",
)


def _outputs(nb):
    """The outputs of each code cell, as (type, name or mime types, text) without counts."""
    seen = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "stream":
                text = out.text
                if out.name == "stderr":  # warnings: where they come from differs
                    text = re.sub(r"^.*?(UserWarning: .*)$", r"\1", text.strip(), flags=re.S)
                seen.append(("stream", out.name, text.strip()))
            else:
                seen.append((out.output_type, tuple(sorted(out.data)),
                             out.data.get("text/html", out.data.get("text/plain"))))
    return seen


def test_in_process_outputs_are_those_of_a_kernel(tmp_path):
    path = _notebook(tmp_path / "nb.ipynb", *CELLS)
    here = execute_notebook(path, {"x": 20}, cwd=tmp_path, kernel=False)
    kernel = execute_notebook(path, {"x": 20}, cwd=tmp_path, kernel=True)
    assert _outputs(here) == _outputs(kernel)
    # the injected parameter won over the notebook's default: 20 + 41, and the value of a
    # line ending in ';' is not shown
    assert ("execute_result", ("text/plain",), "61") in _outputs(here)
    assert [c.execution_count for c in here.cells] == [c.execution_count for c in kernel.cells]


def test_in_process_failure_names_the_cell_and_restores_the_process(tmp_path):
    import sys

    path = _notebook(tmp_path / "nb.ipynb", "x = 1", "y = 1", "1 / 0")
    main_module, hook = sys.modules["__main__"], sys.displayhook
    with pytest.raises(ReportError, match=r"cell 3 of the notebook\): ZeroDivisionError"):
        execute_notebook(path, {}, cwd=tmp_path, kernel=False)
    assert sys.modules["__main__"] is main_module and sys.displayhook is hook
    from IPython import get_ipython

    assert get_ipython() is None  # no shell left behind


def test_figure_formats():
    assert DEFAULT_FORMATS == ("svg", "pdf")
    assert figure_formats(None) == ("svg", "pdf")
    assert figure_formats("png") == ("svg", "png")  # the page always needs the SVG
    assert figure_formats(" PNG, .pdf ,svg") == ("svg", "pdf", "png")
    with pytest.raises(ValueError, match="'jpg' is not one of svg, pdf, png"):
        figure_formats("svg,jpg")


def test_formats_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIGURE_FORMATS", "svg,png")
    assert Publisher("out").formats == ("svg", "png")
    assert Publisher("out", formats="pdf").formats == ("svg", "pdf")


def _figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.bar(["a", "b", "c"], [3, 1, 2])
    ax.set_title("counts")
    return fig


def test_copies_in_background_are_the_copies_written_in_turn(tmp_path):
    from analysis.charts import save_figure

    reference = save_figure(_figure(), tmp_path / "ref" / "f", formats=("svg", "pdf", "png"))
    pub = Publisher(tmp_path / "bg", formats="svg,pdf,png")
    with copies_in_background():
        fig = pub.figure(_figure(), caption="c", alt="a", name="f")
    assert [p.suffix for p in fig.files] == [".svg", ".pdf", ".png"]
    for ref, made in zip(reference, fig.files, strict=True):
        assert made.read_bytes() == ref.read_bytes(), made.name
    only_svg = Publisher(tmp_path / "svg", formats="svg").figure(
        _figure(), caption="c", alt="a", name="f")
    assert [p.name for p in (tmp_path / "svg" / "figures").iterdir()] == ["f.svg"]
    assert only_svg.svg == reference[0].read_bytes()


def test_svg_drawn_in_a_forked_process_gives_the_same_page_and_files(tmp_path):
    now = Publisher(tmp_path / "now", formats="svg,pdf")
    figures_now = [now.figure(_figure(), caption="c", alt="a <b>", name=f"f{i}", scale=s)
                   for i, s in ((1, 1.0), (2, 1.5))]
    later = Publisher(tmp_path / "later", formats="svg,pdf")
    with copies_in_background(defer_svg=True):
        figures_later = [later.figure(_figure(), caption="c", alt="a <b>", name=f"f{i}",
                                      scale=s) for i, s in ((1, 1.0), (2, 1.5))]
        page = "<main>" + "".join(f._repr_html_() for f in figures_later) + "</main>"
    assert all(f.svg is None for f in figures_later)
    assert "data:image" not in page and page.count("data-deferred-svg") == 2
    expected = "<main>" + "".join(f._repr_html_() for f in figures_now) + "</main>"
    assert resolve_figures(page) == expected
    assert 'style="width: ' in expected  # the scaled figure's width comes from its SVG
    for a, b in zip(figures_now, figures_later, strict=True):
        assert [p.read_bytes() for p in a.files] == [p.read_bytes() for p in b.files]
    # outside the block, nothing is deferred
    assert Publisher(tmp_path / "after").figure(_figure(), caption="c", alt="a",
                                                name="f").svg is not None


def _numbers(svg: bytes) -> list[float]:
    root = ET.fromstring(svg)
    values = []
    for el in root.iter():
        for key in ("d", "transform", "x", "y", "width", "height"):
            if key in el.attrib:
                values += [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?",
                                                       el.attrib[key])]
    return values


def test_compact_svg_is_the_same_drawing(tmp_path):
    from analysis.charts import save_figure

    svg = save_figure(_figure(), tmp_path / "f", formats=("svg",))[0].read_bytes()
    small = _compact_svg(svg)
    assert len(small) < 0.9 * len(svg)
    full, compact = ET.fromstring(svg), ET.fromstring(small)
    # the same shapes in the same order (the one-element groups of plain shapes are gone)
    def shapes(root):
        return [(el.tag, el.attrib.get("style"), el.attrib.get("clip-path"))
                for el in root.iter() if not el.tag.endswith("}g")]
    assert shapes(full) == shapes(compact)
    a, b = _numbers(svg), _numbers(small)
    assert len(a) == len(b)
    assert all(abs(x - y) <= max(0.005, abs(x) * 5e-4) for x, y in zip(a, b, strict=True))


def test_cli_formats(tmp_path, capsys):
    path = tmp_path / "small.csv"
    path.write_text("group,session,theme\nG1,1,A\nG1,2,B\nG1,3,A\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", str(path), "--out", str(out), "--quiet", "--formats", "png"]) == 0
    suffixes = {p.suffix for p in (out / "figures").iterdir()}
    assert suffixes == {".svg", ".png"}
    assert main(["report", str(path), "--out", str(tmp_path / "x"), "--formats", "gif"]) == 2
    assert "--formats" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_tables_in_background_are_the_tables_written_in_turn(tmp_path):
    import pandas as pd

    def publisher(folder):
        pub = Publisher(folder)
        pub.table(pd.DataFrame({"group": ["A", "B"], "notes": [3, 4]}), caption="c",
                  note="n", name="overview")
        return pub

    in_turn = publisher(tmp_path / "a").write_tables()
    with copies_in_background():
        forked = publisher(tmp_path / "b").write_tables(
            extra={"more": pd.DataFrame({"x": [1.5]})})
    assert [p.name for p in forked] == ["overview.csv", "more.csv", "tables.xlsx"]
    assert all(p.is_file() for p in forked)
    assert forked[0].read_bytes() == in_turn[0].read_bytes() == b"group,notes\nA,3\nB,4\n"
    # a failure in the forked process is raised when the block ends
    with pytest.raises(RuntimeError, match="tables: ValueError: table name 'bad name'"):
        with copies_in_background():
            publisher(tmp_path / "c").write_tables(extra={"bad name": pd.DataFrame()})


def _tables_publisher(folder):
    import pandas as pd

    pub = Publisher(folder)
    pub.table(pd.DataFrame({"group": ["A", "B"], "notes": [3, 4]}), caption="c", note="n",
              name="overview")
    return pub


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no forked processes here")
def test_table_files_start_beside_figure_copies_still_running(tmp_path):
    from analysis.publish import _Copies

    busy = os.cpu_count() or 1
    read, write = os.pipe()
    try:
        with copies_in_background():
            try:
                for _ in range(busy):  # as many copies as processors, held until released
                    assert _Copies.run(lambda: os.read(read, 1), "held")
                files = _tables_publisher(tmp_path).write_tables()
                running = len(_Copies.pending)
            finally:
                os.write(write, b"x" * busy)
    finally:
        os.close(read)
        os.close(write)
    assert running == busy + 1  # the tables did not wait for a free processor
    assert files[0].read_bytes() == b"group,notes\nA,3\nB,4\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no forked processes here")
def test_a_copy_that_failed_early_is_still_reported(tmp_path):
    from analysis.publish import _Copies

    def fail():
        raise ValueError("no disk")

    with pytest.raises(RuntimeError, match="early: ValueError: no disk"):
        with copies_in_background():
            assert _Copies.run(fail, "early")
            while _Copies.pending:  # collected as the next process would collect it
                _Copies.collect_ended()
            _tables_publisher(tmp_path).write_tables()
    assert not _Copies.failed
