"""Sentences as tokens and ids: tokeniser, vocabulary, and the noise of a denoising AE.

Sentences travel through the library as strings of space-separated lower-case tokens
(the format of the Yelp files of Shen et al. 2017), so ``tokenize`` is idempotent on
them. The noise functions follow Shen et al. 2020 ("Educating text autoencoders"):
word drop, word blank, word substitution and local shuffle, applied to the encoder's
input only. Nothing here needs torch (the data loaders import this module); padded
tensor batches are in :mod:`latentlib.text.models`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from latentlib.validation import check_non_negative_float, check_positive_int, check_probability

PAD, BOS, EOS, UNK, BLANK = "<pad>", "<bos>", "<eos>", "<unk>", "<blank>"
SPECIALS = (PAD, BOS, EOS, UNK, BLANK)
# contractions split the way the Yelp files are tokenised ("do n't", "it 's")
_TOKEN = re.compile(r"n't|'\w+|\w+(?:-\w+)*|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-case word and punctuation tokens; ``tokenize(" ".join(tokenize(s)))`` is stable."""
    lowered = re.sub(r"(\w)n't\b", r"\1 n't", text.lower().replace("\u2019", "'"))
    return _TOKEN.findall(lowered)


def normalise(text: str) -> str:
    """A sentence as space-separated tokens (the Yelp files' format)."""
    return " ".join(tokenize(text))


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id map: the specials (pad 0, bos 1, eos 2, unk 3, blank 4), then words
    from most to least frequent (ties in alphabetical order, so it is deterministic)."""

    tokens: tuple[str, ...]

    @classmethod
    def build(cls, sentences: Iterable[str], *, max_words: int) -> "Vocabulary":
        """The ``max_words`` most frequent tokens of ``sentences`` plus the specials."""
        check_positive_int("max_words", max_words)
        counts = Counter(token for sentence in sentences for token in sentence.split())
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:max_words]
        return cls(SPECIALS + tuple(token for token, _ in ranked))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {token: i for i, token in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad(self) -> int:
        return 0

    @property
    def bos(self) -> int:
        return 1

    @property
    def eos(self) -> int:
        return 2

    @property
    def unk(self) -> int:
        return 3

    @property
    def blank(self) -> int:
        return 4

    def encode(self, sentence: str) -> list[int]:
        """Ids of the tokens of ``sentence`` (unknown words become ``<unk>``), no bos/eos."""
        index = self._index  # type: ignore[attr-defined]
        return [index.get(token, self.unk) for token in sentence.split()]

    def decode(self, ids: Iterable[int], *, stop_at_eos: bool = True) -> str:
        """Tokens of ``ids`` joined by spaces; stops at ``<eos>`` and skips pad and bos."""
        words = []
        for i in ids:
            i = int(i)
            if i == self.eos and stop_at_eos:
                break
            if i in (self.pad, self.bos):
                continue
            words.append(self.tokens[i])
        return " ".join(words)

    def unk_rate(self, sentences: Sequence[str]) -> float:
        """Fraction of tokens of ``sentences`` outside the vocabulary."""
        ids = [i for sentence in sentences for i in self.encode(sentence)]
        return float(np.mean([i == self.unk for i in ids])) if ids else 0.0


@dataclass(frozen=True)
class Noise:
    """Encoder-input corruption of a denoising autoencoder (Shen et al. 2020, Sec. 4).

    ``drop``: probability of deleting each word; ``blank``: of replacing it by
    ``<blank>``; ``substitute``: of replacing it by a random vocabulary word;
    ``shuffle``: maximum distance k a word may move in a local shuffle (0 = none).
    """

    drop: float = 0.0
    blank: float = 0.0
    substitute: float = 0.0
    shuffle: float = 0.0

    def __post_init__(self) -> None:
        for name in ("drop", "blank", "substitute"):
            check_probability(f"noise {name}", getattr(self, name))
        check_non_negative_float("noise shuffle", self.shuffle, "a distance; 0: no local shuffle")

    @property
    def is_clean(self) -> bool:
        return not (self.drop or self.blank or self.substitute or self.shuffle)

    def __call__(self, ids: Sequence[int], *, vocab: Vocabulary, rng: np.random.Generator) -> list[int]:
        return corrupt(ids, noise=self, vocab=vocab, rng=rng)


def word_drop(ids: Sequence[int], p: float, rng: np.random.Generator) -> list[int]:
    """Delete each word with probability ``p`` (at least one word is kept)."""
    keep = rng.random(len(ids)) >= p
    if len(ids) and not keep.any():
        keep[rng.integers(len(ids))] = True  # an empty input carries no signal at all
    return [i for i, k in zip(ids, keep) if k]


def word_blank(ids: Sequence[int], p: float, rng: np.random.Generator, *, blank: int) -> list[int]:
    """Replace each word by the ``blank`` id with probability ``p``."""
    hit = rng.random(len(ids)) < p
    return [blank if h else i for i, h in zip(ids, hit)]


def word_substitute(ids: Sequence[int], p: float, rng: np.random.Generator, *,
                    low: int, high: int) -> list[int]:
    """Replace each word with probability ``p`` by a uniform random id in ``[low, high)``."""
    hit = rng.random(len(ids)) < p
    replacement = rng.integers(low, high, size=len(ids))
    return [int(r) if h else i for i, r, h in zip(ids, replacement, hit)]


def local_shuffle(ids: Sequence[int], k: float, rng: np.random.Generator) -> list[int]:
    """Sort words by ``position + U(0, k + 1)``: no word moves more than ``k`` places."""
    keys = np.arange(len(ids)) + rng.uniform(0, k + 1, size=len(ids))
    return [ids[j] for j in np.argsort(keys, kind="stable")]


def corrupt(ids: Sequence[int], *, noise: Noise, vocab: Vocabulary, rng: np.random.Generator) -> list[int]:
    """Apply shuffle, drop, blank and substitute (in that order, as Shen et al. do)."""
    out = list(ids)
    if noise.shuffle:
        out = local_shuffle(out, noise.shuffle, rng)
    if noise.drop:
        out = word_drop(out, noise.drop, rng)
    if noise.blank:
        out = word_blank(out, noise.blank, rng, blank=vocab.blank)
    if noise.substitute:
        out = word_substitute(out, noise.substitute, rng, low=len(SPECIALS), high=len(vocab))
    return out
