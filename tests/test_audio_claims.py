"""Chapter 04's claims, decided from records: the committed quick build and planted toys."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from latentlib import studies
from latentlib.audio.claims import (MEAN_SPECTROGRAM, ablation_claims, audio_claims, audio_findings, claim_text,
                                    claims_table, quality_claims, reconstruction_claims, reconstruction_text, relation,
                                    ring_claims, ring_text, runs_table)
from latentlib.audio.study import AUTOENCODER, MEAN_SPECTRUM, MODELS, PCA, TRUE_BOTTLENECK, UNTRAINED
from latentlib.book.results import read_records

ROOT = Path(__file__).resolve().parents[1]
STUDY = "04_audio_urbansound"
NOTEBOOK = ROOT / "notebooks" / f"{STUDY}.md"
NOT_DECIDED = ("undecided", "not shown")


def by_claim(claims):
    return {claim.claim: claim for claim in claims}


@pytest.fixture(scope="module")
def quick():
    records = [r for r in read_records(STUDY, ROOT / "book" / "results") if r["variant"] == "quick"]
    assert len(records) == 15, "the committed quick build has 5 methods x 3 seeds"
    return records


def _mean_std(records, model, metric):
    values = np.array([r["metrics"][metric] for r in records if r["run"]["model"] == model])
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


RELATION = {"holds": "beats", "not shown": "ties", "does not hold": "loses to"}


def test_quick_records_gap_loses_to_pca_in_nmi_and_the_words_follow_the_verdicts(quick):
    # on the everyday sounds PCA of the log-mel holds more of the classes than the pooled embedding
    claims = by_claim(audio_claims(quick))
    versus_pca = claims[claim_text(AUTOENCODER, PCA, "nmi")]
    versus_untrained = claims[claim_text(AUTOENCODER, UNTRAINED, "acc")]
    assert versus_pca.outcome == "does not hold" and relation(versus_pca) == "loses to"
    # the numbers beside each verdict are the records' own means and stds
    gap, pca = _mean_std(quick, "spectrogram_ae", "nmi"), _mean_std(quick, "pca", "nmi")
    assert versus_pca.ours == f"{gap} vs {pca}"
    assert versus_untrained.ours == (f"{_mean_std(quick, 'spectrogram_ae', 'acc')} vs "
                                     f"{_mean_std(quick, 'spectrogram_ae_untrained', 'acc')}")
    acc_pca = claims[claim_text(AUTOENCODER, PCA, "acc")]
    assert acc_pca.paper and acc_pca.paper_status == "not reproduced"  # not better than PCA: not reproduced
    for claim in claims.values():
        assert relation(claim) == RELATION[claim.outcome], claim.claim


def test_quick_records_other_outcomes(quick):
    claims = by_claim(audio_claims(quick))
    # 2 reconstruction + 10 same size + 5 mean log-mel + 5 ablation + 3 ring, names unique
    assert len(claims) == 25
    for method in (AUTOENCODER, TRUE_BOTTLENECK):  # both networks reconstruct: their embeddings can be judged
        assert claims[reconstruction_text(method)].outcome == "holds"
    for metric in ("nmi", "ari", "linear_probe"):
        assert relation(claims[claim_text(AUTOENCODER, PCA, metric)]) == "loses to"
    assert claims[claim_text(AUTOENCODER, PCA, "silhouette")].outcome == "holds"
    assert all(claims[ring_text(method)].outcome == "holds" for method in (AUTOENCODER, PCA, UNTRAINED))
    assert sum(bool(claim.paper) for claim in claims.values()) == 3
    assert all(claim.data.startswith("Debian 0ad-data") for claim in claims.values())
    assert all("47 held-out source recordings" in claim.data for claim in claims.values())


def test_quick_findings_say_how_the_gap_embedding_compares(quick):
    claims = audio_claims(quick)
    text = audio_findings(claims)
    by = by_claim(claims)
    versus_pca, versus_untrained = by[claim_text(AUTOENCODER, PCA, "acc")], by[claim_text(AUTOENCODER, UNTRAINED, "acc")]
    assert (f"**{relation(versus_pca)}** PCA of the log-mel spectrogram in ACC ({versus_pca.ours}) and "
            f"**{relation(versus_untrained)}** the untrained network ({versus_untrained.ours})") in text
    assert "**not reproduced**" in text
    assert text.startswith("**Can the networks reconstruct?** The paper's autoencoder **beats** the mean training")


def test_the_study_declares_this_decider(quick):
    decided = studies.claims(STUDY, quick)
    assert [(c.claim, c.outcome) for c in decided] == [(c.claim, c.outcome) for c in audio_claims(quick)]
    assert (len(reconstruction_claims(quick)) + len(quality_claims(quick)) + len(ablation_claims(quick))
            + len(ring_claims(quick))) == 25
    assert list(claims_table(audio_claims(quick))["verdict"]) == [c.outcome for c in audio_claims(quick)]


def test_runs_table_reads_the_records(quick):
    runs = runs_table(quick)
    assert sorted(runs["method"].unique()) == sorted(MODELS)
    assert runs.groupby("method").size().eq(3).all()
    pca = runs[runs["method"] == PCA]
    assert pca["acc"].mean() == pytest.approx(0.3964, abs=1e-4)
    assert set(runs.loc[runs["method"] == MEAN_SPECTRUM, "embedding_size"]) == {64}


# --- toy records with a planted difference -------------------------------------------------------


def toy_records(*, ae_acc: float, pca_acc: float = 0.5, untrained_acc: float = 0.3, shuffled: float = 0.1,
                seeds=(0, 1, 2), ae_mse: float | None = None) -> list[dict]:
    """Five methods x seeds; every metric at a base level with a tiny seed jitter, ACC
    and the shuffled ring ratio where the test plants them."""
    acc = {AUTOENCODER: ae_acc, PCA: pca_acc, UNTRAINED: untrained_acc, TRUE_BOTTLENECK: 0.4, MEAN_SPECTRUM: 0.3}
    records = []
    for method, model in MODELS.items():
        for seed in seeds:
            jitter = 0.002 * (seed - 1)
            metrics = {"silhouette": 0.4 + jitter, "acc": acc[method] + jitter, "nmi": 0.3 + jitter,
                       "ari": 0.2 + jitter, "neighbour_precision": 0.6 + jitter,
                       "ring_by_cluster": 0.5, "ring_by_cluster_within_class": 0.5 + jitter,
                       "ring_by_cluster_within_class_shuffled": shuffled + jitter}
            if ae_mse is not None and method in (AUTOENCODER, TRUE_BOTTLENECK, UNTRAINED):
                metrics.update(heldout_mse={AUTOENCODER: ae_mse, TRUE_BOTTLENECK: 0.01, UNTRAINED: 0.2}[method]
                               + jitter / 100, mean_spectrogram_mse=0.02)
            records.append({"run": {"label": method, "model": model, "seed": seed,
                                    "embedding_size": 64 if method == MEAN_SPECTRUM else 8,
                                    "name": f"{model}-seed{seed}"},
                            "metrics": metrics, "config": {"epochs": 2},
                            "data": {"source": "toy clips", "n_train": 10, "n_test": 6, "split": "held-out kits: a"}})
    return records


def test_a_planted_acc_difference_flips_the_gap_vs_pca_verdict_and_the_prose():
    better = by_claim(audio_claims(toy_records(ae_acc=0.7)))[claim_text(AUTOENCODER, PCA, "acc")]
    worse = by_claim(audio_claims(toy_records(ae_acc=0.2)))[claim_text(AUTOENCODER, PCA, "acc")]
    same = by_claim(audio_claims(toy_records(ae_acc=0.5)))[claim_text(AUTOENCODER, PCA, "acc")]
    assert better.outcome == "holds" and relation(better) == "beats"
    assert worse.outcome == "does not hold" and relation(worse) == "loses to"
    assert worse.paper_status == "not reproduced"
    assert same.outcome != "holds" and relation(same) == "ties"  # "does not hold" or, now, "not shown"
    assert same.paper_status == "not reproduced" and better.paper_status == "reproduced"
    assert "**beats** PCA of the log-mel spectrogram in ACC" in audio_findings(audio_claims(toy_records(ae_acc=0.7)))
    assert "holds here against both references" in audio_findings(audio_claims(toy_records(ae_acc=0.7)))
    lost = audio_findings(audio_claims(toy_records(ae_acc=0.2)))
    assert "**loses to** PCA of the log-mel spectrogram in ACC" in lost and "**not reproduced**" in lost
    tied = audio_findings(audio_claims(toy_records(ae_acc=0.5, untrained_acc=0.5)))
    assert "is not shown to cluster the classes better than PCA" in tied
    assert "**not reproduced** either" in tied  # the untrained network is tied too


def test_a_planted_shuffled_ratio_flips_the_ring_verdicts():
    chance = by_claim(ring_claims(toy_records(ae_acc=0.5, shuffled=0.1)))
    beyond = by_claim(ring_claims(toy_records(ae_acc=0.5, shuffled=0.7)))
    assert all(chance[ring_text(m)].outcome == "holds" for m in (AUTOENCODER, PCA, UNTRAINED))
    assert all(beyond[ring_text(m)].outcome == "does not hold" for m in (AUTOENCODER, PCA, UNTRAINED))
    assert relation(beyond[ring_text(AUTOENCODER)]) == "loses to"
    assert "**less than chance**" in audio_findings(audio_claims(toy_records(ae_acc=0.5, shuffled=0.7)))


def test_missing_baseline_is_not_decided():
    records = [r for r in toy_records(ae_acc=0.7) if r["run"]["label"] != PCA]
    claim = by_claim(audio_claims(records))[claim_text(AUTOENCODER, PCA, "acc")]
    assert claim.outcome in NOT_DECIDED
    assert relation(claim) == "cannot be compared with"
    assert audio_claims([]) == [] and audio_findings([]).startswith("No records")


def test_the_notebook_decides_nothing_itself():
    source = NOTEBOOK.read_text()
    for decision in ("beats(", "verdict_rows", ".outcome", "endswith(", "compare("):
        assert decision not in source, f"notebook 04 still decides verdicts ({decision})"
    assert "audio_claims(study.records)" in source and "audio_findings(claims)" in source


def test_one_seed_a_side_still_decides():
    claims = by_claim(audio_claims(toy_records(ae_acc=0.7, seeds=(0,))))
    assert claims[claim_text(AUTOENCODER, PCA, "acc")].outcome == "holds"
    assert np.isclose(claims[claim_text(AUTOENCODER, PCA, "acc")].verdict.evidence["difference"].iloc[0], 0.2)


def test_a_planted_reconstruction_error_decides_whether_the_network_reconstructs():
    good = by_claim(reconstruction_claims(toy_records(ae_acc=0.5, ae_mse=0.003)))
    bad = by_claim(reconstruction_claims(toy_records(ae_acc=0.5, ae_mse=0.05)))
    assert good[reconstruction_text(AUTOENCODER)].outcome == "holds"
    assert bad[reconstruction_text(AUTOENCODER)].outcome == "does not hold"
    assert good[reconstruction_text(TRUE_BOTTLENECK)].outcome == "holds"  # 0.01 < 0.02 in both
    assert good[reconstruction_text(AUTOENCODER)].ours == "held-out MSE 0.0030 ± 0.0000 vs 0.0200 ± 0.0000"
    said = audio_findings(audio_claims(toy_records(ae_acc=0.5, ae_mse=0.05)))
    assert f"The paper's autoencoder **loses to** the {MEAN_SPECTROGRAM}" in said
    assert "say nothing about training" in said
    assert "say nothing about training" not in audio_findings(audio_claims(toy_records(ae_acc=0.5, ae_mse=0.003)))


def test_records_without_the_new_scores_are_not_decided_on_them():
    claims = by_claim(audio_claims(toy_records(ae_acc=0.7)))  # no linear probe, no reconstruction error
    assert claims[claim_text(AUTOENCODER, PCA, "linear_probe")].outcome in NOT_DECIDED
    assert reconstruction_text(AUTOENCODER) not in claims
    assert "Can the networks reconstruct" not in audio_findings(list(claims.values()))


def test_the_data_line_counts_many_held_out_groups_and_names_few():
    records = toy_records(ae_acc=0.5)
    assert "(held-out kits: a)" in audio_claims(records)[0].data
    many = [f"voice/civ_{k}" for k in range(47)]
    for record in records:
        record["data"].update(test_groups=many, group_kind="source recording",
                              split="held-out source recordings: " + ", ".join(many))
    line = audio_claims(records)[0].data
    assert "(47 held-out source recordings)" in line and "voice/civ_3" not in line


def test_the_results_page_block_gives_every_method_and_the_headline_verdicts():
    from latentlib.audio.sections import scores_section

    records = toy_records(ae_acc=0.7, ae_mse=0.003)
    for record in records:
        record.update(variant="quick-abc", study=STUDY)
        record["data"].update(test_groups=["a"], group_kind="kit")
    lines = scores_section(records, "run with -p data_source drumkits")
    text = "\n".join(lines)
    assert lines[0] == "### Chapter 04 variant `quick-abc`" and "run with -p data_source drumkits" in lines
    assert "Data: toy clips; 10 training clips, 6 held-out clips from 1 held-out kits." in text
    for method in MODELS:
        assert f"| {method} " in text
    assert "| 0.700 ± 0.002 |" in text  # the autoencoder's ACC, mean ± std over the three seeds
    verdicts = dict(re.findall(r"^\| (.+?)\s+\| (holds|does not hold|not shown)\s+\|", text, flags=re.MULTILINE))
    assert verdicts == {"trained beats untrained (ACC)": "holds", "AE beats PCA (ACC)": "holds",
                        "true bottleneck beats GAP (ACC)": "does not hold",
                        "AE reconstructs better than the mean training spectrogram": "holds"}


def test_the_audio_study_declares_its_results_page_block():
    from latentlib.audio.sections import scores_section

    assert studies.all_studies()[STUDY].section is scores_section

