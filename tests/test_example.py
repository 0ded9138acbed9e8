"""The synthetic example study has the properties DESIGN.md and the reference study describe.

Counts are recomputed here straight from the workbook with openpyxl, not with the package.
"""

import hashlib
import subprocess
import sys
from collections import Counter, defaultdict

import openpyxl
import pytest

from tests.conftest import EXAMPLE, ROOT


@pytest.fixture(scope="module")
def sheets():
    wb = openpyxl.load_workbook(EXAMPLE, read_only=True)
    out = {}
    for name in wb.sheetnames:
        rows = list(wb[name].iter_rows(values_only=True))
        header = rows[0]
        out[name] = [dict(zip(header, r, strict=False)) for r in rows[1:]
                     if any(v is not None for v in r)]
    wb.close()
    return out


def test_structure(sheets):
    notes, sessions, people = sheets["notes"], sheets["sessions"], sheets["participants"]
    assert sorted({r["group"] for r in notes}) == ["Group 1", "Group 2", "Group 3"]
    assert len({(r["group"], r["session"]) for r in sessions}) == 28
    dates = sorted(r["date"] for r in sessions)
    assert dates[0].date().isoformat() == "2020-04-01" and dates[-1].month == 6
    attendance = [r["attendance"] for r in sessions]
    assert 9 <= min(attendance) and max(attendance) <= 15
    assert 10.5 <= sum(r["attendance"] for r in sessions) / 28 <= 11.5
    assert {r["duration_min"] for r in sessions} >= {90}
    assert len(people) == 45 and {r["gender"] for r in people} == {"female"}
    ages = [r["age"] for r in people]
    assert (min(ages), max(ages)) == (24, 58) and 33 <= sum(ages) / 45 <= 36
    exp = [r["years_experience"] for r in people]
    assert (min(exp), max(exp)) == (1, 32) and 8 <= sum(exp) / 45 <= 10.5
    regions = Counter(r["region"] for r in people)
    assert regions["Lombardy"] == 41
    assert sum(regions[r] for r in ("Piemonte", "Toscana", "Veneto")) == 4


def test_codebook_and_patterns(sheets):
    codebook = {r["theme"]: r["category"] for r in sheets["codebook"]}
    assert len(codebook) >= 30
    per_cat = Counter(codebook.values())
    assert len(per_cat) == 3 and min(per_cat.values()) >= 9
    aliases = {a.strip().casefold(): r["theme"] for r in sheets["codebook"] if r["aliases"]
               for a in r["aliases"].split(";")}

    def canon(label):
        key = " ".join(label.split()).casefold()
        return next((t for t in codebook if t.casefold() == key), aliases.get(key))

    notes = [dict(r, theme=canon(r["theme"])) for r in sheets["notes"]]
    assert all(r["theme"] for r in notes)
    valence = Counter(r["valence"] for r in notes)
    assert valence["negative"] > valence["positive"] > 0
    groups_of = defaultdict(set)
    for r in notes:
        groups_of[r["theme"]].add(r["group"])
    personal = [t for t, c in codebook.items() if c == "Personal & emotional"]
    assert all(len(groups_of[t]) == 3 for t in personal)
    others = [t for t, c in codebook.items() if c != "Personal & emotional"]
    assert any(len(groups_of[t]) < 3 for t in others)
    for t in ("Unexpected networks", "Benefits of online interviews",
              "Unexpected resources of service users"):
        assert len(groups_of[t]) == 3
        tones = Counter(r["valence"] for r in notes if r["theme"] == t)
        assert tones.most_common(1)[0][0] == "positive"


def test_reading_matches_the_independent_count(example_study, sheets):
    assert len(example_study.notes) == len(sheets["notes"])
    assert example_study.summary()["rejected"] == 0
    assert example_study.log.errors == [] and example_study.log.warnings == []
    in_sheet = list(dict.fromkeys(r["category"] for r in sheets["codebook"]))
    assert example_study.categories == in_sheet


def test_generator_is_deterministic(tmp_path):
    target = tmp_path / "again.xlsx"
    subprocess.run([sys.executable, str(ROOT / "data" / "make_example.py"), str(target)],
                   check=True, capture_output=True)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == \
        hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
