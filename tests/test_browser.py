"""The rendered report in a real browser: headless Chromium (Debian ``chromium`` and
``chromium-driver``; ``make browser`` installs them where the machine allows).

Every image must decode, the page must log no console errors, and a screenshot is kept in
``tests/artifacts/`` for a person to look at.
"""

import re
import shutil
from pathlib import Path

import pytest

from analysis.report import render_report
from tests.conftest import EXAMPLE, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="headless Chromium not installed: run `make browser` (Debian packages chromium and "
           "chromium-driver) to enable the browser checks",
)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1200,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


def _grid_workbook(study, path: Path) -> Path:
    """Write the example's notes as a grid workbook (a sheet per group, x marks)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    notes = study.notes[study.notes["coder"] == "R1"]
    for group in study.groups:
        part = notes[notes["group"] == group]
        sessions = sorted(part["session"].unique())
        ws = wb.create_sheet(group)
        ws.append([f"{group}: themes by session"])
        ws.append([])
        ws.append(["Theme", "Category", *[int(s) for s in sessions]])
        for theme, category in zip(study.codebook["theme"], study.codebook["category"],
                                   strict=True):
            present = set(part.loc[part["theme"] == theme, "session"])
            ws.append([theme, category, *["x" if s in present else None for s in sessions]])
    wb.save(path)
    return path


PAGE_FACTS = """
const text = el => (el ? el.innerText.trim() : "");
return {
  figures: Array.from(document.querySelectorAll("figure.report-figure")).map(
    f => [f.querySelector("img").alt, text(f.querySelector("figcaption"))]),
  tables: Array.from(document.querySelectorAll("div.table-block")).map(
    b => [Array.from(b.querySelectorAll("caption")).map(text),
          b.querySelectorAll("p.table-note").length]),
  cells: Array.from(document.querySelectorAll("td, th")).map(
    c => c.textContent.trim()),
  quote_themes: document.querySelectorAll("div.quote-theme").length,
  quotes: document.querySelectorAll("div.quote-theme blockquote").length,
  text: document.body.innerText,
};
"""
RAW_CELL = re.compile(r"^(nan|NaN|NaT|<NA>|None|True|False|\[.*\]|\(.*,.*\)|\{.*\})$", re.S)
WARNING_TEXT = re.compile(r"\b\w*(Warning|Error)\b|Traceback|warnings\.warn|site-packages")


def _check_page(driver, html: Path, shot: Path, input_name: str) -> dict:
    driver.get(html.resolve().as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    assert images, "the report shows no image"
    assert all(done and width > 0 for done, width in images), images
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    title = driver.execute_script("return document.querySelector('h1').textContent")
    assert "Session-notes analysis report" in title
    assert driver.title == f"{input_name}: session-notes analysis report"
    toc = driver.execute_script("return document.querySelectorAll('nav.toc a').length")
    assert toc >= 5
    page = driver.execute_script(PAGE_FACTS)
    # every image is a numbered figure with a caption and alt text naming counts
    assert len(page["figures"]) == len(images)
    for number, (alt, caption) in enumerate(page["figures"], 1):
        assert caption.startswith(f"Figure {number}. "), caption
        assert len(alt) > 40 and "No description" not in alt and re.search(r"\d", alt), alt
    # every table a numbered caption and a note (folded copies of long tables excepted)
    assert page["tables"], "no table"
    for number, (captions, notes) in enumerate(page["tables"], 1):
        assert len(captions) == 1 and captions[0].startswith(f"Table {number}. "), captions
        assert notes == 1
    raw = [c for c in page["cells"] if RAW_CELL.match(c)]
    assert raw == []
    assert not WARNING_TEXT.search(page["text"]), WARNING_TEXT.search(page["text"])
    # the codebook table is there, shown to the reader
    assert any("The codebook" in c[0] for c, _ in page["tables"] if c)
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 100, 16000))
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    return page


def test_example_report_in_chromium(browser, tmp_path):
    html = render_report(EXAMPLE, tmp_path / "example")
    page = _check_page(browser, html, ARTIFACTS / "report_example.png", EXAMPLE.name)
    assert page["quote_themes"] == 27  # nine main themes in each of three categories
    assert page["quotes"] >= 27
    # a printed copy (what "print to PDF" gives) keeps figures and tables whole
    rules = browser.execute_script(
        "return Array.from(document.styleSheets).flatMap(s => Array.from(s.cssRules))"
        ".filter(r => r.media && r.media.mediaText === 'print').map(r => r.cssText).join(' ')")
    assert "figure.report-figure" in rules and "break-inside: avoid" in rules


def test_grid_report_in_chromium(browser, tmp_path, example_study):
    grid = _grid_workbook(example_study, tmp_path / "grid.xlsx")
    html = render_report(grid, tmp_path / "grid")
    page = _check_page(browser, html, ARTIFACTS / "report_grid.png", grid.name)
    assert page["quote_themes"] == 0  # a grid holds no text to quote, and the page says so
    assert "The notes hold no text to quote." in page["text"]


def test_qda_project_report_in_chromium(browser, tmp_path):
    from tests.test_qda_import import make_qdpx, project_xml

    project = make_qdpx(tmp_path / "project.qdpx", project_xml())
    html = render_report(project, tmp_path / "qda")
    page = _check_page(browser, html, ARTIFACTS / "report_qda.png", project.name)
    assert page["quote_themes"] >= 1
