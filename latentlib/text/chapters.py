"""The text chapter, declared once: 05 (the paper's III-C / IV-C, an LSTM denoising
adversarial autoencoder on review sentences). Found by :func:`latentlib.studies.all_studies`."""

from __future__ import annotations

from typing import Any

from latentlib.studies import Study
from latentlib.text import claims, sections
from latentlib.text.config import TextDAAEConfig
from latentlib.text.movie_reviews import fetch as fetch_movie_reviews
from latentlib.text.rotten_tomatoes import fetch as fetch_rotten_tomatoes
from latentlib.text.study import run_text_study
from latentlib.text.yelp import fetch as fetch_yelp
from latentlib.text.yelp_fixture import fetch as fetch_yelp_sentences


def tfidf_run(record: dict[str, Any]) -> bool:
    """TF-IDF + SVD trains nothing: the reproduction check compares it to float precision."""
    return record.get("run", {}).get("model") == "tfidf"


STUDIES = (
    Study("05_text_yelp_daae", TextDAAEConfig, run_text_study, claims=claims.text_claims,
          section=sections.reach_section,
          section_title="## Text: how well each recorded variant reconstructs (chapter 05)",
          fetchers={"yelp": fetch_yelp, "rotten_tomatoes": fetch_rotten_tomatoes,
                    "movie_reviews": fetch_movie_reviews, "yelp_sentences": fetch_yelp_sentences},
          deterministic=tfidf_run),
)
