"""Shared fixtures: a baseline model at step 0, and small helpers for running scenarios."""
from __future__ import annotations

import pytest

from models import AIEconomyModel

BN = 1e9


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
