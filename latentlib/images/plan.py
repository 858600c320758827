"""The fits of the image chapters (01, 02, 03) listed ahead, and one of them trained.

Each planner builds its fits with the very functions its study trains with
(:func:`~latentlib.images.study.embedding_size_fit`,
:func:`~latentlib.images.study.objective_fit`) on the same loader, so the planner
cannot drift from the chapter: every key equals the key the chapter computes (a test runs the chapter's grid after a planned
sweep and finds every fit in the cache). :func:`run_spec` trains one spec with
:func:`fit_image_autoencoder`, the function the chapter calls.
"""

from __future__ import annotations

from typing import Any

from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig
from latentlib.training.fit import fit_key
from latentlib.images.data import load_image_data
from latentlib.images.study import embedding_size_fit, objective_fit, run_name
from latentlib.images.training import TripletTrainer, check_class_balanced, fit_image_autoencoder
from latentlib.training.plan import FitSpec
from latentlib.data.splits import LabelledSplit
from latentlib.studies import config_for

TRAIN_WITH = f"{__name__}:run_spec"
OBJECTIVES = ("mse", "triplet")  # the chapters' run_objective_grid(cfg, data): both objectives

_DATA: dict[tuple[Any, ...], LabelledSplit] = {}


def load_data(config: Any) -> LabelledSplit:
    """The chapter's data (``load_image_data``), loaded once per process and data setting."""
    fields = tuple(getattr(config, name, None) for name in ("dataset", "data_source", "n_train", "n_test"))
    if fields not in _DATA:
        _DATA.clear()  # one dataset per worker at a time: memory stays that of one chapter
        _DATA[fields] = load_image_data(config)
    return _DATA[fields]


def _trainer(model: Any, train: TrainConfig, x_train: Any, extra: dict[str, Any]) -> Any:
    """The trainer :func:`fit_image_autoencoder` builds for these arguments (for its key)."""
    if extra:
        return TripletTrainer(model, train, x_train, **extra)
    return ReconstructionTrainer(model, train, x_train)


def _spec(name: str, run: dict[str, Any], arguments: tuple, data: LabelledSplit, precision: str) -> FitSpec:
    model, train, extra = arguments
    trainer = _trainer(model, train, data.x_train, extra)
    key = fit_key(trainer, precision)
    return FitSpec(study="", profile="", parameters={}, name=name, run=run, key=key,
                   file=f"{trainer.kind}-{key}.pt", train_with=TRAIN_WITH)


def plan_embedding_sizes(config: Any) -> list[FitSpec]:
    """Study 01: one MLP autoencoder per (embedding size, seed)."""
    data = load_data(config)
    return [_spec(run_name(model="mlp", embedding_size=size, seed=seed), {"embedding_size": size, "seed": seed},
                  embedding_size_fit(config, data, embedding_size=size, seed=seed), data, config.precision)
            for size in config.embedding_sizes for seed in config.seeds]


def plan_objective_grid(config: Any) -> list[FitSpec]:
    """Studies 02 and 03: one autoencoder per (objective, embedding size, seed)."""
    data = load_data(config)
    check_class_balanced(data.y_train, config.triplet_config())  # P x K batches possible, as the chapter checks
    specs = []
    for objective in OBJECTIVES:
        for size in config.embedding_sizes:
            for seed in config.seeds:
                run = {"objective": objective, "embedding_size": size, "seed": seed}
                specs.append(_spec(f"{config.model}-{objective}-d{size}-seed{seed}", run,
                                   objective_fit(config, data, **run), data, config.precision))
    return specs


def arguments(spec: FitSpec, config: Any, data: LabelledSplit) -> tuple:
    """The fit arguments of ``spec`` (its study's builder, with its run's coordinates)."""
    if spec.study == "01_embedding_size":
        return embedding_size_fit(config, data, **spec.run)
    return objective_fit(config, data, **spec.run)


def run_spec(spec: FitSpec) -> dict[str, Any]:
    """Train (or load) one planned fit here, through the chapter's own fit function.

    Raises
    ------
    RuntimeError
        When this process computes another key than the plan: it runs other library
        code or reads other data than the machine that planned the sweep.
    """
    config = config_for(spec.study, spec.profile, **spec.parameters)
    data = load_data(config)
    model, train, extra = arguments(spec, config, data)
    key = fit_key(_trainer(model, train, data.x_train, extra), config.precision)
    if key != spec.key:
        raise RuntimeError(
            f"{spec.describe()}: this worker computes fit key {key}, the plan says {spec.key}; the worker "
            "runs other library code or reads other data (give every worker the same checkout and data root)")
    fit = fit_image_autoencoder(model, train, data.x_train, device=config.device, precision=config.precision,
                                use_cache=True, progress=False, desc=spec.name, **extra)
    return {"key": fit.key, "from_cache": fit.from_cache, "seconds": fit.seconds,
            "loss": float(fit.history[-1])}
