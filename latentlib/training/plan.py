"""The fits a chapter will ask for, listed before it runs: one :class:`FitSpec` per fit.

A study's planner builds exactly the arguments the chapter's own study code passes to
the fit engine (model config, training config, the training data from the same
loader), so a spec's ``key`` is the key the chapter computes. Running the specs first
(on this machine or a cluster, :mod:`latentlib.training.executor`) fills the fit cache, the
*store*; the chapter executed afterwards loads every fit from it.

A study's planner is the ``plan`` of its declaration (:mod:`latentlib.studies`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latentlib.training.fit import cache_dir
from latentlib import studies


class NotPlanned(ValueError):
    """The study's fits cannot be listed ahead (yet): its chapter trains them itself."""


@dataclass
class FitSpec:
    """One fit of one chapter, as data that travels to a worker.

    ``study``, ``profile`` and ``parameters`` rebuild the chapter's config; ``run``
    names the fit inside the study's grid (``embedding_size``, ``seed``, ``objective``);
    ``train_with`` is the ``module:function`` that trains it on a worker; ``key`` and
    ``file`` are the fit cache's key and file name, computed when planning.
    """

    study: str
    profile: str
    parameters: dict[str, Any]
    name: str
    run: dict[str, Any]
    key: str
    file: str
    train_with: str
    label: str = field(default="")

    def path(self, store: str | Path | None = None) -> Path:
        """Where the fit lives in ``store`` (default: this process's fit cache)."""
        return Path(store or cache_dir()) / self.file

    def describe(self) -> str:
        """A short name for tables and logs: ``02_triplet_vs_mse/mlp-mse-d4-seed0``."""
        return f"{self.study}/{self.name}" + (f" [{self.label}]" if self.label else "")


def plan_study(study: str, profile: str = "quick", parameters: dict[str, Any] | None = None, *,
               label: str = "") -> list[FitSpec]:
    """The fits study ``study`` will request in ``profile`` with ``parameters``.

    Raises
    ------
    ValueError
        For an unknown study, profile or parameter (the config's own message).
    NotPlanned
        For a study without a planner; its chapter still runs and trains its fits.
    """
    parameters = dict(parameters or {})
    config = studies.config_for(study, profile, **parameters)  # bad values fail here, before any data loads
    planner = studies.get(study).plan
    if planner is None:
        known = ", ".join(name for name, declared in studies.all_studies().items() if declared.plan)
        raise NotPlanned(f"study {study!r}: its fits are not planned yet (planned: {known}); "
                         "its chapter trains its own fits when it runs")
    specs = planner(config)
    for spec in specs:
        spec.study, spec.profile, spec.parameters, spec.label = study, profile, parameters, label
    return specs


def unique(specs: list[FitSpec]) -> list[FitSpec]:
    """``specs`` without repeated keys (chapters 02 and 03 share their fits), in order."""
    seen: dict[str, FitSpec] = {}
    for spec in specs:
        seen.setdefault(spec.key, spec)
    return list(seen.values())


def run_spec(spec: FitSpec) -> dict[str, Any]:
    """Train (or load) the fit of ``spec`` in this process with its ``train_with``;
    returns what that function reports (``key``, ``from_cache``, ``seconds``, ``loss``)."""
    module, name = spec.train_with.split(":")
    return getattr(importlib.import_module(module), name)(spec)
