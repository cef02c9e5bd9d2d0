"""The benchmarks still run against the engine they measure (a smoke test, not a timing).

``benchmarks/bench_model.py`` wraps engine functions with timers; when a restructure moves
them, the benchmark breaks silently until someone runs it. This test runs its machinery on a
two-month baseline.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from aicredit.abm import settlement
from aicredit.abm.markets import fire_sale

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_model_times_the_engine_stages(monkeypatch):
    import mesa
    # let pytest restore everything the benchmark wraps
    monkeypatch.setattr(fire_sale, "clear_fire_sale", fire_sale.clear_fire_sale)
    monkeypatch.setattr(settlement, "clear_payments", settlement.clear_payments)
    monkeypatch.setattr(mesa.DataCollector, "collect", mesa.DataCollector.collect)
    monkeypatch.setattr(mesa.agent.AgentSet, "select", mesa.agent.AgentSet.select)
    bench = load("bench_model")
    bench.install_timers()
    r = bench.run("baseline", 2, collect_agents=False)
    assert r["steps"] == 2 and r["wall_s"] > 0
    assert r["shares"]["payment clearing"] > 0          # the timer sits on the real stage
