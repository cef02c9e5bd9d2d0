"""Private credit's tech loan book: defaults from the borrowers' cash flows [F19, F28].

Private credit lent ~450 bn to the tech sector by early 2025, with another ~800 bn expected
over two years [F28]; if the AI bubble bursts, "they will bear the losses". Beyond the GPU
loans and SPV loans the model follows one by one, each fund holds a pool of loans to tech
borrowers (:class:`abm.claims.LoanPool`, equal loans of ``tech_loan_size_bn``) that lends
pro rata to the cohorts of AI-exposed firms of :mod:`abm.tech_borrowers`, whose revenue
follows the model's own AI spending against what was expected. Each month (stage 1, after
demand moves):

- **Conditional default probability** (Merton 1974, from cash flows): the cohorts' one-year
  PDs given their revenue (:func:`abm.tech_borrowers.cohort_pd_per_year`); a pool's
  borrowers are spread over the cohorts evenly, so its monthly hazard is the cohorts' mean
  hazard ``q = mean_j (1 - (1 - PD_j)^(1/12))``.
- **Idiosyncratic draws.** Each fund's live borrowers default independently given the
  cohorts' state: the month's count is ``Binomial(n, q)``, drawn from the run's credit
  stream (``model.credit_rng``), so a small pool's losses are lumpy.
- **Recoveries from the borrowers' assets**: the defaulted face is recovered at the cohorts'
  recovery rates (:func:`abm.tech_borrowers.cohort_recovery`, the defaulters' expected asset
  value less bankruptcy costs), weighted by their hazards. The rest is the fund's realised
  loss, looked through to its limited partners (:class:`abm.losses.LossBook`).
- **Fair value** (ASC 820, with the lifetime expected loss of CECL and IFRS 9): a pool's
  loans mature evenly over the next ``N = 2 W`` months (``W``, the pool's weighted average
  remaining life, :attr:`LoanPool.remaining_months`), so its lifetime expected loss per USD
  is ``EL = (1/N) sum_{n<=N} mean_j EL_j(n)`` on the mean-reverting path of
  :func:`abm.tech_borrowers.lifetime_el`. The coupon pays for the same loss on the expected
  path (factor and shocks at 0), ``EL0``; the impairment is ``principal * max(0, EL - EL0)``,
  0 when AI spending is as expected. The change in impairment moves the fund's true NAV as a
  mark (a loss return), which the reported NAV smooths (:mod:`abm.agents.private_credit`).
- **Growth** [F28]. For ``tech_loan_growth_months`` from step 0, funds lend
  ``tech_loan_growth_bn_per_year`` of new tech loans a year (shared in proportion to their
  tech books), scaled by their lending appetite, with money their pension and endowment LPs
  commit as new fund shares (capital called when a deal closes, so nothing is called when
  lending stops). New loans run ``tech_loan_maturity_months``; a pool's maturing loans are
  refinanced in the pool (a rolling book). A pool has one coupon, so loans added in a
  downturn are lent at par but carry the pool's impairment rate from the next mark (a
  simplification: a new loan would be priced at the spread of the day).

The scripted write-off (``tech_credit_loss_step``, :func:`write_off_tech_loans`) remains
available as an explicit shock on top of these defaults. Nothing here reads the AI stock index.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.tech_borrowers import (
    TechBorrowers,
    cohort_pd_per_year,
    cohort_recovery,
    lifetime_el,
    monthly_pd,
)
from aicredit.abm.units import BN, MONTHS_PER_YEAR

__all__ = ["monthly_pd", "CreditConditions", "credit_conditions", "default_tech_loans",
           "mark_tech_loans", "lend_to_tech", "write_off_tech_loans", "tech_credit_month"]

#: Kind of the pool claims in the claim book.
KIND = "tech_loan"
#: The outside account of the tech borrowers (pays interest and recoveries).
BORROWERS = "other_borrowers"
#: The outside LPs who commit the new money the tech book grows with [F28].
NEW_LPS = "pensions_endowments"
#: Who buys a BDC's new shares: the public (BDCs are listed [R15]).
BDC_SHAREHOLDERS = "outside_investors"


@dataclass(frozen=True)
class CreditConditions:
    """The month's credit conditions for tech borrowers (a pool lends to every cohort evenly)."""

    pd_per_year: float        # the pool's one-year PD (mean over cohorts)
    pd_per_month: float       # its monthly hazard (mean of the cohorts' hazards)
    recovery: float           # recovery rate on a defaulted face (hazard-weighted)
    excess_el: np.ndarray     # lifetime EL above the priced one, per USD, by horizon 1..months

    def impairment_rate(self, remaining_months: float) -> float:
        """``max(0, EL - EL0)`` for loans maturing evenly over ``2 W`` months (module docstring)."""
        n = int(min(max(round(2.0 * remaining_months), 1), len(self.excess_el)))
        return max(0.0, float(self.excess_el[:n].mean()))


def credit_conditions(borrowers: TechBorrowers, months: int) -> CreditConditions:
    """PD, recovery and lifetime excess expected loss from the cohorts' state."""
    t = borrowers.terms
    revenue = borrowers.revenue()
    pd = cohort_pd_per_year(t, revenue)
    hazard = monthly_pd(pd)
    recovery = cohort_recovery(t, revenue)
    weight = hazard.sum()
    rec = float((hazard * recovery).sum() / weight) if weight > 0 else float(recovery.mean())
    kappa = borrowers.reversion_per_year
    el = lifetime_el(t, borrowers.ai_shares, borrowers.factor, borrowers.shocks, kappa, months,
                     borrowers.shock_reversion_per_year)
    el0 = borrowers.priced_el(months)
    return CreditConditions(pd_per_year=float(pd.mean()), pd_per_month=float(hazard.mean()),
                            recovery=rec, excess_el=(el - el0).mean(axis=0))


def _funds_pools(economy: Economy):
    for f in economy.funds:
        if not f.defaulted:
            for c in f.claims_held(KIND):
                yield f, c


def default_tech_loans(economy: Economy, cond: CreditConditions) -> None:
    """This month's defaults in each fund's tech pool: binomial given the cohorts' state."""
    rng = economy.credit_rng
    q = cond.pd_per_month
    step = economy.steps
    alive_total, defaults = 0, 0
    for f, pool in _funds_pools(economy):
        alive = pool.borrowers_alive()
        n = int(rng.binomial(alive, q)) if alive > 0 and q > 0 else 0
        alive_total += alive
        defaults += n
        if n <= 0:
            continue
        released = pool.impairment_usd
        face, recovered = pool.default_borrowers(n, cond.recovery)
        released -= pool.impairment_usd
        f.receive(BORROWERS, recovered, "tech_loan_recovery")
        economy.losses.record(f, face - recovered, economy.outside(BORROWERS), "tech_loan_default", step)
        f.record_mark(-released)          # the impairment held on them leaves with the loans
        economy.month.tech_loan_defaults += n
    economy.tech_borrowers.record_defaults(defaults, alive_total)


def mark_tech_loans(economy: Economy, cond: CreditConditions) -> None:
    """Mark each fund's tech pool to fair value; the change is a mark in the fund's NAV."""
    for f, pool in _funds_pools(economy):
        change = pool.mark(pool.principal_usd * cond.impairment_rate(pool.remaining_months))
        f.record_mark(-change)


def lend_to_tech(economy: Economy) -> None:
    """New tech loans [F28], funded by new commitments of pension and endowment LPs to the
    funds and, in a BDC, by new shares sold to the public and bank debt at its target
    leverage [R15] (:meth:`PrivateCreditFund.borrow_to_grow`)."""
    p = economy.p
    if economy.steps >= p.tech_loan_growth_months or p.tech_loan_growth_bn_per_year <= 0:
        return
    pools = list(_funds_pools(economy))
    book = sum(pool.principal_usd for _, pool in pools)
    if book <= 0:
        return
    monthly = p.tech_loan_growth_bn_per_year * BN / MONTHS_PER_YEAR
    size = p.tech_loan_size_bn * BN
    for f, pool in pools:
        amount = monthly * pool.principal_usd / book * f.appetite
        if amount <= 0:
            continue
        amount = f.finance_growth(amount)          # new shares (and, for a BDC, bank debt)
        if amount <= 0:
            continue
        f.pay(BORROWERS, amount, "tech_loan_disbursement")
        pool.lend(amount, size, economy.p.tech_loan_maturity_months)


def write_off_tech_loans(economy: Economy, share: float) -> None:
    """A scripted shock: ``share`` of every fund's tech book is lost at once [F28].

    The scenario's ``tech_credit_loss_step`` and ``tech_credit_loss_share``; each fund books
    the loss on itself (and its LPs); impairment held on the written-off loans is released.
    """
    for f, pool in _funds_pools(economy):
        loss = share * (pool.principal_usd + pool.arrears_usd)
        released = pool.impairment_usd
        pool.write_down(loss)
        released -= pool.impairment_usd
        economy.losses.record(f, loss, pool.issuer, KIND, economy.steps)
        f.record_mark(-released)


def tech_credit_month(economy: Economy) -> CreditConditions:
    """Stage 1's credit step: the borrowers' month, the scripted write-off if due, defaults,
    then fair-value marks (the pools' loans age a month first, :meth:`LoanPool.age`)."""
    p = economy.p
    economy.tech_borrowers.observe(economy)
    if economy.steps == p.tech_credit_loss_step:
        write_off_tech_loans(economy, p.tech_credit_loss_share)
    cond = credit_conditions(economy.tech_borrowers, p.tech_loan_maturity_months)
    default_tech_loans(economy, cond)
    for _, pool in _funds_pools(economy):
        pool.age(p.tech_loan_maturity_months)
    mark_tech_loans(economy, cond)
    economy.month.tech_loan_pd_per_year = cond.pd_per_year
    return cond
