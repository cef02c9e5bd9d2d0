"""Life insurers: ~1 trillion in private credit [F32], ABS [F22], bonds, policy reserves.

Rules, each month:
- Solvency ratio = surplus / required capital (:class:`abm.constraints.InsurerSolvency`).
- Below the threshold they de-risk (C7): sell private-credit fund shares and ABS on the
  secondary market at a discount, as much as restores the threshold's target. The
  discount is a realised loss; the buyer is outside the modelled economy.
"""
from __future__ import annotations

from abm.agents.base import Institution
from abm.constraints import InsurerSolvency, payout_usd

__all__ = ["Insurer"]


class Insurer(Institution):
    sector = "insurer"

    def __init__(self, model, name: str, solvency_min: float, discount: float):
        super().__init__(model, name)
        self.solvency = InsurerSolvency(minimum=solvency_min)
        self.discount = discount
        self.sale_plan: float = 0.0   # share of risky holdings to sell this month
        self.sold_usd = 0.0
        self.target_ratio = solvency_min    # set to the opening ratio by the calibration
        self.payout_plan_usd = 0.0

    def month_income(self) -> None:
        """Before the month's payments: keep a cash buffer by selling bonds (liquidity)."""
        self.raise_liquidity()

    def raise_liquidity(self) -> None:
        """Sell bonds at par when cash falls below the liquidity buffer (bonds are liquid)."""
        p = self.model.p
        buffer = p.insurer_liquidity_buffer_share * self.total_assets_usd()
        gap = p.insurer_liquidity_target_multiple * buffer - self.cash_usd
        if self.cash_usd >= buffer or gap <= 0:
            return
        for bond in self.claims_held("bond_holding"):
            amount = min(gap, bond.value_usd())
            if amount <= 0:
                continue
            self.model.claims.sell(bond, amount / bond.value_usd(), self.model.outside("securities_market"))
            self.receive("securities_market", amount, "bond_sale")
            gap -= amount

    def solvency_ratio(self) -> float:
        return self.solvency.ratio(self)

    def decide(self) -> None:
        p = self.model.p
        self.sale_plan = 0.0
        required = self.solvency.required_usd(self)
        self.payout_plan_usd = payout_usd(self.equity_usd(), self.target_ratio, required,
                                          p.insurer_payout_share)
        if p.c7_insurer_forced_sales and self.solvency.is_below_minimum(self):
            self.sale_plan = self.solvency.share_to_sell(self, self.discount)

    def act(self) -> None:
        """Sell the planned share of private-credit fund shares and ABS at a discount (C7)."""
        self.sold_usd = 0.0
        self.raise_liquidity()
        buffer = self.model.p.insurer_liquidity_buffer_share * self.total_assets_usd()
        self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd - buffer, 0.0)),
                 "insurer_dividend")
        if self.sale_plan <= 0:
            return
        m = self.model
        buyer = m.outside("securities_market")
        for claim in [c for c in self.claims_held() if c.kind in ("fund_share", "abs")]:
            value = claim.value_usd() * self.sale_plan
            if value <= 0:
                continue
            proceeds = value * (1.0 - self.discount)
            m.claims.sell(claim, self.sale_plan, buyer)
            self.receive("securities_market", proceeds, "insurer_forced_sale")
            m.losses.record(self, value - proceeds, claim.issuer, "forced_sale_discount", m.steps)
            self.sold_usd += value
