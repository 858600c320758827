"""A tiny synthetic image split: four classes, each a random 8 x 8 prototype plus noise."""

from __future__ import annotations

import numpy as np

from latentlib.data.splits import LabelledSplit


def prototype_split(per_class_train: int, per_class_test: int) -> LabelledSplit:
    """Four classes, ``per_class_train`` / ``per_class_test`` images each (seeded)."""
    rng = np.random.default_rng(0)
    prototypes = rng.random((4, 1, 8, 8)).astype(np.float32)
    y_train, y_test = np.repeat(np.arange(4), per_class_train), np.repeat(np.arange(4), per_class_test)

    def noisy(y: np.ndarray) -> np.ndarray:
        return np.clip(prototypes[y] + rng.normal(scale=0.1, size=(len(y), 1, 8, 8)), 0, 1).astype(np.float32)

    return LabelledSplit(x_train=noisy(y_train), y_train=y_train, x_test=noisy(y_test), y_test=y_test,
                         class_names=list("abcd"), source="synthetic", split="fixed")


def noisy_blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four classes of 8 x 8 images that differ only slightly against strong pixel noise
    (64 each): small enough to train in seconds, hard enough that the objective matters."""
    rng = np.random.default_rng(0)
    prototypes = rng.random((4, 1, 8, 8)).astype(np.float32)
    labels = np.repeat(np.arange(4), 64)
    x = np.clip(0.5 + 0.15 * (prototypes[labels] - 0.5) + rng.normal(scale=0.25, size=(256, 1, 8, 8)), 0, 1)
    return x.astype(np.float32), labels
