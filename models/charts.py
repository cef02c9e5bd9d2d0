"""The charts of a run, defined once: the browser page and the run report draw these.

Each time series is a :class:`Chart`: a title (with units), the y-axis label (with units),
the columns of the model's DataCollector frame it reads, ``draw(ax, frame)`` that plots
them on a matplotlib axes over the calendar month axis (:func:`month_axis`, built from
:func:`abm.units.month_label`), and ``latest(frame)``, a text line of its newest values.
:data:`CHARTS` lists them; :data:`LOSSES` is the panel of who lost what, drawn from
``model.losses.by_category`` rather than the frame.

Conventions every chart keeps, for the page and for a paper: counts (defaults, margin calls,
units fire-sold) on whole-number axes from 0 that never read ``-0``; no offset or scientific
notation over an axis (``1e6``); a panel where nothing happened says so in words (``none:
...``, :data:`NONE_PREFIX`) rather than showing empty axes; thresholds drawn dotted and
named in the legend; a twin axis only where two counts share a month (margin calls and
units fire-sold), both named in one legend.

The browser (:mod:`visualization.live`, :mod:`visualization.components`) shows each chart as
its own figure (:meth:`Chart.figure`); the run report (:func:`models.report.overview_figure`)
lays :data:`CHARTS` and :data:`LOSSES` out on one grid under the run's title. The catalogue
lives in the model layer, below both, so imports point one way (``visualization`` ->
``models`` -> ``abm``) and the headless report never imports the app. This module needs
matplotlib, numpy and pandas only (no Solara, no networkx), so ``aicredit run`` draws its
report without the viz extras installed.
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
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    MultipleLocator,
    NullFormatter,
    ScalarFormatter,
)

from aicredit.abm.units import BN, MONTHS_PER_YEAR, month_label

__all__ = ["SECTOR_ORDER", "SECTOR_COLORS", "SECTOR_LABELS", "fmt_usd", "month_axis",
           "chart_legend", "Chart", "CHARTS", "chart", "LossesChart", "LOSSES", "LOSS_LABELS",
           "losses_figure", "losses_summary", "NONE_PREFIX", "legend_columns"]

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
    """A y tick counting things, short: ``450k``, ``1.2m``, ``300``; never ``-0``."""
    if abs(v) >= 1e4:
        return re.sub(r"\.0(?=[a-z])", "", fmt_usd(v))[1:]
    return f"{round(v) + 0:,.0f}"           # + 0: -0.0 (a tick a hair below zero) prints as 0


def _multiple_tick(v, _=None) -> str:
    """A tick on a log axis of multiples: ``0.02``, ``0.5``, ``1``, ``20``, ``5,000``."""
    return f"{v:,.0f}" if v >= 1 else f"{v:.3g}"


#: Text drawn in a panel where nothing happened (instead of empty axes); it starts every such
#: note, so a reader (and a test) can tell an empty panel from a missing one.
NONE_PREFIX = "none"


def _none(ax, what: str) -> None:
    """Say in the middle of the panel that nothing happened (``none: no ...``)."""
    ax.text(0.5, 0.5, f"{NONE_PREFIX}: {what}", transform=ax.transAxes, ha="center",
            va="center", fontsize=9, color="#666666")


def _count_axis(ax, values) -> None:
    """A y axis of counts: whole-number ticks, from 0, at least 0..1 (never an empty
    ``-0.04..0.04`` axis), and short labels (``450k``) without an offset."""
    v = np.asarray(values, dtype=float)
    top = float(np.nanmax(v)) if v.size and np.isfinite(v).any() else 0.0
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_count_tick))
    ax.set_ylim(0, top * 1.05 if top >= 1 else 1)


def _plain_ticks(ax) -> None:
    """Plain tick labels: no ``1e6`` offset or scientific notation above the axis."""
    fmt = ax.yaxis.get_major_formatter()
    if isinstance(fmt, ScalarFormatter):
        fmt.set_useOffset(False)
        fmt.set_scientific(False)


# --- the month axis -----------------------------------------------------------------------
#: Tick spacings in months, the first that gives at most :data:`MONTH_TICKS` intervals wins.
_TICK_MONTHS = (1, 2, 3, 6, 12, 24, 36, 60, 120, 240, 600, 1200)
MONTH_TICKS = 6


def month_axis(ax, months: float) -> None:
    """The x axis of every chart: model steps (``0..months``) labelled with their calendar
    date, ticks every 1, 2, 3, 6, 12... months. Ticks a whole number of years apart fall on
    Januaries (step 0 is January, :mod:`abm.units`) and are labelled with the year
    (``2027``); closer ticks with the month (``YYYY-MM``, :func:`abm.units.month_label`)."""
    spacing = next((s for s in _TICK_MONTHS if months <= MONTH_TICKS * s), _TICK_MONTHS[-1])
    ax.xaxis.set_major_locator(MultipleLocator(spacing))
    if spacing % MONTHS_PER_YEAR == 0:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: month_label(round(x))[:4]))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: month_label(round(x))))


def _x(df):
    return df["step"].to_numpy() if "step" in df else np.arange(len(df))


def _last(df, col):
    return float(df[col].iloc[-1]) if col in df and len(df) else float("nan")


def _auto_log(ax, values, tick=_multiple_tick) -> None:
    """A log y axis when the values span more than 1000x, its ticks labelled by ``tick`` in
    plain numbers (``300``, not ``10^2.5``): at 1 and 3 times each power of ten up to a span
    of 10^4.5 (so a short span still shows several), at the powers of ten beyond."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and v.max() / max(v.min(), 1e-300) > 1e3:
        decades = math.log10(v.max() / v.min())
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0) if decades <= 4.5 else (1.0,)))
        ax.yaxis.set_major_formatter(FuncFormatter(tick))
        ax.yaxis.set_minor_formatter(NullFormatter())


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


def _threshold(ax, y: float, color: str, label: str) -> None:
    """A threshold as a dotted line, named in the legend."""
    ax.axhline(y, color=color, lw=1.0, ls=":", label=label)


def legend_columns(labels, width_pt: float, fontsize: float) -> int:
    """As many legend columns as fit in ``width_pt`` points. Matplotlib fills the columns
    top to bottom, each as wide as its longest entry (a character about 0.6 of the font size,
    handle and spacing about 4.5 font sizes)."""
    widths = [(0.6 * len(lab) + 4.5) * fontsize for lab in labels]
    for ncol in range(len(widths), 1, -1):
        rows = -(-len(widths) // ncol)
        if sum(max(widths[i:i + rows]) for i in range(0, len(widths), rows)) <= width_pt:
            return ncol
    return 1


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
    drawn as dotted lines), and ``model_options`` gives any options read from the model
    itself (e.g. the vintages' release months), see :meth:`options`.
    """

    key: str
    title: str
    ylabel: str
    plot: Callable[..., list]
    latest: Callable[[pd.DataFrame], str]
    columns: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    model_options: Callable[..., dict] | None = None

    def options(self, model) -> dict:
        """The drawing options this chart takes from ``model`` (its parameters ``model.p``
        and, through ``model_options``, the model itself)."""
        out = {opt: getattr(model.p, name) for opt, name in self.params}
        if self.model_options is not None:
            out.update(self.model_options(model))
        return out

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
        for a in (ax, *twins):
            _plain_ticks(a)
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
        labels = [lab for a in axes for lab in a.get_legend_handles_labels()[1]]
        chart_legend(axes, fontsize=6.5, loc="lower left", frameon=False,
                     bbox_to_anchor=(-0.01, 1.0),
                     ncol=legend_columns(labels, 0.86 * 72 * figsize[0], 6.5),
                     handlelength=1.5, columnspacing=1.0, borderaxespad=0.2)
        if snap:
            for a in axes:
                _snap_ylim(a)
        return fig


def _price_cols(df):
    return sorted((c for c in df if c.startswith("gpu_price_v")), key=lambda c: int(c[11:]))


def _plot_gpu_prices(ax, df, release_steps=None, **_):
    """One line per released vintage, named ``v3 (2025-10)`` by its release month when
    ``release_steps`` (the model's ``gpu_market.release_step``) is given."""
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
            label = (f"v{v} ({month_label(release_steps[v])})"
                     if release_steps is not None and v < len(release_steps) else f"v{v}")
            ax.plot(x, y, color=cmap(i / max(len(cols) - 1, 1)), lw=1.3, label=label)
    ax.set_ylim(bottom=0)


def _gpu_release_steps(model) -> dict:
    return {"release_steps": tuple(int(s) for s in model.gpu_market.release_step)}


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
    calls = df["margin_calls"].to_numpy(dtype=float)
    sold = df["units_fire_sold"].to_numpy(dtype=float)
    ax.bar(x, calls, color="#ff9900", width=0.9, label="margin calls (loans, left)")
    ax2 = _twin(ax, "units fire-sold")
    ax2.plot(x, sold, color="#d62728", lw=1.4,
             label="units fire-sold (right)" + ("" if sold.max(initial=0) > 0 else ": none"))
    _count_axis(ax, calls)
    _count_axis(ax2, sold)
    if calls.max(initial=0) <= 0 and sold.max(initial=0) <= 0:
        _none(ax, "no margin calls, no fire sales")
    return [ax2]


def _latest_fire_sale(df):
    return (f"Margin calls {_last(df, 'margin_calls'):.0f}, units fire-sold "
            f"{_last(df, 'units_fire_sold'):,.0f} (total margin calls {df['margin_calls'].sum():.0f})")


def _plot_defaults(ax, df, **_):
    x = _x(df)
    cols = [f"defaults_{s}" for s in SECTOR_ORDER if f"defaults_{s}" in df]
    ys = [df[c].to_numpy(dtype=float) for c in cols]
    keep = [(c, y) for c, y in zip(cols, ys, strict=True) if y.max(initial=0) > 0]
    if keep:
        ax.stackplot(x, [y for _, y in keep], colors=[SECTOR_COLORS[c[9:]] for c, _ in keep],
                     labels=[SECTOR_LABELS[c[9:]] for c, _ in keep], alpha=0.85)
    else:
        _none(ax, "no institution defaulted")
    _count_axis(ax, np.sum([y for _, y in keep], axis=0) if keep else [0.0])


def _latest_defaults(df):
    parts = [f"{SECTOR_LABELS[s]} {int(_last(df, f'defaults_{s}'))}" for s in SECTOR_ORDER
             if f"defaults_{s}" in df and _last(df, f"defaults_{s}") > 0]
    return f"Defaults {int(_last(df, 'defaults_total')) if 'defaults_total' in df else 0}" + (
        ": " + ", ".join(parts) if parts else " (none)")


def _plot_bank_capital(ax, df, bank_min=None, **_):
    x = _x(df)
    ax.plot(x, df["bank_capital_ratio_mean"] * 100, color="#2ca02c", lw=1.4, label="mean")
    ax.plot(x, df["bank_capital_ratio_min"] * 100, color="#2ca02c", lw=1, ls="--", label="lowest bank")
    if bank_min is not None:
        _threshold(ax, bank_min * 100, "#d62728", f"minimum + conservation buffer ({bank_min:.1%})")


def _latest_bank_capital(df):
    return (f"Bank CET1 ratio mean {_last(df, 'bank_capital_ratio_mean'):.2%}, lowest "
            f"{_last(df, 'bank_capital_ratio_min'):.2%}")


def _plot_insurer_rbc(ax, df, insurer_min=None, **_):
    x = _x(df)
    ax.plot(x, df["insurer_solvency_mean"] * 100, color="#e377c2", lw=1.4, label="mean")
    ax.plot(x, df["insurer_solvency_min"] * 100, color="#e377c2", lw=1, ls="--",
            label="lowest insurer")
    if insurer_min is not None:
        _threshold(ax, insurer_min * 100, "#d62728", f"company action level ({insurer_min:.0%})")


def _latest_insurer_rbc(df):
    return (f"Insurer RBC ratio mean {_last(df, 'insurer_solvency_mean'):.0%}, lowest "
            f"{_last(df, 'insurer_solvency_min'):.0%} of authorised control level")


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
                    alpha=0.3, label="p10-p90 of cohorts")
    ax.plot(x, df["savers_401k_mean_usd"], color="black", lw=1.5, label="mean")
    ax.yaxis.set_major_formatter(FuncFormatter(_usd_tick))
    _auto_log(ax, np.r_[df["savers_401k_p10_usd"], df["savers_401k_p90_usd"]], tick=_usd_tick)


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
    ax.axhline(1.0, color="grey", lw=0.8, ls=":", label="month 0 level")
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
    Chart("gpu_prices", "GPU price per vintage, by release month (k USD per unit)",
          "k USD per unit", _plot_gpu_prices, _latest_gpu, ("gpu_newest_vintage", "gpu_price_v0"),
          model_options=_gpu_release_steps),
    Chart("fire_sale", "Margin calls (loans) and units fire-sold per month",
          "margin calls (loans)", _plot_fire_sale, _latest_fire_sale,
          ("margin_calls", "units_fire_sold")),
    Chart("defaults", "Defaults by sector (institutions, cumulative)", "institutions defaulted",
          _plot_defaults, _latest_defaults, ("defaults_total",)),
    Chart("bank_capital", "Bank CET1 capital ratio (% of risk-weighted assets) [R10]",
          "% of risk-weighted assets", _plot_bank_capital, _latest_bank_capital,
          ("bank_capital_ratio_min", "bank_capital_ratio_mean"), (("bank_min", "bank_capital_min"),)),
    Chart("insurer_rbc", "Insurer RBC ratio (% of authorised control level) [R18]",
          "% of authorised control level", _plot_insurer_rbc, _latest_insurer_rbc,
          ("insurer_solvency_min", "insurer_solvency_mean"),
          (("insurer_min", "insurer_solvency_min"),)),
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
               "lp_401k": "401(k) savers (as fund LPs)",
               "lp_wealth": "Wealth investors (semi-liquid funds)", "banks": "Banks", "insurers": "Insurers",
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
            _none(ax, "no losses")
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
