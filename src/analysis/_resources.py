"""Files shipped inside the package: the report notebook, its HTML template, the example study.

They are read through :mod:`importlib.resources`, so they are found wherever the package is
installed (a checkout installed in editable mode, a wheel in any environment) and never
looked for beside a repository.
"""

from __future__ import annotations

import atexit
import contextlib
from pathlib import Path

_OPENED = contextlib.ExitStack()
atexit.register(_OPENED.close)
_PATHS: dict[tuple[str, ...], Path] = {}


def resource_path(*parts: str) -> Path:
    """Return a file system path of a file or folder shipped in the ``analysis`` package.

    Parameters
    ----------
    *parts : str
        The path inside the package, e.g. ``("data", "example_study.xlsx")``.

    Returns
    -------
    pathlib.Path
        The file itself for an ordinary installation; for a package imported from a zip
        archive, a temporary copy kept until the interpreter exits.

    Raises
    ------
    FileNotFoundError
        The installation does not hold the file (the package was built without its data).
    """
    key = tuple(parts)
    if key not in _PATHS:
        from importlib.resources import as_file, files

        resource = files("analysis").joinpath(*parts)
        if not (resource.is_file() or resource.is_dir()):
            raise FileNotFoundError(
                f"{'/'.join(parts)} is missing from the installed package analysis "
                f"({files('analysis')}); reinstall it from a wheel or a checkout")
        _PATHS[key] = _OPENED.enter_context(as_file(resource))
    return _PATHS[key]
