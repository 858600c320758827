"""Run planned fits (:mod:`latentlib.training.plan`) into the fit store: here, in local
processes, or on a dask.distributed cluster.

The store is a fit cache (by default :func:`latentlib.training.fit.cache_dir`): every
fit is written into it by the fit engine (temporary file, then an atomic rename), which
is handed the store (:func:`latentlib.training.fit.fit_store`; the environment is never
changed), so a chapter executed afterwards with that cache loads each one. A fit
already in the store is reported ``cached`` and not submitted. On dask each fit is one
task keyed by its fit key (two sweeps on one scheduler share a fit), with ``retries``;
a worker that dies mid-fit has its task run again elsewhere by the scheduler. A fit
that raises is reported ``failed`` with its error; the others go on.

Schedulers (``--scheduler``): ``serial`` (this process), ``stacked`` (this process,
fits of one shape trained as one batched model: :mod:`latentlib.training.stacked`),
``processes:N`` (N local processes), ``local:N`` (a dask LocalCluster of N
single-threaded worker processes), or a dask scheduler address such as
``tcp://host:8786``. ``serial`` stacks too where :func:`~latentlib.training.stacked.stacked_enabled`
says so (on CUDA, or with ``LATENTLIB_STACKED=1``).
"""

from __future__ import annotations

import os
import queue
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from latentlib.training.fit import cache_dir, fit_store
from latentlib.training.plan import FitSpec, run_spec

TOPIC = "latentlib-fits"  # dask event topic: a worker says a fit started
STATUSES = ("queued", "running", "cached", "done", "failed")
ADDRESS_PREFIXES = ("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")


@dataclass
class Outcome:
    """How one planned fit ended: ``cached`` (in the store before the sweep), ``done``
    (trained now) or ``failed`` (with ``error``)."""

    spec: FitSpec
    status: str
    seconds: float = 0.0  # training time of the fit (0 for a cached one)
    wall: float = 0.0  # the whole task on its worker: data, key check, training, writing
    worker: str = ""
    error: str = ""
    loss: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"study": self.spec.study, "name": self.spec.name, "key": self.spec.key,
                "profile": self.spec.profile, "parameters": self.spec.parameters, "run": self.spec.run,
                "label": self.spec.label, "status": self.status, "seconds": round(self.seconds, 3),
                "wall": round(self.wall, 3), "worker": self.worker, "error": self.error, "loss": self.loss}


def parse_scheduler(value: str | None) -> tuple[str, Any]:
    """``(kind, argument)`` of a ``--scheduler`` value; a bad one fails with the forms allowed."""
    value = (value or "serial").strip()
    allowed = ("--scheduler must be 'serial', 'stacked' (fits of one shape as one batched model), "
               "'processes:N' (N local processes), 'local:N' (a dask "
               "LocalCluster of N worker processes) or a dask scheduler address such as tcp://host:8786")
    if value in ("serial", "stacked"):
        return value, None
    if value.startswith(ADDRESS_PREFIXES):
        return "dask", value
    kind, separator, count = value.partition(":")
    if kind in ("processes", "local") and separator:
        try:
            n = int(count)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"{allowed}; N must be a positive int, got {value!r}")
        return ("dask-local" if kind == "local" else "processes"), n
    raise ValueError(f"{allowed}, got {value!r}")


def _dask_worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def fit_task(spec: FitSpec, store: str) -> dict[str, Any]:
    """One fit on a worker: train it into ``store`` (or find it there); what happened."""
    start = time.perf_counter()
    worker = _dask_worker()
    name = worker.address if worker is not None else f"{socket.gethostname()}:{os.getpid()}"
    if worker is not None:
        worker.log_event(TOPIC, {"key": spec.key, "worker": name})
    if spec.path(store).exists():  # written meanwhile (another sweep, an earlier attempt)
        return {"from_cache": True, "seconds": 0.0, "loss": None, "worker": name,
                "wall": time.perf_counter() - start}
    with fit_store(store):  # the study's own fit functions train into the sweep's store; no environment is touched
        result = run_spec(spec)
    return {**result, "worker": name, "wall": time.perf_counter() - start}


def _error(error: BaseException) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return "".join(lines).strip().splitlines()[-1] if lines else repr(error)


def _finish(spec: FitSpec, result: dict[str, Any], store: Path) -> Outcome:
    if not spec.path(store).exists():
        return Outcome(spec, "failed", worker=result.get("worker", ""), wall=result.get("wall", 0.0),
                       error=f"the worker reported the fit but {spec.file} is not in the store {store}: give "
                             "every worker the same LATENTLIB_CACHE on a shared file system")
    status = "cached" if result.get("from_cache") else "done"
    return Outcome(spec, status, seconds=float(result.get("seconds") or 0.0), wall=float(result.get("wall", 0.0)),
                   worker=result.get("worker", ""), loss=result.get("loss"))


Listener = Callable[[FitSpec, str, "Outcome | None"], None]


def execute(specs: list[FitSpec], scheduler: str | None = None, *, client: Any = None,
            store: str | Path | None = None, on_status: Listener | None = None,
            retries: int = 2) -> list[Outcome]:
    """Run ``specs`` into ``store`` (default: the fit cache) and return one outcome each.

    ``on_status(spec, status, outcome)`` is called in this thread whenever a fit changes
    status: ``queued`` (outcome None), ``running`` (once per attempt, with the worker),
    then ``cached``, ``done`` or ``failed`` with its outcome. ``client`` (a ``distributed.Client``) is used as it is and left open.
    """
    store = Path(store or cache_dir()).expanduser().resolve()
    store.mkdir(parents=True, exist_ok=True)
    kind, argument = ("dask", client) if client is not None else parse_scheduler(scheduler)
    notify = on_status or (lambda spec, status, outcome: None)
    outcomes: dict[str, Outcome] = {}
    todo = []
    for spec in specs:
        if spec.path(store).exists():
            outcomes[spec.key] = Outcome(spec, "cached")
            notify(spec, "cached", outcomes[spec.key])
        else:
            todo.append(spec)
            notify(spec, "queued", None)

    def finished(outcome: Outcome) -> None:
        outcomes[outcome.spec.key] = outcome
        notify(outcome.spec, outcome.status, outcome)

    if todo:
        if kind == "stacked" or (kind == "serial" and _stacking_by_default()):
            _run_stacked(todo, store, notify, finished)
        elif kind == "serial":
            _run_serial(todo, store, notify, finished)
        elif kind == "processes":
            _run_processes(todo, store, argument, notify, finished)
        else:
            _run_dask(todo, store, kind, argument, retries, notify, finished)
    return [outcomes[spec.key] for spec in specs]


def _run_serial(todo: list[FitSpec], store: Path, notify: Listener, finished: Callable) -> None:
    for spec in todo:
        notify(spec, "running", Outcome(spec, "running", worker=f"{socket.gethostname()}:{os.getpid()}"))
        try:
            finished(_finish(spec, fit_task(spec, str(store)), store))
        except Exception as error:  # one fit's failure is recorded; the others still run
            finished(Outcome(spec, "failed", error=_error(error)))


def _stacking_by_default() -> bool:
    from latentlib.training.stacked import stacked_enabled

    return stacked_enabled("auto")


def _run_stacked(todo: list[FitSpec], store: Path, notify: Listener, finished: Callable) -> None:
    """Fits of one shape as one batched model in this process (each saved under its own
    key); the specs without a trainer to stack run as in :func:`_run_serial`."""
    from latentlib.training.stack_plan import run_specs_stacked

    worker = f"{socket.gethostname()}:{os.getpid()}"
    started: dict[str, float] = {}

    def on_start(group: list[FitSpec]) -> None:
        for spec in group:
            started[spec.key] = time.perf_counter()
            notify(spec, "running", Outcome(spec, "running", worker=worker))

    def on_done(spec: FitSpec, result: dict[str, Any]) -> None:
        wall = time.perf_counter() - started.get(spec.key, time.perf_counter())
        finished(_finish(spec, {**result, "worker": worker, "wall": wall}, store))

    def on_error(spec: FitSpec, error: BaseException) -> None:
        finished(Outcome(spec, "failed", worker=worker, error=_error(error)))

    with fit_store(store):
        left = run_specs_stacked(todo, on_start=on_start, on_done=on_done, on_error=on_error)
    if left:
        _run_serial(left, store, notify, finished)


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)  # one thread per process, as on a dask worker: no oversubscription


def _run_processes(todo: list[FitSpec], store: Path, n: int, notify: Listener, finished: Callable) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a forked torch process can hang on the parent's thread pools
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_thread) as pool:
        pending = {pool.submit(fit_task, spec, str(store)): spec for spec in todo}
        running: set[str] = set()
        while pending:
            for future, spec in list(pending.items()):
                # the pool hands out one call more than it has processes: at most n run
                if future.running() and spec.key not in running and len(running) < n:
                    running.add(spec.key)
                    notify(spec, "running", Outcome(spec, "running", worker="a local process"))
                if future.done():
                    del pending[future]
                    running.discard(spec.key)
                    try:
                        finished(_finish(spec, future.result(), store))
                    except Exception as error:
                        finished(Outcome(spec, "failed", error=_error(error)))
            time.sleep(0.1)


def dask_client(kind: str, argument: Any) -> tuple[Any, Any]:
    """``(client, cluster)`` for ``local:N`` (a new LocalCluster) or a scheduler address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--scheduler local:N and scheduler addresses need dask.distributed: "
                         "pip install 'latentlib[cluster]' (or pip install 'dask[distributed]')") from None
    if kind == "dask-local":
        cluster = LocalCluster(n_workers=argument, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster), cluster
    try:
        return Client(argument, timeout="20s"), None
    except OSError as error:
        raise ValueError(f"--scheduler {argument}: no dask scheduler answers there ({error}); start one with "
                         "`dask scheduler` and give its address") from None


def _run_dask(todo: list[FitSpec], store: Path, kind: str, argument: Any, retries: int, notify: Listener,
              finished: Callable) -> None:
    client, cluster = (argument, None) if kind == "dask" and not isinstance(argument, str) \
        else dask_client(kind, argument)
    started: queue.Queue = queue.Queue()
    client.subscribe_topic(TOPIC, lambda event: started.put(event[1]))
    try:
        pending = {client.submit(fit_task, spec, str(store), key=f"latentlib-fit-{spec.key}", pure=False,
                                 retries=retries): spec for spec in todo}
        by_key = {spec.key: spec for spec in todo}
        while pending:
            while not started.empty():
                message = started.get()
                spec = by_key.get(message.get("key"))
                if spec is not None and spec in pending.values():  # every attempt announces itself
                    notify(spec, "running", Outcome(spec, "running", worker=message.get("worker", "")))
            for future, spec in list(pending.items()):
                if future.status == "pending":
                    continue
                del pending[future]
                try:
                    if future.status != "finished":
                        raise future.exception()
                    finished(_finish(spec, future.result(), store))
                except Exception as error:  # raised on the worker, or cancelled, or lost with it
                    finished(Outcome(spec, "failed", error=_error(error)))
                future.release()
            time.sleep(0.1)
    finally:
        client.unsubscribe_topic(TOPIC)
        if cluster is not None or isinstance(argument, str):
            client.close()
        if cluster is not None:
            cluster.close()
