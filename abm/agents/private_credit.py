"""Private-credit funds (Blue Owl and others) [F27-F31, F34].

Balance sheet: GPU-backed loans to neoclouds [F23], loans to SPVs [F20], a non-AI loan
book, cash; bank facilities [F31]; equity owned by limited partners (insurers [F32],
pensions and endowments, 401(k) savers once policy allows [F34]) as fund shares.

Rules, each month:

- **Bank facilities that stay drawn** [F31, R14, R16]. At step 0 the funds' bank borrowing
  is drawn at the scale of [F31] (:class:`abm.claims.CreditLine`). Principal falls due only
  on the facility's terms: ``1/pc_facility_amortisation_months`` of the opening amount a
  month (repaid principal cannot be redrawn), and whatever a bank's cut of the limit makes
  excess (C6), which the fund repays in the same month with cash and, if short, loans sold
  at ``pc_loan_sale_discount`` (a solvent fund does not default on a cut). Spare cash is
  not used to repay: it funds new loans or is distributed. A fund draws the undrawn
  (revolving) part when its cash is below its reserve or to pay out new loans, within its
  covenant.
- **Covenant: maximum loan-to-NAV** ``L = drawn / NAV_seen <= pc_max_loan_to_nav``, where
  ``NAV_seen`` is the NAV the bank sees: the reported NAV, the true NAV under the disclosure
  policy (C11). In breach the fund makes no new loans, pays no distributions and delevers
  to ``pc_delever_target_share`` of the maximum (Cont and Schaanning 2017 [R3]): cash
  first, then loans sold pro rata to the securities market at ``pc_loan_sale_discount``
  (a realised loss). With cash ``C`` paid down, the sale ``S`` (face value) solves
  ``D - C - (1-d) S = T (NAV - d S)``: ``S = (D - C - T NAV) / (1 - d - T d)``.
- **NAV smoothing** (Getmansky, Lo and Makarov 2004 [R22], [F30]). True NAV is book
  equity. The true log return per unit (distributions added back) is split into income
  (interest, costs: cash, reported at once) and marks ``m(t) = log(1 - losses / NAV_prev)``
  from the credit losses booked on the fund (write-offs, default shortfalls, sale
  discounts) and the fair-value impairments of its tech loans (:mod:`abm.tech_credit`),
  kept between the month's whole return (when negative) and zero.
  The marks are smoothed: ``r_rep(t) = income(t) + sum_k theta_k m(t-k)``,
  ``k = 0..K`` (``K = pc_nav_smoothing_lags``), ``theta_k`` proportional to ``w**k``
  (``w = pc_nav_smoothing``), summing to 1; marks before step 0 are zero (reported = true
  then); distributions take the same proportion off both NAVs. So without losses
  reported = true, and every loss is reported once, in full after K months, spread over
  them (about ``1 - w**3`` of it in the first quarter). With the disclosure policy (C11)
  reported = true, and fund shares are priced at the current true NAV.
- Fund shares are valued, bought and redeemed at the reported NAV: when it is stale after
  losses, redeeming LPs get more than their share of true value and those who stay bear
  the difference (Chen, Goldstein and Jiang 2010), the month's ``stale_nav_transfer_usd``.
- Lending appetite ``a = exp(-k * losses_12m / NAV)`` falls after losses; it scales new
  GPU loans and the share of maturing loans rolled over (C4). Its calm-path value
  ``a0 = exp(-k * EL_12m / NAV)`` is the appetite with only the losses its book expects on the
  expected path: the tech book's defaults at the calibrated PD and the recovery at underwritten
  revenue, ``EL_12m = n * q0 (1 - R0) * tech principal`` (``n`` the months of loss memory seen
  so far; :func:`calm_loss_rate_per_month`; the model's calm path has no GPU or SPV loan
  defaults). ``a / a0`` is what its *unexpected* losses leave of its appetite: its GPU margins
  follow that (:func:`abm.gpu_lending.margin_ltvs`).
- Redemption requests are paid up to a gate of ``gate`` of NAV a quarter [R13] (C5).
- **Distributions** (:meth:`PrivateCreditFund.distribute`): cash above
  ``pc_distribution_reserve_multiple`` times the reserve goes to the LPs, except what the fund
  needs (in a downturn funds keep cash): none while the covenant is breached or redemptions
  queue; the month's expected redemptions, ``min(gate, E)`` with ``E`` the larger of this
  month's and last month's new requests, are kept as cash and neither distributed nor lent
  (funds hold cash against the flows they expect: Chernenko and Sunderam 2016; Zeng 2017);
  and no distribution may lift loan-to-NAV above the covenant, ``D <= NAV_seen - drawn /
  L_max`` (a credit agreement's restricted-payments test; a BDC may declare no dividend that
  leaves its asset coverage below the legal 150%, Investment Company Act s. 18(a)(1)(B),
  s. 61(a)). The model has no unfunded commitments a fund must meet later: its LPs' capital
  for new tech loans is called the month the deal closes, and GPU and SPV loans are paid out
  in full at closing, so no capital call binds.
- A fund whose true NAV turns negative defaults and is resolved (:mod:`abm.default`): its
  bank facilities are senior claims on the estate, their shortfall the banks' loss.

**Two kinds of vehicle.** *Funds* (:class:`PrivateCreditFund`; drawdown and semi-liquid funds,
Blue Owl first) borrow little (the covenant ``pc_max_loan_to_nav``, about a quarter of NAV
[R16]), lend to SPVs [F20] and are owned by insurers, pensions and, when policy allows,
401(k) savers. *BDCs* (:class:`BDC`, a kind of fund; business development companies,
listed) hold tech loans on bank
debt of about ``pc_bdc_debt_to_equity`` times their equity (0.94x on average [R15], spread
by ``pc_bdc_leverage_spread`` across BDCs) under the
legal cap of ``pc_bdc_max_debt_to_equity`` (2x: asset coverage of 150%); their shares are
held by the public (``outside_investors``) and are never redeemed. A fund lends up to its
covenant; a BDC lends, and grows its tech book, at its target leverage, so a loss of
``1/(1 + D/E)`` of its assets (52% at 0.94x, a third at the 2x cap) wipes out its equity,
and well before that the covenant forces it to sell loans at a discount: this is where
bank lending to private credit can take losses [F31, F33].
"""
from __future__ import annotations

import functools
import math

import numpy as np

from aicredit.abm.agents.base import Institution
from aicredit.abm.claims import EquityClaim
from aicredit.abm.economy import Economy
from aicredit.abm.markets.loan_market import LOAN_CLASSES
from aicredit.abm.tech_borrowers import BorrowerTerms, cohort_pd_per_year, cohort_recovery, monthly_pd
from aicredit.abm.tech_credit import BDC_SHAREHOLDERS, NEW_LPS
from aicredit.abm.tech_credit import KIND as TECH_LOAN

#: Months in a quarter (calendar): the redemption gate is stated per quarter [R13].
MONTHS_PER_QUARTER = 3

#: A queued request below this (USD) is paid in full: rounding, not an investor waiting.
QUEUE_DUST_USD = 1e-6

#: Floor of a month's gross true return in the log-return smoothing (a wiped-out fund fails anyway).
MIN_GROSS_RETURN = 1e-12

__all__ = ["PrivateCreditFund", "BDC", "smoothing_weights", "calm_loss_rate_per_month"]


#: Distinct borrower terms whose calm loss rate is remembered (one per scenario in a process).
_CALM_CACHE_SIZE = 8


@functools.lru_cache(maxsize=_CALM_CACHE_SIZE)
def calm_loss_rate_per_month(terms: BorrowerTerms) -> float:
    """Default loss per USD of tech-loan face a month on the expected path (revenue as
    underwritten, ``r = 1``): ``q0 (1 - R0)``, ``q0`` the monthly hazard of the calibrated PD and
    ``R0`` the recovery at ``r = 1`` (:func:`abm.tech_borrowers.cohort_recovery`): the loss its
    coupon pays for, which a lender expects in calm times."""
    revenue = np.ones(1)
    q0 = float(monthly_pd(cohort_pd_per_year(terms, revenue))[0])
    return q0 * (1.0 - float(cohort_recovery(terms, revenue)[0]))


def smoothing_weights(decay: float, lags: int) -> np.ndarray:
    """GLM (2004) MA weights ``theta_k`` for lags ``0..lags``: proportional to ``decay**k``, sum 1."""
    theta = decay ** np.arange(lags + 1, dtype=float)
    return theta / theta.sum()


class PrivateCreditFund(Institution):
    """An LP-owned private-credit fund (module docstring); :class:`BDC` is the levered, listed kind."""

    sector = "private_credit"
    #: The outside account that buys the vehicle's new shares as its tech book grows, and its
    #: opening cash comes from: pensions and endowments (LPs) for a fund.
    equity_investors = NEW_LPS
    #: Whether it lends to new SPVs (Blue Owl's kind of vehicle [F20]).
    lends_to_spvs = True

    @property
    def reserve_share(self) -> float:
        """Cash kept as a share of reported NAV (``pc_cash_reserve_share``)."""
        return self.model.p.pc_cash_reserve_share

    def __init__(self, model: Economy, name: str, index: int):
        super().__init__(model, name)
        self.index = index                   # position in the GPU-loan book's lender axis
        self.reported_nav_usd = 0.0
        self.losses: list[float] = []        # credit losses per month (USD)
        self.month_loss_usd = 0.0
        self.redemption_requests: dict = {}  # EquityClaim -> USD requested
        self.appetite = 1.0
        self._unexpected_loss_share = 0.0    # losses beyond those over NAV (for loss_appetite)
        self.in_breach = False               # loan-to-NAV covenant breached (no new lending)
        self.redemption_pressure = 0.0       # last month's redemption requests over its cash (0..1)
        self.requests_month_usd = 0.0        # new redemption requests this month (USD)
        self.requests_last_month_usd = 0.0   # and last month
        self.true_returns: list[float] = []  # monthly log returns from losses (marks), newest first
        self._unmarked_loss_usd = 0.0        # losses booked since the last revaluation
        self._true_px_prev = 0.0             # true NAV per unit at the last revaluation
        self._rep_px_prev = 0.0              # reported NAV per unit at the last revaluation
        self._distributed_per_unit = 0.0     # distributions since the last revaluation
        self.market_discount_usd = 0.0       # its loans' discount at the loan market's prices (C12)
        self.reported_return_index = 1.0     # reported total return per unit since step 0
        self.reported_index_history: list[float] = []   # its month-end values, newest last

    # --- valuation ------------------------------------------------------------------------
    def gpu_loans_held_usd(self) -> float:
        return float(self.model.gpu_loans.debt_by("lender", len(self.model.funds))[self.index])

    def true_nav_usd(self) -> float:
        """Book equity less the market discount of its loans (fair value at the loan market's
        prices, :mod:`abm.markets.loan_market`)."""
        return self.equity_usd() - self.market_discount_usd

    def mark_weight(self) -> float:
        """Share of a new mark that reaches the NAV its bank and investors see this month: 1 with
        the disclosure policy (C11), the first smoothing weight ``theta_0`` otherwise, 0 when
        losses do not reach LPs (C5 off: the reported NAV does not move)."""
        p = self.model.p
        if not p.c5_pc_losses_to_lps:
            return 0.0
        if self.discloses:
            return 1.0
        return float(smoothing_weights(p.pc_nav_smoothing, p.pc_nav_smoothing_lags)[0])

    def units(self) -> float:
        return sum(c.units for c in self.model.claims.issued(self, "fund_share"))

    @functools.cached_property
    def discloses(self) -> bool:
        """The disclosure policy (C11) is in force and losses reach LPs (C5): scenario constants,
        so read once (it is asked for every time a fund share is valued)."""
        p = self.model.p
        return bool(p.c5_pc_losses_to_lps and p.c11_policy and p.pc_disclosure)

    def nav_seen_usd(self) -> float:
        """The NAV investors and banks see: reported, or true under disclosure (C11)."""
        return self.true_nav_usd() if self.discloses else self.reported_nav_usd

    def price_per_unit_usd(self) -> float:
        if self.defaulted:
            return 0.0
        u = self.shares_outstanding
        return self.nav_seen_usd() / u if u > 0 else 0.0

    def open_books(self) -> None:
        """Step 0: reported NAV = true NAV; the revaluation's starting prices."""
        self.reported_nav_usd = self.true_nav_usd()
        u = self.shares_outstanding
        self._true_px_prev = self._rep_px_prev = self.reported_nav_usd / u if u > 0 else 0.0

    def update_nav(self) -> None:
        """Reported NAV from smoothed returns (GLM 2004 [R22], [F30]); true with disclosure (C11)."""
        p = self.model.p
        if not p.c5_pc_losses_to_lps:
            return  # LPs' shares stay at their last value: losses do not reach them
        u = self.shares_outstanding
        if u <= 0:
            return
        true_px = self.true_nav_usd() / u
        dist = self._distributed_per_unit
        loss = self._unmarked_loss_usd / u
        self._distributed_per_unit = self._unmarked_loss_usd = 0.0
        prev = self._true_px_prev
        gross = (true_px + dist) / prev if prev > 0 else 1.0
        total = math.log(max(gross, MIN_GROSS_RETURN))       # log returns: a loss adds up exactly
        share_lost = loss / prev if prev > 0 else 0.0
        marks = math.log(max(1.0 - share_lost, MIN_GROSS_RETURN))
        # the marks lie between the month's whole return (when it is a loss) and zero, so the
        # income part (total - marks) is never a gain larger than the month's return: a BDC whose
        # losses were offset by new money at a stale price, or exceeded its NAV, would otherwise
        # report a huge gain (seed 8 of ai_winter, model 0.4.0 before this fix)
        marks = min(0.0, max(marks, min(total, 0.0)))
        self._true_px_prev = true_px
        lags = p.pc_nav_smoothing_lags
        # before step 0 the reported NAV was the true one: no unreported marks (zeros)
        past = self.true_returns + [0.0] * (lags + 1 - len(self.true_returns))
        self.true_returns = ([marks] + past)[:lags + 1]
        ex_distribution = true_px / (true_px + dist) if true_px + dist > 0 else 1.0
        if self.discloses:
            rep_px = true_px
        else:
            theta = smoothing_weights(p.pc_nav_smoothing, lags)
            r_rep = (total - marks) + float(theta @ np.asarray(self.true_returns))
            rep_px = max(0.0, self._rep_px_prev * math.exp(r_rep) * ex_distribution)
        # the reported total return (distributions added back), the one investors react to
        base = self._rep_px_prev * ex_distribution
        self.reported_return_index *= rep_px / base if base > 0 else 1.0
        keep = p.run_expectation_months + MONTHS_PER_QUARTER + 1
        self.reported_index_history = (self.reported_index_history + [self.reported_return_index])[-keep:]
        self._rep_px_prev = rep_px
        self.reported_nav_usd = rep_px * u

    def reported_shortfall_per_month(self) -> float:
        """How far the reported total return per month over the last quarter fell short of the
        return investors expected, ``max(0, R_expected - R_quarter)``, distributions added back:
        the performance investors in a semi-liquid fund react to.

        ``R_quarter = (I_t / I_{t-3})^(1/3) - 1`` on the reported total-return index ``I``;
        ``R_expected`` is the same over the up to ``run_expectation_months`` months before that
        quarter: expectations that extrapolate the past year's returns (Greenwood and Shleifer
        2014), so a fund that keeps earning what it used to brings no request, a fall of its
        return brings one whatever its sign, and once the lower return has become the past
        year's, the requests stop. Flows follow performance against expectations, not its
        sign (Goldstein, Jiang and Ng 2017 use the fund's alpha). 0 without at least a month of
        history before the quarter."""
        h = self.reported_index_history
        q = MONTHS_PER_QUARTER
        if len(h) < q + 2 or min(h) <= 0:
            return 0.0
        recent = (h[-1] / h[-1 - q]) ** (1.0 / q) - 1.0
        months = len(h) - 1 - q
        expected = (h[-1 - q] / h[0]) ** (1.0 / months) - 1.0
        return max(0.0, expected - recent)

    def record_loss(self, loss_usd: float) -> None:
        """A realised credit loss: a mark in the NAV, and it weighs on lending appetite."""
        self.month_loss_usd += loss_usd
        self._unmarked_loss_usd += loss_usd

    def record_mark(self, loss_usd: float) -> None:
        """A fair-value mark (an impairment; negative: a reversal) that is not a realised loss:
        it moves the true NAV and enters the smoothed marks (:mod:`abm.tech_credit`)."""
        self._unmarked_loss_usd += loss_usd

    # --- bank facilities and the covenant ----------------------------------------------------
    def credit_lines(self):
        return self.claims_issued("credit_line")

    def drawn_usd(self) -> float:
        return sum(c.principal_usd for c in self.credit_lines())

    def loan_to_nav(self) -> float:
        """Drawn bank facilities over the NAV the bank sees (``inf`` when that NAV is not positive)."""
        drawn = self.drawn_usd()
        nav = self.nav_seen_usd()
        if drawn <= 0:
            return 0.0
        return drawn / nav if nav > 0 else math.inf

    @property
    def max_loan_to_nav(self) -> float:
        """The covenant: ``pc_max_loan_to_nav`` for a fund."""
        return self.model.p.pc_max_loan_to_nav

    @property
    def target_loan_to_nav(self) -> float:
        """The leverage it lends at: the covenant for a fund."""
        return self.model.p.pc_max_loan_to_nav

    def covenant_room_usd(self, loan_to_nav: float | None = None) -> float:
        """How much more the fund may draw before its loan-to-NAV passes ``loan_to_nav``
        (default: the covenant, :attr:`max_loan_to_nav`)."""
        cap = self.max_loan_to_nav if loan_to_nav is None else loan_to_nav
        return max(0.0, cap * max(self.nav_seen_usd(), 0.0) - self.drawn_usd())

    def breaches_covenant(self) -> bool:
        return self.loan_to_nav() > self.max_loan_to_nav

    # --- decisions ------------------------------------------------------------------------
    def lending_capacity_usd(self) -> float:
        if self.in_breach:
            return 0.0
        undrawn = min(sum(c.undrawn_usd() for c in self.credit_lines()),
                      self.covenant_room_usd(self.target_loan_to_nav))
        reserve = self.reserve_share * max(self.reported_nav_usd, 0.0) + self.redemption_buffer_usd()
        return max(0.0, self.cash_usd + undrawn - reserve) * self.appetite

    def decide(self) -> None:
        p = self.model.p
        months = p.pc_loss_memory_months
        recent = sum(self.losses[-months:])
        nav = max(self.reported_nav_usd, 1.0)
        self.appetite = math.exp(-p.pc_loss_appetite_sensitivity * recent / nav)
        expected = self.calm_losses_usd(months)
        self._unexpected_loss_share = max(0.0, recent - expected) / nav
        self.in_breach = self.breaches_covenant()
        self.requests_last_month_usd, self.requests_month_usd = self.requests_month_usd, 0.0

    def calm_losses_usd(self, months: int) -> float:
        """``EL = n q0 (1 - R0) P``: the tech book's expected default losses over the ``n`` months
        of loss memory seen so far (at most ``months``), ``P`` its tech principal (module docstring)."""
        n = min(months, len(self.losses))
        if n <= 0:
            return 0.0
        principal = sum(c.principal_usd for c in self.claims_held(TECH_LOAN))
        return n * calm_loss_rate_per_month(self.model.tech_borrowers.terms) * principal

    def loss_appetite(self) -> float:
        """``min(1, a / a0) = exp(-k max(0, losses_12m - EL_12m) / NAV)``: the appetite its
        unexpected losses leave, 1 when its losses are no more than its book expects (module
        docstring; Adrian and Shin 2010: lenders' margins follow the losses that hit their
        capital, not the expected losses their spread covers)."""
        return math.exp(-self.model.p.pc_loss_appetite_sensitivity * self._unexpected_loss_share)

    def rollover_share(self) -> float:
        """The fund's funding state ``f`` in the rollover rule (:mod:`abm.rollover`):
        ``appetite * (1 - redemption pressure)``, 0 in covenant breach (extending a loan is new
        credit; Acharya, Gale and Yorulmazer 2011); 1 with C4 off."""
        if not self.model.p.c4_rollover_risk:
            return 1.0
        if self.in_breach:
            return 0.0
        return self.appetite * (1.0 - self.redemption_pressure)

    def request_redemption(self, claim, amount_usd: float) -> None:
        """Queue a request to redeem ``amount_usd`` of ``claim`` (never more than the claim is
        worth); a request the gate leaves unpaid stays in the queue (:meth:`pay_redemptions`)."""
        queued = self.redemption_requests.get(claim, 0.0)
        self.redemption_requests[claim] = min(queued + amount_usd, max(claim.value_usd(), 0.0))
        self.requests_month_usd += self.redemption_requests[claim] - queued

    def redemption_buffer_usd(self) -> float:
        """Cash kept for next month's expected redemptions: ``min(gate, E)``, ``E`` the larger of
        this month's and last month's new requests (module docstring; Chernenko and Sunderam
        2016: funds hold cash against the outflows they expect)."""
        expected = max(self.requests_month_usd, self.requests_last_month_usd)
        return min(self.gate_usd(), expected) if expected > 0 else 0.0

    def queued_usd(self) -> float:
        """Redemption requests waiting in the queue (USD at the NAV investors see)."""
        return sum(self.redemption_requests.values())

    def gate_usd(self) -> float:
        """The most it pays in redemptions this month: ``gate`` of the NAV investors see a
        quarter [R13], spread evenly over its months."""
        gate = self.model.p.pc_redemption_gate_per_quarter / MONTHS_PER_QUARTER
        return gate * max(self.nav_seen_usd(), 0.0)

    def redemptions_payable_usd(self) -> float:
        """What it must pay this month: the queue up to the gate (0 with C5 off)."""
        if not self.model.p.c5_pc_losses_to_lps or self.price_per_unit_usd() <= 0:
            return 0.0
        return min(self.queued_usd(), self.gate_usd())

    # --- actions ---------------------------------------------------------------------------
    def draw_credit_lines(self, gap_usd: float) -> float:
        """Draw bank facilities for up to ``gap_usd``, never beyond the covenant; returns the gap left.

        The lines are drawn one after another in the order they were opened (creation order),
        each up to its undrawn limit and what its bank has in cash: the first bank lends
        first, not pro rata across the banks (repayments are pro rata,
        :meth:`repay_facilities`)."""
        room = self.covenant_room_usd()
        for line in self.credit_lines():
            if gap_usd <= 0 or room <= 0:
                break
            drawn = line.draw(min(gap_usd, room))
            gap_usd -= drawn
            room -= drawn
        return gap_usd

    def disburse(self, borrower, amount_usd: float) -> float:
        """Pay out a new loan, drawing bank lines for any shortfall; returns what was paid."""
        self.draw_credit_lines(amount_usd - self.cash_usd)
        paid = min(amount_usd, max(0.0, self.cash_usd))
        self.pay(borrower, paid, "gpu_loan_disbursement")
        return paid

    def manage_liquidity(self) -> None:
        """Draw bank facilities when cash is below the reserve. Spare cash does not repay them:
        they stay drawn on their terms (amortisation, a cut limit's excess, a covenant cure)."""
        reserve = self.reserve_share * max(self.reported_nav_usd, 0.0)
        gap = reserve - self.cash_usd
        if gap > 0:
            self.draw_credit_lines(gap)

    def repay_facilities(self, amount_usd: float) -> float:
        """Repay ``amount_usd`` of drawn facilities pro rata (limits fall with it); returns it."""
        lines = [c for c in self.credit_lines() if c.principal_usd > 0]
        drawn = sum(c.principal_usd for c in lines)
        amount_usd = min(amount_usd, drawn, max(0.0, self.cash_usd))
        if amount_usd <= 0:
            return 0.0
        for line in lines:
            line.repay(amount_usd * line.principal_usd / drawn)
        return amount_usd

    def cure_breach(self, equity_usd: float, in_breach: bool) -> None:
        """The loan market's verdict (:func:`abm.markets.loan_market.clear_month_loan_market`):
        in breach at its prices (NAV ``equity_usd`` as its bank sees it after this month's
        marks and redemptions), it pays its facilities down to ``pc_delever_target_share`` of the
        maximum with its cash beyond the month's redemptions [R3], and lends nothing more."""
        self.in_breach = in_breach
        if not in_breach:
            return
        self.count_breach(self.model.month)
        target = self.model.p.pc_delever_target_share * self.max_loan_to_nav
        excess = sum(c.excess_usd() for c in self.credit_lines())
        owed = self.drawn_usd() - excess - target * max(equity_usd, 0.0)
        spare = self.cash_usd - self.redemptions_payable_usd() - excess
        self.repay_facilities(min(owed, max(0.0, spare)))

    def count_breach(self, month) -> None:
        """Count this month's covenant breach in the month's tally (funds and BDCs apart)."""
        month.covenant_breaches += 1

    def sell_loans_share(self, share: float, price) -> float:
        """Sell ``share`` of every loan it holds into the loan market at the class prices
        ``price`` (:data:`abm.markets.loan_market.CLASSES` order); the discount to carrying value
        is a realised loss. Returns the proceeds."""
        month = self.model.month
        buyer = self.model.outside("securities_market")
        share = min(1.0, share)
        raised = 0.0
        for c in [c for c in self.claims_held() if c.kind in LOAN_CLASSES and c.value_usd() > 0]:
            value = c.value_usd() * share
            proceeds = value * float(price[LOAN_CLASSES.index(c.kind)])
            self.model.claims.sell(c, share, buyer)
            self.receive("securities_market", proceeds, "fund_loan_sale")
            self.model.losses.record(self, value - proceeds, c.issuer, "loan_sale_discount",
                                     self.model.steps)
            month.pc_loans_sold_usd += value
            raised += proceeds
        return raised

    def meet_excess(self) -> None:
        """A bank that cut a limit below the drawn amount (C6) is repaid the excess now, from
        the cash it kept and raised in the loan market for it."""
        for line in [c for c in self.credit_lines() if c.excess_usd() > 0]:
            line.repay_excess()

    def pay_redemptions(self) -> None:
        """Pay the queue pro rata up to the gate [R13] (C5), at the NAV LPs see, from its cash
        (which the loan market topped up, :mod:`abm.markets.loan_market`); what the gate leaves
        unpaid stays queued for next month. The excess over true value paid to leavers is the
        month's stale-NAV transfer (Chen, Goldstein and Jiang 2010)."""
        p = self.model.p
        if not self.redemption_requests or not p.c5_pc_losses_to_lps:
            self.redemption_requests = {}
            self.redemption_pressure = 0.0
            return
        total = self.queued_usd()
        self.redemption_pressure = min(1.0, total / self.cash_usd) if self.cash_usd > 0 else 1.0
        price = self.price_per_unit_usd()
        true_price = self.true_nav_usd() / self.shares_outstanding if self.shares_outstanding > 0 else 0.0
        payable = min(total, self.gate_usd(), max(0.0, self.cash_usd))
        if payable <= 0 or price <= 0:
            return
        scale = payable / total
        paid = 0.0
        for claim, req in list(self.redemption_requests.items()):
            amount = min(req * scale, claim.units * price)
            units = amount / price
            cost = claim.cost_usd * units / claim.units if claim.units > 0 else 0.0
            claim.cost_usd -= cost
            if hasattr(claim.holder, "fund_redeemed"):     # savers split realised losses
                claim.holder.fund_redeemed(amount, cost)
            claim.units -= units
            self.shares_outstanding -= units
            self.reported_nav_usd -= units * self._rep_px_prev if self.discloses else amount
            self.pay(claim.holder.name, amount, "fund_redemption")
            self.model.month.stale_nav_transfer_usd += units * (price - true_price)
            paid += amount
            left = req - amount
            if left > QUEUE_DUST_USD and claim.units > 0:
                self.redemption_requests[claim] = left
            else:
                del self.redemption_requests[claim]
        self.model.month.redemptions_usd += paid

    def borrow_to_grow(self, equity_usd: float) -> float:
        """A BDC's new bank debt for ``equity_usd`` of new equity: its banks upsize their
        facilities pro rata so that debt stays at ``pc_bdc_debt_to_equity`` of equity [R15];
        a tightening bank upsizes ``1 - tau`` of its part and a bank below its buffer lends
        nothing more (C6); the new debt carries the bank's rate of the day, dearer by its
        tightening spread (:meth:`abm.agents.bank.Bank.line_rate_per_month`). Returns what was
        borrowed."""
        lines = [c for c in self.credit_lines() if c.principal_usd > 0]
        drawn = sum(c.principal_usd for c in lines)
        want = self.target_loan_to_nav * equity_usd
        borrowed = 0.0
        for line in lines:
            bank = line.holder
            part = min(want * line.principal_usd / drawn * bank.lending_share(), max(0.0, bank.cash_usd))
            if bank.defaulted or bank.cutting or part <= 0:
                continue
            line.upsize(part, bank.line_rate_per_month())
            borrowed += part
        return borrowed

    def finance_growth(self, amount_usd: float) -> float:
        """Raise the money for ``amount_usd`` of new tech loans (:func:`abm.tech_credit.lend_to_tech`):
        a fund sells new shares for all of it to its LPs (:attr:`equity_investors`). Returns
        what it may lend (0 when no shares could be sold)."""
        if self.subscribe(self.model.outside(self.equity_investors), amount_usd) is None:
            return 0.0
        return amount_usd

    def subscribe(self, investor, amount_usd: float):
        """Sell new fund shares at the NAV investors see (401(k) inflows, [F34])."""
        price = self.price_per_unit_usd()
        if amount_usd <= 0 or price <= 0:
            return None
        existing = [c for c in self.model.claims.held(investor, "fund_share") if c.issuer is self]
        self.receive(investor.name, amount_usd, "fund_subscription")
        units = amount_usd / price
        self.shares_outstanding += units
        self.reported_nav_usd += units * self._rep_px_prev if self.discloses else amount_usd
        if existing:
            existing[0].units += units
            existing[0].cost_usd += amount_usd
            return existing[0]
        return self.model.claims.add(EquityClaim(holder=investor, issuer=self, kind="fund_share",
                                                 units=units, cost_usd=amount_usd))

    def distributable_usd(self) -> float:
        """``min(C - m R - B, NAV_seen - drawn / L_max)``, at least 0: cash ``C`` above ``m`` times
        the reserve ``R`` and the redemption buffer ``B`` (:meth:`redemption_buffer_usd`), and no
        more than keeps loan-to-NAV within the covenant (restricted payments); 0 while the
        covenant is breached or redemptions queue (module docstring)."""
        if self.in_breach or self.redemption_requests:
            return 0.0
        reserve = self.reserve_share * max(self.reported_nav_usd, 0.0)
        multiple = self.model.p.pc_distribution_reserve_multiple
        spare = self.cash_usd - multiple * reserve - self.redemption_buffer_usd()
        drawn = self.drawn_usd()
        if drawn > 0:
            spare = min(spare, self.nav_seen_usd() - drawn / self.max_loan_to_nav)
        return max(0.0, spare)

    def distribute(self) -> None:
        """Pay :meth:`distributable_usd` to the LPs pro rata to their units (income): in a
        downturn a fund keeps the cash it needs."""
        excess = self.distributable_usd()
        shares = [c for c in self.model.claims.issued(self, "fund_share") if c.units > 0]
        total = sum(c.units for c in shares)
        if excess <= 0 or total <= 0:
            return
        for c in shares:
            self.pay(c.holder.name, excess * c.units / total, "fund_distribution")
        self.model.month.distributions_usd += excess
        if self.shares_outstanding > 0 and self.model.p.c5_pc_losses_to_lps:
            per_unit = excess / self.shares_outstanding
            self._distributed_per_unit += per_unit
            self.reported_nav_usd = max(0.0, self.reported_nav_usd - excess)   # ex-distribution

    def act(self) -> None:
        self.losses.append(self.month_loss_usd)
        self.month_loss_usd = 0.0


class BDC(PrivateCreditFund):
    """A business development company [R15]: a levered, listed private-credit vehicle.

    A fund whose covenant is the legal cap ``pc_bdc_max_debt_to_equity`` on debt/equity, which
    lends at its own target leverage ``debt_to_equity_target`` (around
    ``pc_bdc_debt_to_equity``, set by the calibration; the room up to the cap is its buffer),
    grows its tech book with new shares sold to the public and new bank debt at that target
    (:meth:`finance_growth`), is owned by the public (``outside_investors``) and never
    redeemed, and does not lend to SPVs.
    """

    equity_investors = BDC_SHAREHOLDERS
    lends_to_spvs = False

    def __init__(self, model: Economy, name: str, index: int):
        super().__init__(model, name, index)
        self.debt_to_equity_target = 0.0     # its own target leverage, set by the calibration

    @property
    def max_loan_to_nav(self) -> float:
        """The covenant: the legal cap ``pc_bdc_max_debt_to_equity`` (asset coverage 150%)."""
        return self.model.p.pc_bdc_max_debt_to_equity

    @property
    def target_loan_to_nav(self) -> float:
        """Its own target debt/equity, ``debt_to_equity_target``."""
        return self.debt_to_equity_target

    def count_breach(self, month) -> None:
        month.bdc_covenant_breaches += 1

    def finance_growth(self, amount_usd: float) -> float:
        """New shares sold to the public for the equity part ``amount / (1 + D/E)`` of the new
        loans, and new bank debt for the rest at its target leverage (:meth:`borrow_to_grow`).
        Returns what it may lend (0 when no shares could be sold)."""
        equity = amount_usd / (1.0 + self.target_loan_to_nav)
        if self.subscribe(self.model.outside(self.equity_investors), equity) is None:
            return 0.0
        return equity + self.borrow_to_grow(equity)
