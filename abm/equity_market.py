"""The equity market: AI sentiment, listed firms' market values and the AI index (C10).

Sentiment ``s`` summarises investors' view of AI: ``s = (D / D_expected) ** k * exp(-stress)``
where ``D / D_expected`` is realised over expected AI demand and ``stress`` the share of
the AI economy's debt that defaulted in the last 12 months, times 10. A listed firm's
market value moves each month by

    log V_t - log V_{t-1} = beta * (log s_t - log s_{t-1}) + drift + sigma * eps

and is zero once the firm defaults. The AI index is the cap-weighted value of the listed
AI firms relative to step 0 [F18]; 401(k)s hold it. With C10 off, sentiment stays at 1 and
prices do not move.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["EquityMarket"]


class EquityMarket:
    """Sentiment, market values of listed institutions and the AI index."""

    def __init__(self, *, sensitivity: float, beta: float, volatility_per_month: float,
                 enabled: bool, drift_per_month: float = 0.005):
        self.sensitivity = sensitivity
        self.beta = beta
        self.sigma = volatility_per_month
        self.enabled = enabled
        self.drift = drift_per_month
        self.sentiment = 1.0
        self.index_level = 1.0
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

    def update(self, demand_surprise: float, default_stress: float, rng: np.random.Generator) -> None:
        """Move sentiment and every listed firm's value for one month."""
        if not self.enabled:
            return
        new = max(demand_surprise, 1e-9) ** self.sensitivity * math.exp(-10.0 * default_stress)
        dlog_s = math.log(new) - math.log(self.sentiment)
        self.sentiment = new
        eps = rng.standard_normal(len(self.listed))
        for firm, e in zip(self.listed, eps):
            if firm.defaulted:
                firm.valuation_usd = 0.0
                continue
            firm.valuation_usd *= math.exp(self.beta * dlog_s + self.drift + self.sigma * e)
        for firm in self.private:
            if not firm.defaulted:
                firm.valuation_usd *= math.exp(self.beta * dlog_s)
        self.index_level = sum(f.valuation_usd for f in self.listed) / self._base_cap
