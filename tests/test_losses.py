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
@pytest.mark.parametrize("composition", ["fixture", "unbalanced", "singleton_class"])
def test_matches_pytorch_metric_learning(batch, ours, theirs, normalize, composition):
    pml = pytest.importorskip("pytorch_metric_learning")
    from pytorch_metric_learning import distances, losses, miners

    z, labels = batch if composition == "fixture" else compositions()[composition]
    z = z.double()
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
    (dict(margin=0.0), "margin must be a positive finite number, got 0.0"),
    (dict(margin=-1.0), "margin must be a positive finite number, got -1.0"),
    # 1e999 parses as inf: every triplet would stay active and the loss would be inf
    (dict(margin=float("inf")), "margin must be a positive finite number, got inf"),
    (dict(margin=float("nan")), "margin must be a positive finite number, got nan"),
    (dict(margin="1"), "margin must be a positive finite number, got '1'"),
    (dict(miner="hardest"), "miner must be one of 'all', 'batch_hard', 'semi_hard', got 'hardest'"),
    (dict(samples_per_class=1), r"samples_per_class must be an int >= 2 \(a positive needs"),
    (dict(classes_per_batch=1), r"classes_per_batch must be an int >= 2 \(triplets need"),
    (dict(classes_per_batch="10"), r"classes_per_batch must be an int >= 2 .*got '10'"),
    (dict(weight=0), "triplet_weight must be a positive finite number, got 0"),
    (dict(weight=float("inf")), "triplet_weight must be a positive finite number, got inf"),
    (dict(weight=True), "triplet_weight must be a positive finite number, got True"),
    (dict(normalize_embeddings="yes"), "normalize_embeddings must be True or False, got 'yes'"),
])
def test_bad_triplet_settings_fail_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TripletConfig(**kwargs)


def test_loss_rejects_a_bad_margin_and_reducer():
    with pytest.raises(ValueError, match="margin must be a positive finite number, got 0"):
        TripletMarginLoss(0)
    with pytest.raises(ValueError, match="margin must be a positive finite number, got inf"):
        TripletMarginLoss(float("inf"))
    with pytest.raises(ValueError, match="margin must be a positive finite number, got inf"):
        make_miner("semi_hard", margin=float("inf"))
    with pytest.raises(ValueError, match="miner must be one of 'all', 'batch_hard', 'semi_hard', got 'hard'"):
        make_miner("hard", margin=1.0)
    with pytest.raises(ValueError, match="reducer must be one of 'mean_nonzero', 'mean', got 'sum'"):
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


def masked_rows_reference(loss, distances, labels):
    """The loss as it was before the sorted form: one masked row of negatives per
    (anchor, positive) pair, every triplet evaluated (memory ~ pairs x batch).
    Kept here as the reference the sorted form must reproduce."""
    same = labels[:, None] == labels[None, :]
    positive = same & ~torch.eye(len(labels), dtype=torch.bool)
    a, p = torch.nonzero(positive, as_tuple=True)
    d_ap = distances[a, p]
    d_an = distances.index_select(0, a)
    keep = loss.miner.row_mask(d_ap, d_an, (~same).index_select(0, a))
    weight = keep.to(distances.dtype)
    losses = torch.relu(d_ap[:, None] - d_an + loss.margin) * weight
    per_pair = weight.sum(dim=1)
    count = int(per_pair.sum())
    n_active = int((losses > 0).sum())
    with torch.no_grad():
        stats = {"triplets": count, "active": n_active / count if count else 0.0,
                 "d_ap": float((d_ap * per_pair).sum() / count) if count else float("nan"),
                 "d_an": float((d_an * weight).sum() / count) if count else float("nan")}
    if count == 0:
        return distances.sum() * 0.0, stats
    return losses.sum() / (count if loss.reducer == "mean" else max(n_active, 1)), stats


def compositions():
    """Batches that stress the sorted form: P x K, unbalanced, a class seen once, ties."""
    g = torch.Generator().manual_seed(1)
    grid = torch.randint(0, 3, (20, 2), generator=g).double()  # integer points: many equal distances
    return {
        "p_by_k": (torch.randn(20, 4, generator=g), torch.arange(4).repeat_interleave(5)),
        "unbalanced": (torch.randn(23, 3, generator=g), torch.tensor([0] * 12 + [1] * 6 + [2] * 3 + [3] * 2)),
        "singleton_class": (torch.randn(11, 2, generator=g), torch.tensor([0] * 5 + [1] * 5 + [2])),
        "ties": (grid, torch.arange(20) % 3),
        "ties_float32": (grid.float(), torch.arange(20) % 3),
        "wide": (torch.randn(120, 16, generator=g), torch.randint(0, 10, (120,), generator=g)),
    }


@pytest.mark.parametrize("name", list(compositions()))
@pytest.mark.parametrize("miner", ["all", "semi_hard"])
@pytest.mark.parametrize("reducer", ["mean", "mean_nonzero"])
@pytest.mark.parametrize("margin", [1.0, 0.3, 0.0])
def test_sorted_form_equals_every_triplet(name, miner, reducer, margin):
    z, labels = compositions()[name]
    z = z.clone().requires_grad_(True)
    loss = TripletMarginLoss(1.0, miner=make_miner(miner, margin=1.0), reducer=reducer)
    loss.margin = loss.miner.margin = margin  # margin 0 is refused by the API; the algebra must still hold
    value = loss(z, labels)
    expected, stats = masked_rows_reference(loss, EuclideanDistance()(z), labels)
    assert value.dtype == z.dtype
    assert value.item() == pytest.approx(expected.item(), rel=1e-6, abs=1e-6)
    assert loss.last_stats["triplets"] == stats["triplets"]
    assert loss.last_stats["active"] == stats["active"]  # the same triplets violate the margin, exactly
    for key in ("d_ap", "d_an"):
        assert loss.last_stats[key] == pytest.approx(stats[key], rel=1e-6, nan_ok=True)
    grad = torch.autograd.grad(value, z, retain_graph=True)[0]
    grad_expected = torch.autograd.grad(expected, z)[0]
    assert torch.allclose(grad, grad_expected, atol=1e-5), (grad - grad_expected).abs().max()


def test_ties_on_the_margin_count_as_in_an_elementwise_test():
    # 1-D: anchor 0 at 0, positive 1 at 1; negatives at exactly d_ap + margin (loss 0, not
    # active), just inside, and at d_ap (semi-hard's lower edge, excluded)
    z = torch.tensor([[0.0], [1.0], [2.0], [1.75], [1.0], [-1.0]], requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 1, 1])
    for miner in ("all", "semi_hard"):
        loss = TripletMarginLoss(1.0, miner=make_miner(miner, margin=1.0))
        value = loss(z, labels)
        expected, stats = masked_rows_reference(loss, EuclideanDistance()(z), labels)
        assert (loss.last_stats["triplets"], loss.last_stats["active"]) == (stats["triplets"], stats["active"])
        assert value.item() == pytest.approx(expected.item(), rel=1e-7)


def test_semi_hard_miner_lists_the_band_of_every_triplet():
    z, labels = compositions()["ties"]
    distances = EuclideanDistance()(z)
    a, p, n = AllTripletsMiner()(distances, labels)
    gap = distances[a, n] - distances[a, p]
    keep = (gap > 0) & (gap <= 1.0)
    expected = sorted(zip(a[keep].tolist(), p[keep].tolist(), n[keep].tolist()))
    found = SemiHardMiner(margin=1.0)(distances, labels)
    assert sorted(zip(*(t.tolist() for t in found))) == expected and expected


def test_a_large_batch_counts_every_triplet():
    # batch 1024 in 10 classes: ~10^8 triplets, which the masked rows held as ~1 GB tensors
    labels = torch.arange(10).repeat_interleave(103)[:1024]
    z = torch.randn(1024, 16, requires_grad=True)
    loss = TripletMarginLoss(1.0)
    loss(z, labels).backward()
    sizes = torch.bincount(labels)
    assert loss.last_stats["triplets"] == int((sizes * (sizes - 1) * (1024 - sizes)).sum())
    assert 0 < loss.last_stats["active"] < 1 and torch.isfinite(z.grad).all()


def test_counts_are_exact_even_from_a_wrong_threshold():
    # the threshold search is only a guess, checked against the test itself; a wrong
    # guess (here: every threshold 0) must fall back to bisection and still be exact
    from latentlib.images.losses import _SortedNegatives

    z, labels = compositions()["ties_float32"]
    distances = EuclideanDistance()(z)
    rows = _SortedNegatives(distances, labels)
    d_ap = distances[rows.a, rows.p]
    test = lambda x, d: d - x + 0.5 > 0  # noqa: E731
    found = rows.count(test, d_ap, torch.zeros_like(d_ap), right=False)
    negative = labels[:, None] != labels[None, :]
    expected = (test(distances[rows.a], d_ap[:, None]) & negative[rows.a]).sum(dim=1)
    assert torch.equal(found, expected) and expected.any()


def test_row_sort_matches_torch_sort():
    from latentlib.images.losses import _sort_rows

    x = torch.rand(7, 9).masked_fill(torch.rand(7, 9) < 0.3, torch.inf)
    values, order = _sort_rows(x)
    assert torch.equal(values, x.sort(dim=1).values) and torch.equal(x.gather(1, order), values)
