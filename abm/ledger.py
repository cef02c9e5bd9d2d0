"""The double-entry cash ledger through which every payment of the model goes.

Each institution has one cash account; the world outside the modelled economy has named
*outside* accounts (end customers of AI services, legacy businesses, households paying
into 401(k)s, outside investors, suppliers, secondary-market buyers, deposit insurance...).
A payment debits one account and credits another by the same amount, so the sum of all
balances never changes: money is conserved by construction and tests check it every step.
Inside accounts cannot go below zero; outside accounts can (the rest of the world is not
cash-constrained in this model).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

__all__ = ["Ledger", "InsufficientFunds", "OUTSIDE_ACCOUNTS"]

#: The outside world, made explicit. Each is an account whose balance may be negative.
OUTSIDE_ACCOUNTS = (
    "end_customers",        # households and firms buying AI services (C1)
    "legacy_business",      # hyperscalers' non-AI businesses: their operating cash flow
    "households",           # wages paid into 401(k)s; panic withdrawals go back here
    "outside_investors",    # VCs, sovereign funds, public shareholders buying new equity
    "pensions_endowments",  # limited partners of private-credit funds outside the model
    "wealth_investors",     # investors in semi-liquid private-credit vehicles (C13, abm.runs)
    "bond_investors",       # outside holders of bonds and ABS
    "suppliers",            # TSMC, construction, energy, staff: costs leaving the economy
    "gpu_buyers",           # secondary-market buyers of fire-sold GPUs
    "spot_compute_buyers",  # customers of neoclouds other than the modelled ones
    "other_borrowers",      # borrowers of banks and funds outside the AI economy
    "depositors",           # bank depositors
    "policyholders",        # life-insurance policyholders
    "securities_market",    # counterparties in equity-index and bond trades
    "deposit_insurance",    # pays depositors of a failed bank
)


class InsufficientFunds(RuntimeError):
    """An inside account was asked to pay more than it holds."""


class Ledger:
    """Cash balances of every account, changed only by :meth:`transfer`.

    Balances are in USD. ``flows`` accumulates, per step, the total moved under each memo,
    which the model reports (e.g. ``"compute_contract"``, ``"margin_cash"``).
    """

    _SLACK_USD = 1e-6  # rounding tolerance on an inside account's balance

    def __init__(self):
        self._index: dict[str, int] = {}
        self._names: list[str] = []
        self._outside: list[bool] = []
        self._balance = np.zeros(0)
        self.flows: dict[str, float] = defaultdict(float)
        for name in OUTSIDE_ACCOUNTS:
            self.open(name, outside=True)

    # --- accounts ---------------------------------------------------------------------
    def open(self, name: str, *, outside: bool = False) -> str:
        """Open an empty account; names are unique."""
        if name in self._index:
            raise ValueError(f"account {name!r} exists already")
        self._index[name] = len(self._names)
        self._names.append(name)
        self._outside.append(outside)
        self._balance = np.append(self._balance, 0.0)
        return name

    def open_many(self, names: list[str]) -> None:
        """Open many inside accounts at once (cheap for 100k saver cohorts)."""
        start = len(self._names)
        for k, name in enumerate(names):
            if name in self._index:
                raise ValueError(f"account {name!r} exists already")
            self._index[name] = start + k
        self._names.extend(names)
        self._outside.extend([False] * len(names))
        self._balance = np.concatenate([self._balance, np.zeros(len(names))])

    def has(self, name: str) -> bool:
        return name in self._index

    def index(self, name: str) -> int:
        return self._index[name]

    def balance(self, name: str) -> float:
        """Balance of an account in USD."""
        return float(self._balance[self._index[name]])

    def is_outside(self, name: str) -> bool:
        return self._outside[self._index[name]]

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def total(self) -> float:
        """Sum of all balances, outside accounts included: constant by construction."""
        return float(np.sum(self._balance))

    def scale(self) -> float:
        """Sum of absolute balances: the scale against which conservation is judged."""
        return float(np.sum(np.abs(self._balance)))

    # --- payments --------------------------------------------------------------------
    def transfer(self, payer: str, payee: str, amount_usd: float, memo: str) -> float:
        """Move ``amount_usd`` from ``payer`` to ``payee``; returns the amount.

        Raises :class:`InsufficientFunds` if an inside payer would go below zero.
        """
        if not amount_usd >= 0.0:
            raise ValueError(f"transfer amount must be >= 0, got {amount_usd!r} ({memo})")
        if amount_usd == 0.0:
            return 0.0
        i, j = self._index[payer], self._index[payee]
        balance = self._balance
        if self._outside[i]:
            amount = amount_usd
        else:               # the payer's balance read once: a numpy scalar read is not cheap
            held = balance[i]
            if held < amount_usd - (self._SLACK_USD + 1e-12 * max(amount_usd, abs(held))):
                raise InsufficientFunds(f"{payer} cannot pay {amount_usd:,.0f} USD for {memo}: "
                                        f"it holds {held:,.0f}")
            amount = min(amount_usd, held)
        balance[i] -= amount
        balance[j] += amount
        self.flows[memo] += amount
        return float(amount)

    def transfer_many(self, payers: np.ndarray, payees: np.ndarray, amounts_usd: np.ndarray,
                      memo: str) -> None:
        """Vectorised :meth:`transfer` over account indices, settled simultaneously.

        Each inside account's *net* position must stay >= 0 (what it receives in the same
        batch counts), as in a clearing where all payments are made at once.
        """
        amounts_usd = np.asarray(amounts_usd, dtype=float)
        if amounts_usd.size == 0:
            return
        if not np.all(amounts_usd >= 0.0):
            raise ValueError(f"transfer amounts must be >= 0 ({memo})")
        n = len(self._balance)
        out = np.bincount(payers, weights=amounts_usd, minlength=n)
        inflow = np.bincount(payees, weights=amounts_usd, minlength=n)
        inside = ~np.asarray(self._outside)
        # rounding slack: 1e-6 USD plus 1e-12 of the gross outflow (sums of many payments)
        short = inside & (out > 0) & (self._balance + inflow - out < -(self._SLACK_USD + 1e-12 * out))
        if short.any():
            k = int(np.flatnonzero(short)[0])
            raise InsufficientFunds(f"{self._names[k]} cannot pay {out[k]:,.0f} USD for {memo}")
        self._balance += inflow - out
        self.flows[memo] += float(amounts_usd.sum())

    def take_flows(self) -> dict[str, float]:
        """Return and reset the flows accumulated since the last call (one step's flows)."""
        flows, self.flows = dict(self.flows), defaultdict(float)
        return flows
