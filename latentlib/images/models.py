"""Image autoencoders: an encoder to an embedding of size d and a decoder back to the image.

Each config is a frozen dataclass whose ``build()`` returns its model; the fit engine keys
the cache by the config and by this module's source."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from latentlib.training.autoencoder import Autoencoder, check_embedding_size
from latentlib.images.config import BOTTLENECKS
from latentlib.validation import check_choice, check_int_tuple, fail


class L2Normalise(nn.Module):
    """Scales each code to unit Euclidean length (a normalised bottleneck)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(z, dim=1)


def bottleneck_layers(bottleneck: str) -> list[nn.Module]:
    """The layers appended to an encoder for ``bottleneck``."""
    return {"linear": [], "sigmoid": [nn.Sigmoid()], "l2": [L2Normalise()]}[bottleneck]


@dataclass(frozen=True)
class MLPConfig:
    """Fully connected autoencoder (paper III-A1: z = f(x), x_hat = g(z))."""

    input_shape: tuple[int, ...] = (1, 28, 28)
    hidden_sizes: tuple[int, ...] = (512, 256)
    embedding_size: int = 2
    bottleneck: str = "linear"

    def __post_init__(self) -> None:
        check_embedding_size(self.embedding_size)
        check_int_tuple("hidden_sizes", tuple(self.hidden_sizes), allow_empty=True, distinct=False)
        check_choice("bottleneck", self.bottleneck, BOTTLENECKS)

    def build(self) -> "MLPAutoencoder":
        return MLPAutoencoder(self)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:  # no activation on the last layer: the caller decides
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MLPAutoencoder(Autoencoder):
    """Encoder ``input -> hidden_sizes -> d`` (linear embedding unless ``bottleneck`` says
    otherwise), mirrored decoder with a sigmoid output so reconstructions live in [0, 1]
    like the pixels."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        n_input = math.prod(config.input_shape)
        sizes = [n_input, *config.hidden_sizes, config.embedding_size]
        self.encoder = nn.Sequential(nn.Flatten(), _mlp(sizes), *bottleneck_layers(config.bottleneck))
        self.decoder = nn.Sequential(_mlp(sizes[::-1]), nn.Sigmoid(), nn.Unflatten(1, config.input_shape))


@dataclass(frozen=True)
class ConvConfig:
    """Convolutional autoencoder for images (paper III-B2).

    Encoder ``z = f(x) = pool(conv(conv(x)))`` then a linear map to the embedding
    size d; decoder ``x_hat = g(z) = conv(up(conv(up(h(z)))))``, where ``h`` maps z back
    to the pooled feature map (a 1x1 map's transposed convolution is a linear layer).
    Height and width must be divisible by 4 (one strided conv, one pool).
    """

    input_shape: tuple[int, ...] = (1, 28, 28)
    channels: tuple[int, int] = (16, 32)
    embedding_size: int = 8
    bottleneck: str = "linear"

    def __post_init__(self) -> None:
        check_embedding_size(self.embedding_size)
        check_choice("bottleneck", self.bottleneck, BOTTLENECKS)
        check_int_tuple("conv_channels", tuple(self.channels), distinct=False)
        if len(self.channels) != 2:
            fail("conv_channels", self.channels, "two positive ints (channels of conv1 and conv2)")
        if len(self.input_shape) != 3 or self.input_shape[1] % 4 or self.input_shape[2] % 4:
            fail("input_shape", self.input_shape, "(channels, height, width) with height and width divisible by 4")

    def build(self) -> "ConvAutoencoder":
        return ConvAutoencoder(self)


class ConvAutoencoder(Autoencoder):
    """conv(3x3) -> conv(3x3, stride 2) -> max-pool 2 -> linear to d; the decoder mirrors it
    with nearest-neighbour upsampling and 3x3 convolutions, sigmoid output."""

    def __init__(self, config: ConvConfig) -> None:
        super().__init__()
        self.config = config
        c_in, height, width = config.input_shape
        c1, c2 = config.channels
        self.feature_shape = (c2, height // 4, width // 4)
        n_features = math.prod(self.feature_shape)
        self.encoder = nn.Sequential(
            nn.Conv2d(c_in, c1, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(n_features, config.embedding_size),
            *bottleneck_layers(config.bottleneck),
        )
        self.decoder = nn.Sequential(
            nn.Linear(config.embedding_size, n_features), nn.ReLU(),
            nn.Unflatten(1, self.feature_shape),
            nn.Upsample(scale_factor=2), nn.Conv2d(c2, c1, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2), nn.Conv2d(c1, c_in, 3, padding=1), nn.Sigmoid(),
        )
