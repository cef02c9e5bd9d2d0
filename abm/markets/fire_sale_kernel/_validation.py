"""Input validation and the result type shared by every fire-sale clearing implementation.

The contract (``docs/spec/fire-sale-clearing.md``) says what is accepted:

* lists and arrays (an empty list is a valid empty array), one-dimensional;
* integer values for float arguments; float values for index arguments only when they are
  whole numbers; booleans are not numbers here and are rejected (``True`` as a loan's units
  or vintage is almost certainly a bug);
* anything of the wrong length, NaN or infinity, or outside its range, ``tol <= 0`` and
  ``max_iter < 1`` raise :class:`ValueError` naming the argument (the first bad one in
  signature order) and the first bad index.

:func:`validate_inputs` never modifies its inputs: it returns contiguous ``float64`` /
``int64`` arrays, copies wherever a conversion is needed (an input that is already a
contiguous array of the right dtype is passed through unchanged and is only ever read).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["FireSaleResult", "ValidatedInputs", "validate_inputs", "REJECTED_KINDS", "float_array",
           "check_interval", "check_tol", "check_max_iter"]


@dataclass(frozen=True)
class FireSaleResult:
    """Outcome of one fire-sale clearing (field names fixed by the contract).

    price        float64[V]  clearing price of each vintage (the last iterate)
    units_sold   float64[V]  units sold of each vintage at ``price``, exogenous sales included
    cash_posted  float64[L]  cash each loan received from its borrower (0 if not called)
    sold         float64[L]  units of each loan's collateral sold (all of them on default)
    margin_called bool[L]    ``D > m * u * price[v]``
    defaulted    bool[L]     selling could not cure the loan (or its vintage's price is 0)
    iterations   int         applications of the price map
    converged    bool        False when ``max_iter`` was reached first
    """

    price: np.ndarray
    units_sold: np.ndarray
    cash_posted: np.ndarray
    sold: np.ndarray
    margin_called: np.ndarray
    defaulted: np.ndarray
    iterations: int
    converged: bool


class ValidatedInputs(NamedTuple):
    ref_price: np.ndarray
    depth: np.ndarray
    exog_sales: np.ndarray
    loan_vintage: np.ndarray
    loan_borrower: np.ndarray
    loan_units: np.ndarray
    loan_debt: np.ndarray
    loan_margin_ltv: np.ndarray
    loan_target_ltv: np.ndarray
    borrower_cash: np.ndarray
    tol: float
    max_iter: int


_REJECTED_KINDS = {
    "b": "booleans are not accepted",
    "c": "complex numbers are not accepted",
}


def _as_1d(name: str, x) -> np.ndarray:
    """``x`` as a 1-D ndarray (no copy when it already is one); ValueError naming ``name``."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if isinstance(x, (str, bytes)):
            raise ValueError(f"{name}: must be a 1-D sequence of numbers, got {type(x).__name__}")
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name}: cannot be read as a 1-D array of numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: must be 1-D, got an array of shape {arr.shape}")
    return arr


def _object_to_float(name: str, arr: np.ndarray, whole: bool) -> np.ndarray:
    """Element-wise conversion of an object array, naming the first element that is no number."""
    out = np.empty(arr.shape[0], dtype=np.float64)
    for i, item in enumerate(arr):
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Real):
            raise ValueError(f"{name}[{i}] = {item!r}: not a real number")
        try:
            out[i] = float(item)
        except (OverflowError, ValueError, TypeError):
            raise ValueError(f"{name}[{i}] = {item!r}: not representable as a finite float") from None
        if whole and isinstance(item, numbers.Integral):
            # a huge Python int may round to a whole float inside the range: keep it exact-ish
            if not (-(2**63) <= int(item) < 2**63):
                raise ValueError(f"{name}[{i}] = {item!r}: out of range")
    return out


def _check_length(name: str, arr: np.ndarray, expected: int | None, what: str) -> None:
    if expected is not None and arr.shape[0] != expected:
        first_bad = min(arr.shape[0], expected)
        raise ValueError(
            f"{name}: length {arr.shape[0]} does not match {what} = {expected} "
            f"(first bad index {first_bad})"
        )


def _float_array(name: str, x, expected: int | None, what: str) -> np.ndarray:
    """Contiguous float64 copy/view of a float argument, checked for dtype and length."""
    arr = _as_1d(name, x)
    kind = arr.dtype.kind
    if kind in _REJECTED_KINDS:
        raise ValueError(f"{name}: dtype {arr.dtype} not accepted ({_REJECTED_KINDS[kind]})")
    if kind == "O":
        _check_length(name, arr, expected, what)
        return _object_to_float(name, arr, whole=False)
    if kind not in "iuf":
        raise ValueError(f"{name}: dtype {arr.dtype} is not a real number type")
    _check_length(name, arr, expected, what)
    return np.ascontiguousarray(arr, dtype=np.float64)


def _check_interval(name: str, a: np.ndarray, lo: float, lo_closed: bool, desc: str,
                    hi: float = math.inf, hi_closed: bool = False) -> None:
    """Every value finite and inside the interval; else ValueError at the first bad index.

    A fast path checks min and max only (NaN fails every comparison, so it falls through to
    the slow path, which locates the first bad element).
    """
    if a.shape[0] == 0:
        return
    mn = a.min()
    mx = a.max()
    lo_ok = mn >= lo if lo_closed else mn > lo
    hi_ok = mx <= hi if hi_closed else mx < hi
    if lo_ok and hi_ok and math.isfinite(mn) and math.isfinite(mx):
        return
    good = (a >= lo) if lo_closed else (a > lo)
    good &= (a <= hi) if hi_closed else (a < hi)
    good &= np.isfinite(a)
    i = int(np.argmin(good))
    value = float(a[i])
    if not math.isfinite(value):
        raise ValueError(f"{name}[{i}] = {value!r}: must be finite (no NaN or infinity)")
    raise ValueError(f"{name}[{i}] = {value!r}: must be {desc}")


def _index_array(name: str, x, expected: int | None, what: str, upper: int | None,
                 upper_what: str) -> np.ndarray:
    """Contiguous int64 array of indices in ``0 .. upper-1`` (``upper=None``: only ``>= 0``)."""
    arr = _as_1d(name, x)
    kind = arr.dtype.kind
    if kind in _REJECTED_KINDS:
        raise ValueError(f"{name}: dtype {arr.dtype} not accepted ({_REJECTED_KINDS[kind]})")
    if kind not in "iufO":
        raise ValueError(f"{name}: dtype {arr.dtype} is not an integer type")
    _check_length(name, arr, expected, what)
    if arr.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if kind == "O":
        arr = _object_to_float(name, arr, whole=True)
        kind = "f"
    range_desc = (f"an index in 0..{upper - 1} ({upper_what} = {upper})" if upper is not None
                  else "an index >= 0")
    if kind in "iu":
        mn = int(arr.min())
        mx = int(arr.max())
        if mn >= 0 and (upper is None or mx < upper):
            return np.ascontiguousarray(arr, dtype=np.int64)
        bad = arr < 0
        if upper is not None:
            bad |= arr >= upper
        i = int(np.argmax(bad))
        raise ValueError(f"{name}[{i}] = {int(arr[i])}: must be {range_desc}")
    # float dtype: finite, whole, in range
    a = np.asarray(arr, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        good = np.isfinite(a) & (a >= 0) & (np.floor(a) == a)
        if upper is not None:
            good &= a < upper
        else:
            good &= a < 2.0**63
    if good.all():
        return np.ascontiguousarray(a, dtype=np.int64)
    i = int(np.argmin(good))
    value = float(a[i])
    if not math.isfinite(value):
        raise ValueError(f"{name}[{i}] = {value!r}: must be finite (no NaN or infinity)")
    if math.floor(value) != value:
        raise ValueError(f"{name}[{i}] = {value!r}: an index must be a whole number")
    raise ValueError(f"{name}[{i}] = {value!r}: must be {range_desc}")


def _length_of(x) -> int | None:
    """Length of a would-be 1-D argument, or None when it is not one (reported later)."""
    try:
        arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    except (ValueError, TypeError):
        return None
    if isinstance(x, (str, bytes)) or arr.ndim != 1:
        return None
    return int(arr.shape[0])


def _check_tol(tol) -> float:
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise ValueError(f"tol = {tol!r}: must be a real number > 0")
    value = float(tol)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"tol = {tol!r}: must be finite and > 0")
    return value


def _check_max_iter(max_iter) -> int:
    if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, numbers.Real):
        raise ValueError(f"max_iter = {max_iter!r}: must be an integer >= 1")
    if isinstance(max_iter, numbers.Integral):
        value = int(max_iter)
    else:
        f = float(max_iter)
        if not math.isfinite(f) or math.floor(f) != f:
            raise ValueError(f"max_iter = {max_iter!r}: must be a whole number >= 1")
        value = int(f)
    if value < 1:
        raise ValueError(f"max_iter = {max_iter!r}: must be >= 1")
    return value


def validate_inputs(ref_price, depth, exog_sales, loan_vintage, loan_borrower, loan_units,
                    loan_debt, loan_margin_ltv, loan_target_ltv, borrower_cash, tol,
                    max_iter) -> ValidatedInputs:
    """Check every argument in signature order; return contiguous float64 / int64 arrays.

    Raises ValueError naming the first bad argument and, for array values, its first bad
    index. Inputs are never modified.
    """
    ref = _float_array("ref_price", ref_price, None, "")
    _check_interval("ref_price", ref, 0.0, False, "> 0")
    V = ref.shape[0]
    dep = _float_array("depth", depth, V, "len(ref_price)")
    _check_interval("depth", dep, 0.0, False, "> 0")
    exo = _float_array("exog_sales", exog_sales, V, "len(ref_price)")
    _check_interval("exog_sales", exo, 0.0, True, ">= 0")

    vin = _index_array("loan_vintage", loan_vintage, None, "", V, "len(ref_price)")
    L = vin.shape[0]
    B = _length_of(borrower_cash)  # None: borrower_cash itself is malformed, reported below
    bor = _index_array("loan_borrower", loan_borrower, L, "len(loan_vintage)", B,
                       "len(borrower_cash)")
    units = _float_array("loan_units", loan_units, L, "len(loan_vintage)")
    _check_interval("loan_units", units, 0.0, True, ">= 0")
    debt = _float_array("loan_debt", loan_debt, L, "len(loan_vintage)")
    _check_interval("loan_debt", debt, 0.0, True, ">= 0")
    mltv = _float_array("loan_margin_ltv", loan_margin_ltv, L, "len(loan_vintage)")
    _check_interval("loan_margin_ltv", mltv, 0.0, False, "in (0, 1]", 1.0, True)
    tltv = _float_array("loan_target_ltv", loan_target_ltv, L, "len(loan_vintage)")
    _check_interval("loan_target_ltv", tltv, 0.0, True, "in [0, 1)", 1.0, False)
    if L:
        above = tltv > mltv
        if above.any():
            i = int(np.argmax(above))
            raise ValueError(
                f"loan_target_ltv[{i}] = {float(tltv[i])!r}: must be <= loan_margin_ltv[{i}] = "
                f"{float(mltv[i])!r}"
            )
    cash = _float_array("borrower_cash", borrower_cash, None, "")
    _check_interval("borrower_cash", cash, 0.0, True, ">= 0")
    return ValidatedInputs(ref, dep, exo, vin, bor, units, debt, mltv, tltv, cash,
                           _check_tol(tol), _check_max_iter(max_iter))


# The checks the loan-market kernel's validation shares (abm.markets.loan_market_kernel._validation):
# one implementation of the array rules for both kernels.
REJECTED_KINDS = _REJECTED_KINDS
float_array = _float_array
check_interval = _check_interval
check_tol = _check_tol
check_max_iter = _check_max_iter
