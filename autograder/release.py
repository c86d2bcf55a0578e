"""``autograder release``: the student release, generated from the instructor's sources.

For every assignment of course.yaml:

0. With a ``student`` setting in course.yaml, each source notebook's setup cell gets the lines
   that import the checks, installing the student package with one ``%pip install`` where it is
   missing, and the version of its public checks (:mod:`autograder.student`); the stores of
   step 2 are written first, as that version is their digest. Each released notebook gets an
   "Open in Colab" cell after its intro cell.
1. ``nbgrader generate_assignment`` (the real nbgrader CLI) turns ``solutions/<id>/`` into
   ``assignments/<id>/``: solution regions become stubs, hidden test regions are removed,
   outputs are cleared, read-only cells are locked. The gradebook it needs lives in a
   temporary folder, never in the repository.
2. The public checks run with the reference solution on both sides; every reference call
   they make is recorded into ``checks/<id>/public_reference.json`` (sorted keys), which is
   what students' ``autograder check`` compares against when ``solutions/`` is absent.

``release --check`` does the same into a temporary folder and lists every file that differs
from the committed one. Notebooks and other files must match byte for byte; reference stores
are compared by value (same probe calls; numbers equal to 1e-9 relative), because the last
bits of a float computed on another CPU may differ and that never changes a verdict.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .course import Assignment, CourseTree
from .errors import UsageError
from .fsutil import atomic_write

LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class ReleaseError(UsageError):
    """Release could not be produced (nbgrader failed, the reference fails its own checks...)."""


# ------------------------------------------------------------------------------------------
# nbgrader generate_assignment
# ------------------------------------------------------------------------------------------
def nbgrader_command() -> list[str]:
    exe = Path(sys.executable).with_name("nbgrader")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]


def nbgrader_course_args(
    tree: CourseTree, *, db_dir: Path, release_dir: Path | None = None, submitted_dir: Path | None = None
) -> list[str]:
    """Command-line settings that map nbgrader's course directory onto this repository
    (the same mapping as nbgrader_config.py, spelled out so no config file is needed)."""
    args = [
        f"--CourseDirectory.root={tree.root}",
        "--CourseDirectory.source_directory=solutions",
        f"--CourseDirectory.release_directory={release_dir or 'assignments'}",
        f"--CourseDirectory.db_url=sqlite:///{Path(db_dir) / 'gradebook.db'}",
        f"--CourseDirectory.course_id={tree.model.course.id}",
    ]
    if submitted_dir is not None:
        args.append(f"--CourseDirectory.submitted_directory={submitted_dir}")
    return args


def run_nbgrader(args: list[str], *, cwd: Path, what: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    env["JUPYTER_CONFIG_DIR"] = str(Path(cwd) / ".jupyter")  # no instructor-wide config leaks in
    proc = subprocess.run(nbgrader_command() + args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise ReleaseError(f"nbgrader {what} failed (exit {proc.returncode}):\n{tail}")
    return proc


def preflight(tree: CourseTree, chosen) -> list[str]:
    """Problems nbgrader would fail on with a long traceback, as one line each: a marker
    (``BEGIN SOLUTION``, ``BEGIN HIDDEN TESTS``...) in a cell that is not the right kind of
    cell (e.g. prose quoting it), or a region that is not closed."""
    from .load import load_notebook

    problems = []
    for a in chosen:
        path = tree.source_notebook(a)
        nb = load_notebook(path)
        rel = os.path.relpath(path, tree.root)
        for i, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            where = f"{rel}: cell {i} ({cell.cell_type}, grade_id {meta.get('grade_id')!r})"
            src = cell.source
            for begin, end, ok, kind in (
                ("BEGIN SOLUTION", "END SOLUTION", meta.get("solution"), "a solution cell"),
                (
                    "BEGIN HIDDEN TESTS",
                    "END HIDDEN TESTS",
                    meta.get("grade") and not meta.get("solution"),
                    "a graded test cell",
                ),
            ):
                if begin not in src and end not in src:
                    continue
                if not ok:
                    problems.append(
                        f"{where}: mentions '{begin if begin in src else end}' but is not {kind}; nbgrader "
                        "treats every such line as a marker (reword it, e.g. 'the solution region')"
                    )
                elif src.count(begin) != src.count(end):
                    problems.append(f"{where}: '{begin}' and '{end}' do not pair up")
    return problems


def course_gradebook(tree: CourseTree) -> Path:
    """nbgrader's gradebook for this course: under .cache/ (git-ignored), never committed."""
    return Path(tree.root).resolve() / ".cache" / "nbgrader" / "gradebook.db"


def generate_assignments(
    tree: CourseTree, ids: list[str], release_dir: Path, work: Path, db: Path | None = None
) -> list[Path]:
    """nbgrader's ``generate_assignment`` for ``ids`` into ``release_dir/<id>/``.

    The apps run through ``nbgrader.apps.NbGraderAPI`` (exactly what the ``nbgrader
    generate_assignment`` command runs) in one subprocess: the command costs ~15 s of start-up
    per assignment, the API ~10 s once and ~0.4 s per further assignment."""
    release_dir = Path(release_dir).resolve()
    release_dir.mkdir(parents=True, exist_ok=True)
    if db:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    for aid in ids:
        if (release_dir / aid).exists():
            shutil.rmtree(release_dir / aid)
    spec = {
        "root": str(Path(tree.root).resolve()),
        "course_id": tree.model.course.id,
        "release_dir": str(release_dir),
        "db_url": f"sqlite:///{Path(db) if db else Path(work).resolve() / 'gradebook.db'}",
        "assignments": list(ids),
    }
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(Path(work) / ".jupyter")  # no instructor-wide config leaks in
    env.setdefault("PYTHONWARNINGS", "ignore")
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.nbgrader_ext", "generate", json.dumps(spec)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,  # the exit status is turned into a ReleaseError below
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise ReleaseError(f"nbgrader generate_assignment failed (exit {proc.returncode}):\n{tail}")
    outs = []
    for aid in ids:
        out = release_dir / aid
        nb = out / f"{aid}.ipynb"
        if not nb.exists():
            raise ReleaseError(f"nbgrader generate_assignment {aid} wrote no {nb}")
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.suffix in (".ipynb", ".py", ".md", ".txt"):
                text = path.read_text(encoding="utf-8", errors="replace")
                for marker in LEAK_MARKERS:
                    if marker in text:
                        raise ReleaseError(
                            f"{path}: '{marker}' survived the release (a malformed solution or hidden-test region)"
                        )
        outs.append(out)
    return outs


# ------------------------------------------------------------------------------------------
# public reference store
# ------------------------------------------------------------------------------------------
def public_reference(tree: CourseTree, a: Assignment, *, cache_dir: Path | None = None) -> dict:
    """{probe key: encoded reference result} of every reference call the public checks make."""
    from . import wire
    from .checks import load_checks
    from .context import apply_settings
    from .extract import reference_program
    from .load import load_notebook
    from .reference import ReferenceSession, default_cache_dir
    from .verdict import run_checks

    apply_settings(tree)
    specs = load_checks(tree.checks_dir, a.id, ("public",))
    if not specs:
        return {}
    program = reference_program(a, load_notebook(tree.source_notebook(a)))
    ref = ReferenceSession(program, cache_dir=cache_dir if cache_dir is not None else default_cache_dir(tree.root))
    record: dict = {}

    def reference(probe, kw):
        enc = ref.encoded(probe, kw)
        record[probe.key(kw)] = enc
        return wire.decode(enc)

    try:
        results = run_checks(
            specs,
            a.id,
            student=ref.call,
            reference=reference,
            seed_base=tree.model.grading.seed,
        )
    finally:
        ref.close()
    bad = [r for r in results if r.status != "passed"]
    if bad:
        lines = "\n".join(f"  {r.id}: {r.status}: {r.message.splitlines()[0] if r.message else ''}" for r in bad)
        raise ReleaseError(f"{a.id}: the reference solution fails its own public checks:\n{lines}")
    return record


def dump_store(record: dict) -> str:
    return json.dumps(record, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def same_values(x, y, rtol: float = 1e-9, atol: float = 1e-300) -> bool:
    """Encoded results equal as values (arrays decoded; floats to ``rtol``)."""
    import numpy as np

    from . import wire

    if isinstance(x, dict) and set(x) == {"__ndarray__"} and isinstance(y, dict) and set(y) == {"__ndarray__"}:
        if x == y:
            return True
        a, b = wire.decode(x), wire.decode(y)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(same_values(x[k], y[k], rtol, atol) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(same_values(u, v, rtol, atol) for u, v in zip(x, y, strict=False))
    if isinstance(x, float) and isinstance(y, (int, float)) and not isinstance(y, bool):
        return bool(np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True))
    return type(x) is type(y) and x == y


def stores_agree(path_a: Path, path_b: Path) -> bool:
    try:
        a = json.loads(Path(path_a).read_text(encoding="utf-8"))
        b = json.loads(Path(path_b).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return same_values(a, b)


# ------------------------------------------------------------------------------------------
# the whole release, and its check
# ------------------------------------------------------------------------------------------
def _chosen(tree: CourseTree, assignments) -> list[Assignment]:
    chosen = [a for a in tree.model.assignments if assignments is None or a.id in assignments]
    missing = [a.id for a in chosen if not tree.source_notebook(a).exists()]
    if missing:
        raise ReleaseError(f"no source notebook for {', '.join(missing)} (solutions/<id>/<id>.ipynb)")
    problems = preflight(tree, chosen)
    if problems:
        raise ReleaseError("\n".join(problems))
    return chosen


def write_references(tree: CourseTree, chosen, out_root: Path, log) -> list[Path]:
    written = []
    for a in chosen:
        log(f"{a.id}: public reference outputs")
        record = public_reference(tree, a)
        store = Path(out_root) / "checks" / a.id / "public_reference.json"
        atomic_write(store, dump_store(record))
        written.append(store.relative_to(out_root))
    return written


def build_release(
    tree: CourseTree, out_root: Path, *, assignments=None, log=None, db: Path | None = None, references: bool = True
) -> list[Path]:
    """Write ``out_root/assignments/<id>/`` and (with ``references``)
    ``out_root/checks/<id>/public_reference.json``. Returns the written files (relative to
    ``out_root``). With ``db``, nbgrader records the source cells in that gradebook (what
    ``nbgrader autograde`` needs); else in a temporary one. With a ``student`` setting in
    course.yaml each notebook gets an "Open in Colab" cell after its first (intro) cell."""
    from .student import add_colab_cell

    log = log or (lambda msg: None)
    out_root = Path(out_root)
    chosen = _chosen(tree, assignments)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as work:
        work = Path(work)
        log(f"nbgrader generate_assignment {' '.join(a.id for a in chosen)}")
        for out in generate_assignments(tree, [a.id for a in chosen], out_root / "assignments", work, db=db):
            written += [p.relative_to(out_root) for p in sorted(out.rglob("*")) if p.is_file()]
        for a in chosen:
            add_colab_cell(tree, a, out_root / "assignments" / a.notebook)
        if references:
            written += write_references(tree, chosen, out_root, log)
    return written


def _files(folder: Path) -> set[Path]:
    if not folder.is_dir():
        return set()
    skip = {"__pycache__", ".ipynb_checkpoints"}
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and not skip & set(p.parts)}


def release(tree: CourseTree, *, assignments=None, log=None) -> list[Path]:
    """Regenerate the public reference stores, the setup cells of ``solutions/`` (the student
    package's install location and the public checks' version, :mod:`autograder.student`) and
    ``assignments/`` in the repository."""
    from .student import sync_source_notebooks

    log = log or (lambda msg: None)
    chosen = _chosen(tree, assignments)
    with tempfile.TemporaryDirectory(prefix="autograder-release-out-") as tmp:
        tmp = Path(tmp)
        # the stores first: each setup cell names the version (digest) of its public checks and store
        written = write_references(tree, chosen, tmp, log)
        for a in chosen:
            store = tmp / "checks" / a.id / "public_reference.json"
            committed = tree.checks_dir / a.id / "public_reference.json"
            if not (committed.exists() and stores_agree(committed, store)):  # same values: keep the bytes (no churn)
                atomic_write(committed, store.read_text(encoding="utf-8"))
        for line in sync_source_notebooks(tree, chosen, write=True):
            log(line.replace("differs from", "updated from").replace(" (run `autograder release`)", ""))
        written += build_release(
            tree, tmp, assignments=assignments, log=log, db=course_gradebook(tree), references=False
        )
        for a in chosen:  # replace each assignment's release folder as a whole (stale files go)
            dest = tree.release_dir / a.id
            new = tmp / "assignments" / a.id
            staging = tree.release_dir / f".{a.id}.new"
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(new, staging)
            old = tree.release_dir / f".{a.id}.old"
            shutil.rmtree(old, ignore_errors=True)
            if dest.exists():
                dest.rename(old)
            staging.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
    return written


def check_release(tree: CourseTree, *, assignments=None, log=None) -> list[str]:
    """One line per file whose committed version differs from what release would write."""
    from .student import sync_source_notebooks

    problems: list[str] = list(sync_source_notebooks(tree, _chosen(tree, assignments), write=False))
    with tempfile.TemporaryDirectory(prefix="autograder-release-check-") as tmp:
        tmp = Path(tmp)
        build_release(tree, tmp, assignments=assignments, log=log)
        chosen = [a for a in tree.model.assignments if assignments is None or a.id in assignments]
        for a in chosen:
            new_dir, old_dir = tmp / "assignments" / a.id, tree.release_dir / a.id
            new_files, old_files = _files(new_dir), _files(old_dir)
            for rel in sorted(new_files | old_files):
                shown = f"assignments/{a.id}/{rel.as_posix()}"
                if rel not in old_files:
                    problems.append(f"{shown}: missing (run `autograder release`)")
                elif rel not in new_files:
                    problems.append(
                        f"{shown}: not produced by the release from solutions/ (stale file; run `autograder release`)"
                    )
                elif not filecmp.cmp(new_dir / rel, old_dir / rel, shallow=False):
                    problems.append(f"{shown}: differs from what `autograder release` generates from solutions/{a.id}/")
            new_store = tmp / "checks" / a.id / "public_reference.json"
            old_store = tree.checks_dir / a.id / "public_reference.json"
            shown = f"checks/{a.id}/public_reference.json"
            if not old_store.exists():
                problems.append(f"{shown}: missing (run `autograder release`)")
            elif not stores_agree(new_store, old_store):
                problems.append(
                    f"{shown}: differs from the reference solution's outputs for the public checks "
                    "(run `autograder release`)"
                )
    return problems
