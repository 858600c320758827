"""Figures of the audio chapter: spectrograms, the embedding map, the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from latentlib.audio.features import FeatureConfig
from latentlib.book.display import SMALLEST_FONT
from latentlib.book.plots import COLUMN_WIDTH, project_2d


def _specshow(ax: plt.Axes, features: np.ndarray, config: FeatureConfig, *, title: str):
    import librosa.display

    # back from the [0, 1] scaling to decibels relative to the clip's peak
    decibels = np.squeeze(features) * config.top_db - config.top_db
    image = librosa.display.specshow(decibels, sr=config.sample_rate, hop_length=config.hop_length,
                                     x_axis="time", y_axis="mel", ax=ax, vmin=-config.top_db, vmax=0,
                                     cmap="magma")
    ax.set_title(title, fontsize=SMALLEST_FONT)
    ax.label_outer()
    return image


def plot_class_spectrograms(x: np.ndarray, labels: np.ndarray, *, class_names: Sequence[str],
                            config: FeatureConfig, per_class: int = 2, columns: int | None = None,
                            titles: Sequence[str] | None = None) -> plt.Figure:
    """``per_class`` example log-mel spectrograms (the first of each class), class after
    class, ``columns`` panels a row (default ``per_class``: one row per class)."""
    classes = [c for c in range(len(class_names)) if np.any(labels == c)]
    panels = [(c, index) for c in classes for index in np.flatnonzero(labels == c)[:per_class]]
    columns = columns or per_class
    rows = max(1, -(-len(panels) // columns))
    # a column-wide figure (readable on a phone): panels share the width, titles on two lines
    width = COLUMN_WIDTH / columns
    fig, axes = plt.subplots(rows, columns, figsize=(COLUMN_WIDTH, (0.75 * width + 0.5) * rows), squeeze=False,
                             sharex=True, sharey=True)
    image = None
    for ax, (c, index) in zip(axes.flat, panels):
        title = f"{class_names[c]}" + (f"\n{titles[index]}" if titles is not None else "")
        image = _specshow(ax, x[index], config, title=title)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    if image is not None:
        fig.colorbar(image, ax=axes, format="%+2.0f dB", shrink=0.6, label="dB relative to the clip's peak")
    return fig


def plot_reconstruction_pairs(originals: np.ndarray, reconstructions: np.ndarray, *, config: FeatureConfig,
                              titles: Sequence[str]) -> plt.Figure:
    """Held-out spectrograms (top) and the autoencoder's reconstructions (bottom)."""
    n = len(originals)
    fig, axes = plt.subplots(2, n, figsize=(COLUMN_WIDTH, 4.6), squeeze=False, sharex=True, sharey=True)
    for i in range(n):
        _specshow(axes[0, i], originals[i], config, title=f"input:\n{titles[i]}")
        _specshow(axes[1, i], reconstructions[i], config, title="reconstruction")
    fig.tight_layout()
    return fig


def class_styles(class_names: Sequence[str]) -> tuple[dict[str, tuple], dict[str, str]]:
    """Colour and marker per class: seaborn's "colorblind" palette (10 colours), each round of
    ten classes with its own marker, so no two classes look alike."""
    colours = sns.color_palette("colorblind", 10)
    markers = ("o", "X", "s", "^", "D")
    return ({name: colours[k % 10] for k, name in enumerate(class_names)},
            {name: markers[(k // 10) % len(markers)] for k, name in enumerate(class_names)})


def plot_embedding_map(z: np.ndarray, labels: np.ndarray, *, class_names: Sequence[str],
                       seed: int = 0) -> plt.Figure:
    """The held-out embeddings in 2-D (PCA and t-SNE): colour (and past ten classes, the
    marker) = class."""
    fig, axes = plt.subplots(2, 1, figsize=(COLUMN_WIDTH * 0.8, 8.4))
    names = np.asarray(class_names)[labels]
    present = [name for name in class_names if name in set(names)]
    colours, markers = class_styles(class_names)
    for ax, method in zip(axes, ("pca", "tsne")):
        points = project_2d(z, method, seed=seed)
        sns.scatterplot(x=points[:, 0], y=points[:, 1], hue=names, hue_order=present, style=names,
                        style_order=present, markers={n: markers[n] for n in present},
                        palette={n: colours[n] for n in present}, s=40, alpha=0.85, linewidth=0.3, ax=ax,
                        legend=method == "tsne")
        ax.set_title(f"{'PCA' if method == 'pca' else 't-SNE'} of the pooled embeddings", fontsize=SMALLEST_FONT)
        ax.set_xticks([])
        ax.set_yticks([])
    sns.move_legend(axes[1], "center left", bbox_to_anchor=(1, 0.5), fontsize=SMALLEST_FONT, frameon=False,
                    title="class", title_fontsize=SMALLEST_FONT)
    fig.tight_layout()
    return fig


def plot_confusion(table: pd.DataFrame, *, title: str = "held-out clips per class and K-Means cluster") -> plt.Figure:
    """Class x cluster counts, each row normalised to the class's share (numbers = clips)."""
    shares = table.div(table.sum(axis=1).replace(0, 1), axis=0)
    # never wider than the text column, so a phone shrinks it no more than the book's other figures
    fig, ax = plt.subplots(figsize=(min(COLUMN_WIDTH, 1.6 + 0.4 * table.shape[1]), 1.2 + 0.4 * table.shape[0]))
    sns.heatmap(shares, annot=table.to_numpy(), fmt="d", cmap="Blues", vmin=0, vmax=1, cbar_kws={
        "label": "share of the class"}, annot_kws={"fontsize": SMALLEST_FONT}, ax=ax)
    ax.set_title(title, fontsize=SMALLEST_FONT, wrap=True)
    ax.set_xlabel("cluster (ordered by its best-matching class)")
    ax.set_ylabel("class")
    fig.tight_layout()
    return fig
