"""The student package: a notebook's public checks anywhere (Colab, JupyterLab, a lone notebook).

Design (issue 16):

- The student package is a distribution named ``<course id>-student`` (``dl-lecture09-student``)
  whose import name is ``autograder``, so a notebook's setup cell is the same everywhere. It holds
  the engine's student side (every module but the instructor-only ones in
  :data:`INSTRUCTOR_MODULES`) and ``autograder/_student/``: ``manifest.json`` plus, per assignment,
  ``public.py`` and ``public_reference.json``. Never ``hidden.py``, solutions or the reference
  cache (:func:`shipped_problems` scans a built wheel; the template's leak scan covers the rest).
- Outside a course checkout (no ``course.yaml`` above the working folder) ``Checks`` reads the
  packaged data (:func:`packaged_manifest`); inside one, the checkout's ``checks/`` as before.
- Versions: each assignment's *public digest* (its ``public.py`` and ``public_reference.json``)
  is written by ``autograder release`` into the notebook's setup cell
  (``Checks("03_dropout", version="…")``) and into the package's manifest; when a packaged
  ``Checks`` finds another digest it reports one Korean line saying to reinstall.
- The setup cell installs the package with one ``%pip install`` when the import fails, from
  ``student.package`` in course.yaml or else ``git+<student.repository>@<branch>`` (the Classroom
  template repository, whose pyproject.toml is this package's): :func:`setup_block`.
- The package does not pin torch: :data:`TORCH_RANGE`, so Colab's own torch is used.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
DATA_DIR_NAME = "_student"
DATA_DIR = ENGINE_DIR / DATA_DIR_NAME
# Instructor-only modules (they drive nbgrader or author notebooks); never imported by a
# notebook, `autograder check` or `classroom-report`.
INSTRUCTOR_MODULES = ("release.py", "nbgrader_ext.py", "authoring.py", "student.py")
# The supported torch range: what the probes and the notebooks use exists from 2.1 on; Colab ships
# a 2.x. Only the course's pinned 2.13.0 is tested here (tests/test_student_package.py).
TORCH_RANGE = "torch>=2.1,<3"
# The engine's core dependencies (pyproject.toml) plus what the public checks and notebooks import:
# scipy for checks/04_augmentation/public.py (tests/test_packaging.py keeps this list complete).
REQUIREMENTS = (
    "numpy>=1.24",
    "scipy>=1.10",
    "nbformat>=5.9",
    "pydantic>=2.5",
    "pyyaml>=6",
    "rich>=13",
    "ipython>=8",
    TORCH_RANGE,
    "scikit-learn>=1.3",
    "matplotlib>=3.7",
)
COLAB_MARK = "autograder_open_in_colab"  # metadata key of the release's "Open in Colab" cell


def package_name(tree) -> str:
    return f"{tree.model.course.id}-student"


def public_digest(checks_dir: Path, assignment_id: str) -> str:
    """12 hex digits naming one assignment's public checks and their reference outputs."""
    h = hashlib.sha256(assignment_id.encode() + b"\0")
    for name in ("public.py", "public_reference.json"):
        p = Path(checks_dir) / assignment_id / name
        h.update(name.encode() + b"\0" + (p.read_bytes() if p.exists() else b"<none>") + b"\0")
    return h.hexdigest()[:12]


def package_version(tree) -> str:
    from . import __version__

    h = hashlib.sha256()
    for a in tree.model.assignments:
        h.update(public_digest(tree.checks_dir, a.id).encode())
    return f"{__version__}+p{h.hexdigest()[:10]}"


def install_spec(tree) -> str | None:
    """What the setup cell's ``%pip install`` installs, or None without a ``student`` setting."""
    s = tree.model.student
    if s is None:
        return None
    return s.package or f"{package_name(tree)} @ git+{s.repository}@{s.branch}"


def colab_url(tree, a) -> str | None:
    s = tree.model.student
    if s is None:
        return None
    path = s.repository.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/{s.branch}/assignments/{a.notebook}"


# ------------------------------------------------------------------------------------------
# the setup cell and the "Open in Colab" cell
# ------------------------------------------------------------------------------------------
def setup_block(tree, a) -> str:
    """The setup cell's lines that import the checks, installing the package where it is missing."""
    spec = install_spec(tree)
    version = public_digest(tree.checks_dir, a.id)
    return (
        "try:\n"
        "    from autograder.notebook import Checks\n"
        "except ModuleNotFoundError:  # Colab, or this notebook on its own: install the check package once\n"
        f'    print("채점 패키지(autograder)가 없어 설치합니다 (한 번만, 1분 안쪽): {spec}")\n'
        f'    %pip install -q "{spec}"\n'
        "    from autograder.notebook import Checks\n"
        f'checks = Checks("{a.id}", version="{version}")'
    )


def synced_setup_source(source: str, block: str) -> str | None:
    """``source`` with its checks lines (``[try:] from autograder.notebook import Checks`` through
    ``checks = Checks(...)``) replaced by ``block``; None if it has no such lines."""
    lines = source.split("\n")
    try:
        i = next(k for k, line in enumerate(lines) if line.strip() == "from autograder.notebook import Checks")
        j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("checks = Checks("))
    except StopIteration:
        return None
    start = i - 1 if i > 0 and lines[i - 1].startswith("try:") else i
    return "\n".join(lines[:start] + block.split("\n") + lines[j + 1 :])


def colab_markdown(tree, a) -> str:
    url = colab_url(tree, a)
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})\n\n"
        "**어디서 풀까요?** Colab: 위 배지를 누르고 맨 위 셀(설정 셀)부터 실행하세요. 채점 패키지가 없으면 설정 셀이 "
        "`%pip install`로 한 번 설치합니다 (GPU 필요 없음). 결과는 **파일 → 다운로드 → .ipynb**로 받아 과제 저장소의 "
        f"`assignments/{a.notebook}`에 덮어쓰고 push 하세요.\n\n"
        "JupyterLab: (1) 과제 저장소를 clone 하고 `pip install -r requirements.txt jupyterlab` "
        f"(2) `jupyter lab assignments/` (3) `{a.id}/{a.id}.ipynb`를 열고 맨 위 셀부터 실행합니다. "
        "노트북 파일 하나만 받아 다른 곳에서 열어도 설정 셀이 필요한 것을 설치합니다."
    )


def sync_source_notebooks(tree, chosen, *, write: bool) -> list[str]:
    """Bring each source notebook's setup cell up to date with course.yaml and the public digest.
    Writes the changed notebooks when ``write``; returns one line per notebook that was (or,
    without ``write``, would be) changed."""
    import nbformat

    from .extract import index_cells
    from .load import load_notebook

    if tree.model.student is None:
        return []
    changed = []
    for a in chosen:
        path = tree.source_notebook(a)
        nb = load_notebook(path)
        cell = index_cells(nb).by_id.get("setup_imports")
        if cell is None:
            continue
        new = synced_setup_source(cell.source, setup_block(tree, a))
        if new is None:
            changed.append(
                f"solutions/{a.notebook}: setup cell has no `from autograder.notebook import Checks` "
                "... `checks = Checks(...)` lines"
            )
            continue
        if new != cell.source:
            changed.append(
                f"solutions/{a.notebook}: setup cell differs from course.yaml's student package "
                "or the public checks' version (run `autograder release`)"
            )
            if write:
                cell.source = new
                nbformat.write(nb, str(path))
    return changed


def add_colab_cell(tree, a, release_nb: Path) -> None:
    """Insert the "Open in Colab" cell after the released notebook's first (intro) cell."""
    import nbformat

    if tree.model.student is None:
        return
    nb = nbformat.read(str(release_nb), as_version=4)
    nb.cells = [c for c in nb.cells if not c.get("metadata", {}).get(COLAB_MARK)]
    cell = nbformat.v4.new_markdown_cell(colab_markdown(tree, a), metadata={COLAB_MARK: True})
    cell["id"] = "open-in-colab"  # fixed, so that a release is reproducible byte for byte
    nb.cells.insert(1 if nb.cells else 0, cell)
    nbformat.write(nb, str(release_nb))


# ------------------------------------------------------------------------------------------
# the package
# ------------------------------------------------------------------------------------------
PYPROJECT = """\
# The student package: autograder's student side and the public checks (autograder/_student/).
# Installed by a notebook's setup cell (`%pip install "{name} @ git+<this repository>"`) where it is
# missing. torch is a range, not a pin, so Colab's own torch is used.
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"
description = "{title} (student package: public checks)"
requires-python = ">=3.11"  # as the engine's pyproject.toml, which says why
dependencies = [
{deps}
]

[project.scripts]
autograder = "autograder.cli:main"

[tool.setuptools]
packages = ["autograder"]

[tool.setuptools.package-data]
autograder = ["_student/manifest.json", "_student/*/public.py", "_student/*/public_reference.json"]
"""


def pyproject_text(tree) -> str:
    deps = "\n".join(f'  "{d}",' for d in REQUIREMENTS)
    return PYPROJECT.format(
        name=package_name(tree),
        version=package_version(tree),
        title=tree.model.course.title.replace('"', "'"),
        deps=deps,
    )


def manifest(tree) -> dict:
    m = tree.model
    return {
        "course": m.course.id,
        "package": package_name(tree),
        "version": package_version(tree),
        "install": install_spec(tree),
        "seed": m.grading.seed,
        "tolerances": {k: [v.rtol, v.atol] for k, v in m.grading.tolerances.items()},
        "assignments": {
            a.id: {"version": public_digest(tree.checks_dir, a.id), "exercises": {e.id: e.points for e in a.exercises}}
            for a in m.assignments
        },
    }


def write_package_source(tree, dest: Path) -> None:
    """Write the package's source tree into ``dest`` (pyproject.toml, autograder/ with its data)."""
    dest = Path(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", DATA_DIR_NAME, *INSTRUCTOR_MODULES)
    shutil.copytree(ENGINE_DIR, dest / "autograder", ignore=ignore)
    data = dest / "autograder" / DATA_DIR_NAME
    for a in tree.model.assignments:
        for name in ("public.py", "public_reference.json"):
            src = tree.checks_dir / a.id / name
            if src.exists():
                (data / a.id).mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, data / a.id / name)
    data.mkdir(parents=True, exist_ok=True)
    (data / "manifest.json").write_text(
        json.dumps(manifest(tree), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (dest / "pyproject.toml").write_text(pyproject_text(tree), encoding="utf-8")


def build_wheel(tree, out_dir: Path) -> Path:
    """Build the student package's wheel into ``out_dir`` (pip + setuptools, no network)."""
    from .errors import InputError

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autograder-student-") as tmp:
        src = Path(tmp) / "src"
        write_package_source(tree, src)
        wheels = Path(tmp) / "wheels"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "-q",
                "-w",
                str(wheels),
                str(src),
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-10:])
            raise InputError(src, f"could not build the student package:\n{tail}")
        (wheel,) = wheels.glob("*.whl")
        problems = shipped_problems(wheel)
        if problems:
            raise InputError(wheel, "the student package would ship what it must not:\n" + "\n".join(problems))
        target = out_dir / wheel.name
        shutil.copy2(wheel, target)
    return target


def shipped_problems(wheel: Path) -> list[str]:
    """Every member of a built wheel that must not be there: hidden checks, solutions, the
    reference cache, instructor modules, or text of a solution or hidden-test region."""
    problems = []
    markers = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            parts = name.split("/")
            if (
                parts[-1] == "hidden.py"
                or "solutions" in parts
                or ".cache" in parts
                or "reference_cache" in name
                or (parts[0] == "autograder" and len(parts) == 2 and parts[1] in INSTRUCTOR_MODULES)
            ):
                problems.append(f"{name}: must not be in the student package")
                continue
            if f"/{DATA_DIR_NAME}/" in name:
                text = z.read(name).decode("utf-8", errors="replace")
                problems += [f"{name}: contains '{m}'" for m in markers if m in text]
    return problems
