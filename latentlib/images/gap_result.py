"""Chapter 06's result: every run, the per-training-seed table the verdicts ran on, the
claims, and the chapter's tables built from them (no decision is made here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from latentlib.book.tables import mean_std
from latentlib.evaluation.claims import Claim
from latentlib.evaluation.verdicts import (
    DOES_NOT_HOLD,
    HOLDS,
    OFF,
    WITHIN,
    Verdict,
)
from latentlib.images.gap_hypotheses import (
    BASELINE,
    COLUMNS,
    PCA,
    TRIPLET,
    VIEW_CHECK,
    VIEWS,
    _published,
    view_method,
)
from latentlib.images.study import GridResult

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
