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


class MLPAutoencoder(nn.Module):
    """Encoder ``input -> hidden_sizes -> d`` (linear embedding), mirrored decoder with a
    sigmoid output so reconstructions live in [0, 1] like the pixels."""

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        n_input = math.prod(config.input_shape)
        sizes = [n_input, *config.hidden_sizes, config.embedding_size]
        self.encoder = nn.Sequential(nn.Flatten(), _mlp(sizes))
        self.decoder = nn.Sequential(_mlp(sizes[::-1]), nn.Sigmoid(), nn.Unflatten(1, config.input_shape))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(reconstruction, embedding)``."""
        z = self.encode(x)
        return self.decode(z), z


def build_model(config: MLPConfig) -> nn.Module:
    """The model a config describes (one place to add model kinds)."""
    if isinstance(config, MLPConfig):
        return MLPAutoencoder(config)
    raise TypeError(f"no model for config of type {type(config).__name__}")
