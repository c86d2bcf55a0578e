"""The one way the grader replaces a file: whole or not at all, and durable once it returns.

:func:`atomic_write` writes a temporary file in the target's own folder (``os.replace`` is only
atomic within one file system), fsyncs it, renames it over the target and fsyncs the folder (so
the rename itself survives a power cut). On any error, ``KeyboardInterrupt`` included, the
temporary file is removed and the target keeps its old content. A ``kill -9`` can still leave a
temporary ``.<name>.<random>.tmp`` behind; :data:`TEMP_GLOB` names them for whoever cleans up
(``autograder batch`` does, under its lock).

:func:`atomic_copy` is the one exception to "durable": ``autograder merge`` places tens of
thousands of files that it can rebuild, and says so.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def temp_glob(name: str) -> str:
    """Glob pattern of the temporary files :func:`atomic_write` makes for a target called ``name``."""
    return f".{name}.*{TEMP_SUFFIX}"


@functools.cache
def _umask() -> int:
    """The process's umask, read once: reading it means setting it, which would briefly give files made
    by other threads meanwhile (a batch's writer threads) mode 0666 if done on every write."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the file itself is synced
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8), creating its folder if needed.

    The file gets the mode a plain ``open()`` would give it (``0o666`` less the umask), not
    ``mkstemp``'s ``0600``. A ``str`` that cannot be encoded (a lone surrogate) raises before
    anything is written."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_copy(src: Path, dst: Path) -> None:
    """``dst`` becomes a copy of ``src``, whole or not at all: a hard link when both are on one file
    system (for files that are only ever replaced, never rewritten in place, a link is a copy),
    else a byte copy; through a temporary name in ``dst``'s folder (:func:`temp_glob`) and
    ``os.replace``, the temporary removed on any error. Not fsynced: it is for derived data
    (``autograder merge`` rebuilds it after a crash), where 30,000 fsyncs would be most of a
    10,000-student merge."""
    src, dst = Path(src), Path(dst)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        try:
            os.link(src, tmp)  # one system call (plus the rename) per file
        except OSError:
            shutil.copyfile(src, tmp)  # another file system
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
