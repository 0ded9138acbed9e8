"""The HTML report: renders, is self-contained, fails cleanly."""

import base64
import re

import pytest

from analysis.cli import main
from analysis.report import ReportError, render_report
from tests.conftest import EXAMPLE


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "example"
    return render_report(EXAMPLE, out, timestamp=False)


def test_report_writes_html_figures_and_tables(rendered):
    out = rendered.parent
    figures = {p.name for p in (out / "figures").iterdir()}
    for name in ("theme_frequencies", "category_by_group", "valence_by_theme", "saturation"):
        assert {f"{name}.svg", f"{name}.pdf", f"{name}.png"} <= figures
    assert {"overview.csv", "category_by_group.csv", "main_themes.csv", "theme_frequencies.csv",
            "chi2.csv", "commonality.csv", "participants.csv", "tables.xlsx"} <= {
        p.name for p in (out / "tables").iterdir()}
    html = rendered.read_text(encoding="utf-8")
    assert "Session-notes analysis report" in html
    assert 'class="toc"' in html and "Theme frequencies" in html
    # code hidden by default; input name and hash in the footer
    assert "read_study(input_path" not in html
    import hashlib

    assert hashlib.sha256(EXAMPLE.read_bytes()).hexdigest() in html
    # self-contained: no external images, scripts or stylesheets that need the network
    assert not re.search(r'<(img|script)[^>]+src="https?://', html)
    assert re.search(r"<img [^>]*src=\"data:image/svg\+xml;base64,", html)  # embedded figure


def test_report_overview_matches_tables_csv(rendered, example_study):
    import pandas as pd

    from analysis import tables

    csv = pd.read_csv(rendered.parent / "tables" / "overview.csv", index_col="group")
    expected = tables.overview(tables.one_coder(example_study.notes))
    pd.testing.assert_frame_equal(csv, expected, check_names=False)


def test_two_renders_are_identical_without_timestamp(rendered, tmp_path):
    again = render_report(EXAMPLE, tmp_path / "again", timestamp=False)
    assert again.read_bytes() == rendered.read_bytes()
    for sub in ("figures/theme_frequencies.svg", "figures/theme_frequencies.pdf",
                "tables/theme_frequencies.csv", "tables/tables.xlsx"):
        assert (again.parent / sub).read_bytes() == (rendered.parent / sub).read_bytes(), sub


def test_bad_input_leaves_no_output(xlsx, tmp_path, capsys):
    bad = xlsx({"notes": [("group", "session", "theme"), ("G1", "nope", "A")]})
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="data error"):
        render_report(bad, out)
    assert not out.exists()
    assert list(tmp_path.glob(".out*")) == []
    assert main(["report", str(bad), "--out", str(out)]) == 1
    assert "error:" in capsys.readouterr().err and not out.exists()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["report", str(empty), "--out", str(out)]) == 2


def test_previous_report_survives_a_failed_run(rendered, xlsx):
    bad = xlsx({"notes": [("group", "session", "theme"), ("G1", "nope", "A")]})
    before = rendered.read_bytes()
    with pytest.raises(ReportError):
        render_report(bad, rendered.parent)
    assert rendered.read_bytes() == before


def test_png_in_report_folder_decodes(rendered):
    png = (rendered.parent / "figures" / "theme_frequencies.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(base64.b64encode(png)) > 1000


@pytest.mark.parametrize("text", [
    "group,session,theme\nG1,1,A\nG1,2,B\n",              # one group, no codebook
    "group,session,theme,category\nG1,1,A,X\n",            # a single note
])
def test_report_renders_small_studies(tmp_path, text):
    path = tmp_path / "small.csv"
    path.write_text(text, encoding="utf-8")
    html = render_report(path, tmp_path / "out", timestamp=False)
    assert "Session-notes analysis report" in html.read_text(encoding="utf-8")


def test_two_runs_differ_only_in_the_timestamp_line(tmp_path):
    import difflib

    a = render_report(EXAMPLE, tmp_path / "a").read_text(encoding="utf-8").splitlines()
    b = render_report(EXAMPLE, tmp_path / "b").read_text(encoding="utf-8").splitlines()
    changed = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert all("Rendered " in line for line in changed), changed
