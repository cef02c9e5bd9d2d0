"""Equity funding of firms: outside investors' appetite, the month's equity rounds, and what
new shares cost and how many a firm can sell.

Labs and neoclouds plan rounds when they need money (their ``decide``: a lab when its runway,
cash over burn, is short; a neocloud when its cash falls below a few months of its costs, to
top it up); outside investors fund a share of each plan that follows AI sentiment [F18] and
the firm's prospects (:func:`investor_appetite`); with C8 on, the chipmaker funds part of
every neocloud round (vendor financing [F10]). With C1 off an outside backstop pays whatever
a lab cannot, so demand does not reach compute contracts.

New shares are priced and limited (:func:`sell_new_shares`):

- **Issuance cost.** New shares are sold at ``1 - equity_issue_cost`` of the market price
  (a lab: of its last round's price): underwriting spread and offer discount of seasoned
  equity offerings, about 7% together (Altinkilic and Hansen 2000; Eckbo, Masulis and Norli
  2007). The discount is a transfer from existing to new shareholders (dilution).
- **Size.** In any 12 months a firm sells at most ``equity_issue_max_share_per_year`` of its
  equity value ``V`` (market cap, or a lab's round valuation; before those sales) in new shares; the
  exchanges' 20% rule (Nasdaq 5635(d)) bounds what a listed firm sells at a discount without
  a shareholder vote, and venture rounds sell a like share of a company.
- **Debt overhang** (Myers 1977). New equity of a firm near default mostly pays its
  creditors, so investors will not buy it: no shares are sold while ``V`` is below
  ``equity_issue_min_value_to_debt`` times its interest-bearing debt (market leverage
  ``D / (D + V)`` above ``1 / (1 + k)``).

A lab's rounds are staged (Gompers 1995): outside investors commit capital at a pace set by
the lab's burn, so a round raises at most ``appetite * lab_round_pace * burn`` per month since
the lab's last round: how often a lab asks does not change how much it gets over time.
"""
from __future__ import annotations

from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["investor_appetite", "neocloud_appetite", "round_open", "equity_room_usd", "sell_new_shares",
           "lab_round_usd", "fund_equity_rounds", "refinance_with_equity", "backstop_labs"]

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
    """Whether ``lab`` may plan an equity round this month: ``lab_round_interval_months`` after
    its last one (a private round takes time to arrange)."""
    last = lab.last_round_step
    return last is None or economy.steps - last >= economy.p.lab_round_interval_months


def neocloud_appetite(economy: Economy, neocloud) -> float:
    """Outside investors' appetite for ``neocloud``'s new shares: :func:`investor_appetite` at
    the compute-contract payments due to it this month against its monthly costs."""
    revenue = sum(c.due_usd(economy.steps) for c in neocloud.claims_held("compute_contract"))
    return investor_appetite(economy, revenue, neocloud.monthly_costs_usd())


def equity_room_usd(economy: Economy, firm) -> float:
    """New shares ``firm`` can still sell this year (module docstring: size and debt overhang).

    ``max(0, x (V - I) - I)`` with ``I`` the proceeds of its issues in the last 12 months (so
    ``x`` applies to its value before them), 0 when ``V < k D`` (Myers 1977)."""
    p = economy.p
    value = firm.valuation_usd
    if firm.defaulted or value <= 0 or value < p.equity_issue_min_value_to_debt * firm.debt_usd():
        return 0.0
    recent = sum(usd for step, usd in firm.equity_issues if economy.steps - step < MONTHS_PER_YEAR)
    return max(0.0, p.equity_issue_max_share_per_year * (value - recent) - recent)


def sell_new_shares(economy: Economy, firm, amount_usd: float, vendor_share: float = 0.0) -> float:
    """Sell up to ``amount_usd`` of new shares (within :func:`equity_room_usd`) at the issuance
    discount; ``vendor_share`` of them to the chipmaker (C8), the rest to outside investors.
    Returns the proceeds."""
    amount = min(amount_usd, equity_room_usd(economy, firm))
    if amount <= 0:
        return 0.0
    cost = economy.p.equity_issue_cost
    if vendor_share > 0:
        firm.issue_equity(economy.gpu_supplier, vendor_share * amount, "vendor_financing", cost)
    firm.issue_equity(OUTSIDE_INVESTORS, (1.0 - vendor_share) * amount, "equity_round", cost)
    firm.equity_issues.append((economy.steps, amount))
    economy.month.equity_issued_usd += amount
    return amount


def lab_round_usd(economy: Economy, lab) -> float:
    """What outside investors offer in ``lab``'s planned round (staged financing, Gompers 1995):
    ``appetite * min(plan, lab_round_pace * burn * months since its last round)`` (a first round:
    ``lab_round_months`` since). Investors commit at a pace, so asking more often does not
    raise more."""
    p = economy.p
    burn = lab.monthly_burn_usd()
    months = p.lab_round_months if lab.last_round_step is None else economy.steps - lab.last_round_step
    share = investor_appetite(economy, lab.revenue_usd, lab.revenue_usd + burn)
    return share * min(lab.round_plan_usd, p.lab_round_pace * burn * months)


def fund_equity_rounds(economy: Economy) -> None:
    """Carry out the labs' and neoclouds' planned equity rounds."""
    p = economy.p
    for lab in economy.labs:
        if not lab.defaulted and lab.round_plan_usd > 0:
            sell_new_shares(economy, lab, lab_round_usd(economy, lab))
            lab.last_round_step = economy.steps
    supplier = economy.gpu_supplier
    vendor = (p.vendor_financing_share if p.c8_circular_financing and supplier is not None
              and not supplier.defaulted else 0.0)
    for n in economy.neoclouds:
        if not n.defaulted and n.raise_plan_usd > 0:
            amount = neocloud_appetite(economy, n) * n.raise_plan_usd
            sell_new_shares(economy, n, amount, vendor)


def refinance_with_equity(economy: Economy, neocloud, refused_usd: float) -> float:
    """A neocloud refused a rollover of ``refused_usd`` tries to replace what its spare cash
    (above this month's other costs) does not cover with new shares, priced and limited like
    any (:func:`sell_new_shares`) and funded as outside investors' appetite allows."""
    gap = refused_usd - max(0.0, neocloud.cash_usd - neocloud.monthly_costs_usd())
    if gap <= 0 or neocloud.defaulted:
        return 0.0
    return sell_new_shares(economy, neocloud, neocloud_appetite(economy, neocloud) * gap)


def backstop_labs(economy: Economy) -> None:
    """C1 off: an outside backstop pays what a lab's cash cannot cover of this month's costs."""
    for lab in economy.labs:
        if not lab.defaulted:
            gap = lab.compute_due_usd() / (1 - lab.opex_share) - lab.cash_usd
            if gap > 0:
                lab.receive(OUTSIDE_INVESTORS, gap, "compute_backstop")
