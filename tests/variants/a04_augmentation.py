"""Buggy variants of 04_augmentation: the mistakes students really make, and the exact checks each fails.

Each bug is the reference answer cell with one realistic change (``_patched``), so the rest of
the cell is correct and the bug is isolated. The change is asserted to apply, so a bug cannot
silently turn into the reference when the solution is edited.
"""

from __future__ import annotations

from helpers import answer_source, stub  # noqa: F401  (stub documents what students start from)

from variants import Bug, mark

AID = "04_augmentation"


def _solution(exercise: str) -> str:
    src = answer_source(AID, exercise)
    return "\n".join(
        line for line in src.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def _patched(exercise: str, *changes: tuple[str, str]) -> str:
    src = _solution(exercise)
    for old, new in changes:
        assert src.count(old) == 1, f"{exercise}: {old!r} occurs {src.count(old)} times"
        src = src.replace(old, new)
    return src


def bug(name, exercise, changes, fails, why):
    return Bug(name, exercise, _patched(exercise, *changes), frozenset(fails), why)


BUGS = [
    # ---------------------------------------------------------------- random_horizontal_flip
    bug(
        "vertical_flip",
        "random_horizontal_flip",
        [("return img.flip(-1)", "return img.flip(-2)")],
        {"hflip_reverses_width_axis", "random_flip_returns_image_or_its_mirror"},
        "flips the height axis (dim -2) instead of the width axis",
    ),
    bug(
        "flip_probability_inverted",
        "random_horizontal_flip",
        [("torch.rand(1, generator=rng).item() < p", "torch.rand(1, generator=rng).item() > p")],
        {"flip_probability_is_p", "random_flip_returns_image_or_its_mirror"},
        "flips with probability 1 - p (keep vs flip probability)",
    ),
    # ---------------------------------------------------------------- random_crop
    bug(
        "crop_offset_off_by_one",
        "random_crop",
        [
            ("torch.randint(0, Hp - th + 1, (1,), generator=rng)", "torch.randint(0, Hp - th, (1,), generator=rng)"),
            ("torch.randint(0, Wp - tw + 1, (1,), generator=rng)", "torch.randint(0, Wp - tw, (1,), generator=rng)"),
        ],
        {"crop_offsets_are_uniform_over_valid_positions"},
        "forgets that torch.randint excludes high: the last row/column of positions never occurs",
    ),
    bug(
        "crop_forgets_padding",
        "random_crop",
        [("padded = F.pad(img, (padding, padding, padding, padding)) if padding > 0 else img", "padded = img")],
        {"crop_takes_window_of_zero_padded_image", "random_crop_is_a_window_of_the_padded_image"},
        "crops the unpadded image with offsets meant for the padded one",
    ),
    # ---------------------------------------------------------------- color_jitter
    bug(
        "contrast_per_channel_mean",
        "color_jitter",
        [("m = gray(out).mean(dim=(-3, -2, -1), keepdim=True)", "m = out.mean(dim=(-2, -1), keepdim=True)")],
        {"contrast_blends_with_mean_of_grayscale", "ops_are_applied_in_the_sampled_order"},
        "blends each channel with its own mean instead of the grayscale mean",
    ),
    bug(
        "jitter_fixed_order",
        "color_jitter",
        [
            ("order = [int(k) for k in torch.randperm(3, generator=rng)]", "order = [0, 1, 2]"),
            ("for k in order:", "for k in (0, 1, 2):"),
        ],
        {"ops_are_applied_in_the_sampled_order", "order_is_a_uniform_permutation"},
        "always applies brightness, contrast, saturation in the same order",
    ),
    bug(
        "jitter_range_not_clipped_at_zero",
        "color_jitter",
        [("lo, hi = max(0.0, 1.0 - v), 1.0 + v", "lo, hi = 1.0 - v, 1.0 + v")],
        {"factors_are_uniform_on_clipped_ranges"},
        "samples from [1 - v, 1 + v]: negative factors when v > 1",
    ),
    bug(
        "brightness_not_clamped",
        "color_jitter",
        [("out = (out * f).clamp(0, 1)", "out = out * f")],
        {"brightness_multiplies_and_clamps", "ops_are_applied_in_the_sampled_order"},
        "forgets to clamp to the valid range after brightening",
    ),
    bug(
        "saturation_blends_with_mean",
        "color_jitter",
        [
            (
                "out = (f * out + (1 - f) * gray(out)).clamp(0, 1)",
                "out = (f * out + (1 - f) * gray(out).mean(dim=(-3, -2, -1), keepdim=True)).clamp(0, 1)",
            )
        ],
        {"saturation_blends_with_grayscale", "ops_are_applied_in_the_sampled_order"},
        "confuses saturation (per-pixel gray) with contrast (mean gray)",
    ),
    # ---------------------------------------------------------------- cutout
    bug(
        "cutout_negative_slice_wraps",
        "cutout",
        [
            (
                "out[..., max(0, top):min(H, top + size), max(0, left):min(W, left + size)] = 0",
                "out[..., top:top + size, left:left + size] = 0",
            )
        ],
        {"cutout_zeroes_clipped_square_in_all_channels"},
        "a negative slice start counts from the end in Python, so squares at the top/left border vanish",
    ),
    bug(
        "cutout_in_place",
        "cutout",
        [("out = img.clone()", "out = img")],
        {"cutout_zeroes_clipped_square_in_all_channels", "cutout_does_not_modify_input"},
        "zeroes the caller's image in place",
    ),
    bug(
        "cutout_center_uses_height_for_x",
        "cutout",
        [("cx = int(torch.randint(0, W, (1,), generator=rng))", "cx = int(torch.randint(0, H, (1,), generator=rng))")],
        {"cutout_center_is_uniform_over_pixels"},
        "draws the column with the image height",
    ),
    # ---------------------------------------------------------------- random_erasing
    bug(
        "erasing_uniform_ratio",
        "random_erasing",
        [
            (
                "r = math.exp(float(u[1].uniform_(lo, hi, generator=rng)))",
                "r = float(u[1].uniform_(ratio[0], ratio[1], generator=rng))",
            )
        ],
        {"erasing_size_follows_area_and_log_uniform_ratio"},
        "draws the aspect ratio uniformly instead of log-uniformly (tall and wide are not symmetric)",
    ),
    bug(
        "erasing_single_try",
        "random_erasing",
        [("for _ in range(10):", "for _ in range(1):")],
        {"erasing_gives_up_after_ten_tries"},
        "gives up after the first try instead of ten",
    ),
    bug(
        "erasing_position_off_by_one",
        "random_erasing",
        [
            (
                "i = int(torch.randint(0, H - h + 1, (1,), generator=rng))",
                "i = int(torch.randint(0, H - h, (1,), generator=rng))",
            ),
            (
                "j = int(torch.randint(0, W - w + 1, (1,), generator=rng))",
                "j = int(torch.randint(0, W - w, (1,), generator=rng))",
            ),
        ],
        {"erasing_position_is_uniform_given_size"},
        "never places the rectangle flush with the bottom/right border",
    ),
    bug(
        "erasing_h_w_swapped",
        "random_erasing",
        [
            ("h = round(math.sqrt(erase_area * r))", "h = round(math.sqrt(erase_area / r))"),
            ("w = round(math.sqrt(erase_area / r))", "w = round(math.sqrt(erase_area * r))"),
        ],
        {"erasing_size_follows_area_and_log_uniform_ratio"},
        "uses w/h instead of h/w as the aspect ratio",
    ),
    bug(
        "erase_in_place",
        "random_erasing",
        [("out = img.clone()", "out = img")],
        {"erase_fills_region_with_value", "erase_does_not_modify_input"},
        "erases the caller's image in place",
    ),
    # ---------------------------------------------------------------- mixup
    bug(
        "mixup_partner_flipped",
        "mixup",
        [
            ("x_mix = lam * x + (1 - lam) * torch.roll(x, 1, 0)", "x_mix = lam * x + (1 - lam) * x.flip(0)"),
            (
                "y_mix = lam * y_onehot + (1 - lam) * torch.roll(y_onehot, 1, 0)",
                "y_mix = lam * y_onehot + (1 - lam) * y_onehot.flip(0)",
            ),
        ],
        {"mixup_blends_with_batch_rolled_by_one", "labels_use_the_same_lambda"},
        "pairs the batch with its reverse instead of the batch rolled by one",
    ),
    bug(
        "mixup_label_lambda_swapped",
        "mixup",
        [
            (
                "y_mix = lam * y_onehot + (1 - lam) * torch.roll(y_onehot, 1, 0)",
                "y_mix = (1 - lam) * y_onehot + lam * torch.roll(y_onehot, 1, 0)",
            )
        ],
        {"labels_use_the_same_lambda"},
        "weights the labels with 1 - lambda (inputs and labels disagree)",
    ),
    bug(
        "mixup_lambda_uniform",
        "mixup",
        [
            (
                (
                    "d = torch._sample_dirichlet(torch.tensor([alpha, alpha], "
                    "dtype=torch.float64), generator=rng)\n    return float(d[0])"
                ),
                "return float(torch.rand(1, dtype=torch.float64, generator=rng))",
            )
        ],
        {"lambda_follows_beta_alpha_alpha"},
        "draws lambda uniformly, ignoring alpha",
    ),
    # ---------------------------------------------------------------- cutmix
    bug(
        "cutmix_weight_is_box_area",
        "cutmix",
        [("lam_kept = 1.0 - (x2 - x1) * (y2 - y1) / (H * W)", "lam_kept = (x2 - x1) * (y2 - y1) / (H * W)")],
        {"label_weight_is_kept_area"},
        "gives the original image the pasted area's weight (swapped)",
    ),
    bug(
        "cutmix_in_place",
        "cutmix",
        [("x_mix = x.clone()", "x_mix = x")],
        {"cutmix_pastes_partner_box", "cutmix_does_not_modify_inputs"},
        "pastes into the caller's batch",
    ),
    bug(
        "cutmix_box_kept_inside",
        "cutmix",
        [
            (
                "cx = int(torch.randint(0, W, (1,), generator=rng))\n  "
                "  cy = int(torch.randint(0, H, (1,), generator=rng))\n"
                "    r = 0.5 * math.sqrt(1.0 - lam)\n    rw, rh = int(r * W), int(r * H)",
                "r = 0.5 * math.sqrt(1.0 - lam)\n    rw, rh = int(r * W), int(r * H)\n"
                "    cx = int(torch.randint(rw, W - rw, (1,), generator=rng))\n "
                "   cy = int(torch.randint(rh, H - rh, (1,), generator=rng))",
            )
        ],
        {"box_is_clipped_around_uniform_center"},
        "keeps the box inside the image, so the centre is not uniform over the image",
    ),
    # ---------------------------------------------------------------- apply_op
    bug(
        "op_contrast_per_channel_mean",
        "apply_op",
        [
            (
                "return blend(img, gray(img).mean(dim=(-3, -2, -1), keepdim=True), 1 + m)",
                "return blend(img, img.mean(dim=(-2, -1), keepdim=True), 1 + m)",
            )
        ],
        {"brightness_and_contrast_blend_with_black_and_mean_gray", "ops_treat_leading_dims_as_a_batch"},
        "contrast with per-channel means instead of the grayscale mean",
    ),
    bug(
        "op_contrast_mean_over_batch",
        "apply_op",
        [
            (
                "return blend(img, gray(img).mean(dim=(-3, -2, -1), keepdim=True), 1 + m)",
                "return blend(img, gray(img).mean(), 1 + m)",
            )
        ],
        {"ops_treat_leading_dims_as_a_batch"},
        "one mean over the whole batch instead of per image",
    ),
    bug(
        "op_rotate_clockwise",
        "apply_op",
        [("t = math.radians(m)", "t = -math.radians(m)")],
        {"rotate_is_counterclockwise_about_the_centre", "ops_treat_leading_dims_as_a_batch"},
        "rotates clockwise (the y axis points down in images)",
    ),
    bug(
        "op_shear_about_centre",
        "apply_op",
        [
            ("return sample(jj + m * (ii + 0.5), ii)", "return sample(jj + m * (ii + 0.5 - H / 2), ii)"),
            ("return sample(jj, ii + m * (jj + 0.5))", "return sample(jj, ii + m * (jj + 0.5 - W / 2))"),
        ],
        {"shear_is_about_the_top_left_corner"},
        "shears about the image centre (torchvision uses center=[0, 0])",
    ),
    bug(
        "op_translate_rounds",
        "apply_op",
        [
            ("return sample(jj - int(m), ii)", "return sample(jj - round(m), ii)"),
            ("return sample(jj, ii - int(m))", "return sample(jj, ii - round(m))"),
        ],
        {"translate_moves_by_truncated_whole_pixels"},
        "rounds the shift instead of truncating it like int()",
    ),
    bug(
        "op_solarize_strict",
        "apply_op",
        [("return torch.where(img >= m, 1 - img, img)", "return torch.where(img > m, 1 - img, img)")],
        {"solarize_inverts_pixels_at_or_above_threshold"},
        "leaves pixels equal to the threshold un-inverted",
    ),
    bug(
        "op_posterize_no_clamp",
        "apply_op",
        [
            (
                "return torch.floor(img * levels).clamp(0, levels - 1) / levels",
                "return torch.floor(img * levels) / levels",
            )
        ],
        {"posterize_keeps_the_top_bits"},
        "a pixel equal to 1.0 becomes level L instead of L - 1",
    ),
    bug(
        "op_autocontrast_global",
        "apply_op",
        [
            ("lo = img.amin(dim=(-2, -1), keepdim=True)", "lo = img.amin(dim=(-3, -2, -1), keepdim=True)"),
            ("hi = img.amax(dim=(-2, -1), keepdim=True)", "hi = img.amax(dim=(-3, -2, -1), keepdim=True)"),
        ],
        {"autocontrast_stretches_each_channel", "ops_treat_leading_dims_as_a_batch"},
        "one min/max over all channels instead of per channel",
    ),
    bug(
        "op_equalize_plain_cdf",
        "apply_op",
        [
            (
                (
                    "lut = (cum[:, :-1] + step // 2) // step.clamp(min=1)\n        "
                    "lut = torch.cat([torch.zeros_like(step), lut.clamp(0, 255)], 1)"
                ),
                "lut = cum * 255 // (H * W)",
            )
        ],
        {
            "equalize_uses_the_pil_step_lut",
            "equalize_follows_the_pil_histogram_lut",
            "ops_treat_leading_dims_as_a_batch",
        },
        "textbook CDF lookup table instead of PIL's step-based one",
    ),
    bug(
        "op_sharpness_blurs_border",
        "apply_op",
        [
            (
                "if H <= 2 or W <= 2:\n            return img.clone()",
                "k = torch.ones(3, 3, dtype=img.dtype)\n        k[1, 1] = 5\n"
                "        x4 = img.reshape(-1, C, H, W)\n"
                "        blur = F.conv2d(x4, (k / 13).expand(C, 1, 3, 3), padding=1, groups=C).reshape(img.shape)\n"
                "        return blend(img, blur, 1 + m)",
            )
        ],
        {"color_and_sharpness_blend_with_grayscale_and_blur", "ops_treat_leading_dims_as_a_batch"},
        "blurs the border too (zero padding) instead of keeping border pixels",
    ),
    # ---------------------------------------------------------------- rand_augment_ops
    bug(
        "ra_without_identity",
        "rand_augment_ops",
        [('"Identity": (None, False), "ShearX"', '"ShearX"')],
        {"ops_are_uniform_over_the_14_ops"},
        "leaves Identity out of the op table (13 ops)",
    ),
    bug(
        "ra_magnitude_over_num_bins",
        "rand_augment_ops",
        [("m = top * magnitude / last", "m = top * magnitude / num_magnitude_bins")],
        {"magnitude_is_the_table_value_at_bin_m"},
        "bin M of linspace(0, max, 31) is max * M / 30, not max * M / 31",
    ),
    bug(
        "ra_signs_every_op",
        "rand_augment_ops",
        [
            (
                "if signed and int(torch.randint(2, (1,), generator=rng)) == 1:",
                "if int(torch.randint(2, (1,), generator=rng)) == 1:",
            )
        ],
        {"signed_ops_get_a_random_sign"},
        "negates unsigned magnitudes too (posterize bits, solarize threshold)",
    ),
    bug(
        "ra_without_replacement",
        "rand_augment_ops",
        [
            (
                (
                    "    ops = []\n    for _ in range(num_ops):\n        name = "
                    "names[int(torch.randint(len(names), (1,), generator=rng))]"
                ),
                "    ops = []\n    chosen = torch.randperm(len(names), generator=rng)[:num_ops]\n    for c in chosen:\n"
                "        name = names[int(c)]",
            )
        ],
        {"ops_are_drawn_with_replacement"},
        "draws distinct ops (randperm) although RandAugment draws each op independently",
    ),
    # ---------------------------------------------------------------- trivial_augment_op
    bug(
        "ta_without_identity",
        "trivial_augment_op",
        [('"Identity": (None, False), "ShearX"', '"ShearX"')],
        {"op_is_uniform_over_the_14_ops"},
        "leaves Identity out (13 ops)",
    ),
    bug(
        "ta_fixed_strongest_bin",
        "trivial_augment_op",
        [("k = int(torch.randint(num_magnitude_bins, (1,), generator=rng))", "k = last")],
        {"magnitude_bin_is_uniform_over_31_bins"},
        "always uses the strongest magnitude instead of a uniform bin",
    ),
    bug(
        "ta_bin_off_by_one",
        "trivial_augment_op",
        [
            (
                "k = int(torch.randint(num_magnitude_bins, (1,), generator=rng))",
                "k = int(torch.randint(num_magnitude_bins - 1, (1,), generator=rng))",
            )
        ],
        {"magnitude_bin_is_uniform_over_31_bins"},
        "the strongest bin never occurs (torch.randint excludes high)",
    ),
    bug(
        "ta_never_negative",
        "trivial_augment_op",
        [("if signed and int(torch.randint(2, (1,), generator=rng)) == 1:", "if False:")],
        {"wide_table_values_and_signs"},
        "forgets the random sign of signed ops",
    ),
    # ---------------------------------------------------------------- label_smoothing
    bug(
        "smoothing_eps_over_k_minus_1",
        "label_smoothing",
        [
            (
                "return (1 - eps) * onehot + eps / num_classes",
                "return (1 - eps) * onehot + eps / (num_classes - 1) * (1 - onehot)",
            )
        ],
        {"smoothed_targets_spread_eps_over_all_classes"},
        "the textbook convention (others eps / (K - 1)) instead of PyTorch's eps / K over all classes",
    ),
    bug(
        "soft_ce_log_of_softmax",
        "label_smoothing",
        [("torch.log_softmax(logits, dim=1)", "torch.log(torch.softmax(logits, dim=1))")],
        {"soft_cross_entropy_is_stable_for_large_logits"},
        "log(softmax) underflows to log(0) = -inf for large logits",
    ),
    bug(
        "soft_ce_sum_over_batch",
        "label_smoothing",
        [(".sum(dim=1).mean()", ".sum()")],
        {
            "soft_cross_entropy_matches_the_formula",
            "soft_cross_entropy_is_stable_for_large_logits",
            "gradient_is_softmax_minus_targets_over_batch",
        },
        "sums over the batch instead of averaging",
    ),
    bug(
        "soft_ce_through_numpy",
        "label_smoothing",
        [
            (
                "return -(targets * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()",
                "z = logits.detach().numpy()\n    lse = np.log(np.exp(z - z.max(1, "
                "keepdims=True)).sum(1, keepdims=True)) + z.max(1, keepdims=True)\n"
                "    return torch.tensor(-(targets.detach().numpy() * (z - lse)).sum(1).mean())",
            )
        ],
        {"gradient_is_softmax_minus_targets_over_batch"},
        "computes the loss in numpy: correct value, but no gradient flows to the logits",
    ),
    # ---------------------------------------------------------------- fgsm
    bug(
        "fgsm_descends",
        "fgsm",
        [("return (x.detach() + eps * g.sign()).clamp(0, 1)", "return (x.detach() - eps * g.sign()).clamp(0, 1)")],
        {"step_is_eps_times_gradient_sign", "result_is_clamped_to_unit_interval"},
        "steps against the gradient (that lowers the loss: not an attack)",
    ),
    bug(
        "fgsm_no_clamp",
        "fgsm",
        [("return (x.detach() + eps * g.sign()).clamp(0, 1)", "return x.detach() + eps * g.sign()")],
        {"result_is_clamped_to_unit_interval"},
        "leaves the valid image range [0, 1]",
    ),
    bug(
        "fgsm_backward_into_parameters",
        "fgsm",
        [("(g,) = torch.autograd.grad(loss, x_)", "loss.backward()\n        g = x_.grad")],
        {"leaves_input_and_parameter_gradients_untouched"},
        "loss.backward() also accumulates gradients in the model's parameters",
    ),
    # ---------------------------------------------------------------- worst_of_k
    bug(
        "worst_per_batch",
        "worst_of_k",
        [("idx = losses.argmax(0)", "idx = losses.mean(1).argmax().repeat(x.shape[0])")],
        {"chosen_index_maximizes_per_sample_loss", "returned_batch_is_the_chosen_augmentation"},
        "one augmentation for the whole batch by mean loss instead of per sample",
    ),
    bug(
        "worst_returns_first_candidate",
        "worst_of_k",
        [("return cands[idx, torch.arange(x.shape[0])], idx", "return cands[idx[0]], idx")],
        {"returned_batch_is_the_chosen_augmentation"},
        "indexes the candidates with the first sample's choice only",
    ),
]


# kind: "convention" (autograder check must already fail it) or "edge"; hint: what the first message must say
C, E = "convention", "edge"
BUGS = mark(
    BUGS,
    {
        "vertical_flip": (C, "마지막 축"),
        "flip_probability_inverted": (C, "뒤집을 확률"),
        "crop_offset_off_by_one": (C, "high를 포함하지"),
        "crop_forgets_padding": (C, "padding"),
        "contrast_per_channel_mean": (C, "grayscale 평균"),
        "jitter_fixed_order": (C, "순서"),
        "jitter_range_not_clipped_at_zero": (E, "max(0, 1 - "),
        "brightness_not_clamped": (C, "clamp"),
        "saturation_blends_with_mean": (C, "grayscale"),
        "cutout_negative_slice_wraps": (E, "끝에서부터 셉니다"),
        "cutout_in_place": (E, "제자리에서 바꿔"),
        "cutout_center_uses_height_for_x": (C, "W"),
        "erasing_uniform_ratio": (C, "log-uniform"),
        "erasing_single_try": (E, "10번"),
        "erasing_position_off_by_one": (C, "0..H-h"),
        "erasing_h_w_swapped": (C, "h와 w"),
        "erase_in_place": (E, "제자리에서 칠하면"),
        "mixup_partner_flipped": (C, "짝"),
        "mixup_label_lambda_swapped": (C, "lambda"),
        "mixup_lambda_uniform": (C, "Beta(0.4, 0.4)"),
        "cutmix_weight_is_box_area": (C, "상자 넓이"),
        "cutmix_in_place": (E, "제자리"),
        "cutmix_box_kept_inside": (C, "중심은 이미지 어디든"),
        "op_contrast_per_channel_mean": (C, "grayscale 평균"),
        "op_contrast_mean_over_batch": (E, "이미지마다"),
        "op_rotate_clockwise": (C, "반시계"),
        "op_shear_about_centre": (C, "center=[0, 0]"),
        "op_translate_rounds": (C, "int("),
        "op_solarize_strict": (C, ">="),
        "op_posterize_no_clamp": (E, "L - 1"),
        "op_autocontrast_global": (C, "채널마다"),
        "op_equalize_plain_cdf": (C, "PIL"),
        "op_sharpness_blurs_border": (C, "가장자리"),
        "ra_without_identity": (C, "Identity"),
        "ra_magnitude_over_num_bins": (C, "num_magnitude_bins"),
        "ra_signs_every_op": (C, "부호를 바꾸지 않습니다"),
        "ra_without_replacement": (C, "독립"),
        "ta_without_identity": (C, "Identity"),
        "ta_fixed_strongest_bin": (C, "칸마다 같은 확률"),
        "ta_bin_off_by_one": (C, "high를 포함하지 않습니다"),
        "ta_never_negative": (C, "부호"),
        "smoothing_eps_over_k_minus_1": (C, "eps / K"),
        "soft_ce_log_of_softmax": (E, "log_softmax"),
        "soft_ce_sum_over_batch": (C, "평균"),
        "soft_ce_through_numpy": (C, "gradient"),
        "fgsm_descends": (C, "sign"),
        "fgsm_no_clamp": (E, "clamp"),
        "fgsm_backward_into_parameters": (E, "파라미터에 기울기가 남았습니다"),
        "worst_per_batch": (C, "샘플마다"),
        "worst_returns_first_candidate": (C, "고른"),
    },
)

SAMPLE = [
    "mixup_partner_flipped",
    "cutmix_weight_is_box_area",
    "smoothing_eps_over_k_minus_1",
    "erasing_uniform_ratio",
    "op_rotate_clockwise",
]
