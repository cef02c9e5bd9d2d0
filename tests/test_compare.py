"""Beyond one run (issue 12, item 7): a Monte Carlo of one scenario through ``aicredit sweep``
and ``aicredit compare DIR...`` over runs and sweeps, with a table of headline outputs and
95% confidence intervals."""
from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from aicredit.models.cli import main
from aicredit.models.compare import load_entries, mean_ci
from aicredit.models.sweep.common import HEADLINE_OUTPUTS

SMALL = ["--steps", "3", "--set", "n_saver_cohorts=20"]


def _ok(argv, capsys) -> str:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _refused(argv, capsys, *names) -> None:
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("aicredit: error:") and err.count("\n") == 1, err
    for name in names:
        assert str(name) in err, (name, err)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A Monte Carlo sweep of ai_winter (3 seeds) and two runs of it, one with a ``date``
    column in its model_vars.parquet (as newer runs write) and one without."""
    root = tmp_path_factory.mktemp("compare")
    assert main(["sweep", "--scenario", "ai_winter", "--replications", "3", "--steps", "3",
                 "--fixed", "n_saver_cohorts=20", "--workers", "1", "--quiet",
                 "--out", str(root / "mc")]) == 0
    assert main(["run", "--scenario", "ai_winter", "--seed", "1", *SMALL, "--quiet",
                 "--no-agent-data", "--out", str(root / "run")]) == 0
    shutil.copytree(root / "run", root / "dated")
    mv = pd.read_parquet(root / "dated" / "model_vars.parquet")
    if "date" in mv.columns:
        mv = mv.drop(columns="date")
        mv.to_parquet(root / "run" / "model_vars.parquet")
    else:
        mv.insert(0, "date", [f"2025-{m + 1:02d}" for m in mv["step"]])
        mv.to_parquet(root / "dated" / "model_vars.parquet")
    return root


def test_a_monte_carlo_of_one_scenario(folders, tmp_path, capsys):
    df = pd.read_parquet(folders / "mc")
    assert sorted(df["seed"]) == [0, 1, 2] and (df["scenario"] == "ai_winter").all()
    assert (df["steps"] == 3).all() and (df["error"] == "").all()
    assert set(HEADLINE_OUTPUTS) <= set(df.columns) and "series:ai_index" in df.columns
    # the command prints the headline numbers with their intervals
    out = _ok(["sweep", "--scenario", "ai_winter", "--replications", "3", "--steps", "3",
               "--fixed", "n_saver_cohorts=20", "--workers", "1", "--quiet",
               "--out", folders / "mc"], capsys)
    assert "0 new, 3 already there" in out and "ai_winter  (3 runs; mean [95% CI])" in out
    # without --out: the numbers are printed, the runs not kept; a grid needs --out
    out = _ok(["sweep", "--scenario", "ai_winter", "--replications", "2", "--steps", "2",
               "--fixed", "n_saver_cohorts=20", "--workers", "1", "--quiet"], capsys)
    assert "2 runs; not kept" in out and "\nai_winter  (2 runs; mean [95% CI])" in out
    _refused(["sweep", "--scenario", "ai_winter", "--steps", "2", "--param",
              "n_banks=3,4"], capsys, "--out DIR is needed")
    # the same seed in a run and in the sweep: the same numbers
    run = json.loads((folders / "run" / "summary.json").read_text())
    seed1 = df[df["seed"] == 1].iloc[0]
    assert seed1["losses_total_usd"] == pytest.approx(run["losses_total_usd"], rel=1e-12)


def test_compare_runs_and_a_sweep_writes_figure_and_table_with_cis(folders, tmp_path, capsys):
    out = _ok(["compare", folders / "run", folders / "dated", folders / "mc",
               "--out", tmp_path / "cmp"], capsys)
    assert "Wrote compare.csv and compare.png" in out
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 10_000
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert list(table.columns) == ["entry", "output", "n", "runs", "mean", "ci95_low",
                                   "ci95_high"]
    entries = list(dict.fromkeys(table["entry"]))
    assert entries == ["run: ai_winter, seed 1", "dated: ai_winter, seed 1", "mc: ai_winter"]
    assert set(table["output"]) == set(HEADLINE_OUTPUTS)
    # a run: its summary.json value, no interval
    run = json.loads((folders / "run" / "summary.json").read_text())
    r = table[(table.entry == entries[0]) & (table.output == "losses_total_usd")].iloc[0]
    assert r["n"] == 1 and r["mean"] == pytest.approx(run["losses_total_usd"])
    assert math.isnan(r["ci95_low"]) and math.isnan(r["ci95_high"])
    # the sweep: Student's t interval over its three seeds
    values = pd.read_parquet(folders / "mc")["losses_total_usd"].to_numpy()
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / math.sqrt(3)
    s = table[(table.entry == "mc: ai_winter") & (table.output == "losses_total_usd")].iloc[0]
    assert s["n"] == 3 and s["mean"] == pytest.approx(values.mean())
    assert (s["ci95_low"], s["ci95_high"]) == pytest.approx((values.mean() - half,
                                                             values.mean() + half))
    # the fan chart's data: 3 seeds x 4 months of each headline series
    fan = load_entries([folders / "mc"])[0]
    assert fan.kind == "sweep" and fan.series["ai_index"].shape == (3, 4)
    # other formats; an earlier comparison is replaced only with --force
    _refused(["compare", folders / "mc", "--out", tmp_path / "cmp"], capsys, "--force")
    _ok(["compare", folders / "mc", "--out", tmp_path / "cmp", "--force", "--format", "svg"],
        capsys)
    assert (tmp_path / "cmp" / "compare.svg").read_text().lstrip().startswith("<?xml")


def test_compare_bad_inputs_one_line_exit_2(folders, tmp_path, capsys):
    (tmp_path / "neither").mkdir()
    (tmp_path / "neither" / "notes.txt").write_text("mine")
    (tmp_path / "file.txt").write_text("x")
    empty_sweep = tmp_path / "empty_sweep"
    shutil.copytree(folders / "mc", empty_sweep)
    for part in empty_sweep.glob("part-*.parquet"):
        part.unlink()
    before = sorted(p.name for p in tmp_path.iterdir())
    _refused(["compare", tmp_path / "missing"], capsys, "missing", "does not exist")
    _refused(["compare", folders / "mc", tmp_path / "file.txt"], capsys, "not a folder")
    _refused(["compare", tmp_path / "neither"], capsys, "neither a run", "nor a sweep")
    _refused(["compare", empty_sweep], capsys, "without finished runs")
    _refused(["compare", folders / "mc", "--out", folders / "mc"], capsys, "one of the folders")
    _refused(["compare", folders / "mc", "--out", tmp_path / "neither"], capsys,
             "holds other files")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "neither" / "notes.txt").read_text() == "mine"


def test_mean_ci_is_students_t():
    n, m, lo, hi = mean_ci([1.0, 2.0, 3.0, math.nan])
    assert (n, m) == (3, 2.0)
    assert (lo, hi) == pytest.approx((2 - 4.302652729911275 / math.sqrt(3),
                                      2 + 4.302652729911275 / math.sqrt(3)))
    n, m, lo, hi = mean_ci([5.0])
    assert (n, m) == (1, 5.0) and math.isnan(lo) and math.isnan(hi)
    assert mean_ci([])[0] == 0 and np.isnan(mean_ci([])[1])
