"""Regulatory ratios, one small class each: the ratio, whether it is breached, how to mend it.

- :class:`BankCapitalRatio`: CET1-style equity over risk-weighted assets, minimum 4.5% plus
  a 2.5% conservation buffer [R10], and how far a bank between its target and that buffer
  tightens its lending.
- :class:`InsurerSolvency`: NAIC-style risk-based capital [R18], total adjusted capital over
  authorised-control-level RBC, with charges per asset class (scenario parameters).
- :class:`DebtToCashFlow`: a borrower's debt over yearly operating cash flow as its lenders
  and rating agencies see it (the leverage ratio of S&P's and Moody's corporate methods
  [R27]) and its borrowing room.
- :class:`RatingGrid`: its rating, from S&P's leverage grid and the market's distance to
  default (Merton 1974), and the credit spread the rating sets [R9, R27, R41].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aicredit.abm.naic import rbc_marginal_factors, rbc_total_usd

__all__ = ["BankCapitalRatio", "InsurerSolvency", "DebtToCashFlow", "RatingGrid", "grid_notches",
           "payout_usd"]


def payout_usd(net_income_usd: float, tac_usd: float, required_usd: float, target_ratio: float,
               share: float) -> float:
    """An insurer's dividend of a month: ``share`` of a positive net income, none when the
    income is negative or the RBC ratio ``tac / required`` is below ``target_ratio``, and
    never more than the capital above the target (a dividend does not take the ratio below it).

    ``net_income_usd`` is the change of total adjusted capital since the last payout
    (statutory net income with the unrealised gains and losses that go to surplus). Capital
    freed by de-risking (a fund interest turned into cash or bonds lowers required capital)
    is not income, so it is not paid out: only earnings are. State law ties ordinary
    dividends to the net gain from operations and bars them after a year of negative gain
    without the regulator's approval (New York Insurance Law 4207(a); NAIC Model Act 440).
    Banks use their own rule (:meth:`abm.agents.bank.Bank.payout_usd`).
    """
    if net_income_usd <= 0 or tac_usd < target_ratio * required_usd:
        return 0.0
    return max(0.0, min(share * net_income_usd, tac_usd - target_ratio * required_usd))


@dataclass
class BankCapitalRatio:
    """Equity / RWA with Basel-style risk weights per claim kind (assumptions, [R10]); a
    construction loan to a data-centre SPV carries the 150% of Basel III's land acquisition,
    development and construction exposures (CRE20.90); the bank's syndicate shares of GPU
    loans (the vectorised book) 100%."""

    minimum: float
    RISK_WEIGHTS = {"credit_line": 1.0, "bank_loan": 1.0, "abs": 0.2, "other_loan": 0.75,
                    "gpu_loan": 1.0, "construction_loan": 1.5}

    def rwa_usd(self, bank) -> float:
        return (sum(self.RISK_WEIGHTS.get(c.kind, 1.0) * c.value_usd() for c in bank.claims_held())
                + self.RISK_WEIGHTS["gpu_loan"] * bank.gpu_loans_held_usd())

    def ratio(self, bank) -> float:
        rwa = self.rwa_usd(bank)
        return bank.equity_usd() / rwa if rwa > 0 else float("inf")

    def is_below_minimum(self, bank) -> bool:
        return self.ratio(bank) < self.minimum

    def tightening(self, bank, target: float) -> float:
        """How far the bank tightens its new lending, in [0, 1]: the share of its management
        buffer its capital ratio has used up,

        ``tau = clip((target - ratio) / (target - minimum), 0, 1)``,

        0 at or above the ratio it manages to (``target``, its opening ratio), 1 at the
        regulatory buffer ``minimum``, where Basel III restricts distributions [R10], linear in
        between. Lending responds to the gap between a bank's capital and its target (the
        capital-gap model of Hancock and Wilcox 1994 and Berrospide and Edge 2010); banks keep a
        management buffer above the requirement and act before they reach it (Cont and
        Schaanning 2017 sell below a 4% leverage ratio to reach 5% against a 3% minimum [R32]).
        Below the minimum it is 1 whatever the target; at or above it, 0 when the target is
        not above the minimum (no management buffer to use up).
        """
        return self.tightening_at(self.ratio(bank), target)

    def tightening_at(self, ratio: float, target: float) -> float:
        """:meth:`tightening` for a ratio already computed (a sum over the bank's holdings)."""
        if ratio < self.minimum:
            return 1.0
        room = target - self.minimum
        if room <= 0:
            return 0.0
        return min(1.0, max(0.0, (target - ratio) / room))


@dataclass
class InsurerSolvency:
    """NAIC life risk-based-capital ratio [R18, R43]: total adjusted capital / ACL RBC.

    ``RBC ratio = TAC / ACL``, ``ACL = acl_share * RBC`` (half of it, [R18]), with the total RBC
    of the NAIC's covariance formula (:func:`abm.naic.rbc_total_usd`),

        RBC = C4a + sqrt((C1o + C3a)^2 + C1cs^2 + C2^2),

    - C1o, fixed-income asset risk: each bond, private placement and ABS holding's factor
      times its statutory value ``V_k`` (investment-grade bonds ``charges["bond_holding"]``;
      placements the factor of their NAIC designations, which migrate with the borrowers'
      PD, :mod:`abm.placements`; mezzanine ABS ``charges["abs"]``);
    - C1cs, equity-like asset risk: fund interests (Schedule BA LP stakes) at
      ``charges["fund_share"]`` (30% [R18]);
    - C2 (insurance), C3a (interest rate) and C4a (business) risk: factors per USD of policy
      reserves (``c2_factor``, ``c3a_factor``, ``c4a_factor``, [R43]).

    ``TAC`` is book equity restated at statutory values (``insurer.statutory_value_usd``: fund
    interests at true NAV when NAV is disclosed, ABS at the ABS market's mark, placements at
    amortised cost). Thresholds [R18]: company action level 2.0,
    regulatory action 1.5, authorised control 1.0, mandatory control 0.7.
    """

    minimum: float
    charges: dict
    acl_share: float = 0.5
    target_margin: float = 0.5
    c2_factor: float = 0.0
    c3a_factor: float = 0.0
    c4a_factor: float = 0.0
    #: Holdings an insurer sells to de-risk (C7): its equity-like and rated private credit.
    RISKY = ("fund_share", "abs", "private_placement")
    #: Kinds whose charge is C1cs (equity-like); every other asset is C1o.
    EQUITY_LIKE = ("fund_share",)

    def charge(self, kind: str, insurer=None) -> float:
        """Factor of a claim kind: a placement's is its pool's designations' (needs ``insurer``);
        an unlisted kind is treated as equity-like (the fund charge)."""
        if kind == "private_placement":
            return insurer.model.placements.factor
        return self.charges.get(kind, self.charges["fund_share"])

    def components_usd(self, insurer) -> tuple[float, float, float, float, float]:
        """``(C1o, C1cs, C2, C3a, C4a)`` of an insurer (class docstring)."""
        c1o = c1cs = 0.0
        for c in insurer.claims_held():
            charge = self.charge(c.kind, insurer) * insurer.statutory_value_usd(c)
            if c.kind in self.EQUITY_LIKE:
                c1cs += charge
            else:
                c1o += charge
        reserves = insurer.reserves_usd()
        return c1o, c1cs, self.c2_factor * reserves, self.c3a_factor * reserves, self.c4a_factor * reserves

    def required_usd(self, insurer) -> float:
        """Authorised-control-level RBC."""
        return self.acl_share * rbc_total_usd(*self.components_usd(insurer))

    def marginal_acl(self, insurer) -> dict:
        """ACL RBC per USD of statutory value of each risky kind: ``a g_k c_k`` with ``g_k``
        the covariance formula's gradient for the kind's component (:func:`abm.naic.rbc_marginal_factors`)."""
        c1o, c1cs, c2, c3a, _ = self.components_usd(insurer)
        g_o, g_cs = rbc_marginal_factors(c1o, c1cs, c2, c3a)
        return {k: self.acl_share * (g_cs if k in self.EQUITY_LIKE else g_o) * self.charge(k, insurer)
                for k in self.RISKY}

    def tac_usd(self, insurer) -> float:
        """Total adjusted capital: equity with claims restated from book to statutory value."""
        return insurer.equity_usd() + sum(insurer.statutory_value_usd(c) - c.value_usd()
                                          for c in insurer.claims_held())

    @staticmethod
    def ratio_of(tac_usd: float, required_usd: float) -> float:
        """The RBC ratio from TAC and ACL RBC already computed (each is a sum over holdings)."""
        return tac_usd / required_usd if required_usd > 0 else float("inf")

    def ratio(self, insurer) -> float:
        return self.ratio_of(self.tac_usd(insurer), self.required_usd(insurer))

    def is_below_minimum(self, insurer) -> bool:
        return self.ratio(insurer) < self.minimum

    def fund_loss_to_reach_usd(self, insurer, level: float) -> float:
        """The loss on fund interests (at statutory value) that alone takes the ratio to ``level``.

        A dollar lost on a fund interest lowers TAC by 1 and ACL by ``m`` (its marginal ACL,
        :meth:`marginal_acl`), so, linearised, ``(TAC - x) / (ACL - m x) = level`` gives
        ``x = (TAC - level ACL) / (1 - level m)``. Such losses lower the ratio only while it is
        below ``1 / m``. Infinity when fund losses cannot take the ratio to ``level`` (x would
        exceed the insurer's fund interests); 0 when the ratio is already at or below ``level``.
        """
        tac, acl = self.tac_usd(insurer), self.required_usd(insurer)
        if tac <= level * acl:
            return 0.0
        held = sum(insurer.statutory_value_usd(c) for c in insurer.claims_held("fund_share"))
        denom = 1.0 - level * self.marginal_acl(insurer)["fund_share"]
        x = (tac - level * acl) / denom if denom > 0 else float("inf")
        return x if x <= held else float("inf")

    def sale_plan(self, insurer, target: float, proceeds_of, max_share: float = 1.0) -> list:
        """What to sell to bring the ratio back to ``target``: ``[(claim, share), ...]``, the
        riskiest holdings first (highest ACL relief per USD, :meth:`marginal_acl`).

        ``proceeds_of(claim)`` is the cash the whole claim would raise. Selling share ``x`` of
        a holding with statutory value ``S``, proceeds ``P`` and ACL relief ``W = m S`` moves
        the ratio to ``(TAC - x (S - P)) / (ACL - x W)`` (linearised); for the target t,
        ``x = (t ACL - TAC) / (t W - (S - P))``, at most ``max_share`` of each holding (an
        insurer de-risking by choice sells gradually; a forced one up to all of it). Holdings
        are taken in order until the target is reached; a holding whose sale cannot raise
        the ratio (its discount costs more capital than its charge frees) is skipped.
        """
        tac, acl = self.tac_usd(insurer), self.required_usd(insurer)
        if tac >= target * acl:
            return []
        relief = self.marginal_acl(insurer)
        risky = sorted((c for c in insurer.claims_held() if c.kind in self.RISKY and not c.closed),
                       key=lambda c: -relief[c.kind])
        plan = []
        for c in risky:
            s = insurer.statutory_value_usd(c)
            if s <= 0:
                continue
            w, loss = relief[c.kind] * s, s - proceeds_of(c)
            denom = target * w - loss
            if denom <= 0:
                continue
            x = min(max_share, (target * acl - tac) / denom)
            plan.append((c, x))
            tac, acl = tac - x * loss, acl - x * w
            if tac >= target * acl:
                break
        return plan


@dataclass
class DebtToCashFlow:
    """Visible debt over yearly operating cash flow: a firm's rating ratio and its borrowing
    room [R27].

    ``L = D / CF`` with ``D`` the debt lenders and rating agencies *see* (for a hyperscaler,
    SPV debt only when consolidated [F20, F21]) and ``CF`` yearly operating cash flow (the
    debt/EBITDA of S&P's corporate method [R27]); ``inf`` without cash flow. The rating and
    the spread it sets are :class:`RatingGrid`'s.

    Borrowing room: lenders (and the firm, to keep its rating) allow visible debt up to
    ``max_ratio * CF``: ``room = max(0, max_ratio * CF - D)``.
    """

    max_ratio: float

    @staticmethod
    def ratio(debt_usd: float, cash_flow_usd: float) -> float:
        if cash_flow_usd <= 0:
            return 0.0 if debt_usd <= 0 else float("inf")
        return debt_usd / cash_flow_usd

    def room_usd(self, debt_usd: float, cash_flow_usd: float) -> float:
        """Visible debt lenders still allow: ``max(0, max_ratio * CF - D)``."""
        return max(0.0, self.max_ratio * max(cash_flow_usd, 0.0) - debt_usd)


#: S&P's anchor for an "excellent" business risk profile by debt/EBITDA [R27], as
#: (leverage at the middle of the financial-risk band, notch) with notch 1 = AAA, 2 = AA+,
#: 3 = AA, ... 6 = A, 9 = BBB, 10 = BBB-, 11 = BB+, 14 = B+, 17 = CCC: minimal (< 1.5x)
#: aaa/aa+, modest (1.5-2x) aa, intermediate (2-3x) a+/a, significant (3-4x) a-, aggressive
#: (4-5x) bbb, highly leveraged (> 5x) bbb-/bb+; beyond 6x the weaker anchors of the table
#: (b+ near 8x, ccc from 12x).
LEVERAGE_NOTCHES = ((0.0, 1.0), (0.75, 1.5), (1.75, 3.0), (2.5, 5.5), (3.5, 7.0), (4.5, 9.0),
                    (5.5, 10.5), (8.0, 14.0), (12.0, 17.0))
_GRID_LEVERAGE = np.array([x for x, _ in LEVERAGE_NOTCHES])
_GRID_NOTCH = np.array([n for _, n in LEVERAGE_NOTCHES])
#: The notch of an A rating, where ``RatingGrid.pd_at_a`` is the one-year default rate [R41].
A_NOTCH = 6.0
#: The weakest notch the grid gives (CCC).
WORST_NOTCH = 17.0


def grid_notches(leverage):
    """S&P's anchor notch at each debt/EBITDA in ``leverage`` (linear between the band
    midpoints of :data:`LEVERAGE_NOTCHES`, the worst notch from the last band on and for an
    infinite leverage, no cash flow) [R27]. Broadcasts."""
    return np.interp(leverage, _GRID_LEVERAGE, _GRID_NOTCH)


@dataclass
class RatingGrid:
    """A firm's rating (a continuous notch) and its credit spread from a leverage-and-coverage
    grid and the market's distance to default [R27, R41].

    - Grid notch: S&P's anchor (:data:`LEVERAGE_NOTCHES`) at the adjusted leverage
      ``L = (D + max(0, -B)) / CF``: visible debt ``D`` plus any deficit of book equity ``B``
      (a negative book equity counts as debt: the assets no longer cover the debt) over
      yearly operating cash flow ``CF`` (debt/EBITDA); without cash flow, the worst notch.
    - Market notch: Merton (1974) default probability over the debt's horizon ``T`` years from
      the equity market value ``E`` and visible debt, ``PD_T = Phi(-ln((E + D) / D) /
      (sigma sqrt(T)))`` (asset volatility ``sigma``, no drift), as a yearly rate
      ``PD = 1 - (1 - PD_T)^(1/T)``, read on the agencies' default rates by rating,
      ``PD(n) = pd_at_a * exp(pd_log_per_notch * (n - 6))`` [R41], so
      ``n = 6 + ln(PD / pd_at_a) / pd_log_per_notch``.
    - Notch: the worse of the two, between 1 (AAA) and 17 (CCC). Spread over the best-rated
      coupon: ``s = spread_per_notch * max(0, n - free_notch)``.
    """

    free_notch: float
    spread_per_notch: float
    pd_at_a: float
    pd_log_per_notch: float
    asset_volatility: float
    horizon_years: float = 5.0

    @classmethod
    def from_params(cls, p) -> RatingGrid:
        """The hyperscalers' grid with a scenario's ``hyperscaler_*`` rating parameters."""
        return cls(free_notch=p.hyperscaler_rating_free_notch,
                   spread_per_notch=p.hyperscaler_spread_per_notch,
                   pd_at_a=p.hyperscaler_pd_at_a, pd_log_per_notch=p.hyperscaler_pd_log_per_notch,
                   asset_volatility=p.hyperscaler_asset_volatility,
                   horizon_years=p.hyperscaler_default_horizon_years)

    @staticmethod
    def grid_notch(leverage: float) -> float:
        """S&P's anchor at debt/EBITDA ``leverage`` (linear between band midpoints, [R27])."""
        if not math.isfinite(leverage):
            return WORST_NOTCH
        return float(grid_notches(leverage))

    def market_notch(self, equity_value_usd: float, debt_usd: float) -> float:
        """The notch whose default rate is the Merton one-year PD at these market values."""
        if debt_usd <= 0:
            return 1.0
        if equity_value_usd <= 0:
            return WORST_NOTCH
        dd = (math.log((equity_value_usd + debt_usd) / debt_usd)
              / (self.asset_volatility * math.sqrt(self.horizon_years)))
        if dd > 8.0:                      # PD below 1e-15: the best notch
            return 1.0
        pd_horizon = 0.5 * math.erfc(dd / math.sqrt(2.0))
        pd = -math.expm1(math.log1p(-pd_horizon) / self.horizon_years)
        n = A_NOTCH + math.log(pd / self.pd_at_a) / self.pd_log_per_notch
        return min(max(n, 1.0), WORST_NOTCH)

    def notch(self, debt_usd: float, cash_flow_usd: float, book_equity_usd: float,
              equity_value_usd: float) -> float:
        """The worse of the grid notch (adjusted leverage) and the market notch."""
        adjusted = debt_usd + max(0.0, -book_equity_usd)
        grid = self.grid_notch(DebtToCashFlow.ratio(adjusted, cash_flow_usd))
        return max(grid, self.market_notch(equity_value_usd, debt_usd))

    def spread(self, notch: float) -> float:
        """Credit spread per year over the best-rated coupon at ``notch``."""
        return self.spread_per_notch * max(0.0, notch - self.free_notch)
