"""The fits of the image chapters (01, 02, 03) listed ahead, and one of them trained.

Each planner mirrors its study function in :mod:`latentlib.images.study`: the same
loader, the same model config (:func:`image_model_config`), the same
:class:`TrainConfig` and, for triplet runs, the same labels and objective, so every
key equals the key the chapter computes (a test runs the chapter's grid after a planned
sweep and finds every fit in the cache). :func:`run_spec` trains one spec with
:func:`fit_image_autoencoder`, the function the chapter calls.
"""

from __future__ import annotations

from typing import Any

from latentlib.autoencoder import ReconstructionTrainer, TrainConfig
from latentlib.fit import fit_key
from latentlib.images.data import load_image_data
from latentlib.images.models import MLPConfig
from latentlib.images.study import image_model_config, run_name
from latentlib.images.training import TripletTrainer, check_class_balanced, fit_image_autoencoder
from latentlib.plan import FitSpec
from latentlib.splits import LabelledSplit
from latentlib.studies import config_for

RUNNER = f"{__name__}:run_spec"
OBJECTIVES = ("mse", "triplet")  # the chapters' run_objective_grid(cfg, data): both objectives

_DATA: dict[tuple[Any, ...], LabelledSplit] = {}


def load_data(config: Any) -> LabelledSplit:
    """The chapter's data (``load_image_data``), loaded once per process and data setting."""
    fields = tuple(getattr(config, name, None) for name in ("dataset", "data_source", "n_train", "n_test"))
    if fields not in _DATA:
        _DATA.clear()  # one dataset per worker at a time: memory stays that of one chapter
        _DATA[fields] = load_image_data(config)
    return _DATA[fields]


def embedding_size_arguments(config: Any, data: LabelledSplit, *, embedding_size: int, seed: int) -> tuple:
    """(model config, train config, extra keyword arguments) of one run of study 01,
    as :func:`latentlib.images.study.run_embedding_sizes` builds them."""
    train = TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                        learning_rate=config.learning_rate, seed=seed)
    model = MLPConfig(input_shape=tuple(data.x_train.shape[1:]), hidden_sizes=config.hidden_sizes,
                      embedding_size=embedding_size)
    return model, train, {}


def objective_arguments(config: Any, data: LabelledSplit, *, objective: str, embedding_size: int,
                        seed: int) -> tuple:
    """(model config, train config, extra keyword arguments) of one run of studies 02
    and 03, as :func:`latentlib.images.study.run_objective_grid` builds them."""
    train = TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                        learning_rate=config.learning_rate, seed=seed)
    extra = {"y_train": data.y_train, "objective": config.triplet_config()} if objective == "triplet" else {}
    return image_model_config(config, data, embedding_size=embedding_size), train, extra


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
                   file=f"{trainer.kind}-{key}.pt", runner=RUNNER)


def plan_embedding_sizes(config: Any) -> list[FitSpec]:
    """Study 01: one MLP autoencoder per (embedding size, seed)."""
    data = load_data(config)
    return [_spec(run_name(model="mlp", embedding_size=size, seed=seed), {"embedding_size": size, "seed": seed},
                  embedding_size_arguments(config, data, embedding_size=size, seed=seed), data, config.precision)
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
                                   objective_arguments(config, data, **run), data, config.precision))
    return specs


def arguments(spec: FitSpec, config: Any, data: LabelledSplit) -> tuple:
    """The fit arguments of ``spec`` (its study's builder, with its run's coordinates)."""
    if spec.study == "01_embedding_size":
        return embedding_size_arguments(config, data, **spec.run)
    return objective_arguments(config, data, **spec.run)


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
