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
from typing import Any

from ..study import Problem, Study
from ._atlas import ATLAS, read_atlas_quotations
from ._codebook_source import with_read_context
from ._errors import InputError, UnreadableFileError, UnsupportedFormatError
from ._interchange import read_qdc, read_taguette_codebook, write_qdc, write_taguette_codebook
from ._maxqda import MAXQDA, read_maxqda_segments
from ._options import CATEGORY_CONFLICTS, LAYOUTS, ROLES, OptionsError, ReadOptions
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
from ._segments import read_export
from ._write import atomic_path, neutralize_formula, write_study, write_tables, write_template

__all__ = [
    "CATEGORY_CONFLICTS",
    "LAYOUTS",
    "ROLES",
    "InputError",
    "Limits",
    "OptionsError",
    "ReadOptions",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "atomic_path",
    "detect_format",
    "neutralize_formula",
    "read_atlas_quotations",
    "read_maxqda_segments",
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


@with_read_context  # options.codebook and options.category_conflicts reach every reader
def read_study(
    path: str | os.PathLike[str],
    options: ReadOptions | None = None,
    **kwargs: Any,
) -> Study:
    """Read a study from a workbook, a CSV file or a QDA tool's export.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx``, ``.xlsm`` or ``.ods`` workbook in the template layout (a ``notes``
        sheet, optionally ``codebook``, ``sessions``, ``participants``, ``ratings``,
        ``codebook_history``) or the grid layout (one sheet per group); a ``.csv`` notes
        table; a Taguette highlights export (csv or xlsx: ``id, document, tag, content``);
        a REFI-QDA project (``.qdpx`` from NVivo, ATLAS.ti, MAXQDA, QualCoder, or a bare
        ``.qde``); an ATLAS.ti quotation export or a MAXQDA coded-segment export (csv or
        xlsx, see :func:`read_atlas_quotations`, :func:`read_maxqda_segments`); or a wide
        coding sheet (several code columns per row). The format is told from the content;
        when it is not clear, the file is refused with what was seen and the options that
        would read it. The file is never modified.
    options : ReadOptions, optional
        How to read the file; see :class:`ReadOptions`.
    **kwargs
        Any field of :class:`ReadOptions`, e.g. ``columns={"theme": "Reason"}``,
        ``sheet="Data"``, ``code_sep=";"``, ``dayfirst=False``, ``limits=Limits(...)``;
        they override ``options``.

    Returns
    -------
    Study
        Tidy tables plus ``study.log``, which accounts for every record read
        (``log.read == log.kept + len(log.rejected)``), lists every problem with its file,
        sheet, row and column, and says which layout (``log.layout``) and which column for
        each role (``log.columns``) were used.

    Raises
    ------
    InputError
        When the file cannot be read at all (empty, damaged, encrypted, legacy ``.xls``,
        unsupported kind, over a size limit, or a layout that cannot be told). The message
        is one sentence naming the file.
    OptionsError
        Wrong or contradictory options (an :class:`InputError` too).

    Examples
    --------
    >>> from analysis import read_study, example_path
    >>> study = read_study(example_path())
    >>> study.summary()["groups"]
    3
    >>> study.log.layout
    "template (sheet 'notes')"
    """
    opts = ReadOptions.of(options, **kwargs)
    p = Path(path)
    limits = opts.limits
    with gc_paused():
        kind, workbook = detect_and_open(p, limits=limits)
        try:
            if kind in ("qdpx", "qde"):
                study = read_qdpx(p, category_level=opts.category_level,
                                  theme_level=opts.theme_level, limits=limits)
            elif opts.codes is not None or opts.code_prefix is not None:
                study = read_wide_codes(p, columns=list(opts.codes) if opts.codes else None,
                                        prefix=opts.code_prefix, separator=opts.separator,
                                        sheet=opts.sheet, dayfirst=opts.dayfirst,
                                        limits=limits, **_wide_roles(opts))
            else:
                if kind == "xlsx" or kind == "ods":
                    workbook = workbook or Workbook(p)
                study = _read_csv_or_export(p, kind, opts, workbook=workbook)
        finally:
            if workbook is not None:
                workbook.close()
    study.log.options = opts.given()
    if study.notes.empty and not study.log.all_errors:
        study.log.errors.append(Problem(
            "no notes were read: the study is empty"
            + (f" ({study.log.layout})" if study.log.layout else "")
            + "; fill in at least one row, or check which sheet and columns were read",
            file=p.name))
    return study


def _read_csv_or_export(p: Path, kind: str, opts: ReadOptions,
                        workbook: Workbook | None = None) -> Study:
    """Tell a notes file from a QDA tool's export by its header rows, and read it."""
    layout = sniff_qda_layout(p, kind, workbook=workbook)
    if opts.layout in ("atlas", "maxqda"):
        layout = opts.layout
    if layout == "atlas":
        return read_export(p, ATLAS, opts, kind=kind, workbook=workbook)
    if layout == "maxqda":
        return read_export(p, MAXQDA, opts, kind=kind, workbook=workbook)
    if layout == "taguette":
        return read_taguette_highlights(p, groups=opts.groups, group_pattern=opts.group_pattern,
                                        dayfirst=opts.dayfirst, limits=opts.limits)
    if opts.groups is not None or opts.group_pattern is not None:
        raise OptionsError("a group mapping or pattern applies to exports of QDA tools only "
                           "(Taguette highlights, ATLAS.ti quotations, MAXQDA coded segments)",
                           file=p.name)
    if layout == "wide":
        return read_wide_codes(p, separator=opts.separator, sheet=opts.sheet,
                               dayfirst=opts.dayfirst, limits=opts.limits, **_wide_roles(opts))
    if kind == "csv":
        return read_csv_study(p, options=opts)
    return read_workbook_study(p, workbook=workbook, options=opts)


def _wide_roles(opts: ReadOptions) -> dict[str, Any]:
    """Return the column roles a wide coding sheet reads, from ``--column``."""
    roles = {k: v for k, v in opts.columns.items()
             if k in ("group", "session", "note", "date", "coder", "speaker", "id")}
    unused = sorted(set(opts.columns) - set(roles))
    if unused:
        raise OptionsError(
            f"--column {unused[0]}=... does not apply to a wide coding sheet, whose codes come "
            "from the code columns (--codes or --code-prefix); its roles are group, session, "
            "date, note, speaker, coder, id")
    return {**roles, "code_sep": opts.code_sep}
