"""Did a re-run reproduce the reference? Every number and every verdict, compared.

:func:`compare_runs` reads the result records of a run (``<dir>/<study>/<variant>/<run>.json``)
and those of the reference (the committed ``book/results``), pairs them by (study, variant,
run name) and returns a :class:`Reproduction`: one row per numeric metric with both values,
their difference, a tolerance and a verdict, the book's claims re-decided on each side, the
trained numbers judged as families, and the machines and library versions of both.

Verdicts, per number:

- ``identical``: bitwise equal (NaN equals NaN);
- ``reproduced``: ``|this run - reference| <= tolerance``;
- ``outside tolerance``: further apart, or defined on one side only (e.g. a silhouette
  that is NaN where K-Means found one cluster);
- ``missing here`` / ``missing in reference``: the record, or this metric of it, exists on
  one side only;
- ``collapsed in one``: ``metrics.collapsed`` differs between the two records (the
  ``side`` column says which one collapsed); its numbers are not comparable.

The tolerance, per number (column ``judged`` says which rule judged it):

1. A record with no trained network (:func:`deterministic` decides, the one place that
   does) is a deterministic stage: its numbers must agree to the float,
   ``|difference| <= max(rtol * |reference|, atol)`` (``rtol`` 1e-6, ``atol`` 1e-12), not
   to the bit: another thread count sums in another order and moves the last digits of
   a float32 pipeline (measured: up to 1.5e-7 relative, 2 threads against 1). Its
   clustering scores (:data:`CLUSTER_SCORES`) may move by up to :data:`KMEANS_FLIP` more:
   K-Means on an embedding that differs in its last bits can put a few of 10,000 points
   in another cluster (measured: one of 36 PCA runs, NMI -6.4e-5, ARI -3.9e-5)
   (``deterministic (float tolerance)``).
2. Records of one *configuration* (the same ``run`` settings apart from ``name``, ``seed``
   and the fit cache bookkeeping) are a seed group. In a group of several seeds, the
   band is ``k`` times the sample standard deviation (ddof 1) of the metric over the
   group's non-collapsed seeds in the reference, at least ``floor`` (``seed spread of this
   group``).
3. A group with a single seed takes ``k`` times the median of that metric's seed std over
   the other multi-seed, trained groups of the same study and variant, at least ``floor``
   (``median seed spread of the study``). When there is no such group the reference
   measured no seed spread at all and the number must match to ``floor``
   (``exact (no seed spread measured)``): such a chapter needs several seeds before a
   re-run on another machine can reproduce it.

A trained number outside its seed band is not a failure by itself: a band of ``k`` seed
spreads lets some seed noise through by design. The trained numbers of each study/variant
are judged as a *family*: the count outside their bands is compared with what seed noise
predicts by a one-sided binomial test (:func:`family_test`). The predicted share for one
number is the chance that noise of the reference's seed spread lands outside ``k`` times
a spread *estimated from that many seeds* (:func:`band_rate`): ``2 P(T_nu > k)`` for a
spread over ``nu + 1`` seeds (Student t: 18% for three seeds and ``k = 2``, 4.6% were the
spread known exactly), and for the study median the same computed over the median of
the groups' spreads. Every study/variant is a family, and so are all trained numbers
together; each test is held to ``alpha / number of tests`` (Bonferroni, ``alpha`` 0.01),
so a re-run whose numbers move by no more than seed noise fails one of them about once in
a hundred at most. (A re-run with the same seeds on another machine moves them far less:
the committed smoke reference re-run on another CPU, or with 2 threads instead of 1, puts
none outside.)

The run is **reproduced** when no claim of the book is contradicted (decided one way on one
side and the other way, or missing, on the other; a claim that moves to or from "not
shown" sits near its threshold and is listed, not failed),
every deterministic number agrees within the float tolerance, every family's count
outside is what seed noise gives, and nothing is missing here, collapsed on one side only
or unmeasured and different; the numbers outside their bands are still listed. Otherwise
it is **not reproduced** and :attr:`Reproduction.reasons` says which of these failed.

``k`` defaults to 2 and ``floor`` to 1e-9. The report compares the study/variants this run
produced (``scope="run"``); ``scope="all"`` also counts every reference variant that was
not run as ``missing here``.

The book's verdicts (:mod:`latentlib.evaluation.verdicts`) are re-decided on both sides wherever the
records carry ``run.method``: triplet vs MSE and each autoencoder vs PCA on silhouette and
ACC, and "falls as d grows" per method, with the same calls the results page makes.
"""

from __future__ import annotations

import calendar
import functools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from latentlib import studies
from latentlib.book.results import read_records
from latentlib.evaluation.verdicts import Verdict

IDENTICAL = "identical"
REPRODUCED = "reproduced"
OUTSIDE = "outside tolerance"
MISSING_HERE = "missing here"
MISSING_IN_REFERENCE = "missing in reference"
COLLAPSED_IN_ONE = "collapsed in one"
VERDICTS = (IDENTICAL, REPRODUCED, OUTSIDE, MISSING_HERE, MISSING_IN_REFERENCE, COLLAPSED_IN_ONE)
#: verdicts that fail a run whichever number they hit (``Reproduction.ok``); ``outside
#: tolerance`` fails it for a deterministic or unmeasured number, and for trained numbers
#: only when more of them are outside than seed noise gives (:func:`family_test`)
FAILING = (COLLAPSED_IN_ONE, MISSING_HERE)

FROM_GROUP = "seed spread of this group"
FROM_STUDY = "median seed spread of the study"
FROM_DETERMINISTIC = "deterministic (float tolerance)"
FROM_NOTHING = "exact (no seed spread measured)"

#: how a number is judged (column ``judged``): one by one to the float, as one of a family
#: of trained numbers against seed noise, or one by one to ``floor`` for want of a spread
JUDGED_DETERMINISTIC = "deterministic"
JUDGED_TRAINED = "trained"
JUDGED_UNMEASURED = "no seed spread"

#: scores read from K-Means cluster ids: a point moving cluster moves them, whatever the float
CLUSTER_SCORES = ("acc", "nmi", "ari", "silhouette")
#: how far those may move on a deterministic stage: two of 10,000 points changing cluster
KMEANS_FLIP = 2e-4

#: ``run`` fields that name or cache a run rather than configure it
RUN_BOOKKEEPING = ("name", "seed", "fit_key", "fit_from_cache",
                   # a 2-D view's draw and the run it viewed are seeds too (chapter 06): the
                   # draws of one view of one column at one size are one seed group
                   "view_seed", "viewed_run")
#: ``metrics`` entries that are flags or bookkeeping, not numbers to compare
METRIC_BOOKKEEPING = ("collapsed", "collapse_reason")
#: runs with no trained network: their numbers must match exactly

METRIC_COLUMNS = ["study", "variant", "run", "metric", "reference", "this run", "difference",
                  "tolerance", "tolerance_from", "verdict", "side", "judged", "noise_rate", "fit"]
#: columns of the family tests (``Reproduction.families``)
FAMILY_COLUMNS = ["family", "compared", "outside", "share", "fits", "expected", "p_value", "level", "ok"]
#: the overall family's name
ALL_TRAINED = "all trained numbers"
VERDICT_COLUMNS = ["study", "variant", "claim", "reference outcome", "this run's outcome", "same?",
                   "reference evidence", "this run's evidence"]
MACHINE_FIELDS = ("torch", "python", "latentlib", "commit")


# ---------------------------------------------------------------- reading and pairing

def _read(directory: Path, attempts: int = 5) -> list[dict[str, Any]]:
    """All records under ``directory``; retried when a build replaces files mid-read."""
    for attempt in range(attempts):
        try:
            return read_records(None, Path(directory))
        except (FileNotFoundError, json.JSONDecodeError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return []


def _created(record: dict[str, Any]) -> float:
    """When a record was written (Unix time, whole seconds); 0 when it does not say."""
    try:
        return float(calendar.timegm(time.strptime(record["created"], "%Y-%m-%dT%H:%M:%SZ")))
    except (KeyError, TypeError, ValueError):
        return 0.0


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    return record["study"], record["variant"], record["run"]["name"]


def _configuration(record: dict[str, Any]) -> str:
    """The run's settings apart from its name, seed and cache bookkeeping."""
    settings = {k: v for k, v in record.get("run", {}).items() if k not in RUN_BOOKKEEPING}
    return json.dumps(settings, sort_keys=True, default=str)


def deterministic(record: dict[str, Any]) -> bool:
    """True for a run with no trained network (PCA, TF-IDF, mean log-mel features), as
    its study declares (:attr:`latentlib.studies.Study.deterministic`)."""
    return studies.deterministic(record)


def _collapsed(record: dict[str, Any]) -> bool:
    return bool(record.get("metrics", {}).get("collapsed") or False)


def _number(value: Any) -> float | None:
    """A metric's value as a float, NaN for null; None when it is not a number."""
    if value is None:
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return float(value)


def numeric_metrics(record: dict[str, Any]) -> dict[str, float]:
    """The record's numeric metrics (null as NaN), flags and strings left out."""
    out = {}
    for name, value in record.get("metrics", {}).items():
        number = _number(value)
        if name not in METRIC_BOOKKEEPING and number is not None:
            out[name] = number
    return out


def _identical(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return np.float64(a).tobytes() == np.float64(b).tobytes()


# ---------------------------------------------------------------- tolerances

class Band(NamedTuple):
    """How one number of a reference record is judged."""

    tolerance: float
    source: str  # one of the FROM_* labels
    judged: str  # one of the JUDGED_* kinds
    noise_rate: float  # the chance seed noise lands outside ``tolerance`` (trained numbers; NaN else)


def band_rate(k: float, dofs: tuple[int, ...]) -> float:
    """The chance that noise of the seed spread's size lands outside a band of ``k`` times
    a spread estimated from few seeds.

    Model: this run's number is the reference's moved by ``N(0, sigma^2)``, ``sigma`` the
    seed std of its configuration; the band is ``k`` times the sample std of a seed group
    with ``nu`` degrees of freedom (``dofs == (nu,)``: ``2 P(T_nu > k)``, Student t), or
    ``k`` times the median of the sample stds of several groups of a study, each with its
    ``nu`` in ``dofs`` (computed by a fixed-seed Monte Carlo over those stds).
    """
    dofs = tuple(sorted(int(nu) for nu in dofs))
    if not dofs or min(dofs) < 1:
        raise ValueError(f"a seed spread needs at least one degree of freedom, got {dofs}")
    return _band_rate(float(k), dofs)


@functools.lru_cache(maxsize=None)
def _band_rate(k: float, dofs: tuple[int, ...], draws: int = 1 << 15) -> float:
    if len(dofs) == 1:
        return float(2 * stats.t.sf(k, dofs[0]))
    rng = np.random.default_rng(0)
    spreads = np.column_stack([np.sqrt(rng.chisquare(nu, draws) / nu) for nu in dofs])
    return float(np.mean(2 * stats.norm.sf(k * np.median(spreads, axis=1))))


@dataclass
class _Tolerances:
    """Per (study, variant, configuration, metric): the reference's seed std and seed count."""

    records: list[dict[str, Any]]
    k: float
    floor: float
    rtol: float = 1e-6
    atol: float = 1e-12
    spread: dict[tuple[str, str, str], dict[str, tuple[float, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for record in self.records:
            if deterministic(record) or _collapsed(record):
                continue
            groups.setdefault((record["study"], record["variant"], _configuration(record)), []).append(record)
        for group, members in groups.items():
            values: dict[str, dict[Any, float]] = {}
            for record in members:
                for name, value in numeric_metrics(record).items():
                    if not math.isnan(value):
                        values.setdefault(name, {})[record["run"].get("seed")] = value
            self.spread[group] = {name: (float(np.std(list(by_seed.values()), ddof=1)), len(by_seed))
                                  for name, by_seed in values.items() if len(by_seed) >= 2}

    def __call__(self, record: dict[str, Any], metric: str) -> Band:
        if deterministic(record):
            value = numeric_metrics(record).get(metric, float("nan"))
            scale = abs(value) if math.isfinite(value) else 0.0
            flip = KMEANS_FLIP if metric in CLUSTER_SCORES else 0.0
            return Band(max(self.rtol * scale, self.atol, flip), FROM_DETERMINISTIC, JUDGED_DETERMINISTIC,
                        float("nan"))
        group = (record["study"], record["variant"], _configuration(record))
        own = self.spread.get(group, {}).get(metric)
        if own is not None and np.isfinite(own[0]):
            return Band(max(self.k * own[0], self.floor), FROM_GROUP, JUDGED_TRAINED,
                        band_rate(self.k, (own[1] - 1,)))
        others = [spread[metric] for (study, variant, config), spread in self.spread.items()
                  if (study, variant) == group[:2] and config != group[2]
                  and metric in spread and np.isfinite(spread[metric][0])]
        if not others:
            return Band(self.floor, FROM_NOTHING, JUDGED_UNMEASURED, float("nan"))
        median = float(np.median([std for std, _ in others]))
        return Band(max(self.k * median, self.floor), FROM_STUDY, JUDGED_TRAINED,
                    band_rate(self.k, tuple(n - 1 for _, n in others)))


# ---------------------------------------------------------------- trained numbers as a family

@dataclass(frozen=True)
class FamilyTest:
    """Are ``outside`` of ``compared`` numbers outside their bands what seed noise gives?

    One-sided binomial test against ``rate``, the share seed noise puts outside: the
    p-value is ``P(X >= outside)`` for ``X ~ Binomial(compared, rate)``; the family passes
    when it is at least ``level``. (When the numbers' own rates differ, ``rate`` is their
    mean, and the binomial tail is then conservative: Hoeffding, 1956.)
    """

    family: str
    compared: int
    outside: int
    rate: float
    level: float = 0.01
    #: how many trained models the numbers come from (0: one each). The numbers of one fit
    #: move together (one fit's scores at every PCA size, every split, every metric), so
    #: the test counts fits, not numbers: ``outside`` scaled to ``fits`` out of ``fits``
    #: (the design effect of fully correlated clusters; measured on a real re-run on
    #: another CPU, where chapter 05's 2,250 numbers from 9 fits moved together)
    fits: int = 0

    @property
    def share(self) -> float:
        return self.outside / self.compared if self.compared else 0.0

    @property
    def effective(self) -> tuple[int, int]:
        """(outside, compared) as the test counts them: in fits when fewer than numbers."""
        if not self.fits or self.fits >= self.compared:
            return self.outside, self.compared
        return int(round(self.outside * self.fits / self.compared)), self.fits

    @property
    def p_value(self) -> float:
        outside, compared = self.effective
        if not outside:
            return 1.0
        return float(stats.binom.sf(outside - 1, compared, self.rate))

    @property
    def ok(self) -> bool:
        return self.p_value >= self.level

    def line(self) -> str:
        """One line: n outside / n compared, the share seed noise gives, the p-value."""
        outside, compared = self.effective
        counted = f", counted as {outside} of {compared} fits" if compared < self.compared else ""
        return (f"{self.family}: {self.outside} of {self.compared} trained numbers outside their seed band "
                f"({self.share:.1%}{counted}); seed noise gives {self.rate:.1%}, one-sided binomial "
                f"p = {_p(self.p_value)} ({'at least' if self.ok else 'below'} {self.level:.3g})")


def family_test(outside: int, compared: int, rate: float, alpha: float = 0.01, family: str = ALL_TRAINED,
                fits: int = 0) -> FamilyTest:
    """``outside`` of ``compared`` trained numbers outside their bands, where seed noise puts
    a share ``rate`` outside: a one-sided binomial test at level ``alpha``."""
    if not 0 <= outside <= compared:
        raise ValueError(f"outside must be between 0 and compared ({compared}), got {outside}")
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be between 0 and 1, got {rate}")
    return FamilyTest(family=family, compared=int(compared), outside=int(outside), rate=float(rate), level=alpha,
                      fits=int(fits))


def _p(value: float) -> str:
    if value >= 0.01:
        return f"{value:.2f}"
    return f"{value:.1e}" if value > 1e-300 else "< 1e-300"


#: a metric of one study/variant is a family of its own when it has at least this many
#: trained numbers (a changed scoring moves one metric everywhere, and nothing else)
METRIC_FAMILY_MIN = 5


def family_tests(metrics: pd.DataFrame, alpha: float = 0.01) -> list[FamilyTest]:
    """The trained numbers compared on both sides, per study/variant, per metric of each
    study/variant (with :data:`METRIC_FAMILY_MIN` numbers or more) and all together, each
    test at ``alpha`` over the number of tests (Bonferroni)."""
    trained = metrics[(metrics["judged"] == JUDGED_TRAINED)
                      & metrics["verdict"].isin([IDENTICAL, REPRODUCED, OUTSIDE])]
    if trained.empty:
        return []
    families = [(f"{study} / {variant}", rows) for (study, variant), rows in trained.groupby(["study", "variant"])]
    several = len(families) > 1
    families += [(f"{study} / {variant} / {metric}", rows)
                 for (study, variant, metric), rows in trained.groupby(["study", "variant", "metric"])
                 if len(rows) >= METRIC_FAMILY_MIN and len(rows) < len(trained)]
    if several:
        families.append((ALL_TRAINED, trained))
    level = alpha / len(families)
    return [family_test(int((rows["verdict"] == OUTSIDE).sum()), len(rows), float(rows["noise_rate"].mean()),
                        alpha=level, family=name, fits=int(rows["fit"].nunique()) if "fit" in rows else 0)
            for name, rows in families]


# ---------------------------------------------------------------- the book's verdicts

def book_verdicts(study: str, records: list[dict[str, Any]]) -> dict[str, Verdict]:
    """The claims of ``study`` decided from ``records`` (one variant), by claim: its
    declared ``claims()``, the same call its chapter and the book's pages make."""
    if study not in studies.names():  # records of a study no longer declared: nothing to decide
        return {}
    return {claim.claim: claim.verdict for claim in studies.claims(study, records)}


def _evidence(verdict: Verdict | None) -> str:
    if verdict is None:
        return "–"
    return verdict.rule.rsplit(": ", 1)[-1] if ": " in verdict.rule else verdict.rule


def _verdict_rows(run: dict[tuple[str, str], list], reference: dict[tuple[str, str], list]) -> pd.DataFrame:
    rows = []
    for study, variant in sorted(set(run) & set(reference)):  # claims compare where both sides ran
        ours = book_verdicts(study, run.get((study, variant), []))
        theirs = book_verdicts(study, reference.get((study, variant), []))
        for claim in sorted(set(ours) | set(theirs)):
            mine, ref = ours.get(claim), theirs.get(claim)
            rows.append({"study": study, "variant": variant, "claim": claim,
                         "reference outcome": ref.outcome if ref else "–",
                         "this run's outcome": mine.outcome if mine else "–",
                         "same?": bool(mine and ref and mine.outcome == ref.outcome),
                         "reference evidence": _evidence(ref), "this run's evidence": _evidence(mine)})
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


# ---------------------------------------------------------------- machines

def _machines(sides: list[tuple[str, Path, list[dict[str, Any]]]]) -> pd.DataFrame:
    rows = []
    for side, directory, records in sides:
        row: dict[str, Any] = {"side": side, "directory": str(directory), "records": len(records)}
        row["device"] = ", ".join(sorted({str(r.get("device", "–")) for r in records})) or "–"
        for name in MACHINE_FIELDS:
            values = {str((r.get("environment") or {}).get(name, "–")) for r in records}
            row[name] = ", ".join(sorted(values)) or "–"
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the comparison

_NO_BAND = Band(float("nan"), "–", "–", float("nan"))


def _row(key: tuple[str, str, str], metric: str, reference: float, here: float, band: Band,
         verdict: str, side: str = "", fit: str = "") -> dict[str, Any]:
    difference = here - reference if not (math.isnan(here) or math.isnan(reference)) else float("nan")
    return {"study": key[0], "variant": key[1], "run": key[2], "metric": metric, "reference": reference,
            "this run": here, "difference": difference, "tolerance": band.tolerance,
            "tolerance_from": band.source, "verdict": verdict, "side": side, "judged": band.judged,
            "noise_rate": band.noise_rate, "fit": fit or key[2]}


def _fit_of(record: dict[str, Any] | None) -> str:
    """The trained model a record's numbers come from (its fit key), "" when it names none."""
    return str((record or {}).get("run", {}).get("fit_key") or "")


def _compare_pair(key, mine, ref, tolerance) -> list[dict[str, Any]]:
    nan = float("nan")
    if ref is None:
        return [_row(key, m, nan, v, _NO_BAND, MISSING_IN_REFERENCE, "here only")
                for m, v in numeric_metrics(mine).items()]
    if mine is None:
        return [_row(key, m, v, nan, tolerance(ref, m), MISSING_HERE, "reference only")
                for m, v in numeric_metrics(ref).items()]
    ours, theirs = numeric_metrics(mine), numeric_metrics(ref)
    collapsed = _collapsed(mine) != _collapsed(ref)
    side = ("collapsed here only" if _collapsed(mine) else "collapsed in reference only") if collapsed else ""
    rows = []
    for metric in sorted(set(ours) | set(theirs)):
        here, there = ours.get(metric, nan), theirs.get(metric, nan)
        band = tolerance(ref, metric) if metric in theirs else _NO_BAND
        limit = band.tolerance
        if metric not in theirs:
            verdict, note = MISSING_IN_REFERENCE, "here only"
        elif metric not in ours:
            verdict, note = MISSING_HERE, "reference only"
        elif collapsed:
            verdict, note = COLLAPSED_IN_ONE, side
        elif _identical(here, there):
            verdict, note = IDENTICAL, ""
        elif not (math.isnan(here) or math.isnan(there)) and abs(here - there) <= limit:
            verdict, note = REPRODUCED, ""
        else:
            verdict = OUTSIDE
            note = "undefined on one side" if math.isnan(here) != math.isnan(there) else ""
        rows.append(_row(key, metric, there, here, band, verdict, note, fit=_fit_of(ref) or _fit_of(mine)))
    return rows


@dataclass
class Reproduction:
    """A run compared with the reference: numbers, verdicts, families, machines, counts."""

    metrics: pd.DataFrame
    verdicts: pd.DataFrame
    machines: pd.DataFrame
    summary: dict[str, int]
    run_dir: Path
    reference_dir: Path
    k: float = 2.0
    floor: float = 1e-9
    not_run: list[str] = field(default_factory=list)
    families: list[FamilyTest] = field(default_factory=list)
    rtol: float = 1e-6
    atol: float = 1e-12
    alpha: float = 0.01

    def _outside(self, judged: str) -> pd.DataFrame:
        return self.metrics[(self.metrics["verdict"] == OUTSIDE) & (self.metrics["judged"] == judged)]

    @property
    def reasons(self) -> list[str]:
        """Why the run is not reproduced, one sentence each; empty when it is."""
        reasons = []
        changed = self.contradicted_verdicts
        if len(changed):
            named = [f"{row['study']}/{row['variant']}: {row['claim']}" for _, row in changed.head(3).iterrows()]
            reasons.append(f"{len(changed)} of {len(self.verdicts)} claims contradicted (holds on one side, does "
                           f"not hold or missing on the other: {'; '.join(named)}{'; …' if len(changed) > 3 else ''})")
        exact = self._outside(JUDGED_DETERMINISTIC)
        if len(exact):
            relative = (exact["difference"].abs() / exact["reference"].abs().clip(lower=self.atol)).max()
            largest = f", up to {relative:.1e} relative" if np.isfinite(relative) else ""
            reasons.append(f"{len(exact)} deterministic {_numbers(len(exact))} beyond the "
                           f"float tolerance ({self.rtol:g} relative{largest})")
        for test in self.families:
            if not test.ok:
                outside, compared = test.effective
                counted = f", counted as {outside} of {compared} fits" if compared < test.compared else ""
                reasons.append(f"more trained numbers outside their seed band than seed noise gives in "
                               f"{test.family} ({test.outside} of {test.compared}, {test.share:.1%}{counted}; seed "
                               f"noise gives {test.rate:.1%}, one-sided binomial p = {_p(test.p_value)} < "
                               f"{test.level:.3g})")
        unmeasured = self._outside(JUDGED_UNMEASURED)
        if len(unmeasured):
            reasons.append(f"{len(unmeasured)} trained {_numbers(len(unmeasured), '')} with no seed spread measured "
                           f"in the reference {'differs' if len(unmeasured) == 1 else 'differ'} beyond {self.floor:g}")
        wording = {MISSING_HERE: "missing here", COLLAPSED_IN_ONE: "of runs collapsed on one side only"}
        for verdict in FAILING:
            if self.summary.get(verdict, 0):
                reasons.append(f"{self.summary[verdict]} numbers {wording[verdict]}")
        return reasons

    @property
    def ok(self) -> bool:
        """Every claim the same, every deterministic number within the float tolerance, as
        many trained numbers outside their bands as seed noise gives (per family), and no
        number missing here, collapsed on one side only or unmeasured and different."""
        return not self.reasons

    @property
    def compared(self) -> int:
        """Numbers present on both sides (a run whose records the reference lacks compares none)."""
        return sum(self.summary.get(v, 0) for v in (IDENTICAL, REPRODUCED, OUTSIDE, COLLAPSED_IN_ONE))

    @property
    def overall(self) -> FamilyTest | None:
        """The family test over every trained number compared (None without one)."""
        return next((t for t in self.families if t.family == ALL_TRAINED), self.families[0] if self.families else None)

    @property
    def family_line(self) -> str:
        """The overall family test in one line ("" without trained numbers)."""
        test = self.overall
        if test is None:
            return ""
        return (f"{test.outside} of {test.compared} trained numbers outside their seed band ({test.share:.1%}); "
                f"seed noise gives {test.rate:.1%}, one-sided binomial p = {_p(test.p_value)}")

    @property
    def status(self) -> str:
        """``reproduced (the family line)``, ``NOT reproduced: the reasons``, or ``nothing
        compared`` when no number is on both sides."""
        if not self.compared and self.ok:
            return "nothing compared (the reference holds no record of what this run produced)"
        if self.ok:
            return f"reproduced ({self.family_line})" if self.families else "reproduced"
        return "NOT reproduced: " + "; ".join(self.reasons)

    @property
    def changed_verdicts(self) -> pd.DataFrame:
        return self.verdicts[~self.verdicts["same?"].astype(bool)] if len(self.verdicts) else self.verdicts

    @property
    def contradicted_verdicts(self) -> pd.DataFrame:
        """Changed claims that contradict each other: decided one way on one side and the
        other way (or missing) on the other. A move to or from "not shown" is a claim near
        its threshold moved by noise: listed among the changes, not a failure."""
        changed = self.changed_verdicts
        if not len(changed):
            return changed
        sides = changed[["reference outcome", "this run's outcome"]]
        noise = (sides == "not shown").any(axis=1)
        return changed[~noise]

    @property
    def family_table(self) -> pd.DataFrame:
        """One row per family test."""
        return pd.DataFrame([{"family": t.family, "compared": t.compared, "outside": t.outside, "share": t.share,
                              "fits": t.fits, "expected": t.rate, "p_value": t.p_value, "level": t.level, "ok": t.ok}
                             for t in self.families], columns=FAMILY_COLUMNS)

    def _headline(self) -> str:
        if not self.compared and self.ok:
            return "**Nothing compared** (the reference holds no record of what this run produced)."
        if not self.ok:
            return "**Not reproduced**: " + "; ".join(self.reasons) + "."
        parts = ["no claim of the book is contradicted" if len(self.verdicts) else "no claim to re-decide"]
        if (self.metrics["judged"] == JUDGED_DETERMINISTIC).any():
            parts.append(f"every deterministic number agrees within {self.rtol:g} relative")
        if self.families:
            parts.append(f"no more trained numbers fall outside their seed band than seed noise gives "
                         f"({self.family_line})")
        listed = int((~self.metrics["verdict"].isin([IDENTICAL, REPRODUCED])).sum())
        return ("**Reproduced**: " + ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] + "."
                + ((" The 1 number outside its tolerance is listed below." if listed == 1 else
                    f" The {listed} numbers outside their tolerance are listed below.") if listed else ""))

    def markdown(self) -> str:
        """The reproduction report as a Markdown page."""
        total = len(self.metrics)
        lines = ["# Reproduction report", "",
                 f"This run: `{self.run_dir}`; reference: `{self.reference_dir}`. "
                 f"{total} numbers of {self.metrics[['study', 'variant', 'run']].drop_duplicates().shape[0]} "
                 f"records compared. " + self._headline(), "",
                 "## Summary", "",
                 _table(pd.DataFrame({"verdict": list(self.summary), "numbers": list(self.summary.values())})), ""]
        if total:
            per_study = pd.crosstab(self.metrics["study"] + " / " + self.metrics["variant"],
                                    self.metrics["verdict"]).reindex(columns=[v for v in VERDICTS
                                                                              if v in set(self.metrics["verdict"])])
            per_study.index.name = "study / variant"
            lines += ["Per chapter:", "", _table(per_study.reset_index()), ""]
        if self.not_run:
            lines += [f"Reference variants not run here, not compared: {', '.join(f'`{v}`' for v in self.not_run)}.", ""]
        lines += [f"Tolerance: for runs with no trained network (PCA, TF-IDF, log-mel features), {self.rtol:g} × the "
                  f"reference value (at least {self.atol:g}): the same computation, summed in another order, "
                  f"rounds otherwise. For trained numbers, a band of {self.k:g} × the reference's sample std over "
                  f"seeds of the same configuration; for a single-seed configuration, {self.k:g} × the median of "
                  f"that std over the study's other configurations; a match to {self.floor:g} where the reference "
                  f"measured no spread.", ""]
        lines += ["## Trained numbers, as families", ""]
        if self.families:
            shown = self.family_table
            table = pd.DataFrame({
                "family": shown["family"], "compared": shown["compared"], "outside": shown["outside"],
                "share": shown["share"].map(lambda x: f"{x:.1%}"),
                "seed noise gives": shown["expected"].map(lambda x: f"{x:.1%}"),
                "p-value": shown["p_value"].map(_p), "level": shown["level"].map(lambda x: f"{x:.3g}"),
                "what noise gives?": shown["ok"].map({True: "yes", False: "**no**"})})
            lines += [f"A band of {self.k:g} seed spreads lets some seed noise through by design. Per study/variant, "
                      f"and over all of them, the count of trained numbers outside their bands is compared with the "
                      f"share seed noise puts outside (that of a spread estimated from the reference's seeds: "
                      f"Student t) by a one-sided binomial test"
                      + (f", each at {self.alpha:g} / {len(self.families)} tests (Bonferroni)."
                         if len(self.families) > 1 else f" at {self.alpha:g}."),
                      "", f"Overall: {self.family_line}.", "", _table(table), ""]
        else:
            lines += ["_No trained number with a seed spread was compared._", ""]
        changed, contradicted = len(self.changed_verdicts), len(self.contradicted_verdicts)
        lines += ["## The book's verdicts, re-decided", "",
                  (f"{changed} of {len(self.verdicts)} claims changed outcome; {contradicted} of them contradict "
                   "the reference (holds on one side, does not hold or missing on the other). A move to or from "
                   "*not shown* is a claim near its threshold moved by noise: listed, not a failure."
                   if len(self.verdicts) else "_No verdicts to re-decide in these records._"), ""]
        if len(self.verdicts):
            lines += [_table(self.verdicts.assign(**{"same?": self.verdicts["same?"].map({True: "yes", False: "**no**"})})), ""]
        lines += ["## Numbers outside their tolerance", ""]
        bad = self.metrics[~self.metrics["verdict"].isin([IDENTICAL, REPRODUCED])]
        if bad.empty:
            lines += ["_Every number is identical or within its tolerance._", ""]
        else:
            lines += ["A trained number outside its seed band counts against the run only through its family "
                      "(above); a deterministic or unmeasured number outside its tolerance, and a number missing "
                      "here or collapsed on one side, fails it by itself.", ""]
            shown = bad.drop(columns=["noise_rate"])
            for column in ("reference", "this run", "tolerance"):
                shown[column] = shown[column].map(_format)
            shown["difference"] = shown["difference"].map(lambda x: _format(x, signed=True))
            lines += [_table(shown), ""]
        lines += ["## Machines and versions", "", _table(self.machines), ""]
        return "\n".join(lines)


def _numbers(n: int, verb: str = " differ") -> str:
    """"number differs" or "numbers differ" (``verb=""``: the noun alone)."""
    return ("number" + (verb + "s" if verb else "")) if n == 1 else "numbers" + verb


def _format(value: Any, signed: bool = False) -> str:
    """Three decimals, three significant digits below 0.001, "–" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) >= 1 and not signed:
        return f"{int(value)}"
    sign = "+" if signed else ""
    return f"{value:{sign}.3f}" if abs(value) >= 1e-3 else f"{value:{sign}.3g}"


def _table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_"
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(_format)
    return shown.astype(object).fillna("–").to_markdown(index=False, disable_numparse=True)


def compare_runs(run_dir: str | Path, reference_dir: str | Path, *, k: float = 2.0, floor: float = 1e-9,
                 rtol: float = 1e-6, atol: float = 1e-12, alpha: float = 0.01,
                 scope: str = "run", since: float | None = None) -> Reproduction:
    """Compare the records under ``run_dir`` with those under ``reference_dir``.

    ``k`` times the reference's seed std (at least ``floor``) is the band of a trained
    number; ``max(rtol * |reference|, atol)`` the tolerance of a deterministic one; the
    trained numbers outside their bands are tested per family at level ``alpha``
    (Bonferroni over the families); see the module docstring for the full rule. ``scope="run"`` compares the
    study/variants this run produced; ``scope="all"`` every one in either folder.
    ``since`` (a Unix time) keeps only this run's records written from then on, so the
    records of earlier runs left in ``run_dir`` are not compared.
    """
    if scope not in ("run", "all"):
        raise ValueError(f"scope must be 'run' or 'all', not {scope!r}")
    run_dir, reference_dir = Path(run_dir), Path(reference_dir)
    mine, theirs = _read(run_dir), _read(reference_dir)
    if since is not None:
        mine = [r for r in mine if _created(r) >= since]
    ran = {(r["study"], r["variant"]) for r in mine}
    not_run = sorted({f"{r['study']}/{r['variant']}" for r in theirs if (r["study"], r["variant"]) not in ran})
    if scope == "run":
        theirs = [r for r in theirs if (r["study"], r["variant"]) in ran]
        skipped = not_run
    else:
        skipped = []
    tolerance = _Tolerances(theirs, k=k, floor=floor, rtol=rtol, atol=atol)
    by_key_mine = {_key(r): r for r in mine}
    by_key_theirs = {_key(r): r for r in theirs}
    rows = []
    for key in sorted(set(by_key_mine) | set(by_key_theirs)):
        rows += _compare_pair(key, by_key_mine.get(key), by_key_theirs.get(key), tolerance)
    metrics = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    counts = metrics["verdict"].value_counts()
    summary = {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS}

    def by_variant(records):
        grouped: dict[tuple[str, str], list] = {}
        for record in records:
            grouped.setdefault((record["study"], record["variant"]), []).append(record)
        return grouped

    verdicts = _verdict_rows(by_variant(mine), by_variant(theirs))
    machines = _machines([("reference", reference_dir, theirs), ("this run", run_dir, mine)])
    return Reproduction(metrics=metrics, verdicts=verdicts, machines=machines, summary=summary,
                        run_dir=run_dir, reference_dir=reference_dir, k=k, floor=floor, not_run=skipped,
                        families=family_tests(metrics, alpha), rtol=rtol, atol=atol, alpha=alpha)
