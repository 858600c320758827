"""Fit loop for autoencoders: tensors on the device, seeded, cached by config.

The whole training set lives as one tensor on the device and batches are index slices
of a seeded permutation: no per-item ``DataLoader`` overhead (see
``benchmarks/fit_throughput.py`` for the measured ratio).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm  # text bars: the book drops stderr, no widget state needed

from latentlib import __version__
from latentlib.config import check_positive_float, check_positive_int
from latentlib.data.common import data_root
from latentlib.losses import TripletConfig, check_triplet_batch
from latentlib.models import build_model

# bump when a change to the loop makes old cached weights wrong
CACHE_FORMAT = 1


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
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")


@dataclass
class FitResult:
    """A trained model with its per-epoch mean loss and how long the fit took."""

    model: nn.Module
    history: list[float]
    seconds: float
    from_cache: bool
    key: str
    info: dict[str, Any] = field(default_factory=dict)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) in one place."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but no CUDA device is visible; use device='auto' or 'cpu'")
    return torch.device(name)


def cache_dir() -> Path:
    """Where trained weights are cached: ``$LATENTLIB_CACHE`` or ``<data root>/fits``."""
    return Path(os.environ.get("LATENTLIB_CACHE") or data_root() / "fits").expanduser()


def fingerprint(array: np.ndarray) -> str:
    """Content hash of a training set, so a cached fit is reused only on the same data."""
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha1(contiguous.tobytes())
    digest.update(str((contiguous.shape, contiguous.dtype.str)).encode())
    return digest.hexdigest()


def fit_key(model_config: Any, train_config: TrainConfig, data_fingerprint: str,
            objective: TripletConfig | None = None) -> str:
    """Cache key of a fit. The plain-MSE key is unchanged from the first cache format;
    an embedding objective (and the labels it trains on) is added to the payload."""
    payload = {
        "format": CACHE_FORMAT,
        "model_type": type(model_config).__name__,
        "model": dataclasses.asdict(model_config),
        "train": dataclasses.asdict(train_config),
        "data": data_fingerprint,
    }
    if objective is not None:
        payload["objective"] = {"kind": "mse+triplet", **dataclasses.asdict(objective)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A seeded shuffle of ``range(n)`` cut into batches (the last one may be short)."""
    order = torch.randperm(n, generator=generator)
    return list(order.split(batch_size))


def check_class_balanced(labels: np.ndarray, objective: TripletConfig) -> None:
    """Fail before training when P x K class-balanced batches cannot be drawn."""
    values, counts = np.unique(labels, return_counts=True)
    if len(values) < objective.classes_per_batch:
        raise ValueError(
            f"classes_per_batch={objective.classes_per_batch} but y_train has only {len(values)} "
            f"classes; use classes_per_batch <= {len(values)}"
        )
    usable = int((counts >= objective.samples_per_class).sum())
    if usable < objective.classes_per_batch:
        raise ValueError(
            f"samples_per_class={objective.samples_per_class} but only {usable} classes have that many "
            f"training samples (fewest: {counts.min()}); lower samples_per_class or classes_per_batch"
        )


def class_balanced_batches(labels: np.ndarray, objective: TripletConfig,
                           generator: torch.Generator) -> list[torch.Tensor]:
    """One epoch of P x K batches (P classes, K samples each, no repeats within a batch).

    An epoch has ``len(labels) // (P * K)`` batches, so it sees about as many samples
    as a pass over the data.
    """
    classes = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    classes = [torch.from_numpy(members) for members in classes if len(members) >= objective.samples_per_class]
    n_batches = max(1, len(labels) // objective.batch_size)
    batches = []
    for _ in range(n_batches):
        chosen = torch.randperm(len(classes), generator=generator)[: objective.classes_per_batch]
        parts = [classes[c][torch.randperm(len(classes[c]), generator=generator)[: objective.samples_per_class]]
                 for c in chosen.tolist()]
        batches.append(torch.cat(parts))
    return batches


def fit_autoencoder(
    model_config: Any,
    train_config: TrainConfig,
    x_train: np.ndarray,
    *,
    device: str | torch.device = "auto",
    use_cache: bool = True,
    progress: bool = True,
    desc: str | None = None,
    y_train: np.ndarray | None = None,
    objective: TripletConfig | None = None,
) -> FitResult:
    """Train ``build_model(model_config)`` to reconstruct ``x_train`` with Adam + MSE,
    or with ``MSE + objective.weight * triplet`` when an ``objective`` is given.

    A finished fit is saved under :func:`cache_dir` with a key derived from the model
    config, the train config and the content of ``x_train``; the same call then loads it
    instead of training again.

    Parameters
    ----------
    model_config
        Architecture (for example :class:`latentlib.models.MLPConfig`).
    train_config
        Epochs, batch size, learning rate and seed.
    x_train
        Float32 inputs in [0, 1], shaped like ``model_config.input_shape`` per item.
    y_train
        Integer labels, required with an ``objective`` (the triplet term is supervised).
    objective
        :class:`latentlib.losses.TripletConfig`: margin, miner, distance, lambda and
        the P x K class-balanced batches that replace ``train_config.batch_size``.
        ``history`` is then the total loss; ``info`` adds the MSE and triplet parts per
        epoch and the last epoch's mean anchor-positive / anchor-negative distances.

    Raises
    ------
    ValueError
        Before any training, for labels that cannot fill the P x K batches.
    """
    device = resolve_device(device) if isinstance(device, str) else device
    x_train = np.asarray(x_train, dtype=np.float32)
    if x_train.ndim < 2 or len(x_train) == 0:
        raise ValueError(f"x_train must be a non-empty batch of inputs, got shape {x_train.shape}")
    labels = None
    data_hash = fingerprint(x_train)
    if objective is not None:
        if y_train is None:
            raise ValueError("y_train is required with a triplet objective (the triplet loss uses labels)")
        labels = np.asarray(y_train)
        if labels.shape != (len(x_train),):
            raise ValueError(f"y_train must hold one label per input: shape {labels.shape} vs {len(x_train)} inputs")
        check_class_balanced(labels, objective)
        data_hash = hashlib.sha1((data_hash + fingerprint(labels)).encode()).hexdigest()
    key = fit_key(model_config, train_config, data_hash, objective)
    path = cache_dir() / f"{key}.pt"

    if use_cache and path.exists():
        cached = _load_cached(path, model_config, device)
        if cached is not None:
            return cached

    set_seed(train_config.seed)
    model = build_model(model_config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=train_config.learning_rate)
    x = torch.from_numpy(x_train).to(device)
    generator = torch.Generator().manual_seed(train_config.seed)
    history: list[float] = []

    info: dict[str, Any] = {"device": str(device), "n_train": len(x_train)}

    start = time.perf_counter()
    model.train()
    epochs = tqdm(range(train_config.epochs), desc=desc or "fit", disable=not progress, leave=False)
    if objective is None:
        for _ in epochs:
            total = torch.zeros((), device=device)
            for idx in batch_indices(len(x), train_config.batch_size, generator):
                batch = x[idx.to(device)]
                reconstruction, _ = model(batch)
                loss = nn.functional.mse_loss(reconstruction, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(idx)
            history.append(float(total) / len(x))
            epochs.set_postfix(loss=f"{history[-1]:.4f}")
    else:
        history, parts = _fit_triplet(model, optimizer, x, labels, objective, generator, epochs, device)
        info.update(parts)
    seconds = time.perf_counter() - start
    model.eval()

    result = FitResult(model=model, history=history, seconds=seconds, from_cache=False, key=key, info=info)
    if use_cache:
        _save_cached(path, result, model_config, train_config)
    return result


def _fit_triplet(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, labels: np.ndarray,
                 objective: TripletConfig, generator: torch.Generator, epochs: Any,
                 device: torch.device) -> tuple[list[float], dict[str, Any]]:
    """The epochs of ``MSE + weight * triplet`` on P x K batches (see fit_autoencoder)."""
    criterion = objective.build()
    y = torch.from_numpy(labels).to(device)
    history: list[float] = []
    parts: dict[str, Any] = {"history_mse": [], "history_triplet": [], "history_active": []}
    for _ in epochs:
        sums = np.zeros(3)
        d_ap, d_an = [], []
        batches = class_balanced_batches(labels, objective, generator)
        check_triplet_batch(labels[batches[0].numpy()])
        for idx in batches:
            idx = idx.to(device)
            batch = x[idx]
            reconstruction, z = model(batch)
            mse = nn.functional.mse_loss(reconstruction, batch)
            triplet = criterion(z, y[idx])
            loss = mse + objective.weight * triplet
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums += [float(mse.detach()), float(triplet.detach()), criterion.last_stats["active"]]
            d_ap.append(criterion.last_stats["d_ap"])
            d_an.append(criterion.last_stats["d_an"])
        # plain floats: the cache is read back with torch.load(weights_only=True)
        mse_mean, triplet_mean, active = (float(v) for v in sums / len(batches))
        history.append(mse_mean + objective.weight * triplet_mean)
        parts["history_mse"].append(mse_mean)
        parts["history_triplet"].append(triplet_mean)
        parts["history_active"].append(active)
        parts["final_d_ap"] = float(np.nanmean(d_ap))
        parts["final_d_an"] = float(np.nanmean(d_an))
        epochs.set_postfix(mse=f"{mse_mean:.4f}", triplet=f"{triplet_mean:.3f}")
    return history, parts


def _save_cached(path: Path, result: FitResult, model_config: Any, train_config: TrainConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(
        {
            "state_dict": {k: v.cpu() for k, v in result.model.state_dict().items()},
            "history": result.history,
            "seconds": result.seconds,
            "info": result.info,
            "model_config": dataclasses.asdict(model_config),
            "train_config": dataclasses.asdict(train_config),
            "latentlib": __version__,
        },
        temporary,
    )
    os.replace(temporary, path)  # atomic: a crash never leaves half a checkpoint


def _load_cached(path: Path, model_config: Any, device: torch.device) -> FitResult | None:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = build_model(model_config)
        model.load_state_dict(saved["state_dict"])
    except Exception as error:  # unreadable or mismatched cache: train again, say so
        warnings.warn(f"ignoring unreadable cached fit {path.name} ({error}); training again")
        return None
    model.to(device).eval()
    return FitResult(model=model, history=list(saved["history"]), seconds=float(saved["seconds"]),
                     from_cache=True, key=path.stem, info=dict(saved.get("info", {})))
