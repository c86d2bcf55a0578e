"""Written (hand-graded) answers: from the class to the grader's desk and back into ``grades.csv``.

    autograder written export SUBMISSIONS_DIR --out DIR
    autograder written import DIR/scores.csv --grades grades.csv
    autograder written import --gradebook gradebook.db --grades grades.csv     (nbgrader's formgrader)

``export`` writes, per written question of course.yaml (``manual: true``), one HTML page: the
question and the model answer / rubric from the source notebook at the top, then every student's
answer (escaped text; a student's Markdown is shown as written, never rendered). It also writes
``scores.csv``, one row per student and question with an empty ``score`` column to fill in.

``import`` merges the filled sheet (or the manual scores of nbgrader's gradebook) into the batch CSV:
one ``written:<question>`` column per question, then ``written_total``, ``written_max``,
``written_pending`` (questions not scored yet), ``total_with_written`` and ``max_with_written``. The
batch's own ``total`` and ``max_score`` stay what they are: the auto-graded checks only.
"""

from __future__ import annotations

import csv
import html
import io
import math
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

UNANSWERED = ("", "YOUR ANSWER HERE")
SHEET_COLUMNS = ["student", "assignment", "question", "max_points", "score", "comment"]
COLUMN_DOC = {
    "total": "auto-graded checks only (public + hidden)",
    "max_score": "points of the auto-graded checks",
    "written_total": "hand-graded points scored so far",
    "written_max": "points of every written question",
    "written_pending": "written questions without a score yet",
    "total_with_written": "total + written_total",
    "max_with_written": "max_score + written_max",
}


@dataclass
class Question:
    assignment: str
    id: str
    points: float
    prompt: str  # the markdown cell before the answer cell (source notebook)
    rubric: str  # the source notebook's answer cell: model answer and grading notes


def questions(tree) -> list[Question]:
    from .extract import index_cells
    from .load import load_notebook

    out = []
    for a in tree.model.assignments:
        manual = [e for e in a.exercises if e.manual]
        if not manual:
            continue
        nb = load_notebook(tree.source_notebook(a)) if tree.has_solutions else load_notebook(tree.release_notebook(a))
        idx = index_cells(nb)
        for e in manual:
            cell = idx.by_id.get(e.id)
            prompt = ""
            if cell is not None:
                i = nb.cells.index(cell)
                prompt = nb.cells[i - 1].source if i > 0 and nb.cells[i - 1].cell_type == "markdown" else ""
            out.append(
                Question(a.id, e.id, e.points, prompt, cell.source if cell is not None and tree.has_solutions else "")
            )
    return out


def collect_answers(tree, submissions: Path) -> tuple[list[str], dict]:
    """Student names and {(student, question id): answer text or None (not submitted / unanswered)}."""
    from .extract import index_cells
    from .load import load_notebook
    from .pipeline import find_entries
    from .store import find_students

    submissions = Path(submissions)
    if not submissions.is_dir():
        raise InputError(
            submissions, "제출물 폴더가 없습니다 (SUBMISSIONS_DIR must be a folder with one folder per student)"
        )
    qs = questions(tree)
    answers: dict = {}
    students = []
    for folder in find_students(submissions):
        students.append(folder.name)
        try:
            entries = {e.assignment.id: e for e in find_entries(tree, [folder])}
        except InputError:
            entries = {}
        loaded: dict = {}
        for q in qs:
            e = entries.get(q.assignment)
            if q.assignment not in loaded:
                nb = None
                if e is not None and e.path is not None and not e.problem:
                    try:
                        nb = load_notebook(e.path)
                    except InputError:
                        nb = None
                loaded[q.assignment] = index_cells(nb) if nb is not None else None
            idx = loaded[q.assignment]
            cell = idx.by_id.get(q.id) if idx is not None else None
            text = cell.get("source") if cell is not None else None
            text = text if isinstance(text, str) else None
            answers[(folder.name, q.id)] = None if text is None or text.strip() in UNANSWERED else text
    return students, answers


_CSS = """
body { font-family: "Noto Sans CJK KR", "Noto Sans KR", sans-serif; margin: 1.5em; max-width: 1000px; }
.rubric { background: #f3f7ff; border-left: 4px solid #4a7bd0; padding: .5em 1em; }
.answer { border: 1px solid #ccc; padding: .5em 1em; margin: .8em 0; }
.text { white-space: pre-wrap; word-break: keep-all; overflow-wrap: anywhere; }
.missing { color: #999; }
"""


def _markdown(text: str) -> str:
    """Trusted Markdown (from the instructor's source notebook) as HTML."""
    try:
        import markdown

        return markdown.markdown(text, extensions=["tables"])
    except ImportError:  # pragma: no cover - markdown comes with the instructor extra
        return f'<div class="text">{html.escape(text)}</div>'


def question_page(q: Question, students: list[str], answers: dict) -> str:
    esc = html.escape
    parts = [
        f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{esc(q.id)}</title>',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(q.assignment)} / {esc(q.id)} ({q.points:g}점)</h1>",
        f"<h2>질문 (question)</h2>{_markdown(q.prompt)}",
        '<h2>모범 답안과 채점 기준 (rubric)</h2><div class="rubric">'
        f"{_markdown(q.rubric) if q.rubric else '(source notebook 없음)'}</div>",
        f"<h2>학생 답안 ({sum(answers.get((s, q.id)) is not None for s in students)}/{len(students)}명 작성)</h2>",
    ]
    for s in students:
        a = answers.get((s, q.id))
        body = (
            f'<div class="text">{esc(a)}</div>'
            if a is not None
            else '<div class="missing">(답안 없음 — no answer)</div>'
        )
        parts.append(f'<div class="answer" id="{esc(_anchor(s))}"><h3>{esc(s)}</h3>{body}</div>')
    parts.append("</body></html>\n")
    return "".join(parts)


def _anchor(student: str) -> str:
    import hashlib

    return "s-" + hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def export(tree, submissions: Path, out_dir: Path) -> list[Path]:
    from .fsutil import atomic_write

    students, answers = collect_answers(tree, submissions)
    out_dir = Path(out_dir)
    written = []
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SHEET_COLUMNS)
    for q in questions(tree):
        page = out_dir / f"{q.assignment}__{q.id}.html"
        atomic_write(page, question_page(q, students, answers))
        written.append(page)
        for s in students:
            # an unanswered question is scored 0 already; everything else waits for the grader
            w.writerow(
                [
                    s,
                    q.assignment,
                    q.id,
                    f"{q.points:g}",
                    "0" if answers.get((s, q.id)) is None else "",
                    "no answer" if answers.get((s, q.id)) is None else "",
                ]
            )
    sheet = out_dir / "scores.csv"
    atomic_write(sheet, buf.getvalue())
    return [*written, sheet]


# ------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------
def read_sheet(tree, path: Path) -> dict:
    """{(student, question): score or None} from a filled score sheet; one clear line per bad row."""
    qs = {q.id: q for q in questions(tree)}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"점수표를 읽을 수 없습니다 ({type(exc).__name__})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"student", "question", "score"} <= set(rows[0]):
        raise InputError(path, "점수표에 student, question, score 열이 필요합니다 (written export가 만든 scores.csv)")
    scores: dict = {}
    for n, row in enumerate(rows, start=2):
        q = qs.get((row.get("question") or "").strip())
        if q is None:
            raise InputError(path, f"{n}번째 줄: course.yaml에 없는 서술형 질문 {row.get('question')!r}")
        raw = (row.get("score") or "").strip()
        if raw == "":
            scores[(row["student"], q.id)] = None
            continue
        try:
            val = float(raw)
        except ValueError:
            raise InputError(path, f"{n}번째 줄: 점수 {raw!r}이(가) 숫자가 아닙니다") from None
        if not (math.isfinite(val) and 0 <= val <= q.points):
            raise InputError(path, f"{n}번째 줄: {q.id}의 점수 {raw}이(가) 0..{q.points:g} 밖입니다")
        scores[(row["student"], q.id)] = val
    return scores


def read_gradebook(tree, db: Path) -> dict:
    """{(student, question): manual score or None} from nbgrader's gradebook (formgrader's manual grading)."""
    import os
    import sys

    from nbgrader.api import Gradebook, MissingEntry

    if not Path(db).is_file():
        raise InputError(db, "nbgrader gradebook 파일이 없습니다")
    scores: dict = {}
    # nbgrader may run its `alembic` script to check the database's schema: find it next to this Python
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), path])
    try:
        with Gradebook(f"sqlite:///{Path(db).resolve()}") as gb:
            students = [s.id for s in gb.students]
            for q in questions(tree):
                for s in students:
                    try:
                        g = gb.find_grade(q.id, q.assignment, q.assignment, s)
                    except MissingEntry:
                        continue
                    score = g.manual_score if g.manual_score is not None else g.auto_score
                    scores[(s, q.id)] = None if score is None else float(score)
    finally:
        os.environ["PATH"] = path
    return scores


def merge_into_grades(tree, grades: Path, scores: dict) -> tuple[int, int]:
    """Add the written columns to the batch CSV (atomically, in place); returns (students, pending scores)."""
    from .fsutil import atomic_write

    qs = questions(tree)
    try:
        with open(grades, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except OSError as exc:
        raise InputError(grades, f"grades.csv를 읽을 수 없습니다 ({type(exc).__name__})") from None
    if "student" not in header or "total" not in header:
        raise InputError(grades, "autograder batch가 만든 grades.csv가 아닙니다 (student, total 열이 없음)")
    extra = [f"written:{q.id}" for q in qs] + [
        "written_total",
        "written_max",
        "written_pending",
        "total_with_written",
        "max_with_written",
    ]
    base = [h for h in header if h not in extra]
    written_max = sum(q.points for q in qs)
    pending_total = 0
    for row in rows:
        got, pending = 0.0, []
        for q in qs:
            v = scores.get((row["student"], q.id))
            if v is None:
                pending.append(q.id)
                row[f"written:{q.id}"] = ""
            else:
                row[f"written:{q.id}"] = f"{v:g}"
                got += v
        pending_total += len(pending)
        row["written_total"] = f"{got:g}"
        row["written_max"] = f"{written_max:g}"
        row["written_pending"] = " ".join(pending)
        row["total_with_written"] = f"{float(row['total'] or 0) + got:g}"
        row["max_with_written"] = f"{float(row.get('max_score') or 0) + written_max:g}"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=base + extra, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    atomic_write(Path(grades), buf.getvalue())
    doc = Path(grades).with_name(Path(grades).stem + ".columns.txt")
    atomic_write(
        doc,
        "".join(
            f"{k}: {v}\n"
            for k, v in {
                **COLUMN_DOC,
                **{
                    f"written:{q.id}": f"{q.assignment}, {q.points:g} points, hand-graded (empty: not scored yet)"
                    for q in qs
                },
            }.items()
        ),
    )
    return len(rows), pending_total
