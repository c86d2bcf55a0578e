"""Errors that end up in front of a person: one line, naming the file and the problem."""

from __future__ import annotations

# Exit statuses of the CLI (documented in `autograder --help` and README).
EXIT_OK = 0  # grading ran (whatever the score)
EXIT_INTERNAL = 1  # a bug in the grader itself
EXIT_USAGE = 2  # could not run: bad arguments, broken course.yaml, no notebook found
EXIT_PARTIAL = 3  # grading ran, but some input could not be read (scored 0, reason reported)


class InputError(Exception):
    """A file a person gave us is unusable. ``str()`` is the one line we print."""

    def __init__(self, path, problem: str):
        self.path = clean_name(path)  # a student's file name is data: printable, valid UTF-8
        self.problem = clean_text(problem)
        super().__init__(f"{self.path}: {problem}")


class UsageError(Exception):
    """A command cannot run as asked (conflicting arguments, a release nbgrader refused...).
    ``str()`` is the line printed after ``error:``; the exit status is :data:`EXIT_USAGE`."""


class CourseError(Exception):
    """course.yaml (or the course tree it describes) is inconsistent. One line per problem."""

    def __init__(self, path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


# ------------------------------------------------------------------------------------------
# student text is data (issue 13): the one edge where it enters results and reports
# ------------------------------------------------------------------------------------------
MAX_TEXT = 20_000  # characters of one message kept in a result (the rest is cut, and says so)

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))}
# bidirectional overrides and isolates reorder what a terminal or a browser shows
_CONTROL.update({c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def clean_text(value, *, limit: int = MAX_TEXT) -> str:
    """Any value as printable, valid-UTF-8 text: lone surrogates (an exception message, or a
    non-UTF-8 file name as Python sees it) become ``\\udcff``, control characters (terminal
    escapes such as ``\\x1b[2J``, carriage returns) and bidi overrides become visible escapes,
    at most ``limit`` characters. Markup (rich ``[red]``, HTML, Markdown) is left as text: each
    renderer escapes it. Linear in the length of the text."""
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:  # noqa: BLE001 - a hostile __str__
            value = f"<{type(value).__name__}>"
    if len(value) > limit:
        value = value[:limit] + f" … ({len(value) - limit} characters cut)"
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value.translate(_CONTROL)


def clean_name(value) -> str:
    """A file or folder name as one printable line (a name never holds a newline in a report)."""
    return clean_text(value, limit=300).replace("\n", "\\n").replace("\t", "\\t")
