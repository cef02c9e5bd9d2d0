"""Record or compare the outputs of every shipped scenario for a few seeds.

A restructure that must leave results unchanged is checked with it: record before, compare
after. ``python scripts/fingerprint.py record DIR`` writes ``summary.json`` and
``model_vars.parquet`` of each scenario (all but the large ``synthetic``) and seed 0-3 to ``DIR``;
``python scripts/fingerprint.py compare DIR`` runs them again and lists every number that
differs (exit 1 if any does).
"""
from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from aicredit.models.scenario import scenario_names

#: Every shipped scenario but the large economies (``synthetic``, which tests scale): see
#: :func:`aicredit.models.scenario.scenario_names`.
SCENARIOS = scenario_names(large=False)
SEEDS = range(4)


def _run(job):
    from aicredit.models.model import AIEconomyModel
    from aicredit.models.report import summary
    scenario, seed = job
    model = AIEconomyModel(scenario, seed=seed, collect_agents=False)
    while model.running:
        model.step()
    s = summary(model)
    s.pop("model_version", None)
    mv = model.datacollector.get_model_vars_dataframe()
    return scenario, seed, json.loads(json.dumps(s, default=float)), mv


def _all():
    with ProcessPoolExecutor(2) as ex:
        yield from ex.map(_run, [(sc, s) for sc in SCENARIOS for s in SEEDS])


def record(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for sc, seed, s, mv in _all():
        (out / f"{sc}_{seed}.json").write_text(json.dumps(s, indent=1, sort_keys=True))
        mv.to_parquet(out / f"{sc}_{seed}.parquet")


def compare(ref: Path) -> int:
    bad = 0
    for sc, seed, s, mv in _all():
        old = json.loads((ref / f"{sc}_{seed}.json").read_text())
        if old != s:
            bad += 1
            keys = sorted(k for k in set(old) | set(s) if old.get(k) != s.get(k))
            print(f"{sc} seed {seed}: summary differs in {keys}")
            for k in keys[:6]:
                print(f"   {k}: {old.get(k)} -> {s.get(k)}")
        old_mv = pd.read_parquet(ref / f"{sc}_{seed}.parquet")
        cols = sorted(set(old_mv.columns) | set(mv.columns))
        diff = [c for c in cols if c not in old_mv or c not in mv
                or not old_mv[c].reset_index(drop=True).equals(mv[c].reset_index(drop=True))]
        if diff:
            bad += 1
            print(f"{sc} seed {seed}: model_vars differ in {diff}")
    print("unchanged" if not bad else f"{bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd, path = sys.argv[1], Path(sys.argv[2])
    sys.exit(record(path) if cmd == "record" else compare(path))
