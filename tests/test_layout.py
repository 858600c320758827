"""The package's architecture, checked: lower layers never import higher ones.

The layers are written at the top of ``latentlib/__init__.py``. Every ``latentlib``
import of every module (at module level or inside a function) is read from the source
with ``ast``, so a lazy import cannot hide a wrong direction.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "latentlib"
MODALITIES = ("images", "audio", "text")

# core modules by layer: a module may import only modules of a lower layer
CORE_LAYERS = {
    "validation": 0, "events": 0,
    "config": 1, "sources": 1, "splits": 1, "metrics": 1, "probe": 1, "baselines": 1, "manifold": 1,
    "paper": 1, "plots": 1, "display": 0, "explorer": 1, "progress": 1, "precision": 1,
    "fit": 2, "evaluate": 2, "provenance": 2, "studies": 2, "datasets": 2, "pypi_files": 2,
    "autoencoder": 3, "results": 3, "tables": 3, "verdicts": 1, "plan": 3,
    # the modalities sit at layer 4, above every core module they build on
    "reproduce": 4, "executor": 4,
    "report": 5, "runner": 5, "sweep": 5,
    "cli": 6,
}
MODALITY_LAYER = 4


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def latentlib_imports(path: Path) -> set[str]:
    """Dotted names under ``latentlib`` that ``path`` imports (without the prefix)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.startswith("latentlib.") and name != "latentlib.__version__":
                found.add(name.removeprefix("latentlib."))
    return found


def layer_of(name: str) -> tuple[str, int] | None:
    """(package, layer) of an imported dotted name, or None for a name inside a module."""
    head = name.split(".")[0]
    if head in MODALITIES:
        return head, MODALITY_LAYER
    if head in CORE_LAYERS:
        return "core", CORE_LAYERS[head]
    return None


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_core_module_has_a_layer():
    core = {module_name(p) for p in MODULES if module_name(p).split(".")[0] not in MODALITIES}
    missing = sorted(core - set(CORE_LAYERS) - {""})
    assert not missing, f"give these core modules a layer in CORE_LAYERS (and in latentlib/__init__.py): {missing}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p) or "latentlib")
def test_imports_point_down(path):
    name = module_name(path)
    if not name:
        return
    head = name.split(".")[0]
    own_package, own_layer = ("core", CORE_LAYERS[head]) if head in CORE_LAYERS else (head, MODALITY_LAYER)
    wrong = []
    for imported in latentlib_imports(path):
        target = layer_of(imported)
        if target is None:
            continue
        package, layer = target
        if package == own_package and package != "core":
            continue  # a modality's modules use each other freely
        if package in MODALITIES and own_package in MODALITIES:
            wrong.append(f"{imported} (modalities never import each other)")
        elif layer >= own_layer:
            wrong.append(f"{imported} (layer {layer} >= {name}'s layer {own_layer})")
    assert not wrong, f"{name} imports upward: {wrong}"


def test_the_layout_is_written_where_a_newcomer_reads_it():
    doc = (PACKAGE / "__init__.py").read_text() + (PACKAGE.parent / "README.md").read_text()
    for name in [*CORE_LAYERS, *MODALITIES]:
        assert name in doc, f"neither latentlib/__init__.py nor the README's layout describes {name!r}"


def test_no_hand_kept_export_lists():
    offenders = [module_name(p) for p in MODULES if "__all__" in p.read_text()]
    assert not offenders, f"hand-kept __all__ lists drift; remove them: {offenders}"
