#!/bin/sh
# Install everything the test suite needs, lint, and run every test: the README's test command.
#  - the package with its test extras (pytest, pytest-xdist, ruff, hypothesis, playwright, solara,
#    dask, SALib, nbclient)
#  - Debian's Chromium for the real-browser test (Playwright's own browser download does not
#    work on machines without internet access; it drives /usr/bin/chromium instead)
set -eu
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
    else
        echo "scripts/test.sh: install Chromium (the browser test drives /usr/bin/chromium)" >&2
    fi
fi
python -m pip install -q -e ".[test]"
# lint first (configured in pyproject.toml): a lint error fails the script, and CI, before any test
python -m ruff check .
# the type checker on the engine (configured in pyproject.toml; the script maps abm/ to aicredit.abm)
python scripts/typecheck.py
# every test, slow ones included, on two pytest-xdist workers (pyproject.toml's `--dist loadgroup`
# keeps the tests that bind ports or start process pools apart; tests/conftest.py). The quick
# loop is `python -m pytest -n 2 -m "not slow"`; `sh scripts/test.sh -n 0` runs in one process.
exec python -m pytest -n 2 "$@"
