"""Private-credit funds (Blue Owl and others) [F27-F31, F34].

Balance sheet: GPU-backed loans to neoclouds [F23], loans to SPVs [F20], a non-AI loan
book, cash; bank credit lines [F31]; equity owned by limited partners (insurers [F32],
pensions and endowments, 401(k) savers once policy allows [F34]) as fund shares.

Rules, each month:
- True NAV is book equity; the *reported* NAV is smoothed and lagging [F30]:
  ``reported = w * reported_prev + (1 - w) * true`` (with the disclosure policy, C11,
  reported = true). Fund shares are valued, bought and redeemed at the reported NAV.
- Lending appetite ``a = exp(-k * losses_12m / NAV)`` falls after losses; it scales new
  GPU loans and the share of maturing loans rolled over (C4).
- Redemption requests are paid up to a gate of ``gate`` of NAV a quarter [R13] (C5).
- Cash below a reserve is drawn from bank lines, excess repays them; a bank that cuts a
  line makes the excess due (C6).
- A fund whose true NAV turns negative defaults and is resolved.
"""
from __future__ import annotations

import math

from abm.agents.base import Institution
from abm.claims import EquityClaim

#: Months in a quarter (calendar): the redemption gate is stated per quarter [R13].
MONTHS_PER_QUARTER = 3

__all__ = ["PrivateCreditFund", "write_off_tech_loans"]


class PrivateCreditFund(Institution):
    sector = "private_credit"

    @property
    def reserve_share(self) -> float:
        """Cash kept as a share of reported NAV (``pc_cash_reserve_share``)."""
        return self.model.p.pc_cash_reserve_share

    def __init__(self, model, name: str, index: int):
        super().__init__(model, name)
        self.index = index                   # position in the GPU-loan book's lender axis
        self.reported_nav_usd = 0.0
        self.losses: list[float] = []        # credit losses per month (USD)
        self.month_loss_usd = 0.0
        self.redemption_requests: dict = {}  # EquityClaim -> USD requested
        self.appetite = 1.0

    # --- valuation ------------------------------------------------------------------------
    def gpu_loans_held_usd(self) -> float:
        return float(self.model.gpu_loans.debt_by("lender", len(self.model.funds))[self.index])

    def true_nav_usd(self) -> float:
        return self.equity_usd()

    def units(self) -> float:
        return sum(c.units for c in self.model.claims.issued(self, "fund_share"))

    def price_per_unit_usd(self) -> float:
        if self.defaulted:
            return 0.0
        u = self.shares_outstanding
        return self.reported_nav_usd / u if u > 0 else 0.0

    def update_nav(self) -> None:
        """Smoothed, lagging reported NAV [F30]; true NAV with disclosure (C11)."""
        true = self.true_nav_usd()
        p = self.model.p
        if not p.c5_pc_losses_to_lps:
            return  # LPs' shares stay at their last value: losses do not reach them
        if p.c11_policy and p.pc_disclosure:
            self.reported_nav_usd = true
        else:
            w = p.pc_nav_smoothing
            self.reported_nav_usd = w * self.reported_nav_usd + (1.0 - w) * true

    def record_loss(self, loss_usd: float) -> None:
        self.month_loss_usd += loss_usd

    # --- decisions ------------------------------------------------------------------------
    def credit_lines(self):
        return self.claims_issued("credit_line")

    def lending_capacity_usd(self) -> float:
        undrawn = sum(c.undrawn_usd() for c in self.credit_lines())
        reserve = self.reserve_share * max(self.reported_nav_usd, 0.0)
        return max(0.0, self.cash_usd + undrawn - reserve) * self.appetite

    def decide(self) -> None:
        p = self.model.p
        recent = sum(self.losses[-p.pc_loss_memory_months:])
        nav = max(self.reported_nav_usd, 1.0)
        self.appetite = math.exp(-p.pc_loss_appetite_sensitivity * recent / nav)

    def rollover_share(self) -> float:
        p = self.model.p
        if not p.c4_rollover_risk:
            return 1.0
        return p.rollover_base_share * self.appetite

    def request_redemption(self, claim, amount_usd: float) -> None:
        self.redemption_requests[claim] = self.redemption_requests.get(claim, 0.0) + amount_usd

    # --- actions ---------------------------------------------------------------------------
    def draw_credit_lines(self, gap_usd: float) -> float:
        """Draw bank lines, in order, for up to ``gap_usd`` (each bank lends what is undrawn and
        what it has in cash); returns the gap left."""
        for line in self.credit_lines():
            if gap_usd <= 0:
                break
            draw = min(gap_usd, line.undrawn_usd(), max(0.0, line.holder.cash_usd))
            if draw > 0:
                line.holder.pay(self, draw, "credit_line_draw")
                line.principal_usd += draw
                gap_usd -= draw
        return gap_usd

    def disburse(self, borrower, amount_usd: float) -> float:
        """Pay out a new loan, drawing bank lines for any shortfall; returns what was paid."""
        self.draw_credit_lines(amount_usd - self.cash_usd)
        paid = min(amount_usd, max(0.0, self.cash_usd))
        self.pay(borrower, paid, "gpu_loan_disbursement")
        return paid

    def manage_liquidity(self) -> None:
        """Draw bank lines when cash is below the reserve; repay them with excess cash."""
        reserve = self.reserve_share * max(self.reported_nav_usd, 0.0)
        gap = reserve - self.cash_usd
        if gap > 0:
            self.draw_credit_lines(gap)
            return
        for line in self.credit_lines():
            if gap < 0 and line.principal_usd > 0:
                repay = min(-gap, line.principal_usd, self.cash_usd)
                self.pay(line.holder, repay, "credit_line_repay")
                line.principal_usd -= repay
                gap += repay

    def pay_redemptions(self) -> None:
        """Pay redemption requests pro rata up to the gate [R13] (C5)."""
        p = self.model.p
        if not self.redemption_requests or not p.c5_pc_losses_to_lps:
            self.redemption_requests = {}
            return
        price = self.price_per_unit_usd()
        total = sum(self.redemption_requests.values())
        gate = p.pc_redemption_gate_per_quarter / MONTHS_PER_QUARTER * max(self.reported_nav_usd, 0.0)
        payable = min(total, gate, max(0.0, self.cash_usd))
        if payable <= 0 or price <= 0:
            self.redemption_requests = {}
            return
        scale = payable / total
        for claim, req in self.redemption_requests.items():
            amount = min(req * scale, claim.units * price)
            units = amount / price
            cost = claim.cost_usd * units / claim.units if claim.units > 0 else 0.0
            claim.cost_usd -= cost
            if hasattr(claim.holder, "fund_redeemed"):     # savers split realised losses
                claim.holder.fund_redeemed(amount, cost)
            claim.units -= units
            self.shares_outstanding -= units
            self.reported_nav_usd -= amount
            holder = claim.holder
            self.pay(holder.name, amount, "fund_redemption")
        self.model.month.redemptions_usd += payable
        self.redemption_requests = {}

    def subscribe(self, investor, amount_usd: float):
        """Sell new fund shares at the reported NAV (401(k) inflows, [F34])."""
        price = self.price_per_unit_usd()
        if amount_usd <= 0 or price <= 0:
            return None
        existing = [c for c in self.model.claims.held(investor, "fund_share") if c.issuer is self]
        investor.pay(self, amount_usd, "fund_subscription")
        units = amount_usd / price
        self.shares_outstanding += units
        self.reported_nav_usd += amount_usd
        if existing:
            existing[0].units += units
            existing[0].cost_usd += amount_usd
            return existing[0]
        return self.model.claims.add(EquityClaim(holder=investor, issuer=self, kind="fund_share",
                                                 units=units, cost_usd=amount_usd))

    def distribute(self) -> None:
        """Pay cash above ``pc_distribution_reserve_multiple`` times the reserve to the LPs pro
        rata to their units (income)."""
        reserve = self.reserve_share * max(self.reported_nav_usd, 0.0)
        excess = self.cash_usd - self.model.p.pc_distribution_reserve_multiple * reserve
        shares = [c for c in self.model.claims.issued(self, "fund_share") if c.units > 0]
        total = sum(c.units for c in shares)
        if excess <= 0 or total <= 0:
            return
        for c in shares:
            self.pay(c.holder.name, excess * c.units / total, "fund_distribution")

    def act(self) -> None:
        self.losses.append(self.month_loss_usd)
        self.month_loss_usd = 0.0


def write_off_tech_loans(economy, share: float) -> None:
    """Defaults among private credit's other tech borrowers write off ``share`` of that book [F28].

    A scripted shock of the scenario (``tech_credit_loss_step``, ``tech_credit_loss_share``);
    each fund books the loss on itself.
    """
    for f in economy.funds:
        if f.defaulted:
            continue
        for c in f.claims_held("tech_loan"):
            loss = share * c.value_usd()
            c.write_down(loss)
            economy.losses.record(f, loss, c.issuer, "tech_loan", economy.steps)
