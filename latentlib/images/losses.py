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
minus a running sum: O(batch^2 log batch) time and O(batch^2) memory per batch.

Batch-hard from scratch can collapse every embedding onto one point, where every
triplet costs exactly the margin; :func:`detect_collapse` flags such runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

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
    """``x.sort(dim=1)``; on the CPU through numpy's argsort, several times faster than
    torch's CPU sort at batch 1024 (see benchmarks/triplet.py). The values keep the graph."""
    if x.device.type != "cpu":
        return x.sort(dim=1)
    order = torch.from_numpy(np.argsort(x.detach().numpy(), axis=1, kind="quicksort"))
    return x.gather(1, order), order


class _SortedNegatives:
    """Each anchor's negative distances in ascending order, and the pairs' runs in it.

    For an (anchor, positive) pair every test the loss applies to a negative
    (``gap > low``, ``gap <= high``, ``loss > 0``) is monotone in ``d(a, n)``, so the
    negatives passing it form a run of the sorted row. The run's ends are found by
    bisection with the very expression the test uses, so float ties and rounding at the
    boundaries fall exactly as in an elementwise evaluation.
    """

    def __init__(self, distances: torch.Tensor, labels: torch.Tensor) -> None:
        positive, negative = _pair_masks(labels)
        self.a, self.p = torch.nonzero(positive, as_tuple=True)
        # non-negatives sort last (+inf) and are never inside a run
        self.values, self.order = _sort_rows(distances.masked_fill(~negative, torch.inf))
        self.length = negative.sum(dim=1)[self.a]  # negatives of each pair's anchor

    def count(self, test, upper: torch.Tensor | None = None) -> torch.Tensor:
        """Per pair, how many leading negatives of its row (of the first ``upper``) pass
        ``test(d_an)``, a test true on a prefix of the ascending row: the count is built
        bit by bit, high to low (a vectorised bisection, log2(batch) gathers per pair)."""
        limit = self.length if upper is None else upper
        flat = self.values.detach().reshape(-1)
        before_row = self.a * self.values.shape[1] - 1  # flat index of row[-1]
        found = torch.zeros_like(limit)
        step = 1 << (int(limit.max()).bit_length() - 1) if len(limit) and int(limit.max()) > 0 else 0
        while step:
            candidate = found + step
            # when candidate > limit the gathered value is ignored, it need only exist
            value = flat[before_row + torch.minimum(candidate, limit)]
            found = torch.where((candidate <= limit) & test(value), candidate, found)
            step >>= 1
        return found

    def prefix_sums(self) -> torch.Tensor:
        """Running sums of each sorted row (non-negatives as 0), in float64: the loss takes
        differences of sums of up to batch terms, which float32 would leave to rounding."""
        return self.values.masked_fill(torch.isinf(self.values), 0).double().cumsum(dim=1)

    def sum_first(self, running: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Per pair, the sum of the first ``k`` sorted negatives of its row (autograd flows)."""
        total = running.reshape(-1)[self.a * running.shape[1] + (k - 1).clamp(min=0)]
        return torch.where(k > 0, total, 0.0)

    def band(self, d_ap: torch.Tensor, low: float, high: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Per pair, the run ``[start, stop)`` of negatives with ``low < d(a, n) - d(a, p) <= high``."""
        d = d_ap.detach()
        start = torch.zeros_like(self.length) if low == -float("inf") else self.count(lambda x: x - d <= low)
        stop = self.length if high == float("inf") else self.count(lambda x: x - d <= high)
        return start, torch.maximum(start, stop)


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
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin > 0:
        raise ValueError(f"margin must be a positive number, got {margin!r}")


def make_miner(name: str, *, margin: float) -> nn.Module:
    """The miner called ``name`` (one of :data:`MINERS`)."""
    if name == "all":
        return AllTripletsMiner()
    if name == "batch_hard":
        return BatchHardMiner()
    if name == "semi_hard":
        return SemiHardMiner(margin)
    raise ValueError(f"miner must be one of {', '.join(map(repr, MINERS))}, got {name!r}")


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
        The paper's alpha (III-A2); must be > 0.
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
        if reducer not in REDUCERS:
            raise ValueError(f"reducer must be one of {', '.join(map(repr, REDUCERS))}, got {reducer!r}")
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
        distances, the violating ones a leading part ``[start, end)`` of it, and their loss
        sums to ``(end - start) * (d(a, p) + margin) - (S[end] - S[start])`` with ``S`` the
        running sum of the sorted row. Same triplets, value and gradient as evaluating
        every triplet; autograd reaches the distances through ``d(a, p)`` and the sorted values."""
        rows = _SortedNegatives(distances, labels)
        d_ap = distances[rows.a, rows.p]
        start, stop = rows.band(d_ap, *self.miner.gap_band())
        d = d_ap.detach()
        end = torch.maximum(start, rows.count(lambda x: d - x + self.margin > 0, upper=stop))
        running = rows.prefix_sums()
        at_start = rows.sum_first(running, start)
        kept, violating = stop - start, end - start
        count, n_active = int(kept.sum()), int(violating.sum())
        with torch.no_grad():
            self.last_stats = {
                "triplets": count,
                "active": n_active / count if count else 0.0,
                "d_ap": float((d.double() * kept).sum() / count) if count else float("nan"),
                "d_an": float((rows.sum_first(running, stop) - at_start).sum() / count)
                if count else float("nan"),
            }
        if count == 0:
            return distances.sum() * 0.0
        total = (violating * (d_ap.double() + self.margin) - (rows.sum_first(running, end) - at_start)).sum()
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
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not self.weight > 0:
            raise ValueError(f"triplet_weight must be a positive number (lambda), got {self.weight!r}")
        check_margin(self.margin)
        make_miner(self.miner, margin=self.margin)  # raises on an unknown miner
        if not isinstance(self.normalize_embeddings, bool):
            raise ValueError(f"normalize_embeddings must be True or False, got {self.normalize_embeddings!r}")
        for name in ("classes_per_batch", "samples_per_class"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                why = "triplets need two classes per batch" if name == "classes_per_batch" \
                    else "a positive needs two samples of a class per batch"
                raise ValueError(f"{name} must be an int >= 2 ({why}), got {value!r}")

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
