r"""MAXQDA coded-segment exports: a row per coded segment, its document, code and text.

MAXQDA exports the *Retrieved segments* / *Overview of coded segments* table (xlsx, or csv)
with the columns ``Color, Document group, Document name, Code, Begin, End, Weight score,
Segment, Modified by, Modified, Created by, Created, Area, Coverage %`` (German: ``Farbe,
Dokumentgruppe, Dokumentname, Code, Anfang, Ende, Gewicht, Segment, ...``); it is told apart
from other tables by ``Document name``, ``Code`` and ``Segment`` in one header row.

How it is read: note = ``Segment``; session = ``Document name``, numbered 1..n per group in
natural order of the names; group = ``Document group`` (or ``--groups`` /
``--group-pattern``, or one group named after the file when the column is absent); theme =
``Code``, one per row, written as a path ``Parent\Child``: the first part is the category,
the last the theme (``--separator`` splits at another text). A code without a parent is
filed under ``'Uncategorized'`` when other codes have parents; a theme name shared by codes
of different categories keeps the whole path. A row without a code is a rejected record.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..study import Study
from ._options import ReadOptions
from ._segments import ExportFormat, read_export

__all__ = ["MAXQDA", "read_maxqda_segments", "sniff"]

#: The MAXQDA coded-segment export (header keys in ``label_key`` form).
MAXQDA = ExportFormat(
    tool="MAXQDA",
    what="coded-segment export",
    unit="coded segment",
    headers={
        "note": ("segment", "coded segment", "segmente"),
        "session": ("document name", "dokumentname", "document"),
        "theme": ("code",),
        "group": ("document group", "dokumentgruppe"),
        "coder": (),
        "id": (),
    },
    required=("note", "session", "theme"),
    codes_in_lines=False,
    separators=("\\",),
    path=True,
)


def _accepts(keys: list[str]) -> bool:
    return "code" in keys and "segment" in keys and any(
        k in keys for k in ("document name", "dokumentname"))


def sniff(rows: Sequence[Sequence[Any]]) -> bool:
    """Return True when a header row among the first rows is a MAXQDA coded-segment export's.

    The header must hold ``Document name``, ``Code`` and ``Segment`` (any case and order).
    """
    from ._qda import _HEADER_ROWS, _find_header

    return _find_header(rows[:_HEADER_ROWS], _accepts) is not None


def read_maxqda_segments(path: str | os.PathLike[str], options: ReadOptions | None = None,
                         **kwargs: Any) -> Study:
    """Read a MAXQDA coded-segment export (csv or xlsx) as a study; see the module docstring.

    Parameters
    ----------
    path : str or path-like
        The export.
    options : ReadOptions, optional
        Read options; ``sheet``, ``columns`` (roles ``note, session, theme, group, coder``),
        ``code_sep``, ``separator``, ``groups``, ``group_pattern`` apply.
    **kwargs
        Fields of :class:`~analysis.io.ReadOptions`, overriding ``options``.

    Returns
    -------
    Study
        One note per coded segment (per code with ``code_sep``).
    """
    return read_export(path, MAXQDA, ReadOptions.of(options, **kwargs))
