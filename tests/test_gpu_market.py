"""GPU prices from fundamentals (abm/markets/gpu.py): capacity, utilisation, rental rates and
the present value of a used GPU, on small constructed cases; the step-0 calibration; and,
over paired seeds (slow), the signs of demand and capex on GPU prices."""
from __future__ import annotations

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
    assert gm.rental_rate_at(0, 3.0) == pytest.approx(gm.rental_rate_at(0, 1.0))
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
    assert pricey.ref_price[0] == 1.0                                    # the positive floor
    assert pricey.ref_price[pricey.newest(0)] == pricey.unit_price_usd    # sold new at list


def test_fire_sale_discount_persists_into_the_reference_price(make_gpu_market):
    gm = make_gpu_market()
    gm.update_reference(1, 0.8)
    ref = gm.ref_price.copy()
    price = ref.copy()
    price[0] *= 0.5
    gm.record_clearing(price, np.zeros(gm.n_vintages))
    gm.update_reference(2, 0.8)
    assert gm.ref_price[0] / gm.present_value(2, 0.8)[0] == pytest.approx(0.5 ** 0.5)


def test_step0_calibration(baseline0):
    """Utilisation of the opening fleets is the reference [R21]; the H100-class vintage is worth
    15-28 k USD [R20]; each vintage below the next; the newest at list price."""
    gm, p = baseline0.gpu_market, baseline0.p
    assert gm.utilisation == pytest.approx(p.gpu_reference_utilisation, rel=0.02)
    assert gm.rental_rate == pytest.approx(p.gpu_rental_usd_per_hour)
    price = gm.price[: gm.n_existing]
    assert 15e3 <= price[0] <= 28e3
    assert price[0] < price[1] < price[2] == p.gpu_unit_price_k * 1e3


def _index(run, scenario, seeds, month, **params):
    out = []
    for seed in seeds:
        df = run(scenario, steps=month, seed=seed, **params).datacollector.get_model_vars_dataframe()
        out.append(df["gpu_price_index"].to_numpy())
    return np.array(out)


SEEDS = range(8)


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # shares the arms' cached runs (tests/conftest.py)
def test_winter_lowers_gpu_prices_and_keeps_them_low(run):
    base = _index(run, "baseline", SEEDS, 72)
    winter = _index(run, "ai_winter", SEEDS, 72)
    late = slice(24, 73)                                   # after the winter's demand shock
    diff = winter[:, late].mean(axis=1) - base[:, late].mean(axis=1)
    assert (diff < 0).all()
    assert (winter[:, 72] < base[:, 72]).mean() >= 0.75


@pytest.mark.slow
def test_more_hyperscaler_capex_lowers_gpu_prices(run):
    """50% more hyperscaler capex from January 2025 on, over the same installed fleet (the
    opening fleet is 12 months of capex, so its stock months shrink by 1.5): more supply
    against the same demand lowers utilisation and GPU prices."""
    p = Scenario()
    capex = tuple(1.5 * x for x in p.hyperscaler_capex_bn_per_year)
    base = _index(run, "baseline", SEEDS, 36)
    more = _index(run, "baseline", SEEDS, 36, hyperscaler_capex_bn_per_year=capex,
                  hyperscaler_gpu_stock_months=p.hyperscaler_gpu_stock_months / 1.5)
    diff = more[:, 1:].mean(axis=1) - base[:, 1:].mean(axis=1)
    assert (diff < 0).all()


@pytest.mark.slow
def test_boom_raises_gpu_prices(run):
    base = _index(run, "baseline", SEEDS, 36)
    boom = _index(run, "ai_boom", SEEDS, 36)
    diff = boom[:, 1:].mean(axis=1) - base[:, 1:].mean(axis=1)
    assert diff.mean() > 0 and (diff > 0).mean() >= 0.75
