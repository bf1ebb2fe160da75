"""The package's shape (docs/architecture.md): dependencies point one way, no
import cycle, no module-global registry, small modules, no folder named build."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_quill"
# Lower layers never import higher ones; parts of one layer do not import each other.
LAYERS = [
    {"errors", "problems", "data", "secrets", "tables", "profile", "digest", "proc", "hooks", "typed_json"},
    {"formats"},
    {"engine"},
    {"kernel", "rootfs", "card", "bench", "report"},
    {"boot"},
    {"run"},
    {"plan"},
    {"gate_items"},
    {"mvp", "active_run"},
    {"plugin", "cli", "profile_doc"},
]
MAX_LINES = 300


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules NAME imports anywhere (lazy imports too), except for typing."""
    tree = ast.parse(path.read_text())
    skip = {
        id(node)
        for guard in ast.walk(tree)
        if isinstance(guard, ast.If) and "TYPE_CHECKING" in ast.unparse(guard.test)
        for node in ast.walk(guard)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.ImportFrom | ast.Import):
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
            continue
        base = node.module or ""
        if node.level:
            parent = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parent + ([node.module] if node.module else []))
        for alias in node.names:
            target = f"{base}.{alias.name}"
            found.add(target if target in known else base)
    return {target for target in found if target in known and target != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def layer(name: str) -> int:
    part = name.split(".")[1] if "." in name else ""
    for rank, parts in enumerate(LAYERS):
        if part in parts:
            return rank
    raise AssertionError(f"{name}: in no layer of LAYERS")


def test_no_import_cycle():
    edges = graph()
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                cycle = trail[trail.index(target) :] + [target] if target in trail else [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state and name != "pytest_quill":
            visit(name, [name])


def test_dependencies_point_one_way():
    wrong = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name != "pytest_quill"
        for target in targets
        if target != "pytest_quill"
        and (
            layer(target) > layer(name)
            or (0 < layer(target) == layer(name) and target.split(".")[1] != name.split(".")[1])
        )
    ]
    assert wrong == []


def test_no_module_global_registry():
    """No module-level dict or list that functions fill (state lives in a plan or a run)."""
    filled = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        globals_ = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in globals_
            ):
                filled.append(f"{name}: {node.value.id}[...] = ...")
    assert filled == []


def test_small_modules_and_no_folder_named_build():
    long = [
        f"{path.relative_to(PACKAGE)}: {n} lines"
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert long == []
    assert not [p for p in PACKAGE.rglob("build") if p.is_dir()]
