"""Read options: one documented set shared by every reader, ``read_study`` and the CLI.

Researchers' files rarely follow the template. :class:`ReadOptions` says how to read one
anyway: which column holds which role, which sheet, how codes are written, where the codebook
is. ``read_study(path, columns={...}, sheet=...)`` and every command that reads
(``check``, ``report``, ``convert``, ``agree``) take the same options; wrong or contradictory
ones are an :class:`OptionsError` (exit 2, one sentence).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import InputError

__all__ = ["CATEGORY_CONFLICTS", "CODEBOOK_ROLES", "LAYOUTS", "ROLES", "OptionsError",
           "ReadOptions", "parse_mapping"]

#: Column roles of a notes table, for ``columns={ROLE: HEADER}`` / ``--column ROLE=HEADER``.
ROLES: tuple[str, ...] = ("group", "session", "date", "theme", "category", "valence", "note",
                          "speaker", "coder", "id")
#: Column roles of a codebook table, for ``codebook_columns`` / ``--codebook-column``.
CODEBOOK_ROLES: tuple[str, ...] = ("theme", "category", "definition", "aliases")
#: What to do when one theme is filed under several categories.
CATEGORY_CONFLICTS: tuple[str, ...] = ("error", "majority", "split")
#: Layouts a file can be read as (``layout=`` forces one).
LAYOUTS: tuple[str, ...] = ("template", "notes", "grid", "wide", "taguette", "qdpx",
                            "atlas", "maxqda")


class OptionsError(InputError):
    """Wrong or contradictory read options (exit status 2, one sentence)."""


def _tuple_of_text(value: Sequence[str] | str | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise OptionsError(f"{name} needs one or more non-empty column headers")
    return tuple(v.strip() for v in items)


def _check_mapping(mapping: Mapping[str, str] | None, roles: tuple[str, ...],
                   option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for role, header in dict(mapping or {}).items():
        key = str(role).strip().casefold()
        if key not in roles:
            raise OptionsError(f"{option}: unknown role {role!r}; the roles are "
                               f"{', '.join(roles)}")
        if not isinstance(header, str) or not header.strip():
            raise OptionsError(f"{option}: the header for {key!r} is empty")
        text = header.strip()
        folded = text.casefold()
        if folded in seen and seen[folded] != key:
            raise OptionsError(f"{option}: column {text!r} is given two roles, "
                               f"{seen[folded]!r} and {key!r}")
        seen[folded] = key
        out[key] = text
    return out


def parse_mapping(items: Sequence[str], roles: tuple[str, ...], option: str) -> dict[str, str]:
    """Parse ``["theme=Reason", "note=Decision"]`` into ``{"theme": "Reason", ...}``.

    Raises
    ------
    OptionsError
        For an item without ``=``, an unknown role, a role given twice or an empty header.
    """
    out: dict[str, str] = {}
    for item in items:
        role, sep, header = item.partition("=")
        if not sep:
            raise OptionsError(f"{option} {item!r}: write ROLE=HEADER, e.g. {option} "
                               "theme=Reason")
        key = role.strip().casefold()
        if key in out:
            raise OptionsError(f"{option}: role {key!r} is given twice")
        out[key] = header
    return _check_mapping(out, roles, option)


@dataclass(frozen=True)
class ReadOptions:
    r"""How to read a study file; every field is optional.

    Attributes
    ----------
    columns : mapping of str to str
        Which column holds which role, ``{ROLE: HEADER}``; roles are :data:`ROLES`
        (``group, session, date, theme, category, valence, note, speaker, coder, id``).
        A mapped column wins over header synonyms. Headers match ignoring case and spacing.
        CLI: ``--column ROLE=HEADER`` (repeatable).
    sheet : str, optional
        The sheet to read, for every layout (template notes, grid, wide, exports).
    layout : str, optional
        Read the file as this layout (:data:`LAYOUTS`) instead of telling it from the content.
    code_sep : str, optional
        Several codes in one cell, separated by this text (e.g. ``";"`` or ``"\n"``): one
        note per code. CLI: ``--code-sep``.
    separator : str, optional
        Separator between category and theme inside one code, e.g. ``"->"`` or ``"::"``.
    codes, code_prefix : optional
        Wide coding sheets: the code columns, or the prefix they share (``"Quality Factor"``).
    codebook : str or path-like, optional
        A codebook kept elsewhere: a sheet of the same workbook (its name), or a file
        (``.xlsx``/``.ods``, ``.csv``, REFI-QDA ``.qdc``, Taguette codebook CSV).
    codebook_columns : mapping of str to str
        The codebook's columns by role (``theme, category, definition, aliases``).
    category_conflicts : {"error", "majority", "split"}
        A theme filed under several categories: an error listing each (default), file it
        under its most frequent category (listing every note that moved), or make one theme
        per (theme, category).
    groups, group_pattern : optional
        Exports of QDA tools: which group each document belongs to (a mapping, or a
        ``document,group`` file) or a regular expression on the document name.
    category_level, theme_level : int
        REFI-QDA projects: the code-tree levels of categories (1 = top) and themes.
    dayfirst : bool
        Read ambiguous text dates such as ``01/04/2020`` as day/month.
    limits : Limits, optional
        Size limits checked before reading.
    title : str, optional
        The study's title, shown in reports (default: the file name).
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    layout: str | None = None
    code_sep: str | None = None
    separator: str | None = None
    codes: tuple[str, ...] | None = None
    code_prefix: str | None = None
    codebook: str | os.PathLike[str] | None = None
    codebook_columns: Mapping[str, str] = field(default_factory=dict)
    category_conflicts: str = "error"
    groups: Mapping[str, str] | str | os.PathLike[str] | None = None
    group_pattern: str | None = None
    category_level: int = 1
    theme_level: int | None = None
    dayfirst: bool = True
    limits: Any = None
    title: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "columns", _check_mapping(self.columns, ROLES, "--column"))
        set_(self, "codebook_columns",
             _check_mapping(self.codebook_columns, CODEBOOK_ROLES, "--codebook-column"))
        set_(self, "codes", _tuple_of_text(self.codes, "--codes"))
        if self.limits is None:
            from ._readers import Limits

            set_(self, "limits", Limits())
        if self.layout is not None and self.layout not in LAYOUTS:
            raise OptionsError(f"--layout {self.layout!r} is not one of {', '.join(LAYOUTS)}")
        if self.category_conflicts not in CATEGORY_CONFLICTS:
            raise OptionsError(f"--category-conflicts {self.category_conflicts!r} is not one "
                               f"of {', '.join(CATEGORY_CONFLICTS)}")
        for name in ("code_sep", "separator"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or value == ""
                                      or (value.strip() == "" and value not in "\n\t")):
                raise OptionsError(f"--{name.replace('_', '-')} must not be empty or blank")
        if self.code_sep is not None and self.code_sep == self.separator:
            raise OptionsError("--code-sep and --separator must differ: one separates codes, "
                               "the other a category from its theme inside one code")
        if self.codes is not None and self.code_prefix is not None:
            raise OptionsError("give --codes or --code-prefix, not both")
        if self.code_prefix is not None and not self.code_prefix.strip():
            raise OptionsError("--code-prefix must not be empty")
        if (self.codes or self.code_prefix) and "theme" in self.columns:
            raise OptionsError("--column theme=... names one theme column, --codes/"
                               "--code-prefix several code columns: give one or the other")
        if self.groups is not None and self.group_pattern is not None:
            raise OptionsError("give --groups or --group-pattern, not both")
        if self.theme_level is not None and self.theme_level <= self.category_level:
            raise OptionsError(f"--theme-level ({self.theme_level}) must be deeper than "
                               f"--category-level ({self.category_level})")
        if self.sheet is not None and not str(self.sheet).strip():
            raise OptionsError("--sheet must not be empty")

    def replace(self, **changes: Any) -> ReadOptions:
        """Return a copy with ``changes`` applied (checked like the original)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def of(cls, options: ReadOptions | None = None, **kwargs: Any) -> ReadOptions:
        """Return ``options`` updated with ``kwargs`` (unknown names are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise TypeError(f"unknown read option(s): {', '.join(unknown)}; the options are "
                            f"{', '.join(sorted(names))}")
        if options is None:
            return cls(**kwargs)
        return dataclasses.replace(options, **kwargs) if kwargs else options

    def given(self) -> dict[str, Any]:
        """Return the options that differ from the defaults (for logs and the report)."""
        out: dict[str, Any] = {}
        default = ReadOptions()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "limits":
                if value != default.limits:
                    out[f.name] = dataclasses.asdict(value)
                continue
            if value != getattr(default, f.name):
                out[f.name] = (dict(value) if isinstance(value, Mapping)
                               else list(value) if isinstance(value, tuple)
                               else os.fspath(value) if isinstance(value, os.PathLike)
                               else value)
        return out

    def command_line(self) -> str:
        """Return the options as command-line flags, e.g. ``--sheet Data --column theme=X``."""
        import shlex

        parts: list[str] = []
        flags = self.given()
        for role, header in flags.pop("columns", {}).items():
            parts += ["--column", f"{role}={header}"]
        for role, header in flags.pop("codebook_columns", {}).items():
            parts += ["--codebook-column", f"{role}={header}"]
        if "codes" in flags:
            parts += ["--codes", ",".join(flags.pop("codes"))]
        if flags.pop("dayfirst", True) is False:
            parts.append("--monthfirst")
        flags.pop("limits", None)
        for name, value in flags.items():
            parts += [f"--{name.replace('_', '-')}", str(value)]
        return " ".join(shlex.quote(p) for p in parts)
