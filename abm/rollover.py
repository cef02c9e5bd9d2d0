"""Rollover of maturing GPU-backed loans (channel C4, [F6]): a stage of the month.

Run just before the month's payment settlement (:func:`abm.settlement.settle_month`): a
loan that matures this month and is not rolled over falls due in full in that settlement.
A loan held by a live fund is rolled over with that fund's rollover share
(:meth:`abm.agents.private_credit.PrivateCreditFund.rollover_share`: ``rollover_base_share``
times its lending appetite, 1 with C4 off), a loan (a syndicate share) held by a live bank
with the bank's (:meth:`abm.agents.bank.Bank.rollover_share`), one draw from ``economy.rng``
per maturing loan;
a loan held by the securities market or by a failed fund is rolled over with the base share.
A rolled-over loan's maturity moves ``gpu_loan_rollover_months`` on.
"""
from __future__ import annotations

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.gpu_loans import lender_agent

__all__ = ["roll_over_maturing"]


def roll_over_maturing(economy: Economy) -> None:
    """Lenders decide which GPU loans maturing this month they roll over (module docstring)."""
    p = economy.p
    book = economy.gpu_loans
    t = economy.steps
    rows = np.flatnonzero(book.active & (book.maturity_step <= t))
    if rows.size == 0:
        return
    draws = economy.rng.random(rows.size)
    outside_share = p.rollover_base_share if p.c4_rollover_risk else 1.0
    lenders = [lender_agent(economy, int(k)) for k in book.lender[rows]]
    shares = np.array([a.rollover_share() if a is not None and not a.defaulted else outside_share
                       for a in lenders])
    roll = rows[draws < shares]
    book.roll_over(roll, t, p.gpu_loan_rollover_months)
