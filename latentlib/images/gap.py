"""Study 06: why does our MSE-only autoencoder score a lower silhouette than the paper's?

Our MSE-only silhouette (SS) sits far below the paper's Table I, while our PCA matches
its Table II. Each hypothesis for the gap is one *variant* of the baseline (the MSE runs
of chapter 02: same data, same seeds), changed in one respect only:

- **how it is scored**: the silhouette of K-Means clusters of a 2-D t-SNE or UMAP view
  of the embedding (the paper's Fig. 3 shows "dimension-reduced" views), or of the
  training split instead of the test split;
- **what is trained**: a saturating (sigmoid) or normalised (unit-sphere) bottleneck,
  the convolutional autoencoder, longer training, fewer training images.

Scoring variants reuse the baseline's fits; trained variants train on ``variant_seeds``.
Each variant's runs are recorded like any other run (``method`` = the hypothesis), and
:func:`latentlib.verdicts.closes_gap` decides whether it closes the gap.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from latentlib.evaluate import encode, kmeans_labels, score_clusters
from latentlib.images.data import load_image_data
from latentlib.images.study import GridResult, run_objective_grid, run_pca_grid, runs_table
from latentlib.manifold import umap_embedding
from latentlib.paper import paper_table
from latentlib.plots import project_2d
from latentlib.provenance import device_description
from latentlib.results import make_record, variant, write_record
from latentlib.splits import LabelledSplit
from latentlib.tables import mean_std
from latentlib.verdicts import Verdict, closes_gap, matches

BASELINE = "baseline"
PCA = "pca"
#: hypothesis id -> what it changes (the row label of the chapter's table)
HYPOTHESES = {
    "tsne_view": "silhouette of a 2-D t-SNE view",
    "umap_view": "silhouette of a 2-D UMAP view",
    "train_split": "scoring the training split",
    "sigmoid": "saturating (sigmoid) bottleneck",
    "l2": "normalised (unit-sphere) bottleneck",
    "conv": "convolutional autoencoder",
    "long": "longer training",
    "train_size": "fewer training images",
}
SCORING = ("tsne_view", "umap_view", "train_split")


@dataclass
class GapResult:
    """Every run of the study (one row each), their verdicts, and the baseline grid."""

    runs: pd.DataFrame
    verdicts: dict[str, Verdict]
    labels: dict[str, str]
    baseline: GridResult
    records: list[dict[str, Any]] = field(default_factory=list)

    def table(self, sizes: tuple[int, ...] | None = None) -> pd.DataFrame:
        """One row per variant: mean SS at each size (± std where there are several
        seeds), the paper's MSE column first, and whether the variant closes the gap."""
        paper = paper_table("I")
        sizes = sizes or tuple(sorted(self.runs["embedding_size"].unique()))
        rows = [{"variant": "paper, Table I (MSE only)",
                 **{f"d = {d}": mean_std(paper.loc[d, "mse_mean"], paper.loc[d, "mse_std"]) if d in paper.index
                    else "–" for d in sizes}, "n": "", "closes the gap?": ""}]
        for method in self.runs["method"].unique():
            part = self.runs[self.runs["method"] == method]
            row = {"variant": self.labels.get(method, method)}
            for d in sizes:
                row[f"d = {d}"] = _size_cell(part[part["embedding_size"] == d])
            row["n"] = str(part.groupby("embedding_size").size().max())
            verdict = self.verdicts.get(method)
            row["closes the gap?"] = gap_answer(verdict) if verdict is not None else "(reference)"
            rows.append(row)
        return pd.DataFrame(rows).set_index("variant")


def _size_cell(runs: pd.DataFrame) -> str:
    """Mean SS of one variant at one size; collapsed runs are left out of the mean (as the
    verdicts leave them out) and said so, or shown as collapsed when every run collapsed."""
    collapsed = runs["collapsed"].fillna(False).astype(bool) if "collapsed" in runs else pd.Series(False, runs.index)
    kept = runs.loc[~collapsed, "silhouette"].dropna()
    if len(kept):
        note = f" ({int(collapsed.sum())} collapsed left out)" if collapsed.any() else ""
        return mean_std(kept.mean(), kept.std()) + note
    values = runs["silhouette"].dropna()
    return mean_std(values.mean(), values.std()) + " (collapsed)" if len(values) else "–"


def gap_answer(verdict: Verdict) -> str:
    """The table's short answer, from the per-size effects of a :func:`closes_gap` verdict
    (or, for the PCA control, a :func:`matches` verdict)."""
    if verdict.outcome == "undecided":
        return "undecided"
    if "effect" not in verdict.evidence.columns:  # a control: matches the paper or not
        return "control: matches Table II" if verdict.holds else "control: differs from Table II"
    if verdict.holds:
        return "yes"
    effects = verdict.evidence["effect"].value_counts()
    n = len(verdict.evidence)
    parts = [f"{word} at {effects[effect]}" for effect, word in
             (("closes", "closes it"), ("overshoots", "overshoots it"), ("narrows", "narrows it"),
              ("widens", "widens it"), ("no change", "no change")) if effects.get(effect, 0)]
    return f"no; {', '.join(parts)} of {n} sizes"


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


def _view_runs(config: Any, data: LabelledSplit, baseline: GridResult, *, hypothesis: str,
               progress: bool) -> list[dict[str, Any]]:
    """Scoring variants: the baseline's fits scored on a 2-D view or on the training split."""
    hardware = device_description("cpu")
    records = []
    keys = [(r["run"]["embedding_size"], r["run"]["seed"], r["run"]["name"]) for r in baseline.records
            if r["run"]["seed"] in config.variant_seeds]
    for size, seed, name in tqdm(keys, desc=hypothesis, disable=not progress):
        start = time.perf_counter()
        if hypothesis == "train_split":
            z = encode(baseline.fits[name].model, data.x_train, precision=config.precision)
            labels = np.asarray(data.y_train)
            split = "train"
        else:
            rng = np.random.default_rng(seed)
            keep = np.sort(rng.choice(len(data.y_test), size=min(config.view_points, len(data.y_test)),
                                      replace=False))
            z_full, labels = baseline.embeddings[name][keep], np.asarray(data.y_test)[keep]
            z = project_2d(z_full, "tsne", seed=seed) if hypothesis == "tsne_view" else \
                umap_embedding(z_full, n_components=2, n_neighbors=15, min_dist=0.1, seed=seed)
            split = f"test, {len(keep)} points, 2-D"
        y_cluster = kmeans_labels(z, n_clusters=config.n_clusters, seed=seed)
        metrics = score_clusters(z, labels, y_cluster, silhouette_sample=config.silhouette_sample, seed=seed)
        run = {"name": f"{hypothesis}-d{size}-seed{seed}", "method": hypothesis, "hypothesis": hypothesis,
               "model": config.model, "objective": "mse", "embedding_size": size, "seed": seed,
               "scored_split": split, "fit_key": baseline.fits[name].key}
        records.append(make_record(config=config, run=run, metrics=metrics,
                                   timings={"evaluate_seconds": time.perf_counter() - start},
                                   data=data.info, device=hardware))
    return records


def run_gap_study(config: Any, data: LabelledSplit, *, write: bool = True, progress: bool = True) -> GapResult:
    """Study 06: the baseline, the PCA control, then every hypothesis of
    ``config.hypotheses``; each variant's runs recorded and judged against the paper's
    MSE column with :func:`latentlib.verdicts.closes_gap`."""
    baseline = run_objective_grid(config, data, objectives=("mse",), variant=BASELINE, write=False,
                                  progress=progress)
    records = [_as_gap_record(r, config, hypothesis=BASELINE, changed={}) for r in baseline.records]
    pca_config = dataclasses.replace(config, seeds=config.variant_seeds)
    pca = run_pca_grid(pca_config, data, write=False, progress=progress)
    records += [_as_gap_record(r, config, hypothesis=PCA, changed={}) for r in pca.records]
    for hypothesis in SCORING:
        if hypothesis in config.hypotheses:
            records += _view_runs(config, data, baseline, hypothesis=hypothesis, progress=progress)
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


def label(run: dict[str, Any]) -> str:
    """The table's row label of a run's variant, from what the run says it changed."""
    hypothesis, changed = run.get("hypothesis", run["method"]), run.get("changed") or {}
    if hypothesis == BASELINE:
        return "baseline: chapter 02's MSE runs"
    if hypothesis == PCA:
        return "control: PCA (Table II's column)"
    if hypothesis == "long":
        return f"training {changed['epochs']} epochs"
    if hypothesis == "train_size":
        return f"training on {changed['n_train']} images"
    return HYPOTHESES[hypothesis]


def judge(records: list[dict[str, Any]], *, baseline: GridResult | None = None) -> GapResult:
    """The runs table, labels and verdicts of a study 06 run, from its records (as the
    chapter makes them, or as the results page reads them back)."""
    runs = runs_table(records)
    labels = {r["run"]["method"]: label(r["run"]) for r in records}
    target = paper_table("I")["mse_mean"].to_dict()
    pca_target = paper_table("II")["pca_mean"].to_dict()
    verdicts = {}
    for method in runs["method"].unique():
        if method == BASELINE:
            continue
        if method == PCA:
            verdicts[method] = matches(runs, method=PCA, target=pca_target,
                                       claim="Our PCA matches the paper's PCA column (the scoring code is sound)")
            continue
        verdicts[method] = closes_gap(runs, method=method, baseline=BASELINE, target=target,
                                      claim=f"{labels[method]} closes the MSE gap")
    return GapResult(runs=runs, verdicts=verdicts, labels=labels,
                     baseline=baseline if baseline is not None else GridResult(table=pd.DataFrame()),
                     records=records)
