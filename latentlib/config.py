"""The base of every study config: profiles, overrides, parameters named once.

A study's config is a frozen dataclass next to its study (``images/config.py``,
``audio/config.py``, ``text/config.py``) whose fields are the notebook's parameters.
The notebook's ``parameters`` cell lists the same names with ``None`` ("keep the
profile's value"), so papermill can set any of them; the next cell builds the config
from those names in one call, :meth:`StudyConfig.from_parameters`, so adding a
parameter means one field plus one line of the cell (a test checks they match).

Profiles list only what changes from the dataclass defaults (which are the ``quick``
profile), each with a short reason.
"""

from __future__ import annotations

import dataclasses
import difflib
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from latentlib.validation import check_choice

PROFILES = ("smoke", "quick", "paper")
DEVICES = ("auto", "cpu", "cuda", "mps")


def as_tuple(value: Any) -> Any:
    """papermill and YAML hand lists over; configs keep tuples so they hash and compare."""
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class StudyConfig:
    """Profile resolution, overrides and validation shared by all studies."""

    profile: str = "quick"

    #: the notebook name of the study (``01_embedding_size``)
    study: ClassVar[str] = ""
    #: profile -> field overrides relative to the dataclass defaults
    profiles: ClassVar[dict[str, dict[str, Any]]] = {}

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
                raise ValueError(f"unknown parameter {name!r} for study {cls.study!r}{hint}; "
                                 f"allowed: {', '.join(known)}")
        values = dict(cls.profiles.get(profile, {}))
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["profile"] = profile
        return cls(**values)

    @classmethod
    def from_parameters(cls, namespace: Mapping[str, Any]) -> "StudyConfig":
        """The config of a notebook's parameters: ``namespace`` (the notebook's
        ``globals()``) holds ``profile`` and one variable per field, None keeping the
        profile's value."""
        names = [name for name in cls.parameter_names() if name != "profile"]
        return cls.from_profile(namespace.get("profile", "quick"),
                                **{name: namespace[name] for name in names if name in namespace})

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # lists given directly become tuples, as from a profile
            object.__setattr__(self, f.name, as_tuple(getattr(self, f.name)))
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


def check_device(value: Any) -> None:
    check_choice("device", value, DEVICES)

