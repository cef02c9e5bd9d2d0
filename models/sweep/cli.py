"""``aicredit sweep``: its options and exit codes (options describing a sweep are read by
:func:`models.sweep.spec.spec_from_cli`)."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from aicredit.models.options import positive_int
from aicredit.models.sweep.common import (
    EXIT_ABORTED,
    EXIT_INTERRUPTED,
    SAMPLE_METHODS,
    SweepAborted,
    SweepError,
    SweepSpec,
)
from aicredit.models.sweep.execute import run_sweep
from aicredit.models.sweep.runs import build_runs
from aicredit.models.sweep.spec import spec_from_cli

__all__ = ["add_common_arguments", "add_description_arguments", "add_arguments", "execute_cli",
           "run"]


def add_common_arguments(parser, out_required: bool = True) -> None:
    """Options of every command that runs a sweep (``sweep``, ``sensitivity``); ``sweep``
    may go without ``--out`` for a Monte Carlo (:func:`run`)."""
    parser.add_argument("--out", type=Path, required=out_required,
                        help="results directory (Parquet parts; run again to resume)" + (
                            "" if out_required else "; a Monte Carlo (no grid or sample) may "
                            "go without: its headline numbers are printed, its runs not kept"))
    parser.add_argument("--workers", type=positive_int("--workers"), default=None,
                        help="local worker processes (default: all cores; 1: this process)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="run on an existing Dask cluster instead of local processes")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--flush-every", type=float, default=2.0, metavar="SECONDS",
                        help="seconds between writes of finished runs (default 2)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run again the runs recorded with an error, replacing their rows")
    parser.add_argument("--allow-large", action="store_true",
                        help="run more than 50,000 runs, or economies larger than the memory "
                             "available (refused otherwise)")


def add_description_arguments(parser, kind: str = "sweep") -> None:
    """Options that describe a sweep (alone, or on top of a sweep file's keys)."""
    import argparse
    g = parser.add_argument_group(
        "describing the sweep on the command line (each replaces the file's key)")
    g.add_argument("--scenario", metavar="NAME[,NAME...]",
                   help="a shipped scenario or a scenario .toml; several run every point in each")
    g.add_argument("--steps", metavar="N", help="months per run (default: the scenario's)")
    g.add_argument("--replications", metavar="K", help="seeds 0..K-1")
    g.add_argument("--seeds", metavar="S1,S2,...", help="explicit seeds")
    g.add_argument("--outputs", metavar="O1,O2,...", help="outputs to record (docs/sweeps.md)"
                   + ("; default: the headline outputs" if kind == "sweep" else ""))
    g.add_argument("--fixed", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter held at a value (repeatable)")
    if kind == "sweep":
        g.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="a swept parameter's values: a full grid (repeatable)")
        g.add_argument("--sample", choices=SAMPLE_METHODS, default=None,
                       help="sample the --range parameters instead of a grid")
    g.add_argument("--n", metavar="N", help="sample size (Sobol': a power of 2)")
    g.add_argument("--sample-seed", metavar="SEED", help="the sample's seed (default 0)")
    g.add_argument("--range", action="append", default=[], metavar="NAME=LOW,HIGH",
                   help="a sampled parameter's range (repeatable)")
    g.add_argument("--name", help="the sweep's name (default: the file's name)")
    g.add_argument("--model", metavar="NAME", help=argparse.SUPPRESS)   # a registered model


def add_arguments(parser) -> None:
    parser.add_argument("spec", type=Path, nargs="?", metavar="SWEEP.toml",
                        help="the sweep file (optional when the options describe the sweep)")
    add_common_arguments(parser, out_required=False)
    parser.add_argument("--dry-run", action="store_true",
                        help="validate the sweep, print the number of runs and exit")
    add_description_arguments(parser)


class _TermAsInterrupt:
    """SIGTERM behaves like Ctrl-C while a sweep runs (main thread only)."""

    def __enter__(self):
        self.old = None
        if threading.current_thread() is threading.main_thread():
            def handler(signum, frame):
                raise KeyboardInterrupt
            self.old = signal.signal(signal.SIGTERM, handler)
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)


def execute_cli(spec: SweepSpec, args, what: str = "sweep", kept: bool = True
                ) -> tuple[int, dict]:
    """Run a sweep for the CLI: returns (exit code, report). ``kept=False``: ``args.out`` is
    a temporary folder, so an interruption keeps nothing."""
    if args.scheduler is not None and not args.scheduler.startswith(("tcp://", "tls://",
                                                                     "inproc://", "ws://")):
        raise SweepError(f"--scheduler {args.scheduler!r} must look like tcp://HOST:PORT")
    if args.flush_every <= 0:
        raise SweepError(f"--flush-every must be > 0, got {args.flush_every}")
    report: dict = {"new": 0, "failed": 0, "skipped": 0, "total": 0}
    try:
        with _TermAsInterrupt():
            run_sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                      progress=not args.quiet, flush_every=args.flush_every,
                      retry_failed=args.retry_failed, report=report,
                      allow_large=args.allow_large)
    except (KeyboardInterrupt, SweepAborted) as exc:
        how = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {exc}"
        where_now = (f"{report['skipped'] + report['new']} of {report['total']} runs are in "
                     f"{args.out}; run the same command again to resume" if kept else
                     "no runs were kept (give --out DIR to keep them and resume)")
        print(f"{chr(10) if isinstance(exc, KeyboardInterrupt) else ''}aicredit {what}: {how}; "
              f"{where_now}", file=sys.stderr)
        return (EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_ABORTED), report
    return 0, report


def run(args) -> int:
    spec = spec_from_cli(args)
    if args.dry_run:
        runs = build_runs(spec, allow_large=args.allow_large)
        print(f"{spec.name}: {len(runs)} runs ({len(runs) // len(spec.seeds)} points x "
              f"{len(spec.seeds)} seeds), outputs: {', '.join(spec.outputs)}")
        return 0
    if args.out is None:
        return _run_unkept(spec, args)
    code, report = execute_cli(spec, args)
    if code == 0:
        failed = (f", {report['failed_total']} failed (see the error column; --retry-failed "
                  "runs them again)") if report.get("failed_total") else ""
        retried = f", {report['retried']} of them failed runs retried" \
            if report.get("retried") else ""
        print(f"{report['total']} runs in {args.out} ({report['new']} new{retried}, "
              f"{report['skipped']} already there{failed}); read them with "
              f"pandas.read_parquet({str(args.out)!r})")
        if not spec.param_names:          # a Monte Carlo: its headline numbers, with CIs
            _print_headlines(args.out)
    return code


def _run_unkept(spec: SweepSpec, args) -> int:
    """A Monte Carlo without ``--out``: run it in a temporary folder, print its headline
    numbers and keep nothing. A sweep with a grid or sample needs ``--out``: its results are
    a dataset, not a few numbers."""
    import tempfile
    if spec.param_names:
        raise SweepError("--out DIR is needed for a sweep with a grid or sample (its results "
                         "are a dataset); only a Monte Carlo of a scenario can go without")
    if args.retry_failed:
        raise SweepError("--retry-failed needs --out: the folder whose failed runs to retry")
    with tempfile.TemporaryDirectory(prefix="aicredit-sweep-") as tmp:
        args.out = Path(tmp)
        try:
            code, report = execute_cli(spec, args, kept=False)
            if code == 0:
                failed = (f", {report['failed_total']} failed" if report.get("failed_total")
                          else "")
                print(f"{report['total']} runs{failed}; not kept (give --out DIR to keep them)")
                _print_headlines(args.out, kept=False)
        finally:
            args.out = None
    return code


def _print_headlines(out: Path, kept: bool = True) -> None:
    """The headline outputs a sweep recorded, mean and 95% CI over its seeds per scenario
    (:mod:`models.compare`; nothing when it recorded none of them)."""
    from aicredit.models.compare import format_table, headline_table, load_entries
    from aicredit.models.options import UsageError
    try:
        table = headline_table(load_entries([out], prefix=kept))
    except UsageError:                    # e.g. every run failed: the line above says so
        return
    if not table.empty:
        hint = f"\n\n(aicredit compare {out} --out DIR draws them)" if kept else ""
        print("\n" + format_table(table) + hint)
