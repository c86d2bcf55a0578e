"""04_augmentation: the reference solution against PyTorch (float64) and torchvision's semantics.

torchvision is not installed, so where the notebook follows torchvision the test rebuilds
torchvision's own computation path from its formulas with plain torch ops
(``functional._get_inverse_affine_matrix`` + ``_functional_tensor._gen_affine_grid`` +
``grid_sample``; ``v2.functional._color`` blends) and compares; equalization is compared with
PIL (``ImageOps.equalize``), the algorithm torchvision reproduces.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import course, reference_namespace

from autograder.checks import check_seed, load_checks
from autograder.expect import CheckFailed
from autograder.run import InProcessSession

AID = "04_augmentation"


@pytest.fixture(scope="module")
def ns():
    return reference_namespace(AID)


def _rel(a, b):
    a, b = (torch.as_tensor(v).detach().to(torch.float64) for v in (a, b))
    return float((a - b).abs().max() / b.abs().max().clamp(min=1e-300))


# ----------------------------------------------------------------------------- label smoothing
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.25, 0.9])
def test_soft_cross_entropy_of_smoothed_labels_equals_torch_label_smoothing(ns, eps):
    g = torch.Generator().manual_seed(0)
    z = (torch.randn(32, 7, generator=g, dtype=torch.float64) * 3).requires_grad_(True)
    y = torch.randint(0, 7, (32,), generator=g)
    mine = ns["soft_cross_entropy"](z, ns["smooth_labels"](y, 7, eps))
    (g_mine,) = torch.autograd.grad(mine, z)
    want = torch.nn.CrossEntropyLoss(label_smoothing=eps)(z, y)
    (g_want,) = torch.autograd.grad(want, z)
    assert mine.dtype == torch.float64 and mine.ndim == 0
    assert _rel(mine, want) <= 1e-10
    assert _rel(g_mine, g_want) <= 1e-10


def test_smooth_labels_puts_one_minus_eps_plus_eps_over_k_on_the_true_class(ns):
    t = ns["smooth_labels"](torch.tensor([2, 0]), 4, 0.2)
    assert t.dtype == torch.float64
    assert torch.allclose(t.sum(1), torch.ones(2, dtype=torch.float64), rtol=0, atol=1e-15)
    assert t[0, 2] == pytest.approx(0.8 + 0.05) and t[0, 1] == pytest.approx(0.05)


def test_soft_cross_entropy_with_hard_targets_equals_cross_entropy(ns):
    g = torch.Generator().manual_seed(1)
    z = torch.randn(16, 5, generator=g, dtype=torch.float64) * 500
    y = torch.randint(0, 5, (16,), generator=g)
    assert _rel(ns["soft_cross_entropy"](z, F.one_hot(y, 5).double()), F.cross_entropy(z, y)) <= 1e-10


# ----------------------------------------------------------------------------- geometric ops
def _inverse_affine(center, angle, translate, scale, shear):
    """torchvision.transforms.functional._get_inverse_affine_matrix (same formulas)."""
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m = [v / scale for v in m]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _tv_affine(img, matrix):
    """torchvision _functional_tensor.affine: _gen_affine_grid + grid_sample(nearest, zeros, align_corners=False)."""
    h, w = img.shape[-2:]
    theta = torch.tensor(matrix, dtype=img.dtype).reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3, dtype=img.dtype)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w, dtype=img.dtype))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h, dtype=img.dtype).unsqueeze(-1))
    base[..., 2].fill_(1)
    grid = base.view(1, h * w, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=img.dtype))
    x = img.reshape(-1, *img.shape[-3:])
    out = F.grid_sample(
        x, grid.view(1, h, w, 2).expand(x.shape[0], h, w, 2), mode="nearest", padding_mode="zeros", align_corners=False
    )
    return out.reshape(img.shape)


def _tv_op(img, name, m):
    """torchvision autoaugment._apply_op for the geometric ops (center, angle sign as torchvision)."""
    h, w = img.shape[-2:]
    corner = [0 - w * 0.5, 0 - h * 0.5]  # center=[0, 0] in pixels, shifted so (0, 0) is the image centre
    if name == "Rotate":  # F.rotate uses -angle
        return _tv_affine(img, _inverse_affine([0.0, 0.0], -m, [0.0, 0.0], 1.0, [0.0, 0.0]))
    if name == "ShearX":
        return _tv_affine(img, _inverse_affine(corner, 0.0, [0.0, 0.0], 1.0, [math.degrees(math.atan(m)), 0.0]))
    if name == "ShearY":
        return _tv_affine(img, _inverse_affine(corner, 0.0, [0.0, 0.0], 1.0, [0.0, math.degrees(math.atan(m))]))
    if name == "TranslateX":
        return _tv_affine(img, _inverse_affine([0.0, 0.0], 0.0, [float(int(m)), 0.0], 1.0, [0.0, 0.0]))
    if name == "TranslateY":
        return _tv_affine(img, _inverse_affine([0.0, 0.0], 0.0, [0.0, float(int(m))], 1.0, [0.0, 0.0]))
    raise KeyError(name)


GEOMETRIC = [
    ("Rotate", 17.0),
    ("Rotate", -41.0),
    ("Rotate", 133.0),
    ("Rotate", -7.3),
    ("ShearX", 0.23),
    ("ShearX", -0.37),
    ("ShearY", 0.29),
    ("ShearY", -0.13),
    ("TranslateX", 3.7),
    ("TranslateX", -2.6),
    ("TranslateY", 4.2),
    ("TranslateY", -1.9),
    ("TranslateY", 0.4),
]


@pytest.mark.parametrize("name,m", GEOMETRIC)
@pytest.mark.parametrize("shape", [(3, 9, 11), (2, 1, 16, 16), (3, 12, 7)])
def test_geometric_ops_equal_torchvision_grid_sample_path(ns, name, m, shape):
    img = torch.rand(shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    got = ns["apply_op"](img, name, m)
    want = _tv_op(img, name, m)
    assert got.shape == img.shape and got.dtype == img.dtype
    assert torch.equal(got, want)


# ----------------------------------------------------------------------------- color ops
def _gray(t):
    return (
        t if t.shape[-3] == 1 else (0.2989 * t[..., :1, :, :] + 0.587 * t[..., 1:2, :, :] + 0.114 * t[..., 2:3, :, :])
    )


def _tv_color(img, name, m):
    """torchvision.transforms.v2.functional._color kernels for float images (with conv2d for sharpness)."""
    f = 1.0 + m
    if name == "Brightness":
        return img.mul(f).clamp(0, 1)
    if name == "Contrast":
        return (img * f + (1 - f) * _gray(img).mean(dim=(-3, -2, -1), keepdim=True)).clamp(0, 1)
    if name == "Color":
        return img if img.shape[-3] == 1 else (img * f + (1 - f) * _gray(img)).clamp(0, 1)
    if name == "Sharpness":
        c, h, w = img.shape[-3:]
        k = torch.tensor([[1.0, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=img.dtype) / 13
        x = img.reshape(-1, c, h, w).clone()
        blur = F.conv2d(x, k.expand(c, 1, 3, 3), groups=c)
        view = x[..., 1:-1, 1:-1]
        view.add_(blur.sub_(view), alpha=(1.0 - f))
        return x.clamp_(0, 1).reshape(img.shape)
    if name == "Solarize":
        return torch.where(img >= m, 1.0 - img, img)
    if name == "Posterize":
        levels = 1 << int(m)
        return img.mul(levels).floor_().clamp_(0, levels - 1).mul_(1.0 / levels)
    if name == "AutoContrast":
        lo, hi = img.amin(dim=(-2, -1), keepdim=True), img.amax(dim=(-2, -1), keepdim=True)
        eq = hi == lo
        inv = hi - lo
        lo[eq], inv[eq] = 0.0, 1.0
        return img.sub(lo).div_(inv).clamp_(0, 1)
    raise KeyError(name)


COLOR = [
    ("Brightness", 0.6),
    ("Brightness", -0.3),
    ("Contrast", 0.7),
    ("Contrast", -0.9),
    ("Color", 0.5),
    ("Color", -0.8),
    ("Sharpness", 0.9),
    ("Sharpness", -0.7),
    ("Solarize", 0.4),
    ("Posterize", 3),
    ("Posterize", 8),
    ("AutoContrast", 0.0),
]


@pytest.mark.parametrize("name,m", COLOR)
@pytest.mark.parametrize("shape", [(3, 9, 11), (4, 1, 8, 8), (2, 3, 5, 6)])
def test_color_ops_equal_torchvision_float_kernels(ns, name, m, shape):
    img = torch.rand(shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    img[..., 0, 0] = 1.0
    got = ns["apply_op"](img, name, m)
    assert got.shape == img.shape and got.dtype == img.dtype
    assert _rel(got, _tv_color(img, name, m)) <= 1e-10


@pytest.mark.parametrize("seed", range(4))
def test_equalize_equals_pil_on_uint8_images(ns, seed):
    from PIL import Image, ImageOps

    rng = np.random.default_rng(seed)
    q = (
        rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
        if seed % 2
        else np.clip(rng.normal(90, 12, (40, 50, 3)), 0, 255).astype(np.uint8)
    )
    want = np.asarray(ImageOps.equalize(Image.fromarray(q)), dtype=np.float64) / 255
    img = torch.tensor(q, dtype=torch.float64).permute(2, 0, 1) / 255
    got = ns["apply_op"](img, "Equalize", 0.0).permute(1, 2, 0).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_color_jitter_factor_one_is_identity_and_apply_matches_ops(ns):
    img = torch.rand(3, 6, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    assert torch.equal(ns["apply_color_jitter"](img, [2, 1, 0], [1.0, 1.0, 1.0]), img)
    out = ns["apply_color_jitter"](img, [1, 0, 2], [1.3, 0.6, 1.7])
    want = _tv_color(_tv_color(_tv_color(img, "Contrast", -0.4), "Brightness", 0.3), "Color", 0.7)
    assert _rel(out, want) <= 1e-10


# ----------------------------------------------------------------------------- tables and boxes
def test_rand_augment_magnitudes_equal_torchvision_tables(ns):
    H, W = 24, 40

    def tables(nb):  # torchvision RandAugment._augmentation_space (float32 linspace), v2 solarize
        return {
            "ShearX": torch.linspace(0.0, 0.3, nb),
            "TranslateX": torch.linspace(0.0, 150.0 / 331.0 * W, nb),
            "TranslateY": torch.linspace(0.0, 150.0 / 331.0 * H, nb),
            "Rotate": torch.linspace(0.0, 30.0, nb),
            "Contrast": torch.linspace(0.0, 0.9, nb),
            "Posterize": (8 - (torch.arange(nb) / ((nb - 1) / 4)).round().int()).float(),
            "Solarize": torch.linspace(1.0, 0.0, nb),
        }

    g = torch.Generator().manual_seed(0)
    for M in (0, 5, 9, 17, 30):
        seen = set()
        for name, m in ns["rand_augment_ops"](400, M, g, image_size=(H, W)):
            t = tables(31).get(name)
            if t is not None:
                assert abs(m) == pytest.approx(float(t[M]), rel=1e-6, abs=1e-6), (name, M)
                seen.add(name)
        assert seen == set(tables(31))


def test_trivial_augment_posterize_bits_equal_torchvision(ns):
    g = torch.Generator().manual_seed(0)
    bits = {m for n, m in (ns["trivial_augment_op"](g) for _ in range(3000)) if n == "Posterize"}
    assert bits == {float(b) for b in (8 - (torch.arange(31) / (30 / 6)).round().int()).tolist()}


def test_cutmix_label_weight_equals_torchvision_lam_adjusted(ns):
    x = torch.rand(4, 2, 12, 20, dtype=torch.float64)
    y = torch.eye(4, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    for lam in (0.1, 0.5, 0.9):
        box = ns["sample_cutmix_box"](12, 20, lam, g)
        x1, y1, x2, y2 = box
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (20 * 12))  # torchvision v2 CutMix
        xm, ym = ns["cutmix"](x, y, box)
        assert ym[1, 1].item() == pytest.approx(lam_adjusted, rel=1e-12)
        assert torch.equal(xm[..., y1:y2, x1:x2], x.roll(1, 0)[..., y1:y2, x1:x2])


def test_crop_equals_torch_pad_then_slice(ns):
    img = torch.rand(3, 5, 7, dtype=torch.float64)
    out = ns["crop_with_padding"](img, 1, 4, (4, 6), 2)
    assert torch.equal(out, F.pad(img, (2, 2, 2, 2), value=0.0)[:, 1:5, 4:10])


def test_fgsm_equals_autograd_sign_step(ns):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 5)).double()
    x = torch.rand(6, 1, 4, 4, dtype=torch.float64)
    y = torch.randint(0, 5, (6,))
    xr = x.clone().requires_grad_(True)
    (gx,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(xr), y), xr)
    want = (x + 0.1 * gx.sign()).clamp(0, 1)
    assert torch.equal(ns["fgsm"](model, x, y, 0.1), want)
    assert all(p.grad is None for p in model.parameters())


# ----------------------------------------------------------------------------- no flaky distribution checks
STATISTICAL = {
    "flip_probability_is_p",
    "random_flip_returns_image_or_its_mirror",
    "crop_offsets_are_uniform_over_valid_positions",
    "factors_are_uniform_on_clipped_ranges",
    "order_is_a_uniform_permutation",
    "cutout_center_is_uniform_over_pixels",
    "erasing_size_follows_area_and_log_uniform_ratio",
    "erasing_position_is_uniform_given_size",
    "erasing_gives_up_after_ten_tries",
    "lambda_follows_beta_alpha_alpha",
    "box_is_clipped_around_uniform_center",
    "ops_are_uniform_over_the_14_ops",
    "magnitude_is_the_table_value_at_bin_m",
    "signed_ops_get_a_random_sign",
    "ops_are_drawn_with_replacement",
    "op_is_uniform_over_the_14_ops",
    "magnitude_bin_is_uniform_over_31_bins",
    "wide_table_values_and_signs",
}


def test_reference_passes_the_distribution_checks_for_many_seeds(ns):
    """Ten more seeds than test_assignments' five, in-process (the checks are the same functions)."""
    specs = [s for s in load_checks(course().checks_dir, AID) if s.id in STATISTICAL]
    assert {s.id for s in specs} == STATISTICAL
    sess = InProcessSession(ns, AID)
    call = lambda pr, **k: sess.call(AID, pr, k)
    failures = []
    for base in range(100, 110):
        for s in specs:
            kw = {"student": call, "reference": call, "seed": check_seed(base, AID, s.id)}
            try:
                s.fn(**{k: kw[k] for k in s.fixtures})
            except CheckFailed as exc:
                failures.append((base, s.id, str(exc)[:200]))
    assert not failures, failures
