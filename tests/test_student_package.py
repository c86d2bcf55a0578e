"""The student package (issue 16): a released notebook plus one installed wheel runs its public
checks anywhere: Colab, JupyterLab in a checkout, or one notebook alone in an empty folder.

The slow part is a test that is the student: a fresh virtual environment outside the repository
(``python -m venv``, no system site-packages), the wheel built by ``autograder student-package``
installed into it by the notebook's own setup cell (``%pip install``), and every released
notebook run alone in an empty folder with nbclient, once with its stubs and once with the
reference answers, whose scores must equal ``autograder check``'s in the repository.

Why the venv reuses installed packages: installing torch alone (CPU wheel, 761 MB unpacked) took
70 s here (`pip install --no-deps --target`), the rest more, and it needs the network; this venv's
setup (venv, links, the %pip install of the wheel) measured 0.3 + 2 + 18 s on a loaded machine. Instead
the venv gets one ``.pth`` line pointing at a folder of symlinks to exactly the distributions the
wheel's ``Requires-Dist`` (and ipykernel and pip, which Colab and Jupyter bring) resolve to, nothing
else: no ``autograder``, no nbgrader, no course files. pip installs the wheel with ``--no-index``
against them, which also proves the declared ranges accept an already-installed torch (what happens
in Colab: nothing is reinstalled).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from autograder import notebook as nbmod
from autograder.classroom import _forbidden_texts
from autograder.course import load_course
from autograder.extract import index_cells
from autograder.load import load_notebook
from autograder.student import (
    COLAB_MARK,
    TORCH_RANGE,
    colab_url,
    install_spec,
    public_digest,
    setup_block,
    shipped_problems,
    synced_setup_source,
    write_package_source,
)

pytestmark = pytest.mark.xdist_group("student-package")

ROOT = Path(__file__).resolve().parent.parent
TREE = load_course(ROOT)
AIDS = [a.id for a in TREE.model.assignments]
KERNEL = "lecture09-student-venv"


def setup_source(nb) -> str:
    return index_cells(nb).by_id["setup_imports"].source


# ------------------------------------------------------------------------------------------
# what release writes (cheap)
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("aid", AIDS)
def test_released_setup_cell_installs_from_course_yaml_and_names_its_checks_version(aid):
    a = TREE.model.assignment(aid)
    src = setup_source(load_notebook(TREE.release_notebook(a)))
    spec = install_spec(TREE)
    assert spec and TREE.model.student.repository in spec
    pip_lines = [line for line in src.splitlines() if line.strip().startswith("%pip")]
    assert pip_lines == [f'    %pip install -q "{spec}"'], src  # one %pip install, only where the import failed
    assert "except ModuleNotFoundError:" in src and "설치합니다" in src
    assert f'checks = Checks("{aid}", version="{public_digest(TREE.checks_dir, aid)}")' in src
    assert setup_block(TREE, a) in setup_source(load_notebook(TREE.source_notebook(a)))


def test_setup_block_sync_replaces_only_the_checks_lines_and_is_idempotent():
    a = TREE.model.assignment("03_dropout")
    old = (
        'import numpy as np\nfrom autograder.notebook import Checks\n\nchecks = Checks("03_dropout")\n'
        "torch.set_num_threads(1)"
    )
    new = synced_setup_source(old, setup_block(TREE, a))
    assert new.startswith("import numpy as np\ntry:\n") and new.endswith("\ntorch.set_num_threads(1)")
    assert synced_setup_source(new, setup_block(TREE, a)) == new
    assert synced_setup_source("import numpy as np\n", "x") is None


@pytest.mark.parametrize("aid", AIDS)
def test_released_notebook_has_open_in_colab_cell_after_its_intro(aid):
    a = TREE.model.assignment(aid)
    nb = load_notebook(TREE.release_notebook(a))
    cell = nb.cells[1]
    assert cell.cell_type == "markdown" and cell.metadata.get(COLAB_MARK)
    url = colab_url(TREE, a)
    assert url == (
        f"https://colab.research.google.com/github/"
        f"{TREE.model.student.repository.removeprefix('https://github.com/')}/blob/"
        f"{TREE.model.student.branch}/assignments/{aid}/{aid}.ipynb"
    )
    assert f"]({url})" in cell.source and "JupyterLab" in cell.source and "jupyter lab" in cell.source
    assert sum(bool(c.metadata.get(COLAB_MARK)) for c in nb.cells) == 1
    assert not any(c.metadata.get(COLAB_MARK) for c in load_notebook(TREE.source_notebook(a)).cells)


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """The Classroom template repository, built once for the tests that read it (read-only)."""
    from autograder.classroom import build_template

    tpl = tmp_path_factory.mktemp("template") / "tpl"
    build_template(TREE, tpl)
    return tpl


def test_template_readme_has_colab_links_and_jupyterlab_steps(template):
    readme = (template / "README.md").read_text(encoding="utf-8")
    for a in TREE.model.assignments:
        assert f"({colab_url(TREE, a)})" in readme
    assert "jupyter lab assignments/" in readme and "Colab" in readme
    pyproject = (template / "pyproject.toml").read_text()
    assert f'"{TORCH_RANGE}"' in pyproject and "torch==" not in pyproject
    # one version source: the template's package reports the engine's version (tests/test_packaging.py)
    import tomllib

    from autograder.student import package_version

    assert tomllib.loads(pyproject)["project"]["version"] == package_version(TREE)
    assert (template / "autograder" / "_student" / "manifest.json").is_file()
    assert not (template / "autograder" / "release.py").exists()


# ------------------------------------------------------------------------------------------
# the packaged checks, in this process (cheap)
# ------------------------------------------------------------------------------------------
@pytest.fixture()
def packaged(tmp_path, monkeypatch):
    """Checks as a student's kernel outside any checkout sees them: the package's data, no course.yaml."""
    write_package_source(TREE, tmp_path / "pkg")
    monkeypatch.setattr(nbmod, "DATA_DIR", str(tmp_path / "pkg" / "autograder" / "_student"))
    monkeypatch.delenv("AUTOGRADER_COURSE_ROOT", raising=False)
    monkeypatch.chdir(tmp_path / "pkg")  # no course.yaml here or above
    # nor next to the engine (find_root's last resort is the folder above autograder/)
    monkeypatch.setattr("autograder.course.__file__", str(tmp_path / "pkg" / "autograder" / "course.py"))
    monkeypatch.setattr(nbmod, "_PACKAGE_PARENT", str(tmp_path / "pkg"))
    return tmp_path / "pkg"


def test_packaged_checks_run_without_course_yaml(packaged):
    aid = "05_regularization"
    c = nbmod.Checks(aid, version=public_digest(TREE.checks_dir, aid))
    ns = {"np": __import__("numpy")}
    exec("def l2_penalty(params, lam):\n    raise NotImplementedError()\n", ns)
    report = c.run("l2_penalty", namespace=ns)
    assert c._packaged is not None and c._tree is None
    assert report.problem == "" and report.results and report.score == 0
    src = TREE.source_notebook(TREE.model.assignment(aid))
    exec(index_cells(load_notebook(src)).by_id["l2_penalty"].source, ns)
    good = c.run("l2_penalty", namespace=ns)
    assert good.passed and good.score == good.max_score > 0, good.text()


def test_stale_package_and_newer_notebook_say_so_in_one_korean_line(packaged):
    report = nbmod.Checks("03_dropout", version="000000000000").run("dropout_forward", namespace={})
    assert not report.results
    assert "\n" not in report.problem and "다릅니다" in report.problem, report.problem
    assert "000000000000" in report.problem and install_spec(TREE) in report.problem
    unknown = nbmod.Checks("99_new", version="abc").run("x", namespace={})
    assert "\n" not in unknown.problem and "99_new" in unknown.problem and "검사가 없습니다" in unknown.problem


def test_no_package_data_and_no_course_yaml_says_what_to_do(packaged, monkeypatch):
    monkeypatch.setattr(nbmod, "DATA_DIR", str(packaged / "nowhere"))
    report = nbmod.Checks("03_dropout").run("dropout_forward", namespace={})
    assert "설정 셀" in report.problem and not report.results


# ------------------------------------------------------------------------------------------
# the wheel
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("student-dist")
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "student-package", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    (whl,) = out.glob("*.whl")
    return whl


def test_wheel_ships_public_checks_only(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        texts = {n: z.read(n).decode("utf-8", errors="replace") for n in names}
    for aid in AIDS:
        assert f"autograder/_student/{aid}/public.py" in names
        assert f"autograder/_student/{aid}/public_reference.json" in names
    assert not [n for n in names if n.endswith("hidden.py") or "solutions/" in n or ".cache/" in n]
    assert "autograder/release.py" not in names and "autograder/nbgrader_ext.py" not in names
    assert shipped_problems(wheel) == []
    forbidden = _forbidden_texts(TREE)
    assert forbidden  # the scan has something to look for
    leaked = [(n, label) for n, text in texts.items() for label, line in forbidden if line in text]
    assert leaked == []
    assert sum(z.file_size for z in zipfile.ZipFile(wheel).infolist()) < 2_000_000  # small


def test_pip_install_of_the_template_builds_the_same_package(wheel, template, tmp_path):
    """What `%pip install git+<template repository>` builds: the same files as the released wheel."""
    shutil.copytree(template, tmp_path / "tpl")  # setuptools builds in the source tree: not in the shared one
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(tmp_path / "w"),
            str(tmp_path / "tpl"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    (built,) = (tmp_path / "w").glob("*.whl")
    assert built.name == wheel.name
    with zipfile.ZipFile(built) as a, zipfile.ZipFile(wheel) as b:
        files = {n for n in a.namelist() if ".dist-info/" not in n}
        assert files == {n for n in b.namelist() if ".dist-info/" not in n}
        assert all(a.read(n) == b.read(n) for n in files)
    assert shipped_problems(built) == []


def test_wheel_scan_finds_a_planted_hidden_check(wheel, tmp_path):
    bad = tmp_path / wheel.name
    shutil.copy2(wheel, bad)
    with zipfile.ZipFile(bad, "a") as z:
        z.writestr("autograder/_student/03_dropout/hidden.py", "x = 1\n")
        z.writestr("autograder/_student/03_dropout/extra.json", "### BEGIN HIDDEN TESTS\n")
    problems = shipped_problems(bad)
    assert any("hidden.py" in p for p in problems) and any("BEGIN HIDDEN TESTS" in p for p in problems)


def wheel_requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    return [
        Requirement(line.split(":", 1)[1].strip()) for line in text.splitlines() if line.startswith("Requires-Dist:")
    ]


def test_wheel_reports_the_engine_version_and_requires_python(wheel):
    """One version source (autograder.__version__): the wheel's metadata and its own copy of the engine."""
    import tomllib

    import autograder

    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        fields = dict(line.split(": ", 1) for line in z.read(meta).decode().splitlines() if ": " in line)
        init = z.read("autograder/__init__.py").decode()
    assert Version(fields["Version"]).public == autograder.__version__
    assert f'__version__ = "{autograder.__version__}"' in init
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert SpecifierSet(fields["Requires-Python"]) == SpecifierSet(project["requires-python"])


def test_torch_is_a_range_that_takes_colab_and_the_course_pin(wheel):
    (torch,) = [r for r in wheel_requirements(wheel) if r.name == "torch"]
    spec = torch.specifier
    assert not any(s.operator in ("==", "===") for s in spec), spec
    assert Version(metadata.version("torch").split("+")[0]) in spec  # the course's pinned 2.13.0
    for colab in ("2.5.1", "2.6.0", "2.8.0", "2.9.0"):  # what Colab has shipped
        assert Version(colab) in spec
    assert Version("1.13.1") not in spec and Version("3.0.0") not in spec
    assert spec == SpecifierSet(TORCH_RANGE.removeprefix("torch"))


# ------------------------------------------------------------------------------------------
# the student: a fresh venv outside the repository, one notebook alone in an empty folder
# ------------------------------------------------------------------------------------------
def _closure(reqs: list[Requirement]) -> list[metadata.Distribution]:
    env = {"extra": ""}
    seen: dict[str, metadata.Distribution] = {}
    todo = list(reqs)
    while todo:
        r = todo.pop()
        if r.marker is not None and not r.marker.evaluate(env):
            continue
        key = r.name.lower().replace("_", "-")
        if key in seen:
            continue
        dist = metadata.distribution(r.name)
        assert r.specifier.contains(dist.version, prereleases=True), (r, dist.version)
        seen[key] = dist
        todo += [Requirement(x) for x in (dist.requires or [])]
    return list(seen.values())


def _link_farm(dists, farm: Path) -> None:
    """One symlink per top-level entry (packages, modules, .dist-info) of each distribution."""
    farm.mkdir()
    for dist in dists:
        base = Path(dist.locate_file(""))
        tops = {f.parts[0] for f in (dist.files or []) if f.parts and f.parts[0] not in ("..", "__pycache__")}
        for top in tops:
            if top.endswith(".pth") or top.startswith("__editable__") or not (base / top).exists():
                continue
            if not (farm / top).exists():
                (farm / top).symlink_to(base / top)


@pytest.fixture(scope="session")
def student_venv(tmp_path_factory, wheel):
    """A fresh venv (no system site-packages) with the student package installed by a lone
    notebook's setup cell, its kernelspec, and how long each step took."""
    base = tmp_path_factory.mktemp("student-venv")
    times = {}
    t0 = time.monotonic()
    venv = base / "venv"
    # without ensurepip (~15 s, and its old setuptools would shadow the one torch requires):
    # pip comes through the shared folder like the rest
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    times["venv"] = time.monotonic() - t0
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    t0 = time.monotonic()
    _link_farm(_closure([*wheel_requirements(wheel), Requirement("ipykernel"), Requirement("pip")]), base / "shared")
    (site / "_lecture09_shared.pth").write_text(str(base / "shared") + "\n")
    times["link"] = time.monotonic() - t0
    kdir = base / "jupyter" / "kernels" / KERNEL
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "student venv",
                "language": "python",
            }
        )
    )
    env = {"jupyter": str(base / "jupyter"), "python": py, "site": site, "times": times}
    # the student: package missing, so the setup cell's one %pip install installs it (here from
    # the built wheel instead of the git URL in course.yaml, which needs the network)
    probe = subprocess.run([str(py), "-c", "import autograder"], capture_output=True, text=True, cwd=base, check=False)
    assert probe.returncode != 0 and "No module named 'autograder'" in probe.stderr
    a = TREE.model.assignment(AIDS[0])
    nb = nbformat.read(str(TREE.release_notebook(a)), as_version=4)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup_imports")
    spec = install_spec(TREE)
    setup.source = setup.source.replace(f'%pip install -q "{spec}"', f"%pip install -q --no-index {wheel}")
    nb.cells = [
        setup,
        nbformat.v4.new_code_cell("import autograder, sys\nprint(autograder.__file__)\nprint('torch' in sys.modules)"),
    ]
    t0 = time.monotonic()
    out = _execute(env, nb, base / "first-run")
    times["install"] = time.monotonic() - t0
    text = "".join(o.get("text", "") for c in out.cells for o in c.outputs if o.output_type == "stream")
    assert "채점 패키지(autograder)가 없어 설치합니다" in text, text
    assert str(site) in text, text  # installed into the fresh venv, not found in the repository
    assert not (site / "torch").exists()  # the range took the torch that was there: nothing reinstalled
    print("student venv:", {k: f"{v:.1f} s" for k, v in times.items()})
    return env


def _execute(env, nb, folder: Path, timeout: int = 300):
    """Run ``nb`` alone in the empty ``folder`` on the venv's kernel, nothing of the repository in reach."""
    from nbclient import NotebookClient

    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / "notebook.ipynb"))
    nb = nbformat.read(str(folder / "notebook.ipynb"), as_version=4)
    saved = dict(os.environ)
    try:
        for k in ("AUTOGRADER_COURSE_ROOT", "PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONHOME"):
            os.environ.pop(k, None)
        os.environ["JUPYTER_PATH"] = env["jupyter"]
        t0 = time.monotonic()
        NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(folder)}}).execute()
        print(f"{folder.name}: ran in {time.monotonic() - t0:.1f} s")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def test_import_is_fast_and_does_not_import_torch(student_venv, tmp_path):
    code = textwrap.dedent("""
        import sys, time
        t = time.perf_counter()
        from autograder.notebook import Checks
        c = Checks("03_dropout")
        c._setup()
        print(time.perf_counter() - t, "torch" in sys.modules or "pydantic" in sys.modules, c._packaged is not None)
    """)
    p = subprocess.run(
        [str(student_venv["python"]), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_COURSE_ROOT", "PYTHONPATH")},
        check=False,
    )
    assert p.returncode == 0, p.stderr
    seconds, torch_loaded, packaged = p.stdout.split()
    print(f"import + course data: {float(seconds):.3f} s")
    assert torch_loaded == "False" and packaged == "True"
    assert float(seconds) < 1.0


def check_cells(nb) -> dict[str, tuple[float | None, str]]:
    """exercise -> (the check cell's value, its HTML), for every public check cell."""
    out = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if c.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            res = [o for o in c.outputs if o.output_type == "execute_result"]
            value = float(res[-1].data["text/plain"]) if res else None
            out[meta["grade_id"][5:]] = (value, res[-1].data.get("text/html", "") if res else "")
    return out


@pytest.fixture(scope="session")
def answered(tmp_path_factory):
    """Each released notebook with the reference answers in its answer cells, and what
    `autograder check` (in the repository) says of them, per exercise."""
    base = tmp_path_factory.mktemp("answered")
    for a in TREE.model.assignments:
        answers = {
            gid: c.source
            for gid, c in index_cells(load_notebook(TREE.source_notebook(a))).by_id.items()
            if gid in {e.id for e in a.auto_exercises}
        }
        nb = nbformat.read(str(TREE.release_notebook(a)), as_version=4)
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
        (base / a.id).mkdir()
        nbformat.write(nb, str(base / a.id / f"{a.id}.ipynb"))
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "check", str(base), "--json", str(base / "r.json"), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    scores: dict = {}
    for r in json.loads((base / "r.json").read_text())["assignments"]:
        for c in r["checks"]:
            scores.setdefault(r["id"], {}).setdefault(c["exercise"], 0.0)
            scores[r["id"]][c["exercise"]] += c["score"]
    return base, scores


@pytest.mark.parametrize("aid", AIDS)
def test_lone_notebook_in_fresh_venv_stubs_fail_and_answers_pass(student_venv, answered, aid, tmp_path):
    a = TREE.model.assignment(aid)
    # stubs: every check cell reports failure (score 0, a table of failed checks), nothing stops
    stubs = check_cells(
        _execute(student_venv, nbformat.read(str(TREE.release_notebook(a)), as_version=4), tmp_path / "stubs")
    )
    assert set(stubs) == {e.id for e in a.auto_exercises}
    for ex, (value, html) in stubs.items():
        assert value == 0, (ex, value)
        assert "✘" in html and "<table" in html and "다릅니다" not in html and "찾지 못했습니다" not in html, (
            ex,
            html[:500],
        )
    # reference answers: every public check passes, and the scores are autograder check's
    base, check_scores = answered
    nb = nbformat.read(str(base / aid / f"{aid}.ipynb"), as_version=4)
    got = check_cells(_execute(student_venv, nb, tmp_path / "answers"))
    assert got.keys() == check_scores[aid].keys()
    for ex, (value, html) in got.items():
        assert "모든 공개 검사를 통과했습니다" in html, (ex, re.sub("<[^>]+>", " ", html)[:800])
        assert value == pytest.approx(check_scores[aid][ex], abs=1e-9), ex
    assert sum(v for v, _ in got.values()) == pytest.approx(sum(check_scores[aid].values()), abs=1e-9)
    assert sum(check_scores[aid].values()) > 0
