"""PCA baseline, kNN probe, clustering accuracy, N2D clustering."""

import itertools

import numpy as np
import pytest

from latentlib.evaluation.baselines import PCAEmbedding, flatten
from latentlib.evaluation.manifold import cluster_manifold
from latentlib.evaluation.metrics import cluster_accuracy
from latentlib.evaluation.probe import knn_accuracy


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.random((120, 1, 6, 6)).astype(np.float32), rng.random((30, 1, 6, 6)).astype(np.float32)


def test_pca_matches_an_svd_of_the_centred_training_data(images):
    train, test = images
    flat = flatten(train).astype(np.float64)
    mean = flat.mean(0)
    _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
    expected = (flatten(test) - mean) @ vt[:4].T
    z = PCAEmbedding(4, random_state=0).fit(train).transform(test)
    assert z.shape == (30, 4)
    for k in range(4):  # components are defined up to sign
        column = z[:, k] * np.sign(z[:, k] @ expected[:, k])
        np.testing.assert_allclose(column, expected[:, k], atol=1e-4)
    ratio = singular[:4] ** 2 / (singular ** 2).sum()
    pca = PCAEmbedding(4, random_state=0).fit(train)
    np.testing.assert_allclose(pca.explained_variance_ratio_, ratio, rtol=1e-4)


def test_pca_is_fitted_on_the_training_split_only(images):
    train, test = images
    a = PCAEmbedding(3).fit(train).transform(test)
    b = PCAEmbedding(3).fit(np.concatenate([train, test])).transform(test)
    assert not np.allclose(np.abs(a), np.abs(b), atol=1e-3)


def test_pca_reconstruction_with_all_components_is_exact(images):
    train, _ = images
    pca = PCAEmbedding(36).fit(train)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(train), (1, 6, 6)), train, atol=1e-4)


@pytest.mark.parametrize("bad", [0, 2.5, True, "4"])
def test_pca_rejects_a_size_that_is_not_a_positive_int_at_once(bad):
    with pytest.raises(ValueError, match=f"n_components must be an int >= 1, got {bad!r}"):
        PCAEmbedding(bad)


def test_pca_rejects_more_components_than_the_data_has(images):
    pca = PCAEmbedding(37)  # the data (36 pixels) bounds it only at fit
    with pytest.raises(ValueError, match=r"n_components must be an int in \[1, 36\] .*shape \(\d+, 36\).*got 37"):
        pca.fit(images[0])


@pytest.mark.parametrize("bad", [-1, 1.5, "0"])
def test_pca_rejects_a_bad_seed(bad):
    with pytest.raises(ValueError, match=f"random_state must be an int >= 0, got {bad!r}"):
        PCAEmbedding(4, random_state=bad)


def test_knn_probe_on_separable_and_random_labels():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    y = rng.integers(0, 3, 300)
    z = centres[y] + rng.normal(size=(300, 2))
    assert knn_accuracy(z[:200], y[:200], z[200:], y[200:]) == 1.0
    shuffled = rng.permutation(y)
    assert knn_accuracy(z[:200], shuffled[:200], z[200:], shuffled[200:]) < 0.6
    with pytest.raises(ValueError, match="n_neighbors"):
        knn_accuracy(z[:3], y[:3], z, y, n_neighbors=5)


def brute_force_accuracy(y_true, y_pred):
    """Best accuracy over every one-to-one map of cluster ids to class ids."""
    clusters, classes = np.unique(y_pred), np.unique(y_true)
    best = 0
    for image in itertools.permutations(classes, len(clusters)) if len(clusters) <= len(classes) else []:
        mapping = dict(zip(clusters, image))
        best = max(best, sum(mapping[p] == t for p, t in zip(y_pred, y_true)))
    return best / len(y_true)


@pytest.mark.parametrize("seed", range(5))
def test_cluster_accuracy_equals_a_brute_force_search(seed):
    rng = np.random.default_rng(seed)
    k = 4
    y_true = rng.integers(0, k, 60)
    y_pred = np.where(rng.random(60) < 0.6, (y_true + 1) % k, rng.integers(0, k, 60))
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(brute_force_accuracy(y_true, y_pred))


def test_gmm_and_kmeans_recover_well_separated_blobs():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 50)
    u = np.array([[0, 0], [8, 0], [0, 8]])[y] + rng.normal(scale=0.5, size=(150, 2))
    for method in ("gmm", "kmeans"):
        assert cluster_accuracy(y, cluster_manifold(u, n_clusters=3, method=method, seed=0)) == 1.0
    with pytest.raises(ValueError, match="method must be one of"):
        cluster_manifold(u, n_clusters=3, method="dbscan")
