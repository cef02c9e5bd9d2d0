"""The month's GPU fire sale (C3, [F23]-[F25]): margin calls, forced sales, loans that default.

After the month's payments, every live GPU-backed loan is checked against its vintage's
market price. :func:`abm.markets.fire_sale_kernel.clear_fire_sale` (contract:
``docs/spec/fire-sale-clearing.md``) finds the greatest price vector consistent with the
sales it forces: a loan whose LTV exceeds its trigger is margin-called; the borrower posts
cash, then sells pledged units, to restore the loan's target LTV; sales move prices down by
exponential impact with the month's market depth, which triggers further calls (Brunnermeier
and Pedersen 2009's loss spiral). This module executes the clearing's result: cash posted
and sale proceeds go to the lenders through the ledger, the loan book carries the new debt
and collateral (:meth:`abm.gpu_loans.GPULoanBook.apply_fire_sale`), and loans that cannot be
cured default with a deficiency claim.

The loan terms are the book's: each loan's maintenance (trigger) LTV and its contractual
cure LTV, the latter times this month's procyclical factor of its vintage when haircuts
are procyclical [R4] (:func:`abm.gpu_lending.procyclical_ltv_factor`), both tightened to
the haircut lenders' value-at-risk asks for and by lenders' own losses
(:func:`abm.gpu_lending.margin_ltvs`; Brunnermeier and Pedersen 2009, Adrian and Shin
2010). Market depth comes
from what can trade (:func:`abm.markets.gpu.market_depth`). With C3 off the covenants are
still enforced (cash posted, units sold to cure, loans that cannot be cured default) but
sales have no price impact: the depth is effectively infinite, so every call is cleared
at reference prices and there is no spiral.
"""
from __future__ import annotations

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.gpu_lending import margin_ltvs, procyclical_ltv_factor
from aicredit.abm.gpu_loans import lender_accounts
from aicredit.abm.markets.fire_sale_kernel import clear_fire_sale
from aicredit.abm.markets.gpu import market_depth

__all__ = ["clear_month_fire_sale"]


def clear_month_fire_sale(economy: Economy) -> None:
    """Clear this month's margin calls on GPU-backed loans; record them in ``economy.month``."""
    gm = economy.gpu_market
    book = economy.gpu_loans
    ledger = economy.ledger
    neoclouds = economy.neoclouds
    depth = market_depth(economy)
    exog = np.zeros(gm.n_vintages)
    live_borrowers = np.array([not n.defaulted for n in neoclouds])
    rows = (np.flatnonzero(book.active & live_borrowers[book.borrower]) if book.active.size
            else np.zeros(0, np.int64))
    if rows.size == 0:
        gm.record_clearing(gm.ref_price, exog)
        return
    cash = np.array([max(n.cash_usd, 0.0) if not n.defaulted else 0.0 for n in neoclouds])
    borrower = book.borrower[rows]
    vintage = book.vintage[rows]
    cure = book.target_ltv[rows] * procyclical_ltv_factor(economy)[vintage]
    margin, target = margin_ltvs(economy, rows, cure)
    res = clear_fire_sale(gm.ref_price, depth, exog, vintage, borrower,
                          book.units[rows], book.debt[rows], margin, target, cash)
    price = res.price
    tally = economy.month
    tally.margin_calls = int(res.margin_called.sum())
    tally.margin_called_names = {neoclouds[b].name for b in np.unique(borrower[res.margin_called])}
    tally.gpu_loan_defaults = int(res.defaulted.sum())
    tally.units_fire_sold = float(res.units_sold.sum())
    gm.record_clearing(price, res.units_sold)

    # cash posted: borrower -> lender (the kernel posts at most each borrower's cash up to
    # rounding; scale it to be exact)
    lender_idx = np.array([ledger.index(a) for a in lender_accounts(economy.funds, economy.banks)],
                          dtype=np.int64)
    lender_of_row = lender_idx[book.lender_slots(len(economy.funds), rows)]
    borrower_idx = np.array([ledger.index(n.name) for n in neoclouds], dtype=np.int64)
    posted = res.cash_posted
    total_posted = np.bincount(borrower, weights=posted, minlength=len(cash))
    scale = np.divide(cash, total_posted, out=np.ones_like(cash), where=total_posted > cash)
    posted = posted * scale[borrower]
    ledger.transfer_many(borrower_idx[borrower], lender_of_row, posted, "margin_cash")
    # units sold: proceeds repay the loan, any surplus goes back to the borrower
    proceeds = res.sold * price[book.vintage[rows]]
    applied = np.minimum(proceeds, book.debt[rows] - posted)
    gpu_buyers = np.full(rows.size, ledger.index("gpu_buyers"), dtype=np.int64)
    ledger.transfer_many(gpu_buyers, lender_of_row, applied, "fire_sale_proceeds")
    surplus = proceeds - applied
    ledger.transfer_many(gpu_buyers, borrower_idx[borrower], np.maximum(surplus, 0.0),
                         "fire_sale_surplus")
    nv = gm.n_vintages
    sold_bv = np.bincount(borrower * nv + book.vintage[rows], weights=res.sold,
                          minlength=len(neoclouds) * nv).reshape(-1, nv)
    for n in neoclouds:
        n.gpu_units -= sold_bv[n.index]
    book.apply_fire_sale(rows, posted, applied, res.sold)
    failed = rows[res.defaulted]
    book.default_loans(economy, failed)
    tally.gpu_loan_failures = sorted({neoclouds[b].name for b in book.borrower[failed]})
    for n in neoclouds:
        np.maximum(n.gpu_units, 0.0, out=n.gpu_units)
