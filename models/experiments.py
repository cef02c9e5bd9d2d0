"""Monte Carlo experiments over scenarios and seeds, and the statistics and figures the
notebooks quote: the notebooks' toolkit (``from aicredit.models import experiments``).

The experiments run through the sweep machinery (:mod:`aicredit.models.sweep`), the project's
one experiment runner: :func:`simulate` is one :func:`~aicredit.models.sweep.run_one`,
:func:`monte_carlo` one :func:`~aicredit.run_sweep` per arm. Worker processes use the spawn
context, because ``import mesa`` switches multiprocessing to *spawn* (a worker function
defined in a notebook cell cannot be pickled into a spawned process and the pool hangs;
``docs/sweeps.md``, "With Mesa's own batch_run").

- :func:`monte_carlo` runs arms (a scenario plus overrides) over seeds in parallel and returns
  a :class:`MonteCarlo` with one summary row per run, per-month series per arm and every
  default event.
- :func:`neocloud_cascade`, :func:`wilson`, :func:`mean_ci`, :func:`paired_diff` and
  :func:`table_by_arm` are the statistics the notebooks quote; :func:`fan_chart` and
  :func:`months` draw the figures, :func:`setup_matplotlib` sizes them.
- :data:`HOLDERS` and :data:`SECTORS` are the loss holders and the sectors, in report order.
"""
from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aicredit.abm.sectors import HOLDER_CATEGORIES as HOLDERS
from aicredit.abm.sectors import SECTORS
from aicredit.abm.units import month_label
from aicredit.models import stats

__all__ = ["HOLDERS", "SECTORS", "DEFAULT_SERIES", "MAX_WORKERS_ENV", "capped_workers", "months",
           "neocloud_cascade",
           "simulate", "MonteCarlo", "monte_carlo", "wilson", "mean_ci", "paired_diff",
           "table_by_arm", "fan_chart", "setup_matplotlib"]

#: Reporters :func:`monte_carlo` keeps whole (per month) unless told otherwise.
DEFAULT_SERIES = ("gpu_price_index", "defaults_total", "defaults_neocloud", "margin_calls",
                  "units_fire_sold", "losses_total_usd", "savers_401k_total_usd",
                  "savers_401k_return_index", "savers_401k_mean_usd", "ai_index",
                  "pc_reported_nav_usd", "pc_true_nav_usd", "hyperscaler_reported_leverage",
                  "hyperscaler_consolidated_leverage", "bank_capital_ratio_min",
                  "insurer_solvency_min", "credit_supply_index")

# A neocloud default cascade: at least CASCADE_MIN neoclouds default within a window of
# CASCADE_WINDOW consecutive months (first and last default at most CASCADE_WINDOW - 1 apart).
CASCADE_MIN = 2
CASCADE_WINDOW = 6


def months(n: int) -> pd.DatetimeIndex:
    """The month-start dates of steps ``0..n-1``, the x axis of a run's series.

    Parameters
    ----------
    n : int
        Number of months (a series' length).

    Returns
    -------
    pandas.DatetimeIndex
        The first day of each month; step 0 is January 2025.
    """
    return pd.period_range(month_label(0), periods=n, freq="M").to_timestamp()


def neocloud_cascade(steps, k: int = CASCADE_MIN, window: int = CASCADE_WINDOW) -> bool:
    """Whether neocloud defaults form a cascade: ``k`` of them within ``window`` months.

    Parameters
    ----------
    steps : iterable of int
        The months in which neoclouds defaulted (one entry per default).
    k : int, default 2
        Defaults that make a cascade.
    window : int, default 6
        Consecutive months they must fall within (first and last at most ``window - 1``
        months apart).

    Returns
    -------
    bool
    """
    s = np.sort(np.asarray(list(steps), dtype=int))
    if s.size < k:
        return False
    return bool(np.any(s[k - 1:] - s[:s.size - k + 1] <= window - 1))


# ---------------------------------------------------------------------------------------------
# Runs: through the sweep machinery (models.sweep)
# ---------------------------------------------------------------------------------------------

#: ``summary.json`` keys every run reports as a column of the same name.
SUMMARY_KEYS = ("defaults_total", "first_default_step", "losses_total_usd",
                "gpu_price_max_drawdown", "savers_401k_loss_fraction", "savers_401k_max_drawdown",
                "peak_margin_calls", "units_fire_sold_total", "ai_index_end",
                "ai_index_max_drawdown")
#: Columns computed from reporters: {column: sweep output}.
REPORTER_COLUMNS = {"margin_calls_total": "margin_calls:sum",
                    "gpu_price_index_min": "gpu_price_index:min",
                    "savers_401k_total_end_usd": "savers_401k_total_usd:end"}
#: Series behind the reported-versus-true gaps (``pc_nav_gap_max``, ``leverage_gap_max``).
GAP_SERIES = ("pc_reported_nav_usd", "pc_true_nav_usd", "hyperscaler_reported_leverage",
              "hyperscaler_consolidated_leverage")
#: Series every run records for the columns derived from them (default events, gaps).
DERIVED_SERIES = ("step", *(f"defaults_{s}" for s in SECTORS), *GAP_SERIES)


def _outputs(series) -> list[str]:
    """The sweep outputs of a notebook run (names as :mod:`models.sweep` reads them)."""
    names = [f"defaults_by_sector.{s}" for s in SECTORS]
    names += [f"losses_by_holder_usd.{h}" for h in HOLDERS]
    names += [*SUMMARY_KEYS, *REPORTER_COLUMNS.values()]
    names += [f"series:{c}" for c in dict.fromkeys((*DERIVED_SERIES, *series))]
    return names


def _arm_sweep(label: str, scenario: str, overrides: dict, steps, seeds, series):
    """The sweep of one arm: its scenario with the overrides fixed, every seed, one point."""
    from aicredit.models.scenario import load_scenario
    from aicredit.models.sweep import SweepSpec
    overrides = dict(overrides or {})
    given_steps = overrides.pop("steps", None)
    steps = int(steps or given_steps or load_scenario(scenario, **overrides).steps)
    return SweepSpec(scenarios=[scenario], steps=steps, seeds=[int(s) for s in seeds],
                     outputs=_outputs(series), points=[{}], fixed=overrides, name=str(label))


def _default_steps(steps, cumulative) -> list[int]:
    """The month of every default, from a cumulative count of defaults by month."""
    counts = np.diff(np.asarray(cumulative, dtype=float), prepend=0.0).astype(int)
    return [int(step) for step, k in zip(steps, counts, strict=True) for _ in range(k)]


def _result(arm: str, scenario: str, out: dict, series) -> dict:
    """A run's row, default events and series from its sweep result row ``out``."""
    row = {"arm": arm, "scenario": scenario, "seed": int(out["seed"])}
    for sector in SECTORS:
        row[f"defaults_{sector}"] = int(out[f"defaults_by_sector.{sector}"])
    for holder in HOLDERS:
        row[f"loss_{holder}_usd"] = float(out[f"losses_by_holder_usd.{holder}"])
    for key in SUMMARY_KEYS:
        row[key] = float(out[key])
    step = out["series:step"]
    by_sector = {s: _default_steps(step, out[f"series:defaults_{s}"]) for s in SECTORS}
    neo_steps = by_sector["neocloud"]
    row["neocloud_cascade"] = neocloud_cascade(neo_steps)
    row["first_neocloud_default_step"] = float(min(neo_steps)) if neo_steps else float("nan")
    for col, name in REPORTER_COLUMNS.items():
        row[col] = float(out[name])
    s = {c: pd.Series(out[f"series:{c}"], dtype=float) for c in GAP_SERIES}
    row["pc_nav_gap_max"] = float(((s["pc_reported_nav_usd"] - s["pc_true_nav_usd"])
                                   / s["pc_true_nav_usd"].where(s["pc_true_nav_usd"] > 0)).max())
    row["leverage_gap_max"] = float((s["hyperscaler_consolidated_leverage"]
                                     - s["hyperscaler_reported_leverage"]).max())
    row["duration_s"] = float(out["duration_s"])
    events = sorted(({"arm": arm, "seed": row["seed"], "step": t, "sector": sector}
                     for sector, ts in by_sector.items() for t in ts), key=lambda e: e["step"])
    return {"row": row, "events": events,
            "series": {c: np.asarray(out[f"series:{c}"], dtype=float) for c in series}}


def _raise_failed(rows) -> None:
    failed = [r for r in rows if r["error"]]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(rows)} runs failed; the first (seed "
                           f"{failed[0]['seed']}):\n{failed[0]['traceback'] or failed[0]['error']}")


def simulate(task: dict) -> dict:
    """Run one model to its last step (:func:`aicredit.models.sweep.run_one`).

    Parameters
    ----------
    task : dict
        ``arm`` (a label), ``scenario``, ``seed``, ``overrides`` (parameters, optional),
        ``steps`` (None: the scenario's), ``series`` (reporters to keep whole; default
        :data:`DEFAULT_SERIES`).

    Returns
    -------
    dict
        ``row`` (the run's row of :attr:`MonteCarlo.summary`), ``events`` (its defaults:
        arm, seed, step, sector) and ``series`` ({reporter: array by month}).

    Raises
    ------
    RuntimeError
        The run failed; the message holds its traceback.
    """
    from aicredit.models.sweep import build_runs, run_one
    series = tuple(task.get("series") or DEFAULT_SERIES)
    sweep = _arm_sweep(task["arm"], task["scenario"], task.get("overrides"), task.get("steps"),
                       [task["seed"]], series)
    out = run_one(build_runs(sweep)[0])
    _raise_failed([out])
    return _result(task["arm"], task["scenario"], out, series)


# ---------------------------------------------------------------------------------------------
# Many runs
# ---------------------------------------------------------------------------------------------

@dataclass
class MonteCarlo:
    """The results of :func:`monte_carlo`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per (arm, seed): ``arm``, ``scenario``, ``seed``, ``defaults_<sector>``,
        ``loss_<holder>_usd``, the headline numbers of ``summary.json``, ``neocloud_cascade``,
        ``first_neocloud_default_step``, ``margin_calls_total``, ``gpu_price_index_min``,
        ``savers_401k_total_end_usd``, ``pc_nav_gap_max`` (largest overstatement of true
        private-credit NAV), ``leverage_gap_max`` (largest consolidated minus reported
        hyperscaler leverage) and ``duration_s``.
    series : dict
        ``series[reporter][arm]``: an array (seeds x months), seeds in the order given.
    events : pandas.DataFrame
        Every default: ``arm``, ``seed``, ``step``, ``sector``, by month within a run.
    elapsed_s : float
        Wall-clock seconds the experiment took.
    """
    summary: pd.DataFrame
    series: dict = field(default_factory=dict)
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    elapsed_s: float = 0.0

    @property
    def arms(self) -> list[str]:
        """The arm labels, in the order they ran."""
        return list(dict.fromkeys(self.summary["arm"]))


def _arm_spec(spec) -> tuple[str, dict]:
    if isinstance(spec, str):
        return spec, {}
    scenario, overrides = spec
    return scenario, dict(overrides)


#: The environment variable that caps the processes of :func:`monte_carlo` (a whole number >= 1).
MAX_WORKERS_ENV = "AICREDIT_MAX_WORKERS"


def capped_workers(workers: int) -> int:
    """The processes to use: ``workers``, capped by ``$AICREDIT_MAX_WORKERS`` when it is set.

    Parameters
    ----------
    workers : int
        The processes asked for.

    Returns
    -------
    int
        ``workers``, or the cap if that is smaller.

    Raises
    ------
    ValueError
        ``AICREDIT_MAX_WORKERS`` is set to something other than a whole number >= 1 (the
        message names the variable and the value).
    """
    cap = os.environ.get(MAX_WORKERS_ENV)
    if cap is None:
        return workers
    if not cap.strip().isdigit() or int(cap) < 1:
        raise ValueError(f"{MAX_WORKERS_ENV} must be a whole number >= 1, got {cap!r}")
    return min(workers, int(cap))


def monte_carlo(arms, seeds, steps: int | None = None, series=DEFAULT_SERIES,
                workers: int = 2, verbose: bool = True) -> MonteCarlo:
    """Run every arm for every seed, with common random numbers (the same seeds in every arm).

    Parameters
    ----------
    arms : list of str or dict
        Scenario names, or ``{label: scenario}``, or ``{label: (scenario, {parameter:
        value})}``. Each arm is one :func:`aicredit.run_sweep` (its scenario, the overrides
        fixed, every seed).
    seeds : iterable of int
        Distinct seeds, run in every arm.
    steps : int, optional
        Months per run; None runs each scenario's own.
    series : iterable of str, default :data:`DEFAULT_SERIES`
        Reporters kept whole (per month) in :attr:`MonteCarlo.series`.
    workers : int, default 2
        Processes, in one spawn-context pool shared by the arms; 1 runs here. The environment
        variable ``AICREDIT_MAX_WORKERS`` (:data:`MAX_WORKERS_ENV`) caps it, so a shared machine
        (or the test suite, which runs the notebooks beside other tests) can keep a notebook's
        runs in its own process without editing it; the results are the same either way.
    verbose : bool, default True
        Print the number of runs and the time they took.

    Returns
    -------
    MonteCarlo

    Raises
    ------
    ValueError
        A seed listed twice.
    RuntimeError
        A run failed; the message holds its traceback.
    """
    from aicredit.models.sweep import run_sweep, worker_init
    if not isinstance(arms, dict):
        arms = {a: a for a in arms}
    seeds = [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {seeds} list a seed twice")
    series = tuple(series)
    n_runs = len(arms) * len(seeds)
    workers = capped_workers(workers)
    t0 = time.perf_counter()
    pool = None
    if workers > 1 and n_runs > 1:
        pool = cf.ProcessPoolExecutor(max_workers=workers,
                                      mp_context=multiprocessing.get_context("spawn"),
                                      initializer=worker_init, initargs=(os.getpid(),))
    results = []
    try:
        for label, spec in arms.items():
            scenario, overrides = _arm_spec(spec)
            sweep = _arm_sweep(label, scenario, overrides, steps, seeds, series)
            df = run_sweep(sweep, workers=1 if pool is None else None, scheduler=pool,
                           progress=False)
            rows = df.set_index("seed").loc[seeds].reset_index().to_dict("records")
            _raise_failed(rows)
            results += [_result(label, scenario, r, series) for r in rows]
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    elapsed = time.perf_counter() - t0
    summary_df = pd.DataFrame([r["row"] for r in results])
    events = pd.DataFrame([e for r in results for e in r["events"]],
                          columns=["arm", "seed", "step", "sector"])
    out: dict = {}
    for col in series:
        out[col] = {}
        for label in arms:
            rows = [r["series"][col] for r in results if r["row"]["arm"] == label]
            if rows:
                out[col][label] = np.vstack(rows)
    if verbose:
        print(f"{n_runs} runs ({len(arms)} arms x {len(seeds)} seeds, "
              f"{steps or 'scenario'} months) in {elapsed:.0f} s with {workers} worker(s)")
    return MonteCarlo(summary=summary_df, series=out, events=events, elapsed_s=elapsed)


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------

def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float, float]:
    """A share with its Wilson score interval.

    Parameters
    ----------
    k, n : int
        Successes and trials.
    z : float, default 1.96
        Normal quantile of the interval (1.96: 95%).

    Returns
    -------
    tuple of float
        ``(k / n, low, high)``; NaNs when ``n`` is 0.
    """
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return p, max(0.0, centre - half), min(1.0, centre + half)


def mean_ci(x, level: float = 0.95) -> tuple[float, float, float]:
    """The mean of the finite values with a Student-t confidence interval.

    Parameters
    ----------
    x : array-like of float
        Values; NaNs and infinities are left out.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of float
        ``(mean, low, high)``: :func:`aicredit.models.stats.mean_ci` without the count;
        NaN bounds for fewer than 2 values.
    """
    return stats.mean_ci(x, level)[1:]


def paired_diff(summary: pd.DataFrame, metric: str, arm: str, control: str,
                level: float = 0.95) -> tuple[float, float, float]:
    """The effect of an arm against a control, paired by seed.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`MonteCarlo.summary` (columns ``arm``, ``seed`` and ``metric``).
    metric : str
        The column compared.
    arm, control : str
        Arm labels.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of float
        ``(mean, low, high)`` of ``arm - control`` over the seeds both have, with a paired
        Student-t interval (:func:`mean_ci` of the differences).
    """
    a = summary[summary["arm"] == arm].set_index("seed")[metric]
    c = summary[summary["arm"] == control].set_index("seed")[metric]
    common = a.index.intersection(c.index)
    return mean_ci((a.loc[common].astype(float) - c.loc[common].astype(float)).to_numpy(), level)


def table_by_arm(summary: pd.DataFrame, metrics: dict, scale: dict | None = None) -> pd.DataFrame:
    """A table of each metric's mean and 95% interval by arm, as text.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`MonteCarlo.summary`.
    metrics : dict
        ``{column: label}``: the columns shown, under their labels.
    scale : dict, optional
        ``{column: factor}`` applied before formatting (e.g. ``1e-9`` for bn USD).

    Returns
    -------
    pandas.DataFrame
        One row per arm, one column per label, cells ``"mean [low, high]"`` (the mean alone
        when there is no interval).
    """
    scale = scale or {}
    rows = {}
    for arm in dict.fromkeys(summary["arm"]):
        sub = summary[summary["arm"] == arm]
        rows[arm] = {}
        for col, label in metrics.items():
            m, lo, hi = mean_ci(sub[col].astype(float))
            f = scale.get(col, 1.0)
            rows[arm][label] = (f"{m * f:.3g} [{lo * f:.3g}, {hi * f:.3g}]" if np.isfinite(lo)
                                else f"{m * f:.3g}")
    return pd.DataFrame(rows).T


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------

def fan_chart(ax, arr, color="C0", label=None, x=None, quantiles=(5, 25, 50, 75, 95), scale=1.0):
    """Draw a fan chart: the median across runs with shaded percentile bands.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    arr : array-like
        Runs x months (a :attr:`MonteCarlo.series` entry).
    color : str, default ``"C0"``
    label : str, optional
        Legend label of the median line.
    x : array-like, optional
        The x values; default :func:`months` of the series' length.
    quantiles : tuple of float, default ``(5, 25, 50, 75, 95)``
        Percentiles: the outer and inner bands and the line.
    scale : float, default 1.0
        Factor applied to the values (e.g. ``1e-9`` for bn USD).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.
    """
    arr = np.asarray(arr, dtype=float) * scale
    x = months(arr.shape[1]) if x is None else x
    q = np.nanpercentile(arr, quantiles, axis=0)
    ax.fill_between(x, q[0], q[-1], color=color, alpha=0.15, lw=0)
    ax.fill_between(x, q[1], q[-2], color=color, alpha=0.3, lw=0)
    ax.plot(x, q[len(quantiles) // 2], color=color, lw=1.8, label=label)
    return ax


def setup_matplotlib():
    """Set a modest figure size and resolution, so executed notebooks stay small.

    Returns
    -------
    module
        ``matplotlib.pyplot``, configured (and PNG figures inline under IPython).
    """
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.dpi": 72, "savefig.dpi": 72, "figure.figsize": (9, 4),
                         "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
                         "axes.spines.right": False, "legend.fontsize": 8})
    try:
        from IPython import get_ipython
        ip = get_ipython()
        if ip is not None:
            ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
    except Exception:            # not in IPython: nothing to configure
        pass
    return plt
