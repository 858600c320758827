"""The package's architecture, checked: the core shows its parts and imports no modality,
lower layers never import higher ones, nothing imports in a cycle, and every module named
in a string exists.

Every ``latentlib`` import of every module (at module level or inside a function,
absolute or relative) is read from the source with ``ast``, so a lazy import cannot hide
a wrong direction or a cycle.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "latentlib"
MODALITIES = ("images", "audio", "text")
#: the core's parts by layer: a module may import only modules of its own part (a lower
#: module of it, checked by the cycle test) or of a lower layer
LAYERS = {
    "validation": 0, "events": 0,
    "config": 1,
    "studies": 2,
    "data": 2,  # beside studies: neither imports the other
    "training": 3,
    "evaluation": 4,
    "book": 5,
    "cli": 7,
}
MODALITY_LAYER = 6
#: core modules a modality must not use: the book's machinery above the chapters
ABOVE_MODALITIES = ("book.runner", "book.report", "book.reproduce", "book.summary", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve_relative(name: str, node: ast.ImportFrom, is_package: bool) -> str:
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def latentlib_imports(path: Path) -> set[str]:
    """Modules under ``latentlib`` that ``path`` imports (dotted, without the prefix):
    absolute and relative imports, at module level or inside functions."""
    name = module_name(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = "latentlib." + _resolve_relative(name, node, path.name == "__init__.py")
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    modules = set()
    for full in found:
        if not full.startswith("latentlib."):
            continue
        dotted = full.removeprefix("latentlib.")
        # keep the longest prefix that is a module of the package (not a function in one)
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in MODULE_NAMES:
                modules.add(candidate)
                break
    return modules - {""}


MODULES = sorted(PACKAGE.rglob("*.py"))
MODULE_NAMES = {module_name(p) for p in MODULES}


def part_of(name: str) -> str:
    return name.split(".")[0]


def layer_of(name: str) -> int:
    head = part_of(name)
    return MODALITY_LAYER if head in MODALITIES else LAYERS[head]


def test_every_module_belongs_to_a_part():
    unknown = sorted(n for n in MODULE_NAMES if n and part_of(n) not in LAYERS and part_of(n) not in MODALITIES)
    assert not unknown, f"give these modules a part in LAYERS (and in latentlib/__init__.py): {unknown}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p) or "latentlib")
def test_imports_point_down(path):
    name = module_name(path)
    if not name:
        return
    own = part_of(name)
    wrong = []
    for imported in latentlib_imports(path):
        target = part_of(imported)
        if target == own:
            continue  # inside one part: the cycle test keeps it a tree
        if own in MODALITIES and target in MODALITIES:
            wrong.append(f"{imported} (modalities never import each other)")
        elif own not in MODALITIES and target in MODALITIES:
            wrong.append(f"{imported} (the core never imports a modality)")
        elif own in MODALITIES and imported.startswith(ABOVE_MODALITIES):
            wrong.append(f"{imported} (the book's machinery sits above the chapters)")
        elif own not in MODALITIES and layer_of(imported) >= layer_of(name):
            wrong.append(f"{imported} (layer {layer_of(imported)} >= {name}'s layer {layer_of(name)})")
    assert not wrong, f"{name} imports upward: {wrong}"


def _graph() -> dict[str, set[str]]:
    return {module_name(p): latentlib_imports(p) - {module_name(p)} for p in MODULES if module_name(p)}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (a list of modules, first = last), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_no_import_cycles():
    graph = {name: {t for t in targets if not (name.startswith(t + ".") and t in PACKAGE_NAMES)}
             for name, targets in _graph().items()}
    cycle = find_cycle(graph)
    assert not cycle, "import cycle (lazy imports included): " + " -> ".join(cycle)


PACKAGE_NAMES = {module_name(p) for p in MODULES if p.name == "__init__.py"}


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


STRING_MODULE = re.compile(r"^latentlib(\.[a-z_]+)+(:[A-Za-z_]+)?$")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p) or "latentlib")
def test_modules_named_in_strings_exist(path):
    """A "latentlib.x.y" or "latentlib.x.y:function" in a string must resolve."""
    missing = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and STRING_MODULE.match(node.value):
            module, _, attribute = node.value.partition(":")
            try:
                imported = importlib.import_module(module)
            except ImportError:
                missing.append(node.value)
                continue
            if attribute and not hasattr(imported, attribute):
                missing.append(node.value)
    assert not missing, f"{module_name(path)} names modules that do not exist: {missing}"


def test_the_layout_is_written_where_a_newcomer_reads_it():
    doc = (PACKAGE / "__init__.py").read_text()
    for name in sorted(MODULE_NAMES):
        if not name:
            continue
        word = name.split(".")[-1]
        assert re.search(rf"\b{re.escape(word)}\b", doc), f"latentlib/__init__.py does not describe {name!r}"
    for package in sorted(PACKAGE_NAMES - {""}):
        text = (PACKAGE / package.replace(".", "/") / "__init__.py").read_text()
        assert (ast.get_docstring(ast.parse(text)) or "").count(" ") >= 10, \
            f"latentlib/{package}/__init__.py needs a paragraph saying what the part holds"


def test_no_hand_kept_export_lists():
    offenders = [module_name(p) for p in MODULES if "__all__" in p.read_text()]
    assert not offenders, f"hand-kept __all__ lists drift; remove them: {offenders}"
