"""The repository's own rules, on the real course: validation, the release being current,
notebooks without outputs, nothing secret in what students get, and the sample class."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from helpers import ROOT, course, must_not_pass, variants

from autograder.checks import load_checks
from autograder.extract import index_cells
from autograder.pipeline import grade_paths

sys.path.insert(0, str(ROOT / "tools"))
import build_samples

AIDS = [a.id for a in course().model.assignments]


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_course_yaml_notebooks_and_checks_agree():
    p = cli("validate")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "OK (5 assignments" in p.stdout


def test_committed_release_is_what_release_produces():
    p = cli("release", "--check")
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(ROOT)) for d in ("solutions", "assignments", "samples") for p in (ROOT / d).rglob("*.ipynb")
    ),
)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path}: cells {dirty} have outputs or execution counts"


@pytest.mark.parametrize("aid", AIDS)
def test_release_holds_no_solution_code_or_hidden_check(aid):
    tree = course()
    a = tree.model.assignment(aid)
    text = tree.release_notebook(a).read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
        assert marker not in text, marker
    release = index_cells(nbformat.read(str(tree.release_notebook(a)), as_version=4)).by_id
    source = index_cells(nbformat.read(str(tree.source_notebook(a)), as_version=4)).by_id
    for ex in a.auto_exercises:
        solution, public, inside = [], [], False
        for line in source[ex.id].source.splitlines():
            if line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"):
                inside = line.strip() == "### BEGIN SOLUTION"
            else:
                (solution if inside else public).append(line.strip())
        # a solution line may also be public (a docstring formula, a provided line): only the rest counts
        body = [line for line in solution if len(line) > 25 and not any(line in p for p in public)]
        leaked = [line for line in body if line in release[ex.id].source]
        assert not leaked, f"{ex.id}: solution lines in the release: {leaked[:3]}"
        assert "raise NotImplementedError()" in release[ex.id].source
    hidden = {s.id for s in load_checks(tree.checks_dir, aid, ("hidden",))}
    store = json.loads((tree.checks_dir / aid / "public_reference.json").read_text())
    assert store, "public reference store is empty"
    assert hidden.isdisjoint(text.split()), "a hidden check's name appears in the release"


def test_sample_class_is_what_the_builder_produces(tmp_path):
    written = build_samples.build(ROOT, tmp_path)
    assert len(written) == 3 * len(AIDS)
    for p in written:
        committed = ROOT / "samples" / "submitted" / p.relative_to(tmp_path)
        assert committed.read_bytes() == p.read_bytes(), f"{committed} is stale: run python tools/build_samples.py"


SAMPLES = pytest.mark.xdist_group("sample-results")  # one worker grades the sample class once


@pytest.fixture(scope="session")  # built once, on the one worker of its xdist group
def sample_results():
    out = {}
    for student in build_samples.STUDENTS:  # workers started fresh, as `autograder grade` does
        out[student] = {r.id: r for r in grade_paths(course(), [ROOT / "samples" / "submitted" / student])}
    return out


@SAMPLES
def test_full_marks_student_gets_every_point(sample_results):
    for aid, r in sample_results["full_marks"].items():
        assert r.score == r.max_score == course().model.assignment(aid).max_score, (
            aid,
            [c.message for c in r.checks if c.status != "passed"],
        )


@SAMPLES
def test_blank_student_gets_zero_with_reasons(sample_results):
    for aid, r in sample_results["blank"].items():
        assert r.score == 0 and all(c.message for c in r.checks), aid


@SAMPLES
def test_typical_bugs_student_fails_exactly_the_sampled_bugs_checks(sample_results):
    for aid, r in sample_results["typical_bugs"].items():
        mod = variants(aid)
        by_name = {b.name: b for b in mod.BUGS}
        applied = {by_name[n].exercise: by_name[n] for n in mod.SAMPLE}  # as build_samples applies them
        expected = must_not_pass(aid, set().union(*(b.fails for b in applied.values())))
        failed = {c.id for c in r.checks if c.status != "passed"}
        assert failed == expected, (aid, failed ^ expected)
