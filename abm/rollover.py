"""Rollover of maturing GPU-backed loans (channel C4, [F6]): a stage of the month.

Run just before the month's payment settlement (:func:`abm.settlement.settle_month`): a
loan that matures this month and is not rolled over falls due in full in that settlement.
Whether a lender rolls a loan depends on the borrower's state and on the lender's own
funding, not on a coin of fixed bias (He and Xiong 2012: creditors of a firm whose
fundamentals deteriorate refuse to roll; Acharya, Gale and Yorulmazer 2011: a lender that
is itself short of funding stops rolling collateralised debt). With C4 on, loan ``i``
(borrower ``j``, lender ``k``) is rolled with probability

    pi_i = f_k * Lambda( logit(rollover_base_share)
                         - rollover_ltv_sensitivity * (LTV_i - LTV_0)
                         + rollover_coverage_sensitivity * log(min(DSC_j, 1)) )

- ``Lambda`` is the logistic function: lenders' thresholds are dispersed, so the share that
  rolls falls smoothly as the borrower's state worsens (a threshold rule with logistic
  dispersion). At the origination LTV ``LTV_0`` (``effective_gpu_ltv``: ``gpu_loan_max_ltv``
  after any regulatory haircut) and a borrower that covers its dues it is
  ``rollover_base_share``.
- ``LTV_i`` = debt / (units x this month's GPU market price of its vintage), the collateral
  the lender would be left with (:meth:`abm.markets.gpu.GPUMarket.price`).
- ``DSC_j`` = the neocloud's contracted revenue over its monthly dues (contracts, debt
  service, operating costs: :meth:`abm.agents.neocloud.Neocloud.monthly_costs_usd`), its
  debt-service coverage; only a shortfall (below 1) lowers the probability.
- ``f_k`` in [0, 1] is the lender's funding state, its ``rollover_share()`` (a fund: its
  appetite, less the share of its cash its LPs' pending redemptions claim, 0 in covenant
  breach; any lender type with such a method, e.g. a bank, is asked the same way); a loan
  held by the securities market or by a failed lender has ``f = 1``.

One draw from ``economy.rng`` per maturing loan (rolled when the draw is below ``pi_i``).
With C4 off every maturing loan is rolled. A rolled-over loan's maturity moves
``gpu_loan_rollover_months`` on. A borrower refused a rollover may try to replace the
principal with new shares (:func:`abm.funding.refinance_with_equity`), priced and limited.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.funding import refinance_with_equity
from aicredit.abm.gpu_loans import lender_agent

__all__ = ["roll_over_maturing", "rollover_probability", "loan_ltv", "debt_service_coverage",
           "lender_funding_share"]

#: Bounds of the base share in the logit (so 0 and 1 stay finite).
_EPS = 1e-9


def rollover_probability(ltv: np.ndarray, coverage: np.ndarray, funding: np.ndarray,
                         base_share: float, ltv_ref: float, ltv_sensitivity: float,
                         coverage_sensitivity: float) -> np.ndarray:
    """``f * Lambda(logit(base) - b_ltv (LTV - LTV_ref) + b_cov log(min(DSC, 1)))`` (module docstring).

    Falls with the loan's LTV, rises with the borrower's coverage up to 1, scales with the
    lender's funding share ``f``; equals ``f * base_share`` at ``LTV_ref`` and full coverage.
    """
    base = min(max(base_share, _EPS), 1.0 - _EPS)
    z = (math.log(base / (1.0 - base)) - ltv_sensitivity * (np.asarray(ltv, float) - ltv_ref)
         + coverage_sensitivity * np.log(np.clip(np.asarray(coverage, float), _EPS, 1.0)))
    return np.asarray(funding, float) / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def loan_ltv(economy: Economy, rows: np.ndarray) -> np.ndarray:
    """Debt over collateral at this month's GPU market price (``inf`` with no collateral value)."""
    book = economy.gpu_loans
    value = book.units[rows] * economy.gpu_market.price[book.vintage[rows]]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(value > 0, book.debt[rows] / np.where(value > 0, value, 1.0), np.inf)


def debt_service_coverage(neocloud) -> float:
    """Contracted revenue over this month's dues (inf with no dues)."""
    dues = neocloud.monthly_costs_usd()
    return neocloud.contracted_revenue_usd() / dues if dues > 0 else math.inf


def lender_funding_share(economy: Economy, code: int) -> float:
    """The funding state ``f`` of the lender coded ``code`` in the loan book (module docstring)."""
    lender = lender_agent(economy, code)          # a fund, a bank, or None for the market
    if lender is None or lender.defaulted or not hasattr(lender, "rollover_share"):
        return 1.0
    return float(lender.rollover_share())


def roll_over_maturing(economy: Economy) -> None:
    """Lenders decide which GPU loans maturing this month they roll over (module docstring)."""
    p = economy.p
    book = economy.gpu_loans
    t = economy.steps
    rows = np.flatnonzero(book.active & (book.maturity_step <= t))
    if rows.size == 0:
        return
    draws = economy.rng.random(rows.size)
    if not p.c4_rollover_risk:
        book.roll_over(rows, t, p.gpu_loan_rollover_months)
        return
    borrowers = book.borrower[rows]
    cover = {int(j): debt_service_coverage(economy.neoclouds[j]) for j in np.unique(borrowers)}
    lenders = book.lender[rows]
    funding = {int(k): lender_funding_share(economy, int(k)) for k in np.unique(lenders)}
    prob = rollover_probability(loan_ltv(economy, rows), np.array([cover[int(j)] for j in borrowers]),
                                np.array([funding[int(k)] for k in lenders]), p.rollover_base_share,
                                p.effective_gpu_ltv, p.rollover_ltv_sensitivity,
                                p.rollover_coverage_sensitivity)
    rolled = draws < prob
    book.roll_over(rows[rolled], t, p.gpu_loan_rollover_months)
    refused = np.bincount(borrowers[~rolled], weights=book.debt[rows[~rolled]],
                          minlength=len(economy.neoclouds))
    economy.month.rollovers_refused_usd = float(refused.sum())
    for j in np.flatnonzero(refused > 0):
        refinance_with_equity(economy, economy.neoclouds[j], float(refused[j]))
