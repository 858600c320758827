"""Spectrogram autoencoder: pooled embedding, exact reconstruction shape, fit through the engine."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentlib.audio.models import SpectrogramAutoencoder, SpectrogramConfig
from latentlib.training.autoencoder import Autoencoder, TrainConfig, fit_autoencoder


@pytest.mark.parametrize("shape, channels", [((1, 64, 173), (8, 16, 32)), ((1, 32, 173), (8, 16)),
                                             ((1, 7, 9), (4,)), ((1, 128, 173), (4, 4, 4, 4))])
def test_reconstruction_has_the_input_shape_and_embedding_is_the_pool(shape, channels):
    torch.manual_seed(0)
    model = SpectrogramConfig(input_shape=shape, channels=channels, embedding_size=12).build().eval()
    assert isinstance(model, SpectrogramAutoencoder) and isinstance(model, Autoencoder)
    x = torch.rand(3, *shape)
    with torch.no_grad():
        reconstruction, z = model(x)
    assert reconstruction.shape == x.shape
    assert float(reconstruction.min()) >= 0 and float(reconstruction.max()) <= 1
    with torch.no_grad():
        maps = model.feature_maps(x)
    assert maps.shape[:2] == (3, 12)
    # the embedding is the global average pool of the bottleneck maps: one value per filter
    assert z.shape == (3, 12)
    torch.testing.assert_close(z, maps.mean(dim=(2, 3)))
    with torch.no_grad():
        torch.testing.assert_close(model.encode(x), torch.nn.functional.adaptive_avg_pool2d(maps, 1).flatten(1))
    # each conv block halves the spectrogram (rounding up)
    expected = [shape[1], shape[2]]
    for _ in channels:
        expected = [(s + 1) // 2 for s in expected]
    assert list(maps.shape[2:]) == expected


def test_bad_configs_name_the_parameter():
    with pytest.raises(ValueError, match="embedding_size"):
        SpectrogramConfig(embedding_size=0)
    with pytest.raises(ValueError, match="channels"):
        SpectrogramConfig(channels=())
    with pytest.raises(ValueError, match="input_shape"):
        SpectrogramConfig(input_shape=(1, 4, 173), channels=(8, 8, 8))


def test_fit_autoencoder_trains_it_and_the_loss_falls(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((24, 1, 16, 20), dtype=np.float32) * 0.2
    x[:, :, 4:8] += 0.6  # a shared structure the decoder can learn
    config = SpectrogramConfig(input_shape=(1, 16, 20), channels=(4, 8), embedding_size=6)
    fit = fit_autoencoder(config, TrainConfig(epochs=15, batch_size=8, learning_rate=1e-2), x,
                          device="cpu", progress=False)
    assert fit.history[-1] < 0.5 * fit.history[0]
    again = fit_autoencoder(config, TrainConfig(epochs=15, batch_size=8, learning_rate=1e-2), x,
                            device="cpu", progress=False)
    assert again.from_cache and again.history == fit.history
    with torch.no_grad():
        torch.testing.assert_close(again.model.encode(torch.from_numpy(x)), fit.model.encode(torch.from_numpy(x)))


@pytest.mark.parametrize(("shape", "message"), [
    # not a sequence: the length used to be taken first, a TypeError
    (64, r"input_shape must be \(channels, mel bands, frames\): three positive ints, got 64"),
    ((1, 64), r"input_shape must be \(channels, mel bands, frames\): three positive ints, got \(1, 64\)"),
    ((1, "64", 173), r"input_shape\[1\] must be a positive int, got '64'"),
    ((1, 64, True), r"input_shape\[2\] must be a positive int, got True"),
    ((1, 4, 173), r"input_shape must be .*bands and frames >= 2 \*\* len\(channels\) = 8, got \(1, 4, 173\)"),
])
def test_a_bad_input_shape_is_named_with_what_is_allowed(shape, message):
    with pytest.raises(ValueError, match=message):
        SpectrogramConfig(input_shape=shape, channels=(8, 8, 8))


def test_channel_widths_may_repeat_and_a_bad_one_is_named():
    assert SpectrogramConfig(channels=(4, 4)).channels == (4, 4)
    with pytest.raises(ValueError, match=r"channels\[1\] must be a positive int"):
        SpectrogramConfig(channels=(4, 0))
    with pytest.raises(ValueError, match=r"embedding_size \(bottleneck filters\) must be a positive int"):
        SpectrogramConfig(embedding_size=True)


def test_build_gives_a_fresh_model_drawn_from_the_torch_seed():
    config = SpectrogramConfig(input_shape=(1, 16, 20), channels=(4, 8), embedding_size=6)
    torch.manual_seed(0)
    first = config.build()
    torch.manual_seed(0)
    second = config.build()
    assert first is not second and first.config is config
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


@pytest.mark.parametrize("shape, channels", [((1, 64, 173), (8, 16, 32)), ((1, 7, 9), (4,))])
def test_the_true_bottleneck_decodes_from_the_pooled_vector_alone(shape, channels):
    from latentlib.audio.models import PooledBottleneckAutoencoder, PooledBottleneckConfig

    torch.manual_seed(0)
    model = PooledBottleneckConfig(input_shape=shape, channels=channels, embedding_size=5).build().eval()
    assert isinstance(model, PooledBottleneckAutoencoder)
    x = torch.rand(2, *shape)
    with torch.no_grad():
        reconstruction, z = model(x)
        maps = model.feature_maps(x)
        assert z.shape == (2, 5) and reconstruction.shape == x.shape
        torch.testing.assert_close(z, maps.mean(dim=(2, 3)))
        assert model.map_shape == tuple(maps.shape[1:])
        # the reconstruction is a function of the pooled vector only
        torch.testing.assert_close(reconstruction, model.decode(z))
    # same encoder and decoder as the paper's model, plus the linear expansion
    paper = SpectrogramConfig(input_shape=shape, channels=channels, embedding_size=5).build()
    extra = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in paper.parameters())
    assert extra == 5 * int(np.prod(model.map_shape)) + int(np.prod(model.map_shape))
    with pytest.raises(ValueError, match="embedding_size"):
        PooledBottleneckConfig(embedding_size=0)
