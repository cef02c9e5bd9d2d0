"""Benchmark of headless sweeps (not a timed test): throughput and the Dask path's overhead.

    python benchmarks/bench_sweep.py            # baseline, 72 months, about 5 minutes
    python benchmarks/bench_sweep.py --quick    # 24 months, fewer runs (~1 minute)

Measures, in one go:

- runs per minute of the ``baseline`` sweep on 1 worker (in-process) and on 2 local worker
  processes, and the parallel speed-up (target: >= 1.8x on 2 cores);
- per-run overhead of the Dask path (a ``LocalCluster`` of 2 single-threaded worker processes)
  against local processes on the same runs (target: < 5%).

Rates are measured on warm workers (each executor first runs a tiny sweep that imports the
model); the start-up cost is printed separately. The three configurations run interleaved,
``--repeats`` times, and medians are reported, so a drift in the machine's load hits them
alike (a single pass per configuration was off by +-10% between runs). Each run writes to
its own fresh directory.
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
                        "distributed.admin.tick.interval": "1s",
                        # the nanny's default MALLOC_TRIM_THRESHOLD_=65536 makes glibc hand
                        # memory back after every large free: numpy temporaries pay for it
                        "distributed.nanny.pre-spawn-environ": {
                            "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}}


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
    ap.add_argument("--runs", type=int, default=None, help="runs per configuration and repeat")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats (medians reported)")
    args = ap.parse_args(argv)
    steps = args.steps or (24 if args.quick else 72)
    runs = args.runs or (24 if args.quick else 40)

    import multiprocessing
    import statistics
    from concurrent.futures import ProcessPoolExecutor

    import dask
    import pandas as pd
    from distributed import Client, LocalCluster

    from models.sweep import _worker_init, run_sweep

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"baseline sweep: {runs} runs x {steps} months per configuration, {args.repeats} "
          f"interleaved repeats; {cores} cores")
    s = spec(steps, runs)
    warm = spec(2, 4)                     # imports the model in every worker before timing
    names = {"1": "1 worker (in-process)", "2": "2 local processes",
             "dask": "2 Dask workers (LocalCluster)"}
    walls = {k: [] for k in names}
    per_run = {k: [] for k in names}
    start = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(os.getpid(),))
        run_sweep(warm, tmp / "warm2", scheduler=pool, progress=False)
        start["2"] = time.perf_counter() - t0
        # Dask's per-worker housekeeping costs CPU that CPU-bound runs feel on 2 cores: the
        # statistical profiler samples every thread every 10 ms (docs/sweeps.md).
        t0 = time.perf_counter()
        with pool, dask.config.set(DASK_WORKER_SETTINGS), LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1,
                dashboard_address=None) as cluster, Client(cluster) as client:
            run_sweep(warm, tmp / "warmd", scheduler=client, progress=False)
            start["dask"] = time.perf_counter() - t0
            run_sweep(warm, tmp / "warm1", workers=1, progress=False)
            executors = {"1": dict(workers=1), "2": dict(scheduler=pool),
                         "dask": dict(scheduler=client)}
            for r in range(args.repeats):    # interleaved, so drift in the machine hits all alike
                for key, how in executors.items():
                    out = tmp / f"{key}-{r}"
                    walls[key].append(timed(lambda: run_sweep(s, out, progress=False, **how)))
                    per_run[key].append(pd.read_parquet(out)["duration_s"].mean())
    wall = {k: statistics.median(v) for k, v in walls.items()}
    model = {k: statistics.median(v) for k, v in per_run.items()}
    print(f"\n{'configuration':<32}{'startup s':>10}{'wall s':>9}{'runs/min':>10}"
          f"{'wall s/run':>12}{'model s/run':>13}   (medians of {args.repeats})")
    for key, name in names.items():
        st = f"{start[key]:.1f}" if key in start else "-"
        print(f"{name:<32}{st:>10}{wall[key]:>9.1f}{runs / wall[key] * 60:>10.1f}"
              f"{wall[key] / runs:>12.3f}{model[key]:>13.3f}")
    speedup = wall["1"] / wall["2"]
    overheads = [d / l - 1 for d, l in zip(walls["dask"], walls["2"])]
    overhead = statistics.median(overheads)
    print(f"\nparallel speed-up, 2 workers vs 1: {speedup:.2f}x  (target >= 1.8x: "
          f"{'met' if speedup >= 1.8 else 'NOT met'})")
    print(f"Dask per-run overhead vs local processes: {overhead:+.1%} (median of "
          f"{', '.join(f'{o:+.1%}' for o in overheads)})  (target < 5%: "
          f"{'met' if overhead < 0.05 else 'NOT met'})")
    print("(startup: creating the workers and importing the model in them, paid once per "
          "sweep; excluded from the rates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
