"""The validation's experiment table: which arms, which outputs, which expected sign, with the
mechanism and its source. Data only: the statistics are :mod:`aicredit.models.stats`, the
verdicts and the runs :mod:`aicredit.models.validation.run`, the page
:mod:`aicredit.models.validation.render`.

An experiment compares two arms, A and B (a scenario and overrides each), run with the same
seeds. For the outputs a mechanism predicts it states the expected sign of B - A (an
:class:`Expect`). An experiment that also declares a :class:`SignTest` is checked by the test
suite (``tests/test_experiments.py``) on fewer seeds: the table is the one definition of the
experiment, the test only runs it.
"""
from __future__ import annotations

import dataclasses

from aicredit.abm.sectors import HOLDER_CATEGORIES, SECTORS
from aicredit.models.scenario import CHANNELS, load_scenario

__all__ = ["Output", "OUTPUTS", "BANK_MIN", "INSURER_MIN", "OUTPUT_BY_KEY", "KEY_OUTPUTS", "SHORT",
           "STRESS_LINK", "Arm", "Expect", "SignTest", "Experiment", "EXPERIMENTS", "expectation", "arms_of"]

# --- outputs -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Output:
    """One output: its sweep name (``models.sweep`` output syntax), label, unit and scale."""

    key: str
    label: str
    unit: str = ""
    scale: float = 1.0


BN = 1e9
#: The lowest capital ratio of live banks and the lowest solvency of live insurers, from the shock
#: month on (:func:`aicredit.models.sweep.outputs.shock_window_start`).
BANK_MIN = "bank_capital_ratio_min:min_after_shock"
INSURER_MIN = "insurer_solvency_min:min_after_shock"
OUTPUTS: list[Output] = [
    Output("defaults_total", "defaults, all sectors", "count"),
    *[Output(f"defaults_by_sector.{s}", f"defaults: {s}", "count") for s in SECTORS],
    Output("losses_total_usd", "losses, all holders", "bn USD", BN),
    *[Output(f"losses_by_holder_usd.{h}", f"losses: {h}", "bn USD", BN) for h in HOLDER_CATEGORIES],
    Output(BANK_MIN, "lowest bank capital ratio (live banks, from the "
           "shock on)", "ratio"),
    *[Output(f"bank_losses_by_channel_usd.{ch}", f"bank losses: {ch} channel", "bn USD", BN)
      for ch in ("ai", "other")],
    *[Output(f"bank_provisions_by_channel_usd.{ch}", f"bank allowance, end: {ch} channel", "bn USD", BN)
      for ch in ("ai", "other")],
    *[Output(f"bank_capital_use_by_channel_max.{ch}", f"bank capital used, max: {ch} channel", "ratio")
      for ch in ("ai", "other")],
    Output(INSURER_MIN, "lowest insurer solvency (live insurers, from the "
           "shock on)", "ratio"),
    Output("gpu_price_index", "GPU price index, end", "index"),
    Output("gpu_price_index:min", "GPU price index, min", "index"),
    Output("gpu_price_max_drawdown", "GPU price index, max drawdown", "fraction"),
    Output("ai_index_end", "AI index, end", "index"),
    Output("ai_index:min", "AI index, min", "index"),
    Output("savers_401k_loss_fraction", "401(k) savers' loss fraction", "fraction"),
    Output("savers_401k_realised_loss_usd", "401(k) savers' realised losses, end", "bn USD", BN),
    Output("equity_issued_usd:sum", "new shares sold by labs and neoclouds", "bn USD", BN),
    Output("gpu_rollovers_refused_usd:sum", "maturing GPU-loan principal not rolled over", "bn USD", BN),
    Output("hyperscaler_credit_spread:mean", "hyperscalers' credit spread (mean over the run)", "bp", 1e-4),
    Output("hyperscaler_debt_coupon", "hyperscalers' mean coupon on bonds and loans, end", "bp", 1e-4),
    Output("hyperscaler_bonds_issued_usd:sum", "hyperscaler bonds issued", "bn USD", BN),
    Output("hyperscaler_capex_usd:sum", "hyperscaler capex", "bn USD", BN),
    Output("chipmaker_gpu_revenue_usd:sum", "chipmaker GPU revenue", "bn USD", BN),
    Output("spv_debt_usd", "SPV debt outstanding, end", "bn USD", BN),
    Output("tech_loan_default_rate_per_year:max", "tech loans' trailing-year default rate, max", "1/yr"),
    Output("pc_tech_impairment_usd:max", "fair-value impairment of the tech book, max", "bn USD", BN),
    Output("pc_loans_sold_usd:sum", "private loans funds and BDCs sold (carrying value)", "bn USD", BN),
    Output("pc_redemptions_usd:sum", "redemptions funds paid", "bn USD", BN),
    Output("saver_run_requests_usd:sum", "401(k) savers' run requests on their funds", "bn USD", BN),
    Output("loan_price_tech:min", "price of tech loans in the loan market, min", "share"),
    Output("pc_market_discount_usd:max", "loan market's mark on live funds' loans, max", "bn USD", BN),
]
OUTPUT_BY_KEY = {o.key: o for o in OUTPUTS}

#: The columns of the summary table: every experiment states an expected sign for each.
KEY_OUTPUTS = ["defaults_total", "losses_total_usd", BANK_MIN,
               INSURER_MIN, "gpu_price_max_drawdown", "gpu_price_index:min",
               "ai_index:min", "savers_401k_loss_fraction"]
SHORT = {"defaults_total": "defaults", "losses_total_usd": "losses", BANK_MIN:
         "bank cap. min", INSURER_MIN: "insurer solv. min", "gpu_price_max_drawdown":
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
    BANK_MIN: (-1, "losses reach banks through their lines to private credit and "
                                   "senior ABS and cut the weakest bank's capital [F22, F31, F33]"),
    INSURER_MIN: (-1, "insurers' private-credit and ABS holdings lose value [F32, F33]"),
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
    with the mechanism (one sentence) and its source.

    ``by_construction``: the sign follows from what the arms are, not from a mechanism (without
    SPVs no SPV can default): the page labels it so and does not count it as a finding."""

    sign: str
    why: str
    source: str = ""
    by_construction: bool = False


@dataclasses.dataclass(frozen=True)
class SignTest:
    """The part of an experiment the test suite checks: on ``seeds`` paired seeds (0..seeds-1)
    of ``steps`` months (None: the scenario's), each of ``outputs`` must move with the sign the
    experiment expects.

    ``rule``: ``"interval"`` (default): the effect is detected on that side by the one rule,
    :attr:`aicredit.models.stats.Stats.effect` (the t interval excludes 0); ``"mean"``: only the
    mean paired difference has the expected sign (not zero), a direction check for effects too
    noisy to detect on the test's few seeds; the page checks their interval on 32 seeds."""

    seeds: int
    outputs: tuple[str, ...]
    steps: int | None = None
    rule: str = "interval"


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
    test: SignTest | None = None   # checked by tests/test_experiments.py


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



def _headline(add, w: str, winter) -> None:
    """The headline: ai_winter against the calibrated baseline."""
    # (a) the headline
    add("winter_vs_baseline", "headline", "AI winter against the calibrated baseline",
        Arm.of("baseline"), Arm.of(w),
        "demand growth collapses and demand falls in mid-2026: lab revenue, compute payments, GPU "
        "rents and collateral values fall, and private credit's tech borrowers default more as "
        "AI spending falls short of what their lenders expected",
        "[F18, F28]",
        {**_stress(+1, "a demand collapse cuts lab revenue, compute payments and GPU rents", "[F18, F28]"),
         "defaults_by_sector.ai_lab": Expect("+", "labs whose revenue falls short of their compute "
                                             "bills and cannot raise equity default.", "[F14, F15]"),
         "defaults_by_sector.neocloud": Expect("+", "neoclouds spending four times their revenue "
                                               "with short-dated debt fail when rents fall.",
                                               "[F5, F6]"),
         "defaults_by_sector.spv": Expect("+", "hyperscalers walk away from SPV leases when AI "
                                          "disappoints.", "[F20, F21]"),
         "hyperscaler_credit_spread:mean": Expect("+", "a hyperscaler whose compute contracts fail "
                                                  "(Oracle, when OpenAI does) sees debt/EBITDA rise "
                                                  "and is downgraded; committed capex keeps it "
                                                  "spending.", "[F14, R27]"),
         "losses_by_holder_usd.lp_insurers": Expect("+", "private credit's AI and other tech loans "
                                                    "lose, and its LPs bear it.", "[F28, F32]"),
         "losses_by_holder_usd.lp_401k": Expect("+", "401(k) savers in private credit share its "
                                                "losses.", "[F28, F34]"),
         "losses_by_holder_usd.lp_pensions_endowments": Expect("+", "pensions and endowments are "
                                                               "most of private credit's LPs and "
                                                               "bear most of its losses.", "[F29]"),
         "losses_by_holder_usd.banks": Expect("+", "a large AI crash drags down the banks that "
                                              "lend to private credit.", "[F31, F33]"),
         "defaults_by_sector.private_credit": Expect("+", "BDCs, levered on bank debt, fail when "
                                                     "their tech borrowers' cash flows fail.",
                                                     "[F28, R15]"),
         "losses_by_holder_usd.firm_shareholders": Expect("+", "the shareholders of failed labs, "
                                                          "neoclouds and BDCs lose their equity.",
                                                          "[F5, F14]"),
         "losses_by_holder_usd.savers_401k": Expect("+", "savers hold the AI-heavy index and sell "
                                                    "some of it below cost.", "[F18, R34]"),
         "losses_by_holder_usd.insurers": Expect("+", "insurers hold ABS and fund interests that "
                                                 "lose value.", "[F32]"),
         "losses_by_holder_usd.bond_abs_investors": Expect("+", "SPV lessees walk away and ABS "
                                                           "holders recover only the building's "
                                                           "resale value.", "[F20, F22]"),
         "hyperscaler_capex_usd:sum": Expect("-", "capex follows the demand hyperscalers expect "
                                             "and their rating.", "[F19]"),
         "chipmaker_gpu_revenue_usd:sum": Expect("-", "less capex buys fewer GPUs.", "[F12]"),
         "spv_debt_usd": Expect("-", "less data-centre capex is financed through SPVs, and SPVs "
                                "whose lessee walks away default.", "[F20]")},
        # 36 months, as the BDC experiments' tests: the winter arm is run once for all of them
        # (model 0.5.1, seeds 0-5: -0.75 [-0.96, -0.53]; model 0.6.1, seeds 0-3: -0.74 [-1.09,
        # -0.38]); seeds 0-3 of 36 months are the notebooks' quick runs (the test suite's run cache)
        test=SignTest(seeds=4, steps=36, outputs=("ai_index_end",)))



# The reactions' sign tests (issue 19, item 6): each reaction of the amplification table
# (models/validation/amplification.py) has a SignTest in its channel experiment, on the outputs
# its mechanism moves first. C3, C4 and C13 act at ai_winter's depth and are tested on the
# headline's seeds 0-3 of 36 months, so the winter arm is shared and each adds only its
# channel-off runs. C6, C7 and C12 hardly act there (banks use 0.35% of their management
# buffer, no insurer nears 350%, funds sell 0.6 bn of loans in 72 months): they are tested in
# the deep winter of DEEP_WINTER, where each acts (_deep_winter_reactions).


def _channel_adder(add, w: str):
    """``channel(name, title, mechanism, source, expect, test=None)``: adds the experiment A =
    channel ``name`` off, B = on (``w``), with an optional sign test."""
    def channel(name, title, mechanism, source, expect, test=None):
        if name not in CHANNELS:
            raise ValueError(f"validation experiment {name!r}: not a channel switch of the Scenario")
        add(name, "channel", f"{CHANNELS[name].code} {title}", Arm.of(w, **{name: False}), Arm.of(w),
            mechanism, source, expect, test)
    return channel


def _channels(add, w: str, winter) -> None:
    """Channels: A = the channel off, B = on (ai_winter); B - A is the channel's contribution."""
    channel = _channel_adder(add, w)

    channel("c1_demand_to_compute", "AI demand to compute payments",
        "labs pay their take-or-pay compute contracts out of AI revenue, so falling demand "
        "becomes unpaid compute and lost cloud revenue; a lab that fails stops buying compute "
        "(but for the share of its customers that moves to rivals), so utilisation, rents and "
        "GPU prices fall (abm/markets/compute_demand.py)", "[F14, F15, F16]",
        _stress(+1, "lost lab revenue becomes unpaid compute and cloud revenue, and failed labs' "
                "compute demand leaves the GPU market", "[F14]"))
    channel("c2_customer_concentration", "customer concentration",
        "a neocloud that loses its main customer loses most of its revenue", "[F9]",
        _stress(+1, "a neocloud losing its main customer loses most of its revenue", "[F9]"))
    channel("c3_collateral_spiral", "GPU collateral spiral",
        "falling GPU prices trigger margin calls, forced sales push prices down further, more "
        "calls follow (Brunnermeier and Pedersen 2009)", "[F24, F25, R1]",
        _stress(+1, "margin calls force GPU sales that depress prices and trigger more calls",
                "[F25, R1]"),
        # seeds 0-5 of 36 months on model 0.7.0: drawdown +0.068 [0.023, 0.11], lowest index
        # -0.069 [-0.114, -0.024]; tests/test_channels.py checks the drawdown on seeds 0-7 too
        test=SignTest(seeds=4, steps=36, outputs=("gpu_price_max_drawdown", "gpu_price_index:min")))
    channel("c4_rollover_risk", "rollover risk",
        "short-dated neocloud debt must be refinanced when lenders' appetite has fallen", "[F6]",
        {**_stress(+1, "maturing debt that lenders will not roll over forces defaults", "[F6]"),
         "losses_by_holder_usd.other_outside": Expect(
             "-", "the borrower's shareholders absorb the rollover losses: the refused principal is "
             "paid from cash and new shares before the borrower fails (He and Xiong 2012), so it "
             "fails owing less and its lease and trade creditors lose less (the finding of note 6, "
             "model 0.5.1).", "[F6]")},
        # 72 months, 32 seeds, model 0.7.0: -0.97 bn [-1.44, -0.51]; seeds 0-5 of 36 months:
        # -1.9, -0.84, -0.29, -0.56, +0.002, 0 bn (a direction check on the first four)
        test=SignTest(seeds=4, steps=36, outputs=("losses_by_holder_usd.other_outside",), rule="mean"))
    add("c4_rollover_risk_baseline", "channel", f"{CHANNELS['c4_rollover_risk'].code} rollover risk, in "
        "the build-up (baseline)", Arm.of("baseline", c4_rollover_risk=False), Arm.of("baseline"),
        "lenders refuse to roll maturing GPU loans of neoclouds whose collateral has lost value or "
        "whose revenue no longer covers their dues (He and Xiong 2012), and the refused principal "
        "can be replaced only by priced, capped new shares", "[F6]",
        {**_no_prior(*STRESS_LINK, why="in the build-up few institutions fail; only the neoclouds "
                     "that borrow short are exposed."),
         "defaults_by_sector.neocloud": Expect("+", "a neocloud refused a rollover that cannot sell "
                                               "enough new shares fails on the principal due.", "[F6]"),
         "gpu_rollovers_refused_usd:sum": Expect("+", "with C4 off every maturing loan is rolled.",
                                                 "[F6]", by_construction=True)})
    channel("c5_pc_losses_to_lps", "private-credit losses to limited partners",
        "fund losses lower the NAV of LPs' shares and trigger redemptions, which drain funds' cash "
        "and lending", "[F30, R13]",
        {**_stress(+1, "fund losses pass to LPs and redemptions drain the funds", "[F30, R13]"),
         **_no_prior("losses_total_usd", why="C5 moves fund losses from 'other outside' holders to "
                     "the LPs; the total need not change."),
         **_no_prior(*GPU, *AI,
                     BANK_MIN, why="C5 acts on funds' LPs; GPU prices, "
                     "the AI index and banks are reached only at second remove."),
         "losses_by_holder_usd.lp_insurers": Expect("+", "with C5 on, fund losses are looked "
                                                    "through to the insurers that are LPs.", "[F32]",
                                                    by_construction=True),
         "losses_by_holder_usd.lp_401k": Expect("+", "with C5 on, fund losses reach 401(k) "
                                                "savers invested in private credit.", "[F34]",
                                                by_construction=True)})
    channel("c6_bank_credit_lines", "banks' credit supply follows their capital",
        "banks tighten new AI-channel lending as they use up their management buffer (smaller, "
        "dearer GPU loans and data-centre loans, lower undrawn commitments to funds, less "
        "rollover) and cut lines below the regulatory buffer (a credit crunch); off, they lend as "
        "if unstressed (Hancock and Wilcox 1994; Berrospide and Edge 2010)", "[F31, F33, R10]",
        {**_stress(+1, "banks that lose capital lend less, a credit crunch", "[F31, F33]"),
         **_no_prior(*GPU, *AI,
                     "savers_401k_loss_fraction", INSURER_MIN,
                     why="C6 acts between banks and their borrowers; GPU prices, the AI index, "
                     "savers and insurers are reached only at second remove."),
         **_no_prior(BANK_MIN, "losses_by_holder_usd.banks",
                     why="tightening shrinks risk-weighted assets and exposure, which protects "
                     "the ratio and lowers banks' losses, while the borrowers it starves of "
                     "credit may fail on the loans left.")})
    channel("c7_insurer_forced_sales", "insurer forced sales",
        "insurers below the ratio they manage to sell their riskiest holdings (fund interests, ABS, "
        "tech placements) into the loan market, gradually; below the company action level up to "
        "all of them (Ellul, Jotikasthira and Lundblad 2011)", "[F32, R17]",
        {**_stress(+1, "insurers' forced sales at a discount crystallise losses", "[F32]"),
         **_no_prior(INSURER_MIN, why="selling risky assets at a discount both costs "
                     "capital and lowers the capital required: the net effect on the ratio has no "
                     "sign a priori."),
         **_no_prior(*GPU, *AI,
                     BANK_MIN, "savers_401k_loss_fraction",
                     why="forced sales are of fund shares and ABS, not of GPUs or AI stocks."),
         "losses_by_holder_usd.insurers": Expect("+", "sales at a discount are losses to the "
                                                 "insurers that sell.", "[F32]")})
    channel("c8_circular_financing", "circular financing",
        "the chipmaker holds equity in its customers and their purchases are its revenue, so "
        "their failures hit its value and sales", "[F10, F13]",
        _stress(+1, "circular stakes tie the chipmaker's value and sales to its failing customers",
                "[F10, F13]"))
    channel("c9_spvs", "SPVs",
        "hyperscalers finance data centres off balance sheet through SPVs, and walk away at "
        "renewal leaving lenders a building worth a fraction of its cost", "[F20, F21]",
        {**_stress(+1, "SPV walk-aways leave lenders with obsolete buildings", "[F20, F21]"),
         **_no_prior(*GPU, "savers_401k_loss_fraction",
                     why="SPVs own data-centre buildings, not GPUs traded in the fire sale; savers "
                     "are reached only at second remove."),
         "defaults_by_sector.spv": Expect("+", "without SPVs no SPV can default.", "[F20]",
                                          by_construction=True),
         "losses_by_holder_usd.bond_abs_investors": Expect("+", "SPV ABS holders lose when the "
                                                           "lessee walks away.", "[F22]")})
    channel("c10_equity_market", "equity market",
        "AI stocks fall with demand news; 401(k) balances and the sentiment that funds labs' "
        "equity rounds fall with them", "[F18]",
        {**_stress(+1, "falling AI stocks cut savers' balances and lab funding", "[F18]"),
         **_no_prior(BANK_MIN, INSURER_MIN,
                     why="banks and insurers hold no AI stocks in the model; only at second remove.")})
    channel("c11_policy", "policy levers (at ai_winter's settings)",
        "with C11 on, the levers at ai_winter's settings take effect; the one active there is "
        "the August 2025 order letting 401(k)s hold private credit", "[F34]",
        {**_no_prior(*STRESS_LINK, why="at ai_winter's settings C11 only opens 401(k)s to private "
                     "credit, a small flow; no prediction for the aggregates."),
         "losses_by_holder_usd.lp_401k": Expect("+", "401(k) savers in private credit share its "
                                                "losses.", "[F34]")})


def _fire_sale_channels(add, w: str, winter) -> None:
    """The channels of issue 19's fire sales and runs (C12, C13): A = off, B = on (ai_winter)."""
    channel = _channel_adder(add, w)
    channel("c12_loan_fire_sales", "fire sales of private loans with common holders",
        "a fund's forced sale lowers the price of its loan class, and every holder marks its loans "
        "to it, which can breach more covenants (Cont and Schaanning 2017)", "[R3, R32]",
        {**_stress(+1, "forced sales move prices and marks, which force more sales", "[R3, R32]"),
         "pc_loans_sold_usd:sum": Expect("+", "a falling price makes a breaching fund sell more to "
                                          "reach its target leverage.", "[R3]"),
         "pc_market_discount_usd:max": Expect("+", "with C12 off no sale moves a price, so no "
                                               "holder's loans are marked below par.", "[R3]",
                                               by_construction=True)})
    channel("c13_runs", "runs on semi-liquid funds",
        "wealth investors redeem after reported losses and when a stale NAV pays leavers more than "
        "stayers keep (Chen, Goldstein and Jiang 2010)", "[R13, R29]",
        {**_stress(+1, "redemptions drain funds' cash and force loan sales", "[R13]"),
         "pc_redemptions_usd:sum": Expect("+", "with C13 off wealth investors never ask to redeem.",
                                          "[R13]", by_construction=True),
         "saver_run_requests_usd:sum": Expect("+", "with C13 off no 401(k) saver runs on its "
                                              "collective trust (panics still redeem).", "[R34]",
                                              by_construction=True),
         "losses_by_holder_usd.lp_wealth": Expect("-", "leavers are paid at a stale NAV above what "
                                                  "the fund's loans are worth, so the wealth "
                                                  "investors who run lose less (Chen, Goldstein "
                                                  "and Jiang 2010).", "[R13]"),
         "losses_by_holder_usd.lp_insurers": Expect("+", "the LPs who stay, insurers among them, "
                                                    "bear what the leavers took at the stale NAV "
                                                    "(Chen, Goldstein and Jiang 2010).", "[R13]")},
        # seeds 0-5 of 36 months on model 0.7.0: the lowest insurer ratio -0.0055 [-0.0064,
        # -0.0045]; 72 months, 32 seeds: wealth LPs -0.18 bn, insurer LPs +0.049 bn
        test=SignTest(seeds=4, steps=36, outputs=(INSURER_MIN, "losses_by_holder_usd.lp_wealth",
                                                  "losses_by_holder_usd.lp_insurers")))


#: The deep winter in which C6, C7 and C12 act (docs/model.md, insurers: the depth at which
#: insurers de-risk): ai_winter with demand down 60%, the whole of private credit's other tech
#: book written off in month 24, and fund NAVs disclosed (C11), so that insurers and banks see
#: the loss at once. Banks then use about a fifth of their management buffer (tightening 0.22).
DEEP_WINTER = dict(demand_shock_size=0.6, tech_credit_loss_share=1.0, tech_credit_loss_step=24,
                   pc_disclosure=True)
#: The months of the deep winter's sign tests: three past the write-off.
DEEP_TEST_STEPS = 27


def _deep_winter_reactions(add, w: str, channels: dict) -> None:
    """C6, C7 and C12 where they act: their channel experiments (``channels``, by name) with
    both arms in :data:`DEEP_WINTER`. Their effects are skewed across seeds (one seed's insurers
    sell 50 bn, another's 0.2 bn), so the tests on four seeds check the direction and the page
    the interval on 32."""
    def deep(name, expect, test):
        c = channels[name]
        add(f"{name}_deep", "channel", f"{c.title}, in a deep winter",
            Arm.of(w, **DEEP_WINTER, **{name: False}), Arm.of(w, **DEEP_WINTER), c.mechanism,
            c.source, expect, test)

    deep("c6_bank_credit_lines",
         {**_no_prior(*STRESS_LINK, why="in the deep winter the crunch is small beside the "
                      "write-off; tightening protects banks' ratios while it starves borrowers."),
          "spv_debt_usd": Expect("-", "tightening banks lend less to data-centre projects, so less "
                                 "data-centre capex is financed through SPVs.", "[F20, F31]"),
          "chipmaker_gpu_revenue_usd:sum": Expect("-", "tightening banks make fewer GPU loans, so "
                                                  "fewer GPUs are bought.", "[F12, F31]")},
         # seeds 0-3 of 27 months, model 0.7.0: SPV debt -1.2 bn [-1.6, -0.9], GPU revenue
         # -0.006 bn [-0.010, -0.002]
         SignTest(seeds=4, steps=DEEP_TEST_STEPS, outputs=("spv_debt_usd",
                                                           "chipmaker_gpu_revenue_usd:sum")))
    # the channel's own predictions: they are the same in the deep winter
    deep("c7_insurer_forced_sales", channels["c7_insurer_forced_sales"].expect,
         # seeds 0-3 of 27 months, model 0.7.0: insurers' losses +16.4, +0.004, +0.40, +0.26 bn
         SignTest(seeds=4, steps=DEEP_TEST_STEPS, outputs=("losses_by_holder_usd.insurers",
                                                           "losses_total_usd"), rule="mean"))
    # not the channel's: in the deep winter the sellers are insurers, not funds
    deep("c12_loan_fire_sales",
         {**_stress(+1, "forced sales move prices and marks, which force more sales", "[R3, R32]"),
          **_no_prior(*GPU, *AI, BANK_MIN, "savers_401k_loss_fraction",
                      why="the loan market's prices reach GPUs, AI stocks, banks and savers only "
                      "at second remove."),
          "losses_by_holder_usd.insurers": Expect("+", "insurers selling into a falling market "
                                                  "sell more, at lower prices.", "[R3, F32]"),
          "loan_price_tech:min": Expect("-", "with C12 off no sale moves a price.", "[R3]",
                                        by_construction=True)},
         # seeds 0-3 of 27 months, model 0.7.0: all losses +14.6, +0.004, +0.06, +0.08 bn
         SignTest(seeds=4, steps=DEEP_TEST_STEPS, outputs=("losses_total_usd",
                                                           "losses_by_holder_usd.insurers"),
                  rule="mean"))


def _policies(add, w: str, winter) -> None:
    """Policy levers: A = ai_winter, B = the policy scenario."""
    # (c) policy levers: A = ai_winter, B = the policy scenario
    po = "policy"
    add("no_401k_alternatives", po, "No 401(k) alternatives",
        Arm.of(w), Arm.of("no_401k_alternatives"),
        "without the August 2025 order 401(k)s hold no private credit", "[F34]",
        {**_no_prior(*STRESS_LINK, why="the order moves a small share of 401(k) money; no "
                     "prediction for the aggregates."),
         "losses_by_holder_usd.lp_401k": Expect("-", "savers without private credit cannot lose "
                                                "on it.", "[F34]", by_construction=True)})
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
         BANK_MIN: Expect("+", "banks with small lines to funds lose little "
                                              "capital when funds fail.", "[F31, F33]"),
         "losses_by_holder_usd.banks": Expect("-", "banks with small lines to funds lose little "
                                              "on them.", "[F31, F33]")})
    consolidation = ("lenders and rating agencies see SPV debt as the hyperscalers' own, so visible "
                     "debt to cash flow rises: the rating falls, new bonds pay a wider spread, new "
                     "capex orders fall with the higher user cost of capital, the borrowing room "
                     "shrinks and new SPVs need that room too (`abm.constraints.RatingGrid`, "
                     "`DebtToCashFlow`)")
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
                     "chipmaker_gpu_revenue_usd:sum",
                     why="the coupon and bonds move only when a hyperscaler borrows, which it "
                     "(almost) never does in ai_winter."),
         "hyperscaler_capex_usd:sum": Expect("-", "a lower rating raises the user cost of capital "
                                             "above the reported step-0 rating's, and new capex orders "
                                             "fall with it (Gilchrist and Zakrajsek 2007).",
                                             "[R27, R41]"),
         "hyperscaler_credit_spread:mean": spread_up,
         "spv_debt_usd": fewer_spvs},
        # +5.5 bp [3.5, 7.5] on seeds 0-5 at 36 months (model 0.5.1; issue 18: the rating grid
        # counts SPV debt); model 0.6.1, seeds 0-3: +5.5 bp [2.3, 8.6]
        test=SignTest(seeds=4, steps=36, outputs=("hyperscaler_credit_spread:mean",)))
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



def _hyperscaler_mechanisms(add, w: str) -> None:
    """Issue 18, section 5: the rating feedback on capex and the bounded boom."""
    me = "mechanism"
    add("rating_feedback", me, "Rating feedback on hyperscaler capex",
        Arm.of(w, hyperscaler_capex_cost_elasticity=0.0), Arm.of(w),
        "new capex orders fall as the user cost of capital rises with a downgrade "
        "(abm.constraints.RatingGrid; Gilchrist and Zakrajsek 2007)", "[R27, R41]",
        {**_no_prior(*STRESS_LINK, why="in ai_winter the four large hyperscalers stay above AA and "
                     "Oracle pays capex from cash: the feedback is small; no sign for the aggregates."),
         "hyperscaler_capex_usd:sum": Expect("-", "a downgraded hyperscaler orders less capex.",
                                             "[R27, R41]")})
    add("boom_market_size", me, "AI demand bounded by a market size (boom)",
        Arm.of("ai_boom", ai_market_size_bn_per_year=1e5), Arm.of("ai_boom"),
        "AI demand diffuses logistically towards a market size of 2 tn a year instead of "
        "growing without bound (Griliches 1957; Bass 1969)", "[R39]",
        {**_no_prior(*STRESS_LINK, why="a slower boom has fewer failures and smaller gains alike."),
         "ai_index_end": Expect("-", "slower AI revenue growth lowers earnings and their expected "
                                "growth.", "[R39]"),
         **_no_prior("hyperscaler_capex_usd:sum",
                     why="in ai_boom the chip-supply and power caps bind in both arms (capex 7.06 tn "
                     "over six years on seeds 0-3 either way): demand beyond them buys no capex."),
         "savers_401k_loss_fraction": Expect("?", "a slower boom raises the index less, so savers "
                                             "who buy late lose less but gain less.", "[R39]")})


def _tech_credit_mechanisms(add, w: str, winter) -> None:
    """Issue 18, section 1: tech credit from the borrowers' cash flows."""
    me = "mechanism"
    add("tech_credit_correlation", me, "Tech defaults follow the AI economy",
        Arm.of(w, tech_borrower_ai_revenue_share=0.0), Arm.of(w),
        f"tech borrowers earn {winter.tech_borrower_ai_revenue_share:.0%} of their revenue from the "
        "model's AI spending instead of none: when AI spending falls short of what was expected "
        "their cash flow and asset value fall, so defaults rise and recoveries fall (Merton 1974)",
        "[F19, F28]",
        {**_stress(+1, "tech borrowers default more in the AI downturn", "[F28]"),
         **_no_prior(*AI, "gpu_price_index:min", "gpu_price_max_drawdown", "gpu_price_index",
                     "defaults_total",
                     why="tech credit losses fall on funds' LPs; the AI economy drives them, not "
                     "the other way round (no feedback from fund losses to AI demand), and a fund "
                     "fails only when its losses exceed its NAV."),
         "losses_by_holder_usd.lp_pensions_endowments": Expect("+", "LPs bear the extra tech "
                                                               "credit losses.", "[F28, F29]"),
         "tech_loan_default_rate_per_year:max": Expect("+", "revenue falls below the default "
                                                       "barrier for more borrowers.", "[R28, R29]")},
        # model 0.6.1, 36 months, seeds 0-3: +21 bn [15, 27] and +0.13 [0.10, 0.16] a year
        test=SignTest(seeds=4, steps=36, outputs=("losses_by_holder_usd.lp_pensions_endowments",
                                                  "tech_loan_default_rate_per_year:max")))
    add("tech_factor_reversion", me, "Slower expected recovery of AI spending",
        Arm.of(w), Arm.of(w, tech_factor_reversion_per_year=0.2),
        f"lifetime expected losses measured on an AI-spending shortfall that reverts at 0.2 instead "
        f"of {winter.tech_factor_reversion_per_year} a year (CECL, IFRS 9): larger marks on the "
        "same defaults", "[R28, R29]",
        {**_no_prior(*STRESS_LINK, why="marks move funds' true NAV, not defaults; their effect on "
                     "outcomes runs through redemptions and covenants, with no agreed sign."),
         "pc_tech_impairment_usd:max": Expect("+", "larger lifetime expected losses mark the tech "
                                              "book down further.", "[R28, R29]")})


def _bank_lending_mechanisms(add, w: str, winter) -> None:
    """Issue 18, section 2: banks' direct lending to the build-out."""
    me = "mechanism"
    gpu_share = winter.bank_gpu_loan_share
    add("bank_gpu_lending", me, "Banks in the GPU-loan syndicates",
        Arm.of(w, bank_gpu_loan_share=0.0), Arm.of(w),
        f"banks hold {gpu_share:.0%} of each new GPU-backed delayed-draw term loan (syndicated, "
        "priced by the contracted customer's credit), funded by new deposits, instead of none",
        "[R31]",
        {**_no_prior(*STRESS_LINK, why="more GPU credit to neoclouds too; no prediction "
                     "outside banks."),
         "bank_losses_by_channel_usd.ai": Expect("+", "banks take their share of the GPU loans' "
                                                 "losses when neoclouds default.", "[R31]"),
         "bank_losses_by_channel_usd.other": Expect("0", "GPU loans are in the AI channel.", "[R31]")})
    cons = winter.spv_bank_construction_loan_share
    add("bank_construction_loans", me, "Bank construction loans to data-centre SPVs",
        Arm.of(w, spv_bank_construction_loan_share=0.0), Arm.of(w),
        f"banks lend {cons:.0%} of each data-centre SPV's debt as a construction loan secured on "
        "the building, instead of none (the ABS and the fund loan take it)", "[R30]",
        {**_no_prior(*STRESS_LINK, why="the same SPVs, financed by another lender; no prediction "
                     "outside banks."),
         "bank_provisions_by_channel_usd.ai": Expect("+", "a secured loan on a building whose "
                                                     "lessee may walk away carries an allowance.",
                                                     "[R30]"),
         "bank_capital_use_by_channel_max.ai": Expect("+", "the loans' allowance and write-offs "
                                                      "when SPVs default take bank capital.", "[R30]")},
        # +1.1 bp of RWA [0.8, 1.5] on 6 seeds at 36 months (model 0.5.1; model 0.6.1, seeds 0-3:
        # +1.3 bp [0.7, 1.8]); shares the headline's arms
        test=SignTest(seeds=4, steps=36, outputs=("bank_capital_use_by_channel_max.ai",)))


def _mechanisms(add, w: str, winter) -> None:
    """Core mechanisms: A = ai_winter, B = one parameter changed."""
    # (d) core mechanisms: A = ai_winter, B = one parameter changed
    me = "mechanism"
    _hyperscaler_mechanisms(add, w)
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
    add("gpu_expectation_speed", me, "Slower reversion of expected GPU utilisation",
        Arm.of(w, gpu_utilisation_half_life_months=3.0), Arm.of(w, gpu_utilisation_half_life_months=36.0),
        "buyers of used GPUs expect a demand surprise to fade with a half-life of 36 months "
        "instead of 3, so a fall in utilisation lowers expected rents over more of a unit's life "
        "and its price by more (Kalouptsidi 2014; Gavazza 2011)", "Kalouptsidi 2014",
        {**_no_prior(*STRESS_LINK, why="expectations move GPU prices; their effect on defaults "
                     "and losses goes through margin calls and is not predicted in size."),
         "gpu_price_max_drawdown": Expect("+", "a persistent surprise lowers the PV of expected "
                                          "rents more.", "Kalouptsidi 2014"),
         "gpu_price_index:min": Expect("-", "a persistent surprise lowers the PV of expected "
                                       "rents more.", "Kalouptsidi 2014")},
        test=SignTest(seeds=4, steps=36, outputs=("gpu_price_max_drawdown",)))
    add("gpu_quality_cap", me, "Quality cap on used-GPU prices",
        Arm.of(w, gpu_quality_cap=False), Arm.of(w),
        "no used unit is worth more than the newest vintage's price times its relative compute "
        "(Gavazza 2011: used and new units substitute in quality-adjusted terms); the cap binds "
        "where values are high, on the scheduled path near list price, not in a slump",
        "Gavazza 2011",
        {**_no_prior(*STRESS_LINK, why="the cap changes prices on schedule and in a slump alike; "
                     "its effect on defaults is not predicted in size."),
         "gpu_price_max_drawdown": Expect("-", "the cap lowers the scheduled price the index is "
                                          "measured against, not the depressed market price, so "
                                          "the index falls less.", "Gavazza 2011")})
    add("higher_ltv", me, "Higher GPU-loan LTV",
        Arm.of(w, gpu_loan_max_ltv=0.6), Arm.of(w, gpu_loan_max_ltv=0.8),
        "more debt per GPU: a smaller price fall triggers margin calls and defaults (Geanakoplos "
        "2010)", "[R5]",
        {**_stress(+1, "thinner equity cushions turn price falls into calls and defaults", "[R5]"),
         **_no_prior(*AI, "savers_401k_loss_fraction",
                     why="equity prices follow demand news more than GPU-loan terms.")})
    _tech_credit_mechanisms(add, w, winter)
    share = winter.bank_pc_lending_share
    add("bank_exposure", me, "Bigger bank exposure to private credit",
        Arm.of(w), Arm.of(w, bank_pc_lending_share=round(min(1.0, share * 1.5), 6)),
        "banks fund a larger share of private credit, so fund losses reach more bank capital",
        "[F31, F33]",
        {**_no_prior(*STRESS_LINK, why="more bank funding also means more private-credit "
                     "lending; no prediction outside banks."),
         BANK_MIN: Expect("-", "larger lines to funds expose more bank capital "
                                              "to fund losses.", "[F31, F33]"),
         "losses_by_holder_usd.banks": Expect("+", "larger lines to funds, larger bank losses when "
                                              "funds fail.", "[F31, F33]")})
    bank_link = {BANK_MIN: Expect("-", "levered vehicles' losses reach the banks "
                                                      "that lend to them: provisions as their "
                                                      "leverage rises, write-offs when they fail.",
                                                      "[F31, F33, R15]"),
                 "losses_by_holder_usd.banks": Expect("+", "a BDC that fails leaves its bank "
                                                      "facilities short.", "[F31, F33, R15]"),
                 "defaults_by_sector.private_credit": Expect("+", "a BDC at about 1x debt/equity "
                                                            "fails when its tech loans lose half "
                                                            "their value.", "[R15]")}
    # model 0.5.0: no BDC fails at ai_winter's depth (its tech book loses about a tenth, a BDC
    # at 1x fails near half), so the test checks what BDCs do to banks without failing: their
    # facilities' allowance rises with their leverage and lowers the bank ratio (model 0.5.1,
    # 36 months: -0.091 pp [-0.11, -0.07], 6 seeds; model 0.6.1, seeds 0-3: -0.084 pp [-0.116, -0.052])
    bdc_test = SignTest(seeds=4, steps=36, outputs=(BANK_MIN,))
    add("bdc_channel", me, "Levered private-credit vehicles (BDCs)",
        Arm.of(w, n_pc_bdcs=0), Arm.of(w),
        f"{winter.n_pc_bdcs} BDCs hold {winter.pc_bdc_tech_share:.0%} of private credit's other "
        f"tech loans on bank debt of {winter.pc_bdc_debt_to_equity}x their equity on average, "
        "instead of the LP-owned funds holding them with little debt", "[F31, R15]",
        {**_no_prior(*STRESS_LINK, why="the same loans, held by another vehicle; no prediction "
                     "outside banks and private credit."), **bank_link},
        test=bdc_test)
    lev = winter.pc_bdc_debt_to_equity
    add("bdc_leverage", me, "More levered BDCs",
        Arm.of(w), Arm.of(w, pc_bdc_debt_to_equity=1.4),
        f"BDCs borrow 1.4x their equity on average instead of {lev}x (the legal cap is 2x since "
        "2018)", "[R15]",
        {**_no_prior(*STRESS_LINK, why="more bank debt in the BDCs, less LP money; no prediction "
                     "outside banks and private credit."), **bank_link})
    _bank_lending_mechanisms(add, w, winter)
    ins = winter.insurer_pc_bn
    add("insurer_exposure", me, "Bigger insurer exposure to private credit",
        Arm.of(w), Arm.of(w, insurer_pc_bn=ins * 1.5),
        "insurers hold half as much again in private credit", "[F32, F33]",
        {**_no_prior(*STRESS_LINK, why="no prediction outside insurers."),
         **_no_prior(INSURER_MIN, why="each insurer's capital is solved to the ratio it manages to "
                     "on its own holdings (model 0.7.0), so more private credit brings more capital "
                     "and the winter takes a similar share of both."),
         "losses_by_holder_usd.lp_insurers": Expect("+", "insurers as LPs bear a larger share of "
                                                    "fund losses.", "[F32]")})
    tech = winter.insurer_placement_tech_share
    add("insurer_tech_placements", me, "Insurers' placements lend more to the tech cohorts",
        Arm.of(w), Arm.of(w, insurer_placement_tech_share=min(1.0, 2 * tech)),
        f"{min(1.0, 2 * tech):.0%} of insurers' private placements lend to the AI-exposed tech "
        f"cohorts instead of {tech:.0%}; their NAIC designations migrate with the borrowers' "
        "leverage", "[R17, R33]",
        {**_no_prior(*STRESS_LINK, why="no prediction outside insurers."),
         INSURER_MIN: Expect("-", "more placements migrate down the designations and default, "
                                  "raising the capital required and lowering capital.", "[R33]"),
         "losses_by_holder_usd.insurers": Expect("+", "placement defaults are insurers' realised "
                                                  "losses.", "[R17]")})


def _decisions(add, w: str, winter) -> None:
    """Decisions that depend on the decider's state (issue 18, section 4): A = a rule that
    ignores the state (or a different constant), B = the shipped rule."""
    me = "mechanism"
    weak = "neoclouds that cannot roll their GPU loans or sell new shares run out of cash"
    add("rollover_state", me, "Rollover follows the borrower's LTV and coverage",
        Arm.of(w, rollover_ltv_sensitivity=0.0, rollover_coverage_sensitivity=0.0), Arm.of(w),
        f"lenders roll a maturing GPU loan less often the higher its LTV (slope "
        f"{winter.rollover_ltv_sensitivity:g}) and the lower its borrower's debt-service coverage, "
        "instead of with one probability whatever the borrower's state (He and Xiong 2012)",
        "[F6]",
        {**_no_prior(*STRESS_LINK, why="the state-dependent rule refuses more in distress but also in "
                     "the calm (CoreWeave's contracted revenue covers about two thirds of its "
                     "dues), when a refused loan is repaid from cash or new shares and the "
                     "neocloud deleverages: no sign a priori "
                     "for the aggregates."),
         "gpu_rollovers_refused_usd:sum": Expect("+", "weak borrowers (revenue short of dues) "
                                                 "and high LTVs after the shock are refused more "
                                                 "often than the flat base share.", "[F6]")})
    add("equity_issue_limits", me, "New shares priced and limited",
        Arm.of(w, equity_issue_max_share_per_year=10.0, equity_issue_min_value_to_debt=0.0,
               equity_issue_cost=0.0), Arm.of(w),
        f"new shares cost {winter.equity_issue_cost:.0%} of the price, at most "
        f"{winter.equity_issue_max_share_per_year:.0%} of equity value a year, none under debt "
        "overhang (Myers 1977), instead of any amount at the market price", "[F5, F6, F19]",
        {**_stress(+1, weak, "[F5, F6]"),
         **_no_prior(*AI, "savers_401k_loss_fraction", "gpu_price_index",
                     why="fewer failures of small firms against dilution of the survivors' shares: "
                     "no sign a priori for the AI index or savers."),
         "defaults_by_sector.neocloud": Expect("+", "a neocloud that cannot sell shares when its "
                                               "value falls cannot meet margin calls.", "[F5, F6, F25]"),
         "defaults_by_sector.ai_lab": Expect("+", "a lab whose valuation falls cannot sell enough "
                                             "shares to pay its compute contracts.", "[F14, F15]"),
         "equity_issued_usd:sum": Expect("-", "the cap and the overhang rule bind.", "[F19]")},
        # model 0.6.1, 36 months: +1 neocloud failure in each of seeds 0-3 (+0.83 on seeds 0-5)
        test=SignTest(seeds=4, steps=36, outputs=("defaults_by_sector.neocloud",), rule="mean"))
    add("anchor_deals", me, "Smaller neoclouds' anchor deals",
        Arm.of(w, small_neocloud_anchor_deal_x_market_cap=0.0), Arm.of(w),
        f"each smaller neocloud holds a five-year take-or-pay contract with its anchor hyperscaler "
        f"worth {winter.small_neocloud_anchor_deal_x_market_cap:g}x its market value (Nebius with "
        "Microsoft), instead of none: the revenue its leases and GPU loans were taken on for",
        "[R42, F2]",
        {**_no_prior(*STRESS_LINK, why="the deal moves revenue from hyperscalers to neoclouds; no "
                     "sign a priori for prices and ratios."),
         "defaults_total": Expect("-", "contracted revenue from investment-grade hyperscalers pays "
                                  "the neoclouds' leases and loans, so fewer run out of cash.", "[R42]"),
         "defaults_by_sector.neocloud": Expect("-", "a neocloud whose costs its contract covers "
                                               "does not live on capped new shares.", "[R42, F5]"),
         "equity_issued_usd:sum": Expect("-", "contracted cash replaces new shares.", "[R42]")})
    add("lab_round_interval", me, "Labs' rounds a month or six months apart",
        Arm.of(w, lab_round_interval_months=1), Arm.of(w, lab_round_interval_months=6),
        "a lab may ask investors every month or every six months; investors commit at a pace of "
        "its burn (staged financing, Gompers 1995), so the interval changes the timing, not the "
        "amount", "[F15, F18]",
        {**_no_prior(*STRESS_LINK, why="timing of rounds only."),
         "defaults_by_sector.ai_lab": Expect("0", "investors fund a lab at a pace of its burn "
                                             "whatever the interval.", "[F15]")})
    add("lab_runway_threshold", me, "Labs raise with 6 or 18 months of runway left",
        Arm.of(w, lab_runway_months_min=6.0), Arm.of(w, lab_runway_months_min=18.0),
        "a lab plans a round when its runway falls below 6 or 18 months (venture practice 12-18)",
        "[F15, F18]",
        {**_no_prior(*STRESS_LINK, why="labs' cash reaches the rest of the economy only through "
                     "their compute payments; no sign a priori for the aggregates."),
         "defaults_by_sector.ai_lab": Expect("-", "a lab that raises with more runway left raises "
                                             "more while investors are keen, before the winter; "
                                             "afterwards investors fund it at the same pace.",
                                             "[F15, F18]")})
    add("active_savers", me, "Only active 401(k) savers sell",
        Arm.of(w, saver_active_share=1.0), Arm.of(w),
        f"{winter.saver_active_share:.0%} of each cohort reacts to its drawdown and the rest holds "
        "(Agnew, Balduzzi and Sunden 2003), instead of every saver", "[R34]",
        {**_no_prior(*STRESS_LINK, "savers_401k_loss_fraction",
                     why="fewer panic sales realise fewer losses but leave more of the fall on the "
                     "books; the index barely moves with savers' trades."),
         "savers_401k_realised_loss_usd": Expect("-", "fewer savers sell below cost.", "[R34]"),
         "saver_run_requests_usd:sum": Expect("-", "only the active savers' part of a cohort's "
                                              "private-credit holding runs on it.", "[R34]")})


def _build() -> list[Experiment]:
    winter = load_scenario("ai_winter")
    exps: list[Experiment] = []

    def add(name, group, title, a, b, mechanism, source, expect, test=None):
        unknown = sorted(set(expect) - set(OUTPUT_BY_KEY))
        if unknown:
            raise ValueError(f"validation experiment {name!r}: {unknown[0]!r} is not an output")
        exps.append(Experiment(name, group, title, a, b, mechanism, source, expect, test))

    for part in (_headline, _channels, _fire_sale_channels):
        part(add, "ai_winter", winter)
    _deep_winter_reactions(add, "ai_winter", {e.name: e for e in exps})
    for part in (_policies, _mechanisms, _decisions):
        part(add, "ai_winter", winter)
    return exps


EXPERIMENTS: list[Experiment] = _build()


def expectation(exp: Experiment, key: str) -> Expect:
    """The expected sign of ``key`` in ``exp`` (``?``, no prediction, when the table has none)."""
    return exp.expect.get(key, Expect("?", ""))


def arms_of(experiments) -> list[Arm]:
    """The distinct arms of the experiments, in order of first use."""
    seen: dict[Arm, None] = {}
    for e in experiments:
        seen.setdefault(e.a)
        seen.setdefault(e.b)
    return list(seen)
