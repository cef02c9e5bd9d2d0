"""Life insurers at step 0 [F32]."""
from __future__ import annotations

from aicredit.abm.agents import Insurer
from aicredit.abm.claims import Debt
from aicredit.abm.constraints import InsurerSolvency
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import endow, stake

__all__ = ["build_insurers", "build_insurer_balance_sheets"]


def build_insurers(model) -> None:
    """Create ``n_insurers`` life insurers with their RBC rule [R18] and fire-sale discount.

    Sets ``model.insurers``; the ABS market whose mark their forced sales move
    (``model.abs_market``) is the model's.
    """
    p = model.p
    charges = {"fund_share": p.insurer_charge_fund_interest, "abs": p.insurer_charge_abs,
               "bond_holding": p.insurer_charge_bond}
    model.insurers = [Insurer(model, f"Insurer {k + 1}",
                              InsurerSolvency(minimum=p.insurer_solvency_min, charges=charges,
                                              acl_share=p.insurer_rbc_acl_share,
                                              target_margin=p.insurer_sale_target_margin),
                              p.insurer_fire_sale_discount) for k in range(p.n_insurers)]


def build_insurer_balance_sheets(model, fund_lp_split) -> None:
    """Private-credit fund shares [F32], bonds, cash and policy reserves.

    ``fund_lp_split`` gives each fund's share owned by insurers (split equally among them).
    Each insurer's assets are ``insurer_total_assets_bn / n_insurers``: what it holds (fund
    shares, ABS [F22]), cash, and bonds for the rest. Its capital is
    ``insurer_capital_bn / n_insurers`` in USD whatever it holds (not re-solved to a ratio,
    so more private credit means a lower RBC ratio [R18]); policy reserves are the rest.
    """
    p = model.p
    out = model.outside
    insurers = model.insurers
    ni = len(insurers)
    for ins in insurers:
        for f, share in fund_lp_split:
            if share > 0:
                stake(model, ins, f, share / ni, "fund_share")
    for ins in insurers:
        assets = p.insurer_total_assets_bn * BN / ni
        held = sum(c.value_usd() for c in ins.claims_held())
        bonds = max(0.0, (1 - p.insurer_cash_share) * assets - held)
        model.claims.add(Debt(holder=ins, issuer=out("other_borrowers"), kind="bond_holding",
                              principal_usd=bonds,
                              rate_per_month=p.insurer_bond_rate_per_year / MONTHS_PER_YEAR))
        endow(model, ins, p.insurer_cash_share * assets, "policyholders")
        equity = p.insurer_capital_bn * BN / ni
        ins.target_ratio = p.insurer_solvency_ratio
        reserves = ins.total_assets_usd() - equity
        model.claims.add(Debt(holder=out("policyholders"), issuer=ins, kind="policy_reserve",
                              principal_usd=reserves,
                              rate_per_month=p.insurer_policy_rate_per_year / MONTHS_PER_YEAR))
        ins.tac_mark_usd = ins.solvency.tac_usd(ins)     # net income is measured from here
