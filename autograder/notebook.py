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

Under nbgrader's Validate (``NBGRADER_VALIDATING`` set) a cell reports differently, so that
Validate's verdict is true: see :func:`_for_validator`.
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import sys
import warnings
from pathlib import Path

# Nothing heavy at import: every notebook's setup cell imports this module, including in the
# grader's worker, where it is never run (grading needs about 0.3 s less per student).


def _mark(status: str) -> str:
    from .report import STATUS_MARK

    return STATUS_MARK[status]


def _status_ko(status: str) -> str:
    from .report import STATUS_KO

    return STATUS_KO[status]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # ANSI escapes and other terminal controls; keeps \t and \n

# How the result looks in a notebook. JupyterLab 4 styles every table of an HTML output
# (packages/rendermime/style/base.css): `table-layout: fixed`, tables centred with
# `margin: auto`, and `text-align: right` on td/th/tr of a non-Markdown output, plus zebra and
# hover backgrounds; Colab and nbconvert's classic template have their own rules. So every
# element carries its own inline style (an inline declaration wins over any of those
# selectors), and Korean text breaks only between words (`word-break: keep-all`: by default a
# browser may break between any two Hangul syllables, and a squeezed table column then shows
# one syllable per line). Only the message block, which spans the whole table, may break a
# very long token anywhere (`overflow-wrap: anywhere`); elsewhere that would shrink the
# columns' minimum width to one character again.
_FONT = "font-family:inherit;font-size:inherit;line-height:1.5"
_BOX = f"text-align:left;{_FONT};word-break:keep-all;overflow-wrap:break-word;color:inherit;max-width:64em"
_TABLE = (
    "border-collapse:collapse;table-layout:auto;width:100%;margin:0.3em 0 0 0;text-align:left;"
    "font-size:inherit;color:inherit;border:none"
)
_ROW = "background:transparent;text-align:left"
_CELL = (
    "text-align:left;vertical-align:top;padding:0.25em 0.6em 0.25em 0;border:none;"
    "border-top:1px solid rgba(128,128,128,0.35);white-space:normal;word-break:keep-all;"
    "overflow-wrap:break-word;max-width:none"
)
_NARROW = _CELL + ";white-space:nowrap;width:1%"
_HEAD = _CELL.replace("border-top:1px solid", "border-top:none;border-bottom:1px solid") + ";font-weight:bold"
_MSG = (
    "white-space:pre-wrap;word-break:keep-all;overflow-wrap:anywhere;margin:0 0 0.2em 0;padding:0.35em 0.6em;"
    "font-family:var(--jp-code-font-family,monospace);font-size:0.92em;line-height:1.45;text-align:left;"
    "background:rgba(128,128,128,0.08);border:none;border-left:3px solid {color};color:inherit"
)
_GREEN, _RED, _AMBER = "#1a7f37", "#cf222e", "#9a6700"


class ExerciseReport:
    """Result of one exercise's checks. Displays as a table; its plain-text form is the score.

    ``scope`` is "public" (what a student's check cell runs) or "all" (public and hidden, what
    nbgrader's autograde runs); ``total`` is the exercise's points in course.yaml, so a header
    can say how much of them the public checks are worth."""

    def __init__(self, exercise: str, results, problem: str = "", *, scope: str = "public", total: float | None = None):
        self.exercise = exercise
        self.results = list(results)
        self.problem = problem
        self.scope = scope
        self.total = total

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def passed(self) -> bool:
        return not self.problem and bool(self.results) and all(r.status == "passed" for r in self.results)

    def __repr__(self) -> str:  # nbgrader reads text/plain as partial credit
        return f"{self.score:g}"

    def headline(self) -> str:
        """e.g. "공개 검사 0/2.5점 (총 7점 중; 비공개 검사는 제출 후 채점)"."""
        s, m, total = self.score, self.max_score, self.total
        if self.scope != "public":
            return f"검사 {s:g}/{m:g}점 (공개·비공개 검사 모두)"
        head = f"공개 검사 {s:g}/{m:g}점"
        if total is not None and total > m + 1e-9:
            return head + f" (총 {total:g}점 중; 비공개 검사는 제출 후 채점)"
        if total is not None:
            return head + f" (총 {total:g}점; 이 연습은 모든 검사가 공개)"
        return head

    def verdict(self) -> str:
        """One line for nbgrader's Validate: what passed, in Korean and English."""
        done = sum(r.status == "passed" for r in self.results)
        n = len(self.results)
        if self.passed:
            return f"모든 검사 통과 (all {n} checks passed)"
        if not self.results:
            return "검사를 실행하지 못했습니다 (the checks could not run)"
        if done == 0:
            return f"통과한 검사가 없습니다 (no check passed, 0 of {n})"
        return f"일부 검사만 통과했습니다 (partial credit: {done} of {n} checks passed)"

    def text(self) -> str:
        lines = [f"[{self.exercise}] {self.headline()}: {self.verdict()}"]
        if self.problem:
            lines.append(_CONTROL.sub("", self.problem))
        for r in self.results:
            lines.append(f"  {_mark(r.status)} {r.id} ({_status_ko(r.status)}, {r.score:g}/{r.max_score:g})")
            if r.status != "passed":
                lines += ["      " + line for line in _CONTROL.sub("", r.message).splitlines()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def e(text: str) -> str:  # every string below that is not a constant of ours comes from a check or a student
            return html.escape(_CONTROL.sub("", text))

        color = _GREEN if self.passed else (_RED if self.score == 0 else _AMBER)
        mark = "✔" if self.passed else "✘"
        out = [
            f"<div class='autograder-result' lang='ko' style='{_BOX}'>",
            f"<div style='{_FONT};text-align:left;margin:0'><b style='color:{color}'>{mark} "
            f"<code style='background:transparent;padding:0;color:inherit'>{e(self.exercise)}</code>: "
            f"{e(self.headline())}</b></div>",
        ]
        if self.passed and self.scope == "public":
            out.append(f"<div style='{_FONT};text-align:left'>모든 공개 검사를 통과했습니다.</div>")
        if self.problem:
            out.append(f"<pre style='{_MSG.format(color=_RED)}'>{e(self.problem)}</pre>")
        if self.results:
            out.append(
                f"<table style='{_TABLE}'><thead><tr style='{_ROW}'>"
                f"<th style='{_HEAD};white-space:nowrap;width:1%'>결과</th>"
                f"<th style='{_HEAD};white-space:nowrap;width:1%'>점수</th><th style='{_HEAD}'>검사</th>"
                "</tr></thead><tbody>"
            )
            for r in self.results:
                c = _GREEN if r.status == "passed" else _RED
                doc = f"<br><span style='opacity:0.8'>{e(r.doc)}</span>" if r.doc else ""
                out.append(
                    f"<tr style='{_ROW}'><td style='{_NARROW};color:{c}'>{_mark(r.status)} {_status_ko(r.status)}</td>"
                    f"<td style='{_NARROW}'>{r.score:g}/{r.max_score:g}</td>"
                    f"<td style='{_CELL}'><code style='background:transparent;padding:0;color:inherit;"
                    "overflow-wrap:anywhere'>"
                    f"{e(r.id)}</code>{doc}</td></tr>"
                )
                if r.status != "passed" and r.message:
                    out.append(
                        f"<tr style='{_ROW}'><td colspan='3' style='{_CELL};border-top:none;padding-top:0'>"
                        f"<pre style='{_MSG.format(color=c)}'>{e(r.message)}</pre></td></tr>"
                    )
            out.append("</tbody></table>")
        out.append("</div>")
        return "".join(out)


class Checks:
    """The checks of one assignment, runnable from inside its notebook.

    Inside a course checkout (a ``course.yaml`` in the working folder or above it) the checks
    are the checkout's; elsewhere (Colab, a notebook on its own) they are the student package's
    (``autograder/_student/``, see :mod:`autograder.student`), and ``version``, written into the
    setup cell by ``autograder release``, must name the same public checks as the package."""

    def __init__(self, assignment_id: str, root=None, version: str | None = None):
        self.assignment_id = assignment_id
        self.root = root
        self.version = version
        self._tree = None
        self._packaged = None  # the student package's manifest, when there is no course.yaml
        self._ref = None
        self._problem = ""
        self._specs: dict = {}  # visibilities -> loaded checks (check files are read once per kernel)

    def _setup(self):
        if self._tree is not None or self._packaged is not None or self._problem:
            return
        from .context import apply_tolerances

        manifest = packaged_manifest() if self.root is None and not _course_yaml_in_reach() else None
        if manifest is not None:  # no course checkout: the student package's checks (course.py not imported:
            self._packaged = manifest  # pydantic and yaml cost ~0.4 s, a third of a Colab setup cell)
            apply_tolerances({k: tuple(v) for k, v in manifest.get("tolerances", {}).items()})
            return
        from .context import load
        from .errors import CourseError

        try:
            self._tree = load(self.root)
        except CourseError as exc:
            self._problem = (
                "채점 파일(course.yaml)도 채점 패키지의 공개 검사도 찾지 못했습니다. 설정 셀(맨 위 코드 셀)을 "
                f"먼저 실행하거나 과제 저장소 안에서 노트북을 여세요 (README 참고). [{exc.problems[0]}]"
            )
            return

    def _packaged_problem(self) -> str:
        """One line when the package cannot check this notebook (unknown assignment, other version)."""
        m = self._packaged
        a = m.get("assignments", {}).get(self.assignment_id)
        spec = m.get("install") or m.get("package")
        fix = f'`%pip install -U "{spec}"`(버전이 바뀐 채점 패키지만 다시 설치) 후 커널(런타임)을 다시 시작하세요'
        if a is None:
            return (
                f"설치된 채점 패키지({m.get('package')} {m.get('version')})에 과제 {self.assignment_id!r}의 "
                f"검사가 없습니다: {fix}."
            )
        if self.version and a.get("version") != self.version:
            return (
                f"설치된 채점 패키지({m.get('package')} {m.get('version')})의 공개 검사 버전({a.get('version')})이 "
                f"이 노트북({self.version})과 다릅니다: {fix}."
            )
        return ""

    def _reference(self):
        from .reference import PublicStore, ReferenceSession

        if self._ref is None:
            if self._packaged is not None:
                store = PublicStore(Path(DATA_DIR) / self.assignment_id / "public_reference.json")
                self._ref = ReferenceSession(None, public_store=store)
                return self._ref
            from .extract import reference_program
            from .load import load_notebook
            from .pipeline import public_store_path
            from .reference import default_cache_dir

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
        scope = "all" if hidden else "public"
        with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
            warnings.simplefilter("ignore")
            try:
                report = self._run(exercise, hidden, namespace)
            except Exception as exc:  # noqa: BLE001 - a check cell must never stop the notebook
                report = ExerciseReport(
                    exercise, [], f"검사를 실행하지 못했습니다: {type(exc).__name__}: {exc}", scope=scope
                )
        if os.environ.get("NBGRADER_VALIDATING"):
            return _for_validator(report)
        return report

    def _run(self, exercise, hidden, namespace):
        from .checks import load_checks
        from .run import InProcessSession
        from .verdict import run_checks

        scope = "all" if hidden else "public"
        self._setup()
        if self._problem:
            return ExerciseReport(exercise, [], self._problem, scope=scope)
        if self._packaged is not None:
            problem = self._packaged_problem()
            if problem:
                return ExerciseReport(exercise, [], problem, scope=scope)
            points = self._packaged["assignments"][self.assignment_id].get("exercises", {})
            total = points.get(exercise)
            checks_dir, aid, seed = Path(DATA_DIR), self.assignment_id, int(self._packaged.get("seed", 0))
            vis = ("public",)  # the package has no hidden checks
        else:
            tree = self._tree
            a = tree.model.assignment(self.assignment_id)
            if a is None:
                return ExerciseReport(
                    exercise, [], f"course.yaml에 과제 {self.assignment_id!r}가 없습니다.", scope=scope
                )
            ex = a.exercise(exercise)
            total = ex.points if ex is not None else None
            checks_dir, aid, seed = tree.checks_dir, a.id, tree.model.grading.seed
            vis = ("public", "hidden") if hidden else ("public",)
        if vis not in self._specs:
            self._specs[vis] = load_checks(checks_dir, aid, vis)
        specs = [s for s in self._specs[vis] if s.exercise == exercise]
        if not specs:
            return ExerciseReport(exercise, [], f"연습 {exercise!r}의 검사가 없습니다.", scope=scope, total=total)
        session = InProcessSession(namespace, aid)
        ref = self._reference()
        results = run_checks(
            specs,
            aid,
            student=lambda probe, kw: session.call(aid, probe, kw),
            reference=ref.call,
            seed_base=seed,
        )
        return ExerciseReport(exercise, results, scope=scope, total=total)


# The student package's data (autograder/_student/, written by autograder.student when the
# package is built; absent in a course checkout).
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_student")
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # a checkout's root


def _course_yaml_in_reach() -> bool:
    """Whether :func:`autograder.course.find_root` would find a course.yaml (same order, no imports)."""
    if os.environ.get("AUTOGRADER_COURSE_ROOT"):
        return True
    here = os.path.abspath(os.getcwd())
    while True:
        if os.path.exists(os.path.join(here, "course.yaml")):
            return True
        up = os.path.dirname(here)
        if up == here:
            break
        here = up
    return os.path.exists(os.path.join(_PACKAGE_PARENT, "course.yaml"))


def packaged_manifest() -> dict | None:
    import json

    try:
        with open(os.path.join(DATA_DIR, "manifest.json"), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("assignments"), dict) else None


def _for_validator(report: ExerciseReport):
    """What a check cell shows to nbgrader's Validate (the toolbar button, ``nbgrader validate``),
    which runs the notebook with ``NBGRADER_VALIDATING=1`` and judges each test cell by
    ``nbgrader.utils.determine_grade``: an error or stderr output scores 0, a numeric value is
    partial credit, anything else full credit; and for *any* score below the cell's points it
    says "Partial credit; passed some but not all of the tests", 0 included. In a released
    notebook the cell's points are the exercise's (public and hidden) while the cell runs the
    public checks only, so no numeric value can be right there. So here, and only here:
    every check passed -> no value (nbgrader: passed); otherwise a one-paragraph verdict on
    stderr, which Validate shows instead of its own sentence (and scores 0, as it would not
    pass). Autograde never sets NBGRADER_VALIDATING: its cells keep the score as their value."""
    if report.passed:
        return
    lines = [f"{report.exercise}: {report.headline()}: {report.verdict()}"]
    if report.problem:
        lines.append("  " + _CONTROL.sub("", report.problem).strip().split("\n")[0][:200])
    for r in report.results:
        if r.status != "passed":
            first = (_CONTROL.sub("", r.message).strip().split("\n") or [""])[0][:200]
            lines.append(f"  {_mark(r.status)} {r.id} ({_status_ko(r.status)}, {r.score:g}/{r.max_score:g}): {first}")
    print("\n".join(lines), file=sys.stderr)
    return
