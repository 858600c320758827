"""The MSE + triplet objective of a stack (:mod:`latentlib.training.stacked`), without host syncs.

The sequential triplet loss (the image modality's ``TripletMarginLoss``) finds
its triplets with data-dependent shapes (sorted rows, ``nonzero``) and reads counts on
the host; on a GPU every such read waits for the device. Here every triplet of a P x K
batch is a cell of a (members, anchor, positive, negative) mask, built without a graph,
so the loss, its gradient and the statistics are fixed-shape sums on the device: the
same triplets, the same ``active``, ``d_ap`` and ``d_an`` per batch, and the loss in the
sequential loss's own form (each distance weighted by the count of violating triplets
it enters, summed in float64), so the gradient is the sequential one term for term. With
P x K = 250 the mask is 15.6 million cells per member per step (the gradient flows only
through the (batch, batch) distances): cheap on a GPU, dear on a CPU, where fits stay
sequential.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from latentlib.training import device_data
from latentlib.training.fit import Trainer
from latentlib.training.stacked_mse import member_mse


def is_triplet_trainer(trainer: Trainer) -> bool:
    """The image modality's triplet trainer (the core names no modality: it is known by
    its name, its ``objective`` and ``labels``, and the batch drawing its module offers)."""
    module = sys.modules.get(type(trainer).__module__)
    return (type(trainer).__name__ == "TripletTrainer" and hasattr(trainer, "objective")
            and hasattr(trainer, "labels") and hasattr(module, "class_balanced_batches"))


def pairwise_distances(z: torch.Tensor, normalize: bool) -> torch.Tensor:
    """(members, batch, batch) Euclidean distances, the exact form of
    the image modality's ``EuclideanDistance`` (no negative squares, zero gradient at 0)."""
    if normalize:
        z = torch.nn.functional.normalize(z, p=2, dim=-1)
    return torch.cdist(z, z, compute_mode="donot_use_mm_for_euclid_dist")


def triplet_terms(distances: torch.Tensor, labels: torch.Tensor, *, margin: float, miner: str,
                  reducer: str = "mean_nonzero") -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's triplet loss (members,) and its batch statistics (members, 3):
    fraction of mined triplets violating the margin, mean d(a, p) and mean d(a, n) over
    the mined triplets (NaN when none was mined)."""
    same = labels[:, :, None] == labels[:, None, :]
    eye = torch.eye(labels.shape[1], dtype=torch.bool, device=labels.device)
    positive, negative = same & ~eye, ~same
    d_ap = distances[:, :, :, None]  # (members, anchor, positive, 1)
    d_an = distances[:, :, None, :]  # (members, anchor, 1, negative)
    if miner == "batch_hard":
        mined = _hardest(distances.detach(), positive, negative)
    else:
        mined = positive[:, :, :, None] & negative[:, :, None, :]
        if miner == "semi_hard":
            gap = d_an.detach() - d_ap.detach()  # the miner's own test: 0 < d(a, n) - d(a, p) <= margin
            mined = mined & (gap > 0) & (gap <= margin)
        elif miner != "all":
            raise ValueError(f"miner must be 'all', 'batch_hard' or 'semi_hard', got {miner!r}")
    with torch.no_grad():
        active = mined & (d_ap - d_an + margin > 0)  # the sequential loss's own test
        count = mined.sum(dim=(1, 2, 3))
        n_active = active.sum(dim=(1, 2, 3))
    scale = (count if reducer == "mean" else n_active).clamp(min=1)
    if miner == "batch_hard":  # the sequential loss averages its listed triplets' hinges
        hinge = torch.where(active, d_ap - d_an + margin, torch.zeros((), dtype=distances.dtype,
                                                                       device=distances.device))
        total = hinge.sum(dim=(1, 2, 3), dtype=torch.float64)
    else:
        # the sequential sorted-rows form, term for term: each (a, p) entry weighted by its
        # violating triplets, each (a, n) entry by minus the triplets it is the negative
        # of (counts: exact in float32), summed in float64 with margin x violating count
        weights = (active.sum(dim=3) - active.sum(dim=2)).to(distances.dtype)
        total = (distances * weights).sum(dim=(1, 2), dtype=torch.float64) + margin * n_active
    loss = (total / scale).to(distances.dtype)  # no triplet (or none active): 0 with a graph
    with torch.no_grad():
        found = count.to(torch.float64)
        none = count == 0
        share = torch.where(none, torch.zeros_like(found), n_active / found.clamp(min=1))
        # per (a, p) entry its mined triplets, per (a, n) entry likewise: (batch, batch) sums
        d = distances.detach().double()
        d_ap_mean = (d * mined.sum(dim=3)).sum(dim=(1, 2)) / found
        d_an_mean = (d * mined.sum(dim=2)).sum(dim=(1, 2)) / found
        stats = torch.stack([share, d_ap_mean, d_an_mean], dim=1)  # 0 / 0 = NaN: no triplet mined
    return loss, stats


def _hardest(d: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """Batch-hard as a mask: per anchor its farthest positive and nearest negative."""
    far = torch.where(positive, d, torch.full_like(d, -torch.inf)).argmax(dim=2)
    near = torch.where(negative, d, torch.full_like(d, torch.inf)).argmin(dim=2)
    keep = positive.any(dim=2) & negative.any(dim=2)  # (members, anchor)
    members, batch = d.shape[:2]
    pick_p = torch.nn.functional.one_hot(far, batch).bool()[:, :, :, None]
    pick_n = torch.nn.functional.one_hot(near, batch).bool()[:, :, None, :]
    return pick_p & pick_n & keep[:, :, None, None]


class TripletObjective:
    """``MSE + weight * triplet`` per member on P x K class-balanced batches; the curves
    and distances of the image modality's ``TripletTrainer``."""

    def __init__(self, trainers: list[Trainer], data: torch.Tensor, device: torch.device, draw: str) -> None:
        # the trainer's own module draws its P x K batches and checks them: the same draws
        module = sys.modules[type(trainers[0]).__module__]
        self._balanced, self._check = module.class_balanced_batches, module.check_triplet_batch
        self.trainers, self.x, self.device, self.draw = trainers, data, device, draw
        first = trainers[0]
        self.objective, self.labels = first.objective, first.labels
        self.y = device_data.upload(self.labels, device)
        self.n_batches = max(1, len(self.labels) // self.objective.batch_size)
        seeds = [t.train_config.seed for t in trainers]
        if draw == "host":
            self.generators = device_data.host_generators(seeds)
        else:
            self.generators = device_data.device_generators(seeds, device)
            self.table = device_data.ClassTable(self.labels, self.objective.samples_per_class, device)
        self.distance_sums = torch.zeros(len(trainers), 2, dtype=torch.float64, device=device)
        self.distance_counts = torch.zeros(len(trainers), 2, dtype=torch.float64, device=device)

    def batches(self) -> list[torch.Tensor]:
        """This epoch's (members, P * K) index tensors on the device."""
        # the sequential trainer keeps only the last epoch's distances
        self.distance_sums.zero_()
        self.distance_counts.zero_()
        if self.draw == "host":  # each member's own P x K draw, as its sequential epoch makes it
            tables = []
            for generator in self.generators:
                batches = self._balanced(self.labels, self.objective, generator)
                self._check(self.labels[batches[0].numpy()])
                tables.append(torch.stack(batches))
            table = device_data.to_device(torch.stack(tables), self.device)  # (members, batches, P * K)
        else:
            objective = self.objective
            table = torch.stack([self.table.draw(self.n_batches, objective.classes_per_batch,
                                                 objective.samples_per_class, g) for g in self.generators])
        return list(table.unbind(dim=1))

    def zeros(self) -> torch.Tensor:
        return torch.zeros(len(self.trainers), 3, dtype=torch.float64, device=self.device)

    def step(self, idx: torch.Tensor, reconstruction: torch.Tensor, z: torch.Tensor,
             batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        objective = self.objective
        mse = member_mse(reconstruction, batch)
        distances = pairwise_distances(z.float(), objective.normalize_embeddings)
        triplet, stats = triplet_terms(distances, self.y[idx], margin=objective.margin, miner=objective.miner)
        seen = ~torch.isnan(stats[:, 1:])
        self.distance_sums += torch.where(seen, stats[:, 1:], 0.0)
        self.distance_counts += seen
        sums = torch.stack([mse.detach().double(), triplet.detach().double(), stats[:, 0]], dim=1)
        return mse + objective.weight * triplet, sums

    def values(self, sums: np.ndarray) -> list[dict[str, float]]:
        weight = self.objective.weight
        out = []
        for mse, triplet, active in sums / self.n_batches:
            out.append({"loss": float(mse) + weight * float(triplet), "mse": float(mse),
                        "triplet": float(triplet), "active": float(active)})
        return out

    def finish(self) -> None:
        """Leave each trainer the last epoch's mean distances (its ``info``), as
        :meth:`TripletTrainer.epoch` does."""
        sums, counts = self.distance_sums.cpu().numpy(), self.distance_counts.cpu().numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        for trainer, (d_ap, d_an) in zip(self.trainers, means):
            trainer.distances = {"final_d_ap": float(d_ap), "final_d_an": float(d_an)}

