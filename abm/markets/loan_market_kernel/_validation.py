"""Input validation and the result type shared by every loan-market clearing implementation.

Same rules as the GPU fire-sale kernel's (:mod:`abm.markets.fire_sale_kernel._validation`,
whose checks it reuses): lists or arrays, integers accepted for floats, booleans and complex
numbers rejected, NaN and infinity rejected, each argument checked in signature order and a
:class:`ValueError` naming the first bad argument and index. ``holdings`` is 2-D, one row per
holder and one column per asset class. Inputs are never modified.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from aicredit.abm.markets.fire_sale_kernel._validation import (
    REJECTED_KINDS,
    check_interval,
    check_max_iter,
    check_tol,
    float_array,
)

__all__ = ["LoanMarketResult", "ValidatedLoanInputs", "validate_inputs"]


@dataclass(frozen=True)
class LoanMarketResult:
    """Outcome of one loan-market clearing (C classes, N holders).

    price          float64[C]    clearing price of each class, a share of carrying value
    sold_by_class  float64[C]    carrying value sold of each class, exogenous sales included
    share_sold     float64[N]    share of each of its holdings a holder sells
    sold           float64[N, C] carrying value each holder sells of each class
    proceeds       float64[N]    cash each holder raises (``share_sold * sum_c price[c] H[i, c]``)
    in_breach      bool[N]       its debt is above its maximum leverage at ``price``
    iterations     int           applications of the price map
    converged      bool          False when ``max_iter`` was reached first
    """

    price: np.ndarray
    sold_by_class: np.ndarray
    share_sold: np.ndarray
    sold: np.ndarray
    proceeds: np.ndarray
    in_breach: np.ndarray
    iterations: int
    converged: bool


class ValidatedLoanInputs(NamedTuple):
    start_price: np.ndarray
    depth: np.ndarray
    exog_sales: np.ndarray
    holdings: np.ndarray
    cash: np.ndarray
    debt: np.ndarray
    equity: np.ndarray
    mark_weight: np.ndarray
    max_leverage: np.ndarray
    target_leverage: np.ndarray
    cash_need: np.ndarray
    tol: float
    max_iter: int


def _holdings(x, C: int) -> np.ndarray:
    """``holdings`` as a C-contiguous float64[N, C], every value finite and >= 0."""
    try:
        # no dtype here: a list of booleans or of numeric strings must fail the check below,
        # not be converted to floats
        arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"holdings: cannot be read as a 2-D array of numbers ({exc})") from None
    if arr.dtype.kind in REJECTED_KINDS or arr.dtype.kind not in "iuf":
        raise ValueError(f"holdings: dtype {arr.dtype} is not a real number type")
    if arr.ndim != 2 or arr.shape[1] != C:
        raise ValueError(f"holdings: must be 2-D with len(start_price) = {C} columns, "
                         f"got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    check_interval("holdings (flattened)", arr.ravel(), 0.0, True, ">= 0")
    return arr


def validate_inputs(start_price, depth, exog_sales, holdings, cash, debt, equity, mark_weight,
                    max_leverage, target_leverage, cash_need, tol, max_iter) -> ValidatedLoanInputs:
    """Check every argument in signature order; return contiguous float64 arrays."""
    start = float_array("start_price", start_price, None, "")
    check_interval("start_price", start, 0.0, False, "in (0, 1]", 1.0, True)
    C = start.shape[0]
    dep = float_array("depth", depth, C, "len(start_price)")
    check_interval("depth", dep, 0.0, False, "> 0")
    exo = float_array("exog_sales", exog_sales, C, "len(start_price)")
    check_interval("exog_sales", exo, 0.0, True, ">= 0")
    H = _holdings(holdings, C)
    N = H.shape[0]
    out = []
    inf = np.inf
    for name, x, lo, closed, desc, hi in (("cash", cash, 0.0, True, ">= 0", inf),
                                          ("debt", debt, 0.0, True, ">= 0", inf),
                                          ("equity", equity, -inf, False, "finite", inf),
                                          ("mark_weight", mark_weight, 0.0, True, "in [0, 1]", 1.0),
                                          ("max_leverage", max_leverage, 0.0, False, "> 0", inf),
                                          ("target_leverage", target_leverage, 0.0, True, ">= 0", inf),
                                          ("cash_need", cash_need, 0.0, True, ">= 0", inf)):
        arr = float_array(name, x, N, "len(holdings)")
        check_interval(name, arr, lo, closed, desc, hi, hi == 1.0)
        out.append(arr)
    cash_a, debt_a, equity_a, weight_a, max_lev_a, target_a, need_a = out
    above = target_a > max_lev_a
    if above.any():
        i = int(np.argmax(above))
        raise ValueError(f"target_leverage[{i}] = {float(target_a[i])!r}: must be <= "
                         f"max_leverage[{i}] = {float(max_lev_a[i])!r}")
    return ValidatedLoanInputs(start, dep, exo, H, cash_a, debt_a, equity_a, weight_a, max_lev_a,
                               target_a, need_a, check_tol(tol), check_max_iter(max_iter))
