"""The one fit engine: seeding, the epoch loop with progress, the cache key and cache I/O.

Every model of the book (image, spectrogram and text autoencoders) is trained here. The
model-specific part is a :class:`Trainer`: it builds its modules, prepares its
optimisers and runs one epoch; the engine does everything else, the same way for all:

1. the cache key is a hash of the trainer's payload (model config, training config,
   data fingerprint) *and of the code* of the modules that define the model and its
   step (their syntax trees without docstrings: :func:`executable_code`), so a changed
   model or loss never loads stale weights (no manual format number to bump) while an
   edited docstring or comment keeps every fit;
2. a cached fit is loaded when it exists and is readable; an unreadable one is refitted,
   with a warning;
3. otherwise the engine seeds Python, NumPy and torch, builds the modules, trains for
   ``epochs`` epochs with a progress bar, and saves the weights atomically.

The cache (the *store*) is the ``store`` argument of :func:`run_fit` when given, else
the store of the enclosing :func:`fit_store` block (how the executor points the fits
of a planned sweep at its store), else ``$LATENTLIB_CACHE``, else ``<data root>/fits``.

``precision="bf16"`` runs each epoch under bf16 autocast
(:func:`latentlib.training.precision.autocast`): the one place where mixed precision enters a
fit, so no trainer knows about it.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import hashlib
import importlib
import json
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm  # text bars: the book drops stderr, no widget state needed

from latentlib import __version__
from latentlib.events import emit, notice
from latentlib.training.precision import autocast, check_precision
from latentlib.data.sources import data_root


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) in one place."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but no CUDA device is visible; use device='auto' or 'cpu'")
    return torch.device(name)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (None: leave torch's setting)."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A seeded shuffle of ``range(n)`` cut into batches (the last one may be short)."""
    order = torch.randperm(n, generator=generator)
    return list(order.split(batch_size))


_STORE: contextvars.ContextVar[Path | None] = contextvars.ContextVar("latentlib_fit_store", default=None)


def cache_dir(store: str | os.PathLike | None = None) -> Path:
    """Where trained weights are cached: ``store`` when given, else the store of the
    enclosing :func:`fit_store` block, else ``$LATENTLIB_CACHE``, else ``<data root>/fits``."""
    chosen = store or _STORE.get() or os.environ.get("LATENTLIB_CACHE") or data_root() / "fits"
    return Path(chosen).expanduser()


@contextlib.contextmanager
def fit_store(store: str | os.PathLike) -> Iterator[Path]:
    """Every fit of the block (in this thread, in this process) that is given no
    ``store`` is cached in ``store``; the environment and other threads are untouched.
    The executor trains a planned fit in its sweep's store this way, through the study's
    own fit functions."""
    path = Path(store).expanduser()
    token = _STORE.set(path)
    try:
        yield path
    finally:
        _STORE.reset(token)


def fingerprint(array: np.ndarray) -> str:
    """Content hash of an array, so a cached fit is reused only on the same data."""
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha1(contiguous.tobytes())
    digest.update(str((contiguous.shape, contiguous.dtype.str)).encode())
    return digest.hexdigest()


def executable_code(source: str | bytes) -> str:
    """The part of Python source that runs, as text: its syntax tree, without comments
    (the tree has none), layout, or docstrings and other bare string statements (they
    compute nothing). Two sources that differ only there give the same text; any other
    change gives another. Fields a Python version leaves empty (``None``, ``[]``) are
    left out, so the text does not change with the Python version that parses it.
    Source that does not parse is returned as it is."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if isinstance(statements, list):
                setattr(node, name, [s for s in statements if not _is_string_statement(s)])
    return _canonical(tree)


def _is_string_statement(node: Any) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _canonical(node: Any) -> str:
    if isinstance(node, ast.AST):
        fields = [f"{name}={_canonical(value)}" for name in node._fields
                  if (value := getattr(node, name, None)) is not None and not (isinstance(value, list) and not value)]
        return f"{type(node).__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return "[" + ", ".join(_canonical(item) for item in node) + "]"
    return repr(node)


def code_digest(modules: tuple[str | ModuleType, ...]) -> str:
    """sha256 of the code of ``modules`` (:func:`executable_code` of each source file):
    part of every fit's cache key, so a changed line of code trains again and an edited
    docstring or comment does not."""
    digest = hashlib.sha256()
    for module in modules:
        module = importlib.import_module(module) if isinstance(module, str) else module
        digest.update(module.__name__.encode())
        digest.update(executable_code(Path(module.__file__).read_bytes()).encode())
    return digest.hexdigest()


@dataclass
class FitResult:
    """A trained model, its per-epoch curves and how long the fit took.

    ``curves`` maps each quantity the trainer reports (``loss`` first) to one value per
    epoch; ``modules`` holds every trained module by name (``model`` and, for an
    adversarial autoencoder, ``discriminator``).
    """

    model: nn.Module
    curves: dict[str, list[float]]
    seconds: float
    from_cache: bool
    key: str
    info: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, nn.Module] = field(default_factory=dict)

    @property
    def history(self) -> list[float]:
        """The training loss per epoch: the trainer's first curve."""
        return next(iter(self.curves.values()))


class Trainer:
    """The model-specific part of a fit. Subclasses set ``kind`` and ``code`` and
    implement :meth:`payload`, :meth:`build`, :meth:`start` and :meth:`epoch`."""

    #: cache file prefix and default progress label
    kind: str = "fit"
    #: modules whose source code keys the cache (the engine's own is always added)
    code: tuple[str, ...] = ()
    seed: int = 0
    epochs: int = 1

    def payload(self) -> dict[str, Any]:
        """Everything that determines the fit besides the code: configs and data hashes."""
        raise NotImplementedError

    def build(self) -> dict[str, nn.Module]:
        """Fresh modules by name, ``model`` first (seeded by the engine when training)."""
        raise NotImplementedError

    def start(self, modules: dict[str, nn.Module], device: torch.device) -> None:
        """Prepare a fresh fit on ``device``: optimisers, data on the device, generators."""
        raise NotImplementedError

    def epoch(self) -> dict[str, float]:
        """Train one epoch; return this epoch's value of each curve."""
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        """Extra facts to keep with the fit (plain floats and strings)."""
        return {}

    def postfix(self, values: dict[str, float]) -> dict[str, str]:
        """What the progress bar shows after an epoch."""
        return {name: f"{value:.4f}" for name, value in list(values.items())[:2]}


def fit_key(trainer: Trainer, precision: str = "fp32") -> str:
    """Cache key of a fit: its payload, the digest of the code that trains it and, when
    not fp32, its precision."""
    check_precision(precision)
    payload = {"kind": trainer.kind, **trainer.payload(),
               "code": code_digest((__name__, *trainer.code))}
    if precision != "fp32":  # only then: an fp32 fit keeps the key it had before precision existed
        payload["precision"] = precision
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]


def run_fit(trainer: Trainer, *, device: str | torch.device = "auto", precision: str = "fp32",
            use_cache: bool = True, progress: bool = True, desc: str | None = None,
            store: str | os.PathLike | None = None) -> FitResult:
    """Train ``trainer``'s modules (or load them from the cache) and return the fit.

    ``precision``: ``"fp32"`` (the default) or ``"bf16"`` (see :func:`latentlib.training.precision.autocast`).
    ``store``: the fit cache to read and write (default: :func:`cache_dir`).
    """
    device = resolve_device(device)
    key = fit_key(trainer, precision)
    path = cache_dir(store) / f"{trainer.kind}-{key}.pt"
    label = desc or trainer.kind
    if use_cache and path.exists():
        cached = _load(path, trainer, device, key)
        if cached is not None:
            emit("fit", f"{label}: loaded from the fit cache", fit=label, cached=True)
            return cached

    set_seed(trainer.seed)
    modules = {name: module.to(device) for name, module in trainer.build().items()}
    trainer.start(modules, device)
    curves: dict[str, list[float]] = {}
    start = time.perf_counter()
    bar = tqdm(range(trainer.epochs), desc=label, disable=not progress, leave=False)
    for epoch in bar:
        with autocast(device, precision):
            values = trainer.epoch()
        for name, value in values.items():
            curves.setdefault(name, []).append(float(value))
        shown = trainer.postfix(values)
        bar.set_postfix(shown)
        elapsed = time.perf_counter() - start
        eta = elapsed / (epoch + 1) * (trainer.epochs - epoch - 1)
        emit("fit", f"{label}: epoch {epoch + 1}/{trainer.epochs} "
             + " ".join(f"{k}={v}" for k, v in shown.items()) + f" (eta {eta:.0f} s)",
             fit=label, epoch=epoch + 1, epochs=trainer.epochs, eta=eta)
    seconds = time.perf_counter() - start
    for module in modules.values():
        module.eval()
    result = FitResult(model=modules["model"], curves=curves, seconds=seconds, from_cache=False, key=key,
                       info={"device": str(device), "precision": precision, **trainer.info()}, modules=modules)
    if use_cache:
        _save(path, result, trainer)
    return result


def _save(path: Path, result: FitResult, trainer: Trainer) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = {
        "modules": {name: {k: v.cpu() for k, v in module.state_dict().items()}
                    for name, module in result.modules.items()},
        # plain floats and strings: the cache is read back with torch.load(weights_only=True)
        "curves": result.curves,
        "seconds": result.seconds,
        "info": result.info,
        "payload": json.loads(json.dumps(trainer.payload(), default=str)),
        "latentlib": __version__,
    }
    temporary = temporary_path(path)
    try:
        torch.save(checkpoint, temporary)
        os.replace(temporary, path)  # atomic: a crash never leaves half a checkpoint
    except BaseException:
        temporary.unlink(missing_ok=True)  # a unique name is never reused: remove it now or never
        raise


def temporary_path(path: Path) -> Path:
    """A fresh name beside ``path`` to write before the atomic rename: host name, pid and
    a random token, so that no two writers collide, on one host or on several sharing a
    store (a pid alone repeats across hosts)."""
    return path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


def _load(path: Path, trainer: Trainer, device: torch.device, key: str) -> FitResult | None:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        modules = trainer.build()
        if set(saved["modules"]) != set(modules):
            raise KeyError(f"modules {sorted(saved['modules'])} != {sorted(modules)}")
        for name, module in modules.items():
            module.load_state_dict(saved["modules"][name])
            module.to(device).eval()
        curves = {name: [float(v) for v in values] for name, values in saved["curves"].items()}
    except Exception as error:  # unreadable or mismatched cache: train again, say so
        notice("cache", f"ignoring unreadable cached fit {path.name} ({type(error).__name__}: {error}); "
               "training again", fit=path.name)
        return None
    return FitResult(model=modules["model"], curves=curves, seconds=float(saved["seconds"]), from_cache=True,
                     key=key, info=dict(saved.get("info", {})), modules=modules)
