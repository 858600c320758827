"""The machinery every study config shares: profiles, overrides, validation helpers.

A study's config mirrors the ``parameters`` cell of its notebook: every field can be
overridden one by one, and ``None`` means "keep the profile's value", so a notebook's
parameters cell can hold ``epochs = None`` and papermill can still set it.
"""

from __future__ import annotations

import dataclasses
import difflib
import html
from dataclasses import dataclass
from typing import Any, ClassVar

PROFILES = ("smoke", "quick", "paper")
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

    def _repr_html_(self) -> str:
        """A parameter table in notebooks; values set away from the profile are bold."""
        changed = self.overrides()
        rows = "".join(
            f"<tr><td><code>{name}</code></td><td>{'<b>' if name in changed else ''}{html.escape(repr(value))}"
            f"{'</b>' if name in changed else ''}</td></tr>"
            for name, value in self.to_dict().items()
        )
        return (f"<table><thead><tr><th>{type(self).__name__}</th><th>value</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")

    def overrides(self) -> dict[str, Any]:
        """Fields whose value differs from this config's profile."""
        base = type(self).from_profile(self.profile)
        return {name: getattr(self, name) for name in self.parameter_names()
                if getattr(self, name) != getattr(base, name)}


def config_for(study: str, profile: str = "quick", **overrides: Any) -> StudyConfig:
    """The validated config of ``study`` (a notebook name such as ``01_embedding_size``)."""
    if study not in StudyConfig.registry:
        _fail("study", study, "one of " + ", ".join(sorted(StudyConfig.registry)))
    return StudyConfig.registry[study].from_profile(profile, **overrides)

