"""Pure-Python reference of the loan-market clearing: a literal reading of the contract.

Plain loops over Python floats, plain iteration from ``start_price``. Slow and meant for
tests and readers, not for simulation (contract: ``docs/spec/loan-market-clearing.md``).

At a price vector ``p`` (share of carrying value, one per asset class ``c``), for holder ``i``
with holdings ``H[i, c]`` (carrying value of what it may sell), cash ``C``, debt ``D``, book
equity ``E0`` (the equity its lenders see with the holdings at carrying value), the weight
``w`` with which a mark reaches that equity this month (1 when NAV is marked to market at
once, less when the reported NAV smooths marks), maximum leverage ``M``, target leverage
``T`` and a cash need ``N`` (redemptions it must pay, a cut limit's excess)::

    E      = E0 - w * sum_c (1 - p[c]) * H[i, c]    equity at market marks
    V      = sum_c p[c] * H[i, c]                   what its holdings fetch at p
    short  = max(0, N - C)                          cash to raise for the need
    free   = max(0, C - N)                          cash left after the need
    breach = D > M * max(E, 0)    (strictly; D > 0 with E <= 0 is a breach)
    cure   = max(0, D - T * max(E, 0) - free)       if breach, else 0
    x      = min(1, (short + cure) / V)             share of every holding sold (0 if V = 0
                                                    or nothing to raise; 1 if V = 0 < short + cure)
    q[c]   = exog_sales[c] + sum_i x_i * H[i, c]    carrying value sold of class c
    P(p)[c] = start_price[c] * exp(-q[c] / depth[c])

Sales at the market price realise no loss beyond the mark, so a sale does not change ``E``;
a holder in breach pays its debt down to ``T * E`` (Cont and Schaanning 2017: deleverage to a
target below the maximum). ``P`` is monotone (a lower price lowers ``E`` and ``V`` and raises
every sale), so iteration from ``start_price`` falls to the greatest fixed point.

Iteration: ``p0 = start_price``, ``p(k+1) = P(p(k))`` until
``max_c |p(k+1)[c] - p(k)[c]| <= tol * start_price[c]`` or ``max_iter`` applications of ``P``.
Every output is evaluated at the last iterate, which is the returned price.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.markets.loan_market_kernel._validation import LoanMarketResult, validate_inputs

__all__ = ["clear_loan_market_reference"]


def _plain_sum(terms) -> float:
    """Left-to-right sum from 0.0, one rounding per addition: the order the compiled kernel
    follows. (The builtin ``sum`` of floats compensates its rounding from Python 3.12 on, so
    its last bits would depend on the Python version.)"""
    total = 0.0
    for t in terms:
        total += t
    return total


def _evaluate(p, H, cash, debt, equity, weight, max_lev, target_lev, need, exog):
    """Each holder's outcome at price vector ``p`` (lists of Python floats), by the contract.

    Returns (sold_by_class, share_sold, proceeds, in_breach) as Python lists."""
    C = len(p)
    q = list(exog)
    share = [0.0] * len(cash)
    proceeds = [0.0] * len(cash)
    breach = [False] * len(cash)
    for i in range(len(cash)):
        row = H[i]
        E = equity[i] - weight[i] * _plain_sum((1.0 - p[c]) * row[c] for c in range(C))
        V = _plain_sum(p[c] * row[c] for c in range(C))
        short = max(0.0, need[i] - cash[i])
        free = max(0.0, cash[i] - need[i])
        Ep = max(E, 0.0)
        breach[i] = debt[i] > max_lev[i] * Ep
        cure = max(0.0, debt[i] - target_lev[i] * Ep - free) if breach[i] else 0.0
        raise_usd = short + cure
        if raise_usd <= 0.0:
            x = 0.0
        elif V <= 0.0:
            x = 1.0
        else:
            x = min(1.0, raise_usd / V)
        share[i] = x
        proceeds[i] = x * V
        for c in range(C):
            q[c] += x * row[c]
    return q, share, proceeds, breach


def clear_loan_market_reference(start_price, depth, exog_sales, holdings, cash, debt, equity,
                                mark_weight, max_leverage, target_leverage, cash_need, *,
                                tol=1e-12, max_iter=10_000) -> LoanMarketResult:
    """Pure-Python reference of :func:`abm.markets.loan_market_kernel.clear_loan_market` (same
    validation and outputs)."""
    a = validate_inputs(start_price, depth, exog_sales, holdings, cash, debt, equity,
                        mark_weight, max_leverage, target_leverage, cash_need, tol, max_iter)
    ref = a.start_price.tolist()
    dep = a.depth.tolist()
    exog = a.exog_sales.tolist()
    holders = (a.holdings.tolist(), a.cash.tolist(), a.debt.tolist(), a.equity.tolist(),
               a.mark_weight.tolist(), a.max_leverage.tolist(), a.target_leverage.tolist(),
               a.cash_need.tolist())
    C = len(ref)
    p = list(ref)
    iterations = 0
    converged = False
    while iterations < a.max_iter:
        q = _evaluate(p, *holders, exog)[0]
        new = [ref[c] * math.exp(-q[c] / dep[c]) for c in range(C)]
        iterations += 1
        converged = all(abs(new[c] - p[c]) <= a.tol * ref[c] for c in range(C))
        p = new
        if converged:
            break
    q, share, proceeds, breach = _evaluate(p, *holders, exog)
    H = a.holdings
    return LoanMarketResult(
        price=np.array(p, dtype=np.float64),
        sold_by_class=np.array(q, dtype=np.float64),
        share_sold=np.array(share, dtype=np.float64),
        sold=np.array(share, dtype=np.float64)[:, None] * H if H.size else np.zeros_like(H),
        proceeds=np.array(proceeds, dtype=np.float64),
        in_breach=np.array(breach, dtype=bool),
        iterations=iterations,
        converged=converged,
    )
