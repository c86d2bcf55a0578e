"""``autograder similarity``: rank pairs of students by the code their answer cells share.

    autograder similarity SUBMISSIONS_DIR --out similarity.html [--threshold 0.6] [--top 20]

What is compared, per assignment: the student's auto-graded answer cells (by nbgrader ``grade_id``),
as Python, without docstrings. What everyone shares is not evidence: the released stub (signatures,
docstrings, ``raise NotImplementedError()``) is fingerprinted and passed to copydetect as
boilerplate, so it never counts as overlap.

How: copydetect (Stanford MOSS's winnowing: Schleimer, Wilkerson & Aiken, SIGMOD 2003). Its
filter replaces every name by one letter before fingerprinting, so renamed variables do not hide a
copy, and fingerprints are a set, so reordered functions do not either. A pair's similarity on an
assignment is the *smaller* of the two shares of copied code (the copied tokens over each
student's own tokens): a short answer fully contained in a long one does not flag the long one's
author by itself. Pairs are flagged at ``threshold`` on at least one assignment where both students
wrote at least ``min_tokens`` filtered characters of their own. Flags are a place to look, never a
verdict: the report shows each flagged pair's code side by side with the shared parts marked.

Student text is data here too: names and code are HTML-escaped, nothing in a submission is executed.
"""

from __future__ import annotations

import ast
import html
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .course import CourseTree
from .errors import InputError

NOISE_T = 25  # k: the shortest shared run (filtered characters) that can count (copydetect's default)
GUARANTEE_T = 30  # every shared run this long is found (copydetect's default): window = 30 - 25 + 1
DEFAULT_THRESHOLD = 0.6
MIN_TOKENS = 120


def strip_docstrings(source: str) -> str:
    """``source`` without module, class and function docstrings (lines removed); unchanged if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    drop: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                drop.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return "".join(line for i, line in enumerate(source.splitlines(True), 1) if i not in drop)


def answer_code(nb, exercise_ids) -> str:
    """The answer cells of ``exercise_ids`` (in that order) as one Python text without docstrings."""
    from .extract import index_cells, to_python

    idx = index_cells(nb)
    parts = []
    for ex in exercise_ids:
        cell = idx.by_id.get(ex)
        if cell is None or cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        try:
            code = to_python(cell.source)
        except Exception:  # noqa: BLE001 - IPython may reject odd text; compare it as written
            code = cell.source
        parts.append(f"# --- {ex}\n{strip_docstrings(code).strip()}\n")
    return "\n".join(parts)


def _fingerprint(name: str, code: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint(
        f"{name}.py",
        NOISE_T,
        GUARANTEE_T - NOISE_T + 1,
        boilerplate=boilerplate,
        language="python",
        fp=io.StringIO(code),
    )


@dataclass
class PairResult:
    a: str
    b: str
    best: float  # max over assignments of min(share_a, share_b)
    per_assignment: dict = field(default_factory=dict)  # id -> (share_a, share_b, tokens_a, tokens_b)
    flagged: bool = False


@dataclass
class Report:
    students: list
    pairs: list  # PairResult, most similar first
    docs: dict  # (student, assignment) -> (raw code, fingerprint)
    threshold: float
    problems: dict  # student -> why some notebook was not compared


def compare_class(
    tree: CourseTree, submissions: Path, *, threshold: float = DEFAULT_THRESHOLD, min_tokens: int = MIN_TOKENS
) -> Report:
    from copydetect import compare_files

    from .load import load_notebook
    from .pipeline import find_entries
    from .store import find_students

    submissions = Path(submissions)
    if not submissions.is_dir():
        raise InputError(
            submissions, "제출물 폴더가 없습니다 (SUBMISSIONS_DIR must be a folder with one folder per student)"
        )
    folders = find_students(submissions)
    if len(folders) < 2:
        raise InputError(submissions, "비교할 학생이 두 명 이상 필요합니다 (need at least two student folders)")
    assignments = tree.model.assignments
    boiler = {}
    for a in assignments:
        ids = [e.id for e in a.auto_exercises]
        stub = answer_code(load_notebook(tree.release_notebook(a)), ids)
        boiler[a.id] = (ids, np.array(sorted(_fingerprint(f"stub-{a.id}", stub).hashes), dtype=np.int64))
    docs: dict = {}
    problems: dict = {}
    students = []
    for folder in folders:
        name = folder.name
        students.append(name)
        try:
            entries = find_entries(tree, [folder])
        except InputError as exc:
            problems[name] = exc.problem
            continue
        for e in entries:
            if e.problem or e.path is None:
                continue
            try:
                nb = load_notebook(e.path)
            except InputError as exc:
                problems[name] = exc.problem
                continue
            ids, hashes = boiler[e.assignment.id]
            code = answer_code(nb, ids)
            docs[(name, e.assignment.id)] = (code, _fingerprint(f"{name}-{e.assignment.id}", code, hashes))
    pairs = []
    for a, b in itertools.combinations(students, 2):
        pr = PairResult(a, b, 0.0)
        for asg in assignments:
            da, db = docs.get((a, asg.id)), docs.get((b, asg.id))
            if da is None or db is None:
                continue
            _, (sa, sb), _ = compare_files(da[1], db[1])
            ta, tb = da[1].token_coverage, db[1].token_coverage
            pr.per_assignment[asg.id] = (float(sa), float(sb), int(ta), int(tb))
            if min(ta, tb) >= min_tokens:
                pr.best = max(pr.best, min(float(sa), float(sb)))
        pr.flagged = pr.best >= threshold
        pairs.append(pr)
    pairs.sort(key=lambda p: (-p.best, p.a, p.b))
    return Report(students, pairs, docs, threshold, problems)


# ------------------------------------------------------------------------------------------
# the page
# ------------------------------------------------------------------------------------------
_CSS = """
body { font-family: "Noto Sans CJK KR", "Noto Sans KR", sans-serif; margin: 1.5em; max-width: 1400px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.flag { background: #fde2e2; } .pair { margin-top: 2em; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; font-size: 12px;
      white-space: pre-wrap; word-break: break-all; }
mark { background: #ffe08a; }
"""


def _highlight(doc_fp, slices) -> str:
    from copydetect.utils import highlight_overlap

    code = doc_fp.raw_code
    if slices is None or len(slices) == 0 or slices.shape[-1] == 0:
        return html.escape(code)
    marked, _ = highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)
    return marked


def render_html(report: Report, *, top: int = 20) -> str:
    from copydetect import compare_files

    esc = html.escape
    rows = []
    for p in report.pairs[: max(top, sum(p.flagged for p in report.pairs))]:
        cells = "".join(
            f"<td>{min(v[0], v[1]):.2f}</td>" if (v := p.per_assignment.get(a)) else "<td>-</td>"
            for a in _assignment_ids(report)
        )
        rows.append(
            f'<tr class="{"flag" if p.flagged else ""}"><td>{esc(p.a)}</td><td>{esc(p.b)}</td>'
            f"<td><b>{p.best:.2f}</b></td>{cells}<td>{'검토 필요 (flagged)' if p.flagged else ''}</td></tr>"
        )
    head = "".join(f"<th>{esc(a)}</th>" for a in _assignment_ids(report))
    parts = [
        '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>유사도 보고서 (similarity)</title>',
        f"<style>{_CSS}</style></head><body>",
        "<h1>답안 유사도 보고서 (answer-cell similarity)</h1>",
        f"<p>{len(report.students)}명, {len(report.pairs)}쌍. "
        "배포된 stub과 docstring은 제외하고 copydetect(winnowing)로 비교했습니다. "
        "유사도 = 두 학생 각자의 코드 중 겹치는 비율의 작은 쪽. "
        f"{report.threshold:.2f} 이상인 과제가 있으면 <b>검토 필요</b>로 표시합니다. "
        "표시는 판정이 아니라 살펴볼 곳입니다.</p>",
        f"<table><thead><tr><th>학생 A</th><th>학생 B</th><th>최대</th>{head}<th></th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]
    if report.problems:
        parts.append("<h2>비교하지 못한 제출물</h2><ul>")
        parts += [f"<li>{esc(s)}: {esc(why)}</li>" for s, why in sorted(report.problems.items())]
        parts.append("</ul>")
    for p in [p for p in report.pairs if p.flagged]:
        parts.append(f'<div class="pair"><h2>{esc(p.a)} ↔ {esc(p.b)} (최대 {p.best:.2f})</h2>')
        for a in _assignment_ids(report):
            v = p.per_assignment.get(a)
            if not v or min(v[0], v[1]) < report.threshold:
                continue
            fa, fb = report.docs[(p.a, a)][1], report.docs[(p.b, a)][1]
            _, _, (sla, slb) = compare_files(fa, fb)
            parts.append(
                f'<h3>{esc(a)}: {v[0]:.2f} / {v[1]:.2f}</h3><div class="side">'
                f"<div><b>{esc(p.a)}</b><pre>{_highlight(fa, sla)}</pre></div>"
                f"<div><b>{esc(p.b)}</b><pre>{_highlight(fb, slb)}</pre></div></div>"
            )
        parts.append("</div>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _assignment_ids(report: Report) -> list:
    seen = []
    for p in report.pairs:
        for a in p.per_assignment:
            if a not in seen:
                seen.append(a)
    return seen
