"""``aicredit params``: every scenario parameter with its value, unit, valid range and source.

    aicredit params                              # the defaults (the calibrated 2025 baseline)
    aicredit params ltv haircut                  # only the names containing "ltv" or "haircut"
    aicredit params --scenario ai_winter         # its resolved values; * marks a changed one
    aicredit params --scenario ai_winter --set gpu_loan_haircut=0.3 --changed --format csv

The rows are :func:`models.scenario.PARAMETER_TABLE` (the same rows as ``docs/parameters.md``,
whose value format :mod:`models.docs` also provides), so the command, the page and the code
cannot disagree. A scenario is resolved exactly as ``aicredit run`` resolves it (its file, its
``base`` chain, then ``--set``), with the same one-line errors. ``--format csv`` and ``json``
add each parameter's meaning; in the table and the CSV a list is written ``[a, b]`` and a switch
``true``/``false``, so a value can be pasted into ``--set``.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys

from aicredit.models.docs import format_range, format_value
from aicredit.models.options import UsageError, did_you_mean
from aicredit.models.scenario import Deal

__all__ = ["FORMATS", "add_arguments", "parameter_rows", "render", "run"]

FORMATS = ("table", "csv", "json")


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="show only the parameters whose name contains one of these words")
    parser.add_argument("--scenario", default=None,
                        help="show this scenario's resolved values (a name or a .toml path), "
                             "marking with * those that differ from the defaults")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter as aicredit run does (repeatable)")
    parser.add_argument("--changed", action="store_true",
                        help="only the parameters whose value differs from the default")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (default), csv or json (csv and json add each meaning)")


def parameter_rows(scenario: str | None = None, overrides: dict | None = None) -> list[dict]:
    """One dict per parameter: ``parameter`` (its name), ``value`` (the scenario's, after ``overrides``; the
    default when neither is given), ``default``, ``changed``, ``unit``, ``low``, ``high``,
    ``source`` and ``meaning``. Raises :class:`~models.scenario.ScenarioError` on a bad
    scenario or override, as :func:`~models.scenario.load_scenario` does."""
    from aicredit.models.scenario import PARAMETER_TABLE, load_scenario

    resolved = None
    if scenario is not None or overrides:
        resolved = load_scenario(scenario or "baseline", **(overrides or {}))
    rows = []
    for row in PARAMETER_TABLE():
        value = row["default"] if resolved is None else getattr(resolved, row["name"])
        rows.append(dict(parameter=row["name"], value=value, default=row["default"],
                         changed=value != row["default"], unit=row["unit"], low=row["low"],
                         high=row["high"], source=row["source"], meaning=row["doc"]))
    return rows


def _is_deals(value) -> bool:
    return isinstance(value, tuple) and any(isinstance(v, Deal) for v in value)


def _text(value) -> str:
    """A value as ``--set`` reads it (TOML): lists in brackets, deals as inline tables."""
    if _is_deals(value):
        return "[" + ", ".join(d.toml() for d in value) + "]"
    return f"[{format_value(value)}]" if isinstance(value, tuple) else format_value(value)


def _cell(value) -> str:
    """A value in the table: as :func:`_text`, but the deals are listed under the table."""
    if _is_deals(value):
        return f"{len(value)} deal{'' if len(value) == 1 else 's'}, listed below"
    return _text(value)


def render(rows: list[dict], fmt: str = "table", value_label: str | None = None) -> str:
    """``rows`` of :func:`parameter_rows` as a table, CSV or JSON. ``value_label`` (the
    scenario's name) adds a column of resolved values beside the defaults; without it the
    table shows the defaults only."""
    if fmt == "json":
        return json.dumps([{**r, "value": _plain(r["value"]), "default": _plain(r["default"])}
                           for r in rows], indent=1) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["parameter", "value", "default", "changed", "unit", "low", "high",
                         "source", "meaning"])
        for r in rows:
            writer.writerow([r["parameter"], _text(r["value"]), _text(r["default"]),
                             "true" if r["changed"] else "false", r["unit"],
                             "" if r["low"] is None else format_value(r["low"]),
                             "" if r["high"] is None else format_value(r["high"]),
                             r["source"], r["meaning"]])
        return buf.getvalue()
    header = ["parameter"] + ([value_label] if value_label else []) + ["default", "unit", "range",
                                                                       "source"]
    table = [header]
    for r in rows:
        name = ("* " if r["changed"] else "  ") + r["parameter"] if value_label else r["parameter"]
        values = [_cell(r["value"]), _cell(r["default"]) if r["changed"] else ""] if value_label \
            else [_cell(r["default"])]
        table.append([name, *values, r["unit"], format_range(r), r["source"]])
    if value_label:
        table[0][0] = "  " + table[0][0]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
             for line in table]
    for r in rows:
        if _is_deals(r["value"]) or (not value_label and _is_deals(r["default"])):
            deals = r["value"] if value_label else r["default"]
            lines.append(f"\n{r['parameter']} ({r['unit']}):")
            lines.extend(f"  {d}" for d in deals)
    if value_label:
        n = sum(r["changed"] for r in rows)
        lines.append(f"\n*: differs from the default ({n} of {len(rows)} shown); "
                     f"defaults are the calibrated 2025 baseline")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _plain(value):
    if _is_deals(value):
        return [dataclasses.asdict(d) for d in value]
    return list(value) if isinstance(value, tuple) else value


def run(args) -> int:
    from aicredit.models.cli import parse_set, scenario_label

    overrides = parse_set(args.set)
    if args.changed and args.scenario is None and not overrides:
        raise UsageError("--changed compares a scenario with the defaults: give --scenario or --set")
    rows = parameter_rows(args.scenario, overrides)
    if args.names:
        every = [r["parameter"] for r in rows]
        rows = [r for r in rows if any(word in r["parameter"] for word in args.names)]
        if not rows:
            words = " or ".join(repr(w) for w in args.names)
            raise UsageError(f"no parameter name contains {words}"
                             f"{did_you_mean(args.names[0], every) or '; aicredit params lists them all'}")
    if args.changed:
        rows = [r for r in rows if r["changed"]]
    label = None
    if args.scenario is not None or overrides:
        label = scenario_label(args.scenario or "baseline") + (" + --set" if overrides else "")
    sys.stdout.write(render(rows, args.format, label))
    return 0
