"""How a worker process is started: its limits, its environment, its sandbox mode.

Used by :mod:`autograder.connection` (a worker started with ``Popen``) and
:mod:`autograder.template` (a worker forked from a template, set up the same way).
"""

from __future__ import annotations

import contextlib
import os
import resource
from dataclasses import dataclass
from pathlib import Path

from .sandbox import SandboxUnavailable

WORKER = Path(__file__).with_name("worker.py")
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


def rlimits(limits: Limits) -> list[tuple[str, int]]:
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


def preexec(limits: Limits):
    values = [(getattr(resource, name), val) for name, val in rlimits(limits)]

    def apply():  # runs in the child between fork and exec: async-signal-safe calls only
        for res, val in values:
            with contextlib.suppress(ValueError, OSError):  # a limit the kernel refuses: the others still apply
                resource.setrlimit(res, (val, val))

    return apply
