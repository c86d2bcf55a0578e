"""Reading plain data that came from a notebook process (the trusted side of the wire).

Only JSON values and ``.npy`` arrays of numbers or booleans are accepted. Arrays are read
with ``np.load(allow_pickle=False)``: nothing the student's process wrote is ever
unpickled, evaluated or imported.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np

MAX_ARRAY_BYTES = 256 * 2**20


class WireError(ValueError):
    """Data from the notebook process is not plain data of the kinds we accept."""


def decode(value, _depth=0):
    if _depth > 40:
        raise WireError("출력이 너무 깊게 중첩되어 있습니다")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            return _decode_array(value["__ndarray__"])
        return {str(k): decode(v, _depth + 1) for k, v in value.items()}
    raise WireError(f"지원하지 않는 출력 형식: {type(value).__name__}")


def _decode_array(text):
    if not isinstance(text, str) or len(text) > MAX_ARRAY_BYTES * 4 // 3 + 16:
        raise WireError("배열 출력이 너무 크거나 형식이 잘못되었습니다")
    try:
        raw = base64.b64decode(text, validate=True)
        arr = np.load(io.BytesIO(raw), allow_pickle=False)
    except (binascii.Error, ValueError, OSError, EOFError) as exc:
        raise WireError(f"배열 출력을 읽을 수 없습니다: {exc}") from None
    if type(arr) is not np.ndarray or arr.dtype.kind not in "biufc" or arr.dtype.hasobject:
        raise WireError(f"지원하지 않는 배열 dtype: {arr.dtype}")
    return arr
