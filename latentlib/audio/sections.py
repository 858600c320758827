"""The results page's block for a recorded variant of study 04: each method's held-out scores
(mean ± std over seeds) and the chapter's headline verdicts, on the data that variant ran.

:mod:`latentlib.book.report` calls it by name; it lives here, not in the study, so a change to
the page does not touch the code the executed chapter ran.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from latentlib.audio.claims import (MEAN_SPECTROGRAM, audio_claims, claim_text, reconstruction_text, relation,
                                    runs_table)
from latentlib.audio.study import AUTOENCODER, MODELS, PCA, TRUE_BOTTLENECK, UNTRAINED
from latentlib.book.tables import mean_std

SCORES = {"silhouette": "silhouette", "acc": "ACC", "nmi": "NMI", "neighbour_precision": "neighbour precision",
          "linear_probe": "linear probe", "heldout_mse": "held-out MSE"}
#: the verdicts the page repeats: trained vs untrained, AE vs PCA, GAP vs bottleneck, and reconstruction
HEADLINES = {claim_text(AUTOENCODER, UNTRAINED, "acc"): "trained beats untrained (ACC)",
             claim_text(AUTOENCODER, PCA, "acc"): "AE beats PCA (ACC)",
             claim_text(TRUE_BOTTLENECK, AUTOENCODER, "acc"): "true bottleneck beats GAP (ACC)",
             reconstruction_text(AUTOENCODER): f"AE reconstructs better than the {MEAN_SPECTROGRAM}"}


def scores_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per method (the chapter's order): its embedding size, seeds and each score of
    :data:`SCORES` as mean ± std over seeds ("–" where a method has none)."""
    runs = runs_table(records)
    rows = []
    for method in MODELS:
        part = runs[runs["method"] == method]
        if part.empty:
            continue
        row = {"method": method, "size": int(part["embedding_size"].iloc[0]), "seeds": len(part)}
        for metric, label in SCORES.items():
            values = part[metric].astype(float).dropna() if metric in part else pd.Series(dtype=float)
            digits = 4 if metric == "heldout_mse" else 3
            row[label] = mean_std(values.mean(), values.std(), digits) if len(values) else "–"
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")


def verdict_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The headline claims: verdict (three outcomes), what the comparison found, our numbers."""
    found = {claim.claim: claim for claim in audio_claims(records)}
    rows = [{"claim": label, "verdict": found[text].outcome, "found": relation(found[text]),
             "ours": found[text].ours} for text, label in HEADLINES.items() if text in found]
    return pd.DataFrame(rows).set_index("claim")


def scores_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 04, one recorded variant: its data, the scores table and the headline verdicts
    (``how``: the command and wall time that made it)."""
    first = records[0]
    data = first["data"]
    return [f"### Chapter 04 variant `{first['variant']}`", "", how, "",
            f"Data: {data['source']}; {data['n_train']:,} training clips, {data['n_test']:,} held-out clips "
            f"from {len(data.get('test_groups', []))} held-out {data.get('group_kind', 'group')}s. "
            f"Source: `book/results/{first['study']}/{first['variant']}/`.", "",
            scores_table(records).to_markdown(disable_numparse=True), "",
            verdict_table(records).to_markdown(disable_numparse=True), ""]
