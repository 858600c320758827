"""The studies of the book, each declared once in its modality and found by walking them.

A study is one :class:`Study` in the ``chapters`` module of a modality package
(``latentlib/images/chapters.py``, ``latentlib/audio/chapters.py``, ...): its config
class, its run function, how to plan its fits, its one claims decider, its results-page
block and its data fetchers. The core never names a modality: :func:`all_studies` imports
``<package>.chapters`` for every subpackage of ``latentlib`` that has one, plus the
packages listed in ``$LATENTLIB_STUDY_PACKAGES`` (comma-separated; a study outside this
library, or a test's toy study), and a test checks that nothing else reaches them.

``claims(records)`` is the only place a study's verdicts are decided: the executed
chapter, the results page, the "What reproduced" page and the reproduction check all
call it with the records they hold.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from latentlib.config import StudyConfig
from latentlib.validation import fail

#: core subpackages: never searched for studies
CORE_PACKAGES = ("data", "training", "evaluation", "book")
#: the module of a modality package that declares its studies (a ``STUDIES`` tuple)
DECLARATIONS = "chapters"
#: extra packages to search, comma-separated (studies built on this library elsewhere)
EXTRA_PACKAGES = "LATENTLIB_STUDY_PACKAGES"

Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Study:
    """One chapter of the book, declared once.

    Parameters
    ----------
    name
        The notebook's name, ``NN_words`` (``notebooks/NN_words.md``).
    config
        The study's config class: its fields are the notebook's parameters.
    run
        The function the notebook calls to run the study (documentation and discovery;
        the notebook imports it directly).
    claims
        ``records -> list[Verdict]``: every verdict the chapter states, decided from its
        records. ``None`` for a study that states none.
    plan
        ``config -> list[FitSpec]``: the fits the chapter will ask for, built by the same
        functions the study trains with; ``None`` when its chapter trains its own fits.
    section
        ``(records of one variant, how it was run) -> Markdown lines``: the study's block
        on the results page; ``None`` to leave it off the page.
    section_title
        The heading of that block.
    fetchers
        Dataset name -> ``fetch(root) -> description`` for ``latentlib data NAME``.
    deterministic
        ``record -> bool``: True for a run with no trained network (PCA, TF-IDF, mean
        log-mel features), compared to float precision by the reproduction check.
    """

    name: str
    config: type[StudyConfig]
    run: Callable[..., Any]
    claims: Callable[[Records], list[Any]] | None = None
    plan: Callable[[Any], list[Any]] | None = None
    section: Callable[[Records, str], list[str]] | None = None
    section_title: str = ""
    fetchers: Mapping[str, Callable[[str | Path | None], str]] = field(default_factory=dict)
    deterministic: Callable[[dict[str, Any]], bool] = field(default=lambda record: False)

    def __post_init__(self) -> None:
        if not (len(self.name) > 3 and self.name[:2].isdigit() and self.name[2] == "_"):
            fail("Study.name", self.name, "a notebook name 'NN_words', e.g. '01_embedding_size'")
        if not (isinstance(self.config, type) and issubclass(self.config, StudyConfig)):
            fail(f"{self.name}: Study.config", self.config, "a StudyConfig subclass")


def _packages() -> list[str]:
    import latentlib

    found = [f"latentlib.{info.name}" for info in pkgutil.iter_modules(latentlib.__path__)
             if info.ispkg and info.name not in CORE_PACKAGES]
    extra = [name.strip() for name in os.environ.get(EXTRA_PACKAGES, "").split(",") if name.strip()]
    return found + extra


@functools.cache
def _discover(packages: tuple[str, ...]) -> dict[str, Study]:
    studies: dict[str, Study] = {}
    for package in packages:
        try:
            module = importlib.import_module(f"{package}.{DECLARATIONS}")
        except ModuleNotFoundError as error:
            if error.name in (package, f"{package}.{DECLARATIONS}"):
                continue  # a package without studies
            raise
        for study in getattr(module, "STUDIES", ()):
            if study.name in studies:
                raise ValueError(f"study {study.name!r} is declared twice: in {package} and before it")
            studies[study.name] = study
    return dict(sorted(studies.items()))


def all_studies() -> dict[str, Study]:
    """Every declared study by name, in chapter order."""
    return _discover(tuple(_packages()))


def names() -> list[str]:
    """The declared studies' names, in chapter order."""
    return list(all_studies())


def get(study: str) -> Study:
    """The declaration of ``study`` (a notebook name such as ``01_embedding_size``)."""
    studies = all_studies()
    if study not in studies:
        fail("study", study, "one of " + ", ".join(studies))
    return studies[study]


def config_class(study: str) -> type[StudyConfig]:
    """The config class of ``study``."""
    return get(study).config


def config_for(study: str, profile: str = "quick", **overrides: Any) -> StudyConfig:
    """The validated config of ``study`` in ``profile`` with ``overrides``."""
    return config_class(study).from_profile(profile, **overrides)


def fetchers() -> dict[str, Callable[[str | Path | None], str]]:
    """Dataset name -> fetcher, over every study (``latentlib data NAME``)."""
    found: dict[str, Callable[[str | Path | None], str]] = {}
    for study in all_studies().values():
        found.update(study.fetchers)
    return dict(sorted(found.items()))


def fetch(name: str, root: str | Path | None = None) -> str:
    """Make dataset ``name`` available under ``root``; describe the source found."""
    known = fetchers()
    if name not in known:
        fail("dataset", name, "one of " + ", ".join(known))
    return known[name](root)


def claims(study: str, records: Records) -> list[Any]:
    """The verdicts of ``study`` decided from ``records`` (empty when it states none)."""
    decider = get(study).claims
    return list(decider(records)) if decider and records else []


def deterministic(record: dict[str, Any]) -> bool:
    """True for a record of a run with no trained network, as its study declares."""
    studies = all_studies()
    study = studies.get(record.get("study", ""))
    return bool(study and study.deterministic(record))
