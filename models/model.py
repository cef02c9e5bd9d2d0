"""The Mesa model of the AI economy: :class:`AIEconomyModel`.

One step is one month; step 0 is January 2025 (``docs/spec/economy.md``). The model composes
the engine (``abm/``): it owns the books, the markets and the institutions, and its
:meth:`AIEconomyModel.step` runs the month's stages in this order (each stage lives in the
engine module named; within a stage no result depends on which institution acts first):

1. **Environment** (:mod:`abm.environment`). AI demand moves (:mod:`abm.demand`); utilisation
   of installed compute sets the GPU rental rate and GPU values (:mod:`abm.markets.gpu`); AI
   sentiment and listed firms' values are updated on the month's news (:mod:`abm.markets.equity`);
   private credit's tech borrowers default when their cash flows from AI spending fail and the
   tech loans are marked to fair value (a scheduled write-off may strike first) (:mod:`abm.tech_credit`).
2. **Decide.** Every live institution reads the state at the start of the month and writes
   its plans (capex, equity rounds, rollover, line cuts, de-risking, panic). No payments.
3. **Income and financing.** Outside accounts pay revenues, contributions and legacy cash
   flows; planned equity rounds (:mod:`abm.funding`), the chipmaker's vendor financing and
   the scenario's dated deals (:mod:`abm.deals`), hyperscalers' bonds and capex, new SPVs
   (:func:`abm.agents.spv.finance_new_spvs`), new GPU-backed loans (:mod:`abm.gpu_lending`)
   and new tech loans (:func:`abm.tech_credit.lend_to_tech`).
4. **Rollover.** Lenders decide which GPU-backed loans maturing now they roll over
   (:mod:`abm.rollover`, C4).
5. **Payment settlement.** Everything that falls due is settled at once
   (:mod:`abm.settlement`, Eisenberg and Noe 2001).
6. **GPU fire sale.** Margin calls on GPU-backed loans are cleared (:mod:`abm.markets.fire_sale`, C3).
7. **Defaults.** Every institution that could not pay, whose GPU loan defaulted, or (for
   financial institutions) whose equity turned negative is resolved by seniority, and the
   cascade is followed within the month (:mod:`abm.default`).
8. **Act.** Institutions carry out their plans (banks cut lines, insurers de-risk, savers
   invest); the 401(k) index pool trades the savers' net order with the outside investors,
   one trade per listed firm (:meth:`abm.markets.index_pool.IndexPool.settle`); renewable
   contracts are renewed or lapse (:mod:`abm.contracts`); funds pay gated redemptions,
   delever when their loan-to-NAV covenant is breached, draw their bank facilities when
   short of cash and distribute.
9. **Revalue and collect.** Funds update reported NAVs; the savers' return index
   compounds (:mod:`abm.saver_returns`); the DataCollector records.
"""
from __future__ import annotations

import secrets
from numbers import Integral

import mesa
import numpy as np
import pandas as pd

from aicredit.abm.agents import Institution, OutsideParty
from aicredit.abm.agents.spv import finance_new_spvs
from aicredit.abm.claims import ClaimBook
from aicredit.abm.contracts import close_expired_contracts, renew_contracts
from aicredit.abm.deals import scheduled_financing
from aicredit.abm.default import resolve_failures
from aicredit.abm.demand import AIDemand
from aicredit.abm.economy import MonthTally
from aicredit.abm.environment import environment_month
from aicredit.abm.exposures import EXPOSURE_COLUMNS, exposure_table
from aicredit.abm.funding import backstop_labs, fund_equity_rounds
from aicredit.abm.gpu_lending import lend_to_neoclouds
from aicredit.abm.gpu_loans import GPULoanBook
from aicredit.abm.ledger import Ledger
from aicredit.abm.losses import LossBook
from aicredit.abm.markets.compute_demand import ComputeBuyers
from aicredit.abm.markets.equity import EquityMarket
from aicredit.abm.markets.fire_sale import clear_month_fire_sale
from aicredit.abm.markets.gpu import GPUMarket, units_outstanding
from aicredit.abm.markets.index_pool import IndexPool
from aicredit.abm.markets.loan_market import LoanMarket, clear_month_loan_market
from aicredit.abm.placements import placement_conditions, placement_terms
from aicredit.abm.rollover import roll_over_maturing
from aicredit.abm.runs import request_run_redemptions
from aicredit.abm.saver_returns import SaverReturns
from aicredit.abm.settlement import settle_month
from aicredit.abm.tech_borrowers import TechBorrowers
from aicredit.abm.tech_credit import lend_to_tech
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration import build_economy
from aicredit.models.reporters import add_price_reporters, agent_reporters, model_reporters
from aicredit.models.scenario import Scenario, ScenarioError, load_scenario, read_scenario_file, scenario_path
from aicredit.models.size import check_economy_size

__all__ = ["AIEconomyModel"]

#: Keys that tell the credit and equity streams' seeds from the demand stream's (any constants).
CREDIT_STREAM, EQUITY_STREAM = 1, 2
#: A seed drawn when none is given lies below this (short enough to type back as ``--seed``).
DRAWN_SEED_BOUND = 2**32


def check_seed(seed) -> tuple[int, bool]:
    """The run's seed and whether it was drawn: ``None`` draws one from the operating system's
    entropy (recorded, so the run can be repeated); anything but a whole number >= 0 (a
    string, a float, a bool) raises :class:`ScenarioError` naming ``seed`` and the value."""
    if seed is None:
        return secrets.randbelow(DRAWN_SEED_BOUND), True
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ScenarioError(f"seed must be a whole number >= 0 (or None to draw one), got {seed!r}")
    return int(seed), False


def scenario_source(scenario) -> tuple[str, str]:
    """The name a run reports for ``scenario`` (its file's ``name`` key, else the file's stem)
    and the file it came from (absolute path, :func:`models.scenario.scenario_path`)."""
    _, name, _ = read_scenario_file(scenario)
    return name, str(scenario_path(scenario).resolve())


class AIEconomyModel(mesa.Model):
    """The AI-credit economy of one scenario, a Mesa model: one ``step()`` is one month.

    It satisfies :class:`abm.economy.Economy`, what the engine needs from a model. Run it with
    ``while model.running: model.step()`` (it stops after the scenario's ``steps``) and read
    ``model.datacollector`` (a row per month from step 0, the opening state), or use
    :func:`aicredit.run` for a tidy table over seeds.

    Parameters
    ----------
    scenario : str or path, default ``"baseline"``
        A shipped scenario name (:func:`aicredit.scenario_names`) or a scenario TOML file.
    seed : int, optional
        Seeds both ``self.random`` and ``self.rng``: same seed, same results. Without one a
        seed is drawn and kept in ``seed_value`` (``seed_drawn`` is then True), so every run
        can be repeated.
    collect_agents : bool, default True
        Collect per-agent data each month (costly at 100k saver cohorts).
    allow_large : bool, default False
        Build an economy whose estimated memory exceeds what the machine has
        (:mod:`models.size`); without it such an economy is refused before anything is built.
    **params
        The scenario's parameters (:class:`models.scenario.Scenario`, ``docs/parameters.md``),
        applied over the ``scenario`` file, so ``mesa.batch_run`` can sweep any of them.

    Attributes
    ----------
    scenario_name, scenario_file : str
        Where the parameters came from; ``overrides`` (dict) which of them ``params`` replaced.
    seed_value : int
        The seed the run used.
    exposures_start : pandas.DataFrame
        The exposure table at step 0 (:func:`abm.exposures.exposure_table`).

    Raises
    ------
    ScenarioError
        An unknown scenario, parameter or value, in one line naming it.
    """

    def __init__(self, scenario: str = "baseline", seed: int | None = None, *,
                 collect_agents: bool = True, allow_large: bool = False, **params):
        seed, self.seed_drawn = check_seed(seed)
        super().__init__(seed=seed)
        # AI demand draws from its own stream, seeded from the run's: the exogenous shock path
        # is the same whatever the other mechanisms draw, so paired comparisons of channels and
        # levers (same seed) face the same demand (common random numbers)
        stream_seed = int(self.rng.integers(2**63))
        self.demand_rng = np.random.default_rng(stream_seed)
        # tech borrowers' defaults and equity-market noise likewise: the same idiosyncratic draws
        # in both arms of a pair, whatever the lending draws of ``self.rng`` do
        self.credit_rng = np.random.default_rng([stream_seed, CREDIT_STREAM])
        self.equity_rng = np.random.default_rng([stream_seed, EQUITY_STREAM])
        self.seed_value = seed
        self.p: Scenario = load_scenario(scenario, **params)
        check_economy_size(self.p, collect_agents, allow_large)      # before anything is built
        p = self.p
        self.scenario_name, self.scenario_file = scenario_source(scenario)
        self.overrides = {k: getattr(p, k) for k in params}     # as validated
        # --- the books -------------------------------------------------------------------
        self.ledger = Ledger()
        self.claims = ClaimBook()
        self.gpu_loans = GPULoanBook()
        self.losses = LossBook()
        # bumped whenever a listed firm's price per unit may change (abm.agents.base._price_input)
        self.listed_prices_version = 0
        self._outside: dict[str, OutsideParty] = {}
        # --- the environment and the markets ---------------------------------------------
        self.demand = AIDemand(
            p.ai_demand_bn_per_year * BN / MONTHS_PER_YEAR,
            growth_per_year=p.demand_growth_per_year,
            growth_long_run_per_year=p.demand_growth_long_run_per_year,
            growth_decay_months=p.demand_growth_decay_months,
            volatility_per_month=p.demand_volatility_per_month,
            shock_step=p.demand_shock_step, shock_size=p.demand_shock_size,
            hyperscaler_share=p.hyperscaler_ai_service_share,
            market_size_usd_per_month=p.ai_market_size_bn_per_year * BN / MONTHS_PER_YEAR)
        self.gpu_market = GPUMarket(
            steps=p.steps, generation_months=p.gpu_generation_months,
            first_release_step=p.gpu_first_release_step, unit_price_usd=p.gpu_unit_price_k * 1e3,
            release_value_drop=p.gpu_release_value_drop, useful_life_months=p.gpu_useful_life_months,
            rental_usd_per_hour=p.gpu_rental_usd_per_hour,
            reference_utilisation=p.gpu_reference_utilisation,
            utilisation_elasticity=p.gpu_rental_utilisation_elasticity,
            operating_cost_usd_per_hour=p.gpu_operating_cost_usd_per_hour,
            discount_rate_per_year=p.gpu_discount_rate_per_year,
            compute_per_usd=1.0,              # calibrated below, on the step-0 fleet
            depth_share=p.fire_sale_depth_share, impact_persistence=p.price_impact_persistence,
            turnover_per_month=p.gpu_market_turnover_per_month,
            utilisation_half_life_months=p.gpu_utilisation_half_life_months,
            demand_elasticity=p.gpu_rental_demand_elasticity, quality_cap=p.gpu_quality_cap)
        self.compute_buyers = ComputeBuyers(p.lab_failure_demand_moving_share,
                                            p.hyperscaler_service_compute_x_revenue)
        self.equity_market = EquityMarket(
            sensitivity=p.sentiment_sensitivity, beta=p.equity_ai_beta,
            volatility_per_month=p.equity_volatility_per_month, enabled=p.c10_equity_market,
            persistence_per_month=p.sentiment_persistence_per_month,
            sentiment_volatility_per_month=p.sentiment_volatility_per_month,
            stress_sensitivity=p.sentiment_default_stress_sensitivity,
            discount_rate_per_year=p.equity_discount_rate_per_year,
            growth_min_per_year=p.equity_growth_min_per_year,
            growth_max_per_year=p.equity_growth_max_per_year,
            long_run_growth_per_year=p.equity_long_run_growth_per_year,
            growth_persistence_per_year=p.equity_growth_persistence_per_year,
            smoothing_months=p.equity_earnings_smoothing_months)
        self.loan_market = LoanMarket(p.loan_market_impact_of_tenth_sold, p.loan_market_outside_buyer_share,
                                      p.loan_market_mark_persistence, moves_prices=p.c12_loan_fire_sales)
        self.index_pool = IndexPool(self)          # its step-0 holdings: models/calibration/savers.py
        self.tech_borrowers = TechBorrowers(p)     # private credit's tech borrowers (abm.tech_borrowers)
        # the same borrowers at insurers' placement leverage, and their step-0 designations
        self.placement_terms = placement_terms(self.tech_borrowers.terms, p.insurer_placement_debt_to_ebitda,
                                               p.insurer_placement_rate_per_year)
        self.placements = placement_conditions(self.tech_borrowers, self.placement_terms)
        # --- the month's tallies and the run's record -------------------------------------
        self.month = MonthTally()
        self.default_events: list[dict] = []
        # --- the institutions, one list per sector (filled by the calibration) -------------
        self.chipmakers: list = []
        self.hyperscalers: list = []
        self.labs: list = []
        self.neoclouds: list = []
        self.funds: list = []
        self.banks: list = []
        self.insurers: list = []
        self.spvs: list = []
        self.savers: list = []
        self.gpu_supplier = None              # the chipmaker that sells new GPUs (the calibration's)
        build_economy(self)
        self.institutions: list[Institution] = [a for a in self.agents if a.sector != "saver_401k"]
        units, spending = units_outstanding(self.institutions), self.compute_buyers.spending_usd(self)
        self.gpu_market.calibrate_compute_demand(units, spending)
        self._by_name = {a.name: a for a in self.institutions}
        self.equity_market.register([a for a in self.institutions if a.listed], private=self.labs)
        # step 0's utilisation of the opening fleets (their prices are at the reference one)
        self.gpu_market.observe(0, units, spending)
        self.saver_returns = SaverReturns(self.savers)   # balances and time-weighted return
        self.datacollector = mesa.DataCollector(
            model_reporters=add_price_reporters(model_reporters(), self.gpu_market.n_vintages),
            agent_reporters=agent_reporters() if collect_agents else None)
        self.datacollector.collect(self)
        # a frame, not a list of dicts: 420 thousand rows in the synthetic economy (0.2 GiB as dicts)
        self.exposures_start = pd.DataFrame(exposure_table(self), columns=list(EXPOSURE_COLUMNS))

    # --- what the engine asks of the model (abm.economy.Economy) --------------------------
    def outside(self, name: str) -> OutsideParty:
        """The outside party of a ledger account (created on first use)."""
        if name not in self._outside:
            self._outside[name] = OutsideParty(name)
        return self._outside[name]

    def institution(self, name: str) -> Institution:
        """The institution called ``name`` (including SPVs opened during the run)."""
        if name not in self._by_name:
            self._by_name.update((a.name, a) for a in self.institutions)
        return self._by_name[name]

    # --- the month --------------------------------------------------------------------------
    def step(self) -> None:
        """One month: the stages of the module docstring, in order."""
        self._start_month()
        environment_month(self)
        self._each_live("decide")
        self._income_and_financing()
        roll_over_maturing(self)
        settle_month(self)
        clear_month_fire_sale(self)
        resolve_failures(self)
        self._each_live("act")
        self.index_pool.settle()
        renew_contracts(self)
        self._fund_housekeeping()
        self._close_month()
        self.datacollector.collect(self)
        self.running = self.steps < self.p.steps      # batch_run and SolaraViz stop here

    def _each_live(self, method: str) -> None:
        """Call ``method`` of every agent that has not failed, in the order they were created.

        The live set is fixed before the first call, as ``self.agents.select(...).do(method)``
        would, without building a Mesa AgentSet of 100k cohorts three times a month.
        """
        for agent in [a for a in self.agents if not a.defaulted]:
            getattr(agent, method)()

    def _start_month(self) -> None:
        """Reset the month's tallies and flows."""
        self.month = MonthTally()
        self.losses.take_step_total()
        self.ledger.take_flows()
        for chip in self.chipmakers:
            chip.gpu_revenue_usd = 0.0

    def _income_and_financing(self) -> None:
        """Income, equity rounds, scheduled deals, hyperscaler capex, SPVs and new GPU loans."""
        self._each_live("month_income")
        fund_equity_rounds(self)
        scheduled_financing(self)
        for h in self.hyperscalers:
            if not h.defaulted:
                h.finance()
                h.invest()
        if self.steps % MONTHS_PER_YEAR == 0:
            finance_new_spvs(self)
        lend_to_neoclouds(self)
        lend_to_tech(self)
        if not self.p.c1_demand_to_compute:
            backstop_labs(self)

    def _fund_housekeeping(self) -> None:
        """Wealth investors ask to redeem (C13); the loan market clears the month's forced sales
        (covenant cures, redemptions and a cut limit's excess beyond cash, insurers' orders) and
        marks every holder (C12); funds pay gated redemptions (C5), repay a cut limit's excess
        (C6), draw their bank facilities when short of cash and distribute."""
        request_run_redemptions(self)
        clear_month_loan_market(self)
        for f in self.funds:
            if not f.defaulted:
                f.pay_redemptions()
                f.meet_excess()
                f.manage_liquidity()
                f.distribute()

    def _close_month(self) -> None:
        """Revalue: funds' reported NAVs, the AI index, savers' return; drop closed claims."""
        for f in self.funds:
            if not f.defaulted:
                f.update_nav()
        self.equity_market.close_month()
        self.saver_returns.close_month(self.month.contributions_usd)
        close_expired_contracts(self)
        self.claims.compact()
        if self.steps % MONTHS_PER_YEAR == 0:
            self.gpu_loans.compact()

    # --- outputs ------------------------------------------------------------------------------
    def defaults_by_sector(self) -> dict[str, int]:
        """Institutions that have defaulted so far, by sector (sectors with none left out)."""
        out: dict[str, int] = {}
        for e in self.default_events:
            out[e["sector"]] = out.get(e["sector"], 0) + 1
        return out
