"""Hidden checks of 01_initialization. Never shipped to students.

Helpers and probes shared with the public checks are taken from public.py through ``public_of(__file__)``
(its checks stay public checks). Probes whose inputs must not reach students (``identical_more_cases``: the
rounding-noise case) are defined here, next to a reduced public probe.
"""

import math

import numpy as np

from autograder import expect
from autograder.checks import check, probe, public_of

_P = public_of(__file__)
_float64, _uniform, _normal, _raised = _P._float64, _P._uniform, _P._normal, _P._raised
_orthonormal, _two_layer_matches, _as_bool, _stats_match = (
    _P._orthonormal,
    _P._two_layer_matches,
    _P._as_bool,
    _P._stats_match,
)
_unit_variance, _gains, probe_input = _P._unit_variance, _P._gains, _P.probe_input
NO_GAIN_HINT, NO_KERNEL_HINT, LSUV_DEEP = _P.NO_GAIN_HINT, _P.NO_KERNEL_HINT, _P.LSUV_DEEP
MODE_HINT = "mode='fan_out'인데 fan_in을 썼을 때와 같습니다: mode에 따라 fan_in 또는 fan_out을 고르세요."
fans_of, init_samples, two_layer_run, lsuv_mlp, fixup_resnet, fixup_scales = (
    _P.fans_of,
    _P.init_samples,
    _P.two_layer_run,
    _P.lsuv_mlp,
    _P.fixup_resnet,
    _P.fixup_scales,
)


# ------------------------------------------------------------------------------------------------
# probes only the hidden checks use
# ------------------------------------------------------------------------------------------------
@probe
def fans_error(ns, shapes):
    out = {}
    for i, s in enumerate(shapes):
        try:
            ns.compute_fans(tuple(s))
            out[f"case{i}"] = {"raised": None}
        except Exception as e:  # noqa: BLE001 - raising is the expected behaviour
            out[f"case{i}"] = {"raised": type(e).__name__}
    return out


@probe
def gain_error(ns, name):
    try:
        ns.calculate_gain(name)
    except Exception as e:  # noqa: BLE001
        return {"raised": type(e).__name__}
    return {"raised": None}


@probe
def init_rng_use(ns, seed, fn, shape, kwargs):
    f = getattr(ns, fn)
    return {
        "a": f(tuple(shape), rng=np.random.default_rng(seed), **kwargs),
        "b": f(tuple(shape), rng=np.random.default_rng(seed), **kwargs),
        "c": f(tuple(shape), rng=np.random.default_rng(seed + 1), **kwargs),
    }


@probe
def identical_more_cases(ns, seed):
    rng = np.random.default_rng(seed)
    H, D, K = 5, 4, 3
    W1 = np.tile(rng.standard_normal(D), (H, 1))
    b1 = np.full(H, rng.standard_normal())
    W2 = np.tile(rng.standard_normal((K, 1)), (1, H))
    b1_diff = b1.copy()
    b1_diff[2] += 0.5
    W2_diff = W2.copy()
    W2_diff[1, 3] += 0.5
    W1_off = W1.copy()
    W1_off[4, 1] += 1e-6

    def noise(a):
        return a + 1e-13 * rng.standard_normal(a.shape)

    return {
        "bias differs": ns.hidden_units_identical(W1, b1_diff, W2),
        "outgoing weights differ": ns.hidden_units_identical(W1, b1, W2_diff),
        "rounding noise 1e-13": ns.hidden_units_identical(noise(W1), noise(b1), noise(W2)),
        "one weight off by 1e-6": ns.hidden_units_identical(W1_off, b1, W2),
        "one weight off by 1e-6, atol=1e-3": ns.hidden_units_identical(W1_off, b1, W2, atol=1e-3),
    }


@probe
def fixup_scale_error(ns):
    try:
        ns.fixup_scale(8, 1)
    except Exception as e:  # noqa: BLE001
        return {"raised": type(e).__name__}
    return {"raised": None}


def _rng_is_used(student, seed, fn, shape, kwargs=None):
    r = student(init_rng_use, seed=seed, fn=fn, shape=shape, kwargs=kwargs or {})
    a = _float64(r["a"], tuple(shape), f"{fn} (첫 호출)")
    b = expect.shape(r["b"], tuple(shape), name=f"{fn} (같은 seed로 두 번째 호출)")
    c = expect.shape(r["c"], tuple(shape), name=f"{fn} (다른 seed)")
    expect.true(
        bool(np.array_equal(a, b)),
        f"`{fn}`: 같은 seed의 rng를 넘겼는데 결과가 다릅니다 — 인자로 받은 rng만 쓰고 "
        "전역 np.random.* 나 새 default_rng()를 쓰지 마세요.",
    )
    expect.true(not np.array_equal(a, c), f"`{fn}`: 다른 seed의 rng인데 결과가 같습니다 — rng에서 값을 뽑아야 합니다.")


# ------------------------------------------------------------------------------------------------
# compute_fans
# ------------------------------------------------------------------------------------------------
@check("compute_fans", points=1)
def test_conv_fans_include_receptive_field(student, reference):
    """Conv 가중치 (out, in, *kernel): fan에 커널 크기(receptive field)를 곱함 (1D/2D/3D, 1x1)."""
    shapes = [[16, 32, 3, 3], [8, 3, 5], [4, 2, 3, 3, 3], [32, 16, 1, 1]]
    got, want = student(fans_of, shapes=shapes)["fans"], reference(fans_of, shapes=shapes)["fans"]
    for s, g, w in zip(shapes, got, want, strict=True):
        expect.equal(g, w, name=f"compute_fans({tuple(s)}) (receptive field = prod(shape[2:]))")


@check("compute_fans", points=0.5)
def test_below_two_dims_raises_value_error(student):
    """2차원 미만 shape ((5,), ())에는 ValueError."""
    r = student(fans_error, shapes=[[5], []])
    for key, s in (("case0", (5,)), ("case1", ())):
        _raised(
            r[key],
            "ValueError",
            f"compute_fans({s})",
            "fan은 (out, in, ...) 2차원 이상에서만 정의됩니다: 직접 검사해서 ValueError를 내세요 "
            "(IndexError가 아니라).",
        )


# ------------------------------------------------------------------------------------------------
# calculate_gain
# ------------------------------------------------------------------------------------------------
@check("calculate_gain", points=0.25)
def test_unknown_nonlinearity_raises_value_error(student):
    """모르는 이름('gelu2')에는 ValueError."""
    _raised(
        student(gain_error, name="gelu2"),
        "ValueError",
        "calculate_gain('gelu2')",
        "지원하지 않는 이름에 조용히 1을 돌려주면 잘못된 초기화를 알아챌 수 없습니다.",
    )


# ------------------------------------------------------------------------------------------------
# xavier
# ------------------------------------------------------------------------------------------------
@check("xavier_uniform", points=0.75)
def test_xavier_uniform_conv_kernel_and_gain(student, seed):
    """Conv (32, 16, 5, 5), gain 5/3: fan_in = 400, fan_out = 800, a = gain * sqrt(6 / 1200)."""
    g = 5.0 / 3.0
    w = student(init_samples, seed=seed, fn="xavier_uniform", shape=[32, 16, 5, 5], kwargs={"gain": g})["w"]
    _uniform(
        w,
        (32, 16, 5, 5),
        g * math.sqrt(6.0 / 1200),
        "xavier_uniform((32, 16, 5, 5), gain=5/3)",
        "fan_in=16*25, fan_out=32*25, gain=5/3",
        alts={NO_GAIN_HINT: math.sqrt(2.0 / 1200), NO_KERNEL_HINT: g * math.sqrt(2.0 / 48)},
    )


@check("xavier_uniform", points=0.25)
def test_xavier_uniform_uses_given_rng(student, seed):
    """인자로 받은 rng만 사용 (같은 seed → 같은 결과, 다른 seed → 다른 결과)."""
    _rng_is_used(student, seed, "xavier_uniform", [20, 10])


@check("xavier_normal", points=0.75)
def test_xavier_normal_conv_kernel_and_gain(student, seed):
    """Conv (32, 16, 5, 5), gain 5/3: std = gain * sqrt(2 / (400 + 800))."""
    g = 5.0 / 3.0
    w = student(init_samples, seed=seed, fn="xavier_normal", shape=[32, 16, 5, 5], kwargs={"gain": g})["w"]
    _normal(
        w,
        (32, 16, 5, 5),
        g * math.sqrt(2.0 / 1200),
        "xavier_normal((32, 16, 5, 5), gain=5/3)",
        "fan_in=16*25, fan_out=32*25, gain=5/3",
        alts={NO_GAIN_HINT: math.sqrt(2.0 / 1200), NO_KERNEL_HINT: g * math.sqrt(2.0 / 48)},
    )


@check("xavier_normal", points=0.25)
def test_xavier_normal_uses_given_rng(student, seed):
    """인자로 받은 rng만 사용."""
    _rng_is_used(student, seed, "xavier_normal", [20, 10])


# ------------------------------------------------------------------------------------------------
# kaiming
# ------------------------------------------------------------------------------------------------
@check("kaiming_uniform", points=0.75)
def test_kaiming_uniform_fan_out_mode_on_conv(student, seed):
    """Conv (16, 32, 3, 3), mode='fan_out', relu: fan_out = 16*9 = 144, b = sqrt(2) * sqrt(3 / 144)."""
    w = student(
        init_samples,
        seed=seed,
        fn="kaiming_uniform",
        shape=[16, 32, 3, 3],
        kwargs={"mode": "fan_out", "nonlinearity": "relu"},
    )["w"]
    _uniform(
        w,
        (16, 32, 3, 3),
        math.sqrt(2.0) * math.sqrt(3.0 / 144),
        "kaiming_uniform((16, 32, 3, 3), mode='fan_out')",
        "fan_out = 16*3*3 = 144 (fan_in은 288)",
        alts={MODE_HINT: math.sqrt(2.0 / 288)},
    )


@check("kaiming_uniform", points=0.75)
def test_kaiming_uniform_leaky_slope_a_sets_gain(student, seed):
    """a = sqrt(5) (nn.Linear의 기본값): gain = sqrt(2/6), 즉 b = 1/sqrt(fan_in), (64, 128)."""
    w = student(init_samples, seed=seed, fn="kaiming_uniform", shape=[64, 128], kwargs={"a": math.sqrt(5.0)})["w"]
    _uniform(
        w,
        (64, 128),
        1.0 / math.sqrt(128),
        "kaiming_uniform((64, 128), a=sqrt(5))",
        "gain = calculate_gain('leaky_relu', a) = sqrt(1/3)",
    )


@check("kaiming_uniform", points=0.5)
def test_kaiming_uniform_uses_given_rng(student, seed):
    """인자로 받은 rng만 사용."""
    _rng_is_used(student, seed, "kaiming_uniform", [20, 10])


@check("kaiming_normal", points=0.75)
def test_kaiming_normal_fan_out_mode_on_conv(student, seed):
    """Conv (16, 32, 3, 3), mode='fan_out', relu: std = sqrt(2 / 144)."""
    w = student(
        init_samples,
        seed=seed,
        fn="kaiming_normal",
        shape=[16, 32, 3, 3],
        kwargs={"mode": "fan_out", "nonlinearity": "relu"},
    )["w"]
    _normal(
        w,
        (16, 32, 3, 3),
        math.sqrt(2.0 / 144),
        "kaiming_normal((16, 32, 3, 3), mode='fan_out')",
        "fan_out = 16*3*3 = 144 (fan_in은 288)",
        alts={MODE_HINT: math.sqrt(2.0 / 288)},
    )


@check("kaiming_normal", points=0.75)
def test_kaiming_normal_uses_nonlinearity_gain(student, seed):
    """nonlinearity='tanh': std = (5/3) / sqrt(fan_in), (128, 256)."""
    w = student(init_samples, seed=seed, fn="kaiming_normal", shape=[128, 256], kwargs={"nonlinearity": "tanh"})["w"]
    _normal(
        w,
        (128, 256),
        (5.0 / 3.0) / math.sqrt(256),
        "kaiming_normal((128, 256), nonlinearity='tanh')",
        "gain = calculate_gain('tanh') = 5/3, fan_in = 256",
        alts={
            "nonlinearity의 gain (calculate_gain(nonlinearity))이 아니라 He의 sqrt(2)를 "
            "고정했을 때와 같습니다.": math.sqrt(2.0 / 256)
        },
    )


@check("kaiming_normal", points=0.5)
def test_kaiming_normal_uses_given_rng(student, seed):
    """인자로 받은 rng만 사용."""
    _rng_is_used(student, seed, "kaiming_normal", [20, 10])


# ------------------------------------------------------------------------------------------------
# orthogonal
# ------------------------------------------------------------------------------------------------
@check("orthogonal", points=0.75)
def test_tall_matrix_has_orthonormal_columns_times_gain(student, seed):
    """세로로 긴 (120, 50), gain 1.5: W.T @ W = 2.25 I."""
    w = student(init_samples, seed=seed, fn="orthogonal", shape=[120, 50], kwargs={"gain": 1.5})["w"]
    _orthonormal(w, (120, 50), 1.5, "orthogonal((120, 50), gain=1.5)")


@check("orthogonal", points=0.5)
def test_conv_weight_flattens_trailing_dims(student, seed):
    """Conv 가중치는 (shape[0], prod(shape[1:]))로 펼쳐서 직교: (8, 4, 3, 3) → 넓은 (8, 36), (40, 2, 3) → 긴 (40, 6)."""
    for shape in ([8, 4, 3, 3], [40, 2, 3]):
        w = student(init_samples, seed=seed, fn="orthogonal", shape=shape, kwargs={})["w"]
        _orthonormal(w, tuple(shape), 1.0, f"orthogonal({tuple(shape)})")


@check("orthogonal", points=0.25)
def test_orthogonal_uses_given_rng(student, seed):
    """인자로 받은 rng만 사용."""
    _rng_is_used(student, seed, "orthogonal", [12, 7])


# ------------------------------------------------------------------------------------------------
# symmetry
# ------------------------------------------------------------------------------------------------
@check("train_two_layer", points=0.75)
def test_constant_init_keeps_hidden_units_identical(student, reference, seed):
    """상수 초기화로 20 step 학습해도 모든 은닉 유닛이 같고(대칭 유지), 값은 기준 해답과 같음."""
    out = student(two_layer_run, seed=seed, init="constant", steps=20, lr=0.3)["out"]
    expect.true(
        isinstance(out, list) and len(out) == 4, "`train_two_layer`는 (W1, b1, W2, b2) 네 배열을 반환해야 합니다."
    )
    W1 = np.asarray(expect.finite(out[0], name="W1"), dtype=np.float64)
    b1 = np.asarray(expect.finite(out[1], name="b1"), dtype=np.float64)
    W2 = np.asarray(expect.finite(out[2], name="W2"), dtype=np.float64)
    spread = max(float(np.ptp(W1, axis=0).max()), float(np.ptp(b1)), float(np.ptp(W2, axis=1).max()))
    expect.true(
        spread <= 1e-12,
        f"상수 초기화인데 20 step 후 은닉 유닛들이 달라졌습니다 (최대 차이 {spread:.3g}). "
        "같은 유닛은 같은 기울기를 받아야 합니다: 기울기 식에서 축이나 전치를 확인하세요.",
    )
    _two_layer_matches(student, reference, seed, "constant", 20)


@check("train_two_layer", points=0.5, requires="one_step_matches_reference")
def test_inputs_are_not_modified(student, reference, seed):
    """train_two_layer는 인자 배열(W1, b1, W2, b2, X, y)을 바꾸지 않음 (새 배열 반환)."""
    kw = dict(seed=seed, init="random", steps=3, lr=0.3)
    r, trusted = student(two_layer_run, **kw), reference(two_layer_run, **kw)  # the inputs, from the trusted process
    for name, before, after in zip(("W1", "b1", "W2", "b2", "X", "y"), trusted["before"], r["after"], strict=True):
        if not np.array_equal(np.asarray(before), np.asarray(after)):
            expect.fail(
                f"인자 `{name}`가 함수 호출 뒤 바뀌었습니다. `W1 -= lr * dW1`은 호출한 쪽의 배열을 제자리에서 "
                "바꿉니다: 시작할 때 복사(np.array(W1, copy=True))한 뒤 갱신하세요."
            )


@check("hidden_units_identical", points=0.25)
def test_tolerance_for_rounding(student, seed):
    """atol 이하의 차이(1e-13)는 같다고 보고, 1e-6 차이는 다르다고 봄 (atol 인자 존중)."""
    r = student(identical_more_cases, seed=seed)
    for case, want in (
        ("rounding noise 1e-13", True),
        ("one weight off by 1e-6", False),
        ("one weight off by 1e-6, atol=1e-3", True),
    ):
        got = _as_bool(r.get(case), f"hidden_units_identical ({case})")
        expect.true(
            got == want,
            f"경우 '{case}': {want}여야 하는데 {got}입니다. 부동소수점 비교는 == 대신 "
            "|a - b| <= atol로 하고, atol 인자를 쓰세요.",
        )


# ------------------------------------------------------------------------------------------------
# activation_stats
# ------------------------------------------------------------------------------------------------
@check("activation_stats", points=0.5)
def test_sigmoid_and_linear_match_reference(student, reference, seed):
    """sigmoid와 linear 활성에서도 층별 평균/표준편차가 기준 해답과 같음."""
    for act in ("sigmoid", "linear"):
        _stats_match(student, reference, seed, act, [5, 8, 3, 6], 25, ["means", "stds"])


# ------------------------------------------------------------------------------------------------
# LSUV
# ------------------------------------------------------------------------------------------------


@check("lsuv_init", points=1)
def test_tight_tolerance_needs_iteration(student, seed):
    """편향이 큰(std 0.5) ReLU MLP, tol = 0.02: 한 번 나누는 것으로는 부족해 반복해야 1 ± tol에 들어감."""
    _unit_variance(student(lsuv_mlp, seed=seed, **LSUV_DEEP), "relu", 0.02, probe_input(seed, (256, 32)))


# ------------------------------------------------------------------------------------------------
# Fixup
# ------------------------------------------------------------------------------------------------
@check("fixup_scale", points=0.25)
def test_scale_for_deeper_branches(student, reference):
    """m >= 3: fixup_scale(16, 3) = 16^(-1/4), fixup_scale(10, 4) = 10^(-1/6), L = 1이면 1."""
    cases = [[16, 3], [10, 4], [1, 2]]
    got, want = student(fixup_scales, cases=cases)["scales"], reference(fixup_scales, cases=cases)["scales"]
    for (L, m), g, w in zip(cases, got, want, strict=True):
        expect.allclose(g, w, name=f"fixup_scale({L}, {m}) (L = branch 수, m = branch당 층 수)", check_dtype=False)


@check("fixup_scale", points=0.25)
def test_single_layer_branch_raises_value_error(student):
    """m = 1이면 지수 -1/(2m-2)가 정의되지 않으므로 ValueError."""
    _raised(
        student(fixup_scale_error),
        "ValueError",
        "fixup_scale(8, 1)",
        "m < 2를 직접 검사하세요 (0으로 나누기 오류가 아니라 ValueError).",
    )


# ------------------------------------------------------------------------------------------------
# layer_gradient_norms
# ------------------------------------------------------------------------------------------------
_norms_match = _P._norms_match


@check("layer_gradient_norms", points=0.75)
def test_sigmoid_derivative_at_preactivation(student, reference, seed):
    """sigmoid: 도함수 s(1 - s)를 pre-activation z에서 계산 (s = sigmoid(z)); 큰 가중치로 포화된 층 포함."""
    _norms_match(student, reference, seed=seed, activation="sigmoid", dims=[5, 9, 6, 8, 4], scale=3.0)


@check("layer_gradient_norms", points=0.75)
def test_deep_relu_and_linear_match_reference(student, reference, seed):
    """폭이 다른 8층 ReLU MLP와 5층 linear MLP의 기울기 노름이 기준 해답과 같음."""
    _norms_match(student, reference, seed=seed, activation="relu", dims=[6, 10, 4, 9, 5, 7, 3, 8, 2], n=30)
    _norms_match(student, reference, seed=seed + 1, activation="linear", dims=[4, 7, 3, 6, 5, 2], scale=1.2)
