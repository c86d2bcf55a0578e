"""Buggy variants of 01_initialization: mistakes students really make, and the exact checks each one fails."""

from variants import Bug, mark

# every kaiming check: a mistake in compute_fans or calculate_gain reaches all of them
KAIMING = {
    "kaiming_normal_default_is_he_fan_in",
    "kaiming_normal_fan_out_mode_on_conv",
    "kaiming_normal_uses_nonlinearity_gain",
    "kaiming_uniform_default_is_he_fan_in",
    "kaiming_uniform_fan_out_mode_on_conv",
    "kaiming_uniform_leaky_slope_a_sets_gain",
}

GRAD_ALL = {
    "tanh_gradient_norms_match_reference",
    "relu_derivative_is_zero_at_zero",
    "sigmoid_derivative_at_preactivation",
    "deep_relu_and_linear_match_reference",
}

BUGS = [
    # ---------------------------------------------------------------- compute_fans
    Bug(
        "fans_in_out_layout",
        "compute_fans",
        """
def compute_fans(shape):
    if len(shape) < 2:
        raise ValueError("need 2 dims")
    receptive = math.prod(shape[2:])
    return shape[0] * receptive, shape[1] * receptive
""",
        fails={
            "linear_weight_is_out_in",
            "conv_fans_include_receptive_field",
            *KAIMING,
        },  # kaiming_* call compute_fans: the mistake carries over (xavier is symmetric in the fans)
        why="reads the weight as (in, out), the x @ W layout, so fan_in and fan_out are swapped",
    ),
    Bug(
        "fans_ignore_kernel",
        "compute_fans",
        """
def compute_fans(shape):
    if len(shape) < 2:
        raise ValueError("need 2 dims")
    return shape[1], shape[0]
""",
        fails={
            "conv_fans_include_receptive_field",
            "kaiming_normal_fan_out_mode_on_conv",
            "kaiming_uniform_fan_out_mode_on_conv",
            "xavier_normal_conv_kernel_and_gain",
            "xavier_uniform_conv_kernel_and_gain",
        },
        why="forgets the receptive field of conv kernels",
    ),
    Bug(
        "fans_no_dimension_check",
        "compute_fans",
        """
def compute_fans(shape):
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive
""",
        fails={"below_two_dims_raises_value_error"},
        why="no explicit check: a 1-D shape gives an IndexError",
    ),
    # ---------------------------------------------------------------- calculate_gain
    Bug(
        "gain_squared",
        "calculate_gain",
        """
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 25.0 / 9.0
    if nonlinearity == "relu":
        return 2.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return 2.0 / (1.0 + slope ** 2)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(nonlinearity)
""",
        fails={
            "standard_gains_match_torch",
            "tanh_gain_is_five_thirds",
            "leaky_relu_gain_uses_slope_default_001",
            *KAIMING,
        },  # kaiming_* call calculate_gain
        why="returns the variance factor (2 for ReLU) instead of the std factor sqrt(2)",
    ),
    Bug(
        "gain_tanh_like_sigmoid",
        "calculate_gain",
        """
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid", "tanh"):
        return 1.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)
""",
        fails={"tanh_gain_is_five_thirds", "kaiming_normal_uses_nonlinearity_gain"},
        why="treats tanh like sigmoid (gain 1) instead of 5/3",
    ),
    Bug(
        "gain_leaky_default_zero",
        "calculate_gain",
        """
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = param or 0.0
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(nonlinearity)
""",
        fails={"leaky_relu_gain_uses_slope_default_001"},
        why="leaky_relu's default slope taken as 0 instead of 0.01",
    ),
    Bug(
        "gain_selu_one",
        "calculate_gain",
        """
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid", "selu"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    raise ValueError(nonlinearity)
""",
        fails={"selu_gain_is_three_quarters"},
        why="assumes SELU's self-normalization means gain 1 (PyTorch uses 3/4)",
    ),
    Bug(
        "gain_unknown_is_one",
        "calculate_gain",
        """
def calculate_gain(nonlinearity, param=None):
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    return 1.0
""",
        fails={"unknown_nonlinearity_raises_value_error"},
        why="silently returns 1 for an unknown name",
    ),
    # ---------------------------------------------------------------- xavier_uniform
    Bug(
        "xavier_uniform_std_as_bound",
        "xavier_uniform",
        """
def xavier_uniform(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    a = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=tuple(shape))
""",
        fails={"xavier_uniform_is_uniform_within_bound", "xavier_uniform_conv_kernel_and_gain"},
        why="uses the std as the uniform bound (forgets a = sqrt(3) * std)",
    ),
    Bug(
        "xavier_uniform_ignores_kernel",
        "xavier_uniform",
        """
def xavier_uniform(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_out, fan_in = shape[0], shape[1]
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=tuple(shape))
""",
        fails={"xavier_uniform_conv_kernel_and_gain"},
        why="computes fans from shape[:2] only, ignoring the kernel",
    ),
    Bug(
        "xavier_uniform_ignores_gain",
        "xavier_uniform",
        """
def xavier_uniform(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=tuple(shape))
""",
        fails={"xavier_uniform_conv_kernel_and_gain"},
        why="drops the gain",
    ),
    Bug(
        "xavier_uniform_global_rng",
        "xavier_uniform",
        """
def xavier_uniform(shape, gain=1.0, rng=None):
    fan_in, fan_out = compute_fans(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-a, a, size=tuple(shape))
""",
        fails={"xavier_uniform_uses_given_rng"},
        why="draws from the global np.random instead of rng",
    ),
    # ---------------------------------------------------------------- xavier_normal
    Bug(
        "xavier_normal_variance_as_scale",
        "xavier_normal",
        """
def xavier_normal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    var = gain ** 2 * 2.0 / (fan_in + fan_out)
    return rng.normal(0.0, var, size=tuple(shape))
""",
        fails={"xavier_normal_is_normal_with_glorot_std", "xavier_normal_conv_kernel_and_gain"},
        why="passes the variance as numpy's scale (which is the std)",
    ),
    Bug(
        "xavier_normal_lecun_fan_in",
        "xavier_normal",
        """
def xavier_normal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    return rng.normal(0.0, gain * math.sqrt(1.0 / fan_in), size=tuple(shape))
""",
        fails={"xavier_normal_is_normal_with_glorot_std", "xavier_normal_conv_kernel_and_gain"},
        why="uses only fan_in (LeCun) instead of the Glorot average of fan_in and fan_out",
    ),
    Bug(
        "xavier_normal_ignores_gain",
        "xavier_normal",
        """
def xavier_normal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=tuple(shape))
""",
        fails={"xavier_normal_conv_kernel_and_gain"},
        why="drops the gain",
    ),
    Bug(
        "xavier_normal_global_rng",
        "xavier_normal",
        """
def xavier_normal(shape, gain=1.0, rng=None):
    fan_in, fan_out = compute_fans(shape)
    return np.random.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=tuple(shape))
""",
        fails={"xavier_normal_uses_given_rng"},
        why="draws from the global np.random instead of rng",
    ),
    # ---------------------------------------------------------------- kaiming_uniform
    Bug(
        "kaiming_uniform_fan_swapped",
        "kaiming_uniform",
        """
def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_out, fan_in = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return rng.uniform(-bound, bound, size=tuple(shape))
""",
        fails={
            "kaiming_uniform_default_is_he_fan_in",
            "kaiming_uniform_fan_out_mode_on_conv",
            "kaiming_uniform_leaky_slope_a_sets_gain",
        },
        why="unpacks (fan_out, fan_in): the (in, out) layout of x @ W",
    ),
    Bug(
        "kaiming_uniform_std_as_bound",
        "kaiming_uniform",
        """
def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return rng.uniform(-bound, bound, size=tuple(shape))
""",
        fails={
            "kaiming_uniform_default_is_he_fan_in",
            "kaiming_uniform_fan_out_mode_on_conv",
            "kaiming_uniform_leaky_slope_a_sets_gain",
        },
        why="uses the std gain/sqrt(fan) as the bound (no sqrt(3))",
    ),
    Bug(
        "kaiming_uniform_ignores_mode",
        "kaiming_uniform",
        """
def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=tuple(shape))
""",
        fails={"kaiming_uniform_fan_out_mode_on_conv"},
        why="always uses fan_in",
    ),
    Bug(
        "kaiming_uniform_ignores_a",
        "kaiming_uniform",
        """
def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity) * math.sqrt(3.0 / fan)
    return rng.uniform(-bound, bound, size=tuple(shape))
""",
        fails={"kaiming_uniform_leaky_slope_a_sets_gain"},
        why="does not pass a to calculate_gain",
    ),
    Bug(
        "kaiming_uniform_global_rng",
        "kaiming_uniform",
        """
def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return np.random.default_rng().uniform(-bound, bound, size=tuple(shape))
""",
        fails={"kaiming_uniform_uses_given_rng"},
        why="makes a fresh default_rng() instead of using rng",
    ),
    # ---------------------------------------------------------------- kaiming_normal
    Bug(
        "kaiming_normal_variance_as_std",
        "kaiming_normal",
        """
def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return rng.normal(0.0, calculate_gain(nonlinearity, a) ** 2 / fan, size=tuple(shape))
""",
        fails={
            "kaiming_normal_default_is_he_fan_in",
            "kaiming_normal_fan_out_mode_on_conv",
            "kaiming_normal_uses_nonlinearity_gain",
        },
        why="uses Var = 2/fan as the std",
    ),
    Bug(
        "kaiming_normal_fan_swapped",
        "kaiming_normal",
        """
def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    fan = fan_out if mode == "fan_in" else fan_in
    return rng.normal(0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), size=tuple(shape))
""",
        fails={
            "kaiming_normal_default_is_he_fan_in",
            "kaiming_normal_fan_out_mode_on_conv",
            "kaiming_normal_uses_nonlinearity_gain",
        },
        why="fan_in and fan_out swapped",
    ),
    Bug(
        "kaiming_normal_hardcoded_relu",
        "kaiming_normal",
        """
def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return rng.normal(0.0, math.sqrt(2.0 / fan), size=tuple(shape))
""",
        fails={"kaiming_normal_uses_nonlinearity_gain"},
        why="hardcodes He's sqrt(2/fan) whatever the nonlinearity",
    ),
    Bug(
        "kaiming_normal_ignores_mode",
        "kaiming_normal",
        """
def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    rng = np.random.default_rng() if rng is None else rng
    fan_in, fan_out = compute_fans(shape)
    return rng.normal(0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan_in), size=tuple(shape))
""",
        fails={"kaiming_normal_fan_out_mode_on_conv"},
        why="always uses fan_in",
    ),
    Bug(
        "kaiming_normal_global_rng",
        "kaiming_normal",
        """
def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return np.random.normal(0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), size=tuple(shape))
""",
        fails={"kaiming_normal_uses_given_rng"},
        why="draws from the global np.random instead of rng",
    ),
    # ---------------------------------------------------------------- orthogonal
    Bug(
        "orthogonal_no_sign_fix",
        "orthogonal",
        """
def orthogonal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    rows, cols = shape[0], math.prod(shape[1:])
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)
""",
        fails={"haar_corner_sign_is_symmetric"},
        why="skips the sign(diag(R)) correction, so Q is not Haar-distributed",
    ),
    Bug(
        "orthogonal_svd_factor",
        "orthogonal",
        """
def orthogonal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    rows, cols = shape[0], math.prod(shape[1:])
    a = rng.standard_normal((rows, cols))
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    q = u if u.shape == (rows, cols) else vt
    return gain * q.reshape(shape)
""",
        fails={"haar_corner_sign_is_symmetric"},
        why="takes U or V^T of an SVD (a widely copied sampler): orthonormal, but LAPACK's sign convention biases it, "
        "P(W[0, 0] > 0) is about 0.26 for 4x4 and 0.30 for 7x3 (0.50 for the wide 6x10 shape the check used)",
    ),
    Bug(
        "orthogonal_scaled_gaussian",
        "orthogonal",
        """
def orthogonal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    cols = math.prod(shape[1:])
    return gain * rng.standard_normal(tuple(shape)) / math.sqrt(max(shape[0], cols))
""",
        fails={
            "wide_matrix_has_orthonormal_rows",
            "tall_matrix_has_orthonormal_columns_times_gain",
            "conv_weight_flattens_trailing_dims",
        },
        why="random Gaussian scaled by 1/sqrt(n) is only approximately orthogonal",
    ),
    Bug(
        "orthogonal_forgets_wide_case",
        "orthogonal",
        """
def orthogonal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    rows, cols = shape[0], math.prod(shape[1:])
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    q = q * np.sign(np.diag(r))
    return gain * q.reshape(shape)
""",
        fails={
            "wide_matrix_has_orthonormal_rows",
            "conv_weight_flattens_trailing_dims",
            "haar_corner_sign_is_symmetric",
        },
        why="QR of a wide matrix without transposing: Q is (rows, rows) and does not fit the shape",
    ),
    Bug(
        "orthogonal_ignores_gain",
        "orthogonal",
        """
def orthogonal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    rows, cols = shape[0], math.prod(shape[1:])
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q.reshape(shape)
""",
        fails={"tall_matrix_has_orthonormal_columns_times_gain"},
        why="drops the gain",
    ),
    Bug(
        "orthogonal_per_kernel_tap",
        "orthogonal",
        """
def _orth2d(rows, cols, rng):
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    return q.T if rows < cols else q

def orthogonal(shape, gain=1.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    shape = tuple(shape)
    if len(shape) == 2:
        return gain * _orth2d(shape[0], shape[1], rng)
    taps = [_orth2d(shape[0], shape[1], rng) for _ in range(math.prod(shape[2:]))]
    return gain * np.stack(taps, axis=-1).reshape(shape)
""",
        fails={"conv_weight_flattens_trailing_dims"},
        why="makes each kernel tap W[:, :, i, j] orthogonal instead of the flattened (out, in*k*k) matrix",
    ),
    Bug(
        "orthogonal_global_rng",
        "orthogonal",
        """
def orthogonal(shape, gain=1.0, rng=None):
    rows, cols = shape[0], math.prod(shape[1:])
    flat = np.random.randn(rows, cols)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)
""",
        fails={"orthogonal_uses_given_rng"},
        why="draws from the global np.random instead of rng",
    ),
    # ---------------------------------------------------------------- train_two_layer
    Bug(
        "two_layer_tanh_derivative",
        "train_two_layer",
        """
def train_two_layer(W1, b1, W2, b2, X, y, lr, steps):
    W1, b1, W2, b2 = (np.array(p, dtype=np.float64) for p in (W1, b1, W2, b2))
    n = X.shape[0]
    for _ in range(steps):
        h = np.tanh(X @ W1.T + b1)
        out = h @ W2.T + b2
        dout = (out - y) / n
        dW2, db2 = dout.T @ h, dout.sum(axis=0)
        dz = (dout @ W2) * (1.0 - h)
        dW1, db1 = dz.T @ X, dz.sum(axis=0)
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return W1, b1, W2, b2
""",
        fails={
            "one_step_matches_reference",
            "many_steps_match_reference",
            "constant_init_keeps_hidden_units_identical",
        },
        why="tanh'(z) written as 1 - h instead of 1 - h**2",
    ),
    Bug(
        "two_layer_sum_not_mean",
        "train_two_layer",
        """
def train_two_layer(W1, b1, W2, b2, X, y, lr, steps):
    W1, b1, W2, b2 = (np.array(p, dtype=np.float64) for p in (W1, b1, W2, b2))
    for _ in range(steps):
        h = np.tanh(X @ W1.T + b1)
        out = h @ W2.T + b2
        dout = out - y
        dW2, db2 = dout.T @ h, dout.sum(axis=0)
        dz = (dout @ W2) * (1.0 - h ** 2)
        dW1, db1 = dz.T @ X, dz.sum(axis=0)
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return W1, b1, W2, b2
""",
        fails={
            "one_step_matches_reference",
            "many_steps_match_reference",
            "constant_init_keeps_hidden_units_identical",
        },
        why="forgets the 1/N of the mean loss",
    ),
    Bug(
        "two_layer_sequential_update",
        "train_two_layer",
        """
def train_two_layer(W1, b1, W2, b2, X, y, lr, steps):
    W1, b1, W2, b2 = (np.array(p, dtype=np.float64) for p in (W1, b1, W2, b2))
    n = X.shape[0]
    for _ in range(steps):
        h = np.tanh(X @ W1.T + b1)
        out = h @ W2.T + b2
        dout = (out - y) / n
        W2 = W2 - lr * dout.T @ h
        b2 = b2 - lr * dout.sum(axis=0)
        dz = (dout @ W2) * (1.0 - h ** 2)
        W1 = W1 - lr * dz.T @ X
        b1 = b1 - lr * dz.sum(axis=0)
    return W1, b1, W2, b2
""",
        fails={
            "one_step_matches_reference",
            "many_steps_match_reference",
            "constant_init_keeps_hidden_units_identical",
        },
        why="backpropagates through the already-updated W2",
    ),
    Bug(
        "two_layer_stale_forward",
        "train_two_layer",
        """
def train_two_layer(W1, b1, W2, b2, X, y, lr, steps):
    W1, b1, W2, b2 = (np.array(p, dtype=np.float64) for p in (W1, b1, W2, b2))
    n = X.shape[0]
    h = np.tanh(X @ W1.T + b1)
    out = h @ W2.T + b2
    for _ in range(steps):
        dout = (out - y) / n
        dW2, db2 = dout.T @ h, dout.sum(axis=0)
        dz = (dout @ W2) * (1.0 - h ** 2)
        dW1, db1 = dz.T @ X, dz.sum(axis=0)
        W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return W1, b1, W2, b2
""",
        fails={"many_steps_match_reference", "constant_init_keeps_hidden_units_identical"},
        why="computes the forward pass once, before the loop",
    ),
    Bug(
        "two_layer_in_place",
        "train_two_layer",
        """
def train_two_layer(W1, b1, W2, b2, X, y, lr, steps):
    n = X.shape[0]
    for _ in range(steps):
        h = np.tanh(X @ W1.T + b1)
        out = h @ W2.T + b2
        dout = (out - y) / n
        dW2, db2 = dout.T @ h, dout.sum(axis=0)
        dz = (dout @ W2) * (1.0 - h ** 2)
        dW1, db1 = dz.T @ X, dz.sum(axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
    return W1, b1, W2, b2
""",
        fails={"inputs_are_not_modified"},
        why="updates the caller's arrays in place",
    ),
    # ---------------------------------------------------------------- hidden_units_identical
    Bug(
        "identical_only_incoming",
        "hidden_units_identical",
        """
def hidden_units_identical(W1, b1, W2, atol=1e-10):
    W1 = np.asarray(W1)
    return bool(np.all(np.abs(W1 - W1[0]) <= atol))
""",
        fails={"outgoing_weights_and_biases_count"},
        why="compares only the rows of W1",
    ),
    Bug(
        "identical_exact_equality",
        "hidden_units_identical",
        """
def hidden_units_identical(W1, b1, W2, atol=1e-10):
    W1, b1, W2 = np.asarray(W1), np.asarray(b1), np.asarray(W2)
    return bool(np.all(W1 == W1[0]) and np.all(b1 == b1[0]) and np.all(W2 == W2[:, :1]))
""",
        fails={"tolerance_for_rounding"},
        why="exact == on floats, ignoring atol",
    ),
    Bug(
        "identical_wrong_axis",
        "hidden_units_identical",
        """
def hidden_units_identical(W1, b1, W2, atol=1e-10):
    W1, b1, W2 = np.asarray(W1), np.asarray(b1), np.asarray(W2)
    return bool(np.all(np.abs(W1 - W1[:, :1]) <= atol) and np.all(np.abs(b1 - b1[0]) <= atol)
                and np.all(np.abs(W2 - W2[:1, :]) <= atol))
""",
        fails={"detects_identical_and_distinct_units", "tolerance_for_rounding"},
        why="treats columns of W1 (inputs) as units: the (in, out) layout again",
    ),
    # ---------------------------------------------------------------- activation_stats
    Bug(
        "stats_ddof1",
        "activation_stats",
        """
def activation_stats(x, weights, activation):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    h, hs = x, []
    for W in weights:
        h = f(h @ W.T)
        hs.append(h)
    return np.array([a.mean() for a in hs]), np.array([a.std(ddof=1) for a in hs]), hs
""",
        fails={
            "tanh_means_and_stds_match_reference",
            "relu_activations_per_layer_match_reference",
            "sigmoid_and_linear_match_reference",
        },
        why="unbiased std (ddof=1) instead of the population std",
    ),
    Bug(
        "stats_per_unit_std",
        "activation_stats",
        """
def activation_stats(x, weights, activation):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    h, hs = x, []
    for W in weights:
        h = f(h @ W.T)
        hs.append(h)
    return np.array([a.mean() for a in hs]), np.array([a.std(axis=0).mean() for a in hs]), hs
""",
        fails={
            "tanh_means_and_stds_match_reference",
            "relu_activations_per_layer_match_reference",
            "sigmoid_and_linear_match_reference",
        },
        why="averages per-unit stds (axis=0) instead of the std of the whole layer",
    ),
    Bug(
        "stats_np_max_relu",
        "activation_stats",
        """
def activation_stats(x, weights, activation):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.max(z, 0),
         "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    h, hs = x, []
    for W in weights:
        h = f(h @ W.T)
        hs.append(h)
    return np.array([a.mean() for a in hs]), np.array([a.std() for a in hs]), hs
""",
        fails={"relu_activations_per_layer_match_reference"},
        why="np.max(z, 0) is a reduction over axis 0, not ReLU",
    ),
    Bug(
        "stats_pre_activation",
        "activation_stats",
        """
def activation_stats(x, weights, activation):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[activation]
    h, hs = x, []
    for W in weights:
        z = h @ W.T
        hs.append(z)
        h = f(z)
    return np.array([a.mean() for a in hs]), np.array([a.std() for a in hs]), hs
""",
        fails={
            "tanh_means_and_stds_match_reference",
            "relu_activations_per_layer_match_reference",
            "sigmoid_and_linear_match_reference",
        },
        why="records the pre-activations z instead of the activations",
    ),
    # ---------------------------------------------------------------- lsuv_init
    Bug(
        "lsuv_no_orthogonal_start",
        "lsuv_init",
        """
def lsuv_init(model, x, tol=0.1, max_iter=10, generator=None):
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for layer in layers:
            seen = {}
            handle = layer.register_forward_hook(lambda mod, inp, out: seen.__setitem__("out", out))
            for _ in range(max_iter):
                model(x)
                var = seen["out"].var()
                if abs(float(var) - 1.0) < tol:
                    break
                layer.weight.div_(var.sqrt())
            handle.remove()
    return model
""",
        fails={"weights_are_scaled_orthogonal"},
        why="skips the orthogonal pre-initialization",
    ),
    Bug(
        "lsuv_single_rescale",
        "lsuv_init",
        """
def lsuv_init(model, x, tol=0.1, max_iter=10, generator=None):
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for layer in layers:
            nn.init.orthogonal_(layer.weight, generator=generator)
        for layer in layers:
            seen = {}
            handle = layer.register_forward_hook(lambda mod, inp, out: seen.__setitem__("out", out))
            model(x)
            layer.weight.div_(seen["out"].var().sqrt())
            handle.remove()
    return model
""",
        fails={"tight_tolerance_needs_iteration"},
        why="rescales once instead of iterating until |var - 1| < tol",
    ),
    Bug(
        "lsuv_divides_by_variance",
        "lsuv_init",
        """
def lsuv_init(model, x, tol=0.1, max_iter=10, generator=None):
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for layer in layers:
            nn.init.orthogonal_(layer.weight, generator=generator)
        for layer in layers:
            seen = {}
            handle = layer.register_forward_hook(lambda mod, inp, out: seen.__setitem__("out", out))
            for _ in range(max_iter):
                model(x)
                var = seen["out"].var()
                if abs(float(var) - 1.0) < tol:
                    break
                layer.weight.div_(var)
            handle.remove()
    return model
""",
        fails={"every_layer_output_has_unit_variance", "tight_tolerance_needs_iteration"},
        why="divides the weight by the variance instead of the std",
    ),
    # ---------------------------------------------------------------- fixup_scale
    Bug(
        "fixup_scale_swapped",
        "fixup_scale",
        """
def fixup_scale(num_branches, layers_per_branch):
    if layers_per_branch < 2:
        raise ValueError("m >= 2")
    return float(layers_per_branch) ** (-1.0 / (2 * num_branches - 2))
""",
        fails={"scale_for_two_layer_branches", "scale_for_deeper_branches", "other_branch_layers_are_scaled_he"},
        why="swaps L (number of branches) and m (layers per branch)",
    ),
    Bug(
        "fixup_scale_exponent_2m",
        "fixup_scale",
        """
def fixup_scale(num_branches, layers_per_branch):
    if layers_per_branch < 2:
        raise ValueError("m >= 2")
    return num_branches ** (-1.0 / (2 * layers_per_branch))
""",
        fails={"scale_for_two_layer_branches", "scale_for_deeper_branches", "other_branch_layers_are_scaled_he"},
        why="exponent -1/(2m) instead of -1/(2m-2)",
    ),
    Bug(
        "fixup_scale_no_check",
        "fixup_scale",
        """
def fixup_scale(num_branches, layers_per_branch):
    return num_branches ** (-1.0 / (2 * layers_per_branch - 2))
""",
        fails={"single_layer_branch_raises_value_error"},
        why="m = 1 divides by zero instead of a clear ValueError",
    ),
    # ---------------------------------------------------------------- fixup_init
    Bug(
        "fixup_forgets_classifier",
        "fixup_init",
        """
def fixup_init(model, generator=None):
    L = len(model.blocks)
    with torch.no_grad():
        for block in model.blocks:
            m = len(block.layers)
            for layer in block.layers[:-1]:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
                layer.weight.mul_(fixup_scale(L, m))
                layer.bias.zero_()
            block.layers[-1].weight.zero_()
            block.layers[-1].bias.zero_()
    return model
""",
        fails={"classifier_is_zero"},
        why="zeros the branches but not the classification layer",
    ),
    Bug(
        "fixup_keeps_last_bias",
        "fixup_init",
        """
def fixup_init(model, generator=None):
    L = len(model.blocks)
    with torch.no_grad():
        for block in model.blocks:
            m = len(block.layers)
            for layer in block.layers[:-1]:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
                layer.weight.mul_(fixup_scale(L, m))
                layer.bias.zero_()
            block.layers[-1].weight.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
    return model
""",
        fails={"network_is_identity_through_blocks_at_init", "branch_last_layers_are_zero"},
        why="zeros the last weight but keeps its default bias, so blocks are not the identity",
    ),
    Bug(
        "fixup_zeros_first_layer",
        "fixup_init",
        """
def fixup_init(model, generator=None):
    L = len(model.blocks)
    with torch.no_grad():
        for block in model.blocks:
            m = len(block.layers)
            for layer in block.layers[1:]:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
                layer.weight.mul_(fixup_scale(L, m))
                layer.bias.zero_()
            block.layers[0].weight.zero_()
            block.layers[0].bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
    return model
""",
        fails={"branch_last_layers_are_zero", "other_branch_layers_are_scaled_he"},
        why="zeros the first layer of each branch instead of the last",
    ),
    Bug(
        "fixup_plain_he",
        "fixup_init",
        """
def fixup_init(model, generator=None):
    with torch.no_grad():
        for block in model.blocks:
            for layer in block.layers[:-1]:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
                layer.bias.zero_()
            block.layers[-1].weight.zero_()
            block.layers[-1].bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
    return model
""",
        fails={"other_branch_layers_are_scaled_he"},
        why="plain He without the L^(-1/(2m-2)) rescaling",
    ),
    Bug(
        "fixup_scale_on_variance",
        "fixup_init",
        """
def fixup_init(model, generator=None):
    L = len(model.blocks)
    with torch.no_grad():
        for block in model.blocks:
            m = len(block.layers)
            for layer in block.layers[:-1]:
                std = math.sqrt(2.0 / layer.weight.shape[1] * fixup_scale(L, m))
                layer.weight.normal_(0.0, std, generator=generator)
                layer.bias.zero_()
            block.layers[-1].weight.zero_()
            block.layers[-1].bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
    return model
""",
        fails={"other_branch_layers_are_scaled_he"},
        why="multiplies the variance, not the std, by the Fixup scale",
    ),
    Bug(
        "fixup_he_fan_out",
        "fixup_init",
        """
def fixup_init(model, generator=None):
    L = len(model.blocks)
    with torch.no_grad():
        for block in model.blocks:
            m = len(block.layers)
            for layer in block.layers[:-1]:
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu", generator=generator)
                layer.weight.mul_(fixup_scale(L, m))
                layer.bias.zero_()
            block.layers[-1].weight.zero_()
            block.layers[-1].bias.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
    return model
""",
        fails={"other_branch_layers_are_scaled_he"},
        why="He with fan_out instead of fan_in",
    ),
    # ---------------------------------------------------------------- layer_gradient_norms
    Bug(
        "grad_norms_no_activation_derivative",
        "layer_gradient_norms",
        """
def layer_gradient_norms(x, weights, activation, grad_output):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    h = np.asarray(x, dtype=np.float64)
    cache = []
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        out = f(z)
        cache.append((h, np.asarray(W, dtype=np.float64), z, out))
        h = out
    L = len(cache)
    wn, hn = np.zeros(L), np.zeros(L)
    g = np.asarray(grad_output, dtype=np.float64)
    for l in range(L - 1, -1, -1):
        h_in, W, z, out = cache[l]
        dz = g
        wn[l] = np.linalg.norm(dz.T @ h_in)
        g = dz @ W
        hn[l] = np.linalg.norm(g)
    return wn, hn
""",
        fails=GRAD_ALL,
        why="backpropagates through the weights only, forgetting f'(z) (the factor that makes sigmoid vanish)",
    ),
    Bug(
        "grad_norms_derivative_of_output",
        "layer_gradient_norms",
        """
def layer_gradient_norms(x, weights, activation, grad_output):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    h = np.asarray(x, dtype=np.float64)
    cache = []
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        out = f(z)
        cache.append((h, np.asarray(W, dtype=np.float64), z, out))
        h = out
    L = len(cache)
    wn, hn = np.zeros(L), np.zeros(L)
    g = np.asarray(grad_output, dtype=np.float64)
    for l in range(L - 1, -1, -1):
        h_in, W, z, out = cache[l]
        s = 1.0 / (1.0 + np.exp(-out))
        dz = g * {"linear": np.ones_like(z), "tanh": 1.0 - np.tanh(out) ** 2, "relu": (out > 0).astype(float),
                  "sigmoid": s * (1.0 - s)}[activation]
        wn[l] = np.linalg.norm(dz.T @ h_in)
        g = dz @ W
        hn[l] = np.linalg.norm(g)
    return wn, hn
""",
        fails={"tanh_gradient_norms_match_reference", "sigmoid_derivative_at_preactivation"},
        why="applies the derivative formula to the activation h = f(z) instead of z (f'(h) instead of f'(z))",
    ),
    Bug(
        "grad_norms_relu_ge_zero",
        "layer_gradient_norms",
        """
def layer_gradient_norms(x, weights, activation, grad_output):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    h = np.asarray(x, dtype=np.float64)
    cache = []
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        out = f(z)
        cache.append((h, np.asarray(W, dtype=np.float64), z, out))
        h = out
    L = len(cache)
    wn, hn = np.zeros(L), np.zeros(L)
    g = np.asarray(grad_output, dtype=np.float64)
    for l in range(L - 1, -1, -1):
        h_in, W, z, out = cache[l]
        dz = g * {"linear": np.ones_like(z), "tanh": 1.0 - out ** 2, "relu": (z >= 0).astype(float),
                  "sigmoid": out * (1.0 - out)}[activation]
        wn[l] = np.linalg.norm(dz.T @ h_in)
        g = dz @ W
        hn[l] = np.linalg.norm(g)
    return wn, hn
""",
        fails={"relu_derivative_is_zero_at_zero"},
        why="lets the gradient through ReLU at z == 0 (PyTorch's derivative there is 0)",
    ),
    Bug(
        "grad_norms_sigmoid_quarter",
        "layer_gradient_norms",
        """
def layer_gradient_norms(x, weights, activation, grad_output):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    h = np.asarray(x, dtype=np.float64)
    cache = []
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        out = f(z)
        cache.append((h, np.asarray(W, dtype=np.float64), z, out))
        h = out
    L = len(cache)
    wn, hn = np.zeros(L), np.zeros(L)
    g = np.asarray(grad_output, dtype=np.float64)
    for l in range(L - 1, -1, -1):
        h_in, W, z, out = cache[l]
        dz = g * {"linear": np.ones_like(z), "tanh": 1.0 - out ** 2, "relu": (z > 0).astype(float),
                  "sigmoid": np.full_like(z, 0.25)}[activation]
        wn[l] = np.linalg.norm(dz.T @ h_in)
        g = dz @ W
        hn[l] = np.linalg.norm(g)
    return wn, hn
""",
        fails={"sigmoid_derivative_at_preactivation"},
        why="uses the bound 1/4 as sigmoid's derivative everywhere",
    ),
    Bug(
        "grad_norms_output_side",
        "layer_gradient_norms",
        """
def layer_gradient_norms(x, weights, activation, grad_output):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    h = np.asarray(x, dtype=np.float64)
    cache = []
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        out = f(z)
        cache.append((h, np.asarray(W, dtype=np.float64), z, out))
        h = out
    L = len(cache)
    wn, hn = np.zeros(L), np.zeros(L)
    g = np.asarray(grad_output, dtype=np.float64)
    for l in range(L - 1, -1, -1):
        h_in, W, z, out = cache[l]
        dz = g * {"linear": np.ones_like(z), "tanh": 1.0 - out ** 2, "relu": (z > 0).astype(float),
                  "sigmoid": out * (1.0 - out)}[activation]
        wn[l] = np.linalg.norm(dz.T @ h_in)
        hn[l] = np.linalg.norm(g)
        g = dz @ W
    return wn, hn
""",
        fails=GRAD_ALL,
        why="records the gradient arriving at each layer's output (dL/dh_{l+1}) instead of its input",
    ),
    Bug(
        "grad_norms_squared",
        "layer_gradient_norms",
        """
def layer_gradient_norms(x, weights, activation, grad_output):
    f = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0),
         "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z))}[activation]
    h = np.asarray(x, dtype=np.float64)
    cache = []
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        out = f(z)
        cache.append((h, np.asarray(W, dtype=np.float64), z, out))
        h = out
    L = len(cache)
    wn, hn = np.zeros(L), np.zeros(L)
    g = np.asarray(grad_output, dtype=np.float64)
    for l in range(L - 1, -1, -1):
        h_in, W, z, out = cache[l]
        dz = g * {"linear": np.ones_like(z), "tanh": 1.0 - out ** 2, "relu": (z > 0).astype(float),
                  "sigmoid": out * (1.0 - out)}[activation]
        wn[l] = np.sum((dz.T @ h_in) ** 2)
        g = dz @ W
        hn[l] = np.sum(g ** 2)
    return wn, hn
""",
        fails=GRAD_ALL,
        why="returns squared norms",
    ),
]


# kind: "convention" (autograder check must already fail it) or "edge"; hint: what the first message must say
C, E = "convention", "edge"
BUGS = mark(
    BUGS,
    {
        "fans_in_out_layout": (C, "fan_in과 fan_out이 바뀌었습니다"),
        "fans_ignore_kernel": (E, "receptive field"),
        "fans_no_dimension_check": (E, "ValueError를 내세요"),
        "gain_squared": (C, "gain²"),
        "gain_tanh_like_sigmoid": (C, "5/3"),
        "gain_leaky_default_zero": (C, "0.01"),
        "gain_selu_one": (C, "3/4"),
        "gain_unknown_is_one": (E, "ValueError를 내야"),
        "xavier_uniform_std_as_bound": (C, "sqrt(3)"),
        "xavier_uniform_ignores_kernel": (E, "(out, in, *kernel)"),
        "xavier_uniform_ignores_gain": (E, "gain을 곱하지"),
        "xavier_uniform_global_rng": (E, "인자로 받은 rng만"),
        "xavier_normal_variance_as_scale": (C, "표준편차"),
        "xavier_normal_lecun_fan_in": (C, "fan_in + fan_out"),
        "xavier_normal_ignores_gain": (E, "gain을 곱하지"),
        "xavier_normal_global_rng": (E, "인자로 받은 rng만"),
        "kaiming_uniform_fan_swapped": (C, "fan_in과 fan_out"),
        "kaiming_uniform_std_as_bound": (C, "sqrt(3)"),
        "kaiming_uniform_ignores_mode": (E, "mode"),
        "kaiming_uniform_ignores_a": (E, "calculate_gain('leaky_relu', a)"),
        "kaiming_uniform_global_rng": (E, "인자로 받은 rng만"),
        "kaiming_normal_variance_as_std": (C, "표준편차"),
        "kaiming_normal_fan_swapped": (C, "fan_in과 fan_out"),
        "kaiming_normal_hardcoded_relu": (E, "nonlinearity"),
        "kaiming_normal_ignores_mode": (E, "mode"),
        "kaiming_normal_global_rng": (E, "인자로 받은 rng만"),
        "orthogonal_no_sign_fix": (C, "sign(diag(R))"),
        "orthogonal_scaled_gaussian": (C, "근사적으로만 직교"),
        "orthogonal_forgets_wide_case": (C, "전치"),
        "orthogonal_ignores_gain": (E, "gain을 곱하지 않았습니다"),
        "orthogonal_per_kernel_tap": (E, "(out, in*k*k) 행렬 하나를"),
        "orthogonal_global_rng": (E, "인자로 받은 rng만"),
        "two_layer_tanh_derivative": (C, "1 - h**2"),
        "two_layer_sum_not_mean": (C, "1/N"),
        "two_layer_sequential_update": (C, "갱신 전의 W2"),
        "two_layer_stale_forward": (C, "forward"),
        "two_layer_in_place": (E, "제자리에서 바꿉니다"),
        "identical_only_incoming": (C, "b1과 W2의 열도"),
        "identical_exact_equality": (E, "atol 인자를"),
        "identical_wrong_axis": (C, "축을 바꿔"),
        "stats_ddof1": (C, "ddof"),
        "stats_per_unit_std": (C, "층 전체"),
        "stats_np_max_relu": (C, "np.maximum"),
        "stats_pre_activation": (C, "활성 함수를 지난"),
        "lsuv_no_orthogonal_start": (C, "orthogonal_로 시작"),
        "lsuv_single_rescale": (E, "|분산 - 1| <= tol"),
        "lsuv_divides_by_variance": (C, "표준편차 sqrt(v)로"),
        "fixup_scale_swapped": (C, "L과 m"),
        "fixup_scale_exponent_2m": (C, "2m - 2"),
        "fixup_scale_no_check": (E, "m < 2를 직접 검사"),
        "fixup_forgets_classifier": (C, "classifier"),
        "fixup_keeps_last_bias": (C, "가중치와 편향이 0"),
        "fixup_zeros_first_layer": (C, "(마지막 층)"),
        "fixup_plain_he": (C, "L^(-1/(2m-2))"),
        "fixup_scale_on_variance": (C, "표준편차"),
        "fixup_he_fan_out": (C, "fan_in"),
        "orthogonal_svd_factor": (E, "SVD의 U나 V^T"),
        "grad_norms_no_activation_derivative": (C, "f'(z)를 곱하지"),
        "grad_norms_derivative_of_output": (C, "h = f(z)가 아니라 z"),
        "grad_norms_relu_ge_zero": (C, "`z >= 0`"),
        "grad_norms_sigmoid_quarter": (E, "s(1 - s)"),
        "grad_norms_output_side": (C, "한 층 어긋났습니다"),
        "grad_norms_squared": (C, "노름의 제곱"),
    },
)

SAMPLE = [
    "fans_in_out_layout",
    "kaiming_normal_variance_as_std",
    "orthogonal_no_sign_fix",
    "two_layer_in_place",
    "fixup_forgets_classifier",
]
