"""The GPU market: compute capacity, utilisation, rental rates and used-GPU values (C3).

**Capacity.** Vintage v (released at month ``s_v``) delivers ``q_v = (1 - drop)^(-v)``
H100-equivalents of compute per unit: each generation gives ``1 / (1 - drop)`` times the
compute of the last at the same list price, so the cost of new compute falls by ``drop`` at
each release [F24], [R20]. A unit works for ``L`` months after its release [R6]. Installed
capacity (H100-equivalents) counts every working unit, whoever holds it (units sold to
outside buyers in fire sales and liquidations keep working):

    K_t = sum_v N_v,t * q_v * [0 <= t - s_v < L]

**Demand and utilisation.** Demand for compute (H100-hours a month) is AI demand ``D_t``
(USD a month) times the compute bought per dollar of it, ``k`` (calibrated so that
utilisation is ``u0`` at step 0 in ``baseline``: the industry buys compute worth several
times its AI revenue, the gap of [F16]), deflated by the trend price of compute, which falls
by ``drop`` a generation (AI buyers spend a stable amount and get more compute as it gets
cheaper):

    H_t = k * D_t / (r0 * (1 - drop)^(t / G)),     u_t = min(1, H_t / (hours * K_t))

**Rental rate.** Per H100-hour, the frontier rate steps down by ``drop`` at each release and
moves with utilisation (a rental market that clears on price when capacity is slack):

    r_t = r0 * (1 - drop)^(releases in (0, t]) * (u_t / u0)^eta

``r0`` is the H100 rate of [R19] at the utilisation ``u0`` of [R21]; ``u_t <= 1`` caps it.

**Value of a used unit** (as for used capital goods, Kalouptsidi 2014: the present value of
the earnings it is expected to make over its remaining working life). Buyers expect today's
utilisation to persist and rental rates to fall at the trend of technical progress,
``(1 - drop)^(j / G)`` after ``j`` months, smoothly; realised rates fall in steps at
releases, so a release lowers every older vintage's value [F24]. A unit is switched off when
its rent does not cover its operating cost ``c`` (power and space, per unit-hour):

    PV_v,t = sum_{j=0}^{L-1} beta^(j+1) * [t + j - s_v < L]
             * max(0, r_t * (1 - drop)^(j / G) * q_v * u_t * hours - c * hours)

with ``beta = (1 + i)^(-1/12)``. The reference price of vintage v before this month's fire
sale is

    ref[v] = min(new_price, max(1 USD, PV_v,t * dislocation[v] ** persistence))

``dislocation`` is last month's clearing price over its reference price: a fire-sale
discount that heals only partly within a month. No used unit is worth more than a new one at
list price, and the newest vintage is sold new at list price (``new_price``, the anchor:
the chipmaker sells fewer units in a glut rather than cutting its price). A retired unit's
scrap value is taken as zero (the 1 USD floor keeps prices positive for the fire-sale
clearing).

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

from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["GPUMarket", "units_outstanding", "market_depth", "HOURS_PER_MONTH", "NO_IMPACT_DEPTH"]

#: Hours in an average month (8,760 / 12).
HOURS_PER_MONTH = 730.0
#: The lowest reference price (USD): positive for the fire-sale clearing; a retired unit is scrap.
PRICE_FLOOR_USD = 1.0
#: Depth passed to the clearing with C3 off: ``exp(-units / NO_IMPACT_DEPTH) == 1.0`` for any
#: realistic sale, so prices stay at reference (finite, as the kernel's contract requires).
NO_IMPACT_DEPTH = 1e300


def units_outstanding(institutions) -> np.ndarray:
    """GPU units per vintage held by ``institutions`` (every fleet, levered or not)."""
    return np.sum([a.gpu_units for a in institutions], axis=0)


def market_depth(economy: Economy) -> np.ndarray:
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
    """Vintages, capacity and utilisation, rental rates, reference and clearing prices."""

    def __init__(self, *, steps: int, generation_months: int, first_release_step: int,
                 unit_price_usd: float, release_value_drop: float, useful_life_months: int,
                 rental_usd_per_hour: float, reference_utilisation: float,
                 utilisation_elasticity: float, operating_cost_usd_per_hour: float,
                 discount_rate_per_year: float, compute_per_ai_usd: float,
                 depth_share: float, impact_persistence: float,
                 turnover_per_month: float = 1.0, n_existing: int = 3):
        releases = 0 if first_release_step > steps else 1 + (steps - first_release_step) // generation_months
        self.n_vintages = n_existing + releases
        self.n_existing = n_existing
        self.generation_months = generation_months
        self.first_release_step = first_release_step
        self.unit_price_usd = unit_price_usd
        self.drop = release_value_drop
        self.life = int(useful_life_months)
        self.rental0 = rental_usd_per_hour
        self.u0 = reference_utilisation
        self.elasticity = utilisation_elasticity
        self.opex = operating_cost_usd_per_hour
        self.beta = (1.0 + discount_rate_per_year) ** (-1.0 / MONTHS_PER_YEAR)
        self.compute_per_ai_usd = compute_per_ai_usd
        self.depth_share = depth_share
        self.turnover = turnover_per_month
        self.persistence = impact_persistence
        # vintage k released (n_existing-1-k)*12 months before step 0; new ones on schedule
        self.release_step = np.array(
            [-(n_existing - 1 - k) * 12 for k in range(n_existing)]
            + [first_release_step + k * generation_months for k in range(releases)], dtype=np.int64)
        self.compute_per_unit = (1.0 - self.drop) ** -np.arange(self.n_vintages, dtype=float)
        months = np.arange(self.life)
        self._horizon = months                                    # j = 0 .. L-1
        self._discount = self.beta ** (months + 1.0)
        self._trend = (1.0 - self.drop) ** (months / generation_months)
        self.dislocation = np.ones(self.n_vintages)
        self.ref_price = np.zeros(self.n_vintages)
        self.price = np.zeros(self.n_vintages)
        self.units_sold = np.zeros(self.n_vintages)
        self.units_resold = np.zeros(self.n_vintages)   # sold to outside buyers, still working
        self._resold_through = 0                        # last step whose sales are counted
        self.utilisation = self.u0                      # step 0: the reference utilisation
        self.capacity = 0.0                             # H100-equivalents working
        self.compute_demand = 0.0                       # H100-hours demanded a month
        self.rental_rate = self.rental0
        self.update_reference(0, self.u0)
        self.price = self.ref_price.copy()

    # --- the schedule --------------------------------------------------------------------
    def released(self, step: int) -> np.ndarray:
        return self.release_step <= step

    def newest(self, step: int) -> int:
        """Index of the newest released vintage."""
        return int(np.flatnonzero(self.released(step))[-1])

    def releases_since_start(self, step: int) -> int:
        """Scheduled releases in months 1..``step`` (the step-0 vintage is the newest at 0)."""
        if step < max(self.first_release_step, 1):
            return 0
        return 1 + (step - self.first_release_step) // self.generation_months

    def working(self, step: int) -> np.ndarray:
        """Vintages released and within their useful life at ``step``."""
        age = step - self.release_step
        return (age >= 0) & (age < self.life)

    # --- rental market -------------------------------------------------------------------
    def frontier_rate(self, step: int) -> float:
        """Rental rate per H100-hour at the reference utilisation (steps down at releases)."""
        return self.rental0 * (1.0 - self.drop) ** self.releases_since_start(step)

    def rental_rate_at(self, step: int, utilisation: float) -> float:
        """``r_t = frontier_rate * (u / u0)^eta`` with ``u`` at most 1 (module docstring)."""
        u = min(max(utilisation, 0.0), 1.0)
        return self.frontier_rate(step) * (u / self.u0) ** self.elasticity

    def installed_units(self, units_held: np.ndarray) -> np.ndarray:
        """Units per vintage in the world: held by institutions plus those sold to outside
        buyers in past fire sales and liquidations."""
        return np.asarray(units_held, float) + self.units_resold

    def capacity_at(self, step: int, units_held: np.ndarray) -> float:
        """Working capacity in H100-equivalents: ``sum_v N_v q_v [working]``."""
        n = self.installed_units(units_held) * self.working(step)
        return float(n @ self.compute_per_unit)

    def demand_for_compute(self, step: int, ai_demand_usd: float) -> float:
        """H100-hours demanded this month: ``k * D_t`` at the trend price of compute."""
        trend_price = self.rental0 * (1.0 - self.drop) ** (step / self.generation_months)
        return self.compute_per_ai_usd * ai_demand_usd / trend_price

    def calibrate_compute_demand(self, units_held: np.ndarray, ai_demand_usd: float) -> float:
        """Set ``k`` so that the step-0 fleet is used at the reference utilisation ``u0`` [R21]
        by the step-0 AI demand; returns ``k``, the compute bought per dollar of AI demand
        (valued at the trend rental rate): the gap between compute spending and AI revenue of
        [F16]. Calibrated on each scenario's own opening fleet (January 2025 is the same
        world in every scenario), so later capex, not the calibration, moves utilisation."""
        hours = HOURS_PER_MONTH * self.capacity_at(0, units_held)
        self.compute_per_ai_usd = self.u0 * hours * self.rental0 / ai_demand_usd
        return self.compute_per_ai_usd

    def observe(self, step: int, units_held: np.ndarray, ai_demand_usd: float) -> float:
        """This month's capacity, compute demand and utilisation ``u_t`` (returned).

        Units sold to outside buyers last month (``units_sold`` then) join the installed
        base once per month."""
        if step > self._resold_through:
            self.units_resold = self.units_resold + self.units_sold
            self._resold_through = step
        self.capacity = self.capacity_at(step, units_held)
        self.compute_demand = self.demand_for_compute(step, ai_demand_usd)
        hours = HOURS_PER_MONTH * self.capacity
        self.utilisation = min(1.0, self.compute_demand / hours) if hours > 0 else 1.0
        return self.utilisation

    # --- values --------------------------------------------------------------------------
    def present_value(self, step: int, utilisation: float) -> np.ndarray:
        """Present value per unit of each vintage's expected earnings (module docstring)."""
        u = min(max(utilisation, 0.0), 1.0)
        rate = self.rental_rate_at(step, u)
        gross = (rate * u * HOURS_PER_MONTH) * np.outer(self.compute_per_unit, self._trend)
        net = np.maximum(gross - self.opex * HOURS_PER_MONTH, 0.0)
        age = step + self._horizon[None, :] - self.release_step[:, None]
        alive = (age >= 0) & (age < self.life)
        return (net * alive) @ self._discount

    def scheduled_price(self, step: int) -> np.ndarray:
        """Reference price at the reference utilisation and without fire-sale discounts: the
        path from ageing and releases alone (newest at list price, unreleased at list)."""
        value = np.maximum(np.minimum(self.present_value(step, self.u0), self.unit_price_usd),
                           PRICE_FLOOR_USD)
        value[self.newest(step)] = self.unit_price_usd
        return np.where(self.released(step), value, self.unit_price_usd)

    def update_reference(self, step: int, utilisation: float) -> np.ndarray:
        """Recompute this month's rental rate and reference prices (module docstring)."""
        self.utilisation = min(max(utilisation, 0.0), 1.0)
        self.rental_rate = self.rental_rate_at(step, self.utilisation)
        value = self.present_value(step, self.utilisation) * self.dislocation ** self.persistence
        # no used GPU is worth more than a new one at list price (buyers would buy new)
        ref = np.minimum(np.maximum(value, PRICE_FLOOR_USD), self.unit_price_usd)
        # the newest vintage is sold new at list price: the chipmaker's price is the anchor
        ref[self.newest(step)] = self.unit_price_usd
        self.ref_price = np.where(self.released(step), ref, self.unit_price_usd)
        return self.ref_price

    def price_index(self, step: int, units: np.ndarray) -> float:
        """Unit-weighted market price over the scheduled price (1 = on schedule)."""
        sched = self.scheduled_price(step)
        w = units * self.released(step)
        denom = float(w @ sched)
        return float(w @ self.price) / denom if denom > 0 else 1.0

    # --- the fire sale (C3) --------------------------------------------------------------
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
