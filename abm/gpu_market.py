"""The GPU secondary market: one price per vintage, generation releases, depth (C3).

Reference price of vintage v at month t (USD per unit), before this month's fire sale:

    ref[v] = min(new_price, new_price * (1 - drop) ** releases_since(v) * (1 - dep) ** age_years(v)
                            * utilisation ** elasticity * dislocation[v] ** persistence)

``drop`` is the fall of older vintages at each new generation [F24], ``dep`` the yearly
economic depreciation [R5], ``utilisation`` realised over expected AI demand (rental
yields follow demand; see :func:`abm.agents.hyperscaler.demand_surprise`), and
``dislocation`` last month's clearing price over its reference price: a fire-sale discount
that heals only partly within a month. No used unit is worth more than a new one at list
price.

Market depth of a vintage (units whose sale cuts its price by a factor e, the exponential
impact of [R1], [R3]) is set by what can trade, not by every unit in existence:

    depth[v] = depth_share * (levered[v] + turnover * (all[v] - levered[v]))

``levered`` are the units held by the institutions that borrow against GPUs (the
neoclouds: pledged and unpledged, the units a fire sale or an estate can bring to market),
``all - levered`` the fleets that are never sold in a fire sale (hyperscalers'), of which
only the normal month's ``turnover`` trades. In Cont and Schaanning's depth
``D = c * ADV / sigma * sqrt(tau)`` [R3] depth scales with what trades; here with the
tradable float as [R1] scales impact with the capitalisation of what is sold. With
``turnover = 1`` it is the older ``depth_share * all``. With C3 off
(:func:`market_depth`) sales have no price impact: the depth is
:data:`NO_IMPACT_DEPTH`, effectively infinite but finite as the clearing kernel's contract
requires, so margin calls are still enforced at reference prices.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["GPUMarket", "units_outstanding", "market_depth", "NO_IMPACT_DEPTH"]

#: Depth passed to the clearing with C3 off: ``exp(-units / NO_IMPACT_DEPTH) == 1.0`` for any
#: realistic sale, so prices stay at reference (finite, as the kernel's contract requires).
NO_IMPACT_DEPTH = 1e300


def units_outstanding(institutions) -> np.ndarray:
    """GPU units per vintage held by ``institutions`` (every fleet, levered or not)."""
    return np.sum([a.gpu_units for a in institutions], axis=0)


def market_depth(economy) -> np.ndarray:
    """This month's market depth per vintage (units that cut its price by a factor e):
    from the levered holders' (neoclouds') units and the other fleets' turnover (module
    docstring); :data:`NO_IMPACT_DEPTH` with C3 off (sales move no price)."""
    gm = economy.gpu_market
    if not economy.p.c3_collateral_spiral:
        return np.full(gm.n_vintages, NO_IMPACT_DEPTH)
    levered = (units_outstanding(economy.neoclouds) if economy.neoclouds
               else np.zeros(gm.n_vintages))
    return gm.depth(levered, units_outstanding(economy.institutions))


class GPUMarket:
    """Vintages, their reference and clearing prices, and generation releases."""

    def __init__(self, *, steps: int, generation_months: int, first_release_step: int,
                 unit_price_usd: float, release_value_drop: float, depreciation_per_year: float,
                 utilisation_elasticity: float, depth_share: float, impact_persistence: float,
                 turnover_per_month: float = 1.0, n_existing: int = 3):
        releases = 0 if first_release_step > steps else 1 + (steps - first_release_step) // generation_months
        self.n_vintages = n_existing + releases
        self.n_existing = n_existing
        self.generation_months = generation_months
        self.first_release_step = first_release_step
        self.unit_price_usd = unit_price_usd
        self.drop = release_value_drop
        self.dep = depreciation_per_year
        self.elasticity = utilisation_elasticity
        self.depth_share = depth_share
        self.turnover = turnover_per_month
        self.persistence = impact_persistence
        # vintage k released (n_existing-1-k)*12 months before step 0; new ones on schedule
        self.release_step = np.array(
            [-(n_existing - 1 - k) * 12 for k in range(n_existing)]
            + [first_release_step + k * generation_months for k in range(releases)], dtype=np.int64)
        self.dislocation = np.ones(self.n_vintages)
        self.ref_price = np.zeros(self.n_vintages)
        self.price = np.zeros(self.n_vintages)
        self.units_sold = np.zeros(self.n_vintages)
        self.update_reference(0, 1.0)          # utilisation is 1 at step 0 by definition
        self.price = self.ref_price.copy()

    def released(self, step: int) -> np.ndarray:
        return self.release_step <= step

    def newest(self, step: int) -> int:
        """Index of the newest released vintage."""
        return int(np.flatnonzero(self.released(step))[-1])

    def scheduled_price(self, step: int) -> np.ndarray:
        """Price path from ageing and releases alone: ``new * (1-drop)^newer * (1-dep)^age``."""
        released = self.released(step)
        newer = np.clip(released.sum() - 1 - np.arange(self.n_vintages), 0, None)
        age_years = np.clip(step - self.release_step, 0, None) / 12.0
        sched = self.unit_price_usd * (1.0 - self.drop) ** newer * (1.0 - self.dep) ** age_years
        return np.where(released, sched, self.unit_price_usd)

    def update_reference(self, step: int, utilisation: float) -> np.ndarray:
        """Recompute this month's reference prices (formula in the module docstring)."""
        factor = max(utilisation, 1e-6) ** self.elasticity
        ref = self.scheduled_price(step) * factor * self.dislocation ** self.persistence
        # no used GPU is worth more than a new one at list price (buyers would buy new)
        self.ref_price = np.minimum(ref, self.unit_price_usd)
        return self.ref_price

    def price_index(self, step: int, units: np.ndarray) -> float:
        """Unit-weighted market price over the scheduled price (1 = on schedule)."""
        sched = self.scheduled_price(step)
        w = units * self.released(step)
        denom = float(w @ sched)
        return float(w @ self.price) / denom if denom > 0 else 1.0

    def depth(self, levered_units: np.ndarray, all_units: np.ndarray) -> np.ndarray:
        """Units that cut a vintage's price by a factor e (at least one unit): ``depth_share``
        times the tradable units, the levered holders' plus the turnover of the rest."""
        rest = np.maximum(all_units - levered_units, 0.0)
        return np.maximum(self.depth_share * (levered_units + self.turnover * rest), 1.0)

    def price_gap(self, step: int) -> np.ndarray:
        """How far each vintage's reference price is below its scheduled path (ageing and
        releases), ``max(0, 1 - ref / scheduled)``: the fall from demand and fire-sale
        dislocation that procyclical haircuts respond to (0 for unreleased vintages)."""
        sched = self.scheduled_price(step)
        gap = 1.0 - np.divide(self.ref_price, sched, out=np.ones_like(sched), where=sched > 0)
        return np.where(self.released(step), np.clip(gap, 0.0, 1.0), 0.0)

    def record_clearing(self, price: np.ndarray, units_sold: np.ndarray) -> None:
        """Store a clearing's prices; the discount to reference persists partly (C3)."""
        self.price = np.asarray(price, float).copy()
        self.units_sold = np.asarray(units_sold, float).copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            self.dislocation = np.where(self.ref_price > 0, self.price / self.ref_price, 1.0)

    def liquidation_price(self, vintage: int, units: float, depth: float,
                          moves_market: bool = True) -> float:
        """Price received for ``units`` of collateral or estate GPUs dumped after the month's
        clearing (defaults), all sold at the post-impact price:

            p_after = p * exp(-units / depth)

        The units are added to the month's ``units_sold``. With ``moves_market`` (C3 on) the
        dump sets the vintage's market price to ``p_after`` and its dislocation accordingly,
        so dumps in the same month compound and the discount carries into next month like a
        clearing's; without it (C3 off) only the seller's proceeds bear the impact."""
        self.units_sold[vintage] += units
        price = float(self.price[vintage] * math.exp(-units / depth))
        if moves_market:
            self.price[vintage] = price
            ref = self.ref_price[vintage]
            self.dislocation[vintage] = price / ref if ref > 0 else 1.0
        return price
