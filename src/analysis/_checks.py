"""Argument checks shared by the tables, codebook and chart modules: one wording everywhere."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = ["check_choice", "require_columns"]


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise ``ValueError`` listing the allowed values when ``value`` is not one of them."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}")


def require_columns(notes: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise ``ValueError`` naming the columns a notes table lacks."""
    missing = [c for c in columns if c not in notes.columns]
    if missing:
        raise ValueError(
            f"notes table lacks column(s) {', '.join(missing)}; pass study.notes "
            "(the table returned by read_study)"
        )
