"""Studies 02 / 03 on a tiny synthetic split: records, collapse marking, tables, results page."""

import numpy as np
import pandas as pd
import pytest
import torch

from latentlib.images import study as experiments
from latentlib.images.config import PcaVsAutoencoderConfig, TripletVsMseConfig
from latentlib.paper import TABLE_I, TABLE_II, paper_table
from latentlib.report import results_page
from latentlib.results import load_records, results_dir
from latentlib.tables import beside_paper, formatted, mean_std, summarise

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
        "method": ["a"] * 4 + ["b"] * 4,
        "embedding_size": [4, 4, 8, 8] * 2,
        "seed": [0, 1] * 4,
        "silhouette": [0.6, 0.8, 0.5, 0.7, 0.2, 0.4, 0.35, 0.45],
        "acc": [0.9] * 8,
    })
    summary = summarise(runs, metrics=("silhouette", "acc"))
    assert summary.loc[("a", 4), "silhouette_mean"] == pytest.approx(0.7)
    assert summary.loc[("a", 4), "silhouette_std"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    table = beside_paper(summary, table="I", columns={"triplet": "a", "mse": "b"})
    assert table.loc[4, "triplet: paper"] == "0.672 ± 0.004"
    assert table.loc[4, "triplet: ours - paper"] == "+0.028"
    assert table.loc[16, "triplet: ours"] == "–"


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


def test_paper_numbers_live_in_one_place():
    assert paper_table("II").loc[32, "pca_mean"] == TABLE_II["pca"][32][0] == 0.0988
    assert np.isnan(paper_table("II").loc[4, "pca_std"])
    assert paper_table("I").loc[8, "mse_std"] == TABLE_I["mse"][8][1]
    with pytest.raises(ValueError, match="table must be"):
        paper_table("III")


def test_results_page_is_generated_from_records(split, monkeypatch):
    from latentlib import provenance

    monkeypatch.setattr(provenance, "git_commit", lambda folder=None: "abc1234")  # as from a clean checkout
    cfg = TripletVsMseConfig.from_profile("smoke", **TINY)
    experiments.run_objective_grid(cfg, split, progress=False)
    page = results_page(results_dir())
    assert "0.672 ± 0.004" in page  # the paper's value, from latentlib.paper
    frame = load_records("02_triplet_vs_mse")
    ours = frame[frame["run.method"] == "mlp-triplet"]
    ours = ours[ours["run.embedding_size"] == 4]["metrics.silhouette"]
    assert f"{ours.mean():.3f} ± {ours.std():.3f}" in page
    assert "no records yet" in page  # study 03 has none in this test


def test_records_from_uncommitted_code_are_left_off_the_page(split, monkeypatch):
    from latentlib import provenance

    monkeypatch.setattr(provenance, "git_commit", lambda folder=None: "abc1234+dirty")
    experiments.run_objective_grid(TripletVsMseConfig.from_profile("smoke", **TINY), split, progress=False)
    page = results_page(results_dir())
    assert "run from uncommitted code" in page and "0.672 ± 0.004" not in page


def test_committed_results_page_matches_the_committed_records(root):
    page = root / "book" / "paper_vs_ours.md"
    assert page.exists(), "generate it: python -m latentlib.report"
    assert page.read_text() == results_page(root / "book" / "results"), \
        "book/paper_vs_ours.md is stale; regenerate it: python -m latentlib.report"
