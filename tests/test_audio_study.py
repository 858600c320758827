"""Study 04 on the UrbanSound8K-layout fixture: fit, embed held-out folds, score, record."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from audio_fixtures import write_urbansound8k

from latentlib.audio.config import AudioStudyConfig
from latentlib.audio.study import (AUTOENCODER, MEAN_SPECTRUM, PCA, TRUE_BOTTLENECK, UNTRAINED, class_overlaps,
                                   confusion_table, neighbour_table, overlap_matrix, overlap_summary, pick_queries,
                                   run_audio_study)
from latentlib.audio.urbansound import load_urbansound8k
from latentlib.evaluation.probe import nearest_neighbours, neighbour_precision
from latentlib.book.results import load_records


@pytest.fixture
def clips(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTLIB_FEATURES", str(tmp_path / "features"))
    write_urbansound8k(tmp_path / "us8k", folds=3, per_cell=2)
    return load_urbansound8k(tmp_path / "us8k")


def small_config(**overrides):
    values = dict(test_groups=("fold2", "fold3"), n_mels=16, channels=(4, 8), embedding_size=4, epochs=2,
                  batch_size=4, n_jobs=1, device="cpu", seeds=(0, 1))
    values.update(overrides)
    return AudioStudyConfig.from_profile("quick", **values)


@pytest.mark.filterwarnings("ignore:3 of 21 audio clips skipped")  # the fixture's bad files, checked once
def test_study_scores_held_out_folds_and_records_skips(clips, tmp_path):
    with pytest.warns(UserWarning, match="3 of 21 audio clips skipped \\(1 unreadable, 1 empty, 1 silent\\)"):
        study = run_audio_study(small_config(), clips, progress=False)
    said = study.records[0]["notices"][-1]  # and the records carry it
    assert (said["kind"], said["skipped"]) == ("skipped", {"unreadable": 1, "empty": 1, "silent": 1})
    assert set(study.groups_test) == {"fold2", "fold3"}
    assert set(study.clips.groups[study.train_idx]) == {"fold1"}
    assert study.z_test.shape == (12, 4)
    first = study.per_group[study.per_group["seed"] == 0]  # the autoencoder's, one table per seed
    assert list(first.index) == ["fold2", "fold3"] and first["clips"].tolist() == [6, 6]
    assert study.per_group["seed"].tolist() == [0, 0, 1, 1]
    assert {"silhouette", "acc", "nmi", "ari", "n_clusters_found", "ring_by_cluster"} <= set(study.runs.columns)
    assert study.confusion().to_numpy().sum() == 12
    # one run per (method, seed); every equal-size method has the autoencoder's size
    assert sorted(study.runs.groupby("method").size().tolist()) == [2] * 5
    sizes = study.runs.groupby("method")["embedding_size"].first().to_dict()
    assert sizes == {AUTOENCODER: 4, TRUE_BOTTLENECK: 4, PCA: 4, UNTRAINED: 4, MEAN_SPECTRUM: 16}
    records = load_records("04_audio_urbansound")
    assert len(records) == 10 and records["run.name"].is_unique
    ae = records[(records["run.model"] == "spectrogram_ae") & (records["run.seed"] == 0)].iloc[0]
    assert ae["data.clips_skipped"] == 3 and ae["data.listed_but_missing"] == 1
    assert ae["data.skipped_unreadable"] == ae["data.skipped_empty"] == ae["data.skipped_silent"] == 1
    assert ae["data.n_train"] == 6 - 0 and ae["data.n_test"] == 12
    # records name clips by fold and file, never by a machine path
    text = json.dumps(next(r for r in study.records if r["run"]["model"] == "spectrogram_ae"))
    assert str(tmp_path) not in text and "fold1/900-1-0-0.wav" in text
    # a second run reads features and fit from the caches and gives the same scores
    again = run_audio_study(small_config(), clips, progress=False, write=False)
    assert again.fit.from_cache and again.features.n_cached == len(clips)
    assert all(fit.from_cache for fit in again.fits.values())
    pd.testing.assert_frame_equal(again.runs, study.runs)


def test_a_bad_split_fails_before_any_feature_is_computed(clips, tmp_path):
    with pytest.raises(ValueError, match="test_groups.*fold9"):
        run_audio_study(small_config(test_groups=("fold9",)), clips, progress=False)
    assert not (tmp_path / "features").exists()


def test_confusion_table_orders_clusters_by_their_matched_class():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    y_cluster = np.array([5, 5, 3, 3, 3, 1, 1, 5])
    table = confusion_table(y_true, y_cluster, class_names=["a", "b", "c"])
    assert list(table.columns) == ["c5", "c3", "c1"]
    assert table.to_numpy().tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 2]]


def test_class_overlaps_by_hand():
    # a: half in cluster 0, half in 1; b: all in 1; c: all in 2
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_cluster = np.array([0, 1, 1, 1, 2, 2])
    table = class_overlaps(y_true, y_cluster, class_names=["a", "b", "c"])
    pairs = {(r.class_a, r.class_b): r.overlap for r in table.itertuples()}
    assert pairs == {("a", "b"): 0.5, ("a", "c"): 0.0, ("b", "c"): 0.0}
    assert (table.iloc[0]["class_a"], table.iloc[0]["class_b"]) == ("a", "b")


def test_neighbours_and_neighbour_precision_by_hand():
    z = np.array([[0.0], [0.1], [0.3], [5.0], [5.2]])
    y = np.array([0, 0, 1, 1, 1])
    indices, distances = nearest_neighbours(z, 0, k=2)
    assert indices.tolist() == [1, 2] and np.allclose(distances, [0.1, 0.3])
    # 1-NN: 0->1 ok, 1->0 ok, 2->1 wrong, 3->4 ok, 4->3 ok
    assert neighbour_precision(z, y, k=1) == pytest.approx(0.8)


@pytest.mark.filterwarnings("ignore:3 of 21 audio clips skipped")  # the fixture's bad files, checked once
def test_queries_and_neighbour_table(clips):
    study = run_audio_study(small_config(), clips, progress=False, write=False)
    queries = pick_queries(study, n=2)
    assert len(set(queries)) == 2
    table = neighbour_table(study, queries[0], k=3)
    assert isinstance(table, pd.DataFrame) and len(table) == 4
    assert table["role"].tolist()[0] == "query" and table["distance"].is_monotonic_increasing
    assert all("/" in name and not name.startswith("/") for name in table["clip"])


def test_confusion_table_puts_unmatched_clusters_last_and_keeps_absent_classes():
    # more clusters than classes: c3 and c2 match a and b, c0 and c1 follow in id order
    y_true = np.array([0, 0, 0, 1, 1, 1])
    y_cluster = np.array([3, 3, 0, 2, 2, 1])
    table = confusion_table(y_true, y_cluster, class_names=["a", "b"])
    assert list(table.columns) == ["c3", "c2", "c0", "c1"]
    assert table.to_numpy().tolist() == [[2, 0, 1, 0], [0, 2, 0, 1]]
    # a class with no held-out clip keeps its row, all zeros
    table = confusion_table(np.array([0, 0, 2, 2]), np.array([1, 1, 0, 0]), class_names=["a", "b", "c"])
    assert list(table.index) == ["a", "b", "c"] and list(table.columns) == ["c1", "c0"]
    assert table.to_numpy().tolist() == [[2, 0], [0, 0], [0, 2]]


def test_config_is_registered_and_built_from_the_notebook_parameters():
    from latentlib.studies import config_class

    assert config_class("04_audio_urbansound") is AudioStudyConfig
    namespace = {name: None for name in AudioStudyConfig.parameter_names()}
    namespace.update(profile="smoke", epochs=3, channels=[4, 8])  # papermill hands lists over
    config = AudioStudyConfig.from_parameters(namespace)
    assert config == AudioStudyConfig.from_profile("smoke", epochs=3, channels=(4, 8))
    assert (config.channels, config.n_mels, config.clips_per_cell) == ((4, 8), 32, 2)
    assert config.overrides() == {"epochs": 3, "channels": (4, 8)}


@pytest.mark.parametrize("overrides, message", [
    (dict(seeds=(-1,)), "seeds must be a non-empty list of distinct ints >= 0"),
    (dict(seeds=(0, 0)), "seeds must be .*repeated"),
    (dict(n_clusters=1), "n_clusters must be None or an int >= 2"),
    (dict(n_mels=4), r"n_mels must be at least 2 \*\* len\(channels\) = 8"),
    (dict(data_source="esc50"), "data_source must be one of 'auto', 'urbansound8k', 'everyday_sounds', 'drumkits'"),
    (dict(test_groups=()), "test_groups must be None or a non-empty list"),
    (dict(channels=(8, 0)), "channels must be"),
    (dict(learning_rate=float("inf")), "learning_rate must be a positive finite number"),
    (dict(device="tpu"), "device must be one of"),
])
def test_bad_parameters_name_the_parameter(overrides, message):
    with pytest.raises(ValueError, match=message):
        AudioStudyConfig.from_profile("quick", **overrides)


def test_a_held_out_fold_whose_every_clip_was_skipped_is_named_as_such(clips, tmp_path):
    for path in (tmp_path / "us8k" / "audio" / "fold3").glob("*.wav"):
        path.write_text("this is text, not audio")
    with pytest.warns(UserWarning, match="audio clips skipped"), \
            pytest.raises(ValueError, match="test_groups holds fold3, every clip of which was skipped"):
        run_audio_study(small_config(test_groups=("fold3",)), clips, progress=False, write=False)


def test_a_text_file_named_wav_is_skipped_with_a_reason(tmp_path):
    from latentlib.audio.features import FeatureConfig, clip_features

    fake = tmp_path / "notes.wav"
    fake.write_text("this is text, not audio")
    features, reason, detail = clip_features(fake, FeatureConfig(n_mels=16))
    assert features is None and reason == "unreadable"
    assert detail.split(": ", 1)[1].strip(), detail  # never an empty explanation


@pytest.mark.filterwarnings("ignore:3 of 21 audio clips skipped")  # the fixture's bad files, checked once
def test_equal_size_baselines_are_scored_exactly_like_the_autoencoder(clips):
    from latentlib.evaluation.baselines import PCAEmbedding
    from latentlib.evaluation.evaluate import kmeans_labels, score_clusters

    study = run_audio_study(small_config(), clips, progress=False, write=False)
    x_train = study.features.x[study.train_idx]
    for seed in (0, 1):
        # PCA: fitted on the training clips only, to the embedding size
        expected = PCAEmbedding(4, random_state=seed).fit(x_train).transform(study.x_test)
        np.testing.assert_allclose(study.embeddings[(PCA, seed)], expected, rtol=1e-5, atol=1e-6)
        for method in (AUTOENCODER, TRUE_BOTTLENECK, PCA, UNTRAINED):
            z = study.embeddings[(method, seed)]
            assert z.shape == (12, 4)
            row = study.runs[(study.runs["method"] == method) & (study.runs["seed"] == seed)].iloc[0]
            scores = score_clusters(z, study.y_test, kmeans_labels(z, n_clusters=3, seed=seed), seed=seed)
            assert {k: row[k] for k in scores} == pytest.approx(scores, nan_ok=True)
    # the untrained network is drawn per seed and differs from the trained one
    assert not np.allclose(study.embeddings[(UNTRAINED, 0)], study.embeddings[(UNTRAINED, 1)])
    assert not np.allclose(study.embeddings[(UNTRAINED, 0)], study.embeddings[(AUTOENCODER, 0)])
    assert study.overlaps()["seeds"].tolist() == [2, 2, 2]


@pytest.mark.filterwarnings("ignore:3 of 21 audio clips skipped")
def test_linear_probe_and_reconstruction_error_are_scored_on_the_held_out_clips(clips):
    from latentlib.evaluation.probe import linear_probe

    study = run_audio_study(small_config(), clips, progress=False, write=False)
    x_train, x_test = study.features.x[study.train_idx], study.x_test
    y_train = study.clips.labels[study.train_idx]
    runs = study.runs.set_index(["method", "seed"])
    # PCA's probe by hand: logistic regression on its training embeddings, scored on the held-out ones
    from latentlib.evaluation.baselines import PCAEmbedding
    pca = PCAEmbedding(4, random_state=1).fit(x_train)
    expected = linear_probe(pca.transform(x_train), y_train, pca.transform(x_test), study.y_test, seed=1)
    assert runs.loc[(PCA, 1), "linear_probe"] == pytest.approx(expected)
    assert runs["linear_probe"].between(0, 1).all()
    # the trivial reconstruction: the mean training spectrogram, the same for every network and seed
    baseline = float(np.mean((x_test - x_train.mean(axis=0)) ** 2))
    trained = runs.loc[[AUTOENCODER, TRUE_BOTTLENECK, UNTRAINED]]
    assert trained["mean_spectrogram_mse"].tolist() == pytest.approx([baseline] * len(trained))
    assert runs.loc[[PCA, MEAN_SPECTRUM], "heldout_mse"].isna().all()  # no decoder, no reconstruction
    # the autoencoder's error is its reconstructions' against the inputs
    from latentlib.evaluation.evaluate import reconstruct
    by_hand = float(np.mean((reconstruct(study.fits[(AUTOENCODER, 0)].model, x_test) - x_test) ** 2))
    assert runs.loc[(AUTOENCODER, 0), "heldout_mse"] == pytest.approx(by_hand, rel=1e-4)


def test_overlap_summary_gives_mean_and_std_over_seeds():
    pairs = pd.DataFrame({"class_a": ["a", "a", "a", "a"], "class_b": ["b", "c", "b", "c"],
                          "overlap": [0.2, 0.9, 0.4, 0.7], "seed": [0, 0, 1, 1]})
    table = overlap_summary(pairs)
    assert table[["class_a", "class_b"]].values.tolist() == [["a", "c"], ["a", "b"]]
    assert table["overlap"].tolist() == pytest.approx([0.8, 0.3])
    assert table["overlap_std"].tolist() == pytest.approx([np.std([0.9, 0.7], ddof=1), np.std([0.2, 0.4], ddof=1)])
    assert table["seeds"].tolist() == [2, 2]
    matrix = overlap_matrix(table, ["a", "b", "c"])
    assert matrix.loc["a", "c"] == matrix.loc["c", "a"] == "0.80 ± 0.14"
    assert matrix.loc["b", "c"] == "" and matrix.loc["a", "a"] == ""
