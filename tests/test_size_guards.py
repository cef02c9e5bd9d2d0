"""Size guards (issue 12, item 4): an economy too large for the machine's memory is refused
before it is built, a sweep of too many runs is counted (not built) and refused, each with
the estimate and the override."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import aicredit.models.size
from aicredit.models import AIEconomyModel
from aicredit.models.cli import main
from aicredit.models.scenario import load_scenario
from aicredit.models.size import EconomyTooLarge, check_economy_size, estimate_economy_bytes
from aicredit.models.sweep import SweepError, build_runs, count_runs, spec_from_dict

ROOT = Path(__file__).resolve().parents[1]
GB = 10 ** 9


def _error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert err.startswith("aicredit: error:") and err.count("\n") == 1, err
    return err


def _limited(gigabytes: float):
    """preexec_fn: an address-space limit (``ulimit -v``) for a subprocess."""
    def apply():
        limit = int(gigabytes * GB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


@pytest.mark.parametrize("sets, part", [
    (["n_saver_cohorts=10000000"], "n_saver_cohorts = 10,000,000"),
    (["gpu_loans_per_neocloud=1000000", "n_small_neoclouds=10000"], "gpu_loans_per_neocloud"),
])
def test_an_economy_too_large_for_a_4_gb_limit_is_refused_before_it_is_built(tmp_path, sets,
                                                                             part):
    """The issue's cases: 10^7 cohorts under a 4 GB limit (a MemoryError after 47 s before)
    and 10^10 GPU loans. Refused at once, with the estimate and the override."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    argv = [sys.executable, "-m", "aicredit.models.cli", "run", "--steps", "2", "--quiet",
            "--no-agent-data", "--out", str(tmp_path / "out")]
    for s in sets:
        argv += ["--set", s]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited(4))
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "\n" not in err and "Traceback" not in err and "MemoryError" not in err, err
    assert "GB of memory" in err and part in err and "--allow-large" in err, err
    assert not (tmp_path / "out").exists()


def test_the_model_refuses_and_allow_large_builds(monkeypatch, capsys):
    """One guard in the model's constructor, shared by the Python API and aicredit run."""
    monkeypatch.setattr(aicredit.models.size, "available_memory_bytes", lambda: 10 ** 6)  # 1 MB left
    with pytest.raises(EconomyTooLarge, match="allow_large=True"):
        AIEconomyModel("baseline", n_saver_cohorts=2000)
    model = AIEconomyModel("baseline", n_saver_cohorts=2000, allow_large=True, steps=1)
    assert len(model.savers) == 2000
    assert main(["run", "--steps", "1", "--quiet", "--set", "n_saver_cohorts=2000"]) == 2
    assert "--allow-large" in _error_line(capsys)
    assert main(["run", "--steps", "1", "--quiet", "--set", "n_saver_cohorts=2000",
                 "--allow-large", "--no-agent-data"]) == 0
    capsys.readouterr()


def test_the_estimate_holds_the_shipped_economies_and_grows_with_their_sizes():
    """Measured: synthetic takes ~0.48 GB without per-agent data, ~0.97 GB with (module
    docstring of models/size.py); the estimate stays within a factor 1.5 of that."""
    synthetic = load_scenario("synthetic")
    without = sum(b for b, _ in estimate_economy_bytes(synthetic, False).values())
    with_agents = sum(b for b, _ in estimate_economy_bytes(synthetic, True).values())
    assert 0.32 * GB < without < 0.72 * GB
    assert 0.65 * GB < with_agents < 1.45 * GB
    check_economy_size(synthetic, True, available=2 * GB)       # fits in 2 GB
    big = load_scenario("baseline", n_saver_cohorts=10 ** 7)
    with pytest.raises(EconomyTooLarge, match="n_saver_cohorts"):
        check_economy_size(big, False, available=4 * GB)
    assert check_economy_size(big, False, allow_large=True, available=4 * GB) > 4 * GB


def test_a_sweep_is_counted_without_building_it_and_refused_beyond_the_limit(tmp_path, capsys):
    values = ",".join(f"{0.3 + i * 1e-4:.4f}" for i in range(1000))
    shocks = ",".join(f"{i * 1e-4:.4f}" for i in range(1000))
    argv = ["sweep", "--scenario", "baseline", "--steps", "2", "--param",
            f"gpu_loan_max_ltv={values}", "--param", f"demand_shock_size={shocks}",
            "--out", str(tmp_path / "o")]
    for extra in (["--dry-run"], ["--workers", "1", "--quiet"]):
        assert main(argv + extra) == 2
        err = _error_line(capsys)
        assert "1,000,000 runs" in err and "--allow-large" in err and "50,000" in err, err
    assert not (tmp_path / "o").exists()
    # 10^12 runs are counted at once: building them would take days
    huge = spec_from_dict({"scenario": "baseline", "steps": 1, "outputs": ["defaults_total"],
                           "replications": 10,
                           "parameters": {"gpu_loan_max_ltv": [0.3 + i * 1e-5 for i in range(10**4)],
                                          "demand_shock_size": [i * 1e-5 for i in range(10**4)]}})
    assert count_runs(huge) == (10 ** 9, 10 ** 8)
    with pytest.raises(SweepError, match="1,000,000,000 runs"):
        build_runs(huge)


def test_a_sweep_point_too_large_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(aicredit.models.size, "available_memory_bytes", lambda: 4 * GB)
    argv = ["sweep", "--scenario", "baseline", "--steps", "1", "--param",
            "n_saver_cohorts=200,10000000", "--out", str(tmp_path / "o"), "--workers", "1",
            "--quiet"]
    assert main(argv + ["--dry-run"]) == 2
    err = _error_line(capsys)
    assert "'n_saver_cohorts': 10000000" in err and "--allow-large" in err, err
    assert main(argv) == 2
    capsys.readouterr()
    assert not (tmp_path / "o").exists()
    assert main(argv + ["--dry-run", "--allow-large"]) == 0
    capsys.readouterr()
