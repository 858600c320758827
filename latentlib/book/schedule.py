"""Which chapters run side by side when several run at once (``--jobs``).

Two chapters on two cores, one thread each, finish sooner than the same chapters one
after the other with two threads each: a chapter's fits, t-SNE and K-Means use a
second thread poorly at these sizes (benchmarks/book_profile.py). So ``--jobs auto``
runs ``min(cores, chapters)`` chapters at once (at most :data:`MAX_AUTO_JOBS`, and no
more than memory allows), each kernel with ``cores // jobs`` threads.

Chapters share fits (03 and 06 score chapter 02's networks, 01 trains half of them). The
runner trains every fit the chapters plan first, each once, on ``jobs`` one-thread
processes; a shared fit that still is not in the cache puts the chapters sharing it in
one *chain*, run in chapter order, so no fit is trained twice at once. Chains start
longest first (the committed reference's wall time per chapter), so the short ones fill
the gaps at the end.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from latentlib.validation import fail

#: ``--jobs auto`` never runs more chapters at once than this
MAX_AUTO_JOBS = 4
#: memory a chapter's kernel may take at its peak (the largest measured was 1.9 GB)
CHAPTER_MEMORY_BYTES = 3 * 1024**3


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def total_memory() -> int | None:
    """The machine's memory in bytes, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def resolve_jobs(jobs: int | str, chapters: int, *, cores: int | None = None,
                 memory: int | None = None) -> int:
    """The number of chapters to run at once: ``jobs`` itself, or for ``"auto"`` one per
    core, at most one per chapter, :data:`MAX_AUTO_JOBS` and what memory holds."""
    if jobs == "auto":
        cores = cores or available_cores()
        memory = memory if memory is not None else total_memory()
        by_memory = max(1, memory // CHAPTER_MEMORY_BYTES) if memory else MAX_AUTO_JOBS
        return max(1, min(cores, chapters, MAX_AUTO_JOBS, by_memory))
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        fail("jobs", jobs, "a positive number of chapters to run at once, or 'auto'")
    return jobs


def threads_per_chapter(jobs: int, *, cores: int | None = None) -> int:
    """Torch/OpenMP threads for each of ``jobs`` kernels running at once."""
    return max(1, (cores or available_cores()) // jobs)


def chains(names: list[str], shared: Iterable[set[str]] = (),
           cost: Callable[[str], float] = lambda name: 0.0) -> list[list[str]]:
    """Group ``names`` into chains: chapters linked (directly or through another) by a set
    of ``shared`` fall in one chain, in their order in ``names``; chains come longest
    first by the sum of ``cost``, ties in chapter order."""
    group = {name: name for name in names}

    def root(name: str) -> str:
        while group[name] != name:
            name = group[name]
        return name

    for linked in shared:
        members = [name for name in names if name in linked]
        for other in members[1:]:
            group[root(other)] = root(members[0])
    grouped: dict[str, list[str]] = {}
    for name in names:
        grouped.setdefault(root(name), []).append(name)
    ordered = list(grouped.values())
    return sorted(ordered, key=lambda chain: (-sum(cost(name) for name in chain), names.index(chain[0])))


def reference_seconds(results_dir: Path, profile: str) -> dict[str, float]:
    """Each chapter's wall time in ``profile`` as its committed execution stamp gives it."""
    seconds = {}
    for stamp in Path(results_dir).glob(f"*/{profile}/_execution.json"):
        try:
            seconds[stamp.parent.parent.name] = float(json.loads(stamp.read_text())["wall_seconds"])
        except (ValueError, KeyError, OSError):
            continue  # an unreadable stamp only costs the ordering
    return seconds


def shared_fits(names: list[str], plan: Callable[[str], list[str]]) -> list[set[str]]:
    """For every fit key that two or more chapters plan, the set of those chapters.

    ``plan(name)`` lists a chapter's planned fit keys; a chapter that cannot be planned
    (it trains its own fits, or its data is not on the machine) raises and counts as
    sharing nothing.
    """
    owners: dict[str, set[str]] = {}
    for name in names:
        try:
            keys = plan(name)
        except Exception:  # planning is an optimisation: never a reason to fail the run
            continue
        for key in keys:
            owners.setdefault(key, set()).add(name)
    return [chapters for chapters in owners.values() if len(chapters) > 1]
