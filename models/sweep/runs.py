"""Runs: the points of a sweep, their identities (a hash of model, parameters, seed and model
version) and :func:`run_one`, the pure function every executor calls."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import time
import traceback as _traceback
from pathlib import Path

from aicredit.models import size as _size
from aicredit.models.scenario import Scenario, ScenarioError, validate_params
from aicredit.models.size import EconomyTooLarge, check_economy_size
from aicredit.models.sweep import run_cache
from aicredit.models.sweep.common import (
    SweepError,
    SweepSpec,
    base_params,
    import_model,
    jsonable,
    param_kind,
    where,
)
from aicredit.models.sweep.outputs import extract_outputs

__all__ = ["build_runs", "run_identity", "validate_all", "run_model", "run_one", "failed_row",
           "scenario_label", "count_runs", "check_run_count", "MAX_RUNS"]


def _points(spec: SweepSpec) -> list[dict]:
    """The parameter points of the sweep, in order (before replication over seeds)."""
    if spec.grid is not None:
        names = list(spec.grid)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*spec.grid.values())]
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
        for name, x in zip(names, row, strict=True):
            lo, hi = s["ranges"][name]
            value = lo + float(x) * (hi - lo)
            point[name] = int(round(value)) if param_kind(name) == "int" else value
        pts.append(point)
    return pts


def run_identity(model: str, params: dict, seed: int, scenario: str | None = None) -> str:
    """The run's id: sha256 of its model class, full parameters, seed and model version (and
    its scenario's name in a sweep over several scenarios)."""
    from aicredit.models.report import MODEL_VERSION
    ident = {"model": model, "params": params, "seed": int(seed), "model_version": MODEL_VERSION}
    if scenario is not None:
        ident["scenario"] = scenario
    blob = json.dumps(ident, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


#: Most runs a sweep expands without ``allow_large`` (``--allow-large``). Building a run takes
#: ~2.6 ms and ~9 kB (measured: a grid of 10,000 points in 26 s and 84 MB), so 50,000 runs
#: take ~2 minutes and ~0.4 GB before the first one starts, and ~8 core-hours to run at ~100
#: baseline runs a minute per core: more is likelier a slip than a plan.
MAX_RUNS = 50_000


def count_runs(spec: SweepSpec) -> tuple[int, int]:
    """``(runs, points)`` of the sweep, counted without building its grid or sample: points
    (the grid's sizes multiplied, a sample's ``n``, or the explicit points) x seeds x
    scenarios."""
    if spec.grid is not None:
        points = math.prod(len(v) for v in spec.grid.values())
    elif spec.points is not None:
        points = len(spec.points)
    else:
        points = spec.sample["n"]
    return points * len(spec.seeds) * len(spec.scenarios), points


def check_run_count(spec: SweepSpec, allow_large: bool = False, runs: int | None = None,
                    points: int | None = None) -> int:
    """Refuse a sweep of more than :data:`MAX_RUNS` runs (one line with the count and the
    override) before anything is expanded; returns the count. ``runs`` and ``points`` replace
    :func:`count_runs` (a sensitivity design counts its own)."""
    if runs is None:
        runs, points = count_runs(spec)
    if runs > MAX_RUNS and not allow_large:
        scen = f" x {len(spec.scenarios)} scenarios" if spec.multi_scenario else ""
        raise SweepError(f"{where(spec.source)}: {runs:,} runs ({points:,} points x "
                         f"{len(spec.seeds)} seeds{scen}) is more than {MAX_RUNS:,}; sweep fewer "
                         "values, or pass --allow-large (Python: allow_large=True) to run them all")
    return runs


def build_runs(spec: SweepSpec, allow_large: bool = False) -> list[dict]:
    """Every run of the sweep as a picklable dict for :func:`run_one`, in sweep order.

    Each point is validated as a whole (types, ranges and cross-parameter rules), and its
    economy must fit in the memory available (:mod:`models.size`). More than
    :data:`MAX_RUNS` runs, or an economy too large, are refused before anything is built
    unless ``allow_large``.
    """
    check_run_count(spec, allow_large)
    runs = []
    seen = set()
    points = _points(spec)
    room = _size.available_memory_bytes()          # read once for every point
    for scenario in spec.scenarios:
        base = base_params(spec, scenario)
        tag = scenario_label(scenario) if spec.multi_scenario else None
        for point in points:
            merged = {**base, **point}
            try:
                scn = Scenario(**validate_all(merged))
                check_economy_size(scn, collect_agents=False, allow_large=allow_large,
                                   available=room)
            except ScenarioError as exc:
                what = "is too large" if isinstance(exc, EconomyTooLarge) else "is invalid"
                raise SweepError(f"{where(spec.source)}: the point {point}"
                                 f"{f' in {tag}' if tag else ''} {what}: {exc}") from None
            full = jsonable(dataclasses.asdict(scn))
            columns = {"scenario": scenario_label(scenario), "steps": spec.steps, **point}
            for seed in spec.seeds:
                # with several scenarios the name is part of the identity: two scenarios
                # with equal parameters are still two rows
                rid = run_identity(spec.model, full, seed, scenario=tag)
                if rid in seen:                 # e.g. two sampled floats rounding to one int
                    continue
                seen.add(rid)
                runs.append({"run_id": rid, "model": spec.model, "params": full,
                             "seed": int(seed), "columns": columns,
                             "outputs": list(spec.outputs), "allow_large": allow_large})
    return runs


def scenario_label(scenario: str) -> str:
    """The ``scenario`` column's value: a shipped name, or a .toml file's stem."""
    return Path(scenario).stem if scenario.endswith(".toml") else scenario


def validate_all(params: dict) -> dict:
    """A whole point's parameters checked together (types, ranges, cross-parameter rules)."""
    return validate_params(params)


def run_model(run: dict):
    """The run's model (its class, full parameters and seed), stepped to its last month.

    The one place a run is simulated: :func:`run_one` (every executor of a sweep) reads its
    outputs from this model.
    """
    cls = import_model(run["model"])
    large = {"allow_large": True} if run.get("allow_large") else {}   # checked by build_runs
    model = cls("baseline", seed=run["seed"], collect_agents=False, **large, **run["params"])
    for _ in range(int(run["params"]["steps"])):
        model.step()
    return model


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
        outs = _outputs(run)
        error, tb = "", ""
    except Exception as exc:                                  # noqa: BLE001 - recorded, not lost
        outs = {o: (None if o.startswith("series:") else math.nan) for o in run["outputs"]}
        error = f"{type(exc).__name__}: {exc}"
        tb = "".join(_traceback.format_exception(exc, limit=-8))[-4000:]
    row.update(outs)
    row.update(model_version=_model_version(), run_id=run["run_id"], error=error, traceback=tb,
               duration_s=time.perf_counter() - t0)
    return row


def _outputs(run: dict) -> dict:
    """The run's outputs: simulated (:func:`run_model`), or read back from the run cache when
    ``$AICREDIT_RUN_CACHE`` is set and holds the run (:mod:`.run_cache`; stored there otherwise)."""
    folder = run_cache.directory(run)
    if folder is None:
        return extract_outputs(run_model(run), run["outputs"])
    record = run_cache.load(folder, run)
    if record is None:
        record = run_cache.store(folder, run, run_model(run))
    return run_cache.outputs(record, run["outputs"])


def _model_version() -> str:
    """The model version of the code running the run (a Dask worker's installed one)."""
    from aicredit.models.report import MODEL_VERSION
    return MODEL_VERSION


def failed_row(run: dict, error: str) -> dict:
    """The result row of a run that never returned (its worker died): NaN outputs, ``error``."""
    row = dict(run["columns"])
    row["seed"] = run["seed"]
    row.update({o: (None if o.startswith("series:") else math.nan) for o in run["outputs"]})
    row.update(model_version=_model_version(), run_id=run["run_id"], error=error, traceback="",
               duration_s=math.nan)
    return row
