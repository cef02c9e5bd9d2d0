"""Who holds what on whom: the economy's open claims, read from the balance sheets.

:func:`open_exposures` walks every open claim of the :class:`abm.claims.ClaimBook` and the
GPU-backed loans of the :class:`abm.gpu_loans.GPULoanBook` (summed per lender and borrower:
there may be a million of them); the exposure network of the browser
(:func:`visualization.figures.exposure_graph`) draws it. :func:`exposure_table` sums it per
holder, issuer and claim kind, one row each, for ``exposures.csv`` (the run's network at its
start and end, to study outside the browser).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from aicredit.abm.claims import Contract, CreditLine
from aicredit.abm.economy import Economy
from aicredit.abm.gpu_loans import MARKET_ACCOUNT, lender_agent

__all__ = ["GPU_LOAN_KIND", "SAVERS_HOLDER", "EXPOSURE_COLUMNS", "Exposure", "open_exposures",
           "exposure_table"]

#: The claim kind of a GPU-backed loan (as in an institution's balance sheet).
GPU_LOAN_KIND = "gpu_loan"
#: The one holder that stands for every 401(k) saver cohort in :func:`exposure_table`.
SAVERS_HOLDER = "401(k) savers"
#: The columns of :func:`exposure_table`'s rows, in order.
EXPOSURE_COLUMNS = ("step", "holder", "holder_sector", "issuer", "issuer_sector", "kind",
                    "value_usd", "commitment_usd", "claims")


class Exposure(NamedTuple):
    """One open claim (or the GPU-backed loans of one lender to one borrower).

    ``holder`` and ``issuer`` are parties (institutions, saver cohorts or outside parties,
    each with ``name`` and ``sector``); ``value_usd`` is the claim's balance-sheet value, the
    same for both sides (:meth:`abm.claims.Claim.value_usd`; GPU-backed loans at their
    outstanding debt); ``commitment_usd`` what is promised off the balance sheet (a
    contract's payments still to come, a credit line's undrawn limit; 0 otherwise);
    ``claims`` how many contracts it stands for.
    """

    holder: Any
    issuer: Any
    kind: str
    value_usd: float
    commitment_usd: float
    claims: int


def _commitment_usd(claim, step: int) -> float:
    if isinstance(claim, Contract):
        return float(claim.remaining_usd(step))
    if isinstance(claim, CreditLine):
        return float(claim.undrawn_usd())
    return 0.0


def open_exposures(economy: Economy) -> Iterator[Exposure]:
    """Every open claim, then the GPU-backed loans summed per lender and borrower (loans a
    failed fund's estate sold are held by the securities market, an outside party)."""
    step = economy.steps
    for c in economy.claims.all:
        if not c.closed:
            yield Exposure(c.holder, c.issuer, c.kind, float(c.value_usd()),
                           _commitment_usd(c, step), 1)
    book = economy.gpu_loans
    rows = np.flatnonzero(book.active)
    if not rows.size:
        return
    funds, neoclouds = economy.funds, economy.neoclouds
    slot = book.lender_slots(len(funds), rows)
    key = slot * len(neoclouds) + book.borrower[rows]
    size = (len(funds) + 1 + len(economy.banks)) * len(neoclouds)
    debt = np.bincount(key, weights=book.debt[rows], minlength=size)
    count = np.bincount(key, minlength=size)
    for k in np.flatnonzero(count):
        lender, borrower = divmod(int(k), len(neoclouds))
        code = lender if lender < len(funds) else len(funds) - 1 - lender
        holder = lender_agent(economy, code) or economy.outside(MARKET_ACCOUNT)
        yield Exposure(holder, neoclouds[borrower], GPU_LOAN_KIND, float(debt[k]), 0.0, int(count[k]))


def exposure_table(economy: Economy) -> list[dict]:
    """:func:`open_exposures` summed per holder, issuer and claim kind at the current step:
    one dict per row with the keys of :data:`EXPOSURE_COLUMNS`. Every 401(k) saver cohort
    is one holder, :data:`SAVERS_HOLDER`."""
    sums: dict[tuple, list] = {}
    for e in open_exposures(economy):
        holder = SAVERS_HOLDER if e.holder.sector == "saver_401k" else e.holder.name
        key = (holder, e.holder.sector, e.issuer.name, e.issuer.sector, e.kind)
        acc = sums.setdefault(key, [0.0, 0.0, 0])
        acc[0] += e.value_usd
        acc[1] += e.commitment_usd
        acc[2] += e.claims
    step = int(economy.steps)
    return [dict(zip(EXPOSURE_COLUMNS, (step, *key, *acc), strict=True)) for key, acc in sums.items()]
