"""The study registry: notebook name -> its config class, imported only when asked for.

This is the one place where the core reaches the modalities, and it does so by name,
so importing the core never imports torch models, librosa or the text pipeline.
"""

from __future__ import annotations

import importlib
from typing import Any

from latentlib.config import StudyConfig
from latentlib.validation import fail

STUDY_CONFIGS = {
    "01_embedding_size": "latentlib.images.config:EmbeddingSizeConfig",
    "02_triplet_vs_mse": "latentlib.images.config:TripletVsMseConfig",
    "03_pca_vs_autoencoder": "latentlib.images.config:PcaVsAutoencoderConfig",
    "04_audio_urbansound": "latentlib.audio.config:AudioStudyConfig",
    "05_text_yelp_daae": "latentlib.text.config:TextDAAEConfig",
    "06_mse_gap": "latentlib.images.config:MseGapConfig",
    "07_n2d_whole_set": "latentlib.images.config:WholeSetClusteringConfig",
}


def config_class(study: str) -> type[StudyConfig]:
    """The config class of ``study`` (a notebook name such as ``01_embedding_size``)."""
    if study not in STUDY_CONFIGS:
        fail("study", study, "one of " + ", ".join(sorted(STUDY_CONFIGS)))
    module, name = STUDY_CONFIGS[study].split(":")
    return getattr(importlib.import_module(module), name)


def config_for(study: str, profile: str = "quick", **overrides: Any) -> StudyConfig:
    """The validated config of ``study`` in ``profile`` with ``overrides``."""
    return config_class(study).from_profile(profile, **overrides)
