"""The compact log of rejected records: every one counted, the first of each reason kept."""

from __future__ import annotations

import json

from analysis import ImportLog, Problem, read_study
from analysis.cli import main
from analysis.study import Rejections


def bad_session(row: int, value: str = "x") -> Problem:
    return Problem(f"session '{value}' is not a whole number of 1 or more", file="f.csv",
                   row=row, column="B (session)")


def blank_theme(row: int) -> Problem:
    return Problem("theme is blank", file="f.csv", row=row, column="C (theme)")


def test_counts_every_rejection_and_keeps_the_first_of_each_reason():
    log = ImportLog(read=1000, kept=0)
    # 700 bad sessions (different values, one reason) and 300 blank themes, interleaved
    problems = [bad_session(r, str(r)) if r % 10 < 7 else blank_theme(r)
                for r in range(2, 1002)]
    for p in problems:
        log.rejected.append(p)
    rej = log.rejected
    assert len(rej) == 1000 and bool(rej)
    log.check_balance()
    assert rej.listed == 400 and rej.not_listed == 600  # 200 of each reason
    first = ({id(p) for p in [p for p in problems if p.column == "B (session)"][:200]}
             | {id(p) for p in [p for p in problems if p.column == "C (theme)"][:200]})
    assert list(rej) == [p for p in problems if id(p) in first]  # in the order they came
    assert rej[0] == problems[0] and rej[:2] == problems[:2]
    summary = rej.summary().set_index("column")
    assert summary.loc["B (session)", ["count", "listed"]].tolist() == [700, 200]
    assert summary.loc["C (theme)", ["count", "listed"]].tolist() == [300, 200]
    assert summary.loc["B (session)", "reason"] == \
        "session '…' is not a whole number of 1 or more"
    assert len(log.rejected_frame()) == 400
    assert log.by_sheet().loc["f.csv", "rejected"] == 1000


def test_behaves_as_the_list_it_replaces():
    a = Rejections()
    assert a == [] and len(a) == 0 and not a
    a.append(blank_theme(2))
    assert a == [blank_theme(2)] and a != [blank_theme(3)] and a != []
    log = ImportLog(rejected=[blank_theme(2), blank_theme(3)])  # a list is turned into one
    assert isinstance(log.rejected, Rejections) and len(log.rejected) == 2


def test_extend_adds_the_counts_of_rejections_not_kept():
    small, big = Rejections(keep=2), Rejections(keep=2)
    small.append(blank_theme(2))
    for r in range(10, 20):
        big.append(blank_theme(r))
    assert (len(big), big.listed) == (10, 2)
    small.extend(big)
    assert len(small) == 11
    assert list(small) == [blank_theme(2), blank_theme(10)]  # the cap holds across logs
    assert small.summary()["count"].tolist() == [11]
    log, other = ImportLog(), ImportLog(read=10, rejected=list(big))
    other.rejected = big
    log.extend(other)
    assert len(log.rejected) == 10 and log.rejected.listed == 2


def test_a_file_of_many_bad_rows_is_counted_whole_and_listed_briefly(tmp_path, capsys):
    n = 50_000
    path = tmp_path / "bad.csv"
    path.write_text("group,session,theme\n" + "".join(f"G1,x{i},Fear\n" for i in range(n))
                    + "G1,1,Hope\n", encoding="utf-8")
    study = read_study(path)
    log = study.log
    assert (log.read, log.kept, len(log.rejected)) == (n + 1, 1, n)
    log.check_balance()
    assert log.rejected.listed == 200  # one reason: the first 200 rows
    assert [p.row for p in log.rejected] == list(range(2, 202))
    assert study.summary()["rejected"] == n

    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"Rejected records ({n}):" in out
    assert f"... and {n - 50} more (use --json for the first 200 of each reason; " \
           f"{n - 200} were counted, not listed)" in out
    assert f"  - {n} x bad.csv, column B (session): session '…' is not a whole number" in out
    assert f"FAILED: {n} error(s) to fix" in out
    assert main(["check", "--json", str(path)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert (payload["rejected"], payload["rejected_not_listed"]) == (n, n - 200)
    assert len(payload["errors"]) == 200
    assert payload["rejected_by_reason"][0]["count"] == n
