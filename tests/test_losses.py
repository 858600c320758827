"""Triplet loss, miners and collapse detection: against plain loops, hand-built batches
and pytorch-metric-learning."""

import itertools

import numpy as np
import pytest
import torch

from latentlib.images.losses import (
    AllTripletsMiner,
    BatchHardMiner,
    EuclideanDistance,
    SemiHardMiner,
    TripletConfig,
    TripletMarginLoss,
    check_triplet_batch,
    detect_collapse,
    make_miner,
)


def plain_loop_triplets(z, labels):
    """Every valid (a, p, n), enumerated with nested loops."""
    n = len(labels)
    return [(a, p, q) for a, p, q in itertools.product(range(n), repeat=3)
            if a != p and labels[a] == labels[p] and labels[a] != labels[q]]


def dist(z, i, j):
    return float(np.sqrt(((z[i] - z[j]) ** 2).sum()))


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(12, 3, generator=generator, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3])
    return z, labels


def test_batch_all_loss_matches_a_plain_loop(batch):
    z, labels = batch
    zn, ln = z.numpy(), labels.numpy()
    values = [max(dist(zn, a, p) - dist(zn, a, q) + 0.5, 0.0) for a, p, q in plain_loop_triplets(zn, ln)]
    nonzero = [v for v in values if v > 0]
    loss = TripletMarginLoss(0.5)(z, labels)
    assert loss.item() == pytest.approx(np.mean(nonzero), rel=1e-9)
    mean_loss = TripletMarginLoss(0.5, reducer="mean")(z, labels)
    assert mean_loss.item() == pytest.approx(np.mean(values), rel=1e-9)


def test_all_miner_finds_every_valid_triplet(batch):
    z, labels = batch
    a, p, n = AllTripletsMiner()(EuclideanDistance()(z), labels)
    found = sorted(zip(a.tolist(), p.tolist(), n.tolist()))
    assert found == sorted(plain_loop_triplets(z.numpy(), labels.numpy()))


def test_batch_hard_picks_farthest_positive_and_nearest_negative():
    # 1-D points: class 0 at 0, 1, 5; class 1 at 2, 10
    z = torch.tensor([[0.0], [1.0], [5.0], [2.0], [10.0]])
    labels = torch.tensor([0, 0, 0, 1, 1])
    a, p, n = BatchHardMiner()(EuclideanDistance()(z), labels)
    chosen = {int(i): (int(j), int(k)) for i, j, k in zip(a, p, n)}
    assert chosen == {0: (2, 3), 1: (2, 3), 2: (0, 3), 3: (4, 1), 4: (3, 2)}


def test_batch_hard_skips_anchors_without_a_positive():
    z = torch.tensor([[0.0], [1.0], [3.0]])
    a, _, _ = BatchHardMiner()(EuclideanDistance()(z), torch.tensor([0, 0, 1]))
    assert a.tolist() == [0, 1]


def test_semi_hard_keeps_negatives_beyond_the_positive_inside_the_margin():
    # anchor 0 at 0, positive 1 at 1; negatives at 0.5 (hard), 1.5 (semi-hard), 3 (easy)
    z = torch.tensor([[0.0], [1.0], [0.5], [1.5], [3.0]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    a, p, n = SemiHardMiner(margin=1.0)(EuclideanDistance()(z), labels)
    from_anchor_0 = sorted(int(k) for i, j, k in zip(a, p, n) if int(i) == 0 and int(j) == 1)
    assert from_anchor_0 == [3]
    every = plain_loop_triplets(z.numpy(), labels.numpy())
    d = lambda i, j: abs(float(z[i] - z[j]))  # noqa: E731
    expected = sorted(t for t in every if 0 < d(t[0], t[2]) - d(t[0], t[1]) <= 1.0)
    assert sorted(zip(a.tolist(), p.tolist(), n.tolist())) == expected


def test_normalised_distance_is_on_the_unit_sphere():
    z = torch.tensor([[3.0, 0.0], [0.0, 5.0]])
    d = EuclideanDistance(normalize_embeddings=True)(z)
    assert d[0, 1].item() == pytest.approx(np.sqrt(2))


@pytest.mark.parametrize("ours, theirs, normalize", [
    ("all", "all", False),
    ("all", "all", True),
    ("semi_hard", "semihard", False),
    ("batch_hard", "batch_hard", False),
])
def test_matches_pytorch_metric_learning(batch, ours, theirs, normalize):
    pml = pytest.importorskip("pytorch_metric_learning")
    from pytorch_metric_learning import distances, losses, miners

    z, labels = batch
    z = (z * 0.7).requires_grad_(True)
    margin = 0.4
    distance = distances.LpDistance(normalize_embeddings=normalize, p=2, power=1)
    reference = losses.TripletMarginLoss(margin=margin, distance=distance)
    if theirs == "batch_hard":
        miner = miners.BatchHardMiner(distance=distance)
    else:
        miner = miners.TripletMarginMiner(margin=margin, type_of_triplets=theirs, distance=distance)
    expected = reference(z, labels, miner(z, labels))
    # pml's TripletMarginMiner keeps only margin violators: with the nonzero-mean
    # reducer that drops exactly the zero-loss triplets, so both losses agree
    ours_loss = TripletMarginLoss(margin, distance=EuclideanDistance(normalize_embeddings=normalize),
                                  miner=make_miner(ours, margin=margin))(z, labels)
    assert ours_loss.item() == pytest.approx(expected.item(), rel=1e-5)
    grad_ours = torch.autograd.grad(ours_loss, z, retain_graph=True)[0]
    grad_ref = torch.autograd.grad(expected, z)[0]
    assert torch.allclose(grad_ours, grad_ref, atol=1e-6), pml.__version__


def test_no_triplets_gives_zero_with_a_graph():
    z = torch.randn(3, 2, requires_grad=True)
    loss = TripletMarginLoss(1.0)(z, torch.tensor([0, 1, 2]))
    loss.backward()
    assert loss.item() == 0 and z.grad is not None


@pytest.mark.parametrize("kwargs, message", [
    (dict(margin=0.0), "margin must be a positive number"),
    (dict(margin=-1.0), "margin must be a positive number"),
    (dict(miner="hardest"), "miner must be one of 'all', 'batch_hard', 'semi_hard'"),
    (dict(samples_per_class=1), "samples_per_class must be an int >= 2"),
    (dict(classes_per_batch=1), "classes_per_batch must be an int >= 2"),
    (dict(weight=0), "triplet_weight must be a positive number"),
])
def test_bad_triplet_settings_fail_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TripletConfig(**kwargs)


def test_loss_rejects_a_bad_margin_and_reducer():
    with pytest.raises(ValueError, match="margin"):
        TripletMarginLoss(0)
    with pytest.raises(ValueError, match="reducer"):
        TripletMarginLoss(1.0, reducer="sum")


def test_batch_checks():
    with pytest.raises(ValueError, match="single class"):
        check_triplet_batch(torch.tensor([3, 3, 3]))
    with pytest.raises(ValueError, match="at least 2 samples"):
        check_triplet_batch(np.array([0, 1, 2]))
    check_triplet_batch(np.array([0, 0, 1]))


def test_detects_a_collapsed_embedding():
    rng = np.random.default_rng(0)
    collapsed = 3.0 + 1e-5 * rng.standard_normal((500, 8))  # one spot, far from the origin
    report = detect_collapse(collapsed)
    assert report.collapsed and "spread" in report.reason
    assert detect_collapse(np.zeros((10, 4))).collapsed
    healthy = rng.standard_normal((500, 8))
    assert not detect_collapse(healthy).collapsed


def test_detects_a_triplet_loss_stuck_at_the_margin():
    healthy = np.random.default_rng(0).standard_normal((100, 4))
    stuck = detect_collapse(healthy, final_d_an=1e-4, margin=1.0)
    assert stuck.collapsed and "margin" in stuck.reason
    assert not detect_collapse(healthy, final_d_an=2.0, margin=1.0).collapsed


def test_collapse_rejects_a_single_point():
    with pytest.raises(ValueError, match="z must be"):
        detect_collapse(np.zeros((1, 3)))


class _IndexedMiner(torch.nn.Module):
    """Wraps a miner so the loss takes its generic (index list) path."""

    def __init__(self, miner):
        super().__init__()
        self.inner = miner

    def forward(self, distances, labels):
        return self.inner(distances, labels)


@pytest.mark.parametrize("miner", ["all", "semi_hard"])
@pytest.mark.parametrize("reducer", ["mean", "mean_nonzero"])
def test_fast_path_equals_the_index_path(batch, miner, reducer):
    z, labels = batch
    z = z.requires_grad_(True)
    fast = TripletMarginLoss(0.7, miner=make_miner(miner, margin=0.7), reducer=reducer)
    slow = TripletMarginLoss(0.7, miner=_IndexedMiner(make_miner(miner, margin=0.7)), reducer=reducer)
    lf, ls = fast(z, labels), slow(z, labels)
    assert lf.item() == pytest.approx(ls.item(), rel=1e-9)
    assert fast.last_stats["triplets"] == slow.last_stats["triplets"]
    assert fast.last_stats["d_an"] == pytest.approx(slow.last_stats["d_an"], rel=1e-9)
    gf = torch.autograd.grad(lf, z)[0]
    gs = torch.autograd.grad(ls, z)[0]
    assert torch.allclose(gf, gs, atol=1e-12)
