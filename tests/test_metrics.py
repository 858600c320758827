import itertools

import numpy as np
import pytest
from sklearn import metrics as skm

from latentlib.evaluation import metrics
from latentlib.evaluation.evaluate import evaluate_embedding


def brute_force_accuracy(y_true, y_pred):
    """Best accuracy over every one-to-one relabelling of the clusters."""
    classes = np.unique(np.concatenate([y_true, y_pred]))
    best = 0.0
    for perm in itertools.permutations(classes):
        mapping = dict(zip(classes, perm))
        best = max(best, np.mean(np.array([mapping[p] for p in y_pred]) == y_true))
    return best


def test_cluster_accuracy_hand_worked():
    # clusters 1->class 0, 0->class 1, 2->class 2; one point of class 2 is misplaced
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([1, 1, 0, 0, 2, 0])
    assert metrics.cluster_accuracy(y_true, y_pred) == pytest.approx(5 / 6)


@pytest.mark.parametrize("seed", range(8))
def test_cluster_accuracy_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 6))
    y_true = rng.integers(0, k, size=40)
    y_pred = np.where(rng.random(40) < 0.6, (y_true + 1) % k, rng.integers(0, k, size=40))
    assert metrics.cluster_accuracy(y_true, y_pred) == pytest.approx(brute_force_accuracy(y_true, y_pred))


def test_cluster_accuracy_more_clusters_than_classes():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 1, 2, 3])  # only two clusters can be matched
    assert metrics.cluster_accuracy(y_true, y_pred) == pytest.approx(0.5)


def test_cluster_accuracy_rejects_bad_input():
    with pytest.raises(ValueError, match="differ in length"):
        metrics.cluster_accuracy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="1-D"):
        metrics.cluster_accuracy(np.zeros((3, 2)), np.zeros(3))


def test_nmi_ari_are_scikit_learns():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, 100), rng.integers(0, 4, 100)
    assert metrics.nmi(a, b) == pytest.approx(skm.normalized_mutual_info_score(a, b))
    assert metrics.ari(a, b) == pytest.approx(skm.adjusted_rand_score(a, b))
    assert metrics.nmi(a, a) == pytest.approx(1.0) and metrics.ari(a, a) == pytest.approx(1.0)


def test_silhouette_hand_worked():
    # two clusters on a line: {0, 1} and {10, 11}
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    labels = np.array([0, 0, 1, 1])
    # point 0: a = 1, b = mean(10, 11) = 10.5 -> s = 1 - 1/10.5; point 1: a = 1, b = 9.5
    expected = np.mean([1 - 1 / 10.5, 1 - 1 / 9.5, 1 - 1 / 9.5, 1 - 1 / 10.5])
    assert metrics.silhouette(x, labels) == pytest.approx(expected)
    assert metrics.silhouette(x, labels) == pytest.approx(skm.silhouette_score(x, labels))


def test_silhouette_undefined_for_one_cluster():
    assert np.isnan(metrics.silhouette(np.random.rand(10, 3), np.zeros(10, dtype=int)))


def test_evaluate_embedding_on_separated_blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    y = np.repeat(np.arange(3), 50)
    z = centres[y] + rng.normal(scale=0.5, size=(150, 2))
    scores = evaluate_embedding(z, y, n_clusters=3, seed=0)
    assert scores["acc"] == pytest.approx(1.0)
    assert scores["nmi"] == pytest.approx(1.0)
    assert scores["silhouette"] > 0.8
    assert scores["n_clusters_found"] == 3


@pytest.mark.parametrize("n, d, k, seed", [(300, 2, 3, 0), (1000, 16, 10, 1), (2500, 4, 10, 2), (500, 784, 7, 3)])
def test_silhouette_equals_scikit_learn(n, d, k, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    x = (rng.normal(size=(n, d)) + 2.0 * labels[:, None] * (rng.random(d) > 0.5)).astype(np.float32)
    # float32 points: scikit-learn sums their float32 distances, ours are float64 sums; both
    # take distances from |x|^2 + |y|^2 - 2 x.y, in another order
    assert metrics.silhouette(x, labels) == pytest.approx(skm.silhouette_score(x, labels), rel=1e-6, abs=1e-7)
    assert metrics.silhouette(x.astype(np.float64), labels) == pytest.approx(
        skm.silhouette_score(x.astype(np.float64), labels), rel=1e-7, abs=1e-12)


def test_silhouette_subset_is_the_one_scikit_learn_draws():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 5, size=2000)
    x = rng.normal(size=(2000, 3)) + labels[:, None]
    for seed in (0, 7):
        assert metrics.silhouette(x, labels, sample_size=500, seed=seed) == pytest.approx(
            skm.silhouette_score(x, labels, sample_size=500, random_state=seed), rel=1e-9)
    assert metrics.silhouette(x, labels, sample_size=500, seed=0) != metrics.silhouette(x, labels, sample_size=500, seed=7)


def test_silhouette_singletons_score_zero_as_in_scikit_learn():
    x = np.array([[0.0], [0.1], [0.2], [5.0], [9.0], [9.1]])
    labels = np.array([0, 0, 0, 1, 2, 2])  # cluster 1 is a single point
    assert metrics.silhouette(x, labels) == pytest.approx(skm.silhouette_score(x, labels), rel=1e-12)


def test_silhouette_refuses_bad_input():
    with pytest.raises(ValueError, match="x and labels differ in length: 4 vs 3"):
        metrics.silhouette(np.zeros((4, 2)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="x contains NaN or infinity"):
        metrics.silhouette(np.array([[0.0], [np.nan], [1.0], [2.0]]), np.array([0, 0, 1, 1]))
    assert np.isnan(metrics.silhouette(np.random.rand(4, 2), np.arange(4)))  # every point its own cluster
