"""A cache of finished runs that processes share: how the test suite runs a run it repeats once.

With ``$AICREDIT_RUN_CACHE`` (:data:`ENV`) naming a directory, :func:`~.runs.run_one` keeps what
a finished run of the project's own model leaves for its outputs (its reporters' frame, its
``summary.json`` dict and the month of its demand shock, the arguments of
:func:`.outputs.outputs_from`) in a file of that directory named after the run; a run of the
same identity later, in this or any other process, reads its outputs from that file instead
of being simulated again: the same numbers, bit for bit (pickle keeps every float;
``tests/test_sweep.py`` compares a sweep read back with one simulated). A run's identity is
its model, full parameters and seed, the model version and a fingerprint of the model's code
(every file of ``aicredit.abm`` and ``aicredit.models``), so an edit between two uses of one
directory cannot hand back an old run. Only ``duration_s`` tells a run read back from one
simulated: it is the time the reading took.

Without the variable (the default) every run is simulated. The test suite sets it for the
notebooks' quick runs and the validation table's sign tests, which make the same 36-month
runs (ai_winter, baseline and the policy scenarios, seeds 0-3) several times, in several
processes (``tests/conftest.py``, ``run_cache_dir``). A model registered by another package is
never cached: its code is not fingerprinted here.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from aicredit.models.sweep.common import DEFAULT_MODEL
from aicredit.models.sweep.outputs import outputs_from, shock_window_start

__all__ = ["ENV", "directory", "run_key", "load", "store", "outputs"]

#: The environment variable naming the cache's directory (unset: no cache).
ENV = "AICREDIT_RUN_CACHE"


def directory(run: dict) -> Path | None:
    """The cache's directory for ``run`` (an element of :func:`~.runs.build_runs`), or None:
    no ``$AICREDIT_RUN_CACHE``, or a model other than the project's own."""
    path = os.environ.get(ENV)
    if not path or run["model"] != DEFAULT_MODEL:
        return None
    return Path(path)


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of every file of ``aicredit.abm`` and ``aicredit.models`` (their paths and
    contents, compiled kernels and scenario files included; once per process)."""
    import aicredit.abm
    import aicredit.models
    h = hashlib.sha256()
    for package in (aicredit.abm, aicredit.models):
        root = Path(package.__path__[0])
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(f"{package.__name__}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def run_key(run: dict) -> str:
    """The file name of ``run``'s record: a hash of its model, full parameters, seed, the
    model version and :func:`code_fingerprint`."""
    from aicredit.models.report import MODEL_VERSION
    ident = {"model": run["model"], "params": run["params"], "seed": int(run["seed"]),
             "model_version": MODEL_VERSION, "code": code_fingerprint()}
    blob = json.dumps(ident, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32] + ".pkl"


def load(folder: Path, run: dict) -> dict | None:
    """``run``'s record from ``folder``, or None when it is not there (or unreadable)."""
    try:
        with open(folder / run_key(run), "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError):
        return None


def store(folder: Path, run: dict, model) -> dict:
    """The record of ``run`` from its finished ``model``, written to ``folder`` (atomically:
    a reader in another process sees the whole file or none); a folder that cannot be written
    only leaves the run uncached."""
    from aicredit.models.report import summary
    record = {"frame": model.datacollector.get_model_vars_dataframe(), "summary": summary(model),
              "shock_start": shock_window_start(model)}
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / run_key(run))
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return record


def outputs(record: dict, names: list[str]) -> dict:
    """The values of the outputs ``names`` from a run's record (:func:`.outputs.outputs_from`)."""
    return outputs_from(record["frame"], lambda: record["summary"], lambda: record["shock_start"], names)
