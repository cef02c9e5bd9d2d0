"""The results directory: Parquet part files written atomically, the manifest, the lock, and
:func:`load_sweep` (one row per run)."""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from aicredit.models.atomic import fsync_dir, write_file_atomically
from aicredit.models.sweep.common import LOCK, MANIFEST, SweepError, SweepSpec, param_kind

__all__ = ["Dataset", "load_sweep"]


def _schema(spec: SweepSpec):
    import pyarrow as pa
    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    fields = [pa.field("scenario", pa.string()), pa.field("steps", pa.int64())]
    fields += [pa.field(n, types[param_kind(n)]) for n in spec.param_names]
    fields.append(pa.field("seed", pa.int64()))
    for o in spec.outputs:
        fields.append(pa.field(o, pa.list_(pa.float64()) if o.startswith("series:")
                               else pa.float64()))
    fields += [pa.field("model_version", pa.string()), pa.field("run_id", pa.string()),
               pa.field("error", pa.string()), pa.field("traceback", pa.string()),
               pa.field("duration_s", pa.float64())]
    return pa.schema(fields)


#: The manifest's format: 2 since rows carry scenario, steps and model version and the
#: manifest the settings a resumed sweep must share (:func:`settings`).
FORMAT = 2


def settings(spec: SweepSpec) -> dict:
    """What every run of a results folder shares and no row can tell apart by its swept
    parameters and seed: the scenarios (their names and a hash of their resolved parameters,
    so an edited scenario file counts as another scenario), months, fixed values, model and
    model version. Seeds and the swept values may grow between runs of a sweep; these may not.
    """
    import hashlib

    from aicredit.models.report import MODEL_VERSION
    from aicredit.models.sweep.common import base_params
    from aicredit.models.sweep.runs import scenario_label

    def digest(scenario):
        blob = json.dumps(base_params(spec, scenario), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
    return {"scenario": [scenario_label(s) for s in spec.scenarios], "steps": spec.steps,
            "fixed": spec.fixed, "model": spec.model, "model_version": MODEL_VERSION,
            "scenario_parameters": {scenario_label(s): digest(s) for s in spec.scenarios}}


#: How a refusal names each setting.
_SETTING_NAMES = {"scenario": "scenario", "steps": "steps", "fixed": "fixed parameters",
                  "model": "model", "model_version": "model version",
                  "scenario_parameters": "scenario parameters"}


class Dataset:
    """The output directory of a sweep: part files, manifest and lock (used by
    :func:`models.sweep.run_sweep`; open, write, close)."""

    def __init__(self, out: Path, spec: SweepSpec):
        self.out = Path(out)
        self.spec = spec
        self.schema = _schema(spec)
        self._lock_fh = None
        self.written: set[str] = set()

    def open(self) -> set[str]:
        """Lock the directory, check it holds the same sweep, return the finished run ids."""
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"--out {self.out} is a file, not a directory")
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock()
        for tmp in self.out.glob(".*.tmp"):          # left by a sweep killed while writing
            tmp.unlink()
        manifest = self.out / MANIFEST
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except (OSError, ValueError) as exc:
                raise SweepError(f"--out {self.out}: its {MANIFEST} cannot be read ({exc}); "
                                 "give a new folder") from None
            self._check_settings(old)
            if old.get("schema") != self._schema_desc():
                theirs = [c for c, _ in old.get("schema", [])]
                mine = [c for c, _ in self._schema_desc()]
                diff = "; ".join(f"{label}: {', '.join(cols)}" for label, cols in (
                    ("only there", [c for c in theirs if c not in mine]),
                    ("only here", [c for c in mine if c not in theirs])) if cols)
                raise SweepError(f"--out {self.out} holds a different sweep (its columns differ "
                                 f"from this sweep's: {diff or 'their types or order'}); choose "
                                 "another directory")
        elif any(self.out.iterdir()):
            if any(p.name != LOCK for p in self.out.iterdir()):
                raise SweepError(f"--out {self.out} is not empty and holds no sweep "
                                 f"({MANIFEST}); choose another directory")
        return self.finished_ids()

    def _check_settings(self, old: dict) -> None:
        """Refuse to resume a folder whose runs had other settings (one line naming the first
        that differs), so its rows never mix runs that nothing tells apart."""
        if not isinstance(old, dict) or old.get("format") != FORMAT:
            raise SweepError(f"--out {self.out} holds a sweep written by an older aicredit "
                             "(before rows recorded scenario, steps and model version); give a "
                             "new folder")
        mine = settings(self.spec)
        theirs = old.get("settings") or {}
        for key, value in mine.items():
            if theirs.get(key) != json.loads(json.dumps(value)):
                if key == "scenario_parameters":
                    what = ("the scenario's parameters differ (its file changed since those "
                            "runs)")
                else:
                    what = (f"{_SETTING_NAMES[key]} {_show(theirs.get(key))} there, "
                            f"{_show(value)} here")
                raise SweepError(f"--out {self.out} holds runs of another sweep: {what}; "
                                 "resume it with the same settings or give a new folder")

    def _schema_desc(self):
        return [[f.name, str(f.type)] for f in self.schema]

    def _lock(self):
        try:
            import fcntl
        except ImportError:                             # not on POSIX: no lock
            return
        self._lock_fh = open(self.out / LOCK, "a")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_fh.close()
            self._lock_fh = None
            raise SweepError(f"--out {self.out}: another sweep is writing to this directory") \
                from None

    def close(self):
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def parts(self) -> list[Path]:
        return sorted(self.out.glob("part-*.parquet"))

    def finished_ids(self) -> set[str]:
        import pyarrow.parquet as pq
        ids = set()
        for part in self.parts():
            try:
                ids.update(pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist())
            except Exception as exc:  # noqa: BLE001
                raise SweepError(f"--out {self.out}: part file {part.name} cannot be read "
                                 f"({exc}); move it away and run again") from None
        return ids

    def drop_failed(self) -> int:
        """Remove the rows of failed runs (``error`` not empty) so they run again; returns how
        many. Each part holding one is atomically replaced by a copy without it (or removed),
        so at every moment the directory reads as a valid dataset with no run twice."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        dropped = 0
        for part in self.parts():
            table = pq.read_table(part)
            ok = pc.equal(table["error"], "")
            n_failed = len(table) - pc.sum(ok).as_py()
            if not n_failed:
                continue
            kept = table.filter(ok)
            if len(kept):
                write_file_atomically(part, lambda p, kept=kept: pq.write_table(kept, p))
            else:
                part.unlink()
                fsync_dir(self.out)
            dropped += n_failed
        return dropped

    def write_manifest(self, **info):
        from aicredit.models.report import MODEL_VERSION
        data = {"format": FORMAT, "name": self.spec.name, "spec": self.spec.to_dict(),
                "model_version": MODEL_VERSION, "settings": settings(self.spec),
                "schema": self._schema_desc(), **info,
                "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}
        text = json.dumps(data, indent=2, default=str) + "\n"
        write_file_atomically(self.out / MANIFEST, lambda p: p.write_text(text))

    def write_part(self, rows: list[dict]) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq
        existing = [int(p.name.split("-")[1]) for p in self.parts()]
        index = max(existing, default=-1) + 1
        path = self.out / f"part-{index:06d}-{secrets.token_hex(3)}.parquet"
        table = pa.Table.from_pylist(rows, schema=self.schema)
        write_file_atomically(path, lambda p: pq.write_table(table, p))
        self.written.update(r["run_id"] for r in rows)
        return path


def _show(value) -> str:
    """A setting in a message: lists joined by commas, tables as key=value."""
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    return str(value)


def load_sweep(path: str | Path):
    """The results of a sweep directory as a DataFrame.

    Parameters
    ----------
    path : str or path
        The ``out`` directory of :func:`run_sweep` (or ``aicredit sweep --out``).

    Returns
    -------
    pandas.DataFrame
        One row per finished run, sorted by parameters and seed (columns in
        ``docs/sweeps.md``); an empty frame with the sweep's columns when no run has finished.

    Raises
    ------
    SweepError
        ``path`` holds no sweep results.
    """
    import pandas as pd
    import pyarrow.parquet as pq
    path = Path(path)
    parts = sorted(path.glob("part-*.parquet"))
    if not parts:
        manifest = path / MANIFEST
        if not manifest.exists():
            raise SweepError(f"{path} holds no sweep results")
        cols = [c for c, _ in json.loads(manifest.read_text())["schema"]]
        return pd.DataFrame(columns=cols)
    df = pq.read_table(path).to_pandas()
    df = df.drop_duplicates("run_id", keep="first")
    order = [c for c in df.columns if c not in ("run_id", "error", "traceback", "duration_s")
             and not c.startswith("series:")]
    keys = order[:order.index("seed") + 1] if "seed" in order else []
    return df.sort_values(keys + ["run_id"], kind="stable").reset_index(drop=True)
