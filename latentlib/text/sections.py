"""The results page's block for a recorded variant of study 05: how well each model
reconstructs, on sentences it trained on and on held-out ones.

:mod:`latentlib.book.report` calls it by name; it lives here, not in the study, so a change to
the page does not touch the code the executed chapter ran.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from latentlib.book.tables import mean_std
from latentlib.text.findings import RECONSTRUCTS_ACC, bar_cost
from latentlib.text.study import LABELS

SCORES = {"train_clean_token_acc_known": "known words, training sentences",
          "test_clean_token_acc_known": "known words, held-out sentences",
          "test_clean_exact": "exact, held-out",
          "yelp_clean_token_acc_known": "known words, Yelp sentences (out of domain)"}


def reconstruction_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per model: its size and training, each score of :data:`SCORES` as mean ±
    std over seeds (one record per model and seed carries them), and when its fits first
    reached the reconstruction bar on their held-out curve (:func:`~latentlib.text.findings.bar_cost`)."""
    rows, seen = [], set()
    for r in records:
        key = (r["run"].get("variant"), r["run"]["seed"])
        if key in seen or "test_clean_token_acc_known" not in r["metrics"]:
            continue
        seen.add(key)
        rows.append({"model": key[0], "seed": key[1], **{k: r["metrics"].get(k) for k in SCORES}})
    frame = pd.DataFrame(rows)
    config = records[0]["config"]
    out = []
    for model, part in frame.groupby("model", sort=False):
        out.append({"model": LABELS.get(model, model), "seeds": len(part),
                    "hidden / latent / vocabulary": f"{config['hidden_size']} / {config['latent_size']} / "
                                                    f"{config['vocab_size']}",
                    "epochs": config["epochs"],
                    **{label: mean_std(part[k].mean(), part[k].std()) if k in part and part[k].notna().any()
                       else "not recorded" for k, label in SCORES.items()},
                    f"held-out {RECONSTRUCTS_ACC:.0%} reached": bar_cost(records, model)})
    return pd.DataFrame(out).set_index("model")


def reach_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 05, one recorded variant: the reconstruction table (``how``: the command
    and wall time that made it)."""
    first = records[0]
    return [f"### Chapter 05 variant `{first['variant']}`", "", how, "",
            f"Data: {first['data']['source']}. Source: `book/results/{first['study']}/{first['variant']}/`. "
            f"The chapter's bar for a model that reconstructs: {RECONSTRUCTS_ACC:.0%} of the known words of "
            "held-out sentences.", "",
            reconstruction_table(records).to_markdown(disable_numparse=True), ""]
