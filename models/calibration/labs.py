"""The AI labs at step 0: compute contracts, cash, shareholders [F13-F16]."""
from __future__ import annotations

from aicredit.abm.agents import AILab
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import contract, endow, stake

__all__ = ["build_labs", "LABS"]

LABS = ("OpenAI", "Anthropic", "xAI", "Other labs")


def build_labs(model) -> None:
    """Create OpenAI, Anthropic, xAI and the other labs with their demand shares [F15, F16].

    OpenAI spends its revenue plus its loss [F15]; the others a multiple of revenue. The
    non-compute share of spending is operating cost; compute is bought under the contracts
    of [F14] (Oracle, Amazon) and rolling yearly contracts with the clouds (Azure for the rest
    of OpenAI's, net of what it pays CoreWeave [F9]). Nvidia's OpenAI commitment is paid in
    tranches (C8, [F13]). Each lab holds ``lab_cash_months`` of spending; shareholders are
    Microsoft, Amazon, Google and outside investors. Needs the chipmaker and hyperscalers;
    sets ``model.labs``.
    """
    p = model.p
    out = model.outside
    nvidia = model.chipmakers[0]
    msft, amzn, goog, meta, orcl = model.hyperscalers
    lab_demand = model.demand.lab_usd
    labs = []
    for k, name in enumerate(LABS):
        lab = AILab(model, name, p.lab_demand_shares[k], p.lab_opex_share, p.lab_valuation_bn[k] * BN)
        labs.append(lab)
    model.labs = labs
    openai, anthropic, xai, others = labs
    revenue = [s * lab_demand for s in p.lab_demand_shares]
    openai_spending = (p.lab_demand_shares[0] * lab_demand
                       + p.openai_loss_bn_per_year * BN / MONTHS_PER_YEAR)
    spending = [openai_spending] + [x * r for x, r in zip(p.lab_spending_x_revenue, revenue[1:], strict=True)]
    compute = [(1 - p.lab_opex_share) * s for s in spending]
    renewal = p.contract_renewal_months
    # OpenAI [F14]: Oracle, Amazon, CoreWeave contracts; Azure rolling contract for the rest
    contract(model, orcl, openai, p.openai_oracle_contract_bn * BN, p.openai_oracle_contract_months,
             p.oracle_contract_start_step)
    contract(model, amzn, openai, p.openai_amazon_contract_bn * BN, p.openai_amazon_contract_months,
             p.openai_amazon_contract_start_step)
    _, _, openai_share_of_coreweave, _ = p.coreweave_customer_shares  # Microsoft, Nvidia, OpenAI, other
    cw_openai_now = (openai_share_of_coreweave * p.coreweave_revenue_bn_per_year * BN
                     / MONTHS_PER_YEAR)                                        # [F9]
    compute_openai, compute_anthropic, compute_xai, compute_others = compute
    contract(model, msft, openai, per_month=compute_openai - cw_openai_now, months=renewal,
             renewable=True)
    amazon_share, google_share = p.anthropic_compute_shares
    contract(model, amzn, anthropic, per_month=amazon_share * compute_anthropic, months=renewal,
             start=0, renewable=True)
    contract(model, goog, anthropic, per_month=google_share * compute_anthropic, months=renewal,
             start=0, renewable=True)
    contract(model, orcl, xai, per_month=compute_xai, months=renewal, start=0, renewable=True)
    clouds = (msft, amzn, goog)
    for h in clouds:
        contract(model, h, others, per_month=compute_others / len(clouds), months=renewal, start=0,
                 renewable=True)
    if p.c8_circular_financing:                                          # [F13] in tranches
        nvidia.commit(openai, p.nvidia_openai_investment_bn * BN,
                      p.nvidia_openai_investment_bn * BN / p.nvidia_openai_tranches,
                      first_step=p.nvidia_openai_first_tranche_step)
    for lab, s in zip(labs, spending, strict=True):
        endow(model, lab, p.lab_cash_months * s)
    # shareholders: Microsoft in OpenAI, Amazon and Google in Anthropic (assumptions)
    msft_openai, outside_openai = p.openai_shareholders
    amzn_anthropic, goog_anthropic, outside_anthropic = p.anthropic_shareholders
    stake(model, msft, openai, msft_openai)
    stake(model, out("outside_investors"), openai, outside_openai)
    stake(model, amzn, anthropic, amzn_anthropic)
    stake(model, goog, anthropic, goog_anthropic)
    stake(model, out("outside_investors"), anthropic, outside_anthropic)
    for lab in (xai, others):
        stake(model, out("outside_investors"), lab, 1.0)
