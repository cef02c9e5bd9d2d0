"""The validation report: does every channel, policy lever and core mechanism move the outputs
the way economics says it should?

``python -m aicredit.models.validate --seeds 32 [--workers N] [--out docs/validation.md]`` runs every
experiment of :data:`EXPERIMENTS` (two arms, A and B, the same seeds in both), computes for
each output the paired-seed mean difference B - A with its 95% confidence interval
(t distribution) and compares its sign with the expected one, and writes ``docs/validation.md``.

Nothing here holds today's numbers: every figure of the report is computed by the run. The
experiments are one table (:data:`EXPERIMENTS`): name, the two arms (a scenario and overrides
each) and, for the outputs a mechanism predicts, the expected sign with the mechanism and its
source. The runs go through the sweep machinery (:func:`models.sweep.run_sweep`, one sweep per
distinct arm on one shared pool of spawned worker processes, so arms shared by several
experiments run once).

Verdicts (:func:`verdict`): ``as expected`` (the CI excludes 0 on the expected side), ``wrong
sign`` (the CI excludes 0 on the other side), ``no effect detected`` (the CI includes 0),
``no effect`` (every paired difference is exactly 0: the change does nothing to this output),
``unexpected effect`` (an effect where none was expected), ``effect (no prior)`` (an effect on
an output no mechanism predicts) and ``n/a`` (fewer than 2 usable pairs).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from aicredit.abm.sectors import HOLDER_CATEGORIES, SECTORS
from aicredit.models.scenario import ScenarioError, load_scenario

__all__ = ["Arm", "Expect", "Experiment", "EXPERIMENTS", "OUTPUTS", "KEY_OUTPUTS", "EXPLANATIONS",
           "paired_stats", "verdict", "run_experiments", "analyse", "render", "main"]

ROOT = Path(__file__).resolve().parents[1]

# --- outputs -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Output:
    """One output: its sweep name (``models.sweep`` output syntax), label, unit and scale."""

    key: str
    label: str
    unit: str = ""
    scale: float = 1.0


BN = 1e9
OUTPUTS: list[Output] = [
    Output("defaults_total", "defaults, all sectors", "count"),
    *[Output(f"defaults_by_sector.{s}", f"defaults: {s}", "count") for s in SECTORS],
    Output("losses_total_usd", "losses, all holders", "bn USD", BN),
    *[Output(f"losses_by_holder_usd.{h}", f"losses: {h}", "bn USD", BN) for h in HOLDER_CATEGORIES],
    Output("bank_capital_ratio_min:min", "lowest bank capital ratio (live banks, over the run)", "ratio"),
    Output("insurer_solvency_min:min", "lowest insurer solvency (live insurers, over the run)", "ratio"),
    Output("gpu_price_index", "GPU price index, end", "index"),
    Output("gpu_price_index:min", "GPU price index, min", "index"),
    Output("gpu_price_max_drawdown", "GPU price index, max drawdown", "fraction"),
    Output("ai_index_end", "AI index, end", "index"),
    Output("ai_index:min", "AI index, min", "index"),
    Output("savers_401k_loss_fraction", "401(k) savers' loss fraction", "fraction"),
    Output("hyperscaler_credit_spread:mean", "hyperscalers' credit spread (mean over the run)", "bp", 1e-4),
    Output("hyperscaler_debt_coupon", "hyperscalers' mean coupon on bonds and loans, end", "bp", 1e-4),
    Output("hyperscaler_bonds_issued_usd:sum", "hyperscaler bonds issued", "bn USD", BN),
    Output("hyperscaler_capex_usd:sum", "hyperscaler capex", "bn USD", BN),
    Output("chipmaker_gpu_revenue_usd:sum", "chipmaker GPU revenue", "bn USD", BN),
    Output("spv_debt_usd", "SPV debt outstanding, end", "bn USD", BN),
]
OUTPUT_BY_KEY = {o.key: o for o in OUTPUTS}

#: The columns of the summary table: every experiment states an expected sign for each.
KEY_OUTPUTS = ["defaults_total", "losses_total_usd", "bank_capital_ratio_min:min",
               "insurer_solvency_min:min", "gpu_price_max_drawdown", "gpu_price_index:min",
               "ai_index:min", "savers_401k_loss_fraction"]
SHORT = {"defaults_total": "defaults", "losses_total_usd": "losses", "bank_capital_ratio_min:min":
         "bank cap. min", "insurer_solvency_min:min": "insurer solv. min", "gpu_price_max_drawdown":
         "GPU drawdown", "gpu_price_index:min": "GPU index min", "ai_index:min": "AI index min",
         "savers_401k_loss_fraction": "401(k) loss"}

#: The GPU and AI index outputs (for expectations that cover them together).
GPU = ("gpu_price_max_drawdown", "gpu_price_index:min", "gpu_price_index")
AI = ("ai_index:min", "ai_index_end")

#: How stress shows in each key output: its sign when the economy is under more stress, and
#: the link from stress to the output (with its source).
STRESS_LINK = {
    "defaults_total": (+1, "more institutions run out of cash or equity and default"),
    "losses_total_usd": (+1, "defaults leave unpaid claims, booked as losses on their ultimate holders"),
    "bank_capital_ratio_min:min": (-1, "losses reach banks through their lines to private credit and "
                                   "senior ABS and cut the weakest bank's capital [F22, F31, F33]"),
    "insurer_solvency_min:min": (-1, "insurers' private-credit and ABS holdings lose value [F32, F33]"),
    "gpu_price_max_drawdown": (+1, "GPU rents fall and distressed owners sell GPUs, whose price "
                               "falls further [F24, F25]"),
    "gpu_price_index:min": (-1, "GPU rents fall and distressed owners sell GPUs, whose price "
                            "falls further [F24, F25]"),
    "gpu_price_index": (-1, "GPU rents fall and distressed owners sell GPUs, whose price falls "
                        "further [F24, F25]"),
    "ai_index:min": (-1, "listed AI firms lose value as demand news and failures hit sentiment [F18]"),
    "ai_index_end": (-1, "listed AI firms lose value as demand news and failures hit sentiment [F18]"),
    "savers_401k_loss_fraction": (+1, "401(k)s hold the AI-heavy index and, since 2025, private "
                                  "credit [F18, F34]"),
}

# --- the experiment table ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Arm:
    """A scenario (shipped name) with parameter overrides."""

    scenario: str
    overrides: tuple = ()

    @classmethod
    def of(cls, scenario: str, **overrides) -> Arm:
        return cls(scenario, tuple(sorted(overrides.items())))

    def slug(self) -> str:
        """A file name for the arm: its scenario and a hash of its overrides."""
        import hashlib
        import json
        if not self.overrides:
            return self.scenario
        h = hashlib.sha256(json.dumps(self.overrides, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.scenario}-{h}"

    def label(self) -> str:
        if not self.overrides:
            return f"`{self.scenario}`"
        sets = ", ".join(f"{k} = {_value(v)}" for k, v in self.overrides)
        return f"`{self.scenario}` with {sets}"


def _value(v) -> str:
    return str(v).lower() if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)


@dataclasses.dataclass(frozen=True)
class Expect:
    """An expected sign of B - A: ``+``, ``-``, ``0`` (no effect) or ``?`` (no prediction),
    with the mechanism (one sentence) and its source."""

    sign: str
    why: str
    source: str = ""


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    group: str            # headline, channel, policy, mechanism
    title: str
    a: Arm
    b: Arm
    mechanism: str        # what B changes, one sentence
    source: str
    expect: dict          # output key -> Expect


def _stress(direction: int, mechanism: str, source: str) -> dict:
    """Expectations for an experiment whose B arm puts the economy under more (``+1``) or less
    (``-1``) stress: every key output moves the way :data:`STRESS_LINK` says."""
    out = {}
    for key, (sign, link) in STRESS_LINK.items():
        s = sign * direction
        out[key] = Expect("+" if s > 0 else "-", f"{mechanism}; {link}.", source)
    return out


def _no_prior(*keys, why: str) -> dict:
    return {k: Expect("?", why) for k in keys}


def _build() -> list[Experiment]:
    winter = load_scenario("ai_winter")
    w = "ai_winter"
    exps: list[Experiment] = []

    def add(name, group, title, a, b, mechanism, source, expect):
        exps.append(Experiment(name, group, title, a, b, mechanism, source, expect))

    # (a) the headline
    add("winter_vs_baseline", "headline", "AI winter against the calibrated baseline",
        Arm.of("baseline"), Arm.of(w),
        "demand growth collapses and demand falls in mid-2026: lab revenue, compute payments, GPU "
        "rents and collateral values fall, and private credit's tech borrowers default more as "
        "AI valuations fall",
        "[F18, F28]",
        {**_stress(+1, "a demand collapse cuts lab revenue, compute payments and GPU rents", "[F18, F28]"),
         "defaults_by_sector.ai_lab": Expect("+", "labs whose revenue falls short of their compute "
                                             "bills and cannot raise equity default.", "[F14, F15]"),
         "defaults_by_sector.neocloud": Expect("+", "neoclouds spending four times their revenue "
                                               "with short-dated debt fail when rents fall.",
                                               "[F5, F6]"),
         "defaults_by_sector.spv": Expect("+", "hyperscalers walk away from SPV leases when AI "
                                          "disappoints.", "[F20, F21]"),
         "losses_by_holder_usd.lp_insurers": Expect("+", "private credit's AI and other tech loans "
                                                    "lose, and its LPs bear it.", "[F28, F32]"),
         "losses_by_holder_usd.lp_401k": Expect("+", "401(k) savers in private credit share its "
                                                "losses.", "[F28, F34]"),
         "losses_by_holder_usd.lp_pensions_endowments": Expect("+", "pensions and endowments are "
                                                               "most of private credit's LPs and "
                                                               "bear most of its losses.", "[F29]"),
         "losses_by_holder_usd.banks": Expect("+", "a large AI crash drags down the banks that "
                                              "lend to private credit.", "[F31, F33]")})

    # (b) channels: A = the channel off, B = on (ai_winter); B - A is the channel's contribution
    ch = "channel"
    add("c1_demand_to_compute", ch, "C1 AI demand to compute payments",
        Arm.of(w, c1_demand_to_compute=False), Arm.of(w),
        "labs pay their take-or-pay compute contracts out of AI revenue, so falling demand "
        "becomes unpaid compute and lost cloud revenue", "[F14, F15, F16]",
        _stress(+1, "lost lab revenue becomes unpaid compute and cloud revenue", "[F14]"))
    add("c2_customer_concentration", ch, "C2 customer concentration",
        Arm.of(w, c2_customer_concentration=False), Arm.of(w),
        "a neocloud that loses its main customer loses most of its revenue", "[F9]",
        _stress(+1, "a neocloud losing its main customer loses most of its revenue", "[F9]"))
    add("c3_collateral_spiral", ch, "C3 GPU collateral spiral",
        Arm.of(w, c3_collateral_spiral=False), Arm.of(w),
        "falling GPU prices trigger margin calls, forced sales push prices down further, more "
        "calls follow (Brunnermeier and Pedersen 2009)", "[F24, F25, R1]",
        _stress(+1, "margin calls force GPU sales that depress prices and trigger more calls",
                "[F25, R1]"))
    add("c4_rollover_risk", ch, "C4 rollover risk",
        Arm.of(w, c4_rollover_risk=False), Arm.of(w),
        "short-dated neocloud debt must be refinanced when lenders' appetite has fallen", "[F6]",
        _stress(+1, "maturing debt that lenders will not roll over forces defaults", "[F6]"))
    add("c5_pc_losses_to_lps", ch, "C5 private-credit losses to limited partners",
        Arm.of(w, c5_pc_losses_to_lps=False), Arm.of(w),
        "fund losses lower the NAV of LPs' shares and trigger redemptions, which drain funds' cash "
        "and lending", "[F30, R13]",
        {**_stress(+1, "fund losses pass to LPs and redemptions drain the funds", "[F30, R13]"),
         **_no_prior("losses_total_usd", why="C5 moves fund losses from 'other outside' holders to "
                     "the LPs; the total need not change."),
         **_no_prior(*GPU, *AI,
                     "bank_capital_ratio_min:min", why="C5 acts on funds' LPs; GPU prices, "
                     "the AI index and banks are reached only at second remove."),
         "losses_by_holder_usd.lp_insurers": Expect("+", "with C5 on, fund losses are looked "
                                                    "through to the insurers that are LPs.", "[F32]"),
         "losses_by_holder_usd.lp_401k": Expect("+", "with C5 on, fund losses reach 401(k) "
                                                "savers invested in private credit.", "[F34]")})
    add("c6_bank_credit_lines", ch, "C6 bank credit lines to private credit",
        Arm.of(w, c6_bank_credit_lines=False), Arm.of(w),
        "banks lend to private-credit funds; fund losses reach bank capital and banks below their "
        "minimum cut the lines (a credit crunch)", "[F31, F33, R10]",
        {**_stress(+1, "banks lose on their lines and cut them, a credit crunch", "[F31, F33]"),
         **_no_prior(*GPU, *AI,
                     "savers_401k_loss_fraction", "insurer_solvency_min:min",
                     why="C6 acts between funds and banks; GPU prices, the AI index, savers and "
                     "insurers are reached only at second remove."),
         "losses_by_holder_usd.banks": Expect("+", "without lines to funds banks cannot lose on "
                                              "them.", "[F31]")})
    add("c7_insurer_forced_sales", ch, "C7 insurer forced sales",
        Arm.of(w, c7_insurer_forced_sales=False), Arm.of(w),
        "insurers below their solvency threshold sell private-credit shares and ABS at a discount "
        "(Ellul, Jotikasthira and Lundblad 2011)", "[F32, R17]",
        {**_stress(+1, "insurers' forced sales at a discount crystallise losses", "[F32]"),
         **_no_prior("insurer_solvency_min:min", why="selling risky assets at a discount both costs "
                     "capital and lowers the capital required: the net effect on the ratio has no "
                     "sign a priori."),
         **_no_prior(*GPU, *AI,
                     "bank_capital_ratio_min:min", "savers_401k_loss_fraction",
                     why="forced sales are of fund shares and ABS, not of GPUs or AI stocks."),
         "losses_by_holder_usd.insurers": Expect("+", "sales at a discount are losses to the "
                                                 "insurers that sell.", "[F32]")})
    add("c8_circular_financing", ch, "C8 circular financing",
        Arm.of(w, c8_circular_financing=False), Arm.of(w),
        "the chipmaker holds equity in its customers and their purchases are its revenue, so "
        "their failures hit its value and sales", "[F10, F13]",
        _stress(+1, "circular stakes tie the chipmaker's value and sales to its failing customers",
                "[F10, F13]"))
    add("c9_spvs", ch, "C9 SPVs",
        Arm.of(w, c9_spvs=False), Arm.of(w),
        "hyperscalers finance data centres off balance sheet through SPVs, and walk away at "
        "renewal leaving lenders a building worth a fraction of its cost", "[F20, F21]",
        {**_stress(+1, "SPV walk-aways leave lenders with obsolete buildings", "[F20, F21]"),
         **_no_prior(*GPU, "savers_401k_loss_fraction",
                     why="SPVs own data-centre buildings, not GPUs traded in the fire sale; savers "
                     "are reached only at second remove."),
         "defaults_by_sector.spv": Expect("+", "without SPVs no SPV can default.", "[F20]"),
         "losses_by_holder_usd.bond_abs_investors": Expect("+", "SPV ABS holders lose when the "
                                                           "lessee walks away.", "[F22]")})
    add("c10_equity_market", ch, "C10 equity market",
        Arm.of(w, c10_equity_market=False), Arm.of(w),
        "AI stocks fall with demand news; 401(k) balances and the sentiment that funds labs' "
        "equity rounds fall with them", "[F18]",
        {**_stress(+1, "falling AI stocks cut savers' balances and lab funding", "[F18]"),
         **_no_prior("bank_capital_ratio_min:min", "insurer_solvency_min:min",
                     why="banks and insurers hold no AI stocks in the model; only at second remove.")})
    add("c11_policy", ch, "C11 policy levers (at ai_winter's settings)",
        Arm.of(w, c11_policy=False), Arm.of(w),
        "with C11 on, the levers at ai_winter's settings take effect; the one active there is "
        "the August 2025 order letting 401(k)s hold private credit", "[F34]",
        {**_no_prior(*STRESS_LINK, why="at ai_winter's settings C11 only opens 401(k)s to private "
                     "credit, a small flow; no prediction for the aggregates."),
         "losses_by_holder_usd.lp_401k": Expect("+", "401(k) savers in private credit share its "
                                                "losses.", "[F34]")})

    # (c) policy levers: A = ai_winter, B = the policy scenario
    po = "policy"
    add("no_401k_alternatives", po, "No 401(k) alternatives",
        Arm.of(w), Arm.of("no_401k_alternatives"),
        "without the August 2025 order 401(k)s hold no private credit", "[F34]",
        {**_no_prior(*STRESS_LINK, why="the order moves a small share of 401(k) money; no "
                     "prediction for the aggregates."),
         "losses_by_holder_usd.lp_401k": Expect("-", "savers without private credit cannot lose "
                                                "on it.", "[F34]")})
    add("gpu_haircuts", po, "GPU-loan haircut (30%)",
        Arm.of(w), Arm.of("gpu_haircuts"),
        "a regulatory haircut lowers GPU-loan LTVs, so borrowers have more equity cushion, fewer "
        "margin calls and smaller forced sales (Geanakoplos 2010)", "[R4, R5]",
        {**_stress(-1, "lower LTVs mean fewer margin calls and forced GPU sales", "[R4, R5]"),
         **_no_prior(*AI, "savers_401k_loss_fraction",
                     why="equity prices follow demand news more than GPU-loan terms.")})
    add("bank_pc_limit", po, "Bank lending to private credit capped (1%)",
        Arm.of(w), Arm.of("bank_pc_limit"),
        "capping bank lending to private credit at 2013's share keeps fund losses away from banks",
        "[F31, F33]",
        {**_no_prior(*STRESS_LINK, why="less bank funding also means less private-credit lending; "
                     "no prediction outside banks."),
         "bank_capital_ratio_min:min": Expect("+", "banks with small lines to funds lose little "
                                              "capital when funds fail.", "[F31, F33]"),
         "losses_by_holder_usd.banks": Expect("-", "banks with small lines to funds lose little "
                                              "on them.", "[F31, F33]")})
    consolidation = ("lenders and rating agencies see SPV debt as the hyperscalers' own, so visible "
                     "debt to cash flow rises: new bonds pay a wider spread, the borrowing room "
                     "shrinks and new SPVs need that room too (`abm.constraints.DebtToCashFlow`)")
    spread_up = Expect("+", "visible leverage includes SPV debt and the spread rises with it.",
                       "[F21, R9, R27]")
    fewer_spvs = Expect("-", "a new SPV needs its lessee's borrowing room; a hyperscaler above the "
                        "limit (Oracle) opens none.", "[F21]")
    add("spv_consolidation", po, "SPV debt consolidated",
        Arm.of(w), Arm.of("spv_consolidation"), consolidation, "[F20, F21, R9, R27]",
        {**_no_prior(*STRESS_LINK, why="in ai_winter hyperscalers pay capex from cash and issue "
                     "(almost) no bonds, so the wider spread and the smaller room bind only on "
                     "new SPVs; the funds' money those SPVs no longer take is lent elsewhere, so "
                     "defaults and losses have no sign a priori."),
         **_no_prior("hyperscaler_debt_coupon", "hyperscaler_bonds_issued_usd:sum",
                     "hyperscaler_capex_usd:sum", "chipmaker_gpu_revenue_usd:sum",
                     why="the coupon, bonds and debt-financed capex move only when a hyperscaler "
                     "borrows, which it (almost) never does in ai_winter."),
         "hyperscaler_credit_spread:mean": spread_up,
         "spv_debt_usd": fewer_spvs})
    add("spv_consolidation_baseline", po, "SPV debt consolidated, in the build-up (baseline)",
        Arm.of("baseline"), Arm.of("baseline", spv_consolidation=True), consolidation,
        "[F20, F21, R9, R27]",
        {**_no_prior(*STRESS_LINK, why="in the baseline few institutions fail; less hyperscaler "
                     "capacity raises GPU utilisation and prices but less chipmaker revenue "
                     "lowers the AI index: no sign a priori for the aggregates."),
         "hyperscaler_credit_spread:mean": spread_up,
         "hyperscaler_debt_coupon": Expect("+", "new bonds are priced at the higher visible "
                                           "leverage.", "[R9, R27]"),
         "hyperscaler_bonds_issued_usd:sum": Expect("-", "SPV debt takes borrowing room, so the "
                                                    "build-up hits the leverage limit sooner.",
                                                    "[F21, R27]"),
         "hyperscaler_capex_usd:sum": Expect("-", "debt-financed capex is bounded by the "
                                             "smaller room.", "[F19, F21]"),
         "chipmaker_gpu_revenue_usd:sum": Expect("-", "less hyperscaler capex buys fewer GPUs.",
                                                 "[F12, F21]"),
         "spv_debt_usd": fewer_spvs})
    add("pc_disclosure", po, "Private-credit disclosure (true NAV)",
        Arm.of(w), Arm.of("pc_disclosure"),
        "funds report true NAV instead of a smoothed, lagging one, so LPs see losses at once "
        "(stale NAVs let early redeemers exit at inflated prices: Chen, Goldstein and Jiang 2010)",
        "[F30]",
        _no_prior(*STRESS_LINK, why="disclosure redistributes losses between LPs who redeem "
                  "and those who stay and brings redemptions forward; the model's literature "
                  "gives no sign for the aggregates."))

    # (d) core mechanisms: A = ai_winter, B = one parameter changed
    me = "mechanism"
    add("deeper_shock", me, "Deeper demand shock",
        Arm.of(w), Arm.of(w, demand_shock_size=0.5),
        f"demand falls {0.5:.0%} instead of {winter.demand_shock_size:.0%}", "[F18]",
        _stress(+1, "a deeper demand fall cuts revenue, rents and collateral values more", "[F18]"))
    depth = winter.fire_sale_depth_share
    add("thin_gpu_market", me, "Thinner GPU market",
        Arm.of(w), Arm.of(w, fire_sale_depth_share=depth / 2),
        "half the market depth: each GPU sold moves the price twice as much (Shleifer and Vishny "
        "1992)", "[R1, R3]",
        {**_stress(+1, "a thinner market deepens fire-sale discounts", "[R1, R3]"),
         **_no_prior(*AI, "savers_401k_loss_fraction",
                     why="equity prices follow demand news more than GPU-market depth.")})
    add("higher_ltv", me, "Higher GPU-loan LTV",
        Arm.of(w, gpu_loan_max_ltv=0.6), Arm.of(w, gpu_loan_max_ltv=0.8),
        "more debt per GPU: a smaller price fall triggers margin calls and defaults (Geanakoplos "
        "2010)", "[R5]",
        {**_stress(+1, "thinner equity cushions turn price falls into calls and defaults", "[R5]"),
         **_no_prior(*AI, "savers_401k_loss_fraction",
                     why="equity prices follow demand news more than GPU-loan terms.")})
    add("tech_credit_correlation", me, "Tech defaults follow the AI economy",
        Arm.of(w, tech_loan_asset_correlation=0.0), Arm.of(w),
        f"tech borrowers' asset correlation with the AI factor {winter.tech_loan_asset_correlation} "
        "instead of 0: their defaults rise and recoveries fall as the AI index falls from its peak "
        "(Vasicek 2002)", "[F19, F28]",
        {**_stress(+1, "tech borrowers default more in the AI downturn", "[F28]"),
         **_no_prior(*AI, "gpu_price_index:min", "gpu_price_max_drawdown", "gpu_price_index",
                     "defaults_total",
                     why="tech credit losses fall on funds' LPs; the AI economy drives them, not "
                     "the other way round (no feedback from fund losses to AI demand), and a fund "
                     "fails only when its losses exceed its NAV."),
         "losses_by_holder_usd.lp_pensions_endowments": Expect("+", "LPs bear the extra tech "
                                                               "credit losses.", "[F28, F29]")})
    share = winter.bank_pc_lending_share
    add("bank_exposure", me, "Bigger bank exposure to private credit",
        Arm.of(w), Arm.of(w, bank_pc_lending_share=round(min(1.0, share * 1.5), 6)),
        "banks fund a larger share of private credit, so fund losses reach more bank capital",
        "[F31, F33]",
        {**_no_prior(*STRESS_LINK, why="more bank funding also means more private-credit "
                     "lending; no prediction outside banks."),
         "bank_capital_ratio_min:min": Expect("-", "larger lines to funds expose more bank capital "
                                              "to fund losses.", "[F31, F33]"),
         "losses_by_holder_usd.banks": Expect("+", "larger lines to funds, larger bank losses when "
                                              "funds fail.", "[F31, F33]")})
    bank_link = {"bank_capital_ratio_min:min": Expect("-", "levered vehicles' losses reach the banks "
                                                      "that lend to them: provisions as their "
                                                      "leverage rises, write-offs when they fail.",
                                                      "[F31, F33, R15]"),
                 "losses_by_holder_usd.banks": Expect("+", "a BDC that fails leaves its bank "
                                                      "facilities short.", "[F31, F33, R15]"),
                 "defaults_by_sector.private_credit": Expect("+", "a BDC at about 1x debt/equity "
                                                            "fails when its tech loans lose half "
                                                            "their value.", "[R15]")}
    add("bdc_channel", me, "Levered private-credit vehicles (BDCs)",
        Arm.of(w, n_pc_bdcs=0), Arm.of(w),
        f"{winter.n_pc_bdcs} BDCs hold {winter.pc_bdc_tech_share:.0%} of private credit's other "
        f"tech loans on bank debt of {winter.pc_bdc_debt_to_equity}x their equity on average, "
        "instead of the LP-owned funds holding them with little debt", "[F31, R15]",
        {**_no_prior(*STRESS_LINK, why="the same loans, held by another vehicle; no prediction "
                     "outside banks and private credit."), **bank_link})
    lev = winter.pc_bdc_debt_to_equity
    add("bdc_leverage", me, "More levered BDCs",
        Arm.of(w), Arm.of(w, pc_bdc_debt_to_equity=1.4),
        f"BDCs borrow 1.4x their equity on average instead of {lev}x (the legal cap is 2x since "
        "2018)", "[R15]",
        {**_no_prior(*STRESS_LINK, why="more bank debt in the BDCs, less LP money; no prediction "
                     "outside banks and private credit."), **bank_link})
    ins = winter.insurer_pc_bn
    add("insurer_exposure", me, "Bigger insurer exposure to private credit",
        Arm.of(w), Arm.of(w, insurer_pc_bn=ins * 1.5),
        "insurers hold half as much again in private credit", "[F32, F33]",
        {**_no_prior(*STRESS_LINK, why="no prediction outside insurers."),
         "insurer_solvency_min:min": Expect("-", "more private credit on insurers' books, more "
                                            "capital lost when it falls.", "[F32, F33]"),
         "losses_by_holder_usd.lp_insurers": Expect("+", "insurers as LPs bear a larger share of "
                                                    "fund losses.", "[F32]")})
    return exps


EXPERIMENTS: list[Experiment] = _build()

#: Explanations of wrong signs and missing effects, kept here so that a regenerated report keeps
#: them: ``(experiment, output key): "why, with evidence"``; experiment ``"*"`` applies to every
#: experiment. Each says the model version it was written for: re-check it when that changes.
EXPLANATIONS: dict[tuple[str, str], str] = {
    ("*", "bank_capital_ratio_min:min"):
        "Finding (model 0.4.0): where banks lend to private credit decides whether more lending "
        "hurts them. Their lines to the LP-owned funds are safe: those funds borrow about a "
        "sixth of their NAV against a 25% covenant, and their losses are spread over 1.4-2 tn of "
        "LP equity, so none comes near failure and the Merton PD on those lines stays near zero. "
        "Their facilities to the BDCs [R15] are not: a BDC at about 1x debt/equity fails when its "
        "tech loans lose half their value, as 2.1 of 3 do in an average winter, and banks lose "
        "14.0 bn on them (0.8 bn without BDCs; `bdc_channel`: lowest ratio -0.18 pp; "
        "`bdc_leverage`, 1.4x: +0.53 BDC failures, +5.8 bn of bank losses, -0.05 pp; C6 off, no "
        "lines at all: -13.2 bn of bank losses, +0.04 pp). `bank_exposure` raises banks' share "
        "of non-bank lending by half, and the extra 150 bn goes to the LP-owned funds (the BDCs "
        "are financed at their own leverage first), so bank losses do not change (+0.03 bn, "
        "n.s.); banks' balance sheets are calibrated to a fixed total, so the extra lines replace "
        "other loans, whose provision rises with the AI index's drawdown (the macro satellite of "
        "`abm/agents/bank.py`), and the lowest ratio rises by 0.04 pp. The cap of `bank_pc_limit` "
        "(1% of non-bank lending) binds on the BDCs first: none fails and bank losses fall by "
        "13.2 bn, but the ratio moves by +0.04 pp, not significant, for the same reason: what is "
        "not lent to private credit is lent to others who suffer in the same downturn.",
    ("c6_bank_credit_lines", "losses_total_usd"):
        "Finding (model 0.3.0): without bank lines (C6 off) the funds' opening NAV is larger by "
        "the lines' 300 bn, all of it pension and endowment equity (insurers hold a fixed "
        "[F32] 1 tn), so the LPs' split moves (pensions +25 bn of losses, insurers -18 bn, "
        "401(k) -2 bn), and a larger NAV keeps lending appetite higher (appetite falls with "
        "losses over NAV), so the funds grow their tech book further into the winter and lose "
        "4.6 bn more in all. No fund fails in either arm, so the lines never cost the banks.",
    ("c4_rollover_risk", "defaults_total"):
        "Open finding (model 0.4.0; the mechanism is not established): with C4 on, 0.38 fewer "
        "neoclouds fail a run [-0.70, -0.05] (on 0.3.0: -0.31 [-0.65, 0.02], not significant). "
        "C4 makes lenders roll over only `rollover_base_share` (0.95) times their appetite of "
        "maturing GPU loans, so the rest falls due; its direct effect should be more defaults. "
        "Measured on seeds 0-11: with C4 on the neoclouds owe no less GPU debt at the demand "
        "shock (6.5 against 5.9 bn in month 18; 19.6 against 20.1 bn in month 12), but fewer "
        "GPU units are fire-sold up to the shock (1.01 against 1.18 million) and fewer loans are "
        "margin-called over the run (1144 against 1188): the loans that are not rolled are repaid "
        "and leave the book before the shock's margin calls, and the fire sales those calls "
        "would bring, hit them. Which neoclouds this saves, and whether the sign survives more "
        "seeds, has not been checked; read C4's effect on defaults as not established.",
    ("c5_pc_losses_to_lps", "defaults_total"):
        "Finding (model 0.4.0): C5 off freezes the NAV that LPs and banks see (fund losses are "
        "then borne outside), so a BDC's covenant, measured on that NAV, never trips: it does "
        "not sell loans to delever and keeps lending and growing at its target leverage into "
        "the downturn, until its assets no longer cover its debt. With C5 off 2.75 BDCs fail a "
        "run against 2.13 with it on, and banks lose 24.6 bn against 14.0 bn; the other sectors' "
        "defaults do not move. The marks that carry losses to LPs are also what makes levered "
        "vehicles delever in time: disclosure of true NAV (`pc_disclosure`), which brings the "
        "marks forward, has the mirror effect (-0.72 BDC failures, -8.6 bn of bank losses, "
        "+0.15 pp on the lowest bank ratio).",
    ("c9_spvs", "losses_total_usd"):
        "Finding (model 0.3.0; the signs re-checked on 0.4.0: AI index +0.006 at its minimum and "
        "+0.005 at the end with SPVs, 32 seeds): the calibration keeps private credit's tech "
        "lending at [F28]'s "
        "450 bn, so without SPVs (C9 off) the funds' SPV loans become tech-pool loans, whose "
        "borrowers default with the AI economy, while SPV loans are paid by the hyperscaler "
        "lessees: LPs lose 6 bn more without SPVs (insurers 3.0, pensions 2.3, 401(k) 0.7), "
        "more than the ABS losses SPVs bring (banks 0.8, insurers 1.7, outside investors 1.6). "
        "The AI index is a little higher with SPVs (+0.003 at its minimum, +0.005 at the end): "
        "SPVs keep data-centre and GPU spending going with private-credit money while "
        "hyperscalers' own cash is tight, so at the index's trough the chipmaker is worth 89 bn "
        "more (553 against 464 bn; hyperscalers 49 bn less), and at the end hyperscalers are "
        "worth 84 bn more, the leases spreading what owning would have cost (seeds 0-7).",
    ("c3_collateral_spiral", "gpu_price_index"):
        "Finding (model 0.3.0; the sign re-checked on 0.4.0: GPU index at the end +0.009 with "
        "half the market depth and +0.007 with C3 on, 32 seeds): capacity exit. With C3 on "
        "more neoclouds fail (2.67 against 2.17 "
        "a run, seeds 0-5) and the collateral sold out of their estates leaves the modelled "
        "fleet (147 thousand fewer GPU units installed at the end), so the survivors' "
        "utilisation is higher (0.7343 against 0.7320) and so are rents and GPU values at the "
        "end (index +0.005), though the spiral deepens the fall on the way (more calls and "
        "defaults). The same holds wherever more neoclouds fail (C1, a thinner market).",
    ("*", "insurer_solvency_min:min"):
        "Finding (model 0.3.0; the figures per insurer measured on its tech-credit model before "
        "labs could fail): the lowest ratio over the run is the step-0 ratio (4.43) in the winter "
        "and the baseline alike. A dollar lost on a "
        "fund interest lowers TAC by 1 but ACL by 0.15 (half the 30% charge), so reaching the "
        "company action level takes a loss of 119 bn an insurer (60% of its fund interests, 78% "
        "of its capital); in ai_winter it loses about 33 bn over the run (12 bn in the "
        "baseline), reported over up to 24 months by the smoothed NAV while the funds return "
        "capital that goes into bonds, so its ratio rises (6.4 at the end against 4.9). Demand "
        "down 60% or half the tech book written off in month 24 (38-63 bn) leave the minimum "
        "at step 0 too; an early, disclosed write-off of 80% of the tech book takes it to 3.88 "
        "(`tests/test_insurers.py`). Only the opening ratio moves with exposure "
        "(`insurer_exposure`: 3.20 with 1.5 tn).",
    ("c7_insurer_forced_sales", "defaults_total"):
        "Finding (model 0.3.0): C7 is dormant in "
        "ai_winter. Insurers never fall below their step-0 ratio (4.43), far above the company "
        "action level (2.0), which takes a loss of 119 bn an insurer against the 33 bn the "
        "winter costs (see the insurer solvency note). At the calibrated capital forced sales "
        "and their redemptions need an early write-off of the whole tech book with NAV "
        "disclosed and 1.5 tn of insurer private credit, or half the capital "
        "(`tests/test_insurers.py`).",
    ("c1_demand_to_compute", "bank_capital_ratio_min:min"):
        "Finding (model 0.3.0): C1 fails labs in ai_winter (1.8 a "
        "run, none with C1 off), from month 19 on (mostly 20-26), but the run's lowest bank "
        "capital ratio comes at the demand shock (month 18 in 30 of 32 seeds, 19 in 2) from the "
        "provisions its AI-index drawdown brings, and banks hold no claim on labs, so the minimum "
        "is the same in every pair. Later ratios are a little lower with C1 on (month 24, seed 0: "
        "0.1251 against 0.1257) but stay above it.",
}
for _exp, _keys in (("c7_insurer_forced_sales", ("losses_total_usd", "losses_by_holder_usd.insurers")),):
    for _key in _keys:                      # one finding explains every output it silences
        EXPLANATIONS[(_exp, _key)] = EXPLANATIONS[(_exp, "defaults_total")]
for _exp, _src, _keys in (
        ("c1_demand_to_compute", ("c3_collateral_spiral", "gpu_price_index"), ("gpu_price_index",)),
        ("thin_gpu_market", ("c3_collateral_spiral", "gpu_price_index"), ("gpu_price_index",)),
        ("c6_bank_credit_lines", ("*", "bank_capital_ratio_min:min"), ("losses_by_holder_usd.banks",)),
        ("bank_pc_limit", ("*", "bank_capital_ratio_min:min"), ("losses_by_holder_usd.banks",)),
        ("bank_exposure", ("*", "bank_capital_ratio_min:min"), ("losses_by_holder_usd.banks",)),
        ("c9_spvs", ("c9_spvs", "losses_total_usd"), ("ai_index_end", "ai_index:min"))):
    for _key in _keys:                      # a finding that explains outputs of other experiments
        EXPLANATIONS[(_exp, _key)] = EXPLANATIONS[_src]

# --- statistics ----------------------------------------------------------------------------


@dataclasses.dataclass
class Stats:
    n: int
    mean_a: float
    mean_b: float
    diff: float
    se: float
    lo: float
    hi: float
    all_zero: bool


#: Relative size of a paired difference treated as floating-point noise (exactly no effect).
NOISE = 1e-9


def paired_stats(a, b, level: float = 0.95) -> Stats:
    """Paired differences ``b - a`` (same seed at the same index): mean, standard error and the
    ``level`` confidence interval from the t distribution. Pairs with a NaN are dropped."""
    from scipy.stats import t as student_t
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(a.size)
    if n == 0:
        return Stats(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, False)
    d = b - a
    # differences at the level of floating-point noise (a switch that reorders sums) are none
    d[np.abs(d) <= NOISE * np.maximum(np.abs(a), np.abs(b))] = 0.0
    mean = float(d.mean())
    all_zero = bool(np.all(d == 0))
    if n < 2:
        return Stats(n, float(a.mean()), float(b.mean()), mean, math.nan, math.nan, math.nan, all_zero)
    se = float(d.std(ddof=1) / math.sqrt(n))
    half = float(student_t.ppf(0.5 + level / 2, n - 1)) * se
    return Stats(n, float(a.mean()), float(b.mean()), mean, se, mean - half, mean + half, all_zero)


AS_EXPECTED, WRONG, NOT_DETECTED, NO_EFFECT = "as expected", "wrong sign", "no effect detected", "no effect"
UNEXPECTED, NO_PRIOR, NA = "unexpected effect", "effect (no prior)", "n/a"


def verdict(s: Stats, expected: str) -> str:
    """The verdict on one output of one experiment (see the module docstring)."""
    if s.all_zero and s.n >= 1:
        return NO_EFFECT
    if s.n < 2 or not math.isfinite(s.lo):
        return NA
    if s.lo <= 0 <= s.hi:
        return NOT_DETECTED
    sign = "+" if s.lo > 0 else "-"
    if expected in ("+", "-"):
        return AS_EXPECTED if sign == expected else WRONG
    if expected == "0":
        return UNEXPECTED
    return NO_PRIOR


def expectation(exp: Experiment, key: str) -> Expect:
    return exp.expect.get(key, Expect("?", ""))


def is_flagged(v: str, expected: str) -> bool:
    """A wrong sign, a change that does nothing where an effect was expected, or an effect where
    none was."""
    return v == WRONG or v == UNEXPECTED or (v == NO_EFFECT and expected in ("+", "-"))


# --- running -------------------------------------------------------------------------------


def _steps(arm: Arm, steps: int | None) -> int:
    return steps if steps is not None else load_scenario(arm.scenario, **dict(arm.overrides)).steps


def arms_of(experiments) -> list[Arm]:
    """The distinct arms of the experiments, in order of first use."""
    seen: dict[Arm, None] = {}
    for e in experiments:
        seen.setdefault(e.a)
        seen.setdefault(e.b)
    return list(seen)


def run_experiments(experiments, seeds: list[int], steps: int | None = None, workers: int | None = None,
                    cache: str | Path | None = None, progress: bool = True,
                    report: dict | None = None) -> dict:
    """Run every distinct arm for every seed through :func:`models.sweep.run_sweep`.

    Returns ``{arm: DataFrame}`` (one row per seed, a column per output key). One pool of
    spawned processes serves every arm. ``cache``: a directory keeping each arm's sweep (so an
    interrupted report resumes); runs are identified by their full parameters, seed and model
    version, so a changed model runs anew unless its version was not bumped: without ``cache``
    every run is fresh. ``report`` (a dict) gets the number of runs ``total`` and of those
    taken from the cache, ``cached``.
    """
    import concurrent.futures as cf
    import multiprocessing

    from aicredit.models.sweep import SweepSpec, build_runs, run_sweep, validate_outputs, worker_init

    keys = [o.key for o in OUTPUTS]
    arms = arms_of(experiments)
    specs = {arm: SweepSpec(scenarios=[arm.scenario], steps=_steps(arm, steps), seeds=list(seeds),
                            outputs=keys, points=[{}], fixed=dict(arm.overrides),
                            name=arm.slug(), source="aicredit.models.validate") for arm in arms}
    validate_outputs(specs[arms[0]], "sweep")
    n = workers or len(os.sched_getaffinity(0))
    pool = None
    if n > 1:
        pool = cf.ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=worker_init, initargs=(os.getpid(),))
    results = {}
    try:
        for i, arm in enumerate(arms):
            if progress:
                print(f"[{i + 1}/{len(arms)}] {arm.label()}", file=sys.stderr, flush=True)
            out = Path(cache) / specs[arm].name if cache else None
            counts: dict = {}
            df = run_sweep(specs[arm], out, workers=1 if pool is None else n, scheduler=pool,
                           progress=progress, report=counts)
            if report is not None:
                report["total"] = report.get("total", 0) + counts.get("total", 0)
                report["cached"] = report.get("cached", 0) + counts.get("skipped", 0)
            ids = {r["run_id"] for r in build_runs(specs[arm])}     # this arm's runs only
            results[arm] = df[df["run_id"].isin(ids)].set_index("seed").sort_index()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


def analyse(experiments, results: dict) -> list[dict]:
    """One row per experiment and output: the statistics, the expectation and the verdict."""
    rows = []
    for e in experiments:
        da, db = results[e.a], results[e.b]
        ok_a = da[da["error"] == ""].index
        ok_b = db[db["error"] == ""].index
        seeds = sorted(set(ok_a) & set(ok_b))
        for o in OUTPUTS:
            a = da.loc[seeds, o.key].to_numpy(dtype=float) / o.scale
            b = db.loc[seeds, o.key].to_numpy(dtype=float) / o.scale
            s = paired_stats(a, b)
            ex = expectation(e, o.key)
            rows.append(dict(experiment=e.name, output=o.key, stats=s, expected=ex.sign,
                             verdict=verdict(s, ex.sign),
                             failed=len(da) - len(ok_a) + len(db) - len(ok_b)))
    return rows


# --- the report ----------------------------------------------------------------------------

SYMBOL = {AS_EXPECTED: "ok", WRONG: "**WRONG**", NOT_DETECTED: "n.s.", NO_EFFECT: "none",
          UNEXPECTED: "**unexp.**", NO_PRIOR: "(eff.)", NA: "n/a"}


def _f(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    return f"{x:.4g}" if abs(x) >= 1e-3 else f"{x:.2e}"


def _ci(s: Stats) -> str:
    return f"[{_f(s.lo)}, {_f(s.hi)}]" if math.isfinite(s.lo) else "n/a"


def _label(key: str) -> str:
    o = OUTPUT_BY_KEY[key]
    return f"{o.label} ({o.unit})" if o.unit else o.label


def _git_version() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (rev or "unknown") + (" (with uncommitted changes)" if dirty else "")


def headline_table(experiments, rows) -> str:
    """The ai_winter-vs-baseline table (for a closing note)."""
    e = next((x for x in experiments if x.group == "headline"), None)
    if e is None:
        return ""
    by = {r["output"]: r for r in rows if r["experiment"] == e.name}
    lines = [f"| output | {e.a.scenario} | {e.b.scenario} | difference | 95% CI | expected | verdict |",
             "|---|---:|---:|---:|---|:-:|---|"]
    for o in OUTPUTS:
        r = by[o.key]
        s = r["stats"]
        lines.append(f"| {_label(o.key)} | {_f(s.mean_a)} | {_f(s.mean_b)} | {_f(s.diff)} | {_ci(s)} | "
                     f"{r['expected']} | {r['verdict']} |")
    return "\n".join(lines)


def render(experiments, rows, *, command: str, seeds: list[int], steps: int | None,
           run_time_s: float, workers: int, model_time_s: float | None = None,
           cached: int = 0) -> str:
    from aicredit.models.report import MODEL_VERSION
    by = {(r["experiment"], r["output"]): r for r in rows}
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    seed_text = f"{len(seeds)} ({seeds[0]}..{seeds[-1]})" if seeds == list(range(seeds[0], seeds[-1] + 1)) \
        else ", ".join(map(str, seeds))
    n_runs = len(arms_of(experiments)) * len(seeds)
    failed = sum(r["failed"] for r in rows if r["output"] == OUTPUTS[0].key)
    out = [
        "# Validation: does each mechanism move the outputs the way it should?",
        "",
        "<!-- Generated by models/validate.py; do not edit by hand. Explanations of wrong signs "
        "go in models.validate.EXPLANATIONS so that a new run keeps them. -->",
        "",
        f"- Command: `{command}`",
        f"- Seeds: {seed_text}, the same in both arms of every experiment (paired)",
        f"- Months per run: {steps if steps is not None else 'each scenario own `steps`'}",
        f"- Model version: {MODEL_VERSION}, commit {_git_version()}",
        f"- Date: {now}",
        f"- Run time: {run_time_s / 60:.1f} min for {n_runs} runs ({len(arms_of(experiments))} distinct "
        f"arms) on {workers} worker process{'es' if workers > 1 else ''}"
        + (f" (the runs' own time in their workers: {model_time_s / 60:.1f} min)"
           if model_time_s is not None else "")
        + (f"; {cached} of the runs were taken from an earlier invocation's cache" if cached else "")
        + (f"; {failed} failed runs left out of the pairs" if failed else ""),
        "",
        "Each experiment compares two arms, A and B, run with the same seeds. For every output the "
        "table gives the mean of A and of B over the seeds, the mean paired difference B - A and "
        "its 95% confidence interval (t distribution over the seeds), the sign the mechanism "
        "predicts (`+`, `-`, `0` for no effect, `?` for no prediction) and the verdict: **as "
        "expected** (the interval excludes 0 on the predicted side), **wrong sign** (it excludes 0 "
        "on the other side), **no effect detected** (it includes 0), **no effect** (every paired "
        "difference is exactly 0: the change does nothing to this output), **unexpected effect** "
        "(an effect where none was predicted) and **effect (no prior)** (an effect on an output "
        "no mechanism predicts). Channel experiments compare the channel off (A) with on (B), so "
        "B - A is the channel's contribution; policy and mechanism experiments compare `ai_winter` "
        "(A) with the change (B).",
        "",
        "Bank capital and insurer solvency are the lowest ratio among the institutions still "
        "alive in each month: a bank that fails leaves the minimum, so more failures can raise it. "
        "Money is in bn USD.",
        "",
        "## Headline: ai_winter against baseline",
        "",
        headline_table(experiments, rows),
        "",
        "## Summary of verdicts",
        "",
        "Each cell: the verdict (ok = as expected, **WRONG** = wrong sign, none = no effect at all, "
        "n.s. = not significant, (eff.) = an effect without a prediction, **unexp.** = an effect "
        "where none was expected) and the mean difference B - A; the expected sign in brackets.",
        "",
        "| experiment | " + " | ".join(SHORT[k] for k in KEY_OUTPUTS) + " |",
        "|---|" + "---|" * len(KEY_OUTPUTS),
    ]
    for e in experiments:
        cells = []
        for k in KEY_OUTPUTS:
            r = by[(e.name, k)]
            cells.append(f"{SYMBOL[r['verdict']]} {_f(r['stats'].diff)} ({r['expected']})")
        out.append(f"| [{e.name}](#{e.name}) | " + " | ".join(cells) + " |")
    out += ["", "## Wrong signs and missing effects", ""]
    flagged = [r for r in rows if is_flagged(r["verdict"], r["expected"])]
    if not flagged:
        out.append("None: every predicted effect is as expected or not detected.")
    else:
        out += ["| experiment | output | A mean | B mean | B - A | 95% CI | expected | verdict "
                "| explanation |",
                "|---|---|---:|---:|---:|---|:-:|---|---|"]
        notes: dict[str, int] = {}
        for r in flagged:
            s = r["stats"]
            text = EXPLANATIONS.get((r["experiment"], r["output"]), EXPLANATIONS.get(("*", r["output"])))
            note = "not yet explained" if text is None else f"note {notes.setdefault(text, len(notes) + 1)}"
            out.append(f"| {r['experiment']} | {_label(r['output'])} | {_f(s.mean_a)} | {_f(s.mean_b)} | "
                       f"{_f(s.diff)} | {_ci(s)} | {r['expected']} | {r['verdict']} | {note} |")
        if notes:
            out += ["", "Notes (from `models.validate.EXPLANATIONS`):", ""]
            out += [f"{i}. {text}" for text, i in notes.items()]
    if flagged:
        recap = {}
        for r in flagged:
            recap.setdefault(r["output"], []).append(r["experiment"])
        out += ["", "By output: " + "; ".join(f"{_label(k)} in {len(x)} experiment"
                                                f"{'s' if len(x) > 1 else ''}" for k, x in recap.items())
                + "."]
    missing = [r for r in rows if r["verdict"] == NOT_DETECTED and r["expected"] in ("+", "-")]
    if missing:
        out += ["", "Predicted effects not detected at this number of seeds (the interval includes 0): "
                + "; ".join(f"{r['experiment']}: `{r['output']}` ({r['expected']}, B - A = "
                            f"{_f(r['stats'].diff)} {_ci(r['stats'])})" for r in missing) + "."]
    for group, heading in (("headline", "The headline"), ("channel", "Channels (A: off, B: on)"),
                           ("policy", "Policy levers (A: ai_winter, B: the policy)"),
                           ("mechanism", "Core mechanisms (A: ai_winter, B: one parameter changed)")):
        exps = [e for e in experiments if e.group == group]
        if not exps:
            continue
        out += ["", f"## {heading}"]
        for e in exps:
            n = by[(e.name, OUTPUTS[0].key)]["stats"].n
            out += ["", f"### {e.name}", "", f"**{e.title}.** A: {e.a.label()}; B: {e.b.label()}; "
                    f"{n} paired seeds.", "", f"Mechanism: {e.mechanism} {e.source}.", "",
                    "| output | A mean | B mean | B - A | 95% CI | expected | verdict |",
                    "|---|---:|---:|---:|---|:-:|---|"]
            for o in OUTPUTS:
                r = by[(e.name, o.key)]
                s = r["stats"]
                v = r["verdict"]
                v = f"**{v}**" if is_flagged(v, r["expected"]) else v
                out.append(f"| {_label(o.key)} | {_f(s.mean_a)} | {_f(s.mean_b)} | {_f(s.diff)} | "
                           f"{_ci(s)} | {r['expected']} | {v} |")
            out += ["", "Why these signs:", ""]
            for o in OUTPUTS:
                ex = e.expect.get(o.key)
                if ex is not None:
                    src = f" {ex.source}" if ex.source and ex.source not in ex.why else ""
                    out.append(f"- {_label(o.key)} ({ex.sign}): {ex.why}{src}")
    return "\n".join(out) + "\n"


# --- command line --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aicredit.models.validate",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=32, help="seeds 0..N-1 in every arm (default 32)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    ap.add_argument("--steps", type=int, default=None, help="months per run (default: the scenario's)")
    ap.add_argument("--only", default=None, help="comma-separated experiment names")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep each arm's sweep here and resume from it (default: fresh runs)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    experiments = EXPERIMENTS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        known = {e.name for e in EXPERIMENTS}
        bad = [n for n in names if n not in known]
        if bad:
            print(f"--only {bad[0]!r}: unknown experiment (known: {', '.join(sorted(known))})",
                  file=sys.stderr)
            return 2
        experiments = [e for e in EXPERIMENTS if e.name in names]
    if args.seeds < 2:
        print("--seeds must be at least 2 (a confidence interval needs two pairs)", file=sys.stderr)
        return 2
    seeds = list(range(args.seeds))
    workers = args.workers or len(os.sched_getaffinity(0))
    t0 = time.perf_counter()
    counts: dict = {}
    import signal
    import threading

    def _term(signum, frame):                # SIGTERM stops like Ctrl-C: finished runs are kept
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, _term) if main_thread else None
    try:
        results = run_experiments(experiments, seeds, args.steps, workers, args.cache,
                                  progress=not args.quiet, report=counts)
    except KeyboardInterrupt:
        print("\nvalidate: interrupted" + (f"; finished runs are kept in {args.cache}, run the same "
              "command again to resume" if args.cache else ""), file=sys.stderr)
        return 130
    except ScenarioError as exc:             # includes SweepError: e.g. a cache of other settings
        print(f"validate: error: {exc}" + (f" (the --cache {args.cache} was written with other "
              "settings or an older aicredit: give a new --cache folder)" if args.cache else ""),
              file=sys.stderr)
        return 2
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    rows = analyse(experiments, results)
    elapsed = time.perf_counter() - t0
    command = "python -m aicredit.models.validate " + " ".join(sys.argv[1:] if argv is None else argv)
    model_time = float(sum(df["duration_s"].sum() for df in results.values()))
    text = render(experiments, rows, command=command.strip(), seeds=seeds, steps=args.steps,
                  run_time_s=elapsed, workers=workers, model_time_s=model_time,
                  cached=counts.get("cached", 0))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if not args.quiet:
        print(f"wrote {args.out} ({elapsed / 60:.1f} min)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
