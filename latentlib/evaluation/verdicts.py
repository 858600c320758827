"""The claims the book checks, decided in one tested place.

Every verdict the book prints ("triplet > MSE at every d", "the autoencoder beats PCA",
"SS falls as d grows", "the variant closes the gap to the paper") comes from a function
here, and prints its whole rule: the interval, its confidence and the tolerance.

Three outcomes
--------------
Every verdict has one of three outcomes (:data:`OUTCOMES`):

- :data:`HOLDS`: the data show the claim;
- :data:`DOES_NOT_HOLD`: the data show the claim false;
- :data:`NOT_SHOWN`: the data cannot tell (the answer sits inside the seed noise, or
  there are no usable runs); the rule says which.

A tie is therefore never "does not hold": a difference inside the noise is *not shown*.
Each rule decides on an interval: with ``I`` the interval of the quantity the claim is
about and ``c`` the claim's threshold, the claim *holds* when ``I`` lies entirely on the
claimed side of ``c``, *does not hold* when it lies entirely on the other side, and is
*not shown* when ``I`` straddles ``c``. That is a test of the claim and of its
negation at the same confidence: with one interval, either call is wrong at most 2.5%
of the time (one side of a 95% interval) when the assumptions hold (normal seed noise,
seeds independent).

Intervals
---------
All intervals are 95% (:data:`CONFIDENCE`) Welch t-intervals over seeds: the difference
of two means, ``se = sqrt(s_a^2/n_a + s_b^2/n_b)``, degrees of freedom by
Welch-Satterthwaite (the same interval as ``scipy.stats.ttest_ind(equal_var=False)``).
Two cases have no interval to speak of, and the point difference is judged against the
tolerance instead:

- **one run on a side** (no seed spread to estimate);
- **no seed spread** (every seed scores the same, e.g. PCA, which is deterministic): the
  interval collapses to the difference; no division by zero, and a difference within
  ``tolerance`` (:data:`TOLERANCE`, 0.01) is a tie rather than a win.

Each group's (or step's) interval is at 95% on its own, not corrected for multiplicity.
"Holds at every group" needs every interval on the claimed side (an intersection-union
test: its error stays at 2.5% without correction). "Reversed at some group" (or "some
step goes the wrong way") is a union of ``k`` one-sided tests: when the claim is true,
a false "does not hold" has probability at most ``k`` x 2.5% (``k`` <= 4 sizes here),
and far less unless a true difference sits right at the threshold; for the steps of a
trend the threshold is the tolerance, not 0, which makes it rarer still.

The rules
---------
- **A beats B** (``beats``), per group (embedding size): *holds* when the Welch interval
  of mean(A) - mean(B) is above 0 at every group; *does not hold* when at some group it
  is entirely below 0 (reversed); otherwise (ties, or a group with no runs) *not shown*.
  With one run a side or no spread: the difference beyond ``+tolerance`` /
  ``-tolerance``. No equivalence margin here: "A > B" says nothing of how much, so only a
  reversal refutes it, and a tie is not shown.
- **falls with d** (``falls_with``; ``rises_with`` is its mirror) is about the change
  from the smallest to the largest size, with the steps between as a check on the
  shape:

  * the change's interval is the Welch interval over seeds of mean(largest) -
    mean(smallest); the claim is "falls by more than ``tolerance``" (a fall of 0.001 is
    noise, not a trend), so its threshold is ``-tolerance``;
  * *holds* when that interval lies below ``-tolerance`` and no step goes
    significantly the wrong way;
  * *does not hold* when the interval lies entirely above ``-tolerance`` (the change is
    shown not to be a fall of more than the tolerance: a demonstrated flat, interval
    within +-tolerance, or a significant rise, are both cases of it), or when some step
    up in size goes significantly the wrong way (its Welch interval lies entirely above
    ``+tolerance``: the curve is shown not to fall monotonically);
  * otherwise *not shown*: the interval straddles ``-tolerance`` (a change of -0.012
    on three seeds with stds of 0.007 is not shown: the data cannot tell a fall of 0.01
    from none). A dip inside the noise (a step whose interval contains zero) never
    decides anything.

- **matches** a published column (``matches``) and **closes the gap** to it
  (``closes_gap``, chapter 06; the variant of a baseline, e.g. our MSE runs changed in
  one respect, against the paper's MSE column) judge a *level* at every size and a
  *trend*:

  * the target is ``{size: mean}``, ``{size: (mean, std)}`` or ``{size: {"mean", "std"}}``
    (the paper's reported std, :mod:`latentlib.book.paper`); without a std only our
    seeds' spread counts;
  * per size, ``D`` = our mean - published mean, with the interval ``D +- t * se``,
    ``se = sqrt(paper_std^2 / paper_runs + s^2 / n)``: our seeds' spread and the paper's.
    The paper states no number of runs, so ``paper_runs`` defaults to 1 (its mean is taken
    to be as uncertain as one of its runs: the widest interval, so the cautious one for
    "does not hold"); its std is taken as printed (no degrees of freedom of its own);
  * the tolerance is ``tolerance_d = max(floor, t * se)``, with the floor
    :data:`GAP_TOLERANCE` = 0.01 (the book's smallest difference that matters; the paper
    prints three decimals, its MSE column spans 0.021 from d = 4 to 32 and its stds run
    0.001 to 0.028: the former fixed 0.05 was 2.4 times that whole column);
  * *within* (the level matches) when ``|D| <= floor``; *off* when ``|D| > tolerance_d``
    (the interval excludes 0, so the difference is real, and it is beyond the floor);
    in between, the difference is beyond the floor but the noise could explain it:
    *inside the noise*. A match is judged on the point (``|D| <= floor``), not on the
    whole interval inside +-floor (an equivalence test), because with two or three
    seeds the t quantile (12.7 for two, 4.3 for three) makes that interval wider than
    the floor nearly always, and no level could ever be shown to match; a miss that
    only the noise allows is kept apart as *inside the noise*, never called a match
    (as a rule of "within ``tolerance_d``" alone would);
  * the trend: our change from the smallest to the largest size against the paper's,
    ``D = (ours_last - ours_first) - (paper_last - paper_first)``, judged the same
    way (interval from both ends' spreads on both sides). A level that matches at each
    size within 0.01 could still miss the column's shape; with one size only, the trend
    is not checked (and the rule says so);
  * the verdict *holds* when every size is within and the trend is within; *does not
    hold* when some size, or the trend, is off; otherwise *not shown*;
  * ``closes_gap`` adds, per size, the **share of the gap closed**,
    ``(variant - baseline) / (target - baseline)``, with its interval: the Welch
    interval of variant - baseline divided by the gap (the target and the baseline's
    mean taken as fixed in the denominator), and the **effect** it names: ``closes``
    (level within), ``overshoots`` (off, past the target), else ``narrows`` /
    ``widens`` / ``no change`` as that interval lies toward the target, away from it,
    or straddles 0;
  * a variant with a **single run** at a size has no spread of its own: it borrows the
    baseline's seed std at that size (same data, same set-up but one change), as a
    prediction interval of one run (``s_baseline * sqrt(1 + 1/n_baseline)`` for the
    difference from the baseline's mean, ``s_baseline`` for the level). ``matches`` has
    no baseline to borrow from: a single run there is judged on the paper's std alone
    (or the floor).

- **Collapsed runs are excluded** from every verdict (they are counted and named in
  it): a collapsed embedding's silhouette says nothing about the classes.

Input is a run table: one row per run with the grouping column, ``method``, ``seed``,
the metric and, optionally, ``collapsed``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

#: the claim is shown
HOLDS = "holds"
#: the claim is shown false
DOES_NOT_HOLD = "does not hold"
#: the data cannot tell (inside the noise, or no usable runs)
NOT_SHOWN = "not shown"
OUTCOMES = (HOLDS, DOES_NOT_HOLD, NOT_SHOWN)

#: a difference of means smaller than this, with no interval to judge it, is a tie; a
#: trend must move by more than this
TOLERANCE = 0.01
CONFIDENCE = 0.95
#: the floor of the tolerance against a published mean: within it, a level matches.
#: The paper prints three decimals and its MSE column spans 0.021 (d = 4 to 32).
GAP_TOLERANCE = 0.01
#: the paper's number of runs behind each mean +- std (it states none): one, the most
#: cautious reading of its std for an interval of its mean
PAPER_RUNS = 1

#: level / trend of a column against a published one
WITHIN, INSIDE_NOISE, OFF = "within", "inside the noise", "off"

_EPS = 1e-9  # numbers that print alike compare alike (0.52 - 0.53 is -0.010000000000000009)


@dataclass(frozen=True)
class Verdict:
    """A claim, whether the data uphold it, by which rule, and the evidence per group."""

    claim: str
    outcome: str  # HOLDS, DOES_NOT_HOLD or NOT_SHOWN
    rule: str
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    excluded: int = 0

    @property
    def holds(self) -> bool:
        """The data show the claim."""
        return self.outcome == HOLDS

    @property
    def shown(self) -> bool:
        """The data decide the claim, one way or the other (not :data:`NOT_SHOWN`)."""
        return self.outcome in (HOLDS, DOES_NOT_HOLD)

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


# ---------------------------------------------------------------- intervals

def _half_width(terms: list[tuple[float, float]], confidence: float) -> tuple[float, float]:
    """``(se, half)`` of an interval whose variance is the sum of ``terms``, each
    ``(variance, degrees of freedom)`` (``inf`` for a variance taken as known); degrees
    of freedom by Welch-Satterthwaite. No variance: ``(0, 0)``, the interval is the point."""
    terms = [(v, d) for v, d in terms if v > 0 and np.isfinite(v)]
    variance = sum(v for v, _ in terms)
    if variance <= 0:
        return 0.0, 0.0
    denominator = sum(v * v / d for v, d in terms if np.isfinite(d))
    dof = variance * variance / denominator if denominator > 0 else math.inf
    q = float(stats.t.ppf(0.5 + confidence / 2, dof)) if np.isfinite(dof) else float(
        stats.norm.ppf(0.5 + confidence / 2))
    se = math.sqrt(variance)
    return se, q * se


def _clean(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[~np.isnan(values)]


def _mean_variance(values: np.ndarray) -> tuple[float, float]:
    """The variance of the mean of ``values`` and its degrees of freedom (0, inf with
    fewer than two values: no spread to estimate)."""
    if len(values) < 2:
        return 0.0, math.inf
    return float(values.var(ddof=1)) / len(values), float(len(values) - 1)


def compare(a: np.ndarray, b: np.ndarray, *, tolerance: float = TOLERANCE,
            confidence: float = CONFIDENCE) -> dict[str, float | str]:
    """``a`` vs ``b`` (one value per seed each): the mean difference, its Welch interval
    and the outcome (``better``: interval above 0, ``worse``: below 0, ``tie``: neither;
    ``missing`` when a side has no values). With one run on a side, or no seed spread
    on either, the interval is the difference itself, and a difference within
    ``tolerance`` is a ``tie``."""
    a, b = _clean(a), _clean(b)
    if not len(a) or not len(b):
        return {"difference": float("nan"), "low": float("nan"), "high": float("nan"), "outcome": "missing"}
    difference = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        half = 0.0
    else:
        _, half = _half_width([_mean_variance(a), _mean_variance(b)], confidence)
    low, high = difference - half, difference + half
    return {"difference": difference, "low": low, "high": high,
            "outcome": _direction(difference, low, high, tolerance=tolerance)}


def _direction(difference: float, low: float, high: float, *, tolerance: float) -> str:
    """``better`` / ``worse`` / ``tie``: the interval against 0; without one (a point),
    the difference against +-``tolerance``."""
    if low == high:
        return "better" if difference > tolerance + _EPS else "worse" if difference < -tolerance - _EPS else "tie"
    return "better" if low > 0 else "worse" if high < 0 else "tie"


def _pct(confidence: float) -> str:
    return f"{confidence:.0%}"


def _span(low: float, high: float) -> str:
    return f"[{low:+.3f}, {high:+.3f}]"


# ---------------------------------------------------------------- A beats B

def beats(runs: pd.DataFrame, *, better: str, worse: str, metric: str = "silhouette",
          by: str = "embedding_size", claim: str | None = None, tolerance: float = TOLERANCE,
          confidence: float = CONFIDENCE) -> Verdict:
    """Does method ``better`` score above ``worse`` on ``metric`` in every group?

    Holds when the Welch interval of the difference is above 0 at every group; does not
    hold when at some group it is entirely below 0; otherwise not shown."""
    kept, excluded = usable(runs[runs["method"].isin([better, worse])])
    rows = []
    for group in sorted(kept[by].unique()):
        part = kept[kept[by] == group]
        result = compare(part.loc[part["method"] == better, metric].to_numpy(),
                         part.loc[part["method"] == worse, metric].to_numpy(), tolerance=tolerance,
                         confidence=confidence)
        rows.append({by: group, "n_" + better: int((part["method"] == better).sum()),
                     "n_" + worse: int((part["method"] == worse).sum()), **result})
    evidence = pd.DataFrame(rows)
    claim = claim or f"{better} > {worse} in {metric} at every {by}"
    rule = (f"{_pct(confidence)} Welch interval over seeds of the difference above 0 at every {by} "
            f"(holds), entirely below 0 at some {by} (does not hold), else not shown; with one run on a side "
            f"or no seed spread, the difference itself beyond +-{tolerance:g}")
    if evidence.empty or (evidence["outcome"] == "missing").all():
        return Verdict(claim, NOT_SHOWN, rule + ": no usable runs", evidence, excluded)
    counts = evidence["outcome"].value_counts()
    if counts.get("worse", 0):
        outcome = DOES_NOT_HOLD
    elif counts.get("better", 0) == len(evidence):
        outcome = HOLDS
    else:
        outcome = NOT_SHOWN
    summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("better", "tie", "worse", "missing")
                        if counts.get(k, 0))
    return Verdict(claim, outcome, f"{rule}: {summary} of {len(evidence)}", evidence, excluded)


# ---------------------------------------------------------------- trends

def falls_with(runs: pd.DataFrame, *, method: str, metric: str = "silhouette", by: str = "embedding_size",
               tolerance: float = TOLERANCE, claim: str | None = None,
               confidence: float = CONFIDENCE) -> Verdict:
    """Does ``method``'s ``metric`` fall by more than ``tolerance`` from the smallest to
    the largest ``by``, with no step significantly up? (See the module's rules.)"""
    return _trend(runs, method=method, metric=metric, by=by, tolerance=tolerance, sign=-1, confidence=confidence,
                  claim=claim or f"{method}: {metric} falls as {by} grows")


def rises_with(runs: pd.DataFrame, *, method: str, metric: str = "acc", by: str = "embedding_size",
               tolerance: float = TOLERANCE, claim: str | None = None,
               confidence: float = CONFIDENCE) -> Verdict:
    """Does ``method``'s ``metric`` rise by more than ``tolerance`` from the smallest to
    the largest ``by``, with no step significantly down? (See the module's rules.)"""
    return _trend(runs, method=method, metric=metric, by=by, tolerance=tolerance, sign=1, confidence=confidence,
                  claim=claim or f"{method}: {metric} rises as {by} grows")


def _share(value: float) -> str:
    """A share as a whole percentage; a share that rounds to zero is 0%, never -0%."""
    text = f"{value:.0%}"
    return "0%" if text == "-0%" else text


def _trend_rule(*, by: str, tolerance: float, sign: int, confidence: float) -> str:
    verb, threshold, wrong = ("falls", f"-{tolerance:g}", f"+{tolerance:g}") if sign < 0 else \
        ("rises", f"+{tolerance:g}", f"-{tolerance:g}")
    claimed, other = ("below", "above") if sign < 0 else ("above", "below")
    return (f"{verb} by more than {tolerance:g} from the smallest to the largest {by}: holds when the "
            f"{_pct(confidence)} Welch interval over seeds of the change (largest minus smallest) lies {claimed} "
            f"{threshold} and no step up in {by} has its {_pct(confidence)} Welch interval {other} {wrong}; "
            f"does not hold when the change's interval lies entirely {other} {threshold} (flat or the other way) "
            f"or some step's lies {other} {wrong}; otherwise not shown; with one run per {by} there is no seed "
            f"spread to judge against and the trend is not shown; with several runs and no spread (a "
            f"deterministic stage) the interval is the difference itself")


def _trend(runs: pd.DataFrame, *, method: str, metric: str, by: str, tolerance: float, sign: int,
           confidence: float, claim: str) -> Verdict:
    kept, excluded = usable(runs[runs["method"] == method])
    values = {group: _clean(part[metric]) for group, part in kept.groupby(by)} if len(kept) else {}
    values = {group: v for group, v in sorted(values.items()) if len(v)}
    rows, previous = [], None
    wrong_way = 0
    for group, v in values.items():
        row = {by: group, "n": len(v), "mean": float(v.mean()),
               "std": float(v.std(ddof=1)) if len(v) > 1 else float("nan"),
               "step": float("nan"), "step_low": float("nan"), "step_high": float("nan"), "wrong_way": False}
        if previous is not None:
            step = compare(v, previous, tolerance=tolerance, confidence=confidence)
            # wrong way: the step's whole interval beyond the tolerance against the claim
            wrong = step["low"] > tolerance + _EPS if sign < 0 else step["high"] < -tolerance - _EPS
            row.update(step=step["difference"], step_low=step["low"], step_high=step["high"], wrong_way=bool(wrong))
            wrong_way += bool(wrong)
        rows.append(row)
        previous = v
    evidence = pd.DataFrame(rows, columns=[by, "n", "mean", "std", "step", "step_low", "step_high", "wrong_way"])
    rule = _trend_rule(by=by, tolerance=tolerance, sign=sign, confidence=confidence)
    if len(values) < 2:
        return Verdict(claim, NOT_SHOWN, f"{rule}: fewer than two {by} values with usable runs", evidence, excluded)
    if all(len(v) < 2 for v in values.values()):
        # one seed per size: a re-run with another seed can flip any step, so nothing is decided
        return Verdict(claim, NOT_SHOWN, f"{rule}: one run per {by}, no seed spread measured", evidence, excluded)
    groups = list(values)
    overall = compare(values[groups[-1]], values[groups[0]], tolerance=tolerance, confidence=confidence)
    low, high = float(overall["low"]), float(overall["high"])
    if sign < 0:
        shown, refuted = high < -tolerance - _EPS, low > -tolerance + _EPS
    else:
        shown, refuted = low > tolerance + _EPS, high < tolerance - _EPS
    threshold = f"{sign * tolerance:+g}"
    if refuted or wrong_way:
        outcome = DOES_NOT_HOLD
    elif shown:
        outcome = HOLDS
    else:
        outcome = NOT_SHOWN
    where = ("beyond" if shown else "on the other side of" if refuted else "straddling")
    steps = "rise" if sign < 0 else "fall"
    n_steps = len(groups) - 1
    detail = (f"change {overall['difference']:+.3f}, {_pct(confidence)} interval {_span(low, high)}, {where} "
              f"{threshold}; {wrong_way} of {n_steps} step{'s' if n_steps != 1 else ''} {steps} significantly "
              f"by more than {tolerance:g}")
    return Verdict(claim, outcome, f"{rule}: {detail}", evidence, excluded)


# ---------------------------------------------------------------- against a published column

def _published(value) -> tuple[float, float]:
    """``(mean, std)`` of one target entry: a mean, ``(mean, std)`` or ``{"mean", "std"}``
    (std NaN where none is given)."""
    if isinstance(value, Mapping):
        mean, std = value["mean"], value.get("std")
    elif isinstance(value, (tuple, list, np.ndarray)):
        mean, std = value[0], (value[1] if len(value) > 1 else None)
    else:
        mean, std = value, None
    std = float("nan") if std is None or pd.isna(std) else float(std)
    return float(mean), std


def _check_paper_runs(paper_runs: int) -> None:
    if paper_runs < 1:
        raise ValueError(f"paper_runs must be at least 1, got {paper_runs}")


def _own_or_borrowed(values: np.ndarray, borrow: np.ndarray | None) -> tuple[float, float]:
    """The variance of our mean and its degrees of freedom: from our seeds; a single run
    takes the baseline's seed variance (one run's, not a mean's); none: ``(0, inf)``."""
    if len(values) >= 2:
        return _mean_variance(values)
    if borrow is not None and len(borrow) >= 2:
        return float(borrow.var(ddof=1)), float(len(borrow) - 1)
    return 0.0, math.inf


def _judge_level(difference: float, terms: list[tuple[float, float]], *, floor: float,
                 confidence: float) -> dict[str, float | str]:
    """``within`` / ``inside the noise`` / ``off`` of a difference from a published value."""
    _, half = _half_width(terms, confidence)
    tolerance = max(floor, half)
    size = abs(difference)
    level = WITHIN if size <= floor + _EPS else OFF if size > tolerance + _EPS else INSIDE_NOISE
    return {"difference": difference, "low": difference - half, "high": difference + half,
            "tolerance": tolerance, "level": level}


def _published_rule(*, by: str, floor: float, confidence: float, paper_runs: int) -> str:
    runs = f"{paper_runs} run{'s' if paper_runs != 1 else ''}"
    return (f"holds when at every {by} our mean is within {floor:g} of the published mean and our change from "
            f"the smallest to the largest {by} is within {floor:g} of the published change; does not hold when "
            f"some {by}, or the change, is off by more than {floor:g} and by more than the half-width of its "
            f"{_pct(confidence)} interval (from our seeds' std and the published std, read as over {runs}; "
            f"Welch-Satterthwaite t); otherwise not shown (beyond {floor:g} but inside the noise)")


def _levels(kept: pd.DataFrame, *, method: str, target: dict, metric: str, by: str, floor: float,
            confidence: float, paper_runs: int, baseline: str | None) -> tuple[list[dict], dict, dict]:
    """Per size: our values, the published mean and std, the baseline's values, and the
    level judged; and the trend judged (``{}`` with fewer than two sizes)."""
    published = {group: _published(value) for group, value in target.items()}
    rows, samples = [], {}
    for group in sorted(kept.loc[kept["method"] == method, by].unique()):
        if group not in published:
            continue
        part = kept[kept[by] == group]
        ours = _clean(part.loc[part["method"] == method, metric])
        base = _clean(part.loc[part["method"] == baseline, metric]) if baseline is not None else None
        if not len(ours) or (baseline is not None and not len(base)):
            continue
        goal, goal_std = published[group]
        paper_var = 0.0 if np.isnan(goal_std) else goal_std ** 2 / paper_runs
        ours_var = _own_or_borrowed(ours, base)
        judged = _judge_level(float(ours.mean()) - goal, [(paper_var, math.inf), ours_var], floor=floor,
                              confidence=confidence)
        rows.append({by: group, "ours": float(ours.mean()), "target": goal, "target_std": goal_std,
                     "n": len(ours), **judged})
        samples[group] = (ours, base, paper_var, ours_var)
    trend: dict = {}
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        ours_change = last["ours"] - first["ours"]
        paper_change = last["target"] - first["target"]
        terms = [samples[first[by]][3], samples[last[by]][3],
                 (samples[first[by]][2] + samples[last[by]][2], math.inf)]
        trend = {"ours": ours_change, "published": paper_change,
                 **_judge_level(ours_change - paper_change, terms, floor=floor, confidence=confidence)}
    return rows, trend, samples


def _trend_text(trend: dict, by: str) -> str:
    if not trend or "level" not in trend:
        return f"trend not checked (one {by} only)"
    return (f"change from smallest to largest {by} {trend['ours']:+.3f} vs published {trend['published']:+.3f} "
            f"({trend['level']}, interval of the difference {_span(trend['low'], trend['high'])})")


def _gap_outcome(levels: pd.Series, trend: dict) -> str:
    trend_level = trend.get("level", WITHIN)
    if (levels == OFF).any() or trend_level == OFF:
        return DOES_NOT_HOLD
    if (levels == WITHIN).all() and trend_level == WITHIN:
        return HOLDS
    return NOT_SHOWN


def closes_gap(runs: pd.DataFrame, *, method: str, baseline: str, target: dict, metric: str = "silhouette",
               by: str = "embedding_size", gap_tolerance: float = GAP_TOLERANCE, tolerance: float = TOLERANCE,
               claim: str | None = None, confidence: float = CONFIDENCE, paper_runs: int = PAPER_RUNS) -> Verdict:
    """Does ``method`` (a variant of ``baseline``) reach the published ``target``
    (``{group: mean}`` or ``{group: (mean, std)}``) in level at every group and in trend?

    ``gap_tolerance`` is the floor of the per-size tolerance (see the module's rules);
    ``tolerance`` decides a move from the baseline without an interval. Evidence per
    group: both means, the target, the difference from it with its interval, tolerance
    and level; the share of the gap closed with its interval; and the effect
    (``closes``, ``overshoots``, ``narrows``, ``no change``, ``widens``)."""
    _check_paper_runs(paper_runs)
    kept, excluded = usable(runs[runs["method"].isin([method, baseline])])
    rows, trend, samples = _levels(kept, method=method, target=target, metric=metric, by=by,
                                   floor=gap_tolerance, confidence=confidence, paper_runs=paper_runs,
                                   baseline=baseline)
    for row in rows:
        ours, base, _, _ = samples[row[by]]
        goal, base_mean = row["target"], float(base.mean())
        move = _move(ours, base, tolerance=tolerance, confidence=confidence)
        gap = goal - base_mean
        if abs(gap) > _EPS:
            share = move["difference"] / gap
            share_low, share_high = sorted((move["low"] / gap, move["high"] / gap))
        else:
            share = share_low = share_high = float("nan")
        toward = {"better": gap > _EPS, "worse": gap < -_EPS}.get(move["outcome"], False)
        away = {"better": gap < -_EPS, "worse": gap > _EPS}.get(move["outcome"], False)
        if row["level"] == WITHIN:
            effect = "closes"
        elif row["level"] == OFF and gap * (row["ours"] - goal) > 0:
            effect = "overshoots"
        else:
            effect = "narrows" if toward else "widens" if away else "no change"
        row.update(baseline=base_mean, variant=row["ours"], share_of_gap_closed=share, share_low=share_low,
                   share_high=share_high, effect=effect)
    columns = [by, "baseline", "variant", "target", "target_std", "n", "difference", "low", "high", "tolerance",
               "level", "share_of_gap_closed", "share_low", "share_high", "effect"]
    evidence = pd.DataFrame(rows, columns=columns)
    claim = claim or f"{method} closes the gap to the target"
    rule = (_published_rule(by=by, floor=gap_tolerance, confidence=confidence, paper_runs=paper_runs)
            + f"; a variant with one run takes the seed std of {baseline} as its own; share of the gap closed = "
              f"(variant - {baseline}) / (published - {baseline}), its interval the {_pct(confidence)} Welch interval "
              f"of variant - {baseline} over the gap (without spread, a move within {tolerance:g} is no change)")
    if evidence.empty:
        return Verdict(claim, NOT_SHOWN, rule + ": no usable runs", evidence, excluded)
    outcome = _gap_outcome(evidence["level"], trend)
    effects = ", ".join(f"{k} at {v}" for k, v in evidence["effect"].value_counts().items())
    levels = ", ".join(f"{k} at {v}" for k, v in evidence["level"].value_counts().items())
    shares = ", ".join(f"{_share(s)} [{_share(lo)}, {_share(hi)}] at {g}" for g, s, lo, hi in
                       evidence[[by, "share_of_gap_closed", "share_low", "share_high"]].itertuples(index=False)
                       if not np.isnan(s))
    detail = (f"{effects} of {len(evidence)}; level {levels}; largest difference from the published mean "
              f"{evidence['difference'].abs().max():.3f}; {_trend_text(trend, by)}; share of the gap closed "
              f"{shares or 'undefined (no gap)'}")
    return Verdict(claim, outcome, f"{rule}: {detail}", evidence, excluded)


def _move(ours: np.ndarray, base: np.ndarray, *, tolerance: float, confidence: float) -> dict:
    """variant - baseline: the difference, its interval and ``better`` / ``worse`` /
    ``tie`` (:func:`compare`; a single variant run borrows the baseline's spread: the
    prediction interval of one run, ``s_baseline * sqrt(1 + 1/n_baseline)``)."""
    if len(ours) >= 2 or len(base) < 2:
        return compare(ours, base, tolerance=tolerance, confidence=confidence)
    difference = float(ours.mean() - base.mean())
    _, half = _half_width([(float(base.var(ddof=1)) * (1 + 1 / len(base)), float(len(base) - 1))], confidence)
    low, high = difference - half, difference + half
    return {"difference": difference, "low": low, "high": high,
            "outcome": _direction(difference, low, high, tolerance=tolerance)}


def matches(runs: pd.DataFrame, *, method: str, target: dict, metric: str = "silhouette",
            by: str = "embedding_size", gap_tolerance: float = GAP_TOLERANCE, claim: str | None = None,
            confidence: float = CONFIDENCE, paper_runs: int = PAPER_RUNS) -> Verdict:
    """Does ``method`` match the published ``target`` (``{group: mean}`` or ``{group:
    (mean, std)}``) in level at every group and in trend? ``gap_tolerance`` is the floor
    of the tolerance (see the module's rules)."""
    _check_paper_runs(paper_runs)
    kept, excluded = usable(runs[runs["method"] == method])
    rows, trend, _ = _levels(kept, method=method, target=target, metric=metric, by=by, floor=gap_tolerance,
                             confidence=confidence, paper_runs=paper_runs, baseline=None)
    columns = [by, "ours", "target", "target_std", "n", "difference", "low", "high", "tolerance", "level"]
    evidence = pd.DataFrame(rows, columns=columns)
    claim = claim or f"{method} matches the published values"
    rule = _published_rule(by=by, floor=gap_tolerance, confidence=confidence, paper_runs=paper_runs)
    if evidence.empty:
        return Verdict(claim, NOT_SHOWN, rule + ": no usable runs", evidence, excluded)
    outcome = _gap_outcome(evidence["level"], trend)
    levels = ", ".join(f"{k} at {v}" for k, v in evidence["level"].value_counts().items())
    detail = (f"{levels} of {len(evidence)}; largest difference {evidence['difference'].abs().max():.3f}; "
              f"{_trend_text(trend, by)}")
    return Verdict(claim, outcome, f"{rule}: {detail}", evidence, excluded)


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Claims, outcomes and rules as a table for the book."""
    return pd.DataFrame([{"claim": v.claim, "verdict": v.outcome, "rule": v.rule,
                          "collapsed runs excluded": v.excluded} for v in verdicts])
