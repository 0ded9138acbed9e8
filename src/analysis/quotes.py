"""Illustrative quotations: a few notes per theme, chosen reproducibly, and the codebook table.

Qualitative reports live on the participants' own words (COREQ item 29; SRQR "links to
empirical data"). :func:`choose_quotes` picks, for each theme, up to ``n`` notes that a
reader can take in at a glance, spread across groups and sessions, with no randomness: the
same workbook always gives the same quotes. Every quote passes
:func:`analysis.privacy.mask_identifying` (e-mail addresses, phone numbers and known real
names masked) before it is shown; speakers are shown only as their pseudonyms.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._checks import require_columns
from .privacy import mask_identifying

__all__ = ["QUOTE_COLUMNS", "choose_quotes", "codebook_table", "is_complete", "quotes_html"]

#: Columns of :func:`choose_quotes`.
QUOTE_COLUMNS = ("theme", "category", "rank", "quote", "group", "session", "speaker",
                 "marked", "source")

_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")
_TRUE = frozenset({"x", "yes", "y", "true", "1", "quote", "q", "*", "✓", "sì", "si", "ja", "oui"})


def is_complete(text: object, *, min_chars: int = 20, max_chars: int = 280) -> bool:
    """Return True when a note reads as a complete sentence of a quotable length.

    Complete: starts with a letter, digit or opening quote, ends with ``.``, ``!``, ``?`` or
    ``…`` (closing quotes or brackets allowed after it), and is ``min_chars`` to
    ``max_chars`` characters long.

    Examples
    --------
    >>> is_complete("Said that visits stopped."), is_complete("visits stopped"),
    (True, False)
    """
    if not isinstance(text, str):
        return False
    t = " ".join(text.split())
    return (min_chars <= len(t) <= max_chars and bool(_END.search(t))
            and (t[0].isalnum() or t[0] in "\"'“‘«"))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _same(a: set[str], b: set[str], threshold: float = 0.7) -> bool:
    """Two notes say the same when their word sets overlap by ``threshold`` (Jaccard)."""
    return bool(a or b) and len(a & b) / len(a | b) >= threshold


def _marked(values: pd.Series) -> np.ndarray:
    """Truthy marks of a ``quote`` column (``x``, ``yes``, ``1``, ``True``, ...)."""
    def one(v: object) -> bool:
        if isinstance(v, bool | np.bool_):
            return bool(v)
        if isinstance(v, int | float | np.integer | np.floating):
            return bool(v == v and v != 0)
        return isinstance(v, str) and v.strip().casefold() in _TRUE

    return np.array([one(v) for v in values.astype(object)], dtype=bool)


def choose_quotes(
    notes: pd.DataFrame,
    *,
    themes: Iterable[str] | None = None,
    n: int = 3,
    quote_column: str = "quote",
    min_chars: int = 20,
    max_chars: int = 280,
    names: Iterable[str] = (),
) -> pd.DataFrame:
    """Choose up to ``n`` illustrative notes per theme, reproducibly.

    Order of preference within a theme:

    1. notes marked in an optional ``quote`` column (``x``, ``yes``, ``1``, ``True``);
    2. complete notes (:func:`is_complete`) before fragments; notes longer than
       ``max_chars`` or without text are never chosen;
    3. shorter notes first; ties by group order, session, then position in the input.

    Then the quotes are spread: each next quote comes from a group not yet quoted for
    the theme when there is one, else from a session not yet quoted, else the next in order.
    A note that repeats a chosen one (70% or more of the same words, as when the same remark
    was noted in several sessions) is not chosen again, so a theme may get fewer quotes.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``note`` holds the text; ``speaker`` the pseudonym).
    themes : iterable of str, optional
        Themes to quote, in this order (default: every theme with a note, in codebook
        order).
    n : int, default 3
        Most quotes per theme.
    quote_column : str, default "quote"
        Column marking notes the researcher chose as quotes (used when present).
    min_chars, max_chars : int
        Length of a complete note; longer notes are not quoted.
    names : iterable of str
        Real names to mask in the quotes (e.g. a participants sheet's name column), besides
        e-mail addresses and phone numbers.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUOTE_COLUMNS`: ``theme``, ``category`` (or missing), ``rank`` (1 to
        ``n`` within the theme), ``quote`` (the note, whitespace collapsed, identifiers
        masked), ``group``, ``session``, ``speaker`` (pseudonym or missing), ``marked``
        (chosen in the quote column), ``source`` (cell). Themes without a quotable note get
        no row.
    """
    require_columns(notes, ("group", "session", "theme"))
    if n < 1:
        raise ValueError(f"n={n!r}: give 1 or more quotes per theme")
    names = [x for x in names if isinstance(x, str) and x.strip()]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in QUOTE_COLUMNS})
    if "note" not in notes or not len(notes):
        return empty
    text = notes["note"].astype(object).map(
        lambda v: " ".join(v.split()) if isinstance(v, str) else None)
    ok = text.notna() & (text.str.len().fillna(0) <= max_chars) & (
        text.str.len().fillna(0) > 0)
    data = pd.DataFrame({
        "theme": notes["theme"].astype(object), "text": text,
        "group_code": notes["group"].cat.codes if isinstance(
            notes["group"].dtype, pd.CategoricalDtype) else pd.factorize(notes["group"])[0],
        "session": notes["session"], "position": np.arange(len(notes)),
    })[ok.to_numpy()]
    frame = notes[ok.to_numpy()]
    data["marked"] = (_marked(frame[quote_column]) if quote_column in frame
                      else np.zeros(len(frame), dtype=bool))
    data["complete"] = [is_complete(t, min_chars=min_chars, max_chars=max_chars)
                        for t in data["text"]]
    data["length"] = data["text"].str.len()
    data = data.sort_values(
        ["marked", "complete", "length", "group_code", "session", "position"],
        ascending=[False, False, True, True, True, True], kind="stable")
    wanted = list(themes) if themes is not None else [
        t for t in notes["theme"].cat.categories if (notes["theme"] == t).any()
    ] if isinstance(notes["theme"].dtype, pd.CategoricalDtype) else list(
        dict.fromkeys(notes["theme"].dropna()))
    # plain lists, read by position: a theme's candidates are looked at many times over
    texts = data["text"].tolist()
    group_codes = data["group_code"].tolist()
    note_sessions = data["session"].tolist()
    positions = data["position"].tolist()
    marks = data["marked"].tolist()
    word_sets: dict[int, set[str]] = {}

    def words_of(k: int) -> set[str]:
        if k not in word_sets:
            word_sets[k] = _words(texts[k])
        return word_sets[k]

    columns = {c: notes[c].tolist() for c in ("category", "group", "session", "speaker",
                                              "source") if c in notes}
    rows = []
    by_theme = data.groupby("theme", sort=False).indices  # rows of data, in sorted order
    for theme in wanted:
        candidates = by_theme.get(theme)
        if candidates is None:
            continue
        chosen: list[int] = []
        groups, sessions = set(), set()
        words: list[set[str]] = []
        while len(chosen) < n:
            # a note that says what a chosen one says (in other words of reporting) is skipped
            left = [k for k in candidates if k not in chosen
                    and not any(_same(words_of(k), w) for w in words)]
            if not left:
                break
            pick = next((k for k in left if group_codes[k] not in groups), None)
            if pick is None:
                pick = next((k for k in left if (group_codes[k], note_sessions[k])
                             not in sessions), left[0])
            chosen.append(pick)
            words.append(words_of(pick))
            groups.add(group_codes[pick])
            sessions.add((group_codes[pick], note_sessions[pick]))
        for rank, k in enumerate(chosen, 1):
            at = positions[k]
            category = columns["category"][at] if "category" in columns else None
            speaker = columns["speaker"][at] if "speaker" in columns else None
            rows.append({
                "theme": str(theme),
                "category": str(category) if "category" in columns and pd.notna(category)
                else None,
                "rank": rank,
                "quote": mask_identifying(texts[k], names=names),
                "group": str(columns["group"][at]),
                "session": columns["session"][at],
                "speaker": (mask_identifying(str(speaker), names=names)
                            if "speaker" in columns and pd.notna(speaker) else None),
                "marked": bool(marks[k]),
                "source": str(columns["source"][at]) if "source" in columns else None,
            })
    if not rows:
        return empty
    return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS))


def codebook_table(codebook: pd.DataFrame, notes: pd.DataFrame,
                   quotes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the codebook as reviewers ask for it: definitions, counts and an example.

    Parameters
    ----------
    codebook : pandas.DataFrame
        ``study.codebook`` (``theme``, ``category``, ``definition``, ``aliases``); may be
        empty, then the themes of the notes are listed.
    notes : pandas.DataFrame
        The tidy notes table (one coder's notes, as counted in the report).
    quotes : pandas.DataFrame, optional
        :func:`choose_quotes` of the notes; its first quote of each theme is the example.

    Returns
    -------
    pandas.DataFrame
        One row per theme, in codebook order (then themes only in the notes). Columns
        ``category``, ``theme``, ``definition``, ``aliases``, ``notes``, ``sessions``
        (group-sessions), ``groups``, ``example`` (a quote with its group and session, or
        missing).
    """
    from .tables import theme_frequencies

    freq = theme_frequencies(notes).set_index("theme")
    if len(codebook) and "theme" in codebook:
        book = codebook.copy()
        for col in ("category", "definition", "aliases"):
            if col not in book:
                book[col] = None
        extra = [t for t in freq.index if t not in set(book["theme"])]
        book = pd.concat([book[["theme", "category", "definition", "aliases"]],
                          pd.DataFrame({"theme": extra,
                                        "category": freq.loc[extra, "category"].astype(object)
                                        if extra else []})], ignore_index=True)
    else:
        book = pd.DataFrame({"theme": list(freq.index),
                             "category": freq["category"].astype(object).to_list(),
                             "definition": None, "aliases": None})
    out = pd.DataFrame({
        "category": book["category"].astype(object).where(book["category"].notna(), None),
        "theme": book["theme"].astype(str),
        "definition": book["definition"],
        "aliases": book["aliases"],
    })
    for col in ("notes", "sessions", "groups"):
        out[col] = freq[col].reindex(out["theme"]).fillna(0).astype(np.int64).to_numpy()
    example: dict[str, str] = {}
    if quotes is not None and len(quotes):
        first = quotes[quotes["rank"] == 1]
        example = {r.theme: f"“{r.quote}” ({r.group}, session {r.session})"
                   for r in first.itertuples()}
    out["example"] = out["theme"].map(example)
    return out.reset_index(drop=True)


class _HTML(str):
    """A string that Jupyter displays as HTML (and prints as its text)."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        text = re.sub(r"</(p|h4|h5|footer|blockquote)>", "\n", str(self))
        return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def quotes_html(quotes: pd.DataFrame) -> str:
    """Return quotes as HTML blockquotes, grouped by category then theme, all text escaped.

    Parameters
    ----------
    quotes : pandas.DataFrame
        :func:`choose_quotes`.

    Returns
    -------
    str
        ``<section class="quotes">`` per category, ``<div class="quote-theme"
        data-theme="...">`` per theme holding ``<blockquote>`` elements whose ``<footer>``
        gives group, session and the speaker's pseudonym. Displays as HTML in notebooks.
    """
    parts = []
    for category, by_cat in quotes.groupby("category", sort=False, dropna=False):
        label = "Without a category" if pd.isna(category) else str(category)
        parts.append(f'<section class="quotes"><h4>{html.escape(label)}</h4>')
        for theme, part in by_cat.groupby("theme", sort=False):
            items = "".join(
                f"<blockquote><p>{html.escape(q.quote)}</p><footer>{html.escape(q.group)}, "
                f"session {html.escape(str(q.session))}"
                + (f", {html.escape(q.speaker)}" if isinstance(q.speaker, str) else "")
                + "</footer></blockquote>" for q in part.itertuples())
            parts.append(f'<div class="quote-theme" data-theme="{html.escape(theme)}">'
                         f"<h5>{html.escape(theme)}</h5>{items}</div>")
        parts.append("</section>")
    return _HTML("".join(parts))
