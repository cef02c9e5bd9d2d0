"""Tests of the ``aicredit`` command line (models/cli.py)."""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aicredit.abm.agents import SECTORS
from aicredit.abm.losses import HOLDER_CATEGORIES
from aicredit.models.cli import main
from aicredit.models.scenario import scenario_names

REPO = Path(__file__).resolve().parents[1]
STEPS = 6
SEED = 1


def cli_command() -> list[str]:
    exe = shutil.which("aicredit")
    return [exe] if exe else [sys.executable, "-m", "aicredit.models.cli"]


def run_subprocess(args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(cli_command() + [str(a) for a in args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def reference_drawdown(values) -> float:
    peak, worst = -math.inf, 0.0
    for v in values:
        peak = max(peak, v)
        if peak > 0:
            worst = max(worst, 1.0 - v / peak)
    return worst


# --------------------------------------------------------------------------------------
# a successful run, in-process (shared by the output checks)
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("cli") / "run"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["run", "--scenario", "baseline", "--steps", str(STEPS), "--seed", str(SEED),
                     "--out", str(out_dir)])
    return code, out_dir, stdout.getvalue(), stderr.getvalue()


def test_run_exit_code_and_files(run_dir):
    code, out_dir, stdout, stderr = run_dir
    assert code == 0, stderr
    assert "Traceback" not in stderr
    for name in ("summary.json", "params.json", "model_vars.parquet", "agent_vars.parquet",
                 "defaults.csv", "loss_events.csv", "exposures.csv"):
        assert (out_dir / name).is_file(), name
    pngs = sorted(out_dir.glob("*.png"))
    assert pngs
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_default_shares_are_defaults_over_the_institutions_of_each_sector():
    from aicredit.models import AIEconomyModel
    from aicredit.models.report import summary
    m = AIEconomyModel("ai_winter", seed=0, collect_agents=False)
    for _ in range(48):
        m.step()
    s = summary(m)
    assert s["defaults_total"] > 0                       # the winter makes some fail
    for sector in SECTORS:
        members = [a for a in m.agents if a.sector == sector]
        failed = sum(bool(getattr(a, "defaulted", False)) for a in members)
        assert s["defaults_by_sector"][sector] == failed
        share = s["default_share_by_sector"][sector]
        assert share == (failed / len(members) if members else None)
    assert any(0 < v < 1 for v in s["default_share_by_sector"].values() if v is not None)
    json.dumps(s, allow_nan=False)


def test_summary_json(run_dir):
    code, out_dir, _, _ = run_dir
    s = json.loads((out_dir / "summary.json").read_text())
    assert s["scenario"] == "baseline"
    assert s["seed"] == SEED
    assert s["steps"] == STEPS
    d = s["defaults_by_sector"]
    assert set(d) == set(SECTORS)
    assert all(type(v) is int and v >= 0 for v in d.values())
    assert s["defaults_total"] == sum(d.values())
    losses = s["losses_by_holder_usd"]
    assert set(losses) == set(HOLDER_CATEGORIES)
    assert all(isinstance(v, float) and math.isfinite(v) and v >= 0 for v in losses.values())
    assert s["losses_total_usd"] == pytest.approx(sum(losses.values()), rel=1e-12, abs=1e-6)
    for key in ("gpu_price_max_drawdown", "savers_401k_loss_fraction"):
        assert isinstance(s[key], float) and 0.0 <= s[key] <= 1.0, key
    assert type(s["peak_margin_calls"]) is int and s["peak_margin_calls"] >= 0


def test_summary_agrees_with_model_vars(run_dir):
    _, out_dir, _, _ = run_dir
    s = json.loads((out_dir / "summary.json").read_text())
    mv = pd.read_parquet(out_dir / "model_vars.parquet")
    assert s["peak_margin_calls"] == int(mv["margin_calls"].max())
    assert s["gpu_price_max_drawdown"] == pytest.approx(
        reference_drawdown(mv["gpu_price_index"]), abs=1e-12)
    assert s["defaults_total"] == int(mv["defaults_total"].iloc[-1])
    for sector in SECTORS:
        assert s["defaults_by_sector"][sector] == int(mv[f"defaults_{sector}"].iloc[-1])


def test_model_vars_parquet(run_dir):
    _, out_dir, _, _ = run_dir
    mv = pd.read_parquet(out_dir / "model_vars.parquet")
    assert len(mv) == STEPS + 1
    assert list(mv["step"]) == list(range(STEPS + 1))
    for col in ("gpu_price_index", "margin_calls", "ai_index", "savers_401k_total_usd"):
        assert col in mv.columns
    assert np.isfinite(mv["gpu_price_index"].to_numpy(float)).all()


def test_agent_vars_parquet(run_dir):
    _, out_dir, _, _ = run_dir
    av = pd.read_parquet(out_dir / "agent_vars.parquet")
    assert {"step", "agent_id"} <= set(av.columns)
    assert sorted(av["step"].unique()) == list(range(STEPS + 1))
    n_agents = av["agent_id"].nunique()
    assert n_agents > len(SECTORS)
    per_step = av.groupby("step")["agent_id"].agg(["size", "nunique"])
    assert (per_step["size"] == n_agents).all()
    assert (per_step["nunique"] == n_agents).all()
    assert len(av) == n_agents * (STEPS + 1)


def test_agent_count_matches_model(run_dir):
    from aicredit.models.model import AIEconomyModel
    _, out_dir, _, _ = run_dir
    av = pd.read_parquet(out_dir / "agent_vars.parquet")
    model = AIEconomyModel("baseline", seed=SEED, collect_agents=False, steps=STEPS)
    assert av["agent_id"].nunique() == len(model.agents)


def test_printed_summary_mentions_every_sector(run_dir):
    _, out_dir, stdout, _ = run_dir
    for sector in SECTORS:
        assert sector in stdout, sector
    for holder in HOLDER_CATEGORIES:
        assert holder in stdout, holder
    assert "baseline" in stdout
    assert str(out_dir) in stdout


@pytest.mark.slow
def test_run_as_subprocess(tmp_path):
    out_dir = tmp_path / "sub"
    proc = run_subprocess(["run", "--scenario", "baseline", "--steps", STEPS, "--seed", SEED,
                           "--out", out_dir], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    s = json.loads((out_dir / "summary.json").read_text())
    assert set(s["defaults_by_sector"]) == set(SECTORS)
    assert s["steps"] == STEPS and s["seed"] == SEED
    assert len(pd.read_parquet(out_dir / "model_vars.parquet")) == STEPS + 1
    assert list(out_dir.glob("*.png"))
    for sector in SECTORS:
        assert sector in proc.stdout


@pytest.mark.slow
def test_subprocess_same_seed_as_in_process(tmp_path, run_dir):
    """Both entry points give the same model_vars for the same seed."""
    _, in_dir, _, _ = run_dir
    out_dir = tmp_path / "again"
    proc = run_subprocess(["run", "--steps", STEPS, "--seed", SEED, "--out", out_dir,
                           "--quiet"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(out_dir / "model_vars.parquet"),
                                  pd.read_parquet(in_dir / "model_vars.parquet"))


def test_subprocess_usage_error(tmp_path, assert_usage_error):
    proc = run_subprocess(["run", "--scenario", "no_such_scenario"], cwd=tmp_path)
    assert_usage_error(proc.returncode, proc.stdout, proc.stderr, "no_such_scenario")


def test_scenarios_lists_every_shipped_scenario(capsys, run_main):
    code, out, err = run_main(["scenarios"], capsys)
    assert code == 0
    listed = [ln.split()[0] for ln in out.splitlines() if ln.strip()]
    shipped = sorted(p.stem for p in (REPO / "models" / "scenarios").glob("*.toml"))
    assert listed == shipped == scenario_names()


# --------------------------------------------------------------------------------------
# user mistakes: exit code 2, one message naming the problem, no traceback
# --------------------------------------------------------------------------------------
def test_unknown_scenario(capsys, assert_usage_error, run_main):
    code, out, err = run_main(["run", "--scenario", "atlantis", "--steps", 1], capsys)
    assert_usage_error(code, out, err, "atlantis")


def test_bad_set_key(capsys, assert_usage_error, run_main):
    code, out, err = run_main(["run", "--steps", 1, "--set", "no_such_key=3"], capsys)
    assert_usage_error(code, out, err, "no_such_key")


@pytest.mark.parametrize("item, key, value", [
    ("gpu_loan_rate_per_year=5", "gpu_loan_rate_per_year", "5"),
    ("n_banks=0", "n_banks", "0"),
    ("steps=1000", "steps", "1000"),
    ("gpu_loan_max_ltv=0.95", "gpu_loan_max_ltv", "0.95"),
    ("c3_collateral_spiral=yes", "c3_collateral_spiral", "yes"),
    ("lab_demand_shares=[0.5, 0.5]", "lab_demand_shares", "[0.5, 0.5]"),
])
def test_bad_set_value(capsys, item, key, value, assert_usage_error, run_main):
    code, out, err = run_main(["run", "--set", item], capsys)
    assert_usage_error(code, out, err, key, value)


def test_set_without_equals(capsys, assert_usage_error, run_main):
    code, out, err = run_main(["run", "--steps", 1, "--set", "n_banks"], capsys)
    assert_usage_error(code, out, err, "--set", "n_banks")


def test_bad_toml_file(capsys, tmp_path, assert_usage_error, run_main):
    path = tmp_path / "broken.toml"
    path.write_text("steps = = 3\n")
    code, out, err = run_main(["run", "--scenario", path], capsys)
    assert_usage_error(code, out, err, str(path))


def test_nested_table_file(capsys, tmp_path, assert_usage_error, run_main):
    path = tmp_path / "nested.toml"
    path.write_text("[banks]\nn = 3\n")
    code, out, err = run_main(["run", "--scenario", path], capsys)
    assert_usage_error(code, out, err, "banks")


def test_missing_scenario_file(capsys, tmp_path, assert_usage_error, run_main):
    path = tmp_path / "nowhere.toml"
    code, out, err = run_main(["run", "--scenario", path], capsys)
    assert_usage_error(code, out, err, str(path))


# argparse rejects these itself: its message is preceded by the usage line.
@pytest.mark.parametrize("args, names", [
    (["--steps", "0"], ["--steps", "0"]),
    (["--steps", "-3"], ["--steps", "-3"]),
    (["--steps", "two"], ["--steps", "two"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--seed", "1.5"], ["--seed", "1.5"]),
    (["--seed", "abc"], ["--seed", "abc"]),
])
def test_bad_steps_or_seed(capsys, args, names, assert_usage_error, run_main):
    code, out, err = run_main(["run"] + args, capsys)
    assert_usage_error(code, out, err, *names, one_line=False)


# what --out accepts (absent, empty, an earlier run's results with --force) and the rest of
# the output directory's rules: tests/test_run_outputs.py


@pytest.mark.parametrize("args", [["--steps", "0"], ["--seed", "-1"], ["--seed", "x"]])
def test_argparse_errors_are_one_line_and_returned(capsys, args):
    code = main(["run", *args])           # must return, not raise SystemExit
    out, err = capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err


def test_steps_and_set_steps_must_agree(capsys):
    code = main(["run", "--steps", "1", "--set", "steps=1000", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and "--steps" in err and len(err.strip().splitlines()) == 1


def test_version_prints_the_one_version_and_exits_0(capsys, run_main):
    from aicredit.models.report import MODEL_VERSION
    from aicredit.models.version import __version__
    code, out, err = run_main(["--version"], capsys)
    assert code == 0, err
    assert out.strip() == f"aicredit {__version__}" == f"aicredit {MODEL_VERSION}"
