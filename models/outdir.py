"""Where a run's results go: an output directory that is never clobbered, mixed or half-written.

A run's results are written into a hidden temporary directory beside the target and renamed
into place at the end (:func:`write_atomically`), so a run killed at any moment leaves no
directory that looks complete (at most a hidden ``.NAME.partial-*`` directory beside it,
safe to delete). The target must be absent, an empty directory, or the results of an earlier
run (only with ``force``, and then replaced as a whole); :func:`check_out_dir` says so in one
line, and can be called before the simulation starts so that a mistake costs nothing.

An earlier run is recognised by its marker, the ``params.json`` it wrote last, which names
who wrote it (``written_by``) and every file it wrote: a directory holding anything else (a
sweep's dataset, a user's own files) is never replaced.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from aicredit.models.atomic import temp_path_beside
from aicredit.models.options import UsageError
from aicredit.models.sweep.common import LOCK, MANIFEST

__all__ = ["OutputDirError", "MARKER", "WRITTEN_BY", "check_out_dir", "run_files",
           "write_atomically"]

#: The file a run writes last: its parameters and provenance, and the marker of its results.
MARKER = "params.json"
#: The ``written_by`` value of a run's marker.
WRITTEN_BY = "aicredit run"
#: Files named in a message before "and N more".
_NAMED = 3


class OutputDirError(UsageError):
    """An output directory that cannot take a run's results (one line, exit code 2)."""


def _names(entries) -> str:
    entries = sorted(entries)
    more = f" and {len(entries) - _NAMED} more" if len(entries) > _NAMED else ""
    return ", ".join(entries[:_NAMED]) + more


def run_files(path: Path) -> set[str] | None:
    """The files an earlier run recorded it wrote to ``path`` (its marker included), or None
    when ``path`` holds no readable marker of a run."""
    try:
        record = json.loads((path / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("written_by") != WRITTEN_BY:
        return None
    files = record.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files) | {MARKER}


def _nearest_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists():
            return p
    return Path(path.anchor or ".")


def check_out_dir(out_dir, *, force: bool = False, name: str = "--out",
                  force_name: str = "--force") -> None:
    """Raise :class:`OutputDirError` unless ``out_dir`` can take a run's results.

    Accepted: a path that does not exist yet (its parent directories are created) whose
    nearest existing parent is a writable directory; an empty directory; an earlier run's
    results when ``force`` is set. ``name`` and ``force_name`` are how the message names
    the directory and the override (``--out`` and ``--force`` on the command line).
    """
    path = Path(out_dir)
    label = f"{name} {path}"
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise OutputDirError(f"{label} is a file, not a directory; give a new directory")
        try:
            entries = set(os.listdir(path))
        except OSError as exc:
            raise OutputDirError(f"{label} cannot be read ({exc.strerror})") from None
        if entries:
            sweep = entries & {MANIFEST, LOCK}
            if sweep:
                raise OutputDirError(f"{label} holds a sweep's results ({_names(sweep)}); "
                                     f"give a new or empty directory")
            ours = run_files(path)
            if ours is None:
                raise OutputDirError(f"{label} holds files that are not an aicredit run's "
                                     f"results ({_names(entries)}); give a new or empty directory")
            if entries - ours:
                raise OutputDirError(f"{label} holds an aicredit run's results and other files "
                                     f"({_names(entries - ours)}); give a new or empty directory")
            if not force:
                raise OutputDirError(f"{label} already holds an aicredit run's results; pass "
                                     f"{force_name} to replace them, or give another directory")
    parent = _nearest_existing(path.absolute().parent)
    if not parent.is_dir():
        raise OutputDirError(f"{label}: {parent} is a file, not a directory")
    try:                          # the real test (permissions, read-only file systems, quotas)
        os.rmdir(tempfile.mkdtemp(prefix=".aicredit-probe-", dir=parent))
    except OSError as exc:
        raise OutputDirError(f"{label}: cannot write in {parent} ({exc.strerror})") from None


def write_atomically(out_dir, write: Callable[[Path], object], *, force: bool = False,
                     name: str = "--out", force_name: str = "--force"):
    """Call ``write(tmp_dir)`` to write the results into a hidden temporary directory beside
    ``out_dir``, then rename it to ``out_dir`` (replacing an earlier run's results there when
    ``force``); returns what ``write`` returns.

    If ``write`` fails (or the run is interrupted) the temporary directory is removed and
    ``out_dir`` is left as it was. If ``out_dir`` stopped being acceptable while the results
    were computed (:func:`check_out_dir`), the results are kept in a new directory beside it
    and the error names it.
    """
    target = Path(out_dir).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_beside(target, "partial")
    tmp.mkdir()                   # as a plain mkdir would (the umask's permissions)
    try:
        result = write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        check_out_dir(out_dir, force=force, name=name, force_name=force_name)
    except OutputDirError as exc:
        kept = target.with_name(f"{target.name}-{secrets.token_hex(3)}")
        os.rename(tmp, kept)
        raise OutputDirError(f"{exc}; this run's results were written to {kept} instead") from None
    if target.exists():           # an empty directory, or an earlier run's results (checked)
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))      # keep the directory's permissions
        old = temp_path_beside(target, "old")
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(old, target)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, target)
    return result
