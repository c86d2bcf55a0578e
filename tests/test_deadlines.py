"""Deadlines on git clones: which commit is graded, days late, extensions, and lies that are flagged."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
import tiny_course

from autograder.course import load_course
from autograder.deadlines import NotARepository, read_extensions, snapshot

DUE = load_course(tiny_course.write_course(Path(__import__("tempfile").mkdtemp()) / "c")).model.assignments[0].due


def git(repo: Path, *args, date: dt.datetime | None = None):
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "s",
        "GIT_AUTHOR_EMAIL": "s@x",
        "GIT_COMMITTER_NAME": "s",
        "GIT_COMMITTER_EMAIL": "s@x",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    if date is not None:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = date.isoformat()
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, text: str, date: dt.datetime, name: str = "00_tiny/00_tiny.ipynb"):
    p = repo / "assignments" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", text, date=date)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return load_course(tiny_course.write_course(tmp_path_factory.mktemp("d") / "course"))


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "student"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    return r


def test_cutoff_grades_the_last_commit_before_the_deadline(course, repo, tmp_path):
    early = commit(repo, "v1", DUE - dt.timedelta(days=2))
    on_time = commit(repo, "v2", DUE - dt.timedelta(minutes=1))
    commit(repo, "v3 late", DUE + dt.timedelta(hours=3))
    (pick,) = snapshot(course, repo, "student", tmp_path / "out")
    assert pick.commit == on_time != early and pick.days_late == 0 and pick.penalty == 0
    assert pick.path.read_text() == "v2"


def test_nothing_before_the_deadline_is_not_submitted(course, repo, tmp_path):
    commit(repo, "late", DUE + dt.timedelta(seconds=1))
    (pick,) = snapshot(course, repo, "student", tmp_path / "out")
    assert pick.commit is None and pick.path is None and "마감" in pick.problem


def test_penalty_policy_counts_started_days(course, repo, tmp_path):
    from autograder.course import LatePolicy

    commit(repo, "v1", DUE - dt.timedelta(days=1))
    late = commit(repo, "v2", DUE + dt.timedelta(days=1, minutes=1))  # 2 started days
    import copy

    tree = copy.copy(course)
    tree.model = course.model.model_copy(
        update={"late": LatePolicy(policy="penalty", penalty_per_day=0.1, max_penalty=0.15)}
    )
    (pick,) = snapshot(tree, repo, "student", tmp_path / "out")
    assert pick.commit == late and pick.days_late == 2 and pick.penalty == pytest.approx(0.15)  # capped


def test_extension_moves_the_deadline_for_one_student(course, repo, tmp_path):
    commit(repo, "v1", DUE - dt.timedelta(days=1))
    late = commit(repo, "v2", DUE + dt.timedelta(days=1))
    ext = tmp_path / "ext.yaml"
    ext.write_text("student:\n  00_tiny: 2\nother:\n  '*': 1\n")
    extensions = read_extensions(ext)
    (pick,) = snapshot(course, repo, "student", tmp_path / "a", extensions=extensions)
    assert pick.commit == late and pick.days_late == 0
    (other,) = snapshot(course, repo, "someone", tmp_path / "b", extensions=extensions)
    assert other.commit != late


def test_at_head_grades_the_checkout(course, repo, tmp_path):
    commit(repo, "v1", DUE - dt.timedelta(days=1))
    head = commit(repo, "v2", DUE + dt.timedelta(days=9))
    (pick,) = snapshot(course, repo, "student", tmp_path / "out", at_head=True)
    assert pick.commit == head and pick.days_late == 0 and pick.penalty == 0


def test_backdated_commit_is_flagged(course, repo, tmp_path):
    commit(repo, "v1", DUE - dt.timedelta(days=1))
    commit(repo, "v2 backdated", DUE - dt.timedelta(days=3))  # earlier than its parent
    (pick,) = snapshot(course, repo, "student", tmp_path / "out")
    assert any("부모" in f for f in pick.flags), pick.flags


def test_commit_dated_after_the_clone_is_flagged(course, tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    commit(origin, "future", dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    (pick,) = snapshot(course, clone, "student", tmp_path / "out", at_head=True)
    assert any("clone" in f for f in pick.flags), pick.flags


def test_a_linked_notebook_in_the_commit_is_not_read(course, repo, tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_text("SECRET")
    nb = repo / "assignments" / "00_tiny" / "00_tiny.ipynb"
    nb.parent.mkdir(parents=True)
    nb.symlink_to(secret)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "link", date=DUE - dt.timedelta(days=1))
    (pick,) = snapshot(course, repo, "student", tmp_path / "out")
    assert pick.path is None and "120000" in pick.problem
    assert not any(p.read_text() == "SECRET" for p in (tmp_path / "out").rglob("*") if p.is_file())


@pytest.mark.parametrize("attack", ["gitfile", "symlink", "alternates"])
def test_borrowed_repositories_are_refused(course, repo, tmp_path, attack):
    commit(repo, "v1", DUE - dt.timedelta(days=1))
    victim = tmp_path / "student2"
    victim.mkdir()
    if attack == "gitfile":
        (victim / ".git").write_text(f"gitdir: {repo / '.git'}\n")
    elif attack == "symlink":
        (victim / ".git").symlink_to(repo / ".git")
    else:
        git(victim, "init", "-q")
        (victim / ".git" / "objects" / "info").mkdir(parents=True, exist_ok=True)
        (victim / ".git" / "objects" / "info" / "alternates").write_text(str(repo / ".git" / "objects") + "\n")
    with pytest.raises(NotARepository):
        snapshot(course, victim, "student2", tmp_path / "out")


# ------------------------------------------------------------------------------------------
# autograder batch on git clones
# ------------------------------------------------------------------------------------------
def test_batch_grades_each_clone_at_its_deadline(tmp_path):
    import csv

    import nbformat
    from test_batch import GOOD, PARTIAL, run_cli

    root = tiny_course.write_course(tmp_path / "course")
    src = nbformat.read(str(root / "solutions" / "00_tiny" / "00_tiny.ipynb"), as_version=4)

    def notebook(answers):
        nb = nbformat.from_dict(src)
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in ("scale", "sample_coin"):
                cell.source = answers[gid]
        return nbformat.writes(nb)

    def clone(name, history):
        r = root / "class" / name
        r.mkdir(parents=True)
        git(r, "init", "-q", "-b", "main")
        for answers, when in history:
            commit(r, notebook(answers), when)
        return r

    clone("ontime", [(PARTIAL, DUE - dt.timedelta(days=2)), (GOOD, DUE - dt.timedelta(hours=1))])
    clone("late", [(PARTIAL, DUE - dt.timedelta(days=1)), (GOOD, DUE + dt.timedelta(hours=30))])
    clone("extended", [(PARTIAL, DUE - dt.timedelta(days=1)), (GOOD, DUE + dt.timedelta(hours=30))])
    (root / "ext.yaml").write_text("extended:\n  '*': 2\n")
    out = root / "grades.csv"
    run_cli(["batch", "class", "--out", str(out), "--no-progress", "--extensions", "ext.yaml"], root)
    with open(out) as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    full = float(rows["ontime"]["max_score"])
    assert float(rows["ontime"]["total"]) == full
    assert float(rows["late"]["total"]) < full  # the push after the deadline does not count (cutoff)
    assert float(rows["extended"]["total"]) == full and rows["extended"]["00_tiny:days_late"] == "0"
    assert len(rows["late"]["00_tiny:commit"]) == 12

    at_head = root / "head.csv"
    run_cli(["batch", "class", "--out", str(at_head), "--no-progress", "--at", "HEAD"], root)
    with open(at_head) as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert float(rows["late"]["total"]) == full

    yaml_text = (root / "course.yaml").read_text()
    (root / "course.yaml").write_text(
        yaml_text.replace(
            "assignments:", "late: {policy: penalty, penalty_per_day: 0.25, max_penalty: 0.5}\nassignments:", 1
        )
    )
    penalty = root / "penalty.csv"
    run_cli(["batch", "class", "--out", str(penalty), "--no-progress"], root)
    with open(penalty) as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["late"]["00_tiny:days_late"] == "2"  # 30 hours late: two started days
    assert float(rows["late"]["total"]) == pytest.approx(full * 0.5)
    assert float(rows["ontime"]["total"]) == full
