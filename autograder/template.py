"""A trusted process that has imported the notebooks' libraries and forks fresh workers from them.

Batch grading keeps one :class:`Template` per grader process; :class:`ForkedProcess` is what the
worker connection needs of a ``Popen`` for a worker forked by it (see ``template_main`` in
worker.py for the other side).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

from .limits import WORKER, scrubbed_env


class ForkedProcess:
    """A worker forked by a :class:`Template`: what a ``WorkerConnection`` needs of a ``Popen``, through a pidfd
    (the grader is not its parent; the pidfd names that process and no other, ever)."""

    def __init__(self, pid: int, pidfd: int, stdin, stdout):
        self.pid, self.pidfd, self.stdin, self.stdout = pid, pidfd, stdin, stdout
        self.returncode = None

    def poll(self):
        if self.returncode is None and self.pidfd >= 0 and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -1  # exited; its status went to the template, which reaps it
            os.close(self.pidfd)
            self.pidfd = -1
        return self.returncode

    def wait(self, timeout=None):
        if self.poll() is None and not select.select([self.pidfd], [], [], timeout)[0]:
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
        return hasattr(os, "pidfd_open") and hasattr(socket, "send_fds") and hasattr(signal, "pidfd_send_signal")

    def fork(self, cfg: dict, *, env: dict, cwd: str, rlimits) -> ForkedProcess | None:
        """A new worker for ``cfg`` (what ``python -I worker.py CFG`` gets), or None if the template failed."""
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
