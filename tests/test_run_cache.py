"""The run cache of the sweeps (``models/sweep/run_cache.py``): with ``$AICREDIT_RUN_CACHE``
set, a run is simulated once and read back after, in any process, with the same outputs, bit
for bit, as a run simulated; without it nothing is cached. The test suite uses it for the
notebooks' quick runs and the validation table's sign tests (``tests/conftest.py``)."""
from __future__ import annotations

import pickle

import pandas as pd

from aicredit.models.sweep import build_runs, run_sweep, spec_from_dict
from aicredit.models.sweep.run_cache import ENV, run_key

#: A short winter whose demand shock falls inside the run, and an output of every kind: summary
#: keys (dotted too), reporters with each aggregator (``min_after_shock`` reads the shock's
#: month) and a whole series.
SPEC = {"scenario": "ai_winter", "steps": 6, "seeds": [0, 1], "fixed": {"demand_shock_step": 3},
        "outputs": ["defaults_total", "first_default_step", "losses_total_usd",
                    "defaults_by_sector.neocloud", "losses_by_holder_usd.lp_401k", "ai_index",
                    "ai_index:min", "ai_index:max", "ai_index:mean", "margin_calls:sum",
                    "gpu_loans_outstanding_usd:first_step", "insurer_solvency_min:min_after_shock",
                    "series:gpu_price_index", "series:losses_total_usd"]}


def _sweep(tmp_path, name):
    return run_sweep(spec_from_dict(SPEC), tmp_path / name, workers=1, progress=False).sort_values("run_id")


def test_runs_read_back_from_the_cache_equal_runs_simulated(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    simulated = _sweep(tmp_path, "plain")
    cache = tmp_path / "cache"
    assert not cache.exists()
    monkeypatch.setenv(ENV, str(cache))
    stored = _sweep(tmp_path, "stored")                        # simulated and stored
    runs = build_runs(spec_from_dict(SPEC))
    assert sorted(p.name for p in cache.iterdir()) == sorted(run_key(r) for r in runs)
    read = _sweep(tmp_path, "read")                            # read back
    assert (simulated["error"] == "").all()
    for df in (stored, read):
        pd.testing.assert_frame_equal(df.drop(columns="duration_s").reset_index(drop=True),
                                      simulated.drop(columns="duration_s").reset_index(drop=True),
                                      check_exact=True)
    # what is read back is the file: a record changed on disk shows in the outputs
    path = cache / run_key(runs[0])
    record = pickle.loads(path.read_bytes())
    record["summary"]["losses_total_usd"] = -1.0
    path.write_bytes(pickle.dumps(record))
    doctored = _sweep(tmp_path, "doctored").set_index("run_id")["losses_total_usd"]
    assert doctored[runs[0]["run_id"]] == -1.0
    assert doctored[runs[1]["run_id"]] == simulated.set_index("run_id")["losses_total_usd"][runs[1]["run_id"]]


def test_a_run_has_its_own_record():
    """Another seed, another parameter value or another model is another file."""
    run, = build_runs(spec_from_dict({**SPEC, "seeds": [0]}))
    other_seed, = build_runs(spec_from_dict({**SPEC, "seeds": [1]}))
    other_value, = build_runs(spec_from_dict({**SPEC, "seeds": [0], "fixed": {"demand_shock_step": 4}}))
    keys = {run_key(run), run_key(other_seed), run_key(other_value), run_key({**run, "model": "x:Y"})}
    assert len(keys) == 4
    assert run_key(dict(run)) == run_key(run)
