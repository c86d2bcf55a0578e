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

import functools
import math

import numpy as np

from .expect import CheckFailed, as_array

FAIL_PROB = 1e-7


# --------------------------------------------------------------------------------------
# Exact tail quantiles with numpy and the standard library (scipy.stats costs ~2 s to import,
# more than grading a whole notebook). tests/test_engine.py checks them against scipy.
# --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)  # pure; a batch grades the same checks many times
def binom_region(n: int, p: float, fail_prob: float) -> tuple[int, int]:
    """(lo, hi) with P(X < lo) <= fail_prob/2 and P(X > hi) <= fail_prob/2 for X ~ Bin(n, p)."""
    if p <= 0.0 or p >= 1.0:
        k = 0 if p <= 0.0 else n
        return k, k
    mu, sd = n * p, math.sqrt(n * p * (1 - p))
    a, b = max(0, int(mu - 40 * sd - 10)), min(n, int(mu + 40 * sd + 10))  # outside: mass < 1e-300
    k = np.arange(a, b + 1, dtype=np.float64)
    log_c_a = math.lgamma(n + 1) - math.lgamma(a + 1) - math.lgamma(n - a + 1)
    # log C(n, k) from k = a on, by the ratio C(n, k+1)/C(n, k) = (n - k)/(k + 1)
    steps = np.log(n - k[:-1]) - np.log(k[:-1] + 1)
    logc = log_c_a + np.concatenate([[0.0], np.cumsum(steps)])
    logp = logc + k * math.log(p) + (n - k) * math.log1p(-p)
    pmf = np.exp(logp)
    cdf = np.cumsum(pmf)  # P(X <= k)
    sf = np.cumsum(pmf[::-1])[::-1] - pmf  # P(X > k)
    q = fail_prob / 2
    lo = a + int(np.argmax(cdf >= q)) if (cdf >= q).any() else b  # smallest k with P(X <= k) >= q
    hi_idx = np.flatnonzero(sf <= q)
    hi = a + int(hi_idx[0]) if hi_idx.size else b  # smallest k with P(X > k) <= q
    return lo, hi


def normal_isf(q: float) -> float:
    """z with P(Z > z) = q for a standard normal Z."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - q)


def _gammainc(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) (series / continued fraction, Numerical Recipes 6.2)."""
    if x <= 0:
        return 0.0
    gln = math.lgamma(a)
    if x < a + 1:
        ap, total, delta = a, 1.0 / a, 1.0 / a
        for _ in range(100000):
            ap += 1
            delta *= x / ap
            total += delta
            if abs(delta) < abs(total) * 1e-15:
                break
        return total * math.exp(-x + a * math.log(x) - gln)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 100000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return 1.0 - math.exp(-x + a * math.log(x) - gln) * h


@functools.lru_cache(maxsize=4096)
def chi2_ppf(q: float, dof: int) -> float:
    """x with P(chi2(dof) <= x) = q, by bisection on the exact CDF."""
    lo, hi = 0.0, dof + 20 * math.sqrt(2 * dof) + 100
    for _ in range(200):
        mid = (lo + hi) / 2
        if _gammainc(dof / 2, mid / 2) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return (lo + hi) / 2


_erf = np.frompyfunc(math.erf, 1, 1)


PROPORTION_HINT = "확률 p의 의미(drop 확률인지 keep 확률인지)를 확인하세요."


def proportion(
    successes, n, p: float, *, fail_prob: float = FAIL_PROB, name: str = "비율", hint: str = PROPORTION_HINT
) -> None:
    """``successes`` out of ``n`` independent trials with success probability ``p``.

    Accepts iff the count lies in the central binomial region that holds probability
    >= 1 - fail_prob, so a correct implementation fails with probability <= fail_prob.
    """
    k = int(np.sum(successes)) if not isinstance(successes, (int, np.integer)) else int(successes)
    n = int(n)
    lo, hi = binom_region(n, p, fail_prob)
    if not lo <= k <= hi:
        raise CheckFailed(
            f"`{name}`: {n}번 중 {k}번 ({k / n:.4f}) — 기대 확률 {p:g}에서 나올 수 있는 범위 "
            f"[{lo / n:.4f}, {hi / n:.4f}]를 벗어납니다 (올바른 구현이 여기서 실패할 확률 <= {fail_prob:g}). " + hint
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
    upper = np.searchsorted(x, x, side="right") / n  # F_n(x): samples <= x, ties included
    dev = np.abs(upper - f)
    if np.all(np.diff(x) > 0):  # no ties (a continuous F): also the left limits F_n(x-)
        dev = np.maximum(dev, np.abs(f - np.arange(0, n) / n))
    # With ties (a discrete F) only F_n(x) vs F(x) is compared: F(x-) is unknown, and checking
    # fewer points keeps the DKW guarantee, which holds for every distribution.
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
    return lambda x: (
        0.5 * (1.0 + _erf((np.asarray(x, dtype=np.float64) - mean) / (std * math.sqrt(2))).astype(np.float64))
    )


def mean(samples, mu: float, std: float, *, fail_prob: float = FAIL_PROB, name: str = "평균") -> None:
    """Sample mean within z * std / sqrt(n) of ``mu``."""
    x = as_array(samples, name).ravel().astype(np.float64)
    n = x.size
    z = normal_isf(fail_prob / 2)
    half = z * std / math.sqrt(n)
    m = float(np.mean(x))
    if not abs(m - mu) <= half:
        raise CheckFailed(
            f"`{name}`: 표본 {n}개의 평균 {m:.6g} — 기대 {mu:.6g} ± {half:.3g} 범위를 벗어납니다 "
            f"(올바른 구현이 실패할 확률 <= {fail_prob:g})."
        )


def variance_normal(
    samples, var: float, *, fail_prob: float = FAIL_PROB, name: str = "분산", known_mean: float | None = None
) -> None:
    """Normal samples: (n-1) s^2 / var in the central chi-square(n-1) region (chi-square(n) if the mean is known)."""
    x = as_array(samples, name).ravel().astype(np.float64)
    n = x.size
    if known_mean is None:
        dof, ss = n - 1, float(np.sum((x - x.mean()) ** 2))
    else:
        dof, ss = n, float(np.sum((x - known_mean) ** 2))
    lo = chi2_ppf(fail_prob / 2, dof) * var / dof
    hi = chi2_ppf(1 - fail_prob / 2, dof) * var / dof
    s2 = ss / dof
    if not lo <= s2 <= hi:
        raise CheckFailed(
            f"`{name}`: 표본 분산 {s2:.6g} (표준편차 {math.sqrt(s2):.6g}) — 기대 분산 {var:.6g} "
            f"(표준편차 {math.sqrt(var):.6g})에서 나올 수 있는 범위 [{lo:.6g}, {hi:.6g}]를 벗어납니다 "
            f"(카이제곱 구간, 올바른 구현이 실패할 확률 <= {fail_prob:g}). fan_in/fan_out과 gain을 확인하세요."
        )
