"""Stage 1: a notebook file becomes a validated nbformat v4 object, or one clear line."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import nbformat

from .errors import InputError

MAX_NOTEBOOK_BYTES = 50 * 2**20


def load_notebook(path) -> nbformat.NotebookNode:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "파일이 없습니다 (file not found)")
    if path.is_dir():
        raise InputError(path, "노트북 파일이 아니라 폴더입니다 (is a directory)")
    size = path.stat().st_size
    if size == 0:
        raise InputError(path, "빈 파일입니다 (empty file, not a notebook)")
    if size > MAX_NOTEBOOK_BYTES:
        raise InputError(path, f"파일이 너무 큽니다 ({size / 2**20:.0f} MiB > {MAX_NOTEBOOK_BYTES // 2**20} MiB); 출력을 지우고 저장하세요")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "UTF-8 텍스트가 아닙니다 (not a notebook: binary file)") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            path, f"JSON이 깨졌습니다 (truncated or invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise InputError(path, "Jupyter 노트북이 아닙니다 (JSON without notebook cells)")
    major = raw.get("nbformat")
    if not isinstance(major, int):
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
            nb = nbformat.reads(text, as_version=4)  # joins multi-line sources, as Jupyter does
            nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        msg = str(exc.message).splitlines()[0][:200]
        raise InputError(path, f"노트북 형식이 올바르지 않습니다 (invalid nbformat 4: {msg})") from None
    return nb
