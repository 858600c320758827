"""The Fashion-MNIST loader on small IDX files written in the Debian package's layout."""

import gzip
import struct

import numpy as np
import pytest

from latentlib.images import fashion_mnist
from latentlib.studies import fetchers
from latentlib.images import fashion_mnist
from latentlib.images.fashion_mnist import DEBIAN_ENV, load_fashion_mnist
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError


def idx_images(images):
    return struct.pack(">IIII", 2051, len(images), 28, 28) + images.tobytes()


def idx_labels(labels):
    return struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


@pytest.fixture
def debian_dir(tmp_path, monkeypatch):
    """Four gzipped IDX files (50 train, 20 test) where the Debian package puts them."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "debian"
    folder.mkdir()
    split = {}
    for name, n in (("train", 50), ("t10k", 20)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        split[name] = (images, labels)
        (folder / f"{name}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_images(images)))
        (folder / f"{name}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels(labels)))
    monkeypatch.setenv(DEBIAN_ENV, str(folder))
    return folder, split


def test_reads_the_debian_files_through_torchvision(debian_dir, tmp_path):
    _, split = debian_dir
    data = load_fashion_mnist("debian", root=tmp_path / "root")
    assert data.x_train.shape == (50, 1, 28, 28) and data.x_test.shape == (20, 1, 28, 28)
    assert data.x_train.dtype == np.float32 and 0 <= data.x_train.min() and data.x_train.max() <= 1
    np.testing.assert_array_equal(np.rint(data.x_train[:, 0] * 255).astype(np.uint8), split["train"][0])
    np.testing.assert_array_equal(data.y_test, split["t10k"][1])
    assert data.class_names[9] == "Ankle boot"
    assert "Debian" in data.source
    assert (tmp_path / "root" / "torchvision" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").exists()


def test_auto_uses_the_unpacked_files_without_a_download(debian_dir, tmp_path):
    load_fashion_mnist("debian", root=tmp_path / "root")
    data = load_fashion_mnist("auto", root=tmp_path / "root", n_train=20, n_test=10, download=False)
    assert data.source.startswith("Debian dataset-fashion-mnist")  # provenance survives the unpacking
    assert len(data.x_train) == 20 and sorted(np.bincount(data.y_train)) == [2] * 10


def test_missing_files_say_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv(DEBIAN_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist("auto", root=tmp_path / "root", download=False)


def test_a_truncated_file_is_reported_not_used(debian_dir, tmp_path):
    folder, _ = debian_dir
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-100]))
    with pytest.raises(CorruptDatasetError, match="not an IDX file"):
        load_fashion_mnist("debian", root=tmp_path / "root")


def test_unknown_source_and_fetcher(tmp_path):
    with pytest.raises(ValueError, match="source must be one of"):
        load_fashion_mnist("npm", root=tmp_path)
    assert fetchers()["fashion_mnist"] is fashion_mnist.fetch
