"""The GitHub Classroom template: nothing secret in it, `autograder check` works in it, and the
workflow's report is what classroom-resources/autograding-grading-reporter reads."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tiny_course
import yaml

from autograder.classroom import LEAK_MARKERS, _forbidden_texts, leaks, runner_id
from autograder.course import load_course

# one xdist worker runs this module, so its session-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("classroom")

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "scale": "def scale(x, a):\n    return a * np.asarray(x, dtype=np.float64)\n",
    "sample_coin": "def sample_coin(n, p, rng):\n    return (rng.random(n) < p).astype(np.int64)\n",
}
PARTIAL = {
    "scale": "def scale(x, a):\n    return a * x\n",
    "sample_coin": "def sample_coin(n, p, rng):\n    return (rng.random(n) < 0.5).astype(np.int64)\n",
}


def run(args, cwd, env=None, check=True):
    e = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AUTOGRADER_COURSE_ROOT", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
    }
    e.update(env or {})
    p = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=900, check=False
    )
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def answer(nb_path: Path, answers: dict) -> None:
    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, str(nb_path))


@pytest.fixture(scope="session")  # built once, on the one worker of its xdist group
def tiny_template(tmp_path_factory):
    base = tmp_path_factory.mktemp("classroom")
    course = tiny_course.write_course(base / "instructor")
    run(["-m", "autograder", "--root", str(course), "release"], base)
    run(["-m", "autograder", "--root", str(course), "classroom-template", str(base / "template")], base)
    return course, base / "template"


def all_text(root: Path) -> dict[str, str]:
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            try:
                out[p.relative_to(root).as_posix()] = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                out[p.relative_to(root).as_posix()] = p.read_bytes().decode("latin-1")
    return out


def test_template_has_what_students_need(tiny_template):
    _, tpl = tiny_template
    for rel in (
        "assignments/00_tiny/00_tiny.ipynb",
        "checks/00_tiny/public.py",
        "checks/00_tiny/public_reference.json",
        "course.yaml",
        "autograder/cli.py",
        "requirements.txt",
        "README.md",
        ".github/workflows/classroom.yml",
        "pyproject.toml",
    ):
        assert (tpl / rel).is_file(), rel
    req = (tpl / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu" in req and "\ntorch==" in req
    readme = (tpl / "README.md").read_text(encoding="utf-8")
    assert "autograder check" in readme and "git push" in readme and "설치" in readme


def test_template_holds_no_solution_or_hidden_check(tiny_template):
    course, tpl = tiny_template
    files = all_text(tpl)
    assert not [f for f in files if f.startswith("solutions/") or f.endswith("hidden.py")]
    secrets = [
        "return a * np.asarray(x, dtype=np.float64)",  # reference solution code
        "(rng.random(n) < p).astype(np.int64)",
        "test_scale_of_integer_list_is_float",
        "scale_int_input",
        "coin_values",  # hidden checks
        (course / "checks" / "00_tiny" / "hidden.py").read_text().strip(),
    ]
    for rel, text in files.items():
        if not rel.startswith("autograder/"):
            for marker in LEAK_MARKERS:
                assert marker not in text, (rel, marker)
        for s in secrets:
            assert s not in text, (rel, s[:60])
    assert leaks(tpl, _forbidden_texts(load_course(course))) == []


def test_leak_scan_catches_a_leak(tiny_template, tmp_path):
    course, tpl = tiny_template
    copy = tmp_path / "t"
    shutil.copytree(tpl, copy)
    shutil.copy(course / "checks" / "00_tiny" / "hidden.py", copy / "checks" / "00_tiny" / "notes.py")
    (copy / "assignments" / "00_tiny" / "hint.md").write_text("    return a * np.asarray(x, dtype=np.float64)\n")
    found = leaks(copy, _forbidden_texts(load_course(course)))
    assert any("notes.py" in p for p in found) and any("hint.md" in p for p in found), found


def test_autograder_check_runs_in_template_with_public_checks_only(tiny_template):
    _, tpl = tiny_template
    work = tpl.parent / "student-clone"
    shutil.copytree(tpl, work)
    answer(work / "assignments" / "00_tiny" / "00_tiny.ipynb", PARTIAL)
    assert not (work / "solutions").exists()
    p = run(["-m", "autograder", "check", "assignments", "--json", "result.json"], work)
    assert "00_tiny" in p.stdout
    data = json.loads((work / "result.json").read_text())
    checks = {c["id"]: c for a in data["assignments"] for c in a["checks"]}
    assert set(checks) == {"scale_matches_reference", "coin_rate_is_p"}  # the public checks, no hidden one
    assert checks["scale_matches_reference"]["status"] == "passed"  # compared with public_reference.json
    assert checks["coin_rate_is_p"]["status"] == "failed"
    assert data["score"] == 2 and data["max_score"] == 3


def test_grade_in_template_says_public_checks_only(tiny_template):
    """No hidden.py in the template: `grade` scores the public checks and says so (table, JSON);
    the instructor's `grade`, with hidden checks, does not."""
    course, tpl = tiny_template
    work = tpl.parent / "student-grade"
    shutil.copytree(tpl, work)
    answer(work / "assignments" / "00_tiny" / "00_tiny.ipynb", PARTIAL)
    p = run(["-m", "autograder", "grade", "assignments", "--json", "result.json"], work)
    data = json.loads((work / "result.json").read_text())
    assert data["score"] == 2 and data["max_score"] == 3
    assert data["public_checks_only"] is True and data["assignments"][0]["public_checks_only"] is True
    assert "public checks only" in p.stdout and "공개 검사만" in p.stdout and "hidden checks did not run" in p.stdout
    nb = work / "assignments" / "00_tiny" / "00_tiny.ipynb"
    full = run(["-m", "autograder", "--root", str(course), "grade", str(nb), "--json", "full.json"], work)
    data = json.loads((work / "full.json").read_text())
    assert data["max_score"] == 5 and data["public_checks_only"] is False
    assert data["assignments"][0]["public_checks_only"] is False
    assert "public checks only" not in full.stdout and "공개 검사만" not in full.stdout


def decode_outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def reporter(workflow: dict, step_outputs: dict[str, str]) -> dict:
    """What classroom-resources/autograding-grading-reporter does with our workflow (src/main.js,
    src/notify-classroom.js): runners from `with.runners` split on ','; each runner's results from
    the env var `${runner.trim().toUpperCase()}_RESULTS` (base64 JSON); Classroom gets
    totalPoints = sum of every test's score, maxPoints = sum of max_score."""
    job = workflow["jobs"]["run-autograding-tests"]
    step = next(
        s for s in job["steps"] if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter@")
    )
    env = {}
    for k, expr in step["env"].items():  # "${{ steps.grade.outputs.X }}" -> the grade step's output X
        inner = expr.strip().removeprefix("${{").removesuffix("}}").strip()
        assert inner.startswith("steps.grade.outputs."), expr
        env[k] = step_outputs.get(inner.removeprefix("steps.grade.outputs."), "")
    total = maxp = 0.0
    failed = False
    for runner in step["with"]["runners"].split(","):
        results = json.loads(base64.b64decode(env[f"{runner.strip().upper()}_RESULTS"]).decode("utf-8"))
        assert set(results) == {"version", "status", "max_score", "tests"}
        for t in results["tests"]:
            assert set(t) == {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}
            assert t["status"] in ("pass", "fail", "error")
        if results["max_score"]:
            maxp += results["max_score"]
            total += sum(t["score"] for t in results["tests"])
        failed |= results["status"] == "fail"
    return {"totalPoints": total, "maxPoints": maxp, "failed": failed}


def test_workflow_shape_required_by_classroom(tiny_template):
    course, tpl = tiny_template
    wf = yaml.safe_load((tpl / ".github" / "workflows" / "classroom.yml").read_text())
    assert wf["name"] == "Autograding Tests"  # the reporter's README: no other name is allowed
    assert list(wf["jobs"]) == ["run-autograding-tests"]  # one job, this id
    steps = wf["jobs"]["run-autograding-tests"]["steps"]
    for s in steps:
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s["with"]["persist-credentials"] is False, s
        if "run" in s:
            assert "secrets." not in json.dumps(s), f"a secret reaches a step that runs code: {s}"
    token_steps = [s for s in steps if "secrets." in json.dumps(s)]
    assert len(token_steps) == 1 and token_steps[0]["uses"].startswith("actions/checkout@")
    assert "setup-python" in json.dumps(steps) and '"cache": "pip"' in json.dumps(steps)
    ids = [runner_id(a.id) for a in load_course(course).model.assignments]
    assert wf["jobs"]["run-autograding-tests"]["steps"][-1]["with"]["runners"] == ",".join(ids)


def test_classroom_report_gives_partial_credit_to_the_reporter(tiny_template):
    course, tpl = tiny_template
    work = tpl.parent / "student-report"
    shutil.copytree(tpl, work)
    answer(work / "assignments" / "00_tiny" / "00_tiny.ipynb", PARTIAL)
    wf = yaml.safe_load((work / ".github" / "workflows" / "classroom.yml").read_text())

    # public checks only (no instructor repository configured)
    out = work / "gh_output"
    run(["-m", "autograder", "classroom-report", "assignments"], work, env={"GITHUB_OUTPUT": str(out)})
    got = reporter(wf, decode_outputs(out))
    assert got == {"totalPoints": 2.0, "maxPoints": 3.0, "failed": True}

    # with the instructor's repository checked out: hidden checks too, their probe source hidden
    out2 = work / "gh_output2"
    summary = work / "summary.md"
    run(
        ["-m", "autograder", "--root", str(course), "classroom-report", "assignments", "--hidden"],
        work,
        env={"GITHUB_OUTPUT": str(out2), "GITHUB_STEP_SUMMARY": str(summary)},
    )
    outputs = decode_outputs(out2)
    got = reporter(wf, outputs)
    assert got == {"totalPoints": 3.0, "maxPoints": 5.0, "failed": True}
    results = json.loads(base64.b64decode(outputs[runner_id("00_tiny")]))
    hidden = [t for t in results["tests"] if "비공개" in t["name"]]
    assert len(hidden) == 2
    for t in results["tests"]:
        assert "scale_int_input" not in t["message"] and "[1, 2, 3]" not in t["message"], t
    assert "scale_int_input" not in summary.read_text(encoding="utf-8")

    # a full-marks student passes
    answer(work / "assignments" / "00_tiny" / "00_tiny.ipynb", GOOD)
    out3 = work / "gh_output3"
    run(["-m", "autograder", "classroom-report", "assignments"], work, env={"GITHUB_OUTPUT": str(out3)})
    assert reporter(wf, decode_outputs(out3)) == {"totalPoints": 3.0, "maxPoints": 3.0, "failed": False}


REPORTER_SRC = os.environ.get(
    "AUTOGRADER_REPORTER_SRC"
)  # a checkout of classroom-resources/autograding-grading-reporter


@pytest.mark.skipif(
    not (REPORTER_SRC and shutil.which("node")),
    reason="set AUTOGRADER_REPORTER_SRC to a checkout of the reporter (and have node) to run the real one",
)
def test_real_reporter_reads_our_results(tiny_template, tmp_path):
    """Runs the reporter's own src/main.js (with tiny stand-ins for @actions/core and cli-table3)."""
    _, tpl = tiny_template
    work = tmp_path / "w"
    shutil.copytree(tpl, work)
    answer(work / "assignments" / "00_tiny" / "00_tiny.ipynb", PARTIAL)
    out = work / "gh_output"
    run(["-m", "autograder", "classroom-report", "assignments"], work, env={"GITHUB_OUTPUT": str(out)})
    src = tmp_path / "reporter"
    shutil.copytree(Path(REPORTER_SRC) / "src", src / "src")
    core = src / "node_modules" / "@actions" / "core"
    core.mkdir(parents=True)
    (core / "index.js").write_text(
        "exports.getInput = (n) => process.env['INPUT_' + n.toUpperCase()] || '';\n"
        "exports.notice = (m, o) => console.log('::notice title=' + (o && o.title) + '::' + m);\n"
        "exports.setFailed = (m) => { console.log('::error::' + m); process.exitCode = 1; };\n"
    )
    table = src / "node_modules" / "cli-table3"
    table.mkdir(parents=True)
    (table / "index.js").write_text(
        "module.exports = class { constructor() { this.rows = []; } push(r) { this.rows.push(r); }"
        " toString() { return this.rows.map(r => r.join(' | ')).join('\\n'); } };\n"
    )
    wf = yaml.safe_load((work / ".github" / "workflows" / "classroom.yml").read_text())
    step = wf["jobs"]["run-autograding-tests"]["steps"][-1]
    outputs = decode_outputs(out)
    env = dict(os.environ, INPUT_RUNNERS=step["with"]["runners"])
    for k, expr in step["env"].items():
        env[k] = outputs[
            expr.strip().removeprefix("${{").removesuffix("}}").strip().removeprefix("steps.grade.outputs.")
        ]
    p = subprocess.run(["node", str(src / "src" / "main.js")], env=env, capture_output=True, text=True, check=False)
    assert '::notice title=Autograding report::{"totalPoints":2,"maxPoints":3}' in p.stdout, p.stdout + p.stderr


# ------------------------------------------------------------------------------------------
# the real course
# ------------------------------------------------------------------------------------------
def _released():
    tree = load_course(ROOT)
    return all(tree.release_notebook(a).exists() for a in tree.model.assignments) and all(
        (tree.checks_dir / a.id / "public_reference.json").exists()
        for a in tree.model.assignments
        if (tree.checks_dir / a.id / "public.py").exists()
    )


@pytest.mark.skipif(not _released(), reason="the real course is not released yet (run `autograder release`)")
def test_real_template_is_clean_and_checks_run(tmp_path):
    run(["-m", "autograder", "classroom-template", str(tmp_path / "tpl")], ROOT)
    tpl = tmp_path / "tpl"
    tree = load_course(ROOT)
    assert leaks(tpl, _forbidden_texts(tree)) == []
    assert not (tpl / "solutions").exists() and not list(tpl.rglob("hidden.py"))
    run(["-m", "autograder", "check", "assignments", "--json", "r.json"], tpl)
    data = json.loads((tpl / "r.json").read_text())
    assert {a["id"] for a in data["assignments"]} == {a.id for a in tree.model.assignments}
    for a in data["assignments"]:
        for c in a["checks"]:
            assert c["visibility"] == "public"
            assert "기준 출력이 없습니다" not in c["message"] and "채점기 문제" not in c["message"], c
    assert data["score"] == 0  # the release is blank
