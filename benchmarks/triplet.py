"""Triplet loss cost: the sorted form (what the loss computes) vs the masked-row form it
replaced, and a triplet loss vs an MSE training step of the chapters' MLP.

1. forward + backward seconds (median of repeats) and the peak memory it adds, of
   batch-all and semi-hard at batch 256, 1024 and 4096, each in a fresh process (its
   peak resident memory is the measure); the masked-row form is copied here as the
   reference and skipped at 4096, where one of its tensors alone would take
   pairs x batch x 4 bytes (about 27 GB); likewise the semi-hard miner's index list
   (what the miner returns to a caller), sorted vs enumerating every triplet;
2. in one process, alternating: an Adam step of the MLP autoencoder (784-512-256-16)
   on MSE, the batch-all loss alone on its 16-d embedding, and the MSE + triplet step,
   at batch 256 and 1024, and their ratios to the MSE step (target: the loss at 1024
   <= 1.5x an MSE step).

    python benchmarks/triplet.py [--quick] [--threads 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

from _common import add_options, median_seconds, mlp_step, peak_rss_mb, result, save
from latentlib.images.losses import TripletMarginLoss, all_triplets, make_miner

MARGIN = 1.0


def masked_rows_loss(loss: TripletMarginLoss, distances: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The loss before the sorted form: one masked row of negatives per (anchor, positive)
    pair, every triplet evaluated (memory ~ pairs x batch)."""
    same = labels[:, None] == labels[None, :]
    a, p = torch.nonzero(same & ~torch.eye(len(labels), dtype=torch.bool), as_tuple=True)
    d_ap = distances[a, p]
    d_an = distances.index_select(0, a)
    weight = loss.miner.row_mask(d_ap, d_an, (~same).index_select(0, a)).to(distances.dtype)
    losses = torch.relu(d_ap[:, None] - d_an + loss.margin) * weight
    n_active = int((losses > 0).sum())
    return losses.sum() / max(n_active, 1)


def enumerating_semi_hard(distances: torch.Tensor, labels: torch.Tensor, margin: float):
    """The semi-hard miner before the sorted form: every valid triplet listed (a batch^3
    mask), then filtered."""
    a, p, n = all_triplets(labels)
    d = distances.detach()
    gap = d[a, n] - d[a, p]
    keep = (gap > 0) & (gap <= margin)
    return a[keep], p[keep], n[keep]


def batch(size: int, classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.arange(classes).repeat_interleave(-(-size // classes))[:size]
    return torch.randn(size, 16, generator=torch.Generator().manual_seed(0)), labels


def worker(form: str, miner: str, size: int, repeats: int) -> dict[str, float]:
    """One (form, miner, batch) in this process: median seconds and peak memory added."""
    z0, labels = batch(size)
    loss = TripletMarginLoss(MARGIN, miner=make_miner(miner, margin=MARGIN))
    before = peak_rss_mb()

    def step() -> None:
        z = z0.clone().requires_grad_(True)
        if form == "miner sorted":  # the index list alone, as a user of the miner gets it
            loss.miner(loss.distance(z), labels)
        elif form == "miner enumerating":
            enumerating_semi_hard(loss.distance(z), labels, MARGIN)
        else:
            value = loss(z, labels) if form == "sorted" else masked_rows_loss(loss, loss.distance(z), labels)
            value.backward()

    # the first calls of a fresh process run up to 2x slower (allocator, caches)
    slow = form in ("masked", "miner enumerating") and size > 256
    seconds = median_seconds(step, repeats, warmup=1 if slow else 3)
    return {"seconds": seconds, "peak_mb": peak_rss_mb() - before}


def in_fresh_process(form: str, miner: str, size: int, repeats: int, threads: int) -> dict[str, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, __file__, "--worker", form, miner, str(size), str(repeats)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def step_ratios(size: int, repeats: int) -> dict[str, float]:
    """Median seconds of an MSE step, the batch-all loss alone and an MSE + triplet step."""
    mse_step = mlp_step(size, MARGIN)
    z0, labels = batch(size)  # the same labels as the step's

    def loss_alone() -> None:
        mse_step.triplet(z0.clone().requires_grad_(True), labels).backward()

    steps = {"mse": mse_step, "triplet": loss_alone, "mse+triplet": lambda: mse_step(True)}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for step in steps.values():
        step()  # warm-up
    for _ in range(repeats):  # alternate, so drift on a shared machine hits all alike
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="default 5 (3 with --quick)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    add_options(parser)
    args = parser.parse_args()
    if args.worker:
        form, miner, size, repeats = args.worker
        print(json.dumps(worker(form, miner, int(size), int(repeats))))
        return
    torch.set_num_threads(args.threads)
    repeats = args.repeats or (3 if args.quick else 5)
    sizes = (256, 1024) if args.quick else (256, 1024, 4096)
    rows = []
    print(f"torch {torch.__version__}, {args.threads} thread(s), {repeats} repeats; fwd + bwd of the loss on "
          "random 16-d embeddings, 10 classes")
    print("| miner | batch | sorted | masked rows (before) | masked / sorted | memory sorted | memory masked |")
    print("|---|---|---|---|---|---|---|")
    for miner in ("all", "semi_hard"):
        for size in sizes:
            new = in_fresh_process("sorted", miner, size, repeats, args.threads)
            # the masked rows take seconds per call at 1024: fewer repeats there
            old = None if size > 1024 else in_fresh_process("masked", miner, size, 1 if size > 256 else repeats,
                                                            args.threads)
            ratio = f"{old['seconds'] / new['seconds']:.0f}x" if old else "skipped (~27 GB)"
            old_time = f"{old['seconds'] * 1e3:.0f} ms" if old else "-"
            old_memory = f"{old['peak_mb']:.0f} MB" if old else "-"
            print(f"| {miner} | {size} | {new['seconds'] * 1e3:.1f} ms | {old_time} | {ratio} | "
                  f"{new['peak_mb']:.0f} MB | {old_memory} |", flush=True)
            rows.append(result(f"{miner} loss fwd+bwd, batch {size}, sorted", new["seconds"] * 1e3, "ms",
                               f"masked rows / sorted: {ratio}"))
            rows.append(result(f"{miner} loss peak memory added, batch {size}, sorted", new["peak_mb"], "MB",
                               f"masked rows: {old_memory}" if old else "masked rows: skipped"))
    print("| semi-hard miner (index list) | batch | sorted | enumerating (before) | ratio | memory sorted | "
          "memory enumerating |")
    print("|---|---|---|---|---|---|---|")
    for size in (256, 1024):
        new = in_fresh_process("miner sorted", "semi_hard", size, repeats, args.threads)
        old = in_fresh_process("miner enumerating", "semi_hard", size, 1 if size > 256 else repeats, args.threads)
        ratio = f"{old['seconds'] / new['seconds']:.0f}x"
        print(f"| | {size} | {new['seconds'] * 1e3:.1f} ms | {old['seconds'] * 1e3:.0f} ms | {ratio} | "
              f"{new['peak_mb']:.0f} MB | {old['peak_mb']:.0f} MB |", flush=True)
        rows.append(result(f"semi-hard miner index list, batch {size}, sorted", new["seconds"] * 1e3, "ms",
                           f"enumerating / sorted: {ratio}; memory {new['peak_mb']:.0f} vs {old['peak_mb']:.0f} MB"))
    print("| batch | MSE step | triplet loss | MSE + triplet step | loss / MSE | (MSE + triplet) / MSE |")
    print("|---|---|---|---|---|---|")
    for size in (256, 1024):
        t = step_ratios(size, 3 * repeats)
        print(f"| {size} | {t['mse'] * 1e3:.1f} ms | {t['triplet'] * 1e3:.1f} ms | {t['mse+triplet'] * 1e3:.1f} ms | "
              f"{t['triplet'] / t['mse']:.2f}x | {t['mse+triplet'] / t['mse']:.2f}x |", flush=True)
        rows.append(result(f"batch-all loss vs MLP MSE step, batch {size}", t["triplet"] * 1e3, "ms",
                           f"loss / MSE step: {t['triplet'] / t['mse']:.2f}x"))
        rows.append(result(f"MSE + triplet step, batch {size}", t["mse+triplet"] * 1e3, "ms",
                           f"/ MSE step: {t['mse+triplet'] / t['mse']:.2f}x"))
    save(args.json, rows)


if __name__ == "__main__":
    main()
