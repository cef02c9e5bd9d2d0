"""The command ``python -m aicredit.models.validate``: run the experiment table, write the page.

``python -m aicredit.models.validate --seeds 32 [--workers N] [--out docs/validation.md]
[--cache DIR] [--only a,b]`` runs every experiment of
:data:`aicredit.models.validation.experiments.EXPERIMENTS`
(:func:`~aicredit.models.validation.run.run_experiments`), judges each output
(:func:`~aicredit.models.validation.run.analyse`) and writes the page
(:func:`~aicredit.models.validation.render.render`) atomically.

``python -m aicredit.models.validate --amplification [--seeds N] [--impacts 0.5,1,2,4]
[--workers N] [--cache DIR] [--out docs/amplification.md]`` writes the amplification table
instead (:mod:`aicredit.models.validation.amplification`): the validation's own run is not made
longer by it. Every mistake in the arguments is one line naming the argument and its value,
exit code 2.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from aicredit.models.atomic import write_file_atomically
from aicredit.models.scenario import ScenarioError
from aicredit.models.validation.amplification import DEFAULT_IMPACTS, DEFAULT_SEEDS, parse_impacts
from aicredit.models.validation.experiments import EXPERIMENTS
from aicredit.models.validation.render import render
from aicredit.models.validation.run import analyse, baseline_ranges, run_experiments

__all__ = ["main", "DEFAULT_OUT", "AMPLIFICATION_OUT"]

DESCRIPTION = ("The validation report: does every channel, policy lever and core mechanism move the "
               "outputs the way economics says it should?")
#: The page in a checkout: docs/validation.md.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "validation.md"
#: The amplification page (``--amplification``): docs/amplification.md.
AMPLIFICATION_OUT = DEFAULT_OUT.with_name("amplification.md")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m aicredit.models.validate",
                                 description=DESCRIPTION)
    ap.add_argument("--seeds", type=int, default=None,
                    help=f"seeds 0..N-1 in every arm (default 32; with --amplification {DEFAULT_SEEDS})")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--out", type=Path, default=None,
                    help="the page (default docs/validation.md; with --amplification docs/amplification.md)")
    ap.add_argument("--steps", type=int, default=None, help="months per run (default: the scenario's)")
    ap.add_argument("--only", default=None, help="comma-separated experiment names")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep each arm's sweep here and resume from it (default: fresh runs)")
    ap.add_argument("--amplification", action="store_true",
                    help="write the amplification table instead (every reaction on, all off, each "
                    "alone, across price impacts; docs/amplification.md)")
    ap.add_argument("--impacts", default=None,
                    help="with --amplification: comma-separated price-impact multipliers (default "
                    + ",".join(f"{m:g}" for m in DEFAULT_IMPACTS) + ")")
    ap.add_argument("--quiet", action="store_true")
    return ap


def _usage_error(args) -> str | None:
    """The first bad argument, in one line naming it and its value (exit code 2), or None."""
    if args.seeds is not None and args.seeds < 2:
        return f"--seeds {args.seeds}: must be at least 2 (a confidence interval needs two pairs)"
    if args.workers is not None and args.workers < 1:
        return f"--workers {args.workers}: must be at least 1"
    if args.steps is not None and args.steps < 1:
        return f"--steps {args.steps}: must be at least 1"
    if args.amplification and args.only:
        return f"--only {args.only!r}: the amplification table has no experiments to choose"
    if args.impacts is not None and not args.amplification:
        return f"--impacts {args.impacts!r}: only with --amplification"
    if args.impacts is not None:
        try:
            parse_impacts(args.impacts)
        except ValueError as exc:
            return f"--impacts {args.impacts!r}: {exc}"
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        known = {e.name for e in EXPERIMENTS}
        bad = [n for n in names if n not in known]
        if bad:
            return f"--only {bad[0]!r}: unknown experiment (known: {', '.join(sorted(known))})"
    return None


def _interruptible(run, args):
    """``run()`` with SIGTERM stopping like Ctrl-C; ``(result, None)`` or ``(None, exit code)``
    after a one-line message (finished runs are kept in a ``--cache``)."""
    import signal
    import threading

    def _term(signum, frame):                # SIGTERM stops like Ctrl-C: finished runs are kept
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, _term) if main_thread else None
    try:
        return run(), None
    except KeyboardInterrupt:
        print("\nvalidate: interrupted" + (f"; finished runs are kept in {args.cache}, run the same "
              "command again to resume" if args.cache else ""), file=sys.stderr)
        return None, 130
    except ScenarioError as exc:             # includes SweepError: e.g. a cache of other settings
        print(f"validate: error: {exc}" + (f" (the --cache {args.cache} was written with other "
              "settings or an older aicredit: give a new --cache folder)" if args.cache else ""),
              file=sys.stderr)
        return None, 2
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _timed(args, runner):
    """``(t0, counts, (results, exit code or None))``: ``runner(counts)`` run interruptibly
    (:func:`_interruptible`) from ``t0`` (``time.perf_counter``), ``counts`` what it reported
    (how many runs came from the cache)."""
    t0, counts = time.perf_counter(), {}
    return t0, counts, _interruptible(lambda: runner(counts), args)


def _write(out: Path, text: str, elapsed: float, quiet: bool) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomically(out, lambda tmp: tmp.write_text(text))
    if not quiet:
        print(f"wrote {out} ({elapsed / 60:.1f} min)", file=sys.stderr)
    return 0


def _amplification(args, command: str, workers: int) -> int:
    """The amplification table (:mod:`aicredit.models.validation.amplification`)."""
    from aicredit.models.validation.amplification import run_amplification
    from aicredit.models.validation.amplification_page import render as render_amplification
    impacts = parse_impacts(args.impacts) if args.impacts is not None else list(DEFAULT_IMPACTS)
    seeds = list(range(args.seeds if args.seeds is not None else DEFAULT_SEEDS))
    t0, counts, (results, code) = _timed(args, lambda counts: run_amplification(
        impacts, seeds, args.steps, workers, args.cache, progress=not args.quiet, report=counts))
    if code is not None:
        return code
    elapsed = time.perf_counter() - t0
    text = render_amplification(results, impacts, command=command, seeds=seeds, steps=args.steps,
                                run_time_s=elapsed, workers=workers, cached=counts.get("cached", 0))
    return _write(args.out or AMPLIFICATION_OUT, text, elapsed, args.quiet)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    error = _usage_error(args)
    if error is not None:
        print(error, file=sys.stderr)
        return 2
    workers = args.workers or len(os.sched_getaffinity(0))
    command = ("python -m aicredit.models.validate "
               + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    if args.amplification:
        return _amplification(args, command, workers)
    experiments = EXPERIMENTS
    if args.only:
        names = {n.strip() for n in args.only.split(",") if n.strip()}
        experiments = [e for e in EXPERIMENTS if e.name in names]
    seeds = list(range(args.seeds if args.seeds is not None else 32))
    t0, counts, (results, code) = _timed(args, lambda counts: run_experiments(
        experiments, seeds, args.steps, workers, args.cache, progress=not args.quiet, report=counts))
    if code is not None:
        return code
    rows = analyse(experiments, results)
    elapsed = time.perf_counter() - t0
    model_time = float(sum(df["duration_s"].sum() for df in results.values()))
    text = render(experiments, rows, command=command, seeds=seeds, steps=args.steps,
                  run_time_s=elapsed, workers=workers, model_time_s=model_time,
                  cached=counts.get("cached", 0), ranges=baseline_ranges(results))
    return _write(args.out or DEFAULT_OUT, text, elapsed, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
