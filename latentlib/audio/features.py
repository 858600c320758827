"""Log-mel spectrograms of audio clips: computed in parallel, cached on disk, failures counted.

Each clip is decoded and resampled by librosa, padded with silence or cropped to a fixed
duration, turned into a mel power spectrogram and then into decibels relative to the
clip's own peak, clipped at ``top_db`` below it and scaled to [0, 1] (0 = silence or
padding, 1 = the loudest bin), which suits an autoencoder with a sigmoid output.

Unreadable, empty and silent files are skipped, never crash a run, and are reported
with their reason. Results are cached per clip under a folder keyed by the feature
parameters, so a second run over the same files only reads ``.npy`` files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm  # text bars: the book drops stderr, no widget state needed

# no torch here, directly or through an import: joblib workers import this module
from latentlib.data.sources import data_root
from latentlib.validation import check_optional_positive_int, check_positive_float, check_positive_int, fail

# bump when a change to the computation makes old cached features wrong
FEATURE_FORMAT = 1
SKIP_REASONS = ("unreadable", "empty", "silent")


@dataclass(frozen=True)
class FeatureConfig:
    """Log-mel parameters (librosa's defaults for sr, n_fft and hop; 4 s as UrbanSound8K)."""

    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 64
    duration: float = 4.0
    top_db: float = 80.0
    # a clip whose peak stays below this (-80 dBFS) holds no sound to describe
    silence_peak: float = 1e-4

    def __post_init__(self) -> None:
        for name in ("sample_rate", "n_fft", "hop_length", "n_mels"):
            check_positive_int(name, getattr(self, name))
        for name in ("duration", "top_db", "silence_peak"):
            check_positive_float(name, getattr(self, name))
        if self.n_mels > self.n_fft // 2 + 1:
            fail("n_mels", self.n_mels, f"at most n_fft // 2 + 1 = {self.n_fft // 2 + 1}")

    @property
    def n_samples(self) -> int:
        return int(round(self.duration * self.sample_rate))

    @property
    def n_frames(self) -> int:
        # librosa centres frames: one frame per hop plus one (4 s at 22050 / 512 -> 173)
        return 1 + self.n_samples // self.hop_length

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of one feature array: (channel, mel band, frame)."""
        return (1, self.n_mels, self.n_frames)

    def key(self) -> str:
        payload = {"format": FEATURE_FORMAT, **dataclasses.asdict(self)}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class ClipError(ValueError):
    """A clip that cannot be turned into features; ``reason`` is one of SKIP_REASONS."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def load_clip(path: str | os.PathLike, config: FeatureConfig, *, fixed_length: bool = True) -> np.ndarray:
    """Mono waveform at ``config.sample_rate``, cropped to ``config.duration`` and, with
    ``fixed_length``, padded with trailing silence to exactly that length.

    Raises
    ------
    ClipError
        ``empty`` (no bytes or no samples), ``unreadable`` (not decodable audio) or
        ``silent`` (peak below ``config.silence_peak``).
    """
    import librosa  # imported here: its import is slow and only audio chapters need it

    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ClipError("empty", "the file has no bytes")
        with warnings.catch_warnings():
            # on a file soundfile cannot read librosa warns, then tries audioread: the
            # outcome is reported as the skip reason instead
            warnings.simplefilter("ignore")
            y, _ = librosa.load(path, sr=config.sample_rate, mono=True, duration=config.duration)
    except ClipError:
        raise
    except Exception as error:  # soundfile and audioread raise many types on bad files
        # some decoders fail without a message: say what failing means for the user
        detail = str(error) or "no audio decoder could read it (not an audio file?)"
        raise ClipError("unreadable", f"{type(error).__name__}: {detail}") from None
    if y.size == 0:
        raise ClipError("empty", "the file holds no samples")
    peak = float(np.max(np.abs(y)))
    if not np.isfinite(peak):
        raise ClipError("unreadable", "the decoded samples are not finite")
    if peak < config.silence_peak:
        raise ClipError("silent", f"peak amplitude {peak:.2e} < {config.silence_peak:.0e}")
    if fixed_length:
        y = librosa.util.fix_length(y[: config.n_samples], size=config.n_samples)
    return y.astype(np.float32)


def log_mel(y: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Scaled log-mel spectrogram (n_mels x n_frames, float32 in [0, 1]) of a waveform."""
    import librosa

    power = librosa.feature.melspectrogram(y=y, sr=config.sample_rate, n_fft=config.n_fft,
                                           hop_length=config.hop_length, n_mels=config.n_mels)
    decibels = librosa.power_to_db(power, ref=np.max, top_db=config.top_db)  # in [-top_db, 0]
    return ((decibels + config.top_db) / config.top_db).astype(np.float32)


def clip_features(path: str | os.PathLike, config: FeatureConfig) -> tuple[np.ndarray | None, str, str]:
    """``(features, "", "")`` for a good clip, ``(None, reason, detail)`` for a skipped one."""
    try:
        return log_mel(load_clip(path, config), config)[None], "", ""
    except ClipError as error:
        return None, error.reason, error.detail


def feature_cache_dir() -> Path:
    """``$LATENTLIB_FEATURES``, else ``<data root>/features``."""
    return Path(os.environ.get("LATENTLIB_FEATURES") or data_root() / "features").expanduser()


def clip_key(path: Path) -> str:
    """Identity of a file's content for the cache: its path, size and modification time."""
    stat = path.stat()
    return hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:24]


@dataclass
class Features:
    """Features of the clips that could be read, and what happened to the others.

    ``x`` holds one array per kept clip (N x 1 x n_mels x n_frames); ``kept`` gives the
    index of each into the ``paths`` that were asked for; ``skipped`` lists the rest
    with the reason (``unreadable``, ``empty``, ``silent``).
    """

    x: np.ndarray
    kept: np.ndarray
    skipped: pd.DataFrame
    config: FeatureConfig
    seconds: float
    n_cached: int
    n_computed: int
    cache_folder: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def skip_counts(self) -> dict[str, int]:
        counts = self.skipped["reason"].value_counts() if len(self.skipped) else {}
        return {reason: int(counts.get(reason, 0)) for reason in SKIP_REASONS}

    def summary(self) -> dict[str, Any]:
        """What a result record stores about the extraction."""
        return {"clips_kept": int(len(self.kept)), "clips_skipped": int(len(self.skipped)),
                **{f"skipped_{k}": v for k, v in self.skip_counts().items()},
                "features_from_cache": self.n_cached, "features_computed": self.n_computed,
                "feature_key": self.config.key()}


def _save_atomic(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(temporary, "wb") as handle:
        write(handle)
    os.replace(temporary, path)  # a crash never leaves half an entry


def _read_cached(folder: Path, key: str) -> tuple[np.ndarray | None, str, str] | None:
    array_path, skip_path = folder / f"{key}.npy", folder / f"{key}.skip.json"
    try:
        if array_path.exists():
            return np.load(array_path), "", ""
        if skip_path.exists():
            skip = json.loads(skip_path.read_text())
            return None, skip["reason"], skip["detail"]
    except (OSError, ValueError, KeyError):
        return None  # an unreadable entry is computed again
    return None


def _write_cached(folder: Path, key: str, result: tuple[np.ndarray | None, str, str]) -> None:
    array, reason, detail = result
    if array is not None:
        _save_atomic(folder / f"{key}.npy", lambda handle: np.save(handle, array))
    else:
        text = json.dumps({"reason": reason, "detail": detail}).encode()
        _save_atomic(folder / f"{key}.skip.json", lambda handle: handle.write(text))


def _compute(paths: list[Path], config: FeatureConfig, *, n_jobs: int, progress: bool,
             desc: str) -> list[tuple[np.ndarray | None, str, str]]:
    bar = tqdm(total=len(paths), desc=desc, disable=not progress, leave=False, unit="clip")
    if n_jobs == 1 or len(paths) <= 1:
        results = []
        for path in paths:
            results.append(clip_features(path, config))
            bar.update()
    else:
        from joblib import Parallel, delayed

        # worker processes (loky): decoding, resampling and the FFTs all run in parallel
        jobs = Parallel(n_jobs=n_jobs, return_as="generator", batch_size=8)(
            delayed(clip_features)(path, config) for path in paths)
        results = []
        for result in jobs:
            results.append(result)
            bar.update()
    bar.close()
    return results


def extract_features(paths: Sequence[str | os.PathLike], config: FeatureConfig, *,
                     n_jobs: int | None = None, use_cache: bool = True,
                     cache_dir: str | os.PathLike | None = None, progress: bool = True,
                     desc: str = "log-mel") -> Features:
    """Log-mel features of ``paths``, read from the cache where possible.

    Parameters
    ----------
    paths
        Audio files (any format libsndfile reads: WAV, FLAC, AIFF, OGG ...).
    config
        Feature parameters; they key the cache folder.
    n_jobs
        Worker processes for the clips not in the cache; None uses every CPU, 1 runs
        in this process.
    use_cache
        Read and write ``<cache_dir>/logmel-<config key>/<clip key>.npy``.
    cache_dir
        Default :func:`feature_cache_dir`.
    """
    check_optional_positive_int("n_jobs", n_jobs)
    n_jobs = n_jobs or os.cpu_count() or 1
    paths = [Path(p) for p in paths]
    start = time.perf_counter()
    folder = Path(cache_dir or feature_cache_dir()) / f"logmel-{config.key()}" if use_cache else None
    results: list[tuple[np.ndarray | None, str, str] | None] = [None] * len(paths)
    keys: list[str | None] = [None] * len(paths)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2))
        for index, path in enumerate(paths):
            if path.exists():
                keys[index] = clip_key(path)
                results[index] = _read_cached(folder, keys[index])
    todo = [i for i, result in enumerate(results) if result is None]
    computed = _compute([paths[i] for i in todo], config, n_jobs=n_jobs, progress=progress, desc=desc)
    for index, result in zip(todo, computed):
        results[index] = result
        if folder is not None and keys[index] is not None:
            _write_cached(folder, keys[index], result)

    kept = np.asarray([i for i, r in enumerate(results) if r[0] is not None], dtype=np.int64)
    x = (np.stack([results[i][0] for i in kept]) if len(kept)
         else np.zeros((0, *config.shape), dtype=np.float32))
    skipped = pd.DataFrame(
        [{"path": str(paths[i]), "reason": r[1], "detail": r[2]} for i, r in enumerate(results) if r[0] is None],
        columns=["path", "reason", "detail"],
    )
    return Features(x=x, kept=kept, skipped=skipped, config=config, seconds=time.perf_counter() - start,
                    n_cached=len(paths) - len(todo), n_computed=len(todo), cache_folder=folder,
                    info={"n_jobs": n_jobs})
