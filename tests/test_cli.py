"""The command line: counts, exit codes, JSON keys, template, convert."""

import json
import subprocess
import sys

import pytest

from analysis.cli import main
from tests.conftest import EXAMPLE


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_example_is_clean(capsys):
    code, out, err = run(["check", EXAMPLE], capsys)
    assert code == 0, out + err
    assert out.splitlines()[0] == ("example_study.xlsx: 711 notes, 3 groups, 28 sessions, "
                                   "33 themes, 3 categories")
    assert "rejected 0" in out and out.rstrip().endswith("OK: no errors")


def test_check_json_keys_and_counts_match_an_independent_read(capsys):
    import openpyxl

    code, out, _ = run(["check", EXAMPLE, "--json"], capsys)
    payload = json.loads(out)
    assert code == 0
    for key in ("notes", "groups", "sessions", "themes", "categories", "rejected", "errors",
                "warnings"):
        assert key in payload
    # count independently with openpyxl
    wb = openpyxl.load_workbook(EXAMPLE, read_only=True)
    rows = list(wb["notes"].iter_rows(min_row=2, values_only=True))
    header = next(wb["notes"].iter_rows(max_row=1, values_only=True))
    wb.close()
    g, s = header.index("group"), header.index("session")
    data = [r for r in rows if any(v is not None for v in r)]
    assert payload["notes"] == len(data)
    assert payload["groups"] == len({r[g] for r in data}) == 3
    assert payload["sessions"] == len({(r[g], r[s]) for r in data}) == 28
    assert payload["themes"] >= 30 and payload["categories"] == 3
    assert payload["rejected"] == 0 and payload["errors"] == []


def test_check_json_on_grid_counts_one_note_per_marked_cell(xlsx, capsys):
    path = xlsx({
        "Group 1": [("Group 1 notes",), (), ("Theme", 1, 2, 3),
                    ("Fear", "x", None, "x"), ("Work", None, "x", None), (),
                    ("Grief", "x", "x", "x")],
        "Group 2": [("Theme", "S1", "S2"), ("Fear", "x", "x"), ("Hope", None, "x")],
    })
    code, out, _ = run(["check", path, "--json"], capsys)
    payload = json.loads(out)
    assert code == 0
    assert payload["notes"] == 6 + 3  # marked cells, counted by hand
    assert payload["groups"] == 2 and payload["sessions"] == 5 and payload["themes"] == 4


def test_check_exit_1_on_data_errors_with_located_messages(xlsx, capsys):
    path = xlsx({"notes": [("group", "session", "theme"), ("G1", "x1", "A")]}, name="bad.xlsx")
    code, out, _ = run(["check", path], capsys)
    assert code == 1
    assert "bad.xlsx, sheet 'notes', row 2, column B (session): session 'x1'" in out
    code, out, _ = run(["check", path, "--json"], capsys)
    (error,) = json.loads(out)["errors"]
    assert error["source"] == "bad.xlsx, sheet 'notes', row 2, column B (session)"
    assert (error["sheet"], error["row"], error["column"]) == ("notes", 2, "B (session)")


def test_check_exit_2_on_unreadable_file_without_traceback(tmp_path, capsys):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    code, out, err = run(["check", path], capsys)
    assert code == 2 and out == ""
    assert err.strip() == "error: empty.xlsx: the file is empty (0 bytes)"
    code, out, _ = run(["check", path, "--json"], capsys)
    assert code == 2 and json.loads(out)["errors"][0]["message"] == "the file is empty (0 bytes)"


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["check"]) == 2
    assert main(["frobnicate"]) == 2
    capsys.readouterr()


def test_template_and_convert(tmp_path, xlsx, capsys):
    target = tmp_path / "t.xlsx"
    assert main(["template", str(target)]) == 0 and target.exists()
    assert main(["template", str(target)]) == 2  # refuses to overwrite
    assert main(["template", str(target), "--force"]) == 0
    csv = tmp_path / "notes.csv"
    csv.write_text("group;session;theme\nG1;1;A\nG1;2;B\n", encoding="utf-8")
    out = tmp_path / "study.xlsx"
    assert main(["convert", str(csv), "--out", str(out)]) == 0
    capsys.readouterr()
    code, text, _ = run(["check", out], capsys)
    assert code == 0 and text.startswith("study.xlsx: 2 notes, 1 groups, 2 sessions, 2 themes")
    assert main(["convert", str(csv), "--out", str(csv)]) == 2  # never overwrite the input


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "analysis", "check", str(EXAMPLE)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "711 notes" in proc.stdout and proc.stderr == ""


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version(flag, capsys):
    assert main([flag]) == 0
    assert capsys.readouterr().out
