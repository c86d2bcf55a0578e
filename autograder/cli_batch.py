"""batch, merge, report: grading a whole class, combining its shards, and the class report."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import errors
from .context import load

FORMATTER = argparse.RawDescriptionHelpFormatter


def cmd_batch(args) -> int:
    from .batch import run_batch

    return run_batch(
        load(args.root),
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

    feedback = Path(args.feedback) if args.feedback else None
    return merge(load(args.root), Path(args.out), [Path(s) for s in args.shards], feedback_dir=feedback)


def cmd_report(args) -> int:
    from .classreport import write_report
    from .store import report_path

    tree = load(args.root)
    out = Path(args.out) if args.out else report_path(Path(args.grades))
    write_report(tree, Path(args.grades), out)
    print(f"wrote {out}")
    return errors.EXIT_OK


def add(sub, epilog: str) -> None:
    b = sub.add_parser(
        "batch",
        help="grade a class: one folder per student; resumable, parallel, CSV + per-student feedback",
        description="SUBMISSIONS_DIR holds one folder per student: a GitHub Classroom clone "
        "(<student>/assignments/<id>/<id>.ipynb or <student>/<id>/<id>.ipynb) or nbgrader's submitted/ layout "
        "(<student>/<id>/<id>.ipynb). Results are kept per student next to the CSV (<out>.d/), keyed by a hash of "
        "the notebooks and of the checks and solutions, so an interrupted run resumes and a rerun grades only what "
        "is new or changed.",
        epilog=epilog,
        formatter_class=FORMATTER,
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
        formatter_class=FORMATTER,
    )
    m.add_argument("shards", nargs="+", metavar="SHARD_OUT")
    m.add_argument("--out", default="grades.csv", help="the merged grades CSV (default grades.csv)")
    m.add_argument("--feedback", metavar="DIR", help="per-student feedback folder (default <out>.d/feedback)")
    m.set_defaults(func=cmd_merge)

    rp = sub.add_parser(
        "report",
        help="one offline HTML page on what the class missed (score distributions, failure rate of every "
        "check, most frequent failure messages, grader errors and time-outs)",
        description="Reads the results `autograder batch` keeps next to GRADES_CSV (<csv>.d/results/). batch writes "
        "this page itself next to the CSV (grades.csv -> grades.report.html).",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    rp.add_argument("grades", metavar="GRADES_CSV")
    rp.add_argument("--out", help="the HTML page (default: GRADES_CSV's name with .report.html)")
    rp.set_defaults(func=cmd_report)
