"""The batch result store: where ``autograder batch`` keeps a class's results and what is in it.

``<out>.d/`` next to the grades CSV holds ``results/<safe name>.json`` (one record per student,
:data:`RESULT_VERSION`), ``feedback/<safe name>/`` and ``manifest.json`` (:data:`MANIFEST_VERSION`).
Read by batch, merge (shards), the class report and the written-answer import; written only by
batch and merge, always through :func:`autograder.fsutil.atomic_write`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

RESULT_VERSION = "1"
MANIFEST_VERSION = "1"


def state_dir(out: Path) -> Path:
    return Path(str(out) + ".d")


def name_id(student: str) -> str:
    """The exact bytes of a student's folder name (hex): what a kept record must match."""
    return os.fsencode(student).hex()


def safe_name(student: str) -> str:
    """A file name for a student's result and feedback, injective on folder names: a name made
    only of letters, digits and ``-_.@`` (at most 100 characters) is kept as it is; any other
    name becomes a readable slug plus ``~`` (never in a kept name) and a hash of its exact bytes,
    so ``a?b``, ``a!b`` and ``a_b`` get three different files. Upper-case letters also take the
    second form (``Kim`` and ``kim`` are one file on a case-insensitive file system)."""
    if student and len(student) <= 100 and all(_kept(ch) for ch in student) and not student.startswith("."):
        return student
    slug = "".join(ch if (ch.isalnum() and ch.isprintable()) or ch in "-_.@" else "_" for ch in student)[:60]
    return f"{slug.lstrip('.')}~{hashlib.sha256(os.fsencode(student)).hexdigest()[:16]}"


def _kept(ch: str) -> bool:
    return ch in "-_.@" or (ch.isalnum() and ch.isprintable() and ch == ch.lower() == ch.casefold())


def record_order(record: dict) -> tuple[str, str]:
    """One order for every listing of records (CSV, summary, report): by shown name, then by the
    exact folder bytes (two folders may show the same cleaned name)."""
    return (str(record.get("student", "")), str(record.get("name_id", "")))


def display_name(student: str) -> str:
    """The name shown in the CSV, the summary and the feedback: printable, valid UTF-8."""
    from .errors import clean_name

    return clean_name(student)


def find_students(submissions: Path) -> list[Path]:
    return sorted(p for p in Path(submissions).iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_result(path: Path, student: str | None = None) -> dict | None:
    """A kept record, only if it is whole and (with ``student``) belongs to that very folder name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a torn file cannot exist (atomic writes), but be safe: regrade
    if not isinstance(data, dict) or data.get("version") != RESULT_VERSION:
        return None
    if student is not None and data.get("name_id") != name_id(student):
        return None  # another student's record (or an old layout): never handed over
    return data


def record_bytes(record: dict) -> bytes:
    from .report import json_bytes

    return json_bytes(record, indent=1)


def report_path(csv_path: Path) -> Path:
    """Where batch writes the class report: next to the CSV (grades.csv -> grades.report.html)."""
    return Path(csv_path).with_name(f"{Path(csv_path).stem}.report.html")
