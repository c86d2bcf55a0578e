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
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CourseError(Exception):
    """course.yaml (or the course tree it describes) is inconsistent. One line per problem."""

    def __init__(self, path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))
