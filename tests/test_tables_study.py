"""Studies 02 / 03 on a tiny synthetic split: records, collapse marking, tables, results page."""

import numpy as np
import pandas as pd
import pytest
import torch

from latentlib.images import study as experiments
from latentlib.images.config import PcaVsAutoencoderConfig, TripletVsMseConfig
from latentlib.book.paper import paper_table
from latentlib.book.report import results_page
from latentlib.book.results import load_records, results_dir
from latentlib.book.tables import beside_paper, formatted, mean_std, summarise

from image_fixtures import prototype_split

TINY = dict(n_train=64, n_test=32, embedding_sizes=[2, 4], seeds=[0, 1], epochs=1, hidden_sizes=[16],
            classes_per_batch=4, samples_per_class=4, n_clusters=4, knn_neighbors=3)


pytestmark = pytest.mark.usefixtures("fresh_outputs")  # no fit or record of another test


@pytest.fixture
def split():
    return prototype_split(16, 8)


def test_objective_grid_records_every_run(split):
    cfg = TripletVsMseConfig.from_profile("smoke", **TINY)
    grid = experiments.run_objective_grid(cfg, split, progress=False)
    assert len(grid.records) == 2 * 2 * 2
    frame = load_records("02_triplet_vs_mse")
    assert len(frame) == 8
    assert set(frame["run.supervised"]) == {True, False}
    assert set(frame["run.scored_split"]) == {"test"}
    for column in ("metrics.silhouette", "metrics.acc", "metrics.nmi", "metrics.knn_acc", "metrics.collapsed"):
        assert column in frame.columns
    triplet = [r for r in grid.records if r["run"]["objective"] == "triplet"]
    assert all(r["run"]["triplet"]["miner"] == "all" and "history_triplet" in r for r in triplet)


def test_chapter_03_reuses_chapter_02_fits(split):
    shared = {k: v for k, v in TINY.items()}
    first = experiments.run_objective_grid(TripletVsMseConfig.from_profile("smoke", **shared), split,
                                           progress=False, write=False)
    second = experiments.run_objective_grid(PcaVsAutoencoderConfig.from_profile("smoke", **shared),
                                            split, progress=False, write=False)
    assert not any(f.from_cache for f in first.fits.values())
    assert all(f.from_cache for f in second.fits.values())
    assert [f.key for f in first.fits.values()] == [f.key for f in second.fits.values()]


def test_a_collapsed_run_is_recorded_and_marked(split, monkeypatch):
    real_fit = experiments.fit_image_autoencoder

    def collapsing_fit(*args, **kwargs):
        fit = real_fit(*args, **kwargs)
        last = fit.model.encoder[1][-1]  # the linear layer to z: every input maps to one point
        with torch.no_grad():
            last.weight.zero_()
            last.bias.fill_(0.5)
        return fit

    monkeypatch.setattr(experiments, "fit_image_autoencoder", collapsing_fit)
    cfg = TripletVsMseConfig.from_profile("smoke", **{**TINY, "embedding_sizes": [2], "seeds": [0]})
    with pytest.warns(Warning):  # K-Means warns that it found fewer distinct clusters
        grid = experiments.run_objective_grid(cfg, split, progress=False)
    frame = load_records("02_triplet_vs_mse")
    assert len(frame) == 2 and frame["metrics.collapsed"].all()
    assert (frame["metrics.n_clusters_found"] == 1).all()
    assert all("spread" in r["metrics"]["collapse_reason"] for r in grid.records)


def test_pca_grid(split):
    cfg = PcaVsAutoencoderConfig.from_profile("smoke", **TINY)
    pca = experiments.run_pca_grid(cfg, split, progress=False)
    assert set(pca.table["method"]) == {"pca"} and len(pca.table) == 4
    assert (pca.table["explained_variance"] > 0).all()


def test_summaries_beside_the_paper():
    runs = pd.DataFrame({
        "method": ["a"] * 5 + ["b"] * 5,
        "embedding_size": [4, 4, 4, 8, 8] * 2,
        "seed": [0, 1, 2, 0, 1] * 2,
        "silhouette": [0.5, 0.6, 0.7, 0.5, 0.7, 0.1, 0.4, 0.4, 0.35, 0.45],
        "acc": [0.9] * 10,
    })
    summary = summarise(runs, metrics=("silhouette", "acc"))
    # by hand: 0.5, 0.6, 0.7 have mean 0.6 and squared deviations 0.01 + 0 + 0.01 = 0.02;
    # the sample std (ddof 1) is sqrt(0.02 / 2) = 0.1 (the population std would be 0.0816)
    assert summary.loc[("a", 4), "silhouette_mean"] == pytest.approx(0.6)
    assert summary.loc[("a", 4), "silhouette_std"] == pytest.approx(0.1)
    # 0.1, 0.4, 0.4: mean 0.3, squared deviations 0.04 + 0.01 + 0.01 = 0.06, std sqrt(0.03)
    assert summary.loc[("b", 4), "silhouette_mean"] == pytest.approx(0.3)
    assert summary.loc[("b", 4), "silhouette_std"] == pytest.approx(0.17320508)
    # 0.5, 0.7: mean 0.6, std sqrt(0.02 / 1) = 0.14142; a constant metric has std 0
    assert summary.loc[("a", 8), "silhouette_std"] == pytest.approx(0.14142136)
    assert summary.loc[("a", 8), "acc_std"] == 0 and summary.loc[("a", 4), "n"] == 3
    table = beside_paper(summary, table="I", columns={"triplet": "a", "mse": "b"})
    assert table.loc[4, "triplet: paper"] == "0.672 ± 0.004"  # Table I, d = 4, MSE + triplet
    assert table.loc[4, "triplet: ours"] == "0.600 ± 0.100"
    assert table.loc[4, "triplet: ours - paper"] == "-0.072"  # 0.600 - 0.672
    assert table.loc[8, "triplet: ours"] == "0.600 ± 0.141"
    assert table.loc[4, "mse: paper"] == "0.534 ± 0.001"  # Table I, d = 4, MSE only
    assert table.loc[4, "mse: ours"] == "0.300 ± 0.173"
    assert table.loc[4, "mse: ours - paper"] == "-0.234"  # 0.300 - 0.534
    assert table.loc[16, "triplet: ours"] == "–" and table.loc[16, "triplet: ours - paper"] == "–"
    pca = beside_paper(summary, table="II", columns={"pca": "b"})
    assert pca.loc[4, "pca: paper"] == "0.2444"  # Table II prints PCA to 4 digits and no std
    assert pca.loc[32, "pca: paper"] == "0.0988"


def test_mean_std_rounds_like_every_table():
    # outputs as before
    assert mean_std(0.672, 0.004) == "0.672 ± 0.004"
    assert mean_std(0.0988, float("nan"), 4) == "0.0988"
    assert mean_std(-0.0123, 0.0051) == "-0.012 ± 0.005"
    assert mean_std(0.51234, 0.0456, 2) == "0.51 ± 0.05"
    assert mean_std(float("nan"), 0.1) == mean_std(None, 0.1) == "–"
    # a tiny negative mean prints as 0.000, as format_cell prints it, not -0.000
    assert mean_std(-0.0004, 0.0002) == "0.000 ± 0.000"
    assert mean_std(-0.0004, None) == "0.000"
    assert mean_std(-0.004, 0.001, 2) == "0.00 ± 0.00"
    summary = pd.DataFrame({"acc_mean": [-0.0004, 0.25], "acc_std": [0.01, np.nan]})
    assert formatted(summary, metrics=("acc",))["acc"].tolist() == ["0.000 ± 0.010", "0.250"]


def test_paper_table_holds_the_papers_numbers():
    """Literals typed from the paper's Tables I (IV-B2) and II (IV-B3), not read back from
    the dict the frame is built from: a transposed row or a swapped column fails here."""
    one = paper_table("I")
    assert list(one.index) == [4, 8, 16, 32]
    assert list(one.columns) == ["triplet_mean", "triplet_std", "mse_mean", "mse_std"]
    assert one.loc[4, "triplet_mean"] == 0.672 and one.loc[4, "triplet_std"] == 0.004
    assert one.loc[32, "triplet_mean"] == 0.576 and one.loc[32, "triplet_std"] == 0.003
    assert one.loc[8, "mse_mean"] == 0.532 and one.loc[8, "mse_std"] == 0.028
    assert one.loc[16, "mse_mean"] == 0.523 and one.loc[16, "mse_std"] == 0.011
    two = paper_table("II")
    assert list(two.columns) == ["pca_mean", "pca_std", "autoencoder_mean", "autoencoder_std"]
    assert two["pca_mean"].tolist() == [0.2444, 0.185, 0.132, 0.0988]
    assert two["pca_std"].isna().all()  # PCA: a single number per size
    # Table II repeats Table I's triplet means, but prints two other stds (d = 16, 32)
    assert two["autoencoder_mean"].tolist() == [0.672, 0.623, 0.616, 0.576]
    assert two["autoencoder_std"].tolist() == [0.004, 0.002, 0.011, 0.006]
    assert one["triplet_std"].tolist() == [0.004, 0.002, 0.003, 0.003]
    with pytest.raises(ValueError, match="table must be 'I' or 'II', got 'III'"):
        paper_table("III")


# silhouettes the scoring is made to return, by (objective, size, seed): the page's numbers
# are then known by hand
PLANTED = {("triplet", 4): (0.5, 0.7), ("mse", 4): (0.2, 0.3), ("triplet", 2): (0.1, 0.1), ("mse", 2): (0.1, 0.1)}


def test_results_page_is_generated_from_records(split, monkeypatch):
    from latentlib.book import provenance

    monkeypatch.setattr(provenance, "git_commit", lambda folder=None: "abc1234")  # as from a clean checkout
    real_score, calls = experiments._score, []

    def planted_score(config, z_train, z_test, data, *, seed):
        metrics, clusters = real_score(config, z_train, z_test, data, seed=seed)
        objective = ("mse", "triplet")[len(calls) // 4]  # run order: objective, size, seed
        calls.append(seed)
        metrics["silhouette"] = PLANTED[objective, z_test.shape[1]][seed]
        return metrics, clusters

    monkeypatch.setattr(experiments, "_score", planted_score)
    cfg = TripletVsMseConfig.from_profile("smoke", **TINY)
    grid = experiments.run_objective_grid(cfg, split, progress=False)
    assert [(r["run"]["objective"], r["metrics"]["silhouette"]) for r in grid.records][2:4] == \
        [("mse", 0.2), ("mse", 0.3)]
    page = results_page(results_dir())
    row = next(line for line in page.splitlines() if line.startswith("| 4 "))
    # by hand, d = 4: triplet 0.5 and 0.7 give 0.600 ± 0.141 (sample std sqrt(0.02)),
    # 0.600 - 0.672 = -0.072; MSE 0.2 and 0.3 give 0.250 ± 0.071, 0.250 - 0.534 = -0.284
    for cell in ("0.672 ± 0.004", "0.600 ± 0.141", "-0.072", "0.534 ± 0.001", "0.250 ± 0.071", "-0.284"):
        assert f" {cell} " in row, (cell, row)
    assert "no records yet" in page  # study 03 has none in this test


def test_records_from_uncommitted_code_are_left_off_the_page(split, monkeypatch):
    from latentlib.book import provenance

    monkeypatch.setattr(provenance, "git_commit", lambda folder=None: "abc1234+dirty")
    experiments.run_objective_grid(TripletVsMseConfig.from_profile("smoke", **TINY), split, progress=False)
    page = results_page(results_dir())
    assert "run from uncommitted code" in page and "0.672 ± 0.004" not in page


def test_committed_results_page_matches_the_committed_records(root):
    page = root / "book" / "paper_vs_ours.md"
    assert page.exists(), "generate it: python -m latentlib.book.report"
    assert page.read_text() == results_page(root / "book" / "results"), \
        "book/paper_vs_ours.md is stale; regenerate it: python -m latentlib.book.report"
