"""Log-mel features: shape and scaling, padding and cropping, skips, parallel = serial, cache."""

from __future__ import annotations

import subprocess
import sys

import librosa
import numpy as np
import pytest
import soundfile as sf
from audio_fixtures import SR, tone, write_urbansound8k

from latentlib.audio.features import FeatureConfig, extract_features, load_clip, log_mel
from latentlib.audio.urbansound import load_urbansound8k

CONFIG = FeatureConfig(n_mels=32)


def test_a_4s_clip_has_173_frames_and_features_in_unit_range():
    y = tone(1000.0, 4.0)
    features = log_mel(y, FeatureConfig())
    assert features.shape == (64, 173) == FeatureConfig().shape[1:]
    assert features.min() >= 0.0 and features.max() == pytest.approx(1.0)


def test_a_tone_is_loudest_in_its_mel_band():
    features = log_mel(tone(1000.0, 4.0), CONFIG)
    centres = librosa.mel_frequencies(n_mels=CONFIG.n_mels + 2, fmax=SR / 2)[1:-1]
    loudest = int(np.argmax(features.mean(axis=1)))
    assert abs(centres[loudest] - 1000.0) < (centres[loudest + 1] - centres[loudest - 1])


def test_short_clips_are_padded_with_silence_and_long_ones_cropped(tmp_path):
    sf.write(tmp_path / "short.wav", tone(440.0, 1.0), SR)
    sf.write(tmp_path / "long.flac", tone(440.0, 6.0), SR, format="FLAC")
    short = load_clip(tmp_path / "short.wav", CONFIG)
    long = load_clip(tmp_path / "long.flac", CONFIG)
    assert len(short) == len(long) == 4 * SR
    assert np.all(short[SR + 1 :] == 0)
    assert len(load_clip(tmp_path / "short.wav", CONFIG, fixed_length=False)) == SR
    features = log_mel(short, CONFIG)
    # frames well past the 1 s of sound hold only the padding: the floor, 0
    assert np.all(features[:, 60:] == 0.0) and features[:, :40].max() == pytest.approx(1.0)


def test_resampling_to_22050(tmp_path):
    sf.write(tmp_path / "44k.wav", tone(440.0, 2.0, sr=44100), 44100)
    assert len(load_clip(tmp_path / "44k.wav", CONFIG, fixed_length=False)) == 2 * SR


def test_corrupt_empty_and_silent_files_are_skipped_counted_and_named(tmp_path):
    bad = write_urbansound8k(tmp_path)
    clips = load_urbansound8k(tmp_path)
    features = extract_features(clips.paths, CONFIG, n_jobs=1, cache_dir=tmp_path / "cache", progress=False)
    assert features.skip_counts() == {"unreadable": 1, "empty": 1, "silent": 1}
    skipped = dict(zip(features.skipped["reason"], features.skipped["path"]))
    for reason in ("unreadable", "empty", "silent"):
        assert skipped[reason].endswith(bad[reason])
    assert features.x.shape == (18, 1, 32, 173)
    assert [clips.paths[i].name for i in features.kept] == [p.name for p in clips.paths if not p.name.startswith("90")]
    assert features.summary()["clips_skipped"] == 3


def test_parallel_extraction_equals_serial(tmp_path):
    write_urbansound8k(tmp_path, folds=2, per_cell=1)
    paths = load_urbansound8k(tmp_path).paths
    serial = extract_features(paths, CONFIG, n_jobs=1, use_cache=False, progress=False)
    parallel = extract_features(paths, CONFIG, n_jobs=2, use_cache=False, progress=False)
    assert np.array_equal(serial.kept, parallel.kept)
    # BLAS in a worker may use another thread count, so sums can differ in the last bits
    np.testing.assert_allclose(serial.x, parallel.x, rtol=0, atol=1e-5)
    assert serial.skipped.equals(parallel.skipped)


def test_cache_miss_then_hit_and_keyed_by_parameters_and_file(tmp_path):
    write_urbansound8k(tmp_path, folds=2, per_cell=1)
    paths = load_urbansound8k(tmp_path).paths
    cache = tmp_path / "cache"
    first = extract_features(paths, CONFIG, n_jobs=1, cache_dir=cache, progress=False)
    assert (first.n_cached, first.n_computed) == (0, len(paths))
    second = extract_features(paths, CONFIG, n_jobs=1, cache_dir=cache, progress=False)
    assert (second.n_cached, second.n_computed) == (len(paths), 0)
    assert np.array_equal(first.x, second.x) and second.skipped.equals(first.skipped)
    # other feature parameters: a different cache folder, so everything is a miss
    other = extract_features(paths, FeatureConfig(n_mels=16), n_jobs=1, cache_dir=cache, progress=False)
    assert other.n_computed == len(paths) and other.cache_folder != first.cache_folder
    # a file that changes is computed again, the others are read
    changed = next(p for p in paths if p.stat().st_size > 0 and not p.name.startswith("90"))
    sf.write(changed, tone(5000.0, 2.5), SR)
    third = extract_features(paths, CONFIG, n_jobs=1, cache_dir=cache, progress=False)
    assert (third.n_cached, third.n_computed) == (len(paths) - 1, 1)
    index = paths.index(changed)
    row = list(third.kept).index(index)
    assert not np.array_equal(third.x[row], first.x[row])


def test_bad_feature_parameters_name_the_parameter():
    with pytest.raises(ValueError, match="n_mels"):
        FeatureConfig(n_mels=0)
    with pytest.raises(ValueError, match="n_mels must be at most"):
        FeatureConfig(n_fft=64, n_mels=64)
    with pytest.raises(ValueError, match="duration"):
        FeatureConfig(duration=-1.0)
    with pytest.raises(ValueError, match="n_jobs"):
        extract_features([], CONFIG, n_jobs=0)


def test_importing_the_features_module_does_not_import_torch():
    # joblib worker processes import it: torch would add seconds and memory to each worker
    code = ("import sys, latentlib.audio.features; "
            "assert 'torch' not in sys.modules, [m for m in sys.modules if m.startswith('latentlib')]")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
