import datetime as dt

import pytest

from analysis.codebook import label_key, normalize_label, split_aliases, suggest_themes
from analysis.io._values import parse_date, parse_mark, parse_session, parse_valence

D = dt.date(2020, 4, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (3.0, 3), ("3", 3), ("S3", 3), ("s 3", 3), ("Session 3", 3), ("session3", 3),
     ("Sessione 3", 3), ("n. 3", 3), ("#3", 3), ("Séance 3", 3), ("3.0", 3), (" 12 ", 12),
     (0, None), (-1, None), (2.5, None), ("abc", None), ("", None), (None, None),
     (True, None), ("3a", None)],
)
def test_parse_session(value, expected):
    assert parse_session(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D, D), (dt.datetime(2020, 4, 1, 10, 30), D), ("2020-04-01", D), ("2020-4-1", D),
     ("01/04/2020", D), ("1.4.2020", D), ("01-04-20", D), ("1 aprile 2020", D),
     ("1 April 2020", D), ("April 1, 2020", D), ("Apr 1 2020", D), ("1er avril 2020", None),
     ("1. April 2020", D), ("mercoledì 1 aprile 2020", D), (43922, D), (43922.0, D),
     ("2020/04/01", D), ("31/02/2020", None), ("not a date", None), (None, None), (5, None)],
)
def test_parse_date_dayfirst(value, expected):
    assert parse_date(value) == expected


def test_parse_date_monthfirst_and_fallback():
    assert parse_date("04/01/2020", dayfirst=False) == D
    # 13 cannot be a month: the other reading is used whatever the setting
    assert parse_date("04/13/2020") == dt.date(2020, 4, 13)
    assert parse_date("13/04/2020", dayfirst=False) == dt.date(2020, 4, 13)


def test_excel_serial_matches_excel_epoch():
    # Excel shows 43922 as 2020-04-01 (days since 1899-12-30, after the 1900 leap-year bug)
    assert parse_date(43922) == dt.date(1899, 12, 30) + dt.timedelta(days=43922)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "neutral"), ("", "neutral"), ("  ", "neutral"), ("-", "negative"),
     ("+", "positive"), ("Negative", "negative"), ("POS", "positive"), ("negativo", "negative"),
     ("positivo", "positive"), ("neutral", "neutral"), (1, "positive"), (-1, "negative"),
     (0, "neutral"), ("good", None), (2, None)],
)
def test_parse_valence(value, expected):
    assert parse_valence(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("x", ["neutral"]), ("X", ["neutral"]), ("✓", ["neutral"]), (1, ["neutral"]),
     (3, ["neutral"] * 3), ("2", ["neutral"] * 2), (0, []), (None, []), ("", []),
     ("+", ["positive"]), ("-", ["negative"]), ("+-", ["positive", "negative"]),
     ("++", ["positive", "positive"]), ("?", None), (2.5, None), ("maybe", None)],
)
def test_parse_mark(value, expected):
    assert parse_mark(value) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  Fear of  contagion ", "Fear of contagion"),
     ("Fear\u00a0of contagion", "Fear of contagion"),
     ("Fear of\u200b contagion", "Fear of contagion"),
     ("Cafe\u0301", "Caf\u00e9"),
     ("line\nbreak", "line break"),
     (None, ""), (float("nan"), "")],
)
def test_normalize_label(raw, expected):
    assert normalize_label(raw) == expected


def test_label_key_folds_case_but_normalize_keeps_it():
    assert normalize_label("Fear Of Contagion") == "Fear Of Contagion"
    assert label_key("Fear Of Contagion") == label_key("fear of\u00a0contagion ")
    assert label_key("STRASSE") == label_key("straße")  # casefold, not lower


def test_split_aliases():
    assert split_aliases("PPE; personal protective equipment | masks\ngloves") == [
        "PPE", "personal protective equipment", "masks", "gloves"]
    assert split_aliases(None) == []


def test_suggest_themes_finds_typo():
    known = ["Fear of contagion", "Fatigue and exhaustion", "Remote working"]
    assert suggest_themes("Fear of contagoin", known)[0] == "Fear of contagion"
    assert suggest_themes("zzzz", known) == []
