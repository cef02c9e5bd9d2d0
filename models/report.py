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
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from abm.agents import SECTORS
from abm.losses import HOLDER_CATEGORIES

__all__ = ["summary", "write_outputs", "format_summary", "plot_run", "max_drawdown"]

#: Part of every sweep run's identity: bump it whenever a change alters results, so sweeps
#: resumed after the change do not mix old and new runs. 0.1.1: collateral dumped after a
#: default moves the GPU market price.
MODEL_VERSION = "0.1.1"


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
    }


def format_summary(s: dict) -> str:
    """A plain-text table of the headline numbers for the terminal."""
    bn = 1e9
    lines = [f"Scenario {s['scenario']}  seed {s['seed']}  {s['steps']} months", "",
             "Defaults by sector"]
    for k, v in s["defaults_by_sector"].items():
        lines.append(f"  {k:<26}{v:>8d}")
    lines += ["", "Losses by ultimate holder (bn USD)"]
    for k, v in s["losses_by_holder_usd"].items():
        lines.append(f"  {k:<26}{v / bn:>12.1f}")
    lines.append(f"  {'total':<26}{s['losses_total_usd'] / bn:>12.1f}")
    lines += ["",
              f"GPU price index max drawdown   {s['gpu_price_max_drawdown']:>8.1%}",
              f"401(k) loss fraction           {s['savers_401k_loss_fraction']:>8.1%}",
              f"401(k) max drawdown            {s['savers_401k_max_drawdown']:>8.1%}",
              f"Peak margin calls in a month   {s['peak_margin_calls']:>8d}",
              f"First default (step)           {str(s['first_default_step']):>8}"]
    return "\n".join(lines)


def plot_run(model, out_dir: Path) -> list[Path]:
    """Write the run's PNG plots; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = model.datacollector.get_model_vars_dataframe()
    months = pd.period_range("2025-01", periods=len(df), freq="M").to_timestamp()
    paths = []
    fig, axes = plt.subplots(3, 3, figsize=(15, 11))
    ax = axes[0, 0]
    for v in range(model.gpu_market.n_vintages):
        col = df[f"gpu_price_v{v}"]
        released = model.gpu_market.release_step[v] <= np.arange(len(df))
        ax.plot(months[released], col[released] / 1e3, label=f"v{v}")
    ax.set(title="GPU price per vintage (k USD/unit)")
    ax.legend(fontsize=6, ncol=2)
    ax = axes[0, 1]
    ax.bar(months, df["margin_calls"], width=20, label="margin calls")
    ax2 = ax.twinx()
    ax2.plot(months, df["units_fire_sold"], color="C3", label="units fire-sold")
    ax.set(title="Margin calls and units fire-sold")
    ax = axes[0, 2]
    for sector in SECTORS:
        ax.step(months, df[f"defaults_{sector}"], where="post", label=sector)
    ax.set(title="Cumulative defaults by sector")
    ax.legend(fontsize=6)
    ax = axes[1, 0]
    ax.plot(months, df["bank_capital_ratio_min"], label="bank capital ratio (min)")
    ax.axhline(model.p.bank_capital_min, color="k", ls=":", lw=0.8)
    ax.plot(months, df["insurer_solvency_min"] / 10, label="insurer solvency / 10 (min)")
    ax.set(title="Bank capital and insurer solvency")
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    ax.plot(months, df["pc_reported_nav_usd"] / 1e9, label="reported NAV")
    ax.plot(months, df["pc_true_nav_usd"] / 1e9, label="true NAV")
    ax.set(title="Private credit NAV (bn USD) [F30]")
    ax.legend(fontsize=7)
    ax = axes[1, 2]
    ax.fill_between(months, df["savers_401k_p10_usd"] / 1e9, df["savers_401k_p90_usd"] / 1e9,
                    alpha=0.3, label="p10-p90")
    ax.plot(months, df["savers_401k_mean_usd"] / 1e9, label="mean")
    ax.set(title="401(k) cohort balances (bn USD)")
    ax.legend(fontsize=7)
    ax = axes[2, 0]
    ax.plot(months, df["ai_index"], label="AI index")
    ax.plot(months, df["ai_sentiment"], label="sentiment")
    ax.plot(months, df["ai_demand_usd_per_month"] / df["ai_demand_usd_per_month"].iloc[0],
            label="AI demand (x step 0)")
    ax.set(title="AI demand, sentiment and AI index", yscale="log")
    ax.legend(fontsize=7)
    ax = axes[2, 1]
    ax.plot(months, df["hyperscaler_reported_leverage"], label="reported")
    ax.plot(months, df["hyperscaler_consolidated_leverage"], label="with SPVs")
    ax.set(title="Hyperscaler leverage (debt / equity) [F20]")
    ax.legend(fontsize=7)
    ax = axes[2, 2]
    losses = pd.Series(model.losses.by_category) / 1e9
    ax.barh(losses.index, losses.values)
    ax.set(title="Who lost what (bn USD)")
    fig.tight_layout()
    path = out_dir / "overview.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    paths.append(path)
    return paths


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
