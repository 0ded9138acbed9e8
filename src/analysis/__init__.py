"""Content analysis of group-session notes kept in spreadsheets.

Import notes (template workbook, grid workbook, CSV), organize themes into mutually exclusive
categories, count and compare them, draw charts and render reports. ``import analysis`` is
light: charting and notebook machinery load only when used.
"""

from __future__ import annotations

from pathlib import Path

from .io import InputError, read_study, write_study, write_template
from .study import ImportLog, Problem, Study

__version__ = "0.1.0"

__all__ = [
    "ImportLog",
    "InputError",
    "Problem",
    "Study",
    "__version__",
    "example_path",
    "explore",
    "read_study",
    "write_study",
    "write_template",
]


def example_path() -> Path:
    """Return the path of the synthetic example study workbook shipped in ``data/``.

    Looks in the repository's ``data/`` folder (the package is installed from a checkout).
    """
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "data" / "example_study.xlsx"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("data/example_study.xlsx not found; run `make data` in the checkout")


def __getattr__(name: str) -> object:
    # analysis.explore loads the explorer (and its pandas-only logic) on first use, so
    # ``import analysis`` stays light; ipywidgets loads only when an explorer is displayed.
    if name == "explore":
        from .explorer import explore

        return explore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
