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
         "write_template": "io"}


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
