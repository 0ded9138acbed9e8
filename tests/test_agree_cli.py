"""`python -m analysis agree FIRST SECOND`: two coders' files compared session by session.

Every figure is checked against an independent computation: the 0/1 presence vectors are
written out by hand from the fixtures, kappa is computed from its 2x2 table, alpha with the
`krippendorff` package on those vectors.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from analysis.cli import main
from tests.conftest import write_xlsx

HEADER = ["Color", "Document group", "Document name", "Code", "Begin", "End", "Weight score",
          "Segment", "Modified by", "Modified", "Created by", "Created", "Area", "Coverage %"]


def maxqda(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Write a MAXQDA coded-segment CSV export: (document group, document name, code) rows."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for n, (group, doc, code) in enumerate(rows, start=1):
            writer.writerow(["", group, doc, code, n, n, 0, f"text {n}", "", "", "", "", 10, 1])
    return path


# coder 1 and coder 2 share Int 1 and Int 2 (group G1); Int 3 / Int 4 are one coder's only.
FIRST = [("G1", "Int 1", "Barriers\\Time"), ("G1", "Int 1", "Barriers\\Money"),
         ("G1", "Int 2", "Support"), ("G2", "Int 3", "Barriers\\Time")]
SECOND = [("G1", "Int 1", "Barriers\\Time"), ("G1", "Int 2", "Support"),
          ("G1", "Int 2", "Barriers\\Money"), ("G1", "Int 2", "Support"),
          ("G2", "Int 4", "Barriers\\Time")]
# units: (Int 1, Int 2) x (Money, Support, Time), codes in that order
A = np.array([1, 0, 1, 0, 1, 0])
B = np.array([0, 0, 1, 1, 1, 0])


def kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa from the 2x2 table of two 0/1 vectors."""
    n = len(a)
    po = np.mean(a == b)
    pe = (a.sum() * b.sum() + (n - a.sum()) * (n - b.sum())) / n**2
    return (po - pe) / (1 - pe)


def alpha(a: np.ndarray, b: np.ndarray) -> float:
    return krippendorff.alpha(reliability_data=np.vstack([a, b]).astype(float),
                              level_of_measurement="nominal")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_agree_json_on_two_exports(tmp_path, capsys):
    one = maxqda(tmp_path / "coder1.csv", FIRST)
    two = maxqda(tmp_path / "coder2.csv", SECOND)
    code, out, _ = run(capsys, "agree", str(one), str(two), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["coders"] == ["coder1", "coder2"]
    assert result["matched_on"] == "group + document name"
    assert "over every code either coder used" in result["unit"]
    assert (result["units"], result["codes"], result["decisions"]) == (2, 3, 6)
    assert result["percent"] == pytest.approx(np.mean(A == B))  # 4 of 6
    assert result["kappa"] == pytest.approx(kappa(A, B))  # (4/6 - 1/2) / (1/2) = 1/3
    assert result["kappa"] == pytest.approx(1 / 3)
    assert result["alpha"] == pytest.approx(alpha(A, B))
    per = {t["theme"]: t for t in result["per_theme"]}
    assert list(per) == ["Money", "Support", "Time"]
    assert (per["Money"]["first"], per["Money"]["second"], per["Money"]["both"]) == (1, 1, 0)
    assert per["Money"]["percent"] == 0.0
    assert per["Money"]["kappa"] == pytest.approx(kappa(A[[0, 3]], B[[0, 3]]))  # -1
    assert per["Time"]["kappa"] == pytest.approx(1.0)
    assert result["disagreements"] == [
        {"group": "G1", "session": "Int 1", "first": ["Money", "Time"], "second": ["Time"],
         "only_first": ["Money"], "only_second": []},
        {"group": "G1", "session": "Int 2", "first": ["Support"],
         "second": ["Money", "Support"], "only_first": [], "only_second": ["Money"]}]
    assert result["only_first"] == [{"group": "G2", "session": "Int 3"}]
    assert result["only_second"] == [{"group": "G2", "session": "Int 4"}]


def test_agree_text_output_is_readable(tmp_path, capsys):
    one = maxqda(tmp_path / "coder1.csv", FIRST)
    two = maxqda(tmp_path / "coder2.csv", SECOND)
    code, out, _ = run(capsys, "agree", str(one), str(two))
    assert code == 0
    assert "sessions matched on group + document name" in out
    assert "Unit: presence of each code in each session coded by both, over every code " \
           "either coder used" in out
    assert "2 session(s) coded by both x 3 code(s) = 6 units" in out
    assert f"percent agreement {np.mean(A == B):.3f}, Cohen's kappa {kappa(A, B):.3f}, " \
           f"Krippendorff's alpha {alpha(A, B):.3f}" in out
    assert "G1, session Int 1: coder1: Money, Time; coder2: Time" in out
    assert "Sessions coded by coder1 only (listed, not counted) (1):\n  - G2, session Int 3" \
        in out


def notes_book(path: Path, rows: list[tuple[str, int, str]]) -> Path:
    return write_xlsx(path, {"notes": [("group", "session", "theme"), *rows]})


def test_agree_on_template_workbooks_matches_group_and_session(tmp_path, capsys):
    one = notes_book(tmp_path / "ana.xlsx", [("Group 1", 1, "Fear"), ("Group 1", 1, "Hope"),
                                             ("Group 1", 2, "Fear"), ("Group 2", 1, "Anger")])
    two = notes_book(tmp_path / "ben.xlsx", [("Group 1", 1, "fear"), ("Group 1", 2, "Hope"),
                                             ("Group 2", 1, "Anger"), ("Group 2", 3, "Hope")])
    code, out, _ = run(capsys, "agree", str(one), str(two), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["matched_on"] == "group + session number"
    # units: sessions (G1 s1, G1 s2, G2 s1) x codes (Anger, Fear, Hope); 'fear' is 'Fear'
    a = np.array([0, 1, 1, 0, 1, 0, 1, 0, 0])
    b = np.array([0, 1, 0, 0, 0, 1, 1, 0, 0])
    assert (result["units"], result["codes"], result["decisions"]) == (3, 3, 9)
    assert result["percent"] == pytest.approx(np.mean(a == b))
    assert result["kappa"] == pytest.approx(kappa(a, b))
    assert result["alpha"] == pytest.approx(alpha(a, b))
    assert result["only_first"] == []
    assert result["only_second"] == [{"group": "Group 2", "session": "3"}]


def test_agree_on_wide_sheets_matches_the_id_column(tmp_path, capsys):
    header = ("ID", "Statement", "Code 1", "Code 2")
    one = write_xlsx(tmp_path / "r1.xlsx", {"Coding": [header, ("S-a", "x", "Time", "Cost"),
                                                      ("S-b", "y", "Cost", None),
                                                      ("S-c", "z", "Time", None)]})
    # the second coder skipped S-b: row numbers differ, the ids still match
    two = write_xlsx(tmp_path / "r2.xlsx", {"Coding": [header, ("S-a", "x", "Time", None),
                                                      ("S-c", "z", "Time", "Cost")]})
    code, out, _ = run(capsys, "agree", str(one), str(two), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["matched_on"] == "id"
    a, b = np.array([1, 1, 0, 1]), np.array([0, 1, 1, 1])  # (S-a, S-c) x (Cost, Time)
    assert (result["units"], result["codes"]) == (2, 2)
    assert result["percent"] == pytest.approx(np.mean(a == b))
    assert result["alpha"] == pytest.approx(alpha(a, b))
    assert result["only_first"] == [{"group": None, "session": "S-b"}]


def test_agree_refusals_exit_2(tmp_path, capsys):
    one = maxqda(tmp_path / "coder1.csv", FIRST)
    code, _, err = run(capsys, "agree", str(one), str(tmp_path / "absent.csv"))
    assert code == 2 and "file not found" in err
    other = maxqda(tmp_path / "coder2.csv", [("G9", "Int 9", "Support")])
    code, _, err = run(capsys, "agree", str(one), str(other))
    assert code == 2 and "no session is coded in both files" in err
    assert err.count("\n") == 1
    code, _, err = run(capsys, "agree", str(one), str(one), "--column", "colour=Color")
    assert code == 2 and "unknown role 'colour'" in err
