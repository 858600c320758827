"""The verdict module on hand-made run tables whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from latentlib.verdicts import beats, compare, falls_with, verdict_table


def runs(rows):
    return pd.DataFrame(rows, columns=["method", "embedding_size", "seed", "silhouette", "collapsed"])


def grid(values: dict[str, dict[int, list[float]]], collapsed=()):
    rows = []
    for method, sizes in values.items():
        for size, scores in sizes.items():
            for seed, score in enumerate(scores):
                rows.append((method, size, seed, score, (method, size, seed) in collapsed))
    return runs(rows)


def test_a_clear_gain_at_every_size_holds():
    table = grid({"triplet": {4: [0.70, 0.71, 0.69], 8: [0.62, 0.63, 0.61]},
                  "mse": {4: [0.30, 0.31, 0.29], 8: [0.25, 0.26, 0.24]}})
    verdict = beats(table, better="triplet", worse="mse")
    assert verdict.outcome == "holds" and verdict.holds
    assert list(verdict.evidence["outcome"]) == ["better", "better"]
    assert "2 better of 2" in verdict.rule


def test_a_gain_inside_the_seed_noise_is_a_tie_not_a_win():
    table = grid({"a": {4: [0.50, 0.30, 0.70]}, "b": {4: [0.45, 0.55, 0.44]}})
    verdict = beats(table, better="a", worse="b")
    assert verdict.outcome == "does not hold"
    assert verdict.evidence.loc[0, "outcome"] == "tie"


def test_the_interval_is_welchs():
    a, b = np.array([1.0, 1.2, 0.9, 1.1]), np.array([0.5, 0.55, 0.45])
    result = compare(a, b)
    welch = stats.ttest_ind(a, b, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert result["low"] == pytest.approx(ci.low) and result["high"] == pytest.approx(ci.high)
    assert result["outcome"] == "better"


def test_exact_ties_and_single_runs_use_the_tolerance():
    assert compare([0.5, 0.5], [0.5, 0.5])["outcome"] == "tie"
    assert compare([0.52], [0.50])["outcome"] == "better"
    assert compare([0.505], [0.50])["outcome"] == "tie"
    assert compare([0.40], [0.50])["outcome"] == "worse"


def test_collapsed_runs_are_excluded_and_counted():
    # the collapsed triplet run scores 0.99: counted, it would make the gain look sure
    table = grid({"triplet": {4: [0.99, 0.40, 0.41]}, "mse": {4: [0.40, 0.41, 0.39]}},
                 collapsed={("triplet", 4, 0)})
    verdict = beats(table, better="triplet", worse="mse")
    assert verdict.excluded == 1
    assert verdict.outcome == "does not hold"
    assert "1 collapsed run excluded" in verdict.sentence()


def test_every_run_collapsed_is_undecided():
    table = grid({"triplet": {4: [0.99, 0.98]}, "mse": {4: [0.4, 0.41]}},
                 collapsed={("triplet", 4, 0), ("triplet", 4, 1)})
    verdict = beats(table, better="triplet", worse="mse")
    assert verdict.excluded == 2 and verdict.evidence.loc[0, "outcome"] == "missing"
    assert verdict.outcome == "undecided"


def test_falls_with_size_tolerates_a_tiny_rise():
    table = grid({"mse": {4: [0.25], 8: [0.20], 16: [0.17], 32: [0.171]}})
    assert falls_with(table, method="mse").outcome == "holds"
    strict = falls_with(table, method="mse", tolerance=0.0)
    assert strict.outcome == "does not hold" and "1 rise" in strict.rule


def test_falls_with_size_rejects_a_real_rise_and_a_flat_line():
    rising = grid({"pca": {4: [0.2], 8: [0.3], 16: [0.1]}})
    assert falls_with(rising, method="pca").outcome == "does not hold"
    flat = grid({"pca": {4: [0.2], 8: [0.2], 16: [0.2]}})
    assert falls_with(flat, method="pca").outcome == "does not hold"
    assert falls_with(grid({"pca": {4: [0.2]}}), method="pca").outcome == "undecided"


def test_verdict_table_lists_claims():
    table = grid({"a": {4: [0.7, 0.71]}, "b": {4: [0.3, 0.31]}})
    frame = verdict_table([beats(table, better="a", worse="b"), falls_with(table, method="a")])
    assert list(frame["verdict"]) == ["holds", "undecided"]


# --- closes_gap / matches (chapter 06): a variant against a published column ---

from latentlib.verdicts import GAP_TOLERANCE, closes_gap, matches  # noqa: E402

PAPER = {4: 0.53, 8: 0.52}
BASE = {4: [0.26, 0.27, 0.25], 8: [0.18, 0.19, 0.17]}


def test_a_variant_at_the_published_value_closes_the_gap():
    table = grid({"baseline": BASE, "v": {4: [0.52], 8: [0.55]}})
    verdict = closes_gap(table, method="v", baseline="baseline", target=PAPER)
    assert verdict.holds
    assert list(verdict.evidence["effect"]) == ["closes", "closes"]
    assert verdict.evidence.loc[0, "share_of_gap_closed"] == pytest.approx((0.52 - 0.26) / (0.53 - 0.26))


def test_a_variant_far_above_the_paper_overshoots_and_does_not_close():
    table = grid({"baseline": BASE, "v": {4: [0.53 + GAP_TOLERANCE + 0.1], 8: [0.50]}})
    verdict = closes_gap(table, method="v", baseline="baseline", target=PAPER)
    assert not verdict.holds
    assert list(verdict.evidence["effect"]) == ["overshoots", "closes"]


def test_one_seed_is_judged_against_twice_the_baselines_seed_spread():
    # baseline std 0.01 at each size: +0.015 is noise, +0.10 is a real move, -0.10 widens
    table = grid({"baseline": BASE, "v": {4: [0.275], 8: [0.28]}, "w": {4: [0.16], 8: [0.08]}})
    assert list(closes_gap(table, method="v", baseline="baseline", target=PAPER).evidence["effect"]) == \
        ["no change", "narrows"]
    assert list(closes_gap(table, method="w", baseline="baseline", target=PAPER).evidence["effect"]) == \
        ["widens", "widens"]


def test_collapsed_variant_runs_are_left_out_of_the_gap_verdict():
    table = grid({"baseline": BASE, "v": {4: [0.99, 0.30, 0.31]}}, collapsed={("v", 4, 0)})
    verdict = closes_gap(table, method="v", baseline="baseline", target=PAPER)
    assert verdict.excluded == 1
    assert verdict.evidence.loc[0, "variant"] == pytest.approx(0.305)
    assert verdict.evidence.loc[0, "effect"] == "narrows"


def test_sizes_the_paper_does_not_report_are_skipped_and_no_runs_is_undecided():
    table = grid({"baseline": {2: [0.5, 0.5]}, "v": {2: [0.9]}})
    assert closes_gap(table, method="v", baseline="baseline", target=PAPER).outcome == "undecided"


def test_matches_uses_the_tolerance_on_the_worst_size():
    table = grid({"pca": {4: [0.25, 0.24], 8: [0.19, 0.18]}})
    assert matches(table, method="pca", target={4: 0.2444, 8: 0.185}).holds
    off = grid({"pca": {4: [0.25, 0.24], 8: [0.30, 0.31]}})
    verdict = matches(off, method="pca", target={4: 0.2444, 8: 0.185})
    assert not verdict.holds and "0.120" in verdict.rule


def test_rises_with_mirrors_falls_with():
    from latentlib.verdicts import rises_with

    up = grid({"m": {2: [0.5, 0.5], 4: [0.6, 0.6], 8: [0.595, 0.595], 16: [0.7, 0.7]}})
    assert rises_with(up, method="m", metric="silhouette").holds  # a 0.005 dip is noise
    dip = grid({"m": {2: [0.5, 0.5], 4: [0.7, 0.7], 8: [0.6, 0.6], 16: [0.72, 0.72]}})
    verdict = rises_with(dip, method="m", metric="silhouette")
    assert not verdict.holds and "1 fall above 0.01" in verdict.rule
    assert falls_with(up, method="m").outcome == "does not hold"
