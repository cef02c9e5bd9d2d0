"""Secondary market for GPUs used as loan collateral: the fire-sale clearing.

:func:`clear_fire_sale` clears one step of the market (contract:
``docs/spec/fire-sale-clearing.md``). It runs a compiled Cython kernel,
``abm.markets.fire_sale_kernel._fire_sale``; there is no silent pure-Python fallback.
Importing this package without the built kernel raises ImportError saying how to build it.

:func:`clear_fire_sale_reference` is the pure-Python literal reading of the contract (slow;
for tests and readers), sharing the same validation.
"""
from __future__ import annotations

try:
    from aicredit.abm.markets.fire_sale_kernel import _fire_sale as _kernel
except ImportError as exc:  # pragma: no cover - exercised by a test that hides the module
    raise ImportError(
        "abm.markets.fire_sale_kernel needs its compiled fire-sale kernel "
        "(abm.markets.fire_sale_kernel._fire_sale), which is not built. Build it from the "
        "repository root with `pip install -e .` "
        "(or `python setup.py build_ext --inplace`). "
        f"Original error: {exc}"
    ) from exc

import numpy as np

from aicredit.abm.markets.fire_sale_kernel._reference import clear_fire_sale_reference
from aicredit.abm.markets.fire_sale_kernel._validation import FireSaleResult, validate_inputs

__all__ = ["FireSaleResult", "clear_fire_sale", "clear_fire_sale_reference"]


def clear_fire_sale(ref_price, depth, exog_sales, loan_vintage, loan_borrower, loan_units,
                    loan_debt, loan_margin_ltv, loan_target_ltv, borrower_cash, *, tol=1e-12,
                    max_iter=10_000) -> FireSaleResult:
    """Clear one step of the GPU secondary market under forced sales.

    Parameters (V vintages, L loans, B borrowers; lists or arrays):
        ref_price        float64[V] > 0   pre-sale price per unit of each vintage
        depth            float64[V] > 0   units sold that cut the price by a factor e
        exog_sales       float64[V] >= 0  units sold this step whatever the price
        loan_vintage     int64[L] in 0..V-1
        loan_borrower    int64[L] in 0..B-1
        loan_units       float64[L] >= 0  collateral units pledged
        loan_debt        float64[L] >= 0  outstanding balance
        loan_margin_ltv  float64[L] in (0, 1]  maintenance LTV m
        loan_target_ltv  float64[L] in [0, m] and < 1  LTV a call must restore, h
        borrower_cash    float64[B] >= 0  cash each borrower can post this step
        tol              stop when every |p(k+1)[v] - p(k)[v]| <= tol * ref_price[v]
        max_iter         at most this many applications of the price map

    Returns a :class:`FireSaleResult`: the greatest fixed point ``p* = P(p*)`` below
    ``ref_price`` (the last iterate of ``p(k+1) = P(p(k))`` from ``ref_price``) and every
    per-loan output evaluated at it. ``converged`` is False if ``max_iter`` was reached.

    Raises ValueError naming the first bad argument and its first bad index. Inputs are
    never modified.
    """
    a = validate_inputs(ref_price, depth, exog_sales, loan_vintage, loan_borrower, loan_units,
                        loan_debt, loan_margin_ltv, loan_target_ltv, borrower_cash, tol,
                        max_iter)
    V = a.ref_price.shape[0]
    L = a.loan_vintage.shape[0]
    price = np.empty(V, dtype=np.float64)
    units_sold = np.empty(V, dtype=np.float64)
    cash_posted = np.zeros(L, dtype=np.float64)
    sold = np.zeros(L, dtype=np.float64)
    margin_called = np.zeros(L, dtype=bool)
    defaulted = np.zeros(L, dtype=bool)
    iterations, converged = _kernel.clear(
        a.ref_price, a.depth, a.exog_sales, a.loan_vintage, a.loan_borrower, a.loan_units,
        a.loan_debt, a.loan_margin_ltv, a.loan_target_ltv, a.borrower_cash, a.tol, a.max_iter,
        price, units_sold, cash_posted, sold, margin_called.view(np.uint8),
        defaulted.view(np.uint8),
    )
    return FireSaleResult(price=price, units_sold=units_sold, cash_posted=cash_posted,
                          sold=sold, margin_called=margin_called, defaulted=defaulted,
                          iterations=int(iterations), converged=bool(converged))
