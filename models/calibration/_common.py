"""Helpers shared by the sector builders: opening cash, equity stakes, contracts."""
from __future__ import annotations

from aicredit.abm.claims import Contract, EquityClaim

__all__ = ["endow", "stake", "contract", "OPEN_ENDED_MONTHS"]

#: Term of an open-ended contract (spot buyers): longer than any run (``steps`` <= 600).
OPEN_ENDED_MONTHS = 600


def endow(model, inst, amount_usd: float, source: str = "outside_investors") -> None:
    """Opening cash, paid in from an outside account so that money is conserved."""
    model.ledger.transfer(source, inst.name, amount_usd, "opening_balance")


def stake(model, holder, issuer, units: float, kind: str = "equity") -> EquityClaim:
    """An opening equity position of ``units`` of ``issuer`` at its step-0 price."""
    return model.claims.add(EquityClaim(holder=holder, issuer=issuer, kind=kind, units=units,
                                        cost_usd=units * issuer.price_per_unit_usd()))


def contract(model, holder, issuer, total_usd=None, months=None, start=0, per_month=None,
             kind="compute_contract", renewable=False) -> Contract:
    """A contract from ``start`` for ``months``: ``total_usd`` in equal instalments or ``per_month``."""
    pay = per_month if per_month is not None else total_usd / months
    return model.claims.add(Contract(holder=holder, issuer=issuer, kind=kind,
                                     payment_usd_per_month=pay, start_step=start,
                                     end_step=start + months, renewable=renewable))
