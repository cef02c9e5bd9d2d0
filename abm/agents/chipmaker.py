"""Chipmakers (Nvidia): sell the newest GPUs, invest in their customers (C8, [F10, F13]).

Rules, each month:
- Revenue is every GPU bought by hyperscalers and neoclouds at the newest vintage's price;
  the cost of goods (1 - gross margin) goes to suppliers.
- Investments in customers follow the facts: tranches of the OpenAI commitment every six
  months while sentiment holds [F13], a stake in Anthropic [F13], a stake in CoreWeave and
  a compute contract renting back its capacity [F2, F10], and a share of neocloud equity
  raises. Their value falls when customers fail (equity claims).
- Cash above a target is paid out to shareholders.
"""
from __future__ import annotations

from aicredit.abm.agents.base import Institution
from aicredit.abm.economy import Economy
from aicredit.abm.units import BN

__all__ = ["Chipmaker"]


class Chipmaker(Institution):
    sector = "chipmaker"
    listed = True

    def __init__(self, model: Economy, name: str, market_cap_usd: float, gross_margin: float):
        super().__init__(model, name)
        self.valuation_usd = market_cap_usd
        self.gross_margin = gross_margin
        self.gpu_revenue_usd = 0.0
        self.commitments: list[dict] = []   # {"lab": AILab, "remaining_usd", "tranche_usd", "next_step"}
        self.payout_plan_usd = 0.0

    def sell_gpus(self, buyer, units: float, price_usd: float) -> None:
        """Deliver ``units`` of the newest vintage; the buyer has paid; pay the cost of goods."""
        amount = units * price_usd
        self.gpu_revenue_usd += amount
        self.pay("suppliers", amount * (1.0 - self.gross_margin), "gpu_cost_of_goods")

    def earnings_usd(self) -> float:
        """This month's gross profit on GPU sales: what its market value is built on (C10)."""
        return self.gross_margin * self.gpu_revenue_usd

    def commit(self, lab, total_usd: float, tranche_usd: float, first_step: int) -> None:
        self.commitments.append(dict(lab=lab, remaining_usd=total_usd, tranche_usd=tranche_usd,
                                     next_step=first_step))

    def decide(self) -> None:
        p = self.model.p
        self.payout_plan_usd = (max(0.0, self.cash_usd - p.chipmaker_cash_target_bn * BN)
                                * p.chipmaker_payout_share)

    def invest_in_customers(self) -> None:
        """Pay the scheduled tranches of its commitments (vendor financing, C8)."""
        m = self.model
        if not m.p.c8_circular_financing:
            return
        for c in self.commitments:
            lab = c["lab"]
            if c["remaining_usd"] <= 0 or m.steps < c["next_step"] or lab.defaulted:
                continue
            if m.equity_market.sentiment < m.p.chipmaker_tranche_sentiment_min:
                continue
            amount = min(c["tranche_usd"], c["remaining_usd"],
                         max(0.0, self.cash_usd - m.p.chipmaker_cash_floor_bn * BN))
            if amount > 0:
                lab.issue_equity(self, amount, "vendor_financing")
                c["remaining_usd"] -= amount
            c["next_step"] = m.steps + m.p.chipmaker_tranche_every_months

    def act(self) -> None:
        self.pay("outside_investors", min(self.payout_plan_usd, self.cash_usd), "shareholder_payout")
