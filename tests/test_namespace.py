"""The installed packages live under one namespace, ``aicredit``, so a user's own folders never
shadow them.

Research code often keeps a ``models/`` folder (and sometimes ``abm/`` or ``visualization/``)
beside its notebooks. Python puts the notebook's folder first on ``sys.path``, so a package
installed as a bare ``models`` would be shadowed by it. These tests run the model, a
parallel sweep (spawned worker processes re-import everything) and the scenario files from a
folder that holds such decoys, each of which fails loudly when imported.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

DECOY = 'raise ImportError("the user\'s own {name}/ folder was imported instead of aicredit")\n'

SCRIPT = textwrap.dedent("""
    import sys
    import aicredit
    from aicredit.models import AIEconomyModel, scenario_names
    from aicredit.models.sweep import run_sweep

    assert "baseline" in scenario_names()
    model = AIEconomyModel("baseline", seed=1, steps=2, collect_agents=False)
    while model.running:
        model.step()
    assert model.steps == 2
    if __name__ == "__main__":
        rows = run_sweep({"scenario": "baseline", "steps": 1, "seeds": [0, 1],
                          "outputs": ["defaults_total"]}, workers=2, progress=False)
        assert len(rows) == 2 and (rows["error"] == "").all(), rows
    for name in ("models", "abm", "visualization"):
        assert name not in sys.modules, name
    print("ok")
""")


def _decoy_folder(tmp_path):
    for name in ("models", "abm", "visualization"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(DECOY.format(name=name))
    (tmp_path / "use_it.py").write_text(SCRIPT)
    return tmp_path


def test_a_decoy_is_what_it_claims(tmp_path):
    """The decoys fail on import: the test below can fail."""
    folder = _decoy_folder(tmp_path)
    proc = subprocess.run([sys.executable, "-c", "import models"], cwd=folder,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "the user's own models/ folder" in proc.stderr


@pytest.mark.slow
@pytest.mark.xdist_group("pools")          # a spawned sweep with two workers (tests/conftest.py)
def test_the_package_runs_beside_a_users_own_models_folder(tmp_path):
    """Model, shipped scenarios and a two-process sweep, from a folder with its own ``models/``."""
    folder = _decoy_folder(tmp_path)
    proc = subprocess.run([sys.executable, "use_it.py"], cwd=folder, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("ok")
