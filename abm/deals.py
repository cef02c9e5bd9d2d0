"""Scheduled financing: the chipmaker's commitments and the scenario's dated deals [F1, F13].

A stage of the month's financing, after the labs' equity rounds (:mod:`abm.funding`):

1. Each live chipmaker pays the tranches of its investment commitments that fall due
   (:meth:`abm.agents.chipmaker.Chipmaker.invest_in_customers`, C8): dated, but paid only
   while AI sentiment and the chipmaker's cash allow, so they are its own mechanics.
2. The scenario's dated deals (``economy.p.deals``, a ``[[deals]]`` list in a scenario file,
   :class:`models.scenario.Deal`), in the order the scenario lists them: at its ``step`` the
   ``issuer`` sells new equity worth ``amount_bn`` to the ``investor`` at its current price
   (:meth:`abm.agents.base.Institution.issue_equity`; the cash moves under the memo
   ``kind``), unless the issuer has failed or the deal's ``channel`` switch is off. The
   investor is an institution, or else the outside account of that name (e.g.
   ``outside_investors`` for an IPO).

The engine knows no firm by name: which firms deal, when and for how much is scenario data.
"""
from __future__ import annotations

from typing import Protocol

from aicredit.abm.agents.base import Institution
from aicredit.abm.economy import Economy
from aicredit.abm.units import BN

__all__ = ["ScheduledDeal", "scheduled_financing", "execute_deals", "deal_party"]


class ScheduledDeal(Protocol):
    """What the engine reads of one dated deal (:class:`models.scenario.Deal` provides it)."""

    @property
    def step(self) -> int: ...
    @property
    def issuer(self) -> str: ...
    @property
    def investor(self) -> str: ...
    @property
    def amount_bn(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def channel(self) -> str: ...


def deal_party(economy: Economy, name: str) -> Institution | str:
    """The institution called ``name``, or else ``name`` itself: an outside account."""
    try:
        return economy.institution(name)
    except KeyError:
        return name


def execute_deals(economy: Economy) -> None:
    """Carry out the scenario's deals dated this month, in the scenario's order."""
    p = economy.p
    deals: tuple[ScheduledDeal, ...] = p.deals
    for deal in deals:
        if deal.step != economy.steps or (deal.channel and not getattr(p, deal.channel)):
            continue
        issuer = economy.institution(deal.issuer)
        if not issuer.defaulted:
            issuer.issue_equity(deal_party(economy, deal.investor), deal.amount_bn * BN, deal.kind)


def scheduled_financing(economy: Economy) -> None:
    """The chipmakers' commitments, then the scenario's dated deals (module docstring)."""
    for chip in economy.chipmakers:
        if not chip.defaulted:
            chip.invest_in_customers()
    execute_deals(economy)
