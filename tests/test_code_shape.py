"""Functions a reader can hold in their head: none of the project's functions reaches 120 lines.

A long function is usually several steps that want names of their own (the sweep file's
validation is one function per table; the validation page one per section).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The folders whose Python code is held to the limit.
FOLDERS = ("aicredit", "abm", "models", "visualization", "scripts", "benchmarks", "tests")
MAX_LINES = 120


def long_functions(source: str, limit: int = MAX_LINES) -> list[tuple[str, int]]:
    """``(name, lines)`` of every function or method in ``source`` of ``limit`` lines or more."""
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 >= limit]


def test_no_function_reaches_120_lines():
    found = [f"{path.relative_to(ROOT)}: {name} ({n} lines)"
             for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))
             for name, n in long_functions(path.read_text())]
    assert not found, "split these: " + "; ".join(found)


def test_the_check_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    assert long_functions(f"def f():\n{body}\n") == [("f", MAX_LINES + 1)]
    assert long_functions("def g():\n    return 1\n") == []
