"""The smaller neoclouds' calibration: each holds a take-or-pay deal with its anchor hyperscaler
([R42], like CoreWeave's [F2] deals), and that contracted revenue, not a stream of new shares,
is what carries the leases and GPU loans it took on."""
from __future__ import annotations

import pytest

from aicredit.models import AIEconomyModel
from aicredit.models.calibration.neoclouds import ANCHOR_HYPERSCALERS


def _anchor_deals(model):
    """Each smaller neocloud's fixed-term (not renewable) compute contracts from hyperscalers."""
    hyperscalers = set(model.hyperscalers)
    return {n.name: [c for c in n.claims_held("compute_contract")
                     if c.issuer in hyperscalers and not c.renewable]
            for n in model.neoclouds[1:]}


def test_each_smaller_neocloud_holds_its_anchor_deal_at_the_sourced_size():
    m = AIEconomyModel("baseline", seed=0, collect_agents=False)
    p = m.p
    deals = _anchor_deals(m)
    assert set(deals) == {n.name for n in m.neoclouds[1:]} and len(deals) == p.n_small_neoclouds
    for n in m.neoclouds[1:]:
        (deal,) = deals[n.name]
        assert deal.issuer.name in ANCHOR_HYPERSCALERS
        assert deal.start_step == p.small_neocloud_anchor_deal_start_step
        assert deal.end_step - deal.start_step == p.small_neocloud_anchor_deal_months
        total = deal.payment_usd_per_month * p.small_neocloud_anchor_deal_months
        assert total == pytest.approx(p.small_neocloud_anchor_deal_x_market_cap * n.valuation_usd)


def test_without_anchor_deals_smaller_neoclouds_fail_in_the_build_up():
    """The deal pays the leases and loans the capacity was built for: without it a smaller
    neocloud carries CoreWeave's scaled costs on a quarter of its base revenue, lives on new
    shares, and some fail before any shock once the yearly cap on new shares binds (the
    model before 0.5.1); with it, with the same seeds, fewer do."""
    def small_failures(**params):
        failed = 0
        for seed in (1, 6):
            m = AIEconomyModel("baseline", seed=seed, collect_agents=False, steps=24, **params)
            while m.running:
                m.step()
            failed += sum(n.defaulted for n in m.neoclouds[1:])
        return failed

    assert small_failures(small_neocloud_anchor_deal_x_market_cap=0.0) > small_failures()
