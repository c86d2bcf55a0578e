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

The parts: :mod:`autograder.limits` (how a worker is started: limits, environment),
:mod:`autograder.template` (forking workers from a process that imported torch once),
:mod:`autograder.connection` (one worker: the pipe, reading and bounding its replies, the error
records); here, the session: its worker (:class:`WorkerSlot`), which programs it runs and what
their cells did (:class:`LoadedPrograms`, :class:`CellLoads`), their time (:class:`TimeBudget`),
probe calls (:class:`ProbeCalls`); :class:`ProcessSession` is what the pipeline uses.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from . import wire
from .checks import Probe
from .connection import (  # noqa: F401 - re-exported: run.X is where the rest of the package and the tests look
    MAX_FLOAT_CHARS,
    MAX_INT_DIGITS,
    MAX_LINE,
    MAX_QUEUED,
    ReplyError,
    WorkerConnection,
    clean_error,
    decode_line,
    died,
    error_record,
    read_reply,
)
from .extract import Program
from .limits import LOG_LIMIT, SAFE_ENV, SANDBOX_MODES, WORKER, Limits, sandbox_mode, scrubbed_env  # noqa: F401 - as above
from .sandbox import SandboxUnavailable
from .template import ForkedProcess, Template  # noqa: F401 - as above

_Worker = WorkerConnection  # the name it had


class StudentError(Exception):
    """The student's code raised (or the process died) while a probe ran."""

    def __init__(self, info: dict):
        self.info = info
        super().__init__(info.get("message", ""))


class StudentTimeout(StudentError):
    """The student's code did not return within its time limit."""


@dataclass
class TimeBudget:
    """time_limit_s split between the programs: time the grader waits on the worker for a program
    (its cells, its calls) is charged to it, and one that used up its share is graded "timeout"
    from then on (``expired``) while the others keep theirs; what a finished program (``done``)
    did not use is shared among those still to come."""

    limit_s: float
    spent: dict[str, float] = field(default_factory=dict)
    finished: set = field(default_factory=set)
    expired: set = field(default_factory=set)

    def add(self, key: str) -> None:
        self.spent.setdefault(key, 0.0)

    def forget(self, key: str) -> None:
        self.spent.pop(key, None)
        self.finished.discard(key)
        self.expired.discard(key)

    def renew(self) -> None:
        self.spent = dict.fromkeys(self.spent, 0.0)
        self.finished, self.expired = set(), set()

    def share(self, key: str) -> float:
        """Seconds ``key`` may use in all: its share of limit_s plus its share of what finished programs left."""
        each = self.limit_s / max(1, len(self.spent))
        left = sum(max(0.0, each - s) for k, s in self.spent.items() if k in self.finished)
        waiting = [k for k in self.spent if k not in self.finished]
        return each + (left / len(waiting) if key in waiting else 0.0)

    def remaining(self, key: str) -> float:
        return self.share(key) - self.spent.get(key, 0.0)

    def charge(self, key: str, since: float) -> None:
        if key in self.spent:
            self.spent[key] += time.monotonic() - since

    def used_up(self, key: str) -> bool:
        return key in self.expired or self.remaining(key) <= 0


def _cell_failure(limits: Limits, timeout: bool, cell_limit: bool, worker: WorkerConnection) -> dict:
    """The error of a cell that ran out of time (``cell_limit``: an answer cell's own limit) or took the worker down."""
    if cell_limit:
        info = error_record(
            "Timeout",
            f"답안 셀의 최상위 코드가 {limits.cell_timeout_s:g}초 안에 끝나지 않았습니다 "
            "(무한 루프? 답안 셀에서는 함수만 정의하세요)",
        )
    elif timeout:
        info = error_record("Timeout", "셀 실행 시간 제한을 넘었습니다 (무한 루프?)")
    else:
        info = died("셀 실행", worker)
    return {**info, "timeout": timeout}


class CellLoads:
    """What the current worker was sent and has not finished running, and what each cell did: its
    error, and the cells skipped from now on (they hung or took the worker down)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.loaded: set = set()  # sent to the current worker
        self.pending: list[str] = []  # sent, reply not read yet
        self.skip: dict[str, set] = {}
        self.errors: dict[str, dict[str, dict | None]] = {}

    def new_worker(self) -> None:
        self.loaded, self.pending = set(), []

    def forget(self, key: str) -> None:
        self.skip.pop(key, None)
        self.errors.pop(key, None)
        self.loaded.discard(key)

    def send(self, worker: WorkerConnection, key: str, program: Program) -> None:
        skip = self.skip.setdefault(key, set())
        worker.send({"op": "load", "key": key, "cells": [c.as_wire() for c in program.cells if c.id not in skip]})
        self.loaded.add(key)
        self.pending.append(key)

    def await_first(self, worker: WorkerConnection, program: Program | None, budget: TimeBudget):
        """Read the first pending load's reply: None when it came (its cells' errors recorded), else
        ``(cell, timeout)``: the cell that was running (None: before any) when the worker ran out of
        time or died; that cell is skipped from now on, its error recorded (the worker is to be killed).

        Limits: the notebook's cells together setup_timeout_s, one answer cell cell_timeout_s, and the
        program's remaining time budget. The time from its first cell to its reply is charged to the
        program; starting a worker (imports, sandbox) is charged to none, so a restart caused by one
        notebook's cell does not eat another's share."""
        key, limits = self.pending[0], self.limits
        load_deadline = deadline = time.monotonic() + limits.setup_timeout_s
        kinds = {c.id: c.kind for c in program.cells} if program is not None else {}
        current = t0 = None
        while True:
            try:
                msg = worker.next(deadline)
            except TimeoutError:
                msg = {"__timeout__": True}
            if msg is None or msg.keys() & {"__too_big__", "__garbled__", "__timeout__"}:
                if t0 is not None:
                    budget.charge(key, t0)
                timeout = msg is not None and "__timeout__" in msg
                if timeout and budget.remaining(key) <= 0:
                    budget.expired.add(key)  # its calls are "timeout"; its cells never run again
                self.pending = []
                if current is not None:
                    cell_limit = timeout and kinds.get(current) == "answer" and deadline < load_deadline
                    self.skip.setdefault(key, set()).add(current)
                    self.errors.setdefault(key, {})[current] = _cell_failure(limits, timeout, cell_limit, worker)
                return current, timeout
            if msg.get("event") == "cell":
                if t0 is None:  # the first cell: the program's clock starts
                    t0 = msg["__t__"]
                    load_deadline = min(load_deadline, t0 + budget.remaining(key))
                current = msg.get("id") if isinstance(msg.get("id"), str) else None
                deadline = load_deadline
                if kinds.get(current) == "answer":  # an answer cell only defines functions: a short limit
                    deadline = min(load_deadline, msg["__t__"] + limits.cell_timeout_s)
            elif msg.get("ok") and isinstance(msg.get("cells"), dict):
                if t0 is not None:
                    budget.charge(key, t0)
                cells = {c: None if e is None else clean_error(e) for c, e in msg["cells"].items() if c in kinds}
                self.errors.setdefault(key, {}).update(cells)
                self.pending.pop(0)
                return None


class WorkerSlot:
    """The session's current worker: started on demand (forked from the template when there is one),
    its sandbox report read once, replaced after a kill."""

    def __init__(self, limits: Limits, sandbox: bool, protect: tuple, template: Template | None):
        self.limits, self.sandbox, self.protect, self.template = limits, sandbox, protect, template
        self.preload: tuple = ()  # modules the worker imports before any cell arrives
        self.starts = {"forked": 0, "started": 0}  # how each worker (first and restarts) came to be
        self.restarts = 0
        self.sandbox_info: dict | None = None  # what the worker reports: layers that took effect
        self.conn: WorkerConnection | None = None
        self.fresh = False  # its ready message (the sandbox report) is still to be read

    def spawn(self, preload=None) -> bool:
        """Start a worker if there is none (True if it did). It enters its sandbox, then imports ``preload``."""
        if preload is not None:
            self.preload = tuple(preload)
        if self.conn is not None:
            return False
        self.conn = WorkerConnection(self.limits, self.sandbox, self.protect, self.preload, self.template)
        self.starts["forked" if self.conn.forked else "started"] += 1
        self.fresh = True
        return True

    def read_ready(self) -> None:
        """The worker's first line: which sandbox layers took effect (sent before any student code runs)."""
        if not self.fresh:
            return
        self.fresh, w = False, self.conn
        try:
            msg = w.next(time.monotonic() + max(self.limits.setup_timeout_s, 30))
        except TimeoutError:
            msg = None
            w.kill_process()  # its reader then reports EOF: the pending loads fail as usual
        if msg is None:
            w.replies.lines.put(None)  # keep the EOF for whoever reads next
        info = msg.get("sandbox") if isinstance(msg, dict) and msg.get("event") == "ready" else None
        if not isinstance(info, dict):
            info = {"layers": [], "notes": ["the worker did not report its sandbox"], "hidden": {}}
        self.sandbox_info = info
        w.pidns = "pidns" in (info.get("layers") or [])
        if self.sandbox and sandbox_mode() == "strict":
            hidden = info.get("hidden") or {}
            exposed = [p for p, h in hidden.items() if not h] + [str(p) for p in self.protect if str(p) not in hidden]
            if exposed or "view" not in info.get("layers", []):
                self.kill()
                why = "; ".join(info.get("notes") or []) or "no private view"
                seen = ", ".join(exposed) or "the file system"
                raise SandboxUnavailable(f"AUTOGRADER_SANDBOX=strict: student code could see {seen} ({why})")

    def kill(self) -> None:
        if self.conn is not None:
            self.conn.kill()
            self.conn = None
            self.restarts += 1

    def close(self) -> None:
        if self.conn is not None:
            self.conn.send({"op": "exit"})
            self.conn.kill()  # no waiting for interpreter shutdown; the namespace's init is reaped
            self.conn = None


class LoadedPrograms:
    """The notebook programs a session runs, kept loaded in its current worker: each is sent when a
    worker starts, and a worker that hangs or dies is replaced by one that runs them again without
    the cell that hung or crashed. Each program has its share of the time budget."""

    def __init__(self, limits: Limits, worker: WorkerSlot):
        self.worker = worker
        self.programs: dict[str, Program] = {}
        self.time = TimeBudget(limits.time_limit_s)
        self.loads = CellLoads(limits)

    def add(self, program: Program, key: str | None = None) -> str:
        key = key or program.assignment_id
        self.programs[key] = program
        self.loads.skip.setdefault(key, set())
        self.time.add(key)
        return key

    def remove(self, key: str) -> None:
        """Forget a program (its namespace is dropped in the worker; a restart no longer loads it)."""
        if key in self.loads.loaded and self.worker.conn is not None:
            self.finish()
            if self.worker.conn is not None:
                self.worker.conn.send({"op": "drop", "key": key})
        self.programs.pop(key, None)
        self.loads.forget(key)
        self.time.forget(key)

    def spawn(self, preload=None) -> None:
        if self.worker.spawn(preload):
            self.loads.new_worker()

    def start(self) -> None:
        """Send every program not yet loaded (the worker runs cells while the grader does other work)."""
        self.spawn()
        for key, program in self.programs.items():
            if key not in self.loads.loaded and key not in self.time.expired:
                self.loads.send(self.worker.conn, key, program)
        self.worker.read_ready()

    def finish(self) -> None:
        """Wait for every load sent so far. A cell that hangs or takes the worker down is recorded and
        skipped; a new worker then runs the programs again without it."""
        while self.loads.pending:
            key = self.loads.pending[0]
            failure = self.loads.await_first(self.worker.conn, self.programs.get(key), self.time)
            if failure is None:
                continue
            cell_id, timeout = failure
            self.worker.kill()
            if cell_id is None and not (timeout and key in self.time.expired):  # died before any cell
                raise StudentError(died("프로세스 시작"))
            self.start()


def _await_reply(worker: WorkerSlot, deadline: float) -> dict:
    """A probe call's reply; raises TimeoutError at ``deadline`` or StudentError if the worker died
    or sent what cannot be read (then it is killed: a new one serves the next call)."""
    while True:
        msg = worker.conn.next(deadline)
        if msg is None or "__too_big__" in msg or "__garbled__" in msg:
            info = died("검사 호출", worker.conn)
            worker.kill()
            if msg is not None:
                why = msg.get("__too_big__") or msg.get("__garbled__")
                info.update(type="OutputError", message=why if isinstance(why, str) else "잘못된 응답")
            raise StudentError(info)
        if "event" not in msg:
            return msg


class ProbeCalls:
    """Probes called on the loaded programs, each (program, probe, arguments) once: its result or
    its StudentError is remembered. A call has call_timeout_s and what is left of its program's time
    budget; a worker that overruns, dies or sends what cannot be read is killed (the next call
    starts a new one)."""

    def __init__(self, limits: Limits, programs: LoadedPrograms):
        self.limits, self.programs, self.worker = limits, programs, programs.worker
        self.memo: dict = {}  # (key, probe.key(kwargs)) -> (True, result) | (False, StudentError)

    def forget(self, key: str) -> None:
        self.memo = {k: v for k, v in self.memo.items() if k[0] != key}

    def call(self, key: str, probe: Probe, kwargs: dict):
        memo_key = (key, probe.key(kwargs))
        if memo_key not in self.memo:
            try:
                self.memo[memo_key] = (True, self.call_once(key, probe, kwargs))
            except StudentError as exc:
                self.memo[memo_key] = (False, exc)
        ok, value = self.memo[memo_key]
        if ok:
            return value
        raise value

    def _out_of_time(self, key) -> StudentTimeout:
        return StudentTimeout(
            error_record(
                "Timeout",
                f"이 노트북에 주어진 시간(제출 전체 {self.limits.time_limit_s:g}초 중 "
                f"{self.programs.time.share(key):.0f}초)을 다 썼습니다. 다른 노트북은 따로 채점됩니다.",
            )
        )

    def call_once(self, key, probe, kwargs):
        """The probe's decoded result (not remembered)."""
        time_ = self.programs.time
        if time_.used_up(key):
            raise self._out_of_time(key)
        self.programs.start()
        self.programs.finish()
        if time_.used_up(key):
            raise self._out_of_time(key)
        t0 = time.monotonic()
        self.worker.conn.send({"op": "call", "key": key, "name": probe.name, "source": probe.source, "kwargs": kwargs})
        budget_left = time_.remaining(key)
        try:
            msg = _await_reply(self.worker, t0 + min(self.limits.call_timeout_s, budget_left))
        except TimeoutError:
            self.worker.kill()
            if budget_left < self.limits.call_timeout_s:
                time_.expired.add(key)
                raise self._out_of_time(key) from None
            limit = self.limits.call_timeout_s
            raise StudentTimeout(
                error_record("Timeout", f"{limit:g}초 안에 끝나지 않았습니다 (무한 루프 또는 너무 느린 구현).")
            ) from None
        finally:
            time_.charge(key, t0)
        if msg.get("ok") is not True:
            raise StudentError(clean_error(msg.get("error")))
        try:
            return wire.decode(msg.get("result"), msg.get("__arrays__"))
        except wire.WireError as exc:
            # the worker never encodes such a reply: it was forged, and the real one may still come
            self.worker.kill()
            raise StudentError(error_record("OutputError", str(exc))) from None


class ProcessSession:
    """Notebook programs loaded into a separate worker process (:class:`LoadedPrograms`); probes
    called over a pipe (:class:`ProbeCalls`). A worker that hangs or dies is replaced: the next call
    starts a new one, which runs the programs' cells again without the cell that hung or crashed."""

    def __init__(
        self, limits: Limits | None = None, *, sandbox: bool = True, protect=(), template: Template | None = None
    ):
        self.limits = limits or Limits()
        # protect: paths student code must not see (verified by the worker); template: forks workers
        # with the libraries already imported (batch grading)
        self.worker = WorkerSlot(self.limits, sandbox, tuple(protect), template)
        self.loaded = LoadedPrograms(self.limits, self.worker)
        self.calls = ProbeCalls(self.limits, self.loaded)

    @property
    def starts(self) -> dict:
        return self.worker.starts

    @property
    def sandbox_info(self) -> dict | None:
        return self.worker.sandbox_info

    def add(self, program: Program, key: str | None = None) -> str:
        return self.loaded.add(program, key)

    def remove(self, key: str) -> None:
        """Forget a program (its namespace is dropped in the worker; a restart no longer loads it)."""
        self.loaded.remove(key)
        self.calls.forget(key)

    def budget(self, key: str) -> float:
        return self.loaded.time.share(key)

    def remaining(self, key: str) -> float:
        return self.loaded.time.remaining(key)

    def done(self, key: str) -> None:
        """``key`` is graded: what it did not use of its share goes to the programs still to come."""
        self.loaded.time.finished.add(key)

    def renew_deadline(self) -> None:
        """A new submission-wide time budget (when one worker serves several submissions, in tests)."""
        self.loaded.time.renew()

    def cell_error(self, key: str, cell_id: str) -> dict | None:
        return self.loaded.loads.errors.get(key, {}).get(cell_id)

    def spawn(self, preload=None) -> None:
        """Start the worker process; it imports ``preload`` while the grader is still preparing."""
        self.loaded.spawn(preload)

    def start(self) -> None:
        """Send every program not yet loaded (the worker runs cells while the grader does other work)."""
        self.loaded.start()

    def call(self, key: str, probe: Probe, kwargs: dict):
        return self.calls.call(key, probe, kwargs)

    def _call(self, key: str, probe: Probe, kwargs: dict):  # not remembered (ReferenceSession keeps its own)
        return self.calls.call_once(key, probe, kwargs)

    def close(self) -> None:
        self.worker.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
