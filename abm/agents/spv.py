"""Special-purpose vehicles [F20, F21]: a data centre, its debt, and one hyperscaler's lease.

The SPV owns a data centre, borrows from a private-credit fund (the fund is also its
majority owner, as Blue Owl is of Meta's Louisiana SPV [F20]) and from ABS holders
(banks' senior tranches, insurers, outside bond investors [F22]), and leases the building
to one hyperscaler whose lease covers the debt service. The hyperscaler's reported
leverage excludes the SPV's debt; its consolidated leverage includes it.

At the end of the lease term the hyperscaler renews unless its AI revenue disappoints
(below the walk-away threshold); if it walks away the SPV cannot pay its lenders, defaults,
and the building is sold at a fraction of its cost (C9).
"""
from __future__ import annotations

from abm.agents.base import Institution
from abm.claims import Contract

__all__ = ["SPV"]


class SPV(Institution):
    sector = "spv"

    def __init__(self, model, name: str, lessee, data_centre_usd: float):
        super().__init__(model, name)
        self.lessee = lessee
        self.real_assets_usd = data_centre_usd
        self.walked_away = False

    def lease(self):
        """The lessee's current lease (the one that ends last), or None."""
        leases = [c for c in self.claims_held("lease") if c.issuer is self.lessee]
        return max(leases, key=lambda c: c.end_step) if leases else None

    def decide(self) -> None:
        """At the lease's last month the lessee chooses to renew or to walk away (C9)."""
        m = self.model
        lease = self.lease()
        if lease is None or lease.end_step != m.steps + 1 or self.lessee.defaulted:
            return
        if self.lessee.disappointment() < m.p.spv_walkaway_threshold:
            self.walked_away = True
            m.walkaways += 1
            return
        m.claims.add(Contract(holder=self, issuer=self.lessee, kind="lease",
                              payment_usd_per_month=lease.payment_usd_per_month,
                              start_step=m.steps + 1, end_step=m.steps + 1 + m.p.spv_lease_term_months))

    def act(self) -> None:
        self.real_assets_usd *= (1.0 - 0.04 / 12)
