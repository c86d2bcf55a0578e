"""State that a grader process keeps between students is explicit, keyed and bounded (issue 19).

batch's per-process state (the course and the worker template) is a :class:`GraderState`; the
reference side's disk reads are a bounded :class:`ReadCache`. Neither may serve one course's
settings to another, nor a course that changed on disk.
"""

from __future__ import annotations

import json

import pytest
import tiny_course as T

from autograder import batch, context, expect, reference


@pytest.fixture(autouse=True)
def _builtin_tolerances():
    yield
    context.apply_tolerances({})


def _course(root, rtol: str):
    T.write_course(root)
    text = (root / "course.yaml").read_text()
    (root / "course.yaml").write_text(text.replace("float64: {rtol: 1.0e-10", f"float64: {{rtol: {rtol}"))
    return root


def test_a_grader_process_applies_the_settings_of_the_course_it_grades_now(tmp_path):
    """Two courses graded by one process (a Dask worker serves every batch sent to it): each
    student is graded with its own course's tolerances. The old module cache applied them only
    when a course was first loaded."""
    a, b = _course(tmp_path / "a", "1.0e-3"), _course(tmp_path / "b", "1.0e-6")
    state = batch.GraderState()
    assert state.tree(str(a)).root == a and expect.DEFAULT_TOLERANCES["float64"][0] == 1e-3
    assert state.tree(str(b)).root == b and expect.DEFAULT_TOLERANCES["float64"][0] == 1e-6
    assert state.tree(str(a)) is state.tree(str(a))  # kept: loaded once while unchanged
    assert expect.DEFAULT_TOLERANCES["float64"][0] == 1e-3


def test_an_edited_course_is_reloaded_not_served_stale(tmp_path):
    a = _course(tmp_path / "a", "1.0e-3")
    state = batch.GraderState()
    old = state.tree(str(a))
    _course(a, "2.0e-3")  # the instructor fixes course.yaml between two batches on the same workers
    new = state.tree(str(a))
    assert new is not old and new.model.grading.tolerances["float64"].rtol == 2e-3
    assert expect.DEFAULT_TOLERANCES["float64"][0] == 2e-3


def test_read_cache_is_bounded_and_keyed_by_path(tmp_path):
    small, big = tmp_path / "s.json", tmp_path / "b.json"
    small.write_text(json.dumps({"v": [1, 2]}))
    big.write_text(json.dumps({"v": "x" * 200}))
    cache = reference.ReadCache(budget=100)
    assert cache.get(small) == {"v": [1, 2]} and cache.get(big) == {"v": "x" * 200}
    assert cache.used <= 100 and small in cache and big not in cache  # over budget: read again each time
    small.unlink()
    assert cache.get(small) == {"v": [1, 2]}  # kept (content-addressed files never change)
    assert cache.get(tmp_path / "missing.json") is None
    (tmp_path / "torn.json").write_text("{")
    assert cache.get(tmp_path / "torn.json") is None
    cache.clear()
    assert cache.used == 0 and cache.get(small) is None


def test_reference_sessions_share_the_process_read_cache_unless_given_one(tmp_path):
    assert reference.ReferenceSession(None).read_cache is reference.DISK_READS
    own = reference.ReadCache(budget=10)
    assert reference.ReferenceSession(None, read_cache=own).read_cache is own
