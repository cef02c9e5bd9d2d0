"""Accounting invariants, checked every step of every shipped scenario (except the large
``synthetic``, which has the same code paths at a scale the benchmark covers).

- Money is conserved: the sum of all ledger balances, outside accounts included, stays
  constant to 1e-9 relative to the sum of absolute balances.
- Every claim is one number on both sides: summing claim values over holders equals
  summing them over issuers; GPU loans held by lenders equal those owed by borrowers.
- Every balance sheet balances: assets = liabilities + equity, line by line.
- No live claim points at a failed institution; inside accounts never go negative; a
  neocloud never pledges more GPUs than it owns.
"""
from __future__ import annotations

import numpy as np
import pytest

from aicredit.abm.gpu_loans import MARKET_LENDER
from aicredit.models import AIEconomyModel
from aicredit.models.scenario import scenario_names

SCENARIOS = scenario_names(large=False)           # synthetic (scale) is scaled down below


def check_invariants(m, money0):
    ledger = m.ledger
    assert abs(ledger.total() - money0) <= 1e-9 * ledger.scale()
    by_holder = sum(c.value_usd() for cs in m.claims.by_holder.values() for c in cs
                    if c.is_liability)
    by_issuer = sum(c.value_usd() for cs in m.claims.by_issuer.values() for c in cs
                    if c.is_liability)
    assert by_holder == pytest.approx(by_issuer, rel=1e-12, abs=1e-3)
    book = m.gpu_loans
    held = sum(f.gpu_loans_held_usd() for f in m.funds) + float(
        book.debt[book.active & (book.lender == MARKET_LENDER)].sum())    # sold to the market
    owed = sum(n.gpu_loans_owed_usd() for n in m.neoclouds)
    assert held == pytest.approx(owed, rel=1e-12, abs=1e-3)
    for a in m.institutions:
        bs = a.balance_sheet()
        assert bs["total_assets"] == pytest.approx(sum(bs["assets"].values()))
        equity = bs["total_assets"] - bs["total_liabilities"]
        assert equity == pytest.approx(a.equity_usd(), rel=1e-9, abs=1e-3)
        # never negative, up to float rounding of simultaneous settlement at this scale
        assert a.cash_usd >= -1e-6 - 1e-12 * max(bs["total_assets"], 1e9)
        if a.defaulted:
            assert not m.claims.by_holder.get(a) and not m.claims.by_issuer.get(a)
    for n in m.neoclouds:
        if n.defaulted:
            assert not book.rows(borrower=n.index).size
            continue
        pledged = book.units_pledged(len(m.neoclouds), m.gpu_market.n_vintages)[n.index]
        assert np.all(pledged <= n.gpu_units * (1 + 1e-9) + 1e-6)
    for c in m.claims.all:
        if not c.closed:
            assert not getattr(c.holder, "defaulted", False)
            assert not getattr(c.issuer, "defaulted", False)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_invariants_every_step(scenario):
    m = AIEconomyModel(scenario, seed=3, collect_agents=False)
    money0 = m.ledger.total()
    check_invariants(m, money0)
    for _ in range(m.p.steps):
        m.step()
        check_invariants(m, money0)


def test_invariants_hold_through_a_cascade():
    """A severe winter with thin GPU markets: many failures, still every invariant."""
    m = AIEconomyModel("ai_winter", seed=5, collect_agents=False, fire_sale_depth_share=0.05,
                       demand_shock_size=0.7, demand_shock_step=6)
    money0 = m.ledger.total()
    for _ in range(48):
        m.step()
        check_invariants(m, money0)
    assert len(m.default_events) >= 3


def test_invariants_synthetic_economy_scaled_down():
    """The synthetic generator's economy (counts scaled down to stay fast) keeps every invariant."""
    m = AIEconomyModel("synthetic", seed=1, collect_agents=False, n_small_neoclouds=60,
                       gpu_loans_per_neocloud=50, n_pc_funds=20, n_banks=10, n_insurers=10,
                       n_other_spvs=12, n_saver_cohorts=2000, steps=6)
    assert len(m.institutions) > 100 and len(m.gpu_loans) > 3000
    money0 = m.ledger.total()
    check_invariants(m, money0)
    while m.running:
        m.step()
        check_invariants(m, money0)
