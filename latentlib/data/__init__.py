"""Dataset loaders: one module per dataset, each with its real source and offline mirrors."""

from latentlib.data import mnist
from latentlib.data.common import (
    CorruptDatasetError,
    DatasetNotFoundError,
    LabelledSplit,
    data_root,
)
from latentlib.data.mnist import load_mnist

# `latentlib data NAME`: each entry makes a dataset available under a data root and
# returns a one-line description of the source it found (one line per dataset module)
FETCHERS = {
    "mnist": mnist.fetch,
}

__all__ = [
    "CorruptDatasetError",
    "DatasetNotFoundError",
    "FETCHERS",
    "LabelledSplit",
    "data_root",
    "load_mnist",
]
