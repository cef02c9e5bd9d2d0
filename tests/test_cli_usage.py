"""The ``aicredit`` command as a new user meets it (issue 12, item 8): the command list on a bare
``aicredit``, ``aicredit params``, "did you mean" on misspelt commands, scenarios and keys, and
``--set seed=`` pointing at ``--seed``. Every mistake: one line, exit code 2."""
from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from aicredit.models.cli import EXTENSIONS
from aicredit.models.docs import format_range
from aicredit.models.scenario import PARAMETER_TABLE, Scenario, load_scenario, read_scenario_file

PARAMETERS = [row["name"] for row in PARAMETER_TABLE()]


# --------------------------------------------------------------------------------------
# a bare `aicredit`
# --------------------------------------------------------------------------------------
def test_bare_aicredit_prints_the_usage_and_every_command_on_one_line(capsys, monkeypatch, run_main):
    monkeypatch.setenv("COLUMNS", "80")             # argparse wraps help to the terminal width
    code, out, err = run_main([], capsys)
    assert code == 2, err                           # a command is missing: a usage error
    assert out == "" and "Traceback" not in err
    assert "required" not in err                    # not argparse's "arguments are required"
    assert err.startswith("usage: aicredit")
    lines = err.splitlines()
    commands = [("run", "run a scenario"), ("scenarios", "list the shipped scenarios")] + \
        [(name, help_text) for name, _, help_text in EXTENSIONS]
    assert "params" in dict(commands)
    for name, help_text in commands:                # the name and its help on the same line
        assert any(ln.split()[:1] == [name] and help_text in ln for ln in lines), (name, err)
    assert "--version" in err


# --------------------------------------------------------------------------------------
# aicredit params
# --------------------------------------------------------------------------------------
def test_params_lists_every_parameter_with_unit_range_default_and_source(capsys, run_main):
    code, out, err = run_main(["params"], capsys)
    assert code == 0, err
    table, _, below = out.partition("\n\n")            # the dated deals are listed below the table
    lines = table.splitlines()
    assert lines[0].split() == ["parameter", "default", "unit", "range", "source"]
    by_name = {ln.split()[0]: ln for ln in lines[1:]}
    assert list(by_name) == PARAMETERS
    assert below.startswith("deals (step, bn USD):\n  step ")
    for row in PARAMETER_TABLE():
        line = by_name[row["name"]]
        for text in (row["unit"], format_range(row), row["source"]):
            assert text in line, (row["name"], text)

    code, out, err = run_main(["params", "--format", "csv"], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["parameter"] for r in rows] == PARAMETERS
    assert all(r["changed"] == "false" and r["value"] == r["default"] for r in rows)
    assert {r["meaning"] for r in rows} == {row["doc"] for row in PARAMETER_TABLE()}
    steps = next(r for r in rows if r["parameter"] == "steps")
    assert (steps["default"], steps["unit"], steps["low"], steps["high"]) == ("72", "months", "1", "600")


def test_params_scenario_shows_resolved_values_and_marks_the_changed_ones(capsys, run_main):
    raw, _, _ = read_scenario_file("ai_winter")
    winter = load_scenario("ai_winter")
    changed_by_file = {k for k in raw if getattr(winter, k) != getattr(Scenario(), k)}
    code, out, err = run_main(["params", "--scenario", "ai_winter", "--set", "gpu_loan_haircut=0.3",
                               "--format", "json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    resolved = dataclasses.asdict(load_scenario("ai_winter", gpu_loan_haircut=0.3))
    assert [r["parameter"] for r in rows] == PARAMETERS
    for r in rows:
        expected = resolved[r["parameter"]]
        assert r["value"] == (list(expected) if isinstance(expected, tuple) else expected)
    changed = {r["parameter"] for r in rows if r["changed"]}
    assert changed == changed_by_file | {"gpu_loan_haircut"}
    assert "demand_shock_size" in changed

    # the table marks exactly those rows with '*' and shows the default beside the value
    code, out, err = run_main(["params", "--scenario", "ai_winter", "--changed"], capsys)
    assert code == 0, err
    marked = {ln.split()[1] for ln in out.splitlines() if ln.startswith("* ")}
    assert marked == changed_by_file
    shock = next(ln for ln in out.splitlines() if " demand_shock_size " in ln)
    assert shock.split()[2:4] == ["0.3", "0"]


@pytest.mark.parametrize("argv, names", [
    (["params", "--scenario", "ai_wintr"], ["ai_wintr", "did you mean 'ai_winter'?"]),
    (["params", "--set", "n_bank=3"], ["n_bank", "did you mean 'n_banks'?"]),
    (["params", "no_such_word"], ["no_such_word"]),
    (["params", "--changed"], ["--changed", "--scenario"]),
    (["params", "--format", "tabel"], ["tabel", "did you mean 'table'?"]),
])
def test_params_mistakes(capsys, argv, names, assert_usage_error, run_main):
    code, out, err = run_main(argv, capsys)
    assert_usage_error(code, out, err, *names)


# --------------------------------------------------------------------------------------
# did you mean; --set seed=
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, names", [
    (["rnu"], ["unknown command 'rnu'", "did you mean 'run'?"]),
    (["senarios"], ["'senarios'", "did you mean 'scenarios'?"]),
    (["run", "--scenario", "ai_wintr"], ["unknown scenario 'ai_wintr'", "did you mean 'ai_winter'?"]),
    (["run", "--set", "gpu_loan_max_lvt=0.5"], ["gpu_loan_max_lvt", "did you mean 'gpu_loan_max_ltv'"]),
    (["run", "--set", "c3_colateral_spiral=false"], ["did you mean 'c3_collateral_spiral'?"]),
    (["run", "--set", "zzz=1"], ["unknown scenario key 'zzz'", "aicredit params"]),
])
def test_did_you_mean_on_misspelt_commands_scenarios_and_keys(capsys, argv, names, assert_usage_error,
                                                              run_main):
    code, out, err = run_main(argv, capsys)
    assert_usage_error(code, out, err, *names)


def test_did_you_mean_in_scenario_and_sweep_files(capsys, tmp_path, assert_usage_error, run_main):
    scenario = tmp_path / "typo.toml"
    scenario.write_text('base = "ai_winter"\ndemand_shok_size = 0.5\n')
    code, out, err = run_main(["run", "--scenario", scenario, "--steps", 1], capsys)
    assert_usage_error(code, out, err, "demand_shok_size", "did you mean 'demand_shock_size'?")

    sweep = tmp_path / "typo_sweep.toml"
    sweep.write_text('scenario = "baseline"\nsteps = 2\nseeds = [0]\noutputs = ["defaults_total"]\n'
                     '[parameters]\ngpu_loan_max_lvt = [0.5, 0.6]\n')
    code, out, err = run_main(["sweep", sweep, "--out", tmp_path / "out", "--dry-run"], capsys)
    assert_usage_error(code, out, err, "gpu_loan_max_lvt", "did you mean 'gpu_loan_max_ltv'")
    assert not (tmp_path / "out").exists()


def test_set_seed_points_at_the_seed_option_and_set_steps_is_a_parameter(capsys, tmp_path, assert_usage_error,
                                                                         run_main):
    code, out, err = run_main(["run", "--set", "seed=3"], capsys)
    assert_usage_error(code, out, err, "--set seed=3", "--seed 3")
    assert "unknown" not in err

    path = tmp_path / "seeded.toml"                 # in a file: where the seed goes instead
    path.write_text("seed = 3\n")
    code, out, err = run_main(["run", "--scenario", path], capsys)
    assert_usage_error(code, out, err, "'seed'", "--seed")

    code, out, err = run_main(["run", "--set", "steps=1", "--set", "n_saver_cohorts=10", "--quiet",
                               "--no-agent-data"], capsys)
    assert code == 0, err


# --------------------------------------------------------------------------------------
# --format without --out
# --------------------------------------------------------------------------------------
def test_format_without_out_is_refused_before_the_run(capsys, monkeypatch, run_main, assert_usage_error):
    """``--format`` only chooses the format of the figure written into ``--out``; alone it
    would be ignored, so it is refused in one line naming it, before anything is simulated."""
    import aicredit.models.model as model_module

    def no_model(*args, **kwargs):
        raise AssertionError("the model was built: the mistake should stop the run first")
    monkeypatch.setattr(model_module, "AIEconomyModel", no_model)
    code, out, err = run_main(["run", "--scenario", "ai_winter", "--format", "pdf"], capsys)
    assert_usage_error(code, out, err, "--format pdf", "--out")
