"""Stage 1: a notebook file becomes a validated nbformat v4 object, or one clear line.

Submission files are hostile (issue 13): :func:`read_submission_file` is the one place a file
of a submission is opened. Only a regular file reached from the submission's root through real
folders is read: no component may be a symbolic link, the file is opened once with
``O_NOFOLLOW | O_NONBLOCK`` relative to the folder above it (``openat``, so nothing can be swapped
between the check and the read), ``fstat`` of that descriptor must say "regular file" (a FIFO or
a device never blocks the grader and is never read) and at most ``MAX_NOTEBOOK_BYTES`` are read.
A refusal names the path and the reason, never the content of what the link points at.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import warnings
from pathlib import Path

import nbformat

from .errors import InputError, clean_text

MAX_NOTEBOOK_BYTES = 50 * 2**20

LINK = "심볼릭 링크는 채점하지 않습니다 (symbolic link: only regular files inside the submission are graded)"
NOT_REGULAR = "일반 파일이 아닙니다 (not a regular file: {kind}); 노트북 파일을 그대로 제출하세요"
OUTSIDE = "제출 폴더 밖을 가리킵니다 (path leaves the submission folder)"


class Missing(Exception):
    """The path (or a folder on the way to it) does not exist: not a problem, just absent."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _parts(root: Path, path: Path) -> list[str]:
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        raise InputError(path, OUTSIDE) from None
    parts = list(rel.parts)
    if any(p in ("..", "") for p in parts):
        raise InputError(path, OUTSIDE)
    return parts


def check_root(root) -> None:
    """The folder a person named (``grade PATH``, a student's folder in batch, ``assignments``
    in a Classroom checkout) must itself not be a link: it is what the student committed."""
    root = Path(root)
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        raise Missing(str(root)) from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError(root, LINK)


def _open_dir_chain(root: Path, parts: list[str], path: Path) -> int:
    """An fd of the folder holding ``parts[-1]``, reached from ``root`` through real folders only."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    here = Path(root)
    try:
        for name in parts[:-1]:
            here = here / name
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                raise Missing(str(here)) from None
            if stat.S_ISLNK(st.st_mode):
                raise InputError(here, LINK)
            if not stat.S_ISDIR(st.st_mode):
                raise Missing(str(here))
            nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


def probe_submission_file(root, path) -> None:
    """Raise :class:`Missing` if ``path`` is absent, :class:`InputError` (path and reason) if it is
    there but not a regular file reached without links inside ``root``; return if it may be read."""
    root, path = Path(root), Path(path)
    parts = _parts(root, path)
    if not parts:
        raise InputError(path, NOT_REGULAR.format(kind="directory"))
    fd = _open_dir_chain(root, parts, path)
    try:
        try:
            st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            raise Missing(str(path)) from None
    finally:
        os.close(fd)
    if stat.S_ISLNK(st.st_mode):
        raise InputError(path, LINK)
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "노트북 파일이 아니라 폴더입니다 (is a directory)")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, NOT_REGULAR.format(kind=_kind(st.st_mode)))


def read_submission_file(root, path, *, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of a regular file inside the submission ``root`` (see the module docstring)."""
    root, path = Path(root), Path(path)
    parts = _parts(root, path)
    if not parts:
        raise InputError(path, NOT_REGULAR.format(kind="directory"))
    try:
        dfd = _open_dir_chain(root, parts, path)
    except Missing:
        raise InputError(path, "파일이 없습니다 (file not found)") from None
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)
    except FileNotFoundError:
        raise InputError(path, "파일이 없습니다 (file not found)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(path, LINK) from None
        if exc.errno in (errno.ENXIO, errno.ENODEV, errno.EOPNOTSUPP):  # a socket, an unopenable device
            raise InputError(path, NOT_REGULAR.format(kind="special file")) from None
        raise InputError(path, f"읽을 수 없습니다 ({exc.strerror})") from None
    finally:
        os.close(dfd)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(path, "노트북 파일이 아니라 폴더입니다 (is a directory)")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(path, NOT_REGULAR.format(kind=_kind(st.st_mode)))
        if st.st_size > limit:
            raise InputError(
                path,
                f"파일이 너무 큽니다 ({st.st_size / 2**20:.0f} MiB > {limit // 2**20} MiB); 출력을 지우고 저장하세요",
            )
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while we read
                raise InputError(path, f"파일이 너무 큽니다 (> {limit // 2**20} MiB); 출력을 지우고 저장하세요")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _json_problem(exc: json.JSONDecodeError) -> str:
    """``Unterminated string starting at`` + where, as one complete sentence."""
    msg = exc.msg[:1].lower() + exc.msg[1:]
    where = f"line {exc.lineno}, column {exc.colno}"
    text = f"{msg} {where}" if msg.endswith(" at") else f"{msg} at {where}"
    return f"JSON이 깨졌습니다 (truncated or invalid JSON: {text})"


def load_notebook(path, *, root=None) -> nbformat.NotebookNode:
    """Parse a notebook. With ``root`` (a submission), the file is read through
    :func:`read_submission_file`; without, it is a trusted file of the course (solutions, release)."""
    path = Path(path)
    if root is not None:
        data = read_submission_file(root, path)
    else:
        if not path.exists():
            raise InputError(path, "파일이 없습니다 (file not found)")
        if path.is_dir():
            raise InputError(path, "노트북 파일이 아니라 폴더입니다 (is a directory)")
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise InputError(
                path,
                f"파일이 너무 큽니다 ({size / 2**20:.0f} MiB > {MAX_NOTEBOOK_BYTES // 2**20} MiB); "
                "출력을 지우고 저장하세요",
            )
        data = path.read_bytes()
    return parse_notebook(path, data)


def parse_notebook(path, data: bytes) -> nbformat.NotebookNode:
    path = Path(path)
    if not data:
        raise InputError(path, "빈 파일입니다 (empty file, not a notebook)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "UTF-8 텍스트가 아닙니다 (not a notebook: binary file)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, _json_problem(exc)) from None
    except RecursionError:
        raise InputError(path, "JSON이 너무 깊게 중첩되어 있습니다 (JSON nested too deeply)") from None
    if not isinstance(raw, dict) or ("cells" not in raw and "worksheets" not in raw):
        raise InputError(path, "Jupyter 노트북이 아닙니다 (JSON without notebook cells)")
    major = raw.get("nbformat")
    if not isinstance(major, int) or isinstance(major, bool):
        raise InputError(path, "nbformat 버전이 없습니다 (not a Jupyter notebook)")
    if major < 4:
        raise InputError(
            path, f"nbformat {major} 노트북은 지원하지 않습니다; Jupyter에서 열어 다시 저장하세요 (nbformat 4 required)"
        )
    if major > 4:
        raise InputError(path, f"알 수 없는 nbformat {major} 입니다 (nbformat 4 required)")
    try:
        with warnings.catch_warnings():  # e.g. MissingIDFieldWarning: noise for a student, not a problem
            warnings.simplefilter("ignore")
            invalid: dict = {}  # reads validates once; the error comes back here
            nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)  # joins multi-line sources
            if invalid:
                raise invalid["ValidationError"]
    except nbformat.ValidationError as exc:
        msg = clean_text(str(exc.message).splitlines()[0] if str(exc.message) else "", limit=200)
        raise InputError(path, f"노트북 형식이 올바르지 않습니다 (invalid nbformat 4: {msg})") from None
    except RecursionError:
        raise InputError(path, "JSON이 너무 깊게 중첩되어 있습니다 (JSON nested too deeply)") from None
    return nb
