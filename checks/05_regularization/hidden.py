"""Hidden checks of assignment 05_regularization (never shipped to students)."""

import numpy as np

from autograder import expect, stats
from autograder.checks import check, probe, public_of

# the public file's probes and helpers (same probe source = same cached reference outputs): public_of
_P = public_of(__file__)
penalty_call, optimizer_run, early_stopping_run = _P.penalty_call, _P.optimizer_run, _P.early_stopping_run
bootstrap_draws, vote_call, correlated_errors = _P.bootstrap_draws, _P.vote_call, _P.correlated_errors
ema_run, noise_call, schedule_scalars = _P.ema_run, _P.noise_call, _P.schedule_scalars
_array_list, _trajectory, _schedule, _missing = _P._array_list, _P._trajectory, _P._schedule, _P._missing
_optimizer_allclose, _hinted = _P._optimizer_allclose, _P._hinted


@probe
def optimizer_mutation(ns, seed, opt, kwargs, steps=2):
    rng = np.random.default_rng(seed)
    w, g1, g2 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    fn = getattr(ns, opt)
    state = {}
    w1 = fn(w, g1, state, **kwargs)
    w2 = fn(w1, g2, state, **kwargs) if steps == 2 else None
    return {"w": w, "g1": g1, "g2": g2, "w1": np.asarray(w1), "w1_is_w": w1 is w, "w2_is_w1": w2 is w1}


def _no_mutation(student, fn, **kw):
    """The arrays after both calls against the inputs rebuilt here from the seed, and ``w1`` (the first step's
    result, the second step's input) against what the same first step returned in a run without a second
    step: no copy the student's code could reach is trusted as the original input."""
    r = student(optimizer_mutation, opt=fn, **kw)
    rng = np.random.default_rng(kw["seed"])
    before = {k: rng.standard_normal((3, 4)) for k in ("w", "g1", "g2")}
    before["w1"] = expect.shape(
        student(optimizer_mutation, opt=fn, steps=1, **kw)["w1"], (3, 4), name=f"{fn}(w, grad, state)"
    ).astype(np.float64)
    what = {"w": "w", "g1": "첫 step의 grad", "g2": "둘째 step의 grad", "w1": "첫 step이 반환한 w (둘째 step의 입력)"}
    bad = [what[k] for k in ("w", "g1", "g2", "w1") if np.shape(r[k]) != (3, 4) or not np.array_equal(r[k], before[k])]
    bad += [what[k] for k, same in (("w", "w1_is_w"), ("w1", "w2_is_w1")) if r[same] and what[k] not in bad]
    if bad:
        expect.fail(
            f"`{fn}`: 입력 배열이 바뀌었습니다: {', '.join(bad)}. 새 배열을 반환하세요 (w - lr * ...). "
            "grad를 그대로 state에 저장한 뒤 제자리에서(*=, +=) 바꾸면 호출한 쪽의 grad가 바뀝니다."
        )


def _state(s, r, keys, fn):
    got = s["state"]
    for k in keys:
        expect.true(k in got, f"`{fn}`: step 뒤 state에 키 {k!r}가 없습니다 (docstring에 정한 키를 쓰세요).")
        if k == "t":
            expect.equal(got[k], r["state"][k], name=f'state["{k}"]')
        else:
            expect.allclose(got[k], r["state"][k], name=f'state["{k}"]')


@probe
def schedule_array(ns, seed, fn, shape, tmin, tmax, args):
    t = np.random.default_rng(seed).integers(tmin, tmax + 1, size=shape)
    return {"lr": getattr(ns, fn)(t, *args)}


def _schedule_array(student, reference, seed, fn, shape, tmin, tmax, args, error_hint=""):
    """``error_hint``: what it means when the student's code raises on an array t (scalar-only code)."""
    kw = dict(seed=seed, fn=fn, shape=shape, tmin=tmin, tmax=tmax, args=args)
    with expect.hinted(error_hint, fits=lambda: False, on_error=bool(error_hint)):
        got = student(schedule_array, **kw)["lr"]
    expect.allclose(got, reference(schedule_array, **kw)["lr"], name=f"{fn}(t 배열 {tuple(shape)}, ...)")


@probe
def rng_reproducible(ns, seed, fn, args):
    f = getattr(ns, fn)

    def fresh():  # new input arrays for every call
        return [np.array(a, dtype=np.float64) if isinstance(a, list) else a for a in args]

    a = np.array(f(*fresh(), np.random.default_rng(seed)), copy=True)
    b = np.array(f(*fresh(), np.random.default_rng(seed)), copy=True)
    c = np.array(f(*fresh(), np.random.default_rng(seed + 1)), copy=True)
    return {"same": bool(np.array_equal(a, b)), "differs": bool(not np.array_equal(a, c))}


def _uses_rng(student, seed, fn, args):
    r = student(rng_reproducible, seed=seed, fn=fn, args=args)
    expect.true(
        r["same"] and r["differs"],
        f"`{fn}`: 같은 seed의 rng를 넘기면 같은 결과, 다른 seed면 다른 결과가 나와야 합니다. "
        "np.random.* 전역 함수가 아니라 인자로 받은 rng만 쓰세요.",
    )


@probe
def ema_mutation(ns, seed):
    rng = np.random.default_rng(seed)
    ema = [rng.standard_normal((3, 2)), rng.standard_normal(5)]
    params = [rng.standard_normal((3, 2)), rng.standard_normal(5)]
    out = ns.ema_update(ema, params, 0.9)
    shared = any(o is e for o in out for e in ema + params) or out is ema
    return {"after": ema + params, "shared": bool(shared)}


# ------------------------------------------------------------------------------------------
# 1. weight decay
# ------------------------------------------------------------------------------------------
@check("l1_penalty", points=1)
def test_l1_subgradient_of_zero_is_zero(student, reference, seed):
    """정확히 0인 가중치의 subgradient는 0 (sign(0) = 0), 여러 배열에서."""
    shapes = [[5, 4], [4], [2, 3, 3]]
    kw = dict(seed=seed, fn="l1_penalty_grad", shapes=shapes, lam=0.7, zeros=True)
    with _hinted(
        "w = 0인 원소의 기울기가 0이 아닙니다: subgradient는 sign(0) = 0 (np.sign(0) == 0; w >= 0 같은 비교로 "
        "+1을 만들지 마세요)."
    ):
        _array_list(
            student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"], "l1_penalty_grad (0 포함)"
        )
    kw["fn"] = "l1_penalty"
    expect.allclose(
        student(penalty_call, **kw)["out"], reference(penalty_call, **kw)["out"], name="l1_penalty (0 포함)"
    )


# ------------------------------------------------------------------------------------------
# 2. optimizers
# ------------------------------------------------------------------------------------------
@check("sgd_step", points=1)
def test_momentum_buffer_is_stored_in_state(student, reference, seed):
    """state["momentum_buffer"]는 torch 관례의 buffer b_t (gradient 누적, -lr*b_t인 velocity가 아님)."""
    kw = dict(seed=seed, opt="sgd_step", steps=20, dim=5, kwargs={"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1})
    s, r = student(optimizer_run, **kw), reference(optimizer_run, **kw)
    _trajectory(s)
    _state(s, r, ["momentum_buffer"], "sgd_step")


@check("sgd_step", points=1, requires="plain_sgd_with_weight_decay_matches_torch")
def test_sgd_does_not_mutate_inputs(student):
    """sgd_step은 w와 grad를 바꾸지 않고 새 배열을 반환한다 (momentum buffer가 grad와 공유되지 않음)."""
    _no_mutation(student, "sgd_step", seed=5, kwargs={"lr": 0.1, "momentum": 0.9})


@check("adam_step", points=1)
def test_adam_l2_weight_decay_is_added_to_the_gradient(student, reference, seed):
    """Adam의 weight_decay는 gradient에 더하는 L2 (torch.optim.Adam, decoupled 아님), betas=(0.8, 0.95)."""
    kw = dict(
        seed=seed,
        opt="adam_step",
        steps=50,
        dim=6,
        kwargs={"lr": 0.02, "betas": [0.8, 0.95], "eps": 1e-8, "weight_decay": 0.3},
    )
    _optimizer_allclose(_trajectory(student(optimizer_run, **kw)), reference(optimizer_run, **kw)["traj"], kw)


@check("adam_step", points=1)
def test_adam_eps_is_added_outside_the_square_root(student, reference, seed):
    """eps=1e-2로 크게 두면 sqrt(v_hat) + eps와 sqrt(v_hat + eps), sqrt(v) + eps의 차이가 드러난다."""
    kw = dict(seed=seed, opt="adam_step", steps=30, dim=6, kwargs={"lr": 0.02, "eps": 1e-2})
    expect.allclose(
        _trajectory(student(optimizer_run, **kw)), reference(optimizer_run, **kw)["traj"], name="w 궤적 (eps=1e-2)"
    )


@check("adam_step", points=1)
def test_adam_state_holds_t_m_v(student, reference, seed):
    """20 step 뒤 state["t"] = 20, state["m"], state["v"] = 보정 전 모멘트."""
    kw = dict(seed=seed, opt="adam_step", steps=20, dim=5, kwargs={"lr": 0.01, "betas": [0.9, 0.99]})
    s, r = student(optimizer_run, **kw), reference(optimizer_run, **kw)
    _trajectory(s)
    _state(s, r, ["t", "m", "v"], "adam_step")


@check("adam_step", points=1, requires="adam_trajectory_matches_torch")
def test_adam_does_not_mutate_inputs(student):
    """adam_step은 w와 grad를 바꾸지 않고 새 배열을 반환한다."""
    _no_mutation(student, "adam_step", seed=6, kwargs={"lr": 0.1, "weight_decay": 0.1})


@check("adamw_step", points=1)
def test_adamw_state_holds_t_m_v(student, reference, seed):
    """AdamW의 state도 "t", "m", "v" (m, v에는 decay 항이 들어가지 않는다)."""
    kw = dict(seed=seed, opt="adamw_step", steps=20, dim=5, kwargs={"lr": 0.01, "weight_decay": 0.5})
    s, r = student(optimizer_run, **kw), reference(optimizer_run, **kw)
    _trajectory(s)
    _state(s, r, ["t", "m", "v"], "adamw_step")


@check("adamw_step", points=1, requires="adamw_trajectory_matches_torch")
def test_adamw_does_not_mutate_inputs(student):
    """adamw_step은 w와 grad를 바꾸지 않고 새 배열을 반환한다."""
    _no_mutation(student, "adamw_step", seed=7, kwargs={"lr": 0.1, "weight_decay": 0.1})


# ------------------------------------------------------------------------------------------
# 3. learning-rate schedules (array t, defaults, warmup)
# ------------------------------------------------------------------------------------------
@check("exponential_decay", points=1)
def test_exponential_default_gamma_is_0_95_on_arrays(student, reference, seed):
    """gamma 기본값 0.95 (seed 003의 0.95^t), 정수 배열 t를 원소별로."""
    _schedule_array(student, reference, seed, "exponential_decay", [3, 7], 0, 200, [0.2])


@check("inverse_sqrt_decay", points=1)
def test_inverse_sqrt_accepts_integer_arrays(student, reference, seed):
    """정수 배열 t (1 <= t <= 10^6)를 원소별로 계산한다."""
    _schedule_array(
        student,
        reference,
        seed,
        "inverse_sqrt_decay",
        [4, 5],
        1,
        10**6,
        [3.0],
        error_hint="math.sqrt는 스칼라에만 동작합니다: np.sqrt(t)로 배열 t를 원소별로 계산하세요.",
    )


@check("step_decay", points=1)
def test_step_decay_accepts_integer_arrays(student, reference, seed):
    """정수 배열 t를 원소별로 계산한다 (step_size=7, factor=0.3)."""
    _schedule_array(
        student,
        reference,
        seed,
        "step_decay",
        [50],
        0,
        60,
        [1.0, 7, 0.3],
        error_hint="int()는 스칼라에만 동작합니다: np.floor(t / step_size) (또는 t // step_size)로 배열 t를 "
        "원소별로 계산하세요.",
    )


@check("triangular_cyclic", points=1)
def test_triangular_repeats_every_two_step_sizes(student, reference, seed):
    """여러 주기(t는 최대 10주기)에서도 torch CyclicLR과 같다 (정수 배열 t)."""
    _schedule_array(student, reference, seed, "triangular_cyclic", [6, 10], 0, 100, [0.001, 0.006, 5])


@check("cosine_annealing", points=1)
def test_linear_warmup_then_cosine(student, reference):
    """warmup=5: lr0 * t / warmup (t=0에서 0), t = warmup에서 lr0, 그 뒤 T까지 cosine."""
    _schedule(
        student,
        reference,
        "cosine_annealing",
        list(range(41)),
        [0.2, 40, 0.0, 5],
        "lr0=0.2, T=40, eta_min=0, warmup=5,",
        alts={
            "warmup 뒤의 cosine을 t - warmup이 아니라 t로 계산했을 때와 같습니다: warmup 뒤에는 cosine이 "
            "t = warmup에서 lr0로 시작해 T에서 끝나도록 (t - warmup) / (T - warmup)을 씁니다.": lambda ref: (
                [0.2 * t / 5 for t in range(5)] + list(ref([0.2, 40, 0.0, 0]))[5:]
            )
        },
    )


@check("cosine_annealing", points=1)
def test_cosine_accepts_integer_arrays(student, reference, seed):
    """정수 배열 t에 원소별로 (warmup=8, eta_min=0.001): if 대신 np.where."""
    _schedule_array(
        student,
        reference,
        seed,
        "cosine_annealing",
        [5, 9],
        0,
        60,
        [0.1, 60, 0.001, 8],
        error_hint="if t < warmup과 math.cos는 배열 t에서 동작하지 않습니다: np.where로 원소별로 고르고 np.cos를 "
        "쓰세요.",
    )


# ------------------------------------------------------------------------------------------
# 4. early stopping
# ------------------------------------------------------------------------------------------
def _es_compare(student, reference, kw, keys):
    s, r = student(early_stopping_run, **kw), reference(early_stopping_run, **kw)
    _missing(s)
    names = {
        "best": "epoch마다의 best",
        "best_epoch": "epoch마다의 best_epoch",
        "num_bad_epochs": "epoch마다의 num_bad_epochs",
    }
    for k in keys:
        if k == "best":
            expect.allclose(np.array(s[k]), np.array(r[k]), name=names[k])
        else:
            expect.equal(np.array(s[k]), np.array(r[k]), name=names[k])


@check("early_stopping", points=1)
def test_ties_are_not_improvements(student, reference):
    """best와 같은 값(tie)은 개선이 아니다: best_epoch가 그대로이고 num_bad_epochs가 는다."""
    kw = dict(metrics=[1.0, 0.5, 0.5, 0.4, 0.4, 0.4, 0.6, 0.4], patience=20, min_delta=0.0, mode="min")
    with _hinted("best와 같은 값을 개선으로 셌습니다: 개선은 metric < best - min_delta (엄격한 부등호)일 때뿐입니다."):
        _es_compare(student, reference, kw, ["best_epoch", "num_bad_epochs"])


@check("early_stopping", points=1)
def test_min_delta_is_required_for_improvement(student, reference):
    """min_delta=0.1: metric < best - 0.1일 때만 개선 (작은 개선은 무시)."""
    kw = dict(metrics=[1.0, 0.95, 0.85, 0.79, 0.77, 0.6, 0.55, 0.49, 0.3], patience=20, min_delta=0.1, mode="min")
    with _hinted("min_delta보다 작은 개선까지 개선으로 셌습니다: metric < best - min_delta일 때만 개선입니다."):
        _es_compare(student, reference, kw, ["best", "best_epoch", "num_bad_epochs"])


@check("early_stopping", points=1)
def test_mode_max_tracks_the_largest_metric(student, reference):
    """mode="max"(정확도): 더 큰 값이 개선이고 best는 -inf에서 시작한다."""
    kw = dict(metrics=[0.5, 0.6, 0.55, 0.7, 0.65, 0.72, 0.71], patience=20, min_delta=0.0, mode="max")
    with _hinted(
        'mode="max"인데 작은 값을 개선으로 셌습니다: mode="max"이면 metric > best + min_delta가 개선이고 '
        "best는 -inf에서 시작합니다."
    ):
        _es_compare(student, reference, kw, ["best", "best_epoch", "num_bad_epochs"])


# ------------------------------------------------------------------------------------------
# 5. bagging
# ------------------------------------------------------------------------------------------
@check("bootstrap_indices", points=1)
def test_bootstrap_uses_the_given_rng(student, seed):
    """같은 seed의 rng면 같은 인덱스, 다른 seed면 다른 인덱스 (전역 np.random을 쓰지 않음)."""
    _uses_rng(student, seed, "bootstrap_indices", [50])


@check("majority_vote", points=1)
def test_ties_go_to_the_smallest_label(student, reference):
    """동점이면 가장 작은 레이블을 고른다 (np.argmax of counts, scipy.stats.mode와 같은 관례)."""
    preds = [[2, 3, 1, 0, 4, 1, 2], [2, 0, 2, 0, 3, 1, 4], [1, 3, 3, 1, 2, 2, 4], [1, 0, 0, 1, 1, 2, 2]]
    got = expect.shape(student(vote_call, preds=preds)["vote"], (7,), name="majority_vote(동점 예시)")
    expect.equal(got, reference(vote_call, preds=preds)["vote"], name="majority_vote(동점 예시)")


@check("ensemble_error_variance", points=1)
def test_independent_and_fully_correlated_limits(student):
    """c=0이면 v/k, c=v이면 v, k=1이면 v (식의 양 끝)."""
    v = np.array([1.0, 2.0, 0.5, 3.0])
    k = np.array([4, 10, 1, 7])
    cases = [
        ("c = 0 (독립)", v, 0 * v, k, v / k),
        ("c = v (완전 상관)", v, v, k, v),
        ("k = 1", v, 0.3 * v, 1 + 0 * k, v),
    ]
    for label, vv, cc, kk, want in cases:
        got = student(_ens_limits, v=vv.tolist(), c=cc.tolist(), k=kk.tolist())["var"]
        expect.allclose(got, want, name=f"ensemble_error_variance, {label}")


@probe
def _ens_limits(ns, v, c, k):
    return {"var": ns.ensemble_error_variance(np.array(v), np.array(c), np.array(k))}


@check("sample_correlated_errors", points=1)
def test_sample_correlated_uses_the_given_rng(student, seed):
    """같은 seed의 rng면 같은 표본, 다른 seed면 다른 표본."""
    _uses_rng(student, seed, "sample_correlated_errors", [1.0, 0.3, 3, 10])


# ------------------------------------------------------------------------------------------
# 6. EMA and noise
# ------------------------------------------------------------------------------------------
@check("ema_update", points=1)
def test_decay_weights_the_old_average(student):
    """decay는 이전 평균의 가중치: ema=0, param=1, decay=0.9이면 0.1 (0.9가 아님)."""
    got = student(_ema_single, decay=0.9)["out"]
    expect.true(isinstance(got, list) and len(got) == 1, "`ema_update`: 배열의 리스트를 반환해야 합니다.")
    if np.allclose(np.asarray(got[0], dtype=np.float64), 0.9):
        expect.fail(
            "`ema_update`: decay와 1 - decay가 바뀌었습니다. new = decay * ema + (1 - decay) * param입니다 "
            "(decay는 이전 평균 쪽 가중치, torch get_ema_multi_avg_fn과 같음)."
        )
    expect.allclose(got[0], np.full(4, 0.1), name="ema_update([0], [1], 0.9)")


@probe
def _ema_single(ns, decay):
    out = ns.ema_update([np.zeros(4)], [np.ones(4)], decay)
    return {"out": [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else out}


@check("ema_update", points=1, requires="ema_matches_torch_over_many_updates")
def test_ema_does_not_mutate_inputs(student):
    """ema_update는 새 리스트의 새 배열을 반환하고 ema_params, params를 바꾸지 않는다."""
    r = student(ema_mutation, seed=3)
    rng = np.random.default_rng(3)  # the probe's inputs, rebuilt here
    before = [rng.standard_normal((3, 2)), rng.standard_normal(5), rng.standard_normal((3, 2)), rng.standard_normal(5)]
    after = r["after"]
    changed = len(after) != 4 or any(
        np.shape(a) != b.shape or not np.array_equal(a, b) for a, b in zip(after, before, strict=True)
    )
    expect.true(
        not changed and not r["shared"],
        "`ema_update`: 입력 배열을 제자리에서 바꾸거나 그대로 반환했습니다. 이 과제의 ema_update는 새 배열의 리스트를 "
        "반환합니다 (torch AveragedModel은 제자리 갱신이지만 여기서는 약속이 다릅니다).",
    )


@check("add_gaussian_noise", points=1)
def test_noise_is_normal(student, seed):
    """잡음의 분포가 N(0, sigma^2)이다 (DKW, 실패 확률 <= 1e-7)."""
    sigma, n = 0.3, 20000
    r = student(noise_call, seed=seed + 7, shape=[n], sigma=sigma)
    out = expect.shape(r["out"], (n,), name="add_gaussian_noise(x, sigma, rng)")
    x = np.random.default_rng(seed + 7).standard_normal(n) * 3.0
    stats.dkw(out.astype(np.float64) - x, stats.normal_cdf(0.0, sigma), name="잡음", what="N(0, sigma^2)")


@check("add_gaussian_noise", points=1)
def test_noise_uses_the_given_rng(student, seed):
    """같은 seed의 rng면 같은 잡음, 다른 seed면 다른 잡음."""
    _uses_rng(student, seed, "add_gaussian_noise", [[0.0, 1.0, 2.0, 3.0], 0.5])


# ------------------------------------------------------------------------------------------
# 1.3 soft-thresholding (the L1 proximal step)
# ------------------------------------------------------------------------------------------
@probe
def soft_threshold_nd(ns, seed, shape, tau):
    w = np.random.default_rng(seed).standard_normal(shape) * 0.5
    before = w.copy()
    out = ns.soft_threshold(w, tau)
    return {"out": out, "mutated": bool(not np.array_equal(w, before))}


@check("soft_threshold", points=1, requires="soft_threshold_shrinks_by_tau")
def test_soft_threshold_any_shape_tau_zero_and_input_untouched(student, reference, seed):
    """3-D 배열, tau = 0 (그대로 돌려줌), 그리고 입력 w를 바꾸지 않는다."""
    for shape, tau in (([3, 4, 5], 0.25), ([6], 0.0)):
        kw = dict(seed=seed, shape=shape, tau=tau)
        r = student(soft_threshold_nd, **kw)
        expect.allclose(
            r["out"],
            reference(soft_threshold_nd, **kw)["out"],
            name=f"soft_threshold (shape {tuple(shape)}, tau={tau})",
        )
        expect.true(
            not r["mutated"], "`soft_threshold`: 입력 w를 제자리에서 바꿨습니다. 새 배열을 반환하세요 (docstring)."
        )
