"""The 401(k) savers' balances and their time-weighted return index.

Savers' balances change with market values and with new contributions; only the former is a
return. Each month the index is multiplied by ``(B_t - C_t) / B_{t-1}``: this month's total
balance ``B_t`` less the month's contributions ``C_t`` (``month.contributions_usd``) over
last month's total, so contributions never count as returns (a time-weighted return, as
fund performance is reported). The index starts at 1 at step 0.
"""
from __future__ import annotations

import numpy as np

__all__ = ["SaverReturns"]

#: Floor of last month's total balance in the ratio (no saver cohorts: the index stays put).
MIN_TOTAL_USD = 1e-300


class SaverReturns:
    """Savers' balances at the last month's close and their return index since step 0.

    ``balances_usd`` is one balance per saver cohort, in the order of ``savers``;
    ``index`` is the time-weighted return index (1 at step 0).
    """

    def __init__(self, savers):
        self.savers = savers
        self.balances_usd = np.array([s.balance_usd() for s in savers])
        self.index = 1.0

    def close_month(self, contributions_usd: float) -> None:
        """Read the month's closing balances and compound the index (module docstring)."""
        balances = np.array([s.balance_usd() for s in self.savers])
        invested = balances.sum() - contributions_usd
        self.index *= invested / max(self.balances_usd.sum(), MIN_TOTAL_USD)
        self.balances_usd = balances
