"""Hidden checks of assignment 03 (dropout and its relatives).

Independence of random draws is tested with Fisher's exact test on paired indicators (public.py's
``independent``; two-sided; a correct sampler fails with probability <= the stated fail_prob, since the test is
conservative), so these checks do not depend on the drop rate being right: the rate has its own checks.
"""

import numpy as np

from autograder import expect
from autograder.checks import check, probe, public_of

_P = public_of(__file__)
binary_mask, channel_zero, sample_zero, probe_input = _P.binary_mask, _P.channel_zero, _P.sample_zero, _P.probe_input
independent = _P.independent
dropout_mask_draw, dropout_train, spatial_draw, drop_path_draw = (
    _P.dropout_mask_draw,
    _P.dropout_train,
    _P.spatial_draw,
    _P.drop_path_draw,
)
dropout_backward_given_cache, linear_mask_average, dropconnect_mask_draw = (
    _P.dropout_backward_given_cache,
    _P.linear_mask_average,
    _P.dropconnect_mask_draw,
)
dropconnect_apply, dropblock_pixels, dropblock_apply, sd_rates, mc_scripted = (
    _P.dropconnect_apply,
    _P.dropblock_pixels,
    _P.dropblock_apply,
    _P.sd_rates,
    _P.mc_scripted,
)


def same_values(got, want, name, hint):
    arr = expect.shape(got, np.shape(want), name=name)
    if not np.array_equal(arr, want):
        expect.fail(f"`{name}`: {hint}")


# ----------------------------------------------------------------------------------------------
# 1.1 sample_dropout_mask
# ----------------------------------------------------------------------------------------------
@check("sample_dropout_mask", points=1)
def test_mask_elements_are_independent(student, seed):
    """서로 다른 원소(배치 방향, 특징 방향)는 독립적으로 뽑힘 (p=0.7)."""
    m = expect.shape(student(dropout_mask_draw, seed=seed, p=0.7, shape=[200, 100])["mask"], (200, 100), name="mask")
    z = m == 0
    independent(z[0::2], z[1::2], name="mask[2i, j]와 mask[2i+1, j] (배치 방향)", fail_prob=5e-8)
    independent(z[:, 0::2], z[:, 1::2], name="mask[i, 2j]와 mask[i, 2j+1] (특징 방향)", fail_prob=5e-8)


@probe
def dropout_mask_rng_use(ns, seed):
    a = ns.sample_dropout_mask((40, 30), 0.7, np.random.default_rng(seed))
    b = ns.sample_dropout_mask((40, 30), 0.7, np.random.default_rng(seed))
    c = ns.sample_dropout_mask((40, 30), 0.7, np.random.default_rng(seed + 1))
    return {"a": a, "b": b, "c": c}


@check("sample_dropout_mask", points=1)
def test_mask_comes_from_the_given_rng(student, seed):
    """같은 상태의 rng는 같은 마스크, 다른 rng는 다른 마스크 (전역 np.random을 쓰지 않음)."""
    r = student(dropout_mask_rng_use, seed=seed)
    a = expect.shape(r["a"], (40, 30), name="mask")
    expect.true(
        np.array_equal(a, r["b"]),
        "같은 시드로 만든 rng 두 개가 서로 다른 마스크를 만들었습니다: 인자로 받은 `rng`만 "
        "쓰세요 (np.random.rand/np.random.random 같은 전역 난수 금지).",
    )
    expect.true(not np.array_equal(a, r["c"]), "다른 rng가 같은 마스크를 만들었습니다: 인자로 받은 `rng`에서 뽑으세요.")


# ----------------------------------------------------------------------------------------------
# 1.2 dropout_forward
# ----------------------------------------------------------------------------------------------
@check("dropout_forward", points=1, requires="kept_values_are_scaled_by_inverse_keep_probability")
def test_forward_does_not_modify_input(student, seed):
    """dropout_forward는 입력 x를 바꾸지 않음 (in-place 연산 금지)."""
    r = student(dropout_train, seed=seed, p=0.7, shape=[20, 30])
    same_values(
        r["x_after"],
        probe_input(seed, (20, 30)),
        "x (호출 후)",
        "dropout_forward가 입력 배열 x를 바꿨습니다 (x *= mask 같은 in-place 연산). 새 배열을 만들어 반환하세요.",
    )


@check("dropout_forward", points=1)
def test_cache_holds_the_mask_used(student, seed):
    """cache[0]은 사용한 0/1 마스크: out = x * cache[0] / (1-p) (p=0.7)."""
    r = student(dropout_train, seed=seed, p=0.7, shape=[20, 30])
    out = expect.shape(r["out"], (20, 30), name="out")
    if r["mask"] is None:
        expect.fail("`cache`: (mask, p, mode) 튜플이어야 하고 cache[0]에 학습 모드의 마스크가 있어야 합니다.")
    mask = binary_mask(r["mask"], (20, 30), "cache[0] (mask)")
    expect.allclose(out, probe_input(seed, (20, 30)) * mask / 0.3, name="out vs x * cache[0] / (1-p)")


# ----------------------------------------------------------------------------------------------
# 1.3 dropout_backward
# ----------------------------------------------------------------------------------------------
@probe
def dropout_round_trip(ns, seed, p):
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal((25, 16)), rng.standard_normal((25, 16))
    out, cache = ns.dropout_forward(x.copy(), p, "train", np.random.default_rng(seed + 1))
    return {"out": out, "dx": ns.dropout_backward(dout, cache)}


@check("dropout_backward", points=1)
def test_backward_uses_the_forward_mask(student, seed):
    """순전파에서 0이 된 곳은 dx도 0, 살아남은 곳은 dout/(1-p) (같은 마스크, p=0.7)."""
    r = student(dropout_round_trip, seed=seed, p=0.7)
    out = expect.shape(r["out"], (25, 16), name="out")
    rng = np.random.default_rng(seed)  # the probe's x and dout, rebuilt here
    _, dout = rng.standard_normal((25, 16)), rng.standard_normal((25, 16))
    expect.allclose(r["dx"], np.where(out != 0, dout / 0.3, 0.0), name="dx vs dout * (out != 0) / (1-p)")


# ----------------------------------------------------------------------------------------------
# 2. weight scaling rule
# ----------------------------------------------------------------------------------------------
@check("weight_scaling_rule", points=1)
def test_inverted_mask_average_equals_plain_layer(student, reference, seed):
    """inverted dropout의 마스크 평균 = x @ W + b (p=0.7)."""
    kw = dict(seed=seed, p=0.7, inverted=True)
    expect.allclose(
        student(linear_mask_average, **kw)["y"],
        reference(linear_mask_average, **kw)["y"],
        name="mask_average_linear (inverted=True)",
    )


# ----------------------------------------------------------------------------------------------
# 3. DropConnect
# ----------------------------------------------------------------------------------------------
@check("dropconnect_linear", points=1)
def test_bias_is_neither_masked_nor_rescaled(student, reference, seed):
    """모든 가중치를 끈 마스크에서 출력은 b 그대로 (p=0.7)."""
    kw = dict(seed=seed, p=0.7, mask_kind="zeros")
    expect.allclose(student(dropconnect_apply, **kw)["y"], reference(dropconnect_apply, **kw)["y"], name="y (mask = 0)")


# ----------------------------------------------------------------------------------------------
# 4. Spatial dropout
# ----------------------------------------------------------------------------------------------
@check("spatial_dropout", points=1, requires="whole_channel_maps_are_dropped_or_scaled")
def test_channels_are_dropped_independently(student, seed):
    """채널 맵마다 독립: 배치 방향, 채널 방향으로 공유하지 않음 (p=0.7)."""
    shape = (200, 100, 2, 2)
    out = expect.shape(student(spatial_draw, seed=seed, p=0.7, shape=list(shape))["out"], shape, name="out")
    z = channel_zero(out)
    independent(z[0::2], z[1::2], name="채널 맵 (2n, c)와 (2n+1, c) (배치 방향)", fail_prob=5e-8)
    independent(z[:, 0::2], z[:, 1::2], name="채널 맵 (n, 2c)와 (n, 2c+1) (채널 방향)", fail_prob=5e-8)


@check("spatial_dropout", points=1, requires="whole_channel_maps_are_dropped_or_scaled")
def test_spatial_dropout_does_not_modify_input(student, seed):
    """spatial_dropout은 입력 x를 바꾸지 않음."""
    r = student(spatial_draw, seed=seed, p=0.7, shape=[4, 6, 3, 3])
    same_values(
        r["x_after"],
        probe_input(seed, (4, 6, 3, 3)),
        "x (호출 후)",
        "spatial_dropout이 입력 배열 x를 바꿨습니다 (in-place 연산). 새 배열을 반환하세요.",
    )


# ----------------------------------------------------------------------------------------------
# 5. DropBlock
# ----------------------------------------------------------------------------------------------
@check("dropblock", points=1, requires="dropblock_rescales_by_numel_over_kept")
def test_dropblock_with_everything_dropped_is_zero(student, reference, seed):
    """마스크가 모두 0이면 출력은 모두 0 (0/0 = NaN이 아님)."""
    expect.allclose(
        student(dropblock_apply, seed=seed, kind="zeros")["out"],
        reference(dropblock_apply, seed=seed, kind="zeros")["out"],
        name="out (mask = 0)",
    )


# ----------------------------------------------------------------------------------------------
# 6. drop path / stochastic depth
# ----------------------------------------------------------------------------------------------
@check("drop_path", points=1, requires="each_sample_is_dropped_or_scaled_as_a_whole")
def test_drop_path_does_not_modify_input(student, seed):
    """drop_path는 입력 x를 바꾸지 않음."""
    r = student(drop_path_draw, seed=seed, p=0.7, shape=[16, 5], training=True)
    same_values(
        r["x_after"],
        probe_input(seed, (16, 5)),
        "x (호출 후)",
        "drop_path가 입력 배열 x를 바꿨습니다 (in-place 연산). 새 배열을 반환하세요.",
    )


@check("stochastic_depth_rates", points=1)
def test_single_block_gets_the_final_rate(student, reference):
    """L=1이면 [p_L]; L=7, p_L=0.5에서도 p_L * l / L (l은 1부터)."""
    for L, pL in ((1, 0.3), (7, 0.5)):
        got = student(sd_rates, num_blocks=L, final_rate=pL)["rates"]
        want = reference(sd_rates, num_blocks=L, final_rate=pL)["rates"]
        expect.allclose(got, want, name=f"stochastic_depth_rates({L}, {pL})")


# ----------------------------------------------------------------------------------------------
# 7. MC dropout
# ----------------------------------------------------------------------------------------------
@check("mc_dropout_predict", points=1, requires="predictive_mean_is_average_of_passes")
def test_training_flags_are_restored(student, seed):
    """호출 후 모든 모듈의 training 플래그가 호출 전과 같음 (train/eval 두 경우)."""
    for start in ("train", "eval"):
        r = student(mc_scripted, seed=seed, num_samples=4, start_mode=start)
        want = start == "train"
        after = [bool(v) for v in r["after"]]
        expect.true(
            after == [want] * 3,
            f"{start} 모드의 모델을 넘겼는데 호출 후 (model, dropout, batchnorm).training = {after}입니다. "
            "MC dropout이 끝나면 모듈마다 원래 training 플래그로 되돌리세요 (try/finally).",
        )


@probe
def mc_real_model(ns, seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Dropout(0.4), torch.nn.Linear(16, 3)
    ).double()
    with torch.no_grad():
        model[1].running_mean.copy_(torch.linspace(-1.0, 1.0, 16, dtype=torch.float64))
        model[1].running_var.copy_(torch.linspace(0.5, 2.0, 16, dtype=torch.float64))
    model.eval()
    x = torch.randn(8, 4, dtype=torch.float64)
    mean, var = ns.mc_dropout_predict(model, x, 20)
    return {"running_mean": model[1].running_mean, "running_var": model[1].running_var, "mean": mean, "var": var}


@check("mc_dropout_predict", points=1, requires="predictive_mean_is_average_of_passes")
def test_batchnorm_running_statistics_are_not_updated(student, seed):
    """실제 모델(Linear-BN-ReLU-Dropout-Linear)에서 BatchNorm의 running 통계가 바뀌지 않음."""
    r = student(mc_real_model, seed=seed)
    for key, want in (("running_mean", np.linspace(-1.0, 1.0, 16)), ("running_var", np.linspace(0.5, 2.0, 16))):
        got = expect.shape(r[key], (16,), name=key)
        if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
            expect.fail(
                f"`BatchNorm1d.{key}`가 MC dropout 중에 바뀌었습니다: BatchNorm이 train 모드로 실행되었습니다. "
                "model.train() 대신 model.eval() 후 dropout 모듈만 .train()으로 켜세요."
            )


# ----------------------------------------------------------------------------------------------
# 1.4 numeric_gradient (appended). f(x) = tanh(x.reshape(2, -1) @ A) on a 3-D x: not elementwise, output
# shaped unlike x. Centered differences err by ~h^2 |f'''| ~ 1e-10 at h = 1e-5 (atol 1e-7); a forward
# difference, or evaluating later elements while earlier ones are still moved by h, errs by ~h |f''| ~ 1e-5.
# ----------------------------------------------------------------------------------------------
@probe
def numgrad_tanh_3d(ns, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, 2))
    A = rng.standard_normal((6, 5)) / 2
    dout = rng.standard_normal((2, 5))
    grad = ns.numeric_gradient(lambda z: np.tanh(z.reshape(2, -1) @ A), x, dout, 1e-5)
    return {"grad": grad}


@check("numeric_gradient", points=0.5)
def test_nonlinear_vector_function(student, seed):
    """f(x) = tanh(x.reshape(2, -1) @ A), x 3차원: 기울기 = ((1 - tanh^2) dout) @ A.T (reshape)."""
    r = student(numgrad_tanh_3d, seed=seed)
    got = expect.shape(r["grad"], (2, 3, 2), name="grad")
    rng = np.random.default_rng(seed)  # the probe's inputs, rebuilt here (never read back from the student)
    x, A, dout = rng.standard_normal((2, 3, 2)), rng.standard_normal((6, 5)) / 2, rng.standard_normal((2, 5))
    t = np.tanh(x.reshape(2, -1) @ A)
    want = (((1 - t**2) * dout) @ A.T).reshape(2, 3, 2)
    if not np.allclose(got, want, rtol=0, atol=1e-7):
        expect.fail(
            "비선형 함수 f(x) = tanh(x.reshape(2, -1) @ A) (x는 3차원)에서 기울기가 해석적 기울기와 1e-7 넘게 "
            "다릅니다. "
            "중앙 차분인지, 모든 인덱스를 도는지, 원소마다 x를 원래 값으로 되돌린 뒤 다음 원소로 가는지 확인하세요."
        )
