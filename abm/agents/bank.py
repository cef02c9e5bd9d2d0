"""Banks: credit lines to private credit [F31], loans to hyperscalers, senior ABS [F22].

Capital reacts to expected losses (an IFRS 9 / CECL-style allowance), earnings rebuild it
slowly, and a bank below its buffer stops paying out and cuts credit (C6).

Rules, each month (decide reads the start-of-month state; act carries the plans out):

- **Allowance.** ``A = sum_i EAD_i * PD_i * LGD_i`` over the bank's exposures, a contra-asset:
  equity = assets - A - liabilities, so a rise of A is a provision expense that lowers
  equity at once, before any default, and a release raises it. ``PD`` is a one-year
  Merton (1974) distance-to-default probability from the borrower's own balance sheet,
  ``PD = Phi(-ln(A_b / D_b) / sigma)`` (assets A_b, liabilities D_b, asset volatility sigma),
  monotone in its leverage (the KMV "distance to default" with no drift): for a
  private-credit fund from its true NAV (book equity, so a fund's loan losses raise it),
  for a hyperscaler from its book leverage. Other loans (borrowers outside the model) carry
  a through-the-cycle PD scaled by the AI index's fall from its peak,
  ``PD = PD0 * (1 + k * drawdown)``, the satellite model of a macro stress test (they keep
  paying in the model: this allowance is released when the index recovers). LGDs are
  parameters per exposure type (``bank_*_lgd``), the Basel foundation-IRB 45% for senior
  unsecured corporate loans.
- **ABS at market value.** A senior ABS tranche is marked down by ``EAD * PD * LGD`` too,
  where PD is 1 once the lessee walked away, defaulted, or disappoints below the walk-away
  threshold in the lease's last year (C9), and otherwise the lessee's PD; LGD is what the
  building's resale value (``dc_resale_share`` of its book value, shared pro rata among
  the secured tranches) leaves the tranche short of.
- **Capital ratio** = equity / risk-weighted assets (:class:`abm.constraints.BankCapitalRatio`),
  risk weights on gross exposures.
- **Earnings and payouts.** Net income is comprehensive: the change of equity since last
  month's payout (interest received, less deposit interest, operating costs
  ``bank_operating_cost_per_year`` of opening assets, provisions and realised losses).
  Above its target (opening) ratio a bank pays out all of a positive net income, between
  the buffer and the target ``bank_payout_share`` of it, and below the buffer
  ``bank_capital_min`` (the 4.5% minimum plus the 2.5% conservation buffer [R10]) nothing:
  Basel III's restriction of distributions inside the conservation buffer. A payout never
  takes the ratio below the buffer. Capital is never restored at once: only retained
  earnings rebuild it.
- **Credit crunch (C6).** Below the buffer a bank cuts its credit lines to private-credit
  funds to ``1 - bank_line_cut`` of the smaller of limit and drawn amount (the excess falls
  due from the fund in next month's settlement), buys no new ABS, and shrinks its loans:
  the hyperscaler loan amortises ``bank_loan_runoff_per_month`` of its principal a month
  (due in the settlement), and other loans run off at the same rate, no faster than
  needed to bring risk-weighted assets back to what equity supports at the buffer.
- With negative equity it fails and is resolved; depositors are senior, and deposit
  insurance pays what they do not recover (``abm/default.py``).
"""
from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from aicredit.abm.agents.base import Institution
from aicredit.abm.claims import Seniority
from aicredit.abm.constraints import BankCapitalRatio
from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["Bank", "merton_pd"]

#: Exposure types the allowance covers, by claim kind.
ALLOWANCE_KINDS = ("credit_line", "bank_loan", "other_loan", "abs")
#: A ratio within this of the target counts as at the target (float rounding at step 0).
RATIO_TOLERANCE = 1e-9
_NORMAL = NormalDist()


def merton_pd(assets_usd: float, debt_usd: float, sigma: float) -> float:
    """One-year probability of default ``Phi(-ln(A/D) / sigma)`` (Merton 1974, no drift).

    0 without debt; 1 with no assets; 0.5 when assets equal debt; rises monotonically with
    leverage D/A and with the asset volatility sigma.
    """
    if debt_usd <= 0:
        return 0.0
    if assets_usd <= 0:
        return 1.0
    if sigma <= 0:
        return float(assets_usd < debt_usd)
    return _NORMAL.cdf(-math.log(assets_usd / debt_usd) / sigma)


class Bank(Institution):
    sector = "bank"

    def __init__(self, model: Economy, name: str, capital_min: float):
        super().__init__(model, name)
        self.capital = BankCapitalRatio(minimum=capital_min)
        self.cutting = False
        self.target_ratio = capital_min     # set to the opening ratio by the calibration
        self.payout_plan_usd = 0.0
        self._allowance: dict = {}          # claim -> its expected loss at the last provisioning
        self.provisions_usd = 0.0           # cumulative provision expense (releases negative)
        self.net_income_usd = 0.0           # last month's comprehensive net income
        self.equity_mark_usd = 0.0          # equity after last month's payout
        self.lending_cut_usd = 0.0          # cumulative loans run off in a crunch (C6)
        self.operating_cost_usd = 0.0       # per month, set by the calibration

    # --- balance sheet: the allowance is a contra-asset ------------------------------------
    @property
    def allowance_usd(self) -> dict[str, float]:
        """The allowance by exposure type, over claims the bank still holds: a claim written
        off or sold takes its allowance with it at once (the loss is then realised)."""
        out = dict.fromkeys(ALLOWANCE_KINDS, 0.0)
        if self.defaulted:
            return out
        for c, el in self._allowance.items():
            if not c.closed and c.holder is self:
                out[c.kind] += el
        return out

    def allowance_total_usd(self) -> float:
        """The allowance for expected losses (none once the bank has failed)."""
        return sum(self.allowance_usd.values())

    def total_assets_usd(self) -> float:
        return super().total_assets_usd() - self.allowance_total_usd()

    def balance_sheet(self) -> dict[str, Any]:
        bs = super().balance_sheet()
        a = self.allowance_total_usd()
        bs["assets"]["loan_loss_allowance"] = -a
        bs["total_assets"] -= a
        bs["equity"] -= a
        return bs

    def capital_ratio(self) -> float:
        """CET1-style ratio: equity (net of the allowance) over risk-weighted assets."""
        return self.capital.ratio(self)

    # --- expected losses -------------------------------------------------------------------
    def borrower_pd(self, borrower) -> float:
        """One-year PD of a modelled borrower from its balance sheet (Merton)."""
        p = self.model.p
        if borrower.defaulted:
            return 1.0
        sigma = (p.bank_fund_asset_volatility if borrower.sector == "private_credit"
                 else p.bank_corporate_asset_volatility)
        return merton_pd(borrower.total_assets_usd(), borrower.total_liabilities_usd(), sigma)

    def other_loan_pd(self) -> float:
        """PD of borrowers outside the model: ``PD0 * (1 + k * drawdown)`` of the AI index from
        its peak (a stress-test satellite model: PDs follow the macro scenario)."""
        p = self.model.p
        drawdown = self.model.equity_market.drawdown()
        return min(1.0, p.bank_other_loan_pd_per_year * (1.0 + p.bank_other_loan_pd_drawdown_sensitivity
                                                         * drawdown))

    def abs_loss_rate(self, claim) -> float:
        """Expected loss per USD of a senior ABS tranche: P(lessee stops paying) x LGD."""
        p = self.model.p
        spv = claim.issuer
        lessee = getattr(spv, "lessee", None)
        if lessee is None:
            return 0.0
        lease = spv.lease()
        t = self.model.steps
        walks = (spv.walked_away or lessee.defaulted or lease is None
                 or (lease.end_step - t <= MONTHS_PER_YEAR
                     and lessee.disappointment() < p.spv_walkaway_threshold))
        pd = 1.0 if walks else self.borrower_pd(lessee)
        if pd <= 0:
            return 0.0
        secured = sum(c.value_usd() for c in self.model.claims.issued(spv, "abs")
                      if c.seniority == Seniority.SECURED)
        ead = claim.value_usd()
        share = ead / secured if secured > 0 else 0.0
        recovery = min(ead, share * p.dc_resale_share * spv.real_assets_usd)
        lgd = 1.0 - recovery / ead if ead > 0 else 0.0
        return pd * lgd

    def expected_loss_usd(self, c) -> float:
        """``EAD * PD * LGD`` of one exposure (0 for kinds the allowance does not cover)."""
        p = self.model.p
        ead = c.value_usd()
        if ead <= 0:
            return 0.0
        if c.kind == "credit_line":
            return ead * self.borrower_pd(c.issuer) * p.bank_fund_line_lgd
        if c.kind == "bank_loan":
            return ead * self.borrower_pd(c.issuer) * p.bank_corporate_lgd
        if c.kind == "other_loan":
            return ead * self.other_loan_pd() * p.bank_corporate_lgd
        if c.kind == "abs":
            return ead * self.abs_loss_rate(c)
        return 0.0

    def update_allowance(self) -> float:
        """Set the allowance to the expected losses; returns the provision (its change)."""
        before = self.allowance_total_usd()
        self._allowance = {c: self.expected_loss_usd(c) for c in self.claims_held()
                           if c.kind in ALLOWANCE_KINDS}
        provision = self.allowance_total_usd() - before
        self.provisions_usd += provision
        return provision

    def payout_usd(self, net_income_usd: float) -> float:
        """Dividend of a month with ``net_income_usd``: all of it above the target ratio,
        ``bank_payout_share`` of it between the buffer and the target, none below the
        buffer [R10]; never more than the capital above the buffer."""
        if net_income_usd <= 0:
            return 0.0
        ratio = self.capital_ratio()
        if ratio < self.capital.minimum:
            return 0.0
        share = 1.0 if ratio >= self.target_ratio - RATIO_TOLERANCE else self.model.p.bank_payout_share
        headroom = self.equity_usd() - self.capital.minimum * self.capital.rwa_usd(self)
        return max(0.0, min(share * net_income_usd, headroom))

    # --- monthly behaviour -----------------------------------------------------------------
    def obligations_to_outside(self) -> dict[str, float]:
        """Operating costs net of fee income (staff, premises...), settled in the clearing."""
        return {"suppliers": self.operating_cost_usd}

    def decide(self) -> None:
        """Provision, measure the month's earnings, plan the payout, decide whether to cut."""
        self.update_allowance()
        equity = self.equity_usd()
        self.net_income_usd = equity - self.equity_mark_usd
        self.payout_plan_usd = self.payout_usd(self.net_income_usd)
        self.equity_mark_usd = equity - self.payout_plan_usd
        self.cutting = bool(self.model.p.c6_bank_credit_lines and self.capital.is_below_minimum(self))
        runoff = self.model.p.bank_loan_runoff_per_month if self.cutting else 0.0
        for loan in self.claims_held("bank_loan"):
            loan.amortisation_usd_per_month = runoff * loan.principal_usd
            self.lending_cut_usd += min(loan.amortisation_usd_per_month, loan.principal_usd)

    def act(self) -> None:
        """Pay the dividend; below the buffer cut lines and run off other loans (C6)."""
        paid = self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd, 0.0)),
                        "bank_dividend")
        self.equity_mark_usd += self.payout_plan_usd - paid
        if not self.cutting:
            return
        p = self.model.p
        for line in self.claims_held("credit_line"):
            line.cut(p.bank_line_cut)
        rw = self.capital.RISK_WEIGHTS["other_loan"]
        excess_rwa = self.capital.rwa_usd(self) - self.equity_usd() / self.capital.minimum
        for loan in self.claims_held("other_loan"):
            cut = min(p.bank_loan_runoff_per_month * loan.principal_usd, max(0.0, excess_rwa) / rw)
            if cut <= 0:
                continue
            self.receive(loan.issuer.name, cut, "loan_runoff")
            loan.principal_usd -= cut
            excess_rwa -= rw * cut
            self.lending_cut_usd += cut
