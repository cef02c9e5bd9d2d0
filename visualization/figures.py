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
- The time series (:data:`CHARTS`) and who lost what (:func:`losses_figure`) are defined
  once in :mod:`models.charts`, which the run report draws too; they are
  re-exported here.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")            # headless: never open a window (the server has no display)

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from aicredit.abm.exposures import open_exposures  # noqa: E402
from aicredit.models.charts import (  # noqa: E402  (re-exported: defined once there)
    CHARTS,
    LOSS_LABELS,
    SECTOR_COLORS,
    SECTOR_LABELS,
    SECTOR_ORDER,
    Chart,
    chart,
    fmt_usd,
    losses_figure,
    losses_summary,
)

__all__ = ["SECTOR_ORDER", "SECTOR_COLORS", "SECTOR_LABELS", "SAVERS_NODE", "STATUS_LABELS",
           "node_status", "exposure_graph", "network_figure", "network_summary", "Chart",
           "CHARTS", "chart", "losses_figure", "losses_summary", "LOSS_LABELS", "fmt_usd",
           "figure_png"]

#: The one node that stands for all 401(k) saver cohorts (there can be 100,000 of them).
SAVERS_NODE = "401(k) savers"
STATUS_LABELS = {"ok": "healthy", "distressed": "distressed", "margin_called": "margin-called",
                 "defaulted": "defaulted"}
_STATUS_EDGE = {"ok": ("white", 0.6), "distressed": ("#d62728", 2.2),
                "margin_called": ("#ff9900", 3.0), "defaulted": ("black", 1.5)}
#: Above this many institutions only the largest are labelled (text is slow to draw).
MAX_LABELS = 40


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
    called = model.month.margin_called_names
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
        returns = getattr(model, "saver_returns", None)
        total = float(np.sum(returns.balances_usd)) if returns is not None else 0.0
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

    for e in open_exposures(model):
        add(_node_key(e.holder), _node_key(e.issuer), "exposure_usd", e.value_usd)
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
    for s, span in zip(present, spans, strict=True):
        nodes = (sorted(groups[s], key=lambda n: -g.nodes[n]["assets_usd"]) if len(groups[s]) > 60
                 else groups[s])
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
            for s, d in zip(status, data, strict=True)]
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
