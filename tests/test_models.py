import pytest
import torch

from latentlib.images.models import MLPAutoencoder, MLPConfig


@pytest.mark.parametrize("size", [1, 2, 32])
def test_mlp_autoencoder_shapes(size):
    model = MLPConfig(input_shape=(1, 28, 28), hidden_sizes=(64, 32), embedding_size=size).build()
    x = torch.rand(5, 1, 28, 28)
    reconstruction, z = model(x)
    assert isinstance(model, MLPAutoencoder)
    assert z.shape == (5, size)
    assert reconstruction.shape == x.shape
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1
    assert torch.equal(model.encode(x), z)


def test_mlp_without_hidden_layers_is_linear_encoder():
    model = MLPConfig(input_shape=(4,), hidden_sizes=(), embedding_size=2).build()
    assert len([m for m in model.encoder.modules() if isinstance(m, torch.nn.Linear)]) == 1


@pytest.mark.parametrize("size", [0, -3, 2.0, True])
def test_bad_embedding_size(size):
    with pytest.raises(ValueError, match="embedding_size must be a positive int"):
        MLPConfig(embedding_size=size)
