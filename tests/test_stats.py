"""The one paired-statistics implementation (models/stats.py): the t interval, the noise rule,
the "no effect" rule with its edge cases (zero variance, fewer than 2 pairs, NaN pairs), and
that compare, validate and the notebooks use this one function."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aicredit.models import stats


def test_known_difference_lies_in_its_interval():
    rng = np.random.default_rng(1)
    a = rng.normal(10.0, 1.0, 200)
    b = a + 2.5 + rng.normal(0.0, 0.5, 200)        # true paired difference 2.5
    s = stats.paired_stats(a, b)
    assert s.n == 200
    assert s.lo < 2.5 < s.hi
    assert s.diff == pytest.approx(2.5, abs=0.15)
    assert s.mean_b - s.mean_a == pytest.approx(s.diff)
    assert s.effect == 1
    assert stats.paired_stats(b, a).effect == -1


def test_interval_is_the_t_interval():
    d = np.array([1.0, 2.0, 3.0, 4.0])
    s = stats.paired_stats(np.zeros(4), d)
    se = np.std(d, ddof=1) / 2
    assert s.se == pytest.approx(se)
    assert s.hi - s.diff == pytest.approx(3.182446 * se, rel=1e-5)     # t(0.975, 3)
    assert s.diff - s.lo == pytest.approx(3.182446 * se, rel=1e-5)


def test_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        a = rng.normal(0, 1, 8)
        s = stats.paired_stats(a, a + 1.0 + rng.normal(0, 2, 8))
        hits += s.lo <= 1.0 <= s.hi
    assert 0.91 <= hits / 400 <= 0.99


def test_the_interval_decides_not_two_standard_errors():
    """On 4 pairs a difference 2.5 standard errors from 0 is an effect by ``mean ± 2 se`` (the
    tests' old rule) but not by the t interval (t(0.975, 3) = 3.18): the t interval wins."""
    d = np.array([0.5, 1.5, 2.5, 3.5])
    se = d.std(ddof=1) / 2
    shift = 2.5 * se - d.mean()
    s = stats.paired_stats(np.zeros(4), d + shift)
    assert s.diff == pytest.approx(2.5 * s.se)
    assert s.diff - 2 * s.se > 0                       # two standard errors: "an effect"
    assert s.lo < 0 < s.hi and s.effect == 0           # the rule: no effect detected


def test_zero_difference_is_no_effect_and_noise_is_zero():
    a = np.array([1.0, 2.0, 3.0])
    s = stats.paired_stats(a, a.copy())
    assert s.all_zero and s.diff == 0 and s.effect == 0
    noisy = stats.paired_stats(a, a * (1 + 1e-13))     # reordered float sums
    assert noisy.all_zero and noisy.effect == 0
    above = stats.paired_stats(a, a * (1 + 1e-6))      # above the noise: a real, tiny difference
    assert not above.all_zero


def test_zero_variance_is_an_effect_of_the_constant_sign():
    """Every pair differs by the same c: the interval is the point [c, c], which excludes 0."""
    a = np.array([1.0, 2.0, 3.0, 4.0])
    s = stats.paired_stats(a, a - 0.25)
    assert s.se == 0 and s.lo == s.hi == pytest.approx(-0.25)
    assert s.effect == -1 and not s.all_zero
    n, m, lo, hi = stats.mean_ci([2.0, 2.0, 2.0])
    assert (n, m, lo, hi) == (3, 2.0, 2.0, 2.0)


def test_an_interval_touching_zero_is_no_effect():
    s = stats.Stats(n=4, mean_a=0, mean_b=1, diff=1, se=0.5, lo=0.0, hi=2.0, all_zero=False)
    assert s.effect == 0
    s = stats.Stats(n=4, mean_a=0, mean_b=-1, diff=-1, se=0.5, lo=-2.0, hi=0.0, all_zero=False)
    assert s.effect == 0


def test_interval_including_zero_is_no_effect_detected():
    s = stats.paired_stats([0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 0.5, -0.4])
    assert s.lo < 0 < s.hi and s.effect == 0 and not s.all_zero


def test_nan_pairs_are_dropped_and_one_pair_has_no_interval():
    a = [5.0, 6.0, math.nan, 7.0, 8.0]
    b = [3.0, 4.1, 1.0, 4.9, 6.0]
    s = stats.paired_stats(a, b)
    assert s.n == 4 and s.hi < 0 and s.effect == -1
    one = stats.paired_stats([1.0], [2.0])
    assert one.n == 1 and math.isnan(one.lo) and one.effect == 0
    none = stats.paired_stats([math.nan], [1.0])
    assert none.n == 0 and math.isnan(none.diff) and none.effect == 0
    with pytest.raises(ValueError, match="different lengths"):
        stats.paired_stats([1.0, 2.0], [1.0])


def test_series_are_paired_on_their_common_seeds():
    a = pd.Series([1.0, 2.0, 3.0, 9.0], index=[0, 1, 2, 5])
    b = pd.Series([4.0, 3.5, 2.5], index=[2, 1, 0])       # other order, seed 5 missing
    s = stats.paired_stats(a, b)
    assert s.n == 3
    assert s.diff == pytest.approx(np.mean([2.5 - 1.0, 3.5 - 2.0, 4.0 - 3.0]))


def test_mean_ci_is_the_paired_interval_of_the_differences():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 12), rng.normal(0.3, 1, 12)
    n, m, lo, hi = stats.mean_ci(b - a)
    s = stats.paired_stats(a, b)
    assert n == s.n and m == pytest.approx(s.diff) and lo == pytest.approx(s.lo)
    assert hi == pytest.approx(s.hi)
    assert stats.mean_ci([]) [0] == 0 and math.isnan(stats.mean_ci([1.0])[2])


def test_one_implementation_is_used_everywhere():
    from aicredit.models import compare, validate
    from aicredit.models.validation import run
    assert compare.mean_ci is stats.mean_ci
    assert validate.paired_stats is stats.paired_stats
    assert run.paired_stats is stats.paired_stats
