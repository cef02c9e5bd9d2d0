"""What the engine needs from the model that composes it, declared once.

The engine's mechanics (:mod:`abm.settlement`, :mod:`abm.fire_sale`, :mod:`abm.gpu_lending`,
:mod:`abm.contracts`, :mod:`abm.default`, the agents) take an :class:`Economy`: the books
(ledger, claims, GPU-backed loans, losses), the markets, the sector lists and the month's
tallies. :class:`models.model.AIEconomyModel` is one; a test can build another. ``abm``
never imports ``models``: it reads the scenario's parameters through ``economy.p``, whose
fields are documented in ``docs/parameters.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:                      # imported for the annotations only (no import cycle)
    import numpy as np

    from aicredit.abm.agents.base import Institution, OutsideParty
    from aicredit.abm.claims import ClaimBook
    from aicredit.abm.demand import AIDemand
    from aicredit.abm.equity_market import EquityMarket
    from aicredit.abm.gpu_loans import GPULoanBook
    from aicredit.abm.gpu_market import GPUMarket
    from aicredit.abm.ledger import Ledger
    from aicredit.abm.losses import LossBook

__all__ = ["Economy", "MonthTally"]


@dataclass
class MonthTally:
    """What happened this month, counted by the stages that do it; reset at the start of a month.

    The DataCollector reads these at the end of the month (``models/reporters.py``).
    """

    margin_calls: int = 0                       # GPU-backed loans margin-called (C3)
    margin_called_names: set = field(default_factory=set)   # their borrowers
    gpu_loan_defaults: int = 0                  # GPU-backed loans that could not be cured
    gpu_loan_failures: list = field(default_factory=list)   # names of their borrowers
    units_fire_sold: float = 0.0                # GPU units sold in the clearing
    gpu_principal_due_usd: float = 0.0          # GPU-loan principal falling due
    payment_defaulters: list = field(default_factory=list)  # names that could not pay in full
    due_by_kind: dict = field(default_factory=dict)         # claim kind -> USD due
    paid_by_kind: dict = field(default_factory=dict)        # claim kind -> USD paid
    redemptions_usd: float = 0.0                # private-credit redemptions paid (C5)
    stale_nav_transfer_usd: float = 0.0         # paid to redeeming LPs above true NAV [R22]
    covenant_breaches: int = 0                  # funds above their maximum loan-to-NAV
    bdc_covenant_breaches: int = 0              # BDCs above their maximum debt/equity [R15]
    pc_loans_sold_usd: float = 0.0              # loans funds sold to delever (face value)
    panic_cohorts: int = 0                      # 401(k) cohorts that panic-sold
    walkaways: int = 0                          # SPV leases not renewed (C9)
    spv_dropped_usd: float = 0.0                # SPV data-centre projects not financed (C9, C11)
    lapsed_contracts: int = 0                   # renewable contracts let lapse (C2)
    contributions_usd: float = 0.0              # 401(k) contributions paid in
    insurer_sales_usd: float = 0.0              # fund interests and ABS insurers sold (C7)
    insurer_redemption_requests_usd: float = 0.0   # redemptions insurers asked of funds (C7)
    tech_loan_defaults: int = 0                 # private credit's tech borrowers that defaulted
    tech_loan_pd_per_year: float = 0.0          # the month's conditional PD of tech borrowers


class Economy(Protocol):
    """The state the engine reads and changes (an :class:`models.model.AIEconomyModel`)."""

    p: Any                      # the scenario's parameters (``models.scenario.Scenario``)
    steps: int                  # the current month (step 0 = January 2025)
    rng: np.random.Generator    # the run's source of randomness (mechanisms' own draws)
    demand_rng: np.random.Generator   # AI demand's shocks (:mod:`abm.environment`), likewise
    credit_rng: np.random.Generator   # tech borrowers' default draws, seeded from the run's seed
    equity_rng: np.random.Generator   # equity-market noise, likewise
    ledger: Ledger
    claims: ClaimBook
    gpu_loans: GPULoanBook
    losses: LossBook
    listed_prices_version: int  # bumped when a listed firm's price per unit may have changed
    gpu_market: GPUMarket
    equity_market: EquityMarket
    demand: AIDemand
    month: MonthTally
    default_events: list[dict]
    institutions: list[Institution]
    gpu_supplier: Institution | None   # the chipmaker that sells every new GPU [F10]
    chipmakers: list
    hyperscalers: list
    labs: list
    neoclouds: list
    funds: list
    banks: list
    insurers: list
    savers: list
    spvs: list

    def outside(self, name: str) -> OutsideParty:
        """The outside-world party of the ledger account ``name``."""

    def institution(self, name: str) -> Institution:
        """The institution called ``name``."""
