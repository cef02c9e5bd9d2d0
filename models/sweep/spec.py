"""The sweep specification: how a :class:`~models.sweep.common.SweepSpec` is read and
validated (from a TOML file, a dict or the command line). Messages name the key and value."""
from __future__ import annotations

from pathlib import Path

from aicredit.models.options import did_you_mean, toml_value
from aicredit.models.scenario import (
    ScenarioError,
    load_scenario,
    read_toml,
    unknown_key_hint,
    validate_params,
)
from aicredit.models.sweep.common import (
    CLI_SOURCE,
    DEFAULT_MODEL,
    DEFAULT_OUTPUTS,
    FIELDS,
    SAMPLE_METHODS,
    SweepError,
    SweepSpec,
    key_label,
    param_kind,
    resolve_model,
    spec_error,
    where,
)
from aicredit.models.sweep.outputs import validate_outputs

TOP_KEYS = {"name", "description", "scenario", "steps", "replications", "seeds", "outputs",
            "parameters", "sample", "fixed", "model"}
SAMPLE_KEYS = {"method", "n", "seed", "ranges", "num_levels"}


def _missing(source: str, key: str, what: str = "") -> SweepError:
    return SweepError(f"{where(source)}: missing {key_label(source, key)}{what}")


def load_spec(path: str | Path, kind: str = "sweep") -> SweepSpec:
    """Read and validate a sweep TOML file (``kind="sensitivity"`` for sensitivity specs)."""
    path = Path(path)
    return spec_from_dict(_read_toml(path), source=str(path), base_dir=path.parent, kind=kind)


def _read_toml(path: Path) -> dict:
    return read_toml(path, "sweep file", SweepError)


def _cli_list(text: str) -> list:
    return [toml_value(t.strip()) for t in text.split(",")]


def _cli_assignment(option: str, text: str) -> tuple[str, str]:
    name, eq, values = text.partition("=")
    if not eq or not name.strip() or not values.strip():
        raise SweepError(f"{option} {text!r}: must look like NAME=VALUE[,VALUE...]")
    return name.strip(), values.strip()


def spec_from_cli(args, kind: str = "sweep") -> SweepSpec:
    """The sweep the command line describes: its file (optional) with the options on top.

    ``--scenario`` (comma-separated: several), ``--steps``, ``--replications``/``--seeds``,
    ``--outputs``, ``--name`` and ``--model`` replace the file's keys; ``--param NAME=V1,V2``
    (grid), ``--fixed NAME=V`` and ``--range NAME=LOW,HIGH`` set one entry of their table;
    ``--sample``, ``--n`` and ``--sample-seed`` set the sample's keys. Messages name the
    option when there is no file.
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
    for key in ("name", "model"):
        if key in given:
            raw[key] = given[key]
    if "scenario" in given:                  # .toml paths relative to where we are
        names = [n.strip() for n in given["scenario"].split(",")]
        names = [str(Path(n).resolve()) if n.endswith(".toml") else n for n in names]
        raw["scenario"] = names if len(names) > 1 else names[0]
    if "steps" in given:
        raw["steps"] = toml_value(given["steps"])
    if "replications" in given:
        raw["replications"] = toml_value(given["replications"])
        raw.pop("seeds", None)
    if "seeds" in given:
        raw["seeds"] = _cli_list(given["seeds"])
        raw.pop("replications", None)
    if "outputs" in given:
        raw["outputs"] = [o.strip() for o in given["outputs"].split(",")]
    for option, table, parse in (("--param", "parameters", _cli_list),
                                 ("--fixed", "fixed", toml_value)):
        for text in given.get(option[2:], []):
            name, values = _cli_assignment(option, text)
            raw[table] = {**(raw.get(table) or {}), name: parse(values)}
    if any(k in given for k in ("sample", "n", "sample_seed", "range")):
        sample = dict(raw.get("sample") or {})
        for key, opt in (("method", "sample"), ("n", "n"), ("seed", "sample_seed")):
            if opt in given:
                sample[key] = given[opt] if key == "method" else toml_value(given[opt])
        for text in given.get("range", []):
            name, values = _cli_assignment("--range", text)
            sample["ranges"] = {**(sample.get("ranges") or {}), name: _cli_list(values)}
        raw["sample"] = sample
    return spec_from_dict(raw, source=source, base_dir=base_dir, kind=kind)


def _check_scenarios(source, value, base_dir, kind) -> list[str]:
    """``scenario``: one name or .toml path, or (sweeps only) a list of them to run every
    point in; .toml paths are resolved relative to the sweep file."""
    many = isinstance(value, list)
    names = value if many else [value]
    if not names or not all(isinstance(v, str) and v and "\x00" not in v for v in names):
        raise spec_error(source, "scenario", value, "must be a scenario name or a .toml path, or a "
                   "non-empty list of them")
    if many and kind == "sensitivity" and len(names) > 1:
        raise spec_error(source, "scenario", value, "a sensitivity analysis takes one scenario")
    if len(set(names)) != len(names):
        raise spec_error(source, "scenario", value, "lists a scenario twice")
    out = []
    for name in names:
        if name.endswith(".toml") and base_dir is not None and not Path(name).is_absolute():
            name = str((Path(base_dir) / name).resolve())
        try:
            load_scenario(name)
        except ScenarioError as exc:
            raise spec_error(source, "scenario", value, str(exc)) from None
        out.append(name)
    return out


def _scenario_steps(source, scenarios: list[str]) -> int:
    """The months of a sweep that gives none: its scenarios', when they agree."""
    steps = {load_scenario(s).steps for s in scenarios}
    if len(steps) > 1:
        raise SweepError(f"{where(source)}: the scenarios run for different months "
                         f"({', '.join(map(str, sorted(steps)))}); give {key_label(source, 'steps')}")
    return steps.pop()


def _check_int(source, key, value, low=None):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise spec_error(source, key, value, "must be a whole number")
    if low is not None and value < low:
        raise spec_error(source, key, value, f"must be >= {low}")
    return value


def _check_param_name(source, key, name, value, *, sampled=False):
    if name not in FIELDS:
        raise spec_error(source, key, value, f"unknown scenario parameter '{name}'"
                         f"{unknown_key_hint(name)}")
    if name == "steps":
        raise spec_error(source, key, value, "sweep 'steps' at the top level of the sweep file, "
                   "not as a parameter")
    kind = param_kind(name)
    if kind == "tuple" and key.split(".")[0] != "fixed":
        raise spec_error(source, key, value, "list-valued parameters can only be set in [fixed]")
    if sampled and kind == "bool":
        raise spec_error(source, key, value, "true/false parameters cannot be sampled; "
                   "use a [parameters] grid")


def spec_from_dict(raw: dict, *, source: str = "<dict>", base_dir: str | Path | None = None,
                   kind: str = "sweep") -> SweepSpec:
    """Validate a sweep described as a dict (the TOML file's content) and return the spec.

    Raises :class:`SweepError` naming the first bad key and its value.
    """
    raw = dict(raw)
    _check_top_keys(source, raw, kind)
    scenarios = _check_scenarios(source, raw["scenario"], base_dir, kind)
    steps = _check_int(source, "steps", raw["steps"] if "steps" in raw
                       else _scenario_steps(source, scenarios), 1)
    f = FIELDS["steps"].metadata
    if steps > f["high"]:
        raise spec_error(source, "steps", steps, f"must be <= {f['high']}")
    seeds = _check_seeds(source, raw)
    fixed = _check_fixed(source, raw)
    grid = sample = points = None
    has_grid, has_sample = "parameters" in raw, "sample" in raw
    if kind == "sensitivity" and not has_sample:
        raise SweepError(f"{where(source)}: a sensitivity analysis needs a [sample] table "
                         "with n and [sample.ranges] (options --n and --range)")
    if has_grid and has_sample:
        raise SweepError(f"{where(source)}: give either a [parameters] table (a grid; option "
                         f"--param) or a [sample] table (options --sample, --n, --range), "
                         "not both")
    if has_grid:
        grid = _check_grid(source, raw["parameters"], fixed)
    elif has_sample:
        sample = _check_sample(source, raw["sample"], fixed, kind)
    else:
        points = [{}]             # the scenarios as they are: a Monte Carlo over the seeds
    outputs = raw.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise spec_error(source, "outputs", outputs, "must be a non-empty list of output names")
    if len(set(outputs)) != len(outputs):
        raise spec_error(source, "outputs", outputs, "lists an output twice")
    model = resolve_model(source, raw.get("model", DEFAULT_MODEL))
    name = str(raw.get("name", Path(source).stem if source not in ("<dict>", CLI_SOURCE)
                       else "sweep"))
    spec = SweepSpec(scenarios=scenarios, steps=steps, seeds=seeds, outputs=list(outputs),
                     grid=grid, sample=sample, points=points, fixed=dict(fixed), model=model, name=name,
                     source=source)
    validate_outputs(spec, kind)
    return spec


def _check_top_keys(source, raw: dict, kind: str) -> None:
    """Only known top-level keys; the required ones present; name and description strings."""
    for key in raw:
        if key not in TOP_KEYS:       # its value is not shown: this may be no sweep file at all
            raise SweepError(f"{where(source)}: unknown {key_label(source, key)}"
                             f"{did_you_mean(key, TOP_KEYS)} (known: {', '.join(sorted(TOP_KEYS))})")
    for key in ("scenario",) + (("outputs",) if kind == "sensitivity" else ()):
        if key not in raw:
            raise _missing(source, key)
    for key in ("name", "description"):
        if key in raw and not (isinstance(raw[key], str) and raw[key]):
            raise spec_error(source, key, raw[key], "must be a non-empty string")


def _check_seeds(source, raw: dict) -> list[int]:
    """The seeds: an explicit list of distinct whole numbers, or 0..replications-1."""
    if "seeds" in raw and "replications" in raw:
        raise SweepError(f"{where(source)}: give {key_label(source, 'replications')} or "
                         f"{key_label(source, 'seeds')}, not both")
    if "seeds" not in raw:
        return list(range(_check_int(source, "replications", raw.get("replications", 1), 1)))
    seeds = raw["seeds"]
    if not isinstance(seeds, list) or not seeds:
        raise spec_error(source, "seeds", seeds, "must be a non-empty list of whole numbers")
    seeds = [_check_int(source, "seeds", s, 0) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise spec_error(source, "seeds", raw["seeds"], "lists a seed twice")
    return seeds


def _check_fixed(source, raw: dict) -> dict:
    """The [fixed] table: overrides held constant in every run, each checked."""
    fixed = raw.get("fixed", {})
    if not isinstance(fixed, dict):
        raise spec_error(source, "fixed", fixed, "must be a table of parameter = value")
    for name, value in fixed.items():
        _check_param_name(source, f"fixed.{name}", name, value)
        _check_value(source, f"fixed.{name}", name, value)
    return fixed


def _check_grid(source, table, fixed: dict) -> dict:
    """The [parameters] table of a full grid: ``{name: [distinct checked values]}``."""
    if not isinstance(table, dict) or not table:
        raise spec_error(source, "parameters", table, "must be a table of parameter = [values]")
    grid = {}
    for name, values in table.items():
        key = f"parameters.{name}"
        _check_param_name(source, key, name, values)
        if name in fixed:
            raise spec_error(source, key, values, "is also in [fixed]")
        if not isinstance(values, list) or not values:
            raise spec_error(source, key, values, "must be a non-empty list of values")
        grid[name] = [_check_value(source, key, name, v) for v in values]
        if len(set(map(repr, grid[name]))) != len(values):
            raise spec_error(source, key, values, "lists a value twice")
    return grid


def _check_sample(source, table, fixed: dict, kind: str) -> dict:
    """The [sample] table: method, n (a power of 2 for Sobol'), seed, Morris levels, ranges."""
    methods = SAMPLE_METHODS if kind == "sweep" else ("sobol", "morris")
    if not isinstance(table, dict):
        raise spec_error(source, "sample", table, "must be a table with method, n and ranges")
    for key in table:
        if key not in SAMPLE_KEYS:
            raise SweepError(f"{where(source)}: unknown {key_label(source, f'sample.{key}')} "
                             f"(known: {', '.join(sorted(SAMPLE_KEYS))})")
    method = table.get("method", methods[0] if kind == "sensitivity" else None)
    if method is None:
        raise _missing(source, "sample.method", f" ({' or '.join(methods)})")
    if method not in methods:
        raise spec_error(source, "sample.method", method, f"must be one of {', '.join(methods)}")
    if "n" not in table:
        raise _missing(source, "sample.n")
    n = _check_int(source, "sample.n", table["n"], 1)
    if method == "sobol" and n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise spec_error(source, "sample.n", n, f"Sobol' samples need a power of 2 (e.g. {lo} or "
                   f"{lo * 2})")
    seed = _check_int(source, "sample.seed", table.get("seed", 0), 0)
    num_levels = _check_int(source, "sample.num_levels", table.get("num_levels", 4), 2)
    sample = dict(method=method, n=n, seed=seed, ranges=_check_ranges(source, table, fixed, kind))
    if method == "morris":
        sample["num_levels"] = num_levels
    return sample


def _check_ranges(source, table: dict, fixed: dict, kind: str) -> dict:
    """[sample.ranges]: ``{name: [low, high]}`` with low < high, each bound a valid value."""
    ranges = table.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise SweepError(f"{where(source)}: missing table [sample.ranges] of "
                         "parameter = [low, high] (option --range NAME=LOW,HIGH)")
    clean = {}
    for name, rng in ranges.items():
        key = f"sample.ranges.{name}"
        _check_param_name(source, key, name, rng, sampled=True)
        if name in fixed:
            raise spec_error(source, key, rng, "is also in [fixed]")
        if (not isinstance(rng, list) or len(rng) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in rng)):
            raise spec_error(source, key, rng, "must be [low, high]")
        lo, hi = (_check_value(source, key, name, v) for v in rng)
        if not lo < hi:
            raise spec_error(source, key, rng, "low must be below high")
        clean[name] = [float(lo), float(hi)]
    if kind == "sensitivity" and len(clean) < 2:
        raise spec_error(source, "sample.ranges", ranges, "a sensitivity analysis needs at least "
                   "2 parameters")
    return clean


def _check_value(source, key, name, value):
    """One value of a parameter, checked against its type and range (not yet combined)."""
    try:
        return validate_one(name, value)
    except ScenarioError as exc:
        raise spec_error(source, key, value, str(exc)) from None


def validate_one(name, value):
    """One parameter's value checked against its type and range (tuples as lists)."""
    value = validate_params({name: value})[name]
    return list(value) if isinstance(value, tuple) else value
