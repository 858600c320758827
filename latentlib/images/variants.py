"""The results page's blocks for the recorded variants of studies 06 and 07.

:mod:`latentlib.report` calls these by name; they live here, not in the studies, so a
change to the page does not touch the code the executed chapters ran.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from latentlib.images.gap import BASELINE, PCA, SCORING, judge
from latentlib.images.n2d import beside_published, verdicts


def gap_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 06, one recorded variant: the gap table and every verdict (``how``: the
    command and wall time that made it)."""
    first = records[0]
    # the chapter's order: the baseline, the PCA control, the scoring variants, then the trained ones
    rank = {BASELINE: 0, PCA: 1, **{h: 2 + i for i, h in enumerate(SCORING)}}
    records = sorted(records, key=lambda r: rank.get(r["run"].get("hypothesis", r["run"]["method"]), len(rank)))
    study = judge(records)
    sizes = tuple(sorted(study.runs["embedding_size"].unique()))
    return [f"### Chapter 06 variant `{first['variant']}`", "", how, "",
            f"Source: `book/results/{first['study']}/{first['variant']}/`.", "",
            study.table(sizes).to_markdown(disable_numparse=True), "",
            *[f"- {v.sentence()}" for v in study.verdicts.values() if v.outcome != "undecided"], ""]


def whole_set_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 07, one recorded variant: ours beside the published rows, and the verdict."""
    first = records[0]
    table = pd.DataFrame([{**{k: r["run"][k] for k in ("name", "method", "seed", "n_images")}, **r["metrics"]}
                          for r in records])
    # one autoencoder per seed; each of its three methods' records carries its fit time
    fit_seconds = {r["run"]["seed"]: r["timings"]["fit_seconds"] for r in records if "fit_seconds" in r["timings"]}
    fits = (f" Autoencoder fits: {', '.join(f'{fit_seconds[s] / 60:.1f}' for s in sorted(fit_seconds))} min."
            if fit_seconds else "")
    return [f"### Chapter 07 variant `{first['variant']}`: {int(first['run']['n_images']):,} images, "
            f"{first['config']['epochs']} epochs", "", how + fits, "",
            f"Data: {first['data']['source']}, {first['data']['split']}. Source: "
            f"`book/results/{first['study']}/{first['variant']}/`.", "",
            beside_published(table).to_markdown(disable_numparse=True), "",
            *[f"- {v.sentence()}" for v in verdicts(table) if v.outcome != "undecided"], ""]
