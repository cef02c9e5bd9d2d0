# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernel of the fire-sale clearing (contract: docs/spec/fire-sale-clearing.md).

Call it through :func:`abm.markets.fire_sale_kernel.clear_fire_sale`, which validates and
converts the inputs; this module trusts them.

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

Code layout: :func:`clear` allocates the working state (struct ``Clearing``, plus the
per-loan inputs and outputs as ``LoanInputs`` / ``LoanOutputs``) and runs one
``cdef inline`` function per phase, all without the GIL: ``_number_groups_dense`` /
``_number_groups_sparse`` (groups), ``_bucket_loans`` (counting sort by call trigger), then
per iteration, for each vintage, ``_scan_new_calls`` (with ``_join_calls``),
``_advance_call_front`` and ``_promote_candidates``, then ``_update_ratios``,
``_check_defaults``, ``_tally_sales`` (units sold) and ``_next_price``; finally ``_outputs``.

Names in the code and the contract's symbols (``[V]`` per vintage, ``[B]`` per borrower,
``[G]`` per group, ``[L]`` per loan; a bucket ``key`` is ``v * n_buckets + k``):

================================  =============================================================
code                              contract symbol / meaning
================================  =============================================================
``u``, ``D``, ``m``, ``h``        a loan's units, debt, maintenance LTV, target LTV
``A``, ``need``, ``z``, ``x``     ``u * p[v]``; ``D - h A``; cash posted; units sold
``price`` / ``p`` [V]             the current iterate ``p(k)``; ``price_next`` is ``p(k+1)``
``units_sold`` / ``S`` [V]        ``S_v(p(k))``, exogenous sales included
``tol_abs`` [V]                   ``tol * ref_price``, the bound of the stopping test
``cash_ratio`` [B]                ``r_b = min(1, c_b / N_b)`` (``c_b`` is ``borrower_cash``)
``need_total`` [B]                ``N_b`` in the final pass (the iteration sums it per group)
``has_call`` [B]                  borrower ``b`` has a called loan
``NeedSums`` [G]                  sums of ``D`` and ``h u`` over called loans: ``N = D - p hu``
``SaleSums`` [G]                  sums of ``D / (1 - h)`` and ``h u / (1 - h)`` over the live
                                  called loans, of ``u`` over the defaulted ones, and the live
                                  count
``group_first`` [B + 1]           groups of borrower ``b``: ``group_first[b]`` to
                                  ``group_first[b + 1] - 1``
``group_vintage`` [G]             the vintage ``v`` of a group
``t_rel``                         ``D / (m u) / ref_price``: the call trigger ``t / ref``
``y_reached``                     ``p / ref_price * (1 - 1e-9)``: buckets with a top at least
                                  this are reached
``rec`` [L]                       the loans (``LoanRec``) in call-trigger bucket order
``bucket_top`` [n_buckets]        upper edge of bucket ``k`` in ``t / ref`` (or ``D / u / ref``)
``bucket_start``, ``called_end``  bucket ``key`` is ``rec[bucket_start[key]:bucket_start[key + 1]]``
                                  (its called loans: up to ``called_end[key]``)
``call_front`` [V]                first call bucket not yet fully called
``water_front`` [V]               first ``D / u`` bucket the price has not yet reached
``water_head``, ``water_next``    lists of the called loans waiting, per ``D / u`` bucket
``cands``, ``n_cands``            under-water candidates (``Cand``)
================================  =============================================================
"""
import numpy as np

from libc.math cimport exp, fabs, INFINITY
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.string cimport memcpy


# ---------------------------------------------------------------------------------------------
# Working state
# ---------------------------------------------------------------------------------------------

cdef struct LoanRec:
    # a loan's inputs, in call-trigger bucket order
    double u           # collateral units pledged
    double D           # debt (outstanding balance)
    double m           # maintenance LTV
    double h           # target LTV a call must restore
    int32_t group      # its group (borrower, vintage)
    int32_t borrower   # its borrower b


cdef struct NeedSums:
    # sums over the called loans of one group (borrower, vintage): N = D - p * hu
    double D           # sum of D
    double hu          # sum of h * u


cdef struct SaleSums:
    # sums over the called loans of one group that have not defaulted, and the defaulted units
    double D_omh       # sum of D / (1 - h), not defaulted
    double hu_omh      # sum of h * u / (1 - h), not defaulted
    double u_defaulted # sum of u, defaulted
    int64_t n_live     # number not defaulted


cdef struct Cand:
    # an under-water candidate: a called, not yet defaulted loan with p <= D / u (about)
    double u
    double D
    double h
    int32_t group
    int32_t borrower
    int64_t vintage


cdef struct LoanInputs:
    # the caller's per-loan arrays (length n), in the caller's order
    Py_ssize_t n
    const int64_t *vintage
    const int64_t *borrower
    const double *units
    const double *debt
    const double *margin_ltv
    const double *target_ltv


cdef struct LoanOutputs:
    # the caller's output arrays, written once, at the returned price
    double *price          # [V]
    double *units_sold     # [V]
    double *cash_posted    # [L]
    double *sold           # [L]
    uint8_t *margin_called # [L]
    uint8_t *defaulted     # [L]


cdef struct Clearing:
    # the working state of one call, all allocated before the iteration (nothing inside it)
    Py_ssize_t n_vintages          # V
    Py_ssize_t n_borrowers         # B
    # bucket geometry: n_buckets per vintage, key = v * n_buckets + k
    Py_ssize_t n_buckets
    int shift                      # 52 - M: 2**M buckets per binade of t / ref
    # inputs per vintage and per borrower
    const double *ref_price        # [V]
    const double *depth            # [V]
    const double *exog_sales       # [V]
    const double *borrower_cash    # [B]
    # loans in call-trigger bucket order; bucket key holds rec[bucket_start[key] ..
    # bucket_start[key + 1]), of which rec[bucket_start[key] .. called_end[key]) are called
    LoanRec *rec
    double *bucket_top             # [n_buckets] upper edge (t / ref) of bucket k
    int64_t *bucket_start          # [NK + 1]
    int64_t *called_end            # [NK]
    # per vintage
    int64_t *call_front            # first call bucket not yet fully called
    int64_t *water_front           # first D/u bucket the price has not yet reached
    double *price                  # p(k), the current iterate
    double *price_next             # p(k+1) = P(p(k))
    double *units_sold             # S_v(p(k))
    double *tol_abs                # tol * ref_price
    # called loans waiting for the price to reach D / u: linked lists per D/u bucket key
    int64_t *water_head            # [NK] first rec index of the list, -1 if empty
    int32_t *water_next            # [L] next rec index, -1 at the end
    # under-water candidates, checked for default every iteration
    Cand *cands
    Py_ssize_t n_cands
    # groups (borrower, vintage), contiguous per borrower: group_first[b] .. group_first[b+1]-1
    int64_t *group_first           # [B + 1]
    int64_t *group_vintage         # [G]
    NeedSums *need                 # [G]
    SaleSums *sale                 # [G]
    # per borrower
    uint8_t *has_call              # b has a called loan
    double *cash_ratio             # r_b = min(1, c_b / N_b)


cdef extern from *:
    void __builtin_prefetch(const void *addr, int rw, int locality) nogil


cdef enum:
    BINADES = 48     # buckets cover t / ref down to 2**-48; below, one last bucket
    PREFETCH_AHEAD = 8  # prefetch distance (loans) when scanning for calls


cdef double MARGIN = 1e-9  # relative slack against the rounding of triggers and ratios
cdef uint64_t ONE_BITS = 0x3FF0000000000000ULL


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Setup: groups and buckets
# ---------------------------------------------------------------------------------------------

cdef inline Py_ssize_t _bucket_geometry(Py_ssize_t n_loans, Py_ssize_t n_vintages,
                                        int *shift) noexcept nogil:
    """Buckets per vintage (2**M per binade, M <= 6, at most about max(65536, 2L) in all);
    sets ``shift = 52 - M``."""
    cdef int M = 6
    cdef Py_ssize_t cap = 2 * n_loans if 2 * n_loans > 65536 else 65536
    cdef Py_ssize_t n_buckets = 2 + BINADES * (1 << M)
    while n_vintages * n_buckets > cap and M > 0:
        M -= 1
        n_buckets = 2 + BINADES * (1 << M)
    if n_vintages * n_buckets > cap:
        n_buckets = cap // (n_vintages if n_vintages > 1 else 1)
        if n_buckets < 2:
            n_buckets = 2
    shift[0] = 52 - M
    return n_buckets


cdef inline void _number_groups_dense(Py_ssize_t n_borrowers, Py_ssize_t n_vintages,
                                      int64_t *group_first, int64_t *group_vintage) noexcept nogil:
    """Group id ``b * V + v`` for every (borrower, vintage), present or not."""
    cdef Py_ssize_t b, v
    for b in range(n_borrowers + 1):
        group_first[b] = b * n_vintages
    for b in range(n_borrowers):
        for v in range(n_vintages):
            group_vintage[b * n_vintages + v] = v


cdef inline Py_ssize_t _number_groups_sparse(
        const LoanInputs *loans, Py_ssize_t n_borrowers, int64_t *borrower_end,
        int64_t *by_borrower, int64_t *last_borrower, int64_t *group_of_vintage,
        int64_t *group_first, int64_t *group_vintage, int32_t *loan_group) noexcept nogil:
    """One group id per distinct (borrower, vintage) present, contiguous per borrower (a
    counting sort of the loans by borrower); returns the number of groups. ``borrower_end``
    [B + 1] must be zeros, ``last_borrower`` [V] all -1."""
    cdef Py_ssize_t l, b, v, j, n_groups
    for l in range(loans.n):
        borrower_end[loans.borrower[l] + 1] += 1
    for b in range(n_borrowers):
        borrower_end[b + 1] += borrower_end[b]
    for l in range(loans.n):
        b = loans.borrower[l]
        by_borrower[borrower_end[b]] = l
        borrower_end[b] += 1
    n_groups = 0
    j = 0
    for b in range(n_borrowers):
        group_first[b] = n_groups
        while j < borrower_end[b]:  # borrower_end[b] is now the end of borrower b's loans
            l = by_borrower[j]
            v = loans.vintage[l]
            if last_borrower[v] != b:
                last_borrower[v] = b
                group_of_vintage[v] = n_groups
                group_vintage[n_groups] = v
                n_groups += 1
            loan_group[l] = <int32_t> group_of_vintage[v]
            j += 1
    group_first[n_borrowers] = n_groups
    return n_groups


cdef inline void _bucket_loans(Clearing *st, const LoanInputs *loans, bint dense,
                               const int32_t *loan_group, int32_t *loan_key) noexcept nogil:
    """Copy the loans into ``st.rec`` in call-trigger bucket order: a counting sort by vintage,
    then by the bucket of ``t / ref = D / (m u) / ref_price`` (loans with D == 0, never called,
    are left out). ``st.bucket_start`` must be zeros; sets ``called_end = bucket_start``."""
    cdef Py_ssize_t n_buckets = st.n_buckets
    cdef Py_ssize_t n_keys = st.n_vintages * n_buckets if st.n_vintages > 0 else 1
    cdef int shift = st.shift
    cdef int64_t *bucket_start = st.bucket_start
    cdef int64_t *cursor = st.called_end  # the scatter cursor, then the called boundary
    cdef Py_ssize_t l, v, b, k, key, j
    cdef double D, t_rel
    cdef LoanRec *r
    st.bucket_top[0] = INFINITY
    for k in range(1, n_buckets):
        st.bucket_top[k] = _double(ONE_BITS - ((<uint64_t> (k - 1)) << shift))
    for l in range(loans.n):
        D = loans.debt[l]
        v = loans.vintage[l]
        t_rel = D / (loans.margin_ltv[l] * loans.units[l]) / st.ref_price[v]
        key = v * n_buckets + _bucket(t_rel, shift, n_buckets) if D > 0.0 else -1
        loan_key[l] = <int32_t> key
        bucket_start[key + 1] += 1  # key -1 counts in bucket_start[0], fixed below
    bucket_start[0] = 0
    for k in range(n_keys):
        bucket_start[k + 1] += bucket_start[k]
    for k in range(n_keys):
        cursor[k] = bucket_start[k]
    for l in range(loans.n):
        key = loan_key[l]
        if key >= 0:
            j = cursor[key]
            cursor[key] = j + 1
            r = &st.rec[j]
            r.u = loans.units[l]
            r.D = loans.debt[l]
            r.m = loans.margin_ltv[l]
            r.h = loans.target_ltv[l]
            b = loans.borrower[l]
            r.borrower = <int32_t> b
            r.group = <int32_t> (b * st.n_vintages + loans.vintage[l] if dense else loan_group[l])
    for k in range(n_keys):
        cursor[k] = bucket_start[k]


# ---------------------------------------------------------------------------------------------
# One iteration p(k+1) = P(p(k)), evaluated incrementally
# ---------------------------------------------------------------------------------------------

cdef inline void _add_candidate(Clearing *st, double u, double D, double h, int32_t group,
                                int32_t borrower, Py_ssize_t v) noexcept nogil:
    """Append an under-water candidate (a called loan the price has brought near D / u)."""
    cdef Cand *c = &st.cands[st.n_cands]
    c.u = u
    c.D = D
    c.h = h
    c.group = group
    c.borrower = borrower
    c.vintage = v
    st.n_cands += 1


cdef inline void _join_calls(Clearing *st, Py_ssize_t j, Py_ssize_t v,
                             double y_reached) noexcept nogil:
    """Loan ``rec[j]``, just margin-called, joins its group's sums; then it either waits in the
    list of its D/u bucket, or becomes an under-water candidate at once if the price has
    already reached that bucket."""
    cdef LoanRec *r = &st.rec[j]
    cdef Py_ssize_t g = r.group
    cdef double u = r.u
    cdef double D = r.D
    cdef double h = r.h
    cdef double hu = h * u
    cdef double omh = 1.0 - h
    cdef SaleSums *sale = &st.sale[g]
    cdef Py_ssize_t k_water, key
    st.has_call[r.borrower] = 1
    st.need[g].D += D
    st.need[g].hu += hu
    sale.D_omh += D / omh
    sale.hu_omh += hu / omh
    sale.n_live += 1
    k_water = _bucket(D / u / st.ref_price[v], st.shift, st.n_buckets)
    if k_water < st.water_front[v] or st.bucket_top[k_water] >= y_reached:
        _add_candidate(st, u, D, h, r.group, r.borrower, v)
    else:
        key = v * st.n_buckets + k_water
        st.water_next[j] = <int32_t> st.water_head[key]
        st.water_head[key] = j


cdef inline void _scan_new_calls(Clearing *st, Py_ssize_t v, double pv,
                                 double y_reached) noexcept nogil:
    """Margin-call the loans of vintage ``v`` that price ``pv`` calls: scan the uncalled part of
    every call bucket the price has reached (``bucket_top >= y_reached``), decide each loan with
    the contract's exact ``D > m * (u * p)``, swap the called ones to the front of the bucket."""
    cdef Py_ssize_t n_buckets = st.n_buckets
    cdef LoanRec *rec = st.rec
    cdef Py_ssize_t k = st.call_front[v]
    cdef Py_ssize_t key, i, j, end, g
    cdef LoanRec tmp
    cdef LoanRec *r
    while k < n_buckets and st.bucket_top[k] >= y_reached:
        key = v * n_buckets + k
        j = st.called_end[key]
        end = st.bucket_start[key + 1]
        for i in range(j, end):
            if i + PREFETCH_AHEAD < end:
                g = rec[i + PREFETCH_AHEAD].group
                __builtin_prefetch(&st.need[g], 1, 1)
                __builtin_prefetch(&st.sale[g], 1, 1)
            r = &rec[i]
            if r.D > r.m * (r.u * pv):
                if i != j:
                    tmp = rec[i]
                    rec[i] = rec[j]
                    rec[j] = tmp
                _join_calls(st, j, v, y_reached)
                j += 1
        st.called_end[key] = j
        k += 1


cdef inline void _advance_call_front(Clearing *st, Py_ssize_t v) noexcept nogil:
    """Skip the call buckets of vintage ``v`` whose loans are all called."""
    cdef Py_ssize_t base = v * st.n_buckets
    while (st.call_front[v] < st.n_buckets
           and st.called_end[base + st.call_front[v]]
           == st.bucket_start[base + st.call_front[v] + 1]):
        st.call_front[v] += 1


cdef inline void _promote_candidates(Clearing *st, Py_ssize_t v, double y_reached) noexcept nogil:
    """Called loans of vintage ``v`` whose D / u the price has reached become candidates."""
    cdef Py_ssize_t key, j
    cdef LoanRec *r
    while st.water_front[v] < st.n_buckets and st.bucket_top[st.water_front[v]] >= y_reached:
        key = v * st.n_buckets + st.water_front[v]
        j = st.water_head[key]
        while j >= 0:
            r = &st.rec[j]
            _add_candidate(st, r.u, r.D, r.h, r.group, r.borrower, v)
            j = st.water_next[j]
        st.water_head[key] = -1
        st.water_front[v] += 1


cdef inline void _update_ratios(Clearing *st) noexcept nogil:
    """``N_b`` and ``r_b = min(1, c_b / N_b)`` of every borrower with a called loan, summing
    its groups in order (``N = sum D - p * sum h u``)."""
    cdef Py_ssize_t b, g
    cdef double N, rb
    for b in range(st.n_borrowers):
        if st.has_call[b]:
            N = 0.0
            for g in range(st.group_first[b], st.group_first[b + 1]):
                N += st.need[g].D - st.price[st.group_vintage[g]] * st.need[g].hu
            if N > 0.0:
                rb = st.borrower_cash[b] / N
            else:  # rounding of a vanishing need
                rb = 1.0 if st.borrower_cash[b] > 0.0 else 0.0
            st.cash_ratio[b] = rb if rb < 1.0 else 1.0


cdef inline void _check_defaults(Clearing *st) noexcept nogil:
    """Decide every under-water candidate with the contract's expressions at its borrower's
    current ratio; a defaulted one leaves the candidates (swap-remove) and moves its terms from
    the not-defaulted sale sums to the defaulted units."""
    cdef Py_ssize_t i = 0
    cdef Cand *c
    cdef SaleSums *sale
    cdef double hu, omh
    while i < st.n_cands:
        c = &st.cands[i]
        if _defaults(c.u, c.D, c.h, st.price[c.vintage], st.cash_ratio[c.borrower]):
            sale = &st.sale[c.group]
            hu = c.h * c.u
            omh = 1.0 - c.h
            sale.u_defaulted += c.u
            sale.D_omh -= c.D / omh
            sale.hu_omh -= hu / omh
            sale.n_live -= 1
            st.n_cands -= 1
            st.cands[i] = st.cands[st.n_cands]
        else:
            i += 1


cdef inline void _tally_sales(Clearing *st) noexcept nogil:
    """Units sold per vintage ``S_v``: exogenous, plus per group the defaulted units and
    ``(1 - r_b) (sum D/(1-h) / p - sum h u/(1-h))`` for the live loans (the contract's ``x``
    summed). At p == 0 every called loan is a defaulted candidate."""
    cdef Py_ssize_t v, b, g
    cdef double rb, one_minus_rb, pv, x
    cdef SaleSums *sale
    for v in range(st.n_vintages):
        st.units_sold[v] = st.exog_sales[v]
    for b in range(st.n_borrowers):
        if st.has_call[b]:
            rb = st.cash_ratio[b]
            one_minus_rb = 1.0 - rb
            for g in range(st.group_first[b], st.group_first[b + 1]):
                sale = &st.sale[g]
                v = st.group_vintage[g]
                pv = st.price[v]
                x = sale.u_defaulted
                if rb < 1.0 and sale.n_live > 0 and pv > 0.0:
                    x += one_minus_rb * (sale.D_omh / pv - sale.hu_omh)
                st.units_sold[v] += x


cdef inline bint _next_price(Clearing *st) noexcept nogil:
    """``p(k+1) = ref_price * exp(-S / depth)`` replaces ``p(k)``; True when every
    ``|p(k+1) - p(k)| <= tol * ref_price`` (the contract's stopping test)."""
    cdef Py_ssize_t v
    cdef bint converged = True
    for v in range(st.n_vintages):
        st.price_next[v] = st.ref_price[v] * exp(-st.units_sold[v] / st.depth[v])
        if not (fabs(st.price_next[v] - st.price[v]) <= st.tol_abs[v]):
            converged = False
    for v in range(st.n_vintages):
        st.price[v] = st.price_next[v]
    return converged


cdef inline Py_ssize_t _iterate(Clearing *st, double tol, Py_ssize_t max_iter,
                                bint *converged) noexcept nogil:
    """The plain iteration from ``p(0) = ref_price`` until the stopping test or ``max_iter``;
    returns the number of applications of P, leaves the last iterate in ``st.price``."""
    cdef Py_ssize_t v, iterations = 0
    cdef double pv, y_reached
    converged[0] = False
    for v in range(st.n_vintages):
        st.price[v] = st.ref_price[v]
        st.tol_abs[v] = tol * st.ref_price[v]
    while iterations < max_iter:
        for v in range(st.n_vintages):
            pv = st.price[v]
            # buckets whose top is at least this are reached (1e-9 slack against rounding)
            y_reached = (pv / st.ref_price[v]) * (1.0 - MARGIN)
            _scan_new_calls(st, v, pv, y_reached)
            _advance_call_front(st, v)
            _promote_candidates(st, v, y_reached)
        _update_ratios(st)
        _check_defaults(st)
        _tally_sales(st)
        converged[0] = _next_price(st)
        iterations += 1
        if converged[0]:
            break
    return iterations


# ---------------------------------------------------------------------------------------------
# Outputs at the returned price: the reference's two passes over the loans
# ---------------------------------------------------------------------------------------------

cdef inline void _outputs(const LoanInputs *loans, const double *p, const double *exog_sales,
                          const double *borrower_cash, Py_ssize_t n_vintages,
                          Py_ssize_t n_borrowers, double *need_total, double *cash_ratio,
                          LoanOutputs *out) noexcept nogil:
    """Every output at the price ``p`` (the last iterate), with the reference's expressions and
    order of summation, written branch-free: calls and needs (``cash_posted`` holds the need
    meanwhile), ``N_b`` and ``r_b``, then cash, sales and defaults."""
    cdef Py_ssize_t l, v, b
    cdef double A, D, need, rb, pv, u, h, z, num, den, x
    cdef bint called, dflt
    for v in range(n_vintages):
        out.price[v] = p[v]
        out.units_sold[v] = exog_sales[v]
    for b in range(n_borrowers):
        need_total[b] = 0.0
    for l in range(loans.n):
        A = loans.units[l] * p[loans.vintage[l]]
        D = loans.debt[l]
        called = D > loans.margin_ltv[l] * A
        need = D - loans.target_ltv[l] * A
        need = need if called else 0.0
        out.margin_called[l] = called
        out.cash_posted[l] = need  # the need, for now
        need_total[loans.borrower[l]] += need  # + 0.0 leaves a sum of positive needs unchanged
    for b in range(n_borrowers):
        rb = borrower_cash[b] / need_total[b] if need_total[b] > 0.0 else 1.0
        cash_ratio[b] = rb if rb < 1.0 else 1.0
    for l in range(loans.n):
        v = loans.vintage[l]
        pv = p[v]
        u = loans.units[l]
        h = loans.target_ltv[l]
        need = out.cash_posted[l]
        z = need * cash_ratio[loans.borrower[l]]
        num = loans.debt[l] - z - h * (u * pv)
        den = pv * (1.0 - h)
        x = num / den  # num > 0 and den == 0 give +inf: selling cannot cure
        x = x if num > 0.0 else 0.0
        dflt = x >= u
        x = x if z < need else 0.0
        dflt = dflt and z < need
        dflt = dflt or pv == 0.0
        dflt = dflt and out.margin_called[l]
        x = u if dflt else x
        out.cash_posted[l] = z
        out.sold[l] = x
        out.defaulted[l] = dflt
        out.units_sold[v] += x


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

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
    cdef Py_ssize_t n_groups, iterations
    cdef bint dense, converged = False
    cdef Clearing st
    cdef LoanInputs loans
    cdef LoanOutputs out
    if L >= 2**31 - 1 or B >= 2**31 - 1:
        raise OverflowError("the fire-sale kernel indexes loans and borrowers with int32")
    loans.n = L
    loans.vintage = &loan_vintage[0]
    loans.borrower = &loan_borrower[0]
    loans.units = &loan_units[0]
    loans.debt = &loan_debt[0]
    loans.margin_ltv = &loan_margin_ltv[0]
    loans.target_ltv = &loan_target_ltv[0]
    out.price = &price[0]
    out.units_sold = &units_sold[0]
    out.cash_posted = &cash_posted[0]
    out.sold = &sold[0]
    out.margin_called = &margin_called[0]
    out.defaulted = &defaulted[0]

    st.n_vintages = V
    st.n_borrowers = B
    st.n_buckets = _bucket_geometry(L, V, &st.shift)
    cdef Py_ssize_t n_keys = max(V * st.n_buckets, 1)
    st.ref_price = &ref_price[0]
    st.depth = &depth[0]
    st.exog_sales = &exog_sales[0]
    st.borrower_cash = &borrower_cash[0]

    # ---- groups (borrower, vintage): dense ids b * V + v when there are few, else sparse ----
    dense = B * V <= L // 4 + 4096
    n_groups = B * V if dense else L  # sparse: at most L, the exact count comes below
    cdef int64_t[::1] group_first = np.empty(B + 1, dtype=np.int64)
    cdef int64_t[::1] group_vintage = np.empty(max(n_groups, 1), dtype=np.int64)
    cdef int32_t[::1] loan_group = np.empty(1 if dense else max(L, 1), dtype=np.int32)
    cdef int64_t[::1] borrower_end, by_borrower, last_borrower, group_of_vintage
    if dense:
        with nogil:
            _number_groups_dense(B, V, &group_first[0], &group_vintage[0])
    else:
        borrower_end = np.zeros(B + 1, dtype=np.int64)
        by_borrower = np.empty(max(L, 1), dtype=np.int64)
        last_borrower = np.full(max(V, 1), -1, dtype=np.int64)
        group_of_vintage = np.zeros(max(V, 1), dtype=np.int64)
        with nogil:
            n_groups = _number_groups_sparse(
                &loans, B, &borrower_end[0], &by_borrower[0], &last_borrower[0],
                &group_of_vintage[0], &group_first[0], &group_vintage[0], &loan_group[0])
        borrower_end = by_borrower = last_borrower = group_of_vintage = None
    st.group_first = &group_first[0]
    st.group_vintage = &group_vintage[0]

    # ---- the rest of the working state, zeroed or filled as each phase expects ----
    need_buf = np.zeros(max(n_groups, 1) * sizeof(NeedSums), dtype=np.uint8)
    cdef uint8_t[::1] need_mv = need_buf
    st.need = <NeedSums *> &need_mv[0]
    sale_buf = np.zeros(max(n_groups, 1) * sizeof(SaleSums), dtype=np.uint8)
    cdef uint8_t[::1] sale_mv = sale_buf
    st.sale = <SaleSums *> &sale_mv[0]
    cdef uint8_t[::1] has_call = np.zeros(max(B, 1), dtype=np.uint8)
    st.has_call = &has_call[0]
    cdef int64_t[::1] bucket_start = np.zeros(n_keys + 1, dtype=np.int64)
    st.bucket_start = &bucket_start[0]
    cdef int64_t[::1] called_end = np.empty(n_keys, dtype=np.int64)
    st.called_end = &called_end[0]
    cdef int32_t[::1] loan_key = np.empty(max(L, 1), dtype=np.int32)
    cdef double[::1] bucket_top = np.empty(st.n_buckets, dtype=np.float64)
    st.bucket_top = &bucket_top[0]
    cdef int64_t[::1] call_front = np.zeros(max(V, 1), dtype=np.int64)
    st.call_front = &call_front[0]
    cdef int64_t[::1] water_front = np.zeros(max(V, 1), dtype=np.int64)
    st.water_front = &water_front[0]
    cdef int64_t[::1] water_head = np.full(n_keys, -1, dtype=np.int64)
    st.water_head = &water_head[0]
    cdef int32_t[::1] water_next = np.empty(max(L, 1), dtype=np.int32)
    st.water_next = &water_next[0]
    rec_buf = np.empty(max(L, 1) * sizeof(LoanRec), dtype=np.uint8)
    cdef uint8_t[::1] rec_mv = rec_buf
    st.rec = <LoanRec *> &rec_mv[0]
    cand_buf = np.empty(max(L, 1) * sizeof(Cand), dtype=np.uint8)
    cdef uint8_t[::1] cand_mv = cand_buf
    st.cands = <Cand *> &cand_mv[0]
    st.n_cands = 0
    cdef double[::1] p = np.empty(max(V, 1), dtype=np.float64)
    st.price = &p[0]
    cdef double[::1] p_next = np.empty(max(V, 1), dtype=np.float64)
    st.price_next = &p_next[0]
    cdef double[::1] S = np.empty(max(V, 1), dtype=np.float64)
    st.units_sold = &S[0]
    cdef double[::1] tol_abs = np.empty(max(V, 1), dtype=np.float64)
    st.tol_abs = &tol_abs[0]
    cdef double[::1] need_total = np.zeros(max(B, 1), dtype=np.float64)
    cdef double[::1] cash_ratio = np.ones(max(B, 1), dtype=np.float64)
    st.cash_ratio = &cash_ratio[0]

    with nogil:
        _bucket_loans(&st, &loans, dense, &loan_group[0], &loan_key[0])
        iterations = _iterate(&st, tol, max_iter, &converged)
        _outputs(&loans, st.price, st.exog_sales, st.borrower_cash, V, B, &need_total[0],
                 &cash_ratio[0], &out)
    return iterations, bool(converged)
