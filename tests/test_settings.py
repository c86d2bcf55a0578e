"""course.yaml's grading settings (tolerances) are applied in one place, autograder.context,
and are in force wherever a check runs, ``pytest checks/<id>/...`` included (issue 19)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tiny_course as T

from autograder import context, expect

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _builtin_tolerances():
    yield
    context.apply_tolerances({})


def _loose_course(root: Path) -> Path:
    """The tiny course with float64 rtol 1e-3: a 1e-6 relative error is within the course's tolerance."""
    T.write_course(root)
    text = (root / "course.yaml").read_text()
    (root / "course.yaml").write_text(text.replace("float64: {rtol: 1.0e-10", "float64: {rtol: 1.0e-3"))
    return root


def test_load_applies_the_course_tolerances_and_nothing_leaks_to_the_next_course(tmp_path):
    context.load(_loose_course(tmp_path / "loose"))
    assert expect.DEFAULT_TOLERANCES["float64"] == (1e-3, 1e-12)
    assert expect.DEFAULT_TOLERANCES["float16"] == expect.BUILTIN_TOLERANCES["float16"]  # not in course.yaml
    context.load(T.write_course(tmp_path / "tight"))
    assert expect.DEFAULT_TOLERANCES["float64"] == (1e-10, 1e-12)
    context.apply_tolerances({"float32": (0.5, 0.0)})
    assert expect.DEFAULT_TOLERANCES == {**expect.BUILTIN_TOLERANCES, "float32": (0.5, 0.0)}


def _configure_callers(paths) -> list[str]:
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "configure"
                and isinstance(node.value, ast.Name)
                and node.value.id == "expect"
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_context_module_configures_expect():
    """Before issue 19: cli, batch, release and notebook (twice) each called expect.configure,
    and checks/conftest.py did not."""
    paths = [*sorted((ROOT / "autograder").glob("*.py")), ROOT / "checks" / "conftest.py"]
    callers = _configure_callers(paths)
    assert [c.split(":")[0] for c in callers] == ["autograder/context.py"], callers


def test_pytest_on_a_check_file_uses_the_course_tolerances(tmp_path):
    """A student whose scale is off by 1e-6 (relative) passes where course.yaml allows 1e-3; under
    the built-in 1e-10 it would fail. Fails on the old checks/conftest.py, which never applied
    course.yaml's tolerances."""
    course = _loose_course(tmp_path / "course")
    shutil.copy(ROOT / "checks" / "conftest.py", course / "checks" / "conftest.py")
    off = T.submission(course, "off", {"scale": "def scale(x, a):\n    return a * np.asarray(x, float) * (1 + 1e-6)\n"})
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib"]
    args += [str(course / "checks" / "00_tiny" / "public.py"), "-k", "scale", "--notebook", str(off)]
    res = subprocess.run(args, cwd=course, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout[-3000:] + res.stderr[-2000:]
