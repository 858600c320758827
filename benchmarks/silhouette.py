"""The silhouette score (the paper's SS, scored on every embedding the book makes):
scikit-learn's ``silhouette_score`` against :func:`latentlib.evaluation.metrics.silhouette`,
on the book's sizes (10,000 test points, 10 clusters, d = 4 to 32), one thread.

The two are timed in alternation, each repeat once each, and the medians compared, so
a machine that others share slows both alike.

    OMP_NUM_THREADS=1 python benchmarks/silhouette.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.metrics import silhouette_score

from latentlib.evaluation.metrics import silhouette


def points(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    centres = rng.normal(scale=2.0, size=(k, d))
    return (centres[labels] + rng.normal(size=(n, d))).astype(np.float32), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"| d | scikit-learn s | latentlib s | speed-up | abs. difference |\n|---|---|---|---|---|")
    for d in args.sizes:
        x, labels = points(args.n, d, 10)
        ours, theirs = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            reference = silhouette_score(x, labels)
            theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            score = silhouette(x, labels)
            ours.append(time.perf_counter() - start)
        a, b = statistics.median(theirs), statistics.median(ours)
        print(f"| {d} | {a:.2f} | {b:.2f} | {a / b:.1f}x | {abs(score - reference):.1e} |", flush=True)


if __name__ == "__main__":
    main()
