"""``autograder merge``: the shards of a sharded regrade, combined into one run's outputs.

    autograder batch SUBMISSIONS --out shard0.csv --shard 0/4     # on machine 0 (and 1/4, 2/4, 3/4)
    autograder merge --out grades.csv shard0.csv shard1.csv shard2.csv shard3.csv

Each shard's batch keeps a result store next to its CSV (``<shard>.d/``) with a manifest
(``manifest.json``: its shard i/n, the course fingerprint, every student's result file and key,
whether the run finished). The merge checks that the shards are the n shards of one split
(each index once), all finished, all graded with this very course and engine (same fingerprint),
and that every listed result is there with its key; then it copies the result files and the
feedback into ``<out>.d/`` and writes the CSV, the summary and the class report with the code a
single run uses (:func:`autograder.batch.write_outputs`), so the CSV is byte for byte the one an
unsharded run writes. Anything wrong is one line naming the shard and the problem; nothing is
written before every shard has been checked.

Cost: one JSON parse per student plus copies, no per-student rebuild (benchmarks/bench_merge.py:
10,000 students).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import time
from pathlib import Path

from . import errors
from .batch import _lock_output, _remove_stale_temporaries, course_fingerprint, write_outputs
from .course import CourseTree
from .errors import InputError
from .fsutil import atomic_copy, atomic_write
from .store import MANIFEST_VERSION, RESULT_VERSION, safe_name, state_dir

_HEX = re.compile(r"(?:[0-9a-f]{2})+")


def read_manifest(shard_out: Path) -> dict:
    path = state_dir(Path(shard_out).resolve()) / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(shard_out, f"{path}가 없습니다 (not the --out of an `autograder batch` run)") from None
    except (OSError, ValueError) as exc:
        raise InputError(shard_out, f"{path}를 읽을 수 없습니다 (unreadable manifest: {exc})") from None
    if not isinstance(m, dict) or m.get("version") != MANIFEST_VERSION:
        raise InputError(shard_out, "manifest.json의 형식이 다릅니다 (unknown manifest version)")
    return m


def load_shards(
    tree: CourseTree, shard_outs: list[Path], fp: str | None = None
) -> tuple[list[tuple[Path, dict, dict, Path]], int]:
    """Every (shard out, record, manifest, result file) of the shards, checked; and n."""
    if not shard_outs:
        raise InputError(".", "합칠 shard가 없습니다 (give the --out of every shard)")
    fp = fp or course_fingerprint(tree)
    seen: dict[int, Path] = {}
    n_all = None
    out: list[tuple[Path, dict, dict, Path]] = []
    ids: dict[str, Path] = {}
    for so in shard_outs:
        m = read_manifest(so)
        i, n = m.get("shard", [None, None])
        if n_all is None:
            n_all = n
        if n != n_all:
            raise InputError(so, f"shard {i}/{n}: the other shards split the class in {n_all}")
        if i in seen:
            raise InputError(so, f"shard {i}/{n} is given twice (also {seen[i]})")
        seen[i] = so
        if not m.get("complete"):
            raise InputError(so, f"shard {i}/{n}가 끝나지 않았습니다 (the batch did not finish: rerun it, it resumes)")
        if m.get("course") != fp:
            raise InputError(
                so,
                f"shard {i}/{n} was graded with another course or engine version "
                "(checks, solutions, course.yaml or autograder differ from this checkout)",
            )
        results = state_dir(Path(so).resolve()) / "results"
        for entry in m.get("students", []):
            path = results / str(entry.get("file", ""))
            if Path(entry.get("file", "x")).name != entry.get("file") or not str(entry["file"]).endswith(".json"):
                raise InputError(so, f"manifest.json names a bad result file {entry.get('file')!r}")
            try:
                raw = path.read_bytes()
                rec = json.loads(raw)
                del raw  # not kept: 10,000 results would be 100+ MB held for nothing
            except (OSError, ValueError):
                raise InputError(
                    so, f"shard {i}/{n}: the result {path.name} is missing or unreadable (rerun the shard, it resumes)"
                ) from None
            if not isinstance(entry.get("name_id"), str) or not _HEX.fullmatch(entry["name_id"]):
                raise InputError(so, f"manifest.json names a student with a bad name_id {entry.get('name_id')!r:.80}")
            if (
                not isinstance(rec, dict)
                or rec.get("version") != RESULT_VERSION
                or rec.get("name_id") != entry.get("name_id")
                or rec.get("key") != entry.get("key")
            ):
                raise InputError(
                    so, f"shard {i}/{n}: the result {path.name} is not the one its manifest lists (rerun the shard)"
                )
            if rec["name_id"] in ids:
                raise InputError(so, f"student {rec.get('student')!r} is also in {ids[rec['name_id']]}")
            ids[rec["name_id"]] = so
            out.append((Path(so), rec, m, path))
    missing = sorted(set(range(n_all)) - set(seen))
    if missing:
        raise InputError(
            shard_outs[0], f"shard(s) {', '.join(f'{k}/{n_all}' for k in missing)} missing: give all {n_all} shards"
        )
    return out, n_all


def merge(
    tree: CourseTree, out: Path, shard_outs: list[Path], *, feedback_dir: Path | None = None, console=None
) -> int:
    started = time.time()
    out = Path(out).resolve()
    shard_outs = [Path(s) for s in shard_outs]
    for so in shard_outs:
        if Path(so).resolve() == out:
            raise InputError(so, "--out must not be one of the shards")
    # no batch may write a shard while it is read and linked (each shard's batch lock, held until the end)
    unique = dict.fromkeys(Path(so).resolve() for so in shard_outs)
    shard_locks = [_lock_output(so, state_dir(so)) for so in unique if state_dir(so).is_dir()]  # noqa: F841
    fp = course_fingerprint(tree)
    items, n = load_shards(tree, shard_outs, fp)
    sdir = state_dir(out)
    lock = _lock_output(out, sdir)  # noqa: F841 - held while merging
    results_dir = sdir / "results"
    feedback_dir = Path(feedback_dir).resolve() if feedback_dir else sdir / "feedback"
    _remove_stale_temporaries(out, results_dir, feedback_dir)
    wanted = set()
    results_dir.mkdir(parents=True, exist_ok=True)
    feedback_dir.mkdir(parents=True, exist_ok=True)
    for so, rec, m, src in items:
        fname = f"{safe_name(os.fsdecode(bytes.fromhex(rec['name_id'])))}.json"
        wanted.add(fname)
        atomic_copy(src, results_dir / fname)
        src_fb = state_dir(so.resolve()) / (m.get("feedback_dir") or "feedback") / fname[:-5]  # relative: in the store
        dst_fb = feedback_dir / fname[:-5]
        dst_fb.mkdir(exist_ok=True)
        for f in ("feedback.md", "feedback.html"):
            try:
                regular = stat.S_ISREG(os.lstat(src_fb / f).st_mode)  # never a link a student could plant
            except OSError:
                regular = False
            if regular:
                atomic_copy(src_fb / f, dst_fb / f)
            else:  # as in the shard (e.g. no submission: no feedback), never a stale page of an earlier merge
                (dst_fb / f).unlink(missing_ok=True)
    for p in results_dir.glob("*.json"):  # the merged store holds exactly the merged class
        if p.name not in wanted:
            p.unlink()
            shutil.rmtree(feedback_dir / p.name[:-5], ignore_errors=True)
    manifest = {
        "version": MANIFEST_VERSION,
        "shard": [0, 1],
        "course": fp,
        "feedback_dir": "feedback" if feedback_dir == sdir / "feedback" else str(feedback_dir),
        "complete": True,
        "merged_from": n,
        "students": sorted(
            (
                {
                    "name_id": r["name_id"],
                    "file": f"{safe_name(os.fsdecode(bytes.fromhex(r['name_id'])))}.json",
                    "key": r["key"],
                }
                for _, r, _, _ in items
            ),
            key=lambda e: e["file"],
        ),
    }
    atomic_write(sdir / "manifest.json", json.dumps(manifest, indent=0, sort_keys=True))
    write_outputs(
        tree,
        out,
        [r for _, r, _, _ in items],
        reused=len(items),
        graded=0,
        seconds=time.time() - started,
        console=console,
    )
    print(f"merged {n} shard(s), {len(items)} students: wrote {out}, its class report and feedback in {feedback_dir}")
    return errors.EXIT_OK
