"""Realistic random instances of the fire-sale clearing, for the benchmark.

V vintages of GPUs (newer ones dearer), L loans, B = L / 100 borrowers. Each loan pledges a
lognormal number of units of one vintage, with an LTV at the reference price between 0.35 and
0.85, a maintenance LTV ``m`` in [0.70, 0.90] and a target LTV ``h`` 0.05..0.20 below it.
Borrowers hold cash worth 0-8 % of their debt. The market depth of a vintage is three times
its pledged units; ``stress`` scales the exogenous sales (fraction ``0.5 * stress`` of the
pledged units). Stress 1 (the benchmark's) margin-calls about half the loans, makes nearly
all of those sell, defaults a few percent and takes about 30 iterations to clear.
"""
from __future__ import annotations

import numpy as np


def make_instance(L: int, V: int = 8, B: int | None = None, stress: float = 1.0,
                  seed: int = 0) -> dict:
    """Keyword arguments for ``clear_fire_sale`` (all numpy arrays, contract dtypes)."""
    rng = np.random.default_rng(seed)
    if B is None:
        B = max(1, L // 100)
    ref_price = 25_000.0 * 0.8 ** np.arange(V, dtype=np.float64)
    loan_vintage = rng.integers(0, V, size=L, dtype=np.int64)
    loan_borrower = rng.integers(0, B, size=L, dtype=np.int64)
    loan_units = rng.lognormal(mean=np.log(100.0), sigma=1.0, size=L)
    ltv0 = rng.uniform(0.35, 0.85, size=L)
    loan_debt = ltv0 * loan_units * ref_price[loan_vintage]
    loan_margin_ltv = rng.uniform(0.70, 0.90, size=L)
    loan_target_ltv = loan_margin_ltv - rng.uniform(0.05, 0.20, size=L)
    debt_b = np.bincount(loan_borrower, weights=loan_debt, minlength=B)
    borrower_cash = debt_b * rng.uniform(0.0, 0.08, size=B)
    units_v = np.bincount(loan_vintage, weights=loan_units, minlength=V)
    depth = np.maximum(3.0 * units_v, 1.0)
    exog_sales = 0.5 * stress * units_v
    return dict(ref_price=ref_price, depth=depth, exog_sales=exog_sales,
                loan_vintage=loan_vintage, loan_borrower=loan_borrower, loan_units=loan_units,
                loan_debt=loan_debt, loan_margin_ltv=loan_margin_ltv,
                loan_target_ltv=loan_target_ltv, borrower_cash=borrower_cash)
