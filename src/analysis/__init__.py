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
    "load_example",
    "read_study",
    "write_study",
    "write_template",
]


def example_path() -> Path:
    """Return the path of the synthetic example study workbook shipped with the package.

    The workbook (``analysis/data/example_study.xlsx``, built by ``data/make_example.py``
    in the repository) is package data, so this works wherever the package is installed.

    Returns
    -------
    pathlib.Path
        The workbook; read it with :func:`read_study` or :func:`load_example`, or pass it to
        ``python -m analysis report``.

    Examples
    --------
    >>> from analysis import example_path
    >>> example_path().name
    'example_study.xlsx'
    """
    from ._resources import resource_path

    return resource_path("data", "example_study.xlsx")


def load_example() -> Study:
    """Read the synthetic example study shipped with the package.

    The same as ``read_study(example_path())``: 3 groups, 28 sessions, 33 themes in
    3 categories (see ``data/README.md`` in the repository). Each call reads the workbook
    again, so the returned study can be changed freely.

    Returns
    -------
    Study
        The example study, with its import log.

    Examples
    --------
    >>> from analysis import load_example
    >>> study = load_example()
    >>> {k: study.summary()[k] for k in ("notes", "groups", "sessions", "themes")}
    {'notes': 711, 'groups': 3, 'sessions': 28, 'themes': 33}
    """
    return read_study(example_path())


def __getattr__(name: str) -> object:
    # analysis.explore loads the explorer (and its pandas-only logic) on first use, so
    # ``import analysis`` stays light; ipywidgets loads only when an explorer is displayed.
    if name == "explore":
        from .explorer import explore

        return explore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
