"""Sweep provenance (issue 12, item 1, sweep part): every row carries its scenario, months
and model version, and a results folder refuses to be resumed with other settings."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import aicredit.models.report
from aicredit.models.cli import main
from aicredit.models.report import MODEL_VERSION

BASE = ["--steps", "2", "--replications", "2", "--outputs", "defaults_total,ai_index:min",
        "--workers", "1", "--quiet"]


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "_sweep.lock"}


def _refused(argv, capsys, *names) -> str:
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("aicredit: error:") and err.count("\n") == 1, err
    for name in names:
        assert name in err, (name, err)
    return err


@pytest.fixture
def first(tmp_path, capsys):
    """A finished sweep of the baseline (2 months, 2 seeds) in ``tmp_path / "out"``."""
    out = tmp_path / "out"
    assert main(["sweep", "--scenario", "baseline", *BASE, "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def test_rows_carry_scenario_steps_and_model_version(first):
    df = pd.read_parquet(first)
    assert list(df.columns[:3]) == ["scenario", "steps", "seed"]
    assert (df["scenario"] == "baseline").all() and (df["steps"] == 2).all()
    assert (df["model_version"] == MODEL_VERSION).all()


@pytest.mark.parametrize("change, names", [
    (["--steps", "3"], ["steps 2 there, 3 here"]),
    (["--scenario", "ai_winter"], ["scenario baseline there, ai_winter here"]),
    (["--fixed", "n_banks=5"], ["fixed parameters", "n_banks=5"]),
])
def test_resuming_with_other_settings_is_refused_and_changes_nothing(first, tmp_path, capsys,
                                                                    change, names):
    before = _snapshot(first)
    argv = ["sweep", "--scenario", "baseline", *BASE]
    for opt in change[::2]:                    # replace the option's value in BASE
        if opt in argv:
            i = argv.index(opt)
            del argv[i:i + 2]
    argv += change
    _refused(argv + ["--out", first], capsys, str(first), "give a new folder", *names)
    assert _snapshot(first) == before
    assert main(argv + ["--out", str(tmp_path / "new")]) == 0      # a new folder takes it


def test_an_edited_scenario_file_or_another_model_version_is_refused(tmp_path, capsys,
                                                                     monkeypatch):
    scenario = tmp_path / "mine.toml"
    scenario.write_text('base = "baseline"\nn_banks = 4\n')
    out = tmp_path / "out"
    argv = ["sweep", "--scenario", str(scenario), *BASE, "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    before = _snapshot(out)
    scenario.write_text('base = "baseline"\nn_banks = 5\n')       # same name, other economy
    _refused(argv, capsys, "scenario's parameters differ")
    scenario.write_text('base = "baseline"\nn_banks = 4\n')
    monkeypatch.setattr(aicredit.models.report, "MODEL_VERSION", "9.9.9")   # the code changed results
    _refused(argv, capsys, f"model version {MODEL_VERSION} there, 9.9.9 here")
    assert _snapshot(out) == before
    monkeypatch.undo()
    assert main(argv + ["--replications", "3"]) == 0               # more seeds: resumed
    assert "1 new, 2 already there" in capsys.readouterr().out
