"""release, student-package, classroom-template: what students receive, built from solutions/."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from . import errors
from .context import load

FORMATTER = argparse.RawDescriptionHelpFormatter


def cmd_release(args) -> int:
    from .release import check_release, release

    tree = load(args.root)
    log = logging.getLogger("autograder.release").info  # shown with -v
    if args.check:
        problems = check_release(tree, assignments=args.assignment or None, log=log)
        for p in problems:
            print(p)
        if problems:
            return errors.EXIT_USAGE
        print("assignments/ and checks/*/public_reference.json are up to date with solutions/")
        return errors.EXIT_OK
    written = release(tree, assignments=args.assignment or None, log=log)
    n = len({p.parts[1] for p in written if p.parts[0] == "assignments"})
    print(f"released {n} assignment(s) into {tree.release_dir} and wrote their public reference outputs")
    return errors.EXIT_OK


def cmd_student_package(args) -> int:
    from .student import build_wheel

    wheel = build_wheel(load(args.root), Path(args.out_dir))
    print(f"wrote the student package {wheel}")
    return errors.EXIT_OK


def cmd_classroom_template(args) -> int:
    from .classroom import build_template

    files = build_template(load(args.root), Path(args.out_dir), force=args.force)
    print(f"wrote the student template ({len(files)} files) to {args.out_dir}")
    return errors.EXIT_OK


def add(sub, epilog: str) -> None:
    r = sub.add_parser(
        "release",
        help="regenerate assignments/ from solutions/ (nbgrader generate_assignment) and the public reference outputs",
        description="Runs `nbgrader generate_assignment` for every assignment of course.yaml (source solutions/, "
        "release assignments/, gradebook in a temporary folder) and writes checks/<id>/public_reference.json. "
        "With --check nothing is written: one line per file that differs, exit 2.",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    r.add_argument(
        "--check", action="store_true", help="fail (exit 2) if the committed release differs from a fresh one"
    )
    r.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    r.add_argument("-v", "--verbose", action="store_true", help="say what is being done")
    r.set_defaults(func=cmd_release)

    s = sub.add_parser(
        "student-package",
        help="build the student package's wheel (engine's student side and the public checks)",
        description="What a notebook's setup cell installs where autograder is missing (Colab, a lone notebook); "
        "the Classroom template repository builds the same package (`pip install <template>`). Run after "
        "`autograder release`. Hidden checks and solutions are never in it (the wheel is scanned).",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    s.add_argument("out_dir", metavar="OUT_DIR", nargs="?", default="dist", help="where the wheel goes (default dist/)")
    s.set_defaults(func=cmd_student_package)

    t = sub.add_parser(
        "classroom-template",
        help="build the GitHub Classroom student template repository (no solutions, no hidden checks)",
        epilog=epilog,
        formatter_class=FORMATTER,
    )
    t.add_argument("out_dir", metavar="OUT_DIR")
    t.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    t.set_defaults(func=cmd_classroom_template)
