"""``autograder report``: the class report from batch results (plots, failure rates, messages, trouble)."""

from __future__ import annotations

import base64
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tiny_course

from autograder.batch import RESULT_VERSION
from autograder.classreport import class_stats, message_key, render_html
from autograder.course import load_course

ROOT = Path(__file__).resolve().parent.parent


def _check(cid, ex, status, message="", points=1.0, vis="public"):
    return {
        "id": cid,
        "exercise": ex,
        "score": points if status == "passed" else 0.0,
        "max_score": points,
        "status": status,
        "message": message,
        "visibility": vis,
    }


def _record(student, checks, status="graded", problem=""):
    score = sum(c["score"] for c in checks)
    assignments = [{"id": "00_tiny", "score": score, "max_score": 2, "checks": checks}] if checks else []
    return {
        "version": RESULT_VERSION,
        "student": student,
        "key": "k" * 64,
        "status": status,
        "problem": problem,
        "result": {"score": score, "max_score": 2, "assignments": assignments},
    }


EVIL = "<script>alert(1)</script>"
RECORDS = [
    _record("ann", [_check("scale_is_linear", "scale", "passed"), _check("coin_rate", "sample_coin", "passed")]),
    _record(
        "ben",
        [
            _check("scale_is_linear", "scale", "failed", "max error 0.31 at (2, 1)"),
            _check("coin_rate", "sample_coin", "passed"),
        ],
    ),
    _record(
        "cat",
        [
            _check("scale_is_linear", "scale", "failed", "max error 0.27 at (0, 3)"),
            _check("coin_rate", "sample_coin", "timeout", "20초 안에 끝나지 않았습니다"),
        ],
    ),
    _record(
        EVIL,
        [
            _check("scale_is_linear", "scale", "error", f"ValueError: {EVIL}"),
            _check("coin_rate", "sample_coin", "failed", "rate 0.9"),
        ],
    ),
    _record("dan", [], status="error", problem=f"grader error: {EVIL}"),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_course.write_course(tmp_path_factory.mktemp("c") / "course")


def test_numbers_are_masked_when_grouping_messages():
    assert message_key("max error 0.31 at (2, 1)") == message_key("max error 0.27 at (0, 3)")
    assert message_key("max error 0.31\nsecond line") == "max error #"
    assert message_key("shape (3,) expected") != message_key("dtype float32 expected")


def test_stats_sort_checks_by_failure_rate_and_list_trouble(tiny):
    stats = class_stats(load_course(tiny), RECORDS)
    assert [s.id for s in stats.checks] == ["scale_is_linear", "coin_rate"]
    scale = stats.checks[0]
    assert (scale.failures, scale.attempts) == (3, 4)
    assert scale.messages.most_common(1)[0][1] == 2  # the two "max error" messages are one mistake
    assert sorted(stats.scores["00_tiny"]) == [0.0, 0.0, 1.0, 2.0]
    assert {(s, st) for s, st, _ in stats.trouble} == {("dan", "error"), ("cat", "timeout")}


def test_page_has_decodable_plots_and_escapes_student_text(tiny):
    page = render_html(class_stats(load_course(tiny), RECORDS), title="t")
    assert "<script>" not in page and html.escape(EVIL) in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2
    for b64 in images:
        assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "75%" in page and "3/4" in page and "(2) max error 0.31" in page


def test_batch_writes_the_report_and_the_cli_rewrites_it(tiny, tmp_path):
    import shutil

    from test_batch import GOOD, PARTIAL, run_cli, write_student

    course = tmp_path / "course"
    shutil.copytree(tiny, course)
    write_student(course, "good", GOOD)
    write_student(course, "partial", PARTIAL)
    out = course / "grades.csv"
    run_cli(["batch", "class", "--out", str(out), "--no-progress"], course)
    report = course / "grades.report.html"
    page = report.read_text(encoding="utf-8")
    assert "2명" in page and "scale" in page
    report.unlink()
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "report", str(out)],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert p.returncode == 0 and report.is_file(), p.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "autograder", "report", str(course / "nope.csv")],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "nope.csv" in bad.stderr, bad.stderr


def test_report_renders_in_headless_chromium(tiny, tmp_path):
    """The plots load (decoded images with a size), the tables are there, and student text stays text."""
    from test_browser import CHROMIUM, MISSING

    if MISSING:
        pytest.skip(f"{MISSING} (see tests/test_browser.py)")
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(class_stats(load_course(tiny), RECORDS), title="t"), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(page_file.as_uri())
            sizes = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
            )
            assert len(sizes) == 2 and all(ok and w > 300 and h > 100 for ok, w, h in sizes), sizes
            assert page.eval_on_selector_all("#checks tbody tr", "els => els.length") == 2
            assert page.evaluate("document.querySelectorAll('script').length") == 0
            assert EVIL in page.inner_text("#trouble")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
