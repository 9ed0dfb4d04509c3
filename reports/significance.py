"""Is a change real or noise? Welch's t-test for averages, a two-proportion z-test for shares.

Pure math (no SciPy): Student's t distribution through the regularized
incomplete beta function (continued fraction, Numerical Recipes 6.4).
"""

import math
from dataclasses import dataclass

ALPHA = 0.05


@dataclass(frozen=True)
class Change:
    before: float | None
    after: float | None
    n_before: int
    n_after: int
    p_value: float | None  # None when there is too little data to test

    @property
    def delta(self):
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def significant(self):
        return self.p_value is not None and self.p_value < ALPHA


def _betacf(a, b, x):
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 3e-14:
            break
    return h


def _betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_two_sided_p(t, df):
    return _betainc(df / 2, 0.5, df / (df + t * t))


def normal_two_sided_p(z):
    return math.erfc(abs(z) / math.sqrt(2))


def welch_test(*, mean1, var1, n1, mean2, var2, n2):
    """Two-sided p-value of Welch's t-test (unequal variances); None with fewer than 2 per side."""
    if n1 < 2 or n2 < 2:
        return None
    se2 = var1 / n1 + var2 / n2
    if se2 == 0:
        return 1.0 if mean1 == mean2 else 0.0
    t = (mean2 - mean1) / math.sqrt(se2)
    df = se2**2 / ((var1 / n1) ** 2 / (n1 - 1) + (var2 / n2) ** 2 / (n2 - 1))
    return t_two_sided_p(t, df)


def rating_change(before, after):
    """The change of the average rating between two rating distributions ({1..5: count})."""

    def moments(dist):
        n = sum(dist.values())
        if n == 0:
            return None, 0.0, 0
        mean = sum(r * c for r, c in dist.items()) / n
        var = sum(c * (r - mean) ** 2 for r, c in dist.items()) / (n - 1) if n > 1 else 0.0
        return mean, var, n

    m1, v1, n1 = moments(before)
    m2, v2, n2 = moments(after)
    p = welch_test(mean1=m1, var1=v1, n1=n1, mean2=m2, var2=v2, n2=n2) if n1 > 1 and n2 > 1 else None
    return Change(m1, m2, n1, n2, p)


def share_change(*, part_before, n_before, part_after, n_after):
    """The change of a share (e.g. negative feedback) between two periods: two-proportion z-test."""
    p1 = part_before / n_before if n_before else None
    p2 = part_after / n_after if n_after else None
    if not n_before or not n_after:
        return Change(p1, p2, n_before, n_after, None)
    pooled = (part_before + part_after) / (n_before + n_after)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_before + 1 / n_after))
    if se == 0:
        return Change(p1, p2, n_before, n_after, 1.0)
    return Change(p1, p2, n_before, n_after, normal_two_sided_p((p2 - p1) / se))
