"""The engine (``abm/``) stands alone: it never imports the model layer (``models/``) or the app.

What the engine needs from a model is declared once, in :class:`abm.economy.Economy`; a
module of ``abm`` that reached into ``models`` would bring back the hidden service locator
this layering removed.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = sorted((ROOT / "abm").rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Top-level package names a Python file imports (absolute imports only)."""
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(_package(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(_package(node.module))
    return names


def _package(dotted: str) -> str:
    """The package a module belongs to: ``aicredit.models.x`` -> ``models``, ``numpy.y`` -> ``numpy``."""
    parts = dotted.split(".")
    return parts[1] if parts[0] == "aicredit" and len(parts) > 1 else parts[0]


def test_the_engine_has_modules():
    assert len(ENGINE) > 20


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_module_imports_no_model_layer(path):
    assert not imported_modules(path) & {"models", "visualization", "notebooks", "benchmarks"}


def test_the_check_sees_a_model_import(tmp_path):
    """The check itself can fail."""
    bad = tmp_path / "bad.py"
    bad.write_text("from aicredit.models.scenario import Scenario\n")
    assert "models" in imported_modules(bad)


def test_the_model_satisfies_the_economy_protocol(baseline0):
    """Every attribute and method :class:`abm.economy.Economy` declares exists on the model."""
    from aicredit.abm.economy import Economy
    declared = set(Economy.__annotations__) | {
        n for n, v in vars(Economy).items()
        if not n.startswith("_") and (callable(v) or isinstance(v, property))}
    assert {"p", "ledger", "outside"} <= declared
    missing = sorted(n for n in declared if not hasattr(baseline0, n))
    assert not missing, missing
