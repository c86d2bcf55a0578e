"""Public checks of assignment 02 (normalization).

Every probe builds its own float64 inputs from the check's seed, so the student's code and the reference
solution see the same inputs; the expected values always come from ``reference(...)`` (the trusted
solution, run in its own process) or from math done here, never from the student's process.
Conventions are PyTorch's: eps inside the sqrt, biased variance to normalize, running statistics
r = (1 - momentum) r + momentum * stat with momentum 0.1 and the unbiased variance for running_var.
"""

import numpy as np

from autograder import expect
from autograder.checks import check, probe

MOMENTUM_HINT = (
    "PyTorch 규약: running = (1 - momentum) * running + momentum * batch_stat, momentum = 0.1 (새 값의 비율). "
    "CS231n의 'momentum 0.9 retention' 식 momentum * running + (1 - momentum) * batch_stat에 momentum=0.1을 넣지 않았나요?"
)


def allclose(got, want, name, hint="", **kw):
    """expect.allclose with a teaching hint appended to the failure message."""
    try:
        return expect.allclose(got, want, name=name, **kw)
    except expect.CheckFailed as exc:
        if not hint:
            raise
        expect.fail(f"{exc}\n힌트: {hint}")


# ------------------------------------------------------------------------------------------ probes
@probe
def bn_train(ns, seed, N, D, momentum, eps, running):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, D) + rng.uniform(-2.0, 2.0, D)
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    bn = {"mode": "train"}
    if momentum is not None:
        bn["momentum"] = momentum
    if eps is not None:
        bn["eps"] = eps
    if running:
        bn["running_mean"], bn["running_var"] = rng.standard_normal(D), rng.uniform(0.5, 2.0, D)
    x_before = x.copy()
    out, _ = ns.batchnorm_forward(x, gamma, beta, bn)
    return {"out": out, "x_before": x_before, "x_after": x,
            "running_mean": bn.get("running_mean"), "running_var": bn.get("running_var")}


@probe
def bn_eval(ns, seed, N, D):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * 2.0 + 1.0
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    rm, rv = rng.standard_normal(D), rng.uniform(0.5, 2.0, D)
    bn = {"mode": "eval", "momentum": 0.1, "running_mean": rm.copy(), "running_var": rv.copy()}
    out, _ = ns.batchnorm_forward(x, gamma, beta, bn)
    return {"out": out, "rm_before": rm, "rv_before": rv,
            "rm_after": bn.get("running_mean"), "rv_after": bn.get("running_var")}


@probe
def bn_backward(ns, seed, N, D):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, D) + rng.uniform(-2.0, 2.0, D)
    gamma, beta, dout = rng.uniform(0.5, 2.0, D), rng.standard_normal(D), rng.standard_normal((N, D))
    _, cache = ns.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = ns.batchnorm_backward(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@probe
def sbn_train(ns, seed, shape, mode):
    rng = np.random.default_rng(seed)
    N, C, H, W = shape
    x = rng.standard_normal((N, C, H, W)) * rng.uniform(0.5, 3.0, (1, C, 1, 1)) + rng.uniform(-2, 2, (1, C, 1, 1))
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.standard_normal(C)
    rm, rv = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
    bn = {"mode": mode, "momentum": 0.1, "running_mean": rm.copy(), "running_var": rv.copy()}
    x_before = x.copy()
    out, _ = ns.spatial_batchnorm_forward(x, gamma, beta, bn)
    return {"out": out, "x_before": x_before, "x_after": x,
            "running_mean": bn.get("running_mean"), "running_var": bn.get("running_var")}


@probe
def gbn_train(ns, seed, N, D, v, mode):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, D) + rng.uniform(-2.0, 2.0, D)
    x = x + np.repeat(rng.standard_normal((N // v, 1)), v, axis=0)  # chunks differ in their means
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    bn = {"mode": mode, "momentum": 0.1, "running_mean": rng.standard_normal(D), "running_var": rng.uniform(0.5, 2.0, D)}
    x_before = x.copy()
    out, _ = ns.ghost_batchnorm_forward(x, gamma, beta, bn, v)
    return {"out": out, "x_before": x_before, "x_after": x,
            "running_mean": bn.get("running_mean"), "running_var": bn.get("running_var")}


@probe
def ln_forward(ns, seed, N, D, eps):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, (N, 1)) + rng.uniform(-2.0, 2.0, (N, 1))
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    out, _ = ns.layernorm_forward(x, gamma, beta, eps=eps)
    out_first, _ = ns.layernorm_forward(x[:2].copy(), gamma, beta, eps=eps)
    return {"out": out, "out_first_two": out_first}


@probe
def ln_backward(ns, seed, N, D):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, (N, 1)) + rng.uniform(-2.0, 2.0, (N, 1))
    gamma, beta, dout = rng.uniform(0.5, 2.0, D), rng.standard_normal(D), rng.standard_normal((N, D))
    _, cache = ns.layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = ns.layernorm_backward(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@probe
def in_forward(ns, seed, shape, eps):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, tuple(shape[:2]) + (1, 1)) + 1.0
    out = ns.instancenorm_forward(x, eps=eps)
    out_first = ns.instancenorm_forward(x[:1].copy(), eps=eps)
    return {"out": out, "out_first": out_first}


@probe
def gn_forward(ns, seed, shape, groups, eps):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, C, 1, 1)) + rng.uniform(-2, 2, (1, C, 1, 1))
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.standard_normal(C)
    return {"out": ns.groupnorm_forward(x, gamma, beta, groups, eps=eps)}


@probe
def rms_forward(ns, seed, shape, eps, scale):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) + 0.5) * scale
    w = rng.uniform(0.5, 2.0, shape[-1])
    return {"out": ns.rmsnorm_forward(x, w, eps)}


@probe
def rms_module(ns, seed, shape, normalized_shape, eps, scale):
    rng = np.random.default_rng(seed)
    ns_arg = normalized_shape if isinstance(normalized_shape, int) else tuple(normalized_shape)
    w_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    m = ns.RMSNorm(ns_arg, eps=eps).double()
    is_param = isinstance(getattr(m, "weight", None), torch.nn.Parameter)
    n_params = len(list(m.parameters()))
    w_init = m.weight.detach().clone()
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, w_shape)))
    x = torch.from_numpy((rng.standard_normal(shape) + 0.3) * scale).requires_grad_()
    y = m(x)
    (y * torch.from_numpy(rng.standard_normal(shape))).sum().backward()
    return {"y": y.detach(), "x_grad": x.grad, "w_grad": m.weight.grad, "w_init": w_init,
            "is_param": bool(is_param), "n_params": n_params}


@probe
def wn(ns, seed, shape, dim):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape)
    if dim is None:
        g = np.array(rng.uniform(0.5, 2.0))
    else:
        g_shape = [1] * len(shape)
        g_shape[dim] = shape[dim]
        g = rng.uniform(0.5, 2.0, g_shape)
    v_before = v.copy()
    W = ns.weight_norm(v, g, dim=dim)
    return {"W": W, "v_before": v_before, "v_after": v}


@probe
def sn(ns, seed, shape, n_iter, gap):
    rng = np.random.default_rng(seed)
    if gap:  # known singular values 3 > 1.5 > ...: power iteration converges fast
        m, n = shape
        U, _ = np.linalg.qr(rng.standard_normal((m, m)))
        V, _ = np.linalg.qr(rng.standard_normal((n, n)))
        s = np.linspace(1.5, 0.5, min(m, n))
        s[0] = 3.0
        W = U[:, :len(s)] @ np.diag(s) @ V[:, :len(s)].T
    else:
        W = rng.standard_normal(shape)
    u = rng.standard_normal(shape[0])
    u = u / np.linalg.norm(u)
    u_before = u.copy()
    W_sn, u_new, sigma = ns.spectral_norm_step(W, u, n_power_iterations=n_iter)
    return {"W": W, "W_sn": W_sn, "u": u_new, "sigma": float(sigma), "u_before": u_before, "u_after": u}


@probe
def block(ns, seed, kind, eps, zero_sublayers, unit_norms):
    d, h, d_ff = 16, 4, 24
    rng = np.random.default_rng(seed)
    torch.manual_seed(0)
    attn = ns.SelfAttention(d, h).double()
    ffn = ns.FeedForward(d, d_ff).double()
    blk = getattr(ns, kind)(d, attn, ffn, eps=eps).double()
    with torch.no_grad():
        for mod in (attn, ffn):
            for _, p in sorted(mod.named_parameters()):
                p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) * 0.3))
        if zero_sublayers:
            for p in (attn.mha.out_proj.weight, attn.mha.out_proj.bias, ffn.linear2.weight, ffn.linear2.bias):
                p.zero_()
        for norm in (blk.norm1, blk.norm2):
            if unit_norms:
                norm.weight.fill_(1.0)
                norm.bias.zero_()
            else:
                norm.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, d)))
                norm.bias.copy_(torch.from_numpy(rng.standard_normal(d) * 0.3))
    x = torch.from_numpy(rng.standard_normal((2, 5, d)) * 2.0 + 0.5)
    return {"x": x, "y": blk(x).detach()}


# ------------------------------------------------------------------------------------------ checks
BN_TRAIN = dict(N=16, D=5, momentum=0.1, eps=None, running=True)


@check("batchnorm_forward", points=1.5)
def test_bn_train_output_matches_reference(student, reference, seed):
    """train 모드 출력: 배치 평균과 편향(biased) 분산, sqrt 안의 eps로 정규화한 뒤 gamma, beta 적용."""
    allclose(student(bn_train, seed=seed, **BN_TRAIN)["out"], reference(bn_train, seed=seed, **BN_TRAIN)["out"],
             "out", "정규화에는 편향 분산(np.var 기본값, N으로 나눔)을, eps는 sqrt 안에: (x - mu) / sqrt(var + eps).")


@check("batchnorm_forward", points=1)
def test_bn_running_mean_uses_momentum_0_1(student, reference, seed):
    """running_mean = (1 - momentum) * running_mean + momentum * batch_mean (PyTorch 규약, momentum 0.1)."""
    allclose(student(bn_train, seed=seed, **BN_TRAIN)["running_mean"],
             reference(bn_train, seed=seed, **BN_TRAIN)["running_mean"], "bn_param['running_mean']", MOMENTUM_HINT)


@check("batchnorm_backward", points=2)
def test_bn_backward_dx_matches_reference(student, reference, seed):
    """dx: 평균과 분산을 거쳐 가는 gradient까지 포함한 닫힌 형태."""
    allclose(student(bn_backward, seed=seed, N=16, D=5)["dx"], reference(bn_backward, seed=seed, N=16, D=5)["dx"],
             "dx", "mu와 var도 x의 함수입니다: dx = (N*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat)) / (N*sqrt(var+eps)), dxhat = dout*gamma.")


@check("batchnorm_backward", points=1)
def test_bn_backward_dgamma_matches_reference(student, reference, seed):
    """dgamma = sum over the batch of dout * x_hat."""
    allclose(student(bn_backward, seed=seed, N=16, D=5)["dgamma"],
             reference(bn_backward, seed=seed, N=16, D=5)["dgamma"], "dgamma",
             "dgamma는 dout * x_hat을 배치 축(axis=0)으로 더한 것입니다.")


@check("spatial_batchnorm_forward", points=1.5)
def test_sbn_train_output_matches_reference(student, reference, seed):
    """(N, C, H, W)에서 채널마다 (N, H, W)의 통계로 정규화."""
    kw = dict(shape=[4, 3, 5, 6], mode="train")
    allclose(student(sbn_train, seed=seed, **kw)["out"], reference(sbn_train, seed=seed, **kw)["out"], "out",
             "통계는 채널마다 axis=(0, 2, 3)로 냅니다. x.reshape(-1, C)는 채널 축을 섞습니다: transpose 먼저.")


@check("ghost_batchnorm_forward", points=1.5)
def test_gbn_train_output_matches_reference(student, reference, seed):
    """train 모드: 연속된 조각 x[0:v], x[v:2v], ...마다 그 조각의 통계로 정규화."""
    kw = dict(N=16, D=4, v=4, mode="train")
    allclose(student(gbn_train, seed=seed, **kw)["out"], reference(gbn_train, seed=seed, **kw)["out"], "out",
             "조각은 연속된 행 x[k*v:(k+1)*v]입니다 (x.reshape(N // v, v, D)); x[k::K]처럼 건너뛰지 마세요.")


@check("layernorm_forward", points=1.5)
def test_ln_output_matches_reference(student, reference, seed):
    """샘플(행)마다 feature 축의 평균과 편향 분산으로 정규화."""
    allclose(student(ln_forward, seed=seed, N=6, D=9, eps=1e-5)["out"],
             reference(ln_forward, seed=seed, N=6, D=9, eps=1e-5)["out"], "out",
             "LayerNorm은 axis=1(feature 축)로, keepdims=True로 통계를 냅니다. 편향 분산, eps는 sqrt 안.")


@check("layernorm_backward", points=1.5)
def test_ln_backward_dx_matches_reference(student, reference, seed):
    """dx: BatchNorm 역전파와 같은 식을 feature 축에 대해."""
    allclose(student(ln_backward, seed=seed, N=6, D=7)["dx"], reference(ln_backward, seed=seed, N=6, D=7)["dx"], "dx",
             "LayerNorm의 평균·분산은 feature 축(axis=1)의 함수이므로 dx의 합도 axis=1, keepdims=True로 내고 D로 나눕니다.")


@check("instancenorm_forward", points=1)
def test_in_output_matches_reference(student, reference, seed):
    """샘플·채널마다 (H, W)의 통계로 정규화."""
    kw = dict(shape=[3, 4, 5, 6], eps=1e-5)
    allclose(student(in_forward, seed=seed, **kw)["out"], reference(in_forward, seed=seed, **kw)["out"], "out",
             "InstanceNorm의 통계 축은 axis=(2, 3)입니다 (BN은 (0, 2, 3), LN은 (1, 2, 3)).")


@check("groupnorm_forward", points=1)
def test_gn_output_matches_reference(student, reference, seed):
    """채널 c를 그룹 c // (C/G)에 넣고 그룹마다 정규화한 뒤 채널별 gamma, beta."""
    kw = dict(shape=[3, 6, 4, 5], groups=2, eps=1e-5)
    allclose(student(gn_forward, seed=seed, **kw)["out"], reference(gn_forward, seed=seed, **kw)["out"], "out",
             "x.reshape(N, G, C // G, H, W)로 연속된 채널을 묶습니다 (reshape(N, C // G, G, ...)는 채널을 건너뛰며 묶습니다).")


@check("rmsnorm_forward", points=1)
def test_rms_output_matches_reference(student, reference, seed):
    """x / sqrt(mean(x**2, 마지막 축) + eps) * weight, 평균을 빼지 않음."""
    kw = dict(shape=[6, 8], eps=1e-6, scale=1.0)
    allclose(student(rms_forward, seed=seed, **kw)["out"], reference(rms_forward, seed=seed, **kw)["out"], "out",
             "RMSNorm은 평균을 빼지 않습니다 (std가 아니라 RMS로 나눔). 통계는 마지막 축, eps는 sqrt 안.")


RMS_MOD = dict(shape=[2, 5, 8], normalized_shape=8, eps=1e-6, scale=1.0)


@check("rmsnorm_module", points=1)
def test_rms_module_output_matches_reference(student, reference, seed):
    """RMSNorm(8, eps=1e-6)의 forward (weight를 바꾼 뒤, float64)."""
    allclose(student(rms_module, seed=seed, **RMS_MOD)["y"], reference(rms_module, seed=seed, **RMS_MOD)["y"], "y",
             "x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight")


@check("rmsnorm_module", points=0.5)
def test_rms_module_weight_is_parameter_of_ones(student, seed):
    """self.weight는 normalized_shape 모양의 nn.Parameter이고 1로 초기화 (학습되는 유일한 파라미터)."""
    r = student(rms_module, seed=seed, **RMS_MOD)
    expect.true(r["is_param"] is True and r["n_params"] == 1,
                f"self.weight는 torch.nn.Parameter여야 하고 파라미터는 그것 하나여야 합니다 "
                f"(weight가 Parameter인가: {r['is_param']}, 파라미터 수: {r['n_params']}).")
    expect.allclose(r["w_init"], np.ones(8), name="초기 weight", rtol=0, atol=0)


@check("weight_norm", points=1)
def test_wn_dim0_matches_reference(student, reference, seed):
    """Linear weight (6, 4), dim=0: 행(출력 뉴런)마다 g_i * v_i / ||v_i||."""
    kw = dict(shape=[6, 4], dim=0)
    allclose(student(wn, seed=seed, **kw)["W"], reference(wn, seed=seed, **kw)["W"], "W",
             "norm은 dim을 '제외한' 모든 축에 대해 냅니다 (dim=0이면 axis=1, keepdims=True).")


@check("spectral_norm_step", points=1.5)
def test_sn_weight_and_sigma_match_reference(student, reference, seed):
    """power iteration 한 번 (v = normalize(W^T u), u = normalize(W v)) 후 sigma = u^T W v, W / sigma."""
    kw = dict(shape=[5, 4], n_iter=1, gap=False)
    s, r = student(sn, seed=seed, **kw), reference(sn, seed=seed, **kw)
    hint = "순서: v = normalize(W.T @ u), u = normalize(W @ v), sigma = u @ W @ v (새 u와 마지막 v)."
    allclose(s["sigma"], r["sigma"], "sigma", hint, check_dtype=False)
    allclose(s["W_sn"], r["W_sn"], "W_sn", hint)


@check("prenorm_block", points=1.5)
def test_pre_output_matches_reference(student, reference, seed):
    """x = x + attn(norm1(x)); x = x + ffn(norm2(x)) (= TransformerEncoderLayer(norm_first=True))."""
    kw = dict(kind="PreNormBlock", eps=1e-5, zero_sublayers=False, unit_norms=False)
    allclose(student(block, seed=seed, **kw)["y"], reference(block, seed=seed, **kw)["y"], "y",
             "Pre-Norm은 부층의 입력만 정규화하고, 잔차 x는 정규화하지 않은 채 더합니다. norm1은 attn 앞, norm2는 ffn 앞.")


@check("postnorm_block", points=1.5)
def test_post_output_matches_reference(student, reference, seed):
    """x = norm1(x + attn(x)); x = norm2(x + ffn(x)) (= TransformerEncoderLayer(norm_first=False))."""
    kw = dict(kind="PostNormBlock", eps=1e-5, zero_sublayers=False, unit_norms=False)
    allclose(student(block, seed=seed, **kw)["y"], reference(block, seed=seed, **kw)["y"], "y",
             "Post-Norm은 잔차를 더한 '뒤' 정규화합니다: norm1(x + attn(x)), 그다음 norm2(x + ffn(x)).")


# ------------------------------------------------------------------- numeric_gradient, groupnorm_backward
# (added for issue 15: a CS231n-style numeric gradient check, and GroupNorm's backward pass)
@probe
def ng_smooth(ns, seed, shape, h):
    """numeric_gradient of f(x) = sum(w * sin(x)) + 0.5 * (sum(v * x))**2 (every element couples)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, shape)
    w, v = rng.uniform(0.5, 2.0, shape), rng.uniform(-1.0, 1.0, shape)
    x_before = x.copy()
    calls = []

    def f(a):
        calls.append(tuple(np.shape(a)))
        return float(np.sum(w * np.sin(a)) + 0.5 * np.sum(v * a) ** 2)

    grad = ns.numeric_gradient(f, x) if h is None else ns.numeric_gradient(f, x, h=h)
    return {"grad": grad, "x_before": x_before, "x_after": x, "w": w, "v": v,
            "shapes_seen": sorted(set(calls)), "calls": len(calls)}


@probe
def ng_cubic(ns, seed, n, h):
    """numeric_gradient of f(x) = sum(x**3) with a large step h: the centered difference is exactly 3x^2 + h^2."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, n)
    x_before = x.copy()
    grad = ns.numeric_gradient(lambda a: float(np.sum(a ** 3)), x, h=h)
    return {"grad": grad, "x": x_before}


@probe
def gn_backward(ns, seed, shape, groups, eps):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, C, 1, 1)) + rng.uniform(-2, 2, (1, C, 1, 1))
    gamma, dout = rng.uniform(0.5, 2.0, C), rng.standard_normal(shape)
    x_before = x.copy()
    dx, dgamma, dbeta = ns.groupnorm_backward(dout, x, gamma, groups, eps=eps)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta, "x_before": x_before, "x_after": x}


NG_CENTERED_HINT = ("중심 차분 (f(x + h e_i) - f(x - h e_i)) / (2h)을 쓰세요. 전진 차분 (f(x + h e_i) - f(x)) / h는 "
                    "오차가 O(h)라 (h = 1e-5이면 약 1e-5) 역전파를 검사하기에 너무 부정확합니다.")


@check("numeric_gradient", points=1)
def test_ng_matches_the_analytic_gradient(student, seed):
    """2차원 x, 모든 원소가 얽힌 매끄러운 함수: 해석적 gradient와 1e-7 안에서 같습니다 (기본 h = 1e-5)."""
    r = student(ng_smooth, seed=seed, shape=[4, 5], h=None)
    want = r["w"] * np.cos(r["x_before"]) + np.sum(r["v"] * r["x_before"]) * r["v"]
    # Centered differences with h = 1e-5: truncation h^2/6 * |f'''| <= 1e-10 * 40, rounding ~ 1e-16 * |f| / h
    # <= 1e-9; a forward difference errs by h/2 * |f''| ~ 1e-5. 1e-7 separates the two with margin.
    allclose(r["grad"], want, "grad", NG_CENTERED_HINT, rtol=0.0, atol=1e-7)


@check("numeric_gradient", points=1)
def test_ng_centered_difference_with_the_given_h(student, seed):
    """f(x) = sum(x**3), h = 0.1: 중심 차분은 정확히 3x^2 + h^2 (전진 차분은 3x^2 + 3xh + h^2)."""
    r = student(ng_cubic, seed=seed, n=6, h=0.1)
    want = 3 * r["x"] ** 2 + 0.1 ** 2
    got = expect.shape(r["grad"], (6,), name="grad")
    if np.all(np.isfinite(got)) and np.allclose(got, 3 * r["x"] ** 2 + 1e-10, rtol=1e-6):
        expect.fail("grad가 h = 1e-5 같은 다른 step으로 계산된 값입니다: 인자로 받은 h를 쓰세요.")
    if np.all(np.isfinite(got)) and np.allclose(got, want * 2, rtol=1e-9):
        expect.fail("grad가 정확히 2배입니다: 중심 차분은 2h로 나눕니다.")
    allclose(got, want, "grad (h=0.1)", NG_CENTERED_HINT, rtol=1e-9, atol=1e-12)


@check("numeric_gradient", points=0.5)
def test_ng_restores_x(student, seed):
    """돌아온 뒤 x는 호출 전과 비트 단위로 같습니다 (원소를 잠시 바꿨다면 원래 값을 다시 넣습니다)."""
    r = student(ng_smooth, seed=seed, shape=[3, 4], h=None)
    try:
        expect.equal(r["x_after"], r["x_before"], name="x after numeric_gradient")
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: old = x[idx]; ...; x[idx] = old 로 되돌리세요 "
                    "(x[idx] += h; x[idx] -= 2 * h; x[idx] += h는 반올림 오차 때문에 원래 값이 아닐 수 있습니다).")


GNB_HINT = ("GroupNorm의 평균·분산은 (샘플, 그룹)마다 m = (C // G) * H * W개 값의 함수입니다: x를 (N, G, m)으로 바꿔 "
            "BatchNorm/LayerNorm과 같은 식을 axis=2로 쓰고, dxhat = dout * gamma(채널별)입니다.")


@check("groupnorm_backward", points=2)
def test_gnb_dx_matches_reference(student, reference, seed):
    """dx: (샘플, 그룹)마다 평균과 분산을 거쳐 가는 항까지 포함 ((3, 6, 4, 5), G = 3)."""
    kw = dict(shape=[3, 6, 4, 5], groups=3, eps=1e-5)
    allclose(student(gn_backward, seed=seed, **kw)["dx"], reference(gn_backward, seed=seed, **kw)["dx"], "dx", GNB_HINT)


@check("groupnorm_backward", points=1)
def test_gnb_dgamma_and_dbeta_match_reference(student, reference, seed):
    """dgamma, dbeta: 채널마다, 배치와 공간 축 (0, 2, 3)으로 더합니다 (shape (C,))."""
    kw = dict(shape=[3, 6, 4, 5], groups=3, eps=1e-5)
    got, want = student(gn_backward, seed=seed, **kw), reference(gn_backward, seed=seed, **kw)
    hint = "gamma, beta는 채널마다 하나이므로 dgamma = (dout * x_hat).sum(axis=(0, 2, 3)), dbeta = dout.sum(axis=(0, 2, 3))."
    allclose(got["dbeta"], want["dbeta"], "dbeta", hint)
    allclose(got["dgamma"], want["dgamma"], "dgamma", hint)


@check("groupnorm_backward", points=0.5)
def test_gnb_uses_given_eps_and_does_not_mutate_x(student, reference, seed):
    """eps 인자 (0.5)를 sqrt 안에서 쓰고, x를 바꾸지 않습니다."""
    kw = dict(shape=[2, 6, 3, 2], groups=2, eps=0.5)
    r = student(gn_backward, seed=seed, **kw)
    try:
        expect.equal(r["x_after"], r["x_before"], name="x")
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: 입력 x를 제자리에서 바꾸지 마세요 (x -= mu 같은 in-place 연산 대신 새 배열을 만드세요).")
    allclose(r["dx"], reference(gn_backward, seed=seed, **kw)["dx"], "dx (eps=0.5)", "eps 인자를 sqrt(var + eps) 안에서 씁니다.")
