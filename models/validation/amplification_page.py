"""The amplification page (``docs/amplification.md``): :func:`render` turns the runs of
:func:`aicredit.models.validation.amplification.run_amplification` into Markdown.

Every number and every sentence that states a finding is computed from the runs: the words
(:func:`findings`) follow the measured intervals, not what the issue expected. Apart from its
provenance lines (command, model version and commit, date, run time) the page is a function of
the runs only.
"""
from __future__ import annotations

import datetime as _dt
import math

from aicredit.models.scenario import CHANNELS, load_scenario
from aicredit.models.stats import Stats, paired_stats
from aicredit.models.validation.amplification import (
    ACTIVITY,
    ALL_OFF,
    ALL_ON,
    BANK_LINES,
    IMPACT_PARAMETERS,
    REACTION_TEXT,
    REACTIONS,
    REFERENCE_SCENARIO,
    SCENARIO,
    TABLE_OUTPUTS,
    Curve,
    curve_point,
    impact_overrides,
    second_round,
    share_trend,
)
from aicredit.models.validation.experiments import BANK_MIN, INSURER_MIN, OUTPUT_BY_KEY, Output
from aicredit.models.validation.render import git_commit_text
from aicredit.models.validation.render import number as _f

__all__ = ["render", "findings", "curve_table", "PROVENANCE_PREFIXES"]

#: The lines of the page that say how and when it was made, not what was found.
PROVENANCE_PREFIXES = ("- Command:", "- Model version:", "- Date:", "- Run time:")
BN = 1e9
#: Outputs the validation does not list, by key: the reactions' activity.
_EXTRA = {"units_fire_sold:sum": Output("units_fire_sold:sum", "GPU units fire-sold", "units"),
          "bank_tightening_max:max": Output("bank_tightening_max:max", "banks' largest tightening "
                                            "(share of the management buffer used up), max", "share"),
          "insurer_forced_sales_usd:sum": Output("insurer_forced_sales_usd:sum", "insurers' forced sales",
                                                 "bn USD", BN),
          "pc_run_requests_usd:sum": Output("pc_run_requests_usd:sum", "wealth investors' run requests",
                                            "bn USD", BN),
          BANK_LINES: Output(BANK_LINES, "banks' credit lines to private credit, max", "bn USD", BN)}


def _out(key: str) -> Output:
    return OUTPUT_BY_KEY.get(key) or _EXTRA[key]


def _code(reaction: str) -> str:
    return CHANNELS[reaction].code


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _ci(s: Stats, scale: float = 1.0, pct: bool = False) -> str:
    if not math.isfinite(s.lo):
        return "n/a"
    if pct:
        return f"[{_pct(s.lo)}, {_pct(s.hi)}]"
    return f"[{_f(s.lo / scale)}, {_f(s.hi / scale)}]"


def _mark(s: Stats) -> str:
    """``*`` where the interval excludes 0, ``=`` where every paired difference is 0."""
    return "=" if s.all_zero else ("*" if s.effect else "")


def _label(key: str) -> str:
    o = _out(key)
    return f"{o.label} ({o.unit})" if o.unit else o.label


def impact_table(impacts) -> list[str]:
    """What each impact multiplier sets the markets' parameters to."""
    s = load_scenario(SCENARIO)
    out = ["| impact m | " + " | ".join(f"`{k}`" for k in IMPACT_PARAMETERS) + " |",
           "|---:|" + "---:|" * len(IMPACT_PARAMETERS)]
    for m in impacts:
        ov = impact_overrides(m)
        vals = [_f(ov.get(k, getattr(s, k))) for k in IMPACT_PARAMETERS]
        out.append(f"| {m:g}{' (as shipped)' if m == 1 else ''} | " + " | ".join(vals) + " |")
    return out


def curve_table(curves: list[Curve]) -> list[str]:
    """The curve: losses all on and all off, the second round with its interval and share, and
    each reaction's own contribution (share of the all-on losses), per impact."""
    codes = [_code(r) for r in REACTIONS]
    out = ["| impact m | losses, all on (bn) | all off (bn) | second round (bn) [95% CI] | "
           "second-round share [95% CI] | " + " | ".join(f"{c} alone" for c in codes) +
           " | interaction |",
           "|---:|---:|---:|---|---|" + "---:|" * (len(codes) + 1)]
    for c in curves:
        s = c.on_off
        cells = [f"{_pct(c.alone[r][1].diff)}{_mark(c.alone[r][1])}" if r in c.alone else "-"
                 for r in REACTIONS]
        out.append(f"| {c.m:g} | {_f(s.mean_b / BN)} | {_f(s.mean_a / BN)} | {_f(s.diff / BN)} "
                   f"{_ci(s, BN)}{_mark(s)} | {_pct(c.share.diff)} {_ci(c.share, pct=True)} | "
                   + " | ".join(cells) + f" | {_pct(c.interaction)} |")
    return out


def contribution_table(curves: list[Curve]) -> list[str]:
    """Each reaction alone against all off, in bn USD with its interval, per impact."""
    out = ["| impact m | " + " | ".join(f"{_code(r)} alone - all off (bn) [95% CI]" for r in REACTIONS)
           + " |", "|---:|" + "---|" * len(REACTIONS)]
    for c in curves:
        cells = []
        for r in REACTIONS:
            if r not in c.alone:
                cells.append("-")
                continue
            s = c.alone[r][0]
            cells.append(f"{_f(s.diff / BN)} {_ci(s, BN)}{_mark(s)}")
        out.append(f"| {c.m:g} | " + " | ".join(cells) + " |")
    return out


def _col(results, arm_key, key):
    df = results[arm_key]
    return df.loc[df["error"] == "", key].astype(float)


def activity_table(results: dict, impacts) -> list[str]:
    """What each reaction did with every reaction on: its activity output's mean, and the
    seeds in which it acted at all."""
    out = ["| reaction | what it measures | " + " | ".join(f"m = {m:g}" for m in impacts) + " |",
           "|---|---|" + "---:|" * len(impacts)]
    for r in REACTIONS:
        key = ACTIVITY[r]
        o = _out(key)
        cells = []
        for m in impacts:
            x = _col(results, (SCENARIO, m, ALL_ON), key)
            cells.append(f"{_f(x.mean() / o.scale)} ({int((x != 0).sum())}/{len(x)})")
        out.append(f"| {_code(r)} | {_label(key)} | " + " | ".join(cells) + " |")
    return out


def outputs_table(results: dict, scenario: str, m: float, alone: bool) -> list[str]:
    """Every table output at one impact: all off, all on, their paired difference, and each
    reaction alone against all off."""
    reactions = [r for r in REACTIONS if alone and (scenario, m, r) in results]
    out = ["| output | all off | all on | on - off [95% CI] | "
           + " | ".join(f"{_code(r)} alone - off" for r in reactions) + (" |" if reactions else "|"),
           "|---|---:|---:|---|" + "---:|" * len(reactions)]
    for key in TABLE_OUTPUTS:
        scale = _out(key).scale
        off = _col(results, (scenario, m, ALL_OFF), key)
        on = _col(results, (scenario, m, ALL_ON), key)
        s = paired_stats(off / scale, on / scale)
        alone_stats = [paired_stats(off / scale, _col(results, (scenario, m, r), key) / scale)
                       for r in reactions]
        cells = [f"{_f(a.diff)}{_mark(a)}" for a in alone_stats]
        out.append(f"| {_label(key)} | {_f(s.mean_a)} | {_f(s.mean_b)} | {_f(s.diff)} {_ci(s)}{_mark(s)} | "
                   + " | ".join(cells) + (" |" if cells else "|"))
    return out


def excess_share(results: dict, key: str = "losses_total_usd") -> Stats | None:
    """The second-round share of the winter's excess over the baseline at ``m = 1``: per seed
    ``((W_on - B_on) - (W_off - B_off)) / (W_on - B_on)``; None without the reference arms."""
    need = [(SCENARIO, 1.0, ALL_ON), (SCENARIO, 1.0, ALL_OFF), (REFERENCE_SCENARIO, 1.0, ALL_ON),
            (REFERENCE_SCENARIO, 1.0, ALL_OFF)]
    if not all(k in results for k in need):
        return None
    w_on, w_off, b_on, b_off = (_col(results, k, key) for k in need)
    return second_round(w_on - b_on, w_off - b_off)


def findings(curves: list[Curve], results: dict) -> list[str]:
    """The answer in words, each sentence following the measured intervals."""
    base = next((c for c in curves if c.m == 1), curves[0])
    top = curves[-1]
    out = []
    s = base.share
    detected = base.on_off.effect != 0
    out.append(f"- **Second round at the shipped impact (m = {base.m:g}).** With every reaction on "
               f"the winter loses {_f(base.on_off.mean_b / BN)} bn, with all of them off "
               f"{_f(base.on_off.mean_a / BN)} bn: the reactions add {_f(base.on_off.diff / BN)} bn "
               f"{_ci(base.on_off, BN)}, a second-round share of {_pct(s.diff)} "
               f"{_ci(s, pct=True)}" + ("." if detected else
                                          ", which these seeds cannot tell from zero."))
    if len(curves) > 1:
        lo_c, hi_c = curves[0], top
        t = share_trend(results, lo_c.m, hi_c.m)
        trend = {1: "rises with price impact", -1: "falls as price impact grows",
                 0: "does not change detectably with price impact"}[t.effect]
        out.append(f"- **Across price impacts.** The share is {_pct(lo_c.share.diff)} at m = {lo_c.m:g} "
                   f"and {_pct(hi_c.share.diff)} at m = {hi_c.m:g}: it {trend} (paired by seed, "
                   f"{_pct(t.diff)} {_ci(t, pct=True)}); the second round in bn is "
                   f"{_f(lo_c.on_off.diff / BN)} and {_f(hi_c.on_off.diff / BN)}.")
    acting = [r for r in REACTIONS if r in base.alone and base.alone[r][0].effect != 0]
    silent = [r for r in REACTIONS if r in base.alone and base.alone[r][0].all_zero]
    faint = [r for r in REACTIONS if r in base.alone and r not in acting and r not in silent]
    if base.alone:
        words = []
        if acting:
            words.append("alone, " + ", ".join(
                f"{_code(r)} {'adds' if base.alone[r][0].diff > 0 else 'takes off'} "
                f"{_f(abs(base.alone[r][0].diff) / BN)} bn ({_pct(base.alone[r][1].diff)})" for r in acting))
        if faint:
            words.append(", ".join(_code(r) for r in faint) + (" move" if len(faint) > 1 else " moves")
                         + " losses by less than these seeds can detect")
        if silent:
            words.append(", ".join(_code(r) for r in silent) + (" change" if len(silent) > 1 else
                                                                 " changes") + " no loss in any seed")
        out.append(f"- **Each reaction at m = {base.m:g}:** " + "; ".join(words) +
                   f"; the interaction (on together beyond the sum alone) is {_pct(base.interaction)}.")
    out += _dormant_and_structure(results, base.m)
    out += _where_it_lands(results, base.m)
    bank = curve_point(results, base.m, BANK_MIN).on_off
    ins = curve_point(results, base.m, INSURER_MIN).on_off
    out.append(f"- **Capital.** With every reaction on the lowest bank capital ratio is "
               f"{_f(100 * bank.mean_b, 4)}% against {_f(100 * bank.mean_a, 4)}% with all off "
               f"(on - off {_f(100 * bank.diff, 3)} pp {_ci(bank, 0.01)}; "
               f"{'detected' if bank.effect else 'not detected'}), the lowest insurer solvency "
               f"{_f(ins.mean_b, 4)} against {_f(ins.mean_a, 4)} (on - off {_f(ins.diff, 3)} "
               f"{_ci(ins)}; {'detected' if ins.effect else 'not detected'}).")
    if base.share.diff < 0.2:
        out.append(_why_small(results, base.m, bank, ins))
    ex = excess_share(results)
    if ex is not None:
        out.append(f"- **The winter's excess over the baseline** (each arm less the baseline's "
                   f"loss with the same reactions and seed): second-round share {_pct(ex.diff)} "
                   f"{_ci(ex, pct=True)}.")
    return out


def _dormant_and_structure(results: dict, m: float) -> list[str]:
    """Which reactions never acted with every reaction on, and whether switching C6 off also
    removes banks' lines to private credit (an exposure, not only a reaction: so it did before
    model 0.6.1; the check stays so that the page says it if it ever does again)."""
    out = []
    on_key = (SCENARIO, m, ALL_ON)
    never = [r for r in REACTIONS if (_col(results, on_key, ACTIVITY[r]) == 0).all()]
    if never:
        out.append("- **Reactions that never acted** with every reaction on (their activity is 0 in "
                   "every seed): " + "; ".join(f"{_code(r)} ({_out(ACTIVITY[r]).label})" for r in never)
                   + ".")
    off_lines = _col(results, (SCENARIO, m, ALL_OFF), BANK_LINES)
    on_lines = _col(results, on_key, BANK_LINES)
    if (off_lines == 0).all() and (on_lines > 0).any():
        out.append(f"- **C6 is an exposure as well as a reaction.** With C6 off banks have no credit "
                   f"lines to private credit at all (with it on, up to {_f(on_lines.mean() / BN)} bn "
                   "on average), so the funds and BDCs carry no bank debt, breach no covenant and sell "
                   "no loans: C6's contribution, and the second round, include what the existence "
                   "of bank leverage in private credit adds, not only the banks' cut of their lines.")
    return out


def _where_it_lands(results: dict, m: float) -> list[str]:
    """Who bears the first round and who the second (the holders of the loss book)."""
    from aicredit.abm.sectors import HOLDER_CATEGORIES
    on = {h: _col(results, (SCENARIO, m, ALL_ON), f"losses_by_holder_usd.{h}").mean()
          for h in HOLDER_CATEGORIES}
    off = {h: _col(results, (SCENARIO, m, ALL_OFF), f"losses_by_holder_usd.{h}").mean()
           for h in HOLDER_CATEGORIES}
    total_off = sum(off.values())
    if total_off <= 0:
        return []
    first = sorted(off, key=off.get, reverse=True)[:2]
    added = sorted(((on[h] - off[h], h) for h in HOLDER_CATEGORIES), reverse=True)
    gain = [f"{h} {_f(d / BN)} bn" for d, h in added[:3] if d > 0]
    return ["- **Who bears it.** In the first round (all off) "
            + " and ".join(f"{h} carry {_pct(off[h] / total_off)}" for h in first)
            + " of the losses" + (f"; the reactions add most to: {', '.join(gain)}." if gain else
                                  "; the reactions add to no holder's losses.")]


def _why_small(results: dict, m: float, bank: Stats, ins: Stats) -> str:
    """Why the second round is small: how far the reactions' thresholds stay out of reach."""
    p = load_scenario(SCENARIO)
    on_key = (SCENARIO, m, ALL_ON)
    acted_c6, acted_c7 = ((_col(results, on_key, ACTIVITY[r]) != 0).any()
                          for r in ("c6_bank_credit_lines", "c7_insurer_forced_sales"))
    off = _col(results, (SCENARIO, m, ALL_OFF), "losses_total_usd").mean()
    firms = _col(results, (SCENARIO, m, ALL_OFF), "losses_by_holder_usd.firm_shareholders").mean()
    return (f"- **Why so little.** {_pct(firms / off if off > 0 else math.nan)} of the first round is "
            "the equity of failed firms, which no financial reaction sells; the lowest bank capital "
            f"ratio stays {_f(100 * (bank.mean_b - p.bank_capital_min), 3)} pp above the minimum with "
            f"buffer (`bank_capital_min`, {_f(100 * p.bank_capital_min, 3)}%) and the lowest insurer "
            f"solvency at {_f(ins.mean_b, 3)} against the company action level "
            f"(`insurer_solvency_min`, {_f(p.insurer_solvency_min, 3)})"
            + ("; no bank cuts its lines and no insurer is forced to sell in any seed"
               if not acted_c6 and not acted_c7 else "") + ".")


def _magnitude_pp(bank: Stats, take: bool) -> Stats:
    """The interval of what the reactions take off the lowest bank capital ratio (``take``) or
    add to it, in pp, with the same orientation as the number the sentence prints (its
    absolute value): ``-100 (on - off)`` for what they take, ``100 (on - off)`` for what they add."""
    k = -100.0 if take else 100.0
    lo, hi = sorted((k * bank.lo, k * bank.hi))
    return Stats(bank.n, 0, 0, k * bank.diff, 0, lo, hi, False)


def compare_r32(curves: list[Curve], results: dict) -> list[str]:
    """The comparison with [R32], in words that follow the numbers."""
    base = next((c for c in curves if c.m == 1), curves[0])
    bank = curve_point(results, base.m, BANK_MIN).on_off
    pp = -100 * bank.diff
    size = ("more than half" if base.share.diff > 0.5 else "a material part (a fifth or more)"
            if base.share.diff >= 0.2 else "a small part (under a fifth)" if base.share.diff > 0
            else "none")
    return [
        f"[R32](sources.md#r32) reports that in the ECB's banks-and-funds model the funds' reactions "
        f"take about 1 pp more off banks' capital ratios, and that in the Bank of England's "
        f"system-wide exploratory scenario (2024) the reactions, not the first losses, set the "
        f"stress's size. Here, at the shipped price impact, the reactions {'take' if pp >= 0 else 'add'} "
        f"{_f(abs(pp), 3)} pp "
        f"{_ci(_magnitude_pp(bank, take=pp >= 0))} "
        f"{'off' if pp >= 0 else 'to'} the lowest bank capital ratio "
        f"({'about' if 0.5 <= pp <= 2 else 'far from'} the "
        f"ECB's 1 pp), and they make {size} of the winter's losses ({_pct(base.share.diff)}): "
        + ("as in the Bank of England's exercise, the reactions set the size." if base.share.diff > 0.5
           else "unlike the Bank of England's finding, the first-round losses set the winter's size "
           "in this model, and the reactions add to it."),
    ]


def _header(command, seeds, steps, run_time_s, workers, n_runs, cached, impacts) -> list[str]:
    from aicredit.models.report import MODEL_VERSION
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "# Amplification: how much do finance's reactions add to an AI winter?",
        "",
        "<!-- Generated by python -m aicredit.models.validate --amplification "
        "(models/validation/amplification_page.py); do not edit by hand. -->",
        "",
        f"- Command: `{command}`",
        f"- Seeds: {len(seeds)} ({seeds[0]}..{seeds[-1]}), the same in every arm (paired)",
        f"- Months per run: {steps if steps is not None else load_scenario(SCENARIO).steps}",
        f"- Impact multipliers: {', '.join(f'{m:g}' for m in impacts)}",
        f"- Model version: {MODEL_VERSION}, commit {git_commit_text()}",
        f"- Date: {now}",
        f"- Run time: {run_time_s / 60:.1f} min for {n_runs} runs on {workers} worker process"
        f"{'es' if workers > 1 else ''}" + (f"; {cached} taken from the cache" if cached else ""),
        "",
        f"The same AI winter (`{SCENARIO}`) is run with every behavioural reaction of the financial "
        "system on, with all of them off (**first-round losses only**: the shock's losses with "
        "no one reacting to them) and with each reaction alone (all others off), at several "
        "price impacts, with the same seeds in every arm: the design of the systemic-loss "
        "curve in the fire-sale stress test of Farmer, Kleinnijenhuis, Nahai-Williamson and "
        "Wetzer (2020). The **second-round share** of losses is, per seed, (losses with every "
        "reaction on - losses with all off) / losses with every reaction on, averaged over the "
        "seeds with its 95% t interval (`aicredit.models.stats.paired_stats`); a reaction's "
        "**own contribution** is (losses with it alone - all off) / losses all on. What the "
        "reactions add together beyond the sum of their contributions alone is their "
        "interaction. Money is in bn USD; `*` marks a paired difference whose interval excludes "
        "0, `=` one that is exactly 0 in every seed.",
    ]


def render(results: dict, impacts, *, command: str, seeds: list[int], steps: int | None,
           run_time_s: float, workers: int, cached: int = 0, alone: bool = True) -> str:
    """The page from :func:`run_amplification`'s results."""
    impacts = sorted(impacts)
    curves = [curve_point(results, m) for m in impacts]
    out = _header(command, seeds, steps, run_time_s, workers, sum(len(df) for df in
                  {id(df): df for df in results.values()}.values()), cached, impacts)
    out += ["", "## Findings", ""] + findings(curves, results)
    out += ["", "## Compared with the literature [R32]", ""] + compare_r32(curves, results)
    out += ["", "## The curve: losses against price impact", "",
            "Losses of every holder over the run; the reactions' columns are their own "
            "contributions as a share of the all-on losses. With every reaction off no sale "
            "moves a price, so the all-off arm is the same at every impact.", ""] + curve_table(curves)
    if alone:
        out += ["", "Each reaction alone against all off, in bn USD:", ""] + contribution_table(curves)
    out += ["", "## The reactions", "", "| switch | what it does |", "|---|---|"]
    out += [f"| {_code(r)} `{r}` | {REACTION_TEXT[r]} |" for r in REACTIONS]
    out += ["", "What each did with every reaction on: its activity's mean over the seeds (seeds in "
            "which it acted at all):", ""] + activity_table(results, impacts)
    out += ["", "## The price-impact multiplier", "",
            "One multiplier m divides the depth of every market in which a forced sale moves a "
            "price, so that a sale of a given size moves the price m times as much (in log terms "
            "for the GPU and loan markets' exponential impact, in level for the ABS mark's "
            "linear one). Persistence of the discounts and the buyers' share are unchanged:", ""]
    out += impact_table(impacts)
    for m in impacts:
        out += ["", f"## `{SCENARIO}` at impact m = {m:g}", ""]
        out += outputs_table(results, SCENARIO, m, alone)
    if (REFERENCE_SCENARIO, 1.0, ALL_ON) in results:
        out += ["", f"## Reference: `{REFERENCE_SCENARIO}` at m = 1", "",
                "The calibrated economy without a winter, every reaction on and all off.", ""]
        out += outputs_table(results, REFERENCE_SCENARIO, 1.0, alone=False)
    return "\n".join(out) + "\n"
