"""Instructor and Classroom commands (release, batch, classroom-template, classroom-report).

Only argument parsing and wiring live here; the work is done in :mod:`autograder.release`,
:mod:`autograder.batch` and :mod:`autograder.classroom`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import errors


def _course(args):
    from .cli import _course as load

    return load(args)


def cmd_release(args) -> int:
    from .release import ReleaseError, check_release, release

    tree = _course(args)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    try:
        if args.check:
            problems = check_release(tree, assignments=args.assignment or None, log=log)
            for p in problems:
                print(p)
            if problems:
                return errors.EXIT_USAGE
            print("assignments/ and checks/*/public_reference.json are up to date with solutions/")
            return errors.EXIT_OK
        written = release(tree, assignments=args.assignment or None, log=log)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return errors.EXIT_USAGE
    n = len({p.parts[1] for p in written if p.parts[0] == "assignments"})
    print(f"released {n} assignment(s) into {tree.release_dir} and wrote their public reference outputs")
    return errors.EXIT_OK


def cmd_batch(args) -> int:
    from .batch import run_batch

    tree = _course(args)
    return run_batch(
        tree,
        Path(args.submissions),
        out=Path(args.out),
        jobs=args.jobs,
        feedback_dir=Path(args.feedback) if args.feedback else None,
        progress=not args.no_progress,
        sandbox=not args.no_sandbox,
        force=args.force,
        student_timeout_s=args.student_timeout,
        at_head=(args.at or "").upper() == "HEAD",
        extensions=Path(args.extensions) if args.extensions else None,
        shard=args.shard,
        dask=args.dask,
    )


def _shard(text: str) -> tuple[int, int]:
    from .batch import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None


def cmd_merge(args) -> int:
    from .merge import merge

    tree = _course(args)
    return merge(
        tree,
        Path(args.out),
        [Path(s) for s in args.shards],
        feedback_dir=Path(args.feedback) if args.feedback else None,
    )


def cmd_classroom_template(args) -> int:
    from .classroom import build_template

    tree = _course(args)
    files = build_template(tree, Path(args.out_dir), force=args.force)
    print(f"wrote the student template ({len(files)} files) to {args.out_dir}")
    return errors.EXIT_OK


def cmd_student_package(args) -> int:
    from .student import build_wheel

    tree = _course(args)
    wheel = build_wheel(tree, Path(args.out_dir))
    print(f"wrote the student package {wheel}")
    return errors.EXIT_OK


def cmd_classroom_report(args) -> int:
    from .classroom import classroom_report

    tree = _course(args)
    return classroom_report(
        tree, [Path(p) for p in args.paths], output=args.github_output, hidden=args.hidden, sandbox=not args.no_sandbox
    )


def cmd_similarity(args) -> int:
    from .fsutil import atomic_write
    from .similarity import DEFAULT_THRESHOLD, compare_class, render_html

    tree = _course(args)
    report = compare_class(
        tree, Path(args.submissions), threshold=args.threshold if args.threshold is not None else DEFAULT_THRESHOLD
    )
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


def cmd_report(args) -> int:
    from .classreport import write_report

    tree = _course(args)
    out = Path(args.out) if args.out else report_path(Path(args.grades))
    write_report(tree, Path(args.grades), out)
    print(f"wrote {out}")
    return errors.EXIT_OK


def report_path(csv_path: Path) -> Path:
    """Where batch writes the class report: next to the CSV (grades.csv -> grades.report.html)."""
    return csv_path.with_name(f"{csv_path.stem}.report.html")


def cmd_written_export(args) -> int:
    from .written import export

    tree = _course(args)
    files = export(tree, Path(args.submissions), Path(args.out))
    print(f"wrote {len(files) - 1} question page(s) and the score sheet {files[-1]}")
    return errors.EXIT_OK


def cmd_written_import(args) -> int:
    from .written import merge_into_grades, read_gradebook, read_sheet

    tree = _course(args)
    if (args.sheet is None) == (args.gradebook is None):
        print("error: give either a score sheet (SHEET) or --gradebook, not both", file=sys.stderr)
        return errors.EXIT_USAGE
    scores = read_sheet(tree, Path(args.sheet)) if args.sheet else read_gradebook(tree, Path(args.gradebook))
    students, pending = merge_into_grades(tree, Path(args.grades), scores)
    print(f"merged written scores into {args.grades} ({students} students; {pending} score(s) still pending)")
    return errors.EXIT_OK


def add_commands(sub, epilog: str) -> None:
    """Register the workflow sub-commands on the CLI's sub-parser."""
    fmt = argparse.RawDescriptionHelpFormatter

    r = sub.add_parser(
        "release",
        help="regenerate assignments/ from solutions/ (nbgrader generate_assignment) and the public reference outputs",
        description="Runs `nbgrader generate_assignment` for every assignment of course.yaml (source solutions/, "
        "release assignments/, gradebook in a temporary folder) and writes checks/<id>/public_reference.json. "
        "With --check nothing is written: one line per file that differs, exit 2.",
        epilog=epilog,
        formatter_class=fmt,
    )
    r.add_argument(
        "--check", action="store_true", help="fail (exit 2) if the committed release differs from a fresh one"
    )
    r.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    r.add_argument("-v", "--verbose", action="store_true", help="say what is being done")
    r.set_defaults(func=cmd_release)

    b = sub.add_parser(
        "batch",
        help="grade a class: one folder per student; resumable, parallel, CSV + per-student feedback",
        description="SUBMISSIONS_DIR holds one folder per student: a GitHub Classroom clone "
        "(<student>/assignments/<id>/<id>.ipynb or <student>/<id>/<id>.ipynb) or nbgrader's submitted/ layout "
        "(<student>/<id>/<id>.ipynb). Results are kept per student next to the CSV (<out>.d/), keyed by a hash of "
        "the notebooks and of the checks and solutions, so an interrupted run resumes and a rerun grades only what "
        "is new or changed.",
        epilog=epilog,
        formatter_class=fmt,
    )
    b.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    b.add_argument("--out", default="grades.csv", help="the grades CSV (written atomically; default grades.csv)")
    b.add_argument("-j", "--jobs", type=int, default=2, help="students graded in parallel (default 2)")
    b.add_argument("--feedback", metavar="DIR", help="per-student feedback folder (default <out>.d/feedback)")
    b.add_argument("--force", action="store_true", help="regrade everyone, ignoring kept results")
    b.add_argument(
        "--student-timeout",
        type=float,
        metavar="SECONDS",
        help="wall clock for grading one student, then it is recorded as timeout and the batch goes on "
        "(default: course.yaml grading.batch_student_timeout_s, else 2 x time_limit_s + 60)",
    )
    b.add_argument(
        "--at",
        choices=["HEAD", "head"],
        help="grade git clones as checked out, ignoring due dates "
        "(default: each assignment as of the commit its due date and course.yaml's late policy pick)",
    )
    b.add_argument(
        "--extensions",
        metavar="FILE",
        help="per-student extensions, YAML {student: {assignment id or '*': "
        "extra days}} (default: course.yaml late.extensions)",
    )
    b.add_argument(
        "--shard",
        type=_shard,
        default=(0, 1),
        metavar="I/N",
        help="grade only shard I of N (0 <= I < N): the students whose folder name's SHA-256 is I modulo N; "
        "combine the shards with `autograder merge`",
    )
    b.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on a Dask distributed cluster (e.g. tcp://host:8786; needs "
        "the cluster extra); its workers must see the course and SUBMISSIONS_DIR at the same paths",
    )
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--no-sandbox", action="store_true", help=argparse.SUPPRESS)
    b.set_defaults(func=cmd_batch)

    m = sub.add_parser(
        "merge",
        help="combine the result stores of `batch --shard i/n` runs into one CSV, feedback folder and report",
        description="SHARD_OUT is the --out of each shard's batch (its store <SHARD_OUT>.d/ is read). All n shards of "
        "one split, finished, graded with this course and engine; the output is what one unsharded batch writes.",
        epilog=epilog,
        formatter_class=fmt,
    )
    m.add_argument("shards", nargs="+", metavar="SHARD_OUT")
    m.add_argument("--out", default="grades.csv", help="the merged grades CSV (default grades.csv)")
    m.add_argument("--feedback", metavar="DIR", help="per-student feedback folder (default <out>.d/feedback)")
    m.set_defaults(func=cmd_merge)

    t = sub.add_parser(
        "classroom-template",
        help="build the GitHub Classroom student template repository (no solutions, no hidden checks)",
        epilog=epilog,
        formatter_class=fmt,
    )
    t.add_argument("out_dir", metavar="OUT_DIR")
    t.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    t.set_defaults(func=cmd_classroom_template)

    s = sub.add_parser(
        "student-package",
        help="build the student package's wheel (engine's student side and the public checks)",
        description="What a notebook's setup cell installs where autograder is missing (Colab, a lone notebook); "
        "the Classroom template repository builds the same package (`pip install <template>`). Run after "
        "`autograder release`. Hidden checks and solutions are never in it (the wheel is scanned).",
        epilog=epilog,
        formatter_class=fmt,
    )
    s.add_argument("out_dir", metavar="OUT_DIR", nargs="?", default="dist", help="where the wheel goes (default dist/)")
    s.set_defaults(func=cmd_student_package)

    c = sub.add_parser(
        "classroom-report",
        help="grade and write the result in the format of classroom-resources/autograding-grading-reporter",
        description="Used by .github/workflows/classroom.yml: grades the notebooks and writes one step output per "
        "assignment (base64 JSON, partial credit per check) to $GITHUB_OUTPUT.",
        epilog=epilog,
        formatter_class=fmt,
    )
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("--github-output", metavar="FILE", help="append outputs here (default: $GITHUB_OUTPUT, else stdout)")
    c.add_argument(
        "--hidden", action="store_true", help="also run hidden checks (needs the instructor course as --root)"
    )
    c.add_argument("--no-sandbox", action="store_true", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_classroom_report)

    s = sub.add_parser(
        "similarity",
        help="rank pairs of students by the code their answer cells share (copydetect winnowing)",
        description="Compares every pair of students' auto-graded answer cells per assignment, after removing the "
        "released stub and docstrings; renamed variables and reordered functions still match. Writes one HTML page: "
        "the ranking, and the flagged pairs side by side with the shared code marked. A flag is a place to look, "
        "never a verdict.",
        epilog=epilog,
        formatter_class=fmt,
    )
    s.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    s.add_argument("--out", default="similarity.html", help="the HTML page (default similarity.html)")
    s.add_argument("--threshold", type=float, help="flag pairs at or above this similarity (default 0.6)")
    s.add_argument("--top", type=int, default=20, help="pairs listed (default 20; every flagged pair is listed)")
    s.set_defaults(func=cmd_similarity)

    rp = sub.add_parser(
        "report",
        help="one offline HTML page on what the class missed (score distributions, failure rate of every "
        "check, most frequent failure messages, grader errors and time-outs)",
        description="Reads the results `autograder batch` keeps next to GRADES_CSV (<csv>.d/results/). batch writes "
        "this page itself next to the CSV (grades.csv -> grades.report.html).",
        epilog=epilog,
        formatter_class=fmt,
    )
    rp.add_argument("grades", metavar="GRADES_CSV")
    rp.add_argument("--out", help="the HTML page (default: GRADES_CSV's name with .report.html)")
    rp.set_defaults(func=cmd_report)

    w = sub.add_parser(
        "written",
        help="hand-graded written answers: export pages and a score sheet, import scores",
        epilog=epilog,
        formatter_class=fmt,
    )
    wsub = w.add_subparsers(dest="written_cmd", required=True)
    we = wsub.add_parser(
        "export",
        help="one page per written question (rubric on top, every student's answer) and scores.csv to fill in",
        epilog=epilog,
        formatter_class=fmt,
    )
    we.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    we.add_argument("--out", required=True, metavar="DIR")
    we.set_defaults(func=cmd_written_export)
    wi = wsub.add_parser(
        "import",
        help="merge written scores (the filled scores.csv, or nbgrader's gradebook) into the batch grades CSV",
        epilog=epilog,
        formatter_class=fmt,
    )
    wi.add_argument("sheet", nargs="?", metavar="SHEET", help="the filled scores.csv from `written export`")
    wi.add_argument(
        "--gradebook", metavar="DB", help="instead: nbgrader's gradebook.db (manual grades from formgrader)"
    )
    wi.add_argument("--grades", required=True, metavar="GRADES_CSV", help="the CSV of `autograder batch` (rewritten)")
    wi.set_defaults(func=cmd_written_import)
