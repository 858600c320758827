"""Chapter 06's decisions: which hypothesis (and which 2-D view, on which column)
reproduces the paper's column, in level and trend, from the study's records."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from latentlib.evaluation.claims import PARTLY, Claim
from latentlib.evaluation.verdicts import (
    HOLDS,
    WITHIN,
    Verdict,
    closes_gap,
    matches,
)
from latentlib.images.gap_hypotheses import (
    BASELINE,
    COLUMN_NAMES,
    COLUMNS,
    HYPOTHESES,
    PCA,
    TRIPLET,
    VIEW_CHECK,
    VIEWS,
    _published,
    view_method,
)
from latentlib.images.gap_result import GapResult, _column_of, _levels, _ordered
from latentlib.images.study import GridResult, runs_table

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
            verdict = matches(seed_runs, method=method, target=_with_std(column), claim=text)
        else:  # a view of the MSE runs, or any other MSE hypothesis: a variant of the baseline
            verdict = closes_gap(seed_runs, method=method, baseline=BASELINE, target=_with_std("mse"),
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
            verdict = matches(part, method="smaller", target=target, paper_runs=len(reference),
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
