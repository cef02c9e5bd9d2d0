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

__all__ = ["summary", "write_outputs", "format_summary", "plot_run", "overview_figure",
           "figure_title", "run_overrides", "FIGURE_FORMATS", "max_drawdown"]

#: Part of every sweep run's identity: bump it whenever a change alters results, so sweeps
#: resumed after the change do not mix old and new runs. 0.1.1: collateral dumped after a
#: default moves the GPU market price. 0.2.0: the financial layer and prices from
#: fundamentals (issue 11; CHANGELOG.md). 0.3.0: tech credit losses that emerge (issue 11).
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


#: Formats ``aicredit run --format`` can write the report figure in (matplotlib backends).
FIGURE_FORMATS = ("png", "pdf", "svg")
#: Resolution of the PNG report figure (PDF and SVG are vector).
FIGURE_DPI = 150


def run_overrides(model) -> dict | None:
    """The parameters this run set on top of its scenario: the model's ``overrides`` when it
    records them, else every field of ``model.p`` that differs from the scenario as loaded
    without overrides; None when the scenario cannot be loaded again to compare."""
    recorded = getattr(model, "overrides", None)
    if recorded is not None:
        return dict(recorded)
    import dataclasses

    from models.scenario import ScenarioError, load_scenario
    try:
        base = load_scenario(model.scenario_name)
    except (ScenarioError, OSError):
        return None
    return {f.name: getattr(model.p, f.name) for f in dataclasses.fields(model.p)
            if getattr(model.p, f.name) != getattr(base, f.name)}


def _toml_text(value) -> str:
    """A parameter value as it would be written after ``--set key=`` (``false``, ``0.3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_text(v) for v in value) + "]"
    return str(value)


def figure_title(model, width: int = 140) -> str:
    """The report figure's title: scenario, seed, months simulated (with their dates), model
    version, and the overrides on top of the scenario (wrapped to ``width`` characters), e.g.
    ``Scenario ai_winter, seed 0, 72 months (2025-01 to 2030-12), model 0.3.0`` and
    ``Overrides: gpu_loan_haircut=0.3, c3_collateral_spiral=false``."""
    import textwrap

    from abm.units import month_label
    months = int(model.steps)
    seed = model.seed_value if model.seed_value is not None else "not recorded"
    head = (f"Scenario {Path(str(model.scenario_name)).stem}, seed {seed}, {months} months"
            + (f" ({month_label(0)} to {month_label(months - 1)})" if months else "")
            + f", model {MODEL_VERSION}")
    overrides = run_overrides(model)
    if overrides is None:
        tail = "Overrides: not known"
    elif not overrides:
        tail = "No overrides"
    else:
        tail = "Overrides: " + ", ".join(f"{k}={_toml_text(v)}" for k, v in overrides.items())
    return "\n".join([head, *textwrap.wrap(tail, width)])


def overview_figure(model):
    """The report figure: every chart of the browser (:data:`visualization.charts.CHARTS`
    and :data:`~visualization.charts.LOSSES`, defined once there) on a grid of two columns,
    each panel titled (with units) and with its legend under the axes, and the run's
    :func:`figure_title` on top."""
    from matplotlib.figure import Figure

    from visualization.charts import CHARTS, LOSSES, chart_legend, legend_columns

    df = model.datacollector.get_model_vars_dataframe()
    ncols = 2
    nrows = -(-(len(CHARTS) + 1) // ncols)
    fig = Figure(figsize=(11.0, 3.4 * nrows + 0.6), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.08, hspace=0.04, wspace=0.04)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, chart in zip(axes, CHARTS, strict=False):
        drawn = chart.draw(ax, df, x_max=model.p.steps, **chart.options(model))
        ax.set_title(chart.title, fontsize=10)
        labels = [lab for a in drawn for lab in a.get_legend_handles_labels()[1]]
        chart_legend(drawn, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                     borderaxespad=2.2, ncol=legend_columns(labels, 330.0, 7.0), frameon=False,
                     handlelength=1.8, columnspacing=1.2)
    LOSSES.draw(axes[len(CHARTS)], model.losses.by_category)
    axes[len(CHARTS)].set_title(LOSSES.title, fontsize=10)
    for ax in axes[len(CHARTS) + 1:]:
        ax.set_axis_off()
    fig.suptitle(figure_title(model), fontsize=11)
    return fig


def plot_run(model, out_dir: Path, fmt: str = "png") -> list[Path]:
    """Write the run's report figure, ``overview.<fmt>`` (:func:`overview_figure`; ``fmt``
    one of :data:`FIGURE_FORMATS`), to ``out_dir``; returns its path. The file records its
    title, and PDF and SVG carry no creation date (the same run gives the same file)."""
    import matplotlib

    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format must be one of {', '.join(FIGURE_FORMATS)}, got {fmt!r}")
    fig = overview_figure(model)
    title = fig.get_suptitle().replace("\n", "; ")
    metadata = {"png": {"Title": title, "Software": f"aicredit {MODEL_VERSION}"},
                "pdf": {"Title": title, "Creator": f"aicredit {MODEL_VERSION}", "CreationDate": None},
                "svg": {"Title": title, "Creator": f"aicredit {MODEL_VERSION}", "Date": None}}[fmt]
    path = out_dir / f"overview.{fmt}"
    with matplotlib.rc_context({"pdf.fonttype": 42, "svg.hashsalt": "aicredit"}):
        fig.savefig(path, format=fmt, dpi=FIGURE_DPI, metadata=metadata)
    return [path]


def write_outputs(model, out_dir: Path, figure_format: str = "png") -> dict:
    """Write summary.json, model_vars.parquet, agent_vars.parquet and the report figure
    (``overview.<figure_format>``, :func:`plot_run`) to ``out_dir``."""
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
    plot_run(model, out_dir, figure_format)
    return s
