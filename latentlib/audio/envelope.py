"""How long a clip rings, read from its log-mel spectrogram, and how much of that a
grouping (K-Means clusters, classes) explains.

The chapter uses these to test, with numbers, whether the clusters follow the sounds'
decay rather than their class.
"""

from __future__ import annotations

import numpy as np

from latentlib.audio.features import FeatureConfig
from latentlib.validation import check_positive_float, check_positive_int, check_seed, fail


def frame_levels(x: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Per-frame level in dB (N x frames) of scaled log-mel features (N x 1 x bands x
    frames in [0, 1]): the power summed over mel bands, relative to each clip's loudest frame."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4 or x.shape[1] != 1:
        fail("x", f"array of shape {x.shape}", "log-mel features shaped N x 1 x bands x frames")
    power = 10.0 ** ((x[:, 0] * config.top_db - config.top_db) / 10.0)  # back from the [0, 1] scaling
    level = 10.0 * np.log10(power.sum(axis=1))
    return level - level.max(axis=1, keepdims=True)


def ring_seconds(x: np.ndarray, config: FeatureConfig, *, drop_db: float = 30.0) -> np.ndarray:
    """Seconds from each clip's loudest frame to the last frame still within ``drop_db``
    of it (a T30-like decay time; padding at the -80 dB floor never counts)."""
    check_positive_float("drop_db", drop_db)
    if drop_db >= config.top_db:
        fail("drop_db", drop_db, f"below the features' floor top_db = {config.top_db:g}")
    levels = frame_levels(x, config)
    peak = levels.argmax(axis=1)
    above = levels >= -drop_db
    last = levels.shape[1] - 1 - np.argmax(above[:, ::-1], axis=1)
    return (last - peak) * config.hop_length / config.sample_rate


def correlation_ratio(values: np.ndarray, groups: np.ndarray) -> float:
    """eta squared: the share of the variance of ``values`` explained by ``groups``
    (0: every group has the overall mean; 1: values are constant within groups)."""
    values, groups = np.asarray(values, dtype=float), np.asarray(groups)
    if values.shape != groups.shape or values.ndim != 1:
        fail("groups", f"shape {groups.shape}", f"one group per value (values have shape {values.shape})")
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    between = sum(float((groups == g).sum()) * (values[groups == g].mean() - values.mean()) ** 2
                  for g in np.unique(groups))
    return between / total


def within_correlation_ratio(values: np.ndarray, groups: np.ndarray, *, within: np.ndarray) -> float:
    """eta squared of ``values`` by ``groups`` inside each stratum of ``within`` (e.g.
    clusters inside each class), averaged with the strata's sizes as weights; strata with
    no spread or a single group are left out. NaN when none is left."""
    values, groups, within = np.asarray(values, dtype=float), np.asarray(groups), np.asarray(within)
    ratios, weights = [], []
    for stratum in np.unique(within):
        mask = within == stratum
        if len(np.unique(groups[mask])) < 2:
            continue
        eta = correlation_ratio(values[mask], groups[mask])
        if not np.isnan(eta):
            ratios.append(eta)
            weights.append(mask.sum())
    return float(np.average(ratios, weights=weights)) if ratios else float("nan")


def shuffled_within_ratio(values: np.ndarray, groups: np.ndarray, *, within: np.ndarray, seed: int = 0,
                          repeats: int = 200) -> float:
    """The chance level of :func:`within_correlation_ratio`: its mean with ``groups``
    shuffled inside each stratum (small groups give eta squared above 0 by chance)."""
    check_seed("seed", seed)
    check_positive_int("repeats", repeats)
    rng = np.random.default_rng(seed)
    groups, within = np.asarray(groups), np.asarray(within)
    draws = []
    for _ in range(repeats):
        shuffled = groups.copy()
        for stratum in np.unique(within):
            index = np.flatnonzero(within == stratum)
            shuffled[index] = rng.permutation(groups[index])
        draws.append(within_correlation_ratio(values, shuffled, within=within))
    return float(np.nanmean(draws)) if not np.all(np.isnan(draws)) else float("nan")
