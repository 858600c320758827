"""The triplet objective's trainer: ``MSE + weight * triplet`` on P x K class-balanced batches.

The plain reconstruction fit is the core's :func:`latentlib.training.autoencoder.fit_autoencoder`;
this module adds the supervised objective of the paper's Table I (III-A2) as a trainer
of the same fit engine, and :func:`fit_image_autoencoder` picks one or the other.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from torch import nn

from latentlib.training.autoencoder import ReconstructionTrainer, TrainConfig, fit_autoencoder
from latentlib.training.fit import FitResult, fingerprint, run_fit
from latentlib.images.losses import TripletConfig, check_triplet_batch


def check_class_balanced(labels: np.ndarray, objective: TripletConfig) -> None:
    """Fail before training when P x K class-balanced batches cannot be drawn."""
    values, counts = np.unique(labels, return_counts=True)
    if len(values) < objective.classes_per_batch:
        raise ValueError(
            f"classes_per_batch must be at most the {len(values)} classes of the training labels, "
            f"got {objective.classes_per_batch}"
        )
    usable = int((counts >= objective.samples_per_class).sum())
    if usable < objective.classes_per_batch:
        raise ValueError(
            f"samples_per_class={objective.samples_per_class} but only {usable} classes have that many "
            f"training samples (fewest: {counts.min()}); lower samples_per_class or classes_per_batch"
        )


def class_balanced_batches(labels: np.ndarray, objective: TripletConfig,
                           generator: torch.Generator) -> list[torch.Tensor]:
    """One epoch of P x K batches (P classes, K samples each, no repeats within a batch).

    An epoch has ``len(labels) // (P * K)`` batches, so it sees about as many samples
    as a pass over the data.
    """
    classes = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    classes = [torch.from_numpy(members) for members in classes if len(members) >= objective.samples_per_class]
    n_batches = max(1, len(labels) // objective.batch_size)
    batches = []
    for _ in range(n_batches):
        chosen = torch.randperm(len(classes), generator=generator)[: objective.classes_per_batch]
        parts = [classes[c][torch.randperm(len(classes[c]), generator=generator)[: objective.samples_per_class]]
                 for c in chosen.tolist()]
        batches.append(torch.cat(parts))
    return batches


class TripletTrainer(ReconstructionTrainer):
    """Adam on ``MSE + weight * triplet`` (the objective's miner, margin and distance)."""

    def __init__(self, model_config: Any, train_config: TrainConfig, x_train: np.ndarray, *,
                 y_train: np.ndarray, objective: TripletConfig) -> None:
        super().__init__(model_config, train_config, x_train)
        labels = np.asarray(y_train)
        if labels.shape != (len(self.x_train),):
            raise ValueError(f"y_train must hold one label per input: shape {labels.shape} vs "
                             f"{len(self.x_train)} inputs")
        check_class_balanced(labels, objective)
        self.labels, self.objective = labels, objective
        self.code = (*self.code, __name__, "latentlib.images.losses")
        self.label_hash = fingerprint(labels)
        self.distances: dict[str, float] = {}

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "labels": self.label_hash,
                "objective": {"kind": "mse+triplet", **dataclasses.asdict(self.objective)}}

    def start(self, modules: dict[str, nn.Module], device: torch.device) -> None:
        super().start(modules, device)
        self.criterion = self.objective.build()
        self.y = torch.from_numpy(self.labels).to(device)

    def epoch(self) -> dict[str, float]:
        sums = np.zeros(3)
        d_ap, d_an = [], []
        batches = class_balanced_batches(self.labels, self.objective, self.generator)
        check_triplet_batch(self.labels[batches[0].numpy()])
        for idx in batches:
            idx = idx.to(self.device)
            batch = self.x[idx]
            reconstruction, z = self.model(batch)
            mse = nn.functional.mse_loss(reconstruction, batch)
            triplet = self.criterion(z, self.y[idx])
            loss = mse + self.objective.weight * triplet
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            sums += [float(mse.detach()), float(triplet.detach()), self.criterion.last_stats["active"]]
            d_ap.append(self.criterion.last_stats["d_ap"])
            d_an.append(self.criterion.last_stats["d_an"])
        mse_mean, triplet_mean, active = (float(v) for v in sums / len(batches))
        self.distances = {"final_d_ap": float(np.nanmean(d_ap)), "final_d_an": float(np.nanmean(d_an))}
        return {"loss": mse_mean + self.objective.weight * triplet_mean, "mse": mse_mean,
                "triplet": triplet_mean, "active": active}

    def info(self) -> dict[str, Any]:
        return {**super().info(), **self.distances}

    def postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {"mse": f"{values['mse']:.4f}", "triplet": f"{values['triplet']:.3f}"}


def fit_image_autoencoder(model_config: Any, train_config: TrainConfig, x_train: np.ndarray, *,
                          y_train: np.ndarray | None = None, objective: TripletConfig | None = None,
                          device: str | torch.device = "auto", precision: str = "fp32",
                          use_cache: bool = True, progress: bool = True, desc: str | None = None) -> FitResult:
    """Fit with plain MSE, or with ``MSE + objective.weight * triplet`` when an
    ``objective`` is given (supervised: it needs ``y_train``).

    With an objective, ``curves`` holds ``loss`` (the total), ``mse``, ``triplet`` and
    ``active`` (fraction of triplets violating the margin) per epoch, and ``info`` the
    last epoch's mean anchor-positive and anchor-negative distances.

    Raises
    ------
    ValueError
        Before any training, for labels that cannot fill the P x K batches.
    """
    if objective is None:
        return fit_autoencoder(model_config, train_config, x_train, device=device, precision=precision,
                               use_cache=use_cache, progress=progress, desc=desc)
    if y_train is None:
        raise ValueError("y_train is required with a triplet objective (the triplet loss uses labels)")
    trainer = TripletTrainer(model_config, train_config, x_train, y_train=y_train, objective=objective)
    return run_fit(trainer, device=device, precision=precision, use_cache=use_cache, progress=progress,
                   desc=desc)
