"""Lenders' decisions on GPU-backed loans [F23]: LTVs and new loans to neoclouds.

LTVs (the collateral terms of Geanakoplos 2010's leverage cycle and Brunnermeier and
Pedersen 2009's margin spiral). Three separate levels: a new loan is made at the
origination LTV ``gpu_loan_max_ltv``; it is margin-called when its LTV exceeds the
maintenance (trigger) LTV ``gpu_loan_margin_ltv`` m; a call restores the cure LTV
``gpu_loan_cure_ltv`` h <= m. The regulatory haircut h0 = ``gpu_loan_haircut`` (C11)
lowers origination and cure LTVs of new loans. Optionally haircuts are procyclical [R4]:
with slope k = ``gpu_loan_procyclical_haircut`` and the vintage's price gap
``g[v] = max(0, 1 - ref[v] / scheduled[v])`` (reference price at the start of the month
over its path from ageing and releases alone, :meth:`GPUMarket.price_gap`),

    origination LTV = gpu_loan_max_ltv * (1 - h0) * (1 - min(1, k * g[newest]))
    cure LTV of a loan of vintage v at a call = its contractual cure LTV * (1 - min(1, k * g[v]))

i.e. R4's ``h = h0 + k (1 - p/p0)`` in multiplicative form, with ``p0`` the price the
vintage would have without demand disappointment or fire-sale discounts (so scheduled
ageing and releases, which lenders price in, do not tighten terms). A falling market thus
shrinks new loans and makes cures sell more: credit tightens as collateral falls. The
trigger m is not haircut by this (regulatory, off by default) rule.

Margins that follow risk (C3; Brunnermeier and Pedersen 2009, Adrian and Shin 2010). Lenders
ask at least the haircut their value-at-risk asks for, ``H = M sigma`` with ``sigma`` the
GPU market's measured monthly volatility (:meth:`GPUMarket.observe_volatility`, an EWMA of
the monthly surprises, so it rises after a fall or a fire sale) and ``M`` =
``gpu_margin_var_multiple`` (2.33: a one-month 99% VaR), and a fund that has lost more than
its book expects asks more, dividing the haircut by its lending appetite relative to its
calm-path appetite, ``a = min(1, appetite / a0)``
(:meth:`PrivateCreditFund.loss_appetite <abm.agents.private_credit.PrivateCreditFund.loss_appetite>`:
``a0`` the appetite with only the tech book's expected default losses, so
``a = exp(-k max(0, losses_12m - EL_12m) / NAV)``), raised to ``e`` =
``gpu_margin_appetite_elasticity`` (:func:`margin_ltvs`; never more than
:data:`MAX_MARGIN_HAIRCUT`; below, ``a`` stands for ``a^e``). Margins thus widen with the
losses that hit lenders' capital (Adrian and Shin 2010; Brunnermeier and Pedersen 2009), not
with the expected losses their spread pays for (model 0.6.1 divided by the appetite itself,
below 1 whenever the book had its normal defaults):

    trigger LTV = 1 - min(c, max(1 - m, H) / a)
    cure LTV    = 1 - min(c, max(1 - h', H) / a)       (h' the cure LTV above)
    origination LTV = min(the LTV above, 1 - min(c, H))

on every live loan each month, as a borrowing base is redetermined: margins rise as prices
fall and volatility is measured, which forces sales, which lower prices and raise measured
volatility (the margin spiral). Calm markets leave the contractual terms binding (``H_v`` is
0 until volatility is measured; a 15% trigger haircut binds until ``sigma`` > 6.4% a month).
With C3 off, or ``M`` = 0, the terms are the contractual ones.

New loans: each month neoclouds ask for ``ltv * capex``; the fill ratio is the funds'
lending capacity (cash plus undrawn bank lines above a reserve, times their appetite) over
the requests, at a rate that widens as appetite falls after losses (credit supply). The fill
is pro rata in the aggregate only: borrowers are served in creation order and each chosen
lender lends at most the capacity it has left, so when a lender's capacity runs out the
earlier-created borrower is served first (:func:`lend_to_neoclouds`; ``docs/model.md``, 7.3).
Which maturing loans are rolled over is decided in its own stage (:mod:`abm.rollover`).

Banks in the syndicate [R31]: GPU-backed delayed-draw term loans are syndicated, arranged by
banks, with banks and private-credit funds as lenders. Of each new loan a bank (one per
borrower, rotating over the live banks not below their buffer) holds ``bank_gpu_loan_share``
and the funds the rest: the funds' capacity fills their part, and the bank takes its share of
what they lend. The bank funds its part with new deposits and wholesale funding
(:meth:`abm.agents.bank.Bank.fund_new_lending`) and prices it by the credit of the borrower's
contracted customers [R31] (:func:`customer_spread_per_year`): ``SOFR + spread``, the spread a
contract-weighted mean of ``gpu_loan_ig_customer_spread_per_year`` for hyperscalers'
contracts (investment grade), ``gpu_loan_lab_customer_spread_per_year`` for AI labs' and
``gpu_loan_uncontracted_spread_per_year`` for the revenue no contract covers.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.gpu_loans import bank_lender_code
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["lend_to_neoclouds", "procyclical_ltv_factor", "origination_ltv", "customer_spread_per_year",
           "syndicate_banks", "new_loan_rate_per_year", "var_haircut", "margin_ltvs"]


def procyclical_ltv_factor(economy: Economy) -> np.ndarray:
    """Per vintage, ``1 - min(1, k * price_gap)``: the factor procyclical haircuts [R4]
    apply to origination and cure LTVs this month (all ones when k = 0)."""
    gm = economy.gpu_market
    k = economy.p.gpu_loan_procyclical_haircut
    if k <= 0:
        return np.ones(gm.n_vintages)
    return 1.0 - np.minimum(1.0, k * gm.price_gap(economy.steps))


#: The largest haircut a lender asks (an LTV floor of 5%: a lender that wants all its money
#: back calls the loan; the clearing needs a positive trigger LTV).
MAX_MARGIN_HAIRCUT = 0.95

#: The smallest appetite a haircut is divided by (an appetite that underflows to 0 asks
#: :data:`MAX_MARGIN_HAIRCUT` all the same, without a division by zero).
MIN_APPETITE = 1e-12


def var_haircut(economy: Economy) -> float:
    """The haircut lenders' value-at-risk asks for, ``H = M sigma`` (module docstring); 0 with
    C3 off or ``M`` = 0."""
    p = economy.p
    if not p.c3_collateral_spiral or p.gpu_margin_var_multiple <= 0:
        return 0.0
    return p.gpu_margin_var_multiple * math.sqrt(economy.gpu_market.surprise_variance)


def margin_ltvs(economy: Economy, rows: np.ndarray, target_ltv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """This month's trigger and cure LTVs of the book's ``rows`` (module docstring): the
    contractual trigger and the cure ``target_ltv`` (already procyclically haircut), each
    haircut at least ``H_v`` and divided by a fund lender's appetite relative to its calm path,
    :meth:`~abm.agents.private_credit.PrivateCreditFund.loss_appetite` (1 for banks, whose
    tightening is in their new lending, and for the market); contractual with C3 off."""
    book = economy.gpu_loans
    margin = book.margin_ltv[rows]
    if not economy.p.c3_collateral_spiral:
        return margin, target_ltv
    h = var_haircut(economy)
    lender = book.lender[rows]
    fund = lender >= 0
    a = np.ones(rows.size)
    appetite = np.array([f.loss_appetite() for f in economy.funds])
    a[fund] = np.maximum(appetite[lender[fund]] ** economy.p.gpu_margin_appetite_elasticity, MIN_APPETITE)
    trigger = 1.0 - np.minimum(MAX_MARGIN_HAIRCUT, np.maximum(1.0 - margin, h) / a)
    cure = 1.0 - np.minimum(MAX_MARGIN_HAIRCUT, np.maximum(1.0 - target_ltv, h) / a)
    return trigger, np.minimum(cure, trigger)


def origination_ltv(economy: Economy) -> float:
    """LTV a new GPU loan is made at this month (newest vintage; module docstring)."""
    v = economy.gpu_market.newest(economy.steps)
    ltv = economy.p.effective_gpu_ltv * procyclical_ltv_factor(economy)[v]
    return float(min(ltv, 1.0 - min(MAX_MARGIN_HAIRCUT, var_haircut(economy))))


def customer_spread_per_year(neocloud) -> float:
    """Spread over SOFR of a GPU loan priced by the borrower's contracted customers [R31]:
    ``H * s_ig + L * s_lab + max(0, 1 - H - L) * s_none``, with ``H`` and ``L`` the shares of
    its active compute contracts' monthly payments owed by hyperscalers (investment grade) and
    by AI labs; ``s_none`` when it has no contract."""
    p = neocloud.model.p
    step = neocloud.model.steps
    by_sector = {"hyperscaler": 0.0, "ai_lab": 0.0}
    total = 0.0
    for c in neocloud.claims_held("compute_contract"):
        if c.active(step):
            total += c.payment_usd_per_month
            if c.issuer.sector in by_sector:
                by_sector[c.issuer.sector] += c.payment_usd_per_month
    if total <= 0:
        return p.gpu_loan_uncontracted_spread_per_year
    h, lab = by_sector["hyperscaler"] / total, by_sector["ai_lab"] / total
    return (h * p.gpu_loan_ig_customer_spread_per_year + lab * p.gpu_loan_lab_customer_spread_per_year
            + max(0.0, 1.0 - h - lab) * p.gpu_loan_uncontracted_spread_per_year)


def new_loan_rate_per_year(economy: Economy, lender, neocloud) -> float:
    """The yearly rate ``lender`` charges ``neocloud`` on a new GPU loan this month (a rolled-over
    loan keeps the rate it was made at: :mod:`abm.rollover`).

    A fund: ``gpu_loan_rate_per_year + credit_spread_per_appetite_loss * (1 - appetite)``,
    its spread widening as its appetite falls after losses (credit supply). A bank:
    ``gpu_loan_sofr_per_year + s`` with ``s`` the spread of the customers whose contracts back
    the loan [R31] (:func:`customer_spread_per_year`).
    """
    p = economy.p
    if lender.sector == "bank":
        return (p.gpu_loan_sofr_per_year + customer_spread_per_year(neocloud)
                + lender.tightening_spread_per_year())
    return p.gpu_loan_rate_per_year + p.credit_spread_per_appetite_loss * (1.0 - lender.appetite)


def syndicate_banks(economy: Economy) -> list:
    """Banks that join GPU-loan syndicates this month: live and not below their buffer (C6)."""
    if economy.p.bank_gpu_loan_share <= 0:
        return []
    return [b for b in economy.banks if not b.defaulted and not b.cutting]


def _bank_part(economy: Economy, banks: list, n, fund_part_usd: float, cols: dict) -> float:
    """The syndicate bank's share of borrower ``n``'s loan, lent and booked; returns it. A
    tightening bank (C6) takes ``1 - tau`` of its unstressed share, and the loan is smaller."""
    s = economy.p.bank_gpu_loan_share
    if not banks or fund_part_usd <= 0 or s <= 0:
        return 0.0
    bank = banks[n.index % len(banks)]
    part = s / (1.0 - s) * fund_part_usd * bank.lending_share()
    if part <= 0:
        return 0.0
    bank.fund_new_lending(part)
    bank.pay(n, part, "gpu_loan_disbursement")
    _add_row(cols, bank_lender_code(bank.index), n.index, part, new_loan_rate_per_year(economy, bank, n))
    return part


def _add_row(cols: dict, lender: int, borrower: int, debt_usd: float, rate_per_year: float) -> None:
    """One new loan of the month: a row of the columns :meth:`GPULoanBook.originate` takes."""
    cols["lender"].append(lender)
    cols["borrower"].append(borrower)
    cols["debt"].append(debt_usd)
    cols["rate"].append(rate_per_year)


def lend_to_neoclouds(economy: Economy) -> None:
    """New GPU-backed loans: requests scaled by the funds' total lending capacity.

    The fill ratio is total capacity over total requests (at most 1); each borrower's loan
    is split among up to ``gpu_loan_lenders_per_loan`` funds drawn with probability
    proportional to their capacity, so the book grows by a few loans per borrower a month.
    Borrowers are served in creation order (CoreWeave first) and a lender lends each at most
    the capacity it has left, so where several draw the same lender and its capacity runs
    out, the later borrowers get less than the fill ratio: pro rata in the aggregate, first
    come first served per lender. Each borrower then buys GPUs with the loan and its own cash
    (:meth:`Neocloud.invest`).
    """
    p = economy.p
    live = [n for n in economy.neoclouds if not n.defaulted]
    borrowers = [n for n in live if n.loan_request_usd > 0]
    funds = [f for f in economy.funds if not f.defaulted]
    capacity = np.array([f.lending_capacity_usd() for f in funds])
    requests = np.array([n.loan_request_usd for n in borrowers])
    banks = syndicate_banks(economy)
    fund_share = 1.0 - p.bank_gpu_loan_share if banks else 1.0
    fill = (min(1.0, capacity.sum() / (fund_share * requests.sum()))
            if borrowers and requests.sum() > 0 else 0.0)
    if fill <= 0:
        return
    weights = capacity / capacity.sum()
    ltv = origination_ltv(economy)
    v = economy.gpu_market.newest(economy.steps)
    price = economy.gpu_market.ref_price[v]
    k = min(p.gpu_loan_lenders_per_loan, int((weights > 0).sum()))
    cols: dict[str, list] = {"lender": [], "borrower": [], "debt": [], "rate": []}
    for n, req in zip(borrowers, requests, strict=True):
        chosen = economy.rng.choice(len(funds), size=k, replace=False, p=weights)
        split = weights[chosen] / weights[chosen].sum()
        loan = 0.0
        for j, s in zip(chosen, split, strict=True):
            part = min(fund_share * fill * req * s, capacity[j])
            part = funds[j].disburse(n, part) if part > 0 else 0.0
            capacity[j] -= part
            if part > 0:
                _add_row(cols, funds[j].index, n.index, part,
                         new_loan_rate_per_year(economy, funds[j], n))
                loan += part
        loan += _bank_part(economy, banks, n, loan, cols)
        n.invest(loan)
    debt = np.array(cols["debt"])
    rate = np.array(cols["rate"]) / MONTHS_PER_YEAR
    economy.gpu_loans.originate(cols["lender"], cols["borrower"], v, debt / ltv / price, debt,
                                p.gpu_loan_margin_ltv, p.effective_gpu_cure_ltv, rate,
                                economy.steps + p.gpu_loan_new_maturity_months,
                                p.gpu_loan_amortisation_months)
