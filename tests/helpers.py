"""Shared test helpers: grade variants of the real notebooks through the real pipeline."""

from __future__ import annotations

import importlib
import tempfile
import textwrap
from functools import lru_cache
from pathlib import Path

import nbformat

from autograder.checks import load_checks
from autograder.course import load_course
from autograder.extract import index_cells, reference_program, setup_imports, student_program
from autograder.load import load_notebook
from autograder.pipeline import grade_program
from autograder.reference import ReferenceSession, default_cache_dir
from autograder.run import Limits, ProcessSession
from autograder.verdict import answer_definitions

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def course():
    return load_course(ROOT)


def assignment(aid):
    a = course().model.assignment(aid)
    assert a is not None, aid
    return a


def variants(aid):
    """The tests/variants module of an assignment (``a03_dropout`` for ``03_dropout``)."""
    return importlib.import_module(f"variants.a{aid}")


def make_submission(aid: str, replacements: dict[str, str] | None = None, *, blank: bool = False, dest=None) -> Path:
    """The solution notebook as a student would submit it: answer cells replaced by
    ``replacements`` (exercise -> cell source); with ``blank``, every other answer cell is the stub."""
    tree = course()
    a = assignment(aid)
    nb = nbformat.read(str(tree.source_notebook(a)), as_version=4)
    answer_ids = {e.id for e in a.auto_exercises}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in (replacements or {}):
            cell.source = textwrap.dedent(replacements[gid]).strip("\n")
        elif blank and gid in answer_ids:
            cell.source = stub(cell.source)
    dest = Path(dest or tempfile.mkdtemp(prefix="sub-")) / aid / f"{aid}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))
    return dest


def stub(source: str) -> str:
    """What nbgrader's release leaves of a solution region."""
    out, skipping = [], False
    for line in source.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            skipping = True
        elif line.strip() == "### END SOLUTION":
            skipping = False
        elif not skipping:
            out.append(line)
    return "\n".join(out)


_shared: dict = {}


def _shared_session(aid: str):
    """One sandboxed worker per assignment for the whole test run (torch is imported once, not
    once per variant); each variant is its own program and namespace in it. Real grading
    (autograder grade/batch) always starts a fresh worker per submission."""
    if aid not in _shared:
        tree = course()
        a = assignment(aid)
        source = load_notebook(tree.source_notebook(a))
        session = ProcessSession(
            Limits.from_course(tree.model.grading),
            protect=(tree.source_dir, tree.checks_dir, default_cache_dir(tree.root)),
        )
        session.spawn(preload=sorted(setup_imports(source)))
        ref = ReferenceSession(reference_program(a, source), cache_dir=default_cache_dir(tree.root))
        _shared[aid] = (a, source, session, ref, {})
    return _shared[aid]


_graded: dict = {}


def grade(
    aid: str,
    replacements: dict[str, str] | None = None,
    *,
    blank: bool = False,
    seed: int | None = None,
    visibilities=("public", "hidden"),
):
    """Grade a variant of the reference solution through the real stages: the notebook is
    written and loaded, extracted, run in the sandboxed worker, and every check decides.

    Remembered per process: test_assignments.py and test_variant_verdicts.py look at the same
    variants' results (same xdist group), and grading is deterministic (fixed seeds per check)."""
    key = (aid, tuple(sorted((replacements or {}).items())), blank, seed, tuple(visibilities))
    if key not in _graded:
        _graded[key] = _grade(aid, replacements, blank=blank, seed=seed, visibilities=tuple(visibilities))
    return _graded[key]


def _grade(aid, replacements, *, blank, seed, visibilities):
    a, source, session, ref, specs_cache = _shared_session(aid)
    if visibilities not in specs_cache:
        specs_cache[visibilities] = load_checks(course().checks_dir, aid, visibilities)
    program = student_program(a, source, load_notebook(make_submission(aid, replacements, blank=blank)))
    key = f"submission-{len(specs_cache)}-{id(program)}"
    session.add(program, key)
    session.renew_deadline()
    try:
        session.start()
        seed_base = course().model.grading.seed if seed is None else seed
        return grade_program(
            a, specs_cache[visibilities], program, session, key, ref, seed_base, answer_definitions(a, source)
        )
    finally:
        session.remove(key)


def must_not_pass(aid: str, fails) -> set[str]:
    """The checks a variant failing ``fails`` cannot pass: those checks, and every check that
    requires one of them (a property a do-nothing answer has counts only with the main output right)."""
    specs = load_checks(course().checks_dir, aid)
    out = set(fails)
    out |= {s.id for s in specs if s.requires in out}
    return out


def reference_namespace(aid: str) -> dict:
    """Run the source notebook's setup and solution cells here and return its namespace,
    for tests that compare the reference solution with torch."""
    tree = course()
    a = assignment(aid)
    prog = reference_program(a, load_notebook(tree.source_notebook(a)))
    ns: dict = {"__name__": "__main__"}
    for cell in prog.cells:
        exec(compile(cell.source, f"<{cell.kind}:{cell.id}>", "exec"), ns)
    return ns


def answer_source(aid: str, exercise: str) -> str:
    tree = course()
    nb = load_notebook(tree.source_notebook(assignment(aid)))
    return index_cells(nb).by_id[exercise].source
