"""The text chapter's finding rules and record tables on values whose answers are known."""

from latentlib.text.findings import (PAPER_REVIEWS, RECONSTRUCTS_ACC, against, data_size, fit_table, labels,
                                     majority_rate)


def test_a_threshold_is_judged_by_the_interval_over_seeds():
    assert against([0.70, 0.71, 0.72], RECONSTRUCTS_ACC)["outcome"] == "better"
    assert against([0.10, 0.11, 0.12], RECONSTRUCTS_ACC)["outcome"] == "worse"
    # a mean above the bar by less than the seed noise is on neither side of it
    assert against([0.45, 0.52, 0.59], RECONSTRUCTS_ACC)["outcome"] == "tie"
    # one seed: the difference against the verdicts' tolerance
    assert against([0.505], RECONSTRUCTS_ACC)["outcome"] == "tie"
    assert against([0.52], RECONSTRUCTS_ACC)["outcome"] == "better"


def _record(variant, seed, size, metrics):
    return {"run": {"variant": variant, "seed": seed, "embedding_size": size, "length_control": "none"},
            "metrics": metrics, "config": {"adversarial_weight": 10.0, "other_adversarial_weight": 1.0},
            "data": {"n_train": 4421, "n_test": 1106}}


def test_fit_table_reads_one_row_per_model_and_seed_with_its_best_nmi():
    records = [_record("daae", 0, 2, {"nmi": 0.01, "test_clean_token_acc_known": 0.2, "probe_acc": 0.6,
                                      "majority_rate": 0.58}),
               _record("daae", 0, 8, {"nmi": 0.03, "test_clean_token_acc_known": 0.2, "probe_acc": 0.6,
                                      "majority_rate": 0.58}),
               _record("tfidf", 0, 2, {"nmi": 0.02})]
    table = fit_table(records).set_index("variant")
    assert table.loc["daae", "best_nmi"] == 0.03 and table.loc["daae", "clean_known"] == 0.2
    assert table.loc["daae", "method"] == "DAAE (λ=10)" == labels(records)["daae"]
    assert table.loc["tfidf", "clean_known"] != table.loc["tfidf", "clean_known"]  # NaN: nothing to reconstruct
    assert majority_rate(records) == 0.58
    assert majority_rate(records[2:]) is None  # records from before the rate was recorded


def test_the_data_size_is_compared_with_the_papers_own_number():
    text = data_size([_record("daae", 0, 2, {})])
    assert PAPER_REVIEWS == 10_000 and "10,000" in text and "55%" in text and "440,000" not in text


def test_the_results_page_table_has_one_row_per_model_with_its_seed_spread():
    from latentlib.text.sections import reach_section, reconstruction_table

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
    assert table.loc["DAAE", "held-out 50% reached"] == "not recorded"  # no held-out curve in these records
    assert "50% of the known words" in "\n".join(reach_section(records[:4], "Run: `latentlib run 05`"))


def test_the_cost_of_the_bar_is_read_from_each_fits_held_out_curve():
    from latentlib.text.findings import bar_cost

    def record(seed, curve, seconds=600.0):
        return {"run": {"variant": "daae", "seed": seed}, "timings": {"fit_seconds": seconds},
                "history": {"heldout_known_acc": curve}}

    # reached at epoch 3 of 4: three quarters of the fit's 10 minutes
    assert bar_cost([record(0, [0.2, 0.4, 0.55, 0.6])], "daae") == "epoch 3 of 4, 8 min"
    assert bar_cost([record(0, [0.2, 0.3])], "daae") == "not in 2 epochs (best 0.300)"
    # one entry per seed, however many records a seed wrote
    assert bar_cost([record(0, [0.6]), record(0, [0.6]), record(1, [0.1, 0.7])], "daae") == \
        "epoch 1 / 2 of 1 / 2, 10 / 10 min"
    assert bar_cost([record(0, [0.3]), record(1, [0.2])], "daae") == "not in 1 epochs (best 0.300 / 0.200)"
    assert bar_cost([record(0, [0.6]), record(1, [0.1])], "daae") == \
        "seed 0: epoch 1 of 1, 10 min; seed 1: not in 1 epochs (best 0.100)"
    # fits from before the curve existed (or with no monitor: NaN, stored as null)
    assert bar_cost([record(0, [None, None])], "daae") == "not recorded"
    assert bar_cost([{"run": {"variant": "daae", "seed": 0}, "history": {"rec": [1.0]}}], "daae") == "not recorded"
    assert bar_cost([record(0, [0.6])], "ae") == "–"


def test_a_daae_trained_with_another_word_drop_says_so_in_its_label():
    recipe = _record("daae", 0, 2, {})
    lighter = {**recipe, "config": {**recipe["config"], "word_drop": 0.1}}
    assert labels([recipe])["daae"] == "DAAE (λ=10)"
    assert labels([lighter])["daae"] == "DAAE (λ=10, word drop 0.1)"
    assert labels([lighter])["noise"] == "noise only (word drop 0.1)" and labels([lighter])["ae"] == "plain AE"


def test_recorded_curves_read_each_committed_fits_held_out_curve(tmp_path):
    import json

    from latentlib.text.findings import recorded_curves

    def write(variant, model, seed, curve, commit="abc"):
        folder = tmp_path / "05_text_yelp_daae" / variant
        folder.mkdir(parents=True, exist_ok=True)
        record = {"variant": variant, "environment": {"commit": commit}, "config": {"adversarial_weight": 1.0},
                  "run": {"variant": model, "seed": seed}, "timings": {"fit_seconds": 120.0},
                  "history": {"heldout_known_acc": curve}}
        for size in (2, 4):  # several records per fit: its curve is read once
            (folder / f"{model}-pca{size}-seed{seed}.json").write_text(json.dumps(record))

    write("long", "daae", 0, [0.2, 0.4, 0.6, 0.5])
    write("long", "tfidf", 0, [0.9])  # not a fit of the main pair
    write("old", "ae", 0, [None, None])  # no monitor: no curve
    write("dirty", "ae", 0, [0.3], commit="abc+dirty")  # uncommitted code
    write("mine", "ae", 0, [0.3])
    curves = recorded_curves("05_text_yelp_daae", exclude="mine", directory=tmp_path)
    assert list(curves["variant"].unique()) == ["long"] and list(curves["model"].unique()) == ["DAAE (λ=1)"]
    assert list(curves["run"].unique()) == ["long: 4 epochs, constant rate, word drop 0.3"]
    assert list(curves["epoch"]) == [1, 2, 3, 4] and list(curves["fit minutes"]) == [0.5, 1.0, 1.5, 2.0]
    assert list(curves["heldout_known_acc"]) == [0.2, 0.4, 0.6, 0.5]
    assert recorded_curves("05_text_yelp_daae", directory=tmp_path / "nothing").empty


def test_the_bar_prose_names_the_first_run_that_reached_it_and_the_best_of_those_that_did_not(tmp_path):
    import json

    from latentlib.text.findings import bar_prose

    folder = tmp_path / "05_text_yelp_daae" / "long"
    folder.mkdir(parents=True)
    for model, curve, taught in (("ae", [0.3, 0.55, 0.6], [0.7, 0.9, 0.95]), ("daae", [0.2, 0.3, 0.32, 0.33], [0.5] * 4)):
        (folder / f"{model}.json").write_text(json.dumps({
            "variant": "long", "environment": {"commit": "abc"}, "config": {"adversarial_weight": 1.0},
            "run": {"variant": model, "seed": 0}, "timings": {"fit_seconds": 60.0 * len(curve)},
            "history": {"heldout_known_acc": curve, "token_acc": taught}}))
    text = bar_prose("05_text_yelp_daae", directory=tmp_path)
    assert "the **plain AE** reached it in run `long` at epoch 2 (held-out 0.550, after 2.0 fit minutes)" in text
    assert "the **DAAE (λ=1)** did not reach it in any run: its best was 0.330 (run `long`, epoch 4 of 4" in text
    assert "+0.010 per epoch" in text and "0.950 of the words" in text and "0.500 of the words" in text
    assert "No other committed run" in bar_prose("05_text_yelp_daae", directory=tmp_path / "none")
