"""Probes of an embedding: how much label information its neighbourhoods and directions hold.

Unlike the clustering scores, a probe reads the embedding *with* the labels: it asks
whether same-class points are near each other (k-nearest neighbours) or on one side of
a hyperplane (logistic regression), not whether K-Means can cut the space into classes.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.preprocessing import StandardScaler


def knn_accuracy(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray,
                 *, n_neighbors: int = 5) -> float:
    """Test accuracy of a k-nearest-neighbour classifier fitted on the training embeddings."""
    if n_neighbors > len(z_train):
        raise ValueError(f"n_neighbors={n_neighbors} exceeds the {len(z_train)} training embeddings")
    model = KNeighborsClassifier(n_neighbors=n_neighbors).fit(z_train, y_train)
    return float((model.predict(z_test) == np.asarray(y_test)).mean())


def linear_probe(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray,
                 *, seed: int = 0) -> float:
    """Test accuracy of a logistic regression fitted on the standardised training embeddings."""
    scaler = StandardScaler().fit(z_train)
    model = LogisticRegression(max_iter=2000, random_state=seed).fit(scaler.transform(z_train), y_train)
    return float(model.score(scaler.transform(z_test), y_test))


def nearest_neighbours(z: np.ndarray, query: int, *, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and Euclidean distances of the ``k`` nearest other points to ``z[query]``."""
    k = min(k, len(z) - 1)
    distances, indices = NearestNeighbors(n_neighbors=k + 1).fit(z).kneighbors(z[query : query + 1])
    others = indices[0] != query
    return indices[0][others][:k], distances[0][others][:k]


def neighbour_precision(z: np.ndarray, y_true: np.ndarray, *, k: int) -> float:
    """Mean fraction of each point's ``k`` nearest neighbours (itself excluded) sharing its
    class: a leave-one-out kNN probe within one set of embeddings."""
    k = min(k, len(z) - 1)
    if k < 1:
        return float("nan")
    _, indices = NearestNeighbors(n_neighbors=k + 1).fit(z).kneighbors(z)
    neighbours = indices[:, 1:]  # column 0 is the point itself (ties aside)
    return float(np.mean(y_true[neighbours] == y_true[:, None]))
