"""The market for data-centre ABS: its mark, moved by insurers' forced sales (C7) [F22].

Insurers hold data-centre ABS at par times this mark (their statutory value,
:meth:`abm.agents.insurer.Insurer.statutory_value_usd`); when one sells under capital
pressure, the mark every holder uses falls, so one insurer's sale lowers the others' capital:
the price-impact channel of insurers' forced sales documented by Ellul, Jotikasthira and
Lundblad (2011, JFE 101) for downgraded bonds. The model creates it (``model.abs_market``).
"""
from __future__ import annotations

__all__ = ["ABSMarket"]


class ABSMarket:
    """The mark of data-centre ABS as a share of par, moved by insurers' forced sales.

    Month t's sales of ``S_t`` at a discount ``d`` against ``O_t`` outstanding ABS (at par)
    lower next month's mark multiplicatively by ``d * min(1, S_t / (depth * O_t))``, and the
    mark's discount decays by ``persistence`` a month (linear price impact with reversal,
    Ellul, Jotikasthira and Lundblad 2011):

        disc_{t+1} = 1 - (1 - rho disc_t) (1 - d min(1, S_t / (depth O_t)))

    Sales move the mark from the next month, so every seller in a month sees the same price
    (the order in which insurers act does not matter).
    """

    def __init__(self, depth_share: float, persistence: float):
        self.depth_share = depth_share
        self.persistence = persistence
        self._discount = 0.0          # the discount as of month self._step
        self._step = 0
        self._pending: dict = {}      # this month's sales: step, sold, outstanding, discount

    def _roll(self, step: int) -> None:
        pend = self._pending
        if pend and pend["step"] < step:
            base = self._discount * self.persistence ** max(0, pend["step"] - self._step)
            depth = self.depth_share * pend["outstanding"]
            impact = pend["discount"] * min(1.0, pend["sold"] / depth) if depth > 0 else 0.0
            self._discount = 1.0 - (1.0 - self.persistence * base) * (1.0 - impact)
            self._step = pend["step"] + 1
            self._pending = {}

    def discount(self, step: int) -> float:
        """The mark's discount to par in month ``step``."""
        self._roll(step)
        return self._discount * self.persistence ** max(0, step - self._step)

    def mark(self, step: int) -> float:
        return 1.0 - self.discount(step)

    def record_sale(self, step: int, sold_par_usd: float, outstanding_par_usd: float,
                    sale_discount: float) -> None:
        """Record ``sold_par_usd`` of ABS (at par) sold at ``sale_discount`` in month ``step``."""
        if sold_par_usd <= 0:
            return
        self._roll(step)
        if self._pending:
            self._pending["sold"] += sold_par_usd
            self._pending["outstanding"] = max(self._pending["outstanding"], outstanding_par_usd)
        else:
            self._pending = dict(step=step, sold=sold_par_usd, outstanding=outstanding_par_usd,
                                 discount=sale_discount)
