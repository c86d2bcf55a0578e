"""similarity, written: what an instructor reviews by hand (shared code, written answers)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import errors
from .context import load
from .errors import UsageError

FORMATTER = argparse.RawDescriptionHelpFormatter


def cmd_similarity(args) -> int:
    from .fsutil import atomic_write
    from .similarity import DEFAULT_THRESHOLD, compare_class, render_html

    tree = load(args.root)
    threshold = args.threshold if args.threshold is not None else DEFAULT_THRESHOLD
    report = compare_class(tree, Path(args.submissions), threshold=threshold)
    atomic_write(Path(args.out), render_html(report, top=args.top))
    flagged = [p for p in report.pairs if p.flagged]
    print(
        f"{len(report.students)} students, {len(report.pairs)} pairs, {len(flagged)} flagged "
        f"(similarity >= {report.threshold:.2f}); wrote {args.out}"
    )
    for p in report.pairs[: args.top]:
        mark = "FLAG" if p.flagged else "    "
        print(f"  {mark} {p.best:.2f}  {p.a!r} <-> {p.b!r}")
    return errors.EXIT_OK


def cmd_written_export(args) -> int:
    from .written import export

    files = export(load(args.root), Path(args.submissions), Path(args.out))
    print(f"wrote {len(files) - 1} question page(s) and the score sheet {files[-1]}")
    return errors.EXIT_OK


def cmd_written_import(args) -> int:
    from .written import merge_into_grades, read_gradebook, read_sheet

    tree = load(args.root)
    if (args.sheet is None) == (args.gradebook is None):
        raise UsageError("give either a score sheet (SHEET) or --gradebook, not both")
    scores = read_sheet(tree, Path(args.sheet)) if args.sheet else read_gradebook(tree, Path(args.gradebook))
    students, pending = merge_into_grades(tree, Path(args.grades), scores)
    print(f"merged written scores into {args.grades} ({students} students; {pending} score(s) still pending)")
    return errors.EXIT_OK


def add(sub, epilog: str) -> None:
    s = sub.add_parser(
        "similarity",
        help="rank pairs of students by the code their answer cells share (copydetect winnowing)",
        description="Compares every pair of students' auto-graded answer cells per assignment, after removing the "
        "released stub and docstrings; renamed variables and reordered functions still match. Writes one HTML page: "
        "the ranking, and the flagged pairs side by side with the shared code marked. A flag is a place to look, "
        "never a verdict.",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    s.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    s.add_argument("--out", default="similarity.html", help="the HTML page (default similarity.html)")
    s.add_argument("--threshold", type=float, help="flag pairs at or above this similarity (default 0.6)")
    s.add_argument("--top", type=int, default=20, help="pairs listed (default 20; every flagged pair is listed)")
    s.set_defaults(func=cmd_similarity)

    w = sub.add_parser(
        "written",
        help="hand-graded written answers: export pages and a score sheet, import scores",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    wsub = w.add_subparsers(dest="written_cmd", required=True)
    we = wsub.add_parser(
        "export",
        help="one page per written question (rubric on top, every student's answer) and scores.csv to fill in",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    we.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    we.add_argument("--out", required=True, metavar="DIR")
    we.set_defaults(func=cmd_written_export)
    wi = wsub.add_parser(
        "import",
        help="merge written scores (the filled scores.csv, or nbgrader's gradebook) into the batch grades CSV",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    wi.add_argument("sheet", nargs="?", metavar="SHEET", help="the filled scores.csv from `written export`")
    wi.add_argument(
        "--gradebook", metavar="DB", help="instead: nbgrader's gradebook.db (manual grades from formgrader)"
    )
    wi.add_argument("--grades", required=True, metavar="GRADES_CSV", help="the CSV of `autograder batch` (rewritten)")
    wi.set_defaults(func=cmd_written_import)
