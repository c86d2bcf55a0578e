"""Packaging (issue 19 item 4): one version source, only used dependencies in the core, an honest
requires-python, and the student package and Classroom template agreeing with the engine on all three.

The dependency checks read imports with ``ast`` (every ``import``/``from`` in the file, lazy ones inside
functions included) and map modules to distributions with ``importlib.metadata.packages_distributions``.
Each check is a function returning its problems, run on the repository (no problem) and on a wrong
variant of it (the problem named), so none of them can pass by accident.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

import autograder
from autograder import classroom, student
from autograder.course import load_course

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
TREE = load_course(ROOT)

# Distributions the engine imports only for an optional feature, and the extra that provides each.
# Everything else it imports is core.
OPTIONAL = {
    "torch": "course",  # worker.py: only when a probe's reply holds a tensor (the notebooks bring torch)
    "matplotlib": "course",  # classreport.py: the class report's plots
    "nbgrader": "instructor",  # nbgrader_ext.py, written.py: the nbgrader workflow
    "traitlets": "instructor",  # nbgrader_ext.py: nbgrader's configuration
    "tqdm": "instructor",  # batch.py: progress bar
    "markdown": "instructor",  # report.py, written.py: HTML feedback
    "nh3": "instructor",  # report.py: sanitizing that HTML
    "copydetect": "instructor",  # similarity.py
    "pyseccomp": "instructor",  # sandbox.py: seccomp filter where no memory cgroup can be made
    "distributed": "cluster",  # batch.py: `autograder batch --dask`
}


def imported_modules(paths) -> set[str]:
    """Top-level names of every absolute import in ``paths``, standard library left out."""
    mods = set()
    for p in paths:
        for node in ast.walk(ast.parse(Path(p).read_text(encoding="utf-8"), filename=str(p))):
            if isinstance(node, ast.Import):
                mods |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods.add(node.module.split(".")[0])
    return {m for m in mods if m not in sys.stdlib_module_names and m not in ("autograder", "__future__")}


@functools.cache
def _by_module() -> dict:
    return metadata.packages_distributions()


def distributions(mods: set[str]) -> set[str]:
    """Canonical distribution names providing ``mods``; a module no installed distribution provides
    is kept under its own name (so it shows up as a problem instead of vanishing)."""
    by_module = _by_module()
    return {canonicalize_name(by_module.get(m, [m])[0]) for m in mods}


def engine_distributions() -> set[str]:
    return distributions(imported_modules(sorted((ROOT / "autograder").glob("*.py"))))


def public_check_distributions() -> set[str]:
    """What the public checks import on the grader side (they ship to students and run in CI)."""
    return distributions(imported_modules(sorted((ROOT / "checks").glob("*/public.py"))))


def names(reqs) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in reqs}


def core_problems(project: dict, imported: set[str]) -> list[str]:
    """The core dependencies must be exactly the engine's imports less the optional ones, and each
    optional one must be in its extra."""
    core = names(project["dependencies"])
    want = imported - set(OPTIONAL)
    problems = [f"core dependency {d} is never imported by autograder/" for d in sorted(core - want)]
    problems += [f"autograder/ imports {d}, which is not a core dependency" for d in sorted(want - core)]
    for dist, extra in sorted(OPTIONAL.items()):
        if dist in imported and dist not in names(project["optional-dependencies"].get(extra, [])):
            problems.append(f"{dist} (imported by autograder/) is not in the {extra!r} extra")
    return problems


def test_core_dependencies_are_exactly_what_the_engine_imports():
    imported = engine_distributions()
    assert {"numpy", "nbformat", "pydantic", "pyyaml", "rich", "ipython"} <= imported  # the scan sees them
    assert core_problems(PYPROJECT["project"], imported) == []


def test_core_dependency_check_fails_on_scipy_in_core_and_a_missing_import():
    imported = engine_distributions()
    project = dict(PYPROJECT["project"])
    project["dependencies"] = [*PYPROJECT["project"]["dependencies"], "scipy>=1.10"]
    assert core_problems(project, imported) == ["core dependency scipy is never imported by autograder/"]
    project["dependencies"] = [d for d in PYPROJECT["project"]["dependencies"] if not d.startswith("pydantic")]
    assert core_problems(project, imported) == ["autograder/ imports pydantic, which is not a core dependency"]
    extras = dict(PYPROJECT["project"]["optional-dependencies"])
    extras["instructor"] = [d for d in extras["instructor"] if not d.startswith("nh3")]
    project = {**PYPROJECT["project"], "optional-dependencies": extras}
    assert core_problems(project, imported) == ["nh3 (imported by autograder/) is not in the 'instructor' extra"]


def test_import_scan_reads_lazy_imports_and_skips_relative_and_stdlib(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import os, json\nfrom . import x\nfrom yaml import safe_load\ndef f():\n    import scipy.special\n")
    assert imported_modules([f]) == {"yaml", "scipy"}
    assert distributions({"yaml", "scipy"}) == {"pyyaml", "scipy"}


def test_scipy_is_where_it_is_used():
    assert "scipy" not in engine_distributions()
    assert "scipy" in public_check_distributions()  # checks/04_augmentation/public.py: scipy.special.betainc
    assert "scipy" not in names(PYPROJECT["project"]["dependencies"])
    assert "scipy" in names(PYPROJECT["project"]["optional-dependencies"]["course"])


def student_problems(requirements, engine_requirements, course_extra, project: dict) -> list[str]:
    """The student package (and Classroom CI) install the core with the same ranges, plus what the
    public checks import; the course extra brings the public checks' imports too."""
    problems = []
    student_specs = {canonicalize_name(Requirement(r).name): Requirement(r).specifier for r in requirements}
    for r in map(Requirement, project["dependencies"]):
        got = student_specs.get(canonicalize_name(r.name))
        if got != r.specifier:
            problems.append(f"student package: {r.name} {got} instead of the core's {r.specifier}")
    core = names(project["dependencies"])
    for d in sorted(public_check_distributions()):
        for label, reqs in (
            ("student package", requirements),
            ("Classroom CI", engine_requirements),
            ("course extra", course_extra),
        ):
            # torch: the notebooks' own (a range in the student package, the course pin in the extra,
            # requirements.txt pins it separately for CI); core ones come with the engine
            if d != "torch" and d not in names(reqs) and not (label == "course extra" and d in core):
                problems.append(f"{label}: the public checks import {d}")
    ci = names(engine_requirements)
    problems += [f"Classroom CI: core {d} missing" for d in sorted(names(project["dependencies"]) - ci)]
    return problems


def test_student_package_and_classroom_ci_install_what_engine_and_public_checks_import():
    args = (
        student.REQUIREMENTS,
        classroom.ENGINE_REQUIREMENTS,
        PYPROJECT["project"]["optional-dependencies"]["course"],
    )
    assert student_problems(*args, PYPROJECT["project"]) == []
    no_scipy = tuple(r for r in student.REQUIREMENTS if not r.startswith("scipy"))
    assert student_problems(no_scipy, *args[1:], PYPROJECT["project"]) == [
        "student package: the public checks import scipy"
    ]
    other_range = tuple("numpy>=2" if r.startswith("numpy") else r for r in student.REQUIREMENTS)
    assert student_problems(other_range, *args[1:], PYPROJECT["project"]) == [
        "student package: numpy >=2 instead of the core's >=1.24"
    ]
    no_ci_scipy = [r for r in classroom.ENGINE_REQUIREMENTS if r != "scipy"]
    assert student_problems(args[0], no_ci_scipy, args[2], PYPROJECT["project"]) == [
        "Classroom CI: the public checks import scipy"
    ]


# ------------------------------------------------------------------------------------------
# one version source
# ------------------------------------------------------------------------------------------
def test_one_version_source():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "autograder.__version__"}
    Version(autograder.__version__)  # a valid version
    # what pip installed from pyproject.toml (the editable install here) reports the same version
    assert metadata.version("lecture09-autograder") == autograder.__version__
    assert len(re.findall(r"__version__\s*=", (ROOT / "autograder" / "__init__.py").read_text())) == 1


def test_student_package_reports_the_engine_version():
    version = student.package_version(TREE)
    assert Version(version).public == autograder.__version__ and Version(version).local.startswith("p")
    assert student.manifest(TREE)["version"] == version
    assert tomllib.loads(student.pyproject_text(TREE))["project"]["version"] == version
    # the Classroom template's pyproject.toml (the same text) and the built wheel's metadata:
    # tests/test_student_package.py, which builds both once


# ------------------------------------------------------------------------------------------
# requires-python
# ------------------------------------------------------------------------------------------
def test_requires_python_is_the_tested_version_everywhere():
    spec = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert spec == SpecifierSet(">=3.11")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert Version(here) in spec  # the version these tests run on
    assert Version("3.10") not in spec and Version("3.12") in spec  # Colab's 3.12 may install it
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"  # ruff rewrites to what requires-python allows
    pkg = tomllib.loads(student.pyproject_text(TREE))
    assert SpecifierSet(pkg["project"]["requires-python"]) == spec
    ci_python = re.search(r'python-version: "([\d.]+)"', classroom.WORKFLOW).group(1)
    assert Version(ci_python) in spec


def test_dev_extra_pins_the_ruff_in_use_and_brings_the_hooks():
    dev = {
        canonicalize_name(Requirement(r).name): Requirement(r)
        for r in PYPROJECT["project"]["optional-dependencies"]["dev"]
    }
    (pin,) = dev["ruff"].specifier
    assert pin.operator == "=="
    assert metadata.version("ruff") == pin.version  # the ruff the README's test command runs
    assert {"pre-commit", "nbstripout"} <= set(dev)


@pytest.mark.parametrize("dist", sorted(set(OPTIONAL)))
def test_optional_dependencies_are_still_imported_by_the_engine(dist):
    """OPTIONAL does not outlive the imports it excuses."""
    assert dist in engine_distributions()


# ------------------------------------------------------------------------------------------
# pre-commit: each hook passes a clean file and stops a dirty one
# ------------------------------------------------------------------------------------------
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
HOOKS = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]


def _tool_env(tmp_path) -> dict:
    """The hooks are `language: system`: they find ruff, nbstripout and python on PATH (this environment)."""
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_COURSE_ROOT"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    return env


def test_pre_commit_config_runs_the_tools_of_the_dev_extra_offline():
    repos = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    assert [r["repo"] for r in repos] == ["local"]  # nothing to clone
    assert {h["language"] for h in HOOKS} <= {"system", "unsupported"}
    entries = {h["id"]: h["entry"] for h in HOOKS}
    assert entries["ruff-check"].startswith("ruff check") and entries["ruff-format"].startswith("ruff format")
    assert entries["nbstripout"].split()[0] == "nbstripout" and "--keep-id" in entries["nbstripout"]
    assert entries["autograder-release-check"] == "python -m autograder release --check"


@pytest.mark.skipif(
    not Path(sys.executable).with_name("nbstripout").exists(),
    reason="nbstripout is not installed (pip install -e .[dev])",
)
def test_committed_notebooks_pass_the_nbstripout_hook():
    """The hook's own command, as a dry run (--verify), over every committed notebook."""
    (hook,) = [h for h in HOOKS if h["id"] == "nbstripout"]
    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    notebooks = files.stdout.split()
    assert len(notebooks) >= 10
    bin_dir = Path(sys.executable).parent
    cmd = [str(bin_dir / hook["entry"].split()[0]), *hook["entry"].split()[1:], "--verify", *notebooks]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A git repository holding the tiny course, released, with this repository's hooks and ruff settings."""
    import tiny_course

    repo = tmp_path_factory.mktemp("hooks")
    tiny_course.write_course(repo)
    shutil.copy(ROOT / ".pre-commit-config.yaml", repo)
    shutil.copy(ROOT / "pyproject.toml", repo)
    shutil.copy(ROOT / "nbgrader_config.py", repo)
    env = _tool_env(repo)
    ruff = Path(sys.executable).with_name("ruff")
    # the tiny course's text is not ruff-clean (import order, blank lines): make it so, as an author would
    for cmd in ([ruff, "check", "--fix", "-q", "."], [ruff, "format", "-q", "."]):
        subprocess.run(cmd, cwd=repo, env=env, check=True)
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "release"], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    assert p.returncode == 0, p.stdout + p.stderr
    (repo / "tools").mkdir()
    (repo / "tools" / "clean.py").write_text('"""A clean module."""\n\nimport math\n\nTAU = 2 * math.pi\n')
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(cmd, cwd=repo, check=True)
    return repo, env


def pre_commit(repo, env, *args):
    """`pre-commit run ARGS` with the work tree staged, as in a commit (pre-commit sees a hook's
    rewrite of a file as a change to the staged version)."""
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    p = subprocess.run(
        [str(PRE_COMMIT), "run", "--color", "never", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return p.returncode, p.stdout + p.stderr


@pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed (pip install -e .[dev])")
def test_pre_commit_hooks_pass_a_clean_tree_and_stop_each_kind_of_dirt(hook_repo):
    repo, env = hook_repo
    rc, out = pre_commit(repo, env, "--all-files")
    assert rc == 0, out
    for hook in ("ruff check", "ruff format", "nbstripout", "autograder release --check"):
        assert re.search(rf"{re.escape(hook)}.*Passed", out), (hook, out)

    # ruff check: an unused import
    bad = repo / "tools" / "lint.py"
    bad.write_text("import os\n")
    rc, out = pre_commit(repo, env, "ruff-check", "--files", "tools/lint.py")
    assert rc != 0 and "F401" in out, out
    bad.unlink()

    # ruff format: rewrites an unformatted file (pre-commit then fails)
    ugly = repo / "tools" / "ugly.py"
    ugly.write_text("x = [1,2,\n  3]\n")
    rc, out = pre_commit(repo, env, "ruff-format", "--files", "tools/ugly.py")
    assert rc != 0 and "files were modified by this hook" in out, out
    assert ugly.read_text() == "x = [1, 2, 3]\n"
    ugly.unlink()

    # nbstripout: a notebook with outputs is stripped, and the hook fails
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=1)])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[0]["id"] = "fixed-id"
    path = repo / "scratch.ipynb"
    nbformat.write(nb, str(path))
    rc, out = pre_commit(repo, env, "nbstripout", "--files", "scratch.ipynb")
    assert rc != 0 and "files were modified by this hook" in out, out
    stripped = nbformat.read(str(path), as_version=4).cells[0]
    assert stripped.outputs == [] and stripped.execution_count is None and stripped["id"] == "fixed-id"
    rc, out = pre_commit(repo, env, "nbstripout", "--files", "scratch.ipynb")  # now clean
    assert rc == 0, out
    path.unlink()

    # autograder release --check: solutions/ edited without `autograder release`
    (src,) = (repo / "solutions").glob("*/*.ipynb")
    before = src.read_text(encoding="utf-8")
    edited = nbformat.read(str(src), as_version=4)
    edited.cells.insert(1, nbformat.v4.new_markdown_cell("새 설명 문단."))
    edited.cells[1]["id"] = "new-paragraph"
    nbformat.write(edited, str(src))
    rc, out = pre_commit(repo, env, "autograder-release-check", "--files", src.relative_to(repo).as_posix())
    assert rc != 0 and "differs" in out, out
    src.write_text(before, encoding="utf-8")  # (the clean run above passed the same hook on this file)


def test_readme_test_command_lints_and_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("**Run the tests**") :]
    command = re.search(r"```bash\n(.*?)\n```", block, flags=re.DOTALL).group(1)
    assert "\n" not in command  # one line
    steps = command.split(" && ")
    assert steps[:2] == ["python3 -m venv .venv", '.venv/bin/pip install -q -e ".[course,instructor,dev]"']
    assert steps[2:4] == [".venv/bin/ruff check .", ".venv/bin/ruff format --check ."]
    assert steps[-1].startswith(".venv/bin/python -m pytest")
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci_lines
