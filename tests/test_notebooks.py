"""The notebooks in ``notebooks/`` run top to bottom at reduced size (``AICREDIT_QUICK=1``).

Each notebook is executed from a fresh copy of its cells (committed outputs are dropped) with
nbclient and the ``python3`` kernel, working directory ``notebooks/`` so ``_helpers`` imports;
any error in any cell fails the test. Each notebook must open with its question and close with
its answer. The full-size outputs committed in the notebooks are not checked here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.notebooks

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NB_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ["01_quickstart", "02_boom_or_winter", "03_who_holds_the_losses",
            "04_collateral_spiral", "05_policy", "06_what_matters_most"]


def test_the_six_notebooks_exist():
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
def test_notebook_runs_quick(path, monkeypatch):
    monkeypatch.setenv("AICREDIT_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:                       # run a clean copy, not the committed outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NB_DIR)}})
    client.execute()                            # raises CellExecutionError on any error
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "quick mode" in text, "the notebook did not see AICREDIT_QUICK=1"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors


def test_monte_carlo_runs_through_the_sweep_and_matches_a_direct_run(monkeypatch):
    """``_helpers.monte_carlo`` (one ``models.sweep.run_sweep`` per arm) reports what a direct
    run of the model gives: its summary, reporters, default events and series."""
    import numpy as np

    from aicredit.models import AIEconomyModel
    from aicredit.models.report import summary
    monkeypatch.syspath_prepend(str(NB_DIR))
    import _helpers as H

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
