"""What a check compares against stays in the grader (issue 13, point 6).

A probe runs in the student's process, so any input array it sends back can have been rewritten by
the student's code before the reply: ``sys._getframe(1).f_locals`` reaches the probe's own copies.

- The dropout attacks ignore their input, overwrite every array of the caller (and their own
  argument) with ones, and return what would be right for an input of ones. Before the fix they
  scored 5/5 (dropout_forward), 4/4 (spatial_dropout, drop_path) and 1/3 (dropout_backward).
- The cover-up attacks are the reference answer plus an in-place change of one input, hidden by
  overwriting the probe's copies of that input; before the fix every "does not modify" check passed.

Now the grader rebuilds each input from the seed, takes it from the reference process, or compares
with the student's own result of a separate call; only checks that never look at the input's values
may pass.
"""

from __future__ import annotations

import pytest
from helpers import answer_source, grade

# Rewrites every ndarray in the caller's frame (the probe's locals, where its copies of the inputs live).
_REWRITE_CALLER = """
import sys


def _rewrite_caller_arrays(value):
    for v in list(sys._getframe(2).f_locals.values()):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            v[...] = value
        if isinstance(v, (list, tuple)):
            for a in v:
                if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                    a[...] = value
"""

ATTACKS = {
    ("03_dropout", "dropout_forward"): (
        _REWRITE_CALLER
        + """
def dropout_forward(x, p, mode, rng):
    _rewrite_caller_arrays(1.0)
    x[...] = 1.0
    if mode == "train":
        mask = (rng.random(np.shape(x)) >= p).astype(np.float64)
        return mask / (1 - p), (mask, p, mode)
    return np.ones(np.shape(x)), (None, p, mode)
""",
        {"forward_drop_fraction_is_p"},
    ),
    ("03_dropout", "dropout_backward"): (
        _REWRITE_CALLER
        + """
def dropout_backward(dout, cache):
    _rewrite_caller_arrays(1.0)
    dout[...] = 1.0
    mask, p, mode = cache
    return mask / (1 - p) if mode == "train" else np.ones(np.shape(dout))
""",
        set(),
    ),
    ("03_dropout", "spatial_dropout"): (
        _REWRITE_CALLER
        + """
def spatial_dropout(x, p, rng):
    _rewrite_caller_arrays(1.0)
    x[...] = 1.0
    N, C = np.shape(x)[:2]
    keep = (rng.random((N, C) + (1,) * (np.ndim(x) - 2)) >= p).astype(np.float64)
    return np.broadcast_to(keep / (1 - p), np.shape(x)).copy()
""",
        {"channel_drop_fraction_is_p"},
    ),
    ("03_dropout", "drop_path"): (
        _REWRITE_CALLER
        + """
def drop_path(x, p, training, rng):
    _rewrite_caller_arrays(1.0)
    x[...] = 1.0
    if not training:
        return np.ones(np.shape(x))
    keep = (rng.random((np.shape(x)[0],) + (1,) * (np.ndim(x) - 1)) >= p).astype(np.float64)
    return np.broadcast_to(keep / (1 - p), np.shape(x)).copy()
""",
        {"sample_drop_fraction_is_p"},
    ),
}


@pytest.mark.parametrize(
    "aid,exercise", [pytest.param(a, e, marks=pytest.mark.xdist_group(a), id=f"{a}-{e}") for a, e in ATTACKS]
)
def test_rewriting_the_probes_copy_of_the_input_earns_nothing(aid, exercise):
    source, may_pass = ATTACKS[aid, exercise]
    res = grade(aid, {exercise: source})
    mine = [c for c in res.checks if c.exercise == exercise]
    assert mine
    passed = {c.id for c in mine if c.status == "passed"}
    assert passed == may_pass, {c.id: (c.status, c.message[:200]) for c in mine}


# The answer is the reference solution, but it modifies one input in place after computing its result,
# then hides that by overwriting every copy of the input it finds in the caller's frame (the probe's
# locals) with the modified values. Before the fix each of these earned full marks.
_HIDE_MUTATION = """

import sys as _sys

_answer = {fn}


def {fn}(*args, **kwargs):
    out = _answer(*args, **kwargs)
    target = args[{arg}]
    arrays = list(target) if isinstance(target, list) else [target]
    caller = _sys._getframe(1).f_locals
    found = []
    for v in caller.values():
        for c in (v if isinstance(v, list) else [v]):
            if isinstance(c, np.ndarray) and not any(c is a for a in arrays):
                found.append(c)
    copies = [[c for c in found if c.shape == a.shape and np.array_equal(c, a)] for a in arrays]
    for a, cs in zip(arrays, copies):
        a += 1.0  # the in-place mistake
        for c in cs:
            c[...] = a  # ... and the cover-up
    return out
"""

HIDDEN_MUTATION = [  # (assignment, exercise, function, index of the mutated argument, the check that must catch it)
    ("01_initialization", "train_two_layer", "train_two_layer", 4, "inputs_are_not_modified"),
    ("02_normalization", "batchnorm_forward", "batchnorm_forward", 0, "bn_input_is_not_mutated"),
    ("02_normalization", "spatial_batchnorm_forward", "spatial_batchnorm_forward", 0, "sbn_input_is_not_mutated"),
    ("02_normalization", "ghost_batchnorm_forward", "ghost_batchnorm_forward", 0, "gbn_input_is_not_mutated"),
    ("02_normalization", "weight_norm", "weight_norm", 0, "wn_input_is_not_mutated"),
    ("02_normalization", "spectral_norm_step", "spectral_norm_step", 1, "sn_input_u_is_not_mutated"),
    ("05_regularization", "sgd_step", "sgd_step", 1, "sgd_does_not_mutate_inputs"),
    ("05_regularization", "adamw_step", "adamw_step", 1, "adamw_does_not_mutate_inputs"),
    ("05_regularization", "ema_update", "ema_update", 0, "ema_does_not_mutate_inputs"),
    (
        "05_regularization",
        "add_gaussian_noise",
        "add_gaussian_noise",
        0,
        "noise_keeps_shape_dtype_and_does_not_mutate_x",
    ),
]


@pytest.mark.parametrize(
    "aid,exercise,fn,arg,catcher",
    [
        pytest.param(*case, marks=pytest.mark.xdist_group(case[0]), id=f"{case[0]}-{case[1]}")
        for case in HIDDEN_MUTATION
    ],
)
def test_hiding_an_in_place_change_by_rewriting_the_probes_copy_is_caught(aid, exercise, fn, arg, catcher):
    res = grade(aid, {exercise: answer_source(aid, exercise) + _HIDE_MUTATION.format(fn=fn, arg=arg)})
    mine = {c.id: c for c in res.checks if c.exercise == exercise}
    assert mine[catcher].status == "failed", (mine[catcher].status, mine[catcher].message)
    assert mine[catcher].score == 0
