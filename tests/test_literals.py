"""Every number that drives behaviour is a documented scenario parameter (docs/parameters.md).

Behaviour code of the agents (``abm/agents``), the equity, ABS and index-pool markets and the
calibration (``models/calibration``) may use numeric literals only from a small allow-list: 0
and 1 (identities, empty sums, shares and complements), -1 (last element, "none" sentinels)
and 2 (halves: the two tranches of an SPV's ABS). Any other number must be a field of
:class:`models.scenario.Scenario` or a named module-level constant with a comment saying
what it is and where it comes from (``NAME = 3  # ...`` or a ``#`` comment just above).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {0, 1, -1, 2}
FILES = sorted([*ROOT.glob("abm/agents/*.py"),
                *(ROOT / "abm" / "markets" / f for f in ("equity.py", "loan_market.py", "index_pool.py")),
                *(ROOT / "abm" / f for f in ("placements.py", "naic.py")),
                *ROOT.glob("models/calibration/*.py")])


def _is_numeric_expr(node) -> bool:
    """A literal number, or arithmetic / a tuple of them (``0.065 / 12``, ``0.9, 0.6``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _is_numeric_expr(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_numeric_expr(node.left) and _is_numeric_expr(node.right)
    if isinstance(node, ast.Tuple):
        return all(_is_numeric_expr(e) for e in node.elts)
    return False


def _documented(lines: list[str], node) -> bool:
    """A comment on the assignment's line or on the line just above it."""
    here = lines[node.lineno - 1]
    above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
    return "#" in here or above.startswith("#")


def _literals(path: Path) -> list[tuple[int, object]]:
    """Numeric literals outside allowed places: ``(line, value)``."""
    source = path.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    skip: set[int] = set()
    bad = []
    for node in tree.body:                       # documented module-level constants
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None \
                and _is_numeric_expr(node.value):
            if _documented(lines, node):
                skip.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.Constant):
            continue
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if v not in ALLOWED:
            bad.append((node.lineno, v))
    return bad


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_unnamed_numbers_in_behaviour_code(path):
    bad = _literals(path)
    assert not bad, (f"{path.relative_to(ROOT)}: numeric literals {bad} (line, value): make each "
                     f"a Scenario field (models/scenario.py) or a documented module-level constant")


def test_the_check_finds_a_literal(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("# rate\nRATE = 0.04 / 12\n\ndef f(x):\n    return 0.3 * x + RATE\n")
    assert _literals(f) == [(5, 0.3)]
