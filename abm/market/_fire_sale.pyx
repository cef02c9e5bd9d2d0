# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernel of the fire-sale clearing (contract: shared/spec/fire-sale-clearing.md).

Call it through :func:`abm.market.clear_fire_sale`, which validates and converts the inputs;
this module trusts them.

Algorithm: the contract's plain iteration ``p(k+1) = P(p(k))`` from ``ref_price`` (so the
iterates, and the iteration count, are the reference's up to the rounding of sums), but each
evaluation of ``P`` is incremental, using the monotonicity of the iteration: the iterates
decrease, so

* a loan once margin-called stays called (``D > m * (u * p)`` keeps holding as ``p`` falls);
* a borrower's needs only grow, so its ratio ``r_b = min(1, c_b / N_b)`` only falls, each called
  loan sells more, and a loan once defaulted stays defaulted;
* a loan can only default once it is under water, ``p <= D / u`` (then ``x / u`` can reach 1;
  above it, ``x / u <= (q - h) / (1 - h) < 1`` with ``q = D / (u p) < 1``).

State, all allocated once before the loop (nothing proportional to ``L`` inside it):

* Loans are bucketed per vintage by their call trigger ``t = D / (m u)`` relative to
  ``ref_price`` (a counting sort on the top bits of the double ``t / ref``: 2**M buckets per
  binade, no comparison sort) and copied into that order. An iteration scans only the buckets
  the price has reached (plus a relative margin of 1e-9 against the rounding of ``t``), and
  decides each loan there with the contract's exact expression ``D > m * (u * p)``; called loans
  are swapped to the front of their bucket, never scanned again.
* Per group (borrower, vintage), running sums over called loans of ``D`` and ``h u`` (so
  ``N = sum D - p sum h u``), over the called loans not defaulted of ``D / (1 - h)`` and
  ``h u / (1 - h)`` (they sell in total ``(1 - r_b) (sum D/(1-h) / p - sum h u/(1-h))``, the
  contract's ``x`` summed, since ``D - z - h A = need (1 - r_b)``), and the defaulted units. The
  not-defaulted sums lose a loan's exact terms when it defaults; their rounding error stays of
  the order of the reference's own (eps times the sum of the terms), and a group with no live
  loan contributes exactly 0. Groups are numbered contiguously per borrower, and each iteration
  sweeps them in order twice (ratios, then sales).
* Called loans wait in per-vintage linked lists bucketed by ``D / u`` until the price reaches
  that level; then they join a compact list of under-water candidates, each checked every
  iteration with the contract's exact per-loan expressions (``z``, ``x >= u``, ``p == 0``,
  ``p (1 - h) == 0``) at the borrower's current ratio, and moved to the defaulted sums when
  they default.

One iteration costs O(groups with a called loan + newly called loans + under-water candidates
+ one partly reached bucket per vintage) instead of O(L). After the loop, every output is
evaluated at the returned price (the last iterate) by two exact passes over the loans in the
caller's order with the reference's expressions and order of summation, so the returned flags,
cash and sales are the reference's at that price. Deterministic; loops run without the GIL.
"""
import numpy as np

from libc.math cimport exp, fabs, INFINITY
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.string cimport memcpy


cdef struct LoanRec:
    # a loan's inputs, in call-trigger bucket order
    double u
    double D
    double m
    double h
    int32_t g      # its group (borrower, vintage)
    int32_t b      # its borrower


cdef struct NeedAgg:
    # sums over the called loans of one group (borrower, vintage)
    double sd        # D
    double shu       # h * u


cdef struct SaleAgg:
    # sums over the called loans of one group that have not defaulted, and the defaulted units
    double sdh       # D / (1 - h), not defaulted
    double shuh      # h * u / (1 - h), not defaulted
    double su_def    # u, defaulted
    int64_t n_live   # number not defaulted


cdef struct Cand:
    # an under-water candidate: a called, not yet defaulted loan with p <= D / u (about)
    double u
    double D
    double h
    int32_t g
    int32_t b
    int64_t v


cdef extern from *:
    void __builtin_prefetch(const void *addr, int rw, int locality) nogil


cdef enum:
    BINADES = 48     # buckets cover t / ref down to 2**-48; below, one last bucket


cdef double MARGIN = 1e-9  # relative slack against the rounding of triggers and ratios
cdef uint64_t ONE_BITS = 0x3FF0000000000000ULL


cdef inline uint64_t _bits(double x) noexcept nogil:
    cdef uint64_t b
    memcpy(&b, &x, 8)
    return b


cdef inline double _double(uint64_t b) noexcept nogil:
    cdef double x
    memcpy(&x, &b, 8)
    return x


cdef inline Py_ssize_t _bucket(double y, int shift, Py_ssize_t nb) noexcept nogil:
    """Bucket of a trigger ``y = t / ref`` (>= 0 or inf): 0 for y >= 1, then 2**M per binade
    in decreasing ``y`` (``shift = 52 - M``); everything below the last edge in ``nb - 1``."""
    cdef uint64_t e
    if not (y < 1.0):
        return 0
    e = (ONE_BITS - _bits(y)) >> shift
    if e >= <uint64_t> (nb - 2):
        return nb - 1
    return 1 + <Py_ssize_t> e


cdef inline bint _defaults(double u, double D, double h, double pv, double ratio) noexcept nogil:
    """The contract's per-loan default decision for a called loan (reference expressions)."""
    cdef double A = u * pv
    cdef double need = D - h * A
    cdef double z = need * ratio
    cdef double num, den, x
    if pv == 0.0:
        return True
    if not (z < need):
        return False
    num = D - z - h * A
    den = pv * (1.0 - h)
    if num <= 0.0:
        x = 0.0
    elif den == 0.0:
        x = INFINITY
    else:
        x = num / den
    return x >= u


def clear(const double[::1] ref_price, const double[::1] depth, const double[::1] exog_sales,
          const int64_t[::1] loan_vintage, const int64_t[::1] loan_borrower,
          const double[::1] loan_units, const double[::1] loan_debt,
          const double[::1] loan_margin_ltv, const double[::1] loan_target_ltv,
          const double[::1] borrower_cash, double tol, Py_ssize_t max_iter,
          double[::1] price, double[::1] units_sold, double[::1] cash_posted,
          double[::1] sold, uint8_t[::1] margin_called, uint8_t[::1] defaulted):
    """Clear one step; fill the output arrays (every element is written).

    Inputs must be validated (ranges, lengths, dtypes) by the caller. Returns
    ``(iterations, converged)``.
    """
    cdef Py_ssize_t V = ref_price.shape[0]
    cdef Py_ssize_t L = loan_vintage.shape[0]
    cdef Py_ssize_t B = borrower_cash.shape[0]
    cdef Py_ssize_t l, b, v, g, i, j, e, k, k2, key, G, ncand = 0
    cdef Py_ssize_t PF = 8  # prefetch distance (loans) when calling loans
    cdef Py_ssize_t iterations = 0
    cdef bint dense, converged = False, called, dflt
    cdef double pv, ylim, y, A, need, z, num, den, x, rb, s, N, hu, omh, u, D, h
    cdef LoanRec tmp
    cdef LoanRec *r
    cdef SaleAgg *sa
    cdef Cand *c
    if L >= 2**31 - 1 or B >= 2**31 - 1:
        raise OverflowError("the fire-sale kernel indexes loans and borrowers with int32")

    # ---- bucket geometry: 2**M buckets per binade, at most about max(65536, 2L) in all ----
    cdef int M = 6
    cdef Py_ssize_t cap = max(65536, 2 * L)
    cdef Py_ssize_t NB = 2 + BINADES * (1 << M)
    while V * NB > cap and M > 0:
        M -= 1
        NB = 2 + BINADES * (1 << M)
    if V * NB > cap:
        NB = max(2, cap // max(V, 1))
    cdef int shift = 52 - M
    cdef Py_ssize_t NK = max(V * NB, 1)

    # ---- groups (borrower, vintage), contiguous per borrower: bgo[b] .. bgo[b+1]-1 ----
    # dense ids b*V + v when there are few; else one id per distinct (b, v) present
    dense = B * V <= L // 4 + 4096
    G = B * V if dense else L
    cdef int64_t[::1] bgo = np.empty(B + 1, dtype=np.int64)
    cdef int64_t[::1] gv = np.empty(max(G, 1), dtype=np.int64)
    cdef int32_t[::1] gid = np.empty(1 if dense else max(L, 1), dtype=np.int32)
    cdef int64_t[::1] border, boff, stamp, slot
    if dense:
        with nogil:
            for b in range(B + 1):
                bgo[b] = b * V
            for b in range(B):
                for v in range(V):
                    gv[b * V + v] = v
    else:
        # counting sort by borrower, then one id per distinct vintage of each borrower
        boff = np.zeros(B + 1, dtype=np.int64)
        border = np.empty(max(L, 1), dtype=np.int64)
        stamp = np.full(max(V, 1), -1, dtype=np.int64)
        slot = np.zeros(max(V, 1), dtype=np.int64)
        with nogil:
            for l in range(L):
                boff[loan_borrower[l] + 1] += 1
            for b in range(B):
                boff[b + 1] += boff[b]
            for l in range(L):
                b = loan_borrower[l]
                border[boff[b]] = l
                boff[b] += 1
            G = 0
            j = 0
            for b in range(B):
                bgo[b] = G
                while j < boff[b]:  # boff[b] is now the end of borrower b's loans
                    l = border[j]
                    v = loan_vintage[l]
                    if stamp[v] != b:
                        stamp[v] = b
                        slot[v] = G
                        gv[G] = v
                        G += 1
                    gid[l] = <int32_t> slot[v]
                    j += 1
            bgo[B] = G
        border = boff = stamp = slot = None

    need_buf = np.zeros(max(G, 1) * sizeof(NeedAgg), dtype=np.uint8)
    cdef uint8_t[::1] need_mv = need_buf
    cdef NeedAgg *nagg = <NeedAgg *> &need_mv[0]
    sale_buf = np.zeros(max(G, 1) * sizeof(SaleAgg), dtype=np.uint8)
    cdef uint8_t[::1] sale_mv = sale_buf
    cdef SaleAgg *sagg = <SaleAgg *> &sale_mv[0]
    cdef uint8_t[::1] bact = np.zeros(max(B, 1), dtype=np.uint8)  # borrower has a call

    # ---- loans into call-trigger bucket order (counting sort; D == 0 is never called) ----
    cdef int64_t[::1] bstart = np.zeros(NK + 1, dtype=np.int64)
    cdef int64_t[::1] bdone = np.empty(NK, dtype=np.int64)  # [bstart, bdone): called loans
    cdef int32_t[::1] lkey = np.empty(max(L, 1), dtype=np.int32)
    cdef double[::1] yhi = np.empty(NB, dtype=np.float64)   # upper edge of each bucket
    cdef int64_t[::1] f1 = np.zeros(max(V, 1), dtype=np.int64)   # first unfinished bucket
    cdef int64_t[::1] f2 = np.zeros(max(V, 1), dtype=np.int64)   # first unreached D/u bucket
    cdef int64_t[::1] head2 = np.full(NK, -1, dtype=np.int64)    # D/u lists of called loans
    cdef int32_t[::1] next2 = np.empty(max(L, 1), dtype=np.int32)
    rec_buf = np.empty(max(L, 1) * sizeof(LoanRec), dtype=np.uint8)
    cdef uint8_t[::1] rec_mv = rec_buf
    cdef LoanRec *rec = <LoanRec *> &rec_mv[0]
    cand_buf = np.empty(max(L, 1) * sizeof(Cand), dtype=np.uint8)
    cdef uint8_t[::1] cand_mv = cand_buf
    cdef Cand *cand = <Cand *> &cand_mv[0]
    cdef double[::1] p = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] pnew = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] S = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] thresh = np.empty(max(V, 1), dtype=np.float64)
    cdef double[::1] Nb = np.zeros(max(B, 1), dtype=np.float64)
    cdef double[::1] ratio = np.ones(max(B, 1), dtype=np.float64)

    with nogil:
        yhi[0] = INFINITY
        for k in range(1, NB):
            yhi[k] = _double(ONE_BITS - ((<uint64_t> (k - 1)) << shift))
        for l in range(L):
            D = loan_debt[l]
            v = loan_vintage[l]
            y = D / (loan_margin_ltv[l] * loan_units[l]) / ref_price[v]
            key = v * NB + _bucket(y, shift, NB) if D > 0.0 else -1
            lkey[l] = <int32_t> key
            bstart[key + 1] += 1  # key -1 counts in bstart[0], fixed below
        bstart[0] = 0
        for k in range(NK):
            bstart[k + 1] += bstart[k]
        for k in range(NK):
            bdone[k] = bstart[k]  # the scatter cursor, then the called/uncalled boundary
        for l in range(L):
            key = lkey[l]
            if key >= 0:
                j = bdone[key]
                bdone[key] = j + 1
                r = &rec[j]
                r.u = loan_units[l]
                r.D = loan_debt[l]
                r.m = loan_margin_ltv[l]
                r.h = loan_target_ltv[l]
                b = loan_borrower[l]
                r.b = <int32_t> b
                r.g = <int32_t> (b * V + loan_vintage[l] if dense else gid[l])
        for k in range(NK):
            bdone[k] = bstart[k]

    # ---- plain iteration p(k+1) = P(p(k)) from ref_price, evaluated incrementally ----
    with nogil:
        for v in range(V):
            p[v] = ref_price[v]
            thresh[v] = tol * ref_price[v]
        while iterations < max_iter:
            for v in range(V):
                pv = p[v]
                ylim = (pv / ref_price[v]) * (1.0 - MARGIN)
                # 1. new margin calls: scan the reached buckets, exact test per loan
                k = f1[v]
                while k < NB and yhi[k] >= ylim:
                    key = v * NB + k
                    j = bdone[key]
                    e = bstart[key + 1]
                    for i in range(j, e):
                        if i + PF < e:
                            g = rec[i + PF].g
                            __builtin_prefetch(&nagg[g], 1, 1)
                            __builtin_prefetch(&sagg[g], 1, 1)
                        r = &rec[i]
                        if r.D > r.m * (r.u * pv):
                            if i != j:
                                tmp = rec[i]
                                rec[i] = rec[j]
                                rec[j] = tmp
                            r = &rec[j]
                            g = r.g
                            bact[r.b] = 1
                            u = r.u
                            D = r.D
                            h = r.h
                            hu = h * u
                            omh = 1.0 - h
                            nagg[g].sd += D
                            nagg[g].shu += hu
                            sa = &sagg[g]
                            sa.sdh += D / omh
                            sa.shuh += hu / omh
                            sa.n_live += 1
                            # wait for the price to reach D / u, or be a candidate already
                            k2 = _bucket(D / u / ref_price[v], shift, NB)
                            if k2 < f2[v] or yhi[k2] >= ylim:
                                c = &cand[ncand]
                                c.u = u
                                c.D = D
                                c.h = h
                                c.g = r.g
                                c.b = r.b
                                c.v = v
                                ncand += 1
                            else:
                                next2[j] = <int32_t> head2[v * NB + k2]
                                head2[v * NB + k2] = j
                            j += 1
                    bdone[key] = j
                    k += 1
                while f1[v] < NB and bdone[v * NB + f1[v]] == bstart[v * NB + f1[v] + 1]:
                    f1[v] += 1
                # 2. called loans whose D / u the price has reached become candidates
                while f2[v] < NB and yhi[f2[v]] >= ylim:
                    key = v * NB + f2[v]
                    j = head2[key]
                    while j >= 0:
                        c = &cand[ncand]
                        c.u = rec[j].u
                        c.D = rec[j].D
                        c.h = rec[j].h
                        c.g = rec[j].g
                        c.b = rec[j].b
                        c.v = v
                        ncand += 1
                        j = next2[j]
                    head2[key] = -1
                    f2[v] += 1
            # 3. N_b and the ratio of every borrower with a called loan (groups in order)
            for b in range(B):
                if bact[b]:
                    N = 0.0
                    for g in range(bgo[b], bgo[b + 1]):
                        N += nagg[g].sd - p[gv[g]] * nagg[g].shu
                    if N > 0.0:
                        rb = borrower_cash[b] / N
                    else:  # rounding of a vanishing need
                        rb = 1.0 if borrower_cash[b] > 0.0 else 0.0
                    ratio[b] = rb if rb < 1.0 else 1.0
            # 4. default checks of the under-water candidates (swap-remove the defaulted)
            i = 0
            while i < ncand:
                c = &cand[i]
                if _defaults(c.u, c.D, c.h, p[c.v], ratio[c.b]):
                    sa = &sagg[c.g]
                    hu = c.h * c.u
                    omh = 1.0 - c.h
                    sa.su_def += c.u
                    sa.sdh -= c.D / omh
                    sa.shuh -= hu / omh
                    sa.n_live -= 1
                    ncand -= 1
                    cand[i] = cand[ncand]
                else:
                    i += 1
            # 5. units sold per vintage (at p == 0 every called loan is a defaulted candidate)
            for v in range(V):
                S[v] = exog_sales[v]
            for b in range(B):
                if bact[b]:
                    rb = ratio[b]
                    s = 1.0 - rb
                    for g in range(bgo[b], bgo[b + 1]):
                        sa = &sagg[g]
                        v = gv[g]
                        pv = p[v]
                        x = sa.su_def
                        if rb < 1.0 and sa.n_live > 0 and pv > 0.0:
                            x += s * (sa.sdh / pv - sa.shuh)
                        S[v] += x
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

        # ---- outputs at the returned price (the last iterate): the reference's passes ----
        # same expressions and order of summation as the reference, written branch-free
        for v in range(V):
            price[v] = p[v]
            units_sold[v] = exog_sales[v]
        for b in range(B):
            Nb[b] = 0.0
        for l in range(L):
            A = loan_units[l] * p[loan_vintage[l]]
            D = loan_debt[l]
            called = D > loan_margin_ltv[l] * A
            need = D - loan_target_ltv[l] * A
            need = need if called else 0.0
            margin_called[l] = called
            cash_posted[l] = need  # the need, for now
            Nb[loan_borrower[l]] += need  # + 0.0 leaves a sum of positive needs unchanged
        for b in range(B):
            rb = borrower_cash[b] / Nb[b] if Nb[b] > 0.0 else 1.0
            ratio[b] = rb if rb < 1.0 else 1.0
        for l in range(L):
            v = loan_vintage[l]
            pv = p[v]
            u = loan_units[l]
            h = loan_target_ltv[l]
            need = cash_posted[l]
            z = need * ratio[loan_borrower[l]]
            num = loan_debt[l] - z - h * (u * pv)
            den = pv * (1.0 - h)
            x = num / den  # num > 0 and den == 0 give +inf: selling cannot cure
            x = x if num > 0.0 else 0.0
            dflt = x >= u
            x = x if z < need else 0.0
            dflt = dflt and z < need
            dflt = dflt or pv == 0.0
            dflt = dflt and margin_called[l]
            x = u if dflt else x
            cash_posted[l] = z
            sold[l] = x
            defaulted[l] = dflt
            units_sold[v] += x
    return iterations, bool(converged)
