"""Clustering metrics as pure functions ``(X or labels, labels) -> float``.

scikit-learn provides silhouette, NMI and ARI; only clustering accuracy (the best
one-to-one matching of clusters to classes, Hungarian algorithm) is written here.
"""

from __future__ import annotations

import numpy as np
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
    n_clusters = len(np.unique(labels))
    if n_clusters < 2 or n_clusters >= len(labels):
        return float("nan")
    if sample_size is not None and sample_size < len(labels):
        return float(skm.silhouette_score(x, labels, sample_size=sample_size, random_state=seed))
    return float(skm.silhouette_score(x, labels))
