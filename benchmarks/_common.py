"""What the benchmark scripts share: the ``--quick`` / ``--json`` options that
``benchmarks/run_all.py`` drives, result rows, medians of timed repeats and peak memory,
and the chapters' MLP training step (MSE, or MSE + triplet) that several time."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable


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


@dataclass
class MLPStep:
    """One Adam step of the chapters' MLP autoencoder (784-512-256-16) on a fixed random
    batch: ``step()`` on MSE, ``step(True)`` on MSE + batch-all triplet (``triplet``)."""

    model: Any  # torch.nn.Module
    optimizer: Any
    x: Any  # (batch, 1, 28, 28)
    labels: Any  # 10 balanced classes, in blocks
    triplet: Any  # TripletMarginLoss

    def __call__(self, with_triplet: bool = False) -> None:
        from torch import nn

        reconstruction, z = self.model(self.x)
        loss = nn.functional.mse_loss(reconstruction, self.x)
        if with_triplet:
            loss = loss + self.triplet(z, self.labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


def mlp_step(size: int, margin: float = 1.0, *, hidden_sizes: tuple[int, ...] = (512, 256),
             embedding_size: int = 16) -> MLPStep:
    """The MLP step at batch ``size`` (torch seeded 0; torch is imported here, not by the
    benchmarks that never train); other widths give other MLPs (N2D's: 500, 500, 2000 -> 10)."""
    import torch

    from latentlib.images.losses import TripletMarginLoss
    from latentlib.images.models import MLPConfig

    torch.manual_seed(0)
    model = MLPConfig(input_shape=(1, 28, 28), hidden_sizes=hidden_sizes, embedding_size=embedding_size).build()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(size, 1, 28, 28)
    labels = torch.arange(10).repeat_interleave(-(-size // 10))[:size]
    return MLPStep(model, optimizer, x, labels, TripletMarginLoss(margin))
