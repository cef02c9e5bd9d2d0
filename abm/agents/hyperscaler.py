"""Hyperscalers (Microsoft, Amazon, Google, Meta, Oracle): outside cash flow, AI capex.

Rules, each month:
- Income: a legacy business's operating cash flow, their own AI services' share of AI
  demand, and labs' compute contracts [F14].
- Capex is committed ahead (:class:`abm.capex_pipeline.CapexPipeline`): this month's capex
  is the instalments of orders placed earlier (GPUs over ``hyperscaler_gpu_lead_months``,
  data centres over ``hyperscaler_dc_lead_months`` [R40]), so it cannot drop to zero in a
  month. New orders follow the AI demand they expect a year ahead and their cost of capital:
  ``O_t = capex0 * E_t / E_0 * (u_0 / u_t)^eps`` with ``E_t = D_t * exp(g_t)``; the believed
  growth ``g_t`` starts at the scenario's conviction in exponential growth [F17] and adapts
  to realised growth at the learning rate; ``u = coupon + spread + depreciation`` is the
  user cost of capital (Jorgenson 1963) at this month's rating, ``eps`` its elasticity
  (``hyperscaler_capex_cost_elasticity``, Gilchrist and Zakrajsek 2007): a downgrade cuts
  new orders. GPU orders are capped by what chipmakers can supply, data-centre orders by
  the power that can be connected, each growing at most at a documented rate from step 0
  (``chip_supply_growth_max_per_year``, ``power_capacity_growth_max_per_year`` [R40]). A
  share buys GPUs from the chipmaker, the rest builds data centres; part of those is
  financed off balance sheet through SPVs [F20] (C9).
- They rent capacity from neoclouds [F9] and let those contracts lapse, or walk away from
  SPV leases at renewal, when AI revenue disappoints (``disappointment`` below the
  walk-away threshold) (C2, C9).
- They issue bonds when cash runs short. Lenders and rating agencies see *visible* debt:
  on-balance-sheet debt, plus the debt of the SPVs that lease to the hyperscaler only under
  the consolidation policy (C11); without it the SPV debt is off balance sheet [F20, F21].
  Their rating (:class:`abm.constraints.RatingGrid`) is the worse of S&P's leverage grid at
  visible debt plus any book-equity deficit over yearly operating cash flow [R27] and the
  market's Merton distance to default from their market value [R41]; it sets the credit
  spread of new bonds (their coupon is the best-rated coupon plus the spread at the rating
  after the issue) and so the user cost of capital that scales new capex orders. Borrowing
  room is visible debt up to ``hyperscaler_max_debt_to_cash_flow`` times cash flow
  (:class:`abm.constraints.DebtToCashFlow`), so capex is bounded by what they can finance;
  they pay out cash above a target.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.agents.base import Institution
from aicredit.abm.capex_pipeline import CapexPipeline
from aicredit.abm.claims import Contract, Debt
from aicredit.abm.constraints import DebtToCashFlow, RatingGrid
from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["Hyperscaler", "mean_expected_demand_ratio", "aggregate_leverage"]


class Hyperscaler(Institution):
    sector = "hyperscaler"
    listed = True

    def __init__(self, model: Economy, name: str, capex_usd_per_month: float, legacy_usd_per_month: float,
                 ai_service_share: float, market_cap_usd: float):
        super().__init__(model, name)
        self.capex0_usd_per_month = capex_usd_per_month
        self.legacy_usd_per_month = legacy_usd_per_month
        self.ai_service_share = ai_service_share
        self.valuation_usd = market_cap_usd
        # believed growth as a log rate per year: 1.0 in the scenario (100%/yr) is log(2)
        self.expected_growth = math.log1p(model.p.hyperscaler_expected_growth_per_year)
        self.expected_demand0 = model.demand.usd_per_month * math.exp(self.expected_growth)
        self.expected_history: list[float] = []   # demand expected a year ahead, each month
        self.growth_history: list[float] = []     # believed growth rate, each month
        self.capex_plan_usd = 0.0
        self.bond_plan_usd = 0.0
        self.payout_plan_usd = 0.0
        self.capex_usd = 0.0
        self.spv_pipeline_usd = 0.0     # data-centre capex waiting to be financed by an SPV
        self.ai_revenue_usd = 0.0
        p = model.p
        self.leverage_rule = DebtToCashFlow(max_ratio=p.hyperscaler_max_debt_to_cash_flow)
        self.rating = RatingGrid.from_params(p)
        self.pipeline = CapexPipeline(capex_usd_per_month, p.gpu_capex_share,
                                      p.hyperscaler_gpu_lead_months, p.hyperscaler_dc_lead_months)
        self.gpu_plan_usd = 0.0
        self.rating_notch = float("nan")  # this month's rating (1 AAA, 6 A, 9 BBB, 11 BB+, 17 CCC)
        self.credit_spread = 0.0        # spread lenders charge at this month's rating
        self.user_cost0: float | None = None   # user cost at the step-0 rating, SPVs off balance sheet
        self.bonds_issued_usd = 0.0     # bonds issued this month

    def month_income(self) -> None:
        self.receive("legacy_business", self.legacy_usd_per_month, "legacy_cash_flow")
        self.ai_revenue_usd = self.ai_service_share * self.model.demand.hyperscaler_usd
        self.receive("end_customers", self.ai_revenue_usd, "ai_revenue")

    def earnings_usd(self) -> float:
        """This month's operating earnings (C10): legacy cash flow and AI revenue, plus the
        compute contracts it is paid for, minus the capacity it rents (neoclouds, SPVs)."""
        return (self.legacy_usd_per_month + self.ai_revenue_usd + self.contract_payments_usd(received=True)
                - self.contract_payments_usd(received=False))

    def contract_payments_usd(self, received: bool) -> float:
        """This month's payments on the active contracts it holds (``received``: the compute
        contracts it is paid for) or has issued (the capacity it rents)."""
        step = self.model.steps
        claims = self.claims_held() if received else self.claims_issued()
        return sum(c.payment_usd_per_month for c in claims if isinstance(c, Contract) and c.active(step))

    def ai_earnings_share(self) -> float:
        """Share of this month's earnings that is not the legacy business (C10)."""
        e = self.earnings_usd()
        return max(0.0, 1.0 - self.legacy_usd_per_month / e) if e > 0 else 0.0

    def disappointment(self) -> float:
        """Realised AI demand over what was expected for now, k = min(12, t) months ago.

        ``D_t / (D_{t-k} * exp(g_{t-k} * k / 12))``; 1 means demand is as expected.
        """
        k = min(MONTHS_PER_YEAR, len(self.growth_history))
        if k == 0:
            return 1.0
        hist = self.model.demand.history
        expected = hist[-1 - k] * math.exp(self.growth_history[-k] * k / MONTHS_PER_YEAR)
        return self.model.demand.usd_per_month / expected

    def renewal_factor(self, contract) -> float | None:
        """Renew rented capacity scaled by demand growth, or let it lapse when AI disappoints (C2)."""
        walk_away = self.disappointment() < self.model.p.spv_walkaway_threshold
        if contract.holder.sector == "neocloud" and walk_away:
            return None
        hist = self.model.demand.history
        p = self.model.p
        growth = hist[-1] / hist[-1 - MONTHS_PER_YEAR] if len(hist) > MONTHS_PER_YEAR else 1.0
        return min(max(growth, p.contract_renewal_scale_min), p.hyperscaler_renewal_scale_max)

    def dues_usd(self) -> float:
        step = self.model.steps
        return sum(c.due_usd(step) for c in self.claims_issued())

    def decide(self) -> None:
        m = self.model
        realised = (MONTHS_PER_YEAR * math.log(m.demand.usd_per_month / m.demand.history[-2])
                    if len(m.demand.history) > 1 else self.expected_growth)
        self.growth_history.append(self.expected_growth)
        self.expected_growth += m.p.capex_learning_rate * (realised - self.expected_growth)
        expected_ahead = m.demand.usd_per_month * math.exp(self.expected_growth)
        self.expected_history.append(expected_ahead)
        # the rating lenders and agencies give this month (abm.constraints.RatingGrid)
        debt, cash_flow = self.visible_debt_usd(), self.operating_cash_flow_usd()
        self.rating_notch = self.rating_for(debt)
        self.credit_spread = self.rating.spread(self.rating_notch)
        if self.user_cost0 is None:
            # step-0 capex was planned at the rating of its reported balance sheet (SPVs off it):
            # consolidating them (C11) raises the user cost above this reference
            self.user_cost0 = self.user_cost_per_year(self.rating.spread(self.rating_for(self.debt_usd())))
        # this month's capex is what was committed earlier; new orders follow expectations
        gpu_due, dc_due = self.pipeline.pop()
        self.capex_plan_usd, self.gpu_plan_usd = gpu_due + dc_due, gpu_due
        self.pipeline.order(*self.new_orders_usd(expected_ahead))
        buffer = m.p.hyperscaler_cash_buffer_months * self.capex0_usd_per_month
        need = self.capex_plan_usd + self.dues_usd() + buffer - self.cash_usd
        # bond investors lend up to a multiple of yearly operating cash flow in visible debt
        self.bond_plan_usd = min(max(0.0, need), self.leverage_rule.room_usd(debt, cash_flow))
        self.payout_plan_usd = max(0.0, -need) * m.p.hyperscaler_payout_share

    def rating_for(self, debt_usd: float) -> float:
        """Rating notch at visible debt ``debt_usd`` (:meth:`abm.constraints.RatingGrid.notch`):
        leverage with any book-equity deficit counted as debt, and the market's distance to
        default from this hyperscaler's market value."""
        return self.rating.notch(debt_usd, self.operating_cash_flow_usd(), self.equity_usd(),
                                 self.valuation_usd)

    def user_cost_per_year(self, spread: float) -> float:
        """User cost of capital (Jorgenson 1963): new-bond coupon plus depreciation."""
        p = self.model.p
        return p.hyperscaler_new_bond_rate_per_year + spread + p.hyperscaler_user_cost_depreciation_per_year

    def new_orders_usd(self, expected_ahead_usd: float) -> tuple[float, float]:
        """New GPU and data-centre orders this month (USD, a month's capex at the planned rate).

        ``O = capex0 * E_t / E_0 * (u_0 / u_t)^eps`` split by ``gpu_capex_share``, each part
        capped by supply: ``share * capex0 * (1 + g_max)^(t / 12)`` with ``g_max`` the growth of
        chip supply (GPUs) or of connectable power (data centres) [R40].
        """
        p, t = self.model.p, self.model.steps
        cost_ratio = (self.user_cost0 or 1.0) / self.user_cost_per_year(self.credit_spread)
        target = (self.capex0_usd_per_month * expected_ahead_usd / self.expected_demand0
                  * cost_ratio ** p.hyperscaler_capex_cost_elasticity)
        years = t / MONTHS_PER_YEAR
        share = p.gpu_capex_share
        chips = share * self.capex0_usd_per_month * (1.0 + p.chip_supply_growth_max_per_year) ** years
        power = ((1.0 - share) * self.capex0_usd_per_month
                 * (1.0 + p.power_capacity_growth_max_per_year) ** years)
        return min(share * target, chips), min((1.0 - share) * target, power)

    def finance(self) -> None:
        """Issue bonds to outside bond investors as planned (hyperscalers keep market access).

        The coupon is the best-rated coupon plus the credit spread at the visible leverage
        after the issue (:meth:`new_bond_coupon_per_year`); it is fixed for the bond's life.
        """
        self.bonds_issued_usd = 0.0
        if self.bond_plan_usd > 0:
            coupon = self.new_bond_coupon_per_year(self.bond_plan_usd)
            self.model.claims.add(Debt(holder=self.model.outside("bond_investors"), issuer=self,
                                       kind="bond", principal_usd=self.bond_plan_usd,
                                       rate_per_month=coupon / MONTHS_PER_YEAR))
            self.receive("bond_investors", self.bond_plan_usd, "bond_issue")
            self.bonds_issued_usd = self.bond_plan_usd

    def operating_cash_flow_usd(self) -> float:
        """Yearly operating cash flow lenders divide debt by (EBITDA): legacy business, AI
        services and the compute contracts it is paid for (labs' contracts [F14]), at this
        month's rate. Rents it pays are not deducted (agencies add leases to debt instead;
        not modelled)."""
        return MONTHS_PER_YEAR * (self.legacy_usd_per_month + self.ai_revenue_usd
                                  + self.contract_payments_usd(received=True))

    def new_bond_coupon_per_year(self, amount_usd: float) -> float:
        """Coupon of a new bond of ``amount_usd``: ``hyperscaler_new_bond_rate_per_year`` plus
        the spread at the rating after the issue (:class:`RatingGrid`)."""
        spread = self.rating.spread(self.rating_for(self.visible_debt_usd() + amount_usd))
        return self.model.p.hyperscaler_new_bond_rate_per_year + spread

    def borrowing_room_usd(self) -> float:
        """Visible debt lenders still allow this hyperscaler (:meth:`DebtToCashFlow.room_usd`)."""
        return self.leverage_rule.room_usd(self.visible_debt_usd(), self.operating_cash_flow_usd())

    def spvs_consolidated(self) -> bool:
        """Whether lenders and rating agencies see its SPVs' debt (C11 ``spv_consolidation``)."""
        p = self.model.p
        return bool(p.c11_policy and p.spv_consolidation)

    def invest(self) -> None:
        """Pay the capex committed for this month: GPUs from the chipmaker, data centres from
        suppliers. Short of cash, it pays what it can, GPUs and data centres pro rata; the
        rest of the instalment is lost to the suppliers (no penalty is modelled)."""
        m = self.model
        spend = min(self.capex_plan_usd,
                    max(0.0, self.cash_usd - m.p.hyperscaler_dues_cover * self.dues_usd()))
        self.capex_usd = spend
        gpu_spend = spend * self.gpu_plan_usd / self.capex_plan_usd if self.capex_plan_usd > 0 else 0.0
        self.buy_gpus(gpu_spend)
        dc_spend = spend - gpu_spend
        # part of the data centres is built off balance sheet by SPVs (C9, [F20]); the SPV's
        # lenders pay for it when it is set up (see :func:`abm.agents.spv.finance_new_spvs`)
        spv_part = m.p.hyperscaler_spv_share * dc_spend if m.p.c9_spvs else 0.0
        self.spv_pipeline_usd += spv_part
        self.pay("suppliers", dc_spend - spv_part, "data_centre_capex")
        self.real_assets_usd += dc_spend - spv_part

    def act(self) -> None:
        self.pay("outside_investors", min(self.payout_plan_usd, self.cash_usd), "shareholder_payout")
        self.real_assets_usd *= (1.0 - self.model.p.data_centre_depreciation_per_year / MONTHS_PER_YEAR)

    def consolidated_debt_usd(self) -> float:
        """Debt including the SPVs that lease to it (off balance sheet unless consolidated) [F20]."""
        return self.debt_usd() + sum(spv.debt_usd() for spv in self.model.spvs
                                     if spv.lessee is self and not spv.defaulted)

    def visible_debt_usd(self, consolidated: bool = False) -> float:
        """The debt lenders and rating agencies see and count against this hyperscaler (its
        credit spread, borrowing room and reported leverage): SPV debt counts under the
        consolidation policy (C11) [F21], or when ``consolidated`` is asked for."""
        if consolidated or self.spvs_consolidated():
            return self.consolidated_debt_usd()
        return self.debt_usd()

    def reported_leverage(self) -> float:
        """Debt over equity as reported: SPV debt only with the consolidation policy (C11)."""
        return self.visible_debt_usd() / max(self.equity_usd(), 1.0)

    def consolidated_leverage(self) -> float:
        return self.visible_debt_usd(consolidated=True) / max(self.equity_usd(), 1.0)


def mean_expected_demand_ratio(hyperscalers) -> float:
    """Live hyperscalers' expected demand a year ahead relative to step 0 (the capex driver)."""
    ratios = [h.expected_history[-1] / h.expected_demand0 for h in hyperscalers
              if h.expected_history and not h.defaulted]
    return float(np.mean(ratios)) if ratios else 1.0


def aggregate_leverage(hyperscalers, consolidated: bool) -> float:
    """Aggregate debt over aggregate positive equity of live hyperscalers [F20, F21] (NaN if none),
    by each one's leverage rule (:meth:`Hyperscaler.visible_debt_usd`)."""
    live = [h for h in hyperscalers if not h.defaulted]
    equity = sum(max(h.equity_usd(), 0.0) for h in live)
    debt = sum(h.visible_debt_usd(consolidated) for h in live)
    return debt / equity if equity > 0 else float("nan")
