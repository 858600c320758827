"""Dataset loaders: one module per dataset, each with its real source and offline mirrors."""

from latentlib.data import mnist, rotten_tomatoes, yelp
from latentlib.data.common import (
    CorruptDatasetError,
    DatasetNotFoundError,
    LabelledSplit,
    data_root,
)
from latentlib.data.mnist import load_mnist
from latentlib.data import drumkits, urbansound
from latentlib.data import fashion_mnist

# `latentlib data NAME`: each entry makes a dataset available under a data root and
# returns a one-line description of the source it found (one line per dataset module)
FETCHERS = {
    "mnist": mnist.fetch,
    "yelp": yelp.fetch,
    "rotten_tomatoes": rotten_tomatoes.fetch,
    "urbansound8k": urbansound.fetch,
    "drumkits": drumkits.fetch,
    "fashion_mnist": fashion_mnist.fetch,
}

__all__ = [
    "CorruptDatasetError",
    "DatasetNotFoundError",
    "FETCHERS",
    "LabelledSplit",
    "data_root",
    "load_mnist",
]
