"""Properties every assignment must have, checked on whichever assignments exist.

- the reference solution passes every check, for several seeds (no flaky check);
- every buggy variant fails exactly the checks it names, and nothing else;
- every check fails on at least one realistic buggy variant;
- a blank (released) notebook scores 0 on every auto-graded exercise.
"""

from __future__ import annotations

import pytest
from helpers import course, grade, must_not_pass, variants

from autograder.checks import load_checks

ASSIGNMENTS = [
    a.id
    for a in course().model.assignments
    if course().source_notebook(a).exists() and (course().checks_dir / a.id / "public.py").exists()
]
SEEDS = [0, 1, 2, 3, 4]
# one xdist worker per assignment (pytest -n 2 --dist loadgroup): its sandboxed worker process
# then serves all of that assignment's variants (see helpers.grade)
AIDS = [pytest.param(aid, marks=pytest.mark.xdist_group(aid)) for aid in ASSIGNMENTS]


def _bugs():
    for aid in ASSIGNMENTS:
        try:
            mod = variants(aid)
        except ModuleNotFoundError:
            continue
        for bug in mod.BUGS:
            yield pytest.param(aid, bug, id=f"{aid}-{bug.name}", marks=pytest.mark.xdist_group(aid))


@pytest.mark.parametrize("aid", AIDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_reference_solution_passes_every_check(aid, seed):
    res = grade(aid, seed=seed)
    bad = {c.id: c.message for c in res.checks if c.status != "passed"}
    assert not bad, bad
    assert res.score == res.max_score == course().model.assignment(aid).max_score


@pytest.mark.parametrize("aid,bug", list(_bugs()))
def test_bug_fails_exactly_its_checks(aid, bug):
    res = grade(aid, {bug.exercise: bug.source})
    failed = {c.id for c in res.checks if c.status != "passed"}
    assert failed == must_not_pass(aid, bug.fails), {
        c.id: (c.status, c.message) for c in res.checks if c.status != "passed"
    }
    for c in res.checks:
        if c.id in bug.fails:
            assert c.message, f"{c.id} failed without a message"


@pytest.mark.parametrize("aid", AIDS)
def test_every_check_is_caught_by_some_bug(aid):
    specs = load_checks(course().checks_dir, aid)
    covered = set().union(*(b.fails for b in variants(aid).BUGS))
    missing = {s.id for s in specs} - covered
    assert not missing, f"checks that no buggy variant fails: {sorted(missing)}"
    unknown = covered - {s.id for s in specs}
    assert not unknown, f"variants name unknown checks: {sorted(unknown)}"


@pytest.mark.parametrize("aid", AIDS)
def test_blank_notebook_scores_zero_with_not_implemented_messages(aid):
    res = grade(aid, blank=True)
    assert res.score == 0
    assert all(c.status in ("error", "failed") for c in res.checks)
    assert any("NotImplementedError" in c.message for c in res.checks)
