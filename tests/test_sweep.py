"""Sweeps: outputs, samples, identical results on every executor, resume, failures, bad files.

The test models (a failing model, one that kills its worker process, a slow one for the
kill-and-resume tests) are in ``tests/sweep_models.py``, registered by the ``custom_models``
fixture of ``tests/conftest.py``.
"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from aicredit.models import AIEconomyModel
from aicredit.models.cli import main
from aicredit.models.report import MODEL_VERSION, summary
from aicredit.models.sweep import SweepError, build_runs, load_spec, load_sweep, run_sweep, spec_from_dict
from tests.sweep_models import FlakyModel

ROOT = Path(__file__).resolve().parents[1]
STEPS = 6


def small(**over) -> dict:
    d = {"scenario": "baseline", "steps": STEPS, "replications": 2,
         "outputs": ["defaults_total", "defaults_by_sector.neocloud", "savers_401k_loss_fraction",
                     "ai_index", "ai_index:min", "margin_calls:max", "units_fire_sold:sum",
                     "gpu_loans_outstanding_usd:first_step", "first_default_step",
                     "series:ai_index"],
         "parameters": {"gpu_loan_max_ltv": [0.5, 0.7], "fire_sale_depth_share": [0.1, 1.0]}}
    d.update(over)
    return d


def _sorted(df):
    return df.sort_values("run_id").reset_index(drop=True).drop(columns=["duration_s"])


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "one"
    return out, run_sweep(small(), out, workers=1, progress=False)


def test_rows_columns_and_outputs_match_a_direct_run(one_process):
    out, df = one_process
    raw = pd.read_parquet(out)                       # the documented way to read results
    assert len(raw) == len(df) == 8
    assert raw["run_id"].is_unique
    assert list(raw.columns[:5]) == ["scenario", "steps", "gpu_loan_max_ltv",
                                     "fire_sale_depth_share", "seed"]
    for col in small()["outputs"] + ["model_version", "run_id", "error", "traceback", "duration_s"]:
        assert col in raw.columns
    # every row says what it ran: scenario, months and the model version
    assert (raw["scenario"] == "baseline").all() and (raw["steps"] == STEPS).all()
    assert (raw["model_version"] == MODEL_VERSION).all()
    assert (raw["error"] == "").all()
    assert sorted(raw["seed"].unique()) == [0, 1]
    row = df[(df.gpu_loan_max_ltv == 0.7) & (df.fire_sale_depth_share == 0.1) & (df.seed == 1)]
    assert len(row) == 1
    row = row.iloc[0]
    m = AIEconomyModel("baseline", seed=1, collect_agents=False, steps=STEPS,
                       gpu_loan_max_ltv=0.7, fire_sale_depth_share=0.1)
    for _ in range(STEPS):
        m.step()
    s, mv = summary(m), m.datacollector.get_model_vars_dataframe()
    assert row["defaults_total"] == s["defaults_total"]
    assert row["defaults_by_sector.neocloud"] == s["defaults_by_sector"]["neocloud"]
    assert row["savers_401k_loss_fraction"] == s["savers_401k_loss_fraction"]
    assert row["ai_index"] == mv["ai_index"].iloc[-1]
    assert row["ai_index:min"] == mv["ai_index"].min()
    assert row["margin_calls:max"] == mv["margin_calls"].max()
    assert row["units_fire_sold:sum"] == mv["units_fire_sold"].sum()
    assert row["gpu_loans_outstanding_usd:first_step"] == 0.0     # loans exist from step 0
    assert (math.isnan(row["first_default_step"]) if s["first_default_step"] is None
            else row["first_default_step"] == s["first_default_step"])
    assert list(row["series:ai_index"]) == list(mv["ai_index"])
    assert len(row["series:ai_index"]) == STEPS + 1
    manifest = (out / "_sweep.json").read_text()
    assert '"state": "complete"' in manifest


@pytest.fixture
def restored_environ(monkeypatch):
    """A Dask nanny writes its worker environment into this process's os.environ: undo it."""
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.cluster
def test_same_results_on_one_process_local_processes_and_dask(one_process, tmp_path,
                                                             restored_environ):
    """Also checks that the shipped worker settings (examples/dask/aicredit.yaml, as
    DASK_CONFIG=examples/dask gives them) reach the workers: no profiler, no
    MALLOC_TRIM_THRESHOLD_ (docs/sweeps.md, Performance notes)."""
    import dask.config
    from distributed import Client, LocalCluster
    _, ref = one_process
    procs = run_sweep(small(), tmp_path / "procs", workers=2, progress=False)
    shipped = dask.config.collect(paths=[str(ROOT / "examples" / "dask" / "aicredit.yaml")],
                                  env={})
    with dask.config.set(dask.config.merge(dask.config.config, shipped)), LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1,
            dashboard_address=None) as cluster, Client(cluster) as client:
        dask_ = run_sweep(small(), tmp_path / "dask", scheduler=client, progress=False)
        seen = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                   dask.config.get("distributed.worker.profile.enabled"),
                                   dask.config.get("distributed.admin.tick.interval")))
    assert list(seen.values()) == [(None, False, "1s")] * 2
    pd.testing.assert_frame_equal(_sorted(procs), _sorted(ref))
    pd.testing.assert_frame_equal(_sorted(dask_), _sorted(ref))


def test_resume_skips_finished_runs_and_extends(one_process, tmp_path):
    out = tmp_path / "r"
    report = {}
    run_sweep(small(), out, workers=1, progress=False, report=report)
    assert report["new"] == 8
    first_parts = sorted(p.name for p in out.glob("part-*.parquet"))
    run_sweep(small(), out, workers=1, progress=False, report=report)
    assert report["new"] == 0 and report["skipped"] == 8
    assert sorted(p.name for p in out.glob("part-*.parquet")) == first_parts   # never rewritten
    df = run_sweep(small(replications=3), out, workers=1, progress=False, report=report)
    assert report["new"] == 4 and report["skipped"] == 8
    assert len(df) == 12 and df["run_id"].is_unique


def test_run_identity_depends_on_parameters_seed_and_scenario():
    a = build_runs(spec_from_dict(small()))
    b = build_runs(spec_from_dict(small(fixed={"n_banks": 5})))
    c = build_runs(spec_from_dict(small(scenario="ai_winter")))
    ids = [r["run_id"] for r in a]
    assert len(set(ids)) == len(ids) == 8
    assert not set(ids) & {r["run_id"] for r in b}
    assert not set(ids) & {r["run_id"] for r in c}
    assert ids == [r["run_id"] for r in build_runs(spec_from_dict(small()))]


def test_samples_lhs_and_sobol():
    spec = spec_from_dict(_without(small(replications=1), "parameters") | {"sample": {
        "method": "lhs", "n": 10, "seed": 3,
        "ranges": {"gpu_loan_max_ltv": [0.5, 0.8], "n_banks": [2, 6]}}})
    runs = build_runs(spec)
    assert len(runs) == 10
    ltv = sorted(r["columns"]["gpu_loan_max_ltv"] for r in runs)
    assert all(0.5 <= x <= 0.8 for x in ltv)
    # Latin hypercube: one point in each of the 10 strata
    assert sorted(int((x - 0.5) / 0.03) for x in ltv) == list(range(10))
    assert all(isinstance(r["columns"]["n_banks"], int) and 2 <= r["columns"]["n_banks"] <= 6
               for r in runs)
    assert [r["run_id"] for r in build_runs(spec)] == [r["run_id"] for r in runs]
    sobol = spec_from_dict(_without(small(replications=1), "parameters") | {"sample": {
        "method": "sobol", "n": 8, "ranges": {"gpu_loan_max_ltv": [0.5, 0.8]}}})
    assert len(build_runs(sobol)) == 8


def _without(d, key):
    d = dict(d)
    d.pop(key)
    return d


@pytest.mark.slow                          # about 6 s: starts a pool of two worker processes
@pytest.mark.xdist_group("pools")          # a pool of worker processes (tests/conftest.py)
def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, custom_models):
    spec = small(model="failing")
    for workers in (1, 2):
        df = run_sweep(spec, tmp_path / f"w{workers}", workers=workers, progress=False)
        assert len(df) == 8
        bad = df[df["error"] != ""]
        assert set(bad["seed"]) == {1} and len(bad) == 4
        assert (bad["error"] == "RuntimeError: boom at month 3").all()
        assert bad["traceback"].str.contains("boom at month 3").all()
        assert bad["defaults_total"].isna().all() and bad["series:ai_index"].isna().all()
        good = df[df["error"] == ""]
        assert len(good) == 4 and good["defaults_total"].notna().all()
        assert (good["traceback"] == "").all()


def test_retry_failed_runs_them_again_and_replaces_their_rows(one_process, tmp_path, custom_models,
                                                              monkeypatch, capsys):
    out = tmp_path / "flaky"
    path = tmp_path / "flaky.toml"
    path.write_text('scenario = "baseline"\nsteps = 6\nseeds = [0, 1, 2]\n'
                    'model = "flaky"\noutputs = ["defaults_total"]\n'
                    '[parameters]\ngpu_loan_max_ltv = [0.5, 0.7]\n')
    # parts: the first holds failed and good runs, the second only failed ones
    import tomllib
    first = run_sweep(spec_from_dict({**tomllib.loads(path.read_text()), "seeds": [0, 1]}),
                      out, workers=1, progress=False)
    assert (first["error"] != "").sum() == 2
    cmd = ["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(cmd) == 0                        # a plain resume does not retry
    assert "2 new, 4 already there, 2 failed" in capsys.readouterr().out
    assert len(list(out.glob("part-*.parquet"))) == 2
    assert (pd.read_parquet(out)["error"] != "").sum() == 2
    monkeypatch.setattr(FlakyModel, "broken", False)
    assert main(cmd + ["--retry-failed"]) == 0
    assert "2 new, 2 of them failed runs retried, 4 already there)" in capsys.readouterr().out
    df = pd.read_parquet(out)                    # plain pandas: still one row per run
    assert len(df) == 6 and df["run_id"].is_unique and (df["error"] == "").all()
    assert set(df["run_id"]) == {r["run_id"] for r in build_runs(load_spec(path))}
    # the retried runs are the model's results, as on an unbroken first try
    _, ref = one_process
    cols = ["gpu_loan_max_ltv", "seed", "defaults_total"]
    ref = ref[(ref["fire_sale_depth_share"] == 0.1)][cols]
    got = load_sweep(out)
    got = got[got["seed"] < 2][cols].merge(ref, on=["gpu_loan_max_ltv", "seed"])
    assert len(got) == 4 and (got["defaults_total_x"] == got["defaults_total_y"]).all()
    assert not list(out.glob(".*.tmp"))
    assert main(cmd + ["--retry-failed"]) == 0   # nothing left to retry
    assert "0 new, 6 already there)" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.xdist_group("pools")          # a pool of worker processes (tests/conftest.py)
def test_a_run_that_kills_its_worker_is_recorded_and_others_finish(tmp_path, custom_models):
    # two runs of each seed (every run in flight at once, four slots), the two of seed 1 kill
    # their worker: each is tried MAX_ATTEMPTS times alone, and every try restarts the pool,
    # so each crashing run costs pool starts (the grid of small() had four of them)
    spec = small(model="crashing", parameters={"gpu_loan_max_ltv": [0.5, 0.7]})
    t0 = time.monotonic()
    df = run_sweep(spec, tmp_path / "crash", workers=2, progress=False)
    assert time.monotonic() - t0 < 90
    assert len(df) == 4 and df["run_id"].is_unique
    bad = df[df["error"] != ""]
    assert set(bad["seed"]) == {1} and len(bad) == 2
    assert bad["error"].str.startswith("WorkerLost").all()
    assert (df[df["seed"] == 0]["error"] == "").all()


#: Runs of the slow sweep (4 replications x 3 LTVs). Each is killed at its first part file,
#: when 1 or 2 runs are done (measured: 1 with SIGINT on two local workers, 2 on one Dask
#: worker); the other ~10 take at least 1.3 s more (0.26 s a run on two workers), far longer
#: than the 50-ms poll that sends the kill, so the kill lands mid-sweep as it did with 30 or 45.
SLOW_RUNS = 12


def _slow_sweep_file(tmp_path) -> Path:
    path = tmp_path / "slow.toml"
    path.write_text(
        f'scenario = "baseline"\nsteps = 6\nreplications = {SLOW_RUNS // 3}\nmodel = "slow"\n'
        'outputs = ["defaults_total", "ai_index:min", "series:ai_index"]\n'
        "[parameters]\ngpu_loan_max_ltv = [0.5, 0.6, 0.7]\n")
    return path


def _default_sigint() -> None:
    """preexec_fn: SIGINT back to its default disposition in the child (see its use)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
@pytest.mark.slow
@pytest.mark.xdist_group("pools")          # a sweep command with two workers, killed on a deadline
def test_kill_and_resume_every_run_exactly_once(tmp_path, sig, custom_models):
    path, out = _slow_sweep_file(tmp_path), tmp_path / "out"
    total = SLOW_RUNS
    cmd = [sys.executable, "-m", "aicredit.models.cli", "sweep", str(path), "--out", str(out),
           "--workers", "2", "--quiet", "--flush-every", "0.2"]
    # SIGINT as a terminal sends it: a shell that starts the test suite in the background (`&`)
    # hands its children SIGINT ignored, and Python then installs no KeyboardInterrupt handler,
    # so the sweep would run on to the end and exit 0 (seen on a suite started with nohup ... &)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_sigint)
    deadline = time.monotonic() + 60
    while not list(out.glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(out.glob("part-*.parquet")), "no part file appeared"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130, err
        assert "interrupted" in err and "run the same command again" in err
    # whatever is on disk is readable, and holds no run twice
    partial = pd.read_parquet(out)
    assert 0 < len(partial) < total
    assert partial["run_id"].is_unique
    for part in out.glob("part-*.parquet"):
        pq.read_table(part)
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"{len(partial)} already there" in res.stdout
    df = pd.read_parquet(out)
    assert len(df) == total and df["run_id"].is_unique
    assert set(df["run_id"]) == {r["run_id"] for r in build_runs(load_spec(path))}
    assert (df["error"] == "").all()
    assert not list(out.glob(".*.tmp"))


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _DaskProcesses:
    """A real `dask scheduler` and `dask worker`s (no nanny), each in its own process."""

    def __init__(self, n_workers: int):
        pytest.importorskip("distributed")
        from distributed import Client
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        quiet = dict(cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", self.address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)
        self.workers = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads",
             "1", "--no-dashboard", "--no-nanny"], **quiet) for _ in range(n_workers)]
        try:
            with Client(self.address, timeout="60s") as client:
                client.wait_for_workers(n_workers, timeout=60)
        except BaseException:
            self.close()
            raise

    def close(self):
        for p in [self.scheduler, *self.workers]:
            p.kill()
            p.wait(10)


def _sweep_until_first_part(cmd, out):
    proc = subprocess.Popen(cmd, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while not list(out.glob("part-*.parquet")) and time.monotonic() < deadline \
            and proc.poll() is None:
        time.sleep(0.05)
    assert list(out.glob("part-*.parquet")), f"no part file appeared: {proc.stderr.read()}"
    return proc


@pytest.mark.timeout(240)
@pytest.mark.cluster
def test_killed_dask_scheduler_exits_1_keeps_finished_runs_and_resume_completes(tmp_path, custom_models):
    """The issue's "a killed scheduler loses no finished run": the scheduler SIGKILLed
    part-way through a sweep on a real cluster."""
    path, out = _slow_sweep_file(tmp_path), tmp_path / "out"
    cluster = _DaskProcesses(1)
    cmd = [sys.executable, "-m", "aicredit.models.cli", "sweep", str(path), "--out", str(out),
           "--quiet", "--flush-every", "0.2"]
    try:
        proc = _sweep_until_first_part(cmd + ["--scheduler", cluster.address], out)
        cluster.scheduler.kill()
        _, err = proc.communicate(timeout=120)
    finally:
        cluster.close()
    assert proc.returncode == 1, err
    assert "lost the Dask scheduler" in err and "run the same command again" in err
    assert "Traceback" not in err
    partial = pd.read_parquet(out)
    assert 0 < len(partial) < SLOW_RUNS and partial["run_id"].is_unique
    assert (partial["error"] == "").all()
    res = subprocess.run(cmd + ["--workers", "2"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"{len(partial)} already there" in res.stdout
    df = pd.read_parquet(out)
    assert len(df) == SLOW_RUNS and df["run_id"].is_unique and (df["error"] == "").all()
    assert set(df["run_id"]) == {r["run_id"] for r in build_runs(load_spec(path))}


@pytest.mark.timeout(240)
@pytest.mark.cluster
def test_killed_dask_worker_its_runs_move_to_another_and_the_sweep_completes(tmp_path, custom_models):
    """A Dask worker SIGKILLed part-way: Dask reruns its runs on the other worker; every run
    ends up in the results exactly once, none marked failed."""
    path, out = _slow_sweep_file(tmp_path), tmp_path / "out"
    cluster = _DaskProcesses(2)
    cmd = [sys.executable, "-m", "aicredit.models.cli", "sweep", str(path), "--out", str(out),
           "--quiet", "--flush-every", "0.2", "--scheduler", cluster.address]
    try:
        proc = _sweep_until_first_part(cmd, out)
        cluster.workers[0].kill()
        _, err = proc.communicate(timeout=150)
        assert proc.returncode == 0, err
    finally:
        cluster.close()
    df = pd.read_parquet(out)
    assert len(df) == SLOW_RUNS and df["run_id"].is_unique and (df["error"] == "").all()
    assert set(df["run_id"]) == {r["run_id"] for r in build_runs(load_spec(path))}


def _cli(tmp_path, text, capsys, *extra):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code = main(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet",
                 *extra])
    err = capsys.readouterr().err.strip()
    return code, err


GOOD = ('scenario = "baseline"\nsteps = 6\nreplications = 1\noutputs = ["defaults_total"]\n'
        '[parameters]\ngpu_loan_max_ltv = [0.5, 0.6]\n')
SAMPLE = ('scenario = "baseline"\nsteps = 6\noutputs = ["defaults_total"]\n'
          '[sample]\nmethod = "lhs"\nn = 4\n[sample.ranges]\n')


@pytest.mark.parametrize("text, needle", [
    (GOOD + "colour = 'red'\n", "'colour'"),
    (GOOD.replace('replications = 1\n', 'replications = 1\ncolour = "red"\n'), "'colour'"),
    (GOOD.replace('scenario = "baseline"\n', ''), "'scenario'"),
    (GOOD.replace('steps = 6', 'steps = 0'), "'steps'"),
    (GOOD.replace('steps = 6', 'steps = 6.5'), "'steps'"),
    (GOOD.replace('replications = 1', 'replications = 0'), "'replications'"),
    (GOOD.replace('replications = 1', 'seeds = [1, 1]'), "'seeds'"),
    (GOOD.replace('"baseline"', '"nowhere"'), "nowhere"),
    (GOOD.replace('"baseline"', '["baseline", 3]'), "key 'scenario' = ['baseline', 3]"),
    (GOOD.replace('"baseline"', '[]'), "key 'scenario' = []"),
    (GOOD.replace('outputs = ["defaults_total"]', 'outputs = ["scenario"]'), "clashes"),
    (GOOD.replace('"defaults_total"', '"defaults_totl"'), "'outputs' = 'defaults_totl'"),
    (GOOD.replace('"defaults_total"', '"ai_index:median"'), "'outputs' = 'ai_index:median'"),
    (GOOD.replace('"defaults_total"', '"series:nope"'), "'outputs' = 'series:nope'"),
    (GOOD.replace('"defaults_total"', '"defaults_by_sector"'), "defaults_by_sector.ai_lab"),
    (GOOD.replace("gpu_loan_max_ltv", "gpu_ltv"), "'parameters.gpu_ltv'"),
    (GOOD.replace("[0.5, 0.6]", "[0.5, 1.5]"), "'parameters.gpu_loan_max_ltv'"),
    (GOOD.replace("[0.5, 0.6]", "0.5"), "'parameters.gpu_loan_max_ltv'"),
    (GOOD.replace("[0.5, 0.6]", "[0.5, 0.9]"), "must not exceed"),   # > margin LTV 0.85
    (GOOD + SAMPLE.split("[sample]")[1].join(["[sample]", ""]) + "ltv = [0.5, 0.6]\n",
     "not both"),
    (SAMPLE + "gpu_loan_max_ltv = [0.8, 0.5]\n", "low must be below high"),
    (SAMPLE + "gpu_loan_max_ltv = [0.5, 0.5]\n", "low must be below high"),
    (SAMPLE + "gpu_loan_max_ltv = [0.01, 0.5]\n", "'sample.ranges.gpu_loan_max_ltv'"),
    (SAMPLE + "gpu_loan_max_ltv = [0.5]\n", "[low, high]"),
    (SAMPLE + "spv_consolidation = [0, 1]\n", "cannot be sampled"),
    (SAMPLE + "lab_demand_shares = [0, 1]\n", "[fixed]"),
    (SAMPLE, "[sample.ranges]"),
    (SAMPLE.replace('"lhs"', '"grid"') + "gpu_loan_max_ltv = [0.5, 0.6]\n", "'sample.method'"),
    (SAMPLE.replace("n = 4", "n = 4.5") + "gpu_loan_max_ltv = [0.5, 0.6]\n", "'sample.n'"),
    (SAMPLE.replace("n = 4", "") + "gpu_loan_max_ltv = [0.5, 0.6]\n", "'sample.n'"),
    (SAMPLE.replace('"lhs"', '"sobol"').replace("n = 4", "n = 6")
     + "gpu_loan_max_ltv = [0.5, 0.6]\n", "power of 2"),
    (SAMPLE.replace("n = 4", "n = 4\nsize = 3") + "gpu_loan_max_ltv = [0.5, 0.6]\n",
     "'sample.size'"),
    (GOOD + "[fixed]\nn_bank = 3\n", "'fixed.n_bank'"),
    (GOOD + "[fixed]\nn_banks = 'three'\n", "key 'fixed.n_banks' = 'three'"),
    (GOOD + "[fixed]\ngpu_loan_max_ltv = 0.6\n", "also in [fixed]"),
    (GOOD.replace("steps = 6", "steps = 6\nmodel = 'nope.nothing:Model'"), "'model'"),
    ("scenario = \n", "not valid TOML"),
])
def test_bad_sweep_files_one_clear_message_exit_2(tmp_path, capsys, text, needle):
    code, err = _cli(tmp_path, text, capsys)
    assert code == 2
    assert "\n" not in err and err.startswith("aicredit: error:")
    assert needle in err
    assert not list((tmp_path / "o").glob("part-*")) if (tmp_path / "o").exists() else True


def test_bad_command_lines_exit_2(tmp_path, capsys):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    for argv in (["sweep", str(path)],                                  # no --out
                 ["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "0"],
                 ["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", "localhost"],
                 ["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and err.startswith("aicredit: error:")


CLI_GOOD = ["--scenario", "baseline", "--steps", "6", "--replications", "1",
            "--outputs", "defaults_total", "--param", "gpu_loan_max_ltv=0.5,0.6"]


def test_a_sweep_described_on_the_command_line_is_the_same_as_its_file(tmp_path, capsys):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    opts = ["--workers", "1", "--quiet"]
    assert main(["sweep", str(path), "--out", str(tmp_path / "file"), *opts]) == 0
    assert main(["sweep", *CLI_GOOD, "--out", str(tmp_path / "cli"), *opts]) == 0
    a, b = load_sweep(tmp_path / "file"), load_sweep(tmp_path / "cli")
    assert len(a) == 2
    pd.testing.assert_frame_equal(a.drop(columns="duration_s"), b.drop(columns="duration_s"))
    capsys.readouterr()
    # options replace the file's keys: more seeds, a third grid value, a fixed parameter
    assert main(["sweep", str(path), "--seeds", "0,5", "--param", "gpu_loan_max_ltv=0.5,0.6,0.7",
                 "--fixed", "n_banks=3", "--out", str(tmp_path / "over"), "--dry-run"]) == 0
    assert "good: 6 runs (3 points x 2 seeds)" in capsys.readouterr().out
    runs = build_runs(spec_from_dict({"scenario": "baseline", "steps": 6, "seeds": [0, 5],
                                      "outputs": ["defaults_total"], "fixed": {"n_banks": 3},
                                      "parameters": {"gpu_loan_max_ltv": [0.5, 0.6, 0.7]}}))
    assert main(["sweep", str(path), "--seeds", "0,5", "--param", "gpu_loan_max_ltv=0.5,0.6,0.7",
                 "--fixed", "n_banks=3", "--out", str(tmp_path / "over"), *opts]) == 0
    assert set(pd.read_parquet(tmp_path / "over")["run_id"]) == {r["run_id"] for r in runs}
    # a sample on the command line
    assert main(["sweep", "--scenario", "baseline", "--steps", "6", "--outputs",
                 "defaults_total", "--sample", "lhs", "--n", "3", "--range",
                 "gpu_loan_max_ltv=0.5,0.7", "--range", "n_banks=2,6", "--out",
                 str(tmp_path / "lhs"), "--dry-run"]) == 0
    assert "3 runs (3 points x 1 seeds)" in capsys.readouterr().out


def test_run_set_and_sweep_options_read_values_with_one_parser():
    """``aicredit run --set`` and the sweep's options read values alike: TOML, else the text."""
    import argparse

    from aicredit.models.cli import parse_set
    from aicredit.models.options import toml_value
    from aicredit.models.sweep import add_arguments, spec_from_cli
    texts = ["0.5", "3", "true", "[1, 2]", "1e3", "'quoted'", "plain text", "0.5,"]
    assert parse_set([f"k={t}" for t in texts[:1]]) == {"k": 0.5}
    assert [parse_set([f"k= {t} "])["k"] for t in texts] == [toml_value(t) for t in texts] == \
        [0.5, 3, True, [1, 2], 1000.0, "quoted", "plain text", "0.5,"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([*CLI_GOOD, "--fixed", "n_banks= 3", "--fixed",
                              "demand_shock_step=12", "--out", "o"])
    spec = spec_from_cli(args)
    assert spec.fixed == parse_set(["n_banks= 3", "demand_shock_step=12"]) == \
        {"n_banks": 3, "demand_shock_step": 12}
    assert spec.grid == {"gpu_loan_max_ltv": [0.5, 0.6]} and spec.steps == 6


@pytest.mark.parametrize("change, needle", [
    ({"--steps": "6.5"}, "--steps = 6.5: must be a whole number"),
    ({"--param": "gpu_ltv=0.5"}, "--param gpu_ltv = [0.5]: unknown scenario parameter"),
    ({"--param": "gpu_loan_max_ltv=0.5,1.5"}, "--param gpu_loan_max_ltv = 1.5: scenario key"),
    ({"--param": "gpu_loan_max_ltv"}, "--param 'gpu_loan_max_ltv': must look like NAME=VALUE"),
    ({"--outputs": "defaults_totl"}, "--outputs = 'defaults_totl'"),
    ({"--scenario": "nowhere"}, "nowhere"),
    ({"--replications": "0"}, "--replications = 0: must be >= 1"),
    ({"--seeds": "1,1"}, "--seeds = [1, 1]: lists a seed twice"),
    ({"--fixed": "n_banks=three"}, "--fixed n_banks = 'three'"),
    ({"--scenario": None}, "missing --scenario"),
    ({"--scenario": "baseline,nowhere"}, "--scenario = ['baseline', 'nowhere']: unknown"),
    ({"--scenario": "baseline,baseline"}, "lists a scenario twice"),
    ({"--sample": "lhs", "--range": "gpu_loan_max_ltv=0.5,0.7"}, "not both"),
])
def test_bad_command_line_descriptions_name_the_option_exit_2(tmp_path, capsys, change, needle):
    argv = list(CLI_GOOD)
    for opt, value in change.items():
        if opt in argv:
            i = argv.index(opt)
            del argv[i:i + 2]
        if value is not None:
            argv += [opt, value]
    assert main(["sweep", *argv, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("aicredit: error:") and needle in err, err
    assert not (tmp_path / "o").exists()


def test_a_sweep_over_several_scenarios_equals_one_sweep_per_scenario(tmp_path):
    spec = {"steps": 6, "replications": 2, "outputs": ["defaults_total", "ai_index:min"],
            "parameters": {"gpu_loan_max_ltv": [0.5, 0.7]}}
    custom = tmp_path / "mild_winter.toml"
    custom.write_text('base = "ai_winter"\ndemand_shock_size = 0.2\n')
    both = run_sweep({**spec, "scenario": ["baseline", str(custom)]}, tmp_path / "both",
                     workers=1, progress=False)
    assert list(both.columns[:4]) == ["scenario", "steps", "gpu_loan_max_ltv", "seed"]
    assert len(both) == 8 and both["run_id"].is_unique
    assert sorted(set(both["scenario"])) == ["baseline", "mild_winter"]
    cols = ["gpu_loan_max_ltv", "seed", "defaults_total", "ai_index:min"]
    for name, scenario in (("baseline", "baseline"), ("mild_winter", str(custom))):
        one = run_sweep({**spec, "scenario": scenario}, tmp_path / name, workers=1,
                        progress=False)
        got = both[both["scenario"] == name][cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, one[cols].reset_index(drop=True))
    # the two scenarios differ, so the rows do too
    assert not both[both.scenario == "baseline"]["ai_index:min"].equals(
        both[both.scenario == "mild_winter"]["ai_index:min"].reset_index(drop=True))


def test_no_file_and_no_description_exit_2(tmp_path, capsys):
    assert main(["sweep", "--out", str(tmp_path / "o")]) == 2
    assert "give a sweep file or describe the sweep" in capsys.readouterr().err


def test_resume_into_a_directory_of_another_sweep_is_refused(tmp_path, capsys):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    out = tmp_path / "o"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "2 runs in" in capsys.readouterr().out
    path.write_text(GOOD.replace('"defaults_total"', '"ai_index:min"'))
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert "holds a different sweep" in capsys.readouterr().err
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    assert main(["sweep", str(path), "--out", str(tmp_path / "x"), "--workers", "1"]) == 2
    assert "not empty" in capsys.readouterr().err


def test_dry_run_and_example_files(capsys):
    for name, runs in (("ltv_vs_depth", 48), ("lhs_winter", 128)):
        path = ROOT / "examples" / "sweeps" / f"{name}.toml"
        assert main(["sweep", str(path), "--out", "/nonexistent/never", "--dry-run"]) == 0
        assert f"{runs} runs" in capsys.readouterr().out
    spec = load_spec(ROOT / "examples" / "sweeps" / "sensitivity.toml", kind="sensitivity")
    assert spec.sample["n"] == 16


def test_load_sweep_before_any_run_finished(tmp_path):
    from aicredit.models.sweep import Dataset
    spec = spec_from_dict(small())
    ds = Dataset(tmp_path / "empty", spec)
    ds.open()
    ds.write_manifest(runs_total=8, state="running")
    ds.close()
    df = load_sweep(tmp_path / "empty")
    assert len(df) == 0 and "series:ai_index" in df.columns
    with pytest.raises(SweepError):
        load_sweep(tmp_path)


def test_mesa_batch_run_sweeps_the_model_with_seed_as_a_parameter():
    """mesa.batch_run works on the model (seed swept as a parameter). Its last row is labelled
    Step = model.steps - 1 and holds the state after that many months (Mesa 3.3 drops the
    final collection), so it is compared with the sweep's whole series at that index."""
    import mesa
    rows = mesa.batch_run(AIEconomyModel, parameters={
        "scenario": "baseline", "steps": 5, "collect_agents": False, "seed": range(2),
        "gpu_loan_max_ltv": [0.5, 0.7]}, iterations=1, max_steps=5, number_processes=1,
        display_progress=False)
    df = pd.DataFrame(rows)
    assert len(df) == 4 and set(df["Step"]) == {4}
    assert set(df["seed"]) == {0, 1} and "ai_index" in df.columns
    ref = run_sweep({"scenario": "baseline", "steps": 5, "replications": 2,
                     "outputs": ["series:ai_index", "series:units_fire_sold"],
                     "parameters": {"gpu_loan_max_ltv": [0.5, 0.7]}}, workers=1, progress=False)
    merged = df.merge(ref, on=["gpu_loan_max_ltv", "seed"])
    assert len(merged) == 4
    for _, row in merged.iterrows():
        assert row["ai_index"] == row["series:ai_index"][4]
        assert row["units_fire_sold"] == row["series:units_fire_sold"][4]
