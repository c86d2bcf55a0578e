"""Public checks of assignment 03 (dropout and its relatives).

Conventions graded here: ``p`` is the DROP probability (torch.nn.functional.dropout), kept values are
scaled by 1/(1-p), masks are float64 0/1 keep-masks, and randomness comes from the ``rng`` argument.
Probabilities are tested at p = 0.2 and 0.7 (never 0.5) so that the keep/drop conventions cannot be confused.
Random sampling is graded by distribution (exact binomial bounds, false-failure probability <= 1e-7 per
check); independence of draws (DropConnect weights, DropBlock channels) by Fisher's exact test on paired
indicators (``independent``); apply functions are graded exactly against the reference solution with a given mask.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder import expect, stats
from autograder.checks import check, probe


# ----------------------------------------------------------------------------------------------
# grader-side helpers (never sent to the student's process)
# ----------------------------------------------------------------------------------------------
def binary_mask(got, shape, name):
    """The student's mask as a float64 0/1 array of ``shape``, or a failure saying what is wrong."""
    arr = expect.shape(got, shape, name=name)
    if arr.dtype != np.float64:
        expect.fail(
            f"`{name}`: dtype이 다릅니다 — 기대 float64 (1.0 = 유지, 0.0 = 버림), 학생 {arr.dtype}. "
            "불리언 비교 결과는 `.astype(np.float64)`로 바꾸세요."
        )
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        expect.fail(
            f"`{name}`: 마스크에는 0.0과 1.0만 있어야 하는데 {int(bad.sum())}개 원소가 아닙니다 "
            f"(첫 위치 {idx}: {arr[idx]!r}). 마스크는 1/(1-p) 스케일을 곱하기 전의 값입니다."
        )
    return arr


def probe_input(seed, shape):
    """The input ``x`` a probe draws first, ``np.random.default_rng(seed).standard_normal(shape)``, rebuilt here.

    What a check compares with never comes back from the student's process: the student's code runs
    there and could rewrite the probe's own copy of ``x`` (e.g. through ``sys._getframe(1)``)."""
    return np.random.default_rng(seed).standard_normal(tuple(shape))


def block_orphans(dropped, bs):
    """Dropped pixels that no whole, in-image bs x bs dropped block covers (empty for a DropBlock mask)."""
    full = sliding_window_view(dropped, (bs, bs), axis=(2, 3)).all(axis=(-2, -1))  # block with top-left here
    padded = np.pad(full, ((0, 0), (0, 0), (bs - 1, bs - 1), (bs - 1, bs - 1)))
    covered = sliding_window_view(padded, (bs, bs), axis=(2, 3)).any(axis=(-2, -1))
    return dropped & ~covered


def fisher_exact_pvalue(table) -> float:
    """Two-sided p-value of Fisher's exact test on a 2x2 table (as scipy.stats.fisher_exact, which costs
    seconds to import): the hypergeometric probability of every table with the observed margins that is
    no more likely than the observed one (relative tolerance 1e-7, as scipy)."""
    (a, b), (c, d) = table
    row, col, n = a + b, a + c, a + b + c + d
    lo, hi = max(0, row + col - n), min(row, col)
    x = np.arange(lo, hi + 1)
    lg = np.vectorize(math.lgamma, otypes=[float])
    logp = (
        lg(col + 1)
        - lg(x + 1)
        - lg(col - x + 1)
        + lg(n - col + 1)
        - lg(row - x + 1)
        - lg(n - col - row + x + 1)
        - (math.lgamma(n + 1) - math.lgamma(row + 1) - math.lgamma(n - row + 1))
    )
    p_obs = logp[a - lo]
    return float(min(1.0, np.exp(logp[logp <= p_obs + 1e-7]).sum()))


def independent(a, b, *, name, fail_prob=1e-7):
    """Paired boolean indicators a[i], b[i] independent (Fisher's exact test, false failure <= fail_prob)."""
    a, b = np.asarray(a, bool).ravel(), np.asarray(b, bool).ravel()
    table = [[int(np.sum(a & b)), int(np.sum(a & ~b))], [int(np.sum(~a & b)), int(np.sum(~a & ~b))]]
    pval = fisher_exact_pvalue(table)
    if pval < fail_prob:
        n = a.size
        both, pa, pb = table[0][0] / n, a.mean(), b.mean()
        expect.fail(
            f"`{name}`: 서로 독립이어야 하는 {n}쌍에서 둘 다 버려진 "
            f"비율이 {both:.4f}인데, 독립이면 {pa:.4f} x {pb:.4f} = "
            f"{pa * pb:.4f} 근처여야 합니다 (Fisher 정확 검정 p-value "
            f"{pval:.2g} < {fail_prob:g}; 올바른 구현이 실패할 확률 "
            f"<= {fail_prob:g}). 마스크 하나를 여러 곳에 broadcast해서 같이 쓰고 있지 않은지 확인하세요."
        )


def dropblock_gamma(p, bs, H, W):
    return p * H * W / (bs**2 * (H - bs + 1) * (W - bs + 1))


# ----------------------------------------------------------------------------------------------
# 1.1 sample_dropout_mask
# ----------------------------------------------------------------------------------------------
@probe
def dropout_mask_draw(ns, seed, p, shape):
    rng = np.random.default_rng(seed)
    return {"mask": ns.sample_dropout_mask(tuple(shape), p, rng)}


@check("sample_dropout_mask", points=1)
def test_mask_is_float64_zero_one_with_given_shape(student, seed):
    """마스크는 주어진 shape의 float64 0/1 배열 (The mask is a float64 0/1 array of the given shape)."""
    binary_mask(student(dropout_mask_draw, seed=seed, p=0.2, shape=[30, 7, 4])["mask"], (30, 7, 4), "mask")


@check("sample_dropout_mask", points=1)
def test_drop_fraction_is_p(student, seed):
    """버려지는 비율이 p=0.2 (drop probability, not keep probability)."""
    m = expect.shape(student(dropout_mask_draw, seed=seed, p=0.2, shape=[20000])["mask"], (20000,), name="mask")
    # a correct mask has all 20000 elements equal with probability 0.8^20000 + 0.2^20000 < 1e-1900
    with expect.hinted(
        "mask의 원소 20000개가 모두 같은 값입니다: 원소마다 따로 뽑지 않고 값 하나(또는 한 샘플의 마스크)를 "
        "broadcast한 것 같습니다. rng.random(shape) >= p로 원소마다 독립적으로 뽑으세요.",
        fits=lambda: bool(np.all(m == m[0])),
    ):
        stats.proportion(int(np.sum(m == 0)), m.size, 0.2, name="mask에서 0(버림)의 비율, p=0.2")


# ----------------------------------------------------------------------------------------------
# 1.2 dropout_forward
# ----------------------------------------------------------------------------------------------
@probe
def dropout_train(ns, seed, p, shape):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(tuple(shape))
    x_in = x.copy()
    out, cache = ns.dropout_forward(x_in, p, "train", np.random.default_rng(seed + 1))
    mask = None
    if isinstance(cache, (tuple, list)) and len(cache) > 0 and cache[0] is not None:
        try:
            mask = np.asarray(cache[0])
        except Exception:  # noqa: BLE001 - the student's cache[0] may raise anything; no mask then, its checks fail
            mask = None
    return {"x_after": x_in, "out": out, "mask": mask}


@check("dropout_forward", points=1)
def test_kept_values_are_scaled_by_inverse_keep_probability(student, seed):
    """학습 모드에서 살아남은 값은 x/(1-p), 버린 값은 정확히 0 (p=0.2)."""
    r = student(dropout_train, seed=seed, p=0.2, shape=[50, 40])
    out = expect.shape(r["out"], (50, 40), name="out")
    x = probe_input(seed, (50, 40))
    kept = out != 0
    if np.allclose(out[kept], x[kept] / 0.2):
        expect.fail(
            "`out`: 살아남은 값이 x/p입니다. 여기서 p는 버릴 "
            "확률이므로 x/(1-p)로 나눠야 합니다 (keep 확률 관례와 혼동)."
        )
    if np.allclose(out[kept], x[kept]):
        expect.fail("`out`: 살아남은 값이 x 그대로입니다. inverted dropout은 학습 때 x/(1-p)로 스케일합니다.")
    expect.allclose(out[kept], x[kept] / 0.8, name="out (0이 아닌 원소)")


@check("dropout_forward", points=1)
def test_forward_drop_fraction_is_p(student, seed):
    """학습 모드 출력에서 0이 된 비율이 p=0.2."""
    r = student(dropout_train, seed=seed, p=0.2, shape=[200, 100])
    out = expect.shape(r["out"], (200, 100), name="out")
    stats.proportion(int(np.sum(out == 0)), out.size, 0.2, name="out에서 0의 비율, p=0.2")


@probe
def dropout_test_mode(ns, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((20, 30))
    out, _cache = ns.dropout_forward(x.copy(), 0.7, "test", np.random.default_rng(seed + 1))
    return {"out": out}


@check("dropout_forward", points=1)
def test_test_mode_is_identity(student, seed):
    """test 모드에서는 out = x (스케일도, 마스크도 없음; p=0.7)."""
    r = student(dropout_test_mode, seed=seed)
    x = probe_input(seed, (20, 30))
    out = expect.shape(r["out"], x.shape, name="out")
    if np.allclose(out, x * 0.3):
        expect.fail(
            "`out`: test 모드에서 x*(1-p)를 반환했습니다. inverted dropout은 학습 때 이미 1/(1-p)를 곱했으므로 "
            "test 모드는 항등 함수입니다 (그건 vanilla dropout의 weight scaling 규칙입니다)."
        )
    expect.allclose(out, x, name="out (test 모드)")


# ----------------------------------------------------------------------------------------------
# 1.3 dropout_backward
# ----------------------------------------------------------------------------------------------
@probe
def dropout_backward_given_cache(ns, seed, p, mode):
    rng = np.random.default_rng(seed)
    dout = rng.standard_normal((30, 20))
    mask = (rng.random((30, 20)) >= p).astype(np.float64) if mode == "train" else None
    return {"dx": ns.dropout_backward(dout, (mask, p, mode))}


@check("dropout_backward", points=1)
def test_backward_scales_upstream_gradient_by_the_mask(student, reference, seed):
    """학습 모드 역전파: dx = dout * mask / (1-p), 주어진 cache=(mask, p, "train")로 (p=0.2)."""
    kw = dict(seed=seed, p=0.2, mode="train")
    got = student(dropout_backward_given_cache, **kw)["dx"]
    rng = np.random.default_rng(seed)  # the probe's dout and mask, rebuilt here
    dout = rng.standard_normal((30, 20))
    mask = (rng.random((30, 20)) >= 0.2).astype(np.float64)
    with expect.hinted(
        "dx = dout * mask와 같습니다: 순전파가 x * mask / (1 - p)이므로 역전파에도 1/(1 - p)를 곱합니다 "
        "(dx = dout * mask / (1 - p)).",
        fits=lambda: np.shape(got) == dout.shape and np.allclose(got, dout * mask, rtol=1e-9),
    ):
        expect.allclose(got, reference(dropout_backward_given_cache, **kw)["dx"], name="dx")


@check("dropout_backward", points=1)
def test_backward_in_test_mode_is_identity(student, reference, seed):
    """test 모드 역전파: dx = dout (cache = (None, p, "test"))."""
    kw = dict(seed=seed, p=0.7, mode="test")
    with expect.hinted(
        "test 모드에서는 cache의 mask가 None이고 순전파가 항등 함수이므로 dx = dout입니다: "
        'mode == "train"일 때만 마스크를 곱하세요.',
        on_error=True,
    ):
        expect.allclose(
            student(dropout_backward_given_cache, **kw)["dx"],
            reference(dropout_backward_given_cache, **kw)["dx"],
            name="dx (test 모드)",
        )


# ----------------------------------------------------------------------------------------------
# 2. weight scaling inference rule
# ----------------------------------------------------------------------------------------------
@probe
def linear_mask_average(ns, seed, p, inverted):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((5, 6)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    return {"y": ns.mask_average_linear(x, W, b, p, inverted=inverted)}


@probe
def linear_weight_scaling(ns, seed, p):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((5, 6)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    return {"y": ns.weight_scaling_predict(x, W, b, p)}


@check("weight_scaling_rule", points=1)
def test_weight_scaling_multiplies_weights_by_keep_probability(student, reference, seed):
    """weight_scaling_predict = x @ ((1-p) W) + b (p=0.3은 drop 확률)."""
    got = student(linear_weight_scaling, seed=seed, p=0.3)["y"]
    with_p = reference(linear_weight_scaling, seed=seed, p=0.7)["y"]  # (1 - 0.7) W = p W: the drop probability
    if np.shape(got) == with_p.shape and np.allclose(got, with_p, rtol=1e-9):
        expect.fail(
            "`weight_scaling_predict`: W에 drop 확률 p를 곱했을 때와 같습니다. 추론 때 가중치에는 keep 확률 "
            "1 - p를 곱합니다 (x @ ((1 - p) W) + b)."
        )
    expect.allclose(got, reference(linear_weight_scaling, seed=seed, p=0.3)["y"], name="weight_scaling_predict")


@check("weight_scaling_rule", points=1)
def test_mask_average_weights_each_mask_by_its_probability(student, reference, seed):
    """2^D개 마스크의 확률 가중 평균 (vanilla dropout, p=0.3): P(r) = prod (1-p)^r p^(1-r)."""
    kw = dict(seed=seed, p=0.3, inverted=False)
    got, want = student(linear_mask_average, **kw)["y"], reference(linear_mask_average, **kw)["y"]
    expect.shape(got, want.shape, name="mask_average_linear")
    uniform = reference(linear_mask_average, **dict(kw, p=0.5))["y"]  # every mask weighted 1 / 2^D
    if np.allclose(got, uniform, rtol=1e-9):
        expect.fail(
            "`mask_average_linear`: 2^D개 마스크의 단순 평균 (모두 같은 가중치)과 같습니다. 마스크마다 확률 "
            "P(r) = prod (1-p)^r p^(1-r)로 가중해 평균합니다."
        )
    expect.allclose(got, want, name="mask_average_linear (inverted=False)")


# ----------------------------------------------------------------------------------------------
# 3. DropConnect
# ----------------------------------------------------------------------------------------------
@probe
def dropconnect_mask_draw(ns, seed, p, shape):
    return {"mask": ns.sample_dropconnect_mask(tuple(shape), p, np.random.default_rng(seed))}


@check("sample_dropconnect_mask", points=1)
def test_dropconnect_mask_has_weight_shape(student, seed):
    """마스크는 가중치 shape (D_in, D_out)의 float64 0/1 배열 (배치 차원 없음)."""
    binary_mask(student(dropconnect_mask_draw, seed=seed, p=0.2, shape=[37, 23])["mask"], (37, 23), "mask")


@check("sample_dropconnect_mask", points=1)
def test_dropconnect_drop_fraction_is_p(student, seed):
    """가중치가 버려지는 비율이 p=0.2."""
    m = expect.shape(
        student(dropconnect_mask_draw, seed=seed, p=0.2, shape=[1, 20000])["mask"], (1, 20000), name="mask"
    )
    stats.proportion(int(np.sum(m == 0)), m.size, 0.2, name="mask에서 0(버림)의 비율, p=0.2")


@check("sample_dropconnect_mask", points=1)
def test_dropconnect_mask_elements_are_independent(student, seed):
    """가중치마다 독립: 같은 입력/같은 출력 뉴런을 공유해도 따로 뽑힘 (p=0.7)."""
    m = expect.shape(
        student(dropconnect_mask_draw, seed=seed, p=0.7, shape=[200, 100])["mask"], (200, 100), name="mask"
    )
    z = m == 0
    independent(z[0::2], z[1::2], name="mask[2i, j]와 mask[2i+1, j] (같은 출력 뉴런)", fail_prob=5e-8)
    independent(z[:, 0::2], z[:, 1::2], name="mask[i, 2j]와 mask[i, 2j+1] (같은 입력 뉴런)", fail_prob=5e-8)


@probe
def dropconnect_apply(ns, seed, p, mask_kind):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((8, 6)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    mask = (rng.random((6, 5)) >= p).astype(np.float64) if mask_kind == "random" else np.zeros((6, 5))
    return {"y": ns.dropconnect_linear(x, W, b, mask, p)}


@check("dropconnect_linear", points=1)
def test_masked_weights_are_rescaled_by_inverse_keep_probability(student, reference, seed):
    """y = x @ (W * mask) / (1-p) + b, 주어진 마스크로 (p=0.2)."""
    kw = dict(seed=seed, p=0.2, mask_kind="random")
    got = student(dropconnect_apply, **kw)["y"]
    rng = np.random.default_rng(seed)  # the probe's inputs, rebuilt here
    x, W, b = rng.standard_normal((8, 6)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    mask = (rng.random((6, 5)) >= 0.2).astype(np.float64)
    plain = x @ (W * mask) + b

    def equals(want):
        return np.shape(got) == want.shape and np.allclose(got, want, rtol=1e-9)

    with (
        expect.hinted(
            "y = x @ (W * mask) + b와 같습니다: 살아남은 가중치를 1/(1 - p)로 스케일하세요 "
            "(y = x @ (W * mask) / (1 - p) + b).",
            fits=lambda: equals(plain),
        ),
        expect.hinted(
            "y = (x @ (W * mask) + b) / (1 - p)와 같습니다: bias까지 1/(1 - p)로 나눴습니다. bias는 마스크도 "
            "스케일도 받지 않습니다 (y = x @ (W * mask) / (1 - p) + b).",
            fits=lambda: equals(plain / 0.8),
        ),
    ):
        expect.allclose(got, reference(dropconnect_apply, **kw)["y"], name="y")


# ----------------------------------------------------------------------------------------------
# 4. Spatial dropout
# ----------------------------------------------------------------------------------------------
@probe
def spatial_draw(ns, seed, p, shape):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(tuple(shape))
    x_in = x.copy()
    out = ns.spatial_dropout(x_in, p, np.random.default_rng(seed + 1))
    return {"x_after": x_in, "out": out}


def channel_zero(out):
    """(N, C) booleans: channel map entirely zero."""
    return (out == 0).reshape(out.shape[0], out.shape[1], -1).all(axis=-1)


@check("spatial_dropout", points=1)
def test_whole_channel_maps_are_dropped_or_scaled(student, seed):
    """각 채널 맵 x[n, c]는 통째로 0이거나 통째로 x[n, c]/(1-p) (p=0.2)."""
    shape = (6, 8, 5, 5)
    r = student(spatial_draw, seed=seed, p=0.2, shape=list(shape))
    out = expect.shape(r["out"], shape, name="out")
    x = probe_input(seed, shape)
    zero = (out == 0).reshape(6, 8, -1)
    partial = zero.any(-1) & ~zero.all(-1)
    expect.true(
        not partial.any(),
        f"`out`: {int(partial.sum())}개 채널 맵이 일부 픽셀만 0입니다. Spatial Dropout은 "
        "원소가 아니라 (n, c) 채널 맵 전체를 끕니다: 마스크 shape을 (N, C, 1, 1)로 뽑으세요.",
    )
    dropped = channel_zero(out)
    # all 48 maps dropped at p = 0.2 has probability 0.2^48 < 1e-33: an all-zero output is not a dropout
    expect.true(
        not dropped.all(),
        "`out`: 모든 채널 맵이 0입니다. p=0.2이면 대부분의 채널 맵은 살아남아 x[n, c]/(1-p)가 되어야 합니다.",
    )
    expect.allclose(out[~dropped], x[~dropped] / 0.8, name="out (살아남은 채널)")


@check("spatial_dropout", points=1)
def test_channel_drop_fraction_is_p(student, seed):
    """통째로 0이 된 채널 맵의 비율이 p=0.2."""
    shape = (10000, 2, 2, 2)
    out = expect.shape(student(spatial_draw, seed=seed, p=0.2, shape=list(shape))["out"], shape, name="out")
    z = channel_zero(out)
    # a correct sampler gives all 10000 samples the same 2-channel pattern with probability < 0.68^9999 < 1e-1600
    with expect.hinted(
        "모든 샘플이 같은 채널 패턴으로 버려졌습니다: (1, C, 1, 1) 마스크 하나를 배치 전체에 broadcast한 것 "
        "같습니다. 마스크는 (N, C, 1, 1)로, 샘플과 채널마다 따로 뽑으세요.",
        fits=lambda: bool(np.all(z == z[0])),
    ):
        stats.proportion(int(z.sum()), z.size, 0.2, name="0이 된 채널 맵의 비율, p=0.2")


# ----------------------------------------------------------------------------------------------
# 5. DropBlock
# ----------------------------------------------------------------------------------------------
@probe
def dropblock_mask_draw(ns, seed, shape, block_size, p):
    return {"mask": ns.sample_dropblock_mask(tuple(shape), block_size, p, np.random.default_rng(seed))}


@probe
def dropblock_pixels(ns, seed, shape, block_size, p, pixel):
    m = np.asarray(ns.sample_dropblock_mask(tuple(shape), block_size, p, np.random.default_rng(seed)))
    if m.ndim != 4:
        return {"shape": list(m.shape), "pix": None}
    return {"shape": list(m.shape), "pix": m[:, :, pixel[0], pixel[1]]}


@check("sample_dropblock_mask", points=1)
def test_dropblock_mask_is_float64_zero_one(student, seed):
    """DropBlock 마스크는 (N, C, H, W) float64 0/1 배열 (1 = 유지)."""
    binary_mask(
        student(dropblock_mask_draw, seed=seed, shape=[2, 3, 9, 11], block_size=3, p=0.3)["mask"], (2, 3, 9, 11), "mask"
    )


@check("sample_dropblock_mask", points=1)
def test_dropped_pixels_are_whole_blocks_inside_the_image(student, seed):
    """버려진 픽셀은 이미지 안에 완전히 들어가는 bs x bs 블록들의 합집합 (bs = 3, 5)."""
    for bs in (3, 5):
        shape = (6, 4, 12, 16)
        m = expect.shape(
            student(dropblock_mask_draw, seed=seed + bs, shape=list(shape), block_size=bs, p=0.3)["mask"],
            shape,
            name=f"mask (block_size={bs})",
        )
        dropped = m == 0
        orphans = block_orphans(dropped, bs)
        if orphans.any():
            idx = tuple(int(i) for i in np.argwhere(orphans)[0])
            expect.fail(
                f"`mask` (block_size={bs}): 버려진 픽셀 "
                f"{int(orphans.sum())}/{int(dropped.sum())}개가 이미지 안에 완전히 들어가는 "
                f"{bs}x{bs} 버려진 블록에 속하지 않습니다 (첫 위치 (n, "
                f"c, h, w) = {idx}). 씨앗은 블록이 이미지 안에 들어가는 "
                f"(H-bs+1) x (W-bs+1) 위치에서만 뽑고, 각 씨앗의 {bs}x{bs} 블록 전체를 0으로 만드세요 "
                "(마스크가 1=유지, 0=버림인지도 확인하세요)."
            )


@check("sample_dropblock_mask", points=1)
def test_interior_pixel_drop_rate_matches_gamma(student, seed):
    """안쪽 픽셀이 버려질 확률 = 1 - (1 - gamma)^(bs^2), gamma = p H W / (bs^2 (H-bs+1)(W-bs+1)) (bs=5, p=0.2)."""
    N, C, H, W, bs, p = 2048, 2, 12, 16, 5, 0.2
    r = student(dropblock_pixels, seed=seed, shape=[N, C, H, W], block_size=bs, p=p, pixel=[5, 8])
    expect.true(
        tuple(r["shape"]) == (N, C, H, W), f"`mask`: shape이 다릅니다 — 기대 {(N, C, H, W)}, 학생 {tuple(r['shape'])}."
    )
    pix = expect.shape(r["pix"], (N, C), name="mask[:, :, 5, 8]")
    gamma = dropblock_gamma(p, bs, H, W)
    q = 1 - (1 - gamma) ** (bs * bs)
    stats.proportion(
        int(np.sum(pix == 0)),
        pix.size,
        q,
        name=f"픽셀 (5, 8)이 버려진 비율 (gamma={gamma:.4g}, 기대 1-(1-gamma)^25={q:.4f})",
    )


@check("sample_dropblock_mask", points=1)
def test_blocks_are_sampled_independently_per_channel(student, seed):
    """채널마다 씨앗을 따로 뽑음 (torchvision drop_block2d; 채널끼리 공유하지 않음)."""
    N, C, H, W = 2048, 2, 12, 16
    r = student(dropblock_pixels, seed=seed, shape=[N, C, H, W], block_size=5, p=0.2, pixel=[5, 8])
    pix = expect.shape(r["pix"], (N, C), name="mask[:, :, 5, 8]")
    independent(pix[:, 0] == 0, pix[:, 1] == 0, name="mask[n, 0, 5, 8]와 mask[n, 1, 5, 8] (채널 방향)")


@probe
def dropblock_apply(ns, seed, kind):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 2, 6, 6))
    if kind == "same_count":
        mask = np.broadcast_to((rng.random((6, 6)) >= 0.3).astype(np.float64), x.shape).copy()
    elif kind == "uneven":
        rates = np.array([0.1, 0.5, 0.9])[:, None, None, None]
        mask = (rng.random(x.shape) >= rates).astype(np.float64)
        mask[0, 0, 0, 0] = 1.0
    else:
        mask = np.zeros(x.shape)
    return {"out": ns.dropblock(x, mask)}


def dropblock_inputs(seed, kind):
    """The (x, mask) that ``dropblock_apply`` builds, rebuilt here in the grader from the seed."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 2, 6, 6))
    if kind == "same_count":
        mask = np.broadcast_to((rng.random((6, 6)) >= 0.3).astype(np.float64), x.shape).copy()
    elif kind == "uneven":
        rates = np.array([0.1, 0.5, 0.9])[:, None, None, None]
        mask = (rng.random(x.shape) >= rates).astype(np.float64)
        mask[0, 0, 0, 0] = 1.0
    else:
        mask = np.zeros(x.shape)
    return x, mask


def _equals(got, want):
    return np.shape(got) == want.shape and np.allclose(got, want, rtol=1e-9)


@check("dropblock", points=1)
def test_dropblock_rescales_by_numel_over_kept(student, reference, seed):
    """out = x * mask * numel(mask) / sum(mask) (모든 샘플/채널이 같은 수를 유지하는 마스크)."""
    got = student(dropblock_apply, seed=seed, kind="same_count")["out"]
    x, mask = dropblock_inputs(seed, "same_count")
    with expect.hinted(
        "out = x * mask와 같습니다: 살아남은 값을 스케일 numel(mask) / sum(mask)로 키우지 않았습니다.",
        fits=lambda: _equals(got, x * mask),
    ):
        expect.allclose(got, reference(dropblock_apply, seed=seed, kind="same_count")["out"], name="out")


@check("dropblock", points=1)
def test_dropblock_normalizes_over_the_whole_batch(student, reference, seed):
    """스케일 numel/sum은 배치 전체에서 한 번 (샘플마다 유지 비율이 달라도)."""
    got = student(dropblock_apply, seed=seed, kind="uneven")["out"]
    x, mask = dropblock_inputs(seed, "uneven")
    per_sample = x * mask * (mask[0].size / mask.sum(axis=(1, 2, 3), keepdims=True))
    per_map = x * mask * (mask[0, 0].size / mask.sum(axis=(2, 3), keepdims=True))
    with (
        expect.hinted(
            "샘플마다 numel / sum을 따로 구해 스케일했습니다: 스케일 numel(mask) / sum(mask)는 배치 전체에서 "
            "한 번 구합니다 (torchvision drop_block2d).",
            fits=lambda: _equals(got, per_sample),
        ),
        expect.hinted(
            "채널 맵마다 numel / sum을 따로 구해 스케일했습니다: 스케일 numel(mask) / sum(mask)는 배치 전체에서 "
            "한 번 구합니다 (torchvision drop_block2d).",
            fits=lambda: _equals(got, per_map),
        ),
        expect.hinted(
            "out = x * mask와 같습니다: 살아남은 값을 스케일 numel(mask) / sum(mask)로 키우지 않았습니다.",
            fits=lambda: _equals(got, x * mask),
        ),
    ):
        expect.allclose(got, reference(dropblock_apply, seed=seed, kind="uneven")["out"], name="out")


# ----------------------------------------------------------------------------------------------
# 6. drop path / stochastic depth
# ----------------------------------------------------------------------------------------------
@probe
def drop_path_draw(ns, seed, p, shape, training):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(tuple(shape))
    x_in = x.copy()
    out = ns.drop_path(x_in, p, training, np.random.default_rng(seed + 1))
    return {"x_after": x_in, "out": out}


def sample_zero(out):
    return (out == 0).reshape(out.shape[0], -1).all(axis=1)


@check("drop_path", points=1)
def test_each_sample_is_dropped_or_scaled_as_a_whole(student, seed):
    """샘플 n 전체가 0이거나 전체가 x[n]/(1-p) (p=0.2, 샘플마다 한 번만 뽑기)."""
    shape = (64, 3, 4)
    r = student(drop_path_draw, seed=seed, p=0.2, shape=list(shape), training=True)
    out = expect.shape(r["out"], shape, name="out")
    zero = (out == 0).reshape(64, -1)
    partial = zero.any(1) & ~zero.all(1)
    expect.true(
        not partial.any(),
        f"`out`: {int(partial.sum())}개 샘플이 일부 원소만 0입니다. DropPath는 샘플 하나의 잔차 "
        "가지 전체를 끕니다: 마스크 shape을 (N, 1, 1, ...)로 뽑으세요.",
    )
    dropped = sample_zero(out)
    x = probe_input(seed, shape)
    if (~dropped).any() and np.allclose(out[~dropped], x[~dropped] / 0.2):
        expect.fail(
            "`out`: 살아남은 샘플이 x[n]/p입니다. p는 버릴(drop) 확률이므로 살아남은 샘플은 x[n]/(1 - p)이고, "
            "샘플은 확률 1 - p로 살아남습니다 (p를 생존 확률로 썼습니다)."
        )
    # all 64 samples dropped at p = 0.2 has probability 0.2^64 < 1e-44: an all-zero output is not drop path
    expect.true(
        not dropped.all(), "`out`: 모든 샘플이 0입니다. p=0.2이면 대부분의 샘플은 살아남아 x[n]/(1-p)가 되어야 합니다."
    )
    expect.allclose(out[~dropped], probe_input(seed, shape)[~dropped] / 0.8, name="out (살아남은 샘플)")


@check("drop_path", points=1)
def test_sample_drop_fraction_is_p(student, seed):
    """통째로 0이 된 샘플의 비율이 p=0.2 (배치 전체에 한 번 뽑는 것이 아님)."""
    shape = (20000, 3)
    out = expect.shape(
        student(drop_path_draw, seed=seed, p=0.2, shape=list(shape), training=True)["out"], shape, name="out"
    )
    z = sample_zero(out)
    # a correct sampler drops all or none of 20000 samples with probability 0.2^20000 + 0.8^20000 < 1e-1900
    with expect.hinted(
        "20000개 샘플이 모두 함께 버려지거나 모두 함께 살아남았습니다: 배치 전체에 한 번만 뽑았습니다 "
        "(torchvision의 mode='batch'). 샘플마다 따로 (N, 1, 1, ...) 마스크를 뽑으세요.",
        fits=lambda: bool(z.all() or not z.any()),
    ):
        stats.proportion(int(z.sum()), z.size, 0.2, name="0이 된 샘플의 비율, p=0.2")


@check("drop_path", points=1)
def test_drop_path_is_identity_when_not_training(student, seed):
    """training=False이면 out = x (p=0.7)."""
    r = student(drop_path_draw, seed=seed, p=0.7, shape=[8, 5], training=False)
    expect.allclose(r["out"], probe_input(seed, (8, 5)), name="out (training=False)")


@probe
def sd_rates(ns, num_blocks, final_rate):
    return {"rates": ns.stochastic_depth_rates(num_blocks, final_rate)}


@check("stochastic_depth_rates", points=1)
def test_rates_grow_linearly_to_the_final_rate(student, reference):
    """L=12, p_L=0.2: 블록 l(1부터)의 drop 확률 = p_L * l / L."""
    got = student(sd_rates, num_blocks=12, final_rate=0.2)["rates"]
    want = reference(sd_rates, num_blocks=12, final_rate=0.2)["rates"]
    g = expect.shape(got, want.shape, name="rates")
    if np.allclose(g, 1 - want):
        expect.fail("`rates`: 생존 확률(1 - drop 확률)을 반환했습니다. 이 함수는 drop 확률을 반환합니다.")
    if np.allclose(g, 0.2 * np.arange(12) / 12):
        expect.fail(
            "`rates`: 블록 번호를 0부터 센 p_L * l / L (l = 0..L-1)과 "
            "같습니다. 블록 l은 1부터 세어 마지막 블록이 p_L입니다."
        )
    if np.allclose(g, np.linspace(0.0, 0.2, 12)):
        expect.fail(
            "`rates`: np.linspace(0, p_L, L)과 같습니다 (첫 블록이 0). 블록 l(1부터)의 drop 확률은 p_L * l / L입니다."
        )
    expect.allclose(g, want, name="rates")


# ----------------------------------------------------------------------------------------------
# 7. MC dropout
# ----------------------------------------------------------------------------------------------
@probe
def mc_scripted(ns, seed, num_samples, start_mode):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)
    scales = torch.randn(num_samples, 1, 3, generator=g, dtype=torch.float64)

    class Scripted(torch.nn.Module):
        """Returns a scripted output per call and records the modes it was called in."""

        def __init__(self):
            super().__init__()
            self.drop = torch.nn.Dropout(0.3)
            self.bn = torch.nn.BatchNorm1d(3, dtype=torch.float64)
            self.calls = 0
            self.flags = []

        def forward(self, inp):
            self.flags.append([bool(self.drop.training), bool(self.bn.training)])
            k = self.calls % num_samples
            self.calls += 1
            return inp * scales[k] + float(k)

    model = Scripted()
    model.train(start_mode == "train")
    mean, var = ns.mc_dropout_predict(model, x, num_samples)
    return {
        "mean": mean,
        "var": var,
        "calls": model.calls,
        "flags": model.flags,
        "after": [bool(model.training), bool(model.drop.training), bool(model.bn.training)],
    }


@check("mc_dropout_predict", points=1)
def test_predictive_mean_is_average_of_passes(student, reference, seed):
    """model(x)를 정확히 T번 부르고 그 평균을 반환 (T=7)."""
    kw = dict(seed=seed, num_samples=7, start_mode="eval")
    r, ref = student(mc_scripted, **kw), reference(mc_scripted, **kw)
    expect.equal(r["calls"], 7, name="model(x) 호출 횟수")
    expect.allclose(r["mean"], ref["mean"], name="mean")


@check("mc_dropout_predict", points=1)
def test_predictive_variance_divides_by_num_samples(student, reference, seed):
    """분산은 T로 나눈 모분산 (torch.var(..., correction=0)), T=7."""
    kw = dict(seed=seed, num_samples=7, start_mode="eval")
    got, want = student(mc_scripted, **kw)["var"], reference(mc_scripted, **kw)["var"]
    g = expect.shape(got, want.shape, name="var")
    if np.allclose(g, want * 7 / 6, rtol=1e-9, atol=0):
        expect.fail(
            "`var`: T-1로 나눈 (불편) 분산입니다. 이 과제는 T로 "
            "나눕니다: torch.var(..., correction=0) 또는 unbiased=False."
        )
    if np.allclose(g, np.sqrt(want), rtol=1e-9, atol=0):
        expect.fail("`var`: 표준편차를 반환했습니다. 분산(제곱)을 반환하세요.")
    expect.allclose(g, want, name="var")


@check("mc_dropout_predict", points=1)
def test_only_dropout_modules_are_in_training_mode(student, seed):
    """T번의 호출 모두 Dropout은 train 모드, BatchNorm(그 밖의 모듈)은 eval 모드."""
    r = student(mc_scripted, seed=seed, num_samples=7, start_mode="eval")
    flags = r["flags"]
    expect.true(isinstance(flags, list) and len(flags) > 0, "model(x)가 한 번도 호출되지 않았습니다.")
    for i, f in enumerate(flags):
        drop_on, bn_on = bool(f[0]), bool(f[1])
        expect.true(
            drop_on,
            f"{i + 1}번째 호출에서 Dropout이 eval 모드였습니다: MC dropout은 추론 때도 dropout을 켜야 합니다 "
            "(model.eval() 후 dropout 모듈만 .train()).",
        )
        expect.true(
            not bn_on,
            f"{i + 1}번째 호출에서 BatchNorm이 train 모드였습니다: model.train()은 BatchNorm까지 켜서 배치 "
            "통계를 쓰고 running 통계를 바꿉니다. Dropout 모듈만 train 모드로 두세요.",
        )


# ----------------------------------------------------------------------------------------------
# 1.4 numeric_gradient (appended)
# Tolerances: on f(z) = z**3 a centered difference errs by exactly h**2 * dout (<= 1.5e-8 at h = 1e-4) plus
# rounding (~1e-10), a forward difference by ~3 x h dout (>= 7.5e-5 here), so atol 1e-6 separates them by
# more than 60x either way. On a linear f only rounding remains (~1e-10 at h = 1e-5): atol 1e-7.
# ----------------------------------------------------------------------------------------------
def numgrad_inputs(kind, seed, shape=None):
    """The inputs the numeric_gradient probes build, rebuilt here in the grader from the seed: a check never
    compares with arrays read back from the student's process (which could have rewritten them)."""
    rng = np.random.default_rng(seed)
    if kind == "cubic":
        return rng.uniform(0.5, 2.0, tuple(shape)), rng.uniform(0.5, 1.5, tuple(shape))
    if kind == "matrix":
        return rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    if kind == "sin":
        return rng.uniform(-2.0, 2.0, tuple(shape)), rng.standard_normal(tuple(shape))
    raise ValueError(kind)


@probe
def numgrad_cubic(ns, seed, shape, h):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, tuple(shape))
    dout = rng.uniform(0.5, 1.5, tuple(shape))
    grad = ns.numeric_gradient(lambda z: z**3, x, dout, h)
    return {"grad": grad, "x_after": x}


@probe
def numgrad_matrix(ns, seed):
    rng = np.random.default_rng(seed)
    x, A, dout = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    grad = ns.numeric_gradient(lambda z: z @ A, x, dout, 1e-5)
    return {"grad": grad}


@check("numeric_gradient", points=1)
def test_centered_difference_on_a_cubic(student, seed):
    """f(x) = x**3 (원소별), h = 1e-4: 중앙 차분은 3x^2 dout과 1e-6 안에서 같음 (전방 차분은 아님)."""
    h = 1e-4
    r = student(numgrad_cubic, seed=seed, shape=[4, 5], h=h)
    x, dout = numgrad_inputs("cubic", seed, [4, 5])
    got = expect.shape(r["grad"], (4, 5), name="grad")
    want = 3 * x**2 * dout
    if np.allclose(got, want, rtol=0, atol=1e-6):
        return
    if np.allclose(got, ((x + h) ** 3 - x**3) / h * dout, rtol=0, atol=1e-6) or np.allclose(
        got, (x**3 - (x - h) ** 3) / h * dout, rtol=0, atol=1e-6
    ):
        expect.fail(
            "전방(또는 후방) 차분 (f(x+h) - f(x)) / h 를 썼습니다: 오차가 O(h)입니다. "
            "중앙 차분 (f(x+h) - f(x-h)) / (2h) 를 쓰세요 (오차 O(h^2))."
        )
    if np.allclose(got, 3 * x**2, rtol=0, atol=1e-6):
        expect.fail("기울기에 dout이 곱해지지 않았습니다: sum(f(x) * dout)을 미분하세요 (f(x)의 합이 아니라).")
    expect.allclose(got, want, rtol=0, atol=1e-6, name="grad (f = x**3, 정답 3 x^2 dout)")


@check("numeric_gradient", points=1)
def test_gradient_is_weighted_by_dout_through_a_matrix(student, seed):
    """f(x) = x @ A (출력 모양이 x와 다름): 기울기 = dout @ A.T (모든 출력 원소의 dout 가중합)."""
    r = student(numgrad_matrix, seed=seed)
    got = expect.shape(r["grad"], (3, 4), name="grad")
    _, A, dout = numgrad_inputs("matrix", seed)
    want = dout @ A.T
    if not np.allclose(got, want, rtol=0, atol=1e-7):
        expect.fail(
            "f(x) = x @ A에서 기울기가 dout @ A.T와 다릅니다. x[i]를 움직이면 f(x)의 **모든** 원소가 바뀔 수 있으니, "
            "원소 하나가 아니라 np.sum(f(x) * dout) 전체의 차이를 2h로 나누세요."
        )


@check("numeric_gradient", points=0.5, requires="centered_difference_on_a_cubic")
def test_x_is_unchanged_after_the_call(student, seed):
    """호출이 끝나면 x는 원래 값 그대로 (제자리에서 움직였다면 되돌림)."""
    r = student(numgrad_cubic, seed=seed, shape=[4, 5], h=1e-4)
    after = expect.shape(r["x_after"], (4, 5), name="x (호출 후)")
    if not np.allclose(after, numgrad_inputs("cubic", seed, [4, 5])[0], rtol=0, atol=1e-12):
        expect.fail(
            "numeric_gradient가 끝난 뒤 x의 값이 바뀌어 있습니다. x[ix]를 움직였다면 다음 원소로 가기 전에 "
            "x[ix] = old 로 되돌리세요 (호출한 쪽은 같은 x를 계속 씁니다)."
        )


# 1.4 numeric_gradient, continued. sin's centered error is h**2/6 ~ 2e-11 at h = 1e-5 (atol 1e-8); on the
# cubic at h = 1e-2 the centered difference is exactly (3 x^2 + h^2) dout up to rounding ~1e-12 (atol 1e-9),
# while a fixed step of 1e-5 is off by h^2 dout >= 5e-5.


@probe
def numgrad_sin(ns, seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, tuple(shape))
    dout = rng.standard_normal(tuple(shape))
    return {"grad": ns.numeric_gradient(np.sin, x, dout, 1e-5)}


@check("numeric_gradient", points=0.5)
def test_any_number_of_dimensions(student, seed):
    """1차원 (5,)과 3차원 (2, 3, 4) x에서도 모든 원소의 기울기 (f = sin, 정답 cos(x) dout)."""
    for shape in ([2, 3, 4], [5]):
        r = student(numgrad_sin, seed=seed, shape=shape)
        got = expect.shape(r["grad"], tuple(shape), name=f"grad (x.shape = {tuple(shape)})")
        x, dout = numgrad_inputs("sin", seed, shape)
        if not np.allclose(got, np.cos(x) * dout, rtol=0, atol=1e-8):
            expect.fail(
                f"x.shape = {tuple(shape)}에서 기울기가 cos(x) * dout과 다릅니다. 2차원 인덱스 (i, j)만 돌지 말고 "
                "np.ndindex(*x.shape)로 모든 인덱스를 도세요."
            )


@check("numeric_gradient", points=0.5)
def test_uses_the_given_step_h(student, seed):
    """h = 1e-2를 넘기면 그 h를 씀: f = x**3에서 중앙 차분은 정확히 (3x^2 + h^2) dout."""
    h = 1e-2
    r = student(numgrad_cubic, seed=seed, shape=[4, 5], h=h)
    got = expect.shape(r["grad"], (4, 5), name="grad")
    x, dout = numgrad_inputs("cubic", seed, [4, 5])
    want = (3 * x**2 + h**2) * dout
    if not np.allclose(got, want, rtol=0, atol=1e-9):
        if np.allclose(got, 3 * x**2 * dout, rtol=0, atol=1e-6):
            expect.fail(
                "h = 1e-2를 넘겼는데 결과가 아주 작은 h의 값과 같습니다: "
                "인자 h를 쓰지 않고 고정된 step을 쓴 것 같습니다."
            )
        expect.allclose(got, want, rtol=0, atol=1e-9, name="grad (h = 1e-2, 정답 (3x^2 + h^2) dout)")
