"""Study 04: log-mel features -> spectrogram autoencoder -> pooled embeddings -> clusters.

Train on every fold (or kit) except the held-out ones, embed the held-out clips, cluster
them with K-Means (one cluster per class), and score the clustering overall and per
held-out group. A no-training baseline, the time-averaged log-mel spectrum of each
clip, is scored the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from latentlib.audio.config import AudioStudyConfig
from latentlib.audio.data import AudioClips
from latentlib.audio.features import FeatureConfig, Features, extract_features, load_clip
from latentlib.audio.models import SpectrogramConfig
from latentlib.autoencoder import TrainConfig, fit_autoencoder
from latentlib.evaluate import encode, kmeans_labels, score_clusters
from latentlib.events import notice
from latentlib.fit import FitResult, resolve_device
from latentlib.metrics import contingency, match_clusters
from latentlib.probe import nearest_neighbours, neighbour_precision
from latentlib.provenance import device_description
from latentlib.results import make_record, write_record

METRICS = ("silhouette", "acc", "nmi", "ari", "n_clusters_found")


def feature_config(config: AudioStudyConfig) -> FeatureConfig:
    """The study's log-mel parameters (sr 22050, n_fft 2048, hop 512, 4 s; n_mels from the study)."""
    return FeatureConfig(n_mels=config.n_mels)


def clip_name(clips: AudioClips, index: int) -> str:
    """``group/file`` of a clip: how records and tables name it (no machine paths)."""
    return f"{clips.groups[index]}/{clips.paths[index].name}"


@dataclass
class AudioStudy:
    """Everything chapter 04 shows. Index arrays refer to ``clips`` (the clips whose
    features could be computed); ``*_test`` arrays follow ``test_idx``."""

    config: AudioStudyConfig
    clips: AudioClips
    features: Features
    train_idx: np.ndarray
    test_idx: np.ndarray
    fit: FitResult
    z_test: np.ndarray
    clusters: np.ndarray
    metrics: dict[str, float]
    per_group: pd.DataFrame
    baseline: dict[str, float]
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def y_test(self) -> np.ndarray:
        return self.clips.labels[self.test_idx]

    @property
    def groups_test(self) -> np.ndarray:
        return self.clips.groups[self.test_idx]

    @property
    def x_test(self) -> np.ndarray:
        return self.features.x[self.test_idx]

    def metric_table(self) -> pd.DataFrame:
        """Overall scores of the autoencoder embedding and of the baseline, one row each."""
        rows = {f"autoencoder (GAP of {self.config.embedding_size} bottleneck filters)": self.metrics,
                f"baseline: mean log-mel spectrum ({self.config.n_mels} bands, no training)": self.baseline}
        return pd.DataFrame(rows).T[list(METRICS)]

    def confusion(self) -> pd.DataFrame:
        return confusion_table(self.y_test, self.clusters, class_names=self.clips.class_names)

    def overlaps(self) -> pd.DataFrame:
        return class_overlaps(self.y_test, self.clusters, class_names=self.clips.class_names)


def run_audio_study(config: AudioStudyConfig, clips: AudioClips, *, write: bool = True,
                    progress: bool = True) -> AudioStudy:
    """Extract (or read cached) features, fit (or load) the autoencoder, score, record.

    Raises
    ------
    ValueError
        Before any feature is computed, when ``config.test_groups`` names a group the
        source does not have or leaves nothing to train on.
    """
    clips = clips.limit_per_cell(config.clips_per_cell)
    clips.split(config.test_groups)  # fail on a bad split before minutes of work
    device = resolve_device(config.device)
    features = extract_features(clips.paths, feature_config(config), n_jobs=config.n_jobs, progress=progress)
    if len(features.skipped):  # said here, not in the features module: its workers stay light
        counts = {reason: n for reason, n in features.skip_counts().items() if n}
        notice("skipped", f"{len(features.skipped)} of {len(clips)} audio clips skipped ("
               + ", ".join(f"{n} {reason}" for reason, n in counts.items()) + "); the record names them",
               skipped=counts)
    kept = clips.take(features.kept)
    wanted = config.test_groups or clips.default_test_groups
    emptied = [group for group in wanted if group in clips.group_names and group not in kept.group_names]
    if emptied:
        raise ValueError(f"test_groups holds {', '.join(emptied)}, every clip of which was skipped "
                         f"({', '.join(sorted(set(features.skipped['reason'])))}); hold out other "
                         f"{clips.group_kind}s: {', '.join(kept.group_names)}")
    train_idx, test_idx = kept.split(config.test_groups)
    n_clusters = config.n_clusters or len(kept.class_names)

    model_config = SpectrogramConfig(input_shape=features.config.shape, channels=config.channels,
                                     embedding_size=config.embedding_size)
    train = TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                        learning_rate=config.learning_rate, seed=config.seed)
    fit = fit_autoencoder(model_config, train, features.x[train_idx], device=device, progress=progress,
                          desc=f"spectrogram AE d={config.embedding_size}")

    start = time.perf_counter()
    y_test, groups_test = kept.labels[test_idx], kept.groups[test_idx]
    z_test = encode(fit.model, features.x[test_idx], batch_size=256)
    clusters = kmeans_labels(z_test, n_clusters=n_clusters, seed=config.seed)
    metrics = score_clusters(z_test, y_test, clusters, seed=config.seed)
    metrics["neighbour_precision"] = neighbour_precision(z_test, y_test, k=config.n_neighbours)
    metrics["final_train_mse"] = fit.history[-1]
    per_group = score_by_group(z_test, y_test, clusters=clusters, groups=groups_test, seed=config.seed)
    evaluate_seconds = time.perf_counter() - start

    z_base = mean_spectrum(features.x[test_idx])
    base_clusters = kmeans_labels(z_base, n_clusters=n_clusters, seed=config.seed)
    baseline = score_clusters(z_base, y_test, base_clusters, seed=config.seed)
    baseline["neighbour_precision"] = neighbour_precision(z_base, y_test, k=config.n_neighbours)

    study = AudioStudy(config=config, clips=kept, features=features, train_idx=train_idx, test_idx=test_idx,
                       fit=fit, z_test=z_test, clusters=clusters, metrics=metrics, per_group=per_group,
                       baseline=baseline)
    data = data_info(clips, kept, features=features, train_idx=train_idx, test_idx=test_idx)
    hardware = device_description(device)
    common = {"seed": config.seed, "scored_split": f"held-out {kept.group_kind}s", "n_clusters": n_clusters}
    ae_run = {"name": f"spectrogram-ae-d{config.embedding_size}-seed{config.seed}", "model": "spectrogram_ae",
              "objective": "mse", "embedding": "global average pool of the bottleneck filters",
              "embedding_size": config.embedding_size, "fit_key": fit.key, "fit_from_cache": fit.from_cache, **common}
    base_run = {"name": f"mean-logmel-seed{config.seed}", "model": "mean_logmel", "objective": "none",
                "embedding": "time-averaged log-mel spectrum", "embedding_size": config.n_mels, **common}
    timings = {"feature_seconds": features.seconds, "fit_seconds": fit.seconds, "evaluate_seconds": evaluate_seconds}
    study.records = [
        make_record(config=config, run=ae_run, metrics=metrics, timings=timings, data=data, device=hardware,
                    extra={"history": fit.history, "per_group": per_group.reset_index().to_dict("records"),
                           "confusion": study.confusion().to_dict(), "skipped": skipped_names(clips, features)}),
        make_record(config=config, run=base_run, metrics=baseline, timings={"feature_seconds": features.seconds},
                    data=data, device=hardware),
    ]
    if write:
        for record in study.records:
            write_record(record)
    return study


def data_info(clips: AudioClips, kept: AudioClips, *, features: Features, train_idx: np.ndarray,
              test_idx: np.ndarray) -> dict[str, Any]:
    """What a record stores about the data: source, split, sizes, and every skip counted."""
    held_out = list(dict.fromkeys(kept.groups[test_idx].tolist()))
    return {
        "source": clips.source,
        "split": f"held-out {kept.group_kind}s: {', '.join(held_out)}",
        "n_train": int(len(train_idx)),
        "n_test": int(len(test_idx)),
        "group_kind": kept.group_kind,
        "test_groups": held_out,
        "classes": list(kept.class_names),
        "listed_but_missing": len(clips.missing),
        **features.summary(),
    }


def skipped_names(clips: AudioClips, features: Features) -> list[dict[str, str]]:
    """Skipped clips as ``group/file`` with the reason (records never hold machine paths)."""
    index = {str(path): i for i, path in enumerate(clips.paths)}
    return [{"clip": clip_name(clips, index[row.path]), "reason": row.reason, "detail": row.detail}
            for row in features.skipped.itertuples()]


def mean_spectrum(x: np.ndarray) -> np.ndarray:
    """Baseline embedding: each mel band's mean over time (N x 1 x bands x frames -> N x bands)."""
    return x.mean(axis=-1).reshape(len(x), -1)


def score_by_group(z: np.ndarray, y_true: np.ndarray, *, clusters: np.ndarray, groups: np.ndarray,
                   seed: int = 0) -> pd.DataFrame:
    """The one clustering of all held-out clips, scored on each group's clips alone.

    Silhouette is computed among the group's own clips; it is NaN when they fall in
    fewer than two clusters.
    """
    rows = {}
    for group in dict.fromkeys(groups.tolist()):
        mask = groups == group
        rows[group] = {"clips": int(mask.sum()), "classes": int(len(np.unique(y_true[mask]))),
                       **score_clusters(z[mask], y_true[mask], clusters[mask], seed=seed)}
    table = pd.DataFrame(rows).T
    table.index.name = "group"
    return table.astype({"clips": int, "classes": int, "n_clusters_found": int})


def confusion_table(y_true: np.ndarray, y_cluster: np.ndarray, *, class_names: list[str]) -> pd.DataFrame:
    """Clips per (class, cluster); clusters are ordered by their Hungarian match to the
    classes, so a perfect clustering is diagonal and overlaps sit off the diagonal.

    Every class of ``class_names`` has a row (absent ones hold zeros); clusters that
    match no class (more clusters than classes) come last.
    """
    table, _, clusters = contingency(y_true, y_cluster, classes=np.arange(len(class_names)))
    rows, cols = match_clusters(table)
    order = list(cols[np.argsort(rows)]) + [k for k in range(len(clusters)) if k not in cols]
    return pd.DataFrame(table[:, order], index=pd.Index(class_names, name="class"),
                        columns=pd.Index([f"c{clusters[k]}" for k in order], name="cluster"))


def class_overlaps(y_true: np.ndarray, y_cluster: np.ndarray, *, class_names: list[str]) -> pd.DataFrame:
    """Pairs of classes ranked by how much they share clusters.

    ``overlap`` of classes a and b is the intersection of their distributions over
    clusters: sum over clusters k of min(P(k | a), P(k | b)). It is 1 when both spread
    over the clusters alike, 0 when no cluster holds both.
    """
    present = [c for c in range(len(class_names)) if np.any(y_true == c)]
    clusters = np.unique(y_cluster)
    share = {c: np.array([np.mean(y_cluster[y_true == c] == k) for k in clusters]) for c in present}
    rows = [{"class_a": class_names[a], "class_b": class_names[b],
             "overlap": float(np.minimum(share[a], share[b]).sum())}
            for i, a in enumerate(present) for b in present[i + 1:]]
    frame = pd.DataFrame(rows, columns=["class_a", "class_b", "overlap"])
    return frame.sort_values("overlap", ascending=False, kind="stable").reset_index(drop=True)


def pick_queries(study: AudioStudy, *, n: int = 2) -> list[int]:
    """Test positions of query clips: the first held-out clip of each class in the most
    overlapping pair of classes (the pair the chapter discusses), then other classes."""
    names = study.clips.class_names
    overlaps = study.overlaps()
    order = ([names.index(overlaps.loc[0, "class_a"]), names.index(overlaps.loc[0, "class_b"])]
             if len(overlaps) else [])
    order += [c for c in range(len(names)) if c not in order]
    queries = [int(np.flatnonzero(study.y_test == c)[0]) for c in order if np.any(study.y_test == c)]
    return queries[:n]


def neighbour_table(study: AudioStudy, query: int, *, k: int | None = None) -> pd.DataFrame:
    """The query clip and its nearest held-out neighbours in the embedding, with classes."""
    k = k or study.config.n_neighbours
    indices, distances = nearest_neighbours(study.z_test, query, k=k)
    positions = [query, *indices.tolist()]
    return pd.DataFrame({
        "role": ["query"] + [f"neighbour {i + 1}" for i in range(len(indices))],
        "clip": [clip_name(study.clips, study.test_idx[p]) for p in positions],
        "class": [study.clips.class_names[study.y_test[p]] for p in positions],
        "cluster": [int(study.clusters[p]) for p in positions],
        "distance": [0.0, *distances.tolist()],
        "test_position": positions,
    })


def show_neighbours(study: AudioStudy, query: int, *, k: int | None = None) -> pd.DataFrame:
    """Display the neighbour table and an audio player for each clip (IPython); return the table."""
    from IPython.display import Audio, Markdown, display

    table = neighbour_table(study, query, k=k)
    display(table.drop(columns="test_position"))
    config = study.features.config
    for _, row in table.iterrows():
        waveform = load_clip(study.clips.paths[study.test_idx[row["test_position"]]], config, fixed_length=False)
        display(Markdown(f"**{row['role']}**: `{row['clip']}` ({row['class']})"))
        display(Audio(waveform, rate=config.sample_rate))
    return table
