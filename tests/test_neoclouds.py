"""The smaller neoclouds' calibration: each holds a take-or-pay deal with its anchor hyperscaler
([R42], like CoreWeave's [F2] deals), and that contracted revenue, not a stream of new shares,
is what carries the leases and GPU loans it took on."""
from __future__ import annotations

import pytest

from aicredit.models import AIEconomyModel
from aicredit.models.calibration.neoclouds import ANCHOR_HYPERSCALERS


def _anchor_deals(model, start=None):
    """Each smaller neocloud's compute contracts from hyperscalers that start in month ``start``
    (default: the deals' first month)."""
    hyperscalers = set(model.hyperscalers)
    start = model.p.small_neocloud_anchor_deal_start_step if start is None else start
    return {n.name: [c for c in n.claims_held("compute_contract")
                     if c.issuer in hyperscalers and c.start_step == start]
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
        assert deal.renewable          # at its term the anchor renews it or lets it lapse (C2)


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


def test_anchor_deals_are_renewed_at_their_term_in_a_boom():
    """A deal ends in month 68; the anchor hyperscaler renews it as it renews any contract
    (``abm/contracts.py``), so a smaller neocloud that built on it does not lose its revenue at
    the term (a fixed-term deal failed neoclouds in months 70-72 of the boom, seeds 5, 10, 14)."""
    m = AIEconomyModel("ai_boom", seed=14, collect_agents=False)
    p_end = m.p.small_neocloud_anchor_deal_start_step + m.p.small_neocloud_anchor_deal_months
    while m.running:
        m.step()
    renewals = _anchor_deals(m, start=p_end)
    for n in m.neoclouds[1:]:
        assert not n.defaulted
        renewed = renewals[n.name]
        assert renewed and renewed[0].payment_usd_per_month > 0
