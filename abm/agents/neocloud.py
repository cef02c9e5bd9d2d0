"""Neoclouds (CoreWeave [F1-F10] and smaller ones): GPUs bought on credit, rented out.

Rules, each month:
- Revenue comes from a few concentrated customers' compute contracts [F9, F2]; a
  hyperscaler may let its contract lapse at renewal when AI revenue disappoints (C2).
- Costs: data-centre leases [F8], power and staff (per GPU unit), debt service on
  GPU-backed loans [F23], all settled in the month's payment clearing.
- Capex follows expected AI demand (like the hyperscalers'); new GPUs are bought with a
  GPU-backed loan at the origination LTV (:func:`abm.gpu_lending.origination_ltv`) from
  private-credit funds and cash for the rest, only if cash stays above a buffer of
  ``neocloud_cash_buffer_months`` of costs.
- Short-dated loans must be rolled over by lenders (C4, [F6]); collateral falling in
  value brings margin calls in the fire sale (C3, [F25]).
- When cash covers fewer than ``neocloud_raise_trigger_months`` of costs it plans to sell
  ``neocloud_raise_months`` of costs in new shares; outside investors fund
  a share that follows sentiment, the chipmaker takes part (C8, [F10]), and the sale is priced
  and limited by its market value, the issuance cost and its debt overhang
  (:func:`abm.funding.sell_new_shares`). A rollover lenders refuse may be replaced by new
  shares only within the same limits (:func:`abm.funding.refinance_with_equity`).
"""
from __future__ import annotations

from aicredit.abm.agents.base import Institution
from aicredit.abm.agents.hyperscaler import mean_expected_demand_ratio
from aicredit.abm.economy import Economy
from aicredit.abm.gpu_lending import origination_ltv
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["Neocloud"]

#: Smallest own share of a GPU purchase (guards the division when the LTV is 1).
MIN_OWN_SHARE = 1e-9


class Neocloud(Institution):
    sector = "neocloud"
    listed = True

    def __init__(self, model: Economy, name: str, index: int, capex_usd_per_month: float,
                 opex_usd_per_unit_month: float, market_cap_usd: float):
        super().__init__(model, name)
        self.index = index                # position in the GPU-loan book's borrower axis
        self.capex0_usd_per_month = capex_usd_per_month
        self.opex_usd_per_unit_month = opex_usd_per_unit_month
        self.valuation_usd = market_cap_usd
        self.capex_plan_usd = 0.0
        self.loan_request_usd = 0.0
        self.raise_plan_usd = 0.0
        self.equity_issues: list[tuple[int, float]] = []   # (month, proceeds) of its share sales
        self.revenue_usd = 0.0
        self.revenue0_usd: float | None = None   # contracted revenue at its first plan (capex scale)

    def gpu_loans_owed_usd(self) -> float:
        return float(self.model.gpu_loans.debt_by("borrower", len(self.model.neoclouds))[self.index])

    def obligations_to_outside(self) -> dict[str, float]:
        return {"suppliers": self.opex_usd_per_unit_month * float(self.gpu_units.sum())}

    def contracted_revenue_usd(self) -> float:
        """Compute contracts paying this month."""
        step = self.model.steps
        return sum(c.payment_usd_per_month for c in self.claims_held("compute_contract") if c.active(step))

    def earnings_usd(self) -> float:
        """The base of its market value (C10): contracted revenue. Neoclouds make no profit yet
        [F3]; investors value them on revenue, the long-run margin being in the multiple."""
        return self.contracted_revenue_usd()

    def monthly_costs_usd(self) -> float:
        m = self.model
        step = m.steps
        contracts = sum(c.due_usd(step) for c in self.claims_issued())
        debt = self.gpu_loans_owed_usd()
        debt_service = debt * (m.p.gpu_loan_rate_per_year / MONTHS_PER_YEAR
                               + 1.0 / m.p.gpu_loan_amortisation_months)
        return contracts + debt_service + sum(self.obligations_to_outside().values())

    def decide(self) -> None:
        m = self.model
        costs = self.monthly_costs_usd()
        buffer = m.p.neocloud_cash_buffer_months * costs
        # build for expected demand, but no faster than contracted revenue grows [F4]
        revenue = self.contracted_revenue_usd()
        self.revenue0_usd = self.revenue0_usd or revenue or 1.0
        ratio = min(mean_expected_demand_ratio(m.hyperscalers), revenue / self.revenue0_usd)
        planned = self.capex0_usd_per_month * max(ratio, 0.0)
        ltv = origination_ltv(m)
        own_share = max(1.0 - ltv, MIN_OWN_SHARE)
        affordable = max(0.0, self.cash_usd - buffer) / own_share
        self.capex_plan_usd = min(planned, affordable)
        self.loan_request_usd = ltv * self.capex_plan_usd
        self.raise_plan_usd = 0.0
        if self.cash_usd < m.p.neocloud_raise_trigger_months * costs:     # a financing need
            self.raise_plan_usd = m.p.neocloud_raise_months * costs

    def invest(self, loan_usd: float) -> None:
        """Buy GPUs with the loan granted plus own cash; pledge them to the lenders."""
        granted_share = loan_usd / self.loan_request_usd if self.loan_request_usd > 0 else 0.0
        spend = self.capex_plan_usd * granted_share
        self.buy_gpus(spend)
