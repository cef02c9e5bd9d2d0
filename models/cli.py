"""The ``aicredit`` command: run scenarios and list them.

``aicredit run`` runs a scenario with a progress bar, prints the summary table and writes
``summary.json``, ``model_vars.parquet``, ``agent_vars.parquet`` and PNG plots to ``--out``.
``aicredit scenarios`` lists the shipped scenarios. A user's mistake (unknown scenario, bad
key or value, an output directory that already holds results) prints one message naming
what is wrong and exits with code 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from models.options import UsageError, int_arg, positive_int, toml_value
from models.version import __version__

__all__ = ["main"]

EXIT_USAGE = 2

#: (subcommand, module, help): modules providing ``add_arguments(parser)`` and ``run(args)``.
EXTENSIONS = [
    ("viz", "visualization.server", "open the model in the browser (SolaraViz)"),
    ("sweep", "models.sweep", "run a parameter sweep (parallel processes or a Dask cluster)"),
    ("sensitivity", "models.sensitivity", "Sobol or Morris sensitivity analysis of outputs"),
    ("compare", "models.compare", "compare runs and sweeps: figure and table with 95% CIs"),
]


def parse_set(items: list[str]) -> dict:
    """``key=value`` overrides; values are read as TOML (``true``, ``0.5``, ``[1, 2]``)."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--set expects key=value, got {item!r}")
        key, raw = item.split("=", 1)
        out[key.strip()] = toml_value(raw.strip())
    return out


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors become one-line UsageErrors (exit code 2)."""

    def error(self, message):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aicredit", description=(
        "Agent-based simulation of how the financing of the AI build-out could unravel."))
    parser.add_argument("--version", action="version", version=f"aicredit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a scenario and write its report and plots")
    run.add_argument("--scenario", default="baseline", help="scenario name or path to a .toml file")
    run.add_argument("--steps", type=positive_int("--steps"), default=None,
                     help="months to simulate (default: the scenario's steps)")
    run.add_argument("--seed", type=int_arg("--seed", 0), default=0, help="random seed (default 0)")
    run.add_argument("--out", type=Path, default=None, help="directory for the outputs")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario parameter (repeatable)")
    run.add_argument("--force", action="store_true", help="overwrite results already in --out")
    run.add_argument("--no-agent-data", action="store_true",
                     help="skip per-agent data (agent_vars.parquet); faster for large economies")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--allow-large", action="store_true",
                     help="build an economy larger than the memory available (models/size.py)")
    sub.add_parser("scenarios", help="list the shipped scenarios")
    # subcommands that live in their own modules: each has add_arguments(parser) and run(args)
    for name, module, help_text in EXTENSIONS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                continue                      # the module is not part of this checkout yet
            raise
        mod.add_arguments(sub.add_parser(name, help=help_text))
    return parser


def cmd_scenarios() -> int:
    from models.scenario import describe_scenario, scenario_names
    for name in scenario_names():
        print(f"{name:<24}{describe_scenario(name)}")
    return 0


def cmd_run(args) -> int:
    from tqdm import tqdm

    from models.model import AIEconomyModel
    from models.report import format_summary, write_outputs
    from models.scenario import load_scenario

    overrides = parse_set(args.set)
    if args.steps is not None:
        if "steps" in overrides and overrides["steps"] != args.steps:
            raise UsageError(f"--steps {args.steps} and --set steps={overrides['steps']!r} disagree; "
                             f"give one")
        overrides["steps"] = args.steps
    scenario = load_scenario(args.scenario, **overrides)      # validates before any work
    if args.out is not None and (args.out / "summary.json").exists() and not args.force:
        raise UsageError(f"--out {args.out} already holds results (summary.json); "
                         f"choose another directory or pass --force to overwrite")
    model = AIEconomyModel(args.scenario, seed=args.seed, collect_agents=not args.no_agent_data,
                           allow_large=args.allow_large, **overrides)
    for _ in tqdm(range(scenario.steps), desc=f"aicredit {scenario_label(args.scenario)}",
                  unit="month", disable=args.quiet, file=sys.stderr):
        model.step()
    if args.out is not None:
        s = write_outputs(model, args.out)
    else:
        from models.report import summary
        s = summary(model)
    print(format_summary(s))
    if args.out is not None:
        written = "summary.json, model_vars.parquet, " + (
            "" if args.no_agent_data else "agent_vars.parquet, ") + "defaults.csv, loss_events.csv and plots"
        print(f"\nWrote {written} to {args.out}")
    return 0


def scenario_label(name) -> str:
    return Path(str(name)).stem


def main(argv: list[str] | None = None) -> int:
    from models.scenario import ScenarioError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "scenarios":
            return cmd_scenarios()
        if args.command == "run":
            return cmd_run(args)
        module = dict((n, m) for n, m, _ in EXTENSIONS)[args.command]
        return importlib.import_module(module).run(args)
    except (ScenarioError, UsageError) as exc:
        print(f"aicredit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
