"""The house: wings with one-way imports, no circle, imports at the top, and a product that loads alone."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "polychromify"
WINGS = {"product": 0, "training": 1, "studies": 2, "book": 3, "cli": 4}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, modules) -> list[tuple[str, bool, int]]:
    """(imported package module, inside a function, line) for every import of the package's own modules."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    inner = {id(node) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        out += [(t, id(node) in inner, node.lineno) for t in targets if t.split(".")[0] == "polychromify"]
    return out


def _wing(module: str) -> int:
    parts = module.split(".")
    return WINGS.get(parts[1], 0) if len(parts) > 1 else 0


def test_imports_go_one_way_and_form_no_circle():
    modules = _modules()
    graph = {name: {t for t, _, _ in _imports(name, path, modules) if t in modules and t != name}
             for name, path in modules.items()}
    upward = [f"{a} -> {b}" for a, targets in graph.items() for b in targets if _wing(b) > _wing(a)]
    assert not upward, upward
    seen, stack = set(), []

    def visit(node):  # depth-first: a node met again on the current path closes a circle
        if node in stack:
            raise AssertionError("import circle: " + " -> ".join(stack[stack.index(node):] + [node]))
        if node in seen:
            return
        stack.append(node)
        for target in sorted(graph[node]):
            visit(target)
        stack.pop()
        seen.add(node)

    for name in sorted(graph):
        visit(name)


def test_own_imports_sit_at_the_top_and_none_is_hidden():
    modules = _modules()
    inner = [f"{name}:{line} {t}" for name, path in modules.items()
             for t, in_function, line in _imports(name, path, modules) if in_function]
    assert len(inner) < 20, inner
    hidden = [name for name, path in modules.items()
              if "importlib.import_module" in path.read_text() or "__import__(" in path.read_text()]
    assert not hidden, hidden


def test_a_wrong_import_is_caught(tmp_path):
    """The checks above can fail: an upward import in a product module is an upward edge."""
    path = tmp_path / "colorize.py"
    path.write_text("from polychromify.training import runner\n\ndef f():\n    from polychromify.book import figures\n")
    found = _imports("polychromify.product.colorize", path, _modules())
    assert ("polychromify.training.runner", False, 1) in found and ("polychromify.book.figures", True, 4) in found
    assert _wing("polychromify.training.runner") > _wing("polychromify.product.colorize")


@pytest.mark.parametrize("code", [
    "from polychromify import colorize",
    "import numpy as np\nfrom polychromify import colorize\ncolorize(np.full((20, 30, 3), 120, np.uint8))",
])
def test_colorize_loads_the_product_wing_only(code):
    script = (f"import sys\n{code}\n"
              "print(sorted(m for m in sys.modules if m.startswith('polychromify.')"
              " and m.split('.')[1] in ('training', 'studies', 'book', 'cli')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
