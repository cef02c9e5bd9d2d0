"""aicredit: an agent-based model of how the financing of the AI build-out could unravel.

The installed namespace holds three packages, which the repository keeps as top-level folders
(``setup.py`` maps them): :mod:`aicredit.abm` (the engine: balance sheets, claims, agents,
markets, the compiled kernel), :mod:`aicredit.models` (the Mesa model, its scenarios and tools)
and :mod:`aicredit.visualization` (the SolaraViz app).
"""
from __future__ import annotations

from pathlib import Path as _Path

# A source checkout keeps abm/, models/ and visualization/ beside this folder, not inside it:
# searching the checkout too lets ``PYTHONPATH=<checkout>`` import that checkout's packages
# (after ``python setup.py build_ext --inplace``) rather than those of another install.
if not (_Path(__file__).parent / "abm").is_dir():
    __path__.append(str(_Path(__file__).resolve().parent.parent))
