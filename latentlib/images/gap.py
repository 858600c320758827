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
import inspect
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from latentlib.book.paper import TABLE_I, TABLE_II
from latentlib.book.plots import project_2d
from latentlib.book.provenance import device_description
from latentlib.book.results import make_record, variant, write_record
from latentlib.book.tables import mean_std
from latentlib.data.splits import LabelledSplit
from latentlib.evaluation import verdicts as _verdicts
from latentlib.evaluation.claims import PARTLY, Claim
from latentlib.evaluation.evaluate import encode, kmeans_labels, score_clusters
from latentlib.evaluation.manifold import umap_embedding
from latentlib.evaluation.verdicts import Verdict, closes_gap, matches
from latentlib.images.data import load_image_data
from latentlib.images.study import GridResult, run_objective_grid, run_pca_grid, runs_table

#: the verdicts' outcomes (older versions of the verdicts module had "undecided" for the third)
HOLDS = getattr(_verdicts, "HOLDS", "holds")
DOES_NOT_HOLD = getattr(_verdicts, "DOES_NOT_HOLD", "does not hold")
NOT_SHOWN = getattr(_verdicts, "NOT_SHOWN", "not shown")
#: a per-size level of a published column (``matches`` / ``closes_gap`` evidence)
WITHIN, OFF = getattr(_verdicts, "WITHIN", "within"), getattr(_verdicts, "OFF", "off")

BASELINE = "baseline"
PCA = "pca"
TRIPLET = "triplet"
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
#: the 2-D views, and their names in prose
VIEWS = {"tsne_view": "t-SNE", "umap_view": "UMAP"}
#: the subsample-size check of the views (its runs feed no hypothesis verdict)
VIEW_CHECK = "view_points_check"
#: a column a view is applied to -> (our method with no view, the paper's table, its column, its name)
COLUMNS = {
    "mse": (BASELINE, "I", "mse", "Table I MSE column"),
    "triplet": (TRIPLET, "I", "triplet", "Table I triplet column"),
    "pca": (PCA, "II", "pca", "Table II PCA column"),
}
#: UMAP's own defaults (15 neighbours, min_dist 0.1); t-SNE: perplexity 30, PCA init
UMAP_NEIGHBORS, UMAP_MIN_DIST = 15, 0.1
COLUMN_NAMES = {"mse": "MSE", "triplet": "triplet", "pca": "PCA"}


def view_method(hypothesis: str, column: str) -> str:
    """The ``method`` of the runs of one view applied to one column (``umap_view-mse``)."""
    return f"{hypothesis}-{column}"


def check_method(hypothesis: str, points: int) -> str:
    """The ``method`` of the subsample-size check of one view at ``points`` points."""
    return f"{hypothesis}-mse-{points}pts"


def _published(column: str) -> dict[int, tuple[float, float | None]]:
    _, table, name, _ = COLUMNS[column]
    return (TABLE_I if table == "I" else TABLE_II)[name]


# ---------------------------------------------------------------- the result of a run

@dataclass
class GapResult:
    """Every run of the study (one row each), the per-training-seed table the verdicts
    ran on, the claims, and the baseline grid."""

    runs: pd.DataFrame
    verdicts: dict[str, Verdict]
    labels: dict[str, str]
    baseline: GridResult
    records: list[dict[str, Any]] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    seed_runs: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def checks(self) -> list[str]:
        """The methods of the subsample-size check (no hypothesis of their own)."""
        return sorted(self.runs.loc[self.runs["hypothesis"] == VIEW_CHECK, "method"].unique()) \
            if len(self.runs) else []

    def table(self, sizes: tuple[int, ...] | None = None) -> pd.DataFrame:
        """The MSE hypotheses, one row each: mean SS at each size (± the std over training
        seeds, a view's seed value being the mean of its draws), the paper's MSE column
        first, and whether the variant reproduces that column (level and trend)."""
        sizes = sizes or tuple(sorted(self.runs["embedding_size"].unique()))
        answer = "reproduces the paper's MSE column?"
        rows = [{"variant": "paper, Table I (MSE only)", **_paper_cells("mse", sizes), "runs": "", answer: ""}]
        methods = [m for m in _ordered(self.seed_runs["method"].unique())
                   if m not in (TRIPLET, PCA, *self.checks) and _column_of(m) in ("mse", None)]
        for method in methods:
            part = self.seed_runs[self.seed_runs["method"] == method]
            row = {"variant": self.labels.get(method, method)}
            row.update({f"d = {d}": _size_cell(part[part["embedding_size"] == d]) for d in sizes})
            row["runs"] = _count(self.runs[self.runs["method"] == method])
            verdict = self.verdicts.get(method)
            row[answer] = gap_answer(verdict) if verdict is not None and method != BASELINE else "(reference)"
            rows.append(row)
        return pd.DataFrame(rows).set_index("variant")

    def view_table(self, sizes: tuple[int, ...] | None = None) -> pd.DataFrame:
        """Every column (MSE, triplet, PCA) as the paper prints it, as we score it with no
        view, and through each 2-D view: mean SS per size (± the std over training
        seeds), runs per size, and the claim's outcome (level and trend)."""
        sizes = sizes or tuple(sorted(self.runs["embedding_size"].unique()))
        answer = "reproduces the paper's column?"
        rows = []
        for column, (raw, _, _, name) in COLUMNS.items():
            methods = {raw: "ours, no view",
                       **{view_method(h, column): f"ours, 2-D {v} view" for h, v in VIEWS.items()}}
            present = {m: text for m, text in methods.items() if (self.seed_runs["method"] == m).any()}
            if not any(m != raw for m in present):
                continue
            rows.append({"column": name, "scored": "paper", **_paper_cells(column, sizes), "runs": "", answer: ""})
            for method, scored in present.items():
                part = self.seed_runs[self.seed_runs["method"] == method]
                verdict = self.verdicts.get(method)
                rows.append({"column": name, "scored": scored,
                             **{f"d = {d}": _size_cell(part[part["embedding_size"] == d]) for d in sizes},
                             "runs": _count(self.runs[self.runs["method"] == method]),
                             answer: level_answer(verdict) if verdict is not None else "–"})
        return pd.DataFrame(rows).set_index(["column", "scored"]) if rows else pd.DataFrame()

    def check_table(self) -> pd.DataFrame:
        """The subsample-size check: one MSE embedding's view SS at each number of points
        (mean ± std over the view draws) and the CPU time of one view."""
        checked = self.runs[self.runs["hypothesis"] == VIEW_CHECK] if len(self.runs) else self.runs
        if not len(checked):
            return pd.DataFrame()
        size, seed = checked.iloc[0]["embedding_size"], checked.iloc[0]["seed"]
        same = self.runs[self.runs["hypothesis"].isin([*VIEWS, VIEW_CHECK]) & self.runs["column"].eq("mse")
                         & (self.runs["embedding_size"] == size) & (self.runs["seed"] == seed)]
        rows = []
        for (view, points), group in same.groupby(["view", "view_points"], sort=True):
            if view not in set(checked["view"]):
                continue
            cpu = group["view_cpu_seconds"] if "view_cpu_seconds" in group else pd.Series(dtype=float)
            rows.append({"view": VIEWS[view], "points": f"{int(points):,}", "draws": len(group),
                         "SS": mean_std(group["silhouette"].mean(), group["silhouette"].std()),
                         "ACC": mean_std(group["acc"].mean(), group["acc"].std()),
                         "CPU seconds per view": f"{cpu.mean():.1f}" if cpu.notna().any() else "–"})
        return pd.DataFrame(rows).set_index(["view", "points"])

    def view_cost(self) -> str:
        """What the views cost, from their records: CPU seconds of one view at each
        number of points, and of all the views of this run (one thread)."""
        if not len(self.runs) or "view_cpu_seconds" not in self.runs:
            return "The records hold no view timings."
        views = self.runs[self.runs["hypothesis"].isin(list(VIEWS))]
        views = views[views["view_cpu_seconds"].notna()]
        if not len(views):
            return "The records hold no view timings."
        per = views.groupby(["view", "view_points"])["view_cpu_seconds"].mean()
        each = "; ".join(f"{VIEWS[v]} at {int(p):,} points {s:.1f} s" for (v, p), s in per.items())
        score = views["score_cpu_seconds"].sum() if "score_cpu_seconds" in views else 0.0
        checked = self.runs[self.runs["hypothesis"] == VIEW_CHECK]
        check = (f"; the size check adds {checked['view_cpu_seconds'].sum() / 60:.1f} CPU minutes"
                 if len(checked) and "view_cpu_seconds" in checked else "")
        return (f"CPU time of one view (mean over its draws, one thread): {each}. All {len(views)} views: "
                f"{views['view_cpu_seconds'].sum() / 60:.1f} CPU minutes, plus {score / 60:.1f} for their "
                f"K-Means and silhouette{check}.")


def _paper_cells(column: str, sizes: tuple[int, ...]) -> dict[str, str]:
    published = _published(column)
    return {f"d = {d}": mean_std(published[d][0], published[d][1] if published[d][1] is not None else np.nan)
            if d in published else "–" for d in sizes}


def _count(runs: pd.DataFrame) -> str:
    """``3`` runs per size, or ``3 x 3`` (training seeds x view draws) for a view."""
    if not len(runs):
        return ""
    per_size = runs.groupby("embedding_size")
    seeds = int(per_size["seed"].nunique().max())
    draws = int(runs.groupby(["embedding_size", "seed"]).size().max())
    return f"{seeds} x {draws}" if draws > 1 else str(seeds)


def _column_of(method: str) -> str | None:
    for view in VIEWS:
        for column in COLUMNS:
            if method == view_method(view, column):
                return column
    return None


def _ordered(methods) -> list[str]:
    """The chapter's order: the baseline, the references, the views, then the rest."""
    rank = {BASELINE: 0, TRIPLET: 1, PCA: 2}
    rank.update({view_method(h, c): 3 + i for i, (h, c) in
                 enumerate((h, c) for c in COLUMNS for h in VIEWS)})
    return sorted(methods, key=lambda m: (rank.get(m, len(rank) + 3), str(m)))


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


def percent(value: float) -> str:
    """``93%``; a share that rounds to zero prints ``0%``, never ``-0%``."""
    if value is None or not np.isfinite(value):
        return "–"
    text = f"{value:.0%}"
    return "0%" if text == "-0%" else text


def _levels(verdict: Verdict) -> pd.Series:
    evidence = verdict.evidence
    return evidence["level"] if "level" in evidence.columns else pd.Series(dtype=str)


def gap_answer(verdict: Verdict) -> str:
    """The table's short answer, from the per-size effects of a :func:`closes_gap` verdict
    (or, for the PCA control, a :func:`matches` verdict)."""
    if "effect" not in verdict.evidence.columns:  # a control: matches the paper or not
        return level_answer(verdict)
    effects = verdict.evidence["effect"].value_counts()
    n = len(verdict.evidence)
    parts = [f"{word} at {effects[effect]}" for effect, word in
             (("closes", "closes it"), ("overshoots", "overshoots it"), ("narrows", "narrows it"),
              ("widens", "widens it"), ("no change", "no change")) if effects.get(effect, 0)]
    moves = f"{', '.join(parts)} of {n} size{'s' if n != 1 else ''}" if parts else "no usable runs"
    if verdict.outcome == HOLDS:
        return "yes (level and trend)"
    if verdict.outcome == DOES_NOT_HOLD:
        return f"no; {moves}" + ("; the trend is off" if not (_levels(verdict) == OFF).any() else "")
    return f"not shown; {moves}"


def level_answer(verdict: Verdict) -> str:
    """``holds`` / ``does not hold`` / ``not shown`` of a level-and-trend verdict, with
    how many sizes are within the tolerance and whether the trend decided it."""
    levels = _levels(verdict)
    if not len(levels):
        return f"{verdict.outcome} (no usable runs)"
    within, off = int((levels == WITHIN).sum()), int((levels == OFF).sum())
    detail = f"level within at {within} of {len(levels)}, off at {off}"
    if verdict.outcome == DOES_NOT_HOLD and not off:
        detail += "; the trend is off"
    return f"{verdict.outcome} ({detail})"


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


# ---------------------------------------------------------------- deciding

def label(run: dict[str, Any]) -> str:
    """The table's row label of a run's variant, from what the run says it changed."""
    hypothesis, changed = run.get("hypothesis", run["method"]), run.get("changed") or {}
    if hypothesis == BASELINE:
        return "baseline: chapter 02's MSE runs"
    if hypothesis == PCA:
        return "control: PCA (Table II's column)"
    if hypothesis == TRIPLET:
        return "chapter 02's triplet runs, no view"
    if hypothesis == VIEW_CHECK:
        return f"{VIEWS[run['view']]} view of {run['view_points']} points (size check)"
    if hypothesis in VIEWS:
        column = run.get("column", "mse")
        return f"2-D {VIEWS[hypothesis]} view" + ("" if column == "mse" else f" of the {COLUMN_NAMES[column]} runs")
    if hypothesis == "long":
        return f"training {changed['epochs']} epochs"
    if hypothesis == "train_size":
        return f"training on {changed['n_train']} images"
    return HYPOTHESES[hypothesis]


def gap_runs(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run (:func:`runs_table`) with its hypothesis, the column a view was
    applied to, the view, its draw (``view_seed``) and its number of points; a view's
    ``method`` is ``<view>-<column>`` (records from before the views were applied to
    every column hold the MSE column's views under the view's name)."""
    runs = runs_table(records)
    if not len(runs):
        return runs
    runs["hypothesis"] = [r["run"].get("hypothesis", r["run"]["method"]) for r in records]
    runs["view"] = [r["run"].get("view", r["run"].get("hypothesis")) if r["run"].get("hypothesis") in
                    (*VIEWS, VIEW_CHECK) else None for r in records]
    runs["column"] = [r["run"].get("column", "mse") if r["run"].get("hypothesis") in (*VIEWS, VIEW_CHECK) else None
                      for r in records]
    runs["view_seed"] = [r["run"].get("view_seed", r["run"]["seed"]) if r["run"].get("hypothesis") in
                         (*VIEWS, VIEW_CHECK) else np.nan for r in records]
    runs["view_points"] = [r["run"].get("view_points", r["config"].get("view_points")) if
                           r["run"].get("hypothesis") in (*VIEWS, VIEW_CHECK) else np.nan for r in records]
    is_view = runs["hypothesis"].isin(list(VIEWS))
    runs.loc[is_view, "method"] = [view_method(h, c) for h, c in zip(runs.loc[is_view, "hypothesis"],
                                                                      runs.loc[is_view, "column"])]
    if "collapsed" not in runs:
        runs["collapsed"] = False
    runs["collapsed"] = runs["collapsed"].fillna(False).astype(bool)
    return runs


def per_training_seed(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, size, training seed): a view's draws averaged (the training
    seed is the independent unit; the mean of its draws carries the view's and the
    subsample's noise into the seed spread the verdicts use); other runs unchanged."""
    if not len(runs):
        return runs
    metrics = [m for m in ("silhouette", "acc", "nmi", "ari") if m in runs]
    grouped = runs.groupby(["method", "embedding_size", "seed"], sort=True)
    table = grouped[metrics].mean()
    table["collapsed"] = grouped["collapsed"].any()
    table["draws"] = grouped.size()
    return table.reset_index()


def _call(function, runs: pd.DataFrame, **kwargs) -> Verdict:
    """A verdict function with the keyword arguments it takes (the verdicts module grows
    optional ones; a published target with stds falls back to means where it is refused)."""
    accepted = inspect.signature(function).parameters
    kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    try:
        return function(runs, **kwargs)
    except TypeError:  # a module that takes {d: mean} only does arithmetic on the tuples
        if not any(isinstance(v, tuple) for v in kwargs["target"].values()):
            raise
        kwargs["target"] = {d: (v[0] if isinstance(v, tuple) else v) for d, v in kwargs["target"].items()}
        return function(runs, **kwargs)


def _with_std(column: str) -> dict[int, tuple[float, float | None]]:
    return {d: (mean, std) for d, (mean, std) in _published(column).items()}


def _numbers(table: pd.DataFrame, method: str) -> str:
    means = table[(table["method"] == method) & ~table["collapsed"]].groupby("embedding_size")["silhouette"].mean()
    return " / ".join(f"{v:.3f}" for v in means.to_numpy()) or "–"


def _published_text(column: str, sizes: list[int]) -> str:
    published = _published(column)
    return " / ".join(f"{published[d][0]:.3f}" for d in sizes if d in published)


def _status(verdict: Verdict) -> str:
    """partly: not shown to hold, yet the level is within at some size."""
    levels = _levels(verdict)
    return PARTLY if verdict.outcome != HOLDS and (levels == WITHIN).any() else ""


def _data(records: list[dict[str, Any]], runs: pd.DataFrame, method: str) -> str:
    part = runs[runs["method"] == method]
    first = records[int(np.flatnonzero((runs["method"] == method).to_numpy())[0])] if len(part) else records[0]
    seeds = sorted(int(s) for s in part["seed"].unique())
    text = (f"{first.get('data', {}).get('dataset', first['config'].get('dataset', 'mnist'))}, "
            f"{int(first.get('data', {}).get('n_train', 0)):,} training images, seeds {seeds}")
    if part["view_seed"].notna().any():
        draws = sorted(int(v) for v in part["view_seed"].dropna().unique())
        points = sorted(int(p) for p in part["view_points"].dropna().unique())
        text += f", view draws {draws} of {'/'.join(f'{p:,}' for p in points)} test points"
    return text


def claim_text(method: str, labels: dict[str, str] | None = None) -> str:
    """The claim each method's verdict tests, one text per method (:func:`gap_findings`
    finds the claims of the views and the columns by it, never by a part of it)."""
    column = _column_of(method)
    if column is not None:
        view = VIEWS[method.removesuffix(f"-{column}")]
        return (f"A 2-D {view} view of our {COLUMN_NAMES[column]} runs reproduces the {COLUMNS[column][3]} "
                f"(level at every d and trend)")
    if method in RAW:
        return (f"Our {COLUMN_NAMES[RAW[method]]} runs, scored with no view, reproduce the "
                f"{COLUMNS[RAW[method]][3]} (level at every d and trend)")
    return f"{(labels or {}).get(method, method)} closes the MSE gap (level at every d and trend)"


RAW = {BASELINE: "mse", TRIPLET: "triplet", PCA: "pca"}


def judge(records: list[dict[str, Any]], *, baseline: GridResult | None = None) -> GapResult:
    """The runs, the per-training-seed table, the verdicts and the claims of a study 06
    run, from its records (as the chapter makes them, or as the results page reads them
    back). The one place chapter 06 decides anything:

    - each column with no view (MSE, triplet, PCA) against the paper's, by
      :func:`~latentlib.evaluation.verdicts.matches` (level at every size and trend);
    - each view of the MSE runs, and every other MSE hypothesis, by
      :func:`~latentlib.evaluation.verdicts.closes_gap` against the baseline;
    - each view of the triplet and PCA runs by ``matches``;
    - the subsample-size check (:func:`_check_claims`).

    The targets carry the paper's std, so each size's tolerance comes from the paper's
    spread and ours (:mod:`latentlib.evaluation.verdicts`), not a fixed margin."""
    runs = gap_runs(records)
    labels = {}
    for record in records:
        run = record["run"]
        method = view_method(run["hypothesis"], run.get("column", "mse")) if run.get("hypothesis") in VIEWS \
            else run["method"]
        labels[method] = label(run)
    checks = set(runs.loc[runs["hypothesis"] == VIEW_CHECK, "method"]) if len(runs) else set()
    seed_runs = per_training_seed(runs[~runs["method"].isin(checks)]) if len(runs) else runs
    sizes = sorted(runs["embedding_size"].unique()) if len(runs) else []
    verdicts: dict[str, Verdict] = {}
    claims: list[Claim] = []
    for method in _ordered(seed_runs["method"].unique() if len(seed_runs) else []):
        column = _column_of(method) or RAW.get(method, "mse")
        text = claim_text(method, labels)
        viewed = _column_of(method) is not None
        if method in RAW or (viewed and column != "mse"):
            verdict = _call(matches, seed_runs, method=method, target=_with_std(column), claim=text)
        else:  # a view of the MSE runs, or any other MSE hypothesis: a variant of the baseline
            verdict = _call(closes_gap, seed_runs, method=method, baseline=BASELINE, target=_with_std("mse"),
                            claim=text)
        paper = ""
        if viewed:
            paper = f"{COLUMNS[column][3]}, read as the SS of a 2-D {VIEWS[method.removesuffix('-' + column)]} view"
        verdicts[method] = verdict
        claims.append(Claim(verdict, paper=paper, ours=_numbers(seed_runs, method),
                            published=_published_text(column, sizes), data=_data(records, runs, method),
                            status=_status(verdict) if paper else ""))
    claims += _check_claims(runs)
    return GapResult(runs=runs, verdicts=verdicts, labels=labels,
                     baseline=baseline if baseline is not None else GridResult(table=pd.DataFrame()),
                     records=records, claims=claims, seed_runs=seed_runs)


def _check_claims(runs: pd.DataFrame) -> list[Claim]:
    """Per view checked: does the view of ``view_points`` points score as the view of the
    most points checked (same embedding, same draws)? ``matches`` with the larger view's
    mean ± std as the target, over its number of draws."""
    checked = runs[runs["hypothesis"] == VIEW_CHECK] if len(runs) else runs
    if not len(checked):
        return []
    size, seed = checked.iloc[0]["embedding_size"], checked.iloc[0]["seed"]
    claims = []
    for view in VIEWS:
        same = runs[runs["view"].eq(view) & runs["column"].eq("mse") & (runs["embedding_size"] == size)
                    & (runs["seed"] == seed)]
        if same["view_points"].nunique() < 2:
            continue
        largest = same["view_points"].max()
        reference = same[same["view_points"] == largest]["silhouette"]
        target = {size: (float(reference.mean()), float(reference.std()) if len(reference) > 1 else None)}
        for points in sorted(same["view_points"].unique())[:-1]:
            part = same[same["view_points"] == points].assign(method="smaller")
            verdict = _call(matches, part, method="smaller", target=target, paper_runs=len(reference),
                            claim=f"The {VIEWS[view]} view of {int(points):,} test points scores as the view of "
                                  f"{int(largest):,} (one MSE run, d = {size}, seed {seed}; same draws)")
            claims.append(Claim(verdict, ours=f"{part['silhouette'].mean():.3f} ({_draws(len(part))})",
                                published=f"{reference.mean():.3f} ({_draws(len(reference))} of {int(largest):,})",
                                data=f"one MSE run, d = {size}, seed {seed}"))
    return claims


def _draws(n: int) -> str:
    return f"{n} draw{'s' if n != 1 else ''}"


def gap_claims(records: list[dict[str, Any]]) -> list[Claim]:
    """Chapter 06's claims, from its records (:func:`judge`)."""
    return judge(records).claims


# ---------------------------------------------------------------- the chapter's words and figures

def _claims_by_text(claims: list[Claim]) -> dict[str, Claim]:
    return {claim.claim: claim for claim in claims}


def _evidence(claim: Claim, column: str) -> pd.Series:
    evidence = claim.verdict.evidence
    for name in ((column,) if column != "ours" else ("ours", "variant")):
        if name in evidence.columns:
            return evidence[name].astype(float)
    return pd.Series(dtype=float)


def _change(claim: Claim) -> tuple[float, float]:
    """Ours and the paper's change from the smallest to the largest size (NaN with one)."""
    ours, target = _evidence(claim, "ours"), _evidence(claim, "target")
    if len(ours) < 2:
        return float("nan"), float("nan")
    return float(ours.iloc[-1] - ours.iloc[0]), float(target.iloc[-1] - target.iloc[0])


def _against(claim: Claim) -> str:
    """``0.49 / 0.50 against the paper's 0.53 / 0.51 (change +0.01 vs -0.02)``."""
    ours, target = _evidence(claim, "ours"), _evidence(claim, "target")
    if not len(ours):
        return "no usable runs"
    text = (f"{' / '.join(f'{v:.3f}' for v in ours)} against the paper's "
            f"{' / '.join(f'{v:.3f}' for v in target)}")
    mine, theirs = _change(claim)
    if np.isfinite(mine):
        text += f"; change with d {mine:+.3f} against {theirs:+.3f}"
    return text


def _why_not(claim: Claim) -> str:
    """Which part of a level-and-trend verdict failed, read from its evidence."""
    levels = _levels(claim.verdict)
    off = int((levels == OFF).sum())
    if claim.outcome == DOES_NOT_HOLD:
        return (f"the level is off at {off} of {len(levels)} sizes" if off else
                "the level is close at every size but the trend with d is off")
    if claim.outcome == NOT_SHOWN:
        return "inside the noise: the data cannot tell"
    return "level and trend within"


def _share(claim: Claim) -> str:
    shares = _evidence(claim, "share_of_gap_closed")
    return f"; it closes {percent(float(shares.mean()))} of the MSE gap on average over the sizes" \
        if len(shares) and shares.notna().any() else ""


def gap_findings(claims: list[Claim]) -> str:
    """The chapter's reading of its claims, as Markdown: for each view, what it does to
    each column; what would tell "the paper scored a 2-D view" from "the paper's MSE
    column is in error"; which other hypotheses reproduce the MSE column; and what stays
    open. Every outcome here is a claim's (decided by :func:`judge`); this only words them."""
    by_text = _claims_by_text(claims)

    def find(method: str) -> Claim | None:
        return by_text.get(claim_text(method))

    known = {claim_text(m) for m in RAW} | {claim_text(view_method(h, c)) for h in VIEWS for c in COLUMNS}
    lines = []
    raw = {column: find(method) for method, column in RAW.items()}
    if raw["pca"] is not None:
        meaning = ("where both score the same embedding, our K-Means and silhouette give the paper's numbers, "
                   "so the scoring code is not where the gap comes from" if raw["pca"].outcome == HOLDS else
                   "the control does not clear the scoring code in this run")
        lines.append(f"- **Scoring code.** Our PCA, scored with no view, against Table II's PCA column: "
                     f"**{raw['pca'].outcome}** ({_against(raw['pca'])}): {meaning}.")
    plain = [f"{name} **{raw[column].outcome}** ({_why_not(raw[column])}; {_against(raw[column])})"
             for column, name in (("triplet", "triplet column"), ("mse", "MSE column")) if raw[column] is not None]
    if plain:
        lines.append("- **Scored with no view (as chapter 02).** " + "; ".join(plain) + ".")
    explains_both, tested_views, open_views = [], [], []
    for hypothesis, view in VIEWS.items():
        mse, triplet, pca = (find(view_method(hypothesis, c)) for c in COLUMNS)
        if mse is None:
            continue
        tested_views.append(view)
        parts = [f"MSE column **{mse.outcome}** ({_why_not(mse)}; {_against(mse)}{_share(mse)})"]
        if triplet is not None:
            parts.append(f"triplet column **{triplet.outcome}** ({_why_not(triplet)}; {_against(triplet)})")
        if pca is not None:
            parts.append(f"PCA against Table II **{pca.outcome}** ({_why_not(pca)}; {_against(pca)})")
        reading = _view_reading(view, mse, triplet, pca, raw.get("pca"))
        if mse.outcome == HOLDS and triplet is not None and triplet.outcome == HOLDS:
            explains_both.append(view)
        if NOT_SHOWN in (mse.outcome, getattr(triplet, "outcome", None)):
            open_views.append(view)
        lines.append(f"- **A 2-D {view} view.** " + "; ".join(parts) + f". {reading}")
    others = [c for c in claims if c.claim not in known and "effect" in c.verdict.evidence.columns]
    if others:
        held = [c.claim.removesuffix(" closes the MSE gap (level at every d and trend)") for c in others
                if c.outcome == HOLDS]
        unclear = [c for c in others if c.outcome == NOT_SHOWN]
        lines.append("- **Other hypotheses (the MSE runs changed in one respect).** "
                     + (f"Reproduce the MSE column on their own: {'; '.join(held)}. " if held else
                        "None reproduces the MSE column in level and trend. ")
                     + (f"Not shown either way: {'; '.join(_label_of(c) for c in unclear)}." if unclear else ""))
    checks = [c for c in claims if c.claim not in known and "effect" not in c.verdict.evidence.columns]
    for check in checks:
        lines.append(f"- **Subsample size.** {check.claim}: **{check.outcome}** ({check.ours} against "
                     f"{check.published}; {_why_not(check)}).")
    lines += ["", "**What would tell the two readings apart.** If the paper scored its autoencoders on a 2-D "
              "view, the same view must reproduce *every* column it scored that way: the MSE column's level "
              "and its fall with d (0.534 to 0.513), and the triplet column's (0.672 to 0.576). A view that "
              "lifts the MSE column to the paper's level but shows no fall with d, or lifts the triplet column "
              "far above the paper's, is not the paper's scoring; if a view lifts both columns past the paper, "
              "no single scoring explains both. If instead the paper's MSE column is in error (a different "
              "model or run than described, or a slip in the table), no scoring or training choice need "
              "reproduce it while the other columns reproduce as they do. Only the authors' code or scored "
              "embeddings can settle it; our runs can only rule readings out.", ""]
    if explains_both:
        lines.append(f"**Open.** A 2-D {' or '.join(explains_both)} view reproduces both Table I columns here, "
                     "so \"the paper scored a 2-D view\" is consistent with the data for that view; it is not "
                     "shown to be what the paper did, and an error in the paper's MSE column is not ruled out.")
    else:
        tested = " and ".join(tested_views) or "no view"
        lines.append(f"**Open.** No 2-D view tested here ({tested}, at these settings) reproduces both Table I "
                     "columns in level and trend"
                     + (f"; for {' and '.join(open_views)} the data cannot tell" if open_views else "")
                     + ". So neither reading is shown: \"the paper scored a 2-D view\" is not supported by "
                     "the views tested (another view, its settings or its number of points could still do "
                     "it), and \"the paper's MSE column is in error\" cannot be tested by any run here.")
    return "\n".join(lines)


def _label_of(claim: Claim) -> str:
    return claim.claim.removesuffix(" closes the MSE gap (level at every d and trend)")


def _view_reading(view: str, mse: Claim, triplet: Claim | None, pca: Claim | None, raw_pca: Claim | None) -> str:
    """What one view's outcomes mean for the two readings (words only)."""
    lifted = triplet is not None and len(_evidence(triplet, "difference")) and \
        float(_evidence(triplet, "difference").max()) > 0
    if mse.outcome == HOLDS and triplet is not None and triplet.outcome == HOLDS:
        text = f"The {view} view reproduces both Table I columns: consistent with the paper scoring this view."
        if pca is not None and pca.outcome != HOLDS and raw_pca is not None and raw_pca.outcome == HOLDS:
            text += (" Table II's PCA column, though, matches PCA scored with no view: the paper would have scored "
                     "PCA and the autoencoders differently.")
        return text
    if mse.outcome == HOLDS:
        where = (f"moves the triplet column off the paper's ({'above' if lifted else 'below'} it)"
                 if triplet is not None and triplet.outcome == DOES_NOT_HOLD else
                 "leaves the triplet column undecided" if triplet is not None else
                 "was not applied to the triplet runs")
        return (f"It lifts the MSE column to the paper's but {where}: no single scoring of Table I by this view "
                "explains both columns.")
    if mse.outcome == NOT_SHOWN:
        return f"Whether the {view} view reproduces the MSE column stays open here."
    text = f"The {view} view does not reproduce the MSE column"
    if triplet is not None and triplet.outcome == DOES_NOT_HOLD and lifted:
        text += ", and it lifts the triplet column past the paper's"
    return text + ": it does not explain Table I as a whole."


def _series(seed_runs: pd.DataFrame, method: str) -> pd.DataFrame:
    """Mean and std over training seeds per size, collapsed runs left out (and counted)."""
    part = seed_runs[seed_runs["method"] == method]
    kept = part[~part["collapsed"]]
    out = kept.groupby("embedding_size")["silhouette"].agg(["mean", "std"])
    out["collapsed"] = part.groupby("embedding_size")["collapsed"].sum()
    return out.reindex(sorted(part["embedding_size"].unique()))


def _mark_collapsed(ax: Any, seed_runs: pd.DataFrame, method: str, colour: Any) -> bool:
    """Collapsed runs as crosses (their SS says nothing about the classes), off the line."""
    part = seed_runs[(seed_runs["method"] == method) & seed_runs["collapsed"]]
    if len(part):
        ax.scatter(part["embedding_size"], part["silhouette"], marker="x", s=50, color=colour, zorder=3)
        for x, y in zip(part["embedding_size"], part["silhouette"]):
            ax.annotate("collapsed", (x, y), textcoords="offset points", xytext=(6, -3), fontsize=7, color=colour)
    return bool(len(part))


def _paper_series(ax: Any, column: str, label: str, sizes: list[int]) -> None:
    """The paper's column at the sizes we ran, as hollow black squares."""
    published = _published(column)
    sizes = [d for d in sizes if d in published]
    ax.errorbar(sizes, [published[d][0] for d in sizes],
                yerr=[published[d][1] or 0 for d in sizes], color="black", marker="s", markerfacecolor="none",
                linestyle="--", capsize=3, label=label)


def _axes(ax: Any, sizes: list[int]) -> None:
    import matplotlib.pyplot as plt

    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes)
    ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    ax.set_xlabel("embedding size d")
    ax.grid(alpha=0.3)


PAPER_LABELS = {"mse": "paper, Table I (MSE only)", "triplet": "paper, Table I (MSE + triplet)",
                "pca": "paper, Table II (PCA)"}


def hypotheses_figure(study: GapResult):
    """SS against d for the baseline and every MSE hypothesis (mean over training seeds,
    collapsed runs left out of the line and drawn as crosses), beside the paper's MSE
    column."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    methods = [m for m in _ordered(study.seed_runs["method"].unique())
               if m not in (TRIPLET, PCA, *study.checks) and _column_of(m) in ("mse", None)]
    colours = dict(zip(methods, sns.color_palette("tab10", len(methods))))
    fig, ax = plt.subplots(figsize=(8, 5))
    crosses = False
    for method in methods:
        series = _series(study.seed_runs, method)
        ax.errorbar(series.index, series["mean"], yerr=series["std"].fillna(0), marker="o", capsize=3,
                    color=colours[method], label=study.labels.get(method, method))
        crosses |= _mark_collapsed(ax, study.seed_runs, method, colours[method])
    _paper_series(ax, "mse", PAPER_LABELS["mse"], sorted(study.runs["embedding_size"].unique()))
    if crosses:
        ax.scatter([], [], marker="x", color="grey", label="collapsed run (left out of its line)")
    _axes(ax, sorted(study.runs["embedding_size"].unique()))
    ax.set_ylabel("silhouette (test split)")
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return fig


def views_figure(study: GapResult):
    """One panel per column (MSE, triplet, PCA): the paper's column, ours with no view,
    and each 2-D view (mean ± std over training seeds, each seed the mean of its draws)."""
    import matplotlib.pyplot as plt

    columns = [c for c in COLUMNS if any((study.seed_runs["method"] == view_method(h, c)).any() for h in VIEWS)]
    fig, axes = plt.subplots(1, max(len(columns), 1), figsize=(4.2 * max(len(columns), 1), 3.8), sharey=True,
                             squeeze=False)
    styles = {"none": ("o", "-", "C0"), "tsne_view": ("^", ":", "C1"), "umap_view": ("v", "-.", "C2")}
    for ax, column in zip(axes[0], columns):
        methods = {COLUMNS[column][0]: ("none", "ours, no view"),
                   **{view_method(h, column): (h, f"ours, 2-D {v} view") for h, v in VIEWS.items()}}
        for method, (style, text) in methods.items():
            if not (study.seed_runs["method"] == method).any():
                continue
            marker, line, colour = styles[style]
            series = _series(study.seed_runs, method)
            ax.errorbar(series.index, series["mean"], yerr=series["std"].fillna(0), marker=marker,
                        linestyle=line, capsize=3, color=colour, label=text)
            _mark_collapsed(ax, study.seed_runs, method, colour)
        _paper_series(ax, column, PAPER_LABELS[column], sorted(study.runs["embedding_size"].unique()))
        _axes(ax, sorted(study.runs["embedding_size"].unique()))
        ax.set_title(COLUMNS[column][3], fontsize=10)
        ax.legend(frameon=False, fontsize=7)
    axes[0][0].set_ylabel("silhouette (test split)")
    fig.tight_layout()
    return fig
