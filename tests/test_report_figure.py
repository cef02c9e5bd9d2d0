"""The run report's figure (``overview.<format>``): fit for a paper, and in the format asked for.

The figure is built from the browser's chart definitions (``models.charts``); these
tests read the matplotlib Figure itself: its title names the run, every panel has a title
and legend, counts have whole-number ticks from 0 and never a ``-0``, thresholds are named,
axes are dated, and a panel where nothing happened says "none".
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from aicredit.models import AIEconomyModel
from aicredit.models import charts as C
from aicredit.models.cli import main
from aicredit.models.report import FIGURE_FORMATS, figure_title, overview_figure

#: A year (``2027``) or a month (``2025-03``): how the x axes are labelled.
DATE = re.compile(r"^\d{4}(-\d{2})?$")


@pytest.fixture(scope="module")
def calm_fig():
    """A year of the baseline with one override: no defaults, no margin calls, no fire sales."""
    m = AIEconomyModel("baseline", seed=0, collect_agents=False, steps=12, gpu_loan_haircut=0.3)
    for _ in range(12):
        m.step()
    fig = overview_figure(m)
    fig.canvas.draw()                  # tick labels and offsets exist only once drawn
    return m, fig


def _panels(fig) -> dict:
    """Panel title -> its main axes (twin axes share the title's position, not the title)."""
    return {ax.get_title(): ax for ax in fig.axes if ax.get_title()}


def _twins(fig, ax) -> list:
    return [a for a in fig.axes if a is not ax and a.get_position().bounds == ax.get_position().bounds]


def _legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_figure_title_names_scenario_seed_months_and_overrides(calm_fig):
    m, fig = calm_fig
    title = fig.get_suptitle()
    assert title == figure_title(m)
    assert "Scenario baseline, seed 0, 12 months (2025-01 to 2026-01)" in title
    assert title.endswith("Overrides: steps=12, gpu_loan_haircut=0.3")
    plain = AIEconomyModel("ai_winter", seed=0, collect_agents=False)
    assert figure_title(plain).endswith("No overrides")
    plain.overrides = {"c3_collateral_spiral": False}            # a model that records them
    assert figure_title(plain).endswith("Overrides: c3_collateral_spiral=false")


def test_every_panel_titled_with_a_legend_and_dated_axis(calm_fig):
    _, fig = calm_fig
    panels = _panels(fig)
    assert set(panels) == {c.title for c in C.CHARTS} | {C.LOSSES.title}
    for chart in C.CHARTS:
        ax = panels[chart.title]
        assert ax.get_ylabel(), chart.key
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels and all(DATE.match(t) for t in labels), (chart.key, labels)
        notes = [t.get_text() for t in ax.texts if t.get_text().startswith(C.NONE_PREFIX)]
        assert _legend_texts(ax) or notes, chart.key
    # vintages named by their release month
    vintages = _legend_texts(panels[C.chart("gpu_prices").title])
    assert vintages[0] == "v0 (2023-01)" and all(re.match(r"v\d+ \(\d{4}-\d{2}\)$", v) for v in vintages)


def test_thresholds_named_in_their_own_panels(calm_fig):
    m, fig = calm_fig
    panels = _panels(fig)
    bank = _legend_texts(panels[C.chart("bank_capital").title])
    insurer = _legend_texts(panels[C.chart("insurer_rbc").title])
    assert "minimum + conservation buffer (7.0%)" in bank and m.p.bank_capital_min == 0.07
    assert "company action level (200%)" in insurer and m.p.insurer_solvency_min == 2.0
    assert not _twins(fig, panels[C.chart("bank_capital").title])       # no shared second axis


def test_counts_have_whole_ticks_from_zero_and_empty_panels_say_none(calm_fig):
    m, fig = calm_fig
    df = m.datacollector.get_model_vars_dataframe()
    assert df["margin_calls"].max() == 0 and df["defaults_total"].max() == 0
    panels = _panels(fig)
    for key, note in (("defaults", "none: no institution defaulted"),
                      ("fire_sale", "none: no margin calls, no fire sales")):
        ax = panels[C.chart(key).title]
        assert note in [t.get_text() for t in ax.texts], key
        for a in (ax, *_twins(fig, ax)):
            lo, hi = a.get_ylim()
            ticks = [t for t in a.get_yticks() if lo <= t <= hi]
            assert lo == 0 and hi >= 1 and ticks and all(float(t).is_integer() for t in ticks), (key, ticks)
    # no "-0" (or any offset such as 1e6 over an axis) anywhere
    for a in fig.axes:
        labels = [t.get_text().replace("\N{MINUS SIGN}", "-") for t in a.get_yticklabels()]
        assert "-0" not in labels, (a.get_title(), labels)
        assert a.yaxis.get_offset_text().get_text() == "", a.get_title()


def test_large_counts_and_log_axes_read_plainly(calm_fig):
    """Millions of units fire-sold are ``1.2m`` (no ``1e6`` over the axis); a log AI panel
    has several ticks in plain numbers."""
    m, _ = calm_fig
    df = m.datacollector.get_model_vars_dataframe().copy()
    df["units_fire_sold"] = np.linspace(0, 3.2e6, len(df))
    df["margin_calls"] = np.linspace(0, 2.4e6, len(df)).round()
    fig = C.chart("fire_sale").figure(df)
    df["ai_demand_usd_per_month"] = df["ai_demand_usd_per_month"].iloc[0] * np.geomspace(1, 3000, len(df))
    fig_ai = C.chart("ai_index").figure(df)
    for f in (fig, fig_ai):
        f.canvas.draw()
    for a in fig.axes:
        assert a.yaxis.get_offset_text().get_text() == ""
        assert any(t.get_text().endswith("m") for t in a.get_yticklabels())
    ax = fig_ai.axes[0]
    assert ax.get_yscale() == "log"
    lo, hi = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text() and lo <= t.get_position()[1] <= hi]
    assert len(labels) >= 5 and all(re.match(r"^[\d,.]+$", t) for t in labels), labels


def test_run_writes_the_figure_in_the_format_asked(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--steps", "2", "--quiet", "--no-agent-data", "--format", "pdf",
                 "--out", str(out)]) == 0
    assert (out / "overview.pdf").read_bytes().startswith(b"%PDF")
    assert not (out / "overview.png").exists()


def test_plot_run_writes_svg_and_names_a_wrong_format(calm_fig, tmp_path):
    from aicredit.models.report import plot_run
    m, _ = calm_fig
    assert plot_run(m, tmp_path, "svg") == [tmp_path / "overview.svg"]
    assert (tmp_path / "overview.svg").read_bytes().startswith(b"<?xml")
    with pytest.raises(ValueError, match="png, pdf, svg, got 'jpg'"):
        plot_run(m, tmp_path, "jpg")


def test_unknown_format_is_refused_before_running(tmp_path, capsys):
    assert main(["run", "--format", "jpg", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--format" in err and "'jpg'" in err
    assert not (tmp_path / "x").exists()
    # the command offers exactly the formats plot_run writes (argparse's public behaviour, not
    # its private attributes: every format is accepted, and the error lists them all)
    from aicredit.models.cli import build_parser
    parse = build_parser().parse_args
    assert [parse(["run", "--format", fmt]).format for fmt in FIGURE_FORMATS] == list(FIGURE_FORMATS)
    assert "(choose from " + ", ".join(FIGURE_FORMATS) + ")" in err
