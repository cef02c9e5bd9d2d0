"""The equity market: AI sentiment, listed firms' market values and the AI index (C10).

Prices move on *news*: each month the log growth of AI demand is compared with the growth
investors expected (the hyperscalers' belief, [F17]); the surprise accumulates into
sentiment, and recent defaults weigh on it:

    log s_t = log s_{t-1} + k * (dlog D_t - g_expected / 12) - k_d * (stress_t - stress_{t-1})

where ``stress`` is the share of the AI economy's debt that defaulted in the last 12
months (``k`` is ``sentiment_sensitivity``, ``k_d``
``sentiment_default_stress_sensitivity``). A listed firm's market value moves by

    log V_t - log V_{t-1} = beta * (log s_t - log s_{t-1}) + drift + sigma * eps

(``drift`` is ``equity_drift_per_month``) and is zero once the firm defaults; private labs'
round valuations move with the same beta and no noise. The AI index is the cap-weighted
value of the listed AI firms relative to step 0 [F18]; 401(k)s hold it. With C10 off,
sentiment stays at 1 and prices do not move.
"""
from __future__ import annotations

import math

import numpy as np

from abm.units import MONTHS_PER_YEAR

__all__ = ["EquityMarket"]


class EquityMarket:
    """Sentiment, market values of listed institutions and the AI index."""

    def __init__(self, *, sensitivity: float, beta: float, volatility_per_month: float,
                 enabled: bool, drift_per_month: float, stress_sensitivity: float):
        """``drift_per_month`` and ``stress_sensitivity`` are the scenario's
        ``equity_drift_per_month`` and ``sentiment_default_stress_sensitivity``."""
        self.sensitivity = sensitivity
        self.beta = beta
        self.sigma = volatility_per_month
        self.enabled = enabled
        self.drift = drift_per_month
        self.stress_sensitivity = stress_sensitivity
        self.sentiment = 1.0
        self._stress = 0.0
        self.index_level = 1.0
        self.index_history = [1.0]          # the AI index at the end of each month
        self.listed: list = []
        self.private: list = []
        self._base_cap = 1.0

    def register(self, firms: list, private: list = ()) -> None:
        """Fix the index constituents and their step-0 total value.

        ``private`` firms (AI labs) are not in the index; their round valuations move with
        sentiment (same beta, no idiosyncratic noise).
        """
        self.listed = list(firms)
        self.private = list(private)
        self._base_cap = sum(f.valuation_usd for f in self.listed) or 1.0

    def update(self, demand_news: float, default_stress: float, rng: np.random.Generator) -> None:
        """Move sentiment and every listed firm's value for one month.

        ``demand_news`` is this month's log demand growth minus the expected monthly growth.
        """
        if not self.enabled:
            return
        dlog_s = self.sensitivity * demand_news - self.stress_sensitivity * (default_stress - self._stress)
        self._stress = default_stress
        self.sentiment *= math.exp(dlog_s)
        eps = rng.standard_normal(len(self.listed))
        for firm, e in zip(self.listed, eps, strict=True):
            if firm.defaulted:
                firm.valuation_usd = 0.0
                continue
            firm.valuation_usd *= math.exp(self.beta * dlog_s + self.drift + self.sigma * e)
        for firm in self.private:
            if not firm.defaulted:
                firm.valuation_usd *= math.exp(self.beta * dlog_s)
        self.index_level = sum(f.valuation_usd for f in self.listed) / self._base_cap

    def close_month(self) -> None:
        """Record the month's closing index level (for returns over time)."""
        self.index_history.append(self.index_level)

    def index_return_12m(self) -> float:
        """The AI index's return over the last 12 months (since step 0 in the first year)."""
        h = self.index_history
        year_ago = -1 - MONTHS_PER_YEAR
        return h[-1] / h[year_ago] - 1.0 if len(h) > MONTHS_PER_YEAR else h[-1] / h[0] - 1.0
