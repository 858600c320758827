"""What every array autoencoder shares (images and spectrograms): the model interface,
the optimisation settings, and the reconstruction trainer of the fit engine.

A model config (``MLPConfig``, ``ConvConfig``, ``SpectrogramConfig``) is a frozen
dataclass with a ``build()`` method returning its :class:`Autoencoder`; the trainer
keys the fit cache by the config's type, its fields, the training settings, the data's
content and the source of the module that defines the model.

The whole training set lives as one tensor on the device and batches are index slices
of a seeded permutation: no per-item ``DataLoader`` overhead (see
``benchmarks/fit_throughput.py`` for the measured ratio).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from latentlib.training.fit import FitResult, Trainer, batch_indices, fingerprint, run_fit
from latentlib.validation import check_positive_float, check_positive_int, check_seed


class Autoencoder(nn.Module):
    """``encoder`` and ``decoder`` modules set by the subclass, ``encode`` / ``decode``,
    and a forward pass returning ``(reconstruction, embedding)``."""

    encoder: nn.Module
    decoder: nn.Module

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(x)
        return self.decode(z), z


def check_embedding_size(value: Any, what: str = "") -> None:
    """The one embedding-size check of every model config."""
    check_positive_int("embedding_size" + (f" ({what})" if what else ""), value)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one fit (Adam on the MSE reconstruction loss)."""

    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        check_seed("seed", self.seed)


def as_inputs(x_train: np.ndarray) -> np.ndarray:
    x_train = np.asarray(x_train, dtype=np.float32)
    if x_train.ndim < 2 or len(x_train) == 0:
        raise ValueError(f"x_train must be a non-empty batch of inputs, got shape {x_train.shape}")
    return x_train


class ReconstructionTrainer(Trainer):
    """Adam on ``MSE(decode(encode(x)), x)`` over seeded shuffled batches."""

    kind = "ae"

    def __init__(self, model_config: Any, train_config: TrainConfig, x_train: np.ndarray) -> None:
        self.model_config, self.train_config = model_config, train_config
        self.x_train = as_inputs(x_train)
        self.seed, self.epochs = train_config.seed, train_config.epochs
        self.code = (__name__, type(model_config).__module__)
        self.data_hash = fingerprint(self.x_train)

    def payload(self) -> dict[str, Any]:
        return {"model_type": type(self.model_config).__name__, "model": dataclasses.asdict(self.model_config),
                "train": dataclasses.asdict(self.train_config), "data": self.data_hash}

    def build(self) -> dict[str, nn.Module]:
        return {"model": self.model_config.build()}

    def start(self, modules: dict[str, nn.Module], device: torch.device) -> None:
        self.model, self.device = modules["model"], device
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.train_config.learning_rate)
        self.x = torch.from_numpy(self.x_train).to(device)
        self.generator = torch.Generator().manual_seed(self.train_config.seed)
        self.model.train()

    def epoch(self) -> dict[str, float]:
        total = torch.zeros((), device=self.device)
        for idx in batch_indices(len(self.x), self.train_config.batch_size, self.generator):
            batch = self.x[idx.to(self.device)]
            reconstruction, _ = self.model(batch)
            loss = nn.functional.mse_loss(reconstruction, batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += loss.detach() * len(idx)
        return {"loss": float(total) / len(self.x)}

    def info(self) -> dict[str, Any]:
        return {"n_train": len(self.x_train)}

    def postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {"loss": f"{values['loss']:.4f}"}


def fit_autoencoder(model_config: Any, train_config: TrainConfig, x_train: np.ndarray, *,
                    device: str | torch.device = "auto", precision: str = "fp32", use_cache: bool = True,
                    progress: bool = True, desc: str | None = None) -> FitResult:
    """Train ``model_config.build()`` to reconstruct ``x_train`` with Adam + MSE (or load
    the cached fit of the same config, data and code).

    Parameters
    ----------
    model_config
        Architecture with a ``build()`` method (``MLPConfig``, ``SpectrogramConfig`` ...).
    train_config
        Epochs, batch size, learning rate and seed.
    x_train
        Float32 inputs in [0, 1], shaped like ``model_config.input_shape`` per item.
    precision
        ``"fp32"`` or ``"bf16"`` (bf16 autocast, :func:`latentlib.training.precision.autocast`).
    """
    return run_fit(ReconstructionTrainer(model_config, train_config, x_train), device=device,
                   precision=precision, use_cache=use_cache, progress=progress, desc=desc)
