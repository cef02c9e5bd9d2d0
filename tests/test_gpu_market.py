"""GPU prices from fundamentals (abm/markets/gpu.py): capacity, utilisation, rental rates and
the present value of a used GPU, on small constructed cases; the step-0 calibration; and,
over paired seeds (slow), the signs of demand and capex on GPU prices."""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.markets.gpu import HOURS_PER_MONTH
from aicredit.models.scenario import Scenario


def test_capacity_counts_compute_per_unit_working_units_and_resold_units(make_gpu_market):
    gm = make_gpu_market()
    q = gm.compute_per_unit
    assert q[:3] == pytest.approx([1.0, 1 / 0.75, 1 / 0.75 ** 2])
    units = np.zeros(gm.n_vintages)
    units[:3] = [10.0, 20.0, 30.0]
    assert gm.capacity_at(0, units) == pytest.approx(units @ q)
    # vintage 0 (released at -24) retires at month 48 of a 72-month life
    assert gm.capacity_at(48, units) == pytest.approx(units[1:] @ q[1:])
    # units sold to outside buyers keep working: they join the installed base next month
    gm.units_sold = np.zeros(gm.n_vintages)
    gm.units_sold[0] = 4.0
    gm.observe(1, units - gm.units_sold, 0.0)
    assert gm.capacity == pytest.approx(units @ q)


def test_utilisation_is_compute_demand_over_capacity_capped_at_one(make_gpu_market):
    gm = make_gpu_market()
    units = np.zeros(gm.n_vintages)
    units[0] = 1000.0                                       # 1000 H100s
    # demand for half their hours at step 0 (trend price = r0)
    demand_usd = 0.5 * 1000 * HOURS_PER_MONTH * 2.0
    assert gm.observe(0, units, demand_usd) == pytest.approx(0.5)
    assert gm.observe(0, 2 * units, demand_usd) == pytest.approx(0.25)   # more supply
    assert gm.observe(0, units, 4 * demand_usd) == 1.0


def test_rental_rate_falls_with_utilisation_and_steps_down_at_releases(make_gpu_market):
    gm = make_gpu_market()
    assert gm.rental_rate_at(0, 0.8) == pytest.approx(2.0)
    assert gm.rental_rate_at(0, 0.2) == pytest.approx(2.0 * 0.5)          # (0.2/0.8)^0.5
    assert gm.rental_rate_at(9, 0.8) == pytest.approx(0.75 * gm.rental_rate_at(8, 0.8))
    assert gm.rental_rate_at(21, 0.8) == pytest.approx(0.75 ** 2 * 2.0)


def test_present_value_by_hand(make_gpu_market):
    """One vintage, no releases, no opex, flat expectations: an annuity over the remaining life."""
    gm = make_gpu_market(release_value_drop=0.0, operating_cost_usd_per_hour=0.0, steps=1,
                first_release_step=100, useful_life_months=30)
    beta = 1.12 ** (-1 / 12)
    monthly = 2.0 * 0.8 * HOURS_PER_MONTH
    # vintage 0 released at -24: 6 months left; vintage 2 released at 0: 30 months
    pv = gm.present_value(0, 0.8)
    assert pv[0] == pytest.approx(monthly * sum(beta ** (j + 1) for j in range(6)))
    assert pv[2] == pytest.approx(monthly * sum(beta ** (j + 1) for j in range(30)))
    assert gm.present_value(6, 0.8)[0] == 0.0                            # retired


def test_values_rise_with_utilisation_and_a_unit_below_its_running_cost_is_worthless(make_gpu_market):
    gm = make_gpu_market()
    low, mid, high = (gm.present_value(12, u) for u in (0.3, 0.6, 0.9))
    assert (low[:4] < mid[:4]).all() and (mid[:4] < high[:4]).all()
    pricey = make_gpu_market(operating_cost_usd_per_hour=100.0)
    assert (pricey.present_value(0, 1.0) == 0.0).all()
    pricey.update_reference(0, 1.0)
    assert (pricey.ref_price[pricey.released(0)] == 1.0).all()          # the positive floor


def test_fire_sale_discount_persists_into_the_reference_price(make_gpu_market):
    gm = make_gpu_market()
    gm.update_reference(1, 0.8)
    ref = gm.ref_price.copy()
    price = ref.copy()
    price[0] *= 0.5
    gm.record_clearing(price, np.zeros(gm.n_vintages))
    gm.update_reference(2, 0.8)
    assert gm.ref_price[0] / gm.value(2, 0.8)[0] == pytest.approx(0.5 ** 0.5)


def test_step0_calibration(baseline0):
    """Utilisation of the opening fleets is the reference [R21]; the H100-class vintage is worth
    15-28 k USD [R20]; each vintage below the next; the newest at most at list price (its
    expected rents are worth more: the list price binds)."""
    gm, p = baseline0.gpu_market, baseline0.p
    assert gm.utilisation == pytest.approx(p.gpu_reference_utilisation, rel=0.02)
    assert gm.rental_rate == pytest.approx(p.gpu_rental_usd_per_hour)
    price = gm.price[: gm.n_existing]
    assert 15e3 <= price[0] <= 28e3
    assert price[0] < price[1] < price[2] == p.gpu_unit_price_k * 1e3
    assert gm.value(0, gm.u0)[2] >= price[2]


def test_expected_utilisation_limits_phi_zero_one_month_phi_one_persists(make_gpu_market):
    """``E_t[x_{t+j}] = u0 + (x_t - u0) phi^j``: half-life 0 (phi = 0) keeps this month's ratio
    for this month only, an infinite half-life (phi = 1) for the whole life; the value of a
    surprise lies in between and, with phi = 0, differs from the long-run value by one
    month's rents."""
    fast, slow, mid = (make_gpu_market(utilisation_half_life_months=h) for h in (0.0, math.inf, 12.0))
    assert fast.phi == 0.0 and slow.phi == 1.0 and mid.phi == pytest.approx(0.5 ** (1 / 12))
    assert fast.expected_ratio(0.4)[:3] == pytest.approx([0.4, 0.8, 0.8])
    assert slow.expected_ratio(0.4) == pytest.approx(np.full(fast.life, 0.4))
    assert mid.expected_ratio(0.4)[12] == pytest.approx(0.6)               # half the gap after 12
    v = 1                                                                 # a used vintage
    pv = [gm.present_value(12, 0.4)[v] for gm in (slow, mid, fast)]
    assert pv[0] < pv[1] < pv[2] < fast.present_value(12, 0.8)[v]
    first = fast.net_rents(12, 0.4)[v, 0] - fast.net_rents(12, 0.8)[v, 0]
    assert pv[2] - fast.present_value(12, 0.8)[v] == pytest.approx(first)


def test_scarcity_rents_rise_above_the_reference_as_demand_exceeds_capacity(make_gpu_market):
    """Rents rise with utilisation up to capacity, then clear the market: with budgets fixed in
    dollars (elasticity 1) spending on the hours that exist rises with the hours wanted."""
    gm = make_gpu_market()
    r = [gm.rental_rate_at(0, x) for x in (0.8, 0.95, 1.0, 1.2, 2.0)]
    assert r[0] == pytest.approx(2.0) and r[0] < r[1] < r[2] < r[3] < r[4]
    assert r[4] / r[2] == pytest.approx(2.0)                               # x (r / r(1))^-1 = 1
    stiff = make_gpu_market(demand_elasticity=0.5)
    assert stiff.rental_rate_at(0, 2.0) / stiff.rental_rate_at(0, 1.0) == pytest.approx(4.0)
    assert (gm.present_value(0, 1.5) > gm.present_value(0, 1.0)).all()


def test_newest_vintage_priced_by_value_at_most_list_and_quality_cap_holds(make_gpu_market):
    """The newest vintage is priced by its (capped) present value, never above list; every
    vintage at most the newest's price times its compute relative to the newest."""
    gm = make_gpu_market(steps=72)
    for step in range(0, 60, 5):
        for x in (0.3, 0.6, 0.8, 1.2):
            ref = gm.update_reference(step, x)
            n = gm.newest(step)
            value = gm.value(step, x)[n]
            assert ref[n] == pytest.approx(min(value, gm.unit_price_usd))
            cap = ref[n] * gm.compute_per_unit / gm.compute_per_unit[n]
            live = gm.released(step)
            assert (ref[live] <= np.maximum(cap[live], 1.0) * (1 + 1e-12)).all()
    low = gm.update_reference(30, 0.3)
    assert low[gm.newest(30)] < gm.unit_price_usd                         # no pin at list
    off = make_gpu_market(quality_cap=False)
    assert off.value(0, 0.8) == pytest.approx(off.present_value(0, 0.8))


def test_no_cliff_at_a_release_the_cap_is_priced_in(make_gpu_market):
    """At the long-run ratio, the previous newest vintage loses less in the release month than
    in a typical month of the year before (no cliff), and the index (market over scheduled
    price, weighted by units held: none yet of the new vintage) does not rise at a release
    when demand is unchanged."""
    gm = make_gpu_market(steps=72, utilisation_half_life_months=12.0)
    for r in (9, 21, 33):
        units = np.ones(gm.n_vintages)
        units[gm.newest(r)] = 0.0                     # none of the new vintage sold yet
        sched = [gm.scheduled_price(t) for t in range(r - 6, r + 1)]
        v = gm.newest(r - 1)
        falls = [1 - b[v] / a[v] for a, b in zip(sched[:-1], sched[1:], strict=True)]
        assert falls[-1] < 0.1 and falls[-1] <= 1.25 * falls[-2]       # 0.4.0: a 25% cliff
        for x in (0.6, 0.8, 1.0):
            gm.update_reference(r - 1, x)
            gm.price = gm.ref_price.copy()
            before = gm.price_index(r - 1, units)
            gm.update_reference(r, x)
            gm.price = gm.ref_price.copy()
            assert gm.price_index(r, units) <= before * 1.02


def test_baseline_gpu_index_does_not_jump_up_at_releases(run):
    """In baseline the GPU index rises at a release by no more than in the months around it
    (demand's own trend) and by less than 5% (model 0.4.0: +15%, as the newest vintage left
    its list-price pin)."""
    m = run(steps=60)
    idx = m.datacollector.get_model_vars_dataframe()["gpu_price_index"].to_numpy()
    releases = [int(s) for s in m.gpu_market.release_step if 0 < s <= 60]
    assert releases
    change = idx[1:] / idx[:-1] - 1                   # change[t - 1]: month t over t - 1
    for r in releases:
        around = [change[t - 1] for t in (r - 2, r - 1, r + 1, r + 2) if 1 <= t <= 60]
        assert change[r - 1] < 0.05 and change[r - 1] <= max(around) + 0.01


def test_failed_labs_demand_vanishes_except_the_moving_share(run):
    """A failed lab stops buying compute; ``lab_failure_demand_moving_share`` of its last
    spending moves to the survivors and then follows the labs' AI demand."""
    from aicredit.abm.markets.compute_demand import ComputeBuyers
    m = run(steps=1, fresh=True)
    buyers = ComputeBuyers(moving_share=0.25, service_compute_x_revenue=1.0)
    total = buyers.spending_usd(m)
    lab = m.labs[0]
    spent = lab.compute_spending_usd()
    assert spent > 0 and buyers.labs_usd == pytest.approx(sum(x.compute_spending_usd() for x in m.labs))
    lab.defaulted = True
    try:
        after = buyers.spending_usd(m)
        assert after == pytest.approx(total - 0.75 * spent)
        assert buyers.moved_usd == pytest.approx(0.25 * spent)
        assert buyers.spending_usd(m) == pytest.approx(after)                  # counted once
    finally:
        lab.defaulted = False


def _index(run, scenario, seeds, month, **params):
    out = []
    for seed in seeds:
        df = run(scenario, steps=month, seed=seed, **params).datacollector.get_model_vars_dataframe()
        out.append(df["gpu_price_index"].to_numpy())
    return np.array(out)


SEEDS = range(8)
#: Months of the capex and boom tests: the index differs from the baseline's in every seed
#: within the first year, and the gap widens after it (model 0.5.0, seeds 0-7, mean over
#: months 1-12 against 1-36: more capex -0.043 to -0.066 against -0.082 to -0.129, the boom
#: +0.037 to +0.077 against +0.047 to +0.090)
FIRST_YEAR = 12


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # shares the arms' cached runs (tests/conftest.py)
def test_winter_lowers_gpu_prices_and_keeps_them_low(run):
    """Seeds 0-3: on model 0.6.1 the winter's index is 0.26-0.40 below the baseline's on
    average over months 24-72 and 0.09-0.34 below it at the end in each of them (seeds 0-7:
    0.21-0.40 and 0.04-0.34, every seed), so the baseline's 72-month runs of seeds 4-7 are
    not made for this test alone."""
    base = _index(run, "baseline", SEEDS[:4], 72)
    winter = _index(run, "ai_winter", SEEDS[:4], 72)
    late = slice(24, 73)                                   # after the winter's demand shock
    diff = winter[:, late].mean(axis=1) - base[:, late].mean(axis=1)
    assert (diff < 0).all()
    assert (winter[:, 72] < base[:, 72]).mean() >= 0.75


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # extends and shares the arms' cached runs (tests/conftest.py)
@pytest.mark.horizon(FIRST_YEAR)
def test_more_hyperscaler_capex_lowers_gpu_prices(run):
    """50% more hyperscaler capex from January 2025 on, over the same installed fleet (the
    opening fleet is 12 months of capex, so its stock months shrink by 1.5): more supply
    against the same demand lowers utilisation and GPU prices."""
    p = Scenario()
    capex = tuple(1.5 * x for x in p.hyperscaler_capex_bn_per_year)
    base = _index(run, "baseline", SEEDS, FIRST_YEAR)
    more = _index(run, "baseline", SEEDS, FIRST_YEAR, hyperscaler_capex_bn_per_year=capex,
                  hyperscaler_gpu_stock_months=p.hyperscaler_gpu_stock_months / 1.5)
    diff = more[:, 1:].mean(axis=1) - base[:, 1:].mean(axis=1)
    assert (diff < 0).all()


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # extends and shares the arms' cached runs (tests/conftest.py)
@pytest.mark.horizon(FIRST_YEAR)
def test_boom_raises_gpu_prices(run):
    base = _index(run, "baseline", SEEDS, FIRST_YEAR)
    boom = _index(run, "ai_boom", SEEDS, FIRST_YEAR)
    diff = boom[:, 1:].mean(axis=1) - base[:, 1:].mean(axis=1)
    assert diff.mean() > 0 and (diff > 0).mean() >= 0.75
