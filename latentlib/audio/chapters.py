"""The audio chapter, declared once: 04 (the paper's III-B / IV-C on UrbanSound8K, or
its offline stand-in). Found by :func:`latentlib.studies.all_studies`."""

from __future__ import annotations

from typing import Any

from latentlib.audio import claims, sections
from latentlib.audio.config import AudioStudyConfig
from latentlib.audio.drumkits import fetch as fetch_drumkits
from latentlib.audio.everyday_sounds import fetch as fetch_everyday_sounds
from latentlib.audio.study import run_audio_study
from latentlib.audio.urbansound import fetch as fetch_urbansound
from latentlib.studies import Study


def untrained(record: dict[str, Any]) -> bool:
    """Runs with no trained network (mean log-mel, PCA, the untrained copy: seeded, not
    trained): the reproduction check compares them to float precision."""
    run = record.get("run", {})
    return run.get("model") in ("mean_logmel", "pca") or run.get("objective") in ("pca", "none")


STUDIES = (
    Study("04_audio_urbansound", AudioStudyConfig, run_audio_study, claims=claims.audio_claims,
          section=sections.scores_section,
          section_title="## Audio: held-out scores and verdicts of each recorded variant (chapter 04)",
          fetchers={"urbansound8k": fetch_urbansound, "drumkits": fetch_drumkits,
                    "everyday_sounds": fetch_everyday_sounds}, deterministic=untrained),
)
