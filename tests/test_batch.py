"""`autograder batch`: a class graded in parallel, resumable after kill -9, safe against bad students.

The tiny course always runs; the real course runs on the sample class when it exists.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import tiny_course

from autograder.course import load_course
from autograder.pipeline import grade_paths

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "scale": "def scale(x, a):\n    return a * np.asarray(x, dtype=np.float64)\n",
    "sample_coin": "def sample_coin(n, p, rng):\n    return (rng.random(n) < p).astype(np.int64)\n",
}
PARTIAL = {"scale": "def scale(x, a):\n    return a * x\n", "sample_coin": GOOD["sample_coin"]}
HANGS = {"scale": "def scale(x, a):\n    while True:\n        pass\n", "sample_coin": GOOD["sample_coin"]}
EXITS = {"scale": "import os\ndef scale(x, a):\n    os._exit(0)\n", "sample_coin": GOOD["sample_coin"]}


def cli(args, cwd, **kw):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_COURSE_ROOT"}
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def run_cli(args, cwd, timeout=600):
    p = cli(args, cwd)
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, out + err
    return out, err


def write_student(course: Path, name: str, answers: dict, layout: str = "classroom") -> Path:
    nb = nbformat.read(str(course / "solutions" / "00_tiny" / "00_tiny.ipynb"), as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in ("scale", "sample_coin"):
            cell.source = answers.get(gid, "raise NotImplementedError()")
    base = course / "class" / name
    path = (
        base / "assignments" / "00_tiny" / "00_tiny.ipynb"
        if layout == "classroom"
        else base / "00_tiny" / "00_tiny.ipynb"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def read_csv(path: Path) -> dict:
    with open(path, newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def snapshot(results: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in results.glob("*.json")}


@pytest.fixture
def tiny(tmp_path):
    course = tiny_course.write_course(tmp_path / "course")
    return course


def test_batch_kill_9_resume_and_rerun(tiny):
    course = tiny
    expected = {}
    for i in range(8):
        write_student(course, f"s{i:02d}", GOOD if i % 2 == 0 else PARTIAL, layout="classroom" if i < 5 else "nbgrader")
        expected[f"s{i:02d}"] = 5 if i % 2 == 0 else 4
    out = course / "out" / "grades.csv"
    results = Path(str(out) + ".d") / "results"

    # 1. start, kill -9 (the whole process group: the batch and its grader processes) mid-run
    p = cli(["batch", "class", "--out", str(out), "-j", "1", "--no-progress"], course, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(list(results.glob("*.json"))) < 3 and p.poll() is None:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate()
    done_before = snapshot(results)
    assert 3 <= len(done_before) < 8, f"kill came too late or too early: {sorted(done_before)}"
    # the CSV on disk is a parseable snapshot of what was graded: every row is a finished student
    # (it is rewritten at most every few seconds, so the last students may be missing from it)
    rows = read_csv(out)
    assert set(rows) <= {n[:-5] for n in done_before}
    for name, row in rows.items():
        assert float(row["total"]) == expected[name]
    for name in done_before:  # every kept result file is whole JSON
        json.loads((results / name).read_text())

    # 2. rerun: nothing already graded is redone, the rest is graded, the CSV is complete
    stdout, _ = run_cli(["batch", "class", "--out", str(out), "-j", "2", "--no-progress"], course)
    after = snapshot(results)
    for name, state in done_before.items():
        assert after[name] == state, f"{name} was regraded after the resume"
    assert f"graded {8 - len(done_before)}, reused {len(done_before)}" in stdout
    rows = read_csv(out)
    assert {k: float(v["total"]) for k, v in rows.items()} == expected
    assert all(v["status"] == "graded" for v in rows.values())
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"

    # 3. a changed submission is regraded, and only it
    write_student(course, "s01", GOOD, layout="classroom")
    stdout, _ = run_cli(["batch", "class", "--out", str(out), "--no-progress"], course)
    assert "graded 1, reused 7" in stdout
    again = snapshot(results)
    assert [n for n in again if again[n] != after[n]] == ["s01.json"]
    assert float(read_csv(out)["s01"]["total"]) == 5

    # 4. a changed check regrades everyone
    hidden = course / "checks" / "00_tiny" / "hidden.py"
    hidden.write_text(hidden.read_text() + "\n# a comment changes the checks' version\n")
    stdout, _ = run_cli(["batch", "class", "--out", str(out), "--no-progress"], course)
    assert "graded 8, reused 0" in stdout


def test_batch_survives_bad_students_and_writes_feedback(tiny):
    course = tiny
    write_student(course, "good", GOOD)
    write_student(course, "hangs", HANGS)
    write_student(course, "exits", EXITS)
    write_student(course, "partial", PARTIAL)
    (course / "class" / "empty").mkdir(parents=True)
    garbage = course / "class" / "garbage" / "00_tiny" / "00_tiny.ipynb"
    garbage.parent.mkdir(parents=True)
    garbage.write_text("{ this is not a notebook")
    out = course / "grades.csv"
    stdout, err = run_cli(["batch", "class", "--out", str(out), "-j", "2"], course)
    rows = read_csv(out)
    assert set(rows) == {"good", "hangs", "exits", "partial", "empty", "garbage"}
    total = {k: float(v["total"]) for k, v in rows.items()}
    assert total["good"] == 5 and total["partial"] == 4
    assert total["hangs"] == 2 and total["exits"] == 2  # the coin exercise is still graded
    assert total["empty"] == 0 and total["garbage"] == 0
    assert rows["empty"]["status"] == "no_submission"
    assert "JSON" in rows["garbage"]["problem"]
    assert "grading" in err  # the progress bar
    assert "일괄 채점 결과" in stdout and "mean" in stdout  # the summary table

    fb = Path(str(out) + ".d") / "feedback"
    md = (fb / "partial" / "feedback.md").read_text()
    html_page = (fb / "partial" / "feedback.html").read_text()
    assert "<html" in html_page and "partial" in html_page
    # hidden checks are named (with their verdict), never shown: no check code, no probe source
    assert "scale_of_integer_list_is_float" in md and "비공개" in md
    for line in tiny_course.HIDDEN.splitlines():
        line = line.strip()
        if line.startswith(("def ", "expect.", "return ", "rng =", "d =")):
            assert line not in md, line
    # a public check's source is shown when it fails
    md_hangs = (fb / "hangs" / "feedback.md").read_text()
    assert "def test_scale_matches_reference" in md_hangs
    assert "시간" in md_hangs  # the timeout is explained


def _sample_students():
    sample = ROOT / "samples" / "submitted"
    if not sample.is_dir():
        return []
    tree = load_course(ROOT)
    return [
        d
        for d in sorted(sample.iterdir())
        if d.is_dir() and any((d / a.id / f"{a.id}.ipynb").exists() for a in tree.model.assignments)
    ]


@pytest.mark.skipif(not _sample_students(), reason="no sample class yet (samples/submitted/<student>/<id>/<id>.ipynb)")
def test_batch_on_sample_class_equals_grade(tmp_path):
    tree = load_course(ROOT)
    out = tmp_path / "grades.csv"
    stdout, _ = run_cli(
        ["batch", str(ROOT / "samples" / "submitted"), "--out", str(out), "-j", "2", "--no-progress"],
        ROOT,
        timeout=1800,
    )
    rows = read_csv(out)
    assert "…" not in stdout, stdout  # the summary table (80 columns when piped) truncates nothing
    for student in _sample_students():
        assert student.name in stdout, stdout
    for rec in (Path(str(out) + ".d") / "results").glob("*.json"):  # batch forks workers from a template
        workers = json.loads(rec.read_text())["workers"]
        assert workers == {"forked": 1, "started": 0}, (rec.name, workers)
    for student in _sample_students():  # ... and its grades equal those of workers started fresh
        results = grade_paths(tree, [student])
        assert float(rows[student.name]["total"]) == pytest.approx(sum(r.score for r in results)), student.name
        for r in results:
            assert float(rows[student.name][r.id]) == pytest.approx(r.score), (student.name, r.id)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_second_batch_on_the_same_output_is_refused_and_stale_temporaries_go(tiny):
    import fcntl

    course = tiny
    write_student(course, "good", GOOD)
    out = course / "grades.csv"
    sdir = Path(str(out) + ".d")
    (sdir / "results").mkdir(parents=True)
    stale = [course / ".grades.csv.abc123.tmp", sdir / "results" / ".good.json.xyz.tmp"]
    for p in stale:  # what a kill -9 in the middle of an atomic write leaves
        p.write_text("half")
    with open(sdir / "lock", "w") as held:  # another batch is running on this output
        fcntl.flock(held, fcntl.LOCK_EX)
        p = cli(["batch", "class", "--out", str(out), "--no-progress"], course)
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 2, stdout + stderr
        assert (
            stderr.strip().splitlines()[-1] == f"error: {out}: 다른 autograder batch가 이 결과에 쓰는 중입니다 "
            "(another batch is writing this output)"
        )
        assert all(p.exists() for p in stale), "a running batch's files were touched"
    run_cli(["batch", "class", "--out", str(out), "--no-progress"], course)
    assert not any(p.exists() for p in stale)
    assert float(read_csv(out)["good"]["total"]) == 5
