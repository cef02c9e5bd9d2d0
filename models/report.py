"""Headline results of a run: the summary table, ``summary.json``, Parquet frames and plots.

Headline numbers (keys of ``summary.json``, documented in ``docs/outputs.md``):

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
- ``bank_losses_by_channel_usd``, ``bank_provisions_by_channel_usd`` and
  ``bank_capital_use_by_channel_max``: {``ai``, ``other``}: banks' realised losses by the
  end, their allowance at the end, and the most of their risk-weighted capital ratio (0..1)
  each channel took in any month (realised losses plus the allowance's rise since step 0,
  over risk-weighted assets); the AI channel is lines to funds and BDCs, GPU loans,
  data-centre construction loans and ABS.

What a run writes (:func:`write_outputs`) and how it records itself: ``params.json``
(:func:`provenance`: every resolved parameter, the overrides, scenario and file, seed,
versions, git commit) and ``summary.json`` (:func:`run_summary`: the key parts of it and the
headline numbers); the frames and event lists with a ``step`` and a ``date`` column
(``YYYY-MM``, step 0 is the scenario's first month); ``exposures.csv``, who holds what on whom
at the start and the end (:func:`abm.exposures.exposure_table`); the plots. The directory is
written atomically and never replaces anything but an earlier run's results
(:mod:`models.outdir`). :func:`run_label` is the one-line name of a run (figure titles).
"""
from __future__ import annotations

import dataclasses
import json
import platform
import shutil
import subprocess
from collections import Counter
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from aicredit.abm.exposures import EXPOSURE_COLUMNS, exposure_table
from aicredit.abm.sectors import HOLDER_CATEGORIES, SECTORS
from aicredit.abm.units import BN, month_label
from aicredit.models.options import FIGURE_FORMATS  # re-exported: the one list
from aicredit.models.outdir import MARKER, WRITTEN_BY, check_out_dir, write_atomically
from aicredit.models.version import __version__

__all__ = ["summary", "run_summary", "provenance", "run_label", "format_overrides", "git_state",
           "write_outputs", "format_summary", "plot_run", "overview_figure", "figure_title",
           "FIGURE_FORMATS", "max_drawdown", "DEFAULT_COLUMNS",
           "LOSS_EVENT_COLUMNS"]

#: Part of every sweep run's identity: bump it whenever a change alters results, so sweeps
#: resumed after the change do not mix old and new runs. 0.1.1: collateral dumped after a
#: default moves the GPU market price. 0.2.0: the financial layer and prices from
#: fundamentals (issue 11; CHANGELOG.md). 0.3.0: tech credit losses that emerge (issue 11).
#: 0.4.0: levered private-credit vehicles, BDCs (issue 11). 0.5.0: credit from borrowers' cash
#: flows and GPU prices from expected rents (issue 18). 0.5.1: smaller neoclouds hold their
#: anchor hyperscaler's take-or-pay deal ([R42]). 0.6.0: the secondary loan market with common
#: holders (C12) and runs on semi-liquid funds (C13), issue 19 in part. 0.6.1: banks tighten
#: inside their management buffer, and C6 off keeps the lines (issue 19 item 4). 0.7.0: insurers
#: hold rated tech placements whose designations migrate, the complete life RBC formula, two
#: kinds of insurer, de-risking and withdrawals (issue 19 item 3).
MODEL_VERSION = __version__         # the one version, models/version.py

#: The columns of ``defaults.csv`` (:func:`abm.default` records these) and of
#: ``loss_events.csv`` (:class:`abm.losses.LossBook`), before ``date`` is added: written as the
#: header when a run has none.
DEFAULT_COLUMNS = ("step", "sector", "name", "reason", "liabilities_usd")
LOSS_EVENT_COLUMNS = ("step", "holder", "holder_sector", "issuer", "issuer_sector", "kind",
                      "amount_usd")
#: The checkout this code runs from (its git commit is recorded when it is one).
SOURCE_ROOT = Path(__file__).resolve().parents[1]
#: Packages whose versions a run records beside its own.
RECORDED_PACKAGES = ("mesa", "numpy", "pandas")


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


#: Banks' two channels of loss (:func:`models.reporters._bank_channels`).
CHANNELS = ("ai", "other")


def summary(model) -> dict:
    """The headline numbers of a run: who failed, who lost what, how far prices fell.

    Parameters
    ----------
    model : AIEconomyModel
        A model that has run (any number of months).

    Returns
    -------
    dict
        ``scenario``, ``seed``, ``steps``, ``model_version``; ``defaults_by_sector`` and
        ``default_share_by_sector`` ({sector: count or share}), ``defaults_total``,
        ``first_default_step`` (None when nothing failed), ``losses_by_holder_usd`` ({ultimate
        holder: USD}), ``losses_total_usd``, drawdowns (0..1) of the GPU price index, the
        401(k) return index and balances and the AI index, ``peak_margin_calls`` and more:
        each key is explained in the module docstring of :mod:`aicredit.models.report`
        (the keys of ``summary.json``).
    """
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
        "bank_losses_by_channel_usd": {ch: float(df[f"bank_{ch}_losses_usd"].iloc[-1]) for ch in CHANNELS},
        "bank_provisions_by_channel_usd": {ch: float(df[f"bank_{ch}_provisions_usd"].iloc[-1])
                                           for ch in CHANNELS},
        "bank_capital_use_by_channel_max": {ch: float(df[f"bank_{ch}_capital_use"].max()) for ch in CHANNELS},
    }


def _plain(value):
    """A parameter value as JSON has it (tuples as lists, numpy scalars as numbers, a deal as
    its table)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return value.item() if isinstance(value, np.generic) else value


def format_overrides(overrides: dict) -> str:
    """``gpu_loan_haircut=0.3, c3_collateral_spiral=false`` (values as in ``--set``), or ``none``."""
    return ", ".join(f"{k}={json.dumps(_plain(v))}" for k, v in overrides.items()) or "none"


def run_label(model) -> str:
    """The run in one line, for figure titles: ``ai_winter, seed 0, gpu_loan_haircut=0.3``
    (the overrides left out when there are none)."""
    parts = [model.scenario_name, f"seed {model.seed_value}"]
    if model.overrides:
        parts.append(format_overrides(model.overrides))
    return ", ".join(parts)


def git_state(root: Path = SOURCE_ROOT) -> dict | None:
    """``{"commit": sha, "dirty": bool}`` when ``root`` is the top of a git checkout (dirty:
    tracked files changed since the commit), else None; None too when git is not installed
    or fails (a run never fails for want of it)."""
    git = shutil.which("git")
    if git is None:
        return None

    def ask(*args) -> str | None:
        try:
            done = subprocess.run([git, "-C", str(root), *args], capture_output=True, text=True,
                                  timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    top = ask("rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() != root.resolve():
        return None               # not a checkout, or the package sits inside another repository
    commit = ask("rev-parse", "HEAD")
    changes = ask("status", "--porcelain", "--untracked-files=no")
    if commit is None or changes is None:
        return None
    return {"commit": commit, "dirty": bool(changes)}


def _versions() -> dict:
    out = {"aicredit": __version__, "python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _identity(model) -> dict:
    """What tells a run from another: the key parts of :func:`provenance`."""
    return {"written_by": WRITTEN_BY, "scenario": model.scenario_name,
            "scenario_file": model.scenario_file, "seed": model.seed_value,
            "seed_drawn": model.seed_drawn, "steps": int(model.steps),
            "start_date": month_label(0), "end_date": month_label(int(model.steps)),
            "overrides": {k: _plain(v) for k, v in model.overrides.items()},
            "model_version": MODEL_VERSION}


def run_summary(model, git: dict | None = None) -> dict:
    """``summary.json``: the run's identity (scenario and file, seed and whether it was
    drawn, steps, dates, overrides, model version, the git commit ``git``) and its headline
    numbers (:func:`summary`), with the first default's month (``first_default_date``)."""
    s = summary(model)
    first = s["first_default_step"]
    return {**_identity(model), "git_commit": git and git["commit"],
            "git_dirty": git and git["dirty"], **s,
            "first_default_date": month_label(first) if first is not None else None}


def provenance(model, *, command: str | None = None, git: dict | None = None) -> dict:
    """``params.json``: everything needed to repeat the run. The identity of
    :func:`run_summary`, the command line (``command``, when run from one), the versions of
    aicredit (the model version), Python, Mesa, numpy and pandas, the git commit of the code
    (``git``, :func:`git_state`; None outside a checkout), and every resolved parameter."""
    return {**_identity(model), "command": command, "versions": _versions(), "git": git,
            "params": {k: _plain(v) for k, v in dataclasses.asdict(model.p).items()}}


def format_summary(s: dict) -> str:
    """A plain-text table of the headline numbers for the terminal (``s`` from
    :func:`run_summary`; a bare :func:`summary` does too, without the run's identity)."""
    seed = f"seed {s['seed']}" + (" (drawn)" if s.get("seed_drawn") else "")
    dates = f" ({month_label(0)} to {month_label(s['steps'])})"
    lines = [f"Scenario {s['scenario']}  {seed}  {s['steps']} months{dates}"]
    if "overrides" in s:
        lines.append(f"Overrides: {format_overrides(s['overrides'])}")
    lines += ["", "Defaults by sector"]
    for k, v in s["defaults_by_sector"].items():
        lines.append(f"  {k:<26}{v:>8d}")
    lines += ["", "Losses by ultimate holder (bn USD; booked on write-offs and fire sales)"]
    for k, v in s["losses_by_holder_usd"].items():
        lines.append(f"  {k:<26}{v / BN:>12.1f}")
    lines.append(f"  {'total':<26}{s['losses_total_usd'] / BN:>12.1f}")
    if "bank_losses_by_channel_usd" in s:
        lines += ["", "Banks by channel (AI: lines to funds and BDCs, GPU loans, data-centre loans, ABS)",
                  f"  {'':<26}{'AI':>12}{'other':>12}"]
        rows = (("realised losses (bn)", "bank_losses_by_channel_usd", BN),
                ("allowance at end (bn)", "bank_provisions_by_channel_usd", BN),
                ("most capital used (pp)", "bank_capital_use_by_channel_max", 0.01))
        for label, key, scale in rows:
            ai, other = (s[key][ch] / scale for ch in ("ai", "other"))
            lines.append(f"  {label:<26}{ai:>12.2f}{other:>12.2f}")
    first = s["first_default_step"]
    first = "none" if first is None else f"{month_label(first)}  (month {first})"
    lines += ["",
              f"GPU price index max drawdown   {s['gpu_price_max_drawdown']:>8.1%}",
              f"Peak margin calls in a month   {s['peak_margin_calls']:>8d}",
              f"First default                  {first:>8}",
              "",
              "401(k) savers (the losses booked on them are savers_401k and lp_401k above)",
              f"  loss fraction                {s['savers_401k_loss_fraction']:>8.1%}   "
              f"largest fall of their return index (market value), peak to trough",
              f"  max drawdown                 {s['savers_401k_max_drawdown']:>8.1%}   "
              f"the same on balances, which contributions prop up",
              f"  losses realised by the end   {s['savers_401k_realised_loss_usd'] / BN:>8.1f}   "
              f"bn USD: panic sales and redemptions below cost, wipe-outs",
              f"  losses open at the end       {s['savers_401k_unrealised_loss_usd'] / BN:>8.1f}   "
              f"bn USD: holdings still below their cost"]
    return "\n".join(lines)


#: Resolution of the PNG report figure (PDF and SVG are vector).
FIGURE_DPI = 150


def figure_title(model, width: int = 140) -> str:
    """The report figure's title: scenario, seed, months simulated (the dates of the first and
    last rows: step 0 is the opening, 2025-01, and step ``t`` is month :func:`month_label`
    ``(t)``, as on the axes and in the terminal), model version, and the overrides on top of
    the scenario (wrapped to ``width`` characters), e.g.
    ``Scenario ai_winter, seed 0, 72 months (2025-01 to 2031-01), model 0.4.0`` and
    ``Overrides: gpu_loan_haircut=0.3, c3_collateral_spiral=false``."""
    import textwrap

    months = int(model.steps)
    head = (f"Scenario {model.scenario_name}, seed {model.seed_value}, {months} months"
            + (f" ({month_label(0)} to {month_label(months)})" if months else "")
            + f", model {MODEL_VERSION}")
    tail = f"Overrides: {format_overrides(model.overrides)}" if model.overrides else "No overrides"
    return "\n".join([head, *textwrap.wrap(tail, width)])


def overview_figure(model):
    """The report figure: every chart of the browser (:data:`models.charts.CHARTS`
    and :data:`~models.charts.LOSSES`, defined once there) on a grid of two columns,
    each panel titled (with units) and with its legend under the axes, and the run's
    :func:`figure_title` on top."""
    from matplotlib.figure import Figure

    from aicredit.models.charts import CHARTS, LOSSES, chart_legend, legend_columns

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


def with_date(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a ``date`` column (``YYYY-MM``, :func:`abm.units.month_label`) right after
    its ``step`` column."""
    df = df.copy()
    dates = [month_label(int(t)) for t in df["step"]]
    df.insert(df.columns.get_loc("step") + 1, "date", pd.Series(dates, index=df.index, dtype=object))
    return df


def _events(events: list[dict], columns) -> pd.DataFrame:
    """An event list as a frame with a date; the header alone when there are none."""
    return with_date(pd.DataFrame(events) if events else pd.DataFrame(columns=list(columns)))


def _write_json(path: Path, record: dict) -> None:
    path.write_text(json.dumps(record, indent=2, default=float) + "\n")


def write_outputs(model, out_dir, *, force: bool = False, command: str | None = None,
                  option_names: tuple[str, str] = ("out_dir", "force=True"),
                  figure_format: str = "png") -> dict:
    """Write the run's results to ``out_dir``; returns :func:`run_summary`.

    Files: ``summary.json``, ``params.json`` (:func:`provenance`), ``model_vars.parquet``,
    ``agent_vars.parquet`` (when the model collected per-agent data), ``defaults.csv``,
    ``loss_events.csv``, ``exposures.csv`` and the report figure (``overview.<figure_format>``,
    :func:`plot_run`). Every time-indexed file has the
    columns ``step`` and ``date``. ``out_dir`` must be absent or empty, or an earlier run's
    results when ``force`` (:func:`models.outdir.check_out_dir`, which raises
    :class:`models.outdir.OutputDirError` otherwise, naming the directory and the override
    as ``option_names`` says); it is written atomically. ``command`` is the command line
    that ran the model, recorded in ``params.json``.
    """
    git = git_state()
    s = run_summary(model, git)

    def write(tmp: Path) -> None:
        mv = model.datacollector.get_model_vars_dataframe()
        with_date(mv).to_parquet(tmp / "model_vars.parquet")
        if model.datacollector.agent_reporters:
            av = model.datacollector.get_agent_vars_dataframe().reset_index()
            av = av.rename(columns={"Step": "step", "AgentID": "agent_id"})
            with_date(av).to_parquet(tmp / "agent_vars.parquet")
        _events(model.default_events, DEFAULT_COLUMNS).to_csv(tmp / "defaults.csv", index=False)
        _events(model.losses.events, LOSS_EVENT_COLUMNS).to_csv(tmp / "loss_events.csv",
                                                                index=False)
        end = pd.DataFrame(exposure_table(model) if model.steps else [], columns=list(EXPOSURE_COLUMNS))
        frames = [f for f in (model.exposures_start, end) if len(f)]
        rows = pd.concat(frames, ignore_index=True) if frames else model.exposures_start
        with_date(rows).to_csv(tmp / "exposures.csv", index=False)
        plot_run(model, tmp, figure_format)
        _write_json(tmp / "summary.json", s)
        files = sorted([*(p.name for p in tmp.iterdir()), MARKER])
        _write_json(tmp / MARKER, {**provenance(model, command=command, git=git), "files": files})

    name, force_name = option_names
    check_out_dir(out_dir, force=force, name=name, force_name=force_name)
    write_atomically(out_dir, write, force=force, name=name, force_name=force_name)
    return s
