"""Public checks of 01_initialization (weight initialization). Students see and run these.

Random initializers are graded by distribution (DKW band on the empirical CDF, chi-square region on the
variance; a correct implementation fails a check with probability <= 1e-7), never by matching a seed.
"""

import math

import numpy as np

from autograder import expect, stats
from autograder.checks import check, probe


# ------------------------------------------------------------------------------------------------
# helpers (grader side)
# ------------------------------------------------------------------------------------------------
def _float64(w, shape, name):
    w = expect.shape(w, shape, name=name)
    expect.true(w.dtype == np.float64, f"`{name}`: dtype이 float64여야 하는데 {w.dtype}입니다.")
    return expect.finite(w, name=name)


def _uniform(w, shape, bound, name, what, alts=None):
    """Entries of `w` lie in [-bound, bound] and are U(-bound, bound) (DKW, fail prob 1e-7).

    ``alts`` maps a hint to the standard deviation a known mistake gives; a failure whose sample
    std fits one of them says that hint."""
    w = _float64(w, shape, name)
    with _diagnosed(w, bound / math.sqrt(3.0), alts):
        worst = float(np.abs(w).max())
        expect.true(
            worst <= bound * (1 + 1e-12),
            f"`{name}`: |값|의 최댓값 {worst:.6g}이 경계 b = {bound:.6g}를 넘습니다 ({what}). "
            "fan_in/fan_out(PyTorch는 (out, in, *kernel)), gain, sqrt(3) 인자를 확인하세요.",
        )
        stats.dkw(w, stats.uniform_cdf(-bound, bound), name=name, what=f"U(-{bound:.4g}, {bound:.4g}) ({what})")


def _normal(w, shape, std, name, what, alts=None):
    """Entries of `w` are N(0, std^2): DKW on the CDF and chi-square on the variance (each fail prob 5e-8)."""
    w = _float64(w, shape, name)
    with _diagnosed(w, std, alts):
        stats.variance_normal(w, std**2, known_mean=0.0, fail_prob=5e-8, name=f"{name}의 분산")
        stats.dkw(w, stats.normal_cdf(0.0, std), fail_prob=5e-8, name=name, what=f"N(0, {std:.4g}^2) ({what})")


class _diagnosed:
    """On a failure, name the known mistake whose standard deviation the sample's fits, within 4%.

    Only the hint depends on it, never the verdict. The checks draw >= 4608 values, so a sample's RMS
    has a relative standard error <= 1/sqrt(2 * 4608) = 1.04%: a listed mistake fits its own entry
    except with probability < 2e-4, and the entries are more than 10% from the right std and from each
    other (8% for Fixup's fan_out entry, drawn from 49152 values), so a failing sample fits at most one
    distribution; mistakes that give the same distribution share an entry's std and are named together."""

    def __init__(self, w, std, alts):
        self.w, self.std, self.alts = w, std, alts or {}

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if typ is None or not issubclass(typ, expect.CheckFailed) or not self.alts:
            return False
        got = float(np.sqrt(np.mean(np.square(self.w.astype(np.float64)))))
        fits = [h for h, s in self.alts.items() if abs(got / s - 1.0) <= 0.04]
        if fits:
            expect.fail(f"{exc}\n힌트: 표본 표준편차 {got:.4g}는 " + " 또는 ".join(fits))
        return False


SQRT3_HINT = (
    "경계 b 자리에 표준편차 값을 그대로 넣었을 때와 같습니다: U(-b, b)의 표준편차는 b / sqrt(3)이므로 "
    "b = sqrt(3) * std입니다."
)
SWAP_HINT = (
    "fan_in과 fan_out을 바꿨을 때와 같습니다: PyTorch 가중치는 (out, in, *kernel)이므로 "
    "fan_in = shape[1] * receptive field입니다."
)
VAR_AS_STD_HINT = (
    "표준편차 자리에 분산(gain² / fan)을 넣었을 때와 같습니다: numpy의 scale과 torch의 std는 "
    "표준편차이므로 sqrt를 씌우세요."
)
NO_GAIN_HINT = "gain을 곱하지 않았을 때와 같습니다: std(또는 경계)에 gain을 곱하세요."
NO_KERNEL_HINT = (
    "fan을 shape[:2]로만 셌을 때와 같습니다: conv 가중치 (out, in, *kernel)의 fan_in = in * prod(kernel), "
    "fan_out = out * prod(kernel) (receptive field를 곱함)."
)


def _raised(r, want, name, hint):
    got = r.get("raised")
    expect.true(
        got == want,
        f"`{name}`: {want}를 내야 하는데 "
        + ("예외 없이 값을 반환했습니다" if got is None else f"{got}를 냈습니다")
        + f". {hint}",
    )


# ------------------------------------------------------------------------------------------------
# probes (student's process)
# ------------------------------------------------------------------------------------------------
@probe
def fans_of(ns, shapes):
    return {"fans": [list(ns.compute_fans(tuple(s))) for s in shapes]}


@probe
def gains_of(ns, cases):
    return {
        "gains": [ns.calculate_gain(name) if param is None else ns.calculate_gain(name, param) for name, param in cases]
    }


@probe
def init_samples(ns, seed, fn, shape, kwargs):
    rng = np.random.default_rng(seed)
    return {"w": getattr(ns, fn)(tuple(shape), rng=rng, **kwargs)}


@probe
def two_layer_run(ns, seed, init, steps, lr):
    rng = np.random.default_rng(seed)
    H, D, K, N = 6, 4, 3, 32
    X = rng.standard_normal((N, D))
    y = rng.standard_normal((N, K))
    if init == "constant":
        W1, b1, W2 = np.full((H, D), 0.4), np.full(H, -0.2), np.full((K, H), 0.3)
    else:
        W1, b1, W2 = 0.5 * rng.standard_normal((H, D)), 0.1 * rng.standard_normal(H), 0.5 * rng.standard_normal((K, H))
    b2 = 0.1 * rng.standard_normal(K)
    before = [a.copy() for a in (W1, b1, W2, b2, X, y)]
    out = ns.train_two_layer(W1, b1, W2, b2, X, y, lr, steps)
    return {"out": list(out), "before": before, "after": [W1, b1, W2, b2, X, y]}


@probe
def identical_cases(ns, seed):
    rng = np.random.default_rng(seed)
    H, D, K = 5, 4, 3
    W1 = np.tile(rng.standard_normal(D), (H, 1))
    b1 = np.full(H, rng.standard_normal())
    W2 = np.tile(rng.standard_normal((K, 1)), (1, H))
    cases = {
        "identical": (W1, b1, W2),
        "zeros": (np.zeros((H, D)), np.zeros(H), np.zeros((K, H))),
        "random": (rng.standard_normal((H, D)), rng.standard_normal(H), rng.standard_normal((K, H))),
    }
    return {name: ns.hidden_units_identical(*args) for name, args in cases.items()}


@probe
def act_stats(ns, seed, activation, dims, n):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims[0]))
    weights = [rng.standard_normal((b, a)) * (1.5 / math.sqrt(a)) for a, b in zip(dims[:-1], dims[1:], strict=True)]  # noqa: RUF007 - a probe may not import itertools
    means, stds, hs = ns.activation_stats(x, weights, activation)
    return {"means": means, "stds": stds, "hs": list(hs), "x": x, "weights": weights}


@probe
def lsuv_mlp(ns, seed, sizes, activation, tol, bias_std):
    g = torch.Generator().manual_seed(seed)
    model = ns.MLP(sizes, activation, generator=g)
    if bias_std:
        with torch.no_grad():
            for layer in model.layers:
                layer.bias.normal_(0.0, bias_std, generator=g)
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((256, sizes[0]))).float()
    ns.lsuv_init(model, x, tol=tol, max_iter=10, generator=torch.Generator().manual_seed(seed + 1))
    return {
        "weights": [layer.weight.detach().clone() for layer in model.layers],
        "biases": [layer.bias.detach().clone() for layer in model.layers],
    }


@probe
def fixup_scales(ns, cases):
    return {"scales": [ns.fixup_scale(L, m) for L, m in cases]}


@probe
def fixup_resnet(ns, seed, num_blocks, layers_per_branch):
    g = torch.Generator().manual_seed(seed)
    model = ns.TinyResNet(
        in_dim=64,
        width=32,
        hidden=64,
        num_blocks=num_blocks,
        layers_per_branch=layers_per_branch,
        num_classes=10,
        generator=g,
    )
    ns.fixup_init(model, generator=torch.Generator().manual_seed(seed + 1))
    return {
        "stem": [model.stem.weight.detach().clone(), model.stem.bias.detach().clone()],
        "classifier": [model.classifier.weight.detach().clone(), model.classifier.bias.detach().clone()],
        "branches": [
            [[layer.weight.detach().clone(), layer.bias.detach().clone()] for layer in block.layers]
            for block in model.blocks
        ],
    }


# ------------------------------------------------------------------------------------------------
# compute_fans
# ------------------------------------------------------------------------------------------------
@probe
def identical_bias_and_outgoing(ns, seed):
    rng = np.random.default_rng(seed)
    H, D, K = 5, 4, 3
    W1 = np.tile(rng.standard_normal(D), (H, 1))
    b1 = np.full(H, rng.standard_normal())
    W2 = np.tile(rng.standard_normal((K, 1)), (1, H))
    b1_diff = b1.copy()
    b1_diff[2] += 0.5
    W2_diff = W2.copy()
    W2_diff[1, 3] += 0.5
    return {
        "bias differs": ns.hidden_units_identical(W1, b1_diff, W2),
        "outgoing weights differ": ns.hidden_units_identical(W1, b1, W2_diff),
    }


LSUV_DEEP = dict(sizes=[32, 100, 50, 80, 10], activation="relu", tol=0.02, bias_std=0.5)


@check("compute_fans", points=0.5)
def test_linear_weight_is_out_in(student, reference):
    """Linear 가중치 (out, in): fan_in = in = shape[1], fan_out = out = shape[0]."""
    shapes = [[300, 100], [10, 64], [7, 7]]
    got, want = student(fans_of, shapes=shapes)["fans"], reference(fans_of, shapes=shapes)["fans"]
    for s, g, w in zip(shapes, got, want, strict=True):
        if list(np.ravel(g)) == list(w)[::-1] and w[0] != w[1]:
            expect.fail(
                f"shape {tuple(s)}: (fan_in, fan_out) = {tuple(w)}이어야 하는데 {tuple(np.ravel(g))}입니다 — "
                "fan_in과 fan_out이 바뀌었습니다. PyTorch 가중치는 (out, in) 순서입니다 (x @ W의 (in, out)이 아님)."
            )
        expect.equal(g, w, name=f"compute_fans({tuple(s)})")


# ------------------------------------------------------------------------------------------------
# calculate_gain
# ------------------------------------------------------------------------------------------------
STANDARD = [
    ["linear", None],
    ["conv1d", None],
    ["conv2d", None],
    ["conv3d", None],
    ["conv_transpose2d", None],
    ["sigmoid", None],
    ["relu", None],
]


def _gains(student, reference, cases):
    got, want = student(gains_of, cases=cases)["gains"], reference(gains_of, cases=cases)["gains"]
    for (name, param), g, w in zip(cases, got, want, strict=True):
        label = f"calculate_gain({name!r}" + (")" if param is None else f", {param})")
        try:
            expect.allclose(g, w, name=label, check_dtype=False)
        except expect.CheckFailed as exc:
            expect.fail(f"{exc}\n힌트: {_gain_hint(g, w, name)}")


GAIN_HINTS = {
    "tanh": "tanh의 gain은 5/3입니다 (PyTorch; sigmoid처럼 1이 아님).",
    "selu": "selu의 gain은 3/4입니다 (PyTorch; self-normalizing이라도 1이 아님).",
    "leaky_relu": "leaky_relu의 gain은 sqrt(2 / (1 + slope²))이고, slope를 주지 않으면 기본값 0.01입니다 (0이 아님).",
    "relu": "relu의 gain은 sqrt(2)입니다.",
}


def _gain_hint(got, want, name):
    """The hint that fits the student's gain: the variance factor gain² instead of gain, else the name's rule."""
    try:
        g = float(got)
    except (TypeError, ValueError):
        return "calculate_gain은 float 하나를 반환합니다."
    if want != 1.0 and abs(g - want**2) <= 1e-9 * abs(want**2):
        return "gain²(분산 배율)을 반환했습니다: gain은 표준편차 배율이므로 sqrt를 씌운 값입니다 (relu: sqrt(2))."
    return GAIN_HINTS.get(name, "torch.nn.init.calculate_gain의 표를 확인하세요.")


@check("calculate_gain", points=0.5)
def test_standard_gains_match_torch(student, reference):
    """linear/conv*/sigmoid의 gain은 1, relu는 sqrt(2) (torch.nn.init.calculate_gain과 같음)."""
    _gains(student, reference, STANDARD)


@check("calculate_gain", points=0.5)
def test_tanh_gain_is_five_thirds(student, reference):
    """tanh의 gain은 5/3."""
    _gains(student, reference, [["tanh", None]])


# ------------------------------------------------------------------------------------------------
# xavier_uniform / xavier_normal
# ------------------------------------------------------------------------------------------------
@check("xavier_uniform", points=1)
def test_xavier_uniform_is_uniform_within_bound(student, seed):
    """(300, 100) 가중치가 U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (모든 값이 경계 안, DKW 검정)."""
    w = student(init_samples, seed=seed, fn="xavier_uniform", shape=[300, 100], kwargs={})["w"]
    _uniform(
        w,
        (300, 100),
        math.sqrt(6.0 / 400),
        "xavier_uniform((300, 100))",
        "fan_in=100, fan_out=300, gain=1",
        alts={
            SQRT3_HINT: math.sqrt(2.0 / 400) / math.sqrt(3.0),
            "fan_in만 썼을 때(LeCun)와 같습니다: Xavier 분산은 2 / (fan_in + fan_out)입니다.": math.sqrt(1.0 / 100),
        },
    )


@check("xavier_normal", points=1)
def test_xavier_normal_is_normal_with_glorot_std(student, seed):
    """(300, 100) 가중치가 N(0, std^2), std = sqrt(2 / (fan_in + fan_out)) (DKW + 카이제곱)."""
    w = student(init_samples, seed=seed, fn="xavier_normal", shape=[300, 100], kwargs={})["w"]
    _normal(
        w,
        (300, 100),
        math.sqrt(2.0 / 400),
        "xavier_normal((300, 100))",
        "fan_in=100, fan_out=300, gain=1",
        alts={
            VAR_AS_STD_HINT: 2.0 / 400,
            "fan_in만 썼을 때(LeCun)와 같습니다: Xavier(Glorot) 분산은 2 / (fan_in + fan_out)입니다.": math.sqrt(
                1.0 / 100
            ),
            "fan_out만 썼을 때와 같습니다: Xavier(Glorot) 분산은 2 / (fan_in + fan_out)입니다.": math.sqrt(1.0 / 300),
        },
    )


# ------------------------------------------------------------------------------------------------
# kaiming_uniform / kaiming_normal
# ------------------------------------------------------------------------------------------------
@check("kaiming_uniform", points=1)
def test_kaiming_uniform_default_is_he_fan_in(student, seed):
    """기본값(a=0, fan_in, leaky_relu)으로 (300, 100): U(-b, b), b = sqrt(2) * sqrt(3 / fan_in), fan_in = 100."""
    w = student(init_samples, seed=seed, fn="kaiming_uniform", shape=[300, 100], kwargs={})["w"]
    _uniform(
        w,
        (300, 100),
        math.sqrt(2.0) * math.sqrt(3.0 / 100),
        "kaiming_uniform((300, 100))",
        "기본값: gain = sqrt(2), fan_in = 100",
        alts={SWAP_HINT: math.sqrt(2.0 / 300), SQRT3_HINT: math.sqrt(2.0 / 100) / math.sqrt(3.0)},
    )


@check("kaiming_normal", points=1)
def test_kaiming_normal_default_is_he_fan_in(student, seed):
    """기본값으로 (300, 100): N(0, std^2), std = sqrt(2 / fan_in), fan_in = 100."""
    w = student(init_samples, seed=seed, fn="kaiming_normal", shape=[300, 100], kwargs={})["w"]
    _normal(
        w,
        (300, 100),
        math.sqrt(2.0 / 100),
        "kaiming_normal((300, 100))",
        "기본값: gain = sqrt(2), fan_in = 100",
        alts={SWAP_HINT: math.sqrt(2.0 / 300), VAR_AS_STD_HINT: 2.0 / 100},
    )


# ------------------------------------------------------------------------------------------------
# orthogonal
# ------------------------------------------------------------------------------------------------
def _orthonormal(w, shape, gain, name):
    """The (rows, cols) view of w has orthonormal rows (wide) or columns (tall), times gain."""
    w = _float64(w, shape, name)
    rows = shape[0]
    m = w.reshape(rows, -1)
    if rows <= m.shape[1]:
        gram, what = m @ m.T, "W @ W.T (행끼리 내적)"
    else:
        gram, what = m.T @ m, "W.T @ W (열끼리 내적)"
    try:
        expect.allclose(
            gram,
            gain**2 * np.eye(gram.shape[0]),
            rtol=0,
            atol=1e-10,
            name=f"{name}: {what}, 기대 gain^2 * I = {gain**2:g} * I",
        )
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: {_orthonormal_hint(w, gram, gain, shape)}")


def _orthonormal_hint(w, gram, gain, shape):
    """The hint that fits the Gram matrix: orthonormal without the gain, orthogonal per kernel tap, or not
    orthogonal."""
    eye = np.eye(gram.shape[0])
    if gain != 1.0 and np.allclose(gram, eye, rtol=0, atol=1e-10):
        return (
            "W가 직교 행렬 그 자체입니다 (Gram = I): gain을 곱하지 "
            f"않았습니다. W = gain * Q, Gram = gain² * I = {gain**2:g} * I."
        )
    if len(shape) > 2:
        taps = w.reshape(shape[0], shape[1], -1)
        t = taps[:, :, 0]
        tg = t @ t.T if t.shape[0] <= t.shape[1] else t.T @ t
        if np.allclose(tg, gain**2 * np.eye(tg.shape[0]), rtol=0, atol=1e-10):
            return (
                "커널 위치마다 W[:, :, i, j]를 따로 직교로 만들었을 때와 같습니다: 뒤의 축을 펼친 "
                "(out, in*k*k) 행렬 하나를 직교로 만드세요 (PyTorch orthogonal_과 같음)."
            )
    return (
        "행(넓은 행렬) 또는 열(좁고 긴 행렬)이 직교하지 않습니다: 무작위 Gaussian을 sqrt(n)으로 나누면 근사적으로만 "
        "직교입니다. QR 분해의 Q를 쓰세요 (넓은 행렬은 전치해서 QR)."
    )


@check("orthogonal", points=1)
def test_wide_matrix_has_orthonormal_rows(student, seed):
    """넓은 (50, 120) 가중치: W @ W.T = I (행이 정규직교), float64."""
    with expect.hinted(
        "넓은 행렬 (rows < cols)에서 실패했습니다: (cols, rows) 행렬을 QR한 뒤 Q를 전치해 (rows, cols)로 "
        "만드세요 (QR의 Q는 (n, min(n, m)) 모양).",
        fits=lambda: False,
        on_error=True,
    ):
        w = student(init_samples, seed=seed, fn="orthogonal", shape=[50, 120], kwargs={})["w"]
    _orthonormal(w, (50, 120), 1.0, "orthogonal((50, 120))")


@probe
def orthogonal_corners(ns, seed, shape, n_draws):
    rng = np.random.default_rng(seed)
    return {
        "corner": np.array(
            [np.asarray(ns.orthogonal(tuple(shape), rng=rng)).reshape(shape[0], -1)[0, 0] for _ in range(n_draws)]
        )
    }


HAAR_SHAPES = ([7, 3], [4, 4], [6, 10])  # tall, square, wide: an SVD-based sampler is biased on the first two


@check("orthogonal", points=0.5)
def test_haar_corner_sign_is_symmetric(student, seed):
    """균일(Haar) 분포: W[0, 0] > 0일 확률 1/2, 세로로 긴 (7, 3), 정사각 (4, 4), 가로로 긴 (6, 10)에서 각각 1000번 뽑아
    이항 검정 (세 검정을 합쳐 올바른 구현이 실패할 확률 <= 1e-7; diag(R) 부호 보정 확인)."""
    for i, shape in enumerate(HAAR_SHAPES):
        c = expect.shape(
            student(orthogonal_corners, seed=seed + i, shape=shape, n_draws=1000)["corner"],
            (1000,),
            name=f"orthogonal({tuple(shape)})의 W[0, 0] (1000번)",
        )
        k = int(np.sum(c > 0))
        if k in (0, 1000):
            expect.fail(
                f"orthogonal({tuple(shape)})의 W[0, 0]이 1000번 모두 "
                f"{'양수' if k else '음수'}입니다. QR의 Q는 R의 대각 "
                "부호에 따라 부호가 정해지므로, Q에 sign(diag(R))을 곱해 균일(Haar) 분포로 만들어야 합니다."
            )
        stats.proportion(
            k,
            1000,
            0.5,
            fail_prob=stats.FAIL_PROB / len(HAAR_SHAPES),
            name=f"orthogonal({tuple(shape)})에서 W[0, 0] > 0의 비율",
            hint="균일(Haar) 분포라면 어떤 shape에서도 W[0, 0]의 부호는 반반입니다. SVD의 U나 V^T, 부호를 보정하지 "
            "않은 QR은 LAPACK의 부호 규약 때문에 한쪽으로 치우칩니다: standard normal 행렬의 QR에서 Q에 "
            "sign(diag(R))을 곱하세요.",
        )


# ------------------------------------------------------------------------------------------------
# symmetry: train_two_layer, hidden_units_identical
# ------------------------------------------------------------------------------------------------
PARAMS = ("W1", "b1", "W2", "b2")


def _two_layer_matches(student, reference, seed, init, steps, lr=0.3):
    got = student(two_layer_run, seed=seed, init=init, steps=steps, lr=lr)["out"]
    want = reference(two_layer_run, seed=seed, init=init, steps=steps, lr=lr)["out"]
    expect.true(
        isinstance(got, list) and len(got) == 4, "`train_two_layer`는 (W1, b1, W2, b2) 네 배열을 반환해야 합니다."
    )
    for name, g, w in zip(PARAMS, got, want, strict=True):
        try:
            expect.allclose(g, w, rtol=1e-9, atol=1e-12, name=f"{name} ({steps} step 후, {init} 초기화)")
        except expect.CheckFailed as exc:
            hint = _two_layer_hint(
                got, reference(two_layer_run, seed=seed, init=init, steps=steps, lr=lr)["before"], steps, lr
            )
            expect.fail(f"{exc}\n힌트: {hint}" if hint else str(exc))


TWO_LAYER_HINTS = {
    "tanh": "tanh의 미분을 1 - h로 썼을 때와 같습니다: d tanh(z)/dz = 1 - h**2 (h = tanh(z)).",
    "sum": (
        "손실을 N으로 나누지 않았을 때(합)와 같습니다: L = 0.5 * "
        "sum((out - y)**2) / N이므로 dout = (out - y) / N (1/N)."
    ),
    "sequential": (
        "W2를 먼저 갱신한 뒤 그 W2로 dz를 계산했을 때와 같습니다: "
        "네 기울기를 모두 갱신 전의 W2 (현재 파라미터)로 "
        "계산한 다음 한꺼번에 갱신하세요."
    ),
    "stale": (
        "순전파(forward)를 반복문 밖에서 한 번만 계산했을 때와 "
        "같습니다: 매 step마다 현재 파라미터로 h와 out을 새로 "
        "계산하세요."
    ),
}


def _two_layer_hint(got, before, steps, lr):
    """Which known mistake the student's parameters fit, replayed here on the reference's (trusted) inputs."""
    W1, b1, W2, b2, X, y = (np.asarray(a, dtype=np.float64) for a in before)
    try:
        got = [np.asarray(g, dtype=np.float64) for g in got]
    except (TypeError, ValueError):
        return ""
    for mistake, hint in TWO_LAYER_HINTS.items():
        P = [a.copy() for a in (W1, b1, W2, b2)]
        n = X.shape[0]
        h = np.tanh(X @ P[0].T + P[1])
        out = h @ P[2].T + P[3]
        for _ in range(steps):
            if mistake != "stale":
                h = np.tanh(X @ P[0].T + P[1])
                out = h @ P[2].T + P[3]
            dout = (out - y) / (1.0 if mistake == "sum" else n)
            dW2, db2 = dout.T @ h, dout.sum(axis=0)
            if mistake == "sequential":
                P[2] = P[2] - lr * dW2
            dz = (dout @ P[2]) * ((1.0 - h) if mistake == "tanh" else (1.0 - h**2))
            P[0], P[1] = P[0] - lr * (dz.T @ X), P[1] - lr * dz.sum(axis=0)
            if mistake != "sequential":
                P[2] = P[2] - lr * dW2
            P[3] = P[3] - lr * db2
        if all(g.shape == p.shape and np.allclose(g, p, rtol=1e-9, atol=1e-12) for g, p in zip(got, P, strict=True)):
            return hint
    return ""


@check("train_two_layer", points=1)
def test_one_step_matches_reference(student, reference, seed):
    """무작위 초기화에서 경사하강 1 step 후의 W1, b1, W2, b2가 기준 해답과 같음 (float64)."""
    _two_layer_matches(student, reference, seed, "random", 1)


def _as_bool(v, name):
    if not (isinstance(v, (bool, np.bool_)) or (isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "bi")):
        expect.fail(f"`{name}`: True/False(bool)를 반환해야 하는데 {type(v).__name__}을(를) 반환했습니다.")
    return bool(v)


@check("hidden_units_identical", points=0.5)
def test_detects_identical_and_distinct_units(student, seed):
    """모든 유닛이 같으면(상수·0 포함) True, 무작위면 False. 유닛 j = W1의 행 j, b1[j], W2의 열 j."""
    r = student(identical_cases, seed=seed)
    for case, want in (("identical", True), ("zeros", True), ("random", False)):
        got = _as_bool(r.get(case), f"hidden_units_identical ({case})")
        expect.true(
            got == want,
            f"경우 '{case}': {want}여야 하는데 {got}입니다. 유닛 j는 W1[j, :](행), b1[j], "
            "W2[:, j](열)입니다 — 축을 바꿔 비교하지 않았는지 확인하세요.",
        )


# ------------------------------------------------------------------------------------------------
# activation_stats
# ------------------------------------------------------------------------------------------------
def _stats_match(student, reference, seed, activation, dims, n, keys):
    kw = dict(seed=seed, activation=activation, dims=dims, n=n)
    got, want = student(act_stats, **kw), reference(act_stats, **kw)
    L = len(dims) - 1
    for key in keys:
        if key == "hs":
            hs = got["hs"]
            expect.true(
                isinstance(hs, list) and len(hs) == L,
                f"`hs`: 층 {L}개의 활성값 리스트여야 합니다 (입력 x는 포함하지 않음).",
            )
            for i, (g, w) in enumerate(zip(hs, want["hs"], strict=True)):
                expect.allclose(g, w, name=f"hs[{i}] ({activation}, 층 {i + 1}의 활성값)")
        else:
            try:
                expect.allclose(got[key], want[key], name=f"{key} ({activation})")
            except expect.CheckFailed as exc:
                hint = _stats_hint(got[key], want, key)
                expect.fail(f"{exc}\n힌트: {hint}" if hint else str(exc))


def _stats_hint(got, want, key):
    """Which known mistake the student's means/stds fit, computed from the reference's (trusted) activations."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return ""
    hs = [np.asarray(h, dtype=np.float64) for h in want["hs"]]
    zs = [np.asarray(want["x"], dtype=np.float64) @ np.asarray(want["weights"][0], dtype=np.float64).T]
    zs += [h @ np.asarray(w, dtype=np.float64).T for h, w in zip(hs[:-1], want["weights"][1:], strict=True)]
    cands = {
        "means": {
            (
                "활성 함수를 지난 값 h가 아니라 그 전의 z = h @ W.T의 "
                "통계와 같습니다: 활성 함수를 지난 h_l을 기록하세요."
            ): [z.mean() for z in zs]
        },
        "stds": {
            "ddof=1 (불편) 표준편차와 같습니다: 이 과제는 모집단 표준편차 (np.std 기본값, ddof=0)입니다.": [
                h.std(ddof=1) for h in hs
            ],
            "유닛마다(axis=0) 낸 표준편차의 평균과 같습니다: 층 전체 N * D_l개 값의 표준편차 하나를 냅니다.": [
                h.std(axis=0).mean() for h in hs
            ],
            (
                "활성 함수를 지난 값 h가 아니라 그 전의 z = h @ W.T의 "
                "통계와 같습니다: 활성 함수를 지난 h_l을 기록하세요."
            ): [z.std() for z in zs],
        },
    }
    for hint, cand in cands.get(key, {}).items():
        if got.shape == (len(cand),) and np.allclose(got, cand, rtol=1e-9, atol=1e-12):
            return hint
    return ""


@check("activation_stats", points=1)
def test_tanh_means_and_stds_match_reference(student, reference, seed):
    """tanh MLP (폭 7→5→9→4→6)의 층별 평균과 표준편차(모든 원소, ddof=0)가 기준 해답과 같음."""
    _stats_match(student, reference, seed, "tanh", [7, 5, 9, 4, 6], 20, ["means", "stds"])


# ------------------------------------------------------------------------------------------------
# lsuv_init
# ------------------------------------------------------------------------------------------------
def probe_input(seed, shape):
    """The input ``x`` of lsuv_mlp and fixup_resnet, rebuilt here: what a check compares with never comes
    back from the student's process (its code could rewrite the probe's copy, e.g. via ``sys._getframe``)."""
    return np.random.default_rng(seed).standard_normal(tuple(shape)).astype(np.float32).astype(np.float64)


def _mlp_layer_outputs(r, activation, x):
    """The outputs of every Linear layer of the provided MLP (before the activation), computed here in float64
    from the weights and biases the student's lsuv_init left in the model, on the probe's input ``x``."""
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}[activation]
    h = x
    ws, bs = r["weights"], r["biases"]
    outs = []
    for i, (w, b) in enumerate(zip(ws, bs, strict=True)):
        z = h @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        outs.append(z)
        h = act(z) if i < len(ws) - 1 else z
    return outs


def _unit_variance(r, activation, tol, x):
    for i, o in enumerate(_mlp_layer_outputs(r, activation, x)):
        v = float(np.var(o))
        expect.true(np.isfinite(v), f"층 {i}의 출력에 NaN/inf가 있습니다.")
        expect.true(
            abs(v - 1.0) <= tol + 2e-3,
            f"층 {i} (Linear {i})의 출력 분산이 {v:.4f}입니다 — |분산 - 1| <= tol = {tol:g}이어야 합니다. "
            "층의 출력(활성 함수 전)을 재고, weight를 분산이 아니라 표준편차 sqrt(v)로 나누고, "
            "허용 오차 안에 들 때까지 반복했는지 확인하세요.",
        )


@check("lsuv_init", points=1.25)
def test_every_layer_output_has_unit_variance(student, seed):
    """tanh MLP (64-64-64-64-64-10)에 LSUV 후 모든 Linear 층 출력의 분산이 1 ± tol (tol = 0.1)."""
    r = student(lsuv_mlp, seed=seed, sizes=[64, 64, 64, 64, 64, 10], activation="tanh", tol=0.1, bias_std=0.0)
    _unit_variance(r, "tanh", 0.1, probe_input(seed, (256, 64)))


# ------------------------------------------------------------------------------------------------
# Fixup
# ------------------------------------------------------------------------------------------------
@check("fixup_scale", points=0.5)
def test_scale_for_two_layer_branches(student, reference):
    """m = 2: fixup_scale(L, 2) = L^(-1/2) (L = 8, 16)."""
    cases = [[8, 2], [16, 2]]
    got, want = student(fixup_scales, cases=cases)["scales"], reference(fixup_scales, cases=cases)["scales"]
    for (L, m), g, w in zip(cases, got, want, strict=True):
        try:
            expect.allclose(g, w, name=f"fixup_scale({L}, {m})", check_dtype=False)
        except expect.CheckFailed as exc:
            expect.fail(f"{exc}\n힌트: {_fixup_scale_hint(g, L, m)}")


def _fixup_scale_hint(got, L, m):
    try:
        g = float(got)
    except (TypeError, ValueError):
        return "fixup_scale은 float 하나를 반환합니다."
    if np.isclose(g, float(m) ** (-1.0 / (2 * L - 2)), rtol=1e-9):
        return "L과 m을 바꿨을 때와 같습니다: L = branch 수 (num_branches), m = branch당 층 수, 배율 L^(-1/(2m-2))."
    if np.isclose(g, float(L) ** (-1.0 / (2 * m)), rtol=1e-9):
        return "지수를 -1/(2m)로 썼을 때와 같습니다: Fixup의 지수는 -1/(2m - 2)입니다."
    return "배율은 L^(-1/(2m-2))입니다 (L = branch 수, m = branch당 층 수)."


@check("fixup_init", points=1)
def test_network_is_identity_through_blocks_at_init(student, seed):
    """Fixup 직후 모든 residual block이 항등 함수: features(x) == stem(x) (block 4개, branch 2층)."""
    r = student(fixup_resnet, seed=seed, num_blocks=4, layers_per_branch=2)
    x = probe_input(seed, (128, 64))
    h0 = x @ np.asarray(r["stem"][0], dtype=np.float64).T + np.asarray(r["stem"][1], dtype=np.float64)
    h = h0
    for block in r["branches"]:  # features(x) of the provided TinyResNet, computed here in float64
        z = h
        for i, (w, b) in enumerate(block):
            z = (np.maximum(z, 0.0) if i > 0 else z) @ np.asarray(w, dtype=np.float64).T + np.asarray(
                b, dtype=np.float64
            )
        h = h + z
    expect.allclose(
        h,
        h0,
        rtol=0,
        atol=1e-12,
        name=(
            "block 4개를 지난 뒤의 features(x) (기대: stem(x) 그대로; 각 branch의 마지막 층 가중치와 편향이 0이어야 함)"
        ),
    )


# ------------------------------------------------------------------------------------------------
# layer_gradient_norms
# ------------------------------------------------------------------------------------------------
@probe
def grad_norms(ns, seed, activation, dims, n, scale, zero_rows):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims[0]))
    x[:zero_rows] = 0.0  # these rows have pre-activations exactly 0 in every layer (relu'(0) = 0 decides)
    weights = [rng.standard_normal((b, a)) * (scale / math.sqrt(a)) for a, b in zip(dims[:-1], dims[1:], strict=True)]  # noqa: RUF007 - a probe may not import itertools
    grad_output = rng.standard_normal((n, dims[-1]))
    out = ns.layer_gradient_norms(x, weights, activation, grad_output)
    return {"out": list(out) if isinstance(out, (tuple, list)) else [out]}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


_ACT = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": _sigmoid}
_DERIV = {
    "linear": np.ones_like,
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(np.float64),
    "sigmoid": lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)),
}
# known mistakes in the derivative: (activations it shows on, dh -> dz factor from (z, out), what to say)
_DERIV_MISTAKES = (
    (
        ("tanh", "relu", "sigmoid"),
        lambda act, z, out: np.ones_like(z),
        "활성화 함수의 도함수 f'(z)를 곱하지 않았습니다 (dz = dh로 둠): 층마다 dz = dh * f'(z)입니다.",
    ),
    (
        ("tanh", "sigmoid"),
        lambda act, z, out: _DERIV[act](out),
        "도함수를 출력 h = f(z)에서 계산했습니다 (예: 1 - tanh(h)^2): 도함수는 h = f(z)가 아니라 z에서 계산합니다 "
        "(tanh: 1 - tanh(z)^2 = 1 - h^2).",
    ),
    (
        ("sigmoid",),
        lambda act, z, out: np.full_like(z, 0.25),
        "sigmoid의 도함수를 어디서나 최댓값 1/4로 두었습니다: 도함수는 s(1 - s), s = sigmoid(z)입니다.",
    ),
)


def _replayed_norms(seed, activation, dims, n, scale, zero_rows, deriv):
    """layer_gradient_norms with the derivative factor ``deriv(act, z, out)``, on grad_norms' inputs rebuilt here."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims[0]))
    x[:zero_rows] = 0.0
    weights = [rng.standard_normal((b, a)) * (scale / math.sqrt(a)) for a, b in zip(dims[:-1], dims[1:], strict=True)]  # noqa: RUF007 - a probe may not import itertools
    g = rng.standard_normal((n, dims[-1]))
    cache, h = [], x
    for W in weights:
        z = h @ W.T
        cache.append((h, W, z, _ACT[activation](z)))
        h = cache[-1][3]
    wn, hn = np.zeros(len(weights)), np.zeros(len(weights))
    for layer in range(len(weights) - 1, -1, -1):
        h_in, W, z, out = cache[layer]
        dz = g * deriv(activation, z, out)
        wn[layer] = np.linalg.norm(dz.T @ h_in)
        g = dz @ W
        hn[layer] = np.linalg.norm(g)
    return wn, hn


def _norms_match(student, reference, *, seed, activation, dims, n=20, scale=1.5, zero_rows=0):
    kw = dict(seed=seed, activation=activation, dims=dims, n=n, scale=scale, zero_rows=zero_rows)
    got, want = student(grad_norms, **kw)["out"], reference(grad_norms, **kw)["out"]
    expect.true(
        len(got) == 2,
        "`layer_gradient_norms`는 (weight_grad_norms, input_grad_norms) 두 배열을 반환해야 하는데 "
        f"{len(got)}개를 반환했습니다.",
    )
    L = len(dims) - 1
    try:
        g2 = [np.asarray(a, dtype=np.float64) for a in got]
    except (TypeError, ValueError):
        g2 = None
    if (
        g2 is not None
        and all(a.shape == (L,) for a in g2)
        and not all(
            np.allclose(a, np.asarray(w, dtype=np.float64), rtol=1e-9, atol=0) for a, w in zip(g2, want, strict=True)
        )
    ):
        for acts, deriv, text in _DERIV_MISTAKES:
            if activation in acts:
                alt = _replayed_norms(seed, activation, dims, n, scale, zero_rows, deriv)
                if all(np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(g2, alt, strict=True)):
                    expect.fail(f"`layer_gradient_norms` ({activation}): {text}")
    for name, g, w in zip(("weight_grad_norms", "input_grad_norms"), got, want, strict=True):
        g = expect.shape(g, (L,), name=f"{name} ({activation}, 층 {L}개)")
        w = np.asarray(w, dtype=np.float64)
        if g.dtype.kind == "f" and np.all(np.isfinite(g)) and not np.allclose(g, w, rtol=1e-9, atol=0):
            if np.allclose(g, w**2, rtol=1e-9, atol=0):
                expect.fail(
                    f"`{name}` ({activation}): 노름의 제곱을 반환했습니다 — Frobenius 노름 sqrt(sum(g**2))입니다."
                )
            if np.allclose(g, w[::-1], rtol=1e-9, atol=0):
                expect.fail(
                    f"`{name}` ({activation}): 순서가 거꾸로입니다 — 인덱스 l은 weights[l]과 같은 층입니다 "
                    "(0 = 입력 쪽 층; 역전파는 뒤에서부터 계산하지만 결과는 입력 쪽부터)."
                )
            if name == "input_grad_norms" and np.allclose(g[:-1], w[1:], rtol=1e-9, atol=0):
                expect.fail(
                    "`input_grad_norms`가 한 층 어긋났습니다: input_grad_norms[l]은 weights[l]의 **입력** h_l에 대한 "
                    "기울기 노름입니다 (input_grad_norms[0] = ||dL/dx||; grad_output 자체는 포함하지 않음)."
                )
        expect.allclose(g, w, name=f"{name} ({activation}; 층마다 dz = dh * f'(z), dW = dz.T @ h_in, dh_in = dz @ W)")


@check("layer_gradient_norms", points=1)
def test_tanh_gradient_norms_match_reference(student, reference, seed):
    """tanh MLP (폭 7→5→9→4→6)의 층별 ||dL/dW_l||, ||dL/dh_l||가 기준 해답과 같음 (인덱스는 weights와 같음, float64)."""
    _norms_match(student, reference, seed=seed, activation="tanh", dims=[7, 5, 9, 4, 6])


@check("layer_gradient_norms", points=0.5)
def test_relu_derivative_is_zero_at_zero(student, reference, seed):
    """ReLU에서 pre-activation이 정확히 0인 행의 도함수는 0 (PyTorch와 같음; z > 0일 때만 1)."""
    dims = [6, 8, 5, 7]
    _norms_match(student, reference, seed=seed, activation="relu", dims=dims)  # the same net, no exact zeros
    kw = dict(seed=seed, activation="relu", dims=dims, n=20, scale=1.5, zero_rows=6)
    got, want = student(grad_norms, **kw)["out"], reference(grad_norms, **kw)["out"]
    g = np.asarray(got[1]) if len(got) == 2 else None
    if (
        g is not None
        and g.dtype.kind == "f"
        and g.shape == np.shape(want[1])
        and not np.allclose(g, want[1], rtol=1e-9, atol=0)
    ):
        expect.fail(
            "입력 x의 처음 6행이 0이라 그 행들은 모든 층에서 z = 0입니다. ReLU의 도함수는 z > 0일 때만 1이고 "
            "z = 0에서는 0이어야 합니다 (PyTorch와 같음). `z >= 0`을 쓰지 않았는지 확인하세요."
        )
    _norms_match(student, reference, **kw)


@check("calculate_gain", points=0.5)
def test_leaky_relu_gain_uses_slope_default_001(student, reference):
    """leaky_relu: sqrt(2 / (1 + slope^2)), param=None이면 slope 0.01 (0.0, 0.2, sqrt(5)도)."""
    _gains(
        student,
        reference,
        [["leaky_relu", None], ["leaky_relu", 0.0], ["leaky_relu", 0.2], ["leaky_relu", math.sqrt(5.0)]],
    )


@check("calculate_gain", points=0.25)
def test_selu_gain_is_three_quarters(student, reference):
    """selu의 gain은 3/4 (PyTorch의 경험적 값)."""
    _gains(student, reference, [["selu", None]])


@check("train_two_layer", points=0.75)
def test_many_steps_match_reference(student, reference, seed):
    """무작위 초기화에서 25 step 후의 파라미터가 기준 해답과 같음 (매 step마다 순전파를 새로 계산)."""
    _two_layer_matches(student, reference, seed, "random", 25)


@check("activation_stats", points=0.5)
def test_relu_activations_per_layer_match_reference(student, reference, seed):
    """ReLU MLP (6→10→3→8→5→4): 층별 활성값 hs와 평균/표준편차가 기준 해답과 같음."""
    with expect.hinted(
        "ReLU는 원소별 np.maximum(z, 0.0)입니다: np.max(z, 0)은 축 0에 대한 최댓값(리덕션)이라 shape이 바뀝니다.",
        fits=lambda: False,
        on_error=True,
    ):
        _stats_match(student, reference, seed, "relu", [6, 10, 3, 8, 5, 4], 30, ["hs", "means", "stds"])


@check("fixup_init", points=0.5)
def test_classifier_is_zero(student, seed):
    """분류층(classifier)의 가중치와 편향이 0 (그래서 초기화 직후 logit이 모두 0)."""
    r = student(fixup_resnet, seed=seed, num_blocks=4, layers_per_branch=2)
    w, b = r["classifier"]
    expect.equal(w, np.zeros((10, 32)), name="classifier.weight")
    expect.equal(b, np.zeros(10), name="classifier.bias")


@check("fixup_init", points=0.5)
def test_branch_last_layers_are_zero(student, seed):
    """각 branch의 마지막 층(가중치와 편향)이 0 (block 8개, branch 3층)."""
    r = student(fixup_resnet, seed=seed, num_blocks=8, layers_per_branch=3)
    expect.true(len(r["branches"]) == 8, "block 8개의 층이 있어야 합니다.")
    for j, block in enumerate(r["branches"]):
        w, b = block[-1]
        expect.equal(w, np.zeros((32, 64)), name=f"blocks[{j}].layers[-1].weight (마지막 층)")
        expect.equal(b, np.zeros(32), name=f"blocks[{j}].layers[-1].bias (마지막 층)")


@check("fixup_init", points=1)
def test_other_branch_layers_are_scaled_he(student, seed):
    """나머지 branch 층: N(0, (sqrt(2/fan_in) * L^(-1/(2m-2)))^2), 편향 0 (L = 8, m = 3; DKW + 카이제곱)."""
    r = student(fixup_resnet, seed=seed, num_blocks=8, layers_per_branch=3)
    scale = 8.0 ** (-1.0 / 4.0)
    zs = []
    for j, block in enumerate(r["branches"]):
        for i, (w, b) in enumerate(block[:-1]):
            w = np.asarray(w, dtype=np.float64)
            expect.equal(b, np.zeros(len(np.asarray(b))), name=f"blocks[{j}].layers[{i}].bias")
            zs.append((w / (math.sqrt(2.0 / w.shape[1]) * scale)).ravel())
    z = np.concatenate(zs)
    what = "표준화한 가중치 w / (sqrt(2/fan_in) * 8^(-1/4))"
    alts = {
        "Fixup 배율 L^(-1/(2m-2)) = 8^(-1/4)을 곱하지 않은 He 초기화와 같습니다.": 8.0**0.25,
        "Fixup 배율을 분산에 곱했을 때와 같습니다: L^(-1/(2m-2))는 표준편차에 곱합니다.": 8.0**0.125,
        "He의 fan_in 대신 fan_out을 썼을 때와 같습니다: std = sqrt(2 / fan_in) * L^(-1/(2m-2)).": math.sqrt(
            (2048 * 0.5 + 4096 * 1.0) / 6144
        ),
    }
    with _diagnosed(z, 1.0, alts):
        stats.variance_normal(z, 1.0, known_mean=0.0, fail_prob=5e-8, name=what)
        stats.dkw(z, stats.normal_cdf(0.0, 1.0), fail_prob=5e-8, name=what, what="N(0, 1)")


@check("hidden_units_identical", points=0.25)
def test_outgoing_weights_and_biases_count(student, seed):
    """b1[j]나 W2[:, j]만 달라도 False (유닛은 들어오는 가중치, 편향, 나가는 가중치 전부)."""
    r = student(identical_bias_and_outgoing, seed=seed)
    for case in ("bias differs", "outgoing weights differ"):
        got = _as_bool(r.get(case), f"hidden_units_identical ({case})")
        expect.true(
            got is False, f"경우 '{case}': False여야 하는데 {got}입니다. W1의 행만이 아니라 b1과 W2의 열도 비교하세요."
        )


@check("lsuv_init", points=0.75)
def test_weights_are_scaled_orthogonal(student, seed):
    """LSUV 후 각 가중치 = c * (반)직교 행렬: W W^T (또는 W^T W)가 c^2 I (orthogonal 시작 + 스칼라 배율)."""
    r = student(lsuv_mlp, seed=seed, **LSUV_DEEP)
    for i, w in enumerate(r["weights"]):
        w = np.asarray(w, dtype=np.float64)
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        c2 = float(np.trace(gram)) / gram.shape[0]
        expect.allclose(
            gram,
            c2 * np.eye(gram.shape[0]),
            rtol=0,
            atol=1e-4 * c2,
            name=f"층 {i}의 Gram 행렬 (기대: {c2:.4g} * I; orthogonal_로 시작했나요?)",
        )
