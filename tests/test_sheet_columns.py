"""Reading a table a block of rows at a time gives what reading all its rows gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.io import _tables
from analysis.io._schema import SHEETS
from analysis.io._tables import SheetColumns, parse_table


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
