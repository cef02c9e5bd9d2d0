"""Insurers' private placements to tech borrowers: rated loans whose designations migrate [R17, R33].

Life insurers hold most of their private credit as privately placed bonds and loans with
NAIC designations, mostly 1 and 2 [R17, R33], not as fund interests. In the model a part of
each insurer's placements (``insurer_placement_tech_share``) lends to the same cohorts of
AI-exposed tech firms as the funds' tech book (:mod:`abm.tech_borrowers`), pro rata, as a
:class:`abm.claims.LoanPool` of kind ``private_placement``; the rest of its placements lend
to borrowers outside the model (``other_placement``, charged like its investment-grade
bonds). What differs from the funds' loans is the leverage: a
placement borrower carries ``insurer_placement_debt_to_ebitda`` times EBITDA (investment
grade on S&P's grid [R27]) against the funds' direct-lending 5-6x, at an investment-grade
coupon. Same cohorts, same revenue, same idiosyncratic volatility ``sigma_b``; so each month:

- **PD** (Merton 1974, as for the funds' borrowers): a borrower defaults when revenue falls
  below the placement barrier ``r*_p = (c_f + m L_p max(1/M, i_p)) / (1 - c_v)``, and cohort
  ``j``'s one-year PD is ``Phi((ln r*_p - ln r_j) / sigma_b)``.
- **Designation** (:mod:`abm.naic`): NAIC designations follow the agencies' ratings, and
  the agencies rate on leverage through the cycle [R27], not on the one-year Merton PD
  (which at investment-grade leverage moves five notches for a 10% fall in revenue). So
  cohort ``j``'s placements carry the category of S&P's grid notch at the cohort's current
  debt/EBITDA, ``L_p m / e_j`` with ``e_j = r_j (1 - c_v) - c_f`` its EBITDA per USD of
  expected revenue (operating leverage makes EBITDA fall faster than revenue; no EBITDA,
  the grid's worst notch, CCC). A pool's RBC factor is the cohorts' mean factor (it lends
  to every cohort evenly). As AI spending disappoints, revenue falls, leverage and PDs rise
  together and the placements migrate down the designations; the insurer's required
  capital rises before any default: the migration channel of CreditMetrics (Gupton, Finger
  and Bhatia 1997), with the migration driven by the borrowers' own cash flows rather than
  by a transition matrix.
- **Defaults**: binomial draws from the run's credit stream with the cohorts' mean monthly
  hazard, recovered at the cohorts' recovery rates at the placement leverage
  (:func:`abm.tech_borrowers.cohort_recovery`); the rest is the insurer's realised loss.
- **Statutory value**: amortised cost, as for NAIC 1-5 bonds (SSAP 26R): no fair-value
  mark; a default is a realised loss when it happens (a defaulted borrower leaves the pool,
  so no holding is ever NAIC 6 here).

The pool is a rolling book (matured loans are refinanced, :meth:`abm.claims.LoanPool.age`),
so placements change only by defaults and the insurer's sales.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from aicredit.abm.constraints import grid_notches
from aicredit.abm.economy import Economy
from aicredit.abm.naic import bond_factor, designation_category
from aicredit.abm.tech_borrowers import (
    R_EPS,
    BorrowerTerms,
    TechBorrowers,
    cohort_recovery,
    monthly_pd,
    revenue_barrier,
)

__all__ = ["KIND", "PlacementConditions", "placement_terms", "placement_ebitda", "placement_conditions",
           "placements_month"]

#: Kind of an insurer's pool of placements in the claim book.
KIND = "private_placement"
#: The outside account of the tech borrowers (pays interest and recoveries).
BORROWERS = "other_borrowers"


@dataclass(frozen=True)
class PlacementConditions:
    """The month's state of the placement borrowers (every pool lends to every cohort evenly)."""

    pd_per_year: np.ndarray     # by cohort
    notch: np.ndarray           # rating notch by cohort (S&P's grid at the current leverage)
    category: np.ndarray        # NAIC designation category by cohort (1..20)
    factor: float               # the pools' RBC factor: mean of the cohorts'
    pd_per_month: float         # mean monthly hazard
    recovery: float             # recovery on a defaulted face (hazard-weighted)

    def mean_category(self) -> float:
        return float(self.category.mean())


def placement_terms(direct: BorrowerTerms, debt_to_ebitda: float, rate_per_year: float) -> BorrowerTerms:
    """The tech borrowers' terms at a placement's leverage and coupon, with their volatility.

    The cost structure and valuation are the cohorts'; ``pd_per_year`` is set to the PD the
    direct borrowers' ``sigma_b`` gives at the placement barrier, ``Phi(ln r*_p / sigma_b)``,
    so the placement terms imply the same ``sigma_b``.
    """
    terms = dataclasses.replace(direct, debt_to_ebitda=debt_to_ebitda, rate_per_year=rate_per_year)
    pd = float(ndtr(np.log(revenue_barrier(terms)) / direct.sigma))
    return dataclasses.replace(terms, pd_per_year=pd)


def placement_ebitda(terms: BorrowerTerms, revenue: np.ndarray) -> np.ndarray:
    """EBITDA per USD of expected revenue at revenue ratio ``r``: ``r (1 - c_v) - c_f``."""
    return revenue * (1.0 - terms.variable_cost) - terms.fixed_cost


def placement_conditions(borrowers: TechBorrowers, terms: BorrowerTerms) -> PlacementConditions:
    """PDs, designations, RBC factor and recoveries of placements at the cohorts' revenue."""
    revenue = borrowers.revenue()
    log_r = np.log(np.maximum(revenue, R_EPS))
    pd = ndtr((np.log(terms.barrier) - log_r) / borrowers.terms.sigma)
    ebitda = placement_ebitda(terms, revenue)
    debt = terms.debt_to_ebitda * terms.margin
    leverage = np.divide(debt, ebitda, out=np.full_like(ebitda, np.inf), where=ebitda > 0)
    notch = grid_notches(leverage)
    category = designation_category(notch)
    hazard = monthly_pd(pd)
    recovery = cohort_recovery(terms, revenue)
    weight = hazard.sum()
    rec = float((hazard * recovery).sum() / weight) if weight > 0 else float(recovery.mean())
    return PlacementConditions(pd_per_year=pd, notch=notch, category=category,
                               factor=float(bond_factor(category).mean()),
                               pd_per_month=float(hazard.mean()), recovery=rec)


def placements_month(economy: Economy) -> None:
    """Stage 1, after the funds' tech book: the placements' conditions, then this month's
    defaults in each live insurer's pool (binomial given the cohorts' state), then the pools
    age a month."""
    p = economy.p
    cond = placement_conditions(economy.tech_borrowers, economy.placement_terms)
    economy.placements = cond
    rng, step = economy.credit_rng, economy.steps
    for ins in economy.insurers:
        if ins.defaulted:
            continue
        for pool in ins.claims_held(KIND):
            alive = pool.borrowers_alive()
            n = int(rng.binomial(alive, cond.pd_per_month)) if alive > 0 and cond.pd_per_month > 0 else 0
            if n > 0:
                face, recovered = pool.default_borrowers(n, cond.recovery)
                ins.receive(BORROWERS, recovered, "placement_recovery")
                economy.losses.record(ins, face - recovered, economy.outside(BORROWERS),
                                      "placement_default", step)
                economy.month.placement_defaults += n
            pool.age(p.insurer_placement_maturity_months)
