"""The claims the book checks, decided in one tested place.

Every verdict the book prints ("triplet > MSE at every d", "the autoencoder beats PCA",
"SS falls as d grows", "the model beats its baseline") comes from a function here, with
its rule stated in the verdict itself:

- **A beats B** is decided per group (embedding size) on the runs' seeds with a 95%
  Welch t-interval of the difference of means: *holds* when the whole interval is above
  zero, *reversed* when it is below, *tie* when it contains zero. With one run per
  side there is no interval and the plain difference is compared with ``tolerance``.
- **falls with d** holds when no step up in size raises the mean by more than
  ``tolerance`` and the largest size scores below the smallest by more than
  ``tolerance``: a rise of 0.001 is noise, not a contradiction.
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
    kept, excluded = usable(runs[runs["method"] == method])
    means = kept.groupby(by)[metric].mean().sort_index()
    evidence = pd.DataFrame({by: means.index, "mean": means.to_numpy()})
    evidence["step"] = evidence["mean"].diff()
    claim = claim or f"{method}: {metric} falls as {by} grows"
    rule = f"no step up in {by} raises the mean by more than {tolerance:g}, and the largest is below the smallest"
    if len(means) < 2:
        return Verdict(claim, "undecided", rule + "; fewer than two sizes", evidence, excluded)
    rises = int((evidence["step"] > tolerance).sum())
    overall = float(means.iloc[-1] - means.iloc[0])
    outcome = "holds" if rises == 0 and overall < -tolerance else "does not hold"
    detail = f"{rises} rise{'s' if rises != 1 else ''} above {tolerance:g}; first to last {overall:+.3f}"
    return Verdict(claim, outcome, f"{rule}: {detail}", evidence, excluded)


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Claims, outcomes and rules as a table for the book."""
    return pd.DataFrame([{"claim": v.claim, "verdict": v.outcome, "rule": v.rule,
                          "collapsed runs excluded": v.excluded} for v in verdicts])
