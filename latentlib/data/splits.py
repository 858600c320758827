"""The labelled train / test split every loader returns, and its one stratified subset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from latentlib.validation import check_count, fail

SUBSET_SEED = 0


@dataclass
class LabelledSplit:
    """Inputs and integer labels of one dataset, already split into train and test.

    ``x_*`` are float32 arrays scaled to [0, 1] (images: N x C x H x W) or arrays of
    sentences; ``info`` is what a result record stores about where the data came from.
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
        shape = lambda x: getattr(x, "shape", len(x))  # noqa: E731
        return (f"LabelledSplit(source={self.source!r}, split={self.split!r}, "
                f"train={shape(self.x_train)}, test={shape(self.x_test)})")


def stratified_subset(x: np.ndarray, y: np.ndarray, n: int | str | None, *, name: str,
                      unit: str = "items") -> tuple[np.ndarray, np.ndarray]:
    """``n`` items of ``(x, y)`` with the class proportions kept (fixed seed); ``"all"``
    (or None) keeps every item.

    Raises
    ------
    ValueError
        When ``n`` exceeds what there is: a request is never capped silently.
    """
    check_count(name, n)  # the type first: then n is None, "all" or an int >= 1
    if n is None or n == "all" or n == len(x):
        return x, y
    if n > len(x):
        fail(name, n, f"at most the {len(x):,} {unit} this source has (or 'all')")
    stratify = y if n >= len(np.unique(y)) else None
    x_keep, _, y_keep, _ = train_test_split(x, y, train_size=n, stratify=stratify, random_state=SUBSET_SEED)
    return x_keep, y_keep


def check_every_class(labels: np.ndarray, class_names: list[str], *, where: str, count_name: str = "",
                      count: Any = None) -> None:
    """Refuse a split in which a class has no item: a clustering score against the
    classes would then fail, or mislead, much later."""
    present = set(np.unique(np.asarray(labels)).tolist())
    missing = [name for index, name in enumerate(class_names) if index not in present]
    if not missing:
        return
    if count not in (None, "all"):
        fail(count_name, count, f"large enough to hold every class (classes {missing} have no item in {where})")
    raise ValueError(f"classes {missing} have no item in {where}: the source is incomplete "
                     "(an empty or unreadable file?)")


def subset(split: LabelledSplit, *, n_train: int | str | None = None, n_test: int | str | None = None,
           unit: str = "items") -> LabelledSplit:
    """A stratified subset of each side of ``split``; ``"all"`` (or None) keeps a side whole."""
    x_train, y_train = stratified_subset(split.x_train, split.y_train, n_train, name="n_train",
                                         unit=f"training {unit}")
    x_test, y_test = stratified_subset(split.x_test, split.y_test, n_test, name="n_test", unit=f"test {unit}")
    for side, labels, n in (("train", y_train, n_train), ("test", y_test, n_test)):
        check_every_class(labels, split.class_names, where=f"the {side} split of {split.source}",
                          count_name=f"n_{side}", count=n)
    if len(x_train) == len(split.x_train) and len(x_test) == len(split.x_test):
        return split
    extra = {k: v for k, v in split.info.items() if k not in ("source", "split", "n_train", "n_test")}
    return LabelledSplit(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                         class_names=split.class_names, source=split.source,
                         split=split.split + " (stratified subset)", info=extra)
