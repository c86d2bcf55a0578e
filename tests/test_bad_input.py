"""Malformed input through the real CLI (issue 9): one line naming the file and the problem,
the documented exit status (autograder/errors.py, `autograder --help`), never a traceback,
and nothing already graded lost.

    0 graded (whatever the score)   2 could not run (bad arguments, course.yaml, nothing to grade)
    1 internal error                3 graded, but some notebook could not be read (scored 0, reason printed)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tiny_course as T

GOOD = {"scale": T.SCALE, "sample_coin": T.COIN}
NB = "00_tiny/00_tiny.ipynb"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The tiny course plus a copy of its assignment as 01_copy, so one notebook can be bad among good ones."""
    root = T.write_course(tmp_path_factory.mktemp("badinput"))
    y = (root / "course.yaml").read_text()
    block = y[y.index("  - id: 00_tiny") :]
    (root / "course.yaml").write_text(y + block.replace("00_tiny", "01_copy").replace("title: Tiny", "title: Copy"))
    (root / "solutions" / "01_copy").mkdir()
    shutil.copy(root / "solutions" / NB, root / "solutions" / "01_copy" / "01_copy.ipynb")
    shutil.copytree(root / "checks" / "00_tiny", root / "checks" / "01_copy")
    return root


def cli(root, *args, cwd=None):
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "--root", str(root), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or root,
        timeout=180,
        check=False,
    )
    assert "Traceback" not in p.stdout + p.stderr, p.stdout + p.stderr
    return p


def errors_of(p) -> list[str]:
    return [line for line in p.stderr.splitlines() if line.strip()]


def student(root, name) -> Path:
    """A good submission of both assignments; returns the student's folder."""
    path = T.submission(root, name, GOOD)
    folder = path.parent.parent
    (folder / "01_copy").mkdir(exist_ok=True)
    nb = nbformat.read(str(path), as_version=4)
    nbformat.write(nb, str(folder / "01_copy" / "01_copy.ipynb"))
    return folder


# ---------------------------------------------------------------------------------------
# unreadable notebooks: graded 0 with the reason, exit 3, the other notebook still graded
# ---------------------------------------------------------------------------------------
UNREADABLE = {
    "empty_file": (b"", "빈 파일입니다 (empty file, not a notebook)"),
    "not_json_text": (
        b"print('hello')\n",
        "JSON이 깨졌습니다 (truncated or invalid JSON: expecting value at line 1, column 1)",
    ),
    "truncated_json": (
        b'{"cells": [{"cell_type": "code", "sou',
        "JSON이 깨졌습니다 (truncated or invalid JSON: unterminated string starting at line 1, column 34)",
    ),
    "binary_file": (bytes(range(128, 256)) * 4, "UTF-8 텍스트가 아닙니다 (not a notebook: binary file)"),
    "json_but_not_a_notebook": (
        b'{"name": "not a notebook"}',
        "Jupyter 노트북이 아닙니다 (JSON without notebook cells)",
    ),
    "nbformat_3": (
        json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}).encode(),
        "nbformat 3 노트북은 지원하지 않습니다; Jupyter에서 열어 다시 저장하세요 (nbformat 4 required)",
    ),
    "nbformat_missing": (b'{"cells": [], "metadata": {}}', "nbformat 버전이 없습니다 (not a Jupyter notebook)"),
    "invalid_nbformat_4": (
        json.dumps(
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}}]}
        ).encode(),
        "노트북 형식이 올바르지 않습니다 (invalid nbformat 4: ",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_notebook_is_scored_zero_and_the_other_is_still_graded(root, tmp_path, case):
    content, problem = UNREADABLE[case]
    folder = student(root, f"bad_{case}")
    bad = folder / "01_copy" / "01_copy.ipynb"
    bad.write_bytes(content)
    out = tmp_path / "result.json"
    p = cli(root, "grade", folder, "--json", out, "-q")
    assert p.returncode == 3
    (line,) = errors_of(p)
    assert line.startswith(f"error: {bad}: {problem}"), line
    data = json.loads(out.read_text())
    by_id = {a["id"]: a for a in data["assignments"]}
    assert by_id["00_tiny"]["score"] == 5 and by_id["00_tiny"]["max_score"] == 5
    assert by_id["01_copy"]["score"] == 0 and by_id["01_copy"]["max_score"] == 5
    assert by_id["01_copy"]["problem"].startswith(f"{bad}: {problem}")
    assert {c["status"] for c in by_id["01_copy"]["checks"]} == {"error"}


# ---------------------------------------------------------------------------------------
# damaged answer cells: graded, 0 on that exercise with a message, exit 0
# ---------------------------------------------------------------------------------------
def _answer(nb, gid):
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)


def _drop_grade_id(nb):
    del _answer(nb, "scale").metadata["nbgrader"]


def _rename_grade_id(nb):
    _answer(nb, "scale").metadata["nbgrader"]["grade_id"] = "scale_v2"


def _duplicate(nb):
    c = _answer(nb, "scale")
    nb.cells.insert(nb.cells.index(c) + 1, nbformat.from_dict(json.loads(json.dumps(c))))


def _to_markdown(nb):
    c = _answer(nb, "scale")
    nb.cells[nb.cells.index(c)] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)


def _delete(nb):
    nb.cells.remove(_answer(nb, "scale"))


MISSING = (
    "답안 셀 'scale'를 찾을 수 없습니다 (셀이 삭제되었거나 "
    "grade_id가 바뀌었습니다). 배포된 노트북에서 셀을 다시 복사하세요."
)
DAMAGED = {
    "missing_grade_id": (_drop_grade_id, MISSING),
    "renamed_grade_id": (_rename_grade_id, MISSING),
    "deleted_answer_cell": (_delete, MISSING),
    "duplicated_grade_id": (
        _duplicate,
        "grade_id 'scale'인 셀이 여러 개입니다; 복사한 셀을 지우고 답안 셀 하나만 남기세요.",
    ),
    "answer_cell_turned_markdown": (
        _to_markdown,
        "답안 셀 'scale'가 code 셀이 아니라 markdown 셀입니다; code 셀로 되돌리세요.",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_answer_cell_scores_zero_on_its_exercise_only(root, tmp_path, case):
    edit, message = DAMAGED[case]
    path = T.submission(root, f"dmg_{case}", GOOD)
    nb = nbformat.read(str(path), as_version=4)
    edit(nb)
    nbformat.write(nb, str(path))
    out = tmp_path / "r.json"
    p = cli(root, "grade", path, "--json", out, "-q")
    assert p.returncode == 0 and errors_of(p) == []
    checks = {c["id"]: c for c in json.loads(out.read_text())["assignments"][0]["checks"]}
    for cid in ("scale_matches_reference", "scale_of_integer_list_is_float"):
        assert checks[cid]["status"] == "error" and checks[cid]["score"] == 0
        assert checks[cid]["message"] == message
    assert checks["coin_rate_is_p"]["status"] == checks["coin_values_are_zero_or_one"]["status"] == "passed"


# ---------------------------------------------------------------------------------------
# the wrong file, folder or name
# ---------------------------------------------------------------------------------------
def test_renamed_notebook_in_its_folder(root, tmp_path):
    folder = student(root, "renamed")
    src = folder / "01_copy" / "01_copy.ipynb"
    src.rename(folder / "01_copy" / "01_copy (1).ipynb")
    p = cli(root, "grade", folder, "--json", tmp_path / "r.json", "-q")
    assert p.returncode == 3
    assert errors_of(p) == [
        f"error: {folder}/01_copy/01_copy.ipynb가 없습니다 (다른 이름의 노트북 01_copy (1).ipynb이(가) "
        "있습니다: 이름을 01_copy.ipynb로 되돌리세요)"
    ]
    data = json.loads((tmp_path / "r.json").read_text())
    assert [a["score"] for a in data["assignments"]] == [5, 0]


def test_renamed_notebook_given_as_a_file(root):
    path = T.submission(root, "renamed_file", GOOD)
    renamed = path.with_name("00_tiny_final.ipynb")
    path.rename(renamed)
    p = cli(root, "grade", renamed, "-q")
    assert p.returncode == 3
    assert errors_of(p) == ["error: 노트북 이름이 바뀌었습니다: 00_tiny_final.ipynb → 00_tiny.ipynb로 되돌리세요"]


def test_notebook_of_no_assignment_in_the_wrong_folder(root, tmp_path):
    nb = tmp_path / "homework" / "my_notebook.ipynb"
    nb.parent.mkdir()
    shutil.copy(T.submission(root, "wrong_folder", GOOD), nb)
    p = cli(root, "grade", nb)
    assert p.returncode == 2
    assert errors_of(p) == [
        f"error: {nb}: 어느 과제의 노트북인지 알 수 없습니다: 파일 이름이 과제 id여야 합니다 "
        "(00_tiny.ipynb, 01_copy.ipynb)"
    ]


def test_unknown_assignment_folder(root, tmp_path):
    d = tmp_path / "sub"
    (d / "07_unknown").mkdir(parents=True)
    shutil.copy(T.submission(root, "unknown", GOOD), d / "07_unknown" / "07_unknown.ipynb")
    p = cli(root, "grade", d)
    assert p.returncode == 2
    assert errors_of(p) == [
        f"error: {d}: 채점할 노트북이 없습니다 (no notebook named <id>/<id>.ipynb for any of 00_tiny, 01_copy)"
    ]


def test_submission_folder_without_notebooks(root, tmp_path):
    (tmp_path / "empty" / "notes.txt").parent.mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no notebooks here")
    p = cli(root, "grade", tmp_path / "empty")
    assert p.returncode == 2
    assert errors_of(p) == [
        f"error: {tmp_path / 'empty'}: 채점할 노트북이 없습니다 (no notebook named <id>/<id>.ipynb for any of "
        "00_tiny, 01_copy)"
    ]


def test_not_a_notebook_file(root, tmp_path):
    f = tmp_path / "00_tiny.py"
    f.write_text("def scale(x, a): return a * x\n")
    p = cli(root, "grade", f)
    assert p.returncode == 2
    assert errors_of(p) == [f"error: {f}: 노트북(.ipynb) 파일이 아닙니다 (not a notebook)"]


def test_path_that_does_not_exist(root, tmp_path):
    p = cli(root, "grade", tmp_path / "nope")
    assert p.returncode == 2
    assert errors_of(p) == [f"error: {tmp_path / 'nope'}: 파일이나 폴더가 없습니다 (no such file or folder)"]


# ---------------------------------------------------------------------------------------
# broken course.yaml: one line per problem naming the key path, exit 2
# ---------------------------------------------------------------------------------------
def _course_copy(root, tmp_path, edit) -> Path:
    dst = tmp_path / "course"
    shutil.copytree(root, dst, ignore=shutil.ignore_patterns("subs", ".cache"))
    (dst / "course.yaml").write_text(edit((dst / "course.yaml").read_text()))
    return dst


COURSE_YAML_CASES = {
    "unknown_key": (lambda y: y.replace("  seed: 1\n", "  seed: 1\n  sed: 2\n"), ["grading.sed: unknown key"]),
    "missing_key": (lambda y: y.replace("    title: Copy\n", ""), ["assignments[1].title: required key is missing"]),
    "duplicated_id": (
        lambda y: y.replace("id: 01_copy", "id: 00_tiny").replace("01_copy/01_copy", "00_tiny/00_tiny"),
        ["assignments: duplicated assignment id '00_tiny'"],
    ),
    "duplicated_exercise": (
        lambda y: y.replace("{id: sample_coin, points: 2}", "{id: scale, points: 2}", 1),
        ["assignments[0].exercises: duplicated exercise id 'scale'"],
    ),
    "bad_yaml": (
        lambda y: y.replace("  seed: 1\n", "  seed: [1\n"),
        ["line 8, column 13: not valid YAML (expected ',' or ']', but got ':')"],
    ),
    "wrong_type": (
        lambda y: y.replace("memory_limit_mb: 2048", "memory_limit_mb: lots"),
        ["grading.memory_limit_mb: Input should be a valid integer, unable to parse string as an integer"],
    ),
    "negative_points": (
        lambda y: y.replace("{id: scale, points: 3}", "{id: scale, points: -3}", 1),
        ["assignments[0].exercises[0].points: Input should be greater than 0"],
    ),
    "not_a_mapping": (
        lambda y: "- just\n- a list\n",
        ["(top level): must be a mapping with keys course, grading, assignments"],
    ),
    "notebook_path": (
        lambda y: y.replace("notebook: 01_copy/01_copy.ipynb", "notebook: copy.ipynb"),
        [
            "assignments[1]: notebook must be '01_copy/01_copy.ipynb' (nbgrader layout <id>/<id>.ipynb), "
            "got 'copy.ipynb'"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(COURSE_YAML_CASES))
def test_broken_course_yaml(root, tmp_path, case):
    edit, lines = COURSE_YAML_CASES[case]
    course = _course_copy(root, tmp_path, edit)
    nb = T.submission(course, "anyone", GOOD)
    for args in (("grade", nb), ("validate",)):
        p = cli(course, *args)
        assert p.returncode == 2, (args, p.stderr)
        assert errors_of(p) == [f"{course / 'course.yaml'}: {line}" for line in lines], args


def test_validate_finds_points_disagreeing_with_notebook_metadata(root, tmp_path):
    course = _course_copy(root, tmp_path, lambda y: y.replace("{id: scale, points: 3}", "{id: scale, points: 4}", 1))
    p = cli(course, "validate", "--source-only")
    assert p.returncode == 2
    assert p.stdout.splitlines() == [
        "assignments[0].exercises[0].points: 4 here but 3 in the nbgrader metadata of solutions/00_tiny/00_tiny.ipynb",
        "assignments[0].exercises[0].points: 4 here but the checks of 'scale' add up to 3",
    ]


def test_missing_course_yaml(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "--root", str(tmp_path), "validate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "AUTOGRADER_COURSE_ROOT": str(tmp_path)},
        check=False,
    )
    assert "Traceback" not in p.stderr
    assert p.returncode == 2
    assert errors_of(p) == [f"{tmp_path / 'course.yaml'}: file not found"]


def test_help_documents_every_exit_status():
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    for code in ("0  grading ran", "1  internal error", "2  could not run", "3  grading ran, but some notebook"):
        assert code in p.stdout
