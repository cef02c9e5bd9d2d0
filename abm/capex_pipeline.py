"""Capex committed ahead: orders placed now are paid over their lead time [F14, R40].

A hyperscaler's capex this month is what it committed earlier: GPU orders are paid over
``gpu_lead_months`` (order to delivery, about 6 months), data centres over ``dc_lead_months``
(construction, 12-24 months), in equal instalments from the month after the order. A new
order of ``O`` USD (a month's worth of capex at the rate it plans for) adds
``share * O / L`` to each of the next ``L`` months of each kind. At step 0 the queue holds
the instalments of steady past orders at step-0 capex ``c``: ``c * share * (L - k) / L`` due
in ``k + 1`` months, so the first month's capex is ``c`` and capex falls by at most
``1 / L`` of the orders' level in a month when orders stop. Orders are not cancelled (leases
and supply contracts bind); a firm short of cash pays what it can (``Hyperscaler.invest``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["CapexPipeline"]


class CapexPipeline:
    """Instalments of committed GPU and data-centre capex, by months ahead (USD)."""

    def __init__(self, usd_per_month: float, gpu_share: float, gpu_lead_months: int,
                 dc_lead_months: int):
        self.gpu_due = self._steady(usd_per_month * gpu_share, max(1, int(gpu_lead_months)))
        self.dc_due = self._steady(usd_per_month * (1.0 - gpu_share), max(1, int(dc_lead_months)))

    @staticmethod
    def _steady(usd_per_month: float, lead: int) -> np.ndarray:
        k = np.arange(lead)
        return usd_per_month * (lead - k) / lead

    def pop(self) -> tuple[float, float]:
        """This month's GPU and data-centre instalments; the queue moves a month on."""
        gpu, dc = float(self.gpu_due[0]), float(self.dc_due[0])
        for due in (self.gpu_due, self.dc_due):
            due[:-1] = due[1:]
            due[-1] = 0.0
        return gpu, dc

    def order(self, gpu_usd: float, dc_usd: float) -> None:
        """Commit ``gpu_usd`` of GPUs and ``dc_usd`` of data centres, paid over their lead times."""
        self.gpu_due += gpu_usd / len(self.gpu_due)
        self.dc_due += dc_usd / len(self.dc_due)

    def next_month_usd(self) -> float:
        """What falls due next month: the floor under next month's capex."""
        return float(self.gpu_due[0] + self.dc_due[0])
