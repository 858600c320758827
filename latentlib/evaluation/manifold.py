"""N2D-style clustering (McConville et al.): autoencoder embedding -> UMAP -> GMM or K-Means.

UMAP keeps the local neighbourhoods of the embedding in a space of ``n_clusters``
dimensions, where a Gaussian mixture (N2D's choice) or K-Means finds the clusters. No
labels are used anywhere: this is the unsupervised state of the art the deep-clustering
field compares against.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

CLUSTERERS = ("gmm", "kmeans")


def umap_embedding(z: np.ndarray, *, n_components: int, n_neighbors: int = 10, min_dist: float = 0.0,
                   seed: int = 0) -> np.ndarray:
    """UMAP of ``z`` to ``n_components`` dimensions (seeded, hence single-threaded)."""
    import umap  # imported here: its numba compilation costs seconds at import time

    reducer = umap.UMAP(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
                        metric="euclidean", random_state=seed)
    with warnings.catch_warnings():  # "n_jobs overridden by setting random_state": intended
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        return reducer.fit_transform(np.asarray(z, dtype=np.float32))


def cluster_manifold(u: np.ndarray, *, n_clusters: int, method: str = "gmm", seed: int = 0) -> np.ndarray:
    """Cluster ids of the UMAP points ``u`` by a full-covariance GMM or K-Means."""
    if method == "gmm":
        return GaussianMixture(n_components=n_clusters, covariance_type="full",
                               random_state=seed).fit_predict(u)
    if method == "kmeans":
        return KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(u)
    raise ValueError(f"method must be one of {', '.join(map(repr, CLUSTERERS))}, got {method!r}")
