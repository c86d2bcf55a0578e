"""Hidden checks of assignment 02 (normalization).

Same probes as the public checks (taken from public.py through ``public_of(__file__)``), other inputs and
other properties: running statistics (unbiased variance, defaults, eps/momentum read from bn_param), eval
mode, inputs not mutated, the other gradients, the GroupNorm special cases, RMSNorm's eps=None,
spectral-norm convergence, and the defining properties of the Pre-/Post-Norm blocks.
"""

import numpy as np

from autograder import expect
from autograder.checks import check, public_of

_P = public_of(__file__)
allclose, MOMENTUM_HINT, BN_TRAIN, RMS_MOD = _P.allclose, _P.MOMENTUM_HINT, _P.BN_TRAIN, _P.RMS_MOD
running_allclose = _P.running_allclose
SBN, GBN = _P.SBN, _P.GBN
bn_train, bn_eval, bn_backward, sbn_train, gbn_train = (
    _P.bn_train,
    _P.bn_eval,
    _P.bn_backward,
    _P.sbn_train,
    _P.gbn_train,
)
ln_forward, ln_backward, in_forward, gn_forward = _P.ln_forward, _P.ln_backward, _P.in_forward, _P.gn_forward
rms_forward, rms_module, wn, sn, block = _P.rms_forward, _P.rms_module, _P.wn, _P.sn, _P.block

NOT_MUTATED = "입력 배열을 제자리에서 바꾸지 마세요 (x -= mu, x /= std 같은 in-place 연산 대신 새 배열을 만드세요)."


def unchanged(student, reference, probe, before, after, what, **kw):
    """The student's ``after`` equals the input as the reference process saw it before the call: what a
    check compares with never comes back from the student's process (its code could rewrite the probe's
    copy, e.g. through ``sys._getframe(1)``)."""
    r, trusted = student(probe, **kw), reference(probe, **kw)
    try:
        expect.equal(r[after], trusted[before], name=what)
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: {NOT_MUTATED}")


# ------------------------------------------------------------------------------------- batchnorm_forward


@check("batchnorm_forward", points=0.5, requires="bn_train_output_matches_reference")
def test_bn_input_is_not_mutated(student, reference, seed):
    """batchnorm_forward는 입력 x를 바꾸지 않습니다."""
    unchanged(student, reference, bn_train, "x_before", "x_after", "호출 뒤의 x", seed=seed, **BN_TRAIN)


@check("batchnorm_forward", points=1)
def test_bn_reads_eps_and_momentum_from_bn_param(student, reference, seed):
    """bn_param의 eps (0.2)와 momentum (0.3)을 씁니다 (상수로 고정하지 않음)."""
    kw = dict(N=10, D=4, momentum=0.3, eps=0.2, running=True)
    s, r = student(bn_train, seed=seed, **kw), reference(bn_train, seed=seed, **kw)
    allclose(s["out"], r["out"], "out", "eps = bn_param.get('eps', 1e-5)")
    running_allclose(s, r, "running_mean", 0.3, MOMENTUM_HINT)
    running_allclose(s, r, "running_var", 0.3, MOMENTUM_HINT)


# ------------------------------------------------------------------------------------ batchnorm_backward
@check("batchnorm_backward", points=0.5)
def test_bn_backward_dx_sums_to_zero_over_batch(student, seed):
    """모든 입력에 같은 값을 더해도 출력이 그대로이므로 dx의 배치 합은 feature마다 0입니다."""
    dx = expect.shape(student(bn_backward, seed=seed, N=16, D=5)["dx"], (16, 5), name="dx")
    s = dx.astype(np.float64).sum(axis=0)
    scale = float(np.abs(dx).max()) + 1e-300
    expect.true(
        bool(np.all(np.abs(s) <= 1e-10 * scale * 16)),
        f"dx의 배치 합이 0이 아닙니다 (최대 |sum_i dx_i| = {np.abs(s).max():.3g}). "
        "평균 mu를 거쳐 가는 gradient 항 (- sum_j dxhat_j)이 빠지지 않았나요?",
    )


@check("batchnorm_backward", points=1)
def test_bn_backward_on_a_batch_smaller_than_features(student, reference, seed):
    """N=3 < D=8에서도 dx, dgamma, dbeta가 맞습니다 (축을 바꿔 쓰지 않음)."""
    s, r = student(bn_backward, seed=seed, N=3, D=8), reference(bn_backward, seed=seed, N=3, D=8)
    for key in ("dx", "dgamma", "dbeta"):
        allclose(s[key], r[key], key, "배치 축은 axis=0, 배치 크기는 N = dout.shape[0]입니다.")


# ------------------------------------------------------------------------------ spatial_batchnorm_forward


@check("spatial_batchnorm_forward", points=0.5, requires="sbn_train_output_matches_reference")
def test_sbn_input_is_not_mutated(student, reference, seed):
    """spatial_batchnorm_forward는 입력 x를 바꾸지 않습니다."""
    unchanged(student, reference, sbn_train, "x_before", "x_after", "호출 뒤의 x", seed=seed, mode="train", **SBN)


# -------------------------------------------------------------------------------- ghost_batchnorm_forward


@check("ghost_batchnorm_forward", points=0.5)
def test_gbn_one_chunk_equals_batchnorm(student, reference, seed):
    """virtual_batch_size = N이면 보통 BatchNorm과 같습니다 (출력과 running statistics)."""
    kw = dict(N=12, D=4, v=12, mode="train")
    s, r = student(gbn_train, seed=seed, **kw), reference(gbn_train, seed=seed, **kw)
    for key in ("out", "running_mean", "running_var"):
        allclose(s[key], r[key], key, "조각이 하나면 batchnorm_forward의 train 모드와 같아야 합니다.")


@check("ghost_batchnorm_forward", points=0.5, requires="gbn_train_output_matches_reference")
def test_gbn_input_is_not_mutated(student, reference, seed):
    """ghost_batchnorm_forward는 입력 x를 바꾸지 않습니다."""
    unchanged(student, reference, gbn_train, "x_before", "x_after", "호출 뒤의 x", seed=seed, mode="train", **GBN)


# ------------------------------------------------------------------------------------- layernorm
@check("layernorm_forward", points=0.5)
def test_ln_uses_given_eps(student, reference, seed):
    """eps 인자 (0.5)를 sqrt 안에서 씁니다."""
    allclose(
        student(ln_forward, seed=seed, N=5, D=6, eps=0.5)["out"],
        reference(ln_forward, seed=seed, N=5, D=6, eps=0.5)["out"],
        "out (eps=0.5)",
        "eps 인자를 그대로 써서 sqrt(var + eps)로 나눕니다.",
    )


@check("layernorm_forward", points=1)
def test_ln_rows_are_normalized_independently(student, seed):
    """한 샘플의 출력은 배치의 다른 샘플과 무관합니다 (x[:2]만 넣어도 같은 출력)."""
    r = student(ln_forward, seed=seed, N=6, D=9, eps=1e-5)
    out = expect.shape(r["out"], (6, 9), name="out")
    try:
        expect.allclose(r["out_first_two"], out[:2], name="layernorm_forward(x[:2])")
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: 배치 축(axis=0)으로 통계를 내면 BatchNorm이 됩니다. LayerNorm은 axis=1.")


@check("layernorm_backward", points=0.5)
def test_ln_backward_dx_sums_to_zero_over_features(student, seed):
    """샘플마다 dx를 feature 축으로 더하면 0입니다 (LayerNorm 출력은 입력에 상수를 더해도 그대로)."""
    dx = expect.shape(student(ln_backward, seed=seed, N=6, D=7)["dx"], (6, 7), name="dx")
    s = dx.astype(np.float64).sum(axis=1)
    scale = float(np.abs(dx).max()) + 1e-300
    expect.true(
        bool(np.all(np.abs(s) <= 1e-10 * scale * 7)),
        f"dx의 feature 합이 0이 아닙니다 (최대 |sum_d dx_nd| = {np.abs(s).max():.3g}). "
        "평균을 거쳐 가는 항을 feature 축(axis=1)으로 빼야 합니다.",
    )


# ------------------------------------------------------------------------------ instance / group norm
@check("instancenorm_forward", points=0.5, requires="in_output_matches_reference")
def test_in_is_independent_of_the_batch(student, seed):
    """샘플 하나(x[:1])만 넣어도 같은 출력: 통계에 배치 축이 들어가지 않습니다."""
    r = student(in_forward, seed=seed, shape=[3, 4, 5, 6], eps=1e-5)
    out = expect.shape(r["out"], (3, 4, 5, 6), name="out")
    try:
        expect.allclose(r["out_first"], out[:1], name="instancenorm_forward(x[:1])")
    except expect.CheckFailed as exc:
        expect.fail(f"{exc}\n힌트: InstanceNorm은 샘플·채널마다 axis=(2, 3)로 통계를 냅니다.")


@check("instancenorm_forward", points=0.5)
def test_in_uses_given_eps(student, reference, seed):
    """eps 인자 (0.5)를 sqrt 안에서 씁니다."""
    kw = dict(shape=[2, 3, 4, 4], eps=0.5)
    allclose(
        student(in_forward, seed=seed, **kw)["out"],
        reference(in_forward, seed=seed, **kw)["out"],
        "out (eps=0.5)",
        "eps 인자를 sqrt(var + eps) 안에서 씁니다.",
    )


@check("groupnorm_forward", points=0.5)
def test_gn_one_group_is_layernorm_over_chw(student, reference, seed):
    """G = 1이면 (C, H, W) 전체로 정규화하는 LayerNorm (+ 채널별 affine)."""
    kw = dict(shape=[2, 6, 3, 4], groups=1, eps=1e-5)
    allclose(
        student(gn_forward, seed=seed, **kw)["out"],
        reference(gn_forward, seed=seed, **kw)["out"],
        "out (G=1)",
        "그룹이 하나면 샘플마다 (C, H, W) 전체의 평균과 분산을 씁니다.",
    )


@check("groupnorm_forward", points=0.5)
def test_gn_c_groups_is_instancenorm(student, reference, seed):
    """G = C이면 InstanceNorm (+ 채널별 affine)."""
    kw = dict(shape=[2, 6, 3, 4], groups=6, eps=1e-5)
    allclose(
        student(gn_forward, seed=seed, **kw)["out"],
        reference(gn_forward, seed=seed, **kw)["out"],
        "out (G=C)",
        "그룹마다 채널이 하나면 샘플·채널마다 (H, W)로 정규화합니다.",
    )


@check("groupnorm_forward", points=0.5)
def test_gn_uses_given_eps(student, reference, seed):
    """eps 인자 (0.5)를 sqrt 안에서 씁니다."""
    kw = dict(shape=[2, 6, 3, 4], groups=3, eps=0.5)
    allclose(
        student(gn_forward, seed=seed, **kw)["out"],
        reference(gn_forward, seed=seed, **kw)["out"],
        "out (eps=0.5)",
        "eps 인자를 sqrt(var + eps) 안에서 씁니다.",
    )


@check("groupnorm_forward", points=0.5)
def test_gn_four_groups_of_two_channels(student, reference, seed):
    """C = 8, G = 4 (그룹마다 연속된 채널 2개), 샘플 하나."""
    kw = dict(shape=[1, 8, 3, 3], groups=4, eps=1e-5)
    allclose(
        student(gn_forward, seed=seed, **kw)["out"],
        reference(gn_forward, seed=seed, **kw)["out"],
        "out",
        "채널 c는 그룹 c // (C // G)에 속합니다: x.reshape(N, G, C // G, H, W).",
    )


# -------------------------------------------------------------------------------------------- RMSNorm
@check("rmsnorm_forward", points=0.5)
def test_rms_works_on_3d_input(student, reference, seed):
    """(B, T, D) 입력: 마지막 축으로 정규화."""
    kw = dict(shape=[2, 3, 8], eps=1e-6, scale=1.0)
    allclose(
        student(rms_forward, seed=seed, **kw)["out"],
        reference(rms_forward, seed=seed, **kw)["out"],
        "out",
        "axis=-1, keepdims=True로 평균을 내면 어떤 shape에서도 동작합니다.",
    )


@check("rmsnorm_forward", points=0.5)
def test_rms_uses_given_eps(student, reference, seed):
    """작은 입력 (크기 1e-3)에서 eps = 1e-5가 sqrt 안에 들어갑니다."""
    kw = dict(shape=[4, 8], eps=1e-5, scale=1e-3)
    allclose(
        student(rms_forward, seed=seed, **kw)["out"],
        reference(rms_forward, seed=seed, **kw)["out"],
        "out",
        "x / sqrt(mean(x**2) + eps): eps는 sqrt 안에, 주어진 값을 그대로.",
    )


@check("rmsnorm_module", points=0.5)
def test_rms_module_tuple_shape_normalizes_last_dims(student, reference, seed):
    """normalized_shape = (5, 8)이면 마지막 두 축 전체로 RMS를 내고 weight도 (5, 8)."""
    kw = dict(shape=[2, 5, 8], normalized_shape=[5, 8], eps=1e-6, scale=1.0)
    allclose(
        student(rms_module, seed=seed, **kw)["y"],
        reference(rms_module, seed=seed, **kw)["y"],
        "y",
        "dims = tuple(range(-len(normalized_shape), 0))로 평균을 냅니다.",
    )


# ------------------------------------------------------------------------------- weight / spectral norm
@check("weight_norm", points=0.5)
def test_wn_conv_weight_dim0(student, reference, seed):
    """Conv weight (4, 3, 2, 2), dim=0: 출력 채널마다 (3, 2, 2) 전체의 norm."""
    kw = dict(shape=[4, 3, 2, 2], dim=0)
    allclose(
        student(wn, seed=seed, **kw)["W"],
        reference(wn, seed=seed, **kw)["W"],
        "W",
        "dim을 뺀 모든 축: axes = tuple(a for a in range(v.ndim) if a != dim).",
    )


@check("weight_norm", points=0.5)
def test_wn_dim1(student, reference, seed):
    """dim=1: 열마다 g_j * v[:, j] / ||v[:, j]||."""
    kw = dict(shape=[5, 3], dim=1)
    allclose(
        student(wn, seed=seed, **kw)["W"],
        reference(wn, seed=seed, **kw)["W"],
        "W",
        "dim=1이면 axis=0으로 norm을 냅니다 (dim은 norm을 '따로' 갖는 축).",
    )


@check("weight_norm", points=0.5)
def test_wn_dim_none_uses_whole_tensor_norm(student, reference, seed):
    """dim=None: 텐서 전체의 L2 norm 하나, 스칼라 g."""
    kw = dict(shape=[5, 3], dim=None)
    allclose(
        student(wn, seed=seed, **kw)["W"],
        reference(wn, seed=seed, **kw)["W"],
        "W",
        "dim=None이면 np.sqrt(np.sum(v**2)) 하나로 나눕니다.",
    )


@check("weight_norm", points=0.5, requires="wn_dim0_matches_reference")
def test_wn_input_is_not_mutated(student, reference, seed):
    """weight_norm은 v를 바꾸지 않습니다."""
    unchanged(student, reference, wn, "v_before", "v_after", "호출 뒤의 v", seed=seed, shape=[6, 4], dim=0)


@check("spectral_norm_step", points=0.5)
def test_sn_several_power_iterations(student, reference, seed):
    """n_power_iterations = 3: 반복을 세 번 한 뒤의 W_sn, u, sigma."""
    kw = dict(shape=[6, 3], n_iter=3, gap=False)
    s, r = student(sn, seed=seed, **kw), reference(sn, seed=seed, **kw)
    hint = "n_power_iterations번 (v, u)를 갱신한 뒤 sigma를 한 번 계산합니다."
    allclose(s["W_sn"], r["W_sn"], "W_sn", hint)
    allclose(s["u"], r["u"], "u", hint)
    allclose(s["sigma"], r["sigma"], "sigma", hint, check_dtype=False)


@check("spectral_norm_step", points=1)
def test_sn_sigma_converges_to_largest_singular_value(student, reference, seed):
    """반복을 충분히 (40번) 하면 sigma가 W의 가장 큰 특이값, W_sn의 스펙트럴 norm이 1이 됩니다."""
    r = student(sn, seed=seed, shape=[6, 4], n_iter=40, gap=True)
    W = reference(sn, seed=seed, shape=[6, 4], n_iter=40, gap=True)["W"]  # the input, from the trusted process
    top = float(np.linalg.svd(W, compute_uv=False)[0])  # computed here, in the grader
    try:
        expect.allclose(r["sigma"], top, name="sigma (40번 반복)", rtol=1e-9, check_dtype=False)
        W_sn = expect.shape(r["W_sn"], (6, 4), name="W_sn")
        expect.allclose(
            float(np.linalg.svd(W_sn.astype(np.float64), compute_uv=False)[0]),
            1.0,
            name="W_sn의 가장 큰 특이값",
            rtol=1e-9,
        )
    except expect.CheckFailed as exc:
        expect.fail(
            f"{exc}\n힌트: sigma = u^T W v는 power iteration이 수렴하면 가장 큰 특이값입니다. "
            "n_power_iterations를 쓰고 있나요? (Frobenius norm이 아닙니다.)"
        )


@check("spectral_norm_step", points=0.5, requires="sn_weight_and_sigma_match_reference")
def test_sn_input_u_is_not_mutated(student, reference, seed):
    """spectral_norm_step은 입력 u를 바꾸지 않고 새 u를 돌려줍니다."""
    unchanged(
        student, reference, sn, "u_before", "u_after", "호출 뒤의 입력 u", seed=seed, shape=[5, 4], n_iter=1, gap=False
    )


# ------------------------------------------------------------------------------- Pre-/Post-Norm blocks
@check("prenorm_block", points=0.5)
def test_pre_eps_is_passed_to_layernorms(student, reference, seed):
    """PreNormBlock(..., eps=0.5): 두 LayerNorm이 그 eps를 씁니다."""
    kw = dict(kind="PreNormBlock", eps=0.5, zero_sublayers=False, unit_norms=False)
    allclose(
        student(block, seed=seed, **kw)["y"],
        reference(block, seed=seed, **kw)["y"],
        "y (eps=0.5)",
        "nn.LayerNorm(d_model, eps=eps)로 만드세요.",
    )


@check("prenorm_block", points=1)
def test_pre_residual_path_is_identity_when_sublayers_output_zero(student, reference, seed):
    """부층의 출력이 0이면 (마지막 Linear가 0) Pre-Norm 블록은 항등 함수: 잔차 경로에는 정규화가 없습니다."""
    kw = dict(seed=seed, kind="PreNormBlock", eps=1e-5, zero_sublayers=True, unit_norms=False)
    r, x = student(block, **kw), reference(block, **kw)["x"]  # the input x, from the trusted process
    try:
        expect.allclose(r["y"], x, name="y (부층 출력 0)")
    except expect.CheckFailed as exc:
        expect.fail(
            f"{exc}\n힌트: Pre-Norm은 x = x + attn(norm1(x))입니다. 잔차 x 자체를 정규화하면 항등 경로가 사라집니다."
        )


@check("postnorm_block", points=0.5)
def test_post_eps_is_passed_to_layernorms(student, reference, seed):
    """PostNormBlock(..., eps=0.5): 두 LayerNorm이 그 eps를 씁니다."""
    kw = dict(kind="PostNormBlock", eps=0.5, zero_sublayers=False, unit_norms=False)
    allclose(
        student(block, seed=seed, **kw)["y"],
        reference(block, seed=seed, **kw)["y"],
        "y (eps=0.5)",
        "nn.LayerNorm(d_model, eps=eps)로 만드세요.",
    )


@check("postnorm_block", points=1)
def test_post_output_tokens_are_layer_normalized(student, seed):
    """norm2의 weight=1, bias=0이면 Post-Norm 블록의 출력은 토큰마다 평균 0, 분산 약 1 (마지막 연산이 LayerNorm)."""
    r = student(block, seed=seed, kind="PostNormBlock", eps=1e-5, zero_sublayers=False, unit_norms=True)
    y = expect.shape(r["y"], (2, 5, 16), name="y").astype(np.float64)
    mean, var = y.mean(axis=-1), y.var(axis=-1)
    expect.true(
        bool(np.all(np.abs(mean) <= 1e-9) and np.all(np.abs(var - 1.0) <= 1e-3)),
        f"토큰마다 출력의 평균이 0, 분산이 1이어야 합니다 (최대 |평균| = {np.abs(mean).max():.3g}, "
        f"분산 범위 [{var.min():.4g}, {var.max():.4g}]). Post-Norm은 norm2(x + ffn(x))로 끝납니다.",
    )


# ------------------------------------------------------------------- numeric_gradient, groupnorm_backward
ng_smooth, ng_cubic, gn_backward, GNB_HINT = _P.ng_smooth, _P.ng_cubic, _P.gn_backward, _P.GNB_HINT


@check("numeric_gradient", points=0.5)
def test_ng_three_dimensional_input(student, seed):
    """3차원 x (2, 3, 4), h = 1e-4: 모든 원소를 하나씩 (np.ndindex) 움직이고, f는 x와 같은 shape의 배열을 받습니다."""
    r = student(ng_smooth, seed=seed, shape=[2, 3, 4], h=1e-4)
    expect.true(
        r["shapes_seen"] == [[2, 3, 4]] or r["shapes_seen"] == [(2, 3, 4)],
        f"f가 shape {r['shapes_seen']}의 배열로 호출되었습니다: x와 같은 shape (2, 3, 4)로 불러야 합니다.",
    )
    want = _P.ng_expected(seed, [2, 3, 4])
    # h = 1e-4: truncation h^2/6 * |f'''| <= 1e-8 * 30, rounding ~ 1e-16 * 100 / 1e-4 = 1e-10
    _P.allclose(
        r["grad"],
        want,
        "grad",
        "원소마다 x[idx]만 바꾸세요 (np.ndindex(x.shape)); 행 전체를 움직이면 안 됩니다.",
        rtol=0.0,
        atol=1e-6,
    )


# ---------------------------------------------------------------------------------- groupnorm_backward
@check("groupnorm_backward", points=1)
def test_gnb_special_cases_one_group_and_c_groups(student, reference, seed):
    """G = 1 (LayerNorm over (C, H, W))과 G = C (InstanceNorm + affine)의 역전파."""
    for groups in (1, 4):
        kw = dict(shape=[2, 4, 3, 3], groups=groups, eps=1e-5)
        allclose(
            student(gn_backward, seed=seed, **kw)["dx"],
            reference(gn_backward, seed=seed, **kw)["dx"],
            f"dx (G={groups})",
            GNB_HINT,
        )


@check("groupnorm_backward", points=0.5)
def test_gnb_dx_sums_to_zero_per_sample_and_group(student, seed):
    """(샘플, 그룹)마다 dx의 합은 0입니다 (그룹 안 모든 값에 같은 상수를 더해도 출력이 그대로)."""
    r = student(gn_backward, seed=seed, shape=[2, 8, 3, 3], groups=4, eps=1e-5)
    dx = expect.shape(r["dx"], (2, 8, 3, 3), name="dx").astype(np.float64)
    s = dx.reshape(2, 4, -1).sum(axis=2)
    scale = float(np.abs(dx).max()) + 1e-300
    expect.true(
        bool(np.all(np.abs(s) <= 1e-10 * scale * 18)),
        f"dx의 (샘플, 그룹)별 합이 0이 아닙니다 (최대 {np.abs(s).max():.3g}). 평균을 거쳐 가는 항을 그룹 안 "
        "(C // G, H, W) 전체로 빼야 합니다 (채널마다 따로 빼면 InstanceNorm의 역전파입니다).",
    )
