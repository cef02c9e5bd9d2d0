"""What buyers spend on compute each month: the demand side of the GPU market (C1).

Compute is bought by the AI labs, under their take-or-pay contracts with clouds and
neoclouds [F14], and by hyperscalers for their own AI services (Azure's, Bedrock's,
Gemini's: the ``hyperscaler_ai_service_share`` of AI demand [F16]). The month's spending is

    S_t = sum_{live labs} C_l,t  +  c_h * sum_{live hyperscalers} a_h * D^h_t  +  m_t * D^lab_t

- ``C_l,t``: lab ``l``'s compute contract payments for the month
  (:meth:`abm.agents.ai_lab.AILab.compute_spending_usd`); contracts are renewed yearly at
  the lab's revenue growth, so a demand drop reaches compute purchases at renewal, and a lab
  that fails stops buying.
- ``a_h * D^h_t``: hyperscaler ``h``'s own AI-service revenue; ``c_h`` the compute its own AI
  (services, training its own models, internal uses) buys per dollar of it
  (``hyperscaler_service_compute_x_revenue``, 6: within the labs' 1.3-12x of [F16]; at 6 the
  modelled buyers rent about the whole step-0 fleet, ``k = 1.02`` in :mod:`abm.markets.gpu`).
- A failed lab's customers do not all vanish: a share ``s`` (``lab_failure_demand_moving_share``)
  of its last month's compute spending moves to the surviving labs, as the lab's users switch
  to rivals serving the same models through the same APIs. What moves is held as a share of
  the labs' demand ``D^lab`` at the failure and then follows it:

      m_t = sum_{failed l} s * C_l,last / D^lab_{t_l}

  The rest, ``1 - s``, vanishes: a loss-making lab spends several times its revenue on
  compute [F15, F16], mostly on training its own models, which no rival takes over.

The GPU market deflates ``S_t`` by the trend price of compute (:mod:`abm.markets.gpu`).
Cheap: a handful of labs and hyperscalers.
"""
from __future__ import annotations

from aicredit.abm.economy import Economy

__all__ = ["ComputeBuyers"]


class ComputeBuyers:
    """The month's compute spending of labs and hyperscalers' own services (module docstring)."""

    def __init__(self, moving_share: float, service_compute_x_revenue: float):
        self.moving_share = moving_share
        self.service_compute_x_revenue = service_compute_x_revenue
        self.moved_share_of_lab_demand = 0.0      # m_t: failed labs' demand now at survivors
        self._last_spending: dict[str, float] = {}
        self._counted_failures: set[str] = set()
        self.labs_usd = 0.0
        self.services_usd = 0.0
        self.moved_usd = 0.0

    def spending_usd(self, economy: Economy) -> float:
        """``S_t`` (module docstring); records the parts and the failures first seen now."""
        lab_demand = economy.demand.lab_usd
        labs = 0.0
        for lab in economy.labs:
            if not lab.defaulted:
                spent = lab.compute_spending_usd()
                self._last_spending[lab.name] = spent
                labs += spent
            elif lab.name not in self._counted_failures:
                self._counted_failures.add(lab.name)
                if lab_demand > 0:
                    self.moved_share_of_lab_demand += (
                        self.moving_share * self._last_spending.get(lab.name, 0.0) / lab_demand)
        shares = sum(h.ai_service_share for h in economy.hyperscalers if not h.defaulted)
        self.labs_usd = labs
        self.services_usd = self.service_compute_x_revenue * shares * economy.demand.hyperscaler_usd
        self.moved_usd = self.moved_share_of_lab_demand * lab_demand
        return self.total_usd

    @property
    def total_usd(self) -> float:
        """The month's ``S_t``: labs' purchases, services' compute and the moved demand."""
        return self.labs_usd + self.services_usd + self.moved_usd
