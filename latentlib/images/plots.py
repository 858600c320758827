"""Figures of the image chapters: the paper's Fig. 3 redrawn, reconstructions, clusters vs digits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from latentlib.evaluation.metrics import contingency, match_clusters
from latentlib.book.display import SMALLEST_FONT, ensure_setup
from latentlib.book.plots import COLUMN_WIDTH, project_2d, scatter_by_class, subsample


def class_mean_codes(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean embedding per class, each dimension standardised over the data (class x d)."""
    scaled = (z - z.mean(0)) / (z.std(0) + 1e-8)
    return np.stack([scaled[labels == c].mean(0) for c in np.unique(labels)])


def plot_latent_views(embeddings: Mapping[int, np.ndarray], labels: np.ndarray, *,
                      class_names: Sequence[str] | None = None, max_points: int = 2000,
                      seed: int = 0) -> plt.Figure:
    """Paper Fig. 3 analogue: per embedding size, the latent code (class-mean heatmap)
    beside 2-D views of the embedding (PCA and t-SNE; the latent itself when d = 2)."""
    ensure_setup()
    sizes = list(embeddings)
    fig, axes = plt.subplots(len(sizes), 3, figsize=(COLUMN_WIDTH, 2.4 * len(sizes)),
                             gridspec_kw={"width_ratios": [1.1, 1, 1]}, squeeze=False)
    keep = subsample(len(labels), max_points, seed)
    for index, (row, size) in enumerate(zip(axes, sizes)):
        z = embeddings[size]
        codes = class_mean_codes(z, labels)
        sns.heatmap(codes, ax=row[0], cmap="vlag", center=0, cbar=False,
                    yticklabels=list(class_names) if class_names is not None else "auto",
                    xticklabels=size <= 8)  # more labels would not fit a third of the column
        row[0].set_title(f"d = {size}: class means")
        row[0].set_xlabel("latent dimension")
        if size <= 2:
            scatter_by_class(row[1], z[keep], labels[keep], title="d = 2: the latent",
                             class_names=class_names, legend=index == 0)
            row[2].axis("off")
            row[2].text(0.5, 0.5, "d = 2: the latent\nis already 2-D", ha="center", va="center")
            continue
        scatter_by_class(row[1], project_2d(z[keep], "pca", seed=seed), labels[keep],
                         title=f"d = {size}: PCA", class_names=class_names, legend=index == 0)
        scatter_by_class(row[2], project_2d(z[keep], "tsne", seed=seed), labels[keep],
                         title=f"d = {size}: t-SNE", class_names=class_names)
    fig.tight_layout()
    return fig


def plot_reconstructions(originals: np.ndarray, reconstructions: Mapping[int, np.ndarray], *,
                         n: int = 10) -> plt.Figure:
    """Rows: the originals, then the reconstruction at each embedding size."""
    ensure_setup()
    rows = [("input", originals[:n])] + [(f"d = {k}", v[:n]) for k, v in reconstructions.items()]
    fig, axes = plt.subplots(len(rows), n, figsize=(COLUMN_WIDTH * 0.85, len(rows) * COLUMN_WIDTH * 0.85 / n),
                             squeeze=False)
    for (title, images), line in zip(rows, axes):
        for image, ax in zip(images, line):
            ax.imshow(np.squeeze(image), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        line[0].set_ylabel(title, rotation=0, ha="right", va="center")
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def plot_contingency(y_true: np.ndarray, y_cluster: np.ndarray, *, title: str = "",
                     class_names: Sequence[str] | None = None) -> plt.Figure:
    """Share of each class (row) in each cluster (column), the clusters ordered by the
    Hungarian match to the classes, so a perfect clustering is the diagonal."""
    ensure_setup()
    table, classes, clusters = contingency(y_true, y_cluster)
    rows, cols = match_clusters(table)
    order = list(cols[np.argsort(rows)]) + [c for c in range(len(clusters)) if c not in cols]
    shares = table[:, order] / table.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 5.6))
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    sns.heatmap(shares, ax=ax, cmap="Blues", vmin=0, vmax=1, annot=True, fmt=".2f", annot_kws={"size": SMALLEST_FONT},
                xticklabels=[f"c{i}" for i in range(len(order))], yticklabels=names,
                cbar_kws={"label": "share of the class"})
    ax.set_xlabel("cluster (matched to the class on the diagonal)")
    ax.set_ylabel("class")
    ax.set_title(title)
    fig.tight_layout()
    return fig
