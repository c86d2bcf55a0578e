"""Assertions that check files use. Each one reads as a sentence and writes the student's message.

Every helper validates what came back from the student's process (type, shape, dtype,
NaN/inf) before comparing, and raises :class:`CheckFailed` with a Korean message that names
the quantity, the worst element, its index, both values and the tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

BUILTIN_TOLERANCES = {
    "float64": (1e-10, 1e-12),
    "float32": (1e-5, 1e-6),
    "float16": (1e-3, 1e-4),
}
DEFAULT_TOLERANCES = dict(BUILTIN_TOLERANCES)  # in force: the course's, see autograder.context


class CheckFailed(AssertionError):
    """A property of the student's answer does not hold. The message is for the student."""


def configure(tolerances: Mapping[str, tuple[float, float]]) -> None:
    """Set the default (rtol, atol) per dtype: the built-in table, overridden by ``tolerances``.

    Called only by :func:`autograder.context.apply_tolerances` (with course.yaml's
    grading.tolerances), so every entry point applies the course's settings the same way."""
    table = dict(BUILTIN_TOLERANCES)
    table.update({k: (float(v[0]), float(v[1])) for k, v in tolerances.items()})
    DEFAULT_TOLERANCES.clear()
    DEFAULT_TOLERANCES.update(table)


def fail(message: str) -> None:
    raise CheckFailed(message)


def true(condition, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds (a plain bool, not an array)."""
    if not isinstance(condition, (bool, np.bool_)):
        raise TypeError("expect.true needs a bool; use expect.allclose/equal for arrays")
    if not condition:
        raise CheckFailed(message)


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return f"{v:.10g}"
    if isinstance(v, (complex, np.complexfloating)):
        return f"{complex(v):.6g}"
    return repr(v)


def _index(idx, shape) -> str:
    if not shape:
        return ""
    return " index " + ("(" + ", ".join(str(int(i)) for i in idx) + (",)" if len(idx) == 1 else ")"))


def as_array(got, name: str) -> np.ndarray:
    """The student's value as an ndarray of numbers, or a clear failure saying what it was."""
    if isinstance(got, np.ndarray):
        return got
    if isinstance(got, (bool, int, float, np.number, np.bool_)):
        return np.asarray(got)
    if isinstance(got, list):
        try:
            arr = np.asarray(got)
        except ValueError:
            arr = None
        if arr is not None and arr.dtype.kind in "biuf":
            return arr
    kind = "None" if got is None else type(got).__name__
    raise CheckFailed(f"`{name}`: 배열(또는 숫자)이어야 하는데 {kind}을(를) 반환했습니다.")


def shape(got, expected, name: str = "출력") -> np.ndarray:
    arr = as_array(got, name)
    expected = tuple(int(s) for s in expected)
    if arr.shape != expected:
        hint = ""
        if sorted(arr.shape) == sorted(expected) and len(expected) > 1:
            hint = " 축 순서가 바뀌지 않았는지(전치) 확인하세요."
        elif arr.size == int(np.prod(expected)):
            hint = " 원소 수는 같으니 reshape/keepdims를 확인하세요."
        raise CheckFailed(f"`{name}`: shape이 다릅니다 — 기대 {expected}, 학생 {arr.shape}.{hint}")
    return arr


def _check_dtype(got: np.ndarray, want: np.ndarray, name: str) -> None:
    gk, wk = got.dtype.kind, want.dtype.kind
    if wk == "f" and gk in "biu":
        raise CheckFailed(
            f"`{name}`: dtype이 다릅니다 — 기대 {want.dtype}(실수), 학생 {got.dtype}(정수/불리언). "
            "정수 나눗셈이나 astype(int)로 값이 잘리지 않았는지 확인하세요."
        )
    if wk == "f" and gk == "f" and got.dtype.itemsize < want.dtype.itemsize:
        raise CheckFailed(
            f"`{name}`: dtype이 다릅니다 — 기대 {want.dtype}, 학생 {got.dtype}. "
            "정밀도가 낮은 dtype으로 바뀌었습니다 (예: torch 기본값 float32, np.float32 상수)."
        )
    if wk == "b" and gk != "b":
        raise CheckFailed(f"`{name}`: dtype이 다릅니다 — 기대 bool, 학생 {got.dtype}.")
    if wk in "iu" and gk not in "biu":
        raise CheckFailed(f"`{name}`: dtype이 다릅니다 — 기대 정수({want.dtype}), 학생 {got.dtype}.")


def default_tolerance(want: np.ndarray) -> tuple[float, float]:
    key = str(want.dtype) if want.dtype.kind in "fc" else "float64"
    if want.dtype.kind == "c":
        key = {"complex64": "float32", "complex128": "float64"}.get(key, "float64")
    return DEFAULT_TOLERANCES.get(key, DEFAULT_TOLERANCES["float64"])


def allclose(
    got,
    want,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    name: str = "출력",
    check_dtype: bool = True,
    equal_nan: bool = False,
) -> np.ndarray:
    """|got - want| <= atol + rtol * |want| everywhere, with shape and dtype checked first.

    Tolerances default to course.yaml's per-dtype values (float64: rtol 1e-10).
    """
    want = np.asarray(want)
    arr = shape(got, want.shape, name)
    if check_dtype:
        _check_dtype(arr, want, name)
    d_rtol, d_atol = default_tolerance(want)
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    g = arr.astype(np.complex128 if arr.dtype.kind == "c" or want.dtype.kind == "c" else np.float64)
    w = want.astype(g.dtype)
    g_nan, w_nan = np.isnan(g), np.isnan(w)
    if not equal_nan and g_nan.any() and not w_nan[g_nan].all():
        idx = np.unravel_index(int(np.flatnonzero(g_nan & ~w_nan)[0]), g.shape)
        raise CheckFailed(
            f"`{name}`: NaN이 {int((g_nan & ~w_nan).sum())}개 있습니다 (첫 위치{_index(idx, g.shape)}, 기대값 "
            f"{_fmt(w[idx])}). 0으로 나누기, log(0), sqrt(음수), 분산에 eps 누락 등을 확인하세요."
        )
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(g - w)
        bound = atol + rtol * np.abs(w)
        both_nan = g_nan & w_nan
        same_inf = np.isinf(w) & (g == w)
        bad = ~((err <= bound) | same_inf | (both_nan if equal_nan else False))
    if bad.any():
        err_for_max = np.where(bad, np.nan_to_num(err, nan=np.inf, posinf=np.inf), -1.0)
        flat = int(np.argmax(err_for_max))
        idx = np.unravel_index(flat, g.shape) if g.shape else ()
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = err[idx] / abs(w[idx]) if w[idx] != 0 else float("inf")
        raise CheckFailed(
            f"`{name}`: 값이 허용 오차를 벗어납니다 — {int(bad.sum())}/{bad.size}개 원소. "
            f"가장 큰 차이는{_index(idx, g.shape)}: 기대값 {_fmt(want[idx])}, 학생 값 {_fmt(arr[idx])} "
            f"(절대 오차 {float(err[idx]):.3g}, 상대 오차 {float(rel):.3g}); "
            f"허용: |학생 - 기대| <= atol + rtol·|기대| (rtol={rtol:g}, atol={atol:g})."
        )
    return arr


def equal(got, want, *, name: str = "출력") -> None:
    """Exact equality: strings, integers, booleans, or arrays element by element."""
    if isinstance(want, str) or want is None or (isinstance(want, (list, tuple)) and not want):
        if got != want:
            raise CheckFailed(f"`{name}`: 기대 {want!r}, 학생 {got!r}.")
        return
    want_arr = np.asarray(want)
    arr = shape(got, want_arr.shape, name)
    if arr.dtype.kind not in "biufc" or want_arr.dtype.kind not in "biufc":
        raise CheckFailed(f"`{name}`: 숫자가 아닌 값입니다 (dtype {arr.dtype}).")
    diff = arr != want_arr
    if np.any(diff):
        idx = np.unravel_index(int(np.flatnonzero(diff)[0]), arr.shape) if arr.shape else ()
        raise CheckFailed(
            f"`{name}`: 값이 정확히 같아야 합니다 — {int(np.sum(diff))}/{diff.size}개 원소가 다릅니다. "
            f"첫 차이{_index(idx, arr.shape)}: 기대값 {_fmt(want_arr[idx])}, 학생 값 {_fmt(arr[idx])}."
        )


def finite(got, *, name: str = "출력") -> np.ndarray:
    arr = as_array(got, name)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = ~np.isfinite(arr)
        idx = np.unravel_index(int(np.flatnonzero(bad)[0]), arr.shape) if arr.shape else ()
        raise CheckFailed(
            f"`{name}`: NaN 또는 inf가 {int(bad.sum())}개 있습니다 (첫 위치{_index(idx, arr.shape)}: {_fmt(arr[idx])})."
        )
    return arr


def match(student: Mapping, reference: Mapping, keys=None, *, rtol=None, atol=None, check_dtype=True) -> None:
    """Compare several outputs of one probe, key by key (arrays with allclose, the rest exactly)."""
    for key in keys if keys is not None else reference.keys():
        if key not in student:
            raise CheckFailed(f"`{key}`: 출력에 없습니다.")
        want = reference[key]
        if isinstance(want, (str, type(None))) or (
            (isinstance(want, np.ndarray) and want.dtype.kind in "biu")
            or (isinstance(want, (bool, int)) and not isinstance(want, float))
        ):
            equal(student[key], want, name=key)
        else:
            allclose(student[key], want, rtol=rtol, atol=atol, name=key, check_dtype=check_dtype)


class hinted:
    """``with expect.hinted("..."):`` appends a teaching hint to a :class:`CheckFailed` raised in the block.

    With ``fits`` (a callable), only when ``fits()`` is true: the hint names one known mistake, so it is
    said only when the numbers fit that mistake. A check that tests one property may give the hint
    unconditionally: failing it is that property's mistake. With ``on_error``, the hint is also added to
    the error message when the student's code raises inside the block."""

    def __init__(self, hint: str, fits=None, on_error: bool = False):
        self.hint, self.fits, self.on_error = hint, fits, on_error

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if typ is None:
            return False
        if self.on_error:  # the student's code raised inside this single-property check: say what it means
            from .run import StudentError, StudentTimeout  # here, not at import: run.py is the heavy runner

            if issubclass(typ, StudentError) and not issubclass(typ, StudentTimeout) and isinstance(exc.info, dict):
                exc.info["message"] = f"{(exc.info.get('message') or '').strip()}\n힌트: {self.hint}"
                return False
        if not issubclass(typ, CheckFailed):
            return False
        if self.fits is not None:
            try:
                if not self.fits():
                    return False
            except Exception:  # noqa: BLE001 - a hint test choking on odd student output gives no hint
                return False
        raise CheckFailed(f"{exc}\n힌트: {self.hint}") from None
