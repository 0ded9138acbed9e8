"""Errors raised by the readers: one clear sentence, never a library traceback."""

from __future__ import annotations

from ..study import Problem

__all__ = ["InputError", "UnreadableFileError", "UnsupportedFormatError"]


class InputError(Exception):
    """A file that cannot be read as a study.

    Attributes
    ----------
    problem : Problem
        What went wrong and where; ``str(error)`` is the same sentence.
    exit_code : int
        The exit status ``python -m analysis`` uses for it (2).
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        self.problem = Problem(message, file=file, sheet=sheet, row=row, column=column)
        super().__init__(str(self.problem))


class UnreadableFileError(InputError):
    """The file is empty, truncated, corrupt, encrypted or otherwise not readable."""


class UnsupportedFormatError(InputError):
    """The file is of a kind no reader handles (e.g. legacy ``.xls``)."""
