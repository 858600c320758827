"""The text chapter's finding rules on values whose answers are known."""

from latentlib.text.findings import (INFORMATIVE_NMI, LEARNED_MARGIN, RECONSTRUCTS_ACC, clusters_carry_sentiment,
                                     has_learned, length_dominated, probe_finds_sentiment, reconstructs)


def test_own_code_must_beat_another_sentences_code_by_the_margin():
    assert has_learned(0.30, 0.30 - LEARNED_MARGIN)
    assert not has_learned(0.30, 0.30 - LEARNED_MARGIN / 2)
    assert not has_learned(0.20, 0.25)


def test_sentiment_in_clusters_needs_the_nmi_threshold():
    assert clusters_carry_sentiment(INFORMATIVE_NMI)
    assert not clusters_carry_sentiment(0.01)


def test_length_needs_both_the_correlation_and_the_cluster_split():
    r = {"daae": -0.9, "ae": 0.9, "tfidf": 0.2}
    nmi = {"daae": 0.3, "ae": 0.05, "tfidf": 0.4}
    assert length_dominated(r, nmi) == ["daae"]


def test_probe_presence_is_a_margin_over_the_majority_rate():
    assert probe_finds_sentiment({"a": 0.10, "b": 0.01, "c": 0.03}) == ["a", "c"]


def test_reconstructing_needs_the_known_word_accuracy_threshold():
    assert reconstructs(RECONSTRUCTS_ACC)
    assert not reconstructs(RECONSTRUCTS_ACC - 0.01)


def test_the_results_page_table_has_one_row_per_model_with_its_seed_spread():
    from latentlib.text.variants import reach_section, reconstruction_table

    def record(model, seed, known, name):
        metrics = {"train_clean_token_acc_known": known + 0.1, "test_clean_token_acc_known": known,
                   "test_clean_exact": 0.0}
        return {"run": {"variant": model, "seed": seed, "name": name}, "metrics": metrics, "variant": "quick",
                "study": "05_text_yelp_daae", "data": {"source": "snippets"},
                "config": {"hidden_size": 256, "latent_size": 128, "vocab_size": 500, "epochs": 120}}

    records = [record("ae", 0, 0.5, "a"), record("ae", 0, 0.9, "a-again"), record("ae", 1, 0.7, "b"),
               record("daae", 0, 0.2, "c"), {"run": {"variant": "tfidf", "seed": 0}, "metrics": {"nmi": 0.0}}]
    table = reconstruction_table(records)
    assert list(table.index) == ["plain AE", "DAAE"]  # one record per model and seed is read
    assert table.loc["plain AE", "known words, held-out sentences"] == "0.600 ± 0.141"
    assert table.loc["plain AE", "seeds"] == 2 and table.loc["DAAE", "epochs"] == 120
    assert "50% of the known words" in "\n".join(reach_section(records[:4], "Run: `latentlib run 05`"))
