"""The ``aicredit`` command: run scenarios and list them.

``aicredit run`` runs a scenario with a progress bar, prints the summary table and writes
its results (:func:`models.report.write_outputs`: ``summary.json``, ``params.json``, the
Parquet frames, the event and exposure tables, the plots) to ``--out``, atomically.
``aicredit scenarios`` lists the shipped scenarios, ``aicredit params`` the parameters
(:mod:`models.params`); ``viz``, ``sweep`` and ``sensitivity`` live in their own modules
(:data:`EXTENSIONS`), each imported only when its command is given. A bare ``aicredit``
prints the usage and the commands (on stderr, exit code 2: a command is missing). A user's
mistake (unknown command, scenario or key, a bad value, an output directory that holds
anything but an earlier run's results) prints one message naming what is wrong, with the
closest names for a misspelling, and exits with code 2, before the simulation starts.
"""
from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from pathlib import Path

from aicredit.models.options import (
    FIGURE_FORMATS,
    UsageError,
    did_you_mean,
    int_arg,
    positive_int,
    toml_value,
)
from aicredit.models.version import __version__

__all__ = ["main"]

EXIT_USAGE = 2

#: (subcommand, module, help): modules providing ``add_arguments(parser)`` and ``run(args)``.
EXTENSIONS = [
    ("params", "aicredit.models.params", "list the parameters with unit, range, default and source"),
    ("viz", "aicredit.visualization.server", "open the model in the browser (SolaraViz)"),
    ("sweep", "aicredit.models.sweep", "run a parameter sweep (parallel processes or a Dask cluster)"),
    ("sensitivity", "aicredit.models.sensitivity", "Sobol or Morris sensitivity analysis of outputs"),
    ("compare", "aicredit.models.compare", "overlay runs or sweeps: a figure and a table with CIs"),
]


def parse_set(items: list[str]) -> dict:
    """``key=value`` overrides; values are read as TOML (``true``, ``0.5``, ``[1, 2]``).
    ``seed=`` is refused with a pointer to ``--seed`` (``steps=`` is a parameter and fine)."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--set expects key=value, got {item!r}")
        key, raw = item.split("=", 1)
        if key.strip() == "seed":                 # a property of the run, not of the scenario
            raise UsageError(f"--set {item}: the seed is not a scenario parameter; "
                             f"use --seed {raw.strip()}")
        out[key.strip()] = toml_value(raw.strip())
    return out


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors become one-line UsageErrors (exit code 2), and whose
    "invalid choice" errors (a command, ``--format``...) name the closest choices."""

    def error(self, message):
        raise UsageError(message)

    def _check_value(self, action, value):
        # argparse's own check (Python 3.11-3.13 have no suggestions; 3.14's suggest_on_error
        # is the same idea), with difflib's closest choices added
        if action.choices is None or value in action.choices:
            return
        choices = ", ".join(map(str, action.choices))
        hint = did_you_mean(value, action.choices)
        if isinstance(action, argparse._SubParsersAction):
            raise UsageError(f"unknown command {value!r}{hint} (commands: {choices}; "
                             f"aicredit --help says what each does)")
        raise argparse.ArgumentError(action, f"invalid choice: {value!r}{hint} (choose from {choices})")


class _CommandListFormatter(argparse.HelpFormatter):
    """The top-level help with each command and its help on one line: argparse measures
    subcommand names one indent short inside a titled group and would wrap the longest name
    ('sensitivity') onto a line of its own."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)
        names = ["run", "scenarios"] + [name for name, _, _ in EXTENSIONS]
        self._action_max_length = 4 + max(map(len, names))     # 4: the subcommands' indent


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``aicredit`` parser. Of the subcommands in their own modules (:data:`EXTENSIONS`)
    only ``command``'s module is imported (for its options): ``aicredit run`` never loads the
    browser app's package, and ``aicredit viz`` loads its server module only when asked for."""
    parser = _Parser(prog="aicredit", description=(
        "Agent-based simulation of how the financing of the AI build-out could unravel."),
        epilog="'aicredit COMMAND --help' gives a command's options.",
        formatter_class=_CommandListFormatter)
    parser.add_argument("--version", action="version", version=f"aicredit {__version__}",
                        help="print the version (also the model version) and exit")
    # not required: a bare `aicredit` prints this help (main), not argparse's "required" line
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND",
                                parser_class=_Parser)
    run = sub.add_parser("run", help="run a scenario and write its report and plots")
    run.add_argument("--scenario", default="baseline", help="scenario name or path to a .toml file")
    run.add_argument("--steps", type=positive_int("--steps"), default=None,
                     help="months to simulate (default: the scenario's steps)")
    run.add_argument("--seed", type=int_arg("--seed", 0), default=0, help="random seed (default 0)")
    run.add_argument("--out", type=Path, default=None, help="directory for the outputs")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario parameter (repeatable)")
    run.add_argument("--force", action="store_true", help="overwrite results already in --out")
    run.add_argument("--format", choices=FIGURE_FORMATS, default=None,
                     help="file format of the report figure overview.FORMAT in --out (default png)")
    run.add_argument("--no-agent-data", action="store_true",
                     help="skip per-agent data (agent_vars.parquet); faster for large economies")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--allow-large", action="store_true",
                     help="build an economy larger than the memory available (models/size.py)")
    sub.add_parser("scenarios", help="list the shipped scenarios")
    # subcommands that live in their own modules: each has add_arguments(parser) and run(args)
    for name, module, help_text in EXTENSIONS:
        command_parser = sub.add_parser(name, help=help_text)
        if name == command:
            importlib.import_module(module).add_arguments(command_parser)
    return parser


def command_of(argv: list[str]) -> str | None:
    """The subcommand named in ``argv``: its first word that is not an option (the top-level
    options, ``--help`` and ``--version``, take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def cmd_scenarios() -> int:
    from aicredit.models.scenario import describe_scenario, scenario_names
    for name in scenario_names():
        print(f"{name:<24}{describe_scenario(name)}")
    return 0


def cmd_run(args) -> int:
    from tqdm import tqdm

    from aicredit.models.model import AIEconomyModel
    from aicredit.models.outdir import check_out_dir
    from aicredit.models.report import format_summary, run_summary, write_outputs
    from aicredit.models.scenario import load_scenario

    if args.format is not None and args.out is None:      # the figure is drawn only into --out
        raise UsageError(f"--format {args.format} needs --out DIR: the figure overview.{args.format} "
                         f"is written with the results, and nothing is written without --out")
    overrides = parse_set(args.set)
    if args.steps is not None:
        if "steps" in overrides and overrides["steps"] != args.steps:
            raise UsageError(f"--steps {args.steps} and --set steps={overrides['steps']!r} disagree; "
                             f"give one")
        overrides["steps"] = args.steps
    scenario = load_scenario(args.scenario, **overrides)      # validates before any work
    if args.out is not None:
        check_out_dir(args.out, force=args.force)             # before the simulation too
    model = AIEconomyModel(args.scenario, seed=args.seed, collect_agents=not args.no_agent_data,
                           allow_large=args.allow_large, **overrides)
    for _ in tqdm(range(scenario.steps), desc=f"aicredit {scenario_label(args.scenario)}",
                  unit="month", disable=args.quiet, file=sys.stderr):
        model.step()
    if args.out is not None:
        s = write_outputs(model, args.out, force=args.force, command=run_command(args),
                          option_names=("--out", "--force"), figure_format=args.format or "png")
    else:
        s = run_summary(model)
    print(format_summary(s))
    if args.out is not None:
        print(f"\nWrote {', '.join(sorted(p.name for p in args.out.iterdir()))} to {args.out}")
    else:
        print("\nNo files were written: add --out DIR to write the results (summary.json, "
              "params.json, data and plots) to DIR.")
    return 0


def run_command(args) -> str:
    """The ``aicredit run`` command line that repeats this run (seed and scenario spelled out)."""
    words = ["aicredit", "run", "--scenario", str(args.scenario), "--seed", str(args.seed)]
    if args.steps is not None:
        words += ["--steps", str(args.steps)]
    for item in args.set:
        words += ["--set", item]
    if args.no_agent_data:
        words.append("--no-agent-data")
    if args.out is not None:
        words += ["--out", str(args.out)]
    return shlex.join(words)


def scenario_label(name) -> str:
    return Path(str(name)).stem


def main(argv: list[str] | None = None) -> int:
    from aicredit.models.scenario import ScenarioError

    parser = build_parser(command_of(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
        if args.command is None:          # bare `aicredit`: the usage and the commands
            parser.print_help(sys.stderr)
            return EXIT_USAGE
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
