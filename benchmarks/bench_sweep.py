"""Benchmark of headless sweeps (not a timed test): throughput and the Dask path's overhead.

    python benchmarks/bench_sweep.py            # baseline, 72 months, about 5 minutes
    python benchmarks/bench_sweep.py --quick    # 24 months, fewer runs (~1.5 minutes)

Measures, in one go:

- runs per minute of the ``baseline`` sweep on 1 worker (in-process) and on 2 local worker
  processes, and the parallel speed-up (target: >= 1.8x on 2 cores);
- per-run overhead of the Dask path (a ``LocalCluster`` of 2 single-threaded worker processes
  started with ``examples/dask/aicredit.yaml``) against local processes on the same runs
  (target: < 5%).

Rates are measured on warm workers (each executor first runs a tiny sweep that imports the
model); the start-up cost is printed separately. The machine's speed drifts by several
percent over minutes, more than the effect measured, so configurations are interleaved and
every figure is a median: the speed-up over ``--repeats`` rounds of (1 worker, 2 processes),
the Dask overhead over ``--pairs`` adjacent (local, Dask) pairs in ABBA order, so that a
linear drift favours neither. Besides wall time the Dask comparison prints the model's own
time per run inside the workers and the CPU the sweep's own process spent (the sweep loop;
for Dask also the scheduler and the nannies, which ``LocalCluster`` runs in that process).
Each run writes to its own fresh directory.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DASK_CONFIG_FILE = ROOT / "examples" / "dask" / "aicredit.yaml"


def dask_settings() -> dict:
    """Dask's current configuration with ``examples/dask/aicredit.yaml`` merged in (what
    ``DASK_CONFIG=examples/dask`` gives a scheduler or worker started from the shell)."""
    import dask.config
    return dask.config.merge(dask.config.config,
                             dask.config.collect(paths=[str(DASK_CONFIG_FILE)], env={}))


def spec(steps: int, runs: int) -> dict:
    return {"scenario": "baseline", "steps": steps, "seeds": list(range(runs)),
            "outputs": ["defaults_total", "savers_401k_loss_fraction", "gpu_price_max_drawdown",
                        "margin_calls:max", "ai_index:min"],
            "parameters": {"gpu_loan_max_ltv": [0.7]}}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def own_cpu_s() -> float:
    """CPU seconds (user + system) of this process so far."""
    t = os.times()
    return t.user + t.system


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="24-month runs, fewer of them")
    ap.add_argument("--steps", type=int, default=None, help="months per run (default 72)")
    ap.add_argument("--runs", type=int, default=None, help="runs per sweep (default 40)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="rounds of (1 worker, 2 processes) for the speed-up (default 3)")
    ap.add_argument("--pairs", type=int, default=6,
                    help="(local, Dask) pairs for the overhead, ABBA order (default 6)")
    args = ap.parse_args(argv)
    for name in ("steps", "runs", "repeats", "pairs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            ap.error(f"--{name} must be >= 1, got {value}")
    steps = args.steps or (24 if args.quick else 72)
    runs = args.runs or (24 if args.quick else 40)

    import multiprocessing
    import statistics
    from concurrent.futures import ProcessPoolExecutor

    import dask
    import pandas as pd
    from distributed import Client, LocalCluster

    from aicredit.models.sweep import run_sweep, worker_init

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"baseline sweep: {runs} runs x {steps} months per sweep; speed-up over "
          f"{args.repeats} rounds, Dask overhead over {args.pairs} ABBA pairs; {cores} cores")
    s = spec(steps, runs)
    warm = spec(2, 4)                     # imports the model in every worker before timing
    names = {"1": "1 worker (in-process)", "2": "2 local processes",
             "dask": "2 Dask workers (LocalCluster)"}
    walls = {k: [] for k in names}
    model = {k: [] for k in names}
    cpu = {k: [] for k in names}
    pairs = []
    start = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        counter = iter(range(10**6))

        def sweep(key, how):
            out = tmp / f"{key}-{next(counter)}"
            c0 = own_cpu_s()
            wall = timed(lambda: run_sweep(s, out, progress=False, **how))
            walls[key].append(wall)
            cpu[key].append((own_cpu_s() - c0) / runs)
            model[key].append(pd.read_parquet(out)["duration_s"].mean())
            return wall

        t0 = time.perf_counter()
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker_init, initargs=(os.getpid(),))
        run_sweep(warm, tmp / "warm2", scheduler=pool, progress=False)
        start["2"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with pool, dask.config.set(dask_settings()), LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1,
                dashboard_address=None) as cluster, Client(cluster) as client:
            run_sweep(warm, tmp / "warmd", scheduler=client, progress=False)
            start["dask"] = time.perf_counter() - t0
            run_sweep(warm, tmp / "warm1", workers=1, progress=False)
            local, on_dask = dict(scheduler=pool), dict(scheduler=client)
            for _ in range(args.repeats):
                sweep("1", dict(workers=1))
                sweep("2", local)
            for p in range(args.pairs):      # ABBA: L D, D L, L D, ...
                if p % 2 == 0:
                    lw, dw = sweep("2", local), sweep("dask", on_dask)
                else:
                    dw, lw = sweep("dask", on_dask), sweep("2", local)
                pairs.append(dw / lw - 1)
    med = statistics.median
    print(f"\n{'configuration':<32}{'startup s':>10}{'wall s':>9}{'runs/min':>10}"
          f"{'wall s/run':>12}{'model s/run':>13}{'own CPU ms/run':>16}   (medians)")
    for key, name in names.items():
        st = f"{start[key]:.1f}" if key in start else "-"
        w = med(walls[key])
        print(f"{name:<32}{st:>10}{w:>9.1f}{runs / w * 60:>10.1f}{w / runs:>12.3f}"
              f"{med(model[key]):>13.3f}{1000 * med(cpu[key]):>16.1f}")
    speedup = med(walls["1"][i] / walls["2"][i] for i in range(args.repeats))
    overhead = med(pairs)
    print(f"\nparallel speed-up, 2 workers vs 1: {speedup:.2f}x (median of "
          f"{args.repeats} rounds)  (target >= 1.8x: {'met' if speedup >= 1.8 else 'NOT met'})")
    print(f"Dask per-run overhead vs local processes: {overhead:+.1%} (median of "
          f"{args.pairs} pairs: {', '.join(f'{o:+.1%}' for o in pairs)})  (target < 5%: "
          f"{'met' if overhead < 0.05 else 'NOT met'})")
    print("(startup: creating the workers and importing the model in them, paid once per "
          "sweep; excluded from the rates. own CPU: the sweep's process, which for Dask "
          "also hosts the scheduler and the nannies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
