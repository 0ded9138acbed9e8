"""Synthetic benchmark studies: a template workbook, a grid workbook and a CSV of the same notes.

Nothing here comes from real people. The codebook (33 themes in 3 categories) is the example
study's; everything else is drawn from ``numpy.random.default_rng(SEED + n)``, so a size always
gives the same notes. The shape follows a large programme: one group per ~3,300 notes, 110
weekly sessions per group (about two years), 15 pseudonymous participants per group, every
tenth session double-coded, and every note text unique (real paraphrases are; it is also the
worst case for memory).

The xlsx files are written here, with shared strings and a date style as Excel writes them,
because a general-purpose writer takes minutes for a million rows. Files are cached under
``benchmarks/data/`` by size and :data:`VERSION`.

Run from the repository root::

    python benchmarks/generate.py 10000 100000 1000000
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
EXAMPLE = ROOT.parent / "src" / "analysis" / "data" / "example_study.xlsx"
SEED = 20200401
VERSION = 1  # bump when the generated content changes, to refresh the cache
SESSIONS_PER_GROUP = 110
NOTES_PER_GROUP = 3_300
MEMBERS = 15
FIRST = dt.date(2020, 4, 1)
FRAMES = ("Said that", "Told the group that", "Explained that", "Mentioned that",
          "Reported that", "Shared that")
CLAUSES = ("the new rules arrived late", "the team met online twice", "a family asked for help",
           "the office reopened for appointments", "a colleague was off sick",
           "the phone line was busy all week", "a court hearing was postponed",
           "volunteers brought food parcels", "a meeting with the manager went well",
           "the caseload grew again")


@dataclass(frozen=True)
class Files:
    """The three files of one benchmark size."""

    template: Path
    grid: Path
    csv: Path


def codebook() -> list[tuple[str, str]]:
    """Return the example study's (theme, category) pairs, read with python-calamine."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(EXAMPLE))
    rows = wb.get_sheet_by_name("codebook").to_python()
    head = [str(h).strip().casefold() for h in rows[0]]
    t, c = head.index("theme"), head.index("category")
    return [(str(r[t]), str(r[c])) for r in rows[1:] if r[t]]


def make_notes(n: int) -> dict[str, np.ndarray]:
    """Return ``n`` notes as columns (sorted by group, session, coder)."""
    rng = np.random.default_rng(SEED + n)
    themes = codebook()
    n_groups = max(3, round(n / NOTES_PER_GROUP))
    group = np.sort(rng.integers(n_groups, size=n))
    session = rng.integers(1, SESSIONS_PER_GROUP + 1, size=n)
    # each group has its own theme profile
    weights = rng.dirichlet(np.full(len(themes), 0.8), size=n_groups)
    cum = weights.cumsum(axis=1)
    theme = (rng.random(n)[:, None] > cum[group]).sum(axis=1).clip(0, len(themes) - 1)
    valence = rng.choice(np.array(["negative", "neutral", "positive", "+", "-"]), size=n,
                         p=[0.35, 0.3, 0.25, 0.05, 0.05])
    double = (session % 10) == 5
    coder = np.where(double & (rng.random(n) < 0.5), "R2", "R1")
    order = np.lexsort((coder, session, group))
    group, session, theme, valence, coder = (a[order] for a in
                                             (group, session, theme, valence, coder))
    speaker_idx = rng.integers(MEMBERS, size=n)
    frames = rng.integers(len(FRAMES), size=n)
    clauses = rng.integers(len(CLAUSES), size=n)
    names = np.array([t for t, _ in themes], dtype=object)
    groups = np.array([f"Group {g + 1}" for g in range(n_groups)], dtype=object)
    speakers = np.array([f"P{g + 1:03d}-{k + 1:02d}" for g in range(n_groups)
                         for k in range(MEMBERS)], dtype=object)
    dates = np.array([FIRST + dt.timedelta(weeks=s - 1)
                      for s in range(1, SESSIONS_PER_GROUP + 1)], dtype=object)
    text = [f"{FRAMES[f]} {CLAUSES[c]} ({name.lower()}, note {i + 1})."
            for i, (f, c, name) in enumerate(zip(frames, clauses, names[theme], strict=True))]
    return {
        "group": groups[group], "session": session, "date": dates[session - 1],
        "theme": names[theme], "valence": valence,
        "note": np.array(text, dtype=object),
        "speaker": speakers[group * MEMBERS + speaker_idx], "coder": coder,
        "_groups": groups, "_themes": np.array(themes, dtype=object),
    }


# --- a minimal xlsx writer ------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
               'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/></cellXfs></styleSheet>')
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_EPOCH = dt.date(1899, 12, 30)


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


class _Strings:
    """The shared-strings table."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def __call__(self, text: str) -> int:
        self.count += 1
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.index)
        return i

    def xml(self) -> bytes:
        items = "".join(f"<si><t>{escape(s)}</t></si>" for s in self.index)
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<sst {_NS.split(" ")[0]} count="{self.count}" uniqueCount="{len(self.index)}">'
                f"{items}</sst>").encode()


def _sheet_xml(rows: list[list[object]], sst: _Strings) -> bytes:
    """Worksheet XML: str -> shared string, date -> serial with the date style, number."""
    letters = [_column(j) for j in range(max(len(r) for r in rows))]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>'
           f"<sheetData>"]
    for i, row in enumerate(rows, start=1):
        cells = []
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{letters[j]}{i}"
            if isinstance(v, str):
                cells.append(f'<c r="{ref}" t="s"><v>{sst(v)}</v></c>')
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{ref}" s="1"><v>{(v - _EPOCH).days}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        out.append(f'<row r="{i}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """Write ``sheets`` (name -> rows of str, int, float, date or None) as an xlsx file."""
    sst = _Strings()
    parts = {f"xl/worksheets/sheet{i}.xml": _sheet_xml(rows, sst)
             for i, rows in enumerate(sheets.values(), start=1)}
    book = "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                   for i, name in enumerate(sheets, start=1))
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1))
    k = len(sheets)
    rels += (f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/styles" Target="styles.xml"/>'
             f'<Relationship Id="rId{k + 2}" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        types = "".join(_SHEET_TYPE.format(i=i) for i in range(1, k + 1))
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=types))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f"<workbook {_NS}><sheets>{book}</sheets></workbook>")
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    f"{rels}</Relationships>")
        zf.writestr("xl/styles.xml", _STYLES)
        for name, data in parts.items():
            zf.writestr(name, data)
        zf.writestr("xl/sharedStrings.xml", sst.xml())
    tmp.replace(path)
    return path


# --- the three files ------------------------------------------------------------------------

NOTE_HEADER = ["group", "session", "date", "theme", "category", "valence", "note", "speaker",
               "coder"]


def _side_sheets(notes: dict[str, np.ndarray]) -> dict[str, list[list[object]]]:
    themes = notes["_themes"]
    groups = notes["_groups"]
    sessions = [["group", "session", "date", "attendance", "duration_min"]]
    sessions += [[g, s, FIRST + dt.timedelta(weeks=s - 1), 9 + (s * 7 + i) % 7, 90]
                 for i, g in enumerate(groups) for s in range(1, SESSIONS_PER_GROUP + 1)]
    participants = [["pseudonym", "group", "age", "years_experience", "region"]]
    participants += [[f"P{i + 1:03d}-{k + 1:02d}", g, 25 + (i + 3 * k) % 30, 1 + (i + k) % 20,
                      "North" if k % 2 else "South"]
                     for i, g in enumerate(groups) for k in range(MEMBERS)]
    return {"codebook": [["theme", "category", "definition", "aliases"],
                         *([t, c, None, None] for t, c in themes)],
            "sessions": sessions, "participants": participants}


def generate(n: int, folder: Path = DATA) -> Files:
    """Write (or reuse) the template workbook, grid workbook and CSV of ``n`` notes."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"notes_{n}_v{VERSION}"
    files = Files(Path(f"{stem}.xlsx"), Path(f"{stem}_grid.xlsx"), Path(f"{stem}.csv"))
    if all(p.exists() for p in (files.template, files.grid, files.csv)):
        return files
    notes = make_notes(n)
    cols = [notes[c] if c in notes else np.full(n, None, dtype=object) for c in NOTE_HEADER]
    rows = [NOTE_HEADER, *map(list, zip(*cols, strict=True))]
    side = _side_sheets(notes)
    write_xlsx(files.template, {"notes": rows, **side})

    tmp = files.csv.with_suffix(".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(NOTE_HEADER)
        w.writerows([*r[:2], r[2].isoformat(), *r[3:]] for r in rows[1:])
    tmp.replace(files.csv)

    # grid: one sheet per group, themes down, sessions across, the number of notes in cells
    themes = [t for t, _ in notes["_themes"]]
    t_index = {t: i for i, t in enumerate(themes)}
    g_index = {g: i for i, g in enumerate(notes["_groups"])}
    cube = np.zeros((len(g_index), len(themes), SESSIONS_PER_GROUP), dtype=np.int64)
    gi = np.array([g_index[g] for g in notes["group"]])
    ti = np.array([t_index[t] for t in notes["theme"]])
    np.add.at(cube, (gi, ti, notes["session"] - 1), 1)
    grids: dict[str, list[list[object]]] = {"codebook": side["codebook"]}
    for g, k in g_index.items():
        grid = [["Theme", *range(1, SESSIONS_PER_GROUP + 1)]]
        grid += [[t, *(int(v) if v else None for v in cube[k, i])]
                 for i, t in enumerate(themes)]
        grids[g] = grid
    write_xlsx(files.grid, grids)
    return files


def generate_wide(n: int = 1_500, n_themes: int = 400, folder: Path = DATA) -> Path:
    """Write (or reuse) a template workbook of ``n`` notes over ``n_themes`` themes.

    A large interview study's shape: the notes of :func:`make_notes` re-coded to
    ``n_themes`` themes in eight categories, theme frequencies falling off like a Zipf law
    (a few frequent themes, a long tail of themes noted once or twice), so every table and
    figure of the report has hundreds of rows.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"wide_{n}_{n_themes}_v{VERSION}.xlsx"
    if path.exists():
        return path
    rng = np.random.default_rng(SEED + n + n_themes)
    notes = make_notes(n)
    categories = [f"Category {chr(ord('A') + k)}" for k in range(8)]
    themes = np.array([f"Theme {i + 1:03d}" for i in range(n_themes)], dtype=object)
    weights = 1.0 / np.arange(1, n_themes + 1)
    theme = rng.choice(n_themes, size=n, p=weights / weights.sum())
    theme[:n_themes] = rng.permutation(n_themes)[: min(n, n_themes)]  # every theme noted
    notes["theme"] = themes[theme]
    notes["note"] = np.array([f"{t} came up ({i + 1})." for i, t in enumerate(notes["theme"])],
                             dtype=object)
    notes["_themes"] = np.array([(t, categories[i % len(categories)])
                                 for i, t in enumerate(themes)], dtype=object)
    cols = [notes[c] if c in notes else np.full(n, None, dtype=object) for c in NOTE_HEADER]
    rows = [NOTE_HEADER, *map(list, zip(*cols, strict=True))]
    return write_xlsx(path, {"notes": rows, **_side_sheets(notes)})


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["10000"]:
        f = generate(int(arg))
        print(f.template, f.grid, f.csv)
