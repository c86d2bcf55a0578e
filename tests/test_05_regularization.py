"""Assignment 05 (regularization and optimization): the reference solution against PyTorch in float64,
and the pinned conventions that torch does not have (early stopping, bagging, noise)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from helpers import reference_namespace

AID = "05_regularization"
RTOL = 1e-10


@pytest.fixture(scope="module")
def ns():
    return reference_namespace(AID)


def close(a, b, rtol=RTOL, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def quadratic(seed, dim=6):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((dim, dim))
    return Q @ Q.T / dim + 0.5 * np.eye(dim), rng.standard_normal(dim), rng.standard_normal(dim)


# ------------------------------------------------------------------ penalties vs autograd
@pytest.mark.parametrize("seed", range(3))
def test_penalties_and_gradients_match_autograd(ns, seed):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in [(4, 3), (3,), (2, 2, 2)]]
    params[0][0, 0] = params[2][1, 1, 0] = 0.0
    lam = 0.37
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    l2 = 0.5 * lam * sum((t**2).sum() for t in ts)
    g2 = torch.autograd.grad(l2, ts)
    l1 = lam * sum(t.abs().sum() for t in ts)
    g1 = torch.autograd.grad(l1, ts)  # torch: d|x|/dx at 0 is 0 = sign(0)
    close(ns["l2_penalty"](params, lam), l2.item())
    close(ns["l1_penalty"](params, lam), l1.item())
    for mine, theirs in zip(ns["l2_penalty_grad"](params, lam), g2, strict=True):
        close(mine, theirs.numpy())
    for mine, theirs in zip(ns["l1_penalty_grad"](params, lam), g1, strict=True):
        close(mine, theirs.numpy())
    assert ns["l1_penalty_grad"](params, lam)[0][0, 0] == 0.0


def test_l2_gradient_is_what_torch_weight_decay_adds(ns):
    """One SGD step with weight_decay=lam equals one step on grad + l2_penalty_grad (the lambda/2 form)."""
    A, b, w = quadratic(0)
    lam, lr = 0.3, 0.1
    p = torch.tensor(w, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, weight_decay=lam)
    p.grad = torch.tensor(A @ w - b)
    opt.step()
    close(w - lr * (A @ w - b + ns["l2_penalty_grad"]([w], lam)[0]), p.detach().numpy())


# ------------------------------------------------------------------ optimizers vs torch.optim
def run_ours(step, w, A, b, steps, **kw):
    state, traj = {}, [w.copy()]
    for _ in range(steps):
        w = step(w, A @ w - b, state, **kw)
        traj.append(w.copy())
    return np.stack(traj), state


def run_torch(cls, w, A, b, steps, **kw):
    p = torch.tensor(w.copy(), requires_grad=True)
    opt = cls([p], **kw)
    At, bt = torch.tensor(A), torch.tensor(b)
    traj = [w.copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad = At @ p.detach() - bt
        opt.step()
        traj.append(p.detach().numpy().copy())
    return np.stack(traj), opt.state[p]


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.8, weight_decay=0.2),
    dict(lr=0.02, momentum=0.5, weight_decay=1e-3),
]


@pytest.mark.parametrize("kw", SGD_CASES)
@pytest.mark.parametrize("seed", range(2))
def test_sgd_trajectory_matches_torch(ns, kw, seed):
    A, b, w = quadratic(seed)
    ours, state = run_ours(ns["sgd_step"], w, A, b, 60, **kw)
    theirs, tstate = run_torch(torch.optim.SGD, w, A, b, 60, **kw)
    close(ours, theirs)
    if kw.get("momentum"):
        close(state["momentum_buffer"], tstate["momentum_buffer"].numpy())


ADAM_CASES = [
    dict(lr=0.05),
    dict(lr=0.02, betas=(0.8, 0.95), weight_decay=0.3),
    dict(lr=0.02, eps=1e-2),
    dict(lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=1e-2),
]


@pytest.mark.parametrize("kw", ADAM_CASES)
@pytest.mark.parametrize("seed", range(2))
def test_adam_trajectory_matches_torch(ns, kw, seed):
    A, b, w = quadratic(seed)
    ours, state = run_ours(ns["adam_step"], w, A, b, 60, **kw)
    theirs, tstate = run_torch(torch.optim.Adam, w, A, b, 60, **kw)
    close(ours, theirs)
    assert state["t"] == int(tstate["step"]) == 60
    close(state["m"], tstate["exp_avg"].numpy())
    close(state["v"], tstate["exp_avg_sq"].numpy())


ADAMW_CASES = [
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05),
    dict(lr=0.01, betas=(0.9, 0.99), weight_decay=0.5),
    dict(lr=0.02, eps=1e-3, weight_decay=0.0),
]


@pytest.mark.parametrize("kw", ADAMW_CASES)
@pytest.mark.parametrize("seed", range(2))
def test_adamw_trajectory_matches_torch(ns, kw, seed):
    A, b, w = quadratic(seed)
    ours, state = run_ours(ns["adamw_step"], w, A, b, 60, **kw)
    theirs, tstate = run_torch(torch.optim.AdamW, w, A, b, 60, **kw)
    close(ours, theirs)
    close(state["m"], tstate["exp_avg"].numpy())
    close(state["v"], tstate["exp_avg_sq"].numpy())


def test_sgd_l2_equals_decoupled_but_adam_l2_differs_from_adamw(ns):
    A, b, w = quadratic(3)
    lr, lam = 0.05, 0.1
    sgd, _ = run_ours(ns["sgd_step"], w, A, b, 100, lr=lr, weight_decay=lam)
    dec = [w.copy()]
    for _ in range(100):
        dec.append((1 - lr * lam) * dec[-1] - lr * (A @ dec[-1] - b))
    close(sgd, np.stack(dec), rtol=1e-9)
    adam, _ = run_ours(ns["adam_step"], w, A, b, 100, lr=lr, weight_decay=lam)
    adamw, _ = run_ours(ns["adamw_step"], w, A, b, 100, lr=lr, weight_decay=lam)
    assert np.max(np.abs(adam[-1] - adamw[-1])) > 1e-3


def test_optimizers_do_not_mutate_inputs(ns):
    rng = np.random.default_rng(0)
    for name, kw in [
        ("sgd_step", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
        ("adam_step", dict(lr=0.1, weight_decay=0.1)),
        ("adamw_step", dict(lr=0.1)),
    ]:
        w, g1, g2 = (rng.standard_normal(5) for _ in range(3))
        keep = [w.copy(), g1.copy(), g2.copy()]
        state = {}
        w1 = ns[name](w, g1, state, **kw)
        ns[name](w1, g2, state, **kw)
        for a, k in zip([w, g1, g2], keep, strict=True):
            np.testing.assert_array_equal(a, k)


# ------------------------------------------------------------------ schedules vs torch.optim.lr_scheduler
def torch_lrs(make_sched, steps, lr0):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = make_sched(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


def test_exponential_decay_matches_exponential_lr(ns):
    t = np.arange(80)
    close(
        ns["exponential_decay"](t, 0.1, 0.9),
        torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9), 80, 0.1),
        rtol=1e-12,
    )
    close(ns["exponential_decay"](t, 0.1), 0.1 * 0.95**t)


def test_step_decay_matches_step_lr(ns):
    t = np.arange(100)
    want = torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3), 100, 1.0)
    close(ns["step_decay"](t, 1.0, 7, 0.3), want, rtol=1e-12)
    assert ns["step_decay"](7, 1.0, 7, 0.3) == pytest.approx(0.3) and ns["step_decay"](6, 1.0, 7, 0.3) == 1.0


def test_inverse_sqrt_decay_formula(ns):
    t = np.arange(1, 1000)
    close(ns["inverse_sqrt_decay"](t, 0.5), 0.5 / np.sqrt(t))
    assert float(ns["inverse_sqrt_decay"](4, 3.0)) == 1.5


@pytest.mark.parametrize("step_size", [1, 5, 8])
def test_triangular_cyclic_matches_cyclic_lr(ns, step_size):
    steps = 10 * step_size + 3
    want = torch_lrs(
        lambda o: torch.optim.lr_scheduler.CyclicLR(
            o, base_lr=0.01, max_lr=0.1, step_size_up=step_size, mode="triangular", cycle_momentum=False
        ),
        steps,
        0.01,
    )
    close(ns["triangular_cyclic"](np.arange(steps), 0.01, 0.1, step_size), want, rtol=1e-10)


def test_cosine_without_warmup_matches_cosine_annealing_lr(ns):
    T, lr0, eta_min = 30, 0.1, 0.01
    t = np.arange(T + 1)
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min)
    closed = []
    for _ in range(T + 1):
        closed.append(sched._get_closed_form_lr()[0])
        opt.step()
        sched.step()
    close(ns["cosine_annealing"](t, lr0, T, eta_min), closed)
    # the recursive form torch uses in step() agrees up to its own rounding
    close(
        ns["cosine_annealing"](t, lr0, T, eta_min),
        torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=T, eta_min=eta_min), T + 1, lr0),
        rtol=1e-8,
    )


def test_cosine_warmup_pins(ns):
    f = ns["cosine_annealing"]
    t = np.arange(0, 41)
    lr = f(t, 0.2, 40, 0.0, 5)
    close(lr[:5], 0.2 * np.arange(5) / 5)
    assert lr[0] == 0.0 and lr[5] == pytest.approx(0.2) and lr[40] == pytest.approx(0.0, abs=1e-15)
    assert np.all(np.diff(lr[5:]) <= 0)
    with np.errstate(all="raise"):
        f(t, 0.2, 40, 0.01, 0)  # no division by zero without warmup


# ------------------------------------------------------------------ early stopping (pinned, no torch equivalent)
def test_early_stopping_pins(ns):
    ES = ns["EarlyStopping"]
    es = ES(patience=2)
    assert es.best == np.inf and es.best_epoch == -1 and es.best_state is None
    state = {"w": np.zeros(2)}
    out = []
    for m in [1.0, 0.5, 0.5, 0.7]:
        state["w"] += 1
        out.append(es.step(m, state))
    assert out == [False, False, False, True]  # tie is not an improvement; stop at >= patience
    assert es.best == 0.5 and es.best_epoch == 1 and es.num_bad_epochs == 2
    np.testing.assert_array_equal(es.best_state["w"], [2.0, 2.0])  # deep copy
    es = ES(patience=1, min_delta=0.1, mode="max")
    assert [es.step(m) for m in [0.5, 0.55, 0.7]] == [False, True, False]
    assert es.best == 0.7 and es.best_epoch == 2
    with pytest.raises(ValueError):
        ES(3, mode="avg")


# ------------------------------------------------------------------ bagging
def test_majority_vote_matches_scipy_mode(ns):
    from scipy import stats as st

    rng = np.random.default_rng(0)
    preds = rng.integers(0, 5, size=(6, 2000))
    want = st.mode(preds, axis=0, keepdims=False).mode  # scipy: ties -> smallest value
    np.testing.assert_array_equal(ns["majority_vote"](preds), want)
    assert ns["majority_vote"](preds).dtype == np.int64


def test_bootstrap_unique_fraction_is_one_minus_one_over_e(ns):
    rng = np.random.default_rng(0)
    n = 1000
    fr = [np.unique(ns["bootstrap_indices"](n, rng)).size / n for _ in range(200)]
    assert abs(np.mean(fr) - (1 - (1 - 1 / n) ** n)) < 0.005


def test_ensemble_variance_formula_matches_simulation(ns):
    rng = np.random.default_rng(1)
    for v, c, k in [(1.0, 0.0, 5), (2.0, 0.5, 4), (1.5, 1.5, 7)]:
        e = ns["sample_correlated_errors"](v, c, k, 200000, rng)
        cov = np.cov(e, rowvar=False)
        assert np.allclose(np.diag(cov), v, rtol=0.02)
        assert np.allclose(cov[~np.eye(k, dtype=bool)], c, atol=0.03)
        assert np.var(e.mean(axis=1)) == pytest.approx(float(ns["ensemble_error_variance"](v, c, k)), rel=0.02)


# ------------------------------------------------------------------ EMA vs torch.optim.swa_utils
def test_ema_matches_averaged_model_with_ema_fn(ns):
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2)).double()
    decay = 0.9
    ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    ema = None
    rng = np.random.default_rng(0)
    for _ in range(30):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.from_numpy(0.1 * rng.standard_normal(tuple(p.shape))))
        ema_model.update_parameters(model)  # first call copies the parameters
        params = [p.detach().numpy().copy() for p in model.parameters()]
        ema = [q.copy() for q in params] if ema is None else ns["ema_update"](ema, params, decay)
    for mine, theirs in zip(ema, ema_model.module.parameters(), strict=True):
        close(mine, theirs.detach().numpy())


def test_ema_and_noise_do_not_mutate(ns):
    rng = np.random.default_rng(0)
    e, p = [rng.standard_normal(3)], [rng.standard_normal(3)]
    e0, p0 = copy.deepcopy(e), copy.deepcopy(p)
    out = ns["ema_update"](e, p, 0.5)
    np.testing.assert_array_equal(e[0], e0[0])
    np.testing.assert_array_equal(p[0], p0[0])
    assert out[0] is not e[0]
    x = rng.standard_normal((50, 4))
    x0 = x.copy()
    y = ns["add_gaussian_noise"](x, 0.1, rng)
    np.testing.assert_array_equal(x, x0)
    assert y.shape == x.shape and y.dtype == np.float64
    np.testing.assert_array_equal(ns["add_gaussian_noise"](x, 0.0, rng), x)


# ------------------------------------------------------------------ soft-thresholding (L1 prox)
@pytest.mark.parametrize("tau", [0.0, 0.3, 1.5])
def test_soft_threshold_matches_torch_softshrink(ns, tau):
    w = np.random.default_rng(7).standard_normal((4, 6, 3))
    w.reshape(-1)[:4] = [tau, -tau, 0.0, 2 * tau]  # ties at |w| = tau: both give exactly 0
    before = w.copy()
    got = ns["soft_threshold"](w, tau)
    want = torch.nn.functional.softshrink(torch.from_numpy(w), lambd=tau).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(w, before)


def test_soft_threshold_is_the_l1_proximal_operator(ns):
    """argmin_u 1/2 (u - w)^2 + tau |u|, found by brute force on a fine grid, for a few scalars."""
    tau, grid = 0.4, np.linspace(-3, 3, 600001)
    for w in (-2.0, -0.41, -0.1, 0.0, 0.39, 0.4, 1.7):
        u = grid[np.argmin(0.5 * (grid - w) ** 2 + tau * np.abs(grid))]
        assert abs(float(ns["soft_threshold"](np.array([w]), tau)[0]) - u) <= 1e-5
