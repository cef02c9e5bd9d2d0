"""Determinism: same seed, same results; no state shared between models; batch_run works."""
from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from aicredit.models.model import AIEconomyModel
from aicredit.models.report import summary

STEPS = 24


def build(scenario, seed, steps=STEPS):
    return AIEconomyModel(scenario, seed=seed, collect_agents=False, steps=steps)


def frame(m):
    """The model's DataCollector frame, rebuilt from what the model collected."""
    return m.datacollector.get_model_vars_dataframe()


def run(scenario, seed, steps=STEPS):
    m = build(scenario, seed, steps)
    for _ in range(steps):
        m.step()
    return m


_cache: dict = {}


def cached_run(scenario, seed, steps=STEPS):
    """One sequential run per (scenario, seed, steps) for comparisons against it."""
    key = (scenario, seed, steps)
    if key not in _cache:
        m = run(scenario, seed, steps)
        _cache[key] = (frame(m).copy(), summary(m))
    return _cache[key]


@pytest.mark.parametrize("scenario", ["baseline", "ai_winter"])
def test_same_seed_same_results(scenario):
    df1, s1 = cached_run(scenario, 7)
    m2 = run(scenario, 7)
    df2, s2 = frame(m2), summary(m2)
    assert len(df1) == STEPS + 1
    pd.testing.assert_frame_equal(df1, df2, check_exact=True)
    assert s1 == s2
    # The run is not trivially constant (so equality above means something).
    assert df1["ai_demand_usd_per_month"].nunique() > 1
    assert df1["ai_index"].nunique() > 1


def test_different_seeds_differ():
    df_a, _ = cached_run("baseline", 7)
    df_b = frame(run("baseline", 8))
    assert list(df_a.columns) == list(df_b.columns) and len(df_a) == len(df_b)
    assert not df_a.equals(df_b)
    # Shocks are random: the demand paths differ after step 0 but agree at step 0.
    assert df_a["ai_demand_usd_per_month"].iloc[0] == df_b["ai_demand_usd_per_month"].iloc[0]
    assert not np.array_equal(df_a["ai_demand_usd_per_month"].to_numpy()[1:],
                              df_b["ai_demand_usd_per_month"].to_numpy()[1:])


def test_interleaved_models_equal_sequential_runs():
    """Two models stepped alternately in one process give the sequential results."""
    a = build("baseline", 7)
    b = build("ai_winter", 3)
    for _ in range(STEPS):
        a.step()
        b.step()
    df_a, s_a = cached_run("baseline", 7)
    df_b, s_b = cached_run("ai_winter", 3)
    pd.testing.assert_frame_equal(frame(a), df_a, check_exact=True)
    pd.testing.assert_frame_equal(frame(b), df_b, check_exact=True)
    assert summary(a) == s_a
    assert summary(b) == s_b


def test_building_a_model_does_not_disturb_another():
    """Creating a second model mid-run (as batch_run does) leaves the first unchanged."""
    a = build("ai_winter", 3)
    for t in range(STEPS):
        if t == 5:
            other = build("ai_winter", 3)
            other.step()
        a.step()
    df_b, _ = cached_run("ai_winter", 3)
    pd.testing.assert_frame_equal(frame(a), df_b, check_exact=True)


def test_seed_none_still_runs():
    m = build("baseline", None, steps=2)
    m.step()
    m.step()
    assert len(frame(m)) == 3


def test_batch_run():
    steps = 6
    rows = mesa.batch_run(AIEconomyModel,
                          parameters={"scenario": "baseline", "seed": [0, 1], "steps": steps,
                                      "collect_agents": False},
                          max_steps=steps, number_processes=1, display_progress=False)
    assert rows
    df = pd.DataFrame(rows)
    assert set(df["seed"]) == {0, 1}
    assert set(df["scenario"]) == {"baseline"}
    assert (df["steps"] == steps).all()
    assert {"RunId", "iteration", "Step", "ai_index", "gpu_price_index"} <= set(df.columns)
    assert df["RunId"].nunique() == 2
    # Each run's collected row equals a direct run of the same seed at that step.
    for seed in (0, 1):
        row = df[df["seed"] == seed].iloc[-1]
        step = int(row["Step"])
        assert step >= steps - 1
        m = build("baseline", seed, steps)
        while m.steps <= step:
            m.step()
        direct = frame(m).iloc[step]
        for col in ("ai_index", "gpu_price_index", "ai_demand_usd_per_month", "defaults_total"):
            assert row[col] == direct[col], col
    r0 = df[df["seed"] == 0].iloc[-1]
    r1 = df[df["seed"] == 1].iloc[-1]
    assert r0["ai_demand_usd_per_month"] != r1["ai_demand_usd_per_month"]


def test_batch_run_with_agent_data():
    rows = mesa.batch_run(AIEconomyModel,
                          parameters={"scenario": "baseline", "seed": [0, 1], "steps": 6},
                          max_steps=6, number_processes=1, display_progress=False)
    assert rows
    df = pd.DataFrame(rows)
    assert set(df["seed"]) == {0, 1}
    assert "AgentID" in df.columns
    per_run = df.groupby("RunId")["AgentID"].nunique()
    assert (per_run == per_run.iloc[0]).all() and per_run.iloc[0] > 1


def test_a_cached_run_extended_is_the_run_from_month_0(run, run_cache, frame):
    """The session's run cache (tests/conftest.py) makes a run by copying the longest cached
    shorter run of the same scenario, seed and overrides and stepping it on. That is the run
    made from month 0, bit for bit (frames, defaults, losses, every account and claim), and
    the shorter run is left as it was. A deep early winter, so that institutions fail in the
    months the copy adds."""
    shock = dict(demand_shock_step=4, demand_shock_size=0.7, fire_sale_depth_share=0.05)
    short = run("ai_winter", steps=10, seed=6, **shock)
    before = (len(frame(short)), len(short.default_events), short.ledger.scale())
    extended = run_cache.extended
    long = run("ai_winter", steps=24, seed=6, **shock)
    assert run_cache.extended == extended + 1
    ref = run("ai_winter", steps=24, seed=6, fresh=True, **shock)
    pd.testing.assert_frame_equal(frame(long), frame(ref), check_exact=True)
    assert len(long.default_events) > before[1]
    assert long.default_events == ref.default_events and long.losses.events == ref.losses.events
    assert [long.ledger.balance(a) for a in long.ledger.names] == \
        [ref.ledger.balance(a) for a in ref.ledger.names]
    assert [c.value_usd() for c in long.claims.all] == [c.value_usd() for c in ref.claims.all]
    assert summary(long) == summary(ref)
    assert (len(frame(short)), len(short.default_events), short.ledger.scale()) == before
