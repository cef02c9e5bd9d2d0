"""The hyperscalers' rating ratio :class:`abm.constraints.DebtToCashFlow` (visible debt over
yearly operating cash flow [R27], a spread of 90 bp a turn above 1.5x [R9])."""
from __future__ import annotations

import math

import numpy as np
import pytest

from abm.constraints import DebtToCashFlow
from abm.units import BN
from models.scenario import Scenario


@pytest.fixture(scope="module")
def rule():
    p = Scenario()
    return DebtToCashFlow(max_ratio=p.hyperscaler_max_debt_to_cash_flow,
                          free_ratio=p.hyperscaler_spread_free_leverage,
                          slope_per_turn=p.hyperscaler_spread_per_leverage_turn)


# --- the rule ---------------------------------------------------------------------------------

def test_spread_is_the_base_spread_at_low_leverage(rule):
    """Below S&P's 'minimal' financial risk (debt/EBITDA < 1.5x [R27]) debt costs no rating."""
    for ratio in (0.0, 0.5, 1.0, 1.5):
        assert rule.spread(ratio) == 0.0


def test_spread_rises_monotonically_with_leverage(rule):
    ratios = np.linspace(0.0, 10.0, 201)
    spreads = [rule.spread(x) for x in ratios]
    assert all(np.diff(spreads) >= 0)
    assert spreads[-1] > spreads[0]
    assert all(rule.spread(x) > 0 for x in ratios if x > 1.5)


def test_spread_values_documented_from_R9_and_R27(rule):
    """A3 at about 3.5x pays 180 bp, Ba2 at about 6x 405 bp over the best-rated coupon: the
    225 bp between SOFR + 225 and SOFR + 450 [R9]."""
    a3, ba2 = rule.spread(3.5), rule.spread(6.0)
    assert a3 == pytest.approx(0.018)
    assert ba2 == pytest.approx(0.0405)
    assert ba2 - a3 == pytest.approx(0.0225)
    assert rule.spread(2.5) == pytest.approx(0.009)          # at the borrowing limit


def test_ratio_and_room(rule):
    assert rule.ratio(90 * BN, 20 * BN) == pytest.approx(4.5)
    assert rule.ratio(0.0, 0.0) == 0.0 and math.isinf(rule.ratio(1.0, 0.0))
    assert rule.room_usd(100 * BN, 100 * BN) == pytest.approx(150 * BN)     # 2.5x less debt
    assert rule.room_usd(300 * BN, 100 * BN) == 0.0
    assert rule.room_usd(0.0, -5 * BN) == 0.0
