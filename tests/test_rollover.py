"""Rollover of maturing GPU loans (``abm/rollover.py``, C4): the probability that a lender rolls
a loan falls with its LTV, rises with the borrower's debt-service coverage and scales with the
lender's own funding (He and Xiong 2012; Acharya, Gale and Yorulmazer 2011)."""
from __future__ import annotations

import numpy as np
import pytest

from aicredit.abm.rollover import loan_ltv, roll_over_maturing, rollover_probability
from aicredit.models import AIEconomyModel

ARGS = dict(base_share=0.95, ltv_ref=0.7, ltv_sensitivity=10.0, coverage_sensitivity=1.0)


def prob(ltv, cover=1.0, funding=1.0, **kw):
    return float(rollover_probability(np.array([ltv]), np.array([cover]), np.array([funding]),
                                      **{**ARGS, **kw})[0])


def test_base_share_at_the_reference_state():
    assert prob(0.7) == pytest.approx(0.95)
    assert prob(0.7, funding=0.5) == pytest.approx(0.475)


def test_probability_falls_with_ltv_and_rises_with_coverage():
    ltvs = np.linspace(0.3, 1.5, 13)
    p = rollover_probability(ltvs, np.ones_like(ltvs), np.ones_like(ltvs), **ARGS)
    assert np.all(np.diff(p) < 0)
    assert prob(1.0) == pytest.approx(1 / (1 + np.exp(-(np.log(19) - 3.0))))   # underwater: ~half
    covers = np.array([0.05, 0.1, 0.3, 0.6, 1.0])
    q = rollover_probability(np.full(5, 0.7), covers, np.ones(5), **ARGS)
    assert np.all(np.diff(q) > 0)
    assert prob(0.7, cover=3.0) == pytest.approx(prob(0.7, cover=1.0))        # only a shortfall counts


def test_zero_sensitivities_give_the_coin_flip():
    flat = dict(ltv_sensitivity=0.0, coverage_sensitivity=0.0)
    assert prob(0.3, cover=0.1, **flat) == pytest.approx(prob(1.4, cover=1.0, **flat)) == pytest.approx(0.95)


def _mature_all(m):
    book = m.gpu_loans
    book.maturity_step[book.active] = m.steps
    return np.flatnonzero(book.active)


def test_with_c4_off_every_maturing_loan_rolls():
    m = AIEconomyModel("baseline", seed=0, collect_agents=False, c4_rollover_risk=False,
                       rollover_base_share=0.0)
    rows = _mature_all(m)
    roll_over_maturing(m)
    assert np.all(m.gpu_loans.maturity_step[rows] > m.steps)


def test_a_lender_in_covenant_breach_rolls_nothing():
    m = AIEconomyModel("baseline", seed=0, collect_agents=False)
    for f in m.funds:
        f.in_breach = True
    rows = _mature_all(m)
    assert np.all(np.isfinite(loan_ltv(m, rows)))
    roll_over_maturing(m)
    assert np.all(m.gpu_loans.maturity_step[rows] == m.steps)
    assert m.month.rollovers_refused_usd == pytest.approx(float(m.gpu_loans.debt[rows].sum()))
