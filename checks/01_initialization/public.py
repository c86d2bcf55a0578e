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


def _uniform(w, shape, bound, name, what):
    """Entries of `w` lie in [-bound, bound] and are U(-bound, bound) (DKW, fail prob 1e-7)."""
    w = _float64(w, shape, name)
    worst = float(np.abs(w).max())
    expect.true(worst <= bound * (1 + 1e-12),
                f"`{name}`: |값|의 최댓값 {worst:.6g}이 경계 b = {bound:.6g}를 넘습니다 ({what}). "
                "fan_in/fan_out(PyTorch는 (out, in, *kernel)), gain, sqrt(3) 인자를 확인하세요.")
    stats.dkw(w, stats.uniform_cdf(-bound, bound), name=name, what=f"U(-{bound:.4g}, {bound:.4g}) ({what})")


def _normal(w, shape, std, name, what):
    """Entries of `w` are N(0, std^2): DKW on the CDF and chi-square on the variance (each fail prob 5e-8)."""
    w = _float64(w, shape, name)
    stats.variance_normal(w, std ** 2, known_mean=0.0, fail_prob=5e-8, name=f"{name}의 분산")
    stats.dkw(w, stats.normal_cdf(0.0, std), fail_prob=5e-8, name=name, what=f"N(0, {std:.4g}^2) ({what})")


def _raised(r, want, name, hint):
    got = r.get("raised")
    expect.true(got == want, f"`{name}`: {want}를 내야 하는데 "
                + ("예외 없이 값을 반환했습니다" if got is None else f"{got}를 냈습니다") + f". {hint}")


# ------------------------------------------------------------------------------------------------
# probes (student's process)
# ------------------------------------------------------------------------------------------------
@probe
def fans_of(ns, shapes):
    return {"fans": [list(ns.compute_fans(tuple(s))) for s in shapes]}


@probe
def gains_of(ns, cases):
    return {"gains": [ns.calculate_gain(name) if param is None else ns.calculate_gain(name, param)
                      for name, param in cases]}


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
    weights = [rng.standard_normal((b, a)) * (1.5 / math.sqrt(a)) for a, b in zip(dims[:-1], dims[1:])]
    means, stds, hs = ns.activation_stats(x, weights, activation)
    return {"means": means, "stds": stds, "hs": list(hs)}


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
    return {"weights": [layer.weight.detach().clone() for layer in model.layers],
            "biases": [layer.bias.detach().clone() for layer in model.layers]}


@probe
def fixup_scales(ns, cases):
    return {"scales": [ns.fixup_scale(L, m) for L, m in cases]}


@probe
def fixup_resnet(ns, seed, num_blocks, layers_per_branch):
    g = torch.Generator().manual_seed(seed)
    model = ns.TinyResNet(in_dim=64, width=32, hidden=64, num_blocks=num_blocks,
                          layers_per_branch=layers_per_branch, num_classes=10, generator=g)
    ns.fixup_init(model, generator=torch.Generator().manual_seed(seed + 1))
    return {
        "stem": [model.stem.weight.detach().clone(), model.stem.bias.detach().clone()],
        "classifier": [model.classifier.weight.detach().clone(), model.classifier.bias.detach().clone()],
        "branches": [[[layer.weight.detach().clone(), layer.bias.detach().clone()] for layer in block.layers]
                     for block in model.blocks],
    }


# ------------------------------------------------------------------------------------------------
# compute_fans
# ------------------------------------------------------------------------------------------------
@check("compute_fans", points=0.5)
def test_linear_weight_is_out_in(student, reference):
    """Linear 가중치 (out, in): fan_in = in = shape[1], fan_out = out = shape[0]."""
    shapes = [[300, 100], [10, 64], [7, 7]]
    got, want = student(fans_of, shapes=shapes)["fans"], reference(fans_of, shapes=shapes)["fans"]
    for s, g, w in zip(shapes, got, want):
        if list(np.ravel(g)) == list(w)[::-1] and w[0] != w[1]:
            expect.fail(f"shape {tuple(s)}: (fan_in, fan_out) = {tuple(w)}이어야 하는데 {tuple(np.ravel(g))}입니다 — "
                        "fan_in과 fan_out이 바뀌었습니다. PyTorch 가중치는 (out, in) 순서입니다 (x @ W의 (in, out)이 아님).")
        expect.equal(g, w, name=f"compute_fans({tuple(s)})")


# ------------------------------------------------------------------------------------------------
# calculate_gain
# ------------------------------------------------------------------------------------------------
STANDARD = [["linear", None], ["conv1d", None], ["conv2d", None], ["conv3d", None], ["conv_transpose2d", None],
            ["sigmoid", None], ["relu", None]]


def _gains(student, reference, cases):
    got, want = student(gains_of, cases=cases)["gains"], reference(gains_of, cases=cases)["gains"]
    for (name, param), g, w in zip(cases, got, want):
        label = f"calculate_gain({name!r}" + (")" if param is None else f", {param})")
        expect.allclose(g, w, name=label, check_dtype=False)


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
    _uniform(w, (300, 100), math.sqrt(6.0 / 400), "xavier_uniform((300, 100))", "fan_in=100, fan_out=300, gain=1")


@check("xavier_normal", points=1)
def test_xavier_normal_is_normal_with_glorot_std(student, seed):
    """(300, 100) 가중치가 N(0, std^2), std = sqrt(2 / (fan_in + fan_out)) (DKW + 카이제곱)."""
    w = student(init_samples, seed=seed, fn="xavier_normal", shape=[300, 100], kwargs={})["w"]
    _normal(w, (300, 100), math.sqrt(2.0 / 400), "xavier_normal((300, 100))", "fan_in=100, fan_out=300, gain=1")


# ------------------------------------------------------------------------------------------------
# kaiming_uniform / kaiming_normal
# ------------------------------------------------------------------------------------------------
@check("kaiming_uniform", points=1)
def test_kaiming_uniform_default_is_he_fan_in(student, seed):
    """기본값(a=0, fan_in, leaky_relu)으로 (300, 100): U(-b, b), b = sqrt(2) * sqrt(3 / fan_in), fan_in = 100."""
    w = student(init_samples, seed=seed, fn="kaiming_uniform", shape=[300, 100], kwargs={})["w"]
    _uniform(w, (300, 100), math.sqrt(2.0) * math.sqrt(3.0 / 100), "kaiming_uniform((300, 100))",
             "기본값: gain = sqrt(2), fan_in = 100")


@check("kaiming_normal", points=1)
def test_kaiming_normal_default_is_he_fan_in(student, seed):
    """기본값으로 (300, 100): N(0, std^2), std = sqrt(2 / fan_in), fan_in = 100."""
    w = student(init_samples, seed=seed, fn="kaiming_normal", shape=[300, 100], kwargs={})["w"]
    _normal(w, (300, 100), math.sqrt(2.0 / 100), "kaiming_normal((300, 100))", "기본값: gain = sqrt(2), fan_in = 100")


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
    expect.allclose(gram, gain ** 2 * np.eye(gram.shape[0]), rtol=0, atol=1e-10,
                    name=f"{name}: {what}, 기대 gain^2 * I = {gain ** 2:g} * I")


@check("orthogonal", points=1)
def test_wide_matrix_has_orthonormal_rows(student, seed):
    """넓은 (50, 120) 가중치: W @ W.T = I (행이 정규직교), float64."""
    w = student(init_samples, seed=seed, fn="orthogonal", shape=[50, 120], kwargs={})["w"]
    _orthonormal(w, (50, 120), 1.0, "orthogonal((50, 120))")


# ------------------------------------------------------------------------------------------------
# symmetry: train_two_layer, hidden_units_identical
# ------------------------------------------------------------------------------------------------
PARAMS = ("W1", "b1", "W2", "b2")


def _two_layer_matches(student, reference, seed, init, steps, lr=0.3):
    got = student(two_layer_run, seed=seed, init=init, steps=steps, lr=lr)["out"]
    want = reference(two_layer_run, seed=seed, init=init, steps=steps, lr=lr)["out"]
    expect.true(isinstance(got, list) and len(got) == 4, "`train_two_layer`는 (W1, b1, W2, b2) 네 배열을 반환해야 합니다.")
    for name, g, w in zip(PARAMS, got, want):
        expect.allclose(g, w, rtol=1e-9, atol=1e-12, name=f"{name} ({steps} step 후, {init} 초기화)")


@check("train_two_layer", points=1)
def test_one_step_matches_reference(student, reference, seed):
    """무작위 초기화에서 경사하강 1 step 후의 W1, b1, W2, b2가 기준 해답과 같음 (float64)."""
    _two_layer_matches(student, reference, seed, "random", 1)


def _as_bool(v, name):
    if isinstance(v, (bool, np.bool_)) or isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "bi":
        return bool(v)
    expect.fail(f"`{name}`: True/False(bool)를 반환해야 하는데 {type(v).__name__}을(를) 반환했습니다.")


@check("hidden_units_identical", points=0.5)
def test_detects_identical_and_distinct_units(student, seed):
    """모든 유닛이 같으면(상수·0 포함) True, 무작위면 False. 유닛 j = W1의 행 j, b1[j], W2의 열 j."""
    r = student(identical_cases, seed=seed)
    for case, want in (("identical", True), ("zeros", True), ("random", False)):
        got = _as_bool(r.get(case), f"hidden_units_identical ({case})")
        expect.true(got == want, f"경우 '{case}': {want}여야 하는데 {got}입니다. 유닛 j는 W1[j, :](행), b1[j], "
                                 "W2[:, j](열)입니다 — 축을 바꿔 비교하지 않았는지 확인하세요.")


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
            expect.true(isinstance(hs, list) and len(hs) == L,
                        f"`hs`: 층 {L}개의 활성값 리스트여야 합니다 (입력 x는 포함하지 않음).")
            for i, (g, w) in enumerate(zip(hs, want["hs"])):
                expect.allclose(g, w, name=f"hs[{i}] ({activation}, 층 {i + 1}의 활성값)")
        else:
            expect.allclose(got[key], want[key], name=f"{key} ({activation})")


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
    for i, (w, b) in enumerate(zip(ws, bs)):
        z = h @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        outs.append(z)
        h = act(z) if i < len(ws) - 1 else z
    return outs


def _unit_variance(r, activation, tol, x):
    for i, o in enumerate(_mlp_layer_outputs(r, activation, x)):
        v = float(np.var(o))
        expect.true(np.isfinite(v), f"층 {i}의 출력에 NaN/inf가 있습니다.")
        expect.true(abs(v - 1.0) <= tol + 2e-3,
                    f"층 {i} (Linear {i})의 출력 분산이 {v:.4f}입니다 — |분산 - 1| <= tol = {tol:g}이어야 합니다. "
                    "층의 출력(활성 함수 전)을 재고, weight를 분산이 아니라 표준편차 sqrt(v)로 나누고, "
                    "허용 오차 안에 들 때까지 반복했는지 확인하세요.")


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
    for (L, m), g, w in zip(cases, got, want):
        expect.allclose(g, w, name=f"fixup_scale({L}, {m})", check_dtype=False)


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
            z = (np.maximum(z, 0.0) if i > 0 else z) @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        h = h + z
    expect.allclose(h, h0, rtol=0, atol=1e-12,
                    name="block 4개를 지난 뒤의 features(x) (기대: stem(x) 그대로; 각 branch의 마지막 층 가중치와 편향이 0이어야 함)")


# ------------------------------------------------------------------------------------------------
# layer_gradient_norms
# ------------------------------------------------------------------------------------------------
@probe
def grad_norms(ns, seed, activation, dims, n, scale, zero_rows):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dims[0]))
    x[:zero_rows] = 0.0  # these rows have pre-activations exactly 0 in every layer (relu'(0) = 0 decides)
    weights = [rng.standard_normal((b, a)) * (scale / math.sqrt(a)) for a, b in zip(dims[:-1], dims[1:])]
    grad_output = rng.standard_normal((n, dims[-1]))
    out = ns.layer_gradient_norms(x, weights, activation, grad_output)
    return {"out": list(out) if isinstance(out, (tuple, list)) else [out]}


def _norms_match(student, reference, *, seed, activation, dims, n=20, scale=1.5, zero_rows=0):
    kw = dict(seed=seed, activation=activation, dims=dims, n=n, scale=scale, zero_rows=zero_rows)
    got, want = student(grad_norms, **kw)["out"], reference(grad_norms, **kw)["out"]
    expect.true(len(got) == 2, "`layer_gradient_norms`는 (weight_grad_norms, input_grad_norms) 두 배열을 반환해야 하는데 "
                               f"{len(got)}개를 반환했습니다.")
    L = len(dims) - 1
    for name, g, w in zip(("weight_grad_norms", "input_grad_norms"), got, want):
        g = expect.shape(g, (L,), name=f"{name} ({activation}, 층 {L}개)")
        w = np.asarray(w, dtype=np.float64)
        if g.dtype.kind == "f" and np.all(np.isfinite(g)) and not np.allclose(g, w, rtol=1e-9, atol=0):
            if np.allclose(g, w ** 2, rtol=1e-9, atol=0):
                expect.fail(f"`{name}` ({activation}): 노름의 제곱을 반환했습니다 — Frobenius 노름 sqrt(sum(g**2))입니다.")
            if np.allclose(g, w[::-1], rtol=1e-9, atol=0):
                expect.fail(f"`{name}` ({activation}): 순서가 거꾸로입니다 — 인덱스 l은 weights[l]과 같은 층입니다 "
                            "(0 = 입력 쪽 층; 역전파는 뒤에서부터 계산하지만 결과는 입력 쪽부터).")
            if name == "input_grad_norms" and np.allclose(g[:-1], w[1:], rtol=1e-9, atol=0):
                expect.fail("`input_grad_norms`가 한 층 어긋났습니다: input_grad_norms[l]은 weights[l]의 **입력** h_l에 대한 "
                            "기울기 노름입니다 (input_grad_norms[0] = ||dL/dx||; grad_output 자체는 포함하지 않음).")
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
    if (g is not None and g.dtype.kind == "f" and g.shape == np.shape(want[1])
            and not np.allclose(g, want[1], rtol=1e-9, atol=0)):
        expect.fail("입력 x의 처음 6행이 0이라 그 행들은 모든 층에서 z = 0입니다. ReLU의 도함수는 z > 0일 때만 1이고 "
                    "z = 0에서는 0이어야 합니다 (PyTorch와 같음). `z >= 0`을 쓰지 않았는지 확인하세요.")
    _norms_match(student, reference, **kw)
