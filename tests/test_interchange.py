"""Codebook interchange: REFI-QDA .qdc and Taguette codebook CSV, real files and quirks."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.io import UnreadableFileError
from analysis.io._interchange import (
    QDC_NAMESPACE,
    UNCATEGORIZED,
    read_qdc,
    read_taguette_codebook,
    write_qdc,
    write_taguette_codebook,
)
from analysis.style import OKABE_ITO

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
QDC_DIR = REALDATA / "openqda__refi-tools"
TAGUETTE_DIR = REALDATA / "navarral__swj2022-usability-paper"
XSD = Path(__file__).resolve().parents[1] / "src" / "analysis" / "io" / "schemas" / "Codebook.xsd"
NS = {"q": QDC_NAMESPACE}

_skip_without_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason=f"third-party example files not found at {REALDATA} (../shared/realdata)")


def realdata(test):
    """Mark a test as using ../shared/realdata and skip it when that folder is absent."""
    return pytest.mark.realdata(_skip_without_realdata(test))


def messages(warnings):
    assert all(w.severity == "warning" for w in warnings)
    return [w.message for w in warnings]


def codebook(rows, color=False):
    """A codebook table as the readers return it: object columns, None for missing."""
    cols = ["theme", "category", "definition", "aliases"] + (["color"] if color else [])
    return pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype=object)
                         for i, c in enumerate(cols)})


SAMPLE = [
    ("Fear of contagion", "Emotions", "Worry about catching or passing on the virus.",
     "fear of infection; contagion", "#AA0000"),
    ("Guilt", "Emotions", "Feeling responsible.\nIncludes survivor guilt.", None, "#0000AA"),
    ("Remote working", "Work & organisation", None, "smart working", "#00AA00"),
    ("Città <vuote> \"silenziose\"", "Work & organisation", "Accents, <, & and quotes.", None,
     "#123ABC"),
]


@pytest.fixture
def sample():
    return codebook(SAMPLE, color=True)


def qdc(tmp_path, body, *, name="q.qdc", newline="\n", header=True):
    text = (('<?xml version="1.0" encoding="utf-8"?>\n' if header else "") + body)
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def book(codes, extra=""):
    return (f'<CodeBook xmlns="{QDC_NAMESPACE}" origin="test"><Codes>{codes}</Codes>{extra}'
            "</CodeBook>")


def code(name, guid, codable=True, color=None, children="", description=None):
    attrs = f'guid="{guid}" name="{name}" isCodable="{"true" if codable else "false"}"'
    if color:
        attrs += f' color="{color}"'
    desc = f"<Description>{description}</Description>" if description else ""
    return f"<Code {attrs}>{desc}{children}</Code>"


G = [f"{i:08X}-0000-4000-8000-000000000000" for i in range(1, 40)]


# --- real files -------------------------------------------------------------------------------


@realdata
def test_real_qdc_has_4_categories_and_40_themes():
    path = QDC_DIR / "example_codebook.qdc"
    tree = ET.parse(path)
    tops = tree.getroot().findall("q:Codes/q:Code", NS)
    parents = [c for c in tops if c.find("q:Code", NS) is not None]
    leaves = [c for c in tree.getroot().iter(f"{{{QDC_NAMESPACE}}}Code")
              if c.find("q:Code", NS) is None and c.get("isCodable") == "true"]
    assert (len(parents), len(leaves)) == (4, 40)

    cb, warnings = read_qdc(path)
    assert list(cb.columns) == ["theme", "category", "definition", "aliases", "color"]
    assert len(cb) == len(leaves)
    assert list(dict.fromkeys(cb["category"])) == [c.get("name") for c in parents]
    assert list(cb["theme"]) == [c.get("name") for c in leaves]
    assert cb["color"].str.fullmatch(r"#[0-9A-F]{6}").all()
    assert all(dtype == "object" for dtype in cb.dtypes)
    assert messages(warnings) == [
        "4 parent codes ('Negativ/Aufgeregt', 'Negativ/Ruhig', 'Positiv/Aufgeregt' and 1 more) "
        "are codable; they are read as categories, so text coded with them directly has no "
        "theme",
        "the descriptions of 4 categories ('Negativ/Aufgeregt', 'Negativ/Ruhig', "
        "'Positiv/Aufgeregt' and 1 more) were not kept: the codebook holds definitions of "
        "themes only",
        "44 codes have a guid that is not a UUID (e.g. 'c001' at line 5); guids are not kept, "
        "so the codes were read anyway",
    ]


@realdata
def test_real_defective_qdc_names_the_parser_line():
    path = QDC_DIR / "example_codebook_defect.qdc"
    with pytest.raises(ET.ParseError) as parse_error:
        ET.parse(path)
    line = parse_error.value.position[0]
    with pytest.raises(UnreadableFileError) as exc:
        read_qdc(path)
    message = str(exc.value)
    assert f"malformed at line {line}," in message
    assert message.startswith("example_codebook_defect.qdc: the codebook XML is malformed")
    assert message.endswith("mismatched tag")
    assert "Traceback" not in message and "ParseError" not in message


@realdata
@pytest.mark.parametrize(("name", "expected"), [("codebook_20220223_0.csv", 120),
                                                ("codebook_20220303_8.csv", 22)])
def test_real_taguette_codebooks(name, expected):
    path = TAGUETTE_DIR / name
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["tag"].strip()]
    assert len(rows) == expected
    cb, warnings = read_taguette_codebook(path)
    assert list(cb.columns) == ["theme", "category", "definition", "aliases"]
    assert list(cb["theme"]) == [r["tag"].strip() for r in rows]
    assert cb["category"].isna().all()
    assert messages(warnings) == [
        f"all {expected} tags have no category (Taguette tags carry one only as "
        "'category.tag' or in a 'parent' column); categories must be assigned in the codebook "
        "sheet"]
    described = [r["description"].strip() or None for r in rows]
    assert [d is None for d in cb["definition"]] == [d is None for d in described]


@realdata
def test_real_taguette_newline_inside_quoted_description():
    cb, _ = read_taguette_codebook(TAGUETTE_DIR / "codebook_20220303_8.csv")
    text = cb.set_index("theme").at["Additional feature suggestion", "definition"]
    assert text.startswith("Distinguish outliers based on historical data.\nAdd time series")
    assert "\r" not in text and text.count("\n") == 5


@realdata
def test_real_qdc_round_trip_and_schema(tmp_path):
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed")
    cb, _ = read_qdc(QDC_DIR / "example_codebook.qdc")
    out = write_qdc(cb, tmp_path / "out.qdc")
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(out)
    back, warnings = read_qdc(out)
    assert warnings == []
    assert_frame_equal(back, cb)
    # the original does not validate, only because its guids are short ids such as 'c001'
    errors = list(schema.iter_errors(QDC_DIR / "example_codebook.qdc"))
    assert errors
    assert all("attribute guid=" in e.reason for e in errors)


@realdata
@pytest.mark.parametrize("name", ["codebook_20220223_0.csv", "codebook_20220303_8.csv"])
def test_real_taguette_round_trip(tmp_path, name):
    cb, _ = read_taguette_codebook(TAGUETTE_DIR / name)
    out = write_taguette_codebook(cb, tmp_path / "out.csv")
    back, _ = read_taguette_codebook(out)
    assert_frame_equal(back, cb)
    qdc_back, _ = read_qdc(write_qdc(cb, tmp_path / "out.qdc"))
    assert set(qdc_back["category"]) == {UNCATEGORIZED}
    assert list(qdc_back["theme"]) == list(cb["theme"])


# --- REFI-QDA: writing ------------------------------------------------------------------------


def test_qdc_round_trip(tmp_path, sample):
    back, warnings = read_qdc(write_qdc(sample, tmp_path / "cb.qdc"))
    assert warnings == []
    assert_frame_equal(back, sample)


def test_qdc_round_trip_with_some_colours_missing(tmp_path, sample):
    partial = sample.assign(color=pd.Series(["#AA0000", None, "#00AA00", None], dtype=object))
    back, warnings = read_qdc(write_qdc(partial, tmp_path / "cb.qdc"))
    assert_frame_equal(back, partial)
    assert messages(warnings) == [
        "2 themes ('Guilt', 'Città <vuote> \"silenziose\"') have no colour while the others "
        "have one; their color is left empty"]


def test_qdc_round_trip_without_color(tmp_path, sample):
    plain = sample.drop(columns="color")
    back, warnings = read_qdc(write_qdc(plain, tmp_path / "cb.qdc"))
    assert warnings == []
    assert_frame_equal(back, plain)


def test_qdc_output_is_byte_identical_and_guids_are_stable(tmp_path, sample):
    a = write_qdc(sample, tmp_path / "a.qdc").read_bytes()
    b = write_qdc(sample.copy(), tmp_path / "b.qdc").read_bytes()
    assert a == b
    bigger = pd.concat([sample, codebook([("Hope", "Emotions", None, None, None)], color=True)],
                       ignore_index=True)
    c = write_qdc(bigger, tmp_path / "c.qdc")
    guids = {e.get("name"): e.get("guid") for e in ET.parse(c).iter(f"{{{QDC_NAMESPACE}}}Code")}
    old = {e.get("name"): e.get("guid")
           for e in ET.parse(tmp_path / "a.qdc").iter(f"{{{QDC_NAMESPACE}}}Code")}
    assert {k: guids[k] for k in old} == old
    assert len(set(guids.values())) == len(guids)


def test_qdc_output_validates_against_the_xsd(tmp_path, sample):
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed")
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(write_qdc(sample, tmp_path / "cb.qdc"))
    loose = sample.assign(category=[None, "Emotions", None, "Work"])
    schema.validate(write_qdc(loose, tmp_path / "loose.qdc"))


def test_qdc_structure(tmp_path, sample):
    root = ET.parse(write_qdc(sample, tmp_path / "cb.qdc")).getroot()
    assert root.tag == f"{{{QDC_NAMESPACE}}}CodeBook"
    tops = root.findall("q:Codes/q:Code", NS)
    assert [t.get("name") for t in tops] == ["Emotions", "Work & organisation"]
    assert [t.get("isCodable") for t in tops] == ["false", "false"]
    assert [t.get("color") for t in tops] == list(OKABE_ITO[:2])
    fear = tops[0].find("q:Code", NS)
    assert (fear.get("name"), fear.get("isCodable"), fear.get("color")) == (
        "Fear of contagion", "true", "#AA0000")
    assert fear.findtext("q:Description", namespaces=NS) == (
        "Worry about catching or passing on the virus.\n\nAliases: fear of infection; contagion")
    text = (tmp_path / "cb.qdc").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<CodeBook xmlns=')
    assert "\r" not in text


def test_qdc_theme_without_category_comes_back_uncategorized(tmp_path):
    cb = codebook([("Hope", None, None, None), ("Fear", "Emotions", None, None)])
    back, warnings = read_qdc(write_qdc(cb, tmp_path / "cb.qdc"))
    assert list(back["category"]) == ["Emotions", UNCATEGORIZED]
    assert messages(warnings) == [
        "1 theme ('Hope') sits at the top level with no category; it was put in the "
        "category 'Uncategorized'"]


def test_qdc_writer_accepts_nan_and_short_colours(tmp_path):
    cb = pd.DataFrame({"theme": ["A", "B"], "category": ["C", "C"],
                       "definition": [float("nan"), pd.NA], "color": ["#abc", None]})
    back, _ = read_qdc(write_qdc(cb, tmp_path / "cb.qdc"))
    assert list(back["color"]) == ["#AABBCC", None]
    assert list(back["definition"]) == [None, None]
    assert list(back["aliases"]) == [None, None]


@pytest.mark.parametrize(("frame", "message"), [
    (codebook([]), "the codebook has no themes; a REFI-QDA codebook needs at least one code"),
    (codebook([("Fear", "A", None, None), ("fear ", "B", None, None)]),
     "theme 'fear' is listed twice in the codebook (rows 1 and 2); keep one row"),
    (codebook([(" ", "A", None, None)]), "row 1 of the codebook has no theme"),
    (codebook([("Fear", "A", None, None, "red")], color=True),
     "theme 'Fear' has the colour 'red', which is not written '#RRGGBB'"),
    (pd.DataFrame({"name": ["x"]}), "the codebook has no 'theme' column"),
])
def test_qdc_writer_refuses_bad_codebooks(tmp_path, frame, message):
    target = tmp_path / "cb.qdc"
    with pytest.raises(ValueError) as exc:
        write_qdc(frame, target)
    assert str(exc.value) == message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


# --- REFI-QDA: vendor quirks ------------------------------------------------------------------


def test_qdc_atlas_ti_category_in_name(tmp_path):
    path = qdc(tmp_path, book(code("Emotions::Fear", G[0]) + code("Emotions::Hope", G[1])
                              + code("Work::Remote", G[2])))
    cb, warnings = read_qdc(path)
    assert list(zip(cb["category"], cb["theme"], strict=True)) == [
        ("Emotions", "Fear"), ("Emotions", "Hope"), ("Work", "Remote")]
    assert messages(warnings) == [
        "3 code names ('Emotions::Fear', 'Emotions::Hope', 'Work::Remote') carry their category "
        "ATLAS.ti-style as 'Category::Theme'; the part before '::' was read as the category"]


def test_qdc_codable_parent_is_a_category(tmp_path):
    path = qdc(tmp_path, book(code("Emotions", G[0], codable=True,
                                   children=code("Fear", G[1]) + code("Hope", G[2]))))
    cb, warnings = read_qdc(path)
    assert list(cb["category"]) == ["Emotions", "Emotions"]
    assert list(cb["theme"]) == ["Fear", "Hope"]
    assert messages(warnings) == [
        "1 parent code ('Emotions') is codable; it is read as a category, so text coded with "
        "it directly has no theme"]


def test_qdc_top_level_leaf_goes_to_uncategorized(tmp_path):
    path = qdc(tmp_path, book(code("Hope", G[0])
                              + code("Emotions", G[1], codable=False, children=code("Fear", G[2]))
                              + code("Empty group", G[3], codable=False)))
    cb, warnings = read_qdc(path)
    assert list(zip(cb["category"], cb["theme"], strict=True)) == [
        (UNCATEGORIZED, "Hope"), ("Emotions", "Fear")]
    assert messages(warnings) == [
        "1 top-level code with no codable code below ('Empty group') was left out: a category "
        "needs at least one theme",
        "1 theme ('Hope') sits at the top level with no category; it was put in the category "
        "'Uncategorized'"]


def test_qdc_missing_colours(tmp_path):
    body = book(code("Emotions", G[0], codable=False,
                     children=code("Fear", G[1], color="#FF0000") + code("Hope", G[2])
                     + code("Anger", G[3], color="crimson")))
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(cb["color"]) == ["#FF0000", None, None]
    assert messages(warnings) == [
        "1 theme has a colour not written '#RRGGBB' ('crimson' at line 2); its color is left "
        "empty",
        "2 themes ('Hope', 'Anger') have no colour while the others have one; their color is "
        "left empty"]


def test_qdc_no_colours_at_all_is_fine(tmp_path):
    body = book(code("Emotions", G[0], codable=False, children=code("Fear", G[1])))
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert "color" not in cb.columns
    assert warnings == []


def test_qdc_short_and_missing_guids(tmp_path):
    body = book(code("Emotions", "c1", codable=False, children=code("Fear", "{" + G[1] + "}")
                     + code("Hope", "") + code("Anger", G[3].lower())))
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(cb["theme"]) == ["Fear", "Hope", "Anger"]
    assert messages(warnings) == [
        "2 codes have a guid that is not a UUID (e.g. 'c1' at line 2); guids are not kept, so "
        "the codes were read anyway"]


def test_qdc_duplicate_theme_names_keep_the_first(tmp_path):
    body = "\n".join([
        f'<CodeBook xmlns="{QDC_NAMESPACE}"><Codes>',
        code("Emotions", G[0], codable=False,
             children=code("Fear", G[1], description="first") + "\n"
             + code("fear ", G[2], description="second")),
        code("Risks", G[3], codable=False,
             children="\n" + code("FEAR", G[4]) + code("Cost", G[5])),
        "</Codes></CodeBook>"])
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(zip(cb["category"], cb["theme"], cb["definition"], strict=True)) == [
        ("Emotions", "Fear", "first"), ("Risks", "Cost", None)]
    assert messages(warnings) == [
        "theme 'fear' (line 4) under 'Emotions' repeats the theme of that name under "
        "'Emotions' (line 3); the first one is kept",
        "theme 'FEAR' (line 6) under 'Risks' repeats the theme of that name under 'Emotions' "
        "(line 3); the first one is kept"]


def test_qdc_late_namespace_declaration(tmp_path):
    body = ("<CodeBook origin='x'>\n"
            f"  <Codes xmlns='{QDC_NAMESPACE}'>\n"
            + code("Emotions", G[0], codable=False, children=code("Fear", G[1]))
            + "\n  </Codes>\n</CodeBook>")
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(cb["theme"]) == ["Fear"]
    assert messages(warnings) == [
        f"the REFI-QDA namespace {QDC_NAMESPACE} is declared late, on <Codes> (line 3) instead "
        "of <CodeBook>; the file was read anyway"]


def test_qdc_namespace_after_other_attributes_is_no_quirk(tmp_path):
    body = (f"<CodeBook origin='x' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
            f"xmlns='{QDC_NAMESPACE}'><Codes>"
            + code("Emotions", G[0], codable=False, children=code("Fear", G[1]))
            + "</Codes></CodeBook>")
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(cb["theme"]) == ["Fear"]
    assert warnings == []


@pytest.mark.parametrize(("root", "message"), [
    ("<CodeBook>", f"the codebook declares no XML namespace (REFI-QDA uses {QDC_NAMESPACE}); "
                   "the file was read anyway"),
    ("<CodeBook xmlns='urn:QDA-XML:codebook:1:0'>",
     "the codebook uses the XML namespace 'urn:QDA-XML:codebook:1:0' instead of "
     f"{QDC_NAMESPACE}; the file was read anyway"),
])
def test_qdc_missing_or_wrong_namespace(tmp_path, root, message):
    body = (root + "<Codes>" + code("Emotions", G[0], codable=False, children=code("Fear", G[1]))
            + "</Codes></CodeBook>")
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(cb["theme"]) == ["Fear"]
    assert messages(warnings) == [message]


def test_qdc_crlf_and_bom(tmp_path):
    body = "\n".join([
        f'<CodeBook xmlns="{QDC_NAMESPACE}">', "<Codes>",
        code("Emotions", G[0], codable=False, children="\n" + code(
            "Fear", "x1", description="\n    Worry about the virus.\n    Second line.\n  ")),
        "</Codes>", "</CodeBook>"])
    lf = qdc(tmp_path, body, name="lf.qdc")
    crlf = qdc(tmp_path, body, name="crlf.qdc", newline="\r\n")
    crlf.write_bytes(b"\xef\xbb\xbf" + crlf.read_bytes())
    a, wa = read_qdc(lf)
    b, wb = read_qdc(crlf)
    assert_frame_equal(a, b)
    assert a.at[0, "definition"] == "Worry about the virus.\nSecond line."
    assert messages(wb) == messages(wa) == [
        "1 code has a guid that is not a UUID (e.g. 'x1' at line 5); guids are not kept, so "
        "the code was read anyway"]


def test_qdc_malformed_crlf_line_matches_elementtree(tmp_path):
    body = book(code("Emotions", G[0], codable=False, children=code("Fear", G[1])))
    body = body.replace("><", ">\n<").replace("</Codes>", "</Code>", 1)
    path = qdc(tmp_path, body, newline="\r\n")
    with pytest.raises(ET.ParseError) as parse_error:
        ET.parse(path)
    line = parse_error.value.position[0]
    with pytest.raises(UnreadableFileError, match=f"malformed at line {line}, column"):
        read_qdc(path)


def test_qdc_deeper_tree_is_flattened(tmp_path):
    inner = code("Negative", G[1], codable=False,
                 children=code("Fear", G[2]) + code("Anger", G[3],
                                                    children=code("Rage", G[4])))
    body = book(code("Emotions", G[0], codable=False, children=inner + code("Hope", G[5])))
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(zip(cb["category"], cb["theme"], strict=True)) == [
        ("Emotions", "Fear"), ("Emotions", "Anger"), ("Emotions", "Rage"), ("Emotions", "Hope")]
    assert messages(warnings) == [
        "the code tree is more than two levels deep: 3 codes below the second level ('Fear in "
        "Emotions', 'Anger in Emotions', 'Rage in Emotions') were read as themes of their "
        "top-level category"]


def test_qdc_sets_and_description_aliases(tmp_path):
    sets = (f'<Sets><Set guid="{G[9]}" name="Group 1"><MemberCode guid="{G[1]}"/></Set>'
            "</Sets>")
    body = book(code("Emotions", G[0], codable=False, children=code(
        "Fear", G[1], description="Worry.\n\nAliases: dread ;fright|  terror")), sets)
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert (cb.at[0, "definition"], cb.at[0, "aliases"]) == ("Worry.", "dread; fright; terror")
    assert messages(warnings) == [
        "the file's 1 Set (code group 'Group 1') was not read; categories come from the code "
        "tree"]


def test_qdc_project_file_codebook_is_read(tmp_path):
    body = ("<Project xmlns='urn:QDA-XML:project:1.0' name='p'><CodeBook><Codes>"
            + code("Emotions", G[0], codable=False, children=code("Fear", G[1]))
            + "</Codes></CodeBook></Project>")
    cb, warnings = read_qdc(qdc(tmp_path, body, name="project.qde"))
    assert list(cb["theme"]) == ["Fear"]
    assert messages(warnings) == [
        "this is a REFI-QDA <Project> file, not a codebook; only its <CodeBook> was read"]


def test_qdc_unnamed_codes_and_empty_codebook(tmp_path):
    body = book(code("Emotions", G[0], codable=False, children=code(" ", G[1])
                     + code("Fear", G[2])))
    cb, warnings = read_qdc(qdc(tmp_path, body))
    assert list(cb["theme"]) == ["Fear"]
    assert messages(warnings) == ["1 code without a name (line 2) was left out"]
    cb, warnings = read_qdc(qdc(tmp_path, f"<CodeBook xmlns='{QDC_NAMESPACE}'><Codes/></CodeBook>"))
    assert cb.empty and list(cb.columns) == ["theme", "category", "definition", "aliases"]
    assert messages(warnings) == ["the codebook has no themes"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE CodeBook [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
<Code guid="c1" name="&lol3;" isCodable="true"/></Codes></CodeBook>
"""


@pytest.mark.parametrize(("content", "message"), [
    (BILLION_LAUGHS.encode(),
     "q.qdc: the codebook XML has a DOCTYPE declaration at line 2, which REFI-QDA files never "
     "have; it is refused because its entities could expand without limit"),
    (b"", "q.qdc: the file is empty"),
    (b"  \n", "q.qdc: the file is empty"),
    (b"<CodeBook><Codes>", "q.qdc: the codebook XML is malformed at line 1, column 18: no "
                           "element found"),
    (b"tag,description\nFear,worry\n", "q.qdc: the codebook XML is malformed at line 1, "
                                       "column 1: syntax error"),
    (b"<root/>", "q.qdc: the XML root element is <root>, not <CodeBook>: this is not a "
                 "REFI-QDA codebook"),
    (b"<CodeBook/>", "q.qdc: the codebook has no <Codes> element, so no codes to read"),
])
def test_qdc_unreadable_files(tmp_path, content, message):
    path = tmp_path / "q.qdc"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as exc:
        read_qdc(path)
    assert str(exc.value) == message


def test_qdc_missing_file(tmp_path):
    with pytest.raises(UnreadableFileError, match=r"^nothere\.qdc: file not found$"):
        read_qdc(tmp_path / "nothere.qdc")


# --- Taguette ---------------------------------------------------------------------------------


def taguette(tmp_path, text, *, name="cb.csv", encoding="utf-8", bom=False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def test_taguette_semicolons_bom_crlf_and_multiline(tmp_path):
    text = ('Tag;Description;Number of highlights\r\n'
            'Fear;"Worry about\r\nthe virus; and more";3\n'
            'Hope;;0\r\n'
            '\r\n'
            'Anger;"Shouting, ""mostly""";1\n')
    cb, warnings = read_taguette_codebook(taguette(tmp_path, text, bom=True))
    assert list(cb["theme"]) == ["Fear", "Hope", "Anger"]
    assert list(cb["definition"]) == ["Worry about\nthe virus; and more", None,
                                      'Shouting, "mostly"']
    assert messages(warnings) == [
        "all 3 tags have no category (Taguette tags carry one only as 'category.tag' or in a "
        "'parent' column); categories must be assigned in the codebook sheet"]


def test_taguette_dotted_paths_give_categories(tmp_path):
    text = ("path,description\n"
            "Emotions,All feelings\n"
            "Emotions.Fear,Worry\n"
            "Emotions.Negative.Anger,\n"
            "Work.Remote,\n"
            "e.g. delays,\n")
    cb, warnings = read_taguette_codebook(taguette(tmp_path, text))
    assert list(zip(cb["category"], cb["theme"], strict=True)) == [
        ("Emotions", "Fear"), ("Emotions", "Negative.Anger"), ("Work", "Remote"),
        (None, "e.g. delays")]
    assert messages(warnings) == [
        "1 tag ('Emotions') is the parent of other tags and was read as a category, not a theme",
        "1 of 4 tags ('e.g. delays') has no category (Taguette tags carry one only as "
        "'category.tag' or in a 'parent' column); categories must be assigned in the codebook "
        "sheet"]
    assert warnings[0].row == 2


def test_taguette_parent_column(tmp_path):
    text = ("tag,parent,description,number of highlights\n"
            "Emotions,,Feelings,0\n"
            "Fear,Emotions,Worry,2\n"
            "Emotions.Hope,Emotions,,1\n"
            "v1.2 rollout,Work,,1\n")
    cb, warnings = read_taguette_codebook(taguette(tmp_path, text))
    assert list(zip(cb["category"], cb["theme"], strict=True)) == [
        ("Emotions", "Fear"), ("Emotions", "Hope"), ("Work", "v1.2 rollout")]
    assert messages(warnings) == [
        "1 tag ('Emotions') is the parent of other tags and was read as a category, not a theme"]


def test_taguette_parent_column_deeper_tree(tmp_path):
    text = ("tag,parent,description\n"
            "Emotions,,\n"
            "Negative,Emotions,\n"
            "Fear,Negative,\n"
            "Loop A,Loop B,\n"
            "Loop B,Loop A,\n")
    cb, warnings = read_taguette_codebook(taguette(tmp_path, text))
    assert list(zip(cb["category"], cb["theme"], strict=True)) == [
        ("Emotions", "Negative"), ("Emotions", "Fear"), ("Loop B", "Loop A"),
        ("Loop A", "Loop B")]
    assert messages(warnings) == [
        "the tag tree is more than two levels deep: 1 tag below the second level ('Fear in "
        "Emotions') was read as a theme of its top-level tag",
        "the parents of 2 tags ('Loop A', 'Loop B') go round in a circle; each was given its "
        "own parent as category",
        "1 tag ('Emotions') is the parent of other tags and was read as a category, not a theme"]


def test_taguette_duplicates_and_empty_tags(tmp_path):
    text = ('name,description\n'
            'Fear,"first\nline two"\n'
            ',orphan description\n'
            'fear ,second\n')
    cb, warnings = read_taguette_codebook(taguette(tmp_path, text))
    assert list(cb["theme"]) == ["Fear"]
    assert [(w.row, w.message) for w in warnings[:2]] == [
        (4, "this row has no tag name and was skipped"),
        (5, "tag 'fear' repeats the tag on line 2; the first one is kept")]


def test_taguette_windows_1252(tmp_path):
    path = taguette(tmp_path, "tag,description\nCittà,perché\n", encoding="cp1252")
    cb, warnings = read_taguette_codebook(path)
    assert (cb.at[0, "theme"], cb.at[0, "definition"]) == ("Città", "perché")
    assert messages(warnings)[0].startswith("the file is not UTF-8; it was read as Windows-1252")


@pytest.mark.parametrize(("text", "message"), [
    ("id,document,content\n1,a,b\n", "cb.csv, row 1: the first line has no 'tag', 'name' or "
                                     "'path' column: this is not a Taguette codebook export"),
    ("tag,name\nx,y\n", "cb.csv, row 1: the header has both a 'tag' and a 'name' column; keep "
                        "only the one holding the tag names"),
    ("", "cb.csv: the file is empty"),
])
def test_taguette_unreadable(tmp_path, text, message):
    with pytest.raises(UnreadableFileError) as exc:
        read_taguette_codebook(taguette(tmp_path, text))
    assert str(exc.value) == message


def test_taguette_round_trip_and_bytes(tmp_path, sample):
    cb = codebook([r[:4] for r in SAMPLE] + [("No category yet", None, "Still to sort.", None)])
    out = write_taguette_codebook(cb, tmp_path / "cb.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"tag,description\nEmotions.Fear of contagion,")
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    assert write_taguette_codebook(cb.copy(), tmp_path / "again.csv").read_bytes() == raw
    back, warnings = read_taguette_codebook(out)
    assert_frame_equal(back, cb)
    assert messages(warnings) == [
        "1 of 5 tags ('No category yet') has no category (Taguette tags carry one only as "
        "'category.tag' or in a 'parent' column); categories must be assigned in the codebook "
        "sheet"]
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["tag", "description"]
    assert rows[0]["description"] == (
        "Worry about catching or passing on the virus.\n\nAliases: fear of infection; contagion")


@pytest.mark.parametrize(("row", "message"), [
    (("Fear", "Emo.tions", None, None),
     "category 'Emo.tions' contains a '.', which Taguette tag paths use between category and "
     "theme; rename it before exporting"),
    (("Emo.Fear", None, None, None),
     "theme 'Emo.Fear' contains a '.', which Taguette tag paths use between category and "
     "theme; rename it before exporting"),
])
def test_taguette_writer_refuses_ambiguous_paths(tmp_path, row, message):
    with pytest.raises(ValueError) as exc:
        write_taguette_codebook(codebook([row]), tmp_path / "cb.csv")
    assert str(exc.value) == message
    assert not (tmp_path / "cb.csv").exists()


def test_taguette_writer_keeps_harmless_dots(tmp_path):
    cb = codebook([("v1.2 rollout", "U.S. policy", None, None), ("e.g. delays", None, None, None),
                   ("Fear.", "Emotions", None, None)])
    back, _ = read_taguette_codebook(write_taguette_codebook(cb, tmp_path / "cb.csv"))
    assert_frame_equal(back, cb)


def test_cross_format_round_trip(tmp_path, sample):
    plain = sample.drop(columns="color")
    via_taguette, _ = read_taguette_codebook(write_taguette_codebook(plain, tmp_path / "a.csv"))
    via_qdc, _ = read_qdc(write_qdc(via_taguette, tmp_path / "b.qdc"))
    assert_frame_equal(via_qdc, plain)
