"""02_normalization: the reference solution against PyTorch (float64) and against numeric gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import reference_namespace

AID = "02_normalization"
RTOL = 1e-10


@pytest.fixture(scope="module")
def ns():
    return reference_namespace(AID)


def close(got, want, rtol=RTOL, atol=1e-12):
    got = got.detach().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == np.float64, got.dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def t(a):
    return torch.from_numpy(np.array(a, dtype=np.float64))


def _data(seed, shape):
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal(shape) * 2.5 + 1.0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batchnorm_matches_torch_train_and_eval_with_running_stats(ns, seed, momentum):
    rng, x = _data(seed, (7, 5))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    rm, rv = rng.standard_normal(5), rng.uniform(0.5, 2, 5)
    bn = {"mode": "train", "momentum": momentum, "running_mean": rm.copy(), "running_var": rv.copy()}
    x0 = x.copy()
    out, _ = ns["batchnorm_forward"](x, gamma, beta, bn)
    trm, trv = t(rm), t(rv)
    want = F.batch_norm(t(x), trm, trv, t(gamma), t(beta), training=True, momentum=momentum, eps=1e-5)
    close(out, want)
    close(bn["running_mean"], trm)
    close(bn["running_var"], trv)  # torch mixes in the unbiased variance
    np.testing.assert_array_equal(x, x0)
    # eval mode: running statistics, no update
    x2 = rng.standard_normal((4, 5))
    rm_before, rv_before = bn["running_mean"].copy(), bn["running_var"].copy()
    out_eval, _ = ns["batchnorm_forward"](x2, gamma, beta, dict(bn, mode="eval"))
    bn["mode"] = "eval"
    ns["batchnorm_forward"](x2, gamma, beta, bn)
    close(out_eval, F.batch_norm(t(x2), trm, trv, t(gamma), t(beta), training=False, eps=1e-5))
    np.testing.assert_array_equal(bn["running_mean"], rm_before)
    np.testing.assert_array_equal(bn["running_var"], rv_before)


def test_batchnorm_default_running_stats_match_torch_module(ns):
    _, x = _data(5, (6, 3))
    bn = {"mode": "train"}
    out, _ = ns["batchnorm_forward"](x, np.ones(3), np.zeros(3), bn)
    m = torch.nn.BatchNorm1d(3).double()
    close(out, m(t(x)))
    close(bn["running_mean"], m.running_mean)
    close(bn["running_var"], m.running_var)


def test_momentum_retention_convention_differs_from_torch(ns):
    """The CS231n convention with PyTorch's momentum=0.1 is NOT torch's update (the variant's bug)."""
    _, x = _data(6, (6, 3))
    bn = {"mode": "train", "momentum": 0.1}
    ns["batchnorm_forward"](x, np.ones(3), np.zeros(3), bn)
    cs231n = 0.1 * np.zeros(3) + 0.9 * x.mean(axis=0)
    assert not np.allclose(bn["running_mean"], cs231n)
    np.testing.assert_allclose(bn["running_mean"], 0.1 * x.mean(axis=0), rtol=RTOL)


@pytest.mark.parametrize("seed", range(3))
def test_spatial_batchnorm_matches_torch(ns, seed):
    rng, x = _data(seed, (3, 4, 5, 2))
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    m = torch.nn.BatchNorm2d(4).double()
    with torch.no_grad():
        m.weight.copy_(t(gamma))
        m.bias.copy_(t(beta))
    bn = {"mode": "train"}
    out, _ = ns["spatial_batchnorm_forward"](x, gamma, beta, bn)
    close(out, m(t(x)))
    close(bn["running_mean"], m.running_mean)
    close(bn["running_var"], m.running_var)
    m.eval()
    bn["mode"] = "eval"
    x2 = rng.standard_normal((2, 4, 3, 3))
    close(ns["spatial_batchnorm_forward"](x2, gamma, beta, bn)[0], m(t(x2)))


@pytest.mark.parametrize("v", [2, 4, 12])
def test_ghost_batchnorm_matches_torch_on_consecutive_chunks(ns, v):
    rng, x = _data(v, (12, 5))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    m = torch.nn.BatchNorm1d(5, momentum=0.2).double()
    with torch.no_grad():
        m.weight.copy_(t(gamma))
        m.bias.copy_(t(beta))
    want = torch.cat([m(chunk) for chunk in t(x).split(v)])
    bn = {"mode": "train", "momentum": 0.2}
    out, _ = ns["ghost_batchnorm_forward"](x, gamma, beta, bn, v)
    close(out, want)
    close(bn["running_mean"], m.running_mean)
    close(bn["running_var"], m.running_var)
    m.eval()
    bn["mode"] = "eval"
    close(ns["ghost_batchnorm_forward"](x, gamma, beta, bn, v)[0], m(t(x)))


@pytest.mark.parametrize("eps", [1e-5, 0.3])
def test_layernorm_matches_torch(ns, eps):
    rng, x = _data(1, (6, 9))
    gamma, beta = rng.standard_normal(9), rng.standard_normal(9)
    out, _ = ns["layernorm_forward"](x, gamma, beta, eps=eps)
    close(out, F.layer_norm(t(x), (9,), t(gamma), t(beta), eps=eps))


@pytest.mark.parametrize("eps", [1e-5, 0.3])
def test_instancenorm_matches_torch(ns, eps):
    _, x = _data(2, (3, 4, 5, 6))
    close(ns["instancenorm_forward"](x, eps=eps), F.instance_norm(t(x), eps=eps))


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_groupnorm_matches_torch(ns, groups):
    rng, x = _data(groups, (2, 6, 4, 3))
    gamma, beta = rng.standard_normal(6), rng.standard_normal(6)
    out = ns["groupnorm_forward"](x, gamma, beta, groups)
    close(out, F.group_norm(t(x), groups, t(gamma), t(beta), eps=1e-5))
    out = ns["groupnorm_forward"](x, gamma, beta, groups, eps=0.5)
    close(out, F.group_norm(t(x), groups, t(gamma), t(beta), eps=0.5))


def test_rmsnorm_forward_matches_torch(ns):
    rng, x = _data(3, (2, 5, 7))
    w = rng.standard_normal(7)
    close(ns["rmsnorm_forward"](x, w, 1e-6), F.rms_norm(t(x), (7,), t(w), eps=1e-6))


@pytest.mark.parametrize("shape,eps,scale", [(7, 1e-6, 1.0), ((3, 7), None, 1.0), (7, None, 1e-9)])
def test_rmsnorm_module_matches_torch_forward_and_backward(ns, shape, eps, scale):
    rng, x = _data(4, (2, 3, 7))
    x = x * scale
    ours = ns["RMSNorm"](shape, eps=eps).double()
    theirs = torch.nn.RMSNorm(shape, eps=eps).double()
    close(ours.weight, theirs.weight)
    w = rng.standard_normal(tuple(theirs.weight.shape))
    with torch.no_grad():
        ours.weight.copy_(t(w))
        theirs.weight.copy_(t(w))
    xa, xb = t(x).requires_grad_(), t(x).requires_grad_()
    ya, yb = ours(xa), theirs(xb)
    close(ya, yb)
    g = t(rng.standard_normal(x.shape))
    (ya * g).sum().backward()
    (yb * g).sum().backward()
    close(xa.grad, xb.grad, rtol=1e-9, atol=0.0)
    close(ours.weight.grad, theirs.weight.grad, rtol=1e-9)


@pytest.mark.parametrize("shape,dim", [((5, 3), 0), ((5, 3), 1), ((4, 3, 2, 2), 0), ((4, 3, 2, 2), 1), ((5, 3), None)])
def test_weight_norm_matches_torch_parametrization(ns, shape, dim):
    rng = np.random.default_rng(0)
    v = rng.standard_normal(shape)
    conv = len(shape) == 4
    mod = (torch.nn.Conv2d(shape[1], shape[0], shape[2]) if conv else torch.nn.Linear(shape[1], shape[0])).double()
    torch.nn.utils.parametrizations.weight_norm(mod, dim=dim)
    g_shape = tuple(mod.parametrizations.weight.original0.shape)
    g = rng.uniform(0.5, 2.0, g_shape)
    with torch.no_grad():
        mod.parametrizations.weight.original0.copy_(t(g))
        mod.parametrizations.weight.original1.copy_(t(v))
    close(ns["weight_norm"](v, g, dim=dim), mod.weight)


@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_step_matches_torch_training_mode(ns, n_iter):
    rng = np.random.default_rng(n_iter)
    W = rng.standard_normal((5, 4))
    u = rng.standard_normal(5)
    u /= np.linalg.norm(u)
    lin = torch.nn.Linear(4, 5).double()
    torch.nn.utils.spectral_norm(lin, n_power_iterations=n_iter)
    with torch.no_grad():
        lin.weight_orig.copy_(t(W))
        lin.weight_u.copy_(t(u))
    lin.train()
    lin(torch.zeros(1, 4, dtype=torch.float64))  # the pre-forward hook does the power iteration
    u0 = u.copy()
    W_sn, u_new, sigma = ns["spectral_norm_step"](W, u, n_power_iterations=n_iter)
    close(W_sn, lin.weight)
    close(u_new, lin.weight_u)
    np.testing.assert_allclose(sigma, float((lin.weight_orig / lin.weight).detach()[0, 0]), rtol=1e-10)
    np.testing.assert_array_equal(u, u0)


def _set_block(layer, block):
    with torch.no_grad():
        block.attn.mha.in_proj_weight.copy_(layer.self_attn.in_proj_weight)
        block.attn.mha.in_proj_bias.copy_(layer.self_attn.in_proj_bias)
        block.attn.mha.out_proj.weight.copy_(layer.self_attn.out_proj.weight)
        block.attn.mha.out_proj.bias.copy_(layer.self_attn.out_proj.bias)
        for name in ("linear1", "linear2"):
            getattr(block.ffn, name).weight.copy_(getattr(layer, name).weight)
            getattr(block.ffn, name).bias.copy_(getattr(layer, name).bias)
        for name in ("norm1", "norm2"):
            getattr(block, name).weight.copy_(getattr(layer, name).weight)
            getattr(block, name).bias.copy_(getattr(layer, name).bias)


@pytest.mark.parametrize("norm_first,cls", [(True, "PreNormBlock"), (False, "PostNormBlock")])
@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_blocks_match_transformer_encoder_layer(ns, norm_first, cls, eps):
    torch.manual_seed(0)
    d, h, dff = 16, 4, 24
    layer = torch.nn.TransformerEncoderLayer(
        d, h, dff, dropout=0.0, batch_first=True, norm_first=norm_first, layer_norm_eps=eps
    ).double()
    with torch.no_grad():  # non-trivial norm parameters
        for name in ("norm1", "norm2"):
            getattr(layer, name).weight.uniform_(0.5, 1.5)
            getattr(layer, name).bias.normal_()
    block = ns[cls](d, ns["SelfAttention"](d, h), ns["FeedForward"](d, dff), eps=eps).double()
    _set_block(layer, block)
    x = torch.randn(3, 6, d, dtype=torch.float64) * 2 + 0.5
    layer.train()  # dropout=0; avoids the fast path of eval mode
    close(block(x), layer(x))


def _numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = f(x)
        x[idx] = old - h
        fm = f(x)
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
@pytest.mark.parametrize("seed", range(3))
def test_backward_matches_autograd_and_numeric_gradient(ns, kind, seed):
    rng = np.random.default_rng(seed)
    N, D = 6, 5
    x = rng.standard_normal((N, D)) * 2 + 1
    gamma, beta, dout = rng.standard_normal(D), rng.standard_normal(D), rng.standard_normal((N, D))
    if kind == "batchnorm":
        fwd = lambda x_, g_, b_: ns["batchnorm_forward"](x_, g_, b_, {"mode": "train"})
        tfwd = lambda x_, g_, b_: F.batch_norm(x_, None, None, g_, b_, training=True, eps=1e-5)
    else:
        fwd = ns["layernorm_forward"]
        tfwd = lambda x_, g_, b_: F.layer_norm(x_, (D,), g_, b_, eps=1e-5)
    _, cache = fwd(x, gamma, beta)
    dx, dgamma, dbeta = ns[f"{kind}_backward"](dout, cache)
    tx, tg, tb = t(x).requires_grad_(), t(gamma).requires_grad_(), t(beta).requires_grad_()
    (tfwd(tx, tg, tb) * t(dout)).sum().backward()
    close(dx, tx.grad, rtol=1e-9, atol=1e-12)
    close(dgamma, tg.grad, rtol=1e-9)
    close(dbeta, tb.grad, rtol=1e-9)
    loss_x = lambda x_: float(np.sum(fwd(x_, gamma, beta)[0] * dout))
    loss_g = lambda g_: float(np.sum(fwd(x, g_, beta)[0] * dout))
    loss_b = lambda b_: float(np.sum(fwd(x, gamma, b_)[0] * dout))
    np.testing.assert_allclose(dx, _numeric_grad(loss_x, x.copy()), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dgamma, _numeric_grad(loss_g, gamma.copy()), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dbeta, _numeric_grad(loss_b, beta.copy()), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("groups,eps", [(1, 1e-5), (2, 1e-5), (3, 0.5), (6, 1e-5)])
def test_groupnorm_backward_matches_autograd(ns, groups, eps):
    rng, x = _data(10 + groups, (2, 6, 4, 3))
    gamma, beta, dout = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal((2, 6, 4, 3))
    x0 = x.copy()
    dx, dgamma, dbeta = ns["groupnorm_backward"](dout, x, gamma, groups, eps=eps)
    np.testing.assert_array_equal(x, x0)
    tx, tg, tb = t(x).requires_grad_(), t(gamma).requires_grad_(), t(beta).requires_grad_()
    (F.group_norm(tx, groups, tg, tb, eps=eps) * t(dout)).sum().backward()
    close(dx, tx.grad, rtol=1e-9, atol=1e-12)
    close(dgamma, tg.grad, rtol=1e-9)
    close(dbeta, tb.grad, rtol=1e-9)


def test_numeric_gradient_is_centered_and_restores_x(ns):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (3, 4, 2))
    x0 = x.copy()
    g = ns["numeric_gradient"](lambda a: float(np.sum(np.sin(a)) + np.sum(a) ** 2), x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_allclose(g, np.cos(x0) + 2 * np.sum(x0), rtol=0, atol=1e-8)
    # sum(x**3) with h = 0.1: the centered difference is exactly 3x^2 + h^2 (what the public check expects)
    c = ns["numeric_gradient"](lambda a: float(np.sum(a**3)), x0[0, :, 0].copy(), h=0.1)
    np.testing.assert_allclose(c, 3 * x0[0, :, 0] ** 2 + 0.01, rtol=1e-10)
    # it agrees with torch.autograd on a normalization layer (the use the notebook makes of it)
    xg, gamma, dout = rng.standard_normal((2, 4, 2, 2)), rng.standard_normal(4), rng.standard_normal((2, 4, 2, 2))
    num = ns["numeric_gradient"](lambda a: float(np.sum(F.group_norm(t(a), 2, t(gamma)).numpy() * dout)), xg.copy())
    tx = t(xg).requires_grad_()
    (F.group_norm(tx, 2, t(gamma)) * t(dout)).sum().backward()
    np.testing.assert_allclose(num, tx.grad.numpy(), rtol=1e-6, atol=1e-8)
