"""course.yaml, the course's single source of truth, validated when loaded.

Every problem is reported as one line naming the key path (``assignments[2].exercises[0].points``)
and what is wrong. :func:`validate_course` adds the cross-checks that need the files: the
notebooks exist, their nbgrader metadata agrees with the points here, and the check files'
points add up to each exercise's points.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import CourseError

ID_RE = r"^[0-9]{2}_[a-z][a-z0-9_]*$"
NAME_RE = r"^[a-z_][a-z0-9_]*$"


def _refuse_duplicates(ids: list[str], what: str) -> None:
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"duplicated {what} id {dup[0]!r}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Exercise(_Strict):
    id: str = Field(pattern=NAME_RE)
    points: float = Field(gt=0)
    manual: bool = False
    title: str = ""


class Assignment(_Strict):
    id: str = Field(pattern=ID_RE)
    title: str = Field(min_length=1)
    notebook: str
    due: dt.datetime
    exercises: list[Exercise] = Field(min_length=1)

    @field_validator("due")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("due date needs a time zone, e.g. 2026-12-04T23:59:00+09:00")
        return v

    @field_validator("exercises")
    @classmethod
    def _unique_exercises(cls, v: list[Exercise]) -> list[Exercise]:
        _refuse_duplicates([e.id for e in v], "exercise")
        return v

    @model_validator(mode="after")
    def _notebook_path(self):
        expected = f"{self.id}/{self.id}.ipynb"
        if self.notebook != expected:
            raise ValueError(f"notebook must be '{expected}' (nbgrader layout <id>/<id>.ipynb), got '{self.notebook}'")
        return self

    @property
    def auto_exercises(self) -> list[Exercise]:
        return [e for e in self.exercises if not e.manual]

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.auto_exercises)

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)


class Tolerance(_Strict):
    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)


class Grading(_Strict):
    time_limit_s: float = Field(
        gt=0,
        description="time the student's code may take for a whole submission, "
        "split evenly between its notebooks (what one leaves goes to the next)",
    )
    setup_timeout_s: float = Field(gt=0, description="running one notebook's cells")
    cell_timeout_s: float = Field(
        10.0, gt=0, description="running one answer cell's top level (it only defines functions)"
    )
    call_timeout_s: float = Field(gt=0, description="one probe call into the student's code")
    memory_limit_mb: int = Field(gt=256)
    batch_student_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="autograder batch: wall clock for grading one student, after which the "
        "grader process is killed and the student recorded as timeout (default 2 x time_limit_s + 60)",
    )
    seed: int = 0
    tolerances: dict[Literal["float64", "float32", "float16"], Tolerance]


class CourseInfo(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2}$")


class LatePolicy(_Strict):
    """What a commit after the due date counts for (``autograder batch`` on git clones; see deadlines.py)."""

    policy: Literal["cutoff", "penalty"] = Field(
        "cutoff",
        description="cutoff: grade the last commit at or before the due date; penalty: grade the last "
        "commit, minus penalty_per_day of the assignment's points per started day late, at most max_penalty",
    )
    penalty_per_day: float = Field(0.1, ge=0, le=1)
    max_penalty: float = Field(0.5, ge=0, le=1)
    extensions: str | None = Field(
        None, description="YAML file (relative to course.yaml): {student: {assignment id or '*': extra days}}"
    )


class StudentPackage(_Strict):
    """Where a notebook installs the student package from when it is missing (Colab, a lone
    notebook): see :mod:`autograder.student`."""

    repository: str = Field(
        pattern=r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="public GitHub repository students open (the Classroom template)",
    )
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9_./-]+$")
    package: str = Field(default="", description="pip requirement or wheel URL; default: git+<repository>@<branch>")

    @field_validator("package")
    @classmethod
    def _one_token(cls, v: str) -> str:
        if any(ch in v for ch in "\"'\n\\{}$`"):
            raise ValueError("must be one pip requirement or URL without quotes, braces, $ or backslashes")
        return v


class Course(_Strict):
    course: CourseInfo
    grading: Grading
    late: LatePolicy = Field(default_factory=LatePolicy)
    student: StudentPackage | None = None
    assignments: list[Assignment] = Field(min_length=1)

    @field_validator("assignments")
    @classmethod
    def _unique(cls, v: list[Assignment]) -> list[Assignment]:
        _refuse_duplicates([a.id for a in v], "assignment")
        return v

    def assignment(self, assignment_id: str) -> Assignment | None:
        return next((a for a in self.assignments if a.id == assignment_id), None)


class CourseTree:
    """A loaded course: the model plus where its files are."""

    def __init__(self, root: Path, model: Course):
        self.root = Path(root)
        self.model = model

    source_dir = property(lambda self: self.root / "solutions")
    release_dir = property(lambda self: self.root / "assignments")
    checks_dir = property(lambda self: self.root / "checks")
    path = property(lambda self: self.root / "course.yaml")

    def source_notebook(self, a: Assignment) -> Path:
        return self.source_dir / a.notebook

    def release_notebook(self, a: Assignment) -> Path:
        return self.release_dir / a.notebook

    @property
    def has_solutions(self) -> bool:
        return self.source_dir.is_dir() and any(self.source_notebook(a).exists() for a in self.model.assignments)


def _loc(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _pretty(err: dict) -> str:
    loc = _loc(err["loc"])
    typ = err["type"]
    if typ == "extra_forbidden":
        return f"{loc}: unknown key"
    if typ == "missing":
        return f"{loc}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}"


def find_root(start: Path | None = None) -> Path:
    """The course root: $AUTOGRADER_COURSE_ROOT, else the nearest folder with course.yaml above ``start``."""
    env = os.environ.get("AUTOGRADER_COURSE_ROOT")
    if env:
        return Path(env)
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "course.yaml").exists():
            return d
    pkg_root = Path(__file__).resolve().parent.parent
    if (pkg_root / "course.yaml").exists():
        return pkg_root
    raise CourseError(here / "course.yaml", ["course.yaml not found in this folder or any parent"])


def load_course(root: Path | None = None) -> CourseTree:
    root = find_root(root) if root is None or not (Path(root) / "course.yaml").exists() else Path(root)
    path = root / "course.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(path, ["file not found"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CourseError(path, [f"{where}not valid YAML ({problem})"]) from None
    if not isinstance(data, dict):
        raise CourseError(path, ["(top level): must be a mapping with keys course, grading, assignments"])
    try:
        model = Course.model_validate(data)
    except ValidationError as exc:
        raise CourseError(path, [_pretty(e) for e in exc.errors()]) from None
    return CourseTree(root, model)


# ----------------------------------------------------------------------------------------
# cross-checks with the files
# ----------------------------------------------------------------------------------------
def notebook_problems(tree: CourseTree, a: Assignment, idx: int, which: str = "source") -> list[str]:
    """Problems with one assignment's notebook metadata, as one line each."""
    from .errors import InputError
    from .extract import index_cells
    from .load import load_notebook

    path = tree.source_notebook(a) if which == "source" else tree.release_notebook(a)
    rel = os.path.relpath(path, tree.root)
    if not path.exists():
        return [f"assignments[{idx}].notebook: {rel} does not exist"]
    try:
        nb = load_notebook(path)
    except InputError as exc:
        return [f"assignments[{idx}].notebook: {exc.problem} ({rel})"]
    problems = []
    cells = index_cells(nb)
    for dup in cells.duplicates:
        problems.append(f"{rel}: grade_id {dup!r} is used by more than one cell")
    for j, ex in enumerate(a.exercises):
        key = f"assignments[{idx}].exercises[{j}]"
        if ex.manual:
            cell = cells.by_id.get(ex.id)
            if cell is None:
                problems.append(f"{key}: {rel} has no manually graded cell with grade_id {ex.id!r}")
                continue
            pts = cell.metadata.get("nbgrader", {}).get("points")
        else:
            if ex.id not in cells.by_id:
                problems.append(f"{key}: {rel} has no answer cell with grade_id {ex.id!r}")
            test = cells.by_id.get(f"test_{ex.id}")
            if test is None:
                problems.append(f"{key}: {rel} has no test cell with grade_id 'test_{ex.id}'")
                continue
            pts = test.metadata.get("nbgrader", {}).get("points")
        if pts is None or abs(float(pts) - ex.points) > 1e-9:
            problems.append(f"{key}.points: {ex.points:g} here but {pts} in the nbgrader metadata of {rel}")
    listed = {e.id for e in a.exercises} | {f"test_{e.id}" for e in a.exercises}
    for gid, cell in cells.by_id.items():
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and gid not in listed:
            problems.append(f"{rel}: graded cell {gid!r} is not an exercise of assignments[{idx}] in course.yaml")
    return problems


def check_problems(tree: CourseTree, a: Assignment, idx: int) -> list[str]:
    """Check files agree with course.yaml: known exercises, points adding up."""
    from .checks import load_checks

    try:
        specs = load_checks(tree.checks_dir, a.id)
    except Exception as exc:  # noqa: BLE001 - report any import error of a check file as one line
        return [f"checks/{a.id}: cannot load check files ({type(exc).__name__}: {exc})"]
    problems = []
    totals: dict[str, float] = {}
    for s in specs:
        ex = a.exercise(s.exercise)
        if ex is None or ex.manual:
            problems.append(f"checks/{a.id}/{s.visibility}.py: check {s.id!r} names unknown exercise {s.exercise!r}")
            continue
        totals[s.exercise] = totals.get(s.exercise, 0.0) + s.points
    for j, ex in enumerate(a.exercises):
        if ex.manual:
            continue
        got = totals.get(ex.id, 0.0)
        if abs(got - ex.points) > 1e-9:
            problems.append(
                f"assignments[{idx}].exercises[{j}].points: {ex.points:g} here "
                f"but the checks of {ex.id!r} add up to {got:g}"
            )
    return problems


def validate_course(tree: CourseTree, *, release: bool = True) -> list[str]:
    problems = []
    for i, a in enumerate(tree.model.assignments):
        if tree.has_solutions:
            problems += notebook_problems(tree, a, i, "source")
        if release:
            problems += notebook_problems(tree, a, i, "release")
        problems += check_problems(tree, a, i)
    return problems
