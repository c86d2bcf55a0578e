"""Issue 13, points 4, 5 and 8: what the worker sends back, how much memory it holds, and how
long its cells may loop, are all bounded; a hostile submission costs only its own exercise.

Reuses the red-team course (tests/test_redteam.py: the tiny course, every case run in a started
and in a forked worker) and adds a three-notebook copy of it for the time budgets.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import test_redteam
import tiny_course as T
import yaml
from test_redteam import GOOD_COIN, GOOD_SCALE, IDS, VIA, expect_scale, grade, verdict

from autograder import run, sandbox, wire
from autograder.course import load_course
from autograder.pipeline import grade_paths
from autograder.run import Limits

course, template = test_redteam.course, test_redteam.template  # pytest fixtures, shared with test_redteam
ROOT = Path(__file__).resolve().parents[1]
course, template = test_redteam.course, test_redteam.template  # the red-team course's fixtures, shared

# -------------------------------------------------------------------------------------
# point 4: replies. The student's code writes a hostile line on the protocol pipe, then never
# returns: the grader must answer that call "error" at once (not "timeout" after the call limit).
# -------------------------------------------------------------------------------------
WRITE_REPLY = textwrap.dedent("""
    def scale(x, a):
        import fcntl, os, stat, time
        line = {line}
        for fd in range(3, 64):
            try:
                st = os.fstat(fd)
                if stat.S_ISFIFO(st.st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                    os.write(fd, line.encode() if isinstance(line, str) else line)
            except OSError:
                pass
        time.sleep(60)
    """)

REPLIES = {  # name: (expression building the line in the student's process, words the message must hold)
    "integer_of_6000_digits": ('\'{"ok": true, "result": {"y": 1\' + "7" * 6000 + "}}\\n"', "정수"),
    "nesting_200000_deep": (
        '\'{"ok": true, "result": {"y": \' + "[" * 200000 + "]" * 200000 + "}}\\n"',
        "값이 너무 많",
    ),
    "one_million_empty_lists": (
        '\'{"ok": true, "result": {"y": [\' + ",".join(["[]"] * 1_000_000) + "]}}\\n"',
        "값이 너무 많",
    ),
    "string_of_one_million_characters": ('\'{"ok": true, "result": {"y": "\' + "x" * 1_000_000 + \'"}}\\n\'', "문자열"),
    "float_of_100000_digits": ('\'{"ok": true, "result": {"y": 0.\' + "3" * 100000 + "}}\\n"', "실수"),
    "not_json": ('b"\\xff\\xfe not json\\n"', "읽을 수 없습니다"),
    # raw array frames: what a line announces is checked before a byte is read or allocated
    "arrays_of_800_mib": (
        '\'{"ok": true, "result": {"y": {"__ndarray__": 0}}, "arrays": [["<f8", [100000000]]]}\\n\'',
        "너무 큽니다",
    ),
    "arrays_of_objects": ('\'{"ok": true, "result": {"y": {"__ndarray__": 0}}, "arrays": [["|O", [3]]]}\\n\'', "dtype"),
    "not_an_object": ('"[1, 2, 3]\\n"', "JSON 객체"),
}


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("case", sorted(REPLIES))
def test_a_hostile_reply_is_that_calls_error_at_once(course, template, case, via):
    expr, words = REPLIES[case]
    res, elapsed = grade(
        course,
        f"reply_{case}_{via}",
        WRITE_REPLY.replace("{line}", expr),
        template=template if via == "template" else None,
    )
    assert verdict(res) == expect_scale("error"), [(c.id, c.status, c.message[:200]) for c in res.checks]
    for c in res.checks:
        if c.id.startswith("scale"):
            assert words in c.message, c.message
    # "error", not "timeout": each call ends at once (its worker is killed, not waited for)
    assert elapsed < 30, elapsed


def test_reply_decoding_is_bounded_in_memory():
    """An 8 MiB reply of 2,000,000 empty lists is refused before it is parsed (today's main
    parses it: about 1.2 GiB in the grader)."""
    line = b'{"ok": true, "result": {"y": [' + b",".join([b"[]"] * 2_000_000) + b"]}}\n"
    tracemalloc.start()
    try:
        msg = run.decode_line(line)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "__garbled__" in msg
    assert peak < 2**20, f"decoding took {peak / 2**20:.0f} MiB"


def test_reply_limits_hold_and_legitimate_replies_pass():
    ok = run.decode_line(b'{"ok": true, "result": {"y": [1, 2.5, -3, "x", null, true, NaN]}}\n')
    assert ok == {"ok": True, "result": {"y": [1, 2.5, -3, "x", None, True, ok["result"]["y"][6]]}}
    assert run.decode_line(b'{"ok": true, "result": ' + b"9" * run.MAX_INT_DIGITS + b"}\n")["result"] > 0
    assert "__garbled__" in run.decode_line(b'{"ok": true, "result": ' + b"9" * (run.MAX_INT_DIGITS + 1) + b"}\n")
    # wire.decode: element count, depth and string length (values built in the grader: the
    # reference worker's replies and cached outputs go through it too)
    assert wire.decode([[]] * (wire.MAX_ELEMENTS - 1)) == [[]] * (wire.MAX_ELEMENTS - 1)
    for bad, words in (
        ([[]] * wire.MAX_ELEMENTS, "값이 너무 많"),
        ("x" * (wire.MAX_STRING + 1), "문자열"),
        (json.loads("[" * (wire.MAX_DEPTH + 2) + "]" * (wire.MAX_DEPTH + 2)), "중첩"),
    ):
        with pytest.raises(wire.WireError, match=words):
            wire.decode(bad)


def _frames(line: bytes, *arrays) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(line + b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)))


def test_arrays_come_as_raw_bytes_after_their_line_and_the_stream_stays_in_step():
    a, b = np.arange(12.0).reshape(3, 4), np.array([True, False])
    head = {"ok": True, "result": {"a": {"__ndarray__": 0}, "b": [{"__ndarray__": 1}]}}
    head["arrays"] = [[a.dtype.str, list(a.shape)], [b.dtype.str, list(b.shape)]]
    line = json.dumps(head).encode() + b"\n"
    out = io.BufferedReader(io.BytesIO(line + a.tobytes() + b.tobytes() + b'{"ok": true, "result": 3}\n'))
    msg, size, in_step = run.read_reply(out)
    assert in_step and size == len(line) + a.nbytes + b.nbytes
    got = wire.decode(msg["result"], msg["__arrays__"])
    np.testing.assert_array_equal(got["a"], a)
    np.testing.assert_array_equal(got["b"][0], b)
    assert got["a"].dtype == np.float64 and got["b"][0].dtype == np.bool_ and got["a"].flags.writeable
    assert run.read_reply(out)[0] == {"ok": True, "result": 3}
    assert run.read_reply(out)[0] is None


@pytest.mark.parametrize(
    ("specs", "words"),
    [
        ([["|O", [3]]], "dtype"),
        ([["|V8", [3]]], "dtype"),
        ([["|S4", [3]]], "dtype"),
        ([["<f8", [-1]]], "모양"),
        ([["<f8", [2.5]]], "모양"),
        ([["<f8", [True]]], "모양"),
        ([["<f8", [1] * 40]], "모양"),
        ([["<f8", [2_000_000]]], "너무 큽니다"),  # 16 MB: over MAX_ARRAY_BYTES
        ([["<f8", [1_100_000]], ["<f8", [1_100_000]]], "너무 큽니다"),  # 17.6 MB in all: over MAX_LINE
        ("<f8", "목록"),
        ([["<f8"]], "모양"),
    ],
)
def test_announced_arrays_outside_the_limits_are_refused_before_any_is_read(specs, words):
    line = json.dumps({"ok": True, "result": {"__ndarray__": 0}, "arrays": specs}).encode() + b"\n"
    tracemalloc.start()
    try:
        msg, _, in_step = run.read_reply(_frames(line, np.zeros(4)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert words in msg["__garbled__"] and not in_step
    assert peak < 2**20, f"refusing took {peak / 2**20:.0f} MiB"


def test_arrays_cut_short_or_misreferenced_are_errors():
    line = json.dumps({"ok": True, "result": {"__ndarray__": 0}, "arrays": [["<f8", [4]]]}).encode() + b"\n"
    msg, _, in_step = run.read_reply(_frames(line, np.zeros(3)))  # 24 of 32 bytes, then EOF
    assert "끊겼습니다" in msg["__garbled__"] and not in_step
    arrays = [np.zeros(2), np.ones(2)]
    for result, words in (
        ([{"__ndarray__": 0}, {"__ndarray__": 0}, {"__ndarray__": 1}], "배열"),  # one array twice
        ([{"__ndarray__": 0}], "결과에 없습니다"),  # one never used
        ([{"__ndarray__": 0}, {"__ndarray__": 2}], "배열"),  # out of range
        ([{"__ndarray__": 0}, {"__ndarray__": True}], "배열"),
    ):
        with pytest.raises(wire.WireError, match=words):
            wire.decode(result, arrays)


def test_a_number_literal_over_the_limits_is_refused_with_or_without_the_fast_path():
    """decode_line parses without per-number hooks only when no run of number characters is long enough
    to break a limit; a long run in a string takes the slow path and still decodes."""
    assert run.decode_line(b'{"ok": true, "result": "' + b"1" * 100 + b'"}\n')["result"] == "1" * 100
    assert "__garbled__" in run.decode_line(b'{"ok": true, "result": -' + b"1" * 41 + b"}\n")
    assert run.decode_line(b'{"ok": true, "result": -' + b"1" * 40 + b"}\n")["result"] == -int("1" * 40)
    assert "__garbled__" in run.decode_line(b'{"ok": true, "result": 1.' + b"0" * 63 + b"}\n")
    assert run.decode_line(b'{"ok": true, "result": [1.5e-3, 2, -7]}\n')["result"] == [1.5e-3, 2, -7]


def test_limits_cover_the_largest_legitimate_reply():
    """The numbers in the comments of run.py/wire.py (measured over samples/submitted/full_marks)
    leave room: a reply 6x the largest measured one fits, and the docs state the limits."""
    assert run.MAX_LINE >= 6 * 2_560_623 and wire.MAX_ELEMENTS >= 20 * 4006 and wire.MAX_DEPTH >= 5 * 6
    doc = (ROOT / "docs" / "threat-model.md").read_text()
    for number in (f"{run.MAX_LINE >> 20} MiB", f"{wire.MAX_ELEMENTS:,}", f"{wire.MAX_DEPTH}", f"{run.MAX_INT_DIGITS}"):
        assert number in doc, number


# -------------------------------------------------------------------------------------
# point 5: memory outside the address-space limit (memfd, SysV shared memory)
# -------------------------------------------------------------------------------------
MEMFD_HOARD = textwrap.dedent("""
    def scale(x, a):
        import os
        chunk = b"x" * (4 << 20)
        fds = []
        for i in range(128):  # 128 memfds of 8 MiB (RLIMIT_FSIZE bounds each one): 1 GiB, twice the limit
            fd = os.memfd_create("hoard")
            os.write(fd, chunk); os.write(fd, chunk)
            fds.append(fd)
        return a * np.asarray(x, dtype=np.float64)  # right only if the hoard was allowed
    """)
SHM_HOARD = textwrap.dedent("""
    def scale(x, a):
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        for i in range(16):  # 16 SysV segments of 64 MiB, each detached after filling: 1 GiB
            sid = libc.shmget(0, 64 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
            if sid < 0:
                raise OSError(ctypes.get_errno(), "shmget")
            addr = libc.shmat(sid, None, 0)
            ctypes.memset(addr, 1, 64 << 20)
            libc.shmdt(ctypes.c_void_p(addr))  # the pages stay; the address space is free again
        return a * np.asarray(x, dtype=np.float64)
    """)
SMALL_MEMORY = Limits(call_timeout_s=20, setup_timeout_s=60, time_limit_s=120, memory_limit_mb=512)


def _memcg_possible() -> bool:
    """Root, and a memory controller: v1's hierarchy or the unified one with memory enabled."""
    if os.geteuid() != 0:
        return False
    if os.path.isdir("/sys/fs/cgroup/memory"):
        return True
    for f in ("/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup/unified/cgroup.controllers"):
        try:
            if "memory" in Path(f).read_text().split():
                return True
        except OSError:
            pass
    return False


def _own_cgroups() -> list[str]:
    found, _ = sandbox.MemoryCgroup.parent()
    if found is None:
        return []
    return [n for n in os.listdir(found[0]) if n.startswith(f"autograder-{os.getpid()}-")]


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("hoard", ["memfd", "sysv_shm"])
def test_memory_outside_the_address_space_is_bounded(course, template, hoard, via):
    if not _memcg_possible():
        pytest.skip("no memory cgroup can be made here (the seccomp test covers that case)")
    before = set(_own_cgroups()) if hasattr(sandbox, "MemoryCgroup") else set()  # other tests' live workers
    res, elapsed = grade(
        course,
        f"hoard_{hoard}_{via}",
        MEMFD_HOARD if hoard == "memfd" else SHM_HOARD,
        template=template if via == "template" else None,
        limits=SMALL_MEMORY,
    )
    assert verdict(res) == expect_scale("error"), [(c.id, c.status, c.message[:200]) for c in res.checks]
    assert "memcg" in res.sandbox["layers"], res.sandbox
    for c in res.checks:
        if c.id.startswith("scale"):
            assert "메모리 한도(512 MiB" in c.message, c.message
    assert elapsed < 60, elapsed
    assert set(_own_cgroups()) <= before, "a worker's cgroup was left behind"


def test_without_a_cgroup_seccomp_denies_memfd_and_shared_memory(course, monkeypatch):
    import ctypes.util

    if ctypes.util.find_library("seccomp") is None:
        pytest.skip("libseccomp is not installed (Debian: libseccomp2)")
    monkeypatch.setenv("AUTOGRADER_MEMCG", "0")
    for name, hoard in (("memfd", MEMFD_HOARD), ("sysv_shm", SHM_HOARD)):
        res, _ = grade(course, f"seccomp_{name}", hoard, limits=SMALL_MEMORY)
        assert verdict(res) == expect_scale("error"), [(c.id, c.status, c.message[:200]) for c in res.checks]
        assert "seccomp" in res.sandbox["layers"] and "memcg" not in res.sandbox["layers"], res.sandbox
        assert any("AUTOGRADER_MEMCG=0" in n for n in res.sandbox["notes"])
        msg = next(c.message for c in res.checks if c.id == "scale_matches_reference")
        assert "PermissionError" in msg, msg


def test_a_worker_within_its_memory_limit_is_unaffected_by_the_cgroup(course):
    res, _ = grade(course, "memcg_good", GOOD_SCALE, limits=SMALL_MEMORY)
    assert verdict(res) == dict.fromkeys(IDS, "passed")
    if _memcg_possible():
        assert "memcg" in res.sandbox["layers"]


# -------------------------------------------------------------------------------------
# point 8: loops. A three-notebook copy of the tiny course.
# -------------------------------------------------------------------------------------
NOTEBOOKS = ("00_tiny", "01_tiny", "02_tiny")


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    root = T.write_course(tmp_path_factory.mktemp("three"))
    y = yaml.safe_load((root / "course.yaml").read_text())
    first = y["assignments"][0]
    for aid in NOTEBOOKS[1:]:
        y["assignments"].append(dict(first, id=aid, notebook=f"{aid}/{aid}.ipynb"))
        (root / "solutions" / aid).mkdir()
        text = (root / "solutions" / "00_tiny" / "00_tiny.ipynb").read_text().replace("00_tiny", aid)
        (root / "solutions" / aid / f"{aid}.ipynb").write_text(text)
        shutil.copytree(root / "checks" / "00_tiny", root / "checks" / aid)
    (root / "course.yaml").write_text(yaml.safe_dump(y, sort_keys=False))
    return load_course(root)


def submit_three(tree, name, answers: dict[str, dict]) -> Path:
    """A student folder holding all three notebooks; ``answers[aid]`` replaces answer cells."""
    for aid in NOTEBOOKS:
        path = T.submission(
            tree.root, f"{name}_{aid}", answers.get(aid, {"scale": GOOD_SCALE, "sample_coin": GOOD_COIN})
        )
        text = path.read_text().replace("00_tiny", aid)
        out = tree.root / "subs" / name / aid / f"{aid}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return tree.root / "subs" / name


def verdicts(results) -> dict:
    return {r.id: {c.id: c.status for c in r.checks} for r in results}


LOOP_AT_END = GOOD_SCALE + "while True:\n    pass\n"


def test_a_loop_at_the_top_level_of_every_notebook_costs_only_its_exercise(three):
    """Today's main: the first notebook's loop runs until the whole-submission limit and every
    notebook scores 0. Now each looping cell stops after cell_timeout_s and costs its exercise."""
    limits = Limits(call_timeout_s=3, setup_timeout_s=30, time_limit_s=20, memory_limit_mb=2048)
    limits.cell_timeout_s = 2  # (set this way, today's main runs the test too, and fails it)
    sub = submit_three(three, "loops", {aid: {"scale": LOOP_AT_END, "sample_coin": GOOD_COIN} for aid in NOTEBOOKS})
    t0 = time.monotonic()
    got = verdicts(grade_paths(three, [sub], limits=limits))
    assert got == {aid: expect_scale("timeout") for aid in NOTEBOOKS}, got
    assert time.monotonic() - t0 < 3 * 2 + 25


def test_answer_cell_limit_message_names_the_limit(three):
    limits = Limits(call_timeout_s=3, setup_timeout_s=30, time_limit_s=20, memory_limit_mb=2048)
    limits.cell_timeout_s = 1.5
    sub = submit_three(three, "one_loop", {"00_tiny": {"scale": LOOP_AT_END, "sample_coin": GOOD_COIN}})
    (res, *others) = grade_paths(three, [sub], limits=limits)
    assert {c.id: c.status for c in res.checks} == expect_scale("timeout")
    assert "1.5초" in res.checks[0].message and "함수만 정의" in res.checks[0].message, res.checks[0].message
    assert all(c.status == "passed" for r in others for c in r.checks)


SLOW = "import time\ndef {name}(*args):\n    time.sleep(4)\n    raise ValueError('slow and wrong')\n"


def test_one_slow_notebook_cannot_starve_the_others(three):
    """Every call of the first notebook takes 4 s (within the 5 s call limit; 4 calls). Today's main
    lets it use the whole 12 s and the other notebooks time out; now it has its share (4 s) and the
    others are graded in full."""
    limits = Limits(call_timeout_s=5, setup_timeout_s=30, time_limit_s=12, memory_limit_mb=2048)
    slow = {"scale": SLOW.format(name="scale"), "sample_coin": SLOW.format(name="sample_coin")}
    sub = submit_three(three, "slow", {"00_tiny": slow})
    got = verdicts(grade_paths(three, [sub], limits=limits))
    assert got["01_tiny"] == got["02_tiny"] == dict.fromkeys(IDS, "passed"), got
    assert "timeout" in got["00_tiny"].values() and "passed" not in got["00_tiny"].values(), got


def test_what_a_finished_notebook_left_goes_to_the_next(three):
    """The first two notebooks are fast; the last one's two scale calls take 2.5 s each: 5 s fit
    only in its 4 s share plus what the first two left (almost 8 s): all of it is graded."""
    limits = Limits(call_timeout_s=6, setup_timeout_s=30, time_limit_s=12, memory_limit_mb=2048)
    slow_good = {
        "scale": "import time\n" + GOOD_SCALE.replace("    return", "    time.sleep(2.5)\n    return"),
        "sample_coin": GOOD_COIN,
    }
    sub = submit_three(three, "late_slow", {"02_tiny": slow_good})
    got = verdicts(grade_paths(three, [sub], limits=limits))
    assert got == {aid: dict.fromkeys(IDS, "passed") for aid in NOTEBOOKS}, got


def test_notebook_intros_state_the_cell_limit():
    """Each solutions notebook's first cell (and so the released one) says the answer-cell limit."""
    tree = load_course(ROOT)
    limit = tree.model.grading.cell_timeout_s
    assert limit <= 30, "answer cells only define functions: the limit is short"
    for a in tree.model.assignments:
        for path in (tree.source_notebook(a), tree.release_notebook(a)):
            first = json.loads(path.read_text())["cells"][0]
            text = "".join(first["source"])
            assert first["cell_type"] == "markdown" and re.search(rf"\b{limit:g}초", text), (path, text[:300])


def test_a_flood_of_unrequested_replies_is_cut_off(monkeypatch):
    """Lines nobody asked for (a student thread writing events) are not queued without bound:
    past MAX_QUEUED bytes the reader reports the flood and stops (the worker is then killed)."""
    import queue
    import threading

    from autograder import connection

    monkeypatch.setattr(connection, "MAX_QUEUED", 2**20)  # 1 MiB keeps the test fast; the mechanism is the same
    r, w = os.pipe()
    worker = connection.ReplyReader.__new__(connection.ReplyReader)  # the reader alone, no worker process
    worker.stdout = os.fdopen(r, "rb")
    worker.lines, worker._queued, worker._queued_lock = queue.Queue(), 0, threading.Lock()
    reader = threading.Thread(target=worker._read, daemon=True)
    reader.start()
    line = b'{"event": "cell", "id": "x"}\n' * 4096

    def flood():
        with os.fdopen(w, "wb") as f:
            try:
                for _ in range(4 * connection.MAX_QUEUED // len(line)):
                    f.write(line)
            except OSError:  # the reader stopped reading and its end was closed
                pass

    writer = threading.Thread(target=flood, daemon=True)
    writer.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "the reader kept queueing"
    worker.stdout.close()
    writer.join(timeout=10)
    msgs = []
    while not worker.lines.empty():
        msgs.append(worker.lines.get())
    assert msgs[-1] is None and "__too_big__" in msgs[-2], msgs[-2:]
    limit = connection.MAX_QUEUED
    assert limit < worker._queued <= limit + len(line) // 4096  # cut at the first line past it
