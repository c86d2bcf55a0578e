"""Deadlines for students whose folder is a git clone (GitHub Classroom): which commit is graded.

For each assignment, :func:`snapshot` picks a commit of the student's repository and writes that
commit's notebook into a fresh folder that the usual pipeline then grades:

- ``cutoff`` (default): the last commit at or before the due date (plus the student's extension);
  a push after the deadline does not count. No such commit: "not submitted by the deadline".
- ``penalty``: the last commit; if it is late, the assignment's score loses ``penalty_per_day`` of its
  points per started day late, at most ``max_penalty``.

"Last" follows the first-parent history of HEAD, and time is the committer date. Commit dates are
written on the student's machine, so they can lie; two lies are visible and flagged (never trusted
silently): a commit dated after the clone was made (the clone's own reflog records when), and a
commit dated earlier than its parent. The robust alternative, cloning at the deadline, is described
in docs/instructors.md.

The student's repository is hostile data: ``.git`` must be a real folder inside the student's folder
(not a link, not a ``gitdir:`` file), repositories borrowing objects from elsewhere
(``objects/info/alternates``) are refused, git runs with no system or global configuration, no hooks
and no pager, only read-only plumbing commands run (``rev-list``, ``ls-tree``, ``cat-file``), and a
notebook is read only if the commit holds it as a regular file (mode 100644/100755, not a link).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import InputError

DAY = 86400.0
GIT_TIMEOUT_S = 30
MAX_BLOB = 50 * 2**20


class NotARepository(Exception):
    pass


@dataclass
class Pick:
    """The commit graded for one assignment, and why."""

    assignment: str
    commit: str | None  # None: nothing to grade (no commit in time, or the notebook is missing)
    committed_at: dt.datetime | None = None
    due: dt.datetime | None = None
    days_late: int = 0
    penalty: float = 0.0  # fraction of the assignment's points taken off
    path: Path | None = None  # the notebook written from that commit
    problem: str = ""
    flags: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "assignment": self.assignment,
            "commit": self.commit,
            "committed_at": self.committed_at.isoformat() if self.committed_at else None,
            "due": self.due.isoformat() if self.due else None,
            "days_late": self.days_late,
            "penalty": self.penalty,
            "problem": self.problem,
            "flags": list(self.flags),
        }


def is_git_clone(folder: Path) -> bool:
    g = Path(folder) / ".git"
    return os.path.lexists(g)


def _git_dir(folder: Path) -> Path:
    g = Path(folder) / ".git"
    st = os.lstat(g)
    if not stat.S_ISDIR(st.st_mode):
        raise NotARepository(".git이 폴더가 아닙니다 (a link or a gitdir file: refused)")
    if (g / "objects" / "info" / "alternates").exists() or (g / "commondir").exists():
        raise NotARepository("다른 저장소의 객체를 빌려 쓰는 저장소입니다 (objects/info/alternates: refused)")
    return g


def _git(git_dir: Path, *args: str, binary: bool = False):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "LC_ALL": "C",
        "HOME": os.devnull,
        "GIT_NO_REPLACE_OBJECTS": "1",
    }
    cmd = [
        "git",
        "--no-pager",
        f"--git-dir={git_dir}",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "safe.directory=*",
        "-c",
        "protocol.allow=never",
        *args,
    ]
    p = subprocess.run(  # the exit status becomes NotARepository below
        cmd, capture_output=True, env=env, timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False
    )
    if p.returncode != 0:
        raise NotARepository(
            p.stderr.decode("utf-8", "replace").strip().splitlines()[-1][:200] if p.stderr else f"git {args[0]} failed"
        )
    return p.stdout if binary else p.stdout.decode("utf-8", "replace")


def history(git_dir: Path) -> list[tuple[str, float, str | None]]:
    """(commit, committer time, first parent) along HEAD's first-parent history, newest first."""
    out = _git(git_dir, "rev-list", "--first-parent", "--format=%H %ct %P", "--no-commit-header", "HEAD")
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows.append((parts[0], float(parts[1]), parts[2] if len(parts) > 2 else None))
    return rows


def clone_time(git_dir: Path) -> float | None:
    """When this clone was made: the first entry of HEAD's reflog (``clone: from ...``), if there is one."""
    log = git_dir / "logs" / "HEAD"
    try:
        if not stat.S_ISREG(os.lstat(log).st_mode):
            return None
        first = log.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    try:
        meta = first.split("\t", 1)[0].split()
        return float(meta[-2])
    except (ValueError, IndexError):
        return None


def _notebook_blob(git_dir: Path, commit: str, aid: str) -> tuple[bytes | None, str]:
    for rel in (f"assignments/{aid}/{aid}.ipynb", f"{aid}/{aid}.ipynb"):
        listing = _git(git_dir, "ls-tree", "-z", "--full-tree", commit, "--", rel)
        if not listing:
            continue
        meta = listing.rstrip("\0").partition("\t")[0]
        mode, kind, obj = meta.split()
        if kind != "blob" or mode not in ("100644", "100755"):
            return None, f"{rel}: 일반 파일이 아닙니다 (git mode {mode}: a link or folder is not graded)"
        size = int(_git(git_dir, "cat-file", "-s", obj).strip() or 0)
        if size > MAX_BLOB:
            return None, f"{rel}: 파일이 너무 큽니다 ({size / 2**20:.0f} MiB)"
        return _git(git_dir, "cat-file", "blob", obj, binary=True), ""
    return None, "이 커밋에 노트북이 없습니다 (notebook not in the graded commit)"


def load_extensions(tree) -> dict:
    """{student: {assignment id or '*': extra days}} from course.yaml's late.extensions file (or {})."""
    name = tree.model.late.extensions
    if not name:
        return {}
    return read_extensions(tree.root / name)


def read_extensions(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"연장 파일을 읽을 수 없습니다 ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise InputError(path, "연장 파일은 {학생: {과제 id 또는 '*': 추가 일수}} 형식이어야 합니다")
    out = {}
    for student, per in data.items():
        if not isinstance(per, dict):
            raise InputError(path, f"{student}: {{과제 id: 추가 일수}} 형식이어야 합니다")
        out[str(student)] = {}
        for aid, days in per.items():
            if isinstance(days, bool) or not isinstance(days, (int, float)) or not (0 <= days <= 365):
                raise InputError(path, f"{student}.{aid}: 추가 일수 {days!r}은(는) 0..365의 숫자여야 합니다")
            out[str(student)][str(aid)] = float(days)
    return out


def due_for(assignment, student: str, extensions: dict) -> dt.datetime:
    per = extensions.get(student, {})
    days = per.get(assignment.id, per.get("*", 0.0))
    return assignment.due + dt.timedelta(days=days)


def snapshot(
    tree, folder: Path, student: str, dest: Path, *, extensions: dict | None = None, at_head: bool = False
) -> list[Pick]:
    """Write, per assignment, the graded commit's notebook to ``dest/<id>/<id>.ipynb``; return the picks."""
    policy = tree.model.late
    extensions = load_extensions(tree) if extensions is None else extensions
    git_dir = _git_dir(folder)
    hist = history(git_dir)
    if not hist:
        raise NotARepository("커밋이 없습니다 (no commits)")
    cloned = clone_time(git_dir)
    times = {c: t for c, t, _ in hist}
    flags_of: dict = {}
    for c, t, parent in hist:
        if cloned is not None and t > cloned + 60:
            flags_of.setdefault(c, []).append("커밋 날짜가 clone 시각보다 늦습니다 (commit dated after the clone)")
        if parent in times and t < times[parent]:
            flags_of.setdefault(c, []).append("커밋 날짜가 부모 커밋보다 이릅니다 (commit dated before its parent)")
    picks = []
    for a in tree.model.assignments:
        due = due_for(a, student, extensions)
        pick = Pick(a.id, None, due=due)
        if at_head or policy.policy == "penalty":
            commit, t = hist[0][0], hist[0][1]
        else:
            found = next(((c, t) for c, t, _ in hist if t <= due.timestamp()), None)
            if found is None:
                pick.problem = f"마감({due.isoformat()}) 전에 커밋이 없습니다 (nothing committed by the deadline)"
                picks.append(pick)
                continue
            commit, t = found
        pick.commit = commit
        pick.committed_at = dt.datetime.fromtimestamp(t, tz=dt.UTC)
        pick.flags = list(flags_of.get(commit, []))
        late_s = t - due.timestamp()
        if late_s > 0 and not at_head:
            pick.days_late = math.ceil(late_s / DAY)
            pick.penalty = min(policy.max_penalty, policy.penalty_per_day * pick.days_late)
        data, why = _notebook_blob(git_dir, commit, a.id)
        if data is None:
            pick.problem = why
        else:
            path = Path(dest) / a.id / f"{a.id}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            pick.path = path
        picks.append(pick)
    return picks


def snapshot_folder(tree, folder: Path, student: str, **kw) -> tuple[Path, list[Pick]]:
    """A fresh temporary folder holding the graded commits' notebooks (the caller removes it)."""
    dest = Path(tempfile.mkdtemp(prefix="autograder-deadline-"))
    return dest, snapshot(tree, folder, student, dest, **kw)
