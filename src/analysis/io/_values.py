"""Parsing single cell values: session numbers, dates, valence, marks. Pure functions.

Columns are parsed through their distinct values (:func:`map_unique`), so a million notes
with 28 distinct session numbers cost 28 parses, not a million.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import normalize_label

__all__ = [
    "Distinct",
    "is_blank",
    "map_unique",
    "parse_date",
    "parse_mark",
    "parse_session",
    "parse_valence",
]

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def is_blank(value: object) -> bool:
    """Return True for ``None``, NaN, and strings that are empty once normalized."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, str):
        return not normalize_label(value)
    return False


def map_unique(values: list[Any] | np.ndarray, func: Callable[[Any], Any]) -> np.ndarray:
    """Apply ``func`` once per distinct value and return the results for every position.

    Returns an object array the length of ``values``.
    """
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return Distinct(arr).map(func)


class Distinct:
    """A column of cell values factorized once, so each distinct value is parsed once.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional object array of cell values.

    Attributes
    ----------
    codes : numpy.ndarray
        Index of each value in the distinct values; ``-1`` for ``None`` and NaN.
    uniques : numpy.ndarray
        The distinct values other than ``None`` and NaN, in order of first appearance.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.codes, self._values = pd.factorize(values, use_na_sentinel=True)
        self._order: np.ndarray | None = None
        self._blank: np.ndarray | None = None

    @classmethod
    def from_codes(cls, codes: np.ndarray, values: np.ndarray,
                   order: np.ndarray | None = None) -> Distinct:
        """Return the factorization of a column already held as codes, without a copy.

        Parameters
        ----------
        codes : numpy.ndarray
            Integer index of each cell into ``values``; ``-1`` for ``None``.
        values : numpy.ndarray
            Object array of the values the codes point to. It may hold values no code uses.
        order : numpy.ndarray, optional
            The codes used, in order of first appearance in ``codes``; ``None`` when every
            value is used and ``values`` is already in that order (as factorizing gives).
        """
        self = cls.__new__(cls)
        self.codes, self._values, self._order = codes, values, order
        self._blank = None
        return self

    @property
    def uniques(self) -> np.ndarray:
        """The distinct values other than ``None`` and NaN, in order of first appearance."""
        return self._values if self._order is None else self._values[self._order]

    def _mapped(self, func: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        # one result per value the codes point to; the result for None/NaN goes last,
        # where code -1 points
        out = np.empty(len(self._values) + 1, dtype=dtype)
        for i, u in enumerate(self._values):
            out[i] = func(u)
        out[-1] = func(None)
        return out

    def map(self, func: Callable[[Any], Any], dtype: Any = object) -> np.ndarray:
        """Return ``func(value)`` for every position (``func(None)`` for None and NaN)."""
        return self._mapped(func, dtype)[self.codes]

    def labels(self, func: Callable[[Any], str]) -> pd.Categorical:
        """Return ``func(value)`` for every position as a categorical; ``""`` is missing.

        The categories are in order of first appearance, ``""`` left out.
        """
        mapped = self._mapped(func, object)
        k = len(self._values)
        used = (np.arange(k + 1) if self._order is None
                else np.append(self._order, k))  # func(None) last, as for -1
        inverse, cats = pd.factorize(mapped[used])
        empty = np.flatnonzero(cats == "")
        if len(empty):
            keep = np.ones(len(cats), dtype=bool)
            keep[empty] = False
            remap = np.where(keep, np.cumsum(keep) - 1, -1)
            cats, inverse = cats[keep], remap[inverse]
        dtype = (np.int8 if len(cats) < 2**7 else np.int16 if len(cats) < 2**15
                 else np.int32 if len(cats) < 2**31 else np.int64)
        table = np.full(k + 1, -1, dtype=dtype)
        table[used] = inverse
        return pd.Categorical.from_codes(table[self.codes], categories=cats)

    @property
    def blank(self) -> np.ndarray:
        """Return a boolean array, True where the cell is blank (see :func:`is_blank`)."""
        if self._blank is None:
            self._blank = self.map(is_blank, bool)
        return self._blank


# --- session numbers ------------------------------------------------------------------------

_SESSION_WORDS = (
    r"s|sess|session|sessione|seduta|incontro|meeting|week|settimana|sitzung|treffen|"
    r"s[ée]ance|sesi[óo]n|reuni[óo]n|n|no|nr|n[°º]|num|number|numero|#"
)
_SESSION_RE = re.compile(rf"^(?:(?:{_SESSION_WORDS})\.?\s*)?(\d{{1,6}})(?:\.0+)?$", re.IGNORECASE)


def parse_session(value: object) -> int | None:
    """Parse a session number: ``3``, ``3.0``, ``"3"``, ``"S3"``, ``"Session 3"``, ``"n. 3"``.

    Returns
    -------
    int or None
        The number if it is a whole number >= 1, else ``None``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 else None
    if isinstance(value, float):
        if value != value or not value.is_integer() or value < 1:
            return None
        return int(value)
    if isinstance(value, str):
        m = _SESSION_RE.match(normalize_label(value))
        if m:
            n = int(m.group(1))
            return n if n >= 1 else None
    return None


# --- dates ---------------------------------------------------------------------------------

# Month names and abbreviations in English, Italian, French, German and Spanish.
_MONTH_TABLE = """
1  january jan gennaio gen janvier janv januar enero ene
2  february feb febbraio février fevrier févr fevr februar febrero
3  march mar marzo mars märz marz mär
4  april apr aprile avril avr abril abr
5  may maggio mag mai mayo
6  june jun giugno giu juin juni junio
7  july jul luglio lug juillet juil juli julio
8  august aug agosto ago août aout
9  september sep sept settembre set septembre septiembre
10 october oct ottobre ott octobre oktober okt octubre
11 november nov novembre noviembre
12 december dec dicembre dic décembre decembre dezember dez diciembre
"""
_MONTHS = {name: int(line.split()[0]) for line in _MONTH_TABLE.strip().splitlines()
           for name in line.split()[1:]}
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_YMD_SLASH_RE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_WORDY_RE = re.compile(
    r"^(?:[^\W\d]+,?\s+)?"  # optional weekday: "mercoledì 1 aprile 2020"
    r"(\d{1,2})(?:st|nd|rd|th|°|º|\.)?\s+([^\W\d]+)\.?,?\s+(\d{4})$"
)
_WORDY_US_RE = re.compile(r"^([^\W\d]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if len(y) == 2 and n < 70 else (n + 1900 if len(y) == 2 else n)


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(value: object, *, dayfirst: bool = True) -> dt.date | None:
    """Parse a date cell.

    Accepts date and datetime objects, Excel serial numbers (1950-2150), ISO text
    (``2020-04-01``), numeric text (``01/04/2020``, ``1.4.20``; day first unless
    ``dayfirst=False``, and the other order when the first reading is impossible) and month
    names in English, Italian, French, German and Spanish (``1 aprile 2020``,
    ``April 1, 2020``).

    Returns
    -------
    datetime.date or None
        ``None`` when the value is not a recognizable date.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, int | float):
        if value != value or not 18264 <= value <= 91311:  # 1950-01-01 .. 2150-01-01
            return None
        return (_EXCEL_EPOCH + dt.timedelta(days=float(value))).date()
    if not isinstance(value, str):
        return None
    text = normalize_label(value)
    if not text:
        return None
    if m := _ISO_RE.match(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _YMD_SLASH_RE.match(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC_RE.match(text):
        a, b, y = int(m[1]), int(m[2]), _year(m[3])
        first = (y, b, a) if dayfirst else (y, a, b)
        other = (y, a, b) if dayfirst else (y, b, a)
        return _safe_date(*first) or _safe_date(*other)
    if m := _WORDY_RE.match(text):
        month = _MONTHS.get(m[2].casefold().rstrip("."))
        return _safe_date(int(m[3]), month, int(m[1])) if month else None
    if m := _WORDY_US_RE.match(text):
        month = _MONTHS.get(m[1].casefold().rstrip("."))
        return _safe_date(int(m[3]), month, int(m[2])) if month else None
    return None


# --- valence --------------------------------------------------------------------------------

_VALENCE_WORDS = {
    "negative": "negative", "neg": "negative", "-": "negative", "−": "negative",
    "negativo": "negative", "negativa": "negative", "négatif": "negative", "negatif": "negative",
    "negativ": "negative", "n": "negative",
    "positive": "positive", "pos": "positive", "+": "positive", "positivo": "positive",
    "positiva": "positive", "positif": "positive", "positiv": "positive", "p": "positive",
    "neutral": "neutral", "neu": "neutral", "0": "neutral", "neutro": "neutral",
    "neutra": "neutral", "neutre": "neutral", "=": "neutral", "mixed": "neutral",
    "": "neutral",
}


def parse_valence(value: object) -> str | None:
    """Parse a valence cell into ``"negative"``, ``"neutral"`` or ``"positive"``.

    Blank gives ``"neutral"``; ``+``/``-``, common abbreviations and Italian, French, German
    and Spanish words are accepted. Anything else gives ``None``.
    """
    if value is None or (isinstance(value, float) and value != value):
        return "neutral"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {1: "positive", -1: "negative", 0: "neutral"}.get(value)
    return _VALENCE_WORDS.get(normalize_label(value).casefold())


# --- grid marks -----------------------------------------------------------------------------

_TICKS = {"x", "✓", "✔", "☑", "✗", "*", "•", "●", "yes", "y", "si", "sì", "ja", "oui", "v"}
_SIGNS = re.compile(r"^[+\-−]+$")


def parse_mark(value: object) -> list[str] | None:
    """Parse a grid cell into the valences of the notes it stands for.

    ``x`` (or a tick) is one neutral note; a whole number ``n`` is ``n`` neutral notes (0 is
    none); ``+`` is one positive and ``-`` one negative note, and a run such as ``++-`` is one
    note per sign.

    Returns
    -------
    list of str or None
        One valence per note (empty for a blank or zero cell); ``None`` when the cell holds
        something else.
    """
    if value is None or isinstance(value, bool):
        return [] if value is None else (["neutral"] if value else [])
    if isinstance(value, int | float):
        if value != value:
            return []
        if float(value).is_integer() and 0 <= value <= 10_000:
            return ["neutral"] * int(value)
        return None
    if isinstance(value, dt.date):
        return None
    text = normalize_label(value)
    if not text:
        return []
    if text.casefold() in _TICKS:
        return ["neutral"]
    if _SIGNS.match(text):
        return ["positive" if c == "+" else "negative" for c in text]
    if text.isdigit() and len(text) <= 5:
        return ["neutral"] * int(text)
    return None
