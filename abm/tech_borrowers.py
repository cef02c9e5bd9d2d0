"""Private credit's tech borrowers: cohorts of AI-exposed firms and their cash flows [F28].

The "other tech loans" of the funds (:mod:`abm.tech_credit`) are loans to software and
infrastructure firms that sell to the AI build-out. They are ``K`` cohorts
(``tech_borrower_cohorts``) to which every fund's pool lends pro rata; cohort ``j`` earns a
share ``a_j`` of its revenue from AI spending (spread evenly from ``(1 - s) a`` to
``(1 + s) a`` around ``a = tech_borrower_ai_revenue_share``, ``s = 1/2``), the rest from
business that grows as expected. Each month (stage 1, after demand moves):

- **The common factor**: the model's own AI spending against what was expected for it.
  AI spending ``S_t`` is end-user AI demand, the hyperscalers' capex (last month's; their
  opening capex before they have invested) and the labs' compute purchases (what their
  compute contracts bill). Its surprise over ``k = min(12, t)`` months is
  ``f_t = ln S_t - ln S_{t-k} - g_{t-k} k / 12`` with ``g_{t-k}`` the hyperscalers' mean
  believed growth then (the expectation path of :meth:`Hyperscaler.disappointment`, applied
  to all AI spending): 0 when AI spending grows as expected. No AI stock price enters.
- **Cohort shocks** ``u_j`` from the run's credit stream: an AR(1) in logs,
  ``u' = phi u + sigma_c sqrt(1 - phi^2) eps`` with ``phi = exp(-kappa_c / 12)``
  (``kappa_c = tech_cohort_shock_reversion_per_year``) and stationary volatility
  ``sigma_c = tech_cohort_revenue_volatility``.
- **Revenue** relative to what was underwritten: ``r_j = ((1 - a_j) + a_j e^f) e^{u_j}``,
  and a borrower's ``r_i = r_j e^{eta_i}`` with an idiosyncratic one-year
  ``eta_i ~ N(0, sigma_b^2)``.
- **Cash flow and asset value** (per USD of revenue expected at underwriting): operating
  costs are a fixed part ``c_f = (1 - m) phi_f`` and a variable part ``c_v = (1 - m)(1 - phi_f)``
  (``m = tech_borrower_ebitda_margin``, ``phi_f = tech_borrower_fixed_cost_share``), so
  EBITDA is ``e = r (1 - c_v) - c_f`` (``m`` on the expected path). The asset value is the
  present value of the expected operating cash flow, a multiple ``M`` of EBITDA
  (``tech_borrower_ev_to_ebitda``; Goldstein, Ju and Leland 2001, where the firm's value is
  the present value of its EBIT flow). The debt is ``L`` times EBITDA at underwriting
  (``L = tech_borrower_debt_to_ebitda``), with coupon ``i`` (the pools' rate).
- **Default** (Merton 1974; with the cash-flow test of Kim, Ramaswamy and Sundaresan 1993):
  a borrower defaults when its asset value falls below its debt, ``M e < L m``, or its
  operating cash flow below its coupon, ``e < L m i``: when revenue falls below
  ``r* = (c_f + m L max(1/M, i)) / (1 - c_v)`` (:func:`revenue_barrier`). The one-year PD of
  cohort ``j`` is ``PD_j = Phi((ln r* - ln r_j) / sigma_b)`` (:func:`cohort_pd_per_year`).
- **Calibration**: ``sigma_b`` is implied by the default rate on the expected path,
  ``tech_loan_pd_per_year`` ([R28, R29]): ``sigma_b = ln r* / Phi^-1(PD)``
  (:func:`idiosyncratic_volatility`), as an implied volatility.
- **Recovery** from the defaulted borrower's assets: the expected asset value of borrowers
  below the barrier, ``E[M max(e, 0) | r_i < r*] / (L m)`` (a lognormal partial
  expectation), less the bankruptcy cost ``alpha = tech_loan_bankruptcy_cost`` (Andrade and
  Kaplan 1998), at most the face (:func:`cohort_recovery`).
- **Lifetime expected loss** (CECL, ASC 326; IFRS 9 stage 2): on the mean-reverting path
  ``f_tau = f e^{-kappa tau / 12}`` (``kappa = tech_factor_reversion_per_year``, the
  measurement's reversion speed) and ``u_tau = u phi^tau`` (the shocks' own persistence), the monthly hazard
  ``h_tau = 1 - (1 - PD_tau)^(1/12)``, survival ``S_tau`` and loss given default ``1 - R_tau``
  give the discounted cumulative loss ``EL(n) = sum_{tau <= n} S_{tau-1} h_tau (1 - R_tau)
  (1 + i/12)^-tau`` for each horizon ``n`` (:func:`lifetime_el`).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np
from scipy.special import ndtr

from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["BorrowerTerms", "monthly_pd", "revenue_barrier", "idiosyncratic_volatility", "cohort_ai_shares",
           "cohort_revenue", "cohort_pd_per_year", "cohort_recovery", "lifetime_el",
           "ai_spending_usd", "spending_surprise", "TechBorrowers"]

_NORMAL = NormalDist()
#: Revenue ratios are kept above this before the log (a cohort cannot earn nothing and less).
R_EPS = 1e-9
#: The spread of cohorts' AI revenue shares around the mean: from (1 - s) a to (1 + s) a.
AI_SHARE_SPREAD = 0.5
#: Revenue is a trailing quarter's mean of AI spending (firms report and plan by quarter).
QUARTER_MONTHS = 3
#: The trailing window of the reported default rate (months).
RATE_WINDOW_MONTHS = 12


@dataclass(frozen=True)
class BorrowerTerms:
    """A tech borrower's cost structure, leverage and valuation at underwriting."""

    margin: float             # EBITDA margin m on the expected path
    fixed_share: float        # share of operating costs that does not scale with revenue
    debt_to_ebitda: float     # L at underwriting
    ev_to_ebitda: float       # M: asset value = M x EBITDA
    rate_per_year: float      # coupon i
    bankruptcy_cost: float    # alpha: share of asset value lost in default
    pd_per_year: float        # PD on the expected path (calibration target)

    @classmethod
    def from_params(cls, p) -> BorrowerTerms:
        return cls(p.tech_borrower_ebitda_margin, p.tech_borrower_fixed_cost_share,
                   p.tech_borrower_debt_to_ebitda, p.tech_borrower_ev_to_ebitda,
                   p.pc_other_loan_rate_per_year, p.tech_loan_bankruptcy_cost, p.tech_loan_pd_per_year)

    @property
    def fixed_cost(self) -> float:
        return (1.0 - self.margin) * self.fixed_share

    @property
    def variable_cost(self) -> float:
        return (1.0 - self.margin) * (1.0 - self.fixed_share)

    @cached_property
    def barrier(self) -> float:
        return revenue_barrier(self)

    @cached_property
    def sigma(self) -> float:
        return idiosyncratic_volatility(self.barrier, self.pd_per_year)


def revenue_barrier(t: BorrowerTerms) -> float:
    """Revenue (over the expected) below which a borrower defaults:
    ``r* = (c_f + m L max(1/M, i)) / (1 - c_v)`` (asset value below debt, or EBITDA below the coupon)."""
    debt_test = t.margin * t.debt_to_ebitda * max(1.0 / t.ev_to_ebitda, t.rate_per_year)
    return (t.fixed_cost + debt_test) / (1.0 - t.variable_cost)


def idiosyncratic_volatility(barrier: float, pd_per_year: float) -> float:
    """The borrowers' one-year log-revenue volatility that gives ``pd_per_year`` on the
    expected path: ``sigma_b = ln r* / Phi^-1(PD)`` (needs ``r* < 1`` and ``0 < PD < 1/2``)."""
    if not 0.0 < pd_per_year < 0.5 or not 0.0 < barrier < 1.0:
        raise ValueError(f"no volatility gives PD {pd_per_year} at barrier {barrier}")
    return math.log(barrier) / _NORMAL.inv_cdf(pd_per_year)


def monthly_pd(pd_per_year):
    """The monthly hazard with the same one-year survival: ``1 - (1 - PD)**(1/12)``."""
    return 1.0 - (1.0 - np.clip(pd_per_year, 0.0, 1.0)) ** (1.0 / MONTHS_PER_YEAR)


def cohort_ai_shares(mean_share: float, n: int) -> np.ndarray:
    """Each cohort's share of revenue from AI spending, evenly from (1 - s) to (1 + s) x mean."""
    steps = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(n)
    return np.clip(mean_share * (1.0 + AI_SHARE_SPREAD * steps), 0.0, 1.0)


def cohort_revenue(ai_shares: np.ndarray, factor, shocks) -> np.ndarray:
    """Revenue over the underwritten: ``r = ((1 - a) + a e^f) e^u`` (broadcasts)."""
    return ((1.0 - ai_shares) + ai_shares * np.exp(factor)) * np.exp(shocks)


def cohort_pd_per_year(t: BorrowerTerms, revenue) -> np.ndarray:
    """One-year PD of a cohort at revenue ratio ``r``: ``Phi((ln r* - ln r) / sigma_b)``."""
    return ndtr((math.log(t.barrier) - np.log(np.maximum(revenue, R_EPS))) / t.sigma)


def cohort_recovery(t: BorrowerTerms, revenue) -> np.ndarray:
    """Recovery per USD of face on a defaulted borrower of a cohort at revenue ratio ``r``.

    With ``y = ln r_i ~ N(ln r, sigma_b^2)``, default below ``k = ln r*`` and no asset value
    below ``h = ln(c_f / (1 - c_v))`` (EBITDA 0): ``E[V | default] / D =
    M / (L m) * ((1 - c_v) E[e^y; h<y<k] - c_f P(h<y<k)) / P(y<k)``; recovery is
    ``(1 - alpha)`` times it, in [0, 1].
    """
    s = t.sigma
    mu = np.log(np.maximum(revenue, R_EPS))
    k = math.log(t.barrier)
    h = math.log(t.fixed_cost / (1.0 - t.variable_cost)) if t.fixed_cost > 0 else -np.inf
    p_def = np.maximum(ndtr((k - mu) / s), 1e-300)
    p_band = ndtr((k - mu) / s) - ndtr((h - mu) / s)
    e_band = np.exp(mu + 0.5 * s * s) * (ndtr((k - mu - s * s) / s) - ndtr((h - mu - s * s) / s))
    value = t.ev_to_ebitda / (t.debt_to_ebitda * t.margin) * (
        (1.0 - t.variable_cost) * e_band - t.fixed_cost * p_band) / p_def
    return np.clip((1.0 - t.bankruptcy_cost) * value, 0.0, 1.0)


def lifetime_el(t: BorrowerTerms, ai_shares: np.ndarray, factor: float, shocks: np.ndarray,
                reversion_per_year: float, months: int, shock_reversion_per_year: float | None = None
                ) -> np.ndarray:
    """Discounted cumulative expected loss per USD of face, cohorts x horizons 1..``months``.

    The factor reverts to 0 at ``kappa = reversion_per_year`` a year, the cohort shocks at
    ``shock_reversion_per_year`` (``kappa`` when not given; module docstring);
    ``EL[j, n-1] = sum_{tau=1..n} S_{j,tau-1} h_{j,tau} (1 - R_{j,tau}) (1 + i/12)^-tau``.
    """
    tau = np.arange(1, months + 1)
    decay = np.exp(-reversion_per_year * tau / MONTHS_PER_YEAR)
    kappa_c = reversion_per_year if shock_reversion_per_year is None else shock_reversion_per_year
    shock_decay = np.exp(-kappa_c * tau / MONTHS_PER_YEAR)
    revenue = cohort_revenue(ai_shares[:, None], factor * decay[None, :],
                             shocks[:, None] * shock_decay[None, :])
    hazard = monthly_pd(cohort_pd_per_year(t, revenue))
    survival = np.cumprod(1.0 - hazard, axis=1)
    before = np.hstack([np.ones((len(ai_shares), 1)), survival[:, :-1]])
    discount = (1.0 + t.rate_per_year / MONTHS_PER_YEAR) ** -tau
    return np.cumsum(before * hazard * (1.0 - cohort_recovery(t, revenue)) * discount, axis=1)


def ai_spending_usd(economy: Economy) -> float:
    """This month's AI spending the borrowers sell into (USD/month): end-user AI demand, the
    live hyperscalers' capex (last month's; the opening capex before their first decision)
    and the live labs' compute purchases (their active compute contracts' monthly payments)."""
    capex = sum(h.capex_usd if h.growth_history else h.capex0_usd_per_month
                for h in economy.hyperscalers if not h.defaulted)
    step = economy.steps
    compute = sum(c.payment_usd_per_month for lab in economy.labs if not lab.defaulted
                  for c in lab.claims_issued("compute_contract") if c.active(step))
    return economy.demand.usd_per_month + capex + compute


def spending_surprise(spending: list[float], expected_growth: list[float], window_months: int) -> float:
    """``f_t = ln S_t - ln S_{t-k} - g_{t-k} k / 12`` with ``k = min(window, t)``: 0 at step 0."""
    k = min(window_months, len(spending) - 1)
    if k <= 0 or spending[-1 - k] <= 0 or spending[-1] <= 0:
        return 0.0
    return math.log(spending[-1] / spending[-1 - k]) - expected_growth[-1 - k] * k / MONTHS_PER_YEAR


class TechBorrowers:
    """The cohorts' state: AI spending and its expectation, the factor, the cohort shocks and
    the book's recent defaults (for the trailing default rate)."""

    def __init__(self, p):
        self.terms = BorrowerTerms.from_params(p)
        self.ai_shares = cohort_ai_shares(p.tech_borrower_ai_revenue_share, p.tech_borrower_cohorts)
        self.reversion_per_year = p.tech_factor_reversion_per_year
        self.shock_reversion_per_year = p.tech_cohort_shock_reversion_per_year
        self.cohort_volatility = p.tech_cohort_revenue_volatility
        self.shocks = np.zeros(p.tech_borrower_cohorts)
        self.learning_rate = p.capex_learning_rate
        self.window_months = p.tech_underwriting_window_months
        self.raw_spending: deque[float] = deque(maxlen=QUARTER_MONTHS)   # the trailing quarter
        self.spending: list[float] = []          # trailing quarterly mean of AI spending
        self.expected_growth: list[float] = []   # lenders' expected log growth a year, each month
        self.growth = 0.0
        self.factor = 0.0
        self.recent: deque[tuple[int, int]] = deque(maxlen=RATE_WINDOW_MONTHS)
        self._priced_el: dict[int, np.ndarray] = {}
        self.defaults_total = 0                 # defaults and borrower-months since step 0
        self.borrower_months_total = 0

    def observe(self, economy: Economy) -> None:
        """The month's AI spending (its trailing quarterly mean), its surprise ``f`` and the
        cohorts' new shocks; then the lenders' expected growth learns from the month."""
        self.raw_spending.append(ai_spending_usd(economy))
        self.spending.append(float(np.mean(self.raw_spending)))
        if not self.expected_growth:            # underwriting: the hyperscalers' belief [F17]
            beliefs = [h.expected_growth for h in economy.hyperscalers if not h.defaulted]
            self.growth = float(np.mean(beliefs)) if beliefs else 0.0
        self.expected_growth.append(self.growth)
        self.factor = spending_surprise(self.spending, self.expected_growth, self.window_months)
        if len(self.spending) > 1:
            realised = MONTHS_PER_YEAR * math.log(self.spending[-1] / self.spending[-2])
            self.growth += self.learning_rate * (realised - self.growth)
        phi = math.exp(-self.shock_reversion_per_year / MONTHS_PER_YEAR)
        eps = economy.credit_rng.standard_normal(len(self.shocks))
        self.shocks = phi * self.shocks + self.cohort_volatility * math.sqrt(1.0 - phi * phi) * eps

    def priced_el(self, months: int) -> np.ndarray:
        """The lifetime loss the coupon pays for: :func:`lifetime_el` on the expected path
        (factor and shocks at 0), cohorts x horizons (computed once)."""
        if months not in self._priced_el:
            zero = np.zeros_like(self.shocks)
            self._priced_el[months] = lifetime_el(self.terms, self.ai_shares, 0.0, zero,
                                                  self.reversion_per_year, months,
                                                  self.shock_reversion_per_year)
        return self._priced_el[months]

    def revenue(self) -> np.ndarray:
        return cohort_revenue(self.ai_shares, self.factor, self.shocks)

    def record_defaults(self, defaults: int, alive_before: int) -> None:
        self.recent.append((defaults, alive_before))
        self.defaults_total += defaults
        self.borrower_months_total += alive_before

    def default_rate_per_year(self) -> float:
        """Defaults over borrower-months alive in the last 12 months, times 12."""
        alive = sum(a for _, a in self.recent)
        return MONTHS_PER_YEAR * sum(d for d, _ in self.recent) / alive if alive > 0 else 0.0

    def mean_default_rate_per_year(self) -> float:
        """Defaults over borrower-months alive since step 0, times 12 (the run's average rate)."""
        n = self.borrower_months_total
        return MONTHS_PER_YEAR * self.defaults_total / n if n > 0 else 0.0
