"""``aicredit viz`` as a user meets it: a quiet start, a titled page, offline, stopped by a
plain ``kill``; and the page's levers and scenarios (ranges, large economies behind a flag)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from aicredit.models import ScenarioError, load_scenario, scenario_names
from aicredit.models.scenario import Scenario
from aicredit.visualization import ALLOW_LARGE_ENV, PAGE_TITLE
from aicredit.visualization.levers import LEVERS, VizModel, VizSession, model_params, page_scenarios

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


@pytest.mark.slow
@pytest.mark.xdist_group("ports")          # serves the app on a port (tests/conftest.py)
def test_viz_starts_quietly_titled_and_sigterm_stops_the_whole_server(tmp_path):
    """No warnings and no advice to upgrade Solara on start; the page is titled; a SIGTERM
    to ``aicredit viz`` leaves nothing listening (before, the Solara child kept serving)."""
    port = _free_port()
    log = tmp_path / "viz.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "aicredit.models.cli", "viz", "--port", str(port)],
                                cwd=tmp_path, env=_env(), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)        # its own group, to clean up after
    try:
        deadline = time.time() + 60
        while not _listening(port):
            assert proc.poll() is None, log.read_text()
            assert time.time() < deadline, "the server did not listen within 60 s"
            time.sleep(0.3)
        html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode()
        assert f"<title>{PAGE_TITLE}</title>" in html
        time.sleep(1.0)                                # let any late warning reach the log
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.time() + 10
        while _listening(port) and time.time() < deadline:
            time.sleep(0.2)
        assert not _listening(port), "a server still listens after SIGTERM"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)        # anything the test started and left
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
    text = "\n".join(lines)
    assert "Warning" not in text and "pip install" not in text and "New version" not in text, text
    assert lines[0] == f"aicredit viz: serving the model at http://127.0.0.1:{port}/ (Ctrl-C to stop)"
    assert all(ln.startswith(("aicredit viz:", "Solara server is starting")) for ln in lines), text


def test_viz_mistake_prints_one_line_and_no_warning():
    """``aicredit viz --port abc`` says what is wrong in one line (no hooks warning first)."""
    out = subprocess.run([sys.executable, "-m", "aicredit.models.cli", "viz", "--port", "abc"],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr == "aicredit: error: --port must be a whole number, got 'abc'\n"


def test_solara_runs_offline_and_titled():
    from aicredit.visualization import server
    assert "--no-check-version" in server.solara_command("127.0.0.1", 8765)
    env = server.server_env(base={"PYTHONPATH": "x"})
    assert env["SOLARA_THEME_TITLE"] == PAGE_TITLE
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert ALLOW_LARGE_ENV not in env and server.server_env(True, base={})[ALLOW_LARGE_ENV] == "1"
    assert ALLOW_LARGE_ENV not in server.server_env(False, base={ALLOW_LARGE_ENV: "1"})


# --- the page's levers and scenarios ----------------------------------------------------------
def test_lever_ranges_are_valid_and_hold_their_defaults_inside():
    """Each slider stays inside its parameter's valid range, starts strictly inside its own
    range (never pinned at an end) and reaches the shipped scenarios' values; the origination
    LTV stops at the maintenance LTV, above which every value would be rejected."""
    meta = {f.name: f.metadata for f in Scenario.__dataclass_fields__.values()}
    defaults = Scenario()
    for name, w in LEVERS.items():
        if w["type"] == "Checkbox":
            continue
        low, high = meta[name]["low"], meta[name]["high"]
        assert low <= w["min"] and w["max"] <= high, name
        assert w["min"] < w["value"] < w["max"], name
        assert w["value"] == getattr(defaults, name)
        for scenario in scenario_names():
            assert w["min"] <= getattr(load_scenario(scenario), name) <= w["max"], (name, scenario)
    assert LEVERS["gpu_loan_max_ltv"]["max"] <= defaults.gpu_loan_margin_ltv


def test_large_economy_only_with_the_server_flag(monkeypatch):
    monkeypatch.delenv(ALLOW_LARGE_ENV, raising=False)
    assert "synthetic" not in model_params()["scenario"]["values"]
    assert "baseline" in page_scenarios() and "ai_winter" in page_scenarios()
    session = VizSession()
    m = VizModel("synthetic", session=session)          # refused before anything is built
    assert "--allow-large" in m.param_error and m.scenario_name == "baseline"
    assert len(m.institutions) < 100
    monkeypatch.setenv(ALLOW_LARGE_ENV, "1")
    assert "synthetic" in model_params()["scenario"]["values"]
    from aicredit.visualization.levers import check_size
    check_size(load_scenario("synthetic"), "synthetic")  # allowed now: no error
    monkeypatch.delenv(ALLOW_LARGE_ENV)
    with pytest.raises(ScenarioError, match="large economy"):
        check_size(load_scenario("synthetic"), "synthetic")
