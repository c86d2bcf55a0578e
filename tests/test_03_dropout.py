"""Assignment 03 (dropout): the reference solution against PyTorch, in float64.

Random ops are compared with torch on the SAME mask: torch draws its mask, we read it back from torch's
output (x has no zeros) and hand it to the reference through a stand-in generator whose ``random()`` returns
uniforms that reproduce that mask. So the comparison is of the apply semantics (scaling rule, which axes
share a draw), never of two random streams. torchvision is not installed: its ``drop_block2d`` and
``stochastic_depth`` are transcribed below from torchvision/ops/{drop_block,stochastic_depth}.py with the
noise passed in.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import reference_namespace

RTOL = 1e-10


@pytest.fixture(scope="module")
def ns():
    return reference_namespace("03_dropout")


class FixedUniform:
    """Stands in for numpy.random.Generator: ``random(size)`` returns preset uniforms (broadcast to size)."""

    def __init__(self, u):
        self.u = np.asarray(u, dtype=np.float64)
        self.sizes = []

    def random(self, size=None):
        self.sizes.append(size)
        return np.broadcast_to(self.u, size).copy()


def keep_uniforms(keep, p):
    """Uniforms u with (u >= p) == keep."""
    return np.where(keep, 0.5 * (1.0 + p), 0.5 * p)


def close(a, b, rtol=RTOL, atol=1e-12):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------------
# dropout
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_dropout_forward_and_backward_match_torch_dropout_on_its_mask(ns, p):
    torch.manual_seed(0)
    x = torch.randn(40, 30, dtype=torch.float64, requires_grad=True)
    out_t = F.dropout(x, p, training=True)
    dout = torch.randn(40, 30, dtype=torch.float64)
    out_t.backward(dout)
    keep = (out_t != 0).numpy()
    # torch's own semantics: kept values scaled by 1/(1-p) (the drop-probability convention)
    close(out_t, x.detach().numpy() * keep / (1 - p))
    out, cache = ns["dropout_forward"](x.detach().numpy(), p, "train", FixedUniform(keep_uniforms(keep, p)))
    close(out, out_t)
    np.testing.assert_array_equal(cache[0], keep.astype(np.float64))
    close(ns["dropout_backward"](dout.numpy(), cache), x.grad)


def test_dropout_test_mode_matches_torch_eval(ns):
    x = torch.randn(10, 7, dtype=torch.float64)
    layer = torch.nn.Dropout(0.7).eval()
    out, cache = ns["dropout_forward"](x.numpy(), 0.7, "test", np.random.default_rng(0))
    close(out, layer(x))
    close(out, F.dropout(x, 0.7, training=False))
    dout = np.ones((10, 7))
    close(ns["dropout_backward"](dout, cache), dout)


def test_sample_dropout_mask_keeps_with_probability_one_minus_p(ns):
    m = ns["sample_dropout_mask"]((1000, 100), 0.2, np.random.default_rng(1))
    assert m.dtype == np.float64 and set(np.unique(m)) <= {0.0, 1.0}
    assert abs((m == 0).mean() - 0.2) < 0.01
    assert ns["sample_dropout_mask"]((5,), 0.0, np.random.default_rng(0)).all()
    assert not ns["sample_dropout_mask"]((5,), 1.0, np.random.default_rng(0)).any()


# ----------------------------------------------------------------------------------------------
# weight scaling inference rule
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_weight_scaling_rule_is_exact_for_a_linear_layer(ns, p):
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal((4, 7)), rng.standard_normal((7, 3)), rng.standard_normal(3)
    xt, Wt, bt = map(torch.from_numpy, (x, W, b))
    avg = ns["mask_average_linear"](x, W, b, p)
    close(avg, ns["weight_scaling_predict"](x, W, b, p))
    close(avg, F.linear(xt, ((1 - p) * Wt).T, bt))
    close(ns["mask_average_linear"](x, W, b, p, inverted=True), F.linear(xt, Wt.T, bt))


def test_mask_average_matches_brute_force_enumeration(ns):
    import itertools

    rng = np.random.default_rng(4)
    x, W, b, p = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2), 0.3
    total = np.zeros((3, 2))
    for r in itertools.product([0.0, 1.0], repeat=4):
        r = np.array(r)
        total += np.prod(np.where(r == 1, 1 - p, p)) * ((x * r) @ W + b)
    close(ns["mask_average_linear"](x, W, b, p), total)


# ----------------------------------------------------------------------------------------------
# DropConnect
# ----------------------------------------------------------------------------------------------
def test_dropconnect_linear_matches_torch_linear_on_masked_weights(ns):
    rng = np.random.default_rng(5)
    x, W, b, p = rng.standard_normal((6, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4), 0.7
    mask = ns["sample_dropconnect_mask"](W.shape, p, rng)
    assert mask.shape == W.shape and mask.dtype == np.float64
    want = F.linear(torch.from_numpy(x), torch.from_numpy(W * mask).T / (1 - p), torch.from_numpy(b))
    close(ns["dropconnect_linear"](x, W, b, mask, p), want)


# ----------------------------------------------------------------------------------------------
# spatial dropout
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_spatial_dropout_matches_torch_dropout2d_on_its_channel_mask(ns, p):
    torch.manual_seed(1)
    x = torch.randn(8, 6, 5, 4, dtype=torch.float64)
    out_t = torch.nn.Dropout2d(p).train()(x)
    zero = (out_t == 0).flatten(2)
    assert torch.equal(zero.all(-1), zero.any(-1))  # Dropout2d drops whole channel maps
    keep = ~zero.all(-1).numpy()[:, :, None, None]
    rng = FixedUniform(keep_uniforms(keep, p))
    close(ns["spatial_dropout"](x.numpy(), p, rng), out_t)
    assert rng.sizes == [(8, 6, 1, 1)]


# ----------------------------------------------------------------------------------------------
# DropBlock: torchvision.ops.drop_block2d transcribed, with the Bernoulli noise passed in
# ----------------------------------------------------------------------------------------------
def tv_drop_block2d_given_noise(inp, block_size, noise, eps=1e-6):
    noise = F.pad(noise, [block_size // 2] * 4, value=0)
    noise = F.max_pool2d(noise, stride=(1, 1), kernel_size=(block_size, block_size), padding=block_size // 2)
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    return inp * noise * normalize_scale, noise


def tv_gamma(p, H, W, bs):
    return (p * H * W) / ((bs**2) * ((H - bs + 1) * (W - bs + 1)))


@pytest.mark.parametrize("bs,H,W", [(3, 12, 16), (5, 9, 9), (1, 6, 7), (7, 7, 10)])
def test_dropblock_matches_torchvision_drop_block2d(ns, bs, H, W):
    p = 0.3
    gamma = tv_gamma(p, H, W, bs)
    g = torch.Generator().manual_seed(bs)
    x = torch.randn(4, 3, H, W, dtype=torch.float64, generator=g)
    noise = torch.empty(4, 3, H - bs + 1, W - bs + 1, dtype=torch.float64).bernoulli_(gamma, generator=g)
    want0, keep = tv_drop_block2d_given_noise(x, bs, noise, eps=0.0)
    want_eps, _ = tv_drop_block2d_given_noise(x, bs, noise)
    # our seeds are u < gamma on the same (N, C, H-bs+1, W-bs+1) grid
    rng = FixedUniform(np.where(noise.numpy() == 1, 0.5 * gamma, 0.5 * (1 + gamma)))
    mask = ns["sample_dropblock_mask"](x.shape, bs, p, rng)
    assert rng.sizes == [(4, 3, H - bs + 1, W - bs + 1)]
    np.testing.assert_array_equal(mask, keep.numpy())
    close(ns["dropblock"](x.numpy(), mask), want0)
    # torchvision adds eps=1e-6 to the kept count; the difference is below 1e-6 relative
    close(ns["dropblock"](x.numpy(), mask), want_eps, rtol=1e-6)


@pytest.mark.parametrize("bs,H,W,p", [(3, 12, 16, 0.2), (5, 9, 13, 0.7)])
def test_dropblock_gamma_is_torchvisions(ns, bs, H, W, p):
    gamma = tv_gamma(p, H, W, bs)
    below = ns["sample_dropblock_mask"]((2, 2, H, W), bs, p, FixedUniform(gamma * (1 - 1e-9)))
    above = ns["sample_dropblock_mask"]((2, 2, H, W), bs, p, FixedUniform(gamma * (1 + 1e-9)))
    assert not below.any() and above.all()


def test_dropblock_everything_dropped_is_zero(ns):
    out = ns["dropblock"](np.ones((2, 2, 3, 3)), np.zeros((2, 2, 3, 3)))
    assert np.array_equal(out, np.zeros((2, 2, 3, 3)))


# ----------------------------------------------------------------------------------------------
# stochastic depth: torchvision.ops.stochastic_depth(mode="row") transcribed, noise passed in
# ----------------------------------------------------------------------------------------------
def tv_stochastic_depth_row_given_noise(inp, p, noise):
    survival_rate = 1.0 - p
    if survival_rate > 0.0:
        noise = noise / survival_rate
    return inp * noise


@pytest.mark.parametrize("p", [0.2, 0.7])
def test_drop_path_matches_torchvision_stochastic_depth_row_mode(ns, p):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(32, 3, 4, 4, dtype=torch.float64, generator=g)
    noise = torch.empty(32, 1, 1, 1, dtype=torch.float64).bernoulli_(1 - p, generator=g)
    rng = FixedUniform(keep_uniforms(noise.numpy() == 1, p))
    close(ns["drop_path"](x.numpy(), p, True, rng), tv_stochastic_depth_row_given_noise(x, p, noise))
    assert rng.sizes == [(32, 1, 1, 1)]
    close(ns["drop_path"](x.numpy(), p, False, rng), x)


def test_stochastic_depth_rates_linear_rule_and_other_conventions(ns):
    L, pL = 12, 0.2
    rates = ns["stochastic_depth_rates"](L, pL)
    assert rates.dtype == np.float64 and rates.shape == (L,)
    close(rates, torch.linspace(pL / L, pL, L, dtype=torch.float64))
    # torchvision ConvNeXt/Swin: p_L * block_id / total_blocks with block_id from 0 = our rule shifted by one block
    close(rates[:-1], [pL * block_id / L for block_id in range(1, L)])
    close(ns["stochastic_depth_rates"](1, 0.3), [0.3])


# ----------------------------------------------------------------------------------------------
# MC dropout
# ----------------------------------------------------------------------------------------------
def test_mc_dropout_predict_matches_a_manual_torch_loop(ns):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 4)
    ).double()
    model.train()
    x = torch.randn(9, 5, dtype=torch.float64)
    rm = model[1].running_mean.clone()
    torch.manual_seed(123)
    mean, var = ns["mc_dropout_predict"](model, x, 50)
    assert model.training and model[1].training and model[3].training  # flags restored
    assert torch.equal(model[1].running_mean, rm)

    model.eval()
    model[3].train()
    torch.manual_seed(123)
    with torch.no_grad():
        outs = torch.stack([model(x) for _ in range(50)])
    close(mean, outs.mean(0))
    close(var, outs.var(0, unbiased=False))
    close(var, ((outs - outs.mean(0)) ** 2).mean(0))
    assert mean.dtype == torch.float64 and var.shape == (9, 4)


# ----------------------------------------------------------------------------------------------
# the checks' scipy-free Fisher exact test (public.py; hidden.py imports it)
# ----------------------------------------------------------------------------------------------
def test_checks_fisher_test_matches_scipy():
    from helpers import ROOT
    from scipy.stats import fisher_exact

    from autograder.checks import load_module

    public = load_module(ROOT / "checks" / "03_dropout" / "public.py", "_test_03_dropout_public")
    rng = np.random.default_rng(0)
    for _ in range(300):
        table = rng.multinomial(int(rng.integers(5, 3000)), rng.dirichlet([1, 1, 1, 1])).reshape(2, 2).tolist()
        want = fisher_exact(table)[1]
        assert public.fisher_exact_pvalue(table) == pytest.approx(want, rel=1e-9, abs=1e-12), table


# ----------------------------------------------------------------------------------------------
# numeric_gradient (appended)
# ----------------------------------------------------------------------------------------------
def test_numeric_gradient_matches_torch_autograd(ns):
    """Centered differences of sum(tanh(x @ A) * dout) against autograd: O(h^2) ~ 1e-10 at h = 1e-5."""
    rng = np.random.default_rng(0)
    x, A, dout = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    xt = torch.tensor(x, requires_grad=True)
    (torch.tanh(xt @ torch.tensor(A)) * torch.tensor(dout)).sum().backward()
    x0 = x.copy()
    num = ns["numeric_gradient"](lambda z: np.tanh(z @ A), x, dout, 1e-5)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_allclose(num, xt.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_numeric_gradient_checks_dropout_backward(ns):
    """The reference dropout_backward agrees with centered differences on the forward's fixed mask."""
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((5, 4, 3)), rng.standard_normal((5, 4, 3))
    _, cache = ns["dropout_forward"](x, 0.3, "train", np.random.default_rng(7))
    num = ns["numeric_gradient"](lambda z: ns["dropout_forward"](z, 0.3, "train", np.random.default_rng(7))[0], x, dout)
    np.testing.assert_allclose(ns["dropout_backward"](dout, cache), num, rtol=1e-8, atol=1e-10)
