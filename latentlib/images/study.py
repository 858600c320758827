"""Run a grid of autoencoder fits: fit (or load), encode the test split, score, record."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm  # text bars: the book drops stderr, no widget state needed

from latentlib.training.autoencoder import TrainConfig
from latentlib.evaluation.baselines import PCAEmbedding
from latentlib.evaluation.evaluate import encode, kmeans_labels, score_clusters
from latentlib.training.fit import FitResult, resolve_device
from latentlib.images.config import EmbeddingSizeConfig
from latentlib.images.losses import detect_collapse
from latentlib.images.models import ConvConfig, MLPConfig
from latentlib.images.training import check_class_balanced, fit_image_autoencoder
from latentlib.evaluation.probe import knn_accuracy
from latentlib.book.provenance import device_description
from latentlib.book.results import make_record, write_record
from latentlib.data.splits import LabelledSplit


@dataclass
class GridResult:
    """Everything a chapter shows about a grid: the metric table and, per run name,
    the fit, the test embeddings and their K-Means cluster ids."""

    table: pd.DataFrame
    fits: dict[str, FitResult] = field(default_factory=dict)
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    clusters: dict[str, np.ndarray] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    def per_size(self, attribute: str, *, seed: int | None = None) -> dict[int, Any]:
        """``fits``, ``embeddings`` or ``clusters`` keyed by embedding size instead of run
        name, for one ``seed`` (needed when the grid holds several)."""
        values = getattr(self, attribute)
        records = [r for r in self.records if seed is None or r["run"]["seed"] == seed]
        sizes = [r["run"]["embedding_size"] for r in records]
        if len(set(sizes)) != len(sizes):
            seeds = sorted({r["run"]["seed"] for r in records})
            raise ValueError(f"seed must name one of the grid's seeds {seeds} (several runs per size), got {seed!r}")
        return {r["run"]["embedding_size"]: values[r["run"]["name"]] for r in records if r["run"]["name"] in values}


def run_name(*, model: str, embedding_size: int, seed: int) -> str:
    return f"{model}-d{embedding_size}-seed{seed}"


def _train_config(config: Any, *, seed: int) -> TrainConfig:
    return TrainConfig(epochs=config.epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
                       seed=seed)


def embedding_size_fit(config: Any, data: LabelledSplit, *, embedding_size: int, seed: int) -> tuple:
    """(model config, train config, extra fit arguments) of one run of study 01: the one
    builder :func:`run_embedding_sizes` trains with and the planner lists (same keys)."""
    model = MLPConfig(input_shape=tuple(data.x_train.shape[1:]), hidden_sizes=config.hidden_sizes,
                      embedding_size=embedding_size)
    return model, _train_config(config, seed=seed), {}


def objective_fit(config: Any, data: LabelledSplit, *, objective: str, embedding_size: int, seed: int) -> tuple:
    """(model config, train config, extra fit arguments) of one run of studies 02, 03 and
    06: the one builder :func:`run_objective_grid` trains with and the planner lists."""
    extra = {"y_train": data.y_train, "objective": config.triplet_config()} if objective == "triplet" else {}
    return image_model_config(config, data, embedding_size=embedding_size), _train_config(config, seed=seed), extra


def run_embedding_sizes(config: EmbeddingSizeConfig, data: LabelledSplit, *,
                        write: bool = True, progress: bool = True) -> GridResult:
    """Study 01: one MLP autoencoder per (embedding size, seed), scored on the test split.

    Each run is fitted on ``data.x_train`` (or loaded from the fit cache), its test
    embeddings are clustered with K-Means (``config.n_clusters``) and scored (silhouette,
    ACC, NMI, ARI, clusters found) with a kNN probe fitted on the training embeddings;
    each is checked for collapse and recorded under the results directory. The runs are
    the MSE runs of study 02 where the settings agree (same fits, same cache keys).
    """
    device = resolve_device(config.device)
    hardware = device_description(device)
    result = GridResult(table=pd.DataFrame())
    runs = [(size, seed) for size in config.embedding_sizes for seed in config.seeds]
    for size, seed in tqdm(runs, desc="runs", disable=not progress):
        name = run_name(model="mlp", embedding_size=size, seed=seed)
        model_config, train, extra = embedding_size_fit(config, data, embedding_size=size, seed=seed)
        fit = fit_image_autoencoder(model_config, train, data.x_train, device=device,
                                    precision=config.precision, progress=progress, desc=name, **extra)
        start = time.perf_counter()
        z_train, z_test = (encode(fit.model, x, precision=config.precision) for x in (data.x_train, data.x_test))
        metrics, y_cluster = _score(config, z_train, z_test, data, seed=seed)
        metrics.update(detect_collapse(z_test, n_clusters=config.n_clusters,
                                       clusters_found=metrics["n_clusters_found"]).as_dict())
        metrics["final_train_mse"] = fit.history[-1]
        run = {"name": name, "method": "mlp-mse", "model": "mlp", "objective": "mse", "embedding_size": size,
               "seed": seed, "scored_split": "test", "fit_key": fit.key, "fit_from_cache": fit.from_cache}
        timings = {"fit_seconds": fit.seconds, "evaluate_seconds": time.perf_counter() - start}
        record = make_record(config=config, run=run, metrics=metrics, timings=timings,
                             data=data.info, device=hardware, extra={"history": fit.history})
        _keep(result, record, fit=fit, z_test=z_test, y_cluster=y_cluster, write=write)
    result.table = runs_table(result.records)
    return result


# --- Studies 02 and 03 (Tables I and II): objectives and PCA over sizes x seeds ---

def image_model_config(config: Any, data: LabelledSplit, *, embedding_size: int) -> Any:
    """The MLP or convolutional autoencoder config of one run."""
    shape = tuple(data.x_train.shape[1:])
    if config.model == "conv":
        return ConvConfig(input_shape=shape, channels=tuple(config.conv_channels), embedding_size=embedding_size,
                          bottleneck=config.bottleneck)
    return MLPConfig(input_shape=shape, hidden_sizes=config.hidden_sizes, embedding_size=embedding_size,
                     bottleneck=config.bottleneck)


def _score(config: Any, z_train: np.ndarray, z_test: np.ndarray, data: LabelledSplit, *,
           seed: int) -> tuple[dict[str, Any], np.ndarray]:
    y_cluster = kmeans_labels(z_test, n_clusters=config.n_clusters, seed=seed)
    metrics = score_clusters(z_test, data.y_test, y_cluster, silhouette_sample=config.silhouette_sample,
                             seed=seed)
    metrics["knn_acc"] = knn_accuracy(z_train, data.y_train, z_test, data.y_test,
                                      n_neighbors=config.knn_neighbors)
    return metrics, y_cluster


def _keep(result: GridResult, record: dict[str, Any], *, fit: FitResult | None, z_test: np.ndarray,
          y_cluster: np.ndarray, write: bool) -> None:
    if write:
        write_record(record)
    name = record["run"]["name"]
    if fit is not None:
        result.fits[name] = fit
    result.embeddings[name] = z_test
    result.clusters[name] = y_cluster
    result.records.append(record)


def runs_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run record: its ``name``, ``method``, ``embedding_size`` and ``seed``,
    then its metrics and timings as columns (the ``table`` of a :class:`GridResult`)."""
    rows = [{**{k: r["run"][k] for k in ("name", "method", "embedding_size", "seed")}, **r["metrics"],
             **r.get("timings", {})} for r in records]
    return pd.DataFrame(rows)


def run_objective_grid(config: Any, data: LabelledSplit, *, objectives: tuple[str, ...] = ("mse", "triplet"),
                       variant: str | None = None, write: bool = True, progress: bool = True) -> GridResult:
    """Study 02 (Table I): one autoencoder per (objective, embedding size, seed).

    ``mse`` trains on reconstruction only (unsupervised); ``triplet`` on
    ``MSE + lambda * triplet`` with P x K class-balanced batches, which uses the
    training labels (supervised). Test embeddings are clustered by K-Means and scored
    (silhouette, ACC, NMI, ARI, clusters found) plus a kNN probe fitted on the training
    embeddings. Each run is checked for embedding collapse; a collapsed run is still
    recorded, with ``metrics.collapsed`` true and the reason. ``variant`` (one objective
    only) names the runs and their ``method`` after a variant of the study (chapter 06).
    """
    if variant is not None and len(objectives) != 1:
        raise ValueError(f"variant names the runs of one objective, got objectives {objectives}")
    unknown = [o for o in objectives if o not in ("mse", "triplet")]
    if unknown:
        raise ValueError(f"objectives must be 'mse' and/or 'triplet', got {unknown}")
    triplet = config.triplet_config()
    if "triplet" in objectives:  # P x K batches must be possible before anything trains
        check_class_balanced(np.asarray(data.y_train), triplet)
    device = resolve_device(config.device)
    hardware = device_description(device)
    result = GridResult(table=pd.DataFrame())
    runs = [(o, d, s) for o in objectives for d in config.embedding_sizes for s in config.seeds]
    for objective, size, seed in tqdm(runs, desc="runs", disable=not progress):
        method = variant or f"{config.model}-{objective}"
        name = f"{method}-d{size}-seed{seed}"
        model_config, train, extra = objective_fit(config, data, objective=objective, embedding_size=size, seed=seed)
        fit = fit_image_autoencoder(model_config, train, data.x_train, device=device, precision=config.precision,
                                    progress=progress, desc=name, **extra)
        start = time.perf_counter()
        z_train, z_test = (encode(fit.model, x, precision=config.precision) for x in (data.x_train, data.x_test))
        metrics, y_cluster = _score(config, z_train, z_test, data, seed=seed)
        collapse = detect_collapse(z_test, final_d_an=fit.info.get("final_d_an"),
                                   margin=triplet.margin if objective == "triplet" else None,
                                   n_clusters=config.n_clusters, clusters_found=metrics["n_clusters_found"])
        metrics.update(collapse.as_dict())
        metrics["final_train_mse"] = fit.curves.get("mse", fit.history)[-1]
        if objective == "triplet":
            metrics["final_triplet_loss"] = fit.curves["triplet"][-1]
            metrics["final_active_triplets"] = fit.curves["active"][-1]
        run = {"name": name, "method": method, "model": config.model, "bottleneck": config.bottleneck,
               "objective": objective, "supervised": objective == "triplet", "dataset": config.dataset,
               "embedding_size": size, "seed": seed, "scored_split": "test", "fit_key": fit.key,
               "fit_from_cache": fit.from_cache}
        if objective == "triplet":
            run["triplet"] = dataclasses.asdict(triplet)
        timings = {"fit_seconds": fit.seconds, "evaluate_seconds": time.perf_counter() - start}
        history = {f"history_{k}": v for k, v in fit.curves.items() if k != "loss"}
        record = make_record(config=config, run=run, metrics=metrics, timings=timings, data=data.info,
                             device=hardware, extra={"history": fit.history, **history})
        _keep(result, record, fit=fit, z_test=z_test, y_cluster=y_cluster, write=write)
    result.table = runs_table(result.records)
    return result


def run_pca_grid(config: Any, data: LabelledSplit, *, write: bool = True, progress: bool = True) -> GridResult:
    """Study 03 (Table II): PCA fitted on the training split at each embedding size,
    the test split mapped and scored exactly like the autoencoder embeddings (one run
    per seed: the seed drives the randomized SVD and K-Means)."""
    result = GridResult(table=pd.DataFrame())
    runs = [(d, s) for d in config.embedding_sizes for s in config.seeds]
    for size, seed in tqdm(runs, desc="PCA", disable=not progress):
        start = time.perf_counter()
        pca = PCAEmbedding(size, random_state=seed).fit(data.x_train)
        z_train, z_test = pca.transform(data.x_train), pca.transform(data.x_test)
        fitted = time.perf_counter()
        metrics, y_cluster = _score(config, z_train, z_test, data, seed=seed)
        metrics["explained_variance"] = float(pca.explained_variance_ratio_.sum())
        run = {"name": f"pca-d{size}-seed{seed}", "method": "pca", "model": "pca", "objective": "pca",
               "supervised": False, "dataset": config.dataset, "embedding_size": size, "seed": seed,
               "scored_split": "test"}
        timings = {"fit_seconds": fitted - start, "evaluate_seconds": time.perf_counter() - fitted}
        record = make_record(config=config, run=run, metrics=metrics, timings=timings, data=data.info,
                             device=device_description("cpu"))
        _keep(result, record, fit=None, z_test=z_test, y_cluster=y_cluster, write=write)
    result.table = runs_table(result.records)
    return result
