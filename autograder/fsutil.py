"""The one way the grader replaces a file: whole or not at all, and durable once it returns.

:func:`atomic_write` writes a temporary file in the target's own folder (``os.replace`` is only
atomic within one file system), fsyncs it, renames it over the target and fsyncs the folder (so
the rename itself survives a power cut). On any error, ``KeyboardInterrupt`` included, the
temporary file is removed and the target keeps its old content. A ``kill -9`` can still leave a
temporary ``.<name>.<random>.tmp`` behind; :data:`TEMP_GLOB` names them for whoever cleans up
(``autograder batch`` does, under its lock).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def temp_glob(name: str) -> str:
    """Glob pattern of the temporary files :func:`atomic_write` makes for a target called ``name``."""
    return f".{name}.*{TEMP_SUFFIX}"


def _umask() -> int:
    mask = os.umask(0)
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
