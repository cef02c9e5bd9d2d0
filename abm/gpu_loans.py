"""GPU-backed loans [F23], held as one vectorised book (there may be a million of them).

Each row is one loan: a private-credit ``lender`` lends ``debt`` to a neocloud
``borrower`` against ``units`` GPUs of one ``vintage``. A loan is a claim seen by both
sides (an asset of the lender at face value, a liability of the borrower). The book
carries the loans' mechanics: origination, monthly interest and amortisation, maturity and
rollover (C4, [F6]), the outcome of a fire-sale clearing (cash posted, units sold, loans
that default, C3, [F25]: :meth:`GPULoanBook.apply_fire_sale`), the liquidation of a failed
borrower's collateral with a deficiency claim for what it does not cover, and the sale of a
failed lender's book to the securities market. Borrowers are indices into the economy's
neoclouds; lenders are coded as integers: ``k >= 0`` is the economy's fund ``k``,
:data:`MARKET_LENDER` (-1) the securities market (outside the modelled economy) once a failed
lender's book has been sold, and ``-2 - b`` the economy's bank ``b`` (:func:`bank_lender_code`),
a bank's syndicate share of a delayed-draw term loan [R31]. On the lender axis of the ledger
(:meth:`GPULoanBook.lender_slots`, :func:`lender_accounts`) the slots are the funds, then the
market, then the banks.
"""
from __future__ import annotations

import numpy as np

from aicredit.abm.claims import Debt, Seniority
from aicredit.abm.economy import Economy
from aicredit.abm.markets.gpu import market_depth

__all__ = ["GPULoanBook", "MARKET_LENDER", "MARKET_ACCOUNT", "BANK_LENDER_0", "bank_lender_code",
           "lender_accounts", "lender_agent"]

#: Lender code of a loan held by the securities market (sold by a failed fund).
MARKET_LENDER = -1
#: Lender code of the economy's first bank; bank ``b`` is ``BANK_LENDER_0 - b``.
BANK_LENDER_0 = -2


def bank_lender_code(bank_index: int) -> int:
    """Lender code of bank ``bank_index`` in the book (``-2 - bank_index``)."""
    return BANK_LENDER_0 - bank_index


def lender_agent(economy: Economy, code: int):
    """The fund or bank a lender code stands for, or None for the securities market."""
    if code >= 0:
        return economy.funds[code]
    if code == MARKET_LENDER:
        return None
    return economy.banks[BANK_LENDER_0 - code]


#: The ledger account of the securities market.
MARKET_ACCOUNT = "securities_market"

_FIELDS = ("lender", "borrower", "vintage", "units", "debt", "margin_ltv", "target_ltv",
           "rate_per_month", "maturity_step", "term_months")


class GPULoanBook:
    """Structure of arrays: one entry per GPU-backed loan; ``active`` marks live loans."""

    def __init__(self):
        self.lender = np.zeros(0, np.int64)
        self.borrower = np.zeros(0, np.int64)
        self.vintage = np.zeros(0, np.int64)
        self.units = np.zeros(0)
        self.debt = np.zeros(0)
        self.margin_ltv = np.zeros(0)
        self.target_ltv = np.zeros(0)
        self.rate_per_month = np.zeros(0)
        self.maturity_step = np.zeros(0, np.int64)
        self.term_months = np.zeros(0, np.int64)
        self.active = np.zeros(0, bool)
        self.version = 0          # bumped on every change; keys the per-holder caches
        self._cache: dict = {}

    def touch(self) -> None:
        """Mark the book changed (call after editing ``debt`` or ``units`` in place)."""
        self.version += 1

    def __len__(self) -> int:
        return int(self.active.sum())

    def originate(self, lender, borrower, vintage, units, debt, margin_ltv, target_ltv,
                  rate_per_month, maturity_step, term_months) -> np.ndarray:
        """Add loans (arrays or scalars, broadcast); returns their row indices."""
        cols = np.broadcast_arrays(np.asarray(lender, np.int64), np.asarray(borrower, np.int64),
                                   np.asarray(vintage, np.int64), np.asarray(units, float),
                                   np.asarray(debt, float), np.asarray(margin_ltv, float),
                                   np.asarray(target_ltv, float), np.asarray(rate_per_month, float),
                                   np.asarray(maturity_step, np.int64),
                                   np.asarray(term_months, np.int64))
        n0 = self.active.size
        for name, col in zip(_FIELDS, cols, strict=True):
            setattr(self, name, np.concatenate([getattr(self, name), np.atleast_1d(col)]))
        n = self.lender.size - n0
        self.active = np.concatenate([self.active, np.ones(n, bool)])
        self.touch()
        return np.arange(n0, n0 + n)

    def compact(self) -> None:
        """Drop closed loans (keeps arrays short; row order of live loans is preserved)."""
        keep = self.active
        for name in _FIELDS:
            setattr(self, name, getattr(self, name)[keep])
        self.active = self.active[keep]
        self.touch()

    # --- monthly debt service ---------------------------------------------------------
    def interest_due(self) -> np.ndarray:
        return np.where(self.active, self.debt * self.rate_per_month, 0.0)

    def principal_due(self, step: int) -> np.ndarray:
        """Amortisation over the loan's term, or the whole balance at maturity."""
        amort = self.debt / np.maximum(self.term_months, 1)
        due = np.where(self.maturity_step <= step, self.debt, np.minimum(amort, self.debt))
        return np.where(self.active, due, 0.0)

    def roll_over(self, rows: np.ndarray, step: int, months: int) -> None:
        """Lenders extend maturing loans by ``months`` (C4)."""
        self.maturity_step[rows] = step + months
        self.touch()

    def pay(self, rows_paid_fraction: np.ndarray, step: int) -> np.ndarray:
        """Apply this month's payments; ``rows_paid_fraction`` in [0, 1] per loan.

        Returns the principal repaid per loan. Interest is paid first; a loan not paid in
        full is left to the default resolution of its borrower.
        """
        interest = self.interest_due()
        principal = self.principal_due(step)
        paid = rows_paid_fraction * (interest + principal)
        repaid = np.clip(paid - interest, 0.0, principal)
        self.debt = self.debt - repaid
        self.close(np.flatnonzero(self.active & (self.debt <= 1e-6)))
        self.touch()
        return repaid

    def close(self, rows) -> None:
        self.active[rows] = False
        self.debt[rows] = 0.0
        self.units[rows] = 0.0
        self.touch()

    # --- views ------------------------------------------------------------------------
    def rows(self, *, lender=None, borrower=None) -> np.ndarray:
        mask = self.active.copy()
        if lender is not None:
            mask &= self.lender == lender
        if borrower is not None:
            mask &= self.borrower == borrower
        return np.flatnonzero(mask)

    def debt_by(self, who: str, n: int) -> np.ndarray:
        """Outstanding debt per fund (``who='lender'``; loans held by the market or by banks
        excluded), per bank (``who='bank'``) or per borrower, length ``n``."""
        key = (who, n, self.version)
        if key not in self._cache:
            if who == "lender":
                idx, held = self.lender, self.active & (self.lender >= 0)
            elif who == "bank":
                idx, held = BANK_LENDER_0 - self.lender, self.active & (self.lender <= BANK_LENDER_0)
            else:
                idx, held = self.borrower, self.active
            self._cache = {k: v for k, v in self._cache.items() if k[2] == self.version}
            self._cache[key] = np.bincount(idx[held], weights=self.debt[held], minlength=n)
        return self._cache[key]

    def lender_slots(self, n_funds: int, rows=slice(None)) -> np.ndarray:
        """Lenders of ``rows`` as positions in :func:`lender_accounts`: a fund's index, then
        ``n_funds`` for the market and ``n_funds + 1 + b`` for bank ``b``."""
        lender = self.lender[rows]
        return np.where(lender >= 0, lender, n_funds - 1 - lender)

    # --- the fire sale and defaults ([F25], C3) -----------------------------------------------
    def apply_fire_sale(self, rows: np.ndarray, cash_posted_usd: np.ndarray,
                        proceeds_applied_usd: np.ndarray, units_sold: np.ndarray) -> None:
        """Carry a fire-sale clearing's outcome: the cash posted and the sale proceeds applied
        reduce each loan's debt, the units sold its collateral."""
        self.debt[rows] = np.maximum(self.debt[rows] - cash_posted_usd - proceeds_applied_usd, 0.0)
        self.units[rows] = self.units[rows] - units_sold
        self.touch()

    def default_loans(self, economy: Economy, rows: np.ndarray) -> None:
        """Loans that could not be cured default: what is still owed becomes a deficiency
        claim of the lender on the borrower, and the loans close."""
        for r in rows:
            self.book_deficiency(economy, int(r), float(self.debt[r]),
                                 economy.neoclouds[self.borrower[r]])
        self.close(rows)

    def book_deficiency(self, economy: Economy, row: int, amount_usd: float, borrower) -> None:
        """What a GPU loan's collateral did not cover becomes a senior unsecured claim."""
        if amount_usd <= 1e-6:
            return
        holder = lender_agent(economy, int(self.lender[row])) or economy.outside(MARKET_ACCOUNT)
        economy.claims.add(Debt(holder=holder, issuer=borrower, kind="gpu_loan_deficiency",
                                seniority=Seniority.SENIOR, principal_usd=amount_usd))

    def liquidate_borrower(self, economy: Economy, borrower) -> None:
        """A failed neocloud's lenders sell their collateral through the GPU market and keep a
        deficiency claim for the rest ([F25]; with C3 on the dump moves the market price)."""
        rows = self.rows(borrower=borrower.index)
        depth = market_depth(economy)
        accounts = lender_accounts(economy.funds, economy.banks)
        slots = self.lender_slots(len(economy.funds))
        for r in rows:
            v = int(self.vintage[r])
            units = float(self.units[r])
            price = economy.gpu_market.liquidation_price(v, units, depth[v],
                                                         moves_market=economy.p.c3_collateral_spiral)
            proceeds = min(units * price, float(self.debt[r]))
            economy.ledger.transfer("gpu_buyers", accounts[slots[r]], proceeds, "collateral_sale")
            surplus = units * price - proceeds
            if surplus > 0:
                borrower.receive("gpu_buyers", surplus, "collateral_surplus")
            borrower.gpu_units[v] = max(0.0, borrower.gpu_units[v] - units)
            self.book_deficiency(economy, r, float(self.debt[r]) - proceeds, borrower)
            self.close([r])

    def sell_lender_book(self, lender, price_share: float, code: int | None = None) -> None:
        """A failed lender's GPU loans are sold to the securities market at ``price_share`` of
        face (``code``: the lender's code in the book, a fund's index by default)."""
        rows = self.rows(lender=lender.index if code is None else code)
        value = float(self.debt[rows].sum())
        if value > 0:
            lender.receive(MARKET_ACCOUNT, value * price_share, "estate_gpu_loan_sale")
        self.lender[rows] = MARKET_LENDER
        self.touch()

    def units_pledged(self, n_borrowers: int, n_vintages: int) -> np.ndarray:
        """Units pledged per (borrower, vintage)."""
        a = self.active
        flat = self.borrower[a] * n_vintages + self.vintage[a]
        return np.bincount(flat, weights=self.units[a],
                           minlength=n_borrowers * n_vintages).reshape(n_borrowers, n_vintages)


def lender_accounts(funds, banks=()) -> list[str]:
    """Ledger accounts of the lender axis: each fund's, the securities market's, then each
    bank's (:meth:`GPULoanBook.lender_slots`)."""
    return [f.name for f in funds] + [MARKET_ACCOUNT] + [b.name for b in banks]
