"""The reproduction report on hand-made record pairs: what reproduced, by which tolerance.
(The rules on the committed reference records: tests/test_reproduce_reference.py.)"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from latentlib.book.reproduce import (FROM_DETERMINISTIC, FROM_GROUP, FROM_NOTHING, FROM_STUDY, band_rate,
                                      compare_runs, deterministic)
from latentlib.book.results import write_record

STUDY, VARIANT = "02_triplet_vs_mse", "quick"


def record(method: str, size: int, seed: int, *, study: str = STUDY, variant: str = VARIANT,
           device: str = "cpu (AMD EPYC, 2 threads)", commit: str = "abc1234", **metrics) -> dict:
    model, _, objective = method.partition("-")
    return {
        "study": study, "variant": variant, "profile": "quick",
        "run": {"name": f"{method}-d{size}-seed{seed}", "method": method, "model": model,
                "objective": objective or model, "embedding_size": size, "seed": seed},
        "metrics": {"collapsed": False, "collapse_reason": "", "n_clusters_found": 10, **metrics},
        "device": device,
        "environment": {"torch": "2.14.1+cu130", "python": "3.11.7", "latentlib": "0.1.0", "commit": commit},
    }


def reference_set() -> list[dict]:
    """Triplet beats MSE at both sizes on three seeds each; PCA is deterministic."""
    records = []
    for size, (t_ss, m_ss) in {4: (0.40, 0.20), 8: (0.35, 0.18)}.items():
        for seed, jitter in enumerate((-0.01, 0.0, 0.01)):
            records.append(record("mlp-triplet", size, seed, silhouette=t_ss + jitter, acc=0.8 + jitter))
            records.append(record("mlp-mse", size, seed, silhouette=m_ss + jitter, acc=0.5 + jitter))
        records.append(record("pca", size, 0, silhouette=0.24980005621910095, acc=0.451))
    return records


def write(records: list[dict], directory: Path) -> Path:
    for item in records:
        path = write_record(item, directory)
        # the runner's bookkeeping beside the records is not a record
        (path.parent / "_execution.json").write_text(json.dumps({"records": len(records)}))
    return directory


def find(records: list[dict], name: str) -> dict:
    return next(r for r in records if r["run"]["name"] == name)


def row(result, run: str, metric: str):
    rows = result.metrics[(result.metrics["run"] == run) & (result.metrics["metric"] == metric)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def compare(tmp_path: Path, reference: list[dict], here: list[dict], **kwargs):
    return compare_runs(write(here, tmp_path / "run"), write(reference, tmp_path / "reference"), **kwargs)


def test_identical_records_reproduce(tmp_path):
    result = compare(tmp_path, reference_set(), reference_set())
    assert result.ok
    assert set(result.metrics["verdict"]) == {"identical"}
    assert result.summary["identical"] == len(result.metrics) == 14 * 3  # silhouette, acc, n_clusters_found
    assert "collapsed" not in set(result.metrics["metric"]) and "collapse_reason" not in set(result.metrics["metric"])
    assert result.verdicts["same?"].all() and len(result.verdicts)


def test_nan_equals_nan(tmp_path):
    reference, here = reference_set(), reference_set()
    for records in (reference, here):
        find(records, "mlp-mse-d4-seed0")["metrics"]["silhouette"] = None
    result = compare(tmp_path, reference, here)
    assert row(result, "mlp-mse-d4-seed0", "silhouette")["verdict"] == "identical"


def test_within_the_seed_spread_is_reproduced(tmp_path):
    here = reference_set()
    find(here, "mlp-triplet-d4-seed1")["metrics"]["silhouette"] += 0.015  # std 0.01, k = 2 -> 0.02
    result = compare(tmp_path, reference_set(), here)
    hit = row(result, "mlp-triplet-d4-seed1", "silhouette")
    assert hit["verdict"] == "reproduced" and hit["tolerance_from"] == FROM_GROUP
    assert hit["tolerance"] == pytest.approx(0.02)
    assert hit["difference"] == pytest.approx(0.015)
    assert result.ok


def test_one_trained_number_outside_its_band_is_listed_and_fails_nothing(tmp_path):
    here = reference_set()
    find(here, "mlp-triplet-d4-seed1")["metrics"]["silhouette"] += 0.03
    result = compare(tmp_path, reference_set(), here)
    hit = row(result, "mlp-triplet-d4-seed1", "silhouette")
    assert hit["verdict"] == "outside tolerance" and hit["judged"] == "trained"
    assert hit["noise_rate"] == pytest.approx(band_rate(2, (2,)))  # three seeds: 2 P(T_2 > 2) = 18%
    assert result.summary["outside tolerance"] == 1
    family = result.families[0]  # one study/variant: no separate overall test; then one family per metric
    assert [f.family for f in result.families] == [f"{STUDY} / {VARIANT}"] + [
        f"{STUDY} / {VARIANT} / {m}" for m in ("acc", "n_clusters_found", "silhouette")]
    assert (family.outside, family.compared) == (1, 24 + 12)  # trained: 12 records x 3 metrics
    assert family.rate == pytest.approx(0.1835, abs=1e-4) and family.ok
    assert result.ok and result.status.startswith("reproduced (1 of 36 trained numbers outside their seed band")
    page = result.markdown()
    assert "**Reproduced**" in page and "The 1 number outside its tolerance is listed below" in page
    outliers = page[page.index("## Numbers outside their tolerance"):]
    assert "| mlp-triplet-d4-seed1" in outliers  # the outlier is still listed
    assert "1 of 36 trained numbers outside their seed band (2.8%); seed noise gives 18.4%" in page
    # k is a parameter: a wider band takes the same difference in
    assert compare_runs(tmp_path / "run", tmp_path / "reference", k=4).summary["outside tolerance"] == 0


def test_trained_numbers_outside_their_band_more_often_than_seed_noise_gives(tmp_path):
    here = reference_set()
    for item in here:  # every trained number 3 seed spreads (std 0.01) up: no claim changes
        if item["run"]["method"] != "pca":
            item["metrics"]["silhouette"] += 0.03
            item["metrics"]["acc"] += 0.03
    result = compare(tmp_path, reference_set(), here)
    assert result.verdicts["same?"].all()
    family = result.families[0]
    # twelve records, twelve fits: counted as 8 of 12 fits outside where seed noise puts 18%
    assert (family.outside, family.compared, family.effective) == (24, 36, (8, 12))
    assert not family.ok and family.p_value < 1e-3
    # the study/variant and its two moved metrics fail; n_clusters_found did not move
    assert [f.ok for f in result.families] == [False, False, True, False]
    assert not result.ok and len(result.reasons) == 3
    assert result.reasons[0].startswith(f"more trained numbers outside their seed band than seed noise gives in "
                                        f"{STUDY} / {VARIANT} (24 of 36")
    assert result.status.startswith("NOT reproduced: more trained numbers")
    assert "| **no**" in result.markdown()


def test_a_changed_claim_fails_the_run(tmp_path):
    here = reference_set()
    for seed in range(3):  # MSE overtakes triplet at d = 8 in silhouette: three numbers far out
        find(here, f"mlp-mse-d8-seed{seed}")["metrics"]["silhouette"] = find(
            here, f"mlp-triplet-d8-seed{seed}")["metrics"]["silhouette"] + 0.1
    result = compare(tmp_path, reference_set(), here)
    contradicted = len(result.contradicted_verdicts)
    assert contradicted and all(test.ok for test in result.families)  # 3 of 36 outside: what noise gives
    assert not result.ok and len(result.reasons) == 1
    assert result.reasons[0].startswith(f"{contradicted} of {len(result.verdicts)} claims contradicted")
    assert result.status.startswith(f"NOT reproduced: {contradicted} of ")


def test_a_claim_moved_to_not_shown_is_listed_but_fails_nothing(tmp_path):
    here = reference_set()
    for seed in range(3):  # MSE catches up with triplet at d = 8: a tie, inside the noise
        find(here, f"mlp-mse-d8-seed{seed}")["metrics"]["silhouette"] = find(
            here, f"mlp-triplet-d8-seed{seed}")["metrics"]["silhouette"]
    result = compare(tmp_path, reference_set(), here)
    assert len(result.changed_verdicts) and not len(result.contradicted_verdicts)
    assert result.ok and "moved by noise" in result.markdown()


def test_deterministic_pca_must_match_to_the_float(tmp_path):
    here = reference_set()
    find(here, "pca-d4-seed0")["metrics"]["silhouette"] = 0.2508  # 1e-3 off: far beyond a K-Means flip
    find(here, "pca-d8-seed0")["metrics"]["silhouette"] *= 1 + 3e-7  # a float32 sum in another order
    find(here, "pca-d8-seed0")["metrics"]["acc"] += 6e-5  # a point or two moving cluster
    result = compare(tmp_path, reference_set(), here)
    hit = row(result, "pca-d4-seed0", "silhouette")
    assert hit["verdict"] == "outside tolerance" and hit["judged"] == "deterministic"
    assert hit["tolerance"] == pytest.approx(2e-4) and hit["tolerance_from"] == FROM_DETERMINISTIC
    assert row(result, "pca-d8-seed0", "silhouette")["verdict"] == "reproduced"
    assert row(result, "pca-d8-seed0", "acc")["verdict"] == "reproduced"
    assert not result.ok
    assert result.reasons[0].startswith("1 deterministic number differs beyond the float tolerance (1e-06 relative")
    # a score not read from cluster ids must agree to 1e-6 relative, with an absolute floor near 0
    near_zero = reference_set()
    find(near_zero, "pca-d4-seed0")["metrics"]["n_clusters_found"] = 0.0
    here = copy.deepcopy(near_zero)
    find(here, "pca-d4-seed0")["metrics"]["n_clusters_found"] = 1e-17
    find(here, "pca-d8-seed0")["metrics"]["n_clusters_found"] *= 1 + 2e-6
    result = compare(tmp_path / "near_zero", near_zero, here)
    assert row(result, "pca-d4-seed0", "n_clusters_found")["verdict"] == "reproduced"
    assert row(result, "pca-d4-seed0", "n_clusters_found")["tolerance"] == 1e-12
    assert row(result, "pca-d8-seed0", "n_clusters_found")["verdict"] == "outside tolerance"
    assert compare_runs(tmp_path / "near_zero" / "run", tmp_path / "near_zero" / "reference", rtol=1e-5).ok
    assert deterministic(record("pca", 4, 0)) and not deterministic(record("mlp-mse", 4, 0))
    # each study declares which of its runs train nothing
    assert deterministic({"study": "05_text_yelp_daae", "run": {"model": "tfidf"}})
    assert deterministic({"study": "04_audio_urbansound", "run": {"model": "mean_logmel", "objective": "none"}})
    assert not deterministic({"study": "05_text_yelp_daae", "run": {"model": "daae"}})
    assert not deterministic({"study": "no_such_study", "run": {"model": "tfidf"}})


def test_single_seed_takes_the_median_spread_of_the_study(tmp_path):
    reference = reference_set() + [record("mlp-triplet", 16, 0, silhouette=0.3, acc=0.7)]
    here = reference_set() + [record("mlp-triplet", 16, 0, silhouette=0.315, acc=0.7)]
    result = compare(tmp_path, reference, here)
    hit = row(result, "mlp-triplet-d16-seed0", "silhouette")
    assert hit["tolerance_from"] == FROM_STUDY
    assert hit["tolerance"] == pytest.approx(0.02) and hit["verdict"] == "reproduced"


def test_single_seed_study_with_no_spread_must_match_to_the_float(tmp_path):
    reference = [record("mlp", size, 0, study="01_embedding_size", silhouette=0.2, acc=0.72) for size in (4, 8)]
    here = copy.deepcopy(reference)
    here[1]["metrics"]["acc"] = 0.63
    result = compare(tmp_path, reference, here)
    hit = row(result, "mlp-d8-seed0", "acc")
    assert hit["tolerance_from"] == FROM_NOTHING and hit["tolerance"] == 1e-9
    assert hit["verdict"] == "outside tolerance"
    assert row(result, "mlp-d4-seed0", "acc")["verdict"] == "identical"


@pytest.mark.parametrize("side", ["here", "reference"])
def test_missing_on_one_side(tmp_path, side):
    reference, here = reference_set(), reference_set()
    dropped = "mlp-mse-d8-seed2"
    (here if side == "here" else reference).remove(find(here if side == "here" else reference, dropped))
    result = compare(tmp_path, reference, here)
    verdicts = set(result.metrics.loc[result.metrics["run"] == dropped, "verdict"])
    if side == "here":
        assert verdicts == {"missing here"} and not result.ok
        assert result.summary["missing here"] == 3
    else:
        assert verdicts == {"missing in reference"} and result.ok  # a new record fails nothing
        assert result.summary["missing in reference"] == 3


def test_a_metric_missing_on_one_side(tmp_path):
    here = reference_set()
    find(here, "mlp-mse-d8-seed2")["metrics"]["knn_acc"] = 0.9
    result = compare(tmp_path, reference_set(), here)
    assert row(result, "mlp-mse-d8-seed2", "knn_acc")["verdict"] == "missing in reference"


def test_collapsed_on_one_side(tmp_path):
    here = reference_set()
    find(here, "mlp-triplet-d8-seed0")["metrics"].update(collapsed=True, collapse_reason="one cluster",
                                                          silhouette=None, n_clusters_found=1)
    result = compare(tmp_path, reference_set(), here)
    rows = result.metrics[result.metrics["run"] == "mlp-triplet-d8-seed0"]
    assert set(rows["verdict"]) == {"collapsed in one"}
    assert set(rows["side"]) == {"collapsed here only"}
    assert not result.ok and result.summary["collapsed in one"] == 3
    # and the other way round
    reverse = compare_runs(tmp_path / "reference", tmp_path / "run")
    assert set(reverse.metrics.loc[reverse.metrics["run"] == "mlp-triplet-d8-seed0", "side"]) == \
        {"collapsed in reference only"}


def test_a_verdict_that_flips(tmp_path):
    here = reference_set()
    for seed in range(3):  # MSE catches up with triplet at d = 8 in silhouette
        find(here, f"mlp-mse-d8-seed{seed}")["metrics"]["silhouette"] = find(
            here, f"mlp-triplet-d8-seed{seed}")["metrics"]["silhouette"]
    result = compare(tmp_path, reference_set(), here)
    claims = result.verdicts.set_index("claim")
    # the claims are chapter 02's own (latentlib.images.claims.triplet_claims)
    flipped = claims.loc["Triplet > MSE in silhouette at every d"]
    assert flipped["reference outcome"] == "holds" and flipped["this run's outcome"] == "not shown"  # a tie
    assert not flipped["same?"]
    assert claims.loc["Triplet > MSE in acc at every d", "same?"]
    assert "MSE only: SS falls as d grows" in claims.index
    assert len(result.changed_verdicts) >= 1
    assert "**no**" in result.markdown()


def test_machines_side_by_side(tmp_path):
    here = [{**r, "device": "cpu (Intel Xeon, 2 threads)",
             "environment": {**r["environment"], "commit": "def5678"}} for r in reference_set()]
    result = compare(tmp_path, reference_set(), here)
    machines = result.machines.set_index("side")
    assert machines.loc["reference", "device"] == "cpu (AMD EPYC, 2 threads)"
    assert machines.loc["this run", "device"] == "cpu (Intel Xeon, 2 threads)"
    assert machines.loc["this run", "commit"] == "def5678" and machines.loc["reference", "torch"] == "2.14.1+cu130"


def test_markdown_has_the_summary_and_no_nan(tmp_path):
    reference, here = reference_set(), reference_set()
    find(here, "mlp-triplet-d4-seed1")["metrics"]["silhouette"] += 0.03
    find(here, "pca-d8-seed0")["metrics"]["acc"] = 0.452  # beyond what a K-Means flip moves
    here.remove(find(here, "mlp-mse-d8-seed2"))
    find(here, "mlp-mse-d4-seed0")["metrics"]["silhouette"] = None
    page = compare(tmp_path, reference, here).markdown()
    assert page.startswith("# Reproduction report")
    assert page.index("## Summary") < page.index("## Trained numbers, as families") < \
        page.index("## The book's verdicts") < page.index("## Numbers outside their tolerance") < \
        page.index("## Machines and versions")
    assert "| outside tolerance" in page and "| missing here" in page
    assert "nan" not in page.lower()
    assert "**Not reproduced**: 1 deterministic number differs" in page and "; 3 numbers missing here." in page
    assert "## Trained numbers, as families" in page
    assert "+0.001" in page  # the PCA difference, not rounded to 0


def test_scope(tmp_path):
    other = [record("mlp-mse", 4, 0, variant="quick-2dd49d9a", silhouette=0.2, acc=0.5)]
    result = compare(tmp_path, reference_set() + other, reference_set())
    assert result.ok and result.not_run == [f"{STUDY}/quick-2dd49d9a"]
    assert not compare_runs(tmp_path / "run", tmp_path / "reference", scope="all").ok
    with pytest.raises(ValueError, match="scope"):
        compare_runs(tmp_path / "run", tmp_path / "reference", scope="every")


def test_since_leaves_out_the_records_of_earlier_runs(tmp_path):
    import json

    from latentlib.book.reproduce import compare_runs

    run, reference = tmp_path / "run", tmp_path / "reference"
    for name, created in (("old", "2020-01-01T00:00:00Z"), ("new", "2030-01-01T00:00:00Z")):
        record = {"study": "s", "variant": "smoke", "created": created, "run": {"name": name, "seed": 0},
                  "metrics": {"silhouette": 0.5}}
        (run / "s" / "smoke").mkdir(parents=True, exist_ok=True)
        (run / "s" / "smoke" / f"{name}.json").write_text(json.dumps(record))
    (reference / "s" / "smoke").mkdir(parents=True)
    (reference / "s" / "smoke" / "new.json").write_text((run / "s" / "smoke" / "new.json").read_text())
    everything = compare_runs(run, reference)
    assert everything.summary["missing in reference"] == 1
    recent = compare_runs(run, reference, since=1.8e9)
    assert recent.summary["missing in reference"] == 0 and recent.summary["identical"] == 1


def test_the_numbers_of_one_fit_are_counted_as_one():
    # 478 of 2,250 numbers outside, but they come from 9 fits that each move all their
    # numbers together (a real re-run of chapter 05 on another CPU): about 2 of 9 fits
    from latentlib.book.reproduce import family_test

    numbers = family_test(478, 2250, 0.157)
    fits = family_test(478, 2250, 0.157, fits=9)
    assert not numbers.ok and fits.ok and fits.effective == (2, 9)
    assert "counted as 2 of 9 fits" in fits.line()
    # every fit of the family moved: still caught
    assert not family_test(2250, 2250, 0.157, fits=9, alpha=1e-4).ok
