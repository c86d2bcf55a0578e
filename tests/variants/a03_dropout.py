"""Buggy variants of assignment 03 (dropout and its relatives): the mistakes students really make."""

from variants import Bug, mark

BUGS = [
    # ------------------------------------------------------------------ sample_dropout_mask
    Bug(
        "mask_keep_probability_confusion",
        "sample_dropout_mask",
        """
def sample_dropout_mask(shape, p, rng):
    return (rng.random(shape) < p).astype(np.float64)
""",
        fails={"drop_fraction_is_p"},
        why="uses p as the keep probability (lecture note 004's convention)",
    ),
    Bug(
        "mask_bool_dtype",
        "sample_dropout_mask",
        """
def sample_dropout_mask(shape, p, rng):
    return rng.random(shape) >= p
""",
        fails={"mask_is_float64_zero_one_with_given_shape"},
        why="returns the boolean comparison, not a float64 0/1 mask",
    ),
    Bug(
        "mask_shared_across_batch",
        "sample_dropout_mask",
        """
def sample_dropout_mask(shape, p, rng):
    row = (rng.random(shape[1:]) >= p).astype(np.float64)
    return np.broadcast_to(row, shape).copy()
""",
        fails={"drop_fraction_is_p", "mask_elements_are_independent"},
        why="draws one mask for a single example and broadcasts it over the batch",
    ),
    Bug(
        "mask_global_numpy_rng",
        "sample_dropout_mask",
        """
def sample_dropout_mask(shape, p, rng):
    return (np.random.random(shape) >= p).astype(np.float64)
""",
        fails={"mask_comes_from_the_given_rng"},
        why="ignores rng and uses numpy's global generator",
    ),
    # ------------------------------------------------------------------ dropout_forward
    Bug(
        "forward_keep_probability_confusion",
        "dropout_forward",
        """
def dropout_forward(x, p, mode, rng):
    if mode == "train":
        mask = (rng.random(x.shape) < p).astype(np.float64)
        return x * mask / p, (mask, p, mode)
    return x.copy(), (None, p, mode)
""",
        fails={
            "kept_values_are_scaled_by_inverse_keep_probability",
            "forward_drop_fraction_is_p",
            "cache_holds_the_mask_used",
        },
        why="keeps with probability p and divides by p (seed 004's keep-probability p)",
    ),
    Bug(
        "forward_vanilla_dropout",
        "dropout_forward",
        """
def dropout_forward(x, p, mode, rng):
    if mode == "train":
        mask = (rng.random(x.shape) >= p).astype(np.float64)
        return x * mask, (mask, p, mode)
    return x * (1 - p), (None, p, mode)
""",
        fails={
            "kept_values_are_scaled_by_inverse_keep_probability",
            "test_mode_is_identity",
            "cache_holds_the_mask_used",
        },
        why="vanilla dropout: no 1/(1-p) in training, scales by (1-p) at test time",
    ),
    Bug(
        "forward_drops_in_test_mode",
        "dropout_forward",
        """
def dropout_forward(x, p, mode, rng):
    mask = (rng.random(x.shape) >= p).astype(np.float64)
    return x * mask / (1 - p), (mask, p, mode)
""",
        fails={"test_mode_is_identity"},
        why="forgets the mode: drops at test time too",
    ),
    Bug(
        "forward_in_place",
        "dropout_forward",
        """
def dropout_forward(x, p, mode, rng):
    mask = None
    if mode == "train":
        mask = (rng.random(x.shape) >= p).astype(np.float64)
        x *= mask / (1 - p)
    return x, (mask, p, mode)
""",
        fails={"forward_does_not_modify_input"},
        why="multiplies the input in place",
    ),
    # ------------------------------------------------------------------ dropout_backward
    Bug(
        "backward_forgets_scaling",
        "dropout_backward",
        """
def dropout_backward(dout, cache):
    mask, p, mode = cache
    if mode == "train":
        return dout * mask
    return dout
""",
        fails={"backward_scales_upstream_gradient_by_the_mask", "backward_uses_the_forward_mask"},
        why="the gradient of x * mask / (1-p) misses the 1/(1-p)",
    ),
    Bug(
        "backward_ignores_mode",
        "dropout_backward",
        """
def dropout_backward(dout, cache):
    mask, p, mode = cache
    return dout * mask / (1 - p)
""",
        fails={"backward_in_test_mode_is_identity"},
        why="uses the (absent) mask in test mode",
    ),
    # ------------------------------------------------------------------ weight scaling rule
    Bug(
        "weight_scaling_by_drop_probability",
        "weight_scaling_rule",
        """
def mask_average_linear(x, W, b, p, inverted=False):
    D = x.shape[1]
    masks = ((np.arange(2 ** D)[:, None] >> np.arange(D)) & 1).astype(np.float64)
    probs = np.prod(np.where(masks == 1.0, 1.0 - p, p), axis=1)
    outs = np.einsum("nd,kd,dm->knm", x, masks, W)
    if inverted:
        outs = outs / (1.0 - p)
    return np.tensordot(probs, outs, axes=1) + b


def weight_scaling_predict(x, W, b, p):
    return x @ (p * W) + b
""",
        fails={"weight_scaling_multiplies_weights_by_keep_probability"},
        why="copies note 004's W * p where p is the keep probability",
    ),
    Bug(
        "mask_average_uniform",
        "weight_scaling_rule",
        """
def mask_average_linear(x, W, b, p, inverted=False):
    D = x.shape[1]
    masks = ((np.arange(2 ** D)[:, None] >> np.arange(D)) & 1).astype(np.float64)
    outs = np.einsum("nd,kd,dm->knm", x, masks, W)
    if inverted:
        outs = outs / (1.0 - p)
    return outs.mean(axis=0) + b


def weight_scaling_predict(x, W, b, p):
    return x @ ((1.0 - p) * W) + b
""",
        fails={"mask_average_weights_each_mask_by_its_probability", "inverted_mask_average_equals_plain_layer"},
        why="averages the masks uniformly (true only for p = 0.5)",
    ),
    Bug(
        "mask_average_inverted_unscaled",
        "weight_scaling_rule",
        """
def mask_average_linear(x, W, b, p, inverted=False):
    D = x.shape[1]
    masks = ((np.arange(2 ** D)[:, None] >> np.arange(D)) & 1).astype(np.float64)
    probs = np.prod(np.where(masks == 1.0, 1.0 - p, p), axis=1)
    outs = np.einsum("nd,kd,dm->knm", x, masks, W)
    return np.tensordot(probs, outs, axes=1) + b


def weight_scaling_predict(x, W, b, p):
    return x @ ((1.0 - p) * W) + b
""",
        fails={"inverted_mask_average_equals_plain_layer"},
        why="ignores the inverted flag",
    ),
    # ------------------------------------------------------------------ DropConnect
    Bug(
        "dropconnect_mask_keep_probability",
        "sample_dropconnect_mask",
        """
def sample_dropconnect_mask(weight_shape, p, rng):
    return (rng.random(weight_shape) < p).astype(np.float64)
""",
        fails={"dropconnect_drop_fraction_is_p"},
        why="keep/drop probability confusion",
    ),
    Bug(
        "dropconnect_drops_output_units",
        "sample_dropconnect_mask",
        """
def sample_dropconnect_mask(weight_shape, p, rng):
    units = (rng.random((1, weight_shape[1])) >= p).astype(np.float64)
    return np.broadcast_to(units, weight_shape).copy()
""",
        fails={"dropconnect_mask_elements_are_independent"},
        why="drops whole output units (that is dropout on the outputs, not DropConnect)",
    ),
    Bug(
        "dropconnect_mask_with_batch_axis",
        "sample_dropconnect_mask",
        """
def sample_dropconnect_mask(weight_shape, p, rng):
    return (rng.random((1,) + tuple(weight_shape)) >= p).astype(np.float64)
""",
        fails={
            "dropconnect_mask_has_weight_shape",
            "dropconnect_drop_fraction_is_p",
            "dropconnect_mask_elements_are_independent",
        },
        why="adds a batch axis to the weight mask",
    ),
    Bug(
        "dropconnect_no_rescale",
        "dropconnect_linear",
        """
def dropconnect_linear(x, W, b, mask, p):
    return x @ (W * mask) + b
""",
        fails={"masked_weights_are_rescaled_by_inverse_keep_probability"},
        why="forgets the 1/(1-p) scale",
    ),
    Bug(
        "dropconnect_rescales_bias",
        "dropconnect_linear",
        """
def dropconnect_linear(x, W, b, mask, p):
    return (x @ (W * mask) + b) / (1 - p)
""",
        fails={"masked_weights_are_rescaled_by_inverse_keep_probability", "bias_is_neither_masked_nor_rescaled"},
        why="scales the bias too",
    ),
    # ------------------------------------------------------------------ spatial dropout
    Bug(
        "spatial_elementwise",
        "spatial_dropout",
        """
def spatial_dropout(x, p, rng):
    return x * (rng.random(x.shape) >= p) / (1 - p)
""",
        fails={"whole_channel_maps_are_dropped_or_scaled", "channel_drop_fraction_is_p"},
        why="plain elementwise dropout, not whole channel maps",
    ),
    Bug(
        "spatial_shared_across_batch",
        "spatial_dropout",
        """
def spatial_dropout(x, p, rng):
    keep = (rng.random((1, x.shape[1], 1, 1)) >= p).astype(np.float64)
    return x * keep / (1 - p)
""",
        fails={"channel_drop_fraction_is_p", "channels_are_dropped_independently"},
        why="one channel mask for the whole batch",
    ),
    Bug(
        "spatial_drops_pixels_across_channels",
        "spatial_dropout",
        """
def spatial_dropout(x, p, rng):
    N, C, H, W = x.shape
    keep = (rng.random((N, 1, H, W)) >= p).astype(np.float64)
    return x * keep / (1 - p)
""",
        fails={
            "whole_channel_maps_are_dropped_or_scaled",
            "channel_drop_fraction_is_p",
            "channels_are_dropped_independently",
        },
        why="wrong axis: drops pixel positions in every channel instead of channels",
    ),
    Bug(
        "spatial_in_place",
        "spatial_dropout",
        """
def spatial_dropout(x, p, rng):
    keep = (rng.random(x.shape[:2] + (1, 1)) >= p).astype(np.float64)
    x *= keep / (1 - p)
    return x
""",
        fails={"spatial_dropout_does_not_modify_input"},
        why="in-place multiplication of the input",
    ),
    # ------------------------------------------------------------------ DropBlock
    Bug(
        "dropblock_gamma_without_correction",
        "sample_dropblock_mask",
        """
def sample_dropblock_mask(shape, block_size, p, rng):
    from numpy.lib.stride_tricks import sliding_window_view
    N, C, H, W = shape
    bs = block_size
    gamma = p / bs ** 2
    seeds = rng.random((N, C, H - bs + 1, W - bs + 1)) < gamma
    padded = np.pad(seeds, ((0, 0), (0, 0), (bs - 1, bs - 1), (bs - 1, bs - 1)))
    dropped = sliding_window_view(padded, (bs, bs), axis=(2, 3)).any(axis=(-2, -1))
    return (~dropped).astype(np.float64)
""",
        fails={"interior_pixel_drop_rate_matches_gamma"},
        why="gamma = p / bs^2, forgetting the H W / ((H-bs+1)(W-bs+1)) factor",
    ),
    Bug(
        "dropblock_blocks_cut_at_border",
        "sample_dropblock_mask",
        """
def sample_dropblock_mask(shape, block_size, p, rng):
    from numpy.lib.stride_tricks import sliding_window_view
    N, C, H, W = shape
    bs = block_size
    gamma = p * H * W / (bs ** 2 * (H - bs + 1) * (W - bs + 1))
    seeds = rng.random((N, C, H, W)) < gamma            # seeds everywhere, blocks centred on them
    r = bs // 2
    padded = np.pad(seeds, ((0, 0), (0, 0), (r, r), (r, r)))
    dropped = sliding_window_view(padded, (bs, bs), axis=(2, 3)).any(axis=(-2, -1))
    return (~dropped).astype(np.float64)
""",
        fails={"dropped_pixels_are_whole_blocks_inside_the_image"},
        why="samples seeds over the whole image, so blocks are cut by the border",
    ),
    Bug(
        "dropblock_returns_drop_mask",
        "sample_dropblock_mask",
        """
def sample_dropblock_mask(shape, block_size, p, rng):
    from numpy.lib.stride_tricks import sliding_window_view
    N, C, H, W = shape
    bs = block_size
    gamma = p * H * W / (bs ** 2 * (H - bs + 1) * (W - bs + 1))
    seeds = rng.random((N, C, H - bs + 1, W - bs + 1)) < gamma
    padded = np.pad(seeds, ((0, 0), (0, 0), (bs - 1, bs - 1), (bs - 1, bs - 1)))
    dropped = sliding_window_view(padded, (bs, bs), axis=(2, 3)).any(axis=(-2, -1))
    return dropped.astype(np.float64)
""",
        fails={"dropped_pixels_are_whole_blocks_inside_the_image", "interior_pixel_drop_rate_matches_gamma"},
        why="returns the max-pooled seeds (1 = drop) instead of 1 - that",
    ),
    Bug(
        "dropblock_shared_across_channels",
        "sample_dropblock_mask",
        """
def sample_dropblock_mask(shape, block_size, p, rng):
    from numpy.lib.stride_tricks import sliding_window_view
    N, C, H, W = shape
    bs = block_size
    gamma = p * H * W / (bs ** 2 * (H - bs + 1) * (W - bs + 1))
    seeds = rng.random((N, 1, H - bs + 1, W - bs + 1)) < gamma
    padded = np.pad(seeds, ((0, 0), (0, 0), (bs - 1, bs - 1), (bs - 1, bs - 1)))
    dropped = sliding_window_view(padded, (bs, bs), axis=(2, 3)).any(axis=(-2, -1))
    return np.broadcast_to(~dropped, shape).astype(np.float64)
""",
        fails={"blocks_are_sampled_independently_per_channel"},
        why="one seed map shared by all channels (not torchvision's per-channel semantics)",
    ),
    Bug(
        "dropblock_bool_mask",
        "sample_dropblock_mask",
        """
def sample_dropblock_mask(shape, block_size, p, rng):
    from numpy.lib.stride_tricks import sliding_window_view
    N, C, H, W = shape
    bs = block_size
    gamma = p * H * W / (bs ** 2 * (H - bs + 1) * (W - bs + 1))
    seeds = rng.random((N, C, H - bs + 1, W - bs + 1)) < gamma
    padded = np.pad(seeds, ((0, 0), (0, 0), (bs - 1, bs - 1), (bs - 1, bs - 1)))
    return ~sliding_window_view(padded, (bs, bs), axis=(2, 3)).any(axis=(-2, -1))
""",
        fails={"dropblock_mask_is_float64_zero_one"},
        why="returns a boolean mask",
    ),
    Bug(
        "dropblock_no_rescale",
        "dropblock",
        """
def dropblock(x, mask):
    return x * mask
""",
        fails={"dropblock_rescales_by_numel_over_kept", "dropblock_normalizes_over_the_whole_batch"},
        why="forgets to rescale the kept activations",
    ),
    Bug(
        "dropblock_per_sample_scale",
        "dropblock",
        """
def dropblock(x, mask):
    kept = mask.sum(axis=(1, 2, 3), keepdims=True)
    return x * mask * (mask[0].size / kept)
""",
        fails={"dropblock_normalizes_over_the_whole_batch", "dropblock_with_everything_dropped_is_zero"},
        why="normalizes per sample instead of over the whole batch",
    ),
    Bug(
        "dropblock_division_by_zero",
        "dropblock",
        """
def dropblock(x, mask):
    return x * mask * (mask.size / mask.sum())
""",
        fails={"dropblock_with_everything_dropped_is_zero"},
        why="0/0 = NaN when every pixel is dropped",
    ),
    # ------------------------------------------------------------------ drop path
    Bug(
        "drop_path_elementwise",
        "drop_path",
        """
def drop_path(x, p, training, rng):
    if not training:
        return x
    return x * (rng.random(x.shape) >= p) / (1 - p)
""",
        fails={"each_sample_is_dropped_or_scaled_as_a_whole", "sample_drop_fraction_is_p"},
        why="elementwise dropout instead of one draw per sample",
    ),
    Bug(
        "drop_path_batch_mode",
        "drop_path",
        """
def drop_path(x, p, training, rng):
    if not training:
        return x
    return x * float(rng.random() >= p) / (1 - p)
""",
        fails={"sample_drop_fraction_is_p"},
        why="one draw for the whole batch (torchvision's mode='batch')",
    ),
    Bug(
        "drop_path_in_eval",
        "drop_path",
        """
def drop_path(x, p, training, rng):
    keep = (rng.random((x.shape[0],) + (1,) * (x.ndim - 1)) >= p).astype(np.float64)
    return x * keep / (1 - p)
""",
        fails={"drop_path_is_identity_when_not_training"},
        why="ignores training=False",
    ),
    Bug(
        "drop_path_keep_probability",
        "drop_path",
        """
def drop_path(x, p, training, rng):
    if not training:
        return x
    keep = (rng.random((x.shape[0],) + (1,) * (x.ndim - 1)) < p).astype(np.float64)
    return x * keep / p
""",
        fails={"each_sample_is_dropped_or_scaled_as_a_whole", "sample_drop_fraction_is_p"},
        why="p used as the survival probability",
    ),
    Bug(
        "drop_path_in_place",
        "drop_path",
        """
def drop_path(x, p, training, rng):
    if not training:
        return x
    x *= (rng.random((x.shape[0],) + (1,) * (x.ndim - 1)) >= p) / (1 - p)
    return x
""",
        fails={"drop_path_does_not_modify_input"},
        why="in-place multiplication of the input",
    ),
    # ------------------------------------------------------------------ stochastic depth rates
    Bug(
        "sd_rates_zero_indexed",
        "stochastic_depth_rates",
        """
def stochastic_depth_rates(num_blocks, final_rate):
    return final_rate * np.arange(num_blocks) / num_blocks
""",
        fails={"rates_grow_linearly_to_the_final_rate", "single_block_gets_the_final_rate"},
        why="counts blocks from 0 (torchvision's ConvNeXt/Swin block_id / total_blocks)",
    ),
    Bug(
        "sd_rates_linspace",
        "stochastic_depth_rates",
        """
def stochastic_depth_rates(num_blocks, final_rate):
    return np.linspace(0, final_rate, num_blocks)
""",
        fails={"rates_grow_linearly_to_the_final_rate", "single_block_gets_the_final_rate"},
        why="timm's linspace(0, rate, depth): first block 0",
    ),
    Bug(
        "sd_rates_survival",
        "stochastic_depth_rates",
        """
def stochastic_depth_rates(num_blocks, final_rate):
    return 1 - final_rate * np.arange(1, num_blocks + 1) / num_blocks
""",
        fails={"rates_grow_linearly_to_the_final_rate", "single_block_gets_the_final_rate"},
        why="returns survival probabilities instead of drop probabilities",
    ),
    # ------------------------------------------------------------------ MC dropout
    Bug(
        "mc_forgets_dropout",
        "mc_dropout_predict",
        """
def mc_dropout_predict(model, x, num_samples):
    model.eval()
    with torch.no_grad():
        outs = torch.stack([model(x) for _ in range(num_samples)])
    return outs.mean(0), outs.var(0, correction=0)
""",
        fails={"only_dropout_modules_are_in_training_mode", "training_flags_are_restored"},
        why="model.eval() turns dropout off: every pass is the same",
    ),
    Bug(
        "mc_model_train",
        "mc_dropout_predict",
        """
def mc_dropout_predict(model, x, num_samples):
    model.train()
    with torch.no_grad():
        outs = torch.stack([model(x) for _ in range(num_samples)])
    return outs.mean(0), outs.var(0, correction=0)
""",
        fails={
            "only_dropout_modules_are_in_training_mode",
            "training_flags_are_restored",
            "batchnorm_running_statistics_are_not_updated",
        },
        why="model.train() also puts BatchNorm in training mode",
    ),
    Bug(
        "mc_unbiased_variance",
        "mc_dropout_predict",
        """
def mc_dropout_predict(model, x, num_samples):
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.train()
    with torch.no_grad():
        outs = torch.stack([model(x) for _ in range(num_samples)])
    for m, t in flags:
        m.training = t
    return outs.mean(0), outs.var(0)
""",
        fails={"predictive_variance_divides_by_num_samples"},
        why="torch.var's default divides by T - 1",
    ),
    Bug(
        "mc_mean_over_everything",
        "mc_dropout_predict",
        """
def mc_dropout_predict(model, x, num_samples):
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.train()
    with torch.no_grad():
        outs = torch.stack([model(x) for _ in range(num_samples)])
    for m, t in flags:
        m.training = t
    return outs.mean(), outs.var(dim=0, correction=0)
""",
        fails={"predictive_mean_is_average_of_passes"},
        why="forgets dim=0: averages over samples AND outputs",
    ),
    Bug(
        "mc_no_restore",
        "mc_dropout_predict",
        """
def mc_dropout_predict(model, x, num_samples):
    model.eval()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.train()
    with torch.no_grad():
        outs = torch.stack([model(x) for _ in range(num_samples)])
    return outs.mean(0), outs.var(0, unbiased=False)
""",
        fails={"training_flags_are_restored"},
        why="leaves the model with dropout on after the call",
    ),
]

# The bundled sample class's "typical bugs" student.

# kind: "convention" (autograder check must already fail it) or "edge"; hint: what the first message must say
C, E = "convention", "edge"

SAMPLE = ["forward_keep_probability_confusion", "dropblock_per_sample_scale", "sd_rates_zero_indexed", "mc_model_train"]

# ------------------------------------------------------------------ numeric_gradient (appended)
BUGS += [
    Bug(
        "numgrad_forward_difference",
        "numeric_gradient",
        """
def numeric_gradient(f, x, dout, h=1e-5):
    grad = np.zeros(x.shape)
    base = np.sum(f(x) * dout)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        grad[ix] = (np.sum(f(x) * dout) - base) / h
        x[ix] = old
    return grad
""",
        fails={
            "centered_difference_on_a_cubic",
            "uses_the_given_step_h",
            "any_number_of_dimensions",
            "nonlinear_vector_function",
        },
        why="forward difference: error O(h) instead of O(h^2)",
    ),
    Bug(
        "numgrad_ignores_dout",
        "numeric_gradient",
        """
def numeric_gradient(f, x, dout, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = np.sum(f(x))
        x[ix] = old - h
        minus = np.sum(f(x))
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * h)
    return grad
""",
        fails={
            "centered_difference_on_a_cubic",
            "gradient_is_weighted_by_dout_through_a_matrix",
            "any_number_of_dimensions",
            "uses_the_given_step_h",
            "nonlinear_vector_function",
        },
        why="differentiates sum(f(x)) instead of sum(f(x) * dout)",
    ),
    Bug(
        "numgrad_no_restore",
        "numeric_gradient",
        """
def numeric_gradient(f, x, dout, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = np.sum(f(x) * dout)
        x[ix] = old - h
        minus = np.sum(f(x) * dout)
        grad[ix] = (plus - minus) / (2 * h)
    return grad
""",
        fails={"x_is_unchanged_after_the_call", "nonlinear_vector_function"},
        why="leaves every element of x moved by -h (later elements are differentiated at a shifted point)",
    ),
    Bug(
        "numgrad_2d_loops",
        "numeric_gradient",
        """
def numeric_gradient(f, x, dout, h=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            old = x[i, j]
            x[i, j] = old + h
            plus = np.sum(f(x) * dout)
            x[i, j] = old - h
            minus = np.sum(f(x) * dout)
            x[i, j] = old
            grad[i, j] = (plus - minus) / (2 * h)
    return grad
""",
        fails={"any_number_of_dimensions", "nonlinear_vector_function"},
        why="loops over two indices, so only 2-D inputs work",
    ),
    Bug(
        "numgrad_fixed_step",
        "numeric_gradient",
        """
def numeric_gradient(f, x, dout, h=1e-5):
    step = 1e-5
    grad = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + step
        plus = np.sum(f(x) * dout)
        x[ix] = old - step
        minus = np.sum(f(x) * dout)
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * step)
    return grad
""",
        fails={"uses_the_given_step_h"},
        why="ignores the h argument",
    ),
]

BUGS = mark(
    BUGS,
    {
        "mask_keep_probability_confusion": (C, "drop 확률인지 keep 확률인지"),
        "mask_bool_dtype": (C, "astype(np.float64)"),
        "mask_shared_across_batch": (C, "broadcast"),
        "mask_global_numpy_rng": (E, "인자로 받은 `rng`만"),
        "forward_keep_probability_confusion": (C, "x/(1-p)로 나눠야"),
        "forward_vanilla_dropout": (C, "inverted dropout은"),
        "forward_drops_in_test_mode": (C, "test 모드"),
        "forward_in_place": (E, "in-place"),
        "backward_forgets_scaling": (C, "1 - p"),
        "backward_ignores_mode": (C, "test 모드"),
        "weight_scaling_by_drop_probability": (C, "drop 확률 p를 곱했을"),
        "mask_average_uniform": (C, "단순 평균"),
        "mask_average_inverted_unscaled": (E, "inverted"),
        "dropconnect_mask_keep_probability": (C, "drop 확률인지 keep 확률인지"),
        "dropconnect_drops_output_units": (C, "broadcast"),
        "dropconnect_mask_with_batch_axis": (C, "shape이 다릅니다"),
        "dropconnect_no_rescale": (C, "1 - p"),
        "dropconnect_rescales_bias": (C, "bias"),
        "spatial_elementwise": (C, "(N, C, 1, 1)"),
        "spatial_shared_across_batch": (C, "broadcast"),
        "spatial_drops_pixels_across_channels": (C, "(N, C, 1, 1)"),
        "spatial_in_place": (E, "in-place"),
        "dropblock_gamma_without_correction": (C, "gamma"),
        "dropblock_blocks_cut_at_border": (C, "이미지 안에 들어가는"),
        "dropblock_returns_drop_mask": (C, "1=유지, 0=버림"),
        "dropblock_shared_across_channels": (C, "broadcast"),
        "dropblock_bool_mask": (C, "astype(np.float64)"),
        "dropblock_no_rescale": (C, "스케일"),
        "dropblock_per_sample_scale": (C, "배치 전체"),
        "dropblock_division_by_zero": (E, "0으로 나누기"),
        "drop_path_elementwise": (C, "(N, 1, 1, ...)"),
        "drop_path_batch_mode": (C, "샘플마다"),
        "drop_path_in_eval": (C, "training=False"),
        "drop_path_keep_probability": (C, "1 - p"),
        "drop_path_in_place": (E, "in-place"),
        "sd_rates_zero_indexed": (C, "0부터 센"),
        "sd_rates_linspace": (C, "np.linspace(0, p_L, L)"),
        "sd_rates_survival": (C, "생존 확률"),
        "mc_forgets_dropout": (C, "dropout을 켜야"),
        "mc_model_train": (C, "BatchNorm까지 켜서"),
        "mc_unbiased_variance": (C, "T-1로 나눈"),
        "mc_mean_over_everything": (C, "shape이 다릅니다"),
        "mc_no_restore": (E, "원래 training 플래그로"),
        "numgrad_forward_difference": (C, "전방(또는 후방) 차분"),
        "numgrad_ignores_dout": (C, "dout이 곱해지지"),
        "numgrad_no_restore": (C, "x[ix] = old"),
        "numgrad_2d_loops": (C, "차원"),
        "numgrad_fixed_step": (C, "인자 h를"),
    },
)
