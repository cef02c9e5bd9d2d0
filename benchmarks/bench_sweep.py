"""Benchmark of headless sweeps (not a timed test): throughput and the Dask path's overhead.

    python benchmarks/bench_sweep.py            # baseline, 72 months, a few minutes
    python benchmarks/bench_sweep.py --quick    # 24 months, fewer runs (~1 minute)

Measures, in one go:

- runs per minute of the ``baseline`` sweep on 1 worker (in-process) and on 2 local worker
  processes, and the parallel speed-up (target: >= 1.8x on 2 cores);
- per-run overhead of the Dask path (a ``LocalCluster`` of 2 single-threaded worker processes)
  against local processes on the same runs (target: < 5%).

Rates are measured on warm workers (each executor first runs a tiny sweep that imports the
model); the start-up cost is printed separately. Each configuration writes to its own fresh
directory.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


DASK_WORKER_SETTINGS = {"distributed.worker.profile.enabled": False,
                        "distributed.admin.system-monitor.interval": "10s",
                        "distributed.worker.memory.monitor-interval": "10s",
                        "distributed.admin.tick.interval": "1s"}


def spec(steps: int, runs: int) -> dict:
    return {"scenario": "baseline", "steps": steps, "seeds": list(range(runs)),
            "outputs": ["defaults_total", "savers_401k_loss_fraction", "gpu_price_max_drawdown",
                        "margin_calls:max", "ai_index:min"],
            "parameters": {"gpu_loan_max_ltv": [0.7]}}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="24-month runs, fewer of them")
    ap.add_argument("--steps", type=int, default=None, help="months per run (default 72)")
    ap.add_argument("--runs", type=int, default=None, help="runs per configuration")
    args = ap.parse_args(argv)
    steps = args.steps or (24 if args.quick else 72)
    runs = args.runs or (24 if args.quick else 80)

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd
    import dask
    from distributed import Client, LocalCluster

    from models.sweep import _worker_init, run_sweep

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"baseline sweep: {runs} runs x {steps} months per configuration; {cores} cores")
    s = spec(steps, runs)
    warm = spec(2, 4)                     # imports the model in every worker before timing
    wall, start, per_run = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_sweep(warm, tmp / "warm1", workers=1, progress=False)
        wall["1"] = timed(lambda: run_sweep(s, tmp / "w1", workers=1, progress=False))

        t0 = time.perf_counter()
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_worker_init, initargs=(os.getpid(),)) as pool:
            run_sweep(warm, tmp / "warm2", scheduler=pool, progress=False)
            start["2"] = time.perf_counter() - t0
            wall["2"] = timed(lambda: run_sweep(s, tmp / "w2", scheduler=pool, progress=False))

        t0 = time.perf_counter()
        # Dask's per-worker housekeeping costs CPU that CPU-bound runs feel on 2 cores: the
        # statistical profiler samples every thread every 10 ms. Measured here: ~20% overhead
        # with the defaults, 7-15% with these settings (docs/sweeps.md recommends them).
        with dask.config.set(DASK_WORKER_SETTINGS), LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1,
                dashboard_address=None) as cluster, Client(cluster) as client:
            run_sweep(warm, tmp / "warmd", scheduler=client, progress=False)
            start["dask"] = time.perf_counter() - t0
            wall["dask"] = timed(lambda: run_sweep(s, tmp / "dask", scheduler=client,
                                                   progress=False))
        for key in wall:
            per_run[key] = pd.read_parquet(tmp / {"1": "w1", "2": "w2", "dask": "dask"}[key]
                                           )["duration_s"].mean()

    names = {"1": "1 worker (in-process)", "2": "2 local processes",
             "dask": "2 Dask workers (LocalCluster)"}
    print(f"\n{'configuration':<32}{'startup s':>10}{'wall s':>9}{'runs/min':>10}"
          f"{'wall s/run':>12}{'model s/run':>13}")
    for key, name in names.items():
        st = f"{start[key]:.1f}" if key in start else "-"
        print(f"{name:<32}{st:>10}{wall[key]:>9.1f}{runs / wall[key] * 60:>10.1f}"
              f"{wall[key] / runs:>12.3f}{per_run[key]:>13.3f}")
    speedup = wall["1"] / wall["2"]
    overhead = (wall["dask"] - wall["2"]) / wall["2"]
    print(f"\nparallel speed-up, 2 workers vs 1: {speedup:.2f}x  (target >= 1.8x: "
          f"{'met' if speedup >= 1.8 else 'NOT met'})")
    print(f"Dask per-run overhead vs local processes: {overhead:+.1%}  (target < 5%: "
          f"{'met' if overhead < 0.05 else 'NOT met'})")
    print("(startup: creating the workers and importing the model in them, paid once per "
          "sweep; excluded from the rates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
