"""Checks inside a running notebook: the public check cells students run, and nbgrader's hidden test cells.

A notebook's setup cell does ``checks = Checks("03_dropout")``; each test cell then reads::

    checks.run("dropout_forward")                 # public checks: what the student sees
    ### BEGIN HIDDEN TESTS
    checks.run("dropout_forward", hidden=True)    # every check; the cell's value is the score
    ### END HIDDEN TESTS

``run`` never raises and never writes to stderr, so a failing check reports itself without
stopping the notebook, and nbgrader (which zeroes a test cell on any stderr output) reads the
cell's value, the exercise's score, as partial credit. The same check functions run here
as in ``autograder grade``; here the student's code shares the kernel (nbgrader's own trust
model), which is why the instructor-side ``autograder grade``/``batch`` is authoritative.
"""

from __future__ import annotations

import contextlib
import html
import io
import sys
import warnings

# Nothing heavy at import: every notebook's setup cell imports this module, including in the
# grader's worker, where it is never run (grading needs about 0.3 s less per student).


class ExerciseReport:
    """Result of one exercise's checks. Displays as a table; its plain-text form is the score."""

    def __init__(self, exercise: str, results, problem: str = ""):
        self.exercise = exercise
        self.results = list(results)
        self.problem = problem

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def passed(self) -> bool:
        return not self.problem and all(r.status == "passed" for r in self.results)

    def __repr__(self) -> str:  # nbgrader reads text/plain as partial credit
        return f"{self.score:g}"

    def text(self) -> str:
        from .report import STATUS_KO, STATUS_MARK

        lines = [f"[{self.exercise}] {self.score:g}/{self.max_score:g}점"]
        if self.problem:
            lines.append(self.problem)
        for r in self.results:
            lines.append(f"  {STATUS_MARK[r.status]} {r.id} ({STATUS_KO[r.status]}, {r.score:g}/{r.max_score:g})")
            if r.status != "passed":
                lines += ["      " + line for line in r.message.splitlines()]
        if self.passed and self.results:
            lines.append("  모든 공개 검사를 통과했습니다. (비공개 검사는 제출 후 채점됩니다)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .report import STATUS_KO, STATUS_MARK

        color = "#1a7f37" if self.passed else "#cf222e"
        rows = []
        for r in self.results:
            msg = "" if r.status == "passed" else f"<pre style='white-space:pre-wrap;margin:0'>{html.escape(r.message)}</pre>"
            doc = html.escape(r.doc) if r.doc else ""
            rows.append(
                f"<tr><td>{STATUS_MARK[r.status]} {STATUS_KO[r.status]}</td><td><code>{html.escape(r.id)}</code>"
                f"<br><small>{doc}</small></td><td>{r.score:g}/{r.max_score:g}</td><td>{msg}</td></tr>"
            )
        problem = f"<p>{html.escape(self.problem)}</p>" if self.problem else ""
        return (
            f"<div><b style='color:{color}'>{html.escape(self.exercise)}: {self.score:g}/{self.max_score:g}점</b>{problem}"
            "<table><tr><th>결과</th><th>검사</th><th>점수</th><th>메시지</th></tr>" + "".join(rows) + "</table></div>"
        )


class Checks:
    """The checks of one assignment, runnable from inside its notebook."""

    def __init__(self, assignment_id: str, root=None):
        self.assignment_id = assignment_id
        self.root = root
        self._tree = None
        self._ref = None
        self._problem = ""
        self._specs: dict = {}  # visibilities -> loaded checks (check files are read once per kernel)

    def _setup(self):
        if self._tree is not None or self._problem:
            return
        from .course import load_course
        from .errors import CourseError
        from . import expect

        try:
            self._tree = load_course(self.root)
        except CourseError as exc:
            self._problem = (
                "채점 파일(course.yaml)을 찾지 못했습니다. 과제 저장소 안에서 노트북을 여세요 "
                f"(README의 설치 방법 참고). [{exc.problems[0]}]"
            )
            return
        expect.configure({k: (v.rtol, v.atol) for k, v in self._tree.model.grading.tolerances.items()})

    def _reference(self):
        from .extract import reference_program
        from .load import load_notebook
        from .pipeline import public_store_path
        from .reference import PublicStore, ReferenceSession, default_cache_dir

        if self._ref is None:
            tree = self._tree
            a = tree.model.assignment(self.assignment_id)
            if tree.has_solutions and tree.source_notebook(a).exists():
                prog = reference_program(a, load_notebook(tree.source_notebook(a)))
                self._ref = ReferenceSession(prog, cache_dir=default_cache_dir(tree.root))
            else:
                self._ref = ReferenceSession(None, public_store=PublicStore(public_store_path(tree, a.id)))
        return self._ref

    def run(self, exercise: str, hidden: bool = False, namespace: dict | None = None) -> ExerciseReport:
        """Run the checks of ``exercise`` on the calling notebook's code and show the result."""
        namespace = namespace if namespace is not None else sys._getframe(1).f_globals
        stderr = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
            warnings.simplefilter("ignore")
            try:
                return self._run(exercise, hidden, namespace)
            except Exception as exc:  # noqa: BLE001 - a check cell must never stop the notebook
                return ExerciseReport(exercise, [], f"검사를 실행하지 못했습니다: {type(exc).__name__}: {exc}")

    def _run(self, exercise, hidden, namespace):
        from .checks import load_checks
        from .run import InProcessSession
        from .verdict import run_checks

        self._setup()
        if self._problem:
            return ExerciseReport(exercise, [], self._problem)
        tree = self._tree
        a = tree.model.assignment(self.assignment_id)
        if a is None:
            return ExerciseReport(exercise, [], f"course.yaml에 과제 {self.assignment_id!r}가 없습니다.")
        vis = ("public", "hidden") if hidden else ("public",)
        if vis not in self._specs:
            self._specs[vis] = load_checks(tree.checks_dir, a.id, vis)
        specs = [s for s in self._specs[vis] if s.exercise == exercise]
        if not specs:
            return ExerciseReport(exercise, [], f"연습 {exercise!r}의 검사가 없습니다.")
        session = InProcessSession(namespace, a.id)
        ref = self._reference()
        results = run_checks(
            specs, a.id,
            student=lambda probe, kw: session.call(a.id, probe, kw),
            reference=lambda probe, kw: ref.call(probe, kw),
            seed_base=tree.model.grading.seed,
        )
        return ExerciseReport(exercise, results)
