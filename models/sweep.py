"""Headless parameter sweeps: many runs of the model, in parallel, streamed to Parquet.

A sweep is described by a TOML file (or a dict, :func:`spec_from_dict`)::

    scenario = "baseline"          # shipped name or path to a scenario .toml
    steps = 72                     # months per run
    replications = 4               # seeds 0..3 (or: seeds = [0, 7, 42])
    outputs = ["defaults_total", "defaults_by_sector.neocloud", "ai_index:min",
               "margin_calls:max", "defaults_total:first_step", "series:ai_index"]

    [parameters]                   # a full grid ...
    gpu_loan_max_ltv = [0.5, 0.6, 0.7]
    fire_sale_depth_share = [0.1, 0.5, 2.0]

    # ... or a sample (not both)
    # [sample]
    # method = "lhs"               # or "sobol" (n a power of 2)
    # n = 64
    # seed = 0
    # [sample.ranges]
    # gpu_loan_max_ltv = [0.5, 0.8]

    [fixed]                        # optional: overrides held constant in every run
    demand_shock_step = 12

Outputs name ``summary.json`` keys (``defaults_total``; dotted keys into its tables:
``defaults_by_sector.neocloud``), reporters (``ai_index`` is its end value; ``ai_index:AGG`` with
AGG one of ``end, max, min, mean, sum, first_step``: ``first_step`` is the first month the
reporter is above 0, NaN if never) and whole series (``series:ai_index``, a list column).

Results stream into ``--out DIR`` as Parquet part files (``pandas.read_parquet(DIR)``): one row
per run with a column per swept parameter, ``seed``, a column per output, ``run_id`` (a hash of
the run's full parameters, seed and model version), ``error`` (empty when the run succeeded),
``traceback`` and ``duration_s`` (the only column that differs between identical runs).
Running the same sweep again skips the runs already in ``DIR``.

Executors (one code path, identical results): one process (``workers=1``), local processes
(default: all cores; spawn context) or an existing Dask cluster (``scheduler="tcp://HOST:PORT"``
or a ``distributed.Client``). See ``docs/sweeps.md``.
"""
from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import dataclasses
import hashlib
import importlib
import itertools
import json
import math
import os
import secrets
import signal
import sys
import threading
import time
import tomllib
import traceback as _traceback
from collections import deque
from pathlib import Path
from typing import Any

from models.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["SweepError", "SweepSpec", "load_spec", "spec_from_dict", "spec_from_cli", "build_runs",
           "run_one", "run_sweep", "load_sweep", "add_arguments", "run", "DEFAULT_MODEL",
           "AGGREGATORS"]

DEFAULT_MODEL = "models.model:AIEconomyModel"
AGGREGATORS = ("end", "max", "min", "mean", "sum", "first_step")
SAMPLE_METHODS = ("lhs", "sobol")
TOP_KEYS = {"name", "description", "scenario", "steps", "replications", "seeds", "outputs",
            "parameters", "sample", "fixed", "model"}
SAMPLE_KEYS = {"method", "n", "seed", "ranges", "num_levels"}
MANIFEST = "_sweep.json"
LOCK = "_sweep.lock"
MAX_ATTEMPTS = 2             # a run that kills its worker process this often is recorded as failed
EXIT_INTERRUPTED = 130
EXIT_ABORTED = 1


class SweepError(ScenarioError):
    """A bad sweep file or sweep call; the message names the key and the value (exit code 2)."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a sweep: finished runs were written."""


class SweepAborted(RuntimeError):
    """The executor went away (e.g. the Dask scheduler died): finished runs were written."""


_FIELDS = {f.name: f for f in dataclasses.fields(Scenario)}


def _kind(name: str) -> str:
    return _FIELDS[name].type            # "int", "float", "bool" or "tuple" (string annotations)


# --------------------------------------------------------------------------------------------
# The sweep specification
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class SweepSpec:
    """A validated sweep: what to run and what to record.

    Exactly one of ``grid`` ({param: [values]}), ``sample`` ({method, n, seed, ranges}) and
    ``points`` (an explicit list of {param: value}, used by :mod:`models.sensitivity`) is set.
    """

    scenario: str
    steps: int
    seeds: list[int]
    outputs: list[str]
    grid: dict[str, list] | None = None
    sample: dict | None = None
    points: list[dict] | None = None
    fixed: dict = dataclasses.field(default_factory=dict)
    model: str = DEFAULT_MODEL
    name: str = "sweep"
    source: str = "<dict>"

    @property
    def param_names(self) -> list[str]:
        if self.grid is not None:
            return list(self.grid)
        if self.sample is not None:
            return list(self.sample["ranges"])
        return list(self.points[0]) if self.points else []

    def to_dict(self) -> dict:
        """A JSON-able description (for the manifest)."""
        d = dataclasses.asdict(self)
        d.pop("source")
        return d


CLI_SOURCE = "the command line"
_OPTIONS = {"scenario": "--scenario", "steps": "--steps", "replications": "--replications",
            "seeds": "--seeds", "outputs": "--outputs", "name": "--name", "model": "--model",
            "parameters": "--param", "fixed": "--fixed", "sample": "--sample",
            "sample.method": "--sample", "sample.n": "--n", "sample.seed": "--sample-seed",
            "sample.num_levels": "--num-levels", "sample.ranges": "--range"}


def _where(source: str) -> str:
    return source if source == CLI_SOURCE else f"sweep file {source}"


def _key(source: str, key: str) -> str:
    """How a message names a key: the file's key, or the option that set it."""
    if source != CLI_SOURCE:
        return f"key '{key}'"
    for prefix in ("sample.ranges", "parameters", "fixed"):
        if key.startswith(prefix + "."):
            return f"{_OPTIONS[prefix]} {key[len(prefix) + 1:]}"
    return _OPTIONS.get(key, f"key '{key}'")


def _err(source: str, key: str, value: Any, why: str) -> SweepError:
    return SweepError(f"{_where(source)}: {_key(source, key)} = {value!r}: {why}")


def _missing(source: str, key: str, what: str = "") -> SweepError:
    return SweepError(f"{_where(source)}: missing {_key(source, key)}{what}")


def load_spec(path: str | Path, kind: str = "sweep") -> SweepSpec:
    """Read and validate a sweep TOML file (``kind="sensitivity"`` for sensitivity specs)."""
    path = Path(path)
    return spec_from_dict(_read_toml(path), source=str(path), base_dir=path.parent, kind=kind)


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"sweep file {path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise SweepError(f"sweep file {path}: cannot be read ({exc.strerror})") from None


def _cli_value(text: str):
    """A command-line value read as a TOML value (``0.5``, ``3``, ``true``), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _cli_list(text: str) -> list:
    return [_cli_value(t.strip()) for t in text.split(",")]


def _cli_assignment(option: str, text: str) -> tuple[str, str]:
    name, eq, values = text.partition("=")
    if not eq or not name.strip() or not values.strip():
        raise SweepError(f"{option} {text!r}: must look like NAME=VALUE[,VALUE...]")
    return name.strip(), values.strip()


def spec_from_cli(args, kind: str = "sweep") -> SweepSpec:
    """The sweep the command line describes: its file (optional) with the options on top.

    ``--scenario``, ``--steps``, ``--replications``/``--seeds``, ``--outputs``, ``--name`` and
    ``--model`` replace the file's keys; ``--param NAME=V1,V2`` (grid), ``--fixed NAME=V`` and
    ``--range NAME=LOW,HIGH`` set one entry of their table; ``--sample``, ``--n`` and
    ``--sample-seed`` set the sample's keys. Messages name the option when there is no file.
    """
    raw: dict = {}
    given = {k: v for k, v in vars(args).items()
             if k in ("scenario", "steps", "replications", "seeds", "outputs", "name", "model",
                      "param", "fixed", "sample", "n", "sample_seed", "range")
             and v not in (None, [])}
    if args.spec is not None:
        raw = _read_toml(args.spec)
        source = str(args.spec) + (" with command-line options" if given else "")
        base_dir = args.spec.parent
    elif given:
        source, base_dir = CLI_SOURCE, None
    else:
        raise SweepError(f"give a {'sweep' if kind == 'sweep' else 'spec'} file or describe "
                         "the sweep with options (at least --scenario, --steps, --outputs and "
                         f"{'--param or ' if kind == 'sweep' else ''}--range)")
    for key in ("scenario", "name", "model"):
        if key in given:
            raw[key] = given[key]
    if str(raw.get("scenario", "")).endswith(".toml") and "scenario" in given:
        raw["scenario"] = str(Path(given["scenario"]).resolve())   # relative to where we are
    if "steps" in given:
        raw["steps"] = _cli_value(given["steps"])
    if "replications" in given:
        raw["replications"] = _cli_value(given["replications"])
        raw.pop("seeds", None)
    if "seeds" in given:
        raw["seeds"] = _cli_list(given["seeds"])
        raw.pop("replications", None)
    if "outputs" in given:
        raw["outputs"] = [o.strip() for o in given["outputs"].split(",")]
    for option, table, parse in (("--param", "parameters", _cli_list),
                                 ("--fixed", "fixed", _cli_value)):
        for text in given.get(option[2:], []):
            name, values = _cli_assignment(option, text)
            raw[table] = {**(raw.get(table) or {}), name: parse(values)}
    if any(k in given for k in ("sample", "n", "sample_seed", "range")):
        sample = dict(raw.get("sample") or {})
        for key, opt in (("method", "sample"), ("n", "n"), ("seed", "sample_seed")):
            if opt in given:
                sample[key] = given[opt] if key == "method" else _cli_value(given[opt])
        for text in given.get("range", []):
            name, values = _cli_assignment("--range", text)
            sample["ranges"] = {**(sample.get("ranges") or {}), name: _cli_list(values)}
        raw["sample"] = sample
    return spec_from_dict(raw, source=source, base_dir=base_dir, kind=kind)


def _check_int(source, key, value, low=None):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise _err(source, key, value, "must be a whole number")
    if low is not None and value < low:
        raise _err(source, key, value, f"must be >= {low}")
    return value


def _check_param_name(source, key, name, value, *, sampled=False):
    if name not in _FIELDS:
        raise _err(source, key, value, f"unknown scenario parameter '{name}' "
                   "(see models.scenario.PARAMETER_TABLE)")
    if name == "steps":
        raise _err(source, key, value, "sweep 'steps' at the top level of the sweep file, "
                   "not as a parameter")
    kind = _kind(name)
    if kind == "tuple" and key.split(".")[0] != "fixed":
        raise _err(source, key, value, "list-valued parameters can only be set in [fixed]")
    if sampled and kind == "bool":
        raise _err(source, key, value, "true/false parameters cannot be sampled; "
                   "use a [parameters] grid")


def spec_from_dict(raw: dict, *, source: str = "<dict>", base_dir: str | Path | None = None,
                   kind: str = "sweep") -> SweepSpec:
    """Validate a sweep described as a dict (the TOML file's content) and return the spec.

    Raises :class:`SweepError` naming the first bad key and its value.
    """
    raw = dict(raw)
    methods = SAMPLE_METHODS if kind == "sweep" else ("sobol", "morris")
    for key in raw:
        if key not in TOP_KEYS:
            raise _err(source, key, raw[key], f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    for key in ("scenario", "steps", "outputs"):
        if key not in raw:
            raise _missing(source, key)
    scenario = raw["scenario"]
    if not isinstance(scenario, str) or not scenario:
        raise _err(source, "scenario", scenario, "must be a scenario name or a .toml path")
    if scenario.endswith(".toml") and base_dir is not None and not Path(scenario).is_absolute():
        scenario = str((Path(base_dir) / scenario).resolve())
    steps = _check_int(source, "steps", raw["steps"], 1)
    f = _FIELDS["steps"].metadata
    if steps > f["high"]:
        raise _err(source, "steps", steps, f"must be <= {f['high']}")

    # seeds
    if "seeds" in raw and "replications" in raw:
        raise SweepError(f"{_where(source)}: give {_key(source, 'replications')} or "
                         f"{_key(source, 'seeds')}, not both")
    if "seeds" in raw:
        seeds = raw["seeds"]
        if not isinstance(seeds, list) or not seeds:
            raise _err(source, "seeds", seeds, "must be a non-empty list of whole numbers")
        seeds = [_check_int(source, "seeds", s, 0) for s in seeds]
        if len(set(seeds)) != len(seeds):
            raise _err(source, "seeds", raw["seeds"], "lists a seed twice")
    else:
        seeds = list(range(_check_int(source, "replications", raw.get("replications", 1), 1)))

    # fixed overrides
    fixed = raw.get("fixed", {})
    if not isinstance(fixed, dict):
        raise _err(source, "fixed", fixed, "must be a table of parameter = value")
    for name, value in fixed.items():
        _check_param_name(source, f"fixed.{name}", name, value)
        _check_value(source, f"fixed.{name}", name, value)

    # parameters: grid or sample
    has_grid, has_sample = "parameters" in raw, "sample" in raw
    if kind == "sensitivity" and not has_sample:
        raise SweepError(f"{_where(source)}: a sensitivity analysis needs a [sample] table "
                         "with n and [sample.ranges] (options --n and --range)")
    if has_grid == has_sample:
        raise SweepError(f"{_where(source)}: give either a [parameters] table (a grid; option "
                         f"--param) or a [sample] table (options --sample, --n, --range), "
                         f"{'not both' if has_grid else 'not neither'}")
    grid = sample = None
    if has_grid:
        table = raw["parameters"]
        if not isinstance(table, dict) or not table:
            raise _err(source, "parameters", table, "must be a table of parameter = [values]")
        grid = {}
        for name, values in table.items():
            key = f"parameters.{name}"
            _check_param_name(source, key, name, values)
            if name in fixed:
                raise _err(source, key, values, "is also in [fixed]")
            if not isinstance(values, list) or not values:
                raise _err(source, key, values, "must be a non-empty list of values")
            grid[name] = [_check_value(source, key, name, v) for v in values]
            if len(set(map(repr, grid[name]))) != len(values):
                raise _err(source, key, values, "lists a value twice")
    else:
        table = raw["sample"]
        if not isinstance(table, dict):
            raise _err(source, "sample", table, "must be a table with method, n and ranges")
        for key in table:
            if key not in SAMPLE_KEYS:
                raise _err(source, f"sample.{key}", table[key],
                           f"unknown key (known: {', '.join(sorted(SAMPLE_KEYS))})")
        method = table.get("method", methods[0] if kind == "sensitivity" else None)
        if method is None:
            raise _missing(source, "sample.method", f" ({' or '.join(methods)})")
        if method not in methods:
            raise _err(source, "sample.method", method, f"must be one of {', '.join(methods)}")
        if "n" not in table:
            raise _missing(source, "sample.n")
        n = _check_int(source, "sample.n", table["n"], 1)
        if method == "sobol" and n & (n - 1):
            lo = 1 << (n.bit_length() - 1)
            raise _err(source, "sample.n", n, f"Sobol' samples need a power of 2 (e.g. {lo} or "
                       f"{lo * 2})")
        seed = _check_int(source, "sample.seed", table.get("seed", 0), 0)
        num_levels = _check_int(source, "sample.num_levels", table.get("num_levels", 4), 2)
        ranges = table.get("ranges")
        if not isinstance(ranges, dict) or not ranges:
            raise SweepError(f"{_where(source)}: missing table [sample.ranges] of "
                             "parameter = [low, high] (option --range NAME=LOW,HIGH)")
        clean = {}
        for name, rng in ranges.items():
            key = f"sample.ranges.{name}"
            _check_param_name(source, key, name, rng, sampled=True)
            if name in fixed:
                raise _err(source, key, rng, "is also in [fixed]")
            if (not isinstance(rng, list) or len(rng) != 2
                    or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in rng)):
                raise _err(source, key, rng, "must be [low, high]")
            lo, hi = (_check_value(source, key, name, v) for v in rng)
            if not lo < hi:
                raise _err(source, key, rng, "low must be below high")
            clean[name] = [float(lo), float(hi)]
        if kind == "sensitivity" and len(clean) < 2:
            raise _err(source, "sample.ranges", ranges, "a sensitivity analysis needs at least "
                       "2 parameters")
        sample = dict(method=method, n=n, seed=seed, ranges=clean)
        if method == "morris":
            sample["num_levels"] = num_levels

    outputs = raw["outputs"]
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise _err(source, "outputs", outputs, "must be a non-empty list of output names")
    if len(set(outputs)) != len(outputs):
        raise _err(source, "outputs", outputs, "lists an output twice")
    model = raw.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or ":" not in model:
        raise _err(source, "model", model, "must be 'package.module:ClassName'")
    name = str(raw.get("name", Path(source).stem if source not in ("<dict>", CLI_SOURCE)
                       else "sweep"))
    spec = SweepSpec(scenario=scenario, steps=steps, seeds=seeds, outputs=list(outputs),
                     grid=grid, sample=sample, fixed=dict(fixed), model=model, name=name,
                     source=source)
    _validate_outputs(spec, kind)
    return spec


def _check_value(source, key, name, value):
    """One value of a parameter, checked against its type and range (not yet combined)."""
    try:
        return validate_one(name, value)
    except ScenarioError as exc:
        raise _err(source, key, value, str(exc)) from None


def validate_one(name, value):
    from models.scenario import validate_params
    value = validate_params({name: value})[name]
    return list(value) if isinstance(value, tuple) else value


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------

def parse_output(name: str) -> tuple[str, str, str | None]:
    """``(kind, target, aggregator)``: kind is ``series``, ``reporter`` or ``summary``."""
    if name.startswith("series:"):
        return "series", name[len("series:"):], None
    if ":" in name:
        target, agg = name.rsplit(":", 1)
        return "reporter", target, agg
    return "summary", name, None


def _probe(spec: SweepSpec):
    """A step-0 model of the sweep's base scenario: the names its outputs may use."""
    from models.report import summary
    cls = _import_model(spec.model)
    base = _base_params(spec)
    model = cls("baseline", seed=0, collect_agents=False, **base)
    reporters = list(model.datacollector.model_reporters)
    return summary(model), reporters


def _validate_outputs(spec: SweepSpec, kind: str) -> None:
    summ, reporters = _probe(spec)
    for name in spec.outputs:
        okind, target, agg = parse_output(name)
        if name in spec.param_names or name in ("seed", "run_id", "error", "traceback",
                                                "duration_s"):
            raise _err(spec.source, "outputs", name, "clashes with a column of the results")
        if okind == "series":
            if kind == "sensitivity":
                raise _err(spec.source, "outputs", name, "a sensitivity analysis needs scalar "
                           "outputs, not whole series")
            if target not in reporters:
                raise _err(spec.source, "outputs", name, f"unknown reporter '{target}'")
        elif okind == "reporter":
            if target not in reporters:
                raise _err(spec.source, "outputs", name, f"unknown reporter '{target}'")
            if agg not in AGGREGATORS:
                raise _err(spec.source, "outputs", name, f"unknown aggregator '{agg}' "
                           f"(known: {', '.join(AGGREGATORS)})")
        else:
            value, found = summ, True
            for part in target.split("."):
                if isinstance(value, dict) and part in value:
                    value = value[part]
                else:
                    found = False
                    break
            if not found:
                if "." not in target and target in reporters:
                    continue                     # a reporter's end value
                raise _err(spec.source, "outputs", name, "not a summary.json key or a reporter "
                           f"(summary keys: {', '.join(k for k in summ)}; reporters are listed "
                           "in models/reporters.py)")
            if isinstance(value, dict):
                raise _err(spec.source, "outputs", name, "is a table; name one of its keys, "
                           f"e.g. '{target}.{next(iter(value))}'")
            if isinstance(value, str):
                raise _err(spec.source, "outputs", name, "is not a number")


def _extract(model, outputs: list[str]) -> dict:
    from models.report import summary
    out = {}
    summ = None
    df = model.datacollector.get_model_vars_dataframe()
    for name in outputs:
        kind, target, agg = parse_output(name)
        if kind == "summary":
            if summ is None:
                summ = summary(model)
            if target.split(".")[0] not in summ and target in df.columns:
                kind, agg = "reporter", "end"           # a bare reporter name: its end value
        if kind == "series":
            out[name] = [float(v) for v in df[target].to_numpy(dtype=float)]
        elif kind == "reporter":
            col = df[target].to_numpy(dtype=float)
            if agg == "end":
                v = col[-1]
            elif agg == "max":
                v = col.max()
            elif agg == "min":
                v = col.min()
            elif agg == "mean":
                v = col.mean()
            elif agg == "sum":
                v = col.sum()
            else:                                  # first_step: first month above 0
                hits = (col > 0).nonzero()[0]
                v = float(df["step"].iloc[hits[0]]) if hits.size else math.nan
            out[name] = float(v)
        else:
            value = summ
            for part in target.split("."):
                value = value[part]
            out[name] = math.nan if value is None else float(value)
    return out


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------

def _import_model(path: str):
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise SweepError(f"sweep key 'model' = {path!r}: cannot import it ({exc})") from None


def _base_params(spec: SweepSpec) -> dict:
    scenario = load_scenario(spec.scenario, steps=spec.steps, **spec.fixed)
    return _jsonable(dataclasses.asdict(scenario))


def _jsonable(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def _points(spec: SweepSpec) -> list[dict]:
    """The parameter points of the sweep, in order (before replication over seeds)."""
    if spec.grid is not None:
        names = list(spec.grid)
        return [dict(zip(names, combo)) for combo in itertools.product(*spec.grid.values())]
    if spec.points is not None:
        return [dict(p) for p in spec.points]
    s = spec.sample
    names = list(s["ranges"])
    from scipy.stats import qmc
    engine_cls = qmc.LatinHypercube if s["method"] == "lhs" else qmc.Sobol
    try:
        engine = engine_cls(len(names), rng=s["seed"])
    except TypeError:                                   # scipy < 1.15
        engine = engine_cls(len(names), seed=s["seed"])
    u = engine.random(s["n"])
    pts = []
    for row in u:
        point = {}
        for name, x in zip(names, row):
            lo, hi = s["ranges"][name]
            value = lo + float(x) * (hi - lo)
            point[name] = int(round(value)) if _kind(name) == "int" else value
        pts.append(point)
    return pts


def run_identity(model: str, params: dict, seed: int) -> str:
    """The run's id: sha256 of its model class, full parameters, seed and model version."""
    from models.report import MODEL_VERSION
    ident = {"model": model, "params": params, "seed": int(seed), "model_version": MODEL_VERSION}
    blob = json.dumps(ident, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def build_runs(spec: SweepSpec) -> list[dict]:
    """Every run of the sweep as a picklable dict for :func:`run_one`, in sweep order.

    Each point is validated as a whole (types, ranges and cross-parameter rules).
    """
    base = _base_params(spec)
    runs = []
    seen = set()
    for point in _points(spec):
        merged = {**base, **point}
        try:
            full = _jsonable(dataclasses.asdict(Scenario(**validate_all(merged))))
        except ScenarioError as exc:
            raise SweepError(f"{_where(spec.source)}: the point {point} is invalid: {exc}") \
                from None
        for seed in spec.seeds:
            rid = run_identity(spec.model, full, seed)
            if rid in seen:                     # e.g. two sampled floats rounding to one int
                continue
            seen.add(rid)
            runs.append({"run_id": rid, "model": spec.model, "params": full, "seed": int(seed),
                         "columns": dict(point), "outputs": list(spec.outputs)})
    return runs


def validate_all(params: dict) -> dict:
    from models.scenario import validate_params
    return validate_params(params)


def run_one(run: dict) -> dict:
    """Run one simulation and return its result row (never raises for a failing model).

    ``run`` is an element of :func:`build_runs`. The row holds the swept parameters, ``seed``,
    the outputs, ``run_id``, ``error`` ("" on success, else "ExcType: message"), ``traceback``
    and ``duration_s``. A run that raises gets NaN outputs (None for series).
    """
    t0 = time.perf_counter()
    row = dict(run["columns"])
    row["seed"] = run["seed"]
    try:
        cls = _import_model(run["model"])
        model = cls("baseline", seed=run["seed"], collect_agents=False, **run["params"])
        for _ in range(int(run["params"]["steps"])):
            model.step()
        outs = _extract(model, run["outputs"])
        error, tb = "", ""
    except Exception as exc:                                  # noqa: BLE001 - recorded, not lost
        outs = {o: (None if o.startswith("series:") else math.nan) for o in run["outputs"]}
        error = f"{type(exc).__name__}: {exc}"
        tb = "".join(_traceback.format_exception(exc, limit=-8))[-4000:]
    row.update(outs)
    row.update(run_id=run["run_id"], error=error, traceback=tb,
               duration_s=time.perf_counter() - t0)
    return row


def _failed_row(run: dict, error: str) -> dict:
    row = dict(run["columns"])
    row["seed"] = run["seed"]
    row.update({o: (None if o.startswith("series:") else math.nan) for o in run["outputs"]})
    row.update(run_id=run["run_id"], error=error, traceback="", duration_s=math.nan)
    return row


# --------------------------------------------------------------------------------------------
# The Parquet dataset
# --------------------------------------------------------------------------------------------

def _schema(spec: SweepSpec):
    import pyarrow as pa
    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    fields = [pa.field(n, types[_kind(n)]) for n in spec.param_names]
    fields.append(pa.field("seed", pa.int64()))
    for o in spec.outputs:
        fields.append(pa.field(o, pa.list_(pa.float64()) if o.startswith("series:")
                               else pa.float64()))
    fields += [pa.field("run_id", pa.string()), pa.field("error", pa.string()),
               pa.field("traceback", pa.string()), pa.field("duration_s", pa.float64())]
    return pa.schema(fields)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write) -> None:
    """Write via ``write(tmp_path)`` to a hidden temp file, fsync, and rename into place."""
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


class _Dataset:
    """The output directory: part files, manifest and lock."""

    def __init__(self, out: Path, spec: SweepSpec):
        self.out = Path(out)
        self.spec = spec
        self.schema = _schema(spec)
        self._lock_fh = None
        self.written: set[str] = set()

    def open(self) -> set[str]:
        """Lock the directory, check it holds the same sweep, return the finished run ids."""
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"--out {self.out} is a file, not a directory")
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock()
        for tmp in self.out.glob(".*.tmp"):          # left by a sweep killed while writing
            tmp.unlink()
        manifest = self.out / MANIFEST
        if manifest.exists():
            old = json.loads(manifest.read_text())
            if old.get("schema") != self._schema_desc():
                raise SweepError(f"--out {self.out} holds a different sweep (its columns "
                                 f"{[c for c, _ in old.get('schema', [])]} differ from this "
                                 "sweep's); choose another directory")
        elif any(self.out.iterdir()):
            if any(p.name != LOCK for p in self.out.iterdir()):
                raise SweepError(f"--out {self.out} is not empty and holds no sweep "
                                 f"({MANIFEST}); choose another directory")
        return self.finished_ids()

    def _schema_desc(self):
        return [[f.name, str(f.type)] for f in self.schema]

    def _lock(self):
        try:
            import fcntl
        except ImportError:                             # not on POSIX: no lock
            return
        self._lock_fh = open(self.out / LOCK, "a")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_fh.close()
            self._lock_fh = None
            raise SweepError(f"--out {self.out}: another sweep is writing to this directory") \
                from None

    def close(self):
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def parts(self) -> list[Path]:
        return sorted(self.out.glob("part-*.parquet"))

    def finished_ids(self) -> set[str]:
        import pyarrow.parquet as pq
        ids = set()
        for part in self.parts():
            try:
                ids.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
            except Exception as exc:  # noqa: BLE001
                raise SweepError(f"--out {self.out}: part file {part.name} cannot be read "
                                 f"({exc}); move it away and run again") from None
        return ids

    def drop_failed(self) -> int:
        """Remove the rows of failed runs (``error`` not empty) so they run again; returns how
        many. Each part holding one is atomically replaced by a copy without it (or removed),
        so at every moment the directory reads as a valid dataset with no run twice."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        dropped = 0
        for part in self.parts():
            table = pq.read_table(part)
            ok = pc.equal(table["error"], "")
            n_failed = len(table) - pc.sum(ok).as_py()
            if not n_failed:
                continue
            kept = table.filter(ok)
            if len(kept):
                _atomic_write(part, lambda p: pq.write_table(kept, p))
            else:
                part.unlink()
                _fsync_dir(self.out)
            dropped += n_failed
        return dropped

    def write_manifest(self, **info):
        from models.report import MODEL_VERSION
        data = {"format": 1, "name": self.spec.name, "spec": self.spec.to_dict(),
                "model_version": MODEL_VERSION, "schema": self._schema_desc(), **info,
                "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}
        text = json.dumps(data, indent=2, default=str) + "\n"
        _atomic_write(self.out / MANIFEST, lambda p: p.write_text(text))

    def write_part(self, rows: list[dict]) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq
        existing = [int(p.name.split("-")[1]) for p in self.parts()]
        index = max(existing, default=-1) + 1
        path = self.out / f"part-{index:06d}-{secrets.token_hex(3)}.parquet"
        table = pa.Table.from_pylist(rows, schema=self.schema)
        _atomic_write(path, lambda p: pq.write_table(table, p))
        self.written.update(r["run_id"] for r in rows)
        return path


def load_sweep(path: str | Path):
    """The results of a sweep directory as a DataFrame, one row per run (sorted by parameters
    and seed). An empty frame with the sweep's columns when no run has finished yet."""
    import pandas as pd
    import pyarrow.parquet as pq
    path = Path(path)
    parts = sorted(path.glob("part-*.parquet"))
    if not parts:
        manifest = path / MANIFEST
        if not manifest.exists():
            raise SweepError(f"{path} holds no sweep results")
        cols = [c for c, _ in json.loads(manifest.read_text())["schema"]]
        return pd.DataFrame(columns=cols)
    df = pq.read_table(path).to_pandas()
    df = df.drop_duplicates("run_id", keep="first")
    order = [c for c in df.columns if c not in ("run_id", "error", "traceback", "duration_s")
             and not c.startswith("series:")]
    keys = order[:order.index("seed") + 1] if "seed" in order else []
    return df.sort_values(keys + ["run_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Executors and the sweep loop
# --------------------------------------------------------------------------------------------

def _watch_parent(ppid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:            # the sweep process died (e.g. SIGKILL): stop too
            os._exit(0)


def _worker_init(ppid: int) -> None:
    """Local worker processes ignore Ctrl-C (the sweep handles it) and die with the sweep."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()


class _signals_deferred:
    """Block SIGINT and SIGTERM for the duration (POSIX main thread; else a no-op)."""

    SIGNALS = {signal.SIGINT, signal.SIGTERM}

    def __enter__(self):
        self.old = None
        if hasattr(signal, "pthread_sigmask") and \
                threading.current_thread() is threading.main_thread():
            self.old = signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)


class _InProcess:
    """``workers=1``: runs in the calling process, one after the other."""

    slots = 1

    def submit(self, fn, arg):
        fut = cf.Future()
        try:
            fut.set_result(fn(arg))
        except BaseException as exc:       # noqa: BLE001 - KeyboardInterrupt re-raised below
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut

    def shutdown(self):
        pass


class _Processes:
    """Local processes (spawn context): restarted when a worker dies."""

    def __init__(self, workers: int):
        self.workers = workers
        self.slots = workers * 2
        self._new()

    def _new(self):
        import multiprocessing
        self.pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init, initargs=(os.getpid(),))

    def submit(self, fn, arg):
        return self.pool.submit(fn, arg)

    def restart(self):
        self.shutdown()
        self._new()

    def shutdown(self):
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:                      # do not wait for runs nobody will record
            try:
                p.terminate()
            except Exception:  # noqa: BLE001
                pass
        for p in procs:
            try:
                p.join(5)
            except Exception:  # noqa: BLE001
                pass


class _Given:
    """An executor the caller made and owns (any ``concurrent.futures.Executor``)."""

    def __init__(self, executor, workers):
        self.executor = executor
        n = workers or getattr(executor, "_max_workers", None) or _default_workers()
        self.slots = 2 * n

    def submit(self, fn, arg):
        return self.executor.submit(fn, arg)

    def restart(self):
        raise SweepAborted("a worker process of the given executor died and it cannot be "
                           "restarted")

    def shutdown(self):
        pass


class _Dask:
    """An existing Dask cluster (a scheduler address or a ``distributed.Client``)."""

    def __init__(self, scheduler):
        try:
            from distributed import Client
        except ImportError:
            raise SweepError("--scheduler needs dask.distributed: pip install 'aicredit[sweep]'") \
                from None
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
            self._own = True
        self.executor = self.client.get_executor(pure=False)
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = max(2, 2 * threads)

    def submit(self, fn, arg):
        return self.executor.submit(fn, arg)

    def alive(self) -> bool:
        return self.client.status in ("running", "connecting")

    def shutdown(self):
        try:
            self.executor.shutdown(wait=False)
        except Exception:  # noqa: BLE001
            pass
        if self._own:
            try:
                self.client.close(timeout=5)
            except Exception:  # noqa: BLE001
                pass


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_sweep(spec_or_path, out: str | Path | None = None, workers: int | None = None,
              scheduler=None, progress: bool = True, flush_every: float = 2.0,
              retry_failed: bool = False, _report: dict | None = None):
    """Run a sweep and return its results as a DataFrame (one row per run).

    ``spec_or_path``: a sweep TOML path, a dict (:func:`spec_from_dict`) or a :class:`SweepSpec`.
    ``out``: the results directory (Parquet parts; resumable). Without it the results go to a
    temporary directory that is removed afterwards. ``workers``: local processes (default all
    cores; 1 runs in this process). ``scheduler``: a Dask scheduler address ``tcp://HOST:PORT``,
    a ``distributed.Client`` or any ``concurrent.futures.Executor`` the caller owns (e.g. a
    warm process pool); overrides ``workers``. ``flush_every``: seconds between part
    files. ``retry_failed``: run again the runs of ``out`` recorded with an error (e.g.
    ``WorkerLost`` after running out of memory), replacing their rows. Ctrl-C writes the
    finished runs and raises ``KeyboardInterrupt``.
    """
    spec = _as_spec(spec_or_path)
    if out is None:
        import tempfile
        with tempfile.TemporaryDirectory(prefix="aicredit-sweep-") as tmp:
            return run_sweep(spec, tmp, workers, scheduler, progress, flush_every,
                             retry_failed, _report)
    if workers is not None and workers < 1:
        raise SweepError(f"workers must be >= 1, got {workers}")
    runs = build_runs(spec)
    ds = _Dataset(Path(out), spec)
    done_ids = ds.open()
    try:
        retried = ds.drop_failed() if retry_failed else 0
        if retried:
            done_ids = ds.finished_ids()
        todo = [r for r in runs if r["run_id"] not in done_ids]
        report = _report if _report is not None else {}
        report.update(total=len(runs), skipped=len(runs) - len(todo), new=0, failed=0,
                      retried=retried)
        ds.write_manifest(runs_total=len(runs), state="running")
        if todo:
            _execute(spec, ds, todo, len(runs) - len(todo), len(runs), workers, scheduler,
                     progress, flush_every, report)
        ds.write_manifest(runs_total=len(runs), state="complete")
    finally:
        ds.close()
    df = load_sweep(out)
    report["failed_total"] = int((df["error"] != "").sum())
    return df


def _as_spec(spec_or_path) -> SweepSpec:
    if isinstance(spec_or_path, SweepSpec):
        return spec_or_path
    if isinstance(spec_or_path, dict):
        return spec_from_dict(spec_or_path)
    return load_spec(spec_or_path)


def _execute(spec, ds, todo, already, total, workers, scheduler, progress, flush_every, report):
    from tqdm import tqdm

    if isinstance(scheduler, cf.Executor):
        ex = _Given(scheduler, workers)
    elif scheduler is not None:
        ex = _Dask(scheduler)
    elif (workers or _default_workers()) == 1:
        ex = _InProcess()
    else:
        ex = _Processes(min(workers or _default_workers(), len(todo)))
    bar = tqdm(total=total, initial=already, unit="run", disable=not progress, file=sys.stderr,
               desc=f"sweep {spec.name}", dynamic_ncols=True, smoothing=0.1)
    bar.set_postfix(failed=0)
    pending = deque(todo)
    suspects: deque = deque()            # runs in flight when a worker process died
    attempts: dict[str, int] = {}
    inflight: dict = {}
    rows: list[dict] = []
    last_flush = time.monotonic()
    lost_since = None

    def flush():
        # Ctrl-C/SIGTERM wait until the part file is in place and the buffer is cleared, so a
        # run is never written twice (nor lost)
        nonlocal rows, last_flush
        with _signals_deferred():
            batch = [r for r in rows if r["run_id"] not in ds.written]
            if batch:
                ds.write_part(batch)
            rows = []
        last_flush = time.monotonic()

    def record(row):
        rows.append(row)
        report["new"] += 1
        if row["error"]:
            report["failed"] += 1
            bar.set_postfix(failed=report["failed"], refresh=False)
        bar.update(1)

    try:
        while pending or suspects or inflight:
            # suspects run one at a time, so a run that kills its worker is found out
            while suspects and not inflight:
                run = suspects.popleft()
                inflight[ex.submit(run_one, run)] = run
            while pending and not suspects and len(inflight) < ex.slots:
                run = pending.popleft()
                inflight[ex.submit(run_one, run)] = run
            done, _ = cf.wait(list(inflight), timeout=0.5, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in done:
                run = inflight.pop(fut)
                try:
                    record(fut.result())
                except BrokenProcessPool:
                    broken = True
                    attempts[run["run_id"]] = attempts.get(run["run_id"], 0) + 1
                    alone = len(done) == 1 and not inflight
                    if alone and attempts[run["run_id"]] >= MAX_ATTEMPTS:
                        record(_failed_row(run, "WorkerLost: the worker process running this "
                                                "run died (killed or crashed)"))
                    else:
                        suspects.append(run)
                except cf.CancelledError:
                    if isinstance(ex, _Dask) and not ex.alive():
                        raise SweepAborted("lost the Dask scheduler") from None
                    pending.appendleft(run)
                except Exception as exc:  # noqa: BLE001 - e.g. dask KilledWorker
                    if isinstance(ex, _Dask) and not ex.alive():
                        raise SweepAborted(f"lost the Dask scheduler ({exc})") from None
                    name = type(exc).__name__
                    record(_failed_row(run, f"{'WorkerLost' if 'Killed' in name else name}: "
                                            f"{exc}"))
            if broken:
                for fut, run in list(inflight.items()):
                    suspects.append(run)
                inflight.clear()
                ex.restart()
            if isinstance(ex, _Dask):
                if ex.alive():
                    lost_since = None
                elif lost_since is None:
                    lost_since = time.monotonic()
                elif time.monotonic() - lost_since > 30:
                    raise SweepAborted("lost the Dask scheduler")
            if time.monotonic() - last_flush >= flush_every:
                flush()
        flush()
    except BaseException:
        try:
            flush()                          # finished runs are never lost
        finally:
            bar.close()
            ex.shutdown()
        raise
    bar.close()
    ex.shutdown()


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------

def add_common_arguments(parser) -> None:
    from models.cli import _positive_int
    parser.add_argument("--out", type=Path, required=True,
                        help="results directory (Parquet parts; run again to resume)")
    parser.add_argument("--workers", type=_positive_int("--workers"), default=None,
                        help="local worker processes (default: all cores; 1: this process)")
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                        help="run on an existing Dask cluster instead of local processes")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--flush-every", type=float, default=2.0, metavar="SECONDS",
                        help="seconds between writes of finished runs (default 2)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run again the runs recorded with an error, replacing their rows")


def add_description_arguments(parser, kind: str = "sweep") -> None:
    """Options that describe a sweep (alone, or on top of a sweep file's keys)."""
    import argparse
    g = parser.add_argument_group(
        "describing the sweep on the command line (each replaces the file's key)")
    g.add_argument("--scenario", metavar="NAME", help="a shipped scenario or a scenario .toml")
    g.add_argument("--steps", metavar="N", help="months per run")
    g.add_argument("--replications", metavar="K", help="seeds 0..K-1")
    g.add_argument("--seeds", metavar="S1,S2,...", help="explicit seeds")
    g.add_argument("--outputs", metavar="O1,O2,...", help="outputs to record (docs/sweeps.md)")
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
    g.add_argument("--model", metavar="PACKAGE.MODULE:CLASS", help=argparse.SUPPRESS)


def add_arguments(parser) -> None:
    parser.add_argument("spec", type=Path, nargs="?", metavar="SWEEP.toml",
                        help="the sweep file (optional when the options describe the sweep)")
    add_common_arguments(parser)
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


def execute_cli(spec: SweepSpec, args, what: str = "sweep") -> tuple[int, dict]:
    """Run a sweep for the CLI: returns (exit code, report)."""
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
                      retry_failed=args.retry_failed, _report=report)
    except KeyboardInterrupt:
        print(f"\naicredit {what}: interrupted; {report['skipped'] + report['new']} of "
              f"{report['total']} runs are in {args.out}; run the same command again to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED, report
    except SweepAborted as exc:
        print(f"aicredit {what}: stopped: {exc}; {report['skipped'] + report['new']} of "
              f"{report['total']} runs are in {args.out}; run the same command again to resume",
              file=sys.stderr)
        return EXIT_ABORTED, report
    return 0, report


def run(args) -> int:
    spec = spec_from_cli(args)
    if args.dry_run:
        runs = build_runs(spec)
        print(f"{spec.name}: {len(runs)} runs ({len(runs) // len(spec.seeds)} points x "
              f"{len(spec.seeds)} seeds), outputs: {', '.join(spec.outputs)}")
        return 0
    code, report = execute_cli(spec, args)
    if code == 0:
        failed = (f", {report['failed_total']} failed (see the error column; --retry-failed "
                  "runs them again)") if report.get("failed_total") else ""
        retried = f", {report['retried']} of them failed runs retried" \
            if report.get("retried") else ""
        print(f"{report['total']} runs in {args.out} ({report['new']} new{retried}, "
              f"{report['skipped']} already there{failed}); read them with "
              f"pandas.read_parquet({str(args.out)!r})")
    return code
