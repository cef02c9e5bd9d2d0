"""Scenario parameters: one validated dataclass, loaded from TOML files.

Every parameter of the model is a field of :class:`Scenario` with its unit, its valid range
and its source: a fact of the article ``[F#]`` or a public reference value ``[R#]``, each
explained in ``docs/sources.md``, or a stated assumption. Money in scenario files is in
billions of USD (``_bn`` suffix); the model converts to USD. Time is in months (one step =
one month, step 0 = January 2025).

A scenario file is a flat TOML table of these keys plus ``name`` and ``description``, and
one list, ``[[deals]]``: the dated deals of the calibration (:class:`Deal`), one table each.
Values it omits take the defaults below (the calibrated 2025 baseline). Unknown keys, wrong
types and out-of-range values raise :class:`ScenarioError` naming the key and the value.
"""
from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from aicredit.models.options import did_you_mean

__all__ = ["Scenario", "Deal", "DEALS_2025", "ScenarioError", "Channel", "CHANNELS", "load_scenario",
           "scenario_names", "economy_agents", "LARGE_ECONOMY_AGENTS", "validate_params",
           "unknown_key_hint", "PARAMETER_TABLE"]


class ScenarioError(ValueError):
    """A scenario file or parameter override is invalid; the message names key and value.

    A :class:`ValueError`; sweeps raise a subclass, ``SweepError``, for a bad sweep file.
    """


def p(default, low=None, high=None, unit="", source="assumption", doc=""):
    """A scenario field with its valid closed range [low, high], unit and source."""
    return field(default=default, metadata=dict(low=low, high=high, unit=unit, source=source,
                                                doc=doc))


#: The keys of a ``[[deals]]`` table, and which of them may be left out (with their default).
DEAL_KEYS = ("step", "issuer", "investor", "amount_bn", "kind", "channel")
DEAL_OPTIONAL = {"channel": ""}
#: Valid range of a deal's step (months) and amount (bn USD).
DEAL_STEP_RANGE = dict(low=0, high=600)
DEAL_AMOUNT_RANGE = dict(low=0, high=1e5)


@dataclass(frozen=True)
class Deal:
    """A dated deal of the calibration: at ``step`` (a month), ``issuer`` sells new equity worth
    ``amount_bn`` (bn USD) to ``investor`` at its current price, the cash moving under the
    memo ``kind``; only while the channel switch ``channel`` is on, if one is named.

    ``issuer`` names an institution of the economy, ``investor`` an institution or an outside
    account (``outside_investors``). Carried out by :func:`abm.deals.execute_deals`.
    """

    step: int
    issuer: str
    investor: str
    amount_bn: float
    kind: str
    channel: str = ""

    def toml(self) -> str:
        """The deal as a TOML inline table, as ``--set deals=[...]`` reads it."""
        keys = [k for k in DEAL_KEYS if k != "channel" or self.channel]
        return "{" + ", ".join(f"{k} = {getattr(self, k)!r}".replace("'", '"') for k in keys) + "}"

    def __str__(self) -> str:
        switch = f" if {self.channel} is on" if self.channel else ""
        return f"step {self.step}: {self.investor} buys {self.amount_bn:g} bn of {self.issuer} ({self.kind}{switch})"


#: The 2025 baseline's dated deals: CoreWeave's IPO in March 2025 [F1] (proceeds: an assumption,
#: rounded); with C8 on, Nvidia's 10 bn and Microsoft's 5 bn in Anthropic in November 2025 [F13].
DEALS_2025 = (
    Deal(2, "CoreWeave", "outside_investors", 1.5, "ipo"),
    Deal(10, "Anthropic", "Nvidia", 10.0, "vendor_financing", "c8_circular_financing"),
    Deal(10, "Anthropic", "Microsoft", 5.0, "strategic_investment", "c8_circular_financing"),
)

#: Parameters that became entries of ``deals`` (model 0.4.0 -> issue 17): where they went.
RETIRED_KEYS = {k: "a [[deals]] entry" for k in (
    "coreweave_ipo_step", "coreweave_ipo_bn", "anthropic_round_step",
    "nvidia_anthropic_investment_bn", "microsoft_anthropic_investment_bn")}
#: Parameters whose shortcut a mechanism replaced (issues 18 and 19): what replaced it, in one line.
REPLACED_KEYS = {
    "bank_other_loan_pd_drawdown_sensitivity": (
        "removed: banks' other loans carry the constant through-the-cycle "
        "bank_other_loan_pd_per_year; no provision follows the AI index"),
    **{k: f"retired: tech credit follows borrowers' cash flows, see {v}" for k, v in {
        "tech_loan_asset_correlation": "the loading on AI spending, tech_borrower_ai_revenue_share",
        "tech_credit_factor_volatility_per_year": "AI spending's surprise against expectations "
                                                  "(no AI index)",
        "tech_loan_recovery": "the defaulters' asset value, less tech_loan_bankruptcy_cost",
        "tech_loan_recovery_drawdown_sensitivity": "the defaulters' asset value, less "
                                                   "tech_loan_bankruptcy_cost",
        "tech_loan_duration_years": "lifetime expected loss to maturity, tech_loan_maturity_months",
    }.items()},
    **{k: ("retired: data-centre ABS trade in the loan market's ABS class (model 0.7.0), priced by "
           "loan_market_impact_of_tenth_sold and loan_market_mark_persistence") for k in (
        "abs_price_impact_depth_share", "abs_mark_persistence")},
    "insurer_capital_bn": ("retired: each insurer's capital brings it to insurer_solvency_ratio on its own "
                           "holdings (the complete RBC formula, models.calibration.insurers)"),
    "pc_loan_sale_discount": ("retired: funds sell loans into the secondary loan market, whose price falls "
                              "with what is sold (loan_market_impact_of_tenth_sold)"),
    **{k: f"retired: spreads come from a rating grid, see {v} (abm.constraints.RatingGrid)" for k, v in {
        "hyperscaler_spread_free_leverage": "hyperscaler_rating_free_notch",
        "hyperscaler_spread_per_leverage_turn": "hyperscaler_spread_per_notch",
    }.items()},
}


@dataclass(frozen=True)
class Scenario:
    """All parameters of :class:`models.AIEconomyModel` (the 2025 baseline by default)."""

    # --- run ---------------------------------------------------------------------------
    steps: int = p(72, 1, 600, "months", "spec: Jan 2025 to Dec 2030", "Length of a run.")

    # --- end-user AI demand (C1) -------------------------------------------------------
    ai_demand_bn_per_year: float = p(60.0, 0, 1e5, "bn USD/yr", "[F16]",
                                     "End-user spending on AI services at step 0.")
    demand_growth_per_year: float = p(0.8, -0.9, 10, "1/yr", "assumption between [F17] and [F18]",
                                      "Initial growth rate of AI demand.")
    demand_growth_long_run_per_year: float = p(0.15, -0.9, 10, "1/yr", "assumption",
                                               "Growth rate the initial rate decays towards.")
    demand_growth_decay_months: float = p(36.0, 1, 1e4, "months", "assumption",
                                          "e-folding time of the growth rate's decay.")
    demand_volatility_per_month: float = p(0.04, 0, 1, "log-sd/month", "assumption",
                                           "Volatility of monthly demand shocks.")
    demand_shock_step: int = p(-1, -1, 600, "step", "assumption",
                               "Month of a one-off demand shock (-1: none).")
    demand_shock_size: float = p(0.0, 0, 0.99, "fraction", "assumption",
                                 "Fall of the demand level at the shock.")
    ai_market_size_bn_per_year: float = p(2000.0, 1, 1e6, "bn USD/yr",
                                          "[R39] a third of world IT spending (5.4-5.6 tn, 2025); 2 tn of AI revenue "
                                          "by 2030 to pay for the build-out",
                                          "Market size M that AI demand approaches (logistic diffusion, abm.demand).")
    hyperscaler_ai_service_share: float = p(0.35, 0, 1, "fraction", "assumption",
                                            "Share of AI demand earned by hyperscalers' own AI services.")
    lab_demand_shares: tuple = p((0.256, 0.15, 0.02, 0.574), 0, 1, "fractions",
                                 "[F15]: OpenAI 10 bn of the labs' 39 bn; rest assumption",
                                 "Shares of lab demand: OpenAI, Anthropic, xAI, other labs.")

    # --- hyperscalers -----------------------------------------------------------------
    hyperscaler_capex_bn_per_year: tuple = p((88.0, 110.0, 85.0, 70.0, 35.0), 0, 1e4, "bn USD/yr",
                                             "[F12] total > 400 with neoclouds; split: assumption",
                                             "Capex of Microsoft, Amazon, Google, Meta, Oracle.")
    hyperscaler_legacy_cash_bn_per_year: tuple = p((130.0, 120.0, 130.0, 100.0, 20.0), 0, 1e4,
                                                   "bn USD/yr", "assumption (2024 filings, rounded)",
                                                   "Operating cash flow of non-AI businesses.")
    hyperscaler_cash_bn: tuple = p((80.0, 90.0, 95.0, 45.0, 11.0), 0, 1e4, "bn USD",
                                   "assumption (2024 filings, rounded)", "Cash at step 0.")
    hyperscaler_bonds_bn: tuple = p((40.0, 55.0, 10.0, 29.0, 90.0), 0, 1e4, "bn USD",
                                    "assumption (2024 filings, rounded)", "Bonds outstanding at step 0.")
    hyperscaler_market_cap_bn: tuple = p((3800.0, 2300.0, 3000.0, 1800.0, 800.0), 0, 1e5, "bn USD",
                                         "assumption (2025 prices)", "Market capitalisation at step 0.")
    hyperscaler_expected_growth_per_year: float = p(1.0, -0.9, 10, "1/yr", "[F17] belief",
                                                    "How strongly hyperscalers believe in exponential growth.")
    capex_learning_rate: float = p(0.15, 0, 1, "1/month", "assumption",
                                   "Speed at which expected growth adapts to realised growth.")
    gpu_capex_share: float = p(0.6, 0, 1, "fraction", "assumption", "Share of capex spent on GPUs.")
    hyperscaler_spv_share: float = p(0.15, 0, 1, "fraction", "[F20] (Meta 27bn of ~70bn)",
                                     "Share of data-centre capex financed off balance sheet through SPVs.")
    hyperscaler_ai_service_weights: tuple = p((1.0, 1.0, 1.0, 1.0, 0.0), 0, 1, "weights",
                                              "assumption (Oracle sells capacity, not its own AI service)",
                                              "Hyperscalers' own AI-service demand is split pro rata to capex times this weight.")
    hyperscaler_dc_stock_months: float = p(36.0, 0, 600, "months of capex", "assumption (three years of build-out)",
                                           "Data centres owned at step 0, in months of step-0 data-centre capex.")
    hyperscaler_gpu_stock_months: float = p(12.0, 0, 600, "months of capex", "assumption (GPUs bought in 2024)",
                                            "GPUs owned at step 0, in months of step-0 GPU capex.")
    hyperscaler_bond_rate_per_year: float = p(0.045, 0, 1, "1/yr", "assumption (AA-rated yields 2024)",
                                              "Coupon of the bonds hyperscalers have outstanding at step 0.")
    hyperscaler_new_bond_rate_per_year: float = p(0.05, 0, 1, "1/yr", "assumption (AA-rated yields 2025)",
                                                  "Coupon of new hyperscaler bonds at the best rating (up to "
                                                  "hyperscaler_rating_free_notch); the credit spread comes on top.")
    hyperscaler_max_debt_to_cash_flow: float = p(2.5, 0, 100, "x yearly cash flow",
                                                 "assumption ([R27]: keeps an excellent-business-risk issuer in the a range, 2-3x)",
                                                 "Bond investors lend up to this multiple of yearly operating cash flow in "
                                                 "visible debt (SPV debt counted only under spv_consolidation; new SPVs "
                                                 "then need the same room).")
    hyperscaler_rating_free_notch: float = p(3.0, 1, 17, "notch (1 AAA, 3 AA, 6 A, 9 BBB)",
                                             "[R9, R27] best-rated coupon up to AA",
                                             "Rating notch up to which a hyperscaler borrows at the best-rated coupon.")
    hyperscaler_spread_per_notch: float = p(0.0045, 0, 1, "1/yr per notch",
                                            "[R9] A3 (SOFR + 225 bp) to Ba2 (SOFR + 450 bp) over five notches",
                                            "Credit spread a hyperscaler's new bonds pay per notch of rating below "
                                            "hyperscaler_rating_free_notch (abm.constraints.RatingGrid).")
    hyperscaler_pd_at_a: float = p(0.0006, 1e-6, 0.5, "1/yr", "[R41] S&P/Moody's one-year default rate at A",
                                   "One-year default rate of an A rating, where the market notch is read.")
    hyperscaler_pd_log_per_notch: float = p(0.45, 0.01, 5, "log(PD) per notch",
                                            "[R41] default rates about x60 from A to B (nine notches)",
                                            "Rise of the log one-year default rate per notch of rating.")
    hyperscaler_asset_volatility: float = p(0.25, 0.01, 5, "1/sqrt(yr)",
                                            "assumption (large tech firms' equity volatility about 30% a year)",
                                            "Asset volatility in a hyperscaler's Merton distance to default.")
    hyperscaler_default_horizon_years: float = p(5.0, 0.1, 50, "years",
                                                 "assumption (maturity of their bonds; Merton 1974)",
                                                 "Horizon of a hyperscaler's Merton distance to default.")
    hyperscaler_capex_cost_elasticity: float = p(1.0, 0, 5, "-dlog capex / dlog user cost",
                                                 "Gilchrist and Zakrajsek (2007): 0.5-1 in the long run",
                                                 "How new capex orders fall as the user cost of capital (coupon plus "
                                                 "depreciation) rises above its step-0 level; 0 turns the rating feedback "
                                                 "on capex off.")
    hyperscaler_user_cost_depreciation_per_year: float = p(0.14, 0, 1, "1/yr",
                                                           "[R5, R6] GPUs 15-20%/yr, buildings 4%/yr, 60/40",
                                                           "Depreciation in the user cost of a hyperscaler's capex.")
    hyperscaler_gpu_lead_months: int = p(6, 1, 60, "months", "[R40] GPU delivery 3-12 months",
                                         "Months over which a GPU order is paid (committed capex).")
    hyperscaler_dc_lead_months: int = p(18, 1, 120, "months", "[R40] data-centre construction 12-24 months",
                                        "Months over which a data-centre order is paid (committed capex).")
    chip_supply_growth_max_per_year: float = p(0.5, 0, 10, "1/yr",
                                               "[R40] advanced-packaging capacity about doubled a year in 2024-25",
                                               "Fastest growth of the GPUs chipmakers can supply: a hyperscaler's new "
                                               "GPU orders are at most its step-0 rate times (1 + g)^(t/12).")
    power_capacity_growth_max_per_year: float = p(0.25, 0, 10, "1/yr",
                                                  "[R40] data-centre electricity +15%/yr (IEA) to +13-27%/yr (LBNL)",
                                                  "Fastest growth of the power new data centres can connect: new "
                                                  "data-centre orders are at most the step-0 rate times (1 + g)^(t/12).")
    hyperscaler_cash_buffer_months: float = p(3.0, 0, 120, "months of capex", "assumption",
                                              "Cash a hyperscaler keeps, in months of step-0 capex, before issuing bonds.")
    hyperscaler_dues_cover: float = p(2.0, 0, 100, "x monthly dues", "assumption",
                                      "Cash kept back from capex as a multiple of the month's contract dues.")
    hyperscaler_payout_share: float = p(0.1, 0, 1, "fraction/month", "assumption",
                                        "Share of cash above its needs a hyperscaler pays to shareholders each month.")
    hyperscaler_renewal_scale_max: float = p(2.0, 1, 100, "x", "assumption",
                                             "Largest growth factor of rented capacity at a yearly renewal.")
    data_centre_depreciation_per_year: float = p(0.04, 0, 1, "1/yr", "assumption (~25-year building life)",
                                                 "Depreciation of data centres (hyperscalers' and SPVs').")

    # --- neoclouds (C2, C4) -----------------------------------------------------------
    coreweave_revenue_bn_per_year: float = p(5.0, 0, 1e4, "bn USD/yr", "[F5]", "CoreWeave revenue 2025.")
    coreweave_spending_bn_per_year: float = p(20.0, 0, 1e4, "bn USD/yr", "[F5]", "CoreWeave spending 2025.")
    coreweave_debt_bn: float = p(14.0, 0, 1e4, "bn USD", "[F6]", "CoreWeave debt at step 0.")
    coreweave_short_term_share: float = p(0.55, 0, 1, "fraction", "[F6] more than half",
                                          "Share of CoreWeave debt due within 12 months.")
    coreweave_lease_bn: float = p(34.0, 0, 1e4, "bn USD", "[F8]", "Lease obligations to 2028.")
    coreweave_lease_months: int = p(48, 1, 600, "months", "[F8] from 2025 to 2028",
                                    "Months over which the lease obligations are paid in equal instalments.")
    coreweave_customer_shares: tuple = p((0.70, 0.10, 0.10, 0.10), 0, 1, "fractions", "[F9]",
                                         "Revenue shares: Microsoft, Nvidia, OpenAI, other customers.")
    coreweave_market_cap_bn: float = p(60.0, 0, 1e5, "bn USD", "assumption (2025 price, rounded)",
                                       "CoreWeave's market capitalisation at step 0 (smaller neoclouds: scaled).")
    coreweave_shareholders: tuple = p((0.93, 0.07), 0, 1, "fractions", "[F10] Nvidia a main investor (7%: assumption)",
                                      "Equity shares of CoreWeave at step 0: outside investors, Nvidia (C8 on).")
    n_small_neoclouds: int = p(3, 0, 10000, "count", "assumption", "Synthetic smaller neoclouds.")
    small_neocloud_scale: float = p(0.25, 0, 10, "x CoreWeave", "assumption",
                                    "Size of each smaller neocloud relative to CoreWeave.")
    small_neocloud_customer_shares: tuple = p((0.7, 0.3), 0, 1, "fractions", "assumption like [F9]",
                                              "Revenue shares of a smaller neocloud: one anchor hyperscaler, spot buyers.")
    small_neocloud_contract_months: int = p(6, 1, 600, "months", "assumption",
                                            "First term of the first smaller neocloud's anchor contract.")
    small_neocloud_contract_stagger_months: int = p(3, 0, 600, "months", "assumption",
                                                    "Each further smaller neocloud's anchor contract runs this much longer.")
    small_neocloud_anchor_deal_x_market_cap: float = p(
        1.16, 0, 100, "x market cap", "[R42] Nebius-Microsoft: 17.4 bn over five years, about 1.16x "
        "Nebius's 15 bn market value when signed",
        "Value of a smaller neocloud's multi-year take-or-pay compute contract with its anchor "
        "hyperscaler (like CoreWeave's [F2] deals), as a multiple of its market value at step 0.")
    small_neocloud_anchor_deal_months: int = p(60, 1, 600, "months", "[R42] five years",
                                               "Term of a smaller neocloud's anchor deal.")
    small_neocloud_anchor_deal_start_step: int = p(8, 0, 600, "step", "[R42] signed September 2025",
                                                   "First month of the smaller neoclouds' anchor-deal payments.")
    gpu_loans_per_neocloud: int = p(24, 1, 1_000_000, "count", "assumption",
                                    "GPU-backed loans per neocloud at step 0.")
    rollover_base_share: float = p(0.95, 0, 1, "fraction", "assumption",
                                   "Probability that a lender rolls a maturing GPU loan at origination LTV, "
                                   "with a borrower covering its dues and full funding (C4).")
    rollover_ltv_sensitivity: float = p(10.0, 0, 1000, "logit per unit LTV",
                                        "He and Xiong (2012); slope: assumption (an underwater loan, "
                                        "LTV 1, is rolled about half the time)",
                                        "Fall of the log-odds of a rollover per unit of the loan's LTV above "
                                        "the origination LTV (0: LTV does not matter).")
    rollover_coverage_sensitivity: float = p(1.0, 0, 1000, "logit per log coverage",
                                             "He and Xiong (2012); slope: assumption",
                                             "Rise of the log-odds of a rollover per unit of the log of the "
                                             "borrower's debt-service coverage (revenue over dues), below 1.")
    neocloud_cash_buffer_months: float = p(2.0, 0, 120, "months", "assumption",
                                           "Months of costs a neocloud keeps before buying GPUs.")
    neocloud_raise_trigger_months: float = p(3.0, 0, 120, "months", "assumption",
                                             "A neocloud raises equity when cash covers fewer months of costs than this.")
    neocloud_raise_months: float = p(6.0, 0, 120, "months", "assumption",
                                     "Size of a neocloud's equity raise, in months of costs.")
    neocloud_opex_bn_per_year: float = p(2.0, 0, 1e4, "bn USD/yr", "assumption (CoreWeave filings, rounded)",
                                         "CoreWeave's operating cost other than leases and debt service (power, staff).")
    neocloud_cash_bn: float = p(2.0, 0, 1e4, "bn USD", "assumption (CoreWeave filings, rounded)",
                                "CoreWeave's cash at step 0 (smaller neoclouds: scaled).")
    neocloud_unpledged_gpu_share: float = p(0.1, 0, 10, "fraction", "assumption",
                                            "GPUs a neocloud owns beyond those pledged to its loans, as a share of the pledged.")

    # --- GPUs and the fire sale (C3) ----------------------------------------------------
    gpu_generation_months: int = p(12, 1, 120, "months", "assumption (Nvidia annual cadence)",
                                   "Months between GPU generation releases.")
    gpu_first_release_step: int = p(9, 0, 600, "step", "assumption (Rubin-class, late 2025)",
                                    "Step of the first new-generation release.")
    gpu_unit_price_k: float = p(40.0, 0.1, 1e4, "k USD/unit", "assumption", "Price of a newest-generation GPU unit.")
    gpu_release_value_drop: float = p(0.25, 0, 0.99, "fraction", "[F24], [R20] 20-30% a generation",
                                      "Fall of the rental rate per unit of compute at each release (each "
                                      "generation has 1/(1-drop) times the compute per unit).")
    gpu_useful_life_months: int = p(72, 1, 600, "months", "[R6] server lives 5-6 years",
                                    "Months a GPU works after its generation's release (then it is retired).")
    gpu_rental_usd_per_hour: float = p(2.0, 0.01, 1000, "USD/H100-hour", "[R19] H100 ~2 USD/hour in 2025",
                                       "Rental rate of an H100-equivalent hour at step 0 at the reference utilisation.")
    gpu_reference_utilisation: float = p(0.8, 0.05, 1, "fraction of hours", "[R21] ~80% of the time",
                                         "Utilisation of installed compute at which the rental rate is the frontier rate.")
    gpu_rental_utilisation_elasticity: float = p(0.5, 0, 5, "", "assumption (rates fall with slack: "
                                                 "H100 8 to under 2 USD/hour as supply caught up [R19])",
                                                 "Elasticity of the rental rate to utilisation: r = r0 (u/u0)^eta.")
    gpu_operating_cost_usd_per_hour: float = p(0.35, 0, 100, "USD/unit-hour",
                                               "assumption (~1.2 kW a GPU with cooling at ~0.08 USD/kWh, plus "
                                               "data-centre space; below [R19] 1.65 full cost)",
                                               "Operating cost of a working GPU unit; a unit earning less is switched off.")
    gpu_utilisation_half_life_months: float = p(
        12.0, 0, 600, "months",
        "assumption (capacity and demand answer a surprise within about a generation, 12 months; "
        "mean-reverting earnings as in Kalouptsidi 2014 and Gavazza 2011)",
        "Half-life of a demand surprise in GPU buyers' expected utilisation: E[x_{t+j}] = u0 + "
        "(x_t - u0) phi^j with phi = 0.5^(1/half-life) (0: gone next month).")
    gpu_rental_demand_elasticity: float = p(
        1.0, 0.1, 10, "", "assumption (buyers spend budgets fixed in dollars: elasticity 1)",
        "Price elasticity of compute hours demanded when demand exceeds capacity: the rental rate "
        "rises until hours wanted equal capacity (scarcity rents).")
    gpu_quality_cap: bool = p(True, source="Gavazza 2011 (used and new units substitute in quality-"
                              "adjusted terms)",
                              doc="A vintage's price is at most the newest vintage's price times its "
                                  "compute relative to the newest.")
    gpu_discount_rate_per_year: float = p(0.12, 0, 1, "1/yr", "[R8] 11-15% (the GPU-loan rate)",
                                          "Rate at which GPU buyers discount a unit's expected rental earnings.")
    gpu_loan_max_ltv: float = p(0.70, 0.05, 0.99, "fraction", "[R5] 50-75%",
                                "Origination LTV: the loan-to-value a new GPU loan is made at.")
    gpu_loan_margin_ltv: float = p(0.85, 0.05, 1.0, "fraction", "assumption",
                                   "Maintenance (trigger) LTV above which a GPU loan is margin-called (m).")
    gpu_loan_cure_ltv: float = p(0.70, 0.05, 0.99, "fraction",
                                 "assumption (repo and margin-lending convention: a call restores the "
                                 "initial margin, so the [R5] origination LTV)",
                                 "Cure LTV a margin call restores (h); at most gpu_loan_margin_ltv.")
    gpu_loan_procyclical_haircut: float = p(0.0, 0, 10, "haircut per unit price gap",
                                            "[R4] h = h0 + k(1 - p/p0) (slope for GPUs: assumption)",
                                            "Slope k of the procyclical haircut on origination and cure LTVs "
                                            "as a vintage's price falls below its scheduled path (0: off).")
    gpu_margin_var_multiple: float = p(
        2.33, 0, 10, "x monthly volatility",
        "Adrian and Shin 2010 (haircuts from value-at-risk); 2.33 = the 99% quantile of a normal over a "
        "one-month liquidation horizon (assumption)",
        "Haircut lenders ask at least, per unit of a vintage's measured monthly price volatility, on GPU "
        "loans' trigger, cure and origination LTVs (C3; 0: contractual terms only).")
    gpu_margin_appetite_elasticity: float = p(
        1.0, 0, 10, "elasticity", "assumption (Brunnermeier and Pedersen 2009: financiers hit by losses "
        "raise margins; 1: a haircut inversely proportional to the lender's lending appetite)",
        "How a fund lender's haircuts on GPU loans rise as its lending appetite falls after losses beyond "
        "those its book expects: the haircut is divided by its appetite relative to its calm-path appetite "
        "(only expected losses) to this power (0: lenders' losses leave margins alone).")
    gpu_margin_volatility_decay: float = p(
        0.97, 0, 0.9999, "per month", "J.P. Morgan/Reuters RiskMetrics (1996): decay 0.97 for monthly data",
        "Weight of last month's variance in the EWMA of GPU price surprises lenders measure volatility with.")
    gpu_loan_rate_per_year: float = p(0.12, 0, 1, "1/yr", "[R8] 11-15%", "Interest rate on GPU loans.")
    gpu_loan_opening_ltv: float = p(0.6, 0.01, 0.99, "fraction", "assumption below [R5] 50-75% max",
                                    "Loan-to-value of the GPU loans outstanding at step 0.")
    gpu_loan_lenders_per_loan: int = p(3, 1, 1000, "count", "assumption (club deals)",
                                       "Private-credit funds sharing each new GPU-backed loan.")
    gpu_loan_new_maturity_months: int = p(36, 1, 600, "months", "assumption ([F6] short-dated debt)",
                                          "Maturity of a new GPU-backed loan.")
    gpu_loan_opening_max_maturity_months: int = p(48, 13, 600, "months", "assumption ([F6] more than half within a year)",
                                                  "Opening loans not due within a year mature evenly from month 13 to this month.")
    gpu_loan_amortisation_months: int = p(48, 1, 600, "months", "assumption ([R6] server lives 4-6 years)",
                                          "Amortisation term of GPU-backed loans, new and opening.")
    gpu_loan_rollover_months: int = p(12, 1, 600, "months", "assumption",
                                      "Extension of a maturing GPU loan that lenders roll over.")
    fire_sale_depth_share: float = p(3.0, 0.001, 100, "x tradable units",
                                     "[R1], [R3]; assumption: at step 0 about the depth of the former "
                                     "0.5 x all units (2.1-2.9 x tradable units per vintage)",
                                     "Market depth per vintage as a multiple of its tradable units (levered holders' "
                                     "units plus the month's turnover): selling that many cuts the price by e.")
    gpu_market_turnover_per_month: float = p(0.015, 0, 1, "fraction/month",
                                             "assumption (based on [R6]: 5-6-year server lives retire "
                                             "about 1/66 of a fleet a month)",
                                             "Share of unlevered fleets (hyperscalers') that trades in a normal "
                                             "month and so adds to market depth.")
    gpu_market_outside_buyer_share: float = p(
        0.5, 0, 1, "fraction", "assumption (Shleifer and Vishny 1992; Pulvino 1998: constrained industry "
        "buyers lower used-asset prices)",
        "Share of the GPU market's depth brought by buyers financed outside the model; the rest scales with "
        "the GPU lenders' lending appetite, so losses thin the market (C3).")
    price_impact_persistence: float = p(0.5, 0, 1, "fraction/month", "assumption",
                                        "Share of a fire-sale discount still in the next month's reference price.")

    # --- AI labs and the chipmaker (C1, C8) ---------------------------------------------
    openai_loss_bn_per_year: float = p(15.0, 0, 1e4, "bn USD/yr", "[F15]", "OpenAI loss 2025.")
    openai_oracle_contract_bn: float = p(300.0, 0, 1e5, "bn USD", "[F14]", "OpenAI compute contract with Oracle.")
    openai_oracle_contract_months: int = p(60, 1, 600, "months", "[F14], [F15] (60 bn a year: five years)",
                                           "Term of OpenAI's Oracle contract.")
    openai_amazon_contract_bn: float = p(38.0, 0, 1e5, "bn USD", "[F14]", "OpenAI compute contract with Amazon.")
    openai_amazon_contract_months: int = p(84, 1, 600, "months", "assumption (seven-year deal, public reports)",
                                           "Term of OpenAI's Amazon contract.")
    openai_amazon_contract_start_step: int = p(10, 0, 600, "step", "assumption (November 2025 announcement)",
                                               "First month of OpenAI's Amazon payments.")
    openai_coreweave_contract_bn: float = p(22.0, 0, 1e5, "bn USD", "[F2], [F14]", "OpenAI contract with CoreWeave.")
    openai_coreweave_contract_months: int = p(60, 1, 600, "months", "assumption", "Term of OpenAI's CoreWeave contract.")
    openai_coreweave_contract_start_step: int = p(6, 0, 600, "step", "assumption ([F2] recent months)",
                                                  "First month of OpenAI's CoreWeave payments.")
    meta_coreweave_contract_bn: float = p(14.0, 0, 1e5, "bn USD", "[F2]", "Meta contract with CoreWeave.")
    meta_coreweave_contract_months: int = p(72, 1, 600, "months", "assumption", "Term of Meta's CoreWeave contract.")
    meta_coreweave_contract_start_step: int = p(9, 0, 600, "step", "assumption ([F2] recent months)",
                                                "First month of Meta's CoreWeave payments.")
    nvidia_coreweave_contract_bn: float = p(6.0, 0, 1e5, "bn USD", "[F2]", "Nvidia contract with CoreWeave.")
    nvidia_coreweave_contract_months: int = p(48, 1, 600, "months", "assumption", "Term of Nvidia's CoreWeave contract.")
    nvidia_coreweave_contract_start_step: int = p(6, 0, 600, "step", "assumption ([F2] recent months)",
                                                  "First month of Nvidia's CoreWeave payments.")
    oracle_contract_start_step: int = p(18, 0, 600, "step", "assumption", "First month of OpenAI's Oracle payments.")
    lab_cash_months: float = p(12.0, 0, 240, "months", "assumption", "Labs' cash at step 0 in months of costs.")
    lab_valuation_bn: tuple = p((300.0, 60.0, 80.0, 100.0), 0, 1e5, "bn USD", "assumption (2025 rounds, rounded)",
                                "Valuations at step 0: OpenAI, Anthropic, xAI, other labs.")
    lab_spending_x_revenue: tuple = p((2.0, 12.0, 1.3), 0, 1e3, "x revenue", "assumption ([F16] 400 bn spent on 60 bn)",
                                      "Spending over revenue of Anthropic, xAI and other labs (OpenAI's follows from its loss [F15]).")
    lab_failure_demand_moving_share: float = p(
        0.5, 0, 1, "fraction",
        "assumption (users switch between labs' near-substitute APIs; the training compute that "
        "is most of a loss-making lab's spending [F15, F16] moves to no one)",
        "Share of a failed lab's last compute spending that moves to the surviving labs (then "
        "follows the labs' AI demand); the rest vanishes from compute demand.")
    hyperscaler_service_compute_x_revenue: float = p(
        6.0, 1, 15, "x revenue",
        "assumption within [F16]'s 1.3-12x (labs' compute spending over revenue): hyperscalers' own "
        "AI (training their own models, internal uses) spends a multiple of its AI-service revenue as "
        "labs do; at 6 the modelled buyers rent about the whole step-0 fleet (k = 1.02)",
        "Compute a hyperscaler buys for its own AI (services, training, internal uses) per dollar "
        "of its AI-service revenue.")
    lab_opex_share: float = p(0.3, 0, 0.99, "fraction", "assumption",
                              "Share of a lab's spending that is not compute (staff, other operating costs).")
    anthropic_compute_shares: tuple = p((0.6, 0.4), 0, 1, "fractions", "assumption",
                                        "Shares of Anthropic's compute bought from Amazon and Google.")
    openai_shareholders: tuple = p((0.27, 0.73), 0, 1, "fractions", "assumption (Microsoft ~27%)",
                                   "Equity shares of OpenAI at step 0: Microsoft, outside investors.")
    anthropic_shareholders: tuple = p((0.15, 0.14, 0.71), 0, 1, "fractions", "assumption",
                                      "Equity shares of Anthropic at step 0: Amazon, Google, outside investors.")
    lab_runway_months_min: float = p(12.0, 0, 120, "months",
                                     "assumption (venture practice: raise with 12-18 months of runway left)",
                                     "A lab plans an equity round when its cash covers fewer months of losses "
                                     "than this.")
    lab_round_months: float = p(12.0, 0, 240, "months", "assumption",
                                "A lab's equity round aims at this many months of losses more than "
                                "lab_runway_months_min.")
    lab_round_pace: float = p(4.0, 0, 100, "months of burn per month",
                              "Gompers (1995) staged financing; level: assumption (0.4.0's 12-month "
                              "rounds a quarter apart)",
                              "Months of a lab's losses outside investors at full appetite fund per "
                              "month since its last round.")
    lab_round_interval_months: int = p(3, 0, 600, "months",
                                       "assumption (about a quarter to arrange a private round; 0 or 1 is "
                                       "the monthly rule of model 0.2.0)",
                                       "Months after a lab's equity round (funded in full, in part or not at "
                                       "all) before it can hold another.")
    lab_renewal_scale_max: float = p(3.0, 1, 100, "x", "assumption",
                                     "Largest growth factor of a lab's rolling compute contract at a yearly renewal.")
    nvidia_openai_investment_bn: float = p(100.0, 0, 1e5, "bn USD", "[F13]", "Nvidia's committed investment in OpenAI.")
    nvidia_openai_tranches: int = p(10, 1, 1000, "count", "assumption (10 bn per gigawatt deployed)",
                                    "Equal tranches in which Nvidia pays its OpenAI commitment.")
    nvidia_openai_first_tranche_step: int = p(9, 0, 600, "step", "assumption (October 2025)",
                                              "Month of the first tranche of Nvidia's OpenAI investment.")
    nvidia_cash_bn: float = p(60.0, 0, 1e5, "bn USD", "assumption (2025 filings, rounded)", "Nvidia cash at step 0.")
    nvidia_market_cap_bn: float = p(4300.0, 0, 1e6, "bn USD", "assumption (2025 price)", "Nvidia market cap at step 0.")
    nvidia_gross_margin: float = p(0.75, 0, 1, "fraction", "assumption (2025 filings)", "Gross margin on GPU sales.")
    chipmaker_tranche_every_months: int = p(6, 1, 600, "months", "assumption",
                                            "Months between tranches of the chipmaker's investment commitments.")
    chipmaker_tranche_sentiment_min: float = p(0.6, 0, 10, "sentiment", "assumption",
                                               "The chipmaker pays no tranche while AI sentiment is below this.")
    chipmaker_cash_target_bn: float = p(60.0, 0, 1e5, "bn USD", "assumption (Nvidia's step-0 cash)",
                                        "Cash above which the chipmaker pays out to shareholders.")
    chipmaker_payout_share: float = p(0.1, 0, 1, "fraction/month", "assumption",
                                      "Share of cash above the target paid to shareholders each month.")
    chipmaker_cash_floor_bn: float = p(5.0, 0, 1e5, "bn USD", "assumption",
                                       "Cash the chipmaker keeps when paying investment tranches.")
    outside_investor_appetite: float = p(1.0, 0, 10, "x", "assumption",
                                         "Scale of outside investors' funding of lab losses at neutral sentiment.")
    investor_appetite_cover_multiple: float = p(3.0, 0, 1e3, "x", "assumption",
                                                "Outside investors fund rounds fully when revenue covers 1/x of costs: min(1, x * revenue / costs).")
    equity_issue_cost: float = p(0.07, 0, 0.9, "fraction of the price",
                                 "Altinkilic and Hansen (2000) SEO spreads ~5%; offer discount ~2% "
                                 "(Eckbo, Masulis and Norli 2007)",
                                 "New shares of a neocloud or lab are sold this much below the market "
                                 "(or last round's) price: the issuance cost, borne by existing holders.")
    equity_issue_max_share_per_year: float = p(0.3, 0, 10, "fraction of equity value per year",
                                               "Nasdaq rule 5635(d): over 20% in one discounted sale "
                                               "needs a shareholder vote; 0.3 a year: assumption",
                                               "Most new shares a neocloud or lab sells in any 12 months, as a "
                                               "share of its equity value.")
    equity_issue_min_value_to_debt: float = p(0.25, 0, 100, "x debt",
                                              "Myers (1977) debt overhang; level: assumption (market "
                                              "leverage above 80%)",
                                              "A neocloud or lab sells no new shares while its equity value "
                                              "is below this multiple of its interest-bearing debt.")
    vendor_financing_share: float = p(0.1, 0, 1, "fraction", "[F10] (share: assumption)",
                                      "Share of a neocloud's equity round the chipmaker funds (C8).")
    chipmaker_real_assets_bn: float = p(50.0, 0, 1e5, "bn USD", "assumption (2025 filings, rounded)",
                                        "Nvidia's property, plant, inventory and other non-cash assets at step 0.")
    deals: tuple = p(DEALS_2025, None, None, "step, bn USD",
                     "[F1] IPO March 2025 (1.5 bn: assumption); [F13] November 2025",
                     "Dated equity deals, a [[deals]] list of tables (step, issuer, investor, amount_bn, "
                     "kind, optional channel): the issuer sells new equity to the investor.")

    # --- private credit (C5, C6) ----------------------------------------------------------
    pc_tech_lending_bn: float = p(450.0, 0, 1e5, "bn USD", "[F28]", "Private credit lent to the tech sector.")
    pc_other_loans_bn: float = p(1250.0, 0, 1e5, "bn USD", "assumption (~1.7tn AUM)", "Private credit's non-AI loan book.")
    n_pc_funds: int = p(4, 1, 10000, "count", "assumption", "Private-credit funds (Blue Owl first).")
    pc_lead_fund_share: float = p(0.3, 0, 1, "fraction", "assumption ([F20] Blue Owl the largest AI lender)",
                                  "Blue Owl's share of private credit's books; the other funds share the rest equally.")
    pc_other_loan_rate_per_year: float = p(0.09, 0, 1, "1/yr", "assumption ([R8] 9-15% on neocloud debt)",
                                           "Interest rate on private credit's non-AI and other tech loans.")
    pc_cash_reserve_share: float = p(0.03, 0, 1, "fraction of NAV", "assumption",
                                     "Cash a fund keeps (and holds at step 0, of its loans); it draws bank lines below it.")
    pc_distribution_reserve_multiple: float = p(2.0, 1, 100, "x reserve", "assumption",
                                                "A fund distributes cash above this multiple of its reserve to its LPs.")
    pc_loss_memory_months: int = p(12, 1, 600, "months", "assumption",
                                   "Months of credit losses that weigh on a fund's lending appetite.")
    pc_credit_line_rate_per_year: float = p(0.07, 0, 1, "1/yr", "[R8] revolver ~7%",
                                            "Interest rate on banks' credit lines to private-credit funds.")
    pc_line_banks_per_fund: int = p(3, 1, 1000, "count", "assumption",
                                    "Banks sharing each fund's credit lines.")
    pc_line_limit_multiple: float = p(1.25, 1, 100, "x drawn", "assumption",
                                      "Credit-line limit at step 0 as a multiple of the amount drawn.")
    bank_nbfi_loans_bn: float = p(1200.0, 0, 1e5, "bn USD", "assumption (Fed H.8)", "Bank loans to non-bank financials.")
    bank_pc_lending_share: float = p(0.25, 0, 1, "fraction",
                                     "[F31] 1% in 2013, 25% now; [R14] ~23%, or 0.08 for the Fed's 95 bn to private-debt funds",
                                     "Share of banks' non-bank lending drawn by private-credit funds at step 0.")
    pc_nav_smoothing: float = p(0.9, 0, 0.999, "decay/month", "[F30], [R22] (1-0.9^3 = 27% of a loss in a quarter)",
                                "GLM smoothing: weight of the mark (loss return) k months ago is proportional to this**k.")
    pc_nav_smoothing_lags: int = p(24, 0, 600, "months", "assumption (Getmansky-Lo-Makarov 2004 MA(K) [R22])",
                                   "Lags K of the moving average of marks (credit-loss returns) in the reported return.")
    pc_facility_amortisation_months: int = p(0, 0, 600, "months", "assumption ([R14] bank lending to funds grows)",
                                             "Facilities amortise 1/this of the opening draw a month (0: refinanced, stay drawn).")
    pc_max_loan_to_nav: float = p(0.25, 0.05, 2.0, "fraction of NAV",
                                  "assumption ([R16] NAV facilities ~11% of NAV, covenant ~2.3x that; [R15] BDC cap 2x)",
                                  "Covenant: maximum drawn facilities over the NAV the bank sees.")
    n_pc_bdcs: int = p(3, 0, 1000, "count", "assumption ([R15]; e.g. Blue Owl Technology Finance)",
                       "Levered, listed private-credit vehicles (BDCs) holding tech loans, after the funds.")
    pc_bdc_tech_share: float = p(0.25, 0, 1, "fraction", "assumption ([R15] BDCs ~0.45 tn, software their "
                                 "largest sector)", "Share of private credit's other tech loans [F28] held by BDCs.")
    pc_bdc_debt_to_equity: float = p(0.94, 0, 2.0, "x equity", "[R15] average 0.94x at end-2024",
                                     "BDCs' bank debt over equity at step 0, and the target they lend to.")
    pc_bdc_leverage_spread: float = p(0.3, 0, 1, "fraction", "assumption ([R15] BDCs run from little debt to the 2x cap)",
                                      "BDCs' target debt/equity runs evenly from (1 - this) to (1 + this) times the average.")
    pc_bdc_max_debt_to_equity: float = p(2.0, 0.05, 10.0, "x equity", "[R15] asset coverage 150% since 2018",
                                         "BDCs' covenant: maximum bank debt over the NAV the bank sees.")
    pc_delever_target_share: float = p(0.95, 0.5, 1.0, "x maximum", "[R3] deleverage to 95% of the maximum",
                                       "A fund in breach pays its facilities down to this share of the maximum.")
    loan_market_impact_of_tenth_sold: float = p(
        0.10, 0.001, 0.9, "fraction of price", "[R32] Cont and Schaanning: 10% for a tenth of the market",
        "Price fall of a class of private loans (or of fund interests) when a tenth of what is outstanding is "
        "sold in a month and every buyer is unconstrained: the depth D in 1 - exp(-q/D) [R3].")
    loan_market_outside_buyer_share: float = p(
        0.5, 0.01, 1, "fraction", "assumption (Shleifer and Vishny 1992: the natural buyers are other lenders)",
        "Share of the market's depth that comes from buyers outside the model's private-credit vehicles "
        "(secondary funds, CLOs, banks); the rest shrinks with the share of the class held by forced sellers.")
    loan_market_mark_persistence: float = p(
        0.85, 0, 1, "1/month", "assumption (Coval and Stafford 2007: fire-sale price pressure reverts in months)",
        "Share of a class's price discount that remains after a month.")
    pc_semi_liquid_share: float = p(
        0.3, 0, 1, "fraction", "assumption ([R29]: 46% of BDC assets are in perpetual non-traded vehicles)",
        "Share of each fund's non-insurer units held through semi-liquid vehicles (evergreen and interval "
        "funds, non-traded BDCs) by wealth investors, who may redeem each month within the gate.")
    run_flow_performance_sensitivity: float = p(
        1.0, 0, 100, "share per unit loss", "assumption (Goldstein, Jiang and Ng 2017: outflows follow poor returns)",
        "Share of their units wealth investors ask to redeem in a month per unit of the shortfall of the fund's "
        "reported return per month over the last quarter from the return they expected.")
    run_expectation_months: int = p(
        12, 1, 120, "months", "assumption (Greenwood and Shleifer 2014: investors' expected returns follow "
        "the past year's)",
        "Months before the last quarter whose reported return per month wealth investors expect to continue.")
    run_complementarity: float = p(
        5.0, 0, 100, "1/(first-mover gain)", "assumption (Chen, Goldstein and Jiang 2010; Goldstein, Jiang and Ng 2017)",
        "How much investors' expected redemptions raise each one's own: requests r = r_perf / (1 - k g), g the "
        "gain of redeeming first (stale NAV above true NAV, and the loan market's discount stayers bear).")
    pc_redemption_gate_per_quarter: float = p(0.05, 0, 1, "fraction of NAV", "[R13]", "Redemption gate of semi-liquid funds.")
    credit_spread_per_appetite_loss: float = p(0.10, 0, 1, "1/yr", "[R8], [R12] (assumption)",
                                               "Extra yearly rate on new GPU loans as lending appetite falls from 1 to 0.")
    pc_loss_appetite_sensitivity: float = p(10.0, 0, 1e3, "1/(loss share)", "assumption",
                                            "How fast lending appetite falls with recent losses.")
    tech_credit_loss_step: int = p(-1, -1, 600, "step", "assumption",
                                   "Month of a scripted write-off of a share of private credit's tech loans, on top of their modelled defaults (-1: never) [F28].")
    tech_credit_loss_share: float = p(0.0, 0, 1, "fraction", "assumption",
                                      "Share of that book lost (borrowers outside the modelled firms).")
    tech_loan_size_bn: float = p(0.5, 0.001, 1e3, "bn USD",
                                 "assumption (direct-lending deals of 0.1-1 bn and more)",
                                 "Size of one loan in private credit's tech book: the book has book/size borrowers.")
    tech_loan_pd_per_year: float = p(0.015, 0.001, 0.3, "1/yr",
                                     "[R28] senior loans 1.4-2.7%, Fitch 5.0-5.7%; [R29] BDC non-accruals 3-5%",
                                     "Tech borrowers' one-year default rate when AI spending is as expected: it sets their idiosyncratic revenue volatility (abm.tech_borrowers).")
    tech_borrower_cohorts: int = p(8, 1, 1000, "count", "assumption",
                                   "Cohorts of AI-exposed software and infrastructure firms every fund's tech pool lends to pro rata.")
    tech_borrower_ai_revenue_share: float = p(0.3, 0, 0.66, "fraction of revenue",
                                              "assumption (AI-exposed software and infrastructure vendors)",
                                              "Mean share of tech borrowers' revenue that follows AI spending (cohorts from 0.5x to 1.5x it): the loading on the common factor (0: defaults ignore the AI economy).")
    tech_borrower_ebitda_margin: float = p(0.3, 0.01, 0.9, "fraction of revenue",
                                           "assumption (sponsor-backed software borrowers, EBITDA margins ~20-40%)",
                                           "Tech borrowers' EBITDA margin when revenue is as expected.")
    tech_borrower_fixed_cost_share: float = p(0.3, 0, 1, "fraction of costs",
                                              "assumption (staff and committed hosting do not scale with sales in a year)",
                                              "Share of tech borrowers' operating costs that does not fall with revenue (operating leverage).")
    tech_borrower_debt_to_ebitda: float = p(5.5, 0.5, 15, "x EBITDA",
                                            "assumption (direct-lending leverage of about 5-6x EBITDA)",
                                            "Tech borrowers' debt over EBITDA at underwriting.")
    tech_borrower_ev_to_ebitda: float = p(12.0, 1, 50, "x EBITDA",
                                          "assumption (software deal multiples of 10-15x EBITDA)",
                                          "Asset value of a tech borrower, the present value of its expected operating cash flow, as a multiple of EBITDA (Goldstein, Ju and Leland 2001).")
    tech_underwriting_window_months: int = p(12, 1, 120, "months",
                                             "assumption (a year-ahead forecast, as Hyperscaler.disappointment)",
                                             "Tech borrowers' revenue is compared with what lenders expected this many months earlier (the common factor).")
    tech_cohort_revenue_volatility: float = p(0.05, 0, 1, "log-sd",
                                              "assumption (sector-wide revenue surprises of a few percent)",
                                              "Stationary volatility of a cohort's common revenue shock (AR(1) from the credit stream).")
    tech_cohort_shock_reversion_per_year: float = p(0.7, 0.05, 12, "1/yr", "assumption (half-life of about a year)",
                                                    "Speed at which a cohort's revenue shock reverts to 0 (its AR(1) persistence is exp(-this/12) a month).")
    tech_factor_reversion_per_year: float = p(0.7, 0.05, 12, "1/yr",
                                              "assumption (CECL/IFRS 9: a 1-2 year forecast, then reversion to the long-run mean; half-life ~1 year)",
                                              "Speed at which the AI-spending surprise is expected to revert to 0 on the path lifetime expected losses (fair value) are measured on.")
    tech_loan_bankruptcy_cost: float = p(0.25, 0, 1, "fraction of asset value",
                                         "Andrade and Kaplan 1998 (distress costs 10-20% of firm value) plus legal costs; assumption",
                                         "Share of a defaulted tech borrower's asset value lost in default: recovery is the rest, at most the face.")
    tech_loan_maturity_months: int = p(60, 1, 240, "months", "assumption (direct-lending loans of 5-7 years)",
                                       "Maturity of a new tech loan; the opening book is a rolling book with half of it to run.")
    tech_loan_growth_bn_per_year: float = p(400.0, 0, 1e4, "bn USD/yr", "[F28] another 800 bn over two years",
                                            "New tech lending by private credit a year (scaled by the funds' appetite).")
    tech_loan_growth_months: int = p(24, 0, 600, "months", "[F28] over the next two years",
                                     "Months from step 0 during which funds grow their tech book.")

    # --- banks (C6) --------------------------------------------------------------------
    n_banks: int = p(4, 1, 10000, "count", "assumption", "Banks.")
    bank_total_assets_bn: float = p(12000.0, 0, 1e6, "bn USD", "assumption (large US banks)",
                                    "Banks' core assets (cash, hyperscaler and other loans); lending to "
                                    "private credit and the AI build-out comes on top ([R30]).")
    bank_capital_ratio: float = p(0.13, 0.0, 1, "fraction of RWA", "assumption", "Bank CET1 ratio at step 0.")
    bank_capital_min: float = p(0.07, 0, 1, "fraction of RWA", "[R10] 4.5% + 2.5%",
                                "Minimum CET1 ratio plus conservation buffer: below it no payouts and a credit crunch (C6).")
    bank_hyperscaler_loans_bn: float = p(100.0, 0, 1e5, "bn USD", "assumption", "Bank term loans to hyperscalers.")
    bank_cash_share: float = p(0.1, 0, 1, "fraction of assets", "assumption (reserves and Treasuries)",
                               "Banks' cash at step 0.")
    bank_hyperscaler_loan_rate_per_year: float = p(0.055, 0, 1, "1/yr", "assumption (term-loan rates 2025)",
                                                   "Interest rate on bank term loans to hyperscalers.")
    bank_other_loan_rate_per_year: float = p(0.055, 0, 1, "1/yr", "assumption (loan yields 2025)",
                                             "Interest rate on banks' other loans.")
    bank_deposit_rate_per_year: float = p(0.02, 0, 1, "1/yr", "assumption (deposit rates 2025)",
                                          "Interest rate banks pay on deposits.")
    bank_line_cut: float = p(0.25, 0, 1, "fraction/month", "assumption",
                             "Share of its credit lines to private credit a bank below its buffer cuts each month (C6).")
    bank_tightening_spread_per_year: float = p(
        0.015, 0, 1, "1/yr", "assumption (about the rise of US banks' C&I loan spreads over the "
        "reference rate in 2008-09; Bassett, Chosak, Driscoll and Zakrajsek 2014 on lending standards)",
        "What a bank that has used up its whole management buffer adds to the rate of a new GPU loan; "
        "a bank that has used up a share tau of it adds tau times this (C6).")
    bank_payout_share: float = p(0.5, 0, 1, "fraction of net income", "assumption (US banks pay out "
                                 "roughly half to all of earnings in calm years)",
                                 "Share of positive net income a bank between its buffer and its target "
                                 "ratio pays as dividends (all of it above the target, none below the buffer).")
    bank_operating_cost_per_year: float = p(0.02, 0, 1, "fraction of assets/yr",
                                            "assumption (based on US banks' return on equity of about "
                                            "12%: the model's interest margin is about 3% of assets)",
                                            "Operating costs net of fee income, a share of opening assets.")
    bank_loan_runoff_per_month: float = p(0.05, 0, 1, "fraction/month", "assumption",
                                          "Share of its hyperscaler and other loans a bank below its buffer "
                                          "lets run off each month (C6).")
    bank_fund_line_lgd: float = p(0.35, 0, 1, "fraction", "assumption (based on the Basel II foundation-IRB "
                                  "LGD of 35% for exposures secured by receivables)",
                                  "Loss given default on credit lines to private-credit funds.")
    bank_corporate_lgd: float = p(0.45, 0, 1, "fraction", "assumption (based on the Basel II foundation-IRB "
                                  "LGD of 45% for senior unsecured claims)",
                                  "Loss given default on loans to hyperscalers and other borrowers.")
    bank_other_loan_pd_per_year: float = p(0.02, 0, 1, "1/yr", "assumption (based on US banks' allowances "
                                           "of about 1% of loans)",
                                           "Through-the-cycle one-year PD of banks' other loans.")
    bank_gpu_loan_share: float = p(0.25, 0, 0.95, "fraction of each loan",
                                   "assumption ([R31] syndicated GPU loans with banks and funds as lenders; "
                                   "no public split)",
                                   "Banks' syndicate share of each new GPU-backed loan to a neocloud.")
    gpu_loan_sofr_per_year: float = p(0.043, 0, 1, "1/yr", "assumption (SOFR about 4.3% in 2025)",
                                      "Base rate of banks' GPU loans, priced at SOFR plus a spread.")
    gpu_loan_ig_customer_spread_per_year: float = p(0.0225, 0, 1, "1/yr",
                                                    "[R31] SOFR + 225 bp, investment-grade customer",
                                                    "Spread of a bank's GPU loan on revenue contracted with "
                                                    "hyperscalers.")
    gpu_loan_lab_customer_spread_per_year: float = p(0.06, 0, 1, "1/yr",
                                                     "[R31] DDTL 2.0's lowest tranche, SOFR + 600 bp",
                                                     "Spread of a bank's GPU loan on revenue contracted with "
                                                     "AI labs (unrated customers).")
    gpu_loan_uncontracted_spread_per_year: float = p(0.13, 0, 1, "1/yr",
                                                     "[R31] DDTL 2.0's highest tranche, SOFR + 1300 bp",
                                                     "Spread of a bank's GPU loan on revenue no contract covers.")
    bank_fund_asset_volatility: float = p(0.10, 0.001, 10, "1/sqrt(yr)", "assumption (based on leveraged-"
                                          "loan price volatility of 5-15% a year)",
                                          "Asset volatility in the Merton PD of a private-credit fund.")
    bank_corporate_asset_volatility: float = p(0.25, 0.001, 10, "1/sqrt(yr)", "assumption (based on "
                                               "large tech firms' equity volatility of about 30% a year)",
                                               "Asset volatility in the Merton PD of a hyperscaler.")

    # --- insurers (C7) -------------------------------------------------------------------
    n_insurers: int = p(5, 1, 10000, "count", "assumption", "Life insurers.")
    insurer_pc_bn: float = p(1000.0, 0, 1e6, "bn USD", "[F32]", "Insurers' private-credit holdings.")
    insurer_total_assets_bn: float = p(5000.0, 0, 1e6, "bn USD", "assumption (US life insurers)", "Insurer assets.")
    n_pe_insurers: int = p(1, 0, 10000, "count", "assumption (one of the five, sized by insurer_pe_asset_share)",
                           "Of the life insurers, those affiliated with private-equity firms (the rest are traditional).")
    insurer_pe_asset_share: float = p(0.09, 0, 1, "fraction of insurers' assets",
                                      "[R33] PE-affiliated insurers held about 9% of US life assets (2023)",
                                      "Share of the insurers' assets held by the private-equity-affiliated ones.")
    insurer_pe_pc_multiple: float = p(2.5, 1, 20, "x traditional share",
                                      "assumption (based on [R17], [R33]: PE-owned insurers drive the growth of "
                                      "private placements)",
                                      "Private credit's share of a PE-affiliated insurer's assets over a traditional one's.")
    insurer_placement_share: float = p(0.6, 0, 1, "fraction of insurers' private credit",
                                       "[R17] 0.85 tn of private placements in a private-credit total of 0.85-2 tn",
                                       "Share of insurers' private credit held as rated private placements (the rest: "
                                       "fund interests; ABS come from the SPVs).")
    insurer_placement_tech_share: float = p(0.25, 0, 1, "fraction of placements",
                                            "assumption (based on [F28]: about 450 bn of private credit's roughly "
                                            "1.7-2 tn lends to tech)",
                                            "Share of insurers' placements lent to the AI-exposed tech cohorts; the rest "
                                            "is in their investment-grade bond book.")
    insurer_placement_debt_to_ebitda: float = p(3.5, 0.5, 15, "x EBITDA",
                                                "[R27] investment grade on S&P's grid; [R33] placements mostly NAIC 1-2",
                                                "Leverage of a placement borrower at underwriting (the funds' borrowers: "
                                                "tech_borrower_debt_to_ebitda).")
    insurer_placement_rate_per_year: float = p(0.06, 0, 1, "1/yr",
                                               "[R17] investment-grade yields plus about 80 bp for private placements",
                                               "Coupon of insurers' tech placements.")
    insurer_placement_maturity_months: float = p(120.0, 1, 600, "months",
                                                 "assumption (private placements run 7-15 years)",
                                                 "Maturity of a new placement in the rolling book.")
    insurer_solvency_ratio: float = p(4.45, 0, 100, "x ACL RBC", "[R18] typical life insurer ~445%",
                                      "RBC ratio insurers manage to: below it they pay no dividends.")
    insurer_solvency_min: float = p(2.0, 0, 100, "x ACL RBC", "[R18] company action level 200%",
                                    "RBC ratio below which the regulator forces insurers to sell (C7).")
    insurer_derisk_ratio: float = p(3.5, 0, 100, "x ACL RBC",
                                    "assumption (the capital an A-AA rating needs: large US life insurers state RBC "
                                    "targets of about 350-425%)",
                                    "RBC ratio below which an insurer de-risks by choice, selling its riskiest holdings (C7).")
    insurer_derisk_share_per_month: float = p(0.1, 0, 1, "fraction per month",
                                              "assumption (de-risking over about a year, not in a fire sale)",
                                              "Most of each holding an insurer sells in a month when de-risking by choice.")
    insurer_c2_factor: float = p(0.004, 0, 0.1, "fraction of reserves",
                                 "assumption (based on [R43]: insurance risk is small for annuity-heavy books)",
                                 "C2 (insurance risk) of the life RBC formula per USD of policy reserves.")
    insurer_c3a_factor: float = p(0.01, 0, 0.1, "fraction of reserves",
                                  "[R43] interest-rate risk factors of 0.75-3% of reserves by risk class",
                                  "C3a (interest-rate risk) of the life RBC formula per USD of policy reserves.")
    insurer_c4a_factor: float = p(0.002, 0, 0.1, "fraction of reserves",
                                  "assumption (based on [R43]: business risk is a few % of a year's premiums)",
                                  "C4a (business risk) of the life RBC formula per USD of policy reserves.")
    insurer_withdrawable_share: float = p(0.1, 0, 1, "fraction of reserves",
                                          "assumption (funding agreements and annuities surrenderable without charge)",
                                          "Share of an insurer's liabilities policyholders can withdraw at short notice.")
    insurer_withdrawal_sensitivity: float = p(0.05, 0, 1, "1/month",
                                              "assumption (based on Foley-Fisher, Narajabad and Verani 2020)",
                                              "Share of the withdrawable liabilities withdrawn a month at the company "
                                              "action level (0 at the ratio the insurer manages to, linear between).")
    insurer_sale_target_margin: float = p(0.5, 0, 100, "x ACL RBC", "assumption (back to 250%, above the CAL)",
                                          "Margin above the threshold that an insurer's forced sales aim to restore.")
    insurer_rbc_acl_share: float = p(0.5, 0, 1, "fraction", "[R18] ACL RBC is half the RBC total",
                                     "Share of the summed asset charges that is authorised-control-level RBC.")
    insurer_charge_fund_interest: float = p(0.30, 0, 1, "fraction", "[R18] equity-like holdings 30%",
                                            "RBC charge on private-credit fund interests.")
    insurer_charge_abs: float = p(0.30, 0.01, 0.45, "fraction",
                                  "assumption (based on [R18]: equity-like 30%, residual tranches 45%)",
                                  "RBC charge on mezzanine data-centre ABS (an IG rating would carry ~1-2%).")
    insurer_charge_bond: float = p(0.01, 0, 0.3, "fraction", "assumption (based on NAIC C-1 factors for NAIC 1-2 bonds)",
                                   "RBC charge on investment-grade bonds.")
    insurer_fire_sale_discount: float = p(0.15, 0, 1, "fraction", "assumption (LP-interest secondaries, Ellul et al. 2011)",
                                          "Discount at which insurers sell fund interests and ABS in a forced sale.")
    insurer_redemption_share: float = p(0.5, 0, 1, "fraction", "assumption (semi-liquid funds' gates [R13])",
                                        "Share of a forced sale of fund interests asked of the funds as redemptions "
                                        "(gated, at NAV); the rest is sold on the secondary market.")
    insurer_cash_share: float = p(0.02, 0, 1, "fraction of assets", "assumption",
                                  "Insurers' cash at step 0 (the rest beyond other holdings is bonds).")
    insurer_bond_rate_per_year: float = p(0.05, 0, 1, "1/yr", "assumption (IG corporate yields 2025)",
                                          "Yield of insurers' bond holdings.")
    insurer_policy_rate_per_year: float = p(0.045, 0, 1, "1/yr", "assumption (annuity crediting rates)",
                                            "Rate credited on policy reserves.")
    insurer_liquidity_buffer_share: float = p(0.01, 0, 1, "fraction of assets", "assumption",
                                              "Cash below which an insurer sells bonds; it keeps it when paying dividends.")
    insurer_liquidity_target_multiple: float = p(2.0, 1, 100, "x buffer", "assumption",
                                                 "Cash an insurer restores by selling bonds, as a multiple of its "
                                                 "buffer; cash above it is invested in bonds.")
    insurer_payout_share: float = p(1.0, 0, 1, "fraction of net income",
                                    "assumption (US life operating companies paid their parents about all of their "
                                    "2018 statutory net income, Moody's 2019; listed holding companies' 60-65% "
                                    "payout ratios, e.g. Corebridge's, also fund new business, which the model's "
                                    "insurers do not write)",
                                    "Share of a positive net income (change of TAC, losses carried forward) an "
                                    "insurer pays as dividends while at or above its target ratio; none below it.")

    # --- 401(k) savers (C10, C11) --------------------------------------------------------
    n_saver_cohorts: int = p(200, 1, 10_000_000, "count", "assumption", "401(k) saver cohorts.")
    savers_total_bn: float = p(9000.0, 0, 1e6, "bn USD", "assumption (ICI 2025)", "401(k) assets.")
    savers_contribution_bn_per_year: float = p(500.0, 0, 1e5, "bn USD/yr", "assumption (ICI)", "401(k) contributions.")
    saver_ai_index_share: float = p(0.35, 0, 1, "fraction", "[F18]", "Share of 401(k) assets in the AI index.")
    saver_panic_drawdown_mean: float = p(0.25, 0.01, 1, "fraction", "assumption", "Mean drawdown that triggers panic selling.")
    saver_return_chasing: float = p(0.5, 0, 10, "", "assumption", "Tilt of new contributions toward recent returns.")
    saver_size_dispersion: float = p(1.0, 0, 10, "log-sd", "assumption (401(k) balances are lognormal)",
                                     "Dispersion of cohort sizes (lognormal).")
    saver_panic_dispersion: float = p(0.3, 0, 10, "log-sd", "assumption",
                                      "Dispersion of cohorts' panic thresholds around the mean (lognormal).")
    saver_panic_drawdown_min: float = p(0.02, 0, 1, "fraction", "assumption",
                                        "Smallest panic threshold of a cohort.")
    saver_panic_drawdown_max: float = p(0.95, 0, 1, "fraction", "assumption",
                                        "Largest panic threshold of a cohort.")
    saver_active_share: float = p(0.2, 0, 1, "fraction of a cohort's balance",
                                  "[R34] (about a quarter of a reallocation a year, most never trade)",
                                  "Share of each 401(k) cohort held by active savers, who panic-sell at the "
                                  "cohort's threshold and run on its private-credit fund when the "
                                  "wealth investors do (C13); the rest hold.")
    saver_active_threshold_dispersion: float = p(0.5, 0, 10, "log-sd", "assumption",
                                                 "Dispersion of active savers' own panic thresholds around "
                                                 "their cohort's (lognormal); 0: all at the cohort's.")
    saver_panic_sell_share: float = p(0.5, 0, 1, "fraction", "assumption",
                                      "Share of their AI-index holdings a cohort's panicking active savers sell.")
    saver_panic_out_months: int = p(12, 0, 600, "months", "assumption (inertia)",
                                    "Months a cohort stays out of the index after panic selling.")

    # --- SPVs (C9) ------------------------------------------------------------------------
    meta_spv_bn: float = p(27.0, 0, 1e5, "bn USD", "[F20]", "Meta's Louisiana data-centre SPV.")
    n_other_spvs: int = p(3, 0, 10000, "count", "[F20] xAI, CoreWeave, Google", "Other SPVs.")
    other_spv_bn: float = p(15.0, 0, 1e5, "bn USD", "assumption (about half Meta's [F20])",
                            "Size of each other SPV (with more than three, they share three's total).")
    other_spv_opening_years: int = p(3, 1, 50, "years", "assumption",
                                     "Other SPVs were opened evenly over this many years before step 0.")
    spv_lease_term_months: int = p(48, 1, 600, "months", "assumption (4-year initial term)", "SPV lease term.")
    spv_walkaway_threshold: float = p(0.6, 0, 10, "x expected", "assumption",
                                      "Walk away at renewal when AI revenue is below this share of what was expected.")
    spv_debt_share: float = p(0.9, 0, 1, "fraction of cost", "assumption modelled on [F20]",
                              "Share of an SPV's data-centre cost financed by debt (the rest is equity).")
    spv_bank_construction_loan_share: float = p(0.1, 0, 0.9, "fraction of debt",
                                                "assumption ([R30] banks lend to non-banks alongside "
                                                "private credit; no public split of data-centre debt)",
                                                "Bank construction loan of an SPV, secured pari passu with "
                                                "the senior ABS; the ABS and the fund loan share the rest.")
    spv_abs_share: float = p(0.6, 0, 1, "fraction of debt", "assumption ([F22] ABS)",
                             "Share of SPV debt sold as ABS (senior, mezzanine and junior tranches); the rest is a fund loan.")
    spv_abs_senior_share: float = p(0.7, 0, 1, "fraction of ABS",
                                    "assumption (based on data-centre ABS: A notes about 70%, e.g. Sabey 2022-1)",
                                    "Senior tranche of an SPV's ABS, held by a bank [F22] and outside ABS investors.")
    spv_abs_mezzanine_share: float = p(0.2, 0, 1, "fraction of ABS",
                                       "assumption (based on data-centre ABS: B notes 10-30%), [F32], [R17]",
                                       "Mezzanine tranche of an SPV's ABS, held by an insurer; the junior tranche is the rest.")
    spv_abs_senior_bank_share: float = p(0.5, 0, 1, "fraction of senior tranche", "assumption ([F22])",
                                         "Bank's share of the senior tranche; outside ABS investors hold the rest.")
    spv_fund_equity_share: float = p(0.8, 0, 1, "fraction", "[F20] Blue Owl majority owner (80%: assumption)",
                                     "Share of an SPV's equity held by its private-credit fund; the lessee holds the rest.")
    spv_rate_per_year: float = p(0.065, 0, 1, "1/yr", "assumption (investment-grade lease-backed paper)",
                                 "Coupon of SPV ABS.")
    spv_fund_loan_spread_per_year: float = p(0.02, 0, 1, "1/yr", "assumption",
                                             "Extra coupon of the fund's subordinated SPV loan over the ABS.")
    spv_lease_cover: float = p(1.15, 0, 10, "x debt service", "assumption (lease-backed deals' coverage)",
                               "Lease payments over the SPV's debt service.")
    spv_reserve_months: float = p(3.0, 0, 120, "months of lease", "assumption",
                                  "Cash reserve of a new SPV, paid by the lessee.")
    dc_resale_share: float = p(0.3, 0, 1, "fraction", "assumption (obsolete building)", "Resale value of a repossessed data centre.")

    # --- equity market and sentiment (C10) -------------------------------------------------
    sentiment_sensitivity: float = p(1.0, 0, 100, "", "assumption", "Response of AI sentiment to demand surprises.")
    sentiment_persistence_per_month: float = p(
        0.95, 0, 1, "AR(1)/month", "assumption (based on Thurner, Farmer and Geanakoplos 2012: noise traders' demand is an AR(1))",
        "Persistence of log AI sentiment (and of firms' idiosyncratic factors); half-life about a year.")
    sentiment_volatility_per_month: float = p(0.02, 0, 1, "log-sd/month",
                                              "assumption (based on a small common noise beyond demand news)",
                                              "Volatility of the common AI sentiment factor's monthly shocks.")
    equity_volatility_per_month: float = p(0.05, 0, 1, "log-sd/month", "assumption",
                                           "Volatility of firms' idiosyncratic (mean-reverting) value factors.")
    equity_ai_beta: float = p(1.0, 0, 10, "", "assumption", "Response of AI stock prices to sentiment.")
    sentiment_default_stress_sensitivity: float = p(
        10.0, 0, 1e3, "", "assumption (based on failures of 2% of the listed AI firms' value lowering sentiment ~20%)",
        "Fall of log sentiment per liabilities failed last month as a share of the listed AI firms' value.")
    equity_discount_rate_per_year: float = p(
        0.09, 0.06, 1, "1/yr", "assumption (based on the 4% outside bond rate plus a 5% equity risk premium)",
        "Discount rate r of listed firms' expected earnings (Gordon growth value).")
    equity_growth_max_per_year: float = p(1.0, -0.9, 10, "1/yr", "assumption (based on [F17]: the 100%/yr belief)",
                                          "Highest expected earnings growth priced (bounds the measured growth).")
    equity_growth_min_per_year: float = p(-0.5, -0.99, 10, "1/yr", "assumption (based on a floor rarely reached)",
                                          "Lowest expected earnings growth priced.")
    equity_long_run_growth_per_year: float = p(0.03, -0.5, 0.05, "1/yr",
                                               "assumption (based on long-run nominal GDP growth, below r)",
                                               "Growth that a firm's expected earnings growth fades towards.")
    equity_growth_persistence_per_year: float = p(0.7, 0, 0.99, "1/yr", "assumption (based on a 2-year half-life of excess growth)",
                                                  "Yearly persistence of a firm's excess earnings growth.")
    equity_earnings_smoothing_months: float = p(6.0, 1, 120, "months", "assumption (based on two quarters' results)",
                                                "Smoothing of firms' monthly earnings (moving-average window).")

    # --- contracts, outside markets and resolution -------------------------------------------
    contract_renewal_months: int = p(12, 1, 600, "months", "assumption (annual compute contracts)",
                                     "Term of each renewal of a rolling compute contract.")
    contract_renewal_scale_min: float = p(0.5, 0, 1, "x", "assumption",
                                          "Smallest factor by which a rolling compute contract shrinks at a yearly renewal.")
    contract_damages_cap_years_min: float = p(1.0, 0, 50, "years", "[R23] 11 U.S.C. 502(b)(6)",
                                              "A rejected contract's damage claim is at least this many years of payments (within its term).")
    contract_damages_cap_term_share: float = p(0.15, 0, 1, "fraction of remaining term", "[R23] 11 U.S.C. 502(b)(6)",
                                               "...or this share of the remaining term if longer.")
    contract_damages_cap_years_max: float = p(3.0, 0, 50, "years", "[R23] 11 U.S.C. 502(b)(6)",
                                              "...but at most this many years; 0: contracts end with their payer and leave no claim.")
    outside_bond_rate_per_year: float = p(0.04, 0, 1, "1/yr", "assumption (US Treasuries 2025, rounded)",
                                          "Yield of outside bonds bought with spare cash and of savers' bond holdings.")
    distress_discount: float = p(0.2, 0, 1, "fraction", "assumption",
                                 "Discount at which a failed institution's financial claims are sold.")
    default_cost_alpha: float = p(1.0, 0.01, 1, "fraction", "[R35] alpha; 1 = no default costs (assumption)",
                                  "Share of its cash a debtor that cannot pay in full realises in the month's "
                                  "clearing (Rogers-Veraart alpha); the rest is lost to its failure.")
    default_cost_beta: float = p(1.0, 0.01, 1, "fraction", "[R35] beta; 1 = no default costs (assumption)",
                                 "Share of what it is paid in the clearing that a debtor that cannot pay in "
                                 "full realises (Rogers-Veraart beta); the rest is lost to its failure.")

    # --- channels (each switchable) --------------------------------------------------------
    c1_demand_to_compute: bool = p(True, doc="C1 AI demand -> lab revenue -> unpaid compute -> cloud revenue.")
    c2_customer_concentration: bool = p(True, doc="C2 a neocloud losing its main customer loses the revenue.")
    c3_collateral_spiral: bool = p(True, doc="C3 GPU collateral spiral: margin calls and fire sales [F24, F25].")
    c4_rollover_risk: bool = p(True, doc="C4 short-dated neocloud debt must be rolled over [F6].")
    c5_pc_losses_to_lps: bool = p(True, doc="C5 private-credit losses reach LPs and trigger redemptions.")
    c6_bank_credit_lines: bool = p(True, doc="C6 banks' credit supply follows their capital: they tighten new "
                                   "AI-channel lending inside their management buffer and cut lines below the "
                                   "regulatory buffer [F31, F33]; off, they keep their lines and lend as if "
                                   "unstressed.")
    c7_insurer_forced_sales: bool = p(True, doc="C7 insurers below solvency sell private credit and ABS [F32].")
    c8_circular_financing: bool = p(True, doc="C8 chipmaker equity in customers, their purchases its revenue [F10, F13].")
    c9_spvs: bool = p(True, doc="C9 SPVs: hidden leverage and walk-away losses [F20, F21].")
    c10_equity_market: bool = p(True, doc="C10 AI stocks move 401(k) balances and funding sentiment [F18].")
    c11_policy: bool = p(True, doc="C11 policy levers below take effect.")
    c12_loan_fire_sales: bool = p(True, doc="C12 forced sales of private loans and fund interests move the "
                                  "secondary market's prices, and every holder marks to them [R3, R32].")
    c13_runs: bool = p(True, doc="C13 wealth investors run on semi-liquid funds after losses and at stale NAVs [R13, R29].")

    # --- policy levers (C11) ----------------------------------------------------------------
    allow_401k_alternatives: bool = p(True, doc="[F34] 401(k) savers may hold private credit.")
    alternatives_start_step: int = p(7, 0, 600, "step", "[F34] August 2025", "Month 401(k) access begins.")
    saver_pc_target_share: float = p(0.05, 0, 1, "fraction", "assumption", "Target private-credit share of 401(k)s when allowed.")
    saver_pc_rebalance_per_month: float = p(0.0, 0, 1, "fraction/month", "assumption (based on [R26]: ~2% reallocated)",
                                            "Share of the gap to the target private-credit share of balances a "
                                            "cohort moves from bonds into its fund each month when allowed.")
    gpu_loan_haircut: float = p(0.0, 0, 0.95, "fraction", "[R4]",
                                "Regulatory haircut: lowers the origination and cure LTVs of new GPU loans.")
    bank_pc_lending_limit: float = p(1.0, 0, 1, "fraction", "policy", "Cap on bank_pc_lending_share.")
    spv_consolidation: bool = p(False, doc="[F21] SPV debt counts in the hyperscalers' visible leverage: "
                                "their credit spread, borrowing room and new SPVs.")
    pc_disclosure: bool = p(False, doc="[F30] Funds report true NAV (no smoothing).")

    def __post_init__(self):
        validate_params(dataclasses.asdict(self))

    @property
    def effective_gpu_ltv(self) -> float:
        """Origination LTV of a new loan after a regulatory haircut (C11)."""
        if self.c11_policy:
            return self.gpu_loan_max_ltv * (1.0 - self.gpu_loan_haircut)
        return self.gpu_loan_max_ltv

    @property
    def effective_gpu_cure_ltv(self) -> float:
        """Cure LTV of a new loan after a regulatory haircut (C11)."""
        if self.c11_policy:
            return self.gpu_loan_cure_ltv * (1.0 - self.gpu_loan_haircut)
        return self.gpu_loan_cure_ltv

    @property
    def effective_bank_pc_share(self) -> float:
        """Bank lending share to private credit after a regulatory limit (C11)."""
        if self.c11_policy:
            return min(self.bank_pc_lending_share, self.bank_pc_lending_limit)
        return self.bank_pc_lending_share

    @property
    def pc_open_to_401k(self) -> bool:
        return bool(self.c11_policy and self.allow_401k_alternatives)


_FIELDS = {f.name: f for f in dataclasses.fields(Scenario)}


@dataclass(frozen=True)
class Channel:
    """A channel switch of :class:`Scenario` (``c3_collateral_spiral``): its ``code``
    (``C3``) and its ``doc``, the field's documentation (which starts with the code)."""

    name: str
    code: str
    doc: str

    @property
    def label(self) -> str:
        """The doc without its code and its sources: ``GPU collateral spiral: ...``."""
        return self.doc.removeprefix(self.code).split(" [")[0].strip().rstrip(".")


def _channels() -> dict[str, Channel]:
    """Every boolean field named ``cN_...`` is a channel switch, in declaration order."""
    out = {}
    for f in dataclasses.fields(Scenario):
        m = re.fullmatch(r"c(\d+)_[a-z0-9_]+", f.name)
        if m is not None and isinstance(f.default, bool):
            out[f.name] = Channel(f.name, f"C{m.group(1)}", f.metadata["doc"])
    return out


#: The channel switches C1..CN, ``{field name: Channel}``: the one list, read by the browser's
#: levers, the validation table and the tests.
CHANNELS: dict[str, Channel] = _channels()
_TUPLE_LEN = {"lab_demand_shares": 4, "hyperscaler_capex_bn_per_year": 5,
              "hyperscaler_legacy_cash_bn_per_year": 5, "hyperscaler_cash_bn": 5,
              "hyperscaler_bonds_bn": 5, "hyperscaler_market_cap_bn": 5,
              "coreweave_customer_shares": 4, "hyperscaler_ai_service_weights": 5,
              "coreweave_shareholders": 2, "small_neocloud_customer_shares": 2,
              "lab_valuation_bn": 4, "lab_spending_x_revenue": 3, "anthropic_compute_shares": 2,
              "openai_shareholders": 2, "anthropic_shareholders": 3}


def _check_number(key, value, kind, meta):
    if kind is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"scenario key '{key}' must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"scenario key '{key}' must be a number, got {value!r}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ScenarioError(f"scenario key '{key}' must be a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise ScenarioError(f"scenario key '{key}' must be finite, got {value!r}")
    lo, hi = meta.get("low"), meta.get("high")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ScenarioError(f"scenario key '{key}' = {value!r} is outside its range [{lo}, {hi}]")
    return value


def unknown_key_hint(key) -> str:
    """What follows "unknown scenario key": the closest keys (a misspelling), where the seed
    goes instead (it is a property of a run, not of a scenario), or where to find every key."""
    if key in RETIRED_KEYS:
        return f"; it is now {RETIRED_KEYS[key]} (step, issuer, investor, amount_bn, kind), see 'deals'"
    if key in REPLACED_KEYS:
        return f"; it was {REPLACED_KEYS[key]}"
    if key == "seed":
        return ("; the seed is not a scenario parameter: give it to the run (aicredit run --seed N, "
                "AIEconomyModel(seed=N), a sweep's seeds)")
    return did_you_mean(key, _FIELDS) or "; 'aicredit params' lists every key"


def _deal_text(key: str, value) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"scenario key '{key}' must be a non-empty string, got {value!r}")
    return value


def parse_deal(i: int, value) -> Deal:
    """The ``i``-th ``[[deals]]`` table as a :class:`Deal`; a bad one raises
    :class:`ScenarioError` naming ``deals[i].key`` and the value."""
    if isinstance(value, Deal):
        value = dataclasses.asdict(value)
    if not isinstance(value, dict):
        raise ScenarioError(f"scenario key 'deals[{i}]' must be a table of {', '.join(DEAL_KEYS)}, "
                            f"got {value!r}")
    for k in value:
        if k not in DEAL_KEYS:
            raise ScenarioError(f"unknown key 'deals[{i}].{k}' (value {value[k]!r})"
                                f"{did_you_mean(k, DEAL_KEYS) or '; a deal has ' + ', '.join(DEAL_KEYS)}")
    missing = [k for k in DEAL_KEYS if k not in value and k not in DEAL_OPTIONAL]
    if missing:
        raise ScenarioError(f"scenario key 'deals[{i}]' lacks '{missing[0]}' (a deal has "
                            f"{', '.join(DEAL_KEYS)}; channel may be left out)")
    key = f"deals[{i}]."
    fields = dict(step=_check_number(key + "step", value["step"], int, DEAL_STEP_RANGE),
                  issuer=_deal_text(key + "issuer", value["issuer"]),
                  investor=_deal_text(key + "investor", value["investor"]),
                  amount_bn=_check_number(key + "amount_bn", value["amount_bn"], float, DEAL_AMOUNT_RANGE),
                  kind=_deal_text(key + "kind", value["kind"]))
    channel = value.get("channel", DEAL_OPTIONAL["channel"])
    if channel != "" and channel not in CHANNELS:
        raise ScenarioError(f"scenario key '{key}channel' = {channel!r} is no channel switch"
                            f"{did_you_mean(str(channel), list(CHANNELS)) or ' (c1_... to c11_...)'}")
    return Deal(**fields, channel=channel)


def parse_deals(value) -> tuple[Deal, ...]:
    """A ``[[deals]]`` list (tables or :class:`Deal`) as a tuple of deals, each checked."""
    if not isinstance(value, (list, tuple)):
        raise ScenarioError(f"scenario key 'deals' must be a list of tables ([[deals]]), got {value!r}")
    return tuple(parse_deal(i, d) for i, d in enumerate(value))


def validate_params(params: dict[str, Any]) -> dict[str, Any]:
    """Check names, types and ranges of ``params``; return them normalised.

    Raises :class:`ScenarioError` naming the first bad key and its value.
    """
    out = {}
    for key, value in params.items():
        if key not in _FIELDS:
            raise ScenarioError(f"unknown scenario key '{key}' (value {value!r}){unknown_key_hint(key)}")
        f = _FIELDS[key]
        kind = {"int": int, "float": float, "bool": bool, "tuple": tuple}[f.type]
        if key == "deals":
            out[key] = parse_deals(value)
        elif kind is tuple:
            if not isinstance(value, (list, tuple)) or len(value) != _TUPLE_LEN[key]:
                raise ScenarioError(f"scenario key '{key}' must be a list of {_TUPLE_LEN[key]} "
                                    f"numbers, got {value!r}")
            out[key] = tuple(_check_number(f"{key}[{i}]", v, float, f.metadata)
                             for i, v in enumerate(value))
        else:
            out[key] = _check_number(key, value, kind, f.metadata)
    if "gpu_loan_max_ltv" in out or "gpu_loan_margin_ltv" in out:
        m = out.get("gpu_loan_margin_ltv", _FIELDS["gpu_loan_margin_ltv"].default)
        h = out.get("gpu_loan_max_ltv", _FIELDS["gpu_loan_max_ltv"].default)
        if h > m:
            raise ScenarioError(f"scenario key 'gpu_loan_max_ltv' = {h!r} must not exceed "
                                f"'gpu_loan_margin_ltv' = {m!r}")
    if "gpu_loan_cure_ltv" in out or "gpu_loan_margin_ltv" in out:
        m = out.get("gpu_loan_margin_ltv", _FIELDS["gpu_loan_margin_ltv"].default)
        h = out.get("gpu_loan_cure_ltv", _FIELDS["gpu_loan_cure_ltv"].default)
        if h > m:
            raise ScenarioError(f"scenario key 'gpu_loan_cure_ltv' = {h!r} must not exceed "
                                f"'gpu_loan_margin_ltv' = {m!r}")
    if {"pc_bdc_debt_to_equity", "pc_bdc_leverage_spread", "pc_bdc_max_debt_to_equity",
            "n_pc_bdcs"} & out.keys():
        get = lambda k: out.get(k, _FIELDS[k].default)          # noqa: E731
        spread = get("pc_bdc_leverage_spread") if get("n_pc_bdcs") > 1 else 0.0
        top = get("pc_bdc_debt_to_equity") * (1.0 + spread)
        if top > get("pc_bdc_max_debt_to_equity"):
            raise ScenarioError(f"scenario key 'pc_bdc_debt_to_equity' = {get('pc_bdc_debt_to_equity')!r} "
                                f"with 'pc_bdc_leverage_spread' = {spread!r} puts the most levered BDC at "
                                f"{top:.3g}x, above 'pc_bdc_max_debt_to_equity' = "
                                f"{get('pc_bdc_max_debt_to_equity')!r}")
    _check_tech_borrowers(out)
    for key in ("lab_demand_shares", "coreweave_customer_shares", "coreweave_shareholders",
                "small_neocloud_customer_shares", "anthropic_compute_shares", "openai_shareholders",
                "anthropic_shareholders"):
        if key in out and abs(sum(out[key]) - 1.0) > 1e-9:
            raise ScenarioError(f"scenario key '{key}' must sum to 1, got {list(out[key])!r}")
    return out


def _check_tech_borrowers(out: dict[str, Any]) -> None:
    """Tech borrowers must be solvent on the expected path: their default barrier
    (:func:`abm.tech_borrowers.revenue_barrier`) below the expected revenue."""
    keys = ("tech_borrower_ebitda_margin", "tech_borrower_fixed_cost_share", "tech_borrower_debt_to_ebitda",
            "tech_borrower_ev_to_ebitda", "pc_other_loan_rate_per_year", "tech_loan_bankruptcy_cost",
            "tech_loan_pd_per_year")
    if not set(keys) & out.keys():
        return
    from aicredit.abm.tech_borrowers import BorrowerTerms
    terms = BorrowerTerms(*(out.get(k, _FIELDS[k].default) for k in keys))
    if not 0.0 < terms.barrier < 1.0:
        raise ScenarioError(f"tech borrowers' terms ({', '.join(f'{k} = {out.get(k, _FIELDS[k].default)!r}' for k in keys[:5])}) "
                            f"put their default barrier at {terms.barrier:.3g} of expected revenue: it must lie in (0, 1)")


def scenario_dir() -> Path:
    return Path(str(resources.files("aicredit.models") / "scenarios"))


#: An economy with more agents than this is *large* (:func:`economy_agents`): the shipped
#: ``synthetic`` scenario, which exists to test scale, not economics.
LARGE_ECONOMY_AGENTS = 10_000


def economy_agents(scenario: Scenario) -> int:
    """Agents of an economy, roughly: every counted sector (``n_*`` fields: institutions and
    saver cohorts) plus the small neoclouds' GPU-backed loans."""
    counts = sum(int(getattr(scenario, f)) for f in _FIELDS if f.startswith("n_"))
    return counts + int(scenario.gpu_loans_per_neocloud) * int(scenario.n_small_neoclouds)


def scenario_names(*, large: bool = True) -> list[str]:
    """The names of the scenarios shipped with the package: the one list of them.

    Parameters
    ----------
    large : bool, default True
        False leaves out the large economies (more than :data:`LARGE_ECONOMY_AGENTS` agents,
        today ``synthetic``): the economic scenarios, which the results fingerprint, the
        invariant runs and (unless the server allows large economies) the browser page use.

    Returns
    -------
    list of str
        Sorted names (``ai_boom``, ``ai_winter``, ``baseline``, the policy scenarios...), each
        accepted wherever a scenario is (:func:`load_scenario`, :class:`AIEconomyModel`).
    """
    names = sorted(f.stem for f in scenario_dir().glob("*.toml"))
    if large:
        return names
    return [n for n in names if economy_agents(load_scenario(n)) <= LARGE_ECONOMY_AGENTS]


#: Largest scenario or sweep file read, in bytes. Both are short text files (the largest shipped
#: one is under 2 kB); anything bigger is not one, and reading it whole could exhaust memory.
MAX_FILE_BYTES = 1 << 20
#: Longest chain of ``base`` files (a scenario based on one based on one ...).
MAX_BASE_DEPTH = 32


def read_toml(path: Path, what: str = "scenario file", error=ScenarioError) -> dict:
    """A TOML file's content; a file that cannot be read or parsed raises ``error`` naming
    ``what`` and the path (never a traceback for a user's typo).

    Refused, each in one line that shows nothing of the file's content: a missing or
    unreadable file, a folder or device (not a regular file), a file larger than
    :data:`MAX_FILE_BYTES`, bytes that are not UTF-8 text (e.g. a binary file), and text that
    is not TOML (the parser's message gives only line and column).
    """
    path = Path(path)
    if "\x00" in str(path):
        raise error(f"{what} {str(path)!r}: not a valid path (it holds a NUL character)")
    try:
        if path.exists() and not path.is_file():
            raise error(f"{what} {path}: not a regular file")
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error(f"{what} {path}: cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise error(f"{what} {path}: larger than {MAX_FILE_BYTES >> 10} kB, so not a {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path}: not UTF-8 text (byte {exc.start} is not), so not a "
                    f"{what}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {path}: not valid TOML ({exc})") from None
    except RecursionError:                               # arrays nested thousands deep
        raise error(f"{what} {path}: not valid TOML (nested too deeply)") from None


def _value_kind(value) -> str:
    """A TOML value's type in words: how a message names a value it must not show."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def scenario_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """The file of a scenario: a shipped scenario's name, or an explicit path ending in
    ``.toml`` (read as given, or relative to ``relative_to``: the folder of the file naming it
    as its ``base``).

    A name resolves only among the shipped scenarios (``models/scenarios/*.toml``), so
    ``../../x`` is no way to reach ``x.toml`` elsewhere: any other file is given by its path.
    """
    text = str(name_or_path)
    if "\x00" in text:
        raise ScenarioError("a scenario name or path cannot hold a NUL character")
    if text.endswith(".toml"):
        path = Path(text)
        if not path.is_absolute() and relative_to is not None:
            path = Path(relative_to) / path
        return path
    names = scenario_names()
    if text not in names:
        raise ScenarioError(f"unknown scenario {text!r}{did_you_mean(text, names)} (shipped: "
                            f"{', '.join(names)}); give any other scenario file as a path ending "
                            f"in .toml, e.g. {text}.toml")
    return scenario_dir() / f"{text}.toml"


def _check_file_keys(label: str, raw: dict) -> None:
    """Refuse a scenario file holding keys that are not scenario keys, or values of the wrong
    shape, naming only the key: until every key is known the file may be no scenario file at
    all (a credentials file given by mistake), so none of its values is shown."""
    for key in raw:
        if key not in _FIELDS and key not in ("name", "description", "base"):
            raise ScenarioError(f"{label}: unknown scenario key '{key}'{unknown_key_hint(key)}")
    for key, value in raw.items():
        if isinstance(value, dict):
            raise ScenarioError(f"{label}: key '{key}' is a table; scenario files are flat "
                                f"(key = value)")
        if key in ("name", "description") and not isinstance(value, str):
            raise ScenarioError(f"{label}: key '{key}' must be a string, got {_value_kind(value)}")
        if key == "base" and not (isinstance(value, str) and value):
            raise ScenarioError(f"{label}: key 'base' must be a shipped scenario's name or a path "
                                f"ending in .toml, got {_value_kind(value)}")


def read_scenario_file(name_or_path: str | Path, relative_to: Path | None = None,
                       _chain: tuple[Path, ...] = ()) -> tuple[dict, str, str]:
    """Raw parameters, name and description of a shipped scenario or a TOML file.

    ``name_or_path`` is resolved by :func:`scenario_path`. A file may name a ``base``
    scenario (a shipped name, or a ``.toml`` path relative to the file) whose values it
    changes; a chain of bases that comes back to a file already in it is refused, naming the
    files of the cycle.
    """
    path = scenario_path(name_or_path, relative_to)
    label = f"scenario file {path}"
    here = path.resolve()
    if here in _chain:
        cycle = " -> ".join(p.name for p in _chain[_chain.index(here):] + (here,))
        raise ScenarioError(f"scenario file {_chain[-1]}: key 'base' makes a cycle ({cycle})")
    if len(_chain) >= MAX_BASE_DEPTH:
        raise ScenarioError(f"{label}: more than {MAX_BASE_DEPTH} files deep in 'base' chains")
    raw = read_toml(path)
    _check_file_keys(label, raw)
    name = raw.pop("name", path.stem)
    description = raw.pop("description", "")
    base = raw.pop("base", None)
    params = {}
    if base is not None:
        if not base.endswith(".toml") and base not in scenario_names():
            raise ScenarioError(f"{label}: key 'base' = {base!r} names no shipped scenario ("
                                f"{', '.join(scenario_names())}) and is not a path ending in .toml")
        params, _, _ = read_scenario_file(base, relative_to=path.parent, _chain=_chain + (here,))
    params.update(raw)
    if not _chain:              # the file with its bases is a scenario on its own, whatever
        try:                    # overrides come on top (they cannot hide a bad value in it)
            validate_params(params)
        except ScenarioError as exc:
            raise ScenarioError(f"{label}: {exc}") from None
    return params, str(name), str(description)


def load_scenario(name_or_path: str | Path = "baseline", **overrides) -> Scenario:
    """The validated parameters of a scenario, with overrides.

    Parameters
    ----------
    name_or_path : str or path, default ``"baseline"``
        A shipped scenario name (:func:`scenario_names`) or a scenario TOML file; a file may
        name a ``base`` scenario whose values it changes.
    **overrides
        Parameters replacing the file's values, validated the same way.

    Returns
    -------
    Scenario
        A frozen dataclass with every parameter (``docs/parameters.md``).

    Raises
    ------
    ScenarioError
        An unknown scenario, key or value, in one line naming it.
    """
    params, _, _ = read_scenario_file(name_or_path)
    params.update(overrides)
    return Scenario(**validate_params(params))


def describe_scenario(name: str) -> str:
    """The one-line description of a shipped scenario."""
    return read_scenario_file(name)[2]


def PARAMETER_TABLE() -> list[dict]:
    """Every parameter with default, unit, range, source and meaning (for docs)."""
    rows = []
    for f in dataclasses.fields(Scenario):
        m = f.metadata
        rows.append(dict(name=f.name, default=f.default, unit=m.get("unit", ""),
                         low=m.get("low"), high=m.get("high"), source=m.get("source", ""),
                         doc=m.get("doc", "")))
    return rows
