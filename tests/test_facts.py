"""Step 0 of ``baseline`` against the article's figures, one assertion per fact.

Tolerances: 1% for figures the calibration sets directly, looser (stated) where the model
derives a figure from several parameters. Facts are cited as [F#]
(``docs/sources.md``).
"""
from __future__ import annotations

import pytest

from aicredit.abm.claims import Contract
from aicredit.abm.units import BN


def by_name(model, name):
    return next(a for a in model.institutions if a.name == name)


def contracts(model, holder=None, issuer=None, kind="compute_contract"):
    return [c for c in model.claims.all if isinstance(c, Contract) and c.kind == kind and not c.closed
            and (holder is None or c.holder.name == holder) and (issuer is None or c.issuer.name == issuer)]


def total(cs):
    return sum(c.payment_usd_per_month * (c.end_step - c.start_step) for c in cs)


def test_F1_coreweave_ipo_in_march_2025(run):
    """[F1] CoreWeave's IPO in March 2025 (step 2) raises new equity from outside investors."""
    m = run(steps=2)
    cw = by_name(m, "CoreWeave")
    ipo = [c for c in m.claims.issued(cw, "equity") if c.holder.name == "outside_investors"
           and c.cost_usd == pytest.approx(1.5 * BN)]
    assert len(ipo) == 1


def test_F2_coreweave_deals(baseline0):
    """[F2] OpenAI 22 bn, Meta 14 bn, Nvidia 6 bn contracts with CoreWeave (future deals)."""
    deals = {c.issuer.name: total([c]) for c in contracts(baseline0, holder="CoreWeave")
             if c.start_step > 0}
    assert deals == pytest.approx({"OpenAI": 22 * BN, "Meta": 14 * BN, "Nvidia": 6 * BN}, rel=1e-9)


def test_F5_coreweave_revenue_and_spending(baseline0):
    """[F5] Revenue ~5 bn and spending ~20 bn a year in 2025 (1%)."""
    cw = by_name(baseline0, "CoreWeave")
    revenue = 12 * sum(c.payment_usd_per_month for c in contracts(baseline0, holder="CoreWeave")
                       if c.active(0))
    assert revenue == pytest.approx(5 * BN, rel=0.01)
    spending = 12 * (cw.monthly_costs_usd() - cw.gpu_loans_owed_usd() / 48 + cw.capex0_usd_per_month)
    assert spending == pytest.approx(20 * BN, rel=0.01)


def test_F6_coreweave_debt_more_than_half_due_within_a_year(baseline0):
    """[F6] 14 bn borrowed; more than half falls due within 12 months."""
    book = baseline0.gpu_loans
    rows = book.rows(borrower=by_name(baseline0, "CoreWeave").index)
    assert book.debt[rows].sum() == pytest.approx(14 * BN, rel=1e-9)
    short = book.debt[rows][book.maturity_step[rows] <= 12].sum()
    assert short / book.debt[rows].sum() > 0.5


def test_F7_F23_loans_from_private_credit_secured_on_gpus(baseline0):
    """[F7, F23] CoreWeave's loans are GPU-backed, lent by private-credit funds at high rates."""
    book = baseline0.gpu_loans
    rows = book.rows(borrower=by_name(baseline0, "CoreWeave").index)
    assert set(book.lender[rows]) <= set(range(len(baseline0.funds)))
    assert (book.units[rows] > 0).all()
    assert book.rate_per_month[rows].min() * 12 >= 0.09          # [R8] 9-15%


def test_F8_coreweave_lease_obligations(baseline0):
    """[F8] Lease payment obligations of 34 bn to 2028."""
    leases = contracts(baseline0, issuer="CoreWeave", kind="lease")
    assert sum(c.remaining_usd(0) for c in leases) == pytest.approx(34 * BN, rel=1e-9)
    assert max(c.end_step for c in leases) <= 48


def test_F9_customer_concentration(baseline0):
    """[F9] Microsoft ~70% of CoreWeave's revenue; Nvidia and OpenAI another ~20%."""
    now = [c for c in contracts(baseline0, holder="CoreWeave") if c.active(0)]
    rev = sum(c.payment_usd_per_month for c in now)
    share = {c.issuer.name: c.payment_usd_per_month / rev for c in now}
    assert share["Microsoft"] == pytest.approx(0.70, abs=0.01)
    assert share["Nvidia"] + share["OpenAI"] == pytest.approx(0.20, abs=0.01)


def test_F10_nvidia_supplier_investor_and_customer(baseline0):
    """[F10] Nvidia invests in CoreWeave and rents its capacity back."""
    cw = by_name(baseline0, "CoreWeave")
    assert any(c.holder.name == "Nvidia" for c in baseline0.claims.issued(cw, "equity"))
    assert contracts(baseline0, holder="CoreWeave", issuer="Nvidia")


def test_F12_data_centre_spending_over_400bn(baseline0):
    """[F12] Data-centre spending this year > 400 bn (hyperscaler and neocloud capex)."""
    capex = 12 * (sum(h.capex0_usd_per_month for h in baseline0.hyperscalers)
                  + sum(n.capex0_usd_per_month for n in baseline0.neoclouds))
    assert capex > 400 * BN
    assert capex < 440 * BN


def test_F13_nvidia_vendor_financing(baseline0):
    """[F13] Nvidia commits 100 bn to OpenAI; with Microsoft 15 bn into Anthropic."""
    chip = baseline0.institution("Nvidia")
    openai = [c for c in chip.commitments if c["lab"].name == "OpenAI"]
    assert sum(c["remaining_usd"] for c in openai) == pytest.approx(100 * BN)
    into_anthropic = [d for d in baseline0.p.deals if d.issuer == "Anthropic"]
    assert {d.investor for d in into_anthropic} == {"Nvidia", "Microsoft"}
    assert sum(d.amount_bn for d in into_anthropic) == pytest.approx(15)


def test_F14_openai_compute_contracts(baseline0):
    """[F14] OpenAI buys compute: 300 bn Oracle, 38 bn Amazon, 22 bn CoreWeave."""
    fixed = {c.holder.name: total([c]) for c in contracts(baseline0, issuer="OpenAI") if not c.renewable}
    assert fixed == pytest.approx({"Oracle": 300 * BN, "Amazon": 38 * BN, "CoreWeave": 22 * BN})


def test_F15_openai_revenue_loss_and_oracle_bill(baseline0):
    """[F15] ~10 bn revenue; >= 15 bn loss; revenue < a fifth of the yearly Oracle payment."""
    openai = by_name(baseline0, "OpenAI")
    revenue = 12 * openai.demand_share * baseline0.demand.lab_usd
    assert revenue == pytest.approx(10 * BN, rel=0.02)
    spending = 12 * sum(c.payment_usd_per_month for c in contracts(baseline0, issuer="OpenAI")
                        if c.active(0)) / (1 - openai.opex_share)
    assert spending - revenue >= 15 * BN * 0.99
    oracle = contracts(baseline0, holder="Oracle", issuer="OpenAI")[0]
    assert revenue < 12 * oracle.payment_usd_per_month / 5


def test_F16_ai_revenue_60bn(baseline0):
    """[F16] AI companies together earn ~60 bn a year."""
    assert 12 * baseline0.demand.usd_per_month == pytest.approx(60 * BN)


def test_F17_F18_scenarios_bracket_the_baseline(run):
    """[F17] the boom grows demand several-fold in two years; [F18] the winter does not
    (the expected paths: demand shocks off, so a single seed's luck does not decide it)."""
    boom = run("ai_boom", steps=24, demand_volatility_per_month=0.0)
    winter = run("ai_winter", steps=24, demand_volatility_per_month=0.0)
    assert boom.demand.history[24] / boom.demand.history[0] > 5
    assert winter.demand.history[24] / winter.demand.history[0] < 1.2


def test_F20_meta_spv_off_balance_sheet(baseline0):
    """[F20] Meta's 27 bn Louisiana SPV: Blue Owl majority owner; debt off Meta's balance sheet."""
    spv = by_name(baseline0, "Meta Louisiana SPV")
    assert spv.real_assets_usd == pytest.approx(27 * BN)
    owners = {c.holder.name: c.units for c in baseline0.claims.issued(spv, "spv_equity")}
    assert owners["Blue Owl"] > 0.5
    meta = by_name(baseline0, "Meta")
    assert meta.consolidated_debt_usd() - meta.debt_usd() >= spv.debt_usd() - 1
    assert meta.reported_leverage() < meta.consolidated_leverage()


def test_F22_abs_sold_to_banks_insurers_and_investors(baseline0):
    """[F22] Data-centre debt sliced into ABS held by banks, insurers and outside investors."""
    holders = {c.holder.sector for c in baseline0.claims.all if c.kind == "abs"}
    assert {"bank", "insurer", "outside"} <= holders


def test_F28_private_credit_tech_lending(baseline0):
    """[F28] ~450 bn of private credit lent to the tech sector."""
    tech = sum(f.gpu_loans_held_usd() for f in baseline0.funds) + sum(
        c.value_usd() for f in baseline0.funds for c in f.claims_held()
        if c.kind in ("spv_loan", "tech_loan"))
    assert tech == pytest.approx(450 * BN, rel=1e-6)


def test_F31_bank_lending_share_to_private_credit(baseline0):
    """[F31] 25% of bank lending to non-banks goes to private credit."""
    lines = sum(c.principal_usd for c in baseline0.claims.all if c.kind == "credit_line")
    assert lines == pytest.approx(0.25 * baseline0.p.bank_nbfi_loans_bn * BN)


def test_F32_insurers_hold_a_trillion_of_private_credit(baseline0):
    """[F32] Life insurers hold nearly 1 trillion of private credit."""
    held = sum(c.value_usd() for i in baseline0.insurers for c in i.claims_held()
               if c.kind in ("fund_share", "private_placement", "other_placement"))
    assert held == pytest.approx(1000 * BN, rel=0.01)


def test_F34_401k_access_from_august_2025(run):
    """[F34] 401(k)s hold no private credit before August 2025 (step 7), some after."""
    m = run(steps=6, fresh=True)
    assert not any(c.holder.sector == "saver_401k" for c in m.claims.all if c.kind == "fund_share")
    m.step()
    m.step()
    assert any(c.holder.sector == "saver_401k" for c in m.claims.all if c.kind == "fund_share")


def test_F24_generation_release_lowers_older_vintages(run):
    """[F24] A new generation lowers the value of every older vintage by at least the fall of
    the rental rate per unit of compute, and the newest is no longer sold at list price. The
    releases are on a public schedule, so buyers price each in over the year before it
    (abm/markets/gpu.py): the fall is measured over the generation (month 8 to month 20,
    which spans the first release at month 9), not in the release month."""
    m = run(steps=8)
    gm = m.gpu_market
    before = gm.scheduled_price(8)
    after = gm.scheduled_price(8 + gm.generation_months)
    drop = m.p.gpu_release_value_drop
    older = slice(0, gm.n_existing)
    assert (after[older] / before[older] <= 1 - drop + 1e-12).all()
    newest0 = gm.n_existing - 1
    assert gm.scheduled_price(0)[newest0] == gm.unit_price_usd > gm.scheduled_price(9)[newest0]
    assert gm.frontier_rate(9) == pytest.approx((1 - drop) * gm.frontier_rate(8))
