"""Headless parameter sweeps: many runs of the model, in parallel, streamed to Parquet.

A sweep is described by a TOML file (or a dict, :func:`spec_from_dict`)::

    scenario = "baseline"          # shipped name or path to a scenario .toml (or a list)
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
AGG one of ``end, max, min, mean, sum, first_step, min_after_shock``: ``first_step`` is the
first month the reporter is above 0, NaN if never; ``min_after_shock`` the minimum from the
month of the demand shock) and whole series (``series:ai_index``, a list column).

Without ``[parameters]`` and ``[sample]`` a sweep is a Monte Carlo of its scenario over the
seeds; without ``steps`` it runs the scenario's months, without ``outputs`` the headline
outputs (:data:`~models.sweep.common.DEFAULT_OUTPUTS`). ``model`` names a model registered in
the ``aicredit.models`` entry-point group (default: the project's own, ``aicredit``); nothing
else is imported.

Results stream into ``--out DIR`` as Parquet part files (``pandas.read_parquet(DIR)``): one row
per run with ``scenario``, ``steps``, a column per swept parameter, ``seed``, a column per
output, ``model_version``, ``run_id`` (a hash of the run's full parameters, seed and model
version), ``error`` (empty when the run succeeded), ``traceback`` and ``duration_s`` (the only
column that differs between identical runs). Running the same sweep again skips the runs
already in ``DIR``; running it with other settings (scenario, steps, fixed values, model,
model version) on the same ``DIR`` is refused. More than 50,000 runs, or an economy larger
than the memory available, are refused unless ``allow_large``.

Executors (one code path, identical results): one process (``workers=1``), local processes
(default: all cores; spawn context) or an existing Dask cluster (``scheduler="tcp://HOST:PORT"``
or a ``distributed.Client``). See ``docs/sweeps.md``.

Modules, bottom first (each imports only those above it): :mod:`.common` (constants, errors,
:class:`SweepSpec`, shared helpers), :mod:`.outputs`, :mod:`.spec` (the sweep file and its
validation), :mod:`.run_cache` (finished runs shared between processes when
``$AICREDIT_RUN_CACHE`` is set: the test suite's), :mod:`.runs` (identities, :func:`run_model`
and :func:`run_one`), :mod:`.dataset`
(the Parquet directory), :mod:`.execute` (executors and the sweep loop), :mod:`.cli`
(``aicredit sweep``). Other modules of the project import the public names of this package.
"""
from __future__ import annotations

from aicredit.models.sweep.cli import (
    add_arguments,
    add_common_arguments,
    add_description_arguments,
    execute_cli,
    run,
)
from aicredit.models.sweep.common import (
    AGGREGATORS,
    CLI_SOURCE,
    DEFAULT_MODEL,
    EXIT_ABORTED,
    EXIT_INTERRUPTED,
    SweepAborted,
    SweepError,
    SweepInterrupted,
    SweepSpec,
    base_params,
    jsonable,
    key_label,
    param_kind,
    where,
)
from aicredit.models.sweep.dataset import Dataset, load_sweep
from aicredit.models.sweep.execute import run_sweep, worker_init
from aicredit.models.sweep.outputs import extract_outputs, parse_output, validate_outputs
from aicredit.models.sweep.runs import (
    MAX_RUNS,
    build_runs,
    check_run_count,
    count_runs,
    run_identity,
    run_model,
    run_one,
    validate_all,
)
from aicredit.models.sweep.spec import load_spec, spec_from_cli, spec_from_dict, validate_one

__all__ = ["SweepError", "SweepSpec", "load_spec", "spec_from_dict", "spec_from_cli", "build_runs",
           "run_one", "run_model", "run_sweep", "load_sweep", "add_arguments", "run",
           "DEFAULT_MODEL", "AGGREGATORS"]
