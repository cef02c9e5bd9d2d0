"""Wall time and peak memory of whole runs, and where the time goes.

    python benchmarks/bench_model.py            # baseline 72 steps + synthetic 24 steps
    python benchmarks/bench_model.py --quick    # synthetic 3 steps

Targets (issue 3): baseline 72 steps in under 2 s; the synthetic economy (>= 2,000
institutions, 100,000 saver cohorts, 1,000,000 GPU-backed loans) under 10 s a step;
memory under 4 GiB. Time is split into the two clearing kernels (fire sale, payments),
Mesa bookkeeping (DataCollector, AgentSet selection and dispatch) and everything else
(agent rules, balance sheets, the ledger), measured by wrapping those calls with timers.
"""
from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict

import mesa

from aicredit.abm import settlement
from aicredit.abm.markets import fire_sale
from aicredit.models import AIEconomyModel

TIMERS: dict[str, float] = defaultdict(float)


def timed(name, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMERS[name] += time.perf_counter() - t0
    return wrapper


def install_timers():
    fire_sale.clear_fire_sale = timed("fire-sale kernel", fire_sale.clear_fire_sale)
    settlement.clear_payments = timed("payment clearing", settlement.clear_payments)
    mesa.DataCollector.collect = timed("mesa: DataCollector", mesa.DataCollector.collect)
    mesa.agent.AgentSet.select = timed("mesa: AgentSet", mesa.agent.AgentSet.select)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run(scenario: str, steps: int, collect_agents: bool) -> dict:
    TIMERS.clear()
    t0 = time.perf_counter()
    m = AIEconomyModel(scenario, seed=0, collect_agents=collect_agents, steps=max(steps, 1))
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    for _ in range(steps):
        m.step()
    wall = time.perf_counter() - t1
    shares = {k: v / wall for k, v in TIMERS.items()}
    # AgentSet.do dispatches straight into agent rules: count it with the rules
    shares["agent rules, ledger, balance sheets"] = 1.0 - sum(shares.values())
    return dict(scenario=scenario, steps=steps, build_s=build, wall_s=wall,
                per_step_s=wall / steps, institutions=len(m.institutions), savers=len(m.savers),
                loans=int(m.gpu_loans.active.sum()), shares=shares, peak_gib=peak_rss_gib())


def report(r: dict, target_total=None, target_step=None) -> None:
    print(f"\n{r['scenario']}: {r['institutions']} institutions, {r['savers']} saver cohorts, "
          f"{r['loans']:,} live GPU loans at the end")
    print(f"  build {r['build_s']:.2f} s; {r['steps']} steps in {r['wall_s']:.2f} s "
          f"({r['per_step_s']:.3f} s/step); peak RSS so far {r['peak_gib']:.2f} GiB")
    for k, v in sorted(r["shares"].items(), key=lambda kv: -kv[1]):
        print(f"    {k:<40}{v:>7.1%}")
    if target_total is not None:
        ok = r["wall_s"] < target_total
        verdict = "MET" if ok else "NOT MET"
        print(f"  [{verdict}] {r['steps']} steps under {target_total} s: {r['wall_s']:.2f} s")
    if target_step is not None:
        ok = r["per_step_s"] < target_step
        print(f"  [{'MET' if ok else 'NOT MET'}] under {target_step} s a step: {r['per_step_s']:.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 synthetic steps instead of 24")
    args = parser.parse_args()
    install_timers()
    base = run("baseline", 72, collect_agents=True)
    report(base, target_total=1.5)
    syn = run("synthetic", 3 if args.quick else 24, collect_agents=False)
    report(syn, target_step=5.0)
    ok = syn["peak_gib"] < 4.0
    print(f"\n[{'MET' if ok else 'NOT MET'}] peak memory under 4 GiB: {syn['peak_gib']:.2f} GiB")


if __name__ == "__main__":
    main()
