"""Vectorised NumPy implementation of the fire-sale clearing contract.

What a competent NumPy user would write: one evaluation of the price map is a dozen
whole-array operations plus two ``np.bincount`` reductions (need per borrower, sales per
vintage). Used by the benchmark as the baseline the compiled kernel must beat and by the
tests as a third cross-check. Same validation, same plain iteration from ``ref_price``, same
outputs as :func:`abm.markets.fire_sale_kernel.clear_fire_sale` (formulas: see
:mod:`abm.markets.fire_sale_kernel._reference`).
"""
from __future__ import annotations

import numpy as np

from aicredit.abm.markets.fire_sale_kernel._validation import FireSaleResult, validate_inputs

__all__ = ["clear_fire_sale_numpy"]


def _evaluate(p, vin, bor, units, debt, mltv, tltv, one_minus_h, cash, exog, full):
    """Sales per vintage at price ``p``; with ``full`` also the per-loan outputs."""
    pl = p[vin]
    A = units * pl
    called = debt > mltv * A
    need = np.where(called, debt - tltv * A, 0.0)
    N = np.bincount(bor, weights=need, minlength=cash.shape[0])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(N > 0.0, np.minimum(1.0, cash / N), 1.0)
        z = need * ratio[bor]
        num = debt - z - tltv * A
        x = np.where(num > 0.0, num / (pl * one_minus_h), 0.0)  # num > 0, den == 0: inf
    selling = called & (z < need)
    zero_price = called & (pl == 0.0)
    defaulted = (selling & (x >= units)) | zero_price
    sold = np.where(defaulted, units, np.where(selling, x, 0.0))
    S = exog + np.bincount(vin, weights=sold, minlength=exog.shape[0])
    if not full:
        return S
    return S, z, sold, called, defaulted


def clear_fire_sale_numpy(ref_price, depth, exog_sales, loan_vintage, loan_borrower,
                          loan_units, loan_debt, loan_margin_ltv, loan_target_ltv,
                          borrower_cash, *, tol=1e-12, max_iter=10_000) -> FireSaleResult:
    """Vectorised NumPy version of :func:`abm.markets.fire_sale_kernel.clear_fire_sale` (same contract)."""
    a = validate_inputs(ref_price, depth, exog_sales, loan_vintage, loan_borrower, loan_units,
                        loan_debt, loan_margin_ltv, loan_target_ltv, borrower_cash, tol,
                        max_iter)
    loans = (a.loan_vintage, a.loan_borrower, a.loan_units, a.loan_debt, a.loan_margin_ltv,
             a.loan_target_ltv, 1.0 - a.loan_target_ltv, a.borrower_cash, a.exog_sales)
    ref = a.ref_price
    threshold = a.tol * ref
    p = ref.copy()
    iterations = 0
    converged = False
    while iterations < a.max_iter:
        S = _evaluate(p, *loans, full=False)
        with np.errstate(over="ignore", under="ignore"):
            new = ref * np.exp(-S / a.depth)
        iterations += 1
        converged = bool(np.all(np.abs(new - p) <= threshold))
        p = new
        if converged:
            break
    S, z, sold, called, defaulted = _evaluate(p, *loans, full=True)
    return FireSaleResult(price=p, units_sold=S, cash_posted=z, sold=sold, margin_called=called,
                          defaulted=defaulted, iterations=iterations, converged=converged)
