"""`autograder release`: assignments/ and public_reference.json generated from solutions/, and --check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tiny_course

from autograder import authoring as A
from autograder.course import load_course
from autograder.release import preflight, same_values

NBGRADER = Path(sys.executable).with_name("nbgrader")
# one xdist worker runs this module, so its session-scoped fixture (a release) is built once
pytestmark = [
    pytest.mark.skipif(not NBGRADER.exists(), reason="nbgrader is not installed"),
    pytest.mark.xdist_group("release"),
]


def cli(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_COURSE_ROOT"}
    return subprocess.run(
        [sys.executable, "-m", "autograder", "--root", str(cwd), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="session")  # built once, on the one worker of its xdist group
def released(tmp_path_factory):
    course = tiny_course.write_course(tmp_path_factory.mktemp("release") / "c")
    p = cli(["release"], course)
    assert p.returncode == 0, p.stdout + p.stderr
    return course


def test_release_is_clean(released):
    nb_path = released / "assignments" / "00_tiny" / "00_tiny.ipynb"
    text = nb_path.read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True", "np.asarray(x, dtype=np.float64)"):
        assert marker not in text, marker
    nb = nbformat.read(str(nb_path), as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    assert "raise NotImplementedError()" in cells["scale"].source
    assert cells["test_scale"].source.strip() == 'checks.run("scale")'
    assert oct((released / "checks" / "00_tiny" / "public_reference.json").stat().st_mode & 0o777) == "0o644"
    assert not list(released.rglob("gradebook.db"))[:1] or all(
        ".cache" in p.parts for p in released.rglob("gradebook.db")
    )


def test_public_reference_store_is_sorted_json_of_public_calls(released):
    text = (released / "checks" / "00_tiny" / "public_reference.json").read_text()
    data = json.loads(text)
    assert list(data) == sorted(data) and len(data) == 1  # scale_small; the coin check has no reference call
    assert text == json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_check_passes_then_names_each_differing_file(released):
    p = cli(["release", "--check"], released)
    assert p.returncode == 0, p.stdout + p.stderr
    nb = released / "assignments" / "00_tiny" / "00_tiny.ipynb"
    store = released / "checks" / "00_tiny" / "public_reference.json"
    saved_nb, saved_store = nb.read_bytes(), store.read_bytes()
    try:
        nb.write_text(nb.read_text().replace("YOUR CODE HERE", "YOUR CODE"))
        store.write_text("{}\n")
        (released / "assignments" / "00_tiny" / "stale.txt").write_text("x")
        p = cli(["release", "--check"], released)
        assert p.returncode == 2
        lines = p.stdout.strip().splitlines()
        assert len(lines) == 3, lines
        assert any(line.startswith("assignments/00_tiny/00_tiny.ipynb:") for line in lines)
        assert any(line.startswith("assignments/00_tiny/stale.txt:") for line in lines)
        assert any(line.startswith("checks/00_tiny/public_reference.json:") for line in lines)
    finally:
        nb.write_bytes(saved_nb)
        store.write_bytes(saved_store)
        (released / "assignments" / "00_tiny" / "stale.txt").unlink()
    p = cli(["release", "--check"], released)
    assert p.returncode == 0, p.stdout


def test_release_is_deterministic(released):
    before = {p: p.read_bytes() for p in (released / "assignments").rglob("*") if p.is_file()}
    p = cli(["release"], released)
    assert p.returncode == 0, p.stderr
    after = {p: p.read_bytes() for p in (released / "assignments").rglob("*") if p.is_file()}
    assert before == after


def test_stores_compare_by_value():
    import base64
    import io

    import numpy as np

    def enc(a):
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        return {"__ndarray__": base64.b64encode(buf.getvalue()).decode()}

    x = np.linspace(0, 1, 7)
    assert same_values({"k": {"y": enc(x), "n": 3}}, {"k": {"y": enc(x * (1 + 1e-15)), "n": 3}})
    assert not same_values({"k": {"y": enc(x)}}, {"k": {"y": enc(x * 1.001)}})
    assert not same_values({"k": 1}, {"k": 1, "j": 2})


def test_preflight_names_a_marker_in_prose(tmp_path):
    course = tiny_course.write_course(tmp_path / "c")
    cells = tiny_course.source_cells()
    cells.insert(1, A.markdown("답안 셀의 `### BEGIN SOLUTION` 부분만 채우세요."))
    A.write(A.build(cells), course / "solutions" / "00_tiny" / "00_tiny.ipynb")
    tree = load_course(course)
    (problem,) = preflight(tree, tree.model.assignments)
    assert "cell 1 (markdown" in problem and "BEGIN SOLUTION" in problem
    p = cli(["release"], course)
    assert p.returncode == 2 and "cell 1 (markdown" in p.stderr and "Traceback" not in p.stderr
