"""Where one student's time goes in `autograder batch` (issue 18, item 4), in CPU seconds.

    python benchmarks/profile_student.py [--students 10] [--top 25]

Grades the synthetic students of bench_batch.py one after another in this process, exactly as a
batch grader process does (:func:`autograder.batch.grade_student`, with its forked-worker
template), and splits each student's cost by rusage, not wall time (the machine may be shared):

- grader: this process's CPU (reading and hashing notebooks, reference outputs, checks, feedback);
- workers: the CPU of the sandboxed workers forked from the template (the student's cells and the
  probes), read from the template's reaped-children times in /proc/<pid>/stat;
- wall: for comparison only.

The first student (template start, reference cache) is reported apart. With ``--cprofile``, the
students are then graded once more under cProfile and the grader's top functions are printed by
cumulative and by own time (cProfile inflates code made of many small Python calls, about 1.5x here,
which is why the CPU figures above come from a pass without it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import tempfile
import time
from pathlib import Path

from _class import make_course, usable_assignments
from bench_batch import synthetic


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def proc_cpu(pid: int) -> tuple[float, float]:
    """(own, reaped children) CPU seconds of a process."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=10)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--assignment", action="append")
    ap.add_argument("--cprofile", action="store_true", help="also print the grader's top functions (a second pass)")
    args = ap.parse_args()
    ids = usable_assignments(args.assignment)
    course = make_course(ids)
    work = Path(tempfile.mkdtemp(prefix="profile-student-"))
    try:
        synthetic(course, course / "submitted", args.students, ids)
        from autograder import batch
        from autograder.course import load_course

        tree = load_course(course)
        fp = batch.course_fingerprint(tree)
        rows = []
        prof = cProfile.Profile()
        passes = [False, True] if args.cprofile else [False]
        for profiled in passes:
            for i in range(args.students):
                folder = course / "submitted" / f"student{i:03d}"
                c0, w0 = self_cpu(), time.perf_counter()
                from autograder.pipeline import find_entries

                key = batch.submission_key(fp, find_entries(tree, [folder]))
                job = {
                    "root": str(course),
                    "student": folder.name,
                    "folder": str(folder),
                    "key": key,
                    "result_path": str(work / "results" / f"{folder.name}.json"),
                    "feedback_dir": str(work / "feedback"),
                    "visibilities": ["public", "hidden"],
                    "sandbox": True,
                    "picks": None,
                }
                tpl = next(iter(batch._PROCESS.templates()), None)
                t0 = proc_cpu(tpl.proc.pid) if tpl is not None and tpl.proc else (0.0, 0.0)
                if profiled:
                    prof.enable()
                rec = batch.grade_student(job)
                if profiled:
                    prof.disable()
                    continue
                time.sleep(1.1)  # the template reaps its workers within a second: their CPU is then counted
                tpl = next(iter(batch._PROCESS.templates()), None)
                t1 = proc_cpu(tpl.proc.pid) if tpl is not None and tpl.proc else (0.0, 0.0)
                wall = time.perf_counter() - w0 - 1.1
                rows.append((self_cpu() - c0, t1[1] - t0[1], t1[0] - t0[0], wall, rec["status"]))
        print(f"assignments: {', '.join(ids)}; {args.students} students graded one after another")
        print(f"{'':>10} {'grader':>8} {'workers':>8} {'template':>8} {'wall':>8}")
        for label, sel in (("first", rows[:1]), ("mean rest", rows[1:])):
            if sel:
                m = [sum(r[k] for r in sel) / len(sel) for k in range(4)]
                print(f"{label:>10} {m[0]:8.2f} {m[1]:8.2f} {m[2]:8.2f} {m[3]:8.2f}   (CPU s, wall s per student)")
        if args.cprofile:
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(
                r"autograder|json|nbformat|hashlib", args.top
            )
            print(s.getvalue())
            s = io.StringIO()  # where the grader's own CPU goes (cProfile inflates small Python calls)
            pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.top)
            print(s.getvalue())
    finally:
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
