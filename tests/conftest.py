"""Shared fixtures: workbook builders, the example study, figure clean-up."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src" / "analysis" / "data" / "example_study.xlsx"
REALDATA = ROOT.parent / "shared" / "realdata"


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]], *,
               formulas: bool = False) -> Path:
    """Write a workbook whose sheets hold the given rows (row 1 first).

    Text starting with ``=`` is stored as text unless ``formulas`` is True (then openpyxl
    writes it as a formula without a cached value, as it always does).
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
        if not formulas:
            for cells in ws.iter_rows():
                for cell in cells:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"
    wb.save(path)
    return path


def notes_rows(rows: Iterable[Sequence[object]],
               header: Sequence[str] = ("group", "session", "date", "theme", "valence", "note")
               ) -> list[Sequence[object]]:
    return [tuple(header), *rows]


@pytest.fixture
def xlsx(tmp_path):
    """Return a function writing ``{sheet: rows}`` to a fresh .xlsx in tmp_path."""
    counter = iter(range(1000))

    def make(sheets: dict[str, Sequence[Sequence[object]]], name: str | None = None) -> Path:
        return write_xlsx(tmp_path / (name or f"book{next(counter)}.xlsx"), sheets)

    return make


@pytest.fixture(scope="session")
def example_study():
    from analysis import read_study

    if not EXAMPLE.exists():
        pytest.fail(f"{EXAMPLE.relative_to(ROOT)} is missing: run `make data`")
    return read_study(EXAMPLE)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close("all")
