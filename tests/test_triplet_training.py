"""MSE + lambda * triplet training: P x K batches, cache keys, determinism, bad input."""

import numpy as np
import pytest
import torch
from image_fixtures import noisy_blobs

from latentlib.evaluation.evaluate import encode
from latentlib.images.losses import TripletConfig
from latentlib.evaluation.metrics import cluster_accuracy
from latentlib.images.models import ConvConfig, MLPConfig
from latentlib.evaluation.evaluate import kmeans_labels
from latentlib.training.autoencoder import TrainConfig
from latentlib.training.fit import cache_dir
from latentlib.images.training import check_class_balanced, class_balanced_batches
from latentlib.images.training import fit_image_autoencoder as fit_autoencoder

MODEL = MLPConfig(input_shape=(1, 8, 8), hidden_sizes=(32,), embedding_size=3)
TRIPLET = TripletConfig(classes_per_batch=4, samples_per_class=8)


@pytest.fixture
def blobs():
    """Four classes that differ only slightly against strong pixel noise."""
    return noisy_blobs()


def test_pk_batches_hold_p_classes_of_k_samples():
    labels = np.repeat(np.arange(5), 12)
    generator = torch.Generator().manual_seed(0)
    batches = class_balanced_batches(labels, TripletConfig(classes_per_batch=3, samples_per_class=4), generator)
    assert len(batches) == len(labels) // 12
    for batch in batches:
        values, counts = np.unique(labels[batch.numpy()], return_counts=True)
        assert len(values) == 3 and set(counts) == {4}
        assert len(set(batch.tolist())) == 12


@pytest.mark.parametrize("labels, objective, message", [
    (np.repeat(np.arange(3), 10), TripletConfig(classes_per_batch=4, samples_per_class=2), "at most the 3 classes"),
    (np.repeat(np.arange(4), 3), TripletConfig(classes_per_batch=4, samples_per_class=5),
     "lower samples_per_class"),
])
def test_impossible_batches_fail_before_training(labels, objective, message):
    with pytest.raises(ValueError, match=message):
        check_class_balanced(labels, objective)
    x = np.zeros((len(labels), 1, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        fit_autoencoder(MODEL, TrainConfig(epochs=1), x, y_train=labels, objective=objective,
                        device="cpu", use_cache=False, progress=False)


def test_triplet_objective_needs_labels(blobs):
    x, _ = blobs
    with pytest.raises(ValueError, match="y_train is required"):
        fit_autoencoder(MODEL, TrainConfig(epochs=1), x, objective=TRIPLET, device="cpu", progress=False)


def test_triplet_term_makes_the_classes_separable(blobs):
    x, y = blobs
    train = TrainConfig(epochs=15, batch_size=32, learning_rate=3e-3)
    plain = fit_autoencoder(MODEL, train, x, device="cpu", use_cache=False, progress=False)
    triplet = fit_autoencoder(MODEL, train, x, y_train=y, objective=TRIPLET, device="cpu",
                              use_cache=False, progress=False)
    acc = {name: cluster_accuracy(y, kmeans_labels(encode(fit.model, x), n_clusters=4, seed=0))
           for name, fit in (("plain", plain), ("triplet", triplet))}
    assert acc["triplet"] > acc["plain"] + 0.2, acc
    info = triplet.info
    assert len(triplet.curves["mse"]) == len(triplet.curves["triplet"]) == 15
    assert triplet.curves["triplet"][-1] < triplet.curves["triplet"][0]
    assert info["final_d_an"] > info["final_d_ap"]


def test_cache_key_includes_the_objective_and_labels(blobs):
    x, y = blobs
    train = TrainConfig(epochs=1, batch_size=32)
    plain = fit_autoencoder(MODEL, train, x, device="cpu", progress=False)
    first = fit_autoencoder(MODEL, train, x, y_train=y, objective=TRIPLET, device="cpu", progress=False)
    again = fit_autoencoder(MODEL, train, x, y_train=y, objective=TRIPLET, device="cpu", progress=False)
    other_margin = fit_autoencoder(MODEL, train, x, y_train=y, device="cpu", progress=False,
                                   objective=TripletConfig(margin=0.5, classes_per_batch=4, samples_per_class=8))
    relabelled = fit_autoencoder(MODEL, train, x, y_train=y[::-1].copy(), objective=TRIPLET, device="cpu",
                                 progress=False)
    assert len({plain.key, first.key, other_margin.key, relabelled.key}) == 4
    assert again.from_cache and again.key == first.key
    assert again.curves == first.curves
    assert (cache_dir() / f"ae-{first.key}.pt").exists()


def test_triplet_fit_is_deterministic(blobs):
    x, y = blobs
    runs = [fit_autoencoder(MODEL, TrainConfig(epochs=2, batch_size=32, seed=3), x, y_train=y, objective=TRIPLET,
                            device="cpu", use_cache=False, progress=False) for _ in range(2)]
    assert runs[0].history == runs[1].history
    assert np.array_equal(encode(runs[0].model, x), encode(runs[1].model, x))


def test_conv_autoencoder_shapes_and_training():
    config = ConvConfig(input_shape=(1, 8, 8), channels=(4, 8), embedding_size=5)
    model = config.build()
    reconstruction, z = model(torch.rand(3, 1, 8, 8))
    assert reconstruction.shape == (3, 1, 8, 8) and z.shape == (3, 5)
    assert 0 <= reconstruction.min() and reconstruction.max() <= 1
    x = np.random.default_rng(0).random((64, 1, 8, 8)).astype(np.float32)
    fit = fit_autoencoder(config, TrainConfig(epochs=5, batch_size=16, learning_rate=3e-3), x, device="cpu",
                          use_cache=False, progress=False)
    assert fit.history[-1] < fit.history[0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(input_shape=(1, 10, 10)), "divisible by 4"),
    (dict(channels=(4,)), "two positive ints"),
    (dict(embedding_size=0), "embedding_size must be a positive int"),
])
def test_conv_config_rejects_bad_shapes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvConfig(**kwargs)
