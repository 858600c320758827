"""Figures the chapters show (seaborn / matplotlib); each returns its Figure.

Importing this module sets nothing up: each function that makes a figure first calls
:func:`latentlib.book.display.ensure_setup` (the book's table format and 2x PNG figures,
registered once per notebook kernel; nothing outside a kernel)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from latentlib.book import display

#: the book's one colour-blind-safe palette (latentlib.book.display)
PALETTE = display.PALETTE
#: figures are drawn at the text column's width (or less), so a phone shrinks their text
#: no more than the book allows (sent as 2x PNG: latentlib.book.display)
COLUMN_WIDTH = display.FIGURE_WIDTH


def panel_grid(n: int, *, ncols: int = 2, height: float = 3.0,
               width: float = COLUMN_WIDTH) -> tuple[plt.Figure, list[plt.Axes]]:
    """``n`` panels, at most ``ncols`` per row, at the column's width; spare cells hidden."""
    display.ensure_setup()
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows), squeeze=False)
    flat = list(axes.ravel())
    for spare in flat[n:]:
        spare.set_visible(False)
    return fig, flat[:n]


def subsample(n: int, max_points: int, seed: int = 0) -> np.ndarray:
    """Fixed random indices of at most ``max_points`` out of ``n`` (sorted)."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def project_2d(z: np.ndarray, method: str = "pca", *, seed: int = 0) -> np.ndarray:
    """A 2-D view of ``z``: the embedding itself when d <= 2, else PCA or t-SNE."""
    if z.shape[1] <= 2:
        return z if z.shape[1] == 2 else np.column_stack([z[:, 0], np.zeros(len(z))])
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(z)
    if method == "tsne":
        perplexity = float(min(30, max(5, (len(z) - 1) // 3)))
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(z)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def scatter_by_class(ax: plt.Axes, points: np.ndarray, labels: np.ndarray, *, title: str,
                     class_names: Sequence[str] | None = None, legend: bool = False) -> None:
    display.ensure_setup()
    names = np.asarray(class_names)[labels] if class_names is not None else labels
    sns.scatterplot(x=points[:, 0], y=points[:, 1], hue=names, palette=PALETTE, s=6, linewidth=0,
                    ax=ax, legend=legend, hue_order=list(class_names) if class_names is not None else None)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    if legend:
        ax.legend(markerscale=2.5, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)


def plot_training_curves(histories: Mapping[str, Sequence[float]], *, ylabel: str = "train MSE") -> plt.Figure:
    display.ensure_setup()
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 3.5))
    for name, history in histories.items():
        ax.plot(np.arange(1, len(history) + 1), history, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --- Tables I and II: a metric against the embedding size, ours (mean ± std) beside the paper ---

def plot_metric_vs_size_with_paper(summary: pd.DataFrame, *, methods: Mapping[str, str],
                                   paper: pd.DataFrame | None = None,
                                   paper_columns: Mapping[str, str] | None = None,
                                   metric: str = "silhouette", ax: plt.Axes | None = None) -> plt.Figure:
    """Mean ± std over seeds of ``metric`` per size for each method (``methods`` maps our
    method name to its label), with the paper's points (``paper_columns`` maps a paper
    column to the method it matches) drawn as hollow markers in the same colour."""
    display.ensure_setup()
    if ax is None:
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 4.0))
    else:
        fig = ax.figure
    colours = dict(zip(methods, sns.color_palette(PALETTE, len(methods))))
    for method, label in methods.items():
        rows = summary.xs(method, level=0).sort_index()
        ax.errorbar(rows.index, rows[f"{metric}_mean"], yerr=rows[f"{metric}_std"].fillna(0), marker="o",
                    capsize=3, color=colours[method], label=f"{label} (ours)")
    for column, method in (paper_columns or {}).items():
        if paper is None or method not in colours:
            continue
        ax.errorbar(paper.index, paper[f"{column}_mean"], yerr=paper[f"{column}_std"].fillna(0), marker="s",
                    markerfacecolor="none", linestyle="--", capsize=3, color=colours[method],
                    label=f"the paper's {methods[method]}")
    sizes = set(summary.index.get_level_values(1).unique())
    if paper is not None and paper_columns:
        sizes |= set(paper.index)
    sizes = sorted(sizes)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes)
    ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    ax.set_xlabel("embedding size d")
    ax.set_ylabel(f"{metric} (test split)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_metric_panels(summary: pd.DataFrame, *, methods: Mapping[str, str],
                       metrics: Sequence[str] = ("silhouette", "acc", "nmi", "knn_acc")) -> plt.Figure:
    """One panel per metric, mean ± std over seeds against the embedding size."""
    fig, axes = panel_grid(len(metrics), height=3.0)
    for ax, metric in zip(axes, metrics):
        plot_metric_vs_size_with_paper(summary, methods=methods, metric=metric, ax=ax)
        ax.set_title(metric)
        ax.set_ylabel("")
        ax.get_legend().remove()
    fig.tight_layout()
    # one legend for every panel, under them: inside a half-column panel it would hide points
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(2, len(methods) * 2), frameon=False)
    return fig
