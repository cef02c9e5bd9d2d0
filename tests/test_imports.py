"""The project's modules import each other through public names only, and without cycles.

The import graph is read from the source with :mod:`ast` (every ``import``, also those inside
functions, which run later but still tie the modules together), except those under
``if TYPE_CHECKING:``: they are never executed and only name types for annotations, so a
protocol and the classes it names (``abm.economy`` and the agents) may refer to each other.
A private name (one leading
underscore) belongs to its module: importing it from another module (``from m import _x``, or
``m._x`` on an imported module) is an error; a package's private submodules
(``abm.markets.fire_sale_kernel._reference``) are modules of their own and may be imported.

At the level of packages (each module counted in the deepest package that holds it), imports
point one way, ``visualization`` -> ``models`` -> ``abm`` (:data:`LAYERS`), and no two
packages of which neither holds the other import each other, directly or round a cycle.
``python tests/test_imports.py`` prints the findings.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Packages whose import graph must have no cycle.
PACKAGES = ("abm", "models", "visualization")
#: The layers, top first: a package may import the packages below it, never those above.
LAYERS = ("visualization", "models", "abm")
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


def package_of(module: str) -> str:
    """The package a module belongs to: the deepest folder with an ``__init__.py`` that holds it
    (a package's ``__init__`` belongs to the package itself)."""
    parts = module.split(".")
    for n in range(len(parts), 1, -1):
        if (ROOT.joinpath(*parts[1:n]) / "__init__.py").exists():
            return ".".join(parts[:n])
    return ".".join(parts[:2])


def package_edges(edges: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """The import graph collapsed to packages: ``{package: {imported package: [module edges]}}``
    (imports within one package left out), each edge with the module imports behind it."""
    out: dict[str, dict[str, list[str]]] = {}
    for mod, targets in edges.items():
        a = package_of(mod)
        for t in sorted(targets):
            b = package_of(t)
            if a != b:
                out.setdefault(a, {}).setdefault(b, []).append(f"{mod} -> {t}")
    return out


def layer_violations(pkg_edges) -> list[str]:
    """Imports that point up the layers: ``abm`` imports neither ``models`` nor
    ``visualization``, and ``models`` does not import ``visualization`` (LAYERS)."""
    rank = {f"{NAMESPACE}.{name}": i for i, name in enumerate(LAYERS)}
    found = []
    for a, targets in sorted(pkg_edges.items()):
        for b, why in sorted(targets.items()):
            top_a, top_b = ".".join(a.split(".")[:2]), ".".join(b.split(".")[:2])
            if top_a in rank and top_b in rank and rank[top_b] < rank[top_a]:
                found.append(f"{top_a} imports {top_b}: {'; '.join(why)}")
    return found


def _nested(a: str, b: str) -> bool:
    """One package is the other or holds it (``aicredit.abm`` and ``aicredit.abm.markets``)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def package_cycles(pkg_edges) -> list[list[str]]:
    """Cycles among packages that do not hold one another: between the top-level packages and
    between subpackages (``abm.agents`` and ``abm.markets``, ``models.calibration`` and
    ``models.sweep``, or a subpackage of one top-level package and another). A subpackage
    and its parent's own modules are one layer (the parent's stages use the subpackage, and
    the subpackage uses the parent's books and units), so imports between them are left out."""
    graph = {a: {b for b in targets if not _nested(a, b)} for a, targets in pkg_edges.items()}
    return cycles(graph)


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


def test_layers_point_one_way():
    """``visualization`` -> ``models`` -> ``abm``: never the other way (the run report draws the
    chart catalogue of ``models.charts``, not the app's)."""
    found = layer_violations(package_edges(scan()[0]))
    assert not found, "\n".join(found)


def test_no_package_level_cycles():
    found = package_cycles(package_edges(scan()[0]))
    assert not found, "package cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_package_checks_can_fail():
    """An import up the layers and a cycle between sibling subpackages are both reported."""
    up = {"aicredit.models.report": {"aicredit.visualization.figures"},
          "aicredit.abm.default": {"aicredit.models.scenario"}}
    found = layer_violations(package_edges(up))
    assert len(found) == 2
    assert found[0].startswith("aicredit.abm imports aicredit.models: aicredit.abm.default ->")
    assert found[1].startswith("aicredit.models imports aicredit.visualization")
    siblings = {"aicredit.abm.agents.saver": {"aicredit.abm.markets.index_pool"},
                "aicredit.abm.markets.index_pool": {"aicredit.abm.agents.base"}}
    assert package_cycles(package_edges(siblings)) == [["aicredit.abm.agents", "aicredit.abm.markets"]]
    across = {"aicredit.models.calibration.savers": {"aicredit.models.sweep.common"},
              "aicredit.models.sweep.runs": {"aicredit.models.calibration"}}
    assert package_cycles(package_edges(across)) == [["aicredit.models.calibration",
                                                      "aicredit.models.sweep"]]
    # a subpackage and its parent's modules are one layer: not a cycle
    nested = {"aicredit.abm.markets.fire_sale": {"aicredit.abm.gpu_lending"},
              "aicredit.abm.gpu_lending": {"aicredit.abm.markets.gpu"}}
    assert package_cycles(package_edges(nested)) == []
    assert package_of("aicredit.abm.markets.fire_sale_kernel._reference") == \
        "aicredit.abm.markets.fire_sale_kernel"
    assert package_of("aicredit.models") == "aicredit.models"


def _app_modules_after(commands: list[list[str]]) -> list[list[str]]:
    """In one fresh process, run each command line in turn; after each, the modules of
    ``aicredit.visualization`` loaded so far."""
    code = ("import sys\nfrom aicredit.models.cli import main\n"
            f"for argv in {commands!r}:\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "    print('LOADED', sorted(m for m in sys.modules if m.startswith('aicredit.visualization')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return [ast.literal_eval(line.removeprefix("LOADED ")) for line in out.stdout.splitlines()
            if line.startswith("LOADED ")]


def test_the_command_line_loads_the_app_only_for_aicredit_viz():
    """``models.cli`` names ``aicredit.visualization.server`` as a string (the one way the model
    layer reaches the app): imported for ``aicredit viz`` and for no other command (the other
    commands run first in the same process, so the app is loaded by none of them)."""
    others = [["scenarios"], ["--help"], ["vizz"]]
    *before, after = _app_modules_after(others + [["viz", "--port", "0"]])
    assert before == [[]] * len(others), before
    assert "aicredit.visualization.server" in after


if __name__ == "__main__":
    edges, problems = scan()
    for p in problems:
        print(p)
    for c in cycles(edges):
        print("cycle:", " <-> ".join(c))
    pkg = package_edges(edges)
    for line in layer_violations(pkg):
        print("layer:", line)
    for c in package_cycles(pkg):
        print("package cycle:", " <-> ".join(c))
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports, {len(problems)} "
          "private imports")
