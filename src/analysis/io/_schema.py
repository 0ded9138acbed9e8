"""The tables of the template workbook: their columns, what each means, and accepted headers.

One definition serves the reader (header matching), the template writer (header comments and
the valence drop-down) and the data dictionary in ``data/README.md``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["SHEETS", "Column", "SheetSpec", "header_key", "match_headers"]


@dataclass(frozen=True)
class Column:
    """One column of a template sheet."""

    name: str
    required: bool
    description: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of the template workbook."""

    name: str
    description: str
    columns: tuple[Column, ...]
    synonyms: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(c.name for c in self.columns if c.required)


_HEADER_NOISE = re.compile(r"[\s_\-.:/()#]+")


def header_key(text: object) -> str:
    """Return the key a header cell is matched by: case folded, spaces and ``_-.`` removed."""
    return _HEADER_NOISE.sub("", str(text or "").casefold())


NOTES = SheetSpec(
    "notes",
    "One row per theme noted in a session (long layout).",
    (
        Column("group", True, "The group the session belongs to, e.g. 'Group 1'.",
               ("gruppo", "gruppe", "groupe", "grupo", "groupname")),
        Column("session", True,
               "Session number within its group: a whole number from 1 ('3', 'S3' and "
               "'Session 3' are read as 3). May be left blank when the date identifies the "
               "session in the sessions sheet.",
               ("sessionno", "sessionnumber", "sessionnr", "sess", "meeting", "seduta",
                "incontro", "sitzung", "seance", "sesion", "sessione")),
        Column("date", False,
               "Date of the session (a date cell, or text such as 2020-04-01 or 01/04/2020, "
               "day first). Filled from the sessions sheet when blank.",
               ("sessiondate", "data", "datum", "fecha", "day")),
        Column("theme", True,
               "The theme as noted. Spelling variants (case, extra spaces) are merged; the "
               "codebook's spelling is shown.",
               ("themes", "code", "tag", "tema", "thema", "topic", "label")),
        Column("category", False,
               "Category of the theme. Normally left blank here and given once per theme in "
               "the codebook sheet.",
               ("categoria", "kategorie", "categorie", "parentcode")),
        Column("valence", False,
               "Tone of the content: negative, positive or neutral (blank = neutral; '+' and "
               "'-' are accepted).",
               ("tone", "polarity", "sign", "valenza", "sentiment")),
        Column("note", False, "Paraphrase or short quote (use pseudonyms only).",
               ("notes", "quote", "content", "text", "excerpt", "comment", "nota")),
        Column("speaker", False, "Pseudonym of the participant who raised it.",
               ("participant", "pseudonym", "who")),
        Column("coder", False, "Who noted it (for double coding).",
               ("codedby", "rater", "annotator", "codificatore")),
        Column("quote", False,
               "Mark a note to quote in the report: TRUE, x or yes (blank = not a quote). A "
               "'quote' column holding text and no 'note' column is read as the note.",
               ("quoted", "forreport", "citazione")),
    ),
    ("note", "data", "codings", "themes"),
)

CODEBOOK = SheetSpec(
    "codebook",
    "One row per theme: the category it belongs to (exactly one), a definition, aliases.",
    (
        Column("theme", True, "Theme label as it should be shown.",
               ("code", "tag", "name", "tema")),
        Column("category", True,
               "The one category of this theme. Categories are shown in the order they "
               "first appear in this sheet.",
               ("categoria", "kategorie", "parent")),
        Column("definition", False, "What the theme covers, for coders and readers.",
               ("description", "definizione", "memo")),
        Column("aliases", False,
               "Other spellings or merged raw labels counted as this theme, separated by ';'.",
               ("alias", "synonyms", "mergedlabels")),
    ),
    ("codes", "themes list"),
)

SESSIONS = SheetSpec(
    "sessions",
    "One row per session: when it took place, who attended, how long it lasted.",
    (
        Column("group", True, "Group, spelled as in the notes.", ("gruppo",)),
        Column("session", True, "Session number within the group (1, 2, ...).",
               ("sessionno", "sessionnumber", "seduta", "incontro")),
        Column("date", False, "Date of the session.", ("sessiondate", "data", "datum")),
        Column("attendance", False, "Number of participants present.",
               ("present", "participants", "n", "presenti")),
        Column("duration_min", False, "Duration in minutes.",
               ("duration", "minutes", "durata", "length")),
        Column("coder", False,
               "Double-coded sessions only: the coder whose notes the tables count for this "
               "session (blank: the one who coded most sessions).",
               ("primary coder", "codedby")),
    ),
)

PARTICIPANTS = SheetSpec(
    "participants",
    "One row per participant. Pseudonyms only: real names and contact details do not belong "
    "here.",
    (
        Column("pseudonym", True, "Pseudonym used in notes and reports.",
               ("participant", "alias", "id", "code")),
        Column("group", False, "Group the participant attended.", ("gruppo",)),
        Column("age", False, "Age in years.", ("eta", "alter")),
        Column("years_experience", False, "Years of professional experience.",
               ("experience", "yearsofexperience", "anni", "seniority")),
        Column("region", False, "Region of work.", ("regione", "area", "location")),
        Column("gender", False, "Gender, as self-described.", ("sex", "genere")),
    ),
)

RATINGS = SheetSpec(
    "ratings",
    "Optional: scores on a 0-10 scale (e.g. helpfulness), per participant or per group.",
    (
        Column("pseudonym", False, "Who gave the rating (blank for a group rating).",
               ("participant",)),
        Column("group", False, "Group the rating refers to.", ("gruppo",)),
        Column("session", False, "Session the rating refers to, if any.", ()),
        Column("item", True, "What was rated, e.g. 'helpfulness'.", ("question", "scale")),
        Column("score", True, "Score from 0 to 10.", ("rating", "value", "punteggio")),
    ),
)

HISTORY = SheetSpec(
    "codebook_history",
    "Optional: how raw theme labels became the codebook, one operation per row, replayed on "
    "the notes in step order (written by Codebook operations; see README).",
    (
        Column("step", True, "Order of the operation (1, 2, ...).", ("order", "n")),
        Column("operation", True, "merge, rename, split or move.", ("op", "action")),
        Column("themes", True,
               "The theme(s) operated on; for merge, the labels merged, separated by ';'.",
               ("theme", "from", "source themes")),
        Column("target", False,
               "merge/rename: the resulting theme; split: the two new themes, 'matching; rest'.",
               ("into", "to", "new")),
        Column("category", False, "Category of the result (move: the new category).", ()),
        Column("rule", False,
               "split only: 'keyword: PATTERN' (searched in the note text) or "
               "'sources: notes!D12 notes!D40' (the notes that go to the first new theme).",
               ()),
        Column("comment", False, "Why: the researcher's note for the audit trail.",
               ("reason", "memo", "note")),
    ),
    ("history", "codebook history", "audit trail"),
)

#: The template sheets, in workbook order.
SHEETS: dict[str, SheetSpec] = {
    s.name: s for s in (NOTES, CODEBOOK, SESSIONS, PARTICIPANTS, RATINGS, HISTORY)
}


def sheet_for(name: str) -> SheetSpec | None:
    """Return the template sheet a workbook sheet name stands for, or ``None``."""
    key = header_key(name)
    for spec in SHEETS.values():
        if key == header_key(spec.name) or key in {header_key(s) for s in spec.synonyms}:
            return spec
    return None


@functools.cache
def _lookup(spec: SheetSpec) -> dict[str, str]:
    """Return header key -> column name for a sheet's column names and synonyms."""
    lookup: dict[str, str] = {}
    for col in spec.columns:
        lookup[header_key(col.name)] = col.name
        for syn in col.synonyms:
            lookup.setdefault(header_key(syn), col.name)
    return lookup


def match_headers(
    spec: SheetSpec, headers: list[object]
) -> tuple[dict[str, int], list[tuple[str, list[int]]], list[int]]:
    """Match header cells to the sheet's columns.

    Returns
    -------
    found : dict
        Column name -> zero-based index of the first header cell that names it.
    duplicated : list of (str, list of int)
        Columns named by more than one header cell, with every index.
    extra : list of int
        Indices of non-empty header cells that name no column of the sheet.
    """
    lookup = _lookup(spec)
    hits: dict[str, list[int]] = {}
    extra: list[int] = []
    for i, h in enumerate(headers):
        key = header_key(h)
        if not key:
            continue
        name = lookup.get(key)
        if name is None:
            extra.append(i)
        else:
            hits.setdefault(name, []).append(i)
    found = {name: idx[0] for name, idx in hits.items()}
    duplicated = [(name, idx) for name, idx in hits.items() if len(idx) > 1]
    return found, duplicated, extra
