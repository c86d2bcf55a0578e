"""What a student with one of the buggy variants of tests/variants/ is told.

- every variant is marked: ``kind`` "convention" or "edge", and the ``hint`` phrase of its mistake;
- every convention break already fails the public checks (what ``autograder check`` runs);
- the first hint shown (the first failing check's message, in report order) names the variant's mistake.

Each variant is graded once per process (helpers.grade remembers results; the tests carry the same
xdist group as tests/test_assignments.py, so with ``-n 2 --dist loadgroup`` they reuse its gradings).
The public checks are the first part of a full grading, with the same seeds and the same check
functions as ``load_checks(..., visibilities=("public",))``: a public check's verdict in the full
grading is its verdict under ``autograder check`` (test_public_part_is_what_check_runs proves it on one
variant per assignment).
"""

from __future__ import annotations

import pytest
from helpers import course, grade, variants
from variants import KINDS

from autograder.checks import load_checks

ASSIGNMENTS = [
    a.id
    for a in course().model.assignments
    if course().source_notebook(a).exists() and (course().checks_dir / a.id / "public.py").exists()
]


# ---- known gaps (strict xfail: each entry must still fail; remove it when fixed) ----
# convention breaks that only hidden checks catch today
PUBLIC_GAPS: set[str] = set()
# variants whose first message does not yet name the mistake
HINT_GAPS: set[str] = set()


def _bugs(kind=None, gaps=frozenset(), gap_reason=""):
    for aid in ASSIGNMENTS:
        for bug in variants(aid).BUGS:
            if kind is None or bug.kind == kind:
                marks = [pytest.mark.xdist_group(aid)]
                if f"{aid}/{bug.name}" in gaps:
                    marks.append(pytest.mark.xfail(strict=True, reason=gap_reason))
                yield pytest.param(aid, bug, id=f"{aid}-{bug.name}", marks=marks)


def test_gap_lists_name_real_variants():
    names = {f"{aid}/{b.name}": b for aid in ASSIGNMENTS for b in variants(aid).BUGS}
    assert names.keys() >= PUBLIC_GAPS and names.keys() >= HINT_GAPS, (PUBLIC_GAPS | HINT_GAPS) - names.keys()
    assert all(names[n].kind == "convention" for n in PUBLIC_GAPS)


def _graded(aid, bug):
    return grade(aid, {bug.exercise: bug.source})


def _shown(res):
    """The failing checks in the order the report shows them (report.print_table, the notebook)."""
    return [c for c in res.checks if c.status != "passed"]


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_every_variant_is_marked(aid):
    bad = {b.name: (b.kind, b.hint) for b in variants(aid).BUGS if b.kind not in KINDS or not b.hint.strip()}
    assert not bad, f"variants without kind ('convention'/'edge') or hint phrase: {bad}"


@pytest.mark.parametrize("aid,bug", list(_bugs("convention", PUBLIC_GAPS, "known gap: no public check yet")))
def test_convention_break_fails_public_checks(aid, bug):
    public = {s.id for s in load_checks(course().checks_dir, aid, ("public",))}
    failed = [c.id for c in _shown(_graded(aid, bug)) if c.id in public]
    assert failed, (
        f"{bug.name} ({bug.why}) passes every public check: `autograder check` does not warn; "
        f"only hidden checks fail: {sorted(bug.fails)}"
    )


@pytest.mark.parametrize("aid,bug", list(_bugs(None, HINT_GAPS, "known gap: first message does not name it yet")))
def test_first_hint_names_the_mistake(aid, bug):
    shown = _shown(_graded(aid, bug))
    assert shown, f"{bug.name} passes every check"
    first = shown[0]
    assert bug.hint and bug.hint in first.message, (
        f"{bug.name} ({bug.why}): the first message ({first.id}) does not say {bug.hint!r}:\n{first.message}"
    )


@pytest.mark.parametrize("aid", [pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in ASSIGNMENTS])
def test_public_part_is_what_check_runs(aid):
    """Grading with the public checks only gives the public part of the full grading, verdict for verdict."""
    bug = next(b for b in variants(aid).BUGS if b.kind == "convention")
    only = grade(aid, {bug.exercise: bug.source}, visibilities=("public",))
    full = _graded(aid, bug)
    assert [c.visibility for c in only.checks] == ["public"] * len(only.checks)
    assert [(c.id, c.status, c.message) for c in only.checks] == [
        (c.id, c.status, c.message) for c in full.checks if c.visibility == "public"
    ]
