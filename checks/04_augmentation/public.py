"""Public checks of 04_augmentation (students see and run these).

Apply functions are compared exactly (float64) with the reference solution on inputs the probe
builds; samplers are graded by distribution (DKW band, exact binomial region), each with a
false-failure probability <= 1e-7 per check. Discrete uniform draws are turned into continuous
ones by adding independent Uniform(0, 1) jitter in the grader (k + U ~ Uniform(0, n) iff
k ~ Uniform{0..n-1}), so the DKW bound applies exactly.
"""

import math

import numpy as np

from autograder import expect, stats
from autograder.checks import check, probe

RA_NAMES = [
    "Identity",
    "ShearX",
    "ShearY",
    "TranslateX",
    "TranslateY",
    "Rotate",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
    "Posterize",
    "Solarize",
    "AutoContrast",
    "Equalize",
]
SIGNED = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color", "Contrast", "Sharpness"}


def _jittered_uniform(index, n_cells, seed, name, what, fail_prob=1e-7):
    """index: ints that should be Uniform{0..n_cells-1}; DKW on index + U(0, 1)."""
    k = np.asarray(index, dtype=np.float64).ravel()
    expect.true(
        bool(np.all((k >= 0) & (k < n_cells) & (k == np.round(k)))),
        f"`{name}`: 값이 0..{n_cells - 1} 범위의 정수가 아닙니다 (최솟값 {k.min():g}, 최댓값 {k.max():g}).",
    )
    u = np.random.default_rng(seed ^ 0x5EED).random(k.size)
    stats.dkw(k + u, stats.uniform_cdf(0.0, float(n_cells)), fail_prob=fail_prob, name=name, what=what)


# ------------------------------------------------------------------ random_horizontal_flip
@probe
def flip_images(ns, seed):
    rng = np.random.default_rng(seed)
    one = torch.tensor(rng.random((3, 4, 5)))
    batch = torch.tensor(rng.random((2, 1, 3, 4)))
    return {"one": ns.hflip(one), "batch": ns.hflip(batch)}


@probe
def hflip_draws(ns, seed, n, p):
    g = torch.Generator().manual_seed(seed)
    return {"flips": np.array([bool(ns.sample_hflip(p, g)) for _ in range(n)])}


@probe
def crop_param_draws(ns, seed, n):
    g = torch.Generator().manual_seed(seed)
    return {"ij": np.array([list(ns.sample_crop_params((1, 6, 8), (5, 6), 1, g)) for _ in range(n)], dtype=np.int64)}


@probe
def cutout_center_draws(ns, seed, n):
    g = torch.Generator().manual_seed(seed)
    return {"c": np.array([list(ns.sample_cutout_center(7, 9, g)) for _ in range(n)], dtype=np.int64)}


@probe
def erasing_draws_h(ns, seed, n, shape, scale, ratio):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        p = ns.sample_erasing_params(tuple(shape), tuple(scale), tuple(ratio), g)
        out.append([-1, -1, -1, -1] if p is None else [int(v) for v in p])
    return {"params": np.array(out, dtype=np.int64)}


@probe
def mixup_lambda_draws(ns, seed, n, alpha):
    g = torch.Generator().manual_seed(seed)
    return {"lam": np.array([float(ns.sample_mixup_lambda(alpha, g)) for _ in range(n)])}


@probe
def cutmix_box_draws(ns, seed, n, H, W, lam):
    g = torch.Generator().manual_seed(seed)
    return {"boxes": np.array([[int(v) for v in ns.sample_cutmix_box(H, W, lam, g)] for _ in range(n)], dtype=np.int64)}


@probe
def ra_draws_h(ns, seed, calls, num_ops, magnitude):
    g = torch.Generator().manual_seed(seed)
    names, mags, lens = [], [], []
    for _ in range(calls):
        ops = ns.rand_augment_ops(num_ops, magnitude, g, image_size=(32, 32))
        lens.append(len(ops))
        for name, m in ops:
            names.append(str(name))
            mags.append(float(m))
    return {"names": names, "mags": np.array(mags), "lens": np.array(lens, dtype=np.int64)}


def _signs(names, mags, what, seed):
    known = [n in RA_NAMES for n in names]
    expect.true(all(known), f"`{what}`: torchvision 표에 없는 연산 이름이 있습니다.")
    mags = expect.finite(mags, name="magnitudes")
    signed = np.array([n in SIGNED for n in names], dtype=bool)
    unsigned_neg = [(n, float(m)) for n, m, s in zip(names, mags, signed, strict=True) if not s and m < 0]
    expect.true(
        not unsigned_neg,
        f"부호가 없는 연산 {unsigned_neg[0][0] if unsigned_neg else ''}에 음수 강도 "
        f"{unsigned_neg[0][1] if unsigned_neg else ''}: Posterize/Solarize/AutoContrast/"
        "Equalize/Identity는 부호를 바꾸지 않습니다.",
    )
    sel = signed & (mags != 0)
    stats.proportion(
        int(np.sum(mags[sel] < 0)), int(sel.sum()), 0.5, name=f"`{what}`: 부호가 있는 연산에서 음수 강도의 비율"
    )


@probe
def ta_draws_h(ns, seed, n):
    g = torch.Generator().manual_seed(seed)
    names, mags = [], []
    for _ in range(n):
        name, m = ns.trivial_augment_op(g)
        names.append(str(name))
        mags.append(float(m))
    return {"names": names, "mags": np.array(mags)}


def _same_as_reference(student, reference, probe_fn, key, name, **kw):
    expect.allclose(student(probe_fn, **kw)[key], reference(probe_fn, **kw)[key], name=name)


@probe
def worst_case_h(ns, seed):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed % 100000)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(16, 12), torch.nn.Tanh(), torch.nn.Linear(12, 5)
    ).double()
    x = torch.tensor(rng.random((8, 1, 4, 4)))
    y = torch.tensor(rng.integers(0, 5, 8))
    augs = [lambda t: t, lambda t: t.flip(-1), lambda t: 0.5 * t, lambda t: t.roll(1, -2), lambda t: 1 - t]
    xw, idx = ns.worst_of_k(model, x, y, augs)
    return {"x": xw, "idx": idx}


@probe
def soft_ce_case_h(ns, seed, scale, grad):
    rng = np.random.default_rng(seed)
    z = torch.tensor(rng.standard_normal((6, 5)) * scale, requires_grad=grad)
    t = torch.tensor(rng.dirichlet(np.ones(5), size=6))
    loss = ns.soft_cross_entropy(z, t)
    if not grad:
        return {"loss": loss}
    loss.backward()
    return {"loss": loss, "grad": z.grad}


@check("random_horizontal_flip", points=1)
def test_hflip_reverses_width_axis(student, reference, seed):
    """hflip는 너비 축(마지막 축)을 뒤집습니다: out[..., i, j] = img[..., i, W-1-j]."""
    with expect.hinted(
        "hflip은 마지막 축(W, 너비)을 뒤집습니다: img[..., ::-1]. 세로(H) 축을 뒤집지 않았는지 확인하세요."
    ):
        s, r = student(flip_images, seed=seed), reference(flip_images, seed=seed)
        expect.allclose(s["one"], r["one"], name="hflip(img (3, 4, 5))")
        expect.allclose(s["batch"], r["batch"], name="hflip(batch (2, 1, 3, 4))")


# ------------------------------------------------------------------ random_crop
@probe
def crop_windows(ns, seed):
    rng = np.random.default_rng(seed)
    img = torch.tensor(rng.random((2, 5, 6)))
    cases = [(0, 0, [5, 6], 2), (4, 3, [5, 6], 2), (1, 2, 4, 1), (0, 1, [5, 5], 0), (6, 7, 3, 2)]
    return {
        "out": [
            ns.crop_with_padding(img, i, j, size if isinstance(size, int) else tuple(size), p)
            for i, j, size, p in cases
        ]
    }


@check("random_crop", points=1)
def test_crop_takes_window_of_zero_padded_image(student, reference, seed):
    """crop_with_padding: 0으로 padding한 뒤 (i, j)에서 시작하는 th x tw 창을 잘라냅니다."""
    s, r = student(crop_windows, seed=seed)["out"], reference(crop_windows, seed=seed)["out"]
    cases = ["(0, 0, (5, 6), 2)", "(4, 3, (5, 6), 2)", "(1, 2, 4, 1)", "(0, 1, (5, 5), 0)", "(6, 7, 3, 2)"]
    expect.true(isinstance(s, list) and len(s) == len(r), "출력 개수가 다릅니다.")
    for got, want, c in zip(s, r, cases, strict=True):
        expect.allclose(got, want, name=f"crop_with_padding(img (2, 5, 6), i, j, size, padding) = {c}")


# ------------------------------------------------------------------ color_jitter
@probe
def jitter_apply(ns, seed, cases, channels):
    rng = np.random.default_rng(seed)
    img = torch.tensor(rng.random((channels, 5, 6)))
    return {"out": [ns.apply_color_jitter(img, list(order), list(factors)) for order, factors in cases]}


def _compare_jitter(student, reference, seed, cases, channels):
    s = student(jitter_apply, seed=seed, cases=cases, channels=channels)["out"]
    r = reference(jitter_apply, seed=seed, cases=cases, channels=channels)["out"]
    for got, want, (order, factors) in zip(s, r, cases, strict=True):
        expect.allclose(got, want, name=f"apply_color_jitter(img ({channels}, 5, 6), order={order}, factors={factors})")


@check("color_jitter", points=0.5)
def test_brightness_multiplies_and_clamps(student, reference, seed):
    """밝기: clamp(b * img, 0, 1)."""
    with expect.hinted("brightness는 계수를 곱한 뒤 [0, 1]로 clamp합니다."):
        _compare_jitter(student, reference, seed, [[[1, 2, 0], [1.7, 1.0, 1.0]], [[1, 2, 0], [0.4, 1.0, 1.0]]], 3)


@check("color_jitter", points=1)
def test_contrast_blends_with_mean_of_grayscale(student, reference, seed):
    """대비: clamp(c * img + (1 - c) * mean(gray(img)), 0, 1), 평균은 회색조 이미지 전체의 평균."""
    with expect.hinted("contrast는 이미지 전체 grayscale 평균 (한 값)과 섞습니다: 채널별 평균이 아닙니다."):
        cases = [[[1, 0, 2], [1.0, 0.3, 1.0]], [[1, 0, 2], [1.0, 1.6, 1.0]]]
        _compare_jitter(student, reference, seed, cases, 3)
        _compare_jitter(student, reference, seed, cases, 1)


# ------------------------------------------------------------------ cutout
@probe
def cutout_cases(ns, seed):
    rng = np.random.default_rng(seed)
    img = torch.tensor(rng.random((3, 7, 9)))
    batch = torch.tensor(rng.random((2, 1, 7, 9)))
    cases = [((3, 4), 3), ((0, 0), 4), ((6, 8), 4), ((1, 7), 5), ((5, 1), 2)]
    out = [ns.cutout(img, c, s) for c, s in cases]
    out.append(ns.cutout(batch, (2, 2), 3))
    return {"out": out}


@check("cutout", points=1)
def test_cutout_zeroes_clipped_square_in_all_channels(student, reference, seed):
    """Cutout은 (cy - s//2, cx - s//2)에서 시작하는 s x s 정사각형을 경계에서 잘라 모든 채널에서 0으로 만듭니다."""
    s, r = student(cutout_cases, seed=seed)["out"], reference(cutout_cases, seed=seed)["out"]
    names = [
        "center (3, 4), size 3",
        "center (0, 0), size 4 (모서리)",
        "center (6, 8), size 4 (모서리)",
        "center (1, 7), size 5",
        "center (5, 1), size 2",
        "batch (2, 1, 7, 9), center (2, 2), size 3",
    ]
    expect.true(isinstance(s, list) and len(s) == len(r), "출력 개수가 다릅니다.")
    same = lambda: all(np.array_equal(np.asarray(s[0]), np.asarray(s[k])) for k in range(1, 5))
    corner_kept = lambda: bool(np.all(np.asarray(s[1])[np.asarray(r[1]) == 0] != 0))
    with (
        expect.hinted(
            "반환한 이미지 다섯 개가 모두 같습니다: 입력 img를 제자리에서 바꿔 (out = img) 모든 호출이 같은 텐서를 "
            "돌려줬습니다. img.clone()에 칠하세요.",
            fits=same,
        ),
        expect.hinted(
            "모서리 사각형이 하나도 지워지지 않았습니다: top = cy - size // 2가 음수이면 Python 슬라이스 "
            "[top:top + size]가 끝에서부터 셉니다. max(0, top)으로 경계에서 자르세요.",
            fits=lambda: not same() and corner_kept(),
        ),
    ):
        for got, want, n in zip(s, r, names, strict=True):
            expect.allclose(got, want, name=f"cutout: {n}")


# ------------------------------------------------------------------ random_erasing
@probe
def erase_cases(ns, seed):
    rng = np.random.default_rng(seed)
    img = torch.tensor(rng.random((3, 6, 7)))
    out = [
        ns.erase(img, 1, 2, 3, 4, 0.5),
        ns.erase(img, 0, 0, 2, 2, torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64).view(3, 1, 1)),
        ns.erase(img, 3, 5, 3, 2, 0.0),
    ]
    return {"out": out, "after": img}


@check("random_erasing", points=1)
def test_erase_fills_region_with_value(student, reference, seed):
    """erase: 행 i..i+h-1, 열 j..j+w-1을 value(실수 또는 채널별 텐서)로 채운 복사본."""
    sr, rr = student(erase_cases, seed=seed), reference(erase_cases, seed=seed)
    s, r = sr["out"], rr["out"]
    names = [
        "(i, j, h, w) = (1, 2, 3, 4), value 0.5",
        "(0, 0, 2, 2), value (3, 1, 1) 채널별",
        "(3, 5, 3, 2), value 0.0",
    ]
    with expect.hinted(
        "입력 img가 호출 뒤 바뀌었습니다: 제자리에서 칠하면 (out = img) 앞 호출의 사각형이 다음 결과에 남습니다. "
        "img.clone()에 칠하세요.",
        fits=lambda: not np.array_equal(np.asarray(sr["after"]), np.asarray(rr["after"])),
    ):
        for got, want, n in zip(s, r, names, strict=True):
            expect.allclose(got, want, name=f"erase {n}")


@probe
def erasing_draws(ns, seed, n, shape, scale, ratio):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        p = ns.sample_erasing_params(tuple(shape), tuple(scale), tuple(ratio), g)
        out.append([-1, -1, -1, -1] if p is None else [int(v) for v in p])
    return {"params": np.array(out, dtype=np.int64)}


def erase_side_pmf(HW, scale, ratio, sign, support):
    """P(round(sqrt(HW * u * r^sign)) = a) for a in support; u ~ U(scale), log r ~ U(log ratio)."""
    s0, s1 = scale
    l0, l1 = math.log(ratio[0]), math.log(ratio[1])
    t = l0 + (np.arange(20000) + 0.5) / 20000 * (l1 - l0)  # midpoint rule over log r
    edges = (np.arange(-1, support + 1) + 0.5) ** 2 / HW  # P(u r^sign < edge)
    cdf = np.clip((edges[:, None] * np.exp(-sign * t)[None, :] - s0) / (s1 - s0), 0, 1).mean(axis=1)
    return np.diff(cdf)  # pmf of 0..support


def jittered_discrete_cdf(pmf):
    cum = np.concatenate([[0.0], np.cumsum(pmf)])

    def cdf(x):
        x = np.asarray(x, dtype=np.float64)
        k = np.clip(np.floor(x).astype(int), 0, len(pmf) - 1)
        return np.clip(cum[k] + (x - k) * pmf[k], 0, 1)

    return cdf


@check("random_erasing", points=1)
def test_erasing_size_follows_area_and_log_uniform_ratio(student, seed):
    """h = round(sqrt(A r)), w = round(sqrt(A / r)): 넓이 A ~ HW U(scale), 비율 r은 log-uniform (DKW)."""
    with expect.hinted(
        "h = round(sqrt(A * r)), w = round(sqrt(A / r)), r은 log-uniform: "
        "h와 w를 바꾸지 않았는지, log 공간에서 뽑았는지 확인하세요."
    ):
        shape, scale, ratio = [3, 32, 40], [0.02, 0.2], [0.5, 3.0]
        p = expect.shape(
            student(erasing_draws, seed=seed, n=2000, shape=shape, scale=scale, ratio=ratio)["params"],
            (2000, 4),
            name="sample_erasing_params 2000회",
        )
        expect.true(
            bool(np.all(p[:, 0] >= 0)),
            (
                "이 설정(scale (0.02, 0.2), ratio (0.5, 3.0), 32x40)에서는 "
                "첫 시도에서 항상 맞아야 하는데 None이 나왔습니다."
            ),
        )
        HW = 32 * 40
        u = np.random.default_rng(seed ^ 0x5EED)
        for col, sign, nm in [(2, 1, "h"), (3, -1, "w")]:
            pmf = erase_side_pmf(HW, scale, ratio, sign, 40)
            stats.dkw(
                p[:, col] + u.random(len(p)),
                jittered_discrete_cdf(pmf),
                fail_prob=5e-8,
                name=nm,
                what=f"{nm} = round(sqrt(A {'*' if sign > 0 else '/'} r)) 분포 (log-uniform 비율)",
            )


# ------------------------------------------------------------------ mixup
@probe
def mixup_case(ns, seed):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.random((5, 2, 3, 3)))
    y = torch.nn.functional.one_hot(torch.tensor(rng.integers(0, 4, 5)), 4).double()
    xm, ym = ns.mixup(x, y, 0.3)
    return {"x": xm, "y": ym}


@check("mixup", points=1)
def test_mixup_blends_with_batch_rolled_by_one(student, reference, seed):
    """x_mix = lam x + (1 - lam) roll(x, 1, 0): 짝은 배치를 한 칸 굴린 것."""
    with expect.hinted(
        "짝은 배치를 한 칸 굴린 것입니다: x_partner = np.roll(x, 1, axis=0) (i번째 샘플의 짝은 i - 1번째)."
    ):
        s, r = student(mixup_case, seed=seed), reference(mixup_case, seed=seed)
        expect.allclose(s["x"], r["x"], name="mixup(x, y, 0.3)[0]")


@check("mixup", points=1)
def test_labels_use_the_same_lambda(student, reference, seed):
    """레이블도 같은 lam과 같은 짝으로 섞습니다: y_mix = lam y + (1 - lam) roll(y, 1, 0)."""
    with expect.hinted("레이블도 입력과 같은 lambda로 섞습니다: lam * y + (1 - lam) * y_partner."):
        s, r = student(mixup_case, seed=seed), reference(mixup_case, seed=seed)
        expect.allclose(s["y"], r["y"], name="mixup(x, y, 0.3)[1]")


# ------------------------------------------------------------------ cutmix
@probe
def cutmix_case(ns, seed):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.random((4, 2, 6, 8)))
    y = torch.nn.functional.one_hot(torch.tensor(rng.integers(0, 3, 4)), 3).double()
    xs, ys = [], []
    for box in [(2, 1, 6, 4), (0, 0, 3, 6), (5, 2, 8, 6), (0, 0, 8, 6)]:
        xm, ym = ns.cutmix(x, y, box)
        xs.append(xm)
        ys.append(ym)
    return {"x": xs, "y": ys, "x_after": x}


@check("cutmix", points=1)
def test_cutmix_pastes_partner_box(student, reference, seed):
    """x_mix[..., y1:y2, x1:x2] = roll(x, 1, 0)[..., y1:y2, x1:x2], 나머지는 x 그대로."""
    s, r = student(cutmix_case, seed=seed), reference(cutmix_case, seed=seed)
    # the in-place mistake replayed on the probe's input rebuilt here: x_mix = x pastes into the caller's x,
    # so every returned x_mix is that same x after all four pastes
    x = np.random.default_rng(seed).random((4, 2, 6, 8))
    for x1, y1, x2, y2 in [(2, 1, 6, 4), (0, 0, 3, 6), (5, 2, 8, 6), (0, 0, 8, 6)]:
        x[..., y1:y2, x1:x2] = np.roll(x, 1, 0)[..., y1:y2, x1:x2]

    def pasted_in_place():
        return (
            isinstance(s["x"], list)
            and len(s["x"]) == 4
            and all(
                np.shape(g) == x.shape and np.allclose(np.asarray(g, dtype=np.float64), x, rtol=1e-12) for g in s["x"]
            )
        )

    with expect.hinted(
        "네 번의 호출 결과가 모두, 입력 x에 네 상자를 차례로 붙여 넣은 같은 배열입니다: x_mix = x는 복사가 아니라서 "
        "호출한 쪽의 x를 제자리에서 바꿉니다. x.clone()에 붙여 넣으세요.",
        fits=pasted_in_place,
    ):
        for k, box in enumerate(["(2, 1, 6, 4)", "(0, 0, 3, 6)", "(5, 2, 8, 6)", "(0, 0, 8, 6) 전체"]):
            expect.allclose(s["x"][k], r["x"][k], name=f"cutmix(x (4, 2, 6, 8), y, box={box})[0]")


@check("cutmix", points=1)
def test_label_weight_is_kept_area(student, reference, seed):
    """레이블 가중치 = 실제로 남은 넓이 1 - (x2-x1)(y2-y1)/(HW)."""
    with expect.hinted("레이블 가중치는 원래 이미지가 남은 넓이의 비율 1 - 상자 넓이 / (H * W)입니다."):
        s, r = student(cutmix_case, seed=seed), reference(cutmix_case, seed=seed)
        for k, box in enumerate(["(2, 1, 6, 4)", "(0, 0, 3, 6)", "(5, 2, 8, 6)", "(0, 0, 8, 6) 전체"]):
            expect.allclose(s["y"][k], r["y"][k], name=f"cutmix(x (4, 2, 6, 8), y, box={box})[1]")


# ------------------------------------------------------------------ apply_op
@probe
def ops_on_images(ns, seed, ops, kind, batch=0, size=(9, 11)):
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
        else:
            a = rng.random(shape)
            a[..., 0, 0] = 1.0
            a[..., 0, 1] = 0.0
        return torch.tensor(a)

    imgs = [make(shape_rgb), make(shape_gray)]
    out = []
    for name, m in ops:
        if name == "Solarize" and m == "12/19":
            m = 12 / 19
        for img in imgs:
            out.append(ns.apply_op(img, name, m))
    return {"out": out}


def compare_ops(student, reference, seed, ops, kind, batch=0, size=None):
    extra = {} if size is None else {"size": list(size)}  # probe calls (and public_reference.json) as before
    s = student(ops_on_images, seed=seed, ops=ops, kind=kind, batch=batch, **extra)["out"]
    r = reference(ops_on_images, seed=seed, ops=ops, kind=kind, batch=batch, **extra)["out"]
    expect.true(isinstance(s, list) and len(s) == len(r), "출력 개수가 다릅니다.")
    H, W = (9, 11) if size is None else size
    shp = f"({batch}, C, {H}, {W})" if batch else f"(C, {H}, {W})"
    for k, (got, want) in enumerate(zip(s, r, strict=True)):
        name, m = ops[k // 2]
        expect.allclose(got, want, name=f'apply_op(img {shp}, C={3 if k % 2 == 0 else 1}, "{name}", {m})')


@check("apply_op", points=1)
def test_brightness_and_contrast_blend_with_black_and_mean_gray(student, reference, seed):
    """Identity, Brightness (1+m) img, Contrast: 회색조 평균과 섞기 (torchvision 공식, clamp)."""
    with expect.hinted(
        "Brightness는 검정(0)과, Contrast는 이미지마다 grayscale 평균 (한 값)과 섞습니다: 채널별 평균이 아닙니다."
    ):
        ops = [["Identity", 0.0], ["Brightness", 0.5], ["Brightness", -0.4], ["Contrast", 0.6], ["Contrast", -0.7]]
        compare_ops(student, reference, seed, ops, "rand")


@check("apply_op", points=1)
def test_rotate_is_counterclockwise_about_the_centre(student, reference, seed):
    """Rotate m도: 중심 기준 반시계 방향, nearest 보간(torch.round), 바깥은 0."""
    with expect.hinted("양수 각도는 반시계 방향 회전입니다 (torchvision, 중심 기준)."):
        ops = [["Rotate", 17.0], ["Rotate", -41.0], ["Rotate", 90.0], ["Rotate", 133.0]]
        compare_ops(student, reference, seed, ops, "rand")


@check("apply_op", points=0.5)
def test_solarize_inverts_pixels_at_or_above_threshold(student, reference, seed):
    """Solarize: img >= m인 픽셀을 1 - img로 (임계값과 같은 픽셀도 반전)."""
    with expect.hinted("threshold 이상 (>=)인 픽셀을 1 - x로 뒤집습니다."):
        ops = [["Solarize", "12/19"], ["Solarize", 1.0], ["Solarize", 0.0]]
        compare_ops(student, reference, seed, ops, "levels")


# ------------------------------------------------------------------ rand_augment_ops
@probe
def ra_draws(ns, seed, calls, num_ops, magnitude, image_size):
    g = torch.Generator().manual_seed(seed)
    names, mags, lens = [], [], []
    for _ in range(calls):
        ops = ns.rand_augment_ops(num_ops, magnitude, g, image_size=tuple(image_size))
        lens.append(len(ops))
        for name, m in ops:
            names.append(str(name))
            mags.append(float(m))
    return {"names": names, "mags": np.array(mags), "lens": np.array(lens, dtype=np.int64)}


def ra_table(name, H, W, bins=31):
    lin = lambda a, b: np.linspace(a, b, bins)
    return {
        "ShearX": lin(0, 0.3),
        "ShearY": lin(0, 0.3),
        "TranslateX": lin(0, 150 / 331 * W),
        "TranslateY": lin(0, 150 / 331 * H),
        "Rotate": lin(0, 30),
        "Brightness": lin(0, 0.9),
        "Color": lin(0, 0.9),
        "Contrast": lin(0, 0.9),
        "Sharpness": lin(0, 0.9),
        "Posterize": 8 - np.round(np.arange(bins) / ((bins - 1) / 4)),
        "Solarize": lin(1.0, 0.0),
    }.get(name)


def known_names(names, table_names, fn):
    bad = sorted({n for n in names if n not in table_names})
    expect.true(
        isinstance(names, list) and not bad,
        f"`{fn}`: torchvision 표에 없는 연산 이름 {bad[:3]} — 이름은 {table_names} 중 하나여야 합니다.",
    )


@check("rand_augment_ops", points=1)
def test_ops_are_uniform_over_the_14_ops(student, seed):
    """연산은 14개(torchvision RandAugment 표) 중 균등하게 뽑습니다 (DKW)."""
    with expect.hinted("연산은 Identity를 포함한 14개 중 균등하게 뽑습니다."):
        r = student(ra_draws, seed=seed, calls=3000, num_ops=1, magnitude=9, image_size=[24, 40])
        expect.equal(r["lens"], np.ones(3000, dtype=np.int64), name="len(rand_augment_ops(1, 9, rng))")
        known_names(r["names"], RA_NAMES, "rand_augment_ops")
        idx = [RA_NAMES.index(n) for n in r["names"]]
        _jittered_uniform(idx, 14, seed, "연산 번호 (torchvision 표 순서)", "14개 연산의 균등 분포")


@check("rand_augment_ops", points=1)
def test_magnitude_is_the_table_value_at_bin_m(student, seed):
    """|magnitude| = 그 연산 표의 M번째 값 (linspace(0, max, 31)[M]; TranslateX는 W, TranslateY는 H에 비례)."""
    with expect.hinted(
        "강도는 num_magnitude_bins개 칸의 표에서 M번째 값입니다: linspace(0, max, num_magnitude_bins)[M]."
    ):
        H, W, M = 24, 40, 13
        r = student(ra_draws, seed=seed, calls=600, num_ops=2, magnitude=M, image_size=[H, W])
        known_names(r["names"], RA_NAMES, "rand_augment_ops")
        mags = expect.finite(r["mags"], name="magnitudes")
        for name in RA_NAMES:
            sel = np.array([n == name for n in r["names"]], dtype=bool)
            if not sel.any():
                continue
            table = ra_table(name, H, W)
            want = np.full(int(sel.sum()), 0.0 if table is None else float(table[M]))
            expect.allclose(
                np.abs(mags[sel]),
                want,
                rtol=1e-6,
                atol=1e-6,
                name=f"|magnitude| of {name} (M={M}, image_size=({H}, {W}))",
            )


# ------------------------------------------------------------------ trivial_augment_op
@probe
def ta_draws(ns, seed, n):
    g = torch.Generator().manual_seed(seed)
    names, mags = [], []
    for _ in range(n):
        name, m = ns.trivial_augment_op(g)
        names.append(str(name))
        mags.append(float(m))
    return {"names": names, "mags": np.array(mags)}


TA_MAX = {
    "ShearX": 0.99,
    "ShearY": 0.99,
    "TranslateX": 32.0,
    "TranslateY": 32.0,
    "Rotate": 135.0,
    "Brightness": 0.99,
    "Color": 0.99,
    "Contrast": 0.99,
    "Sharpness": 0.99,
}


@check("trivial_augment_op", points=0.5)
def test_op_is_uniform_over_the_14_ops(student, seed):
    """TrivialAugmentWide: 연산 하나를 14개 중 균등하게 뽑습니다 (DKW)."""
    with expect.hinted("연산은 Identity를 포함한 14개 중 균등하게 뽑습니다."):
        r = student(ta_draws, seed=seed, n=3000)
        known_names(r["names"], RA_NAMES, "trivial_augment_op")
        _jittered_uniform([RA_NAMES.index(n) for n in r["names"]], 14, seed, "연산 번호", "14개 연산의 균등 분포")


@check("trivial_augment_op", points=1)
def test_magnitude_bin_is_uniform_over_31_bins(student, seed):
    """강도 칸 k ~ U{0..30}을 매번 뽑고 |m| = wide 표[k] (DKW + 모든 칸이 나오는지)."""
    n = 4000
    r = student(ta_draws, seed=seed, n=n)
    known_names(r["names"], RA_NAMES, "trivial_augment_op")
    mags = expect.finite(r["mags"], name="magnitudes")
    bins = []
    for name, m in zip(r["names"], mags, strict=True):
        if name in TA_MAX:
            k = round(abs(m) / TA_MAX[name] * 30)
            ok = 0 <= k <= 30 and abs(abs(m) - TA_MAX[name] * k / 30) <= 1e-6 * max(1.0, TA_MAX[name])
        elif name == "Solarize":
            k = round((1 - m) * 30)
            ok = 0 <= k <= 30 and abs(m - (1 - k / 30)) <= 1e-6
        else:
            continue
        expect.true(bool(ok), f"`{name}`의 강도 {m:g}가 TrivialAugmentWide 표(linspace(0, max, 31))의 값이 아닙니다.")
        bins.append(k)
    # a correct sampler misses one of the 31 bins with probability <= 31 (30/31)^len(bins)
    _jittered_uniform(bins, 31, seed, "강도 칸 k", "U{0..30} (칸마다 같은 확률)", fail_prob=5e-8)
    missing = sorted(set(range(31)) - set(bins))
    p_miss = 31 * (30 / 31) ** len(bins)
    expect.true(
        not missing,
        f"강도 칸 {missing}이(가) {len(bins)}번 중 한 번도 나오지 않았습니다 "
        f"(올바른 구현이라면 확률 <= {p_miss:.1e}). torch.randint(high)는 high를 포함하지 않습니다.",
    )


# ------------------------------------------------------------------ label_smoothing
@probe
def smooth_case(ns, eps):
    y = torch.tensor([0, 3, 1, 4, 4, 2])
    return {"t": ns.smooth_labels(y, 5, eps)}


@check("label_smoothing", points=1)
def test_smoothed_targets_spread_eps_over_all_classes(student, reference):
    """t = (1 - eps) onehot + eps / K (PyTorch 규약: 정답 1 - eps + eps/K, 나머지 eps/K)."""
    with expect.hinted("eps를 K개 클래스 모두에 나눠 줍니다: (1 - eps) * onehot + eps / K (K - 1이 아님)."):
        for eps in (0.1, 0.3):
            expect.allclose(
                student(smooth_case, eps=eps)["t"],
                reference(smooth_case, eps=eps)["t"],
                name=f"smooth_labels(y, 5, {eps})",
            )


@probe
def soft_ce_case(ns, seed, scale):
    rng = np.random.default_rng(seed)
    z = torch.tensor(rng.standard_normal((6, 5)) * scale)
    t = torch.tensor(rng.dirichlet(np.ones(5), size=6))
    return {"loss": ns.soft_cross_entropy(z, t)}


@check("label_smoothing", points=1)
def test_soft_cross_entropy_matches_the_formula(student, reference, seed):
    """L = mean_n( -sum_k t_nk log_softmax(z_n)_k )."""
    with expect.hinted("배치 평균입니다: -(t * log_softmax(z)).sum(dim=1).mean() (배치 합이 아님)."):
        expect.allclose(
            student(soft_ce_case, seed=seed, scale=2.0)["loss"],
            reference(soft_ce_case, seed=seed, scale=2.0)["loss"],
            name="soft_cross_entropy(z (6, 5), t)",
        )


# ------------------------------------------------------------------ fgsm
@probe
def fgsm_case(ns, seed, eps, interior):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed % 100000)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(16, 12), torch.nn.Tanh(), torch.nn.Linear(12, 5)
    ).double()
    x = 0.2 + 0.6 * rng.random((6, 1, 4, 4)) if interior else rng.random((6, 1, 4, 4))
    if not interior:
        x[:, 0, 0, :2] = [0.0, 1.0]
    x = torch.tensor(x)
    y = torch.tensor(rng.integers(0, 5, 6))
    adv = ns.fgsm(model, x, y, eps)
    grad = sum(float(p.grad.abs().sum()) for p in model.parameters() if p.grad is not None)
    return {"adv": adv, "x_after": x, "param_grad": float(grad)}


@check("fgsm", points=1)
def test_step_is_eps_times_gradient_sign(student, reference, seed):
    """x_adv = x + eps * sign(grad_x CE) (경계에서 먼 입력: clamp가 작동하지 않는 경우)."""
    with expect.hinted("FGSM은 손실이 커지는 방향으로 x + eps * sign(grad)입니다 (빼면 손실을 줄이는 descent)."):
        s = student(fgsm_case, seed=seed, eps=0.05, interior=True)
        r = reference(fgsm_case, seed=seed, eps=0.05, interior=True)
        expect.allclose(s["adv"], r["adv"], name="fgsm(model, x, y, 0.05)")


# ------------------------------------------------------------------ worst_of_k
@probe
def worst_case(ns, seed):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed % 100000)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(16, 12), torch.nn.Tanh(), torch.nn.Linear(12, 5)
    ).double()
    x = torch.tensor(rng.random((8, 1, 4, 4)))
    y = torch.tensor(rng.integers(0, 5, 8))
    augs = [lambda t: t, lambda t: t.flip(-1), lambda t: 0.5 * t, lambda t: t.roll(1, -2), lambda t: 1 - t]
    xw, idx = ns.worst_of_k(model, x, y, augs)
    return {"x": xw, "idx": idx}


@check("worst_of_k", points=1)
def test_chosen_index_maximizes_per_sample_loss(student, reference, seed):
    """idx[n] = argmax_k CE(model(aug_k(x))[n], y[n]): 샘플마다 (배치 평균이 아님), 동점이면 작은 k."""
    with expect.hinted("샘플마다 따로 손실이 가장 큰 증강을 고릅니다 (배치 전체 손실 하나로 고르지 않음)."):
        s, r = student(worst_case, seed=seed), reference(worst_case, seed=seed)
        expect.equal(s["idx"], r["idx"], name="worst_of_k(...)[1] (고른 증강 번호)")


@check("color_jitter", points=0.5)
def test_saturation_blends_with_grayscale(student, reference, seed):
    """채도: clamp(s img + (1 - s) gray(img), 0, 1); 1채널 이미지는 그대로."""
    with expect.hinted(
        "saturation은 픽셀마다의 grayscale 이미지와 섞습니다 (contrast처럼 grayscale 평균과 섞지 않음)."
    ):
        _compare_jitter(student, reference, seed, [[[2, 0, 1], [1.0, 1.0, 0.2]], [[2, 0, 1], [1.0, 1.0, 1.9]]], 3)
        _compare_jitter(student, reference, seed, [[[2, 0, 1], [1.0, 1.0, 0.3]]], 1)


@check("color_jitter", points=0.5)
def test_ops_are_applied_in_the_sampled_order(student, reference, seed):
    """order 순서대로 적용합니다 (순서가 바뀌면 clamp와 평균 때문에 결과가 달라집니다)."""
    with expect.hinted(
        "order에 적힌 순서대로 연산을 적용합니다 (고정된 순서가 아님). 각 연산은 앞 연산의 결과에 적용됩니다."
    ):
        _compare_jitter(student, reference, seed, [[[2, 0, 1], [1.4, 0.5, 1.7]], [[1, 2, 0], [1.8, 0.4, 1.5]]], 3)


@check("apply_op", points=1)
def test_color_and_sharpness_blend_with_grayscale_and_blur(student, reference, seed):
    """Color: 픽셀별 회색조와 섞기; Sharpness: 3x3 [[1,1,1],[1,5,1],[1,1,1]]/13 blur와 섞기 (테두리 그대로)."""
    with expect.hinted(
        "Color는 grayscale과, Sharpness는 3x3 smooth 필터와 섞고 가장자리 픽셀은 그대로 둡니다 (zero padding 없음)."
    ):
        ops = [["Color", 0.7], ["Color", -0.9], ["Sharpness", 0.9], ["Sharpness", -0.6]]
        compare_ops(student, reference, seed, ops, "rand")


@check("apply_op", points=1)
def test_shear_is_about_the_top_left_corner(student, reference, seed):
    """ShearX: u = j + m (i + 0.5), ShearY: v = i + m (j + 0.5) (왼쪽 위 모서리 기준, nearest, 0 채움)."""
    with expect.hinted("torchvision RandAugment의 shear는 center=[0, 0] (왼쪽 위 모서리) 기준입니다."):
        ops = [["ShearX", 0.23], ["ShearX", -0.37], ["ShearY", 0.29], ["ShearY", -0.13]]
        compare_ops(student, reference, seed, ops, "rand")


@check("apply_op", points=0.5)
def test_translate_moves_by_truncated_whole_pixels(student, reference, seed):
    """TranslateX/Y: int(m) 픽셀 이동 (0 쪽으로 버림), 빈 곳은 0."""
    with expect.hinted("이동량은 int(magnitude)처럼 0 쪽으로 잘라낸 정수 픽셀입니다 (반올림이 아님)."):
        ops = [["TranslateX", 3.7], ["TranslateX", -2.6], ["TranslateY", 4.2], ["TranslateY", -1.9]]
        compare_ops(student, reference, seed, ops, "rand")


@check("apply_op", points=0.5)
def test_equalize_uses_the_pil_step_lut(student, reference, seed):
    """Equalize: q = floor(img 255.999)의 히스토그램으로 PIL/torchvision의 step 기반 LUT (24 x 30 = 720 픽셀)."""
    with expect.hinted("equalize는 PIL의 step 기반 LUT를 씁니다 (교과서의 CDF 표가 아님)."):
        for kind in ("levels", "rand"):  # 720 pixels: step > 0 (under 256 pixels PIL's LUT is the identity)
            compare_ops(student, reference, seed, [["Equalize", 0.0]], kind, size=(24, 30))


@check("apply_op", points=0.5)
def test_autocontrast_stretches_each_channel(student, reference, seed):
    """AutoContrast: 이미지·채널마다 (img - min) / (max - min); 상수 채널은 그대로."""
    with expect.hinted("autocontrast는 채널마다 자기 min/max로 늘립니다 (전체 min/max 하나가 아님)."):
        compare_ops(student, reference, seed, [["AutoContrast", 0.0]], "narrow")
        compare_ops(student, reference, seed, [["AutoContrast", 0.0]], "rand")


@check("random_horizontal_flip", points=0.5)
def test_flip_probability_is_p(student, seed):
    """sample_hflip(p)는 확률 p로 True (torch.rand(1) < p) — 정확한 이항 구간."""
    with expect.hinted("sample_hflip(p, rng)는 확률 p로 True (p는 뒤집을 확률이지 그대로 둘 확률이 아님)입니다."):
        f = expect.shape(student(hflip_draws, seed=seed, n=2000, p=0.3)["flips"], (2000,), name="sample_hflip 2000회")
        stats.proportion(int(np.sum(f)), 2000, 0.3, name="sample_hflip(0.3, rng)가 True인 비율")


@check("random_crop", points=1)
def test_crop_offsets_are_uniform_over_valid_positions(student, seed):
    """i ~ U{0..H+2p-th}, j ~ U{0..W+2p-tw} 독립 (모든 창 위치가 같은 확률; DKW)."""
    with expect.hinted(
        "창 위치 i는 0..H - size (양끝 포함)에서 균등합니다: "
        "torch.randint의 high를 포함하지 않으므로 high = H - size + 1."
    ):
        ij = expect.shape(
            student(crop_param_draws, seed=seed, n=1500)["ij"],
            (1500, 2),
            name="sample_crop_params((1, 6, 8), (5, 6), 1) 1500회",
        )
        ni, nj = 6 + 2 - 5 + 1, 8 + 2 - 6 + 1
        ok = (ij[:, 0] >= 0) & (ij[:, 0] < ni) & (ij[:, 1] >= 0) & (ij[:, 1] < nj)
        expect.true(
            bool(ok.all()),
            f"i는 0..{ni - 1}, j는 0..{nj - 1} 범위여야 합니다 "
            f"(나온 범위 i {ij[:, 0].min()}..{ij[:, 0].max()}, j {ij[:, 1].min()}..{ij[:, 1].max()}).",
        )
        _jittered_uniform(
            ij[:, 0] * nj + ij[:, 1], ni * nj, seed, "창 위치 i * nj + j", f"{ni}x{nj}개 위치의 균등 분포"
        )


@check("cutout", points=0.5)
def test_cutout_center_is_uniform_over_pixels(student, seed):
    """중심 (cy, cx)는 H x W 픽셀 전체에서 균등 (cy ~ U{0..H-1}, cx ~ U{0..W-1}; 세 DKW, 각 1e-7/3)."""
    c = expect.shape(
        student(cutout_center_draws, seed=seed, n=1500)["c"], (1500, 2), name="sample_cutout_center(7, 9) 1500회"
    )
    expect.true(
        bool(np.all((c[:, 0] >= 0) & (c[:, 0] < 7) & (c[:, 1] >= 0) & (c[:, 1] < 9))),
        "cy는 0..6, cx는 0..8 범위여야 합니다 (H=7, W=9).",
    )
    _jittered_uniform(c[:, 0], 7, seed, "cy", "U{0..6}", fail_prob=1e-7 / 3)
    _jittered_uniform(c[:, 1], 9, seed + 1, "cx", "U{0..8}", fail_prob=1e-7 / 3)
    _jittered_uniform(
        c[:, 0] * 9 + c[:, 1], 63, seed + 2, "중심 픽셀 번호 cy * W + cx", "7x9 픽셀의 균등 분포", fail_prob=1e-7 / 3
    )


@check("random_erasing", points=0.5)
def test_erasing_position_is_uniform_given_size(student, seed):
    """크기 (h, w)가 정해지면 i ~ U{0..H-h}, j ~ U{0..W-w} (PIT + DKW, 각 실패 확률 5e-8)."""
    H, W = 10, 12
    p = expect.shape(
        student(erasing_draws_h, seed=seed, n=2000, shape=[1, H, W], scale=[0.3, 0.5], ratio=[0.8, 1.25])["params"],
        (2000, 4),
        name="sample_erasing_params 2000회",
    )
    expect.true(
        bool(np.all(p[:, 0] >= 0)),
        "이 설정(10x12, scale (0.3, 0.5), ratio (0.8, 1.25))에서는 항상 맞아야 하는데 None이 나왔습니다.",
    )
    i, j, h, w = p.T
    expect.true(
        bool(np.all((h < H) & (w < W) & (i >= 0) & (j >= 0) & (i <= H - h) & (j <= W - w))),
        "0 <= i <= H - h, 0 <= j <= W - w, h < H, w < W를 만족하지 않는 결과가 있습니다.",
    )
    u = np.random.default_rng(seed ^ 0x5EED)
    stats.dkw(
        (i + u.random(len(i))) / (H - h + 1),
        stats.uniform_cdf(0, 1),
        fail_prob=5e-8,
        name="(i + U) / (H - h + 1)",
        what="U(0, 1) (i가 0..H-h에서 균등할 때)",
    )
    stats.dkw(
        (j + u.random(len(j))) / (W - w + 1),
        stats.uniform_cdf(0, 1),
        fail_prob=5e-8,
        name="(j + U) / (W - w + 1)",
        what="U(0, 1) (j가 0..W-w에서 균등할 때)",
    )


@check("mixup", points=1)
def test_lambda_follows_beta_alpha_alpha(student, seed):
    """lam ~ Beta(alpha, alpha) (alpha = 0.4, 2.0; 각 DKW 실패 확률 5e-8)."""
    from scipy.special import betainc  # regularized incomplete beta = Beta(a, a) CDF

    for alpha in (0.4, 2.0):
        lam = expect.shape(
            student(mixup_lambda_draws, seed=seed, n=1000, alpha=alpha)["lam"],
            (1000,),
            name=f"sample_mixup_lambda({alpha}) 1000회",
        )
        stats.dkw(
            lam,
            lambda x, a=alpha: betainc(a, a, np.clip(x, 0, 1)),
            fail_prob=5e-8,
            name=f"lambda (alpha={alpha})",
            what=f"Beta({alpha}, {alpha})",
        )


@check("cutmix", points=1)
def test_box_is_clipped_around_uniform_center(student, seed):
    """상자 = 균등한 중심 (cx, cy) ± (int(sqrt(1-lam) W / 2), int(sqrt(1-lam) H / 2))를 경계에서 자른 것 (DKW)."""
    H, W, lam, n = 12, 20, 0.6, 1500
    b = expect.shape(
        student(cutmix_box_draws, seed=seed, n=n, H=H, W=W, lam=lam)["boxes"],
        (n, 4),
        name="sample_cutmix_box(12, 20, 0.6) 1500회",
    )
    r = 0.5 * math.sqrt(1 - lam)
    rw, rh = int(r * W), int(r * H)
    x1, y1, x2, y2 = b.T
    cx = np.where(x1 > 0, x1 + rw, x2 - rw)
    cy = np.where(y1 > 0, y1 + rh, y2 - rh)
    ok = (
        (x1 == np.maximum(cx - rw, 0))
        & (x2 == np.minimum(cx + rw, W))
        & (y1 == np.maximum(cy - rh, 0))
        & (y2 == np.minimum(cy + rh, H))
        & (cx >= 0)
        & (cx < W)
        & (cy >= 0)
        & (cy < H)
    )
    if not ok.all():
        k = int(np.flatnonzero(~ok)[0])
        expect.fail(
            f"상자 {tuple(int(v) for v in b[k])}는 (max(cx - {rw}, 0), max(cy - {rh}, 0), min(cx + {rw}, {W}), "
            f"min(cy + {rh}, {H})) 꼴이 아닙니다 (x = 열은 W, y = 행은 H; 반폭 = int(0.5 sqrt(1 - lam) W))."
        )
    _jittered_uniform(cy * W + cx, H * W, seed, "중심 cy * W + cx", f"{H}x{W} 픽셀의 균등 분포 (중심은 이미지 어디든)")


@check("rand_augment_ops", points=1)
def test_signed_ops_get_a_random_sign(student, seed):
    """부호 있는 연산은 확률 1/2로 음수, 부호 없는 연산은 >= 0 (이항 구간)."""
    r = student(ra_draws_h, seed=seed, calls=1000, num_ops=2, magnitude=9)
    _signs(r["names"], r["mags"], "rand_augment_ops", seed)


@check("rand_augment_ops", points=0.5)
def test_ops_are_drawn_with_replacement(student, seed):
    """num_ops개의 연산은 독립(복원추출): 두 연산이 같을 확률 1/14 (이항 구간)."""
    with expect.hinted(
        "RandAugment는 연산을 매번 독립으로 (복원 추출로) 뽑습니다: 같은 연산이 두 번 나올 수 있습니다."
    ):
        n = 800
        r = student(ra_draws_h, seed=seed, calls=n, num_ops=2, magnitude=5)
        expect.equal(r["lens"], np.full(n, 2, dtype=np.int64), name="len(rand_augment_ops(2, 5, rng))")
        names = r["names"]
        same = sum(names[2 * k] == names[2 * k + 1] for k in range(n))
        stats.proportion(same, n, 1 / 14, name="두 연산이 같은 비율")


@check("trivial_augment_op", points=1)
def test_wide_table_values_and_signs(student, seed):
    """Posterize 비트 = 8 - round(k/5), 강도 없는 연산은 0, 부호 있는 연산은 확률 1/2로 음수."""
    r = student(ta_draws_h, seed=seed, n=1500)
    names, mags = r["names"], expect.finite(r["mags"], name="magnitudes")
    allowed = {
        "Posterize": {float(v) for v in 8 - np.round(np.arange(31) / 5)},
        "Identity": {0.0},
        "AutoContrast": {0.0},
        "Equalize": {0.0},
    }
    for name, m in zip(names, mags, strict=True):
        if name in allowed and abs(float(m)) not in allowed[name]:
            expect.fail(f"`{name}`의 강도 {float(m):g}는 TrivialAugmentWide 표 {sorted(allowed[name])}에 없습니다.")
    _signs(names, mags, "trivial_augment_op", seed)


@check("worst_of_k", points=1)
def test_returned_batch_is_the_chosen_augmentation(student, reference, seed):
    """x_worst[n] = aug_{idx[n]}(x)[n] (샘플마다 고른 증강의 결과)."""
    with expect.hinted("샘플마다 고른 증강의 결과를 모아 반환합니다 (첫 샘플의 선택을 모두에 쓰지 않음)."):
        _same_as_reference(student, reference, worst_case_h, "x", "worst_of_k(...)[0]", seed=seed)


@check("label_smoothing", points=0.5)
def test_gradient_is_softmax_minus_targets_over_batch(student, reference, seed):
    """autograd 기울기 dL/dz = (softmax(z) - t) / N (배치 평균, 미분 가능해야 함)."""
    with expect.hinted(
        "기울기가 logit z까지 흐르지 않았습니다: numpy로 바꾸거나 detach하지 말고 torch 연산 "
        "(torch.log_softmax)만으로 손실을 계산하세요 (gradient가 흐르도록).",
        fits=lambda: False,
        on_error=True,
    ):
        _same_as_reference(
            student, reference, soft_ce_case_h, "grad", "soft_cross_entropy의 z.grad", seed=seed, scale=2.0, grad=True
        )
