"""The analysis the benchmark times on a study: codebook application and every table and test.

Each step is a callable taking the study; :func:`run` times them one by one (a monotonic
clock, in this process) and returns ``{step: seconds}``. The same list runs at every size, so
the costs can be compared side by side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from analysis import stats, tables
from analysis.codebook import Codebook, apply_codebook


def steps() -> dict[str, Callable[[Any], Any]]:
    """Return the analysis steps in the order a notebook runs them."""
    one = tables.one_coder

    return {
        "Codebook.apply": lambda s: Codebook.from_study(s).apply(s.notes),
        "apply_codebook": lambda s: apply_codebook(s.notes, s.codebook[["theme", "category"]]),
        "one_coder": lambda s: one(s.notes),
        "overview": lambda s: tables.overview(s.notes),
        "theme_frequencies": lambda s: tables.theme_frequencies(one(s.notes)),
        "category_by_group": lambda s: tables.category_by_group(one(s.notes)),
        "main_themes": lambda s: tables.main_themes(one(s.notes)),
        "phases": lambda s: tables.phases(one(s.notes)),
        "counts (category x group)": lambda s: tables.counts(one(s.notes)),
        "counts (theme x phase, sessions)": lambda s: tables.counts(
            one(s.notes), of="theme", by="phase", unit="sessions"),
        "counts (theme x valence)": lambda s: tables.counts(one(s.notes), of="theme",
                                                            by="valence"),
        "chi2_independence": lambda s: stats.chi2_independence(one(s.notes)),
        "commonality": lambda s: stats.commonality(one(s.notes)),
        "cooccurrence": lambda s: stats.cooccurrence(one(s.notes)),
        "session_jaccard": lambda s: stats.session_jaccard(one(s.notes)),
        "theme_homogeneity": lambda s: stats.theme_homogeneity(one(s.notes)),
        "category_homogeneity": lambda s: stats.category_homogeneity(one(s.notes)),
        "saturation + point": lambda s: stats.saturation_point(stats.saturation(one(s.notes))),
        "agreement": lambda s: stats.agreement(s.notes),
        "participants_table": lambda s: stats.participants_table(s.participants),
        "ratings_summary": lambda s: stats.ratings_summary(s.ratings) if len(s.ratings) else None,
    }


def run(study: Any) -> dict[str, float]:
    """Run every step once on ``study``; return seconds per step."""
    out = {}
    for name, step in steps().items():
        t0 = time.perf_counter()
        step(study)
        out[name] = time.perf_counter() - t0
    return out


if __name__ == "__main__":
    import pickle
    import sys

    with open(sys.argv[1], "rb") as fh:
        study = pickle.load(fh)
    times = run(study)
    for name, sec in times.items():
        print(f"{name:36s} {sec:8.3f}")
    print(f"{'total':36s} {sum(times.values()):8.3f}")
