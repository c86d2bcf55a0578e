"""The grading pipeline: load -> extract -> run -> verdict, for one student's submission.

Used by the CLI (``grade``, ``check``), batch grading and the tests. Reporting is separate
(:mod:`autograder.report`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .checks import load_checks
from .course import Assignment, CourseTree
from .errors import InputError, clean_name, clean_text
from .extract import reference_program, setup_imports, student_program
from .load import LINK, Missing, load_notebook, probe_submission_file
from .reference import PublicStore, ReferenceSession, default_cache_dir
from .run import Limits, ProcessSession
from .verdict import AssignmentResult, CheckResult, answer_definitions, run_checks


@dataclass
class Entry:
    """One notebook of a submission, matched to its assignment (or why it could not be).

    ``root`` is the submission folder ``path`` lies in: the notebook is read through
    :func:`autograder.load.read_submission_file`, which refuses links, FIFOs, devices and
    anything outside ``root``."""

    assignment: Assignment
    path: Path | None
    problem: str = ""
    root: Path | None = None


def public_store_path(tree: CourseTree, assignment_id: str) -> Path:
    return tree.checks_dir / assignment_id / "public_reference.json"


def _real_dir(path: Path) -> bool:
    """A folder that is not a link (a linked folder is reported by the probe, never listed)."""
    import stat

    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _linked_component(p: Path) -> Path | None:
    """The first link on the way to a path a person named, or None. A relative path is checked
    from the working directory down (``assignments/03_dropout/03_dropout.ipynb`` in a checkout:
    every part is the student's); an absolute one only in its last part, and for a notebook in
    the folder holding it (the folders above are the grader's: a batch's submissions folder)."""
    if p.is_absolute():
        candidates = [p] if p.suffix != ".ipynb" else [p.parent, p]
    else:
        candidates = [Path(*p.parts[: i + 1]) for i in range(len(p.parts)) if p.parts[i] not in (".", "..")]
    return next((c for c in candidates if os.path.islink(c)), None)


def find_entries(tree: CourseTree, paths) -> list[Entry]:
    """Match notebooks (or folders holding them) to assignments. Raises InputError if nothing matches.

    Nothing is followed: a named folder or file that is a link, and a link, FIFO or device where
    a notebook belongs, is that notebook's problem (0 points, one line naming the path)."""
    course = tree.model
    ids = [a.id for a in course.assignments]
    entries: dict[str, Entry] = {}
    for raw in paths:
        p = Path(raw)
        if not os.path.lexists(p):
            raise InputError(p, "파일이나 폴더가 없습니다 (no such file or folder)")
        linked = _linked_component(p)
        if linked is not None:  # what the student committed (assignments/, their folder, the notebook)
            link = InputError(linked, LINK)
            targets = (
                course.assignments
                if p.suffix != ".ipynb"
                else [a for a in (course.assignment(p.stem) or course.assignment(p.parent.name),) if a is not None]
            )
            if not targets:
                raise link
            for a in targets:
                entries[a.id] = Entry(a, None, str(link))
            continue
        if p.is_dir():
            found = False
            for a in course.assignments:
                for cand in (
                    p / a.id / f"{a.id}.ipynb",
                    p / f"{a.id}.ipynb",
                    p / "assignments" / a.id / f"{a.id}.ipynb",
                ):
                    try:
                        probe_submission_file(p, cand)
                    except Missing:
                        continue
                    except InputError as exc:
                        entries[a.id] = Entry(a, None, str(exc))
                    else:
                        entries[a.id] = Entry(a, cand, root=p)
                    found = True
                    break
                else:
                    folder = p / a.id if _real_dir(p / a.id) else (p / "assignments" / a.id)
                    others = (
                        sorted(clean_name(x.name) for x in folder.glob("*.ipynb"))
                        if _real_dir(folder) and (folder.parent == p or _real_dir(folder.parent))
                        else []
                    )
                    if others:
                        entries[a.id] = Entry(
                            a,
                            None,
                            f"{clean_name(folder)}/{a.id}.ipynb가 없습니다 (다른 이름의 노트북 "
                            f"{', '.join(others)}이(가) 있습니다: 이름을 {a.id}.ipynb로 되돌리세요)",
                        )
                        found = True
            if not found:
                raise InputError(
                    p, f"채점할 노트북이 없습니다 (no notebook named <id>/<id>.ipynb for any of {', '.join(ids)})"
                )
            for a in course.assignments:
                entries.setdefault(a.id, Entry(a, None, "제출하지 않았습니다 (notebook not submitted)"))
        else:
            if p.suffix != ".ipynb":
                raise InputError(p, "노트북(.ipynb) 파일이 아닙니다 (not a notebook)")
            a = course.assignment(p.stem) or course.assignment(p.parent.name)
            if a is None:
                raise InputError(
                    p,
                    "어느 과제의 노트북인지 알 수 없습니다: 파일 이름이 과제 id여야 합니다 "
                    f"({', '.join(i + '.ipynb' for i in ids)})",
                )
            if p.stem != a.id:
                entries[a.id] = Entry(
                    a, None, f"노트북 이름이 바뀌었습니다: {clean_name(p.name)} → {a.id}.ipynb로 되돌리세요"
                )
                continue
            try:
                probe_submission_file(p.parent, p)
            except (InputError, Missing) as exc:
                entries[a.id] = Entry(
                    a,
                    None,
                    str(exc) if isinstance(exc, InputError) else str(InputError(p, "파일이 없습니다 (file not found)")),
                )
            else:
                entries[a.id] = Entry(a, p, root=p.parent)
    return [entries[i] for i in ids if i in entries]


_TRUSTED: dict = {}


def trusted_notebook(path: Path):
    """A source (or released) notebook, parsed once per process while its bytes are unchanged."""
    import hashlib

    path = Path(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = None
    hit = _TRUSTED.get(path)
    if digest is not None and hit is not None and hit[0] == digest:
        return hit[1]
    nb = load_notebook(path)
    if digest is not None:
        _TRUSTED[path] = (digest, nb)
    return nb


_DERIVED: dict = {}


def _derived(nb, what: str, compute):
    """``compute()``: something read from a trusted notebook ``nb`` (as :func:`trusted_notebook`
    returns it), computed once per process and notebook instead of once per student."""
    entry = _DERIVED.get(id(nb))
    if entry is None or entry[0] is not nb:  # holding nb keeps its id from being reused
        if len(_DERIVED) >= 64:
            _DERIVED.clear()
        entry = _DERIVED[id(nb)] = (nb, {})
    if what not in entry[1]:
        entry[1][what] = compute()
    return entry[1][what]


def course_imports(tree: CourseTree) -> list[str]:
    """Modules the trusted setup cells of every assignment import (what a template preloads)."""
    names: set[str] = set()
    for a in tree.model.assignments:
        path = tree.source_notebook(a) if tree.has_solutions else tree.release_notebook(a)
        try:
            names |= setup_imports(trusted_notebook(path))
        except InputError:
            continue
    return sorted(names)


def _all_failed(specs, a: Assignment, message: str) -> AssignmentResult:
    checks = [CheckResult(s.id, s.exercise, 0.0, s.points, "error", message, s.visibility) for s in specs]
    return AssignmentResult(a.id, checks, problem=message, max_score_override=sum(s.points for s in specs))


def grade_program(a: Assignment, specs, program, session, key: str, ref, seed_base: int, home=None) -> AssignmentResult:
    """Run ``specs`` on one program already added to ``session`` under ``key`` (verdict stage);
    ``home``: name -> exercise whose answer cell defines it (from the trusted notebook), for messages."""
    answer_of = {c.id for c in program.cells if c.kind == "answer"}
    checks = run_checks(
        specs,
        a.id,
        student=lambda probe, kw: session.call(key, probe, kw),
        reference=ref.call,
        seed_base=seed_base,
        problems=program.problems,
        cell_error=lambda ex: session.cell_error(key, ex) if ex in answer_of else None,
        home=home,
    )
    res = AssignmentResult(a.id, checks)
    res.manual = [{"id": x.id, "points": x.points} for x in a.exercises if x.manual]
    return res


def grade_entries(
    tree: CourseTree,
    entries: list[Entry],
    *,
    visibilities=("public", "hidden"),
    limits: Limits | None = None,
    cache_dir: Path | None = None,
    sandbox: bool = True,
    progress=None,
    seed: int | None = None,
    info: dict | None = None,
    template=None,
) -> list[AssignmentResult]:
    """Grade one student's notebooks. The student's code runs in one sandboxed worker
    (heavy imports happen once per submission, or never with a ``template`` that forks
    workers with them done); every verdict is computed here."""
    course = tree.model
    limits = limits or Limits.from_course(course.grading)
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir(tree.root)
    solutions = tree.has_solutions
    # the worker verifies it cannot see these (the private view hides everything not needed)
    session = ProcessSession(
        limits, sandbox=sandbox, protect=(tree.source_dir, tree.checks_dir, cache_dir), template=template
    )
    prepared = []
    results: dict[str, AssignmentResult] = {}
    try:
        sources = {
            e.assignment.id: trusted_notebook(
                tree.source_notebook(e.assignment) if solutions else tree.release_notebook(e.assignment)
            )
            for e in entries
            if not e.problem
        }
        if sources:  # the worker enters its sandbox and imports the setup cells' libraries (torch: ~1 s)
            imports = (_derived(nb, "imports", lambda nb=nb: frozenset(setup_imports(nb))) for nb in sources.values())
            session.spawn(preload=sorted(set().union(*imports)))
        for e in entries:  # ... while the grader reads the submissions and the check files
            a = e.assignment
            specs = load_checks(tree.checks_dir, a.id, visibilities)
            if e.problem:
                results[a.id] = _all_failed(specs, a, e.problem)
                continue
            source_nb = sources[a.id]
            try:
                nb = load_notebook(e.path, root=e.root if e.root is not None else Path(e.path).parent)
            except InputError as exc:
                results[a.id] = _all_failed(specs, a, str(exc))
                continue
            program = student_program(a, source_nb, nb)
            session.add(program, a.id)
            ref_prog = (
                _derived(source_nb, f"reference/{a.id}", lambda a=a, nb=source_nb: reference_program(a, nb))
                if solutions
                else None
            )
            store = PublicStore(public_store_path(tree, a.id)) if not solutions else None
            prepared.append(
                (
                    a,
                    specs,
                    program,
                    ReferenceSession(ref_prog, cache_dir=cache_dir, public_store=store),
                    dict(_derived(source_nb, f"home/{a.id}", lambda a=a, nb=source_nb: answer_definitions(a, nb))),
                )
            )
        if prepared:
            session.start()  # the worker starts importing and running cells while checks load
        for a, specs, program, ref, home in prepared:
            results[a.id] = grade_program(
                a, specs, program, session, a.id, ref, course.grading.seed if seed is None else seed, home
            )
            session.done(a.id)  # its unused share of the time limit goes to the notebooks still to grade
            ref.close()
            if progress:
                progress(a.id)
    finally:
        session.close()
        if info is not None:
            info["sandbox"] = session.sandbox_info
            info["workers"] = dict(session.starts)
        for _, _, _, ref, _ in prepared:
            ref.close()
    return clean_results([results[e.assignment.id] for e in entries if e.assignment.id in results])


def clean_results(results: list[AssignmentResult]) -> list[AssignmentResult]:
    """The edge where student text enters results: every message and problem becomes printable,
    valid UTF-8 and bounded (:func:`autograder.errors.clean_text`); renderers escape the rest."""
    for r in results:
        r.problem = clean_text(r.problem) if r.problem else r.problem
        for c in r.checks:
            c.message = clean_text(c.message)
    return results


def grade_paths(tree: CourseTree, paths, **kw) -> list[AssignmentResult]:
    return grade_entries(tree, find_entries(tree, paths), **kw)
