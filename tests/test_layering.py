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


#: Every market of the economy (``abm/markets/``): its attribute on the model and its class.
MARKETS = {"gpu_market": "GPUMarket", "equity_market": "EquityMarket", "loan_market": "LoanMarket",
           "index_pool": "IndexPool"}


def created_in_init(path: Path) -> dict[str, str]:
    """``{attribute: class}`` for each ``self.<attribute> = <Class>(...)`` in ``__init__``."""
    tree = ast.parse(path.read_text(), str(path))
    init = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    return {t.attr: n.value.func.id for n in ast.walk(init) if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Name)
            for t in n.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            and t.value.id == "self"}


def test_every_market_lives_in_markets_is_declared_and_created_by_the_model(tmp_path):
    """Each market's class is in ``abm/markets/``, its attribute is declared on
    :class:`abm.economy.Economy` and the model's ``__init__`` creates it (not the calibration)."""
    from aicredit.abm.economy import Economy
    declared = {k: str(Economy.__annotations__.get(k)).rsplit(".", 1)[-1] for k in MARKETS}
    assert declared == MARKETS
    created = created_in_init(ROOT / "models" / "model.py")
    assert {k: created.get(k) for k in MARKETS} == MARKETS
    defined = {n.name for f in (ROOT / "abm" / "markets").glob("*.py")
               for n in ast.walk(ast.parse(f.read_text())) if isinstance(n, ast.ClassDef)}
    assert set(MARKETS.values()) <= defined
    # the check itself can fail: a market made elsewhere is not seen as created in __init__
    other = tmp_path / "m.py"
    other.write_text("class M:\n    def __init__(self):\n        self.x = 1\n\n"
                     "def build(model):\n    model.loan_market = LoanMarket(0.1, 0.5, 0.5)\n")
    assert created_in_init(other) == {}
