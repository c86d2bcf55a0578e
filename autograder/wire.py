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
# is a few hundred characters; arrays travel as raw bytes after the reply line (stored outputs:
# base64 strings), bounded in all by run.MAX_LINE.
MAX_ARRAY_BYTES = 12 * 2**20  # one array's bytes (run.MAX_LINE of base64 holds 12 MiB)
MAX_ELEMENTS = 100_000  # JSON values in one reply
MAX_DEPTH = 32  # nesting of lists and objects
MAX_STRING = 65_536  # characters of a plain string (not an array)


class WireError(ValueError):
    """Data from the notebook process is not plain data of the kinds we accept."""


_NUMBERS = frozenset((bool, int, float, type(None)))


def decode(value, arrays=None):
    """``value`` (parsed JSON from the worker) as plain data with arrays, within the limits above.

    ``arrays``: the arrays that came as raw bytes after the reply line (:func:`array_specs`);
    ``{"__ndarray__": i}`` stands for ``arrays[i]``, and each one is used exactly once."""
    budget = [MAX_ELEMENTS]
    used: set = set()
    out = _decode(value, 0, budget, arrays or (), used)
    if arrays and len(used) != len(arrays):
        raise WireError(f"배열 출력 {len(arrays)}개 중 {len(arrays) - len(used)}개가 결과에 없습니다")
    return out


def _decode(value, depth, budget, arrays, used):
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
        # a flat list of numbers (most probe outputs): checked in one pass, no call per value
        if depth < MAX_DEPTH and {type(v) for v in value} <= _NUMBERS:
            budget[0] -= len(value)
            if budget[0] < 0:
                raise WireError(f"출력의 값이 너무 많습니다 (최대 {MAX_ELEMENTS:,}개)")
            return list(value)
        return [_decode(v, depth + 1, budget, arrays, used) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            ref = value["__ndarray__"]
            if type(ref) is int and 0 <= ref < len(arrays) and ref not in used:
                used.add(ref)
                return arrays[ref]
            return _decode_array(ref)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or len(k) > MAX_STRING:
                raise WireError("출력의 키가 문자열이 아니거나 너무 깁니다")
            out[k] = _decode(v, depth + 1, budget, arrays, used)
        return out
    raise WireError(f"지원하지 않는 출력 형식: {type(value).__name__}")


_DESCR = re.compile(r"[<>|=]?[biufc]\d{1,2}")


def array_specs(specs, budget: int) -> list[tuple[np.dtype, tuple]]:
    """What a reply line says follows it as raw bytes: a list of ``[dtype, shape]``, checked before a
    byte of it is read (numbers and booleans only, at most MAX_ARRAY_BYTES each and ``budget`` bytes
    in all). Raises WireError."""
    if not isinstance(specs, list) or len(specs) > MAX_ELEMENTS:
        raise WireError("배열 출력의 목록이 잘못되었습니다")
    out, total = [], 0
    for spec in specs:
        try:
            descr, shape = spec
            if not (isinstance(descr, str) and _DESCR.fullmatch(descr)) or not isinstance(shape, list):
                raise ValueError(descr)
            if len(shape) > MAX_DEPTH or any(type(d) is not int or d < 0 for d in shape):
                raise ValueError(shape)
            dtype = np.dtype(descr)
        except (TypeError, ValueError):
            raise WireError("배열 출력의 dtype이나 모양이 잘못되었습니다") from None
        if dtype.kind not in "biufc" or dtype.hasobject:
            raise WireError(f"지원하지 않는 배열 dtype: {dtype}")
        size = math.prod(shape) * dtype.itemsize
        total += size
        if size > MAX_ARRAY_BYTES or total > budget:
            raise WireError("배열 출력이 너무 큽니다")
        out.append((dtype, tuple(shape)))
    return out


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
