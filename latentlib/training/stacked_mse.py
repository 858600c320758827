"""The plain reconstruction objective of a stack (:mod:`latentlib.training.stacked`):
``MSE(decode(encode(x)), x)`` per member over shuffled batches, as
:class:`latentlib.training.autoencoder.ReconstructionTrainer` trains one fit."""

from __future__ import annotations

import numpy as np
import torch

from latentlib.training import device_data
from latentlib.training.fit import Trainer


def member_mse(reconstruction: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
    """(members,) mean squared error of each member over its whole batch."""
    return (reconstruction.float() - batch.float()).pow(2).flatten(1).mean(dim=1)


class MseObjective:
    """``MSE(decode(encode(x)), x)`` per member over shuffled batches of ``batch_size``."""

    def __init__(self, trainers: list[Trainer], data: torch.Tensor, device: torch.device, draw: str) -> None:
        self.trainers, self.x, self.device, self.draw = trainers, data, device, draw
        self.n = len(data)
        self.batch_size = trainers[0].train_config.batch_size
        seeds = [t.train_config.seed for t in trainers]
        self.generators = (device_data.host_generators(seeds) if draw == "host"
                           else device_data.device_generators(seeds, device))

    def batches(self) -> list[torch.Tensor]:
        """This epoch's (members, batch) index tensors on the device."""
        if self.draw == "host":  # the sequential trainer's batch_indices: randperm, then split
            order = torch.stack([torch.randperm(self.n, generator=g) for g in self.generators])
            order = device_data.to_device(order, self.device)
        else:
            order = device_data.permutations_on_device(self.n, self.generators, self.device)
        return list(order.split(self.batch_size, dim=1))

    def zeros(self) -> torch.Tensor:
        return torch.zeros(len(self.trainers), device=self.device)

    def step(self, idx: torch.Tensor, reconstruction: torch.Tensor, z: torch.Tensor,
             batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(each member's loss, what to add to the epoch's sums)."""
        mse = member_mse(reconstruction, batch)
        return mse, mse.detach() * idx.shape[1]

    def values(self, sums: np.ndarray) -> list[dict[str, float]]:
        return [{"loss": float(total) / self.n} for total in sums]

    def finish(self) -> None:
        """Nothing to leave on the trainers (the triplet objective leaves its distances)."""
