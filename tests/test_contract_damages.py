"""Contracts survive their payer's failure as capped damage claims [R23]; SPV ABS in three
tranches paid by strict priority [F22]."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import aicredit.abm.default
from aicredit.abm.claims import Contract, Debt, Seniority
from aicredit.abm.contracts import rejection_damages_usd
from aicredit.abm.default import resolve_default
from aicredit.abm.units import BN

CAP = SimpleNamespace(contract_damages_cap_years_min=1.0, contract_damages_cap_term_share=0.15,
                      contract_damages_cap_years_max=3.0)


def named(m, name):
    return next(a for a in m.institutions if a.name == name)


@pytest.mark.parametrize("months_left, months_claimed", [
    (6, 6),          # less than a year left: the rest of the term
    (60, 12),        # one year: 15% of 60 months is only 9
    (120, 18),       # 15% of the remaining term: 18 months
    (300, 36),       # 15% would be 45 months: capped at three years
])
def test_damages_cap_branches(months_left, months_claimed):
    """11 U.S.C. 502(b)(6): the rent for the greater of one year or 15% of the remaining
    term, not more than three years (and never more than the term left)."""
    step = 10
    c = Contract(holder="cloud", issuer="lab", payment_usd_per_month=2.0, start_step=0,
                 end_step=step + 1 + months_left)
    assert rejection_damages_usd(c, step, CAP) == pytest.approx(2.0 * months_claimed)


def test_damages_of_a_contract_not_yet_started_and_the_no_damages_variant():
    """A contract that has not started counts its whole term; ``years_max = 0`` leaves no claim."""
    c = Contract(holder="cloud", issuer="lab", payment_usd_per_month=5.0, start_step=18, end_step=78)
    assert rejection_damages_usd(c, 3, CAP) == pytest.approx(5.0 * 12)
    no_damages = SimpleNamespace(**{**vars(CAP), "contract_damages_cap_years_max": 0.0})
    assert rejection_damages_usd(c, 3, no_damages) == 0.0


def test_failed_lab_leaves_its_cloud_a_capped_claim_paid_pro_rata(run):
    """xAI fails with a 60-month, 1 bn a month compute contract with Google and a 10 bn bond,
    and 4 bn in cash. Google's claim is a year of payments (12 bn: 15% of the 59 months left
    is less than a year), pari passu with the bond: both recover 4/22 of their claims and
    Google books the rest as a loss on the contract's damages."""
    m = run(steps=1, fresh=True)
    lab, google = named(m, "xAI"), named(m, "Google")
    for c in list(m.claims.issued(lab)):
        m.claims.close(c)
    contract = m.claims.add(Contract(holder=google, issuer=lab, kind="compute_contract",
                                     payment_usd_per_month=1 * BN, start_step=1, end_step=61))
    bond = m.claims.add(Debt(holder=m.outside("bond_investors"), issuer=lab, kind="bond",
                             principal_usd=10 * BN))
    lab.pay("suppliers", lab.cash_usd - 4 * BN, "test_burn")
    google_cash, bond_cash = m.ledger.balance("Google"), m.ledger.balance("bond_investors")
    resolve_default(m, lab, "test")
    ratio = 4 / 22
    assert m.ledger.balance("Google") - google_cash == pytest.approx(12 * BN * ratio)
    assert m.ledger.balance("bond_investors") - bond_cash == pytest.approx(10 * BN * ratio)
    assert contract.closed and bond.closed
    booked = {(e["holder"], e["kind"]): e["amount_usd"] for e in m.losses.events if e["issuer"] == "xAI"
              and e["kind"] != "equity_wiped_out"}
    assert booked == pytest.approx({("Google", "compute_contract_damages"): 12 * BN * (1 - ratio),
                                    ("bond_investors", "bond"): 10 * BN * (1 - ratio)})


def test_no_damages_variant_ends_the_contract_without_a_claim(run):
    """With ``contract_damages_cap_years_max = 0`` the failed lab's contract just ends."""
    m = run(steps=1, contract_damages_cap_years_max=0.0, fresh=True)
    lab, google = named(m, "xAI"), named(m, "Google")
    for c in list(m.claims.issued(lab)):
        m.claims.close(c)
    m.claims.add(Contract(holder=google, issuer=lab, kind="compute_contract",
                          payment_usd_per_month=1 * BN, start_step=1, end_step=61))
    google_cash = m.ledger.balance("Google")
    resolve_default(m, lab, "test")
    assert m.ledger.balance("Google") == google_cash
    assert not [e for e in m.losses.events if e["holder"] == "Google"]


def test_failed_neocloud_leaves_its_lessor_a_lease_damage_claim(run):
    """CoreWeave fails: its data-centre lessor (outside, ``suppliers``) claims its arrears and
    a capped year of rent [F8, R23], pari passu with CoreWeave's other unsecured creditors;
    what it does not recover would be booked on it; the lease's payments end."""
    m = run(steps=3, fresh=True)
    cw = named(m, "CoreWeave")
    leases = [c for c in m.claims.issued(cw, "lease")]
    assert leases and all(c.holder.name == "suppliers" for c in leases)
    damages = sum(rejection_damages_usd(c, m.steps, m.p) for c in leases)
    claim = damages + sum(c.arrears_usd for c in leases)
    assert damages == pytest.approx(12 * sum(c.payment_usd_per_month for c in leases))
    resolve_default(m, cw, "test")
    assert all(c.closed for c in leases)
    recovered = sum(c.value_usd() for c in leases)                     # written down to what was paid
    booked = sum(e["amount_usd"] for e in m.losses.events
                 if e["issuer"] == "CoreWeave" and e["kind"] in ("lease", "lease_damages"))
    assert recovered + booked == pytest.approx(claim, rel=1e-9)
    assert recovered > damages / 2          # its GPUs' sale pays much of the senior claims
    assert {e["holder"] for e in m.losses.events if e["kind"] == "lease_damages"} <= {"suppliers"}


def test_failed_hyperscaler_leaves_its_spv_a_lease_damage_claim(run):
    """Meta fails: its Louisiana SPV's 48-month lease [F20] becomes the SPV's claim for a year
    of rent (15% of the term left is less), paid pro rata with Meta's other unsecured debt."""
    m = run(steps=1, fresh=True)
    meta, spv = named(m, "Meta"), named(m, "Meta Louisiana SPV")
    lease = spv.lease()
    assert lease.issuer is meta
    claim = rejection_damages_usd(lease, m.steps, m.p) + lease.arrears_usd
    assert claim == pytest.approx(12 * lease.payment_usd_per_month)
    spv_cash = spv.cash_usd
    resolve_default(m, meta, "test")
    assert lease.closed
    booked = sum(e["amount_usd"] for e in m.losses.events if e["holder"] == spv.name)
    assert spv.cash_usd - spv_cash + booked == pytest.approx(claim, rel=1e-9)
    assert spv.cash_usd > spv_cash


def test_a_failed_provider_leaves_no_claim(run):
    """Google fails first: its contract with the lab ends with it; the lab's later failure
    gives Google nothing."""
    m = run(steps=1, fresh=True)
    lab, google = named(m, "xAI"), named(m, "Google")
    contract = m.claims.add(Contract(holder=google, issuer=lab, kind="compute_contract",
                                     payment_usd_per_month=1 * BN, start_step=1, end_step=61))
    resolve_default(m, google, "test")
    assert contract.closed
    resolve_default(m, lab, "test")
    assert not [e for e in m.losses.events if e["holder"] == "Google" and e["issuer"] == "xAI"]


def hyperscaler_contract_losses(m) -> float:
    return sum(e["amount_usd"] for e in m.losses.events
               if e["holder_sector"] == "hyperscaler" and e["kind"].startswith("compute_contract"))


@pytest.mark.slow
def test_damages_raise_hyperscalers_contract_losses_when_openai_fails(run):
    """OpenAI fails in month 20 of a winter, in every paired seed: with damage claims Oracle
    and Amazon book a year of OpenAI's payments (less their recovery) instead of only the
    arrears. (Whether OpenAI fails of itself depends on the winter's depth; the failure is
    imposed here so that the test is about the claim, not about the winter.) The damages are
    booked in the month of the failure, so the runs end there; model 0.5.0: 28.7 and 47.9 bn
    more in that month (seeds 0 and 1; 28.7 and 51.3 bn by month 30), five times the bound,
    so 4 seeds of 20 months where 8 of 30 were."""
    def openai_fails(m, t):
        if t == 20:
            resolve_default(m, m.institution("OpenAI"), "test_shock")

    for seed in range(4):
        with_damages = run("ai_winter", steps=20, seed=seed, before_step=openai_fails)
        without = run("ai_winter", steps=20, seed=seed, before_step=openai_fails,
                      contract_damages_cap_years_max=0.0)
        gain = hyperscaler_contract_losses(with_damages) - hyperscaler_contract_losses(without)
        assert gain > 10 * BN, seed


@pytest.mark.slow
def test_spv_tranches_lose_by_seniority_and_insurers_differ_from_outside_investors(monkeypatch, run):
    """``ai_winter`` with hyperscalers walking away from every SPV lease: in each SPV default
    the senior tranche recovers at least as much (per dollar) as the mezzanine, the mezzanine
    as the junior, the junior as the fund loan, and a class recovers only once every class
    above is paid in full; insurers (mezzanine) and outside ABS investors (senior and junior)
    no longer lose identical amounts (they split one mezzanine tranche before)."""
    recoveries = []
    original = aicredit.abm.default.resolve_default

    def spy(model, inst, reason):
        claims = {c: c.value_usd() for c in model.claims.issued(inst) if c.is_liability}
        original(model, inst, reason)
        if inst.sector == "spv":
            by_rank = {}
            for c, owed in claims.items():
                paid, total = by_rank.get(c.seniority, (0.0, 0.0))
                by_rank[c.seniority] = (paid + c.value_usd(), total + owed)   # value after = paid
            recoveries.append({r: paid / total for r, (paid, total) in by_rank.items() if total > 0})

    monkeypatch.setattr(aicredit.abm.default, "resolve_default", spy)
    order = (Seniority.SECURED, Seniority.MEZZANINE, Seniority.JUNIOR, Seniority.SUBORDINATED)
    # Seeds 0-3: on seeds 0-7 (model 0.5.1) every seed has the same three SPV defaults (months
    # 15, 27 and 40: the walk-aways follow the lease schedule) and the same ABS losses (banks
    # 2.8, insurers 4.4, outside investors 5.0 bn), so more seeds repeat the same checks
    for seed in range(4):
        m = run("ai_winter", steps=48, seed=seed, spv_walkaway_threshold=5.0)
        abs_losses = {k: sum(e["amount_usd"] for e in m.losses.events if e["kind"] == "abs"
                             and e["holder_sector"] == k) for k in ("bank", "insurer", "outside")}
        assert abs_losses["insurer"] > 0 and abs_losses["outside"] > 0, seed
        assert abs_losses["insurer"] != pytest.approx(abs_losses["outside"], rel=1e-3), seed
        # banks hold as much of the senior tranche as outside investors, who also hold the junior
        assert abs_losses["bank"] < abs_losses["outside"], seed
    assert recoveries
    for rec in recoveries:
        ranks = [r for r in order if r in rec]
        assert ranks[:3] == list(order[:3])
        for above, below in zip(ranks, ranks[1:], strict=False):
            assert rec[above] >= rec[below] - 1e-9
            assert rec[below] <= 1e-9 or rec[above] >= 1 - 1e-9
