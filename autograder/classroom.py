"""GitHub Classroom: the student template repository and the result its workflow reports.

``autograder classroom-template OUT_DIR`` writes a repository students get a copy of:

    assignments/<id>/...                 the release (no solutions, no hidden tests)
    checks/<id>/public.py                public checks
    checks/<id>/public_reference.json    the reference outputs the public checks compare with
    course.yaml, autograder/, pyproject.toml   the student package (engine's student side, public
                                         checks as package data): `autograder check` works offline,
                                         and a notebook's `%pip install git+<this repository>` builds it
    requirements.txt                     CPU build of torch and what the notebooks import
    README.md                            how to open, check and push (Korean)
    .github/workflows/classroom.yml      grades on push; reports to Classroom

Nothing else: no ``solutions/``, no ``checks/<id>/hidden.py``; :func:`leaks` checks every
file for solution or hidden-test text before the template is written.

``autograder classroom-report PATH...`` grades and writes, per assignment, the result in the
format ``classroom-resources/autograding-grading-reporter`` reads (its ``src/main.js``: for each
runner id in ``runners``, the env var ``<RUNNER_ID upper-cased>_RESULTS`` holds base64 of a JSON
object; ``src/notify-classroom.js`` adds ``max_score`` of each runner and the ``score`` of each
of its ``tests``). That is the object ``classroom-resources/autograding-command-grader`` emits
(``version``, ``status``, ``max_score``, ``tests`` with ``name``, ``status``, ``score``,
``message``, ``test_code``, ``filename``, ``line_no``, ``duration``), but with one test per check
and its own score, so Classroom gets partial credit per check rather than all or nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path

from . import errors
from .course import CourseTree

ENGINE_DIR = Path(__file__).resolve().parent
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True")
# modules a notebook may import -> the distribution that provides them
DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml", "cv2": "opencv-python-headless"}
# What Classroom CI installs besides the notebooks' imports: the engine's core dependencies, scipy for the
# public checks (checks/04_augmentation/public.py), ipykernel for JupyterLab (tests/test_packaging.py).
ENGINE_REQUIREMENTS = ["numpy", "scipy", "nbformat", "pydantic", "pyyaml", "rich", "ipython", "ipykernel"]
STDLIB = set(getattr(sys, "stdlib_module_names", ())) | {"autograder", "__future__"}


def runner_id(assignment_id: str) -> str:
    """Step output / runner name for an assignment: letters and digits only (the reporter
    upper-cases it into an environment variable name)."""
    return "a" + re.sub(r"[^a-z0-9]", "", assignment_id.lower())


# ------------------------------------------------------------------------------------------
# the result the reporter reads
# ------------------------------------------------------------------------------------------
def runner_result(result, *, assignment_path: str = "") -> dict:
    """One runner's result object (see module docstring) for one assignment."""
    from .verdict import hide_probe_frames

    tests = []
    for c in result.checks:
        status = "pass" if c.status == "passed" else "fail"
        message = c.message if c.visibility == "public" else hide_probe_frames(c.message)
        label = "" if c.visibility == "public" else " (비공개 검사)"
        tests.append(
            {
                "name": f"{c.exercise} · {c.id}{label}",
                "status": status,
                "score": c.score,
                "message": message[:2000],
                "test_code": "" if status == "pass" else "\n".join(message.splitlines()[:6])[:600],
                "filename": assignment_path,
                "line_no": 0,
                "duration": 0,
            }
        )
    if result.problem and not result.checks:
        tests.append(
            {
                "name": f"{result.id}: 채점할 수 없음",
                "status": "fail",
                "score": 0,
                "message": result.problem,
                "test_code": result.problem[:600],
                "filename": assignment_path,
                "line_no": 0,
                "duration": 0,
            }
        )
    max_score = result.max_score
    status = "pass" if tests and all(t["status"] == "pass" for t in tests) else "fail"
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def encode_result(obj: dict) -> str:
    return base64.b64encode(json.dumps(obj, ensure_ascii=False).encode("utf-8", "backslashreplace")).decode("ascii")


def classroom_report(
    tree: CourseTree, paths, *, output: str | None = None, hidden: bool = False, sandbox: bool = True
) -> int:
    from .pipeline import grade_paths
    from .report import feedback_markdown, print_table

    visibilities = ("public", "hidden") if hidden else ("public",)
    results = grade_paths(tree, paths, visibilities=visibilities, sandbox=sandbox)
    print_table(results, details=True)
    for problem in dict.fromkeys(r.problem for r in results if r.problem and not r.problem.startswith("제출하지")):
        print(f"error: {problem}", file=sys.stderr)  # e.g. a linked notebook: 0 points, one line saying why
    by_id = {r.id: r for r in results}
    lines = []
    for a in tree.model.assignments:
        r = by_id.get(a.id)
        if r is None:
            continue
        path = f"assignments/{a.notebook}"
        lines.append(f"{runner_id(a.id)}={encode_result(runner_result(r, assignment_path=path))}")
    target = output or os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        from .batch import public_check_sources

        for r in results:
            for c in r.checks:
                if c.visibility != "public":
                    from .verdict import hide_probe_frames

                    c.message = hide_probe_frames(c.message)
        with open(summary, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write(feedback_markdown(results, check_sources=public_check_sources(tree)) + "\n")
    return errors.EXIT_OK


# ------------------------------------------------------------------------------------------
# the template repository
# ------------------------------------------------------------------------------------------
def notebook_imports(paths) -> set[str]:
    import nbformat

    mods = set()
    pat = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w]*)[\w.]*\s+import|import\s+([A-Za-z_][\w., ]*))", re.MULTILINE)
    for p in paths:
        nb = nbformat.read(str(p), as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for m in pat.finditer(cell.source):
                if m.group(1):
                    mods.add(m.group(1))
                else:
                    for part in m.group(2).split(","):
                        name = part.strip().split(" ")[0].split(".")[0]
                        if name:
                            mods.add(name)
    return {m for m in mods if m not in STDLIB}


def requirements_text(tree: CourseTree) -> str:
    mods = notebook_imports(sorted(tree.release_dir.glob("*/*.ipynb")))
    dists = set(ENGINE_REQUIREMENTS) | {DISTRIBUTIONS.get(m, m) for m in mods}
    dists.discard("torch")
    lines = [
        "# Everything the notebooks and `autograder check` need (CPU only; no GPU needed).",
        f"--extra-index-url {TORCH_CPU_INDEX}",
        f"torch=={_version('torch').split('+')[0]}",
    ]
    for d in sorted(dists, key=str.lower):
        v = _version(d)
        lines.append(f"{d}=={v}" if v else d)
    lines.append("-e .  # the grader package (autograder), so notebooks can import it")
    return "\n".join(lines) + "\n"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


README = """\
# {title}

이 저장소는 과제 제출용 저장소입니다. 노트북을 풀고 **commit & push** 하면 GitHub Actions가 공개 검사로
자동 채점합니다. 최종 점수는 강사가 마감 후 비공개 검사까지 포함해 다시 채점한 점수입니다.

과제: {assignments}
{colab}
## 1. 설치 (Python 3.11, 한 번만)

```bash
python -m venv .venv
source .venv/bin/activate            # Windows: .venv\\Scripts\\activate
pip install -r requirements.txt      # CPU용 PyTorch 포함 (GPU 필요 없음)
pip install jupyterlab               # 또는 VS Code의 Jupyter 확장
```

## 2. 노트북 열기 (JupyterLab)

1. 위 설치를 마친 가상환경에서 `jupyter lab assignments/` 를 실행합니다.
2. `<과제>/<과제>.ipynb`를 엽니다.
3. 맨 위 코드 셀(설정 셀)부터 차례로 실행합니다.

`raise NotImplementedError()`가 있는 답안 셀만 고치세요. 셀을 지우거나 이름(grade_id)을 바꾸지 마세요.
각 답안 아래의 검사 셀(`checks.run(...)`)을 실행하면 그 자리에서 공개 검사 결과가 나옵니다.
노트북 파일 하나만 다른 곳(다른 폴더, 다른 Jupyter)에서 열어도 됩니다: 설정 셀이 채점 패키지가 없으면
`%pip install`로 한 번 설치합니다.

## 3. 제출 전에 검사하기

```bash
autograder check assignments/                       # 모든 과제
autograder check assignments/03_dropout/03_dropout.ipynb   # 한 과제
```

## 4. 제출하기

```bash
git add assignments/
git commit -m "과제 풀이"
git push
```

push 할 때마다 GitHub의 **Actions** 탭에서 채점 결과(공개 검사 점수와 실패 이유)를 볼 수 있습니다.
`.github/`, `checks/`, `autograder/`는 고치지 마세요: 강사 채점은 원본 검사로 다시 하므로 점수가 바뀌지 않습니다.
"""

COLAB = """
## Colab에서 풀기

설치 없이 브라우저에서 풀 수 있습니다 (GPU 필요 없음).

{links}

1. 위 링크로 노트북을 열고 **드라이브에 사본 저장**을 누릅니다.
2. 맨 위 코드 셀(설정 셀)부터 실행합니다. 채점 패키지가 없으면 설정 셀이 `%pip install`로 한 번 설치합니다.
3. 다 풀면 **파일 → 다운로드 → .ipynb**로 받아 이 저장소의 `assignments/<과제>/<과제>.ipynb`에 덮어쓰고 push 합니다.
"""


WORKFLOW = """\
# GitHub Classroom autograding: grades the notebooks with the public checks on every push and
# reports per-check partial credit to Classroom (classroom-resources/autograding-grading-reporter).
# The reporter requires this workflow's name and its single job's id exactly as written here.
# Fast feedback only: the authoritative grade is the instructor's batch regrade of the repository.
name: Autograding Tests
on:
  push:
  workflow_dispatch:
  repository_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Checkout the submission
        uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: requirements.txt
      - name: Install (CPU torch)
        run: python -m pip install -r requirements.txt
      # Optional hidden checks: set the repository (or organization) variable INSTRUCTOR_REPO to
      # owner/name of the private instructor repository and the secret INSTRUCTOR_REPO_TOKEN to a
      # fine-grained, read-only token for that one repository. The token is used by this step only:
      # not persisted in .git/config, never in the grading step's environment.
      - name: Fetch the instructor's checks (optional)
        if: ${{{{ vars.INSTRUCTOR_REPO != '' }}}}
        uses: actions/checkout@v4
        with:
          repository: ${{{{ vars.INSTRUCTOR_REPO }}}}
          token: ${{{{ secrets.INSTRUCTOR_REPO_TOKEN }}}}
          path: .instructor
          persist-credentials: false
      - name: Grade
        id: grade
        run: |
          if [ -f .instructor/course.yaml ]; then
            python -m autograder --root .instructor classroom-report assignments --hidden
          else
            python -m autograder classroom-report assignments
          fi
      - name: Report to GitHub Classroom
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}
        with:
          runners: {runners}
"""


def workflow_text(tree: CourseTree) -> str:
    ids = [runner_id(a.id) for a in tree.model.assignments]
    env = "\n".join(f'          {r.upper()}_RESULTS: "${{{{ steps.grade.outputs.{r} }}}}"' for r in ids)
    return WORKFLOW.format(env=env, runners=",".join(ids))


def _public_corpus(tree: CourseTree) -> str:
    """Text that is public anyway: the released notebooks, public checks and the engine."""
    parts = []
    for pattern_root, pattern in (
        (tree.release_dir, "*/*.ipynb"),
        (tree.checks_dir, "*/public.py"),
        (ENGINE_DIR, "*.py"),
    ):
        for p in sorted(Path(pattern_root).glob(pattern)):
            parts.append(p.read_text(encoding="utf-8", errors="replace"))
    if tree.release_dir.is_dir():
        import nbformat

        for p in sorted(tree.release_dir.glob("*/*.ipynb")):  # cell sources as plain text, not JSON-escaped
            parts += [c.source for c in nbformat.read(str(p), as_version=4).cells]
    return "\n".join(parts)


def _forbidden_texts(tree: CourseTree) -> list[tuple[str, str]]:
    """(label, line) pairs that must not appear in any template file: lines of the hidden checks
    and of the reference solutions' regions (>= 25 characters, and not already public through
    the release, the public checks or the engine)."""
    candidates = []
    for a in tree.model.assignments:
        hidden = tree.checks_dir / a.id / "hidden.py"
        if hidden.exists():
            for line in hidden.read_text(encoding="utf-8").splitlines():
                candidates.append((f"checks/{a.id}/hidden.py", line.strip()))
        src = tree.source_notebook(a)
        if src.exists():
            from .extract import index_cells
            from .load import load_notebook

            for gid, cell in index_cells(load_notebook(src)).by_id.items():
                if cell.cell_type != "code" or "### BEGIN SOLUTION" not in cell.source:
                    continue
                inside = False
                for line in cell.source.splitlines():
                    s = line.strip()
                    if s == "### BEGIN SOLUTION":
                        inside = True
                    elif s == "### END SOLUTION":
                        inside = False
                    elif inside:
                        candidates.append((f"solutions/{a.notebook} ({gid})", s))
    public = _public_corpus(tree)
    out, seen = [], set()
    for label, s in candidates:
        if len(s) < 25 or s.startswith(("#", '"""', "import ", "from ")) or s in public or s in seen:
            continue
        seen.add(s)
        out.append((label, s))
    return out


def leaks(root: Path, forbidden: list[tuple[str, str]]) -> list[str]:
    """Every file under ``root`` that holds solution or hidden-test text."""
    problems = []
    for p in sorted(Path(root).rglob("*")):
        if not p.is_file() or ".git" in p.relative_to(root).parts:
            continue
        rel = p.relative_to(root).as_posix()
        if p.name == "hidden.py" or rel.startswith("solutions/"):
            problems.append(f"{rel}: must not be in the student template")
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if not (rel.startswith("autograder/") and rel.endswith(".py") and rel.count("/") == 1):
            # the engine names the markers in its own code and docs; its packaged public checks do not
            for marker in LEAK_MARKERS:
                if marker in text:
                    problems.append(f"{rel}: contains '{marker}'")
        for label, line in forbidden:
            if line in text:
                problems.append(f"{rel}: contains a line of {label}: {line[:60]!r}")
    return problems


def build_template(tree: CourseTree, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the student template repository into ``out_dir``; returns its files."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise errors.InputError(
                out_dir, "이미 있는 폴더입니다 (exists and is not empty; use --force to replace it)"
            )
        shutil.rmtree(out_dir)
    missing = [a.id for a in tree.model.assignments if not tree.release_notebook(a).exists()]
    if missing:
        raise errors.InputError(
            tree.release_dir, f"no released notebook for {', '.join(missing)}; run `autograder release`"
        )
    stale = [
        a.id
        for a in tree.model.assignments
        if (tree.checks_dir / a.id / "public.py").exists()
        and not (tree.checks_dir / a.id / "public_reference.json").exists()
    ]
    if stale:
        raise errors.InputError(
            tree.checks_dir, f"no public_reference.json for {', '.join(stale)}; run `autograder release`"
        )
    staging = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(tree.release_dir, staging / "assignments", ignore=ignore)
    for a in tree.model.assignments:
        for name in ("public.py", "public_reference.json"):
            src = tree.checks_dir / a.id / name
            if src.exists():
                (staging / "checks" / a.id).mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, staging / "checks" / a.id / name)
    shutil.copy2(tree.path, staging / "course.yaml")
    from .student import colab_url, write_package_source

    # autograder/ (student side, with the public checks as package data) and pyproject.toml: the
    # student package, which `%pip install git+<this repository>` in a notebook's setup cell builds
    write_package_source(tree, staging)
    title = tree.model.course.title
    (staging / "requirements.txt").write_text(requirements_text(tree))
    listing = ", ".join(f"`{a.id}` ({a.title}, 마감 {a.due:%Y-%m-%d %H:%M})" for a in tree.model.assignments)
    colab = ""
    if tree.model.student is not None:
        links = "\n".join(
            f"- [{a.id}: {a.title}]({colab_url(tree, a)}) "
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(tree, a)})"
            for a in tree.model.assignments
        )
        colab = COLAB.format(links=links)
    (staging / "README.md").write_text(README.format(title=title, assignments=listing, colab=colab), encoding="utf-8")
    (staging / ".github" / "workflows").mkdir(parents=True)
    (staging / ".github" / "workflows" / "classroom.yml").write_text(workflow_text(tree))
    (staging / ".gitignore").write_text(".venv/\n__pycache__/\n*.pyc\n.ipynb_checkpoints/\n.cache/\n*.egg-info/\n")
    problems = leaks(staging, _forbidden_texts(tree))
    if problems:
        shutil.rmtree(staging, ignore_errors=True)
        raise errors.InputError(out_dir, "the template would leak solutions or hidden checks:\n" + "\n".join(problems))
    staging.rename(out_dir)
    return sorted(p.relative_to(out_dir) for p in out_dir.rglob("*") if p.is_file())


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()
