"""``autograder report``: what the class missed, on one offline HTML page.

    autograder report grades.csv --out report.html

Reads the per-student result files that ``autograder batch`` keeps next to its CSV
(``<grades.csv>.d/results/*.json``; ``batch`` also writes this page itself, as
``<grades stem>.report.html``) and shows:

- the score distribution of every assignment (histograms);
- every check's failure rate, sorted (the ideas the class missed first);
- per check, the most frequent failure messages with their counts (numbers in a message are
  masked when grouping, so "max error 0.31 at (2, 1)" and "... 0.27 at (0, 3)" are one mistake);
- the students whose grading ended in a grader error or a time-out.

Plots are matplotlib PNGs embedded as data URIs, so the page is one file that opens anywhere.
Every string that came from a submission (messages, names) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TOP_MESSAGES = 3


def message_key(message: str) -> str:
    """A failure message with its numbers masked and only its first line: one key per kind of mistake."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    return _NUMBER.sub("#", first)[:300]


@dataclass
class CheckStats:
    assignment: str
    id: str
    exercise: str
    points: float
    visibility: str
    attempts: int = 0
    failures: int = 0
    messages: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)  # message key -> first full message

    @property
    def failure_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


@dataclass
class ClassStats:
    students: int
    assignments: list  # ids, in course order
    max_scores: dict  # id -> points
    scores: dict  # id -> [score per student who has a result for it]
    checks: list  # CheckStats, highest failure rate first
    trouble: list  # (student, status, problem)


def load_records(csv_path: Path) -> list[dict]:
    from .store import load_result, state_dir

    results = state_dir(Path(csv_path).resolve()) / "results"
    if not results.is_dir():
        raise InputError(
            csv_path, f"batch 결과 폴더 {results}가 없습니다 (run `autograder batch` with --out {csv_path} first)"
        )
    records = [r for p in sorted(results.glob("*.json")) if (r := load_result(p)) is not None]
    if not records:
        raise InputError(csv_path, f"{results}에 학생 결과가 없습니다 (no student results)")
    return records


def class_stats(tree, records: list[dict]) -> ClassStats:
    ids = [a.id for a in tree.model.assignments]
    maxes = {a.id: a.max_score for a in tree.model.assignments}
    scores: dict = defaultdict(list)
    checks: dict = {}
    trouble = []
    for r in records:
        student = str(r.get("student", "?"))
        if r.get("status") not in ("graded", "no_submission"):
            trouble.append((student, str(r.get("status")), str(r.get("problem") or "")))
        for a in (r.get("result") or {}).get("assignments", []):
            if not isinstance(a, dict) or a.get("id") not in maxes:
                continue
            scores[a["id"]].append(float(a.get("score") or 0))
            timed_out = False
            for c in a.get("checks", []):
                if not isinstance(c, dict):
                    continue
                key = (a["id"], str(c.get("id")))
                st = checks.get(key)
                if st is None:
                    st = checks[key] = CheckStats(
                        a["id"],
                        str(c.get("id")),
                        str(c.get("exercise")),
                        float(c.get("max_score") or 0),
                        str(c.get("visibility", "")),
                    )
                st.attempts += 1
                if c.get("status") != "passed":
                    st.failures += 1
                    k = message_key(str(c.get("message") or ""))
                    st.messages[k] += 1
                    st.examples.setdefault(k, str(c.get("message") or ""))
                timed_out |= c.get("status") == "timeout"
            if timed_out and r.get("status") == "graded":
                trouble.append((student, "timeout", f"{a['id']}: 시간 제한을 넘은 검사가 있습니다 (a check timed out)"))
    ordered = sorted(checks.values(), key=lambda s: (-s.failure_rate, s.assignment, s.id))
    return ClassStats(len(records), ids, maxes, dict(scores), ordered, sorted(trouble))


# ------------------------------------------------------------------------------------------
# plots
# ------------------------------------------------------------------------------------------
def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _distribution_plot(stats: ClassStats) -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    n = len(stats.assignments)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.8 * rows), squeeze=False)
    for ax, aid in zip(axes.flat, stats.assignments, strict=False):
        vals = stats.scores.get(aid, [])
        top = stats.max_scores[aid]
        ax.hist(vals, bins=min(20, max(5, len(vals))), range=(0, top), color="C0", edgecolor="white")
        mean = sum(vals) / len(vals) if vals else 0
        ax.axvline(mean, color="C3", ls="--", lw=1)
        ax.set_title(f"{aid} (mean {mean:.1f}/{top:g}, n={len(vals)})", fontsize=10)
        ax.set_xlabel("score")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return _png(fig)


def _failure_plot(stats: ClassStats, top: int = 25) -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    shown = [s for s in stats.checks if s.failures][:top]
    fig, ax = plt.subplots(figsize=(10, 0.32 * max(len(shown), 3) + 1))
    labels = [f"{s.assignment[:2]} {s.id}"[:60] for s in shown]
    ax.barh(
        range(len(shown)),
        [s.failure_rate for s in shown],
        color=["C1" if s.visibility == "hidden" else "C0" for s in shown],
    )
    ax.set_yticks(range(len(shown)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of students failing (orange: hidden check)")
    ax.set_title(f"Checks most often failed (top {len(shown)})", fontsize=11)
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------------------------------
# the page
# ------------------------------------------------------------------------------------------
_CSS = """
body { font-family: "Noto Sans CJK KR", "Noto Sans KR", sans-serif; margin: 1.5em; max-width: 1100px; }
img { max-width: 100%; } table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; }
.msg { font-size: 90%; white-space: pre-wrap; word-break: keep-all; overflow-wrap: anywhere; }
"""


def render_html(stats: ClassStats, *, title: str = "Class report") -> str:
    esc = html.escape
    out = [
        f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{esc(title)}</title>',
        f"<style>{_CSS}</style></head><body><h1>{esc(title)}</h1>",
        f"<p>{stats.students}명의 결과 (students).</p>",
        "<h2>과제별 점수 분포 (score distribution)</h2>",
        f'<img id="distribution" alt="score distribution per assignment" src="{_distribution_plot(stats)}">',
        "<h2>많이 틀린 검사 (checks most often failed)</h2>",
        f'<img id="failures" alt="failure rate per check" src="{_failure_plot(stats)}">',
        '<table id="checks"><thead><tr><th>과제</th><th>검사 (check)</th><th>연습</th><th>실패율</th><th>실패/응시</th>'
        "<th>가장 흔한 실패 메시지 (count)</th></tr></thead><tbody>",
    ]
    for s in stats.checks:
        msgs = "".join(
            f'<div class="msg">({n}) {esc(s.examples[k][:400])}</div>' for k, n in s.messages.most_common(TOP_MESSAGES)
        )
        out.append(
            f"<tr><td>{esc(s.assignment)}</td><td>{esc(s.id)}{' (hidden)' if s.visibility == 'hidden' else ''}</td>"
            f'<td>{esc(s.exercise)}</td><td class="num">{s.failure_rate:.0%}</td>'
            f'<td class="num">{s.failures}/{s.attempts}</td><td>{msgs}</td></tr>'
        )
    out.append("</tbody></table><h2>오류·시간 초과 학생 (grader errors and time-outs)</h2>")
    if stats.trouble:
        out.append('<table id="trouble"><thead><tr><th>학생</th><th>상태</th><th>내용</th></tr></thead><tbody>')
        out += [
            f'<tr><td>{esc(st)}</td><td>{esc(status)}</td><td class="msg">{esc(problem[:500])}</td></tr>'
            for st, status, problem in stats.trouble
        ]
        out.append("</tbody></table>")
    else:
        out.append('<p id="trouble">없음 (none).</p>')
    out.append("</body></html>\n")
    return "".join(out)


def write_report(tree, csv_path: Path, out: Path, records: list[dict] | None = None) -> Path:
    from .fsutil import atomic_write

    records = load_records(csv_path) if records is None else records
    title = f"{tree.model.course.title}: class report ({Path(csv_path).name})"
    atomic_write(Path(out), render_html(class_stats(tree, records), title=title))
    return Path(out)
