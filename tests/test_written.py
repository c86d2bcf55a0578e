"""Written answers: export pages and a score sheet, import scores (sheet or nbgrader gradebook) into grades.csv."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tiny_course

from autograder.course import load_course
from autograder.errors import InputError
from autograder.written import merge_into_grades, read_gradebook, read_sheet

EVIL = "<script>alert(1)</script> 제 답은 $x$ 입니다"


def cli(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def student(course: Path, name: str, answer: str | None):
    nb = nbformat.read(str(course / "assignments" / "00_tiny" / "00_tiny.ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "written_why" and answer is not None:
            cell.source = answer
    path = course / "class" / name / "00_tiny" / "00_tiny.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    course = tiny_course.write_course(tmp_path_factory.mktemp("w") / "course")
    released = course / "assignments" / "00_tiny"
    if not (released / "00_tiny.ipynb").exists():  # a release-like copy: the written cell says YOUR ANSWER HERE
        released.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(str(course / "solutions" / "00_tiny" / "00_tiny.ipynb"), as_version=4)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "written_why":
                cell.source = "YOUR ANSWER HERE"
        nbformat.write(nb, str(released / "00_tiny.ipynb"))
    student(course, "ann", "Because the gradient is the same for every hidden unit.")
    student(course, "bob", None)  # left the released text: unanswered
    student(course, "evil", EVIL)
    return course


def grades_csv(path: Path, students):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "00_tiny", "total", "max_score", "status", "problem", "key"])
        for s in students:
            w.writerow([s, "2", "2", "3", "graded", "", "abc"])


def test_export_pages_and_sheet(tiny, tmp_path):
    out = tmp_path / "written"
    p = cli(["written", "export", "class", "--out", str(out)], tiny)
    assert p.returncode == 0, p.stderr
    page = (out / "00_tiny__written_why.html").read_text(encoding="utf-8")
    assert "Because." in page  # the model answer from the source notebook, at the top
    assert page.index("Because.") < page.index("the gradient is the same")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "2/3명 작성" in page and "답안 없음" in page
    rows = _rows(out / "scores.csv")
    by = {r["student"]: r for r in rows}
    assert set(by) == {"ann", "bob", "evil"}
    assert by["bob"]["score"] == "0" and by["ann"]["score"] == "" and by["ann"]["max_points"] == "1"


def test_import_merges_scores_and_says_what_is_pending(tiny, tmp_path):
    out = tmp_path / "written"
    assert cli(["written", "export", "class", "--out", str(out)], tiny).returncode == 0
    sheet = out / "scores.csv"
    rows = _rows(sheet)
    for r in rows:
        if r["student"] == "ann":
            r["score"] = "1"
    with open(sheet, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    grades = tmp_path / "grades.csv"
    grades_csv(grades, ["ann", "bob", "evil"])
    p = cli(["written", "import", str(sheet), "--grades", str(grades)], tiny)
    assert p.returncode == 0, p.stderr
    by = {r["student"]: r for r in _rows(grades)}
    assert by["ann"]["written:written_why"] == "1" and by["ann"]["total_with_written"] == "3"
    assert by["ann"]["max_with_written"] == "4" and by["ann"]["written_pending"] == ""
    assert by["bob"]["written:written_why"] == "0"
    assert by["evil"]["written_pending"] == "written_why" and by["evil"]["total_with_written"] == "2"
    assert by["ann"]["total"] == "2"  # the auto-graded total is left as batch wrote it
    assert "written_total" in (tmp_path / "grades.columns.txt").read_text()
    # importing again replaces the columns instead of adding more
    assert cli(["written", "import", str(sheet), "--grades", str(grades)], tiny).returncode == 0
    header = grades.read_text(encoding="utf-8").splitlines()[0].strip().split(",")
    assert header.count("written_total") == 1


@pytest.mark.parametrize("score,why", [("7", "0..1"), ("abc", "숫자"), ("nan", "0..1")])
def test_bad_scores_are_one_line_errors(tiny, tmp_path, score, why):
    sheet = tmp_path / "scores.csv"
    sheet.write_text(f"student,assignment,question,max_points,score,comment\nann,00_tiny,written_why,1,{score},\n")
    with pytest.raises(InputError) as exc:
        read_sheet(load_course(tiny), sheet)
    assert why in str(exc.value) and "2번째 줄" in str(exc.value)
    grades = tmp_path / "grades.csv"
    grades_csv(grades, ["ann"])
    p = cli(["written", "import", str(sheet), "--grades", str(grades)], tiny)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "scores.csv" in p.stderr


def test_manual_grades_from_an_nbgrader_gradebook(tiny, tmp_path, monkeypatch):
    import os

    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    db = tmp_path / "gradebook.db"
    with Gradebook(f"sqlite:///{db}") as gb:
        gb.add_assignment("00_tiny")
        gb.update_or_create_notebook("00_tiny", "00_tiny")
        gb.update_or_create_grade_cell("written_why", "00_tiny", "00_tiny", max_score=1, cell_type="markdown")
        for s in ("ann", "bob"):
            gb.add_student(s)
            gb.add_submission("00_tiny", s)
        g = gb.find_grade("written_why", "00_tiny", "00_tiny", "ann")
        g.manual_score = 0.5
        gb.db.commit()
    scores = read_gradebook(load_course(tiny), db)
    assert scores == {("ann", "written_why"): 0.5, ("bob", "written_why"): None}
    grades = tmp_path / "grades.csv"
    grades_csv(grades, ["ann", "bob"])
    assert merge_into_grades(load_course(tiny), grades, scores) == (2, 1)
    by = {r["student"]: r for r in _rows(grades)}
    assert by["ann"]["written:written_why"] == "0.5" and by["bob"]["written_pending"] == "written_why"
