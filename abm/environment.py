"""The month's environment, the first stage of a month: what institutions react to.

In this order (each step reads what the one before it set):

1. AI demand moves (:meth:`abm.demand.AIDemand.step`, its own random stream).
2. The GPU market observes what labs and hyperscalers' own services spend on compute
   (:class:`abm.markets.compute_demand.ComputeBuyers`) and the installed fleet, and sets the
   demand ratio, utilisation, the reference rental rate and GPU values from expected rents
   (:class:`abm.markets.gpu.GPUMarket`); the month's trading price starts at the reference price.
3. AI sentiment and listed firms' values are updated (:meth:`abm.markets.equity.EquityMarket.update`)
   on the month's *news*, demand's realised log growth less the growth hyperscalers expected
   (their mean expected yearly growth, per month), and the *believed growth*, what that
   mean expectation makes of a year (``expm1``, the belief in exponential growth [F17]).
4. Private credit's tech borrowers earn their share of AI spending, default when their cash
   flows fail, and the tech loans are marked to fair value
   (:func:`abm.tech_credit.tech_credit_month`); then the insurers' placements to the same
   borrowers migrate between NAIC designations and default (:func:`abm.placements.placements_month`).
"""
from __future__ import annotations

import numpy as np

from aicredit.abm.default import default_stress
from aicredit.abm.economy import Economy
from aicredit.abm.markets.gpu import units_outstanding
from aicredit.abm.placements import placements_month
from aicredit.abm.tech_credit import tech_credit_month
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["ai_news", "environment_month"]


def ai_news(economy: Economy) -> tuple[float, float]:
    """The month's AI news and believed growth per year (module docstring, item 3).

    Both are 0 once every hyperscaler has failed (no one left whose belief is priced).
    """
    expected = [h.expected_growth for h in economy.hyperscalers if not h.defaulted]
    news = economy.demand.log_growth_last_month() - (
        float(np.mean(expected)) / MONTHS_PER_YEAR if expected else 0.0)
    believed = float(np.expm1(np.mean(expected))) if expected else 0.0      # [F17]
    return news, believed


def environment_month(economy: Economy) -> None:
    """Demand, GPU reference prices, sentiment and equity values, tech credit (in that order)."""
    t = economy.steps
    economy.demand.step(t, economy.demand_rng)
    units = units_outstanding(economy.institutions)
    economy.gpu_market.observe(t, units, economy.compute_buyers.spending_usd(economy))
    economy.gpu_market.update_reference(t)
    economy.gpu_market.observe_volatility(t, economy.p.gpu_margin_volatility_decay, units)
    news, believed = ai_news(economy)
    economy.equity_market.update(news, default_stress(economy), believed, economy.equity_rng)
    economy.gpu_market.price = economy.gpu_market.ref_price.copy()
    tech_credit_month(economy)
    placements_month(economy)
