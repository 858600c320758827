"""Did a re-run reproduce the reference? Every number and every verdict, compared.

:func:`compare_runs` reads the result records of a run (``<dir>/<study>/<variant>/<run>.json``)
and those of the reference (the committed ``book/results``), pairs them by (study, variant,
run name) and returns a :class:`Reproduction`: one row per numeric metric with both values,
their difference, a tolerance and a verdict, the book's claims re-decided on each side, and
the machines and library versions of both.

Verdicts, per number:

- ``identical``: bitwise equal (NaN equals NaN);
- ``reproduced``: ``|this run - reference| <= tolerance``;
- ``outside tolerance``: further apart, or defined on one side only (e.g. a silhouette
  that is NaN where K-Means found one cluster);
- ``missing here`` / ``missing in reference``: the record, or this metric of it, exists on
  one side only;
- ``collapsed in one``: ``metrics.collapsed`` differs between the two records (the
  ``side`` column says which one collapsed); its numbers are not comparable.

The tolerance comes from the variation the reference itself measured across seeds.
Records of one *configuration* (the same ``run`` settings apart from ``name``, ``seed`` and
the fit cache bookkeeping, so the same ``method`` or ``model``/``objective`` and
``embedding_size``) are a seed group:

1. A record with no trained network (``run.model`` in ``pca``, ``mean_logmel``, ``tfidf``,
   or ``run.objective`` in ``pca``, ``none``) must match exactly: tolerance 0
   (``exact (deterministic)``). This is how the book's deterministic stages are checked.
2. In a group of several seeds, the tolerance is ``k`` times the sample standard
   deviation (ddof 1) of the metric over the group's non-collapsed seeds in the
   reference, at least ``floor`` (``seed spread of this group``).
3. A group with a single seed takes ``k`` times the median of that metric's seed std over
   the other multi-seed, trained groups of the same study and variant, at least ``floor``
   (``median seed spread of the study``). When that median is 0 the number must match
   to ``floor`` (``exact (deterministic)``); when there is no such group the reference
   measured no seed spread at all and the number must match to ``floor``
   (``exact (no seed spread measured)``): such a chapter needs several seeds before a
   re-run on another machine can reproduce it.

``k`` defaults to 2 and ``floor`` to 1e-9, so a pipeline whose seeds agree must match to
the float. The report compares the study/variants this run produced (``scope="run"``);
``scope="all"`` also counts every reference variant that was not run as ``missing here``.

The book's verdicts (:mod:`latentlib.verdicts`) are re-decided on both sides wherever the
records carry ``run.method``: triplet vs MSE and each autoencoder vs PCA on silhouette and
ACC, and "falls as d grows" per method, with the same calls the results page makes.
"""

from __future__ import annotations

import calendar
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from latentlib.results import read_records
from latentlib.verdicts import Verdict, beats, falls_with

IDENTICAL = "identical"
REPRODUCED = "reproduced"
OUTSIDE = "outside tolerance"
MISSING_HERE = "missing here"
MISSING_IN_REFERENCE = "missing in reference"
COLLAPSED_IN_ONE = "collapsed in one"
VERDICTS = (IDENTICAL, REPRODUCED, OUTSIDE, MISSING_HERE, MISSING_IN_REFERENCE, COLLAPSED_IN_ONE)
#: verdicts that make a run fail to reproduce (``Reproduction.ok``)
FAILING = (OUTSIDE, COLLAPSED_IN_ONE, MISSING_HERE)

FROM_GROUP = "seed spread of this group"
FROM_STUDY = "median seed spread of the study"
FROM_DETERMINISTIC = "exact (deterministic)"
FROM_NOTHING = "exact (no seed spread measured)"

#: ``run`` fields that name or cache a run rather than configure it
RUN_BOOKKEEPING = ("name", "seed", "fit_key", "fit_from_cache")
#: ``metrics`` entries that are flags or bookkeeping, not numbers to compare
METRIC_BOOKKEEPING = ("collapsed", "collapse_reason")
#: runs with no trained network: their numbers must match exactly
DETERMINISTIC_MODELS = ("pca", "mean_logmel", "tfidf")
DETERMINISTIC_OBJECTIVES = ("pca", "none")

METRIC_COLUMNS = ["study", "variant", "run", "metric", "reference", "this run", "difference",
                  "tolerance", "tolerance_from", "verdict", "side"]
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
    """True for a run with no trained network (PCA, TF-IDF, mean log-mel features)."""
    run = record.get("run", {})
    return (run.get("model") in DETERMINISTIC_MODELS or run.get("method") == "pca"
            or run.get("objective") in DETERMINISTIC_OBJECTIVES)


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

@dataclass
class _Tolerances:
    """Per (study, variant, configuration, metric): the reference's seed std."""

    records: list[dict[str, Any]]
    k: float
    floor: float
    spread: dict[tuple[str, str, str], dict[str, float]] = field(default_factory=dict)

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
            self.spread[group] = {name: float(np.std(list(by_seed.values()), ddof=1))
                                  for name, by_seed in values.items() if len(by_seed) >= 2}

    def __call__(self, record: dict[str, Any], metric: str) -> tuple[float, str]:
        if deterministic(record):
            return 0.0, FROM_DETERMINISTIC
        group = (record["study"], record["variant"], _configuration(record))
        own = self.spread.get(group, {}).get(metric)
        if own is not None and np.isfinite(own):
            return max(self.k * own, self.floor), FROM_GROUP
        others = [spread[metric] for (study, variant, config), spread in self.spread.items()
                  if (study, variant) == group[:2] and config != group[2]
                  and metric in spread and np.isfinite(spread[metric])]
        if not others:
            return self.floor, FROM_NOTHING
        median = float(np.median(others))
        if median == 0:
            return self.floor, FROM_DETERMINISTIC
        return max(self.k * median, self.floor), FROM_STUDY


# ---------------------------------------------------------------- the book's verdicts

def run_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Records with ``run.method`` -> one row per run: method, embedding_size, seed and
    every metric (as :func:`latentlib.report.run_table` builds it for the results page)."""
    rows = []
    for record in records:
        run = record.get("run", {})
        if "method" not in run:
            continue
        row = {"method": run["method"], "embedding_size": int(run["embedding_size"]),
               "seed": int(run["seed"])}
        if "input" in run:
            row["input"] = run["input"]
        for name, value in record.get("metrics", {}).items():
            row[name] = float("nan") if value is None else value
        rows.append(row)
    return pd.DataFrame(rows)


def book_verdicts(records: list[dict[str, Any]]) -> dict[str, Verdict]:
    """The results page's claims for one study/variant, by claim: triplet vs MSE and each
    autoencoder vs PCA on silhouette and ACC, and "falls as d grows" per method."""
    table = run_table(records)
    if table.empty:
        return {}
    table = table[~table["method"].astype(str).str.startswith("umap")]
    methods = set(table["method"])
    prefixes = sorted(m.removesuffix("-triplet") for m in methods if m.endswith("-triplet"))
    verdicts: list[Verdict] = []
    metrics = [m for m in ("silhouette", "acc") if m in table.columns]
    for prefix in prefixes:
        triplet, mse = f"{prefix}-triplet", f"{prefix}-mse"
        if mse in methods:
            verdicts += [beats(table, better=triplet, worse=mse, metric=metric,
                               claim=f"{triplet} > {mse} in {metric} at every d") for metric in metrics]
    if "pca" in methods:
        autoencoders = sorted(m for m in methods if m.endswith(("-triplet", "-mse")))
        verdicts += [beats(table, better=ae, worse="pca", metric=metric, claim=f"{ae} > PCA in {metric} at every d")
                     for ae in autoencoders for metric in metrics]
    if "silhouette" in table.columns:
        verdicts += [falls_with(table, method=method, claim=f"{method}: silhouette falls as d grows")
                     for method in sorted(methods)]
    return {v.claim: v for v in verdicts}


def _evidence(verdict: Verdict | None) -> str:
    if verdict is None:
        return "–"
    return verdict.rule.rsplit(": ", 1)[-1] if ": " in verdict.rule else verdict.rule


def _verdict_rows(run: dict[tuple[str, str], list], reference: dict[tuple[str, str], list]) -> pd.DataFrame:
    rows = []
    for study, variant in sorted(set(run) | set(reference)):
        ours = book_verdicts(run.get((study, variant), []))
        theirs = book_verdicts(reference.get((study, variant), []))
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

def _row(key: tuple[str, str, str], metric: str, reference: float, here: float, tolerance: float,
         source: str, verdict: str, side: str = "") -> dict[str, Any]:
    difference = here - reference if not (math.isnan(here) or math.isnan(reference)) else float("nan")
    return {"study": key[0], "variant": key[1], "run": key[2], "metric": metric, "reference": reference,
            "this run": here, "difference": difference, "tolerance": tolerance, "tolerance_from": source,
            "verdict": verdict, "side": side}


def _compare_pair(key, mine, ref, tolerance) -> list[dict[str, Any]]:
    nan = float("nan")
    if ref is None:
        return [_row(key, m, nan, v, nan, "–", MISSING_IN_REFERENCE, "here only")
                for m, v in numeric_metrics(mine).items()]
    if mine is None:
        return [_row(key, m, v, nan, *tolerance(ref, m), MISSING_HERE, "reference only")
                for m, v in numeric_metrics(ref).items()]
    ours, theirs = numeric_metrics(mine), numeric_metrics(ref)
    collapsed = _collapsed(mine) != _collapsed(ref)
    side = ("collapsed here only" if _collapsed(mine) else "collapsed in reference only") if collapsed else ""
    rows = []
    for metric in sorted(set(ours) | set(theirs)):
        here, there = ours.get(metric, nan), theirs.get(metric, nan)
        limit, source = tolerance(ref, metric)
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
        rows.append(_row(key, metric, there, here, limit, source, verdict, note))
    return rows


@dataclass
class Reproduction:
    """A run compared with the reference: numbers, verdicts, machines, counts."""

    metrics: pd.DataFrame
    verdicts: pd.DataFrame
    machines: pd.DataFrame
    summary: dict[str, int]
    run_dir: Path
    reference_dir: Path
    k: float = 2.0
    floor: float = 1e-9
    not_run: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No number outside tolerance, collapsed on one side only, or missing here."""
        return not any(self.summary.get(verdict, 0) for verdict in FAILING)

    @property
    def compared(self) -> int:
        """Numbers present on both sides (a run whose records the reference lacks compares none)."""
        return sum(self.summary.get(v, 0) for v in (IDENTICAL, REPRODUCED, OUTSIDE, COLLAPSED_IN_ONE))

    @property
    def status(self) -> str:
        """``reproduced``, ``NOT reproduced``, or ``nothing compared`` when no number is on both sides."""
        if not self.compared and self.ok:
            return "nothing compared (the reference holds no record of what this run produced)"
        return "reproduced" if self.ok else "NOT reproduced"

    @property
    def changed_verdicts(self) -> pd.DataFrame:
        return self.verdicts[~self.verdicts["same?"]] if len(self.verdicts) else self.verdicts

    def markdown(self) -> str:
        """The reproduction report as a Markdown page."""
        total = len(self.metrics)
        lines = ["# Reproduction report", "",
                 f"This run: `{self.run_dir}`; reference: `{self.reference_dir}`. "
                 f"{total} numbers of {self.metrics[['study', 'variant', 'run']].drop_duplicates().shape[0]} "
                 f"records compared. **{self.status.capitalize() if self.ok else 'Not reproduced'}**"
                 + (": no number is outside its tolerance, collapsed on one side or missing here."
                    if self.ok and self.compared else "." if self.ok else ": see the numbers below."), "",
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
        lines += [f"Tolerance: {self.k:g} × the reference's sample std over seeds of the same configuration; "
                  f"for a single-seed configuration, {self.k:g} × the median of that std over the study's other "
                  f"configurations; an exact match for runs with no trained network (PCA, TF-IDF, log-mel "
                  f"features) and a match to {self.floor:g} where the reference measured no spread.", ""]
        changed = len(self.changed_verdicts)
        lines += ["## The book's verdicts, re-decided", "",
                  (f"{changed} of {len(self.verdicts)} claims changed outcome." if len(self.verdicts)
                   else "_No verdicts to re-decide in these records._"), ""]
        if len(self.verdicts):
            lines += [_table(self.verdicts.assign(**{"same?": self.verdicts["same?"].map({True: "yes", False: "**no**"})})), ""]
        lines += ["## Numbers that did not reproduce", ""]
        bad = self.metrics[~self.metrics["verdict"].isin([IDENTICAL, REPRODUCED])]
        if bad.empty:
            lines += ["_Every number is identical or within its tolerance._", ""]
        else:
            shown = bad.copy()
            for column in ("reference", "this run", "tolerance"):
                shown[column] = shown[column].map(_format)
            shown["difference"] = shown["difference"].map(lambda x: _format(x, signed=True))
            lines += [_table(shown), ""]
        lines += ["## Machines and versions", "", _table(self.machines), ""]
        return "\n".join(lines)


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
                 scope: str = "run", since: float | None = None) -> Reproduction:
    """Compare the records under ``run_dir`` with those under ``reference_dir``.

    ``k`` times the reference's seed std (at least ``floor``) is the tolerance of a trained
    number; see the module docstring for the full rule. ``scope="run"`` compares the
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
    tolerance = _Tolerances(theirs, k=k, floor=floor)
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
                        run_dir=run_dir, reference_dir=reference_dir, k=k, floor=floor, not_run=skipped)
