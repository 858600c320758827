"""Execute study notebooks with papermill and build the book.

jupytext reads the MyST text notebook (papermill cannot read ``.md``), papermill
executes it with the profile and overrides injected into ``_build/run/executed/NAME.ipynb``
(``book/executed/`` for the reference build), and the runner then adds a provenance
banner (profile, data, commit, device, wall time) built from the records the execution
wrote. Jupyter Book renders the executed chapters without executing anything again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat

from latentlib.config import StudyConfig
from latentlib.book.progress import EventPrinter, read_notices
from latentlib.book.provenance import (RunContext, git_commit, imported_library_modules, library_digest,
                                  new_execution_id, project_root)
from latentlib.book.results import read_records, variant, write_json_atomic
from latentlib.book import schedule
from latentlib import studies

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


# free space a target must have before a run starts: the largest chapter and its records
# take about 6 MB (01's executed notebook 3.2 MB, 05's records 2.9 MB)
MIN_FREE_BYTES = 64 * 2**20


class TargetRefused(ValueError):
    """A folder the run would write cannot take it (read-only, not a folder, full): said
    before anything runs, naming the folder."""


def check_target(folder: str | Path, what: str, *, min_free: int = MIN_FREE_BYTES) -> None:
    """Refuse ``folder`` (``what`` says what goes there) before a run starts unless a
    file can be created in it, or in its nearest existing parent when it does not exist
    yet, and that file system has ``min_free`` bytes free.

    Raises
    ------
    TargetRefused
        Naming ``folder``, the folder that was tried and why.
    """
    folder = Path(folder).expanduser().absolute()
    existing = folder
    while not os.path.exists(existing) and existing != existing.parent:
        existing = existing.parent
    where = str(folder) if existing == folder else f"{folder} (its nearest existing parent {existing})"
    if not existing.is_dir():
        raise TargetRefused(f"cannot write {what} to {folder}: {existing} exists and is not a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=".latentlib-probe-", dir=existing)
    except OSError as error:
        raise TargetRefused(f"cannot write {what} to {where}: {error.strerror or error}; give a writable "
                            "folder (--output-dir, --results-dir)") from None
    os.close(handle)
    os.unlink(probe)
    free = shutil.disk_usage(existing).free
    if free < min_free:
        raise TargetRefused(f"cannot write {what} to {where}: its file system has {free / 2**20:.1f} MiB free, "
                            f"a run needs at least {min_free / 2**20:.0f} MiB")


def check_targets(root: Path, output_dir: Path, results_dir: Path) -> None:
    """Every folder a run writes (the chapter, the records, the scratch space), checked
    with :func:`check_target` before anything runs."""
    check_target(output_dir, "the executed chapter")
    check_target(results_dir, "the result records")
    check_target(root / SCRATCH, "the run's scratch files")


class ChapterFailed(RuntimeError):
    """A chapter's execution failed in a cell; nothing it would have replaced was touched."""

    def __init__(self, study: str, *, cell: int | None, ename: str, evalue: str, notebook: Path) -> None:
        super().__init__(f"{study} failed in cell {cell}: {ename}: {evalue}\n"
                         f"the failed notebook is {notebook}; the committed chapter and its records are unchanged")
        self.study, self.cell, self.ename, self.evalue, self.notebook = study, cell, ename, evalue, notebook

    def __reduce__(self) -> tuple[Any, ...]:  # crosses the process boundary of a parallel run
        return _chapter_failed, (self.study, self.cell, self.ename, self.evalue, self.notebook)

    @property
    def missing_data(self) -> bool:
        """The chapter stopped because no source of its dataset is available here."""
        return self.ename == "DatasetNotFoundError"


def _chapter_failed(study: str, cell: int | None, ename: str, evalue: str, notebook: Path) -> ChapterFailed:
    return ChapterFailed(study, cell=cell, ename=ename, evalue=evalue, notebook=notebook)


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
    if study not in studies.names():
        return None
    return studies.config_for(study, profile, **parameters)


def run_notebook(name: str, *, profile: str = "quick", parameters: dict[str, Any] | None = None,
                 root: str | Path | None = None, output_dir: str | Path | None = None,
                 results_dir: str | Path | None = None, progress: bool = True,
                 allow_dirty: bool = False, reference: bool = False) -> Execution:
    """Execute one study notebook with papermill and stamp its provenance.

    ``output_dir`` and ``results_dir`` default to the user's run folder
    ``_build/run/`` (:func:`run_dirs`); with ``reference``, to the committed reference
    build (``book/executed``, ``book/results``).

    The execution is atomic: papermill writes the notebook and the kernel writes its
    records into a scratch folder under ``_build/runs/``; only a run that completes
    replaces ``<output_dir>/<study>.ipynb`` and the records of its variant, each first
    copied beside its target (on the target's file system, which may be another than
    the scratch folder's) and then renamed into place. A failed run leaves both
    untouched and keeps its notebook under ``_build/failed/``.

    The kernel gets the run context (where records and events go) and
    ``OMP_WAIT_POLICY=PASSIVE`` (unless set) in the environment it is started with;
    this process's environment is left as it is.

    Raises
    ------
    ValueError
        Before executing anything, for an unknown study, profile or parameter, and when
        the reference build (``book/``) would be written from uncommitted code without
        ``allow_dirty``.
    TargetRefused
        Before executing anything, when a folder the run writes is read-only, is not a
        folder, or lacks free space (a ``ValueError``).
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
    default_output, default_results = run_dirs(root, reference=reference)
    output_dir = Path(output_dir) if output_dir else default_output
    results_dir = Path(results_dir) if results_dir else default_results
    output = output_dir / f"{study}.ipynb"
    commit = git_commit(str(root))
    writes_reference = output_dir.resolve() == (root / EXECUTED).resolve() or \
        results_dir.resolve() == (root / RESULTS).resolve()
    if writes_reference and commit.endswith("+dirty") and not allow_dirty:
        raise ValueError("the reference build (book/executed, book/results) is written only from committed "
                         f"code, and the library or notebooks have uncommitted changes ({commit}); commit "
                         "them, write elsewhere with --output-dir and --results-dir, or pass --allow-dirty "
                         "(the chapter then says so)")
    check_targets(root, output_dir, results_dir)

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
    env = kernel_environment(RunContext(results_dir=staged_results, execution_id=execution, events=events))
    start = time.perf_counter()
    try:
        with EventPrinter(events, study=study, progress=progress):
            execute_in_kernel(unexecuted, staged_output, parameters={"profile": profile, **parameters},
                              cwd=root, env=env, progress=progress)
    except papermill.PapermillExecutionError as error:
        failed = root / FAILED / f"{study}.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged_output, failed)
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
        "cached_fits": len({r["run"]["fit_key"] for r in records if r["run"].get("fit_from_cache")}),
        # one fit feeds several records (sizes of a PCA, views, splits): count fits, not records
        "fits": len({r["run"]["fit_key"] for r in records if r["run"].get("fit_key")}),
        "notices": read_notices(events),
        "omp_wait_policy": env.get("OMP_WAIT_POLICY", ""),
    }
    _stamp_notebook(staged_output, stamp)
    write_json_atomic(staged_results / study / stamp["variant"] / "_execution.json", stamp)
    publish({staged_results / study / stamp["variant"]: results_dir / study / stamp["variant"],
             staged_output: output})
    shutil.rmtree(scratch, ignore_errors=True)
    return Execution(study=study, profile=profile, output=output, wall_seconds=wall, records=len(records))


def kernel_environment(context: RunContext, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a chapter's kernel starts with: ``base`` (default: this process's)
    with the run context, and ``OMP_WAIT_POLICY=PASSIVE`` unless ``base`` sets it."""
    env = context.environment(base)
    # idle OpenMP threads sleep instead of spinning: on a busy machine spinning threads made
    # fits 2x slower than one thread, sleeping ones lose 10% (benchmarks/threads.py)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def _kernel_manager(env: dict[str, str]) -> type:
    """A kernel manager class whose kernels start with ``env`` (papermill starts kernels
    with this process's environment otherwise)."""
    from jupyter_client import AsyncKernelManager

    class KernelManager(AsyncKernelManager):
        async def start_kernel(self, **kwargs: Any) -> None:
            kwargs["env"] = {**env, **(kwargs.get("env") or {})}
            await super().start_kernel(**kwargs)

    return KernelManager


def execute_in_kernel(notebook: Path, output: Path, *, parameters: dict[str, Any], cwd: Path,
                      env: dict[str, str], progress: bool = True) -> None:
    """papermill: execute ``notebook`` into ``output`` with ``parameters`` injected, in a
    python3 kernel started in ``cwd`` with the environment ``env``."""
    import papermill

    papermill.execute_notebook(
        str(notebook), str(output), parameters=parameters, kernel_name="python3", cwd=str(cwd),
        progress_bar=progress, kernel_manager_class=_kernel_manager(env),
        # the kernel's "running over TCP without encryption" warning is not the user's business
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


def publish(moves: dict[Path, Path]) -> None:
    """Replace each target (a file or a folder) by its staged source, all or none.

    Each source is first copied beside its target, on the target's file system (which
    may be another than the source's: a rename cannot cross file systems); only when
    every copy is complete are they renamed into place, so a failed copy (a full disk)
    replaces nothing. A replaced folder is kept aside until the new one is in place, so
    a crash leaves one of them whole.
    """
    incoming: dict[Path, Path] = {}
    try:
        for source, target in moves.items():
            incoming[target] = _copy_beside(source, target)
    except BaseException:
        for copy in incoming.values():
            _remove(copy)
        raise
    for target, copy in incoming.items():
        if copy.is_dir() and target.exists():
            previous = target.with_name(f".{target.name}.previous")
            _remove(previous)
            os.replace(target, previous)
            os.replace(copy, target)
            _remove(previous)
        else:
            os.replace(copy, target)  # a file: replaced in one atomic rename


def _copy_beside(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = target.with_name(f".{target.name}.incoming")
    _remove(copy)
    try:
        if source.is_dir():
            shutil.copytree(source, copy)
        else:
            shutil.copy2(source, copy)
    except BaseException:
        _remove(copy)
        raise
    return copy


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


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
        + (f" ({stamp['cached_fits']} of {stamp.get('fits', stamp['records'])} fits loaded from the fit cache)"
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


def _run_one(kwargs: dict[str, Any], position: str = "") -> Execution:
    """One chapter of several, named on the terminal as it starts and as it ends, so a
    user knows how far along a long run is."""
    study, start = kwargs["name"], time.perf_counter()

    def say(what: str) -> None:
        if kwargs.get("progress", True):  # --quiet keeps notices and errors only
            print(f"{position} {study} ...{what}".strip(), file=sys.stderr, flush=True)

    say("")
    try:
        execution = run_notebook(**kwargs)
    except ChapterFailed:
        say(f" failed after {_format_seconds(time.perf_counter() - start)}")
        raise
    say(f" done in {_format_seconds(time.perf_counter() - start)}")
    return execution


def run_notebooks(names: list[str], *, jobs: int | str = 1, keep_going: bool = False,
                  **kwargs: Any) -> tuple[list[Execution], list[ChapterFailed]]:
    """Run several studies; ``jobs > 1`` (or ``"auto"``: one per core) runs that many at
    once in parallel processes, each kernel with ``cores // jobs`` threads unless
    ``OMP_NUM_THREADS`` is set. The fits the chapters plan are trained first, each once,
    on ``jobs`` one-thread processes; chapters that would still share an untrained fit run
    one after the other in one chain (:mod:`latentlib.book.schedule`).

    Returns the executions that completed and, with ``keep_going``, the chapters that
    failed (without it the first failure is raised).
    """
    root = require_root(kwargs.pop("root", None))
    studies = [find_notebook(name, root).stem for name in names]
    profile = kwargs.get("profile", "quick")
    for study in studies:  # fail on bad parameters before the first execution starts
        validate_parameters(study, profile, kwargs.get("parameters") or {})
    default_output, default_results = run_dirs(root, reference=kwargs.get("reference", False))
    check_targets(root, Path(kwargs.get("output_dir") or default_output),  # and on unwritable targets
                  Path(kwargs.get("results_dir") or default_results))
    jobs = schedule.resolve_jobs(jobs, len(studies))
    positions = {study: f"[{i + 1}/{len(studies)}]" if len(studies) > 1 else "" for i, study in enumerate(studies)}
    calls = {study: dict(kwargs, name=study, root=root) for study in studies}
    done: list[Execution] = []
    failed: list[ChapterFailed] = []
    if jobs == 1:
        chains = [studies]
    else:
        # every fit the chapters plan, trained first on `jobs` one-thread processes: then no
        # two chapters train one fit at once, and the chapters run in any order
        uncached = _train_planned_fits(studies, profile, kwargs.get("parameters") or {}, jobs,
                                       progress=kwargs.get("progress", True))
        costs = schedule.reference_seconds(root / RESULTS, profile)
        shared = schedule.shared_fits(studies, uncached.__getitem__)  # fits that failed to train ahead
        chains = schedule.chains(studies, shared, lambda study: costs.get(study, float("inf")))
    threads = schedule.threads_per_chapter(jobs) if jobs > 1 else None
    chain_calls = [[(calls[study], positions[study]) for study in chain] for chain in chains]
    if jobs == 1:
        outcomes = [_run_chain(chain_calls[0], keep_going, None)]
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(chains))) as pool:
            futures = [pool.submit(_run_chain, chain, keep_going, threads) for chain in chain_calls]
            outcomes = [future.result() for future in futures]
    finished = dict(pair for outcome in outcomes for pair in outcome)
    for study in studies:  # in chapter order, whichever ran first
        result = finished.get(study)
        if isinstance(result, ChapterFailed):
            if not keep_going:
                raise result
            failed.append(result)
        elif study in finished:
            done.append(result)
    return done, failed


def _run_chain(chain: list[tuple[dict[str, Any], str]], keep_going: bool,
               threads: int | None) -> list[tuple[str, Execution | ChapterFailed]]:
    """Run one chain of chapters in order (in a worker process when several run at once);
    a failure ends the chain unless ``keep_going``."""
    if threads is not None and not os.environ.get("OMP_NUM_THREADS"):
        # the kernels inherit this worker's environment: one share of the cores each
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    results: list[tuple[str, Execution | ChapterFailed]] = []
    for call, position in chain:
        try:
            results.append((call["name"], _run_one(call, position)))
        except ChapterFailed as error:
            results.append((call["name"], error))
            if not keep_going:
                break
    return results


def _train_planned_fits(studies: list[str], profile: str, parameters: dict[str, Any], jobs: int, *,
                        progress: bool = True) -> dict[str, list[str]]:
    """Train the fits ``studies`` plan (each once) on ``jobs`` local processes; return each
    study's planned fit keys still not in the cache (a study that plans none is left out)."""
    from latentlib.training.fit import cache_dir
    from latentlib.training.plan import plan_study
    from latentlib.training.sweep import warm

    planned: dict[str, list[Any]] = {}
    for study in studies:
        try:
            planned[study] = plan_study(study, profile, parameters)
        except Exception:  # not planned (it trains its own), or its data is missing: the chapter says so
            continue
    store = cache_dir()
    todo = {spec.key: spec for specs in planned.values() for spec in specs if not spec.path(store).exists()}
    if todo:
        warm(list(todo.values()), f"processes:{jobs}", progress=progress)
    return {study: [spec.key for spec in specs if not spec.path(store).exists()] for study, specs in planned.items()}


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
