"""The book's results page: the paper's tables beside ours, generated from the records.

``python -m latentlib.report`` (also run by ``latentlib book``) rewrites
``book/paper_vs_ours.md`` from ``book/results``; a test fails when the committed page
no longer matches the committed records. Nothing on the page is typed by hand except
through :mod:`latentlib.paper`.
"""

from __future__ import annotations

import importlib
import json
import shlex
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from latentlib.paper import deep_clustering_mnist
from latentlib.provenance import project_root
from latentlib.results import load_records, read_records, results_dir
from latentlib.tables import beside_paper, formatted, summarise
from latentlib.verdicts import beats, falls_with

PAGE = Path("book") / "paper_vs_ours.md"
TABLE_STUDIES = ("02_triplet_vs_mse", "03_pca_vs_autoencoder")


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


def _variants(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(name, group) for name, group in frame.groupby("variant", sort=True)]


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


def table_i_section(frame: pd.DataFrame) -> list[str]:
    lines = []
    for name, group in _variants(frame):
        table = run_table(group)
        model = group.iloc[0]["config.model"]
        summary = summarise(table)
        triplet, mse = f"{model}-triplet", f"{model}-mse"
        columns = {"triplet": triplet, "mse": mse}
        lines += [f"### Table I: {_title(group)}", "", _describe(group), "",
                  f"Source: `book/results/02_triplet_vs_mse/{name}/`. Triplet runs use the training labels "
                  "(supervised); MSE runs do not.", "", *_dataset_note(group),
                  _markdown(_mark_collapsed(beside_paper(summary, table="I", columns=columns), summary, columns)),
                  "",
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
            verdicts = [beats(table, better=triplet, worse=mse, metric=metric,
                              claim=f"Paper: triplet > MSE in SS at every d. Ours, in {metric}")
                        for metric in ("silhouette", "acc")]
            verdicts += [falls_with(table, method=method, claim=f"Paper: SS falls with d. Ours, {method}")
                         for method in (triplet, mse)]
            lines += [f"- {v.sentence()}" for v in verdicts] + [""]
        lines += ["Why our MSE-only column sits below the paper's while our PCA matches Table II: "
                  "[chapter 06](executed/06_mse_gap.ipynb) tests each hypothesis as a recorded variant.", ""]
    return lines


def table_ii_section(frame: pd.DataFrame) -> list[str]:
    lines = []
    for name, group in _variants(frame):
        table = run_table(group)
        model = group.iloc[0]["config.model"]
        tables = table[~table["method"].str.startswith("umap")]
        summary = summarise(tables)
        columns = {"pca": "pca", "autoencoder": f"{model}-triplet"}
        lines += [f"### Table II: {_title(group)}", "", _describe(group), "",
                  f"Source: `book/results/03_pca_vs_autoencoder/{name}/`. PCA is fitted on the training split; "
                  "the paper's autoencoder column is its triplet (supervised) run; the unsupervised MSE "
                  "autoencoder is the like-for-like comparison with PCA.", "", *_dataset_note(group),
                  _markdown(_mark_collapsed(beside_paper(summary, table="II", columns=columns), summary, columns)),
                  "",
                  _markdown(formatted(summary)), ""]
        verdicts = [beats(tables, better=ae, worse="pca", metric=metric, claim=f"{ae} > PCA in {metric} at every d")
                    for ae in (f"{model}-triplet", f"{model}-mse") if (tables["method"] == ae).any()
                    for metric in ("silhouette", "acc")]
        verdicts.append(falls_with(tables, method="pca", claim="PCA's SS falls with d"))
        lines += [f"- {v.sentence()}" for v in verdicts] + [""]
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


def uncommitted_variants(variant_commits: Iterable[tuple[str, str]]) -> list[str]:
    """The variants with a record run from uncommitted code (``+dirty``): such a number
    cannot be traced to the code that made it, so the page leaves the whole variant out."""
    return sorted({variant for variant, commit in variant_commits if str(commit).endswith("+dirty")})


def _left_out(variants: list[str]) -> list[str]:
    if not variants:
        return []
    return [f"_Left out: variant{'s' if len(variants) > 1 else ''} " + ", ".join(f"`{v}`" for v in variants)
            + ", run from uncommitted code (its records stay under `book/results/`)._", ""]


def _execution(directory: Path, study: str, variant: str) -> str:
    """How a variant was run: its parameters and wall time, from its ``_execution.json``."""
    path = directory / study / variant / "_execution.json"
    if not path.is_file():
        return ""
    stamp = json.loads(path.read_text())
    parameters = " ".join(f"-p {k} {shlex.quote(json.dumps(v) if not isinstance(v, str) else v)}"
                          for k, v in (stamp.get("parameters") or {}).items())
    command = f"latentlib run {study[:2]} {parameters}".rstrip()
    return (f"Run: `{command}` in profile `{stamp.get('profile')}`, {stamp.get('wall_seconds', 0) / 60:.1f} min "
            f"wall time on {', '.join(stamp.get('device') or [])}.")


#: the sections of chapters whose tables are not the paper's: each modality renders its
#: own from the records of one variant (named as strings, as in latentlib.studies, so the
#: core never imports a modality)
VARIANT_SECTIONS = {
    "05_text_yelp_daae": ("## Text: how well each recorded variant reconstructs (chapter 05)",
                          "latentlib.text.variants:reach_section"),
    "06_mse_gap": ("## The MSE gap, every recorded variant (chapter 06)", "latentlib.images.variants:gap_section"),
    "07_n2d_whole_set": ("## Unsupervised clustering on the pooled set: N2D (chapter 07)",
                         "latentlib.images.variants:whole_set_section"),
}


def variant_sections(directory: Path) -> list[str]:
    """One block per recorded variant of every study in :data:`VARIANT_SECTIONS`."""
    lines = []
    for study, (title, target) in VARIANT_SECTIONS.items():
        module, name = target.split(":")
        section = getattr(importlib.import_module(module), name)
        records = read_records(study, directory)
        left_out = uncommitted_variants((r["variant"], r["environment"]["commit"]) for r in records)
        records = [r for r in records if r["variant"] not in left_out]
        lines += [title, "", *_left_out(left_out)]
        if not records:
            lines += ["_no records yet: run `latentlib run " + study + "`_", ""]
        for variant in sorted({r["variant"] for r in records}):
            lines += section([r for r in records if r["variant"] == variant], _execution(directory, study, variant))
    return lines


def results_page(directory: Path | None = None) -> str:
    """The Markdown of the results page, from the records under ``directory``."""
    lines = [
        "# The paper's tables beside ours",
        "",
        "Generated by `python -m latentlib.report` from the result records under `book/results/`; "
        "the paper's values come from `latentlib/paper.py`, the only place they are typed. Every "
        "number of ours is a mean ± sample std over seeds of records of the named variant. "
        "SS is the silhouette score of K-Means (10 clusters) on test-split embeddings; ACC is "
        "clustering accuracy under the best one-to-one matching, NMI and ARI compare the "
        "clusters with the classes; `knn_acc` is a 5-nearest-neighbour probe (supervised read-out). "
        "A run whose embedding collapsed is kept and counted in `collapsed`; where K-Means found a "
        "single cluster its silhouette is undefined and left out of the mean.",
        "",
    ]
    sections = {"02_triplet_vs_mse": ("## Table I: triplet loss vs MSE (paper IV-B2)", table_i_section),
                "03_pca_vs_autoencoder": ("## Table II: PCA vs autoencoder (paper IV-B3)", table_ii_section)}
    for study, (title, section) in sections.items():
        frame = load_records(study, directory=directory)
        lines += [title, ""]
        if len(frame):
            left_out = uncommitted_variants(zip(frame["variant"], frame["environment.commit"]))
            frame = frame[~frame["variant"].isin(left_out)]
            lines += _left_out(left_out)
        lines += section(frame) if len(frame) else ["_no records yet: run `latentlib run " + study + "`_", ""]
    lines += variant_sections(directory or results_dir())
    return "\n".join(lines).rstrip() + "\n"


def write_results_page(root: Path | None = None) -> Path:
    """Rewrite ``book/paper_vs_ours.md`` of the project from its records."""
    root = root or project_root()
    if root is None:
        raise FileNotFoundError("run this from a latent-space-book checkout")
    path = root / PAGE
    path.write_text(results_page(root / "book" / "results"))
    return path


if __name__ == "__main__":
    print(write_results_page())
