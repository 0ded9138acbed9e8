"""read_study, check and report on QDA tools' exports (the readers are tested in
test_qda_import.py); counts are verified independently with csv / zipfile."""

import csv
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest

from analysis import read_study
from analysis.cli import main
from analysis.report import render_report
from tests.conftest import REALDATA

TAGUETTE = REALDATA / "navarral__swj2022-usability-paper" / "all_tags_20220303.csv"
QDPX = REALDATA / "DEpt-metagenom__pyqdpx" / "oltas.qdpx"
WIDE = REALDATA / "JulianFrattini__rqi-relf" / "issue-data.xlsx"

pytestmark = pytest.mark.skipif(not REALDATA.exists(),
                                reason="../shared/realdata (third-party files) is absent")


def test_check_on_taguette_export_accounts_for_every_row(capsys):
    with TAGUETTE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert main(["check", str(TAGUETTE), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["read"] == payload["kept"] + payload["rejected"] == len(rows) == 1930
    assert payload["themes"] == len({r["tag"] for r in rows}) == 22
    assert payload["sessions"] == len({r["document"] for r in rows})


def test_group_pattern_and_mapping_on_taguette(tmp_path, capsys):
    with TAGUETTE.open(encoding="utf-8", newline="") as fh:
        documents = sorted({r["document"] for r in csv.DictReader(fh)})
    study = read_study(TAGUETTE, group_pattern=r"^(\w+?)_")
    assert len(study.groups) > 1
    mapping = tmp_path / "groups.csv"
    mapping.write_text("document,group\n" + "".join(f"{d},G{i % 2}\n"
                                                      for i, d in enumerate(documents)))
    assert main(["check", str(TAGUETTE), "--groups", str(mapping), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["groups"] == 2


def test_check_on_nvivo_project(capsys):
    with zipfile.ZipFile(QDPX) as zf:
        name = next(n for n in zf.namelist() if n.lower().endswith(".qde"))
        root = ET.fromstring(zf.read(name))
    codings = [e for e in root.iter() if e.tag.endswith("}Coding") or e.tag == "Coding"]
    codes = next(e for e in root.iter() if e.tag.endswith("}Codes"))
    top = [c for c in codes if c.tag.endswith("}Code")]
    assert main(["check", str(QDPX), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["notes"] == len(codings) == 97
    assert payload["categories"] == len(top)


def test_wide_sheet_with_prefix(capsys):
    assert main(["check", str(WIDE), "--code-prefix", "Quality Factor", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    import openpyxl

    wb = openpyxl.load_workbook(WIDE, read_only=True, data_only=True)
    rows = list(wb["Data"].iter_rows(values_only=True))
    wb.close()
    cols = [i for i, h in enumerate(rows[0]) if str(h or "").startswith("Quality Factor")
            and str(h).split()[-1].isdigit()]
    cells = [r[i] for r in rows[1:] for i in cols if r[i] not in (None, "")]
    assert payload["notes"] == len(cells)


def test_group_options_refused_for_other_inputs(example_study, capsys):
    from tests.conftest import EXAMPLE

    assert main(["check", str(EXAMPLE), "--group-pattern", "x"]) == 2
    assert "Taguette" in capsys.readouterr().err


@pytest.mark.parametrize(("path", "options"), [
    (TAGUETTE, {}),
    (TAGUETTE, {"group_pattern": r"^(P\d+)_"}),  # 17 groups: an UpSet plot, not a Venn
    (QDPX, {}),
], ids=["taguette", "taguette-17-groups", "qdpx"])
def test_report_renders_qda_exports(path, options, tmp_path):
    html = render_report(path, tmp_path / "r", timestamp=False, read_options=options)
    html = html.read_text(encoding="utf-8")
    assert "Session-notes analysis report" in html and "Main themes" in html
