"""`autograder merge` of 10,000 synthetic students in 4 shards (issue 18: <= 10 s on this machine).

    python benchmarks/bench_merge.py [--students 10000] [--shards 4]

Writes shard stores as `autograder batch --shard i/n` leaves them (manifest, one result file per
student shaped like a real one: every assignment of course.yaml with 12 checks, a third of them
failing with a message; feedback.md and feedback.html), then times `merge` (CSV, summary, class
report, results and feedback copied into the merged store) in this process: wall and CPU time
(rusage; the machine may be shared, CPU time is the cost), and the O(n) CSV snapshot a running
batch writes every few seconds.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from _class import ROOT

from autograder.batch import (
    MANIFEST_VERSION,
    RESULT_VERSION,
    atomic_write,
    course_fingerprint,
    csv_text,
    name_id,
    record_bytes,
    safe_name,
    shard_of,
    state_dir,
)
from autograder.course import load_course


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def record(tree, student: str, i: int, key: str) -> dict:
    assignments = []
    for a in tree.model.assignments:
        checks = []
        for c in range(12):
            ok = (i + c) % 3 != 0
            checks.append(
                {
                    "id": f"check_{c:02d}",
                    "exercise": f"ex{c % 4}",
                    "score": 1.0 if ok else 0.0,
                    "max_score": 1.0,
                    "status": "passed" if ok else "failed",
                    "message": "" if ok else f"max error {0.1 + (i % 97) / 1000:.3f} at ({i % 5}, {c})",
                    "visibility": "public" if c < 8 else "hidden",
                }
            )
        score = sum(x["score"] for x in checks) * a.max_score / 12
        assignments.append({"id": a.id, "score": round(score, 6), "max_score": a.max_score, "checks": checks})
    return {
        "version": RESULT_VERSION,
        "student": student,
        "name_id": name_id(student),
        "folder": f"/class/{student}",
        "key": key,
        "workers": {"forked": len(assignments), "started": 0},
        "status": "graded",
        "problem": "",
        "result": {
            "score": round(sum(a["score"] for a in assignments), 6),
            "max_score": sum(a.max_score for a in tree.model.assignments),
            "assignments": assignments,
        },
        "seconds": 3.1,
        "graded_at": "2026-11-28T12:00:00+0000",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--shards", type=int, default=4)
    args = ap.parse_args()
    tree = load_course(ROOT)
    fp = course_fingerprint(tree)
    work = Path(tempfile.mkdtemp(prefix="bench-merge-"))
    try:
        t = time.perf_counter()
        listed = {i: [] for i in range(args.shards)}
        records = []
        for i in range(args.students):
            student = f"student{i:05d}" if i % 10 else f"Student {i:05d}"  # both result-file name forms
            k = shard_of(student, args.shards)
            sdir = state_dir(work / f"shard{k}" / "grades.csv")
            key = f"{i:064x}"
            rec = record(tree, student, i, key)
            records.append(rec)
            fname = safe_name(student)
            (sdir / "results").mkdir(parents=True, exist_ok=True)
            (sdir / "results" / f"{fname}.json").write_bytes(record_bytes(rec))
            fb = sdir / "feedback" / fname
            fb.mkdir(parents=True, exist_ok=True)
            (fb / "feedback.md").write_text(f"# {student}\n\n" + "- check passed\n" * 40)
            (fb / "feedback.html").write_text(f"<html><body><h1>{student}</h1>" + "<li>check passed</li>" * 40)
            listed[k].append({"name_id": name_id(student), "file": f"{fname}.json", "key": key})
        for k, students in listed.items():
            atomic_write(
                state_dir(work / f"shard{k}" / "grades.csv") / "manifest.json",
                json.dumps(
                    {
                        "version": MANIFEST_VERSION,
                        "shard": [k, args.shards],
                        "course": fp,
                        "feedback_dir": str(state_dir(work / f"shard{k}" / "grades.csv") / "feedback"),
                        "complete": True,
                        "students": students,
                    }
                ),
            )
        print(
            f"wrote {args.students} synthetic results in {args.shards} shards in {time.perf_counter() - t:.1f} s "
            f"({sum(p.stat().st_size for p in work.rglob('*.json')) / 1e6:.0f} MB of result JSON)"
        )

        c0, t0 = cpu(), time.perf_counter()
        text = csv_text(tree, records)
        print(
            f"one CSV snapshot of {args.students} rows (what a running batch writes every few seconds): "
            f"{time.perf_counter() - t0:.2f} s wall, {cpu() - c0:.2f} s CPU, {len(text) / 1e6:.1f} MB"
        )

        from rich.console import Console

        from autograder.merge import merge

        console = Console(file=io.StringIO(), width=120)
        c0, t0 = cpu(), time.perf_counter()
        with open(os.devnull, "w") as null:
            import contextlib

            with contextlib.redirect_stdout(null):
                merge(
                    tree,
                    work / "merged" / "grades.csv",
                    [work / f"shard{k}" / "grades.csv" for k in listed],
                    console=console,
                )
        wall, used = time.perf_counter() - t0, cpu() - c0
        rows = (work / "merged" / "grades.csv").read_text().count("\n") - 1
        assert rows == args.students, rows
        print(
            f"merge of {args.students} students ({args.shards} shards): {wall:.2f} s wall, {used:.2f} s CPU "
            f"(target <= 10 s){'' if wall <= 10 else '  OVER TARGET'}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
