"""End-user demand for AI services (C1): the shock the whole economy answers to.

Monthly demand ``D_t`` (USD per month) diffuses towards a market size ``M`` (logistic
diffusion, Griliches 1957; Bass 1969 without the innovation term): its log-odds
``x_t = log(D_t / (M - D_t))`` grow at a rate that decays from the scenario's initial rate
``g0`` towards its long-run rate ``g_inf`` with e-folding time ``tau`` months, with normal
shocks of volatility ``sigma`` a month and an optional one-off fall:

    g_t = g_inf + (g0 - g_inf) * exp(-t / tau)
    x_t = x_{t-1} + log(1 + g_t) / 12 + sigma * eps_t - sigma^2 / 2
    D_t = M / (1 + exp(-x_t)) * (1 - s * [t = t_shock])

So ``dlog D = (1 - D / M) dx``: while demand is small against ``M`` it grows at ``g_t`` as
before, and it slows as it nears ``M`` and never reaches it (``D_t < M``). ``M`` is
``ai_market_size_bn_per_year`` ([R39]).

Between the bull case of [F17] (growth near 9x in two years) and the bear case of [F18].
A share of demand is earned by hyperscalers' own AI services; the rest is the AI labs'.
"""
from __future__ import annotations

import math

from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["AIDemand"]


class AIDemand:
    """The AI demand path: its current level and history (USD per month)."""

    def __init__(self, usd_per_month: float, *, growth_per_year: float,
                 growth_long_run_per_year: float, growth_decay_months: float,
                 volatility_per_month: float, shock_step: int, shock_size: float,
                 hyperscaler_share: float, market_size_usd_per_month: float = math.inf):
        if not usd_per_month < market_size_usd_per_month:
            raise ValueError("AI demand must start below its market size")
        self.usd_per_month = usd_per_month
        self.market_size_usd_per_month = market_size_usd_per_month
        self.history = [usd_per_month]
        self.growth_per_year = growth_per_year
        self.growth_long_run_per_year = growth_long_run_per_year
        self.growth_decay_months = growth_decay_months
        self.volatility_per_month = volatility_per_month
        self.shock_step = shock_step
        self.shock_size = shock_size
        self.hyperscaler_share = hyperscaler_share

    def step(self, t: int, rng) -> float:
        """Move demand to month ``t`` (one standard normal draw from ``rng``); returns it."""
        g = (self.growth_long_run_per_year
             + (self.growth_per_year - self.growth_long_run_per_year)
             * math.exp(-t / self.growth_decay_months))
        sigma = self.volatility_per_month
        shock = rng.standard_normal() * sigma
        dx = math.log1p(g) / MONTHS_PER_YEAR + shock - 0.5 * sigma ** 2
        self.usd_per_month = self.grown(self.usd_per_month, dx)
        if t == self.shock_step:
            self.usd_per_month *= 1.0 - self.shock_size
        self.history.append(self.usd_per_month)
        return self.usd_per_month

    def grown(self, usd_per_month: float, dx: float) -> float:
        """Demand after its log-odds ``log(D / (M - D))`` rose by ``dx`` (``D * exp(dx)`` if
        ``M`` is infinite)."""
        m = self.market_size_usd_per_month
        if math.isinf(m):
            return usd_per_month * math.exp(dx)
        x = math.log(usd_per_month / (m - usd_per_month)) + dx
        # logistic: m / (1 + exp(-x)), written to avoid overflow for large |x|
        return m / (1.0 + math.exp(-x)) if x > -700 else m * math.exp(x)

    def log_growth_last_month(self) -> float:
        """``log(D_t / D_{t-1})``: this month's realised growth (the equity market's news)."""
        return math.log(self.history[-1] / self.history[-2])

    @property
    def lab_usd(self) -> float:
        """Demand earned by the AI labs this month (USD)."""
        return (1.0 - self.hyperscaler_share) * self.usd_per_month

    @property
    def hyperscaler_usd(self) -> float:
        """Demand earned by hyperscalers' own AI services this month (USD)."""
        return self.hyperscaler_share * self.usd_per_month
