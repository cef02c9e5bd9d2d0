"""Clearing the payments that fall due in a month.

All obligations due in a month are settled at once with the clearing vector of
Eisenberg and Noe (2001), generalised with the default costs of Rogers and Veraart
(2013), so that the result does not depend on who pays first.

Notation (contract: ``docs/spec/payment-clearing.md``):

* ``L[i, j] >= 0`` is what institution ``i`` owes ``j``;
* ``pbar = L.sum(axis=1)`` is what each one owes in total;
* ``Pi = L / pbar`` row-wise (a zero row where ``pbar`` is 0) are the relative liabilities;
* ``e`` are the external assets (cash and assets held outside the network).

A clearing vector is a fixed point ``p = Phi(p)`` of

.. math::

    \\Phi(p)_i = \\begin{cases}
        \\bar p_i & \\text{if } e_i + (\\Pi^\\top p)_i \\ge \\bar p_i, \\\\
        \\alpha e_i + \\beta (\\Pi^\\top p)_i & \\text{otherwise,}
    \\end{cases}

where a defaulting institution realises only a share ``alpha`` of its external assets
and ``beta`` of what it receives from the others (Rogers and Veraart 2013, eq. 3.1).
With ``alpha = beta = 1`` this is Eisenberg and Noe's ``p = min(pbar, e + Pi.T @ p)``.
``Phi`` is monotone, so by Tarski's theorem the clearing vectors form a lattice; this
module returns the **greatest** one, the vector reached by iterating ``Phi`` from ``pbar``.

It is computed exactly with the Greatest Clearing Vector Algorithm of Rogers and Veraart
(2013, Sec. 3.2, Algorithm "GA"), which generalises the fictitious default algorithm of
Eisenberg and Noe (2001, Sec. 3): start with nobody in default; given the default set
``D``, let the others pay ``pbar`` and solve the linear system

.. math::

    p_i = \\alpha e_i + \\beta (\\Pi^\\top p)_i, \\qquad i \\in D,

for the payments of the defaulters; add every institution that now cannot pay in full to
``D``; stop when ``D`` stops growing.  ``D`` only grows and each round's payments are an
upper bound of the greatest clearing vector, so at most ``n + 1`` rounds are needed and
the last one is exact (up to the linear solver's rounding).

In terms of the paid fractions ``x_i = p_i / pbar_i`` the system reads
``(diag(pbar_D) - beta * L_DD.T) x_D = alpha * e_D + beta * L_SD.T @ 1`` (``S`` the
full payers).  Its matrix is a non-singular M-matrix whenever ``D`` is contained in the
default set of the greatest clearing vector, which the algorithm guarantees: a closed group
of defaulters (one owing only to itself) cannot default at the greatest clearing vector.
Small systems are solved densely, large ones with BiCGSTAB and, should that not converge
(long chains or rings of defaulters), with a sparse LU factorisation; if everything fails
(numerically singular system) the remaining rounds fall back to plain iteration of ``Phi``
from the current payments, which still converges down to the greatest clearing vector.

References
----------
Eisenberg, L. and Noe, T. H. (2001). Systemic risk in financial systems.
    *Management Science* 47(2), 236-249.
Rogers, L. C. G. and Veraart, L. A. M. (2013). Failure and rescue in an interbank
    network. *Management Science* 59(4), 882-898.
"""
from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["PaymentClearingResult", "clear_payments", "received_payments", "solve_defaulters",
           "DENSE_MAX", "KRYLOV_MAXITER", "KRYLOV_RTOL"]

#: Default sets up to this size are solved with a dense LU factorisation.
DENSE_MAX = 1_000
#: Iterations BiCGSTAB may use before the sparse LU factorisation is tried instead.
KRYLOV_MAXITER = 300
#: Relative residual asked of BiCGSTAB.
KRYLOV_RTOL = 1e-13


@dataclass(frozen=True)
class PaymentClearingResult:
    """Outcome of :func:`clear_payments`.

    Attributes
    ----------
    payments : numpy.ndarray, float64[n], read-only
        What each institution pays in total (the greatest clearing vector).
    defaulted : numpy.ndarray, bool[n], read-only
        ``payments < pbar``: the institution does not pay all it owes.
    iterations : int
        Rounds used: default-set updates of the exact algorithm, plus steps of ``Phi``
        if the plain-iteration fallback was needed.
    converged : bool
        True when a clearing vector was reached within ``max_iter`` rounds.  Otherwise
        ``payments`` is the last iterate, an upper bound of the greatest clearing vector.
    """

    payments: np.ndarray
    defaulted: np.ndarray
    iterations: int
    converged: bool


def clear_payments(liabilities, external_assets, *, alpha=1.0, beta=1.0, tol=1e-12,
                   max_iter=100_000) -> PaymentClearingResult:
    """Greatest clearing vector of Eisenberg and Noe (2001) with Rogers-Veraart default costs.

    Solves ``p = Phi(p)`` with ``Phi(p)_i = pbar_i`` if ``e_i + (Pi.T @ p)_i >= pbar_i``
    and ``alpha * e_i + beta * (Pi.T @ p)_i`` otherwise, where ``pbar = L.sum(axis=1)``
    and ``Pi = L / pbar`` row-wise, and returns the greatest solution (see the module
    docstring for the algorithm).

    Parameters
    ----------
    liabilities : array_like or scipy.sparse matrix/array, shape (n, n)
        ``L[i, j] >= 0`` is what ``i`` owes ``j``.  Sparse input is converted to CSR and
        never densified.  Not modified.
    external_assets : array_like, shape (n,)
        ``e[i] >= 0``: cash and other assets ``i`` holds outside the network.  Not modified.
    alpha : float in (0, 1]
        Share of its external assets a defaulting institution realises.
    beta : float in (0, 1]
        Share of what it receives from the others a defaulting institution realises.
    tol : float > 0
        Relative tolerance: an institution counts as unable to pay when its funds
        ``e_i + (Pi.T @ p)_i`` fall short of ``pbar_i`` by more than ``tol * pbar_i``
        (so that rounding does not push full payers into default).  Also the step size
        at which the plain-iteration fallback stops.
    max_iter : int >= 1
        Most rounds allowed (see :attr:`PaymentClearingResult.iterations`).

    Returns
    -------
    PaymentClearingResult

    Raises
    ------
    ValueError
        If an argument is malformed; the message names the argument (and the first bad
        index where there is one).

    References
    ----------
    Eisenberg, L. and Noe, T. H. (2001). Systemic risk in financial systems.
    *Management Science* 47(2), 236-249.
    Rogers, L. C. G. and Veraart, L. A. M. (2013). Failure and rescue in an interbank
    network. *Management Science* 59(4), 882-898.
    """
    L, pbar, e, alpha, beta, tol, max_iter = _validate(
        liabilities, external_assets, alpha, beta, tol, max_iter)
    n = e.size
    if n == 0:
        return _result(np.zeros(0), np.zeros(0), 0, True)
    LT = L.T.tocsr()

    frac = np.ones(n)                   # fraction of pbar paid; solvent ones pay 1
    D = np.zeros(n, dtype=bool)         # current default set
    iterations = 0
    converged = False
    while iterations < max_iter:
        iterations += 1
        funds = e + LT @ frac
        newly = (pbar - funds > tol * pbar) & ~D
        if not newly.any():
            converged = True
            break
        D |= newly
        x = solve_defaulters(LT, pbar, e, alpha, beta, D, frac)
        if x is None:                   # numerically singular: plain iteration from here
            p, used, converged = _iterate_phi(LT, pbar, e, alpha, beta, pbar * frac, tol,
                                              max_iter - iterations)
            return _result(p, pbar, iterations + used, converged)
        frac[D] = x
    return _result(pbar * frac, pbar, iterations, converged)


def received_payments(liabilities, payments) -> np.ndarray:
    """What each institution receives when the others pay ``payments``: ``Pi.T @ payments``.

    ``Pi = L / pbar`` row-wise, so each payer splits what it pays in proportion to what it
    owes.  ``liabilities`` may be dense or sparse (not densified).
    """
    if sp.issparse(liabilities):
        L = sp.csr_array(liabilities, dtype=np.float64)
    else:
        L = np.asarray(liabilities, dtype=np.float64)
    p = np.asarray(payments, dtype=np.float64)
    pbar = np.asarray(L.sum(axis=1), dtype=np.float64).ravel()
    frac = np.divide(p, pbar, out=np.zeros_like(p), where=pbar > 0)
    return np.asarray(L.T @ frac, dtype=np.float64).ravel()


# --------------------------------------------------------------------------- internals

def _result(p, pbar, iterations, converged) -> PaymentClearingResult:
    p = np.ascontiguousarray(p, dtype=np.float64)
    defaulted = p < pbar
    p.flags.writeable = False
    defaulted.flags.writeable = False
    return PaymentClearingResult(payments=p, defaulted=defaulted, iterations=int(iterations),
                                 converged=bool(converged))


def solve_defaulters(LT, pbar, e, alpha, beta, D, frac):
    """Paid fractions ``x_D`` of the defaulters when everybody else pays in full.

    Solves ``(diag(pbar_D) - beta * L_DD.T) x_D = alpha * e_D + beta * (L.T @ 1_S)_D``.
    Returns ``None`` if no solver produced a finite answer.
    """
    idx = np.flatnonzero(D)
    solvent = (~D).astype(np.float64)
    rhs = alpha * e[idx] + beta * (LT @ solvent)[idx]
    sub = LT[idx][:, idx]
    A = (sp.diags_array(pbar[idx]) - beta * sub).tocsr()
    x = None
    if idx.size <= DENSE_MAX:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
                x = scipy.linalg.solve(A.toarray(), rhs, check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning, ValueError):
            x = None
    else:
        x = _solve_sparse(A, rhs, pbar[idx], frac[idx])
    if x is None or not np.all(np.isfinite(x)):
        return None
    # Exact arithmetic gives 0 <= x_D <= previous fractions; remove rounding noise.
    return np.clip(x, 0.0, frac[idx])


def _solve_sparse(A, rhs, diag, x0):
    """Large default sets: BiCGSTAB with Jacobi preconditioner, sparse LU as fallback."""
    scale = np.linalg.norm(rhs)
    if scale == 0.0:
        return np.zeros_like(rhs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, info = spla.bicgstab(A, rhs, x0=x0, rtol=KRYLOV_RTOL, atol=0.0,
                                maxiter=KRYLOV_MAXITER, M=sp.diags_array(1.0 / diag))
    if info == 0 and np.all(np.isfinite(x)) and \
            np.linalg.norm(A @ x - rhs) <= 10 * KRYLOV_RTOL * scale:
        return x
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", spla.MatrixRankWarning)
            return spla.spsolve(A.tocsc(), rhs)
    except (RuntimeError, spla.MatrixRankWarning):
        return None


def _iterate_phi(LT, pbar, e, alpha, beta, p0, tol, max_iter):
    """Plain iteration ``p <- Phi(p)`` from ``p0`` (>= greatest clearing vector).

    Stops when no payment moves by more than ``tol * max(1, max(pbar))``.
    Returns ``(p, iterations, converged)``.
    """
    p = np.array(p0, dtype=np.float64)
    has_debt = pbar > 0
    step_tol = tol * max(1.0, float(pbar.max(initial=0.0)))
    for k in range(1, max_iter + 1):
        frac = np.divide(p, pbar, out=np.zeros_like(p), where=has_debt)
        inflow = LT @ frac
        short = pbar - (e + inflow) > tol * pbar
        new = np.where(short, alpha * e + beta * inflow, pbar)
        new = np.minimum(new, pbar)
        done = np.max(np.abs(new - p), initial=0.0) <= step_tol
        p = new
        if done:
            return p, k, True
    return p, max_iter, False


def _clear_payments_iterative(liabilities, external_assets, *, alpha=1.0, beta=1.0,
                              tol=1e-12, max_iter=100_000) -> PaymentClearingResult:
    """Reference: iterate ``Phi`` from ``pbar`` until the payments stop moving.

    Converges monotonically down to the greatest clearing vector (Rogers and Veraart 2013),
    but only geometrically; kept for testing :func:`clear_payments`.
    """
    L, pbar, e, alpha, beta, tol, max_iter = _validate(
        liabilities, external_assets, alpha, beta, tol, max_iter)
    if e.size == 0:
        return _result(np.zeros(0), np.zeros(0), 0, True)
    p, used, converged = _iterate_phi(L.T.tocsr(), pbar, e, alpha, beta, pbar, tol, max_iter)
    return _result(p, pbar, used, converged)


# ---------------------------------------------------------------------------- validation

def _first_index(flat_index, shape):
    return tuple(int(v) for v in np.unravel_index(int(flat_index), shape))


def _check_entries(values, where, name, what):
    """Raise if ``values`` has a non-finite or negative entry; ``where(k)`` names entry k."""
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = bad[0]
        raise ValueError(f"{name} must be finite; first bad {what} {where(k)} is {values[k]}")
    bad = np.flatnonzero(values < 0)
    if bad.size:
        k = bad[0]
        raise ValueError(f"{name} must be non-negative; first negative {what} {where(k)} "
                         f"is {values[k]}")


def _real_in(value, name, low, high, *, low_open=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    ok = (low < v if low_open else low <= v) and v <= high
    if not ok:
        raise ValueError(f"{name} must lie in ({low}, {high}], got {value!r}")
    return v


def _validate(liabilities, external_assets, alpha, beta, tol, max_iter):
    # liabilities
    if sp.issparse(liabilities):
        if len(liabilities.shape) != 2 or liabilities.shape[0] != liabilities.shape[1]:
            raise ValueError(f"liabilities must be a square (n, n) matrix, "
                             f"got shape {liabilities.shape}")
        if np.issubdtype(liabilities.dtype, np.complexfloating):
            raise ValueError("liabilities must be real, got a complex matrix")
        try:
            L = sp.csr_array(liabilities, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"liabilities must be numeric: {exc}") from None
        L.sum_duplicates()
        rows = np.repeat(np.arange(L.shape[0]), np.diff(L.indptr))
        _check_entries(L.data, lambda k: (int(rows[k]), int(L.indices[k])),
                       "liabilities", "entry at")
        pbar = np.asarray(L.sum(axis=1), dtype=np.float64).ravel()
    else:
        try:
            arr = np.asarray(liabilities)
            if np.iscomplexobj(arr):
                raise ValueError("complex values")
            arr = arr.astype(np.float64)        # a copy: the input is never touched
        except (TypeError, ValueError) as exc:
            raise ValueError(f"liabilities must be a real numeric matrix: {exc}") from None
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(f"liabilities must be a square (n, n) matrix, got shape {arr.shape}")
        flat = arr.ravel()
        _check_entries(flat, lambda k: _first_index(k, arr.shape), "liabilities", "entry at")
        L = sp.csr_array(arr)
        # numpy's own row sums, so that ``payments < L.sum(axis=1)`` holds bit for bit
        pbar = arr.sum(axis=1)
    n = L.shape[0]

    # external assets
    try:
        e = np.asarray(external_assets)
        if np.iscomplexobj(e):
            raise ValueError("complex values")
        e = np.array(e, dtype=np.float64)       # a copy
    except (TypeError, ValueError) as exc:
        raise ValueError(f"external_assets must be a real numeric vector: {exc}") from None
    if e.ndim != 1 or e.size != n:
        raise ValueError(f"external_assets must have shape ({n},) to match liabilities, "
                         f"got shape {e.shape}")
    _check_entries(e, lambda k: f"[{int(k)}]", "external_assets", "entry")

    alpha = _real_in(alpha, "alpha", 0.0, 1.0)
    beta = _real_in(beta, "beta", 0.0, 1.0)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not float(tol) > 0 \
            or not np.isfinite(float(tol)):
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    return L, pbar, e, alpha, beta, float(tol), int(max_iter)
