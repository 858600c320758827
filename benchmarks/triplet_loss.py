"""Triplet loss cost per training step: batch-all and semi-hard computed as masked rows
of (anchor, positive) pairs (what the loss does) vs an explicit index list of every
triplet (the textbook form, cost ~ batch^3 index tensors), and batch-hard for scale.

Prints the median forward + backward seconds of each over alternating repeats in one
run, and the ratio index list / masked rows.

    python benchmarks/triplet_loss.py [--classes 10] [--per-class 25] [--dim 16] [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from latentlib.images.losses import TripletMarginLoss, make_miner


class IndexList(torch.nn.Module):
    """Hides a miner's declared fast path (row_mask) so the loss takes its generic index-list path."""

    def __init__(self, miner: torch.nn.Module) -> None:
        super().__init__()
        self.miner = miner

    def forward(self, distances, labels):
        return self.miner(distances, labels)


def step_seconds(loss: TripletMarginLoss, z: torch.Tensor, labels: torch.Tensor) -> float:
    z = z.detach().requires_grad_(True)
    start = time.perf_counter()
    loss(z, labels).backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--per-class", type=int, default=25)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    labels = torch.arange(args.classes).repeat_interleave(args.per_class)
    z = torch.randn(len(labels), args.dim, generator=torch.Generator().manual_seed(0))
    print(f"batch {len(labels)} = {args.classes} classes x {args.per_class}, d = {args.dim}, "
          f"{torch.get_num_threads()} threads")
    for name in ("all", "semi_hard"):
        fast = TripletMarginLoss(1.0, miner=make_miner(name, margin=1.0))
        slow = TripletMarginLoss(1.0, miner=IndexList(make_miner(name, margin=1.0)))
        times = {"masked rows": [], "index list": []}
        for _ in range(args.repeats):  # alternate, so load changes hit both alike
            times["masked rows"].append(step_seconds(fast, z, labels))
            times["index list"].append(step_seconds(slow, z, labels))
        medians = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name:10s} masked rows {medians['masked rows'] * 1e3:7.1f} ms   index list "
              f"{medians['index list'] * 1e3:7.1f} ms   ratio {medians['index list'] / medians['masked rows']:.1f}x")
    hard = TripletMarginLoss(1.0, miner=make_miner("batch_hard", margin=1.0))
    median = statistics.median(step_seconds(hard, z, labels) for _ in range(args.repeats))
    print(f"batch_hard {median * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
