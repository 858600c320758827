"""A chapter is stale when its notebook *or the library code it imports* changes, and
the reference build is never written from uncommitted code."""

from __future__ import annotations

import importlib
import sys

import pytest

from latentlib.book.provenance import imported_library_modules, library_digest


@pytest.fixture
def fakelib(tmp_path, monkeypatch):
    package = tmp_path / "fakelib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("from fakelib.layers import dense\n\nWIDTH = 8\n")
    (package / "layers.py").write_text("def dense():\n    return 1\n")
    (package / "unused.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield package
    for name in [n for n in sys.modules if n.startswith("fakelib")]:
        sys.modules.pop(name)


def test_imports_are_followed_through_the_library(fakelib):
    cells = ["%pip install something\nimport numpy\nfrom fakelib.models import WIDTH"]
    modules = imported_library_modules(cells, package="fakelib")
    assert modules == ["fakelib.layers", "fakelib.models"]


def test_the_digest_changes_when_an_imported_module_changes(fakelib):
    cells = ["from fakelib.models import WIDTH"]
    before = library_digest(imported_library_modules(cells, package="fakelib"))
    (fakelib / "unused.py").write_text("X = 2\n")  # not imported: the chapter is not stale
    assert library_digest(imported_library_modules(cells, package="fakelib")) == before
    (fakelib / "layers.py").write_text("def dense():\n    return 2  # a changed layer\n")
    assert library_digest(imported_library_modules(cells, package="fakelib")) != before


LAYERS = '''"""Layers."""

import math  # for the scale


def dense(width=2):
    """A dense layer."""
    scale = math.sqrt(width)  # not learned
    return scale


class Block:
    """A block."""

    depth = 2
    """How deep it is."""
'''

DOCUMENTATION_EDITS = [  # docstrings, comments and layout: the code that runs is the same
    ("Layers.", "The layers of the fake model,\nin two lines."),
    ('"""A dense layer."""', "# dense"),
    ("# not learned", "# fixed, never learned"),
    ('"""A block."""', "'A block of layers.'"),
    ('"""How deep it is."""', '"""Its depth."""'),
    ("\n\n\ndef dense", "\n\ndef dense"),
]
CODE_EDITS = [("math.sqrt(width)", "math.sqrt(width + 1)"), ("width=2", "width=3"), ("depth = 2", "depth = 3"),
              ("return scale", "return 'scale'")]


def test_a_docstring_or_comment_edit_keeps_the_digest_a_code_edit_changes_it(fakelib):
    cells = ["from fakelib.models import WIDTH"]

    def digest():
        return library_digest(imported_library_modules(cells, package="fakelib"))

    layers = fakelib / "layers.py"
    layers.write_text(LAYERS)
    before = digest()
    for old, new in DOCUMENTATION_EDITS:
        assert LAYERS.count(old) == 1
        layers.write_text(LAYERS.replace(old, new))
        assert digest() == before, (old, new)
    for old, new in CODE_EDITS:
        assert LAYERS.count(old) == 1
        layers.write_text(LAYERS.replace(old, new))
        assert digest() != before, (old, new)


def test_a_dirty_tree_is_refused_for_the_reference_build(root, monkeypatch):
    from latentlib.book import runner

    monkeypatch.setattr(runner, "git_commit", lambda folder=None: "abc1234+dirty")
    with pytest.raises(ValueError, match="written only from committed code.*--allow-dirty"):
        runner.run_notebook("01", profile="smoke", root=root, reference=True)
