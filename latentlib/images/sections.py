"""The results page's blocks of the image chapters, one recorded variant at a time:
Table I (02), Table II (03), the MSE gap (06) and N2D on the pooled set (07).

Their studies declare them (:mod:`latentlib.images.chapters`); the page's frame is
:mod:`latentlib.book.report`. They live apart from the studies, so a change to the page
does not touch the code the executed chapters ran.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from latentlib.book.paper import deep_clustering_mnist, inconsistency_note
from latentlib.book.results import records_frame
from latentlib.book.tables import beside_paper, formatted, summarise
from latentlib.evaluation.claims import sentences
from latentlib.images.claims import pca_claims, triplet_claims, whole_set_claims
from latentlib.images.gap_judge import judge
from latentlib.images.gap_words import gap_findings
from latentlib.images.n2d import beside_published


def gap_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 06, one recorded variant: the views applied to every column, the MSE
    hypotheses, every claim and the findings (``how``: the command and wall time that
    made it), all from :func:`latentlib.images.gap_judge.judge`."""
    first = records[0]
    study = judge(records)
    sizes = tuple(sorted(study.runs["embedding_size"].unique()))
    views = study.view_table(sizes)
    check = study.check_table()
    return [f"### Chapter 06 variant `{first['variant']}`", "", how, "",
            f"Source: `book/results/{first['study']}/{first['variant']}/`.", "",
            *([views.reset_index().to_markdown(index=False, disable_numparse=True), ""] if len(views) else []),
            *([check.reset_index().to_markdown(index=False, disable_numparse=True), "", study.view_cost(), ""]
              if len(check) else []),
            study.table(sizes).to_markdown(disable_numparse=True), "",
            sentences(study.claims), "", gap_findings(study.claims), ""]


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
            sentences(whole_set_claims(records)), ""]


# --- Tables I and II (chapters 02 and 03) ---

def run_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Records frame -> one row per run with ``method``, size, seed and metric columns."""
    out = pd.DataFrame({
        "method": frame["run.method"],
        "embedding_size": frame["run.embedding_size"].astype(int),
        "seed": frame["run.seed"].astype(int),
    })
    if "run.input" in frame.columns:
        out["input"] = frame["run.input"].fillna(frame["run.method"]).to_numpy()
    for column in frame.columns:
        if column.startswith("metrics."):
            out[column.removeprefix("metrics.")] = frame[column].to_numpy()
    return out


def _markdown(table: pd.DataFrame) -> str:
    if not len(table):
        return "_no records_"
    if isinstance(table.index, pd.MultiIndex):
        return table.reset_index().to_markdown(index=False, disable_numparse=True)
    return table.to_markdown(disable_numparse=True)


def _title(group: pd.DataFrame) -> str:
    """A short heading: dataset, training-set size, model, epochs."""
    first = group.iloc[0]
    dataset = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}.get(first.get("config.dataset", "mnist"))
    return (f"{dataset}, {int(first['data.n_train']):,} training images, {first['config.model'].upper()}, "
            f"{first['config.epochs']} epochs (`{first['variant']}`)")


def _describe(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    seeds = sorted(int(seed) for seed in group["run.seed"].unique())
    return (f"Data: {first['data.source']}, {int(first['data.n_train']):,} train / "
            f"{int(first['data.n_test']):,} test, scored on test. Triplet miner `{first['config.miner']}` "
            f"(margin {first['config.margin']}); seeds {seeds}; {len(group)} records; code "
            f"`{first['environment.commit']}`; device {first['device']}.")


def _mark_collapsed(table: pd.DataFrame, summary: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Mark, in the row itself, every ``ours`` cell whose runs include collapsed ones."""
    if "collapsed" not in summary.columns:
        return table
    table = table.copy()
    for column, method in columns.items():
        for size in table.index:
            key = (method, size)
            if key in summary.index and summary.loc[key, "collapsed"]:
                n, total = int(summary.loc[key, "collapsed"]), int(summary.loc[key, "n"])
                table.loc[size, f"{column}: ours"] += f" ⚠ {n} of {total} collapsed"
    return table


def _dataset_note(group: pd.DataFrame) -> list[str]:
    dataset = group.iloc[0].get("config.dataset", "mnist")
    if dataset == "mnist":
        return []
    return [f"_The paper's columns are its MNIST numbers; on {dataset} only the direction of each "
            "comparison can be set beside them, not the levels._", ""]


def _paper_note() -> list[str]:
    """Under a table beside the paper's: where the paper's two tables disagree with each other."""
    note = inconsistency_note()
    return [note, ""] if note else []


def _variant_runs(records: list[dict[str, Any]]) -> tuple[pd.DataFrame, str, pd.DataFrame, str]:
    """(records as a frame, the variant's name, one row per run, the model) of one variant."""
    group = records_frame(records)
    return group, group.iloc[0]["variant"], run_table(group), group.iloc[0]["config.model"]


def table_i_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 02, one recorded variant: Table I beside the paper, every metric, the claims."""
    group, name, table, model = _variant_runs(records)
    lines = []
    summary = summarise(table)
    triplet, mse = f"{model}-triplet", f"{model}-mse"
    columns = {"triplet": triplet, "mse": mse}
    lines += [f"### Table I: {_title(group)}", "", _describe(group), "", *([how, ""] if how else []),
              f"Source: `book/results/02_triplet_vs_mse/{name}/`. Triplet runs use the training labels "
              "(supervised); MSE runs do not.", "", *_dataset_note(group),
              _markdown(_mark_collapsed(beside_paper(summary, table="I", columns=columns), summary, columns)),
              "", *_paper_note(),
              "All metrics (mean ± std over seeds; `collapsed` counts runs flagged as collapsed):", "",
              _markdown(formatted(summary)), ""]
    if any(method == triplet for method, _ in summary.index):
        collapsed = table[table["collapsed"].fillna(False).astype(bool)] if "collapsed" in table else table.iloc[:0]
        if len(collapsed):
            by_method = collapsed.groupby("method").size()
            counts = ", ".join(f"{n} of {int((table['method'] == m).sum())} {m} runs"
                               for m, n in by_method.items())
            lines.append(f"- **Collapsed: {counts}** (flagged in their records): their silhouette says "
                         "nothing about the classes, and every verdict below leaves them out.")
        lines += [sentences(triplet_claims(records)), ""]
    lines += ["Why our MSE-only column sits below the paper's while our PCA matches Table II: "
              "[chapter 06](executed/06_mse_gap.ipynb) tests each hypothesis as a recorded variant.", ""]
    return lines


def table_ii_section(records: list[dict[str, Any]], how: str) -> list[str]:
    """Chapter 03, one recorded variant: Table II beside the paper, every metric, the claims."""
    group, name, table, model = _variant_runs(records)
    lines = []
    tables = table[~table["method"].str.startswith("umap")]
    summary = summarise(tables)
    columns = {"pca": "pca", "autoencoder": f"{model}-triplet"}
    lines += [f"### Table II: {_title(group)}", "", _describe(group), "", *([how, ""] if how else []),
              f"Source: `book/results/03_pca_vs_autoencoder/{name}/`. PCA is fitted on the training split; "
              "the paper's autoencoder column is its triplet (supervised) run; the unsupervised MSE "
              "autoencoder is the like-for-like comparison with PCA.", "", *_dataset_note(group),
              _markdown(_mark_collapsed(beside_paper(summary, table="II", columns=columns), summary, columns)),
              "", *_paper_note(),
              _markdown(formatted(summary)), ""]
    lines += [sentences(pca_claims(records)), ""]
    umap_rows = table[table["method"].str.startswith("umap")]
    if len(umap_rows):
        summary_n2d = summarise(umap_rows, by=("method", "input", "embedding_size"),
                                metrics=("acc", "nmi", "ari"))
        lines += ["#### Beyond the paper: N2D (UMAP + GMM / K-Means), unsupervised", "",
                  _markdown(formatted(summary_n2d, metrics=("acc", "nmi", "ari"))), ""]
        if group.iloc[0].get("config.dataset", "mnist") == "mnist":
            lines += ["Published on the full 70k MNIST, for context (not reproduced here):", "",
                      _markdown(deep_clustering_mnist(sources=False).astype(object).fillna("–")), ""]
    return lines
