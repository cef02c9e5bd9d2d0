"""What one run writes and prints (issue 12): provenance, an output directory that is never
clobbered or half-written, files a user can read, and the terminal table.

CLI runs here are tiny (one or two months, 10 saver cohorts) to keep the suite fast.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import aicredit.models.model
from aicredit.abm.units import month_label
from aicredit.models.model import AIEconomyModel
from aicredit.models.outdir import OutputDirError
from aicredit.models.report import format_summary, git_state, run_label, run_summary, write_outputs
from aicredit.models.scenario import Scenario, ScenarioError

REPO = Path(__file__).resolve().parents[1]
#: A tiny run's options (the overrides every run here records).
TINY = ["--quiet", "--set", "n_saver_cohorts=10"]
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@pytest.fixture
def tiny_run(run_main):
    """``tiny_run(capsys, out=None, *extra, steps=1)``: ``aicredit run`` of a tiny economy."""
    def tiny(capsys, out=None, *extra, steps=1):
        args = ["run", "--steps", steps, *TINY, *extra]
        if out is not None:
            args += ["--out", out]
        return run_main(args, capsys)
    return tiny


@pytest.fixture(autouse=True, scope="module")
def placeholder_figure():
    """A placeholder ``overview.<format>`` stands in for the report figure here, where the
    output folder is what is tested (drawing the figure takes about a second; it is tested in
    tests/test_report_figure.py and tests/test_cli.py)."""
    def plot_run(model, out_dir, fmt="png"):
        path = out_dir / f"overview.{fmt}"
        path.write_bytes(b"placeholder")
        return [path]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("aicredit.models.report.plot_run", plot_run)
        yield


def snapshot(folder: Path) -> dict:
    """Every entry under ``folder`` with its bytes and modification time (None if absent)."""
    if not folder.exists():
        return {}
    if folder.is_file():
        return {".": (folder.read_bytes(), folder.stat().st_mtime_ns)}
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.stat()
        out[str(p.relative_to(folder))] = (p.read_bytes() if p.is_file() else None, st.st_mtime_ns)
    return out


# --------------------------------------------------------------------------------------
# 1. provenance
# --------------------------------------------------------------------------------------
def test_a_run_records_its_parameters_overrides_seed_and_versions(capsys, tmp_path, run_main):
    out = tmp_path / "winter"
    code, stdout, err = run_main(["run", "--scenario", "ai_winter", "--steps", 2, "--seed", 3,
                                  "--set", "gpu_loan_haircut=0.3",
                                  "--set", "c3_collateral_spiral=false", *TINY, "--out", out],
                                 capsys)
    assert code == 0, err
    params = json.loads((out / "params.json").read_text())
    overrides = {"gpu_loan_haircut": 0.3, "c3_collateral_spiral": False, "n_saver_cohorts": 10,
                 "steps": 2}
    assert params["overrides"] == overrides
    assert params["scenario"] == "ai_winter"
    assert Path(params["scenario_file"]) == REPO / "models" / "scenarios" / "ai_winter.toml"
    assert params["seed"] == 3 and params["seed_drawn"] is False
    assert params["model_version"] == params["versions"]["aicredit"]
    assert {"python", "mesa", "numpy", "pandas"} <= set(params["versions"])
    # the full resolved parameters: every field, the file's own values and the overrides
    expected = Scenario(**params["params"])
    assert set(params["params"]) == {f.name for f in dataclasses.fields(Scenario)}
    assert expected.gpu_loan_haircut == 0.3 and expected.c3_collateral_spiral is False
    assert expected.demand_shock_step == aicredit.models.model.load_scenario("ai_winter").demand_shock_step
    git = params["git"]
    assert git is None or (re.fullmatch(r"[0-9a-f]{40}", git["commit"]) and
                           isinstance(git["dirty"], bool))
    assert "--set gpu_loan_haircut=0.3" in params["command"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overrides"] == overrides and summary["written_by"] == params["written_by"]
    assert summary["scenario"] == "ai_winter" and summary["seed"] == 3
    # the terminal shows the same
    assert "Scenario ai_winter  seed 3" in stdout
    assert "Overrides: gpu_loan_haircut=0.3, c3_collateral_spiral=false" in stdout


def test_a_scenario_files_own_name_is_the_runs_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "cheap GPUs"\nbase = "baseline"\ngpu_unit_price_k = 20\n')
    m = AIEconomyModel(path, seed=0, collect_agents=False)
    assert m.scenario_name == "cheap GPUs"
    assert Path(m.scenario_file) == path.resolve()
    assert m.overrides == {}
    assert run_label(m) == "cheap GPUs, seed 0"


def test_run_label_names_scenario_seed_and_overrides():
    m = AIEconomyModel("ai_winter", seed=0, collect_agents=False, gpu_loan_haircut=0.3)
    assert run_label(m) == "ai_winter, seed 0, gpu_loan_haircut=0.3"


def test_without_a_seed_one_is_drawn_recorded_and_repeats_the_run():
    a = AIEconomyModel(collect_agents=False, steps=2, n_saver_cohorts=10)
    assert isinstance(a.seed_value, int) and a.seed_drawn
    b = AIEconomyModel(seed=a.seed_value, collect_agents=False, steps=2, n_saver_cohorts=10)
    assert not b.seed_drawn
    for m in (a, b):
        m.step()
        m.step()
    pd.testing.assert_frame_equal(a.datacollector.get_model_vars_dataframe(),
                                  b.datacollector.get_model_vars_dataframe())
    assert run_summary(a)["seed"] == a.seed_value and run_summary(a)["seed_drawn"] is True


@pytest.mark.parametrize("seed", ["abc", 1.5, True, -1, "3"])
def test_a_seed_that_is_not_a_whole_number_is_refused(seed):
    with pytest.raises(ScenarioError) as exc:
        AIEconomyModel(seed=seed, collect_agents=False)
    message = str(exc.value)
    assert "seed" in message and repr(seed) in message and "\n" not in message


def test_git_is_optional(capsys, tmp_path, monkeypatch, tiny_run):
    assert git_state(tmp_path) is None                       # not a checkout
    monkeypatch.setattr("aicredit.models.report.shutil.which", lambda name: None)   # no git at all
    assert git_state() is None
    code, _, err = tiny_run(capsys, tmp_path / "r")
    assert code == 0, err
    params = json.loads((tmp_path / "r" / "params.json").read_text())
    assert params["git"] is None
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["git_commit"] is None


# --------------------------------------------------------------------------------------
# 2. the output directory: checked before the simulation, never clobbered or half-written
# --------------------------------------------------------------------------------------
@pytest.fixture
def previous_run(tiny_run):
    """``previous_run(capsys, path)``: a tiny run's results written to ``path``."""
    def previous(capsys, path):
        code, _, err = tiny_run(capsys, path, "--no-agent-data")
        assert code == 0, err
    return previous


@pytest.mark.parametrize("case", ["other files", "old summary.json", "sweep dataset", "file",
                                  "parent is a file", "previous run", "previous run and a file",
                                  "unwritable parent"])
def test_a_bad_out_is_refused_before_the_simulation_and_left_as_it_was(case, capsys, tmp_path,
                                                                       monkeypatch, assert_usage_error,
                                                                       previous_run, tiny_run):
    out = tmp_path / "out"
    force = []
    if case == "other files":
        out.mkdir()
        (out / "defaults.csv").write_text("mine\n")
        (out / "overview.png").write_bytes(b"my figure")
    elif case == "old summary.json":
        out.mkdir()
        (out / "summary.json").write_text('{"precious": true}\n')
        force = ["--force"]
    elif case == "sweep dataset":
        out.mkdir()
        (out / "_sweep.json").write_text("{}\n")
        (out / "part-0.parquet").write_bytes(b"PAR1")
        force = ["--force"]
    elif case == "file":
        out.write_text("a file\n")
    elif case == "parent is a file":
        (tmp_path / "f").write_text("a file\n")
        out = tmp_path / "f" / "out"
    elif case.startswith("previous run"):
        previous_run(capsys, out)
        if case.endswith("a file"):
            (out / "notes.txt").write_text("mine\n")
            force = ["--force"]
    elif case == "unwritable parent":
        if os.geteuid() == 0:
            pytest.skip("root can write anywhere")
        parent = tmp_path / "locked"
        parent.mkdir()
        parent.chmod(0o500)
        out = parent / "out"
    before = snapshot(tmp_path)
    monkeypatch.setattr(aicredit.models.model.AIEconomyModel, "step",
                        lambda self: pytest.fail("the simulation started before --out was checked"))
    code, stdout, err = tiny_run(capsys, out, *force)
    assert_usage_error(code, stdout, err, "--out", str(out))
    if case == "previous run":
        assert "--force" in err
    assert snapshot(tmp_path) == before


def test_force_replaces_an_earlier_run_as_a_whole(capsys, tmp_path, tiny_run):
    out = tmp_path / "out"
    code, _, err = tiny_run(capsys, out)                        # with agent data
    assert code == 0, err
    assert (out / "agent_vars.parquet").exists()
    code, _, err = tiny_run(capsys, out, "--force", "--no-agent-data", steps=2)
    assert code == 0, err
    assert not (out / "agent_vars.parquet").exists()            # nothing of the old run left
    assert json.loads((out / "summary.json").read_text())["steps"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # no temporary left beside it


@pytest.mark.parametrize("previous", [False, True], ids=["new", "replacing an earlier run"])
def test_a_failure_while_writing_leaves_the_folder_as_it_was(previous, capsys, tmp_path,
                                                             monkeypatch, previous_run, tiny_run):
    out = tmp_path / "out"
    if previous:
        previous_run(capsys, out)
    before = snapshot(tmp_path)

    def broken_plot(model, out_dir, fmt="png"):
        raise OSError("disk full")
    monkeypatch.setattr("aicredit.models.report.plot_run", broken_plot)
    with pytest.raises(OSError, match="disk full"):
        tiny_run(capsys, out, "--force")
    assert snapshot(tmp_path) == before


KILLER = """
import os, signal, sys
import pandas as pd
import aicredit.models.model
when = sys.argv[1]
if when == "writing":       # killed after the first files of the results are written
    def to_csv(self, *a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    pd.DataFrame.to_csv = to_csv
else:                       # killed in the second month of the simulation
    step = aicredit.models.model.AIEconomyModel.step
    def killing_step(self):
        if self.steps == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        step(self)
    aicredit.models.model.AIEconomyModel.step = killing_step
from aicredit.models.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("previous", [False, True], ids=["new", "replacing an earlier run"])
@pytest.mark.parametrize("when", ["simulation", "writing"])
def test_sigkill_leaves_no_folder_that_looks_complete(when, previous, capsys, tmp_path, previous_run):
    out = tmp_path / "out"
    if previous:
        previous_run(capsys, out)
    before = snapshot(out)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", KILLER, when, "run", "--steps", "2", *TINY,
                           "--force", "--out", str(out)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert snapshot(out) == before                 # absent, or the earlier run untouched
    for p in tmp_path.iterdir():                    # what a killed run leaves is hidden and
        if p != out:                                # holds no marker of a finished run
            assert p.name.startswith(".out.partial-"), p
            assert not {"params.json", "summary.json"} & {q.name for q in p.iterdir()}


def test_the_python_api_applies_the_same_rules(tmp_path):
    m = AIEconomyModel(seed=0, collect_agents=False, steps=1, n_saver_cohorts=10)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputDirError, match="out_dir .*mine.*notes.txt"):
        write_outputs(m, tmp_path / "mine")
    write_outputs(m, tmp_path / "run")
    with pytest.raises(OutputDirError, match="force=True"):
        write_outputs(m, tmp_path / "run")
    write_outputs(m, tmp_path / "run", force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine\n"


# --------------------------------------------------------------------------------------
# 3. outputs a user can use
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A two-month run written from the Python API, and one written at step 0 (no events)."""
    root = tmp_path_factory.mktemp("outputs")
    m = AIEconomyModel("ai_winter", seed=0, steps=2, n_saver_cohorts=10)
    m0 = AIEconomyModel("ai_winter", seed=0, steps=2, n_saver_cohorts=10)
    for _ in range(2):
        m.step()
    write_outputs(m, root / "run")
    write_outputs(m0, root / "empty")
    return m, root


def test_empty_event_files_have_their_header(written):
    _, root = written
    defaults = pd.read_csv(root / "empty" / "defaults.csv")
    losses = pd.read_csv(root / "empty" / "loss_events.csv")
    assert len(defaults) == 0 and list(defaults.columns) == [
        "step", "date", "sector", "name", "reason", "liabilities_usd"]
    assert len(losses) == 0 and list(losses.columns) == [
        "step", "date", "holder", "holder_sector", "issuer", "issuer_sector", "kind", "amount_usd"]


def test_the_event_headers_are_the_events_keys():
    """The headers written for empty files are the keys the engine's events carry."""
    from aicredit.models.report import DEFAULT_COLUMNS, LOSS_EVENT_COLUMNS
    m = AIEconomyModel("ai_winter", seed=0, collect_agents=False, steps=1, n_saver_cohorts=10)
    m.step()
    assert m.losses.events and tuple(m.losses.events[0]) == LOSS_EVENT_COLUMNS
    from aicredit.abm.default import resolve_default
    resolve_default(m, m.neoclouds[-1], "test")
    assert tuple(m.default_events[-1]) == DEFAULT_COLUMNS


def test_every_time_indexed_output_has_step_and_date(written):
    m, root = written
    frames = {"model_vars": pd.read_parquet(root / "run" / "model_vars.parquet"),
              "agent_vars": pd.read_parquet(root / "run" / "agent_vars.parquet"),
              "defaults": pd.read_csv(root / "run" / "defaults.csv"),
              "loss_events": pd.read_csv(root / "run" / "loss_events.csv"),
              "exposures": pd.read_csv(root / "run" / "exposures.csv")}
    assert len(frames["loss_events"]) > 0
    for name, df in frames.items():
        assert list(df.columns[:2]) == ["step", "date"], name
        assert not {"Step", "AgentID"} & set(df.columns), name
        assert df["date"].map(lambda d: bool(DATE.match(d))).all(), name
        assert list(df["date"]) == [month_label(int(t)) for t in df["step"]], name
    assert list(frames["model_vars"]["date"]) == ["2025-01", "2025-02", "2025-03"]
    assert sorted(frames["agent_vars"]["step"].unique()) == [0, 1, 2]


def test_exposures_are_the_balance_sheets_at_the_start_and_the_end(written):
    m, root = written
    ex = pd.read_csv(root / "run" / "exposures.csv")
    assert sorted(ex["step"].unique()) == [0, 2]
    assert {"holder", "issuer", "kind", "value_usd"} <= set(ex.columns)
    end = ex[ex["step"] == 2]
    for inst in m.institutions:                      # what each one holds on the others
        sheet = inst.balance_sheet()["assets"]
        claims = sum(v for k, v in sheet.items()      # claims gross of a bank's allowance
                     if k not in ("cash", "gpus", "real_assets", "loan_loss_allowance"))
        held = end.loc[end["holder"] == inst.name, "value_usd"].sum()
        assert held == pytest.approx(claims, rel=1e-9, abs=1.0), inst.name
    start = AIEconomyModel("ai_winter", seed=0, steps=2, n_saver_cohorts=10)
    for inst in start.institutions:                  # and owes, at the start
        owed = sum(inst.balance_sheet()["liabilities"].values())
        rows = ex[(ex["step"] == 0) & (ex["issuer"] == inst.name)]
        liabilities = rows.loc[~rows["kind"].isin(["equity", "spv_equity", "fund_share"]),
                               "value_usd"].sum()
        assert liabilities == pytest.approx(owed, rel=1e-9, abs=1.0), inst.name
    assert (ex.loc[ex["kind"] == "gpu_loan", "claims"] > 0).all()


# --------------------------------------------------------------------------------------
# 4. the terminal
# --------------------------------------------------------------------------------------
def test_the_terminal_dates_the_first_default_and_explains_the_401k_lines(written):
    m, _ = written
    s = run_summary(m)
    s["first_default_step"] = 26
    text = format_summary(s)
    assert "2027-03" in text and "First default (step)" not in text
    fraction = next(ln for ln in text.splitlines() if "loss fraction" in ln)
    assert "return index" in fraction
    assert "savers_401k" in text and "booked" in text
    s["first_default_step"] = None
    assert re.search(r"First default\s+none", format_summary(s))


def test_without_out_the_terminal_says_no_files_were_written(capsys, tmp_path, monkeypatch, tiny_run):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = tiny_run(capsys)
    assert code == 0, err
    assert "No files were written" in stdout and "--out" in stdout
    assert "Overrides: n_saver_cohorts=10, steps=1" in stdout
    assert list(tmp_path.iterdir()) == []


def test_gpu_loans_sold_to_the_market_are_exposures_of_the_market_and_do_not_break_the_graph():
    from aicredit.abm.exposures import open_exposures
    from aicredit.abm.gpu_loans import MARKET_ACCOUNT, MARKET_LENDER
    from aicredit.visualization.figures import exposure_graph
    m = AIEconomyModel(seed=0, collect_agents=False, n_saver_cohorts=10)
    book = m.gpu_loans
    row = int(book.rows()[0])
    book.lender[row] = MARKET_LENDER                  # as a failed fund's estate sells its book
    book.touch()
    sold = [e for e in open_exposures(m) if e.holder.name == MARKET_ACCOUNT]
    assert len(sold) == 1 and sold[0].kind == "gpu_loan" and sold[0].claims == 1
    assert sold[0].value_usd == pytest.approx(book.debt[row])
    assert sold[0].issuer is m.neoclouds[book.borrower[row]]
    assert exposure_graph(m).number_of_nodes() > 0


def test_an_empty_out_keeps_its_permissions(capsys, tmp_path, tiny_run):
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(0o2775)                                  # e.g. a group-shared results folder
    code, _, err = tiny_run(capsys, out)
    assert code == 0, err
    assert (out / "params.json").is_file()
    assert oct(out.stat().st_mode & 0o7777) == oct(0o2775)
