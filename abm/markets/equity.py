"""The equity market: AI sentiment, listed firms' values from fundamentals, the AI index (C10).

A listed firm's market value is the present value of its expected earnings times a common
sentiment factor and an idiosyncratic one, plus the marks on the equity stakes it holds:

    V_i,t = m_i * E_i,t * M(g_i,t) * s_t * u_i,t + A_i,t

- ``E_i`` is the firm's earnings from its own flows (:meth:`earnings_usd` of its class: the
  chipmaker's gross profit on GPU sales, a hyperscaler's operating cash flow and AI revenue
  net of the compute it rents, a neocloud's contracted revenue), smoothed as an exponential
  moving average over ``equity_earnings_smoothing_months``.
- ``M(g)`` is the present value of 1 USD/yr of earnings whose growth starts at ``g`` and
  fades geometrically (``equity_growth_persistence_per_year``) to the long-run growth
  ``equity_long_run_growth_per_year``, discounted at ``r`` = ``equity_discount_rate_per_year``
  (a two-stage Gordon (1959) model; see :meth:`EquityMarket.log_multiple`).
- ``g_i`` is the AI demand growth investors expect (hyperscalers' belief [F17], smoothed like
  earnings) on the AI share of the firm's earnings (all but a hyperscaler's legacy business),
  bounded to [``equity_growth_min_per_year``, ``equity_growth_max_per_year``].
- ``m_i`` is firm-specific and implicit: values move multiplicatively,
  ``log V_op,t - log V_op,t-1 = dlog E + dlog M + beta * dlog s + dlog u``, from the step-0 market
  cap (so step-0 facts hold) and from new equity issued at the market price (new money is
  valued like the firm's existing business). Before a firm's earnings have been observed
  (step 1) the value moves only with sentiment.
- Sentiment is a mean-reverting factor, the noise traders of Thurner, Farmer and
  Geanakoplos (2012): ``log s_t = phi * log s_t-1 + k * news_t - k_d * stress_t + sigma_s * eta``
  with ``news`` this month's log AI-demand growth minus the growth hyperscalers expected
  ([F17]), ``stress`` the liabilities of the institutions that failed last month over the
  listed firms' value, ``phi`` = ``sentiment_persistence_per_month``. A failure's shock
  decays with ``phi`` like any other; nothing reverses it mechanically, and there is no
  drift: prices rise only with earnings and their growth.
- ``log u_i,t = phi * log u_i,t-1 + sigma_e * eps_i`` (``equity_volatility_per_month``).
- ``A_i`` starts at the step-0 value of the equity stakes the firm holds and then moves with
  their marks (each stake's value now minus its value at the last update, or its cost if
  new; a stake wiped out in a failure takes its last mark with it): buying a stake at its
  price leaves the value unchanged, a customer's failure or fall in value lowers it
  (circular financing both ways, [F10, F13]). Value is floored at 0 and is 0 once the firm
  has defaulted.

Private AI labs' round valuations move with ``dlog E + dlog M + beta * dlog s`` (their revenue
as ``E``) and no noise. The AI index is the cap-weighted value of the listed AI firms
relative to step 0 [F18]; 401(k)s hold it. With C10 off, sentiment stays at 1 and prices do
not move.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from aicredit.abm.claims import EquityClaim
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["EquityMarket", "FirmState"]

#: Years of expected earnings summed in a firm's value (the tail beyond is negligible).
HORIZON_YEARS = 300
#: Smallest smoothed earnings used in logarithms (USD per month).
EARNINGS_FLOOR_USD = 1.0


class FirmState:
    """What the market remembers about one firm between months."""

    __slots__ = ("earnings", "log_e", "log_m", "log_u", "stakes", "marks")

    def __init__(self):
        self.earnings: float | None = None   # smoothed monthly earnings E
        self.log_e: float | None = None     # log E at the last update
        self.log_m: float | None = None     # log of the Gordon multiple at the last update
        self.log_u = 0.0                    # idiosyncratic log factor
        self.stakes = 0.0                   # A: the stakes' part of the value
        self.marks: dict[int, float] = {}   # claim id -> value at the last update


class EquityMarket:
    """Sentiment, market values of listed institutions and the AI index."""

    def __init__(self, *, sensitivity: float, beta: float, volatility_per_month: float,
                 enabled: bool, persistence_per_month: float, sentiment_volatility_per_month: float,
                 stress_sensitivity: float, discount_rate_per_year: float, growth_min_per_year: float,
                 growth_max_per_year: float, long_run_growth_per_year: float,
                 growth_persistence_per_year: float, smoothing_months: float):
        self.sensitivity = sensitivity
        self.beta = beta
        self.sigma = volatility_per_month
        self.enabled = enabled
        self.phi = persistence_per_month
        self.sigma_s = sentiment_volatility_per_month
        self.stress_sensitivity = stress_sensitivity
        self.r = discount_rate_per_year
        self.g_min = growth_min_per_year
        self.g_max = growth_max_per_year
        years = np.arange(1, HORIZON_YEARS + 1)
        if long_run_growth_per_year >= discount_rate_per_year:
            raise ValueError("equity_long_run_growth_per_year must be below equity_discount_rate_per_year "
                             f"({long_run_growth_per_year} >= {discount_rate_per_year}): values diverge")
        self._ell_long = math.log1p(long_run_growth_per_year)
        self._fade = growth_persistence_per_year ** years
        self._log_discount = years * math.log1p(discount_rate_per_year)
        self.smoothing = max(smoothing_months, 1.0)
        self.expected_ai_growth = 0.0
        self._ai_growth_seen = False
        self.sentiment = 1.0
        self.index_level = 1.0
        self.index_history = [1.0]          # the AI index at the end of each month
        self.listed: list = []
        self.private: list = []
        self.firms: dict[str, FirmState] = {}
        self._base_cap = 1.0

    def register(self, firms: list, private: Iterable = ()) -> None:
        """Fix the index constituents, their step-0 total value and their stakes' marks.

        ``private`` firms (AI labs) are not in the index; their round valuations move with
        sentiment and their own revenue.
        """
        self.listed = list(firms)
        self.private = list(private)
        self.firms = {f.name: FirmState() for f in self.listed + self.private}
        for f in self.listed:
            st = self.firms[f.name]
            st.marks = {c.id: c.value_usd() for c in self._stakes(f)}
            st.stakes = sum(st.marks.values())
        self._base_cap = sum(f.valuation_usd for f in self.listed) or 1.0

    @staticmethod
    def _stakes(firm) -> list:
        return [c for c in firm.claims_held() if isinstance(c, EquityClaim)]

    # --- fundamentals ----------------------------------------------------------------------
    def expected_growth(self, firm) -> float:
        """Expected yearly earnings growth of a firm: the AI demand growth investors expect,
        on the AI share of its earnings, bounded to [g_min, g_max]."""
        share = firm.ai_earnings_share() if hasattr(firm, "ai_earnings_share") else 1.0
        return min(max(share * self.expected_ai_growth, self.g_min), self.g_max)

    def log_multiple(self, g: float) -> float:
        """log of the value of 1 USD/yr of earnings growing at ``g`` now, fading to ``g_L``.

        ``M(g) = sum_{t>=1} exp(sum_{j<=t} l_j) / (1 + r)^t`` with the log growth of year ``j``
        ``l_j = l_L + (log(1 + g) - l_L) * delta^j`` (a two-stage model with a geometric fade).
        """
        ell = math.log1p(g)
        log_growth = np.cumsum(self._ell_long + (ell - self._ell_long) * self._fade)
        return float(np.log(np.exp(log_growth - self._log_discount).sum()))

    def _log_parts(self, firm) -> tuple[float, float] | None:
        """``(log E, log M(g))``; None before the firm's earnings are observed."""
        st = self.firms[firm.name]
        if st.earnings is None:
            return None
        return math.log(max(st.earnings, EARNINGS_FLOOR_USD)), self.log_multiple(self.expected_growth(firm))

    def record_earnings(self) -> None:
        """Smooth each firm's earnings of the month just ended (called when the month closes)."""
        for f in self.listed + self.private:
            if f.defaulted:
                continue
            st = self.firms[f.name]
            x = f.earnings_usd()
            st.earnings = x if st.earnings is None else st.earnings + (x - st.earnings) / self.smoothing

    def _dlog_fundamental(self, firm) -> float:
        """``dlog F`` since the last update; the first observed earnings only fix the firm's
        level (its multiple ``m_i`` absorbs them)."""
        st = self.firms[firm.name]
        parts = self._log_parts(firm)
        if parts is None:
            return 0.0
        log_e, log_m = parts
        d = 0.0 if st.log_e is None or st.log_m is None else (log_e - st.log_e) + (log_m - st.log_m)
        st.log_e, st.log_m = log_e, log_m
        return d

    def _stake_mark_change(self, firm) -> float:
        """Change of the stakes' value since the last update (new stakes from their cost)."""
        st = self.firms[firm.name]
        now = {c.id: (c.value_usd(), c.cost_usd) for c in self._stakes(firm)}
        change = sum(v - st.marks.get(cid, cost) for cid, (v, cost) in now.items())
        change -= sum(v for cid, v in st.marks.items() if cid not in now)    # wiped out
        st.marks = {cid: v for cid, (v, _) in now.items()}
        return change

    # --- the month ---------------------------------------------------------------------------
    def update(self, demand_news: float, default_stress: float, expected_ai_growth: float,
               rng: np.random.Generator) -> None:
        """Move sentiment and every listed firm's value for one month.

        ``demand_news`` is this month's log demand growth minus the expected monthly growth;
        ``default_stress`` the liabilities that failed last month over the listed firms' value;
        ``expected_ai_growth`` the yearly AI demand growth investors expect (simple rate).
        """
        if not self.enabled:
            return
        if self._ai_growth_seen:       # smoothed like earnings: investors do not chase monthly noise
            self.expected_ai_growth += (expected_ai_growth - self.expected_ai_growth) / self.smoothing
        else:
            self.expected_ai_growth, self._ai_growth_seen = expected_ai_growth, True
        log_s = math.log(self.sentiment)
        new_log_s = (self.phi * log_s + self.sensitivity * demand_news
                     - self.stress_sensitivity * default_stress + self.sigma_s * rng.standard_normal())
        dlog_s = new_log_s - log_s
        self.sentiment = math.exp(new_log_s)
        for firm in self.private:               # first: listed firms hold stakes in labs
            if not firm.defaulted:
                firm.valuation_usd *= math.exp(self._dlog_fundamental(firm) + self.beta * dlog_s)
        eps = rng.standard_normal(len(self.listed))
        for firm, e in zip(self.listed, eps, strict=True):
            st = self.firms[firm.name]
            if firm.defaulted:
                firm.valuation_usd = 0.0
                continue
            operating = max(firm.valuation_usd - st.stakes, 0.0)   # includes equity issued since
            log_u = self.phi * st.log_u + self.sigma * e
            dlog = self._dlog_fundamental(firm) + self.beta * dlog_s + (log_u - st.log_u)
            st.log_u = log_u
            firm.valuation_usd = operating * math.exp(dlog) + st.stakes
        for firm in self.listed:                # then the stakes at their new marks
            if not firm.defaulted:
                st = self.firms[firm.name]
                change = self._stake_mark_change(firm)
                st.stakes += change
                firm.valuation_usd = max(firm.valuation_usd + change, 0.0)
        self.index_level = sum(f.valuation_usd for f in self.listed) / self._base_cap

    def listed_value_usd(self) -> float:
        """Total market value of the live listed firms."""
        return sum(f.valuation_usd for f in self.listed if not f.defaulted)

    def close_month(self) -> None:
        """Record the month's earnings and closing index level (for returns over time)."""
        if self.enabled:
            self.record_earnings()
        self.index_history.append(self.index_level)

    def drawdown(self) -> float:
        """The AI index's fall from its running peak (0 at a peak; 0.6 = 60% below it)."""
        peak = max(self.index_level, *self.index_history)
        return max(0.0, 1.0 - self.index_level / peak) if peak > 0 else 0.0

    def index_return_12m(self) -> float:
        """The AI index's return over the last 12 months (since step 0 in the first year)."""
        h = self.index_history
        year_ago = -1 - MONTHS_PER_YEAR
        return h[-1] / h[year_ago] - 1.0 if len(h) > MONTHS_PER_YEAR else h[-1] / h[0] - 1.0
