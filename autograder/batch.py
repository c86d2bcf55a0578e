"""``autograder batch``: grade a whole class, the authoritative grade.

    autograder batch SUBMISSIONS_DIR --out grades.csv [-j N]

SUBMISSIONS_DIR holds one folder per student, in either layout the engine reads
(:func:`autograder.pipeline.find_entries`): a GitHub Classroom clone
(``<student>/assignments/<id>/<id>.ipynb``) or nbgrader's ``submitted/<student>/<id>/<id>.ipynb``.

Safe and resumable:

- every student's result is a file ``<out>.d/results/<student>.json``, written atomically
  (temporary file + ``os.replace``) after the student's feedback, and holding a *key*: the
  SHA-256 of the student's notebooks and of everything that decides a grade (course.yaml,
  the check files, the reference solutions or public reference outputs, the engine's code).
  A kill -9 loses at most the students being graded at that moment; a rerun reuses every
  result whose key still matches and grades only new or changed submissions (or everyone,
  when a check or solution changed).
- the CSV is rebuilt from the finished results and written atomically at most every
  ``CSV_INTERVAL_S`` seconds during the run and once at the end (building it is O(n), so a run
  costs O(n) per snapshot, never O(n) per student): it is always a consistent snapshot, every row
  a finished student (a kill -9 leaves out at most the last few seconds' students; the rerun adds
  them from their result files);
- ``--shard i/n`` grades only the students whose stable hash (SHA-256 of the folder name's exact
  bytes) is ``i`` modulo ``n``; each run writes ``<out>.d/manifest.json`` (its shard, the course
  fingerprint, every student's result file and key, whether it finished), from which
  ``autograder merge`` (:mod:`autograder.merge`) builds the same CSV, feedback and report as one
  unsharded run;
- ``--dask ADDRESS`` sends the students to a Dask distributed cluster instead of the local pool
  (:func:`_grade_dask`);
- students are graded in a pool of ``-j`` grader processes (each student's code runs in its
  own sandboxed worker started by :func:`autograder.pipeline.grade_entries`, forked from the
  grader process's :class:`autograder.run.Template`, which imported torch once). A student's
  timeout is a score of 0 on what hung; an unexpected crash of the grader on one student is
  recorded as that student's error row and the batch goes on.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from . import __version__, errors
from .course import CourseTree
from .fsutil import atomic_write, temp_glob
from .store import (
    MANIFEST_VERSION,
    RESULT_VERSION,
    display_name,
    find_students,
    load_result,
    name_id,
    record_bytes,
    record_order,
    report_path,
    safe_name,
    state_dir,
)

CSV_INTERVAL_S = 5.0  # at most one CSV snapshot per this many seconds during a run
SUMMARY_ROWS = 200  # a larger class gets the summary's mean row only (rich needs ~4 ms a row; the CSV has them all)
ENGINE_DIR = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------
# keys
# ------------------------------------------------------------------------------------------
def _sha_file(h, path: Path) -> None:
    try:
        h.update(path.read_bytes())
    except OSError:
        h.update(b"<missing>")


def course_fingerprint(tree: CourseTree) -> str:
    """Everything besides the submission that decides a grade."""
    h = hashlib.sha256(f"batch/{RESULT_VERSION}/{__version__}".encode())
    h.update(b"course.yaml\0")
    _sha_file(h, tree.path)
    for folder, patterns in ((tree.checks_dir, ("*.py", "*.json")), (ENGINE_DIR, ("*.py",))):
        files = sorted({p for pat in patterns for p in folder.rglob(pat) if "__pycache__" not in p.parts})
        for p in files:
            h.update(f"\0{p.relative_to(folder).as_posix()}\0".encode())
            _sha_file(h, p)
    for a in tree.model.assignments:
        h.update(f"\0solution/{a.id}\0".encode())
        if tree.has_solutions:
            _sha_file(h, tree.source_notebook(a))
        else:
            _sha_file(h, tree.release_notebook(a))
    return h.hexdigest()


def submission_key(course_fp: str, entries) -> str:
    """The student's notebooks, read only through :func:`autograder.load.read_submission_file`
    (no links, FIFOs or devices; a refusal is hashed as its message)."""
    from .errors import InputError
    from .load import read_submission_file

    h = hashlib.sha256(course_fp.encode())
    for e in entries:
        h.update(f"\0{e.assignment.id}\0".encode())
        if e.path is not None:
            try:
                h.update(read_submission_file(e.root if e.root is not None else Path(e.path).parent, e.path))
            except InputError as exc:
                h.update(f"<unreadable>{exc}".encode("utf-8", "backslashreplace"))
        else:
            h.update(f"problem:{e.problem}".encode("utf-8", "backslashreplace"))
    return h.hexdigest()


# ------------------------------------------------------------------------------------------
# files
# ------------------------------------------------------------------------------------------
def shard_of(student: str, n: int) -> int:
    """The shard (0 <= shard < n) of a student folder name: stable across machines, Python versions
    and runs (SHA-256 of the name's exact bytes, never Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256(os.fsencode(student)).digest()[:8], "big") % n


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` with 0 <= i < n (GitHub's matrix index) -> (i, n); anything else is a one-line error."""
    try:
        i, n = (int(x) for x in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected i/n, e.g. 0/4 (shards are numbered 0 to n-1)") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard {text!r}: need 0 <= i < n (shards are numbered 0 to n-1)")
    return i, n


# ------------------------------------------------------------------------------------------
# per-student wall-clock limit (issue 13): a grader process that stalls on one student is
# killed, the student is recorded as ``timeout`` and the batch goes on
# ------------------------------------------------------------------------------------------
_STARTS = None


def _pool_init(starts) -> None:
    """In each grader process: where to say which student it starts grading (pid, student)."""
    global _STARTS  # noqa: PLW0603 - set once per pool process by its initializer, read by grade_student
    _STARTS = starts


def student_time_limit(tree: CourseTree) -> float:
    """course.yaml ``grading.batch_student_timeout_s``, else twice the whole-submission limit
    plus a minute (the grader's own work: reading, reference outputs, checks)."""
    g = tree.model.grading
    return float(g.batch_student_timeout_s or 2 * g.time_limit_s + 60)


def _descendants(pid: int) -> list[int]:
    """Processes below ``pid`` (from /proc), children first found breadth-first."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _kill_grader(pid: int) -> None:
    """SIGKILL a grader process and what it started (its template and workers)."""
    import signal

    for p in [pid, *_descendants(pid)]:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)


# ------------------------------------------------------------------------------------------
# one student (runs in a pool process)
# ------------------------------------------------------------------------------------------
class GraderState:
    """What one grader process keeps between the students it grades, and nothing else.

    A pool process lives for one ``autograder batch``; a Dask worker serves every batch sent to
    it, possibly of several courses or of a course edited in between. So, per course root:

    - the loaded course, keyed by the bytes of its course.yaml: an edited course is reloaded, and
      its settings (tolerances) are applied again for every student
      (:func:`autograder.context.apply_settings`), so no student is graded with another course's settings;
    - the worker template (:class:`autograder.run.Template`: torch imported once, each student's
      worker forked from it), rebuilt (and the old one closed) when the course is reloaded.

    One entry per root, so the state is bounded by the courses a process serves. Nothing a student
    controls is kept: each student's code runs in a fresh worker, and results are files."""

    def __init__(self):
        self._trees: dict[str, tuple[bytes | None, CourseTree]] = {}
        self._templates: dict[str, tuple[CourseTree, object]] = {}

    def tree(self, root: str) -> CourseTree:
        from .context import apply_settings, load

        root = str(root)
        try:
            key = hashlib.sha256((Path(root) / "course.yaml").read_bytes()).digest()
        except OSError:
            key = None  # load() reports it (or finds the course elsewhere): never kept
        hit = self._trees.get(root)
        if key is not None and hit is not None and hit[0] == key:
            return apply_settings(hit[1])
        tree = load(root)
        if key is not None:
            self._trees[root] = (key, tree)
        return tree

    def template(self, tree: CourseTree):
        """This process's worker template for ``tree``, or None (unsupported, failed, or turned off:
        ``AUTOGRADER_TEMPLATE=0`` makes every student's worker import torch itself)."""
        from .run import Template

        off = os.environ.get("AUTOGRADER_TEMPLATE", "1").strip() in ("0", "off", "no", "false")
        if off or not Template.supported():
            return None
        key = str(tree.root)
        hit = self._templates.get(key)
        if hit is not None and hit[0] is not tree:  # the course was reloaded: its imports may differ
            hit[1].close()
            hit = None
        if hit is None:
            import atexit

            from .pipeline import course_imports

            hit = self._templates[key] = (tree, Template(course_imports(tree)))
            atexit.register(hit[1].close)
        return hit[1] if hit[1].ok else None

    def templates(self) -> list:
        """The templates this process holds (for benchmarks/profile_student.py)."""
        return [tpl for _, tpl in self._templates.values()]


_PROCESS = GraderState()  # this process's: see GraderState (a pool process or a Dask worker)


def public_check_sources(tree: CourseTree) -> dict:
    from .checks import load_checks

    out = {}
    for a in tree.model.assignments:
        with contextlib.suppress(Exception):  # feedback without source is still feedback
            for s in load_checks(tree.checks_dir, a.id, ("public",)):
                out[(a.id, s.id)] = s.source
    return out


def grade_student(job: dict) -> dict:
    """Grade one student, write feedback then the result file (the commit point); return a summary."""
    from .errors import InputError
    from .pipeline import find_entries, grade_entries
    from .report import feedback_html, feedback_markdown, to_json

    keep = job.get("return_feedback")  # Dask: the client writes feedback and result (see _grade_dask)
    tree = _PROCESS.tree(job["root"])
    student, folder = job["student"], Path(job["folder"])
    template = _PROCESS.template(tree)
    if _STARTS is not None:  # the parent's per-student clock starts now (course and template ready)
        _STARTS.put((student, os.getpid()))
    started = time.time()
    feedback = None
    record = {
        "version": RESULT_VERSION,
        "student": display_name(student),
        "name_id": name_id(student),
        "folder": display_name(str(folder)),
        "key": job["key"],
    }
    try:
        try:
            entries = find_entries(tree, [folder])
        except InputError as exc:
            entries = None
            record.update(
                status="no_submission",
                problem=str(exc),
                result={"score": 0, "max_score": tree_max(tree), "assignments": []},
            )
        if entries is not None:
            info: dict = {}
            results = grade_entries(
                tree,
                entries,
                visibilities=tuple(job["visibilities"]),
                sandbox=job["sandbox"],
                template=template,
                info=info,
            )
            record["workers"] = info.get("workers")
            md = feedback_markdown(results, student=display_name(student), check_sources=public_check_sources(tree))
            html_page = feedback_html(md, title=f"채점 피드백 — {display_name(student)}")
            if keep:
                feedback = {"md": md, "html": html_page}
            else:
                fb = Path(job["feedback_dir"]) / safe_name(student)
                atomic_write(fb / "feedback.md", md)
                atomic_write(fb / "feedback.html", html_page)
            problems = [f"{r.id}: {r.problem}" for r in results if r.problem]
            record.update(status="graded", problem="; ".join(problems), result=to_json(results))
    except Exception as exc:  # noqa: BLE001 - one student's failure never stops the batch
        from .errors import clean_text

        record.update(
            status="error",
            problem=clean_text(f"grader error: {type(exc).__name__}: {exc}"),
            traceback=clean_text(traceback.format_exc()[-4000:]),
            result={"score": 0, "max_score": tree_max(tree), "assignments": []},
        )
    if job.get("picks") is not None:
        apply_picks(record, job["picks"])
    record["seconds"] = round(time.time() - started, 3)
    record["graded_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if keep:
        return {"record": record, "feedback": feedback}
    atomic_write(Path(job["result_path"]), record_bytes(record))
    return record


def commit_remote(job: dict, reply: dict) -> dict:
    """The client side of a Dask student: feedback first, then the result file (the commit point)."""
    record, feedback = reply["record"], reply.get("feedback")
    if feedback is not None:
        fb = Path(job["feedback_dir"]) / safe_name(job["student"])
        atomic_write(fb / "feedback.md", feedback["md"])
        atomic_write(fb / "feedback.html", feedback["html"])
    atomic_write(Path(job["result_path"]), record_bytes(record))
    return record


def apply_picks(record: dict, picks: list[dict]) -> None:
    """Deadlines (git clones): say which commit was graded per assignment, take off the late penalty,
    and replace "not submitted" by why nothing was graded (e.g. no commit before the deadline)."""
    record["picks"] = picks
    result = record.setdefault("result", {"score": 0, "max_score": 0, "assignments": []})
    by_id = {a.get("id"): a for a in result.get("assignments", [])}
    notes = []
    for p in picks:
        a = by_id.get(p["assignment"])
        if (p.get("problem") and not p.get("commit")) or (p.get("problem") and a is not None and a.get("problem")):
            notes.append(f"{p['assignment']}: {p['problem']}")
            if a is not None:
                a["problem"] = p["problem"]
        if a is not None and p.get("penalty"):
            a["raw_score"] = a["score"]
            a["score"] = round(a["score"] * (1 - p["penalty"]), 6)
        notes += [f"{p['assignment']}: flag: {f}" for f in p.get("flags", [])]
    result["score"] = round(sum(a.get("score", 0) for a in result.get("assignments", [])), 6)
    if notes:
        record["problem"] = "; ".join(x for x in [record.get("problem") or "", *notes] if x)


def tree_max(tree: CourseTree) -> float:
    return sum(a.max_score for a in tree.model.assignments)


# ------------------------------------------------------------------------------------------
# CSV and summary
# ------------------------------------------------------------------------------------------
def csv_text(tree: CourseTree, records: list[dict]) -> str:
    ids = [a.id for a in tree.model.assignments]
    dated = any(r.get("picks") for r in records)  # git clones graded at their deadlines
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    extra = [f"{i}:{col}" for i in ids for col in ("commit", "days_late")] if dated else []
    w.writerow(["student", *ids, "total", "max_score", "status", "problem", "key", *extra])
    for r in sorted(records, key=record_order):
        by_id = {a["id"]: a for a in r["result"].get("assignments", [])}
        cells = [f"{by_id[i]['score']:g}" if i in by_id else "0" for i in ids]
        row = [
            r["student"],
            *cells,
            f"{r['result']['score']:g}",
            f"{tree_max(tree):g}",
            r["status"],
            (r.get("problem") or "").replace("\n", " ")[:500],
            r["key"][:16],
        ]
        if dated:
            picks = {p["assignment"]: p for p in r.get("picks") or []}
            for i in ids:
                p = picks.get(i, {})
                row += [(p.get("commit") or "")[:12], str(p.get("days_late", "")) if p else ""]
        w.writerow(row)
    return buf.getvalue()


def print_summary(
    tree: CourseTree, records: list[dict], *, reused: int, graded: int, seconds: float, console=None
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(stderr=False, highlight=False)
    ids = [a.id for a in tree.model.assignments]
    maxes = {a.id: a.max_score for a in tree.model.assignments}
    # short headers ("01" for 01_initialization, named in the caption) so that student names fit
    short = {i: i.split("_")[0] for i in ids}
    if len(set(short.values())) < len(ids) or not all(short.values()):
        short = {i: i for i in ids}
    caption = ", ".join(f"{short[i]} = {i}" for i in ids if short[i] != i)
    listed = len(records) <= SUMMARY_ROWS
    if not listed:
        caption = ", ".join(x for x in [caption, f"{len(records)} students: one row each in the CSV"] if x)
    table = Table(title=f"일괄 채점 결과 (batch): {len(records)} students", caption=caption or None)
    from rich.text import Text

    width = max([len(r["student"]) for r in records if listed] + [len("student")])
    table.add_column("student", no_wrap=True, min_width=min(width, 40))
    for i in ids:
        table.add_column(f"{short[i]}\n/{maxes[i]:g}", justify="right", no_wrap=True)
    table.add_column(f"total\n/{tree_max(tree):g}", justify="right")
    table.add_column("status")
    for r in sorted(records, key=record_order) if listed else ():
        by_id = {a["id"]: a for a in r["result"].get("assignments", [])}
        table.add_row(
            Text(r["student"]),
            *[f"{by_id[i]['score']:g}" if i in by_id else "-" for i in ids],
            f"{r['result']['score']:g}",
            r["status"] if r["status"] != "graded" else "ok",
        )
    if records:
        mean = {
            i: sum(next((a["score"] for a in r["result"].get("assignments", []) if a["id"] == i), 0) for r in records)
            / len(records)
            for i in ids
        }
        table.add_row(
            "[b]mean[/b]",
            *[f"{mean[i]:.2f}" for i in ids],
            f"{sum(r['result']['score'] for r in records) / len(records):.2f}",
            "",
            end_section=True,
        )
    console.print(table)
    errs = [r for r in sorted(records, key=record_order) if r["status"] == "error"]
    slow = [r for r in sorted(records, key=record_order) if r["status"] == "timeout"]
    console.print(
        f"graded {graded}, reused {reused} unchanged result(s), {len(errs)} grader error(s) in {seconds:.1f} s"
    )
    for r in errs + slow:
        console.print(Text.assemble((r["status"], "red"), " ", r["student"], ": ", r["problem"]))


# ------------------------------------------------------------------------------------------
# the batch
# ------------------------------------------------------------------------------------------
def _progress(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, initial=initial, unit="student", desc="grading", file=sys.stderr, dynamic_ncols=True)


def run_batch(
    tree: CourseTree,
    submissions: Path,
    *,
    out: Path,
    jobs: int = 2,
    feedback_dir: Path | None = None,
    progress: bool = True,
    sandbox: bool = True,
    force: bool = False,
    console=None,
    student_timeout_s: float | None = None,
    at_head: bool = False,
    extensions: Path | None = None,
    shard: tuple[int, int] = (0, 1),
    dask: str | None = None,
) -> int:
    from .errors import InputError
    from .pipeline import find_entries

    started = time.time()
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise InputError(
            submissions, "제출물 폴더가 없습니다 (SUBMISSIONS_DIR must be a folder with one folder per student)"
        )
    students = find_students(submissions)
    if not students:
        raise InputError(submissions, "학생 폴더가 없습니다 (no student folders inside)")
    shard_i, shard_n = shard
    if shard_n > 1:
        students = [f for f in students if shard_of(f.name, shard_n) == shard_i]
    from .checks import load_checks

    for a in tree.model.assignments:  # a check file that does not load is the course's error (exit 2), before
        load_checks(tree.checks_dir, a.id, ("public", "hidden") if tree.has_solutions else ("public",))  # grading
    out = Path(out).resolve()
    sdir = state_dir(out)
    results_dir = sdir / "results"
    feedback_dir = Path(feedback_dir).resolve() if feedback_dir else sdir / "feedback"
    lock = _lock_output(out, sdir)  # noqa: F841 - held while this batch runs
    _remove_stale_temporaries(out, results_dir, feedback_dir)
    visibilities = ("public", "hidden")
    if not tree.has_solutions:
        log.warning("no solutions/ here: only the public checks are graded (run batch in the instructor repository)")
        visibilities = ("public",)
    course_fp = course_fingerprint(tree)

    limit = float(student_timeout_s) if student_timeout_s else student_time_limit(tree)
    records: dict[str, dict] = {}  # by the exact folder name
    todo: list[dict] = []
    listed: list[dict] = []  # the manifest: every student of this run (shard), graded or not yet
    from . import deadlines
    from .errors import clean_text

    ext = deadlines.read_extensions(extensions) if extensions else deadlines.load_extensions(tree)
    for folder in students:
        name = folder.name
        fname = safe_name(name)  # injective: distinct folders never share a result file
        graded_folder, picks = folder, None
        if not at_head and deadlines.is_git_clone(folder):
            # a git clone: grade each assignment's notebook as of the commit the late policy picks
            graded_folder = sdir / "snapshots" / fname
            shutil.rmtree(graded_folder, ignore_errors=True)
            graded_folder.mkdir(parents=True)
            try:
                picks = [p.to_json() for p in deadlines.snapshot(tree, folder, name, graded_folder, extensions=ext)]
            except (deadlines.NotARepository, OSError, subprocess.SubprocessError) as exc:
                picks = [
                    {"assignment": a.id, "commit": None, "problem": clean_text(f"git: {exc}")}
                    for a in tree.model.assignments
                ]
        try:
            entries = find_entries(tree, [graded_folder])
        except InputError as exc:
            entries = []
            key = submission_key(course_fp, []) + ""
            key = hashlib.sha256(f"{key}/none/{exc.problem}".encode("utf-8", "backslashreplace")).hexdigest()
        else:
            key = submission_key(course_fp, entries)
        if picks is not None:
            key = hashlib.sha256(f"{key}/picks/{json.dumps(picks, sort_keys=True)}".encode()).hexdigest()
        rpath = results_dir / f"{fname}.json"
        listed.append({"name_id": name_id(name), "file": f"{fname}.json", "key": key})
        old = None if force else load_result(rpath, name)
        if old is not None and old.get("key") == key and old.get("status") not in ("error", "timeout"):
            records[name] = old
            continue
        # the folder as named, never resolved: a student folder that is a link is refused, not followed
        todo.append(
            {
                "root": str(tree.root),
                "student": name,
                "folder": str(graded_folder.absolute()),
                "key": key,
                "result_path": str(rpath),
                "feedback_dir": str(feedback_dir),
                "visibilities": list(visibilities),
                "sandbox": sandbox,
                "picks": picks,
            }
        )
    reused = len(records)
    # the feedback folder relative to the store when inside it: a store copied elsewhere (a CI artifact) still finds it
    fb_named = "feedback" if feedback_dir == sdir / "feedback" else str(feedback_dir)
    manifest = {
        "version": MANIFEST_VERSION,
        "shard": [shard_i, shard_n],
        "course": course_fp,
        "feedback_dir": fb_named,
        "complete": False,
        "students": listed,
    }
    atomic_write(sdir / "manifest.json", json.dumps(manifest, indent=0, sort_keys=True))

    write_csv = Throttled(lambda: atomic_write(out, csv_text(tree, list(records.values()))), CSV_INTERVAL_S)

    bar = _progress(len(students), reused, progress)
    if bar is not None and reused:
        bar.set_postfix_str(f"{reused} unchanged")
    write_csv(final=True)
    graded = 0

    def finish(job, rec):
        nonlocal graded
        records[job["student"]] = rec
        graded += 1
        write_csv()
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{rec['student']}: {rec['result']['score']:g}")

    try:
        if dask:
            _grade_dask(tree, todo, finish, address=dask, limit=limit)
        else:
            _grade_local(tree, todo, finish, jobs=jobs, limit=limit)
    finally:
        if bar is not None:
            bar.close()
        write_csv(final=True)
    manifest["complete"] = True
    atomic_write(sdir / "manifest.json", json.dumps(manifest, indent=0, sort_keys=True))
    write_outputs(
        tree,
        out,
        list(records.values()),
        reused=reused,
        graded=graded,
        seconds=time.time() - started,
        console=console,
        csv_written=True,
    )
    print(f"wrote {out}, the class report {report_path(out)} and per-student feedback in {feedback_dir}")
    return errors.EXIT_OK


class Throttled:
    """``fn`` run at most once per ``interval`` seconds (the first call runs), or now with ``final=True``:
    the CSV snapshot, whose cost is O(class size), costs O(class size) per interval, not per student."""

    def __init__(self, fn, interval: float, clock=time.monotonic):
        self.fn, self.interval, self.clock, self.last = fn, interval, clock, None

    def __call__(self, final: bool = False) -> None:
        now = self.clock()
        if final or self.last is None or now - self.last >= self.interval:
            self.fn()
            self.last = self.clock()


def write_outputs(
    tree: CourseTree,
    out: Path,
    records: list[dict],
    *,
    reused: int,
    graded: int,
    seconds: float,
    console=None,
    csv_written: bool = False,
    header: str | None = None,
) -> None:
    """The end of a run or a merge: the CSV, the summary and the class report, all from one list of
    records in one order (:func:`record_order`), so a merge of shards writes what one run writes."""
    from .classreport import write_report

    records = sorted(records, key=record_order)
    if not csv_written:
        atomic_write(out, csv_text(tree, records))
    print_summary(tree, records, reused=reused, graded=graded, seconds=seconds, console=console)
    write_report(tree, out, report_path(out), records=records)


def _grade_local(tree: CourseTree, todo: list[dict], finish, *, jobs: int, limit: float) -> None:
    """A pool of ``jobs`` spawn'd grader processes on this machine, with the per-student limit."""
    attempts: dict[str, int] = {}
    pending = list(todo)
    jobs = max(1, int(jobs))
    while pending:
        ctx = get_context("spawn")  # grader processes start fresh: no state inherited
        starts = ctx.Queue()
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(pending)), mp_context=ctx, initializer=_pool_init, initargs=(starts,)
        ) as pool:
            futures = {pool.submit(grade_student, job): job for job in pending}
            pending = []
            broken = False
            running: dict[str, tuple[int, float]] = {}  # student -> (grader pid, start)
            killed: set[str] = set()
            while futures:
                done, _ = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
                _drain_starts(starts, running)
                now = time.monotonic()
                for fut, job in futures.items():
                    st = running.get(job["student"])
                    if fut not in done and st and now - st[1] > limit and job["student"] not in killed:
                        killed.add(job["student"])
                        _kill_grader(st[0])  # the pool breaks; the other students are requeued
                for fut in done:
                    job = futures.pop(fut)
                    try:
                        rec = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if job["student"] in killed:
                            rec = _timeout_record(tree, job, limit)
                        elif killed:  # we broke the pool: this student was not at fault
                            pending.append(job)
                            continue
                        else:
                            attempts[job["student"]] = attempts.get(job["student"], 0) + 1
                            if attempts[job["student"]] < 2:
                                pending.append(job)
                                continue
                            rec = _error_record(tree, job, "the grader process died (twice) on this submission")
                    except Exception as exc:  # noqa: BLE001
                        rec = _error_record(tree, job, f"{type(exc).__name__}: {exc}")
                    finish(job, rec)
                if broken:
                    for job in list(futures.values()):  # the pool is gone: requeue the rest
                        if job["student"] in killed:
                            finish(job, _timeout_record(tree, job, limit))
                        else:
                            pending.append(job)
                    futures.clear()
        starts.close()
        starts.join_thread()


def _dask_student(job: dict) -> dict:
    """What a Dask worker runs: :func:`grade_student` without writing (the client commits), after
    saying which worker started it (for the per-student limit). The worker process keeps its
    course and forked-worker template between students (:class:`GraderState`)."""
    from distributed import Queue, get_worker

    # as locally, the clock starts once the course and the template are ready
    _PROCESS.template(_PROCESS.tree(job["root"]))
    with contextlib.suppress(Exception):  # then the limit is counted from the submission
        Queue(job["starts_queue"]).put([job["student"], get_worker().address], timeout=10)
    return grade_student(dict(job, return_feedback=True))


def _worker_fingerprint(root: str) -> str:
    """On a Dask worker: the fingerprint of the course at ``root`` as this worker sees it."""
    try:
        if not (Path(root) / "course.yaml").is_file():  # load_course would look elsewhere (cwd, parents)
            raise FileNotFoundError(f"no {Path(root) / 'course.yaml'} on this worker (no shared file system?)")
        return course_fingerprint(_PROCESS.tree(root))
    except Exception as exc:  # noqa: BLE001 - reported by the client in one line
        from .errors import clean_text

        return clean_text(f"error: cannot load the course at {root}: {type(exc).__name__}: {exc}")[:500]


def _grade_dask(tree: CourseTree, todo: list[dict], finish, *, address: str, limit: float) -> None:
    """Students on a Dask distributed cluster (Slurm via dask-jobqueue, Kubernetes via dask-kubernetes,
    or ``dask scheduler`` + ``dask worker``). The workers must see the course and the submissions at
    the same paths as this machine (a shared file system); they write nothing: each returns the
    record and the feedback text, and this process writes them into the result store (feedback
    first, then the result file), so resuming, the lock and the manifest work exactly as locally.

    A student running past ``limit`` seconds after its worker started it is recorded as a time-out
    and that worker is restarted (its template and workers go with it); Dask reschedules the other
    students it held. A student whose task kills workers repeatedly (Dask's KilledWorker) is an error row."""
    import uuid

    try:
        from distributed import Client, Queue
        from distributed import wait as dwait
    except ImportError:  # pragma: no cover - the cluster extra is not installed
        from .errors import InputError

        raise InputError(address, "--dask needs Dask distributed: pip install -e '.[cluster]'") from None
    if not todo:
        return
    client = Client(address, timeout="60s")
    try:
        # every worker must grade with this very course and engine, read from the same path
        mine = course_fingerprint(tree)
        for worker, theirs in sorted(client.run(_worker_fingerprint, str(tree.root)).items()):
            if theirs != mine:
                from .errors import InputError

                raise InputError(
                    address,
                    f"Dask worker {worker} "
                    + (
                        theirs[len("error: ") :]
                        if theirs.startswith("error: ")
                        else f"has another course or autograder version at {tree.root} (its fingerprint differs)"
                    ),
                )
        qname = f"autograder-starts-{uuid.uuid4().hex}"
        starts = Queue(qname, client=client)
        futures = {}
        for job in todo:
            fut = client.submit(
                _dask_student,
                dict(job, starts_queue=qname),
                pure=False,
                key=f"grade-{name_id(job['student'])[:40]}-{uuid.uuid4().hex[:8]}",
            )
            futures[fut] = job
        running: dict[str, tuple[str, float]] = {}  # student -> (worker address, start)
        while futures:
            try:
                done = dwait(list(futures), timeout=0.5, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            while True:
                try:
                    student, worker = starts.get(timeout=0.01)
                except Exception:  # noqa: BLE001 - an empty queue times out (TimeoutError or a wrapped one)
                    break
                running[student] = (worker, time.monotonic())
            now = time.monotonic()
            for fut, job in list(futures.items()):
                st = running.get(job["student"])
                if fut not in done and st and now - st[1] > limit:
                    futures.pop(fut)
                    fut.cancel()
                    with contextlib.suppress(Exception):  # a worker already gone needs no restart
                        client.restart_workers([st[0]], raise_for_error=False)
                    finish(job, _timeout_record(tree, job, limit))
            for fut in done:
                job = futures.pop(fut, None)
                if job is None:
                    continue
                try:
                    rec = commit_remote(job, fut.result())
                except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost connection, a bug
                    rec = _error_record(tree, job, f"{type(exc).__name__}: {exc}")
                finish(job, rec)
    finally:
        client.close()


def _lock_output(out: Path, sdir: Path):
    """One batch at a time writes an output: an exclusive lock on ``<out>.d/lock``."""
    import fcntl

    from .errors import InputError

    sdir.mkdir(parents=True, exist_ok=True)
    f = open(sdir / "lock", "w")  # noqa: SIM115 - returned open: the lock lasts as long as the caller holds f
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise InputError(
            out, "다른 autograder batch가 이 결과에 쓰는 중입니다 (another batch is writing this output)"
        ) from None
    return f


def _remove_stale_temporaries(out: Path, results_dir: Path, feedback_dir: Path) -> None:
    """Temporary files of atomic_write that a kill -9 left behind (nobody else writes here: we hold the lock)."""
    stale = list(out.parent.glob(temp_glob(out.name))) + list(results_dir.glob(temp_glob("*")))
    if feedback_dir.is_dir():
        stale += list(feedback_dir.glob("*/" + temp_glob("*")))
    for p in stale:
        with contextlib.suppress(OSError):
            p.unlink()


def _drain_starts(starts, running: dict) -> None:
    import queue

    while True:
        try:
            student, pid = starts.get_nowait()
        except (queue.Empty, OSError, ValueError, EOFError):
            return
        running[student] = (pid, time.monotonic())


def _error_record(tree: CourseTree, job: dict, problem: str, status: str = "error") -> dict:
    from .errors import clean_text

    rec = {
        "version": RESULT_VERSION,
        "student": display_name(job["student"]),
        "name_id": name_id(job["student"]),
        "folder": display_name(job["folder"]),
        "key": job["key"],
        "status": status,
        "problem": clean_text(f"grader error: {problem}" if status == "error" else problem),
        "result": {"score": 0, "max_score": tree_max(tree), "assignments": []},
    }
    atomic_write(Path(job["result_path"]), record_bytes(rec))
    return rec


def _timeout_record(tree: CourseTree, job: dict, limit: float) -> dict:
    return _error_record(
        tree,
        job,
        f"채점이 학생당 제한 시간 {limit:g}초를 넘어 중단되었습니다 (timeout: grading this "
        f"submission took longer than the per-student limit of {limit:g} s; scored 0)",
        status="timeout",
    )
