"""Shared fixtures: a baseline model at step 0, and small helpers for running scenarios.

Markers (registered in pyproject.toml): ``slow`` (more than ~2 s), ``browser``, ``notebooks``
and ``cluster``. A test carrying one of the last three is slow too (added here), so the quick
loop ``python -m pytest -m "not slow"`` skips them all; ``scripts/test.sh`` runs everything.
"""
from __future__ import annotations

import pytest

from aicredit.abm.markets.gpu import GPUMarket
from aicredit.abm.units import BN  # noqa: F401  (re-exported for the tests)
from aicredit.models import AIEconomyModel
from aicredit.models.report import max_drawdown

#: Markers that make a test slow whatever its own duration.
IMPLY_SLOW = ("browser", "notebooks", "cluster")


@pytest.hookimpl(tryfirst=True)           # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    """Mark every browser, notebooks or cluster test slow as well."""
    for item in items:
        if any(item.get_closest_marker(name) for name in IMPLY_SLOW) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def baseline0():
    """The calibrated baseline at step 0 (read-only: tests must not step it)."""
    return AIEconomyModel("baseline", seed=0)


def run(scenario="baseline", steps=12, seed=0, before_step=None, **params):
    """Build and step a model; ``before_step(model, t)`` may inject a shock before step t."""
    m = AIEconomyModel(scenario, seed=seed, collect_agents=False, **params)
    for t in range(1, steps + 1):
        if before_step is not None:
            before_step(m, t)
        m.step()
    return m


def frame(m):
    """The model's DataCollector frame (one row per month, step 0 included)."""
    return m.datacollector.get_model_vars_dataframe()


def gpu_drawdown(m) -> float:
    """Largest fall of the GPU price index from its running peak over the run."""
    return max_drawdown(frame(m)["gpu_price_index"])


def gpu_market(**kw) -> GPUMarket:
    """A small GPU market for unit tests (24 months, yearly generations from month 9);
    keyword arguments override its parameters."""
    args = dict(steps=24, generation_months=12, first_release_step=9, unit_price_usd=40e3,
                release_value_drop=0.25, useful_life_months=72, rental_usd_per_hour=2.0,
                reference_utilisation=0.8, utilisation_elasticity=0.5,
                operating_cost_usd_per_hour=0.35, discount_rate_per_year=0.12,
                compute_per_ai_usd=1.0, depth_share=0.5, impact_persistence=0.5)
    args.update(kw)
    return GPUMarket(**args)


def write_off_loan_book(m, funds, share: float, step: int) -> None:
    """A shock used by several tests: ``funds`` lose ``share`` of their non-AI loans (other and
    tech loans), each loss booked on the fund in ``step``."""
    for f in funds:
        for c in f.claims_held():
            if c.kind in ("other_loan", "tech_loan"):
                loss = share * c.value_usd()
                c.write_down(loss)
                m.losses.record(f, loss, c.issuer, c.kind, step)
