"""401(k) saver cohorts: contributions, an AI-heavy index, bonds, and private credit [F18, F34].

One agent per cohort. Rules, each month:
- Households pay the cohort's contribution into its account.
- New money is split between the AI index (a target share tilted toward recent index
  returns: return chasing), a semi-liquid private-credit fund once policy allows [F34]
  (C11), and bonds.
- Panic: when the cohort's balance falls more than its own threshold below its peak
  (thresholds differ across cohorts), it sells ``saver_panic_sell_share`` of its index
  holdings for bonds and asks to redeem its private-credit shares; it then stays out of the
  index for ``saver_panic_out_months`` (inertia). Selling below cost realises a loss, booked on the savers.
"""
from __future__ import annotations

from abm.agents.base import Institution

__all__ = ["SaverCohort"]


class SaverCohort(Institution):
    sector = "saver_401k"

    def __init__(self, model, name: str, contribution_usd_per_month: float,
                 panic_drawdown: float):
        super().__init__(model, name)
        self.contribution_usd_per_month = contribution_usd_per_month
        self.panic_drawdown = panic_drawdown
        self.index_units = 0.0
        self.index_cost_usd = 0.0     # what the index units cost (for realised losses)
        self.peak_usd = 0.0
        self.out_of_market_until = -1
        self.panicked = False
        self.pc_fund = None

    def index_value_usd(self) -> float:
        return self.index_units * self.model.equity_market.index_level

    def total_assets_usd(self) -> float:
        return super().total_assets_usd() + self.index_value_usd()

    def balance_usd(self) -> float:
        """Retirement balance: cash, index, bonds and fund shares at reported NAV."""
        return self.total_assets_usd()

    def month_income(self) -> None:
        self.receive("households", self.contribution_usd_per_month, "401k_contribution")
        self.model.month.contributions_usd += self.contribution_usd_per_month

    def decide(self) -> None:
        bal = self.balance_usd()
        self.peak_usd = max(self.peak_usd, bal)
        self.panicked = (self.model.steps > self.out_of_market_until and self.peak_usd > 0
                         and bal < (1.0 - self.panic_drawdown) * self.peak_usd)

    def act(self) -> None:
        m = self.model
        p = m.p
        if self.panicked:
            sell = p.saver_panic_sell_share * self.index_units
            proceeds = sell * m.equity_market.index_level
            cost = p.saver_panic_sell_share * self.index_cost_usd
            self.index_units -= sell
            self.index_cost_usd -= cost
            self.receive("securities_market", proceeds, "401k_panic_sale")
            # selling below cost turns a paper loss into a realised one, booked on the savers
            m.losses.record(self, max(0.0, cost - proceeds), m.outside("securities_market"),
                            "ai_index_panic_sale", m.steps)
            for c in self.claims_held("fund_share"):
                c.issuer.request_redemption(c, c.value_usd())
            self.out_of_market_until = m.steps + p.saver_panic_out_months
            self.peak_usd = self.balance_usd()
            m.month.panic_cohorts += 1
        cash = self.cash_usd
        if cash <= 0:
            return
        index_share = 0.0
        if m.steps > self.out_of_market_until:
            tilt = 1.0 + p.saver_return_chasing * m.equity_market.index_return_12m()
            index_share = min(1.0, max(0.0, p.saver_ai_index_share * tilt))
        pc_share = p.saver_pc_target_share if (p.pc_open_to_401k and self.pc_fund is not None
                                               and m.steps >= p.alternatives_start_step
                                               and not self.pc_fund.defaulted) else 0.0
        pc_share = min(pc_share, 1.0 - index_share)
        to_index = index_share * cash
        self.pay("securities_market", to_index, "401k_index_purchase")
        self.index_units += to_index / m.equity_market.index_level
        self.index_cost_usd += to_index
        if pc_share > 0:
            self.pc_fund.subscribe(self, pc_share * cash)
        rest = self.cash_usd
        self.buy_bonds(rest)
