"""How far the training step is from the machine's limit, and silhouette at full size.

1. ``matmul``: the fp32 matmul peak (a large ``torch.mm``, GFLOP/s) with 1 and 2
   threads, then the MLP autoencoder's (784-512-256-16) Adam step on MSE and on
   MSE + batch-all triplet at batch 256 and 1024 as a fraction of that peak. A step's
   work is counted as 6 x (parameters of its linear layers) x batch FLOPs (forward 2,
   backward 4); the triplet term adds no matmul work, so its fraction shows its cost.
   Each thread count runs in a fresh process (torch fixes its thread pool at start),
   with ``OMP_WAIT_POLICY=PASSIVE`` as the chapters run. The peak is the fastest of the
   repeats, the steps their median.
2. ``silhouette``: sklearn's ``silhouette_samples`` (it computes distances in chunks)
   vs the library's (``latentlib.evaluation.metrics``), on random 16-d embeddings in 10 clusters,
   N = 10,000 and 70,000 (sklearn takes about two minutes at 70,000 on one thread):
   seconds, the peak memory each adds (each in a fresh process, one thread) and the
   largest difference between their per-sample values.

    python benchmarks/limits.py [--quick] [--part matmul|silhouette]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

from _common import add_options, median_seconds, mlp_step, peak_rss_mb, result, save


def matmul_gflops(n: int, repeats: int) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    # a peak is a best case: the fastest repeat, not the median
    return 2 * n ** 3 / median_seconds(lambda: torch.mm(a, b), repeats, warmup=2, best=True) / 1e9


def step_gflops(size: int, with_triplet: bool, repeats: int) -> float:
    step = mlp_step(size)
    linear = sum(p.numel() for m in step.model.modules() if isinstance(m, nn.Linear) for p in m.parameters())
    return 6 * linear * size / median_seconds(lambda: step(with_triplet), repeats) / 1e9


def silhouette_torch(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-sample silhouette as the library computes it (:mod:`latentlib.evaluation.metrics`:
    float64 distance blocks of 64 MB, summed per cluster by one matrix product): the full
    N x N matrix would take 39 GB at N = 70,000."""
    from latentlib.evaluation.metrics import _silhouette_samples

    _, cluster, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    return _silhouette_samples(x, cluster.ravel(), sizes)


def clusters(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n)
    centers = 2 * rng.standard_normal((10, 16))
    return (centers[labels] + rng.standard_normal((n, 16))).astype(np.float32), labels


def silhouette_worker(implementation: str, n: int) -> dict:
    from sklearn.metrics import silhouette_samples

    x, labels = clusters(n)
    before = peak_rss_mb()
    start = time.perf_counter()
    values = silhouette_samples(x, labels) if implementation == "sklearn" else silhouette_torch(x, labels)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_rss_mb() - before, "values": values.tolist()}


def matmul_worker(quick: bool) -> dict:
    repeats = 5 if quick else 9
    out = {"peak": matmul_gflops(2048, repeats)}
    for size in (256, 1024):
        for with_triplet in (False, True):
            out[f"{size} {'mse+triplet' if with_triplet else 'mse'}"] = step_gflops(size, with_triplet, 3 * repeats)
    return out


def in_fresh_process(threads: int, *worker_args: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    out = subprocess.run([sys.executable, __file__, "--worker", *worker_args], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def matmul_part(quick: bool) -> list[dict[str, str]]:
    rows = []
    print("| threads | fp32 matmul peak | MSE step 256 | MSE + triplet 256 | MSE step 1024 | MSE + triplet 1024 |")
    print("|---|---|---|---|---|---|")
    for threads in (1, 2):
        got = in_fresh_process(threads, "matmul", str(quick))
        cells = [f"{got[k]:.1f} GFLOP/s ({got[k] / got['peak']:.0%})" for k in
                 ("256 mse", "256 mse+triplet", "1024 mse", "1024 mse+triplet")]
        print(f"| {threads} | {got['peak']:.1f} GFLOP/s | " + " | ".join(cells) + " |", flush=True)
        rows.append(result(f"fp32 matmul peak, {threads} thread(s)", got["peak"], "GFLOP/s"))
        for key in ("256 mse", "256 mse+triplet", "1024 mse", "1024 mse+triplet"):
            size, kind = key.split()
            rows.append(result(f"MLP {kind.replace('mse', 'MSE')} step, batch {size}, {threads} thread(s)",
                               got[key], "GFLOP/s", f"of peak: {got[key] / got['peak']:.0%}"))
    return rows


def silhouette_part(quick: bool) -> list[dict[str, str]]:
    rows = []
    print("| N | sklearn | latentlib | sklearn / latentlib | memory sklearn | memory latentlib | max abs difference |")
    print("|---|---|---|---|---|---|---|")
    for n in (10_000,) if quick else (10_000, 70_000):
        ours = in_fresh_process(1, "silhouette", "torch", str(n))
        theirs = in_fresh_process(1, "silhouette", "sklearn", str(n))
        difference = float(np.abs(np.array(ours["values"]) - np.array(theirs["values"])).max())
        speedup = theirs["seconds"] / ours["seconds"]
        print(f"| {n:,} | {theirs['seconds']:.1f} s | {ours['seconds']:.1f} s | {speedup:.1f}x | "
              f"{theirs['peak_mb']:.0f} MB | {ours['peak_mb']:.0f} MB | {difference:.1e} |", flush=True)
        rows.append(result(f"silhouette N = {n:,}, sklearn (1 thread)", theirs["seconds"], "s",
                           f"peak memory added {theirs['peak_mb']:.0f} MB"))
        rows.append(result(f"silhouette N = {n:,}, latentlib (1 thread)", ours["seconds"], "s",
                           f"sklearn / latentlib: {speedup:.1f}x; max abs diff {difference:.1e}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("matmul", "silhouette"), help="one part only (default both)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    add_options(parser)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        got = matmul_worker(rest[0] == "True") if kind == "matmul" else silhouette_worker(rest[0], int(rest[1]))
        print(json.dumps(got))
        return
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs")
    rows = []
    if args.part in (None, "matmul"):
        rows += matmul_part(args.quick)
    if args.part in (None, "silhouette"):
        rows += silhouette_part(args.quick)
    save(args.json, rows)


if __name__ == "__main__":
    main()
