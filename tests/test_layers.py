"""The package's import graph: stages import only downwards, no cycles, no private names across modules.

The stages follow the data's way (README, "How it is built"):
core -> tables -> sources -> fetch -> places -> build -> metrics -> figures -> reports -> cli.
A module may import from its own stage and the stages before it, never from a later one.  An
``analysis`` import sits at module level, so a reader sees the dependencies at the top of the file, except
in the few modules of DEFERRED, where a measured start-up cost is deferred to the function that needs it
(the graph checks below see those imports too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "analysis"

# Stage of each top-level name in the package (a module or a subpackage), in the data's order.
STAGES = [
    ("core", {"config", "errors", "storage", "escaping", "private", "hooks", "progress", "threads", "wording", "fingerprint",
              "countries", "gazetteer_files", "cluster"}),
    ("tables", {"tables"}),
    ("sources", {"sources"}),
    ("fetch", {"fetch"}),
    ("places", {"places"}),
    ("build", {"build"}),
    ("metrics", {"metrics"}),
    ("figures", {"figures", "plots", "styles"}),
    ("reports", {"reports"}),
    ("cli", {"cli", "api", "project", "__main__", "__init__"}),
]
# Modules allowed to import parts of the package inside functions, and why (each defers pandas, pandera,
# matplotlib or jupyter to the call that needs them).
DEFERRED = {
    "analysis.cli": "each command loads its stage when it runs: --help and usage errors answer without pandas",
    "analysis.build": "the pipeline (pandas, pyarrow) loads only when a build is needed: a no-op build stays fast",
    "analysis.reports": "the package's __init__ stays light: importing reports.parameters loads no pandas",
    "analysis.reports.parameters": "checks of a value's form run without pandas; data checks load the data",
    "analysis.reports.reporting": "matplotlib loads only when a report saves a figure",
}
RANK = {name: rank for rank, (_, names) in enumerate(STAGES) for name in names}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, known: set[str]):
    """(imported module, imported name or None, line, inside a function) for every analysis import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(fn) if n is not fn)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "analysis":
                    yield alias.name, None, node.lineno, id(node) in inside
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path, node)
            if target.split(".")[0] != "analysis":
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in known:  # `from analysis import storage`: a module
                    yield full, None, node.lineno, id(node) in inside
                else:
                    yield target, alias.name, node.lineno, id(node) in inside


GRAPH = {m: list(_imports(m, p, set(_modules()))) for m, p in _modules().items()}


def test_the_stage_map_covers_every_module():
    unknown = sorted({_stage(m) for m in GRAPH} - set(RANK))
    assert not unknown, f"modules outside every stage (add them to STAGES and the README): {unknown}"


def test_stages_import_only_downwards():
    upward = [f"{m}:{line} imports {target} ({_stage(target)} comes after {_stage(m)})"
              for m, edges in GRAPH.items() for target, _, line, _ in edges
              if RANK.get(_stage(target), -1) > RANK.get(_stage(m), -1)]
    assert not upward, "\n".join(upward)


def test_no_private_name_crosses_a_module():
    private = [f"{m}:{line} imports {target}.{name}" for m, edges in GRAPH.items()
               for target, name, line, _ in edges if name and name.startswith("_") and target != m]
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = {a.asname or a.name.split(".")[-1] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                 and (n.level or (n.module or "").startswith("analysis")) for a in n.names}
        bound |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
                  if a.name.startswith("analysis")}
        private += [f"{module}:{n.lineno} uses {n.value.id}.{n.attr}" for n in ast.walk(tree)
                    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in bound
                    and n.attr.startswith("_") and not n.attr.startswith("__")]
    assert not private, "\n".join(private)


def test_analysis_imports_sit_at_module_level():
    hidden = [f"{m}:{line} imports {target} inside a function" for m, edges in GRAPH.items()
              for target, _, line, inner in edges if inner and m not in DEFERRED]
    assert not hidden, "\n".join(hidden)


def test_no_import_cycles():
    modules = set(GRAPH)

    def owner(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    edges = {m: {o for t, _, _, _ in GRAPH[m] if (o := owner(t)) and o != m and not m.startswith(o + ".")}
             for m in GRAPH}
    # a package's __init__ re-exporting its own modules is not a cycle
    edges = {m: {o for o in out if not (o.startswith(m + ".") and m.count(".") >= 1)} for m, out in edges.items()}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for o in sorted(edges[m]):
            if state.get(o) == 1:
                cycles.append(" -> ".join(stack[stack.index(o):] + [o]))
            elif not state.get(o):
                visit(o)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if not state.get(m):
            visit(m)
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("module", sorted(_modules()))
def test_modules_stay_small(module):
    lines = len(_modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= 600, f"{module} has {lines} lines: split it"


def test_the_readme_shows_every_stage_and_module():
    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    diagram = readme.split("## How it is built", 1)[1].split("```", 2)[1]
    missing = [m for m in GRAPH if m.split(".")[-1] not in diagram and not m.endswith(("__main__", "sources", "places",
               "figures", "tables", "build", "metrics", "reports")) and m != "analysis" and m != "analysis.plots"]
    assert not missing, f"modules missing from README 'How it is built': {missing}"
