"""Reading a table a block of rows at a time gives what reading all its rows gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.io import _tables
from analysis.io._schema import SHEETS
from analysis.io._tables import SheetColumns, parse_table
from analysis.io._values import Distinct


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 7)  # many blocks from a few rows


def rows_of_every_kind() -> list[list[object]]:
    rows: list[list[object]] = [["title row"], [], ["group", "session", "date", "theme", "note"]]
    values = [1, 1.0, True, "1", "S1", None, "", float("nan"), dt.datetime(2020, 4, 1),
              dt.date(2020, 4, 1), "abc", 0, False]
    for i in range(60):
        v = values[i % len(values)]
        rows.append([f"G{i % 3}", v, "2020-04-01" if i % 2 else v, ["Fear", "Hope", v][i % 3],
                     f"note {i}"][: 3 + i % 3])  # short rows too
    return [*rows, ["", None, ""], [], [None]]  # trailing blank rows


def test_columns_hold_the_same_values_with_their_own_types(small_blocks):
    rows = rows_of_every_kind()
    store = SheetColumns(rows)
    last = max(i for i, r in enumerate(rows) if any(v not in ("", None) for v in r)) + 1
    assert len(store) == last == len(rows) - 3
    assert store.width == 5
    for j, col in enumerate(store.columns()):
        expected = [r[j] if j < len(r) else None for r in rows[:last]]
        got = col.tolist()
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert type(a) is type(b)  # 1, 1.0 and True stay apart
            assert a == b or (a != a and b != b)
    assert store[:30] == rows[:30] and store[2] == rows[2]


def test_equal_values_share_one_object(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 20)
    rows = [["group", "theme"], *([f"G{i % 2}", "x" * 20 + str(i % 3)] for i in range(50))]
    col = SheetColumns(rows).columns(1)[1]
    assert len({id(v) for v in col}) == 3


def test_parse_table_reads_both_the_same(small_blocks):
    rows = rows_of_every_kind()
    a = parse_table(rows, SHEETS["notes"], file="f.xlsx", sheet="notes")
    b = parse_table(SheetColumns(rows), SHEETS["notes"], file="f.xlsx", sheet="notes")
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert [str(p) for p in a.log.rejected] == [str(p) for p in b.log.rejected]
    assert len(a.log.rejected) > 0 and len(b.frame) > 0
    assert (a.log.read, a.log.kept, a.header_row) == (b.log.read, b.log.kept, b.header_row)
    assert [str(p) for p in a.log.warnings] == [str(p) for p in b.log.warnings]


def test_empty_input():
    store = SheetColumns([])
    assert (len(store), store.width, store[:30]) == (0, 0, [])
    assert isinstance(store.columns(), list) and not np.size(store.columns())


def test_sheet_whose_cells_start_right_of_and_below_a1(tmp_path):
    # calamine's row iterator starts at the first used column; the cells must keep their
    # spreadsheet columns (the table here starts at B3)
    import openpyxl

    from analysis import read_study

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "notes"
    for r, values in enumerate([("group", "session", "theme"), ("G1", 1, "Fear"),
                                ("G1", 2, "Hope")], start=3):
        for c, v in enumerate(values, start=2):
            ws.cell(row=r, column=c, value=v)
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    study = read_study(path)
    assert study.notes[["group", "session", "theme", "source"]].astype(str).values.tolist() \
        == [["G1", "1", "Fear", "notes!D4"], ["G1", "2", "Hope", "notes!D5"]]
    assert study.log.columns == {"group": "B (group)", "session": "C (session)",
                                 "theme": "D (theme)"}


def test_numbers_of_different_types_in_different_blocks_keep_their_types(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 5)
    # ints in the first block, equal floats then booleans in later ones
    values = [1, 0, 1, 0, 1, 1.0, 0.0, 1.0, 0.0, 1.0, True, False, True, False, True]
    col = SheetColumns([[v] for v in values]).columns()[0].tolist()
    assert [type(v) for v in col] == [type(v) for v in values]
    assert col == values


# --- columns held as codes (CSV) -----------------------------------------------------------

def random_csv_rows(seed: int) -> list[list[str]]:
    """Text cells as csv.reader gives them: a title, the header lower down, labels that
    repeat (the header's own text among them), blanks, short rows, bad values."""
    rng = np.random.default_rng(seed)
    header = ["group", "session", "date", "theme", "valence", "note", "speaker"]
    top = int(rng.integers(0, 4))
    rows: list[list[str]] = [["Study notes", "", "group"][: 1 + i % 3] for i in range(top)]
    rows.append(header)
    pools = {
        "group": ["G1", "G2", "group", "", "Group 3"],
        "session": ["1", "2", "S3", "x", "", "session", "0"],
        "date": ["2020-04-01", "01/05/2020", "", "date", "not a date"],
        "theme": ["Fear", "Hope", "hope ", "", "theme", "Study notes"],
        "valence": ["positive", "-", "+", "", "meh", "neutral"],
        "speaker": ["P1", "P2", "", "speaker"],
    }
    for i in range(int(rng.integers(40, 120))):
        row = [str(rng.choice(pools[h])) if h in pools else f"note {i} {rng.integers(9)}"
               for h in header]
        rows.append(row[: int(rng.integers(3, len(header) + 1))] if i % 11 == 5 else row)
    return [*rows, ["", ""], []]


@pytest.mark.parametrize("seed", range(12))
def test_coded_columns_read_as_rows_do(monkeypatch, seed):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 9)
    rows = random_csv_rows(seed)
    a = parse_table(rows, SHEETS["notes"], file="f.csv", sheet=None)
    store = SheetColumns(rows, coded=True)
    assert any(isinstance(c, _tables.CodedColumn) for c in store.columns())
    b = parse_table(store, SHEETS["notes"], file="f.csv", sheet=None)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    for name in a.frame.columns:  # categories in the same order, dtypes alike
        assert a.frame[name].dtype == b.frame[name].dtype, name
    assert [(p.message, p.file, p.row, p.column) for p in a.log.rejected] \
        == [(p.message, p.file, p.row, p.column) for p in b.log.rejected]
    assert len(a.log.rejected) > 0
    assert (a.header_row, a.columns) == (b.header_row, b.columns)


def test_coded_columns_give_back_every_cell(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 5)
    rows = random_csv_rows(3)
    store = SheetColumns(rows, coded=True)
    last = max(i for i, r in enumerate(rows) if any(v != "" for v in r)) + 1
    assert len(store) == last
    for j, col in enumerate(store.columns()):
        assert col.tolist() == [r[j] if j < len(r) else None for r in rows[:last]]
    assert store[:30] == rows[:30]
    assert store.to_rows()[-1] == [*rows[last - 1], *[None] * (7 - len(rows[last - 1]))]


def test_a_column_of_distinct_texts_is_held_as_objects(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 200)
    rows = [["group", "note"], *([f"G{i % 2}", f"text {i}"] for i in range(1000))]
    group, note = SheetColumns(rows, coded=True).columns(1)
    assert isinstance(group, _tables.CodedColumn) and group.codes.dtype == np.int32
    assert isinstance(note, np.ndarray) and note.tolist() == [f"text {i}" for i in range(1000)]


def test_coded_columns_need_none_as_fill():
    with pytest.raises(ValueError, match="fill"):
        SheetColumns([["a"]], fill="", coded=True)


def test_distinct_from_codes_orders_values_met_above_the_slice():
    # codes of a column whose rows 0-1 (above the header's slice) met "b" and "x" first
    values = np.array(["b", "x", "c", "a", None], dtype=object)
    codes = np.array([0, 1, 2, 3, 0, -1, 2, 3], dtype=np.int32)
    dist = _tables.CodedColumn(codes[2:], values, head=2).distinct()
    expected = Distinct(values[codes[2:]])
    assert dist.uniques.tolist() == expected.uniques.tolist() == ["c", "a", "b"]
    def upper(v: object) -> str:
        return str(v).upper()

    got, want = dist.labels(upper), expected.labels(upper)
    assert list(got.categories) == list(want.categories) == ["C", "A", "B", "NONE"]
    assert got.tolist() == want.tolist()
    assert dist.map(str).tolist() == expected.map(str).tolist()


def test_parse_table_can_leave_sources_for_later():
    rows = [["group", "session", "theme"], ["G1", "1", "Fear"], ["G1", "x", "Hope"],
            ["G2", "2", "Hope"]]
    whole = parse_table(rows, SHEETS["notes"], file="f.csv", sheet=None)
    later = parse_table(rows, SHEETS["notes"], file="f.csv", sheet=None, sources=False)
    assert "source" not in later.frame
    later.add_sources()
    pd.testing.assert_frame_equal(whole.frame, later.frame)
    assert later.frame["source"].tolist() == ["f.csv!C2", "f.csv!C4"]


def test_cell_names_in_slices():
    rows = np.arange(1, 200_001, 2)
    names = _tables.cell_names("notes!D", rows)
    assert names.dtype == object and len(names) == len(rows)
    assert names[0] == "notes!D1" and names[-1] == "notes!D199999"
    assert _tables.cell_names("x!A", np.array([], dtype=np.int64)).tolist() == []


def test_text_columns_are_held_as_codes_until_another_type_turns_up(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 4)
    # theme: text for three blocks, then a number and a date; group: text throughout
    themes = [["Fear", "Hope"][i % 2] for i in range(12)] + [1.0, dt.date(2020, 4, 1), "Fear", 1]
    rows = [["group", "theme"], *([f"G{i % 2}", t] for i, t in enumerate(themes))]
    group, theme = SheetColumns(rows, fill="").columns()
    assert isinstance(group, _tables.CodedColumn)
    assert group.tolist() == [r[0] for r in rows]
    assert isinstance(theme, np.ndarray)
    got = theme.tolist()
    assert got == [r[1] for r in rows]
    assert [type(v) for v in got] == [type(r[1]) for r in rows]  # 1.0 and 1 kept apart
    a = parse_table(rows, SHEETS["notes"], file="f.xlsx", sheet="notes")
    b = parse_table(SheetColumns(rows, fill=""), SHEETS["notes"], file="f.xlsx", sheet="notes")
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert [str(p) for p in a.log.rejected] == [str(p) for p in b.log.rejected]


def test_mostly_distinct_is_judged_on_the_rows_read_so_far(monkeypatch):
    monkeypatch.setattr(_tables, "BLOCK_ROWS", 10)
    monkeypatch.setattr(_tables, "SHARE_ROWS", 400)
    # 100 speakers, three rows each, then again: more distinct values than half a block
    # (or 64), always fewer than half the rows read; the notes differ row by row
    rows = [["speaker", "note"], *([f"P{i // 3 % 100}", f"note {i}"] for i in range(1000))]
    speaker, note = SheetColumns(rows).columns(1)
    assert isinstance(speaker, _tables.CodedColumn)
    assert len(speaker.values) == 1 + 100 + 1  # the header, the speakers, None (code -1)
    assert speaker.tolist() == [r[0] for r in rows[1:]]
    assert isinstance(note, np.ndarray) and note.tolist() == [r[1] for r in rows[1:]]
