"""What a private-credit fund keeps instead of distributing (``abm/agents/private_credit.py``,
``PrivateCreditFund.distributable_usd``; issue 19 item 2): the queue and a breach stop
distributions, the month's expected redemptions are kept as cash (Chernenko and Sunderam 2016),
and no distribution lifts loan-to-NAV above the covenant (restricted payments)."""
from __future__ import annotations

import pytest

from aicredit.models import AIEconomyModel

BN = 1e9


@pytest.fixture
def fund():
    m = AIEconomyModel("baseline", seed=0, collect_agents=False)
    f = m.funds[0]
    f.receive("pensions_endowments", 20 * BN, "fund_subscription")    # spare cash to distribute
    return f


def spare_usd(f):
    """Cash above the distribution reserve, the rule before issue 19 item 2."""
    reserve = f.reserve_share * f.reported_nav_usd
    return f.cash_usd - f.model.p.pc_distribution_reserve_multiple * reserve


def test_calm_fund_distributes_its_spare_cash_and_keeps_the_expected_redemptions(fund):
    assert fund.drawn_usd() < fund.max_loan_to_nav * fund.nav_seen_usd() - 20 * BN   # far from the covenant
    assert fund.distributable_usd() == pytest.approx(spare_usd(fund))
    fund.requests_last_month_usd = 0.1 * fund.gate_usd()                 # a small run last month
    assert fund.distributable_usd() == pytest.approx(spare_usd(fund) - 0.1 * fund.gate_usd())
    fund.requests_month_usd = 10 * fund.gate_usd()                       # a larger one: up to the gate
    assert fund.distributable_usd() == pytest.approx(spare_usd(fund) - fund.gate_usd())
    capacity = fund.lending_capacity_usd()
    fund.requests_month_usd = fund.requests_last_month_usd = 0.0
    assert fund.lending_capacity_usd() > capacity                        # the buffer is not lent either
    cash, spare = fund.cash_usd, spare_usd(fund)
    fund.distribute()
    assert cash - fund.cash_usd == pytest.approx(spare)
    assert fund.model.month.distributions_usd == pytest.approx(spare)


def test_a_distribution_never_lifts_loan_to_nav_above_the_covenant(fund):
    """Near the covenant the fund pays at most ``NAV_seen - drawn / L_max``; in breach, nothing."""
    drawn = fund.drawn_usd()
    assert drawn > 0
    fund.reported_nav_usd = drawn / fund.max_loan_to_nav + 1 * BN       # 1 bn of room
    assert spare_usd(fund) > 1 * BN
    assert fund.distributable_usd() == pytest.approx(1 * BN)
    fund.distribute()
    assert fund.loan_to_nav() == pytest.approx(fund.max_loan_to_nav)
    fund.in_breach = True
    assert fund.distributable_usd() == 0.0
