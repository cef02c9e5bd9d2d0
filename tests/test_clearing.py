"""Tests for abm.clearing: Eisenberg-Noe clearing with Rogers-Veraart default costs.

Contract: docs/spec/payment-clearing.md.  Hand-worked examples state their arithmetic
in the docstring; random networks check the invariants and compare with plain iteration
of Phi from pbar (the reference for the greatest clearing vector).
"""
import time

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import aicredit.abm.clearing as clearing
from aicredit.abm.clearing import (
    PaymentClearingResult,
    _clear_payments_iterative,
    clear_payments,
    received_payments,
)

# ----------------------------------------------------------------------------- helpers

def phi(L, e, p, alpha=1.0, beta=1.0, tol=1e-12):
    """Phi as written in the contract (dense), with its rule for ties: funds short of ``pbar``
    by no more than ``tol * pbar`` (rounding) count as paying in full."""
    L = L.toarray() if sp.issparse(L) else np.asarray(L, dtype=float)
    pbar = L.sum(axis=1)
    Pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    inflow = Pi.T @ p
    return np.where(pbar - (e + inflow) <= tol * pbar, pbar, alpha * e + beta * inflow)


def random_network(rng, n, density, e_scale):
    """Sparse random liabilities (no self-loops) and external assets that cause defaults."""
    L = sp.random(n, n, density=density, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.exponential(1.0, k))
    L.setdiag(0)
    L.eliminate_zeros()
    pbar = np.asarray(L.sum(axis=1)).ravel()
    e = rng.exponential(e_scale * max(pbar.mean(), 1e-9), n)
    e[rng.random(n) < 0.2] = 0.0
    return L, e


def check_invariants(L, e, res, alpha, beta):
    Ld = L.toarray() if sp.issparse(L) else np.asarray(L, dtype=float)
    # the row sums as the caller computes them from what it passed (bit-exact comparison)
    pbar = np.asarray((L if sp.issparse(L) else Ld).sum(axis=1)).ravel()
    p = res.payments
    scale = max(1.0, pbar.max(initial=0.0))
    assert res.converged
    assert p.dtype == np.float64 and res.defaulted.dtype == bool
    assert np.all(p >= 0) and np.all(p <= pbar)
    np.testing.assert_array_equal(res.defaulted, p < pbar)
    assert not np.any(res.defaulted & (p == pbar))
    recv = received_payments(L, p)
    np.testing.assert_allclose(recv, Ld.T @ np.divide(p, pbar, out=np.zeros_like(p),
                                                      where=pbar > 0), rtol=1e-12, atol=1e-12)
    # what is paid inside the network is received inside it
    assert recv.sum() == pytest.approx(p.sum(), rel=1e-12, abs=1e-12)
    # a fixed point of Phi
    np.testing.assert_allclose(phi(Ld, e, p, alpha, beta), p, rtol=0, atol=1e-9 * scale)
    d = res.defaulted
    if alpha == 1.0 and beta == 1.0:
        # a defaulter pays out exactly what it has
        np.testing.assert_allclose(p[d], (e + recv)[d], rtol=1e-10, atol=1e-10 * scale)
    else:
        np.testing.assert_allclose(p[d], (alpha * e + beta * recv)[d], rtol=1e-10,
                                   atol=1e-10 * scale)
    # a defaulter really is short, a full payer really can pay
    assert np.all((e + recv)[d] < pbar[d] + 1e-9 * scale)
    assert np.all((e + recv)[~d] >= pbar[~d] - 1e-9 * scale)


# ----------------------------------------------------------------------- hand examples

def test_no_default_when_everyone_can_pay():
    """A owes B 1 and B owes A 1, no external assets.

    At p = pbar = (1, 1) each receives 1 and owes 1, so both pay in full: p = (1, 1).
    """
    res = clear_payments([[0, 1], [1, 0]], [0, 0])
    assert isinstance(res, PaymentClearingResult)
    np.testing.assert_array_equal(res.payments, [1.0, 1.0])
    np.testing.assert_array_equal(res.defaulted, [False, False])
    assert res.converged and res.iterations == 1


def test_single_default_pays_what_it_has():
    """A owes B 10 and holds 4 in cash; B owes nothing.

    A's funds are 4 + 0 < 10, so A pays 4; B owes nothing, pays 0 and is not defaulted.
    """
    res = clear_payments(np.array([[0.0, 10.0], [0.0, 0.0]]), np.array([4.0, 7.0]))
    np.testing.assert_allclose(res.payments, [4.0, 0.0])
    np.testing.assert_array_equal(res.defaulted, [True, False])


def test_chain_of_defaults():
    """A owes B 10, B owes C 8, C owes D 9; external assets e = (4, 2, 1, 0).

    Round 1 (everyone pays pbar = (10, 8, 9, 0)): A has 4 < 10 -> A defaults;
    B has 2 + 10 = 12 >= 8; C has 1 + 8 = 9 >= 9.
    Round 2: A pays 4; B has 2 + 4 = 6 < 8 -> B defaults.
    Round 3: B pays 6; C has 1 + 6 = 7 < 9 -> C defaults and pays 7.
    Round 4: nobody new.  p = (4, 6, 7, 0); D receives 7.
    """
    L = np.zeros((4, 4))
    L[0, 1], L[1, 2], L[2, 3] = 10, 8, 9
    e = np.array([4.0, 2.0, 1.0, 0.0])
    res = clear_payments(L, e)
    np.testing.assert_allclose(res.payments, [4.0, 6.0, 7.0, 0.0], rtol=1e-14)
    np.testing.assert_array_equal(res.defaulted, [True, True, True, False])
    assert res.iterations == 4 and res.converged
    np.testing.assert_allclose(received_payments(L, res.payments), [0, 4, 6, 7])
    check_invariants(L, e, res, 1.0, 1.0)


def test_default_costs_turn_a_survivor_into_a_defaulter():
    """A owes B 10, B owes C 8; e = (6, 3, 0); alpha = beta = 1/2.

    Without costs A pays 6, B has 3 + 6 = 9 >= 8 and pays 8: p = (6, 8, 0).
    With alpha = beta = 1/2: A defaults and pays 0.5 * 6 + 0.5 * 0 = 3; B then has
    3 + 3 = 6 < 8, defaults and pays 0.5 * 3 + 0.5 * 3 = 3: p = (3, 3, 0).
    """
    L = np.array([[0.0, 10.0, 0.0], [0.0, 0.0, 8.0], [0.0, 0.0, 0.0]])
    e = np.array([6.0, 3.0, 0.0])
    np.testing.assert_allclose(clear_payments(L, e).payments, [6.0, 8.0, 0.0])
    res = clear_payments(L, e, alpha=0.5, beta=0.5)
    np.testing.assert_allclose(res.payments, [3.0, 3.0, 0.0], rtol=1e-14)
    np.testing.assert_array_equal(res.defaulted, [True, True, False])
    check_invariants(L, e, res, 0.5, 0.5)


def test_default_costs_with_shared_creditor():
    """A owes B 4 and C 4 (pbar_A = 8); B owes A 2; e = (3, 1, 0); alpha = 0.8, beta = 0.5.

    Round 1: A has 3 + 2 = 5 < 8 -> default; B has 1 + 4 = 5 >= 2.
    Round 2: B pays 2, so A pays 0.8 * 3 + 0.5 * 2 = 3.4, half to B: B has 1 + 1.7 >= 2.
    p = (3.4, 2, 0); C receives 1.7.
    """
    L = np.array([[0.0, 4.0, 4.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    e = np.array([3.0, 1.0, 0.0])
    res = clear_payments(L, e, alpha=0.8, beta=0.5)
    np.testing.assert_allclose(res.payments, [3.4, 2.0, 0.0], rtol=1e-14)
    np.testing.assert_array_equal(res.defaulted, [True, False, False])
    np.testing.assert_allclose(received_payments(L, res.payments), [2.0, 1.7, 1.7])


def test_greatest_of_several_clearing_vectors():
    """A and B owe each other 10 and hold nothing else.

    Both p = (10, 10) and p = (0, 0) are clearing vectors (paying nothing, neither
    receives anything); the greatest one, (10, 10), must be returned, with and without
    default costs.
    """
    L = [[0, 10], [10, 0]]
    for a, b in [(1.0, 1.0), (0.3, 0.6)]:
        np.testing.assert_array_equal(phi(L, np.zeros(2), np.zeros(2), a, b), [0, 0])
        res = clear_payments(L, [0, 0], alpha=a, beta=b)
        np.testing.assert_array_equal(res.payments, [10.0, 10.0])
        assert not res.defaulted.any()


def test_closed_cycle_of_defaulters_without_external_assets():
    """A owes B 3, B owes C 2, C owes A 1; nobody has external assets.

    The payments of a closed cycle must be equal (each passes on all it gets): p = t (1,1,1).
    The greatest clearing vector takes the largest t with t <= pbar = (3, 2, 1): t = 1, so
    p = (1, 1, 1); A and B default, C pays in full.  (The linear system for the defaulters
    would be singular if C were wrongly counted as a defaulter.)
    """
    L = np.zeros((3, 3))
    L[0, 1], L[1, 2], L[2, 0] = 3, 2, 1
    res = clear_payments(L, np.zeros(3))
    np.testing.assert_allclose(res.payments, [1.0, 1.0, 1.0], rtol=1e-14)
    np.testing.assert_array_equal(res.defaulted, [True, True, False])
    check_invariants(L, np.zeros(3), res, 1.0, 1.0)


def test_leaky_cycle_drains_to_zero():
    """A owes B 10 and C 1, B owes A 10; no external assets.

    A has 10 < 11 and defaults.  Whatever A pays, B gets 10/11 of it and can then pay A
    at most that, so p_A = p_B (B passes on everything) and p_B = (10/11) p_A: the only
    clearing vector is p = 0 and everyone with debts defaults.
    """
    L = np.array([[0.0, 10.0, 1.0], [10.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    res = clear_payments(L, np.zeros(3))
    np.testing.assert_allclose(res.payments, [0.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_array_equal(res.defaulted, [True, True, False])


def test_empty_network():
    res = clear_payments(np.zeros((0, 0)), np.zeros(0))
    assert res.payments.shape == (0,) and res.defaulted.shape == (0,) and res.converged


def test_result_is_frozen():
    res = clear_payments([[0, 1], [0, 0]], [0, 0])
    with pytest.raises(AttributeError):
        res.payments = np.zeros(2)
    with pytest.raises(ValueError):
        res.payments[0] = 5.0


# ---------------------------------------------------------------------- random networks

CASES = [(seed, n, density, e_scale, a, b)
         for seed, (n, density, e_scale, a, b) in enumerate([
             (5, 0.5, 0.3, 1.0, 1.0), (30, 0.1, 0.5, 1.0, 1.0), (80, 0.05, 0.2, 1.0, 1.0),
             (200, 0.02, 0.1, 1.0, 1.0), (200, 0.02, 0.0, 1.0, 1.0),
             (60, 0.1, 0.5, 0.5, 0.9), (150, 0.03, 0.3, 0.9, 0.5), (200, 0.02, 1.0, 0.7, 0.7),
             (40, 0.2, 0.05, 1.0, 0.8), (120, 0.05, 0.2, 0.6, 1.0)])]


@pytest.mark.parametrize("seed,n,density,e_scale,alpha,beta", CASES)
def test_random_networks_invariants_and_greatest(seed, n, density, e_scale, alpha, beta):
    rng = np.random.default_rng(seed)
    L, e = random_network(rng, n, density, e_scale)
    res = clear_payments(L, e, alpha=alpha, beta=beta)
    check_invariants(L, e, res, alpha, beta)
    assert res.iterations <= n + 1
    ref = _clear_payments_iterative(L, e, alpha=alpha, beta=beta, tol=1e-15)
    assert ref.converged
    scale = max(1.0, np.asarray(L.sum(axis=1)).max())
    np.testing.assert_allclose(res.payments, ref.payments, rtol=0, atol=1e-8 * scale)
    np.testing.assert_array_equal(res.defaulted, ref.defaulted)


@pytest.mark.parametrize("seed", range(3))
def test_sparse_solver_paths_agree_with_dense_solve(monkeypatch, seed):
    """Force the BiCGSTAB path, then the sparse-LU path, then the plain-iteration fallback."""
    rng = np.random.default_rng(100 + seed)
    L, e = random_network(rng, 300, 0.02, 0.1)
    want = clear_payments(L, e).payments
    assert (want < np.asarray(L.sum(axis=1)).ravel()).sum() > 20
    monkeypatch.setattr(clearing, "DENSE_MAX", 0)
    np.testing.assert_allclose(clear_payments(L, e).payments, want, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(clearing, "KRYLOV_MAXITER", 1)
    monkeypatch.setattr(clearing, "KRYLOV_RTOL", 1e-300)
    np.testing.assert_allclose(clear_payments(L, e).payments, want, rtol=1e-10, atol=1e-10)
    monkeypatch.setattr(clearing, "solve_defaulters", lambda *a, **k: None)
    res = clear_payments(L, e)
    assert res.converged
    np.testing.assert_allclose(res.payments, want, rtol=1e-9, atol=1e-9)


def test_long_chain_of_defaulters(monkeypatch):
    """Institution i owes i+1 the amount 1 + i/1000 (i = 0..2999); only 0 has cash, 0.5.

    At p = pbar each receives 1 + (i-1)/1000 < 1 + i/1000, so all 3000 default in round 1;
    each passes on all it receives, so everyone pays 0.5 and the last one (who owes
    nothing) receives 0.5.  Round 2 confirms.  BiCGSTAB cannot resolve a 3000-long chain in
    its few hundred steps, so the sparse LU fallback must solve it.
    """
    n = 3001
    L = sp.diags_array(1 + np.arange(n - 1) / 1000, offsets=1, shape=(n, n)).tocsr()
    e = np.zeros(n)
    e[0] = 0.5
    calls = []
    spsolve = clearing.spla.spsolve
    monkeypatch.setattr(clearing.spla, "spsolve", lambda *a, **k: calls.append(1) or spsolve(*a, **k))
    res = clear_payments(L, e)
    want = np.full(n, 0.5)
    want[-1] = 0.0
    np.testing.assert_allclose(res.payments, want, rtol=1e-12)
    assert res.defaulted[:-1].all() and not res.defaulted[-1]
    assert res.iterations == 2 and calls == [1]
    check_invariants(L, e, res, 1.0, 1.0)


def test_a_tie_lost_to_rounding_still_pays_in_full():
    """Hypothesis found it: node 0 owes 14 (4 of it to itself) and has 3 + 11 = 14 at the fixed
    point, computed as 13.999999999999998 in one summation order. The contract's tolerance
    counts it as paying; the test's Phi applies the same rule (it used a strict comparison)."""
    L = np.array([[4., 0., 2., 3., 5.], [3., 2., 2., 4., 0.], [4., 1., 1., 2., 3.],
                  [0., 0., 5., 0., 0.], [2., 3., 0., 0., 0.]])
    e = np.array([3., 4., 1., 0., 0.])
    res = clear_payments(L, e, alpha=1.0, beta=0.75)
    assert res.payments[0] == 14.0 and not res.defaulted[0]
    check_invariants(L, e, res, 1.0, 0.75)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_hypothesis_small_integer_networks(data):
    """Integer amounts make exact ties (funds == pbar) common; they count as paying."""
    n = data.draw(st.integers(1, 6))
    L = data.draw(hnp.arrays(np.float64, (n, n), elements=st.integers(0, 5).map(float)))
    e = data.draw(hnp.arrays(np.float64, (n,), elements=st.integers(0, 6).map(float)))
    alpha = data.draw(st.sampled_from([1.0, 0.5, 0.25]))
    beta = data.draw(st.sampled_from([1.0, 0.75, 0.5]))
    res = clear_payments(L, e, alpha=alpha, beta=beta)
    check_invariants(L, e, res, alpha, beta)
    ref = _clear_payments_iterative(L, e, alpha=alpha, beta=beta, tol=1e-15)
    np.testing.assert_allclose(res.payments, ref.payments, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(res.payments, clear_payments(sp.csr_array(L), e,
                                                               alpha=alpha, beta=beta).payments)


def test_dense_and_sparse_inputs_give_identical_answers():
    """Every sparse format gives bit-identical results.  Dense input takes its row sums
    pbar from numpy (pairwise summation), as ``L.sum(axis=1)`` does for the caller, so
    it may differ from sparse input in the last bit only; the default flags agree."""
    rng = np.random.default_rng(7)
    L, e = random_network(rng, 150, 0.04, 0.2)
    dense = L.toarray()
    for a, b in [(1.0, 1.0), (0.9, 0.8)]:
        want = clear_payments(L, e, alpha=a, beta=b)
        assert 10 < want.defaulted.sum() < 140
        for form in (sp.csr_matrix(L), sp.csc_array(L), sp.coo_array(L), sp.lil_matrix(L),
                     sp.dok_array(L)):
            got = clear_payments(form, e, alpha=a, beta=b)
            np.testing.assert_array_equal(got.payments, want.payments)
            np.testing.assert_array_equal(got.defaulted, want.defaulted)
            assert got.iterations == want.iterations
        for form in (dense, dense.tolist(), np.asfortranarray(dense)):
            got = clear_payments(form, e, alpha=a, beta=b)
            np.testing.assert_allclose(got.payments, want.payments, rtol=1e-14, atol=0)
            np.testing.assert_array_equal(got.defaulted, want.defaulted)
            assert got.iterations == want.iterations
            np.testing.assert_array_equal(got.payments[~got.defaulted],
                                          np.asarray(form).sum(axis=1)[~got.defaulted])


def test_sparse_duplicates_are_summed():
    """COO entries (0, 1, 2) and (0, 1, 3) mean A owes B 5; A has 1, so A pays 1."""
    L = sp.coo_array(([2.0, 3.0], ([0, 0], [1, 1])), shape=(2, 2))
    np.testing.assert_allclose(clear_payments(L, [1.0, 0.0]).payments, [1.0, 0.0])


def test_inputs_are_not_modified():
    rng = np.random.default_rng(3)
    L, e = random_network(rng, 100, 0.05, 0.2)
    dense = L.toarray()
    copies = (L.copy(), dense.copy(), e.copy())
    clear_payments(L, e, alpha=0.5, beta=0.5)
    clear_payments(dense, e)
    _clear_payments_iterative(dense, e)
    received_payments(L, np.ones(100))
    assert (L != copies[0]).nnz == 0
    np.testing.assert_array_equal(L.data, copies[0].data)
    np.testing.assert_array_equal(dense, copies[1])
    np.testing.assert_array_equal(e, copies[2])


def test_max_iter_reached_is_reported():
    """The chain of test_chain_of_defaults needs 4 rounds; with 2 it is not converged,
    and the payments so far are an upper bound of the clearing vector."""
    L = np.zeros((4, 4))
    L[0, 1], L[1, 2], L[2, 3] = 10, 8, 9
    e = np.array([4.0, 2.0, 1.0, 0.0])
    res = clear_payments(L, e, max_iter=2)
    assert not res.converged and res.iterations == 2
    assert np.all(res.payments >= np.array([4.0, 6.0, 7.0, 0.0]) - 1e-12)
    ref = _clear_payments_iterative(L, e, max_iter=1)
    assert not ref.converged


# -------------------------------------------------------------------------- bad input

GOOD_L = np.array([[0.0, 1.0], [2.0, 0.0]])
GOOD_E = np.array([1.0, 1.0])


@pytest.mark.parametrize("args,kwargs,name", [
    ((np.ones((2, 3)), np.ones(2)), {}, "liabilities"),
    ((np.ones(4), np.ones(4)), {}, "liabilities"),
    ((sp.csr_array(np.ones((2, 3))), np.ones(2)), {}, "liabilities"),
    ((np.array([[0.0, -1.0], [0.0, 0.0]]), GOOD_E), {}, r"liabilities.*\(0, 1\)"),
    ((np.array([[0.0, 1.0], [np.nan, 0.0]]), GOOD_E), {}, r"liabilities.*\(1, 0\)"),
    ((np.array([[0.0, np.inf], [0.0, 0.0]]), GOOD_E), {}, "liabilities"),
    ((sp.csr_array(np.array([[0.0, 1.0], [-2.0, 0.0]])), GOOD_E), {}, r"liabilities.*\(1, 0\)"),
    ((sp.csr_array(np.array([[0.0, np.nan], [0.0, 0.0]])), GOOD_E), {}, r"liabilities.*\(0, 1\)"),
    ((np.array([["a", "b"], ["c", "d"]]), GOOD_E), {}, "liabilities"),
    ((GOOD_L + 1j, GOOD_E), {}, "liabilities"),
    ((GOOD_L, np.ones(3)), {}, "external_assets"),
    ((GOOD_L, np.ones((2, 1))), {}, "external_assets"),
    ((GOOD_L, np.array([1.0, -0.5])), {}, r"external_assets.*\[1\]"),
    ((GOOD_L, np.array([np.nan, 1.0])), {}, r"external_assets.*\[0\]"),
    ((GOOD_L, np.array([1.0, np.inf])), {}, "external_assets"),
    ((GOOD_L, GOOD_E), {"alpha": 0.0}, "alpha"),
    ((GOOD_L, GOOD_E), {"alpha": 1.5}, "alpha"),
    ((GOOD_L, GOOD_E), {"alpha": float("nan")}, "alpha"),
    ((GOOD_L, GOOD_E), {"alpha": "1"}, "alpha"),
    ((GOOD_L, GOOD_E), {"beta": -0.1}, "beta"),
    ((GOOD_L, GOOD_E), {"beta": 1.0000001}, "beta"),
    ((GOOD_L, GOOD_E), {"beta": float("nan")}, "beta"),
    ((GOOD_L, GOOD_E), {"tol": 0.0}, "tol"),
    ((GOOD_L, GOOD_E), {"tol": -1e-9}, "tol"),
    ((GOOD_L, GOOD_E), {"tol": float("nan")}, "tol"),
    ((GOOD_L, GOOD_E), {"max_iter": 0}, "max_iter"),
    ((GOOD_L, GOOD_E), {"max_iter": 2.5}, "max_iter"),
])
def test_bad_input_raises_value_error_naming_argument(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        clear_payments(*args, **kwargs)


def test_boundary_parameters_are_accepted():
    res = clear_payments(GOOD_L, GOOD_E, alpha=1.0, beta=1.0, tol=1e-3, max_iter=1)
    np.testing.assert_array_equal(res.payments, [1.0, 2.0])
    res = clear_payments(GOOD_L, GOOD_E, alpha=np.float64(1e-9), beta=1e-9, max_iter=np.int64(5))
    assert res.converged


# ------------------------------------------------------------------------------- scale

def test_scale_100k_institutions_1m_entries():
    """n = 100,000 with about a million sparse liabilities: completes and is a clearing vector."""
    rng = np.random.default_rng(2024)
    n, m = 100_000, 1_000_000
    rows, cols = rng.integers(0, n, m), rng.integers(0, n, m)
    L = sp.coo_array((rng.exponential(1.0, m), (rows, cols)), shape=(n, n))
    Lc = L.tocsr()
    pbar = np.asarray(Lc.sum(axis=1)).ravel()
    e = rng.exponential(0.2 * pbar.mean(), n)

    t0 = time.perf_counter()
    res = clear_payments(L, e)
    elapsed = time.perf_counter() - t0
    print(f"\nclear_payments n={n:,} nnz={Lc.nnz:,}: {elapsed:.2f} s, {res.iterations} rounds, "
          f"{int(res.defaulted.sum()):,} defaulted")

    assert res.converged
    p = res.payments
    assert np.all(p >= 0) and np.all(p <= pbar)
    assert 1_000 < res.defaulted.sum() < n            # a real cascade, not a trivial case
    recv = received_payments(Lc, p)
    assert recv.sum() == pytest.approx(p.sum(), rel=1e-10)
    d = res.defaulted
    scale = pbar.max()
    np.testing.assert_allclose(p[d], (e + recv)[d], rtol=1e-9, atol=1e-9 * scale)
    assert np.all((e + recv)[~d] >= pbar[~d] * (1 - 1e-9))
