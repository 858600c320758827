"""A stack's training data on the device, and each epoch's batch indices for every member.

The training set is uploaded once (one copy for the whole stack: its members share the
data). Batch indices come in one of two ways (``draw``):

``host``
    each member's own seeded generator draws the epoch on the host exactly as its
    sequential trainer does (``randperm`` for MSE, P x K class-balanced batches for the
    triplet objective), and the epoch's whole index table is uploaded at once from
    pinned memory without waiting. Same batches as the sequential fit, bit for bit, so a
    stacked fit is the sequential fit up to float rounding; no host sync in the epoch.
``device``
    the indices are drawn on the device (a seeded device generator per member), no host
    work at all; the batches are other draws of the same scheme, so the fit is another
    sample of the same procedure, not the sequential fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

DRAWS = ("host", "device")


def check_draw(draw: Any) -> None:
    if draw not in DRAWS:
        raise ValueError(f"draw must be one of {DRAWS} ('host': the sequential fit's batches; "
                         f"'device': drawn on the device), got {draw!r}")


def upload(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """``array`` as a tensor on ``device`` (once per stack)."""
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)


def to_device(indices: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A host index table on ``device`` without making the host wait: pinned memory and
    an asynchronous copy on CUDA (the copy is ordered before the epoch's kernels)."""
    if device.type != "cuda":
        return indices.to(device)
    return indices.pin_memory().to(device, non_blocking=True)


def host_generators(seeds: list[int]) -> list[torch.Generator]:
    """Each member's generator, seeded as its sequential trainer seeds its own."""
    return [torch.Generator().manual_seed(seed) for seed in seeds]


def device_generators(seeds: list[int], device: torch.device) -> list[torch.Generator]:
    return [torch.Generator(device=device).manual_seed(seed) for seed in seeds]


def permutations_on_device(n: int, generators: list[torch.Generator], device: torch.device) -> torch.Tensor:
    """(members, n): one shuffle of ``range(n)`` per member, drawn on the device."""
    return torch.stack([torch.randperm(n, generator=g, device=device) for g in generators])


class ClassTable:
    """The members of every usable class, padded to one (classes, most members) table on
    the device, for drawing P x K batches there."""

    def __init__(self, labels: np.ndarray, samples_per_class: int, device: torch.device) -> None:
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        groups = [g for g in groups if len(g) >= samples_per_class]
        width = max(len(g) for g in groups)
        table = np.zeros((len(groups), width), dtype=np.int64)
        sizes = np.zeros(len(groups), dtype=np.int64)
        for row, members in enumerate(groups):
            table[row, : len(members)] = members
            sizes[row] = len(members)
        self.table, self.sizes = upload(table, device), upload(sizes, device)
        self.device = device

    def draw(self, n_batches: int, classes_per_batch: int, samples_per_class: int,
             generator: torch.Generator) -> torch.Tensor:
        """(n_batches, P * K) indices: per batch P distinct classes, K distinct samples
        of each (random keys, smallest first; padding slots get key 2 and never win)."""
        n_classes, width = self.table.shape
        class_keys = torch.rand(n_batches, n_classes, generator=generator, device=self.device)
        chosen = class_keys.argsort(dim=1)[:, :classes_per_batch]  # (batches, P)
        keys = torch.rand(n_batches, classes_per_batch, width, generator=generator, device=self.device)
        padding = torch.arange(width, device=self.device) >= self.sizes[chosen][..., None]
        keys = keys.masked_fill(padding, 2.0)
        slots = keys.topk(samples_per_class, dim=2, largest=False).indices  # (batches, P, K)
        rows = self.table[chosen]  # (batches, P, width)
        return rows.gather(2, slots).reshape(n_batches, classes_per_batch * samples_per_class)
