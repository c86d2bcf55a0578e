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
    "CS231n의 'momentum 0.9 retention' 식 momentum * running + "
    "(1 - momentum) * batch_stat에 momentum=0.1을 넣지 않았나요?"
)


def allclose(got, want, name, hint="", alts=None, **kw):
    """expect.allclose with a teaching hint appended to the failure message.

    ``alts`` maps a hint to what a known mistake gives (an array, computed here from the reference's
    trusted inputs); when the student's value fits one (rtol 1e-6), that hint replaces ``hint``."""
    try:
        return expect.allclose(got, want, name=name, **kw)
    except expect.CheckFailed as exc:
        for text, cand in (alts or {}).items():
            try:
                g, c = np.asarray(got, dtype=np.float64), np.asarray(cand, dtype=np.float64)
            except (TypeError, ValueError):
                break
            if g.shape == c.shape and np.allclose(g, c, rtol=1e-6, atol=1e-9):
                hint = text
                break
        if not hint:
            raise
        expect.fail(f"{exc}\n힌트: {hint}")


def _norm_bn(x, axes, ddof=0, eps=1e-5):
    """x normalized over ``axes`` (keepdims), as the grader computes the mistakes' values."""
    mu = x.mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps)


def _norm_backward(x, gamma, dout, axis, n=None, use_gamma=True, eps=1e-5):
    """dx of (x - mu) / sqrt(var + eps) * gamma + beta with statistics over ``axis``, with ``n`` in place of
    the number of values (a known mistake) and optionally without gamma."""
    xhat = _norm_bn(x, axis, eps=eps)
    inv = 1.0 / np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    n = x.shape[axis] if n is None else n
    dxhat = dout * gamma if use_gamma else dout
    return (
        inv
        / n
        * (n * dxhat - dxhat.sum(axis=axis, keepdims=True) - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True))
    )


RUNNING_HINTS = {
    "biased": "running_var에 편향 분산(np.var 기본값, {n}으로 나눔)을 섞었습니다. 정규화에는 편향 분산을 쓰지만 "
    "running_var에는 불편 분산 var * {n} / ({n} - 1)을 섞습니다 (PyTorch 규약).",
    "batch_n": "불편 분산 보정을 배치 크기 N으로 했습니다 (var * N / (N - 1)). 채널마다 m = N*H*W개 값의 분산이므로 "
    "var * m / (m - 1)입니다.",
    "retention": MOMENTUM_HINT,
    "retention_biased": "momentum 규약과 분산이 둘 다 다릅니다. "
    + MOMENTUM_HINT
    + " 또 running_var에는 편향 분산이 아니라 "
    "불편 분산 var * N / (N - 1)을 섞습니다.",
    "zero_start": "bn_param에 running_var가 없을 때 0에서 시작했습니다 (CS231n). PyTorch는 running_mean = 0, "
    "running_var = 1로 시작합니다.",
    "fixed_momentum": "bn_param의 momentum ({m:g})이 아니라 0.1을 썼습니다: momentum = bn_param.get('momentum', 0.1).",
}


def running_stat_hint(student_value, ref, key, momentum, axes=(0,), default=""):
    """The hint that fits the student's running statistic: which known wrong update it equals.

    ``ref`` is the reference's probe output (trusted inputs: x_before, rm0, rv0); ``momentum`` is the one
    the probe passed (None: the default 0.1). Falls back to ``default`` when no known mistake fits."""
    try:
        got = np.asarray(student_value, dtype=np.float64)
    except (TypeError, ValueError):
        return default
    x = np.asarray(ref["x_before"], dtype=np.float64)
    m = 0.1 if momentum is None else momentum
    n = int(np.prod([x.shape[a] for a in axes]))
    mu, vb = x.mean(axis=axes), x.var(axis=axes)
    vu = vb * n / (n - 1)
    start = ref["rm0"] if key == "running_mean" else ref["rv0"]
    stat = mu if key == "running_mean" else vu
    cands = {"retention": m * start + (1 - m) * stat, "fixed_momentum": 0.9 * start + 0.1 * stat}
    if key == "running_var":
        cands.update(
            biased=(1 - m) * start + m * vb,
            retention_biased=m * start + (1 - m) * vb,
            zero_start=(1 - m) * 0.0 * start + m * vu,
        )
        if len(axes) > 1:
            nb = x.shape[0]
            cands["batch_n"] = (1 - m) * start + m * vb * nb / (nb - 1)
    for name, want in cands.items():
        if (name == "fixed_momentum" and m == 0.1) or (name == "zero_start" and not np.allclose(start, 1.0)):
            continue
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-9, atol=1e-12):
            word = "m" if len(axes) > 1 else "N"
            return RUNNING_HINTS[name].format(n=word, m=m)
    return default


def running_allclose(s, r, key, momentum, default, name=None, axes=(0,)):
    """allclose of one running statistic, with the hint of the mistake its numbers fit."""
    try:
        expect.allclose(s[key], r[key], name=name or f"bn_param['{key}']")
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: {running_stat_hint(s[key], r, key, momentum, axes, default)}")


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
    start = {"rm0": bn.get("running_mean", np.zeros(D)).copy(), "rv0": bn.get("running_var", np.ones(D)).copy()}
    x_before = x.copy()
    out, _ = ns.batchnorm_forward(x, gamma, beta, bn)
    return {
        "out": out,
        "x_before": x_before,
        "x_after": x,
        "running_mean": bn.get("running_mean"),
        "running_var": bn.get("running_var"),
        **start,
    }


@probe
def bn_eval(ns, seed, N, D):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * 2.0 + 1.0
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    rm, rv = rng.standard_normal(D), rng.uniform(0.5, 2.0, D)
    bn = {"mode": "eval", "momentum": 0.1, "running_mean": rm.copy(), "running_var": rv.copy()}
    out, _ = ns.batchnorm_forward(x, gamma, beta, bn)
    return {
        "out": out,
        "rm_before": rm,
        "rv_before": rv,
        "rm_after": bn.get("running_mean"),
        "rv_after": bn.get("running_var"),
    }


@probe
def bn_backward(ns, seed, N, D):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, D) + rng.uniform(-2.0, 2.0, D)
    gamma, beta, dout = rng.uniform(0.5, 2.0, D), rng.standard_normal(D), rng.standard_normal((N, D))
    _, cache = ns.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = ns.batchnorm_backward(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta, "x": x, "gamma": gamma, "dout": dout}


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
    return {
        "out": out,
        "x_before": x_before,
        "x_after": x,
        "rm0": rm,
        "rv0": rv,
        "running_mean": bn.get("running_mean"),
        "running_var": bn.get("running_var"),
    }


@probe
def gbn_train(ns, seed, N, D, v, mode):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, D) + rng.uniform(-2.0, 2.0, D)
    x = x + np.repeat(rng.standard_normal((N // v, 1)), v, axis=0)  # chunks differ in their means
    gamma, beta = rng.uniform(0.5, 2.0, D), rng.standard_normal(D)
    bn = {
        "mode": mode,
        "momentum": 0.1,
        "running_mean": rng.standard_normal(D),
        "running_var": rng.uniform(0.5, 2.0, D),
    }
    x_before = x.copy()
    out, _ = ns.ghost_batchnorm_forward(x, gamma, beta, bn, v)
    return {
        "out": out,
        "x_before": x_before,
        "x_after": x,
        "running_mean": bn.get("running_mean"),
        "running_var": bn.get("running_var"),
        "gamma": gamma,
        "beta": beta,
    }


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
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta, "x": x, "gamma": gamma, "dout": dout}


@probe
def in_forward(ns, seed, shape, eps):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (*shape[:2], 1, 1)) + 1.0
    out = ns.instancenorm_forward(x, eps=eps)
    out_first = ns.instancenorm_forward(x[:1].copy(), eps=eps)
    return {"out": out, "out_first": out_first}


@probe
def gn_forward(ns, seed, shape, groups, eps):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, C, 1, 1)) + rng.uniform(-2, 2, (1, C, 1, 1))
    gamma, beta = rng.uniform(0.5, 2.0, C), rng.standard_normal(C)
    return {"out": ns.groupnorm_forward(x, gamma, beta, groups, eps=eps), "x": x, "gamma": gamma, "beta": beta}


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
    return {
        "y": y.detach(),
        "x_grad": x.grad,
        "w_grad": m.weight.grad,
        "w_init": w_init,
        "is_param": bool(is_param),
        "n_params": n_params,
    }


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
        W = U[:, : len(s)] @ np.diag(s) @ V[:, : len(s)].T
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
SBN = dict(shape=[4, 3, 5, 6])
GBN = dict(N=16, D=4, v=4)


@check("batchnorm_forward", points=1.5)
def test_bn_train_output_matches_reference(student, reference, seed):
    """train 모드 출력: 배치 평균과 편향(biased) 분산, sqrt 안의 eps로 정규화한 뒤 gamma, beta 적용."""
    allclose(
        student(bn_train, seed=seed, **BN_TRAIN)["out"],
        reference(bn_train, seed=seed, **BN_TRAIN)["out"],
        "out",
        "정규화에는 편향 분산(np.var 기본값, N으로 나눔)을, eps는 sqrt 안에: (x - mu) / sqrt(var + eps).",
    )


@check("batchnorm_forward", points=1)
def test_bn_running_mean_uses_momentum_0_1(student, reference, seed):
    """running_mean = (1 - momentum) * running_mean + momentum * batch_mean (PyTorch 규약, momentum 0.1)."""
    allclose(
        student(bn_train, seed=seed, **BN_TRAIN)["running_mean"],
        reference(bn_train, seed=seed, **BN_TRAIN)["running_mean"],
        "bn_param['running_mean']",
        MOMENTUM_HINT,
    )


@check("batchnorm_forward", points=1)
def test_bn_running_var_uses_unbiased_variance(student, reference, seed):
    """running_var에는 불편(unbiased) 배치 분산 (N - 1로 나눔)을 섞습니다 (PyTorch 규약)."""
    running_allclose(
        student(bn_train, seed=seed, **BN_TRAIN),
        reference(bn_train, seed=seed, **BN_TRAIN),
        "running_var",
        BN_TRAIN["momentum"],
        "정규화에는 편향 분산을 쓰지만 running_var에는 var * N / (N - 1)을 섞습니다. " + MOMENTUM_HINT,
    )


@check("batchnorm_backward", points=2)
def test_bn_backward_dx_matches_reference(student, reference, seed):
    """dx: 평균과 분산을 거쳐 가는 gradient까지 포함한 닫힌 형태."""
    r = reference(bn_backward, seed=seed, N=16, D=5)
    x, gamma, dout = r["x"], r["gamma"], r["dout"]
    allclose(
        student(bn_backward, seed=seed, N=16, D=5)["dx"],
        r["dx"],
        "dx",
        (
            "mu와 var도 x의 함수입니다: dx = (N*dxhat - sum(dxhat) - "
            "xhat*sum(dxhat*xhat)) / (N*sqrt(var+eps)), dxhat = dout*gamma."
        ),
        alts={
            (
                "배치 크기를 feature 수 D = dout.shape[1]로 썼을 때와 "
                "같습니다: 배치 축은 axis=0, N = dout.shape[0]입니다."
            ): _norm_backward(x, gamma, dout, 0, n=x.shape[1])
        },
    )


@check("batchnorm_backward", points=1)
def test_bn_backward_dgamma_matches_reference(student, reference, seed):
    """dgamma = sum over the batch of dout * x_hat."""
    allclose(
        student(bn_backward, seed=seed, N=16, D=5)["dgamma"],
        reference(bn_backward, seed=seed, N=16, D=5)["dgamma"],
        "dgamma",
        "dgamma는 dout * x_hat을 배치 축(axis=0)으로 더한 것입니다.",
    )


@check("spatial_batchnorm_forward", points=1.5)
def test_sbn_train_output_matches_reference(student, reference, seed):
    """(N, C, H, W)에서 채널마다 (N, H, W)의 통계로 정규화."""
    kw = dict(shape=[4, 3, 5, 6], mode="train")
    allclose(
        student(sbn_train, seed=seed, **kw)["out"],
        reference(sbn_train, seed=seed, **kw)["out"],
        "out",
        "통계는 채널마다 axis=(0, 2, 3)로 냅니다. x.reshape(-1, C)는 채널 축을 섞습니다: transpose 먼저.",
    )


@check("spatial_batchnorm_forward", points=1)
def test_sbn_running_stats_per_channel_with_unbiased_variance(student, reference, seed):
    """running statistics는 채널마다 (C,), running_var에는 N*H*W - 1로 나눈 불편 분산."""
    shape = [4, 3, 5, 6]
    s, r = (
        student(sbn_train, seed=seed, mode="train", shape=shape),
        reference(sbn_train, seed=seed, mode="train", shape=shape),
    )
    hint = "채널마다 m = N*H*W개 값의 평균과 var * m / (m - 1)을 momentum 0.1로 섞습니다."
    for key in ("running_mean", "running_var"):
        running_allclose(s, r, key, 0.1, hint, axes=(0, 2, 3))


@check("ghost_batchnorm_forward", points=1.5)
def test_gbn_train_output_matches_reference(student, reference, seed):
    """train 모드: 연속된 조각 x[0:v], x[v:2v], ...마다 그 조각의 통계로 정규화."""
    kw = dict(N=16, D=4, v=4, mode="train")
    r = reference(gbn_train, seed=seed, **kw)
    unbiased = _norm_bn(r["x_before"].reshape(4, 4, 4), 1, ddof=1).reshape(16, 4) * r["gamma"] + r["beta"]
    allclose(
        student(gbn_train, seed=seed, **kw)["out"],
        r["out"],
        "out",
        "조각은 연속된 행 x[k*v:(k+1)*v]입니다 (x.reshape(N // v, v, D)); x[k::K]처럼 건너뛰지 마세요.",
        alts={
            (
                "조각마다 불편 분산 (v - 1로 나눔)으로 정규화했을 때와 "
                "같습니다: 정규화에는 편향 분산 (np.var 기본값)을 씁니다."
            ): unbiased
        },
    )


@check("layernorm_forward", points=1.5)
def test_ln_output_matches_reference(student, reference, seed):
    """샘플(행)마다 feature 축의 평균과 편향 분산으로 정규화."""
    allclose(
        student(ln_forward, seed=seed, N=6, D=9, eps=1e-5)["out"],
        reference(ln_forward, seed=seed, N=6, D=9, eps=1e-5)["out"],
        "out",
        "LayerNorm은 axis=1(feature 축)로, keepdims=True로 통계를 냅니다. 편향 분산, eps는 sqrt 안.",
    )


@check("layernorm_backward", points=1.5)
def test_ln_backward_dx_matches_reference(student, reference, seed):
    """dx: BatchNorm 역전파와 같은 식을 feature 축에 대해."""
    r = reference(ln_backward, seed=seed, N=6, D=7)
    allclose(
        student(ln_backward, seed=seed, N=6, D=7)["dx"],
        r["dx"],
        "dx",
        "LayerNorm의 평균·분산은 feature 축(axis=1)의 함수이므로 dx의 합도 axis=1, keepdims=True로 내고 D로 나눕니다.",
        alts={
            "dL/dx_hat = dout * gamma에서 gamma를 빠뜨렸을 때와 같습니다 (out = gamma * x_hat + beta).": _norm_backward(
                r["x"], r["gamma"], r["dout"], 1, use_gamma=False
            )
        },
    )


@check("instancenorm_forward", points=1)
def test_in_output_matches_reference(student, reference, seed):
    """샘플·채널마다 (H, W)의 통계로 정규화."""
    kw = dict(shape=[3, 4, 5, 6], eps=1e-5)
    allclose(
        student(in_forward, seed=seed, **kw)["out"],
        reference(in_forward, seed=seed, **kw)["out"],
        "out",
        "InstanceNorm의 통계 축은 axis=(2, 3)입니다 (BN은 (0, 2, 3), LN은 (1, 2, 3)).",
    )


@check("groupnorm_forward", points=1)
def test_gn_output_matches_reference(student, reference, seed):
    """채널 c를 그룹 c // (C/G)에 넣고 그룹마다 정규화한 뒤 채널별 gamma, beta."""
    kw = dict(shape=[3, 6, 4, 5], groups=2, eps=1e-5)
    r = reference(gn_forward, seed=seed, **kw)
    xg = r["x"].reshape(3, 2, 3, 4, 5)
    unbiased = _norm_bn(xg, (2, 3, 4), ddof=1).reshape(3, 6, 4, 5) * r["gamma"].reshape(1, 6, 1, 1) + r["beta"].reshape(
        1, 6, 1, 1
    )
    allclose(
        student(gn_forward, seed=seed, **kw)["out"],
        r["out"],
        "out",
        (
            "x.reshape(N, G, C // G, H, W)로 연속된 채널을 묶습니다 "
            "(reshape(N, C // G, G, ...)는 채널을 건너뛰며 묶습니다)."
        ),
        alts={
            (
                "그룹마다 불편 분산 (n - 1로 나눔)으로 정규화했을 때와 "
                "같습니다: 정규화에는 편향 분산 (np.var 기본값)을 씁니다."
            ): unbiased
        },
    )


@check("rmsnorm_forward", points=1)
def test_rms_output_matches_reference(student, reference, seed):
    """x / sqrt(mean(x**2, 마지막 축) + eps) * weight, 평균을 빼지 않음."""
    kw = dict(shape=[6, 8], eps=1e-6, scale=1.0)
    allclose(
        student(rms_forward, seed=seed, **kw)["out"],
        reference(rms_forward, seed=seed, **kw)["out"],
        "out",
        "RMSNorm은 평균을 빼지 않습니다 (std가 아니라 RMS로 나눔). 통계는 마지막 축, eps는 sqrt 안.",
    )


RMS_MOD = dict(shape=[2, 5, 8], normalized_shape=8, eps=1e-6, scale=1.0)


@check("rmsnorm_module", points=1)
def test_rms_module_output_matches_reference(student, reference, seed):
    """RMSNorm(8, eps=1e-6)의 forward (weight를 바꾼 뒤, float64)."""
    got, want = student(rms_module, seed=seed, **RMS_MOD)["y"], reference(rms_module, seed=seed, **RMS_MOD)["y"]
    hint = "x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.weight"
    try:
        g = np.asarray(got, dtype=np.float64)
        if g.shape == want.shape and np.allclose(g, want, rtol=1e-5, atol=0):  # only float32 rounding differs
            hint = (
                "float32 반올림만큼만 다릅니다: weight가 float32로 남았습니다. nn.Parameter로 등록해야 .double()이 "
                "weight를 float64로 옮기고 학습도 됩니다."
            )
    except (TypeError, ValueError):
        pass
    allclose(got, want, "y", hint)


@check("rmsnorm_module", points=0.5)
def test_rms_module_weight_is_parameter_of_ones(student, seed):
    """self.weight는 normalized_shape 모양의 nn.Parameter이고 1로 초기화 (학습되는 유일한 파라미터)."""
    r = student(rms_module, seed=seed, **RMS_MOD)
    expect.true(
        r["is_param"] is True and r["n_params"] == 1,
        f"self.weight는 torch.nn.Parameter여야 하고 파라미터는 그것 하나여야 합니다 "
        f"(weight가 Parameter인가: {r['is_param']}, 파라미터 수: {r['n_params']}).",
    )
    expect.allclose(r["w_init"], np.ones(8), name="초기 weight", rtol=0, atol=0)


@check("weight_norm", points=1)
def test_wn_dim0_matches_reference(student, reference, seed):
    """Linear weight (6, 4), dim=0: 행(출력 뉴런)마다 g_i * v_i / ||v_i||."""
    kw = dict(shape=[6, 4], dim=0)
    r = reference(wn, seed=seed, **kw)
    norms = np.linalg.norm(r["v_before"], axis=1, keepdims=True)
    allclose(
        student(wn, seed=seed, **kw)["W"],
        r["W"],
        "W",
        "norm은 dim을 '제외한' 모든 축에 대해 냅니다 (dim=0이면 axis=1, keepdims=True).",
        alts={"||v||² (norm의 제곱)으로 나눴을 때와 같습니다: W = g * v / ||v|| (np.sqrt까지).": r["W"] / norms},
    )


@check("spectral_norm_step", points=1.5)
def test_sn_weight_and_sigma_match_reference(student, reference, seed):
    """power iteration 한 번 (v = normalize(W^T u), u = normalize(W v)) 후 sigma = u^T W v, W / sigma."""
    kw = dict(shape=[5, 4], n_iter=1, gap=False)
    s, r = student(sn, seed=seed, **kw), reference(sn, seed=seed, **kw)
    hint = "순서: v = normalize(W.T @ u), u = normalize(W @ v), sigma = u @ W @ v (새 u와 마지막 v)."
    allclose(
        s["sigma"],
        r["sigma"],
        "sigma",
        hint,
        check_dtype=False,
        alts={
            (
                "Frobenius norm ||W||_F와 같습니다: sigma는 가장 큰 특이값의 power-iteration 추정 u @ W @ v입니다."
            ): np.linalg.norm(np.asarray(r["W"], dtype=np.float64))
        },
    )
    allclose(s["W_sn"], r["W_sn"], "W_sn", hint)


@check("prenorm_block", points=1.5)
def test_pre_output_matches_reference(student, reference, seed):
    """x = x + attn(norm1(x)); x = x + ffn(norm2(x)) (= TransformerEncoderLayer(norm_first=True))."""
    kw = dict(kind="PreNormBlock", eps=1e-5, zero_sublayers=False, unit_norms=False)
    allclose(
        student(block, seed=seed, **kw)["y"],
        reference(block, seed=seed, **kw)["y"],
        "y",
        "Pre-Norm은 부층의 입력만 정규화하고, 잔차 x는 정규화하지 않은 채 더합니다. norm1은 attn 앞, norm2는 ffn 앞.",
    )


@check("postnorm_block", points=1.5)
def test_post_output_matches_reference(student, reference, seed):
    """x = norm1(x + attn(x)); x = norm2(x + ffn(x)) (= TransformerEncoderLayer(norm_first=False))."""
    kw = dict(kind="PostNormBlock", eps=1e-5, zero_sublayers=False, unit_norms=False)
    allclose(
        student(block, seed=seed, **kw)["y"],
        reference(block, seed=seed, **kw)["y"],
        "y",
        "Post-Norm은 잔차를 더한 '뒤' 정규화합니다: norm1(x + attn(x)), 그다음 norm2(x + ffn(x)).",
    )


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
        if tuple(np.shape(a)) != tuple(shape):
            raise ValueError(
                f"f가 shape {tuple(int(n) for n in np.shape(a))}의 배열로 불렸습니다: x와 같은 shape으로 f를 "
                f"부르세요 (x.shape = {tuple(shape)}; 펼친 복사본이 아니라 x의 원소를 바꿔 가며 f(x))."
            )
        return float(np.sum(w * np.sin(a)) + 0.5 * np.sum(v * a) ** 2)

    grad = ns.numeric_gradient(f, x) if h is None else ns.numeric_gradient(f, x, h=h)
    return {
        "grad": grad,
        "x_before": x_before,
        "x_after": x,
        "w": w,
        "v": v,
        "shapes_seen": sorted(set(calls)),
        "calls": len(calls),
    }


def ng_inputs(seed, shape):
    """ng_smooth's x, w, v (ng_cubic's x: the first of them for shape n), rebuilt here in the grader from the
    seed: a check never compares with inputs read back from the student's process."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, shape)
    return x, rng.uniform(0.5, 2.0, shape), rng.uniform(-1.0, 1.0, shape)


def ng_replayed(seed, shape, mistake, h=1e-5):
    """What a known numeric_gradient mistake gives on ng_smooth's f, replayed here on the inputs rebuilt
    from the seed: "rows" moves a whole row x[i] at once, "no_restore" leaves each element at old - h."""
    x, w, v = ng_inputs(seed, shape)

    def f(a):
        return float(np.sum(w * np.sin(a)) + 0.5 * np.sum(v * a) ** 2)

    grad = np.zeros(x.shape)
    for idx in range(x.shape[0]) if mistake == "rows" else np.ndindex(x.shape):
        old = x[idx].copy() if mistake == "rows" else x[idx]
        x[idx] = old + h
        fp = f(x)
        x[idx] = old - h
        fm = f(x)
        if mistake == "rows":
            x[idx] = old
        grad[idx] = (fp - fm) / (2 * h)
    return grad


def ng_expected(seed, shape):
    x, w, v = ng_inputs(seed, shape)
    return w * np.cos(x) + np.sum(v * x) * v


@probe
def ng_cubic(ns, seed, n, h):
    """numeric_gradient of f(x) = sum(x**3) with a large step h: the centered difference is exactly 3x^2 + h^2."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, n)
    x_before = x.copy()
    grad = ns.numeric_gradient(lambda a: float(np.sum(a**3)), x, h=h)
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


def gn_inputs(seed, shape):
    """gn_backward's x, gamma, dout, rebuilt here in the grader from the seed."""
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3.0, (1, C, 1, 1)) + rng.uniform(-2, 2, (1, C, 1, 1))
    return x, rng.uniform(0.5, 2.0, C), rng.standard_normal(shape)


NG_CENTERED_HINT = (
    "중심 차분 (f(x + h e_i) - f(x - h e_i)) / (2h)을 쓰세요. 전진 차분 (f(x + h e_i) - f(x)) / h는 "
    "오차가 O(h)라 (h = 1e-5이면 약 1e-5) 역전파를 검사하기에 너무 부정확합니다."
)


@check("numeric_gradient", points=1)
def test_ng_matches_the_analytic_gradient(student, seed):
    """2차원 x, 모든 원소가 얽힌 매끄러운 함수: 해석적 gradient와 1e-7 안에서 같습니다 (기본 h = 1e-5)."""
    r = student(ng_smooth, seed=seed, shape=[4, 5], h=None)
    want = ng_expected(seed, [4, 5])
    # Centered differences with h = 1e-5: truncation h^2/6 * |f'''| <= 1e-10 * 40, rounding ~ 1e-16 * |f| / h
    # <= 1e-9; a forward difference errs by h/2 * |f''| ~ 1e-5. 1e-7 separates the two with margin.
    alts = {
        (
            "grad가 정확한 값의 2배입니다: 중심 차분을 2h가 아니라 "
            "h로 나눴습니다 ((f(x + h e_i) - f(x - h e_i)) / (2h))."
        ): 2 * want,
        "원소를 움직인 뒤 x[idx] = old로 되돌리지 않아 뒤의 원소들이 옮겨진 x에서 미분되었습니다: "
        "fp, fm을 구한 뒤 원래 값으로 되돌리세요.": ng_replayed(seed, [4, 5], "no_restore"),
        "x[i] 행 전체를 한꺼번에 움직였습니다: np.ndindex(x.shape)로 원소 하나씩 움직이세요 (x[idx]).": ng_replayed(
            seed, [4, 5], "rows"
        ),
    }
    allclose(r["grad"], want, "grad", NG_CENTERED_HINT, alts=alts, rtol=0.0, atol=1e-7)


@check("numeric_gradient", points=1)
def test_ng_centered_difference_with_the_given_h(student, seed):
    """f(x) = sum(x**3), h = 0.1: 중심 차분은 정확히 3x^2 + h^2 (전진 차분은 3x^2 + 3xh + h^2)."""
    r = student(ng_cubic, seed=seed, n=6, h=0.1)
    x = np.random.default_rng(seed).uniform(0.5, 2.0, 6)  # ng_cubic's x, rebuilt in the grader
    want = 3 * x**2 + 0.1**2
    got = expect.shape(r["grad"], (6,), name="grad")
    if np.all(np.isfinite(got)) and np.allclose(got, 3 * x**2 + 1e-10, rtol=1e-6):
        expect.fail("grad가 h = 1e-5 같은 다른 step으로 계산된 값입니다: 인자로 받은 h를 쓰세요.")
    if np.all(np.isfinite(got)) and np.allclose(got, want * 2, rtol=1e-9):
        expect.fail("grad가 정확히 2배입니다: 중심 차분은 2h로 나눕니다.")
    allclose(got, want, "grad (h=0.1)", NG_CENTERED_HINT, rtol=1e-9, atol=1e-12)


@check("numeric_gradient", points=0.5, requires="ng_matches_the_analytic_gradient")
def test_ng_restores_x(student, seed):
    """돌아온 뒤 x는 호출 전과 비트 단위로 같습니다 (원소를 잠시 바꿨다면 원래 값을 다시 넣습니다)."""
    r = student(ng_smooth, seed=seed, shape=[3, 4], h=None)
    try:
        expect.equal(r["x_after"], ng_inputs(seed, [3, 4])[0], name="x after numeric_gradient")
    except expect.CheckFailed as exc:
        expect.fail(
            f"{exc}\n힌트: old = x[idx]; ...; x[idx] = old 로 되돌리세요 "
            "(x[idx] += h; x[idx] -= 2 * h; x[idx] += h는 반올림 오차 때문에 원래 값이 아닐 수 있습니다)."
        )


GNB_HINT = (
    "GroupNorm의 평균·분산은 (샘플, 그룹)마다 m = (C // G) * H * W개 값의 함수입니다: x를 (N, G, m)으로 바꿔 "
    "BatchNorm/LayerNorm과 같은 식을 axis=2로 쓰고, dxhat = dout * gamma(채널별)입니다."
)


@check("groupnorm_backward", points=2)
def test_gnb_dx_matches_reference(student, reference, seed):
    """dx: (샘플, 그룹)마다 평균과 분산을 거쳐 가는 항까지 포함 ((3, 6, 4, 5), G = 3)."""
    kw = dict(shape=[3, 6, 4, 5], groups=3, eps=1e-5)
    x, gamma, dout = gn_inputs(seed, (3, 6, 4, 5))
    xg = x.reshape(3, 3, -1)
    constants = (dout * gamma[None, :, None, None]).reshape(3, 3, -1) / np.sqrt(xg.var(axis=2, keepdims=True) + 1e-5)
    alts = {
        "dx = dout * gamma / sqrt(var + eps)와 같습니다: 그룹의 평균과 분산도 x의 함수이므로 그 경로로 오는 두 항 "
        "(- sum(dxhat) - x_hat * sum(dxhat * x_hat)) / m을 더해야 합니다.": constants.reshape(x.shape)
    }
    allclose(
        student(gn_backward, seed=seed, **kw)["dx"],
        reference(gn_backward, seed=seed, **kw)["dx"],
        "dx",
        GNB_HINT,
        alts=alts,
    )


@check("groupnorm_backward", points=1)
def test_gnb_dgamma_and_dbeta_match_reference(student, reference, seed):
    """dgamma, dbeta: 채널마다, 배치와 공간 축 (0, 2, 3)으로 더합니다 (shape (C,))."""
    kw = dict(shape=[3, 6, 4, 5], groups=3, eps=1e-5)
    got, want = student(gn_backward, seed=seed, **kw), reference(gn_backward, seed=seed, **kw)
    hint = (
        "gamma, beta는 채널마다 하나이므로 dgamma = (dout * "
        "x_hat).sum(axis=(0, 2, 3)), dbeta = dout.sum(axis=(0, 2, 3))."
    )
    allclose(got["dbeta"], want["dbeta"], "dbeta", hint)
    allclose(got["dgamma"], want["dgamma"], "dgamma", hint)


@check("groupnorm_backward", points=0.5, requires="gnb_dx_matches_reference")
def test_gnb_uses_given_eps_and_does_not_mutate_x(student, reference, seed):
    """eps 인자 (0.5)를 sqrt 안에서 쓰고, x를 바꾸지 않습니다."""
    kw = dict(shape=[2, 6, 3, 2], groups=2, eps=0.5)
    r = student(gn_backward, seed=seed, **kw)
    try:  # the input as the trusted reference process built it, never the student's copy
        expect.equal(r["x_after"], reference(gn_backward, seed=seed, **kw)["x_before"], name="x")
    except expect.CheckFailed as exc:
        expect.fail(
            f"{exc}\n힌트: 입력 x를 제자리에서 바꾸지 마세요 (x -= mu 같은 in-place 연산 대신 새 배열을 만드세요)."
        )
    allclose(
        r["dx"],
        reference(gn_backward, seed=seed, **kw)["dx"],
        "dx (eps=0.5)",
        "eps 인자를 sqrt(var + eps) 안에서 씁니다.",
    )


@check("batchnorm_forward", points=1)
def test_bn_eval_mode_uses_running_statistics(student, reference, seed):
    """eval 모드는 배치 통계가 아니라 running_mean / running_var로 정규화합니다."""
    allclose(
        student(bn_eval, seed=seed, N=7, D=4)["out"],
        reference(bn_eval, seed=seed, N=7, D=4)["out"],
        "out (eval)",
        "eval 모드에서는 (x - running_mean) / sqrt(running_var + eps)입니다. mode를 확인하세요.",
    )


@check("batchnorm_forward", points=0.5, requires="bn_train_output_matches_reference")
def test_bn_eval_mode_does_not_update_running_stats(student, reference, seed):
    """eval 모드는 running statistics를 바꾸지 않습니다."""
    r, trusted = student(bn_eval, seed=seed, N=7, D=4), reference(bn_eval, seed=seed, N=7, D=4)
    for before, after, key in (("rm_before", "rm_after", "running_mean"), ("rv_before", "rv_after", "running_var")):
        try:
            expect.allclose(r[after], trusted[before], name=f"eval 뒤 bn_param['{key}']", rtol=0, atol=0)
        except expect.CheckFailed as exc:
            expect.fail(f"{exc}\n힌트: running statistics는 train 모드에서만 갱신합니다.")


@check("batchnorm_forward", points=0.5)
def test_bn_missing_running_stats_start_at_zeros_and_ones(student, reference, seed):
    """bn_param에 running statistics가 없으면 zeros / ones에서 시작 (nn.BatchNorm1d와 같음), eps 기본값 1e-5."""
    kw = dict(N=8, D=3, momentum=None, eps=None, running=False)
    s, r = student(bn_train, seed=seed, **kw), reference(bn_train, seed=seed, **kw)
    allclose(s["out"], r["out"], "out", "eps 기본값은 1e-5입니다.")
    hint = (
        "PyTorch는 running_mean = 0, running_var = 1로 시작합니다 "
        "(CS231n은 running_var도 0으로 시작). momentum 기본값 0.1."
    )
    running_allclose(s, r, "running_mean", None, hint)
    running_allclose(s, r, "running_var", None, hint)


@check("batchnorm_backward", points=0.5)
def test_bn_backward_dbeta_matches_reference(student, reference, seed):
    """dbeta = sum over the batch of dout."""
    allclose(
        student(bn_backward, seed=seed, N=16, D=5)["dbeta"],
        reference(bn_backward, seed=seed, N=16, D=5)["dbeta"],
        "dbeta",
        "dbeta는 dout을 배치 축(axis=0)으로 더한 것입니다 (평균이 아니라 합).",
    )


@check("spatial_batchnorm_forward", points=1)
def test_sbn_eval_mode_uses_running_statistics(student, reference, seed):
    """eval 모드는 채널별 running statistics로 정규화하고 그것을 바꾸지 않습니다."""
    s, r = student(sbn_train, seed=seed, mode="eval", **SBN), reference(sbn_train, seed=seed, mode="eval", **SBN)
    allclose(
        s["out"], r["out"], "out (eval)", "eval 모드에서는 running_mean / running_var를 (1, C, 1, 1)로 broadcast합니다."
    )
    allclose(s["running_mean"], r["running_mean"], "eval 뒤 bn_param['running_mean']", "eval 모드는 갱신하지 않습니다.")
    allclose(s["running_var"], r["running_var"], "eval 뒤 bn_param['running_var']", "eval 모드는 갱신하지 않습니다.")


@check("ghost_batchnorm_forward", points=1)
def test_gbn_running_stats_updated_once_per_chunk(student, reference, seed):
    """running statistics는 조각마다 한 번씩, 조각 순서대로 갱신 (N/v번)."""
    s, r = student(gbn_train, seed=seed, mode="train", **GBN), reference(gbn_train, seed=seed, mode="train", **GBN)
    hint = (
        "조각 k = 0, 1, ...마다 running = 0.9 * running + 0.1 * (조각의 통계), running_var에는 v - 1로 나눈 분산. "
        "전체 배치 통계로 한 번만 갱신하거나 조각 통계의 평균으로 갱신하면 다릅니다."
    )
    allclose(s["running_mean"], r["running_mean"], "bn_param['running_mean']", hint)
    allclose(s["running_var"], r["running_var"], "bn_param['running_var']", hint)


@check("ghost_batchnorm_forward", points=0.5)
def test_gbn_eval_mode_uses_running_statistics(student, reference, seed):
    """eval 모드는 batchnorm_forward의 eval과 같습니다 (running statistics, 갱신 없음)."""
    s, r = student(gbn_train, seed=seed, mode="eval", **GBN), reference(gbn_train, seed=seed, mode="eval", **GBN)
    allclose(
        s["out"], r["out"], "out (eval)", "eval 모드에서는 조각으로 나누지 않고 running statistics로 정규화합니다."
    )
    allclose(s["running_mean"], r["running_mean"], "eval 뒤 bn_param['running_mean']", "eval 모드는 갱신하지 않습니다.")
    allclose(s["running_var"], r["running_var"], "eval 뒤 bn_param['running_var']", "eval 모드는 갱신하지 않습니다.")


@check("layernorm_backward", points=0.5)
def test_ln_backward_dgamma_matches_reference(student, reference, seed):
    """dgamma = sum over the batch of dout * x_hat."""
    allclose(
        student(ln_backward, seed=seed, N=6, D=7)["dgamma"],
        reference(ln_backward, seed=seed, N=6, D=7)["dgamma"],
        "dgamma",
        "gamma는 feature마다 있으므로 dgamma는 배치 축(axis=0)으로 더합니다.",
    )


@check("layernorm_backward", points=0.5)
def test_ln_backward_dbeta_matches_reference(student, reference, seed):
    """dbeta = sum over the batch of dout."""
    allclose(
        student(ln_backward, seed=seed, N=6, D=7)["dbeta"],
        reference(ln_backward, seed=seed, N=6, D=7)["dbeta"],
        "dbeta",
        "beta는 feature마다 있으므로 dbeta는 배치 축(axis=0)으로 더합니다.",
    )


@check("rmsnorm_module", points=0.5)
def test_rms_module_eps_none_uses_machine_epsilon(student, reference, seed):
    """eps=None이면 torch.finfo(x.dtype).eps (float64: 2.2e-16)를 씁니다 (1e-6이 아님)."""
    kw = dict(shape=[2, 5, 8], normalized_shape=8, eps=None, scale=1e-9)
    allclose(
        student(rms_module, seed=seed, **kw)["y"],
        reference(rms_module, seed=seed, **kw)["y"],
        "y (eps=None)",
        "torch.nn.RMSNorm은 eps=None일 때 입력 dtype의 torch.finfo(x.dtype).eps를 씁니다.",
    )


@check("rmsnorm_module", points=0.5)
def test_rms_module_gradients_match_reference(student, reference, seed):
    """autograd가 주는 x.grad와 weight.grad가 기준과 같습니다."""
    s, r = student(rms_module, seed=seed, **RMS_MOD), reference(rms_module, seed=seed, **RMS_MOD)
    allclose(
        s["x_grad"],
        r["x_grad"],
        "x.grad",
        "torch 연산만으로 계산해야 gradient가 흐릅니다 (numpy로 바꾸거나 detach하지 마세요).",
        rtol=1e-9,
    )
    allclose(s["w_grad"], r["w_grad"], "weight.grad", "weight는 학습되는 nn.Parameter여야 합니다.", rtol=1e-9)


@check("spectral_norm_step", points=0.5)
def test_sn_returned_u_matches_reference(student, reference, seed):
    """돌려주는 u는 power iteration으로 갱신한 새 u = normalize(W v)."""
    kw = dict(shape=[5, 4], n_iter=1, gap=False)
    allclose(
        student(sn, seed=seed, **kw)["u"],
        reference(sn, seed=seed, **kw)["u"],
        "u",
        "다음 step에 이어 쓸 새 u를 돌려줍니다 (입력 u가 아니라).",
    )
