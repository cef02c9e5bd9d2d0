"""The five hyperscalers at step 0 [F11, F12]."""
from __future__ import annotations

import numpy as np

from aicredit.abm.agents import Hyperscaler
from aicredit.abm.claims import Debt
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import endow

__all__ = ["build_hyperscalers", "HYPERSCALERS"]

HYPERSCALERS = ("Microsoft", "Amazon", "Google", "Meta", "Oracle")


def build_hyperscalers(model, price0) -> None:
    """Create Microsoft, Amazon, Google, Meta and Oracle with capex [F12], legacy cash flow,
    cash, bonds, data centres and a GPU fleet spread evenly over the existing vintages
    (valued at ``price0``, the step-0 reference prices).

    Own AI-service demand is split pro rata to capex times ``hyperscaler_ai_service_weights``.
    Sets ``model.hyperscalers``.
    """
    p = model.p
    out = model.outside
    gm = model.gpu_market
    capex = np.array(p.hyperscaler_capex_bn_per_year) * BN / MONTHS_PER_YEAR
    service_share = capex * np.array(p.hyperscaler_ai_service_weights)
    service_share = service_share / service_share.sum()
    hs = []
    for k, name in enumerate(HYPERSCALERS):
        h = Hyperscaler(model, name, capex[k],
                        p.hyperscaler_legacy_cash_bn_per_year[k] * BN / MONTHS_PER_YEAR,
                        float(service_share[k]), p.hyperscaler_market_cap_bn[k] * BN)
        # opening cash is the cash reported; the bonds are a liability (their proceeds are
        # already in that cash or spent), not a second endowment
        endow(model, h, p.hyperscaler_cash_bn[k] * BN)
        model.claims.add(Debt(holder=out("bond_investors"), issuer=h, kind="bond",
                              principal_usd=p.hyperscaler_bonds_bn[k] * BN,
                              rate_per_month=p.hyperscaler_bond_rate_per_year / MONTHS_PER_YEAR))
        h.real_assets_usd = p.hyperscaler_dc_stock_months * capex[k] * (1 - p.gpu_capex_share)
        fleet_usd = p.hyperscaler_gpu_stock_months * capex[k] * p.gpu_capex_share
        h.gpu_units[: gm.n_existing] = fleet_usd / gm.n_existing / price0[: gm.n_existing]
        hs.append(h)
    model.hyperscalers = hs
