"""Private credit's tech loan book: defaults that follow the AI economy [F19, F28].

Private credit lent ~450 bn to the tech sector by early 2025, with another ~800 bn expected
over two years [F28]; if the AI bubble bursts, "they will bear the losses". Beyond the GPU
loans and SPV loans the model follows one by one, each fund holds a pool of loans to tech
borrowers outside the model (:class:`abm.claims.LoanPool`, equal loans of
``tech_loan_size_bn``). Each month (stage 1, after the equity market):

- **Conditional default probability** (Vasicek 2002, the one-factor model behind the Basel
  IRB formula, BCBS 2005). A borrower defaults when its asset value, driven by a common AI
  factor ``z`` and its own shock, falls below its debt. Given ``z`` the one-year PD is::

      PD(z) = Phi( (Phi^-1(PD0) - sqrt(rho) * z) / sqrt(1 - rho) )

  with ``rho = tech_loan_asset_correlation`` and the unconditional ``PD0`` set so that the PD
  in a normal year (``z = 0``) is ``tech_loan_pd_per_year``:
  ``PD0 = Phi(Phi^-1(PD_normal) sqrt(1 - rho))`` (:func:`unconditional_pd`). The AI factor is
  the AI index's fall from its peak in units of its yearly volatility,
  ``z = ln(1 - drawdown) / tech_credit_factor_volatility_per_year`` (:func:`ai_credit_factor`):
  tech borrowers' enterprise values move with AI valuations, as stress tests map equity
  prices to PDs. ``z`` is 0 at a peak, so a boom does not lower PDs below the normal rate.
  With ``rho = 0`` defaults do not depend on the AI economy.
- **Idiosyncratic draws.** Each fund's live borrowers default independently given ``z``:
  the month's count is ``Binomial(n, 1 - (1 - PD(z))**(1/12))``, drawn from the run's
  credit stream (``model.credit_rng``), so a small pool's losses are lumpy and a large one's
  approach the Vasicek limit ``PD(z)``.
- **Recoveries from collateral.** A defaulted borrower's face is recovered at
  ``R = tech_loan_recovery * (1 - s * drawdown)`` (``s =
  tech_loan_recovery_drawdown_sensitivity``): the collateral is the borrower's business,
  worth less when tech valuations are down (recoveries fall when defaults rise, Altman,
  Brady, Resti and Sironi 2005). The rest is the fund's realised loss, looked through to its
  limited partners (:class:`abm.losses.LossBook`).
- **Fair value.** Loans are held at fair value (ASC 820): priced at par at the expected loss
  ``EL0 = PD0 (1 - R0)`` their coupon pays for, they are impaired by the extra expected loss
  over their remaining life, ``impairment = principal * D * max(0, EL(z) - EL0)`` with
  ``EL(z) = PD(z) (1 - R)`` and ``D = tech_loan_duration_years``, capped at the loss given
  default ``principal * (1 - R)``. The change in impairment moves the fund's true NAV as a
  mark (a loss return), which the reported NAV smooths (:mod:`abm.agents.private_credit`).
- **Growth** [F28]. For ``tech_loan_growth_months`` from step 0, funds lend
  ``tech_loan_growth_bn_per_year`` of new tech loans a year (shared in proportion to their
  tech books), scaled by their lending appetite, with money their pension and endowment LPs
  commit as new fund shares (capital called when a deal closes, so nothing is called when
  lending stops). A pool has one coupon, so loans added during a drawdown are lent at par but
  carry the pool's impairment rate from the next mark (a simplification: a new loan would be
  priced at the spread of the day).

The scripted write-off (``tech_credit_loss_step``, :func:`write_off_tech_loans`) remains
available as an explicit shock on top of these defaults.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from aicredit.abm.economy import Economy
from aicredit.abm.units import BN, MONTHS_PER_YEAR

__all__ = ["vasicek_pd", "unconditional_pd", "monthly_pd", "ai_credit_factor", "CreditConditions",
           "credit_conditions", "default_tech_loans", "mark_tech_loans", "lend_to_tech",
           "write_off_tech_loans", "tech_credit_month"]

_NORMAL = NormalDist()
#: PDs are kept inside (0, 1) before the inverse normal (the formula's limits are 0 and 1).
PD_EPS = 1e-12
#: Kind of the pool claims in the claim book.
KIND = "tech_loan"
#: The outside account of the tech borrowers (pays interest and recoveries).
BORROWERS = "other_borrowers"
#: The outside LPs who commit the new money the tech book grows with [F28].
NEW_LPS = "pensions_endowments"
#: Who buys a BDC's new shares: the public (BDCs are listed [R15]).
BDC_SHAREHOLDERS = "outside_investors"


def vasicek_pd(pd_uncond: float, rho: float, z: float) -> float:
    """One-year PD given the common factor ``z`` (Vasicek 2002; BCBS 2005).

    ``Phi((Phi^-1(PD0) - sqrt(rho) z) / sqrt(1 - rho))`` for the unconditional ``PD0``: its
    mean over ``z ~ N(0, 1)`` is ``PD0``; it equals ``PD0`` for every ``z`` when ``rho = 0``
    and rises as ``z`` falls when ``rho > 0``.
    """
    if pd_uncond <= 0.0:
        return 0.0
    if pd_uncond >= 1.0:
        return 1.0
    if rho <= 0.0:
        return pd_uncond
    x = (_NORMAL.inv_cdf(min(max(pd_uncond, PD_EPS), 1.0 - PD_EPS)) - math.sqrt(rho) * z)
    return _NORMAL.cdf(x / math.sqrt(1.0 - rho))


def unconditional_pd(pd_at_zero: float, rho: float) -> float:
    """The ``PD0`` whose conditional PD at ``z = 0`` is ``pd_at_zero``:
    ``Phi(Phi^-1(pd_at_zero) sqrt(1 - rho))`` (inverts :func:`vasicek_pd` at the median factor)."""
    if pd_at_zero <= 0.0 or pd_at_zero >= 1.0 or rho <= 0.0:
        return pd_at_zero
    return _NORMAL.cdf(_NORMAL.inv_cdf(pd_at_zero) * math.sqrt(1.0 - rho))


def monthly_pd(pd_per_year: float) -> float:
    """The monthly hazard with the same one-year survival: ``1 - (1 - PD)**(1/12)``."""
    return 1.0 - (1.0 - min(max(pd_per_year, 0.0), 1.0)) ** (1.0 / MONTHS_PER_YEAR)


def ai_credit_factor(drawdown: float, volatility_per_year: float) -> float:
    """The AI factor ``z = ln(1 - drawdown) / sigma``: 0 at the AI index's peak, negative below."""
    if volatility_per_year <= 0.0:
        return 0.0
    return math.log(max(1.0 - drawdown, PD_EPS)) / volatility_per_year


@dataclass(frozen=True)
class CreditConditions:
    """The month's credit conditions for tech borrowers."""

    z: float                  # the AI factor
    pd_per_year: float        # PD(z)
    recovery: float           # recovery rate on a defaulted face
    impairment_rate: float    # fair-value impairment per USD of principal

    @property
    def pd_per_month(self) -> float:
        return monthly_pd(self.pd_per_year)


def credit_conditions(p, drawdown: float) -> CreditConditions:
    """PD, recovery and fair-value impairment rate for an AI index ``drawdown`` from its peak."""
    z = ai_credit_factor(drawdown, p.tech_credit_factor_volatility_per_year)
    rho = p.tech_loan_asset_correlation
    # at the peak the normal-year PD exactly (the round trip through Phi^-1 is off by ~1e-17)
    pd = (vasicek_pd(unconditional_pd(p.tech_loan_pd_per_year, rho), rho, z) if z < 0
          else p.tech_loan_pd_per_year)
    recovery = p.tech_loan_recovery * (1.0 - p.tech_loan_recovery_drawdown_sensitivity * drawdown)
    el0 = p.tech_loan_pd_per_year * (1.0 - p.tech_loan_recovery)
    extra = p.tech_loan_duration_years * max(0.0, pd * (1.0 - recovery) - el0)
    return CreditConditions(z=z, pd_per_year=pd, recovery=recovery,
                            impairment_rate=min(extra, 1.0 - recovery))


def _funds_pools(economy: Economy):
    for f in economy.funds:
        if not f.defaulted:
            for c in f.claims_held(KIND):
                yield f, c


def default_tech_loans(economy: Economy, cond: CreditConditions) -> None:
    """This month's defaults in each fund's tech pool: binomial given the AI factor."""
    rng = economy.credit_rng
    q = cond.pd_per_month
    step = economy.steps
    for f, pool in _funds_pools(economy):
        alive = pool.borrowers_alive()
        n = int(rng.binomial(alive, q)) if alive > 0 and q > 0 else 0
        if n <= 0:
            continue
        released = pool.impairment_usd
        face, recovered = pool.default_borrowers(n, cond.recovery)
        released -= pool.impairment_usd
        f.receive(BORROWERS, recovered, "tech_loan_recovery")
        economy.losses.record(f, face - recovered, economy.outside(BORROWERS), "tech_loan_default", step)
        f.record_mark(-released)          # the impairment held on them leaves with the loans
        economy.month.tech_loan_defaults += n


def mark_tech_loans(economy: Economy, cond: CreditConditions) -> None:
    """Mark each fund's tech pool to fair value; the change is a mark in the fund's NAV."""
    for f, pool in _funds_pools(economy):
        change = pool.mark(pool.principal_usd * cond.impairment_rate)
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
        pool.lend(amount, size)


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
    """Stage 1's credit step: the scripted write-off if due, defaults, then fair-value marks."""
    p = economy.p
    if economy.steps == p.tech_credit_loss_step:
        write_off_tech_loans(economy, p.tech_credit_loss_share)
    cond = credit_conditions(p, economy.equity_market.drawdown())
    default_tech_loans(economy, cond)
    mark_tech_loans(economy, cond)
    economy.month.tech_loan_pd_per_year = cond.pd_per_year
    return cond
