"""Command line: ``python -m analysis check|template|convert|report``.

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
from .privacy import find_identifying
from .study import Problem, Study

__all__ = ["main"]

#: Problems listed per kind in text output before "... and N more".
MAX_LISTED = 50


def _read_options(args: argparse.Namespace) -> dict[str, object]:
    """Reader options given on the command line (those left unset are not passed)."""
    names = ("groups", "group_pattern", "codes", "code_prefix", "separator", "sheet",
             "theme_level")
    options: dict[str, object] = {n: getattr(args, n) for n in names
                                  if getattr(args, n, None) is not None}
    if getattr(args, "category_level", 1) != 1:
        options["category_level"] = args.category_level
    return options


def _limits(args: argparse.Namespace) -> Limits:
    raised: dict[str, float] = {}
    if getattr(args, "max_mb", None):
        raised.update(max_file_mb=args.max_mb, max_uncompressed_mb=args.max_mb)
    if getattr(args, "max_rows", None):
        raised["max_rows"] = args.max_rows
    if getattr(args, "max_cells", None):
        raised["max_cells"] = args.max_cells
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
        print(f"  ... and {len(items) - MAX_LISTED} more (use --json for all)", file=out)


def check_payload(study: Study) -> dict[str, object]:
    """Return the ``check --json`` object for a study.

    Keys: ``file``, ``notes``, ``groups``, ``sessions``, ``themes``, ``categories``,
    ``rejected``, ``read``, ``kept``, ``errors`` and ``warnings`` (lists of problem dicts
    with ``message`` and ``source``), ``privacy`` (what may be identifying data, found by
    :func:`~analysis.privacy.find_identifying`: problem dicts of severity ``warning``, kept
    apart from ``warnings``; they do not change ``ok`` or the exit status, but ``report``
    refuses the study until they are gone), ``merges`` (label merges), ``ok``.
    """
    log = study.log
    payload: dict[str, object] = {"file": study.source.name if study.source else None}
    payload.update(study.summary())
    payload.update({
        "read": log.read,
        "kept": log.kept,
        "by_sheet": log.by_sheet().reset_index().to_dict("records"),
        "errors": [p.to_dict() for p in log.all_errors],
        "warnings": [p.to_dict() for p in log.warnings],
        "privacy": [p.to_dict() for p in find_identifying(study)],
        "merges": [m.__dict__ for m in log.merges],
        "ok": not log.all_errors,
    })
    return payload


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        study = read_study(args.input, dayfirst=not args.monthfirst, limits=_limits(args),
                           **_read_options(args))
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
        _print_list("Errors", study.log.errors)
        _print_list("Rejected records", study.log.rejected)
        _print_list("Warnings", study.log.warnings)
        merges = [f"{m.raw!r} counted as {m.theme!r} ({m.reason}, {m.count} "
                  f"record{'s' if m.count != 1 else ''}, first at {m.first_source})"
                  for m in study.log.merges]
        _print_list("Theme labels merged", merges)
        privacy = cast(list[dict[str, Any]], payload["privacy"])
        _print_list("Possibly identifying data (use pseudonyms; `report` refuses until it is "
                    "gone or --allow-identifying is given)",
                    [f"{p['source']}: {p['message']}" if p["source"] else p["message"]
                     for p in privacy])
        print("OK: no errors" if payload["ok"] else
              f"FAILED: {len(study.log.all_errors)} error(s) to fix")
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
        study = read_study(args.input, dayfirst=not args.monthfirst, limits=_limits(args),
                           **_read_options(args))
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
    from .report import ReportError, render_report

    try:
        result = render_report(args.input, args.out, show_code=args.show_code,
                               progress=not args.quiet, limits=_limits(args),
                               read_options=_read_options(args),
                               dayfirst=not args.monthfirst,
                               allow_identifying=args.allow_identifying)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {result}")
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
                         help="wide sheets: separator between category and theme in a code; "
                              "write --separator='->' for values starting with '-'")
        qda.add_argument("--sheet", metavar="NAME", help="wide sheets: the sheet to read")
        qda.add_argument("--category-level", type=_count, default=1, metavar="N",
                         help="REFI-QDA projects: code-tree level of the categories (1 = top)")
        qda.add_argument("--theme-level", type=_count, metavar="N",
                         help="REFI-QDA projects: code-tree level of the themes "
                              "(default: the code applied)")

    p = sub.add_parser("check", help="read and validate a study; list every problem")
    p.add_argument("input", help="workbook (.xlsx, .xlsm, .ods), .csv, Taguette export or "
                                 ".qdpx project")
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
    p.add_argument("--allow-identifying", action="store_true",
                   help="render even if the input seems to hold real names, e-mail addresses "
                        "or phone numbers (listed by `check`); by default the report is "
                        "refused, since reports must use pseudonyms only")
    reading_options(p)
    p.set_defaults(func=_cmd_report)
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
