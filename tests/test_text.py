"""Tokeniser, vocabulary, padded batches and the noise functions of the text pipeline."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from latentlib.text.models import make_batch
from latentlib.text.tokens import (SPECIALS, Noise, Vocabulary, corrupt, local_shuffle, normalise, tokenize,
                                   word_blank, word_drop, word_substitute)

CORPUS = ["the food was great .", "the service was slow .", "i 'd go back .", "great food , slow service ."]


def test_tokenize_splits_punctuation_and_contractions_like_the_yelp_files():
    assert tokenize("Don't miss it, it's GREAT!") == ["do", "n't", "miss", "it", ",", "it", "'s", "great", "!"]
    assert tokenize("A three-hour cinema master class.") == ["a", "three-hour", "cinema", "master", "class", "."]


@pytest.mark.parametrize("text", ["Don't miss it, it's GREAT!", "i 'd go back .", "A 179-minute  epic... wow"])
def test_tokenize_is_stable_on_its_own_output(text):
    once = normalise(text)
    assert normalise(once) == once


def test_vocabulary_orders_specials_then_frequency_then_alphabet():
    vocab = Vocabulary.build(CORPUS, max_words=4)
    assert vocab.tokens[: len(SPECIALS)] == SPECIALS
    assert (vocab.pad, vocab.bos, vocab.eos, vocab.unk, vocab.blank) == (0, 1, 2, 3, 4)
    # '.' appears 4 times; 'the', 'was', 'great', 'food', 'slow', 'service' twice: ties alphabetical
    assert vocab.tokens[len(SPECIALS):] == (".", "food", "great", "service")
    assert len(vocab) == len(SPECIALS) + 4


def test_vocabulary_round_trip_and_unknown_words():
    vocab = Vocabulary.build(CORPUS, max_words=100)
    for sentence in CORPUS:
        assert vocab.decode(vocab.encode(sentence)) == sentence
    small = Vocabulary.build(CORPUS, max_words=2)
    assert small.decode(small.encode("the food was great .")) == "<unk> food <unk> <unk> ."
    assert small.unk_rate(["the food was great ."]) == pytest.approx(3 / 5)
    # decoding stops at eos and skips bos and padding
    assert vocab.decode([vocab.bos, *vocab.encode("i 'd go back ."), vocab.eos, 9, 0]) == "i 'd go back ."


def test_vocabulary_rejects_a_bad_size():
    with pytest.raises(ValueError, match="max_words must be a positive int, got 0"):
        Vocabulary.build(CORPUS, max_words=0)


def test_word_drop_rate_matches_p():
    rng = np.random.default_rng(0)
    ids = list(range(5, 25))
    kept = [len(word_drop(ids, 0.3, rng)) for _ in range(4000)]
    rate = 1 - np.mean(kept) / len(ids)
    # binomial: 80,000 draws, standard error ~0.0016
    assert rate == pytest.approx(0.3, abs=0.01)


def test_word_drop_keeps_order_and_at_least_one_word():
    rng = np.random.default_rng(1)
    for _ in range(200):
        out = word_drop([7, 8, 9], 0.9, rng)
        assert 1 <= len(out) <= 3 and out == sorted(out)


def test_blank_and_substitute_rates_and_ranges():
    rng = np.random.default_rng(2)
    ids = [5] * 20000
    blanked = word_blank(ids, 0.2, rng, blank=4)
    assert np.mean(np.array(blanked) == 4) == pytest.approx(0.2, abs=0.01)
    substituted = np.array(word_substitute(ids, 0.1, rng, low=5, high=50))
    assert substituted.min() >= 5 and substituted.max() < 50
    # a substitute can draw the same word; the replacement rate is p
    assert np.mean(substituted != 5) == pytest.approx(0.1 * (1 - 1 / 45), abs=0.01)


def test_local_shuffle_moves_no_word_further_than_k():
    rng = np.random.default_rng(3)
    ids = list(range(30))
    for k in (0, 1, 3):
        out = local_shuffle(ids, k, rng)
        assert sorted(out) == ids
        assert max(abs(position - word) for position, word in enumerate(out)) <= k


def test_noise_is_reproducible_and_validated():
    vocab = Vocabulary.build(CORPUS, max_words=100)
    noise = Noise(drop=0.3, blank=0.1, substitute=0.1, shuffle=3)
    ids = vocab.encode("great food , slow service .")
    first = [corrupt(ids, noise=noise, vocab=vocab, rng=np.random.default_rng(5)) for _ in range(3)]
    second = [corrupt(ids, noise=noise, vocab=vocab, rng=np.random.default_rng(5)) for _ in range(3)]
    assert first == second
    with pytest.raises(ValueError, match=r"noise drop must be a probability in \[0, 1\), got 1.5"):
        Noise(drop=1.5)
    with pytest.raises(ValueError, match="noise blank must be a probability"):
        Noise(blank=float("nan"))
    with pytest.raises(ValueError, match="noise shuffle must be a finite number >= 0"):
        Noise(shuffle=-1)


def test_make_batch_pads_and_shifts():
    vocab = Vocabulary.build(CORPUS, max_words=100)
    ids = [vocab.encode(s) for s in CORPUS[:3]]
    batch = make_batch(ids, vocab=vocab)
    lengths = [len(s) for s in ids]
    assert batch.source_lengths.tolist() == lengths
    assert batch.target_lengths.tolist() == [n + 1 for n in lengths]
    assert batch.source.shape == (3, max(lengths))
    assert batch.decoder_input.shape == batch.target.shape == (3, max(lengths) + 1)
    for row, sentence in enumerate(ids):
        n = len(sentence)
        assert batch.decoder_input[row, : n + 1].tolist() == [vocab.bos, *sentence]
        assert batch.target[row, : n + 1].tolist() == [*sentence, vocab.eos]
        assert (batch.target[row, n + 1 :] == vocab.pad).all()
    assert batch.source.dtype == torch.long


def test_noisy_batch_corrupts_only_the_encoder_input():
    vocab = Vocabulary.build(CORPUS, max_words=100)
    ids = [vocab.encode(s) for s in CORPUS]
    clean = make_batch(ids, vocab=vocab)
    noisy = make_batch(ids, vocab=vocab, noise=Noise(drop=0.5), rng=np.random.default_rng(0))
    assert torch.equal(noisy.target, clean.target) and torch.equal(noisy.decoder_input, clean.decoder_input)
    assert (noisy.source_lengths <= clean.source_lengths).all()
    assert noisy.source_lengths.sum() < clean.source_lengths.sum()
    with pytest.raises(ValueError, match="rng"):
        make_batch(ids, vocab=vocab, noise=Noise(drop=0.5))


def test_tokens_and_the_data_loaders_do_not_import_torch():
    # the loaders need only the tokeniser: fetching data must not pay for torch
    code = ("import sys, latentlib.text.tokens, latentlib.text.yelp, latentlib.text.config; "
            "print('torch' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
