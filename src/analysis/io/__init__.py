"""Readers and writers: the only code that opens files.

``read_study`` reads the template workbook (``.xlsx``, ``.xlsm``, ``.ods``), grid workbooks
(a sheet per group) and CSV notes tables; ``write_study`` and ``write_template`` write the
template workbook. Codebooks are exchanged with QDA tools as REFI-QDA ``.qdc`` files
(``read_qdc``, ``write_qdc``) and Taguette codebook CSV (``read_taguette_codebook``,
``write_taguette_codebook``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..study import Study
from ._errors import InputError, UnreadableFileError, UnsupportedFormatError
from ._interchange import read_qdc, read_taguette_codebook, write_qdc, write_taguette_codebook
from ._readers import Limits, detect_format, read_csv_study, read_workbook_study
from ._write import atomic_path, neutralize_formula, write_study, write_tables, write_template

__all__ = [
    "InputError",
    "Limits",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "atomic_path",
    "detect_format",
    "neutralize_formula",
    "read_qdc",
    "read_study",
    "read_taguette_codebook",
    "write_qdc",
    "write_study",
    "write_tables",
    "write_taguette_codebook",
    "write_template",
]


def read_study(
    path: str | os.PathLike[str], *, dayfirst: bool = True, limits: Limits | None = None
) -> Study:
    """Read a study from a workbook or CSV file.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx``, ``.xlsm`` or ``.ods`` workbook in the template layout (a ``notes``
        sheet, optionally ``codebook``, ``sessions``, ``participants``, ``ratings``) or the
        grid layout (one sheet per group), or a ``.csv`` notes table. The format is detected
        from the content; the file is never modified.
    dayfirst : bool, default True
        Read ambiguous text dates such as ``01/04/2020`` as day/month (1 April).
    limits : Limits, optional
        Size limits checked before reading; see :class:`Limits`.

    Returns
    -------
    Study
        Tidy tables plus ``study.log``, which accounts for every record read
        (``log.read == log.kept + len(log.rejected)``) and lists every problem with its file,
        sheet, row and column.

    Raises
    ------
    InputError
        When the file cannot be read at all (empty, damaged, encrypted, legacy ``.xls``,
        unsupported kind, over a size limit). The message is one sentence naming the file.

    Examples
    --------
    >>> from analysis import read_study, example_path
    >>> study = read_study(example_path())
    >>> study.summary()["groups"]
    3
    """
    p = Path(path)
    kind = detect_format(p, limits=limits or Limits())
    if kind == "csv":
        return read_csv_study(p, dayfirst=dayfirst)
    return read_workbook_study(p, dayfirst=dayfirst)
