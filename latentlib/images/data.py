"""The image datasets of chapters 01-03, by name: MNIST (the paper's) or Fashion-MNIST."""

from __future__ import annotations

from typing import Any

from latentlib.data.splits import LabelledSplit



def load_image_data(config: Any) -> LabelledSplit:
    """The dataset a study config names (``dataset``, default MNIST), from its
    ``data_source`` with at most ``n_train`` / ``n_test`` images (stratified)."""
    dataset = getattr(config, "dataset", "mnist")
    if dataset == "fashion_mnist":
        from latentlib.images.fashion_mnist import load_fashion_mnist

        return load_fashion_mnist(config.data_source, n_train=config.n_train, n_test=config.n_test)
    from latentlib.images.mnist import load_mnist

    return load_mnist(config.data_source, n_train=config.n_train, n_test=config.n_test)
