"""Equity funding of firms: outside investors' appetite and the month's equity rounds.

Labs and neoclouds plan rounds when their runway is short (their ``decide``); a lab, a
private firm, at most one every ``lab_round_interval_months`` (:func:`round_open`), while a
listed neocloud may sell shares whenever it needs to; outside investors fund a share of each
plan that follows AI sentiment [F18] and the firm's prospects; with C8 on, the chipmaker
funds part of every neocloud round (vendor financing [F10]). With C1 off an
outside backstop pays whatever a lab cannot, so demand does not reach compute contracts.
"""
from __future__ import annotations

from aicredit.abm.economy import Economy

__all__ = ["investor_appetite", "round_open", "fund_equity_rounds", "backstop_labs"]

#: The outside account of equity investors (venture funds, the public market).
OUTSIDE_INVESTORS = "outside_investors"


def investor_appetite(economy: Economy, revenue_usd: float, costs_usd: float) -> float:
    """Share of a planned equity round outside investors fund (0..1).

    ``a * min(1, s)^2 * min(1, c * revenue / costs)``: appetite ``a`` follows AI sentiment
    ``s`` [F18] and the firm's prospects, full once revenue covers ``1/c`` of its costs.
    """
    p = economy.p
    s = min(1.0, max(economy.equity_market.sentiment, 0.0))
    cover = (min(1.0, p.investor_appetite_cover_multiple * revenue_usd / costs_usd)
             if costs_usd > 0 else 1.0)
    return min(1.0, p.outside_investor_appetite * s * s * cover)


def round_open(economy: Economy, lab) -> bool:
    """Whether ``lab`` may plan an equity round this month.

    A round is one event, not a standing offer: after one (funded in full, in part or not at
    all) the next can come only ``lab_round_interval_months`` later, so outside investors'
    appetite bounds how much of its losses a lab can raise over time.
    """
    last = lab.last_round_step
    return last is None or economy.steps - last >= economy.p.lab_round_interval_months


def fund_equity_rounds(economy: Economy) -> None:
    """Carry out the labs' and neoclouds' planned equity rounds."""
    p = economy.p
    for lab in economy.labs:
        if not lab.defaulted and lab.round_plan_usd > 0:
            share = investor_appetite(economy, lab.revenue_usd, lab.revenue_usd + lab.monthly_burn_usd())
            lab.issue_equity(OUTSIDE_INVESTORS, share * lab.round_plan_usd, "equity_round")
            lab.last_round_step = economy.steps
    supplier = economy.gpu_supplier
    for n in economy.neoclouds:
        if not n.defaulted and n.raise_plan_usd > 0:
            revenue = sum(c.due_usd(economy.steps) for c in n.claims_held("compute_contract"))
            amount = investor_appetite(economy, revenue, n.monthly_costs_usd()) * n.raise_plan_usd
            if p.c8_circular_financing and supplier is not None and not supplier.defaulted:
                n.issue_equity(supplier, p.vendor_financing_share * amount, "vendor_financing")
                amount *= 1.0 - p.vendor_financing_share
            n.issue_equity(OUTSIDE_INVESTORS, amount, "equity_round")


def backstop_labs(economy: Economy) -> None:
    """C1 off: an outside backstop pays what a lab's cash cannot cover of this month's costs."""
    for lab in economy.labs:
        if not lab.defaulted:
            gap = lab.compute_due_usd() / (1 - lab.opex_share) - lab.cash_usd
            if gap > 0:
                lab.receive(OUTSIDE_INVESTORS, gap, "compute_backstop")
