"""Linear-free probes of an embedding: how much label information its neighbourhoods hold."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsClassifier


def knn_accuracy(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray,
                 *, n_neighbors: int = 5) -> float:
    """Test accuracy of a k-nearest-neighbour classifier fitted on the training embeddings.

    A supervised read-out: unlike the clustering scores it asks only whether same-class
    points are near each other, not whether K-Means can cut the space into the classes.
    """
    if n_neighbors > len(z_train):
        raise ValueError(f"n_neighbors={n_neighbors} exceeds the {len(z_train)} training embeddings")
    model = KNeighborsClassifier(n_neighbors=n_neighbors).fit(z_train, y_train)
    return float((model.predict(z_test) == np.asarray(y_test)).mean())
