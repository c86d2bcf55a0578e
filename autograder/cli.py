"""Command line: wires the stages together. No grading logic lives here."""

from __future__ import annotations

import argparse
import sys

from . import errors
from .errors import CourseError, InputError
from .sandbox import SandboxUnavailable

EPILOG = """\
exit status:
  0  grading ran (whatever the score); validate/release --check found nothing wrong
  1  internal error in the grader (please report it)
  2  could not run: bad arguments, broken course.yaml, no notebook found, validation failed
  3  grading ran, but some notebook could not be read; it is scored 0 and the reason is printed
"""


def _course(args):
    from .context import load

    return load(args.root)


def cmd_grade(args, visibilities=("public", "hidden")) -> int:
    from .pipeline import grade_paths
    from .report import print_table, to_json, write_json_atomic

    tree = _course(args)
    from .sandbox import describe, summary

    info: dict = {}
    results = grade_paths(tree, args.paths, visibilities=visibilities, sandbox=not args.no_sandbox, info=info)
    print_table(results, details=not args.quiet)
    if getattr(args, "verbose", False):
        print(describe(info.get("sandbox")), file=sys.stderr)
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

    tree = _course(args)
    problems = validate_course(tree, release=not args.source_only)
    for p in problems:
        print(p)
    if problems:
        return errors.EXIT_USAGE
    n = len(tree.model.assignments)
    print(f"{tree.path}: OK ({n} assignments, notebooks and checks agree)")
    return errors.EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograder",
        description="Grade Lecture 09 notebooks: student code runs in a separate sandboxed process; "
        "every verdict is computed by the grader.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--root", help="course root (folder with course.yaml); default: search upwards from here")
    sub = p.add_subparsers(dest="cmd", required=True)

    g = sub.add_parser(
        "grade",
        help="grade notebooks or a student's folder (public and hidden checks)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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

    from . import workflows

    workflows.add_commands(sub, EPILOG)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CourseError as exc:
        print(str(exc), file=sys.stderr)
        return errors.EXIT_USAGE
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return errors.EXIT_USAGE
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return errors.EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
