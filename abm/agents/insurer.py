"""Life insurers: ~1 trillion in private credit [F32], ABS [F22], bonds, policy reserves.

Capital (:class:`abm.constraints.InsurerSolvency`, NAIC-style risk-based capital [R18]):

    RBC ratio = TAC / ACL,   ACL = a * sum_k c_k * V_k

with charges ``c_k`` per asset class (``insurer_charge_fund_interest`` and
``insurer_charge_abs`` equity-like, 30% [R18]; ``insurer_charge_bond`` ~1%), ``a`` =
``insurer_rbc_acl_share`` (the authorised control level is half the total [R18]) and
statutory values ``V_k`` (:meth:`Insurer.statutory_value_usd`): a fund interest at the
fund's *true* NAV per unit when NAV is disclosed (C11 ``pc_disclosure``) and at the
smoothed reported NAV when it is not [F30]; an ABS at par times the ABS market's mark; other
claims at book value. TAC is book equity restated at those values. Capital at step 0 is
``insurer_capital_bn`` in USD whatever the holdings, so more private credit means a lower
ratio.

Dividends (:func:`abm.constraints.payout_usd`) come out of earnings. Net income is the
change of TAC since the last dividend: statutory net income with the unrealised gains and
losses on fund interests and ABS, which go to surplus. A loss is carried forward, so later
income first makes it good (dividends come out of earned surplus). While its ratio is at or
above ``insurer_solvency_ratio`` (~445% [R18], the level insurers manage to) an insurer pays
``insurer_payout_share`` of a positive net income, never taking the ratio below that level;
below it, or after a loss, it pays nothing (state law ties ordinary dividends to the net
gain from operations and bars them after a year in which it was negative without the
regulator's approval, New York Insurance Law 4207(a)). Capital freed when a fund interest
turns into cash (its 30% charge gone) is not income, so it stays. The earlier rule paid out
half of all capital above the target each month, freed capital included, which pinned the
ratio at the target: in ``ai_winter`` (seed 1) an insurer paid 1-1.7 bn a month while its
TAC fell from 152 to 106 bn and its ratio rose from 4.43 to 4.55.

Investment. Each month, after its dividend and any forced sale, an insurer invests its
cash above ``insurer_liquidity_target_multiple`` times its liquidity buffer in investment-
grade bonds (otherwise an insurer hoards the funds' distributions: in ``ai_winter``, seed 1,
its 20 bn of cash grew to 98 bn). It does not commit again to private credit when funds return
capital: the model's funds draw new LP money only for new tech loans they make (from
pensions and endowments, :mod:`abm.tech_credit`) and pay out cash they do not lend, so a
subscription without a deal would come straight back, and buying other LPs' interests at
the reported NAV would buy stale prices in a winter. Insurers' private-credit allocation
therefore runs off with the funds' books, a de-risking that raises their ratio (each dollar
moved from a fund interest, charge 30%, to a bond, charge 1%, lowers ACL by
``a (c_fund - c_bond)`` = 0.145). Keeping the allocation instead, by re-subscribing returned
capital while at the target (tried as an experiment, 6 seeds), ends ``ai_winter`` at a ratio
of 4.6 instead of 6.4 but leaves its lowest ratio at the step-0 value (4.41 with disclosed
NAVs): the size of the losses, not the run-off, keeps the winter far from the threshold.

Why the ratio hardly moves in a winter. Fund interests carry most of ACL (30 of 34 bn at
step 0). A dollar lost on one lowers TAC by 1 and ACL by ``a c`` = 0.15, so such losses
lower the ratio only while it is below ``1 / (a c)`` = 6.67, and slowly: to reach the
company action level an insurer has to lose ``x = (TAC - 2 ACL) / (1 - 2 a c)``
(:meth:`InsurerSolvency.fund_loss_to_reach_usd`), 119 bn of its 152 bn TAC at step 0 (78%
of it, 60% of its 200 bn of fund interests); 86 bn (31% of its fund interests) with
``insurer_pc_bn`` = 1500; 10.5 bn with half the capital. Measured (6 paired seeds, 72
months, before labs could fail): in ``ai_winter`` each insurer's look-through loss over the
run is 26 bn (11 bn in the baseline; 33 and 12 bn over 32 seeds on model 0.3.0),
reported over up to 24 months by the smoothed NAV [F30] while the funds
return capital that moves into bonds; its lowest ratio is its step-0 ratio, 4.43, as in the
baseline (it ends the run at 6.4; baseline 4.9) and C7 never fires. Deeper winters
(``demand_shock_size`` 0.6, the write-off of half the tech book in month 24, or both) cost
38-63 bn each, still short of 119 bn, with the same lowest ratio. The ratio falls below
its opening value when the loss is large, early and recognised at once: writing off 80% of
the tech book in month 6 with NAV disclosed (C11) and demand down 60% takes it to 3.88
(4 seeds; 2.21 with 1500 bn of private credit), and writing off all of it, disclosed, with
1500 bn brings C7 sales at the calibrated capital (195 bn in months 6-12; with the smoothed
NAV the same loss takes the ratio only to 2.66).

Rating migration is not modelled. Downgrades raise insurers' charges on rated holdings
(NAIC designations migrate; Ellul, Jotikasthira and Lundblad 2011), but the holdings that
carry the model's risk already bear the highest charges: fund interests are Schedule BA LP
interests at the equity-like 30% charge, with no designation to migrate (a NAIC 6 bond is
charged 30% too), and the mezzanine ABS are charged 30%, so migrating all of them to the
residual-tranche 45% would add 0.2 bn to an insurer's 34 bn of ACL. Migration would bite on
the 1%-charged bond book (777 bn an insurer: an average charge of 2% adds 3.9 bn, 11% of
ACL), but those bonds are claims on borrowers outside the model, which the article does not
stress; a rule for them would be an assumption about the whole corporate bond market.

Forced sales (C7), each month an insurer starts below ``insurer_solvency_min`` (the company
action level, 200% [R18]): it sells the share f of every fund interest and ABS that restores
the threshold plus ``insurer_sale_target_margin`` (:meth:`InsurerSolvency.share_to_sell`).
Of the fund interests, ``insurer_redemption_share`` is asked of the fund as a redemption
(gated, paid at reported NAV from the fund's cash, [R13]); the rest is sold on the secondary
market at ``insurer_fire_sale_discount`` below reported NAV. ABS are sold at the mark less
the discount. Buyers are outside; the discount is the insurer's realised loss. The ABS
sales move the mark every holder's statutory ABS value uses (:class:`abm.markets.abs.ABSMarket`), so one
insurer's sale lowers the others' capital: the price-impact channel of insurers' forced
sales documented by Ellul, Jotikasthira and Lundblad (2011, JFE 101) for downgraded bonds.
"""
from __future__ import annotations

from aicredit.abm.agents.base import Institution
from aicredit.abm.constraints import InsurerSolvency, payout_usd
from aicredit.abm.economy import Economy

__all__ = ["Insurer"]


class Insurer(Institution):
    sector = "insurer"

    def __init__(self, model: Economy, name: str, solvency: InsurerSolvency, discount: float):
        super().__init__(model, name)
        self.solvency = solvency
        self.discount = discount
        self.sale_plan: float = 0.0   # share of risky holdings to sell this month
        self.sold_usd = 0.0           # statutory value sold this month (secondary market)
        self.redemption_requested_usd = 0.0
        self.target_ratio = solvency.minimum    # set by the calibration
        self.payout_plan_usd = 0.0
        self.net_income_usd = 0.0     # change of TAC since the last dividend (losses carried forward)
        self.tac_mark_usd = 0.0       # TAC after the last dividend (set by the calibration)
        self.reinvested_usd = 0.0     # cash put into bonds this month

    # --- valuation --------------------------------------------------------------------------
    def _true_nav_visible(self) -> bool:
        p = self.model.p
        return bool(p.c11_policy and p.pc_disclosure)

    def statutory_value_usd(self, claim) -> float:
        """A claim at its statutory value: fund interests at true NAV per unit under
        disclosure (reported NAV otherwise); ABS at par times the ABS mark."""
        if claim.kind == "fund_share" and self._true_nav_visible():
            fund = claim.issuer
            if fund.defaulted or fund.shares_outstanding <= 0:
                return 0.0
            return claim.units * max(fund.true_nav_usd(), 0.0) / fund.shares_outstanding
        if claim.kind == "abs":
            return claim.value_usd() * self.model.abs_market.mark(self.model.steps)
        return claim.value_usd()

    def sale_proceeds_usd(self, claim) -> float:
        """Cash a sale of the whole claim raises: fund interests part redeemed at reported NAV,
        part sold at the discount; ABS at the mark less the discount."""
        value = claim.value_usd()
        if claim.kind == "fund_share":
            r = self.model.p.insurer_redemption_share
            return value * (r + (1.0 - r) * (1.0 - self.discount))
        return self.statutory_value_usd(claim) * (1.0 - self.discount)

    def solvency_ratio(self) -> float:
        return self.solvency.ratio(self)

    # --- the month --------------------------------------------------------------------------
    def month_income(self) -> None:
        """Before the month's payments: keep a cash buffer by selling bonds (liquidity)."""
        self.raise_liquidity()

    def raise_liquidity(self) -> None:
        """Sell bonds at par when cash falls below the liquidity buffer (bonds are liquid)."""
        p = self.model.p
        buffer = p.insurer_liquidity_buffer_share * self.total_assets_usd()
        gap = p.insurer_liquidity_target_multiple * buffer - self.cash_usd
        if self.cash_usd >= buffer or gap <= 0:
            return
        for bond in self.claims_held("bond_holding"):
            amount = min(gap, bond.value_usd())
            if amount <= 0:
                continue
            self.model.claims.sell(bond, amount / bond.value_usd(), self.model.outside("securities_market"))
            self.receive("securities_market", amount, "bond_sale")
            gap -= amount

    def decide(self) -> None:
        """Measure last month's net income, plan the dividend, plan forced sales (C7)."""
        p = self.model.p
        self.sale_plan = 0.0
        tac, required = self.solvency.tac_usd(self), self.solvency.required_usd(self)
        self.net_income_usd = tac - self.tac_mark_usd
        self.payout_plan_usd = payout_usd(self.net_income_usd, tac, required, self.target_ratio,
                                          p.insurer_payout_share)
        if self.net_income_usd > 0:       # a loss is carried forward: the mark stays
            self.tac_mark_usd = tac - self.payout_plan_usd
        if p.c7_insurer_forced_sales and self.solvency.ratio_of(tac, required) < self.solvency.minimum:
            self.sale_plan = self.solvency.share_to_sell(self, self.sale_proceeds_usd)

    def act(self) -> None:
        """Pay the planned dividend; redeem and sell the planned share of fund interests and
        ABS (C7); invest spare cash in bonds."""
        self.sold_usd = 0.0
        self.redemption_requested_usd = 0.0
        self.raise_liquidity()
        buffer = self.model.p.insurer_liquidity_buffer_share * self.total_assets_usd()
        paid = self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd - buffer, 0.0)),
                        "insurer_dividend")
        self.tac_mark_usd += self.payout_plan_usd - paid      # what was not paid stays capital
        if self.sale_plan > 0:
            self.forced_sale()
        self.reinvest()

    def reinvest(self) -> None:
        """Invest cash above the liquidity target in investment-grade bonds."""
        p = self.model.p
        target = (p.insurer_liquidity_target_multiple * p.insurer_liquidity_buffer_share
                  * self.total_assets_usd())
        self.reinvested_usd = max(0.0, self.cash_usd - target)
        self.buy_bonds(self.reinvested_usd)

    def forced_sale(self) -> None:
        """Redeem and sell ``sale_plan`` of every fund interest and ABS (C7): ABS at the ABS
        mark less the discount now; fund interests through the loan market, whose clearing at
        the month's end executes the order (:meth:`sell_fund_interest`)."""
        m = self.model
        buyer = m.outside("securities_market")
        r = m.p.insurer_redemption_share
        abs_sold = 0.0
        for claim in [c for c in self.claims_held() if c.kind in ("fund_share", "abs")]:
            value = claim.value_usd() * self.sale_plan
            if value <= 0:
                continue
            if claim.kind == "fund_share":
                if not claim.issuer.defaulted and r > 0:
                    claim.issuer.request_redemption(claim, r * value)   # gated, paid at NAV
                    self.redemption_requested_usd += r * value
                if self.sale_plan * (1.0 - r) > 0:
                    m.loan_market.order(self, claim, self.sale_plan * (1.0 - r))
                continue
            price = m.abs_market.mark(m.steps) * (1.0 - self.discount)
            abs_sold += value
            self._book_sale(claim, self.sale_plan, value, value * price, buyer)
        m.month.insurer_sales_usd += self.sold_usd
        m.month.insurer_redemption_requests_usd += self.redemption_requested_usd
        if abs_sold > 0:
            outstanding = sum(c.value_usd() for c in m.claims.all if c.kind == "abs" and not c.closed)
            m.abs_market.record_sale(m.steps, abs_sold, outstanding, self.discount)

    def sell_fund_interest(self, claim, share: float, price: float, buyer) -> None:
        """Sell ``share`` of a fund interest at its statutory value times the loan market's price
        of fund interests ``price`` less the LP-secondary discount (C7, C12); the discount is a
        realised loss."""
        value = claim.value_usd() * share
        if value <= 0 or claim.closed:
            return
        self._book_sale(claim, share, value, value * price * (1.0 - self.discount), buyer)
        self.model.month.insurer_sales_usd += value

    def _book_sale(self, claim, share: float, value: float, proceeds: float, buyer) -> None:
        """Hand ``share`` of ``claim`` (worth ``value``) to ``buyer`` for ``proceeds``; the
        difference is the insurer's realised loss, and ``value`` counts as sold this month."""
        m = self.model
        m.claims.sell(claim, share, buyer)
        self.receive("securities_market", proceeds, "insurer_forced_sale")
        m.losses.record(self, value - proceeds, claim.issuer, "forced_sale_discount", m.steps)
        self.sold_usd += value
