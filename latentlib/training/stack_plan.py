"""Planned fits (:class:`~latentlib.training.plan.FitSpec`) trained as stacks.

The executor hands the fits of a sweep to :func:`run_specs_stacked` when stacking is on
(:func:`latentlib.training.stacked.stacked_enabled`: CUDA, or ``LATENTLIB_STACKED=1``,
or ``--scheduler stacked``). Each spec is turned back into its trainer by the module
named in its ``train_with``: a function ``trainer_for(spec)`` there, returning
``(trainer, {"device": ..., "precision": ...})``, or else the builders the image
chapters' planner offers (:func:`planner_trainer`). The trainers are grouped by shape
(:func:`~latentlib.training.stacked.group_stackable`), each group trained by
:func:`~latentlib.training.stacked.run_stacked` and every fit saved under its own key;
a spec without a trainer, or a group that fails, goes the sequential way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from latentlib.studies import config_for
from latentlib.training.fit import Trainer, fit_key
from latentlib.training.plan import FitSpec

def planner_trainer(spec: FitSpec, planner: Any) -> tuple[Trainer, dict[str, Any]] | None:
    """The trainer a planner module's ``run_spec`` would train ``spec`` with, rebuilt
    from the builders it offers (``load_data(config)``, ``arguments(spec, config, data)``,
    ``_trainer(model, train, x_train, extra)``: the image chapters' planner), with its
    device and precision; None when the module offers none of that. A planner that
    defines ``trainer_for(spec)`` is asked that instead.

    Raises
    ------
    RuntimeError
        When this process computes another key than the plan (other code or data).
    """
    if not all(hasattr(planner, name) for name in ("load_data", "arguments", "_trainer")):
        return None
    config = config_for(spec.study, spec.profile, **spec.parameters)
    data = planner.load_data(config)
    model, train, extra = planner.arguments(spec, config, data)
    trainer = planner._trainer(model, train, data.x_train, extra)
    key = fit_key(trainer, config.precision)
    if key != spec.key:
        raise RuntimeError(f"{spec.describe()}: this process computes fit key {key}, the plan says {spec.key}; "
                           "it runs other library code or reads other data")
    return trainer, {"device": config.device, "precision": config.precision}


def trainer_for(spec: FitSpec) -> tuple[Trainer, dict[str, Any]] | None:
    """``(trainer, fit options)`` of ``spec``, or None when its planner offers none."""
    module_name, _ = spec.train_with.split(":")
    planner = importlib.import_module(module_name)
    hook = getattr(planner, "trainer_for", None)
    if hook is not None:
        return hook(spec)
    return planner_trainer(spec, planner)


Done = Callable[[FitSpec, dict[str, Any]], None]


def run_specs_stacked(specs: list[FitSpec], *, on_start: Callable[[list[FitSpec]], None],
                      on_done: Done, on_error: Callable[[FitSpec, BaseException], None],
                      draw: str = "host") -> list[FitSpec]:
    """Train ``specs`` stacked into the current fit store; returns the specs left for
    the sequential path (no trainer for them). ``on_start(group)`` before each stack,
    ``on_done(spec, result)`` per fit (``key``, ``from_cache``, ``seconds``, ``loss``),
    ``on_error(spec, error)`` per fit of a stack that failed."""
    from latentlib.training.stacked import group_stackable, run_stacked

    built: list[tuple[FitSpec, Trainer, dict[str, Any]]] = []
    left = []
    for spec in specs:
        try:
            found = trainer_for(spec)
        except Exception as error:  # a bad spec is its own failure; the others go on
            on_error(spec, error)
            continue
        if found is None:
            left.append(spec)
        else:
            built.append((spec, *found))
    # one stack per shape *and* device / precision
    keyed = [(trainer, (options["device"], options["precision"])) for _, trainer, options in built]
    by_options: dict[tuple, list[int]] = {}
    for position, (_, options) in enumerate(keyed):
        by_options.setdefault(options, []).append(position)
    for (device, precision), positions in by_options.items():
        for group in group_stackable([keyed[p][0] for p in positions]):
            members = [built[positions[g]] for g in group]
            group_specs = [spec for spec, _, _ in members]
            on_start(group_specs)
            try:
                results = run_stacked([trainer for _, trainer, _ in members], device=device, precision=precision,
                                      draw=draw, progress=False, desc=f"{group_specs[0].name} x{len(members)}")
            except Exception as error:
                for spec in group_specs:
                    on_error(spec, error)
                continue
            for spec, result in zip(group_specs, results):
                on_done(spec, {"key": result.key, "from_cache": result.from_cache, "seconds": result.seconds,
                               "loss": float(result.history[-1])})
    return left
