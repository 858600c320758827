"""Ring time from the log-mel envelope, on synthetic decays with a known time constant,
and the correlation ratios the chapter reports."""

from __future__ import annotations

import numpy as np
import pytest

from latentlib.audio.envelope import (correlation_ratio, frame_levels, ring_seconds, shuffled_within_ratio,
                                      within_correlation_ratio)
from latentlib.audio.features import FeatureConfig, log_mel

CONFIG = FeatureConfig(n_mels=32)


def decaying_noise(tau: float, *, onset: float = 0.5, seed: int = 0) -> np.ndarray:
    """White noise starting at ``onset`` seconds, its amplitude falling as exp(-t / tau)."""
    rng = np.random.default_rng(seed)
    t = np.arange(CONFIG.n_samples) / CONFIG.sample_rate
    envelope = np.where(t >= onset, np.exp(-(t - onset) / tau), 0.0)
    return (rng.standard_normal(len(t)) * envelope).astype(np.float32)


def features(*waveforms: np.ndarray) -> np.ndarray:
    return np.stack([log_mel(y, CONFIG)[None] for y in waveforms])


@pytest.mark.parametrize("tau", [0.02, 0.05, 0.1, 0.2])
def test_ring_time_of_an_exponential_decay_is_its_30_db_time(tau):
    # amplitude exp(-t / tau) loses 20 log10(e) / tau = 8.69 / tau dB per second
    expected = 30.0 / (20 * np.log10(np.e)) * tau
    measured = ring_seconds(features(decaying_noise(tau)), CONFIG)[0]
    frame = CONFIG.hop_length / CONFIG.sample_rate
    assert measured == pytest.approx(expected, abs=2.5 * frame)


def test_ring_time_orders_decays_and_ignores_the_padding():
    x = features(*(decaying_noise(tau, seed=i) for i, tau in enumerate((0.01, 0.05, 0.3))))
    ring = ring_seconds(x, CONFIG)
    assert np.all(np.diff(ring) > 0)
    # a longer drop reaches further into the tail
    assert np.all(ring_seconds(x, CONFIG, drop_db=50) >= ring)
    levels = frame_levels(x, CONFIG)
    assert levels.shape == (3, CONFIG.n_frames) and np.allclose(levels.max(axis=1), 0)


def test_bad_input_names_the_parameter():
    x = features(decaying_noise(0.05))
    with pytest.raises(ValueError, match="drop_db"):
        ring_seconds(x, CONFIG, drop_db=0)
    with pytest.raises(ValueError, match="drop_db"):
        ring_seconds(x, CONFIG, drop_db=90)
    with pytest.raises(ValueError, match="x must be"):
        ring_seconds(x[:, 0], CONFIG)
    with pytest.raises(ValueError, match="groups"):
        correlation_ratio(np.arange(4.0), np.array([0, 1]))
    values, groups = np.arange(4.0), np.array([0, 0, 1, 1])
    # no draw at all would give NaN, not an error: the count is checked first
    with pytest.raises(ValueError, match="repeats must be a positive int, got 0"):
        shuffled_within_ratio(values, groups, within=groups, repeats=0)
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        shuffled_within_ratio(values, groups, within=groups, seed=-1)


def test_correlation_ratio_by_hand():
    values = np.array([1.0, 1.0, 3.0, 3.0])
    assert correlation_ratio(values, np.array([0, 0, 1, 1])) == pytest.approx(1.0)
    assert correlation_ratio(values, np.array([0, 1, 0, 1])) == pytest.approx(0.0)
    # groups {1, 3} (mean 2) and {3, 3} (mean 3) around the overall mean 2.5
    values = np.array([1.0, 3.0, 3.0, 3.0])
    total = np.sum((values - 2.5) ** 2)  # 3.0
    between = 2 * (2.0 - 2.5) ** 2 + 2 * (3.0 - 2.5) ** 2  # 1.0
    assert correlation_ratio(values, np.array([0, 0, 1, 1])) == pytest.approx(between / total)
    assert np.isnan(correlation_ratio(np.ones(4), np.array([0, 0, 1, 1])))


def test_within_ratio_and_its_chance_level():
    # class 0: clusters split its values perfectly; class 1: one cluster only (left out)
    values = np.array([0.1, 0.1, 0.9, 0.9, 0.5, 0.6])
    clusters = np.array([0, 0, 1, 1, 2, 2])
    classes = np.array([0, 0, 0, 0, 1, 1])
    assert within_correlation_ratio(values, clusters, within=classes) == pytest.approx(1.0)
    chance = shuffled_within_ratio(values, clusters, within=classes, seed=0, repeats=300)
    assert 0 < chance < 1
    assert np.isnan(within_correlation_ratio(values, classes, within=classes))
