"""The analysis the benchmark times on a study: codebook application and every table and test.

Each step is a callable taking the study; :func:`run` times them one by one (a monotonic
clock, in this process) and returns the seconds of every step that finished and the error of
every step that raised, so one broken step does not hide the cost of the others. The same list
runs at every size, so the costs can be compared side by side.

Run from the repository root on a pickled study::

    python benchmarks/workload.py study.pickle
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from analysis import stats, tables
from analysis.codebook import Codebook, apply_codebook

# id(study) -> (study, its one-coder notes); holding the study keeps its id from being reused
_ONE_CODER: dict[int, tuple[Any, Any]] = {}


def _keep_one_coder(study: Any) -> Any:
    """Keep one coder's notes (the ``one_coder`` step) for the steps that follow."""
    notes = tables.one_coder(study.notes)
    _ONE_CODER[id(study)] = (study, notes)
    return notes


def _one(study: Any) -> Any:
    """Return the one-coder notes of ``study``: those of the ``one_coder`` step when it ran."""
    kept = _ONE_CODER.get(id(study))
    return kept[1] if kept is not None else _keep_one_coder(study)


def steps() -> dict[str, Callable[[Any], Any]]:
    """Return the analysis steps in the order a notebook runs them.

    As in the notebooks (``notes = tables.one_coder(study.notes)``), one coder's notes are
    kept once, by the ``one_coder`` step, and the tables and tests that count sessions reuse
    them; agreement uses every coder's notes.
    """
    return {
        "Codebook.apply": lambda s: Codebook.from_study(s).apply(s.notes),
        "apply_codebook": lambda s: apply_codebook(s.notes, s.codebook[["theme", "category"]]),
        "one_coder": _keep_one_coder,
        "overview": lambda s: tables.overview(s.notes),
        "theme_frequencies": lambda s: tables.theme_frequencies(_one(s)),
        "category_by_group": lambda s: tables.category_by_group(_one(s)),
        "main_themes": lambda s: tables.main_themes(_one(s)),
        "phases": lambda s: tables.phases(_one(s)),
        "counts (category x group)": lambda s: tables.counts(_one(s)),
        "counts (theme x phase, sessions)": lambda s: tables.counts(
            _one(s), of="theme", by="phase", unit="sessions"),
        "counts (theme x valence)": lambda s: tables.counts(_one(s), of="theme", by="valence"),
        "chi2_independence": lambda s: stats.chi2_independence(_one(s)),
        "commonality": lambda s: stats.commonality(_one(s)),
        "cooccurrence": lambda s: stats.cooccurrence(_one(s)),
        "session_jaccard": lambda s: stats.session_jaccard(_one(s)),
        "theme_homogeneity": lambda s: stats.theme_homogeneity(_one(s)),
        "category_homogeneity": lambda s: stats.category_homogeneity(_one(s)),
        "saturation + point": lambda s: stats.saturation_point(stats.saturation(_one(s))),
        "agreement": lambda s: stats.agreement(s.notes),
        "participants_table": lambda s: stats.participants_table(s.participants),
        "ratings_summary": lambda s: stats.ratings_summary(s.ratings) if len(s.ratings) else None,
    }


def run(study: Any) -> tuple[dict[str, float], dict[str, str]]:
    """Run every step once on ``study``.

    Parameters
    ----------
    study : analysis.Study
        The study the steps read (``notes``, ``codebook``, ``participants``, ``ratings``).

    Returns
    -------
    seconds : dict of str to float
        Wall seconds of each step that finished, in the order of :func:`steps`.
    errors : dict of str to str
        ``"ExceptionType: message"`` of each step that raised.
    """
    seconds: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name, step in steps().items():
        t0 = time.perf_counter()
        try:
            step(study)
        except Exception as exc:  # reported with the step; the other steps still run
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        seconds[name] = time.perf_counter() - t0
    return seconds, errors


if __name__ == "__main__":
    import pickle
    import sys

    with open(sys.argv[1], "rb") as fh:
        study = pickle.load(fh)
    times, failed = run(study)
    for name, sec in times.items():
        print(f"{name:36s} {sec:8.3f}")
    for name, error in failed.items():
        print(f"{name:36s}   FAILED {error}")
    print(f"{'total':36s} {sum(times.values()):8.3f}"
          + (f" ({len(failed)} steps failed)" if failed else ""))
