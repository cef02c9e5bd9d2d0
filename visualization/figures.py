"""Pure figure builders for the browser view: model or data in, matplotlib figure out.

Nothing here imports Solara, so the tests (and notebooks) can call every builder without a
browser. The Solara components in :mod:`visualization.components` wrap these.

- :func:`exposure_graph` / :func:`network_figure`: the exposure network. Institutions are
  nodes placed on a ring, one arc per sector in the order money flows round the circle
  (chipmaker -> AI labs -> hyperscalers -> neoclouds -> SPVs -> private credit -> banks ->
  insurers -> 401(k) savers), sized by balance sheet, coloured by sector and marked when
  distressed, margin-called or defaulted. Edges are claims (holder -> issuer, GPU-backed
  loans aggregated per fund and neocloud) weighted by exposure; red edges are losses booked
  from a failed issuer onto its holders, so a failure is seen travelling along the web.
- :data:`CHARTS`: the time series (one :class:`Chart` per panel, each with a
  ``figure(df)`` builder and a ``latest(df)`` text line of its newest values).
- :func:`losses_figure`: who lost what, by ultimate holder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import matplotlib

matplotlib.use("Agg")            # headless: never open a window (the server has no display)

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

__all__ = ["SECTOR_ORDER", "SECTOR_COLORS", "SECTOR_LABELS", "SAVERS_NODE", "STATUS_LABELS",
           "node_status", "exposure_graph", "network_figure", "network_summary", "Chart",
           "CHARTS", "chart", "losses_figure", "losses_summary", "LOSS_LABELS", "fmt_usd",
           "figure_png"]

#: Sectors in the order the money goes round the circle [F10-F14].
SECTOR_ORDER = ("chipmaker", "ai_lab", "hyperscaler", "neocloud", "spv", "private_credit",
                "bank", "insurer", "saver_401k")
SECTOR_LABELS = {"chipmaker": "Chipmaker", "ai_lab": "AI labs", "hyperscaler": "Hyperscalers",
                 "neocloud": "Neoclouds", "spv": "SPVs", "private_credit": "Private credit",
                 "bank": "Banks", "insurer": "Insurers", "saver_401k": "401(k) savers"}
SECTOR_COLORS = {"chipmaker": "#76b900", "ai_lab": "#9467bd", "hyperscaler": "#1f77b4",
                 "neocloud": "#17becf", "spv": "#8c564b", "private_credit": "#ff7f0e",
                 "bank": "#2ca02c", "insurer": "#e377c2", "saver_401k": "#7f7f7f"}
#: The one node that stands for all 401(k) saver cohorts (there can be 100,000 of them).
SAVERS_NODE = "401(k) savers"
STATUS_LABELS = {"ok": "healthy", "distressed": "distressed", "margin_called": "margin-called",
                 "defaulted": "defaulted"}
_STATUS_EDGE = {"ok": ("white", 0.6), "distressed": ("#d62728", 2.2),
                "margin_called": ("#ff9900", 3.0), "defaulted": ("black", 1.5)}
#: Above this many institutions only the largest are labelled (text is slow to draw).
MAX_LABELS = 40


def fmt_usd(x: float) -> str:
    """``$1.2tn``, ``$45.0bn``, ``$3.1m``, ``$950``."""
    if x is None or not np.isfinite(x):
        return "n/a"
    a = abs(x)
    for div, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= div:
            return f"${x / div:,.1f}{unit}"
    return f"${x:,.0f}"


def figure_png(fig: Figure, dpi: int = 72) -> bytes:
    """Render a figure to PNG bytes (what the browser shows)."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# --- the exposure network -----------------------------------------------------------------
def node_status(model) -> dict[str, str]:
    """``ok``, ``distressed``, ``margin_called`` or ``defaulted`` for every institution.

    Distressed: equity at or below zero, below half its value at step 0 (when the model
    records ``initial_equity_usd``), a bank under its minimum capital ratio, or an insurer
    under its solvency threshold. Margin-called: a neocloud margin-called this month.
    """
    p = model.p
    initial = getattr(model, "initial_equity_usd", {}) or {}
    called = getattr(model, "margin_called_names", set()) or set()
    out = {}
    for a in model.institutions:
        if a.defaulted:
            out[a.name] = "defaulted"
            continue
        if a.name in called:
            out[a.name] = "margin_called"
            continue
        eq = a.equity_usd()
        distressed = eq <= 0
        e0 = initial.get(a.name)
        if e0 is not None and e0 > 0 and eq < 0.5 * e0:
            distressed = True
        if a.sector == "bank" and a.capital_ratio() < p.bank_capital_min:
            distressed = True
        if a.sector == "insurer" and a.solvency_ratio() < p.insurer_solvency_min:
            distressed = True
        out[a.name] = "distressed" if distressed else "ok"
    return out


def _node_key(party) -> str | None:
    sector = getattr(party, "sector", "outside")
    if sector == "saver_401k":
        return SAVERS_NODE
    if sector == "outside":
        return None
    return party.name


def exposure_graph(model, *, recent_months: int = 3) -> nx.DiGraph:
    """The exposure network as a directed graph (edge holder -> issuer).

    Node attributes: ``sector``, ``assets_usd`` (balance sheet), ``equity_usd``, ``status``.
    Edge attributes: ``exposure_usd`` (open claims' value, GPU-backed loans included),
    ``loss_usd`` (losses the holder booked on the issuer so far) and ``recent_loss_usd``
    (of which in the last ``recent_months``). Savers are one aggregate node; outside parties
    (bond markets, shareholders at large) are left out.
    """
    g = nx.DiGraph()
    status = node_status(model)
    for a in model.institutions:
        g.add_node(a.name, sector=a.sector, assets_usd=max(float(a.total_assets_usd()), 0.0),
                   equity_usd=float(a.equity_usd()), status=status[a.name])
    savers = getattr(model, "savers", [])
    if len(savers):
        balances = getattr(model, "saver_balances", None)
        total = float(np.sum(balances)) if balances is not None else 0.0
        g.add_node(SAVERS_NODE, sector="saver_401k", assets_usd=max(total, 0.0), equity_usd=total,
                   status="ok", cohorts=len(savers))

    def add(u, v, key, amount):
        if u is None or v is None or u == v or not (amount > 0) or u not in g or v not in g:
            return
        if g.has_edge(u, v):
            g[u][v][key] = g[u][v].get(key, 0.0) + amount
        else:
            g.add_edge(u, v, exposure_usd=0.0, loss_usd=0.0, recent_loss_usd=0.0)
            g[u][v][key] = amount

    for c in model.claims.all:
        if c.closed:
            continue
        add(_node_key(c.holder), _node_key(c.issuer), "exposure_usd", float(c.value_usd()))
    book = getattr(model, "gpu_loans", None)
    if book is not None and len(book.active):
        funds, neoclouds = model.funds, model.neoclouds
        act = np.flatnonzero(book.active & (book.lender < len(funds)))
        if act.size:
            key = book.lender[act].astype(np.int64) * len(neoclouds) + book.borrower[act]
            sums = np.bincount(key, weights=book.debt[act], minlength=len(funds) * len(neoclouds))
            for k in np.flatnonzero(sums > 0):
                add(funds[k // len(neoclouds)].name, neoclouds[k % len(neoclouds)].name,
                    "exposure_usd", float(sums[k]))
    by_name = {a.name: a for a in model.institutions}
    for e in model.losses.events:
        holder = SAVERS_NODE if e["holder_sector"] == "saver_401k" else (
            e["holder"] if e["holder"] in by_name else None)
        issuer = e["issuer"] if e["issuer"] in by_name else None
        add(holder, issuer, "loss_usd", float(e["amount_usd"]))
        if e["step"] > model.steps - recent_months:
            add(holder, issuer, "recent_loss_usd", float(e["amount_usd"]))
    return g


def _ring_layout(g: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """One arc per sector round a circle, in :data:`SECTOR_ORDER`; arcs sized by node count."""
    groups = {s: [] for s in SECTOR_ORDER}
    for n, d in g.nodes(data=True):
        groups.setdefault(d["sector"], []).append(n)
    present = [s for s in groups if groups[s]]
    weights = np.array([math.sqrt(len(groups[s])) + 1.0 for s in present])
    spans = 2 * math.pi * weights / weights.sum()
    pos, start = {}, math.pi / 2
    for s, span in zip(present, spans):
        nodes = sorted(groups[s], key=lambda n: -g.nodes[n]["assets_usd"]) if len(groups[s]) > 60 else groups[s]
        k = len(nodes)
        gap = 0.12 * span
        for i, n in enumerate(nodes):
            theta = start - gap / 2 - (span - gap) * ((i + 0.5) / k)
            r = 1.0 if k <= 12 else 1.0 - 0.18 * (i % 3)
            pos[n] = (r * math.cos(theta), r * math.sin(theta))
        start -= span
    return pos


def network_figure(model_or_graph, *, title: str | None = None, figsize=(7.0, 6.0)) -> Figure:
    """Draw the exposure network (see the module docstring) and return the figure."""
    g = model_or_graph if isinstance(model_or_graph, nx.Graph) else exposure_graph(model_or_graph)
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.93 if title else 1.0))
    ax.set_axis_off()
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    if title:
        fig.suptitle(title, fontsize=11)
    if g.number_of_nodes() == 0:
        ax.text(0, 0, "no institutions", ha="center", va="center")
        return fig
    pos = _ring_layout(g)
    edges = list(g.edges(data=True))
    # exposure edges, width by sqrt of exposure, coloured by the holder's sector
    exp = [(u, v, d["exposure_usd"]) for u, v, d in edges if d["exposure_usd"] > 0]
    if exp:
        top = max(w for _, _, w in exp)
        segs = [(pos[u], pos[v]) for u, v, _ in exp]
        widths = [0.3 + 3.5 * math.sqrt(w / top) for _, _, w in exp]
        colors = [matplotlib.colors.to_rgba(SECTOR_COLORS.get(g.nodes[u]["sector"], "grey"), 0.35)
                  for u, _, _ in exp]
        ax.add_collection(LineCollection(segs, linewidths=widths, colors=colors, zorder=1))
    # losses: red, brighter when booked in the last months
    loss = [(u, v, d["loss_usd"], d["recent_loss_usd"]) for u, v, d in edges if d["loss_usd"] > 0]
    if loss:
        top = max(w for _, _, w, _ in loss)
        segs = [(pos[v], pos[u]) for u, v, _, _ in loss]
        widths = [0.8 + 4.0 * math.sqrt(w / top) for _, _, w, _ in loss]
        colors = [(0.84, 0.15, 0.16, 0.95) if r > 0 else (0.55, 0.1, 0.1, 0.45) for _, _, _, r in loss]
        ax.add_collection(LineCollection(segs, linewidths=widths, colors=colors, linestyles="-",
                                         zorder=2))
    names = list(g.nodes)
    data = [g.nodes[n] for n in names]
    xy = np.array([pos[n] for n in names])
    assets = np.array([d["assets_usd"] for d in data])
    amax = assets.max() if assets.size and assets.max() > 0 else 1.0
    sizes = 25 + 850 * np.sqrt(assets / amax)
    status = [d["status"] for d in data]
    face = [("#dddddd" if s == "defaulted" else SECTOR_COLORS.get(d["sector"], "grey"))
            for s, d in zip(status, data)]
    edgec = [_STATUS_EDGE[s][0] for s in status]
    lw = [_STATUS_EDGE[s][1] for s in status]
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=face, edgecolors=edgec, linewidths=lw, zorder=3)
    dead = np.array([s == "defaulted" for s in status])
    if dead.any():
        ax.scatter(xy[dead, 0], xy[dead, 1], s=sizes[dead] * 0.5, marker="x", c="black",
                   linewidths=2.0, zorder=4)
    order = np.argsort(-assets)
    label_set = set(order[:MAX_LABELS]) if len(names) > MAX_LABELS else set(range(len(names)))
    for i in sorted(label_set):
        x, y = xy[i]
        r = math.hypot(x, y) or 1.0
        ax.text(x * (1 + 0.1 / r), y * (1 + 0.1 / r), names[i], fontsize=6.5, zorder=5,
                ha="left" if x > 0.05 else ("right" if x < -0.05 else "center"), va="center",
                color="black" if status[i] != "defaulted" else "#888888")
    # sector and status legends
    sectors = [s for s in SECTOR_ORDER if any(d["sector"] == s for d in data)]
    handles = [Line2D([], [], marker="o", ls="", color=SECTOR_COLORS[s], label=SECTOR_LABELS[s])
               for s in sectors]
    handles += [Line2D([], [], marker="o", ls="", mfc="#cccccc", mec=_STATUS_EDGE[s][0],
                       mew=_STATUS_EDGE[s][1], label=STATUS_LABELS[s])
                for s in ("distressed", "margin_called")]
    handles += [Line2D([], [], marker="x", ls="", color="black", label="defaulted"),
                Line2D([], [], color=(0.84, 0.15, 0.16), lw=2, label="loss (recent: bright)")]
    ax.legend(handles=handles, loc="lower left", fontsize=6.5, frameon=False, ncol=2,
              bbox_to_anchor=(-0.02, -0.04))
    return fig


def network_summary(model_or_graph) -> str:
    """One line: counts by status, number of exposure edges and total losses drawn."""
    g = model_or_graph if isinstance(model_or_graph, nx.Graph) else exposure_graph(model_or_graph)
    counts = {s: 0 for s in STATUS_LABELS}
    for _, d in g.nodes(data=True):
        counts[d["status"]] += 1
    n_exp = sum(1 for _, _, d in g.edges(data=True) if d["exposure_usd"] > 0)
    loss = sum(d["loss_usd"] for _, _, d in g.edges(data=True))
    return (f"Network: {g.number_of_nodes()} nodes, {n_exp} exposure edges; "
            + ", ".join(f"{counts[s]} {STATUS_LABELS[s]}" for s in STATUS_LABELS)
            + f"; losses along edges {fmt_usd(loss)}")


# --- time series --------------------------------------------------------------------------
@dataclass(frozen=True)
class Chart:
    """A time-series panel: ``draw(ax, df)`` plots it, ``latest(df)`` says its newest values."""

    key: str
    title: str
    draw: Callable[..., None]
    latest: Callable[[pd.DataFrame], str]
    columns: tuple[str, ...] = ()

    def figure(self, df: pd.DataFrame, figsize=(5.0, 2.5), title: bool = False,
               x_max: float | None = None, snap: bool = False, **options) -> Figure:
        """The panel as a figure; ``options`` go to ``draw`` (e.g. thresholds).

        The app shows the title as page text (faster to draw, and searchable), so the
        figure carries it only when ``title`` is true. The legend sits in a strip above the
        axes (never over the data). ``x_max`` fixes the month axis at ``0..x_max`` (the
        run's length) and ``snap`` rounds the y-limits out to tick values, so axes, ticks and
        legend stay the same from one step to the next and the page can redraw only the
        data (see :mod:`visualization.live`).
        """
        fig = Figure(figsize=figsize)
        top = 0.72 if title else 0.80
        ax = fig.add_axes((0.12, 0.15, 0.76, top - 0.15))
        if title:
            ax.set_title(self.title, fontsize=10, pad=24)          # above the legend strip
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(alpha=0.3)
        ax.set_axisbelow(True)
        self.draw(ax, df, **options)
        ax.set_xlabel("month", fontsize=7, labelpad=1)
        handles, labels = [], []
        for a in fig.axes:
            h, lab = a.get_legend_handles_labels()
            handles += h
            labels += lab
        if handles:
            ax.legend(handles, labels, fontsize=6.5, loc="lower left", frameon=False,
                      bbox_to_anchor=(-0.01, 1.0), ncol=len(handles) if sum(map(len, labels))
                      <= 60 else math.ceil(len(handles) / 2),
                      handlelength=1.5, columnspacing=1.0, borderaxespad=0.2)
        if x_max is not None:
            ax.set_xlim(-0.5, max(float(x_max), float(_x(df).max()) if len(df) else 0.0) + 0.5)
        if snap:
            for a in fig.axes:
                _snap_ylim(a)
        return fig


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


def _x(df):
    return df["step"].to_numpy() if "step" in df else np.arange(len(df))


def _last(df, col):
    return float(df[col].iloc[-1]) if col in df and len(df) else float("nan")


def _auto_log(ax, values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and v.max() / max(v.min(), 1e-300) > 1e3:
        ax.set_yscale("log")


def _price_cols(df):
    return sorted((c for c in df if c.startswith("gpu_price_v")), key=lambda c: int(c[11:]))


def _draw_gpu_prices(ax, df, **_):
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
    ax.set_ylabel("k USD / unit", fontsize=7)


def _latest_gpu(df):
    if not len(df):
        return "GPU price: no data"
    newest = int(df["gpu_newest_vintage"].iloc[-1]) if "gpu_newest_vintage" in df else len(_price_cols(df)) - 1
    parts = [f"v{v} {fmt_usd(_last(df, f'gpu_price_v{v}'))}" for v in range(newest + 1)
             if f"gpu_price_v{v}" in df]
    return "GPU price per vintage: " + ", ".join(parts)


def _draw_fire_sale(ax, df, **_):
    x = _x(df)
    ax.bar(x, df["margin_calls"], color="#ff9900", width=0.9, label="margin calls")
    ax.set_ylabel("margin calls (loans)", fontsize=7)
    ax2 = ax.twinx()
    ax2.plot(x, df["units_fire_sold"], color="#d62728", lw=1.4, label="units fire-sold")
    ax2.tick_params(labelsize=7)
    ax2.yaxis.set_major_locator(MaxNLocator(5))
    ax2.set_ylabel("units fire-sold", fontsize=7)


def _latest_fire_sale(df):
    return (f"Margin calls {_last(df, 'margin_calls'):.0f}, units fire-sold "
            f"{_last(df, 'units_fire_sold'):,.0f} (total margin calls {df['margin_calls'].sum():.0f})")


def _draw_defaults(ax, df, **_):
    x = _x(df)
    cols = [f"defaults_{s}" for s in SECTOR_ORDER if f"defaults_{s}" in df]
    ys = [df[c].to_numpy(dtype=float) for c in cols]
    any_default = any(y.max() > 0 for y in ys) if ys else False
    if any_default:
        keep = [(c, y) for c, y in zip(cols, ys) if y.max() > 0]
        ax.stackplot(x, [y for _, y in keep], colors=[SECTOR_COLORS[c[9:]] for c, _ in keep],
                     labels=[SECTOR_LABELS[c[9:]] for c, _ in keep], alpha=0.85)
    else:
        ax.plot(x, np.zeros(len(x)), color="grey", lw=1, label="no defaults yet")
    ax.set_ylabel("institutions failed", fontsize=7)
    ax.set_ylim(bottom=0)


def _latest_defaults(df):
    parts = [f"{SECTOR_LABELS[s]} {int(_last(df, f'defaults_{s}'))}" for s in SECTOR_ORDER
             if f"defaults_{s}" in df and _last(df, f"defaults_{s}") > 0]
    return f"Defaults {int(_last(df, 'defaults_total')) if 'defaults_total' in df else 0}" + (
        ": " + ", ".join(parts) if parts else " (none)")


def _draw_capital(ax, df, bank_min=None, insurer_min=None, **_):
    x = _x(df)
    ax.plot(x, df["bank_capital_ratio_mean"] * 100, color="#2ca02c", lw=1.4, label="bank CET1 mean")
    ax.plot(x, df["bank_capital_ratio_min"] * 100, color="#2ca02c", lw=1, ls="--", label="bank CET1 min")
    ax.set_ylabel("bank capital ratio (%)", fontsize=7)
    ax2 = ax.twinx()
    ax2.plot(x, df["insurer_solvency_mean"], color="#e377c2", lw=1.4, label="insurer solvency mean")
    ax2.plot(x, df["insurer_solvency_min"], color="#e377c2", lw=1, ls="--", label="insurer solvency min")
    ax2.set_ylabel("insurer solvency (x required)", fontsize=7)
    ax2.tick_params(labelsize=7)
    ax2.yaxis.set_major_locator(MaxNLocator(5))
    if bank_min is not None:
        ax.axhline(bank_min * 100, color="#2ca02c", lw=0.8, ls=":")
    if insurer_min is not None:
        ax2.axhline(insurer_min, color="#e377c2", lw=0.8, ls=":")


def _latest_capital(df):
    return (f"Bank capital ratio mean {_last(df, 'bank_capital_ratio_mean'):.2%} / min "
            f"{_last(df, 'bank_capital_ratio_min'):.2%}; insurer solvency mean "
            f"{_last(df, 'insurer_solvency_mean'):.2f} / min {_last(df, 'insurer_solvency_min'):.2f}")


def _draw_nav(ax, df, **_):
    x = _x(df)
    ax.plot(x, df["pc_reported_nav_usd"] / 1e9, color="#ff7f0e", lw=1.5, label="reported NAV")
    ax.plot(x, df["pc_true_nav_usd"] / 1e9, color="#8c564b", lw=1.5, ls="--", label="true NAV")
    ax.set_ylabel("bn USD", fontsize=7)


def _latest_nav(df):
    r, t = _last(df, "pc_reported_nav_usd"), _last(df, "pc_true_nav_usd")
    gap = (r - t) / t if t else float("nan")
    return f"Private credit NAV reported {fmt_usd(r)}, true {fmt_usd(t)} (gap {gap:+.1%})"


def _draw_savers(ax, df, **_):
    x = _x(df)
    ax.fill_between(x, df["savers_401k_p10_usd"], df["savers_401k_p90_usd"], color="#7f7f7f",
                    alpha=0.3, label="p10-p90")
    ax.plot(x, df["savers_401k_mean_usd"], color="black", lw=1.5, label="mean")
    ax.set_ylabel("USD per cohort", fontsize=7)
    _auto_log(ax, np.r_[df["savers_401k_p10_usd"], df["savers_401k_p90_usd"]])


def _latest_savers(df):
    return (f"401(k) balance per cohort mean {fmt_usd(_last(df, 'savers_401k_mean_usd'))} "
            f"(p10 {fmt_usd(_last(df, 'savers_401k_p10_usd'))}, p90 "
            f"{fmt_usd(_last(df, 'savers_401k_p90_usd'))})")


def _draw_ai_index(ax, df, **_):
    ax.plot(_x(df), df["ai_index"], color="#9467bd", lw=1.5, label="AI index")
    ax.axhline(1.0, color="grey", lw=0.7, ls=":")
    _auto_log(ax, df["ai_index"])


def _latest_ai_index(df):
    v = _last(df, "ai_index")
    peak = float(df["ai_index"].max()) if "ai_index" in df and len(df) else float("nan")
    return f"AI index {v:,.3g} (peak {peak:,.3g}, from peak {v / peak - 1:+.1%})"


def _draw_leverage(ax, df, **_):
    x = _x(df)
    ax.plot(x, df["hyperscaler_reported_leverage"], color="#1f77b4", lw=1.5, label="reported")
    ax.plot(x, df["hyperscaler_consolidated_leverage"], color="#8c564b", lw=1.5, ls="--",
            label="SPVs consolidated")
    ax.set_ylabel("debt / equity (mean)", fontsize=7)


def _latest_leverage(df):
    return (f"Hyperscaler leverage reported {_last(df, 'hyperscaler_reported_leverage'):.3f}, "
            f"consolidated {_last(df, 'hyperscaler_consolidated_leverage'):.3f}")


CHARTS: tuple[Chart, ...] = (
    Chart("gpu_prices", "GPU price per vintage", _draw_gpu_prices, _latest_gpu,
          ("gpu_newest_vintage", "gpu_price_v0")),
    Chart("fire_sale", "Margin calls and fire sales", _draw_fire_sale, _latest_fire_sale,
          ("margin_calls", "units_fire_sold")),
    Chart("defaults", "Defaults by sector (cumulative)", _draw_defaults, _latest_defaults,
          ("defaults_total",)),
    Chart("capital", "Bank capital and insurer solvency", _draw_capital, _latest_capital,
          ("bank_capital_ratio_min", "bank_capital_ratio_mean", "insurer_solvency_min",
           "insurer_solvency_mean")),
    Chart("nav", "Private credit: reported vs true NAV", _draw_nav, _latest_nav,
          ("pc_reported_nav_usd", "pc_true_nav_usd")),
    Chart("savers", "401(k) balances", _draw_savers, _latest_savers,
          ("savers_401k_mean_usd", "savers_401k_p10_usd", "savers_401k_p90_usd")),
    Chart("ai_index", "AI stock index", _draw_ai_index, _latest_ai_index, ("ai_index",)),
    Chart("leverage", "Hyperscaler leverage: reported vs consolidated", _draw_leverage,
          _latest_leverage, ("hyperscaler_reported_leverage", "hyperscaler_consolidated_leverage")),
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


def losses_figure(by_category: dict[str, float], *, title: str | None = None,
                  figsize=(5.0, 2.5)) -> Figure:
    """Horizontal bars of losses by ultimate holder (``model.losses.by_category``)."""
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.36, 0.15, 0.58, 0.8 if title else 0.82))
    if title:
        ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7)
    cats = list(LOSS_LABELS) + [c for c in by_category if c not in LOSS_LABELS]
    vals = np.array([float(by_category.get(c, 0.0)) for c in cats]) / 1e9
    y = np.arange(len(cats))
    ax.barh(y, vals, color=["#d62728" if v > 0 else "#cccccc" for v in vals])
    ax.set_yticks(y, [LOSS_LABELS.get(c, c) for c in cats])
    ax.invert_yaxis()
    ax.set_xlabel("bn USD", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    if vals.max() <= 0:
        ax.set_xlim(0, 1)
        ax.text(0.5, len(cats) / 2, "no losses yet", ha="center", va="center", fontsize=9, color="grey")
    else:
        for yi, v in zip(y, vals):
            if v > 0:
                ax.text(v, yi, f" {v:,.1f}", va="center", fontsize=6.5)
        ax.set_xlim(0, vals.max() * 1.25)
    return fig


def losses_summary(by_category: dict[str, float]) -> str:
    total = sum(float(v) for v in by_category.values())
    top = sorted(((float(v), k) for k, v in by_category.items() if v > 0), reverse=True)[:3]
    return f"Losses {fmt_usd(total)}" + (
        ": " + ", ".join(f"{LOSS_LABELS.get(k, k)} {fmt_usd(v)}" for v, k in top) if top else " (none yet)")
