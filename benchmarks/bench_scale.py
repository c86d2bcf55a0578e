"""A class graded in shards and merged equals the class graded at once; and what 10,000 students cost.

    python benchmarks/bench_scale.py [--students 200] [--shards 4] [--jobs 2] [--machines 1,4,16,64]

Grades the synthetic class of bench_batch.py (the reference solutions, each answer cell with a
distinct comment) once with `autograder batch -j J`, then as `--shard i/n` runs one after the other
(each as a separate machine would run it), merges the shards with `autograder merge`, and checks
the merged grades.csv equals the single run's byte for byte. From the measured costs it prints
the projected wall time of 10,000 students on k machines like this one:

    a run's start-up s + ceil(10,000 / k) x the per-student cost c + the merge of 10,000 students,

where s and c solve  single = s + N c  and  sum of the n shards = n s + N c  (both measured here),
and the merge is this merge's time plus --merge-per-student seconds for each further student
(default 0.0011 s: bench_merge.py's 10,000 students in 10.8 s, at load average ~12).

It takes minutes (two gradings of the class); it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from pathlib import Path

from _class import make_course, timed, usable_assignments
from bench_batch import synthetic

from autograder.batch import shard_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--machines", default="1,4,16,64")
    ap.add_argument("--merge-per-student", type=float, default=0.0011)
    ap.add_argument("--assignment", action="append")
    args = ap.parse_args()
    ids = usable_assignments(args.assignment)
    if not ids:
        raise SystemExit("no assignment to benchmark yet")
    course = make_course(ids)
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        synthetic(course, course / "submitted", args.students, ids)
        sizes = [
            sum(shard_of(f"student{i:03d}", args.shards) == k for i in range(args.students)) for k in range(args.shards)
        ]
        # warm the reference cache once, as an instructor's machine has it after the first student
        timed([sys.executable, "-m", "autograder", "grade", str(course / "submitted" / "student000"), "-q"], course)
        batch = [
            sys.executable,
            "-m",
            "autograder",
            "batch",
            str(course / "submitted"),
            "-j",
            str(args.jobs),
            "--no-progress",
        ]
        t_single = timed([*batch, "--out", str(work / "single" / "grades.csv")], course)
        t_shards = [
            timed([*batch, "--out", str(work / f"shard{k}" / "grades.csv"), "--shard", f"{k}/{args.shards}"], course)
            for k in range(args.shards)
        ]
        t_merge = timed(
            [
                sys.executable,
                "-m",
                "autograder",
                "merge",
                "--out",
                str(work / "merged" / "grades.csv"),
                *[str(work / f"shard{k}" / "grades.csv") for k in range(args.shards)],
            ],
            course,
        )
        same = (work / "merged" / "grades.csv").read_bytes() == (work / "single" / "grades.csv").read_bytes()
        overhead = max(0.0, (sum(t_shards) - t_single) / (args.shards - 1)) if args.shards > 1 else 0.0
        per = (t_single - overhead) / args.students
        print(f"assignments: {', '.join(ids)}; students: {args.students}; -j {args.jobs}")
        print(f"single batch: {t_single:.1f} s ({t_single / args.students:.2f} s/student with start-up)")
        print(
            "shards: "
            + ", ".join(
                f"{k}/{args.shards}: {n} students in {t:.1f} s"
                for k, (n, t) in enumerate(zip(sizes, t_shards, strict=True))
            )
        )
        print(f"merge of {args.shards} shards: {t_merge:.1f} s; merged CSV equals the single run: {same}")
        print(f"solved: start-up {overhead:.1f} s per run, {per:.2f} s per student (-j {args.jobs})")
        merge_10k = t_merge + (10_000 - args.students) * args.merge_per_student
        print(
            "projected wall time for 10,000 students on k machines like this one "
            f"(each -j {args.jobs}; merge scaled to {merge_10k:.0f} s):"
        )
        for k in (int(x) for x in args.machines.split(",")):
            total = overhead + math.ceil(10_000 / k) * per + merge_10k
            print(f"  k = {k:3d}: {total / 60:7.1f} min")
        if not same:
            raise SystemExit("the merged CSV differs from the single run")
    finally:
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
