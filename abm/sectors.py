"""The registry of sectors and of the ultimate holders of losses: one list each.

Every report, output column, chart and notebook lists sectors and holder categories from
here, in this order. The agent class of a sector is :data:`abm.agents.AGENT_TYPES`.
"""
from __future__ import annotations

__all__ = ["SECTORS", "FINANCIAL_SECTORS", "HOLDER_CATEGORIES"]

#: The nine sectors (the ``sector`` attribute of each agent type), in the order reports list them.
SECTORS = ("ai_lab", "hyperscaler", "neocloud", "chipmaker", "private_credit", "bank", "insurer",
           "saver_401k", "spv")

#: Sectors whose institutions fail when their equity turns negative (not only when they cannot pay).
FINANCIAL_SECTORS = ("bank", "private_credit", "insurer")

#: Ultimate holders on whom every loss is booked (``summary.json``'s ``losses_by_holder_usd``):
#: shareholders of failed firms, limited partners of private credit by type, banks, insurers,
#: wealth investors in semi-liquid vehicles (C13), 401(k) savers, bond and ABS investors,
#: deposit insurance and the rest of the outside world.
HOLDER_CATEGORIES = ("firm_shareholders", "lp_insurers", "lp_pensions_endowments", "lp_401k",
                     "lp_wealth",
                     "banks", "insurers", "savers_401k", "bond_abs_investors",
                     "deposit_insurance", "other_outside")
