"""The command ``python -m aicredit.models.validate``: run the experiment table, write the page.

``python -m aicredit.models.validate --seeds 32 [--workers N] [--out docs/validation.md]
[--cache DIR] [--only a,b]`` runs every experiment of
:data:`aicredit.models.validation.experiments.EXPERIMENTS`
(:func:`~aicredit.models.validation.run.run_experiments`), judges each output
(:func:`~aicredit.models.validation.run.analyse`) and writes the page
(:func:`~aicredit.models.validation.render.render`) atomically.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from aicredit.models.atomic import write_file_atomically
from aicredit.models.scenario import ScenarioError
from aicredit.models.validation.experiments import EXPERIMENTS
from aicredit.models.validation.render import render
from aicredit.models.validation.run import analyse, baseline_ranges, run_experiments

__all__ = ["main", "DEFAULT_OUT"]

DESCRIPTION = ("The validation report: does every channel, policy lever and core mechanism move the "
               "outputs the way economics says it should?")
#: The page in a checkout: docs/validation.md.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aicredit.models.validate",
                                 description=DESCRIPTION)
    ap.add_argument("--seeds", type=int, default=32, help="seeds 0..N-1 in every arm (default 32)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
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
                  cached=counts.get("cached", 0), ranges=baseline_ranges(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomically(args.out, lambda tmp: tmp.write_text(text))
    if not args.quiet:
        print(f"wrote {args.out} ({elapsed / 60:.1f} min)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
