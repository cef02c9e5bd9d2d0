"""Running the validation's experiments and judging each output: the verdicts.

:func:`run_experiments` runs every distinct arm of the experiments through the sweep machinery
(:func:`aicredit.models.sweep.run_sweep`, one sweep per distinct arm on one shared pool of
spawned worker processes, so arms shared by several experiments run once); :func:`analyse`
computes each output's paired statistics (:func:`aicredit.models.stats.paired_stats`) and its
verdict (:func:`verdict`).

Verdicts: ``as expected`` (the CI excludes 0 on the expected side), ``wrong sign`` (the CI
excludes 0 on the other side), ``no effect detected`` (the CI includes 0), ``no effect``
(every paired difference is exactly 0: the change does nothing to this output), ``unexpected
effect`` (an effect where none was expected), ``effect (no prior)`` (an effect on an output no
mechanism predicts), ``holds by construction`` (a predicted sign that follows from what the arms
are, not from a mechanism; not counted as a finding) and ``n/a`` (fewer than 2 usable pairs).
Whether a difference is an effect is :attr:`aicredit.models.stats.Stats.effect`'s rule.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from aicredit.models.scenario import load_scenario
from aicredit.models.stats import Stats, paired_stats
from aicredit.models.validation.experiments import OUTPUTS, Arm, arms_of, expectation
from aicredit.models.validation.ranges import RANGE_REPORTERS, check_ranges

__all__ = ["AS_EXPECTED", "WRONG", "NOT_DETECTED", "NO_EFFECT", "UNEXPECTED", "NO_PRIOR", "NA",
           "BY_CONSTRUCTION", "judge", "baseline_ranges",
           "verdict", "is_flagged", "run_experiments", "run_arms", "analyse"]

AS_EXPECTED, WRONG, NOT_DETECTED, NO_EFFECT = "as expected", "wrong sign", "no effect detected", "no effect"
UNEXPECTED, NO_PRIOR, NA = "unexpected effect", "effect (no prior)", "n/a"
#: A predicted sign that holds by construction of the arms (:attr:`Expect.by_construction`): shown,
#: not counted as a finding.
BY_CONSTRUCTION = "holds by construction"


def verdict(s: Stats, expected: str) -> str:
    """The verdict on one output of one experiment (see the module docstring)."""
    if s.all_zero and s.n >= 1:
        return NO_EFFECT
    if s.n < 2 or not math.isfinite(s.lo):
        return NA
    if s.effect == 0:
        return NOT_DETECTED
    sign = "+" if s.effect > 0 else "-"
    if expected in ("+", "-"):
        return AS_EXPECTED if sign == expected else WRONG
    if expected == "0":
        return UNEXPECTED
    return NO_PRIOR


def judge(s: Stats, ex) -> str:
    """The verdict on one output against its :class:`Expect`: :data:`BY_CONSTRUCTION` where the
    sign holds by construction and the runs show it (a wrong sign there stays a wrong sign)."""
    v = verdict(s, ex.sign)
    return BY_CONSTRUCTION if ex.by_construction and v == AS_EXPECTED else v


def is_flagged(v: str, expected: str) -> bool:
    """A wrong sign, a change that does nothing where an effect was expected, or an effect where
    none was."""
    return v == WRONG or v == UNEXPECTED or (v == NO_EFFECT and expected in ("+", "-"))


def _steps(arm: Arm, steps: int | None) -> int:
    return steps if steps is not None else load_scenario(arm.scenario, **dict(arm.overrides)).steps


def run_experiments(experiments, seeds: list[int], steps: int | None = None, workers: int | None = None,
                    cache: str | Path | None = None, progress: bool = True,
                    report: dict | None = None) -> dict:
    """Run every distinct arm of the experiments for every seed: :func:`run_arms` on
    :func:`~aicredit.models.validation.experiments.arms_of` ``(experiments)``.

    Returns ``{arm: DataFrame}`` (one row per seed, a column per output key)."""
    return run_arms(arms_of(experiments), seeds, steps, workers, cache, progress, report)


def run_arms(arms: list[Arm], seeds: list[int], steps: int | None = None, workers: int | None = None,
             cache: str | Path | None = None, progress: bool = True, report: dict | None = None,
             outputs: list[str] | None = None) -> dict:
    """Run every arm for every seed through :func:`models.sweep.run_sweep`.

    Returns ``{arm: DataFrame}`` (one row per seed, a column per output key). One pool of
    spawned processes serves every arm. ``cache``: a directory keeping each arm's sweep (so an
    interrupted report resumes); runs are identified by their full parameters, seed and model
    version, so a changed model runs anew unless its version was not bumped: without ``cache``
    every run is fresh. ``report`` (a dict) gets the number of runs ``total`` and of those
    taken from the cache, ``cached``. ``outputs``: the output keys (default: the keys of
    :data:`~aicredit.models.validation.experiments.OUTPUTS`; a cache holds one set of keys per
    arm, so runs of other outputs need a cache folder of their own).
    """
    import concurrent.futures as cf
    import multiprocessing

    from aicredit.models.sweep import SweepSpec, build_runs, run_sweep, validate_outputs, worker_init

    keys = list(outputs) if outputs is not None else [o.key for o in OUTPUTS]
    specs = {arm: SweepSpec(scenarios=[arm.scenario], steps=_steps(arm, steps), seeds=list(seeds),
                            outputs=keys + (RANGE_SERIES if arm == BASELINE else []), points=[{}],
                            fixed=dict(arm.overrides), name=arm.slug(),
                            source="aicredit.models.validate") for arm in arms}
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


#: The arm whose paths the public-ranges table reads, and the series it records for it.
BASELINE = Arm.of("baseline")
RANGE_SERIES = [f"series:{r}" for r in RANGE_REPORTERS]


def baseline_ranges(results: dict) -> list[dict]:
    """The public-ranges table (:func:`aicredit.models.validation.ranges.check_ranges`) on the
    baseline arm's runs; empty when no experiment ran the baseline."""
    df = results.get(BASELINE)
    if df is None:
        return []
    ok = df[df["error"] == ""]
    return check_ranges({r: list(ok[f"series:{r}"]) for r in RANGE_REPORTERS})


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
                             verdict=judge(s, ex), by_construction=ex.by_construction,
                             failed=len(da) - len(ok_a) + len(db) - len(ok_b)))
    return rows

