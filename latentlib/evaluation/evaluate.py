"""Encode -> cluster -> score: how every embedding in the book is judged."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans

from latentlib.evaluation import metrics
from latentlib.training.precision import autocast


@torch.no_grad()
def encode(model: torch.nn.Module, x: np.ndarray, *, batch_size: int = 2048,
           precision: str = "fp32") -> np.ndarray:
    """Embeddings of ``x`` (float32 inputs) from ``model.encode``, as a float32 NumPy
    array, computed in ``precision`` (``"bf16"``: autocast, as the fit trained)."""
    device = next(model.parameters()).device
    model.eval()
    with autocast(device, precision):  # bf16 outputs become float32 below: NumPy has no bfloat16
        parts = [
            model.encode(torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size])).to(device)).float().cpu()
            for i in range(0, len(x), batch_size)
        ]
    return torch.cat(parts).numpy()


@torch.no_grad()
def reconstruct(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    device = next(model.parameters()).device
    model.eval()
    reconstruction, _ = model(torch.from_numpy(np.ascontiguousarray(x)).to(device))
    return reconstruction.cpu().numpy()


def kmeans_labels(z: np.ndarray, *, n_clusters: int, seed: int) -> np.ndarray:
    """K-Means cluster ids (10 restarts, fixed seed)."""
    return KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(z)


def score_clusters(z: np.ndarray, y_true: np.ndarray, y_cluster: np.ndarray,
                   *, silhouette_sample: int | None = None, seed: int = 0) -> dict[str, float]:
    """Silhouette (the paper's metric) plus the deep-clustering field's ACC, NMI, ARI.

    ``n_clusters_found`` is reported because silhouette alone is easy to fool: a
    collapsed embedding can score near 1 with only two distinct clusters.
    """
    return {
        "silhouette": metrics.silhouette(z, y_cluster, sample_size=silhouette_sample, seed=seed),
        "acc": metrics.cluster_accuracy(y_true, y_cluster),
        "nmi": metrics.nmi(y_true, y_cluster),
        "ari": metrics.ari(y_true, y_cluster),
        "n_clusters_found": int(len(np.unique(y_cluster))),
    }


def evaluate_embedding(z: np.ndarray, y_true: np.ndarray, *, n_clusters: int, seed: int = 0,
                       silhouette_sample: int | None = None) -> dict[str, float]:
    """Cluster ``z`` with K-Means and score the clusters against ``y_true``."""
    y_cluster = kmeans_labels(z, n_clusters=n_clusters, seed=seed)
    return score_clusters(z, y_true, y_cluster, silhouette_sample=silhouette_sample, seed=seed)
