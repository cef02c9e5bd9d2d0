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
ratio. Above ``insurer_solvency_ratio`` (~445%, [R18]) insurers pay out capital.

Forced sales (C7), each month an insurer starts below ``insurer_solvency_min`` (the company
action level, 200% [R18]): it sells the share f of every fund interest and ABS that restores
the threshold plus ``insurer_sale_target_margin`` (:meth:`InsurerSolvency.share_to_sell`).
Of the fund interests, ``insurer_redemption_share`` is asked of the fund as a redemption
(gated, paid at reported NAV from the fund's cash, [R13]); the rest is sold on the secondary
market at ``insurer_fire_sale_discount`` below reported NAV. ABS are sold at the mark less
the discount. Buyers are outside; the discount is the insurer's realised loss. The ABS
sales move the mark every holder's statutory ABS value uses (:class:`ABSMarket`), so one
insurer's sale lowers the others' capital: the price-impact channel of insurers' forced
sales documented by Ellul, Jotikasthira and Lundblad (2011, JFE 101) for downgraded bonds.
"""
from __future__ import annotations

from abm.agents.base import Institution
from abm.constraints import InsurerSolvency, payout_usd

__all__ = ["Insurer", "ABSMarket"]


class ABSMarket:
    """The mark of data-centre ABS as a share of par, moved by insurers' forced sales.

    Month t's sales of ``S_t`` at a discount ``d`` against ``O_t`` outstanding ABS (at par)
    lower next month's mark multiplicatively by ``d * min(1, S_t / (depth * O_t))``, and the
    mark's discount decays by ``persistence`` a month (linear price impact with reversal,
    Ellul, Jotikasthira and Lundblad 2011):

        disc_{t+1} = 1 - (1 - rho disc_t) (1 - d min(1, S_t / (depth O_t)))

    Sales move the mark from the next month, so every seller in a month sees the same price
    (the order in which insurers act does not matter).
    """

    def __init__(self, depth_share: float, persistence: float):
        self.depth_share = depth_share
        self.persistence = persistence
        self._discount = 0.0          # the discount as of month self._step
        self._step = 0
        self._pending: dict = {}      # this month's sales: step, sold, outstanding, discount

    def _roll(self, step: int) -> None:
        pend = self._pending
        if pend and pend["step"] < step:
            base = self._discount * self.persistence ** max(0, pend["step"] - self._step)
            depth = self.depth_share * pend["outstanding"]
            impact = pend["discount"] * min(1.0, pend["sold"] / depth) if depth > 0 else 0.0
            self._discount = 1.0 - (1.0 - self.persistence * base) * (1.0 - impact)
            self._step = pend["step"] + 1
            self._pending = {}

    def discount(self, step: int) -> float:
        """The mark's discount to par in month ``step``."""
        self._roll(step)
        return self._discount * self.persistence ** max(0, step - self._step)

    def mark(self, step: int) -> float:
        return 1.0 - self.discount(step)

    def record_sale(self, step: int, sold_par_usd: float, outstanding_par_usd: float,
                    sale_discount: float) -> None:
        """Record ``sold_par_usd`` of ABS (at par) sold at ``sale_discount`` in month ``step``."""
        if sold_par_usd <= 0:
            return
        self._roll(step)
        if self._pending:
            self._pending["sold"] += sold_par_usd
            self._pending["outstanding"] = max(self._pending["outstanding"], outstanding_par_usd)
        else:
            self._pending = dict(step=step, sold=sold_par_usd, outstanding=outstanding_par_usd,
                                 discount=sale_discount)


class Insurer(Institution):
    sector = "insurer"

    def __init__(self, model, name: str, solvency: InsurerSolvency, discount: float):
        super().__init__(model, name)
        self.solvency = solvency
        self.discount = discount
        self.sale_plan: float = 0.0   # share of risky holdings to sell this month
        self.sold_usd = 0.0           # statutory value sold this month (secondary market)
        self.redemption_requested_usd = 0.0
        self.target_ratio = solvency.minimum    # set by the calibration
        self.payout_plan_usd = 0.0

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
        p = self.model.p
        self.sale_plan = 0.0
        required, tac = self.solvency.required_usd(self), self.solvency.tac_usd(self)
        self.payout_plan_usd = payout_usd(tac, self.target_ratio, required, p.insurer_payout_share)
        if p.c7_insurer_forced_sales and self.solvency.ratio_of(tac, required) < self.solvency.minimum:
            self.sale_plan = self.solvency.share_to_sell(self, self.sale_proceeds_usd)

    def act(self) -> None:
        """Redeem and sell the planned share of fund interests, sell ABS (C7)."""
        self.sold_usd = 0.0
        self.redemption_requested_usd = 0.0
        self.raise_liquidity()
        buffer = self.model.p.insurer_liquidity_buffer_share * self.total_assets_usd()
        self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd - buffer, 0.0)),
                 "insurer_dividend")
        if self.sale_plan <= 0:
            return
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
                sold_share, price = self.sale_plan * (1.0 - r), 1.0 - self.discount
            else:
                sold_share = self.sale_plan
                price = m.abs_market.mark(m.steps) * (1.0 - self.discount)
                abs_sold += value
            sold_value = claim.value_usd() * sold_share
            if sold_value <= 0:
                continue
            proceeds = sold_value * price
            m.claims.sell(claim, sold_share, buyer)
            self.receive("securities_market", proceeds, "insurer_forced_sale")
            m.losses.record(self, sold_value - proceeds, claim.issuer, "forced_sale_discount", m.steps)
            self.sold_usd += sold_value
        m.month.insurer_sales_usd += self.sold_usd
        m.month.insurer_redemption_requests_usd += self.redemption_requested_usd
        if abs_sold > 0:
            outstanding = sum(c.value_usd() for c in m.claims.all if c.kind == "abs" and not c.closed)
            m.abs_market.record_sale(m.steps, abs_sold, outstanding, self.discount)
