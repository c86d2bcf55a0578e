"""What a check compares against stays in the grader (issue 13, point 6).

A probe runs in the student's process, so any input array it sends back can have been rewritten by
the student's code before the reply: ``sys._getframe(1).f_locals`` reaches the probe's own copies.
Each attack below ignores its input, overwrites every array of the caller (and its own argument)
with ones, and returns what would be right for an input of ones. On the code before the fix they
scored 5/5 (dropout_forward), 4/4 (spatial_dropout, drop_path) and 1/3 (dropout_backward); now every
check that compares with the input fails, because the grader rebuilds the input from the seed or
takes it from the reference process. Only checks that never look at the input's values may pass.
"""

from __future__ import annotations

import pytest

from helpers import grade

# Rewrites every ndarray in the caller's frame (the probe's locals, where its copies of the inputs live).
_REWRITE_CALLER = '''
import sys


def _rewrite_caller_arrays(value):
    for v in list(sys._getframe(2).f_locals.values()):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            v[...] = value
        if isinstance(v, (list, tuple)):
            for a in v:
                if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                    a[...] = value
'''

ATTACKS = {
    ("03_dropout", "dropout_forward"): (_REWRITE_CALLER + '''
def dropout_forward(x, p, mode, rng):
    _rewrite_caller_arrays(1.0)
    x[...] = 1.0
    if mode == "train":
        mask = (rng.random(np.shape(x)) >= p).astype(np.float64)
        return mask / (1 - p), (mask, p, mode)
    return np.ones(np.shape(x)), (None, p, mode)
''', {"forward_drop_fraction_is_p"}),
    ("03_dropout", "dropout_backward"): (_REWRITE_CALLER + '''
def dropout_backward(dout, cache):
    _rewrite_caller_arrays(1.0)
    dout[...] = 1.0
    mask, p, mode = cache
    return mask / (1 - p) if mode == "train" else np.ones(np.shape(dout))
''', set()),
    ("03_dropout", "spatial_dropout"): (_REWRITE_CALLER + '''
def spatial_dropout(x, p, rng):
    _rewrite_caller_arrays(1.0)
    x[...] = 1.0
    N, C = np.shape(x)[:2]
    keep = (rng.random((N, C) + (1,) * (np.ndim(x) - 2)) >= p).astype(np.float64)
    return np.broadcast_to(keep / (1 - p), np.shape(x)).copy()
''', {"channel_drop_fraction_is_p"}),
    ("03_dropout", "drop_path"): (_REWRITE_CALLER + '''
def drop_path(x, p, training, rng):
    _rewrite_caller_arrays(1.0)
    x[...] = 1.0
    if not training:
        return np.ones(np.shape(x))
    keep = (rng.random((np.shape(x)[0],) + (1,) * (np.ndim(x) - 1)) >= p).astype(np.float64)
    return np.broadcast_to(keep / (1 - p), np.shape(x)).copy()
''', {"sample_drop_fraction_is_p"}),
}


@pytest.mark.parametrize("aid,exercise", [pytest.param(a, e, marks=pytest.mark.xdist_group(a), id=f"{a}-{e}")
                                          for a, e in ATTACKS])
def test_rewriting_the_probes_copy_of_the_input_earns_nothing(aid, exercise):
    source, may_pass = ATTACKS[aid, exercise]
    res = grade(aid, {exercise: source})
    mine = [c for c in res.checks if c.exercise == exercise]
    assert mine
    passed = {c.id for c in mine if c.status == "passed"}
    assert passed == may_pass, {c.id: (c.status, c.message[:200]) for c in mine}
