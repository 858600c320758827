"""Stacked fits: several fits of one shape, differing only in seed, trained as one batched model.

A GPU spends most of a small MLP's step launching kernels and waiting for the host; five
seeds of one shape trained side by side as one model (every weight gets a leading
*member* axis, the forward pass is ``torch.func.vmap`` of the model's own
``functional_call``, so each layer is one batched matrix product) do five fits' work
per launch. Around it, nothing waits for the host inside an epoch: the data sits on the
device, each epoch's batch indices are uploaded (or drawn there) at once
(:mod:`latentlib.training.device_data`), losses and statistics are summed on the device
and read once per epoch.

Each member is the sequential fit it stands for: seeded and built as :func:`run_fit`
does (so it starts from the same weights), fed the same batches (``draw="host"``), its
loss a term of a sum whose gradient is its own, its Adam state elementwise its own; it
is saved under its own fit key, in the same file format, and the chapters load it as
any cached fit. What differs is float rounding (a batched matrix product adds in
another order): ``tests/test_stacked.py`` measures how far.

When: on CUDA by default (see :func:`stacked_enabled`); on a CPU a stack of six ran at
0.81x the sequential speed (``benchmarks/stacked.py``), so fits stay sequential there
unless ``LATENTLIB_STACKED=1`` forces the stack (tests do).

The objective (plain MSE, or MSE + triplet) is chosen by the trainer's type:
:mod:`latentlib.training.stacked_mse`, :mod:`latentlib.training.stacked_triplet`.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from tqdm import tqdm

from latentlib.events import emit
from latentlib.training import device_data
from latentlib.training.autoencoder import ReconstructionTrainer
from latentlib.training.fit import (FitResult, Trainer, _load, _save, cache_dir, fit_key, resolve_device,
                                    set_seed)
from latentlib.training.precision import autocast, check_precision
from latentlib.training.stacked_mse import MseObjective
from latentlib.training.stacked_triplet import TripletObjective, is_triplet_trainer

#: ``1`` stacks fits on any device, ``0`` never, unset: stacked on CUDA only
STACKED_ENV = "LATENTLIB_STACKED"
#: ``1`` replays each stacked step as a CUDA graph (CUDA, fp32 only)
GRAPHS_ENV = "LATENTLIB_CUDA_GRAPHS"
#: most members per stack (memory: each holds its weights, Adam state and a batch)
STACK_SIZE_ENV = "LATENTLIB_STACK_SIZE"


class StackError(ValueError):
    """Fits that cannot be trained as one stack."""


def stacked_enabled(device: str | torch.device = "auto") -> bool:
    """Whether planned fits on ``device`` are trained stacked: ``$LATENTLIB_STACKED``
    (``1``/``0``) when set, else on CUDA only (measured: slower on a CPU)."""
    value = os.environ.get(STACKED_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    if value:
        raise ValueError(f"{STACKED_ENV} must be 1 (stack fits) or 0 (never), got {value!r}")
    return resolve_device(device).type == "cuda"


def stack_size() -> int:
    value = os.environ.get(STACK_SIZE_ENV, "16")
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise ValueError(f"{STACK_SIZE_ENV} must be a positive int (most fits per stack), got {value!r}")
    return size


def _without_seed(trainer: Trainer) -> dict[str, Any]:
    payload = json.loads(json.dumps(trainer.payload(), default=str))
    payload.get("train", {}).pop("seed", None)
    return {"trainer": f"{type(trainer).__module__}.{type(trainer).__qualname__}", "kind": trainer.kind,
            **payload}


def signature(trainer: Trainer) -> str:
    """What every member of a stack shares: the trainer's type and payload but the seed."""
    return json.dumps(_without_seed(trainer), sort_keys=True)


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                return _first_difference(a.get(name), b.get(name), f"{path}.{name}" if path else name)
    return f"{path or 'value'} ({a!r} vs {b!r})"


def check_stackable(trainers: list[Trainer]) -> None:
    """Fail with the first difference when ``trainers`` cannot be one stack: every fit
    must have the same trainer type, model, training settings (but the seed), data and
    objective, distinct seeds, and a single ``model`` module."""
    if not trainers:
        raise StackError("a stack needs at least one fit, got none")
    first = _without_seed(trainers[0])
    for position, trainer in enumerate(trainers[1:], start=1):
        other = _without_seed(trainer)
        if other != first:
            raise StackError(f"fits in one stack must differ only in their seed; fit {position} differs from "
                             f"fit 0 in {_first_difference(first, other)}: group them with group_stackable()")
    seeds = [trainer.seed for trainer in trainers]
    if len(set(seeds)) != len(seeds):
        raise StackError(f"fits in one stack need distinct seeds (the same seed is the same fit), got {seeds}")
    objective_for(trainers[0])  # a trainer type without a stacked objective fails here


def group_stackable(trainers: Iterable[Trainer], *, most: int | None = None) -> list[list[int]]:
    """Positions of ``trainers`` grouped into stacks (same :func:`signature`, at most
    ``most`` each, default :func:`stack_size`), in order of first appearance."""
    most = most or stack_size()
    groups: dict[str, list[list[int]]] = {}
    for position, trainer in enumerate(trainers):
        chunks = groups.setdefault(signature(trainer), [[]])
        if len(chunks[-1]) == most:
            chunks.append([])
        chunks[-1].append(position)
    return [chunk for chunks in groups.values() for chunk in chunks]


def objective_for(trainer: Trainer) -> type:
    """The stacked objective class of ``trainer``'s type (plain MSE or MSE + triplet)."""
    if type(trainer) is ReconstructionTrainer:
        return MseObjective
    if is_triplet_trainer(trainer):
        return TripletObjective
    raise StackError(f"no stacked objective for {type(trainer).__name__}: only the reconstruction (MSE) and "
                     "triplet trainers can be stacked; train it with run_fit")


def _stacked_model(modules: list[nn.Module], device: torch.device) -> tuple[dict, dict, Callable]:
    """The members' weights with a leading member axis (leaves on ``device``) and the
    batched forward pass ``(params, buffers, x[members, batch, ...]) -> outputs``."""
    params, buffers = stack_module_state(modules)
    params = {name: value.detach().to(device).requires_grad_() for name, value in params.items()}
    buffers = {name: value.to(device) for name, value in buffers.items()}
    base = copy.deepcopy(modules[0]).to("meta")
    base.train()

    def one(member_params: dict, member_buffers: dict, x: torch.Tensor) -> Any:
        return functional_call(base, (member_params, member_buffers), (x,))

    return params, buffers, vmap(one)


def _optimizer(params: dict[str, torch.Tensor], learning_rate: float, device: torch.device, *,
               capturable: bool = False) -> torch.optim.Optimizer:
    # fused on CUDA: one kernel for every weight, its step count on the device (no host read)
    options: dict[str, Any] = {"fused": True} if device.type == "cuda" else {}
    if capturable:
        options["capturable"] = True  # its state stays on the device: a CUDA graph can replay the step
    return torch.optim.Adam(params.values(), lr=learning_rate, **options)


def graphs_enabled(device: torch.device, precision: str) -> bool:
    """Whether the stack's step is replayed as a CUDA graph: ``$LATENTLIB_CUDA_GRAPHS=1``
    on CUDA, in fp32 (autocast's weight cache is cleared by a host hook after each step)."""
    value = os.environ.get(GRAPHS_ENV, "").strip().lower()
    if value not in ("", "0", "1"):
        raise ValueError(f"{GRAPHS_ENV} must be 1 (replay the step as a CUDA graph) or 0, got {value!r}")
    return value == "1" and device.type == "cuda" and precision == "fp32"


class GraphedStep:
    """A training step replayed as one CUDA graph: a few eager steps on a side stream
    (they are real steps of the fit; they also initialise Adam's state and the
    libraries' workspaces), then the step is captured once with a static index tensor
    and replayed for every batch of that shape (copy the indices in, replay); a batch of
    another shape (the short last batch) runs eagerly. A capture that fails leaves the
    fit eager, with a notice. Same kernels, so the same numbers as the eager step."""

    WARMUP = 3

    def __init__(self, step: Callable[[torch.Tensor], torch.Tensor], device: torch.device) -> None:
        self.step, self.device = step, device
        self.graph: Any = None
        self.static_idx: torch.Tensor | None = None
        self.static_stats: torch.Tensor | None = None
        self.eager_steps = 0
        self.failed = False
        self.side = torch.cuda.Stream(device)

    def __call__(self, idx: torch.Tensor) -> torch.Tensor:
        if self.graph is not None and idx.shape == self.static_idx.shape:
            self.static_idx.copy_(idx)
            self.graph.replay()
            return self.static_stats.clone()
        if self.graph is None and not self.failed and self.eager_steps >= self.WARMUP:
            if self._capture(idx):
                return self(idx)
        return self._eager(idx)

    def _eager(self, idx: torch.Tensor) -> torch.Tensor:
        if self.graph is not None or self.failed:
            return self.step(idx)
        self.side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(self.side):
            stats = self.step(idx)
        torch.cuda.current_stream(self.device).wait_stream(self.side)
        self.eager_steps += 1
        return stats

    def _capture(self, idx: torch.Tensor) -> bool:
        from latentlib.events import notice

        torch.cuda.current_stream(self.device).wait_stream(self.side)
        self.static_idx = idx.clone()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self.static_stats = self.step(self.static_idx)
        except Exception as error:  # an op that cannot be captured: stay eager
            self.failed = True
            notice("fit", f"CUDA graph capture failed ({type(error).__name__}: {error}); the stack trains eagerly")
            return False
        self.graph = graph
        return True


def train_stack(trainers: list[Trainer], *, device: str | torch.device = "auto", precision: str = "fp32",
                draw: str = "host", progress: bool = True, desc: str | None = None,
                step_hook: Callable[[], None] | None = None) -> list[FitResult]:
    """Train ``trainers`` (one shape, distinct seeds: :func:`check_stackable`) as one
    stacked model and return one :class:`FitResult` per trainer, in order (nothing is
    read from or written to the fit cache: :func:`run_stacked` does that).

    ``draw``: ``"host"`` (each member's sequential batches) or ``"device"``
    (:mod:`latentlib.training.device_data`). ``step_hook`` is called after every
    optimiser step (tests count host syncs with it).
    """
    check_stackable(trainers)
    check_precision(precision)
    device_data.check_draw(draw)
    device = resolve_device(device)
    modules = []
    for trainer in trainers:  # each member starts where its sequential fit starts
        set_seed(trainer.seed)
        built = trainer.build()
        if set(built) != {"model"}:
            raise StackError(f"only single-model fits can be stacked, {type(trainer).__name__} builds "
                             f"{sorted(built)}")
        modules.append(built["model"])
    params, buffers, forward = _stacked_model(modules, device)
    first = trainers[0]
    graphs = graphs_enabled(device, precision)
    optimizer = _optimizer(params, first.train_config.learning_rate, device, capturable=graphs)
    x = device_data.upload(first.x_train, device)  # one copy for every member: same data
    objective = objective_for(first)(trainers, x, device, draw)

    def step(idx: torch.Tensor) -> torch.Tensor:
        batch = x[idx]
        reconstruction, z = forward(params, buffers, batch)
        losses, stats = objective.step(idx, reconstruction, z, batch)
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # each member's gradient is its own loss's
        optimizer.step()
        return stats

    runner = GraphedStep(step, device) if graphs else None
    label = desc or f"{first.kind} x{len(trainers)}"
    curves: list[dict[str, list[float]]] = [{} for _ in trainers]
    start = time.perf_counter()
    bar = tqdm(range(first.epochs), desc=label, disable=not progress, leave=False)
    for epoch in bar:
        with autocast(device, precision):
            sums = objective.zeros()
            for idx in objective.batches():
                sums += runner(idx) if runner is not None else step(idx)
                if step_hook is not None:
                    step_hook()
        values = objective.values(sums.cpu().numpy())  # the epoch's one read from the device
        for member, value in zip(curves, values):
            for name, number in value.items():
                member.setdefault(name, []).append(float(number))
        elapsed = time.perf_counter() - start
        eta = elapsed / (epoch + 1) * (first.epochs - epoch - 1)
        emit("fit", f"{label}: epoch {epoch + 1}/{first.epochs} ({len(trainers)} stacked, eta {eta:.0f} s)",
             fit=label, epoch=epoch + 1, epochs=first.epochs, eta=eta, stacked=len(trainers))
    seconds = time.perf_counter() - start
    objective.finish()
    results = []
    for member, (trainer, curve) in enumerate(zip(trainers, curves)):
        model = trainer.build()["model"]
        state = {name: value[member].detach() for name, value in {**params, **buffers}.items()}
        model.load_state_dict(state)
        model.to(device).eval()
        info = {"device": str(device), "precision": precision, **trainer.info(),
                "stacked": len(trainers), "stack_seconds": seconds}
        results.append(FitResult(model=model, curves=curve, seconds=seconds / len(trainers), from_cache=False,
                                 key=fit_key(trainer, precision), info=info, modules={"model": model}))
    return results


def run_stacked(trainers: list[Trainer], *, device: str | torch.device = "auto", precision: str = "fp32",
                use_cache: bool = True, store: str | os.PathLike | None = None, draw: str = "host",
                progress: bool = True, desc: str | None = None) -> list[FitResult]:
    """:func:`latentlib.training.fit.run_fit` for a stack: each fit already in the cache
    is loaded, the others are trained as one stack and each is saved under its own key,
    in the format :func:`run_fit` writes and reads. One result per trainer, in order."""
    check_stackable(trainers)
    device = resolve_device(device)
    results: list[FitResult | None] = [None] * len(trainers)
    todo = []
    for position, trainer in enumerate(trainers):
        key = fit_key(trainer, precision)
        path = cache_dir(store) / f"{trainer.kind}-{key}.pt"
        cached = _load(path, trainer, device, key) if use_cache and path.exists() else None
        if cached is not None:
            results[position] = cached
        else:
            todo.append(position)
    if todo:
        trained = train_stack([trainers[p] for p in todo], device=device, precision=precision, draw=draw,
                              progress=progress, desc=desc)
        for position, result in zip(todo, trained):
            results[position] = result
            if use_cache:
                trainer = trainers[position]
                _save(cache_dir(store) / f"{trainer.kind}-{result.key}.pt", result, trainer)
    return results  # type: ignore[return-value]
