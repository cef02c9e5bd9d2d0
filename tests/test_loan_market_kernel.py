"""Tests of the loan-market clearing (contract: docs/spec/loan-market-clearing.md).

The compiled kernel (``clear_loan_market``) must equal the pure-Python reference bit for bit
on random instances; both are checked against an independent NumPy reading of the price map
(the result is its greatest fixed point), against monotonicity in the inputs, worked examples
by hand, edge cases and validation errors.
"""
from __future__ import annotations

import importlib
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aicredit.abm.markets.loan_market_kernel import (
    LoanMarketResult,
    clear_loan_market,
    clear_loan_market_reference,
)

FIELDS = ("price", "sold_by_class", "share_sold", "sold", "proceeds", "in_breach")
BOTH = [clear_loan_market, clear_loan_market_reference]


def random_instance(seed, N, C, stress=1.0):
    """A random month: holders near their leverage limit, some with redemptions, some with
    negative equity or nothing to sell; ``stress`` scales the exogenous sales."""
    rng = np.random.default_rng(seed)
    H = rng.lognormal(0.0, 1.0, (N, C)) * (rng.random((N, C)) < 0.8)
    H[rng.random(N) < 0.05] = 0.0  # nothing to sell
    value = H.sum(axis=1)
    max_lev = rng.uniform(1.0, 4.0, N)
    equity = value * rng.uniform(0.05, 0.5, N)
    equity[rng.random(N) < 0.05] *= -1.0  # already insolvent at book value
    weight = np.where(rng.random(N) < 0.5, rng.uniform(0.0, 1.0, N), 1.0)  # smoothed NAVs
    debt = np.maximum(equity, 0.0) * max_lev * rng.uniform(0.3, 1.05, N)
    cash = value * rng.uniform(0.0, 0.1, N)
    need = value * rng.uniform(0.0, 0.2, N) * (rng.random(N) < 0.4)
    target = max_lev * rng.choice([0.0, 0.5, 0.9, 1.0], N)
    depth = H.sum(axis=0) * rng.uniform(0.5, 4.0, C) + 0.1
    exog = stress * H.sum(axis=0) * rng.uniform(0.0, 0.2, C)
    return dict(start_price=rng.uniform(0.6, 1.0, C), depth=depth, exog_sales=exog, holdings=H,
                cash=cash, debt=debt, equity=equity, mark_weight=weight, max_leverage=max_lev,
                target_leverage=target, cash_need=need)


def price_map(inst, p):
    """``P(p)`` and the shares sold, an independent NumPy reading of the contract."""
    H = np.asarray(inst["holdings"], float)
    E = inst["equity"] - inst["mark_weight"] * (H @ (1.0 - p))
    V = H @ p
    short = np.maximum(0.0, inst["cash_need"] - inst["cash"])
    free = np.maximum(0.0, inst["cash"] - inst["cash_need"])
    Ep = np.maximum(E, 0.0)
    breach = inst["debt"] > inst["max_leverage"] * Ep
    cure = np.where(breach, np.maximum(0.0, inst["debt"] - inst["target_leverage"] * Ep - free), 0.0)
    need = short + cure
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(need <= 0.0, 0.0, np.where(V <= 0.0, 1.0, np.minimum(1.0, need / V)))
    q = inst["exog_sales"] + x @ H
    return inst["start_price"] * np.exp(-q / inst["depth"]), x, breach


def assert_bitwise_equal(a: LoanMarketResult, b: LoanMarketResult):
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.shape == y.shape, f
        assert x.tobytes() == y.tobytes(), f"{f}: {x} != {y}"
    assert (a.iterations, a.converged) == (b.iterations, b.converged)


def assert_invariants(inst, r: LoanMarketResult):
    H = np.asarray(inst["holdings"], float)
    assert r.price.dtype == np.float64 and r.in_breach.dtype == bool
    assert np.all(r.price >= 0) and np.all(r.price <= inst["start_price"])
    assert np.all(r.share_sold >= 0) and np.all(r.share_sold <= 1)
    np.testing.assert_array_equal(r.sold, r.share_sold[:, None] * H)
    np.testing.assert_allclose(r.sold_by_class, inst["exog_sales"] + r.sold.sum(axis=0),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.proceeds, r.share_sold * (H @ r.price), rtol=1e-12, atol=1e-300)
    _, x, breach = price_map(inst, r.price)  # every output is evaluated at the returned price
    np.testing.assert_array_equal(r.in_breach, breach)
    np.testing.assert_allclose(r.share_sold, x, rtol=1e-12, atol=0)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), N=st.integers(0, 40), C=st.sampled_from([1, 2, 5]),
       stress=st.sampled_from([0.0, 1.0, 5.0]))
def test_kernel_equals_reference_bit_for_bit(seed, N, C, stress):
    inst = random_instance(seed, N, C, stress)
    k = clear_loan_market(**inst)
    assert_bitwise_equal(k, clear_loan_market_reference(**inst))
    assert_invariants(inst, k)


def test_many_holders_bit_for_bit_and_a_real_cascade():
    inst = random_instance(2026, 400, 8, 1.0)
    k = clear_loan_market(**inst)
    assert_bitwise_equal(k, clear_loan_market_reference(**inst))
    assert k.converged and k.iterations > 5
    assert 0.05 < k.in_breach.mean() < 0.95


def test_result_is_a_fixed_point():
    for seed in range(5):
        inst = random_instance(seed, 60, 3)
        r = clear_loan_market(**inst, tol=1e-14)
        assert r.converged
        np.testing.assert_allclose(price_map(inst, r.price)[0], r.price, rtol=1e-12)


def test_no_fixed_point_above_the_result():
    # one class: P(p) < p on a fine grid of the prices between the result and the start
    for seed in range(4):
        inst = random_instance(seed, 30, 1, stress=2.0)
        r = clear_loan_market(**inst, tol=1e-14)
        grid = np.linspace(r.price[0], inst["start_price"][0], 400)[1:]
        grid = grid[grid > r.price[0] * (1 + 1e-9)]
        assert all(price_map(inst, np.array([g]))[0][0] < g for g in grid)


def two_equilibria():
    """One class, start 1, depth 1, exogenous sales 0.1, one holder with holdings 1, book
    equity 0.3, debt 0.3, maximum leverage 2, target 0, no cash.

    At p its equity is p - 0.7: above p = 0.85 (leverage 2) it is not in breach and sells
    nothing, so p = exp(-0.1) = 0.905 is a fixed point (reached in 2 iterations). Below 0.85 it
    must repay all its debt, selling 0.3 / p of its holdings, and p = exp(-(0.1 + 0.3 / p)) has
    a second, lower solution (about 0.49).
    """
    return dict(start_price=[1.0], depth=[1.0], exog_sales=[0.1], holdings=[[1.0]], cash=[0.0],
                debt=[0.3], equity=[0.3], mark_weight=[1.0], max_leverage=[2.0],
                target_leverage=[0.0], cash_need=[0.0])


def test_greatest_of_two_fixed_points():
    inst = {k: np.asarray(v, float) for k, v in two_equilibria().items()}
    p_low = np.array([0.5])
    for _ in range(200):  # iterate the map from below the breach threshold
        p_low = price_map(inst, p_low)[0]
    assert abs(price_map(inst, p_low)[0][0] - p_low[0]) < 1e-14 and 0.4 < p_low[0] < 0.6
    for fn in BOTH:
        r = fn(**two_equilibria())
        assert r.iterations == 2 and r.converged
        assert r.price[0] == math.exp(-0.1) > p_low[0]
        assert not r.in_breach[0] and r.share_sold[0] == 0.0
    # from a start price below the threshold the iteration falls to the low one
    r = clear_loan_market(**dict(two_equilibria(), start_price=[0.8]))
    assert r.in_breach[0] and r.price[0] < 0.8 * 0.6


def test_iteration_by_hand():
    """One holder must pay out 1 with no cash and holds 1 of the one class: at every price
    p <= 1 it sells everything (x = min(1, 1 / p) = 1), so q = 0.5 + 1 whatever p:
    p1 = exp(-1.5), p2 = p1, converged after 2 iterations, proceeds p1."""
    inst = dict(start_price=[1.0], depth=[1.0], exog_sales=[0.5], holdings=[[1.0]], cash=[0.0],
                debt=[0.0], equity=[1.0], mark_weight=[1.0], max_leverage=[1.0],
                target_leverage=[0.0], cash_need=[1.0])
    for fn in BOTH:
        r = fn(**inst)
        assert r.iterations == 2 and r.converged
        assert r.price[0] == math.exp(-1.5) and r.sold_by_class[0] == 1.5
        assert r.share_sold[0] == 1.0 and r.proceeds[0] == math.exp(-1.5)
        assert not r.in_breach[0]


def perturbed(inst, name, index, factor):
    arr = np.array(inst[name], dtype=float, copy=True)
    arr[index] *= factor
    return dict(inst, **{name: arr})


@pytest.mark.parametrize("seed", range(6))
def test_monotone_in_depth_exogenous_sales_and_debt(seed):
    inst = random_instance(seed, 40, 3)
    base = clear_loan_market(**inst, tol=1e-14)
    slack = 1e-9
    deeper = clear_loan_market(**perturbed(inst, "depth", seed % 3, 1.5), tol=1e-14)
    assert np.all(deeper.price >= base.price * (1 - slack))
    more_sales = clear_loan_market(**perturbed(inst, "exog_sales", seed % 3, 3.0), tol=1e-14)
    assert np.all(more_sales.price <= base.price * (1 + slack))
    for i in range(0, 40, 7):
        more_debt = clear_loan_market(**perturbed(inst, "debt", i, 1.3), tol=1e-14)
        assert more_debt.share_sold[i] >= base.share_sold[i] - slack
        assert np.all(more_debt.price <= base.price * (1 + slack))


def test_no_holders_and_no_classes():
    for fn in BOTH:
        r = fn([1.0, 0.5], [1.0, 2.0], [1.0, 0.0], np.zeros((0, 2)), [], [], [], [], [], [], [])
        np.testing.assert_allclose(r.price, [math.exp(-1.0), 0.5], rtol=1e-15)
        np.testing.assert_array_equal(r.sold_by_class, [1.0, 0.0])
        assert r.share_sold.shape == (0,) and r.sold.shape == (0, 2) and r.in_breach.dtype == bool
        assert r.converged and r.iterations == 2
        r = fn([], [], [], np.zeros((2, 0)), [0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0],
               [1.0, 1.0], [0.5, 0.5], [1.0, 0.0])
        assert r.price.shape == (0,) and r.sold.shape == (2, 0)
        # nothing to sell: the one with a need or in breach (equity 0, debt 1) sells "all"
        np.testing.assert_array_equal(r.share_sold, [1.0, 0.0])
        np.testing.assert_array_equal(r.in_breach, [True, False])


def exact_month(**changes):
    """Start prices 1 and 0.5, depth 2**60: sales move no price (exp(-q / 2**60) rounds to 1),
    so every number below is exact in binary."""
    base = dict(start_price=[1.0, 0.5], depth=[2.0**60, 2.0**60], exog_sales=[0.0, 0.0],
                holdings=[[2.0, 6.0], [0.0, 0.0], [1.0, 2.0]], cash=[1.0, 0.25, 0.0],
                debt=[0.0, 0.0, 4.0], equity=[5.0, 1.0, 1.5], mark_weight=[1.0, 1.0, 1.0],
                max_leverage=[1.0, 1.0, 3.0], target_leverage=[0.5, 0.5, 1.0],
                cash_need=[3.0, 1.0, 0.0])
    return dict(base, **changes)


def test_edge_cases_exact():
    for fn in BOTH:
        r = fn(**exact_month())
        assert r.iterations == 1 and r.converged
        np.testing.assert_array_equal(r.price, [1.0, 0.5])
        # holder 0: no debt, short = 3 - 1 = 2, V = 2 + 3 = 5: sells exactly 2 / 5
        assert r.share_sold[0] == 2.0 / 5.0 and r.proceeds[0] == 2.0 and not r.in_breach[0]
        # holder 1: nothing to sell and a need: sells "all", raises nothing
        assert r.share_sold[1] == 1.0 and r.proceeds[1] == 0.0
        # holder 2: E = 1.5 - 0.5 * 2 = 0.5, debt 4 > 3 * 0.5: breach; cure = 4 - 1 * 0.5 = 3.5,
        # V = 1 + 1 = 2: sells everything and stays in breach
        assert r.in_breach[2] and r.share_sold[2] == 1.0 and r.proceeds[2] == 2.0
        np.testing.assert_array_equal(r.sold[0], np.array([2.0, 6.0]) * (2.0 / 5.0))


def test_equity_at_or_below_zero_with_debt_is_a_breach():
    # holder 2 holds 8 of class 0 (price 1) and 2 of class 1 (price 0.5): E = E0 - 1, V = 9;
    # with E <= 0 no leverage limit holds, and it repays all its debt (target 0): sells 1 / 9
    for equity in (0.0, 1.0, 2.0):
        for fn in BOTH:
            r = fn(**exact_month(equity=[5.0, 1.0, equity], max_leverage=[1.0, 1.0, 1e9],
                                 target_leverage=[0.5, 0.5, 0.0], holdings=[[2, 6], [0, 0], [8, 2]],
                                 debt=[0.0, 0.0, 1.0]))
            assert r.in_breach[2] == (equity <= 1.0)
            assert r.share_sold[2] == (1.0 / 9.0 if equity <= 1.0 else 0.0)


def test_mark_weight_scales_the_marks_in_equity():
    # holder 2: E0 1.5, discount 0.5 * 2 = 1 at the marks, debt 2.5, max leverage 3:
    # weight 1 -> E = 0.5, 2.5 > 1.5: breach; weight 0 -> E = 1.5, 2.5 <= 4.5: none;
    # weight 0.5 -> E = 1, 2.5 <= 3: none
    for w, breach in ((1.0, True), (0.0, False), (0.5, False)):
        for fn in BOTH:
            r = fn(**exact_month(debt=[0.0, 0.0, 2.5], mark_weight=[1.0, 1.0, w]))
            assert r.in_breach[2] == breach
    # a smaller weight hides part of the marks: prices no lower, sales no higher
    inst = random_instance(12, 40, 3, 2.0)
    full = clear_loan_market(**dict(inst, mark_weight=np.ones(40)), tol=1e-14)
    half = clear_loan_market(**dict(inst, mark_weight=np.full(40, 0.5)), tol=1e-14)
    assert np.all(half.price >= full.price * (1 - 1e-9))
    assert np.all(half.share_sold <= full.share_sold + 1e-9)


def test_at_the_leverage_limit_is_no_breach():
    # debt == max_leverage * E exactly: not in breach (strict), sells nothing
    for fn in BOTH:
        r = fn(**exact_month(debt=[0.0, 0.0, 1.5], cash_need=[3.0, 1.0, 0.0]))
        assert not r.in_breach[2] and r.share_sold[2] == 0.0
        r = fn(**exact_month(debt=[0.0, 0.0, np.nextafter(1.5, 2.0)]))
        assert r.in_breach[2]


def test_free_cash_cures_before_selling():
    # holder 2 in breach (debt 2 > 3 * 0.5), its free cash 2 covers the cure 2 - 0.5: no sale
    for fn in BOTH:
        r = fn(**exact_month(debt=[0.0, 0.0, 2.0], cash=[1.0, 0.25, 2.0]))
        assert r.in_breach[2] and r.share_sold[2] == 0.0 and r.proceeds[2] == 0.0


def test_max_iter_reached_returns_last_iterate():
    inst = random_instance(5, 60, 3, 2.0)
    full = clear_loan_market(**inst)
    assert full.iterations > 3
    k = clear_loan_market(**inst, max_iter=1)
    assert k.iterations == 1 and k.converged is False
    assert_bitwise_equal(k, clear_loan_market_reference(**inst, max_iter=1))
    assert_invariants(inst, k)  # outputs evaluated at the returned iterate
    assert np.all(k.price >= full.price)
    np.testing.assert_allclose(k.price, price_map(inst, inst["start_price"])[0], rtol=1e-14)


def test_deterministic_and_inputs_not_modified():
    inst = random_instance(9, 50, 4)
    inst["cash"] = list(inst["cash"])  # a list too
    copies = {k: np.array(v, copy=True) for k, v in inst.items()}
    a, b = clear_loan_market(**inst), clear_loan_market(**inst)
    assert_bitwise_equal(a, b)
    clear_loan_market_reference(**inst)
    for k in copies:
        np.testing.assert_array_equal(np.asarray(inst[k]), copies[k])


def test_accepts_ints_and_other_dtypes():
    a = clear_loan_market(**exact_month())
    b = clear_loan_market(**exact_month(holdings=np.array([[2, 6], [0, 0], [1, 2]], dtype=np.int32),
                                        cash=[1, 0.25, 0], debt=np.array([0, 0, 4], dtype=np.float32)))
    assert_bitwise_equal(a, b)


BAD = [
    ("start_price", 1, 1.5, r"start_price\[1\]"), ("start_price", 0, 0.0, r"start_price\[0\]"),
    ("depth", 1, 0.0, r"depth\[1\]"), ("exog_sales", 0, math.nan, r"exog_sales\[0\]"),
    ("cash", 2, -1.0, r"cash\[2\]"), ("debt", 1, math.inf, r"debt\[1\]"),
    ("equity", 0, math.nan, r"equity\[0\]"),
    ("mark_weight", 1, 1.5, r"mark_weight\[1\] = 1.5: must be in \[0, 1\]"),
    ("mark_weight", 2, -0.25, r"mark_weight\[2\]"), ("max_leverage", 2, 0.0, r"max_leverage\[2\]"),
    ("target_leverage", 1, -0.5, r"target_leverage\[1\]"),
    ("target_leverage", 2, 3.5, r"target_leverage\[2\] = 3.5: must be <= max_leverage\[2\]"),
    ("cash_need", 0, -1e-300, r"cash_need\[0\]"),
]


@pytest.mark.parametrize("fn", BOTH)
@pytest.mark.parametrize("name,index,value,match", BAD)
def test_bad_value_names_argument_and_index(fn, name, index, value, match):
    inst = exact_month()
    arr = list(inst[name])
    arr[index] = value
    with pytest.raises(ValueError, match=rf"^{match}"):
        fn(**dict(inst, **{name: arr}))


@pytest.mark.parametrize("holdings,match", [
    ([[2.0, 6.0, 1.0], [0, 0, 0], [1, 2, 3]], r"holdings: must be 2-D with len\(start_price\) = 2"),
    ([2.0, 6.0], r"holdings: must be 2-D"),
    ([[2.0, 6.0], [0.0, -1.0], [1.0, 2.0]], r"holdings \(flattened\)\[3\] = -1.0: must be >= 0"),
    ([[2.0, math.nan], [0.0, 0.0], [1.0, 2.0]], r"holdings \(flattened\)\[1\]"),
    ([[True, False], [False, False], [True, True]], r"holdings: dtype bool"),
    ([["2", "6"], ["0", "0"], ["1", "2"]], r"holdings: dtype"),
])
def test_bad_holdings(holdings, match):
    for fn in BOTH:
        with pytest.raises(ValueError, match=rf"^{match}"):
            fn(**exact_month(holdings=holdings))


@pytest.mark.parametrize("name", ["depth", "exog_sales", "cash", "debt", "equity", "mark_weight",
                                  "max_leverage", "target_leverage", "cash_need"])
def test_wrong_length(name):
    inst = exact_month()
    with pytest.raises(ValueError, match=rf"^{name}: length"):
        clear_loan_market(**dict(inst, **{name: list(inst[name]) + [1.0]}))


def test_first_bad_argument_in_signature_order():
    inst = exact_month(depth=[1.0, -1.0], cash_need=[-1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"^depth\[1\]"):
        clear_loan_market(**inst)


@pytest.mark.parametrize("kw,value", [("tol", 0.0), ("tol", math.nan), ("tol", True),
                                      ("max_iter", 0), ("max_iter", 2.5), ("max_iter", True)])
def test_bad_tol_and_max_iter(kw, value):
    for fn in BOTH:
        with pytest.raises(ValueError, match=rf"^{kw}"):
            fn(**exact_month(), **{kw: value})


def test_huge_max_iter_is_accepted():
    assert_bitwise_equal(clear_loan_market(**exact_month(), max_iter=10**30),
                         clear_loan_market_reference(**exact_month(), max_iter=10**30))


def test_price_underflow_to_zero_matches_reference():
    inst = random_instance(4, 20, 2)
    inst["exog_sales"] = inst["exog_sales"] + np.array([1e6, 0.0]) * inst["depth"]
    k = clear_loan_market(**inst)
    assert k.price[0] == 0.0
    assert_bitwise_equal(k, clear_loan_market_reference(**inst))


def test_import_without_extension_says_how_to_build(monkeypatch):
    monkeypatch.delitem(sys.modules, "aicredit.abm.markets.loan_market_kernel")
    monkeypatch.setitem(sys.modules, "aicredit.abm.markets.loan_market_kernel._loan_market", None)
    with pytest.raises(ImportError, match=r"pip install -e \.") as info:
        importlib.import_module("aicredit.abm.markets.loan_market_kernel")
    assert "build_ext --inplace" in str(info.value)
