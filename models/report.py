"""Headline results of a run: the summary table, ``summary.json``, Parquet frames and plots.

Headline numbers (keys of ``summary.json``, documented in the README):

- ``defaults_by_sector``: {sector: number of institutions that defaulted}, every sector listed.
- ``default_share_by_sector``: {sector: defaulted / institutions of that sector in the run
  (including those created during it, e.g. new SPVs)}; None for a sector with none. Unlike
  the counts it compares across economies of different sizes (e.g. when ``n_neoclouds`` is
  swept).
- ``losses_by_holder_usd``: {ultimate holder: USD lost} (:mod:`abm.losses`).
- ``gpu_price_max_drawdown``: largest peak-to-trough fall (0..1) of the GPU price index, the
  unit-weighted market price of all vintages relative to their scheduled depreciation path
  (so it measures demand and fire-sale effects, not ageing).
- ``savers_401k_loss_fraction``: the largest fall (0..1) of 401(k) savers' time-weighted
  return index, i.e. the share of their savings lost from a peak to a trough, with new
  contributions not counted as gains (``savers_401k_max_drawdown`` is the same on raw
  balances, which contributions prop up).
- ``peak_margin_calls``: most GPU-backed loans margin-called in one month.
- ``savers_401k_realised_loss_usd``: 401(k) losses realised by the end (panic sales below
  cost, the savers' part of listed firms' wipe-outs, fund units redeemed below cost);
  ``savers_401k_unrealised_loss_usd``: the mark-to-market loss still open at the end
  (index and fund holdings below their remaining cost); ``savers_401k_pc_usd_end``: their
  private-credit fund holdings at the end [F34].
- ``insurer_solvency_min``: lowest RBC ratio of any insurer in any month [R18];
  ``insurer_forced_sales_usd``: fund interests and ABS insurers sold (C7).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from abm.sectors import HOLDER_CATEGORIES, SECTORS
from abm.units import BN
from models.version import __version__

__all__ = ["summary", "write_outputs", "format_summary", "plot_run", "max_drawdown"]

#: Part of every sweep run's identity: bump it whenever a change alters results, so sweeps
#: resumed after the change do not mix old and new runs. 0.1.1: collateral dumped after a
#: default moves the GPU market price. 0.2.0: the financial layer and prices from
#: fundamentals (issue 11; CHANGELOG.md). 0.3.0: tech credit losses that emerge (issue 11).
#: 0.4.0: levered private-credit vehicles, BDCs (issue 11).
MODEL_VERSION = __version__         # the one version, models/version.py


def max_drawdown(series) -> float:
    """Largest fall from a running peak, as a fraction of the peak (0 when it never falls)."""
    x = np.asarray(series, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0
    peak = np.maximum.accumulate(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, 1.0 - x / peak, 0.0)
    return float(np.clip(dd.max(), 0.0, 1.0))


def summary(model) -> dict:
    """The run's headline numbers (see module docstring)."""
    df = model.datacollector.get_model_vars_dataframe()
    defaults = {s: 0 for s in SECTORS}
    defaults.update(model.defaults_by_sector())
    counts = Counter(agent.sector for agent in model.agents)
    first = [e["step"] for e in model.default_events]
    return {
        "scenario": model.scenario_name,
        "seed": model.seed_value,
        "steps": int(model.steps),
        "model_version": MODEL_VERSION,
        "defaults_by_sector": defaults,
        "default_share_by_sector": {s: (defaults[s] / counts[s] if counts[s] else None)
                                    for s in SECTORS},
        "defaults_total": int(sum(defaults.values())),
        "first_default_step": int(min(first)) if first else None,
        "losses_by_holder_usd": {k: float(model.losses.by_category[k]) for k in HOLDER_CATEGORIES},
        "losses_total_usd": float(sum(model.losses.by_category.values())),
        "gpu_price_max_drawdown": max_drawdown(df["gpu_price_index"]),
        "savers_401k_loss_fraction": max_drawdown(df["savers_401k_return_index"]),
        "savers_401k_max_drawdown": max_drawdown(df["savers_401k_total_usd"]),
        "peak_margin_calls": int(df["margin_calls"].max()),
        "units_fire_sold_total": float(df["units_fire_sold"].sum()),
        "ai_index_end": float(df["ai_index"].iloc[-1]),
        "ai_index_max_drawdown": max_drawdown(df["ai_index"]),
        "savers_401k_realised_loss_usd": float(df["savers_401k_realised_loss_usd"].iloc[-1]),
        "savers_401k_unrealised_loss_usd": float(df["savers_401k_unrealised_loss_usd"].iloc[-1]),
        "savers_401k_pc_usd_end": float(df["savers_401k_pc_usd"].iloc[-1]),
        "insurer_solvency_min": float(df["insurer_solvency_min"].min()),
        "insurer_forced_sales_usd": float(df["insurer_forced_sales_usd"].sum()),
    }


def format_summary(s: dict) -> str:
    """A plain-text table of the headline numbers for the terminal."""
    lines = [f"Scenario {s['scenario']}  seed {s['seed']}  {s['steps']} months", "",
             "Defaults by sector"]
    for k, v in s["defaults_by_sector"].items():
        lines.append(f"  {k:<26}{v:>8d}")
    lines += ["", "Losses by ultimate holder (bn USD)"]
    for k, v in s["losses_by_holder_usd"].items():
        lines.append(f"  {k:<26}{v / BN:>12.1f}")
    lines.append(f"  {'total':<26}{s['losses_total_usd'] / BN:>12.1f}")
    lines += ["",
              f"GPU price index max drawdown   {s['gpu_price_max_drawdown']:>8.1%}",
              f"401(k) loss fraction           {s['savers_401k_loss_fraction']:>8.1%}",
              f"401(k) max drawdown            {s['savers_401k_max_drawdown']:>8.1%}",
              f"Peak margin calls in a month   {s['peak_margin_calls']:>8d}",
              f"First default (step)           {str(s['first_default_step']):>8}"]
    return "\n".join(lines)


def plot_run(model, out_dir: Path) -> list[Path]:
    """Write the run's PNG plots; returns their paths.

    ``overview.png`` lays out the charts the browser shows (:data:`visualization.charts.CHARTS`
    and :data:`~visualization.charts.LOSSES`, defined once there) on one grid.
    """
    from matplotlib.figure import Figure

    from visualization.charts import CHARTS, LOSSES, chart_legend

    df = model.datacollector.get_model_vars_dataframe()
    ncols = 3
    nrows = -(-(len(CHARTS) + 1) // ncols)
    fig = Figure(figsize=(5 * ncols, 11 / 3 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, chart in zip(axes, CHARTS, strict=False):
        drawn = chart.draw(ax, df, x_max=model.p.steps, **chart.options(model.p))
        ax.set_title(chart.title, fontsize=10)
        chart_legend(drawn, fontsize=7)
    LOSSES.draw(axes[len(CHARTS)], model.losses.by_category)
    axes[len(CHARTS)].set_title(LOSSES.title, fontsize=10)
    for ax in axes[len(CHARTS) + 1:]:
        ax.set_axis_off()
    fig.tight_layout()
    path = out_dir / "overview.png"
    fig.savefig(path, dpi=90)
    return [path]


def write_outputs(model, out_dir: Path) -> dict:
    """Write summary.json, model_vars.parquet, agent_vars.parquet and plots to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    s = summary(model)
    (out_dir / "summary.json").write_text(json.dumps(s, indent=2, default=float) + "\n")
    mv = model.datacollector.get_model_vars_dataframe()
    mv.to_parquet(out_dir / "model_vars.parquet")
    agent_path = out_dir / "agent_vars.parquet"
    if model.datacollector.agent_reporters:
        av = model.datacollector.get_agent_vars_dataframe().reset_index()
        av.to_parquet(agent_path)
    elif agent_path.exists():
        agent_path.unlink()       # an older run's per-agent data would not match this run
    pd.DataFrame(model.default_events).to_csv(out_dir / "defaults.csv", index=False)
    pd.DataFrame(model.losses.events).to_csv(out_dir / "loss_events.csv", index=False)
    plot_run(model, out_dir)
    return s
