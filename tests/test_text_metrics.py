"""Reconstruction scores of chapter 05 on hand-made batches whose answers are known."""

import pytest

from latentlib.text.decoding import positional_baseline, token_accuracy

EOS, UNK = 2, 3


def test_unknown_words_count_as_hits_in_one_score_and_are_left_out_of_the_other():
    # [5, unk, 7] + eos against [5, unk, 9]: 3 of 4 positions; of the 3 known ones, 2
    # [unk] + eos against [unk]: 2 of 2; its only known position is the eos
    scores = token_accuracy([[5, UNK, 7], [UNK]], [[5, UNK, 9], [UNK]], eos=EOS, unk=UNK)
    assert scores["token_acc"] == pytest.approx(5 / 6)
    assert scores["token_acc_known"] == pytest.approx(3 / 4)
    assert scores["exact"] == 0.5


def test_a_short_or_long_output_misses_the_positions_it_gets_wrong():
    # too short: [5] + eos vs [5, 6, 7] + eos hits position 0 only; too long: [8, 9] vs [8]
    scores = token_accuracy([[5, 6, 7], [8]], [[5], [8, 9]], eos=EOS, unk=UNK)
    assert scores["token_acc"] == pytest.approx(2 / 6)
    assert scores["exact"] == 0.0


def test_all_unknown_references_leave_the_known_score_to_the_end_token():
    scores = token_accuracy([[UNK, UNK]], [[UNK, UNK]], eos=EOS, unk=UNK)
    assert scores == {"token_acc": 1.0, "token_acc_known": 1.0, "exact": 1.0}


def test_positional_baseline_takes_the_most_frequent_token_per_position_and_stops_at_eos():
    train = [[5, 6], [5, 7, 8], [5, 6, 9, 9], [4]]
    # position 0: 5 (3 of 4); 1: 6 (2 of 3 alive: 6, 7, 6); 2: eos ties 8/9 and the eos
    # of [5, 6] ... counted: eos (1), 8 (1), 9 (1): the smallest id, eos, wins -> stop
    assert positional_baseline(train, eos=EOS) == [5, 6]
    baseline = positional_baseline(train, eos=EOS)
    scores = token_accuracy(train, [baseline] * len(train), eos=EOS, unk=UNK)
    # hits: [5,6]+eos: 3 of 3; [5,7,8]+eos: 1 of 4; [5,6,9,9]+eos: 2 of 5; [4]+eos: 0 of 2
    assert scores["token_acc"] == pytest.approx(6 / 14)
    assert scores["exact"] == 0.25


def test_positional_baseline_needs_sentences():
    with pytest.raises(ValueError):
        positional_baseline([])
