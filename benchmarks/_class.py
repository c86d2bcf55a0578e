"""Shared helpers of the benchmarks: a throwaway nbgrader course holding the real assignments."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import load_course  # noqa: E402
from autograder.release import preflight  # noqa: E402

NBGRADER = str(Path(sys.executable).with_name("nbgrader"))


def usable_assignments(only=None) -> list[str]:
    """Assignments with a source notebook and checks that nbgrader can release."""
    tree = load_course(ROOT)
    ids = []
    for a in tree.model.assignments:
        if only and a.id not in only:
            continue
        if not tree.source_notebook(a).exists() or not (tree.checks_dir / a.id / "public.py").exists():
            continue
        problems = preflight(tree, [a])
        if problems:
            print(f"skipping {a.id}: {problems[0]}", file=sys.stderr)
            continue
        ids.append(a.id)
    return ids


def make_course(ids: list[str]) -> Path:
    """A temporary nbgrader course: course.yaml, solutions, checks, nbgrader_config.py, released."""
    course = Path(tempfile.mkdtemp(prefix="bench-course-"))
    shutil.copy(ROOT / "course.yaml", course)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for sub in ("solutions", "checks"):
        shutil.copytree(ROOT / sub, course / sub, ignore=shutil.ignore_patterns("__pycache__"))
    args = [sys.executable, "-m", "autograder", "--root", str(course), "release"]
    for aid in ids:
        args += ["--assignment", aid]
    subprocess.run(args, check=True, cwd=course, capture_output=True)
    return course


def full_submission(course: Path, student: str, ids: list[str], dest: Path | None = None) -> Path:
    """The reference solution submitted as a student's notebooks (nbgrader's submitted/ layout)."""
    base = (dest or course / "submitted") / student
    for aid in ids:
        (base / aid).mkdir(parents=True, exist_ok=True)
        shutil.copy(course / "solutions" / aid / f"{aid}.ipynb", base / aid / f"{aid}.ipynb")
    return base


def timed_cpu(cmd, cwd) -> tuple[float, float]:
    """(wall, CPU) seconds of a command: CPU from rusage of reaped children (the command and every
    process it started and reaped: grader processes, templates, sandboxed workers), which a shared
    machine inflates far less than wall time."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(cmd, cwd)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def timed(cmd, cwd) -> float:
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_COURSE_ROOT"}
    env["JUPYTER_CONFIG_DIR"] = str(Path(cwd) / ".jupyter")
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    return dt
