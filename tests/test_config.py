import pytest

from latentlib.images.config import EmbeddingSizeConfig
from latentlib.studies import config_for
from latentlib.book.results import variant


def test_profiles_differ_only_where_they_say():
    quick = EmbeddingSizeConfig.from_profile("quick")
    smoke = EmbeddingSizeConfig.from_profile("smoke")
    assert quick.embedding_sizes == (2, 4, 8, 16, 32)
    assert smoke.epochs < quick.epochs
    assert smoke.n_train < quick.n_train
    assert EmbeddingSizeConfig.from_profile("paper").n_train == "all"  # all of full MNIST
    assert quick.n_test == "all"  # the official test split, whole


def test_lists_given_directly_become_tuples_and_all_is_a_count():
    cfg = EmbeddingSizeConfig(embedding_sizes=[2, 4], n_train="all")
    assert cfg.embedding_sizes == (2, 4) and cfg.n_train == "all"
    with pytest.raises(ValueError, match="n_train must be a positive int or 'all', got 'some'"):
        EmbeddingSizeConfig(n_train="some")


def test_classes_per_batch_is_checked_before_any_data_loads():
    from latentlib.images.config import TripletVsMseConfig

    with pytest.raises(ValueError, match="classes_per_batch must be at most the 10 classes of mnist, got 11"):
        TripletVsMseConfig.from_profile("quick", classes_per_batch=11)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e999])
def test_numbers_must_be_finite(value):
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        EmbeddingSizeConfig.from_profile("quick", learning_rate=value)


def test_none_keeps_the_profile_value_and_lists_become_tuples():
    cfg = EmbeddingSizeConfig.from_profile("smoke", epochs=None, embedding_sizes=[2, 8])
    assert cfg.epochs == EmbeddingSizeConfig.from_profile("smoke").epochs
    assert cfg.embedding_sizes == (2, 8)
    assert cfg.overrides() == {"embedding_sizes": (2, 8)}


def test_variant_names_profile_and_overrides():
    assert variant(EmbeddingSizeConfig.from_profile("quick")) == "quick"
    tweaked = variant(EmbeddingSizeConfig.from_profile("quick", epochs=3))
    assert tweaked.startswith("quick-") and tweaked != variant(EmbeddingSizeConfig.from_profile("quick", epochs=4))


@pytest.mark.parametrize(
    ("profile", "overrides", "message"),
    [
        ("fast", {}, "profile must be one of 'smoke', 'quick', 'paper', got 'fast'"),
        ("quick", {"epoch": 3}, "unknown parameter 'epoch'.*did you mean 'epochs'"),
        ("quick", {"embedding_sizes": [4, -3]}, "embedding_sizes must be .*bad entry -3"),
        ("quick", {"embedding_sizes": [2.5]}, "embedding_sizes must be"),
        ("quick", {"embedding_sizes": [4, 4]}, "embedding_sizes must be .*(repeated entries)"),
        ("quick", {"embedding_sizes": []}, "embedding_sizes must be a non-empty list"),
        ("quick", {"epochs": 0}, "epochs must be a positive int, got 0"),
        ("quick", {"epochs": True}, "epochs must be a positive int, got True"),
        ("quick", {"learning_rate": -1.0}, "learning_rate must be a positive finite number"),
        ("quick", {"n_clusters": 1}, "n_clusters must be an int >= 2"),
        ("quick", {"data_source": "internet"}, "data_source must be one of 'auto'"),
        ("quick", {"device": "tpu"}, "device must be one of"),
        ("quick", {"seeds": (-1,)}, "seeds must be"),
    ],
)
def test_bad_parameters_name_themselves_and_the_fix(profile, overrides, message):
    with pytest.raises(ValueError, match=message):
        EmbeddingSizeConfig.from_profile(profile, **overrides)


def test_config_for_knows_the_studies():
    assert isinstance(config_for("01_embedding_size", "smoke"), EmbeddingSizeConfig)
    with pytest.raises(ValueError, match="study must be one of .*01_embedding_size"):
        config_for("99_nothing")


# ------------------------------------------------------------------- image configs: type before range

@pytest.mark.parametrize(("overrides", "message"), [
    # a string used to reach `"5" < 2` first: a TypeError instead of the parameter's message
    ({"umap_neighbors": "5"}, "umap_neighbors must be an int >= 2, got '5'"),
    ({"umap_neighbors": 1}, "umap_neighbors must be an int >= 2, got 1"),
    ({"umap_neighbors": True}, "umap_neighbors must be an int >= 2, got True"),
    ({"umap_neighbors": 2.5}, "umap_neighbors must be an int >= 2, got 2.5"),
])
def test_whole_set_config_checks_the_type_before_the_range(overrides, message):
    from latentlib.images.config import WholeSetClusteringConfig

    with pytest.raises(ValueError, match=message):
        WholeSetClusteringConfig.from_profile("quick", **overrides)
    assert WholeSetClusteringConfig.from_profile("quick", umap_neighbors=2).umap_neighbors == 2


@pytest.mark.parametrize(("overrides", "message"), [
    ({"classes_per_batch": "11"}, r"classes_per_batch must be an int >= 2 .*got '11'"),
    ({"classes_per_batch": 11}, "classes_per_batch must be at most the 10 classes of mnist, got 11"),
    ({"samples_per_class": "4"}, r"samples_per_class must be an int >= 2 .*got '4'"),
    ({"margin": float("inf")}, "margin must be a positive finite number, got inf"),
    ({"triplet_weight": float("inf")}, "triplet_weight must be a positive finite number, got inf"),
    ({"triplet_weight": "1"}, "triplet_weight must be a positive finite number, got '1'"),
    ({"miner": "hardest"}, "miner must be one of 'all', 'batch_hard', 'semi_hard', got 'hardest'"),
])
def test_cluster_tables_config_names_each_bad_triplet_setting(overrides, message):
    from latentlib.images.config import TripletVsMseConfig

    with pytest.raises(ValueError, match=message):
        TripletVsMseConfig.from_profile("quick", **overrides)


@pytest.mark.parametrize("hypotheses", [3, "conv", (), ("conv", "nothing")])
def test_gap_hypotheses_must_be_a_list_of_known_names(hypotheses):
    from latentlib.images.config import MseGapConfig

    with pytest.raises(ValueError, match="hypotheses must be a non-empty list of tsne_view"):
        MseGapConfig.from_profile("quick", hypotheses=hypotheses)


def test_the_miner_names_are_the_losses_table(monkeypatch):
    """One table of miners (latentlib.images.losses.MINERS): the config accepts each of
    its names and follows it when it changes."""
    from latentlib.images import config, losses
    from latentlib.images.config import TripletVsMseConfig

    assert not hasattr(config, "TRIPLET_MINERS")
    for miner in losses.MINERS:
        assert TripletVsMseConfig.from_profile("quick", miner=miner).miner == miner
    monkeypatch.setattr(losses, "MINERS", ("all",))
    with pytest.raises(ValueError, match="miner must be one of 'all', got 'semi_hard'"):
        TripletVsMseConfig.from_profile("quick", miner="semi_hard")
