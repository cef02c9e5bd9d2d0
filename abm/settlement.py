"""The month's payment settlement: everything that falls due is paid at once (Eisenberg-Noe).

Obligations come from three places: the claims book (compute contracts, leases, interest
and principal of debt, credit lines called), the GPU-loan book (interest and amortisation,
and whole balances at maturity: the lenders' rollover decisions are the stage before,
:mod:`abm.rollover`) and costs
owed to outside accounts (operating costs). They form one liabilities matrix between
ledger accounts, cleared simultaneously by :func:`abm.clearing.clear_payments` (contract in
``docs/spec/payment-clearing.md``): each debtor pays the same fraction of everything it
owes. The result is executed through the ledger, and every claim and GPU loan records what
it was paid. The outside world always pays its dues in full, outside the clearing.

Default costs (Rogers and Veraart 2013, ``[R35]``): a debtor that cannot pay in full
realises only ``default_cost_alpha`` of its cash and ``default_cost_beta`` of what it is
paid in the clearing; the rest is lost to the administration of its failure (paid to the
outside ``suppliers`` account, memo ``default_costs``) before its estate is shared out by
seniority (:mod:`abm.default`). Both default to 1: **no default costs**, plain Eisenberg and
Noe (2001), the calibration the shipped results use; the literature has no estimate for
the firms of this economy, so costs are an option for sensitivity analysis, not a default.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from aicredit.abm.clearing import clear_payments, received_payments
from aicredit.abm.economy import Economy
from aicredit.abm.gpu_loans import lender_accounts

__all__ = ["settle_month"]


class _Nodes:
    """Ledger accounts numbered in order of first appearance (the clearing's node order)."""

    def __init__(self):
        self.index: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = len(self.index)
        return self.index[name]


def settle_month(economy: Economy) -> None:
    """Settle everything due this month at once; record it in ``economy.month``.

    Sets ``month.due_by_kind``/``paid_by_kind`` (claims by kind), ``month.gpu_principal_due_usd``
    and ``month.payment_defaulters`` (names of those that could not pay in full).
    """
    t = economy.steps
    ledger = economy.ledger
    node = _Nodes()

    # claims: the outside world pays at once; everyone else's dues enter the clearing
    rows, cols, vals, items = [], [], [], []
    for c in economy.claims.all:
        if c.closed:
            continue
        due = c.due_usd(t)
        if due <= 0:
            continue
        if c.issuer.sector == "outside":
            ledger.transfer(c.issuer.name, c.holder.name, due, c.kind)
            c.settle(due, t)
            continue
        i, j = node(c.issuer.name), node(c.holder.name)
        rows.append(i); cols.append(j); vals.append(due); items.append((c, i, due))  # noqa: E702

    # GPU-backed loans: interest and principal due, from borrower to lender account
    book = economy.gpu_loans
    principal = book.principal_due(t)
    economy.month.gpu_principal_due_usd = float(principal.sum())
    gl_due = book.interest_due() + principal
    live_rows = np.flatnonzero(book.active & (gl_due > 0))
    slots = book.lender_slots(len(economy.funds), live_rows)
    used_b = np.unique(book.borrower[live_rows])
    used_l = np.unique(slots)
    borrower_node = np.zeros(len(economy.neoclouds), np.int64)
    borrower_node[used_b] = [node(economy.neoclouds[b].name) for b in used_b]
    accounts = lender_accounts(economy.funds, economy.banks)
    lender_node = np.zeros(len(accounts), np.int64)
    lender_node[used_l] = [node(accounts[k]) for k in used_l]
    gl_nodes_i = borrower_node[book.borrower[live_rows]]
    gl_nodes_j = lender_node[slots]

    # costs owed to outside accounts
    for inst in economy.institutions:
        if inst.defaulted:
            continue
        for payee, amount in inst.obligations_to_outside().items():
            if amount > 0:
                rows.append(node(inst.name)); cols.append(node(payee)); vals.append(amount)  # noqa: E702
    n = len(node.index)
    if n == 0:
        return

    all_rows = np.concatenate([np.array(rows, dtype=np.int64), gl_nodes_i])
    all_cols = np.concatenate([np.array(cols, dtype=np.int64), gl_nodes_j])
    all_vals = np.concatenate([np.array(vals, dtype=float), gl_due[live_rows]])
    liab = sparse.csr_matrix((all_vals, (all_rows, all_cols)), shape=(n, n))
    liab.setdiag(0.0)
    names = list(node.index)
    cash = np.array([0.0 if ledger.is_outside(nm) else max(ledger.balance(nm), 0.0) for nm in names])
    alpha, beta = economy.p.default_cost_alpha, economy.p.default_cost_beta
    result = clear_payments(liab, cash, alpha=alpha, beta=beta)
    pbar = np.asarray(liab.sum(axis=1)).ravel()
    frac = np.where(pbar > 0, result.payments / np.where(pbar > 0, pbar, 1.0), 1.0)
    frac = np.minimum(frac, 1.0)

    # execute all payments simultaneously through the ledger
    idx = np.array([ledger.index(nm) for nm in names], dtype=np.int64)
    ledger.transfer_many(idx[all_rows], idx[all_cols], all_vals * frac[all_rows], "clearing")
    if alpha < 1.0 or beta < 1.0:
        _charge_default_costs(ledger, names, result, cash, received_payments(liab, result.payments),
                              alpha, beta)
    due_by_kind: dict[str, float] = {}
    paid_by_kind: dict[str, float] = {}
    for c, i, due in items:
        c.settle(due * frac[i], t)
        due_by_kind[c.kind] = due_by_kind.get(c.kind, 0.0) + due
        paid_by_kind[c.kind] = paid_by_kind.get(c.kind, 0.0) + due * frac[i]
    economy.month.due_by_kind, economy.month.paid_by_kind = due_by_kind, paid_by_kind
    paid_fraction = np.zeros(book.active.size)
    paid_fraction[live_rows] = frac[gl_nodes_i]
    book.pay(paid_fraction, t)
    economy.month.payment_defaulters = [names[i] for i in np.flatnonzero(result.defaulted)]


def _charge_default_costs(ledger, names, result, cash, received, alpha, beta) -> None:
    """Pay each defaulter's default costs to the outside world (Rogers and Veraart 2013).

    A defaulter had ``cash + received`` and paid ``alpha * cash + beta * received`` in the
    clearing; the difference, ``(1 - alpha) * cash + (1 - beta) * received``, is the cost of
    its failure and leaves the economy, so that its creditors recover only what it paid.
    """
    for i in np.flatnonzero(result.defaulted):
        cost = (1.0 - alpha) * cash[i] + (1.0 - beta) * received[i]
        left = max(ledger.balance(names[i]), 0.0)
        if cost > 0 and left > 0:
            ledger.transfer(names[i], "suppliers", min(cost, left), "default_costs")
