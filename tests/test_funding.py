"""Equity rounds and new shares (``abm/funding.py``): a lab raises when its runway is short,
investors fund it at a pace (so how often it asks does not decide how much it gets), and new
shares are priced and limited by the firm's equity value and its debt (Myers 1977)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from aicredit.abm.funding import equity_room_usd, round_open, sell_new_shares
from aicredit.models import AIEconomyModel

BN = 1e9


def test_round_open_waits_the_interval_after_any_round():
    p = SimpleNamespace(lab_round_interval_months=3)
    firm = SimpleNamespace(last_round_step=None)
    assert round_open(SimpleNamespace(steps=5, p=p), firm)          # never raised
    firm.last_round_step = 5
    assert not round_open(SimpleNamespace(steps=6, p=p), firm)
    assert not round_open(SimpleNamespace(steps=7, p=p), firm)
    assert round_open(SimpleNamespace(steps=8, p=p), firm)


def _economy(steps=24, **p):
    defaults = dict(equity_issue_max_share_per_year=0.3, equity_issue_min_value_to_debt=0.25)
    return SimpleNamespace(steps=steps, p=SimpleNamespace(**{**defaults, **p}))


def _firm(value_bn=100.0, debt_bn=10.0, issues=()):
    return SimpleNamespace(valuation_usd=value_bn * BN, debt_usd=lambda: debt_bn * BN, defaulted=False,
                           equity_issues=list(issues))


def test_room_is_a_share_of_equity_value_less_this_years_issues():
    assert equity_room_usd(_economy(), _firm()) == pytest.approx(30 * BN)
    # 10 bn sold 6 months ago counts (on the value before it), 20 bn sold 13 months ago does not
    firm = _firm(value_bn=110.0, issues=[(18, 10 * BN), (11, 20 * BN)])
    assert equity_room_usd(_economy(), firm) == pytest.approx(20 * BN)
    assert equity_room_usd(_economy(), _firm(issues=[(20, 40 * BN)])) == 0.0


def test_no_new_shares_under_debt_overhang():
    """Equity worth less than a quarter of the debt: new money would mostly pay creditors."""
    assert equity_room_usd(_economy(), _firm(value_bn=24.0, debt_bn=100.0)) == 0.0
    assert equity_room_usd(_economy(), _firm(value_bn=26.0, debt_bn=100.0)) > 0.0
    assert equity_room_usd(_economy(equity_issue_min_value_to_debt=0.0),
                           _firm(value_bn=1.0, debt_bn=100.0)) > 0.0


def test_new_shares_are_sold_at_the_issuance_discount_within_the_room():
    m = AIEconomyModel("baseline", seed=0, collect_agents=False)
    cw = m.institution("CoreWeave")
    price, units, value = cw.price_per_unit_usd(), cw.shares_outstanding, cw.valuation_usd
    sold = sell_new_shares(m, cw, 10 * value)          # asks far more than the room
    assert sold == pytest.approx(m.p.equity_issue_max_share_per_year * value)
    assert cw.shares_outstanding - units == pytest.approx(sold / (price * (1 - m.p.equity_issue_cost)))
    assert cw.price_per_unit_usd() < price                   # existing holders bear the cost
    assert sell_new_shares(m, cw, 1 * BN) == 0.0             # the year's room is used


def short_openai(appetite: float, steps: int = 8, **params):
    """OpenAI left with a tenth of its cash in the baseline, outside investors filling
    ``appetite`` of its needs; returns the lab, the months in which it sold equity and what it
    raised (all before Nvidia's first tranche in month 9)."""
    m = AIEconomyModel("baseline", seed=0, collect_agents=False, outside_investor_appetite=appetite,
                       **params)
    openai = m.institution("OpenAI")
    m.ledger.transfer(openai.name, "outside_investors", 0.9 * openai.cash_usd, "test_drain")
    for _ in range(steps):
        m.step()
    return openai, [s for s, _ in openai.equity_issues], sum(a for _, a in openai.equity_issues)


def test_a_lab_raises_when_its_runway_is_short_and_not_otherwise():
    _, months, _ = short_openai(1.0)
    assert months and months[0] == 1
    _, calm, _ = short_openai(1.0, lab_runway_months_min=0.0)       # never short
    assert calm == []


def test_asking_more_often_does_not_raise_more():
    """Investors commit at a pace (staged financing): monthly rounds raise what quarterly ones
    do over the same months (model 0.4.0: monthly asks raised three times as much)."""
    _, monthly, raised_1 = short_openai(0.3, steps=7, lab_round_interval_months=1)
    _, quarterly, raised_3 = short_openai(0.3, steps=7, lab_round_interval_months=3)
    assert len(monthly) > len(quarterly) >= 2
    assert raised_1 == pytest.approx(raised_3, rel=0.35)
