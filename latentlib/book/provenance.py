"""Where a number came from: code version, commit, hardware, and the run context.

The run context (where records go, which execution they belong to, where events go) is
set by the runner and read where records are made. The chapter executes in a separate
kernel process, which the runner starts with an environment holding the context
(:meth:`RunContext.environment`): the context travels as environment variables, named
here (events: in :mod:`latentlib.events`), without the runner's own environment changing.
"""

from __future__ import annotations

import contextlib
import os
import re
import platform
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from latentlib import __version__
from latentlib.events import EVENTS_ENV

EXECUTION_ENV = "LATENTLIB_EXECUTION"
RESULTS_ENV = "LATENTLIB_RESULTS"


@dataclass(frozen=True)
class RunContext:
    """Where the records of this execution go and the id they share."""

    results_dir: Path | None
    execution_id: str
    events: Path | None = None

    @classmethod
    def current(cls) -> "RunContext":
        """The context the runner set, else none: records then go to the run folder
        (:func:`latentlib.book.results.results_dir`), never to the reference build."""
        results = os.environ.get(RESULTS_ENV)
        events = os.environ.get(EVENTS_ENV)
        return cls(results_dir=Path(results).expanduser() if results else None,
                   execution_id=os.environ.get(EXECUTION_ENV, ""), events=Path(events) if events else None)

    def variables(self) -> dict[str, str | None]:
        """The environment variables that carry this context (None: unset)."""
        return {RESULTS_ENV: str(self.results_dir) if self.results_dir else None,
                EXECUTION_ENV: self.execution_id or None, EVENTS_ENV: str(self.events) if self.events else None}

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A copy of ``base`` (default: this process's environment) with this context set:
        the environment to start a kernel or worker of this execution with, so that the
        context reaches it without this process's own environment changing."""
        env = dict(os.environ if base is None else base)
        for key, value in self.variables().items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    @contextlib.contextmanager
    def active(self) -> Iterator["RunContext"]:
        """Make this the context of the block and of every process it starts."""
        values = self.variables()
        saved = {key: os.environ.get(key) for key in values}
        try:
            for key, value in values.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            yield self
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def new_execution_id() -> str:
    return uuid.uuid4().hex[:12]


def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) holding ``_toc.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists() and (folder / "latentlib").is_dir():
            return folder
    return None


def git_commit(folder: str | None = None) -> str:
    """Short commit of the checkout, with ``+dirty`` when tracked code has changed; a copy
    without git history (a device run of the working tree) names it in ``$LATENTLIB_COMMIT``."""
    return os.environ.get("LATENTLIB_COMMIT") or _git_commit(folder)


@lru_cache(maxsize=None)
def _git_commit(folder: str | None = None) -> str:
    cwd = folder or str(project_root() or Path.cwd())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        # only code counts: executed chapters and records change while the book is run
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)book/executed", ":(exclude)book/results", ":(exclude)book/*.md"],
                               cwd=cwd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not commit:
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def imported_library_modules(sources: list[str], *, package: str = "latentlib") -> list[str]:
    """Every ``package`` module that code in ``sources`` imports, directly or through
    other modules of the package (read with ``ast``, so nothing is imported)."""
    import ast
    import importlib.util

    def imports_of(text: str) -> set[str]:
        found = set()
        try:
            tree = ast.parse(text)
        except SyntaxError:  # a notebook cell with IPython magics: keep the plain lines
            tree = ast.parse(re.sub(r"^(\s*)[%!].*$", r"\1pass", text, flags=re.MULTILINE))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        return {name for name in found if name == package or name.startswith(package + ".")}

    seen: set[str] = set()
    todo = set().union(*(imports_of(text) for text in sources)) if sources else set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        spec = importlib.util.find_spec(name) if _is_module(name) else None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue  # a name inside a module (a function, a class)
        seen.add(name)
        todo |= imports_of(Path(spec.origin).read_text())
    return sorted(seen)


def _is_module(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # "latentlib.x.function": its parent is a module, not a package
        return False


def library_digest(modules: list[str]) -> str:
    """sha256 over the code of ``modules``: a chapter's stamp keeps it, so a changed model
    or loader marks the chapter stale. What is hashed is what runs (each module's syntax
    tree without docstrings, :func:`latentlib.training.fit.executable_code`, the rule of
    the fit cache's key too): an edited docstring or comment stales nothing."""
    import hashlib
    import importlib.util

    from latentlib.training.fit import executable_code

    digest = hashlib.sha256()
    for name in sorted(modules):
        digest.update(name.encode())
        digest.update(executable_code(Path(importlib.util.find_spec(name).origin).read_bytes()).encode())
    return digest.hexdigest()


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_description(device: str | torch.device = "cpu") -> str:
    """Human-readable hardware: GPU name for cuda, CPU model and thread count otherwise."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    threads = torch.get_num_threads()
    return f"{device.type} ({_cpu_name()}, {threads} thread{'s' if threads != 1 else ''})"


@lru_cache(maxsize=None)
def _process_execution_id() -> str:
    return new_execution_id()


def execution_id() -> str:
    """Id shared by every record of one notebook execution (set by the runner; outside
    a run, one id per process)."""
    return RunContext.current().execution_id or _process_execution_id()


def environment() -> dict[str, str]:
    return {
        "latentlib": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "commit": git_commit(),
        "execution_id": execution_id(),
    }
