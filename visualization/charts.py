"""The charts of a run, defined once: the browser page and the run report draw these.

Each time series is a :class:`Chart`: a title (with units), the y-axis label (with units),
the columns of the model's DataCollector frame it reads, ``draw(ax, frame)`` that plots
them on a matplotlib axes over the calendar month axis (:func:`month_axis`, built from
:func:`abm.units.month_label`), and ``latest(frame)``, a text line of its newest values.
:data:`CHARTS` lists them; :data:`LOSSES` is the panel of who lost what, drawn from
``model.losses.by_category`` rather than the frame.

The browser (:mod:`visualization.live`, :mod:`visualization.components`) shows each chart as
its own figure (:meth:`Chart.figure`); the run report (:func:`models.report.plot_run`) lays
:data:`CHARTS` and :data:`LOSSES` out on one grid. This module needs matplotlib, numpy and
pandas only (no Solara, no networkx), so ``aicredit run`` draws its report without the
viz extras installed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

from abm.units import BN, month_label

__all__ = ["SECTOR_ORDER", "SECTOR_COLORS", "SECTOR_LABELS", "fmt_usd", "month_axis",
           "chart_legend", "Chart", "CHARTS", "chart", "LossesChart", "LOSSES", "LOSS_LABELS",
           "losses_figure", "losses_summary"]

#: Sectors in the order the money goes round the circle [F10-F14].
SECTOR_ORDER = ("chipmaker", "ai_lab", "hyperscaler", "neocloud", "spv", "private_credit",
                "bank", "insurer", "saver_401k")
SECTOR_LABELS = {"chipmaker": "Chipmaker", "ai_lab": "AI labs", "hyperscaler": "Hyperscalers",
                 "neocloud": "Neoclouds", "spv": "SPVs", "private_credit": "Private credit",
                 "bank": "Banks", "insurer": "Insurers", "saver_401k": "401(k) savers"}
SECTOR_COLORS = {"chipmaker": "#76b900", "ai_lab": "#9467bd", "hyperscaler": "#1f77b4",
                 "neocloud": "#17becf", "spv": "#8c564b", "private_credit": "#ff7f0e",
                 "bank": "#2ca02c", "insurer": "#e377c2", "saver_401k": "#7f7f7f"}


def fmt_usd(x: float) -> str:
    """``$1.2tn``, ``$45.0bn``, ``$3.1m``, ``$950``."""
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    for div, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= div:
            return f"${x / div:,.1f}{unit}"
    return f"${x:,.0f}"


def _usd_tick(v, _=None) -> str:
    """A y tick in USD, short: ``$50bn``, ``$12.5m``."""
    return re.sub(r"\.0(?=[a-z])", "", fmt_usd(v))


def _count_tick(v, _=None) -> str:
    """A y tick counting things, short: ``450k``, ``1.2m``, ``300``."""
    return re.sub(r"\.0(?=[a-z])", "", fmt_usd(v))[1:] if abs(v) >= 1e4 else f"{v:,.0f}"


# --- the month axis -----------------------------------------------------------------------
#: Tick spacings in months, the first that gives at most :data:`MONTH_TICKS` intervals wins.
_TICK_MONTHS = (1, 2, 3, 6, 12, 24, 36, 60, 120, 240, 600, 1200)
MONTH_TICKS = 6


def month_axis(ax, months: float) -> None:
    """The x axis of every chart: model steps (``0..months``) labelled with their calendar
    month (``YYYY-MM``, :func:`abm.units.month_label`), ticks every 1, 2, 3, 6, 12... months
    (a whole year apart on a run of several years)."""
    spacing = next((s for s in _TICK_MONTHS if months <= MONTH_TICKS * s), _TICK_MONTHS[-1])
    ax.xaxis.set_major_locator(MultipleLocator(spacing))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: month_label(round(x))))


def _x(df):
    return df["step"].to_numpy() if "step" in df else np.arange(len(df))


def _last(df, col):
    return float(df[col].iloc[-1]) if col in df and len(df) else float("nan")


def _auto_log(ax, values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and v.max() / max(v.min(), 1e-300) > 1e3:
        ax.set_yscale("log")


def _snap_ylim(ax) -> None:
    """Round the y-limits out to the axis's own tick values (decades on a log axis)."""
    lo, hi = ax.get_ylim()
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return
    if ax.get_yscale() == "log":
        ax.set_ylim(10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi)))
        return
    ticks = ax.yaxis.get_major_locator().tick_values(lo, hi)
    below, above = ticks[ticks <= lo + 1e-12 * abs(lo)], ticks[ticks >= hi - 1e-12 * abs(hi)]
    ax.set_ylim(below.max() if below.size else lo, above.min() if above.size else hi)


def _twin(ax, ylabel: str):
    """A second y axis on the right, styled like the first."""
    ax2 = ax.twinx()
    ax2.tick_params(labelsize=7)
    ax2.yaxis.set_major_locator(MaxNLocator(5))
    ax2.set_ylabel(ylabel, fontsize=7)
    return ax2


def chart_legend(axes, **kwargs):
    """One legend on ``axes[0]`` for the series of all ``axes`` (a chart and its twin);
    None when nothing is labelled."""
    handles, labels = [], []
    for a in axes:
        h, lab = a.get_legend_handles_labels()
        handles += h
        labels += lab
    return axes[0].legend(handles, labels, **kwargs) if handles else None


# --- time series --------------------------------------------------------------------------
@dataclass(frozen=True)
class Chart:
    """A time-series panel of the model's DataCollector frame (see the module docstring).

    ``plot(ax, frame, **options)`` draws the series and returns any twin axes it made;
    ``params`` maps ``plot``'s options to the model parameters they come from (thresholds
    drawn as dotted lines), see :meth:`options`.
    """

    key: str
    title: str
    ylabel: str
    plot: Callable[..., list]
    latest: Callable[[pd.DataFrame], str]
    columns: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()

    def options(self, p) -> dict:
        """The drawing options this chart takes from the model parameters ``p``."""
        return {opt: getattr(p, name) for opt, name in self.params}

    def draw(self, ax, df: pd.DataFrame, x_max: float | None = None, **options) -> list:
        """Draw the chart on ``ax``; returns the axes drawn on (``ax`` and any twin).

        ``x_max`` fixes the month axis at ``0..x_max`` (the run's length); without it the
        axis spans the frame. ``options`` go to ``plot`` (see :meth:`options`).
        """
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(alpha=0.3)
        ax.set_axisbelow(True)
        twins = self.plot(ax, df, **options) or []
        ax.set_ylabel(self.ylabel, fontsize=7)
        last = float(_x(df).max()) if len(df) else 0.0
        if x_max is not None:
            ax.set_xlim(-0.5, max(float(x_max), last) + 0.5)
        month_axis(ax, last if x_max is None else max(float(x_max), last))
        return [ax, *twins]

    def figure(self, df: pd.DataFrame, figsize=(5.0, 2.5), title: bool = False,
               x_max: float | None = None, snap: bool = False, **options) -> Figure:
        """The chart as a figure of its own (the browser's); ``options`` go to ``plot``.

        The app shows the title as page text (faster to draw, and searchable), so the
        figure carries it only when ``title`` is true. The legend sits in a strip above the
        axes (never over the data). ``x_max`` fixes the month axis and ``snap`` rounds the
        y-limits out to tick values, so axes, ticks and legend stay the same from one step
        to the next and the page can redraw only the data (see :mod:`visualization.live`).
        """
        fig = Figure(figsize=figsize)
        top = 0.72 if title else 0.80
        ax = fig.add_axes((0.12, 0.15, 0.76, top - 0.15))
        if title:
            ax.set_title(self.title, fontsize=10, pad=24)          # above the legend strip
        axes = self.draw(ax, df, x_max=x_max, **options)
        n = sum(len(a.get_legend_handles_labels()[0]) for a in axes)
        width = sum(len(lab) for a in axes for lab in a.get_legend_handles_labels()[1])
        chart_legend(axes, fontsize=6.5, loc="lower left", frameon=False,
                     bbox_to_anchor=(-0.01, 1.0), ncol=n if width <= 60 else math.ceil(n / 2),
                     handlelength=1.5, columnspacing=1.0, borderaxespad=0.2)
        if snap:
            for a in axes:
                _snap_ylim(a)
        return fig


def _price_cols(df):
    return sorted((c for c in df if c.startswith("gpu_price_v")), key=lambda c: int(c[11:]))


def _plot_gpu_prices(ax, df, **_):
    x = _x(df)
    newest = df["gpu_newest_vintage"].to_numpy() if "gpu_newest_vintage" in df else None
    cmap = matplotlib.colormaps["viridis"]
    cols = _price_cols(df)
    for i, c in enumerate(cols):
        v = int(c[11:])
        y = df[c].to_numpy(dtype=float) / 1e3
        if newest is not None:
            y = np.where(newest >= v, y, np.nan)       # not released yet
        if np.isfinite(y).any():
            ax.plot(x, y, color=cmap(i / max(len(cols) - 1, 1)), lw=1.3, label=f"v{v}")


def _latest_gpu(df):
    if not len(df):
        return "GPU price: no data"
    newest = (int(df["gpu_newest_vintage"].iloc[-1]) if "gpu_newest_vintage" in df
              else len(_price_cols(df)) - 1)
    parts = [f"v{v} {fmt_usd(_last(df, f'gpu_price_v{v}'))}" for v in range(newest + 1)
             if f"gpu_price_v{v}" in df]
    return "GPU price per vintage: " + ", ".join(parts)


def _plot_fire_sale(ax, df, **_):
    x = _x(df)
    ax.bar(x, df["margin_calls"], color="#ff9900", width=0.9, label="margin calls")
    ax2 = _twin(ax, "units fire-sold")
    ax2.plot(x, df["units_fire_sold"], color="#d62728", lw=1.4, label="units fire-sold")
    ax2.yaxis.set_major_formatter(FuncFormatter(_count_tick))
    return [ax2]


def _latest_fire_sale(df):
    return (f"Margin calls {_last(df, 'margin_calls'):.0f}, units fire-sold "
            f"{_last(df, 'units_fire_sold'):,.0f} (total margin calls {df['margin_calls'].sum():.0f})")


def _plot_defaults(ax, df, **_):
    x = _x(df)
    cols = [f"defaults_{s}" for s in SECTOR_ORDER if f"defaults_{s}" in df]
    ys = [df[c].to_numpy(dtype=float) for c in cols]
    any_default = any(y.max() > 0 for y in ys) if ys else False
    if any_default:
        keep = [(c, y) for c, y in zip(cols, ys, strict=True) if y.max() > 0]
        ax.stackplot(x, [y for _, y in keep], colors=[SECTOR_COLORS[c[9:]] for c, _ in keep],
                     labels=[SECTOR_LABELS[c[9:]] for c, _ in keep], alpha=0.85)
    else:
        ax.plot(x, np.zeros(len(x)), color="grey", lw=1, label="no defaults yet")
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.set_ylim(0, None if any_default else 1)


def _latest_defaults(df):
    parts = [f"{SECTOR_LABELS[s]} {int(_last(df, f'defaults_{s}'))}" for s in SECTOR_ORDER
             if f"defaults_{s}" in df and _last(df, f"defaults_{s}") > 0]
    return f"Defaults {int(_last(df, 'defaults_total')) if 'defaults_total' in df else 0}" + (
        ": " + ", ".join(parts) if parts else " (none)")


def _plot_capital(ax, df, bank_min=None, insurer_min=None, **_):
    x = _x(df)
    ax.plot(x, df["bank_capital_ratio_mean"] * 100, color="#2ca02c", lw=1.4, label="bank CET1 mean")
    ax.plot(x, df["bank_capital_ratio_min"] * 100, color="#2ca02c", lw=1, ls="--", label="bank CET1 min")
    ax2 = _twin(ax, "insurer solvency (x required)")
    ax2.plot(x, df["insurer_solvency_mean"], color="#e377c2", lw=1.4, label="insurer solvency mean")
    ax2.plot(x, df["insurer_solvency_min"], color="#e377c2", lw=1, ls="--", label="insurer solvency min")
    if bank_min is not None:
        ax.axhline(bank_min * 100, color="#2ca02c", lw=0.8, ls=":")
    if insurer_min is not None:
        ax2.axhline(insurer_min, color="#e377c2", lw=0.8, ls=":")
    return [ax2]


def _latest_capital(df):
    return (f"Bank capital ratio mean {_last(df, 'bank_capital_ratio_mean'):.2%} / min "
            f"{_last(df, 'bank_capital_ratio_min'):.2%}; insurer solvency mean "
            f"{_last(df, 'insurer_solvency_mean'):.2f} / min {_last(df, 'insurer_solvency_min'):.2f}")


def _plot_nav(ax, df, **_):
    x = _x(df)
    ax.plot(x, df["pc_reported_nav_usd"] / BN, color="#ff7f0e", lw=1.5, label="reported NAV")
    ax.plot(x, df["pc_true_nav_usd"] / BN, color="#8c564b", lw=1.5, ls="--", label="true NAV")


def _latest_nav(df):
    r, t = _last(df, "pc_reported_nav_usd"), _last(df, "pc_true_nav_usd")
    gap = (r - t) / t if t else float("nan")
    return f"Private credit NAV reported {fmt_usd(r)}, true {fmt_usd(t)} (gap {gap:+.1%})"


def _plot_savers(ax, df, **_):
    x = _x(df)
    ax.fill_between(x, df["savers_401k_p10_usd"], df["savers_401k_p90_usd"], color="#7f7f7f",
                    alpha=0.3, label="p10-p90")
    ax.plot(x, df["savers_401k_mean_usd"], color="black", lw=1.5, label="mean")
    _auto_log(ax, np.r_[df["savers_401k_p10_usd"], df["savers_401k_p90_usd"]])
    ax.yaxis.set_major_formatter(FuncFormatter(_usd_tick))


def _latest_savers(df):
    return (f"401(k) balance per cohort mean {fmt_usd(_last(df, 'savers_401k_mean_usd'))} "
            f"(p10 {fmt_usd(_last(df, 'savers_401k_p10_usd'))}, p90 "
            f"{fmt_usd(_last(df, 'savers_401k_p90_usd'))})")


def _demand_multiple(df):
    d = df["ai_demand_usd_per_month"].to_numpy(dtype=float)
    return d / d[0] if d.size and d[0] else np.full(d.shape, np.nan)


def _plot_ai(ax, df, **_):
    x = _x(df)
    demand = _demand_multiple(df)
    ax.plot(x, df["ai_index"], color="#9467bd", lw=1.5, label="AI index")
    ax.plot(x, df["ai_sentiment"], color="#1f77b4", lw=1.2, ls="--", label="sentiment")
    ax.plot(x, demand, color="#76b900", lw=1.2, label="AI demand")
    ax.axhline(1.0, color="grey", lw=0.7, ls=":")
    _auto_log(ax, np.r_[df["ai_index"], df["ai_sentiment"], demand])


def _latest_ai(df):
    v = _last(df, "ai_index")
    peak = float(df["ai_index"].max()) if "ai_index" in df and len(df) else float("nan")
    demand = _demand_multiple(df)
    return (f"AI index {v:,.3g} (peak {peak:,.3g}, from peak {v / peak - 1:+.1%}); sentiment "
            f"{_last(df, 'ai_sentiment'):,.3g}; AI demand "
            f"{demand[-1] if demand.size else float('nan'):,.3g}x month 0")


def _plot_leverage(ax, df, **_):
    x = _x(df)
    ax.plot(x, df["hyperscaler_reported_leverage"], color="#1f77b4", lw=1.5, label="reported")
    ax.plot(x, df["hyperscaler_consolidated_leverage"], color="#8c564b", lw=1.5, ls="--",
            label="SPVs consolidated")


def _latest_leverage(df):
    return (f"Hyperscaler leverage reported {_last(df, 'hyperscaler_reported_leverage'):.3f}, "
            f"consolidated {_last(df, 'hyperscaler_consolidated_leverage'):.3f}")


CHARTS: tuple[Chart, ...] = (
    Chart("gpu_prices", "GPU price per vintage (k USD per unit)", "k USD per unit",
          _plot_gpu_prices, _latest_gpu, ("gpu_newest_vintage", "gpu_price_v0")),
    Chart("fire_sale", "Margin calls (loans) and units fire-sold per month",
          "margin calls (loans)", _plot_fire_sale, _latest_fire_sale,
          ("margin_calls", "units_fire_sold")),
    Chart("defaults", "Defaults by sector (institutions, cumulative)", "institutions failed",
          _plot_defaults, _latest_defaults, ("defaults_total",)),
    Chart("capital", "Bank capital ratio (%) and insurer solvency (x required)",
          "bank capital ratio (%)", _plot_capital, _latest_capital,
          ("bank_capital_ratio_min", "bank_capital_ratio_mean", "insurer_solvency_min",
           "insurer_solvency_mean"),
          (("bank_min", "bank_capital_min"), ("insurer_min", "insurer_solvency_min"))),
    Chart("nav", "Private credit NAV: reported vs true (bn USD) [F30]", "bn USD", _plot_nav,
          _latest_nav, ("pc_reported_nav_usd", "pc_true_nav_usd")),
    Chart("savers", "401(k) balance per saver cohort (USD)", "USD per cohort", _plot_savers,
          _latest_savers, ("savers_401k_mean_usd", "savers_401k_p10_usd", "savers_401k_p90_usd")),
    Chart("ai_index", "AI demand, sentiment and AI stock index (x month 0)", "x month 0",
          _plot_ai, _latest_ai, ("ai_index", "ai_sentiment", "ai_demand_usd_per_month")),
    Chart("leverage", "Hyperscaler leverage: reported vs consolidated (debt / equity) [F20]",
          "debt / equity (mean)", _plot_leverage, _latest_leverage,
          ("hyperscaler_reported_leverage", "hyperscaler_consolidated_leverage")),
)


def chart(key: str) -> Chart:
    """The :class:`Chart` called ``key``."""
    for c in CHARTS:
        if c.key == key:
            return c
    raise KeyError(f"no chart {key!r} (known: {', '.join(c.key for c in CHARTS)})")


# --- who lost what ------------------------------------------------------------------------
LOSS_LABELS = {"firm_shareholders": "Firm shareholders", "lp_insurers": "Insurers (as fund LPs)",
               "lp_pensions_endowments": "Pensions & endowments (LPs)",
               "lp_401k": "401(k) savers (as fund LPs)", "banks": "Banks", "insurers": "Insurers",
               "savers_401k": "401(k) savers", "bond_abs_investors": "Bond & ABS investors",
               "deposit_insurance": "Deposit insurance", "other_outside": "Other outside"}


@dataclass(frozen=True)
class LossesChart:
    """Losses by ultimate holder so far (``model.losses.by_category``), as horizontal bars."""

    key: str = "losses"
    title: str = "Who lost what (bn USD, by ultimate holder, cumulative)"
    xlabel: str = "bn USD"

    def draw(self, ax, by_category: dict[str, float]) -> None:
        ax.tick_params(labelsize=7)
        cats = list(LOSS_LABELS) + [c for c in by_category if c not in LOSS_LABELS]
        vals = np.array([float(by_category.get(c, 0.0)) for c in cats]) / BN
        y = np.arange(len(cats))
        ax.barh(y, vals, color=["#d62728" if v > 0 else "#cccccc" for v in vals])
        ax.set_yticks(y, [LOSS_LABELS.get(c, c) for c in cats])
        ax.invert_yaxis()
        ax.set_xlabel(self.xlabel, fontsize=7)
        ax.grid(axis="x", alpha=0.3)
        if vals.max() <= 0:
            ax.set_xlim(0, 1)
            ax.text(0.5, len(cats) / 2, "no losses yet", ha="center", va="center", fontsize=9,
                    color="grey")
        else:
            for yi, v in zip(y, vals, strict=True):
                if v > 0:
                    ax.text(v, yi, f" {v:,.1f}", va="center", fontsize=6.5)
            ax.set_xlim(0, vals.max() * 1.25)

    def latest(self, by_category: dict[str, float]) -> str:
        total = sum(float(v) for v in by_category.values())
        top = sorted(((float(v), k) for k, v in by_category.items() if v > 0), reverse=True)[:3]
        return f"Losses {fmt_usd(total)}" + (
            ": " + ", ".join(f"{LOSS_LABELS.get(k, k)} {fmt_usd(v)}" for v, k in top)
            if top else " (none yet)")


LOSSES = LossesChart()


def losses_figure(by_category: dict[str, float], *, title: str | None = None,
                  figsize=(5.0, 2.5)) -> Figure:
    """:data:`LOSSES` as a figure of its own (the browser's)."""
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.36, 0.15, 0.58, 0.8 if title else 0.82))
    if title:
        ax.set_title(title, fontsize=10)
    LOSSES.draw(ax, by_category)
    return fig


def losses_summary(by_category: dict[str, float]) -> str:
    """One line: total losses and the three largest holders (:meth:`LossesChart.latest`)."""
    return LOSSES.latest(by_category)
