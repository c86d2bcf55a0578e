"""Buggy variants of assignment 05 (regularization and optimization): the mistakes students really make."""

from variants import Bug, mark

ADAM_TAIL = """
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps)
"""

BUGS = [
    # ------------------------------------------------------------------ l2_penalty
    Bug(
        "l2_without_half",
        "l2_penalty",
        """
def l2_penalty(params, lam):
    return lam * sum(np.sum(w ** 2) for w in params)


def l2_penalty_grad(params, lam):
    return [2 * lam * w for w in params]
""",
        fails={
            "l2_penalty_is_half_lambda_squared_norm",
            "l2_gradient_is_lambda_w",
            "l2_sums_over_every_parameter_array",
        },
        why="uses lam * ||w||^2 (gradient 2 lam w) instead of the pinned lam/2 form that torch's weight_decay matches",
    ),
    Bug(
        "l2_first_array_only",
        "l2_penalty",
        """
def l2_penalty(params, lam):
    return 0.5 * lam * np.sum(params[0] ** 2)


def l2_penalty_grad(params, lam):
    return [lam * w for w in params]
""",
        fails={"l2_sums_over_every_parameter_array"},
        why="penalizes only the first parameter array (one layer)",
    ),
    # ------------------------------------------------------------------ l1_penalty
    Bug(
        "l1_with_half",
        "l1_penalty",
        """
def l1_penalty(params, lam):
    return 0.5 * lam * sum(np.sum(np.abs(w)) for w in params)


def l1_penalty_grad(params, lam):
    return [lam * np.sign(w) for w in params]
""",
        fails={"l1_penalty_is_lambda_abs_sum", "l1_subgradient_of_zero_is_zero"},
        why="copies the 1/2 of the L2 convention into the L1 penalty",
    ),
    Bug(
        "l1_sign_of_zero_is_one",
        "l1_penalty",
        """
def l1_penalty(params, lam):
    return lam * sum(np.sum(np.abs(w)) for w in params)


def l1_penalty_grad(params, lam):
    return [lam * np.where(w >= 0, 1.0, -1.0) for w in params]
""",
        fails={"l1_subgradient_of_zero_is_zero"},
        why="takes sign(0) = +1 instead of 0",
    ),
    Bug(
        "l1_grad_without_lambda",
        "l1_penalty",
        """
def l1_penalty(params, lam):
    return lam * sum(np.sum(np.abs(w)) for w in params)


def l1_penalty_grad(params, lam):
    return [np.sign(w) for w in params]
""",
        fails={"l1_gradient_is_lambda_sign_w", "l1_subgradient_of_zero_is_zero"},
        why="forgets lam in the subgradient",
    ),
    # ------------------------------------------------------------------ soft_threshold
    Bug(
        "soft_threshold_subtracts_only",
        "soft_threshold",
        """
def soft_threshold(w, tau):
    return w - tau * np.sign(w)
""",
        fails={
            "soft_threshold_shrinks_by_tau",
            "soft_threshold_zeroes_small_weights_exactly",
            "soft_threshold_any_shape_tau_zero_and_input_untouched",
        },
        why="subtracts tau * sign(w) without clipping at 0, so small weights flip sign instead of becoming 0",
    ),
    Bug(
        "soft_threshold_hard",
        "soft_threshold",
        """
def soft_threshold(w, tau):
    return np.where(np.abs(w) > tau, w, 0.0)
""",
        fails={"soft_threshold_shrinks_by_tau", "soft_threshold_any_shape_tau_zero_and_input_untouched"},
        why="hard thresholding: zeroes small weights but does not shrink the others by tau",
    ),
    Bug(
        "soft_threshold_in_place",
        "soft_threshold",
        """
def soft_threshold(w, tau):
    w *= np.maximum(1 - tau / np.maximum(np.abs(w), 1e-300), 0)
    return w
""",
        fails={"soft_threshold_any_shape_tau_zero_and_input_untouched"},
        why="shrinks w in place (the caller's weights change)",
    ),
    # ------------------------------------------------------------------ sgd_step
    Bug(
        "sgd_decay_without_lr",
        "sgd_step",
        """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    g = grad
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = grad.copy() if buf is None else momentum * buf + grad
        state["momentum_buffer"] = buf
        g = buf
    return w * (1 - weight_decay) - lr * g
""",
        fails={
            "plain_sgd_with_weight_decay_matches_torch",
            "momentum_with_weight_decay_matches_torch",
            "momentum_buffer_is_stored_in_state",
        },
        why="shrinks w by (1 - wd) per step: the decay is not multiplied by the learning rate",
    ),
    Bug(
        "sgd_dampened_momentum",
        "sgd_step",
        """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    g = grad + weight_decay * w
    if momentum != 0:
        buf = state.get("momentum_buffer", np.zeros_like(w))
        buf = momentum * buf + (1 - momentum) * g
        state["momentum_buffer"] = buf
        g = buf
    return w - lr * g
""",
        fails={
            "momentum_trajectory_matches_torch",
            "momentum_with_weight_decay_matches_torch",
            "momentum_buffer_is_stored_in_state",
        },
        why="momentum as an EMA of gradients (dampening = momentum), not torch's buf = m buf + g",
    ),
    Bug(
        "sgd_decay_outside_momentum",
        "sgd_step",
        """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    g = grad
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = grad.copy() if buf is None else momentum * buf + grad
        state["momentum_buffer"] = buf
        g = buf
    return w - lr * (g + weight_decay * w)
""",
        fails={"momentum_with_weight_decay_matches_torch", "momentum_buffer_is_stored_in_state"},
        why="adds the decay term after the momentum buffer instead of to the gradient",
    ),
    Bug(
        "sgd_velocity_buffer",
        "sgd_step",
        """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    g = grad + weight_decay * w
    v = momentum * state.get("momentum_buffer", 0.0) - lr * g
    if momentum != 0:
        state["momentum_buffer"] = v
    return w + v
""",
        fails={"momentum_buffer_is_stored_in_state", "momentum_trajectory_matches_torch"},
        why="CS231n velocity v = m v - lr g: same path for a constant lr, but stores -lr * buf",
    ),
    Bug(
        "sgd_buffer_aliases_grad",
        "sgd_step",
        """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    g = grad if weight_decay == 0 else grad + weight_decay * w
    if momentum != 0:
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = g
        else:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g
        g = state["momentum_buffer"]
    return w - lr * g
""",
        fails={"sgd_does_not_mutate_inputs"},
        why="stores grad itself as the first buffer, then updates it in place: the caller's grad changes",
    ),
    Bug(
        "sgd_in_place",
        "sgd_step",
        """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    g = grad + weight_decay * w
    if momentum != 0:
        buf = state.get("momentum_buffer")
        buf = g.copy() if buf is None else momentum * buf + g
        state["momentum_buffer"] = buf
        g = buf
    w -= lr * g
    return w
""",
        fails={"sgd_does_not_mutate_inputs"},
        why="updates w in place (w -= ...)",
    ),
    # ------------------------------------------------------------------ adam_step
    Bug(
        "adam_no_bias_correction",
        "adam_step",
        """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    g = grad + weight_decay * w
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    state["t"], state["m"], state["v"] = t, m, v
    return w - lr * m / (np.sqrt(v) + eps)
""",
        fails={
            "adam_trajectory_matches_torch",
            "adam_l2_weight_decay_is_added_to_the_gradient",
            "adam_eps_is_added_outside_the_square_root",
            "adam_state_holds_t_m_v",
        },
        why="forgets the bias correction 1 - beta^t",
    ),
    Bug(
        "adam_eps_inside_sqrt",
        "adam_step",
        """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    g = grad + weight_decay * w
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    state["t"], state["m"], state["v"] = t, m, v
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - lr * m_hat / np.sqrt(v_hat + eps)
""",
        fails={
            "adam_trajectory_matches_torch",
            "adam_l2_weight_decay_is_added_to_the_gradient",
            "adam_eps_is_added_outside_the_square_root",
            "adam_state_holds_t_m_v",
        },
        why="adds eps inside the square root",
    ),
    Bug(
        "adam_decoupled_decay",
        "adam_step",
        """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    w = w * (1 - lr * weight_decay)
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    state["t"], state["m"], state["v"] = t, m, v
"""
        + ADAM_TAIL,
        fails={"adam_l2_weight_decay_is_added_to_the_gradient"},
        why="implements AdamW's decoupled decay where torch.optim.Adam adds L2 to the gradient",
    ),
    Bug(
        "adam_ignores_betas",
        "adam_step",
        """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = 0.9, 0.999
    t = state.get("t", 0) + 1
    g = grad + weight_decay * w
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    state["t"], state["m"], state["v"] = t, m, v
"""
        + ADAM_TAIL,
        fails={"adam_l2_weight_decay_is_added_to_the_gradient", "adam_state_holds_t_m_v"},
        why="hard-codes the default betas",
    ),
    Bug(
        "adam_in_place",
        "adam_step",
        """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    grad += weight_decay * w
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    state["t"], state["m"], state["v"] = t, m, v
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    w -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return w
""",
        fails={"adam_does_not_mutate_inputs"},
        why="adds the decay to grad and updates w in place",
    ),
    # ------------------------------------------------------------------ adamw_step
    Bug(
        "adamw_coupled_l2",
        "adamw_step",
        """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    b1, b2 = betas
    g = grad + weight_decay * w
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    state["t"], state["m"], state["v"] = t, m, v
"""
        + ADAM_TAIL,
        fails={"adamw_trajectory_matches_torch", "adamw_default_weight_decay_is_0_01", "adamw_state_holds_t_m_v"},
        why="AdamW written as Adam + L2 (the decay goes through m and v)",
    ),
    Bug(
        "adamw_decay_without_lr",
        "adamw_step",
        """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    b1, b2 = betas
    w = w * (1 - weight_decay)
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    state["t"], state["m"], state["v"] = t, m, v
"""
        + ADAM_TAIL,
        fails={"adamw_trajectory_matches_torch", "adamw_default_weight_decay_is_0_01", "adamw_state_holds_t_m_v"},
        why="decays by (1 - wd) instead of torch's (1 - lr * wd)",
    ),
    Bug(
        "adamw_decay_after_update",
        "adamw_step",
        """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    state["t"], state["m"], state["v"] = t, m, v
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w * (1 - lr * weight_decay)
""",
        fails={"adamw_trajectory_matches_torch", "adamw_default_weight_decay_is_0_01", "adamw_state_holds_t_m_v"},
        why="applies the decay after the Adam update instead of before",
    ),
    Bug(
        "adamw_default_decay_zero",
        "adamw_step",
        """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    w = w * (1 - lr * weight_decay)
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    state["t"], state["m"], state["v"] = t, m, v
"""
        + ADAM_TAIL,
        fails={"adamw_default_weight_decay_is_0_01"},
        why="copies Adam's signature: default weight_decay 0 instead of torch AdamW's 1e-2",
    ),
    Bug(
        "adamw_in_place_decay",
        "adamw_step",
        """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    b1, b2 = betas
    w *= 1 - lr * weight_decay
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", 0.0) + (1 - b1) * grad
    v = b2 * state.get("v", 0.0) + (1 - b2) * grad * grad
    state["t"], state["m"], state["v"] = t, m, v
"""
        + ADAM_TAIL,
        fails={"adamw_does_not_mutate_inputs"},
        why="decays w in place, like torch's param.mul_",
    ),
    # ------------------------------------------------------------------ schedules
    Bug(
        "exp_decay_off_by_one",
        "exponential_decay",
        """
def exponential_decay(t, lr0, gamma=0.95):
    return lr0 * gamma ** (np.asarray(t) + 1.0)
""",
        fails={"exponential_decay_is_lr0_gamma_pow_t", "exponential_default_gamma_is_0_95_on_arrays"},
        why="already decays at t = 0",
    ),
    Bug(
        "exp_decay_default_gamma",
        "exponential_decay",
        """
def exponential_decay(t, lr0, gamma=0.9):
    return lr0 * gamma ** np.asarray(t, dtype=np.float64)
""",
        fails={"exponential_default_gamma_is_0_95_on_arrays", "exponential_decay_is_lr0_gamma_pow_t"},
        why="default gamma 0.9 instead of seed 003's 0.95",
    ),
    Bug(
        "inv_sqrt_from_zero",
        "inverse_sqrt_decay",
        """
def inverse_sqrt_decay(t, k):
    return k / np.sqrt(np.asarray(t) + 1.0)
""",
        fails={"inverse_sqrt_decay_is_k_over_sqrt_t", "inverse_sqrt_accepts_integer_arrays"},
        why="counts t from 0 (k / sqrt(t + 1))",
    ),
    Bug(
        "inv_sqrt_math_sqrt",
        "inverse_sqrt_decay",
        """
def inverse_sqrt_decay(t, k):
    return k / math.sqrt(t)
""",
        fails={"inverse_sqrt_accepts_integer_arrays"},
        why="math.sqrt works on scalars only",
    ),
    Bug(
        "step_decay_no_floor",
        "step_decay",
        """
def step_decay(t, lr0, step_size, factor):
    return lr0 * factor ** (np.asarray(t) / step_size)
""",
        fails={"step_decay_drops_by_factor_every_step_size", "step_decay_accepts_integer_arrays"},
        why="true division: a smooth exponential, not steps",
    ),
    Bug(
        "step_decay_int_cast",
        "step_decay",
        """
def step_decay(t, lr0, step_size, factor):
    return lr0 * factor ** int(t / step_size)
""",
        fails={"step_decay_accepts_integer_arrays"},
        why="int() works on scalars only",
    ),
    Bug(
        "cyclic_no_cycle",
        "triangular_cyclic",
        """
def triangular_cyclic(t, base_lr, max_lr, step_size):
    x = np.abs(np.asarray(t) / step_size - 1)
    return base_lr + (max_lr - base_lr) * np.maximum(0.0, 1 - x)
""",
        fails={"triangular_repeats_every_two_step_sizes", "triangular_first_cycle_matches_torch_cyclic_lr"},
        why="forgets the cycle index: only the first triangle",
    ),
    Bug(
        "cyclic_step_size_is_period",
        "triangular_cyclic",
        """
def triangular_cyclic(t, base_lr, max_lr, step_size):
    t = np.asarray(t, dtype=np.float64)
    cycle = np.floor(1 + t / step_size)
    x = np.abs(2 * t / step_size - 2 * cycle + 1)
    return base_lr + (max_lr - base_lr) * np.maximum(0.0, 1 - x)
""",
        fails={"triangular_first_cycle_matches_torch_cyclic_lr", "triangular_repeats_every_two_step_sizes"},
        why="takes step_size as the whole cycle (torch: half a cycle)",
    ),
    Bug(
        "cosine_ignores_eta_min",
        "cosine_annealing",
        """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    t = np.asarray(t, dtype=np.float64)
    warm = lr0 * t / max(warmup, 1)
    cos = lr0 * (1 + np.cos(np.pi * (t - warmup) / (T - warmup))) / 2
    return np.where(t < warmup, warm, cos)
""",
        fails={"cosine_without_warmup_matches_torch", "cosine_accepts_integer_arrays"},
        why="anneals to 0, not eta_min",
    ),
    Bug(
        "cosine_warmup_from_one",
        "cosine_annealing",
        """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    t = np.asarray(t, dtype=np.float64)
    warm = lr0 * (t + 1) / max(warmup, 1)
    cos = eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * (t - warmup) / (T - warmup))) / 2
    return np.where(t < warmup, warm, cos)
""",
        fails={"linear_warmup_then_cosine", "cosine_accepts_integer_arrays"},
        why="warmup (t + 1) / warmup instead of the pinned t / warmup",
    ),
    Bug(
        "cosine_not_shifted_after_warmup",
        "cosine_annealing",
        """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    t = np.asarray(t, dtype=np.float64)
    warm = lr0 * t / max(warmup, 1)
    cos = eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * t / T)) / 2
    return np.where(t < warmup, warm, cos)
""",
        fails={"linear_warmup_then_cosine", "cosine_accepts_integer_arrays"},
        why="the cosine still runs over [0, T] after the warmup (jumps down at t = warmup)",
    ),
    Bug(
        "cosine_scalar_if",
        "cosine_annealing",
        """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    if t < warmup:
        return lr0 * t / warmup
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * (t - warmup) / (T - warmup))) / 2
""",
        fails={"cosine_accepts_integer_arrays"},
        why="if/else and math.cos: fails on arrays of t",
    ),
    # ------------------------------------------------------------------ EarlyStopping
    Bug(
        "es_patience_strict",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = -1, None, 0, -1

    def step(self, metric, state=None):
        self.epoch += 1
        if self.mode == "min":
            improved = metric < self.best - self.min_delta
        else:
            improved = metric > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, copy.deepcopy(state)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs > self.patience
""",
        fails={"stops_after_patience_epochs_without_improvement"},
        why="stops one epoch late (> patience, ReduceLROnPlateau's convention)",
    ),
    Bug(
        "es_ties_improve",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = -1, None, 0, -1

    def step(self, metric, state=None):
        self.epoch += 1
        if self.mode == "min":
            improved = metric <= self.best - self.min_delta
        else:
            improved = metric >= self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, copy.deepcopy(state)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
""",
        fails={"ties_are_not_improvements"},
        why="counts a tie with the best as an improvement (<=)",
    ),
    Bug(
        "es_min_delta_ignored",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.mode = patience, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = -1, None, 0, -1

    def step(self, metric, state=None):
        self.epoch += 1
        improved = metric < self.best if self.mode == "min" else metric > self.best
        if improved:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, copy.deepcopy(state)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
""",
        fails={"min_delta_is_required_for_improvement"},
        why="accepts any improvement, however small",
    ),
    Bug(
        "es_mode_ignored",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = -1, None, 0, -1

    def step(self, metric, state=None):
        self.epoch += 1
        if metric < self.best - self.min_delta:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, copy.deepcopy(state)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
""",
        fails={"mode_max_tracks_the_largest_metric"},
        why="ignores mode: treats accuracy like a loss",
    ),
    Bug(
        "es_keeps_a_reference",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = -1, None, 0, -1

    def step(self, metric, state=None):
        self.epoch += 1
        if self.mode == "min":
            improved = metric < self.best - self.min_delta
        else:
            improved = metric > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, state
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
""",
        fails={"best_state_is_a_deep_copy"},
        why="stores the state object itself: later in-place updates leak in",
    ),
    Bug(
        "es_shallow_copy",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = -1, None, 0, -1

    def step(self, metric, state=None):
        self.epoch += 1
        if self.mode == "min":
            improved = metric < self.best - self.min_delta
        else:
            improved = metric > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, state.copy()
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
""",
        fails={"best_state_is_a_deep_copy"},
        why="state.copy() is shallow: the weight arrays are still shared",
    ),
    Bug(
        "es_best_epoch_from_one",
        "early_stopping",
        """
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0, mode="min"):
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.best_state, self.num_bad_epochs, self.epoch = 0, None, 0, 0

    def step(self, metric, state=None):
        self.epoch += 1
        if self.mode == "min":
            improved = metric < self.best - self.min_delta
        else:
            improved = metric > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.best_state = metric, self.epoch, copy.deepcopy(state)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
""",
        fails={
            "tracks_best_metric_and_epoch",
            "ties_are_not_improvements",
            "min_delta_is_required_for_improvement",
            "mode_max_tracks_the_largest_metric",
        },
        why="numbers epochs from 1",
    ),
    # ------------------------------------------------------------------ bootstrap_indices
    Bug(
        "bootstrap_permutation",
        "bootstrap_indices",
        """
def bootstrap_indices(n, rng):
    return rng.permutation(n)
""",
        fails={"bootstrap_draws_with_replacement"},
        why="samples without replacement: every example exactly once",
    ),
    Bug(
        "bootstrap_excludes_last",
        "bootstrap_indices",
        """
def bootstrap_indices(n, rng):
    return rng.integers(0, n - 1, size=n)
""",
        fails={"each_bootstrap_index_is_uniform", "bootstrap_draws_with_replacement"},
        why="integers' upper bound is exclusive: n - 1 is never drawn",
    ),
    Bug(
        "bootstrap_global_rng",
        "bootstrap_indices",
        """
def bootstrap_indices(n, rng):
    return np.random.randint(0, n, size=n)
""",
        fails={"bootstrap_uses_the_given_rng"},
        why="ignores rng and uses numpy's global generator",
    ),
    Bug(
        "bootstrap_float_indices",
        "bootstrap_indices",
        """
def bootstrap_indices(n, rng):
    return np.floor(rng.random(n) * n)
""",
        fails={"bootstrap_shape_dtype_and_range"},
        why="returns float indices (cannot index an array)",
    ),
    # ------------------------------------------------------------------ majority_vote
    Bug(
        "vote_wrong_axis",
        "majority_vote",
        """
def majority_vote(predictions):
    p = np.asarray(predictions)
    C = int(p.max()) + 1
    counts = (p[:, :, None] == np.arange(C)).sum(axis=1)
    return np.argmax(counts, axis=1)
""",
        fails={"majority_vote_matches_reference", "ties_go_to_the_smallest_label"},
        why="counts over samples instead of over models",
    ),
    Bug(
        "vote_ties_to_largest",
        "majority_vote",
        """
def majority_vote(predictions):
    p = np.asarray(predictions)
    C = int(p.max()) + 1
    counts = (p[:, :, None] == np.arange(C)).sum(axis=0)
    return C - 1 - np.argmax(counts[:, ::-1], axis=1)
""",
        fails={"majority_vote_matches_reference", "ties_go_to_the_smallest_label"},
        why="breaks ties toward the largest label",
    ),
    Bug(
        "vote_mean_label",
        "majority_vote",
        """
def majority_vote(predictions):
    return np.round(np.mean(predictions, axis=0)).astype(np.int64)
""",
        fails={"majority_vote_matches_reference", "ties_go_to_the_smallest_label"},
        why="averages the labels (only makes sense for 0/1 and even then not with ties)",
    ),
    # ------------------------------------------------------------------ ensemble_error_variance
    Bug(
        "ens_var_missing_over_k",
        "ensemble_error_variance",
        """
def ensemble_error_variance(v, c, k):
    return v / k + (k - 1) * c
""",
        fails={"ensemble_variance_formula", "independent_and_fully_correlated_limits"},
        why="forgets the 1/k on the covariance term",
    ),
    Bug(
        "ens_var_v_over_k_squared",
        "ensemble_error_variance",
        """
def ensemble_error_variance(v, c, k):
    return v / k ** 2 + (k - 1) * c / k
""",
        fails={"ensemble_variance_formula", "independent_and_fully_correlated_limits"},
        why="1/k^2 * v: forgets that the sum of k variances is k v",
    ),
    # ------------------------------------------------------------------ sample_correlated_errors
    Bug(
        "corr_independent",
        "sample_correlated_errors",
        """
def sample_correlated_errors(v, c, k, n, rng):
    return np.sqrt(v) * rng.standard_normal((n, k))
""",
        fails={"pairs_have_covariance_c"},
        why="ignores c: independent errors",
    ),
    Bug(
        "corr_forgets_v_minus_c",
        "sample_correlated_errors",
        """
def sample_correlated_errors(v, c, k, n, rng):
    return np.sqrt(c) * rng.standard_normal((n, 1)) + np.sqrt(v) * rng.standard_normal((n, k))
""",
        fails={"each_error_has_variance_v", "pairs_have_covariance_c"},
        why="the model-specific part has variance v, so the total is v + c",
    ),
    Bug(
        "corr_global_rng",
        "sample_correlated_errors",
        """
def sample_correlated_errors(v, c, k, n, rng):
    cov = np.full((k, k), float(c)) + (v - c) * np.eye(k)
    return np.random.multivariate_normal(np.zeros(k), cov, size=n)
""",
        fails={"sample_correlated_uses_the_given_rng"},
        why="uses numpy's global generator instead of rng",
    ),
    # ------------------------------------------------------------------ ema_update
    Bug(
        "ema_decay_swapped",
        "ema_update",
        """
def ema_update(ema_params, params, decay):
    return [(1 - decay) * e + decay * p for e, p in zip(ema_params, params)]
""",
        fails={"ema_matches_torch_over_many_updates", "decay_weights_the_old_average"},
        why="decay weights the new parameters instead of the old average",
    ),
    Bug(
        "ema_in_place",
        "ema_update",
        """
def ema_update(ema_params, params, decay):
    for e, p in zip(ema_params, params):
        e *= decay
        e += (1 - decay) * p
    return ema_params
""",
        fails={"ema_does_not_mutate_inputs"},
        why="updates the EMA arrays in place (torch style) against the pinned contract",
    ),
    # ------------------------------------------------------------------ add_gaussian_noise
    Bug(
        "noise_sigma_as_variance",
        "add_gaussian_noise",
        """
def add_gaussian_noise(x, sigma, rng):
    return x + rng.normal(0.0, sigma ** 2, size=x.shape)
""",
        fails={"noise_has_mean_zero_and_std_sigma", "noise_is_normal", "noise_is_independent_across_elements"},
        why="treats sigma as the variance (std sigma^2)",
    ),
    Bug(
        "noise_uniform",
        "add_gaussian_noise",
        """
def add_gaussian_noise(x, sigma, rng):
    return x + rng.uniform(-sigma, sigma, size=x.shape)
""",
        fails={"noise_has_mean_zero_and_std_sigma", "noise_is_normal", "noise_is_independent_across_elements"},
        why="uniform noise in [-sigma, sigma] instead of Gaussian",
    ),
    Bug(
        "noise_in_place",
        "add_gaussian_noise",
        """
def add_gaussian_noise(x, sigma, rng):
    x += sigma * rng.standard_normal(x.shape)
    return x
""",
        fails={"noise_keeps_shape_dtype_and_does_not_mutate_x"},
        why="adds the noise to x in place",
    ),
    Bug(
        "noise_per_feature",
        "add_gaussian_noise",
        """
def add_gaussian_noise(x, sigma, rng):
    return x + sigma * rng.standard_normal(x.shape[-1])
""",
        fails={"noise_is_independent_across_elements"},
        why="one noise vector broadcast over all rows",
    ),
    Bug(
        "noise_global_rng",
        "add_gaussian_noise",
        """
def add_gaussian_noise(x, sigma, rng):
    return x + np.random.normal(0.0, sigma, size=np.shape(x))
""",
        fails={"noise_uses_the_given_rng"},
        why="ignores rng and uses numpy's global generator",
    ),
]


# kind: "convention" (autograder check must already fail it) or "edge"; hint: what the first message must say
C, E = "convention", "edge"
BUGS = mark(
    BUGS,
    {
        "l2_without_half": (C, "lam/2"),
        "l2_first_array_only": (C, "모든 배열"),
        "l1_with_half": (C, "1/2"),
        "l1_sign_of_zero_is_one": (E, "sign(0) = 0"),
        "l1_grad_without_lambda": (C, "lam"),
        "sgd_decay_without_lr": (C, "weight_decay"),
        "sgd_dampened_momentum": (C, "(1 - momentum)을 곱하지"),
        "sgd_decay_outside_momentum": (C, "grad에 더"),
        "sgd_velocity_buffer": (C, "momentum_buffer"),
        "sgd_buffer_aliases_grad": (E, "grad를 그대로 state에 저장"),
        "sgd_in_place": (E, "새 배열을 반환하세요"),
        "adam_no_bias_correction": (C, "bias correction"),
        "adam_eps_inside_sqrt": (C, "eps는 sqrt 밖"),
        "adam_decoupled_decay": (E, "AdamW"),
        "adam_ignores_betas": (E, "betas"),
        "adam_in_place": (E, "새 배열을 반환하세요"),
        "adamw_coupled_l2": (C, "decoupled"),
        "adamw_decay_without_lr": (C, "lr * weight_decay"),
        "adamw_decay_after_update": (C, "먼저"),
        "adamw_default_decay_zero": (C, "1e-2"),
        "adamw_in_place_decay": (E, "새 배열을 반환하세요"),
        "exp_decay_off_by_one": (C, "t = 0에서 기대 0.1"),
        "exp_decay_default_gamma": (C, "0.95"),
        "inv_sqrt_from_zero": (C, "t = 1에서 기대 0.5"),
        "inv_sqrt_math_sqrt": (E, "np.sqrt"),
        "step_decay_no_floor": (C, "floor"),
        "step_decay_int_cast": (E, "np.floor"),
        "cyclic_no_cycle": (C, "주기"),
        "cyclic_step_size_is_period": (C, "반 주기"),
        "cosine_ignores_eta_min": (C, "eta_min"),
        "cosine_warmup_from_one": (E, "t = 0에서 기대 0,"),
        "cosine_not_shifted_after_warmup": (E, "warmup 뒤"),
        "cosine_scalar_if": (E, "np.where"),
        "es_patience_strict": (C, "patience 이상(>=)"),
        "es_ties_improve": (E, "best와 같은 값을 개선으로"),
        "es_min_delta_ignored": (E, "min_delta"),
        "es_mode_ignored": (E, 'mode="max"인데'),
        "es_keeps_a_reference": (C, "copy.deepcopy(state)"),
        "es_shallow_copy": (C, "copy.deepcopy(state)"),
        "es_best_epoch_from_one": (C, "(0부터)"),
        "bootstrap_permutation": (C, "복원 추출"),
        "bootstrap_excludes_last": (C, "{0,...,n-1}"),
        "bootstrap_global_rng": (E, "인자로 받은 rng만"),
        "bootstrap_float_indices": (C, "정수 배열이어야"),
        "vote_wrong_axis": (C, "shape이 다릅니다"),
        "vote_ties_to_largest": (C, "가장 작은"),
        "vote_mean_label": (C, "최빈값"),
        "ens_var_missing_over_k": (C, "1/k를 빠뜨렸을 때"),
        "ens_var_v_over_k_squared": (C, "v / k"),
        "corr_independent": (C, "공분산"),
        "corr_forgets_v_minus_c": (C, "v - c"),
        "corr_global_rng": (E, "인자로 받은 rng만"),
        "ema_decay_swapped": (C, "decay"),
        "ema_in_place": (E, "새 배열의 리스트"),
        "noise_sigma_as_variance": (C, "sigma = 표준편차"),
        "noise_uniform": (C, "정규"),
        "noise_in_place": (E, "제자리에서 바꿨습니다"),
        "noise_per_feature": (C, "행마다 같은 잡음"),
        "noise_global_rng": (E, "인자로 받은 rng만"),
        "soft_threshold_subtracts_only": (C, "부호가 뒤집힙니다"),
        "soft_threshold_hard": (C, "hard thresholding"),
        "soft_threshold_in_place": (E, "제자리에서 바꿨습니다"),
    },
)

SAMPLE = [
    "l2_without_half",
    "adam_no_bias_correction",
    "es_keeps_a_reference",
    "bootstrap_permutation",
    "ema_decay_swapped",
]
