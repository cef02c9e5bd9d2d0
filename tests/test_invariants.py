"""Accounting invariants, checked every month of every shipped scenario (except the large
``synthetic``, which has the same code paths at a scale the benchmark covers), through a
cascade and in a scaled-down synthetic economy.

The invariants themselves (money conserved, every claim one number on both sides, balance
sheets balance, no live claim on a failed institution, no negative inside account, no GPU
pledged twice) are checked by the ``run`` fixture of ``tests/conftest.py`` at step 0 and after
every month of every run the suite makes; a violation fails the test that asked for the run.
"""
from __future__ import annotations

import pytest

from aicredit.models.scenario import scenario_names

#: The scenarios checked in the quick loop (the others in the full suite): the three arms most
#: tests run; the quick loop's other runs are checked month by month all the same. Their
#: full-horizon runs of seed 3 are the "arms" group's cached ones (tests/conftest.py), so they
#: run in that group, on the worker that holds them.
QUICK = ("baseline", "ai_winter", "ai_boom")
SCENARIOS = [pytest.param(s, marks=pytest.mark.xdist_group("arms")) if s in QUICK
             else pytest.param(s, marks=pytest.mark.slow) for s in scenario_names(large=False)]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_invariants_every_step(scenario, run):
    m = run(scenario, steps=None, seed=3)
    assert m.steps == m.p.steps > 0


def test_invariants_hold_through_a_cascade(run):
    """A severe winter with thin GPU markets: many failures, still every invariant."""
    m = run("ai_winter", steps=48, seed=5, fire_sale_depth_share=0.05, demand_shock_size=0.7,
            demand_shock_step=6)
    assert m.steps == 48
    assert len(m.default_events) >= 3


def test_invariants_synthetic_economy_scaled_down(run):
    """The synthetic generator's economy (counts scaled down to stay fast) keeps every invariant."""
    m = run("synthetic", steps=6, seed=1, n_small_neoclouds=60, gpu_loans_per_neocloud=50,
            n_pc_funds=20, n_banks=10, n_insurers=10, n_other_spvs=12, n_saver_cohorts=2000)
    assert len(m.institutions) > 100 and len(m.gpu_loans) > 3000
    assert m.steps == 6


def test_a_broken_invariant_fails_the_run(run, monkeypatch):
    """The check can fail: a ledger whose total moves in month 2 is caught that month."""
    def mint(m, t):
        if t == 2:
            total = m.ledger.total()
            monkeypatch.setattr(m.ledger, "total", lambda: total + 1e6 * m.ledger.scale())
    with pytest.raises(AssertionError, match="money not conserved in month 2"):
        run("baseline", steps=3, before_step=mint)
