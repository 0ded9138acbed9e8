"""Command line: ``python -m analysis check|template|convert|report|agree``.

Exit status: 0 clean, 1 the data has errors (or a report was refused), 2 usage error or a file
that cannot be read. Errors are one sentence each; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from . import __version__
from .io import InputError, Limits, read_study, write_study, write_template
from .io._options import (
    CATEGORY_CONFLICTS,
    CODEBOOK_ROLES,
    LAYOUTS,
    ROLES,
    ReadOptions,
    parse_mapping,
)
from .privacy import find_identifying
from .study import Problem, Study

__all__ = ["main"]

#: Problems listed per kind in text output before "... and N more".
MAX_LISTED = 50


def _read_options(args: argparse.Namespace) -> ReadOptions:
    """Return the read options given on the command line, checked (OptionsError: exit 2)."""
    codebook = getattr(args, "codebook", None)
    if codebook is not None and Path(codebook).is_file():
        codebook = str(Path(codebook).resolve())  # the report runs in another folder
    elif codebook is not None and "#" in codebook:  # FILE.xlsx#Sheet
        head, _, sheet = codebook.rpartition("#")
        if Path(head).is_file():
            codebook = f"{Path(head).resolve()}#{sheet}"
    return ReadOptions(
        columns=parse_mapping(getattr(args, "column", None) or [], ROLES, "--column"),
        sheet=getattr(args, "sheet", None),
        layout=getattr(args, "layout", None),
        code_sep=_unescape(getattr(args, "code_sep", None)),
        separator=_unescape(getattr(args, "separator", None)),
        codes=getattr(args, "codes", None),
        code_prefix=getattr(args, "code_prefix", None),
        codebook=codebook,
        codebook_columns=parse_mapping(getattr(args, "codebook_column", None) or [],
                                       CODEBOOK_ROLES, "--codebook-column"),
        category_conflicts=getattr(args, "category_conflicts", None) or "error",
        groups=getattr(args, "groups", None),
        group_pattern=getattr(args, "group_pattern", None),
        category_level=getattr(args, "category_level", 1),
        theme_level=getattr(args, "theme_level", None),
        dayfirst=not getattr(args, "monthfirst", False),
        limits=_limits(args),
        title=getattr(args, "title", None),
    )


def _unescape(text: str | None) -> str | None:
    r"""Let ``--code-sep '\n'`` mean a line break (and ``\t`` a tab), as typed in a shell."""
    if text is None:
        return None
    return text.replace("\\n", "\n").replace("\\t", "\t")


def _limits(args: argparse.Namespace) -> Limits:
    raised: dict[str, float] = {}
    if getattr(args, "max_mb", None):
        raised.update(max_file_mb=args.max_mb, max_uncompressed_mb=args.max_mb)
    if getattr(args, "max_rows", None):
        raised["max_rows"] = args.max_rows
    if getattr(args, "max_cells", None):
        raised["max_cells"] = args.max_cells
    if getattr(args, "max_columns", None):
        raised["max_columns"] = args.max_columns
    if getattr(args, "max_ratio", None):
        raised["max_ratio"] = args.max_ratio
    return Limits(**raised)


def _count(text: str) -> int:
    """Parse a positive whole number for --max-rows/--max-cells (``3000000``, ``3_000_000``)."""
    try:
        value = int(text.replace(",", "_"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _print_list(title: str, items: Sequence[object]) -> None:
    out = sys.stdout
    if not items:
        return
    print(f"{title} ({len(items)}):", file=out)
    for item in items[:MAX_LISTED]:
        print(f"  - {item}", file=out)
    if len(items) > MAX_LISTED:
        unlisted = getattr(items, "not_listed", 0)
        print(f"  ... and {len(items) - MAX_LISTED} more (use --json for "
              + (f"the first {getattr(items, 'keep', 0)} of each reason; {unlisted} were "
                 "counted, not listed)" if unlisted else "all)"), file=out)
        if unlisted:
            print(f"{title}, per reason:", file=out)
            for r in items.summary().itertuples():  # type: ignore[attr-defined]
                where = ", ".join(str(v) for v in (r.file, r.sheet and f"sheet '{r.sheet}'",
                                                   r.column and f"column {r.column}") if v)
                print(f"  - {r.count} x {where}: {r.reason}", file=out)


def check_payload(study: Study) -> dict[str, object]:
    """Return the ``check --json`` object for a study.

    Keys: ``file``, ``notes``, ``groups``, ``sessions``, ``themes``, ``categories``,
    ``rejected`` (records rejected, all counted), ``rejected_not_listed`` (of them, those
    only counted: the first 200 of each reason are listed in ``errors``),
    ``rejected_by_reason`` (file, sheet, column, reason, count, listed), ``read``, ``kept``,
    ``layout`` (how the file was read), ``columns`` (the
    column used for each role), ``errors`` and ``warnings`` (lists of problem dicts
    with ``message`` and ``source``), ``privacy`` (what may be identifying data, found by
    :func:`~analysis.privacy.find_identifying`: problem dicts of severity ``warning``, kept
    apart from ``warnings``; they do not change ``ok`` or the exit status, but ``report``
    refuses the study until they are gone), ``merges`` (label merges), ``ok``; ``codebook``
    (where the codebook came from, or null), ``category_conflicts`` (each theme filed under
    several categories: ``theme``, ``resolution``, ``categories`` with ``category, notes,
    first_source``, ``result``) and ``moves`` (notes filed under their theme's majority
    category: ``source, theme, category, to_category``).
    """
    log = study.log
    payload: dict[str, object] = {"file": study.source.name if study.source else None}
    payload.update(study.summary())
    payload.update({
        "read": log.read,
        "kept": log.kept,
        "layout": log.layout,
        "columns": dict(log.columns),
        "options": dict(log.options),
        "by_sheet": log.by_sheet().reset_index().to_dict("records"),
        "errors": [p.to_dict() for p in log.all_errors],
        "rejected_not_listed": log.rejected.not_listed,
        "rejected_by_reason": log.rejected.summary().to_dict("records"),
        "warnings": [p.to_dict() for p in log.warnings],
        "privacy": [p.to_dict() for p in find_identifying(study)],
        "merges": [m.__dict__ for m in log.merges],
        "ok": not log.all_errors,
    })
    payload.update(_codebook_payload(study))
    return payload


def _codebook_payload(study: Study) -> dict[str, object]:
    """Keys ``codebook`` (where it came from), ``category_conflicts``, ``moves``."""
    log = study.log
    return {"codebook": log.codebook,
            "category_conflicts": [c.to_dict() for c in log.conflicts],
            "moves": [m.__dict__ for m in log.moves]}


def _print_codebook(study: Study) -> None:
    """Print where the codebook came from and every note a category conflict moved.

    Each conflict itself is an error or a warning already (``log.conflicts`` has them all).
    """
    log = study.log
    if log.codebook:
        print(f"codebook: {log.codebook}")
    _print_list("Notes moved to their theme's majority category", [str(m) for m in log.moves])


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        study = read_study(args.input, _read_options(args))
    except InputError as exc:
        if args.json:
            print(json.dumps({"file": Path(args.input).name, "ok": False,
                              "errors": [exc.problem.to_dict()], "warnings": [],
                              "privacy": []}, indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    payload = check_payload(study)
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    else:
        s = study.summary()
        print(f"{payload['file']}: {s['notes']} notes, {s['groups']} groups, "
              f"{s['sessions']} sessions, {s['themes']} themes, {s['categories']} categories")
        per_sheet = ", ".join(f"{name} {n}" for name, n in study.log.sheets.items())
        print(f"records read {study.log.read}" + (f" ({per_sheet})" if per_sheet else "")
              + f", kept {study.log.kept}, rejected {s['rejected']}")
        if study.log.layout:
            print(f"read as: {study.log.layout}")
        if study.log.columns:
            print("columns: " + ", ".join(f"{role} = {col}"
                                          for role, col in study.log.columns.items()))
        _print_list("Errors", study.log.errors)
        _print_list("Rejected records", study.log.rejected)
        _print_list("Warnings", study.log.warnings)
        merges = [f"{m.raw!r} counted as {m.theme!r} ({m.reason}, {m.count} "
                  f"record{'s' if m.count != 1 else ''}, first at {m.first_source})"
                  for m in study.log.merges]
        _print_list("Theme labels merged", merges)
        _print_codebook(study)
        privacy = cast(list[dict[str, Any]], payload["privacy"])
        _print_list("Possibly identifying data (use pseudonyms; `report` refuses until it is "
                    "gone or --allow-identifying is given)",
                    [f"{p['source']}: {p['message']}" if p["source"] else p["message"]
                     for p in privacy])
        print("OK: no errors" if payload["ok"] else
              f"FAILED: {len(study.log.errors) + len(study.log.rejected)} error(s) to fix")
    return 0 if payload["ok"] else 1


def _cmd_template(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"error: {path} exists; use --force to overwrite", file=sys.stderr)
        return 2
    write_template(path)
    print(f"wrote {path}")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    try:
        study = read_study(args.input, _read_options(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    out = Path(args.out)
    if out.resolve() == Path(args.input).resolve():
        print("error: --out must differ from the input; inputs are never modified",
              file=sys.stderr)
        return 2
    write_study(study, out)
    print(f"wrote {out}: {len(study.notes)} notes; {len(study.log.rejected)} record(s) "
          "rejected (see `check`)")
    return 1 if study.log.all_errors else 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .publish import figure_formats
    from .report import ReportError, render_report

    try:
        figure_formats(args.formats)
    except ValueError as exc:
        print(f"error: --formats: {exc}", file=sys.stderr)
        return 2
    try:
        options = _read_options(args)
        given = options.given()
        given.pop("limits", None)
        given.pop("dayfirst", None)
        result = render_report(args.input, args.out, show_code=args.show_code,
                               progress=not args.quiet, limits=options.limits,
                               read_options=given, dayfirst=options.dayfirst,
                               allow_identifying=args.allow_identifying,
                               formats=args.formats)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {result}")
    return 0


def _figure(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def _cmd_agree(args: argparse.Namespace) -> int:
    """Agreement of two coders' files on the presence of each code in each session."""
    from ._agree import AgreementError, coder_agreement

    paths = (Path(args.first), Path(args.second))
    try:
        options = _read_options(args)
        studies = [read_study(p, options) for p in paths]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    names = tuple(p.stem for p in paths)
    if names[0] == names[1]:
        names = (str(paths[0]), str(paths[1])) if paths[0] != paths[1] else ("first", "second")
    try:
        result = coder_agreement(studies[0], studies[1], (names[0], names[1]))
    except AgreementError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = {p.name: len(s.log.all_errors) for p, s in zip(paths, studies, strict=True)
                if s.log.all_errors}
    payload = {"first": paths[0].name, "second": paths[1].name, **result,
               "files_with_errors": problems}
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    first, second = names
    print(f"Agreement of {paths[0].name} ({first}) and {paths[1].name} ({second}), sessions "
          f"matched on {result['matched_on']}")
    print(f"Unit: {result['unit']}.")
    print(f"{result['units']} session(s) coded by both x {result['codes']} code(s) = "
          f"{result['decisions']} units")
    print(f"percent agreement {_figure(result['percent'])}, Cohen's kappa "
          f"{_figure(result['kappa'])}, Krippendorff's alpha {_figure(result['alpha'])}")
    _print_list(f"Per code (sessions coded by both that have the code: {first} / {second} / "
                "both coders; percent, kappa, alpha)",
                [f"{t['theme']}: {t['first']} / {t['second']} / {t['both']}; "
                 f"{_figure(t['percent'])}, {_figure(t['kappa'])}, {_figure(t['alpha'])}"
                 for t in result["per_theme"]])

    def where(d: dict[str, object]) -> str:
        return (f"{d['group']}, " if d["group"] else "") + f"session {d['session']}"

    _print_list("Disagreements (sessions where the codes differ)",
                [f"{where(d)}: {first}: {', '.join(d['first']) or '-'}; {second}: "
                 f"{', '.join(d['second']) or '-'}" for d in result["disagreements"]])
    for key, who in (("only_first", first), ("only_second", second)):
        _print_list(f"Sessions coded by {who} only (listed, not counted)",
                    [where(d) for d in result[key]])
    for name, n in problems.items():
        print(f"note: {name} has {n} error(s); run `check` on it")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m analysis``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Content analysis of group-session notes kept in spreadsheets.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def reading_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--monthfirst", action="store_true",
                       help="read ambiguous text dates like 04/01/2020 as month/day")
        p.add_argument("--max-mb", type=float, metavar="MB",
                       help="raise the size limits (file and uncompressed content) to MB")
        p.add_argument("--max-rows", type=_count, metavar="N",
                       help=f"raise the rows-per-sheet limit (default {Limits.max_rows:,})")
        p.add_argument("--max-cells", type=_count, metavar="N",
                       help="raise the cells-per-sheet limit, rows times columns "
                            f"(default {Limits.max_cells:,})")
        p.add_argument("--max-columns", type=_count, metavar="N",
                       help="raise the columns-per-sheet limit "
                            f"(default {Limits.max_columns:,})")
        p.add_argument("--max-ratio", type=float, metavar="X",
                       help="raise the compression-ratio limit of a workbook's parts "
                            f"(default {Limits.max_ratio:g})")
        cols = p.add_argument_group(
            "which column is which (any table: template, CSV, wide sheets, exports)")
        cols.add_argument("--column", action="append", metavar="ROLE=HEADER",
                          help="read column HEADER as ROLE; repeatable. Roles: "
                               + ", ".join(ROLES) + ". A mapped column wins over header names")
        cols.add_argument("--sheet", metavar="NAME", help="the sheet to read (any layout)")
        cols.add_argument("--layout", choices=LAYOUTS,
                          help="read the file as this layout instead of telling it from the "
                               "content")
        cols.add_argument("--code-sep", metavar="SEP",
                          help="several codes in one cell separated by SEP (e.g. ';' or "
                               "'\\n'): one note per code")
        cols.add_argument("--title", metavar="TEXT", help="the study's title in reports")
        cb = p.add_argument_group("codebook kept elsewhere")
        cb.add_argument("--codebook", metavar="SOURCE",
                        help="a sheet of the same workbook, or a codebook file (.xlsx/.ods "
                             "sheet, .csv, REFI-QDA .qdc, Taguette codebook CSV)")
        cb.add_argument("--codebook-column", action="append", metavar="ROLE=HEADER",
                        help="the codebook's column for ROLE (" + ", ".join(CODEBOOK_ROLES)
                             + "); repeatable")
        cb.add_argument("--category-conflicts", choices=CATEGORY_CONFLICTS, default="error",
                        help="a theme filed under several categories: error (default, list "
                             "them), majority (its most frequent category; moved notes are "
                             "listed) or split (one theme per category)")
        qda = p.add_argument_group("exports of QDA tools and wide coding sheets")
        qda.add_argument("--groups", metavar="FILE",
                         help="Taguette: a CSV/xlsx with columns document,group")
        qda.add_argument("--group-pattern", metavar="REGEX",
                         help="Taguette: the group is this pattern's first group in the "
                              "document name, e.g. '^(G\\d+)_'")
        qda.add_argument("--codes", metavar="COL,COL", type=lambda v: [c.strip() for c in
                                                                        v.split(",")],
                         help="wide sheets: the code columns, comma-separated")
        qda.add_argument("--code-prefix", metavar="TEXT",
                         help="wide sheets: code columns start with TEXT, e.g. 'Code'")
        qda.add_argument("--separator", metavar="SEP",
                         help="separator between category and theme inside a code; "
                              "write --separator='->' for values starting with '-'")
        qda.add_argument("--category-level", type=_count, default=1, metavar="N",
                         help="REFI-QDA projects: code-tree level of the categories (1 = top)")
        qda.add_argument("--theme-level", type=_count, metavar="N",
                         help="REFI-QDA projects: code-tree level of the themes "
                              "(default: the code applied)")

    p = sub.add_parser("check", help="read and validate a study; list every problem")
    p.add_argument("input", help="workbook (.xlsx, .xlsm, .ods), .csv, export of Taguette, "
                                 "ATLAS.ti or MAXQDA, or REFI-QDA .qdpx/.qde project")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    reading_options(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("template", help="write an empty, documented template workbook")
    p.add_argument("path", help="where to write the .xlsx")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("convert", help="write any supported input as the template workbook")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="the .xlsx to write")
    reading_options(p)
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("report", help="render the HTML report of a study")
    p.add_argument("input")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--show-code", action="store_true", help="include code cells")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--formats", metavar="LIST", default=None,
                   help="figure files to write, comma-separated from svg,pdf,png (default "
                        "svg,pdf: the page's SVG and a PDF for print)")
    p.add_argument("--allow-identifying", action="store_true",
                   help="render even if the input seems to hold real names, e-mail addresses "
                        "or phone numbers (listed by `check`); by default the report is "
                        "refused, since reports must use pseudonyms only")
    reading_options(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("agree", help="agreement of two coders' files on the codes of each "
                                     "session coded by both")
    p.add_argument("first", help="the first coder's file (any layout `check` reads)")
    p.add_argument("second", help="the second coder's file, read with the same options")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    reading_options(p)
    p.set_defaults(func=_cmd_agree)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for usage errors, 0 for --help
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"error: {Problem(exc.strerror or str(exc), file=exc.filename)}",
              file=sys.stderr)
        return 2
    except Exception as exc:  # a bug of ours: one line, the traceback on request
        if os.environ.get("ANALYSIS_DEBUG"):
            raise
        print(f"internal error ({type(exc).__name__}: {exc}); please report it with the "
              "command you ran. Set ANALYSIS_DEBUG=1 to see the traceback.", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
