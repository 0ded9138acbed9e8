"""Content analysis of group-session notes kept in spreadsheets.

Import notes (template workbook, grid workbook, CSV), organize themes into mutually exclusive
categories, count and compare them, draw charts and render reports.

``import analysis`` stays light: it costs at most 1.15 times ``import pandas`` (measured by
``make bench``). It imports :mod:`analysis.study` and pandas only; the readers and writers
(:mod:`analysis.io`), charting, statistics, reports and notebook machinery load when first
used, the names below through the module-level ``__getattr__``. A module added to the
package follows the same rule: import it from here only lazily (add it to ``_LAZY``), and
keep heavy imports (matplotlib, scipy, openpyxl, nbclient) inside the functions that need
them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .study import ImportLog, Problem, Study

if TYPE_CHECKING:
    from .io import InputError, read_study, write_study, write_template

#: Names of the package loaded on first use: name -> submodule that defines it.
_LAZY = {"InputError": "io", "read_study": "io", "write_study": "io",
         "write_template": "io",
         # the explorer's pandas-only logic; ipywidgets loads only when one is displayed
         "explore": "explorer"}


def __getattr__(name: str) -> Any:
    """Import a name of :data:`_LAZY` from its submodule when first asked for."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
    from .io import read_study

    return read_study(example_path())

