"""Safe outputs: escaped HTML, neutralized formulas, untouched inputs."""

import hashlib
import os

import pandas as pd
import pytest

from analysis.cli import main
from analysis.io import neutralize_formula, write_tables


def _fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+39 333 1234567", "'+39 333 1234567"),
    ("-1+1", "'-1+1"), ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("plain", "plain"), (-1, -1),
    (None, None),
])
def test_neutralize_formula(value, expected):
    assert neutralize_formula(value) == expected


def test_tables_export_neutralizes_formulas_in_csv_and_xlsx(tmp_path):
    from openpyxl import load_workbook

    table = pd.DataFrame({"theme": ["=HYPERLINK(\"http://x\",\"y\")", "ok"], "n": [-3, 4]})
    csv_path, xlsx_path = write_tables({"t": table}, tmp_path)
    text = csv_path.read_text(encoding="utf-8").splitlines()
    assert text[1].startswith("\"'=HYPERLINK(") and text[1].endswith(",-3")
    cell = load_workbook(xlsx_path)["t"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("'=HYPERLINK")
    assert load_workbook(xlsx_path)["t"]["B2"].value == -3  # numbers stay numbers


def test_inputs_unchanged_by_every_command(xlsx, tmp_path, capsys):
    path = xlsx({"notes": [("group", "session", "theme", "note"), ("G1", 1, "A", "x"),
                           ("G1", 2, "B", "=1+1")],
                 "codebook": [("theme", "category"), ("A", "X"), ("B", "Y")]})
    before = _fingerprint(path)
    assert main(["check", str(path)]) == 0
    assert main(["check", str(path), "--json"]) == 0
    assert main(["convert", str(path), "--out", str(tmp_path / "c.xlsx")]) == 0
    assert main(["report", str(path), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    capsys.readouterr()
    assert _fingerprint(path) == before


def test_html_in_themes_and_notes_is_shown_as_text(xlsx, tmp_path):
    from analysis.report import render_report

    evil = "<script>alert(1)</script>"
    path = xlsx({"notes": [("group", "session", "theme", "note"), ("G1", 1, evil, evil),
                           ("G1", 2, "<img src=x onerror=alert(2)>", None)],
                 "codebook": [("theme", "category"), (evil, "<b>X</b>"),
                              ("<img src=x onerror=alert(2)>", "Y")]})
    html = render_report(path, tmp_path / "r", timestamp=False).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x onerror" not in html and "<b>X</b>" not in html
