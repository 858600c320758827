"""Aggregate result records into mean +- std tables, and put the paper's numbers beside them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from latentlib.book.display import DIGITS, MISSING, format_number
from latentlib.book.paper import paper_table

METRICS = ("silhouette", "acc", "nmi", "ari", "knn_acc")


def summarise(table: pd.DataFrame, *, by: Sequence[str] = ("method", "embedding_size"),
              metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Mean and sample std (ddof 1) over seeds of each metric, per group; ``n`` runs per
    group, ``collapsed`` runs counted where the records say so."""
    present = [m for m in metrics if m in table.columns]
    grouped = table.groupby(list(by), sort=True)
    summary = grouped[present].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    summary["n"] = grouped.size()
    if "collapsed" in table.columns:
        summary["collapsed"] = grouped["collapsed"].apply(lambda s: int(s.fillna(False).astype(bool).sum()))
    if "n_clusters_found" in table.columns:
        summary["min_clusters_found"] = grouped["n_clusters_found"].min()
    return summary


def mean_std(mean: float, std: float, digits: int = DIGITS) -> str:
    """``0.672 ± 0.004``, or the mean alone when the std is missing; numbers rounded as
    in every table (:func:`latentlib.book.display.format_number`: no ``-0.000``)."""
    if mean is None or (isinstance(mean, float) and np.isnan(mean)):
        return MISSING
    if std is None or np.isnan(std):
        return format_number(mean, digits)
    return f"{format_number(mean, digits)} ± {format_number(std, digits)}"


def beside_paper(summary: pd.DataFrame, *, table: str, columns: dict[str, str]) -> pd.DataFrame:
    """Our silhouette (mean ± std) beside the paper's for each of its columns.

    ``columns`` maps a paper column (Table I: ``triplet``, ``mse``; Table II: ``pca``,
    ``autoencoder``) to our ``method`` value in ``summary`` (indexed by method, size).
    Returns one row per embedding size with paper, ours and ours - paper per column.
    """
    paper = paper_table(table)
    rows = []
    for size in paper.index:
        row: dict[str, object] = {"d": size}
        for column, method in columns.items():
            p_mean, p_std = paper.loc[size, f"{column}_mean"], paper.loc[size, f"{column}_std"]
            key = (method, size)
            ours = summary.loc[key] if key in summary.index else None
            o_mean = float(ours["silhouette_mean"]) if ours is not None else float("nan")
            o_std = float(ours["silhouette_std"]) if ours is not None else float("nan")
            row[f"{column}: paper"] = mean_std(p_mean, p_std, 4 if column == "pca" else 3)
            row[f"{column}: ours"] = mean_std(o_mean, o_std)
            row[f"{column}: ours - paper"] = f"{o_mean - p_mean:+.3f}" if not np.isnan(o_mean) else "–"
        rows.append(row)
    return pd.DataFrame(rows).set_index("d")


def formatted(summary: pd.DataFrame, metrics: Sequence[str] = METRICS, digits: int = DIGITS) -> pd.DataFrame:
    """``summary`` with each metric as one ``mean ± std`` string column."""
    out = pd.DataFrame(index=summary.index)
    for metric in metrics:
        if f"{metric}_mean" in summary.columns:
            out[metric] = [mean_std(m, s, digits) for m, s in
                           zip(summary[f"{metric}_mean"], summary[f"{metric}_std"])]
    for extra in ("n", "collapsed", "min_clusters_found"):
        if extra in summary.columns:
            out[extra] = summary[extra]
    return out
