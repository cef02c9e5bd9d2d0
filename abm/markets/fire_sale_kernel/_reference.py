"""Pure-Python reference of the fire-sale clearing: a literal reading of the contract.

Plain loops over Python floats, plain iteration from ``ref_price``. Slow (about a
microsecond per loan per iteration) and meant for tests and readers, not for simulation.

At a price vector ``p``, for loan ``l`` of vintage ``v`` and borrower ``b`` with units ``u``,
debt ``D``, maintenance LTV ``m`` and target LTV ``h``::

    A      = u * p[v]                                   collateral value
    called = D > m * A                                  (strictly)
    need   = D - h * A                                  if called, else 0
    N_b    = sum of need over b's called loans
    z      = need * min(1, c_b / N_b)                   cash posted (pro rata)
    if z < need:
        x  = max(0, (D - z - h * A) / (p[v] * (1 - h)))  units that restore LTV h
        defaulted = x >= u;  sold = u if defaulted else x
    else:
        sold = 0 (cured with cash alone)
    if p[v] == 0: every called loan of vintage v defaults and sells all its u units.

    S_v(p) = exog_sales[v] + sum of sold over loans of vintage v
    P(p)[v] = ref_price[v] * exp(-S_v(p) / depth[v])

Iteration: ``p0 = ref_price``, ``p(k+1) = P(p(k))`` until
``max_v |p(k+1)[v] - p(k)[v]| <= tol * ref_price[v]`` or ``max_iter`` applications of ``P``.
Every output is evaluated at the last iterate, which is the returned price.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.markets.fire_sale_kernel._validation import FireSaleResult, validate_inputs

__all__ = ["clear_fire_sale_reference"]


def _evaluate(p, vin, bor, units, debt, mltv, tltv, cash, exog):
    """Per-loan outcome at price vector ``p`` (lists of Python floats), by the contract.

    Returns (units_sold, cash_posted, sold, called, defaulted) as Python lists.
    """
    L = len(vin)
    B = len(cash)
    called = [False] * L
    need = [0.0] * L
    value = [0.0] * L
    total_need = [0.0] * B
    for l in range(L):
        A = units[l] * p[vin[l]]
        value[l] = A
        if debt[l] > mltv[l] * A:
            called[l] = True
            need[l] = debt[l] - tltv[l] * A
            total_need[bor[l]] += need[l]

    cash_posted = [0.0] * L
    sold = [0.0] * L
    defaulted = [False] * L
    units_sold = list(exog)
    for l in range(L):
        if not called[l]:
            continue
        pv = p[vin[l]]
        n_b = total_need[bor[l]]
        z = need[l] * min(1.0, cash[bor[l]] / n_b)  # n_b >= need[l] > 0 for a called loan
        cash_posted[l] = z
        if pv == 0.0:
            # a price that underflowed to 0: every called loan of the vintage defaults
            defaulted[l] = True
            sold[l] = units[l]
        elif z < need[l]:
            num = debt[l] - z - tltv[l] * value[l]
            den = pv * (1.0 - tltv[l])
            if num <= 0.0:
                x = 0.0  # clamped at 0 against rounding
            elif den == 0.0:
                x = math.inf  # p * (1 - h) underflowed: selling cannot cure
            else:
                x = num / den
            if x >= units[l]:
                defaulted[l] = True
                sold[l] = units[l]
            else:
                sold[l] = x
        units_sold[vin[l]] += sold[l]
    return units_sold, cash_posted, sold, called, defaulted


def clear_fire_sale_reference(ref_price, depth, exog_sales, loan_vintage, loan_borrower,
                              loan_units, loan_debt, loan_margin_ltv, loan_target_ltv,
                              borrower_cash, *, tol=1e-12, max_iter=10_000) -> FireSaleResult:
    """Pure-Python reference of :func:`abm.markets.fire_sale_kernel.clear_fire_sale` (same validation and
    outputs)."""
    args = validate_inputs(ref_price, depth, exog_sales, loan_vintage, loan_borrower,
                           loan_units, loan_debt, loan_margin_ltv, loan_target_ltv,
                           borrower_cash, tol, max_iter)
    ref = args.ref_price.tolist()
    dep = args.depth.tolist()
    exog = args.exog_sales.tolist()
    loans = (args.loan_vintage.tolist(), args.loan_borrower.tolist(), args.loan_units.tolist(),
             args.loan_debt.tolist(), args.loan_margin_ltv.tolist(),
             args.loan_target_ltv.tolist(), args.borrower_cash.tolist())
    V = len(ref)

    p = list(ref)
    iterations = 0
    converged = False
    while iterations < args.max_iter:
        S = _evaluate(p, *loans, exog)[0]
        new = [ref[v] * math.exp(-S[v] / dep[v]) for v in range(V)]
        iterations += 1
        converged = all(abs(new[v] - p[v]) <= args.tol * ref[v] for v in range(V))
        p = new
        if converged:
            break

    units_sold, cash_posted, sold, called, defaulted = _evaluate(p, *loans, exog)
    return FireSaleResult(
        price=np.array(p, dtype=np.float64),
        units_sold=np.array(units_sold, dtype=np.float64),
        cash_posted=np.array(cash_posted, dtype=np.float64),
        sold=np.array(sold, dtype=np.float64),
        margin_called=np.array(called, dtype=bool),
        defaulted=np.array(defaulted, dtype=bool),
        iterations=iterations,
        converged=converged,
    )
