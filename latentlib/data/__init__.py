"""Dataset loaders: one module per dataset, each with its real source and offline mirrors."""

from latentlib.data.common import (
    CorruptDatasetError,
    DatasetNotFoundError,
    LabelledSplit,
    data_root,
)
from latentlib.data.mnist import load_mnist

__all__ = [
    "CorruptDatasetError",
    "DatasetNotFoundError",
    "LabelledSplit",
    "data_root",
    "load_mnist",
]
