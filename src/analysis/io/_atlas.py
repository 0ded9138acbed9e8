r"""ATLAS.ti quotation exports: a row per quotation, its document and its codes.

Two shapes are read, csv or xlsx, told apart from other tables by their headers:

- the *Quotation Manager* export of ATLAS.ti 8 and later (Excel, often re-saved):
  ``ID, Quotation Name, Document, Document Groups, Quotation Content, Comment, Codes,
  Reference, Density, Created by, Modified by, Created, Modified``, with a second sheet
  ``Info``;
- the older quotation export (CSV, often ``;``-separated): ``Number, Reference, Name,
  Text Content, Document, Codes, ..., Initial Position, Final Position``.

How they are read: note = the quotation's text (``Quotation Content`` / ``Text Content``);
session = the document, numbered 1..n per group in natural order of the names; theme = each
code of the ``Codes`` cell, where ATLAS.ti writes them one per line (``\n`` or ``\r\n``;
``--code-sep`` for another separator); category = the part of a code before the first
``': '``, ATLAS.ti's naming convention for code groups (``group: code``), or before ``'::'``
(older projects); ``--separator`` splits elsewhere. A code name without it is filed under
``'Uncategorized'`` when other codes have categories. A theme name that codes of different
categories share keeps the full code name, so distinct codes stay distinct. Group = the
``Document Groups`` cell when every document is in exactly one group; when documents are in
several groups (ATLAS.ti groups overlap) all documents form one group named after the file,
with a warning; ``--groups`` / ``--group-pattern`` choose the groups as for Taguette
exports. A quotation without codes is a rejected record.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..study import Study
from ._options import ReadOptions
from ._segments import ExportFormat, read_export

__all__ = ["ATLAS", "read_atlas_quotations", "sniff"]

#: The ATLAS.ti quotation export (header keys in ``label_key`` form).
ATLAS = ExportFormat(
    tool="ATLAS.ti",
    what="quotation export",
    unit="quotation",
    headers={
        "note": ("quotation content", "text content", "content", "quotation"),
        "session": ("document", "primary document", "documents"),
        "theme": ("codes",),
        "group": ("document groups", "document group"),
        "coder": (),
        "id": ("id", "number", "quotation id"),
    },
    required=("note", "session", "theme"),
    codes_in_lines=True,
    separators=("::", ": "),
    path=False,
)
_MARKERS = ("quotation content", "text content")


def _accepts(keys: list[str]) -> bool:
    return ATLAS.accepts(keys) and any(m in keys for m in _MARKERS)


def sniff(rows: Sequence[Sequence[Any]]) -> bool:
    """Return True when a header row among the first rows is an ATLAS.ti quotation export's.

    The header must hold ``Codes``, ``Document`` and ``Quotation Content`` (or the older
    ``Text Content``), in any case and order, among other columns.
    """
    from ._qda import _HEADER_ROWS, _find_header

    return _find_header(rows[:_HEADER_ROWS], _accepts) is not None


def read_atlas_quotations(path: str | os.PathLike[str], options: ReadOptions | None = None,
                          **kwargs: Any) -> Study:
    """Read an ATLAS.ti quotation export (csv or xlsx) as a study; see the module docstring.

    Parameters
    ----------
    path : str or path-like
        The export.
    options : ReadOptions, optional
        Read options; ``sheet``, ``columns`` (roles ``note, session, theme, group, coder,
        id``), ``code_sep``, ``separator``, ``groups``, ``group_pattern`` apply.
    **kwargs
        Fields of :class:`~analysis.io.ReadOptions`, overriding ``options``.

    Returns
    -------
    Study
        One note per code of a quotation; every quotation without codes is in
        ``study.log.rejected`` with its row.
    """
    return read_export(path, ATLAS, ReadOptions.of(options, **kwargs))
