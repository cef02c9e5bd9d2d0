"""Default resolution: recovery by seniority, pro rata within a class, every loss on a holder,
and nothing left pointing at the failed institution."""
from __future__ import annotations

import pytest

from aicredit.abm.claims import Debt, Seniority
from aicredit.abm.default import resolve_default
from aicredit.abm.markets.gpu import market_depth
from aicredit.abm.units import BN


def named(m, name):
    return next(a for a in m.institutions if a.name == name)


@pytest.mark.parametrize("resale", [0.3, 0.45, 0.6])
def test_spv_default_pays_tranches_by_strict_priority(resale, run):
    """An SPV whose lessee walked away: the building's sale pays the senior ABS tranche (the
    bank and outside investors pro rata), then the insurer's mezzanine tranche, then the
    outside investors' junior tranche, then the fund's subordinated loan [F22].

    Meta's 27 bn SPV has 24.3 bn of debt: 14.58 bn of ABS (70% senior, 20% mezzanine, 10%
    junior) and 9.72 bn of fund loan. The building fetches ``resale`` * 27 bn plus the SPV's
    cash: at 0.3 only part of the senior tranche (everyone below loses everything), at 0.45
    the senior tranche and part of the mezzanine, at 0.6 the ABS and part of the fund loan.
    Losses therefore fall on the fund loan first, then the junior, mezzanine and senior
    tranches, each on its holder."""
    m = run(steps=1, dc_resale_share=resale, fresh=True)
    spv = named(m, "Meta Louisiana SPV")
    claims = {c: c.value_usd() for c in m.claims.issued(spv) if c.is_liability}
    order = (Seniority.SECURED, Seniority.MEZZANINE, Seniority.JUNIOR, Seniority.SUBORDINATED)
    by_rank = {r: [c for c in claims if c.seniority == r] for r in order}
    assert {r: {c.holder.sector for c in cs} for r, cs in by_rank.items()} == {
        Seniority.SECURED: {"bank", "outside"}, Seniority.MEZZANINE: {"insurer"},
        Seniority.JUNIOR: {"outside"}, Seniority.SUBORDINATED: {"private_credit"}}
    assert sum(claims.values()) == pytest.approx(0.9 * 27 * BN)
    cash_before = {c.holder: m.ledger.balance(c.holder.name) for c in claims}
    estate = spv.cash_usd + spv.real_assets_usd * m.p.dc_resale_share
    events_before = len(m.losses.events)
    resolve_default(m, spv, "test")
    expected = {h: 0.0 for h in cash_before}
    ratios, left = {}, estate
    for rank in order:
        owed = sum(claims[c] for c in by_rank[rank])
        ratios[rank] = min(1.0, max(0.0, left) / owed)
        for c in by_rank[rank]:
            expected[c.holder] += ratios[rank] * claims[c]
        left -= ratios[rank] * owed
    for h, amount in expected.items():
        assert m.ledger.balance(h.name) - cash_before[h] == pytest.approx(amount, rel=1e-9, abs=1e-3), h.name
    # strict priority: a class recovers something only if every class above is paid in full
    for above, below in zip(order, order[1:], strict=False):
        assert ratios[below] == 0.0 or ratios[above] == 1.0
    assert [ratios[r] < 1.0 for r in order] == {
        0.3: [True, True, True, True], 0.45: [False, True, True, True],
        0.6: [False, False, False, True]}[resale]
    # every claim closed, every shortfall booked on a holder
    assert not m.claims.by_issuer.get(spv) and not m.claims.by_holder.get(spv)
    shortfall = sum(claims.values()) - min(estate, sum(claims.values()))
    new_events = m.losses.events[events_before:]
    debt_losses = sum(e["amount_usd"] for e in new_events
                      if e["kind"] in ("abs", "construction_loan", "spv_loan"))
    assert debt_losses == pytest.approx(shortfall, rel=1e-9)
    insurer_loss = sum(e["amount_usd"] for e in new_events if e["holder_sector"] == "insurer")
    assert insurer_loss == pytest.approx((1 - ratios[Seniority.MEZZANINE])
                                         * sum(claims[c] for c in by_rank[Seniority.MEZZANINE]))
    assert spv.defaulted and m.default_events[-1]["name"] == spv.name


def test_neocloud_default_liquidates_collateral_and_books_deficiency(run):
    """CoreWeave fails: its GPU loans are closed, collateral sold, shareholders wiped out."""
    m = run(steps=3, fresh=True)
    cw = named(m, "CoreWeave")
    book = m.gpu_loans
    rows = book.rows(borrower=cw.index)
    assert rows.size
    stake_holders = {c.holder.name for c in m.claims.issued(cw, "equity")}
    resolve_default(m, cw, "test")
    assert not book.rows(borrower=cw.index).size
    assert cw.gpu_units.sum() == 0 and cw.cash_usd == pytest.approx(0.0, abs=1e-3)
    assert not m.claims.by_issuer.get(cw) and not m.claims.by_holder.get(cw)
    wiped = {e["holder"] for e in m.losses.events if e["kind"] == "equity_wiped_out"
             and e["issuer"] == "CoreWeave"}
    assert wiped == stake_holders
    for c in m.claims.all:
        if not c.closed:
            assert c.holder is not cw and c.issuer is not cw


def test_dumps_outside_the_clearing_compound_and_persist_as_dislocation(run):
    """GPUMarket.liquidation_price: two dumps of one vintage in a month fetch
    p0 e^(-a/d) and then p0 e^(-(a+b)/d); the market price and the dislocation carried into
    next month follow (C3 on). Without moving the market only the proceeds bear the impact."""
    import math
    gm = run(steps=1).gpu_market
    v, d = 1, 1000.0
    p0 = float(gm.price[v])
    assert gm.liquidation_price(v, 100.0, d, moves_market=False) == pytest.approx(
        p0 * math.exp(-0.1), rel=1e-12)
    assert gm.price[v] == p0
    first = gm.liquidation_price(v, 100.0, d)
    second = gm.liquidation_price(v, 200.0, d)
    assert first == pytest.approx(p0 * math.exp(-0.1), rel=1e-12)
    assert second == pytest.approx(p0 * math.exp(-0.3), rel=1e-12)
    assert gm.price[v] == second
    assert gm.dislocation[v] == pytest.approx(second / gm.ref_price[v], rel=1e-12)


@pytest.mark.parametrize("c3", [True, False])
def test_collateral_dumped_after_a_default_moves_the_market_price(c3, run):
    """CoreWeave fails: its collateral and then its other GPUs are sold; with C3 on each
    vintage's market price falls at least by the collateral's own impact
    p0 e^(-pledged/depth) (the estate's units and a thinner market after the sale push it
    further); with C3 off the market price does not move."""
    import numpy as np
    m = run(steps=3, c3_collateral_spiral=c3, fresh=True)
    cw = named(m, "CoreWeave")
    book, gm = m.gpu_loans, m.gpu_market
    rows = book.rows(borrower=cw.index)
    pledged = np.bincount(book.vintage[rows], weights=book.units[rows], minlength=gm.n_vintages)
    p0, depth = gm.price.copy(), market_depth(m)
    resolve_default(m, cw, "test")
    hit = pledged > 0
    assert hit.any()
    if c3:
        assert (gm.price[hit] <= p0[hit] * np.exp(-pledged[hit] / depth[hit]) * (1 + 1e-12)).all()
        np.testing.assert_allclose(gm.dislocation[hit], gm.price[hit] / gm.ref_price[hit])
    else:
        np.testing.assert_array_equal(gm.price, p0)


def test_pro_rata_within_a_class_and_losses_on_outside_holders(run):
    """Two senior creditors of equal claims recover the same amount from a thin estate."""
    m = run(steps=1, fresh=True)
    lab = named(m, "xAI")
    for c in list(m.claims.issued(lab)):
        m.claims.close(c)
    a = m.claims.add(Debt(holder=m.outside("bond_investors"), issuer=lab, kind="bond", principal_usd=10e9))
    b = m.claims.add(Debt(holder=named(m, "Bank 1"), issuer=lab, kind="bank_loan", principal_usd=10e9))
    lab.pay("suppliers", lab.cash_usd - 4e9, "test_burn")          # estate: 4 bn for 20 bn of claims
    bank_cash = m.ledger.balance("Bank 1")
    bond_cash = m.ledger.balance("bond_investors")
    resolve_default(m, lab, "test")
    assert m.ledger.balance("Bank 1") - bank_cash == pytest.approx(2e9)
    assert m.ledger.balance("bond_investors") - bond_cash == pytest.approx(2e9)
    assert a.closed and b.closed
    booked = {e["holder"]: e["amount_usd"] for e in m.losses.events if e["issuer"] == "xAI"
              and e["kind"] in ("bond", "bank_loan")}
    assert booked == pytest.approx({"bond_investors": 8e9, "Bank 1": 8e9})


def test_failed_bank_depositors_made_whole_by_deposit_insurance(run):
    """A bank with negative equity fails; deposit insurance pays what depositors lose."""
    m = run(steps=1, fresh=True)
    bank = named(m, "Bank 1")
    for c in bank.claims_held("other_loan"):
        c.write_down(0.9 * c.value_usd())
    assert bank.equity_usd() < 0
    depositors_before = m.ledger.balance("depositors")
    m.step()
    assert bank.defaulted
    assert m.losses.by_category["deposit_insurance"] > 0
    paid = m.ledger.flows.get("deposit_insurance_payout", 0.0)
    assert paid == pytest.approx(m.losses.by_category["deposit_insurance"], rel=1e-9)
    assert m.ledger.balance("depositors") > depositors_before


def test_panic_sales_below_cost_are_savers_realised_losses(run):
    """401(k) cohorts that panic-sell the AI index below what they paid book that loss; every
    loss on savers (panic sales, their share of a listed firm's wipe-out) is booked on them."""
    m = run(steps=6, demand_shock_step=2, demand_shock_size=0.6, saver_panic_drawdown_mean=0.03)
    sales = [e for e in m.losses.events if e["kind"] == "ai_index_panic_sale"]
    on_savers = [e for e in m.losses.events       # cohorts, and their index pool's wipe-outs
                 if e["holder_sector"] == "saver_401k" or e["holder"] == "401k_index"]
    assert sales and m.losses.by_category["savers_401k"] == pytest.approx(
        sum(e["amount_usd"] for e in on_savers))
    calm = run(steps=6, saver_panic_drawdown_mean=0.9, saver_active_threshold_dispersion=0.0)
    assert calm.losses.by_category["savers_401k"] == 0.0


def test_insurer_forced_sale_losses_carry_their_month(run):
    """C7: an insurer below its threshold sells at a discount; the realised loss is booked in
    the month it happens (it was once logged as step -1)."""
    m = run("baseline", steps=3, insurer_solvency_min=50.0)
    sales = [e for e in m.losses.events if e["kind"] == "forced_sale_discount"]
    assert sales, "no insurer sold anything"
    assert {e["step"] for e in sales} <= {1, 2, 3}
    assert all(e["holder_sector"] == "insurer" for e in sales)
