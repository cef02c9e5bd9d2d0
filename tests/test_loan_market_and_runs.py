"""The secondary loan market (C12, ``abm/markets/loan_market.py``) and runs on semi-liquid
funds (C13, ``abm/runs.py``): constructed cases on the opening economy, each able to fail.

The kernel's own contract is tested in ``tests/test_loan_market_kernel.py``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.markets.loan_market import (
    CLASSES,
    FUND_SHARE,
    LOAN_CLASSES,
    LoanMarket,
    clear_month_loan_market,
    loan_holdings_usd,
)
from aicredit.abm.runs import WEALTH_INVESTORS, first_mover_gain, request_run_redemptions, run_request_share
from aicredit.models import AIEconomyModel

BN = 1e9


def fresh(**params):
    return AIEconomyModel("baseline", seed=0, collect_agents=False, **params)


def lose(fund, share):
    """Write off ``share`` of the fund's non-AI loan book (a constructed loss)."""
    for c in fund.claims_held("other_loan"):
        c.write_down(share * c.value_usd())


def wealth_claim(m, fund):
    investors = m.outside(WEALTH_INVESTORS)
    return next(c for c in m.claims.held(investors, "fund_share") if c.issuer is fund)


# --- the market ----------------------------------------------------------------------------
def test_depth_sells_a_tenth_for_the_stated_fall_and_shrinks_with_forced_sellers():
    """``D = 0.1 O / -ln(1 - psi)``: selling a tenth of the outstanding costs ``psi`` [R32];
    with every holder a forced seller only the outside buyers' share ``s`` of it is left."""
    market = LoanMarket(0.1, 0.4, 0.85)
    out = np.full(len(CLASSES), 100.0)
    d = market.depth_usd(out, np.zeros(len(CLASSES)))
    assert 1.0 - math.exp(-10.0 / d[0]) == pytest.approx(0.1, rel=1e-12)
    assert market.depth_usd(out, np.ones(len(CLASSES)))[0] == pytest.approx(0.4 * d[0])
    assert LoanMarket(0.1, 0.4, 0.85, moves_prices=False).depth_usd(out, np.ones(len(CLASSES)))[0] > 1e300


def test_discount_reverts_by_the_persistence():
    market = LoanMarket(0.1, 0.5, 0.8)
    market.price[:] = 0.9
    assert market.start_price() == pytest.approx(np.full(len(CLASSES), 0.92))


def test_no_sale_no_price_change():
    """A calm month: no fund is forced to sell, every price stays at par and no mark moves."""
    m = fresh()
    navs = [f.true_nav_usd() for f in m.funds]
    clear_month_loan_market(m)
    assert np.all(m.loan_market.price == 1.0) and m.month.pc_loans_sold_usd == 0.0
    assert [f.true_nav_usd() for f in m.funds] == pytest.approx(navs)


@pytest.mark.parametrize("impact", [0.05, 0.2])
def test_a_larger_price_impact_sells_more_and_marks_the_others_down_more(impact):
    """Cont and Schaanning's loop: the breaching fund sells more (its marks fall with the
    price) and the other holders lose more than with a deeper market (C12 on vs off)."""
    out = {}
    for c12 in (True, False):
        m = fresh(pc_disclosure=True, loan_market_impact_of_tenth_sold=impact, c12_loan_fire_sales=c12)
        lose(m.funds[0], 0.6)
        clear_month_loan_market(m)
        out[c12] = (m.month.pc_loans_sold_usd, m.funds[1].market_discount_usd, m.loan_market.price.copy())
    assert out[True][0] > out[False][0] > 0          # a falling price forces more sales
    assert out[True][1] > 0 == out[False][1]         # only a market that moves marks the others
    assert np.all(out[False][2] == 1.0) and out[True][2][:len(LOAN_CLASSES)].min() < 1.0


def test_an_estate_sells_at_the_price_its_own_sale_sets_and_a_second_one_lower():
    """``p = p0 exp(-Q / D)``, ``Q`` the month's estate sales so far, the depth shrunk by the
    estates' share; the month's clearing counts them as sales and then forgets them."""
    m = fresh()
    market = m.loan_market
    others = np.array([100.0, 50.0, 200.0])
    first = np.array([10.0, 0.0, 20.0])
    p1 = market.sell_estate(first, others)
    out = np.zeros(len(CLASSES))
    out[:3] = others + first
    estates = np.r_[first, np.zeros(len(CLASSES) - 3)]
    d = market.depth_usd(out, np.divide(estates, out, out=np.zeros(len(CLASSES)), where=out > 0))
    assert p1 == pytest.approx(np.exp(-first / d[:3]), rel=1e-12)
    assert p1[1] == 1.0 and p1[0] < 1.0
    p2 = market.sell_estate(first, others)
    assert np.all(p2[[0, 2]] < p1[[0, 2]])          # the second estate meets a lower price
    clear_month_loan_market(m)
    assert market.price[0] < 1.0 and market.sold_usd[0] >= 2 * first[0]
    assert np.all(market.estate_sold_usd == 0.0)


@pytest.mark.parametrize("c12", [True, False])
def test_a_failed_funds_loans_go_through_the_loan_market_and_mark_the_others(c12):
    """With C12 a failed fund's loans sell at the market's price and the month's clearing
    marks every other holder of them down; without it they go at ``distress_discount`` and no
    price moves."""
    from aicredit.abm.claims import Contract
    from aicredit.abm.default import resolve_default
    m = fresh(c12_loan_fire_sales=c12)
    failed, other = m.funds[0], m.funds[1]
    held = loan_holdings_usd(failed)
    assert held[0] > 0 and loan_holdings_usd(other)[0] > 0
    rest = sum(c.value_usd() for c in failed.claims_held()
               if c.kind not in LOAN_CLASSES and not isinstance(c, Contract))
    received, prices = [], []
    failed.receive = lambda payer, amount, memo: received.append((memo, amount))
    sell = m.loan_market.sell_estate
    m.loan_market.sell_estate = lambda h, o: prices.append(sell(h, o)) or prices[-1]
    resolve_default(m, failed, "test")
    sold = sum(a for memo, a in received if memo == "estate_claim_sale")
    clear_month_loan_market(m)
    d = m.p.distress_discount
    if c12:
        assert len(prices) == 1 and prices[0][0] < 1.0
        assert sold == pytest.approx(held @ prices[0] + (1 - d) * rest, rel=1e-9)
        assert m.loan_market.price[0] <= prices[0][0] and other.market_discount_usd > 0
    else:
        assert not prices and np.all(m.loan_market.price == 1.0) and other.market_discount_usd == 0.0
        assert sold == pytest.approx((1 - d) * (held.sum() + rest), rel=1e-9)


def test_insurers_orders_sell_fund_interests_at_the_cleared_price():
    """An insurer's C7 order is executed in the clearing at its statutory value times the
    fund-interest price less the LP-secondary discount; the discount is the insurer's loss."""
    m = fresh()
    ins = m.insurers[0]
    claim = ins.claims_held("fund_share")[0]
    value = claim.value_usd()
    cash = ins.cash_usd
    m.loan_market.order(ins, claim, 0.5)
    clear_month_loan_market(m)
    price = m.loan_market.price[FUND_SHARE]
    assert price < 1.0                                # the order itself moved the price
    assert ins.cash_usd - cash == pytest.approx(0.5 * value * price * (1 - ins.discount))
    assert claim.value_usd() == pytest.approx(0.5 * value)
    assert m.month.insurer_sales_usd == pytest.approx(0.5 * value)


# --- runs ----------------------------------------------------------------------------------
def test_request_share_formula_and_its_limits():
    """``r = min(1, b L / (1 - k g))``; no loss, no request; ``k g >= 1``: everyone asks."""
    assert run_request_share(0.02, 0.1, 1.0, 5.0) == pytest.approx(0.02 / 0.5)
    assert run_request_share(0.0, 0.5, 1.0, 5.0) == 0.0
    assert run_request_share(0.02, 0.2, 1.0, 5.0) == 1.0
    assert run_request_share(0.02, 0.1, 1.0, 0.0) == pytest.approx(0.02)
    # complementarity: a larger first-mover gain never lowers the request
    shares = [run_request_share(0.01, g, 1.0, 5.0) for g in np.linspace(0, 0.3, 31)]
    assert all(b >= a for a, b in zip(shares, shares[1:], strict=False))


def test_first_mover_gain_is_the_stale_premium_plus_the_market_discount():
    m = fresh()
    f = m.funds[0]
    assert first_mover_gain(f) == pytest.approx(0.0, abs=1e-12)
    lose(f, 0.1)                                       # true NAV falls; reported does not yet
    stale = f.nav_seen_usd() / f.true_nav_usd() - 1.0
    assert first_mover_gain(f) == pytest.approx(stale) and stale > 0
    m.loan_market.price[:len(LOAN_CLASSES)] = 0.9
    assert first_mover_gain(f) == pytest.approx(stale + 0.1)


def test_a_loss_brings_requests_the_gate_pays_a_part_and_the_rest_queues():
    """After a reported loss wealth investors ask; the fund pays the gate's month [R13] from
    cash and loan sales, keeps the rest in the queue and distributes nothing while it waits."""
    m = fresh()
    f = m.funds[0]
    claim = wealth_claim(m, f)
    f.reported_index_history = [1.0, 1.0, 0.9, 0.8, 0.7]    # flat, then a loss for a quarter
    m.loan_market.price[:len(LOAN_CLASSES)] = 0.85          # and a market in distress
    request_run_redemptions(m)
    asked = f.queued_usd()
    assert f.reported_shortfall_per_month() == pytest.approx(1 - 0.7 ** (1 / 3))
    r = run_request_share(1 - 0.7 ** (1 / 3), first_mover_gain(f), m.p.run_flow_performance_sensitivity,
                          m.p.run_complementarity)
    assert asked == pytest.approx(r * claim.value_usd())
    gate = f.gate_usd()
    assert asked > gate > 0
    clear_month_loan_market(m)
    f.pay_redemptions()
    assert m.month.redemptions_usd == pytest.approx(min(asked, gate))
    assert f.queued_usd() == pytest.approx(asked - min(asked, gate))
    assert f.queued_usd() > 0
    cash = f.cash_usd
    f.distribute()
    assert f.cash_usd == cash                                 # it keeps its cash


def test_runs_off_and_losses_off_bring_no_request():
    for params in ({"c13_runs": False}, {"c5_pc_losses_to_lps": False}):
        m = fresh(**params)
        f = m.funds[0]
        f.reported_index_history = [1.0, 1.0, 0.9, 0.8, 0.7]
        request_run_redemptions(m)
        assert f.queued_usd() == 0.0


def test_the_shortfall_is_against_the_return_of_the_year_before_the_quarter():
    """``L = max(0, R_expected - R_quarter)``: a fund that keeps earning 1% a month brings no
    request; one whose return falls from 1% to 0.4% a month brings 0.6% of a month even though
    it still gains; a better quarter than the year before brings none; too short a history none."""
    f = fresh().funds[0]
    steady = [1.01 ** t for t in range(16)]
    f.reported_index_history = steady
    assert f.reported_shortfall_per_month() == pytest.approx(0.0, abs=1e-12)
    f.reported_index_history = steady[:13] + [steady[12] * 1.004 ** t for t in (1, 2, 3)]
    assert f.reported_shortfall_per_month() == pytest.approx(0.006, rel=1e-9)
    f.reported_index_history = steady[:13] + [steady[12] * 1.02 ** t for t in (1, 2, 3)]
    assert f.reported_shortfall_per_month() == 0.0
    f.reported_index_history = [1.0, 0.9, 0.8, 0.7]
    assert f.reported_shortfall_per_month() == 0.0


def test_the_history_keeps_the_expectation_window_and_the_quarter():
    m = fresh()
    for _ in range(20):
        m.step()
    f = m.funds[0]
    assert len(f.reported_index_history) == m.p.run_expectation_months + 3 + 1


def test_a_request_never_exceeds_the_claim():
    m = fresh()
    f = m.funds[0]
    claim = wealth_claim(m, f)
    f.request_redemption(claim, 10 * claim.value_usd())
    assert f.queued_usd() == pytest.approx(claim.value_usd())


def test_semi_liquid_units_are_the_stated_share_of_the_non_insurer_units():
    m = fresh()
    p = m.p
    for f in m.funds[:p.n_pc_funds]:
        shares = {c.holder.name: c.units for c in m.claims.issued(f, "fund_share")
                  if c.holder.sector == "outside"}
        outside = sum(shares.values())
        assert shares[WEALTH_INVESTORS] == pytest.approx(p.pc_semi_liquid_share * outside)
    assert all(loan_holdings_usd(f).sum() > 0 for f in m.funds)
