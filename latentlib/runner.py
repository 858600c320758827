"""Execute study notebooks with papermill and build the book.

jupytext reads the MyST text notebook (papermill cannot read ``.md``), papermill
executes it into ``book/executed/NAME.ipynb`` with the profile and overrides injected,
and the runner then adds a provenance banner (profile, data, commit, device, wall
time) built from the records the execution wrote. Jupyter Book renders the executed
chapters without executing anything again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from latentlib.config import StudyConfig
from latentlib.progress import EventPrinter, read_notices
from latentlib.provenance import (RunContext, git_commit, imported_library_modules, library_digest,
                                  new_execution_id, project_root)
from latentlib.results import read_records, variant, write_json_atomic
from latentlib.studies import STUDY_CONFIGS, config_for

NOTEBOOKS = "notebooks"
EXECUTED = Path("book") / "executed"
RESULTS = Path("book") / "results"
# scratch space of running executions, and the notebooks of failed ones (ignored by git)
SCRATCH = Path("_build") / "runs"
FAILED = Path("_build") / "failed"
# a user's run: its chapters and records, kept apart from the committed reference build
RUN = Path("_build") / "run"
# the smoke-profile records `latentlib check` compares a re-run with (`check --update` writes them)
SMOKE_REFERENCE = Path("tests") / "reference" / "smoke"


def run_dirs(root: Path, *, reference: bool = False) -> tuple[Path, Path]:
    """(executed chapters, records) a run writes: the committed reference build with
    ``reference``, else the user's run folder ``_build/run/`` (the clone stays clean)."""
    if reference:
        return root / EXECUTED, root / RESULTS
    return root / RUN / "executed", root / RUN / "results"
BANNER_TAG = "latentlib-provenance"


class ChapterFailed(RuntimeError):
    """A chapter's execution failed in a cell; nothing it would have replaced was touched."""

    def __init__(self, study: str, *, cell: int | None, ename: str, evalue: str, notebook: Path) -> None:
        super().__init__(f"{study} failed in cell {cell}: {ename}: {evalue}\n"
                         f"the failed notebook is {notebook}; the committed chapter and its records are unchanged")
        self.study, self.cell, self.ename, self.evalue, self.notebook = study, cell, ename, evalue, notebook

    @property
    def missing_data(self) -> bool:
        """The chapter stopped because no source of its dataset is available here."""
        return self.ename == "DatasetNotFoundError"


@dataclass
class Execution:
    """What one notebook execution produced."""

    study: str
    profile: str
    output: Path
    wall_seconds: float
    records: int


def require_root(root: str | Path | None = None) -> Path:
    found = Path(root).resolve() if root else project_root()
    if found is None or not (found / NOTEBOOKS).is_dir():
        raise FileNotFoundError(
            "run this from a latent-space-book checkout (a folder with _toc.yml, latentlib/ "
            "and notebooks/), or pass root="
        )
    return found


def study_names(root: str | Path | None = None) -> list[str]:
    """Names of the study notebooks, in order (``notebooks/NN_name.md``)."""
    return sorted(path.stem for path in (require_root(root) / NOTEBOOKS).glob("[0-9]*.md"))


def find_notebook(name: str, root: str | Path | None = None) -> Path:
    """The source of study ``name``: a full name (``01_embedding_size``), its number
    (``01``) or the part after the number (``embedding_size``)."""
    root = require_root(root)
    names = study_names(root)
    matches = [n for n in names if name in (n, n.split("_", 1)[0], n.split("_", 1)[-1])]
    if len(matches) != 1:
        raise ValueError(f"study must be one of {', '.join(names)} (or its number), got {name!r}")
    return root / NOTEBOOKS / f"{matches[0]}.md"


def source_digest(path: Path) -> str:
    """sha256 of a notebook source: the executed chapter stores it to detect staleness."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chapter_library_digest(path: Path) -> str:
    """sha256 of the library code a notebook source imports (directly or not): the
    executed chapter stores it, so a changed model or loader marks the chapter stale."""
    cells = [cell.source for cell in jupytext.read(path).cells if cell.cell_type == "code"]
    return library_digest(imported_library_modules(cells))


def validate_parameters(study: str, profile: str, parameters: dict[str, Any]) -> StudyConfig | None:
    """Build the study's config before anything runs, so bad input fails in seconds."""
    if study not in STUDY_CONFIGS:
        return None
    return config_for(study, profile, **parameters)


def run_notebook(name: str, *, profile: str = "quick", parameters: dict[str, Any] | None = None,
                 root: str | Path | None = None, output_dir: str | Path | None = None,
                 results_dir: str | Path | None = None, progress: bool = True,
                 allow_dirty: bool = False) -> Execution:
    """Execute one study notebook with papermill and stamp its provenance.

    The execution is atomic: papermill writes the notebook and the kernel writes its
    records into a scratch folder under ``_build/runs/``; only a run that completes
    replaces ``<output_dir>/<study>.ipynb`` and the records of its variant. A failed
    run leaves both untouched and keeps its notebook under ``_build/failed/``.

    Raises
    ------
    ValueError
        Before executing anything, for an unknown study, profile or parameter, and when
        the reference build (``book/``) would be written from uncommitted code without
        ``allow_dirty``.
    ChapterFailed
        When a cell fails; the message names the cell, the error and where the failed
        notebook is.
    """
    import papermill

    root = require_root(root)
    source = find_notebook(name, root)
    study = source.stem
    parameters = dict(parameters or {})
    config = validate_parameters(study, profile, parameters)
    output_dir = Path(output_dir) if output_dir else root / EXECUTED
    results_dir = Path(results_dir) if results_dir else root / RESULTS
    output = output_dir / f"{study}.ipynb"
    commit = git_commit(str(root))
    writes_reference = output_dir.resolve() == (root / EXECUTED).resolve() or \
        results_dir.resolve() == (root / RESULTS).resolve()
    if writes_reference and commit.endswith("+dirty") and not allow_dirty:
        raise ValueError("the reference build (book/executed, book/results) is written only from committed "
                         f"code, and the library or notebooks have uncommitted changes ({commit}); commit "
                         "them, write elsewhere with --output-dir and --results-dir, or pass --allow-dirty "
                         "(the chapter then says so)")

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execution = new_execution_id()
    scratch = root / SCRATCH / f"{study}-{execution}"
    staged_output, staged_results = scratch / f"{study}.ipynb", scratch / "results"
    scratch.mkdir(parents=True)
    unexecuted = scratch / "input.ipynb"
    nbformat.write(notebook, unexecuted)
    events = scratch / "events.jsonl"
    events.touch()
    # idle OpenMP threads sleep instead of spinning: on a busy machine spinning threads made
    # fits 2x slower than one thread, sleeping ones lose 10% (benchmarks/threads.py)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    start = time.perf_counter()
    try:
        with RunContext(results_dir=staged_results, execution_id=execution, events=events).active(), \
                EventPrinter(events, study=study, progress=progress):
            papermill.execute_notebook(
                str(unexecuted), str(staged_output), parameters={"profile": profile, **parameters},
                kernel_name="python3", cwd=str(root), progress_bar=progress,
                # the kernel's "running over TCP without encryption" warning is not the user's business
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
    except papermill.PapermillExecutionError as error:
        failed = root / FAILED / f"{study}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged_output, failed)
        shutil.rmtree(scratch, ignore_errors=True)
        raise ChapterFailed(study, cell=error.exec_count, ename=error.ename, evalue=error.evalue,
                            notebook=failed) from None
    wall = time.perf_counter() - start

    records = read_records(study, staged_results)
    stamp = {
        "study": study,
        "profile": profile,
        "parameters": parameters,
        "variant": variant(config) if config else profile,
        "source": f"{NOTEBOOKS}/{source.name}",
        "source_sha256": source_digest(source),
        "library_sha256": chapter_library_digest(source),
        "commit": commit,
        "wall_seconds": round(wall, 1),
        "executed": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "execution_id": execution,
        "data": sorted({_describe_data(r["data"]) for r in records}),
        "device": sorted({r["device"] for r in records}),
        "records": len(records),
        # a chapter that loaded its fits from the cache ran faster than a fresh execution
        "cached_fits": sum(bool(r["run"].get("fit_from_cache")) for r in records),
        "notices": read_notices(events),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }
    _stamp_notebook(staged_output, stamp)
    write_json_atomic(staged_results / study / stamp["variant"] / "_execution.json", stamp)
    _publish(staged_results / study / stamp["variant"], results_dir / study / stamp["variant"])
    output_dir.mkdir(parents=True, exist_ok=True)
    os.replace(staged_output, output)
    shutil.rmtree(scratch, ignore_errors=True)
    return Execution(study=study, profile=profile, output=output, wall_seconds=wall, records=len(records))


def _publish(staged: Path, target: Path) -> None:
    """Replace the records folder ``target`` by ``staged`` (the old one is kept aside
    until the new one is in place, so a crash leaves one of them whole)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming, previous = (target.with_name(f".{target.name}.{part}") for part in ("incoming", "previous"))
    for leftover in (incoming, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(staged, incoming)
    if target.exists():
        os.replace(target, previous)
    os.replace(incoming, target)
    shutil.rmtree(previous, ignore_errors=True)


def _describe_data(data: dict[str, Any]) -> str:
    return f"{data['source']}: {data['n_train']:,} train / {data['n_test']:,} test ({data['split']})"


def _format_seconds(seconds: float) -> str:
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def banner_markdown(stamp: dict[str, Any]) -> str:
    overrides = " ".join(f"-p {k} {v!r}" for k, v in stamp["parameters"].items())
    lines = [
        "```{admonition} Provenance of this chapter",
        ":class: note",
        f"- **Profile**: `{stamp['profile']}`"
        + (f" with overrides `{overrides}`" if overrides else " (no overrides)"),
        f"- **Data**: {'; '.join(stamp['data']) or 'none recorded'}",
        f"- **Device**: {'; '.join(stamp['device']) or 'not recorded'}",
        f"- **Commit**: `{stamp['commit']}`"
        + (" (**uncommitted changes**: not a reference build)" if stamp["commit"].endswith("+dirty") else "")
        + f"; source `{stamp['source']}`",
        f"- **Executed**: {stamp['executed']}, wall time {_format_seconds(stamp['wall_seconds'])}"
        + (f" ({stamp['cached_fits']} of {stamp['records']} fits loaded from the fit cache)"
           if stamp.get("cached_fits") else " (every model trained in this run)")
        + f", {stamp['records']} result records",
        *[f"- **Notice**: {n['message']}" for n in stamp.get("notices", [])],
        f"- **Re-run**: `latentlib run {stamp['study']} --profile {stamp['profile']}"
        + (f" {overrides}`" if overrides else "`"),
        "```",
    ]
    return "\n".join(lines)


def _strip_machine_details(notebook: nbformat.NotebookNode) -> None:
    """The stored chapter speaks of the project, not of the machine that ran it: paths in
    papermill's metadata become project-relative, and stderr (progress bars, warnings
    naming site-packages) is dropped, as the rendered book drops it anyway."""
    papermill = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if key in papermill:
            papermill[key] = Path(papermill[key]).name
    papermill.pop("environment_variables", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def _stamp_notebook(path: Path, stamp: dict[str, Any]) -> None:
    notebook = nbformat.read(path, as_version=4)
    _strip_machine_details(notebook)
    notebook.cells = [c for c in notebook.cells if BANNER_TAG not in c.metadata.get("tags", [])]
    banner = nbformat.v4.new_markdown_cell(banner_markdown(stamp), metadata={"tags": [BANNER_TAG]})
    _split_title(notebook)
    # right under the title, so the chapter keeps its heading as page title
    position = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
    notebook.cells.insert(position, banner)
    notebook.metadata["latentlib"] = stamp
    nbformat.write(notebook, path)


def _split_title(notebook: nbformat.NotebookNode) -> None:
    """Give a leading ``# Title`` line a cell of its own, so the banner can follow it."""
    if not notebook.cells or notebook.cells[0].cell_type != "markdown":
        return
    title, _, rest = notebook.cells[0].source.partition("\n")
    if title.startswith("# ") and rest.strip():
        notebook.cells[0].source = title
        notebook.cells.insert(1, nbformat.v4.new_markdown_cell(rest.strip("\n")))


def _run_one(kwargs: dict[str, Any]) -> Execution:
    return run_notebook(**kwargs)


def run_notebooks(names: list[str], *, jobs: int = 1, keep_going: bool = False,
                  **kwargs: Any) -> tuple[list[Execution], list[ChapterFailed]]:
    """Run several studies; ``jobs > 1`` runs them in parallel processes.

    Returns the executions that completed and, with ``keep_going``, the chapters that
    failed (without it the first failure is raised).
    """
    root = require_root(kwargs.pop("root", None))
    studies = [find_notebook(name, root).stem for name in names]
    for study in studies:  # fail on bad parameters before the first execution starts
        validate_parameters(study, kwargs.get("profile", "quick"), kwargs.get("parameters") or {})
    calls = [dict(kwargs, name=study, root=root) for study in studies]
    done: list[Execution] = []
    failed: list[ChapterFailed] = []

    def collect(outcome: Any) -> None:
        try:
            done.append(outcome())
        except ChapterFailed as error:
            if not keep_going:
                raise
            failed.append(error)

    if jobs <= 1 or len(calls) == 1:
        for call in calls:
            collect(lambda call=call: _run_one(call))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(_run_one, call) for call in calls]:
                collect(future.result)
    return done, failed


def stage_run_book(root: Path, run: Path, *, pages: dict[str, str]) -> Path:
    """A copy of the book's sources under ``_build/book-src`` in which the chapters this
    run executed replace the committed ones, and ``pages`` (name -> Markdown, e.g. the
    results page and the reproduction report of the run) are added or replaced."""
    import yaml

    staging = root / "_build" / "book-src"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(root / "book", staging / "book", ignore=shutil.ignore_patterns("results"))
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, staging / name)
    for chapter in sorted((run / "executed").glob("*.ipynb")):
        shutil.copy2(chapter, staging / EXECUTED / chapter.name)
    toc = yaml.safe_load((staging / "_toc.yml").read_text())
    files = [entry["file"] for entry in toc["chapters"]]
    for name, text in pages.items():
        (staging / "book" / f"{name}.md").write_text(text)
        if f"book/{name}" not in files:
            toc["chapters"].append({"file": f"book/{name}"})
    (staging / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    return staging


def build_book(root: str | Path | None = None, *, path_output: str | Path | None = None,
               strict: bool = True, source: str | Path | None = None) -> Path:
    """``jupyter-book build --all`` of executed chapters (no execution): the committed
    ones, or those of ``source`` (a staged copy from :func:`stage_run_book`).

    ``strict`` adds ``-W -n --keep-going``: every warning, broken reference included,
    fails the build.
    """
    root = require_root(root)
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
               "build", "--all", str(source or root)]
    if strict:
        command += ["-W", "-n", "--keep-going"]
    if path_output or source:
        command += ["--path-output", str(path_output or root)]
    completed = subprocess.run(command, cwd=root)
    if completed.returncode != 0:
        raise RuntimeError(f"the book build failed (exit {completed.returncode}); see the log above")
    return Path(path_output or root) / "_build" / "html"
