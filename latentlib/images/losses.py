"""Triplet margin loss (paper III-A2) with its parts passed in, and a collapse check.

The loss follows pytorch-metric-learning's design: a *distance* turns a batch of
embeddings into a pairwise distance matrix, a separate *miner* picks (anchor,
positive, negative) index triplets from it, and the loss averages
``relu(d(a, p) - d(a, n) + margin)`` over the mined triplets.

Miners
------
``all``
    every valid triplet of the batch ("batch-all").
``batch_hard``
    per anchor, its farthest positive and nearest negative (Hermans et al. 2017).
``semi_hard``
    triplets whose negative is farther than the positive but inside the margin,
    ``d(a, p) < d(a, n) <= d(a, p) + margin`` (pytorch-metric-learning's "semihard").

Batch-all and semi-hard never list their triplets inside the loss: per anchor the
negative distances are sorted once, every (anchor, positive) pair's triplets are then a
contiguous run of that order, and the run's loss is ``count * (d(a, p) + margin)``
minus the run's distances: O(batch^2 log batch) time and O(batch^2) memory per batch.

Batch-hard from scratch can collapse every embedding onto one point, where every
triplet costs exactly the margin; :func:`detect_collapse` flags such runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from latentlib.validation import check_bool, check_choice, check_int_range, check_positive_float

#: the one table of miner names (the image configs validate ``miner`` against it)
MINERS = ("all", "batch_hard", "semi_hard")
REDUCERS = ("mean_nonzero", "mean")


class EuclideanDistance(nn.Module):
    """Pairwise Euclidean distances, optionally after L2-normalising the embeddings."""

    def __init__(self, *, normalize_embeddings: bool = False) -> None:
        super().__init__()
        self.normalize_embeddings = normalize_embeddings

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        if self.normalize_embeddings:
            embeddings = nn.functional.normalize(embeddings, p=2, dim=1)
        # the exact (not matmul) form: no negative squared distances, zero gradient at 0
        return torch.cdist(embeddings, embeddings, compute_mode="donot_use_mm_for_euclid_dist")


Triplets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _pair_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same  # positives (a != p), negatives


def all_triplets(labels: torch.Tensor) -> Triplets:
    """Indices of every (a, p, n) with label[a] == label[p] != label[n] and a != p."""
    positive, negative = _pair_masks(labels)
    valid = positive[:, :, None] & negative[:, None, :]
    a, p, n = torch.nonzero(valid, as_tuple=True)
    return a, p, n


class AllTripletsMiner(nn.Module):
    """Every valid triplet of the batch (cost grows with batch^3; keep batches ~256)."""

    def forward(self, distances: torch.Tensor, labels: torch.Tensor) -> Triplets:
        return all_triplets(labels)

    def row_mask(self, d_ap: torch.Tensor, d_an: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        """Every negative of each (anchor, positive) pair's row, as a mask."""
        return negative

    def gap_band(self) -> tuple[float, float]:
        """Fast path (see :class:`TripletMarginLoss`): no bound on ``d(a, n) - d(a, p)``."""
        return -float("inf"), float("inf")


class BatchHardMiner(nn.Module):
    """Per anchor: the farthest positive and the nearest negative (one triplet each).

    Anchors without a positive or without a negative in the batch are skipped.
    """

    def forward(self, distances: torch.Tensor, labels: torch.Tensor) -> Triplets:
        positive, negative = _pair_masks(labels)
        d = distances.detach()
        hardest_p = torch.where(positive, d, torch.full_like(d, -torch.inf)).argmax(dim=1)
        hardest_n = torch.where(negative, d, torch.full_like(d, torch.inf)).argmin(dim=1)
        keep = positive.any(dim=1) & negative.any(dim=1)
        anchors = torch.nonzero(keep, as_tuple=True)[0]
        return anchors, hardest_p[anchors], hardest_n[anchors]


class SemiHardMiner(nn.Module):
    """Valid triplets with ``d(a, p) < d(a, n) <= d(a, p) + margin``."""

    def __init__(self, margin: float) -> None:
        super().__init__()
        check_margin(margin)
        self.margin = margin

    def forward(self, distances: torch.Tensor, labels: torch.Tensor) -> Triplets:
        # from the sorted negatives: no batch^3 mask, only the triplets kept
        return _band_triplets(distances.detach(), labels, *self.gap_band())

    def row_mask(self, d_ap: torch.Tensor, d_an: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        """The negatives of each (anchor, positive) row inside the margin band, as a mask."""
        gap = d_an.detach() - d_ap.detach()[:, None]
        return negative & (gap > 0) & (gap <= self.margin)

    def gap_band(self) -> tuple[float, float]:
        """Fast path: keep ``0 < d(a, n) - d(a, p) <= margin``."""
        return 0.0, self.margin


def _sort_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x.sort(dim=1)`` of a tensor without a graph; on the CPU through numpy, whose
    argsort is several times faster than torch's CPU sort (see benchmarks/triplet.py)."""
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return x.sort(dim=1)
    order = np.argsort(x.numpy(), axis=1, kind="quicksort")
    return torch.from_numpy(np.take_along_axis(x.numpy(), order, axis=1)), torch.from_numpy(order)


_RowTest = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class _SortedNegatives:
    """Each anchor's negative distances in ascending order, and the pairs' runs in it.

    For an (anchor, positive) pair every test the loss applies to a negative
    (``gap > low``, ``gap <= high``, ``loss > 0``) is monotone in ``d(a, n)``, so the
    negatives passing it are a leading part of the sorted row. Its length is guessed
    with a threshold search, then checked at the boundary with the very expression the
    test uses, so float ties and rounding fall exactly as in an elementwise evaluation.
    """

    def __init__(self, distances: torch.Tensor, labels: torch.Tensor) -> None:
        positive, negative = _pair_masks(labels)
        self.a, self.p = torch.nonzero(positive, as_tuple=True)
        # non-negatives sort last (+inf) and lie beyond every run
        self.values, self.order = _sort_rows(distances.detach().masked_fill(~negative, torch.inf))
        self.length = negative.sum(dim=1)[self.a]  # negatives of each pair's anchor
        self.negative = negative
        # each pair's slot in a (batch, most positives) grid of threshold queries
        self.positives = positives = positive.sum(dim=1)
        self.slot = torch.arange(len(self.a), device=labels.device) - (positives.cumsum(0) - positives)[self.a]
        self.slots = int(positives.max()) if len(self.a) else 0
        self.row_start = self.a * self.values.shape[1]  # flat index of each pair's row

    def count(self, test: _RowTest, d_ap: torch.Tensor, threshold: torch.Tensor, *, right: bool) -> torch.Tensor:
        """Per pair, how many leading negatives of its row pass ``test(d_an, d_ap)``,
        ``threshold`` being where the test turns false (``right``: values equal to it pass)."""
        queries = torch.full((len(self.values), self.slots), torch.inf, dtype=threshold.dtype,
                             device=threshold.device)
        queries[self.a, self.slot] = threshold
        found = torch.searchsorted(self.values, queries, right=right)[self.a, self.slot]
        found = torch.minimum(found, self.length)
        flat = self.values.reshape(-1)
        last_in = (found == 0) | test(flat[self.row_start + (found - 1).clamp(min=0)], d_ap)
        first_out = (found == self.length) | ~test(flat[self.row_start + found], d_ap)
        wrong = torch.nonzero(~(last_in & first_out), as_tuple=True)[0]
        if len(wrong):  # rounding put the threshold off the test's own boundary
            found[wrong] = self._bisect(test, d_ap[wrong], wrong)
        return found

    def _bisect(self, test: _RowTest, d_ap: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        """:meth:`count` for some pairs by bisection, bit by bit from the high end."""
        limit, flat = self.length[pairs], self.values.reshape(-1)
        before_row = self.row_start[pairs] - 1
        found = torch.zeros_like(limit)
        step = 1 << (int(limit.max()).bit_length() - 1) if int(limit.max()) > 0 else 0
        while step:
            candidate = found + step
            # when candidate > limit the gathered value is ignored: it need only exist
            value = flat[before_row + torch.minimum(candidate, limit)]
            found = torch.where((candidate <= limit) & test(value, d_ap), candidate, found)
            step >>= 1
        return found

    def band(self, d_ap: torch.Tensor, low: float, high: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Per pair, the run ``[start, stop)`` of negatives with ``low < d(a, n) - d(a, p) <= high``."""
        start = torch.zeros_like(self.length) if low == -float("inf") else \
            self.count(lambda x, d: x - d <= low, d_ap, d_ap + low, right=True)
        stop = self.length if high == float("inf") else \
            self.count(lambda x, d: x - d <= high, d_ap, d_ap + high, right=True)
        return start, torch.maximum(start, stop)

    def coverage(self, start: torch.Tensor, stop: torch.Tensor) -> torch.Tensor:
        """(batch, batch) counts: in how many pairs' runs ``[start, stop)`` each
        (anchor, negative) lies, in the distance matrix's own order."""
        if bool((start == 0).all()) and bool((stop == self.length).all()):  # whole rows: no scatter needed
            return self.negative * self.positives[:, None].to(torch.float32)
        rows, width = self.values.shape
        edges = torch.zeros(rows * (width + 1), dtype=torch.float32, device=start.device)  # counts < 2^24: exact
        row_start = self.a * (width + 1)
        edges.index_add_(0, row_start + start, torch.ones_like(start, dtype=edges.dtype))
        edges.index_add_(0, row_start + stop, -torch.ones_like(stop, dtype=edges.dtype))
        counts = edges.view(rows, width + 1).cumsum(dim=1)[:, :width]
        return torch.empty_like(counts).scatter_(1, self.order, counts)  # order is a permutation of each row


def _band_triplets(distances: torch.Tensor, labels: torch.Tensor, low: float, high: float) -> Triplets:
    """Index triplets with ``low < d(a, n) - d(a, p) <= high``, read off the sorted rows."""
    rows = _SortedNegatives(distances, labels)
    start, stop = rows.band(distances[rows.a, rows.p], low, high)
    sizes = stop - start
    pair = torch.repeat_interleave(torch.arange(len(sizes), device=sizes.device), sizes)
    offset = torch.arange(len(pair), device=sizes.device) - (torch.cumsum(sizes, 0) - sizes)[pair]
    a = rows.a[pair]
    return a, rows.p[pair], rows.order[a, start[pair] + offset]


def check_margin(margin: float) -> None:
    """The paper's alpha: a positive finite number (``inf`` would make every triplet active forever)."""
    check_positive_float("margin", margin)


def make_miner(name: str, *, margin: float) -> nn.Module:
    """The miner called ``name`` (one of :data:`MINERS`)."""
    check_choice("miner", name, MINERS)
    if name == "all":
        return AllTripletsMiner()
    if name == "batch_hard":
        return BatchHardMiner()
    return SemiHardMiner(margin)


def check_triplet_batch(labels: torch.Tensor | np.ndarray) -> None:
    """A batch can hold a triplet only with two classes, one of them seen twice."""
    values, counts = np.unique(np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels),
                               return_counts=True)
    if len(values) < 2:
        raise ValueError("a triplet batch needs at least 2 classes; got a batch with a single class "
                         "(use class-balanced batches: classes_per_batch >= 2)")
    if counts.max() < 2:
        raise ValueError("a triplet batch needs at least 2 samples of some class (samples_per_class >= 2)")


class TripletMarginLoss(nn.Module):
    """``mean relu(d(a, p) - d(a, n) + margin)`` over the triplets a miner selects.

    Parameters
    ----------
    margin
        The paper's alpha (III-A2); a finite number > 0.
    distance
        Module mapping embeddings to a pairwise distance matrix
        (default :class:`EuclideanDistance` without normalisation).
    miner
        Module mapping ``(distances, labels)`` to triplet indices
        (default :class:`AllTripletsMiner`). A miner that also has a ``gap_band()``
        method, returning ``(low, high)`` to keep ``low < d(a, n) - d(a, p) <= high``, gets
        the fast path: sorted negatives per anchor, no per-triplet tensors.
    reducer
        ``"mean_nonzero"`` averages over the triplets that still violate the margin
        (pytorch-metric-learning's default); ``"mean"`` over all mined triplets.

    After each call, ``last_stats`` holds the number of triplets, the fraction with a
    positive loss and the mean anchor-positive and anchor-negative distances.
    """

    def __init__(self, margin: float = 1.0, *, distance: nn.Module | None = None,
                 miner: nn.Module | None = None, reducer: str = "mean_nonzero") -> None:
        super().__init__()
        check_margin(margin)
        check_choice("reducer", reducer, REDUCERS)
        self.margin = float(margin)
        self.distance = distance if distance is not None else EuclideanDistance()
        self.miner = miner if miner is not None else AllTripletsMiner()
        self.reducer = reducer
        self.last_stats: dict[str, float] = {}

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        distances = self.distance(embeddings)
        if hasattr(self.miner, "gap_band"):  # the miner declares the fast path
            return self._sorted_rows(distances, labels)
        a, p, n = self.miner(distances, labels)
        if len(a) == 0:
            self.last_stats = {"triplets": 0, "active": 0.0, "d_ap": float("nan"), "d_an": float("nan")}
            return embeddings.sum() * 0.0  # keeps the graph: a batch without triplets adds nothing
        d_ap, d_an = distances[a, p], distances[a, n]
        losses = torch.relu(d_ap - d_an + self.margin)
        active = losses > 0
        self.last_stats = {
            "triplets": int(len(a)),
            "active": float(active.float().mean()),
            "d_ap": float(d_ap.detach().mean()),
            "d_an": float(d_an.detach().mean()),
        }
        if self.reducer == "mean":
            return losses.mean()
        if not bool(active.any()):
            return losses.sum()  # zero, with a graph
        return losses[active].mean()

    def _sorted_rows(self, distances: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Batch-all and semi-hard without listing triplets: per (anchor, positive) pair,
        its mined negatives are a run ``[start, stop)`` of the anchor's sorted negative
        distances and the violating ones a leading part ``[start, end)`` of it. Their loss
        sums to ``(end - start) * (d(a, p) + margin) - sum of d(a, n) over the part``, i.e.
        a weighted sum of the distance matrix: each positive entry weighted by its pair's
        violating count, each negative entry by minus the number of runs it lies in.
        Same triplets, value and gradient as evaluating every triplet."""
        rows = _SortedNegatives(distances, labels)
        d = distances.detach()[rows.a, rows.p]
        start, stop = rows.band(d, *self.miner.gap_band())
        margin = self.margin
        violating_end = rows.count(lambda x, d_ap: d_ap - x + margin > 0, d, d + margin, right=False)
        end = torch.minimum(torch.maximum(violating_end, start), stop)
        kept, violating = stop - start, end - start
        count, n_active = int(kept.sum()), int(violating.sum())
        with torch.no_grad():
            self.last_stats = {
                "triplets": count,
                "active": n_active / count if count else 0.0,
                "d_ap": float((d.double() * kept).sum() / count) if count else float("nan"),
                "d_an": float((distances * rows.coverage(start, stop)).sum() / count) if count else float("nan"),
            }
        if count == 0:
            return distances.sum() * 0.0
        weights = -rows.coverage(start, end)
        weights[rows.a, rows.p] = violating.to(weights.dtype)
        # accumulated in float64: the positive and negative parts nearly cancel
        total = (distances * weights).sum(dtype=torch.float64) + margin * n_active
        scale = count if self.reducer == "mean" else max(n_active, 1)
        return (total / scale).to(distances.dtype)


@dataclass(frozen=True)
class TripletConfig:
    """The embedding term of the objective ``MSE + weight * triplet`` and its batches.

    ``classes_per_batch`` x ``samples_per_class`` is the P x K class-balanced batch of
    Hermans et al.: every batch holds positives and negatives for every anchor.
    """

    weight: float = 1.0
    margin: float = 1.0
    miner: str = "all"
    normalize_embeddings: bool = False
    classes_per_batch: int = 10
    samples_per_class: int = 25

    def __post_init__(self) -> None:
        check_positive_float("triplet_weight", self.weight)  # lambda; finite, or the MSE term is lost
        check_margin(self.margin)
        check_choice("miner", self.miner, MINERS)
        check_bool("normalize_embeddings", self.normalize_embeddings)
        check_int_range("classes_per_batch", self.classes_per_batch, minimum=2,
                        why="triplets need two classes per batch")
        check_int_range("samples_per_class", self.samples_per_class, minimum=2,
                        why="a positive needs two samples of a class per batch")

    @property
    def batch_size(self) -> int:
        return self.classes_per_batch * self.samples_per_class

    def build(self) -> TripletMarginLoss:
        return TripletMarginLoss(
            self.margin,
            distance=EuclideanDistance(normalize_embeddings=self.normalize_embeddings),
            miner=make_miner(self.miner, margin=self.margin),
        )


@dataclass(frozen=True)
class CollapseReport:
    """Whether an embedding collapsed, and the numbers that say so."""

    collapsed: bool
    reason: str
    spread: float
    median_std: float

    def as_dict(self) -> dict[str, float | bool | str]:
        return {"collapsed": self.collapsed, "collapse_reason": self.reason,
                "embedding_spread": self.spread, "embedding_median_std": self.median_std}


def detect_collapse(z: np.ndarray, *, final_d_an: float | None = None, margin: float | None = None,
                    n_clusters: int | None = None, clusters_found: int | None = None,
                    spread_threshold: float = 1e-3, distance_fraction: float = 0.01) -> CollapseReport:
    """Flag an embedding whose points (nearly) coincide, or sit on a few spots.

    Four signs, any one suffices:

    - *spread*: the root of the total variance of ``z`` relative to its root mean
      square norm is below ``spread_threshold`` (scale free: all points on one spot,
      wherever the spot is), or the points have no variance at all;
    - *loss at the margin*: the mean anchor-negative distance of the last training
      epoch is below ``distance_fraction * margin``, so every triplet costs the margin
      and the triplet loss has stopped teaching anything;
    - *fewer locations than clusters*: the points sit on fewer than ``n_clusters``
      distinct locations, so K-Means cannot give each cluster its own points (two
      exact points score silhouette 1.0 with ten classes);
    - *fewer clusters found*: K-Means returned ``clusters_found < n_clusters`` distinct
      clusters.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or len(z) < 2:
        raise ValueError(f"z must be an (n >= 2, d) array of embeddings, got shape {z.shape}")
    std = z.std(axis=0)
    total = float(np.sqrt((std ** 2).sum()))
    scale = float(np.sqrt((z ** 2).sum(axis=1).mean()))
    spread = total / scale if scale > 0 else 0.0
    reason = ""
    if total == 0 or spread < spread_threshold:
        reason = f"embedding spread {spread:.2e} < {spread_threshold:g} (points nearly coincide)"
    elif final_d_an is not None and margin is not None and final_d_an < distance_fraction * margin:
        reason = (f"mean anchor-negative distance {final_d_an:.2e} < {distance_fraction:g} x margin: "
                  "the triplet loss is stuck at the margin")
    elif n_clusters is not None and (locations := len(np.unique(z, axis=0))) < n_clusters:
        reason = f"the points sit on {locations} distinct locations, fewer than the {n_clusters} clusters asked for"
    elif n_clusters is not None and clusters_found is not None and clusters_found < n_clusters:
        reason = f"K-Means found {clusters_found} distinct clusters of the {n_clusters} asked for"
    return CollapseReport(collapsed=bool(reason), reason=reason, spread=spread,
                          median_std=float(np.median(std)))
