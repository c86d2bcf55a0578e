"""Stage 5: results as a terminal table, JSON, and feedback Markdown/HTML.

Student text (messages, problems, file and folder names) arrives cleaned by
:func:`autograder.errors.clean_text` (printable, valid UTF-8, bounded); each renderer here
still treats it as data: rich ``Text`` objects (never markup) in the terminal, JSON written with
encoding errors handled, Markdown with HTML and Markdown syntax escaped and code fences longer
than any backtick run inside, and HTML sanitized with nh3 (ammonia) after rendering.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from .errors import clean_name, clean_text
from .verdict import AssignmentResult

STATUS_KO = {"passed": "통과", "failed": "실패", "error": "오류", "timeout": "시간 초과"}
STATUS_MARK = {"passed": "✔", "failed": "✘", "error": "!", "timeout": "⏱"}


PUBLIC_ONLY = (
    "공개 검사만 채점했습니다 (public checks only): 비공개 검사는 실행되지 않았습니다 (hidden checks did not run)"
)


def _num(x: float) -> str:
    return f"{x:g}"


def public_checks_only(r: AssignmentResult) -> bool:
    """No hidden check was graded (``autograder check``, or a course without checks/<id>/hidden.py
    such as the Classroom template): the score is out of the public points only."""
    return bool(r.checks) and not any(c.visibility != "public" for c in r.checks)


def to_json(results: list[AssignmentResult]) -> dict:
    return {
        "score": round(sum(r.score for r in results), 6),
        "max_score": round(sum(r.max_score for r in results), 6),
        "public_checks_only": any(public_checks_only(r) for r in results),
        "assignments": [{**r.to_json(), "public_checks_only": public_checks_only(r)} for r in results],
    }


def json_bytes(data, *, indent: int | None = 2) -> bytes:
    """JSON as valid UTF-8 whatever strings ``data`` holds (a lone surrogate becomes the JSON
    escape ``\\udcff``: json.dumps escapes every backslash, so the result is always valid JSON)."""
    return (json.dumps(data, ensure_ascii=False, indent=indent) + "\n").encode("utf-8", "backslashreplace")


def write_json_atomic(path, data) -> None:
    """Write ``data`` as JSON through :func:`autograder.fsutil.atomic_write` (temporary file, fsync,
    ``os.replace``; nothing is left behind on failure and an old file stays whole)."""
    from .fsutil import atomic_write

    atomic_write(Path(path), json_bytes(data))


def print_table(results: list[AssignmentResult], *, console=None, details: bool = True) -> None:
    """Per-exercise table and the total, then what failed and why. Every string that may hold
    student text is a rich ``Text`` (never parsed as markup)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console(highlight=False)
    table = Table(title="채점 결과 (grading result)", show_lines=False)
    table.add_column("과제 assignment")
    table.add_column("연습 exercise")
    table.add_column("점수 score", justify="right")
    table.add_column("검사 checks", justify="left")
    for r in results:
        if r.problem and not r.checks:
            table.add_row(Text(r.id), "-", f"0/{_num(r.max_score)}", Text(clean_text(r.problem)))
            continue
        first = True
        for ex, (s, m) in r.exercise_scores().items():
            marks = "".join(STATUS_MARK[c.status] for c in r.checks if c.exercise == ex)
            style = "green" if s == m else ("red" if s == 0 else "yellow")
            table.add_row(Text(r.id if first else ""), Text(ex), Text(f"{_num(s)}/{_num(m)}", style=style), marks)
            first = False
        for m in r.manual:
            table.add_row("", Text(str(m["id"])), f"-/{_num(m['points'])}", "수동 채점 (graded by hand)")
        only = "공개 검사만 (public checks only)" if public_checks_only(r) else ""
        table.add_row("", "[b]합계[/b]", f"[b]{_num(r.score)}/{_num(r.max_score)}[/b]", only, end_section=True)
    total = sum(r.score for r in results)
    max_total = sum(r.max_score for r in results)
    table.add_row("[b]총점 total[/b]", "", f"[b]{_num(total)}/{_num(max_total)}[/b]", "")
    console.print(table)
    if any(public_checks_only(r) for r in results):
        console.print(f"[yellow]{PUBLIC_ONLY}[/]", soft_wrap=True)
    if details:
        for r in results:
            bad = [c for c in r.checks if c.status != "passed"]
            if r.problem:
                console.print(Text.assemble((r.id, "red"), ": ", clean_text(r.problem)))
                continue
            for c in bad:
                console.print(
                    Text.assemble(
                        (f"{STATUS_MARK[c.status]} {r.id} · {c.exercise} · {c.id}", "red"),
                        f" ({STATUS_KO[c.status]}, 0/{_num(c.max_score)})",
                    )
                )
                console.print(Text("   " + clean_text(c.message).replace("\n", "\n   ")))


def md_inline(text: str) -> str:
    """Student text inside a Markdown paragraph or heading: one line, HTML escaped, every
    Markdown punctuation character backslash-escaped."""
    text = html.escape(text.replace("\r", " ").replace("\n", " "), quote=False)
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-.!|~]")
_BACKTICKS = re.compile(r"`+")


def md_code(text: str) -> list[str]:
    """Student text as a fenced code block whose fence is longer than any backtick run in it,
    so nothing inside can close it (CommonMark and Python-Markdown agree on this)."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence, ""]


def feedback_markdown(results: list[AssignmentResult], *, student: str = "", check_sources: dict | None = None) -> str:
    """Feedback for a student: every check's verdict; source only for public checks."""
    total = sum(r.score for r in results)
    max_total = sum(r.max_score for r in results)
    who = md_inline(clean_name(student)) if student else ""
    out = [f"# 채점 피드백{' — ' + who if who else ''}", "", f"**총점: {_num(total)} / {_num(max_total)}**", ""]
    for r in results:
        out += [f"## {r.id} — {_num(r.score)} / {_num(r.max_score)}", ""]
        if r.problem:
            out += [f"> {md_inline(clean_text(r.problem))}", ""]
        out += ["| 연습 | 검사 | 공개 | 결과 | 점수 |", "|---|---|---|---|---|"]
        for c in r.checks:
            vis = "공개" if c.visibility == "public" else "비공개"
            out.append(
                f"| {c.exercise} | {c.id} | {vis} | {STATUS_MARK[c.status]} {STATUS_KO[c.status]} "
                f"| {_num(c.score)}/{_num(c.max_score)} |"
            )
        out.append("")
        for c in r.checks:
            if c.status == "passed":
                continue
            out += [f"### {STATUS_MARK[c.status]} {c.exercise} · {c.id}", ""]
            if c.doc:
                out += [c.doc, ""]
            out += md_code(clean_text(c.message))
            if check_sources and c.visibility == "public" and (r.id, c.id) in check_sources:
                out += [
                    "<details><summary>검사 코드 (public check source)</summary>",
                    "",
                    "```python",
                    check_sources[(r.id, c.id)].rstrip(),
                    "```",
                    "</details>",
                    "",
                ]
        for m in r.manual:
            out.append(f"- {m['id']}: 수동 채점 예정 ({_num(m['points'])}점)")
        out.append("")
    return "\n".join(out)


def sanitize_html(body: str) -> str:
    """Only harmless tags and attributes: no scripts, event handlers or ``javascript:`` links
    (nh3, the Rust ammonia sanitizer, linear in the input)."""
    import nh3

    return nh3.clean(body)


def feedback_html(markdown_text: str, title: str = "채점 피드백") -> str:
    """A self-contained HTML page of the Markdown feedback (no external assets), sanitized.
    Without markdown or nh3 installed, the page is the escaped Markdown text."""
    try:
        import markdown as md
        import nh3  # noqa: F401

        body = sanitize_html(md.markdown(markdown_text, extensions=["tables", "fenced_code"]))
    except ImportError:
        body = f"<pre>{html.escape(markdown_text)}</pre>"
    return (
        "<!doctype html><html lang=ko><meta charset=utf-8>"
        f"<title>{html.escape(clean_text(title, limit=400))}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "pre{background:#f6f8fa;padding:.6em;overflow-x:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .5em}</style>"
        f"<body>{body}</body></html>"
    )
