import numpy as np
import pytest
import torch

from latentlib.evaluation.evaluate import encode
from latentlib.training.autoencoder import TrainConfig, batch_indices, fit_autoencoder
from latentlib.training.fit import cache_dir
from latentlib.images.models import MLPConfig


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    prototypes = rng.random((4, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 4, 256)
    x = np.clip(prototypes[labels] + rng.normal(scale=0.05, size=(256, 1, 8, 8)), 0, 1).astype(np.float32)
    return x


MODEL = MLPConfig(input_shape=(1, 8, 8), hidden_sizes=(32,), embedding_size=3)


def test_fit_lowers_the_loss(blobs):
    fit = fit_autoencoder(MODEL, TrainConfig(epochs=30, batch_size=32, learning_rate=3e-3), blobs,
                          device="cpu", use_cache=False, progress=False)
    assert len(fit.history) == 30
    assert fit.history[-1] < 0.5 * fit.history[0]


def test_same_seed_same_embeddings_on_cpu(blobs):
    torch.use_deterministic_algorithms(True)
    try:
        runs = [fit_autoencoder(MODEL, TrainConfig(epochs=3, batch_size=32, seed=7), blobs,
                                device="cpu", use_cache=False, progress=False) for _ in range(2)]
        other = fit_autoencoder(MODEL, TrainConfig(epochs=3, batch_size=32, seed=8), blobs,
                                device="cpu", use_cache=False, progress=False)
    finally:
        torch.use_deterministic_algorithms(False)
    first, second = (encode(run.model, blobs) for run in runs)
    assert np.array_equal(first, second)
    assert runs[0].history == runs[1].history
    assert not np.array_equal(first, encode(other.model, blobs))


def test_cache_reuses_a_finished_fit(blobs):
    config = TrainConfig(epochs=2, batch_size=64)
    trained = fit_autoencoder(MODEL, config, blobs, device="cpu", progress=False)
    loaded = fit_autoencoder(MODEL, config, blobs, device="cpu", progress=False)
    assert not trained.from_cache and loaded.from_cache
    assert loaded.key == trained.key and loaded.history == trained.history
    assert np.array_equal(encode(trained.model, blobs), encode(loaded.model, blobs))
    # other data or another config is another key
    changed = fit_autoencoder(MODEL, config, blobs[:128], device="cpu", progress=False)
    assert changed.key != trained.key and not changed.from_cache


def test_corrupt_cache_is_detected_and_refitted(blobs):
    config = TrainConfig(epochs=1, batch_size=64, seed=3)
    trained = fit_autoencoder(MODEL, config, blobs, device="cpu", progress=False)
    (cache_dir() / f"ae-{trained.key}.pt").write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="unreadable cached fit"):
        again = fit_autoencoder(MODEL, config, blobs, device="cpu", progress=False)
    assert not again.from_cache


def test_batches_cover_every_item_once():
    batches = batch_indices(10, 4, torch.Generator().manual_seed(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))


def test_bad_train_settings():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="x_train must be a non-empty batch"):
        fit_autoencoder(MODEL, TrainConfig(epochs=1), np.zeros((0, 1, 8, 8), np.float32), use_cache=False)
