"""01_initialization: the reference solution against PyTorch (float64), and properties specific to it."""

from __future__ import annotations

import itertools
import math
from unittest import mock

import numpy as np
import pytest
import torch
from helpers import reference_namespace
from scipy import stats as st

AID = "01_initialization"


@pytest.fixture(scope="module")
def ns():
    return reference_namespace(AID)


SHAPES = [(300, 100), (10, 64), (7, 7), (16, 32, 3, 3), (8, 3, 5), (4, 2, 3, 3, 3), (32, 16, 1, 1), (5, 1, 2, 2)]
GAIN_CASES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.0),
    ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5.0)),
    ("selu", None),
]


# ------------------------------------------------------------------------------------------------
# fans and gains: exactly torch's
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
def test_compute_fans_matches_torch(ns, shape):
    want = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert tuple(ns["compute_fans"](shape)) == tuple(want)


@pytest.mark.parametrize("shape", [(5,), ()])
def test_compute_fans_rejects_fewer_than_two_dims_like_torch(ns, shape):
    with pytest.raises(ValueError):
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError):
        ns["compute_fans"](shape)


@pytest.mark.parametrize("name,param", GAIN_CASES)
def test_calculate_gain_matches_torch(ns, name, param):
    want = torch.nn.init.calculate_gain(name, param)
    got = ns["calculate_gain"](name, param)
    assert isinstance(got, float)
    assert got == pytest.approx(want, rel=1e-15, abs=0)


def test_calculate_gain_rejects_unknown_name_like_torch(ns):
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("gelu2")
    with pytest.raises(ValueError):
        ns["calculate_gain"]("gelu2")


# ------------------------------------------------------------------------------------------------
# bounds and stds: the numbers torch draws with
# ------------------------------------------------------------------------------------------------
class _Capture:
    """Records the arguments of the in-place samplers torch.nn.init calls (Tensor.uniform_, Tensor.normal_)."""

    def __init__(self):
        self.calls = []
        self._patches = []

    def __enter__(self):
        for name in ("uniform_", "normal_"):
            orig = getattr(torch.Tensor, name)

            def fake(t, *args, _orig=orig, _name=name, **kwargs):
                self.calls.append((_name, args, kwargs))
                return _orig(t, *args, **kwargs)

            self._patches.append(mock.patch.object(torch.Tensor, name, fake))
        for p in self._patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self._patches:
            p.stop()


class _RecordingRng:
    """Stands in for numpy's Generator: records the distribution parameters and returns zeros."""

    def __init__(self):
        self.calls = []

    def uniform(self, low=0.0, high=1.0, size=None):
        self.calls.append(("uniform", float(low), float(high)))
        return np.zeros(size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        self.calls.append(("normal", float(loc), float(scale)))
        return np.zeros(size)


TORCH_INITS = {
    "xavier_uniform": torch.nn.init.xavier_uniform_,
    "xavier_normal": torch.nn.init.xavier_normal_,
    "kaiming_uniform": torch.nn.init.kaiming_uniform_,
    "kaiming_normal": torch.nn.init.kaiming_normal_,
}
INIT_CASES = [
    ("xavier_uniform", (300, 100), {}),
    ("xavier_uniform", (32, 16, 5, 5), {"gain": 5 / 3}),
    ("xavier_normal", (300, 100), {}),
    ("xavier_normal", (32, 16, 5, 5), {"gain": 5 / 3}),
    ("kaiming_uniform", (300, 100), {}),
    ("kaiming_uniform", (16, 32, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_uniform", (64, 128), {"a": math.sqrt(5.0)}),
    ("kaiming_uniform", (8, 4, 3), {"nonlinearity": "selu"}),
    ("kaiming_normal", (300, 100), {}),
    ("kaiming_normal", (16, 32, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal", (128, 256), {"nonlinearity": "tanh"}),
    ("kaiming_normal", (20, 10), {"a": 0.2, "nonlinearity": "leaky_relu", "mode": "fan_out"}),
]


def _torch_params(fn, shape, kwargs):
    cap = _Capture()
    with cap:
        TORCH_INITS[fn](torch.empty(shape, dtype=torch.float64), **kwargs)
    ((name, args, kw),) = cap.calls
    vals = list(args) + [kw[k] for k in ("from", "to", "mean", "std") if k in kw]
    return name, [float(v) for v in vals]


@pytest.mark.parametrize("fn,shape,kwargs", INIT_CASES)
def test_initializer_draws_with_torchs_bound_or_std(ns, fn, shape, kwargs):
    kind, params = _torch_params(fn, shape, kwargs)
    rng = _RecordingRng()
    out = ns[fn](shape, rng=rng, **kwargs)
    assert out.shape == shape and out.dtype == np.float64
    ((rkind, p0, p1),) = rng.calls
    if kind == "uniform_":
        assert rkind == "uniform"
        assert [p0, p1] == pytest.approx(params, rel=1e-12)
    else:
        assert rkind == "normal"
        mean, std = params
        assert p0 == mean == 0.0
        assert p1 == pytest.approx(std, rel=1e-12)


@pytest.mark.parametrize("fn,shape,kwargs", INIT_CASES)
def test_reference_samples_follow_the_same_law_as_torch(ns, fn, shape, kwargs):
    """Two-sample KS between the reference's draws and torch's own draws for the same shape and arguments."""
    copies = -(-20000 // int(np.prod(shape)))
    rng, g = np.random.default_rng(1), torch.Generator().manual_seed(2)
    ours = np.concatenate([ns[fn](shape, rng=rng, **kwargs).ravel() for _ in range(copies)])
    theirs = np.concatenate(
        [
            TORCH_INITS[fn](torch.empty(shape, dtype=torch.float64), **kwargs, generator=g).numpy().ravel()
            for _ in range(copies)
        ]
    )
    assert st.ks_2samp(ours, theirs).pvalue > 1e-6
    if fn.endswith("uniform"):
        assert np.abs(ours).max() <= _torch_params(fn, shape, kwargs)[1][1]


# ------------------------------------------------------------------------------------------------
# orthogonal: same algorithm as torch.nn.init.orthogonal_, on the same normal draws
# ------------------------------------------------------------------------------------------------
class _FeedNormal:
    """Makes Tensor.normal_ write a given matrix (so torch and the reference see the same draws)."""

    def __init__(self, z):
        self.z = z

        def fake(t, *args, **kwargs):
            assert tuple(t.shape) == self.z.shape
            with torch.no_grad():
                t.copy_(torch.from_numpy(self.z))
            return t

        self._patch = mock.patch.object(torch.Tensor, "normal_", fake)

    def __enter__(self):
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


class _FixedNormalRng:
    def __init__(self, z):
        self.z = z

    def standard_normal(self, size=None):
        assert tuple(size) == self.z.shape
        return self.z.copy()


@pytest.mark.parametrize(
    "shape,gain", [((50, 120), 1.0), ((120, 50), 1.5), ((8, 4, 3, 3), 1.0), ((40, 2, 3), 0.7), ((6, 6), 2.0)]
)
def test_orthogonal_matches_torch_on_the_same_draws(ns, shape, gain):
    rows, cols = shape[0], int(np.prod(shape[1:]))
    z = np.random.default_rng(0).standard_normal((rows, cols))
    t = torch.empty(shape, dtype=torch.float64)
    with _FeedNormal(z):
        torch.nn.init.orthogonal_(t, gain=gain)
    got = ns["orthogonal"](shape, gain=gain, rng=_FixedNormalRng(z))
    np.testing.assert_allclose(got, t.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------------------------------------
# symmetry exercise against autograd
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("steps", [1, 7])
def test_train_two_layer_matches_autograd(ns, steps):
    rng = np.random.default_rng(5)
    H, D, K, N, lr = 6, 4, 3, 32, 0.3
    X, y = rng.standard_normal((N, D)), rng.standard_normal((N, K))
    init = [
        0.5 * rng.standard_normal((H, D)),
        0.1 * rng.standard_normal(H),
        0.5 * rng.standard_normal((K, H)),
        0.1 * rng.standard_normal(K),
    ]
    params = [torch.tensor(p, requires_grad=True) for p in init]
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(steps):
        W1, b1, W2, b2 = params
        out = torch.tanh(Xt @ W1.T + b1) @ W2.T + b2
        loss = 0.5 * ((out - yt) ** 2).sum() / N
        grads = torch.autograd.grad(loss, params)
        params = [(p - lr * g).detach().requires_grad_(True) for p, g in zip(params, grads, strict=True)]
    got = ns["train_two_layer"](*init, X, y, lr, steps)
    for g, w in zip(got, params, strict=True):
        np.testing.assert_allclose(g, w.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_constant_init_stays_symmetric_and_random_init_breaks_it(ns):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5)), rng.standard_normal((40, 2))
    const = [np.full((8, 5), 0.3), np.full(8, 0.1), np.full((2, 8), -0.2), np.zeros(2)]
    W1, b1, W2, _ = ns["train_two_layer"](*const, X, y, 0.5, 100)
    assert ns["hidden_units_identical"](W1, b1, W2) is True
    assert not np.allclose(W1, const[0])  # it did learn something
    rand = [0.5 * rng.standard_normal((8, 5)), np.zeros(8), 0.5 * rng.standard_normal((2, 8)), np.zeros(2)]
    W1, b1, W2, _ = ns["train_two_layer"](*rand, X, y, 0.5, 100)
    assert ns["hidden_units_identical"](W1, b1, W2) is False


# ------------------------------------------------------------------------------------------------
# activation_stats against torch
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "linear"])
def test_activation_stats_match_torch(ns, act):
    rng = np.random.default_rng(1)
    dims = [7, 5, 9, 4, 6]
    x = rng.standard_normal((20, 7))
    weights = [rng.standard_normal((b, a)) / math.sqrt(a) for a, b in itertools.pairwise(dims)]
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda t: t}[act]
    h = torch.tensor(x)
    means, stds, hs = ns["activation_stats"](x, weights, act)
    for i, w in enumerate(weights):
        h = f(torch.nn.functional.linear(h, torch.tensor(w)))
        np.testing.assert_allclose(hs[i], h.numpy(), rtol=1e-10, atol=1e-12)
        assert means[i] == pytest.approx(float(h.mean()), rel=1e-10, abs=1e-12)
        assert stds[i] == pytest.approx(float(h.std(unbiased=False)), rel=1e-10)


# ------------------------------------------------------------------------------------------------
# LSUV and Fixup
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(10))
def test_lsuv_reaches_unit_variance_in_every_layer(ns, seed):
    g = torch.Generator().manual_seed(seed)
    model = ns["MLP"]([32, 100, 50, 80, 10], "relu", generator=g)
    with torch.no_grad():
        for layer in model.layers:
            layer.bias.normal_(0.0, 0.5, generator=g)
    x = torch.randn(256, 32, generator=g)
    assert ns["lsuv_init"](model, x, tol=0.02, generator=torch.Generator().manual_seed(seed + 1)) is model
    outs = []
    hooks = [layer.register_forward_hook(lambda m, i, o: outs.append(o.double())) for layer in model.layers]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    assert all(abs(float(o.var()) - 1) < 0.02 for o in outs)


@pytest.mark.parametrize("L,m", [(8, 2), (16, 3), (10, 4), (1, 2), (1000, 2)])
def test_fixup_scale_formula(ns, L, m):
    assert ns["fixup_scale"](L, m) == pytest.approx(L ** (-1.0 / (2 * m - 2)), rel=1e-15)


def test_fixup_init_makes_blocks_identity_and_scales_he(ns):
    g = torch.Generator().manual_seed(0)
    model = ns["TinyResNet"](num_blocks=16, layers_per_branch=2, width=64, hidden=128, generator=g)
    stem_before = model.stem.weight.detach().clone()
    ns["fixup_init"](model, generator=torch.Generator().manual_seed(1))
    x = torch.randn(64, 64, generator=g)
    with torch.no_grad():
        assert torch.equal(model.features(x), model.stem(x))
        assert torch.equal(model(x), torch.zeros(64, 10))
    assert torch.equal(model.stem.weight, stem_before)
    w = torch.cat([b.layers[0].weight.detach().ravel() for b in model.blocks]).double()
    want_std = math.sqrt(2.0 / 64) * 16**-0.5
    assert float(w.std()) == pytest.approx(want_std, rel=0.02)


# ------------------------------------------------------------------------------------------------
# layer_gradient_norms against torch autograd
# ------------------------------------------------------------------------------------------------
def _torch_gradient_norms(x, weights, act, grad_output):
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda t: t}[act]
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    h = torch.tensor(x, requires_grad=True)
    inputs = [h]
    for i, w in enumerate(ws):
        h = f(torch.nn.functional.linear(h, w))
        if i < len(ws) - 1:
            h.retain_grad()
            inputs.append(h)
    (h * torch.tensor(grad_output)).sum().backward()
    return ([float(w.grad.norm()) for w in ws], [float(t.grad.norm()) for t in inputs])


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("zero_rows", [0, 4])
def test_layer_gradient_norms_match_torch_autograd(ns, act, zero_rows):
    """Both norms equal torch's autograd, including rows whose pre-activations are exactly 0 (relu'(0) = 0)."""
    rng = np.random.default_rng(3)
    dims = [6, 9, 5, 8, 4]
    x = rng.standard_normal((16, 6))
    x[:zero_rows] = 0.0
    weights = [rng.standard_normal((b, a)) * 1.5 / math.sqrt(a) for a, b in itertools.pairwise(dims)]
    grad_output = rng.standard_normal((16, 4))
    want_w, want_h = _torch_gradient_norms(x, weights, act, grad_output)
    got_w, got_h = ns["layer_gradient_norms"](x, weights, act, grad_output)
    assert got_w.dtype == got_h.dtype == np.float64 and got_w.shape == got_h.shape == (4,)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_h, want_h, rtol=1e-10, atol=1e-12)


def test_relu_zero_rows_discriminate_the_derivative_at_zero(ns):
    """The hand-built input of the public check separates relu'(0) = 0 (PyTorch) from relu'(0) = 1."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 6))
    x[:6] = 0.0
    weights = [rng.standard_normal((b, a)) for a, b in [(6, 8), (8, 5), (5, 7)]]
    grad_output = rng.standard_normal((20, 7))
    _, right = ns["layer_gradient_norms"](x, weights, "relu", grad_output)
    hs = [x]
    for w in weights:
        hs.append(np.maximum(hs[-1] @ w.T, 0.0))
    g = grad_output
    for k in range(len(weights) - 1, -1, -1):  # the same backward pass with relu'(0) = 1
        g = (g * (hs[k] @ weights[k].T >= 0)) @ weights[k]
    assert abs(np.linalg.norm(g) - right[0]) > 1e-3 * right[0]
