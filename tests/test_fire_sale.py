"""Tests of the fire-sale clearing (contract: docs/spec/fire-sale-clearing.md).

The compiled kernel (``clear_fire_sale``), the pure-Python reference and the NumPy
implementation are checked against each other on random instances, against a worked example
by hand, against every invariant of the contract, on edge cases and on every validation error.
"""
from __future__ import annotations

import importlib
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aicredit.abm.markets.fire_sale_kernel import FireSaleResult, clear_fire_sale, clear_fire_sale_reference
from aicredit.abm.markets.fire_sale_kernel._numpy_impl import clear_fire_sale_numpy

ARGS = ("ref_price", "depth", "exog_sales", "loan_vintage", "loan_borrower", "loan_units",
        "loan_debt", "loan_margin_ltv", "loan_target_ltv", "borrower_cash")


def random_instance(seed, L, V, B, stress):
    """Continuous random instance (no exact threshold ties with probability ~1)."""
    rng = np.random.default_rng(seed)
    ref = rng.uniform(0.5, 2.0, V) * 100.0
    vin = rng.integers(0, V, L)
    bor = rng.integers(0, B, L)
    units = rng.lognormal(0.0, 1.0, L)
    debt = rng.uniform(0.2, 0.95, L) * units * ref[vin]
    m = rng.uniform(0.6, 1.0, L)
    h = m * rng.uniform(0.0, 0.95, L)
    cash = rng.uniform(0.0, 0.3, B) * np.bincount(bor, weights=debt, minlength=B)
    units_v = np.bincount(vin, weights=units, minlength=V)
    depth = np.maximum(units_v, 1.0) * rng.uniform(1.0, 4.0, V)
    exog = stress * units_v * rng.uniform(0.0, 0.5, V)
    return dict(ref_price=ref, depth=depth, exog_sales=exog, loan_vintage=vin,
                loan_borrower=bor, loan_units=units, loan_debt=debt, loan_margin_ltv=m,
                loan_target_ltv=h, borrower_cash=cash)


def assert_invariants(inst, r: FireSaleResult):
    ref = np.asarray(inst["ref_price"], float)
    vin = np.asarray(inst["loan_vintage"], np.int64)
    bor = np.asarray(inst["loan_borrower"], np.int64)
    u = np.asarray(inst["loan_units"], float)
    D = np.asarray(inst["loan_debt"], float)
    m = np.asarray(inst["loan_margin_ltv"], float)
    h = np.asarray(inst["loan_target_ltv"], float)
    cash = np.asarray(inst["borrower_cash"], float)
    exog = np.asarray(inst["exog_sales"], float)
    p = r.price
    assert p.dtype == np.float64 and r.margin_called.dtype == bool and r.defaulted.dtype == bool
    assert np.all(p >= 0) and np.all(p <= ref)
    assert np.all(r.sold >= 0) and np.all(r.sold <= u)
    A = u * p[vin]
    called = D > m * A
    np.testing.assert_array_equal(r.margin_called, called)
    need = np.where(called, D - h * A, 0.0)
    assert np.all(r.cash_posted >= 0)
    assert np.all(r.cash_posted <= need * (1 + 1e-9))
    posted = np.bincount(bor, weights=r.cash_posted, minlength=cash.shape[0])
    assert np.all(posted <= cash * (1 + 1e-9) + 1e-300)
    np.testing.assert_allclose(
        r.units_sold, exog + np.bincount(vin, weights=r.sold, minlength=ref.shape[0]),
        rtol=1e-9, atol=0)
    assert np.all(r.sold[~called] == 0) and np.all(r.cash_posted[~called] == 0)
    assert not np.any(r.defaulted & ~called)
    ok = called & ~r.defaulted & (u > 0)
    remaining_debt = D - r.cash_posted - p[vin] * r.sold
    remaining_value = p[vin] * (u - r.sold)
    assert np.all(remaining_debt[ok] <= h[ok] * remaining_value[ok] * (1 + 1e-9) + 1e-9 * D[ok])
    if r.converged:
        # a fixed point of P up to the tolerance
        P = ref * np.exp(-r.units_sold / np.asarray(inst["depth"], float))
        np.testing.assert_allclose(P, p, rtol=1e-9)


def assert_agree(a: FireSaleResult, b: FireSaleResult, exact_iterations=False):
    np.testing.assert_allclose(a.price, b.price, rtol=1e-9, atol=0)
    np.testing.assert_allclose(a.units_sold, b.units_sold, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(a.margin_called, b.margin_called)
    np.testing.assert_array_equal(a.defaulted, b.defaulted)
    np.testing.assert_allclose(a.sold, b.sold, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.cash_posted, b.cash_posted, rtol=1e-7, atol=1e-9)
    assert a.converged == b.converged
    if exact_iterations:
        assert a.iterations == b.iterations
    else:
        assert abs(a.iterations - b.iterations) <= 1


@settings(max_examples=250, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), L=st.integers(0, 300), V=st.sampled_from([1, 2, 8]),
       B=st.integers(1, 40), stress=st.sampled_from([0.0, 0.3, 1.0, 3.0]))
def test_kernel_matches_reference_and_numpy(seed, L, V, B, stress):
    inst = random_instance(seed, L, V, B, stress)
    k = clear_fire_sale(**inst, tol=1e-13)
    r = clear_fire_sale_reference(**inst, tol=1e-13)
    n = clear_fire_sale_numpy(**inst, tol=1e-13)
    assert_agree(k, r)
    assert_agree(n, r)
    assert_invariants(inst, k)
    assert_invariants(inst, r)


@pytest.mark.parametrize("seed", range(3))
def test_larger_instance_many_borrowers(seed):
    inst = random_instance(seed, 5000, 8, 50, 1.0)
    k = clear_fire_sale(**inst)
    assert_agree(k, clear_fire_sale_reference(**inst))
    assert_invariants(inst, k)
    assert k.margin_called.mean() > 0.05


def test_many_borrowers_fallback_grouping():
    # B*V far above 2L: the kernel groups by borrower only (runs of equal vintage)
    inst = random_instance(7, 300, 8, 200_000, 2.0)
    k = clear_fire_sale(**inst)
    assert_agree(k, clear_fire_sale_reference(**inst))
    assert_invariants(inst, k)


def worked_example():
    """Two vintages, two borrowers, numbers chosen to be exact in binary.

    Vintage 0: ref 1, depth 1, exog 0.  Vintage 1: ref 1, depth huge (2**60), exog 0.
    Loan 0 (borrower 0, vintage 1): u=2, D=1.5, m=0.5, h=0.5. At p=1: A=2, m*A=1 < 1.5:
    called; need = 1.5 - 0.5*2 = 0.5. Borrower 0 has cash 0.25, N_0 = 0.5, so z = 0.25,
    x = (1.5 - 0.25 - 1) / (1 * 0.5) = 0.5 units (< u: no default).
    Loan 1 (borrower 1, vintage 1): u=1, D=0.5, m=0.5, h=0.25: D == m*A exactly: not called.
    Loan 2 (borrower 1, vintage 1): u=1, D=2, m=1, h=0.5, borrower 1 cash 0: called,
    need = 1.5, z = 0, x = (2 - 0 - 0.5)/(0.5) = 3 >= 1: defaults, sells its 1 unit.
    Vintage 1 sales S = 1.5 units, depth 2**60: price = exp(-1.5 / 2**60), which is 1 - 1.3e-18,
    rounds to 1.0 exactly (|diff| < ulp/2), so the first iterate is 1.0 == p0: converged
    after one iteration with every number above exact. Vintage 0 has no loans: price 1.
    """
    return dict(ref_price=[1.0, 1.0], depth=[1.0, 2.0**60], exog_sales=[0, 0],
                loan_vintage=[1, 1, 1], loan_borrower=[0, 1, 1], loan_units=[2, 1, 1],
                loan_debt=[1.5, 0.5, 2.0], loan_margin_ltv=[0.5, 0.5, 1.0],
                loan_target_ltv=[0.5, 0.25, 0.5], borrower_cash=[0.25, 0.0])


@pytest.mark.parametrize("fn", [clear_fire_sale, clear_fire_sale_reference, clear_fire_sale_numpy])
def test_worked_example(fn):
    r = fn(**worked_example())
    assert r.iterations == 1 and r.converged
    np.testing.assert_array_equal(r.price, [1.0, 1.0])
    np.testing.assert_array_equal(r.units_sold, [0.0, 1.5])
    np.testing.assert_array_equal(r.margin_called, [True, False, True])
    np.testing.assert_array_equal(r.defaulted, [False, False, True])
    np.testing.assert_array_equal(r.sold, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(r.cash_posted, [0.25, 0.0, 0.0])
    assert isinstance(r, FireSaleResult)


def test_iteration_by_hand():
    """One loan, one vintage: ref 1, depth 1, exog 0.5, u=1, D=0.75, m=1, h=0, no cash.

    p1 = exp(-0.5) = 0.6065..: A = 0.6065 < 0.75: called, need = 0.75, x = 0.75/0.6065 >= 1:
    default, sells 1 unit; p2 = exp(-1.5) and from then on S = 1.5 at every lower price, so
    p3 == p2: converged after 3 iterations at exp(-1.5).
    """
    inst = dict(ref_price=[1.0], depth=[1.0], exog_sales=[0.5], loan_vintage=[0],
                loan_borrower=[0], loan_units=[1.0], loan_debt=[0.75], loan_margin_ltv=[1.0],
                loan_target_ltv=[0.0], borrower_cash=[0.0])
    for fn in (clear_fire_sale, clear_fire_sale_reference, clear_fire_sale_numpy):
        r = fn(**inst)
        assert r.iterations == 3 and r.converged
        assert r.price[0] == pytest.approx(math.exp(-1.5), rel=1e-15)
        assert r.defaulted[0] and r.sold[0] == 1.0 and r.units_sold[0] == 1.5


def test_no_loans_and_empty_lists():
    for fn in (clear_fire_sale, clear_fire_sale_reference):
        r = fn([2.0, 4.0], [1.0, 2.0], [1.0, 0.0], [], [], [], [], [], [], [])
        np.testing.assert_allclose(r.price, [2.0 * math.exp(-1.0), 4.0], rtol=1e-15)
        np.testing.assert_array_equal(r.units_sold, [1.0, 0.0])
        assert r.sold.shape == (0,) and r.margin_called.dtype == bool and r.converged
        r = fn([], [], [], [], [], [], [], [], [], [])
        assert r.price.shape == (0,) and r.converged


def test_zero_cash_unlimited_cash_zero_units():
    inst = random_instance(3, 400, 4, 10, 1.0)
    rich = dict(inst, borrower_cash=np.full(10, 1e30))
    for fn in (clear_fire_sale, clear_fire_sale_reference):
        r = fn(**rich)
        assert np.all(r.sold == 0) and not r.defaulted.any()
        np.testing.assert_allclose(
            r.price, rich["ref_price"] * np.exp(-rich["exog_sales"] / rich["depth"]), rtol=1e-14)
    poor = dict(inst, borrower_cash=np.zeros(10))
    r = clear_fire_sale(**poor)
    assert np.all(r.cash_posted == 0)
    assert_agree(r, clear_fire_sale_reference(**poor))
    zero_units = dict(inst, loan_units=np.zeros(400))
    r = clear_fire_sale(**zero_units)
    assert r.margin_called.all()  # D > 0 = m*A for every loan
    assert np.all(r.sold == 0)
    assert_agree(r, clear_fire_sale_reference(**zero_units), exact_iterations=True)


def test_debt_exactly_at_call_threshold():
    # p stays exactly 1 (no exog, huge depth); D == m*u*p exactly is not called, D just above is
    inst = dict(ref_price=[1.0], depth=[2.0**80], exog_sales=[0.0], loan_vintage=[0, 0, 0],
                loan_borrower=[0, 0, 0], loan_units=[4.0, 4.0, 4.0],
                loan_debt=[3.0, np.nextafter(3.0, 4.0), np.nextafter(3.0, 2.0)],
                loan_margin_ltv=[0.75, 0.75, 0.75], loan_target_ltv=[0.5, 0.5, 0.5],
                borrower_cash=[0.0])
    for fn in (clear_fire_sale, clear_fire_sale_reference, clear_fire_sale_numpy):
        r = fn(**inst)
        np.testing.assert_array_equal(r.margin_called, [False, True, False])


def test_zero_price_defaults_called_loans():
    # exog so large that the price underflows to exactly 0
    inst = dict(ref_price=[1.0, 1.0], depth=[1.0, 1.0], exog_sales=[1e6, 0.0],
                loan_vintage=[0, 0, 1], loan_borrower=[0, 0, 0], loan_units=[1.0, 2.0, 1.0],
                loan_debt=[0.5, 0.0, 0.1], loan_margin_ltv=[0.5, 0.5, 0.5],
                loan_target_ltv=[0.0, 0.0, 0.0], borrower_cash=[1e9])
    for fn in (clear_fire_sale, clear_fire_sale_reference, clear_fire_sale_numpy):
        r = fn(**inst)
        assert r.price[0] == 0.0
        np.testing.assert_array_equal(r.margin_called, [True, False, False])
        np.testing.assert_array_equal(r.defaulted, [True, False, False])
        np.testing.assert_array_equal(r.sold, [1.0, 0.0, 0.0])
        assert r.cash_posted[0] == 0.5  # cash allotted pro rata is kept


def test_single_vintage_matches():
    inst = random_instance(11, 2000, 1, 30, 1.0)
    k = clear_fire_sale(**inst)
    assert_agree(k, clear_fire_sale_reference(**inst))
    assert_invariants(inst, k)


def test_max_iter_reached_returns_last_iterate():
    inst = random_instance(5, 500, 3, 10, 1.0)
    full = clear_fire_sale_reference(**inst)
    assert full.iterations > 3
    for fn in (clear_fire_sale, clear_fire_sale_reference, clear_fire_sale_numpy):
        r = fn(**inst, max_iter=2)
        assert r.iterations == 2 and r.converged is False
        # outputs are evaluated at the returned iterate
        vin = inst["loan_vintage"]
        np.testing.assert_array_equal(
            r.margin_called,
            inst["loan_debt"] > inst["loan_margin_ltv"] * (inst["loan_units"] * r.price[vin]))
        assert np.all(r.price >= full.price * (1 - 1e-12))


def test_deterministic_and_inputs_not_modified():
    inst = random_instance(9, 1000, 8, 20, 1.0)
    inst["loan_vintage"] = list(inst["loan_vintage"])  # a list too
    copies = {k: np.array(v, copy=True) for k, v in inst.items()}
    a = clear_fire_sale(**inst)
    b = clear_fire_sale(**inst)
    for k in copies:
        np.testing.assert_array_equal(np.asarray(inst[k]), copies[k])
    for f in ("price", "units_sold", "cash_posted", "sold", "margin_called", "defaulted"):
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes()
    clear_fire_sale_reference(**inst)
    clear_fire_sale_numpy(**inst)
    for k in copies:
        np.testing.assert_array_equal(np.asarray(inst[k]), copies[k])


def test_accepts_ints_and_whole_floats():
    base = worked_example()
    alt = dict(base, ref_price=[1, 1], loan_vintage=[1.0, 1.0, 1.0],
               loan_borrower=np.array([0, 1, 1], dtype=np.int32), loan_units=np.array([2, 1, 1]))
    a, b = clear_fire_sale(**base), clear_fire_sale(**alt)
    np.testing.assert_array_equal(a.sold, b.sold)


def small():
    return dict(ref_price=[1.0, 2.0], depth=[1.0, 1.0], exog_sales=[0.0, 0.0],
                loan_vintage=[0, 1, 1], loan_borrower=[0, 0, 1], loan_units=[1.0, 1.0, 1.0],
                loan_debt=[0.5, 0.5, 0.5], loan_margin_ltv=[0.8, 0.8, 0.8],
                loan_target_ltv=[0.5, 0.5, 0.5], borrower_cash=[0.0, 1.0])


BAD_VALUES = [
    ("ref_price", 1, 0.0), ("ref_price", 0, -1.0), ("ref_price", 1, math.nan),
    ("ref_price", 0, math.inf),
    ("depth", 1, 0.0), ("depth", 0, math.nan),
    ("exog_sales", 1, -0.5), ("exog_sales", 0, math.inf),
    ("loan_vintage", 2, 2), ("loan_vintage", 1, -1), ("loan_vintage", 0, 0.5),
    ("loan_vintage", 2, math.nan),
    ("loan_borrower", 2, 2), ("loan_borrower", 1, -1), ("loan_borrower", 0, 1.5),
    ("loan_units", 1, -1.0), ("loan_units", 2, math.nan),
    ("loan_debt", 2, -1e-300), ("loan_debt", 0, -math.inf),
    ("loan_margin_ltv", 1, 0.0), ("loan_margin_ltv", 2, 1.5), ("loan_margin_ltv", 0, math.nan),
    ("loan_target_ltv", 1, -0.1), ("loan_target_ltv", 2, 0.9), ("loan_target_ltv", 0, math.nan),
    ("borrower_cash", 1, -1.0), ("borrower_cash", 0, math.inf),
]


@pytest.mark.parametrize("fn", [clear_fire_sale, clear_fire_sale_reference])
@pytest.mark.parametrize("name,index,value", BAD_VALUES)
def test_bad_value_names_argument_and_index(fn, name, index, value):
    inst = small()
    arr = list(inst[name])
    arr[index] = value
    inst[name] = arr
    with pytest.raises(ValueError, match=rf"{name}\[{index}\]"):
        fn(**inst)


def test_target_above_margin_and_equal_margin():
    inst = small()
    inst["loan_margin_ltv"] = [0.8, 0.4, 0.8]
    with pytest.raises(ValueError, match=r"loan_target_ltv\[1\]"):
        clear_fire_sale(**inst)
    inst["loan_margin_ltv"] = [0.5, 1.0, 1.0]
    inst["loan_target_ltv"] = [0.5, 0.999, 0.0]  # h == m allowed; h < 1
    clear_fire_sale(**inst)
    inst["loan_target_ltv"] = [0.5, 1.0, 0.0]
    with pytest.raises(ValueError, match=r"loan_target_ltv\[1\]"):
        clear_fire_sale(**inst)


@pytest.mark.parametrize("name", ARGS)
def test_wrong_length(name):
    inst = small()
    inst[name] = list(inst[name]) + [1]
    if name == "loan_vintage" or name == "ref_price" or name == "borrower_cash":
        # these define V, L and B: a longer one makes the next argument the wrong length,
        # or is valid (borrower_cash)
        if name == "borrower_cash":
            clear_fire_sale(**inst)
            return
        expected = "depth" if name == "ref_price" else "loan_borrower"
    else:
        expected = name
    with pytest.raises(ValueError, match=rf"^{expected}: length"):
        clear_fire_sale(**inst)


def test_first_bad_argument_in_signature_order():
    inst = small()
    inst["loan_units"] = [1.0, -1.0, 1.0]
    inst["depth"] = [1.0, -1.0]
    with pytest.raises(ValueError, match=r"^depth\[1\]"):
        clear_fire_sale(**inst)
    inst = small()
    inst["loan_debt"] = [1.0, math.nan, -1.0]
    with pytest.raises(ValueError, match=r"loan_debt\[1\]"):
        clear_fire_sale(**inst)


@pytest.mark.parametrize("name,value", [
    ("ref_price", ["a", "b"]), ("ref_price", [[1.0, 2.0]]), ("ref_price", 3.0),
    ("loan_units", [True, False, True]), ("loan_vintage", np.array([0, 1, 1], dtype=bool)),
    ("depth", [1 + 1j, 1.0]), ("loan_debt", [1.0, None, 1.0]), ("borrower_cash", "ab"),
])
def test_bad_dtype_or_shape(name, value):
    inst = small()
    inst[name] = value
    with pytest.raises(ValueError, match=rf"^{name}"):
        clear_fire_sale(**inst)


@pytest.mark.parametrize("kw,value", [("tol", 0.0), ("tol", -1e-9), ("tol", math.nan),
                                      ("tol", math.inf), ("tol", True), ("max_iter", 0),
                                      ("max_iter", -3), ("max_iter", 2.5), ("max_iter", True)])
def test_bad_tol_and_max_iter(kw, value):
    for fn in (clear_fire_sale, clear_fire_sale_reference):
        with pytest.raises(ValueError, match=rf"^{kw}"):
            fn(**small(), **{kw: value})


def test_import_without_extension_says_how_to_build(monkeypatch):
    monkeypatch.delitem(sys.modules, "aicredit.abm.markets.fire_sale_kernel")
    monkeypatch.setitem(sys.modules, "aicredit.abm.markets.fire_sale_kernel._fire_sale", None)
    with pytest.raises(ImportError, match=r"pip install -e \.") as info:
        importlib.import_module("aicredit.abm.markets.fire_sale_kernel")
    assert "build_ext --inplace" in str(info.value)


# ---- the compiled kernel's active-set algorithm: corner cases against the reference ----

def mixed_instance(seed, L, V, B, depth_scale=1.0, cash_scale=0.3, stress=1.0):
    """Random instance with degenerate loans mixed in: u == 0, D == 0, h == 0, h == m, m == 1."""
    inst = random_instance(seed, L, V, B, stress)
    rng = np.random.default_rng(seed + 1)
    u, D = inst["loan_units"].copy(), inst["loan_debt"].copy()
    m, h = inst["loan_margin_ltv"].copy(), inst["loan_target_ltv"].copy()
    kind = rng.integers(0, 12, L)
    u[kind == 0] = 0.0
    D[kind == 1] = 0.0
    h[kind == 2] = 0.0
    h[kind == 3] = m[kind == 3]
    m[kind == 4] = 1.0
    h[kind == 4] = np.minimum(h[kind == 4], 0.9)
    D[kind == 5] *= 4.0  # under water from the start
    inst.update(loan_units=u, loan_debt=D, loan_margin_ltv=m, loan_target_ltv=h)
    inst["depth"] = inst["depth"] * depth_scale
    inst["borrower_cash"] = inst["borrower_cash"] * (cash_scale / 0.3)
    return inst


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("depth_scale", [0.05, 0.3, 3.0])
def test_active_set_degenerate_loans(seed, depth_scale):
    inst = mixed_instance(seed, 400, 3, 7, depth_scale=depth_scale)
    k = clear_fire_sale(**inst)
    r = clear_fire_sale_reference(**inst)
    assert_agree(k, r)
    assert_invariants(inst, k)


@pytest.mark.parametrize("seed", range(4))
def test_cascade_many_iterations(seed):
    # thin markets: sales feed back through many iterations and prices fall several binades
    inst = random_instance(seed, 600, 2, 12, 0.5)
    inst["depth"] = inst["depth"] * 0.5
    r = clear_fire_sale_reference(**inst, tol=1e-13)
    k = clear_fire_sale(**inst, tol=1e-13)
    assert r.iterations >= 20
    assert_agree(k, r)
    assert_invariants(inst, k)
    assert (k.price / np.asarray(inst["ref_price"])).min() < 0.7
    assert k.defaulted.any()


def test_tiny_depth_prices_underflow_to_zero():
    inst = random_instance(21, 300, 4, 5, 1.0)
    inst["depth"] = np.full(4, 1e-3)
    for fn in (clear_fire_sale, clear_fire_sale_reference):
        r = fn(**inst)
        assert np.all(r.price == 0.0)
        called = np.asarray(inst["loan_debt"]) > 0
        np.testing.assert_array_equal(r.margin_called, called)
        np.testing.assert_array_equal(r.defaulted, called)
        np.testing.assert_array_equal(r.sold[called], np.asarray(inst["loan_units"])[called])
    assert_agree(clear_fire_sale(**inst), clear_fire_sale_reference(**inst), exact_iterations=True)


def test_tiny_depth_prices_tiny_but_positive():
    # prices end around 1e-300: p * (1 - h) and x stay finite or overflow exactly as in the reference
    inst = dict(ref_price=[1.0, 1.0], depth=[1.0, 1.0], exog_sales=[690.0, 0.0],
                loan_vintage=[0, 0, 0, 1], loan_borrower=[0, 0, 1, 1],
                loan_units=[1e-3, 2e-3, 1e-3, 1.0], loan_debt=[1e-310, 1e-3, 5e-304, 0.5],
                loan_margin_ltv=[0.5, 1.0, 0.9, 0.8], loan_target_ltv=[0.2, 0.999, 0.0, 0.5],
                borrower_cash=[0.0, 1e-306])
    k = clear_fire_sale(**inst)
    r = clear_fire_sale_reference(**inst)
    assert 0.0 < k.price[0] < 1e-290
    assert_agree(k, r, exact_iterations=True)
    assert_invariants(inst, k)


def test_borrower_ratio_crosses_one():
    # borrower 1 (no cash) sells and drives the price down; borrower 0 has cash for its first
    # calls only: its ratio r_b is 1 at the first iterate, then falls below 1 as calls accrue
    L = 200
    D = np.linspace(0.30, 0.95, L)  # triggers spread: loans are called one after another
    h = np.random.default_rng(3).uniform(0.3, 0.6, L)
    inst = dict(ref_price=[1.0], depth=[400.0], exog_sales=[2.0], loan_vintage=np.zeros(L, int),
                loan_borrower=(np.arange(L) % 2), loan_units=np.ones(L), loan_debt=D,
                loan_margin_ltv=np.full(L, 0.9), loan_target_ltv=h, borrower_cash=[5.3, 0.0])
    k = clear_fire_sale(**inst)
    r = clear_fire_sale_reference(**inst)
    assert_agree(k, r, exact_iterations=True)
    assert_invariants(inst, k)
    b0 = inst["loan_borrower"] == 0
    first = clear_fire_sale(**inst, max_iter=1)
    assert first.margin_called[b0].any() and np.all(first.sold[b0] == 0)  # cash covers at p1
    assert k.sold[b0].sum() > 0.1  # not at the clearing price
    for mi in (1, 2, 3):
        assert_agree(clear_fire_sale(**inst, max_iter=mi),
                     clear_fire_sale_reference(**inst, max_iter=mi), exact_iterations=True)


def test_loans_called_late_and_max_iter_midway():
    inst = random_instance(8, 800, 3, 9, 1.0)
    inst["loan_debt"] = inst["loan_debt"] * 0.6  # most triggers well below the first prices
    inst["depth"] = inst["depth"] * 0.3
    r = clear_fire_sale_reference(**inst)
    assert r.iterations > 6
    for mi in (1, 2, 3, r.iterations // 2, r.iterations + 5):
        k = clear_fire_sale(**inst, max_iter=mi)
        rr = clear_fire_sale_reference(**inst, max_iter=mi)
        assert_agree(k, rr, exact_iterations=True)
        assert_invariants(inst, k)


@pytest.mark.parametrize("B,V", [(1, 1), (1, 8), (3, 2)])
def test_few_borrowers_many_loans(B, V):
    inst = random_instance(40 + B, 20_000, V, B, 1.0)
    inst["borrower_cash"] = inst["borrower_cash"] * 0.05  # big borrowers run short of cash
    k = clear_fire_sale(**inst)
    r = clear_fire_sale_reference(**inst)
    assert_agree(k, r)
    assert_invariants(inst, k)
    assert k.sold.sum() > 0 and k.margin_called.mean() > 0.05


def test_compact_groups_many_borrowers_several_loans_each():
    # B*V above the dense limit: groups are numbered per distinct (borrower, vintage)
    inst = mixed_instance(12, 3000, 8, 2000)
    k = clear_fire_sale(**inst)
    assert_agree(k, clear_fire_sale_reference(**inst))
    assert_invariants(inst, k)


def test_many_vintages_few_buckets():
    # V * buckets per vintage would exceed the bucket budget: coarser buckets, same answer
    inst = random_instance(13, 500, 400, 10, 1.0)
    k = clear_fire_sale(**inst)
    assert_agree(k, clear_fire_sale_reference(**inst))
    assert_invariants(inst, k)


def test_benchmark_like_instance_iterations_and_determinism():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "benchmarks"))
    from _instances import make_instance
    inst = make_instance(3000, V=8, stress=1.0, seed=5)
    k = clear_fire_sale(**inst)
    r = clear_fire_sale_reference(**inst)
    assert_agree(k, r)
    assert_invariants(inst, k)
    assert k.iterations == r.iterations  # the same iterates, up to the rounding of sums
    k2 = clear_fire_sale(**inst)
    for f in ("price", "units_sold", "cash_posted", "sold", "margin_called", "defaulted"):
        assert getattr(k, f).tobytes() == getattr(k2, f).tobytes()


@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), L=st.integers(1, 250), V=st.sampled_from([1, 3, 8]),
       B=st.sampled_from([1, 4, 30, 3000]), depth_scale=st.sampled_from([0.1, 0.5, 2.0]),
       cash_scale=st.sampled_from([0.0, 0.05, 0.3, 3.0]))
def test_active_set_random_degenerate_matches_reference_and_numpy(seed, L, V, B, depth_scale,
                                                                  cash_scale):
    # B = 3000 takes the compact (borrower, vintage) numbering; the others the dense one
    inst = mixed_instance(seed, L, V, B, depth_scale=depth_scale, cash_scale=cash_scale)
    k = clear_fire_sale(**inst, tol=1e-13)
    r = clear_fire_sale_reference(**inst, tol=1e-13)
    assert_agree(k, r)
    assert_agree(clear_fire_sale_numpy(**inst, tol=1e-13), r)
    assert_invariants(inst, k)
