"""The GPU market: compute capacity, utilisation, rental rates and used-GPU values (C3).

**Capacity.** Vintage v (released at month ``s_v``) delivers ``q_v = (1 - drop)^(-v)``
H100-equivalents of compute per unit: each generation gives ``1 / (1 - drop)`` times the
compute of the last at the same list price, so the cost of new compute falls by ``drop`` at
each release [F24], [R20]. A unit works for ``L`` months after its release [R6]. Installed
capacity (H100-equivalents) counts every working unit, whoever holds it (units sold to
outside buyers in fire sales and liquidations keep working):

    K_t = sum_v N_v,t * q_v * [0 <= t - s_v < L]

**Demand and utilisation.** Demand for compute (H100-hours a month) is what buyers spend on
compute, ``S_t`` (USD a month: the AI labs' compute contracts and the compute of hyperscalers'
own AI services, :mod:`abm.markets.compute_demand`), times ``k``, deflated by the trend price
of compute, which falls by ``drop`` a generation (buyers spend their budgets and get more
compute as it gets cheaper). ``k`` is calibrated so that utilisation is ``u0`` at step 0 in
``baseline``. The demand ratio ``x_t`` may exceed 1 (more hours wanted than exist);
utilisation cannot:

    H_t = k * S_t / (r0 * (1 - drop)^(t / G)),   x_t = H_t / (hours * K_t),   u_t = min(1, x_t)

**Rental rate.** Per H100-hour, the frontier rate steps down by ``drop`` at each release
(releases are on a public yearly schedule) and moves with utilisation; when more hours are
wanted than exist, the rate clears the rental market: buyers with budgets fixed in dollars
(demand elasticity ``e``, 1 for fixed budgets) bid it up until the hours they want equal
capacity, ``x (r / r(1))^(-e) = 1`` (scarcity rents):

    r_t = f_t * rent(x_t),    f_t = r0 * (1 - drop)^(releases in (0, t)],
    rent(x) = (min(x, 1) / u0)^eta * max(x, 1)^(1 / e)

``r0`` is the H100 rate of [R19] at the utilisation ``u0`` of [R21].

**Expected utilisation.** Buyers of used capital price it on the earnings they expect, not on
this month's (Kalouptsidi 2014, second-hand ships; Gavazza 2011, used aircraft): a demand
surprise is expected to fade as capacity and demand adjust, the demand ratio reverting to
its long-run level ``u_bar = u0`` as an AR(1):

    E_t[x_{t+j}] = u_bar + (x_t - u_bar) * phi^j,     phi = 0.5^(1 / half_life)

(``phi = 0``: only this month is at ``x_t``; ``phi = 1``: today's ratio persists.)

**Value of a unit**: the present value of the net rents it is expected to earn over its
remaining working life, at the scheduled frontier rates (the releases are anticipated, so a
release brings no cliff in value: a unit loses it over the year before) and the expected
demand ratio. A unit is switched off when its rent does not cover its operating cost ``c``
(power and space, per unit-hour):

    PV_v,t = sum_{j=0}^{L-1} beta^(j+1) * [t + j - s_v < L]
             * max(0, f_{t+j} * rent(E_t x_{t+j}) * min(1, E_t x_{t+j}) * q_v * hours - c * hours)

with ``beta = (1 + i)^(-1/12)``. The reference price of vintage v before this month's fire
sale, newest vintage ``n`` included (no pin at list price):

    ref[n] = min(new_price, max(1 USD, PV_n,t * dislocation[n] ** persistence))
    ref[v] = min(ref[n] * q_v / q_n, max(1 USD, PV_v,t * dislocation[v] ** persistence))

``dislocation`` is last month's clearing price over its reference price: a fire-sale
discount that heals only partly within a month. Nobody pays more than list price for a new
unit (the chipmaker sells at list), and nobody pays more for an old unit than its compute is
worth at the newest vintage's price (the quality cap, ``quality_cap``; Gavazza 2011: used and
new units are substitutes in quality-adjusted terms). A retired unit's scrap value is taken
as zero (the 1 USD floor keeps prices positive for the fire-sale clearing). The *scheduled*
price is the same formula at the long-run ratio ``u_bar`` without dislocation, and the GPU
index (:meth:`GPUMarket.price_index`) is market over scheduled value, so a release, being on
schedule, moves neither.

Market depth of a vintage (units whose sale cuts its price by a factor e, the exponential
impact of [R1], [R3]) is set by what can trade, not by every unit in existence:

    depth[v] = depth_share * (levered[v] + turnover * (all[v] - levered[v]))

``levered`` are the units held by the institutions that borrow against GPUs (the
neoclouds: pledged and unpledged, the units a fire sale or an estate can bring to market),
``all - levered`` the fleets that are never sold in a fire sale (hyperscalers'), of which
only the normal month's ``turnover`` trades. In Cont and Schaanning's depth
``D = c * ADV / sigma * sqrt(tau)`` [R3] depth scales with what trades; here with the
tradable float as [R1] scales impact with the capitalisation of what is sold. With
``turnover = 1`` it is the older ``depth_share * all``.

Buyers' financing (model 0.6.1). The natural buyers of used GPUs are other compute providers,
who buy them with GPU-backed loans from the same lenders; when those lenders have lost money
they lend less, and the buyers who could pay the most cannot (Shleifer and Vishny 1992;
Pulvino 1998: used aircraft sold while airlines are financially constrained fetch less). So
the depth above is scaled by :func:`buyers_financing_factor`,
``s + (1 - s) f``, with ``f`` the lenders' NAV-weighted lending appetite (1 when no lender has
lost money) and ``s`` = ``gpu_market_outside_buyer_share`` the depth that buyers financed
outside the model bring. With C3 off
(:func:`market_depth`) sales have no price impact: the depth is
:data:`NO_IMPACT_DEPTH`, effectively infinite but finite as the clearing kernel's contract
requires, so margin calls are still enforced at reference prices.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["GPUMarket", "units_outstanding", "market_depth", "buyers_financing_factor", "reversion_factor",
           "HOURS_PER_MONTH",
           "NO_IMPACT_DEPTH"]

#: Hours in an average month (8,760 / 12).
HOURS_PER_MONTH = 730.0
#: The lowest reference price (USD): positive for the fire-sale clearing; a retired unit is scrap.
PRICE_FLOOR_USD = 1.0
#: Depth passed to the clearing with C3 off: ``exp(-units / NO_IMPACT_DEPTH) == 1.0`` for any
#: realistic sale, so prices stay at reference (finite, as the kernel's contract requires).
NO_IMPACT_DEPTH = 1e300


def reversion_factor(half_life_months: float) -> float:
    """``phi = 0.5^(1 / half_life)``: the monthly persistence of a demand surprise in buyers'
    expectations; 0 for a half-life of 0 (gone next month), 1 for an infinite one (persists)."""
    if half_life_months <= 0:
        return 0.0
    return 0.5 ** (1.0 / half_life_months)


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
    return gm.depth(levered, units_outstanding(economy.institutions)) * buyers_financing_factor(economy)


def buyers_financing_factor(economy: Economy) -> float:
    """``s + (1 - s) f`` (module docstring): ``f`` the live funds' NAV-weighted lending appetite
    (1 without live funds), ``s`` = ``gpu_market_outside_buyer_share``."""
    funds = [f for f in economy.funds if not f.defaulted]
    nav = np.array([max(f.true_nav_usd(), 0.0) for f in funds])
    f = float(np.array([x.appetite for x in funds]) @ nav / nav.sum()) if nav.sum() > 0 else 1.0
    s = economy.p.gpu_market_outside_buyer_share
    return s + (1.0 - s) * f


class GPUMarket:
    """Vintages, capacity and utilisation, rental rates, reference and clearing prices."""

    def __init__(self, *, steps: int, generation_months: int, first_release_step: int,
                 unit_price_usd: float, release_value_drop: float, useful_life_months: int,
                 rental_usd_per_hour: float, reference_utilisation: float,
                 utilisation_elasticity: float, operating_cost_usd_per_hour: float,
                 discount_rate_per_year: float, compute_per_usd: float,
                 depth_share: float, impact_persistence: float,
                 turnover_per_month: float = 1.0, n_existing: int = 3,
                 utilisation_half_life_months: float = math.inf, demand_elasticity: float = 1.0,
                 quality_cap: bool = True):
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
        self.compute_per_usd = compute_per_usd
        self.phi = reversion_factor(utilisation_half_life_months)
        self.demand_elasticity = demand_elasticity
        self.quality_cap = quality_cap
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
        self.dislocation = np.ones(self.n_vintages)
        self.surprise_variance = 0.0                # EWMA of the squared monthly price surprise
        self._log_gap: float | None = None          # last month's log(ref / scheduled), fleet-wide
        self.ref_price = np.zeros(self.n_vintages)
        self.price = np.zeros(self.n_vintages)
        self.units_sold = np.zeros(self.n_vintages)
        self.units_resold = np.zeros(self.n_vintages)   # sold to outside buyers, still working
        self._resold_through = 0                        # last step whose sales are counted
        self.utilisation = self.u0                      # step 0: the reference utilisation
        self.demand_ratio = self.u0                     # hours wanted over hours installed
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

    def releases_through(self, steps):
        """Scheduled releases in months 1..``s`` for each month ``s`` of ``steps`` (the step-0
        vintage is the newest at 0; vectorised over an array of months)."""
        s = np.asarray(steps)
        return np.where(s < max(self.first_release_step, 1), 0,
                        1 + (s - self.first_release_step) // self.generation_months)

    def releases_since_start(self, step: int) -> int:
        """Scheduled releases in months 1..``step`` (:meth:`releases_through` of one month)."""
        return int(self.releases_through(step))

    def working(self, step: int) -> np.ndarray:
        """Vintages released and within their useful life at ``step``."""
        age = step - self.release_step
        return (age >= 0) & (age < self.life)

    # --- rental market -------------------------------------------------------------------
    def frontier_rate(self, step: int) -> float:
        """Rental rate per H100-hour at the reference utilisation (steps down at releases)."""
        return self.rental0 * (1.0 - self.drop) ** self.releases_since_start(step)

    def frontier_path(self, step: int) -> np.ndarray:
        """The scheduled frontier rates ``f_{t+j}``, j = 0 .. L-1 (releases are anticipated)."""
        return self.rental0 * (1.0 - self.drop) ** self.releases_through(step + self._horizon)

    def rent_factor(self, demand_ratio):
        """``rent(x) = (min(x, 1) / u0)^eta * max(x, 1)^(1 / e)`` (module docstring): the rate
        over the frontier rate; above capacity the rate clears the rental market."""
        x = np.maximum(demand_ratio, 0.0)
        return ((np.minimum(x, 1.0) / self.u0) ** self.elasticity
                * np.maximum(x, 1.0) ** (1.0 / self.demand_elasticity))

    def rental_rate_at(self, step: int, demand_ratio: float) -> float:
        """``r_t = f_t * rent(x_t)`` (module docstring)."""
        return float(self.frontier_rate(step) * self.rent_factor(demand_ratio))

    def expected_ratio(self, demand_ratio: float) -> np.ndarray:
        """``E_t[x_{t+j}] = u_bar + (x_t - u_bar) phi^j`` for j = 0 .. L-1, ``u_bar = u0``."""
        return self.u0 + (max(demand_ratio, 0.0) - self.u0) * self.phi ** self._horizon

    def installed_units(self, units_held: np.ndarray) -> np.ndarray:
        """Units per vintage in the world: held by institutions plus those sold to outside
        buyers in past fire sales and liquidations."""
        return np.asarray(units_held, float) + self.units_resold

    def capacity_at(self, step: int, units_held: np.ndarray) -> float:
        """Working capacity in H100-equivalents: ``sum_v N_v q_v [working]``."""
        n = self.installed_units(units_held) * self.working(step)
        return float(n @ self.compute_per_unit)

    def demand_for_compute(self, step: int, compute_spending_usd: float) -> float:
        """H100-hours demanded this month: ``k * S_t`` at the trend price of compute."""
        trend_price = self.rental0 * (1.0 - self.drop) ** (step / self.generation_months)
        return self.compute_per_usd * compute_spending_usd / trend_price

    def calibrate_compute_demand(self, units_held: np.ndarray, compute_spending_usd: float) -> float:
        """Set ``k`` so that the step-0 fleet is used at the reference utilisation ``u0`` [R21]
        by the step-0 compute spending; returns ``k``, the H100-hours bought per dollar spent
        over those the trend rental rate buys (the share of the spending that rents GPU hours
        rather than other inputs of a cloud's service). Calibrated on each scenario's own
        opening fleet (January 2025 is the same world in every scenario), so later capex and
        purchases, not the calibration, move utilisation."""
        hours = HOURS_PER_MONTH * self.capacity_at(0, units_held)
        self.compute_per_usd = self.u0 * hours * self.rental0 / compute_spending_usd
        return self.compute_per_usd

    def observe(self, step: int, units_held: np.ndarray, compute_spending_usd: float) -> float:
        """This month's capacity, compute demand, demand ratio ``x_t`` and utilisation
        ``u_t = min(1, x_t)`` (returned).

        Units sold to outside buyers last month (``units_sold`` then) join the installed
        base once per month."""
        if step > self._resold_through:
            self.units_resold = self.units_resold + self.units_sold
            self._resold_through = step
        self.capacity = self.capacity_at(step, units_held)
        self.compute_demand = self.demand_for_compute(step, compute_spending_usd)
        hours = HOURS_PER_MONTH * self.capacity
        self.demand_ratio = self.compute_demand / hours if hours > 0 else 1.0
        self.utilisation = min(1.0, self.demand_ratio)
        return self.utilisation

    # --- values --------------------------------------------------------------------------
    def net_rents(self, step: int, demand_ratio: float) -> np.ndarray:
        """Discounted expected net rents per unit, vintage by month ahead (``beta^(j+1)`` times
        the module docstring's summand)."""
        x = self.expected_ratio(demand_ratio)
        per_compute = self.frontier_path(step) * self.rent_factor(x) * np.minimum(x, 1.0)
        gross = HOURS_PER_MONTH * np.outer(self.compute_per_unit, per_compute)
        net = np.maximum(gross - self.opex * HOURS_PER_MONTH, 0.0)
        age = step + self._horizon[None, :] - self.release_step[:, None]
        alive = (age >= 0) & (age < self.life)
        return net * alive * self._discount

    def present_value(self, step: int, demand_ratio: float) -> np.ndarray:
        """Present value per unit of each vintage's expected net rents (module docstring)."""
        return self.net_rents(step, demand_ratio).sum(axis=1)

    def value(self, step: int, demand_ratio: float) -> np.ndarray:
        """Present value with the quality cap anticipated at each scheduled release: at the
        k-th release ahead (``J_k`` months away) a unit cannot be worth more than list price
        times its compute over the vintage released then, so, backwards from the last,

            W_k = min(S_k + W_{k+1}, beta^(J_k) * new_price * q_v / q_(n+k)),   value = S_0 + W_1

        with ``S_k`` the discounted rents between releases k and k+1. A release then brings no
        cliff: the cap is priced in over the months before it. Without the quality cap: the PV."""
        rents = self.net_rents(step, demand_ratio)
        if not self.quality_cap:
            return rents.sum(axis=1)
        s = step + self._horizon
        ahead = np.flatnonzero((s >= max(self.first_release_step, 1))
                               & ((s - self.first_release_step) % self.generation_months == 0))
        bounds = np.concatenate([[0], ahead[ahead > 0], [self.life]])
        cum = np.concatenate([np.zeros((rents.shape[0], 1)), np.cumsum(rents, axis=1)], axis=1)
        q_new = self.compute_per_unit[self.newest(step)]
        w = np.zeros(rents.shape[0])
        for k in range(len(bounds) - 2, 0, -1):
            start, end = bounds[k], bounds[k + 1]
            q_next = q_new / (1.0 - self.drop) ** k
            cap = self.beta ** start * self.unit_price_usd * self.compute_per_unit / q_next
            w = np.minimum(cum[:, end] - cum[:, start] + w, cap)
        return cum[:, bounds[1]] + w

    def price_from_value(self, step: int, value: np.ndarray) -> np.ndarray:
        """Prices from values: each at least the floor and at most list price, each at most
        the newest vintage's price times its compute relative to the newest (the quality cap),
        unreleased vintages at list price (module docstring)."""
        price = np.minimum(value, self.unit_price_usd)
        n = self.newest(step)
        if self.quality_cap:
            price = np.minimum(price, price[n] * self.compute_per_unit / self.compute_per_unit[n])
        return np.where(self.released(step), np.maximum(price, PRICE_FLOOR_USD), self.unit_price_usd)

    def scheduled_price(self, step: int) -> np.ndarray:
        """Prices at the long-run demand ratio ``u_bar`` and without fire-sale discounts: the
        path from ageing and the release schedule alone (unreleased at list)."""
        return self.price_from_value(step, self.value(step, self.u0))

    def update_reference(self, step: int, demand_ratio: float | None = None) -> np.ndarray:
        """Recompute this month's rental rate and reference prices at the demand ratio
        ``x_t`` (this month's observed one by default; module docstring)."""
        x = self.demand_ratio if demand_ratio is None else max(demand_ratio, 0.0)
        self.demand_ratio = x
        self.utilisation = min(x, 1.0)
        self.rental_rate = self.rental_rate_at(step, x)
        value = self.value(step, x) * self.dislocation ** self.persistence
        self.ref_price = self.price_from_value(step, value)
        return self.ref_price

    def observe_volatility(self, step: int, decay: float, units: np.ndarray) -> float:
        """Update and return the GPU market's measured monthly volatility, the RiskMetrics EWMA
        ``s2_t = decay * s2_{t-1} + (1 - decay) * r_t^2`` (J.P. Morgan/Reuters 1996) of the
        month's *surprise* ``r_t = d ln(sum_v n_v ref_v / sum_v n_v sched_v)``: the move of the
        fleet's reference value (demand news and last month's fire-sale discount, ``n_v`` the
        units of each released vintage) against its scheduled path, so scheduled ageing and
        releases, which lenders expect, are not volatility. One measure for the market (per
        vintage, the near-worthless vintages at the end of their lives would swamp it). It starts
        at 0: no volatility is measured before the first month's move."""
        sched = self.scheduled_price(step)
        w = np.where(self.released(step), np.asarray(units, float), 0.0)
        base = float(w @ sched)
        if base <= 0 or float(w @ self.ref_price) <= 0:
            return math.sqrt(self.surprise_variance)
        gap = math.log(float(w @ self.ref_price) / base)
        r = 0.0 if self._log_gap is None else gap - self._log_gap
        self.surprise_variance = decay * self.surprise_variance + (1.0 - decay) * r * r
        self._log_gap = gap
        return math.sqrt(self.surprise_variance)

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
