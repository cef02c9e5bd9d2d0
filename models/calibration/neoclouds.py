"""The neoclouds at step 0: CoreWeave [F1-F10] and smaller ones like it."""
from __future__ import annotations

from aicredit.abm.agents import Neocloud
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import OPEN_ENDED_MONTHS, contract, endow, stake

__all__ = ["build_neoclouds", "neocloud_scales", "neocloud_opex_usd_per_month",
           "set_neocloud_opex", "ANCHOR_HYPERSCALERS"]

#: Hyperscalers that anchor the smaller neoclouds in turn (Oracle builds its own capacity).
ANCHOR_HYPERSCALERS = ("Microsoft", "Amazon", "Google", "Meta")


def neocloud_scales(p) -> list[float]:
    """Size of each neocloud relative to CoreWeave: CoreWeave first, then the smaller ones."""
    return [1.0] + [p.small_neocloud_scale] * p.n_small_neoclouds


def neocloud_opex_usd_per_month(p) -> float:
    """CoreWeave's monthly operating cost other than leases and debt service."""
    return p.neocloud_opex_bn_per_year * BN / MONTHS_PER_YEAR


def build_neoclouds(model, price0) -> None:
    """Create CoreWeave and the smaller neoclouds with their GPUs, cash, shareholders and contracts.

    CoreWeave: capex is spending [F5] net of leases [F8], interest on its debt [F6] and
    operating cost; it owns the GPUs its debt financed at the opening LTV plus an unpledged
    share; Nvidia holds a stake (C8, [F10]); customers pay rolling contracts in the shares
    of [F9] and the announced deals [F2]; it pays leases to 2028 [F8]. A smaller neocloud is
    CoreWeave scaled, with one anchor hyperscaler and spot buyers. GPUs are valued at
    ``price0``. Needs chipmaker, hyperscalers and labs; sets ``model.neoclouds``.
    """
    p = model.p
    out = model.outside
    gm = model.gpu_market
    nvidia = model.chipmakers[0]
    hs = model.hyperscalers
    by_name = {h.name: h for h in hs}
    msft, meta = by_name["Microsoft"], by_name["Meta"]
    openai = model.labs[0]
    anchors = [h for h in hs if h.name in ANCHOR_HYPERSCALERS]
    scale = neocloud_scales(p)
    names = ["CoreWeave"] + [f"Neocloud {k + 1}" for k in range(p.n_small_neoclouds)]
    lease_total = p.coreweave_lease_bn * BN
    lease_per_month = lease_total / p.coreweave_lease_months                  # [F8] to 2028
    debt_interest = p.coreweave_debt_bn * BN * p.gpu_loan_rate_per_year / MONTHS_PER_YEAR
    opex_cw = neocloud_opex_usd_per_month(p)
    capex_cw = max(0.0, p.coreweave_spending_bn_per_year * BN / MONTHS_PER_YEAR - lease_per_month
                   - debt_interest - opex_cw)                             # [F5]
    renewal = p.contract_renewal_months
    neoclouds = []
    for k, (name, s) in enumerate(zip(names, scale, strict=True)):
        collateral_usd = s * p.coreweave_debt_bn * BN / p.gpu_loan_opening_ltv
        units = collateral_usd / price0[: gm.n_existing].mean()
        n = Neocloud(model, name, k, s * capex_cw, 0.0, s * p.coreweave_market_cap_bn * BN)
        n.gpu_units[: gm.n_existing] = (1 + p.neocloud_unpledged_gpu_share) * units / gm.n_existing
        endow(model, n, s * p.neocloud_cash_bn * BN)
        outside_share, nvidia_share = p.coreweave_shareholders
        stake(model, out("outside_investors"), n, outside_share if k == 0 else 1.0)
        if k == 0 and p.c8_circular_financing:
            stake(model, nvidia, n, nvidia_share)                        # [F10]
        rev = s * p.coreweave_revenue_bn_per_year * BN / MONTHS_PER_YEAR  # [F5]
        to_msft, to_nvidia, to_openai, to_others = p.coreweave_customer_shares   # [F9]
        if k == 0:
            contract(model, n, msft, per_month=to_msft * rev, months=renewal, renewable=True)
            contract(model, n, nvidia, per_month=to_nvidia * rev, months=renewal, renewable=True)
            contract(model, n, openai, per_month=to_openai * rev, months=renewal, renewable=True)
            contract(model, n, out("spot_compute_buyers"), per_month=to_others * rev,
                     months=OPEN_ENDED_MONTHS)
            contract(model, n, openai, p.openai_coreweave_contract_bn * BN,         # [F2]
                     p.openai_coreweave_contract_months, p.openai_coreweave_contract_start_step)
            contract(model, n, meta, p.meta_coreweave_contract_bn * BN,             # [F2]
                     p.meta_coreweave_contract_months, p.meta_coreweave_contract_start_step)
            contract(model, n, nvidia, p.nvidia_coreweave_contract_bn * BN,         # [F2]
                     p.nvidia_coreweave_contract_months, p.nvidia_coreweave_contract_start_step)
        else:
            anchor = anchors[k % len(anchors)]
            anchor_share, spot_share = p.small_neocloud_customer_shares
            contract(model, n, anchor, per_month=anchor_share * rev,
                     months=p.small_neocloud_contract_months
                     + p.small_neocloud_contract_stagger_months * k, renewable=True)
            contract(model, n, out("spot_compute_buyers"), per_month=spot_share * rev,
                     months=OPEN_ENDED_MONTHS)
            contract(model, n, anchor, p.small_neocloud_anchor_deal_x_market_cap * n.valuation_usd,
                     p.small_neocloud_anchor_deal_months, p.small_neocloud_anchor_deal_start_step,
                     renewable=True)                                        # [R42]; renewal: C2
        contract(model, out("suppliers"), n, per_month=s * lease_per_month,
                 months=p.coreweave_lease_months, kind="lease")          # [F8]
        neoclouds.append(n)
    model.neoclouds = neoclouds


def set_neocloud_opex(model) -> None:
    """Operating cost per GPU unit, once the opening loan book has given each neocloud its GPUs."""
    opex_cw = neocloud_opex_usd_per_month(model.p)
    for n, s in zip(model.neoclouds, neocloud_scales(model.p), strict=True):
        n.opex_usd_per_unit_month = s * opex_cw / max(float(n.gpu_units.sum()), 1.0)
