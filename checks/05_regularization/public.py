"""Public checks of assignment 05_regularization: students see and run these.

Deterministic exercises are compared with the reference solution (float64, rtol 1e-10);
random ones (bootstrap, correlated errors, noise) are graded by distribution with a stated
false-failure probability (<= 1e-7 per check).
"""

import numpy as np

from autograder import expect, stats
from autograder.checks import check, probe


# ------------------------------------------------------------------------------------------
# helpers (run in the grader)
# ------------------------------------------------------------------------------------------
def _array_list(got, want, name):
    """Compare a list of arrays (e.g. gradients of [W1, b1, ...]) element by element."""
    expect.true(isinstance(got, list), f"`{name}`: 배열의 리스트를 반환해야 합니다 (params와 같은 순서).")
    expect.true(
        len(got) == len(want),
        f"`{name}`: 길이 {len(want)}인 리스트여야 하는데 길이가 {len(got)}입니다. "
        "params의 모든 배열에 대해 하나씩 반환하세요.",
    )
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        expect.allclose(g, w, name=f"{name}[{i}]")


_hinted = expect.hinted  # hint appended to a failure (when its numbers fit the mistake)


def _trajectory(r, name="w"):
    if "bad" in r:
        expect.fail(f"`{name}`: 새 numpy 배열을 반환해야 하는데 {r['bad']}을(를) 반환했습니다.")
    return r["traj"]


OPTIMIZER_HINTS = {
    "sgd_decay_without_lr": (
        "weight_decay * w를 lr 없이 뺐을 때와 같습니다: g = grad + weight_decay * w를 만든 뒤 w - lr * g."
    ),
    "sgd_decay_outside_momentum": (
        "weight decay를 momentum buffer 밖에서 더했을 때와 같습니다: torch는 decay 항을 grad에 더한 "
        "g = grad + weight_decay * w로 buffer를 갱신합니다."
    ),
    "adam_decoupled": (
        "AdamW처럼 decay를 w에서 따로 뺐을 때(decoupled)와 같습니다: torch.optim.Adam의 weight_decay는 "
        "L2 항 weight_decay * w를 grad에 더합니다."
    ),
    "adam_default_betas": "betas 인자를 쓰지 않고 기본값 (0.9, 0.999)를 썼을 때와 같습니다: b1, b2 = betas.",
    "adamw_coupled": (
        "decay를 grad에 더했을 때(Adam의 L2)와 같습니다: AdamW는 decoupled decay w <- w - lr * weight_decay * w를 "
        "Adam 갱신과 따로 합니다."
    ),
    "adamw_no_lr": (
        "decay를 lr 없이 w <- w - weight_decay * w로 했을 때와 같습니다: AdamW는 w <- w - lr * weight_decay * w."
    ),
    "adamw_default_zero": (
        "weight_decay를 주지 않았을 때 0을 썼을 때와 같습니다: torch.optim.AdamW의 기본값은 1e-2입니다."
    ),
    "adamw_after": (
        "decay를 Adam 갱신 뒤의 w에 적용했을 때와 같습니다: torch AdamW는 decay를 먼저 (갱신 전의 w에) 합니다."
    ),
}


def _replay(seed, opt, steps, dim, kwargs, mistake):
    """The trajectory optimizer_run gives for one known mistake (the probe's inputs, rebuilt from its seed)."""
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((dim, dim))
    A = Q @ Q.T / dim + 0.5 * np.eye(dim)
    b = rng.standard_normal(dim)
    w = rng.standard_normal(dim)
    lr, wd, mom = (
        kwargs.get("lr"),
        kwargs.get("weight_decay", 0.0 if opt != "adamw_step" else 1e-2),
        kwargs.get("momentum", 0.0),
    )
    if mistake == "adamw_default_zero":
        wd = kwargs.get("weight_decay", 0.0)
    b1, b2 = kwargs.get("betas", (0.9, 0.999))
    if mistake == "adam_default_betas":
        b1, b2 = 0.9, 0.999
    eps = kwargs.get("eps", 1e-8)
    buf, m, v, traj = None, np.zeros(dim), np.zeros(dim), [w.copy()]
    for t in range(1, steps + 1):
        grad = A @ w - b
        if opt == "sgd_step":
            if mistake == "sgd_decay_without_lr":
                w = w - lr * grad - wd * w
            else:
                g = grad if mistake == "sgd_decay_outside_momentum" else grad + wd * w
                if mom:
                    buf = g.copy() if buf is None else mom * buf + g
                    g = buf
                w = w - lr * (g + wd * w if mistake == "sgd_decay_outside_momentum" else g)
        else:
            coupled = (opt == "adam_step" and mistake != "adam_decoupled") or mistake == "adamw_coupled"
            g = grad + wd * w if coupled else grad
            if not coupled and mistake != "adamw_after":
                w = w - (wd if mistake == "adamw_no_lr" else lr * wd) * w
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            if mistake == "adamw_after":
                w = w - lr * wd * w
        traj.append(w.copy())
    return np.stack(traj)


def _optimizer_allclose(got, want, kw):
    """expect.allclose of a trajectory, with the hint of the known mistake the student's trajectory replays."""
    try:
        expect.allclose(got, want, name="w 궤적 (step, 좌표)")
    except expect.CheckFailed as exc:
        g = np.asarray(got, dtype=np.float64)
        prefix = {"sgd_step": "sgd_", "adam_step": "adam_", "adamw_step": "adamw_"}[kw["opt"]]
        for mistake, hint in OPTIMIZER_HINTS.items():
            if mistake.startswith(prefix) and not (prefix == "adam_" and mistake.startswith("adamw_")):
                cand = _replay(kw["seed"], kw["opt"], kw["steps"], kw["dim"], kw["kwargs"], mistake)
                if g.shape == cand.shape and np.allclose(g, cand, rtol=1e-9, atol=1e-12):
                    expect.fail(f"{exc}\n힌트: {hint}")
        raise


# ------------------------------------------------------------------------------------------
# probes (run in the student's process)
# ------------------------------------------------------------------------------------------
@probe
def penalty_call(ns, seed, fn, shapes, lam, zeros):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in shapes]
    if zeros:
        for p in params:
            p[rng.random(p.shape) < 0.3] = 0.0
    out = getattr(ns, fn)(params, lam)
    if isinstance(out, (list, tuple)):
        out = [np.asarray(o) for o in out]
    elif isinstance(out, (np.generic, np.ndarray)) and np.ndim(out) == 0 and np.asarray(out).dtype.kind == "f":
        out = float(out)  # a numpy scalar is a number here (the wire would send it as shape (1,))
    return {"out": out}


@probe
def optimizer_run(ns, seed, opt, steps, dim, kwargs):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((dim, dim))
    A = Q @ Q.T / dim + 0.5 * np.eye(dim)
    b = rng.standard_normal(dim)
    w = rng.standard_normal(dim)
    fn = getattr(ns, opt)
    state = {}
    traj = [w.copy()]
    for _ in range(steps):
        g = A @ w - b
        w = fn(w.copy(), g, state, **kwargs)  # a copy: in-place updates are graded by their own check
        if not isinstance(w, np.ndarray):
            return {"bad": type(w).__name__}
        w = w.copy()
        traj.append(w)
    kept = {k: state[k] for k in ("momentum_buffer", "t", "m", "v") if k in state}
    return {"traj": np.stack(traj), "state": kept}


@probe
def schedule_scalars(ns, fn, ts, args):
    f = getattr(ns, fn)
    return {"lr": [float(f(int(t), *args)) for t in ts]}


@probe
def early_stopping_run(ns, metrics, patience, min_delta, mode):
    es = ns.EarlyStopping(patience, min_delta, mode)
    state = {"w": np.zeros(3), "epoch": -1}
    out = {"stops": [], "best": [], "best_epoch": [], "num_bad_epochs": []}
    missing = set()
    for i, m in enumerate(metrics):
        state["w"] += 1.0  # a training loop updates its weights in place
        state["epoch"] = i
        out["stops"].append(bool(es.step(m, state)))
        for a in ("best", "best_epoch", "num_bad_epochs"):
            if hasattr(es, a):
                out[a].append(float(getattr(es, a)))
            else:
                missing.add(a)
    bs = getattr(es, "best_state", None)
    if not hasattr(es, "best_state"):
        missing.add("best_state")
    out["best_state_w"] = np.array(bs["w"], dtype=np.float64) if isinstance(bs, dict) else np.full(3, np.nan)
    out["best_state_epoch"] = int(bs["epoch"]) if isinstance(bs, dict) else -99
    out["missing"] = sorted(missing)
    return out


@probe
def bootstrap_draws(ns, seed, n, reps):
    rng = np.random.default_rng(seed)
    draws = [np.asarray(ns.bootstrap_indices(n, rng)) for _ in range(reps)]
    if all(d.shape == draws[0].shape for d in draws):
        return {"idx": np.stack(draws)}  # one array on the wire, not reps of them
    return {"idx": draws}


@probe
def vote_call(ns, preds):
    return {"vote": ns.majority_vote(np.asarray(preds, dtype=np.int64))}


@probe
def vote_random(ns, seed, k, n, c):
    rng = np.random.default_rng(seed)
    preds = rng.integers(0, c, size=(k, n))
    preds[0, 0] = c - 1
    return {"vote": ns.majority_vote(preds)}


@probe
def ensemble_variance_call(ns, seed, m):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.5, 2.0, m)
    c = v * rng.uniform(0.0, 1.0, m)
    k = rng.integers(1, 30, m)
    return {"var": ns.ensemble_error_variance(v, c, k), "v": v, "c": c, "k": k}


@probe
def correlated_errors(ns, seed, v, c, k, n):
    return {"e": ns.sample_correlated_errors(v, c, k, n, np.random.default_rng(seed))}


@probe
def ema_run(ns, seed, decay, steps):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    ema = [p.copy() for p in params]
    hist = []
    for _ in range(steps):
        params = [p + 0.1 * rng.standard_normal(p.shape) for p in params]
        ema = ns.ema_update(ema, params, decay)
        ema = [np.array(e, dtype=np.float64, copy=True) for e in ema]
        hist.append(np.concatenate([e.ravel() for e in ema]))
    return {"hist": np.stack(hist)}


@probe
def noise_call(ns, seed, shape, sigma):
    x = np.random.default_rng(seed).standard_normal(shape) * 3.0
    out = ns.add_gaussian_noise(x, sigma, np.random.default_rng(seed + 1))
    return {"out": out, "x_after": x, "same_object": out is x}


# ------------------------------------------------------------------------------------------
# 1. weight decay
# ------------------------------------------------------------------------------------------
@check("l2_penalty", points=1)
def test_l2_penalty_is_half_lambda_squared_norm(student, reference, seed):
    """L2 패널티 = lam/2 * sum(w**2) (lambda/2 형태)."""
    kw = dict(seed=seed, fn="l2_penalty", shapes=[[6, 5]], lam=0.3, zeros=False)
    got, want = student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"]
    if np.ndim(got) == 0 and np.isclose(float(got), 2 * float(want), rtol=1e-9):
        expect.fail(
            "`l2_penalty`: 기대값의 정확히 2배입니다. 이 과제는 lam/2 * ||w||^2 형태를 씁니다 (gradient가 lam * w)."
        )
    expect.allclose(got, want, name="l2_penalty(params, lam)")


@check("l2_penalty", points=1)
def test_l2_gradient_is_lambda_w(student, reference, seed):
    """L2 패널티의 gradient = lam * w (torch weight_decay와 같은 값)."""
    kw = dict(seed=seed, fn="l2_penalty_grad", shapes=[[6, 5]], lam=0.3, zeros=False)
    _array_list(student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"], "l2_penalty_grad")


@check("l1_penalty", points=1)
def test_l1_penalty_is_lambda_abs_sum(student, reference, seed):
    """L1 패널티 = lam * sum(|w|) (1/2 없음)."""
    kw = dict(seed=seed, fn="l1_penalty", shapes=[[6, 5]], lam=0.3, zeros=False)
    got, want = student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"]
    with _hinted(
        "기대값의 정확히 1/2입니다: L1 패널티는 lam * sum(|w|)이고 L2의 1/2은 없습니다.",
        lambda: np.ndim(got) == 0 and np.isclose(float(got), 0.5 * float(want), rtol=1e-9),
    ):
        expect.allclose(got, want, name="l1_penalty(params, lam)")


@check("l1_penalty", points=1)
def test_l1_gradient_is_lambda_sign_w(student, reference, seed):
    """L1 패널티의 subgradient = lam * sign(w) (0이 없는 입력)."""
    kw = dict(seed=seed, fn="l1_penalty_grad", shapes=[[6, 5]], lam=0.3, zeros=False)
    got, want = student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"]
    with _hinted(
        "sign(w)와 같습니다: lam을 곱하지 않았습니다 (기울기는 lam * sign(w)).",
        lambda: (
            isinstance(got, list)
            and len(got) == len(want)
            and all(
                np.shape(g) == np.shape(w) and np.allclose(g, np.sign(w) * 1.0) for g, w in zip(got, want, strict=True)
            )
        ),
    ):
        _array_list(got, want, "l1_penalty_grad")


# ------------------------------------------------------------------------------------------
# 2. optimizers
# ------------------------------------------------------------------------------------------
@check("sgd_step", points=1)
def test_plain_sgd_with_weight_decay_matches_torch(student, reference, seed):
    """momentum 없는 SGD + weight_decay의 50 step 궤적이 torch.optim.SGD와 같다."""
    kw = dict(seed=seed, opt="sgd_step", steps=50, dim=6, kwargs={"lr": 0.1, "weight_decay": 0.05})
    _optimizer_allclose(_trajectory(student(optimizer_run, **kw)), reference(optimizer_run, **kw)["traj"], kw)


@check("sgd_step", points=1)
def test_momentum_trajectory_matches_torch(student, reference, seed):
    """momentum=0.9 SGD의 50 step 궤적과 state["momentum_buffer"] (첫 step buffer = grad, dampening 0)."""
    kw = dict(seed=seed, opt="sgd_step", steps=50, dim=6, kwargs={"lr": 0.05, "momentum": 0.9})
    s, r = student(optimizer_run, **kw), reference(optimizer_run, **kw)
    got, want = _trajectory(s), r["traj"]
    if got.shape == want.shape and not np.allclose(got[1], want[1], rtol=1e-10, atol=1e-12):
        expect.fail(
            "`w` 궤적: 첫 step부터 다릅니다. torch는 첫 step에서 buffer = grad (dampening 0)이고 "
            "w - lr * buffer로 업데이트합니다 ((1 - momentum)을 곱하지 않습니다)."
        )
    expect.allclose(got, want, name="w 궤적 (step, 좌표)")
    buf, want_buf = (s.get("state") or {}).get("momentum_buffer"), r["state"]["momentum_buffer"]
    with _hinted(
        "state['momentum_buffer']에 velocity -lr * buffer를 저장했을 때 (CS231n 식 v = m v - lr g)와 같습니다: "
        "torch는 buffer = momentum * buffer + g를 저장하고 w - lr * buffer로 갱신합니다.",
        lambda: np.allclose(np.asarray(buf, dtype=np.float64), -0.05 * want_buf, rtol=1e-9),
    ):
        expect.allclose(buf, want_buf, name='50 step 뒤 state["momentum_buffer"]')


@check("adam_step", points=1)
def test_adam_trajectory_matches_torch(student, reference, seed):
    """기본 betas/eps의 Adam 50 step 궤적이 torch.optim.Adam과 같다 (bias correction 포함)."""
    kw = dict(seed=seed, opt="adam_step", steps=50, dim=6, kwargs={"lr": 0.05})
    got = _trajectory(student(optimizer_run, **kw))
    want = reference(optimizer_run, **kw)["traj"]
    if got.shape == want.shape and not np.allclose(got[1], want[1], rtol=1e-10, atol=1e-12):
        expect.fail(
            "`w` 궤적: 첫 step부터 다릅니다. bias correction 후 첫 step의 크기는 좌표마다 거의 정확히 lr입니다 "
            "(t는 1부터, m_hat = m/(1-b1^t), v_hat = v/(1-b2^t), eps는 sqrt 밖)."
        )
    expect.allclose(got, want, name="w 궤적 (step, 좌표)")


@check("adamw_step", points=1)
def test_adamw_trajectory_matches_torch(student, reference, seed):
    """weight_decay=0.1인 AdamW 50 step 궤적이 torch.optim.AdamW와 같다 (decoupled decay)."""
    kw = dict(seed=seed, opt="adamw_step", steps=50, dim=6, kwargs={"lr": 0.05, "weight_decay": 0.1})
    _optimizer_allclose(_trajectory(student(optimizer_run, **kw)), reference(optimizer_run, **kw)["traj"], kw)


# ------------------------------------------------------------------------------------------
# 3. learning-rate schedules (scalar t)
# ------------------------------------------------------------------------------------------
def _schedule(student, reference, fn, ts, args, what, alts=None):
    """Compare a schedule at the integers ``ts``; ``alts`` maps a hint to the values (or, as a callable of
    ``reference``'s values at other arguments, ``lambda ref: ...``) that a known mistake gives."""
    got = student(schedule_scalars, fn=fn, ts=ts, args=args)["lr"]
    want = reference(schedule_scalars, fn=fn, ts=ts, args=args)["lr"]
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    bad = np.flatnonzero(~np.isclose(g, w, rtol=1e-10, atol=1e-12))
    if bad.size:
        i = int(bad[0])
        hint = ""
        for text, cand in (alts or {}).items():
            values = np.asarray(
                cand(lambda a: reference(schedule_scalars, fn=fn, ts=ts, args=a)["lr"]) if callable(cand) else cand,
                dtype=np.float64,
            )
            if values.shape == g.shape and np.allclose(g, values, rtol=1e-9, atol=1e-12):
                hint = f"\n힌트: {text}"
        expect.fail(
            f"`{fn}`: {what} t = {ts[i]}에서 기대 {w[i]:.10g}, 학생 {g[i]:.10g} "
            f"({bad.size}/{len(ts)}개의 t에서 다름).{hint}"
        )


@check("exponential_decay", points=1)
def test_exponential_decay_is_lr0_gamma_pow_t(student, reference):
    """lr_t = lr0 * gamma**t, t = 0에서 lr0 (torch ExponentialLR)."""
    _schedule(student, reference, "exponential_decay", list(range(41)), [0.1, 0.9], "lr0=0.1, gamma=0.9,")
    _schedule(
        student,
        reference,
        "exponential_decay",
        list(range(41)),
        [0.1],
        "lr0=0.1, gamma 기본값 (0.95),",
        alts={
            (
                "gamma 기본값이 0.95가 아니라 0.9일 때와 같습니다: def exponential_decay(t, lr0, gamma=0.95)."
            ): lambda ref: ref([0.1, 0.9])
        },
    )


@check("inverse_sqrt_decay", points=1)
def test_inverse_sqrt_decay_is_k_over_sqrt_t(student, reference):
    """lr_t = k / sqrt(t), t = 1, 2, ..."""
    _schedule(student, reference, "inverse_sqrt_decay", list(range(1, 41)), [0.5], "k=0.5,")


@check("step_decay", points=1)
def test_step_decay_drops_by_factor_every_step_size(student, reference):
    """lr_t = lr0 * factor**floor(t / step_size) (torch StepLR): 첫 감소는 t = step_size에서."""
    _schedule(
        student,
        reference,
        "step_decay",
        list(range(41)),
        [0.1, 10, 0.5],
        "lr0=0.1, step_size=10, factor=0.5,",
        alts={
            "지수를 t / step_size 그대로 썼을 때와 같습니다: floor(t "
            "/ step_size) (정수 나눗셈 t // step_size)로 계단을 "
            "만드세요.": [0.1 * 0.5 ** (t / 10) for t in range(41)]
        },
    )


@check("triangular_cyclic", points=1)
def test_triangular_first_cycle_matches_torch_cyclic_lr(student, reference):
    """주기마다 (길이 2*step_size) base_lr -> max_lr -> base_lr 선형, t = 0..40 (torch CyclicLR triangular)."""
    _schedule(
        student,
        reference,
        "triangular_cyclic",
        list(range(41)),
        [0.01, 0.1, 8],
        "base_lr=0.01, max_lr=0.1, step_size=8,",
        alts={
            "step_size를 한 주기 전체로 썼을 때와 같습니다: step_size는 "
            "반 주기 (base_lr에서 max_lr까지 오르는 step 수)이고 "
            "한 주기는 2 * step_size입니다.": lambda ref: ref([0.01, 0.1, 4]),
            "첫 주기 뒤에 반복하지 않을 때와 같습니다: 주기 번호 cycle = floor(1 + t / (2 * step_size))로 삼각형을 "
            "되풀이합니다 (torch CyclicLR).": lambda ref: list(ref([0.01, 0.1, 8]))[:17] + [0.01] * 24,
        },
    )


@check("cosine_annealing", points=1)
def test_cosine_without_warmup_matches_torch(student, reference):
    """warmup=0이면 eta_min + (lr0-eta_min)(1+cos(pi t/T))/2 (torch CosineAnnealingLR)."""
    _schedule(
        student,
        reference,
        "cosine_annealing",
        list(range(31)),
        [0.1, 30, 0.01],
        "lr0=0.1, T=30, eta_min=0.01 (warmup 없음),",
        alts={
            (
                "eta_min을 무시했을 때(eta_min = 0)와 같습니다: eta_min + (lr0 - eta_min)(1 + cos(pi t / T)) / 2."
            ): lambda ref: ref([0.1, 30, 0.0])
        },
    )


# ------------------------------------------------------------------------------------------
# 4. early stopping
# ------------------------------------------------------------------------------------------
PATIENCE_METRICS = [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.65, 0.66, 0.67, 0.68, 0.69, 0.64, 0.70, 0.71, 0.72]
TRACK_METRICS = [2.0, 1.5, 1.6, 1.2, 1.3, 1.25, 0.9, 0.95, 0.91, 0.8, 0.85]


def _missing(r):
    if r["missing"]:
        expect.fail(f"EarlyStopping에 속성 {', '.join(r['missing'])}이(가) 없습니다 (docstring의 속성 이름을 쓰세요).")


@check("early_stopping", points=1)
def test_stops_after_patience_epochs_without_improvement(student, reference):
    """step()은 개선 없는 epoch가 patience번(>=) 쌓인 호출에서 True를 반환한다."""
    kw = dict(metrics=PATIENCE_METRICS, patience=3, min_delta=0.0, mode="min")
    got = student(early_stopping_run, **kw)["stops"]
    want = reference(early_stopping_run, **kw)["stops"]
    if got != want:
        i = next(j for j in range(len(want)) if got[j] != want[j])
        expect.fail(
            f"step()의 반환값: 검증 손실 {PATIENCE_METRICS[: i + 1]}까지 "
            f"넣은 epoch {i}에서 기대 {want[i]}, 학생 {got[i]} "
            f"(patience=3). 개선 없는 epoch 수가 patience 이상(>=)이면 True입니다."
        )


@check("early_stopping", points=1)
def test_tracks_best_metric_and_epoch(student, reference):
    """best와 best_epoch(첫 호출 = 0)가 매 epoch 뒤 올바르다."""
    kw = dict(metrics=TRACK_METRICS, patience=100, min_delta=0.0, mode="min")
    s, r = student(early_stopping_run, **kw), reference(early_stopping_run, **kw)
    _missing(s)
    expect.allclose(np.array(s["best"]), np.array(r["best"]), name="epoch마다의 best")
    expect.equal(np.array(s["best_epoch"]), np.array(r["best_epoch"]), name="epoch마다의 best_epoch (0부터)")


# ------------------------------------------------------------------------------------------
# 5. bagging
# ------------------------------------------------------------------------------------------
@check("bootstrap_indices", points=1)
def test_bootstrap_shape_dtype_and_range(student, seed):
    """길이 n의 정수 배열이고 모든 값이 0..n-1 안에 있다."""
    r = student(bootstrap_draws, seed=seed, n=37, reps=5)
    for idx in r["idx"]:
        idx = expect.shape(idx, (37,), name="bootstrap_indices(37, rng)")
        expect.true(idx.dtype.kind in "iu", f"`bootstrap_indices`: 정수 배열이어야 하는데 dtype이 {idx.dtype}입니다.")
        expect.true(
            bool(idx.min() >= 0 and idx.max() <= 36),
            f"`bootstrap_indices`: 값이 0..36 밖에 있습니다 (min {idx.min()}, max {idx.max()}). 0부터 n-1까지입니다.",
        )


@check("bootstrap_indices", points=1)
def test_each_bootstrap_index_is_uniform(student, seed):
    """각 원소가 {0,...,n-1}에서 균등하다 (DKW, 실패 확률 <= 1e-7)."""
    n, reps = 10, 3000
    idx = np.concatenate([np.asarray(i).ravel() for i in student(bootstrap_draws, seed=seed, n=n, reps=reps)["idx"]])
    expect.true(idx.size == n * reps, f"`bootstrap_indices`: 원소 수가 n = {n}이어야 합니다.")
    # (i + U) / n is exactly Uniform(0, 1) when i is uniform on {0..n-1} and U ~ U(0, 1) is independent
    u = np.random.default_rng((seed, 7919)).random(idx.size)  # a stream the student's rng(seed) does not share
    stats.dkw(
        (idx.astype(np.float64) + u) / n,
        stats.uniform_cdf(0.0, 1.0),
        name="bootstrap 인덱스",
        what="{0,...,n-1} 위의 균등분포",
    )


@check("majority_vote", points=1)
def test_majority_vote_matches_reference(student, reference, seed):
    """모델 5개 × 샘플 400개의 투표 (축 0 = 모델, 동점이면 작은 레이블)."""
    kw = dict(seed=seed, k=5, n=400, c=4)
    got = expect.shape(student(vote_random, **kw)["vote"], (400,), name="majority_vote(predictions)")
    rng = np.random.default_rng(seed)  # the probe's predictions, rebuilt here for the hint
    preds = rng.integers(0, 4, size=(5, 400))
    preds[0, 0] = 3
    counts = (preds[:, :, None] == np.arange(4)).sum(axis=0)
    largest = 3 - np.argmax(counts[:, ::-1], axis=1)
    with (
        _hinted(
            (
                "동점일 때 가장 큰 레이블을 골랐을 때와 같습니다: 동점이면 "
                "가장 작은 레이블 (np.argmax는 첫 최댓값)을 고릅니다."
            ),
            lambda: np.array_equal(got, largest),
        ),
        _hinted(
            (
                "레이블의 평균을 반올림했을 때와 같습니다: 다수결은 "
                "레이블마다 표를 세어 최빈값(가장 많이 나온 레이블)을 고릅니다."
            ),
            lambda: np.array_equal(got, np.round(preds.mean(axis=0))),
        ),
    ):
        expect.equal(got, reference(vote_random, **kw)["vote"], name="majority_vote(predictions)")


@check("ensemble_error_variance", points=1)
def test_ensemble_variance_formula(student, reference, seed):
    """v/k + (k-1)c/k (배열 입력, 브로드캐스트)."""
    kw = dict(seed=seed, m=12)
    got, r = student(ensemble_variance_call, **kw)["var"], reference(ensemble_variance_call, **kw)
    v, c, k = (np.asarray(r[key], dtype=np.float64) for key in ("v", "c", "k"))

    def fits(cand):
        return lambda: np.shape(got) == cand.shape and np.allclose(np.asarray(got, dtype=np.float64), cand, rtol=1e-9)

    with (
        _hinted(
            "공분산 항에 1/k를 빠뜨렸을 때 (v/k + (k-1)c)와 같습니다: 평균의 분산은 v/k + (k-1)c/k입니다.",
            fits(v / k + (k - 1) * c),
        ),
        _hinted(
            "v / k²을 썼을 때와 같습니다: k개 분산의 합은 k v이므로 (k v) / k² = v / k입니다.",
            fits(v / k**2 + (k - 1) * c / k),
        ),
    ):
        expect.allclose(got, r["var"], name="ensemble_error_variance(v, c, k)")


@check("sample_correlated_errors", points=1)
def test_each_error_has_variance_v(student, seed):
    """각 모델의 오차는 N(0, v)이다 (DKW + 카이제곱, 합쳐서 실패 확률 <= 1e-7)."""
    n, k, v, c = 25000, 4, 2.0, 0.5
    e = expect.shape(
        student(correlated_errors, seed=seed, v=v, c=c, k=k, n=n)["e"],
        (n, k),
        name="sample_correlated_errors(v, c, k, n, rng)",
    )
    expect.finite(e, name="errors")
    e0 = e[:, 0].astype(np.float64)
    with _hinted(
        "분산 v + c와 같습니다: 모델별 성분의 분산은 v - c입니다 (공통 성분 c + 모델별 성분 v - c = v).",
        lambda: abs(float(np.mean(e0 * e0)) / (v + c) - 1) < 0.04,
    ):
        stats.variance_normal(e[:, 0], v, known_mean=0.0, fail_prob=5e-8, name="모델 0 오차의 분산")
    stats.dkw(e[:, 0], stats.normal_cdf(0.0, np.sqrt(v)), fail_prob=5e-8, name="모델 0 오차", what="N(0, v)")


# ------------------------------------------------------------------------------------------
# 6. EMA and noise
# ------------------------------------------------------------------------------------------
@check("ema_update", points=1)
def test_ema_matches_torch_over_many_updates(student, reference, seed):
    """decay=0.9로 30번 갱신한 EMA가 torch get_ema_multi_avg_fn과 같다 (모양이 다른 배열 3개)."""
    kw = dict(seed=seed, decay=0.9, steps=30)
    got = student(ema_run, **kw)["hist"]
    swapped = reference(ema_run, **dict(kw, decay=0.1))["hist"]  # decay and 1 - decay exchanged
    with _hinted(
        "decay와 1 - decay를 바꿨을 때와 같습니다: ema <- decay * ema + (1 - decay) * param (decay는 옛 평균의 비율).",
        lambda: np.shape(got) == swapped.shape and np.allclose(got, swapped, rtol=1e-9, atol=1e-12),
    ):
        expect.allclose(got, reference(ema_run, **kw)["hist"], name="EMA 값 (갱신 번호, 펼친 파라미터)")


@check("add_gaussian_noise", points=1)
def test_noise_has_mean_zero_and_std_sigma(student, seed):
    """잡음 out - x의 평균 0, 표준편차 sigma (z-구간 + 카이제곱, 합쳐서 실패 확률 <= 1e-7)."""
    sigma, n = 0.5, 20000
    r = student(noise_call, seed=seed, shape=[n], sigma=sigma)
    out = expect.shape(r["out"], (n,), name="add_gaussian_noise(x, sigma, rng)")
    x = np.random.default_rng(seed).standard_normal(n) * 3.0  # the probe's input, rebuilt here
    noise = out.astype(np.float64) - x
    stats.mean(noise, 0.0, sigma, fail_prob=5e-8, name="잡음의 평균")
    with _hinted(
        "균등분포 U(-sigma, sigma)의 분산 sigma²/3과 같습니다: 잡음은 정규분포 sigma * rng.standard_normal입니다.",
        lambda: abs(float(np.mean(noise * noise)) / (sigma**2 / 3) - 1) < 0.04 and float(np.abs(noise).max()) <= sigma,
    ):
        stats.variance_normal(noise, sigma**2, known_mean=0.0, fail_prob=5e-8, name="잡음의 분산 (sigma = 표준편차)")


@check("add_gaussian_noise", points=1, requires="noise_has_mean_zero_and_std_sigma")
def test_noise_keeps_shape_dtype_and_does_not_mutate_x(student, seed):
    """출력은 x와 같은 모양의 float64 새 배열이고 x는 바뀌지 않는다."""
    r = student(noise_call, seed=seed, shape=[30, 7], sigma=0.1)
    out = expect.shape(r["out"], (30, 7), name="add_gaussian_noise(x, sigma, rng)")
    expect.true(out.dtype == np.float64, f"`add_gaussian_noise`: dtype이 float64여야 하는데 {out.dtype}입니다.")
    x = np.random.default_rng(seed).standard_normal((30, 7)) * 3.0  # the probe's input, rebuilt here
    expect.true(
        np.array_equal(r["x_after"], x) and not r["same_object"],
        "`add_gaussian_noise`: 입력 x를 제자리에서 바꿨습니다 (x += ...). 새 배열 x + sigma * eps를 반환하세요.",
    )


# ------------------------------------------------------------------------------------------
# 1.3 soft-thresholding (the L1 proximal step)
# ------------------------------------------------------------------------------------------
def _soft_threshold_input(seed, shape, tau):
    """The input soft_threshold_call builds (rebuilt here, in the grader, from the seed): random
    weights whose first entries are the hand-built cases |w| = tau, 0, just inside and just outside."""
    w = np.random.default_rng(seed).standard_normal(shape)
    w.reshape(-1)[:6] = [tau, -tau, 0.0, 0.999 * tau, -1.001 * tau, 2.0 * tau]
    return w


@probe
def soft_threshold_call(ns, seed, shape, tau):
    w = np.random.default_rng(seed).standard_normal(shape)
    w.reshape(-1)[:6] = [tau, -tau, 0.0, 0.999 * tau, -1.001 * tau, 2.0 * tau]
    return {"out": ns.soft_threshold(w, tau)}


@check("soft_threshold", points=1)
def test_soft_threshold_shrinks_by_tau(student, reference, seed):
    """sign(w) * max(|w| - tau, 0): 큰 원소는 0 쪽으로 정확히 tau만큼 당긴다 (torch softshrink와 같음)."""
    kw = dict(seed=seed, shape=[7, 5], tau=0.4)
    got = expect.shape(student(soft_threshold_call, **kw)["out"], (7, 5), name="soft_threshold(w, tau)")
    w = _soft_threshold_input(seed, (7, 5), 0.4)
    big = np.abs(w) > 0.4
    if got.dtype.kind == "f" and np.allclose(got, w - 0.4 * np.sign(w), rtol=1e-10, atol=1e-12):
        expect.fail(
            "`soft_threshold`: w - tau * sign(w)만 계산했습니다: |w| < tau인 원소는 0을 지나 부호가 뒤집힙니다. "
            "max(|w| - tau, 0)으로 잘라 0으로 만드세요: sign(w) * max(|w| - tau, 0)."
        )
    if np.allclose(got[big], w[big]) and not np.allclose(got, reference(soft_threshold_call, **kw)["out"]):
        expect.fail(
            "`soft_threshold`: |w| > tau인 원소를 그대로 두었습니다 (hard thresholding). soft-thresholding은 "
            "남는 원소도 0 쪽으로 tau만큼 당깁니다: sign(w) * (|w| - tau)."
        )
    expect.allclose(got, reference(soft_threshold_call, **kw)["out"], name="soft_threshold(w, tau)")


@check("soft_threshold", points=1)
def test_soft_threshold_zeroes_small_weights_exactly(student, seed):
    """|w| <= tau인 원소는 정확히 0.0 (부호가 뒤집히거나 작은 값이 남지 않는다)."""
    got = expect.shape(
        student(soft_threshold_call, seed=seed, shape=[7, 5], tau=0.4)["out"], (7, 5), name="soft_threshold(w, tau)"
    )
    w = _soft_threshold_input(seed, (7, 5), 0.4)
    small = np.abs(w) <= 0.4
    bad = small & (got != 0.0)
    if bad.any():
        i = np.unravel_index(np.argmax(bad), w.shape)
        hint = (
            " w - tau * sign(w)처럼 빼기만 하면 |w| < tau인 원소의 "
            "부호가 뒤집힙니다: max(|w| - tau, 0)으로 잘라야 합니다."
            if np.allclose(got[small], (w - 0.4 * np.sign(w))[small])
            else ""
        )
        expect.fail(
            f"`soft_threshold`: |w| <= tau인 원소 {int(bad.sum())}개가 0이 아닙니다 "
            f"(예: 위치 {tuple(int(k) for k in i)}, w = {float(w[i]):.6g}, 출력 {float(got[i]):.6g}, tau = 0.4).{hint}"
        )


@check("sgd_step", points=1)
def test_momentum_with_weight_decay_matches_torch(student, reference, seed):
    """momentum + weight_decay: decay 항은 momentum buffer에 들어가기 전에 gradient에 더한다."""
    kw = dict(seed=seed, opt="sgd_step", steps=50, dim=5, kwargs={"lr": 0.05, "momentum": 0.8, "weight_decay": 0.2})
    _optimizer_allclose(_trajectory(student(optimizer_run, **kw)), reference(optimizer_run, **kw)["traj"], kw)


@check("adamw_step", points=1)
def test_adamw_default_weight_decay_is_0_01(student, reference, seed):
    """weight_decay를 주지 않으면 torch.optim.AdamW처럼 1e-2를 쓴다."""
    kw = dict(seed=seed, opt="adamw_step", steps=40, dim=6, kwargs={"lr": 0.05})
    _optimizer_allclose(_trajectory(student(optimizer_run, **kw)), reference(optimizer_run, **kw)["traj"], kw)


@check("l2_penalty", points=1)
def test_l2_sums_over_every_parameter_array(student, reference, seed):
    """패널티와 gradient가 params의 모든 배열(모양이 제각각)에 대해 계산된다."""
    shapes = [[4, 3], [3], [2, 3, 2], [1]]
    for fn in ("l2_penalty", "l2_penalty_grad"):
        kw = dict(seed=seed, fn=fn, shapes=shapes, lam=1.7, zeros=False)
        got, want = student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"]
        if fn == "l2_penalty":
            first = reference(penalty_call, **dict(kw, shapes=shapes[:1]))["out"]
            with _hinted(
                "첫 배열의 패널티와 같습니다: params의 모든 배열의 제곱합을 더하세요 (sum over every array).",
                lambda got=got, first=first: np.ndim(got) == 0 and np.isclose(float(got), float(first), rtol=1e-9),
            ):
                expect.allclose(got, want, name="l2_penalty (배열 4개)")
        else:
            _array_list(got, want, "l2_penalty_grad (배열 4개)")


@check("early_stopping", points=1)
def test_best_state_is_a_deep_copy(student, reference):
    """best_state는 best epoch의 state를 깊은 복사한 것: 뒤에 제자리에서 바뀐 가중치가 새어 들어오지 않는다."""
    kw = dict(metrics=[1.0, 0.7, 0.9, 0.8, 0.75, 0.95], patience=20, min_delta=0.0, mode="min")
    s, r = student(early_stopping_run, **kw), reference(early_stopping_run, **kw)
    _missing(s)
    ok = s["best_state_epoch"] == r["best_state_epoch"] and np.array_equal(s["best_state_w"], r["best_state_w"])
    if not ok:
        expect.fail(
            f"best_state: best epoch {r['best_state_epoch']}의 가중치 {r['best_state_w'].tolist()}여야 하는데 "
            f"epoch {s['best_state_epoch']}, 가중치 "
            f"{s['best_state_w'].tolist()}입니다. 학습 루프가 가중치를 제자리에서 "
            "바꾸므로 참조나 얕은 복사(dict(state), state.copy())가 아니라 copy.deepcopy(state)를 저장하세요."
        )


@check("bootstrap_indices", points=1)
def test_bootstrap_draws_with_replacement(student, seed):
    """복원 추출: 인덱스 0이 표본에 들어갈 확률 = 1-(1-1/n)^n (정확한 이항 구간, 실패 확률 <= 1e-7)."""
    n, reps = 5, 4000
    draws = student(bootstrap_draws, seed=seed, n=n, reps=reps)["idx"]
    expect.true(
        isinstance(draws, np.ndarray) and draws.shape == (reps, n),
        f"`bootstrap_indices`: 매번 길이 n = {n}인 배열을 반환해야 합니다.",
    )
    hits = int(np.any(draws == 0, axis=1).sum())
    p = 1 - (1 - 1 / n) ** n
    perm = bool(np.all(np.sort(draws, axis=1) == np.arange(n)))
    with _hinted(
        "모든 표본이 0..n-1의 순열입니다 (비복원 추출): bootstrap은 복원 추출 rng.integers(0, n, n)입니다.",
        lambda: perm,
    ):
        stats.proportion(hits, reps, p, name=f"인덱스 0이 포함된 bootstrap 표본의 비율 (n={n})")


@check("sample_correlated_errors", points=1)
def test_pairs_have_covariance_c(student, seed):
    """Var(e0 - e1) = 2(v - c), Var(e2 + e3) = 2(v + c) (카이제곱, 합쳐서 실패 확률 <= 1e-7)."""
    n, k, v, c = 25000, 4, 2.0, 0.5
    e = expect.shape(
        student(correlated_errors, seed=seed + 11, v=v, c=c, k=k, n=n)["e"],
        (n, k),
        name="sample_correlated_errors(v, c, k, n, rng)",
    )
    e = e.astype(np.float64)
    d = e[:, 0] - e[:, 1]
    with _hinted(
        "오차들이 서로 독립일 때(공분산 0)와 같습니다: 모델 사이 공분산이 c가 되도록 공통 성분 "
        "sqrt(c) * z0를 모든 모델에 더하세요.",
        lambda: abs(float(np.mean(d * d)) / (2 * v) - 1) < 0.04,
    ):
        stats.variance_normal(d, 2 * (v - c), known_mean=0.0, fail_prob=5e-8, name="e0 - e1의 분산 (= 2(v - c))")
    stats.variance_normal(
        e[:, 2] + e[:, 3], 2 * (v + c), known_mean=0.0, fail_prob=5e-8, name="e2 + e3의 분산 (= 2(v + c))"
    )


@check("add_gaussian_noise", points=1)
def test_noise_is_independent_across_elements(student, seed):
    """원소마다 독립인 잡음: 서로 다른 행의 잡음 차이의 분산 = 2 sigma^2 (카이제곱, 실패 확률 <= 1e-7)."""
    sigma, shape = 0.2, (400, 50)
    r = student(noise_call, seed=seed + 3, shape=list(shape), sigma=sigma)
    out = expect.shape(r["out"], shape, name="add_gaussian_noise(x, sigma, rng)")
    x = np.random.default_rng(seed + 3).standard_normal(shape) * 3.0
    noise = out.astype(np.float64) - x
    stats.variance_normal(
        noise[0::2] - noise[1::2],
        2 * sigma**2,
        known_mean=0.0,
        name="두 행의 잡음 차이의 분산 (= 2 sigma^2; 행마다 같은 잡음을 쓰면 0)",
    )
