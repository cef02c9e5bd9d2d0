"""SPV consolidation (C11 ``spv_consolidation`` [F20, F21]): lenders and rating agencies see the
hyperscalers' SPV debt only when it is consolidated, and then it moves their credit spread,
their borrowing room, new SPVs and capex (issue 11, item 5).

The rules are :class:`abm.constraints.RatingGrid` (S&P's anchor at visible debt over yearly
operating cash flow [R27], a spread of 45 bp a notch below AA [R9]) and
:class:`abm.constraints.DebtToCashFlow` (the borrowing room); the paired-seed tests fail if the spread
stops following visible debt or if new SPVs stop needing borrowing room.
"""
from __future__ import annotations

import math

import pytest

from aicredit.abm.constraints import DebtToCashFlow, RatingGrid
from aicredit.abm.units import BN
from aicredit.models.scenario import Scenario


@pytest.fixture(scope="module")
def rule():
    p = Scenario()
    return DebtToCashFlow(max_ratio=p.hyperscaler_max_debt_to_cash_flow)


@pytest.fixture(scope="module")
def grid():
    return RatingGrid.from_params(Scenario())


# --- the rule ---------------------------------------------------------------------------------

def test_spread_is_zero_up_to_aa(grid):
    """Below S&P's 'modest' financial risk (debt/EBITDA up to 1.75x, aa [R27]) debt costs no rating."""
    for ratio in (0.0, 0.5, 1.0, 1.5, 1.75):
        assert grid.spread(grid.grid_notch(ratio)) == 0.0


def test_spread_values_documented_from_R9_and_R27(grid):
    """A3 (notch 7) pays 180 bp, Ba2 (notch 12) 405 bp over the best-rated coupon: the 225 bp
    between SOFR + 225 and SOFR + 450 [R9]; 4.5x of debt/EBITDA is bbb [R27]."""
    assert grid.spread(7.0) == pytest.approx(0.018)
    assert grid.spread(12.0) == pytest.approx(0.0405)
    assert grid.grid_notch(4.5) == pytest.approx(9.0)


def test_ratio_and_room(rule):
    assert rule.ratio(90 * BN, 20 * BN) == pytest.approx(4.5)
    assert rule.ratio(0.0, 0.0) == 0.0 and math.isinf(rule.ratio(1.0, 0.0))
    assert rule.room_usd(100 * BN, 100 * BN) == pytest.approx(150 * BN)     # 2.5x less debt
    assert rule.room_usd(300 * BN, 100 * BN) == 0.0
    assert rule.room_usd(0.0, -5 * BN) == 0.0


# --- the hyperscalers at step 0 -----------------------------------------------------------------

def test_lenders_see_spv_debt_only_when_consolidated(baseline0):
    """[F20] Meta's SPV debt is off its balance sheet: its visible leverage, spread and room
    ignore it; [F21] under the policy they count it."""
    from aicredit.models import AIEconomyModel
    consolidated = AIEconomyModel("baseline", seed=0, spv_consolidation=True)
    for model, sees_spv in ((baseline0, False), (consolidated, True)):
        meta = next(h for h in model.hyperscalers if h.name == "Meta")
        spv_debt = meta.consolidated_debt_usd() - meta.debt_usd()
        assert spv_debt > 20 * BN
        expected = meta.consolidated_debt_usd() if sees_spv else meta.debt_usd()
        assert meta.visible_debt_usd() == pytest.approx(expected)
        cash_flow = meta.operating_cash_flow_usd()
        assert meta.borrowing_room_usd() == pytest.approx(2.5 * cash_flow - expected)
    m0 = next(h for h in baseline0.hyperscalers if h.name == "Meta")
    m1 = next(h for h in consolidated.hyperscalers if h.name == "Meta")
    assert m1.borrowing_room_usd() < m0.borrowing_room_usd()


def test_new_bond_coupon_is_base_plus_spread_after_the_issue(baseline0):
    """Oracle (about 95 bn of debt, BBB [R24]) has 90 bn of bonds against 20 bn of legacy cash
    flow and xAI's 6.6 bn a year of compute (3.4x), and a 16 bn deficit of book equity counted as
    debt (4.0x): a new bond pays 5% plus the spread of its notch (a-); a bond that lifts
    Microsoft to 3x (a) pays for 3.25 notches below aa."""
    p = baseline0.p
    oracle = next(h for h in baseline0.hyperscalers if h.name == "Oracle")
    assert oracle.visible_debt_usd() / oracle.operating_cash_flow_usd() == pytest.approx(90 / 26.55, rel=0.01)
    notch = oracle.rating_for(oracle.visible_debt_usd())
    assert 7.0 <= notch < 9.0                                     # a- to bbb+
    assert oracle.new_bond_coupon_per_year(0.0) == pytest.approx(
        p.hyperscaler_new_bond_rate_per_year + p.hyperscaler_spread_per_notch * (notch - 3.0))
    msft = next(h for h in baseline0.hyperscalers if h.name == "Microsoft")
    cf, debt = msft.operating_cash_flow_usd(), msft.visible_debt_usd()
    assert msft.new_bond_coupon_per_year(0.0) == p.hyperscaler_new_bond_rate_per_year
    big = 3.0 * cf - debt                                   # to 3x after the issue: notch 6.25 (a)
    assert msft.new_bond_coupon_per_year(big) == pytest.approx(
        p.hyperscaler_new_bond_rate_per_year + 3.25 * p.hyperscaler_spread_per_notch)


def test_new_spv_needs_borrowing_room_only_when_consolidated(run):
    """At the first yearly SPV round (month 12) Oracle, above the 2.5x limit, opens an SPV off
    balance sheet, but not when lenders count SPV debt as its own [F21]."""
    def oracle_spvs(m):
        return [s for s in m.spvs if s.lessee.name == "Oracle" and s.name.startswith("SPV Oracle")]
    off = run("baseline", steps=13)
    on = run("baseline", steps=13, spv_consolidation=True)
    assert len(oracle_spvs(off)) == 1 and not oracle_spvs(on)
    oracle = next(h for h in on.hyperscalers if h.name == "Oracle")
    assert oracle.borrowing_room_usd() == 0.0
    # with room, a hyperscaler still opens its SPV under the policy
    assert any(s.name.startswith("SPV Microsoft") for s in on.spvs)


# --- paired seeds -------------------------------------------------------------------------------

def _series(m, name):
    return m.datacollector.get_model_vars_dataframe()[name]


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # extends and shares the arms' cached runs (tests/conftest.py)
@pytest.mark.horizon(36)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_policy_in_the_winter_raises_spreads_and_cuts_spv_debt(seed, run):
    """ai_winter against spv_consolidation (same seed, 36 months): the hyperscalers' credit spread
    is higher and their consolidated debt lower (fewer SPVs). Hyperscalers issue no bonds in the
    winter, so the coupon and capex do not move here (see the boom test)."""
    a = run("ai_winter", steps=36, seed=seed)
    b = run("spv_consolidation", steps=36, seed=seed)
    assert _series(b, "hyperscaler_credit_spread").mean() > _series(a, "hyperscaler_credit_spread").mean()
    assert _series(b, "spv_debt_usd").iloc[-1] < _series(a, "spv_debt_usd").iloc[-1]
    assert _series(b, "spv_projects_dropped_usd").sum() > 0
    debt_a = sum(h.consolidated_debt_usd() for h in a.hyperscalers)
    debt_b = sum(h.consolidated_debt_usd() for h in b.hyperscalers)
    assert debt_b < debt_a


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # extends and shares the arms' cached runs (tests/conftest.py)
@pytest.mark.horizon(36)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_policy_in_a_boom_raises_spreads_and_cuts_spv_debt(seed, run):
    """ai_boom with and without spv_consolidation (same seed, 36 months): the policy raises the
    hyperscalers' credit spread (SPV debt lowers their rating) and cuts SPV debt. Since issue 18
    the boom's capex is set by the chip-supply and power caps (abm.agents.hyperscaler) and the
    hyperscalers pay it from cash flow at AA, so capex moves by less than 0.1%."""
    a = run("ai_boom", steps=36, seed=seed)
    b = run("ai_boom", steps=36, seed=seed, spv_consolidation=True)
    assert _series(b, "hyperscaler_credit_spread").mean() > _series(a, "hyperscaler_credit_spread").mean()
    assert _series(b, "spv_debt_usd").iloc[-1] < _series(a, "spv_debt_usd").iloc[-1]
    capex_a, capex_b = _series(a, "hyperscaler_capex_usd").sum(), _series(b, "hyperscaler_capex_usd").sum()
    assert capex_b == pytest.approx(capex_a, rel=1e-3)
