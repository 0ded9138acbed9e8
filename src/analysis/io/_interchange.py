"""Codebook interchange: REFI-QDA codebooks (``.qdc``) and Taguette codebook CSV files.

A codebook here is the table :attr:`Study.codebook <analysis.study.Study.codebook>` holds:
columns ``theme, category, definition, aliases`` (one row per theme, categories in order of
first appearance), all of ``object`` dtype with ``None`` for a missing value (the same on
pandas 2 and 3). REFI-QDA files may add a ``color`` column (``'#RRGGBB'``, one per theme).

**REFI-QDA codebook** (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``; the schema is
``schemas/Codebook.xsd`` beside this module). Reading rule:

* every *top-level* ``Code`` with child codes is a **category**; every codable code below it,
  at any depth, is a **theme** of that category, named by its own ``name`` (a deeper tree is
  flattened onto its top-level code, with a warning);
* a top-level code without children is a theme with no category: if its name is written
  ``Category::Theme`` (ATLAS.ti style) the part before ``::`` is its category, otherwise it
  goes to the category :data:`UNCATEGORIZED` (both with a warning);
* a codable top-level parent is still read as a category (warned: text coded with it directly
  has no theme); a non-codable top-level code without codable descendants is left out (warned);
* a theme's ``Description`` is its definition; a last line ``Aliases: a; b`` in it holds the
  theme's aliases (the convention :func:`write_qdc` writes, since REFI-QDA has no aliases);
* guids are not needed and not kept; ``Sets`` (code groups) and the descriptions and colours
  of categories are not kept (warned when present).

**Taguette codebook CSV** (what Taguette's *Export codebook > CSV* writes): columns ``tag``
(or ``name`` or ``path``), optional ``description``, ``number of highlights`` and, in Taguette
versions with nested tags, ``parent``. Taguette releases without nested tags have flat tag
names, and a tag written ``category.theme`` (Taguette's path convention: exporting the
highlights of a path includes the tags below it) gives the theme its category. Without a
``parent`` column or a dot, a theme's category is left empty (``None``) and one warning asks
for categories in the codebook sheet.

Malformed files raise :class:`~analysis.io.UnreadableFileError` with one sentence naming the
file (and the line for XML); quirks produce ``Problem(severity="warning")`` entries.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import pandas as pd

from ..codebook import CODEBOOK_COLUMNS, label_key, normalize_label, split_aliases
from ..study import ImportLog, Problem
from ..style import OKABE_ITO
from ._errors import UnreadableFileError
from ._readers import decode_text
from ._write import atomic_path

__all__ = [
    "QDC_NAMESPACE",
    "UNCATEGORIZED",
    "read_qdc",
    "read_taguette_codebook",
    "write_qdc",
    "write_taguette_codebook",
]

#: XML namespace of REFI-QDA codebooks (QDA-XML 1.0).
QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"

#: Category given to REFI-QDA themes that sit at the top level of the code tree.
UNCATEGORIZED = "Uncategorized"

#: Namespace of the uuid5 guids :func:`write_qdc` writes. Fixed for ever: changing it would
#: change every exported guid, and other programs use guids to recognise a code again.
GUID_NAMESPACE = uuid.UUID("b71584de-04aa-4ce2-a384-c4450ca7bc47")

_ORIGIN = "session-notes-analysis"
_MAX_BYTES = 64 * 2**20  # a codebook is a few kB; refuse anything absurd before reading it
_UUID = re.compile(r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                   r"[0-9A-Fa-f]{12}\}?")
_HEX_COLOR = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ALIASES_LINE = re.compile(r"(?:\A|\n)Aliases:[ \t]*(?P<aliases>[^\n]*)\Z")
# Dotted abbreviations such as "e.g." or "U.S.": their dots are not path separators.
_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")
_ATLAS_SEP = "::"
_TAG_COLUMNS = ("tag", "name", "path")


# --- shared helpers ----------------------------------------------------------------------


def _read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """Return the bytes of ``path`` and its file name, or raise one clear sentence."""
    p = Path(path)
    name = p.name
    try:
        size = p.stat().st_size
        if size > _MAX_BYTES:
            raise UnreadableFileError(
                f"the file is {size / 2**20:.0f} MiB, far too large for a codebook", file=name)
        data = p.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError("file not found", file=name) from None
    except IsADirectoryError:
        raise UnreadableFileError("is a folder, not a file", file=name) from None
    except PermissionError:
        raise UnreadableFileError("permission denied: the file cannot be opened",
                                  file=name) from None
    except OSError as exc:
        raise UnreadableFileError(f"the file cannot be read ({exc.strerror or exc})",
                                  file=name) from None
    if not data.strip():
        raise UnreadableFileError("the file is empty", file=name)
    return data, name


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cells
        return False


def _clean_text(value: object) -> str | None:
    """Tidy a multi-line text: each line normalized, blank lines at both ends dropped."""
    if _missing(value):
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [normalize_label(line) for line in text.split("\n")]
    return "\n".join(lines).strip("\n") or None


def _split_description(text: object) -> tuple[str | None, str | None]:
    """Split a description into (definition, aliases) on a last ``Aliases:`` line."""
    clean = _clean_text(text)
    if clean is None:
        return None, None
    match = _ALIASES_LINE.search(clean)
    if not match:
        return clean, None
    aliases = "; ".join(split_aliases(match["aliases"])) or None
    return clean[: match.start()].strip("\n") or None, aliases


def _join_description(definition: str | None, aliases: str | None) -> str | None:
    """Return the description text carrying a definition and, on a last line, aliases."""
    parts = [definition] if definition else []
    names = split_aliases(aliases) if aliases else []
    if names:
        parts.append("Aliases: " + "; ".join(names))
    return "\n\n".join(parts) or None


def _norm_color(value: object) -> str | None:
    """Return ``'#RRGGBB'`` (upper case) for ``#RGB``, ``#RRGGBB`` or bare hex, else None."""
    if _missing(value):
        return None
    match = _HEX_COLOR.fullmatch(str(value).strip())
    if not match:
        return None
    digits = match[1]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def _some(names: list[str], n: int = 3) -> str:
    """Quote up to ``n`` names: ``'a', 'b', 'c' and 4 more``."""
    shown = ", ".join(f"'{x}'" for x in names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    """Return ``"1 code"`` or ``"2 codes"``."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _pick(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _frame(rows: list[dict[str, str | None]], columns: Iterable[str]) -> pd.DataFrame:
    """Build the codebook table with ``object`` columns and ``None`` for missing values."""
    return pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object)
                         for c in columns})


@dataclass(frozen=True)
class _Entry:
    theme: str
    category: str | None
    definition: str | None
    aliases: str | None
    color: str | None


def _entries(codebook: pd.DataFrame, *, colors: bool) -> list[_Entry]:
    """Validate a codebook table for writing and return its rows, tidied.

    Raises ``ValueError`` (one sentence) for a missing ``theme`` column, an empty theme, a
    theme listed twice or (with ``colors``) a colour that is not ``#RRGGBB``.
    """
    if "theme" not in codebook.columns:
        raise ValueError("the codebook has no 'theme' column")

    def column(name: str) -> list[object]:
        return list(codebook[name]) if name in codebook.columns else [None] * len(codebook)

    entries: list[_Entry] = []
    seen: dict[str, int] = {}
    category_spelling: dict[str, str] = {}
    for i, (theme, category, definition, aliases, color) in enumerate(zip(
            column("theme"), column("category"), column("definition"), column("aliases"),
            column("color"), strict=True), start=1):
        name = _ILLEGAL_XML.sub("", normalize_label(theme))
        if not name:
            raise ValueError(f"row {i} of the codebook has no theme")
        key = label_key(name)
        if key in seen:
            raise ValueError(f"theme '{name}' is listed twice in the codebook (rows {seen[key]} "
                             f"and {i}); keep one row")
        seen[key] = i
        cat = _ILLEGAL_XML.sub("", normalize_label(category)) or None
        if cat is not None:  # one category per spelling: the first one seen
            cat = category_spelling.setdefault(label_key(cat), cat)
        hexcolor = None
        if colors and not _missing(color):
            hexcolor = _norm_color(color)
            if hexcolor is None:
                raise ValueError(f"theme '{name}' has the colour {str(color)!r}, which is not "
                                 "written '#RRGGBB'")
        text = _clean_text(definition)
        alias_names = [] if _missing(aliases) else split_aliases(aliases)
        entries.append(_Entry(name, cat, _ILLEGAL_XML.sub("", text) if text else None,
                              _ILLEGAL_XML.sub("", "; ".join(alias_names)) or None, hexcolor))
    return entries


# --- REFI-QDA codebook (.qdc) --------------------------------------------------------------


class _DoctypeFound(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _scan_xml(data: bytes, file: str) -> list[int]:
    """Check that ``data`` is well-formed XML without a DOCTYPE; return element start lines.

    The check runs expat (the parser ElementTree uses, so line numbers agree with
    ``ElementTree.ParseError.position``) before ElementTree builds the tree. A DOCTYPE or
    ENTITY declaration is refused: REFI-QDA files have none, and entities can expand a few
    bytes into gigabytes.
    """
    parser = expat.ParserCreate()
    lines: list[int] = []

    def start(_name: str, _attrs: dict[str, str]) -> None:
        lines.append(parser.CurrentLineNumber)

    def refuse(*_args: object) -> None:
        raise _DoctypeFound(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except _DoctypeFound as exc:
        raise UnreadableFileError(
            f"the codebook XML has a DOCTYPE declaration at line {exc.line}, which REFI-QDA "
            "files never have; it is refused because its entities could expand without limit",
            file=file) from None
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, "not well-formed")
        raise UnreadableFileError(
            f"the codebook XML is malformed at line {exc.lineno}, column {exc.offset + 1}: "
            f"{reason}", file=file) from None
    return lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c.tag) == name]


def _codable(element: ET.Element) -> bool:
    """``isCodable`` as a bool; absent or unreadable counts as codable."""
    return element.get("isCodable", "true").strip().lower() not in {"false", "0", "no"}


def _description(element: ET.Element) -> str | None:
    found = _children(element, "Description")
    return "".join(found[0].itertext()) if found else None


@dataclass
class _QdcReader:
    """Walks the code tree of one ``CodeBook`` element and collects rows and warnings."""

    file: str
    line_of: dict[int, int]

    def __post_init__(self) -> None:
        self.rows: list[dict[str, str | None]] = []
        self.where: dict[str, tuple[int | None, str]] = {}  # theme key -> (line, category)
        self.warnings: list[Problem] = []
        self.codable_parents: list[str] = []
        self.category_notes: list[str] = []
        self.empty_categories: list[str] = []
        self.uncategorized: list[str] = []
        self.atlas: list[str] = []
        self.deep: list[tuple[str, str]] = []
        self.bad_guids: list[tuple[str, int | None]] = []
        self.bad_colors: list[tuple[str, int | None]] = []
        self.unnamed: list[int | None] = []

    def line(self, element: ET.Element) -> int | None:
        return self.line_of.get(id(element))

    def warn(self, message: str) -> None:
        self.warnings.append(Problem(message, file=self.file, severity="warning"))

    def name(self, element: ET.Element) -> str:
        guid = (element.get("guid") or "").strip()
        if not _UUID.fullmatch(guid):
            self.bad_guids.append((guid, self.line(element)))
        name = normalize_label(element.get("name"))
        if not name:
            self.unnamed.append(self.line(element))
        return name

    def theme(self, element: ET.Element, name: str, category: str) -> None:
        key = label_key(name)
        line = self.line(element)
        at = f" (line {line})" if line else ""
        if key in self.where:
            first_line, first_category = self.where[key]
            first_at = f" (line {first_line})" if first_line else ""
            self.warn(f"theme '{name}'{at} under '{category}' repeats the theme of that name "
                      f"under '{first_category}'{first_at}; the first one is kept")
            return
        self.where[key] = (line, category)
        raw_color = element.get("color")
        color = _norm_color(raw_color)
        if raw_color is not None and raw_color.strip() and color is None:
            self.bad_colors.append((raw_color, line))
        definition, aliases = _split_description(_description(element))
        self.rows.append({"theme": name, "category": category, "definition": definition,
                          "aliases": aliases, "color": color})

    def descendants(self, element: ET.Element, category: str, depth: int) -> int:
        """Add every codable code below ``element`` as a theme; return how many were added."""
        added = 0
        for child in _children(element, "Code"):
            name = self.name(child)
            if depth >= 2:
                self.deep.append((name, category))
            if name and _codable(child):
                before = len(self.rows)
                self.theme(child, name, category)
                added += len(self.rows) - before
            added += self.descendants(child, category, depth + 1)
        return added

    def read(self, codes: list[ET.Element]) -> None:
        for top in codes:
            name = self.name(top)
            kids = _children(top, "Code")
            if kids:
                category = name or UNCATEGORIZED
                if _codable(top):
                    self.codable_parents.append(category)
                if _clean_text(_description(top)):
                    self.category_notes.append(category)
                if not self.descendants(top, category, 1):
                    self.empty_categories.append(category)
            elif not name:
                continue
            elif _ATLAS_SEP in name and all(p.strip() for p in name.split(_ATLAS_SEP, 1)):
                category, theme = (normalize_label(p) for p in name.split(_ATLAS_SEP, 1))
                self.atlas.append(name)
                self.theme(top, theme, category)
            elif _codable(top):
                self.uncategorized.append(name)
                self.theme(top, name, UNCATEGORIZED)
            else:
                self.empty_categories.append(name)
        self.summarize()

    def summarize(self) -> None:
        """Turn the collected quirks into one warning each, with singular/plural agreement."""
        if self.unnamed:
            n = len(self.unnamed)
            known = [str(x) for x in self.unnamed if x]
            at = f"(line{'s' if len(known) > 1 else ''} {', '.join(known)}) " if known else ""
            self.warn(f"{_plural(n, 'code')} without a name {at}{_pick(n, 'was', 'were')} "
                      "left out")
        if self.codable_parents:
            n = len(self.codable_parents)
            self.warn(f"{_plural(n, 'parent code')} ({_some(self.codable_parents)}) "
                      + _pick(n, "is codable; it is read as a category, so text coded with it",
                              "are codable; they are read as categories, so text coded with "
                              "them")
                      + " directly has no theme")
        if self.category_notes:
            n = len(self.category_notes)
            self.warn(f"the {_pick(n, 'description', 'descriptions')} of "
                      f"{_plural(n, 'category', 'categories')} ({_some(self.category_notes)}) "
                      f"{_pick(n, 'was', 'were')} not kept: the codebook holds definitions of "
                      "themes only")
        if self.empty_categories:
            n = len(self.empty_categories)
            self.warn(f"{_plural(n, 'top-level code')} with no codable code below "
                      f"({_some(self.empty_categories)}) {_pick(n, 'was', 'were')} left out: "
                      "a category needs at least one theme")
        if self.atlas:
            n = len(self.atlas)
            self.warn(f"{_plural(n, 'code name')} ({_some(self.atlas)}) "
                      f"{_pick(n, 'carries its', 'carry their')} category ATLAS.ti-style as "
                      "'Category::Theme'; the part before '::' was read as the category")
        if self.uncategorized:
            n = len(self.uncategorized)
            self.warn(f"{_plural(n, 'theme')} ({_some(self.uncategorized)}) "
                      f"{_pick(n, 'sits', 'sit')} at the top level with no category; "
                      f"{_pick(n, 'it was', 'they were')} put in the category "
                      f"'{UNCATEGORIZED}'")
        if self.deep:
            n = len(self.deep)
            self.warn(f"the code tree is more than two levels deep: {_plural(n, 'code')} below "
                      f"the second level ({_some([f'{t} in {c}' for t, c in self.deep])}) "
                      + _pick(n, "was read as a theme of its", "were read as themes of their")
                      + " top-level category")
        if self.bad_guids:
            n = len(self.bad_guids)
            guid, line = self.bad_guids[0]
            example = f"'{guid}'" if guid else "none"
            at = f" at line {line}" if line else ""
            self.warn(f"{_plural(n, 'code')} {_pick(n, 'has', 'have')} a guid that is not a "
                      f"UUID (e.g. {example}{at}); guids are not kept, so "
                      f"{_pick(n, 'the code was', 'the codes were')} read anyway")
        if self.bad_colors:
            n = len(self.bad_colors)
            color, line = self.bad_colors[0]
            at = f" at line {line}" if line else ""
            self.warn(f"{_plural(n, 'theme')} {_pick(n, 'has', 'have')} a colour not written "
                      f"'#RRGGBB' ({_pick(n, '', 'e.g. ')}'{color}'{at}); "
                      f"{_pick(n, 'its', 'their')} color is left empty")
        colored = sum(r["color"] is not None for r in self.rows)
        if 0 < colored < len(self.rows):
            missing = [r["theme"] or "" for r in self.rows if r["color"] is None]
            n = len(missing)
            self.warn(f"{_plural(n, 'theme')} ({_some(missing)}) {_pick(n, 'has', 'have')} no "
                      f"colour while the others have one; {_pick(n, 'its', 'their')} color is "
                      "left empty")


def _parse_xml(data: bytes, file: str, what: str = "the codebook XML"
               ) -> tuple[ET.Element, dict[int, int]]:
    """Parse XML safely (see :func:`_scan_xml`) and map each element's ``id`` to its line.

    ``what`` names the document in error messages.
    """
    try:
        lines = _scan_xml(data, file)
    except UnreadableFileError as exc:
        if what == "the codebook XML":
            raise
        raise UnreadableFileError(exc.problem.message.replace("the codebook XML", what),
                                  file=file) from None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:  # pragma: no cover - _scan_xml has parsed the same bytes
        raise UnreadableFileError(f"{what} cannot be read ({exc})", file=file) from None
    elements = list(root.iter())
    line_of = ({id(e): n for e, n in zip(elements, lines, strict=True)}
               if len(elements) == len(lines) else {})
    return root, line_of


def read_qdc(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a REFI-QDA codebook (``.qdc``) as a codebook table.

    Parameters
    ----------
    path : str or path-like
        A REFI-QDA codebook: root ``CodeBook`` > ``Codes`` > nested ``Code`` elements. A
        REFI-QDA project file (``project.qde``, root ``Project``) also works: its
        ``CodeBook`` is read.

    Returns
    -------
    codebook : pandas.DataFrame
        Columns ``theme, category, definition, aliases``, plus ``color`` (``'#RRGGBB'`` or
        None) when any theme has a colour; ``object`` dtype, None for missing values; themes
        in document order. The reading rule is in the module docstring: top-level codes are
        categories, every codable code below one is a theme of it.
    warnings : list of Problem
        Vendor quirks that were tolerated (``severity="warning"``): codable parents,
        top-level themes (category ``'Uncategorized'``), ``Category::Theme`` names, deeper
        trees, guids that are not UUIDs, missing or malformed colours, repeated themes (the
        first is kept), a missing or misplaced namespace, unread ``Sets``.

    Raises
    ------
    UnreadableFileError
        When the file is missing, empty, not well-formed XML (the message gives the line and
        column the parser stopped at), has a DOCTYPE declaration, or has no ``CodeBook``.
    """
    data, file = _read_bytes(path)
    root, line_of = _parse_xml(data, file)
    warnings: list[Problem] = []

    def warn(message: str) -> None:
        warnings.append(Problem(message, file=file, severity="warning"))

    book = root if _local(root.tag) == "CodeBook" else next(
        (e for e in root.iter() if _local(e.tag) == "CodeBook"), None)
    if book is None:
        raise UnreadableFileError(
            f"the XML root element is <{_local(root.tag)}>, not <CodeBook>: this is not a "
            "REFI-QDA codebook", file=file)
    if book is not root:
        warn(f"this is a REFI-QDA <{_local(root.tag)}> file, not a codebook; only its "
             "<CodeBook> was read")
    elif _namespace(book.tag) != QDC_NAMESPACE:
        inner = next((e for e in book.iter() if _namespace(e.tag) == QDC_NAMESPACE), None)
        if inner is not None:
            at = f" (line {line_of[id(inner)]})" if id(inner) in line_of else ""
            warn(f"the REFI-QDA namespace {QDC_NAMESPACE} is declared late, on "
                 f"<{_local(inner.tag)}>{at} instead of <CodeBook>; the file was read anyway")
        elif _namespace(book.tag):
            warn(f"the codebook uses the XML namespace '{_namespace(book.tag)}' instead of "
                 f"{QDC_NAMESPACE}; the file was read anyway")
        else:
            warn(f"the codebook declares no XML namespace (REFI-QDA uses {QDC_NAMESPACE}); "
                 "the file was read anyway")

    codes_elements = _children(book, "Codes")
    if not codes_elements:
        raise UnreadableFileError("the codebook has no <Codes> element, so no codes to read",
                                  file=file)
    reader = _QdcReader(file, line_of)
    reader.read([c for codes in codes_elements for c in _children(codes, "Code")])
    warnings.extend(reader.warnings)
    if not reader.rows:
        warn("the codebook has no themes")
    sets = [s for sets in _children(book, "Sets") for s in _children(sets, "Set")]
    if sets:
        n = len(sets)
        first = normalize_label(sets[0].get("name"))
        warn(f"the file's {_plural(n, 'Set')} ("
             + _pick(n, f"code group '{first}') was", f"code groups, e.g. '{first}') were")
             + " not read; categories come from the code tree")
    columns = list(CODEBOOK_COLUMNS)
    if any(r["color"] is not None for r in reader.rows):
        columns.append("color")
    return _frame(reader.rows, columns), warnings


def _guid(*names: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(names))).upper()


def _code(parent: ET.Element, guid: str, name: str, codable: bool, color: str | None,
          description: str | None) -> ET.Element:
    attrs = {"guid": guid, "name": name, "isCodable": "true" if codable else "false"}
    if color:
        attrs["color"] = color
    element = ET.SubElement(parent, "Code", attrs)
    if description:
        ET.SubElement(element, "Description").text = description
    return element


def write_qdc(codebook: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a codebook table as a REFI-QDA codebook (``.qdc``) that validates against the XSD.

    Each category becomes a non-codable top-level ``Code`` coloured from the Okabe-Ito
    palette (:data:`analysis.style.OKABE_ITO`, by category order); each theme a codable child
    ``Code`` with its definition as ``Description`` (aliases, which REFI-QDA lacks, on a last
    line ``Aliases: a; b``) and its ``color`` when the table has that column. Themes without
    a category become top-level codable codes (read back in the category
    ``'Uncategorized'``). Guids are uuid5 of a fixed namespace and the names, so the same
    codebook always gives byte-identical files and other programs recognise the codes again.

    Parameters
    ----------
    codebook : pandas.DataFrame
        Columns ``theme`` and ``category``; ``definition``, ``aliases`` and ``color`` are
        optional. Missing values may be None, NaN or ``pd.NA``.
    path : str or path-like
        Where to write; written atomically (a failure leaves no partial file).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        When the codebook has no themes, a theme is empty or listed twice, or a colour is
        not ``#RRGGBB``.

    Notes
    -----
    ``read_qdc(write_qdc(cb, p))`` gives ``cb`` back when its texts are tidy (as
    :func:`~analysis.codebook.normalize_label` leaves them), its aliases are written
    ``'a; b'``, every theme has a category and the rows of a category are adjacent (the
    code tree groups a category's themes together).
    """
    entries = _entries(codebook, colors=True)
    if not entries:
        raise ValueError("the codebook has no themes; a REFI-QDA codebook needs at least one "
                         "code")
    root = ET.Element("CodeBook", {"xmlns": QDC_NAMESPACE, "origin": _ORIGIN})
    codes = ET.SubElement(root, "Codes")
    categories = list(dict.fromkeys(e.category for e in entries if e.category is not None))
    for i, category in enumerate(categories):
        parent = _code(codes, _guid("category", category), category, False,
                       OKABE_ITO[i % len(OKABE_ITO)], None)
        for e in entries:
            if e.category == category:
                _code(parent, _guid("theme", category, e.theme), e.theme, True, e.color,
                      _join_description(e.definition, e.aliases))
    for e in entries:
        if e.category is None:
            _code(codes, _guid("theme", "", e.theme), e.theme, True, e.color,
                  _join_description(e.definition, e.aliases))
    ET.indent(root, space="  ")
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return target


# --- Taguette codebook CSV ---------------------------------------------------------------


def _split_path(tag: str) -> tuple[str | None, str]:
    """Split a Taguette path ``category.theme`` at its first separating dot.

    A dot counts when it sits between two non-blank characters, not inside a number, an
    ellipsis or a dotted abbreviation, so ``"Dr. Who"``, ``"v1.2"``, ``"Wait...what"`` and
    ``"e.g. delays"`` stay whole while ``"Barriers.Lack of time"`` splits.
    """
    skip = {m.start() + i for m in _ABBREVIATION.finditer(tag) for i in range(len(m[0]))}
    for i in range(1, len(tag) - 1):
        if tag[i] != "." or i in skip:
            continue
        before, after = tag[i - 1], tag[i + 1]
        if before.isspace() or after.isspace() or "." in (before, after):
            continue
        if before.isdigit() and after.isdigit():
            continue
        category, theme = tag[:i].strip(), tag[i + 1:].strip()
        if category and theme:
            return category, theme
    return None, tag


def _taguette_header(text: str, file: str) -> tuple[str, list[str]]:
    """Return the delimiter (``,``, ``;`` or tab) and the lower-cased header cells."""
    first = text.split("\n", 1)[0].rstrip("\r")
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first], delimiter=delimiter), [])
        header = [unicodedata.normalize("NFC", normalize_label(c)).casefold() for c in cells]
        if any(c in _TAG_COLUMNS for c in header):
            return delimiter, header
    raise UnreadableFileError(
        "the first line has no 'tag', 'name' or 'path' column: this is not a Taguette "
        "codebook export", file=file, row=1)


_TagEntry = tuple[str | None, str, str | None, str | None, int]


def _top_level_parents(entries: list[_TagEntry], warn: Callable[[str, int | None], None]
                       ) -> list[_TagEntry]:
    """Give every tag of a ``parent`` column its top-level ancestor as category.

    Same rule as for REFI-QDA trees: a top-level tag is a category, every tag below it, at
    any depth, a theme of it (one warning when the tree is deeper than two levels).
    """
    parent_of = {label_key(theme): category for category, theme, *_ in entries if category}
    resolved: list[_TagEntry] = []
    deep: list[tuple[str, str]] = []
    cycles: list[str] = []
    for category, theme, definition, aliases, line in entries:
        top = category
        seen = {label_key(theme)}
        while top is not None and label_key(top) in parent_of:
            if label_key(top) in seen:  # a parent cycle: keep the tag's own parent
                cycles.append(theme)
                top = category
                break
            seen.add(label_key(top))
            top = parent_of[label_key(top)]
        if top is not None and top != category:
            deep.append((theme, top))
        resolved.append((top, theme, definition, aliases, line))
    if deep:
        n = len(deep)
        warn(f"the tag tree is more than two levels deep: {_plural(n, 'tag')} below the second "
             f"level ({_some([f'{t} in {c}' for t, c in deep])}) "
             + _pick(n, "was read as a theme of its", "were read as themes of their")
             + " top-level tag", None)
    if cycles:
        warn(f"the parents of {_plural(len(cycles), 'tag')} ({_some(cycles)}) go round in a "
             "circle; each was given its own parent as category", None)
    return resolved


def read_taguette_codebook(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a Taguette codebook CSV export as a codebook table.

    Parameters
    ----------
    path : str or path-like
        CSV with a ``tag`` (or ``name`` or ``path``) column and optional ``description``,
        ``parent`` and ``number of highlights`` columns (the last is ignored). UTF-8 with or
        without BOM (other bytes are read as Windows-1252, with a warning); comma, semicolon
        or tab delimited; CRLF, LF or mixed line ends; quoted descriptions may span lines.

    Returns
    -------
    codebook : pandas.DataFrame
        Columns ``theme, category, definition, aliases`` (``object`` dtype, None for missing
        values), one row per tag in file order. The category is the ``parent`` cell when the
        file has that column, else the part of a ``category.theme`` tag before the dot, else
        None. A description's last line ``Aliases: a; b`` gives the aliases (the convention
        :func:`write_taguette_codebook` writes).
    warnings : list of Problem
        Tolerated problems (``severity="warning"``, with the CSV line): rows without a tag
        (skipped), repeated tags (the first is kept), parent tags (read as categories), and
        one warning when themes have no category, which must then be assigned in the
        codebook sheet.

    Raises
    ------
    UnreadableFileError
        When the file is missing or empty, has no tag column, names two tag columns, or is
        not valid CSV.
    """
    data, file = _read_bytes(path)
    log = ImportLog(files=[file])
    text = decode_text(data, file, log)
    warnings = list(log.warnings)

    def warn(message: str, row: int | None = None) -> None:
        warnings.append(Problem(message, file=file, row=row, severity="warning"))

    delimiter, header = _taguette_header(text, file)
    found = [c for c in _TAG_COLUMNS if c in header]
    if len(found) > 1:
        raise UnreadableFileError(
            f"the header has both a '{found[0]}' and a '{found[1]}' column; keep only the one "
            "holding the tag names", file=file, row=1)
    col_tag = header.index(found[0])
    col_desc = header.index("description") if "description" in header else None
    col_parent = header.index("parent") if "parent" in header else None

    def cell(row: list[str], col: int | None) -> str:
        return row[col] if col is not None and col < len(row) else ""

    entries: list[_TagEntry] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_line = 0
    try:
        for index, row in enumerate(reader):
            line, previous_line = previous_line + 1, reader.line_num
            if index == 0 or not any(c.strip() for c in row):
                continue
            tag = normalize_label(cell(row, col_tag))
            if not tag:
                warn("this row has no tag name and was skipped", line)
                continue
            definition, aliases = _split_description(cell(row, col_desc))
            if col_parent is not None:
                category = normalize_label(cell(row, col_parent)) or None
                theme = tag
                if category and tag.startswith(category + ".") and len(tag) > len(category) + 1:
                    theme = tag[len(category) + 1:].strip()
            else:
                category, theme = _split_path(tag)
            entries.append((category, theme, definition, aliases, line))
    except csv.Error as exc:
        raise UnreadableFileError(
            f"the CSV file is malformed at line {reader.line_num} ({exc})", file=file,
            row=reader.line_num) from None

    if col_parent is not None:
        entries = _top_level_parents(entries, warn)
    category_keys = {label_key(c) for c, *_ in entries if c}
    parents = [(t, n) for c, t, _, _, n in entries if c is None and label_key(t) in category_keys]
    if parents:
        n = len(parents)
        warn(f"{_plural(n, 'tag')} ({_some([t for t, _ in parents])}) "
             + _pick(n, "is the parent of other tags and was read as a category, not a theme",
                     "are parents of other tags and were read as categories, not themes"),
             parents[0][1])
    parent_keys = {label_key(t) for t, _ in parents}
    rows: list[dict[str, str | None]] = []
    first_line: dict[str, int] = {}
    for category, theme, definition, aliases, line in entries:
        key = label_key(theme)
        if category is None and key in parent_keys:
            continue
        if key in first_line:
            warn(f"tag '{theme}' repeats the tag on line {first_line[key]}; the first one is "
                 "kept", line)
            continue
        first_line[key] = line
        rows.append({"theme": theme, "category": category, "definition": definition,
                     "aliases": aliases})
    without = [r["theme"] or "" for r in rows if r["category"] is None]
    if without:
        n = len(without)
        share = (f"{_pick(n, 'the only tag has', f'all {n} tags have')}" if n == len(rows)
                 else f"{n} of {len(rows)} tags ({_some(without)}) {_pick(n, 'has', 'have')}")
        warn(f"{share} no category (Taguette tags carry one only as 'category.tag' or in a "
             "'parent' column); categories must be assigned in the codebook sheet")
    return _frame(rows, CODEBOOK_COLUMNS), warnings


def write_taguette_codebook(codebook: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a codebook table as a CSV file Taguette's *Import codebook* reads.

    Columns ``tag,description``: what Taguette's codebook import reads in every version
    (versions with nested tags also read a ``parent`` column, which others ignore, so it is
    not written). Released Taguette tags are flat names, so a theme with a category is
    written ``category.theme``, Taguette's path convention, which
    :func:`read_taguette_codebook` splits again; the description is the definition with the
    aliases on a last line ``Aliases: a; b``. UTF-8 without a BOM (some Taguette versions
    decode plain UTF-8 and would read a BOM as part of the ``tag`` header), LF line ends,
    rows in codebook order; equal codebooks give byte-identical files. Cells are written as
    they are (no spreadsheet-formula escaping: the file is meant for Taguette).

    Parameters
    ----------
    codebook : pandas.DataFrame
        Columns ``theme`` and ``category`` (missing categories allowed); ``definition`` and
        ``aliases`` optional.
    path : str or path-like
        Where to write; written atomically.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        When a theme is empty or listed twice, or a category or category-less theme holds a
        dot that would split its tag path differently on reading.
    """
    entries = _entries(codebook, colors=False)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tag", "description"])
    for e in entries:
        tag = f"{e.category}.{e.theme}" if e.category else e.theme
        if _split_path(tag) != (e.category, e.theme):
            what = f"category '{e.category}'" if e.category else f"theme '{e.theme}'"
            raise ValueError(f"{what} contains a '.', which Taguette tag paths use between "
                             "category and theme; rename it before exporting")
        writer.writerow([tag, _join_description(e.definition, e.aliases) or ""])
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_bytes(buffer.getvalue().encode("utf-8"))
    return target
