"""The project's modules import each other through public names only, and without cycles.

The import graph is read from the source with :mod:`ast` (every ``import``, also those inside
functions, which run later but still tie the modules together), except those under
``if TYPE_CHECKING:``: they are never executed and only name types for annotations, so a
protocol and the classes it names (``abm.economy`` and the agents) may refer to each other.
A private name (one leading
underscore) belongs to its module: importing it from another module (``from m import _x``, or
``m._x`` on an imported module) is an error; a package's private submodules
(``abm.market._reference``) are modules of their own and may be imported. ``python
tests/test_imports.py`` prints the findings.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Packages whose import graph must have no cycle.
PACKAGES = ("abm", "models", "visualization")
#: The installed namespace the packages live in (setup.py maps each folder into it).
NAMESPACE = "aicredit"
#: Where no private name of those packages may be imported from another module.
CLIENTS = ("benchmarks", "notebooks")


def _modules(dirs) -> dict[str, Path]:
    """``{dotted name: path}`` of the .py files under ``dirs`` (folders of ROOT)."""
    out = {}
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([NAMESPACE, *parts])] = path
    return out


def _is_module(dotted: str) -> bool:
    """A module or package of the project (a .py file, a package or a compiled extension)."""
    parts = dotted.split(".")
    if parts[0] != NAMESPACE:
        return False
    path = ROOT.joinpath(*parts[1:])
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists() or \
        any(path.parent.glob(path.name + ".*.so")) or any(path.parent.glob(path.name + ".*.pyd"))


def _type_checking_only(tree: ast.AST) -> set[int]:
    """``id`` of every node under ``if TYPE_CHECKING:`` (or ``if typing.TYPE_CHECKING:``)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            inside.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return inside


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def scan() -> tuple[dict[str, set[str]], list[str]]:
    """The import graph among PACKAGES and every private import, as readable strings."""
    project = _modules(PACKAGES)
    edges: dict[str, set[str]] = {m: set() for m in project}
    problems = []
    for mod, path in {**project, **_modules(CLIENTS)}.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        typing_only = _type_checking_only(tree)     # imports for annotations: not edges
        is_pkg = path.name == "__init__.py"
        aliases: dict[str, str] = {}                 # local name -> project module it binds
        where = f"{path.relative_to(ROOT)}"

        def target(dotted):
            while dotted and dotted not in project:
                dotted = dotted.rpartition(".")[0]
            return dotted

        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] != NAMESPACE:
                        continue
                    t = target(a.name)
                    if t and t != mod and mod in edges and id(node) not in typing_only:
                        edges[mod].add(t)
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else \
                        a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    src = ".".join(base + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                if src.split(".")[0] != NAMESPACE:
                    continue
                for a in node.names:
                    sub = f"{src}.{a.name}"
                    if _is_module(sub):
                        t = target(sub)
                        aliases[a.asname or a.name] = sub
                    else:
                        t = target(src)
                        if _private(a.name) and src != mod:
                            problems.append(f"{where}:{node.lineno}: imports private name "
                                            f"{a.name} from {src}")
                    if t and t != mod and mod in edges and id(node) not in typing_only:
                        edges[mod].add(t)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and _private(node.attr)
                    and not _is_module(f"{aliases[node.value.id]}.{node.attr}")
                    and aliases[node.value.id] != mod):
                problems.append(f"{where}:{node.lineno}: uses private name {node.attr} of "
                                f"{aliases[node.value.id]}")
    return edges, problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_private_name_is_imported_across_modules():
    _, problems = scan()
    assert not problems, "\n".join(problems)


def test_no_import_cycles():
    edges, _ = scan()
    found = cycles(edges)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_cycle_check_and_the_sweep_package_layers():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    guarded = ast.parse("from typing import TYPE_CHECKING\nimport x\nif TYPE_CHECKING:\n    import y\n")
    assert [n.names[0].name for n in ast.walk(guarded) if isinstance(n, ast.Import)
            and id(n) in _type_checking_only(guarded)] == ["y"]
    edges, _ = scan()
    assert "aicredit.models.sweep.common" in edges["aicredit.models.sweep.spec"]
    sweep = [m for m in edges if m.startswith("aicredit.models.sweep")]
    assert edges["aicredit.models.sweep.common"].isdisjoint(sweep)


if __name__ == "__main__":
    edges, problems = scan()
    for p in problems:
        print(p)
    for c in cycles(edges):
        print("cycle:", " <-> ".join(c))
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports, {len(problems)} "
          "private imports")
