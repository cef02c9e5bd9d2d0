"""The paired-seed sign tests of the validation table: every experiment of
``aicredit.models.validation.experiments.EXPERIMENTS`` that declares a ``SignTest`` is run here
on its few seeds, and each output it names must move with the sign the table expects: by the
one rule of ``aicredit.models.stats`` (the t interval excludes 0 on that side), or for a test
whose rule is ``"mean"`` by the mean difference's sign (a direction check). The table is
the one definition of the experiment (arms, outputs, expected signs); this file only runs it.
The full page, on 32 seeds and every output, is ``python -m aicredit.models.validate``."""
from __future__ import annotations

import pytest

from aicredit.models.sweep.run_cache import ENV as RUN_CACHE_ENV
from aicredit.models.validation.experiments import EXPERIMENTS, OUTPUT_BY_KEY
from aicredit.models.validation.run import AS_EXPECTED, analyse, run_experiments

CHECKED = [e for e in EXPERIMENTS if e.test is not None]
_RESULTS: dict = {}


def _results(seeds: int, steps: int | None) -> dict:
    """Every checked experiment's arms with these seeds and months, run once for the module
    (experiments share arms: ai_winter is in most)."""
    if (seeds, steps) not in _RESULTS:
        group = [e for e in CHECKED if (e.test.seeds, e.test.steps) == (seeds, steps)]
        _RESULTS[(seeds, steps)] = run_experiments(group, list(range(seeds)), steps, workers=1,
                                                   progress=False)
    return _RESULTS[(seeds, steps)]


def test_the_table_declares_sign_tests_on_predicted_outputs():
    assert len(CHECKED) >= 3
    for e in CHECKED:
        assert e.test.seeds >= 4 and e.test.outputs and e.test.rule in ("interval", "mean"), e.name
        for key in e.test.outputs:
            assert key in OUTPUT_BY_KEY, f"{e.name}: {key} is not an output"
            assert e.expect[key].sign in ("+", "-"), f"{e.name}: {key} has no predicted sign"


@pytest.mark.slow
@pytest.mark.parametrize("experiment", CHECKED, ids=lambda e: e.name)
def test_experiment_moves_its_outputs_with_the_expected_sign(experiment, monkeypatch, run_cache_dir):
    # their arms' runs of ai_winter and baseline are the notebooks' quick runs: read back from
    # the session's run cache when a notebook made them first (tests/test_run_cache.py)
    monkeypatch.setenv(RUN_CACHE_ENV, str(run_cache_dir))
    t = experiment.test
    rows = {r["output"]: r for r in analyse([experiment], _results(t.seeds, t.steps))}
    for key in t.outputs:
        r = rows[key]
        s = r["stats"]
        assert s.n == t.seeds, f"{experiment.name}: {t.seeds - s.n} runs failed"
        found = (f"{experiment.name}: {key} expected {r['expected']}, got {r['verdict']}: B - A = "
                 f"{s.diff:.4g} [{s.lo:.4g}, {s.hi:.4g}] on {s.n} seeds")
        if t.rule == "interval":
            assert r["verdict"] == AS_EXPECTED, found
        else:                                   # "mean": the direction only
            assert not s.all_zero and (s.diff > 0) == (r["expected"] == "+"), found
