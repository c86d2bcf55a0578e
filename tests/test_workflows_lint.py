"""The GitHub workflows are valid (check-jsonschema's vendored GitHub-workflow schema, offline),
and ci.yml runs what .ci/run runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tiny_course
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK = Path(sys.executable).with_name("check-jsonschema")

needs_linter = pytest.mark.skipif(
    not CHECK.exists(), reason="check-jsonschema is not installed (pip install -e .[instructor])"
)


def lint(paths) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHECK), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


@needs_linter
def test_repository_workflows_are_valid():
    assert WORKFLOWS
    p = lint(WORKFLOWS)
    assert p.returncode == 0, p.stdout + p.stderr


@needs_linter
def test_classroom_workflow_is_valid(tmp_path):
    course = tiny_course.write_course(tmp_path / "c")
    from autograder.classroom import workflow_text
    from autograder.course import load_course

    wf = tmp_path / "classroom.yml"
    wf.write_text(workflow_text(load_course(course)))
    p = lint([wf])
    assert p.returncode == 0, p.stdout + p.stderr


@needs_linter
def test_linter_rejects_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    step:\n      - run: echo\n")
    assert lint([bad]).returncode != 0


def test_ci_runs_ci_run():
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [s.get("run", "") for job in ci["jobs"].values() for s in job["steps"]]
    assert any(".ci/run" in r for r in runs)
    for job in ci["jobs"].values():
        for s in job["steps"]:
            if s.get("uses", "").startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False
