"""The paper's reported numbers, and the field's reference scores: the only place in the
project where anyone else's results are typed.

Table I (IV-B2) and Table II (IV-B3) of the paper report the silhouette score (SS) of K-Means
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

# Deep clustering on MNIST (70k images): ACC (Hungarian), NMI, ARI as published. Where a
# row's exact table could not be checked offline, ``where`` says so.
DEEP_CLUSTERING_MNIST = [
    {"method": "K-Means on raw pixels", "acc": 0.53, "nmi": 0.50, "ari": 0.37,
     "source": "baseline row of the deep-clustering comparisons (e.g. Guo et al. 2017, IDEC, IJCAI)",
     "where": "comparison table; ARI not checked offline"},
    {"method": "AE (784-500-500-2000-10) + K-Means", "acc": 0.879, "nmi": 0.807, "ari": 0.783,
     "source": "autoencoder + K-Means baseline of the DEC line of work (Xie et al. 2016, ICML)",
     "where": "comparison table; not checked offline"},
    {"method": "DEC (Keras re-implementation)", "acc": 0.912, "nmi": 0.869, "ari": 0.856,
     "source": "X. Guo, DEC-keras (public re-implementation of Xie et al. 2016)", "where": "its README's results"},
    {"method": "VaDE", "acc": 0.945, "nmi": None, "ari": None,
     "source": "Jiang et al. 2017, Variational Deep Embedding, IJCAI", "where": "Table 2 (94.46 %)"},
    {"method": "N2D (AE + UMAP + GMM), released weights", "acc": 0.979, "nmi": 0.942, "ari": None,
     "source": "McConville et al. 2020, N2D: (Not Too) Deep Clustering, ICPR (arXiv 1908.05968)",
     "where": "MNIST results table"},
    {"method": "N2D retrained from its script (n_neighbors 20)", "acc": 0.836, "nmi": None, "ari": None,
     "source": "a re-run of the N2D authors' public script with n_neighbors 20 (not a publication)",
     "where": "not a publication; with n_neighbors 10, as in the paper, the gap closed"},
    {"method": "DEC-DA", "acc": 0.985, "nmi": 0.960, "ari": None,
     "source": "Guo et al. 2018, Deep Embedded Clustering with Data Augmentation, ACML", "where": "Table 2"},
]

#: figures quoted in chapter 04 (UrbanSound8K), with their sources
URBANSOUND = {
    "random_split_accuracy": {
        "value": (0.84, 0.98),
        "what": "a supervised classifier's accuracy on the official folds vs on a random split of the clips",
        "source": "Salamon, Jacoby & Bello 2014, A Dataset and Taxonomy for Urban Sound Research, ACM MM "
                  "(the dataset's advice: never reshuffle the folds)",
        "where": "figures as commonly reported for that mistake; not checked offline",
    },
    "sb_cnn_accuracy": {
        "value": (0.73, 0.79),
        "what": "SB-CNN accuracy on the official 10 folds, without and with data augmentation",
        "source": "Salamon & Bello 2017, Deep Convolutional Neural Networks and Data Augmentation for "
                  "Environmental Sound Classification, IEEE Signal Processing Letters",
        "where": "results section (mean accuracy over the 10 folds)",
    },
}


def quoted(group: dict, key: str) -> dict:
    """One quoted figure (``value``, ``what``, ``source``, ``where``)."""
    if key not in group:
        raise KeyError(f"key must be one of {sorted(group)}, got {key!r}")
    return group[key]


def as_percent(value: float) -> str:
    return f"{value:.0%}"


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


def tables_disagree() -> list[tuple[int, tuple[float, float], tuple[float, float]]]:
    """(size, Table I's triplet value, Table II's autoencoder value) wherever the two differ:
    Table II's autoencoder column repeats Table I's triplet runs, so any difference is the
    paper's own inconsistency."""
    return [(size, TABLE_I["triplet"][size], TABLE_II["autoencoder"][size]) for size in EMBEDDING_SIZES
            if TABLE_I["triplet"][size] != TABLE_II["autoencoder"][size]]


def _printed(value: tuple[float, float | None]) -> str:
    mean, std = value
    return f"{mean:.3f}" + (f" ± {std:.3f}" if std is not None else "")


def inconsistency_note() -> str:
    """A note for where the paper's Tables I and II are shown: where they disagree with
    each other (empty when they agree)."""
    found = tables_disagree()
    if not found:
        return ""
    table_ii = " and ".join(f"{_printed(two)} (d = {size})" for size, _, two in found)
    table_i = " and ".join(_printed(one) for _, one, _ in found)
    return (f"_Note: the paper disagrees with itself here. Its Table II's autoencoder column repeats the runs of "
            f"its Table I's triplet column, yet gives {table_ii} where Table I gives {table_i}. Each table is "
            "shown as printed; which std is right, the paper does not say._")


def deep_clustering_mnist(*, sources: bool = True) -> pd.DataFrame:
    """The field's published MNIST clustering scores (not reproduced here), with the
    source of each row unless ``sources`` is false."""
    frame = pd.DataFrame(DEEP_CLUSTERING_MNIST).set_index("method")
    return frame if sources else frame.drop(columns=["source", "where"])


def n2d_published() -> dict[str, float]:
    """N2D's published ACC with its released weights, and a re-run of its script."""
    rows = {r["method"]: r["acc"] for r in DEEP_CLUSTERING_MNIST}
    return {"released": rows["N2D (AE + UMAP + GMM), released weights"],
            "retrained": rows["N2D retrained from its script (n_neighbors 20)"]}
