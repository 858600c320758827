"""The claims the book checks, decided in one tested place.

Every verdict the book prints ("triplet > MSE at every d", "the autoencoder beats PCA",
"SS falls as d grows", "the model beats its baseline") comes from a function here, with
its rule stated in the verdict itself:

- **A beats B** is decided per group (embedding size) on the runs' seeds with a 95%
  Welch t-interval of the difference of means: *holds* when the whole interval is above
  zero, *reversed* when it is below, *tie* when it contains zero. With one run per
  side there is no interval and the plain difference is compared with ``tolerance``.
- **falls with d** (or **rises with d**) holds when no step up in size raises the mean by more than
  ``tolerance`` and the largest size scores below the smallest by more than
  ``tolerance``: a rise of 0.001 is noise, not a contradiction.
- **closes the gap** (chapter 06): a variant of a baseline closes the gap to a
  published column when its mean is within ``GAP_TOLERANCE`` of the published mean at
  every size; per size it *narrows* the gap when it beats the baseline (the Welch
  interval, or with a single run on one side, a difference beyond twice the other
  side's seed std and at least ``tolerance``), *widens* it when it loses.
- **matches** a published column: within ``GAP_TOLERANCE`` at every size.
- **Collapsed runs are excluded** from every verdict (they are counted and named in
  it): a collapsed embedding's silhouette says nothing about the classes.

Input is a run table: one row per run with the grouping column, ``method``, ``seed``,
the metric and, optionally, ``collapsed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

#: a difference of means smaller than this, with no interval to judge it, is a tie
TOLERANCE = 0.01
CONFIDENCE = 0.95
#: how close a mean must come to a published mean to count as reaching it: about twice
#: the largest std of the paper's MSE column (0.028)
GAP_TOLERANCE = 0.05


@dataclass(frozen=True)
class Verdict:
    """A claim, whether the data uphold it, by which rule, and the evidence per group."""

    claim: str
    outcome: str  # "holds", "does not hold", or "undecided" (no usable runs)
    rule: str
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    excluded: int = 0

    @property
    def holds(self) -> bool:
        return self.outcome == "holds"

    def sentence(self) -> str:
        """One line for the book: the claim, the outcome, the rule, what was excluded."""
        excluded = f"; {self.excluded} collapsed run{'s' if self.excluded != 1 else ''} excluded" \
            if self.excluded else ""
        return f"**{self.claim}**: {self.outcome} ({self.rule}{excluded})."


def usable(runs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The runs that did not collapse, and how many did."""
    if "collapsed" not in runs.columns:
        return runs, 0
    collapsed = runs["collapsed"].fillna(False).astype(bool)
    return runs[~collapsed], int(collapsed.sum())


def compare(a: np.ndarray, b: np.ndarray, *, tolerance: float = TOLERANCE,
            confidence: float = CONFIDENCE) -> dict[str, float | str]:
    """``a`` vs ``b`` (one value per seed each): the mean difference, its Welch interval
    and the outcome (``better``, ``worse`` or ``tie``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if not len(a) or not len(b):
        return {"difference": float("nan"), "low": float("nan"), "high": float("nan"), "outcome": "missing"}
    difference = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        low = high = difference
        outcome = "better" if difference > tolerance else "worse" if difference < -tolerance else "tie"
        return {"difference": difference, "low": low, "high": high, "outcome": outcome}
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        low = high = difference
    else:
        dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * se
        low, high = difference - half, difference + half
    outcome = "better" if low > 0 else "worse" if high < 0 else "tie"
    if se == 0 and abs(difference) <= tolerance:
        outcome = "tie"
    return {"difference": difference, "low": low, "high": high, "outcome": outcome}


def beats(runs: pd.DataFrame, *, better: str, worse: str, metric: str = "silhouette",
          by: str = "embedding_size", claim: str | None = None, tolerance: float = TOLERANCE) -> Verdict:
    """Does method ``better`` score above ``worse`` on ``metric`` in every group?"""
    kept, excluded = usable(runs[runs["method"].isin([better, worse])])
    rows = []
    for group in sorted(kept[by].unique()):
        part = kept[kept[by] == group]
        result = compare(part.loc[part["method"] == better, metric].to_numpy(),
                         part.loc[part["method"] == worse, metric].to_numpy(), tolerance=tolerance)
        rows.append({by: group, "n_" + better: int((part["method"] == better).sum()),
                     "n_" + worse: int((part["method"] == worse).sum()), **result})
    evidence = pd.DataFrame(rows)
    claim = claim or f"{better} > {worse} in {metric} at every {by}"
    rule = (f"95% Welch interval of the difference over seeds above 0 at every {by}; "
            f"with one run a side, a difference above {tolerance:g}")
    if evidence.empty or (evidence["outcome"] == "missing").all():
        return Verdict(claim, "undecided", rule + "; no usable runs", evidence, excluded)
    counts = evidence["outcome"].value_counts()
    outcome = "holds" if counts.get("better", 0) == len(evidence) else "does not hold"
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("better", "tie", "worse") if counts.get(k, 0))
    return Verdict(claim, outcome, f"{rule}: {summary} of {len(evidence)}", evidence, excluded)


def falls_with(runs: pd.DataFrame, *, method: str, metric: str = "silhouette", by: str = "embedding_size",
               tolerance: float = TOLERANCE, claim: str | None = None) -> Verdict:
    """Does ``method``'s mean ``metric`` fall as ``by`` grows (within ``tolerance``)?"""
    return _trend(runs, method=method, metric=metric, by=by, tolerance=tolerance, sign=-1,
                  claim=claim or f"{method}: {metric} falls as {by} grows")


def rises_with(runs: pd.DataFrame, *, method: str, metric: str = "acc", by: str = "embedding_size",
               tolerance: float = TOLERANCE, claim: str | None = None) -> Verdict:
    """Does ``method``'s mean ``metric`` rise as ``by`` grows (within ``tolerance``)?"""
    return _trend(runs, method=method, metric=metric, by=by, tolerance=tolerance, sign=1,
                  claim=claim or f"{method}: {metric} rises as {by} grows")


def _trend(runs: pd.DataFrame, *, method: str, metric: str, by: str, tolerance: float, sign: int,
           claim: str) -> Verdict:
    kept, excluded = usable(runs[runs["method"] == method])
    means = kept.groupby(by)[metric].mean().sort_index()
    evidence = pd.DataFrame({by: means.index, "mean": means.to_numpy()})
    evidence["step"] = evidence["mean"].diff()
    against, direction = ("raises", "below") if sign < 0 else ("lowers", "above")
    rule = (f"no step up in {by} {against} the mean by more than {tolerance:g}, and the largest is "
            f"{direction} the smallest")
    if len(means) < 2:
        return Verdict(claim, "undecided", rule + "; fewer than two sizes", evidence, excluded)
    wrong_way = int((-sign * evidence["step"] > tolerance).sum())
    overall = float(means.iloc[-1] - means.iloc[0])
    outcome = "holds" if wrong_way == 0 and sign * overall > tolerance else "does not hold"
    steps = "rise" if sign < 0 else "fall"
    detail = f"{wrong_way} {steps}{'s' if wrong_way != 1 else ''} above {tolerance:g}; first to last {overall:+.3f}"
    return Verdict(claim, outcome, f"{rule}: {detail}", evidence, excluded)


def _differs(a: np.ndarray, b: np.ndarray, tolerance: float) -> str:
    """``better`` / ``worse`` / ``tie`` of ``a`` vs ``b``: the Welch interval with two or
    more runs a side; with one run on a side, the difference against twice the other
    side's seed std (and at least ``tolerance``)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) >= 2 and len(b) >= 2:
        return str(compare(a, b, tolerance=tolerance)["outcome"])
    spread = max([2 * float(np.std(x, ddof=1)) for x in (a, b) if len(x) >= 2] + [tolerance])
    difference = float(a.mean() - b.mean())
    return "better" if difference > spread else "worse" if difference < -spread else "tie"


def closes_gap(runs: pd.DataFrame, *, method: str, baseline: str, target: dict, metric: str = "silhouette",
               by: str = "embedding_size", gap_tolerance: float = GAP_TOLERANCE, tolerance: float = TOLERANCE,
               claim: str | None = None) -> Verdict:
    """Does ``method`` (a variant of ``baseline``) reach the published ``target`` (group ->
    mean) at every group? Evidence per group: both means, the target, the share of the
    gap closed and the effect: ``closes`` (within ``gap_tolerance`` of the target),
    ``overshoots`` (above it by more), else ``narrows`` / ``no change`` / ``widens``
    against the baseline, beyond seed noise."""
    kept, excluded = usable(runs[runs["method"].isin([method, baseline])])
    rows = []
    for group in sorted(kept.loc[kept["method"] == method, by].unique()):
        if group not in target:
            continue
        part = kept[kept[by] == group]
        ours = part.loc[part["method"] == method, metric].dropna().to_numpy()
        base = part.loc[part["method"] == baseline, metric].dropna().to_numpy()
        if not len(ours) or not len(base):
            continue
        goal, mean, base_mean = float(target[group]), float(ours.mean()), float(base.mean())
        if abs(mean - goal) <= gap_tolerance:
            effect = "closes"
        elif mean > goal + gap_tolerance and base_mean < goal:
            effect = "overshoots"
        else:
            effect = {"better": "narrows", "worse": "widens", "tie": "no change"}[_differs(ours, base, tolerance)]
        share = (mean - base_mean) / (goal - base_mean) if goal != base_mean else float("nan")
        rows.append({by: group, "baseline": base_mean, "variant": mean, "target": goal,
                     "share_of_gap_closed": share, "effect": effect, "n": len(ours)})
    evidence = pd.DataFrame(rows)
    claim = claim or f"{method} closes the gap to the target"
    rule = (f"within {gap_tolerance:g} of the published mean at every {by}; else compared with {baseline} "
            f"beyond seed noise")
    if evidence.empty:
        return Verdict(claim, "undecided", rule + "; no usable runs", evidence, excluded)
    closes = int((evidence["effect"] == "closes").sum())
    outcome = "holds" if closes == len(evidence) else "does not hold"
    detail = ", ".join(f"{k} at {v}" for k, v in evidence["effect"].value_counts().items())
    return Verdict(claim, outcome, f"{rule}: {detail} of {len(evidence)}; mean share of the gap closed "
                                   f"{evidence['share_of_gap_closed'].mean():.0%}", evidence, excluded)


def matches(runs: pd.DataFrame, *, method: str, target: dict, metric: str = "silhouette",
            by: str = "embedding_size", gap_tolerance: float = GAP_TOLERANCE, claim: str | None = None) -> Verdict:
    """Is ``method``'s mean within ``gap_tolerance`` of the published ``target`` at every group?"""
    kept, excluded = usable(runs[runs["method"] == method])
    means = kept.groupby(by)[metric].mean()
    rows = [{by: g, "ours": float(means[g]), "target": float(target[g]), "difference": float(means[g] - target[g])}
            for g in means.index if g in target]
    evidence = pd.DataFrame(rows)
    claim = claim or f"{method} matches the published values"
    rule = f"mean within {gap_tolerance:g} of the published mean at every {by}"
    if evidence.empty:
        return Verdict(claim, "undecided", rule + "; no usable runs", evidence, excluded)
    worst = float(evidence["difference"].abs().max())
    outcome = "holds" if worst <= gap_tolerance else "does not hold"
    return Verdict(claim, outcome, f"{rule}: largest difference {worst:.3f}", evidence, excluded)


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Claims, outcomes and rules as a table for the book."""
    return pd.DataFrame([{"claim": v.claim, "verdict": v.outcome, "rule": v.rule,
                          "collapsed runs excluded": v.excluded} for v in verdicts])
