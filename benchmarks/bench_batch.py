"""100 synthetic submissions of the notebooks, `autograder batch -j 2` beside nbgrader's serial autograde.

    python benchmarks/bench_batch.py [--students 100] [--jobs 2] [--nbgrader-students N]

Synthetic submissions: the reference solution, every answer cell given a distinct trailing
comment so no two submissions hash the same (the batch really grades each one). Target
(issue 8): 100 submissions of the five notebooks in <= 4 min with 2 workers. nbgrader's
serial autograde is timed on the first N students (default 5, it is slow) and extrapolated to
the class; pass --nbgrader-students 100 to time the whole class.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from _class import NBGRADER, make_course, timed, timed_cpu, usable_assignments


def synthetic(course: Path, dest: Path, n: int, ids: list[str]) -> None:
    for i in range(n):
        for aid in ids:
            nb = nbformat.read(str(course / "solutions" / aid / f"{aid}.ipynb"), as_version=4)
            for cell in nb.cells:
                if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                    cell.source += f"\n# student {i:03d}"
            out = dest / f"student{i:03d}" / aid / f"{aid}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--nbgrader-students", type=int, default=5)
    ap.add_argument("--assignment", action="append")
    args = ap.parse_args()
    ids = usable_assignments(args.assignment)
    if not ids:
        raise SystemExit("no assignment to benchmark yet")
    course = make_course(ids)
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        synthetic(course, course / "submitted", args.students, ids)
        # warm the reference cache once, as an instructor's machine has it after the first student
        timed([sys.executable, "-m", "autograder", "grade", str(course / "submitted" / "student000"), "-q"], course)
        batch_cmd = [sys.executable, "-m", "autograder", "batch", str(course / "submitted")]
        batch_cmd += ["--out", str(work / "grades.csv"), "-j", str(args.jobs), "--no-progress"]
        t_batch, c_batch = timed_cpu(batch_cmd, course)
        t_rerun = timed(batch_cmd, course)  # nothing changed: every student is reused
        k = min(args.nbgrader_students, args.students)
        nbg = 0.0
        for i in range(k):
            for aid in ids:
                nbg += timed([NBGRADER, "autograde", aid, "--force", "--student", f"student{i:03d}"], course)
        per = nbg / k
        print(f"assignments: {', '.join(ids)}; students: {args.students}")
        print(
            f"autograder batch -j {args.jobs}: {t_batch:7.1f} s ({t_batch / args.students:.2f} s/student); "
            f"rerun with nothing changed: {t_rerun:.1f} s"
        )
        print(
            f"  CPU (rusage of the batch and everything it started): {c_batch:.1f} s "
            f"({c_batch / args.students:.2f} CPU s/student; on {os.cpu_count()} cores at best "
            f"{c_batch / args.students / min(args.jobs, os.cpu_count() or 1):.2f} s/student)"
        )
        print(
            f"nbgrader autograde (serial), {k} students timed: {nbg:7.1f} s ({per:.1f} s/student) "
            f"-> {per * args.students:7.1f} s for {args.students} students"
        )
        print(f"ratio nbgrader / batch: {per * args.students / t_batch:.1f}x")
    finally:
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
