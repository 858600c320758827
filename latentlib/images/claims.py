"""The claims of the image chapters (01, 02, 03, 06, 07), decided from their records.

Each ``*_claims(records)`` is the one decider of its chapter (declared in
:mod:`latentlib.images.chapters`): the chapter prints what it returns, and so do the
results page, the "What reproduced" page and the reproduction check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from latentlib.book.paper import TABLE_I, TABLE_II
from latentlib.evaluation.claims import PARTLY, Claim
from latentlib.evaluation.verdicts import HOLDS, WITHIN, beats, falls_with, matches, rises_with
from latentlib.images.study import runs_table

Records = list[dict[str, Any]]
METRICS = ("silhouette", "acc", "nmi")


def _runs(records: Records) -> pd.DataFrame:
    records = [r for r in records if {"name", "method", "embedding_size", "seed"} <= set(r.get("run", {}))]
    if not records:
        return pd.DataFrame(columns=["name", "method", "embedding_size", "seed"])
    table = runs_table(records)
    return table[~table["method"].astype(str).str.startswith("umap")] if len(table) else table


def _data(records: Records) -> str:
    first = records[0]
    seeds = sorted({r["run"]["seed"] for r in records})
    data, config = first.get("data", {}), first.get("config", {})
    return (f"{data.get('dataset', config.get('dataset', 'mnist'))}, {int(data.get('n_train', 0)):,} training "
            f"images, {config.get('epochs')} epochs, seeds {seeds}")


def _column(table: pd.DataFrame, method: str, metric: str = "silhouette") -> str:
    """Our mean per size, ``d=4 0.660 / d=8 ...``."""
    means = table[table["method"] == method].groupby("embedding_size")[metric].mean()
    return " / ".join(f"{value:.3f}" for value in means.to_numpy())


def _published(column: dict[int, tuple[float, float | None]], sizes: list[int]) -> str:
    return " / ".join(f"{column[d][0]:.3f}" for d in sizes if d in column)


def _target(column: dict[int, tuple[float, float | None]]) -> dict[int, tuple[float, float]]:
    """The paper's column as {d: (mean, std)}; a std it does not print counts as 0."""
    return {d: (mean, std or 0.0) for d, (mean, std) in column.items()}


def _level(table: pd.DataFrame, *, method: str, column: dict, label: str, paper: str, data: str) -> Claim:
    """Does our ``method`` reach the paper's column, size by size? Partly when some sizes do."""
    verdict = matches(table, method=method, target=_target(column), claim=f"{label} matches the paper's level")
    status = ""
    evidence = verdict.evidence
    if verdict.outcome != HOLDS and len(evidence) and "level" in evidence:
        within = int((evidence["level"] == WITHIN).sum())
        status = PARTLY if 0 < within < len(evidence) else ""
    sizes = sorted(table.loc[table["method"] == method, "embedding_size"].unique())
    return Claim(verdict, paper=paper, ours=_column(table, method), published=_published(column, sizes), data=data,
                 status=status)


def _trend(table: pd.DataFrame, *, method: str, column: dict, label: str, paper: str, data: str) -> Claim:
    verdict = falls_with(table, method=method, claim=f"{label}'s SS falls as d grows" if label == "PCA"
                         else f"{label}: SS falls as d grows")
    sizes = sorted(table.loc[table["method"] == method, "embedding_size"].unique())
    means = table[table["method"] == method].groupby("embedding_size")["silhouette"].mean()
    ours = f"{means.iloc[-1] - means.iloc[0]:+.3f}" if len(means) > 1 else "–"
    published = f"{column[sizes[-1]][0] - column[sizes[0]][0]:+.3f}" if sizes and sizes[0] in column \
        and sizes[-1] in column else "–"
    return Claim(verdict, paper=paper, ours=f"first to last d: {ours}", published=f"first to last d: {published}",
                 data=data)


def embedding_size_claims(records: Records) -> list[Claim]:
    """Chapter 01 (Fig. 3): "as the dimension grows, the clusters get well defined"."""
    runs = _runs(records)
    if runs.empty:
        return []
    data = _data(records)
    paper = "Fig. 3: as d grows, the clusters get well defined"
    claims = [Claim(falls_with(runs, method="mlp-mse", metric="silhouette", claim="SS falls as d grows"), data=data)]
    claims += [Claim(rises_with(runs, method="mlp-mse", metric=metric, claim=f"{label} rises as d grows"),
                     paper=paper if metric == "acc" else "", ours=_column(runs, "mlp-mse", metric), data=data)
               for metric, label in (("acc", "ACC"), ("nmi", "NMI"), ("knn_acc", "kNN probe accuracy"))
               if metric in runs]
    return claims


def triplet_claims(records: Records) -> list[Claim]:
    """Chapter 02 (Table I): triplet vs MSE, each column's level and trend beside the paper's."""
    runs = _runs(records)
    if runs.empty:
        return []
    model = records[0].get("config", {}).get("model", "mlp")
    triplet, mse = f"{model}-triplet", f"{model}-mse"
    data = _data(records)
    claims = [Claim(beats(runs, better=triplet, worse=mse, metric=metric,
                          claim=f"Triplet > MSE in {metric} at every d"),
                    paper="Table I: the triplet loss gives higher SS than MSE alone" if metric == "silhouette" else "",
                    ours=f"{_column(runs, triplet, metric)} vs {_column(runs, mse, metric)}",
                    published=(f"{_published(TABLE_I['triplet'], [4, 8, 16, 32])} vs "
                               f"{_published(TABLE_I['mse'], [4, 8, 16, 32])}") if metric == "silhouette" else "",
                    data=data)
              for metric in METRICS if metric in runs]
    if model == "mlp" and records[0].get("config", {}).get("dataset", "mnist") == "mnist":
        claims += [
            _level(runs, method=triplet, column=TABLE_I["triplet"], label="Triplet SS",
                   paper="Table I, triplet column: its level", data=data),
            _trend(runs, method=triplet, column=TABLE_I["triplet"], label="MSE + triplet",
                   paper="Table I, triplet column: SS falls as d grows", data=data),
            _level(runs, method=mse, column=TABLE_I["mse"], label="MSE-only SS",
                   paper="Table I, MSE column: its level", data=data),
            _trend(runs, method=mse, column=TABLE_I["mse"], label="MSE only",
                   paper="Table I, MSE column: SS falls as d grows", data=data),
        ]
    else:
        claims += [Claim(falls_with(runs, method=method, claim=f"{label}: SS falls as d grows"), data=data)
                   for method, label in ((triplet, "MSE + triplet"), (mse, "MSE only"))]
    return claims


def pca_claims(records: Records) -> list[Claim]:
    """Chapter 03 (Table II): each autoencoder vs PCA, and PCA's level and trend."""
    runs = _runs(records)
    if runs.empty:
        return []
    model = records[0].get("config", {}).get("model", "mlp")
    data = _data(records)
    claims = []
    for method, label, paper in ((f"{model}-triplet", "supervised AE (MSE + triplet)",
                                  "Table II: the autoencoder's latent space gives higher SS than PCA"),
                                 (f"{model}-mse", "unsupervised AE (MSE only)", "")):
        if not (runs["method"] == method).any():
            continue
        for metric in [m for m in METRICS if m in runs]:
            claims.append(Claim(beats(runs, better=method, worse="pca", metric=metric,
                                      claim=f"{label} > PCA in {metric} at every d"),
                                paper=paper if metric == "silhouette" else "",
                                ours=f"{_column(runs, method, metric)} vs {_column(runs, 'pca', metric)}",
                                published=(f"{_published(TABLE_II['autoencoder'], [4, 8, 16, 32])} vs "
                                           f"{_published(TABLE_II['pca'], [4, 8, 16, 32])}")
                                if paper and metric == "silhouette" else "", data=data))
    if records[0].get("config", {}).get("dataset", "mnist") == "mnist":
        claims.append(_level(runs, method="pca", column=TABLE_II["pca"], label="PCA SS",
                             paper="Table II, PCA column: its level", data=data))
    claims.append(_trend(runs, method="pca", column=TABLE_II["pca"], label="PCA",
                         paper="Table II, PCA column: SS falls as d grows", data=data))
    return claims


def gap_claims(records: Records) -> list[Claim]:
    """Chapter 06: per column (triplet, MSE, PCA) and per 2-D view, whether the view
    reproduces the paper's column in level and trend; whether each other hypothesis
    closes the MSE gap; the subsample-size check (all decided by :func:`~latentlib.images.gap_judge.judge`)."""
    from latentlib.images.gap_judge import gap_claims as decide

    return decide(records)


def whole_set_claims(records: Records) -> list[Claim]:
    """Chapter 07: N2D on the pooled set beside the published numbers."""
    from latentlib.images.n2d import verdicts

    table = pd.DataFrame([{**{k: r["run"][k] for k in ("name", "method", "seed", "n_images")}, **r["metrics"]}
                          for r in records])
    return [Claim(verdict) for verdict in verdicts(table)]


def collapsed_runs(records: Records) -> list[str]:
    """Names of the runs flagged as collapsed (every verdict leaves them out)."""
    return [r["run"]["name"] for r in records if bool(np.asarray(r["metrics"].get("collapsed") or False))]
