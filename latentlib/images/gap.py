"""Study 06: why does our MSE-only autoencoder score a lower silhouette than the paper's?

Our MSE-only silhouette (SS) sits far below the paper's Table I, while our PCA matches
its Table II. Each hypothesis for the gap is one *variant* of the baseline (the MSE runs
of chapter 02: same data, same seeds), changed in one respect only:

- **how it is scored**: the silhouette of K-Means clusters of a 2-D t-SNE or UMAP view
  of the embedding (the paper's Fig. 3 shows "dimension-reduced" views), or of the
  training split instead of the test split;
- **what is trained**: a saturating (sigmoid) or normalised (unit-sphere) bottleneck,
  the convolutional autoencoder, longer training, fewer training images.

A 2-D view is a scoring rule, so it must hold for every column the paper scored with it:
each view is applied to the MSE runs, the triplet runs (chapter 02's fits, same cache
keys) and PCA, on every training seed and ``view_seeds`` draws of the view (each draw its
own random subsample of ``view_points`` test points). Whether a view reproduces a paper
column, in level at every size and in its trend with size, is decided by
:func:`latentlib.evaluation.verdicts.closes_gap` (the MSE column, against the baseline)
and :func:`~latentlib.evaluation.verdicts.matches` (the triplet and PCA columns), on one
value per training seed (the mean over its view draws). :func:`gap_claims` returns those
decisions; :func:`gap_findings` words them for the chapter and decides nothing itself.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
from tqdm import tqdm

from latentlib.book.plots import project_2d
from latentlib.book.provenance import device_description
from latentlib.book.results import make_record, variant, write_record
from latentlib.data.splits import LabelledSplit
from latentlib.evaluation.evaluate import encode, kmeans_labels, score_clusters
from latentlib.evaluation.manifold import umap_embedding
from latentlib.images.data import load_image_data
from latentlib.images.gap_hypotheses import (
    BASELINE,
    PCA,
    TRIPLET,
    UMAP_MIN_DIST,
    UMAP_NEIGHBORS,
    VIEW_CHECK,
    VIEWS,
    check_method,
    view_method,
)
from latentlib.images.gap_judge import judge
from latentlib.images.gap_result import GapResult
from latentlib.images.study import GridResult, run_objective_grid, run_pca_grid

# ---------------------------------------------------------------- running the study

def _as_gap_record(record: dict[str, Any], config: Any, *, hypothesis: str, changed: dict[str, Any]) -> dict[str, Any]:
    """A variant's record filed under the study's own config and variant: what was
    changed is kept in the run, so every variant of one chapter run sits together."""
    record = dict(record, config=config.to_dict(), variant=variant(config), study=config.study)
    record["run"] = dict(record["run"], hypothesis=hypothesis, changed=changed)
    return record


def _trained_variants(config: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, hypothesis, config changes) of every trained variant the config asks for."""
    out = []
    for hypothesis in config.hypotheses:
        if hypothesis in ("sigmoid", "l2"):
            out.append((hypothesis, hypothesis, {"bottleneck": hypothesis}))
        elif hypothesis == "conv":
            out.append((hypothesis, hypothesis, {"model": "conv"}))
        elif hypothesis == "long":
            out.append((f"long-{config.long_epochs}", hypothesis, {"epochs": config.long_epochs}))
        elif hypothesis == "train_size":
            out += [(f"n_train-{n}", hypothesis, {"n_train": n}) for n in config.train_sizes]
    return out


def view_subsample(n_points: int, size: int | str | None, *, seed: int, view_seed: int) -> np.ndarray:
    """Sorted indices of the test points one draw of a view sees: ``size`` of the
    ``n_points`` (all when ``size`` is ``"all"``/None or not smaller), drawn afresh for
    each (training seed, view seed), so the view draws' spread includes the subsample's."""
    if size in (None, "all") or int(size) >= n_points:
        return np.arange(n_points)
    rng = np.random.default_rng([seed, view_seed])
    return np.sort(rng.choice(n_points, size=int(size), replace=False))


def view_2d(z: np.ndarray, hypothesis: str, *, seed: int) -> np.ndarray:
    """The 2-D t-SNE (perplexity 30, PCA initialisation) or UMAP (15 neighbours,
    min_dist 0.1) view of ``z``."""
    if hypothesis == "tsne_view":
        return project_2d(z, "tsne", seed=seed)
    if hypothesis == "umap_view":
        return umap_embedding(z, n_components=2, n_neighbors=UMAP_NEIGHBORS, min_dist=UMAP_MIN_DIST, seed=seed)
    raise ValueError(f"hypothesis must be one of {', '.join(VIEWS)}, got {hypothesis!r}")


def score_view(config: Any, z: np.ndarray, labels: np.ndarray, *, hypothesis: str, seed: int, view_seed: int,
               points: int | str | None) -> tuple[dict[str, Any], dict[str, float], int]:
    """One draw of a view: the subsample, the 2-D view, K-Means and the scores; returns
    (metrics, timings, points viewed). ``view_cpu_seconds`` is the CPU time of the view
    alone (one thread: what it costs on one core, whatever else the machine runs)."""
    keep = view_subsample(len(labels), points, seed=seed, view_seed=view_seed)
    start, cpu = time.perf_counter(), time.process_time()
    z2 = view_2d(np.asarray(z)[keep], hypothesis, seed=view_seed)
    view_cpu = time.process_time() - cpu
    y_cluster = kmeans_labels(z2, n_clusters=config.n_clusters, seed=view_seed)
    metrics = score_clusters(z2, np.asarray(labels)[keep], y_cluster, silhouette_sample=config.silhouette_sample,
                             seed=view_seed)
    timings = {"evaluate_seconds": time.perf_counter() - start, "view_cpu_seconds": view_cpu,
               "score_cpu_seconds": time.process_time() - cpu - view_cpu}
    return metrics, timings, len(keep)


def _view_run(config: Any, data: LabelledSplit, base: dict[str, Any], z: np.ndarray, *, hypothesis: str,
              column: str, view_seed: int, points: int | str, check: bool = False) -> dict[str, Any]:
    size, seed = base["run"]["embedding_size"], base["run"]["seed"]
    metrics, timings, n = score_view(config, z, np.asarray(data.y_test), hypothesis=hypothesis, seed=seed,
                                     view_seed=view_seed, points=points)
    # a view of a collapsed embedding says nothing about the classes either
    collapsed = bool(base["metrics"].get("collapsed") or False)
    metrics.update(collapsed=collapsed, collapse_reason="the viewed embedding collapsed" if collapsed else "")
    method = check_method(hypothesis, n) if check else view_method(hypothesis, column)
    run = {"name": f"{method}-d{size}-seed{seed}-view{view_seed}", "method": method,
           "hypothesis": VIEW_CHECK if check else hypothesis, "view": hypothesis, "column": column,
           "model": config.model, "objective": base["run"].get("objective", column), "embedding_size": size,
           "seed": seed, "view_seed": view_seed, "view_points": n, "scored_split": f"test, {n} points, 2-D",
           "viewed_run": base["run"]["name"], "changed": {}}
    if base["run"].get("fit_key"):
        run["fit_key"] = base["run"]["fit_key"]
    return make_record(config=config, run=run, metrics=metrics, timings=timings, data=data.info,
                       device=device_description("cpu"))


def _view_runs(config: Any, data: LabelledSplit, grids: dict[str, GridResult], *,
               progress: bool) -> list[dict[str, Any]]:
    """Every view of every column's runs (all training seeds x ``view_seeds``), then the
    subsample-size check on one MSE run."""
    jobs = [(hypothesis, column, record, view_seed)
            for hypothesis in VIEWS if hypothesis in config.hypotheses
            for column in config.view_columns if column in grids
            for record in grids[column].records
            for view_seed in config.view_seeds]
    records = []
    for hypothesis, column, base, view_seed in tqdm(jobs, desc="2-D views", disable=not progress):
        z = grids[column].embeddings[base["run"]["name"]]
        records.append(_view_run(config, data, base, z, hypothesis=hypothesis, column=column,
                                 view_seed=view_seed, points=config.view_points))
    checked = [h for h in config.view_check_views if h in config.hypotheses]
    if config.view_check_points and checked:
        base = next(r for r in grids["mse"].records if r["run"]["embedding_size"] == config.view_check_size
                    and r["run"]["seed"] == config.seeds[0])
        z = grids["mse"].embeddings[base["run"]["name"]]
        n_test = len(data.y_test)
        main = len(view_subsample(n_test, config.view_points, seed=0, view_seed=0))
        points = [p for p in config.view_check_points if len(view_subsample(n_test, p, seed=0, view_seed=0)) != main]
        extra = [(h, p, v) for h in checked for p in points for v in config.view_seeds]
        for hypothesis, points, view_seed in tqdm(extra, desc="view size check", disable=not progress):
            records.append(_view_run(config, data, base, z, hypothesis=hypothesis, column="mse",
                                     view_seed=view_seed, points=points, check=True))
    return records


def _split_runs(config: Any, data: LabelledSplit, baseline: GridResult, *, progress: bool) -> list[dict[str, Any]]:
    """The baseline's fits scored on the training split (``variant_seeds``)."""
    hardware = device_description("cpu")
    records = []
    keys = [(r["run"]["embedding_size"], r["run"]["seed"], r["run"]["name"]) for r in baseline.records
            if r["run"]["seed"] in config.variant_seeds]
    for size, seed, name in tqdm(keys, desc="train_split", disable=not progress):
        start = time.perf_counter()
        z = encode(baseline.fits[name].model, data.x_train, precision=config.precision)
        y_cluster = kmeans_labels(z, n_clusters=config.n_clusters, seed=seed)
        metrics = score_clusters(z, np.asarray(data.y_train), y_cluster, silhouette_sample=config.silhouette_sample,
                                 seed=seed)
        run = {"name": f"train_split-d{size}-seed{seed}", "method": "train_split", "hypothesis": "train_split",
               "model": config.model, "objective": "mse", "embedding_size": size, "seed": seed,
               "scored_split": "train", "fit_key": baseline.fits[name].key, "changed": {}}
        records.append(make_record(config=config, run=run, metrics=metrics,
                                   timings={"evaluate_seconds": time.perf_counter() - start},
                                   data=data.info, device=hardware))
    return records


def run_gap_study(config: Any, data: LabelledSplit, *, write: bool = True, progress: bool = True) -> GapResult:
    """Study 06: the baseline, the PCA control (and, when a view is tested, the triplet
    runs: chapter 02's fits), every view of every column, then every other hypothesis of
    ``config.hypotheses``; each run recorded, every claim decided by :func:`judge`."""
    baseline = run_objective_grid(config, data, objectives=("mse",), variant=BASELINE, write=False,
                                  progress=progress)
    records = [_as_gap_record(r, config, hypothesis=BASELINE, changed={}) for r in baseline.records]
    views = any(h in config.hypotheses for h in VIEWS)
    # the views need PCA on every training seed; without them the control runs on variant_seeds
    pca_seeds = config.seeds if views and "pca" in config.view_columns else config.variant_seeds
    pca = run_pca_grid(dataclasses.replace(config, seeds=pca_seeds), data, write=False, progress=progress)
    records += [_as_gap_record(r, config, hypothesis=PCA, changed={}) for r in pca.records]
    grids = {"mse": baseline, "pca": pca}
    if views and TRIPLET in config.view_columns:
        triplet = run_objective_grid(config, data, objectives=("triplet",), variant=TRIPLET, write=False,
                                     progress=progress)
        records += [_as_gap_record(r, config, hypothesis=TRIPLET, changed={}) for r in triplet.records]
        grids[TRIPLET] = triplet
    if views:
        records += _view_runs(config, data, grids, progress=progress)
    if "train_split" in config.hypotheses:
        records += _split_runs(config, data, baseline, progress=progress)
    for method, hypothesis, changed in _trained_variants(config):
        variant_config = dataclasses.replace(config, seeds=config.variant_seeds, **changed)
        variant_data = load_image_data(variant_config) if "n_train" in changed else data
        grid = run_objective_grid(variant_config, variant_data, objectives=("mse",), variant=method,
                                  write=False, progress=progress)
        records += [_as_gap_record(r, config, hypothesis=hypothesis, changed=changed) for r in grid.records]
    if write:
        for record in records:
            write_record(record)
    return judge(records, baseline=baseline)
