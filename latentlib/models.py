"""Autoencoders: an encoder to an embedding of size d and a decoder back to the input."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class MLPConfig:
    """Fully connected autoencoder (paper III-A1: z = f(x), x_hat = g(z))."""

    input_shape: tuple[int, ...] = (1, 28, 28)
    hidden_sizes: tuple[int, ...] = (512, 256)
    embedding_size: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.embedding_size, bool) or not isinstance(self.embedding_size, int) or self.embedding_size < 1:
            raise ValueError(f"embedding_size must be a positive int, got {self.embedding_size!r}")
        for size in self.hidden_sizes:
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValueError(f"hidden_sizes must hold positive ints, got {self.hidden_sizes!r}")


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:  # no activation on the last layer: the caller decides
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """What every autoencoder here shares: ``encoder`` and ``decoder`` modules set by the
    subclass, ``encode`` / ``decode``, and a forward pass returning both outputs."""

    encoder: nn.Module
    decoder: nn.Module

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(reconstruction, embedding)``."""
        z = self.encode(x)
        return self.decode(z), z


class MLPAutoencoder(Autoencoder):
    """Encoder ``input -> hidden_sizes -> d`` (linear embedding), mirrored decoder with a
    sigmoid output so reconstructions live in [0, 1] like the pixels."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        n_input = math.prod(config.input_shape)
        sizes = [n_input, *config.hidden_sizes, config.embedding_size]
        self.encoder = nn.Sequential(nn.Flatten(), _mlp(sizes))
        self.decoder = nn.Sequential(_mlp(sizes[::-1]), nn.Sigmoid(), nn.Unflatten(1, config.input_shape))


def build_model(config: MLPConfig) -> nn.Module:
    """The model a config describes (one place to add model kinds)."""
    if isinstance(config, MLPConfig):
        return MLPAutoencoder(config)
    if isinstance(config, ConvConfig):
        return ConvAutoencoder(config)
    if isinstance(config, SpectrogramConfig):
        return SpectrogramAutoencoder(config)
    raise TypeError(f"no model for config of type {type(config).__name__}")


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

    def __post_init__(self) -> None:
        if isinstance(self.embedding_size, bool) or not isinstance(self.embedding_size, int) or self.embedding_size < 1:
            raise ValueError(f"embedding_size must be a positive int, got {self.embedding_size!r}")
        if len(self.channels) != 2 or any(isinstance(c, bool) or not isinstance(c, int) or c < 1
                                          for c in self.channels):
            raise ValueError(f"conv channels must be two positive ints (conv1, conv2), got {self.channels!r}")
        if len(self.input_shape) != 3 or self.input_shape[1] % 4 or self.input_shape[2] % 4:
            raise ValueError(f"input_shape must be (channels, height, width) with height and width "
                             f"divisible by 4, got {self.input_shape!r}")


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
        )
        self.decoder = nn.Sequential(
            nn.Linear(config.embedding_size, n_features), nn.ReLU(),
            nn.Unflatten(1, self.feature_shape),
            nn.Upsample(scale_factor=2), nn.Conv2d(c2, c1, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2), nn.Conv2d(c1, c_in, 3, padding=1), nn.Sigmoid(),
        )


@dataclass(frozen=True)
class SpectrogramConfig:
    """Convolutional autoencoder for spectrograms (paper III-B2 and IV-A, audio).

    The encoder halves height and width with each strided convolution in ``channels``,
    then a 3x3 convolution gives ``embedding_size`` bottleneck filters. The embedding is
    the global average pool of those filters' feature maps ("embeddings are generated by
    global average pooling the filters obtained at the bottleneck layer"), so its size
    is the number of bottleneck filters; the decoder reconstructs from the full maps.
    Any input height and width work: transposed convolutions restore the exact shape.
    """

    input_shape: tuple[int, int, int] = (1, 64, 173)
    channels: tuple[int, ...] = (16, 32, 64)
    embedding_size: int = 32

    def __post_init__(self) -> None:
        if isinstance(self.embedding_size, bool) or not isinstance(self.embedding_size, int) or self.embedding_size < 1:
            raise ValueError(f"embedding_size must be a positive int (bottleneck filters), got {self.embedding_size!r}")
        if not self.channels or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in self.channels):
            raise ValueError(f"channels must be a non-empty list of positive ints, got {self.channels!r}")
        if (len(self.input_shape) != 3 or any(not isinstance(s, int) or s < 1 for s in self.input_shape)
                or min(self.input_shape[1:]) < 2 ** len(self.channels)):
            raise ValueError(f"input_shape must be (channels, mel bands, frames) with bands and frames >= "
                             f"2 ** len(channels) = {2 ** len(self.channels)}, got {self.input_shape!r}")


def _conv_block(c_in: int, c_out: int, *, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]


class SpectrogramAutoencoder(Autoencoder):
    """Strided conv blocks (conv 3x3, batch norm, ReLU) down to ``embedding_size`` maps;
    the decoder mirrors them with transposed convolutions and ends in a sigmoid, since
    the log-mel features are scaled to [0, 1]."""

    def __init__(self, config: SpectrogramConfig) -> None:
        super().__init__()
        self.config = config
        c_in, height, width = config.input_shape
        sizes = [(height, width)]
        for _ in config.channels:  # a 3x3 conv with stride 2 and padding 1 gives ceil(n / 2)
            sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
        widths = [c_in, *config.channels]
        encoder: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            encoder += _conv_block(a, b, stride=2)
        encoder += _conv_block(widths[-1], config.embedding_size, stride=1)
        self.encoder = nn.Sequential(*encoder)

        decoder: list[nn.Module] = _conv_block(config.embedding_size, widths[-1], stride=1)
        for step in range(len(config.channels), 0, -1):
            target = sizes[step - 1]
            # output_padding 1 where the larger map had an even size, so shapes match exactly
            padding = tuple(1 - s % 2 for s in target)
            decoder.append(nn.ConvTranspose2d(widths[step], widths[step - 1], 3, stride=2, padding=1,
                                              output_padding=padding))
            if step > 1:
                decoder += [nn.BatchNorm2d(widths[step - 1]), nn.ReLU()]
        decoder.append(nn.Sigmoid())
        self.decoder = nn.Sequential(*decoder)

    def feature_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Bottleneck activations: batch x embedding_size x (height / 2^k) x (width / 2^k)."""
        return self.encoder(x)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The embedding: global average pool of each bottleneck filter (batch x embedding_size)."""
        return self.feature_maps(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(reconstruction, pooled embedding)``; the decoder sees the full maps."""
        maps = self.feature_maps(x)
        return self.decoder(maps), maps.mean(dim=(2, 3))
