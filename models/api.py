"""Run the model from Python in one call: :func:`run` gives a tidy table of every month of every
seed, with each run's headline numbers beside it.

``aicredit.run`` is this module's :func:`run`; the rest of the public surface is listed in
``aicredit.__all__`` and documented in ``docs/api.md``.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import numbers
import os
from collections.abc import Iterable

import pandas as pd

from aicredit.models.model import AIEconomyModel
from aicredit.models.report import summary, with_date

__all__ = ["run", "flat_summary"]

#: The columns of :func:`run`'s table that say which row it is; every reporter follows them.
ID_COLUMNS = ("scenario", "seed", "step", "date")


def flat_summary(model) -> dict:
    """One run's :func:`aicredit.summary` as a flat dict of scalars.

    Parameters
    ----------
    model : AIEconomyModel
        A model that has run (any number of months).

    Returns
    -------
    dict
        Every entry of ``summary(model)``; its tables (``defaults_by_sector``,
        ``default_share_by_sector``, ``losses_by_holder_usd``) flattened with dotted keys
        (``defaults_by_sector.neocloud``), the names a sweep's ``outputs`` use.
    """
    flat = {}
    for key, value in summary(model).items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _check_seeds(seeds) -> list[int]:
    """``seeds`` as a list of distinct non-negative ints, or a one-line ValueError naming it."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = [seeds]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise ValueError(f"seeds must be an int or a list of ints, got {seeds!r}")
    seeds = list(seeds)
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0]
    if bad:
        raise ValueError(f"seeds must be non-negative ints, got {bad[0]!r}")
    if not seeds:
        raise ValueError("seeds must list at least one seed, got none")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds list a seed twice: {seeds}")
    return [int(s) for s in seeds]


def _check_steps(steps) -> int | None:
    """``steps`` as a positive int (or None: the scenario's), or a one-line ValueError naming it."""
    if steps is None:
        return None
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a positive int (months) or None, got {steps!r}")
    return int(steps)


def _run_seed(scenario, seed: int, steps: int | None, overrides: dict) -> tuple[pd.DataFrame, dict]:
    """One seed to its last month: its tidy rows and its flat summary (a process-pool task)."""
    params = dict(overrides)
    if steps is not None:
        params["steps"] = steps
    model = AIEconomyModel(scenario, seed=seed, collect_agents=False, **params)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    ids = pd.DataFrame({"scenario": model.scenario_name, "seed": seed,
                        "step": frame["step"].astype(int)})
    return with_date(pd.concat([ids, frame.drop(columns="step")], axis=1)), flat_summary(model)


def run(scenario="baseline", seeds=(0,), steps: int | None = None, *, workers: int = 1,
        **overrides) -> pd.DataFrame:
    """Run a scenario for one or more seeds and return every month as a tidy table.

    Parameters
    ----------
    scenario : str or path, default ``"baseline"``
        A shipped scenario name (``aicredit.scenario_names()``) or a scenario TOML file.
    seeds : int or iterable of int, default ``(0,)``
        The seeds to run, distinct and non-negative; the same seed gives the same rows, bit
        for bit (and, in two runs that differ only in a lever, the same demand shocks:
        common random numbers).
    steps : int, optional
        Months to run; None runs the scenario's own (72 for the shipped ones).
    workers : int, default 1
        Processes to run the seeds in; 1 runs them here, one after the other. More use a
        spawn-context process pool (the results are the same).
    **overrides
        Scenario parameters replacing the file's values (``docs/parameters.md``), as for
        :class:`AIEconomyModel`.

    Returns
    -------
    pandas.DataFrame
        One row per seed and month, seeds in the order given, months from step 0 (the
        state before the first month) to ``steps``: columns ``scenario`` (its name),
        ``seed``, ``step``, ``date`` (``YYYY-MM``; step 0 is January 2025), then every
        model reporter (the columns of ``model.datacollector.get_model_vars_dataframe()``).
        ``df.attrs["summary"]`` holds the headline numbers of each run: a list with one
        dict per seed, in the same order, ``aicredit.models.api.flat_summary`` of the run (``scenario``,
        ``seed``, ``steps``, ``model_version``, the headline numbers, the tables as dotted
        keys such as ``defaults_by_sector.neocloud``); ``pd.DataFrame(df.attrs["summary"])``
        makes it a table. (A list rather than a DataFrame, so that ``pd.concat`` of two runs
        works: pandas compares the frames' ``attrs``, keeps them when equal and drops them
        otherwise.)

    Raises
    ------
    ValueError
        A bad ``seeds``, ``steps`` or ``workers`` (or ``seed=``, ``collect_agents=`` given as
        overrides), in one line naming it; a bad scenario or override raises
        :class:`aicredit.ScenarioError` (a ValueError) naming the key.

    Examples
    --------
    >>> import aicredit
    >>> df = aicredit.run("ai_winter", seeds=range(2), steps=24, gpu_loan_max_ltv=0.8)
    >>> df.groupby("seed")["defaults_total"].last()                    # doctest: +SKIP
    """
    seeds = _check_seeds(seeds)
    steps = _check_steps(steps)
    if "seed" in overrides:
        raise ValueError(f"run takes seeds=, not seed= (got seed={overrides['seed']!r})")
    if "collect_agents" in overrides:
        raise ValueError("run collects model-level rows only (collect_agents is not an option): "
                         "use AIEconomyModel(..., collect_agents=True) for per-agent data")
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if workers == 1 or len(seeds) == 1:
        results = [_run_seed(scenario, s, steps, overrides) for s in seeds]
    else:
        results = _run_in_processes(scenario, seeds, steps, overrides, workers)
    df = pd.concat([frame for frame, _ in results], ignore_index=True)
    df.attrs["summary"] = [flat for _, flat in results]
    return df


def _run_in_processes(scenario, seeds: list[int], steps, overrides: dict, workers: int) -> list:
    """:func:`_run_seed` for every seed in a spawn-context pool (``import mesa`` makes spawn
    the default); results in the order of ``seeds``."""
    from aicredit.models.sweep import worker_init
    with cf.ProcessPoolExecutor(max_workers=min(workers, len(seeds)),
                                mp_context=multiprocessing.get_context("spawn"),
                                initializer=worker_init, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_run_seed, scenario, s, steps, overrides) for s in seeds]
        return [f.result() for f in futures]
