"""Hostile submissions against the trusted side (issue 13, points 1, 2, 3 and 7; issue 14's JSON message).

Everything here uses the tiny course (tests/tiny_course.py): a student's files, names and text
are data. Links, FIFOs and devices are never read (0 for that notebook, one line saying why);
nothing in the grader costs more than linear time in student text; a stalled student costs the
batch only the per-student limit; student text never crashes, restyles or escapes a report;
distinct student folders never share a result.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import tiny_course as T

from autograder.errors import InputError
from autograder.load import load_notebook

GOOD = {"scale": T.SCALE, "sample_coin": T.COIN}
PARTIAL = {"scale": "def scale(x, a):\n    return a * x\n", "sample_coin": T.COIN}
NB = "00_tiny/00_tiny.ipynb"
SECRET = "SECRET-NOT-THE-STUDENTS-0x5eC2e7"
LINK = "심볼릭 링크는 채점하지 않습니다 (symbolic link: only regular files inside the submission are graded)"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The tiny course plus a copy of its assignment as 01_copy (one bad notebook among good ones)."""
    root = T.write_course(tmp_path_factory.mktemp("hostile"))
    y = (root / "course.yaml").read_text()
    block = y[y.index("  - id: 00_tiny") :]
    (root / "course.yaml").write_text(y + block.replace("00_tiny", "01_copy").replace("title: Tiny", "title: Copy"))
    (root / "solutions" / "01_copy").mkdir()
    shutil.copy(root / "solutions" / NB, root / "solutions" / "01_copy" / "01_copy.ipynb")
    shutil.copytree(root / "checks" / "00_tiny", root / "checks" / "01_copy")
    return root


def env():
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("AUTOGRADER_COURSE_ROOT", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
    }


def cli(root, *args, cwd=None, extra_env=None, timeout=300):
    e = env()
    e.update(extra_env or {})
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "--root", str(root), *map(str, args)],
        capture_output=True,
        cwd=cwd or root,
        timeout=timeout,
        env=e,
        check=False,
    )
    out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8")  # strict: the output is valid UTF-8
    assert "Traceback" not in out + err, out + err
    return p.returncode, out, err


def student(root, name, answers=GOOD, copy_answers=GOOD) -> Path:
    """A submission of both assignments; returns the student's folder."""
    path = T.submission(root, name, answers)
    folder = path.parent.parent
    other = T.submission(root, f"{name}-tmp", copy_answers)
    (folder / "01_copy").mkdir(exist_ok=True)
    shutil.move(str(other), folder / "01_copy" / "01_copy.ipynb")
    shutil.rmtree(other.parent.parent)
    return folder


def scores(path: Path) -> dict:
    data = json.loads(path.read_bytes().decode("utf-8"))
    return {a["id"]: a for a in data["assignments"]}


# ---------------------------------------------------------------------------------------
# point 1: only regular files inside the submission are read
# ---------------------------------------------------------------------------------------
def _abs_link(root, folder):
    bad = folder / "01_copy" / "01_copy.ipynb"
    bad.unlink()
    bad.symlink_to(root / "solutions" / "01_copy" / "01_copy.ipynb")  # the reference solution: full marks today
    return bad, "symbolic link"


def _rel_link(root, folder):
    bad = folder / "01_copy" / "01_copy.ipynb"
    bad.unlink()
    target = os.path.relpath(root / "solutions" / "01_copy" / "01_copy.ipynb", bad.parent)
    bad.symlink_to(target)
    return bad, "symbolic link"


def _folder_link(root, folder):
    bad = folder / "01_copy"
    shutil.rmtree(bad)
    bad.symlink_to(root / "solutions" / "01_copy", target_is_directory=True)
    return bad, "symbolic link"


def _outside_secret(root, folder):
    """A link to a notebook-shaped file elsewhere: its content must never be echoed."""
    secret = folder.parent / "secret.ipynb"
    secret.write_text(
        json.dumps(
            {
                "cells": [{"cell_type": SECRET, "metadata": {"nbgrader": {"grade_id": "scale"}}, "source": ""}],
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
            }
        )
    )
    bad = folder / "01_copy" / "01_copy.ipynb"
    bad.unlink()
    bad.symlink_to(secret)
    return bad, "symbolic link"


def _fifo(root, folder):
    bad = folder / "01_copy" / "01_copy.ipynb"
    bad.unlink()
    os.mkfifo(bad)  # nobody ever writes: opening it for reading would block the grader forever
    return bad, "FIFO"


def _device(root, folder):
    bad = folder / "01_copy" / "01_copy.ipynb"
    bad.unlink()
    try:
        os.mknod(bad, 0o600 | __import__("stat").S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        pytest.skip("mknod needs root")
    return bad, "device"


FILES = {
    "absolute_link": (_abs_link, "grade"),
    "relative_link": (_rel_link, "check"),
    "folder_link": (_folder_link, "grade"),
    "link_outside": (_outside_secret, "check"),
    "fifo": (_fifo, "grade"),
    "device": (_device, "check"),
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_links_fifos_and_devices_score_zero_with_one_line(root, tmp_path, case):
    make, command = FILES[case]
    folder = student(root, f"files_{case}")
    bad, reason = make(root, folder)
    out = tmp_path / "result.json"
    rc, stdout, stderr = cli(root, command, folder, "--json", out, "-q", timeout=120)
    assert rc == 3, stdout + stderr
    (line,) = [x for x in stderr.splitlines() if x.strip()]
    assert line.startswith(f"error: {bad}: ") and reason in line, line
    by_id = scores(out)
    assert by_id["01_copy"]["score"] == 0 and by_id["01_copy"]["problem"].startswith(f"{bad}: ")
    assert by_id["00_tiny"]["score"] == by_id["00_tiny"]["max_score"] > 0
    assert SECRET not in stdout + stderr + out.read_text()


def test_a_notebook_given_as_a_link_and_the_reader_itself(root, tmp_path):
    folder = student(root, "files_direct")
    bad, _ = _abs_link(root, folder)
    rc, _, stderr = cli(root, "check", bad, "--json", tmp_path / "r.json", "-q", timeout=120)
    assert rc == 3 and stderr.strip().startswith(f"error: {bad}: ") and "symbolic link" in stderr
    assert scores(tmp_path / "r.json")["01_copy"]["score"] == 0
    from autograder.load import read_submission_file

    # the one reader: a link anywhere under the root, a FIFO (without blocking), a path outside
    (folder / "lnk").symlink_to(folder / "00_tiny", target_is_directory=True)
    for path, reason in (
        (folder / "lnk" / "00_tiny.ipynb", "symbolic link"),
        (bad, "symbolic link"),
        (folder.parent / "x.ipynb", "leaves"),
        (folder / ".." / "x.ipynb", "leaves"),
    ):
        with pytest.raises(InputError, match=reason.split()[0]):
            read_submission_file(folder, path)
    os.mkfifo(folder / "pipe.ipynb")
    with pytest.raises(InputError, match="FIFO"):
        load_notebook(folder / "pipe.ipynb", root=folder)
    assert read_submission_file(folder, folder / NB)[:1] == b"{"


def test_classroom_report_on_a_linked_assignments_folder(root, tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "assignments").symlink_to(root / "solutions", target_is_directory=True)
    rc, stdout, stderr = cli(root, "classroom-report", "assignments", "--hidden", cwd=work, timeout=120)
    assert rc == 0, stdout + stderr
    (line,) = [x for x in stderr.splitlines() if x.strip()]
    assert line.startswith("error: assignments: ") and "symbolic link" in line, line
    outputs = dict(x.split("=", 1) for x in stdout.splitlines() if x.startswith("a0"))
    assert set(outputs) == {"a00tiny", "a01copy"}
    for value in outputs.values():
        result = json.loads(base64.b64decode(value))
        assert sum(t["score"] for t in result["tests"]) == 0
    # the notebook named through the link, relative to the checkout: every part is the student's
    rc, stdout, stderr = cli(
        root, "check", "assignments/00_tiny/00_tiny.ipynb", "--json", tmp_path / "r.json", cwd=work, timeout=120
    )
    assert rc == 3 and stderr.strip() == f"error: assignments: {LINK}", stderr
    assert scores(tmp_path / "r.json")["00_tiny"]["score"] == 0


# ---------------------------------------------------------------------------------------
# point 2: bounded parsing
# ---------------------------------------------------------------------------------------
def test_extract_is_linear_in_student_text():
    """One answer line of 1,000,000 spaces took minutes (quadratic regex backtracking); IPython's
    transformer re-tokenizes a cell per magic line (10 magics in 100 KB: 5 s; 500: RuntimeError)."""
    from autograder.extract import to_python

    started = time.process_time()
    assert to_python("def f():\n" + " " * 1_000_000 + "\n    return 1\n").endswith("return 1\n")
    assert to_python("x" * 1_000_000 + " = 1") == "x" * 1_000_000 + " = 1"
    many = "def f():\n    %time g()\n    return 1\n" + "%who\n" * 600 + "y = 1\n" * 20_000
    py = to_python(many)
    compile(py, "<answer>", "exec")  # still Python, indentation kept
    assert "%" not in py
    assert time.process_time() - started < 20  # about 0.5 s; the old code needs minutes
    # the same decisions as IPython's own syntax, on the forms that matter
    from autograder.extract import has_ipython_syntax

    for src, want in (
        ("x = !ls", True),
        ("t = %time f()", True),
        ("  %matplotlib inline", True),
        ("a != b", False),
        ("x = 5 % 3", False),
        ("x, y[0] = !ls", True),
        ("x == !y", False),
        ("print('%d' % 3)", False),
    ):
        assert has_ipython_syntax(src) is want, src
    assert "get_ipython().getoutput('ls')" in to_python("x = !ls")


STALL_PUBLIC = T.PUBLIC.replace(
    (
        '@check("scale", points=2)\ndef test_scale_matches_reference(student, '
        'reference, seed):\n    """a * x on a small matrix."""\n'
    ),
    '@probe\ndef stall_flag(ns):\n    return {"stall": int("STALL" in ns)}\n\n\n'
    '@check("scale", points=2)\ndef test_scale_matches_reference(student, '
    'reference, seed):\n    """a * x on a small matrix."""\n'
    '    if student(stall_flag)["stall"]:  # the grader itself stalls on this student (a stand-in for any slow step)\n'
    "        import time\n        time.sleep(3600)\n",
)


def write_student(course: Path, name, answers: dict) -> Path:
    """A student's folder in the Classroom layout (``name`` may be bytes: a non-UTF-8 folder name)."""
    nb = nbformat.read(str(course / "solutions" / NB), as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in ("scale", "sample_coin"):
            cell.source = answers.get(gid, "raise NotImplementedError()")
    base = Path(os.fsdecode(os.path.join(os.fsencode(course / "class"), os.fsencode(name))))
    path = base / "assignments" / NB
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return base


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run_batch(course: Path, out: Path, *extra) -> str:
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", "class", "--out", str(out), "-j", "2", "--no-progress", *extra],
        cwd=course,
        env=env(),
        capture_output=True,
        timeout=600,
        check=False,
    )
    stdout, stderr = p.stdout.decode("utf-8"), p.stderr.decode("utf-8")  # strict: valid UTF-8
    assert p.returncode == 0 and "Traceback" not in stdout + stderr, stdout + stderr
    assert "\x1b" not in stdout + stderr
    return stdout


def test_batch_stalled_student_is_recorded_as_timeout_and_the_batch_goes_on(tmp_path):
    """The grader stalls on one student (a check that sleeps: a stand-in for any slow step in the
    grader process): after the per-student limit that grader process is killed, the student is
    recorded as timeout with all zeros, and the others are graded."""
    course = T.write_course(tmp_path / "course")
    (course / "checks" / "00_tiny" / "public.py").write_text(STALL_PUBLIC)
    for name, answers in {
        "a_good": GOOD,
        "b_stall": dict(GOOD, scale=GOOD["scale"] + "\nSTALL = 1\n"),
        "c_partial": PARTIAL,
    }.items():
        write_student(course, name, answers)
    out = course / "out" / "grades.csv"
    started = time.monotonic()
    stdout = run_batch(course, out, "--student-timeout", "20")
    assert time.monotonic() - started < 300, "the stalled student held the batch"
    by = {r["student"]: r for r in read_csv(out)}
    assert {k: (v["status"], float(v["total"])) for k, v in by.items()} == {
        "a_good": ("graded", 5),
        "b_stall": ("timeout", 0),
        "c_partial": ("graded", 4),
    }
    assert "20 s" in by["b_stall"]["problem"] and "timeout" in stdout


def test_batch_identities_names_and_text_stay_apart(tmp_path):
    """Names that the old safe_name mapped to one file (``a?b``, ``a_b``, ``a!b``), a non-UTF-8
    name, rich markup and a terminal escape in a name, a surrogate and a fence-closing
    ``<script>`` in an exception message (point 3); a notebook linking to a classmate's and a
    student folder that is a link (point 1); every student once in the CSV, and a rerun hands
    nobody another's record (point 7)."""
    course = T.write_course(tmp_path / "course")
    hostile = dict(
        GOOD,
        scale='def scale(x, a):\n    raise ValueError("bad \\udcff \\x1b[2J [/red]x [link=http://e]e[/link]'
        '\\n```\\n<script>alert(1)</script>")\n',
    )
    names = {
        "a?b": GOOD,
        "a_b": PARTIAL,
        "a!b": {},
        "good": GOOD,
        b"bytes\xff": PARTIAL,
        "[bold]x[link=e]\x1b[2J": GOOD,
        "hostile": hostile,
        "copier": {},
    }
    for name, answers in names.items():
        write_student(course, name, answers)
    copier = course / "class" / "copier" / "assignments" / NB
    copier.unlink()
    copier.symlink_to(os.path.relpath(course / "class" / "good" / "assignments" / NB, copier.parent))
    (course / "class" / "twin").symlink_to(course / "class" / "good", target_is_directory=True)
    out = course / "out" / "grades.csv"
    run_batch(course, out)
    rows = read_csv(out)
    by = {r["student"]: r for r in rows}
    shown_bytes = "bytes\\udcff"  # the non-UTF-8 byte, shown
    assert sorted(by) == sorted(
        ["a?b", "a_b", "a!b", "good", shown_bytes, "[bold]x[link=e]\\x1b[2J", "hostile", "copier", "twin"]
    )
    assert len(rows) == len(by)
    total = {k: float(v["total"]) for k, v in by.items()}
    assert (total["a?b"], total["a_b"], total["a!b"], total["good"], total[shown_bytes]) == (5, 4, 0, 5, 4)
    assert by["hostile"]["status"] == "graded" and total["hostile"] == 2  # sample_coin only; not "grader error"
    assert total["copier"] == 0 and "symbolic link" in by["copier"]["problem"]
    assert total["twin"] == 0 and "symbolic link" in by["twin"]["problem"]
    assert total["[bold]x[link=e]\\x1b[2J"] == 5
    results = Path(str(out) + ".d") / "results"
    files = sorted(results.glob("*.json"))
    assert len(files) == len(names) + 1  # one result file per student folder
    for f in files:
        json.loads(f.read_bytes().decode("utf-8"))
    html = next((Path(str(out) + ".d") / "feedback").glob("hostile*/feedback.html")).read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not [q for q in results.iterdir() if q.name.startswith(".") and q.name != "lock"]

    # a rerun reuses every graded record, for its own student only
    mine = results / "a_b.json"
    slugged = [json.loads(f.read_bytes()) for f in files if f.name.startswith("a_b~")]
    assert sorted(r["student"] for r in slugged) == ["a!b", "a?b"]  # same slug, own files
    other = next(r for r in slugged if r["student"] == "a?b")
    mine.write_bytes(json.dumps(dict(other, student="a_b")).encode())  # another's record under my file name
    stdout = run_batch(course, out)
    rows = read_csv(out)
    assert len(rows) == len({r["student"] for r in rows}) == len(names) + 1
    by = {r["student"]: r for r in rows}
    assert float(by["a_b"]["total"]) == 4 and float(by["a?b"]["total"]) == 5
    assert "graded 1, reused 8" in stdout, stdout  # a_b: the forged record is not reused


# ---------------------------------------------------------------------------------------
# point 3: student text is data
# ---------------------------------------------------------------------------------------
def test_hostile_text_in_grade_check_json_and_terminal(root, tmp_path):
    """A lone surrogate, a terminal escape and rich markup in an exception message, a cell whose
    ``cell_type`` is rich markup, and a non-UTF-8 notebook name: exit codes as documented, valid
    UTF-8 JSON, no escape sequence reaches the terminal, no temp file left."""
    folder = student(
        root,
        "text",
        answers=dict(GOOD, scale='def scale(x, a):\n    raise ValueError("\\udcff \\x1b[2J [/red]x [bold]big")\n'),
    )
    bad = folder / "01_copy" / "01_copy.ipynb"
    raw = json.loads(bad.read_text())
    for cell in raw["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "scale":
            cell["cell_type"] = "[/red]x"
    bad.write_text(json.dumps(raw))
    out = tmp_path / "out" / "r.json"
    rc, stdout, stderr = cli(root, "grade", folder, "--json", out, timeout=120)
    assert rc in (0, 3), stdout + stderr
    assert "\x1b" not in stdout + stderr and "\\x1b[2J" in stdout
    by_id = scores(out)
    assert by_id["00_tiny"]["score"] == 2  # sample_coin; scale raised
    assert "\\udcff" in json.dumps(by_id["00_tiny"], ensure_ascii=False)
    assert by_id["01_copy"]["score"] <= 2
    assert not [q for q in out.parent.iterdir() if q.name.startswith(".")]

    # a non-UTF-8 notebook name where the notebook should be
    odd = student(root, "odd_name")
    wrong = Path(os.fsdecode(os.path.join(os.fsencode(odd / "01_copy"), b"\xff\x1b[2J.ipynb")))
    shutil.move(str(odd / "01_copy" / "01_copy.ipynb"), wrong)
    rc, stdout, stderr = cli(root, "check", odd, "--json", out, "-q", timeout=120)
    assert rc == 3 and "\x1b" not in stdout + stderr and "\\udcff\\x1b[2J.ipynb" in stderr, stderr
    assert scores(out)["01_copy"]["score"] == 0


def test_feedback_html_escapes_every_student_string():
    from autograder.report import feedback_html, feedback_markdown
    from autograder.verdict import AssignmentResult, CheckResult

    msg = "x\n```\n</code></pre><script>alert(1)</script><img src=x onerror=alert(2)>\n```\n[a](javascript:alert(3))"
    r = AssignmentResult(
        "00_tiny",
        [CheckResult("c", "scale", 0, 1, "error", msg)],
        problem="<script>p</script> [b](javascript:alert(4))",
    )
    page = feedback_html(feedback_markdown([r], student="<script>s</script>"))
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text


def test_write_json_leaves_no_temp_file_and_writes_valid_utf8(tmp_path):
    from autograder.report import write_json_atomic

    target = tmp_path / "r.json"
    write_json_atomic(target, {"m": "\udcff \ud800 ok"})
    assert json.loads(target.read_bytes().decode("utf-8"))["m"].endswith(" ok")
    with pytest.raises(TypeError):
        write_json_atomic(target, {"m": object()})
    assert [q.name for q in tmp_path.iterdir()] == ["r.json"]


def test_clean_text_makes_student_text_printable():
    from autograder.errors import clean_text

    s = clean_text("a\udcffb\x1b[2J\rc\u202e\x9b[/red]\n\tok")
    assert s == "a\\udcffb\\x1b[2J\\x0dc\\u202e\\x9b[/red]\n\tok"
    s.encode("utf-8")
    assert len(clean_text("x" * 100_000)) < 20_100


# ---------------------------------------------------------------------------------------
# issue 14: the message for broken JSON is a complete sentence
# ---------------------------------------------------------------------------------------
def test_broken_json_message_is_complete(tmp_path):
    p = tmp_path / "00_tiny.ipynb"
    p.write_bytes(b'{"cells": [{"cell_type": "code", "sou')
    with pytest.raises(InputError) as info:
        load_notebook(p)
    assert info.value.problem == (
        "JSON이 깨졌습니다 (truncated or invalid JSON: unterminated string starting at line 1, column 34)"
    )
    p.write_bytes(b"print('x')")
    with pytest.raises(InputError, match=r"expecting value at line 1, column 1\)$"):
        load_notebook(p)


def test_result_file_names_are_injective_even_on_a_case_insensitive_file_system():
    from autograder.batch import safe_name

    names = [
        "a?b",
        "a_b",
        "a!b",
        "a b",
        "Kim",
        "kim",
        "KIM",
        "김철수",
        "s01",
        "..x",
        ".x",
        "x" * 300,
        "x" * 301,
        os.fsdecode(b"\xff"),
        os.fsdecode(b"\xfe"),
        "a\x1b[2J",
        "a/../b".replace("/", "\\"),
    ]
    files = [safe_name(n) for n in names]
    assert len({f.casefold() for f in files}) == len(names), files
    assert all(len(os.fsencode(f)) < 200 and "/" not in f and not f.startswith(".") for f in files)
    assert safe_name("s01") == "s01" and safe_name("김철수") == "김철수"  # readable names stay as they are
