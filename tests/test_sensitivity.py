"""Sensitivity analysis: known indices on the Ishigami function, shapes and files on the model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aicredit.models.cli import main
from aicredit.models.sensitivity import analyze, run_sensitivity, sample_points
from aicredit.models.sweep import SweepError, spec_from_dict
from tests.sweep_models import FlakyModel

ROOT = Path(__file__).resolve().parents[1]

# Ishigami (a=7, b=0.1): analytic first- and total-order Sobol' indices
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
S1_EXACT = np.array([0.3139, 0.4424, 0.0])
ST_EXACT = np.array([0.5576, 0.4424, 0.2437])


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    from SALib.test_functions import Ishigami
    X = sample_points(ISHIGAMI, "sobol", 1024, seed=1)
    assert X.shape == (1024 * 5, 3)
    t = analyze(ISHIGAMI, X, Ishigami.evaluate(X), "sobol", seed=1)
    assert list(t.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    np.testing.assert_allclose(t["S1"], S1_EXACT, atol=0.05)
    np.testing.assert_allclose(t["ST"], ST_EXACT, atol=0.05)
    # and the analytic values lie within SALib's confidence intervals (with a little slack)
    assert (np.abs(t["S1"] - S1_EXACT) <= 2 * t["S1_conf"] + 0.01).all()
    assert (np.abs(t["ST"] - ST_EXACT) <= 2 * t["ST_conf"] + 0.01).all()


def test_morris_ranks_ishigami_parameters():
    from SALib.test_functions import Ishigami
    X = sample_points(ISHIGAMI, "morris", 100, seed=2)
    assert X.shape == (100 * 4, 3)
    t = analyze(ISHIGAMI, X, Ishigami.evaluate(X), "morris", seed=2)
    assert list(t.columns) == ["parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    # x3 acts only through its interaction with x1: no main effect on average (mu ~ 0), but
    # large and non-linear (sigma > 0); x1 and x2 both matter
    assert (t["mu_star"] > 0).all() and (t["sigma"] > 0).all()
    assert abs(t.loc[2, "mu"]) < 0.5 * t.loc[2, "mu_star"] + 1e-9


def test_constant_output_gives_nan_indices():
    X = sample_points(ISHIGAMI, "sobol", 8)
    t = analyze(ISHIGAMI, X, np.ones(len(X)), "sobol")
    assert t[["S1", "ST"]].isna().all().all() and len(t) == 3
    with pytest.raises(SweepError):
        analyze(ISHIGAMI, X, np.full(len(X), np.nan), "sobol")


SPEC = {"scenario": "baseline", "steps": 8, "replications": 2,
        "outputs": ["gpu_price_max_drawdown", "ai_index:min", "defaults_total"],
        "sample": {"n": 4, "seed": 0, "ranges": {"gpu_loan_max_ltv": [0.5, 0.8],
                                                   "demand_growth_per_year": [0.2, 1.2],
                                                   "n_banks": [2, 6]}},
        "fixed": {"gpu_loan_margin_ltv": 0.9}}


@pytest.mark.parametrize("method, points, workers", [
    pytest.param("sobol", 4 * (3 + 2), 2, marks=pytest.mark.xdist_group("pools")),   # a pool of processes
    ("morris", 4 * (3 + 1), 1)])            # in this process: the pool is the sweep's, tested with sobol
@pytest.mark.slow
def test_model_sensitivity_shapes_files_and_resume(tmp_path, method, points, workers):
    report = {}
    t = run_sensitivity(SPEC, tmp_path, method, workers=workers, progress=False, report=report)
    assert len(t) == 3 * 3                                 # outputs x parameters
    assert list(t["output"].unique()) == SPEC["outputs"]
    assert list(t["parameter"][:3]) == ["gpu_loan_max_ltv", "demand_growth_per_year", "n_banks"]
    cols = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else \
        ["mu", "mu_star", "mu_star_conf", "sigma"]
    assert list(t.columns) == ["output", "parameter"] + cols
    # the drawdown and the AI index respond to demand growth: its indices are numbers
    row = t[(t.output == "ai_index:min") & (t.parameter == "demand_growth_per_year")].iloc[0]
    assert np.isfinite(row[cols[1]]) and row[cols[1]] > 0
    assert (tmp_path / "indices.png").stat().st_size > 1000
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "indices.csv"), t, check_dtype=False)
    runs = pd.read_parquet(tmp_path / "runs")
    assert report["total"] == len(runs) <= points * 2 and runs["run_id"].is_unique
    assert (runs["error"] == "").all()
    again = run_sensitivity(SPEC, tmp_path, method, workers=workers, progress=False, report=report)
    assert report["new"] == 0                                # resumed: nothing re-run
    pd.testing.assert_frame_equal(again, t)


def test_sensitivity_cli_and_bad_specs(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('scenario = "baseline"\nsteps = 6\noutputs = ["ai_index:min"]\n'
                    '[sample]\nn = 2\n[sample.ranges]\ngpu_loan_max_ltv = [0.5, 0.8]\n'
                    'demand_growth_per_year = [0.2, 1.2]\n')
    out = tmp_path / "o"
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "1", "--quiet",
                 "--method", "morris"]) == 0
    assert "mu_star" in capsys.readouterr().out
    assert (out / "indices.csv").exists() and (out / "indices.png").exists()
    for text, needle in [
        (path.read_text().replace("n = 2", "n = 3"), "power of 2"),
        (path.read_text().replace('"ai_index:min"', '"series:ai_index"'), "scalar"),
        (path.read_text().replace("demand_growth_per_year = [0.2, 1.2]\n", ""), "at least 2"),
        (path.read_text().replace('n = 2', 'n = 2\nmethod = "lhs"'), "'sample.method'"),
        (path.read_text().replace('"baseline"', '["baseline", "ai_winter"]'), "one scenario"),
        ('scenario = "baseline"\nsteps = 6\noutputs = ["ai_index:min"]\n'
         '[parameters]\ngpu_loan_max_ltv = [0.5]\n', "[sample]"),
    ]:
        path.write_text(text)
        assert main(["sensitivity", str(path), "--out", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and needle in err, err


def test_example_sensitivity_file_is_valid():
    from aicredit.models.sensitivity import design
    from aicredit.models.sweep import load_spec
    spec = load_spec(ROOT / "examples" / "sweeps" / "sensitivity.toml", kind="sensitivity")
    problem, X, sweep = design(spec, "sobol")
    assert X.shape == (16 * 7, 5) and len(sweep.points) == 112
    problem, X, sweep = design(spec, "morris")
    assert X.shape == (16 * 6, 5)
    with pytest.raises(SweepError):
        spec_from_dict({**SPEC, "outputs": ["series:ai_index"]}, kind="sensitivity")


@pytest.mark.usefixtures("custom_models")
def test_failed_runs_stop_the_analysis_until_retried(tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.toml"
    path.write_text('scenario = "baseline"\nsteps = 6\nreplications = 2\n'
                    'model = "flaky"\noutputs = ["ai_index:min"]\n'
                    '[sample]\nn = 2\n[sample.ranges]\ngpu_loan_max_ltv = [0.5, 0.8]\n'
                    'demand_growth_per_year = [0.2, 1.2]\n')
    cmd = ["sensitivity", str(path), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"]
    assert main(cmd) == 2                       # seed 1 fails at every point
    err = capsys.readouterr().err.strip()
    assert "runs failed" in err and "MemoryError" in err and "--retry-failed" in err, err
    assert not (tmp_path / "o" / "indices.csv").exists()
    monkeypatch.setattr(FlakyModel, "broken", False)
    assert main(cmd) == 2                       # a plain resume keeps the failures
    capsys.readouterr()
    assert main(cmd + ["--retry-failed"]) == 0
    assert "S1" in capsys.readouterr().out
    runs = pd.read_parquet(tmp_path / "o" / "runs")
    assert runs["run_id"].is_unique and (runs["error"] == "").all()
    assert np.isfinite(pd.read_csv(tmp_path / "o" / "indices.csv")["ST"]).all()


def test_sensitivity_described_on_the_command_line_matches_its_file(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('scenario = "baseline"\nsteps = 6\noutputs = ["ai_index:min"]\n'
                    '[sample]\nn = 2\n[sample.ranges]\ngpu_loan_max_ltv = [0.5, 0.8]\n'
                    'demand_growth_per_year = [0.2, 1.2]\n')
    opts = ["--workers", "1", "--quiet", "--method", "morris"]
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "f"), *opts]) == 0
    assert main(["sensitivity", "--scenario", "baseline", "--steps", "6", "--outputs",
                 "ai_index:min", "--n", "2", "--range", "gpu_loan_max_ltv=0.5,0.8",
                 "--range", "demand_growth_per_year=0.2,1.2", "--out", str(tmp_path / "c"),
                 *opts]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "f" / "indices.csv"),
                                  pd.read_csv(tmp_path / "c" / "indices.csv"))
    capsys.readouterr()
    assert main(["sensitivity", "--scenario", "baseline", "--steps", "6", "--outputs",
                 "ai_index:min", "--n", "2", "--range", "gpu_loan_max_ltv=0.5,0.8",
                 "--out", str(tmp_path / "bad"), *opts]) == 2
    assert "--range = " in capsys.readouterr().err      # one parameter is not enough
