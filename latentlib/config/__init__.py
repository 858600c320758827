"""Profiles and one validated config dataclass per study.

A study's config mirrors the ``parameters`` cell of its notebook: every field can be
overridden one by one, and ``None`` means "keep the profile's value". Profiles list only
what changes from the dataclass defaults (which are the ``quick`` profile), each with a
short reason. ``base`` holds the machinery; one module per family of studies holds
their configs, which register themselves by study name on import.
"""

from latentlib.config.base import (
    DEVICES,
    PROFILES,
    StudyConfig,
    check_choice,
    check_int_tuple,
    check_optional_positive_int,
    check_positive_float,
    check_positive_int,
    config_for,
)
from latentlib.config.images import (
    MNIST_SOURCES,
    ClusterTablesConfig,
    EmbeddingSizeConfig,
    MnistDataConfig,
    PcaVsAutoencoderConfig,
    TripletVsMseConfig,
)
from latentlib.config.audio import AudioStudyConfig
from latentlib.config.text import TextDAAEConfig

__all__ = [
    "DEVICES",
    "MNIST_SOURCES",
    "PROFILES",
    "AudioStudyConfig",
    "ClusterTablesConfig",
    "EmbeddingSizeConfig",
    "MnistDataConfig",
    "PcaVsAutoencoderConfig",
    "StudyConfig",
    "TextDAAEConfig",
    "TripletVsMseConfig",
    "check_choice",
    "check_int_tuple",
    "check_optional_positive_int",
    "check_positive_float",
    "check_positive_int",
    "config_for",
]
