"""Claims: one object per financial contract, an asset of its holder and a liability of its issuer.

A claim is seen by both sides with one number, :meth:`Claim.value_usd`: a write-down on
one side is the same write-down on the other. Each contract type carries its own
mechanics (what falls due this month, what a payment does, how it is written off), in the
manner of the INET Oxford resilience model's contracts. GPU-backed loans, which may number
a million, live in the vectorised :class:`abm.gpu_loans.GPULoanBook` instead.

Seniority in default (:class:`Seniority`): secured claims are paid first from their
collateral, then senior unsecured, then the mezzanine and junior tranches of an SPV's ABS
[F22], then subordinated claims, pro rata within a class; equity claims receive what is left.
A contract whose payer fails becomes a damage claim, senior unsecured (:meth:`Contract.reject`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from enum import IntEnum
from itertools import count
from typing import Any, Literal, TypeVar, overload

__all__ = ["Seniority", "PAYMENT_ORDER", "Claim", "Debt", "LoanPool", "CreditLine", "Contract",
           "EquityClaim", "ClaimBook"]

_ids = count()
_C = TypeVar("_C", bound="Claim")


class Seniority(IntEnum):
    """Classes paid in this order in a default (lower first); each is paid pro rata within."""

    SECURED = 0
    SENIOR = 1
    MEZZANINE = 2        # an SPV's mezzanine ABS tranche
    JUNIOR = 3           # an SPV's junior ABS tranche, the first debt to lose
    SUBORDINATED = 4
    EQUITY = 5


#: The classes of liabilities, in the order a failed institution pays them.
PAYMENT_ORDER = tuple(s for s in Seniority if s != Seniority.EQUITY)


@dataclass(eq=False)
class Claim:
    """Base class: ``holder`` is owed by ``issuer``. Kind names the contract type."""

    holder: Any
    issuer: Any
    kind: str = "claim"
    seniority: Seniority = Seniority.SENIOR
    id: int = field(default_factory=lambda: next(_ids))
    closed: bool = False

    def value_usd(self) -> float:
        """Balance-sheet value, the same on both sides (subclasses say how)."""
        return 0.0

    def due_usd(self, step: int) -> float:
        """Cash the issuer owes the holder this month."""
        return 0.0

    def settle(self, paid_usd: float, step: int) -> None:
        """Record that the issuer paid ``paid_usd`` of what fell due this month."""

    @property
    def is_liability(self) -> bool:
        """Equity claims are the issuer's equity, not its liabilities."""
        return self.seniority != Seniority.EQUITY


@dataclass(eq=False)
class Debt(Claim):
    """A loan, bond, ABS tranche, deposit or policy reserve: principal plus monthly interest.

    ``amortisation_usd_per_month`` of principal falls due monthly; the remaining principal
    falls due at ``maturity_step`` unless the holder rolls it over (:meth:`roll_over`).
    Unpaid amounts accrue as ``arrears_usd``, part of the claim in default.
    """

    principal_usd: float = 0.0
    rate_per_month: float = 0.0
    maturity_step: int | None = None
    amortisation_usd_per_month: float = 0.0
    arrears_usd: float = 0.0
    collateral: Any = None

    def value_usd(self) -> float:
        return self.principal_usd + self.arrears_usd

    def principal_due_usd(self, step: int) -> float:
        if self.maturity_step is not None and step >= self.maturity_step:
            return self.principal_usd
        return min(self.amortisation_usd_per_month, self.principal_usd)

    def due_usd(self, step: int) -> float:
        return self.principal_usd * self.rate_per_month + self.principal_due_usd(step) + self.arrears_usd

    def settle(self, paid_usd: float, step: int) -> None:
        """Pay arrears, then interest, then principal; any shortfall becomes arrears."""
        interest_and_arrears = self.principal_usd * self.rate_per_month + self.arrears_usd
        principal_due = self.principal_due_usd(step)
        paid_principal = min(max(0.0, paid_usd - interest_and_arrears), principal_due)
        self.principal_usd -= paid_principal
        self.arrears_usd = max(0.0, interest_and_arrears - paid_usd)
        if self.principal_usd <= 1e-6 and self.arrears_usd <= 1e-6:
            self.principal_usd = 0.0

    def roll_over(self, months: int, step: int) -> None:
        """Extend a maturing principal by ``months`` (the holder's decision, C4)."""
        self.maturity_step = step + months

    def write_down(self, loss_usd: float) -> None:
        """Reduce the claim by a loss; the holder's asset and the issuer's liability fall alike."""
        cut = min(loss_usd, self.arrears_usd)
        self.arrears_usd -= cut
        self.principal_usd = max(0.0, self.principal_usd - (loss_usd - cut))


@dataclass(eq=False)
class LoanPool(Debt):
    """A homogeneous pool of loans to ``borrowers`` outside borrowers, held at fair value.

    Private credit's tech book [F28]: each borrower owes an equal share of the principal.
    Borrowers default one by one (:meth:`default_borrowers`): the defaulted face leaves the
    pool, the recovery is paid in cash and the rest is the holder's realised loss. Between
    defaults the pool is marked to fair value (ASC 820): ``value = principal + arrears -
    impairment``, where :meth:`mark` sets the impairment (see :mod:`abm.tech_credit`).
    """

    borrowers: float = 0.0
    impairment_usd: float = 0.0
    remaining_months: float = 0.0     # weighted average remaining life W (see :meth:`age`)

    def value_usd(self) -> float:
        return self.principal_usd + self.arrears_usd - self.impairment_usd

    def borrowers_alive(self) -> int:
        """Whole borrowers left in the pool (a split pool can carry a fraction)."""
        return int(round(self.borrowers))

    def default_borrowers(self, n: int, recovery: float) -> tuple[float, float]:
        """``n`` borrowers default; returns ``(face_usd, recovered_usd)``.

        They take their share ``n / borrowers`` of the principal and of the impairment with
        them; ``recovery`` of the face is recovered (paid by the borrowers' estates).
        """
        alive = self.borrowers_alive()
        if n <= 0 or alive <= 0:
            return 0.0, 0.0
        share = min(1.0, n / alive)
        face = self.principal_usd * share
        self.principal_usd -= face
        self.impairment_usd *= 1.0 - share
        self.borrowers = max(0.0, self.borrowers - n)
        return face, face * recovery

    def lend(self, amount_usd: float, loan_size_usd: float, maturity_months: float = 0.0) -> None:
        """Add new borrowers of ``loan_size_usd`` each for ``amount_usd`` of new loans at par,
        running ``maturity_months`` (the weighted average remaining life takes them in)."""
        old = self.principal_usd
        self.principal_usd += amount_usd
        self.borrowers += amount_usd / loan_size_usd
        if self.principal_usd > 0:
            new_life = amount_usd * maturity_months
            self.remaining_months = (old * self.remaining_months + new_life) / self.principal_usd

    def age(self, maturity_months: float) -> None:
        """A month passes in a rolling book: ``W' = W - 1 + T / (2 W)``.

        Loans spread evenly over ``2 W`` months of remaining life mature at ``1 / (2 W)`` of
        the book a month and are refinanced at the full maturity ``T``; the average life
        settles at ``T / 2`` (a stationary rolling book) and is never below a month.
        """
        w = max(self.remaining_months, 1.0)
        self.remaining_months = max(1.0, w - 1.0 + maturity_months / (2.0 * w))

    def mark(self, impairment_usd: float) -> float:
        """Set the impairment (never more than the principal); returns the change in value."""
        new = min(max(impairment_usd, 0.0), self.principal_usd)
        change = self.impairment_usd - new
        self.impairment_usd = new
        return change

    def write_down(self, loss_usd: float) -> None:
        """A scripted loss writes off a share of the borrowers (and of their impairment)."""
        face = self.principal_usd + self.arrears_usd
        share = min(1.0, loss_usd / face) if face > 0 else 0.0
        self.borrowers *= 1.0 - share
        self.impairment_usd *= 1.0 - share
        super().write_down(loss_usd)


@dataclass(eq=False)
class CreditLine(Debt):
    """A bank's facility to a private-credit fund [F31]: drawn up to a limit.

    A term facility that stays drawn: principal falls due only on its terms, the scheduled
    ``amortisation_usd_per_month`` (repaid principal cannot be drawn again: the limit falls
    with it) and any drawn amount above a limit the bank has cut (:meth:`excess_usd`). The
    undrawn part (``limit - principal``) is a revolver the fund may draw.

    The line carries out its own draws and repayments (:meth:`draw`, :meth:`repay`,
    :meth:`repay_excess`, :meth:`upsize`): each moves the cash between the bank (``holder``)
    and the fund (``issuer``) through their ledger accounts and updates principal and limit.
    The bank's side is :meth:`cut`.
    """

    limit_usd: float = 0.0

    def undrawn_usd(self) -> float:
        return max(0.0, self.limit_usd - self.principal_usd)

    def available_usd(self) -> float:
        """What a draw can get now: the undrawn part, as far as the bank has the cash."""
        return min(self.undrawn_usd(), max(0.0, self.holder.cash_usd))

    def excess_usd(self) -> float:
        """Drawn amount above the (possibly cut) limit, due for repayment."""
        return max(0.0, self.principal_usd - self.limit_usd)

    def due_usd(self, step: int) -> float:
        return self.principal_usd * self.rate_per_month + self.principal_due_usd(step) + self.arrears_usd

    def principal_due_usd(self, step: int) -> float:
        """The excess over the limit, then the scheduled amortisation of what is left."""
        excess = self.excess_usd()
        return excess + min(self.amortisation_usd_per_month, self.principal_usd - excess)

    def settle(self, paid_usd: float, step: int) -> None:
        """As :meth:`Debt.settle`; amortisation repaid (beyond the excess) also lowers the limit."""
        excess = self.excess_usd()
        before = self.principal_usd
        super().settle(paid_usd, step)
        amortised = max(0.0, before - self.principal_usd - excess)
        self.limit_usd = max(0.0, self.limit_usd - amortised)

    def draw(self, amount_usd: float) -> float:
        """The fund draws up to ``amount_usd`` (at most :meth:`available_usd`): the bank pays it
        out and the principal rises. Returns what was drawn."""
        drawn = min(amount_usd, self.available_usd())
        if drawn <= 0:
            return 0.0
        self.holder.pay(self.issuer, drawn, "credit_line_draw")
        self.principal_usd += drawn
        return drawn

    def upsize(self, amount_usd: float, rate_per_month: float | None = None) -> None:
        """The bank lends ``amount_usd`` more on new terms (an accordion): it pays it out, and
        principal and limit rise together, so the revolving part is unchanged. At a new rate
        ``r_new`` the line's rate becomes the principal-weighted mean,
        ``(P r + A r_new) / (P + A)`` (the new tranche priced on the day, the old one not)."""
        self.holder.pay(self.issuer, amount_usd, "credit_line_draw")
        if rate_per_month is not None and self.principal_usd + amount_usd > 0:
            self.rate_per_month = ((self.principal_usd * self.rate_per_month + amount_usd * rate_per_month)
                                   / (self.principal_usd + amount_usd))
        self.principal_usd += amount_usd
        self.limit_usd += amount_usd

    def repay(self, amount_usd: float) -> None:
        """The fund repays ``amount_usd`` of principal outside the schedule (a covenant cure):
        it pays the bank, and the limit falls with the principal, as for amortisation."""
        self.issuer.pay(self.holder, amount_usd, "credit_line_repay")
        repaid = min(amount_usd, self.principal_usd)      # a rounding excess is not principal
        self.principal_usd -= repaid
        self.limit_usd = max(0.0, self.limit_usd - repaid)

    def repay_excess(self) -> float:
        """The fund repays what a cut limit made excess, as far as its cash goes (the limit
        stays where the bank cut it). Returns what was repaid."""
        paid = min(self.excess_usd(), max(0.0, self.issuer.cash_usd))
        if paid <= 0:
            return 0.0
        self.issuer.pay(self.holder, paid, "credit_line_repay")
        self.principal_usd -= paid
        return paid

    def cut(self, share: float) -> None:
        """The bank cuts the limit to ``1 - share`` of the smaller of limit and drawn amount
        (C6): what is drawn above it falls due (:meth:`excess_usd`)."""
        self.limit_usd = (1.0 - share) * min(self.limit_usd, self.principal_usd)


@dataclass(eq=False)
class Contract(Claim):
    """A take-or-pay compute contract [F14] or a data-centre lease [F8].

    The issuer pays ``payment_usd_per_month`` from ``start_step`` to ``end_step``
    (exclusive). As an executory contract it is carried at zero on both sides except for
    unpaid arrears; the remaining commitment is reported off balance sheet
    (:meth:`remaining_usd`), which is what consolidated leverage adds back. When the payer
    fails the contract is rejected (:meth:`reject`): its payments end and the holder's claim
    is the arrears plus ``damages_usd``, the capped rent of the rest of the term
    (:func:`abm.contracts.rejection_damages_usd`).
    """

    payment_usd_per_month: float = 0.0
    start_step: int = 0
    end_step: int = 0
    arrears_usd: float = 0.0
    renewable: bool = False
    damages_usd: float = 0.0

    def value_usd(self) -> float:
        return self.arrears_usd + self.damages_usd

    def reject(self, damages_usd: float, step: int) -> None:
        """The payer failed in month ``step``: no payments after it; the claim is for damages."""
        self.damages_usd = max(0.0, damages_usd)
        self.end_step = min(self.end_step, step + 1)

    def active(self, step: int) -> bool:
        return self.start_step <= step < self.end_step and not self.closed

    def due_usd(self, step: int) -> float:
        return (self.payment_usd_per_month if self.active(step) else 0.0) + self.arrears_usd

    def settle(self, paid_usd: float, step: int) -> None:
        self.arrears_usd = max(0.0, self.due_usd(step) - paid_usd)

    def remaining_usd(self, step: int) -> float:
        """Payments still to come (off-balance-sheet commitment)."""
        months = max(0, self.end_step - max(step, self.start_step))
        return months * self.payment_usd_per_month

    def write_down(self, loss_usd: float) -> None:
        """Arrears first, then damages."""
        cut = min(loss_usd, self.arrears_usd)
        self.arrears_usd -= cut
        self.damages_usd = max(0.0, self.damages_usd - (loss_usd - cut))


@dataclass(eq=False)
class EquityClaim(Claim):
    """An equity stake [F10, F13] or a fund share [F34]: ``units`` of the issuer's equity.

    Its value is ``units * issuer.price_per_unit_usd()``: market price for listed firms,
    last round's valuation for private ones, reported NAV per unit for funds [F30].
    """

    units: float = 0.0
    cost_usd: float = 0.0
    seniority: Seniority = Seniority.EQUITY

    def value_usd(self) -> float:
        if self.closed:
            return 0.0
        return self.units * self.issuer.price_per_unit_usd()


class ClaimBook:
    """Every live claim, indexed by holder and by issuer."""

    def __init__(self):
        self.by_holder: dict[Any, list[Claim]] = defaultdict(list)
        self.by_issuer: dict[Any, list[Claim]] = defaultdict(list)
        self.all: list[Claim] = []

    def add(self, claim: _C) -> _C:
        self.all.append(claim)
        self.by_holder[claim.holder].append(claim)
        self.by_issuer[claim.issuer].append(claim)
        return claim

    def close(self, claim: Claim) -> None:
        """Remove a claim that is repaid, written off or terminated."""
        claim.closed = True
        self.by_holder[claim.holder].remove(claim)
        self.by_issuer[claim.issuer].remove(claim)

    def transfer(self, claim: Claim, new_holder: Any) -> None:
        """Sell or pass a claim to another holder."""
        self.by_holder[claim.holder].remove(claim)
        claim.holder = new_holder
        self.by_holder[new_holder].append(claim)

    def split(self, claim: Claim, share: float, new_holder: Any) -> Claim:
        """Carve ``share`` of a claim out into a new claim held by ``new_holder``."""
        sizes = {k: getattr(claim, k) for k in ("principal_usd", "arrears_usd", "units", "cost_usd",
                                                 "limit_usd", "payment_usd_per_month",
                                                 "borrowers", "impairment_usd")
                 if hasattr(claim, k)}
        part = replace(claim, holder=new_holder, id=next(_ids),
                       **{k: v * share for k, v in sizes.items()})
        for k, v in sizes.items():
            setattr(claim, k, v * (1.0 - share))
        return self.add(part)

    def sell(self, claim: Claim, share: float, buyer: Any) -> None:
        """Pass ``share`` of a claim to ``buyer``: the whole claim when ``share`` is 1, else a split."""
        if share >= 1.0 - 1e-12:
            self.transfer(claim, buyer)
        else:
            self.split(claim, share, buyer)

    def compact(self) -> None:
        """Drop closed claims from the master list."""
        self.all = [c for c in self.all if not c.closed]

    # A kind of claim is always made by the same class (KIND_CLASSES): the type checker then
    # knows that, for example, the fund shares a fund has issued have units.
    @overload
    def held(self, holder: Any, kind: Literal["fund_share"]) -> list[EquityClaim]: ...
    @overload
    def held(self, holder: Any, kind: Literal["bond_holding"]) -> list[Debt]: ...
    @overload
    def held(self, holder: Any, kind: str | None = None) -> list[Claim]: ...

    def held(self, holder: Any, kind: str | None = None) -> list[Any]:
        if kind is None:            # a copy: callers may change the book while they iterate
            return list(self.by_holder.get(holder, ()))
        return [c for c in self.by_holder.get(holder, ()) if c.kind == kind]

    @overload
    def issued(self, issuer: Any, kind: Literal["fund_share"]) -> list[EquityClaim]: ...
    @overload
    def issued(self, issuer: Any, kind: Literal["bond_holding"]) -> list[Debt]: ...
    @overload
    def issued(self, issuer: Any, kind: str | None = None) -> list[Claim]: ...

    def issued(self, issuer: Any, kind: str | None = None) -> list[Any]:
        if kind is None:
            return list(self.by_issuer.get(issuer, ()))
        return [c for c in self.by_issuer.get(issuer, ()) if c.kind == kind]


#: The class of every claim of these kinds (the overloads of :meth:`ClaimBook.held` and
#: :meth:`ClaimBook.issued` rely on it; ``tests/test_types.py`` checks it on a calibrated economy).
KIND_CLASSES: dict[str, type[Claim]] = {"fund_share": EquityClaim, "bond_holding": Debt}
