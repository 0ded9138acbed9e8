"""Packaging: the dependency lists agree, the lock pins them, import stays light, the version
is written once, and the package finds the files it ships (tests/test_wheel.py installs it)."""

import fnmatch
import re
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from analysis.report import ReportError
from tests.conftest import EXAMPLE, ROOT


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ ;\[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_deps() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = meta["dependencies"] + meta["optional-dependencies"]["dev"]
    return {_name(s): s.replace(" ", "") for s in specs}


def _environment_deps() -> dict[str, str]:
    deps = {}
    text = (ROOT / "environment.yml").read_text()
    section = text.split("dependencies:", 1)[1]
    for line in section.splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+.*)$", line)
        if m and _name(m.group(1)).rstrip(":") not in {"python", "pip"}:
            deps[_name(m.group(1))] = m.group(1).replace(" ", "")
    return deps


def test_environment_yml_agrees_with_pyproject():
    assert _environment_deps() == _pyproject_deps()


def test_lock_pins_every_dependency():
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            pinned[m.group(1).lower().replace("_", "-")] = m.group(2)
    missing = set(_pyproject_deps()) - set(pinned)
    assert not missing, f"not pinned in requirements.lock: {missing}"


def test_import_is_light():
    code = ("import sys, analysis; heavy = [m for m in ('matplotlib', 'scipy', 'nbclient', "
            "'matplotlib_venn', 'nbconvert', 'nbformat', 'mistune', 'openpyxl') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text().split("## ")[0]
    assert "make report" in head and "make test" in head
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_import_does_no_resource_work():
    code = "import sys, analysis; print('analysis._resources' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_version_is_written_once(capsys):
    """pyproject reads the version from analysis.__version__, which --version prints."""
    import analysis
    from analysis.cli import main

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "analysis.__version__"}
    init = (ROOT / "src" / "analysis" / "__init__.py").read_text()
    written = re.findall(r'^__version__ = "([^"]+)"$', init, re.MULTILINE)
    assert written == [analysis.__version__]
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"python -m analysis {written[0]}\n"


def _package_files() -> list[str]:
    """Files of src/analysis that git tracks or would track, relative to it."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "src/analysis"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the package's files cannot be listed")
    prefix = "src/analysis/"
    return [line[len(prefix):] for line in out.splitlines()
            if (ROOT / line).is_file()]  # a file deleted but not yet committed is gone


def test_package_data_covers_every_shipped_file():
    """Every file of the package that is not a module matches a package-data pattern."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text()
                             )["tool"]["setuptools"]["package-data"]["analysis"]
    data = [f for f in _package_files() if not f.endswith(".py")]
    # what analysis._resources and the schemas read, at the least
    assert {"notebooks/report.ipynb", "data/example_study.xlsx",
            "io/schemas/Codebook.xsd"} <= set(data)
    # fnmatch's * crosses '/', setuptools' does not: compare part by part
    missing = [f for f in data if not any(
        len(f.split("/")) == len(p.split("/"))
        and all(fnmatch.fnmatchcase(a, b) for a, b in zip(f.split("/"), p.split("/"),
                                                          strict=True))
        for p in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"


def test_resources_are_found_in_the_package():
    import analysis
    from analysis.report import find_notebook

    package = ROOT / "src" / "analysis"
    assert analysis.example_path() == package / "data" / "example_study.xlsx"
    assert find_notebook() == package / "notebooks" / "report.ipynb"
    with pytest.raises(ReportError, match=r"no_such\.ipynb is missing from the installed"):
        find_notebook("no_such.ipynb")


def test_load_example_is_the_example_read(example_study):
    import analysis

    study = analysis.load_example()
    assert study.source == EXAMPLE
    pd.testing.assert_frame_equal(study.notes, example_study.notes)
    assert study is not analysis.load_example()  # a fresh study each time


def test_report_runs_where_it_was_called(tmp_path, monkeypatch, capsys):
    """Relative paths among the read options mean the same to the report as to `check`,
    wherever the report notebook is installed."""
    import nbformat

    from analysis.cli import main

    installed, work = tmp_path / "installed", tmp_path / "work"
    installed.mkdir()
    work.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('input_path = None\noutput_dir = "."\ndayfirst = True\n'
                                  "read_options = {}", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from analysis import read_study\n"
            "study = read_study(input_path, dayfirst=dayfirst, **read_options)\n"
            "print(sorted(study.notes['group'].unique()))"),
    ]
    nbformat.write(nb, installed / "report.ipynb")
    monkeypatch.setattr("analysis.report.find_notebook",
                        lambda name="report.ipynb": installed / name)
    (work / "highlights.csv").write_text(
        "id,document,tag,content\n1,a.odt,Fear,text one\n2,b.odt,Hope,text two\n",
        encoding="utf-8")
    (work / "groups.csv").write_text("document,group\na.odt,G1\nb.odt,G2\n", encoding="utf-8")
    monkeypatch.chdir(work)
    args = ["highlights.csv", "--groups", "groups.csv", "--out", "rep", "--quiet"]
    assert main(["check", *args[:3]]) == 0
    assert main(["report", *args]) == 0, capsys.readouterr().err
    html = (work / "rep" / "report.html").read_text(encoding="utf-8")
    assert re.search(r"<pre[^>]*>\['G1', 'G2'\]", html)
