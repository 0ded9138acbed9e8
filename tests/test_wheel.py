"""The wheel on its own: built from the checkout, installed with the locked dependencies into a
fresh virtual environment outside it, it renders the example report and writes a template
from an empty folder, as a researcher with their own Jupyter environment would use it.

uv (installed in .venv by ``make venv``) builds and installs, from its cache when it can
(offline), else from the package index. About a minute, most of it the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.slow

VERSION = re.search(r'^__version__ = "([^"]+)"$',
                    (ROOT / "src" / "analysis" / "__init__.py").read_text(),
                    re.MULTILINE).group(1)


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if not found:
        pytest.skip("uv is not installed (make venv installs it in .venv)")
    return found


def _uv_run(uv: str, *args: str | Path) -> None:
    """Run a uv command offline (from its cache) first, then with the package index."""
    cmd = [uv, *map(str, args), "--quiet"]
    offline = subprocess.run([*cmd, "--offline"], capture_output=True, text=True)
    if offline.returncode != 0:
        online = subprocess.run(cmd, capture_output=True, text=True)
        assert online.returncode == 0, f"{' '.join(cmd)}:\n{offline.stderr}\n{online.stderr}"


class Installed:
    """A fresh virtual environment holding the wheel and the locked dependencies."""

    def __init__(self, base: Path):
        self.wheel, self.venv = self._install(base)
        self.bin = self.venv / "bin"
        self.empty = base / "empty"
        self.empty.mkdir()
        # nothing of the checkout may leak in; a throwaway environment may cache bytecode
        self.env = {k: v for k, v in os.environ.items() if k not in {
            "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH",
            "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE"} and not k.startswith("JUPYTER")}
        self.env["PYTHONNOUSERSITE"] = "1"

    @staticmethod
    def _install(base: Path) -> tuple[Path, Path]:
        uv = _uv()
        dist, venv = base / "dist", base / "venv"
        # `uv build` builds the sdist and the wheel from it, as `python -m build` does
        _uv_run(uv, "build", "--out-dir", dist, ROOT)
        wheels = list(dist.glob("*.whl"))
        assert len(wheels) == 1, wheels
        _uv_run(uv, "venv", "--python", sys.executable, venv)
        _uv_run(uv, "pip", "install", "--python", venv / "bin" / "python",
                "-c", ROOT / "requirements.lock", wheels[0])
        return wheels[0], venv

    def run(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
        """Run a program of the environment (``python``, ``session-notes``) in ``cwd``."""
        return subprocess.run([str(self.bin / str(args[0])), *map(str, args[1:])],
                              cwd=cwd or self.empty, env=self.env, capture_output=True,
                              text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT.resolve())
    return Installed(base)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_wheel_holds_every_file_of_the_package(installed):
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "src/analysis"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout: the package's files cannot be listed")
    expected = {line.removeprefix("src/") for line in tracked.stdout.splitlines()
                if (ROOT / line).is_file()}
    names = zipfile.ZipFile(installed.wheel).namelist()
    shipped = {n for n in names if n.startswith("analysis/")}
    assert shipped == expected
    assert {"analysis/notebooks/report.ipynb", "analysis/data/example_study.xlsx",
            "analysis/io/schemas/Codebook.xsd"} <= shipped
    assert installed.wheel.name == f"session_notes_analysis-{VERSION}-py3-none-any.whl"


def test_the_package_and_its_example_come_from_the_environment(installed):
    code = ("import json, importlib.metadata as md, analysis; s = analysis.load_example(); "
            "print(json.dumps({'module': analysis.__file__, 'version': analysis.__version__, "
            "'metadata': md.version('session-notes-analysis'), "
            "'example': str(analysis.example_path()), 'summary': s.summary(), "
            "'source': str(s.source)}))")
    done = installed.run("python", "-c", code)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    site = installed.venv.resolve()
    assert Path(found["module"]).resolve().is_relative_to(site)
    example = Path(found["example"])
    assert example.resolve().is_relative_to(site) and found["source"] == found["example"]
    assert _sha256(example) == _sha256(EXAMPLE)
    assert found["version"] == found["metadata"] == VERSION
    # data/README.md: 711 notes of 3 groups in 28 sessions, 33 themes in 3 categories
    assert found["summary"] == {"notes": 711, "groups": 3, "sessions": 28, "themes": 33,
                                "categories": 3, "rejected": 0}


def test_version_from_the_command_line(installed):
    for program in (("python", "-m", "analysis"), ("session-notes",)):
        done = installed.run(*program, "--version")
        assert (done.returncode, done.stdout) == (0, f"python -m analysis {VERSION}\n")


def test_template_check_and_convert_from_an_empty_folder(installed, tmp_path):
    from openpyxl import load_workbook

    from analysis import read_study, write_template

    folder = tmp_path / "new study"
    folder.mkdir()
    done = installed.run("session-notes", "template", "my_study.xlsx", cwd=folder)
    assert (done.returncode, done.stdout) == (0, "wrote my_study.xlsx\n"), done.stderr
    write_template(tmp_path / "here.xlsx")
    theirs, ours = (load_workbook(p, read_only=True) for p in
                    (folder / "my_study.xlsx", tmp_path / "here.xlsx"))
    assert theirs.sheetnames == ours.sheetnames
    for name in ours.sheetnames:
        assert next(theirs[name].values) == next(ours[name].values), name
    theirs.close()
    ours.close()

    done = installed.run("session-notes", "check", EXAMPLE, cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "example_study.xlsx: 711 notes, 3 groups, 28 sessions, 33 themes, 3 categories")

    done = installed.run("session-notes", "convert", EXAMPLE, "--out", "converted.xlsx",
                         cwd=folder)
    assert done.returncode == 0, done.stderr
    converted, example = read_study(folder / "converted.xlsx"), read_study(EXAMPLE)
    cols = ["group", "session", "theme", "category", "valence", "note", "speaker", "coder"]
    assert (converted.notes[cols].astype(str).values.tolist()
            == example.notes[cols].astype(str).values.tolist())


def test_report_of_the_example_from_an_empty_folder(installed):
    done = installed.run("python", "-c", "import analysis; print(analysis.example_path())")
    example = done.stdout.strip()
    done = installed.run("session-notes", "report", example, "--out", "rep", "--quiet")
    assert done.returncode == 0, done.stderr
    out = installed.empty / "rep"
    assert done.stdout == f"wrote {out / 'report.html'}\n"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"Input: example_study.xlsx (SHA-256 {_sha256(EXAMPLE)})" in html
    assert f"analysis {VERSION}; Python" in html
    figures = {p.name for p in (out / "figures").iterdir()}
    # Figure 1 of the example is the category map: every session touched every category
    assert {"category_map.svg", "group_themes.svg", "theme_frequencies.svg",
            "saturation.svg"} <= figures
    assert "overview.csv" in {p.name for p in (out / "tables").iterdir()}
    # nothing was written beside the installed notebook
    notebooks = Path(example).parents[1] / "notebooks"
    assert [p.name for p in notebooks.iterdir()] == ["report.ipynb"]
