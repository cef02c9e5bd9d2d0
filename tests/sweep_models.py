"""Models for the sweep tests, importable by name (``tests.sweep_models:FailingModel``) so
that spawned worker processes, the sweep command and Dask workers can build them: a failing
model, a flaky one, one that kills its worker process, and a slow one for the kill-and-resume
tests. ``tests/conftest.py``'s ``custom_models`` fixture registers them for a test.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from aicredit.models import AIEconomyModel


class FailingModel(AIEconomyModel):
    """Raises in its third month when the seed is 1."""

    def step(self):
        if self.seed_value == 1 and self.steps == 2:
            raise RuntimeError("boom at month 3")
        super().step()


class FlakyModel(AIEconomyModel):
    """Fails for seed 1 while ``FlakyModel.broken`` (a transient cause, e.g. memory)."""

    broken = True

    def step(self):
        if self.broken and self.seed_value == 1:
            raise MemoryError("out of memory")
        super().step()


class CrashingModel(AIEconomyModel):
    """Kills its own process (as the OOM killer would) when the seed is 1."""

    def step(self):
        if self.seed_value == 1:
            os._exit(3)
        super().step()


class SlowModel(AIEconomyModel):
    def step(self):
        time.sleep(0.03)
        super().step()


#: The test models under the names a sweep file gives them (registered by :func:`custom_models`).
TEST_MODELS = {"failing": "tests.sweep_models:FailingModel", "flaky": "tests.sweep_models:FlakyModel",
               "crashing": "tests.sweep_models:CrashingModel", "slow": "tests.sweep_models:SlowModel"}


def register_models(site: Path, models: dict[str, str]) -> Path:
    """An installed package, as far as ``importlib.metadata`` can tell (its metadata only, in
    ``site``), that registers ``models`` in the ``aicredit.models`` entry-point group."""
    dist = site / "aicredit_test_models-0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: aicredit-test-models\nVersion: 0\n")
    (dist / "entry_points.txt").write_text(
        "[aicredit.models]\n" + "".join(f"{n} = {t}\n" for n, t in models.items()))
    return site
