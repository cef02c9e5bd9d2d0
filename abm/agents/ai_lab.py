"""AI labs (OpenAI, Anthropic, xAI, smaller labs): revenue from AI demand, costs in compute.

Rules, each month:
- Revenue is the lab's share of end-user AI demand [F15, F16] (C1).
- Costs are take-or-pay compute contracts with clouds [F14] plus operating costs; the
  contracts are settled in the month's payment clearing, so a lab that cannot pay pays
  what it can and defaults on the rest, hitting its clouds' revenue (C1).
- When its runway (cash over monthly burn) is shorter than ``lab_runway_months_min`` it
  plans an equity round for what it lacks of ``lab_round_months`` more than that, at most one every
  ``lab_round_interval_months``; outside investors fund a share that follows AI sentiment and
  its revenue against its costs [F18], at the pace of its burn since its last round (staged
  financing), within the size limit and cost of new shares (:func:`abm.funding.lab_round_usd`,
  :func:`abm.funding.sell_new_shares`). Chipmaker and
  hyperscaler investments are scheduled from the facts [F13] (C8).
- Rolling compute contracts are renewed each year, scaled by the lab's revenue growth.
"""
from __future__ import annotations

from aicredit.abm.agents.base import Institution
from aicredit.abm.economy import Economy
from aicredit.abm.funding import round_open
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["AILab"]


class AILab(Institution):
    sector = "ai_lab"

    def __init__(self, model: Economy, name: str, demand_share: float, opex_share: float,
                 valuation_usd: float):
        super().__init__(model, name)
        self.demand_share = demand_share
        self.opex_share = opex_share          # operating costs as a share of total spending
        self.valuation_usd = valuation_usd
        self.revenue_usd = 0.0
        self.revenue_history: list[float] = []
        self.round_plan_usd = 0.0
        self.last_round_step: int | None = None   # month of its last equity round (abm.funding)
        self.equity_issues: list[tuple[int, float]] = []   # (month, proceeds) of its share sales

    # --- income and costs ---------------------------------------------------------------
    def month_income(self) -> None:
        self.revenue_usd = self.demand_share * self.model.demand.lab_usd
        self.receive("end_customers", self.revenue_usd, "ai_revenue")
        self.revenue_history.append(self.revenue_usd)

    def earnings_usd(self) -> float:
        """The base of its round valuation (C10): revenue (labs make losses [F15])."""
        return self.revenue_usd

    def compute_due_usd(self) -> float:
        step = self.model.steps
        return sum(c.due_usd(step) for c in self.claims_issued("compute_contract"))

    def compute_spending_usd(self) -> float:
        """Compute bought this month: the payments of its compute contracts that run this
        month, arrears aside (read by the GPU market's demand, abm.markets.compute_demand)."""
        step = self.model.steps
        return sum(c.payment_usd_per_month for c in self.claims_issued("compute_contract")
                   if c.active(step))

    def obligations_to_outside(self) -> dict[str, float]:
        compute = self.compute_due_usd()
        return {"suppliers": compute * self.opex_share / (1.0 - self.opex_share)}

    def monthly_burn_usd(self) -> float:
        costs = self.compute_due_usd() / (1.0 - self.opex_share)
        return max(0.0, costs - self.revenue_usd)

    # --- decisions ---------------------------------------------------------------------
    def decide(self) -> None:
        """Plan an equity round when the runway is short."""
        p = self.model.p
        burn = self.monthly_burn_usd()
        self.round_plan_usd = 0.0
        if burn > 0 and self.cash_usd < p.lab_runway_months_min * burn and round_open(self.model, self):
            # to a runway of lab_runway_months_min + lab_round_months
            self.round_plan_usd = (p.lab_runway_months_min + p.lab_round_months) * burn - self.cash_usd

    def renewal_factor(self, contract) -> float | None:
        """Renew a rolling compute contract scaled by the lab's revenue growth over a year (C1)."""
        hist = self.revenue_history
        p = self.model.p
        year_ago = -1 - MONTHS_PER_YEAR
        growth = hist[-1] / hist[year_ago] if len(hist) > MONTHS_PER_YEAR and hist[year_ago] > 0 else 1.0
        return min(max(growth, p.contract_renewal_scale_min), p.lab_renewal_scale_max)
