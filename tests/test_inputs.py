"""Inputs cannot escape or execute (issue 12, item 3): scenario names resolve only among the
shipped scenarios, malformed scenario and sweep files give one line and exit code 2 without
echoing their content, and a sweep file's ``model`` key imports nothing unregistered."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aicredit.models.cli import main
from aicredit.models.scenario import ScenarioError, load_scenario
from aicredit.models.sweep import SweepError, load_spec, run_sweep, spec_from_dict

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hunter2-do-not-print"


def one_line_error(argv, capsys, *names):
    """Run the command in-process: exit code 2 and one stderr line naming ``names``."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert err.startswith("aicredit: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for name in names:
        assert str(name) in err, (name, err)
    return err


def test_a_scenario_name_never_reaches_outside_the_shipped_scenarios(tmp_path, capsys,
                                                                     monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.toml").write_text("steps = 2\n")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    err = one_line_error(["run", "--scenario", "../../elsewhere/x", "--quiet"], capsys,
                         "../../elsewhere/x", "shipped", ".toml")
    assert "../../elsewhere/x.toml" in err             # how to give it: a path
    with pytest.raises(ScenarioError):
        load_scenario("../../elsewhere/x")
    with pytest.raises(ScenarioError):                   # a name is a name, not a path
        load_scenario(Path("../../elsewhere/x"))
    assert load_scenario("../../elsewhere/x.toml").steps == 2      # an explicit path works
    # a sweep's scenario likewise
    one_line_error(["sweep", "--scenario", "../../elsewhere/x", "--out", tmp_path / "o",
                    "--dry-run"], capsys, "../../elsewhere/x")
    assert not (tmp_path / "o").exists()


def _malformed(folder: Path) -> dict[str, tuple[Path, str]]:
    """The malformed scenario files of the issue: {id: (path, a word the message names)}."""
    def write(name, data):
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return path
    write("b.toml", 'base = "a.toml"\nsteps = 3\n')
    return {
        "binary": (write("binary.toml", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 20), "UTF-8"),
        "latin-1": (write("latin.toml", 'name = "caf\xe9"\n'.encode("latin-1")), "UTF-8"),
        "cycle": (write("a.toml", 'base = "b.toml"\nsteps = 3\n'), "cycle"),
        "self-by-path": (write("self.toml", 'base = "self.toml"\n'), "cycle"),
        "base-number": (write("base5.toml", "base = 5\n"), "'base'"),
        "base-list": (write("baselist.toml", 'base = ["baseline"]\n'), "'base'"),
        "name-number": (write("name5.toml", "name = 5\n"), "'name'"),
        "base-nul": (write("basenul.toml", 'base = "x\\u0000.toml"\n'), "NUL"),
        "wrong-type-overridden": (write("steps.toml", 'steps = "many"\n'), "'steps'"),
        "date": (write("date.toml", "n_banks = 1979-05-27\n"), "'n_banks'"),
        "deep": (write("deep.toml", "x = " + "[" * 50_000 + "]" * 50_000 + "\n"), "TOML"),
        "folder": ((folder / "dir.toml"), "regular file"),
        "secret": (write("secret.toml", f'api_token = "{SECRET}"\n'), "'api_token'"),
    }


@pytest.mark.parametrize("case", ["binary", "latin-1", "cycle", "self-by-path", "base-number",
                                  "base-list", "name-number", "base-nul", "wrong-type-overridden",
                                  "date", "deep", "folder", "secret"])
def test_malformed_scenario_files_one_line_exit_2_for_run_and_sweep(tmp_path, capsys, case):
    (tmp_path / "dir.toml").mkdir()
    path, word = _malformed(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    # --steps overrides the file's steps: its own values are checked all the same
    err = one_line_error(["run", "--scenario", path, "--steps", 1, "--quiet",
                          "--out", tmp_path / "run"], capsys, word)
    assert SECRET not in err
    # the same file as a sweep's scenario
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'scenario = "{path.name}"\nsteps = 1\noutputs = ["defaults_total"]\n')
    err = one_line_error(["sweep", sweep, "--out", tmp_path / "o", "--dry-run"], capsys, word)
    assert SECRET not in err
    sweep.unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == before         # nothing written


@pytest.mark.parametrize("text, word", [
    (b"\x00\x01\x02binary\xff" * 10, "UTF-8"),
    ('name = "sch\xf6n"\n'.encode("latin-1"), "UTF-8"),
    (("x = " + "[" * 50_000 + "]" * 50_000 + "\n").encode(), "TOML"),
    (f'password = "{SECRET}"\n'.encode(), "'password'"),
    (f'scenario = "baseline"\nsteps = 1\n[sample]\ncolour = "{SECRET}"\n'.encode(),
     "'sample.colour'"),
    (b'scenario = 5\nsteps = 1\n', "'scenario'"),
    (b'scenario = "baseline"\nsteps = "1"\n', "'steps'"),
    (b'scenario = "baseline"\nsteps = 1\nmodel = 5\n', "'model'"),
    (b'scenario = "baseline"\nsteps = 1\n[fixed]\nn_banks = [3]\n', "'fixed.n_banks'"),
    (b'scenario = "baseline"\nsteps = 1\nseeds = 3\n', "'seeds'"),
    (b'scenario = "baseline"\nsteps = 1\nparameters = 3\n', "'parameters'"),
    (b'scenario = "a\\u0000.toml"\nsteps = 1\n', "'scenario'"),
    (b'scenario = "baseline"\nsteps = 1\nname = [1]\n', "'name'"),
])
def test_malformed_sweep_files_one_line_exit_2(tmp_path, capsys, text, word):
    path = tmp_path / "sweep.toml"
    path.write_bytes(text)
    for extra in (["--dry-run"], ["--workers", "1", "--quiet"]):
        err = one_line_error(["sweep", path, "--out", tmp_path / "o", *extra], capsys, word)
        assert SECRET not in err
        assert not (tmp_path / "o").exists()


MARKER_MODULE = '''from pathlib import Path
Path(__file__).with_name("IMPORTED").write_text("this module ran")


class Model:
    pass
'''


def _shared_folder(tmp_path: Path) -> Path:
    """A folder as shared by someone else: a sweep file naming a module beside it that would
    write a marker file when imported."""
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "marker_mod.py").write_text(MARKER_MODULE)
    (folder / "sweep.toml").write_text('scenario = "baseline"\nsteps = 1\nmodel = '
                                       '"marker_mod:Model"\noutputs = ["defaults_total"]\n')
    return folder


def test_a_sweep_file_naming_an_unregistered_model_imports_nothing(tmp_path, capsys,
                                                                   monkeypatch):
    folder = _shared_folder(tmp_path)
    marker = folder / "IMPORTED"
    monkeypatch.chdir(folder)
    # the command line, also under --dry-run, with the module importable from the folder
    for extra in (["--dry-run"], ["--workers", "1", "--quiet"]):
        one_line_error(["sweep", "sweep.toml", "--out", tmp_path / "o", *extra], capsys,
                       "'model'", "marker_mod:Model", "not a registered model",
                       "aicredit.models")
    one_line_error(["sweep", "--scenario", "baseline", "--model", "os:system", "--out",
                    tmp_path / "o", "--dry-run"], capsys, "os:system")
    # Python, with the folder on sys.path as a notebook started there would have it
    monkeypatch.syspath_prepend(str(folder))
    with pytest.raises(SweepError, match="not a registered model"):
        load_spec("sweep.toml")
    with pytest.raises(SweepError, match="not a registered model"):
        run_sweep("sweep.toml", tmp_path / "o2", workers=1, progress=False)
    with pytest.raises(SweepError, match="nothing was imported"):
        spec_from_dict({"scenario": "baseline", "steps": 1, "model": "marker_mod:Model"})
    assert not marker.exists(), "the sweep file's module was imported"
    assert "marker_mod" not in sys.modules
    # a subprocess too: the folder is the working directory of a fresh interpreter
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(folder)]))
    proc = subprocess.run([sys.executable, "-m", "aicredit.models.cli", "sweep", "sweep.toml", "--out",
                           str(tmp_path / "o3"), "--dry-run"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not a registered model" in proc.stderr, proc.stderr
    assert not marker.exists()


def test_registered_models_are_accepted_by_name_and_by_target():
    for model in ("aicredit", "aicredit.models.model:AIEconomyModel"):
        spec = spec_from_dict({"scenario": "baseline", "steps": 1, "model": model,
                               "outputs": ["defaults_total"]})
        assert spec.model == "aicredit.models.model:AIEconomyModel"
