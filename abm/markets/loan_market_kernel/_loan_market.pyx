# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernel of the loan-market clearing (contract: docs/spec/loan-market-clearing.md).

Call it through :func:`abm.markets.loan_market_kernel.clear_loan_market`, which validates and
converts the inputs and allocates the outputs; this module trusts them.

Algorithm: the reference's (:mod:`abm.markets.loan_market_kernel._reference`), operation for
operation, so that every output is bit for bit the reference's, the iteration count included:
the plain iteration ``p(k+1) = P(p(k))`` from ``start_price``, each evaluation of ``P`` one
pass over the holders in their order, and every output evaluated at the last iterate by one
more pass. What keeps the bits equal:

* the same expressions in the same order: per holder, the sums over classes of
  ``(1 - p[c]) * H[i, c]`` and ``p[c] * H[i, c]`` accumulated from ``0.0`` in class order
  (the reference's ``_plain_sum``: plain left-to-right addition), then ``E0 - w * sum``; the
  sales ``q[c]`` start at ``exog_sales[c]`` and add ``x_i * H[i, c]`` holder by holder;
* Python's ``max(a, b)`` / ``min(a, b)`` written as the comparisons they make (``max`` keeps
  its first argument unless the second is strictly greater), so zeros and their signs agree;
* ``exp`` from libm, the function ``math.exp`` calls; the extension is compiled with
  ``-ffp-contract=off`` (setup.py), so no multiply-add is fused into an FMA that Python
  would round twice.

The cost is O(N * C) per iteration (N holders, C classes), all without the GIL. The per-holder
outputs double as scratch during the iteration; the last pass overwrites them.

Names in the code and the contract's symbols:

==========================  ===================================================================
code                        contract symbol / meaning
==========================  ===================================================================
``p`` [C]                   the current iterate ``p(k)``; ``p_next`` is ``p(k+1)``
``H`` [N * C]               holdings (carrying value), row ``i`` is ``H + i * C``
``E``, ``V``                equity at market marks ``E0 - w * loss``, what the holdings fetch
``loss``                    ``sum_c (1 - p[c]) H[i, c]``, the discount to carrying value
``short_usd``, ``free_usd`` ``max(0, N - C)`` and ``max(0, C - N)`` (need ``N``, cash ``C``)
``Ep``                      ``max(E, 0)``
``cure_usd``, ``raise_usd`` debt to pay down to restore ``T``; ``short + cure``
``x``                       the share of every holding sold, ``share_sold[i]``
``q`` [C]                   ``sold_by_class``: carrying value sold, exogenous sales included
==========================  ===================================================================
"""
import numpy as np

from libc.math cimport exp, fabs
from libc.stdint cimport uint8_t


cdef struct Holders:
    # the validated per-holder inputs, in the caller's order
    Py_ssize_t n            # N holders
    Py_ssize_t n_classes    # C asset classes
    const double *holdings  # [N * C], row-major: carrying value of what holder i may sell
    const double *cash
    const double *debt
    const double *equity    # book equity its lenders see, holdings at carrying value
    const double *mark_weight  # weight w with which a mark reaches that equity this month
    const double *max_leverage
    const double *target_leverage
    const double *cash_need


cdef struct Outcome:
    # what one evaluation of the price map writes
    double *sold_by_class   # q [C]
    double *share_sold      # x [N]
    double *proceeds        # x * V [N]
    uint8_t *in_breach      # [N]


cdef inline double _share_sold(const Holders *h, Py_ssize_t i, double E, double V,
                               uint8_t *breach) noexcept nogil:
    """Holder ``i``'s share sold ``x`` given its equity at marks ``E`` and value ``V``; sets
    ``breach``. Python's ``max(a, b)`` is ``b if b > a else a``, ``min(a, b)`` is
    ``b if b < a else a``."""
    cdef double d, short_usd, free_usd, Ep, cure_usd, raise_usd, r
    d = h.cash_need[i] - h.cash[i]
    short_usd = d if d > 0.0 else 0.0                       # max(0.0, N - C)
    d = h.cash[i] - h.cash_need[i]
    free_usd = d if d > 0.0 else 0.0                        # max(0.0, C - N)
    Ep = 0.0 if 0.0 > E else E                              # max(E, 0.0)
    breach[0] = h.debt[i] > h.max_leverage[i] * Ep
    cure_usd = 0.0
    if breach[0]:
        d = h.debt[i] - h.target_leverage[i] * Ep - free_usd
        cure_usd = d if d > 0.0 else 0.0                    # max(0.0, D - T Ep - free)
    raise_usd = short_usd + cure_usd
    if raise_usd <= 0.0:
        return 0.0
    if V <= 0.0:
        return 1.0
    r = raise_usd / V
    return r if r < 1.0 else 1.0                            # min(1.0, raise / V)


cdef inline void _evaluate(const Holders *h, const double *p, const double *exog_sales,
                           Outcome *out) noexcept nogil:
    """Every holder's outcome at ``p``, and the carrying value sold per class ``q``."""
    cdef Py_ssize_t i, c, C = h.n_classes
    cdef const double *row
    cdef double loss, V, x
    for c in range(C):
        out.sold_by_class[c] = exog_sales[c]
    for i in range(h.n):
        row = h.holdings + i * C
        loss = 0.0  # sum_c (1 - p[c]) H[i, c], so E = E0 - w * loss
        V = 0.0     # sum_c p[c] H[i, c]
        for c in range(C):
            loss += (1.0 - p[c]) * row[c]
            V += p[c] * row[c]
        x = _share_sold(h, i, h.equity[i] - h.mark_weight[i] * loss, V, &out.in_breach[i])
        out.share_sold[i] = x
        out.proceeds[i] = x * V
        for c in range(C):
            out.sold_by_class[c] += x * row[c]


cdef inline bint _next_price(const double *start_price, const double *depth, const double *q,
                             double tol, Py_ssize_t C, double *p, double *p_next) noexcept nogil:
    """``p(k+1) = start_price * exp(-q / depth)`` replaces ``p(k)``; True when every
    ``|p(k+1)[c] - p(k)[c]| <= tol * start_price[c]`` (the contract's stopping test)."""
    cdef Py_ssize_t c
    cdef bint converged = True
    for c in range(C):
        p_next[c] = start_price[c] * exp(-q[c] / depth[c])
        if not (fabs(p_next[c] - p[c]) <= tol * start_price[c]):
            converged = False
    for c in range(C):
        p[c] = p_next[c]
    return converged


cdef inline Py_ssize_t _iterate(const Holders *h, const double *start_price, const double *depth,
                                const double *exog_sales, double tol, Py_ssize_t max_iter,
                                double *p, double *p_next, Outcome *out,
                                bint *converged) noexcept nogil:
    """The plain iteration from ``p(0) = start_price`` until the stopping test or ``max_iter``;
    returns the number of applications of P and leaves the last iterate in ``p``."""
    cdef Py_ssize_t c, iterations = 0
    converged[0] = False
    for c in range(h.n_classes):
        p[c] = start_price[c]
    while iterations < max_iter:
        _evaluate(h, p, exog_sales, out)
        converged[0] = _next_price(start_price, depth, out.sold_by_class, tol, h.n_classes,
                                   p, p_next)
        iterations += 1
        if converged[0]:
            break
    return iterations


cdef inline void _sold(const Holders *h, const double *share_sold, double *sold) noexcept nogil:
    """``sold[i, c] = share_sold[i] * H[i, c]``."""
    cdef Py_ssize_t i, c, C = h.n_classes
    for i in range(h.n):
        for c in range(C):
            sold[i * C + c] = share_sold[i] * h.holdings[i * C + c]


def clear(const double[::1] start_price, const double[::1] depth, const double[::1] exog_sales,
          const double[:, ::1] holdings, const double[::1] cash, const double[::1] debt,
          const double[::1] equity, const double[::1] mark_weight,
          const double[::1] max_leverage, const double[::1] target_leverage,
          const double[::1] cash_need, double tol,
          Py_ssize_t max_iter, double[::1] price, double[::1] sold_by_class,
          double[::1] share_sold, double[:, ::1] sold, double[::1] proceeds,
          uint8_t[::1] in_breach):
    """Clear one month; fill the output arrays (every element is written).

    Inputs must be validated (ranges, shapes, dtypes) by the caller; ``holdings`` and ``sold``
    are [N, C], the other holder arrays [N], the class arrays [C]. Returns
    ``(iterations, converged)``.
    """
    cdef Py_ssize_t C = start_price.shape[0]
    cdef Py_ssize_t iterations
    cdef bint converged = False
    cdef Holders h
    cdef Outcome out
    h.n = holdings.shape[0]
    h.n_classes = C
    h.holdings = &holdings[0, 0]
    h.cash = &cash[0]
    h.debt = &debt[0]
    h.equity = &equity[0]
    h.mark_weight = &mark_weight[0]
    h.max_leverage = &max_leverage[0]
    h.target_leverage = &target_leverage[0]
    h.cash_need = &cash_need[0]
    out.sold_by_class = &sold_by_class[0]
    out.share_sold = &share_sold[0]
    out.proceeds = &proceeds[0]
    out.in_breach = &in_breach[0]
    cdef double[::1] p_next = np.empty(max(C, 1), dtype=np.float64)
    with nogil:
        iterations = _iterate(&h, &start_price[0], &depth[0], &exog_sales[0], tol, max_iter,
                              &price[0], &p_next[0], &out, &converged)
        # every output at the returned price (the last iterate)
        _evaluate(&h, &price[0], &exog_sales[0], &out)
        _sold(&h, &share_sold[0], &sold[0, 0])
    return iterations, bool(converged)
