"""The image chapters, each declared once: 01, 02, 03 (the paper's Fig. 3 and Tables I
and II), 06 (the MSE gap) and 07 (N2D on the pooled set). Found by
:func:`latentlib.studies.all_studies`."""

from __future__ import annotations

from typing import Any

from latentlib.images import claims, sections
from latentlib.images.config import (EmbeddingSizeConfig, MseGapConfig, PcaVsAutoencoderConfig,
                                     TripletVsMseConfig, WholeSetClusteringConfig)
from latentlib.images.fashion_mnist import fetch as fetch_fashion_mnist
from latentlib.images.gap import run_gap_study
from latentlib.images.mnist import fetch as fetch_mnist
from latentlib.images.n2d import run_whole_set_clustering
from latentlib.images.plan import plan_embedding_sizes, plan_objective_grid
from latentlib.images.study import run_embedding_sizes, run_objective_grid
from latentlib.studies import Study

#: the image datasets every image chapter can fetch (`latentlib data mnist`, ...)
IMAGE_DATA = {"mnist": fetch_mnist, "fashion_mnist": fetch_fashion_mnist}


def pca_run(record: dict[str, Any]) -> bool:
    """PCA runs train nothing: the reproduction check compares them to float precision.
    (A 2-D t-SNE or UMAP view of PCA, chapter 06, is not one: its layout moves with the
    thread count, by up to 0.03 in ACC.)"""
    return record.get("run", {}).get("method") == "pca"


STUDIES = (
    Study("01_embedding_size", EmbeddingSizeConfig, run_embedding_sizes, claims=claims.embedding_size_claims,
          plan=plan_embedding_sizes, fetchers=IMAGE_DATA, deterministic=pca_run),
    Study("02_triplet_vs_mse", TripletVsMseConfig, run_objective_grid, claims=claims.triplet_claims,
          plan=plan_objective_grid, section=sections.table_i_section,
          section_title="## Table I: triplet loss vs MSE (paper IV-B2)", fetchers=IMAGE_DATA,
          deterministic=pca_run),
    Study("03_pca_vs_autoencoder", PcaVsAutoencoderConfig, run_objective_grid, claims=claims.pca_claims,
          plan=plan_objective_grid, section=sections.table_ii_section,
          section_title="## Table II: PCA vs autoencoder (paper IV-B3)", fetchers=IMAGE_DATA, deterministic=pca_run),
    Study("06_mse_gap", MseGapConfig, run_gap_study, claims=claims.gap_claims, section=sections.gap_section,
          section_title="## The MSE gap, every recorded variant (chapter 06)", fetchers=IMAGE_DATA,
          deterministic=pca_run),
    Study("07_n2d_whole_set", WholeSetClusteringConfig, run_whole_set_clustering, claims=claims.whole_set_claims,
          section=sections.whole_set_section,
          section_title="## Unsupervised clustering on the pooled set: N2D (chapter 07)", fetchers=IMAGE_DATA,
          deterministic=pca_run),
)
