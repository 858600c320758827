"""Where a number came from: code version, commit, hardware, execution id."""

from __future__ import annotations

import os
import platform
import subprocess
import uuid
from functools import lru_cache
from pathlib import Path

import torch

from latentlib import __version__

EXECUTION_ENV = "LATENTLIB_EXECUTION"


def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) holding ``_toc.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").exists() and (folder / "latentlib").is_dir():
            return folder
    return None


@lru_cache(maxsize=None)
def git_commit(folder: str | None = None) -> str:
    """Short commit of the checkout, with ``+dirty`` when tracked code has changed."""
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


def execution_id() -> str:
    """Id shared by every record of one notebook execution (set by the runner)."""
    if EXECUTION_ENV not in os.environ:
        os.environ[EXECUTION_ENV] = uuid.uuid4().hex[:12]
    return os.environ[EXECUTION_ENV]


def environment() -> dict[str, str]:
    return {
        "latentlib": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "commit": git_commit(),
        "execution_id": execution_id(),
    }
