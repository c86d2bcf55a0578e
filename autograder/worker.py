"""The process that runs code from a notebook and answers probe calls.

This file is the untrusted side of the trust boundary. It is started fresh as
``python -I worker.py`` by :mod:`autograder.run` (never forked from the grader), imports
nothing from the ``autograder`` package, and speaks a line-based JSON protocol on the
stdin/stdout it was started with. Whatever the student's code does in here (patching
numpy, printing, exiting) only changes what this process sends back; the grader validates
that data and computes every verdict itself.

Protocol (one JSON object per line):

    -> {"op": "load", "key": K, "cells": [{"id": ..., "kind": ..., "source": ...}, ...]}
    <- {"event": "cell", "key": K, "id": ...}            (before each cell runs)
    <- {"ok": true, "cells": {id: null | error}}
    -> {"op": "call", "key": K, "name": ..., "source": ..., "kwargs": {...}}
    <- {"ok": true, "result": {...}, "arrays": [...]} | {"ok": false, "error": {...}}
    -> {"op": "drop", "key": K}                           (no reply: forget that namespace)

A call's reply may end in ``"arrays": [[dtype, shape], ...]``: then the raw C-ordered bytes of
each array follow the line, in that order (no base64, no copy on either side). The grader
checks every dtype (numbers and booleans), shape and size before it reads a byte of them.
Outputs stored on disk (reference cache, public_reference.json) and the in-process session
hold arrays as base64 of ``np.save`` bytes, read back with ``np.load(allow_pickle=False)``:
plain data only, never pickle.
"""

from __future__ import annotations

import base64
import contextlib
import io
import linecache
import os
import sys
import traceback

PROTOCOL_VERSION = 2
MAX_ARRAY_BYTES = 8 * 2**20  # one output array (grader: wire.MAX_ARRAY_BYTES, 12 MiB)
MAX_REPLY = 16 * 2**20  # one reply line (grader: run.MAX_LINE; a longer one kills this process)
CELL_PREFIXES = ("<answer:", "<setup:", "<probe:")


# --------------------------------------------------------------------------------------
# encoding results as plain data (shared with the in-process session)
# --------------------------------------------------------------------------------------
def encode(value, _depth=0, arrays=None):
    """Turn a probe's return value into JSON-able plain data. Arrays become ``{"__ndarray__": base64
    of .npy bytes}``, or, given a list ``arrays`` (the worker's replies), ``{"__ndarray__": i}`` with the
    C-ordered array appended as ``arrays[i]`` and sent as raw bytes after the reply line."""
    import numpy as np

    if _depth > 20:
        raise TypeError("output is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, (list, tuple)):
        return [encode(v, _depth + 1, arrays) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or k.startswith("__"):
                raise TypeError(f"output key {k!r} is not a plain string")
            out[k] = encode(v, _depth + 1, arrays)
        return out
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        if t.dtype == torch.bfloat16:
            t = t.float()
        value = t.numpy()
    if isinstance(value, (np.ndarray, np.generic)) or (
        hasattr(value, "__array__") and not isinstance(value, (int, float))
    ):
        arr = np.array(value, copy=True, subok=False, order="C")
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"unsupported array dtype {arr.dtype} (numbers and booleans only)")
        if arr.nbytes > MAX_ARRAY_BYTES:
            raise TypeError(f"output array too large ({arr.nbytes / 2**20:.0f} MiB > {MAX_ARRAY_BYTES >> 20} MiB)")
        if arrays is not None:
            arrays.append(arr)
            return {"__ndarray__": len(arrays) - 1}
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)  # keeps 0-d arrays 0-d
        return {"__ndarray__": base64.b64encode(buf.getvalue()).decode("ascii")}
    if isinstance(value, (int, float)):  # subclasses of int/float: keep only the number
        return float(value) if isinstance(value, float) else int(value)
    raise TypeError(f"unsupported output type {type(value).__name__}")


# --------------------------------------------------------------------------------------
# running cells and probes
# --------------------------------------------------------------------------------------
class MissingName(NameError):
    """The student's namespace lacks a function or class a check needs."""


class Namespace:
    """Attribute view of a notebook namespace, as probes see it (``ns.dropout_forward``)."""

    __slots__ = ("_d",)

    def __init__(self, d):
        object.__setattr__(self, "_d", d)

    def __getattr__(self, name):
        try:
            return self._d[name]
        except KeyError:
            raise MissingName(name) from None

    def __contains__(self, name):
        return name in self._d


class _FakeIPython:
    """Stands in for ``get_ipython()`` so transformed magics (``%matplotlib``) are no-ops."""

    def __getattr__(self, name):
        return lambda *a, **k: None


def compile_cell(source: str, filename: str):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec")


def describe_error(exc: BaseException) -> dict:
    """Exception type, message, the student's line and a traceback trimmed to notebook code."""
    frames = traceback.extract_tb(exc.__traceback__)
    kept = [f for f in frames if f.filename.startswith(CELL_PREFIXES)]
    student = [f for f in kept if f.filename.startswith(("<answer:", "<setup:"))]
    line = None
    if student:
        f = student[-1]
        line = {"cell": f.filename.strip("<>").split(":", 1)[1], "lineno": f.lineno, "text": (f.line or "").strip()}
    tb_lines = traceback.format_list(kept[-6:]) if kept else []
    tb_lines += traceback.format_exception_only(type(exc), exc)
    text = "".join(tb_lines)
    if len(text) > 4000:
        text = text[:2000] + "\n...\n" + text[-2000:]
    out = {
        "type": type(exc).__name__,
        "message": str(exc)[:1000],
        "line": line,
        "traceback": text,
    }
    if isinstance(exc, MissingName):
        out["missing"] = str(exc)
    return out


class Runner:
    """Executes notebook cells into per-notebook namespaces and runs probes against them."""

    def __init__(self):
        self.namespaces: dict[str, dict] = {}
        self._probes: dict[str, object] = {}

    def load(self, key, cells, on_cell=None):
        ns = {"__name__": "__main__", "__builtins__": __builtins__, "get_ipython": _FakeIPython}
        self.namespaces[key] = ns
        status = {}
        for cell in cells:
            if on_cell:
                on_cell(cell["id"])
            try:
                code = compile_cell(cell["source"], f"<{cell['kind']}:{cell['id']}>")
                exec(code, ns)  # noqa: S102 - running the notebook's cells is what this process is for
                status[cell["id"]] = None
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                status[cell["id"]] = describe_error(exc)
        return status

    def probe(self, name, source):
        fn = self._probes.get(source)
        if fn is None:
            import math

            import numpy as np

            glb = {"np": np, "math": math, "__name__": "probe"}
            if "torch" in source:
                import torch

                glb["torch"] = torch
            exec(compile_cell(source, f"<probe:{name}>"), glb)  # noqa: S102 - the probe, in the student's process
            fn = glb[name]
            self._probes[source] = fn
        return fn

    def call(self, key, name, source, kwargs, arrays=None):
        """The reply to one probe call; with a list ``arrays``, arrays in the result go there (see encode)."""
        fn = self.probe(name, source)
        try:
            value = fn(Namespace(self.namespaces[key]), **kwargs)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            return {"ok": False, "error": describe_error(exc)}
        try:
            return {"ok": True, "result": encode(value, 0, arrays)}
        except Exception as exc:  # noqa: BLE001
            if arrays is not None:
                arrays.clear()
            return {"ok": False, "error": {"type": "OutputError", "message": str(exc), "line": None, "traceback": ""}}


def _preload(names) -> None:
    """Import the libraries the notebooks use, then exempt everything imported so far from the
    garbage collector (``gc.freeze``). Measured on samples/submitted/full_marks: without it each
    forked worker spends about 0.25 CPU s in collections that walk torch's ~10^5 module objects
    (and, in a fork, copy every page they touch); with it, collections only see what the cells
    and probes allocate."""
    import gc

    for name in names:
        with contextlib.suppress(Exception):  # the cell that needs it will report the error
            __import__(name)
    gc.freeze()


def _load_sandbox():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "autograder_sandbox", os.path.join(os.path.dirname(__file__), "sandbox.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    import json

    arg = argv[1] if len(argv) > 1 else ""
    cfg = json.loads(arg) if arg.startswith("{") else {"log": arg or os.devnull}
    if cfg.get("template"):
        return template_main(cfg)
    return serve(cfg)


def serve(cfg) -> int:
    """Be the worker: enter the sandbox, then answer the protocol on fds 0 and 1."""
    import json

    # opened on the grader's filesystem before the sandbox hides it; only this fd remains
    fd = os.open(cfg.get("log") or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sandbox = None
    if cfg.get("sandbox"):
        try:
            sandbox = _load_sandbox().enter(cfg["sandbox"])
        except Exception as exc:  # noqa: BLE001 - report it; the grader decides whether to go on
            sandbox = {"layers": [], "notes": [f"sandbox failed: {type(exc).__name__}: {exc}"], "hidden": {}}
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - sys.stdin for the rest of the process's life
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)

    def send(obj, arrays=()):
        if arrays:  # the reply line says what raw bytes follow it: dtype and shape of each array
            obj = dict(obj, arrays=[[a.dtype.str, list(a.shape)] for a in arrays])
        data = json.dumps(obj).encode() + b"\n"
        size = len(data) + sum(a.nbytes for a in arrays)
        if size > MAX_REPLY:  # say so instead of being killed for it
            arrays = ()
            data = (
                json.dumps(
                    {
                        "ok": False,
                        "error": {
                            "type": "OutputError",
                            "line": None,
                            "traceback": "",
                            "message": f"output too large ({size / 2**20:.0f} MiB > {MAX_REPLY >> 20} MiB "
                            "in one reply)",
                        },
                    }
                ).encode()
                + b"\n"
            )
        proto_out.write(data)
        for a in arrays:  # C-ordered (encode made it so): its bytes as they lie in memory, no copy
            proto_out.write(a.reshape(-1).view("u1"))
        proto_out.flush()

    runner = Runner()
    send({"event": "ready", "version": PROTOCOL_VERSION, "sandbox": sandbox})
    # Heavy libraries the notebooks use (torch: ~1 s) are imported now, while the grader is still
    # reading notebooks and check files; the cells' own imports then find them loaded.
    _preload(cfg.get("preload") or ())
    buf = b""
    while True:
        chunk = proto_in.read(1 << 16)
        if not chunk:
            return 0
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            msg = json.loads(line)
            op = msg.get("op")
            if op == "load":
                status = runner.load(msg["key"], msg["cells"], lambda cid: send({"event": "cell", "id": cid}))
                send({"ok": True, "cells": status})
            elif op == "call":
                arrays: list = []
                reply = runner.call(msg["key"], msg["name"], msg["source"], msg.get("kwargs", {}), arrays)
                send(reply, arrays)
            elif op == "drop":
                runner.namespaces.pop(msg.get("key"), None)
            elif op == "exit":
                return 0


# --------------------------------------------------------------------------------------
# the template: a trusted process that has imported the heavy libraries and forks workers
# --------------------------------------------------------------------------------------
def template_main(cfg) -> int:
    """Import ``cfg["preload"]`` (numpy, torch: about 2 s of CPU), then fork one fresh worker
    per request. No student code ever runs in this process.

    Requests arrive on fd 0, a SOCK_SEQPACKET socket to the grader: a JSON message with two
    file descriptors (the new worker's stdin and stdout). The reply carries the worker's pid
    and a pidfd, through which the grader signals and waits for it."""
    import json
    import select
    import socket

    os.dup2(os.open(os.devnull, os.O_RDWR), 1)
    os.dup2(1, 2)
    # Die with the grader process that started us: its pidfd becomes readable when that process
    # exits. (Not PR_SET_PDEATHSIG: it fires when the *thread* that started us exits, e.g. a Dask
    # executor thread, while the grader goes on using this template.) The socket's EOF is not
    # enough: a child the grader forked may hold its end open.
    parent = os.getppid()
    try:
        watch = [os.pidfd_open(parent)]
    except OSError:
        watch = []
    if os.getppid() != parent:
        return 0  # the grader exited before we could watch it
    sock = socket.socket(fileno=0)
    _preload(cfg.get("preload") or ())
    sock.send(json.dumps({"event": "ready", "pid": os.getpid()}).encode())
    while True:
        ready = select.select([sock, *watch], [], [], 1.0)[0]
        if watch and watch[0] in ready:
            return 0  # the grader is gone
        if not ready:
            _reap()
            continue
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            return 0
        if not msg:
            return 0  # the grader is gone
        _reap()
        try:
            req = json.loads(msg)
            if len(fds) != 2:
                raise ValueError(f"expected 2 descriptors, got {len(fds)}")
            pid = os.fork()
            if pid == 0:
                _forked_worker(req, fds)  # never returns
            pidfd = os.pidfd_open(pid)
        except Exception as exc:  # noqa: BLE001 - the grader starts a worker the slow way
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
            continue
        for fd in fds:
            os.close(fd)
        try:
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _forked_worker(req, fds):
    """In the fork: become what ``python -I worker.py CFG`` with Popen's settings would be
    (own session, stdin/stdout the protocol pipes, nothing else open, rlimits, scrubbed
    environment, cwd), then serve. Only this request's data is used."""
    code = 1
    try:
        os.setsid()
        os.dup2(fds[0], 0)
        os.dup2(fds[1], 1)
        os.dup2(os.open(os.devnull, os.O_RDWR), 2)
        os.closerange(3, 1 << 16)  # the template's socket, these pipes' originals, everything else
        import resource

        for name, value in req.get("rlimits") or ():
            with contextlib.suppress(ValueError, OSError, AttributeError):
                resource.setrlimit(getattr(resource, name), (value, value))
        os.environ.clear()
        os.environ.update(req.get("env") or {})
        os.chdir(req.get("cwd") or "/")
        np = sys.modules.get("numpy")
        if np is not None:
            np.random.seed()  # numpy's global generator would otherwise repeat the template's state
        code = serve(req["cfg"])
    except BaseException:  # noqa: BLE001, S110 - nothing of this may reach the template's loop
        pass
    finally:
        os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
