"""Time reading, analysis, start-up and the report against their targets.

Run from the repository root (``make bench``, or ``make bench BENCH_ARGS="--quick"``)::

    python benchmarks/bench.py             # 10k, 100k and 1M notes, 3 rounds (about 20 min)
    python benchmarks/bench.py --quick     # 10k and 100k notes, 1 round (about 5 min)
    python benchmarks/bench.py --sizes 10000 --repeat 1 --skip openpyxl,nbval

The sections, in order (each can be left out with ``--skip``):

reading
    At each size, the template workbook, the grid workbook and the CSV of the same notes
    (``benchmarks/generate.py``, cached under ``benchmarks/data/``) are read by
    ``analysis.read_study`` and by the baselines: python-calamine's raw parse
    (``CalamineWorkbook.from_path`` then every sheet's ``to_python()``),
    ``pandas.read_excel`` with the openpyxl and the calamine engine (every sheet),
    ``pandas.read_csv`` and ``csv.reader``. Every reader must find all the notes. ``grid``
    and ``csv`` leave out those files; ``openpyxl`` leaves out pandas+openpyxl, which runs in
    one round only from 1M notes and three below (``--openpyxl-repeat`` changes that). Below
    1M notes every reader runs in 9 rounds (a read of under a second varies by a tenth of a
    second on a shared machine), from 1M in 3 (``--repeat`` sets both).
analysis
    On the largest size: codebook application and every table and test of the statistics
    module (``benchmarks/workload.py``), timed step by step ``--repeat`` times in one
    process after one ``read_study``; then each step once more in its own fork of that
    process, for its peak memory over the study (library pages mapped and free heap pages
    released before the peak is reset). A step that raises is reported and the total is not
    compared with its target.
import
    ``python -c "import analysis"`` against ``python -c "import pandas"``, ``--import-runs``
    pairs in alternating order after one unmeasured warm-up each; and which heavy modules
    ``import analysis`` loads.
bomb
    ``python -m analysis check`` on a workbook whose sheet inflates to 1.5 GB of XML in
    1.5 million rows (written once to ``benchmarks/data/``): it must be refused (exit 2)
    quickly and with little memory; 3 runs, end to end.
check, report, nbval
    ``python -m analysis check`` and ``python -m analysis report --out <temporary folder>``
    on ``src/analysis/data/example_study.xlsx`` (3 and ``--repeat-report`` runs; each
    report run follows a run of the bare import of its libraries, ``python -c "import
    analysis, pandas, matplotlib.pyplot, matplotlib_venn, scipy.stats"``, and the ratio of
    the two is taken per pair; then ``report`` on a study of 1,500 notes and 400 themes,
    ``generate_wide`` of ``benchmarks/generate.py``, timed with the size of its page), and the
    notebook tests of ``make test`` (``pytest --nbval ... notebooks src/analysis/notebooks``, once).

Every reader and the analysis run in a fresh child process of this interpreter
(``python benchmarks/bench.py --child KIND ...``), which reports one JSON line: the seconds of
the step alone (``time.perf_counter``), the resident set before it (``VmRSS``) and its peak
(``VmHWM``, from ``/proc/self/status``), so the peak belongs to that step. Commands (import,
check, report, nbval) are timed around the whole process, and their peak is the ``ru_maxrss``
that ``wait4`` reports (the largest process, descendants included).

The machine is noisy, so nothing rests on one time: each round runs every reader once, in an
order rotated from round to round; a ratio is the median over rounds of the ratio within a
round; a time is the median over rounds. Growth is shown as seconds per 1,000 notes side by
side for every size. The table on stdout ends with the targets, each ``met``, ``MISSED``
(with how far) or ``not measured``; progress goes to stderr. The exit status is 1 when a step
failed and 0 otherwise (a missed target is not a failure). Every raw time, the machine (CPU,
cores, RAM, Python, package versions, git commit, load average at start and end) and the
targets go to ``benchmarks/results/bench-<UTC time>.json`` and ``latest.json`` (``--out``
changes the folder).
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "src" / "analysis" / "data" / "example_study.xlsx"
MIB = 2**20

SKIPPABLE = ("reading", "openpyxl", "grid", "csv", "analysis", "import", "bomb", "check",
             "report", "nbval")
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
LARGE = 1_000_000  # from this size on, pandas+openpyxl runs once by default
#: Rounds of reading below LARGE by default: a read of under a second varies by a tenth of a
#: second on a shared 2-core machine, so three rounds left a 100k ratio at 1.29-1.40x in one
#: run and 1.25x over eleven rounds; these rounds cost seconds each.
SMALL_ROUNDS = 9
CHILD_TIMEOUT = 3600.0

# (layout, reader) pairs measured at every size, in the order of the first round
READERS: dict[str, tuple[str, ...]] = {
    "template": ("read_study", "calamine", "openpyxl", "pandas_calamine"),
    "grid": ("read_study", "calamine"),
    "csv": ("read_study", "read_csv", "csv_reader"),
}
READER_LABELS = {
    "read_study": "analysis.read_study",
    "calamine": "python-calamine (raw)",
    "openpyxl": "pandas.read_excel openpyxl",
    "pandas_calamine": "pandas.read_excel calamine",
    "read_csv": "pandas.read_csv",
    "csv_reader": "csv.reader (raw)",
}
# ratios computed within each round: name -> (numerator, denominator), each (layout, reader)
RATIOS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "read_study/calamine": (("template", "read_study"), ("template", "calamine")),
    "openpyxl/read_study": (("template", "openpyxl"), ("template", "read_study")),
    "pd-calamine/read_study": (("template", "pandas_calamine"), ("template", "read_study")),
    "grid read_study/calamine": (("grid", "read_study"), ("grid", "calamine")),
    "csv read_study/read_csv": (("csv", "read_study"), ("csv", "read_csv")),
    "csv read_study/csv.reader": (("csv", "read_study"), ("csv", "csv_reader")),
}
# peak memory (VmHWM) ratios computed within each round, as RATIOS
MEMORY_RATIOS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "read_study/calamine peak": (("template", "read_study"), ("template", "calamine")),
    "csv read_study/read_csv peak": (("csv", "read_study"), ("csv", "read_csv")),
}
HEAVY = ("matplotlib", "scipy", "openpyxl", "nbclient")
ALSO_WATCHED = ("IPython", "ipykernel", "jinja2", "jupyter_client", "krippendorff",
                "matplotlib_venn", "nbconvert", "nbformat", "python_calamine", "zmq")
VERSIONS = {"pandas": "pandas", "numpy": "numpy", "python-calamine": "python-calamine",
            "openpyxl": "openpyxl", "matplotlib": "matplotlib",
            "analysis": "session-notes-analysis"}

# targets
READ_RATIO_MAX = 1.3
OPENPYXL_SPEEDUP_MIN = 10.0
NOTES_MB_MAX = 250.0  # decimal megabytes (10**6 bytes)
WORKLOAD_S_MAX = 2.0
IMPORT_RATIO_MAX = 1.15
XLSX_PEAK_RATIO_MAX = 0.6  # read_study's peak memory / the raw calamine parse's, 1M notes
CSV_PEAK_RATIO_MAX = 1.2  # read_study's peak memory / pandas.read_csv's, 1M notes
BOMB_S_MAX = 2.0  # `check` on the bomb, end to end
BOMB_MIB_MAX = 300.0 * 10**6 / MIB  # 300 MB
BOMB_ROWS = 1_500_000  # a sheet of 1.5 million rows of ~1 KB each: 1.5 GB of XML
REPORT_S_MAX = 30.0
REPORT_RATIO_MAX = 3.0  # report on the example / the bare import of its libraries
WIDE_S_MAX = 15.0  # report on a study of 1,500 notes and 400 themes
WIDE_MB_MAX = 2.5  # its report.html, decimal megabytes
WIDE = (1_500, 400)  # notes, themes of that study (benchmarks/generate.py, generate_wide)
BARE_IMPORT = "import analysis, pandas, matplotlib.pyplot, matplotlib_venn, scipy.stats"
GROWTH_MAX = 1.5
NBVAL_COMMAND = ["-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                 "notebooks/sanitize.cfg", "-p", "no:randomly", "-q", "notebooks",
                 "src/analysis/notebooks"]


# --- the child: one step in a fresh process -------------------------------------------------


def _status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MiB."""
    text = Path("/proc/self/status").read_text()
    out = {}
    for key in ("VmRSS", "VmHWM"):
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
        out[key] = int(m.group(1)) / 1024 if m else float("nan")
    return out


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); return whether it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _page_in_files() -> bool:
    """Map every page of this process's file-backed mappings (libraries) into its RSS.

    A fork does not copy the page tables of file mappings, so the child would count the
    library code a step runs as new resident memory. ``MADV_POPULATE_READ`` (Linux 5.14+)
    maps those pages before the peak is reset; return whether it worked.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    ok = True
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if (len(fields) < 6 or not fields[1].startswith("r") or fields[4] == "0"
                or fields[5].startswith("[")):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        ok &= libc.madvise(start, end - start, 22) == 0  # MADV_POPULATE_READ
    return ok


def _release_free_memory() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim``).

    Otherwise what reading left free stays resident, and a step that reuses it would seem to
    need no memory. Return whether anything was released.
    """
    import ctypes

    try:
        return bool(ctypes.CDLL(None).malloc_trim(0))
    except AttributeError:  # not glibc
        return False


def _measure(step: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    gc.collect()
    before = _status()
    t0 = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - t0
    after = _status()
    return result, {"seconds": seconds, "rss_before_mib": before["VmRSS"],
                    "peak_mib": after["VmHWM"], "rss_after_mib": after["VmRSS"],
                    "increase_mib": after["VmHWM"] - before["VmRSS"]}


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(1)


def _grid_marks(sheets: dict[str, list[list[Any]]]) -> int:
    """Sum of the numbers in the session columns of every grid sheet (one per note)."""
    total = 0
    for name, rows in sheets.items():
        if name == "codebook":
            continue
        for row in rows[1:]:
            total += sum(int(v) for v in row[1:] if isinstance(v, int | float) and v)
    return total


def child_read(reader: str, layout: str, path: str, n: int) -> dict[str, Any]:
    """Run one reader on one file; check it read all ``n`` notes."""
    info: dict[str, Any] = {"reader": reader, "layout": layout}
    if reader == "read_study":
        from analysis import read_study

        study, m = _measure(lambda: read_study(path))
        summary = study.summary()
        info.update(m, notes=summary["notes"], rejected=summary["rejected"],
                    errors=len(study.log.errors),
                    notes_bytes=int(study.notes.memory_usage(deep=True).sum()))
        info["notes_mib"] = info["notes_bytes"] / MIB
        if summary["notes"] != n or summary["rejected"]:
            _fail(f"read_study({path}): {summary['notes']} notes and {summary['rejected']} "
                  f"rejected, expected {n} and 0")
        return info
    if reader == "calamine":
        from python_calamine import CalamineWorkbook

        def step() -> dict[str, list[list[Any]]]:
            wb = CalamineWorkbook.from_path(path)
            return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}

        sheets, m = _measure(step)
        rows = _grid_marks(sheets) if layout == "grid" else len(sheets["notes"]) - 1
    elif reader in ("openpyxl", "pandas_calamine"):
        import pandas as pd

        engine = "openpyxl" if reader == "openpyxl" else "calamine"
        frames, m = _measure(lambda: pd.read_excel(path, sheet_name=None, engine=engine))
        rows = len(frames["notes"])
    elif reader == "read_csv":
        import pandas as pd

        frame, m = _measure(lambda: pd.read_csv(path))
        rows = len(frame)
    elif reader == "csv_reader":
        import csv

        def step() -> list[list[str]]:
            with open(path, newline="", encoding="utf-8") as fh:
                return list(csv.reader(fh))

        records, m = _measure(step)
        rows = len(records) - 1
    else:
        _fail(f"unknown reader {reader!r}")
    info.update(m, notes=rows)
    if rows != n:
        _fail(f"{reader}({path}): {rows} notes read, expected {n}")
    return info


def _step_in_fork(step: Callable[[Any], Any], study: Any) -> dict[str, Any]:
    """Run ``step(study)`` once in a forked copy of this process; return its time and memory.

    The fork shares the study with this process (copy on write), so the child's peak
    resident set, reset to its resident set just before the step, is the step's own.
    """
    gc.collect()
    gc.freeze()  # the child's collections skip (and so do not copy) the objects it inherits
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid:
        gc.unfreeze()
    else:  # the child: measure, report through the pipe, leave without cleanup
        code = 0
        try:
            os.close(rfd)
            paged = _page_in_files()
            _release_free_memory()
            reset = _reset_peak()
            _, m = _measure(lambda: step(study))
            out: dict[str, Any] = {**m, "peak_reset": reset, "files_paged_in": paged}
        except BaseException as exc:
            out, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
        try:
            with os.fdopen(wfd, "w") as fh:
                fh.write(json.dumps(out))
        finally:
            os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd) as fh:
        text = fh.read()
    _, status = os.waitpid(pid, 0)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"error": f"forked step exited {os.waitstatus_to_exitcode(status)} "
                         "without a result"}


def child_workload(path: str, n: int, repeat: int) -> dict[str, Any]:
    """Read the study once, time the analysis workload ``repeat`` times, then each step's memory.

    The timed runs go one after the other in this process, as in a notebook (the first one
    also pays for the modules the steps import on first use). Then every step runs once more
    in its own forked child, for its peak resident set.
    """
    import workload

    from analysis import read_study

    study, read = _measure(lambda: read_study(path))
    if len(study.notes) != n:
        _fail(f"read_study({path}): {len(study.notes)} notes, expected {n}")
    runs, errors = [], {}
    for _ in range(repeat):
        seconds, failed = workload.run(study)
        runs.append(seconds)
        errors.update(failed)
    memory = {name: _step_in_fork(step, study) for name, step in workload.steps().items()}
    return {"read": read, "runs": runs, "errors": errors, "steps": list(workload.steps()),
            "memory": memory, "rss_study_mib": _status()["VmRSS"]}


def child_modules() -> dict[str, Any]:
    """Import analysis; list the heavy modules that came along."""
    import analysis  # noqa: F401

    return {"heavy": sorted(m for m in HEAVY if m in sys.modules),
            "also": sorted(m for m in ALSO_WATCHED if m in sys.modules),
            "modules": len(sys.modules)}


def child_main(argv: Sequence[str]) -> None:
    """Run one measurement (``read``, ``workload`` or ``modules``); print its JSON line."""
    kind, *args = argv
    if kind == "read":
        reader, layout, path, n = args
        out = child_read(reader, layout, path, int(n))
    elif kind == "workload":
        path, n, repeat = args
        out = child_workload(path, int(n), int(repeat))
    elif kind == "modules":
        out = child_modules()
    else:
        _fail(f"unknown child kind {kind!r}")
    sys.stdout.write("\n" + json.dumps(out) + "\n")


# --- the parent -----------------------------------------------------------------------------


class StepError(RuntimeError):
    """A measured step failed (non-zero exit, timeout or wrong result)."""


@dataclass
class Run:
    """Everything measured in one benchmark run (dumped as the JSON result)."""

    opts: argparse.Namespace
    sizes: list[int]
    skip: set[str]
    data: dict[str, Any] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)

    def fail(self, step: str, error: BaseException) -> None:
        """Record a failed step (reported at the end; the exit status becomes 1)."""
        self.failures.append({"step": step, "error": str(error)})
        progress(f"FAILED {step}: {error}")


def progress(message: str) -> None:
    """Print a time-stamped progress line on stderr (the table goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _tail(text: str, lines: int = 15) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return "\n".join(text.strip().splitlines()[-lines:])


def run_child(args: Sequence[str], timeout: float) -> dict[str, Any]:
    """Run ``bench.py --child ARGS`` in a fresh interpreter; return its JSON report."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise StepError(f"child {' '.join(args)} timed out after {timeout:g} s") from exc
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise StepError(f"child {' '.join(args)} exited {proc.returncode}: "
                        f"{_tail(proc.stderr) or _tail(proc.stdout)}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        out = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise StepError(f"child {' '.join(args)} printed no result: {_tail(proc.stdout)}") \
            from exc
    out["child_wall"] = wall
    return out


@dataclass
class Done:
    """A finished command: wall seconds, exit status, output and peak resident set."""

    seconds: float
    returncode: int
    stdout: str
    stderr: str
    peak_mib: float  # ru_maxrss of the command: its largest process, descendants included


def timed(cmd: Sequence[str], timeout: float, *, cwd: Path = ROOT) -> Done:
    """Run ``cmd``; return the wall time around it and its peak RSS (from ``wait4``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=err)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if expired.is_set():
            raise StepError(f"{' '.join(cmd)} timed out after {timeout:g} s")
        out.seek(0)
        err.seek(0)
        return Done(wall, proc.returncode, out.read().decode(errors="replace"),
                    err.read().decode(errors="replace"), usage.ru_maxrss / 1024)


def median(values: Sequence[float | None]) -> float | None:
    """Return the median of the values that are not ``None`` (``None`` if there are none)."""
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# --- machine --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Describe the machine: CPU, cores, RAM, Python, package versions, git, load average."""
    cpu = platform.processor() or None
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(),
                      re.MULTILINE)
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    ram = None
    try:
        m = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        ram = int(m.group(1)) * 1024 if m else None
    except OSError:
        pass
    versions = {}
    for key, dist in VERSIONS.items():
        try:
            versions[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[key] = None
    git: dict[str, Any] = {}
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=False, timeout=30)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT,
                               capture_output=True, text=True, check=False, timeout=30)
        if head.returncode == 0:
            git = {"commit": head.stdout.strip(), "src_modified": bool(dirty.stdout.strip())}
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "cpu_model": cpu,
            "ram_bytes": ram, "python": platform.python_version(),
            "python_implementation": platform.python_implementation(),
            "executable": sys.executable, "versions": versions, "git": git,
            "loadavg_start": list(os.getloadavg())}


# --- 1. reading -----------------------------------------------------------------------------


def reading_rounds(run: Run, n: int) -> int:
    """Return the rounds of reading at ``n`` notes: ``--repeat`` if given, else
    :data:`SMALL_ROUNDS` below :data:`LARGE` and 3 from it (1 with ``--quick``)."""
    if run.opts.repeat_given or run.opts.quick or n >= LARGE:
        return run.opts.repeat
    return max(run.opts.repeat, SMALL_ROUNDS)


def openpyxl_rounds(run: Run, n: int) -> int:
    """Return how many rounds include pandas+openpyxl at ``n`` notes (minutes each at 1M)."""
    if "openpyxl" in run.skip or (run.opts.quick and n >= LARGE):
        return 0
    rounds = reading_rounds(run, n)
    if run.opts.openpyxl_repeat is not None:
        return min(run.opts.openpyxl_repeat, rounds)
    return 1 if n >= LARGE else min(rounds, 3)


def bench_reading(run: Run) -> None:
    """Time every reader on the template, grid and CSV file of each size, in rounds.

    Each round runs every reader once, each in a fresh child process, in an order rotated by
    one from the previous round, so no reader always runs first (cold cache) or last.
    """
    import generate

    reading: dict[str, Any] = {}
    run.data["reading"] = reading
    layouts = [k for k in READERS if k not in run.skip]
    for n in run.sizes:
        t0 = time.perf_counter()
        files = generate.generate(n, run.opts.data)
        paths = {"template": files.template, "grid": files.grid, "csv": files.csv}
        entry: dict[str, Any] = {
            "files": {k: {"path": str(p), "bytes": p.stat().st_size} for k, p in paths.items()},
            "prepare_seconds": time.perf_counter() - t0,
            "openpyxl_rounds": openpyxl_rounds(run, n), "rounds": []}
        reading[str(n)] = entry
        tasks = [(layout, reader) for layout in layouts for reader in READERS[layout]]
        if not entry["openpyxl_rounds"]:
            tasks.remove(("template", "openpyxl"))
        rounds = reading_rounds(run, n)
        for r in range(rounds):
            k = r % len(tasks)
            order = tasks[k:] + tasks[:k]
            results: dict[str, dict[str, Any] | None] = {}
            for layout, reader in order:
                if reader == "openpyxl" and r >= entry["openpyxl_rounds"]:
                    continue
                key = f"{layout}/{reader}"
                try:
                    res = run_child(["read", reader, layout, str(paths[layout]), str(n)],
                                    run.opts.timeout)
                except StepError as exc:
                    run.fail(f"reading {n} {key} round {r + 1}", exc)
                    results[key] = None
                    continue
                results[key] = res
                progress(f"{n:>9,} round {r + 1}/{rounds} {key:26s} "
                         f"{res['seconds']:8.3f} s  peak {res['peak_mib']:7.0f} MiB")
            entry["rounds"].append({"order": [f"{a}/{b}" for a, b in order], "results": results})
        entry["summary"] = summarize_size(entry["rounds"], n)


def summarize_size(rounds: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """Summarize the rounds of one size.

    Parameters
    ----------
    rounds : list of dict
        One entry per round, ``{"results": {"layout/reader": child report or None}}``.
    n : int
        Number of notes, for the seconds per 1,000 notes.

    Returns
    -------
    dict
        ``readers``: per ``layout/reader`` the runs, median, min, max, seconds per 1,000
        notes and memory (medians); ``ratios``: per name of :data:`RATIOS` the ratio within
        each round that has both times, and their median.
    """
    readers: dict[str, Any] = {}
    for layout, names in READERS.items():
        for reader in names:
            key = f"{layout}/{reader}"
            res = [rd["results"][key] for rd in rounds if rd["results"].get(key)]
            if not res:
                continue
            secs = [x["seconds"] for x in res]
            s = {"runs": len(secs), "seconds": secs, "median": median(secs), "min": min(secs),
                 "max": max(secs), "per_1k_notes": median(secs) / (n / 1000),
                 "rss_before_mib": median([x["rss_before_mib"] for x in res]),
                 "peak_mib": median([x["peak_mib"] for x in res]),
                 "increase_mib": median([x["increase_mib"] for x in res]),
                 "notes": res[0]["notes"]}
            if reader == "read_study":
                s.update(rejected=res[0]["rejected"], notes_bytes=res[0]["notes_bytes"],
                         notes_mib=res[0]["notes_mib"])
            readers[key] = s
    ratios: dict[str, Any] = {}
    for name, ((la, ra), (lb, rb)) in RATIOS.items():
        per_round = []
        for rd in rounds:
            a, b = rd["results"].get(f"{la}/{ra}"), rd["results"].get(f"{lb}/{rb}")
            if a and b:
                per_round.append(a["seconds"] / b["seconds"])
        if per_round:
            ratios[name] = {"per_round": per_round, "median": median(per_round)}
    for name, ((la, ra), (lb, rb)) in MEMORY_RATIOS.items():
        per_round = []
        for rd in rounds:
            a, b = rd["results"].get(f"{la}/{ra}"), rd["results"].get(f"{lb}/{rb}")
            if a and b:
                per_round.append(a["peak_mib"] / b["peak_mib"])
        if per_round:
            ratios[name] = {"per_round": per_round, "median": median(per_round)}
    return {"readers": readers, "ratios": ratios}


# --- 2. analysis ----------------------------------------------------------------------------


def bench_analysis(run: Run) -> None:
    """Time every analysis step on the largest size, in a child process."""
    import generate

    n = max(run.sizes)
    path = generate.generate(n, run.opts.data).template
    res = run_child(["workload", str(path), str(n), str(run.opts.repeat)], run.opts.timeout)
    a = run.data["analysis"] = summarize_workload(res, n)
    for name in a["failed_steps"]:
        run.fail(f"analysis step {name!r}", StepError(a["steps"][name]["error"]))
    failed = f"; {len(a['failed_steps'])} step(s) FAILED" if a["failed_steps"] else ""
    progress(f"analysis on {n:,} notes: total {fmt(a['total_of_finished_steps'])} s (median of "
             f"{len(a['totals'])}){failed}")


def summarize_workload(res: dict[str, Any], n: int) -> dict[str, Any]:
    """Summarize the report of :func:`child_workload` on ``n`` notes.

    Returns
    -------
    dict
        ``steps``: per step its seconds in each run, their median, its peak over the study
        (MiB) and its error, if any; ``totals``: the sum of each run; ``total_median``: their
        median, ``None`` unless every step ran (``complete``).
    """
    steps: dict[str, Any] = {}
    for name in res["steps"]:
        secs = [r[name] for r in res["runs"] if name in r]
        mem = res["memory"].get(name, {})
        error = res["errors"].get(name) or mem.get("error")
        steps[name] = {"seconds": secs, "median": median(secs),
                       "peak_mib": mem.get("peak_mib"), "increase_mib": mem.get("increase_mib"),
                       "fork_seconds": mem.get("seconds"), "error": error}
    failed = sorted(name for name, s in steps.items() if s["error"])
    totals = [sum(r.values()) for r in res["runs"]]
    complete = not failed
    return {"notes": n, "repeat": len(res["runs"]), "steps": steps, "failed_steps": failed,
            "complete": complete, "totals": totals,
            "total_median": median(totals) if complete else None,
            "total_first": totals[0] if complete else None,
            "total_of_finished_steps": median(totals),
            "read_seconds": res["read"]["seconds"], "read_peak_mib": res["read"]["peak_mib"],
            "rss_study_mib": res["rss_study_mib"]}


# --- 3.-6. start-up and end to end ----------------------------------------------------------


def bench_import(run: Run) -> None:
    """Time ``import analysis`` against ``import pandas``, interleaved; list what came along."""
    cmds = {"analysis": [sys.executable, "-c", "import analysis"],
            "pandas": [sys.executable, "-c", "import pandas"]}
    for cmd in cmds.values():  # warm the file cache; not counted
        timed(cmd, run.opts.timeout)
    times: dict[str, list[float]] = {"analysis": [], "pandas": []}
    peaks: dict[str, list[float]] = {"analysis": [], "pandas": []}
    for i in range(run.opts.import_runs):
        order = ("analysis", "pandas") if i % 2 == 0 else ("pandas", "analysis")
        for name in order:
            done = timed(cmds[name], run.opts.timeout)
            if done.returncode:
                raise StepError(f"import {name} exited {done.returncode}: {_tail(done.stderr)}")
            times[name].append(done.seconds)
            peaks[name].append(done.peak_mib)
    per_pair = [a / p for a, p in zip(times["analysis"], times["pandas"], strict=True)]
    modules = run_child(["modules"], run.opts.timeout)
    run.data["import"] = {
        "runs": times, "median_analysis": median(times["analysis"]),
        "median_pandas": median(times["pandas"]), "per_pair_ratio": per_pair,
        "ratio": median(per_pair),
        "ratio_of_medians": median(times["analysis"]) / median(times["pandas"]),
        "peak_mib_analysis": median(peaks["analysis"]),
        "peak_mib_pandas": median(peaks["pandas"]),
        "heavy_loaded": {m: m in modules["heavy"] for m in HEAVY},
        "also_loaded": modules["also"], "modules": modules["modules"]}
    progress(f"import analysis / import pandas: {median(per_pair):.3f}")


def write_bomb(folder: Path) -> Path:
    """Write (or reuse) a workbook whose sheet inflates to 1.5 GB of XML in 1.5M rows.

    Each row holds one cell of 1,000 characters; the sheet declares its true area in
    ``<dimension>``. The compressed row is repeated in the deflate stream (each part
    flushed to a byte boundary), so the file takes a few MB and no time to write.
    """
    import zlib

    path = folder / "bomb_1500000_rows.xlsx"
    if path.exists():
        return path
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0"?><Types xmlns="{pkg}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{pkg}/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{ns}" xmlns:r="{rel}">'
        '<sheets><sheet name="notes" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{pkg}/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
    }
    head = (f'<?xml version="1.0"?><worksheet xmlns="{ns}"><dimension ref="A1:A'
            f'{BOMB_ROWS}"/><sheetData>').encode()
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>"
    per = 1000  # rows per repeated piece
    tail = b"</sheetData></worksheet>"

    def deflated(data: bytes, mode: int) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(mode)

    piece = row * per
    times = BOMB_ROWS // per
    body = (deflated(head, zlib.Z_FULL_FLUSH) + deflated(piece, zlib.Z_FULL_FLUSH) * times
            + deflated(tail, zlib.Z_FINISH))
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + times * len(piece) + len(tail)
    members = {name: (zlib.compress(t.encode())[2:-4], zlib.crc32(t.encode()), len(t.encode()))
               for name, t in parts.items()}
    members["xl/worksheets/sheet1.xml"] = (body, crc, size)
    import struct

    out, central = bytearray(), bytearray()
    for name, (data, c, n) in members.items():
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, c, len(data), n,
                           len(raw), 0) + raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, c,
                               len(data), n, len(raw), 0, 0, 0, 0, 0, offset) + raw
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                                 len(central), len(out), 0)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(bytes(out))
    os.replace(tmp, path)
    return path


def bench_bomb(run: Run) -> None:
    """Time ``check`` refusing the 1.5 GB bomb, end to end (3 runs), with its peak memory."""
    path = write_bomb(run.opts.data)
    times, peaks = [], []
    for _ in range(3):
        done = timed([sys.executable, "-m", "analysis", "check", str(path)], run.opts.timeout)
        if done.returncode != 2:
            raise StepError(f"check on the bomb exited {done.returncode}, not 2: "
                            f"{_tail(done.stdout + done.stderr)}")
        times.append(done.seconds)
        peaks.append(done.peak_mib)
    run.data["bomb"] = {"seconds": times, "median": median(times), "peak_mib": max(peaks),
                        "file_bytes": path.stat().st_size, "rows": BOMB_ROWS,
                        "message": done.stderr.strip()}
    progress(f"bomb refused: {median(times):.2f} s, peak {max(peaks):.0f} MiB")


def bench_check(run: Run) -> None:
    """Time ``python -m analysis check`` on the example study, end to end (3 runs)."""
    times, peaks = [], []
    for _ in range(3):
        done = timed([sys.executable, "-m", "analysis", "check", str(EXAMPLE)],
                     run.opts.timeout)
        if done.returncode:
            raise StepError(f"check exited {done.returncode}: "
                            f"{_tail(done.stdout + done.stderr)}")
        times.append(done.seconds)
        peaks.append(done.peak_mib)
    run.data["check"] = {"seconds": times, "median": median(times),
                         "peak_mib": median(peaks),
                         "first_line": (done.stdout.strip().splitlines() or [""])[0]}
    progress(f"check: {median(times):.2f} s")


def _report(path: Path, run: Run) -> tuple[Done, int]:
    """Run ``python -m analysis report PATH`` into a temporary folder; (run, page bytes)."""
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        done = timed([sys.executable, "-m", "analysis", "report", str(path),
                      "--out", tmp, "--quiet"], run.opts.timeout)
        if done.returncode:
            raise StepError(f"report of {path.name} exited {done.returncode}: "
                            f"{_tail(done.stdout + done.stderr)}")
        page = Path(tmp) / "report.html"
        if not page.is_file():
            raise StepError(f"report of {path.name} exited 0 but wrote no report.html")
        return done, page.stat().st_size


def bench_report(run: Run) -> None:
    """Time ``report`` on the example beside the bare import of its libraries, and on a wide
    study (:data:`WIDE` notes and themes): in pairs, so the ratio is taken within a round."""
    sys.path.insert(0, str(HERE))
    from generate import generate_wide

    wide = generate_wide(*WIDE, folder=run.opts.data)
    times, imports, ratios, peaks = [], [], [], []
    wide_times, wide_bytes, wide_peaks = [], [], []
    for i in range(run.opts.repeat_report):
        bare = timed([sys.executable, "-c", BARE_IMPORT], run.opts.timeout)
        if bare.returncode:
            raise StepError(f"the bare import failed: {_tail(bare.stderr)}")
        done, _ = _report(EXAMPLE, run)
        times.append(done.seconds)
        imports.append(bare.seconds)
        ratios.append(done.seconds / bare.seconds)
        peaks.append(done.peak_mib)
        progress(f"report run {i + 1}/{run.opts.repeat_report}: {done.seconds:.2f} s, bare "
                 f"import {bare.seconds:.2f} s ({ratios[-1]:.2f}x)")
        done, size = _report(wide, run)
        wide_times.append(done.seconds)
        wide_bytes.append(size)
        wide_peaks.append(done.peak_mib)
        progress(f"report of {WIDE[0]:,} notes, {WIDE[1]} themes: {done.seconds:.2f} s, "
                 f"{size / 1e6:.2f} MB")
    run.data["report"] = {"seconds": times, "median": median(times), "peak_mib": median(peaks),
                          "bare_import": imports, "per_pair_ratio": ratios,
                          "ratio": median(ratios)}
    run.data["report_wide"] = {"notes": WIDE[0], "themes": WIDE[1], "seconds": wide_times,
                               "median": median(wide_times), "page_bytes": max(wide_bytes),
                               "peak_mib": median(wide_peaks)}


def bench_nbval(run: Run) -> None:
    """Time the notebook tests of ``make test`` (pytest --nbval), once."""
    done = timed([sys.executable, *NBVAL_COMMAND], run.opts.timeout)
    summary = _tail(done.stdout, 1)
    failed = [line for line in _tail(done.stdout, 200).splitlines()
              if line.startswith(("FAILED", "ERROR"))]
    run.data["nbval"] = {"command": " ".join(["python", *NBVAL_COMMAND]),
                         "seconds": done.seconds, "peak_mib": done.peak_mib,
                         "exit_code": done.returncode, "summary": summary, "failed": failed}
    if done.returncode:
        raise StepError(f"nbval exited {done.returncode}: "
                        + "; ".join([*failed[:10], summary or _tail(done.stderr, 5)]))
    progress(f"nbval: {done.seconds:.1f} s ({summary})")


# --- targets --------------------------------------------------------------------------------


def _size_summary(run: Run, n: int) -> dict[str, Any] | None:
    entry = run.data.get("reading", {}).get(str(n))
    return entry.get("summary") if entry else None


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def growth(run: Run, layout: str = "template") -> dict[str, Any]:
    """Seconds per 1,000 notes of read_study at each size; 1M per note over 100k per note."""
    per_1k = {n: _get(_size_summary(run, n), "readers", f"{layout}/read_study", "per_1k_notes")
              for n in run.sizes}
    a, b = per_1k.get(100_000), per_1k.get(LARGE)
    return {"per_1k_notes": {str(k): v for k, v in per_1k.items()},
            "large_over_100k": b / a if a and b else None}


def _gap(value: float, op: str, limit: float) -> str:
    """How far a missed target is: ``'15% over'`` for a bound, ``'28% short'`` for a floor."""
    if op == ">=":
        return f"{(1 - value / limit) * 100:.0f}% short"
    return f"{(value / limit - 1) * 100:.0f}% over"


def targets(run: Run) -> list[dict[str, Any]]:
    """Compare the measurements with the targets of the issue; one row per target.

    Each row has ``name``, ``value`` (``None`` when not measured), ``op``, ``limit``,
    ``unit``, ``status`` (``met``, ``MISSED`` or ``not measured``), ``gap`` (how far a missed
    target is) and ``note``.
    """
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, op: str, limit: float, unit: str = "",
            note: str = "") -> None:
        gap = ""
        if value is None:
            status = "not measured"
        else:
            ok = {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]
            status = "met" if ok else "MISSED"
            gap = "" if ok else _gap(value, op, limit)
        rows.append({"name": name, "value": value, "op": op, "limit": limit, "unit": unit,
                     "status": status, "gap": gap, "note": note})

    for n, label in ((100_000, "100k"), (LARGE, "1M")):
        s = _size_summary(run, n)
        add(f"read_study / raw calamine, template {label}",
            _get(s, "ratios", "read_study/calamine", "median"), "<=", READ_RATIO_MAX, "x")
    for n, label in ((100_000, "100k"), (LARGE, "1M")):
        s = _size_summary(run, n)
        runs = _get(s, "readers", "template/openpyxl", "runs")
        add(f"pandas+openpyxl / read_study, template {label}",
            _get(s, "ratios", "openpyxl/read_study", "median"), ">=", OPENPYXL_SPEEDUP_MIN, "x",
            f"{runs} round{'s' if runs != 1 else ''}" if runs else "")
    add("peak memory read_study / raw calamine, template 1M",
        _get(_size_summary(run, LARGE), "ratios", "read_study/calamine peak", "median"), "<=",
        XLSX_PEAK_RATIO_MAX, "x", "VmHWM")
    add("peak memory read_study / pandas.read_csv, 1M",
        _get(_size_summary(run, LARGE), "ratios", "csv read_study/read_csv peak", "median"),
        "<=", CSV_PEAK_RATIO_MAX, "x", "VmHWM")
    nbytes = _get(_size_summary(run, LARGE), "readers", "template/read_study", "notes_bytes")
    add("notes table at 1M (memory_usage deep)", nbytes / 1e6 if nbytes else None, "<",
        NOTES_MB_MAX, "MB", "MB = 10^6 bytes")
    a = run.data.get("analysis")
    note = ""
    if a and a["notes"] != LARGE:
        note = f"measured at {a['notes']:,} notes only"
    elif a and not a["complete"]:
        note = (f"{len(a['failed_steps'])} step(s) failed; the others took "
                f"{fmt(a['total_of_finished_steps'])} s")
    add("codebook + every table and test, 1M notes",
        a["total_median"] if a and a["notes"] == LARGE else None, "<", WORKLOAD_S_MAX, "s",
        note)
    add("import analysis / import pandas", _get(run.data, "import", "ratio"), "<=",
        IMPORT_RATIO_MAX, "x")
    add("check refuses the 1.5 GB bomb (end to end)", _get(run.data, "bomb", "median"), "<",
        BOMB_S_MAX, "s", "exit 2")
    add("check on the bomb, peak memory", _get(run.data, "bomb", "peak_mib"), "<",
        BOMB_MIB_MAX, "MiB", "300 MB")
    add("report on the example", _get(run.data, "report", "median"), "<", REPORT_S_MAX, "s")
    add("report on the example / bare import of its libraries",
        _get(run.data, "report", "ratio"), "<=", REPORT_RATIO_MAX, "x", "median of pairs")
    add(f"report of {WIDE[0]:,} notes, {WIDE[1]} themes", _get(run.data, "report_wide", "median"),
        "<", WIDE_S_MAX, "s")
    wide_bytes = _get(run.data, "report_wide", "page_bytes")
    add(f"its report.html ({WIDE[0]:,} notes, {WIDE[1]} themes)",
        None if wide_bytes is None else wide_bytes / 1e6, "<=", WIDE_MB_MAX, "MB")
    add("read_study per note, 1M / 100k (template)", growth(run)["large_over_100k"], "<=",
        GROWTH_MAX, "x", "linear growth")
    return rows


# --- output ---------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 3) -> str:
    """Format a table cell: ``-`` for None, thousands separators, fewer digits when large."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if abs(value) >= 100:
            return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1,
          text: Sequence[int] = ()) -> str:
    """Fixed-width table: the first ``left`` columns and those in ``text`` left-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) if i < left or i in text else v.rjust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def section(title: str) -> str:
    """Return a section heading line."""
    return f"\n== {title} " + "=" * max(3, 86 - len(title))


def _reader_summaries(run: Run, reading: dict[str, Any]
                      ) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """Yield ``(notes, layout, reader, summary)`` for every reader measured, size by size."""
    for n in run.sizes:
        readers = reading.get(str(n), {}).get("summary", {}).get("readers", {})
        for key, summary in readers.items():
            layout, reader = key.split("/")
            yield n, layout, reader, summary


def render(run: Run) -> str:
    """Return the report printed on stdout: machine, reading, memory, analysis, targets."""
    out: list[str] = []
    m = run.data["machine"]
    out.append(section("machine"))
    ram = f"{m['ram_bytes'] / 2**30:.1f} GiB" if m["ram_bytes"] else "-"
    git = m["git"]
    rows = [("cpu", f"{m['cpu_model']} ({m['cpu_count']} cores)"), ("ram", ram),
            ("platform", m["platform"]),
            ("python", f"{m['python']} ({m['python_implementation']})"),
            ("versions", ", ".join(f"{k} {v}" for k, v in m["versions"].items())),
            ("git", f"{git.get('commit', '-')}"
                    f"{' (src/ modified)' if git.get('src_modified') else ''}"),
            ("load average", f"start {' '.join(f'{x:.2f}' for x in m['loadavg_start'])}, "
                             f"end {' '.join(f'{x:.2f}' for x in m['loadavg_end'])} "
                             "(1, 5, 15 min)"),
            ("run", f"sizes {', '.join(f'{n:,}' for n in run.sizes)}; rounds "
                    f"{', '.join(str(reading_rounds(run, n)) for n in run.sizes)}; skip "
                    f"{', '.join(sorted(run.skip)) or 'nothing'}")]
    out.append("\n".join(f"{k:14s}{v}" for k, v in rows))

    reading = run.data.get("reading")
    if reading:
        out.append(section("reading (wall seconds of the reader alone, fresh process each; "
                           "median over rounds)"))
        rows = [(f"{n:,}", layout, READER_LABELS[reader], r["runs"], r["median"], r["min"],
                 r["max"], r["per_1k_notes"])
                for n, layout, reader, r in _reader_summaries(run, reading)]
        out.append(table(("notes", "file", "reader", "runs", "median s", "min s", "max s",
                          "s / 1k notes"), rows, left=3))
        out.append("\nratios (x; median over rounds of the ratio of the two times, or of the "
                   "two peaks of memory, within a round):")
        rows = []
        for name in (*RATIOS, *MEMORY_RATIOS):
            per_size = [_get(reading, str(n), "summary", "ratios", name, "median")
                        for n in run.sizes]
            if any(v is not None for v in per_size):
                rows.append((name, *(fmt(v, 2) for v in per_size)))
        out.append(table(("ratio", *(f"{n:,}" for n in run.sizes)), rows))
        out.append("\nread_study seconds per 1,000 notes, side by side (linear growth: the "
                   f"1M cost per note at most {GROWTH_MAX}x the 100k one):")
        rows = []
        for layout in READERS:
            if layout in run.skip:
                continue
            g = growth(run, layout)
            ratio = g["large_over_100k"]
            flag = "-" if ratio is None else ("NOT LINEAR" if ratio > GROWTH_MAX else "linear")
            rows.append((layout, *(g["per_1k_notes"][str(n)] for n in run.sizes), ratio, flag))
        out.append(table(("file", *(f"{n:,}" for n in run.sizes), "1M / 100k", "growth"),
                         rows))

        out.append(section("reading memory (MiB; VmRSS before the reader, VmHWM peak after; "
                           "median over rounds)"))
        rows = [(f"{n:,}", layout, READER_LABELS[reader],
                 *(fmt(r[k], 1) for k in ("rss_before_mib", "peak_mib", "increase_mib")),
                 fmt(r.get("notes_mib"), 1), r["notes"], r.get("rejected"))
                for n, layout, reader, r in _reader_summaries(run, reading)]
        out.append(table(("notes", "file", "reader", "RSS before", "peak", "peak - before",
                          "notes table", "notes read", "rejected"), rows, left=3))

    a = run.data.get("analysis")
    if a:
        out.append(section(f"analysis on {a['notes']:,} notes (median of {a['repeat']} "
                           "run(s) in one process; memory: each step in its own fork)"))
        rows = []
        for name, s in a["steps"].items():
            secs = s["seconds"]
            rows.append((name, s["median"], min(secs) if secs else None,
                         max(secs) if secs else None, fmt(s["increase_mib"], 1),
                         "FAILED" if s["error"] else ""))
        total = a["total_median"] if a["complete"] else a["total_of_finished_steps"]
        rows.append(("total" if a["complete"] else "total of the steps that ran", total,
                     min(a["totals"]), max(a["totals"]), "", ""))
        out.append(table(("step", "median s", "min s", "max s", "peak over study MiB", ""),
                         rows, text=(5,)))
        out.append("peak over study = the step's VmHWM minus the VmRSS before it (free heap "
                   "pages released first),\non top of the study read once: "
                   f"read_study {fmt(a['read_seconds'])} s, peak "
                   f"{fmt(a['read_peak_mib'], 1)} MiB, then {fmt(a['rss_study_mib'], 1)} MiB "
                   "resident")
        if a["complete"] and a["repeat"] > 1:
            out.append(f"first run total {fmt(a['total_first'])} s (pays for the modules "
                       "the steps import on first use)")

    rows = []
    imp = run.data.get("import")
    if imp:
        rows += [("python -c 'import analysis'", imp["median_analysis"],
                  len(imp["runs"]["analysis"]), fmt(imp.get("peak_mib_analysis"), 1), ""),
                 ("python -c 'import pandas'", imp["median_pandas"],
                  len(imp["runs"]["pandas"]), fmt(imp.get("peak_mib_pandas"), 1), ""),
                 ("import analysis / import pandas", f"{fmt(imp['ratio'])} x",
                  len(imp["per_pair_ratio"]), "",
                  f"median of pairs; ratio of medians {fmt(imp['ratio_of_medians'])}"),
                 ("heavy modules after import analysis",
                  ", ".join(k for k, v in imp["heavy_loaded"].items() if v) or "none", "", "",
                  f"of {', '.join(HEAVY)}")]
    bomb = run.data.get("bomb")
    if bomb:
        rows.append(("analysis check bomb (refused)", bomb["median"], len(bomb["seconds"]),
                     fmt(bomb["peak_mib"], 1),
                     f"{bomb['file_bytes'] / 1e6:.1f} MB file, {bomb['rows']:,} rows of 1 KB"))
    for key, label in (("check", "analysis check example"),
                       ("report", "analysis report example"),
                       ("report_wide", f"analysis report, {WIDE[0]:,} notes / {WIDE[1]} themes")):
        d = run.data.get(key)
        if d:
            note = f"min {fmt(min(d['seconds']))}, max {fmt(max(d['seconds']))}"
            if "ratio" in d:
                note += (f"; bare import {fmt(median(d['bare_import']))} s, ratio "
                         f"{fmt(d['ratio'])}x")
            if "page_bytes" in d:
                note += f"; page {d['page_bytes'] / 1e6:.2f} MB"
            rows.append((label, d["median"], len(d["seconds"]), fmt(d["peak_mib"], 1), note))
    nb = run.data.get("nbval")
    if nb:
        rows.append(("pytest --nbval notebooks", nb["seconds"], 1, fmt(nb["peak_mib"], 1),
                     nb["summary"]))
    if rows:
        out.append(section("start-up and end to end (wall seconds, median; peak = largest "
                           "process)"))
        out.append(table(("command", "median s", "runs", "peak MiB", "note"), rows,
                         text=(4,)))

    out.append(section("targets"))
    rows = []
    for t in run.data["targets"]:
        value = "-" if t["value"] is None else f"{fmt(t['value'])} {t['unit']}".strip()
        limit = f"{t['op']} {fmt(t['limit'], 2)} {t['unit']}".strip()
        rows.append((t["name"], value, limit, t["status"], t["gap"], t["note"]))
    out.append(table(("target", "measured", "target", "status", "gap", "note"), rows,
                     text=(3, 4, 5)))
    counts = {s: sum(t["status"] == s for t in run.data["targets"]) for s in ("met", "MISSED")}
    out.append(f"\n{counts['met']} met, {counts['MISSED']} MISSED, "
               f"{len(run.data['targets']) - sum(counts.values())} not measured")
    for t in run.data["targets"]:
        if t["status"] == "MISSED":
            out.append(f"MISSED {t['name']}: {fmt(t['value'])} {t['unit']}, target "
                       f"{t['op']} {fmt(t['limit'], 2)} {t['unit']} ({t['gap']})")
    if counts["MISSED"]:
        out.append("where the time goes, and why a gap remains: benchmarks/README.md, "
                   "'Remaining gaps'")
    if run.failures:
        out.append(section("FAILED steps"))
        out += [f"- {f['step']}: {f['error']}" for f in run.failures]
    return "\n".join(out)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (a temporary file in the folder, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.part.json")
    tmp.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line; adds ``size_list`` and ``skip_set`` to the options."""
    paragraphs = (__doc__ or "").split("\n\n")
    p = argparse.ArgumentParser(description=paragraphs[0], epilog="\n\n".join(paragraphs[1:3]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", help="comma-separated numbers of notes "
                   f"(default {','.join(map(str, DEFAULT_SIZES))})")
    p.add_argument("--repeat", type=int, help="rounds of every reader, and runs of the "
                   f"analysis workload (default 3; reading below 1M notes {SMALL_ROUNDS})")
    p.add_argument("--openpyxl-repeat", type=int, default=None,
                   help="rounds that include pandas+openpyxl, at most (default 1 from 1M "
                   "notes, --repeat below)")
    p.add_argument("--repeat-report", type=int, default=2, help="runs of report (default 2)")
    p.add_argument("--import-runs", type=int, default=9,
                   help="runs of each import, interleaved (default 9)")
    p.add_argument("--skip", default="", help=f"comma-separated: {','.join(SKIPPABLE)}")
    p.add_argument("--quick", action="store_true", help="sizes 10000,100000, repeat 1, "
                   "no pandas+openpyxl from 1M notes")
    p.add_argument("--out", type=Path, default=HERE / "results",
                   help="folder of the JSON results (default benchmarks/results)")
    p.add_argument("--data", type=Path, default=HERE / "data",
                   help="folder of the generated files (default benchmarks/data)")
    p.add_argument("--timeout", type=float, default=CHILD_TIMEOUT,
                   help="seconds before a single step is abandoned (default 3600)")
    opts = p.parse_args(argv)
    sizes = opts.sizes or ",".join(map(str, QUICK_SIZES if opts.quick else DEFAULT_SIZES))
    try:
        opts.size_list = sorted({int(s.replace("_", "")) for s in sizes.split(",") if s.strip()})
    except ValueError:
        p.error(f"--sizes: not a list of whole numbers: {sizes!r}")
    if not opts.size_list or min(opts.size_list) < 1:
        p.error("--sizes: give at least one positive number")
    opts.repeat_given = opts.repeat is not None
    if opts.repeat is None:
        opts.repeat = 1 if opts.quick else 3
    for name in ("repeat", "repeat_report", "import_runs"):
        if getattr(opts, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if opts.openpyxl_repeat is not None and opts.openpyxl_repeat < 0:
        p.error("--openpyxl-repeat must be 0 or more")
    opts.skip_set = {s.strip() for s in opts.skip.split(",") if s.strip()}
    unknown = opts.skip_set - set(SKIPPABLE)
    if unknown:
        p.error(f"--skip: unknown {', '.join(sorted(unknown))} (choose from "
                f"{', '.join(SKIPPABLE)})")
    opts.out = opts.out.resolve()
    opts.data = opts.data.resolve()
    return opts


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measurement); return the exit status.

    Returns
    -------
    int
        0 when every step ran, 1 when one failed (a missed target is not a failure).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--child"]:
        child_main(argv[1:])
        return 0
    opts = parse_args(argv)
    # time the package as installed, with its bytecode current, not Python compiling it
    compileall.compile_dir(ROOT / "src", quiet=1)
    started = dt.datetime.now(dt.UTC)
    run = Run(opts, opts.size_list, opts.skip_set)
    run.data["machine"] = machine()
    steps: list[tuple[str, Callable[[Run], None]]] = [
        ("reading", bench_reading), ("analysis", bench_analysis), ("import", bench_import),
        ("bomb", bench_bomb), ("check", bench_check), ("report", bench_report),
        ("nbval", bench_nbval)]
    for name, func in steps:
        if name in run.skip:
            continue
        progress(f"{name} ...")
        try:
            func(run)
        except Exception as exc:  # a failed step is reported; the others still run
            run.fail(name, exc if isinstance(exc, StepError) else
                     StepError(f"{type(exc).__name__}: {exc}"))
    run.data["machine"]["loadavg_end"] = list(os.getloadavg())
    run.data["targets"] = targets(run)
    run.data["growth"] = {layout: growth(run, layout) for layout in READERS}
    finished = dt.datetime.now(dt.UTC)
    payload = {"schema": 1, "started": started.isoformat(timespec="seconds"),
               "finished": finished.isoformat(timespec="seconds"),
               "seconds": (finished - started).total_seconds(),
               "command": [sys.executable, *sys.argv],
               "options": {"sizes": run.sizes, "repeat": opts.repeat,
                           "openpyxl_repeat": opts.openpyxl_repeat,
                           "repeat_report": opts.repeat_report,
                           "import_runs": opts.import_runs, "skip": sorted(run.skip),
                           "quick": opts.quick, "data": str(opts.data)},
               **run.data, "failures": run.failures}
    print(render(run))
    path = opts.out / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    write_json(path, payload)
    write_json(opts.out / "latest.json", payload)
    print(f"\nresults: {path} (and latest.json)")
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
