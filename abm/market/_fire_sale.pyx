# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernel of the fire-sale clearing (contract: shared/spec/fire-sale-clearing.md).

Call it through :func:`abm.market.clear_fire_sale`, which validates and converts the inputs;
this module trusts them.

Algorithm: the contract's plain iteration ``p(k+1) = P(p(k))`` from ``ref_price`` (so the
iteration count is the reference's), with one evaluation of ``P`` organised so that it reads
each loan once from memory:

* Setup (once per call, O(L + B*V)): a stable counting sort groups the loans by borrower and,
  within a borrower, by vintage (key ``b*V + v``; when ``B*V`` is too large, by borrower only,
  and runs of equal vintage form the groups). The per-loan inputs ``u, D, m, h`` are copied
  into that order, so one group has one price and one borrower's loans are contiguous.
* One evaluation, borrower by borrower: pass 1 streams the borrower's loans (32 bytes each)
  and appends each called loan (``D > m * (u * p)``) and its ``need = D - h * (u * p)`` to a
  small scratch list, branch-free, while summing ``N_b``; pass 2 walks only that list, which is
  in L1 cache, and computes ``z``, ``x`` and ``sold`` per called loan, summing sales per group.
  A borrower with no called loan, or cash for all its needs, sells nothing and skips pass 2.
* The outputs are evaluated once more at the returned price (the last iterate), with the same
  expressions, and scattered back to the caller's loan order.

All per-loan expressions are the contract's, in the contract's order of operations, so flags
agree bit for bit with the reference at a given price; only the order of the sums over
loans differs (N_b and S_v), by rounding. No allocation happens inside the iteration loop,
which runs without the GIL; the result is deterministic.
"""
import numpy as np

from libc.math cimport exp, fabs
from libc.stdint cimport int64_t, uint8_t


cdef struct LoanRec:
    double u
    double D
    double m
    double h


cdef struct OutRec:
    double z
    double sold
    uint8_t called
    uint8_t defaulted


cdef union Rec:
    # a loan's inputs during the iteration; its outputs once the final pass has read them
    LoanRec loan
    OutRec out


cdef extern from *:
    void __builtin_prefetch(const void *addr, int rw, int locality) nogil


cdef struct Scratch:
    # per-borrower compact list of called loans (capacity: the largest borrower's loan count)
    int64_t *idx      # grouped index of the called loan
    double *need
    double *x         # units sold
    int64_t *end      # list length after each of the borrower's groups
    uint8_t *flag     # defaulted (final pass only)


cdef inline Py_ssize_t _collect_called(Py_ssize_t g0, Py_ssize_t g1, const int64_t *gstart,
                                       const int64_t *gvin, const double *p,
                                       const Rec *rec, Scratch *s,
                                       double *N_out) noexcept nogil:
    """Pass 1 over one borrower's groups ``g0..g1-1``: compact list of its called loans.

    Branch-free: every loan is written at position ``cnt``, which advances only when the loan
    is called (``D > m * (u * p[v])``). Returns the number of called loans; ``N_out`` = N_b.
    """
    cdef Py_ssize_t g, j, cnt = 0
    cdef double pv, A, N0 = 0.0, N1 = 0.0, N2 = 0.0, N3 = 0.0
    cdef const LoanRec *r
    for g in range(g0, g1):
        pv = p[gvin[g]]
        for j in range(gstart[g], gstart[g + 1]):
            r = &rec[j].loan
            A = r.u * pv
            s.idx[cnt] = j
            s.need[cnt] = r.D - r.h * A
            cnt += r.D > r.m * A
        s.end[g - g0] = cnt
    j = 0
    while j + 4 <= cnt:
        N0 += s.need[j]
        N1 += s.need[j + 1]
        N2 += s.need[j + 2]
        N3 += s.need[j + 3]
        j += 4
    while j < cnt:
        N0 += s.need[j]
        j += 1
    N_out[0] = (N0 + N1) + (N2 + N3)
    return cnt


cdef inline void _units_sold(Py_ssize_t g0, Py_ssize_t g1, const int64_t *gvin,
                             const double *p, const Rec *rec, double ratio,
                             Scratch *s) noexcept nogil:
    """Pass 2: ``x[k]`` = units sold by the k-th called loan (contract formulas, branch-free).

    ``z = need * ratio``; if ``z < need``: ``x = max(0, (D - z - h*(u*p)) / (p*(1-h)))``, all
    ``u`` units (default) when ``x >= u`` or ``p == 0``; otherwise 0.
    """
    cdef Py_ssize_t g, k, k0 = 0, k1
    cdef double nd, z, u, h, pv, num, den, x
    cdef const LoanRec *r
    for g in range(g0, g1):
        k1 = s.end[g - g0]
        pv = p[gvin[g]]
        for k in range(k0, k1):
            r = &rec[s.idx[k]].loan
            nd = s.need[k]
            u = r.u
            h = r.h
            z = nd * ratio
            num = r.D - z - h * (u * pv)
            den = pv * (1.0 - h)
            x = num / den  # only used when num > 0; den == 0 then gives +inf (default)
            x = x if num > 0.0 else 0.0
            x = u if x >= u else x
            x = x if z < nd else 0.0
            x = u if pv == 0.0 else x
            s.x[k] = x
        k0 = k1


cdef inline double _sum(const double *x, Py_ssize_t k0, Py_ssize_t k1) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0
    cdef Py_ssize_t k = k0
    while k + 2 <= k1:
        a0 += x[k]
        a1 += x[k + 1]
        k += 2
    if k < k1:
        a0 += x[k]
    return a0 + a1


cdef void _sales(const double *p, Py_ssize_t V, Py_ssize_t B, const double *exog,
                 const int64_t *bgrp, const int64_t *gstart, const int64_t *gvin,
                 const Rec *rec, const double *cash, Scratch *s, double *S) noexcept nogil:
    """``S[v] = S_v(p)``: units of each vintage sold at price ``p`` (one evaluation of P)."""
    cdef Py_ssize_t b, g, g0, g1, k0, k1, cnt, v
    cdef double N, ratio
    cdef bint any_zero = False
    for v in range(V):
        S[v] = exog[v]
        if p[v] == 0.0:
            any_zero = True
    for b in range(B):
        g0 = bgrp[b]
        g1 = bgrp[b + 1]
        if g0 == g1:
            continue
        cnt = _collect_called(g0, g1, gstart, gvin, p, rec, s, &N)
        if cnt == 0:
            continue
        ratio = cash[b] / N
        if ratio >= 1.0:
            if not any_zero:
                continue  # every called loan is cured with cash alone
            ratio = 1.0
        _units_sold(g0, g1, gvin, p, rec, ratio, s)
        k0 = 0
        for g in range(g0, g1):
            k1 = s.end[g - g0]
            if k1 > k0:
                S[gvin[g]] += _sum(s.x, k0, k1)
            k0 = k1


def clear(const double[::1] ref_price, const double[::1] depth, const double[::1] exog_sales,
          const int64_t[::1] loan_vintage, const int64_t[::1] loan_borrower,
          const double[::1] loan_units, const double[::1] loan_debt,
          const double[::1] loan_margin_ltv, const double[::1] loan_target_ltv,
          const double[::1] borrower_cash, double tol, Py_ssize_t max_iter,
          double[::1] price, double[::1] units_sold, double[::1] cash_posted,
          double[::1] sold, uint8_t[::1] margin_called, uint8_t[::1] defaulted):
    """Clear one step; fill the output arrays.

    Inputs must be validated (ranges, lengths, dtypes) by the caller. Returns
    ``(iterations, converged)``.
    """
    cdef Py_ssize_t V = ref_price.shape[0]
    cdef Py_ssize_t L = loan_vintage.shape[0]
    cdef Py_ssize_t B = borrower_cash.shape[0]
    cdef Py_ssize_t j, l, b, v, g, k, k0, k1, K, pos, ngroups, maxb, cnt
    cdef Py_ssize_t g0, g1, iterations = 0
    cdef bint combined, converged = False
    cdef double N, ratio, nd, z, x
    cdef Rec *rec
    cdef Scratch s
    cdef const double *exog_ptr = NULL
    cdef const double *cash_ptr = NULL

    # ---- setup: group loans by (borrower, vintage); all allocation happens here ----
    combined = V > 0 and B <= (2 * L + 65536) // V
    K = B * V if combined else B
    cdef int64_t[::1] counts = np.zeros(K + 1, dtype=np.int64)
    cdef int64_t[::1] rank = np.empty(max(L, 1), dtype=np.int64)
    cdef int64_t[::1] gvl = np.empty(1 if combined else max(L, 1), dtype=np.int64)
    # one Rec per loan, in grouped order, as raw bytes owned by numpy (freed with the array)
    rec_buf = np.empty(max(L, 1) * sizeof(Rec), dtype=np.uint8)
    cdef uint8_t[::1] rec_mv = rec_buf
    rec = <Rec *> &rec_mv[0]
    cdef Py_ssize_t PF = 16  # prefetch distance (loans) for the two permutation passes
    cdef int64_t[::1] boff = np.zeros(B + 1, dtype=np.int64)
    cdef int64_t[::1] bgrp = np.zeros(B + 1, dtype=np.int64)
    cdef Py_ssize_t maxgroups = min(L, K) if combined else L
    cdef int64_t[::1] gstart = np.zeros(maxgroups + 1, dtype=np.int64)
    cdef int64_t[::1] gvin = np.zeros(max(maxgroups, 1), dtype=np.int64)
    cdef double[::1] p = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] pnew = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] S = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] thresh = np.empty(max(V, 1), dtype=np.float64)
    if V > 0:
        exog_ptr = &exog_sales[0]
    if B > 0:
        cash_ptr = &borrower_cash[0]

    with nogil:
        for l in range(L):
            k = loan_borrower[l] * V + loan_vintage[l] if combined else loan_borrower[l]
            counts[k + 1] += 1
        for k in range(K):
            counts[k + 1] += counts[k]
        for b in range(B + 1):
            boff[b] = counts[b * V] if combined else counts[b]
        ngroups = 0
        if combined:
            # groups are the non-empty keys b*V + v, in key order
            for b in range(B):
                bgrp[b] = ngroups
                for v in range(V):
                    k = b * V + v
                    if counts[k + 1] > counts[k]:
                        gstart[ngroups] = counts[k]
                        gvin[ngroups] = v
                        ngroups += 1
            bgrp[B] = ngroups
        # stable scatter into grouped order: one record per loan, rank = its position
        for l in range(L):
            if l + PF < L:
                k = (loan_borrower[l + PF] * V + loan_vintage[l + PF] if combined
                     else loan_borrower[l + PF])
                __builtin_prefetch(&rec[counts[k]], 1, 1)
            k = loan_borrower[l] * V + loan_vintage[l] if combined else loan_borrower[l]
            pos = counts[k]
            counts[k] = pos + 1
            rank[l] = pos
            rec[pos].loan.u = loan_units[l]
            rec[pos].loan.D = loan_debt[l]
            rec[pos].loan.m = loan_margin_ltv[l]
            rec[pos].loan.h = loan_target_ltv[l]
            if not combined:
                gvl[pos] = loan_vintage[l]
        if not combined:
            # groups: maximal runs of equal vintage inside one borrower's range
            for b in range(B):
                bgrp[b] = ngroups
                for j in range(boff[b], boff[b + 1]):
                    if j == boff[b] or gvl[j] != gvl[j - 1]:
                        gstart[ngroups] = j
                        gvin[ngroups] = gvl[j]
                        ngroups += 1
            bgrp[B] = ngroups
        gstart[ngroups] = L
        maxb = 1
        for b in range(B):
            if boff[b + 1] - boff[b] > maxb:
                maxb = boff[b + 1] - boff[b]

    cdef int64_t[::1] s_idx = np.empty(maxb, dtype=np.int64)
    cdef int64_t[::1] s_end = np.empty(maxb, dtype=np.int64)  # groups <= loans per borrower
    cdef double[:, ::1] s_dbl = np.empty((2, maxb), dtype=np.float64)
    cdef uint8_t[::1] s_flag = np.empty(maxb, dtype=np.uint8)
    s.flag = &s_flag[0]
    s.idx = &s_idx[0]
    s.end = &s_end[0]
    s.need = &s_dbl[0, 0]
    s.x = &s_dbl[1, 0]

    # ---- plain iteration p(k+1) = P(p(k)) from ref_price ----
    with nogil:
        for v in range(V):
            p[v] = ref_price[v]
            thresh[v] = tol * ref_price[v]
        while iterations < max_iter:
            _sales(&p[0], V, B, exog_ptr, &bgrp[0], &gstart[0], &gvin[0], rec, cash_ptr, &s,
                   &S[0])
            converged = True
            for v in range(V):
                pnew[v] = ref_price[v] * exp(-S[v] / depth[v])
                if not (fabs(pnew[v] - p[v]) <= thresh[v]):
                    converged = False
            for v in range(V):
                p[v] = pnew[v]
            iterations += 1
            if converged:
                break

        # ---- outputs at the returned price (the last iterate), same expressions ----
        for v in range(V):
            price[v] = p[v]
            units_sold[v] = exog_sales[v]
        for b in range(B):
            g0 = bgrp[b]
            g1 = bgrp[b + 1]
            if g0 == g1:
                continue
            cnt = _collect_called(g0, g1, &gstart[0], &gvin[0], &p[0], rec, &s, &N)
            if cnt > 0:
                ratio = borrower_cash[b] / N
                if ratio > 1.0:
                    ratio = 1.0
                _units_sold(g0, g1, &gvin[0], &p[0], rec, ratio, &s)
                k0 = 0
                for g in range(g0, g1):
                    k1 = s.end[g - g0]
                    if k1 > k0:
                        units_sold[gvin[g]] += _sum(s.x, k0, k1)
                    for k in range(k0, k1):
                        nd = s.need[k]
                        z = nd * ratio
                        s.need[k] = z
                        s.flag[k] = p[gvin[g]] == 0.0 or (z < nd and s.x[k] == rec[s.idx[k]].loan.u)
                    k0 = k1
            # the borrower's inputs are no longer needed: overwrite them with its outputs
            for j in range(gstart[g0], gstart[g1]):
                rec[j].out.z = 0.0
                rec[j].out.sold = 0.0
                rec[j].out.called = 0
                rec[j].out.defaulted = 0
            for k in range(cnt):
                j = s.idx[k]
                rec[j].out.z = s.need[k]
                rec[j].out.sold = s.x[k]
                rec[j].out.called = 1
                rec[j].out.defaulted = s.flag[k]
        # back to the caller's loan order: sequential writes, one record read per loan
        for l in range(L):
            if l + PF < L:
                __builtin_prefetch(&rec[rank[l + PF]], 0, 0)
            j = rank[l]
            cash_posted[l] = rec[j].out.z
            sold[l] = rec[j].out.sold
            margin_called[l] = rec[j].out.called
            defaulted[l] = rec[j].out.defaulted
    return iterations, bool(converged)
