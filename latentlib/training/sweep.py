"""Sweeps: a grid over parameters and seeds, every fit of every chapter warmed into the
store through :mod:`latentlib.training.executor`, with one progress bar and a summary.

A grid maps parameter names to lists of settings (``-p epochs "[5, 10]"`` or a YAML
file); the sweep is their cartesian product, one chapter config per combination and
study. Fits shared by several combinations or chapters (02 and 03 share theirs) run
once. Each outcome is one JSON line of the sweep log, ``<store>/sweeps/<id>.jsonl``;
re-running a sweep finds its finished fits in the store and reports them ``cached``.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latentlib.training.executor import STATUSES, Outcome, execute
from latentlib.training.fit import cache_dir
from latentlib.training.plan import FitSpec, NotPlanned, plan_study, unique
from latentlib.studies import config_class
from latentlib.validation import fail


def read_grid(path: str | Path) -> dict[str, Any]:
    """A sweep file: ``studies`` (list), ``profile``, ``seeds`` (list) and ``parameters``
    (name -> list of settings); every key is optional.

    .. code-block:: yaml

        studies: [02_triplet_vs_mse, 03_pca_vs_autoencoder]
        profile: quick
        seeds: [0, 1, 2]
        parameters:
          epochs: [10, 20]
          miner: [all, batch_hard]
    """
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        fail("sweep file", str(path), "a YAML mapping with studies, profile, seeds and parameters")
    unknown = sorted(set(data) - {"studies", "profile", "seeds", "parameters"})
    if unknown:
        fail("sweep file", str(path), f"the keys studies, profile, seeds and parameters (unknown: {unknown})")
    if not isinstance(data.get("parameters", {}), dict):
        fail("parameters", data["parameters"], "a mapping of parameter name -> list of settings")
    return data


def combinations(study: str, grid: dict[str, Any], seeds: list[int] | None = None) -> list[dict[str, Any]]:
    """The parameter overrides of every point of ``grid`` for ``study``.

    Each value of ``grid`` is a list of settings (a single value is one setting). For a
    tuple-valued parameter a plain number is a one-element tuple, so
    ``embedding_sizes: [4, 8]`` sweeps (4,) and (8,). ``seeds`` sets a study's ``seeds``
    (all in one chapter) or sweeps its ``seed`` (one chapter each).
    """
    cls = config_class(study)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    axes: dict[str, list[Any]] = {}
    for name, values in grid.items():
        if name not in defaults:
            cls.from_profile("smoke", **{name: 0})  # raises the config's "unknown parameter" message
        settings = list(values) if isinstance(values, (list, tuple)) else [values]
        if not settings:
            fail(name, values, "a non-empty list of settings")
        if isinstance(defaults[name], tuple):
            settings = [tuple(v) if isinstance(v, (list, tuple)) else (v,) for v in settings]
        axes[name] = settings
    if seeds:
        if "seeds" in defaults:
            axes["seeds"] = [tuple(seeds)]
        elif "seed" in defaults:
            axes["seed"] = list(seeds)
    names = list(axes)
    return [dict(zip(names, point)) for point in itertools.product(*(axes[n] for n in names))]


def study_axes(study: str, grid: dict[str, Any], studies: list[str]) -> dict[str, Any]:
    """The axes of ``grid`` that apply to ``study``: a parameter of another study of the
    sweep (06's ``view_points`` beside 02) is left out; one no study has is kept, so
    :func:`combinations` refuses it with the config's message."""
    known = {name for other in studies for name in config_class(other).parameter_names()}
    own = set(config_class(study).parameter_names())
    return {name: values for name, values in grid.items() if name in own or name not in known}


def describe(parameters: dict[str, Any]) -> str:
    return " ".join(f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in parameters.items())


@dataclass
class SweepPlan:
    """Every chapter run of the sweep (study, overrides) and the fits they need."""

    profile: str
    runs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    specs: list[FitSpec] = field(default_factory=list)
    not_planned: dict[str, str] = field(default_factory=dict)


def plan_sweep(studies: list[str], *, profile: str = "quick", grid: dict[str, Any] | None = None,
               seeds: list[int] | None = None) -> SweepPlan:
    """Validate every combination (bad values fail before any data loads), then list
    the fits of each; studies without a planner are kept in ``not_planned``."""
    plan = SweepPlan(profile=profile)
    for study in studies:
        for parameters in combinations(study, study_axes(study, grid or {}, studies), seeds):
            config_class(study).from_profile(profile, **parameters)
            plan.runs.append((study, parameters))
    for study, parameters in plan.runs:
        try:
            plan.specs += plan_study(study, profile, parameters, label=describe(parameters))
        except NotPlanned as reason:
            plan.not_planned[study] = str(reason)
    plan.specs = unique(plan.specs)
    return plan


class Tally:
    """Status of every fit, the counts per status, and the sweep's one progress bar."""

    def __init__(self, specs: list[FitSpec], *, progress: bool = True) -> None:
        from tqdm import tqdm

        self.status = {spec.key: "queued" for spec in specs}
        self.bar = tqdm(total=len(specs), desc="fits", unit="fit", disable=not progress)

    def counts(self) -> dict[str, int]:
        values = list(self.status.values())
        return {status: values.count(status) for status in STATUSES}

    def __call__(self, spec: FitSpec, status: str, outcome: Outcome | None) -> None:
        self.status[spec.key] = status
        counts = self.counts()
        self.bar.n = counts["cached"] + counts["done"] + counts["failed"]
        # a sweep queues all its fits at once: redraw on the changes after that
        self.bar.set_postfix_str(" ".join(f"{name} {n}" for name, n in counts.items()), refresh=status != "queued")

    def close(self) -> None:
        self.bar.close()


@dataclass
class SweepReport:
    outcomes: list[Outcome]
    seconds: float
    log: Path

    def counts(self) -> dict[str, int]:
        return {status: sum(o.status == status for o in self.outcomes) for status in ("cached", "done", "failed")}

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def table(self) -> str:
        """Fits per study and combination, by status, with the training time spent."""
        from tabulate import tabulate

        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for o in self.outcomes:
            row = rows.setdefault((o.spec.study, o.spec.label), {"cached": 0, "done": 0, "failed": 0, "fit s": 0.0})
            row[o.status] += 1
            row["fit s"] += o.seconds
        table = [[study, label or "-", r["cached"], r["done"], r["failed"], f"{r['fit s']:.1f}"]
                 for (study, label), r in rows.items()]
        text = tabulate(table, headers=["study", "parameters", "cached", "done", "failed", "fit s"])
        for o in self.failed:
            text += f"\nfailed: {o.spec.describe()}: {o.error}"
        return text + f"\n{len(self.outcomes)} fits in {self.seconds:.1f} s; sweep log: {self.log}"


def warm(specs: list[FitSpec], scheduler: str | None = None, *, client: Any = None,
         store: str | Path | None = None, progress: bool = True, retries: int = 2) -> SweepReport:
    """Run ``specs`` into the store with one progress bar; log each outcome as a JSON line."""
    store = Path(store or cache_dir()).expanduser()
    log = store / "sweeps" / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}.jsonl"
    tally = Tally(specs, progress=progress)

    def on_status(spec: FitSpec, status: str, outcome: Outcome | None) -> None:
        tally(spec, status, outcome)
        if outcome is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"time": time.time(), **outcome.as_dict()}, default=str) + "\n")

    start = time.perf_counter()
    try:
        outcomes = execute(specs, scheduler, client=client, store=store, on_status=on_status, retries=retries)
    finally:
        tally.close()
    return SweepReport(outcomes=outcomes, seconds=time.perf_counter() - start, log=log)
