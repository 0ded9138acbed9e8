"""Readers and writers: the only code that opens files.

``read_study`` reads the template workbook (``.xlsx``, ``.xlsm``, ``.ods``), grid workbooks
(a sheet per group) and CSV notes tables; ``write_study`` and ``write_template`` write the
template workbook. Codebooks are exchanged with QDA tools as REFI-QDA ``.qdc`` files
(``read_qdc``, ``write_qdc``) and Taguette codebook CSV (``read_taguette_codebook``,
``write_taguette_codebook``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..study import Study
from ._errors import InputError, UnreadableFileError, UnsupportedFormatError
from ._interchange import read_qdc, read_taguette_codebook, write_qdc, write_taguette_codebook
from ._qda import read_qdpx, read_taguette_highlights, read_wide_codes, sniff_qda_layout
from ._readers import (
    Limits,
    Workbook,
    detect_and_open,
    detect_format,
    gc_paused,
    read_csv_study,
    read_workbook_study,
)
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
    "read_qdpx",
    "read_study",
    "read_taguette_codebook",
    "read_taguette_highlights",
    "read_wide_codes",
    "write_qdc",
    "write_study",
    "write_tables",
    "write_taguette_codebook",
    "write_template",
]


def read_study(
    path: str | os.PathLike[str],
    *,
    dayfirst: bool = True,
    limits: Limits | None = None,
    groups: Mapping[str, str] | str | os.PathLike[str] | None = None,
    group_pattern: str | None = None,
    codes: list[str] | None = None,
    code_prefix: str | None = None,
    separator: str | None = None,
    sheet: str | None = None,
    category_level: int = 1,
    theme_level: int | None = None,
) -> Study:
    """Read a study from a workbook, a CSV file or a QDA tool's export.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx``, ``.xlsm`` or ``.ods`` workbook in the template layout (a ``notes``
        sheet, optionally ``codebook``, ``sessions``, ``participants``, ``ratings``,
        ``codebook_history``) or the grid layout (one sheet per group); a ``.csv`` notes
        table; a Taguette highlights export (csv or xlsx: ``id, document, tag, content``);
        a REFI-QDA project (``.qdpx`` from NVivo, ATLAS.ti, MAXQDA, QualCoder); or a wide
        coding sheet (several code columns per row). The format is detected from the
        content; the file is never modified.
    dayfirst : bool, default True
        Read ambiguous text dates such as ``01/04/2020`` as day/month (1 April).
    limits : Limits, optional
        Size limits checked before reading; see :class:`Limits`.
    groups, group_pattern : optional
        Taguette exports: which group each document belongs to, as a mapping (or a
        ``document,group`` CSV/xlsx file) or a regular expression on the document name
        (first capture group). Default: one group named after the file.
    codes, code_prefix, separator, sheet : optional
        Wide coding sheets: the code columns (or the prefix they share, e.g.
        ``"Quality Factor"``), the separator between category and theme in a code (e.g.
        ``"->"``), and the sheet to read.
    category_level, theme_level : int, optional
        REFI-QDA projects: which level of the code tree is the category (1 = top) and which
        the theme (default: the code applied).

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
    limits = limits or Limits()
    with gc_paused():
        kind, workbook = detect_and_open(p, limits=limits)
        try:
            if kind == "qdpx":
                return read_qdpx(p, category_level=category_level, theme_level=theme_level,
                                 limits=limits)
            if codes is not None or code_prefix is not None:
                return read_wide_codes(p, columns=codes, prefix=code_prefix,
                                       separator=separator, sheet=sheet, dayfirst=dayfirst,
                                       limits=limits)
            if kind == "xlsx" or kind == "ods":
                workbook = workbook or Workbook(p)
            return _read_csv_or_export(p, kind, dayfirst=dayfirst, limits=limits,
                                       groups=groups, group_pattern=group_pattern,
                                       separator=separator, sheet=sheet, workbook=workbook)
        finally:
            if workbook is not None:
                workbook.close()


def _read_csv_or_export(p: Path, kind: str, *, dayfirst: bool, limits: Limits,
                        groups: Mapping[str, str] | str | os.PathLike[str] | None,
                        group_pattern: str | None, separator: str | None, sheet: str | None,
                        workbook: Workbook | None = None) -> Study:
    """Tell a notes file from a QDA tool's export by its header rows, and read it."""
    layout = sniff_qda_layout(p, kind, workbook=workbook)
    if layout == "taguette":
        return read_taguette_highlights(p, groups=groups, group_pattern=group_pattern,
                                        dayfirst=dayfirst, limits=limits)
    if groups is not None or group_pattern is not None:
        raise InputError("a group mapping or pattern applies to Taguette highlights exports "
                         "(columns id, document, tag, content) only", file=p.name)
    if layout == "wide":
        return read_wide_codes(p, separator=separator, sheet=sheet, dayfirst=dayfirst,
                               limits=limits)
    if kind == "csv":
        return read_csv_study(p, dayfirst=dayfirst)
    return read_workbook_study(p, dayfirst=dayfirst, workbook=workbook)
