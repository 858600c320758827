"""Labelled audio files grouped into folds or kits: what every audio source returns.

:class:`AudioClips` holds file paths, integer labels and the group each file belongs to
(an official UrbanSound8K fold, or a drum kit). Splits hold out whole groups and keep the
source's order, so near-duplicate recordings (slices of one field recording, velocity
layers of one drum) never sit on both sides of a split.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class AudioClips:
    """Audio files with labels and groups (folds or kits), in the source's own order.

    Attributes
    ----------
    paths
        Absolute paths of the files that exist, one per clip.
    labels
        Class ids (int64), indexes into ``class_names``.
    groups
        Fold or kit name of each clip (``"fold1"`` ... or the kit's folder name).
    group_kind
        ``"fold"`` or ``"kit"``: what a group is, for tables and plots.
    default_test_groups
        The groups held out when a study names none.
    missing
        Files the source lists but that are not on disk (counted, never loaded).
    """

    paths: list[Path]
    labels: np.ndarray
    groups: np.ndarray
    class_names: list[str]
    source: str
    group_kind: str
    default_test_groups: tuple[str, ...]
    missing: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.paths = [Path(p) for p in self.paths]
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.groups = np.asarray(self.groups, dtype=object)
        if not len(self.paths) == len(self.labels) == len(self.groups):
            raise ValueError(
                f"paths, labels and groups differ in length: {len(self.paths)}, "
                f"{len(self.labels)}, {len(self.groups)}"
            )

    def __len__(self) -> int:
        return len(self.paths)

    def __repr__(self) -> str:
        return (f"AudioClips(source={self.source!r}, clips={len(self)}, classes={len(self.class_names)}, "
                f"{self.group_kind}s={len(self.group_names)}, missing={len(self.missing)})")

    @property
    def group_names(self) -> list[str]:
        """Groups in order of first appearance."""
        return list(dict.fromkeys(self.groups.tolist()))

    def take(self, indices: np.ndarray) -> "AudioClips":
        """The clips at ``indices`` (order kept), with the same classes and metadata."""
        indices = np.asarray(indices, dtype=np.int64)
        return replace(self, paths=[self.paths[i] for i in indices], labels=self.labels[indices],
                       groups=self.groups[indices])

    def limit_per_cell(self, n: int | None) -> "AudioClips":
        """At most the first ``n`` clips of each (group, class) cell, in source order.

        Deterministic and fold-preserving: it never reshuffles, so a small run keeps the
        same groups as the full one.
        """
        if n is None:
            return self
        seen: dict[tuple[str, int], int] = {}
        keep = []
        for index, cell in enumerate(zip(self.groups.tolist(), self.labels.tolist())):
            seen[cell] = seen.get(cell, 0) + 1
            if seen[cell] <= n:
                keep.append(index)
        return self.take(np.asarray(keep))

    def split(self, test_groups: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the training clips (all other groups) and the held-out clips.

        Raises
        ------
        ValueError
            When a held-out group is not a group of this source, or nothing is left
            to train on.
        """
        test_groups = tuple(test_groups) if test_groups else self.default_test_groups
        if not test_groups:
            raise ValueError(f"test_groups must name at least one {self.group_kind} to hold out; "
                             f"allowed: {', '.join(self.group_names)}")
        unknown = [g for g in test_groups if g not in self.group_names]
        if unknown:
            raise ValueError(
                f"test_groups must name {self.group_kind}s of {self.source}, got unknown "
                f"{unknown!r}; allowed: {', '.join(self.group_names)}"
            )
        held_out = np.isin(self.groups, np.asarray(test_groups, dtype=object))
        if held_out.all():
            raise ValueError(f"test_groups {test_groups!r} hold out every {self.group_kind}; "
                             "leave at least one to train on")
        return np.flatnonzero(~held_out), np.flatnonzero(held_out)

    def counts(self) -> pd.DataFrame:
        """Clips per group (rows, source order) and class (columns)."""
        table = pd.crosstab(pd.Categorical(self.groups, categories=self.group_names),
                            pd.Categorical(np.asarray(self.class_names)[self.labels],
                                           categories=self.class_names), dropna=False)
        table.index.name, table.columns.name = self.group_kind, "class"
        return table

    def split_counts(self, test_groups: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Per class: clips and groups on each side of :meth:`split` (rows in class order)."""
        train, test = self.split(test_groups)
        rows = {}
        for c, name in enumerate(self.class_names):
            on = {side: idx[self.labels[idx] == c] for side, idx in (("training", train), ("held out", test))}
            rows[name] = {f"{side} clips": len(idx) for side, idx in on.items()} | {
                f"{side} {self.group_kind}s": len(set(self.groups[idx].tolist())) for side, idx in on.items()}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "class"
        return table

