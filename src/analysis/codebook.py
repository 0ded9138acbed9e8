"""Theme labels and the codebook: normalization, aliases, categories, validation.

Researchers type theme labels by hand, so the same theme arrives as ``"Fear of contagion"``,
``"fear of  contagion "`` or ``"Fear of\u00a0contagion"``. :func:`normalize_label` makes the
spelling tidy; :func:`label_key` gives the key two labels must share to count as one theme
(case folded). The codebook's spelling wins; without a codebook the first spelling seen wins.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from .study import Problem

__all__ = [
    "CODEBOOK_COLUMNS",
    "apply_codebook",
    "label_key",
    "normalize_label",
    "split_aliases",
    "suggest_themes",
    "validate_codebook",
]

#: Columns of the codebook table, in order.
CODEBOOK_COLUMNS: tuple[str, ...] = ("theme", "category", "definition", "aliases")

# Zero-width and invisible formatting characters that spreadsheets and web copy-paste leave behind.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Any run of Unicode white space (includes no-break and narrow no-break spaces).
_SPACES = re.compile(r"\s+")
_ALIAS_SPLIT = re.compile(r"\s*[;|\n]\s*")


def normalize_label(label: object) -> str:
    r"""Return the tidy spelling of a theme label.

    Applies Unicode NFC composition, removes zero-width characters and soft hyphens, turns
    every run of white space (including no-break spaces, tabs and line breaks) into one
    space and strips both ends. Case is kept. The result is idempotent:
    ``normalize_label(normalize_label(x)) == normalize_label(x)``.

    Parameters
    ----------
    label : object
        A cell value; ``None`` and NaN give ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> normalize_label("  Fear of\\u00a0contagion\\u200b ")
    'Fear of contagion'
    """
    if label is None or (isinstance(label, float) and label != label):
        return ""
    text = unicodedata.normalize("NFC", str(label)).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def label_key(label: object) -> str:
    """Return the matching key of a label: its normalized spelling, case folded.

    Two labels with the same key are the same theme.

    Examples
    --------
    >>> label_key("Fear of Contagion ") == label_key("fear of contagion")
    True
    """
    return unicodedata.normalize("NFC", normalize_label(label).casefold())


def split_aliases(value: object) -> list[str]:
    """Split a codebook ``aliases`` cell on ``;``, ``|`` or line breaks into clean labels."""
    text = normalize_label(value) if not isinstance(value, str) else value
    parts = _ALIAS_SPLIT.split(text) if text else []
    return [p for p in (normalize_label(x) for x in parts) if p]


def suggest_themes(label: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` known themes closest in spelling to ``label`` (best first).

    Uses :func:`difflib.get_close_matches` on case-folded labels with a cutoff of 0.6.
    """
    known = list(known)
    by_key: dict[str, str] = {}
    for k in known:
        by_key.setdefault(label_key(k), k)
    matches = difflib.get_close_matches(label_key(label), list(by_key), n=n, cutoff=0.6)
    return [by_key[m] for m in matches]


def validate_codebook(
    codebook: pd.DataFrame, *, file: str | None = None, sheet: str | None = "codebook"
) -> list[Problem]:
    """Check that every theme sits in exactly one category.

    Parameters
    ----------
    codebook : pandas.DataFrame
        Columns ``theme`` and ``category``; an optional integer column ``_row`` holds the
        spreadsheet row of each entry (used in messages).
    file, sheet : str, optional
        Where the codebook was read from, for the messages.

    Returns
    -------
    list of Problem
        One error per theme listed under two or more categories, naming the categories and
        rows; one warning per theme listed twice under the same category; one error per
        alias that points at two themes.
    """
    problems: list[Problem] = []
    if codebook.empty:
        return problems
    rows = codebook["_row"] if "_row" in codebook else pd.Series(range(2, len(codebook) + 2))
    seen: dict[str, list[tuple[str, str, int]]] = {}
    for theme, category, row in zip(codebook["theme"], codebook["category"], rows, strict=True):
        seen.setdefault(label_key(theme), []).append((theme, category, int(row)))
    for entries in seen.values():
        if len(entries) < 2:
            continue
        cats = {label_key(c) for _, c, _ in entries}
        where = ", ".join(f"'{c}' (row {r})" for _, c, r in entries)
        if len(cats) > 1:
            problems.append(
                Problem(
                    f"theme '{entries[0][0]}' is listed under {len(cats)} categories: {where}; "
                    "categories must be mutually exclusive, so keep one row",
                    file=file,
                    sheet=sheet,
                    row=entries[1][2],
                    column="A (theme)",
                )
            )
        else:
            problems.append(
                Problem(
                    f"theme '{entries[0][0]}' is listed twice under {where}; the first row is used",
                    file=file,
                    sheet=sheet,
                    row=entries[1][2],
                    column="A (theme)",
                    severity="warning",
                )
            )
    alias_owner: dict[str, tuple[str, int]] = {}
    theme_keys = set(seen)
    aliases = codebook["aliases"] if "aliases" in codebook else [None] * len(codebook)
    for theme, alias_cell, row in zip(codebook["theme"], aliases, rows, strict=True):
        for alias in split_aliases(alias_cell):
            key = label_key(alias)
            if key in theme_keys and key != label_key(theme):
                problems.append(
                    Problem(
                        f"alias '{alias}' of theme '{theme}' is itself a theme of the codebook",
                        file=file,
                        sheet=sheet,
                        row=int(row),
                        column="D (aliases)",
                    )
                )
            prev = alias_owner.get(key)
            if prev and label_key(prev[0]) != label_key(theme):
                problems.append(
                    Problem(
                        f"alias '{alias}' is given to two themes: '{prev[0]}' (row {prev[1]}) "
                        f"and '{theme}' (row {row})",
                        file=file,
                        sheet=sheet,
                        row=int(row),
                        column="D (aliases)",
                    )
                )
            alias_owner.setdefault(key, (theme, int(row)))
    return problems


def apply_codebook(notes: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Give every note the category of its theme, as an ordered categorical.

    Parameters
    ----------
    notes : pandas.DataFrame
        Notes with a ``theme`` column whose labels are already mapped to codebook spellings.
    codebook : pandas.DataFrame
        Columns ``theme`` and ``category``; category order is the order of first appearance.

    Returns
    -------
    pandas.DataFrame
        A copy of ``notes`` with ``category`` set; themes missing from the codebook get a
        missing category. The number of rows never changes.
    """
    out = notes.copy()
    if codebook.empty:
        out["category"] = pd.Categorical([None] * len(out), categories=[], ordered=True)
        return out
    categories = list(dict.fromkeys(codebook["category"]))
    mapping = dict(zip(codebook["theme"], codebook["category"], strict=True))
    # Map through the categorical's categories (few) rather than the rows (many).
    theme = out["theme"].astype("category")
    cat_codes = pd.Categorical(
        theme.cat.categories.map(lambda t: mapping.get(t)), categories=categories, ordered=True
    ).codes
    codes = theme.cat.codes.to_numpy()
    values = cat_codes[codes]
    values[codes < 0] = -1
    out["category"] = pd.Categorical.from_codes(values, categories=categories, ordered=True)
    return out
