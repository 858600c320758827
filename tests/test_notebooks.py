"""Every study notebook, end to end in the smoke profile, under nbval."""

import ast
import subprocess
import sys

import jupytext
import nbformat
import pytest
from papermill.parameterize import parameterize_notebook

from latentlib.studies import config_class
from latentlib.book.runner import study_names

STUDIES = study_names()


def parameters_cell(notebook):
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "a study notebook has exactly one cell tagged 'parameters'"
    return cells[0]


@pytest.mark.parametrize("study", STUDIES)
def test_parameters_cell_mirrors_the_config(study, root):
    cell = parameters_cell(jupytext.read(root / "notebooks" / f"{study}.md"))
    tree = ast.parse(cell.source)
    names = [node.targets[0].id for node in tree.body if isinstance(node, ast.Assign)]
    assert all(isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) for node in tree.body), \
        "the parameters cell holds literals only"
    assert names == config_class(study).parameter_names()


@pytest.mark.slow
@pytest.mark.parametrize("study", STUDIES)
def test_notebook_runs_in_smoke_profile_under_nbval(study, root, tmp_path):
    notebook = jupytext.read(root / "notebooks" / f"{study}.md")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # what papermill's own execution path sets up before it parameterizes
    notebook.metadata["papermill"] = {}
    for cell in notebook.cells:
        cell.metadata.setdefault("tags", [])
    notebook = parameterize_notebook(notebook, {"profile": "smoke"})
    path = tmp_path / f"{study}.ipynb"
    nbformat.write(notebook, path)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         "--nbval-current-env", "--nbval-cell-timeout=600", str(path)],
        cwd=root, capture_output=True, text=True, timeout=1200,
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout
