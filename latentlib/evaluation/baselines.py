"""Linear baseline (paper IV-B3): PCA embeddings of the same size as the autoencoder's.

PCA is fitted on the training split only and then maps the test split, exactly like an
encoder trained on the training split; its embeddings are scored by the same code.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from latentlib.validation import check_int_range, check_optional_seed


def flatten(x: np.ndarray) -> np.ndarray:
    """One row per item (images N x C x H x W become N x (C*H*W))."""
    x = np.asarray(x)
    return x.reshape(len(x), -1)


class PCAEmbedding:
    """PCA to ``n_components`` dimensions on flattened inputs (scikit-learn conventions).

    Parameters
    ----------
    n_components
        Embedding size d.
    random_state
        Seed of the randomized SVD scikit-learn picks for few components of wide data.
    """

    def __init__(self, n_components: int, *, random_state: int | None = 0) -> None:
        check_int_range("n_components", n_components, minimum=1)  # the data bounds it at fit
        check_optional_seed("random_state", random_state)
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, x: np.ndarray) -> "PCAEmbedding":
        flat = flatten(x)
        check_int_range("n_components", self.n_components, minimum=1, maximum=min(flat.shape),
                        why=f"at most the smaller side of the data, of shape {flat.shape}")
        self.pca_ = PCA(n_components=self.n_components, random_state=self.random_state).fit(flat)
        self.explained_variance_ratio_ = self.pca_.explained_variance_ratio_
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return self.pca_.transform(flatten(x)).astype(np.float32)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, z: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Reconstructions of embeddings ``z``, reshaped to ``shape`` per item."""
        return self.pca_.inverse_transform(z).reshape(len(z), *shape)
