"""Atomic writes: a file or a directory is written under a hidden temporary name beside its
target and renamed into place, so that a reader (or a run killed at any moment) never sees a
half-written one.

The one implementation used by the sweep datasets (:mod:`aicredit.models.sweep.dataset`: part
files and the manifest), a run's output directory (:func:`aicredit.models.outdir.write_atomically`,
which adds the rules for replacing an earlier run) and the validation page
(:mod:`aicredit.models.validation.cli`). This module imports nothing from the project, so
every layer can use it.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["temp_path_beside", "fsync_dir", "write_file_atomically"]


def temp_path_beside(target: str | Path, tag: str) -> Path:
    """A hidden, unused name in ``target``'s directory: ``.NAME.TAG-RANDOM`` (a leftover of a
    killed writer is recognisable and safe to delete)."""
    target = Path(target)
    return target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}")


def fsync_dir(path: str | Path) -> None:
    """Flush a directory's entries (a rename in it) to disk, where the platform allows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_file_atomically(path: str | Path, write: Callable[[Path], object]) -> None:
    """Write the file ``path`` through ``write(tmp_path)`` (a hidden temporary file beside it),
    flush it to disk and rename it into place; on any failure the temporary file is removed
    and ``path`` is left as it was."""
    path = Path(path)
    tmp = temp_path_beside(path, "tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)
