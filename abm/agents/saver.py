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
- Index units are claims on the listed firms' equity (:class:`IndexPool`): one outside
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
- Realised losses (``realised_loss_usd``): panic sales below cost, the cohort's part of
  wipe-outs, and fund units redeemed below cost. Mark-to-market losses
  (:meth:`SaverCohort.unrealised_loss_usd`): the fall of the index and fund holdings below
  their remaining cost, not yet realised.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from itertools import accumulate

from aicredit.abm.agents.base import Institution
from aicredit.abm.claims import EquityClaim
from aicredit.abm.economy import Economy

__all__ = ["SaverCohort", "IndexPool"]

#: The outside account that holds the listed firms' equity for the 401(k) index.
INDEX_ACCOUNT = "401k_index"
#: Price of an index unit when the pool holds nothing (units are issued at step 0 at 1 USD).
UNIT_PRICE_0 = 1.0


class IndexPool:
    """The savers' index: equity claims on every listed firm, held by one outside account.

    Its value is the sum of its claims' market values (plus, until :meth:`settle`, the net
    order not yet traded); a cohort's ``index_units`` are a share of it. ``wiped_per_unit``
    accumulates the wipe-outs booked on it per unit, so each cohort can split its realised
    from its unrealised losses.

    Cohorts trade units at the unit price, the holdings' value over the units they back. That
    value is a sum over every listed firm, so it is cached and reused while no listed firm's
    price (``model.listed_prices_version``) and none of the holdings have changed. Orders are
    netted: :meth:`buy` and :meth:`sell` only record the order (``pending_units``, and
    ``_growth``, the net order as a share of every holding); :meth:`settle`, called by the
    model at the end of the stage in which cohorts trade, trades that share of every holding
    with the outside investors, one trade per firm. A month costs O(cohorts + firms), not
    O(cohorts x firms). As when each order was traded on its own, a purchase gets no more of
    a firm than the outside investors' stake still holds (:meth:`_spend_usd`).
    """

    def __init__(self, model: Economy):
        self.model = model
        self.holder = model.outside(INDEX_ACCOUNT)
        self.units = 0.0              # units the cohorts hold, unsettled orders included
        self.pending_units = 0.0      # units issued (+) or redeemed (-) since the last settle
        self.wiped_per_unit = 0.0
        self._events_seen = 0
        self._growth = 0.0            # the unsettled net order, as a share of every holding
        self._version = 0             # bumped when the pool's own holdings change
        self._cache_key: tuple[int, int, int] | None = None
        self._holdings_usd = 0.0      # the holdings' value at _cache_key
        # what _spend_usd needs, at _cache_key (made on demand)
        self._caps: tuple[list[float], list[float], list[float]] | None = None

    def claims(self):
        return self.model.claims.held(self.holder)

    # --- the unit price, cached ------------------------------------------------------------
    def _holdings_value_usd(self) -> float:
        """Market value of the claims held (orders not yet settled left out), recomputed only
        when a listed firm's price or the holdings have changed."""
        key = (self.model.listed_prices_version, self._version,
               len(self.model.claims.by_holder.get(self.holder, ())))   # a wiped-out claim closes
        if key != self._cache_key:
            self._holdings_usd = sum(c.value_usd() for c in self.claims())
            self._caps = None
            self._cache_key = key
        return self._holdings_usd

    def value_usd(self) -> float:
        """The savers' index value: the holdings plus the unsettled net order at the unit price."""
        value = self._holdings_value_usd()
        return value + self.pending_units * self.price_usd() if self.pending_units else value

    def price_usd(self) -> float:
        """Value of one unit: the holdings over the units they back (settled units)."""
        backed = self.units - self.pending_units
        return self._holdings_value_usd() / backed if backed > 0 else UNIT_PRICE_0

    # --- the outside investors' stakes: how much of each firm can still be bought ---------
    def _outside_stake(self, issuer, out):
        """The outside investors' (first) equity claim on ``issuer``, the one the pool trades with."""
        for o in self.model.claims.issued(issuer):
            if isinstance(o, EquityClaim) and o.holder is out:
                return o
        return None

    def _cap_table(self):
        """Per holding worth anything: ``room``, the share by which it can grow before the
        outside investors' stake runs out, sorted; with running sums of the holdings' values
        ``v`` and of ``v * room`` (:meth:`_spend_usd`). Cached like the unit price."""
        self._holdings_value_usd()
        if self._caps is None:
            out = self.model.outside("outside_investors")
            rows = []
            for c in self.claims():
                v = c.value_usd()
                if v > 0:
                    theirs = self._outside_stake(c.issuer, out)
                    rows.append((theirs.units / c.units if theirs is not None else 0.0, v))
            rows.sort(key=lambda r: r[0])
            rooms = [r for r, _ in rows]
            self._caps = (rooms, list(accumulate((v for _, v in rows), initial=0.0)),
                          list(accumulate((v * r for r, v in rows), initial=0.0)))
        return self._caps

    def _room_min(self) -> float:
        """Largest net order (share of every holding) that no outside stake limits."""
        rooms = self._cap_table()[0]
        return rooms[0] if rooms else math.inf

    def _spend_usd(self, growth: float) -> float:
        """Value of a net order of ``growth`` (share of every holding) at the cached prices:
        each firm's holding grows by ``growth`` but by no more than the outside investors'
        stake, ``sum_f v_f * min(growth, room_f)``; a sale (``growth`` < 0) is not limited."""
        rooms, cum_v, cum_vr = self._cap_table()
        if growth <= 0:
            return growth * cum_v[-1]
        k = bisect_right(rooms, growth)           # holdings 0..k-1 are capped
        return cum_vr[k] + growth * (cum_v[-1] - cum_v[k])

    def _growth_at(self, spend_usd: float) -> float:
        """The net order whose value is ``spend_usd`` (inverse of :meth:`_spend_usd`)."""
        rooms, cum_v, _ = self._cap_table()
        if spend_usd <= 0:
            return spend_usd / cum_v[-1]
        j = bisect_left(range(len(rooms)), spend_usd, key=lambda i: self._spend_usd(rooms[i]))
        if j == len(rooms):                        # every holding capped: as far as it goes
            return rooms[-1]
        lo = rooms[j - 1] if j > 0 else 0.0
        return lo + (spend_usd - self._spend_usd(lo)) / (cum_v[-1] - cum_v[j])

    # --- orders and their settlement ---------------------------------------------------------
    def carve_out(self, firms, fraction: float) -> None:
        """At step 0: take ``fraction`` of every listed firm from the outside investors."""
        out = self.model.outside("outside_investors")
        for f in firms:
            take = fraction * f.shares_outstanding
            held = [c for c in self.model.claims.issued(f) if isinstance(c, EquityClaim)
                    and c.holder is out]
            if held:
                take = min(take, held[0].units)
                held[0].units -= take
            else:
                rest = f.shares_outstanding - take
                self.model.claims.add(EquityClaim(holder=out, issuer=f, kind="equity", units=rest,
                                                  cost_usd=rest * f.price_per_unit_usd()))
            self.model.claims.add(EquityClaim(holder=self.holder, issuer=f, kind="equity", units=take,
                                              cost_usd=take * f.price_per_unit_usd()))
        self._version += 1

    def _trade(self, share: float) -> float:
        """Buy (share > 0) or sell (share < 0) ``|share|`` of each holding from or to the outside
        investors, of a firm no more than their stake; returns the market value traded."""
        out = self.model.outside("outside_investors")
        traded = 0.0
        for c in self.claims():
            du = share * c.units
            theirs = self._outside_stake(c.issuer, out)
            if du > 0:
                du = min(du, theirs.units) if theirs is not None else 0.0
            if theirs is not None:
                theirs.units -= du
            elif du < 0:
                self.model.claims.add(EquityClaim(holder=out, issuer=c.issuer, kind="equity", units=-du))
            c.units += du
            traded += abs(du) * c.issuer.price_per_unit_usd()
        self._version += 1
        return traded

    def buy(self, amount_usd: float) -> tuple[float, float]:
        """Order index units for up to ``amount_usd`` at the unit price; returns (USD spent,
        units issued). The order buys ``amount_usd`` over the pool's value of every holding,
        at :meth:`settle`; less if an outside stake runs out."""
        value = self._holdings_value_usd()
        if amount_usd <= 0 or value <= 0:
            return 0.0, 0.0
        price = self.price_usd()
        growth = self._growth + amount_usd / value
        if growth <= self._room_min():
            spent = amount_usd
        else:
            spent = max(0.0, self._spend_usd(growth) - self._spend_usd(self._growth))
        self._growth = growth
        units = spent / price
        self.units += units
        self.pending_units += units
        return spent, units

    def sell(self, units: float) -> float:
        """Redeem ``units`` at the unit price (sold to the outside investors at :meth:`settle`);
        returns the proceeds (USD)."""
        if units <= 0 or self.units <= 0:
            return 0.0
        backed = self.units - self.pending_units
        proceeds = units * self.price_usd()
        if self._holdings_value_usd() > 0 and self._growth > self._room_min():
            self._growth = self._growth_at(self._spend_usd(self._growth) - proceeds)
        elif backed > 0:
            self._growth -= units / backed
        self.units -= units
        self.pending_units -= units
        return proceeds

    def settle(self) -> None:
        """Trade the stage's net order with the outside investors: one trade per listed firm.

        The model calls it at the end of the stage in which cohorts trade (the act stage);
        afterwards every unit is backed by the holdings again.
        """
        if self._growth:
            self._trade(self._growth)
        self._growth = 0.0
        self.pending_units = 0.0

    def sync(self) -> None:
        """Fold wipe-outs booked on the pool since the last call into ``wiped_per_unit``."""
        events = self.model.losses.events
        if self._events_seen == len(events):      # nothing booked since (100k cohorts ask)
            return
        new = sum(e["amount_usd"] for e in events[self._events_seen:] if e["holder"] == INDEX_ACCOUNT)
        self._events_seen = len(events)
        if new > 0 and self.units > 0:
            self.wiped_per_unit += new / self.units


class SaverCohort(Institution):
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
        self.panicked = False
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

    def decide(self) -> None:
        self._book_wipe_outs()
        bal = self.balance_usd()
        self.peak_usd = max(self.peak_usd, bal)
        self.panicked = (self.model.steps > self.out_of_market_until and self.peak_usd > 0
                         and bal < (1.0 - self.panic_drawdown) * self.peak_usd)

    def act(self) -> None:
        m = self.model
        p = m.p
        if self.panicked:
            self._book_wipe_outs()
            sell = p.saver_panic_sell_share * self.index_units
            proceeds = m.index_pool.sell(sell)
            cost = p.saver_panic_sell_share * self.index_cost_usd
            self.index_units -= sell
            self.index_cost_usd -= cost
            self.receive("securities_market", proceeds, "401k_panic_sale")
            # selling below cost turns a paper loss into a realised one, booked on the savers
            m.losses.record(self, max(0.0, cost - proceeds), m.outside("securities_market"),
                            "ai_index_panic_sale", m.steps)
            self.realised_loss_usd += max(0.0, cost - proceeds)
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
        self._book_wipe_outs()
        spent, units = m.index_pool.buy(index_share * cash)
        self.pay("securities_market", spent, "401k_index_purchase")
        self.index_units += units
        self.index_cost_usd += spent
        if pc_share > 0 and self.pc_fund is not None:     # (pc_share is 0 without a fund)
            self.pc_fund.subscribe(self, pc_share * cash + self._rebalance_usd())
        rest = self.cash_usd
        self.buy_bonds(rest)
