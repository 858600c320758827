"""Run a grid of autoencoder fits: fit (or load), encode the test split, score, record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from latentlib.config import EmbeddingSizeConfig
from latentlib.data.common import LabelledSplit
from latentlib.evaluate import encode, kmeans_labels, score_clusters
from latentlib.models import MLPConfig
from latentlib.provenance import device_description
from latentlib.results import make_record, write_record
from latentlib.train import FitResult, TrainConfig, fit_autoencoder, resolve_device


@dataclass
class GridResult:
    """Everything a chapter shows about a grid: the metric table and, per run name,
    the fit, the test embeddings and their K-Means cluster ids."""

    table: pd.DataFrame
    fits: dict[str, FitResult] = field(default_factory=dict)
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    clusters: dict[str, np.ndarray] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)

    def per_size(self, attribute: str) -> dict[int, Any]:
        """``fits``, ``embeddings`` or ``clusters`` keyed by embedding size instead of run name."""
        values = getattr(self, attribute)
        return {r["run"]["embedding_size"]: values[r["run"]["name"]] for r in self.records}


def run_name(*, model: str, embedding_size: int, seed: int) -> str:
    return f"{model}-d{embedding_size}-seed{seed}"


def run_embedding_sizes(config: EmbeddingSizeConfig, data: LabelledSplit, *,
                        write: bool = True, progress: bool = True) -> GridResult:
    """Study 01: one MLP autoencoder per embedding size, scored on the test split.

    Each run is fitted on ``data.x_train`` (or loaded from the fit cache), its test
    embeddings are clustered with K-Means (``config.n_clusters``), and silhouette,
    ACC, NMI and ARI are recorded under the results directory.
    """
    device = resolve_device(config.device)
    hardware = device_description(device)
    train = TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                        learning_rate=config.learning_rate, seed=config.seed)
    result = GridResult(table=pd.DataFrame())
    rows = []
    sizes = tqdm(config.embedding_sizes, desc="embedding sizes", disable=not progress)
    for size in sizes:
        name = run_name(model="mlp", embedding_size=size, seed=config.seed)
        model_config = MLPConfig(input_shape=tuple(data.x_train.shape[1:]),
                                 hidden_sizes=config.hidden_sizes, embedding_size=size)
        fit = fit_autoencoder(model_config, train, data.x_train, device=device,
                              progress=progress, desc=f"d={size}")
        start = time.perf_counter()
        z_test = encode(fit.model, data.x_test)
        y_cluster = kmeans_labels(z_test, n_clusters=config.n_clusters, seed=config.seed)
        metrics = score_clusters(z_test, data.y_test, y_cluster,
                                 silhouette_sample=config.silhouette_sample, seed=config.seed)
        metrics["final_train_mse"] = fit.history[-1]
        run = {"name": name, "model": "mlp", "objective": "mse", "embedding_size": size,
               "seed": config.seed, "scored_split": "test", "fit_key": fit.key,
               "fit_from_cache": fit.from_cache}
        timings = {"fit_seconds": fit.seconds, "evaluate_seconds": time.perf_counter() - start}
        record = make_record(config=config, run=run, metrics=metrics, timings=timings,
                             data=data.info, device=hardware, extra={"history": fit.history})
        if write:
            write_record(record)
        result.fits[name] = fit
        result.embeddings[name] = z_test
        result.clusters[name] = y_cluster
        result.records.append(record)
        rows.append({"embedding_size": size, **metrics, "fit_seconds": fit.seconds,
                     "from_cache": fit.from_cache})
    result.table = pd.DataFrame(rows).set_index("embedding_size")
    return result
