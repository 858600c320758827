"""Clustering metrics as pure functions ``(X or labels, labels) -> float``.

scikit-learn provides NMI and ARI; clustering accuracy (the best one-to-one matching of
clusters to classes, Hungarian algorithm) is written here, and so is the silhouette's
exact sum: scikit-learn's ``silhouette_score`` adds each row's distances per cluster in a
Python loop, which was the book's largest cost after training (benchmarks/silhouette.py);
here the per-cluster sums are one matrix product per block of rows, in float64. The
score is the same (tests check it against scikit-learn).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm


def _labels(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {array.shape}")
    return array


def contingency(y_true: np.ndarray, y_pred: np.ndarray, *, classes: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(table, classes, clusters)``: items per (class, cluster), rows ``classes``
    (default: the classes present) and columns the distinct cluster ids."""
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred differ in length: {len(y_true)} vs {len(y_pred)}")
    classes = np.unique(y_true) if classes is None else np.asarray(classes)
    clusters = np.unique(y_pred)
    table = np.array([[np.sum((y_true == c) & (y_pred == k)) for k in clusters] for c in classes],
                     dtype=np.int64).reshape(len(classes), len(clusters))
    return table, classes, clusters


def match_clusters(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The one-to-one map of rows (classes) to columns (clusters) that maximises the
    matched count (Hungarian algorithm): ``(rows, cols)`` as from linear_sum_assignment."""
    return linear_sum_assignment(table, maximize=True)


def cluster_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Accuracy under the best one-to-one map of predicted clusters to true classes.

    Builds the class x cluster contingency table and maximises the matched count with
    :func:`match_clusters` (the usual deep-clustering "ACC"). Clusters left unmatched
    (more clusters than classes) count as errors.
    """
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if len(y_true) == 0:
        raise ValueError("y_true is empty")
    table, _, _ = contingency(y_true, y_pred)
    rows, cols = match_clusters(table)
    return float(table[rows, cols].sum() / len(y_true))


def nmi(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Normalized mutual information (arithmetic mean normalisation, scikit-learn's default)."""
    return float(skm.normalized_mutual_info_score(_labels("y_true", y_true), _labels("y_pred", y_pred)))


def ari(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Adjusted Rand index."""
    return float(skm.adjusted_rand_score(_labels("y_true", y_true), _labels("y_pred", y_pred)))


def silhouette(x: np.ndarray, labels: np.ndarray, *, sample_size: int | None = None, seed: int = 0) -> float:
    """Mean silhouette coefficient of ``labels`` on points ``x`` (the paper's SS).

    Returns NaN when fewer than two distinct clusters exist (a collapsed embedding),
    where the score is undefined. Past ``sample_size`` points a fixed random subset is
    scored, since the exact score costs O(n^2).
    """
    x = np.asarray(x)
    labels = _labels("labels", labels)
    if len(x) != len(labels):
        raise ValueError(f"x and labels differ in length: {len(x)} vs {len(labels)}")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinity (a diverged embedding?): the silhouette is undefined")
    if sample_size is not None and sample_size < len(labels):
        # the subset scikit-learn's silhouette_score(..., sample_size, random_state=seed) draws
        keep = np.random.RandomState(seed).permutation(len(labels))[:sample_size]
        x, labels = x[keep], labels[keep]
    _, cluster, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    if len(sizes) < 2 or len(sizes) >= len(labels):
        return float("nan")
    return float(_silhouette_samples(x.reshape(len(x), -1), cluster.ravel(), sizes).mean())


#: distances held at once while summing them per cluster (bytes, float64)
_BLOCK_BYTES = 64 * 1024**2


def _silhouette_samples(x: np.ndarray, cluster: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each point's silhouette: ``(b - a) / max(a, b)`` with ``a`` the mean distance to
    the rest of its cluster and ``b`` the smallest mean distance to another cluster; 0 in
    a cluster of one (scikit-learn's convention)."""
    points = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    members = torch.nn.functional.one_hot(torch.from_numpy(cluster), len(sizes)).to(torch.float64)
    sums = torch.empty(len(points), len(sizes), dtype=torch.float64)
    rows = max(1, _BLOCK_BYTES // (8 * len(points)))
    for start in range(0, len(points), rows):
        block = torch.cdist(points[start:start + rows], points, compute_mode="use_mm_for_euclid_dist")
        sums[start:start + rows] = block @ members
    own = torch.from_numpy(cluster)
    size = torch.from_numpy(sizes).to(torch.float64)
    rest = (size[own] - 1).clamp(min=1)
    a = sums.gather(1, own[:, None]).squeeze(1) / rest
    means = sums / size
    means.scatter_(1, own[:, None], float("inf"))
    b = means.min(dim=1).values
    scores = torch.nan_to_num((b - a) / torch.maximum(a, b))
    return torch.where(size[own] > 1, scores, torch.zeros_like(scores)).numpy()
