"""What the benchmark scripts share: the ``--quick`` / ``--json`` options that
``benchmarks/run_all.py`` drives, result rows, medians of timed repeats and peak memory."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from typing import Callable


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats (what run_all.py uses)")
    parser.add_argument("--json", metavar="PATH", help="also write the result rows to PATH (for run_all.py)")


def result(measure: str, median: float, unit: str, ratio: str = "") -> dict[str, str]:
    """One row of benchmarks/README.md's table: what was measured, its median, a ratio."""
    return {"measure": measure, "median": f"{median:.4g} {unit}", "ratio": ratio}


def save(path: str | None, rows: list[dict[str, str]]) -> None:
    if path:
        with open(path, "w") as handle:
            json.dump(rows, handle)


def median_seconds(step: Callable[[], object], repeats: int, warmup: int = 1, *, best: bool = False) -> float:
    """Median seconds of ``step`` over ``repeats`` (``best``: the fastest, for a peak)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times) if best else statistics.median(times)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
