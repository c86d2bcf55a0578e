"""nbgrader, as instructors use it, gives the same scores as `autograder grade`.

Runs the real nbgrader command line (generate_assignment through `autograder release`, then
autograde, generate_feedback, export) on a class, with the repository's nbgrader_config.py,
and compares nbgrader's per-test-cell scores and exported totals with the engine's
per-exercise scores on the same submissions. Also pins nbgrader's known traps:

- a warning on stderr (Python warning, print to sys.stderr, C-level write to fd 2) in the
  student's code does not zero a test cell;
- the feedback HTML does not show the hidden tests' source;
- untouched test cells with hidden tests give no "checksum has changed" warning.

The tiny course always runs; the real course runs on the sample class (samples/submitted)
when it exists.
"""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tiny_course

from autograder.course import load_course
from autograder.pipeline import grade_paths

ROOT = Path(__file__).resolve().parent.parent
NBGRADER = Path(sys.executable).with_name("nbgrader")

pytestmark = pytest.mark.skipif(
    not NBGRADER.exists(), reason="nbgrader is not installed (pip install -e .[instructor])"
)

SOL_SCALE = "def scale(x, a):\n    return a * np.asarray(x, dtype=np.float64)\n"
SOL_COIN = "def sample_coin(n, p, rng):\n    return (rng.random(n) < p).astype(np.int64)\n"
TINY_STUDENTS = {
    "full": {"scale": SOL_SCALE, "sample_coin": SOL_COIN},
    # public scale check passes, hidden one raises (list * float); coin rate wrong, values fine
    "partial": {
        "scale": "def scale(x, a):\n    return a * x\n",
        "sample_coin": "def sample_coin(n, p, rng):\n    return (rng.random(n) < 0.5).astype(np.int64)\n",
    },
    # correct, but noisy on stderr in every way a library can be
    "warns": {
        "scale": (
            "import os, sys, warnings\n"
            "warnings.warn('deprecated thing (at definition)')\n"
            "def scale(x, a):\n"
            "    warnings.warn('UserWarning from the student code', UserWarning)\n"
            "    warnings.warn('deprecated', DeprecationWarning)\n"
            "    print('to sys.stderr', file=sys.stderr)\n"
            "    os.write(2, b'C-level write to fd 2\\n')\n"
            "    return a * np.asarray(x, dtype=np.float64)\n"
        ),
        "sample_coin": SOL_COIN,
    },
    "blank": {},
}


def _env():
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_COURSE_ROOT"}
    # the copied course has the same solutions: share the repository's reference-output cache
    # (keyed by solution code, probe and arguments), so nbgrader's kernels do not recompute it
    env.setdefault("AUTOGRADER_CACHE", str(ROOT / ".cache" / "reference"))
    return env


def nbgrader(args, cwd, timeout=1800):
    env = _env()
    env["JUPYTER_CONFIG_DIR"] = str(Path(cwd) / ".jupyter")
    # the `nbgrader` command's own entry point, after `import autograder`, which (as in every process
    # of ours) skips jsonschema's optional IRI grammar: 2.4 s of start-up per command, never used
    cmd = [sys.executable, "-c", "import sys, autograder; from nbgrader.apps.nbgraderapp import main; sys.exit(main())"]
    proc = subprocess.run([*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout + proc.stderr


def autograder_cli(args, cwd):
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, env=_env(), check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def student_notebook(release_nb: Path, answers: dict, dest: Path) -> None:
    nb = nbformat.read(str(release_nb), as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))


def run_class(course: Path, assignment_ids: list[str]) -> dict:
    """autograde, generate_feedback and export every assignment; returns logs and the CSV rows."""
    logs = {}
    for aid in assignment_ids:
        logs[aid] = nbgrader(["autograde", aid, "--force"], course)
        nbgrader(["generate_feedback", aid, "--force"], course)
    nbgrader(["export", "--to", str(course / "export.csv")], course)
    with open(course / "export.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"logs": logs, "rows": rows}


def nbgrader_cell_scores(course: Path, student: str, aid: str, exercises) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / '.cache' / 'nbgrader' / 'gradebook.db'}") as gb:
        return {ex: float(gb.find_grade(f"test_{ex}", aid, aid, student).score) for ex in exercises}


def engine_results(course: Path) -> dict:
    """The engine's results for every submission of the class: {student: {assignment id: result}}
    (each student's folder graded once, torch imported once for the whole class)."""
    from autograder.pipeline import course_imports
    from autograder.run import Template

    tree = load_course(course)
    template = Template(course_imports(tree)) if Template.supported() else None  # torch imported once
    try:
        return {
            student_dir.name: {r.id: r for r in grade_paths(tree, [student_dir], template=template)}
            for student_dir in sorted((course / "submitted").iterdir())
        }
    finally:
        if template is not None:
            template.close()


def compare(course: Path, result: dict, ours: dict | None = None, only: str | None = None) -> list:
    """nbgrader's scores vs the engine's, per test cell and per notebook total (of assignment
    ``only``, or of all); ``ours`` from :func:`engine_results`, graded here when not given."""
    tree = load_course(course)
    rows = {(r["student_id"], r["assignment"]): r for r in result["rows"]}
    compared = []
    for student, results in (ours if ours is not None else engine_results(course)).items():
        for aid, res in results.items():
            if res.problem or (only is not None and aid != only):
                continue
            a = tree.model.assignment(aid)
            exercises = [e.id for e in a.auto_exercises]
            theirs = nbgrader_cell_scores(course, student, aid, exercises)
            mine = {ex: s for ex, (s, _m) in res.exercise_scores().items()}
            assert theirs == pytest.approx(mine), (student, aid, theirs, mine)
            row = rows[(student, aid)]
            assert float(row["raw_score"]) == pytest.approx(res.score), (student, aid, row, res.score)
            compared.append((student, aid, res.score))
    return compared


def feedback_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", page[page.find("<body") :]))


def assert_traps_handled(
    course: Path, result: dict, hidden_sources: dict[str, list[str]], only: str | None = None
) -> None:
    for log in result["logs"].values():
        # untouched test cells: no checksum warning (nbgrader logs it for every hidden-test cell by default)
        assert "Attribute 'checksum'" not in log, log[-3000:]
        assert "has changed" not in log, log[-3000:]
    pages = sorted((course / "feedback").glob(f"*/{only or '*'}/*.html"))
    assert pages, f"no feedback pages for {only or 'any assignment'}"
    for page in pages:
        text = feedback_text(page)
        aid = page.parent.name
        assert "HIDDEN TESTS" not in text, page
        assert "hidden=True" not in text, page
        for line in hidden_sources.get(aid, []):
            assert line not in text, (page, line)
        assert "checks.run(" in text, page  # the public part of the test cell is still shown


# ------------------------------------------------------------------------------------------
# tiny course: always runs
# ------------------------------------------------------------------------------------------
TINY = pytest.mark.xdist_group("nbgrader-tiny")  # one worker builds the tiny class once


@pytest.fixture(scope="session")  # built once, on the one worker of its xdist group
def tiny_class(tmp_path_factory):
    course = tmp_path_factory.mktemp("nbgrader-tiny")
    tiny_course.write_course(course)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    autograder_cli(["--root", str(course), "release"], course)
    release_nb = course / "assignments" / "00_tiny" / "00_tiny.ipynb"
    for name, answers in TINY_STUDENTS.items():
        student_notebook(release_nb, answers, course / "submitted" / name / "00_tiny" / "00_tiny.ipynb")
    return course, run_class(course, ["00_tiny"])


@TINY
def test_tiny_nbgrader_scores_equal_autograder_grade(tiny_class):
    course, result = tiny_class
    compared = compare(course, result)
    scores = {s: score for s, _a, score in compared}
    assert scores == {"full": 5, "partial": 3, "warns": 5, "blank": 0}


@TINY
def test_tiny_nbgrader_traps(tiny_class):
    course, result = tiny_class
    hidden = [line.strip() for line in tiny_course.HIDDEN.splitlines() if line.strip().startswith(("def ", "expect."))]
    assert_traps_handled(course, result, {"00_tiny": hidden})
    # the warning student's noise really reached nbgrader, and still scored full marks
    nb = nbformat.read(str(course / "autograded" / "warns" / "00_tiny" / "00_tiny.ipynb"), as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert any(o.get("name") == "stderr" for o in cells["scale"].outputs), "the answer cell's warning was not emitted"
    for gid in ("test_scale", "test_sample_coin"):
        assert not [o for o in cells[gid].outputs if o.get("name") == "stderr" or o.output_type == "error"], gid


@TINY
def test_tiny_traps_exist_without_the_fixes(tiny_class):
    """The fixes are needed: the autograded notebook holds the hidden tests (nbgrader's default
    feedback would render them), and the released test cell's checksum differs from the one
    the gradebook recorded (OverwriteCells would warn)."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import compute_checksum

    course, _ = tiny_class
    autograded = (course / "autograded" / "full" / "00_tiny" / "00_tiny.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" in autograded
    released = nbformat.read(str(course / "assignments" / "00_tiny" / "00_tiny.ipynb"), as_version=4)
    cell = next(c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_scale")
    with Gradebook(f"sqlite:///{course / '.cache' / 'nbgrader' / 'gradebook.db'}") as gb:
        assert gb.find_source_cell("test_scale", "00_tiny", "00_tiny").checksum != compute_checksum(cell)


@TINY
def test_nbgrader_config_reads_course_yaml(tiny_class):
    from nbgrader.api import Gradebook

    course, _ = tiny_class
    with Gradebook(f"sqlite:///{course / '.cache' / 'nbgrader' / 'gradebook.db'}") as gb:
        a = gb.find_assignment("00_tiny")
        assert a.duedate.isoformat().startswith("2026-12-01T14:59")  # 23:59 KST in UTC


# ------------------------------------------------------------------------------------------
# the real course on the bundled sample class
# ------------------------------------------------------------------------------------------
def _real_assignments():
    tree = load_course(ROOT)
    sample = ROOT / "samples" / "submitted"
    ids = []
    for a in tree.model.assignments:
        if not (tree.source_notebook(a).exists() and (tree.checks_dir / a.id / "public.py").exists()):
            continue
        if any((d / a.id / f"{a.id}.ipynb").exists() for d in sample.glob("*")):
            ids.append(a.id)
    return ids


REAL = _real_assignments() if (ROOT / "samples" / "submitted").is_dir() else []


SAMPLE = pytest.mark.xdist_group("nbgrader-sample")  # one worker runs the class through nbgrader once


@pytest.fixture(scope="session")  # built once, on the one worker of its xdist group
def sample_class(tmp_path_factory):
    """The whole sample class through nbgrader at once: one release of every assignment, one
    `nbgrader autograde "*"` (every assignment of every student), one generate_feedback, one export;
    and the engine's grading of the same submissions. (It was one course copy and gradebook per
    assignment, i.e. five of each nbgrader command and five engine start-ups.)"""
    course = tmp_path_factory.mktemp("nbgrader-sample") / "course"
    course.mkdir()
    shutil.copy(ROOT / "course.yaml", course)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for sub in ("solutions", "checks"):
        shutil.copytree(ROOT / sub, course / sub, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for student in sorted((ROOT / "samples" / "submitted").iterdir()):
        for aid in REAL:
            src = student / aid / f"{aid}.ipynb"
            if src.exists():
                (course / "submitted" / student.name / aid).mkdir(parents=True, exist_ok=True)
                shutil.copy(src, course / "submitted" / student.name / aid / src.name)
    args = ["--root", str(course), "release"]
    for aid in REAL:
        args += ["--assignment", aid]
    autograder_cli(args, course)
    result = run_class(course, ["*"])  # nbgrader's assignment argument is a glob
    return course, result, engine_results(course)


@SAMPLE
@pytest.mark.skipif(
    not REAL, reason="no real assignment with sample submissions yet (samples/submitted/<student>/<id>/)"
)
@pytest.mark.parametrize("aid", REAL or ["none"])
def test_sample_class_nbgrader_scores_equal_autograder_grade(sample_class, aid):
    course, result, ours = sample_class
    compared = compare(course, result, ours, only=aid)
    students = {d.name for d in (ROOT / "samples" / "submitted").iterdir() if (d / aid / f"{aid}.ipynb").exists()}
    assert {s for s, _a, _score in compared} == students  # every submission of this assignment compared
    path = ROOT / "checks" / aid / "hidden.py"
    hidden = (
        [ln.strip() for ln in path.read_text().splitlines() if ln.strip().startswith("def ")] if path.exists() else []
    )
    assert_traps_handled(course, result, {aid: hidden}, only=aid)


# ------------------------------------------------------------------------------------------
# nbgrader's Validate (toolbar button, `nbgrader validate`) on released notebooks
# ------------------------------------------------------------------------------------------
VALIDATE = pytest.mark.xdist_group("nbgrader-validate")
# sample_coin gets a second public check (its hidden one moved to public.py), so one test cell
# can pass some of its public checks and not others
VALIDATE_STUDENTS = {
    "untouched": {},
    "partial": {
        "scale": SOL_SCALE,
        "sample_coin": "def sample_coin(n, p, rng):\n    return (rng.random(n) < 0.5).astype(np.int64)\n",
    },
    "complete": {"scale": SOL_SCALE, "sample_coin": SOL_COIN, "written_why": "동전은 공정하기 때문입니다."},
}


@pytest.fixture(scope="session")  # built once, on the one worker of its xdist group
def validate_class(tmp_path_factory):
    course = tmp_path_factory.mktemp("nbgrader-validate")
    tiny_course.write_course(course)
    public, hidden = course / "checks" / "00_tiny" / "public.py", course / "checks" / "00_tiny" / "hidden.py"
    text = hidden.read_text()
    moved = text[text.index("@probe\ndef coin_values") :]
    hidden.write_text(text[: text.index("@probe\ndef coin_values")])
    public.write_text(public.read_text() + "\n\n" + moved)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    autograder_cli(["--root", str(course), "release"], course)
    release_nb = course / "assignments" / "00_tiny" / "00_tiny.ipynb"
    paths = {}
    for name, answers in VALIDATE_STUDENTS.items():
        paths[name] = course / "students" / name / "00_tiny" / "00_tiny.ipynb"
        student_notebook(release_nb, answers, paths[name])
    return course, paths


def validate(path: Path, monkeypatch) -> dict:
    """nbgrader's own Validator, as the toolbar button and `nbgrader validate` run it:
    {grade_id or source: message} of the cells it reports as failed."""
    from nbgrader.validator import Validator

    for k, v in _env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AUTOGRADER_COURSE_ROOT", raising=False)
    result = Validator().validate(str(path))
    assert set(result) <= {"failed"}, result  # no "changed" or "type_changed": the cells are the released ones
    return {cell["source"].splitlines()[0]: cell["raw_error"] for cell in result.get("failed", [])}


@VALIDATE
def test_validate_untouched_notebook_says_nothing_passed(validate_class, monkeypatch):
    _, paths = validate_class
    failed = validate(paths["untouched"], monkeypatch)
    scale, coin = failed['checks.run("scale")'], failed['checks.run("sample_coin")']
    assert "Partial credit" not in scale + coin
    assert "공개 검사 0/2점 (총 3점 중; 비공개 검사는 제출 후 채점)" in scale and "no check passed, 0 of 1" in scale
    assert "공개 검사 0/2점 (총 2점; 이 연습은 모든 검사가 공개)" in coin and "no check passed, 0 of 2" in coin
    assert "NotImplementedError" in scale  # which check failed, and why
    assert "You did not provide a response" in failed["YOUR ANSWER HERE"]  # the written answer: nbgrader's own words


@VALIDATE
def test_validate_partial_notebook_names_the_partial_cell(validate_class, monkeypatch):
    _, paths = validate_class
    failed = validate(paths["partial"], monkeypatch)
    assert 'checks.run("scale")' not in failed  # every public check of scale passes
    coin = failed['checks.run("sample_coin")']
    assert "공개 검사 1/2점" in coin and "partial credit: 1 of 2 checks passed" in coin
    assert "coin_rate_is_p" in coin and "coin_values_are_zero_or_one" not in coin
    assert "Partial credit; passed some but not all of the tests" not in coin


@VALIDATE
def test_validate_complete_notebook_passes(validate_class, monkeypatch):
    _, paths = validate_class
    assert validate(paths["complete"], monkeypatch) == {}
