"""The reference side: what the instructor's solution returns for the same probe calls.

Reference outputs come from running the reference solutions in ``solutions/`` (trusted
code) in their own worker process, on exactly the inputs the student's code got. They are
cached on disk (keyed by the solution's code, the probe's source and its arguments), so a
class of 100 submissions runs the reference once. Students, who have no solutions, get the
public checks' reference outputs from ``checks/<id>/public_reference.json``, which
``autograder release`` writes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from . import wire
from .checks import Probe
from .extract import Program
from .fsutil import atomic_write
from .run import Limits, ProcessSession, StudentError

# Cached outputs depend on how the worker encodes them: any change to worker.py invalidates the cache.
CACHE_VERSION = hashlib.sha256((Path(__file__).with_name("worker.py")).read_bytes()).hexdigest()[:16]


class ReferenceError(Exception):
    """The reference solution itself failed, or no reference output is available."""


def default_cache_dir(root: Path) -> Path:
    env = os.environ.get("AUTOGRADER_CACHE")
    return Path(env) if env else Path(root) / ".cache" / "reference"


class ReadCache:
    """Reference outputs read from the disk cache, kept by a process for its next students.

    Safe to share between students and sessions: a cache file's path is the SHA-256 of everything
    its content depends on (:data:`CACHE_VERSION`, the solution's code, the probe, its arguments),
    so the content at a path never changes; the values are plain JSON data that callers decode
    into fresh objects (:func:`autograder.wire.decode`). Bounded: at most ``budget`` characters of
    JSON are kept (first come); beyond that a file is read again each time it is asked for."""

    def __init__(self, budget: int = 64 * 2**20):
        self.budget = budget
        self.used = 0
        self._data: dict[Path, object] = {}

    def __contains__(self, path) -> bool:
        return Path(path) in self._data

    def get(self, path: Path):
        """The decoded JSON at ``path``, or None if it is missing or not valid JSON."""
        path = Path(path)
        if path in self._data:
            return self._data[path]
        try:
            text = path.read_text(encoding="utf-8")
            enc = json.loads(text)
        except (OSError, json.JSONDecodeError):
            return None
        if self.used + len(text) <= self.budget:
            self._data[path] = enc
            self.used += len(text)
        return enc

    def clear(self) -> None:
        self._data.clear()
        self.used = 0


DISK_READS = ReadCache()  # this process's; a batch grader process reuses it for every student


class PublicStore:
    """Reference outputs of the public checks, shipped to students (JSON, plain data)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._data = None

    @property
    def data(self) -> dict:
        if self._data is None:
            try:
                self._data = json.loads(self.path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                self._data = {}
        return self._data

    def get(self, key):
        return self.data.get(key)


class ReferenceSession:
    """Answers ``reference(probe, **kwargs)``: memory, then public store, disk cache, worker."""

    def __init__(
        self,
        program: Program | None,
        *,
        cache_dir: Path | None = None,
        public_store: PublicStore | None = None,
        limits: Limits | None = None,
        record=None,
        read_cache: ReadCache | None = None,
    ):
        self.program = program
        self.read_cache = read_cache if read_cache is not None else DISK_READS
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.public_store = public_store
        self.limits = limits or Limits(
            call_timeout_s=120, setup_timeout_s=300, time_limit_s=3600, memory_limit_mb=16384
        )
        self._session: ProcessSession | None = None
        self._memo: dict = {}
        self.record = record  # dict to collect {probe key: encoded result} (used by release)
        self.solution_hash = program.fingerprint if program else None

    def _cache_path(self, pkey: str) -> Path | None:
        if self.cache_dir is None or self.solution_hash is None:
            return None
        h = hashlib.sha256(f"{CACHE_VERSION}/{self.solution_hash}/{pkey}".encode()).hexdigest()
        return self.cache_dir / self.program.assignment_id / h[:2] / f"{h}.json"

    def encoded(self, probe: Probe, kwargs: dict):
        pkey = probe.key(kwargs)
        if pkey in self._memo:
            return self._memo[pkey]
        enc = None
        if self.program is None and self.public_store is not None:
            enc = self.public_store.get(pkey)
            if enc is None:
                raise ReferenceError(
                    f"{self.public_store.path}: 이 검사({probe.name})의 기준 출력이 없습니다; 강사에게 알리세요 "
                    "(`autograder release`로 다시 만들어야 합니다)."
                )
        path = self._cache_path(pkey)
        if enc is None and path is not None:
            enc = self.read_cache.get(path)
        if enc is None:
            if self.program is None:
                raise ReferenceError("기준 해답(solutions/)이 없어 이 검사를 실행할 수 없습니다.")
            if self._session is None:
                self._session = ProcessSession(self.limits, sandbox=False)
                self._session.add(self.program, "reference")
            try:
                raw = self._session._call("reference", probe, kwargs)  # decoded; re-encode below
            except StudentError as exc:
                raise ReferenceError(
                    f"기준 해답이 {probe.name} 실행 중 실패했습니다: "
                    f"{exc.info.get('type')}: {exc.info.get('message')}\n"
                    f"{exc.info.get('traceback', '')}"
                ) from None
            from .worker import encode

            enc = json.loads(json.dumps(encode(raw)))
            if path is not None:
                atomic_write(path, json.dumps(enc))
        self._memo[pkey] = enc
        if self.record is not None:
            self.record[pkey] = enc
        return enc

    def call(self, probe: Probe, kwargs: dict):
        return wire.decode(self.encoded(probe, kwargs))

    def close(self):
        if self._session is not None:
            self._session.close()
            self._session = None
