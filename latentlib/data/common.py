"""What every dataset loader shares: the data root, checksums, the split container."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder datasets are cached under: ``root``, else ``$LATENTLIB_DATA``,
    else ``~/.cache/latentlib``."""
    if root is None:
        root = os.environ.get("LATENTLIB_DATA") or Path.home() / ".cache" / "latentlib"
    return Path(root).expanduser()


def file_digest(path: str | os.PathLike, algorithm: str = "sha1") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DatasetNotFoundError(FileNotFoundError):
    """No source of a dataset is available; the message says how to get one."""


class CorruptDatasetError(OSError):
    """A downloaded or cached file failed its size or checksum check."""


@dataclass
class LabelledSplit:
    """Inputs and integer labels of one dataset, already split into train and test.

    ``x_*`` are float32 arrays scaled to [0, 1] (images: N x C x H x W); ``info`` is what
    a result record stores about where the data came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    source: str
    split: str
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.info = {
            "source": self.source,
            "split": self.split,
            "n_train": int(len(self.x_train)),
            "n_test": int(len(self.x_test)),
            **self.info,
        }

    def __repr__(self) -> str:
        return (
            f"LabelledSplit(source={self.source!r}, split={self.split!r}, "
            f"train={self.x_train.shape}, test={self.x_test.shape})"
        )


def load_first_available(attempts: list[tuple[str, bool]], loaders: dict[str, Callable[[Path, bool], Any]],
                         *, root: Path, explicit: bool, how_to: str) -> Any:
    """Try ``(source, allow_download)`` pairs in order and return the first that loads.

    A corrupt file stops the search when the caller named the source (``explicit``),
    since falling back would hide it; otherwise every failure is collected, and when all
    fail the error starts with ``how_to`` (the commands that make a source available).
    """
    errors = []
    for name, allow_download in attempts:
        try:
            return loaders[name](root, allow_download)
        except (DatasetNotFoundError, CorruptDatasetError, OSError, RuntimeError) as error:
            if explicit and isinstance(error, CorruptDatasetError):
                raise
            errors.append(f"{name}: {error}")
    detail = "\n".join(f"  ({e})" for e in errors)
    raise DatasetNotFoundError(f"{how_to}\nTried:\n{detail}")


def read_torchvision_split(dataset_class: type, *, folder: Path, download: bool, class_names: list[str],
                           source: str) -> LabelledSplit:
    """The official train / test split of a torchvision 28 x 28 image dataset (MNIST,
    FashionMNIST) under ``folder``, as float32 images in [0, 1] (N x 1 x 28 x 28)."""
    name = dataset_class.__name__
    # torchvision prints every failed mirror; keep the notebook output to our own message
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            train = dataset_class(str(folder), train=True, download=download)
            test = dataset_class(str(folder), train=False, download=download)
        except Exception as error:  # network errors come in many types
            raise DatasetNotFoundError(f"torchvision {name} unavailable under {folder}: {error}") from None
    for split in (train, test):
        if tuple(split.data.shape[1:]) != (28, 28):
            raise CorruptDatasetError(f"{name} under {folder} has images of shape {tuple(split.data.shape)}")

    def images(split: Any) -> np.ndarray:
        return split.data.numpy().reshape(-1, 1, 28, 28).astype(np.float32) / 255.0

    return LabelledSplit(
        x_train=images(train), y_train=train.targets.numpy().astype(np.int64),
        x_test=images(test), y_test=test.targets.numpy().astype(np.int64),
        class_names=class_names, source=source, split="official train / test",
    )
