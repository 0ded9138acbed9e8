"""The rendered report in a real browser: headless Chromium (Debian ``chromium`` and
``chromium-driver``; ``make browser`` installs them where the machine allows).

Every image must decode, the page must log no console errors, and a screenshot is kept in
``tests/artifacts/`` for a person to look at.
"""

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


def _check_page(driver, html: Path, shot: Path) -> None:
    driver.get(html.resolve().as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
    assert images, "the report shows no image"
    assert all(done and width > 0 for done, width in images), images
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    title = driver.execute_script("return document.querySelector('h1').textContent")
    assert "Session-notes analysis report" in title
    toc = driver.execute_script("return document.querySelectorAll('nav.toc a').length")
    assert toc >= 5
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1200, min(int(height) + 100, 16000))
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_example_report_in_chromium(browser, tmp_path):
    html = render_report(EXAMPLE, tmp_path / "example")
    _check_page(browser, html, ARTIFACTS / "report_example.png")


def test_grid_report_in_chromium(browser, tmp_path, example_study):
    grid = _grid_workbook(example_study, tmp_path / "grid.xlsx")
    html = render_report(grid, tmp_path / "grid")
    _check_page(browser, html, ARTIFACTS / "report_grid.png")
