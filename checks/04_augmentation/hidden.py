"""Hidden checks of 04_augmentation (never shipped to students).

Distribution checks state their false-failure probability (<= 1e-7 per check); discrete uniform
draws are jittered by independent Uniform(0, 1) noise in the grader before the DKW test.
"""

import math

import numpy as np

from autograder import expect, stats
from autograder.checks import check, probe, public_of

_P = public_of(__file__)
# probes and helpers shared with the public checks: one definition, in public.py
RA_NAMES = _P.RA_NAMES
SIGNED = _P.SIGNED
_same_as_reference = _P._same_as_reference
hflip_draws = _P.hflip_draws
crop_param_draws = _P.crop_param_draws
cutout_center_draws = _P.cutout_center_draws
erasing_draws_h = _P.erasing_draws_h
mixup_lambda_draws = _P.mixup_lambda_draws
cutmix_box_draws = _P.cutmix_box_draws
ra_draws_h = _P.ra_draws_h
_signs = _P._signs
ta_draws_h = _P.ta_draws_h
soft_ce_case_h = _P.soft_ce_case_h
worst_case_h = _P.worst_case_h
_jittered_uniform = _P._jittered_uniform
jitter_apply, _compare_jitter = _P.jitter_apply, _P._compare_jitter
fgsm_case = _P.fgsm_case


# ------------------------------------------------------------------ random_horizontal_flip


@probe
def random_flip_outputs(ns, seed, n, p):
    g = torch.Generator().manual_seed(seed)
    img = torch.tensor(np.random.default_rng(seed).random((1, 3, 4)))
    return {"out": torch.stack([ns.random_horizontal_flip(img, p, g) for _ in range(n)])}


@check("random_horizontal_flip", points=0.5)
def test_random_flip_returns_image_or_its_mirror(student, seed):
    """random_horizontal_flip의 출력은 원본 또는 좌우 반전이고, 반전 비율은 p."""
    out = expect.shape(
        student(random_flip_outputs, seed=seed, n=400, p=0.7)["out"],
        (400, 1, 3, 4),
        name="random_horizontal_flip 400회",
    )
    img = np.random.default_rng(seed).random((1, 3, 4))
    same = np.all(out == img, axis=(1, 2, 3))
    mirrored = np.all(out == img[..., ::-1], axis=(1, 2, 3))
    expect.true(bool(np.all(same | mirrored)), "출력이 원본도 좌우 반전(너비 축)도 아닌 경우가 있습니다.")
    stats.proportion(int(mirrored.sum()), 400, 0.7, name="random_horizontal_flip(img, 0.7)이 뒤집은 비율")


# ------------------------------------------------------------------ random_crop


@probe
def random_crop_outputs(ns, seed, n):
    g = torch.Generator().manual_seed(seed)
    img = torch.tensor(np.random.default_rng(seed).random((1, 4, 5)))
    return {"out": torch.stack([ns.random_crop(img, 3, 1, g) for _ in range(n)])}


@check("random_crop", points=1)
def test_random_crop_is_a_window_of_the_padded_image(student, seed):
    """random_crop(img, 3, padding=1)의 출력은 항상 0으로 padding한 이미지의 3x3 창 중 하나."""
    out = expect.shape(
        student(random_crop_outputs, seed=seed, n=200)["out"],
        (200, 1, 3, 3),
        name="random_crop(img (1, 4, 5), 3, 1) 200회",
    )
    img = np.random.default_rng(seed).random((1, 4, 5))
    padded = np.pad(img, ((0, 0), (1, 1), (1, 1)))
    windows = np.stack([padded[:, i : i + 3, j : j + 3] for i in range(4) for j in range(5)])  # (20, 1, 3, 3)
    match = np.all(out[:, None] == windows[None], axis=(2, 3, 4)).any(axis=1)
    expect.true(
        bool(match.all()), f"{int((~match).sum())}/200개의 출력이 padding한 이미지의 어느 3x3 창과도 같지 않습니다."
    )


# ------------------------------------------------------------------ color_jitter
@probe
def jitter_draws(ns, seed, n):
    g = torch.Generator().manual_seed(seed)
    orders, factors = [], []
    for _ in range(n):
        o, f = ns.sample_color_jitter(0.4, 1.5, 0.8, g)
        orders.append([int(v) for v in o])
        factors.append([float(v) for v in f])
    return {"orders": np.array(orders, dtype=np.int64), "factors": np.array(factors)}


@check("color_jitter", points=1)
def test_factors_are_uniform_on_clipped_ranges(student, seed):
    """계수 ~ U[max(0, 1 - v), 1 + v] (contrast 1.5 -> [0, 2.5]); 세 DKW 검정, 각 실패 확률 1e-7/3."""
    f = expect.shape(
        student(jitter_draws, seed=seed, n=1000)["factors"],
        (1000, 3),
        name="sample_color_jitter(0.4, 1.5, 0.8) 1000회의 factors",
    )
    for col, (v, nm) in enumerate([(0.4, "brightness"), (1.5, "contrast"), (0.8, "saturation")]):
        lo, hi = max(0.0, 1 - v), 1 + v
        stats.dkw(
            f[:, col],
            stats.uniform_cdf(lo, hi),
            fail_prob=1e-7 / 3,
            name=f"{nm} 계수",
            what=f"U[{lo:g}, {hi:g}] (= U[max(0, 1 - {v}), 1 + {v}])",
        )


@check("color_jitter", points=0.5)
def test_order_is_a_uniform_permutation(student, seed):
    """순서는 [0, 1, 2]의 6개 순열 중 균등 (torch.randperm; DKW)."""
    o = expect.shape(student(jitter_draws, seed=seed, n=1000)["orders"], (1000, 3), name="orders")
    perms = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
    rows = [tuple(int(v) for v in row) for row in o]
    bad = [r for r in rows if r not in perms]
    expect.true(not bad, f"order가 [0, 1, 2]의 순열이 아닙니다: {list(bad[0]) if bad else ''}")
    _jittered_uniform([perms.index(r) for r in rows], 6, seed, "순열 번호", "6개 순열의 균등 분포")


# ------------------------------------------------------------------ cutout
@probe
def cutout_inplace(ns, seed):
    img = torch.tensor(np.random.default_rng(seed).random((2, 5, 5)))
    ns.cutout(img, (2, 2), 3)
    return {"after": img}


@check("cutout", points=0.5, requires="cutout_zeroes_clipped_square_in_all_channels")
def test_cutout_does_not_modify_input(student, reference, seed):
    """cutout은 새 텐서를 반환하고 입력 이미지는 그대로 둡니다."""
    _same_as_reference(student, reference, cutout_inplace, "after", "cutout 호출 뒤의 입력 img", seed=seed)


# ------------------------------------------------------------------ random_erasing
@probe
def erase_inplace(ns, seed):
    img = torch.tensor(np.random.default_rng(seed).random((3, 6, 7)))
    ns.erase(img, 1, 2, 3, 4, 0.5)
    return {"after": img}


@check("random_erasing", points=0.5, requires="erase_fills_region_with_value")
def test_erase_does_not_modify_input(student, reference, seed):
    """erase는 복사본을 반환하고 입력은 그대로 둡니다 (torchvision F.erase(inplace=False))."""
    _same_as_reference(student, reference, erase_inplace, "after", "erase 호출 뒤의 입력 img", seed=seed)


def _fit_probability(H, W, scale, ratio):
    """P(one try fits) = P(round(sqrt(HW u r)) < H, round(sqrt(HW u / r)) < W)."""
    s0, s1 = scale
    l0, l1 = math.log(ratio[0]), math.log(ratio[1])
    t = l0 + (np.arange(200000) + 0.5) / 200000 * (l1 - l0)
    bound = np.minimum((H - 0.5) ** 2 * np.exp(-t), (W - 0.5) ** 2 * np.exp(t)) / (H * W)
    return float(np.clip((bound - s0) / (s1 - s0), 0, 1).mean())


@check("random_erasing", points=1)
def test_erasing_gives_up_after_ten_tries(student, seed):
    """최대 10번 시도: 한 번도 맞지 않으면 None. P(None) = (1 - q)^10 (정확한 이항 구간)."""
    with expect.hinted("10번 시도해서 모두 이미지에 맞지 않을 때만 None을 반환합니다 (한 번 실패로 포기하지 않음)."):
        never = student(erasing_draws_h, seed=seed, n=30, shape=[1, 10, 10], scale=[0.99, 1.0], ratio=[1.0, 1.0])[
            "params"
        ]
        never = expect.shape(never, (30, 4), name="sample_erasing_params (항상 너무 큰 경우)")
        expect.true(
            bool(np.all(never[:, 0] == -1)),
            "scale (0.99, 1.0), ratio (1, 1)이면 h = w = 10이 되어 h < H를 만족할 수 없으므로 항상 None이어야 합니다.",
        )
        H, W, scale, ratio, n = 10, 10, [0.45, 1.0], [0.5, 2.0], 1500
        q = _fit_probability(H, W, scale, ratio)
        p = expect.shape(
            student(erasing_draws_h, seed=seed, n=n, shape=[1, H, W], scale=scale, ratio=ratio)["params"],
            (n, 4),
            name="sample_erasing_params 1500회",
        )
        none = int(np.sum(p[:, 0] == -1))
        stats.proportion(
            none,
            n,
            (1 - q) ** 10,
            fail_prob=1e-7,
            name=f"None의 비율 (한 번 시도가 맞을 확률 q = {q:.4f}, 기대 (1-q)^10 = {(1 - q) ** 10:.4f})",
        )


# ------------------------------------------------------------------ mixup


# ------------------------------------------------------------------ cutmix
@probe
def cutmix_inplace(ns, seed):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.random((3, 1, 4, 5)))
    y = torch.eye(3, dtype=torch.float64)
    ns.cutmix(x, y, (1, 1, 4, 3))
    return {"x": x, "y": y}


@check("cutmix", points=0.5, requires="cutmix_pastes_partner_box")
def test_cutmix_does_not_modify_inputs(student, reference, seed):
    """cutmix는 새 배치를 반환하고 x와 y는 그대로 둡니다."""
    _same_as_reference(student, reference, cutmix_inplace, "x", "cutmix 호출 뒤의 입력 x", seed=seed)
    _same_as_reference(student, reference, cutmix_inplace, "y", "cutmix 호출 뒤의 입력 y", seed=seed)


# ------------------------------------------------------------------ apply_op
@probe
def ops_on_images_h(ns, seed, ops, kind, batch=0, size=(9, 11)):
    rng = np.random.default_rng(seed)
    H, W = size
    shape_rgb = (batch, 3, H, W) if batch else (3, H, W)
    shape_gray = (batch, 1, H, W) if batch else (1, H, W)

    def make(shape):
        if kind == "levels":
            a = rng.integers(0, 20, shape) / 19
        elif kind == "narrow":
            a = 0.3 + 0.2 * rng.random(shape)
            if shape[-3] == 3:
                a[..., 1, :, :] = 0.5
        elif kind == "flat":
            a = np.full(shape, 0.25)
            a[..., 0, 0] = 0.75
        elif kind == "const":
            a = np.full(shape, 0.3)
        else:
            a = rng.random(shape)
            a[..., 0, 0] = 1.0
            a[..., 0, 1] = 0.0
        return torch.tensor(a)

    imgs = [make(shape_rgb), make(shape_gray)]
    out = []
    for name, m in ops:
        for img in imgs:
            out.append(ns.apply_op(img, name, m))
    return {"out": out}


def compare_ops(student, reference, seed, ops, kind, batch=0, size=(9, 11)):
    s = student(ops_on_images_h, seed=seed, ops=ops, kind=kind, batch=batch, size=list(size))["out"]
    r = reference(ops_on_images_h, seed=seed, ops=ops, kind=kind, batch=batch, size=list(size))["out"]
    expect.true(isinstance(s, list) and len(s) == len(r), "출력 개수가 다릅니다.")
    shp = f"({batch}, C, {size[0]}, {size[1]})" if batch else f"(C, {size[0]}, {size[1]})"
    for k, (got, want) in enumerate(zip(s, r, strict=True)):
        name, m = ops[k // 2]
        expect.allclose(got, want, name=f'apply_op(img {shp}, C={3 if k % 2 == 0 else 1}, "{name}", {m}) [{kind}]')


@check("apply_op", points=0.5)
def test_posterize_keeps_the_top_bits(student, reference, seed):
    """Posterize: L = 2^int(m) 단계로 floor(img L).clamp(0, L-1) / L (값 1.0 포함)."""
    with expect.hinted("값 1.0도 가장 높은 단계 L - 1에 들어가야 합니다: floor(x * L)을 L - 1로 clamp하세요."):
        ops = [["Posterize", 1], ["Posterize", 3.0], ["Posterize", 6], ["Posterize", 8]]
        compare_ops(student, reference, seed, ops, "rand")


@check("apply_op", points=0.5)
def test_equalize_follows_the_pil_histogram_lut(student, reference, seed):
    """Equalize: q = floor(img 255.999)의 히스토그램으로 PIL/torchvision LUT (step == 0이면 q / 255), 24 x 30."""
    with expect.hinted("equalize는 PIL의 step 기반 LUT를 씁니다 (교과서의 CDF 표가 아님)."):
        for kind in ("levels", "rand", "narrow", "flat", "const"):  # 24 x 30 = 720 pixels: step > 0 unless constant
            compare_ops(student, reference, seed, [["Equalize", 0.0]], kind, size=(24, 30))


@check("apply_op", points=0.5)
def test_ops_treat_leading_dims_as_a_batch(student, reference, seed):
    """(N, C, H, W) 입력: 같은 연산을 이미지마다, 통계(평균, 최소/최대, 히스토그램)도 이미지마다."""
    with expect.hinted("앞쪽 축은 배치입니다: 평균, min/max, 히스토그램 같은 통계는 이미지마다 따로 냅니다."):
        ops = [["Contrast", 0.5], ["AutoContrast", 0.0], ["Equalize", 0.0], ["Rotate", 25.0], ["Sharpness", 0.5]]
        compare_ops(student, reference, seed, ops, "narrow", batch=3, size=(24, 30))


# ------------------------------------------------------------------ rand_augment_ops


# ------------------------------------------------------------------ trivial_augment_op


# ------------------------------------------------------------------ label_smoothing


@check("label_smoothing", points=0.5)
def test_soft_cross_entropy_is_stable_for_large_logits(student, reference, seed):
    """로짓이 1000배 커도 유한하고 정확합니다 (log_softmax / logsumexp)."""
    with expect.hinted("log(softmax(z))는 큰 logit에서 log(0) = -inf가 됩니다: torch.log_softmax를 쓰세요."):
        _same_as_reference(
            student,
            reference,
            soft_ce_case_h,
            "loss",
            "soft_cross_entropy(1000 * z, t)",
            seed=seed,
            scale=1000.0,
            grad=False,
        )


# ------------------------------------------------------------------ fgsm
@check("fgsm", points=0.5)
def test_result_is_clamped_to_unit_interval(student, reference, seed):
    """x_adv는 유효한 이미지 범위 [0, 1]로 clamp합니다 (eps = 0.3, 경계의 픽셀 포함)."""
    with expect.hinted("결과를 유효한 이미지 범위 [0, 1]로 clamp합니다."):
        _same_as_reference(
            student, reference, fgsm_case, "adv", "fgsm(model, x, y, 0.3)", seed=seed, eps=0.3, interior=False
        )


@check("fgsm", points=0.5, requires="step_is_eps_times_gradient_sign")
def test_leaves_input_and_parameter_gradients_untouched(student, reference, seed):
    """x를 바꾸지 않고, 모델 파라미터의 .grad도 남기지 않습니다 (torch.autograd.grad 사용)."""
    s = student(fgsm_case, seed=seed, eps=0.1, interior=True)
    r = reference(fgsm_case, seed=seed, eps=0.1, interior=True)
    expect.allclose(s["x_after"], r["x_after"], name="fgsm 호출 뒤의 입력 x")
    if s["param_grad"] != r["param_grad"]:
        expect.fail(
            f"fgsm 뒤에 모델 파라미터에 기울기가 남았습니다 (|grad| 합 {s['param_grad']:.3g}). "
            "loss.backward() 대신 torch.autograd.grad(loss, x)를 쓰세요: 훈련 루프의 기울기를 오염시킵니다."
        )


# ------------------------------------------------------------------ worst_of_k
