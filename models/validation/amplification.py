"""The amplification table: how much do finance's reactions add to an AI winter's losses, and
how does that depend on how far forced sales move prices?

The design follows the fire-sale stress test of Farmer, Kleinnijenhuis, Nahai-Williamson and
Wetzer (2020), whose systemic losses are drawn against the market's price impact: the same
shock is run with every behavioural reaction on and with all of them off (first-round losses
only: the shock's losses with no one reacting to them), and with each reaction alone (all
others off), at several price impacts, with the same seeds in every arm (paired).

The reactions are the scenario's switches in :data:`REACTIONS` (what each does:
:data:`REACTION_TEXT`). The price impact is one multiplier ``m`` of every market in which a
forced sale moves a price (:func:`impact_overrides`): each market's depth is divided by ``m``,
so a sale of a given size moves the price ``m`` times as much in log terms (exponential impact,
Cont and Schaanning 2017):

- GPUs: ``fire_sale_depth_share / m``;
- private loans, fund interests and data-centre ABS (the loan market's classes since model
  0.7.0): ``loan_market_impact_of_tenth_sold`` ``psi`` becomes ``1 - (1 - psi)^m`` (the depth
  ``0.1 O / -ln(1 - psi)`` divided by ``m``).

``m = 1`` is the scenario as shipped (no override: the arm is the validation's own). A
market's depth is read only while its reaction is on (:data:`MARKET_SWITCH`: the GPU market's
with C3 on, the loan market's with C12; off, sales move no price), so
an arm carries the impact overrides of its switched-on markets only, and the arms in which
none is on (all off, C4, C6 or C13 alone) are one arm whatever ``m``, run once.

The arithmetic (:func:`second_round`, :func:`contribution`): for seed ``i``, with ``L`` a
loss total, the second-round share is ``(L_on,i - L_off,i) / L_on,i`` and reaction ``r``'s own
contribution ``(L_r alone,i - L_off,i) / L_on,i``; their means over seeds come with the
paired t interval of :func:`aicredit.models.stats.paired_stats` (the one rule of the project).
What the reactions add beyond the sum of their contributions alone is their interaction.

The runs are the validation's (:func:`aicredit.models.validation.run.run_arms`: one pool of
spawned processes, an optional cache); the page is
:mod:`aicredit.models.validation.amplification_page`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from aicredit.abm.sectors import HOLDER_CATEGORIES, SECTORS
from aicredit.models.scenario import Scenario, load_scenario
from aicredit.models.stats import Stats, paired_stats
from aicredit.models.validation.experiments import BANK_MIN, INSURER_MIN, OUTPUTS, Arm

__all__ = ["REACTIONS", "REACTION_TEXT", "IMPACT_PARAMETERS", "DEFAULT_IMPACTS", "DEFAULT_SEEDS",
           "REFERENCE_SCENARIO", "SCENARIO", "ALL_ON", "ALL_OFF", "ACTIVITY", "AMP_OUTPUTS",
           "MARKET_SWITCH", "BANK_LINES", "TABLE_OUTPUTS",
           "impact_overrides", "parse_impacts", "configs", "config_arm", "amplification_arms",
           "second_round", "contribution", "seed_shares", "share_trend", "Curve", "curve_point",
           "run_amplification"]

#: The behavioural reactions: the scenario switches through which finance reacts to losses.
REACTIONS = ("c3_collateral_spiral", "c4_rollover_risk", "c6_bank_credit_lines",
             "c7_insurer_forced_sales", "c12_loan_fire_sales", "c13_runs")

#: What each switch does in the model, on and off (read from the code that reads it).
REACTION_TEXT = {
    "c3_collateral_spiral": (
        "GPU fire sales move the GPU price: a margin-called neocloud's forced sales and failed "
        "borrowers' estates sell into a market of finite depth, thinner when GPU lenders have "
        "lost money (buyers' financing), whose lower price triggers more calls; lenders' margins "
        "rise with the market's measured volatility and their own losses (Brunnermeier and "
        "Pedersen 2009; Adrian and Shin 2010). Off: calls are still made and met on the "
        "contractual terms and estates still sold, but at the reference price (infinite depth), "
        "so no sale moves any other holder's collateral value (abm/markets/fire_sale.py, "
        "abm/markets/gpu.py, abm/gpu_lending.py)."),
    "c4_rollover_risk": (
        "lenders refuse to roll maturing GPU loans the more, the higher the loan's LTV, the lower "
        "its borrower's debt-service coverage and the weaker the lender's own funding (a fund's "
        "appetite and redemption pressure, 0 in covenant breach; a bank below its buffer), He and "
        "Xiong 2012. Off: every maturing GPU loan is rolled over (abm/rollover.py)."),
    "c6_bank_credit_lines": (
        "banks' credit supply follows their capital: a bank tightens its new AI-channel lending "
        "(GPU loans, data-centre projects, BDC upsizes, undrawn commitments, rollovers) in "
        "proportion to the share of its management buffer it has used up, and below its "
        "regulatory buffer cuts its lines and runs off its other loans (a credit crunch). Off: "
        "banks keep the same lines to funds and BDCs and lend as if unstressed "
        "(abm/agents/bank.py)."),
    "c7_insurer_forced_sales": (
        "an insurer below the ratio it manages to (350%) sells its riskiest holdings gradually, "
        "below the company action level up to all of them: fund interests (part asked of the "
        "funds as gated redemptions), tech placements and data-centre ABS, into the loan market, "
        "whose prices fall for every holder (Ellul, Jotikasthira and Lundblad 2011). Off: no "
        "insurer sells (abm/agents/insurer.py, abm/constraints.py)."),
    "c12_loan_fire_sales": (
        "forced sales of private loans and fund interests (funds and BDCs in covenant breach, "
        "redemptions and cut lines paid beyond cash, insurers' orders) clear in a secondary "
        "market whose price falls with what is sold against what buyers can absorb, and every "
        "holder marks its loans to it (Cont and Schaanning 2017); a failed fund's or BDC's loans "
        "are sold into it too. Off: the sales still happen, at par, and estates' loans go at the "
        "fixed distress discount; no price moves (abm/markets/loan_market.py, abm/default.py)."),
    "c13_runs": (
        "wealth investors in semi-liquid funds ask to redeem when the fund's reported return "
        "falls short of the past year's, and the more when a stale NAV pays leavers more than "
        "stayers keep (Chen, Goldstein and Jiang 2010), within the funds' gates. Off: no wealth "
        "investor asks to redeem (abm/runs.py)."),
}

#: The parameters the impact multiplier scales, with how (see :func:`impact_overrides`).
IMPACT_PARAMETERS = {
    "fire_sale_depth_share": "GPU market depth, divided by m",
    "loan_market_impact_of_tenth_sold": "loan, fund-interest and ABS market: psi -> 1 - (1 - psi)^m",
}
#: The reaction whose switch makes each market's depth matter: off, that market's sales move
#: no price and its depth is not read (abm/markets/gpu.py ``market_depth``, the loan market's
#: ``depth_usd``, which prices the ABS insurers sell too).
MARKET_SWITCH = {"fire_sale_depth_share": "c3_collateral_spiral",
                 "loan_market_impact_of_tenth_sold": "c12_loan_fire_sales"}
#: The impact multipliers of the default run (1 = the scenario as shipped).
DEFAULT_IMPACTS = (0.5, 1.0, 2.0, 4.0, 8.0)
#: Seeds of the default run (0..N-1): 22 distinct arms, 352 runs of 72 months, about 5-8
#: minutes on 2 cores at 1.5-2.5 s a run.
DEFAULT_SEEDS = 16
SCENARIO = "ai_winter"
#: The scenario run for reference, at m = 1, with every reaction on and all off.
REFERENCE_SCENARIO = "baseline"
ALL_ON, ALL_OFF = "all on", "all off"

#: What each reaction did (its activity): zero in every seed means it never fired.
ACTIVITY = {
    "c3_collateral_spiral": "units_fire_sold:sum",
    "c4_rollover_risk": "gpu_rollovers_refused_usd:sum",
    "c6_bank_credit_lines": "bank_tightening_max:max",
    "c7_insurer_forced_sales": "insurer_forced_sales_usd:sum",
    "c12_loan_fire_sales": "pc_loans_sold_usd:sum",
    "c13_runs": "pc_run_requests_usd:sum",
}
#: Banks' credit lines to private credit (largest over the run): the same with C6 off (0.6.1).
BANK_LINES = "bank_credit_lines_usd:max"
#: The outputs of every arm: the validation's, the reactions' activity and the banks' lines.
AMP_OUTPUTS = [o.key for o in OUTPUTS] + [k for k in (*ACTIVITY.values(), BANK_LINES)
                                          if k not in {o.key for o in OUTPUTS}]
#: The outputs the table reports for each arm: losses by holder, failures by sector, the lowest
#: bank capital ratio and insurer solvency.
TABLE_OUTPUTS = (["losses_total_usd", *[f"losses_by_holder_usd.{h}" for h in HOLDER_CATEGORIES],
                  "defaults_total", *[f"defaults_by_sector.{s}" for s in SECTORS], BANK_MIN, INSURER_MIN,
                  "gpu_price_max_drawdown", "loan_price_tech:min"])


def impact_overrides(m: float, scenario: str = SCENARIO, on=REACTIONS) -> dict:
    """The overrides that multiply every market's price impact by ``m`` (module docstring):
    ``{}`` at ``m = 1``; only those of the markets whose reaction is in ``on``
    (:data:`MARKET_SWITCH`). Raises ``ValueError`` naming the parameter when ``m`` takes one
    out of its range."""
    if not (isinstance(m, int | float) and math.isfinite(m) and m > 0):
        raise ValueError(f"an impact multiplier must be a positive number, got {m!r}")
    if m == 1:
        return {}
    s = load_scenario(scenario)
    psi = s.loan_market_impact_of_tenth_sold
    out = {"fire_sale_depth_share": s.fire_sale_depth_share / m,
           "loan_market_impact_of_tenth_sold": float(-math.expm1(m * math.log1p(-psi)))}
    for name, value in out.items():
        meta = {f.name: f for f in dataclasses.fields(Scenario)}[name].metadata
        if not meta["low"] <= value <= meta["high"]:
            raise ValueError(f"impact {m:g} sets {name} = {value:.4g}, outside its range "
                             f"{meta['low']:g}..{meta['high']:g}")
    return {k: x for k, x in out.items() if MARKET_SWITCH[k] in on}


def parse_impacts(text: str) -> list[float]:
    """``"0.5,1,2"`` -> ``[0.5, 1.0, 2.0]`` (sorted, distinct); ``ValueError`` (one line) on a
    value that is not a number, not positive or out of a parameter's range, or on none."""
    values = []
    for part in (x.strip() for x in text.split(",")):
        if not part:
            continue
        try:
            m = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number") from None
        impact_overrides(m)                 # raises on a value out of range
        values.append(m)
    if not values:
        raise ValueError("no impact multiplier given")
    return sorted(set(values))


def configs(alone: bool = True) -> list[str]:
    """The arms' reaction settings: all on, all off and (``alone``) each reaction alone."""
    return [ALL_ON, ALL_OFF, *(REACTIONS if alone else ())]


def config_arm(config: str, m: float = 1.0, scenario: str = SCENARIO) -> Arm:
    """The arm of one reaction setting (:func:`configs`) at impact ``m``: all on is the
    scenario with only the impact overrides; all off switches every reaction off; a reaction
    alone switches off every other one."""
    if config == ALL_ON:
        on = REACTIONS
    elif config == ALL_OFF:
        on = ()
    elif config in REACTIONS:
        on = (config,)
    else:
        raise ValueError(f"unknown reaction setting {config!r} (known: {', '.join(configs())})")
    switches = {r: False for r in REACTIONS if r not in on}
    return Arm.of(scenario, **impact_overrides(m, scenario, on), **switches)


def amplification_arms(impacts, alone: bool = True, reference: bool = True) -> dict:
    """``{(scenario, m, config): Arm}``: every setting of :func:`configs` at every impact in
    ``ai_winter``, and (``reference``) all on and all off in ``baseline`` at ``m = 1``."""
    arms = {(SCENARIO, m, c): config_arm(c, m) for m in impacts for c in configs(alone)}
    if reference:
        arms.update({(REFERENCE_SCENARIO, 1.0, c): config_arm(c, 1.0, REFERENCE_SCENARIO)
                     for c in (ALL_ON, ALL_OFF)})
    return arms


def _ratio(x, on) -> np.ndarray:
    x, on = np.asarray(x, dtype=float), np.asarray(on, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(on != 0, x / np.where(on != 0, on, 1.0), np.nan)


def second_round(on, off) -> Stats:
    """The second-round share of losses, ``(on_i - off_i) / on_i`` per seed, as the paired
    statistics of ``off_i / on_i`` against 1 (:func:`paired_stats`: its ``diff`` is the mean
    share, ``lo``/``hi`` its 95% interval); a seed without losses with reactions on is left
    out."""
    r = _ratio(off, on)
    return paired_stats(r, np.where(np.isfinite(r), 1.0, np.nan))


def contribution(alone, off, on) -> Stats:
    """A reaction's own contribution, ``(alone_i - off_i) / on_i`` per seed: the share of the
    all-on losses it adds when it acts alone (paired statistics as :func:`second_round`)."""
    return paired_stats(_ratio(off, on), _ratio(alone, on))


def seed_shares(results: dict, m: float, key: str = "losses_total_usd"):
    """The second-round share of each seed at impact ``m`` (a Series by seed; NaN where the
    all-on value is 0)."""
    import pandas as pd
    on = _column(results, (SCENARIO, m, ALL_ON), key)
    off = _column(results, (SCENARIO, m, ALL_OFF), key).reindex(on.index)
    return pd.Series(1.0 - _ratio(off, on), index=on.index)


def share_trend(results: dict, m_low: float, m_high: float, key: str = "losses_total_usd") -> Stats:
    """How the second-round share changes from impact ``m_low`` to ``m_high``: the paired
    statistics of the seeds' shares (the same seeds at both impacts)."""
    return paired_stats(seed_shares(results, m_low, key), seed_shares(results, m_high, key))


@dataclasses.dataclass(frozen=True)
class Curve:
    """One point of the amplification curve (one impact multiplier, one output).

    ``on``/``off``: paired statistics of the output all off (A) against all on (B), its
    ``diff`` the second round in the output's unit; ``share``: :func:`second_round`;
    ``alone``: ``{reaction: (Stats of alone against off in the unit, its contribution share)}``;
    ``interaction``: the mean share not explained by the reactions alone."""

    m: float
    key: str
    on_off: Stats
    share: Stats
    alone: dict
    interaction: float


def curve_point(results: dict, m: float, key: str = "losses_total_usd") -> Curve:
    """The curve's point at impact ``m`` for output ``key`` from :func:`run_amplification`'s
    results (arms of every reaction alone where they ran)."""
    on = _column(results, (SCENARIO, m, ALL_ON), key)
    off = _column(results, (SCENARIO, m, ALL_OFF), key)
    seeds = on.index.intersection(off.index)
    on, off = on.loc[seeds], off.loc[seeds]
    alone = {}
    for r in REACTIONS:
        if (SCENARIO, m, r) in results:
            a = _column(results, (SCENARIO, m, r), key).reindex(seeds)
            alone[r] = (paired_stats(off, a), contribution(a, off, on))
    share = second_round(on, off)
    explained = sum(c.diff for _, c in alone.values() if math.isfinite(c.diff))
    interaction = share.diff - explained if alone else math.nan
    return Curve(m, key, paired_stats(off, on), share, alone, interaction)


def _column(results: dict, arm_key, key: str):
    df = results[arm_key]
    return df.loc[df["error"] == "", key].astype(float)


def run_amplification(impacts, seeds: list[int], steps: int | None = None, workers: int | None = None,
                      cache=None, progress: bool = True, report: dict | None = None,
                      alone: bool = True, reference: bool = True) -> dict:
    """Run every arm of :func:`amplification_arms` through the validation's runner
    (:func:`aicredit.models.validation.run.run_arms`). Returns ``{(scenario, m, config):
    DataFrame}`` (one row per seed). ``cache``: a folder; the arms are kept in its
    ``amplification`` subfolder (their outputs differ from the validation's, so the two
    cannot share an arm's sweep)."""
    from pathlib import Path

    from aicredit.models.validation.run import run_arms
    arms = amplification_arms(impacts, alone, reference)
    distinct = list(dict.fromkeys(arms.values()))
    where = Path(cache) / "amplification" if cache else None
    ran = run_arms(distinct, seeds, steps, workers, where, progress, report, outputs=AMP_OUTPUTS)
    return {k: ran[arm] for k, arm in arms.items()}
