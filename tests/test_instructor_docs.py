"""docs/instructors.md's term walk-through runs: every command of its ```bash term blocks, in order, on a copy
of the repository and the bundled sample class. A command that stops working, or a step the page leaves out
(e.g. copying submissions into nbgrader's submitted/), fails here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "instructors.md"
pytestmark = pytest.mark.xdist_group("instructor-docs")


def term_commands() -> list[str]:
    blocks = re.findall(r"```bash term\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_page_shows_the_whole_term():
    cmds = " ".join(term_commands())
    for step in (
        "autograder release",
        "classroom-template",
        "autograder batch",
        "autograder report",
        "written export",
        "written import",
        "autograder similarity",
        "submitted/",
        "nbgrader autograde",
        "nbgrader export",
    ):
        assert step in cmds, step


def test_every_term_command_runs_in_order(tmp_path):
    repo = tmp_path / "course"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for f in filter(None, files):
        src = ROOT / os.fsdecode(f)
        if src.is_file() and not src.is_symlink():
            dst = repo / os.fsdecode(f)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    env.pop("AUTOGRADER_COURSE_ROOT", None)
    # the copy has the same solutions and checks: share the repository's reference-output cache (content-
    # addressed: solution code, probe, arguments, worker encoding), as tests/test_nbgrader.py does, so the
    # copy's release and batch do not recompute what other tests already computed
    env.setdefault("AUTOGRADER_CACHE", str(ROOT / ".cache" / "reference"))
    for cmd in term_commands():
        p = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", cmd],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert p.returncode == 0, f"{cmd}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    results = repo / "results"
    for made in (
        "grades.csv",
        "grades.report.html",
        "report.html",
        "similarity.html",
        "written/scores.csv",
        "nbgrader-grades.csv",
    ):
        assert (results / made).is_file(), made
    assert (tmp_path / "lecture09-student-template" / "README.md").is_file()
    header = (results / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "total_with_written" in header and "written_pending" in header
    assert len(list((results / "written").glob("*.html"))) == sum(
        1 for line in (ROOT / "course.yaml").read_text().splitlines() if "manual: true" in line
    )
