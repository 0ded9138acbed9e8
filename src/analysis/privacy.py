"""Privacy guard: look for real names, e-mail addresses and phone numbers in a study.

Session notes are sensitive, and a participants sheet may hold real names or contact
details. Reports, figures and exports must use pseudonyms only, so
:func:`find_identifying` looks for direct identifiers before anything is shared:
``python -m analysis check`` lists what it finds as warnings (key ``privacy`` of
``check --json``), and ``python -m analysis report`` (and
:func:`~analysis.report.render_report`) refuses to render while anything is found, unless
``--allow-identifying`` (``allow_identifying=True``) is given.

Everything runs locally; nothing is sent anywhere. Messages never repeat a name, and show
e-mail addresses and phone numbers only masked (``m…@example.org``, ``…67``), so that a
check log can be shared.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pandas as pd

from .study import Problem, Study

__all__ = [
    "HEADER_TERMS",
    "find_identifying",
    "format_findings",
    "header_identifier",
    "mask_identifying",
    "real_names",
]

#: Header words that suggest a column of direct identifiers, by kind. Matched on whole words
#: after removing accents, case and punctuation (``E-Mail``, ``first_name``, ``FirstName``,
#: ``Prénom`` and ``TELEFONO`` all match); English, Italian, French, German, Spanish.
HEADER_TERMS: dict[str, tuple[str, ...]] = {
    "names": (
        "name", "names", "first name", "given name", "forename", "surname", "last name",
        "family name", "full name", "real name", "maiden name", "nome", "nomi", "cognome",
        "cognomi", "nominativo", "nom", "prenom", "nom de famille", "vorname", "nachname",
        "familienname", "nombre", "nombres", "apellido", "apellidos",
    ),
    "e-mail addresses": (
        "email", "e mail", "mail", "mail address", "posta elettronica", "courriel",
        "correo", "correo electronico", "adresse electronique",
    ),
    "phone numbers": (
        "phone", "telephone", "tel", "phone number", "mobile", "mobile number", "cell phone",
        "cellphone", "cell number", "fax", "telefono", "cellulare", "numero di telefono",
        "portable", "telefon", "telefonnummer", "handy", "mobil", "mobilnummer", "movil",
        "celular",
    ),
    "postal addresses": (
        "address", "addresses", "home address", "postal address", "street", "street address",
        "postcode", "zip code", "indirizzo", "residenza", "domicilio", "adresse", "anschrift",
        "strasse", "wohnort", "direccion", "domicile",
    ),
    "dates of birth": (
        "birth", "born", "dob", "birthday", "birthdate", "data di nascita", "nascita",
        "date de naissance", "naissance", "geburtsdatum", "geburtstag", "nacimiento",
    ),
    "tax or national identity numbers": (
        "codice fiscale", "tax code", "tax id", "tax number", "fiscal code", "ssn",
        "social security", "national insurance", "passport", "id card", "identity card",
        "steuernummer", "steuer id", "sozialversicherungsnummer", "securite sociale",
        "dni", "nif", "nie",
    ),
}

# Words that make "name" mean something other than a person's name ("group name",
# "nome gruppo", "theme name") or a pseudonym ("name (pseudonym)").
_NOT_A_PERSON = frozenset(
    "group groups gruppo gruppe groupe grupo theme themes tema thema item items category "
    "categoria kategorie categorie code codice file sheet session sessione region regione "
    "place city site service servizio organization organisation organizzazione team project "
    "progetto scale variable pseudonym pseudonimo pseudonyme alias codename nickname user "
    "username".split())

# Words that make "address" something other than a postal address ("IP address", "web").
_NOT_POSTAL = frozenset("ip web url website mac".split())

# Template columns that carry person references by design (pseudonyms) and are fine.
_TEMPLATE_COLUMNS = frozenset(
    "group session date theme category valence note speaker coder pseudonym age "
    "years_experience region gender item score".split())


def _words(text: object) -> list[str]:
    """Return a header as lower-case ASCII words (``'E-MailAdresse'`` -> e, mail, adresse)."""
    raw = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text or ""))
    plain = unicodedata.normalize("NFKD", raw)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return re.findall(r"[a-z0-9]+", plain.replace("ß", "ss"))


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(list(words[i:i + n]) == list(phrase) for i in range(len(words) - n + 1))


_TERMS = [(kind, term.split()) for kind, terms in HEADER_TERMS.items() for term in terms]


def header_identifier(header: object) -> str | None:
    """Return the kind of identifier a column header suggests (``"names"``, ...), or ``None``.

    Examples
    --------
    >>> header_identifier("E-mail address"), header_identifier("Cognome")
    ('e-mail addresses', 'names')
    >>> header_identifier("group name") is None, header_identifier("pseudonym") is None
    (True, True)
    """
    words = _words(header)
    if not words:
        return None
    compact = {"".join(words)} | set(words)
    for kind, phrase in _TERMS:
        if _contains(words, phrase) or (len(phrase) > 1 and "".join(phrase) in compact):
            if (kind == "names" and _NOT_A_PERSON.intersection(words)) or (
                    kind == "postal addresses" and _NOT_POSTAL.intersection(words)):
                continue
            return kind
    return None


# --- values ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
# dates and date-times (whole: not part of a longer run of digits and separators), year
# ranges; removed before looking for phone numbers
_NOT_PHONE = re.compile(
    r"(?<![\d./-])(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|(?:19|20)\d{2} ?[-–/] ?(?:19|20)?\d{2})(?![\d]|[-/.]\d)")
# DOIs (10.1101/2020.06.10.144964) and page or volume references (118/07/1087) in
# bibliographic citations, also removed before looking for phone numbers
_CITATION = re.compile(r"\b10\.\d{4,9}/\S+|\b\d{1,4}/\d{1,4}/\d{1,5}\b")
_PHONE = re.compile(r"(?<![\w+/-])(?:\+|\()?\d[\d \u00a0().\-/]{5,}\d(?![\w])")


def _is_phone(text: str) -> bool:
    """Return True when a run of digits and separators looks like a phone number.

    International numbers (``+39 ...``, ``0039 ...``) need 8 to 15 digits; national ones 8 to
    13, and are not taken for a phone when they look like a number with thousands separators
    (``12.500.000``), a decimal, a list of small numbers (``10 11 12 13``, ``1-2-3-4``) or a
    list of years (``2019 2020 2021``).
    """
    digits = re.sub(r"\D", "", text)
    groups = re.findall(r"\d+", text)
    seps = {s.strip() or " " for s in re.findall(r"\D+", text.lstrip("+("))}
    if text.startswith("+") or text.startswith("00"):
        return 8 <= len(digits) <= 15
    if not 8 <= len(digits) <= 13:
        return False
    if len(groups) == 1:
        return len(digits) >= 9
    if (len(seps) == 1 and 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
            and (seps <= {".", ","} or len(groups[0]) < 3)):
        return False  # 12.500.000, 1 000 000 000
    if len(groups) == 2 and seps <= {".", ","}:
        return False  # a decimal
    if sum(len(g) == 1 for g in groups) >= 3:
        return False  # 1-2-3-4-5-6-7-8
    if all(len(g) <= 2 for g in groups) and not groups[0].startswith("0"):
        return False  # 10 11 12 13 (French numbers, 01 23 45 67 89, start with 0)
    if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return False  # years
    return True


def _contacts(text: str) -> Iterator[tuple[str, str]]:
    """Yield (kind, masked value) for each e-mail address and phone number in a text."""
    for m in _EMAIL.finditer(text):
        local, _, domain = m.group().partition("@")
        yield "an e-mail address", f"{local[:1]}…@{domain}"
    rest = _EMAIL.sub(" ", text)
    rest = _NOT_PHONE.sub(" ; ", _CITATION.sub(" ; ", rest))
    for m in _PHONE.finditer(rest):
        if _is_phone(m.group()):
            last = re.sub(r"\D", "", m.group())[-2:]
            yield "what looks like a phone number", f"ending in …{last}"


def _cell_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) and value == value and float(value).is_integer():
        return str(int(value))  # a phone number typed as a number
    return None


# --- where ----------------------------------------------------------------------------------


def _layout(frame: pd.DataFrame) -> dict[str, Any]:
    layout = frame.attrs.get("layout")
    return layout if isinstance(layout, dict) else {}


def _file(study: Study, layout: dict[str, Any]) -> str | None:
    return layout.get("file") or (study.source.name if study.source else None)


def _column(layout: dict[str, Any], name: str) -> str:
    """Return a column as ``"C (header)"`` when the layout knows it, else its name."""
    if name in layout.get("columns", {}):
        return str(layout["columns"][name])
    for letter, text, _ in layout.get("headers", []):
        if text == name:
            return f"{letter} ({text})"
    return str(name)


def _note_place(source: object, file: str | None) -> tuple[str | None, int | None]:
    m = re.fullmatch(r"(.*)!\$?[A-Z]{1,3}\$?(\d+)", str(source))
    if not m:
        return None, None
    sheet = m.group(1)
    return (None if sheet == file else sheet), int(m.group(2))


def _table_places(study: Study, name: str, frame: pd.DataFrame,
                  layout: dict[str, Any]) -> list[tuple[str | None, int | None]]:
    """Return (sheet, row) of each row of a table (``None`` where unknown)."""
    file = _file(study, layout)
    if name == "notes" and "source" in frame:
        return [_note_place(s, file) for s in frame["source"]]
    rows = layout.get("rows")
    sheet = layout.get("sheet", name if layout else None)
    if rows is not None and len(rows) == len(frame):
        return [(sheet, int(r)) for r in rows]
    return [(sheet, None)] * len(frame)


# --- the check ------------------------------------------------------------------------------


def _header_findings(study: Study, name: str, frame: pd.DataFrame,
                     layout: dict[str, Any]) -> tuple[list[Problem], list[str]]:
    """Flag identifying headers; return the problems and the name columns kept in ``frame``."""
    problems, name_columns = [], []
    if layout.get("headers"):
        headers = [(f"{letter} ({text})", text, template)
                   for letter, text, template in layout["headers"]]
        row = layout.get("header_row")
        sheet = layout.get("sheet")
    else:
        skip = {"source", "_row", "_session_col"}
        headers = [(str(c), c, c if c in _TEMPLATE_COLUMNS else None)
                   for c in frame.columns if c not in skip]
        row, sheet = None, None
    for column, text, template in headers:
        if template is not None:
            continue  # pseudonym, speaker and the other template columns are expected
        kind = header_identifier(text)
        if kind is None:
            continue
        kept = text in frame.columns
        if kind == "names" and kept:
            name_columns.append(text)
        where = "" if kept else " (the column is not read, but it is in the workbook)"
        problems.append(Problem(
            f"the header of this {name} column suggests {kind}{where}; keep direct "
            "identifiers out of the study workbook and use pseudonyms", file=_file(study, layout),
            sheet=sheet, row=row, column=column, severity="warning"))
    return problems, name_columns


def _value_findings(study: Study, name: str, frame: pd.DataFrame, columns: Iterable[str],
                    layout: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    places: list[tuple[str | None, int | None]] | None = None
    file = _file(study, layout)
    for col in columns:
        if col not in frame:
            continue
        values = frame[col].astype(object)
        found: dict[Any, list[tuple[str, str]]] = {}
        for value in pd.unique(values.dropna()):
            text = _cell_text(value)
            hits = list(_contacts(text)) if text else []
            if hits:
                found[value] = hits
        if not found:
            continue
        places = places or _table_places(study, name, frame, layout)
        for i in [i for i, v in enumerate(values) if v in found]:
            sheet, row = places[i]
            for kind, masked in found[values.iat[i]]:
                problems.append(Problem(
                    f"{col} contains {kind} ({masked}); use pseudonyms and leave contact "
                    "details out", file=file, sheet=sheet, row=row,
                    column=_column(layout, col), severity="warning"))
    return problems


def _norm(value: object) -> str:
    return " ".join(str(value).split()).casefold() if isinstance(value, str) else ""


def _name_matches(study: Study, names: set[str], source: str) -> list[Problem]:
    """Flag speakers and pseudonyms equal to a value of a name column of participants."""
    problems: list[Problem] = []
    for table, col in (("notes", "speaker"), ("participants", "pseudonym"),
                       ("ratings", "pseudonym")):
        frame = getattr(study, table)
        if col not in frame or not len(frame):
            continue
        layout = _layout(frame)
        hits = [i for i, v in enumerate(frame[col].astype(object)) if _norm(v) in names]
        if not hits:
            continue
        places = _table_places(study, table, frame, layout)
        shown = hits[:1] if table == "notes" else hits
        for i in shown:
            sheet, row = places[i]
            more = (f" ({len(hits)} notes like this, the first here)"
                    if table == "notes" and len(hits) > 1 else "")
            problems.append(Problem(
                f"{col} equals a value of {source}, so it may be a real name{more}; use the "
                "pseudonym", file=_file(study, layout), sheet=sheet, row=row,
                column=_column(layout, col), severity="warning"))
    return problems


def find_identifying(study: Study) -> list[Problem]:
    """Look for direct identifiers in the notes, participants and ratings of a study.

    Three checks, each a heuristic:

    * **headers** of the ``notes``, ``participants`` and ``ratings`` sheets that suggest
      names, e-mail addresses, phone numbers, postal addresses, dates of birth or tax and
      identity numbers (:data:`HEADER_TERMS`, in English, Italian, French, German and
      Spanish), including columns that are not read (the workbook still holds them). The
      template columns (``pseudonym``, ``speaker``, ...) are expected and never flagged.
    * **values**: e-mail addresses and phone numbers in the ``note`` and ``speaker`` of
      each note and in every text cell of ``participants`` and ``ratings``. Phone numbers
      are runs of 8-15 digits, with ``+``/``00`` and a country code or in national formats
      (``+39 333 123 4567``, ``02 1234 5678``, ``(555) 123-4567``, ``01 23 45 67 89``);
      dates and date-times (``2020-04-01``, ``01/04/2020 10:30``), year ranges, session
      numbers, lists of small numbers, decimals and numbers with thousands separators are
      not taken for phone numbers.
    * **names reused as pseudonyms**: a ``speaker`` or ``pseudonym`` equal (ignoring case
      and spacing) to a value of a name column of the participants sheet.

    Parameters
    ----------
    study : Study
        A study as read by :func:`~analysis.read_study`. Cells and headers are located by
        ``frame.attrs["layout"]``, which the readers set; other studies are checked too, with
        column names and rows where known.

    Returns
    -------
    list of Problem
        One warning per finding, with file, sheet, row and column. Empty when nothing was
        found; messages show contact details masked and never a name.

    Notes
    -----
    What this cannot see, so a clean result is no proof of anonymity:

    * names, places or other identifying details written in free text (``"Maria said ..."``);
      a pseudonym that happens to be a real first name (``"SW-01 Alba"``) is not flagged;
    * contact details written unusually (``name at example dot org``, numbers spelt out or
      of fewer than 8 digits, extensions), or values in columns that are not read;
    * sheets other than notes, participants and ratings, and grid layouts (which hold no
      text). Long numeric identifiers (ISBN, bank accounts) may be taken for phone numbers.
    """
    problems: list[Problem] = []
    names: set[str] = set()
    sources: list[str] = []
    for table, value_columns in (("notes", ("note", "speaker")), ("participants", None),
                                 ("ratings", None)):
        frame = getattr(study, table)
        if frame is None:
            continue
        layout = _layout(frame)
        header_problems, name_columns = _header_findings(study, table, frame, layout)
        problems.extend(header_problems)
        if table == "participants":
            for col in name_columns:
                names.update(n for n in map(_norm, frame[col].astype(object)) if n)
                sources.append(f"participants column {_column(layout, col)}")
        columns = value_columns or [c for c in frame.columns if c not in ("source", "_row")]
        problems.extend(_value_findings(study, table, frame, columns, layout))
    if names:
        problems.extend(_name_matches(study, names, " or ".join(sources)))
    return problems


def format_findings(problems: Sequence[Problem], limit: int = 10) -> str:
    """Return findings as indented lines, at most ``limit`` of them, then ``... and N more``."""
    lines = [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more (run `python -m analysis check` "
                     "to see all)")
    return "\n".join(lines)


# --- masking text that is shown -------------------------------------------------------------

#: What a masked e-mail address, phone number or name is shown as.
MASKS = {"email": "[e-mail removed]", "phone": "[phone number removed]", "name": "[name removed]"}


def mask_identifying(text: str, *, names: Iterable[str] = ()) -> str:
    """Return ``text`` with e-mail addresses, phone numbers and the given names masked.

    The same heuristics as :func:`find_identifying`: e-mail addresses, runs of digits that
    look like phone numbers (dates, years, decimals and the like are left alone), and each
    of ``names`` as a whole word or phrase, ignoring case (real names are only known when a
    participants sheet has a name column, see :func:`real_names`). Used on every quotation
    a report shows.

    Parameters
    ----------
    text : str
    names : iterable of str
        Real names to mask (``"Anna Bianchi"`` also masks ``"anna bianchi"``).

    Returns
    -------
    str

    Examples
    --------
    >>> mask_identifying("Call me on +39 333 123 4567 or a.b@example.org, Anna.",
    ...                  names=["Anna"])
    'Call me on [phone number removed] or [e-mail removed], [name removed].'
    >>> mask_identifying("Met on 2020-04-01 with 12 people.")
    'Met on 2020-04-01 with 12 people.'
    """
    out = _EMAIL.sub(MASKS["email"], text)
    protected = {m.span() for m in _NOT_PHONE.finditer(out)} | {
        m.span() for m in _CITATION.finditer(out)}

    def phone(m: re.Match[str]) -> str:
        inside = any(a <= m.start() < b or a < m.end() <= b for a, b in protected)
        return MASKS["phone"] if not inside and _is_phone(m.group()) else m.group()

    out = _PHONE.sub(phone, out)
    for name in sorted({" ".join(n.split()) for n in names if n and n.strip()}, key=len,
                       reverse=True):
        words = r"\s+".join(re.escape(w) for w in name.split())
        out = re.sub(rf"(?<!\w){words}(?!\w)", MASKS["name"], out, flags=re.IGNORECASE)
    return out


def real_names(study: Study) -> list[str]:
    """Return the values of the participants' name columns (what :func:`mask_identifying` masks).

    A column counts as names when its header suggests names (:func:`header_identifier`);
    pseudonyms are never in such a column. Each full value is returned, and its single
    words of three letters or more (first names and surnames said alone).
    """
    frame = study.participants
    if frame is None or not len(frame):
        return []
    found: list[str] = []
    for col in frame.columns:
        if col in _TEMPLATE_COLUMNS or header_identifier(col) != "names":
            continue
        for value in frame[col].dropna().astype(str):
            value = " ".join(value.split())
            if value:
                found.append(value)
                found.extend(w for w in value.split() if len(w) >= 3)
    return list(dict.fromkeys(found))
