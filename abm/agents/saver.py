"""401(k) saver cohorts: contributions, an AI-heavy index, bonds, and private credit [F18, F34].

One agent per cohort. Rules, each month:
- Households pay the cohort's contribution into its account.
- New money is split between the AI index (a target share tilted toward recent index
  returns: return chasing), a semi-liquid private-credit fund once policy allows [F34]
  (C11), and bonds.
- Panic, by the active savers only: most 401(k) savers never trade on returns (about a
  quarter of a reallocation a year, most none: Agnew, Balduzzi and Sunden 2003 [R34];
  Giglio, Maggiori, Stroebel and Utkus 2021), so only ``saver_active_share`` of each cohort
  (a share of its balance) reacts. Each active saver panics when the cohort's balance falls
  more than their own threshold below its peak: thresholds are lognormal around the cohort's
  (which differ across cohorts) with log-sd ``saver_active_threshold_dispersion``
  (:func:`triggered_share`), so a deeper fall brings more of them. Those who panic this month
  sell ``saver_panic_sell_share`` of their index holdings (approximated as the same share of
  the cohort's units) for bonds and ask to redeem their private-credit shares; they put
  none of their new money into the index until ``saver_panic_out_months`` after the cohort's
  last panic (inertia), when they come back and the peak starts anew. The rest of the cohort
  holds and keeps buying. Selling below cost realises a loss, booked on the savers.
- Index units are claims on the listed firms' equity (the 401(k) index pool,
  :class:`abm.markets.index_pool.IndexPool`, ``model.index_pool``): one outside
  account, ``401k_index``, holds for the savers the same fraction of every listed firm
  (chipmaker, hyperscalers, listed neoclouds), carved out of the outside investors' stakes,
  so no listed firm is more than 100% owned. A unit is worth the pool's market value over
  its units. Cohorts buy, and panic-sell, units at that price; the pool nets the month's
  orders and, at the end of the act stage, buys (or sells) the net order's share of every
  holding from (to) the outside investors: one trade per listed firm, and of a firm never
  more than the outside investors hold. When a listed firm fails, the savers' part of the
  wipe-out is booked on ``savers_401k`` and the rest on ``firm_shareholders``.
- With access to alternatives [F34] (C11) a cohort puts ``saver_pc_target_share`` of new
  money into its private-credit fund and moves ``saver_pc_rebalance_per_month`` of the gap
  between that share of its balance and its fund holding from bonds into the fund [R26].
- Runs on the collective trust (C13): when its fund's reported return falls short of what
  investors expected, the active savers' part of the cohort's fund holding asks to redeem the
  same share as the fund's wealth investors, ``r * max(0, a V - Q)``
  (:func:`abm.runs.saver_run_request_usd`, Agnew, Balduzzi and Sunden 2003 [R34]).
- Realised losses (``realised_loss_usd``): panic sales below cost, the cohort's part of
  wipe-outs, and fund units redeemed below cost. Mark-to-market losses
  (:meth:`SaverCohort.unrealised_loss_usd`): the fall of the index and fund holdings below
  their remaining cost, not yet realised.
"""
from __future__ import annotations

import math
from statistics import NormalDist

from aicredit.abm.agents.base import Institution
from aicredit.abm.economy import Economy

__all__ = ["SaverCohort", "triggered_share"]

_NORMAL = NormalDist()


def triggered_share(drawdown: float, threshold: float, dispersion: float) -> float:
    """Share of a cohort's active savers whose own panic threshold ``drawdown`` has passed.

    Their thresholds are lognormal around the cohort's ``threshold`` with log-sd
    ``dispersion``: ``Phi((ln d - ln theta) / sigma)``; a step at ``theta`` when ``sigma`` is 0.
    """
    if drawdown <= 0:
        return 0.0
    if dispersion <= 0:
        return 1.0 if drawdown > threshold else 0.0
    z = (math.log(drawdown) - math.log(threshold)) / dispersion
    return _NORMAL.cdf(z)


class SaverCohort(Institution):
    """A cohort of 401(k) savers, one Mesa agent standing for many households.

    An :class:`~aicredit.abm.agents.base.Institution` so that it shares the ledger account
    and the claims book (bonds, fund shares), but it holds no GPUs or real assets, issues no
    claims and owes nothing, so it never fails. Its index units are a share of the
    :class:`IndexPool` (an outside account, not an agent). Rules: the module docstring.
    """

    sector = "saver_401k"

    def __init__(self, model: Economy, name: str, contribution_usd_per_month: float,
                 panic_drawdown: float):
        super().__init__(model, name)
        self.contribution_usd_per_month = contribution_usd_per_month
        self.panic_drawdown = panic_drawdown
        self.index_units = 0.0
        self.index_cost_usd = 0.0     # what the index units cost (for realised losses)
        self.peak_usd = 0.0
        self.out_of_market_until = -1
        self.panic_share = 0.0        # share of its active savers who panic this month
        self.panicked_share = 0.0     # share of its active savers out of the index (since the peak)
        self.pc_fund = None
        self.realised_loss_usd = 0.0
        self._wiped_seen = 0.0

    def index_value_usd(self) -> float:
        return self.index_units * self.model.index_pool.price_usd()

    def gpu_value_usd(self) -> float:
        """Cohorts hold no GPUs (0, without the base class's dot product: 100k cohorts' balances
        are taken several times a month)."""
        return 0.0

    def _book_wipe_outs(self) -> None:
        """The cohort's part of wipe-outs since last month: realised, out of its cost basis."""
        pool = self.model.index_pool
        pool.sync()
        lost = self.index_units * (pool.wiped_per_unit - self._wiped_seen)
        self._wiped_seen = pool.wiped_per_unit
        if lost > 0:
            self.realised_loss_usd += lost
            self.index_cost_usd = max(0.0, self.index_cost_usd - lost)

    def fund_redeemed(self, proceeds_usd: float, cost_usd: float) -> None:
        """Called by a fund paying a redemption: a fall below cost is now realised."""
        self.realised_loss_usd += max(0.0, cost_usd - proceeds_usd)

    def _rebalance_usd(self) -> float:
        """Sell bonds at par for ``saver_pc_rebalance_per_month`` of the gap between the target
        private-credit share of the balance and the fund holding [R26]; returns the cash."""
        p = self.model.p
        if p.saver_pc_rebalance_per_month <= 0:     # off by default: no balance to take
            return 0.0
        held = sum(c.value_usd() for c in self.claims_held("fund_share"))
        want = p.saver_pc_rebalance_per_month * max(0.0, p.saver_pc_target_share * self.balance_usd() - held)
        raised = 0.0
        for bond in self.claims_held("bond_holding"):
            amount = min(want - raised, bond.value_usd())
            if amount <= 0:
                continue
            self.model.claims.sell(bond, amount / bond.value_usd(), self.model.outside("securities_market"))
            self.receive("securities_market", amount, "401k_rebalance")
            raised += amount
        return raised

    def unrealised_loss_usd(self) -> float:
        """Mark-to-market loss: index and fund holdings below their remaining cost."""
        fund = sum(max(0.0, c.cost_usd - c.value_usd()) for c in self.claims_held("fund_share"))
        return max(0.0, self.index_cost_usd - self.index_value_usd()) + fund

    def total_assets_usd(self) -> float:
        return super().total_assets_usd() + self.index_value_usd()

    def balance_usd(self) -> float:
        """Retirement balance: cash, index, bonds and fund shares at reported NAV."""
        return self.total_assets_usd()

    def month_income(self) -> None:
        self.receive("households", self.contribution_usd_per_month, "401k_contribution")
        self.model.month.contributions_usd += self.contribution_usd_per_month

    @property
    def panicked(self) -> bool:
        """Some of its active savers panic this month."""
        return self.panic_share > 0

    def decide(self) -> None:
        self._book_wipe_outs()
        bal = self.balance_usd()
        if self.panicked_share > 0 and self.model.steps > self.out_of_market_until:
            self.panicked_share = 0.0          # those who left come back; the peak starts anew
            self.peak_usd = bal
        self.peak_usd = max(self.peak_usd, bal)
        drawdown = 1.0 - bal / self.peak_usd if self.peak_usd > 0 else 0.0
        p = self.model.p
        reached = triggered_share(drawdown, self.panic_drawdown, p.saver_active_threshold_dispersion)
        self.panic_share = max(0.0, reached - self.panicked_share)

    def act(self) -> None:
        m = self.model
        p = m.p
        active = p.saver_active_share
        if self.panicked:
            self._book_wipe_outs()
            sold_share = active * self.panic_share * p.saver_panic_sell_share
            sell = sold_share * self.index_units
            proceeds = m.index_pool.sell(sell)
            cost = sold_share * self.index_cost_usd
            self.index_units -= sell
            self.index_cost_usd -= cost
            self.receive("securities_market", proceeds, "401k_panic_sale")
            # selling below cost turns a paper loss into a realised one, booked on the savers
            m.losses.record(self, max(0.0, cost - proceeds), m.outside("securities_market"),
                            "ai_index_panic_sale", m.steps)
            self.realised_loss_usd += max(0.0, cost - proceeds)
            for c in self.claims_held("fund_share"):
                c.issuer.request_redemption(c, active * self.panic_share * c.value_usd())
            self.out_of_market_until = m.steps + p.saver_panic_out_months
            self.panicked_share += self.panic_share
            m.month.panic_cohorts += 1
        cash = self.cash_usd
        if cash <= 0:
            return
        tilt = 1.0 + p.saver_return_chasing * m.equity_market.index_return_12m()
        index_share = min(1.0, max(0.0, p.saver_ai_index_share * tilt))
        index_share *= 1.0 - active * self.panicked_share     # those who panicked stay out
        pc_share = p.saver_pc_target_share if (p.pc_open_to_401k and self.pc_fund is not None
                                               and m.steps >= p.alternatives_start_step
                                               and not self.pc_fund.defaulted) else 0.0
        pc_share = min(pc_share, 1.0 - index_share)
        self._book_wipe_outs()
        spent, units = m.index_pool.buy(index_share * cash)
        self.pay("securities_market", spent, "401k_index_purchase")
        self.index_units += units
        self.index_cost_usd += spent
        if pc_share > 0 and self.pc_fund is not None:     # (pc_share is 0 without a fund)
            self.pc_fund.subscribe(self, pc_share * cash + self._rebalance_usd())
        rest = self.cash_usd
        self.buy_bonds(rest)
