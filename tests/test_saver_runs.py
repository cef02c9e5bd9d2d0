"""Runs on 401(k) collective trusts (C13, ``abm/runs.py``): a cohort's private-credit holding
faces the wealth investors' request share, but only its active savers' part runs
(Agnew, Balduzzi and Sunden 2003 [R34]). Constructed cases on the opening economy."""
from __future__ import annotations

import pytest

from aicredit.abm.markets.loan_market import LOAN_CLASSES
from aicredit.abm.runs import (
    first_mover_gain,
    request_run_redemptions,
    run_request_share,
    saver_run_request_usd,
)
from aicredit.models import AIEconomyModel

BN = 1e9


def saver_holding(m, amount_usd=1 * BN):
    """The first cohort buys ``amount_usd`` of its fund (as it would once policy allows [F34])."""
    sc = m.savers[0]
    sc.receive("households", amount_usd, "401k_contribution")
    return sc, sc.pc_fund.subscribe(sc, amount_usd)


def test_the_request_is_the_share_of_the_active_part_not_yet_queued():
    """``r * max(0, a V - Q)``: nothing when inactive or already queued beyond the active part."""
    assert saver_run_request_usd(0.1, 0.2, 100.0, 0.0) == pytest.approx(2.0)
    assert saver_run_request_usd(0.1, 0.2, 100.0, 5.0) == pytest.approx(1.5)
    assert saver_run_request_usd(0.1, 0.2, 100.0, 30.0) == 0.0
    assert saver_run_request_usd(0.1, 0.0, 100.0, 0.0) == 0.0
    assert saver_run_request_usd(1.0, 1.0, 100.0, 0.0) == pytest.approx(100.0)   # all active, all run


def test_a_shortfall_brings_the_cohorts_active_savers_into_the_funds_queue():
    """Same ``r`` as the wealth investors of that fund; only ``saver_active_share`` of the holding;
    a second month adds ``r`` of what is left of the active part; C13 off: no saver runs."""
    m = AIEconomyModel("baseline", seed=0, collect_agents=False)
    sc, claim = saver_holding(m)
    f = sc.pc_fund
    f.reported_index_history = [1.0, 1.0, 0.9, 0.8, 0.7]
    m.loan_market.price[:len(LOAN_CLASSES)] = 0.9
    r = run_request_share(f.reported_shortfall_per_month(), first_mover_gain(f),
                          m.p.run_flow_performance_sensitivity, m.p.run_complementarity)
    assert 0 < r < 1
    a, v = m.p.saver_active_share, claim.value_usd()
    request_run_redemptions(m)
    assert f.redemption_requests[claim] == pytest.approx(r * a * v)
    assert m.month.saver_run_requests_usd == pytest.approx(r * a * v)
    request_run_redemptions(m)
    assert f.redemption_requests[claim] == pytest.approx(r * a * v + r * (a * v - r * a * v))
    assert f.redemption_requests[claim] < a * v                     # the inactive part never runs


    off = AIEconomyModel("baseline", seed=0, collect_agents=False, c13_runs=False)
    sc, claim = saver_holding(off)
    sc.pc_fund.reported_index_history = [1.0, 1.0, 0.9, 0.8, 0.7]
    request_run_redemptions(off)
    assert claim not in sc.pc_fund.redemption_requests
