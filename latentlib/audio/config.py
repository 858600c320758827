"""Config of the audio study (04): log-mel spectrograms and a spectrogram autoencoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from latentlib.config import StudyConfig, check_device
from latentlib.training.precision import check_precision
from latentlib.validation import (
    check_choice,
    check_int_tuple,
    check_n_clusters,
    check_optional_positive_int,
    check_positive_float,
    check_positive_int,
    fail,
)

# "auto" takes the first that is on disk: UrbanSound8K, the 0 A.D. everyday sounds, the drum kits
AUDIO_SOURCES = ("urbansound8k", "everyday_sounds", "drumkits")


@dataclass(frozen=True)
class AudioStudyConfig(StudyConfig):
    """Study 04 (paper III-B, IV-C): log-mel spectrograms -> convolutional autoencoder ->
    global-average-pooled bottleneck embeddings -> K-Means on held-out folds or kits, beside
    equal-size baselines (PCA, the untrained network) and a true-bottleneck ablation."""

    study: ClassVar[str] = "04_audio_urbansound"
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # seconds on a CPU: two clips per (group, class), a tiny net, two epochs
        "smoke": dict(clips_per_cell=2, n_mels=32, channels=(8, 16), embedding_size=8, epochs=2,
                      batch_size=16, seeds=(0, 1)),
        # about 2-3 minutes on one CPU thread with the features cached (the everyday sounds:
        # 617 training clips; the reconstruction error has fallen tenfold below the mean
        # spectrogram's by epoch 10)
        "quick": dict(epochs=15),
        # UrbanSound8K on a GPU: the usual 128 mel bands, a wider net, longer training
        "paper": dict(n_mels=128, channels=(32, 64, 128), embedding_size=64, epochs=100, batch_size=64,
                      seeds=(0, 1, 2, 3, 4)),
    }

    data_source: str = "auto"
    # None holds out the source's default groups (UrbanSound8K: fold9, fold10; the everyday
    # sounds: about a fifth of each class's source recordings; the drum kits: five kits)
    test_groups: tuple[str, ...] | None = None
    # at most this many clips per (fold or kit, class), in the source's order; None keeps all
    clips_per_cell: int | None = None
    n_mels: int = 64
    # feature-extraction worker processes; None uses every CPU
    n_jobs: int | None = None
    # narrow enough for a 2-core CPU: the full-resolution layers dominate the cost
    channels: tuple[int, ...] = (8, 16, 32)
    # number of bottleneck filters = size of the pooled embedding
    embedding_size: int = 32
    epochs: int = 30
    batch_size: int = 32
    # the sigmoid decoder must learn to output the silent padding (0): 1e-3 was still
    # falling steadily after 20 epochs
    learning_rate: float = 3e-3
    # every model, baseline and K-Means is run once per seed: scores are mean +- std over them
    seeds: tuple[int, ...] = (0, 1, 2)
    # None: one cluster per class of the source
    n_clusters: int | None = None
    n_neighbours: int = 3
    device: str = "auto"
    # "fp32", or "bf16": autocast for training and encoding, faster on a GPU (weights stay fp32)
    precision: str = "fp32"

    def validate(self) -> None:
        check_choice("data_source", self.data_source, ("auto", *AUDIO_SOURCES))
        if self.test_groups is not None and (
                not isinstance(self.test_groups, tuple) or not self.test_groups
                or not all(isinstance(g, str) and g for g in self.test_groups)):
            fail("test_groups", self.test_groups,
                 "None or a non-empty list of fold, source-recording or kit names (e.g. ['fold9', 'fold10'])")
        check_optional_positive_int("clips_per_cell", self.clips_per_cell)
        check_positive_int("n_mels", self.n_mels)
        check_optional_positive_int("n_jobs", self.n_jobs)
        check_int_tuple("channels", self.channels, distinct=False)
        check_positive_int("embedding_size", self.embedding_size)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        check_int_tuple("seeds", self.seeds, minimum=0)
        check_n_clusters("n_clusters", self.n_clusters, optional=True)
        check_positive_int("n_neighbours", self.n_neighbours)
        check_device(self.device)
        check_precision(self.precision)
        if self.n_mels < 2 ** len(self.channels):
            fail("n_mels", self.n_mels, f"at least 2 ** len(channels) = {2 ** len(self.channels)} "
                 "(each conv block halves the mel axis)")
