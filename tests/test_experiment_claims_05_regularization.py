"""What 05_regularization's experiments say, asserted by running them with the notebook's settings.

Each test names the sentence of the notebook it backs (section 7). The experiments are numpy MLPs
and scikit-learn trees on the bundled digits; every number comes from the notebook's own function
called with the notebook's own settings constant (see tests/experiments.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from experiments import notebook_namespace

pytestmark = pytest.mark.xdist_group("claims-05_regularization")
AID = "05_regularization"


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(AID)


def test_adam_l2_decay_depends_on_the_gradient_scale_adamw_does_not(ns):
    """7.2 (a): "Adam + L2는 가장자리 픽셀의 행을 decay 없을 때의 몇 %로 지워 버리지만 정보 있는 픽셀의 행은 절반쯤만
    줄입니다. AdamW는 두 그룹을 거의 같은 비율로 줄입니다." """
    r = ns["run_decay_shrink"](**ns["DECAY_SHRINK"])
    quiet, informative = r["Adam + L2"][:, 0], r["Adam + L2"][:, 1]
    assert np.all(quiet < 0.1), quiet  # "몇 %"
    assert np.all((informative > 0.3) & (informative < 0.7)), informative  # "절반쯤"
    ratio = r["AdamW"][:, 0] / r["AdamW"][:, 1]
    assert np.all((ratio > 0.75) & (ratio < 1.15)), ratio  # "거의 같은 비율"


def test_on_this_small_problem_decay_barely_changes_the_best_accuracy(ns):
    """7.2 (b): "어느 방식이든 가장 좋은 칸의 검증 정확도가 decay 없을 때와 0.01 안쪽으로 비슷합니다." """
    grid = ns["run_decay_grid"](**ns["DECAY_GRID"])
    best = {name: acc.mean(-1).max() for name, acc in grid.items()}
    no_decay = grid["AdamW"].mean(-1)[:, 0].max()
    assert ns["DECAY_GRID"]["decays"]["AdamW"][0] == ns["DECAY_GRID"]["decays"]["Adam + L2"][0] == 0.0
    for name, b in best.items():
        assert abs(b - no_decay) < 0.01, (name, b, no_decay)


def test_early_stopping_wins_with_label_noise_and_barely_matters_without(ns):
    """7.3: with 20% label noise the restored best weights beat full training by more than 5 points
    and the weights at the stop already lost accuracy; with clean labels the three are within 0.01."""
    r = ns["run_early_stopping"](**ns["EARLY_STOPPING"])
    noisy, clean = r[0.2], r[0.0]
    assert np.all(noisy[:, 0] - noisy[:, 2] > 0.05), noisy
    assert np.all(noisy[:, 0] > noisy[:, 1]), noisy
    assert np.ptp(clean.mean(0)) < 0.01, clean


def test_bagging_trees_beats_one_tree(ns):
    """7.4: "트리 하나는 ... 0.75 남짓이고, 부트스트랩 트리 하나하나는 그보다 조금 못하지만, 25개의 다수결은 0.9를
    넘습니다." """
    r = ns["run_bagging"](**ns["BAGGING"])
    single, bagged, member = r[:, 0], r[:, 1], r[:, 2]
    assert np.all((single > 0.7) & (single < 0.8)), single
    assert np.all(member < single + 0.01), (member, single)
    assert np.all(bagged > 0.9), bagged


def test_l1_prox_gives_exact_zeros_at_little_cost(ns):
    """7.6: "L1 + proximal step은 가중치의 30% 이상을 정확히 0으로 만들면서도 검증 정확도는 규제 없을 때와 0.01
    안쪽입니다.
    L2는 더 세게 걸어 정확도를 더 잃어도 0에 가까운 가중치는 15% 미만입니다." """
    r, _ = ns["run_sparsity"](**ns["SPARSITY"])
    assert np.all(r["L1 (prox)"][:, 0] > 0.3), r["L1 (prox)"]
    assert abs(r["L1 (prox)"][:, 1].mean() - r["none"][:, 1].mean()) < 0.01, (r["L1 (prox)"], r["none"])
    assert np.all(r["L2"][:, 0] < 0.15), r["L2"]
    assert r["L2"][:, 1].mean() < r["L1 (prox)"][:, 1].mean(), (r["L2"], r["L1 (prox)"])
