"""grade, check, validate, classroom-report: notebooks graded (or a course validated) here and now."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import errors
from .context import load

FORMATTER = argparse.RawDescriptionHelpFormatter
log = logging.getLogger(__name__)


def cmd_grade(args, visibilities=("public", "hidden")) -> int:
    from .pipeline import grade_paths
    from .report import print_table, to_json, write_json_atomic
    from .sandbox import describe, summary

    tree = load(args.root)
    info: dict = {}
    results = grade_paths(tree, args.paths, visibilities=visibilities, sandbox=not args.no_sandbox, info=info)
    print_table(results, details=not args.quiet)
    log.info(describe(info.get("sandbox")))  # shown with -v
    if args.json:
        data = to_json(results)
        if "sandbox" in info:
            data["sandbox"] = summary(info["sandbox"])
        write_json_atomic(args.json, data)
    # one line per problem (a linked submission folder is the same problem for every notebook in it)
    unreadable = list(dict.fromkeys(r.problem for r in results if r.problem and not r.problem.startswith("제출하지")))
    for problem in unreadable:
        print(f"error: {problem}", file=sys.stderr)
    return errors.EXIT_PARTIAL if unreadable else errors.EXIT_OK


def cmd_check(args) -> int:
    return cmd_grade(args, visibilities=("public",))


def cmd_validate(args) -> int:
    from .course import validate_course

    tree = load(args.root)
    problems = validate_course(tree, release=not args.source_only)
    for p in problems:
        print(p)
    if problems:
        return errors.EXIT_USAGE
    print(f"{tree.path}: OK ({len(tree.model.assignments)} assignments, notebooks and checks agree)")
    return errors.EXIT_OK


def cmd_classroom_report(args) -> int:
    from .classroom import classroom_report

    tree = load(args.root)
    return classroom_report(
        tree, [Path(p) for p in args.paths], output=args.github_output, hidden=args.hidden, sandbox=not args.no_sandbox
    )


def add(sub, epilog: str) -> None:
    g = sub.add_parser(
        "grade",
        help="grade notebooks or a student's folder (public and hidden checks)",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    g.add_argument("paths", nargs="+", metavar="PATH", help="a notebook, or a folder holding <id>/<id>.ipynb")
    g.add_argument("--json", metavar="FILE", help="write the result as JSON")
    g.add_argument("-q", "--quiet", action="store_true", help="only the table, no failure details")
    g.add_argument("-v", "--verbose", action="store_true", help="also print which sandbox layers were active")
    g.add_argument("--no-sandbox", action="store_true", help=argparse.SUPPRESS)
    g.set_defaults(func=cmd_grade)

    c = sub.add_parser(
        "check",
        help="run the public checks on a notebook (what students run before pushing)",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    c.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    c.add_argument("--json", metavar="FILE")
    c.add_argument("-q", "--quiet", action="store_true")
    c.add_argument("-v", "--verbose", action="store_true", help="also print which sandbox layers were active")
    c.add_argument("--no-sandbox", action="store_true", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_check)

    v = sub.add_parser("validate", help="validate course.yaml against the notebooks and check files")
    v.add_argument("--source-only", action="store_true", help="skip the released notebooks in assignments/")
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser(
        "classroom-report",
        help="grade and write the result in the format of classroom-resources/autograding-grading-reporter",
        description="Used by .github/workflows/classroom.yml: grades the notebooks and writes one step output per "
        "assignment (base64 JSON, partial credit per check) to $GITHUB_OUTPUT.",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    r.add_argument("paths", nargs="+", metavar="PATH")
    r.add_argument("--github-output", metavar="FILE", help="append outputs here (default: $GITHUB_OUTPUT, else stdout)")
    r.add_argument(
        "--hidden", action="store_true", help="also run hidden checks (needs the instructor course as --root)"
    )
    r.add_argument("--no-sandbox", action="store_true", help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_classroom_report)
