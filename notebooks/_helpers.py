"""Shared helpers for the notebooks in this folder.

Everything a notebook runs in worker processes lives here, at module level, because
``import mesa`` switches multiprocessing to *spawn*: a worker function defined in a notebook
cell cannot be pickled into a spawned process and the pool hangs
(``docs/sweeps.md``, "With Mesa's own batch_run").

- :data:`QUICK` is true when ``AICREDIT_QUICK=1``: the test suite's reduced size.
- :func:`monte_carlo` runs arms (a scenario plus overrides) over seeds in parallel
  (``ProcessPoolExecutor``, spawn context) and returns a :class:`MonteCarlo` with one summary
  row per run, per-month series per arm and every default event.
- :func:`neocloud_cascade`, :func:`wilson`, :func:`mean_ci`, :func:`paired_diff` are the
  statistics the notebooks quote; :func:`fan_chart` and :func:`months` draw the figures.
"""
from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

QUICK = os.environ.get("AICREDIT_QUICK") == "1"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:               # the package is installed with -e; this is a fallback
    sys.path.insert(0, str(REPO))

BN = 1e9
HOLDERS = ("firm_shareholders", "lp_insurers", "lp_pensions_endowments", "lp_401k", "banks",
           "insurers", "savers_401k", "bond_abs_investors", "deposit_insurance", "other_outside")
SECTORS = ("ai_lab", "hyperscaler", "neocloud", "chipmaker", "private_credit", "bank", "insurer",
           "saver_401k", "spv")
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
    """Month-start dates of steps 0..n-1 (step 0 is January 2025)."""
    return pd.period_range("2025-01", periods=n, freq="M").to_timestamp()


def neocloud_cascade(steps, k: int = CASCADE_MIN, window: int = CASCADE_WINDOW) -> bool:
    """True when at least ``k`` of the given neocloud default steps fall within ``window`` months."""
    s = np.sort(np.asarray(list(steps), dtype=int))
    if s.size < k:
        return False
    return bool(np.any(s[k - 1:] - s[:s.size - k + 1] <= window - 1))


# ---------------------------------------------------------------------------------------------
# One run (the worker: module level so spawned processes can import it)
# ---------------------------------------------------------------------------------------------

def simulate(task: dict) -> dict:
    """Run one model to its last step; return its headline numbers, series and defaults.

    ``task``: ``arm`` (a label), ``scenario``, ``seed``, ``overrides`` (parameters),
    ``steps`` (None: the scenario's), ``series`` (model-vars columns to keep).
    """
    from models import AIEconomyModel
    from models.report import summary

    overrides = dict(task.get("overrides") or {})
    if task.get("steps"):
        overrides["steps"] = int(task["steps"])
    t0 = time.perf_counter()
    m = AIEconomyModel(task["scenario"], seed=int(task["seed"]), collect_agents=False, **overrides)
    while m.running:
        m.step()
    s = summary(m)
    df = m.datacollector.get_model_vars_dataframe()
    row = {"arm": task["arm"], "scenario": task["scenario"], "seed": int(task["seed"])}
    for sector, n in s["defaults_by_sector"].items():
        row[f"defaults_{sector}"] = int(n)
    for holder, usd in s["losses_by_holder_usd"].items():
        row[f"loss_{holder}_usd"] = float(usd)
    for key in ("defaults_total", "first_default_step", "losses_total_usd", "gpu_price_max_drawdown",
                "savers_401k_loss_fraction", "savers_401k_max_drawdown", "peak_margin_calls",
                "units_fire_sold_total", "ai_index_end", "ai_index_max_drawdown"):
        v = s[key]
        row[key] = float("nan") if v is None else float(v)
    neo_steps = [e["step"] for e in m.default_events if e["sector"] == "neocloud"]
    row["neocloud_cascade"] = neocloud_cascade(neo_steps)
    row["first_neocloud_default_step"] = float(min(neo_steps)) if neo_steps else float("nan")
    row["margin_calls_total"] = float(df["margin_calls"].sum())
    row["gpu_price_index_min"] = float(df["gpu_price_index"].min())
    row["savers_401k_total_end_usd"] = float(df["savers_401k_total_usd"].iloc[-1])
    row["pc_nav_gap_max"] = float(((df["pc_reported_nav_usd"] - df["pc_true_nav_usd"])
                                   / df["pc_true_nav_usd"].where(df["pc_true_nav_usd"] > 0)).max())
    row["leverage_gap_max"] = float((df["hyperscaler_consolidated_leverage"]
                                     - df["hyperscaler_reported_leverage"]).max())
    row["duration_s"] = time.perf_counter() - t0
    events = [dict(arm=task["arm"], seed=int(task["seed"]), step=int(e["step"]), sector=e["sector"],
                   name=e["name"], reason=e["reason"], liabilities_usd=float(e["liabilities_usd"]))
              for e in m.default_events]
    cols = task.get("series") or DEFAULT_SERIES
    series = {c: df[c].to_numpy(dtype=float) for c in cols if c in df.columns}
    return {"row": row, "events": events, "series": series}


# ---------------------------------------------------------------------------------------------
# Many runs
# ---------------------------------------------------------------------------------------------

@dataclass
class MonteCarlo:
    """Results of :func:`monte_carlo`.

    ``summary``: one row per (arm, seed). ``series[column][arm]``: array (seeds x months) in
    seed order. ``events``: every default (arm, seed, step, sector, name, reason, liabilities).
    """
    summary: pd.DataFrame
    series: dict = field(default_factory=dict)
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    elapsed_s: float = 0.0

    @property
    def arms(self) -> list[str]:
        return list(dict.fromkeys(self.summary["arm"]))


def _arm_spec(spec) -> tuple[str, dict]:
    if isinstance(spec, str):
        return spec, {}
    scenario, overrides = spec
    return scenario, dict(overrides)


def monte_carlo(arms, seeds, steps: int | None = None, series=DEFAULT_SERIES,
                workers: int = 2, chunksize: int = 4, verbose: bool = True) -> MonteCarlo:
    """Run every arm for every seed (common random numbers: the same seeds in every arm).

    ``arms``: a list of scenario names, or a dict ``{label: scenario}`` or
    ``{label: (scenario, {parameter: value})}``. ``workers > 1`` runs in a spawn-context
    process pool (the worker is :func:`simulate`); ``workers=1`` runs here.
    """
    if not isinstance(arms, dict):
        arms = {a: a for a in arms}
    seeds = list(seeds)
    tasks = []
    for label, spec in arms.items():
        scenario, overrides = _arm_spec(spec)
        for seed in seeds:
            tasks.append(dict(arm=label, scenario=scenario, seed=seed, overrides=overrides,
                              steps=steps, series=tuple(series)))
    t0 = time.perf_counter()
    if workers > 1 and len(tasks) > 1:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(simulate, tasks, chunksize=chunksize))
    else:
        results = [simulate(t) for t in tasks]
    elapsed = time.perf_counter() - t0
    summary_df = pd.DataFrame([r["row"] for r in results])
    events = pd.DataFrame([e for r in results for e in r["events"]],
                          columns=["arm", "seed", "step", "sector", "name", "reason", "liabilities_usd"])
    out: dict = {}
    for col in series:
        out[col] = {}
        for label in arms:
            rows = [r["series"][col] for r in results if r["row"]["arm"] == label and col in r["series"]]
            if rows:
                out[col][label] = np.vstack(rows)
    if verbose:
        print(f"{len(tasks)} runs ({len(arms)} arms x {len(seeds)} seeds, "
              f"{steps or 'scenario'} months) in {elapsed:.0f} s with {workers} worker(s)")
    return MonteCarlo(summary=summary_df, series=out, events=events, elapsed_s=elapsed)


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------

def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float, float]:
    """Share ``k/n`` with its Wilson score interval (95% by default)."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return p, max(0.0, centre - half), min(1.0, centre + half)


def mean_ci(x, level: float = 0.95) -> tuple[float, float, float]:
    """Mean with a Student-t confidence interval (NaN half-width for fewer than 2 values)."""
    from scipy import stats
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def paired_diff(summary: pd.DataFrame, metric: str, arm: str, control: str,
                level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``arm - control`` over common seeds, with a paired t interval."""
    a = summary[summary["arm"] == arm].set_index("seed")[metric]
    c = summary[summary["arm"] == control].set_index("seed")[metric]
    common = a.index.intersection(c.index)
    return mean_ci((a.loc[common].astype(float) - c.loc[common].astype(float)).to_numpy(), level)


def table_by_arm(summary: pd.DataFrame, metrics: dict, scale: dict | None = None) -> pd.DataFrame:
    """Mean [95% CI] of each metric by arm, formatted as strings ``metrics = {column: label}``."""
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
    """Median line with shaded 25-75 and 5-95 percentile bands across runs (rows of ``arr``)."""
    arr = np.asarray(arr, dtype=float) * scale
    x = months(arr.shape[1]) if x is None else x
    q = np.nanpercentile(arr, quantiles, axis=0)
    ax.fill_between(x, q[0], q[-1], color=color, alpha=0.15, lw=0)
    ax.fill_between(x, q[1], q[-2], color=color, alpha=0.3, lw=0)
    ax.plot(x, q[len(quantiles) // 2], color=color, lw=1.8, label=label)
    return ax


def setup_matplotlib():
    """Modest figure size and resolution so executed notebooks stay small."""
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
