"""Distribution checks for random operations, each with a stated false-failure probability.

A correct sampler fails one of these checks with probability at most ``fail_prob``
(default 1e-7), whatever order it draws its random numbers in. That is how random
operations are graded: by distribution, never by matching a seed.

- :func:`proportion`: an exact two-sided binomial acceptance region (no normal approximation).
- :func:`dkw`: the Dvoretzky-Kiefer-Wolfowitz-Massart bound on the empirical CDF,
  P(sup|F_n - F| > eps) <= 2 exp(-2 n eps^2).
- :func:`mean`: a z-bound on the sample mean when the population std is known
  (exact for normal samples; for others the CLT, so use n >= 1000).
- :func:`variance_normal`: the chi-square acceptance region of (n-1) s^2 / sigma^2 for normal samples.
"""

from __future__ import annotations

import math

import numpy as np

from .expect import CheckFailed, as_array

FAIL_PROB = 1e-7


def _scipy_stats():
    from scipy import stats as st  # imported lazily: only distribution checks need it

    return st


def proportion(successes, n, p: float, *, fail_prob: float = FAIL_PROB, name: str = "비율") -> None:
    """``successes`` out of ``n`` independent trials with success probability ``p``.

    Accepts iff the count lies in the central binomial region that holds probability
    >= 1 - fail_prob, so a correct implementation fails with probability <= fail_prob.
    """
    k = int(np.sum(successes)) if not isinstance(successes, (int, np.integer)) else int(successes)
    n = int(n)
    st = _scipy_stats()
    lo = int(st.binom.ppf(fail_prob / 2, n, p))
    hi = int(st.binom.isf(fail_prob / 2, n, p))
    if not lo <= k <= hi:
        raise CheckFailed(
            f"`{name}`: {n}번 중 {k}번 ({k / n:.4f}) — 기대 확률 {p:g}에서 나올 수 있는 범위 "
            f"[{lo / n:.4f}, {hi / n:.4f}]를 벗어납니다 (올바른 구현이 여기서 실패할 확률 <= {fail_prob:g}). "
            "확률 p의 의미(drop 확률인지 keep 확률인지)를 확인하세요."
        )


def dkw(samples, cdf, *, fail_prob: float = FAIL_PROB, name: str = "표본", what: str = "") -> None:
    """Empirical CDF of ``samples`` within the DKW band of the reference ``cdf`` (a callable)."""
    x = np.sort(as_array(samples, name).ravel().astype(np.float64))
    n = x.size
    if n < 100:
        raise ValueError("dkw needs at least 100 samples")
    if not np.all(np.isfinite(x)):
        raise CheckFailed(f"`{name}`: 표본에 NaN 또는 inf가 있습니다.")
    eps = math.sqrt(math.log(2 / fail_prob) / (2 * n))
    f = np.asarray(cdf(x), dtype=np.float64)
    upper = np.arange(1, n + 1) / n
    lower = np.arange(0, n) / n
    dev = np.maximum(np.abs(upper - f), np.abs(f - lower))
    i = int(np.argmax(dev))
    if dev[i] > eps:
        raise CheckFailed(
            f"`{name}`: 표본 {n}개의 분포가 {what or '기대 분포'}와 다릅니다 — 경험적 CDF와의 최대 차이 "
            f"{dev[i]:.4f} (x = {x[i]:.6g}에서), 허용 {eps:.4f} "
            f"(DKW 부등식, 올바른 구현이 실패할 확률 <= {fail_prob:g})."
        )


def uniform_cdf(low: float, high: float):
    return lambda x: np.clip((np.asarray(x) - low) / (high - low), 0.0, 1.0)


def normal_cdf(mean: float, std: float):
    st = _scipy_stats()
    return lambda x: st.norm.cdf(x, loc=mean, scale=std)


def mean(samples, mu: float, std: float, *, fail_prob: float = FAIL_PROB, name: str = "평균") -> None:
    """Sample mean within z * std / sqrt(n) of ``mu``."""
    x = as_array(samples, name).ravel().astype(np.float64)
    n = x.size
    z = _scipy_stats().norm.isf(fail_prob / 2)
    half = z * std / math.sqrt(n)
    m = float(np.mean(x))
    if not abs(m - mu) <= half:
        raise CheckFailed(
            f"`{name}`: 표본 {n}개의 평균 {m:.6g} — 기대 {mu:.6g} ± {half:.3g} 범위를 벗어납니다 "
            f"(올바른 구현이 실패할 확률 <= {fail_prob:g})."
        )


def variance_normal(samples, var: float, *, fail_prob: float = FAIL_PROB, name: str = "분산",
                    known_mean: float | None = None) -> None:
    """Normal samples: (n-1) s^2 / var in the central chi-square(n-1) region (chi-square(n) if the mean is known)."""
    x = as_array(samples, name).ravel().astype(np.float64)
    n = x.size
    st = _scipy_stats()
    if known_mean is None:
        dof, ss = n - 1, float(np.sum((x - x.mean()) ** 2))
    else:
        dof, ss = n, float(np.sum((x - known_mean) ** 2))
    lo = st.chi2.ppf(fail_prob / 2, dof) * var / dof
    hi = st.chi2.isf(fail_prob / 2, dof) * var / dof
    s2 = ss / dof
    if not lo <= s2 <= hi:
        raise CheckFailed(
            f"`{name}`: 표본 분산 {s2:.6g} (표준편차 {math.sqrt(s2):.6g}) — 기대 분산 {var:.6g} "
            f"(표준편차 {math.sqrt(var):.6g})에서 나올 수 있는 범위 [{lo:.6g}, {hi:.6g}]를 벗어납니다 "
            f"(카이제곱 구간, 올바른 구현이 실패할 확률 <= {fail_prob:g}). fan_in/fan_out과 gain을 확인하세요."
        )
