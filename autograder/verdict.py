"""Stage 4: run the checks in the grader's (trusted) process and decide each one.

Checks call probes on the student's and the reference's code through the sessions and
compare the plain data that comes back. Each check ends in exactly one status:
``passed`` (full points), ``failed`` (a property does not hold), ``error`` (the student's
code raised, or an answer cell is missing) or ``timeout``; the last three score 0.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import asdict, dataclass, field

from .checks import CheckSpec, check_seed
from .expect import CheckFailed
from .reference import ReferenceError
from .run import StudentError, StudentTimeout

STATUSES = ("passed", "failed", "error", "timeout")


@dataclass
class CheckResult:
    id: str
    exercise: str
    score: float
    max_score: float
    status: str
    message: str = ""
    visibility: str = "public"
    doc: str = ""

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("doc")
        return d


@dataclass
class AssignmentResult:
    id: str
    checks: list[CheckResult] = field(default_factory=list)
    problem: str = ""  # the whole notebook could not be graded (unreadable, missing)
    manual: list[dict] = field(default_factory=list)
    max_score_override: float | None = None

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        if self.max_score_override is not None:
            return self.max_score_override
        return sum(c.max_score for c in self.checks)

    def exercise_scores(self) -> dict[str, tuple[float, float]]:
        out: dict[str, list[float]] = {}
        for c in self.checks:
            s = out.setdefault(c.exercise, [0.0, 0.0])
            s[0] += c.score
            s[1] += c.max_score
        return {k: (v[0], v[1]) for k, v in out.items()}

    def to_json(self) -> dict:
        d = {
            "id": self.id,
            "score": round(self.score, 6),
            "max_score": round(self.max_score, 6),
            "checks": [c.to_json() for c in self.checks],
        }
        if self.problem:
            d["problem"] = self.problem
        if self.manual:
            d["manual"] = self.manual
        return d


def answer_definitions(assignment, source_nb) -> dict[str, str]:
    """Name -> the exercise whose answer cell defines it (top-level ``def`` and ``class``), read from the
    trusted source or release notebook (never from the student's), so that a message about a missing
    name points at the cell where it belongs."""
    import ast

    from .extract import index_cells, to_python

    idx = index_cells(source_nb)
    home: dict[str, str] = {}
    for ex in assignment.auto_exercises:
        cell = idx.by_id.get(ex.id)
        if cell is None or cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(to_python(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                home.setdefault(node.name, ex.id)
    return home


def describe_student_error(info: dict, exercise: str, home: dict | None = None) -> str:
    """The student's error as a message. ``home`` maps names to the exercise whose answer cell defines them."""
    typ = info.get("type") or "Error"
    msg = (info.get("message") or "").strip()
    if info.get("missing"):
        name = str(info["missing"])
        where = (home or {}).get(name, exercise)
        if where != exercise:
            return (
                f"`{name}`이(가) 정의되어 있지 않습니다. 이 검사는 연습 '{where}'의 `{name}`을(를) 씁니다: "
                f"답안 셀 '{where}'에서 정의했는지, 그 셀을 실행할 때 오류가 없었는지 확인하세요."
            )
        return (
            f"`{name}`이(가) 정의되어 있지 않습니다. 답안 셀 '{exercise}'에서 정의했는지, "
            "셀을 실행할 때 오류가 없었는지 확인하세요."
        )
    line = info.get("line")
    raised_in = line.get("cell") if isinstance(line, dict) else None
    if typ == "NotImplementedError" and raised_in and raised_in != exercise and raised_in in (home or {}).values():
        # another exercise's stub: that exercise is not done yet; its stub line is not the student's bug
        return (
            f"'{exercise}': 이 검사가 쓰는 연습 '{raised_in}'을(를) 아직 구현하지 않았습니다 (NotImplementedError). "
            f"답안 셀 '{raised_in}'부터 구현하세요."
        )
    if typ == "NotImplementedError":
        head = (
            f"'{exercise}': 아직 구현하지 않았습니다 (NotImplementedError). "
            "`raise NotImplementedError()`를 지우고 구현하세요."
        )
    elif typ == "Timeout":
        return f"'{exercise}': {msg}"
    else:
        head = f"'{exercise}' 실행 중 {typ} 발생: {msg}"
    if isinstance(line, dict) and line.get("cell"):
        head += f"\n위치: 셀 '{line['cell']}' {line.get('lineno')}번째 줄: `{line.get('text', '')}`"
    tb = (info.get("traceback") or "").strip()
    if tb and typ != "NotImplementedError":
        head += "\n" + tb
    return head


# only reprs of number literals: ``np.float64(x)`` in the student's code shown in a traceback stays as written
_NUMPY_SCALAR_REPR = re.compile(r"\bnp\.(?:u?int\d*|float\d*|longdouble)\((-?(?:\d[\d.]*(?:e[+-]?\d+)?|nan|inf))\)")
_NUMPY_BOOL_REPR = re.compile(r"\bnp\.(True|False)_")


def plain_numbers(message: str) -> str:
    """``np.int64(300)`` -> ``300``, ``np.float64(0.5)`` -> ``0.5``, ``np.True_`` -> ``True``: numbers read as
    plain Python in every message, whatever a check formatted (numpy >= 2 reprs scalars with their type).
    One regex pass, linear in the message's length."""
    if "np." not in message:
        return message
    return _NUMPY_BOOL_REPR.sub(r"\1", _NUMPY_SCALAR_REPR.sub(r"\1", message))


def prerequisite_message(required: str) -> str:
    return (
        f"먼저 검사 '{required}'를 통과해야 합니다: 이 성질(입력을 바꾸지 않음 등)은 아무것도 하지 않는 답도 "
        "가지므로, 연습의 주 출력이 맞을 때만 점수가 됩니다. 그 검사의 메시지부터 해결하세요."
    )


def hide_probe_frames(message: str) -> str:
    """Drop the traceback frames of a hidden check's probe (its source lines would show the
    hidden inputs); the student's own frames and the exception stay."""
    out, skipping = [], False
    for line in message.splitlines():
        stripped = line.strip()
        if stripped.startswith('File "<probe:'):
            skipping = True
            out.append(line[: len(line) - len(line.lstrip())] + 'File "<비공개 검사>"')
            continue
        if skipping:
            if stripped.startswith('File "') or (line and not line[0].isspace()):
                skipping = False
            else:
                continue
        out.append(line)
    return "\n".join(out)


def run_checks(
    specs: list[CheckSpec],
    assignment_id: str,
    *,
    student,
    reference,
    seed_base: int = 0,
    problems: dict[str, str] | None = None,
    cell_error=None,
    exercises=None,
    home: dict[str, str] | None = None,
) -> list[CheckResult]:
    """Run ``specs`` and return one result per check.

    ``student(probe, kwargs)`` and ``reference(probe, kwargs)`` call a probe on either side;
    ``problems`` maps an exercise to a reason it cannot be graded (missing answer cell);
    ``cell_error(exercise)`` gives the error its answer cell raised when it ran, if any;
    ``home`` maps names to the exercise whose answer cell defines them (:func:`answer_definitions`).
    """
    problems = problems or {}
    results = []
    timed_out: dict[str, str] = {}  # a correct answer never hangs: one timeout ends the exercise
    for spec in specs:
        if exercises is not None and spec.exercise not in exercises:
            continue
        base = dict(
            id=spec.id,
            exercise=spec.exercise,
            max_score=spec.points,
            visibility=spec.visibility,
            doc=spec.doc.splitlines()[0] if spec.doc else "",
        )
        if spec.exercise in problems:
            results.append(CheckResult(score=0.0, status="error", message=problems[spec.exercise], **base))
            continue
        if spec.exercise in timed_out:
            results.append(
                CheckResult(
                    score=0.0,
                    status="timeout",
                    message=(
                        f"검사 '{timed_out[spec.exercise]}'에서 시간 제한을 넘어, "
                        "이 연습의 나머지 검사는 실행하지 않았습니다."
                    ),
                    **base,
                )
            )
            continue
        if spec.requires and next((r.status for r in results if r.id == spec.requires), None) != "passed":
            # doing nothing earns nothing: a property a do-nothing answer has counts only with the main output right
            results.append(CheckResult(score=0.0, status="failed", message=prerequisite_message(spec.requires), **base))
            continue
        fixtures = {
            "student": lambda probe, **kw: student(probe, kw),
            "reference": lambda probe, **kw: reference(probe, kw),
            "seed": check_seed(seed_base, assignment_id, spec.id),
        }
        try:
            spec.fn(**{name: fixtures[name] for name in spec.fixtures})
        except CheckFailed as exc:
            results.append(CheckResult(score=0.0, status="failed", message=str(exc), **base))
        except StudentTimeout as exc:
            timed_out[spec.exercise] = spec.id
            results.append(
                CheckResult(
                    score=0.0, status="timeout", message=describe_student_error(exc.info, spec.exercise, home), **base
                )
            )
        except StudentError as exc:
            msg = describe_student_error(exc.info, spec.exercise, home)
            if spec.visibility != "public":  # a hidden probe's source lines would show its inputs
                msg = hide_probe_frames(msg)
            where = (home or {}).get(str(exc.info.get("missing")), spec.exercise)  # the cell that should define it
            cerr = cell_error(where) if cell_error else None
            if cerr and exc.info.get("missing"):
                msg += f"\n답안 셀 '{where}'을(를) 실행할 때 난 오류: " + describe_student_error(cerr, where, home)
            status = "timeout" if cerr and cerr.get("timeout") else "error"
            results.append(CheckResult(score=0.0, status=status, message=msg, **base))
        except ReferenceError as exc:
            results.append(CheckResult(score=0.0, status="error", message=f"채점기 문제(기준 해답): {exc}", **base))
        except Exception as exc:  # noqa: BLE001 - a check choking on odd student output is a failure, not a crash
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            results.append(
                CheckResult(
                    score=0.0,
                    status="error",
                    message=(
                        f"출력을 검사하는 중 처리할 수 없는 값이 나왔습니다 ({tb}). "
                        "반환 형식(튜플 순서, dict 키, 타입)을 확인하세요."
                    ),
                    **base,
                )
            )
        else:
            results.append(CheckResult(score=spec.points, status="passed", **base))
    for r in results:
        r.message = plain_numbers(r.message)
    return results
