"""What the engine needs from the model that composes it, declared once.

The engine's mechanics (:mod:`abm.settlement`, :mod:`abm.markets.fire_sale`, :mod:`abm.gpu_lending`,
:mod:`abm.contracts`, :mod:`abm.default`, the agents) take an :class:`Economy`: the books
(ledger, claims, GPU-backed loans, losses), the markets, the sector lists and the month's
tallies. :class:`models.model.AIEconomyModel` is one; a test can build another. ``abm``
never imports ``models``: it reads the scenario's parameters through ``economy.p``, typed by
:class:`abm.parameters.Parameters` (the fields of the scenario the engine reads, documented in
``docs/parameters.md``; why a protocol of its own rather than the scenario's class: see
that module).

Every function of the engine that takes the model takes ``economy: Economy``, and every
institution's ``model`` is one, so the type checker (``scripts/typecheck.py``) checks each
use of the economy's books, markets, sectors and parameters against the declarations below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:                      # imported for the annotations only (no import cycle)
    import numpy as np

    from aicredit.abm.agents.ai_lab import AILab
    from aicredit.abm.agents.bank import Bank
    from aicredit.abm.agents.base import Institution, OutsideParty
    from aicredit.abm.agents.chipmaker import Chipmaker
    from aicredit.abm.agents.hyperscaler import Hyperscaler
    from aicredit.abm.agents.insurer import Insurer
    from aicredit.abm.agents.neocloud import Neocloud
    from aicredit.abm.agents.private_credit import PrivateCreditFund
    from aicredit.abm.agents.saver import SaverCohort
    from aicredit.abm.agents.spv import SPV
    from aicredit.abm.claims import ClaimBook
    from aicredit.abm.demand import AIDemand
    from aicredit.abm.gpu_loans import GPULoanBook
    from aicredit.abm.ledger import Ledger
    from aicredit.abm.losses import LossBook
    from aicredit.abm.markets.compute_demand import ComputeBuyers
    from aicredit.abm.markets.equity import EquityMarket
    from aicredit.abm.markets.gpu import GPUMarket
    from aicredit.abm.markets.index_pool import IndexPool
    from aicredit.abm.markets.loan_market import LoanMarket
    from aicredit.abm.parameters import Parameters
    from aicredit.abm.placements import PlacementConditions
    from aicredit.abm.tech_borrowers import BorrowerTerms, TechBorrowers

__all__ = ["Economy", "MonthTally"]


@dataclass
class MonthTally:
    """What happened this month, counted by the stages that do it; reset at the start of a month.

    The DataCollector reads these at the end of the month (``models/reporters.py``).
    """

    margin_calls: int = 0                       # GPU-backed loans margin-called (C3)
    margin_called_names: set[str] = field(default_factory=set)   # their borrowers
    gpu_loan_defaults: int = 0                  # GPU-backed loans that could not be cured
    gpu_loan_failures: list[str] = field(default_factory=list)   # names of their borrowers
    units_fire_sold: float = 0.0                # GPU units sold in the clearing
    gpu_principal_due_usd: float = 0.0          # GPU-loan principal falling due
    rollovers_refused_usd: float = 0.0          # maturing GPU-loan principal lenders did not roll (C4)
    equity_issued_usd: float = 0.0              # new shares sold by labs and neoclouds (proceeds)
    payment_defaulters: list[str] = field(default_factory=list)  # names that could not pay in full
    due_by_kind: dict[str, float] = field(default_factory=dict)   # claim kind -> USD due
    paid_by_kind: dict[str, float] = field(default_factory=dict)  # claim kind -> USD paid
    redemptions_usd: float = 0.0                # private-credit redemptions paid (C5)
    distributions_usd: float = 0.0              # cash private-credit funds and BDCs paid out to their LPs
    stale_nav_transfer_usd: float = 0.0         # paid to redeeming LPs above true NAV [R22]
    covenant_breaches: int = 0                  # funds above their maximum loan-to-NAV
    bdc_covenant_breaches: int = 0              # BDCs above their maximum debt/equity [R15]
    pc_loans_sold_usd: float = 0.0              # loans funds sold in the loan market (carrying value)
    run_requests_usd: float = 0.0               # new redemption requests of wealth investors (C13)
    saver_run_requests_usd: float = 0.0         # new run requests of 401(k) cohorts' active savers (C13)
    panic_cohorts: int = 0                      # 401(k) cohorts that panic-sold
    walkaways: int = 0                          # SPV leases not renewed (C9)
    spv_dropped_usd: float = 0.0                # SPV data-centre projects not financed (C9, C11)
    lapsed_contracts: int = 0                   # renewable contracts let lapse (C2)
    contributions_usd: float = 0.0              # 401(k) contributions paid in
    insurer_sales_usd: float = 0.0              # fund interests and ABS insurers sold (C7)
    insurer_redemption_requests_usd: float = 0.0   # redemptions insurers asked of funds (C7)
    insurer_derisk_sales_usd: float = 0.0       # of insurer_sales_usd, sold by choice above the CAL (C7)
    insurer_withdrawals_usd: float = 0.0        # policy and funding-agreement withdrawals paid
    placement_defaults: int = 0                 # insurers' tech placement borrowers that defaulted
    tech_loan_defaults: int = 0                 # private credit's tech borrowers that defaulted
    tech_loan_pd_per_year: float = 0.0          # the month's one-year PD of tech borrowers (cohort mean)


class Economy(Protocol):
    """The state the engine reads and changes (an :class:`models.model.AIEconomyModel`)."""

    @property
    def p(self) -> Parameters:
        """The scenario's parameters (a ``models.scenario.Scenario``; read-only)."""

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
    gpu_market: GPUMarket       # the markets (abm/markets/), each created by the model
    compute_buyers: ComputeBuyers   # what labs and hyperscalers' services spend on compute
    equity_market: EquityMarket
    loan_market: LoanMarket     # private loans', fund interests' and ABS prices, moved by forced sales (C12)
    index_pool: IndexPool       # the 401(k) index, traded with the outside investors
    demand: AIDemand
    tech_borrowers: TechBorrowers   # private credit's tech borrowers (:mod:`abm.tech_borrowers`)
    placement_terms: BorrowerTerms  # those borrowers at placement leverage (:mod:`abm.placements`)
    placements: PlacementConditions   # this month's designations of insurers' tech placements
    month: MonthTally
    default_events: list[dict]
    institutions: list[Institution]
    gpu_supplier: Chipmaker | None   # the chipmaker that sells every new GPU [F10]
    chipmakers: list[Chipmaker]
    hyperscalers: list[Hyperscaler]
    labs: list[AILab]
    neoclouds: list[Neocloud]
    funds: list[PrivateCreditFund]
    banks: list[Bank]
    insurers: list[Insurer]
    savers: list[SaverCohort]
    spvs: list[SPV]

    def outside(self, name: str) -> OutsideParty:
        """The outside-world party of the ledger account ``name``."""

    def institution(self, name: str) -> Institution:
        """The institution called ``name``."""
