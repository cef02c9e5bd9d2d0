"""The public surface (``import aicredit``): its names, their docstrings and the generated
``docs/api.md``; :func:`aicredit.run`'s table; what Mesa's ``batch_run`` does with the model."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aicredit
from aicredit.models import apidoc

ROOT = Path(__file__).resolve().parents[1]
ISSUE_NAMES = {"AIEconomyModel", "load_scenario", "run", "summary", "run_sweep", "load_sweep"}
MODULES = [module for module, _, _ in apidoc.SECTIONS]


def test_import_aicredit_gives_the_public_names_lazily():
    assert ISSUE_NAMES <= set(aicredit.__all__)
    for name in aicredit.__all__:
        assert getattr(aicredit, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        aicredit.nope                                           # noqa: B018
    code = ("import sys, aicredit; assert 'mesa' not in sys.modules; "
            "from aicredit import *; assert callable(run) and 'mesa' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy(), cwd=ROOT)


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_has_a_docstring(module):
    assert apidoc.missing_docstrings(module) == []


def test_a_public_name_without_a_docstring_is_found(monkeypatch):
    from aicredit.models import experiments

    def undocumented():
        pass

    monkeypatch.setattr(experiments, "undocumented", undocumented, raising=False)
    monkeypatch.setattr(experiments, "__all__", [*experiments.__all__, "undocumented"])
    assert apidoc.missing_docstrings("aicredit.models.experiments") == ["undocumented"]


PUBLIC = [(module, name) for module in MODULES for name, obj in apidoc.public_names(module)
          if apidoc.documented(obj)]


@pytest.mark.parametrize("module, name", PUBLIC, ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_public_names_have_numpydoc_sections(module, name):
    """Each public function documents its parameters and what it returns, numpydoc style
    (a class its parameters or attributes)."""
    import importlib
    import inspect
    obj = getattr(importlib.import_module(module), name)
    doc = inspect.getdoc(obj)
    assert doc and doc.splitlines()[0].strip(), name
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return
    if inspect.signature(obj).parameters:
        assert "Parameters\n----------" in doc or (
            inspect.isclass(obj) and "Attributes\n----------" in doc), name
    if inspect.isfunction(obj):
        assert "Returns\n-------" in doc, name


def test_api_page_is_current():
    page = (ROOT / "docs" / "api.md").read_text()
    assert page == apidoc.api_markdown(), "run: python -m aicredit.models.apidoc > docs/api.md"
    for module in MODULES:
        for name, _ in apidoc.public_names(module):
            assert f"### `{module}.{name}`" in page


def test_run_is_tidy_and_matches_a_direct_run():
    from aicredit import AIEconomyModel
    from aicredit.models.api import flat_summary

    df = aicredit.run("ai_winter", seeds=[3, 1], steps=4, gpu_loan_max_ltv=0.8)
    assert list(df.columns[:4]) == ["scenario", "seed", "step", "date"]
    assert len(df) == 2 * 5 and not df.duplicated(["seed", "step"]).any()
    assert list(df["seed"].unique()) == [3, 1] and set(df["scenario"]) == {"ai_winter"}
    assert list(df["step"][:5]) == [0, 1, 2, 3, 4] and list(df["date"][:2]) == ["2025-01", "2025-02"]
    model = AIEconomyModel("ai_winter", seed=1, collect_agents=False, steps=4, gpu_loan_max_ltv=0.8)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    mine = df[df["seed"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine[frame.columns], frame.reset_index(drop=True))
    summaries = df.attrs["summary"]
    assert [s["seed"] for s in summaries] == [3, 1]
    assert summaries[1] == flat_summary(model)
    assert "defaults_by_sector.neocloud" in summaries[1]
    assert all(not isinstance(v, dict) for v in summaries[1].values())
    table = pd.DataFrame(summaries)
    assert table.loc[1, "losses_total_usd"] == frame["losses_total_usd"].iloc[-1]


def test_run_is_bit_identical_for_the_same_seed_and_concatenates():
    a = aicredit.run("baseline", seeds=2, steps=3)
    b = aicredit.run("baseline", seeds=[2], steps=3)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    both = pd.concat([a, aicredit.run("ai_winter", seeds=2, steps=3)], ignore_index=True)
    assert len(both) == 8 and list(both["scenario"].unique()) == ["baseline", "ai_winter"]


@pytest.mark.slow
def test_run_in_processes_gives_the_same_rows():
    one = aicredit.run("ai_winter", seeds=[0, 1], steps=3)
    two = aicredit.run("ai_winter", seeds=[0, 1], steps=3, workers=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert one.attrs == two.attrs


@pytest.mark.parametrize("kwargs, message", [
    ({"seeds": []}, "seeds must list at least one seed"),
    ({"seeds": [1, 1]}, "seeds list a seed twice"),
    ({"seeds": [-1]}, "seeds must be non-negative ints, got -1"),
    ({"seeds": [0.5]}, "seeds must be non-negative ints, got 0.5"),
    ({"seeds": "0"}, "seeds must be an int or a list of ints"),
    ({"steps": 0}, "steps must be a positive int"),
    ({"steps": 2.5}, "steps must be a positive int"),
    ({"workers": 0}, "workers must be a positive int"),
    ({"seed": 3}, "run takes seeds=, not seed="),
    ({"collect_agents": True}, "run collects model-level rows only"),
])
def test_run_refuses_bad_arguments_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        aicredit.run("baseline", **kwargs)
    assert "\n" not in str(err.value)


def test_run_refuses_an_unknown_parameter():
    with pytest.raises(aicredit.ScenarioError, match="no_such_parameter"):
        aicredit.run("baseline", steps=1, no_such_parameter=1)


def test_batch_run_leaves_out_the_last_month_as_docs_api_says():
    """What docs/api.md says about Mesa's ``batch_run``: it returns rows up to ``Step =
    model.steps - 1`` (the last month is left out), and one month more returns the end state.
    If a Mesa upgrade fixes this, this test fails: update the page and the README."""
    import mesa

    def steps_of(n_months):
        rows = mesa.batch_run(aicredit.AIEconomyModel, parameters={
            "scenario": "baseline", "seed": 0, "collect_agents": False, "steps": n_months},
            max_steps=n_months, data_collection_period=1, number_processes=1,
            display_progress=False)
        return pd.DataFrame(rows)

    plain = steps_of(3)
    assert list(plain["Step"]) == [0, 1, 2]                     # the third month is left out
    extra = steps_of(4)
    assert list(extra["Step"]) == [0, 1, 2, 3]
    end = aicredit.run("baseline", seeds=0, steps=3).iloc[-1]
    for col in ("ai_index", "gpu_price_index", "losses_total_usd", "defaults_total"):
        assert np.array_equal(extra[col].iloc[-1], end[col]), col
