"""Renewal and expiry of contracts (compute contracts and leases) at the end of their term.

A renewable contract ending next month is renewed by its payer for another
``contract_renewal_months`` at a size the payer chooses (:meth:`Institution.renewal_factor`:
labs scale with their revenue growth (C1), hyperscalers let neocloud capacity lapse when AI
disappoints (C2)). A lapse hits the provider's revenue; with C2 off, other customers
(outside) take the capacity at the same price. Contracts whose term is over and on which
nothing is owed leave the books.

**Rejection damages** (:func:`rejection_damages_usd`). A contract or lease whose payer fails
does not vanish: the failed payer rejects it and its holder (a cloud for a lab's compute
contract, the outside lessor ``suppliers`` for a neocloud's data-centre lease, an SPV for a
hyperscaler's lease) has a damage claim for the rent it loses, capped as a lessor's claim for
a rejected lease is in US bankruptcy, 11 U.S.C. 502(b)(6) [R23]: the rent, without
acceleration, for the greater of one year or 15% of the remaining term, but not more than
three years::

    months_capped = min(max(12 * y_min, s * m_remaining), 12 * y_max, m_remaining)
    damages       = payment_per_month * months_capped

with ``y_min = contract_damages_cap_years_min``, ``s = contract_damages_cap_term_share``,
``y_max = contract_damages_cap_years_max`` and ``m_remaining`` the months of the term after
the month of the failure (the whole term if it has not started). Applying the lease cap to
take-or-pay compute contracts is an assumption: 502(b)(6) caps leases of real property, and
a compute contract is priced like a lease of capacity. Mitigation (re-letting the capacity)
is not deducted, so the cap is the claim. ``y_max = 0`` is the legal variant in which a
contract ends with its payer and leaves no claim (the model before damages). The claim is
senior unsecured, pari passu with the payer's other unsecured debt, and paid in
:mod:`abm.default`; a holder that fails first simply loses the contract (no claim).
"""
from __future__ import annotations

from aicredit.abm.claims import Contract
from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["renew_contracts", "close_expired_contracts", "rejection_damages_usd", "SPOT_BUYERS"]

#: The outside account of customers who rent compute at spot prices.
SPOT_BUYERS = "spot_compute_buyers"


def rejection_damages_usd(contract: Contract, step: int, p) -> float:
    """The capped damages [R23] for ``contract`` rejected by its payer failing in month ``step``."""
    months_left = max(0, contract.end_step - max(step + 1, contract.start_step))
    cap = min(max(MONTHS_PER_YEAR * p.contract_damages_cap_years_min,
                  p.contract_damages_cap_term_share * months_left),
              MONTHS_PER_YEAR * p.contract_damages_cap_years_max)
    return contract.payment_usd_per_month * min(float(months_left), cap)


def renew_contracts(economy: Economy) -> None:
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


def close_expired_contracts(economy: Economy) -> None:
    """Contracts whose term is over and on which nobody owes anything leave the books."""
    t = economy.steps
    for c in [c for c in economy.claims.all if isinstance(c, Contract) and not c.closed
              and c.end_step <= t and c.arrears_usd <= 0.0]:
        economy.claims.close(c)
