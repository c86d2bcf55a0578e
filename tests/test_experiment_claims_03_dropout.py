"""What the 03_dropout solutions notebook says about its experiments, asserted on the notebook's own
experiment functions with the notebook's own settings (tests/experiments.py)."""

from __future__ import annotations

import numpy as np
import pytest
from experiments import notebook_namespace

pytestmark = pytest.mark.xdist_group("claims-03_dropout")


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace("03_dropout")


@pytest.fixture(scope="module")
def dres(ns):
    return ns["run_dropout_experiment"](**ns["DROPOUT_EXPERIMENT"])


@pytest.fixture(scope="module")
def mres(ns, dres):
    return ns["run_mc_dropout_experiment"](dres, **ns["MC_EXPERIMENT"])


def final(dres, name, key):
    return np.array([h[key][-1] for h in dres[name]])


def test_settings_use_several_seeds(ns):
    assert len(ns["DROPOUT_EXPERIMENT"]["seeds"]) >= 3


def test_without_dropout_the_training_set_is_memorized_and_val_loss_rises_again(dres):
    """9.1: "dropout이 없으면 모든 시드에서 학습 손실이 1e-3 아래 ... 그 뒤로 검증 손실은 다시 올라갑니다"."""
    assert np.all(final(dres, "none", "train_loss") < 1e-3)
    for h in dres["none"]:
        assert h["val_loss"][-1] > 1.05 * h["val_loss"].min()


def test_dropout_trains_slower(dres):
    """9.1: "dropout이 있으면 학습 손실이 훨씬 천천히 내려가고"."""
    assert np.all(final(dres, "dropout", "train_loss") > 10 * final(dres, "none", "train_loss"))


def test_dropout_lowers_final_val_loss_in_every_seed(dres):
    """9.1: "마지막 epoch의 검증 손실(NLL)은 모든 시드에서 더 낮습니다"."""
    assert np.all(final(dres, "dropout", "val_loss") < final(dres, "none", "val_loss"))


def test_accuracy_difference_is_small_against_the_seed_spread(dres):
    """9.1: "평균 차이는 1%p 미만으로 시드 사이의 표준편차(약 3%p)보다 훨씬 작고, 시드에 따라서는 dropout 쪽이
    같거나 약간 낮기도"."""
    a, b = final(dres, "none", "val_acc"), final(dres, "dropout", "val_acc")
    sd = a.std(ddof=1)
    assert abs(b.mean() - a.mean()) < 0.01
    assert 0.02 < sd < 0.04 and abs(b.mean() - a.mean()) < sd / 2
    assert np.any(b <= a)


def test_every_predictor_is_more_uncertain_on_errors_and_blends(mres):
    """9.3: errors have higher entropy for all three predictors (AUROC >= 0.75 in every seed); blends too."""
    for kind in ("no dropout", "deterministic", "MC dropout"):
        for r in mres[kind]:
            assert r["auroc"] >= 0.75
            assert r["entropy"][~r["correct"]].mean() > r["entropy"][r["correct"]].mean()
    for kind in ("deterministic", "MC dropout"):
        for r, ent_b in zip(mres[kind], mres["blend_entropy"][kind], strict=True):
            assert ent_b.mean() > r["entropy"][r["correct"]].mean()


def test_mc_dropout_is_not_better_than_the_deterministic_softmax(mres):
    """9.3: AUROC about the same (mean difference < 0.03, the winner changes with the seed), NLL higher on
    average, ECE higher in every seed, MC confidence below accuracy in every seed."""
    det, mc = mres["deterministic"], mres["MC dropout"]
    d_auc = np.array([m["auroc"] - d["auroc"] for d, m in zip(det, mc, strict=True)])
    assert abs(d_auc.mean()) < 0.03
    assert np.any(d_auc > 0) and np.any(d_auc < 0)
    assert np.mean([m["nll"] for m in mc]) > np.mean([d["nll"] for d in det])
    assert all(m["ece"] > d["ece"] for d, m in zip(det, mc, strict=True))
    assert all(m["conf"] < m["acc"] for m in mc)


def test_gradient_check_accepts_the_reference_and_rejects_the_bugs(ns):
    """9.4: the correct backward has relative error ~1e-10 (< 1e-8), the two wrong ones >= 1e-1."""
    g = ns["run_gradient_check"](**ns["GRADCHECK_EXPERIMENT"])
    assert g["train"] < 1e-8 and g["test"] < 1e-8
    assert g["bug: fresh mask"] > 0.1 and g["bug: no 1/(1-p)"] > 0.1


def test_numeric_gradient_is_centered(ns):
    """9.4: the helper uses centered differences: exact to O(h^2) on a cubic (a forward difference errs by O(h))."""
    x = np.linspace(-1.0, 2.0, 7)
    num = ns["numeric_gradient"](lambda z: z**3, x, np.ones_like(x), h=1e-4)
    np.testing.assert_allclose(num, 3 * x**2, rtol=0, atol=1e-7)


def test_dropout_before_bn_shifts_its_variance_and_after_bn_does_not(ns):
    """9.5: dropout -> BN: eval variance / running variance < 0.5 in every channel (median near 0.2);
    BN -> dropout: the ratio is within 0.95..1.05 in every channel."""
    r = ns["run_variance_shift_experiment"](**ns["VARIANCE_SHIFT_EXPERIMENT"])
    assert np.all(r["dropout -> BN"] < 0.5) and 0.1 < np.median(r["dropout -> BN"]) < 0.3
    assert np.all(np.abs(r["BN -> dropout"] - 1) < 0.05)
