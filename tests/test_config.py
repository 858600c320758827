import pytest

from latentlib.config import EmbeddingSizeConfig, config_for
from latentlib.results import variant


def test_profiles_differ_only_where_they_say():
    quick = EmbeddingSizeConfig.from_profile("quick")
    smoke = EmbeddingSizeConfig.from_profile("smoke")
    assert quick.embedding_sizes == (2, 4, 8, 16, 32)
    assert smoke.epochs < quick.epochs
    assert smoke.n_train < quick.n_train
    assert EmbeddingSizeConfig.from_profile("paper").n_train is None  # all of full MNIST


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
        ("quick", {"embedding_sizes": [4, 4]}, "embedding_sizes must be a list without repeated"),
        ("quick", {"embedding_sizes": []}, "embedding_sizes must be a non-empty list"),
        ("quick", {"epochs": 0}, "epochs must be a positive int, got 0"),
        ("quick", {"epochs": True}, "epochs must be a positive int, got True"),
        ("quick", {"learning_rate": -1.0}, "learning_rate must be a positive number"),
        ("quick", {"n_clusters": 1}, "n_clusters must be an int >= 2"),
        ("quick", {"data_source": "internet"}, "data_source must be one of 'auto'"),
        ("quick", {"device": "tpu"}, "device must be one of"),
        ("quick", {"seed": -1}, "seed must be an int >= 0"),
    ],
)
def test_bad_parameters_name_themselves_and_the_fix(profile, overrides, message):
    with pytest.raises(ValueError, match=message):
        EmbeddingSizeConfig.from_profile(profile, **overrides)


def test_config_for_knows_the_studies():
    assert isinstance(config_for("01_embedding_size", "smoke"), EmbeddingSizeConfig)
    with pytest.raises(ValueError, match="study must be one of .*01_embedding_size"):
        config_for("99_nothing")
