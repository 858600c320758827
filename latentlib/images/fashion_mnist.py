"""Fashion-MNIST (Zalando, 60,000 / 10,000 images of 10 clothing classes, 28 x 28).

Sources, in the order ``source="auto"`` tries them:

``torchvision``
    ``torchvision.datasets.FashionMNIST`` under ``<root>/torchvision``: the files
    already there, else a download when allowed.
``debian``
    The Debian package ``dataset-fashion-mnist`` (``apt-get install
    dataset-fashion-mnist``), whose gzipped IDX files under
    ``/usr/share/datasets/fashion-mnist`` are unpacked into the torchvision folder and
    read by torchvision's own FashionMNIST reader. The Debian archive recompressed
    the files, so they are checked by their unpacked size and IDX header instead of
    torchvision's download checksums.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path


from latentlib.images.mnist import read_torchvision_split
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, first_available
from latentlib.data.splits import LabelledSplit, subset

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_ENV = "LATENTLIB_FASHION_MNIST_DIR"  # another folder holding the four .gz files
# unpacked IDX files: name -> IDX magic number (images 2051, labels 2049)
FILES = {
    "train-images-idx3-ubyte": 2051,
    "train-labels-idx1-ubyte": 2049,
    "t10k-images-idx3-ubyte": 2051,
    "t10k-labels-idx1-ubyte": 2049,
}
SOURCES = ("torchvision", "debian")


def debian_dir() -> Path:
    return Path(os.environ.get(DEBIAN_ENV) or DEBIAN_DIR)


def how_to_get_fashion_mnist(root: Path) -> str:
    return (
        "Fashion-MNIST is not available. Any one of these makes a source available:\n"
        f"  - with internet: load_fashion_mnist(source='torchvision') downloads it into {root / 'torchvision'}\n"
        f"  - offline, from Debian: apt-get install {DEBIAN_PACKAGE}, then latentlib data fashion_mnist"
    )


def _idx_count(path: Path, magic: int) -> int:
    """Item count of an IDX file whose header and size are consistent."""
    with open(path, "rb") as handle:
        header = handle.read(16)
    found, count = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    item = 28 * 28 if magic == 2051 else 1
    expected = (16 if magic == 2051 else 8) + count * item
    if found != magic or path.stat().st_size != expected:
        raise CorruptDatasetError(f"{path}: not an IDX file of {count} items (magic {found}, "
                                  f"{path.stat().st_size} bytes); delete it and run latentlib data fashion_mnist")
    return count


def unpack_debian(root: Path) -> Path:
    """Unpack the Debian package's files into torchvision's raw folder; return that folder."""
    source = debian_dir()
    raw = root / "torchvision" / "FashionMNIST" / "raw"
    missing = [name for name in FILES if not (source / f"{name}.gz").exists()]
    if missing:
        raise DatasetNotFoundError(f"{source} lacks {', '.join(m + '.gz' for m in missing)} "
                                   f"(apt-get install {DEBIAN_PACKAGE})")
    raw.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, magic in FILES.items():
        target = raw / name
        if not target.exists():
            temporary = target.with_name(f".{name}.tmp{os.getpid()}")
            try:
                with gzip.open(source / f"{name}.gz", "rb") as packed, open(temporary, "wb") as out:
                    shutil.copyfileobj(packed, out)
            except (OSError, EOFError) as error:
                temporary.unlink(missing_ok=True)
                raise CorruptDatasetError(f"{source / (name + '.gz')} cannot be unpacked: {error}") from None
            os.replace(temporary, target)
        counts[name] = _idx_count(target, magic)
    for split in ("train", "t10k"):
        if counts[f"{split}-images-idx3-ubyte"] != counts[f"{split}-labels-idx1-ubyte"]:
            raise CorruptDatasetError(f"{raw}: {split} images and labels differ in count ({counts})")
    return raw


def _read_torchvision(root: Path, download: bool, source: str) -> LabelledSplit:
    from torchvision.datasets import FashionMNIST

    return read_torchvision_split(FashionMNIST, folder=root / "torchvision", download=download,
                                  class_names=CLASS_NAMES, source=source)


DEBIAN_SOURCE = f"Debian {DEBIAN_PACKAGE} (read by torchvision FashionMNIST)"
MARKER = "UNPACKED_FROM"  # in the raw folder: where its files came from


def _load_torchvision(root: Path, download: bool) -> LabelledSplit:
    marker = root / "torchvision" / "FashionMNIST" / "raw" / MARKER
    source = DEBIAN_SOURCE if marker.exists() else "torchvision FashionMNIST"
    return _read_torchvision(root, download, source)


def _load_debian(root: Path, download: bool) -> LabelledSplit:
    raw = unpack_debian(root)
    (raw / MARKER).write_text(f"{DEBIAN_PACKAGE}: {debian_dir()}\n")
    return _read_torchvision(root, False, DEBIAN_SOURCE)


_LOADERS = {"torchvision": _load_torchvision, "debian": _load_debian}


def load_fashion_mnist(source: str = "auto", *, root: str | Path | None = None,
                       n_train: int | None = None, n_test: int | None = None,
                       download: bool = True) -> LabelledSplit:
    """Load Fashion-MNIST as float32 images in [0, 1] (N x 1 x 28 x 28) with integer labels.

    Parameters
    ----------
    source
        ``"auto"`` (the torchvision folder, else the Debian package), ``"torchvision"``
        (with download when allowed) or ``"debian"``.
    root
        Data root; defaults to :func:`latentlib.data.sources.data_root`.
    n_train, n_test
        Keep a stratified subset of this many images (fixed seed); None keeps all.
    download
        Allow a network download (torchvision only).
    """
    root = data_root(root)
    # auto tries the local files before any download: Debian's copy is the same data
    split = first_available(source, sources=SOURCES, loaders=_LOADERS, root=root, download=download,
                            how_to=how_to_get_fashion_mnist(root),
                            auto_order=[("torchvision", False), ("debian", False), ("torchvision", download)])
    return subset(split, n_train=n_train, n_test=n_test, unit="images")


def fetch(root: str | Path | None = None) -> str:
    """Make Fashion-MNIST available under ``root``; describe the source."""
    installed = all((debian_dir() / f"{name}.gz").exists() for name in FILES)
    split = load_fashion_mnist("debian" if installed else "auto", root=root)
    return f"{split.source}: {split.info['n_train']:,} train / {split.info['n_test']:,} test"
