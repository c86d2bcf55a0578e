"""Diagnostics go through `logging` (the package logger ``autograder``), configured once by the CLI
with a plain one-line format; ``-v`` raises the level. Command output and the one-line error
messages are printed as before (issue 19)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
import tiny_course as T

from autograder import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _restore_logger():
    logger = logging.getLogger("autograder")
    saved = (logger.level, list(logger.handlers), logger.propagate)
    yield
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]
    logger.propagate = saved[2]


def _emit_all():
    log = logging.getLogger("autograder.batch")
    log.debug("debug detail")
    log.info("what is being done")
    log.warning("no solutions/ here")


@pytest.mark.parametrize(
    ("verbosity", "shown"),
    [
        (0, ["warning: no solutions/ here"]),
        (1, ["what is being done", "warning: no solutions/ here"]),
        (2, ["debug: debug detail", "what is being done", "warning: no solutions/ here"]),
    ],
)
def test_one_line_per_record_and_v_raises_the_level(capsys, verbosity, shown):
    cli.configure_logging(verbosity)
    cli.configure_logging(verbosity)  # configured again (main called twice): still one handler
    _emit_all()
    assert capsys.readouterr().err.splitlines() == shown


def test_the_cli_configures_it_from_v_and_keeps_its_error_line(tmp_path, capsys):
    course = T.write_course(tmp_path / "c")
    assert cli.main(["-vv", "--root", str(course), "validate", "--source-only"]) in (0, 2)
    assert logging.getLogger("autograder").getEffectiveLevel() == logging.DEBUG
    capsys.readouterr()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "course.yaml").write_text("course: [\n")
    assert cli.main(["--root", str(broken), "grade", str(tmp_path / "x.ipynb")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "course.yaml" in err[0]  # the one-line error, not a log record
    assert logging.getLogger("autograder").getEffectiveLevel() == logging.WARNING


# Where a module may still print to stderr itself, and why: these are user-facing messages
# (the one-line errors of the CLI's contract), not diagnostics.
PRINTS_TO_STDERR = {
    "cli.py": 1,  # the one line for an error a person can fix (cli.failure)
    "cli_grading.py": 1,  # "error: <notebook>: <problem>" per unreadable notebook (exit 3)
    "classroom.py": 1,  # the same line in classroom-report
    "notebook.py": 1,  # nbgrader Validate shows a failing test cell's stderr as its verdict (by design)
}
MINE = [
    "cli.py", "cli_grading.py", "cli_publish.py", "cli_batch.py", "cli_review.py", "context.py", "course.py",
    "batch.py", "release.py", "reference.py", "report.py", "merge.py", "notebook.py", "written.py",
    "classreport.py", "similarity.py", "deadlines.py", "student.py", "classroom.py", "errors.py", "expect.py",
    "fsutil.py", "store.py",
]  # fmt: skip


def _stderr_prints(path: Path) -> int:
    n = 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            for kw in node.keywords:
                if kw.arg == "file" and ast.unparse(kw.value) == "sys.stderr":
                    n += 1
    return n


def test_diagnostics_are_logged_not_printed():
    """Before issue 19: batch, cli and workflows printed their warnings and progress by hand."""
    counts = {name: _stderr_prints(ROOT / "autograder" / name) for name in MINE}
    assert {k: v for k, v in counts.items() if v} == PRINTS_TO_STDERR
