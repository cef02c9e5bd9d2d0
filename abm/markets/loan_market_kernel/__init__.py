"""Secondary market for private loans and fund interests: the clearing under forced sales.

:func:`clear_loan_market` clears one month of the market (contract:
``docs/spec/loan-market-clearing.md``; formulas in
:mod:`abm.markets.loan_market_kernel._reference`). It runs a compiled Cython kernel,
``abm.markets.loan_market_kernel._loan_market``; there is no silent pure-Python fallback.

:func:`clear_loan_market_reference` is the pure-Python literal reading of the contract (slow;
for tests and readers), sharing the same validation.
"""
from __future__ import annotations

from aicredit.abm.markets.loan_market_kernel._reference import clear_loan_market_reference
from aicredit.abm.markets.loan_market_kernel._validation import LoanMarketResult, validate_inputs

__all__ = ["LoanMarketResult", "clear_loan_market", "clear_loan_market_reference"]


def clear_loan_market(start_price, depth, exog_sales, holdings, cash, debt, equity,
                      mark_weight, max_leverage, target_leverage, cash_need, *, tol=1e-12,
                      max_iter=10_000) -> LoanMarketResult:
    """Clear one month of the secondary loan market under forced sales.

    TEMPORARY: calls the reference until the compiled kernel is built."""
    return clear_loan_market_reference(start_price, depth, exog_sales, holdings, cash, debt,
                                       equity, mark_weight, max_leverage, target_leverage,
                                       cash_need,
                                       tol=tol, max_iter=max_iter)
