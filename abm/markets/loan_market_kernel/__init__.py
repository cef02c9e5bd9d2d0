"""Secondary market for private loans and fund interests: the clearing under forced sales.

:func:`clear_loan_market` clears one month of the market (contract:
``docs/spec/loan-market-clearing.md``; formulas in
:mod:`abm.markets.loan_market_kernel._reference`). It runs a compiled Cython kernel,
``abm.markets.loan_market_kernel._loan_market``; there is no silent pure-Python fallback.
Importing this package without the built kernel raises ImportError saying how to build it.

:func:`clear_loan_market_reference` is the pure-Python literal reading of the contract (slow;
for tests and readers), sharing the same validation. The kernel follows it operation for
operation: their results are equal bit for bit.
"""
from __future__ import annotations

try:
    from aicredit.abm.markets.loan_market_kernel import _loan_market as _kernel
except ImportError as exc:  # pragma: no cover - exercised by a test that hides the module
    raise ImportError(
        "abm.markets.loan_market_kernel needs its compiled loan-market kernel "
        "(abm.markets.loan_market_kernel._loan_market), which is not built. Build it from the "
        "repository root with `pip install -e .` "
        "(or `python setup.py build_ext --inplace`). "
        f"Original error: {exc}"
    ) from exc

import numpy as np

from aicredit.abm.markets.loan_market_kernel._reference import clear_loan_market_reference
from aicredit.abm.markets.loan_market_kernel._validation import LoanMarketResult, validate_inputs

__all__ = ["LoanMarketResult", "clear_loan_market", "clear_loan_market_reference"]

#: ``max_iter`` beyond this many iterations is the same as this many (the kernel counts in a
#: C ``Py_ssize_t``; no run gets that far).
_MAX_ITER_CAP = int(np.iinfo(np.intp).max)


def clear_loan_market(start_price, depth, exog_sales, holdings, cash, debt, equity,
                      mark_weight, max_leverage, target_leverage, cash_need, *, tol=1e-12,
                      max_iter=10_000) -> LoanMarketResult:
    """Clear one month of the secondary loan market under forced sales.

    Holders (funds, BDCs, insurers) that must raise cash sell the same share of each of their
    holdings at a common price per asset class; the price falls with what is sold,
    ``P(p)[c] = start_price[c] * exp(-q[c] / depth[c])`` (Cont and Schaanning 2017), and a lower
    price marks their equity down and forces more sales.

    Parameters (C asset classes, N holders; lists or arrays):
        start_price      float64[C] in (0, 1]  price before this month's sales, a share of
                                               carrying value
        depth            float64[C] > 0   carrying value whose sale cuts the price by a factor e
        exog_sales       float64[C] >= 0  carrying value sold this month whatever the price
        holdings         float64[N, C] >= 0  carrying value of what holder i may sell of class c
        cash             float64[N] >= 0  cash on hand
        debt             float64[N] >= 0  debt outstanding
        equity           float64[N] finite  book equity its lenders see, with the holdings
                                            at carrying value (may be <= 0)
        mark_weight      float64[N] in [0, 1]  weight with which a mark reaches that equity
                                               this month (1: marked to market at once; less
                                               when the reported NAV smooths marks)
        max_leverage     float64[N] > 0   debt / equity above which a holder must deleverage
        target_leverage  float64[N] in [0, max_leverage]  debt / equity a deleveraging restores
        cash_need        float64[N] >= 0  cash the holder must pay out this month
                                          (redemptions, a cut credit line's excess)
        tol              stop when every |p(k+1)[c] - p(k)[c]| <= tol * start_price[c]
        max_iter         at most this many applications of the price map

    Returns a :class:`LoanMarketResult`: the greatest fixed point ``p* = P(p*)`` below
    ``start_price`` (the last iterate of ``p(k+1) = P(p(k))`` from ``start_price``) and every
    other output evaluated at it: ``sold_by_class`` (float64[C]), ``share_sold``,
    ``proceeds`` (float64[N]), ``sold`` (float64[N, C]), ``in_breach`` (bool[N]),
    ``iterations`` and ``converged`` (False if ``max_iter`` was reached). Equal bit for bit to
    :func:`clear_loan_market_reference` on the same inputs.

    Raises ValueError naming the first bad argument (in signature order) and its first bad
    index: a wrong length or shape, NaN or infinity, a value outside its range,
    ``target_leverage > max_leverage``, ``tol <= 0`` or ``max_iter < 1``. Inputs are never
    modified.
    """
    a = validate_inputs(start_price, depth, exog_sales, holdings, cash, debt, equity,
                        mark_weight, max_leverage, target_leverage, cash_need, tol, max_iter)
    C = a.start_price.shape[0]
    N = a.holdings.shape[0]
    price = np.empty(C, dtype=np.float64)
    sold_by_class = np.empty(C, dtype=np.float64)
    share_sold = np.empty(N, dtype=np.float64)
    sold = np.empty((N, C), dtype=np.float64)
    proceeds = np.empty(N, dtype=np.float64)
    in_breach = np.zeros(N, dtype=bool)
    iterations, converged = _kernel.clear(
        a.start_price, a.depth, a.exog_sales, a.holdings, a.cash, a.debt, a.equity,
        a.mark_weight, a.max_leverage, a.target_leverage, a.cash_need, a.tol,
        min(a.max_iter, _MAX_ITER_CAP),
        price, sold_by_class, share_sold, sold, proceeds, in_breach.view(np.uint8),
    )
    return LoanMarketResult(price=price, sold_by_class=sold_by_class, share_sold=share_sold,
                            sold=sold, proceeds=proceeds, in_breach=in_breach,
                            iterations=int(iterations), converged=bool(converged))
