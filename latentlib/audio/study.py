"""Study 04: log-mel features -> spectrogram autoencoder -> pooled embeddings -> clusters.

Train on every fold (or kit) except the held-out ones, embed the held-out clips, cluster
them with K-Means (one cluster per class), and score the clustering overall and per
held-out group, once per seed. Beside the paper's embedding (the global average pool of
the bottleneck filters) every seed scores, with the same K-Means and the same scores:

- PCA of the flattened log-mel spectrograms to the same size, fitted on the training clips;
- the untrained network of the same architecture (random initialisation of that seed);
- a true-bottleneck ablation whose decoder reconstructs from the pooled vector alone;
- the time-averaged log-mel spectrum (one number per mel band: another size).

Each embedding is also read with the labels by a linear probe (logistic regression fitted
on the training clips' embeddings, scored on the held-out ones), and every network's
held-out reconstruction error is recorded beside that of the mean training spectrogram,
the trivial reconstruction a model that learned anything must beat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import rankdata

from latentlib.audio.config import AudioStudyConfig
from latentlib.audio.data import AudioClips
from latentlib.audio.envelope import (correlation_ratio, ring_seconds, shuffled_within_ratio,
                                      within_correlation_ratio)
from latentlib.audio.features import FeatureConfig, Features, extract_features
from latentlib.audio.models import PooledBottleneckConfig, SpectrogramConfig
from latentlib.training.autoencoder import TrainConfig, fit_autoencoder
from latentlib.evaluation.baselines import PCAEmbedding
from latentlib.evaluation.evaluate import encode, kmeans_labels, score_clusters
from latentlib.events import notice
from latentlib.training.fit import FitResult, resolve_device, set_seed
from latentlib.evaluation.metrics import contingency, match_clusters
from latentlib.evaluation.probe import linear_probe, nearest_neighbours, neighbour_precision
from latentlib.book.provenance import device_description
from latentlib.book.results import make_record, write_record
from latentlib.book.tables import mean_std

METRICS = ("silhouette", "acc", "nmi", "ari", "n_clusters_found")
RING_METRICS = ("ring_by_cluster", "ring_by_cluster_within_class", "ring_by_cluster_within_class_shuffled")

# the methods every seed scores, as the chapter's tables name them
AUTOENCODER = "autoencoder (GAP)"
TRUE_BOTTLENECK = "true bottleneck"
PCA = "PCA"
UNTRAINED = "untrained network"
MEAN_SPECTRUM = "mean log-mel"
MODELS = {AUTOENCODER: "spectrogram_ae", TRUE_BOTTLENECK: "spectrogram_ae_true_bottleneck", PCA: "pca",
          UNTRAINED: "spectrogram_ae_untrained", MEAN_SPECTRUM: "mean_logmel"}
DESCRIPTIONS = {
    AUTOENCODER: "global average pool of the bottleneck filters (the paper's embedding)",
    TRUE_BOTTLENECK: "pooled vector of an autoencoder whose decoder sees only that vector",
    PCA: "PCA of the flattened log-mel spectrogram (bands x frames), fitted on the training clips",
    UNTRAINED: "global average pool of the same network at its random initialisation",
    MEAN_SPECTRUM: "time-averaged log-mel spectrum (one value per mel band)",
}


def feature_config(config: AudioStudyConfig) -> FeatureConfig:
    """The study's log-mel parameters (sr 22050, n_fft 2048, hop 512, 4 s; n_mels from the study)."""
    return FeatureConfig(n_mels=config.n_mels)


def clip_name(clips: AudioClips, index: int) -> str:
    """``group/file`` of a clip: how records and tables name it (no machine paths)."""
    return f"{clips.groups[index]}/{clips.paths[index].name}"


@dataclass
class AudioStudy:
    """Everything chapter 04 shows. Index arrays refer to ``clips`` (the clips whose
    features could be computed); ``*_test`` arrays follow ``test_idx``. ``runs`` has one
    row per (method, seed); ``embeddings`` and ``cluster_ids`` are keyed the same way."""

    config: AudioStudyConfig
    clips: AudioClips
    features: Features
    train_idx: np.ndarray
    test_idx: np.ndarray
    fits: dict[tuple[str, int], FitResult]
    embeddings: dict[tuple[str, int], np.ndarray]
    cluster_ids: dict[tuple[str, int], np.ndarray]
    runs: pd.DataFrame
    per_group: pd.DataFrame
    ring: np.ndarray
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seed(self) -> int:
        """The seed whose model the figures, the confusion matrix and the neighbours show."""
        return self.config.seeds[0]

    @property
    def fit(self) -> FitResult:
        return self.fits[(AUTOENCODER, self.seed)]

    @property
    def z_test(self) -> np.ndarray:
        return self.embeddings[(AUTOENCODER, self.seed)]

    @property
    def clusters(self) -> np.ndarray:
        return self.cluster_ids[(AUTOENCODER, self.seed)]

    @property
    def y_test(self) -> np.ndarray:
        return self.clips.labels[self.test_idx]

    @property
    def groups_test(self) -> np.ndarray:
        return self.clips.groups[self.test_idx]

    @property
    def x_test(self) -> np.ndarray:
        return self.features.x[self.test_idx]

    def confusion(self, method: str = AUTOENCODER, seed: int | None = None) -> pd.DataFrame:
        clusters = self.cluster_ids[(method, self.seed if seed is None else seed)]
        return confusion_table(self.y_test, clusters, class_names=self.clips.class_names)

    def overlaps(self, method: str = AUTOENCODER) -> pd.DataFrame:
        """Class pairs by mean overlap over the seeds, with its std and range."""
        tables = [class_overlaps(self.y_test, self.cluster_ids[(method, seed)], class_names=self.clips.class_names)
                  .assign(seed=seed) for seed in self.config.seeds]
        return overlap_summary(pd.concat(tables, ignore_index=True))

    def ring_by_class(self) -> float:
        """eta squared of the ring time's ranks by class: how much of it the classes explain."""
        return correlation_ratio(rankdata(self.ring), self.y_test)


def run_audio_study(config: AudioStudyConfig, clips: AudioClips, *, write: bool = True,
                    progress: bool = True) -> AudioStudy:
    """Extract (or read cached) features, fit (or load) both autoencoders per seed, score
    every method per seed, record one result per (method, seed).

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
    x_train, x_test = features.x[train_idx], features.x[test_idx]
    y_train, y_test, groups_test = kept.labels[train_idx], kept.labels[test_idx], kept.groups[test_idx]
    ring = ring_seconds(x_test, features.config)

    shape = dict(input_shape=features.config.shape, channels=config.channels, embedding_size=config.embedding_size)
    architectures = {AUTOENCODER: SpectrogramConfig(**shape), TRUE_BOTTLENECK: PooledBottleneckConfig(**shape)}
    fits, embeddings, train_embeddings, seconds, reconstruction = {}, {}, {}, {}, {}
    # the trivial reconstruction every model must beat: the mean training spectrogram
    mean_spectrogram_mse = float(np.mean((x_test - x_train.mean(axis=0, keepdims=True)) ** 2))
    for seed in config.seeds:
        train = TrainConfig(epochs=config.epochs, batch_size=config.batch_size,
                            learning_rate=config.learning_rate, seed=seed)
        for method, architecture in architectures.items():
            fit = fit_autoencoder(architecture, train, x_train, device=device, precision=config.precision,
                                  progress=progress, desc=f"{method} d={config.embedding_size} seed {seed}")
            fits[(method, seed)] = fit
            embeddings[(method, seed)] = encode(fit.model, x_test, batch_size=256, precision=config.precision)
            train_embeddings[(method, seed)] = encode(fit.model, x_train, batch_size=256,
                                                      precision=config.precision)
            reconstruction[(method, seed)] = reconstruction_mse(fit.model, x_test)
        untrained = untrained_model(architectures[AUTOENCODER], seed=seed, device=device)
        embeddings[(UNTRAINED, seed)] = encode(untrained, x_test, batch_size=256, precision=config.precision)
        train_embeddings[(UNTRAINED, seed)] = encode(untrained, x_train, batch_size=256, precision=config.precision)
        reconstruction[(UNTRAINED, seed)] = reconstruction_mse(untrained, x_test)
        start = time.perf_counter()
        pca = PCAEmbedding(config.embedding_size, random_state=seed).fit(x_train)
        embeddings[(PCA, seed)], train_embeddings[(PCA, seed)] = pca.transform(x_test), pca.transform(x_train)
        seconds[(PCA, seed)] = time.perf_counter() - start
        embeddings[(MEAN_SPECTRUM, seed)] = mean_spectrum(x_test)
        train_embeddings[(MEAN_SPECTRUM, seed)] = mean_spectrum(x_train)

    cluster_ids, rows, per_group = {}, [], []
    for (method, seed), z in embeddings.items():
        start = time.perf_counter()
        clusters = kmeans_labels(z, n_clusters=n_clusters, seed=seed)
        cluster_ids[(method, seed)] = clusters
        metrics = score_clusters(z, y_test, clusters, seed=seed)
        metrics["neighbour_precision"] = neighbour_precision(z, y_test, k=config.n_neighbours)
        # labels read with a hyperplane: logistic regression fitted on the training clips' embeddings
        metrics["linear_probe"] = linear_probe(train_embeddings[(method, seed)], y_train, z, y_test, seed=seed)
        metrics.update(ring_scores(ring, y_test, clusters, seed=seed))
        if (method, seed) in fits:
            metrics["final_train_mse"] = fits[(method, seed)].history[-1]
        if (method, seed) in reconstruction:
            metrics["heldout_mse"] = reconstruction[(method, seed)]
            metrics["mean_spectrogram_mse"] = mean_spectrogram_mse
        seconds[(method, seed)] = seconds.get((method, seed), 0.0) + time.perf_counter() - start
        rows.append({"method": method, "embedding_size": int(z.shape[1]), "seed": seed, "split": "held-out",
                     **metrics})
        if method == AUTOENCODER:
            per_group.append(score_by_group(z, y_test, clusters=clusters, groups=groups_test, seed=seed)
                             .assign(seed=seed))

    study = AudioStudy(config=config, clips=kept, features=features, train_idx=train_idx, test_idx=test_idx,
                       fits=fits, embeddings=embeddings, cluster_ids=cluster_ids, runs=pd.DataFrame(rows),
                       per_group=pd.concat(per_group), ring=ring)
    study.records = make_records(study, clips, n_clusters=n_clusters, device=device, seconds=seconds)
    if write:
        for record in study.records:
            write_record(record)
    return study


def untrained_model(architecture: SpectrogramConfig, *, seed: int, device) -> torch.nn.Module:
    """``architecture`` at its random initialisation for ``seed``: what the architecture
    alone gives, before any training (batch norm at its initial statistics)."""
    set_seed(seed)
    return architecture.build().to(device)


def reconstruction_mse(model: torch.nn.Module, x: np.ndarray, *, batch_size: int = 256) -> float:
    """Mean squared error of ``model``'s reconstructions of ``x`` (every bin of every clip)."""
    device = next(model.parameters()).device
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(x[start:start + batch_size])).to(device)
            reconstruction, _ = model(batch)
            total += float(((reconstruction.float() - batch) ** 2).sum())
    return total / max(x.size, 1)


def mean_spectrum(x: np.ndarray) -> np.ndarray:
    """Baseline embedding: each mel band's mean over time (N x 1 x bands x frames -> N x bands)."""
    return x.mean(axis=-1).reshape(len(x), -1)


def ring_scores(ring: np.ndarray, y_true: np.ndarray, clusters: np.ndarray, *, seed: int) -> dict[str, float]:
    """How much of the clips' ring time the clusters explain (eta squared): overall,
    inside each class, and inside each class with the clusters shuffled (chance level).
    On the ranks of the ring time, so that a few clips ringing for seconds do not decide it."""
    ring = rankdata(ring)
    return {"ring_by_cluster": correlation_ratio(ring, clusters),
            "ring_by_cluster_within_class": within_correlation_ratio(ring, clusters, within=y_true),
            "ring_by_cluster_within_class_shuffled": shuffled_within_ratio(ring, clusters, within=y_true, seed=seed)}


def make_records(study: AudioStudy, clips: AudioClips, *, n_clusters: int, device, seconds: dict) -> list[dict]:
    """One record per (method, seed); the autoencoder's carry its history, per-group
    scores, confusion matrix and class overlaps."""
    config, kept, features = study.config, study.clips, study.features
    data = data_info(clips, kept, features=features, train_idx=study.train_idx, test_idx=study.test_idx)
    hardware = device_description(device)
    skipped = skipped_names(clips, features)
    records = []
    for row in study.runs.to_dict("records"):
        method, seed, size = row["method"], row["seed"], row["embedding_size"]
        metrics = {k: v for k, v in row.items() if k not in ("method", "embedding_size", "seed", "split")}
        run = {"name": f"{MODELS[method].replace('_', '-')}-d{size}-seed{seed}", "model": MODELS[method],
               "label": method, "embedding": DESCRIPTIONS[method], "embedding_size": size, "seed": seed,
               "scored_split": f"held-out {kept.group_kind}s", "n_clusters": n_clusters,
               "objective": "mse" if (method, seed) in study.fits else "none"}
        timings = {"feature_seconds": features.seconds, "evaluate_seconds": seconds[(method, seed)]}
        extra = None
        if (method, seed) in study.fits:
            fit = study.fits[(method, seed)]
            run.update(fit_key=fit.key, fit_from_cache=fit.from_cache)
            timings["fit_seconds"] = fit.seconds
            extra = {"history": fit.history}
        if method == AUTOENCODER:
            groups = study.per_group[study.per_group["seed"] == seed].drop(columns="seed")
            overlaps = class_overlaps(study.y_test, study.cluster_ids[(method, seed)], class_names=kept.class_names)
            extra.update(per_group=groups.reset_index().to_dict("records"),
                         confusion=study.confusion(method, seed).to_dict(),
                         overlaps=overlaps.to_dict("records"), skipped=skipped)
        records.append(make_record(config=config, run=run, metrics=metrics, timings=timings, data=data,
                                   device=hardware, extra=extra))
    return records


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


def overlap_summary(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per-seed overlap tables (``class_a``, ``class_b``, ``overlap``, ``seed``) -> one row
    per pair: mean, std (ddof 1) and range over the seeds, ranked by the mean."""
    grouped = pairs.groupby(["class_a", "class_b"], sort=False)["overlap"]
    table = grouped.agg(["mean", "std", "min", "max", "count"]).reset_index()
    table = table.rename(columns={"mean": "overlap", "std": "overlap_std", "count": "seeds"})
    return table.sort_values("overlap", ascending=False, kind="stable").reset_index(drop=True)


def overlap_matrix(summary: pd.DataFrame, class_names: list[str]) -> pd.DataFrame:
    """The :func:`overlap_summary` as a symmetric class x class table of ``mean ± std``."""
    table = pd.DataFrame("", index=pd.Index(class_names, name="class"), columns=class_names)
    for row in summary.itertuples():
        table.loc[row.class_a, row.class_b] = table.loc[row.class_b, row.class_a] = \
            mean_std(row.overlap, row.overlap_std, 2)
    return table


def verdict_rows(verdicts: list) -> pd.DataFrame:
    """Claim, outcome and the evidence's mean difference with its 95% interval, one row each."""
    rows = []
    for verdict in verdicts:
        evidence = verdict.evidence.iloc[0] if len(verdict.evidence) else {}
        rows.append({"claim": verdict.claim, "verdict": verdict.outcome,
                     "difference": evidence.get("difference", float("nan")),
                     "95% interval": f"[{evidence.get('low', float('nan')):+.3f}, "
                                     f"{evidence.get('high', float('nan')):+.3f}]",
                     "Welch outcome": evidence.get("outcome", "–")})
    return pd.DataFrame(rows)


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
