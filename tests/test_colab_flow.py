"""A committed chapter re-executed as on Colab: the library installed from its wheel into
a fresh environment, the notebook run in a folder outside the project.

What Colab does after the chapter's install cell (skipped here: ``google.colab`` is not
imported): the wheel built from this checkout goes into a fresh virtual environment, whose
interpreter runs the kernel; the heavy dependencies (torch, ...) are borrowed from the
running environment through a ``.pth`` file instead of being downloaded again. The chapter
must then import the installed ``latentlib`` (not the checkout's) and write its records
beside itself, in ``./results``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "executed" / "01_embedding_size.ipynb"
KERNEL = "colab-flow"
# appended to the chapter: where the kernel's interpreter and library come from
PROBE = 'import json, sys, latentlib\nprint("COLAB-FLOW " + json.dumps({"executable": sys.executable, ' \
        '"latentlib": latentlib.__file__}))'

pytestmark = pytest.mark.slow


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command[:4]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def build_wheel(folder: Path) -> Path:
    """The wheel of a copy of the package, so the build leaves nothing in the checkout."""
    source = folder / "source"
    shutil.copytree(ROOT / "latentlib", source / "latentlib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    # no build isolation: the build backend comes from this environment, not the network
    run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "-q", "-w", folder / "dist")
    (wheel,) = (folder / "dist").glob("latentlib-*.whl")
    return wheel


def fresh_venv(folder: Path, wheel: Path) -> Path:
    """A new environment holding the wheel; its python."""
    venv = folder / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel)
    # only after the install: pip must not see this environment's editable latentlib
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "ipykernel", "install", "--prefix", venv, "--name", KERNEL, "--display-name", KERNEL)
    return python


def test_committed_chapter_runs_from_the_wheel_in_a_fresh_environment(tmp_path):
    assert ROOT not in tmp_path.parents, "the run must happen outside the checkout"
    started = time.perf_counter()
    python = fresh_venv(tmp_path, build_wheel(tmp_path))
    work = tmp_path / "colab"
    work.mkdir()
    chapter = nbformat.read(CHAPTER, as_version=4)
    chapter.cells.append(nbformat.v4.new_code_cell(PROBE))
    nbformat.write(chapter, work / CHAPTER.name)

    # the kernel sees neither the checkout (PYTHONPATH) nor a results folder chosen for it
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "LATENTLIB_RESULTS")}
    env["JUPYTER_PATH"] = str(python.parents[1] / "share" / "jupyter")
    run(sys.executable, "-m", "papermill", CHAPTER.name, "out.ipynb", "--kernel", KERNEL, "--cwd", work,
        "-y", "{profile: smoke, embedding_sizes: [2, 4], epochs: 1, seed: 0}",
        "--no-progress-bar", cwd=work, env=env, timeout=900)
    wall = time.perf_counter() - started

    executed = nbformat.read(work / "out.ipynb", as_version=4)
    printed = "".join(output.get("text", "") for output in executed.cells[-1].get("outputs", []))
    found = json.loads(printed.split("COLAB-FLOW ", 1)[1])
    assert Path(found["executable"]).parent == python.parent, f"kernel ran {found['executable']}, not the fresh venv"
    assert Path(found["latentlib"]).is_relative_to(python.parents[1]), f"latentlib imported from {found['latentlib']}"
    records = [path for path in (work / "results").rglob("*") if path.is_file()]
    assert records, f"no records under {work / 'results'}: {sorted(p.name for p in work.iterdir())}"
    print(f"colab flow: wheel, fresh venv and smoke run in {wall:.0f} s; {len(records)} record files")
