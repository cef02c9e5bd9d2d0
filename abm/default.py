"""Resolving a default: liquidate, pay creditors by seniority, book every loss.

:func:`resolve_failures` runs the month's default stage: it resolves everyone who could not
pay in the clearing or whose GPU loan defaulted, then follows the cascade (financial
institutions whose equity turned negative) until no one else fails.
:func:`resolve_default` follows the spec's rule (``docs/spec/economy.md``, "Time and
money"): the failed institution's equity holders are wiped out; secured lenders sell their
collateral (GPU-backed loans through the GPU market [F25]); the rest of its assets are
sold (GPUs at the fire-sale price with their own impact, data centres at their resale
share, a fund's loans in the secondary loan market at the price their sale sets (C12),
other claims to the securities market at a distress discount); the contracts and leases
it pays for are rejected and become damage claims of their holders, capped as in US
bankruptcy [R23] (:func:`abm.contracts.rejection_damages_usd`), senior unsecured; the cash
is paid to creditors class by class (secured, senior, the mezzanine and junior ABS tranches,
subordinated: ``abm.claims.PAYMENT_ORDER``), pro rata within a class [as in Eisenberg and
Noe's proportionality rule]; each creditor's shortfall is written off and booked as a loss
on its ultimate holder (a contract's under its kind for the arrears and ``<kind>_damages``
for the damages). Afterwards no live claim points at the failed
institution, and it takes no further part in the economy.
"""
from __future__ import annotations

import numpy as np

from aicredit.abm.claims import PAYMENT_ORDER, Contract, Debt, EquityClaim
from aicredit.abm.contracts import rejection_damages_usd
from aicredit.abm.economy import Economy
from aicredit.abm.gpu_loans import MARKET_ACCOUNT, bank_lender_code
from aicredit.abm.markets.gpu import market_depth
from aicredit.abm.markets.loan_market import LOAN_CLASSES, loan_holdings_usd
from aicredit.abm.sectors import FINANCIAL_SECTORS

__all__ = ["resolve_default", "resolve_failures", "default_stress"]


def _wipe_out_equity(economy: Economy, inst) -> None:
    """Equity holders lose their stake's value just before the failure."""
    for c in list(economy.claims.issued(inst)):
        if isinstance(c, EquityClaim):
            if inst.sector == "private_credit":
                per_unit = max(inst.true_nav_usd(), 0.0) / max(inst.shares_outstanding, 1e-12)
                value = c.units * per_unit
            else:
                value = c.value_usd()
            economy.claims.close(c)
            economy.losses.record(c.holder, value, inst, "equity_wiped_out", economy.steps)


def _estate_loan_prices(economy: Economy, inst) -> dict[str, float]:
    """A failed fund's or BDC's loans sell in the secondary loan market (C12) at the price
    their own sale sets (:meth:`abm.markets.loan_market.LoanMarket.sell_estate`), by claim
    kind; nothing for other institutions or with C12 off (then its loans go at the
    ``distress_discount`` like its other claims)."""
    if inst.sector != "private_credit" or not economy.p.c12_loan_fire_sales:
        return {}
    held = loan_holdings_usd(inst)
    if held.sum() <= 0:
        return {}
    others = sum((loan_holdings_usd(f) for f in economy.funds if not f.defaulted),
                 np.zeros(len(LOAN_CLASSES)))
    price = economy.loan_market.sell_estate(held, others)
    return dict(zip(LOAN_CLASSES, map(float, price), strict=True))


def _sell_assets(economy: Economy, inst) -> None:
    """Turn everything the institution owns into cash (secured GPU loans first)."""
    if inst.sector == "neocloud":
        economy.gpu_loans.liquidate_borrower(economy, inst)
    units = inst.gpu_units
    depth = market_depth(economy)
    for v in np.flatnonzero(units > 0):
        price = economy.gpu_market.liquidation_price(int(v), float(units[v]), depth[v],
                                                     moves_market=economy.p.c3_collateral_spiral)
        inst.receive("gpu_buyers", float(units[v]) * price, "estate_gpu_sale")
    inst.gpu_units = np.zeros_like(units)
    if inst.real_assets_usd > 0:
        inst.receive("suppliers", inst.real_assets_usd * economy.p.dc_resale_share, "estate_real_asset_sale")
        inst.real_assets_usd = 0.0
    buyer = economy.outside(MARKET_ACCOUNT)
    discount = economy.p.distress_discount
    loan_price = _estate_loan_prices(economy, inst)
    for c in list(economy.claims.held(inst)):
        if isinstance(c, Contract):
            economy.claims.close(c)        # services it provided end with it
            continue
        value = c.value_usd()
        economy.claims.transfer(c, buyer)
        price = loan_price.get(c.kind, 1.0 - discount)
        if value > 0:
            inst.receive(MARKET_ACCOUNT, value * price, "estate_claim_sale")
    if inst.sector == "private_credit":
        economy.gpu_loans.sell_lender_book(inst, 1.0 - discount)
    elif inst.sector == "bank":
        economy.gpu_loans.sell_lender_book(inst, 1.0 - discount, bank_lender_code(inst.index))


def _reject_contracts(economy: Economy, inst) -> None:
    """The contracts ``inst`` pays for end; each holder still in business claims damages [R23]."""
    for c in economy.claims.issued(inst):
        if isinstance(c, Contract) and not c.closed:
            c.reject(rejection_damages_usd(c, economy.steps, economy.p), economy.steps)


def _losses_by_kind(c, shortfall: float) -> list[tuple[str, float]]:
    """A shortfall split by what it is on: a contract's arrears and damages pro rata."""
    if isinstance(c, Contract) and c.damages_usd > 0:
        on_damages = shortfall * c.damages_usd / (c.arrears_usd + c.damages_usd)
        return [(c.kind, shortfall - on_damages), (f"{c.kind}_damages", on_damages)]
    return [(c.kind, shortfall)]


def _pay_creditors(economy: Economy, inst) -> None:
    """Pay liabilities class by class, pro rata within a class; book the shortfalls."""
    _reject_contracts(economy, inst)
    liabilities = [c for c in economy.claims.issued(inst) if c.is_liability]
    for cls in PAYMENT_ORDER:
        claims = [c for c in liabilities if c.seniority == cls]
        total = sum(c.value_usd() for c in claims)
        if total <= 0:
            for c in claims:
                economy.claims.close(c)
            continue
        available = max(0.0, inst.cash_usd)
        ratio = min(1.0, available / total)
        for c in claims:
            owed = c.value_usd()
            paid = min(owed * ratio, max(0.0, inst.cash_usd))   # rounding: never more than is left
            if paid > 0:
                paid = inst.pay(c.holder.name, paid, "default_recovery")
            shortfall = owed - paid
            losses = _losses_by_kind(c, shortfall)
            if isinstance(c, (Debt, Contract)):
                c.write_down(shortfall)
            economy.claims.close(c)
            if shortfall > 0:
                if c.holder.sector == "outside" and c.holder.name == "depositors":
                    # deposit insurance makes depositors whole and bears the loss
                    economy.ledger.transfer("deposit_insurance", "depositors", shortfall,
                                            "deposit_insurance_payout")
                    economy.losses.record(economy.outside("deposit_insurance"), shortfall, inst,
                                          c.kind, economy.steps)
                else:
                    for kind, amount in losses:
                        economy.losses.record(c.holder, amount, inst, kind, economy.steps)
    for c in list(economy.claims.issued(inst)):
        economy.claims.close(c)                # remaining executory contracts end
    leftover = inst.cash_usd
    if leftover > 0:
        inst.pay("outside_investors", leftover, "estate_residual")


def resolve_default(economy: Economy, inst, reason: str) -> None:
    """Resolve ``inst``'s failure; record it in ``economy.default_events``."""
    if inst.defaulted:
        return
    debt = inst.total_liabilities_usd()
    _wipe_out_equity(economy, inst)
    inst.defaulted = True
    inst.default_step = economy.steps
    inst.valuation_usd = 0.0
    economy.default_events.append(dict(step=economy.steps, sector=inst.sector, name=inst.name,
                                       reason=reason, liabilities_usd=debt))
    _sell_assets(economy, inst)
    _pay_creditors(economy, inst)


def resolve_failures(economy: Economy) -> None:
    """The month's default stage: resolve this month's failures, then the cascade.

    First those that could not pay in full in the clearing and the borrowers of GPU loans
    that defaulted in the fire sale, in the order they were created (so results do not
    depend on the order they were found in); then, until no one else fails, every bank,
    fund or insurer whose equity has turned negative.
    """
    by_name = {a.name: a for a in economy.institutions}
    month = economy.month
    queue = [(by_name[nm], "payment_default") for nm in month.payment_defaulters if nm in by_name]
    queue += [(by_name[nm], "gpu_loan_default") for nm in month.gpu_loan_failures]
    while True:
        for inst, reason in sorted(queue, key=lambda x: x[0].unique_id):
            resolve_default(economy, inst, reason)
        queue = [(a, "insolvent") for a in economy.institutions if not a.defaulted
                 and a.sector in FINANCIAL_SECTORS and a.equity_usd() < 0]
        if not queue:
            break


def default_stress(economy: Economy) -> float:
    """Liabilities of the institutions that failed last month over the listed AI firms' value.

    The size of last month's failures relative to the listed universe: the equity market's
    sentiment takes it as a one-off shock that decays like any other (no 12-month window,
    no mechanical reversal).
    """
    failed = sum(e["liabilities_usd"] for e in economy.default_events if e["step"] == economy.steps - 1)
    if failed <= 0:
        return 0.0
    return failed / max(economy.equity_market.listed_value_usd(), 1.0)
