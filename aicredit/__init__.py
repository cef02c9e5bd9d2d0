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

#: The public surface, ``{name: module}``: ``import aicredit`` stays light (nothing of the
#: model is imported until a name is first used, so ``import aicredit.abm`` in a sweep's
#: worker does not load Mesa or the sweep machinery), and ``docs/api.md`` is written from the
#: docstrings of these names (``python -m aicredit.models.apidoc``).
_PUBLIC = {
    "AIEconomyModel": "aicredit.models.model",
    "load_scenario": "aicredit.models.scenario",
    "scenario_names": "aicredit.models.scenario",
    "ScenarioError": "aicredit.models.scenario",
    "run": "aicredit.models.api",
    "summary": "aicredit.models.report",
    "run_sweep": "aicredit.models.sweep",
    "load_sweep": "aicredit.models.sweep",
    "__version__": "aicredit.models.version",
}

__all__ = [name for name in _PUBLIC if name != "__version__"]


def __getattr__(name: str):
    """Import a public name on first use (PEP 562) and keep it in the package namespace."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'aicredit' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
