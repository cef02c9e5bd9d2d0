"""Banks: credit lines to private credit [F31], loans to hyperscalers, senior ABS [F22].

Rules, each month:
- Capital ratio = book equity / risk-weighted assets (:class:`abm.constraints.BankCapitalRatio`).
- Below the minimum [R10] a bank cuts its undrawn and drawn credit lines to private-credit
  funds by ``bank_line_cut`` (the excess falls due) and makes no new loans: the credit crunch of C6.
- With negative equity it fails and is resolved; depositors are senior, and deposit
  insurance pays what they do not recover.
"""
from __future__ import annotations

from abm.agents.base import Institution
from abm.constraints import BankCapitalRatio, payout_usd

__all__ = ["Bank"]


class Bank(Institution):
    sector = "bank"

    def __init__(self, model, name: str, capital_min: float):
        super().__init__(model, name)
        self.capital = BankCapitalRatio(minimum=capital_min)
        self.cutting = False
        self.target_ratio = capital_min     # set to the opening ratio by the calibration
        self.payout_plan_usd = 0.0

    def capital_ratio(self) -> float:
        """CET1-style ratio: equity over risk-weighted assets."""
        return self.capital.ratio(self)

    def decide(self) -> None:
        self.cutting = self.model.p.c6_bank_credit_lines and self.capital.is_below_minimum(self)
        self.payout_plan_usd = payout_usd(self.equity_usd(), self.target_ratio,
                                          self.capital.rwa_usd(self), self.model.p.bank_payout_share)

    def act(self) -> None:
        """Pay dividends above the target ratio; cut lines to private credit while below the minimum (C6)."""
        self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd, 0.0)), "bank_dividend")
        if not self.cutting:
            return
        for line in self.claims_held("credit_line"):
            line.limit_usd = (1.0 - self.model.p.bank_line_cut) * min(line.limit_usd, line.principal_usd)
