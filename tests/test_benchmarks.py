"""Benchmarks: the generated studies hold what they should, and bench.py runs end to end.

The generated files are read back with python-calamine and the csv module (not with
``read_study``) and compared with each other; then ``read_study`` must read every note of each.
The runner's summaries and targets are checked on made-up times, and one small run of
``benchmarks/bench.py`` must write a result of the documented shape.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from analysis import read_study
from tests.conftest import ROOT

BENCH = ROOT / "benchmarks"
N = 400


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return _load("generate")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench")


@pytest.fixture(scope="module")
def files(generate, tmp_path_factory):
    return generate.generate(N, folder=tmp_path_factory.mktemp("bench_data"))


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's rows, read with python-calamine."""
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def _records(rows: list[list[Any]]) -> list[dict[str, Any]]:
    head = [str(h) for h in rows[0]]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def _csv_records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _cell(value: Any) -> str:
    """A workbook cell as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- the generated files, read back independently ---------------------------------------------


def test_template_and_csv_hold_the_same_notes(generate, files):
    sheets = _sheets(files.template)
    assert list(sheets) == ["notes", "codebook", "sessions", "participants"]
    assert sheets["notes"][0] == generate.NOTE_HEADER
    notes = _records(sheets["notes"])
    rows = _csv_records(files.csv)
    assert len(notes) == len(rows) == N
    # the same notes, cell for cell and in the same order; dates are real dates
    assert [{k: _cell(v) for k, v in r.items()} for r in notes] == rows
    assert all(type(r["date"]) is dt.date for r in notes)

    n_groups = max(3, round(N / generate.NOTES_PER_GROUP))
    assert len({r["group"] for r in rows}) == n_groups
    assert {int(r["session"]) for r in rows} <= set(range(1, generate.SESSIONS_PER_GROUP + 1))
    assert len({r["note"] for r in rows}) == N  # every note text unique
    assert {r["coder"] for r in rows} == {"R1", "R2"}
    # second coders only on the double-coded sessions (every tenth)
    assert {int(r["session"]) % 10 for r in rows if r["coder"] == "R2"} == {5}

    codebook = dict(generate.codebook())
    assert {r["theme"]: r["category"] for r in _records(sheets["codebook"])} == codebook
    assert {r["theme"] for r in rows} <= codebook.keys()
    sessions = _records(sheets["sessions"])
    assert len(sessions) == n_groups * generate.SESSIONS_PER_GROUP
    assert len(_records(sheets["participants"])) == n_groups * generate.MEMBERS


def test_grid_cells_count_the_notes(files):
    sheets = _sheets(files.grid)
    rows = _csv_records(files.csv)
    groups = sorted({r["group"] for r in rows}, key=lambda g: int(g.split()[-1]))
    assert list(sheets) == ["codebook", *groups]
    cells = Counter()
    for group in groups:
        head, *body = sheets[group]
        assert head[0] == "Theme"
        for row in body:
            for session, value in zip(head[1:], row[1:], strict=True):
                if value not in (None, ""):
                    cells[(group, row[0], int(session))] += int(value)
    assert cells == Counter((r["group"], r["theme"], int(r["session"])) for r in rows)


def test_generation_is_deterministic_and_cached(generate, files, tmp_path):
    again = generate.generate(N, folder=tmp_path)
    assert again.csv.read_bytes() == files.csv.read_bytes()
    assert _sheets(again.template) == _sheets(files.template)
    assert _sheets(again.grid) == _sheets(files.grid)
    stamp = again.template.stat().st_mtime_ns
    assert generate.generate(N, folder=tmp_path) == again  # cached: not written again
    assert again.template.stat().st_mtime_ns == stamp


# --- read_study reads every generated note ----------------------------------------------------


@pytest.fixture(scope="module")
def template_notes(files) -> pd.DataFrame:
    study = read_study(files.template)
    summary = study.summary()
    assert (summary["notes"], summary["rejected"], len(study.log.errors)) == (N, 0, 0)
    return study.notes


def _pairs(frame: pd.DataFrame, *cols: str) -> Counter:
    return Counter(zip(*(frame[c].astype(str) for c in cols), strict=True))


def test_read_study_reads_the_template(generate, files, template_notes):
    rows = _csv_records(files.csv)
    category = dict(generate.codebook())  # the notes sheet leaves it to the codebook sheet
    assert _pairs(template_notes, "group", "session", "theme", "category", "note") == Counter(
        (r["group"], r["session"], r["theme"], category[r["theme"]], r["note"]) for r in rows)


def test_read_study_reads_the_grid_and_csv(files, template_notes):
    grid = read_study(files.grid)
    assert (grid.summary()["notes"], grid.summary()["rejected"]) == (N, 0)
    assert _pairs(grid.notes, "group", "session", "theme") == _pairs(
        template_notes, "group", "session", "theme")
    from_csv = read_study(files.csv)
    assert (from_csv.summary()["notes"], from_csv.summary()["rejected"]) == (N, 0)
    cols = ("group", "session", "theme", "valence", "note", "speaker", "coder")
    assert _pairs(from_csv.notes, *cols) == _pairs(template_notes, *cols)


# --- the runner's own logic, on made-up numbers -----------------------------------------------


def test_child_readers_count_every_note(bench, files):
    # the raw baselines run in this process here; each must find all N notes
    for reader, layout, path in (("calamine", "grid", files.grid),
                                 ("csv_reader", "csv", files.csv),
                                 ("read_csv", "csv", files.csv)):
        info = bench.child_read(reader, layout, str(path), N)
        assert info["notes"] == N
        assert info["seconds"] > 0 and info["peak_mib"] >= info["rss_before_mib"] > 0
    with pytest.raises(SystemExit):  # a reader that finds fewer notes is a failed step
        bench.child_read("csv_reader", "csv", str(files.csv), N + 1)


def _round(**seconds: float) -> dict[str, Any]:
    """One round's results as the children report them, ``layout__reader=seconds``."""
    results = {}
    for key, s in seconds.items():
        res = {"seconds": s, "rss_before_mib": 80.0, "peak_mib": 100.0, "increase_mib": 20.0,
               "notes": 1000}
        if key.endswith("read_study"):
            res.update(rejected=0, notes_bytes=2_000_000, notes_mib=2_000_000 / 2**20)
        results[key.replace("__", "/")] = res
    return {"results": results}


def test_ratios_are_medians_of_ratios_within_a_round(bench):
    rounds = [_round(template__read_study=1.0, template__calamine=1.0),
              _round(template__read_study=3.0, template__calamine=2.0),
              _round(template__read_study=9.0, template__calamine=3.0)]
    summary = bench.summarize_size(rounds, 1000)
    assert summary["ratios"]["read_study/calamine"]["per_round"] == [1.0, 1.5, 3.0]
    assert summary["ratios"]["read_study/calamine"]["median"] == 1.5  # not 3.0 / 2.0
    rs = summary["readers"]["template/read_study"]
    assert (rs["runs"], rs["median"], rs["min"], rs["max"]) == (3, 3.0, 1.0, 9.0)
    assert rs["per_1k_notes"] == 3.0
    assert "template/openpyxl" not in summary["readers"]


def _run(bench, data: dict[str, Any], sizes: list[int]) -> Any:
    opts = argparse.Namespace(repeat=1, repeat_given=True, quick=False)
    return bench.Run(opts, sizes, set(), data=data)


def test_targets_met_missed_and_not_measured(bench):
    def size(read_study: float, calamine: float, openpyxl: float, n: int) -> dict[str, Any]:
        rounds = [_round(template__read_study=read_study, template__calamine=calamine,
                         template__openpyxl=openpyxl)]
        for rnd in rounds:
            rnd["results"]["template/read_study"]["notes_bytes"] = 260_000_000
        return {"summary": bench.summarize_size(rounds, n)}

    data = {"reading": {"100000": size(1.2, 1.0, 15.0, 100_000),
                        "1000000": size(15.0, 10.0, 120.0, 1_000_000)},
            "report": {"median": 34.5}}
    rows = {t["name"]: t for t in bench.targets(_run(bench, data, [100_000, 1_000_000]))}
    assert rows["read_study / raw calamine, template 100k"]["status"] == "met"
    missed = rows["read_study / raw calamine, template 1M"]
    assert (missed["status"], missed["gap"]) == ("MISSED", "15% over")
    assert rows["pandas+openpyxl / read_study, template 100k"]["status"] == "met"
    short = rows["pandas+openpyxl / read_study, template 1M"]
    assert (short["status"], short["gap"]) == ("MISSED", "20% short")
    assert rows["notes table at 1M (memory_usage deep)"]["value"] == 260.0
    assert rows["notes table at 1M (memory_usage deep)"]["status"] == "MISSED"
    assert rows["report on the example"]["status"] == "MISSED"
    growth = rows["read_study per note, 1M / 100k (template)"]
    assert growth["value"] == pytest.approx(1.25) and growth["status"] == "met"
    for name in ("import analysis / import pandas", "codebook + every table and test, 1M notes"):
        assert rows[name]["status"] == "not measured" and rows[name]["value"] is None


def test_table_aligns_columns(bench):
    text = bench.table(("name", "seconds"), [("a", 1.5), ("longer name", 1234.5)])
    lines = text.splitlines()
    assert lines[1] == "-----------  -------"
    assert lines[2] == "a              1.500"
    assert lines[3] == "longer name    1,234"


def test_options(bench):
    opts = bench.parse_args(["--quick"])
    assert (opts.size_list, opts.repeat) == ([10_000, 100_000], 1)
    opts = bench.parse_args(["--sizes", "1_000_000,10000", "--skip", "nbval,openpyxl"])
    assert (opts.size_list, opts.repeat, opts.skip_set) == ([10_000, 1_000_000], 3,
                                                            {"nbval", "openpyxl"})
    for bad in (["--skip", "everything"], ["--sizes", "ten"], ["--repeat", "0"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


def test_rounds_of_reading_by_size(bench):
    def rounds(*args):
        run = bench.Run(bench.parse_args(list(args)), [10_000, 100_000, 1_000_000], set(),
                        data={})
        return ([bench.reading_rounds(run, n) for n in run.sizes],
                [bench.openpyxl_rounds(run, n) for n in run.sizes])

    # by default more rounds where a read takes under a second, three from 1M notes
    assert rounds() == ([9, 9, 3], [3, 3, 1])
    assert rounds("--quick") == ([1, 1, 1], [1, 1, 0])
    assert rounds("--repeat", "2") == ([2, 2, 2], [2, 2, 1])
    assert rounds("--openpyxl-repeat", "5") == ([9, 9, 3], [5, 5, 3])


def test_nbval_command_is_the_makefiles(bench):
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(r"^\t\$\(BIN\)/python (-m pytest --nbval .*)$", makefile, re.MULTILINE)
    assert line, "the test target runs the notebooks with pytest --nbval"
    assert [a for a in bench.NBVAL_COMMAND if a != "-q"] == line.group(1).split()


def test_workload_runs_every_step_on_the_generated_study(bench, files, monkeypatch):
    workload = _load("workload")
    monkeypatch.setitem(sys.modules, "workload", workload)
    # each step once more, in this process rather than a fork (forking a test run is slow;
    # the fork itself is tested below)
    forked = []

    def in_process(step, study):
        forked.append(step)
        _, m = bench._measure(lambda: step(study))
        return m

    monkeypatch.setattr(bench, "_step_in_fork", in_process)
    res = bench.child_workload(str(files.template), N, 2)
    assert len(forked) == len(workload.steps())
    a = bench.summarize_workload(res, N)
    assert list(a["steps"]) == list(workload.steps())
    assert a["complete"] and a["failed_steps"] == [] and a["repeat"] == 2
    for name, step in a["steps"].items():
        assert step["error"] is None, name
        assert len(step["seconds"]) == 2 and min(step["seconds"]) >= 0, name
        assert step["fork_seconds"] >= 0 and step["increase_mib"] >= 0, name
        assert step["peak_mib"] >= step["increase_mib"], name
    assert a["totals"] == pytest.approx([sum(r.values()) for r in res["runs"]])
    assert a["total_median"] == pytest.approx(sum(a["totals"]) / 2)


def test_a_failing_step_is_reported_not_fatal(bench, files, monkeypatch):
    steps = {"count": lambda s: len(s.notes), "broken": lambda s: 1 / 0,
             "big": lambda s: b"x" * (64 * 2**20)}
    workload = _load("workload")
    monkeypatch.setattr(workload, "steps", lambda: steps)
    monkeypatch.setitem(sys.modules, "workload", workload)
    a = bench.summarize_workload(bench.child_workload(str(files.template), N, 1), N)
    assert a["failed_steps"] == ["broken"]
    assert a["steps"]["broken"]["error"] == "ZeroDivisionError: division by zero"
    assert not a["complete"] and a["total_median"] is None
    assert a["total_of_finished_steps"] == pytest.approx(
        a["steps"]["count"]["seconds"][0] + a["steps"]["big"]["seconds"][0])
    assert a["steps"]["big"]["increase_mib"] >= 60  # the 64 MiB it allocated
    run = _run(bench, {"analysis": {**a, "notes": 1_000_000}}, [1_000_000])
    row = next(t for t in bench.targets(run) if t["name"].startswith("codebook"))
    assert row["status"] == "not measured" and "1 step(s) failed" in row["note"]


# --- one small run, end to end ----------------------------------------------------------------


@pytest.mark.slow
def test_bench_smoke(tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench.py"), "--sizes", "300", "--repeat", "1",
         "--skip", "grid,csv,openpyxl,analysis,import,bomb,check,report,nbval", "--out", str(out),
         "--data", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for title in ("== machine", "== reading", "== reading memory", "== targets"):
        assert title in proc.stdout

    written = sorted(p.name for p in out.glob("*.json"))
    assert len(written) == 2 and "latest.json" in written
    assert re.fullmatch(r"bench-\d{8}T\d{6}Z\.json", written[0])
    result = json.loads((out / written[0]).read_text())
    assert result == json.loads((out / "latest.json").read_text())
    assert str(out / written[0]) in proc.stdout

    assert {"machine", "options", "reading", "targets", "failures"} <= result.keys()
    assert result["failures"] == []
    m = result["machine"]
    assert m["cpu_count"] == os.cpu_count()
    assert m["versions"]["pandas"] == pd.__version__
    assert len(m["loadavg_start"]) == len(m["loadavg_end"]) == 3
    assert result["options"]["sizes"] == [300]

    size = result["reading"]["300"]
    assert len(size["rounds"]) == 1
    readers = size["summary"]["readers"]
    assert set(readers) == {"template/read_study", "template/calamine",
                            "template/pandas_calamine"}
    for key, r in readers.items():
        assert r["notes"] == 300, key
        assert r["runs"] == 1 and 0 < r["seconds"][0] < 60
        assert r["peak_mib"] >= r["rss_before_mib"] > 0
    rs = readers["template/read_study"]
    assert rs["rejected"] == 0 and 0 < rs["notes_bytes"] < 10 * 2**20
    # the ratio is the one of the round's two times
    rnd = size["rounds"][0]["results"]
    ratio = size["summary"]["ratios"]["read_study/calamine"]["median"]
    assert ratio == pytest.approx(rnd["template/read_study"]["seconds"]
                                  / rnd["template/calamine"]["seconds"])

    statuses = {t["name"]: t["status"] for t in result["targets"]}
    assert set(statuses.values()) == {"not measured"}  # nothing at 100k or 1M, no report


def test_bomb_of_the_benchmark_is_what_it_says_and_is_refused(bench, tmp_path):
    import zipfile

    from analysis.io import InputError, Limits

    path = bench.write_bomb(tmp_path)
    assert bench.write_bomb(tmp_path) == path  # written once
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        head = zf.open(info).read(300)
    row = len(b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>")
    assert info.file_size > 1_500_000 * row > 1.5e9  # 1.5 GB of XML
    assert path.stat().st_size < 10e6
    assert b'<dimension ref="A1:A1500000"/>' in head
    with pytest.raises(InputError, match="over the 100x limit"):
        read_study(path)
    with pytest.raises(InputError, match="declares the area A1:A1500000"):
        read_study(path, limits=Limits(max_ratio=10_000))


def test_report_targets_ratio_wide_study_and_page_size(bench):
    data = {"report": {"median": 6.0, "ratio": 3.6},
            "report_wide": {"median": 12.0, "page_bytes": 2_600_000}}
    rows = {t["name"]: t for t in bench.targets(_run(bench, data, [100_000]))}
    ratio = rows["report on the example / bare import of its libraries"]
    assert (ratio["status"], ratio["gap"]) == ("MISSED", "20% over")  # 3.6 against 3
    assert rows["report of 1,500 notes, 400 themes"]["status"] == "met"
    page = rows["its report.html (1,500 notes, 400 themes)"]
    assert page["value"] == pytest.approx(2.6) and page["status"] == "MISSED"
