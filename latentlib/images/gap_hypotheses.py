"""Chapter 06's hypotheses, views and columns by name: what each variant changes, which
paper column a view is applied to, and the method names of their runs."""

from __future__ import annotations

from latentlib.book.paper import TABLE_I, TABLE_II

BASELINE = "baseline"
PCA = "pca"
TRIPLET = "triplet"
#: hypothesis id -> what it changes (the row label of the chapter's table)
HYPOTHESES = {
    "tsne_view": "silhouette of a 2-D t-SNE view",
    "umap_view": "silhouette of a 2-D UMAP view",
    "train_split": "scoring the training split",
    "sigmoid": "saturating (sigmoid) bottleneck",
    "l2": "normalised (unit-sphere) bottleneck",
    "conv": "convolutional autoencoder",
    "long": "longer training",
    "train_size": "fewer training images",
}
SCORING = ("tsne_view", "umap_view", "train_split")
#: the 2-D views, and their names in prose
VIEWS = {"tsne_view": "t-SNE", "umap_view": "UMAP"}
#: the subsample-size check of the views (its runs feed no hypothesis verdict)
VIEW_CHECK = "view_points_check"
#: a column a view is applied to -> (our method with no view, the paper's table, its column, its name)
COLUMNS = {
    "mse": (BASELINE, "I", "mse", "Table I MSE column"),
    "triplet": (TRIPLET, "I", "triplet", "Table I triplet column"),
    "pca": (PCA, "II", "pca", "Table II PCA column"),
}
#: UMAP's own defaults (15 neighbours, min_dist 0.1); t-SNE: perplexity 30, PCA init
UMAP_NEIGHBORS, UMAP_MIN_DIST = 15, 0.1
COLUMN_NAMES = {"mse": "MSE", "triplet": "triplet", "pca": "PCA"}


def view_method(hypothesis: str, column: str) -> str:
    """The ``method`` of the runs of one view applied to one column (``umap_view-mse``)."""
    return f"{hypothesis}-{column}"


def check_method(hypothesis: str, points: int) -> str:
    """The ``method`` of the subsample-size check of one view at ``points`` points."""
    return f"{hypothesis}-mse-{points}pts"


def _published(column: str) -> dict[int, tuple[float, float | None]]:
    _, table, name, _ = COLUMNS[column]
    return (TABLE_I if table == "I" else TABLE_II)[name]
