"""The text study's helpers on values whose answers are known: the scored samples, the
neighbours of a sentence, the explorer's sample, and the tables the chapter reads from
its records (splits, out-of-domain probe, recorded runs)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from latentlib.text.findings import out_of_domain_probe, recorded_runs, split_table
from latentlib.text.study import Corpus, TextStudy, explorer_sample, neighbours, scored_sentences
from latentlib.text.tokens import Vocabulary

STUDY = "05_text_yelp_daae"


def corpus(n_train=50, n_test=30):
    vocab = Vocabulary.build(["a b c d"], max_words=10)
    train = [[5 + i % 4] * (1 + i % 5) for i in range(n_train)]
    test = [[5 + i % 4] * (2 + i % 3) for i in range(n_test)]
    return Corpus(vocab, train, test, np.array([len(s) for s in test]), np.array([len(s) for s in train]))


def test_scored_sentences_are_a_seeded_sample_of_each_split_plus_every_out_of_domain_one():
    c = corpus()
    first = scored_sentences(c, n=10, seed=0, ood_ids=[[5, 6], [7]])
    assert list(first) == ["train", "test", "yelp"]
    assert len(first["train"]) == len(first["test"]) == 10 and first["yelp"] == [[5, 6], [7]]
    assert first == scored_sentences(c, n=10, seed=0, ood_ids=[[5, 6], [7]])  # the seed fixes the sample
    assert first["test"] != scored_sentences(c, n=10, seed=1)["test"]
    everything = scored_sentences(c, n=None)
    assert list(everything) == ["train", "test"] and everything["test"] == c.test_ids
    assert len(everything["train"]) == len(c.test_ids)  # as many training sentences as held-out ones
    assert scored_sentences(c, n=1000)["test"] == c.test_ids  # n above the split keeps it whole


def test_neighbours_rank_by_cosine_and_leave_the_sentence_itself_out():
    codes = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0], [0.7, 0.7]])
    study = TextStudy(corpus=corpus(), fits={("daae", 0): None, ("ae", 0): None},
                      codes_train={("daae", 0): codes, ("ae", 0): codes},
                      codes_test={("daae", 0): codes, ("ae", 0): codes[:, ::-1].copy()},
                      table=pd.DataFrame(), reconstruction=pd.DataFrame(), probe=pd.DataFrame())
    table = neighbours(study, ["s0", "s1", "s2", "s3", "s4"], 0, k=3)
    assert [t.split()[0] for t in table["DAAE"]] == ["s1", "s4", "s2"]
    assert [t.split()[0] for t in table["plain AE"]] == ["s1", "s4", "s2"]  # a rotation keeps cosines
    assert table["DAAE"].iloc[0].endswith("(0.99)") and list(table.index) == [1, 2, 3]


def test_the_explorer_sample_is_capped_stratified_and_seeded():
    labels = np.array([0] * 700 + [1] * 300)
    shown = explorer_sample(labels, 100, seed=0)
    assert len(shown) == 100 and np.all(np.diff(shown) > 0)
    assert np.bincount(labels[shown]).tolist() == [70, 30]
    assert np.array_equal(shown, explorer_sample(labels, 100, seed=0))
    assert np.array_equal(explorer_sample(labels[:50], 100, seed=0), np.arange(50))  # under the cap: all


def fit_record(variant, seed, *, known, yelp=True, size=2):
    metrics = {"nmi": 0.01, "train_clean_token_acc_known": known + 0.05, "test_clean_token_acc_known": known,
               "train_clean_exact": 0.1, "test_clean_exact": 0.05, "probe_acc": 0.6, "majority_rate": 0.55,
               "baseline_train_token_acc_known": 0.04, "baseline_train_exact": 0.0,
               "baseline_test_token_acc_known": 0.03, "baseline_test_exact": 0.0}
    if yelp:
        metrics |= {"yelp_clean_token_acc_known": known - 0.2, "yelp_clean_exact": 0.01, "yelp_probe_acc": 0.52,
                    "yelp_majority_rate": 0.53, "baseline_yelp_token_acc_known": 0.02, "baseline_yelp_exact": 0.0}
    return {"study": STUDY, "variant": "v", "run": {"variant": variant, "seed": seed, "embedding_size": size,
                                                    "length_control": "none", "name": f"{variant}{seed}{size}"},
            "metrics": metrics, "timings": {"fit_seconds": 120.0},
            "config": {"adversarial_weight": 1.0, "other_adversarial_weight": 10.0, "epochs": 8, "seeds": [0, 1],
                       "vocab_size": 1000, "hidden_size": 128},
            "data": {"source": "PyPI wheel: IMDb review sentences", "n_train": 93061, "n_test": 23602},
            "environment": {"commit": "abc1234"}}


def test_split_table_gives_each_model_each_split_beside_the_baseline():
    records = [fit_record("daae", 0, known=0.5), fit_record("daae", 0, known=0.9, size=4),  # one record a fit
               fit_record("daae", 1, known=0.6), fit_record("ae", 0, known=0.7)]
    table = split_table(records)
    assert table.loc[("DAAE (λ=1)", "held-out sentences"), "known-word acc"] == pytest.approx(0.55)
    assert table.loc[("DAAE (λ=1)", "held-out sentences"), "seeds"] == 2
    assert table.loc[("plain AE", "Yelp sentences (out of domain)"), "known-word acc"] == pytest.approx(0.5)
    assert table.loc[("plain AE", "training sentences"), "baseline known-word acc"] == 0.04
    without = split_table([fit_record("ae", 0, known=0.7, yelp=False)])
    assert "Yelp sentences (out of domain)" not in without.index.get_level_values("sentences")


def test_the_out_of_domain_probe_sits_beside_the_held_out_one():
    table = out_of_domain_probe([fit_record("daae", 0, known=0.5), fit_record("ae", 0, known=0.5)])
    assert table.loc["plain AE", "Yelp probe acc"] == 0.52 and table.loc["plain AE", "Yelp majority"] == 0.53
    assert table.loc["DAAE (λ=1)", "held-out probe acc"] == 0.6
    assert out_of_domain_probe([fit_record("ae", 0, known=0.5, yelp=False)]).empty


def test_recorded_runs_read_each_committed_variant_with_its_cost(tmp_path):
    folder = tmp_path / STUDY
    for variant, known in (("quick", 0.3), ("quick-long", 0.6), ("quick-dirty", 0.9)):
        (folder / variant).mkdir(parents=True)
        for r in (fit_record("daae", 0, known=known), fit_record("ae", 0, known=known + 0.1)):
            r["variant"] = variant
            if variant == "quick-dirty":
                r["environment"]["commit"] += "+dirty"
            (folder / variant / f"{r['run']['name']}.json").write_text(json.dumps(r))
    (folder / "quick-long" / "_execution.json").write_text(json.dumps({"wall_seconds": 1800}))
    table = recorded_runs(STUDY, exclude="quick", directory=tmp_path)
    assert list(table.index) == ["quick-long"]  # this run left out, a run from uncommitted code too
    row = table.loc["quick-long"]
    assert row["DAAE (λ=1): held-out known"] == pytest.approx(0.6) and row["plain AE: held-out known"] == 0.7
    assert row["fit minutes, main pair"] == 4.0 and row["chapter wall minutes"] == 30.0
    assert row["epochs"] == 8 and row["training sentences"] == 93061
    assert recorded_runs(STUDY, directory=tmp_path / "nothing").empty
