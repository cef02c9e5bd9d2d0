"""Banks at step 0 [F31, R10]."""
from __future__ import annotations

from aicredit.abm.agents import Bank
from aicredit.abm.claims import Debt
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import endow

__all__ = ["build_banks", "build_bank_balance_sheets"]


def build_banks(model) -> None:
    """Create ``n_banks`` banks with the minimum capital ratio [R10]; sets ``model.banks``."""
    p = model.p
    model.banks = [Bank(model, f"Bank {k + 1}", p.bank_capital_min, index=k) for k in range(p.n_banks)]


def build_bank_balance_sheets(model) -> None:
    """Term loans to hyperscalers, cash, other loans and deposits [F31, R10, R30].

    Each bank's core assets are ``bank_total_assets_bn / n_banks``: cash
    (``bank_cash_share`` of them), a term loan to one hyperscaler and other loans for the
    rest. What it lends to non-banks and the AI build-out (credit lines to funds [F31], senior
    ABS [F22], construction loans to SPVs, already held) comes on top, funded by deposits:
    lending to non-banks grows banks' balance sheets ([R14], [R30]: about 23% a year for
    fifteen years, from 3.6% to 10.4% of bank loans) rather than displacing other loans, so a
    larger ``bank_pc_lending_share`` is more exposure, not a swap. An allowance for expected
    losses nets the assets; deposits are what its opening capital ratio leaves. Operating
    costs are ``bank_operating_cost_per_year`` of opening core assets. Needs the fund balance
    sheets and the SPVs.
    """
    p = model.p
    out = model.outside
    hs = model.hyperscalers
    nb = len(model.banks)
    for k, b in enumerate(model.banks):
        h = hs[k % len(hs)]
        model.claims.add(Debt(holder=b, issuer=h, kind="bank_loan",
                              principal_usd=p.bank_hyperscaler_loans_bn * BN / nb,
                              rate_per_month=p.bank_hyperscaler_loan_rate_per_year / MONTHS_PER_YEAR))
        assets = p.bank_total_assets_bn * BN / nb
        hyperscaler_loan = sum(c.value_usd() for c in b.claims_held("bank_loan"))
        cash = p.bank_cash_share * assets
        other = max(0.0, assets - hyperscaler_loan - cash)
        model.claims.add(Debt(holder=b, issuer=out("other_borrowers"), kind="other_loan",
                              principal_usd=other,
                              rate_per_month=p.bank_other_loan_rate_per_year / MONTHS_PER_YEAR))
        endow(model, b, cash, "depositors")
        b.update_allowance()                 # opening allowance: assets are net of it
        b.provisions_usd = 0.0
        b.opening_allowance_usd = b.allowance_by_channel_usd()
        equity = p.bank_capital_ratio * b.capital.rwa_usd(b)
        b.target_ratio = p.bank_capital_ratio
        model.claims.add(Debt(holder=out("depositors"), issuer=b, kind="deposit",
                              principal_usd=b.total_assets_usd() - equity,
                              rate_per_month=p.bank_deposit_rate_per_year / MONTHS_PER_YEAR))
        b.equity_mark_usd = b.equity_usd()
        b.operating_cost_usd = p.bank_operating_cost_per_year / MONTHS_PER_YEAR * assets
