"""Stage 3: run notebook code in a separate process and call probes on it.

:class:`ProcessSession` starts ``python -I worker.py`` fresh (never a fork of the grader),
in an empty temporary folder, with a scrubbed environment, resource limits and its own
process group; or, given a :class:`Template` (batch grading), forks it from a trusted
process that was started the same way and has only imported the notebooks' libraries.
Probe results come back as plain data (:mod:`autograder.wire`). A call that does not
return in time gets the whole process group killed; the next call starts a new process
that re-runs the notebook's cells, skipping the cell that hung or crashed, so the rest of
the submission is still graded.

:class:`InProcessSession` runs probes in the current interpreter (used inside Jupyter for
the public checks and by nbgrader's hidden test cells); results make the same round trip
through the wire format so verdicts are identical.
"""

from __future__ import annotations

import json
import os
import queue
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import wire
from .checks import Probe
from .extract import Program
from .sandbox import MemoryCgroup, SandboxUnavailable
import contextlib

WORKER = Path(__file__).with_name("worker.py")
# Limits on what the grader reads from the worker (student data; docs/threat-model.md states them).
# Measured over samples/submitted/full_marks (all five notebooks, 219/219): the largest reply line
# is 2.5 MiB, the most JSON values in one reply 4,006, the deepest nesting 6, the longest
# integer 4 digits, the longest string 1.07 MB (an array's base64).
MAX_LINE = 16 * 2**20  # one reply line, bytes (6x the largest legitimate one)
MAX_QUEUED = 2 * MAX_LINE  # reply bytes read but not yet consumed; more is a flood and kills the worker
MAX_INT_DIGITS = 40  # an integer in a reply (int64 has 19 digits)
MAX_FLOAT_CHARS = 64  # a float literal in a reply
LOG_LIMIT = 8 * 2**20  # RLIMIT_FSIZE for the worker's files (its output log included)
SAFE_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
# AUTOGRADER_SANDBOX: "auto" (default: every layer that works here), "strict" (refuse to grade
# unless protected paths are verified invisible to student code), "userns" (force an
# unprivileged user namespace, for testing), "off" (limits only; what --no-sandbox gives).
SANDBOX_MODES = ("auto", "strict", "userns", "off")


def sandbox_mode() -> str:
    mode = os.environ.get("AUTOGRADER_SANDBOX", "auto").strip().lower() or "auto"
    if mode not in SANDBOX_MODES:
        raise SandboxUnavailable(f"AUTOGRADER_SANDBOX={mode!r}: expected one of {', '.join(SANDBOX_MODES)}")
    return mode


class StudentError(Exception):
    """The student's code raised (or the process died) while a probe ran."""

    def __init__(self, info: dict):
        self.info = info
        super().__init__(info.get("message", ""))


class StudentTimeout(StudentError):
    """The student's code did not return within its time limit."""


@dataclass
class Limits:
    call_timeout_s: float = 10.0
    setup_timeout_s: float = 60.0
    time_limit_s: float = 300.0
    memory_limit_mb: int = 4096
    max_processes: int = 64
    max_open_files: int = 256
    cell_timeout_s: float = 10.0  # one answer cell's top level (setup cells have setup_timeout_s)

    @classmethod
    def from_course(cls, grading) -> Limits:
        return cls(
            grading.call_timeout_s,
            grading.setup_timeout_s,
            grading.time_limit_s,
            grading.memory_limit_mb,
            cell_timeout_s=grading.cell_timeout_s,
        )


def scrubbed_env(home: str) -> dict:
    env = {k: os.environ[k] for k in SAFE_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(
        HOME=home,
        TMPDIR=home,
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        TORCH_NUM_THREADS="1",
        KMP_DUPLICATE_LIB_OK="TRUE",
    )
    return env


def _rlimits(limits: Limits) -> list[tuple[str, int]]:
    out = [
        ("RLIMIT_AS", limits.memory_limit_mb * 2**20),
        ("RLIMIT_CPU", int(limits.time_limit_s) + 5),
        ("RLIMIT_FSIZE", LOG_LIMIT),
        ("RLIMIT_NOFILE", limits.max_open_files),
        ("RLIMIT_CORE", 0),
    ]
    if os.getuid() != 0:  # NPROC does not bind root; the sandbox (issue 9) drops privileges there
        out.append(("RLIMIT_NPROC", limits.max_processes))
    return out


def _preexec(limits: Limits):
    values = [(getattr(resource, name), val) for name, val in _rlimits(limits)]

    def apply():  # runs in the child between fork and exec: async-signal-safe calls only
        for res, val in values:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(res, (val, val))

    return apply


class ForkedProcess:
    """A worker forked by a :class:`Template`: what ``_Worker`` needs of a ``Popen``, through a pidfd
    (the grader is not its parent; the pidfd names that process and no other, ever)."""

    def __init__(self, pid: int, pidfd: int, stdin, stdout):
        self.pid, self.pidfd, self.stdin, self.stdout = pid, pidfd, stdin, stdout
        self.returncode = None

    def poll(self):
        if self.returncode is None and self.pidfd >= 0:
            import select

            if select.select([self.pidfd], [], [], 0)[0]:
                self.returncode = -1  # exited; its status went to the template, which reaps it
                os.close(self.pidfd)
                self.pidfd = -1
        return self.returncode

    def wait(self, timeout=None):
        import select

        if self.poll() is None:
            if not select.select([self.pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("worker", timeout)
        return self.poll()

    def send_signal(self, sig):
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)


class Template:
    """A trusted process that imports the notebooks' libraries (torch: ~2 s of CPU) once and then
    forks a fresh worker per submission (worker.py, ``template_main``).

    Batch grading uses one per grader process. A forked worker is set up exactly as a started
    one (own session, pipes, rlimits, scrubbed environment, then the sandbox) before any student
    code arrives; the template itself never runs student code, so each submission still gets a
    process no other submission has touched. If the template cannot start or fork, workers are
    started the usual way."""

    def __init__(self, preload=(), *, ready_timeout_s: float = 120.0):
        import socket

        self.preload = tuple(preload)
        self.home = tempfile.mkdtemp(prefix="autograder-template-")
        self.sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        self.proc = None
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", str(WORKER), json.dumps({"template": True, "preload": list(self.preload)})],
                stdin=child,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=self.home,
                env=scrubbed_env(self.home),
                start_new_session=True,
                close_fds=True,
            )
        finally:
            child.close()
        self.sock.settimeout(ready_timeout_s)
        try:
            msg = json.loads(self.sock.recv(4096) or b"null")
        except (OSError, ValueError):
            msg = None
        self.ok = isinstance(msg, dict) and msg.get("event") == "ready"
        # its imports are done: the folder was only its cwd for them (a template killed with its
        # grader, e.g. at the end of a batch pool process, then leaves nothing behind)
        shutil.rmtree(self.home, ignore_errors=True)
        if not self.ok:
            self.close()

    @staticmethod
    def supported() -> bool:
        import socket

        return hasattr(os, "pidfd_open") and hasattr(socket, "send_fds") and hasattr(signal, "pidfd_send_signal")

    def fork(self, cfg: dict, *, env: dict, cwd: str, rlimits) -> ForkedProcess | None:
        """A new worker for ``cfg`` (what ``python -I worker.py CFG`` gets), or None if the template failed."""
        import socket

        if not self.ok:
            return None
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        req = json.dumps({"cfg": cfg, "env": env, "cwd": cwd, "rlimits": list(rlimits)}).encode()
        try:
            with self._lock:
                self.sock.settimeout(30)
                socket.send_fds(self.sock, [req], [in_r, out_w])
                msg, fds, _, _ = socket.recv_fds(self.sock, 4096, 1)
        except OSError:
            msg, fds = b"", []
        finally:
            os.close(in_r)
            os.close(out_w)
        try:
            reply = json.loads(msg or b"null")
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or "pid" not in reply or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            os.close(in_w)
            os.close(out_r)
            self.ok = False  # start workers the usual way from now on
            self.close()
            return None
        return ForkedProcess(int(reply["pid"]), fds[0], os.fdopen(in_w, "wb"), os.fdopen(out_r, "rb"))

    def close(self):
        self.ok = False
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


class _Worker:
    """One running worker process and a thread that reads its protocol lines."""

    def __init__(self, limits: Limits, sandbox: bool, protect=(), preload=(), template: Template | None = None):
        self.home = tempfile.mkdtemp(prefix="autograder-")
        self.log = os.path.join(self.home, "output.log")
        cfg = {"log": self.log, "preload": list(preload)}
        self.cgroup = None
        self.memory_mb = limits.memory_limit_mb
        if sandbox:
            mode = sandbox_mode()
            cfg["sandbox"] = {
                "home": self.home,
                "protect": [str(p) for p in protect],
                "nproc": limits.max_processes,
                "home_mb": 256,
                "mode": "auto" if mode == "strict" else mode,
            }
            # one memory limit for all the worker's processes and pages (memfd, shm, tmpfs included)
            if os.environ.get("AUTOGRADER_MEMCG", "1").strip() != "0":
                self.cgroup, why = MemoryCgroup.create(limits.memory_limit_mb * 2**20)
            else:
                why = "AUTOGRADER_MEMCG=0"
            if self.cgroup is not None:
                cfg["sandbox"]["cgroup"] = self.cgroup.path
            else:
                cfg["sandbox"]["cgroup_note"] = why
        self.proc = None
        self.forked = False
        try:
            if template is not None:
                self.proc = template.fork(
                    cfg, env=scrubbed_env(self.home), cwd=self.home, rlimits=_rlimits(limits) if sandbox else ()
                )
                self.forked = self.proc is not None
            if self.proc is None:
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", str(WORKER), json.dumps(cfg)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    cwd=self.home,
                    env=scrubbed_env(self.home),
                    start_new_session=True,
                    preexec_fn=_preexec(limits) if sandbox else None,
                    close_fds=True,
                )
        except BaseException:
            if self.cgroup is not None:
                self.cgroup.remove(0)
            shutil.rmtree(self.home, ignore_errors=True)
            raise
        self.pidns = False  # set from the worker's ready message
        self.lines: queue.Queue = queue.Queue()
        self._queued = 0  # bytes of reply lines in self.lines (MAX_QUEUED)
        self._queued_lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        # requests go through a writer thread: the grader never blocks on a worker that stopped
        # reading its stdin (a looping cell while a large load waits in the pipe)
        self._outbox: queue.Queue = queue.Queue()
        self.writer = threading.Thread(target=self._write, daemon=True)
        self.writer.start()

    def _read(self):
        """Reader thread: each reply becomes a dict, ``{"__garbled__": why}`` or ``{"__too_big__": why}``
        (then EOF). Never raises: whatever the worker sends."""
        try:
            out = self.proc.stdout
            while True:
                msg, size, in_step = read_reply(out)
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

    def _write(self):
        while True:
            data = self._outbox.get()
            if data is None:
                return
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (OSError, ValueError):  # broken pipe, or closed by kill()
                return

    def send(self, obj) -> bool:
        if not self.writer.is_alive():
            return False
        self._outbox.put(json.dumps(obj).encode() + b"\n")
        return True

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
        self._outbox.put(None)
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


def _clean_error(err) -> dict:
    """The error a worker reported, reduced to the fields and sizes the report uses."""
    if not isinstance(err, dict):
        return {"type": "ProtocolError", "message": "알 수 없는 응답", "line": None, "traceback": ""}
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


def _died(where: str, worker: _Worker | None = None) -> dict:
    if worker is not None and worker.cgroup is not None and worker.cgroup.oom_kills():
        return {
            "type": "MemoryError",
            "line": None,
            "traceback": "",
            "message": f"{where} 중에 메모리 한도({worker.memory_mb} MiB, memfd·공유 메모리 포함)를 넘어 "
            "학생 코드의 프로세스가 종료되었습니다.",
        }
    return {
        "type": "ProcessDied",
        "message": f"{where} 중에 학생 코드의 프로세스가 종료되었습니다 "
        "(sys.exit/os._exit, 시그널, 메모리 초과 또는 출력 한도 초과).",
        "line": None,
        "traceback": "",
    }


class ProcessSession:
    """Notebook programs loaded into a separate worker process; probes called over a pipe."""

    def __init__(
        self, limits: Limits | None = None, *, sandbox: bool = True, protect=(), template: Template | None = None
    ):
        self.limits = limits or Limits()
        self.sandbox = sandbox
        self.template = template  # forks workers with the libraries already imported (batch grading)
        self.starts = {"forked": 0, "started": 0}  # how each worker (first and restarts) came to be
        self.protect = tuple(protect)  # paths student code must not see (verified by the worker)
        self.sandbox_info: dict | None = None  # what the worker reports: layers that took effect
        self.preload: tuple = ()  # modules the worker imports before any cell arrives
        self.programs: dict[str, Program] = {}
        self.cell_errors: dict[str, dict[str, dict | None]] = {}
        self.skip: dict[str, set] = {}
        self._worker: _Worker | None = None
        self._loaded: set = set()
        self._memo: dict = {}
        # time_limit_s is split between the programs: time the grader waits on the worker for a
        # program (its cells, its calls) is charged to it, and one that used up its share is
        # graded "timeout" from then on while the others keep theirs; what a finished program
        # (done()) did not use is shared among those still to come
        self.spent: dict[str, float] = {}
        self.finished: set = set()
        self.expired: set = set()
        self.restarts = 0

    # -- lifecycle -------------------------------------------------------------------
    def add(self, program: Program, key: str | None = None) -> str:
        key = key or program.assignment_id
        self.programs[key] = program
        self.skip.setdefault(key, set())
        self.spent.setdefault(key, 0.0)
        return key

    # -- time budgets ----------------------------------------------------------------
    def budget(self, key: str) -> float:
        """Seconds of the student's code ``key`` may use in all: its share of time_limit_s plus
        its share of what finished programs left."""
        keys = [k for k in self.programs if k in self.spent]
        share = self.limits.time_limit_s / max(1, len(keys))
        left = sum(max(0.0, share - self.spent[k]) for k in keys if k in self.finished)
        waiting = [k for k in keys if k not in self.finished]
        return share + (left / len(waiting) if key in waiting else 0.0)

    def remaining(self, key: str) -> float:
        return self.budget(key) - self.spent.get(key, 0.0)

    def _charge(self, key: str, since: float) -> None:
        if key in self.spent:
            self.spent[key] += time.monotonic() - since

    def done(self, key: str) -> None:
        """``key`` is graded: what it did not use of its share goes to the programs still to come."""
        self.finished.add(key)

    def remove(self, key: str) -> None:
        """Forget a program (its namespace is dropped in the worker; a restart no longer loads it)."""
        self.programs.pop(key, None)
        self.skip.pop(key, None)
        self.cell_errors.pop(key, None)
        self.spent.pop(key, None)
        self.finished.discard(key)
        self.expired.discard(key)
        self._memo = {k: v for k, v in self._memo.items() if k[0] != key}
        if key in self._loaded and self._worker is not None:
            self._finish_loads()
            self._worker.send({"op": "drop", "key": key})
        self._loaded.discard(key)

    def renew_deadline(self) -> None:
        """A new submission-wide time budget (when one worker serves several submissions, in tests)."""
        self.spent = dict.fromkeys(self.programs, 0.0)
        self.finished = set()
        self.expired = set()

    def spawn(self, preload=None):
        """Start the worker process. It enters its sandbox, then imports ``preload`` (modules the
        trusted setup cells import) while the grader is still preparing."""
        if preload is not None:
            self.preload = tuple(preload)
        if self._worker is None:
            self._worker = _Worker(self.limits, self.sandbox, self.protect, self.preload, self.template)
            self.starts["forked" if self._worker.forked else "started"] += 1
            self._loaded = set()
            self._fresh = True

    def start(self):
        """Send every program not yet loaded (the worker runs cells while the grader does other work)."""
        self.spawn()
        fresh, self._fresh = getattr(self, "_fresh", False), False
        for key in self.programs:
            if key not in self._loaded and key not in self.expired:
                self._send_load(key)
        if fresh:
            self._await_ready()

    def _await_ready(self):
        """The worker's first line says which sandbox layers took effect (sent before any student code runs)."""
        w = self._worker
        try:
            msg = w.next(time.monotonic() + max(self.limits.setup_timeout_s, 30))
        except TimeoutError:
            msg = None
            w.kill_process()  # its reader then reports EOF: the pending loads fail as usual
        if msg is None:
            w.lines.put(None)  # keep the EOF for whoever reads next
        info = msg.get("sandbox") if isinstance(msg, dict) and msg.get("event") == "ready" else None
        if not isinstance(info, dict):
            info = {"layers": [], "notes": ["the worker did not report its sandbox"], "hidden": {}}
        self.sandbox_info = info
        w.pidns = "pidns" in (info.get("layers") or [])
        if self.sandbox and sandbox_mode() == "strict":
            exposed = [p for p, hidden in (info.get("hidden") or {}).items() if not hidden]
            missing = [p for p in self.protect if p not in (info.get("hidden") or {})]
            if exposed or missing or "view" not in info.get("layers", []):
                self._kill()
                why = "; ".join(info.get("notes") or []) or "no private view"
                raise SandboxUnavailable(
                    f"AUTOGRADER_SANDBOX=strict: student code could see {', '.join(exposed + missing) or 'the file system'} "
                    f"({why})"
                )

    def close(self):
        if self._worker is not None:
            self._worker.send({"op": "exit"})
            self._worker.kill()  # no waiting for interpreter shutdown; the namespace's init is reaped
            self._worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _kill(self):
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
            self.restarts += 1

    # -- loading cells ---------------------------------------------------------------
    def _send_load(self, key):
        prog = self.programs[key]
        cells = [c.as_wire() for c in prog.cells if c.id not in self.skip[key]]
        self._worker.send({"op": "load", "key": key, "cells": cells})
        self._loaded.add(key)
        self._pending_load = getattr(self, "_pending_load", [])
        self._pending_load.append(key)

    def _finish_loads(self):
        """Wait for every load sent so far; a hung or fatal cell is recorded and skipped next time.

        Limits: the notebook's cells together setup_timeout_s, one answer cell cell_timeout_s,
        and the program's remaining share of time_limit_s. The time from its first cell to its
        reply is charged to the program; starting a worker (imports, sandbox) is charged to none,
        so a restart caused by one notebook's cell does not eat another's share."""
        while getattr(self, "_pending_load", None):
            key = self._pending_load[0]
            load_deadline = time.monotonic() + self.limits.setup_timeout_s
            deadline = load_deadline
            answers = {c.id for c in self.programs[key].cells if c.kind == "answer"} if key in self.programs else set()
            current = t0 = None
            while True:
                try:
                    msg = self._worker.next(deadline)
                except TimeoutError:
                    if t0 is not None:
                        self._charge(key, t0)
                    if self.remaining(key) <= 0:
                        self.expired.add(key)  # its calls are "timeout"; its cells never run again
                    self._fail_load(
                        key, current, timeout=True, cell_limit=current in answers and deadline < load_deadline
                    )
                    break
                if msg is None or "__too_big__" in msg or "__garbled__" in msg:
                    if t0 is not None:
                        self._charge(key, t0)
                    self._fail_load(key, current, timeout=False)
                    break
                if msg.get("event") == "cell":
                    now = msg["__t__"]
                    if t0 is None:
                        t0 = now
                        load_deadline = min(load_deadline, t0 + self.remaining(key))
                    current = msg.get("id")
                    deadline = load_deadline
                    if current in answers:  # an answer cell only defines functions: a short limit
                        deadline = min(load_deadline, now + self.limits.cell_timeout_s)
                    continue
                if msg.get("event") == "ready":
                    continue
                if msg.get("ok") and isinstance(msg.get("cells"), dict):
                    if t0 is not None:
                        self._charge(key, t0)
                    errors = self.cell_errors.setdefault(key, {})
                    for cid, err in msg["cells"].items():
                        if cid in {c.id for c in self.programs[key].cells}:
                            errors[cid] = _clean_error(err) if err is not None else None
                    self._pending_load.pop(0)
                    break

    def _fail_load(self, key, cell_id, *, timeout: bool, cell_limit: bool = False):
        if cell_id is not None:
            self.skip[key].add(cell_id)
            if timeout and cell_limit:
                info = {
                    "type": "Timeout",
                    "line": None,
                    "traceback": "",
                    "message": f"답안 셀의 최상위 코드가 {self.limits.cell_timeout_s:g}초 안에 끝나지 않았습니다 "
                    "(무한 루프? 답안 셀에서는 함수만 정의하세요)",
                }
            elif timeout:
                info = {
                    "type": "Timeout",
                    "message": "셀 실행 시간 제한을 넘었습니다 (무한 루프?)",
                    "line": None,
                    "traceback": "",
                }
            else:
                info = _died("셀 실행", self._worker)
            info["timeout"] = timeout
            self.cell_errors.setdefault(key, {})[cell_id] = info
        self._pending_load = []
        self._kill()
        if cell_id is None and not (timeout and key in self.expired):  # died before any cell: do not loop forever
            raise StudentError(_died("프로세스 시작"))
        self.start()
        self._finish_loads()

    def cell_error(self, key: str, cell_id: str) -> dict | None:
        return self.cell_errors.get(key, {}).get(cell_id)

    # -- probe calls -----------------------------------------------------------------
    def call(self, key: str, probe: Probe, kwargs: dict):
        memo_key = (key, probe.key(kwargs))
        if memo_key in self._memo:
            ok, value = self._memo[memo_key]
            if ok:
                return value
            raise value
        try:
            value = self._call(key, probe, kwargs)
        except StudentError as exc:
            self._memo[memo_key] = (False, exc)
            raise
        self._memo[memo_key] = (True, value)
        return value

    def _out_of_time(self, key) -> StudentTimeout:
        return StudentTimeout(
            {
                "type": "Timeout",
                "line": None,
                "traceback": "",
                "message": (
                    f"이 노트북에 주어진 시간(제출 전체 {self.limits.time_limit_s:g}초 중 {self.budget(key):.0f}초)을 "
                    "다 썼습니다. 다른 노트북은 따로 채점됩니다."
                ),
            }
        )

    def _call(self, key, probe, kwargs):
        if key in self.expired or self.remaining(key) <= 0:
            raise self._out_of_time(key)
        self.start()
        self._finish_loads()
        if key in self.expired or self.remaining(key) <= 0:
            raise self._out_of_time(key)
        t0 = time.monotonic()
        self._worker.send({"op": "call", "key": key, "name": probe.name, "source": probe.source, "kwargs": kwargs})
        budget_left = self.remaining(key)
        deadline = t0 + min(self.limits.call_timeout_s, budget_left)
        try:
            msg = self._await_reply(deadline)
        except TimeoutError:
            self._kill()
            if budget_left < self.limits.call_timeout_s:
                self.expired.add(key)
                raise self._out_of_time(key) from None
            raise StudentTimeout(
                {
                    "type": "Timeout",
                    "message": f"{self.limits.call_timeout_s:g}초 안에 끝나지 않았습니다 (무한 루프 또는 너무 느린 구현).",
                    "line": None,
                    "traceback": "",
                }
            ) from None
        finally:
            self._charge(key, t0)
        if msg.get("ok") is True:
            try:
                return wire.decode(msg.get("result"), msg.get("__arrays__"))
            except wire.WireError as exc:
                # the worker never encodes such a reply: it was forged, and the real one may still come
                self._kill()
                raise StudentError(
                    {"type": "OutputError", "message": str(exc), "line": None, "traceback": ""}
                ) from None
        raise StudentError(_clean_error(msg.get("error")))

    def _await_reply(self, deadline) -> dict:
        """The call's reply; raises TimeoutError at ``deadline`` or StudentError if the worker died
        or sent what cannot be read (then it is killed: a new one serves the next call)."""
        while True:
            msg = self._worker.next(deadline)
            if msg is None or "__too_big__" in msg or "__garbled__" in msg:
                info = _died("검사 호출", self._worker)
                self._kill()
                if msg is not None:
                    why = msg.get("__too_big__") or msg.get("__garbled__")
                    info.update(type="OutputError", message=why if isinstance(why, str) else "잘못된 응답")
                raise StudentError(info)
            if "event" not in msg:
                return msg


class InProcessSession:
    """Probes called on a namespace in this interpreter (Jupyter, nbgrader's kernel)."""

    def __init__(self, namespace: dict, key: str):
        from .worker import Runner

        self.runner = Runner()
        self.runner.namespaces[key] = namespace
        self._memo: dict = {}

    def cell_error(self, key, cell_id):
        return None

    def call(self, key, probe: Probe, kwargs):
        memo_key = (key, probe.key(kwargs))
        if memo_key not in self._memo:
            resp = json.loads(json.dumps(self.runner.call(key, probe.name, probe.source, kwargs)))
            self._memo[memo_key] = resp
        resp = self._memo[memo_key]
        if resp.get("ok"):
            return wire.decode(resp["result"])
        raise StudentError(resp["error"])

    def close(self):
        pass
