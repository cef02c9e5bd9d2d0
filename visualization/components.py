"""Solara components of the page: each takes the model and redraws when it steps.

Every component calls ``update_counter.get()`` first (Mesa's signal that the model moved),
gets its picture as PNG bytes from the model's :class:`visualization.live.LivePage` (built
with the pure builders of :mod:`visualization.figures` and the chart definitions of
:mod:`models.charts`, shared with the run report, once per model step, redrawing only
the data over cached axes, labels and legends), and shows a plain text line with its
newest values under the picture (readable, and what the browser test checks).
"""
from __future__ import annotations

import pandas as pd
import solara
from solara.alias import rw

from aicredit.abm.units import month_label
from aicredit.models import charts as C
from aicredit.visualization import figures as F
from aicredit.visualization import mesa_hooks_warning_silenced
from aicredit.visualization.levers import lever_summary
from aicredit.visualization.live import live_page

with mesa_hooks_warning_silenced():       # Mesa's first import raises Solara's hooks warning
    from mesa.visualization.utils import update_counter

__all__ = ["StatusPanel", "NetworkView", "LossesView", "make_chart_component", "COMPONENTS",
           "model_frame"]


def model_frame(model) -> pd.DataFrame:
    """The model's per-step outputs, built once per step and shared by all charts."""
    return live_page(model).frame()


def _key(model) -> list:
    return [getattr(model, "viz_serial", id(model)), model.steps]


_TITLE_STYLE = {"font-weight": "600", "font-size": "15px"}
_LATEST_STYLE = {"font-size": "13px", "color": "#333"}


def _Picture(png: bytes):
    """A PNG on the page (an ipywidgets Image: the bytes go to the browser as a binary buffer)."""
    return rw.Image(value=png, format="png", layout={"max_width": "100%"})


@solara.component
def StatusPanel(model):
    """Step count, scenario and seed, the levers in force, and any rejected value."""
    update_counter.get()
    with solara.Column(gap="4px", classes=["aicredit-status"]):
        solara.Text(f"Month {model.steps} of {model.p.steps} ({month_label(model.steps)})"
                    + ("" if model.running else ": run complete"), style=_TITLE_STYLE,
                    classes=["aicredit-step"])
        solara.Text(f"Scenario: {model.scenario_name}; seed: {model.seed_value}",
                    classes=["aicredit-scenario"])
        solara.Text(f"Levers in force: {lever_summary(model)}", style=_LATEST_STYLE,
                    classes=["aicredit-levers"])
        error = getattr(model, "param_error", None)
        if error:
            solara.Error(f"Rejected: {error}. The model was reset with the last accepted "
                         f"parameters instead.", classes=["aicredit-param-error"])
        events = model.default_events[-4:]
        if events:
            solara.Text("Latest failures: " + "; ".join(
                f"{e['name']} ({C.SECTOR_LABELS.get(e['sector'], e['sector'])}, month {e['step']}, "
                f"{e['reason'].replace('_', ' ')})" for e in reversed(events)), style=_LATEST_STYLE,
                classes=["aicredit-failures"])


@solara.component
def NetworkView(model):
    """The exposure network (see :func:`visualization.figures.network_figure`)."""
    update_counter.get()
    key = _key(model)
    live = live_page(model)
    png = solara.use_memo(live.network_png, key)
    with solara.Column(gap="0px", classes=["aicredit-chart", "aicredit-network"]):
        solara.Text("Exposure network: who is owed by whom, and where losses landed",
                    style=_TITLE_STYLE)
        _Picture(png)
        solara.Text(F.network_summary(live.graph()), style=_LATEST_STYLE, classes=["aicredit-latest"])


@solara.component
def LossesView(model):
    """Who lost what: losses by ultimate holder so far."""
    update_counter.get()
    key = _key(model)
    losses = dict(model.losses.by_category)
    png = solara.use_memo(live_page(model).losses_png, key)
    with solara.Column(gap="0px", classes=["aicredit-chart", "aicredit-losses"]):
        solara.Text(C.LOSSES.title, style=_TITLE_STYLE)
        _Picture(png)
        solara.Text(C.LOSSES.latest(losses), style=_LATEST_STYLE, classes=["aicredit-latest"])


def make_chart_component(chart: C.Chart):
    """A component showing one time-series :class:`~models.charts.Chart` (the
    component's ``chart`` attribute)."""

    @solara.component
    def ChartView(model):
        update_counter.get()
        key = _key(model)
        live = live_page(model)
        png = solara.use_memo(lambda: live.chart_png(chart.key), key)
        df = live.frame()
        with solara.Column(gap="0px", classes=["aicredit-chart", f"aicredit-{chart.key}"]):
            solara.Text(chart.title, style=_TITLE_STYLE)
            _Picture(png)
            solara.Text(chart.latest(df), style=_LATEST_STYLE, classes=["aicredit-latest"])

    ChartView.__name__ = ChartView.__qualname__ = f"Chart_{chart.key}"
    ChartView.chart = chart
    return ChartView


#: (component, page) pairs for SolaraViz: everything on the first page.
COMPONENTS = [(StatusPanel, 0), (NetworkView, 0), (LossesView, 0)] + [
    (make_chart_component(c), 0) for c in C.CHARTS]
