"""Renewal and expiry of contracts (compute contracts and leases) at the end of their term.

A renewable contract ending next month is renewed by its payer for another
``contract_renewal_months`` at a size the payer chooses (:meth:`Institution.renewal_factor`:
labs scale with their revenue growth (C1), hyperscalers let neocloud capacity lapse when AI
disappoints (C2)). A lapse hits the provider's revenue; with C2 off, other customers
(outside) take the capacity at the same price. Contracts whose term is over and on which
nothing is owed leave the books.
"""
from __future__ import annotations

from abm.claims import Contract

__all__ = ["renew_contracts", "close_expired_contracts", "SPOT_BUYERS"]

#: The outside account of customers who rent compute at spot prices.
SPOT_BUYERS = "spot_compute_buyers"


def renew_contracts(economy) -> None:
    """Renewable contracts ending this month: the payer renews them or lets them lapse (C2)."""
    t = economy.steps
    p = economy.p
    for c in [c for c in economy.claims.all if isinstance(c, Contract) and c.renewable
              and c.end_step == t + 1 and not c.closed]:
        if c.holder.defaulted or c.issuer.defaulted:
            continue
        factor = c.issuer.renewal_factor(c)
        issuer = c.issuer
        if factor is None:
            economy.month.lapsed_contracts += 1
            if p.c2_customer_concentration:
                continue
            issuer, factor = economy.outside(SPOT_BUYERS), 1.0
        economy.claims.add(Contract(holder=c.holder, issuer=issuer, kind=c.kind,
                                    payment_usd_per_month=c.payment_usd_per_month * factor,
                                    start_step=t + 1, end_step=t + 1 + p.contract_renewal_months,
                                    renewable=True))


def close_expired_contracts(economy) -> None:
    """Contracts whose term is over and on which nobody owes anything leave the books."""
    t = economy.steps
    for c in [c for c in economy.claims.all if isinstance(c, Contract) and not c.closed
              and c.end_step <= t and c.arrears_usd <= 0.0]:
        economy.claims.close(c)
