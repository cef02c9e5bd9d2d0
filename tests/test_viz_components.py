"""The browser view without a browser: figures, network, levers, the page and `aicredit viz`."""
from __future__ import annotations

import argparse
import inspect
import warnings

import networkx as nx
import numpy as np
import pytest
from matplotlib.figure import Figure

from aicredit.models import AIEconomyModel
from aicredit.models import charts as C
from aicredit.visualization import figures as F
from aicredit.visualization.levers import (
    LEVERS,
    VizModel,
    VizSession,
    lever_overrides,
    lever_summary,
    model_params,
    parse_seed,
)


def _stepped(scenario, steps, **params):
    m = VizModel(scenario, seed=0, **params)
    for _ in range(steps):
        m.step()
    return m


@pytest.fixture(scope="module")
def calm():
    return _stepped("baseline", 12)


@pytest.fixture(scope="module")
def winter():
    """A run with failures, losses and margin calls to draw."""
    return _stepped("ai_winter", 36)


def _has_data(fig: Figure) -> bool:
    """Some axes hold plotted data (lines with finite points, bars, areas or collections)."""
    for ax in fig.axes:
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            if y.size and np.isfinite(y).any():
                return True
        if ax.patches or ax.collections:
            return True
    return False


def _none_text(fig: Figure) -> list[str]:
    """The "none: ..." notes of a figure's panels (drawn where nothing happened)."""
    return [t.get_text() for ax in fig.axes for t in ax.texts
            if t.get_text().startswith(C.NONE_PREFIX + ":")]


# --- time series ---------------------------------------------------------------------------
@pytest.mark.parametrize("chart", C.CHARTS, ids=lambda c: c.key)
def test_each_chart_draws_the_models_data(chart, calm, winter):
    for m in (calm, winter):
        df = m.datacollector.get_model_vars_dataframe()
        for col in chart.columns:
            assert col in df, f"{chart.key}: the model no longer reports {col}"
        fig = chart.figure(df, title=True)
        assert isinstance(fig, Figure) and (_has_data(fig) or _none_text(fig)), chart.key
        assert fig.axes[0].get_title() == chart.title
        png = F.figure_png(fig)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
        text = chart.latest(df)
        assert text and "nan" not in text.lower(), text


@pytest.mark.parametrize("chart", C.CHARTS, ids=lambda c: c.key)
def test_latest_text_follows_the_run(chart, calm):
    """The text under each chart reads the newest row: it changes when the data does."""
    df = calm.datacollector.get_model_vars_dataframe()
    short = df.iloc[:3]
    changed = df.copy()
    for col in chart.columns or [c for c in df if c.startswith("gpu_price_v")]:
        if col not in ("gpu_newest_vintage",) and not col.startswith("defaults"):
            changed[col] = changed[col] * 1.7 + 3
    if chart.key == "defaults":
        changed["defaults_total"] = 5
        changed["defaults_neocloud"] = 5
    if chart.key == "gpu_prices":
        changed = changed.assign(**{c: changed[c] * 0.5 for c in df if c.startswith("gpu_price_v")})
    assert chart.latest(changed) != chart.latest(df)
    assert chart.latest(short)                                  # and copes with a short run


def test_gpu_prices_only_for_released_vintages(calm):
    df = calm.datacollector.get_model_vars_dataframe()
    fig = F.chart("gpu_prices").figure(df)
    newest = int(df["gpu_newest_vintage"].max())
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert labels == [f"v{v}" for v in range(newest + 1)]


def test_savers_band_and_mean(calm):
    fig = F.chart("savers").figure(calm.datacollector.get_model_vars_dataframe())
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == ["mean"]
    assert len(ax.collections) == 1                           # the p10-p90 band


def test_defaults_chart_stacks_sectors_that_failed(winter):
    df = winter.datacollector.get_model_vars_dataframe()
    assert df["defaults_total"].iloc[-1] > 0, "the winter run should have failures to draw"
    fig = F.chart("defaults").figure(df)
    assert fig.axes[0].collections, "stacked areas expected"
    assert "Defaults 0" not in F.chart("defaults").latest(df)


def test_unknown_chart_is_named():
    with pytest.raises(KeyError, match="no chart 'nope'"):
        F.chart("nope")


def test_month_axis_shows_calendar_months(calm):
    """Every chart's x axis is the model step labelled with its date (abm.units.month_label):
    the year when ticks are years apart (they fall on Januaries), else ``YYYY-MM``."""
    df = calm.datacollector.get_model_vars_dataframe()
    for c in C.CHARTS:
        ax = c.figure(df, x_max=72).axes[0]
        fmt = ax.xaxis.get_major_formatter()
        ticks = [t for t in ax.get_xticks() if 0 <= t <= 72]
        assert [fmt(t, i) for i, t in enumerate(ticks)] == [str(y) for y in range(2025, 2032)], c.key
    ax = C.chart("nav").figure(df).axes[0]                      # a 12-month run: every 2 months
    assert [ax.xaxis.get_major_formatter()(t, 0) for t in ax.get_xticks() if 0 <= t <= 12] == [
        "2025-01", "2025-03", "2025-05", "2025-07", "2025-09", "2025-11", "2026-01"]


@pytest.mark.slow
def test_report_and_browser_draw_the_same_charts(winter, tmp_path, monkeypatch):
    """The run report and the page draw the one set of charts of models.charts:
    each panel of ``overview.png`` and each picture on the page is drawn by the same
    :class:`~models.charts.Chart` object (or :data:`~models.charts.LOSSES`)."""
    from aicredit.models.report import plot_run
    from aicredit.visualization import live as L
    from aicredit.visualization.components import COMPONENTS

    drawn = []
    for cls in (C.Chart, C.LossesChart):
        original = cls.draw
        monkeypatch.setattr(cls, "draw", lambda self, *a, _f=original, **k:
                            drawn.append(self) or _f(self, *a, **k))
    assert plot_run(winter, tmp_path) == [tmp_path / "overview.png"]
    assert [id(c) for c in drawn] == [id(c) for c in (*C.CHARTS, C.LOSSES)]
    drawn.clear()
    page = L.LivePage(winter)
    for c in C.CHARTS:
        page.chart_png(c.key)
    page.losses_png()
    assert [id(c) for c in drawn] == [id(c) for c in (*C.CHARTS, C.LOSSES)]
    on_page = [comp.chart for comp, _ in COMPONENTS if hasattr(comp, "chart")]
    assert [id(c) for c in on_page] == [id(c) for c in C.CHARTS]
    assert F.CHARTS is C.CHARTS and F.chart is C.chart


@pytest.mark.slow
def test_report_needs_no_solara(tmp_path):
    """``aicredit run`` draws its report with the viz extras absent (no Solara)."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['solara'] = None\n"
            "from pathlib import Path\n"
            "from models import AIEconomyModel\n"
            "from models.report import plot_run\n"
            "m = AIEconomyModel('baseline', seed=0, collect_agents=False, steps=3)\n"
            "for _ in range(3): m.step()\n"
            f"print(plot_run(m, Path({str(tmp_path)!r}))[0].stat().st_size)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) > 20000 and "solara" not in out.stderr


# --- network ----------------------------------------------------------------------------------
def test_exposure_graph_has_every_institution_and_one_savers_node(calm):
    g = F.exposure_graph(calm)
    names = {a.name for a in calm.institutions}
    assert names | {F.SAVERS_NODE} == set(g.nodes)
    assert g.number_of_edges() > 30
    assert all(d["exposure_usd"] >= 0 and d["loss_usd"] >= 0 for _, _, d in g.edges(data=True))
    assert all(d["sector"] in F.SECTOR_ORDER for _, d in g.nodes(data=True))
    # the circular web [F10-F14]: the chipmaker funds labs, labs owe hyperscalers and
    # neoclouds, funds lend to neoclouds, banks lend to funds
    sectors = {(g.nodes[u]["sector"], g.nodes[v]["sector"]) for u, v, d in g.edges(data=True)
               if d["exposure_usd"] > 0}
    for pair in [("hyperscaler", "ai_lab"), ("bank", "private_credit"), ("insurer", "private_credit"),
                 ("private_credit", "neocloud"), ("private_credit", "spv")]:
        assert pair in sectors, pair


def test_gpu_loans_become_fund_to_neocloud_edges(calm):
    g = F.exposure_graph(calm)
    book = calm.gpu_loans
    act = book.active & (book.lender >= 0)               # funds; the market and banks are negative
    total = float(book.debt[act].sum())
    drawn = 0.0
    for f in calm.funds:
        for n in calm.neoclouds:
            if g.has_edge(f.name, n.name):
                other = sum(c.value_usd() for c in calm.claims.all if not c.closed
                            and c.holder is f and c.issuer is n)
                drawn += g[f.name][n.name]["exposure_usd"] - other
    assert total > 0 and drawn == pytest.approx(total, rel=1e-9)


def test_status_marks_defaulted_distressed_and_margin_called(winter):
    status = F.node_status(winter)
    dead = {a.name for a in winter.institutions if a.defaulted}
    assert dead and {n for n, s in status.items() if s == "defaulted"} == dead
    live_neocloud = next(n for n in winter.neoclouds if not n.defaulted) if any(
        not n.defaulted for n in winter.neoclouds) else None
    if live_neocloud is not None:
        saved = winter.month.margin_called_names
        winter.month.margin_called_names = {live_neocloud.name}
        try:
            assert F.node_status(winter)[live_neocloud.name] == "margin_called"
        finally:
            winter.month.margin_called_names = saved
    bank = winter.banks[0]
    saved = winter.initial_equity_usd[bank.name]
    winter.initial_equity_usd[bank.name] = 10 * bank.equity_usd()     # equity "fell" by 90%
    try:
        assert F.node_status(winter)[bank.name] == "distressed"
    finally:
        winter.initial_equity_usd[bank.name] = saved


def test_losses_travel_along_edges(winter):
    g = F.exposure_graph(winter)
    loss_edges = [(u, v, d["loss_usd"]) for u, v, d in g.edges(data=True) if d["loss_usd"] > 0]
    assert loss_edges
    dead = {a.name for a in winter.institutions if a.defaulted}
    assert any(v in dead for _, v, _ in loss_edges), "losses should point at failed issuers"


def test_network_figure_draws_nodes_edges_and_markers(winter):
    g = F.exposure_graph(winter)
    fig = F.network_figure(g, title="t")
    ax = fig.axes[0]
    scatters = [c for c in ax.collections if c.__class__.__name__ == "PathCollection"]
    lines = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    assert len(scatters[0].get_offsets()) == g.number_of_nodes()
    n_dead = sum(1 for _, d in g.nodes(data=True) if d["status"] == "defaulted")
    assert len(scatters) == 2 and len(scatters[1].get_offsets()) == n_dead   # the x marks
    assert len(lines) == 2                                    # exposures and losses
    assert len(lines[0].get_segments()) == sum(1 for *_, d in g.edges(data=True) if d["exposure_usd"] > 0)
    assert len(F.figure_png(fig)) > 20000
    text = F.network_summary(g)
    assert f"{n_dead} defaulted" in text and "losses along edges $" in text


def test_network_figure_from_plain_model_and_sizes_by_balance_sheet():
    m = AIEconomyModel("baseline", seed=1, collect_agents=False)
    fig = F.network_figure(m)
    sizes = [c for c in fig.axes[0].collections if c.__class__.__name__ == "PathCollection"][0].get_sizes()
    g = F.exposure_graph(m)
    assets = np.array([d["assets_usd"] for _, d in g.nodes(data=True)])
    assert np.argmax(sizes) == np.argmax(assets) and np.argmin(sizes) == np.argmin(assets)
    assert isinstance(g, nx.DiGraph)


@pytest.mark.slow
def test_network_of_a_large_economy_stays_drawable():
    m = AIEconomyModel("synthetic", seed=0, collect_agents=False, n_saver_cohorts=2000,
                       gpu_loans_per_neocloud=5)
    g = F.exposure_graph(m)
    assert sum(1 for _, d in g.nodes(data=True) if d["sector"] == "saver_401k") == 1
    fig = F.network_figure(g)
    assert len(fig.axes[0].texts) <= F.MAX_LABELS


# --- losses -------------------------------------------------------------------------------------
def test_losses_figure_with_and_without_losses(calm, winter):
    assert sum(winter.losses.by_category.values()) > 0
    fig = F.losses_figure(winter.losses.by_category)
    heights = [p.get_width() for p in fig.axes[0].patches]
    assert len(heights) == len(F.LOSS_LABELS) and max(heights) > 0
    assert F.losses_summary(winter.losses.by_category).startswith("Losses $")
    empty = F.losses_figure({k: 0.0 for k in F.LOSS_LABELS})
    assert _none_text(empty) == ["none: no losses"]
    assert "(none yet)" in F.losses_summary({})


def test_fmt_usd():
    assert F.fmt_usd(1.23e12) == "$1.2tn" and F.fmt_usd(-4.5e9) == "$-4.5bn"
    assert F.fmt_usd(float("nan")) == "n/a" and F.fmt_usd(12) == "$12"


# --- levers and the per-session model --------------------------------------------------------
def test_rejected_value_keeps_the_last_accepted_parameters():
    session = VizSession()
    first = VizModel("ai_winter", seed="4", session=session, c3_collateral_spiral=False)
    assert first.param_error is None and first.scenario_name == "ai_winter"
    bad = VizModel("baseline", seed="4", session=session, gpu_loan_max_ltv=0.95)
    assert "gpu_loan_max_ltv" in bad.param_error and "0.95" in bad.param_error
    assert bad.scenario_name == "ai_winter" and bad.p.c3_collateral_spiral is False
    assert bad.seed_value == 4
    bad_seed = VizModel("baseline", seed="four", session=session)
    assert "seed" in bad_seed.param_error and "'four'" in bad_seed.param_error


def test_levers_at_default_leave_the_scenarios_values():
    defaults = {k: v["value"] for k, v in LEVERS.items()}
    assert lever_overrides(defaults) == {}
    m = VizModel("ai_winter", session=VizSession(), **defaults)
    assert m.p.demand_growth_per_year == pytest.approx(0.3)           # ai_winter's value
    m = VizModel("ai_winter", session=VizSession(), **{**defaults, "demand_growth_per_year": 1.5})
    assert m.p.demand_growth_per_year == pytest.approx(1.5)
    assert "demand growth 1.5/yr" in lever_summary(m)


def test_issue_levers_are_all_on_the_page():
    params = model_params()
    for key in ("scenario", "seed", "demand_growth_per_year", "gpu_generation_months",
                "gpu_loan_max_ltv", "bank_pc_lending_share", "allow_401k_alternatives",
                "saver_pc_target_share", "spv_consolidation", "fire_sale_depth_share",
                *[f"c{i}_" for i in range(1, 12)]):
        assert any(k == key or (key.endswith("_") and k.startswith(key)) for k in params), key
    for name, w in LEVERS.items():
        assert w["type"] in ("SliderInt", "SliderFloat", "Checkbox")
        if w["type"] != "Checkbox":
            assert w["min"] <= w["value"] <= w["max"], name


def test_model_params_pass_mesas_checks():
    from aicredit.visualization import mesa_hooks_warning_silenced
    with mesa_hooks_warning_silenced():       # this test may be the first to import Mesa's app
        from mesa.visualization.solara_viz import _check_model_params
    _check_model_params(VizModel.__init__, model_params())         # raises on a bad name
    assert "kwargs" in inspect.signature(VizModel.__init__).parameters


def test_parse_seed():
    assert parse_seed(" 7 ") == 7
    for bad in ("-1", "1.5", ""):
        with pytest.raises(ValueError):
            parse_seed(bad)


# --- the page, rendered without a browser --------------------------------------------------------
@pytest.mark.slow
def test_page_steps_and_resets_in_process():
    import ipyvuetify as v
    import solara

    from aicredit.visualization.app import Page

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)

    def has(fragment):
        return any(fragment in str(getattr(w.widget, "children", "")) or
                   fragment in str(getattr(w.widget, "value", "")) for w in rc.find())

    assert has("Month 0 of 72")
    step = rc.find(v.Btn, children=["Step"]).widget
    for _ in range(3):
        step.click()
    assert has("Month 3 of 72")
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert has("Month 0 of 72")
    rc.close()


# --- the aicredit viz command -----------------------------------------------------------------
def _args(*argv):
    from aicredit.visualization import server
    p = argparse.ArgumentParser()
    server.add_arguments(p)
    return p.parse_args(list(argv))


def test_viz_command_serves_the_app_on_loopback(monkeypatch):
    from aicredit.visualization import server
    calls = []
    monkeypatch.setattr(server, "serve", lambda cmd, env: calls.append((cmd, env)) or 0)
    assert server.run(_args("--port", "18999")) == 0
    cmd, env = calls[0]
    assert cmd[1:4] == ["-m", "solara", "run"] and cmd[4].endswith("visualization/app.py")
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "18999"
    assert "--production" in cmd and "--no-open" in cmd and "--no-check-version" in cmd
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert "AICREDIT_VIZ_ALLOW_LARGE" not in env
    server.run(_args("--port", "18999", "--allow-large"))
    assert calls[1][1]["AICREDIT_VIZ_ALLOW_LARGE"] == "1"


@pytest.mark.parametrize("argv, message", [
    (["viz", "--port", "abc"], "--port must be a whole number"),
    (["viz", "--port", "70000"], "between 1 and 65535"),
    (["viz", "--host", "no.such.host.invalid"], "--host 'no.such.host.invalid'"),
])
def test_viz_command_user_mistakes_exit_2(argv, message, capsys):
    from aicredit.models.cli import main
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_viz_command_reports_a_busy_port(capsys):
    import socket

    from aicredit.models.cli import main
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["viz", "--port", str(port)]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


# --- the page's pictures: cached static layers, data redrawn -------------------------------------
@pytest.mark.slow
def test_live_pictures_equal_a_full_draw_and_reuse_the_static_layer():
    """Each step's PNG is pixel for pixel the figure drawn whole, though most steps only
    redraw the data over the cached axes, labels and legends."""
    import io

    from PIL import Image

    from aicredit.visualization import live as L
    m = VizModel("ai_winter", seed=0)
    page = L.live_page(m)

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)

    for step in range(1, 31):
        m.step()
        pngs = {c.key: page.chart_png(c.key) for c in C.CHARTS}
        net = page.network_png()
        assert page.network_png() is net                          # built once per step
        if step % 10:
            continue
        df = m.datacollector.get_model_vars_dataframe()
        for c in C.CHARTS:
            whole = L.full_render(c.figure(df, figsize=L.CHART_SIZE, x_max=m.p.steps, snap=True,
                                           **c.options(m)), L.CHART_DPI)
            diff = np.abs(pixels(pngs[c.key]) - pixels(whole)).max(axis=2) > 8
            assert diff.mean() < 0.001, (c.key, step, diff.mean())
        whole = L.full_render(F.network_figure(F.exposure_graph(m), figsize=L.NETWORK_SIZE),
                              L.NETWORK_DPI)
        assert (np.abs(pixels(net) - pixels(whole)).max(axis=2) > 8).mean() < 0.001
    blits = sum(b.blits for b in page.blitters.values())
    full = sum(b.full_draws for b in page.blitters.values())
    assert blits > 2 * full, (blits, full)
    assert pixels(page.losses_png()).shape == (240, 480, 3)


@pytest.mark.slow
def test_mesa_hooks_warning_does_not_show_even_after_filters_are_reset():
    """Solara's rules-of-hooks warning about Mesa's own ``ComponentsView`` is raised once, at
    the first import of Mesa's visualization. pytest restores the warning filters after
    collecting a module, which dropped the filter the package installs at its import, and
    the warning showed. In a fresh process: import the package, let every warning through
    (as a reset of the filters would), then import the page's components: nothing about
    ``ComponentsView`` may show (a UserWarning from Solara's hooks check fails the test)."""
    import subprocess
    import sys
    code = ("import warnings\n"
            "import aicredit.visualization\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import aicredit.visualization.app\n"
            "print('\\n'.join(str(w.message) for w in caught if 'ComponentsView' in str(w.message)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "ComponentsView" not in out.stdout, out.stdout
