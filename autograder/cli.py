"""Command line: wires the stages together. No grading logic lives here.

The sub-commands live in four modules by topic, each with its handlers next to their argument
parsers, each one screen:

- :mod:`autograder.cli_grading`: grade, check, validate, classroom-report (notebooks graded here and now);
- :mod:`autograder.cli_publish`: release, student-package, classroom-template (what students receive);
- :mod:`autograder.cli_batch`: batch, merge, report (a whole class, its shards and its class report);
- :mod:`autograder.cli_review`: similarity, written (what an instructor reviews by hand).

They are modules, not a ``commands/`` package, so the course package and the student package
stay one flat package (pyproject's ``packages = ["autograder"]``, the student wheel's copy).
Only parsing and wiring live there: the work is done in the modules each handler imports
lazily (``autograder check`` never imports nbgrader or Dask). A handler gets its course from
:func:`autograder.context.load` and returns an exit status; a problem the person can fix is
raised as CourseError, InputError or UsageError, and :func:`failure`, here, is the one place
where an exception becomes an exit status and a one-line message.
"""

from __future__ import annotations

import argparse
import logging
import sys

from . import errors
from .errors import CourseError, InputError, UsageError
from .sandbox import SandboxUnavailable

EPILOG = """\
exit status:
  0  grading ran (whatever the score); validate/release --check found nothing wrong
  1  internal error in the grader (please report it)
  2  could not run: bad arguments, broken course.yaml, no notebook found, validation failed
  3  grading ran, but some notebook could not be read; it is scored 0 and the reason is printed
"""
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


def build_parser() -> argparse.ArgumentParser:
    from . import cli_batch, cli_grading, cli_publish, cli_review

    p = argparse.ArgumentParser(
        prog="autograder",
        description="Grade Lecture 09 notebooks: student code runs in a separate sandboxed process; "
        "every verdict is computed by the grader.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--root", help="course root (folder with course.yaml); default: search upwards from here")
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        dest="verbosity",
        help="diagnostics on stderr: what is being done (-v), and debugging detail (-vv)",
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    for module in (cli_grading, cli_publish, cli_batch, cli_review):
        module.add(sub, EPILOG)
    return p


class _OneLine(logging.Formatter):
    """``warning: message``; an informational record is its message alone (what is being done)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        return message if record.levelno == logging.INFO else f"{record.levelname.lower()}: {message}"


class _CliHandler(logging.StreamHandler):
    """The handler :func:`configure_logging` installs (so a second call replaces it)."""


def configure_logging(verbosity: int = 0) -> None:
    """The package logger ``autograder`` (every module logs to ``autograder.<module>``) writes one
    line per record to stderr: warnings and errors by default, ``-v`` adds what is being done,
    ``-vv`` debugging detail. Configured here, once per run of the CLI, and nowhere else."""
    logger = logging.getLogger("autograder")
    for handler in [h for h in logger.handlers if isinstance(h, _CliHandler)]:
        logger.removeHandler(handler)
    handler = _CliHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG)
    logger.propagate = False  # one line per record, even where something configured the root logger


def failure(exc: BaseException) -> tuple[int, str] | None:
    """The exit status and the one line printed for an exception a person can act on; None for
    anything else (a bug in the grader: its traceback is shown, exit 1)."""
    if isinstance(exc, CourseError):
        return errors.EXIT_USAGE, str(exc)  # already "course.yaml: key: problem", one line per problem
    if isinstance(exc, (InputError, UsageError, SandboxUnavailable)):
        return errors.EXIT_USAGE, f"error: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    return None


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # `grade -v` / `release -v` (the sub-command's own flag) mean -v too
    configure_logging(args.verbosity + bool(getattr(args, "verbose", False)))
    try:
        return args.func(args)
    except (Exception, KeyboardInterrupt) as exc:
        known = failure(exc)
        if known is None:
            raise
        status, message = known
        print(message, file=sys.stderr)
        return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
