"""Time `autograder grade` and `nbgrader autograde` on the same full submission, in the same run.

    python benchmarks/bench_grade.py [--assignment ID ...]

Targets (issue 2): one notebook <= 3 s, a full five-notebook submission <= 10 s, >= 3x faster than
nbgrader autograde. The reference outputs are cached after the first run (as in a real class);
the first, cold `autograder grade` is printed too.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from _class import NBGRADER, full_submission, make_course, timed, usable_assignments


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assignment", action="append")
    args = ap.parse_args()
    ids = usable_assignments(args.assignment)
    if not ids:
        raise SystemExit("no assignment to benchmark yet")
    course = make_course(ids)
    try:
        student = full_submission(course, "bench", ids)
        grade = [sys.executable, "-m", "autograder", "grade", str(student), "-q"]
        cold = timed(grade, course)
        warm = min(timed(grade, course) for _ in range(2))
        per_nb = {}
        for aid in ids:
            per_nb[aid] = timed(
                [sys.executable, "-m", "autograder", "grade", str(student / aid / f"{aid}.ipynb"), "-q"], course
            )
        nbg = 0.0
        for aid in ids:
            nbg += timed([NBGRADER, "autograde", aid, "--force", "--student", "bench"], course)
        print(f"assignments: {', '.join(ids)}")
        for aid, t in per_nb.items():
            print(f"  autograder grade {aid}: {t:6.2f} s")
        print(f"autograder grade, full submission: {warm:6.2f} s (cold reference cache: {cold:.2f} s)")
        print(f"nbgrader autograde, same submission: {nbg:6.2f} s")
        print(f"ratio nbgrader / autograder: {nbg / warm:.1f}x")
    finally:
        shutil.rmtree(course, ignore_errors=True)


if __name__ == "__main__":
    main()
