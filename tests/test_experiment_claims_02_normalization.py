"""What 02_normalization's experiment sections say about their outcomes, asserted on the notebook's own
experiment functions with the notebook's own settings (tests/experiments.py).

Each test quotes the sentence it asserts. The runs are seeded and deterministic on one machine; the
thresholds keep a margin to the observed values (noted per assertion) so that another CPU's float
rounding does not flip a verdict.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from experiments import notebook_namespace

AID = "02_normalization"
pytestmark = pytest.mark.xdist_group(f"claims-{AID}")
CHANCE = math.log(10)


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(AID)


def test_chance_loss_constant(ns):
    assert ns["CHANCE_LOSS"] == pytest.approx(CHANCE)


def test_bn_high_learning_rate(ns):
    """Experiment 1: "lr = 2.0에서 BN이 없는 MLP는 처음 수십 step 안에 loss가 한 번 크게 튄 뒤 (seed마다 최대 3
    이상) chance 수준에 머뭅니다: seed 3개 모두 마지막 20 step의 평균 loss가
    2.0 이상이고 test 정확도가 0.3 이하입니다. loss가 NaN으로 폭주하지는 않았습니다 (모든 step의 loss가 유한). ...
    BN이 있는 MLP는 seed마다 loss가 0.3 아래 ... test 정확도가 0.9 이상.
    lr = 0.1에서도 같은 step 수 안에 BN이 있는 쪽의 loss가 seed마다 더 낮습니다." """
    cfg = ns["BN_LR_EXPERIMENT"]
    assert len(cfg["seeds"]) >= 3
    res = ns["run_bn_lr_experiment"](**cfg)
    fl = ns["final_loss"]
    high, low = max(cfg["lrs"]), min(cfg["lrs"])
    assert high == 2.0 and low == 0.1
    for losses, acc in res[(high, None)]:  # observed: 2.30-2.33, acc 0.10-0.18
        assert fl(losses) >= 2.0 and acc <= 0.3, (fl(losses), acc)
        assert np.all(np.isfinite(losses)), "the notebook says the loss never became NaN/inf at this lr"
        assert max(losses[:100]) >= 3.0, max(
            losses
        )  # "loss가 한 번 크게 튄 뒤 (최대 3 이상)": observed 3.6-7.2 at steps 17-69
    for losses, acc in res[(high, "bn")]:  # observed: 0.03-0.07, acc >= 0.96
        assert fl(losses) < 0.3 and acc >= 0.9, (fl(losses), acc)
    for (l_none, _), (l_bn, _) in zip(
        res[(low, None)], res[(low, "bn")], strict=True
    ):  # observed: 1.4-1.8 vs 0.03-0.04
        assert fl(l_bn) < fl(l_none)


def test_init_sensitivity_with_and_without_bn(ns):
    """Experiment 2: "BN이 없으면 He 초기화(s = 1)에서만 학습됩니다: s = 0.1이면 ... loss가 chance 근처에 그대로 있으며
    (seed 3개 모두 2.0 이상), s = 10이면 ... 발산(inf/NaN)합니다. BN이 있으면 세 크기 모두 seed마다 loss가 chance보다
    낮아집니다 (1.8 미만) ... seed마다 s = 10은 s = 1보다 loss가 높고, s = 0.1은 오히려 s = 1보다 낮습니다." """
    cfg = ns["INIT_EXPERIMENT"]
    assert len(cfg["seeds"]) >= 3 and tuple(cfg["scales"]) == (0.1, 1.0, 10.0)
    res = ns["run_init_experiment"](**cfg)
    small = [fl for fl, _ in res[(0.1, None)]]
    he = [fl for fl, _ in res[(1.0, None)]]
    big = [fl for fl, _ in res[(10.0, None)]]
    assert all(v >= 2.0 for v in small), small  # observed 2.304
    assert all(v < 1.5 for v in he), he  # observed 0.64-0.87: "only He trains"
    assert all(not math.isfinite(v) or v > 10 * CHANCE for v in big), big  # observed inf
    bn = {s: [fl for fl, _ in res[(s, "bn")]] for s in cfg["scales"]}
    assert all(v < 1.8 for s in bn for v in bn[s]), bn  # observed max 1.71 (s = 10)
    assert all(b > h for b, h in zip(bn[10.0], bn[1.0], strict=True)), bn  # observed 1.55-1.71 vs 0.61-0.69
    assert all(a < h for a, h in zip(bn[0.1], bn[1.0], strict=True)), bn  # observed 0.14-0.21 vs 0.61-0.69


def test_batch_size_bn_gn_ln(ns):
    """Experiment 3: "배치 32에서는 세 정규화가 비슷합니다 (평균 test 정확도 0.9 이상). 배치 2에서 BN의 평균
    정확도는 배치 32보다
    0.2 이상 떨어지고, 같은 배치 2에서 GroupNorm과 LayerNorm의 평균이 BN보다 높습니다. ... GN/LN도 배치 2에서는 seed마다
    편차가 크므로 (최소–최대 폭이 0.1 이상 ...)" """
    cfg = ns["BATCH_EXPERIMENT"]
    assert len(cfg["seeds"]) >= 3 and 32 in cfg["batch_sizes"] and 2 in cfg["batch_sizes"]
    res = ns["run_batch_experiment"](**cfg)
    mean = {k: float(np.mean(v)) for k, v in res.items()}
    for norm in ("bn", "gn", "ln"):
        assert mean[(norm, 32)] >= 0.9, mean  # observed 0.955-0.972
    assert mean[("bn", 2)] <= mean[("bn", 32)] - 0.2, mean  # observed 0.61 vs 0.97
    assert mean[("gn", 2)] > mean[("bn", 2)] and mean[("ln", 2)] > mean[("bn", 2)], mean  # observed 0.75, 0.77 vs 0.61
    for norm in ("gn", "ln"):
        accs = res[(norm, 2)]
        assert max(accs) - min(accs) >= 0.1, accs  # observed 0.28, 0.27


def test_pre_vs_post_norm(ns):
    """Experiment 4: "(a) ... Pre-Norm의 마지막 블록 gradient는 깊어질수록 줄어듭니다 (L = 24에서 L = 3의 절반 이하,
    대략 1/sqrt L: 평균 gradient x sqrt L이 네 깊이에서 2배 안쪽으로 비슷합니다).
    Post-Norm의 것은 깊이와 거의 무관하게 유지되어 L = 24에서는 seed마다 Pre-Norm보다 큽니다.
    (b) ... Post-Norm은 seed 3개 모두 chance 근처에 머무르고 (마지막 loss 1.5 이상), Pre-Norm은 seed마다 0.5 아래로
    학습됩니다. ... 그래도 warm-up이 없을 때보다는 seed마다 loss가 낮고 (1.5 미만), 평균으로는 Pre-Norm보다
    높습니다." """
    cfg = ns["NORM_PLACEMENT_EXPERIMENT"]
    assert len(cfg["seeds"]) >= 3 and cfg["L"] == 12 and cfg["warmup"] > 0
    grads, runs = ns["run_norm_placement_experiment"](**cfg)
    pre3, pre24 = np.mean(grads[("Pre-Norm", 3)]), np.mean(grads[("Pre-Norm", 24)])
    post3, post24 = np.mean(grads[("Post-Norm", 3)]), np.mean(grads[("Post-Norm", 24)])
    assert pre24 <= 0.5 * pre3, (pre3, pre24)  # observed 1.57 -> 0.41
    scaled = [np.mean(grads[("Pre-Norm", L)]) * math.sqrt(L) for L in cfg["depths"]]
    assert max(scaled) < 2 * min(scaled), scaled  # "대략 1/sqrt(L)": observed 2.0-2.7
    assert post24 >= 0.6 * post3, (post3, post24)  # observed 0.90 -> 0.76 ("거의 무관")
    assert all(
        po > pr for po, pr in zip(grads[("Post-Norm", 24)], grads[("Pre-Norm", 24)], strict=True)
    )  # 0.68-0.89 vs 0.37-0.46
    fl = ns["final_loss"]
    pre = [fl(losses) for losses, _ in runs["Pre-Norm"]]
    post = [fl(losses) for losses, _ in runs["Post-Norm"]]
    post_wu = [fl(losses) for losses, _ in runs["Post-Norm + warm-up"]]
    assert all(v >= 1.5 for v in post), post  # observed 2.32-2.42
    assert all(v < 0.5 for v in pre), pre  # observed 0.22-0.29
    assert all(w < 1.5 and w < p for w, p in zip(post_wu, post, strict=True)), (post_wu, post)  # observed 0.56-1.13
    assert np.mean(post_wu) > np.mean(pre), (post_wu, pre)  # observed 0.88 vs 0.26
    # "학습률이 작은 처음 40 step 동안은 오히려 빠르게 배웁니다 (seed마다 10-step 이동평균 loss의 최저가 0.5
    # 미만으로, 같은 구간의
    # Pre-Norm보다 낮습니다) ... seed마다 마지막 loss가 warm-up 구간의 최저보다 0.1 이상 높습니다"
    wu = cfg["warmup"]

    def early_min(losses):
        return float(np.convolve(np.asarray(losses[:wu], dtype=float), np.ones(10) / 10, mode="valid").min())

    for (l_wu, _), (l_pre, _) in zip(runs["Post-Norm + warm-up"], runs["Pre-Norm"], strict=True):
        assert early_min(l_wu) < 0.5 and early_min(l_wu) < early_min(l_pre), (
            early_min(l_wu),
            early_min(l_pre),
        )  # 0.33-0.45 vs 0.51-0.65
        assert fl(l_wu) >= early_min(l_wu) + 0.1, (fl(l_wu), early_min(l_wu))  # observed rises 0.19-0.68


def test_gradient_checks_of_every_backward_pass(ns):
    """Section 6: "모두 1e-7보다 작아야 합니다" (the notebook's gradient check of the three backward passes)."""
    for name, errs in ns["gradient_check_all"]().items():
        assert max(errs) < 1e-7, (name, errs)  # observed <= 5e-9
