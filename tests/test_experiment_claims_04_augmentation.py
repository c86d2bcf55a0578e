"""What the 04_augmentation solutions notebook says about its experiments, asserted on the notebook's
own experiment functions with the notebook's own settings (tests/experiments.py)."""

from __future__ import annotations

import numpy as np
import pytest
from experiments import notebook_namespace

pytestmark = pytest.mark.xdist_group("claims-04_augmentation")


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace("04_augmentation")


@pytest.fixture(scope="module")
def aug(ns):
    return ns["run_augmentation_experiment"](**ns["AUG_EXPERIMENT"])


@pytest.fixture(scope="module")
def adv(ns):
    return ns["run_adversarial_experiment"](**ns["ADV_EXPERIMENT"])


def test_settings_use_several_seeds_and_a_small_training_set(ns):
    assert len(ns["AUG_EXPERIMENT"]["seeds"]) >= 3 and ns["AUG_EXPERIMENT"]["n_train"] <= 100
    assert len(ns["ADV_EXPERIMENT"]["seeds"]) >= 3


def test_on_centred_digits_no_method_clearly_beats_no_augmentation(aug):
    """8.2: "평균 정확도의 차이가 모두 3%p 미만 ... (crop은 오히려 조금 낮습니다)"."""
    base = aug["none"]["clean"].mean()
    for name, r in aug.items():
        assert abs(r["clean"].mean() - base) < 0.03, name
    assert aug["crop"]["clean"].mean() < base


def test_shift_drops_the_plain_model_to_about_half(aug):
    """8.2: "증강 없이 학습한 모델은 2픽셀만 옮겨도 정확도가 0.5 근처로 떨어지는데"."""
    assert np.all(np.abs(aug["none"]["shifted"] - 0.5) < 0.1)


def test_crop_and_randaugment_buy_shift_robustness_in_every_seed(aug):
    """8.2: crop > none + 20%p and RandAugment > none + 10%p on shifted digits, in every seed."""
    assert np.all(aug["crop"]["shifted"] > aug["none"]["shifted"] + 0.20)
    assert np.all(aug["RandAugment"]["shifted"] > aug["none"]["shifted"] + 0.10)


def test_mixup_label_smoothing_and_dropout_do_not(aug):
    """8.2: "옮긴 숫자에서 crop보다 모두 20%p 넘게 낮습니다"."""
    for name in ("Mixup", "label smoothing", "Mixup + label smoothing", "dropout"):
        assert np.all(aug[name]["shifted"] < aug["crop"]["shifted"] - 0.20), name


def test_label_smoothing_with_mixup_is_the_least_confident(aug):
    """8.2: no augmentation over-confident in every seed; label smoothing and Mixup each below their
    accuracy; both together the lowest confidence of the eight settings in every seed, below accuracy."""
    assert np.all(aug["none"]["conf"] > aug["none"]["clean"])
    for name in ("label smoothing", "Mixup"):
        assert aug[name]["conf"].mean() < aug[name]["clean"].mean(), name
    both = aug["Mixup + label smoothing"]
    others = np.stack([r["conf"] for n, r in aug.items() if n != "Mixup + label smoothing"])
    assert len(aug) == 8
    assert np.all(both["conf"] < others.min(0))
    assert np.all(both["conf"] < both["clean"] - 0.05)


def test_adversarial_fine_tuning_keeps_clean_accuracy(adv):
    """8.3 summary: clean accuracy almost the same as the equal-epoch control (difference < 2%p): no visible
    trade-off."""
    clean_c, clean_a = adv["control"]["fgsm"][:, 0], adv["adversarial"]["fgsm"][:, 0]
    assert np.all(np.abs(clean_a - clean_c) < 0.02)


def test_adversarial_fine_tuning_beats_the_control_under_fgsm_and_pgd(adv, ns):
    """8.3 summary: FGSM accuracy at eps=0.1 up by >= 30%p in every seed; PGD accuracy up too."""
    k = list(ns["ADV_EXPERIMENT"]["eps_grid"]).index(0.1)
    assert np.all(adv["adversarial"]["fgsm"][:, k] > adv["control"]["fgsm"][:, k] + 0.30)
    assert np.all(adv["adversarial"]["pgd"][:, k] > adv["control"]["pgd"][:, k] + 0.20)


def test_pgd_is_the_stronger_attack_and_shrinks_the_gain_at_the_largest_eps(adv):
    """8.3 summary: PGD accuracy <= FGSM accuracy for every model and eps; at the largest eps the PGD gain is
    smaller."""
    for name in ("control", "adversarial"):
        assert np.all(adv[name]["pgd"] <= adv[name]["fgsm"] + 0.005), name
    gain_f = adv["adversarial"]["fgsm"][:, -1] - adv["control"]["fgsm"][:, -1]
    gain_p = adv["adversarial"]["pgd"][:, -1] - adv["control"]["pgd"][:, -1]
    assert np.all(gain_p < gain_f)


def test_fgsm_is_mostly_the_worst_candidate(adv):
    """8.3 summary: "가장 나쁜 후보로는 대부분 FGSM이 뽑힙니다"."""
    assert np.all(adv["chosen"][:, 1] > 0.5)
