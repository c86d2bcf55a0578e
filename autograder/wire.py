"""Reading plain data that came from a notebook process (the trusted side of the wire).

Only JSON values and ``.npy`` arrays of numbers or booleans are accepted. Arrays are read
with ``np.load(allow_pickle=False)``: nothing the student's process wrote is ever
unpickled, evaluated or imported.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re

import numpy as np

# Limits on one decoded result (docs/threat-model.md). The largest legitimate result over
# samples/submitted/full_marks holds 4,006 values, nests 6 deep and its longest plain string
# is a few hundred characters; arrays travel as base64 strings bounded by run.MAX_LINE.
MAX_ARRAY_BYTES = 12 * 2**20  # one array's .npy bytes (run.MAX_LINE of base64 holds 12 MiB)
MAX_ELEMENTS = 100_000  # JSON values in one reply
MAX_DEPTH = 32  # nesting of lists and objects
MAX_STRING = 65_536  # characters of a plain string (not an array)


class WireError(ValueError):
    """Data from the notebook process is not plain data of the kinds we accept."""


def decode(value):
    """``value`` (parsed JSON from the worker) as plain data with arrays, within the limits above."""
    budget = [MAX_ELEMENTS]
    return _decode(value, 0, budget)


def _decode(value, depth, budget):
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(f"출력의 값이 너무 많습니다 (최대 {MAX_ELEMENTS:,}개)")
    if depth > MAX_DEPTH:
        raise WireError(f"출력이 너무 깊게 중첩되어 있습니다 (최대 {MAX_DEPTH}단계)")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise WireError(f"출력 문자열이 너무 깁니다 ({len(value):,}자 > {MAX_STRING:,}자)")
        return value
    if isinstance(value, list):
        return [_decode(v, depth + 1, budget) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            return _decode_array(value["__ndarray__"])
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or len(k) > MAX_STRING:
                raise WireError("출력의 키가 문자열이 아니거나 너무 깁니다")
            out[k] = _decode(v, depth + 1, budget)
        return out
    raise WireError(f"지원하지 않는 출력 형식: {type(value).__name__}")


# The header np.save writes for a plain array, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[<>|=]?[biufc]\d{1,2})', 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>(?:\d+, )*(?:\d+,?)?)\), \} *\n"
)


def _fast_npy(raw: bytes):
    """The array of an .npy file whose header is the plain one np.save writes, else None.

    np.load parses every header with ast.literal_eval (about 0.2 ms); a submission sends
    thousands of small arrays. Anything this strict pattern does not match goes to np.load."""
    if raw[:8] != b"\x93NUMPY\x01\x00" or len(raw) < 10:
        return None
    hlen = int.from_bytes(raw[8:10], "little")
    m = _HEADER.fullmatch(raw[10 : 10 + hlen].decode("latin1"))
    if m is None:
        return None
    dtype = np.dtype(m["descr"])
    shape = tuple(int(d) for d in m["shape"].replace(",", " ").split())
    count = math.prod(shape)
    offset = 10 + hlen
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"array data has {len(raw) - offset} bytes, its header says {count * dtype.itemsize}")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).copy()  # writable, owns its data
    return flat.reshape(shape, order="F" if m["fortran"] == "True" else "C")


def _decode_array(text):
    if not isinstance(text, str) or len(text) > MAX_ARRAY_BYTES * 4 // 3 + 16:
        raise WireError("배열 출력이 너무 크거나 형식이 잘못되었습니다")
    try:
        raw = base64.b64decode(text, validate=True)
        arr = _fast_npy(raw)
        if arr is None:
            arr = np.load(io.BytesIO(raw), allow_pickle=False)
    except (binascii.Error, ValueError, OSError, EOFError) as exc:
        raise WireError(f"배열 출력을 읽을 수 없습니다: {exc}") from None
    if type(arr) is not np.ndarray or arr.dtype.kind not in "biufc" or arr.dtype.hasobject:
        raise WireError(f"지원하지 않는 배열 dtype: {arr.dtype}")
    return arr
