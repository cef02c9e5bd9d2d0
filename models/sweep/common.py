"""The bottom of :mod:`models.sweep`: constants, errors, :class:`SweepSpec` and the helpers
every other module of the package shares (how messages name a key, parameter kinds, the model
class, a sweep's base parameters). It imports no other module of the package.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from aicredit.models.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["DEFAULT_MODEL", "AGGREGATORS", "HEADLINE_OUTPUTS", "HEADLINE_SERIES", "DEFAULT_OUTPUTS",
           "SAMPLE_METHODS", "MANIFEST", "LOCK", "MAX_ATTEMPTS",
           "EXIT_INTERRUPTED", "EXIT_ABORTED", "CLI_SOURCE", "RESULT_COLUMNS", "SweepError",
           "SweepInterrupted", "SweepAborted", "SweepSpec", "param_kind", "where", "key_label",
           "spec_error", "import_model", "base_params", "jsonable", "MODEL_GROUP", "BUILTIN_MODELS",
           "registered_models", "resolve_model"]

DEFAULT_MODEL = "aicredit.models.model:AIEconomyModel"
#: The entry-point group in which installed packages register model classes for sweeps.
MODEL_GROUP = "aicredit.models"
#: The project's own model under its registered name (``setup.py`` registers it too).
BUILTIN_MODELS = {"aicredit": DEFAULT_MODEL}
AGGREGATORS = ("end", "max", "min", "mean", "sum", "first_step", "min_after_shock")
#: The headline numbers of a run (``summary.json`` keys): what a sweep records when it names
#: no outputs, and what ``aicredit compare`` tabulates with confidence intervals.
HEADLINE_OUTPUTS = ("defaults_total", "first_default_step", "losses_total_usd",
                    "gpu_price_max_drawdown", "ai_index_max_drawdown", "savers_401k_loss_fraction",
                    "peak_margin_calls", "insurer_solvency_min")
#: Monthly series (reporters) a sweep records when it names no outputs: what ``aicredit
#: compare`` draws, as fan charts for sweeps.
HEADLINE_SERIES = ("ai_index", "gpu_price_index", "defaults_total", "losses_total_usd",
                   "savers_401k_return_index")
DEFAULT_OUTPUTS = HEADLINE_OUTPUTS + tuple(f"series:{s}" for s in HEADLINE_SERIES)
SAMPLE_METHODS = ("lhs", "sobol")
MANIFEST = "_sweep.json"
LOCK = "_sweep.lock"
MAX_ATTEMPTS = 2             # a run that kills its worker process this often is recorded as failed
EXIT_INTERRUPTED = 130
EXIT_ABORTED = 1
#: Columns every result row has besides the swept parameters and the outputs: what the run
#: was (its scenario, months and seed, the model version that ran it) and how it went.
RESULT_COLUMNS = ("scenario", "steps", "seed", "model_version", "run_id", "error", "traceback",
                  "duration_s")


class SweepError(ScenarioError):
    """A bad sweep file or sweep call; the message names the key and the value (exit code 2)."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during a sweep: finished runs were written."""


class SweepAborted(RuntimeError):
    """The executor went away (e.g. the Dask scheduler died): finished runs were written."""


#: The scenario's parameters by name (their dataclass fields: type and range metadata).
FIELDS = {f.name: f for f in dataclasses.fields(Scenario)}


def param_kind(name: str) -> str:
    """A scenario parameter's kind: ``"int"``, ``"float"``, ``"bool"`` or ``"tuple"``."""
    return FIELDS[name].type            # string annotations


@dataclasses.dataclass
class SweepSpec:
    """A validated sweep: what to run and what to record.

    Exactly one of ``grid`` ({param: [values]}), ``sample`` ({method, n, seed, ranges}) and
    ``points`` (an explicit list of {param: value}, used by :mod:`models.sensitivity`) is set.
    ``scenarios`` lists every scenario the points run in; with more than one, the results get
    a ``scenario`` column.
    """

    scenarios: list[str]
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
    def scenario(self) -> str:
        """The first (often the only) scenario: the one outputs are checked against."""
        return self.scenarios[0]

    @property
    def multi_scenario(self) -> bool:
        return len(self.scenarios) > 1

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
#: The command-line option that sets each key of a sweep file.
OPTIONS = {"scenario": "--scenario", "steps": "--steps", "replications": "--replications",
           "seeds": "--seeds", "outputs": "--outputs", "name": "--name", "model": "--model",
           "parameters": "--param", "fixed": "--fixed", "sample": "--sample",
           "sample.method": "--sample", "sample.n": "--n", "sample.seed": "--sample-seed",
           "sample.num_levels": "--num-levels", "sample.ranges": "--range"}


def where(source: str) -> str:
    """How a message names where a sweep came from: the command line or its file."""
    return source if source == CLI_SOURCE else f"sweep file {source}"


def key_label(source: str, key: str) -> str:
    """How a message names a key: the file's key, or the option that set it."""
    if source != CLI_SOURCE:
        return f"key '{key}'"
    for prefix in ("sample.ranges", "parameters", "fixed"):
        if key.startswith(prefix + "."):
            return f"{OPTIONS[prefix]} {key[len(prefix) + 1:]}"
    return OPTIONS.get(key, f"key '{key}'")


def spec_error(source: str, key: str, value: Any, why: str) -> SweepError:
    """The error for a bad value: where, which key (or option), the value and why."""
    return SweepError(f"{where(source)}: {key_label(source, key)} = {value!r}: {why}")


def registered_models() -> dict[str, str]:
    """Every model a sweep may run: ``{name: "package.module:Class"}``.

    The project's own model (:data:`BUILTIN_MODELS`, known without reading any package
    metadata, so an editable install made before the entry point existed still finds it) and
    the models installed packages register in the :data:`MODEL_GROUP` entry-point group, e.g.
    in a package's ``setup.py``::

        entry_points={"aicredit.models": ["mymodel = mypackage.model:MyModel"]}

    Reading the group imports nothing: entry points are read from the installed packages'
    metadata. A name registered twice keeps the project's own model.
    """
    from importlib.metadata import entry_points
    found = {ep.name: ep.value for ep in entry_points(group=MODEL_GROUP)}
    return {**found, **BUILTIN_MODELS}


def resolve_model(source: str, value) -> str:
    """The ``"package.module:Class"`` of the sweep's ``model`` key: a registered model's name
    (or the target a registered name points to, as older sweep files wrote it). Anything
    else is refused before anything is imported: a sweep file cannot run code."""
    models = registered_models()
    if isinstance(value, str):
        if value in models:
            return models[value]
        if value in models.values():
            return value
    listed = ", ".join(f"{n} ({t})" for n, t in sorted(models.items()))
    raise spec_error(source, "model", value, f"not a registered model (registered: {listed}; a "
                     f"package registers its model class in the '{MODEL_GROUP}' entry-point "
                     "group, see docs/sweeps.md); nothing was imported")


_LOADED: dict[str, type] = {}


def import_model(target: str):
    """The class of a registered model (``"package.module:Class"`` as :func:`resolve_model`
    returns it); imports nothing for a target no installed package registered."""
    if target in _LOADED:
        return _LOADED[target]
    if target not in registered_models().values():
        raise SweepError(f"model {target!r} is not a registered model; nothing was imported "
                         f"(see the '{MODEL_GROUP}' entry-point group in docs/sweeps.md)")
    module, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise SweepError(f"model {target!r} is registered but cannot be imported ({exc})") from None
    _LOADED[target] = obj
    return obj


def base_params(spec: SweepSpec, scenario: str | None = None) -> dict:
    """A scenario's full parameters (default: the sweep's first) with ``steps`` and
    ``[fixed]`` applied: what every point of the sweep starts from."""
    base = load_scenario(scenario or spec.scenario, steps=spec.steps, **spec.fixed)
    return jsonable(dataclasses.asdict(base))


def jsonable(params: dict) -> dict:
    """Parameters with tuples as lists (as JSON and TOML hold them)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
