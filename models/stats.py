"""Paired-seed statistics: the one implementation of a mean with its confidence interval, of a
paired difference between two arms run with the same seeds, and of the rule that decides
whether a difference is an effect.

Used by the validation report (:mod:`aicredit.models.validation`), ``aicredit compare``
(:mod:`aicredit.models.compare`), the notebooks and the tests' paired-seed sign checks, so
that all of them call the same difference an effect.

The rule (:attr:`Stats.effect`)
-------------------------------
For pairs ``(a_i, b_i)`` (the same seed in arm A and arm B) the differences are
``d_i = b_i - a_i``; a pair with a NaN or an infinity on either side is dropped.

1. **Floating-point noise is zero.** A difference no larger than :data:`NOISE` (1e-9) times
   the larger of ``|a_i|`` and ``|b_i|`` is set to exactly 0 (a switch that only reorders a
   sum changes the last bits, not the economics).
2. **Exactly no effect.** When every difference is then 0, :attr:`Stats.all_zero` is true and
   :attr:`Stats.effect` is ``0``: the change does nothing to this output.
3. **Fewer than two pairs:** no interval (NaN bounds); :attr:`Stats.effect` is ``0``.
4. **The t interval decides.** Otherwise the ``level`` (95%) confidence interval of the mean
   difference is ``mean ± t(0.5 + level/2, n - 1) · sd(d) / sqrt(n)`` (Student's t, ``sd``
   with ``n - 1``). The difference is an effect, of the interval's sign, when the interval
   excludes 0 (``lo > 0``: ``+1``; ``hi < 0``: ``-1``); when it contains 0 (bounds included)
   it is "no effect detected" (``0``).
5. **Zero variance.** When every difference equals the same non-zero ``c`` (a deterministic
   change), the standard error is 0 and the interval is the single point ``[c, c]``, which
   excludes 0: an effect of the sign of ``c``, however small ``c`` is (above rule 1's noise).

Earlier, the validation report used this t interval, the tests ``mean ± 2 se`` or
``mean > 3 se`` and the notebooks a t interval without the noise rule; on differences near
the noise level or on few seeds they could disagree. This module's rule is the one.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["NOISE", "LEVEL", "Stats", "mean_ci", "paired_stats"]

#: Relative size of a paired difference treated as floating-point noise (exactly no effect).
NOISE = 1e-9
#: The default confidence level.
LEVEL = 0.95


@dataclasses.dataclass(frozen=True)
class Stats:
    """The paired comparison of arm B with arm A over ``n`` seeds.

    Attributes
    ----------
    n : int
        Pairs used (both values finite).
    mean_a, mean_b : float
        Means of A and of B over those pairs.
    diff : float
        Mean paired difference ``B - A`` (after the noise rule).
    se : float
        Its standard error (NaN for fewer than 2 pairs).
    lo, hi : float
        Its confidence interval (NaN for fewer than 2 pairs).
    all_zero : bool
        Every paired difference is exactly 0 (after the noise rule).
    """

    n: int
    mean_a: float
    mean_b: float
    diff: float
    se: float
    lo: float
    hi: float
    all_zero: bool

    @property
    def effect(self) -> int:
        """``+1`` or ``-1`` when the interval excludes 0 on that side, else ``0`` (no effect,
        no effect detected, or fewer than 2 pairs): the rule of the module docstring."""
        if self.all_zero or self.n < 2 or not math.isfinite(self.lo):
            return 0
        if self.lo > 0:
            return 1
        if self.hi < 0:
            return -1
        return 0


def _t_half_width(x: np.ndarray, level: float) -> tuple[float, float]:
    """Standard error of the mean of ``x`` and the half-width of its t interval."""
    from scipy.stats import t as student_t
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    return se, float(student_t.ppf(0.5 + level / 2, x.size - 1)) * se


def mean_ci(values, level: float = LEVEL) -> tuple[int, float, float, float]:
    """The mean of the finite ``values`` with its Student-t confidence interval.

    Parameters
    ----------
    values : array-like
        The sample; NaN and infinite values are dropped.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    tuple
        ``(n, mean, low, high)``; NaN bounds for fewer than 2 values (NaN mean for none). With
        zero variance the interval is the single point ``[mean, mean]``.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0, math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return int(x.size), m, math.nan, math.nan
    half = _t_half_width(x, level)[1]
    return int(x.size), m, m - half, m + half


def _aligned(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Two pandas Series are paired on their common index (seeds), in sorted order; anything
    else pairs by position."""
    if hasattr(a, "index") and hasattr(b, "index") and hasattr(a, "loc"):
        common = a.index.intersection(b.index).sort_values()
        a, b = a.loc[common], b.loc[common]
    return np.asarray(a, dtype=float), np.asarray(b, dtype=float)


def paired_stats(a, b, level: float = LEVEL) -> Stats:
    """The paired comparison of ``b`` with ``a`` (the same seed at the same position, or on the
    same index label for two pandas Series).

    Parameters
    ----------
    a, b : array-like or pandas.Series
        Arm A's and arm B's value per seed.
    level : float
        Confidence level of the interval (default 0.95).

    Returns
    -------
    Stats
        Means, the mean difference ``b - a``, its standard error and t interval; its
        :attr:`Stats.effect` applies the module's rule.
    """
    a, b = _aligned(a, b)
    if a.shape != b.shape:
        raise ValueError(f"paired_stats: arms of different lengths ({a.size} and {b.size})")
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(a.size)
    if n == 0:
        return Stats(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, False)
    d = b - a
    d[np.abs(d) <= NOISE * np.maximum(np.abs(a), np.abs(b))] = 0.0
    mean = float(d.mean())
    all_zero = bool(np.all(d == 0))
    if n < 2:
        return Stats(n, float(a.mean()), float(b.mean()), mean, math.nan, math.nan, math.nan, all_zero)
    se, half = _t_half_width(d, level)
    return Stats(n, float(a.mean()), float(b.mean()), mean, se, mean - half, mean + half, all_zero)
