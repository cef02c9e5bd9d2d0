"""The engine's declared types agree with what the model layer gives it at run time.

The type checker (``scripts/typecheck.py``) reads only ``abm/``: it trusts
:class:`abm.parameters.Parameters` to describe the scenario and :data:`abm.claims.KIND_CLASSES`
to describe the claims of a kind, and it can check only what is annotated. These tests hold
those declarations to :class:`models.scenario.Scenario` and to a calibrated economy, and
check that every engine function that takes the economy is annotated ``Economy``.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

from aicredit.abm.claims import KIND_CLASSES
from aicredit.abm.parameters import Parameters
from aicredit.models.scenario import Scenario

ENGINE = Path(__file__).resolve().parents[1] / "abm"


def declared(protocol: type) -> dict[str, str]:
    """The read-only members a protocol declares, name -> return annotation (as written)."""
    return {name: value.fget.__annotations__["return"] for name, value in vars(protocol).items()
            if isinstance(value, property)}


def provided(cls: type) -> dict[str, str]:
    """A class's fields and properties, name -> annotation (as written)."""
    types = {f.name: f.type for f in dataclasses.fields(cls)}
    for name, value in vars(cls).items():
        if isinstance(value, property):
            types[name] = value.fget.__annotations__.get("return", "")
    return types


def mismatches(protocol: type, cls: type) -> list[str]:
    """Members of ``protocol`` that ``cls`` lacks or types differently, one line each."""
    have = provided(cls)
    return [f"{name}: declared {want}, " + (f"is {have[name]}" if name in have else "missing")
            for name, want in declared(protocol).items() if have.get(name) != want]


def engine_source() -> str:
    return "\n".join(p.read_text() for p in sorted(ENGINE.rglob("*.py")))


def test_the_scenario_has_every_declared_parameter_with_its_type():
    assert len(declared(Parameters)) > 100
    assert not mismatches(Parameters, Scenario)


def test_the_check_sees_a_missing_or_mistyped_parameter():
    """The check itself can fail."""
    @dataclasses.dataclass(frozen=True)
    class Short:
        steps: int = 72

    @dataclasses.dataclass(frozen=True)
    class Mistyped:
        c9_spvs: int = 1

    assert any(m.startswith("c9_spvs: declared bool, missing") for m in mismatches(Parameters, Short))
    assert "c9_spvs: declared bool, is int" in mismatches(Parameters, Mistyped)


def test_every_parameter_the_engine_reads_is_declared():
    """``economy.p.x``, ``self.model.p.x``, ``self.p.x``: each name is a member of Parameters
    (the type checker catches the rest, read through a local ``p = economy.p``)."""
    read = set(re.findall(r"\.p\.([a-z_][a-z_0-9]*)", engine_source()))
    assert len(read) > 20
    assert not sorted(read - set(declared(Parameters)))


def test_every_declared_parameter_is_read_by_the_engine():
    """No stale member: each is read as ``p.<name>`` somewhere in abm/ (outside its declaration)."""
    source = engine_source().replace((ENGINE / "parameters.py").read_text(), "")
    unread = [name for name in declared(Parameters) if not re.search(rf"\bp\.{name}\b", source)]
    assert not unread


def untyped_economies(source: str, where: str = "") -> list[str]:
    """Parameters called ``economy`` (or, in agents, Mesa's ``model``) not annotated ``Economy``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for a in node.args.args + node.args.kwonlyargs:
                if a.arg in ("economy", "model") and (a.annotation is None
                                                      or ast.unparse(a.annotation) != "Economy"):
                    found.append(f"{where}:{node.lineno} {node.name}({a.arg})")
    return found


def test_every_engine_function_that_takes_the_economy_is_typed():
    """So that the type checker sees what each stage does with it (an untyped one is Any)."""
    found = [f for path in sorted(ENGINE.rglob("*.py"))
             for f in untyped_economies(path.read_text(), str(path.relative_to(ENGINE.parent)))]
    assert not found


def test_the_check_sees_an_untyped_economy():
    """The check itself can fail."""
    source = "def a(economy): ...\ndef b(economy: Economy): ...\ndef c(x, model=None): ...\n"
    assert untyped_economies(source) == [":1 a(economy)", ":3 c(model)"]


def test_claims_of_a_declared_kind_are_of_its_class(baseline0):
    """What ``ClaimBook.held``/``issued`` promise the type checker, on the calibrated economy."""
    seen = {kind: 0 for kind in KIND_CLASSES}
    for c in baseline0.claims.all:
        if c.kind in KIND_CLASSES:
            assert isinstance(c, KIND_CLASSES[c.kind]), (c.kind, type(c).__name__)
            seen[c.kind] += 1
    assert all(seen.values()), seen
