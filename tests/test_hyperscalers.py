"""Hyperscalers (issue 18, section 5): reported cash, a rating from leverage and the market's
distance to default, capex committed ahead, and AI demand bounded by a market size."""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.capex_pipeline import CapexPipeline
from aicredit.abm.constraints import RatingGrid
from aicredit.abm.demand import AIDemand
from aicredit.abm.units import BN
from aicredit.models.calibration.hyperscalers import HYPERSCALERS
from aicredit.models.scenario import Scenario


@pytest.fixture(scope="module")
def grid():
    return RatingGrid.from_params(Scenario())


def test_opening_cash_is_reported_cash(baseline0):
    """Bonds are a liability, not also cash: Oracle opens with 11 bn, not 101 bn."""
    p = baseline0.p
    for h, cash_bn in zip(baseline0.hyperscalers, p.hyperscaler_cash_bn, strict=True):
        assert h.cash_usd == pytest.approx(cash_bn * BN)
    assert [h.name for h in baseline0.hyperscalers] == list(HYPERSCALERS)


def test_notch_rises_with_leverage(grid):
    cf, equity = 100 * BN, 1000 * BN
    notches = [grid.notch(d * BN, cf, 50 * BN, equity) for d in np.linspace(0, 1500, 61)]
    assert all(np.diff(notches) >= 0) and notches[-1] > notches[0] + 10
    spreads = [grid.spread(n) for n in notches]
    assert all(np.diff(spreads) >= 0) and spreads[-1] > 0.05


def test_spread_falls_with_market_equity(grid):
    """At 300 bn of debt, the Merton notch binds as the market value falls: a lower equity
    value never lowers the spread, and a collapse takes it to junk."""
    debt, cf = 300 * BN, 100 * BN
    equities = np.linspace(2000, 10, 80) * BN
    spreads = [grid.spread(grid.notch(debt, cf, 50 * BN, e)) for e in equities]
    assert all(np.diff(spreads) >= -1e-15)
    assert spreads[-1] > spreads[0] + 0.03
    assert grid.market_notch(0.0, debt) == 17.0


def test_negative_book_equity_is_distress(grid):
    """A deficit of book equity counts as debt: it lowers the rating at the same leverage."""
    cf, debt, mkt = 20 * BN, 90 * BN, 800 * BN
    healthy = grid.notch(debt, cf, 10 * BN, mkt)
    assert healthy == pytest.approx(9.0)                      # 4.5x: bbb [R27]
    assert grid.notch(debt, cf, -40 * BN, mkt) > healthy + 2  # 6.5x: junk
    assert grid.notch(debt, 0.0, 10 * BN, mkt) == 17.0        # no cash flow: the worst notch


def test_capex_pipeline_keeps_step0_capex_and_cannot_drop_to_zero():
    c, share = 30 * BN, 0.6
    pipe = CapexPipeline(c, share, 6, 18)
    paid = []
    for _ in range(24):
        next_floor = pipe.next_month_usd()
        gpu, dc = pipe.pop()
        paid.append(gpu + dc)
        assert gpu + dc == pytest.approx(next_floor)          # committed capex is paid
        pipe.order(0.0, 0.0)                                  # no new orders at all
    assert paid[0] == pytest.approx(c)                        # step-0 capex holds in month 1
    assert all(np.diff(paid) <= 1e-6) and paid[1] > 0.85 * c  # falls by 1/L of each kind a month
    assert paid[5] > 0.3 * c and paid[-1] == 0.0              # data centres still paid after GPUs stop
    steady = CapexPipeline(c, share, 6, 18)
    for _ in range(30):
        gpu, dc = steady.pop()
        steady.order(share * c, (1 - share) * c)
        assert gpu + dc == pytest.approx(c)                   # steady orders, steady capex


def test_demand_never_exceeds_market_size():
    m = 2000 * BN / 12
    d = AIDemand(5 * BN, growth_per_year=5.0, growth_long_run_per_year=2.0, growth_decay_months=48,
                 volatility_per_month=0.1, shock_step=-1, shock_size=0.0, hyperscaler_share=0.35,
                 market_size_usd_per_month=m)
    rng = np.random.default_rng(0)
    path = [d.step(t, rng) for t in range(1, 241)]
    assert max(path) < m and path[-1] > 0.95 * m
    free = AIDemand(5 * BN, growth_per_year=0.8, growth_long_run_per_year=0.8, growth_decay_months=48,
                    volatility_per_month=0.0, shock_step=-1, shock_size=0.0, hyperscaler_share=0.35)
    free.step(1, rng)
    assert free.usd_per_month == pytest.approx(5 * BN * math.exp(math.log1p(0.8) / 12))


def test_spv_consolidation_changes_capex(run):
    """Counting SPV debt lowers the rating, raises the user cost of capital and so capex (C11):
    about 0.1 bn of 767 bn over two years of ai_winter, seed 0 (it was exactly 0 in 0.4.0)."""
    off = run("ai_winter", steps=24)
    on = run("ai_winter", steps=24, spv_consolidation=True)
    cap_off = sum(off.datacollector.get_model_vars_dataframe()["hyperscaler_capex_usd"])
    cap_on = sum(on.datacollector.get_model_vars_dataframe()["hyperscaler_capex_usd"])
    assert cap_on < cap_off
