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
  for a hyperscaler or a neocloud from its book leverage. Other loans (borrowers outside the
  model, whose cash flows the model does not carry) hold their normal-course expected loss:
  a constant through-the-cycle PD ``bank_other_loan_pd_per_year``, so their allowance moves
  only with their size (no price, PD or provision reads the AI stock index). LGDs are
  parameters per exposure type (``bank_*_lgd``), the Basel foundation-IRB 45% for senior
  unsecured corporate loans.
- **GPU loans [R31].** A bank holds a syndicate share ``bank_gpu_loan_share`` of each new
  GPU-backed delayed-draw term loan (:func:`abm.gpu_lending.lend_to_neoclouds`). Its
  allowance is ``sum EAD * PD_borrower * LGD`` over its rows of the book, with the
  neocloud's Merton PD and ``LGD = max(0, 1 - units * price / debt)``: what the GPUs pledged,
  at this month's price, leave the loan short of.
- **Construction loans** to data-centre SPVs (``spv_bank_construction_loan_share`` of each
  SPV's debt, secured pari passu with the senior ABS): provisioned like the senior ABS.
- **New lending is funded, not swapped.** A bank's new GPU loans and construction loans are
  funded by new deposits and wholesale funding (:meth:`Bank.fund_new_lending`), so its
  balance sheet grows with its lending to non-banks ([R14], [R30]).
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
- **Tightening inside the management buffer (C6).** A bank manages to its target (opening)
  ratio and tightens as it falls towards the regulatory buffer: its tightening
  ``tau = clip((target - ratio) / (target - buffer), 0, 1)``
  (:meth:`abm.constraints.BankCapitalRatio.tightening`; the capital-gap model of Hancock and
  Wilcox 1994 and Berrospide and Edge 2010) scales its new AI-channel exposure to ``1 - tau``
  of what it would lend unstressed and raises its price: smaller syndicate shares of new GPU
  loans at ``tau * bank_tightening_spread_per_year`` more, smaller data-centre projects
  co-financed (construction loan and senior ABS), smaller upsizes of BDCs' facilities, and
  undrawn commitments to funds and BDCs lowered to ``1 - tau`` of what they were before it
  tightened (a commitment cut is not restored when the ratio recovers, and a later rise of
  ``tau`` cuts only beyond the highest ``tau`` so far). Its funding state in the rollover
  rule is ``1 - tau * bank_line_cut`` (C4). ``tau`` is 0 at or above the target, so an
  unstressed bank lends as before; with C6 off it is always 0.
- **Credit crunch (C6).** Below the buffer (``tau = 1``) a bank cuts its credit lines to private-credit
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
import weakref
from statistics import NormalDist
from typing import Any

import numpy as np

from aicredit.abm.agents.base import Institution
from aicredit.abm.claims import Seniority
from aicredit.abm.constraints import BankCapitalRatio
from aicredit.abm.economy import Economy
from aicredit.abm.gpu_loans import BANK_LENDER_0
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["Bank", "merton_pd", "AI_KINDS", "AI_LOSS_KINDS", "gpu_loan_loss_rates"]

#: Exposure types the allowance covers, by claim kind (GPU loans: the vectorised book).
ALLOWANCE_KINDS = ("credit_line", "bank_loan", "other_loan", "abs", "construction_loan", "gpu_loan")
#: The AI channel of a bank's exposures [F31, F22, R31]: lines to funds and BDCs, GPU loans,
#: data-centre construction loans and data-centre ABS; the rest (hyperscaler term loans,
#: other loans) is the other channel.
AI_KINDS = ("credit_line", "gpu_loan", "construction_loan", "abs")
#: Loss kinds the loss book records for the AI channel (a defaulted GPU loan's remainder is a
#: deficiency claim).
AI_LOSS_KINDS = (*AI_KINDS, "gpu_loan_deficiency")
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


def gpu_loan_loss_rates(debt_usd, collateral_usd, pd) -> np.ndarray:
    """Expected loss per USD of GPU loans: ``PD * max(0, 1 - collateral / debt)`` (0 on a
    loan with no debt), the borrower's PD times what its GPUs leave the loan short of."""
    debt = np.asarray(debt_usd, float)
    lgd = np.where(debt > 0, np.clip(1.0 - np.asarray(collateral_usd, float) / np.where(debt > 0, debt, 1.0),
                                     0.0, 1.0), 0.0)
    return np.asarray(pd, float) * lgd


#: The month's banks' GPU expected losses per model (a cache, not state: dies with the model).
_GPU_EL_MEMO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _gpu_expected_loss_by_bank(model: Economy) -> np.ndarray:
    """``sum debt * PD * LGD`` of the banks' GPU loans, per bank, computed once per month,
    book version and GPU prices for all banks (one pass over the book, not one per bank)."""
    book = model.gpu_loans
    key = (model.steps, book.version, model.gpu_market.price.tobytes())
    memo = _GPU_EL_MEMO.get(model)
    if memo is not None and memo[0] == key:
        return memo[1]
    rows = np.flatnonzero(book.active & (book.lender <= BANK_LENDER_0))
    out: np.ndarray = np.zeros(len(model.banks))
    if rows.size:
        who = book.borrower[rows]
        pd = np.zeros(len(model.neoclouds))
        for b in np.unique(who):
            pd[b] = model.banks[0].borrower_pd(model.neoclouds[int(b)])
        debt = book.debt[rows]
        collateral = book.units[rows] * model.gpu_market.price[book.vintage[rows]]
        out = np.bincount(BANK_LENDER_0 - book.lender[rows],
                          weights=debt * gpu_loan_loss_rates(debt, collateral, pd[who]),
                          minlength=len(model.banks))
    _GPU_EL_MEMO[model] = (key, out)
    return out


class Bank(Institution):
    sector = "bank"

    def __init__(self, model: Economy, name: str, capital_min: float, index: int = 0):
        super().__init__(model, name)
        self.index = index                  # position in model.banks (GPU-loan lender code -2 - index)
        self._gpu_loss_rate = 0.0           # GPU loans' allowance per USD held, at the last provisioning
        self.opening_allowance_usd: dict[str, float] = {}   # by channel, set by the calibration
        self.capital = BankCapitalRatio(minimum=capital_min)
        self.cutting = False                # below the regulatory buffer (C6)
        self.tightening = 0.0               # share of the management buffer used up, in [0, 1] (C6)
        self._commitment_tightening = 0.0   # the tightening its undrawn commitments already took
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
        out["gpu_loan"] = self._gpu_loss_rate * self.gpu_loans_held_usd()
        return out

    def allowance_by_channel_usd(self) -> dict[str, float]:
        """The allowance split into the AI channel (:data:`AI_KINDS`) and the other loans."""
        by_kind = self.allowance_usd
        ai = sum(v for k, v in by_kind.items() if k in AI_KINDS)
        return {"ai": ai, "other": sum(by_kind.values()) - ai}

    def gpu_loans_held_usd(self) -> float:
        """The bank's syndicate shares of GPU loans [R31] (its rows of the book)."""
        return float(self.model.gpu_loans.debt_by("bank", len(self.model.banks))[self.index])

    def rollover_share(self) -> float:
        """The bank's funding state ``f`` in the rollover rule (:mod:`abm.rollover`):
        ``1 - tau * bank_line_cut`` with ``tau`` its tightening (C6), so 1 at or above its target
        and cut as its lines are below the buffer; 1 with C4 off."""
        p = self.model.p
        if not p.c4_rollover_risk:
            return 1.0
        return 1.0 - self.tightening * p.bank_line_cut

    def lending_share(self) -> float:
        """The share of its unstressed new AI-channel lending a bank extends: ``1 - tau`` (C6)."""
        return 1.0 - self.tightening

    def tightening_spread_per_year(self) -> float:
        """What a tightening bank adds to a new loan's rate: ``tau * bank_tightening_spread_per_year``."""
        return self.tightening * self.model.p.bank_tightening_spread_per_year

    def line_rate_per_month(self) -> float:
        """The rate of new credit to a fund or BDC (an upsized facility): the facilities' rate
        ``pc_credit_line_rate_per_year`` plus the tightening spread (C6), per month."""
        p = self.model.p
        return (p.pc_credit_line_rate_per_year + self.tightening_spread_per_year()) / MONTHS_PER_YEAR

    def fund_new_lending(self, amount_usd: float) -> None:
        """New lending to non-banks grows the balance sheet ([R14], [R30]): the bank takes
        ``amount_usd`` of new deposits and wholesale funding before it lends it."""
        deposits = self.claims_issued("deposit")
        if amount_usd <= 0 or not deposits:
            return
        deposits[0].principal_usd += amount_usd
        self.receive("depositors", amount_usd, "wholesale_funding")

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
    def borrower_pd(self, borrower, memo: dict | None = None) -> float:
        """One-year PD of a modelled borrower from its balance sheet (Merton). ``memo``: the
        PDs already computed in this provisioning, by borrower (a borrower's balance sheet
        does not move while a bank provisions, and summing it is most of the cost)."""
        if memo is not None:
            pd = memo.get(borrower)
            if pd is None:
                pd = memo[borrower] = self.borrower_pd(borrower)
            return pd
        p = self.model.p
        if borrower.defaulted:
            return 1.0
        sigma = (p.bank_fund_asset_volatility if borrower.sector == "private_credit"
                 else p.bank_corporate_asset_volatility)
        return merton_pd(borrower.total_assets_usd(), borrower.total_liabilities_usd(), sigma)

    def other_loan_pd(self) -> float:
        """PD of borrowers outside the model: the constant through-the-cycle
        ``bank_other_loan_pd_per_year`` (their normal-course expected loss; the model carries
        no cash flows of theirs that a stress could move)."""
        return min(1.0, self.model.p.bank_other_loan_pd_per_year)

    def gpu_loan_loss_rate(self) -> float:
        """Expected loss per USD of the bank's GPU loans: over its rows of the book,
        ``sum debt * PD_borrower * LGD / sum debt`` (:func:`gpu_loan_loss_rates`)."""
        held = self.gpu_loans_held_usd()
        if held <= 0:
            return 0.0
        return float(_gpu_expected_loss_by_bank(self.model)[self.index] / held)

    def abs_loss_rate(self, claim, memo: dict | None = None) -> float:
        """Expected loss per USD of a senior ABS tranche or a construction loan (secured on the
        building): P(lessee stops paying) x LGD (``memo``: as :meth:`borrower_pd`)."""
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
        pd = 1.0 if walks else self.borrower_pd(lessee, memo)
        if pd <= 0:
            return 0.0
        secured = sum(c.value_usd() for kind in ("abs", "construction_loan")
                      for c in self.model.claims.issued(spv, kind) if c.seniority == Seniority.SECURED)
        ead = claim.value_usd()
        share = ead / secured if secured > 0 else 0.0
        recovery = min(ead, share * p.dc_resale_share * spv.real_assets_usd)
        lgd = 1.0 - recovery / ead if ead > 0 else 0.0
        return pd * lgd

    def expected_loss_usd(self, c, memo: dict | None = None) -> float:
        """``EAD * PD * LGD`` of one exposure (0 for kinds the allowance does not cover;
        ``memo``: as :meth:`borrower_pd`)."""
        p = self.model.p
        ead = c.value_usd()
        if ead <= 0:
            return 0.0
        if c.kind == "credit_line":
            return ead * self.borrower_pd(c.issuer, memo) * p.bank_fund_line_lgd
        if c.kind == "bank_loan":
            return ead * self.borrower_pd(c.issuer, memo) * p.bank_corporate_lgd
        if c.kind == "other_loan":
            return ead * self.other_loan_pd() * p.bank_corporate_lgd
        if c.kind in ("abs", "construction_loan"):
            return ead * self.abs_loss_rate(c, memo)
        return 0.0

    def update_allowance(self) -> float:
        """Set the allowance to the expected losses; returns the provision (its change)."""
        before = self.allowance_total_usd()
        pds: dict = {}              # each borrower's PD once (several lines, ABS on one lessee)
        self._allowance = {c: self.expected_loss_usd(c, pds) for c in self.claims_held()
                           if c.kind in ALLOWANCE_KINDS}
        self._gpu_loss_rate = self.gpu_loan_loss_rate()
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
    def lower_commitments(self) -> None:
        """Undrawn commitments to funds and BDCs fall to ``1 - tau_max`` of what they were
        before the bank tightened, ``tau_max`` the highest tightening so far: when ``tau``
        rises above ``tau0`` (already applied) the undrawn part falls by
        ``1 - (1 - tau) / (1 - tau0)``; a fall of ``tau`` restores nothing and a later rise
        cuts only beyond ``tau0`` (so a ratio that hovers at its target does not ratchet the
        commitments down month after month)."""
        tau, done = self.tightening, self._commitment_tightening
        if tau <= done:
            return
        keep = (1.0 - tau) / (1.0 - done)
        for line in self.claims_held("credit_line"):
            line.limit_usd -= (1.0 - keep) * line.undrawn_usd()
        self._commitment_tightening = tau

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
        c6 = self.model.p.c6_bank_credit_lines
        ratio = self.capital_ratio()
        self.cutting = bool(c6 and ratio < self.capital.minimum)
        self.tightening = self.capital.tightening_at(ratio, self.target_ratio) if c6 else 0.0
        runoff = self.model.p.bank_loan_runoff_per_month if self.cutting else 0.0
        for loan in self.claims_held("bank_loan"):
            loan.amortisation_usd_per_month = runoff * loan.principal_usd
            self.lending_cut_usd += min(loan.amortisation_usd_per_month, loan.principal_usd)

    def act(self) -> None:
        """Pay the dividend; lower undrawn commitments as it tightens; below the buffer cut
        lines and run off other loans (C6)."""
        paid = self.pay("outside_investors", min(self.payout_plan_usd, max(self.cash_usd, 0.0)),
                        "bank_dividend")
        self.equity_mark_usd += self.payout_plan_usd - paid
        self.lower_commitments()
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
