"""The course a command works on: loaded, and its settings applied, in one place.

Every entry point gets its course through :func:`load`: the CLI commands, a batch grader
process (and a Dask worker), ``pytest checks/<id>/...`` (checks/conftest.py) and a notebook's
``Checker``. So course.yaml's ``grading.tolerances`` are in force wherever a check runs.
:func:`apply_tolerances` is the only caller of :func:`autograder.expect.configure` (a test
keeps it so). Nothing heavy is imported at module level: a notebook's setup cell imports this.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .course import CourseTree


def apply_tolerances(tolerances: Mapping[str, tuple[float, float]]) -> None:
    """Make ``tolerances`` ({dtype: (rtol, atol)}) the defaults of :mod:`autograder.expect`,
    on top of its built-in table (a course loaded earlier in this process leaves nothing behind)."""
    from . import expect

    expect.configure(tolerances)


def apply_settings(tree: CourseTree) -> CourseTree:
    """Put a loaded course's grading settings in force in this process; returns ``tree``."""
    apply_tolerances({k: (v.rtol, v.atol) for k, v in tree.model.grading.tolerances.items()})
    return tree


def load(root: str | Path | None = None) -> CourseTree:
    """course.yaml at ``root`` (default: found from the current folder, see
    :func:`autograder.course.find_root`), validated, with its settings applied.
    Raises :class:`autograder.errors.CourseError` (one line per problem)."""
    from .course import load_course

    return apply_settings(load_course(Path(root) if root else None))
