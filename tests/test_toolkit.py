"""The notebooks' toolkit (``aicredit.models.experiments``): the cap on its processes.

``AICREDIT_MAX_WORKERS`` keeps :func:`monte_carlo` from starting more processes than a shared
machine (or the test suite, which runs the notebooks beside another xdist worker) allows; the
results do not depend on it.
"""
from __future__ import annotations

import pytest

from aicredit.models import experiments
from aicredit.models.experiments import MAX_WORKERS_ENV, capped_workers, monte_carlo


def test_the_cap_lowers_the_workers_and_never_raises_them(monkeypatch):
    monkeypatch.delenv(MAX_WORKERS_ENV, raising=False)
    assert capped_workers(2) == 2
    monkeypatch.setenv(MAX_WORKERS_ENV, "1")
    assert capped_workers(2) == 1
    monkeypatch.setenv(MAX_WORKERS_ENV, "8")
    assert capped_workers(2) == 2


@pytest.mark.parametrize("bad", ["0", "two", "-1", "1.5", ""])
def test_a_cap_that_is_no_whole_number_is_refused_naming_the_variable(monkeypatch, bad):
    monkeypatch.setenv(MAX_WORKERS_ENV, bad)
    with pytest.raises(ValueError, match=f"{MAX_WORKERS_ENV} must be a whole number >= 1, got {bad!r}"):
        capped_workers(2)


def test_capped_at_one_the_runs_stay_in_this_process_with_the_same_results(monkeypatch):
    free = monte_carlo(["baseline"], [0, 1], steps=2, workers=1, verbose=False)
    monkeypatch.setenv(MAX_WORKERS_ENV, "1")

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started despite the cap")
    monkeypatch.setattr(experiments.cf, "ProcessPoolExecutor", no_pool)
    capped = monte_carlo(["baseline"], [0, 1], steps=2, workers=2, verbose=False)
    assert capped.summary.drop(columns="duration_s").equals(free.summary.drop(columns="duration_s"))
