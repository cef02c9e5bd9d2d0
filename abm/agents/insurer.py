"""Life insurers: private credit as rated placements, fund interests and ABS [F32, R17, R33].

Two kinds (``kind``): *traditional* insurers and *private-equity-affiliated* ones, which hold
``insurer_pe_asset_share`` of the sector's assets (about 9% of US life assets [R33]) and a
private-credit share of their assets ``insurer_pe_pc_multiple`` times the traditional ones'.
Each holds its private credit three ways (calibration, :mod:`models.calibration.insurers`):
rated private placements (``insurer_placement_share`` of it [R17]; their tech part a pool
that lends to the tech cohorts and whose NAIC designations migrate with the borrowers' PD,
:mod:`abm.placements`), mezzanine ABS of the data-centre SPVs [F22], and interests in
private-credit funds for the rest. Bonds, cash and policy reserves fill the balance sheet.

Capital (:class:`abm.constraints.InsurerSolvency`): the NAIC life RBC ratio, TAC over the
authorised control level of the covariance formula ``C4a + sqrt((C1o + C3a)^2 + C1cs^2 +
C2^2)`` [R18, R43]: bonds, placements (their designations' factors) and ABS in C1o, fund
interests at 30% in C1cs, insurance, interest-rate and business risk per USD of reserves.
Each insurer's capital at step 0 is what brings it to the ratio insurers manage to,
``insurer_solvency_ratio`` (about 445% [R18]), on its own holdings; it comes to about 7% of
assets, the industry's order of magnitude, rather than a capital inflated so that 30%
charges on all private credit still leave 445%.

Each month:

- **Withdrawals** (Foley-Fisher, Narajabad and Verani 2020: policyholders and holders of
  funding agreements withdraw from insurers whose solvency is in doubt): a share
  ``insurer_withdrawable_share`` of reserves can be withdrawn at short notice; each month
  ``w = insurer_withdrawal_sensitivity * clip((R_t - R) / (R_t - R_min), 0, 1)`` of it is,
  with ``R_t`` the ratio the insurer manages to and ``R_min`` the company action level. The
  insurer pays from cash and bonds (at par), so withdrawals shrink its balance sheet.
- **Dividends** (:func:`abm.constraints.payout_usd`) out of net income (the change of TAC
  since the last dividend, losses carried forward) while the ratio is at or above
  ``insurer_solvency_ratio``; none below it (New York Insurance Law 4207(a)).
- **De-risking** (C7). An insurer manages to a ratio well above the regulator's levels, the
  capital its rating needs: below ``insurer_derisk_ratio`` it sells its riskiest holdings
  first (the most ACL freed per USD: fund interests, mezzanine ABS, then placements,
  :meth:`abm.constraints.InsurerSolvency.sale_plan`), at most
  ``insurer_derisk_share_per_month`` of each a month, toward that ratio. Below the company
  action level (``insurer_solvency_min``, 200% [R18]) the regulator's plan forces the sale of
  up to all of them at once, toward the level plus ``insurer_sale_target_margin``. Fund
  interests go to the loan market's fund-interest class (part as gated redemptions,
  ``insurer_redemption_share``), placements to its tech-loan class and ABS to its ABS class;
  the discount is the insurer's realised loss and the sales move the marks of every other
  holder of the class (C12; Ellul, Jotikasthira and Lundblad 2011). Both kinds of sale are reported in
  ``insurer_forced_sales_usd``; the voluntary part also in ``insurer_derisk_sales_usd``.
- **Investment**: cash above ``insurer_liquidity_target_multiple`` times the liquidity
  buffer goes into investment-grade bonds. Insurers do not subscribe again to private-credit
  funds when they return capital, so the fund-interest allocation runs off with the funds'
  books (a de-risking that raises the ratio).

Why the ratio moves in a winter: placements migrate down the designations as the cohorts'
revenue falls (a BBB placement charged 1.5% becomes a BB one at 4.5% or a B at 9.5%), fund
interests lose value (a dollar lost lowers TAC by 1 and ACL by its marginal charge, so such
losses lower the ratio while it is below the inverse of that charge), and placement defaults
are realised losses. The model's findings on depths are in docs/model.md (insurers).
"""
from __future__ import annotations

from aicredit.abm.agents.base import Institution
from aicredit.abm.constraints import InsurerSolvency, payout_usd
from aicredit.abm.economy import Economy
from aicredit.abm.markets.loan_market import ABS, TECH_LOAN
from aicredit.abm.placements import KIND as PLACEMENT

__all__ = ["Insurer", "market_class"]


def market_class(claim) -> int:
    """The loan market's class in which an insurer's placement pool (tech loans) or ABS
    tranche is priced and sold."""
    return TECH_LOAN if claim.kind == PLACEMENT else ABS


class Insurer(Institution):
    sector = "insurer"

    def __init__(self, model: Economy, name: str, solvency: InsurerSolvency, discount: float,
                 kind: str = "traditional"):
        super().__init__(model, name)
        self.solvency = solvency
        self.discount = discount
        self.kind = kind              # "traditional" or "pe_affiliated" [R33]
        self.plan: list = []          # [(claim, share)] to sell this month (C7)
        self.plan_forced = False      # below the company action level (else by choice)
        self.sold_usd = 0.0           # statutory value sold this month (secondary market)
        self.redemption_requested_usd = 0.0
        self.target_ratio = solvency.minimum    # set by the calibration
        self.payout_plan_usd = 0.0
        self.net_income_usd = 0.0     # change of TAC since the last dividend (losses carried forward)
        self.tac_mark_usd = 0.0       # TAC after the last dividend (set by the calibration)
        self.reinvested_usd = 0.0     # cash put into bonds this month
        self.withdrawal_plan_usd = 0.0
        self.ratio_before_shock = float("nan")   # the ratio the month before the shock

    # --- valuation --------------------------------------------------------------------------
    def _true_nav_visible(self) -> bool:
        p = self.model.p
        return bool(p.c11_policy and p.pc_disclosure)

    def statutory_value_usd(self, claim) -> float:
        """A claim at its statutory value: fund interests at true NAV per unit under
        disclosure (reported NAV otherwise); ABS at par times the loan market's ABS price; placements and
        bonds at amortised cost (:mod:`abm.placements`)."""
        if claim.kind == "fund_share" and self._true_nav_visible():
            fund = claim.issuer
            if fund.defaulted or fund.shares_outstanding <= 0:
                return 0.0
            return claim.units * max(fund.true_nav_usd(), 0.0) / fund.shares_outstanding
        if claim.kind == "abs":
            return claim.value_usd() * float(self.model.loan_market.price[ABS])
        return claim.value_usd()

    def sale_proceeds_usd(self, claim) -> float:
        """Cash a sale of the whole claim is expected to raise: fund interests part redeemed at
        reported NAV, part sold at the discount; placements and ABS at the loan market's price
        of their class before this month's sales."""
        value = claim.value_usd()
        if claim.kind == "fund_share":
            r = self.model.p.insurer_redemption_share
            return value * (r + (1.0 - r) * (1.0 - self.discount))
        return value * float(self.model.loan_market.start_price()[market_class(claim)])

    def solvency_ratio(self) -> float:
        return self.solvency.ratio(self)

    def reserves_usd(self) -> float:
        """Policy reserves (and funding agreements) the insurer owes."""
        return sum(c.value_usd() for c in self.claims_issued("policy_reserve"))

    # --- the month --------------------------------------------------------------------------
    def month_income(self) -> None:
        """Before the month's payments: keep a cash buffer by selling bonds (liquidity)."""
        self.raise_liquidity()

    def raise_liquidity(self, need_usd: float = 0.0) -> None:
        """Sell bonds at par when cash falls below the liquidity buffer plus ``need_usd``
        (bonds are liquid)."""
        p = self.model.p
        buffer = p.insurer_liquidity_buffer_share * self.total_assets_usd()
        gap = p.insurer_liquidity_target_multiple * buffer + need_usd - self.cash_usd
        if self.cash_usd >= buffer + need_usd or gap <= 0:
            return
        for bond in self.claims_held("bond_holding"):
            amount = min(gap, bond.value_usd())
            if amount <= 0:
                continue
            self.model.claims.sell(bond, amount / bond.value_usd(), self.model.outside("securities_market"))
            self.receive("securities_market", amount, "bond_sale")
            gap -= amount

    def withdrawal_rate(self, ratio: float) -> float:
        """Share of the withdrawable liabilities withdrawn this month (module docstring)."""
        p = self.model.p
        room = self.target_ratio - self.solvency.minimum
        if room <= 0:
            return p.insurer_withdrawal_sensitivity if ratio < self.solvency.minimum else 0.0
        return p.insurer_withdrawal_sensitivity * min(1.0, max(0.0, (self.target_ratio - ratio) / room))

    def decide(self) -> None:
        """Measure last month's net income, plan the dividend, the withdrawals policyholders
        make and the sales that de-risk (C7)."""
        p = self.model.p
        self.plan, self.plan_forced = [], False
        tac, required = self.solvency.tac_usd(self), self.solvency.required_usd(self)
        ratio = self.solvency.ratio_of(tac, required)
        if self.model.steps == p.demand_shock_step - 1 or self.model.steps == 0:
            self.ratio_before_shock = ratio
        self.net_income_usd = tac - self.tac_mark_usd
        self.payout_plan_usd = payout_usd(self.net_income_usd, tac, required, self.target_ratio,
                                          p.insurer_payout_share)
        if self.net_income_usd > 0:       # a loss is carried forward: the mark stays
            self.tac_mark_usd = tac - self.payout_plan_usd
        self.withdrawal_plan_usd = (p.insurer_withdrawable_share * self.reserves_usd()
                                    * self.withdrawal_rate(ratio))
        if not p.c7_insurer_forced_sales:
            return
        if ratio < self.solvency.minimum:
            self.plan_forced = True
            self.plan = self.solvency.sale_plan(self, self.solvency.minimum + self.solvency.target_margin,
                                                self.sale_proceeds_usd)
        elif ratio < p.insurer_derisk_ratio:
            self.plan = self.solvency.sale_plan(self, p.insurer_derisk_ratio, self.sale_proceeds_usd,
                                                p.insurer_derisk_share_per_month)

    def act(self) -> None:
        """Pay withdrawals and the planned dividend; sell what the plan says (C7); invest
        spare cash in bonds."""
        self.sold_usd = 0.0
        self.redemption_requested_usd = 0.0
        self.pay_withdrawals()
        self.raise_liquidity()
        buffer = self.model.p.insurer_liquidity_buffer_share * self.total_assets_usd()
        paid = self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd - buffer, 0.0)),
                        "insurer_dividend")
        self.tac_mark_usd += self.payout_plan_usd - paid      # what was not paid stays capital
        if self.plan:
            self.sell_planned()
        self.reinvest()

    def pay_withdrawals(self) -> None:
        """Pay the month's withdrawals from cash, selling bonds for them; the reserves fall
        by what is paid."""
        amount = self.withdrawal_plan_usd
        if amount <= 0:
            return
        self.raise_liquidity(amount)
        reserves = self.claims_issued("policy_reserve")
        paid = self.pay("policyholders", min(amount, max(self.cash_usd, 0.0)), "policy_withdrawal")
        total = sum(c.value_usd() for c in reserves)
        for c in reserves:
            c.principal_usd -= paid * c.value_usd() / total if total > 0 else 0.0
        self.model.month.insurer_withdrawals_usd += paid

    def reinvest(self) -> None:
        """Invest cash above the liquidity target in investment-grade bonds."""
        p = self.model.p
        target = (p.insurer_liquidity_target_multiple * p.insurer_liquidity_buffer_share
                  * self.total_assets_usd())
        self.reinvested_usd = max(0.0, self.cash_usd - target)
        self.buy_bonds(self.reinvested_usd)

    def sell_planned(self) -> None:
        """Order the planned share of each holding sold (C7): fund interests (part redeemed),
        placements and ABS through the loan market, whose clearing at the month's end executes
        the orders (:meth:`sell_fund_interest`, :meth:`sell_at_price`)."""
        m = self.model
        r = m.p.insurer_redemption_share
        for claim, share in self.plan:
            value = claim.value_usd() * share
            if value <= 0 or claim.closed:
                continue
            if claim.kind == "fund_share":
                if not claim.issuer.defaulted and r > 0:
                    claim.issuer.request_redemption(claim, r * value)   # gated, paid at NAV
                    self.redemption_requested_usd += r * value
                if share * (1.0 - r) > 0:
                    m.loan_market.order(self, claim, share * (1.0 - r))
            else:
                m.loan_market.order(self, claim, share, market_class(claim))
        m.month.insurer_redemption_requests_usd += self.redemption_requested_usd

    def sell_fund_interest(self, claim, share: float, price: float, buyer) -> None:
        """Sell ``share`` of a fund interest at the loan market's price of fund interests
        ``price`` less the LP-secondary discount (C7, C12)."""
        self.sell_at_price(claim, share, price, buyer, self.discount)

    def sell_at_price(self, claim, share: float, price: float, buyer, discount: float = 0.0) -> None:
        """Sell ``share`` of a claim (a fund interest, a placement pool or an ABS tranche) at its
        carrying value times the loan market's price of its class less ``discount``
        (C7, C12); what the proceeds fall short of the value is the insurer's realised loss."""
        value = claim.value_usd() * share
        if value <= 0 or claim.closed:
            return
        self._book_sale(claim, share, value, value * price * (1.0 - discount), buyer)

    def _book_sale(self, claim, share: float, value: float, proceeds: float, buyer) -> None:
        """Hand ``share`` of ``claim`` (worth ``value``) to ``buyer`` for ``proceeds``; the
        difference is the insurer's realised loss, and ``value`` counts as sold this month."""
        m = self.model
        m.claims.sell(claim, share, buyer)
        self.receive("securities_market", proceeds, "insurer_forced_sale")
        m.losses.record(self, value - proceeds, claim.issuer, "forced_sale_discount", m.steps)
        self.sold_usd += value
        m.month.insurer_sales_usd += value
        if not self.plan_forced:
            m.month.insurer_derisk_sales_usd += value
