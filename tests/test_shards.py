"""Sharded and distributed regrades (issue 18): `batch --shard i/n` + `merge` and `batch --dask ADDRESS`
write exactly what one local unsharded batch writes (byte for byte on the CSV), on the tiny course."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import tiny_course
from test_batch import GOOD, PARTIAL, read_csv, run_cli, write_student

from autograder.batch import parse_shard, shard_of
from autograder.course import load_course
from autograder.errors import InputError

pytestmark = pytest.mark.xdist_group("shards")

# names that take both result-file forms (kept, and slug~hash: upper case, a space) and both shards of 2
# a notebook that loops at top level: its setup runs until setup_timeout_s (20 s in the tiny course)
STALLS = {"scale": "while True:\n    pass\n", "sample_coin": GOOD["sample_coin"]}
STUDENTS = {"alice": GOOD, "bob": PARTIAL, "Kim": GOOD, "dan one": PARTIAL, "eve": GOOD, "kim": PARTIAL}


def test_shard_of_is_a_stable_hash_of_the_exact_name_bytes():
    # pinned: a change of the hash would split a class differently across machines of one regrade
    assert [shard_of(s, 4) for s in ("alice", "bob", "Kim", "kim")] == [
        int.from_bytes(hashlib.sha256(s.encode()).digest()[:8], "big") % 4 for s in ("alice", "bob", "Kim", "kim")
    ]
    assert shard_of("alice", 1) == 0
    # every name is in exactly one shard, and the shards of 2 are not all in one
    assert {shard_of(s, 2) for s in STUDENTS} == {0, 1}
    undecodable = os.fsdecode(b"st\xffudent")  # a folder name that is not UTF-8 still has one shard
    assert 0 <= shard_of(undecodable, 3) < 3
    assert parse_shard("0/4") == (0, 4) and parse_shard("3/4") == (3, 4)
    for bad in ("4/4", "-1/4", "1/0", "a/b", "1", "1/2/3"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)


def test_csv_snapshots_are_throttled_not_per_student():
    from autograder.batch import CSV_INTERVAL_S, Throttled

    now = [100.0]
    writes = []
    snap = Throttled(lambda: writes.append(now[0]), CSV_INTERVAL_S, clock=lambda: now[0])
    for _ in range(1000):  # 1,000 students finishing within 2 s: one snapshot (the first)
        snap()
        now[0] += 0.002
    assert writes == [100.0]
    now[0] += CSV_INTERVAL_S
    snap()
    snap()
    assert len(writes) == 2  # one more once the interval has passed, not two
    snap(final=True)  # the end of a run always writes
    assert len(writes) == 3
    assert 1 <= CSV_INTERVAL_S <= 10  # "at most every few seconds"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The tiny course, a class of six, and one local unsharded batch of it."""
    course = tiny_course.write_course(tmp_path_factory.mktemp("shards") / "course")
    for name, answers in STUDENTS.items():
        write_student(course, name, answers)
    out = course / "single" / "grades.csv"
    run_cli(["batch", "class", "--out", str(out), "-j", "2", "--no-progress"], course)
    return course, out


def _feedback(out: Path) -> dict:
    fb = Path(str(out) + ".d") / "feedback"
    return {p.relative_to(fb).as_posix(): p.read_bytes() for p in sorted(fb.rglob("*")) if p.is_file()}


def test_shards_merge_to_the_single_run(graded):
    course, single = graded
    shards = [course / f"shard{i}" / "grades.csv" for i in range(2)]
    for i, so in enumerate(shards):
        run_cli(["batch", "class", "--out", str(so), "--shard", f"{i}/2", "-j", "1", "--no-progress"], course)
        rows = so.read_text().splitlines()[1:]
        assert rows and len(rows) < len(STUDENTS), "a shard graded the whole class or nobody"
    merged = course / "merged" / "grades.csv"
    stdout, _ = run_cli(["merge", "--out", str(merged), str(shards[1]), str(shards[0])], course)
    assert "merged 2 shard(s), 6 students" in stdout
    assert merged.read_bytes() == single.read_bytes()
    assert len(merged.read_text().splitlines()) == 1 + len(STUDENTS)
    assert _feedback(merged) == _feedback(single)
    rs = {p.name for p in (Path(str(single) + ".d") / "results").glob("*.json")}
    assert {p.name for p in (Path(str(merged) + ".d") / "results").glob("*.json")} == rs
    assert merged.with_name("grades.report.html").read_bytes() == single.with_name("grades.report.html").read_bytes()
    # `autograder report` works on the merged store as on a single run's
    run_cli(["report", str(merged), "--out", str(course / "merged" / "again.html")], course)

    # what merge refuses, one line each, before writing anything
    tree = load_course(course)
    from autograder.merge import merge

    with pytest.raises(InputError, match=r"shard\(s\) 1/2 missing"):
        merge(tree, course / "m2" / "grades.csv", [shards[0]])
    with pytest.raises(InputError, match="given twice"):
        merge(tree, course / "m2" / "grades.csv", [shards[0], shards[0]])
    with pytest.raises(InputError, match="not the --out of an `autograder batch` run"):
        merge(tree, course / "m2" / "grades.csv", [shards[0], course / "nowhere.csv"])
    with pytest.raises(InputError, match="must not be one of the shards"):
        merge(tree, shards[0], shards)
    man = Path(str(shards[1]) + ".d") / "manifest.json"
    saved = man.read_bytes()
    m = json.loads(saved)
    try:
        man.write_text(json.dumps(dict(m, complete=False)))
        with pytest.raises(InputError, match="did not finish"):
            merge(tree, course / "m2" / "grades.csv", shards)
        man.write_text(json.dumps(dict(m, course="0" * 64)))
        with pytest.raises(InputError, match="another course or engine"):
            merge(tree, course / "m2" / "grades.csv", shards)
        entry = m["students"][0]
        man.write_text(json.dumps(dict(m, students=[dict(entry, key="f" * 64), *m["students"][1:]])))
        with pytest.raises(InputError, match="not the one its manifest lists"):
            merge(tree, course / "m2" / "grades.csv", shards)
        man.write_text(json.dumps(dict(m, students=[dict(entry, name_id="../x"), *m["students"][1:]])))
        with pytest.raises(InputError, match="bad name_id"):
            merge(tree, course / "m2" / "grades.csv", shards)
    finally:
        man.write_bytes(saved)
    assert not (course / "m2" / "grades.csv").exists()


def test_dask_cluster_grades_like_a_local_run(graded):
    distributed = pytest.importorskip("distributed", reason="pip install -e .[cluster]")
    course, single = graded
    out = course / "dask" / "grades.csv"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, silence_logs=50
    ) as cluster:
        stdout, _ = run_cli(
            ["batch", "class", "--out", str(out), "--dask", cluster.scheduler_address, "--no-progress"], course
        )
        assert "graded 6, reused 0" in stdout
        workers = set()
        for p in (Path(str(out) + ".d") / "results").glob("*.json"):
            workers.add(json.loads(p.read_text())["workers"]["forked"])
        assert workers == {1}, "a Dask worker started a student's worker without its template"

        # a student still running past --student-timeout after its worker started it: a timeout row,
        # that worker restarted, the other students graded
        hang_class = course / "hangclass"
        for name, answers in (("hangs", STALLS), ("fine", GOOD)):
            hang_class.mkdir(exist_ok=True)  # written into class/, moved out of the shared class
            shutil.move(write_student(course, name, answers).parents[2], hang_class / name)
        hung = course / "dask-hang" / "grades.csv"
        run_cli(
            [
                "batch",
                str(hang_class),
                "--out",
                str(hung),
                "--dask",
                cluster.scheduler_address,
                "--student-timeout",
                "4",
                "--no-progress",
            ],
            course,
            timeout=300,
        )
        rows = read_csv(hung)
        assert rows["hangs"]["status"] == "timeout" and float(rows["hangs"]["total"]) == 0
        assert "4" in rows["hangs"]["problem"]
        assert rows["fine"]["status"] == "graded" and float(rows["fine"]["total"]) == 5
    assert out.read_bytes() == single.read_bytes()
    assert _feedback(out) == _feedback(single)
    # the same resumable store: a local rerun reuses every result the cluster wrote
    stdout, _ = run_cli(["batch", "class", "--out", str(out), "--no-progress"], course)
    assert "graded 0, reused 6" in stdout
    assert out.read_bytes() == single.read_bytes()


def test_regrade_workflow_shards_cover_the_class_and_merge_all():
    import re

    import yaml

    wf = yaml.safe_load((Path(__file__).resolve().parent.parent / ".github" / "workflows" / "regrade.yml").read_text())
    n = int(wf["env"]["SHARDS"])
    grade, merge_job = wf["jobs"]["grade"], wf["jobs"]["merge"]
    assert grade["strategy"]["matrix"]["shard"] == list(range(n))  # every shard once, numbered as --shard wants
    runs = " ".join(s.get("run", "") for s in grade["steps"])
    assert re.search(r"autograder batch .*--shard \"\$\{\{ matrix\.shard \}\}/\$\{SHARDS\}\"", runs), runs
    assert merge_job["needs"] == "grade"
    merges = [s["run"] for s in merge_job["steps"] if "autograder merge" in s.get("run", "")]
    assert merges and "shards/shard-*/grades.csv" in merges[0]
    upload = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    kept = upload["with"]["path"]
    for part in ("grades.csv.d/manifest.json", "grades.csv.d/results/", "grades.csv.d/feedback/"):
        assert part in kept, part  # what merge reads
    download = next(s for s in merge_job["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"]["pattern"] == "shard-*" and upload["with"]["name"].startswith("shard-")
    for job in wf["jobs"].values():
        for s in job["steps"]:
            if s.get("uses", "").startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False


def test_a_dask_worker_that_cannot_load_the_course_says_so(tmp_path):
    from autograder.batch import _worker_fingerprint, course_fingerprint

    said = _worker_fingerprint(str(tmp_path / "not-a-course"))
    assert said.startswith("error: cannot load the course at ") and "not-a-course" in said
    course = tiny_course.write_course(tmp_path / "c")
    assert _worker_fingerprint(str(course)) == course_fingerprint(load_course(course))


def test_summary_of_a_large_class_is_its_mean_and_its_trouble(tmp_path):
    import io

    from rich.console import Console

    from autograder.batch import SUMMARY_ROWS, print_summary

    tree = load_course(tiny_course.write_course(tmp_path / "c"))

    def rec(i, status="graded"):
        return {
            "student": f"s{i:05d}",
            "name_id": f"{i:x}",
            "status": status,
            "problem": "boom" if status != "graded" else "",
            "result": {"score": i % 6, "assignments": [{"id": "00_tiny", "score": i % 6}]},
        }

    for n, listed in ((SUMMARY_ROWS, True), (SUMMARY_ROWS + 1, False)):
        buf = io.StringIO()
        records = [rec(i) for i in range(n - 1)] + [rec(n - 1, "error")]
        print_summary(tree, records, reused=0, graded=n, seconds=1.0, console=Console(file=buf, width=200))
        text = buf.getvalue()
        assert ("s00003" in text) is listed
        assert "mean" in text and f"{sum(i % 6 for i in range(n)) / n:.2f}" in text
        assert f"error s{n - 1:05d}: boom" in text  # trouble is always named
        assert ("each in the CSV" in text) is not listed  # the caption (it may wrap)
