"""01_initialization: every sentence the solutions notebook states about an experiment's outcome.

Each test runs the notebook's own experiment function with the notebook's own settings
(``notebook_namespace``) and asserts what the text (observation cells, model answers) says.
The experiments are deterministic (fixed seeds, one torch thread), so these are not statistical tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from experiments import notebook_namespace

AID = "01_initialization"
LN10 = math.log(10.0)
pytestmark = pytest.mark.xdist_group(f"claims-{AID}")


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(AID)


@pytest.fixture(scope="module")
def act(ns):
    return ns["run_activation_experiment"](**ns["ACTIVATION_EXPERIMENT"])


@pytest.fixture(scope="module")
def grad(ns):
    return ns["run_gradient_experiment"](**ns["GRADIENT_EXPERIMENT"])


@pytest.fixture(scope="module")
def trained(ns):
    return ns["run_training_experiment"](**ns["TRAINING_EXPERIMENT"])


def test_settings_use_three_seeds(ns):
    for name in ("ACTIVATION_EXPERIMENT", "GRADIENT_EXPERIMENT", "TRAINING_EXPERIMENT"):
        assert len(ns[name]["seeds"]) >= 3, name


# ------------------------------------------------------------------------------------------------
# section 6 experiment and Q1's model answer: constant inits stay symmetric, random breaks it
# ------------------------------------------------------------------------------------------------
def test_symmetry_experiment(ns):
    r = ns["run_symmetry_experiment"](**ns["SYMMETRY_EXPERIMENT"])
    assert r["zeros"]["identical"] is True and r["constant 0.3"]["identical"] is True
    assert r["random N(0, 0.5^2)"]["identical"] is False
    assert r["random N(0, 0.5^2)"]["loss"] < min(r["zeros"]["loss"], r["constant 0.3"]["loss"])


# ------------------------------------------------------------------------------------------------
# 12.1: per-layer std at initialization
# ------------------------------------------------------------------------------------------------
def test_small_init_vanishes_within_a_few_layers(act):
    for a in ("tanh", "relu"):
        assert np.all(act["stds"][a, "N(0, 0.01^2)"][:, 4] < 1e-4), a  # layer 5


def test_unit_normal_saturates_tanh_and_explodes_relu(act):
    assert np.all(act["saturated"]["tanh", "N(0, 1)"][:, -1] > 0.5)
    s = act["stds"]["relu", "N(0, 1)"]
    assert np.all((s[:, -1] > 1e13) & (s[:, -1] < 1e16))  # "10^14 정도"
    factor = (s[:, -1] / s[:, 0]) ** (1 / 19)
    assert np.all((factor > 4.5) & (factor < 7.0))  # "층마다 약 sqrt(32) = 5.7배"


def test_xavier_gain_one_on_tanh_declines_steadily(act):
    s = act["stds"]["tanh", "Xavier (gain 1)"]
    assert np.all((s[:, 0] > 0.55) & (s[:, 0] < 0.65))  # "1층 약 0.6"
    assert np.all(s[:, -1] < 0.17) and abs(s[:, -1].mean() - 0.14) < 0.02  # "20층 약 0.14"
    checkpoints = s[:, [0, 4, 9, 19]]  # layers 1, 5, 10, 20: "약 0.6 → 0.3 → 0.2 → 0.14"
    assert np.all(np.diff(checkpoints, axis=1) < 0)  # every seed
    assert np.all(np.abs(checkpoints.mean(0) - [0.6, 0.3, 0.2, 0.14]) < 0.03)


def test_xavier_tanh_gain_keeps_the_std(act):
    s = act["stds"]["tanh", "Xavier (gain 5/3)"]
    assert np.all((s[:, 1:] > 0.6) & (s[:, 1:] < 0.7))  # "2층 이후 0.6~0.7"
    assert abs(s[:, -1].mean() - 0.64) < 0.02  # "20층 약 0.64"


def test_he_on_tanh_neither_saturates_nor_vanishes(act):
    s = act["stds"]["tanh", "He"]
    assert np.all((s[:, 2:] > 0.5) & (s[:, 2:] < 0.65))  # "3층 이후 0.5~0.65"
    assert abs(s[:, -1].mean() - 0.54) < 0.02
    assert np.all(act["saturated"]["tanh", "He"][:, -1] < 0.01)  # "1% 미만"


def test_he_keeps_relu_std_and_xavier_loses_it(act):
    he = act["stds"]["relu", "He"]
    assert np.all((he > 0.1) & (he < 2.0))  # "모든 층에서 0.1~2"
    assert np.all(np.abs(he[:, 0] - 0.85) < 0.05)  # "1층은 약 0.85"
    assert np.all((he[:, -1] > 0.2) & (he[:, -1] < 0.9))  # "20층에서 약 0.2~0.9"
    xa = act["stds"]["relu", "Xavier (gain 1)"]
    ratio = xa[:, -1] / xa[:, 0]
    assert np.all((ratio > 1e-4) & (ratio < 1e-2))  # "1층의 10^-4 ~ 10^-2배"
    assert np.all(xa[:, -1] < 1e-3) and np.all(xa[:, -1] > 1e-4)  # Q2: "20층 10^-4 ~ 10^-3"


# ------------------------------------------------------------------------------------------------
# 12.2: backward gradient norms
# ------------------------------------------------------------------------------------------------
def _first_over_last(r):
    g = r["input_grad"]
    return g[:, 0] / g[:, -1]


def test_sigmoid_gradients_vanish_by_at_most_a_quarter_per_layer(grad):
    r = grad["sigmoid", "Xavier (gain 1)"]
    g = r["input_grad"]
    factor = g[:, :-1] / g[:, 1:]  # ||dL/dh_(l-1)|| / ||dL/dh_l|| for layers 2..20
    assert np.all(factor <= 0.25 * r["spectral"][:, 1:] * (1 + 1e-12))  # the bound, every layer and seed
    assert 0.22 < factor.mean() < 0.24  # "평균 약 0.23"
    assert np.all(_first_over_last(r) < 1e-10)


def test_he_relu_gradients_stay_flat(grad):
    ratio = _first_over_last(grad["relu", "He"])
    assert np.all((ratio > 1 / 3) & (ratio < 3))


def test_large_inits_explode_backward(grad):
    ratio = _first_over_last(grad["relu", "1.5 x He"])
    assert np.all((ratio > 2e2) & (ratio < 2e4))  # "1.5^19 ~ 2e3 (2e2 ~ 2e4)"
    g = grad["relu", "1.5 x He"]["input_grad"]
    assert 1.4 < np.mean(g[:, :-1] / g[:, 1:]) < 1.6  # "층마다 약 1.5배"
    t = grad["tanh", "N(0, 1)"]["input_grad"]
    assert np.all(_first_over_last(grad["tanh", "N(0, 1)"]) > 1e5)
    assert 3e5 < np.mean(_first_over_last(grad["tanh", "N(0, 1)"])) < 3e6  # Q4: "실험: 약 10^6배"
    assert 1.8 < np.mean(t[:, :-1] / t[:, 1:]) < 2.4  # "층마다 약 2배"


def test_tanh_xavier_gains_tilt_the_backward_pass_in_opposite_directions(grad):
    gain_one, gain_53 = (
        _first_over_last(grad["tanh", "Xavier (gain 1)"]),
        _first_over_last(grad["tanh", "Xavier (gain 5/3)"]),
    )
    assert np.all(gain_one < 0.5) and 0.1 < gain_one.mean() < 0.3  # "첫 층이 마지막 층의 약 0.2배"
    assert np.all(gain_53 > 2) and 3.5 < gain_53.mean() < 7  # "약 5배"
    for name in ("Xavier (gain 1)", "Xavier (gain 5/3)"):  # "둘 다 지수적으로 사라지지는 않습니다"
        assert np.all(_first_over_last(grad["tanh", name]) > 1e-2)


# ------------------------------------------------------------------------------------------------
# 12.3: training
# ------------------------------------------------------------------------------------------------
def _final(trained, act, name):
    return trained[act, name]["losses"][:, -1]


def test_vanishing_inits_stay_at_chance(trained):
    for key in [("tanh", "N(0, 0.01^2)"), ("relu", "N(0, 0.01^2)"), ("relu", "Xavier (gain 1)")]:
        assert np.all(np.abs(_final(trained, *key) - LN10) < 0.01), key


def test_unit_normal_tanh_is_worse_than_chance_and_relu_diverges(trained):
    assert np.all(_final(trained, "tanh", "N(0, 1)") > LN10)
    assert np.all(np.isnan(trained["relu", "N(0, 1)"]["losses"][:, -1]))


def test_he_trains_tanh_faster_than_both_xavier_gains(trained):
    he = _final(trained, "tanh", "He")
    x1, x53 = _final(trained, "tanh", "Xavier (gain 1)"), _final(trained, "tanh", "Xavier (gain 5/3)")
    assert np.all(he < x1) and np.all(he < x53)  # every seed
    assert abs(he.mean() - 0.2) < 0.05  # "평균 약 0.2"
    assert 0.3 < x1.mean() < 0.45 and 0.3 < x53.mean() < 0.45  # "약 0.35~0.4"
    assert abs(x1.mean() - x53.mean()) < max(np.ptp(x1), np.ptp(x53))  # "차이는 seed 사이의 차이보다 작음"


def test_lsuv_is_lowest_on_tanh_and_beats_he_on_relu(trained):
    lsuv = _final(trained, "tanh", "LSUV")
    for name in ("Xavier (gain 1)", "Xavier (gain 5/3)", "He"):
        assert np.all(lsuv < _final(trained, "tanh", name)), name
    he, lsuv = _final(trained, "relu", "He"), _final(trained, "relu", "LSUV")
    assert np.all(he < LN10 - 0.5)  # He learns
    assert np.all(lsuv < he)


def test_fixup_trains_the_resnet_that_plain_he_makes_diverge(trained):
    assert np.all(np.isnan(trained["relu", "ResNet + He (no Fixup)"]["losses"][:, -1]))
    fix = trained["relu", "ResNet + Fixup"]
    assert np.all(np.isfinite(fix["losses"])) and np.all(fix["losses"][:, -1] < 0.5)
    assert np.all(fix["acc"] >= 0.9)


# ------------------------------------------------------------------------------------------------
# section 8: numeric gradient check of the two hand-written backward passes
# ------------------------------------------------------------------------------------------------
def test_gradient_check_passes_the_reference_and_catches_a_missing_derivative(ns):
    r = ns["run_gradient_check"](**ns["GRADCHECK_EXPERIMENT"])
    assert set(r["train_two_layer"]) == {"W1", "b1", "W2", "b2"}
    assert all(err < 1e-7 for err in r["train_two_layer"].values()), r["train_two_layer"]
    assert set(r["layer_gradient_norms"]) == {"tanh", "sigmoid", "relu", "linear"}
    assert all(err < 1e-7 for err in r["layer_gradient_norms"].values()), r["layer_gradient_norms"]
    assert r["W1 without tanh'"] > 1e-2
