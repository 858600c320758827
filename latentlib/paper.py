"""The paper's reported numbers, and the field's reference scores: the only place in the
project where anyone else's results are typed.

Table I (IV-B2) and Table II (IV-B3) report the silhouette score (SS) of K-Means
clusters of MNIST embeddings, as mean +- std over an unstated number of runs. The
"autoencoder latent space" column of Table II repeats Table I's triplet column (same
runs; two of its stds differ as printed). The paper states no architecture, epochs,
batch size, margin, number of seeds, or whether train or test embeddings were scored.
"""

from __future__ import annotations

import pandas as pd

EMBEDDING_SIZES = (4, 8, 16, 32)

# Table I: SS with MSE + triplet loss, SS with MSE only: size -> (mean, std)
TABLE_I = {
    "triplet": {4: (0.672, 0.004), 8: (0.623, 0.002), 16: (0.616, 0.003), 32: (0.576, 0.003)},
    "mse": {4: (0.534, 0.001), 8: (0.532, 0.028), 16: (0.523, 0.011), 32: (0.513, 0.006)},
}

# Table II: SS of PCA (a single number) and of the autoencoder latent space
TABLE_II = {
    "pca": {4: (0.2444, None), 8: (0.185, None), 16: (0.132, None), 32: (0.0988, None)},
    "autoencoder": {4: (0.672, 0.004), 8: (0.623, 0.002), 16: (0.616, 0.011), 32: (0.576, 0.006)},
}

# Deep clustering on MNIST (70k images): ACC (Hungarian), NMI, ARI as published
DEEP_CLUSTERING_MNIST = [
    {"method": "K-Means on raw pixels", "acc": 0.53, "nmi": 0.50, "ari": 0.37},
    {"method": "AE (784-500-500-2000-10) + K-Means", "acc": 0.879, "nmi": 0.807, "ari": 0.783},
    {"method": "DEC (Keras re-implementation)", "acc": 0.912, "nmi": 0.869, "ari": 0.856},
    {"method": "VaDE", "acc": 0.945, "nmi": None, "ari": None},
    {"method": "N2D (AE + UMAP + GMM), released weights", "acc": 0.979, "nmi": 0.942, "ari": None},
    {"method": "N2D retrained from its script (n_neighbors 20)", "acc": 0.836, "nmi": None, "ari": None},
    {"method": "DEC-DA", "acc": 0.985, "nmi": 0.960, "ari": None},
]


def paper_table(table: str) -> pd.DataFrame:
    """Table ``"I"`` or ``"II"`` as a frame: one row per embedding size, columns
    ``<column>_mean`` and ``<column>_std`` (std NaN where the paper gives none)."""
    source = {"I": TABLE_I, "II": TABLE_II}.get(table)
    if source is None:
        raise ValueError(f"table must be 'I' or 'II', got {table!r}")
    rows = []
    for size in EMBEDDING_SIZES:
        row: dict[str, float | int | None] = {"embedding_size": size}
        for column, values in source.items():
            mean, std = values[size]
            row[f"{column}_mean"] = mean
            row[f"{column}_std"] = std if std is not None else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("embedding_size")


def deep_clustering_mnist() -> pd.DataFrame:
    """The field's published MNIST clustering scores (not reproduced here)."""
    return pd.DataFrame(DEEP_CLUSTERING_MNIST).set_index("method")
