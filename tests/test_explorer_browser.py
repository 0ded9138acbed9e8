"""The explorer in JupyterLab: run notebook 02 in headless Chromium and look at the widget.

Starts JupyterLab on a copy of the notebook (the committed one is never touched), with
Jupyter's data, config and runtime folders in a temporary folder so that no kernel or
setting of the machine's user is used. Runs every cell from the Run menu, waits for the
explorer's panel, checks that it lists the notes and keeps a screenshot in
``tests/artifacts/`` for a person to look at. Bounded: about two minutes at most.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
NOTEBOOK = ROOT / "notebooks" / "02_codebook_and_categories.ipynb"
JUPYTER_LAB = Path(sys.executable).with_name("jupyter-lab")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="headless Chromium not installed: run `make browser` (Debian packages "
               "chromium and chromium-driver) to enable the browser checks"),
    pytest.mark.skipif(not JUPYTER_LAB.exists(),
                       reason="jupyter-lab is not installed in this environment"),
]

START_TIMEOUT = 60  # seconds for JupyterLab to answer
RUN_TIMEOUT = 120  # seconds for the notebook to run and the explorer to show


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """Start JupyterLab on a copy of notebook 02; yield its URL; stop it."""
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "MPLBACKEND": "module://"
           "matplotlib_inline.backend_inline"}
    env.pop("JUPYTER_PATH", None)
    token, port = secrets.token_hex(16), _free_port()
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [str(JUPYTER_LAB), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
         "--ServerApp.open_browser=False", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within a minute")
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(START_TIMEOUT)
    yield driver
    driver.quit()


def _click_menu(driver, wait, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By

    top = wait.until(lambda d: next(
        (e for e in d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")
         if e.text.strip() == menu), None))
    top.click()
    entry = wait.until(lambda d: next(
        (e for e in d.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
         if e.text.strip() == item), None))
    entry.click()


def test_notebook_02_explorer_in_jupyterlab(lab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(lab)
    wait = WebDriverWait(browser, START_TIMEOUT)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))

    def accept_dialogs(driver) -> bool:
        # JupyterLab may ask which kernel to start (Python 3, preselected): accept it
        shown = False
        for button in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-mod-accept"):
            if button.is_displayed():
                button.click()
                shown = True
        return shown

    def kernel_idle(driver) -> bool:
        return not accept_dialogs(driver) and bool(driver.find_elements(
            By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar [data-status='idle']"))

    WebDriverWait(browser, START_TIMEOUT, poll_frequency=1).until(kernel_idle)
    # the saved outputs go first, so whatever shows next was computed by this run
    _click_menu(browser, wait, "Edit", "Clear Outputs of All Cells")
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))
    _click_menu(browser, wait, "Run", "Run All Cells")

    def explorer_shown(driver):
        accept_dialogs(driver)
        return next(iter(driver.find_elements(By.CSS_SELECTOR, ".analysis-explorer")), None)

    try:
        panel = WebDriverWait(browser, RUN_TIMEOUT, poll_frequency=1).until(explorer_shown)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "explorer_notebook_02_failed.png"))
        outputs = browser.execute_script(
            "return Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
            ".map(e => (e.getAttribute('data-mime-type') || '') + ': ' + "
            "e.textContent.slice(0, 120));")
        pytest.fail(f"the explorer did not show within {RUN_TIMEOUT} s; outputs: {outputs}")
    # every cell has run when no prompt is busy ([*]) or still unrun ([ ])
    WebDriverWait(browser, RUN_TIMEOUT, poll_frequency=1).until(lambda d: d.execute_script(
        "const p = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
        ".map(e => e.textContent.trim());"
        "return p.length > 0 && p.every(t => /^\\[\\d+\\]:$/.test(t));"))
    panel = browser.find_element(By.CSS_SELECTOR, ".analysis-explorer")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", panel)
    WebDriverWait(browser, 30).until(
        lambda d: panel.find_elements(By.CSS_SELECTOR, "select option"))
    options = [o.text for o in panel.find_elements(By.CSS_SELECTOR, "select option")]
    tabs = [t.text for t in panel.find_elements(By.CSS_SELECTOR, ".lm-TabBar-tabLabel")]
    assert tabs == ["Notes and quotes", "Codebook"]
    # After every cell: the split is recorded, so the selection keeps its text only
    # ("speak freely"); two of those notes were marked as quotes. Counted from the rows:
    from analysis import read_study

    notes = read_study(EXAMPLE).notes
    speak = notes[notes["note"].fillna("").str.contains("speak freely", case=False)]
    listed = [o for o in options if "speak freely" in o.lower()]
    assert len(listed) == len(speak) > 0
    assert sum(o.startswith("[quote]") for o in listed) == 2
    assert all("Online interviews: not free to speak" in o for o in listed)
    errors = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type="
                                   "'application/vnd.jupyter.stderr']")
    assert not [e.text for e in errors if "Error" in e.text]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "explorer_notebook_02.png"
    panel.screenshot(str(shot))
    assert shot.stat().st_size > 5_000
