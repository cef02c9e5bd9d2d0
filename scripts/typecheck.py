"""Type-check the engine (``abm/``) with mypy, under the module names it is installed as.

``setup.py`` installs the folder ``abm/`` as the package ``aicredit.abm`` (``package_dir``), and
every import in the engine is absolute (``from aicredit.abm.claims import ClaimBook``). mypy
names a file's module after its folders (``abm/claims.py`` is ``abm.claims``) and has no option
like ``package_dir``, so ``python -m mypy`` alone reports every such import as missing. This
script runs mypy with its configuration (``[tool.mypy]`` in ``pyproject.toml``: which files,
which checks) and names each module as installed (``abm.claims`` -> ``aicredit.abm.claims``).
Errors name the files as they are in the repository (``abm/claims.py:12: error: ...``).

Usage, from anywhere: ``python scripts/typecheck.py [mypy options]``; exit status 1 if mypy
reports an error (``scripts/test.sh`` runs it after ruff).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource
from mypy.version import __version__ as MYPY_VERSION

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "aicredit"          # setup.py's package_dir: abm/ -> aicredit.abm


def installed_name(source: BuildSource) -> BuildSource:
    """The same file under its installed module name (``abm.x`` -> ``aicredit.abm.x``)."""
    return BuildSource(source.path, f"{PACKAGE}.{source.module}", source.text, source.base_dir)


def main(argv: list[str]) -> int:
    """Run mypy on the configured files; print its messages and a summary; 1 if any error."""
    os.chdir(ROOT)                      # the configured paths (``files``) are relative to it
    sources, options = process_options(argv)
    sources = [installed_name(s) for s in sources]
    sources.append(BuildSource(f"{PACKAGE}/__init__.py", PACKAGE))
    try:
        messages = build.build(sources, options).errors
    except CompileError as exc:         # a blocking error (syntax, bad configuration)
        messages = exc.messages
    for line in messages:
        print(line)
    errors = sum(": error:" in line for line in messages)
    files = len({line.split(":", 1)[0] for line in messages if ": error:" in line})
    if errors:
        print(f"mypy {MYPY_VERSION}: found {errors} errors in {files} files "
              f"(checked {len(sources)} source files)")
        return 1
    print(f"mypy {MYPY_VERSION}: no issues found in {len(sources)} source files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
