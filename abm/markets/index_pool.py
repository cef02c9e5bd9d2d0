"""The 401(k) index pool: the savers' AI index as claims on every listed firm [F18].

One outside account, ``401k_index``, holds for the 401(k) cohorts the same fraction of every
listed firm (chipmaker, hyperscalers, listed neoclouds), carved out of the outside
investors' stakes at step 0, so no listed firm is more than 100% owned. A unit is worth the
pool's market value over its units. Cohorts (:class:`abm.agents.saver.SaverCohort`) buy, and
panic-sell, units at that price; the pool nets the month's orders and, at the end of the act
stage, buys (or sells) the net order's share of every holding from (to) the outside
investors: one trade per listed firm, and of a firm never more than the outside investors
hold. The model creates it (``model.index_pool``); the calibration carves out its step-0
holdings (``models/calibration/savers.py``).
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from itertools import accumulate

from aicredit.abm.claims import EquityClaim
from aicredit.abm.economy import Economy

__all__ = ["IndexPool", "INDEX_ACCOUNT"]

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
        self.trades = 0               # trades with the outside investors so far (one per settle)
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
        self.trades += 1
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
