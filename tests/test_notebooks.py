"""The notebooks in ``notebooks/`` run top to bottom at reduced size (``AICREDIT_QUICK=1``)
and still reach their headline conclusions.

Each notebook is executed from a fresh copy of its cells (committed outputs are dropped) with
nbclient and the ``python3`` kernel, working directory ``notebooks/``; any error in any cell
fails the test. The notebooks import only the installed package (``aicredit``, its toolkit
``aicredit.models.experiments``): no path insertion, no helper file beside them. After the
last cell the test runs one more, :data:`HEADLINES`, which reads the variables the notebook
computed and prints the quantities behind its answer; :data:`CHECKS` asserts the answer's
qualitative claims on them (directions and orders, not the full-size numbers, which a
4-seed, 36-month run does not reproduce). Each notebook must open with its question and
close with its answer. The full-size outputs committed in the notebooks are not checked here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from aicredit.models.sweep.run_cache import ENV as RUN_CACHE_ENV

pytestmark = pytest.mark.notebooks

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ["01_quickstart", "02_boom_or_winter", "03_who_holds_the_losses",
            "04_collateral_spiral", "05_policy", "06_what_matters_most", "07_does_finance_amplify"]

#: Per notebook: an expression, evaluated in the executed notebook's kernel, whose value (JSON)
#: holds the quantities behind the notebook's answer, read from the variables it computed.
HEADLINES = {
    "01_quickstart": """{
        "rows": len(mv), "steps": STEPS,
        "defaults": [s0["defaults_total"], s1["defaults_total"]],
        "defaults_neocloud": [s0["defaults_by_sector"]["neocloud"], s1["defaults_by_sector"]["neocloud"]],
        "losses_usd": [s0["losses_total_usd"], s1["losses_total_usd"]],
        "loss_by_holder_usd": s0["losses_by_holder_usd"]}""",
    "02_boom_or_winter": """{arm: {
        "defaults": S[S.arm == arm].defaults_total.mean(),
        "defaults_neocloud": S[S.arm == arm].defaults_neocloud.mean(),
        "losses_usd": S[S.arm == arm].losses_total_usd.mean(),
        "losses_min_usd": S[S.arm == arm].losses_total_usd.min(),
        "gpu_drawdown": S[S.arm == arm].gpu_price_max_drawdown.mean(),
        "cascade": S[S.arm == arm].neocloud_cascade.mean()} for arm in ARMS}""",
    "03_who_holds_the_losses": """{
        "total_usd": W.losses_total_usd.mean(),
        "by_holder_usd": {h: W[f"loss_{h}_usd"].mean() for h in H.HOLDERS},
        "nav_gap_max": S.groupby("arm").pc_nav_gap_max.max().to_dict(),
        "leverage_gap_median": S.groupby("arm").leverage_gap_max.median().to_dict()}""",
    "04_collateral_spiral": """{
        "offsets": offsets.tolist(),
        "margin_calls": {arm: study[(arm, "margin_calls")].tolist() for arm in ("baseline", "ai_winter")},
        "price": {arm: study[(arm, "gpu_price_index")].tolist() for arm in ("baseline", "ai_winter")},
        "drawdown_by_depth": cells.gpu_price_max_drawdown.groupby("depth").mean().to_dict(),
        "calls_by_ltv": cells.margin_calls_total.groupby("ltv").mean().to_dict(),
        "c3": out.to_dict()}""",
    "05_policy": """{
        "effects": {f"{r.policy}|{r.metric}": [r.effect, r["ci low"], r["ci high"]] for _, r in E.iterrows()},
        "lp_401k_loss_bn": S.groupby("arm").lp_401k_loss_bn.agg(["min", "max"]).T.to_dict(),
        "insurer_solvency_min": S.insurer_solvency_min.min()}""",
    "06_what_matters_most": """{"mu_star": st.to_dict(), "failed": int((runs.error != "").sum())}""",
    "07_does_finance_amplify": """{
        "impacts": IMPACTS, "off": [c.on_off.mean_a for c in curves], "on": [c.on_off.mean_b for c in curves],
        "share": [c.share.diff for c in curves], "lines": lines}""",
}


def _check_quickstart(h):
    """The calibrated baseline: the frame has a row per month from step 0; no institution
    fails at the calibrated growth, and with slower growth any that fails is a neocloud (since
    model 0.5.1 none does: the smaller ones live on their anchor deals [R42], not on capped new
    shares); slower growth costs more, not less; losses are
    not zero, the private-credit LPs and shareholders bear them and banks nothing. (That 401(k)
    savers do better with slower growth needs the full 72 months: in 24 the boom has not yet
    built the peak they fall from.)"""
    assert h["rows"] == h["steps"] + 1
    assert h["defaults"][0] == 0, "no institution fails in the calibrated baseline"
    assert h["defaults_neocloud"][1] == h["defaults"][1], "only neoclouds fail with slower growth"
    assert min(h["losses_usd"]) > 0, "the baseline is not loss-free"
    assert h["losses_usd"][1] > h["losses_usd"][0], "slower growth loses more"
    by = h["loss_by_holder_usd"]
    lp_and_shareholders = sum(by[k] for k in by if k.startswith("lp_") or k == "firm_shareholders")
    assert lp_and_shareholders > 0.9 * sum(by.values())
    assert by["banks"] < 0.01 * sum(by.values()), "banks lose (almost) nothing"


def _check_boom_or_winter(h):
    """The winter is what breaks things: more failures, neocloud failures and cascades, larger
    losses and a deeper GPU price fall than the baseline and the boom; losses are never zero;
    the boom fails no more neoclouds than the calibrated baseline and loses far less than the
    winter (about what the baseline loses since 0.5.1: normal-course defaults of the tech book)."""
    boom, base, winter = h["ai_boom"], h["baseline"], h["ai_winter"]
    for key in ("defaults", "defaults_neocloud", "losses_usd", "gpu_drawdown"):
        assert winter[key] > max(base[key], boom[key]), key
    assert winter["cascade"] >= max(base["cascade"], boom["cascade"])
    assert winter["losses_usd"] > 2 * base["losses_usd"]
    assert min(arm["losses_min_usd"] for arm in h.values()) > 0, "losses are never zero"
    # a boom raises the neoclouds' market values and so their room for new shares: it fails no
    # more of them than the baseline (since 0.5.1 few fail in either: their contracts pay)
    assert base["defaults_neocloud"] >= boom["defaults_neocloud"], "the boom fails more neoclouds"
    assert boom["losses_usd"] < 0.5 * winter["losses_usd"], "the boom loses far less than the winter"


def _check_who_holds(h):
    """The winter's losses: firm shareholders carry most of them, more than the private-credit
    LPs, and the two together most of the total; banks under 1%, deposit insurance nothing;
    SPVs hide hyperscaler leverage except under ``spv_consolidation``; reported NAV overstates
    true NAV, but by under 1% (the tech book is marked at its lifetime expected loss, and
    smoothing only delays small marks), and not at all under ``pc_disclosure``."""
    by, total = h["by_holder_usd"], h["total_usd"]
    assert total > 0
    lps = sum(by[k] for k in by if k.startswith("lp_"))
    assert by["firm_shareholders"] > 0.5 * total, "shareholders carry most of the losses"
    assert by["firm_shareholders"] > lps, "shareholders lose more than private-credit LPs"
    assert by["firm_shareholders"] + lps > 0.75 * total
    assert by["banks"] < 0.01 * total, "banks lose under 1%"
    assert by["deposit_insurance"] == 0
    assert h["leverage_gap_median"]["ai_winter"] > 0, "consolidated leverage above reported"
    assert h["leverage_gap_median"]["spv_consolidation"] < 1e-9, "consolidation closes the gap"
    assert 1e-3 < h["nav_gap_max"]["ai_winter"] < 0.01, "reported NAV overstates true NAV, a little"
    assert h["nav_gap_max"]["pc_disclosure"] < 1e-9, "disclosure closes the NAV gap"


def _check_collateral_spiral(h):
    """Releases are anticipated: no burst of margin calls at a generation release (the release
    month has at most 1.5 times the calls of the busiest other month of the window, in both
    scenarios; model 0.4.0 had six times) and no jump of the baseline's GPU price index (within
    5% of the month before; 0.4.0: +15%); a thinner market deepens the price fall and a higher
    origination LTV brings more calls; switching the spiral (C3) off makes the price fall
    shallower and fails no more neoclouds."""
    at = {o: i for i, o in enumerate(h["offsets"])}
    for arm, calls in h["margin_calls"].items():
        others = [c for o, c in zip(h["offsets"], calls, strict=True) if o != 0]
        assert calls[at[0]] <= 1.5 * max(max(others), 1.0), (arm, calls)
    assert abs(h["price"]["baseline"][at[0]] / h["price"]["baseline"][at[-1]] - 1) < 0.05, h["price"]
    dd = {float(k): v for k, v in h["drawdown_by_depth"].items()}    # JSON keys are strings
    assert dd[min(dd)] > dd[max(dd)], dd
    calls = {float(k): v for k, v in h["calls_by_ltv"].items()}
    assert calls[max(calls)] > calls[min(calls)], calls
    c3 = dict(h["c3"])
    off = c3.pop("c3 off")
    for on in c3.values():                      # the default depth and LTV, if in the grid
        assert off["gpu_price_max_drawdown"] < on["gpu_price_max_drawdown"] - 0.02
        assert off["defaults_neocloud"] <= on["defaults_neocloud"]


def _check_policy(h):
    """No lever changes how the winter unfolds (neocloud failures move by under 0.1 a run);
    no 401(k) access to alternatives removes the savers' LP losses; the bank lending cap and
    disclosure no longer change bank + insurer losses (no BDC fails: banks' lines cost nothing
    with or without them); GPU-loan haircuts make the GPU price fall shallower; insurers stay
    far from the company action level (200%)."""
    lp = h["lp_401k_loss_bn"]
    assert lp["no_401k_alternatives"]["max"] == 0 and lp["ai_winter"]["min"] > 0
    e = h["effects"]
    for key, (effect, _, _) in e.items():
        if key.endswith("|neocloud defaults"):
            assert abs(effect) < 0.1, key
    for policy in ("bank_pc_limit", "pc_disclosure"):
        effect, lo, hi = e[f"{policy}|bank + insurer losses (bn)"]
        assert lo <= 0 <= hi, (policy, effect, lo, hi)
    assert e["gpu_haircuts|GPU price drawdown"][0] < 0
    assert h["insurer_solvency_min"] > 2.0


def _check_what_matters(h):
    """How hard AI demand falls matters most: ``demand_shock_size`` is first for most outputs;
    market depth, which moves the price fall, moves no neocloud failure."""
    assert h["failed"] == 0
    firsts = [max(mu, key=lambda p: mu[p] if mu[p] == mu[p] else -1.0) for mu in h["mu_star"].values()]
    assert firsts.count("demand_shock_size") >= len(firsts) / 2, firsts
    assert h["mu_star"]["defaults_by_sector.neocloud"]["fire_sale_depth_share"] == 0


def _check_amplify(h):
    """With every reaction off no forced sale moves a price, so the first-round losses are the
    same at every price impact (to the last bit); the reactions make under half of the winter's
    losses at the shipped impact (the first round sets its size); with C6 off banks keep their
    lines to private credit (C6 is the banks' reaction, not their exposure; model 0.6.1)."""
    off = h["off"]
    assert max(off) - min(off) <= 1e-9 * max(abs(x) for x in off), off
    assert h["share"][h["impacts"].index(1.0)] < 0.5, h["share"]
    assert h["lines"]["all off"] > 0 and h["lines"]["all on"] > 0, h["lines"]


CHECKS = {"01_quickstart": _check_quickstart, "02_boom_or_winter": _check_boom_or_winter,
          "03_who_holds_the_losses": _check_who_holds, "04_collateral_spiral": _check_collateral_spiral,
          "05_policy": _check_policy, "06_what_matters_most": _check_what_matters,
          "07_does_finance_amplify": _check_amplify}


def test_the_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_question_first_answer_last(path):
    nb = nbformat.read(path, as_version=4)
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and "**Question.**" in first.source, path.name
    assert last.cell_type == "markdown" and last.source.lstrip().startswith("## Answer"), path.name
    assert "PLACEHOLDER" not in last.source and len(last.source) > 200, path.name


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_quick(path, monkeypatch, run_cache_dir):
    monkeypatch.setenv("AICREDIT_QUICK", "1")
    # the notebooks repeat the same 36-month runs (ai_winter and baseline in four of them, the
    # policy scenarios in two): each is simulated once in the session and read back after
    # (the same numbers: tests/test_run_cache.py)
    monkeypatch.setenv(RUN_CACHE_ENV, str(run_cache_dir))
    # the notebooks' Monte Carlos run in their kernel: no pool of spawned processes (each would
    # import the model again) beside the other xdist worker; the results are the same
    monkeypatch.setenv("AICREDIT_MAX_WORKERS", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:                       # run a clean copy, not the committed outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\n"
        f"print('HEADLINE ' + _json.dumps({HEADLINES[path.stem]}, default=float))"))
    # the kernel is stopped at once when the last cell has run (every output is in by then)
    # instead of being asked to shut down and waited for
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", shutdown_kernel="immediate",
                                     resources={"metadata": {"path": str(NB_DIR)}})
    client.execute()                            # raises CellExecutionError on any error
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "quick mode" in text, "the notebook did not see AICREDIT_QUICK=1"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    headline = json.loads(text.rsplit("HEADLINE ", 1)[1].splitlines()[0])
    print(path.stem, headline)
    CHECKS[path.stem](headline)


def test_monte_carlo_runs_through_the_sweep_and_matches_a_direct_run(monkeypatch):
    """``experiments.monte_carlo`` (one ``models.sweep.run_sweep`` per arm) reports what a direct
    run of the model gives: its summary, reporters, default events and series."""
    import numpy as np

    from aicredit.models import AIEconomyModel
    from aicredit.models import experiments as H
    from aicredit.models.report import summary

    overrides = {"gpu_loan_max_ltv": 0.8}
    mc = H.monte_carlo({"w": ("ai_winter", overrides)}, [3], steps=30, workers=1,
                       series=("margin_calls",), verbose=False)
    m = AIEconomyModel("ai_winter", seed=3, collect_agents=False, steps=30, **overrides)
    while m.running:
        m.step()
    s, df = summary(m), m.datacollector.get_model_vars_dataframe()
    row = mc.summary.iloc[0]
    assert (row["arm"], row["scenario"], row["seed"]) == ("w", "ai_winter", 3)
    assert all(row[f"defaults_{k}"] == v for k, v in s["defaults_by_sector"].items())
    assert all(row[f"loss_{k}_usd"] == v for k, v in s["losses_by_holder_usd"].items())
    assert row["losses_total_usd"] == s["losses_total_usd"]
    assert row["margin_calls_total"] == df["margin_calls"].sum()
    neo = [e["step"] for e in m.default_events if e["sector"] == "neocloud"]
    assert row["neocloud_cascade"] == H.neocloud_cascade(neo)
    assert sorted((e["step"], e["sector"]) for e in m.default_events) == \
        sorted(zip(mc.events["step"], mc.events["sector"], strict=True))
    assert len(m.default_events) > 0
    np.testing.assert_array_equal(mc.series["margin_calls"]["w"][0], df["margin_calls"])


def test_headline_checks_fail_on_the_opposite_conclusion():
    """The checks can fail: a boom that breaks more than the winter, banks that carry the
    winter's losses, or a burst of margin calls at a release, are refused."""
    arm = {"defaults": 1.0, "defaults_neocloud": 1.0, "losses_usd": 1e11, "losses_min_usd": 1e10,
           "gpu_drawdown": 0.2, "cascade": 0.1}
    worse = {k: 5 * v for k, v in arm.items()} | {"cascade": 0.5}
    base = arm | {"defaults_neocloud": 2.0, "losses_usd": 2e11}
    _check_boom_or_winter({"ai_boom": arm, "baseline": base, "ai_winter": worse})
    with pytest.raises(AssertionError):
        _check_boom_or_winter({"ai_boom": worse, "baseline": base, "ai_winter": arm})
    with pytest.raises(AssertionError):         # a boom that fails more neoclouds than the baseline
        _check_boom_or_winter({"ai_boom": base, "baseline": arm, "ai_winter": worse})
    holders = {"firm_shareholders": 60.0, "lp_insurers": 25.0, "banks": 0.5, "deposit_insurance": 0.0}
    h = {"total_usd": 85.5, "by_holder_usd": holders,
         "leverage_gap_median": {"ai_winter": 0.1, "spv_consolidation": 0.0},
         "nav_gap_max": {"ai_winter": 0.005, "pc_disclosure": 0.0}}
    _check_who_holds(h)
    with pytest.raises(AssertionError):
        _check_who_holds(h | {"by_holder_usd": holders | {"banks": 60.0}, "total_usd": 145.5})
    with pytest.raises(AssertionError):         # LPs, not shareholders, carry the losses
        _check_who_holds(h | {"by_holder_usd": holders | {"firm_shareholders": 25.0, "lp_insurers": 60.0}})
    offsets = list(range(-3, 7))
    calm = [20.0] * 10
    spiral = {"offsets": offsets, "margin_calls": {"baseline": calm, "ai_winter": calm},
              "price": {"baseline": [1.0] * 10, "ai_winter": [1.0] * 10},
              "drawdown_by_depth": {"1.0": 0.6, "3.0": 0.5}, "calls_by_ltv": {"0.5": 90.0, "0.7": 250.0},
              "c3": {"c3 off": {"gpu_price_max_drawdown": 0.4, "defaults_neocloud": 3.9},
                     "c3 on": {"gpu_price_max_drawdown": 0.48, "defaults_neocloud": 3.9}}}
    _check_collateral_spiral(spiral)
    burst = calm[:3] + [126.0] + calm[4:]      # model 0.4.0: a burst of calls at the release
    with pytest.raises(AssertionError):
        _check_collateral_spiral(spiral | {"margin_calls": {"baseline": burst, "ai_winter": calm}})
    with pytest.raises(AssertionError):        # a price jump at the release
        _check_collateral_spiral(spiral | {"price": {"baseline": [1.0] * 3 + [1.155] * 7,
                                                     "ai_winter": [1.0] * 10}})
    amp = {"impacts": [1.0, 4.0], "off": [3e11, 3e11], "on": [3.1e11, 3.3e11], "share": [0.03, 0.09],
           "lines": {"all on": 4e11, "all off": 4e11}}
    _check_amplify(amp)
    with pytest.raises(AssertionError):        # C6 off removing banks' lines (model 0.6.0)
        _check_amplify(amp | {"lines": {"all on": 4e11, "all off": 0.0}})
    with pytest.raises(AssertionError):        # reactions that set the winter's size
        _check_amplify(amp | {"share": [0.6, 0.7]})
    with pytest.raises(AssertionError):        # a first round that moves with price impact
        _check_amplify(amp | {"off": [3e11, 3.1e11]})
