"""The grader's side of one worker process: starting it, the pipe to it, reading its replies.

Everything read here is student data (docs/threat-model.md states the limits): a reply is one JSON
line, bounded before it is parsed, and the raw bytes of the arrays it announces, checked before a
byte of them is read. :func:`error_record` is the one shape of an error the session reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from . import wire
from .limits import WORKER, Limits, preexec, rlimits, sandbox_mode, scrubbed_env
from .sandbox import MemoryCgroup
from .template import Template

# Limits on what the grader reads from the worker (student data; docs/threat-model.md states them).
# Measured over samples/submitted/full_marks (all five notebooks, 219/219): the largest reply line
# was 2.5 MiB when arrays travelled in it as base64, the most JSON values in one reply 4,006, the
# deepest nesting 6, the longest integer 4 digits.
MAX_LINE = 16 * 2**20  # one reply: its line, and its line with its arrays (6x the largest legitimate one)
MAX_QUEUED = 2 * MAX_LINE  # reply bytes read but not yet consumed; more is a flood and kills the worker
MAX_INT_DIGITS = 40  # an integer in a reply (int64 has 19 digits)
MAX_FLOAT_CHARS = 64  # a float literal in a reply


def error_record(type_: str, message: str, **extra) -> dict:
    """An error as the session reports it (what a verdict message is built from)."""
    return {"type": type_, "message": message, "line": None, "traceback": "", **extra}


def _sandbox_config(limits: Limits, home: str, protect) -> tuple[dict, MemoryCgroup | None]:
    """What the worker's sandbox.enter gets, and the memory cgroup made for it (None if none could be)."""
    mode = sandbox_mode()
    cfg = {
        "home": home,
        "protect": [str(p) for p in protect],
        "nproc": limits.max_processes,
        "home_mb": 256,
        "mode": "auto" if mode == "strict" else mode,
    }
    # one memory limit for all the worker's processes and pages (memfd, shm, tmpfs included)
    cgroup, why = None, "AUTOGRADER_MEMCG=0"
    if os.environ.get("AUTOGRADER_MEMCG", "1").strip() != "0":
        cgroup, why = MemoryCgroup.create(limits.memory_limit_mb * 2**20)
    if cgroup is not None:
        cfg["cgroup"] = cgroup.path
    else:
        cfg["cgroup_note"] = why
    return cfg, cgroup


def _start(cfg: dict, limits: Limits, sandbox: bool, home: str, template: Template | None):
    """(process, forked): forked from ``template`` when it can, else started as ``python -I worker.py CFG``."""
    if template is not None:
        proc = template.fork(cfg, env=scrubbed_env(home), cwd=home, rlimits=rlimits(limits) if sandbox else ())
        if proc is not None:
            return proc, True
    proc = subprocess.Popen(
        [sys.executable, "-I", str(WORKER), json.dumps(cfg)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=home,
        env=scrubbed_env(home),
        start_new_session=True,
        # setrlimit only, on values computed before the fork; Popen has no option for rlimits
        preexec_fn=preexec(limits) if sandbox else None,  # noqa: PLW1509 - see the line above
        close_fds=True,
    )
    return proc, False


class ReplyReader:
    """A thread that turns a worker's stdout into messages (``lines``; at most MAX_QUEUED bytes of
    them unread), then None (EOF)."""

    def __init__(self, stdout):
        self.stdout = stdout
        self.lines: queue.Queue = queue.Queue()
        self._queued = 0  # bytes of reply lines in self.lines (MAX_QUEUED)
        self._queued_lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        """Each reply becomes a dict, ``{"__garbled__": why}`` or ``{"__too_big__": why}`` (then EOF).
        Never raises: whatever the worker sends."""
        try:
            while True:
                msg, size, in_step = read_reply(self.stdout)
                if msg is None:
                    break
                if "__too_big__" in msg:
                    self.lines.put(msg)
                    break
                with self._queued_lock:
                    self._queued += size
                    flood = self._queued > MAX_QUEUED
                if flood:
                    self.lines.put({"__too_big__": "학생 코드의 프로세스가 요청하지 않은 응답을 너무 많이 보냈습니다."})
                    break
                msg["__bytes__"] = size
                msg["__t__"] = time.monotonic()  # when it came: a cell's clock starts here
                self.lines.put(msg)
                if not in_step:  # its arrays could not be read: what follows is not a reply line
                    break
        except BaseException as exc:  # noqa: BLE001 - the reader must end with EOF, never a traceback
            self.lines.put({"__garbled__": f"응답을 읽을 수 없습니다 ({type(exc).__name__})"})
        self.lines.put(None)

    def next(self, deadline: float):
        """The next message, None at EOF, or raises TimeoutError at ``deadline``."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            msg = self.lines.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError from None
        if msg is not None:
            with self._queued_lock:
                self._queued -= msg.pop("__bytes__", 0)
            msg.setdefault("__t__", time.monotonic())
        return msg


class RequestWriter:
    """A thread that writes requests to a worker's stdin: the grader never blocks on a worker that
    stopped reading it (a looping cell while a large load waits in the pipe)."""

    def __init__(self, stdin):
        self.stdin = stdin
        self._outbox: queue.Queue = queue.Queue()  # encoded requests, then None (stop)
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def _write(self):
        while True:
            data = self._outbox.get()
            if data is None:
                return
            try:
                self.stdin.write(data)
                self.stdin.flush()
            except (OSError, ValueError):  # broken pipe, or closed by WorkerConnection.kill()
                return

    def send(self, obj) -> bool:
        if not self.thread.is_alive():
            return False
        self._outbox.put(json.dumps(obj).encode() + b"\n")
        return True

    def stop(self):
        self._outbox.put(None)


class WorkerConnection:
    """One running worker process (its folder, memory cgroup, process group), its replies and requests."""

    def __init__(self, limits: Limits, sandbox: bool, protect=(), preload=(), template: Template | None = None):
        self.memory_mb = limits.memory_limit_mb
        self.home = tempfile.mkdtemp(prefix="autograder-")
        self.log = os.path.join(self.home, "output.log")
        self.cgroup: MemoryCgroup | None = None
        cfg = {"log": self.log, "preload": list(preload)}
        try:
            if sandbox:
                cfg["sandbox"], self.cgroup = _sandbox_config(limits, self.home, protect)
            self.proc, self.forked = _start(cfg, limits, sandbox, self.home, template)
        except BaseException:
            if self.cgroup is not None:
                self.cgroup.remove(0)
            shutil.rmtree(self.home, ignore_errors=True)
            raise
        self.pidns = False  # set from the worker's ready message
        self.replies = ReplyReader(self.proc.stdout)
        self.requests = RequestWriter(self.proc.stdin)

    def send(self, obj) -> bool:
        return self.requests.send(obj)

    def next(self, deadline: float):
        """The next message, None at EOF, or raises TimeoutError at ``deadline``."""
        return self.replies.next(deadline)

    def kill_process(self):
        """SIGKILL the worker's process group. With a PID namespace, its init dies with it and
        the kernel kills every process inside, including any that left the group (setsid);
        the outer process is asked first (SIGTERM) so that it reaps that init itself."""
        if self.pidns and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()

    def kill(self):
        self.kill_process()
        self.requests.stop()
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()
        shutil.rmtree(self.home, ignore_errors=True)
        if self.cgroup is not None:
            self.cgroup.remove()

    def output_tail(self, n=2000) -> str:
        try:
            with open(self.log, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - n))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def read_reply(out) -> tuple[dict | None, int, bool]:
    """One reply from the worker's stdout: (message, bytes read, whether the stream is still in step);
    (None, 0, False) at EOF. The message is ``decode_line``'s, with ``"__arrays__"``: the arrays its
    line announced (``"arrays": [[dtype, shape], ...]``), read as raw bytes into arrays allocated
    here only after :func:`wire.array_specs` accepted every dtype, shape and the total size (the
    line and its arrays together at most MAX_LINE bytes). Never raises on what the worker sends."""
    line = out.readline(MAX_LINE + 1)
    if not line:
        return None, 0, False
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        return {"__too_big__": f"출력이 너무 큽니다 (응답 한 줄 {MAX_LINE >> 20} MiB 초과)."}, len(line), False
    msg = decode_line(line)
    specs = msg.pop("arrays", None) if "__garbled__" not in msg else None
    if specs is None:
        return msg, len(line), True
    try:
        shapes = wire.array_specs(specs, MAX_LINE - len(line))
    except wire.WireError as exc:
        return {"__garbled__": str(exc)}, len(line), False
    arrays, size = [], len(line)
    for dtype, shape in shapes:
        arr = np.empty(shape, dtype)
        view = memoryview(arr.reshape(-1).view("u1"))
        got = 0
        while got < len(view):
            n = out.readinto(view[got:])
            if not n:
                return {"__garbled__": "배열 출력이 중간에 끊겼습니다"}, size + got, False
            got += n
        size += got
        arrays.append(arr)
    msg["__arrays__"] = arrays
    return msg, size, True


class ReplyError(ValueError):
    """A reply line outside the limits above."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ReplyError(f"정수가 너무 깁니다 ({len(text)}자리 > {MAX_INT_DIGITS})")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_FLOAT_CHARS:
        raise ReplyError(f"실수 표기가 너무 깁니다 ({len(text)}자 > {MAX_FLOAT_CHARS})")
    return float(text)


# A JSON number is one run of these characters: a line without a run longer than a limit holds no
# number literal over it, and is parsed without a Python call per number (measured: ~20 ms a student).
_LONG_NUMBER = re.compile(rb"[0-9]{%d}|[-+0-9.eE]{%d}" % (MAX_INT_DIGITS + 1, MAX_FLOAT_CHARS + 1))


def decode_line(line: bytes) -> dict:
    """One reply line as a dict, or ``{"__garbled__": why}``: never raises, and never builds more
    than ``wire.MAX_ELEMENTS`` values (checked on the bytes before parsing: every JSON value
    after the first is preceded by a comma or an opening bracket, so their count bounds the
    number of values; commas inside strings only make the bound looser)."""
    try:
        bound = line.count(b",") + line.count(b"[") + line.count(b"{") + 1
        if bound > wire.MAX_ELEMENTS:
            return {"__garbled__": f"출력의 값이 너무 많습니다 (최대 {wire.MAX_ELEMENTS:,}개)"}
        if _LONG_NUMBER.search(line) is None:  # no number literal can break a limit: no call per number
            msg = json.loads(line)
        else:
            msg = json.loads(line, parse_int=_parse_int, parse_float=_parse_float)
    except ReplyError as exc:
        return {"__garbled__": str(exc)}
    except RecursionError:
        return {"__garbled__": f"출력이 너무 깊게 중첩되어 있습니다 (최대 {wire.MAX_DEPTH}단계)"}
    except Exception as exc:  # noqa: BLE001 - bad UTF-8, bad JSON, anything else: the call's error
        return {"__garbled__": f"응답을 읽을 수 없습니다 ({type(exc).__name__})"}
    if not isinstance(msg, dict):
        return {"__garbled__": "응답이 JSON 객체가 아닙니다"}
    return msg


def clean_error(err) -> dict:
    """The error a worker reported, reduced to the fields and sizes the report uses."""
    if not isinstance(err, dict):
        return error_record("ProtocolError", "알 수 없는 응답")
    out = {}
    for k, limit in (("type", 200), ("message", 4000), ("traceback", 8000), ("missing", 200)):
        v = err.get(k)
        out[k] = v[:limit] if isinstance(v, str) else (None if k == "missing" else "")
    line = err.get("line")
    if isinstance(line, dict):
        line = {
            "cell": str(line.get("cell"))[:200],
            "text": str(line.get("text"))[:1000],
            "lineno": line.get("lineno") if type(line.get("lineno")) is int else None,
        }
    else:
        line = None
    out["line"] = line
    return out


def died(where: str, worker: WorkerConnection | None = None) -> dict:
    """The error of a worker that is gone (``where``: what it was doing), an OOM kill named as such."""
    if worker is not None and worker.cgroup is not None and worker.cgroup.oom_kills():
        return error_record(
            "MemoryError",
            f"{where} 중에 메모리 한도({worker.memory_mb} MiB, memfd·공유 메모리 포함)를 넘어 "
            "학생 코드의 프로세스가 종료되었습니다.",
        )
    return error_record(
        "ProcessDied",
        f"{where} 중에 학생 코드의 프로세스가 종료되었습니다 "
        "(sys.exit/os._exit, 시그널, 메모리 초과 또는 출력 한도 초과).",
    )
