"""Figures of the text chapter (each returns its Figure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import LogLocator

from latentlib.training.fit import FitResult
from latentlib.book.display import SMALLEST_FONT
from latentlib.book.plots import COLUMN_WIDTH, panel_grid, subsample

#: seaborn's colour-blind palette: sentiment in its blue and orange, as the latent explorer
#: draws the two classes (never red against green)
PALETTE = "colorblind"


def class_colours(n: int) -> list:
    """The first ``n`` colours of :data:`PALETTE` (negative blue, positive orange)."""
    return sns.color_palette(PALETTE, n)


def plot_text_curves(fits: Mapping[str, FitResult], *, bar: float | None = None) -> plt.Figure:
    """Per epoch: reconstruction cross-entropy per token, teacher-forced token accuracy,
    the adversarial game (encoder's loss to fool D, D's own loss) where there is one, and,
    when the fits recorded it, the greedy known-word accuracy of held-out sentences with
    the reconstruction ``bar`` drawn across it."""
    monitored = any(np.isfinite(fit.curves.get("heldout_known_acc", [np.nan])).any() for fit in fits.values())
    fig, axes = panel_grid(4 if monitored else 3, ncols=1, height=2.6)
    for (name, fit), colour in zip(fits.items(), class_colours(len(fits))):
        epochs = np.arange(1, len(fit.curves["rec"]) + 1)
        axes[0].plot(epochs, fit.curves["rec"], label=name, color=colour, marker="o")
        axes[1].plot(epochs, fit.curves["token_acc"], label=name, color=colour, marker="o")
        if np.isfinite(fit.curves["adv"]).all():
            axes[2].plot(epochs, fit.curves["adv"], label=f"{name}: encoder fools D", color=colour, marker="o")
            axes[2].plot(epochs, fit.curves["disc"], label=f"{name}: D loss", linestyle="--", color=colour)
        if monitored:
            axes[3].plot(epochs, fit.curves.get("heldout_known_acc", [np.nan] * len(epochs)), label=name,
                         color=colour, marker="o")
    axes[2].axhline(np.log(2), color="grey", linewidth=0.8)
    axes[2].axhline(2 * np.log(2), color="grey", linewidth=0.8, linestyle="--")
    titles = ["reconstruction (nats / token)", "token accuracy (teacher forcing)",
              "adversarial losses (grey: chance, ln 2 and 2 ln 2)"]
    if monitored:
        titles.append("held-out known-word accuracy (greedy)" + (f"; grey: the bar, {bar:.0%}" if bar else ""))
        if bar:
            axes[3].axhline(bar, color="grey", linewidth=0.8)
    for ax, title in zip(axes, titles):
        ax.set_title(title, fontsize=SMALLEST_FONT)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=SMALLEST_FONT, frameon=False)
    fig.tight_layout()
    return fig


def plot_recorded_curves(curves: pd.DataFrame, *, bar: float) -> plt.Figure:
    """Held-out known-word accuracy against fit minutes for every recorded run's main pair
    (:func:`latentlib.text.findings.recorded_curves`): one panel per model (the DAAE, then
    the plain autoencoder), colour = run, one line per seed; the ``bar`` in grey."""
    runs = list(dict.fromkeys(curves["run"]))
    colours = dict(zip(runs, sns.color_palette(PALETTE, len(runs))))
    fig, axes = plt.subplots(2, 1, figsize=(COLUMN_WIDTH, 6.2), sharex=True, sharey=True)
    for ax, (kind, title) in zip(axes, (("daae", "DAAE"), ("ae", "plain autoencoder"))):
        part = curves[curves["kind"] == kind]
        for (run, seed), line in part.groupby(["run", "seed"], sort=False):
            ax.plot(line["fit minutes"], line["heldout_known_acc"], color=colours[run], marker=".", linewidth=1.2)
        ax.axhline(bar, color="grey", linewidth=0.8)
        ax.set_title(f"{title}: held-out known words after each epoch (grey: the bar, {bar:.0%})",
                     fontsize=SMALLEST_FONT)
        ax.set_ylabel("held-out known words")
        ax.grid(alpha=0.3)
    axes[-1].set_xscale("log")  # minutes for quick, an hour for the long runs
    axes[-1].xaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
    axes[-1].xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:g}"))
    axes[-1].xaxis.set_minor_formatter(plt.NullFormatter())
    axes[-1].set_xlabel("fit minutes (log scale; one CPU thread, as recorded)")
    handles = [plt.Line2D([], [], color=colours[run], marker=".", label=run) for run in runs]
    fig.legend(handles=handles, fontsize=SMALLEST_FONT, frameon=False, loc="upper center",
               bbox_to_anchor=(0.5, 0.0), ncol=1)
    fig.tight_layout()
    return fig


def plot_scores_by_size(table: pd.DataFrame, *, metrics: Sequence[str] = ("silhouette", "acc", "nmi"),
                        chance: float | None = None) -> plt.Figure:
    """One panel per metric against the reduced size; colour = representation, dashes =
    after removing the length direction. ``chance`` draws the majority-class rate on ACC."""
    fig, axes = panel_grid(len(metrics), ncols=1, height=2.4)
    for ax, metric in zip(axes, metrics):
        sns.lineplot(data=table, x="size", y=metric, hue="model", style="length_control", marker="o",
                     palette=PALETTE, ax=ax, legend=metric == metrics[-1])
        if metric == "acc" and chance is not None:
            ax.axhline(chance, color="grey", linewidth=0.8)
            ax.annotate("majority class", (table["size"].min(), chance), fontsize=SMALLEST_FONT, color="grey",
                        xytext=(0, 3), textcoords="offset points")
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(table["size"].unique()))
        ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
        ax.set_xlabel("size after PCA / SVD")
        ax.set_title(metric, fontsize=SMALLEST_FONT)
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=SMALLEST_FONT, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return fig


def plot_code_views(views: Mapping[str, np.ndarray], labels: np.ndarray, lengths: np.ndarray, *,
                    class_names: Sequence[str], max_points: int = 1500, seed: int = 0) -> plt.Figure:
    """For each representation, its first two principal components coloured by sentiment
    (left) and by sentence length (right)."""
    keep = subsample(len(labels), max_points, seed)
    # column-wide, so a phone shrinks it no more than the book's other figures
    fig, axes = plt.subplots(len(views), 2, figsize=(COLUMN_WIDTH, 2.6 * len(views)), squeeze=False)
    for row, (name, points) in zip(axes, views.items()):
        points = points[keep]
        sns.scatterplot(x=points[:, 0], y=points[:, 1], hue=np.asarray(class_names)[labels[keep]],
                        hue_order=list(class_names), palette=class_colours(len(class_names)), s=8, linewidth=0,
                        alpha=0.7, ax=row[0])
        row[0].legend(fontsize=SMALLEST_FONT, frameon=False, markerscale=2)
        row[0].set_title(f"{name}: PC1 vs PC2, by sentiment", fontsize=SMALLEST_FONT)
        scatter = row[1].scatter(points[:, 0], points[:, 1], c=lengths[keep], cmap="viridis", s=8, linewidths=0)
        fig.colorbar(scatter, ax=row[1], label="tokens")
        row[1].set_title(f"{name}: by sentence length", fontsize=SMALLEST_FONT)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig
