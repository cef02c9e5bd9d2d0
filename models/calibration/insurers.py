"""Life insurers at step 0: two kinds, private credit held three ways, capital from RBC [F32, R17,
R18, R33]."""
from __future__ import annotations

import numpy as np

from aicredit.abm.agents import Insurer
from aicredit.abm.claims import Debt, LoanPool
from aicredit.abm.constraints import InsurerSolvency
from aicredit.abm.naic import rbc_total_usd
from aicredit.abm.placements import KIND as PLACEMENT
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import endow, stake

__all__ = ["build_insurers", "build_insurer_balance_sheets", "insurer_assets_usd", "insurer_pc_weights"]

#: Fixed-point iterations that solve an insurer's capital (each moves reserves by the change in
#: capital, whose effect on ACL is a few % of it: converges to the USD in a handful).
CAPITAL_ITERATIONS = 30


def build_insurers(model) -> None:
    """Create ``n_insurers`` life insurers, the last ``n_pe_insurers`` of them affiliated with
    private-equity firms [R33], with their RBC rule [R18, R43] and fire-sale discount.

    Sets ``model.insurers``; the ABS market whose mark their forced sales move
    (``model.abs_market``) is the model's.
    """
    p = model.p
    charges = {"fund_share": p.insurer_charge_fund_interest, "abs": p.insurer_charge_abs,
               "bond_holding": p.insurer_charge_bond, "other_placement": p.insurer_charge_bond}
    n_pe = min(p.n_pe_insurers, p.n_insurers)
    model.insurers = [
        Insurer(model, f"Insurer {k + 1}" + (" (PE)" if k >= p.n_insurers - n_pe else ""),
                InsurerSolvency(minimum=p.insurer_solvency_min, charges=charges,
                                acl_share=p.insurer_rbc_acl_share,
                                target_margin=p.insurer_sale_target_margin,
                                c2_factor=p.insurer_c2_factor, c3a_factor=p.insurer_c3a_factor,
                                c4a_factor=p.insurer_c4a_factor),
                p.insurer_fire_sale_discount,
                kind="pe_affiliated" if k >= p.n_insurers - n_pe else "traditional")
        for k in range(p.n_insurers)]


def insurer_assets_usd(p, kinds: list[str]) -> np.ndarray:
    """Each insurer's assets: the PE-affiliated ones share ``insurer_pe_asset_share`` of
    ``insurer_total_assets_bn`` [R33], the traditional ones the rest, equally within a kind
    (all equal when one kind is missing)."""
    total = p.insurer_total_assets_bn * BN
    is_pe = np.array([k == "pe_affiliated" for k in kinds])
    n_pe, n_tr = int(is_pe.sum()), int((~is_pe).sum())
    if n_pe == 0 or n_tr == 0:
        return np.full(len(kinds), total / len(kinds))
    return np.where(is_pe, p.insurer_pe_asset_share * total / n_pe,
                    (1.0 - p.insurer_pe_asset_share) * total / n_tr)


def insurer_pc_weights(p, kinds: list[str], assets_usd: np.ndarray) -> np.ndarray:
    """Each insurer's share of the insurers' private credit: proportional to its assets times
    ``insurer_pe_pc_multiple`` for the PE-affiliated ones [R33]."""
    tilt = np.array([p.insurer_pe_pc_multiple if k == "pe_affiliated" else 1.0 for k in kinds])
    w = assets_usd * tilt
    return w / w.sum()


def build_insurer_balance_sheets(model, fund_lp_split) -> None:
    """Fund interests [F32], tech placements [R17], bonds, cash, reserves and capital.

    ``fund_lp_split`` gives each fund's share owned by insurers (the fund-interest part of
    their private credit, ``1 - insurer_placement_share``), shared by their private-credit
    weights (:func:`insurer_pc_weights`). Of an insurer's placements
    (``insurer_placement_share`` of its private credit) the tech part
    (``insurer_placement_tech_share``) is a pool lending to the tech cohorts
    (:mod:`abm.placements`), the rest placements to borrowers outside the model
    (``other_placement``, charged as investment-grade bonds, never sold). Bonds fill its assets up to
    :func:`insurer_assets_usd` less cash. Its capital is solved so that its RBC ratio is
    ``insurer_solvency_ratio`` [R18] on these holdings (reserves are assets less capital).
    """
    p = model.p
    out = model.outside
    insurers = model.insurers
    kinds = [ins.kind for ins in insurers]
    assets = insurer_assets_usd(p, kinds)
    weights = insurer_pc_weights(p, kinds, assets)
    for ins, w in zip(insurers, weights, strict=True):
        for f, share in fund_lp_split:
            if share > 0:
                stake(model, ins, f, share * w, "fund_share")
    size = p.tech_loan_size_bn * BN
    for ins, a, w in zip(insurers, assets, weights, strict=True):
        tech = p.insurer_pc_bn * BN * w * p.insurer_placement_share * p.insurer_placement_tech_share
        if tech > 0:
            model.claims.add(LoanPool(holder=ins, issuer=out("other_borrowers"), kind=PLACEMENT,
                                      principal_usd=tech,
                                      rate_per_month=p.insurer_placement_rate_per_year / MONTHS_PER_YEAR,
                                      borrowers=max(1, round(tech / size)),
                                      remaining_months=p.insurer_placement_maturity_months / 2))
        other = p.insurer_pc_bn * BN * w * p.insurer_placement_share * (1.0 - p.insurer_placement_tech_share)
        if other > 0:        # placements to borrowers outside the model: investment grade, like bonds
            model.claims.add(Debt(holder=ins, issuer=out("other_borrowers"), kind="other_placement",
                                  principal_usd=other,
                                  rate_per_month=p.insurer_placement_rate_per_year / MONTHS_PER_YEAR))
        held = sum(c.value_usd() for c in ins.claims_held())
        bonds = max(0.0, (1 - p.insurer_cash_share) * a - held)
        model.claims.add(Debt(holder=ins, issuer=out("other_borrowers"), kind="bond_holding",
                              principal_usd=bonds,
                              rate_per_month=p.insurer_bond_rate_per_year / MONTHS_PER_YEAR))
        endow(model, ins, p.insurer_cash_share * a, "policyholders")
        ins.target_ratio = p.insurer_solvency_ratio
        reserve = model.claims.add(Debt(holder=out("policyholders"), issuer=ins, kind="policy_reserve",
                                        principal_usd=ins.total_assets_usd(),
                                        rate_per_month=p.insurer_policy_rate_per_year / MONTHS_PER_YEAR))
        solve_capital(ins, reserve, p.insurer_solvency_ratio)
        ins.tac_mark_usd = ins.solvency.tac_usd(ins)     # net income is measured from here


def solve_capital(ins, reserve, ratio: float) -> None:
    """Set the reserves so that the insurer's capital (assets less reserves) is ``ratio``
    times its ACL RBC, which itself depends on the reserves (C2, C3a, C4a): a fixed point
    ``E = ratio * ACL(A - E)`` found by iteration (a contraction: ACL moves by a few % of the
    reserves' change; ``CAPITAL_ITERATIONS`` of them reach it to the last bits). The asset
    charges (C1o, C1cs) do not depend on the reserves and are summed once."""
    s = ins.solvency
    assets = ins.total_assets_usd()
    c1o, c1cs, _, _, _ = s.components_usd(ins)
    reserves = reserve.principal_usd
    for _ in range(CAPITAL_ITERATIONS):
        acl = s.acl_share * rbc_total_usd(c1o, c1cs, s.c2_factor * reserves, s.c3a_factor * reserves,
                                          s.c4a_factor * reserves)
        reserves = assets - ratio * acl
    reserve.principal_usd = reserves
